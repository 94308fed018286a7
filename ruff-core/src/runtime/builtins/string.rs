//! String builtins (§8.2): case mapping, trimming, searching, slicing, splitting
//! and joining. Indexes count characters, never bytes; ASCII text takes byte
//! shortcuts. `contains` and `index_of` also search arrays (and `contains` dicts)
//! because the language has one name for both. Padding, case-style helpers and
//! `format` are in `text`.

use super::arg::{arg_int, arg_str, byte_at, char_len, take_string};
use super::{Arity, Builtin};
use crate::runtime::compare::equal;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::{debug, write_display};
use crate::runtime::object::Key;
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// Longest string `repeat` will build, in bytes (a guard against exhausting
/// memory, which would abort instead of raising an error).
pub const MAX_BUILT_BYTES: usize = 256 * 1024 * 1024;

/// The string library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("to_upper", Arity::Exact(1), to_upper),
    Builtin::new("upper", Arity::Exact(1), to_upper),
    Builtin::new("to_lower", Arity::Exact(1), to_lower),
    Builtin::new("lower", Arity::Exact(1), to_lower),
    Builtin::new("capitalize", Arity::Exact(1), capitalize),
    Builtin::new("trim", Arity::Exact(1), trim),
    Builtin::new("trim_start", Arity::Exact(1), trim_start),
    Builtin::new("trim_end", Arity::Exact(1), trim_end),
    Builtin::new("contains", Arity::Exact(2), contains),
    Builtin::new("starts_with", Arity::Exact(2), starts_with),
    Builtin::new("ends_with", Arity::Exact(2), ends_with),
    Builtin::new("index_of", Arity::Exact(2), index_of),
    Builtin::new("substring", Arity::Exact(3), substring),
    Builtin::new("substr", Arity::Exact(3), substring),
    Builtin::new("replace", Arity::Exact(3), replace),
    Builtin::new("replace_str", Arity::Exact(3), replace),
    Builtin::new("split", Arity::Exact(2), split),
    Builtin::new("join", Arity::Exact(2), join),
    Builtin::new("repeat", Arity::Exact(2), repeat),
    Builtin::new("char_at", Arity::Exact(2), char_at),
    Builtin::new("is_empty", Arity::Exact(1), is_empty),
    Builtin::new("count_chars", Arity::Exact(1), count_chars),
    Builtin::new("str_reverse", Arity::Exact(1), str_reverse),
    Builtin::new("lines", Arity::Exact(1), lines),
    Builtin::new("words", Arity::Exact(1), words),
];

fn to_upper(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "to_upper() requires a string argument")?;
    if s.is_ascii() {
        // An unshared ASCII string is upper-cased in place.
        let mut owned = take_string(args, 0);
        owned.make_ascii_uppercase();
        return Ok(Value::str(owned));
    }
    Ok(Value::str(s.to_uppercase()))
}

fn to_lower(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "to_lower() requires a string argument")?;
    if s.is_ascii() {
        let mut owned = take_string(args, 0);
        owned.make_ascii_lowercase();
        return Ok(Value::str(owned));
    }
    Ok(Value::str(s.to_lowercase()))
}

fn capitalize(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "capitalize() requires a string argument")?;
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return Ok(Value::str("")) };
    let mut out: String = first.to_uppercase().collect();
    out.push_str(&chars.as_str().to_lowercase());
    Ok(Value::str(out))
}

/// Returns the argument itself when trimming removes nothing.
fn trimmed(args: &mut [Value], name: &str, f: fn(&str) -> &str) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, &format!("{name}() requires a string argument"))?;
    let t = f(s);
    if t.len() == s.len() {
        return Ok(std::mem::take(&mut args[0]));
    }
    Ok(Value::str(t))
}

fn trim(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    trimmed(args, "trim", str::trim)
}

fn trim_start(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    trimmed(args, "trim_start", str::trim_start)
}

fn trim_end(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    trimmed(args, "trim_end", str::trim_end)
}

/// A dict key from a string or int argument (a string key shares the
/// argument's allocation: a lookup copies no text).
pub fn key_of(v: &Value) -> Option<Key> {
    match v {
        Value::Str(s) => Some(Key::from_rc(s)),
        Value::Int(i) => Some(Key::Int(*i)),
        _ => None,
    }
}

/// Strings answer 1/0 (an upstream quirk kept on purpose, §11); arrays, sets and
/// dicts (key test) answer a bool.
fn contains(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match (&args[0], &args[1]) {
        (Value::Str(s), Value::Str(sub)) => Ok(Value::Int(i64::from(s.contains(sub.as_str())))),
        (Value::Str(_), _) => fail("contains() requires a string to search for in a string"),
        (Value::Array(a) | Value::Set(a), v) => Ok(Value::Bool(a.iter().any(|x| equal(x, v)))),
        (Value::Dict(d), k) => Ok(Value::Bool(key_of(k).is_some_and(|k| d.contains(&k)))),
        _ => fail("contains() requires a string, array, or dict as the first argument"),
    }
}

