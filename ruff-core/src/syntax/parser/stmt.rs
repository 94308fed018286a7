//! Statements and blocks (LANGUAGE.md §3.1): the statement lists that recover from
//! errors, control flow, declarations with `let`/`mut`/`const`, assignments and
//! expression statements. Named declarations (`func`, `struct`, `enum`, imports,
//! `export`) live in `decl`; patterns in `pattern`.

use super::{PResult, Parser, Reported, E_ASSIGN, E_SYNTAX, MAX_BLOCK_DEPTH};
use crate::diag::Span;
use crate::syntax::ast::{
    AssignOp, AssignTarget, Block, DeclKind, Expr, ExprKind, Ident, Pattern, Stmt, StmtKind, TargetStep,
};
use crate::syntax::token::TokenKind;

impl<'a> Parser<'a> {
    /// The whole file: statements until `Eof`.
    pub(super) fn parse_program(&mut self) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        let mut recovered = false;
        while !self.halted() {
            while self.eat(&TokenKind::Semi) {}
            if self.at_eof() {
                break;
            }
            if self.at(&TokenKind::RBrace) {
                // A stray `}` right after recovery is usually the end of the block
                // the broken statement was in: it was already reported.
                let span = self.bump().span;
                if !recovered {
                    self.error(E_SYNTAX, "Unexpected '}' outside of a block", span);
                }
                continue;
            }
            recovered = !self.parse_stmt_recovering(&mut stmts);
        }
        stmts
    }

    /// Parses one statement into `out`, or recovers at the next statement boundary.
    /// Returns false when it had to recover.
    #[inline(never)]
    fn parse_stmt_recovering(&mut self, out: &mut Vec<Stmt>) -> bool {
        let start = self.pos;
        let depths = (self.expr_depth, self.block_depth);
        match self.parse_stmt() {
            Ok(stmt) => {
                out.push(stmt);
                true
            }
            Err(_) => {
                (self.expr_depth, self.block_depth) = depths;
                self.synchronize(start);
                if self.pos == start && !self.at(&TokenKind::RBrace) {
                    self.bump();
                }
                false
            }
        }
    }

    /// `{ stmts }`. `context` names what the block belongs to, for the message when
    /// the `{` is missing (`Expected '{' to start if body but found ...`).
    pub(super) fn parse_block(&mut self, context: &str) -> PResult<Block> {
        let open = self.expect_to(&TokenKind::LBrace, "to start", context)?;
        self.enter_block(open)?;
        let mut stmts = Vec::new();
        loop {
            while self.eat(&TokenKind::Semi) {}
            if self.halted() || self.at(&TokenKind::RBrace) {
                break;
            }
            if self.at_eof() {
                return Err(self.missing(&TokenKind::RBrace, "to close", context));
            }
            self.parse_stmt_recovering(&mut stmts);
        }
        let close = self.expect_to(&TokenKind::RBrace, "to close", context)?;
        self.block_depth = self.block_depth.saturating_sub(1);
        Ok(Block { stmts, span: open.to(close) })
    }

    /// Enters one more level of block nesting, or reports the limit.
    pub(super) fn enter_block(&mut self, at: Span) -> PResult<()> {
        if self.block_depth >= MAX_BLOCK_DEPTH || self.stack_exhausted() {
            let message = format!("Blocks nested too deeply (limit {MAX_BLOCK_DEPTH})");
            return Err(self.fatal_error(message, at));
        }
        self.block_depth += 1;
        Ok(())
    }

    /// One statement with its span.
    #[inline(never)]
    fn parse_stmt(&mut self) -> PResult<Stmt> {
        let start = self.peek().span;
        let kind = self.parse_stmt_kind()?;
        Ok(Stmt { kind, span: self.span_from(start) })
    }

    /// One statement, dispatched on its first token. Every arm is a tail call, so
    /// this frame (on the path of every nested block) holds no statement itself.
    fn parse_stmt_kind(&mut self) -> PResult<StmtKind> {
        match self.peek_kind() {
            TokenKind::Let => self.parse_decl(DeclKind::Let),
            TokenKind::Mut => self.parse_decl(DeclKind::Mut),
            TokenKind::Const => self.parse_const(),
            TokenKind::Func if matches!(self.nth(1), TokenKind::Ident(_) | TokenKind::Star) => self.parse_func_stmt(),
            TokenKind::Struct => self.parse_struct(),
            TokenKind::Enum => self.parse_enum(),
            TokenKind::Import | TokenKind::From => self.parse_import(),
            TokenKind::Export => self.parse_export(),
            TokenKind::If => self.parse_if(),
            TokenKind::While => self.parse_while(),
            TokenKind::Loop => self.parse_loop(),
            TokenKind::For => self.parse_for(),
            TokenKind::Match => self.parse_match(),
            TokenKind::Try => self.parse_try(),
            TokenKind::Return => self.parse_return(),
            TokenKind::Break => {
                self.bump();
                Ok(StmtKind::Break)
            }
            TokenKind::Continue => {
                self.bump();
                Ok(StmtKind::Continue)
            }
            TokenKind::LBracket | TokenKind::LBrace if self.looks_like_pattern_stmt() => self.parse_pattern_stmt(),
            other if starts_expression(other) => self.parse_expr_or_assign(),
            _ => Err(self.invalid_statement()),
        }
    }

    /// Reports a token that cannot start a statement.
    #[cold]
    #[inline(never)]
    fn invalid_statement(&mut self) -> Reported {
        let kind = self.peek_kind();
        let span = self.peek().span;
        if let Some(word) = unsupported_keyword(kind) {
            return self.unsupported(word, 1);
        }
        if assign_op(kind).is_some() {
            let message = format!(
                "Unexpected '{}': assignment is a statement and cannot be chained or used as a value",
                kind.spelling()
            );
            return self.error(E_ASSIGN, message, span);
        }
        let message = format!("Invalid statement: unexpected {}", kind.describe());
        self.error(E_SYNTAX, message, span)
    }

    /// `while cond { }`.
    #[inline(never)]
    fn parse_while(&mut self) -> PResult<StmtKind> {
        self.bump();
        let cond = self.parse_expr()?;
        let body = self.parse_block("while body")?;
        Ok(StmtKind::While { cond, body })
    }

    /// `return [expr]`: no value when `;`, `}` or the end follows.
    #[inline(never)]
    fn parse_return(&mut self) -> PResult<StmtKind> {
        self.bump();
        if matches!(self.peek_kind(), TokenKind::Semi | TokenKind::RBrace | TokenKind::Eof) {
            return Ok(StmtKind::Return(None));
        }
        Ok(StmtKind::Return(Some(self.parse_expr()?)))
    }

    /// `[a, b] := e` or `{a, b} := e` without a keyword.
    #[inline(never)]
    fn parse_pattern_stmt(&mut self) -> PResult<StmtKind> {
        let pattern = self.parse_pattern()?;
        self.expect_binding_op("after destructuring pattern")?;
        let value = self.parse_expr()?;
        Ok(StmtKind::PatternAssign { pattern, value })
    }

    /// `let|mut PATTERN [: type] := value`.
    #[inline(never)]
    pub(super) fn parse_decl(&mut self, kind: DeclKind) -> PResult<StmtKind> {
        self.bump();
        let pattern = self.parse_pattern()?;
        if self.eat(&TokenKind::Colon) {
            self.parse_type()?;
        }
        self.expect_binding_op("in declaration")?;
        let value = self.parse_expr()?;
        Ok(StmtKind::Decl { kind, pattern, value })
    }

    /// `const NAME [: type] := value`.
    #[inline(never)]
    pub(super) fn parse_const(&mut self) -> PResult<StmtKind> {
        self.bump();
        let name = self.parse_ident("after 'const'")?;
        if self.eat(&TokenKind::Colon) {
            self.parse_type()?;
        }
        self.expect_binding_op("in const declaration")?;
        let value = self.parse_expr()?;
        Ok(StmtKind::Decl { kind: DeclKind::Const, pattern: Pattern::Ident(name), value })
    }

    /// `:=` or `=`.
    fn expect_binding_op(&mut self, context: &str) -> PResult<()> {
        if self.eat(&TokenKind::ColonEq) || self.eat(&TokenKind::Eq) {
            return Ok(());
        }
        Err(self.unexpected(&format!("':=' or '=' {context}")))
    }

    /// `if cond { } [else if ... | else { }]`; an `else if` becomes an else block
    /// holding one `if` statement, and counts as one level of block nesting.
    #[inline(never)]
    fn parse_if(&mut self) -> PResult<StmtKind> {
        self.bump();
        let cond = self.parse_expr()?;
        let then_block = self.parse_block("if body")?;
        if !self.eat(&TokenKind::Else) {
            return Ok(StmtKind::If { cond, then_block, else_block: None });
        }
        let else_block = if self.at(&TokenKind::If) { self.parse_else_if()? } else { self.parse_block("else body")? };
        Ok(StmtKind::If { cond, then_block, else_block: Some(else_block) })
    }

    /// The `if` after `else`, as a block holding that one statement.
    #[inline(never)]
    fn parse_else_if(&mut self) -> PResult<Block> {
        let start = self.peek().span;
        self.enter_block(start)?;
        let nested = self.parse_if()?;
        self.block_depth = self.block_depth.saturating_sub(1);
        let span = self.span_from(start);
        Ok(Block { stmts: vec![Stmt { kind: nested, span }], span })
    }

    /// `loop { }` or `loop while cond { }` (which is a `while`).
    #[inline(never)]
    fn parse_loop(&mut self) -> PResult<StmtKind> {
        self.bump();
        if self.eat(&TokenKind::While) {
            let cond = self.parse_expr()?;
            let body = self.parse_block("loop body")?;
            return Ok(StmtKind::While { cond, body });
        }
        let body = self.parse_block("loop body")?;
        Ok(StmtKind::Loop { body })
    }

    /// `for NAME in postfix_expr { }`.
    #[inline(never)]
    fn parse_for(&mut self) -> PResult<StmtKind> {
        self.bump();
        let var = self.parse_ident("as the for loop variable")?;
        self.expect(&TokenKind::In, "after the for loop variable")?;
        self.descend()?;
        let iterable = self.parse_postfix()?;
        self.ascend(1);
        let body = self.parse_block("for body")?;
        Ok(StmtKind::For { var, iterable, body })
    }

    /// `match e { case P: { } ... default: { } }`.
    #[inline(never)]
    fn parse_match(&mut self) -> PResult<StmtKind> {
        self.bump();
        let scrutinee = self.parse_expr()?;
        self.expect(&TokenKind::LBrace, "to start match body")?;
        let mut cases = Vec::new();
        let mut default = None;
        loop {
            while self.eat(&TokenKind::Semi) {}
            match self.peek_kind() {
                TokenKind::RBrace => break,
                TokenKind::Case => {
                    let start = self.bump().span;
                    let pattern = self.parse_case_pattern()?;
                    self.expect(&TokenKind::Colon, "after case pattern")?;
                    let body = self.parse_block("case body")?;
                    let span = self.span_from(start);
                    cases.push(crate::syntax::ast::MatchCase { pattern, body, span });
                }
                TokenKind::Default => {
                    let start = self.bump().span;
                    self.expect(&TokenKind::Colon, "after 'default'")?;
                    let body = self.parse_block("default body")?;
                    if default.is_some() {
                        let message = "Duplicate 'default' in match";
                        return Err(self.error(E_SYNTAX, message, start));
                    }
                    default = Some(body);
                }
                _ => return Err(self.unexpected("'case', 'default' or '}' in match body")),
            }
        }
        self.expect(&TokenKind::RBrace, "to close match body")?;
        Ok(StmtKind::Match { scrutinee, cases, default })
    }

    /// `try { } except NAME { }`.
    #[inline(never)]
    fn parse_try(&mut self) -> PResult<StmtKind> {
        self.bump();
        let body = self.parse_block("try body")?;
        self.expect(&TokenKind::Except, "after try block")?;
        let err_name = self.parse_ident("after 'except'")?;
        let handler = self.parse_block("except body")?;
        Ok(StmtKind::Try { body, err_name, handler })
    }

    /// An expression statement, or an assignment when an assignment operator
    /// follows and the statement starts with a name or `self`.
    #[inline(never)]
    fn parse_expr_or_assign(&mut self) -> PResult<StmtKind> {
        let starts_with_name = matches!(self.peek_kind(), TokenKind::Ident(_) | TokenKind::SelfKw);
        let expr = self.parse_expr()?;
        let Some(op) = assign_op(self.peek_kind()) else {
            return Ok(StmtKind::Expr(expr));
        };
        let span = expr.span;
        let target = if starts_with_name { into_target(expr) } else { None };
        let Some(target) = target else {
            let message = "Invalid assignment target: expected a name, optionally followed by \
                           '.field' or '[index]'";
            return Err(self.error(E_ASSIGN, message, span));
        };
        self.bump();
        let value = self.parse_expr()?;
        Ok(StmtKind::Assign { target, op, value })
    }

    /// An identifier, or `Expected identifier CONTEXT but found ...`.
    pub(super) fn parse_ident(&mut self, context: &str) -> PResult<Ident> {
        if let TokenKind::Ident(name) = self.peek_kind() {
            let span = self.bump().span;
            return Ok(Ident { name: name.clone(), span });
        }
        Err(self.unexpected(&format!("identifier {context}")))
    }
}

