//! Struct objects kept for reuse. A loop that makes a struct per iteration
//! (`v := Vec2 { ... }`, a method returning a new struct) drops the previous
//! one at about the same time; making a struct costs two allocations (the
//! `Rc` holding the `StructObj`, and its values' buffer) and dropping it two
//! frees, with the name, type and shape counts going up and down each time.
//! Counted with callgrind on such a loop in compiled code, that was about 390
//! instructions per struct, half of them in the allocator.
//!
//! So when compiled code drops the last reference to a struct
//! (`ruff_jit_drop`), the object goes here with its values dropped, its
//! buffer, name, type and shape kept; and a struct literal of the same shape
//! (`StructTypes::instance_at`) takes it back and only writes its values.
//! Which object a struct lives in is not observable in Ruff (there is no
//! identity comparison), so a reused object is the same as a new one.
//!
//! The pool is per thread (the helper that drops has no VM at hand), holds at
//! most [`SLOTS`] objects of at most [`MAX_FIELDS`] fields, and is emptied
//! when a VM's struct types are dropped (`StructTypes`' `Drop`), so a run
//! keeps nothing alive after it ends.
//!
//! Compiled code takes the latest kept object itself when it has the
//! literal's shape and name and the type its name has now ([`LiteralCache`]),
//! and moves the values in: no helper call (`framed::emit::literals` in the
//! JIT). The helper serves every other case and fills the cache.

use std::cell::Cell;
use std::rc::Rc;

use crate::runtime::heap_layout::type_bits;
use crate::runtime::object::{StructObj, StructType};
use crate::runtime::values::is_counted;

/// Objects kept at most: a loop body rarely drops more than a few structs
/// before making the next ones.
pub const SLOTS: usize = 8;
/// Larger structs are not kept: their buffers would hold memory for little
/// gain.
pub const MAX_FIELDS: usize = 16;

/// The kept objects, as plain words in cells: a thread-local without drop
/// glue is reached without the check that registers a destructor, cells need
/// no borrow flag (nothing here calls out while a slot is half written), and
/// compiled code reads and takes the latest object itself (its fields at the
/// offsets below; see [`pool`]). The pool is emptied by [`clear`] when a run
/// ends; objects still kept when a thread ends otherwise are memory only
/// (their values were released).
#[repr(C)]
pub struct Pool {
    /// Objects kept, in the first slots.
    len: Cell<u64>,
    /// Bumped whenever a struct type is declared ([`types_changed`]): a
    /// [`LiteralCache`] filled at another count knows an older type.
    generation: Cell<u64>,
    /// Each kept object's shape ([`shape_key`]), searched without reading
    /// the objects.
    shapes: [Cell<u64>; SLOTS],
    /// Each kept object's name ([`name_key`]).
    names: [Cell<u64>; SLOTS],
    /// The kept objects, each the word of an `Rc` owning one reference (what
    /// a `Value::Struct` holds as its payload).
    objs: [Cell<u64>; SLOTS],
}

impl Pool {
    /// Offsets of the fields, for compiled code (each slot array holds
    /// [`SLOTS`] words).
    pub const LEN: i32 = std::mem::offset_of!(Pool, len) as i32;
    pub const GENERATION: i32 = std::mem::offset_of!(Pool, generation) as i32;
    pub const SHAPES: i32 = std::mem::offset_of!(Pool, shapes) as i32;
    pub const NAMES: i32 = std::mem::offset_of!(Pool, names) as i32;
    pub const OBJS: i32 = std::mem::offset_of!(Pool, objs) as i32;
}

thread_local! {
    static POOL: Pool = const {
        Pool {
            len: Cell::new(0),
            generation: Cell::new(0),
            shapes: [const { Cell::new(0) }; SLOTS],
            names: [const { Cell::new(0) }; SLOTS],
            objs: [const { Cell::new(0) }; SLOTS],
        }
    };
}

