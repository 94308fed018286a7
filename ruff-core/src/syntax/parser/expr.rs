//! Expressions (LANGUAGE.md §3.2) by precedence climbing: binary levels from `|>`
//! (lowest) to `* / %`, then unary `-`/`!`, postfix chains and primaries. The parser
//! removes sugar here: `x |> f(a)` becomes `f(x, a)`, `Result::Ok(e)` becomes
//! `Ok(e)`, and string interpolations are parsed from the tokens the lexer embedded.
//! Every level of nesting (parentheses, operands, each link of an operator chain)
//! goes through [`Parser::descend`] first, which bounds both recursion and tree depth.

use std::rc::Rc;

use super::pattern::is_builtin_variant;
use super::stmt::unsupported_keyword;
use super::{PResult, Parser, E_SYNTAX};
use crate::diag::Span;
use crate::syntax::ast::{BinOp, DictEntry, Elem, Expr, ExprKind, Ident, InterpPart, UnaryOp};
use crate::syntax::token::{StrPart, Token, TokenKind};

/// An infix operator: the short-circuit and pipe forms have their own nodes.
#[derive(Clone, Copy)]
enum Infix {
    Pipe,
    Coalesce,
    Or,
    And,
    Bin(BinOp),
}

/// Binding power (higher binds tighter) and operator of an infix token.
fn infix(kind: &TokenKind) -> Option<(u8, Infix)> {
    use TokenKind::*;
    Some(match kind {
        PipeGt => (1, Infix::Pipe),
        QuestionQuestion => (2, Infix::Coalesce),
        OrOr => (3, Infix::Or),
        AndAnd => (4, Infix::And),
        EqEq => (5, Infix::Bin(BinOp::Eq)),
        NotEq => (5, Infix::Bin(BinOp::Ne)),
        Lt => (6, Infix::Bin(BinOp::Lt)),
        Le => (6, Infix::Bin(BinOp::Le)),
        Gt => (6, Infix::Bin(BinOp::Gt)),
        Ge => (6, Infix::Bin(BinOp::Ge)),
        Plus => (7, Infix::Bin(BinOp::Add)),
        Minus => (7, Infix::Bin(BinOp::Sub)),
        Star => (8, Infix::Bin(BinOp::Mul)),
        Slash => (8, Infix::Bin(BinOp::Div)),
        Percent => (8, Infix::Bin(BinOp::Mod)),
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    /// A full expression (the `pipe` level).
    #[inline(always)]
    pub(super) fn parse_expr(&mut self) -> PResult<Expr> {
        self.descend()?;
        let expr = self.parse_binary(1)?;
        self.ascend(1);
        Ok(expr)
    }

    /// Operands joined by infix operators binding at least as tightly as
    /// `min_power`; every level is left-associative.
    fn parse_binary(&mut self, min_power: u8) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        let mut links = 0;
        loop {
            if let TokenKind::Amp | TokenKind::Bar = self.peek_kind() {
                return Err(self.bitwise_operator());
            }
            let Some((power, op)) = infix(self.peek_kind()) else { break };
            if power < min_power {
                break;
            }
            self.bump();
            self.descend()?;
            links += 1;
            let rhs = self.parse_binary(power + 1)?;
            lhs = combine(op, lhs, rhs);
        }
        self.ascend(links);
        Ok(lhs)
    }

    /// Reports a lone `&` or `|`, which the lexer accepts but no rule uses.
    #[cold]
    #[inline(never)]
    fn bitwise_operator(&mut self) -> super::Reported {
        let op = self.peek_kind().spelling();
        let span = self.peek().span;
        let message =
            format!("Unexpected '{op}': Ruff has no bitwise operators (use '{op}{op}' or the bit_* functions)");
        self.error(E_SYNTAX, message, span)
    }

    /// Any number of prefix `-`/`!` and then a postfix expression. Prefixes are
    /// collected in a loop rather than by recursion: this function is inlined into
    /// [`Parser::parse_binary`] so that it costs no stack frame of its own.
    #[inline(always)]
    fn parse_unary(&mut self) -> PResult<Expr> {
        let mut prefixes = Vec::new();
        loop {
            let op = match self.peek_kind() {
                TokenKind::Minus => UnaryOp::Neg,
                TokenKind::Bang => UnaryOp::Not,
                _ => break,
            };
            let start = self.bump().span;
            self.descend()?;
            prefixes.push((op, start));
        }
        let expr = self.parse_postfix()?;
        if prefixes.is_empty() {
            return Ok(expr);
        }
        self.ascend(u32::try_from(prefixes.len()).unwrap_or(u32::MAX));
        Ok(wrap_prefixes(prefixes, expr))
    }

    /// A primary followed by calls, indexes, fields, method calls, `?.`, `?` and (only
    /// directly after a bare name) a struct literal. Each link is its own function
    /// so this frame, which sits on every level of recursion, stays small.
    pub(super) fn parse_postfix(&mut self) -> PResult<Expr> {
        let first = self.pos;
        let starts_with_name = matches!(self.peek_kind(), TokenKind::Ident(_));
        let mut expr = self.parse_primary()?;
        if starts_with_name && self.pos == first + 1 && self.at_struct_literal() {
            expr = self.parse_struct_literal(expr)?;
        }
        let mut links = 0;
        loop {
            if !matches!(
                self.peek_kind(),
                TokenKind::LParen | TokenKind::LBracket | TokenKind::Dot | TokenKind::QuestionDot | TokenKind::Question
            ) {
                break;
            }
            self.descend()?;
            links += 1;
            expr = self.parse_postfix_link(expr)?;
        }
        self.ascend(links);
        Ok(expr)
    }

    /// One postfix link applied to `target`; the cursor is on `(`, `[`, `.`, `?.`
    /// or `?`.
    #[inline(never)]
    fn parse_postfix_link(&mut self, target: Expr) -> PResult<Expr> {
        let start = target.span;
        let target = Box::new(target);
        let kind = match self.bump().kind {
            TokenKind::LParen => {
                let args = self.parse_args("function call arguments")?;
                ExprKind::Call { callee: target, args }
            }
            TokenKind::LBracket => {
                let index = Box::new(self.parse_expr()?);
                self.expect(&TokenKind::RBracket, "to close index expression")?;
                ExprKind::Index { target, index }
            }
            TokenKind::Dot => {
                let name = self.parse_ident("after '.'")?;
                if self.eat(&TokenKind::LParen) {
                    let args = self.parse_args("method call arguments")?;
                    ExprKind::MethodCall { target, name, args }
                } else {
                    ExprKind::Field { target, name }
                }
            }
            TokenKind::QuestionDot => {
                let name = self.parse_ident("after '?.'")?;
                ExprKind::OptField { target, name }
            }
            _ => ExprKind::Try(target),
        };
        Ok(Expr { kind, span: self.span_from(start) })
    }

    /// At `{` after a bare name: a struct literal only if `{` is followed by `}`
    /// or by `NAME :` (§3.3; so `if flag {}` really is `flag {}`).
    fn at_struct_literal(&self) -> bool {
        if !self.at(&TokenKind::LBrace) {
            return false;
        }
        match self.nth(1) {
            TokenKind::RBrace => true,
            TokenKind::Ident(_) => matches!(self.nth(2), TokenKind::Colon),
            _ => false,
        }
    }

    /// `Name { field: value, ... }` when `name` is a bare identifier (otherwise
    /// `name` comes back unchanged); the cursor is on `{`.
    #[inline(never)]
    fn parse_struct_literal(&mut self, name: Expr) -> PResult<Expr> {
        let ExprKind::Ident(text) = name.kind else { return Ok(name) };
        let name = Ident { name: text, span: name.span };
        self.descend()?;
        self.bump();
        let fields = self.comma_list(&TokenKind::RBrace, "struct literal", |p| {
            let name = p.parse_ident("as a field name in struct literal")?;
            p.expect(&TokenKind::Colon, "after field name in struct literal")?;
            Ok((name, p.parse_expr()?))
        })?;
        self.ascend(1);
        let span = self.span_from(name.span);
        Ok(Expr { kind: ExprKind::StructLit { name, fields }, span })
    }

    /// Call arguments after the `(`, through the `)`.
    fn parse_args(&mut self, what: &str) -> PResult<Vec<Expr>> {
        self.comma_list(&TokenKind::RParen, what, Self::parse_arg)
    }

    /// One call argument.
    #[inline(never)]
    fn parse_arg(&mut self) -> PResult<Expr> {
        self.parse_expr()
    }

    /// Literals, names, `Enum::Variant`, `Ok(..)` and friends, collection literals,
    /// anonymous functions and parenthesised expressions.
    #[inline(never)]
    fn parse_primary(&mut self) -> PResult<Expr> {
        let token: &'a Token = self.peek();
        let span = token.span;
        let kind = match &token.kind {
            TokenKind::Int(v) => ExprKind::Int(*v),
            TokenKind::Float(v) => ExprKind::Float(*v),
            TokenKind::Str(s) => ExprKind::Str(s.clone()),
            TokenKind::True => ExprKind::Bool(true),
            TokenKind::False => ExprKind::Bool(false),
            TokenKind::Null => ExprKind::Null,
            TokenKind::SelfKw => ExprKind::Ident("self".to_string()),
            TokenKind::Interp(parts) => return self.parse_interp(parts, span),
            TokenKind::Ident(name) => return self.parse_name(name, span),
            TokenKind::LBracket => return self.parse_array(),
            TokenKind::LBrace => return self.parse_dict(),
            TokenKind::Func => return self.parse_lambda(),
            TokenKind::LParen => return self.parse_paren(),
            other => {
                if let Some(word) = unsupported_keyword(other) {
                    return Err(self.unsupported(word, 1));
                }
                return Err(self.error(E_SYNTAX, "Expected expression", span));
            }
        };
        self.bump();
        Ok(Expr { kind, span })
    }

    /// A name, `Enum::Variant[(args)]`, `Ok(e)`/`Err(e)`/`Some(e)`, `None` or
    /// `throw(e)`; the cursor is on the identifier.
    #[inline(never)]
    fn parse_name(&mut self, name: &'a str, span: Span) -> PResult<Expr> {
        let next = self.nth(1);
        if matches!(next, TokenKind::ColonColon) {
            return self.parse_variant(name, span);
        }
        let is_wrapper = matches!(name, "Ok" | "Err" | "Some" | "throw");
        if is_wrapper && matches!(next, TokenKind::LParen) {
            self.bump();
            self.bump();
            let inner = Box::new(self.parse_expr()?);
            self.expect_to(&TokenKind::RParen, "to close", &[name, "(...)"].concat())?;
            let kind = match name {
                "Ok" => ExprKind::Ok(inner),
                "Err" => ExprKind::Err(inner),
                "Some" => ExprKind::Some(inner),
                _ => ExprKind::Throw(inner),
            };
            return Ok(Expr { kind, span: self.span_from(span) });
        }
        self.bump();
        let kind = if name == "None" { ExprKind::NoneLit } else { ExprKind::Ident(name.to_string()) };
        Ok(Expr { kind, span })
    }

    /// `Enum::Variant` with optional arguments; `Result::Ok(e)`, `Result::Err(e)`,
    /// `Option::Some(e)` and `Option::None` fold to the built-in forms.
    #[inline(never)]
    fn parse_variant(&mut self, enum_name: &'a str, span: Span) -> PResult<Expr> {
        self.bump();
        self.bump();
        let variant = self.parse_ident("after '::'")?;
        let args = if self.eat(&TokenKind::LParen) { Some(self.parse_args("enum variant arguments")?) } else { None };
        let whole = self.span_from(span);
        if !is_builtin_variant(enum_name, &variant.name) {
            let enum_name = Ident { name: enum_name.to_string(), span };
            let args = args.unwrap_or_default();
            return Ok(Expr { kind: ExprKind::EnumVariant { enum_name, variant, args }, span: whole });
        }
        let path = format!("{enum_name}::{}", variant.name);
        if variant.name == "None" {
            if args.is_some_and(|a| !a.is_empty()) {
                let message = format!("{path} takes no arguments");
                return Err(self.error(E_SYNTAX, message, whole));
            }
            return Ok(Expr { kind: ExprKind::NoneLit, span: whole });
        }
        let mut args = args.unwrap_or_default();
        let (Some(inner), true) = (args.pop(), args.is_empty()) else {
            let message = format!("{path} expects exactly one argument");
            return Err(self.error(E_SYNTAX, message, whole));
        };
        let inner = Box::new(inner);
        let kind = match variant.name.as_str() {
            "Ok" => ExprKind::Ok(inner),
            "Err" => ExprKind::Err(inner),
            _ => ExprKind::Some(inner),
        };
        Ok(Expr { kind, span: whole })
    }

    /// `[a, ...b]`.
    #[inline(never)]
    fn parse_array(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let elems = self.comma_list(&TokenKind::RBracket, "array literal", Self::parse_elem)?;
        Ok(Expr { kind: ExprKind::Array(elems), span: self.span_from(start) })
    }

    /// `e` or `...e` in an array literal.
    #[inline(never)]
    fn parse_elem(&mut self) -> PResult<Elem> {
        if self.eat(&TokenKind::Ellipsis) {
            Ok(Elem::Spread(self.parse_expr()?))
        } else {
            Ok(Elem::Expr(self.parse_expr()?))
        }
    }

    /// `{k: v, ...d}`; keys are arbitrary expressions.
    #[inline(never)]
    fn parse_dict(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let entries = self.comma_list(&TokenKind::RBrace, "dict literal", Self::parse_entry)?;
        Ok(Expr { kind: ExprKind::Dict(entries), span: self.span_from(start) })
    }

    /// `k: v` or `...d` in a dict literal.
    #[inline(never)]
    fn parse_entry(&mut self) -> PResult<DictEntry> {
        if self.eat(&TokenKind::Ellipsis) {
            return Ok(DictEntry::Spread(self.parse_expr()?));
        }
        let key = self.parse_expr()?;
        self.expect(&TokenKind::Colon, "after dict key")?;
        Ok(DictEntry::Pair(key, self.parse_expr()?))
    }

    /// `func(params) [-> type] { }`, named `<lambda>`.
    #[inline(never)]
    fn parse_lambda(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        if matches!(self.nth(1), TokenKind::Star) {
            return Err(self.unsupported("func*", 2));
        }
        self.bump();
        let name = Ident { name: "<lambda>".to_string(), span: start };
        let decl = self.parse_func_rest(start, name)?;
        let span = decl.span;
        Ok(Expr { kind: ExprKind::Func(Rc::new(decl)), span })
    }

    /// `( expr )`; the span grows to cover the parentheses.
    #[inline(never)]
    fn parse_paren(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let mut expr = self.parse_expr()?;
        let close = self.expect(&TokenKind::RParen, "to close parenthesized expression")?;
        expr.span = start.to(close);
        Ok(expr)
    }

    /// An interpolated string: each `${...}` part is parsed from its own tokens.
    #[inline(never)]
    fn parse_interp(&mut self, parts: &'a [StrPart], span: Span) -> PResult<Expr> {
        let mut out = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                StrPart::Lit(text) => out.push(InterpPart::Lit(text.clone())),
                StrPart::Expr { tokens, span } => {
                    out.push(InterpPart::Expr(self.parse_embedded(tokens, *span)?));
                }
            }
        }
        self.bump();
        Ok(Expr { kind: ExprKind::Interp(out), span })
    }

    /// Exactly one expression from an interpolation's tokens (which end in `Eof`
    /// at the closing `}`). The cursor is swapped to those tokens and back, so
    /// spans and diagnostics stay absolute.
    #[inline(never)]
    fn parse_embedded(&mut self, tokens: &'a [Token], span: Span) -> PResult<Expr> {
        if tokens.first().is_none_or(|t| matches!(t.kind, TokenKind::Eof)) {
            return Err(self.error(E_SYNTAX, "Expected expression inside '${}'", span));
        }
        let saved = (self.tokens, self.pos, self.prev_end);
        self.tokens = tokens;
        self.pos = 0;
        let result = match self.parse_expr() {
            Ok(expr) if self.at_eof() => Ok(expr),
            Ok(_) => Err(self.unexpected("'}' to close string interpolation")),
            Err(reported) => Err(reported),
        };
        (self.tokens, self.pos, self.prev_end) = saved;
        result
    }
}

