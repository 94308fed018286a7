//! JSON serialization of Ruff values, compact or pretty (2-space indent), with
//! dict keys sorted and serde_json's output style: string escapes (`\n`, `\"`,
//! `\u001f`) and float formatting (`1.0`, `2.5`, `1e+20`, `1e-7`) from the
//! shortest round-trip digits.

use std::fmt::Write;

use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::{debug, display};
use crate::runtime::value::Value;

/// Deepest value `to_json` will serialize (guards the native stack).
const MAX_WRITE_DEPTH: usize = 1000;

/// Serializes a value; structs, tagged values, functions, sets, queues, stacks
/// and non-finite floats are errors.
pub fn to_json(v: &Value, pretty: bool) -> Result<String, RuntimeError> {
    let mut out = String::new();
    write_value(&mut out, v, pretty, 0)?;
    Ok(out)
}

fn newline(out: &mut String, pretty: bool, depth: usize) {
    if pretty {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write_value(out: &mut String, v: &Value, pretty: bool, depth: usize) -> Result<(), RuntimeError> {
    if depth > MAX_WRITE_DEPTH {
        return fail("Cannot convert a value nested deeper than 1000 levels to JSON");
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => out.push_str(&format_number(*f)),
        Value::Float(f) => {
            return fail(format!("Cannot convert non-finite float {} to JSON", display(&Value::Float(*f))))
        }
        Value::Str(s) => write_string(out, s),
        Value::Array(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, pretty, depth + 1);
                write_value(out, x, pretty, depth + 1)?;
            }
            newline(out, pretty, depth);
            out.push(']');
        }
        Value::Dict(d) => {
            if d.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in d.sorted().into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, pretty, depth + 1);
                write_string(out, &k);
                out.push_str(if pretty { ": " } else { ":" });
                write_value(out, x, pretty, depth + 1)?;
            }
            newline(out, pretty, depth);
            out.push('}');
        }
        other => return fail(format!("Cannot convert {} to JSON", debug(other))),
    }
    Ok(())
}

/// A JSON string literal with serde_json's escapes.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite float the way serde_json prints it: the shortest round-trip digits,
/// positional with a `.0` when the decimal point falls within 16 digits of the
/// first digit (and no more than 5 places after the point), otherwise
/// `D[.DDD]e±X`.
pub fn format_number(f: f64) -> String {
    debug_assert!(f.is_finite(), "format_number needs a finite float");
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let len = digits.len() as i32;
    // The value is 0.DIGITS * 10^point.
    let point = exp + 1;
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    if len <= point && point <= 16 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - len) as usize));
        out.push_str(".0");
    } else if 0 < point && point <= 16 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -5 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if len > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{}", if point - 1 < 0 { '-' } else { '+' }, (point - 1).abs());
    }
    out
}
