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

use std::cell::RefCell;
use std::rc::Rc;

use crate::runtime::object::StructObj;
use crate::runtime::values::is_counted;

/// Objects kept at most: a loop body rarely drops more than a few structs
/// before making the next ones.
const SLOTS: usize = 8;
/// Larger structs are not kept: their buffers would hold memory for little
/// gain.
const MAX_FIELDS: usize = 16;

thread_local! {
    static POOL: RefCell<Vec<Rc<StructObj>>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `obj`, the only reference to its struct, for a later literal of its
/// shape: drops its values (keeping the buffer). A struct with more than
/// [`MAX_FIELDS`] fields, one still referenced elsewhere, or one arriving when
/// the pool is full is dropped as usual.
pub(crate) fn recycle(mut obj: Rc<StructObj>) {
    let Some(s) = Rc::get_mut(&mut obj) else { return };
    if s.values.capacity() > MAX_FIELDS {
        return;
    }
    // Dropping the values runs no Ruff code and does not come back here (a
    // field's struct goes through `Rc`'s own drop), so the pool is not
    // borrowed twice. Only counted values have anything to release (the drop
    // glue is a call even for an int).
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
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < SLOTS {
            if p.capacity() == 0 {
                p.reserve_exact(SLOTS);
            }
            p.push(obj);
        }
    });
}

/// A kept object made with this very shape (the same allocation), its values
/// empty, if there is one.
pub(crate) fn take(shape: &Rc<[Rc<str>]>) -> Option<Rc<StructObj>> {
    POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        let i = p.iter().rposition(|o| Rc::ptr_eq(&o.shape, shape))?;
        Some(p.swap_remove(i))
    })
    .ok()
    .flatten()
}

/// Drops every kept object.
pub(crate) fn clear() {
    // Taken out before they are dropped, so that nothing runs while the pool
    // is borrowed.
    let kept = POOL.try_with(|p| std::mem::take(&mut *p.borrow_mut())).unwrap_or_default();
    drop(kept);
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