/// This thread's pool, whose address compiled code holds: a VM, its tier and
/// its compiled code stay on the thread that made them (they hold `Rc`s).
pub fn pool() -> *const Pool {
    POOL.with(|p| p as *const Pool)
}

/// What the pool and compiled code compare for a shape: where its names are.
pub fn shape_key(shape: &Rc<[Rc<str>]>) -> u64 {
    shape.as_ptr() as u64
}

/// What the pool and compiled code compare for a struct's name: where its
/// text is.
pub fn name_key(name: &Rc<str>) -> u64 {
    name.as_ptr() as u64
}

/// A struct literal's knowledge of the type its name has, for compiled code
/// that reuses a kept object of its shape and name inline: an object whose
/// type word is `ty` while the pool's generation is still `generation`
/// (no type declared since this was filled) has the type the literal would
/// give it. Filled by the literal's helper.
#[repr(C)]
#[derive(Debug)]
pub struct LiteralCache {
    generation: u64,
    ty: u64,
}

impl Default for LiteralCache {
    /// Matches nothing: the generation never counts this high.
    fn default() -> LiteralCache {
        LiteralCache { generation: u64::MAX, ty: 0 }
    }
}

impl LiteralCache {
    /// Offsets of the fields, for compiled code.
    pub const GENERATION: i32 = std::mem::offset_of!(LiteralCache, generation) as i32;
    pub const TY: i32 = std::mem::offset_of!(LiteralCache, ty) as i32;

    /// Remembers that the literal's name has type `ty` (none: 0) now.
    pub(crate) fn fill(&mut self, ty: Option<&Rc<StructType>>) {
        self.generation = POOL.with(|p| p.generation.get());
        self.ty = ty.map_or(0, type_bits);
    }
}

/// A struct type was declared: literal caches filled before know an older
/// type for its name.
pub(crate) fn types_changed() {
    POOL.with(|p| p.generation.set(p.generation.get() + 1));
}

/// The word of `obj` (it owns the reference).
fn into_word(obj: Rc<StructObj>) -> u64 {
    const _: () = assert!(std::mem::size_of::<Rc<StructObj>>() == 8);
    // SAFETY: an `Rc` of a sized type is one initialised pointer.
    let word = unsafe { std::mem::transmute_copy::<Rc<StructObj>, u64>(&obj) };
    std::mem::forget(obj);
    word
}

/// # Safety
/// `word` came from [`into_word`], and its reference is taken once.
unsafe fn from_word(word: u64) -> Rc<StructObj> {
    // SAFETY: the caller's contract; the inverse of `into_word`.
    unsafe { std::mem::transmute::<u64, Rc<StructObj>>(word) }
}

/// Keeps `obj`, the only reference to its struct, for a later literal of its
/// shape: drops its values (keeping the buffer). A struct with more than
/// [`MAX_FIELDS`] fields, one still referenced elsewhere, or one arriving when
/// the pool is full is dropped as usual.
#[inline]
pub(crate) fn recycle(mut obj: Rc<StructObj>) {
    let Some(s) = Rc::get_mut(&mut obj) else { return };
    if s.values.capacity() > MAX_FIELDS {
        return;
    }
    // Dropping the values runs no Ruff code and does not come back here (a
    // field's struct goes through `Rc`'s own drop), so the pool is not
    // changed meanwhile. Only counted values have anything to release (the
    // drop glue is a call even for an int).
    let len = s.values.len();
    let at = s.values.as_mut_ptr();
    // SAFETY: the vector forgets its values first, then each is dropped once.
    unsafe {
        s.values.set_len(0);
        for i in 0..len {
            if is_counted(&*at.add(i)) {
                std::ptr::drop_in_place(at.add(i));
            }
        }
    }
    let (shape, name) = (shape_key(&s.shape), name_key(&s.name));
    POOL.with(|p| {
        let n = p.len.get() as usize;
        if n < SLOTS {
            p.shapes[n].set(shape);
            p.names[n].set(name);
            p.objs[n].set(into_word(obj));
            p.len.set(n as u64 + 1);
        }
    });
}