/// Applies prefix operators collected left to right (the innermost is last).
#[inline(never)]
fn wrap_prefixes(mut prefixes: Vec<(UnaryOp, Span)>, mut expr: Expr) -> Expr {
    while let Some((op, start)) = prefixes.pop() {
        let span = start.to(expr.span);
        expr = Expr { kind: ExprKind::Unary { op, expr: Box::new(expr) }, span };
    }
    expr
}

/// Builds the node for `lhs OP rhs`.
#[inline(never)]
fn combine(op: Infix, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    let (lhs, rhs) = (Box::new(lhs), Box::new(rhs));
    let kind = match op {
        Infix::Pipe => return pipe(*lhs, *rhs, span),
        Infix::Coalesce => ExprKind::Coalesce(lhs, rhs),
        Infix::Or => ExprKind::Or(lhs, rhs),
        Infix::And => ExprKind::And(lhs, rhs),
        Infix::Bin(op) => ExprKind::Binary { op, lhs, rhs },
    };
    Expr { kind, span }
}

/// `x |> f(a)` is `f(x, a)`, `x |> o.m(a)` is `o.m(x, a)`, `x |> E::V(a)` is
/// `E::V(x, a)`, and `x |> f` is `f(x)`.
fn pipe(value: Expr, rhs: Expr, span: Span) -> Expr {
    let kind = match rhs.kind {
        ExprKind::Call { callee, mut args } => {
            args.insert(0, value);
            ExprKind::Call { callee, args }
        }
        ExprKind::MethodCall { target, name, mut args } => {
            args.insert(0, value);
            ExprKind::MethodCall { target, name, args }
        }
        ExprKind::EnumVariant { enum_name, variant, mut args } => {
            args.insert(0, value);
            ExprKind::EnumVariant { enum_name, variant, args }
        }
        other => {
            let callee = Box::new(Expr { kind: other, span: rhs.span });
            ExprKind::Call { callee, args: vec![value] }
        }
    };
    Expr { kind, span }
}
