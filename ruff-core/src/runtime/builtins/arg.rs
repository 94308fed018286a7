//! Argument extraction shared by the builtin libraries: typed views of an argument
//! with the builtin's own error text, and small conversions (number, index, char
//! positions) that several libraries need. Arity is checked by the VM before a
//! builtin runs (see `Builtin::arity_error`), so helpers may index `args` freely
//! within the declared arity.

use std::rc::Rc;

use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::values::Values;

/// The string argument `i`, or the error `msg`.
pub fn arg_str<'a>(args: &'a [Value], i: usize, msg: &str) -> Result<&'a str, RuntimeError> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.as_str()),
        _ => fail(msg),
    }
}

/// The array argument `i`, or the error `msg`.
pub fn arg_array<'a>(args: &'a [Value], i: usize, msg: &str) -> Result<&'a Rc<Values>, RuntimeError> {
    match args.get(i) {
        Some(Value::Array(a)) => Ok(a),
        _ => fail(msg),
    }
}

/// A number as f64 (ints widen), or `None` for anything else.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// An int, or a float truncated toward zero (saturating), as count/index arguments
/// accept; anything else is `None`.
pub fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.is_nan() => Some(0),
        Value::Float(f) => Some(*f as i64),
        _ => None,
    }
}

/// The int-like argument `i`, or the error `msg`.
pub fn arg_int(args: &[Value], i: usize, msg: &str) -> Result<i64, RuntimeError> {
    match args.get(i).and_then(integer) {
        Some(n) => Ok(n),
        None => fail(msg),
    }
}

/// Number of characters in `s` (bytes when ASCII, which is the common case and
/// avoids a scan).
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Byte offset of character `n` in `s` (clamped to `s.len()`).
pub fn byte_at(s: &str, n: usize) -> usize {
    if s.is_ascii() {
        return n.min(s.len());
    }
    s.char_indices().nth(n).map_or(s.len(), |(b, _)| b)
}

/// Takes argument `i` out of the argument slots when it is a string, reusing its
/// buffer when unshared. Call only after every argument has been validated.
pub fn take_string(args: &mut [Value], i: usize) -> String {
    match std::mem::take(&mut args[i]) {
        Value::Str(s) => Rc::try_unwrap(s).unwrap_or_else(|s| (*s).clone()),
        other => unreachable!("take_string on a validated string argument, got {}", other.type_name()),
    }
}

/// Takes argument `i` out of the argument slots when it is an array, reusing its
/// storage when unshared. Call only after every argument has been validated.
pub fn take_array(args: &mut [Value], i: usize) -> Vec<Value> {
    match std::mem::take(&mut args[i]) {
        Value::Array(a) => Rc::try_unwrap(a).unwrap_or_else(|a| (*a).clone()).into_vec(),
        other => unreachable!("take_array on a validated array argument, got {}", other.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_positions_handle_multibyte_text() {
        assert_eq!(char_len("héllo"), 5);
        assert_eq!(byte_at("héllo", 2), 3);
        assert_eq!(byte_at("abc", 9), 3);
        assert_eq!(integer(&Value::Float(-2.7)), Some(-2));
    }
}
