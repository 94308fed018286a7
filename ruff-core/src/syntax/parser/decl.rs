//! Named declarations (LANGUAGE.md §3.1): functions (and the parameter lists shared
//! with anonymous functions), structs with fields and methods, enums, imports and
//! `export`. Statement dispatch and recovery live in `stmt`.

use std::rc::Rc;

use super::{PResult, Parser, E_SYNTAX, MAX_ITEMS};
use crate::diag::Span;
use crate::syntax::ast::{DeclKind, EnumDecl, FuncDecl, Ident, Import, Stmt, StmtKind, StructDecl};
use crate::syntax::token::TokenKind;

impl<'a> Parser<'a> {
    /// `func NAME(...) { }` as a statement; `func*` is reported as unsupported.
    pub(super) fn parse_func_stmt(&mut self) -> PResult<StmtKind> {
        Ok(StmtKind::Func(Rc::new(self.parse_func_decl()?)))
    }

    /// `func NAME(params) [-> type] { }`; the cursor is on `func`.
    #[inline(never)]
    fn parse_func_decl(&mut self) -> PResult<FuncDecl> {
        let start = self.peek().span;
        if matches!(self.nth(1), TokenKind::Star) {
            return Err(self.unsupported("func*", 2));
        }
        self.bump();
        let name = self.parse_ident("as the function name after 'func'")?;
        self.parse_func_rest(start, name)
    }

    /// Parameters, optional return type and body of a function whose name (or
    /// `<lambda>`) is already known; `start` is the span of `func`.
    #[inline(never)]
    pub(super) fn parse_func_rest(&mut self, start: Span, name: Ident) -> PResult<FuncDecl> {
        self.expect(&TokenKind::LParen, "to start the parameter list")?;
        let params = self.comma_list(&TokenKind::RParen, "the parameter list", |p| {
            let param = match p.peek_kind() {
                TokenKind::SelfKw => {
                    let span = p.bump().span;
                    Ident { name: "self".to_string(), span }
                }
                _ => p.parse_ident("as a parameter name")?,
            };
            if p.eat(&TokenKind::Colon) {
                p.parse_type()?;
            }
            Ok(param)
        })?;
        if self.eat(&TokenKind::Arrow) {
            self.parse_prim_type()?;
        }
        let body = self.parse_block("function body")?;
        Ok(FuncDecl { name, params, body, span: self.span_from(start) })
    }

    /// `struct Name { field [: type] [,] ... func m() { } [,] ... }`. An unknown
    /// type name after `:` is not consumed, so it becomes the next field (the
    /// reference does the same).
    #[inline(never)]
    pub(super) fn parse_struct(&mut self) -> PResult<StmtKind> {
        self.bump();
        let name = self.parse_ident("as the struct name")?;
        self.expect(&TokenKind::LBrace, "to start struct body")?;
        let mut fields = Vec::new();
        let mut methods = Vec::new();
        loop {
            while self.eat(&TokenKind::Comma) || self.eat(&TokenKind::Semi) {}
            if fields.len() + methods.len() >= MAX_ITEMS {
                return Err(self.too_many_items("struct body"));
            }
            match self.peek_kind() {
                TokenKind::RBrace => break,
                TokenKind::Func => methods.push(Rc::new(self.parse_func_decl()?)),
                TokenKind::Ident(_) => {
                    fields.push(self.parse_ident("as a field name")?);
                    if self.eat(&TokenKind::Colon) && self.at_type_start() {
                        self.parse_type()?;
                    }
                }
                _ => return Err(self.unexpected("a field name, 'func' or '}' in struct body")),
            }
        }
        self.expect(&TokenKind::RBrace, "to close struct body")?;
        Ok(StmtKind::Struct(StructDecl { name, fields, methods }))
    }

    /// `enum Name { A, B, }`.
    #[inline(never)]
    pub(super) fn parse_enum(&mut self) -> PResult<StmtKind> {
        self.bump();
        let name = self.parse_ident("as the enum name")?;
        self.expect(&TokenKind::LBrace, "to start enum body")?;
        let variants = self.comma_list(&TokenKind::RBrace, "enum body", |p| p.parse_ident("as an enum variant"))?;
        Ok(StmtKind::Enum(EnumDecl { name, variants }))
    }

    /// `import a[.b]` or `from a.b import x, y`.
    #[inline(never)]
    pub(super) fn parse_import(&mut self) -> PResult<StmtKind> {
        let is_from = matches!(self.bump().kind, TokenKind::From);
        let mut path = vec![self.parse_ident("as the module name")?];
        while self.eat(&TokenKind::Dot) {
            if path.len() >= MAX_ITEMS {
                return Err(self.too_many_items("module path"));
            }
            path.push(self.parse_ident("after '.' in module path")?);
        }
        if !is_from {
            return Ok(StmtKind::Import(Import { path, names: None }));
        }
        self.expect(&TokenKind::Import, "after the module path")?;
        let mut names = vec![self.parse_ident("as the imported name")?];
        while self.eat(&TokenKind::Comma) {
            if names.len() >= MAX_ITEMS {
                return Err(self.too_many_items("import list"));
            }
            names.push(self.parse_ident("as the imported name")?);
        }
        Ok(StmtKind::Import(Import { path, names: Some(names) }))
    }

    /// `export DECL`, where DECL is `let`, `mut`, `const`, `func`, `struct` or `enum`.
    #[inline(never)]
    pub(super) fn parse_export(&mut self) -> PResult<StmtKind> {
        self.bump();
        let start = self.peek().span;
        let kind = match self.peek_kind() {
            TokenKind::Let => self.parse_decl(DeclKind::Let)?,
            TokenKind::Mut => self.parse_decl(DeclKind::Mut)?,
            TokenKind::Const => self.parse_const()?,
            TokenKind::Func if matches!(self.nth(1), TokenKind::Ident(_) | TokenKind::Star) => {
                self.parse_func_stmt()?
            }
            TokenKind::Struct => self.parse_struct()?,
            TokenKind::Enum => self.parse_enum()?,
            _ => {
                let found = self.peek_kind().describe();
                let message = format!(
                    "Expected a declaration (let, mut, const, func, struct or enum) after \
                     'export' but found {found}"
                );
                return Err(self.error(E_SYNTAX, message, start));
            }
        };
        Ok(StmtKind::Export(Box::new(Stmt { kind, span: self.span_from(start) })))
    }

    /// A comma-separated list up to `close` (consumed), with an optional trailing
    /// comma and at most [`MAX_ITEMS`] items; `what` names the list in messages.
    pub(super) fn comma_list<T>(
        &mut self,
        close: &TokenKind,
        what: &str,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut items = Vec::new();
        loop {
            if self.at(close) {
                break;
            }
            if self.at_eof() {
                return Err(self.missing(close, "to close", what));
            }
            if items.len() >= MAX_ITEMS {
                return Err(self.too_many_items(what));
            }
            items.push(item(self)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect_to(close, "to close", what)?;
        Ok(items)
    }
}
