//! Iteration snapshots for `for`, and the value tests behind `match` and
//! destructuring.

use crate::bytecode::Tag;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::object::TagKind;
use crate::runtime::value::Value;

/// What `for` iterates over: arrays as they are (a snapshot, thanks to value
/// semantics), ints as a count, strings as their characters, dicts as their keys in
/// insertion order.
pub(crate) fn prepare(v: Value) -> Result<Value, RuntimeError> {
    Ok(match v {
        Value::Array(_) => v,
        Value::Int(n) => Value::Int(n.max(0)),
        Value::Float(f) => Value::Int((f as i64).max(0)),
        Value::Str(s) => Value::array(s.chars().map(|c| Value::str(c.to_string())).collect()),
        Value::Dict(d) => Value::array(d.iter().map(|(k, _)| k.to_value()).collect()),
        Value::Set(s) | Value::Stack(s) => Value::Array(s),
        Value::Queue(q) => Value::array(q.iter().cloned().collect()),
        other => return fail(format!("Cannot iterate over a value of type {}", other.type_name())),
    })
}

/// The element at `i` of an iteration snapshot.
pub(crate) fn element(seq: &Value, i: i64) -> Option<Value> {
    match seq {
        Value::Array(a) => a.at(i as usize),
        Value::Int(n) => (i < *n).then_some(Value::Int(i)),
        _ => None,
    }
}

/// The payload a builtin tag pattern binds, when `v` has that tag.
pub(crate) fn match_tag(v: &Value, tag: Tag) -> Option<Value> {
    let Value::Tagged(t) = v else { return None };
    let hit = matches!(
        (&t.kind, tag),
        (TagKind::Ok, Tag::Ok) | (TagKind::Err, Tag::Err) | (TagKind::Some, Tag::Some) | (TagKind::None, Tag::None)
    );
    hit.then(|| t.payload.first().cloned().unwrap_or(Value::Null))
}

/// The first payload of an enum value with that enum and variant name.
pub(crate) fn match_enum(v: &Value, enum_name: &str, variant: &str) -> Option<Value> {
    let Value::Tagged(t) = v else { return None };
    match &t.kind {
        TagKind::Enum { enum_name: e, variant: var } if &**e == enum_name && &**var == variant => {
            Some(t.payload.first().cloned().unwrap_or(Value::Null))
        }
        _ => None,
    }
}

/// A bare identifier pattern matches a string equal to it (or a float printing so).
pub(crate) fn match_name(v: &Value, name: &str) -> bool {
    match v {
        Value::Str(s) => s.as_str() == name,
        Value::Float(f) => crate::runtime::format::display(&Value::Float(*f)) == name,
        _ => false,
    }
}

/// Element `i` of an array, or null (destructuring never fails).
pub(crate) fn elem_or_null(v: &Value, i: usize) -> Value {
    match v {
        Value::Array(a) => a.at(i).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The elements from `i` on (`...rest`).
pub(crate) fn rest_from(v: &Value, i: usize) -> Value {
    match v {
        Value::Array(a) => Value::array(a.get(i..).map(<[Value]>::to_vec).unwrap_or_default()),
        _ => Value::array(Vec::new()),
    }
}