fn starts_with(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match (&args[0], &args[1]) {
        (Value::Str(s), Value::Str(p)) => Ok(Value::Bool(s.starts_with(p.as_str()))),
        _ => fail("starts_with() requires two string arguments"),
    }
}

fn ends_with(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match (&args[0], &args[1]) {
        (Value::Str(s), Value::Str(p)) => Ok(Value::Bool(s.ends_with(p.as_str()))),
        _ => fail("ends_with() requires two string arguments"),
    }
}

fn index_of(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let found = match (&args[0], &args[1]) {
        (Value::Str(s), Value::Str(sub)) => s.find(sub.as_str()).map(|b| char_len(&s[..b])),
        (Value::Str(_), _) => return fail("index_of() requires a string to search for in a string"),
        (Value::Array(a), v) => a.iter().position(|x| equal(x, v)),
        _ => return fail("index_of() requires a string or array as the first argument"),
    };
    Ok(Value::Int(found.map_or(-1, |i| i as i64)))
}

fn substring(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    const MSG: &str = "substring() requires a string and two integer indexes";
    let s = arg_str(args, 0, MSG)?;
    let start = arg_int(args, 1, MSG)?.max(0) as usize;
    let end = arg_int(args, 2, MSG)?.max(0) as usize;
    if start >= end {
        return Ok(Value::str(""));
    }
    let (b0, b1) = (byte_at(s, start), byte_at(s, end));
    if b0 == 0 && b1 == s.len() {
        return Ok(std::mem::take(&mut args[0]));
    }
    Ok(Value::str(&s[b0..b1]))
}

fn replace(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Str(s), Value::Str(from), Value::Str(to)) = (&args[0], &args[1], &args[2]) else {
        return fail("replace() requires three string arguments");
    };
    if !s.contains(from.as_str()) {
        return Ok(std::mem::take(&mut args[0]));
    }
    Ok(Value::str(s.replace(from.as_str(), to)))
}

fn split(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Str(s), Value::Str(sep)) = (&args[0], &args[1]) else {
        return fail("split() requires two string arguments");
    };
    if s.is_empty() {
        return Ok(Value::array(Vec::new()));
    }
    Ok(Value::array(s.split(sep.as_str()).map(Value::str).collect()))
}

/// Scalars in display form; other values in debug form, as upstream does.
fn join(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let (Value::Array(a), Value::Str(sep)) = (&args[0], &args[1]) else {
        return fail("join() requires array and separator string arguments");
    };
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        match v {
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => {
                write_display(&mut out, v, 0)
            }
            other => out.push_str(&debug(other)),
        }
    }
    Ok(Value::str(out))
}

fn repeat(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    const MSG: &str = "repeat() requires a string and a count";
    let s = arg_str(args, 0, MSG)?;
    let n = arg_int(args, 1, MSG)?;
    if n <= 0 || s.is_empty() {
        return Ok(Value::str(""));
    }
    if (n as u128) * (s.len() as u128) > MAX_BUILT_BYTES as u128 {
        return fail("repeat() result is too large");
    }
    Ok(Value::str(s.repeat(n as usize)))
}

/// A negative index gives the first character (upstream clamps it to 0).
fn char_at(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    const MSG: &str = "char_at() requires a string and an integer index";
    let s = arg_str(args, 0, MSG)?;
    let i = arg_int(args, 1, MSG)?.max(0) as usize;
    if s.is_ascii() {
        return Ok(Value::str(s.get(i..i + 1).unwrap_or("")));
    }
    Ok(Value::str(s.chars().nth(i).map(String::from).unwrap_or_default()))
}

fn is_empty(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Bool(arg_str(args, 0, "is_empty() requires a string argument")?.is_empty()))
}

fn count_chars(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::Int(char_len(arg_str(args, 0, "count_chars() requires a string argument")?) as i64))
}

fn str_reverse(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "str_reverse() requires a string argument")?;
    Ok(Value::str(s.chars().rev().collect::<String>()))
}

fn lines(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "lines() requires a string argument")?;
    Ok(Value::array(s.lines().map(Value::str).collect()))
}

fn words(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "words() requires a string argument")?;
    Ok(Value::array(s.split_whitespace().map(Value::str).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn a_string_arguments_key_shares_its_text() {
        let s = Rc::new("word".to_string());
        match key_of(&Value::Str(s.clone())) {
            Some(Key::Str(k)) => assert!(Rc::ptr_eq(&k, &s), "the key copied the text"),
            other => panic!("{other:?}"),
        }
        assert_eq!(key_of(&Value::Str(Rc::new("-42".to_string()))), Some(Key::Int(-42)));
        assert_eq!(key_of(&Value::Str(Rc::new("042".to_string()))).map(|k| k.to_text()), Some("042".to_string()));
        assert_eq!(Key::Int(i64::MIN).to_text(), i64::MIN.to_string());
        assert!(matches!(Key::Int(-42).to_value(), Value::Str(t) if t.as_str() == "-42"));
    }
}