/// A kept object made with this very shape (the same allocation), its values
/// empty, if there is one.
#[inline]
pub(crate) fn take(shape: &Rc<[Rc<str>]>) -> Option<Rc<StructObj>> {
    let want = shape_key(shape);
    POOL.with(|p| {
        let n = (p.len.get() as usize).min(SLOTS);
        // The latest first: a loop drops a struct and makes the next one.
        let mut i = n;
        loop {
            if i == 0 {
                return None;
            }
            i -= 1;
            if p.shapes[i].get() == want {
                break;
            }
        }
        let obj = p.objs[i].get();
        p.shapes[i].set(p.shapes[n - 1].get());
        p.names[i].set(p.names[n - 1].get());
        p.objs[i].set(p.objs[n - 1].get());
        p.len.set(n as u64 - 1);
        // SAFETY: the slot owned this reference, and no longer lists it. A
        // kept shape is alive (its object holds it), so no other shape has
        // its address.
        Some(unsafe { from_word(obj) })
    })
}

/// Drops every kept object.
pub(crate) fn clear() {
    // Each is taken out of the pool before it is dropped, so that nothing
    // runs while a slot is half written.
    let _ = POOL.try_with(|p| {
        while p.len.get() > 0 {
            let n = p.len.get() - 1;
            p.len.set(n);
            // SAFETY: the slot owned this reference, and no longer lists it.
            drop(unsafe { from_word(p.objs[n as usize].get()) });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::value::Value;

    fn obj(shape: &Rc<[Rc<str>]>, values: Vec<Value>) -> Rc<StructObj> {
        Rc::new(StructObj { name: Rc::from("P"), ty: None, shape: shape.clone(), values })
    }

    #[test]
    fn a_recycled_struct_comes_back_empty_for_its_own_shape_only() {
        clear();
        let xy: Rc<[Rc<str>]> = vec![Rc::from("x"), Rc::from("y")].into();
        let same_names: Rc<[Rc<str>]> = vec![Rc::from("x"), Rc::from("y")].into();
        let text = Value::Str(Rc::new("held".to_string()));
        let a = obj(&xy, vec![Value::Int(1), text.clone()]);
        let addr = Rc::as_ptr(&a);
        recycle(a);
        assert!(take(&same_names).is_none(), "another shape allocation, though of the same names");
        let back = take(&xy).expect("kept");
        assert_eq!(Rc::as_ptr(&back), addr);
        assert!(back.values.is_empty() && back.values.capacity() >= 2);
        // The string field was released: `text` is its only holder again.
        let Value::Str(s) = &text else { unreachable!() };
        assert_eq!(Rc::strong_count(s), 1);
        assert!(take(&xy).is_none(), "taken once");
        clear();
    }

    #[test]
    fn shared_large_and_surplus_structs_are_not_kept() {
        clear();
        let xy: Rc<[Rc<str>]> = vec![Rc::from("x"), Rc::from("y")].into();
        let shared = obj(&xy, vec![Value::Int(1), Value::Int(2)]);
        let other = shared.clone();
        recycle(shared);
        assert!(take(&xy).is_none(), "still referenced");
        assert_eq!(other.values.len(), 2, "left intact");

        let wide: Rc<[Rc<str>]> = (0..=MAX_FIELDS).map(|i| Rc::from(format!("f{i}"))).collect::<Vec<_>>().into();
        recycle(obj(&wide, (0..=MAX_FIELDS as i64).map(Value::Int).collect()));
        assert!(take(&wide).is_none(), "too many fields");

        for i in 0..SLOTS + 3 {
            recycle(obj(&xy, vec![Value::Int(i as i64), Value::Int(0)]));
        }
        let mut back = 0;
        while take(&xy).is_some() {
            back += 1;
        }
        assert_eq!(back, SLOTS);
        recycle(obj(&xy, vec![Value::Int(1), Value::Int(2)]));
        clear();
        assert!(take(&xy).is_none(), "cleared");
    }
}
