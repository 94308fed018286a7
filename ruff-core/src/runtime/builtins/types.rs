//! Types and conversion (§8.6): `type`, conversions to int, float, string and
//! bool, the `is_*` predicates and `error`. Display rendering itself lives in
//! `runtime::format`; truthiness in `Value::truthy`.

use super::arg::arg_str;
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::display;
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The types library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("type", Arity::Exact(1), type_of),
    Builtin::new("type_of", Arity::Exact(1), type_of),
    Builtin::new("to_string", Arity::Exact(1), to_string),
    Builtin::new("str", Arity::Exact(1), to_string),
    Builtin::new("to_int", Arity::Exact(1), to_int),
    Builtin::new("to_float", Arity::Exact(1), to_float),
    Builtin::new("to_bool", Arity::Exact(1), to_bool),
    Builtin::new("parse_int", Arity::Exact(1), parse_int),
    Builtin::new("parse_float", Arity::Exact(1), parse_float),
    Builtin::new("is_int", Arity::Exact(1), is_int),
    Builtin::new("is_float", Arity::Exact(1), is_float),
    Builtin::new("is_string", Arity::Exact(1), is_string),
    Builtin::new("is_bool", Arity::Exact(1), is_bool),
    Builtin::new("is_array", Arity::Exact(1), is_array),
    Builtin::new("is_dict", Arity::Exact(1), is_dict),
    Builtin::new("is_null", Arity::Exact(1), is_null),
    Builtin::new("is_function", Arity::Exact(1), is_function),
    Builtin::new("is_truthy", Arity::Exact(1), is_truthy),
    Builtin::new("error", Arity::Exact(1), error),
];

fn type_of(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::str(args[0].type_name()))
}

fn to_string(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if let Value::Str(_) = &args[0] {
        return Ok(std::mem::take(&mut args[0]));
    }
    Ok(Value::str(display(&args[0])))
}

/// The type word in `Cannot convert TYPE to int` (§8.6).
fn conversion_word(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::Dict(_) => "dict",
        Value::Null => "null",
        _ => "value",
    }
}

fn to_int(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match &args[0] {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(f) if f.is_finite() => Ok(Value::Int(f.trunc() as i64)),
        Value::Float(f) => fail(format!("Cannot convert '{}' to int", display(&Value::Float(*f)))),
        Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
        Value::Str(s) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => fail(format!("Cannot convert '{s}' to int")),
        },
        other => fail(format!("Cannot convert {} to int", conversion_word(other))),
    }
}

fn to_float(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match &args[0] {
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(f) => Ok(Value::Float(*f)),
        Value::Bool(b) => Ok(Value::Float(if *b { 1.0 } else { 0.0 })),
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(f) => Ok(Value::Float(f)),
            Err(_) => fail(format!("Cannot convert '{s}' to float")),
        },
        other => fail(format!("Cannot convert {} to float", conversion_word(other))),
    }
}

fn to_bool(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(match &args[0] {
        Value::Str(s) => {
            let t = s.as_str();
            !(t.is_empty() || t.eq_ignore_ascii_case("false") || t == "0")
        }
        other => other.truthy(),
    }))
}

fn parse_int(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "parse_int requires a string argument")?;
    match s.trim().parse::<i64>() {
        Ok(i) => Ok(Value::Int(i)),
        Err(_) => fail(format!("Cannot parse '{s}' as integer")),
    }
}

fn parse_float(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "parse_float requires a string argument")?;
    match s.trim().parse::<f64>() {
        Ok(f) => Ok(Value::Float(f)),
        Err(_) => fail(format!("Cannot parse '{s}' as float")),
    }
}

fn is_int(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Int(_))))
}

fn is_float(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Float(_))))
}

fn is_string(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Str(_))))
}

fn is_bool(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Bool(_))))
}

fn is_array(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Array(_))))
}

fn is_dict(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Dict(_))))
}

fn is_null(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(args[0].is_null()))
}

/// True for builtins and, deliberately unlike upstream (§11 allows the fix), for
/// user functions and closures too.
fn is_function(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(matches!(args[0], Value::Func(_) | Value::Native(_))))
}

fn is_truthy(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(args[0].truthy()))
}

fn error(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    fail(display(&args[0]))
}
