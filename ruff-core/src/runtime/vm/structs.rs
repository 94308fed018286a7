//! The struct types a program has declared, by name. A struct literal looks its
//! type up each time it runs, usually in a loop that makes many instances, so
//! the last name looked up is remembered with what it found: the literal's name
//! constant is the same allocation every time, and one pointer comparison then
//! replaces hashing the name.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::runtime::object::{StructObj, StructType};
use crate::runtime::value::Value;

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
        if let Some((n, found)) = &self.last {
            if Rc::ptr_eq(n, name) {
                return found.clone();
            }
        }
        let found = self.by_name.get(name).cloned();
        self.last = Some((name.clone(), found.clone()));
        found
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

    /// The type declared as `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Rc<StructType>> {
        self.by_name.get(name)
    }

    /// Declares (or redeclares) a type; forgets the cached lookup.
    pub(crate) fn insert(&mut self, name: Rc<str>, ty: Rc<StructType>) {
        self.by_name.insert(name, ty);
        self.last = None;
    }
}
