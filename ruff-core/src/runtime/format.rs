//! Display form (print, to_string, interpolation; §7.2) and debug form (inside
//! error messages; §7.3) of values.

use std::fmt::Write;

use super::object::TagKind;
use super::value::Value;

/// Nesting beyond this prints `...` instead of recursing further.
const MAX_DEPTH: usize = 1000;

/// The display form of a value.
pub fn display(v: &Value) -> String {
    if let Value::Int(i) = v {
        return int_text(*i);
    }
    let mut s = String::new();
    write_display(&mut s, v, 0);
    s
}

/// The decimal form of an int, in a string of exactly its length.
pub fn int_text(i: i64) -> String {
    let mut buf = [0u8; 20];
    let digits = int_digits(i, &mut buf);
    let mut s = String::with_capacity(digits.len());
    s.push_str(digits);
    s
}

/// Writes the decimal form of `i` at the end of `buf` and returns it: two
/// digits per division, and no formatter. `write!` went through `core::fmt`'s
/// padding machinery: `to_string(n)` of an int took 449 instructions, now
/// 180, most of them the string's two allocations (callgrind, 200,000 calls).
pub fn int_digits(i: i64, buf: &mut [u8; 20]) -> &str {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + n as u8;
    }
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    // SAFETY: only ASCII digits and '-' were written from `at` on.
    unsafe { std::str::from_utf8_unchecked(&buf[at..]) }
}

/// Appends the display form of a value to `out`.
pub fn write_display(out: &mut String, v: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(int_digits(*i, &mut [0u8; 20])),
        Value::Float(f) => write_float(out, *f),
        Value::Str(s) => out.push_str(s),
        Value::Array(a) => write_seq(out, a.iter(), depth),
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, v)) in d.sorted().into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('"');
                out.push_str(&k);
                out.push_str("\": ");
                write_display(out, v, depth + 1);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push_str(&s.name);
            out.push_str(" { ");
            let mut fields: Vec<(&str, &Value)> = s.shape.iter().map(|n| &**n).zip(s.values.iter()).collect();
            fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (i, (name, v)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                write_display(out, v, depth + 1);
            }
            out.push_str(" }");
        }
        Value::Tagged(t) => {
            let name = match &t.kind {
                TagKind::Ok => "Ok".to_string(),
                TagKind::Err => "Err".to_string(),
                TagKind::Some => "Some".to_string(),
                TagKind::None => "None".to_string(),
                TagKind::Enum { enum_name, variant } => format!("{enum_name}::{variant}"),
            };
            out.push_str(&name);
            if !t.payload.is_empty() {
                out.push('(');
                let sep = if matches!(t.kind, TagKind::Enum { .. }) { "," } else { ", " };
                for (i, p) in t.payload.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    write_display(out, p, depth + 1);
                }
                out.push(')');
            }
        }
        Value::Func(_) | Value::Set(_) | Value::Queue(_) | Value::Stack(_) => out.push_str("<unknown>"),
        Value::Native(b) => {
            let _ = write!(out, "<native function: {}>", b.name);
        }
    }
}

fn write_seq<'a>(out: &mut String, items: impl Iterator<Item = &'a Value>, depth: usize) {
    out.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_display(out, v, depth + 1);
    }
    out.push(']');
}

/// Rust's `{}` for f64 is exactly the reference's float display: no exponent,
/// shortest round-trip digits, integral values without a decimal point.
pub fn write_float(out: &mut String, f: f64) {
    let _ = write!(out, "{f}");
}

/// The debug form of §7.3.
pub fn debug(v: &Value) -> String {
    let mut s = String::new();
    write_debug(&mut s, v, 0);
    s
}

fn write_debug(out: &mut String, v: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match v {
        Value::Null => out.push_str("Null"),
        Value::Bool(b) => {
            let _ = write!(out, "Bool({b})");
        }
        Value::Int(i) => {
            let _ = write!(out, "Int({i})");
        }
        Value::Float(f) => {
            let _ = write!(out, "Float({f:?})");
        }
        Value::Str(s) => {
            let _ = write!(out, "Str({:?})", s.as_str());
        }
        Value::Array(a) => {
            let _ = write!(out, "Array[{}]", a.len());
        }
        Value::Dict(d) => {
            let _ = write!(out, "Dict{{{} keys}}", d.len());
        }
        Value::Struct(s) => {
            let _ = write!(out, "Struct {{ name: {:?}, fields: {{", &*s.name);
            let mut fields: Vec<(&str, &Value)> = s.shape.iter().map(|n| &**n).zip(s.values.iter()).collect();
            fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            for (i, (name, v)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{name:?}: ");
                write_debug(out, v, depth + 1);
            }
            out.push_str("} }");
        }
        Value::Tagged(t) => {
            let name = match &t.kind {
                TagKind::Ok => "Ok".to_string(),
                TagKind::Err => "Err".to_string(),
                TagKind::Some => "Some".to_string(),
                TagKind::None => "None".to_string(),
                TagKind::Enum { enum_name, variant } => format!("{enum_name}::{variant}"),
            };
            out.push_str(&name);
            if !t.payload.is_empty() {
                out.push('(');
                for (i, p) in t.payload.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_debug(out, p, depth + 1);
                }
                out.push(')');
            }
        }
        Value::Func(c) => {
            let _ = write!(out, "Function({})", c.proto.name);
        }
        Value::Native(b) => {
            let _ = write!(out, "NativeFunction({})", b.name);
        }
        Value::Set(s) => {
            let _ = write!(out, "Set[{}]", s.len());
        }
        Value::Queue(q) => {
            let _ = write!(out, "Queue[{}]", q.len());
        }
        Value::Stack(s) => {
            let _ = write!(out, "Stack[{}]", s.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_the_reference() {
        for (f, s) in [
            (123.0, "123"),
            (-0.0, "-0"),
            (1e20, "100000000000000000000"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-7, "0.0000001"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "NaN"),
            (2f64.powi(63), "9223372036854776000"),
        ] {
            assert_eq!(display(&Value::Float(f)), s);
        }
    }

    #[test]
    fn ints_print_as_rust_formats_them() {
        let mut cases = vec![0, 1, -1, 9, 10, 99, 100, 101, 999, 1000, -1000, i64::MAX, i64::MIN, i64::MIN + 1];
        // Every digit count, both signs, at and around each power of ten.
        let mut p: i64 = 1;
        while let Some(next) = p.checked_mul(10) {
            cases.extend([p - 1, p, p + 1, -p, 7 * p, -(7 * p) - 3]);
            p = next;
        }
        cases.extend([p, p - 1]);
        for i in cases {
            let want = format!("{i}");
            assert_eq!(int_text(i), want);
            assert_eq!(int_text(i).capacity(), want.len(), "{i}: the string is exactly its length");
            assert_eq!(display(&Value::Int(i)), want);
            assert_eq!(display(&Value::array(vec![Value::Int(i)])), format!("[{i}]"));
        }
    }

    #[test]
    fn debug_forms() {
        assert_eq!(debug(&Value::Int(5)), "Int(5)");
        assert_eq!(debug(&Value::Float(1.5)), "Float(1.5)");
        assert_eq!(debug(&Value::str("a\"b")), "Str(\"a\\\"b\")");
        assert_eq!(debug(&Value::array(vec![Value::Null; 3])), "Array[3]");
    }
}
