//! A JSON parser producing Ruff values, with serde_json's error messages and
//! `line L column C` positions (columns count bytes; an error about the next,
//! unconsumed byte points at that byte, an error about a consumed byte points at
//! it too, and at end of input the position is the last byte). Objects keep
//! their insertion order; integers that fit i64 become ints, every other number a
//! float (`-0` included, as serde_json does).

use std::fmt;
use std::rc::Rc;

use super::MAX_DEPTH;
use crate::runtime::object::{Dict, Key};
use crate::runtime::value::Value;

/// A parse failure: serde_json's message and the byte index it refers to.
#[derive(Debug, PartialEq)]
pub struct ParseError {
    /// The message without position (`EOF while parsing a list`).
    pub message: &'static str,
    /// 1-based line.
    pub line: usize,
    /// Column in bytes (0 only for an error at the very start of a line).
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.line, self.column)
    }
}

const EOF_LIST: &str = "EOF while parsing a list";
const EOF_OBJECT: &str = "EOF while parsing an object";
const EOF_STRING: &str = "EOF while parsing a string";
const EOF_VALUE: &str = "EOF while parsing a value";
const EXPECTED_COLON: &str = "expected `:`";
const EXPECTED_LIST_END: &str = "expected `,` or `]`";
const EXPECTED_OBJECT_END: &str = "expected `,` or `}`";
const EXPECTED_IDENT: &str = "expected ident";
const EXPECTED_VALUE: &str = "expected value";
const INVALID_ESCAPE: &str = "invalid escape";
const INVALID_NUMBER: &str = "invalid number";
const OUT_OF_RANGE: &str = "number out of range";
const INVALID_CODE_POINT: &str = "invalid unicode code point";
const CONTROL_CHAR: &str = "control character (\\u0000-\\u001F) found while parsing a string";
const KEY_NOT_STRING: &str = "key must be a string";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
const TRAILING_COMMA: &str = "trailing comma";
const TRAILING_CHARS: &str = "trailing characters";
const BAD_HEX_END: &str = "unexpected end of hex escape";
const TOO_DEEP: &str = "recursion limit exceeded";

