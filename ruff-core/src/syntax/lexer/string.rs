//! String literals: escapes, the single-line rule, the length limit and `${...}`
//! interpolation. An interpolation is lexed in place by the ordinary token loop
//! (so nested strings, quotes and braces inside it just work, and every embedded
//! token keeps its absolute span); it ends at the `}` that balances its `${`.
//! Turning the embedded tokens into an expression is the parser's job.

use super::{span, Lexer, Stop, MAX_INTERP_DEPTH, MAX_STRING_CHARS};
use crate::syntax::token::{StrPart, TokenKind};

impl Lexer<'_> {
    /// Lexes a string literal; the cursor is on the opening quote. Returns a
    /// [`TokenKind::Str`] or, when it has `${...}` parts, a [`TokenKind::Interp`].
    /// `Err` means the literal was abandoned (already reported): it ran into a line
    /// end, nested too deeply, or the diagnostic limit was reached.
    pub(super) fn lex_string(&mut self) -> Result<TokenKind, Stop> {
        let quote = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut lit = String::new();
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                self.unterminated_string(quote);
                return Err(Stop::Unterminated);
            };
            match b {
                b'\n' | b'\r' => {
                    self.unterminated_string(quote);
                    return Err(Stop::Unterminated);
                }
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => self.lex_escape(&mut lit),
                b'$' if self.byte_at(1) == Some(b'{') => {
                    if !lit.is_empty() {
                        parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(self.lex_interpolation(quote)?);
                }
                0 => {
                    let start = self.pos;
                    self.pos += 1;
                    self.error("RUFLEX002", "Unexpected NUL character in string literal", start);
                }
                _ => {
                    let c = self.char_here().unwrap_or('\u{FFFD}');
                    self.pos += c.len_utf8();
                    lit.push(c);
                }
            }
        }
        let body = self.text.get(quote + 1..self.pos - 1).unwrap_or("");
        let count = body.chars().count();
        if count > MAX_STRING_CHARS {
            self.error_at(
                "RUFLEX008",
                format!("String literal too long: {count} characters (limit {MAX_STRING_CHARS})"),
                span(quote, self.pos),
            );
        }
        if parts.is_empty() {
            return Ok(TokenKind::Str(lit));
        }
        if !lit.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Ok(TokenKind::Interp(parts))
    }

    /// One escape sequence; the cursor is on the backslash. A backslash at the end
    /// of the line is left for the caller, which reports the unterminated string.
    fn lex_escape(&mut self, lit: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.char_here() else { return };
        let value = match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '\\' => '\\',
            '"' => '"',
            '$' => '$',
            '\n' | '\r' => return,
            other => {
                self.pos += other.len_utf8();
                // The doubled backslash is the reference's wording, kept on purpose.
                self.error("RUFLEX005", format!("Invalid escape sequence: \\\\{other}"), start);
                return;
            }
        };
        self.pos += 1;
        lit.push(value);
    }

    /// `${ ... }`; the cursor is on the `$`. `quote` is the opening quote of the
    /// enclosing string, where an unterminated-string error is reported.
    fn lex_interpolation(&mut self, quote: usize) -> Result<StrPart, Stop> {
        let open = self.pos;
        if self.interp_depth >= MAX_INTERP_DEPTH {
            self.pos += 2;
            self.error("RUFLEX008", format!("String interpolation nested too deeply (limit {MAX_INTERP_DEPTH})"), open);
            // Abandon the rest of the line: the enclosing strings end there too.
            while self.bytes.get(self.pos).is_some_and(|&b| b != b'\n' && b != b'\r') {
                self.pos += 1;
            }
            return Err(Stop::Unterminated);
        }
        self.pos += 2;
        self.interp_depth += 1;
        let (tokens, stop) = self.lex_tokens(Some(quote));
        self.interp_depth -= 1;
        match stop {
            Stop::Close => Ok(StrPart::Expr { tokens, span: span(open, self.pos) }),
            other => Err(other),
        }
    }

    /// Reports a string that reaches a line end or the end of input.
    pub(super) fn unterminated_string(&mut self, quote: usize) {
        self.error("RUFLEX003", "Unterminated string literal", quote);
    }
}
