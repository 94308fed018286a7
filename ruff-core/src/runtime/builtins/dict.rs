//! Dict builtins (§8.4): keys, values and items in key order, lookups with
//! defaults, merging and inverting. Key normalisation (`"1"` and `1` are one key)
//! is `Key::from_text` in `runtime::object`. `remove(dict, k)` shares its name
//! with the array builtin and lives in `array`; `len` is there too.

use std::rc::Rc;

use super::string::key_of;
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::display;
use crate::runtime::object::{Dict, Key};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The dict library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("keys", Arity::Exact(1), keys),
    Builtin::new("values", Arity::Exact(1), values),
    Builtin::new("items", Arity::Exact(1), items),
    Builtin::new("has_key", Arity::Exact(2), has_key),
    Builtin::new("get", Arity::Range(2, 3), get),
    Builtin::new("get_default", Arity::Exact(3), get),
    Builtin::new("merge", Arity::Exact(2), merge),
    Builtin::new("update", Arity::Exact(2), merge),
    Builtin::new("invert", Arity::Exact(1), invert),
    Builtin::new("dict", Arity::Exact(0), dict),
];

/// Sorted entries of a dict argument; non-dicts have none (§8.4).
fn sorted_entries(v: &Value) -> Vec<(String, Value)> {
    match v {
        Value::Dict(d) => d.sorted().into_iter().map(|(k, v)| (k, v.clone())).collect(),
        _ => Vec::new(),
    }
}

fn keys(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::array(sorted_entries(&args[0]).into_iter().map(|(k, _)| Value::str(k)).collect()))
}

fn values(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::array(sorted_entries(&args[0]).into_iter().map(|(_, v)| v).collect()))
}

fn items(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::array(sorted_entries(&args[0]).into_iter().map(|(k, v)| Value::array(vec![Value::str(k), v])).collect()))
}

/// `1` or `0` (kept from upstream).
fn has_key(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let found = match (&args[0], key_of(&args[1])) {
        (Value::Dict(d), Some(k)) => d.contains(&k),
        (Value::Dict(_), None) => false,
        _ => return fail("has_key() requires a dict as the first argument"),
    };
    Ok(Value::Int(i64::from(found)))
}

/// `get(d, k[, default])` and `get_default(d, k, default)`.
fn get(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let Value::Dict(d) = &args[0] else { return fail("get() requires a dict as the first argument") };
    match key_of(&args[1]).and_then(|k| d.get(&k)) {
        Some(v) => Ok(v.clone()),
        None => Ok(args.get_mut(2).map(std::mem::take).unwrap_or_default()),
    }
}

/// A new dict with `b`'s entries over `a`'s (an unshared `a` is extended in place).
fn merge(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Dict(_), Value::Dict(b)) = (&args[0], &args[1]) else {
        return fail("merge() requires two dict arguments");
    };
    let b = b.clone();
    let Value::Dict(mut a) = std::mem::take(&mut args[0]) else { unreachable!("checked above") };
    let target = Rc::make_mut(&mut a);
    for (k, v) in b.iter() {
        target.insert(k.clone(), v.clone());
    }
    Ok(Value::Dict(a))
}

/// Values (in display form) become keys and keys become string values; for equal
/// values the last key in insertion order wins.
fn invert(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let Value::Dict(d) = &args[0] else { return fail("invert() requires a dict argument") };
    let mut out = Dict::with_capacity(d.len());
    for (k, v) in d.iter() {
        out.insert(Key::from_text(&display(v)), k.to_value());
    }
    Ok(Value::Dict(Rc::new(out)))
}

fn dict(_: &mut Vm, _: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Dict(Rc::new(Dict::new())))
}
