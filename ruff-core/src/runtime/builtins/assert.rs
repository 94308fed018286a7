//! Assertion and debugging builtins (§8.7). Failures are ordinary catchable
//! runtime errors whose texts embed the debug form of §7.3 (`runtime::format`);
//! `debug(...)` prints its own variant of that form (`String("a")`,
//! `Array[Int(1)]`), rendered here.

use std::fmt::Write;

use super::string::key_of;
use super::{Arity, Builtin};
use crate::runtime::compare::equal;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::{debug as debug_form, display};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The assert library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("assert", Arity::Range(1, 2), assert),
    Builtin::new("assert_equal", Arity::Exact(2), assert_equal),
    Builtin::new("assert_true", Arity::Exact(1), assert_true),
    Builtin::new("assert_false", Arity::Exact(1), assert_false),
    Builtin::new("assert_contains", Arity::Exact(2), assert_contains),
    Builtin::new("debug", Arity::Any, debug),
];

fn assert(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if args[0].truthy() {
        return Ok(Value::Bool(true));
    }
    match args.get(1) {
        Some(msg) => fail(display(msg)),
        None => fail("Assertion failed"),
    }
}

fn assert_equal(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    if equal(&args[0], &args[1]) {
        return Ok(Value::Bool(true));
    }
    fail(format!("Assertion failed: expected {}, got {}", debug_form(&args[1]), debug_form(&args[0])))
}

fn expect_bool(args: &[Value], want: bool, name: &str) -> Result<Value, RuntimeError> {
    match args[0] {
        Value::Bool(b) if b == want => Ok(Value::Bool(true)),
        Value::Bool(b) => fail(format!("Assertion failed: expected {want}, got {b}")),
        _ => fail(format!("{name}() requires a bool argument")),
    }
}

fn assert_true(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    expect_bool(args, true, "assert_true")
}

fn assert_false(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    expect_bool(args, false, "assert_false")
}

/// Arrays and sets by `==`, strings by substring, dicts by key.
fn assert_contains(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let found = match (&args[0], &args[1]) {
        (Value::Array(a) | Value::Set(a) | Value::Stack(a), v) => a.iter().any(|x| equal(x, v)),
        (Value::Queue(q), v) => q.iter().any(|x| equal(x, v)),
        (Value::Str(s), Value::Str(sub)) => s.contains(sub.as_str()),
        (Value::Dict(d), k) => key_of(k).is_some_and(|k| d.contains(&k)),
        _ => false,
    };
    if found {
        return Ok(Value::Bool(true));
    }
    fail(format!("Assertion failed: {} does not contain {}", debug_form(&args[0]), debug_form(&args[1])))
}

/// The variant debug form `debug(...)` prints: strings as `String("a")`, arrays
/// with their elements, dicts with sorted entries; other values as in §7.3.
fn write_variant(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Str(s) => {
            let _ = write!(out, "String({:?})", s.as_str());
        }
        Value::Array(a) if depth < 64 => {
            out.push_str("Array[");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_variant(out, x, depth + 1);
            }
            out.push(']');
        }
        Value::Dict(d) if depth < 64 => {
            out.push_str("Dict{");
            for (i, (k, x)) in d.sorted().into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k:?}: ");
                write_variant(out, x, depth + 1);
            }
            out.push('}');
        }
        other => out.push_str(&debug_form(other)),
    }
}

fn debug(vm: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let mut line = String::from("[DEBUG]");
    for v in args.iter() {
        line.push(' ');
        write_variant(&mut line, v, 0);
    }
    line.push('\n');
    vm.write_out(&line)?;
    Ok(Value::Null)
}
