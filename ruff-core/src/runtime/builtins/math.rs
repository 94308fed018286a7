//! Math builtins (§8.5): one-argument float functions, `pow`/`min`/`max`, integer
//! bit operations, and the constants `PI` and `E` (served by [`constant`], not by
//! the builtin table, because they are values rather than functions). Results of
//! the float functions are always floats, even for int arguments (kept from
//! upstream).

use super::arg::number;
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::debug;
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The math library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("abs", Arity::Exact(1), abs),
    Builtin::new("sqrt", Arity::Exact(1), sqrt),
    Builtin::new("floor", Arity::Exact(1), floor),
    Builtin::new("ceil", Arity::Exact(1), ceil),
    Builtin::new("round", Arity::Exact(1), round),
    Builtin::new("sin", Arity::Exact(1), sin),
    Builtin::new("cos", Arity::Exact(1), cos),
    Builtin::new("tan", Arity::Exact(1), tan),
    Builtin::new("log", Arity::Exact(1), log),
    Builtin::new("exp", Arity::Exact(1), exp),
    Builtin::new("pow", Arity::Any, pow),
    Builtin::new("min", Arity::Any, min),
    Builtin::new("max", Arity::Any, max),
    Builtin::new("bit_and", Arity::Exact(2), bit_and),
    Builtin::new("bit_or", Arity::Exact(2), bit_or),
    Builtin::new("bit_xor", Arity::Exact(2), bit_xor),
    Builtin::new("bit_not", Arity::Exact(1), bit_not),
    Builtin::new("bit_shl", Arity::Exact(2), bit_shl),
    Builtin::new("bit_shr", Arity::Exact(2), bit_shr),
];

/// `PI` and `E`; `None` for every other name.
pub fn constant(name: &str) -> Option<Value> {
    match name {
        "PI" => Some(Value::Float(std::f64::consts::PI)),
        "E" => Some(Value::Float(std::f64::consts::E)),
        _ => None,
    }
}

/// The single numeric argument of `name`, with upstream's exact error text
/// (including the space before the comma).
fn one(args: &[Value], name: &str) -> Result<f64, RuntimeError> {
    match number(&args[0]) {
        Some(x) => Ok(x),
        None => fail(format!("{name}() expects numeric argument 'value' , got {}", debug(&args[0]))),
    }
}

fn abs(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "abs")?.abs()))
}

fn sqrt(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let x = one(args, "sqrt")?;
    if x < 0.0 {
        return fail("sqrt() domain error: value must be >= 0");
    }
    Ok(Value::Float(x.sqrt()))
}

fn floor(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "floor")?.floor()))
}

fn ceil(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "ceil")?.ceil()))
}

/// Half away from zero (`round(2.5)` is 3, `round(-2.5)` is -3).
fn round(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "round")?.round()))
}

fn sin(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "sin")?.sin()))
}

fn cos(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "cos")?.cos()))
}

fn tan(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "tan")?.tan()))
}

fn log(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let x = one(args, "log")?;
    if x <= 0.0 {
        return fail("log() domain error: value must be > 0");
    }
    Ok(Value::Float(x.ln()))
}

fn exp(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Float(one(args, "exp")?.exp()))
}

/// Exactly two numbers, or `NAME() expects 2 arguments` /
/// `NAME() expects numeric arguments`.
fn two(args: &[Value], name: &str) -> Result<(f64, f64), RuntimeError> {
    if args.len() != 2 {
        return fail(format!("{name}() expects 2 arguments"));
    }
    match (number(&args[0]), number(&args[1])) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => fail(format!("{name}() expects numeric arguments")),
    }
}

fn pow(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (a, b) = two(args, "pow")?;
    Ok(Value::Float(a.powf(b)))
}

fn min(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (a, b) = two(args, "min")?;
    Ok(Value::Float(a.min(b)))
}

fn max(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (a, b) = two(args, "max")?;
    Ok(Value::Float(a.max(b)))
}

/// The int arguments of a bit operation.
fn ints<const N: usize>(args: &[Value], name: &str) -> Result<[i64; N], RuntimeError> {
    let mut out = [0; N];
    for (slot, v) in out.iter_mut().zip(args.iter()) {
        match v {
            Value::Int(i) => *slot = *i,
            _ => return fail(format!("{name}() expects integer arguments")),
        }
    }
    Ok(out)
}

fn bit_and(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let [a, b] = ints(args, "bit_and")?;
    Ok(Value::Int(a & b))
}

fn bit_or(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let [a, b] = ints(args, "bit_or")?;
    Ok(Value::Int(a | b))
}

fn bit_xor(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let [a, b] = ints(args, "bit_xor")?;
    Ok(Value::Int(a ^ b))
}

fn bit_not(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let [a] = ints(args, "bit_not")?;
    Ok(Value::Int(!a))
}

/// The value and a shift amount in `0..=63`.
fn shift(args: &[Value], name: &str) -> Result<(i64, u32), RuntimeError> {
    let [a, n] = ints(args, name)?;
    if !(0..=63).contains(&n) {
        return fail(format!("{name}() expects a shift amount between 0 and 63"));
    }
    Ok((a, n as u32))
}

/// Bits shifted past the top are lost (no overflow error).
fn bit_shl(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (a, n) = shift(args, "bit_shl")?;
    Ok(Value::Int(a.wrapping_shl(n)))
}

/// Arithmetic shift: the sign bit is copied in.
fn bit_shr(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (a, n) = shift(args, "bit_shr")?;
    Ok(Value::Int(a >> n))
}
