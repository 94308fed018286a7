//! Builtins that call back into Ruff (§8.3): `map`, `filter`, `reduce`, `find`,
//! `any`, `all`. Callbacks are ordinary function values (closures or builtins)
//! called as `Vm::call_value` calls them (through a [`Callback`], which enters
//! pure native code with less ceremony from the second element on) with exactly
//! one argument (`reduce`: two), so a wrong callback arity is the callee's usual
//! arity error. All are registered
//! with `Builtin::with_callbacks` so the VM never moves a variable into them
//! while Ruff code could still observe it.

use std::rc::Rc;

use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::values::{overwrite, Values};
use crate::runtime::vm::{Callback, Vm};

/// The functional library.
pub static TABLE: &[Builtin] = &[
    Builtin::with_callbacks("map", Arity::Exact(2), map),
    Builtin::with_callbacks("filter", Arity::Exact(2), filter),
    Builtin::with_callbacks("reduce", Arity::Exact(3), reduce),
    Builtin::with_callbacks("find", Arity::Exact(2), find),
    Builtin::with_callbacks("any", Arity::Exact(2), any),
    Builtin::with_callbacks("all", Arity::Exact(2), all),
];

fn is_callable(v: &Value) -> bool {
    matches!(v, Value::Func(_) | Value::Native(_))
}

/// The array and callback at `args[a]` and `args[f]`, or `NAME expects an array
/// and a function`. The array is a shared handle, so the callback may do
/// anything without disturbing the iteration.
fn array_and_fn(args: &[Value], a: usize, f: usize, name: &str) -> Result<(Rc<Values>, Callback), RuntimeError> {
    match (&args[a], &args[f]) {
        (Value::Array(arr), func) if is_callable(func) => Ok((arr.clone(), Callback::new(func.clone()))),
        _ => fail(format!("{name} expects an array and a function")),
    }
}

fn map(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (arr, mut f) = array_and_fn(args, 0, 1, "map")?;
    let mut out = Vec::with_capacity(arr.len());
    let mut r = Value::Null;
    for v in arr.iter() {
        f.call_into(vm, std::slice::from_ref(v), &mut r)?;
        out.push(std::mem::take(&mut r));
    }
    Ok(Value::array(out))
}

fn filter(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (arr, mut f) = array_and_fn(args, 0, 1, "filter")?;
    let mut out = Vec::new();
    for v in arr.iter() {
        if f.call_truthy(vm, std::slice::from_ref(v))? {
            out.push(v.clone());
        }
    }
    Ok(Value::array(out))
}

/// `reduce(a, init, f)` calls `f(acc, x)` left to right.
fn reduce(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (arr, mut f) = array_and_fn(args, 0, 2, "reduce")?;
    let mut pair = [std::mem::take(&mut args[1]), Value::Null];
    let mut r = Value::Null;
    for v in arr.iter() {
        overwrite(&mut pair[1], v.clone());
        f.call_into(vm, &pair, &mut r)?;
        overwrite(&mut pair[0], std::mem::take(&mut r));
    }
    let [acc, _] = pair;
    Ok(acc)
}

/// The first element whose callback result is truthy, or `0` (kept from
/// upstream) when there is none.
fn find(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (arr, mut f) = array_and_fn(args, 0, 1, "find")?;
    for v in arr.iter() {
        if f.call_truthy(vm, std::slice::from_ref(v))? {
            return Ok(v.clone());
        }
    }
    Ok(Value::Int(0))
}

fn any(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (arr, mut f) = array_and_fn(args, 0, 1, "any")?;
    for v in arr.iter() {
        if f.call_truthy(vm, std::slice::from_ref(v))? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn all(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (arr, mut f) = array_and_fn(args, 0, 1, "all")?;
    for v in arr.iter() {
        if !f.call_truthy(vm, std::slice::from_ref(v))? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}
