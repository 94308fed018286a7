//! The parser: tokens to the [`ast`] of LANGUAGE.md §3, with the *Implement*
//! extensions (assignment to `self.x`, full expressions in literals, `Enum::Variant`
//! and `throw(...)` anywhere, wildcard and literal case patterns). This module holds
//! the token cursor, error reporting, recovery and the nesting limits; statements
//! live in `stmt` and `decl`, expressions in `expr`, patterns in `pattern`, and
//! type annotations (parsed, then dropped) in `annotation`. The lexer (`syntax::lexer`)
//! has already rejected malformed tokens; what the tree means is the compiler's job.
//!
//! Errors are panic-mode: the first problem in a statement records a diagnostic and
//! unwinds (as [`Reported`]) to the nearest statement list, which skips to the next
//! statement boundary and carries on, so one typo gives one diagnostic. At most
//! [`MAX_DIAGNOSTICS`] are collected.
//!
//! Nesting is bounded before recursing ([`MAX_EXPR_DEPTH`], [`MAX_BLOCK_DEPTH`]), and
//! a chain of binary or postfix operators counts one level per link, so both the
//! parser's recursion and the depth of the tree it builds stay small enough for a
//! 2 MiB stack, whatever the input. A nesting error ends the parse (resuming inside
//! such a structure would give one error per level). The worst input within the
//! limits needs about 640 KiB of stack at `opt-level = 1`; functions on the
//! recursive path are kept lean (cold branches are `#[inline(never)]`), and a stack
//! budget backs the limits up in unoptimised builds.
//!
//! Diagnostic codes (stable):
//! - `RUFPARSE001` syntax error: an unexpected token (`Expected expression`,
//!   `Expected ')' to close function call arguments but found Eof`, `Invalid statement`)
//! - `RUFPARSE002` a construct that parses upstream but is out of scope here
//!   (`async`, `await`, `spawn`, `yield`, `test`, `test_group`, `test_setup`,
//!   `test_teardown`, `impl`, `func*`)
//! - `RUFPARSE003` a §10 limit was exceeded (expression or block nesting, items in
//!   one literal or list)
//! - `RUFPARSE004` invalid assignment target or misplaced assignment

mod annotation;
mod decl;
mod expr;
mod pattern;
mod stmt;
#[cfg(test)]
mod tests;

use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::Program;
use crate::syntax::token::{Token, TokenKind};
use stmt::starts_expression;

/// Deepest accepted expression nesting (parentheses, operands, unary and postfix
/// chains, literals, patterns, type annotations).
pub const MAX_EXPR_DEPTH: u32 = 256;
/// Deepest accepted block nesting (`else if` counts as a block).
pub const MAX_BLOCK_DEPTH: u32 = 128;
/// Most items in one collection literal, argument list or parameter list.
pub const MAX_ITEMS: usize = 4096;
/// The parser stops after this many diagnostics.
pub const MAX_DIAGNOSTICS: usize = 50;
/// Stack the parser may use below its entry point. Inputs within the nesting
/// limits need well under half of this in optimised builds (`opt-level` 1 and up);
/// the budget is a safety net for unoptimised builds, whose frames are several
/// times larger, so that no input can overflow a 2 MiB thread stack.
const STACK_BUDGET: usize = 1 << 20;

const E_SYNTAX: &str = "RUFPARSE001";
const E_UNSUPPORTED: &str = "RUFPARSE002";
const E_LIMIT: &str = "RUFPARSE003";
const E_ASSIGN: &str = "RUFPARSE004";

/// Stands in for a missing final token when the caller's stream lacks one.
static EOF_TOKEN: Token = Token { kind: TokenKind::Eof, span: Span { start: 0, end: 0 } };

/// Parses a token stream (as produced by `lexer::lex` for the source `text`, which
/// the spans index into) into a program, or returns every diagnostic found. Never
/// panics, whatever the tokens; a stream without a final `Eof` behaves as if it
/// had one.
pub fn parse(text: &str, tokens: &[Token]) -> Result<Program, Vec<Diagnostic>> {
    let mut parser = Parser::new(text, tokens);
    parser.stack_base = stack_position();
    let stmts = parser.parse_program();
    if parser.diags.is_empty() {
        Ok(Program { stmts })
    } else {
        Err(parser.diags)
    }
}

