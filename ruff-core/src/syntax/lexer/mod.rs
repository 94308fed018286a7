//! The lexer: source text to [`Token`]s, following LANGUAGE.md §2. It owns
//! whitespace, comments, identifiers and keywords, numbers and punctuation; string
//! literals and their `${...}` interpolation live in the `string` submodule. The
//! lexer never stops at the first problem: it records a diagnostic, skips the bad
//! input and keeps going, so one run reports every lexical error (up to
//! [`MAX_DIAGNOSTICS`]). What the tokens mean is the parser's business
//! (`syntax::parser`).
//!
//! Diagnostic codes:
//! - `RUFLEX001` invalid character
//! - `RUFLEX002` NUL character
//! - `RUFLEX003` unterminated string
//! - `RUFLEX004` unterminated block comment
//! - `RUFLEX005` invalid escape sequence
//! - `RUFLEX006` integer literal overflow
//! - `RUFLEX007` malformed numeric literal
//! - `RUFLEX008` a lexical limit of §10 was exceeded (source size, identifier
//!   length, string length, interpolation nesting)

mod string;
#[cfg(test)]
mod tests;

use crate::diag::{Diagnostic, Span};
use crate::syntax::token::{Token, TokenKind};

/// Largest accepted source file, in bytes.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Longest accepted identifier, in characters.
pub const MAX_IDENT_CHARS: usize = 256;
/// Longest accepted string literal (text between the quotes), in characters.
pub const MAX_STRING_CHARS: usize = 8192;
/// Deepest accepted nesting of string literals inside `${...}`.
pub const MAX_INTERP_DEPTH: u32 = 32;
/// The lexer stops after this many diagnostics.
pub const MAX_DIAGNOSTICS: usize = 50;

/// Longest literal text quoted back inside a diagnostic message.
const MAX_QUOTED_CHARS: usize = 64;

/// Lexes a whole file. The tokens always end with one [`TokenKind::Eof`]; on any
/// lexical error every diagnostic found is returned instead.
pub fn lex(text: &str) -> Result<Vec<Token>, Vec<Diagnostic>> {
    if text.len() > MAX_SOURCE_BYTES {
        return Err(vec![Diagnostic::lexer(
            "RUFLEX008",
            format!("Source file too large: {} bytes (limit {MAX_SOURCE_BYTES})", text.len()),
            Span::new(0, 0),
        )]);
    }
    let mut lexer = Lexer::new(text);
    let (tokens, _) = lexer.lex_tokens(None);
    if lexer.diags.is_empty() {
        Ok(tokens)
    } else {
        Err(lexer.diags)
    }
}

/// Why [`Lexer::lex_tokens`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// End of input, or the diagnostic limit was reached.
    End,
    /// The `}` closing an interpolation was consumed.
    Close,
    /// An interpolated string ran into a line end; already reported.
    Unterminated,
}

