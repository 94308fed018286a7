//! The fast paths of the superinstructions (`bytecode::fuse`): ints and floats
//! only. `None` sends the dispatch loop down the slow path, which runs the
//! original instructions one by one (and raises their errors, such as overflow,
//! at their own pcs).

use crate::bytecode::proto::feedback;
use crate::bytecode::{Arith, Cmp};
use crate::runtime::value::Value;

/// `x op y` for two numbers, with the feedback bits the arithmetic instruction
/// would have recorded.
#[inline(always)]
pub(super) fn arith(op: Arith, x: &Value, y: &Value) -> Option<(Value, u8)> {
    match (x, y) {
        (Value::Int(a), Value::Int(b)) => {
            let r = match op {
                Arith::Add => a.checked_add(*b),
                Arith::Sub => a.checked_sub(*b),
                Arith::Mul => a.checked_mul(*b),
            }?;
            Some((Value::Int(r), feedback::INT))
        }
        _ => {
            let (a, b) = super::dispatch::float_pair(x, y)?;
            let r = match op {
                Arith::Add => a + b,
                Arith::Sub => a - b,
                Arith::Mul => a * b,
            };
            Some((Value::Float(r), feedback::FLOAT))
        }
    }
}

/// Whether `x cmp k` holds for a local `x` and an int constant `k`, with the
/// feedback bits the compare-and-branch would have recorded. Float equality has
/// its epsilon rule and stays on the slow path.
#[inline(always)]
pub(super) fn compare_int(cmp: Cmp, x: &Value, k: i32) -> Option<(bool, u8)> {
    match *x {
        Value::Int(a) => Some((cmp.holds(a, k as i64), feedback::INT)),
        Value::Float(_) if matches!(cmp, Cmp::Eq | Cmp::Ne) => None,
        Value::Float(a) => Some((cmp.holds(a, k as f64), feedback::FLOAT)),
        _ => None,
    }
}