/// A diagnostic has been recorded; unwind to the nearest recovery point.
#[derive(Debug)]
struct Reported;

/// The result of every parsing function.
type PResult<T> = Result<T, Reported>;

/// The token cursor plus everything collected along the way.
struct Parser<'a> {
    /// The source; recovery uses it to see where lines start.
    text: &'a str,
    /// The stream being read: the file's tokens, or an interpolation's.
    tokens: &'a [Token],
    pos: usize,
    /// End of the last consumed token, for spans that end there.
    prev_end: u32,
    diags: Vec<Diagnostic>,
    expr_depth: u32,
    block_depth: u32,
    /// Set by a nesting-limit error: parsing stops there, because resuming inside
    /// a structure nested that deep would only produce one error per level.
    fatal: bool,
    /// [`stack_position`] when parsing started.
    stack_base: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, tokens: &'a [Token]) -> Parser<'a> {
        Parser {
            text,
            tokens,
            pos: 0,
            prev_end: 0,
            diags: Vec::new(),
            expr_depth: 0,
            block_depth: 0,
            fatal: false,
            stack_base: 0,
        }
    }

    /// True once the diagnostic limit is reached or a nesting limit was hit: every
    /// loop stops.
    fn halted(&self) -> bool {
        self.fatal || self.diags.len() >= MAX_DIAGNOSTICS
    }

    fn peek(&self) -> &'a Token {
        let tokens: &'a [Token] = self.tokens;
        tokens.get(self.pos).unwrap_or(&EOF_TOKEN)
    }

    fn peek_kind(&self) -> &'a TokenKind {
        &self.peek().kind
    }

    /// The kind `ahead` tokens after the current one (`Eof` past the end).
    fn nth(&self, ahead: usize) -> &'a TokenKind {
        let tokens: &'a [Token] = self.tokens;
        let at = self.pos.saturating_add(ahead);
        tokens.get(at).map_or(&EOF_TOKEN.kind, |t| &t.kind)
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek_kind() == kind
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek_kind(), TokenKind::Eof)
    }

    /// Consumes the current token (never moves past `Eof`) and returns it.
    fn bump(&mut self) -> &'a Token {
        let token = self.peek();
        if !matches!(token.kind, TokenKind::Eof) {
            self.pos += 1;
            self.prev_end = token.span.end;
        }
        token
    }

    /// Consumes the current token if it is `kind`.
    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `kind` or reports `Expected 'K' CONTEXT but found T`.
    fn expect(&mut self, kind: &TokenKind, context: &str) -> PResult<Span> {
        self.expect_to(kind, context, "")
    }

    /// Like [`Parser::expect`] with the context `VERB WHAT` (`to close array
    /// literal`), built only when the token is missing.
    fn expect_to(&mut self, kind: &TokenKind, verb: &str, what: &str) -> PResult<Span> {
        if self.at(kind) {
            return Ok(self.bump().span);
        }
        Err(self.missing(kind, verb, what))
    }

    /// Reports `Expected 'K' VERB WHAT but found T` at the current token.
    #[cold]
    #[inline(never)]
    fn missing(&mut self, kind: &TokenKind, verb: &str, what: &str) -> Reported {
        let space = if what.is_empty() { "" } else { " " };
        self.unexpected(&format!("'{}' {verb}{space}{what}", kind.spelling()))
    }

    /// Reports `Expected WHAT but found T` at the current token.
    #[cold]
    #[inline(never)]
    fn unexpected(&mut self, what: &str) -> Reported {
        let found = self.peek_kind().describe();
        let span = self.peek().span;
        self.error(E_SYNTAX, format!("Expected {what} but found {found}"), span)
    }

    /// Records a diagnostic (unless the limit is reached) and returns the marker.
    #[cold]
    #[inline(never)]
    fn error(&mut self, code: &'static str, message: impl Into<String>, span: Span) -> Reported {
        if !self.halted() {
            self.diags.push(Diagnostic::parser(code, message, span));
            if self.halted() {
                let last = self.diags.len() - 1;
                let note = format!("too many errors; stopped after {MAX_DIAGNOSTICS}");
                self.diags[last].notes.push(note);
            }
        }
        Reported
    }

    /// From `start` to the end of the last consumed token.
    fn span_from(&self, start: Span) -> Span {
        Span::new(start.start, self.prev_end.max(start.start))
    }

    /// True if the parser has used more than [`STACK_BUDGET`] bytes of stack.
    fn stack_exhausted(&self) -> bool {
        stack_position().abs_diff(self.stack_base) > STACK_BUDGET
    }

    /// Enters one more level of expression nesting, or reports the limit.
    fn descend(&mut self) -> PResult<()> {
        if self.expr_depth >= MAX_EXPR_DEPTH || self.stack_exhausted() {
            let span = self.peek().span;
            let message = format!("Expression nested too deeply (limit {MAX_EXPR_DEPTH})");
            return Err(self.fatal_error(message, span));
        }
        self.expr_depth += 1;
        Ok(())
    }

    /// Reports a nesting limit and stops the parse.
    #[cold]
    #[inline(never)]
    fn fatal_error(&mut self, message: String, span: Span) -> Reported {
        let reported = self.error(E_LIMIT, message, span);
        self.fatal = true;
        reported
    }

    /// Leaves `levels` levels entered with [`Parser::descend`]. Error paths skip
    /// this; the statement list that recovers restores the depth it started with.
    fn ascend(&mut self, levels: u32) {
        self.expr_depth = self.expr_depth.saturating_sub(levels);
    }

    /// Reports a list that grew past [`MAX_ITEMS`].
    #[cold]
    #[inline(never)]
    fn too_many_items(&mut self, what: &str) -> Reported {
        let span = self.peek().span;
        self.error(E_LIMIT, format!("Too many items in {what} (limit {MAX_ITEMS})"), span)
    }

    /// Reports an out-of-scope construct at the current token and consumes its
    /// `tokens` leading tokens, so recovery resumes after them.
    #[cold]
    #[inline(never)]
    fn unsupported(&mut self, what: &str, tokens: usize) -> Reported {
        let start = self.peek().span;
        for _ in 0..tokens {
            self.bump();
        }
        let span = self.span_from(start);
        self.error(E_UNSUPPORTED, format!("'{what}' is not supported by this implementation"), span)
    }

    /// Panic-mode recovery after an error in the statement that began at token
    /// `start`: skips to the next statement boundary. Brackets still open since
    /// `start` are counted, and a boundary is a `;` or `}` outside them, a keyword
    /// that only starts statements (at any depth if it begins a line), `func`
    /// outside brackets, or a token that can start a statement at the beginning of
    /// a line outside brackets.
    #[cold]
    #[inline(never)]
    fn synchronize(&mut self, start: usize) {
        let end = self.pos.min(self.tokens.len());
        let mut depth = 0u32;
        for token in self.tokens.get(start..end).unwrap_or(&[]) {
            depth = bracket_depth(depth, &token.kind);
        }
        loop {
            let token = self.peek();
            let kind = &token.kind;
            let at_line_start = self.starts_line(token);
            let stop = match kind {
                TokenKind::Eof => true,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    true
                }
                TokenKind::RBrace | TokenKind::Func => depth == 0,
                _ if starts_statement(kind) => depth == 0 || at_line_start,
                _ => depth == 0 && at_line_start && starts_expression(kind),
            };
            if stop {
                return;
            }
            depth = bracket_depth(depth, kind);
            self.bump();
        }
    }

    /// True if only whitespace or comments separate `token` from a previous line.
    fn starts_line(&self, token: &Token) -> bool {
        let gap = self.text.get(self.prev_end as usize..token.span.start as usize);
        gap.is_some_and(|gap| gap.contains(['\n', '\r']))
    }
}

/// The address of a local of the calling frame: how deep the stack currently is.
/// Only differences between two such addresses are used.
#[inline(always)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Open-bracket count after `kind`; a stray closer leaves it at zero.
fn bracket_depth(depth: u32, kind: &TokenKind) -> u32 {
    match kind {
        TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth.saturating_add(1),
        TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => depth.saturating_sub(1),
        _ => depth,
    }
}

/// Keywords that only ever start a statement (`func` also starts an expression).
fn starts_statement(kind: &TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        kind,
        Let | Mut
            | Const
            | Struct
            | Enum
            | If
            | While
            | Loop
            | For
            | Match
            | Try
            | Return
            | Break
            | Continue
            | Import
            | From
            | Export
    )
}
