//! The struct types a program has declared, by name. A struct literal looks its
//! type up each time it runs, usually in a loop that makes many instances, so
//! the last name looked up is remembered with what it found: the literal's name
//! constant is the same allocation every time, and one pointer comparison then
//! replaces hashing the name.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::struct_pool::{self, LiteralCache};
use crate::runtime::object::{StructObj, StructType};
use crate::runtime::value::{copy_split, Value};

#[derive(Default)]
pub(crate) struct StructTypes {
    by_name: FxHashMap<Rc<str>, Rc<StructType>>,
    /// The last name [`StructTypes::lookup`] was given and what it found
    /// (holding the name keeps its allocation from being reused for another).
    last: Option<(Rc<str>, Option<Rc<StructType>>)>,
}

impl StructTypes {
    /// The type declared as `name`, through the one-entry cache.
    pub(crate) fn lookup(&mut self, name: &Rc<str>) -> Option<Rc<StructType>> {
        self.lookup_ref(name).cloned()
    }

    /// [`StructTypes::lookup`] without a new reference to the type.
    #[inline(always)]
    fn lookup_ref(&mut self, name: &Rc<str>) -> Option<&Rc<StructType>> {
        if !matches!(&self.last, Some((n, _)) if std::ptr::addr_eq(Rc::as_ptr(n), Rc::as_ptr(name))) {
            self.remember(name);
        }
        self.last.as_ref().and_then(|(_, found)| found.as_ref())
    }

    /// Looks `name` up in the table and makes it the remembered name.
    #[cold]
    fn remember(&mut self, name: &Rc<str>) {
        let found = self.by_name.get(name).cloned();
        self.last = Some((name.clone(), found));
    }

    /// A struct named `name`, of type `name` as declared now, with `values` for
    /// the fields `shape` (what a struct literal makes).
    #[inline(always)]
    pub(crate) fn instance(&mut self, name: &Rc<str>, shape: &Rc<[Rc<str>]>, values: Vec<Value>) -> Value {
        let ty = self.lookup(name);
        // Written field by field into the new allocation: `Rc::new` of a
        // `StructObj` built on the stack copied it in 16-byte blocks read back
        // right after 8-byte stores, which missed store forwarding (the
        // largest share of a struct literal's time in compiled code).
        let mut rc = Rc::<StructObj>::new_uninit();
        let p = Rc::get_mut(&mut rc).expect("a new Rc is unique").as_mut_ptr();
        // SAFETY: `p` points to the allocation's room for one `StructObj`;
        // every field is written once before `assume_init`.
        unsafe {
            std::ptr::addr_of_mut!((*p).name).write(name.clone());
            std::ptr::addr_of_mut!((*p).ty).write(ty);
            std::ptr::addr_of_mut!((*p).shape).write(shape.clone());
            std::ptr::addr_of_mut!((*p).values).write(values);
            Value::Struct(rc.assume_init())
        }
    }

    /// [`StructTypes::instance`] of the `shape.len()` values at `at`, which
    /// compiled code stored as tag byte and payload word (they are moved out:
    /// the positions are dead afterwards). An object of this shape kept by
    /// `struct_pool` is reused: only its values (and its type, if the name
    /// was declared again since) are written.
    ///
    /// `cache` learns the type `name` has now (for compiled code that reuses
    /// kept objects itself).
    ///
    /// # Safety
    /// `at` holds `shape.len()` initialised values that nothing else will drop.
    #[inline(always)]
    pub(crate) unsafe fn instance_at(
        &mut self,
        name: &Rc<str>,
        shape: &Rc<[Rc<str>]>,
        at: *const Value,
        cache: &mut LiteralCache,
    ) -> Value {
        let n = shape.len();
        // Each value moves as tag byte + payload word (`value::copy_split`):
        // native code has just stored them that way, and a 16-byte read of
        // each missed store forwarding.
        // SAFETY (both uses): the values are moved out once; the vector is
        // empty, has room for `n` (made sure of), and owns them once all are
        // written.
        let fill = |values: &mut Vec<Value>| unsafe {
            debug_assert!(values.is_empty());
            if values.capacity() < n {
                values.reserve(n);
            }
            let dst = values.as_mut_ptr();
            for i in 0..n {
                copy_split(at.add(i), dst.add(i));
            }
            values.set_len(n);
        };
        let ty = self.lookup_ref(name);
        cache.fill(ty);
        if let Some(mut rc) = struct_pool::take(shape) {
            let s = Rc::get_mut(&mut rc).expect("kept objects are unique");
            if !Rc::ptr_eq(&s.name, name) {
                s.name = name.clone();
            }
            if s.ty.as_ref().map(Rc::as_ptr) != ty.map(Rc::as_ptr) {
                s.ty = ty.cloned();
            }
            fill(&mut s.values);
            return Value::Struct(rc);
        }
        let mut values = Vec::with_capacity(n);
        fill(&mut values);
        self.instance(name, shape, values)
    }

    /// The type declared as `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Rc<StructType>> {
        self.by_name.get(name)
    }

    /// Declares (or redeclares) a type; forgets the cached lookup.
    pub(crate) fn insert(&mut self, name: Rc<str>, ty: Rc<StructType>) {
        self.by_name.insert(name, ty);
        self.last = None;
        struct_pool::types_changed();
    }
}

impl Drop for StructTypes {
    /// A VM's run is over: the objects kept for reuse go too.
    fn drop(&mut self) {
        struct_pool::clear();
    }
}
