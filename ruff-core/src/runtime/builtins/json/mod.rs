//! JSON builtins (§8.8): `parse_json`, `to_json` and `to_json_pretty`, on a small
//! hand-written parser (`parse`, with serde_json's error texts and positions) and
//! serializer (`write`, with serde_json's number style and escaping). Limits of
//! §10: input at most [`MAX_INPUT_BYTES`], nesting at most [`MAX_DEPTH`].

mod parse;
mod write;

pub use write::write_string;

#[cfg(test)]
mod tests;

use super::arg::arg_str;
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

pub use parse::parse;
pub use write::to_json;

/// Largest text `parse_json` accepts (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Deepest array/object nesting `parse_json` accepts.
pub const MAX_DEPTH: usize = 64;

/// The json library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("parse_json", Arity::Exact(1), parse_json),
    Builtin::new("to_json", Arity::Exact(1), to_json_compact),
    Builtin::new("to_json_pretty", Arity::Exact(1), to_json_pretty),
];

fn parse_json(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let text = arg_str(args, 0, "parse_json requires a string argument")?;
    if text.len() > MAX_INPUT_BYTES {
        return fail("JSON parse error: input is larger than 1 MiB");
    }
    parse(text).map_err(|e| RuntimeError::new(format!("JSON parse error: {e}")))
}

fn to_json_compact(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::str(to_json(&args[0], false)?))
}

fn to_json_pretty(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::str(to_json(&args[0], true)?))
}