/// Parses a complete JSON document.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut p = Parser { src: text.as_bytes(), pos: 0, depth: 0 };
    let v = p.value()?;
    match p.skip_ws() {
        Some(_) => Err(p.peek_error(TRAILING_CHARS)),
        None => Ok(v),
    }
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    /// Position after the first `consumed` bytes.
    fn at(&self, consumed: usize) -> (usize, usize) {
        let before = &self.src[..consumed];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        (line, consumed - start)
    }

    /// An error about the bytes already consumed.
    fn error(&self, message: &'static str) -> ParseError {
        let (line, column) = self.at(self.pos);
        ParseError { message, line, column }
    }

    /// An error about the next byte (or the end of input).
    fn peek_error(&self, message: &'static str) -> ParseError {
        let (line, column) = self.at((self.pos + 1).min(self.src.len()));
        ParseError { message, line, column }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn skip_ws(&mut self) -> Option<u8> {
        while let Some(b) = self.peek() {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        let Some(b) = self.skip_ws() else { return Err(self.peek_error(EOF_VALUE)) };
        match b {
            b'n' => self.ident(b"null", Value::Null),
            b't' => self.ident(b"true", Value::Bool(true)),
            b'f' => self.ident(b"false", Value::Bool(false)),
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => {
                self.pos += 1;
                Ok(Value::str(self.string()?))
            }
            b'[' => self.nested(Self::array),
            b'{' => self.nested(Self::object),
            _ => Err(self.peek_error(EXPECTED_VALUE)),
        }
    }

    /// Enforces the nesting limit around a container parser.
    fn nested(&mut self, f: fn(&mut Self) -> Result<Value, ParseError>) -> Result<Value, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.peek_error(TOO_DEEP));
        }
        self.depth += 1;
        self.pos += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn ident(&mut self, word: &[u8], v: Value) -> Result<Value, ParseError> {
        self.pos += 1;
        for &want in &word[1..] {
            match self.next() {
                None => return Err(self.error(EOF_VALUE)),
                Some(b) if b != want => return Err(self.error(EXPECTED_IDENT)),
                Some(_) => {}
            }
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next() {
            None => return Err(self.error(EOF_VALUE)),
            Some(b'0') => {
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.peek_error(INVALID_NUMBER));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            Some(_) => return Err(self.error(INVALID_NUMBER)),
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integral = false;
            if self.digits() == 0 {
                return Err(self.peek_error(if self.peek().is_some() { INVALID_NUMBER } else { EOF_VALUE }));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integral = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            match self.next() {
                None => return Err(self.error(EOF_VALUE)),
                Some(b'0'..=b'9') => {
                    self.digits();
                }
                Some(_) => return Err(self.error(INVALID_NUMBER)),
            }
        }
        let text = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("0");
        if integral {
            if let Ok(i) = text.parse::<i64>() {
                // serde_json reads `-0` as the float -0.0.
                return Ok(if i == 0 && text.starts_with('-') { Value::Float(-0.0) } else { Value::Int(i) });
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(self.error(OUT_OF_RANGE)),
        }
    }

    /// The rest of a string whose opening quote is consumed.
    fn string(&mut self) -> Result<String, ParseError> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let run = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.extend_from_slice(&self.src[run..self.pos]);
            match self.next() {
                None => return Err(self.error(EOF_STRING)),
                Some(b'"') => break,
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => return Err(self.error(CONTROL_CHAR)),
            }
        }
        // The input is a &str and escapes push whole code points, so this is UTF-8.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let c = match self.next() {
            None => return Err(self.error(EOF_STRING)),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => self.unicode_escape()?,
            Some(_) => return Err(self.error(INVALID_ESCAPE)),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.next() {
                None => return Err(self.error(EOF_STRING)),
                Some(b) => (b as char).to_digit(16).ok_or_else(|| self.error(INVALID_ESCAPE))?,
            };
            n = n * 16 + d;
        }
        Ok(n)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let n = self.hex4()?;
        match n {
            0xD800..=0xDBFF => {
                match (self.next(), self.next()) {
                    (Some(b'\\'), Some(b'u')) => {}
                    (None, _) | (Some(b'\\'), None) => return Err(self.error(EOF_STRING)),
                    _ => return Err(self.error(LONE_SURROGATE)),
                }
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.error(LONE_SURROGATE));
                }
                let c = 0x10000 + ((n - 0xD800) << 10) + (low - 0xDC00);
                char::from_u32(c).ok_or_else(|| self.error(INVALID_CODE_POINT))
            }
            0xDC00..=0xDFFF => Err(self.error(INVALID_CODE_POINT)),
            _ => char::from_u32(n).ok_or_else(|| self.error(BAD_HEX_END)),
        }
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        let mut items = Vec::new();
        let mut first = true;
        loop {
            match self.skip_ws() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::array(items));
                }
                Some(b',') if !first => {
                    self.pos += 1;
                    match self.skip_ws() {
                        Some(b']') => return Err(self.peek_error(TRAILING_COMMA)),
                        Some(_) => {}
                        None => return Err(self.peek_error(EOF_VALUE)),
                    }
                }
                Some(_) if first => first = false,
                Some(_) => return Err(self.peek_error(EXPECTED_LIST_END)),
                None => return Err(self.peek_error(EOF_LIST)),
            }
            items.push(self.value()?);
        }
    }

    fn object(&mut self) -> Result<Value, ParseError> {
        let mut dict = Dict::new();
        let mut first = true;
        loop {
            match self.skip_ws() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Dict(Rc::new(dict)));
                }
                Some(b',') if !first => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(_) if first => first = false,
                Some(_) => return Err(self.peek_error(EXPECTED_OBJECT_END)),
                None => return Err(self.peek_error(EOF_OBJECT)),
            }
            match self.peek() {
                Some(b'"') => self.pos += 1,
                Some(b'}') => return Err(self.peek_error(TRAILING_COMMA)),
                Some(_) => return Err(self.peek_error(KEY_NOT_STRING)),
                None => return Err(self.peek_error(EOF_VALUE)),
            }
            let key = self.string()?;
            match self.skip_ws() {
                Some(b':') => self.pos += 1,
                Some(_) => return Err(self.peek_error(EXPECTED_COLON)),
                None => return Err(self.peek_error(EOF_OBJECT)),
            }
            let v = self.value()?;
            dict.insert(Key::from_text(&key), v);
        }
    }
}