/// Cursor over the source plus the diagnostics collected so far.
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    diags: Vec<Diagnostic>,
    interp_depth: u32,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer { text, bytes: text.as_bytes(), pos: 0, diags: Vec::new(), interp_depth: 0 }
    }

    /// Lexes tokens until the end of input or, inside an interpolation (`interp`
    /// holds the byte offset of the enclosing string's opening quote), until the
    /// `}` that closes it. The returned tokens end with `Eof` in both cases.
    fn lex_tokens(&mut self, interp: Option<usize>) -> (Vec<Token>, Stop) {
        let mut tokens = Vec::new();
        let mut brace_depth = 0u32;
        loop {
            if self.diags.len() >= MAX_DIAGNOSTICS {
                tokens.push(self.token(TokenKind::Eof, self.pos));
                return (tokens, Stop::End);
            }
            let start = self.pos;
            let Some(&b) = self.bytes.get(start) else {
                if let Some(quote) = interp {
                    self.unterminated_string(quote);
                    return (tokens, Stop::Unterminated);
                }
                tokens.push(self.token(TokenKind::Eof, start));
                return (tokens, Stop::End);
            };
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\n' | b'\r' => {
                    // Strings never span lines, and `${...}` is part of its string.
                    if let Some(quote) = interp {
                        self.unterminated_string(quote);
                        return (tokens, Stop::Unterminated);
                    }
                    self.pos += 1;
                }
                b'#' => self.skip_line_comment(),
                b'/' if self.byte_at(1) == Some(b'/') => self.skip_line_comment(),
                b'/' if self.byte_at(1) == Some(b'*') => self.skip_block_comment(),
                b'0'..=b'9' => {
                    let kind = self.lex_number();
                    tokens.push(self.token(kind, start));
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let kind = self.lex_ident();
                    tokens.push(self.token(kind, start));
                }
                b'"' => match self.lex_string() {
                    Ok(kind) => tokens.push(self.token(kind, start)),
                    Err(stop) if interp.is_some() => return (tokens, stop),
                    Err(_) => {}
                },
                0 => {
                    self.pos += 1;
                    self.error("RUFLEX002", "Unexpected NUL character in source", start);
                }
                b'{' if interp.is_some() => {
                    brace_depth += 1;
                    self.pos += 1;
                    tokens.push(self.token(TokenKind::LBrace, start));
                }
                b'}' if interp.is_some() => {
                    self.pos += 1;
                    if brace_depth == 0 {
                        tokens.push(self.token(TokenKind::Eof, start));
                        return (tokens, Stop::Close);
                    }
                    brace_depth -= 1;
                    tokens.push(self.token(TokenKind::RBrace, start));
                }
                _ => {
                    if let Some(kind) = self.lex_punct(b) {
                        tokens.push(self.token(kind, start));
                    } else {
                        self.invalid_char(start);
                    }
                }
            }
        }
    }

    /// The byte `ahead` positions after the cursor.
    fn byte_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos.checked_add(ahead)?).copied()
    }

    /// The character at the cursor (the cursor is always on a char boundary).
    fn char_here(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    /// A token from `start` to the cursor.
    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token { kind, span: span(start, self.pos) }
    }

    /// Records a diagnostic spanning `start` to the cursor (at least one byte when
    /// the cursor has not moved).
    fn error(&mut self, code: &'static str, message: impl Into<String>, start: usize) {
        let end = self.pos.max(start + 1).min(self.bytes.len()).max(start);
        self.error_at(code, message, span(start, end));
    }

    /// Records a diagnostic at an explicit span, unless the limit is reached.
    fn error_at(&mut self, code: &'static str, message: impl Into<String>, at: Span) {
        if self.diags.len() < MAX_DIAGNOSTICS {
            self.diags.push(Diagnostic::lexer(code, message, at));
        }
    }

    fn invalid_char(&mut self, start: usize) {
        let c = self.char_here().unwrap_or('\u{FFFD}');
        self.pos += c.len_utf8().max(1);
        if c != '\'' {
            self.error("RUFLEX001", format!("Invalid character: {c:?}"), start);
            return;
        }
        // A single-quoted "string" is one mistake: report it once and skip to the
        // closing quote on the same line.
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        let close = rest.iter().take_while(|&&b| b != b'\n' && b != b'\r').position(|&b| b == b'\'');
        self.error("RUFLEX001", "Invalid character: '\\''", start);
        if let Some(last) = self.diags.last_mut() {
            last.notes.push("strings use double quotes".to_string());
        }
        if let Some(offset) = close {
            self.pos += offset + 1;
        }
    }

    fn skip_line_comment(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'\n' || b == b'\r' {
                break;
            }
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] == b'*' && self.byte_at(1) == Some(b'/') {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.error_at("RUFLEX004", "Unterminated block comment", span(start, start + 2));
    }

    /// An identifier or keyword; the cursor is on an ASCII letter or `_`.
    fn lex_ident(&mut self) -> TokenKind {
        let start = self.pos;
        self.pos += 1;
        let mut count = 1usize;
        while let Some(c) = self.char_here() {
            if !is_ident_continue(c) {
                break;
            }
            self.pos += c.len_utf8();
            count += 1;
        }
        let word = self.text.get(start..self.pos).unwrap_or("");
        if count > MAX_IDENT_CHARS {
            self.error(
                "RUFLEX008",
                format!("Identifier too long: {count} characters (limit {MAX_IDENT_CHARS})"),
                start,
            );
        }
        TokenKind::keyword(word).unwrap_or_else(|| TokenKind::Ident(word.to_string()))
    }

    /// An integer or `DIGITS.DIGITS` float; the cursor is on a digit.
    fn lex_number(&mut self) -> TokenKind {
        let start = self.pos;
        self.skip_digits();
        let mut is_float = false;
        if self.byte_at(0) == Some(b'.') && self.byte_at(1).is_some_and(|b| b.is_ascii_digit()) {
            is_float = true;
            self.pos += 1;
            self.skip_digits();
        }
        if self.char_here().is_some_and(is_ident_continue) {
            // `1e5`, `2.5e3`, `12abc`: take the whole word so the message shows it.
            while let Some(c) = self.char_here().filter(|&c| is_ident_continue(c)) {
                self.pos += c.len_utf8();
            }
            let text = quoted(self.text.get(start..self.pos).unwrap_or(""));
            self.error("RUFLEX007", format!("Malformed numeric literal: {text}"), start);
            return TokenKind::Int(0);
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        if is_float {
            return TokenKind::Float(text.parse().unwrap_or(0.0));
        }
        match text.parse::<i64>() {
            Ok(v) => TokenKind::Int(v),
            Err(_) => {
                let shown = quoted(text);
                self.error("RUFLEX006", format!("Numeric literal overflow: {shown}"), start);
                TokenKind::Int(0)
            }
        }
    }

    fn skip_digits(&mut self) {
        while self.byte_at(0).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// Operators and punctuation, longest match first; `None` for a byte that
    /// starts no token (the cursor is then left where it was).
    fn lex_punct(&mut self, b: u8) -> Option<TokenKind> {
        use TokenKind::*;
        let next = self.byte_at(1);
        let (kind, len) = match (b, next) {
            (b'+', Some(b'=')) => (PlusEq, 2),
            (b'+', _) => (Plus, 1),
            (b'-', Some(b'=')) => (MinusEq, 2),
            (b'-', Some(b'>')) => (Arrow, 2),
            (b'-', _) => (Minus, 1),
            (b'*', Some(b'=')) => (StarEq, 2),
            (b'*', _) => (Star, 1),
            (b'/', Some(b'=')) => (SlashEq, 2),
            (b'/', _) => (Slash, 1),
            (b'%', Some(b'=')) => (PercentEq, 2),
            (b'%', _) => (Percent, 1),
            (b'=', Some(b'=')) => (EqEq, 2),
            (b'=', _) => (Eq, 1),
            (b'!', Some(b'=')) => (NotEq, 2),
            (b'!', _) => (Bang, 1),
            (b'<', Some(b'=')) => (Le, 2),
            (b'<', _) => (Lt, 1),
            (b'>', Some(b'=')) => (Ge, 2),
            (b'>', _) => (Gt, 1),
            (b'&', Some(b'&')) => (AndAnd, 2),
            (b'&', _) => (Amp, 1),
            (b'|', Some(b'|')) => (OrOr, 2),
            (b'|', Some(b'>')) => (PipeGt, 2),
            (b'|', _) => (Bar, 1),
            (b':', Some(b'=')) => (ColonEq, 2),
            (b':', Some(b':')) => (ColonColon, 2),
            (b':', _) => (Colon, 1),
            (b'?', Some(b'?')) => (QuestionQuestion, 2),
            (b'?', Some(b'.')) => (QuestionDot, 2),
            (b'?', _) => (Question, 1),
            (b'.', Some(b'.')) if self.byte_at(2) == Some(b'.') => (Ellipsis, 3),
            (b'.', _) => (Dot, 1),
            (b',', _) => (Comma, 1),
            (b';', _) => (Semi, 1),
            (b'(', _) => (LParen, 1),
            (b')', _) => (RParen, 1),
            (b'[', _) => (LBracket, 1),
            (b']', _) => (RBracket, 1),
            (b'{', _) => (LBrace, 1),
            (b'}', _) => (RBrace, 1),
            _ => return None,
        };
        self.pos += len;
        Some(kind)
    }
}

/// Characters allowed after the first one of an identifier.
fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// A span from byte offsets; the source is at most [`MAX_SOURCE_BYTES`], so the
/// conversion cannot truncate.
fn span(start: usize, end: usize) -> Span {
    let start = u32::try_from(start).unwrap_or(u32::MAX);
    let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
    Span::new(start, end)
}

/// Literal text for a message, cut short when it is huge.
fn quoted(text: &str) -> String {
    if text.chars().count() <= MAX_QUOTED_CHARS {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX_QUOTED_CHARS).collect();
    format!("{head}...")
}
