//! Struct fields kept in registers through a loop (the JIT's `promote`).
//!
//! Compiled code may keep some fields of a local's struct in its own
//! variables while a loop runs, when nothing in the loop can see the struct
//! but the loop's own field reads and assignments. Before the loop,
//! [`ruff_jit_promote`] checks that this holds for the struct the local has
//! then, and gives the fields' addresses; the loop reads and assigns the
//! variables, and every way out of it (the loop's end, a bail-out, an error)
//! writes them back to those addresses first.

use std::rc::Rc;

use crate::runtime::object::StructObj;
use crate::runtime::value::Value;
use crate::runtime::values::is_counted;

/// The fields a loop keeps in variables, by name (compiled code refers to it
/// by address, and the engine keeps it as long as the code).
#[derive(Debug, Default)]
pub struct PromotedFields {
    /// The field names, in the order of the addresses [`ruff_jit_promote`]
    /// writes.
    pub names: Vec<Rc<str>>,
}

/// Where each of `names` is in struct `s`, when every one is there and none
/// holds a reference count.
fn fields_of(s: &StructObj, names: &[Rc<str>]) -> Option<Vec<usize>> {
    names.iter().map(|name| s.index_of(name).filter(|&i| !is_counted(&s.values[i]))).collect()
}

/// Whether [`ruff_jit_promote`] would take `v` for fields `names` (the JIT
/// asks of the value a local has when a loop is compiled, to leave out a
/// promotion that would be refused at once).
pub fn promotable(v: &Value, names: &[Rc<str>]) -> bool {
    matches!(v, Value::Struct(s) if fields_of(s, names).is_some())
}

/// Gets the struct in `local` ready for its fields `fields` to live in
/// variables: when the local holds a struct that has every one of those
/// fields, none holding a reference count, the struct is made the local's
/// alone (copied when shared, as the loop's first field assignment would copy
/// it: a struct is a value) and the address of each field's value is written
/// to `out`, in the order of `fields.names`; returns 0. Anything else (another
/// kind, a missing field, a field holding a string) changes nothing and
/// returns 1: the loop then runs in the VM, which does what its instructions
/// say (raising the error of a missing field, say).
///
/// # Safety
/// `local` is an initialised value, `fields` the unit's live list, and `out`
/// has room for one pointer per name.
pub unsafe extern "C" fn ruff_jit_promote(
    local: *mut Value,
    fields: *const PromotedFields,
    out: *mut *mut Value,
) -> u32 {
    // SAFETY: the caller's contract above.
    let (local, fields) = unsafe { (&mut *local, &*fields) };
    let Value::Struct(s) = local else { return 1 };
    let Some(at) = fields_of(s, &fields.names) else { return 1 };
    let s = Rc::make_mut(s);
    for (k, i) in at.into_iter().enumerate() {
        // SAFETY: `out` has room for `fields.names.len()` pointers.
        unsafe { out.add(k).write(&mut s.values[i]) };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: Value, y: Value) -> Value {
        let shape: Rc<[Rc<str>]> = vec![Rc::from("x"), Rc::from("y")].into();
        Value::Struct(Rc::new(StructObj { name: Rc::from("P"), ty: None, shape, values: vec![x, y] }))
    }

    fn promote(local: &mut Value, names: &[&str]) -> Option<Vec<*mut Value>> {
        let fields = PromotedFields { names: names.iter().map(|n| Rc::from(*n)).collect() };
        let mut out = vec![std::ptr::null_mut(); names.len()];
        // SAFETY: an initialised local, a live list, room for every name.
        let r = unsafe { ruff_jit_promote(local, &fields, out.as_mut_ptr()) };
        (r == 0).then_some(out)
    }

    #[test]
    fn gives_the_fields_of_a_struct_that_is_the_locals_alone() {
        let mut local = point(Value::Int(1), Value::Float(2.5));
        let out = promote(&mut local, &["y", "x"]).expect("promoted");
        let Value::Struct(s) = &local else { unreachable!() };
        assert_eq!(out, vec![&s.values[1] as *const Value as *mut Value, &s.values[0] as *const Value as *mut Value]);
    }

    #[test]
    fn copies_a_shared_struct_first() {
        let mut local = point(Value::Int(1), Value::Int(2));
        let other = local.clone();
        let out = promote(&mut local, &["x"]).expect("promoted");
        let (Value::Struct(a), Value::Struct(b)) = (&local, &other) else { unreachable!() };
        assert!(!Rc::ptr_eq(a, b), "the local's struct is its own now");
        assert_eq!((Rc::strong_count(a), Rc::strong_count(b)), (1, 1));
        assert_eq!(out[0], &a.values[0] as *const Value as *mut Value);
    }

    #[test]
    fn refuses_other_values_missing_fields_and_counted_fields() {
        assert!(promote(&mut Value::Int(3), &["x"]).is_none());
        assert!(promote(&mut point(Value::Int(1), Value::Int(2)), &["x", "z"]).is_none());
        let mut text = point(Value::Int(1), Value::str("s"));
        let before = text.clone();
        assert!(promote(&mut text, &["x", "y"]).is_none());
        let (Value::Struct(a), Value::Struct(b)) = (&text, &before) else { unreachable!() };
        assert!(Rc::ptr_eq(a, b), "nothing changed");
        let names: Vec<Rc<str>> = vec![Rc::from("x")];
        assert!(promotable(&point(Value::Int(1), Value::str("s")), &names));
        assert!(!promotable(&point(Value::str("s"), Value::Int(1)), &names));
        assert!(!promotable(&Value::Null, &names));
    }
}
