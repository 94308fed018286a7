//! Type annotations (`: int`, `-> string`, `: Result<int, string>`): parsed so that
//! only the listed type names are accepted, then dropped, because Ruff performs no
//! type checks (LANGUAGE.md §3.1). Nothing here produces AST.

use super::{PResult, Parser};
use crate::syntax::token::TokenKind;

impl Parser<'_> {
    /// True if the current token can begin a type.
    pub(super) fn at_type_start(&self) -> bool {
        is_prim_type(self.peek_kind()) || self.at_generic_type().is_some()
    }

    /// `int | float | string | bool | Result<T, E> | Option<T>`.
    pub(super) fn parse_type(&mut self) -> PResult<()> {
        if is_prim_type(self.peek_kind()) {
            self.bump();
            return Ok(());
        }
        let Some(params) = self.at_generic_type() else {
            return Err(self.unexpected("a type (int, float, string, bool, Result<..> or Option<..>)"));
        };
        self.descend()?;
        self.bump();
        self.expect(&TokenKind::Lt, "after the generic type name")?;
        self.parse_type()?;
        if params == 2 {
            self.expect(&TokenKind::Comma, "between Result type parameters")?;
            self.parse_type()?;
        }
        self.expect(&TokenKind::Gt, "to close the type parameters")?;
        self.ascend(1);
        Ok(())
    }

    /// `int | float | string | bool`, as allowed after `->`.
    pub(super) fn parse_prim_type(&mut self) -> PResult<()> {
        if is_prim_type(self.peek_kind()) {
            self.bump();
            return Ok(());
        }
        Err(self.unexpected("a return type (int, float, string or bool) after '->'"))
    }

    /// The number of type parameters if the current token is `Result` or `Option`.
    fn at_generic_type(&self) -> Option<usize> {
        match self.peek_kind() {
            TokenKind::Ident(name) if name == "Result" => Some(2),
            TokenKind::Ident(name) if name == "Option" => Some(1),
            _ => None,
        }
    }
}

fn is_prim_type(kind: &TokenKind) -> bool {
    matches!(kind, TokenKind::IntKw | TokenKind::FloatKw | TokenKind::StringKw | TokenKind::BoolKw)
}
