//! Equality (§5.4: never fails, numbers compare numerically, floats within
//! `f64::EPSILON`, containers deeply, functions by identity) and ordering for
//! `< <= > >=` and `sort`.

use std::cmp::Ordering;
use std::rc::Rc;

use super::value::Value;

/// Float equality of the reference: NaN never equal, infinities equal themselves.
pub fn float_eq(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() < f64::EPSILON
}

/// Structural equality of §5.4.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => float_eq(*x, *y),
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => float_eq(*x as f64, *y),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Array(x), Value::Array(y)) | (Value::Set(x), Value::Set(y)) | (Value::Stack(x), Value::Stack(y)) => {
            Rc::ptr_eq(x, y) || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q)))
        }
        (Value::Queue(x), Value::Queue(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(p, q)),
        (Value::Dict(x), Value::Dict(y)) => {
            Rc::ptr_eq(x, y) || (x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w))))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.name == y.name
                && x.values.len() == y.values.len()
                && x.shape.iter().zip(x.values.iter()).all(|(n, v)| y.field(n).is_some_and(|w| equal(v, w)))
        }
        (Value::Tagged(x), Value::Tagged(y)) => {
            x.kind == y.kind
                && x.payload.len() == y.payload.len()
                && x.payload.iter().zip(y.payload.iter()).all(|(p, q)| equal(p, q))
        }
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Native(x), Value::Native(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}

/// Ordering for `<` and friends: numbers (mixed compared as f64) and strings (by
/// code point). `None` when the operands are not comparable (or NaN is involved).
pub fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

/// True when `order` can compare the pair at all (NaN included).
pub fn comparable(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) | (Value::Str(_), Value::Str(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_across_kinds() {
        assert!(equal(&Value::Int(1), &Value::Float(1.0)));
        assert!(equal(&Value::Float(0.1 + 0.2), &Value::Float(0.3)));
        assert!(!equal(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
        assert!(equal(&Value::Float(f64::INFINITY), &Value::Float(f64::INFINITY)));
        assert!(!equal(&Value::Int(1), &Value::str("1")));
        assert!(!equal(&Value::Null, &Value::Int(0)));
    }
}