/// The assignment operator a token spells, if any.
fn assign_op(kind: &TokenKind) -> Option<AssignOp> {
    Some(match kind {
        TokenKind::ColonEq | TokenKind::Eq => AssignOp::Set,
        TokenKind::PlusEq => AssignOp::Add,
        TokenKind::MinusEq => AssignOp::Sub,
        TokenKind::StarEq => AssignOp::Mul,
        TokenKind::SlashEq => AssignOp::Div,
        TokenKind::PercentEq => AssignOp::Mod,
        _ => return None,
    })
}

/// Turns `a.b[i].c` into a root name plus steps; `None` for anything else. Walks
/// iteratively: postfix chains can be long.
fn into_target(expr: Expr) -> Option<AssignTarget> {
    let mut steps = Vec::new();
    let mut current = expr;
    let root = loop {
        match current.kind {
            ExprKind::Ident(name) => break Ident { name, span: current.span },
            ExprKind::Field { target, name } => {
                steps.push(TargetStep::Field(name));
                current = *target;
            }
            ExprKind::Index { target, index } => {
                steps.push(TargetStep::Index(*index));
                current = *target;
            }
            _ => return None,
        }
    };
    steps.reverse();
    Some(AssignTarget { root, path: steps })
}

/// Keywords that start constructs this implementation leaves out.
pub(super) fn unsupported_keyword(kind: &TokenKind) -> Option<&'static str> {
    use TokenKind::*;
    match kind {
        Async | Await | Spawn | Yield | Test | TestGroup | TestSetup | TestTeardown | Impl => Some(kind.spelling()),
        _ => None,
    }
}

/// Tokens that can begin an expression.
pub(super) fn starts_expression(kind: &TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        kind,
        Int(_)
            | Float(_)
            | Str(_)
            | Interp(_)
            | Ident(_)
            | True
            | False
            | Null
            | SelfKw
            | Func
            | LParen
            | LBracket
            | LBrace
            | Minus
            | Bang
    )
}
