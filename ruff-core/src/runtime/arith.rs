//! Arithmetic on values (§5.3): checked i64, float rules, string concatenation,
//! and the exact error texts. The VM inlines the int/int fast paths and calls these
//! for everything else; the JIT's helpers call them too.

use super::error::{fail, RuntimeError};
use super::format::debug;
use super::value::Value;
use crate::syntax::ast::BinOp;

/// The operator's symbol in messages.
pub fn symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
    }
}

/// `Invalid binary operation: LT OP RT`.
pub fn invalid(op: BinOp, a: &Value, b: &Value) -> RuntimeError {
    RuntimeError::new(format!("Invalid binary operation: {} {} {}", a.op_type_name(), symbol(op), b.op_type_name()))
}

fn overflow(a: i64, op: BinOp, b: i64) -> RuntimeError {
    RuntimeError::new(format!("Integer overflow: {a} {} {b}", symbol(op)))
}

/// Checked integer arithmetic with the reference's errors.
pub fn int_op(op: BinOp, a: i64, b: i64) -> Result<i64, RuntimeError> {
    let r = match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div => {
            if b == 0 {
                return fail("Division by zero");
            }
            a.checked_div(b)
        }
        BinOp::Mod => {
            if b == 0 {
                return fail("Modulo by zero");
            }
            a.checked_rem(b)
        }
        _ => unreachable!("int_op on comparison"),
    };
    r.ok_or_else(|| overflow(a, op, b))
}

/// Float arithmetic (`%` is fmod); division and modulo by zero are errors.
pub fn float_op(op: BinOp, a: f64, b: f64) -> Result<f64, RuntimeError> {
    Ok(match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => {
            if b == 0.0 {
                return fail("Division by zero");
            }
            a / b
        }
        BinOp::Mod => {
            if b == 0.0 {
                return fail("Modulo by zero");
            }
            a % b
        }
        _ => unreachable!("float_op on comparison"),
    })
}

/// `a OP b` for the arithmetic operators, without operator overloading (the VM
/// handles structs before calling this).
pub fn arith(op: BinOp, a: &Value, b: &Value) -> Result<Value, RuntimeError> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => int_op(op, *x, *y).map(Value::Int),
        (Value::Float(x), Value::Float(y)) => float_op(op, *x, *y).map(Value::Float),
        (Value::Int(x), Value::Float(y)) => float_op(op, *x as f64, *y).map(Value::Float),
        (Value::Float(x), Value::Int(y)) => float_op(op, *x, *y as f64).map(Value::Float),
        (Value::Str(x), Value::Str(y)) if op == BinOp::Add => Ok(join(x, y)),
        _ => Err(invalid(op, a, b)),
    }
}

/// `x + y` on two strings: a new string of exactly their joined length
/// (inlined into both callers, as it was written out in each before).
#[inline(always)]
pub fn join(x: &str, y: &str) -> Value {
    let mut s = String::with_capacity(x.len() + y.len());
    s.push_str(x);
    s.push_str(y);
    Value::str(s)
}

/// Unary minus.
pub fn negate(v: &Value) -> Result<Value, RuntimeError> {
    match v {
        Value::Int(i) => {
            i.checked_neg().map(Value::Int).ok_or_else(|| RuntimeError::new(format!("Integer overflow: -({i})")))
        }
        Value::Float(f) => Ok(Value::Float(-f)),
        other => fail(format!("Invalid unary operation: - {}", debug(other))),
    }
}

/// Logical not (bools only).
pub fn not(v: &Value) -> Result<Value, RuntimeError> {
    match v {
        Value::Bool(b) => Ok(Value::Bool(!b)),
        other => fail(format!("Invalid unary operation: ! {}", debug(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_rules() {
        assert_eq!(int_op(BinOp::Div, -7, 2).unwrap(), -3);
        assert_eq!(int_op(BinOp::Mod, -7, 3).unwrap(), -1);
        assert_eq!(int_op(BinOp::Mod, 7, -3).unwrap(), 1);
        assert_eq!(int_op(BinOp::Add, i64::MAX, 1).unwrap_err().message, "Integer overflow: 9223372036854775807 + 1");
        assert_eq!(
            int_op(BinOp::Div, i64::MIN, -1).unwrap_err().message,
            "Integer overflow: -9223372036854775808 / -1"
        );
        assert_eq!(int_op(BinOp::Div, 1, 0).unwrap_err().message, "Division by zero");
        assert_eq!(int_op(BinOp::Mod, 1, 0).unwrap_err().message, "Modulo by zero");
    }

    #[test]
    fn invalid_operands_name_both_types() {
        let e = arith(BinOp::Add, &Value::str("a"), &Value::Int(1)).unwrap_err();
        assert_eq!(e.message, "Invalid binary operation: string + int");
    }
}
