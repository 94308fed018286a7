//! Patterns: destructuring patterns for declarations and bare pattern statements
//! (LANGUAGE.md §4.10), the lookahead that tells a pattern statement from an
//! expression statement starting with `[` or `{`, and `case` patterns of `match`
//! (§4.5 plus the wildcard and literal extensions).

use super::{PResult, Parser, E_SYNTAX};
use crate::syntax::ast::{CasePattern, Ident, Literal, PatElem, Pattern};
use crate::syntax::token::TokenKind;

impl Parser<'_> {
    /// `NAME | _ | [ ... ] | { ... }`.
    pub(super) fn parse_pattern(&mut self) -> PResult<Pattern> {
        match self.peek_kind() {
            TokenKind::Ident(name) => {
                let span = self.bump().span;
                if name == "_" {
                    return Ok(Pattern::Wildcard(span));
                }
                Ok(Pattern::Ident(Ident { name: name.clone(), span }))
            }
            TokenKind::LBracket => self.parse_array_pattern(),
            TokenKind::LBrace => self.parse_dict_pattern(),
            _ => Err(self.unexpected("a pattern (a name, '_', '[...]' or '{...}')")),
        }
    }

    /// `[p, q, ...rest]`, elements nested to any depth within the expression limit.
    #[inline(never)]
    fn parse_array_pattern(&mut self) -> PResult<Pattern> {
        self.descend()?;
        let start = self.bump().span;
        let mut seen_rest = false;
        let elems = self.comma_list(&TokenKind::RBracket, "array pattern", |p| {
            if !p.at(&TokenKind::Ellipsis) {
                return Ok(PatElem::Pat(p.parse_pattern()?));
            }
            let dots = p.bump().span;
            let name = p.parse_ident("after '...' in array pattern")?;
            if seen_rest {
                return Err(p.error(E_SYNTAX, "Only one '...rest' is allowed in a pattern", dots));
            }
            seen_rest = true;
            Ok(PatElem::Rest(name))
        })?;
        self.ascend(1);
        Ok(Pattern::Array { elems, span: self.span_from(start) })
    }

    /// `{a, b, ...rest}`: names only.
    #[inline(never)]
    fn parse_dict_pattern(&mut self) -> PResult<Pattern> {
        let start = self.bump().span;
        let mut rest: Option<Ident> = None;
        let keys = self.comma_list(&TokenKind::RBrace, "dict pattern", |p| {
            if !p.at(&TokenKind::Ellipsis) {
                return Ok(Some(p.parse_ident("in dict pattern")?));
            }
            let dots = p.bump().span;
            let name = p.parse_ident("after '...' in dict pattern")?;
            if rest.is_some() {
                return Err(p.error(E_SYNTAX, "Only one '...rest' is allowed in a pattern", dots));
            }
            rest = Some(name);
            Ok(None)
        })?;
        let keys = keys.into_iter().flatten().collect();
        Ok(Pattern::Dict { keys, rest, span: self.span_from(start) })
    }

    /// At a statement starting with `[` or `{`: true if the tokens form a
    /// bracketed group of names, `_`, `,` and `...` followed by `:=` or `=`. The scan
    /// stops at the first token that cannot be in a pattern, so `{"a": 1}` and
    /// `[1, 2]` are rejected after one or two tokens.
    pub(super) fn looks_like_pattern_stmt(&self) -> bool {
        let mut depth = 0usize;
        let mut ahead = 0usize;
        loop {
            match self.nth(ahead) {
                TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RBracket | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        let next = self.nth(ahead + 1);
                        return matches!(next, TokenKind::ColonEq | TokenKind::Eq);
                    }
                }
                TokenKind::Ident(_) | TokenKind::Comma | TokenKind::Ellipsis => {}
                _ => return false,
            }
            ahead += 1;
        }
    }

    /// `_`, `Name`, `Enum::Variant`, either with `(binding)`, or a literal (`1`,
    /// `-2`, `2.5`, `"s"`, `true`, `null`). `Result::Ok` and friends fold to `Ok`.
    #[inline(never)]
    pub(super) fn parse_case_pattern(&mut self) -> PResult<CasePattern> {
        let start = self.peek().span;
        let literal = match self.peek_kind() {
            TokenKind::Ident(name) if name == "_" && !self.at_variant_suffix() => {
                self.bump();
                return Ok(CasePattern::Wildcard(start));
            }
            TokenKind::Ident(_) => return self.parse_variant_pattern(),
            TokenKind::Int(v) => Literal::Int(*v),
            TokenKind::Float(v) => Literal::Float(*v),
            TokenKind::Str(s) => Literal::Str(s.clone()),
            TokenKind::True => Literal::Bool(true),
            TokenKind::False => Literal::Bool(false),
            TokenKind::Null => Literal::Null,
            TokenKind::Minus => {
                let literal = match self.nth(1) {
                    // The lexer only produces non-negative ints, so this cannot overflow.
                    TokenKind::Int(v) => Literal::Int(-*v),
                    TokenKind::Float(v) => Literal::Float(-*v),
                    _ => {
                        self.bump();
                        return Err(self.unexpected("a number after '-' in case pattern"));
                    }
                };
                self.bump();
                literal
            }
            TokenKind::Interp(_) => {
                let message = "Interpolated strings are not allowed in case patterns";
                return Err(self.error(E_SYNTAX, message, start));
            }
            _ => return Err(self.unexpected("a case pattern")),
        };
        self.bump();
        Ok(CasePattern::Literal(literal, self.span_from(start)))
    }

    /// True if the token after the current one continues a variant pattern.
    fn at_variant_suffix(&self) -> bool {
        matches!(self.nth(1), TokenKind::ColonColon | TokenKind::LParen)
    }

    /// `Name [:: Variant] [(binding)]`; the cursor is on an identifier.
    fn parse_variant_pattern(&mut self) -> PResult<CasePattern> {
        let first = self.parse_ident("in case pattern")?;
        let (enum_name, variant) = if self.eat(&TokenKind::ColonColon) {
            let variant = self.parse_ident("after '::' in case pattern")?;
            if is_builtin_variant(&first.name, &variant.name) {
                (None, variant)
            } else {
                (Some(first), variant)
            }
        } else {
            (None, first)
        };
        let mut binding = None;
        if self.eat(&TokenKind::LParen) {
            let name = self.parse_ident("as the case binding")?;
            self.expect(&TokenKind::RParen, "to close the case binding")?;
            if name.name != "_" {
                binding = Some(name);
            }
        }
        Ok(CasePattern::Variant { enum_name, variant, binding })
    }
}

/// `Result::Ok`, `Result::Err`, `Option::Some` and `Option::None`, which are the
/// built-in constructors whatever the program declares (§4.8).
pub(super) fn is_builtin_variant(enum_name: &str, variant: &str) -> bool {
    matches!((enum_name, variant), ("Result", "Ok" | "Err") | ("Option", "Some" | "None"))
}
