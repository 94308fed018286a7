//! Core value builtins needed by every program: length, append, type, display,
//! integer parsing and raising errors.

use std::rc::Rc;

use super::{arg_str, Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::display;
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The core conversion library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("len", Arity::Exact(1), len),
    Builtin::new("push", Arity::Exact(2), push),
    Builtin::new("append", Arity::Exact(2), push),
    Builtin::new("type", Arity::Exact(1), type_of),
    Builtin::new("type_of", Arity::Exact(1), type_of),
    Builtin::new("to_string", Arity::Exact(1), to_string),
    Builtin::new("str", Arity::Exact(1), to_string),
    Builtin::new("parse_int", Arity::Exact(1), parse_int),
    Builtin::new("error", Arity::Exact(1), error),
];

fn len(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let n = match &args[0] {
        Value::Str(s) => {
            if s.is_ascii() {
                s.len()
            } else {
                s.chars().count()
            }
        }
        Value::Array(a) | Value::Set(a) | Value::Stack(a) => a.len(),
        Value::Dict(d) => d.len(),
        Value::Queue(q) => q.len(),
        _ => return fail("len() requires an array, dict, bytes, set, queue, stack, or string"),
    };
    Ok(Value::Int(n as i64))
}

/// Appends without copying when the array is not shared (the VM's `CallUpdate`
/// moves `arr` out of its variable for `arr := push(arr, x)`).
fn push(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if !matches!(args[0], Value::Array(_)) {
        return fail("push() requires an array as the first argument");
    }
    let item = std::mem::take(&mut args[1]);
    let Value::Array(mut arr) = std::mem::take(&mut args[0]) else { unreachable!("checked above") };
    Rc::make_mut(&mut arr).push(item);
    Ok(Value::Array(arr))
}

fn type_of(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::str(args[0].type_name()))
}

fn to_string(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if let Value::Str(_) = &args[0] {
        return Ok(std::mem::take(&mut args[0]));
    }
    Ok(Value::str(display(&args[0])))
}

fn parse_int(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "parse_int requires a string argument")?;
    match s.trim().parse::<i64>() {
        Ok(i) => Ok(Value::Int(i)),
        Err(_) => fail(format!("Cannot parse '{s}' as integer")),
    }
}

fn error(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    fail(display(&args[0]))
}
