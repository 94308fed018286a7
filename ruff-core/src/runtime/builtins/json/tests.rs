//! Unit tests for the JSON parser (values, serde_json error texts and positions,
//! limits) and the serializer (escapes, number style, pretty layout).

use super::write::format_number;
use super::*;
use crate::runtime::format::display;

fn err(text: &str) -> String {
    parse(text).expect_err("should fail").to_string()
}

fn ok(text: &str) -> String {
    display(&parse(text).expect("should parse"))
}

#[test]
fn parses_every_kind_of_value() {
    assert_eq!(ok(r#"{"b": [1, 2.5, true, null], "a": "x\ny"}"#), "{\"a\": x\ny, \"b\": [1, 2.5, true, null]}");
    assert_eq!(ok("  -12 "), "-12");
    assert_eq!(ok(r#""\u00e9\ud83d\ude00\/""#), "é😀/");
    assert!(matches!(parse("9223372036854775807"), Ok(Value::Int(i64::MAX))));
    assert!(matches!(parse("-9223372036854775808"), Ok(Value::Int(i64::MIN))));
    assert!(matches!(parse("9223372036854775808"), Ok(Value::Float(_))));
    assert!(matches!(parse("1.0"), Ok(Value::Float(_))));
    assert!(matches!(parse("-0"), Ok(Value::Float(f)) if f == 0.0 && f.is_sign_negative()));
    assert!(matches!(parse("1e2"), Ok(Value::Float(f)) if f == 100.0));
}

#[test]
fn errors_match_serde_json() {
    assert_eq!(err("[1, 2"), "EOF while parsing a list at line 1 column 5");
    assert_eq!(err("["), "EOF while parsing a list at line 1 column 1");
    assert_eq!(err(""), "EOF while parsing a value at line 1 column 0");
    assert_eq!(err("x"), "expected value at line 1 column 1");
    assert_eq!(err("1 x"), "trailing characters at line 1 column 3");
    assert_eq!(err("[1,]"), "trailing comma at line 1 column 4");
    assert_eq!(err("[1 2]"), "expected `,` or `]` at line 1 column 4");
    assert_eq!(err("{\"a\" 1}"), "expected `:` at line 1 column 6");
    assert_eq!(err("{1: 2}"), "key must be a string at line 1 column 2");
    assert_eq!(err("{\"a\": 1"), "EOF while parsing an object at line 1 column 7");
    assert_eq!(err("{\"a\": 1 \"b\"}"), "expected `,` or `}` at line 1 column 9");
    assert_eq!(err("\"abc"), "EOF while parsing a string at line 1 column 4");
    assert_eq!(err("tru"), "EOF while parsing a value at line 1 column 3");
    assert_eq!(err("trux"), "expected ident at line 1 column 4");
    assert_eq!(err("01"), "invalid number at line 1 column 2");
    assert_eq!(err("-x"), "invalid number at line 1 column 2");
    assert_eq!(err("1."), "EOF while parsing a value at line 1 column 2");
    assert_eq!(err("\"\\q\""), "invalid escape at line 1 column 3");
    assert_eq!(err("[\n1,\n x]"), "expected value at line 3 column 2");
    assert_eq!(err("1e999"), "number out of range at line 1 column 5");
}

#[test]
fn nesting_is_limited() {
    let ok_depth = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&ok_depth).is_ok());
    let too_deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(parse(&too_deep).expect_err("too deep").message, "recursion limit exceeded");
}

#[test]
fn floats_use_serde_json_style() {
    for (f, s) in [
        (1.0, "1.0"),
        (2.5, "2.5"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (1e20, "1e+20"),
        (1e-7, "1e-7"),
        (1.5e300, "1.5e+300"),
        (123456.789, "123456.789"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (0.00001, "0.00001"),
        (0.000001, "1e-6"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-3.25, "-3.25"),
        (f64::MAX, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
    ] {
        assert_eq!(format_number(f), s, "formatting {f:?}");
    }
}

#[test]
fn serializes_compact_and_pretty() {
    let v = parse(r#"{"b": [1, {"c": null}], "a": "q\"\u0001", "e": [], "d": {}}"#).expect("valid");
    assert_eq!(to_json(&v, false).expect("ok"), r#"{"a":"q\"\u0001","b":[1,{"c":null}],"d":{},"e":[]}"#);
    let pretty = to_json(&v, true).expect("ok");
    assert_eq!(
        pretty,
        "{\n  \"a\": \"q\\\"\\u0001\",\n  \"b\": [\n    1,\n    {\n      \"c\": null\n    }\n  ],\n  \"d\": {},\n  \"e\": []\n}"
    );
    assert!(to_json(&Value::Float(f64::NAN), false).is_err());
}
