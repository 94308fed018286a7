//! Text-shaping builtins (§8.2): padding, truncation, slugs and case styles, and
//! printf-style `format`. Plain string operations are in `string`; the display
//! form `%s` uses lives in `runtime::format`.

use super::arg::{arg_int, arg_str, char_len};
use super::string::MAX_BUILT_BYTES;
use super::{Arity, Builtin};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::format::{debug, display, int_digits, write_display};
use crate::runtime::value::Value;
use crate::runtime::vm::Vm;

/// The text library.
pub static TABLE: &[Builtin] = &[
    Builtin::new("pad_left", Arity::Exact(3), pad_left),
    Builtin::new("pad_start", Arity::Exact(3), pad_left),
    Builtin::new("pad_right", Arity::Exact(3), pad_right),
    Builtin::new("pad_end", Arity::Exact(3), pad_right),
    Builtin::new("truncate", Arity::Exact(3), truncate),
    Builtin::new("slugify", Arity::Exact(1), slugify),
    Builtin::new("to_camel_case", Arity::Exact(1), to_camel_case),
    Builtin::new("to_snake_case", Arity::Exact(1), to_snake_case),
    Builtin::new("to_kebab_case", Arity::Exact(1), to_kebab_case),
    Builtin::new("format", Arity::Any, format),
];

/// The padding needed to bring `s` to `width` characters with the first char of
/// `fill` (space when empty), or `None` when `s` is already wide enough.
fn padding(args: &[Value], name: &str) -> Result<Option<String>, RuntimeError> {
    let msg = format!("{name}() requires 3 arguments: string, width, char");
    let s = arg_str(args, 0, &msg)?;
    let width = arg_int(args, 1, &msg)?;
    let fill = arg_str(args, 2, &msg)?.chars().next().unwrap_or(' ');
    let have = char_len(s) as i64;
    if have >= width {
        return Ok(None);
    }
    let n = (width - have) as usize;
    if n.saturating_mul(fill.len_utf8()) > MAX_BUILT_BYTES {
        return fail(format!("{name}() result is too large"));
    }
    Ok(Some(std::iter::repeat_n(fill, n).collect()))
}

fn pad_left(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match padding(args, "pad_left")? {
        None => Ok(std::mem::take(&mut args[0])),
        Some(mut pad) => {
            write_display(&mut pad, &args[0], 0);
            Ok(Value::str(pad))
        }
    }
}

fn pad_right(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    match padding(args, "pad_right")? {
        None => Ok(std::mem::take(&mut args[0])),
        Some(pad) => {
            let mut s = display(&args[0]);
            s.push_str(&pad);
            Ok(Value::str(s))
        }
    }
}

/// Keeps `n - len(suffix)` characters (a negative `n` counts as 0) and appends
/// the suffix, when the text is longer than `n`.
fn truncate(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    const MSG: &str = "truncate() requires 3 arguments: string, length, suffix";
    let s = arg_str(args, 0, MSG)?;
    let n = arg_int(args, 1, MSG)?.max(0) as usize;
    let suffix = arg_str(args, 2, MSG)?;
    if char_len(s) <= n {
        return Ok(std::mem::take(&mut args[0]));
    }
    let keep = n.saturating_sub(char_len(suffix));
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(suffix);
    Ok(Value::str(out))
}

/// Lower-cases, turns whitespace and `_` into `-`, drops other punctuation, then
/// joins the pieces (upstream's exact recipe, including its single `--` pass).
fn slugify(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "slugify() requires a string argument")?;
    let mapped: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c
            } else if c.is_whitespace() || c == '_' {
                '-'
            } else {
                ' '
            }
        })
        .collect();
    let joined: String = mapped.split_whitespace().collect();
    Ok(Value::str(joined.replace("--", "-").trim_matches('-')))
}

fn to_camel_case(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let s = arg_str(args, 0, "to_camel_case() requires a string argument")?;
    let mut words = s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
    let Some(first) = words.next() else { return Ok(Value::str("")) };
    let mut out = first.to_lowercase();
    for w in words {
        let mut chars = w.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(&chars.as_str().to_lowercase());
        }
    }
    Ok(Value::str(out))
}

/// Words split at lower-to-upper boundaries and at spaces, `_` and `-`; other
/// punctuation is dropped. Unlike upstream, a separator is never doubled
/// (`"Some Title"` gives `some_title`, not `some__title`).
fn snake(s: &str, sep: char) -> String {
    let mut out = String::new();
    let mut prev_upper = false;
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 && !prev_upper && !out.ends_with(sep) {
                out.push(sep);
            }
            out.extend(c.to_lowercase());
            prev_upper = true;
        } else if c.is_alphanumeric() {
            out.push(c);
            prev_upper = false;
        } else if !c.is_whitespace() && c != '_' && c != '-' {
            prev_upper = false;
        } else {
            if i > 0 && !out.ends_with(sep) {
                out.push(sep);
            }
            prev_upper = false;
        }
    }
    out.trim_matches(sep).to_string()
}

fn to_snake_case(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::str(snake(arg_str(args, 0, "to_snake_case() requires a string argument")?, '_')))
}

fn to_kebab_case(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    Ok(Value::str(snake(arg_str(args, 0, "to_kebab_case() requires a string argument")?, '-')))
}

/// `%s` any value, `%d` integer, `%f` number, `%%` a percent sign; any other `%`
/// is literal. Extra arguments are ignored.
fn format(_: &mut Vm, args: &mut [Value]) -> Result<Value, RuntimeError> {
    let template = arg_str(args, 0, "format() first argument must be a string")?;
    let mut out = String::with_capacity(template.len());
    let mut next = 1;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let spec = match (c, chars.peek()) {
            ('%', Some(&p @ ('s' | 'd' | 'f' | '%'))) => p,
            _ => {
                out.push(c);
                continue;
            }
        };
        chars.next();
        if spec == '%' {
            out.push('%');
            continue;
        }
        let Some(v) = args.get(next) else {
            return fail(format!("format() missing argument for placeholder %{spec}"));
        };
        next += 1;
        match (spec, v) {
            ('s', Value::Array(_)) => out.push_str("[Array]"),
            ('s', Value::Dict(_)) => out.push_str("{Dict}"),
            ('s', Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null) => {
                write_display(&mut out, v, 0)
            }
            ('s', other) => out.push_str(&debug(other)),
            ('d', Value::Int(i)) => out.push_str(int_digits(*i, &mut [0u8; 20])),
            ('d', Value::Float(f)) => out.push_str(&(*f as i64).to_string()),
            ('d', Value::Bool(b)) => out.push(if *b { '1' } else { '0' }),
            ('f', Value::Float(_)) => write_display(&mut out, v, 0),
            ('f', Value::Int(i)) => write_display(&mut out, &Value::Float(*i as f64), 0),
            (_, other) => return fail(format!("format() %{spec} requires numeric argument, got {}", debug(other))),
        }
    }
    Ok(Value::str(out))
}
