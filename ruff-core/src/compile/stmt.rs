//! Statements: declarations, assignment (plain, compound and through paths), control
//! flow, loops with `break`/`continue`, `try`/`except`, struct declarations.

use super::scope::{Binding, LoopCtx};
use super::{binding_of, Compiler, Resolved};
use crate::bytecode::{Cmp, Const, Op, Var};
use crate::diag::Span;
use crate::syntax::ast::{
    AssignOp, AssignTarget, BinOp, Block, Expr, ExprKind, Stmt, StmtKind, StructDecl, TargetStep,
};

impl Compiler<'_> {
    pub(super) fn stmt(&mut self, s: &Stmt) {
        let span = s.span;
        match &s.kind {
            StmtKind::Decl { kind, pattern, value } => {
                self.expr(value);
                self.bind_pattern(pattern, binding_of(*kind));
            }
            StmtKind::PatternAssign { pattern, value } => {
                self.expr(value);
                self.bind_pattern(pattern, Binding::Let);
            }
            StmtKind::Func(decl) => {
                if self.f().at_global_scope() {
                    return; // hoisted
                }
                self.closure(decl, Some(&decl.name.name), false, &[]);
                self.declare_and_store(&decl.name.name, Binding::Mut, decl.name.span);
            }
            StmtKind::Struct(decl) => self.struct_decl(decl, span),
            StmtKind::Enum(_) => {}
            StmtKind::Import(imp) => self.import(imp, span),
            StmtKind::Export(inner) => self.stmt(inner),
            StmtKind::If { cond, then_block, else_block } => {
                let to_else = self.cond_jump(cond);
                self.block(then_block);
                match else_block {
                    Some(b) => {
                        let to_end = self.emit(Op::Jump(0), span);
                        self.f().patch_here(to_else);
                        self.block(b);
                        self.f().patch_here(to_end);
                    }
                    None => self.f().patch_here(to_else),
                }
            }
            StmtKind::While { cond, body } => {
                let top = self.f().here();
                let exit = self.cond_jump(cond);
                self.loop_body(body, top, span);
                self.f().patch_here(exit);
                self.finish_loop();
            }
            StmtKind::Loop { body } => {
                let top = self.f().here();
                self.loop_body(body, top, span);
                self.finish_loop();
            }
            StmtKind::For { var, iterable, body } => {
                self.expr(iterable);
                self.emit(Op::IterPrepare, iterable.span);
                self.f().push_scope();
                let (Some(seq), Some(_idx)) = (self.f().hidden_slot(), self.f().hidden_slot()) else {
                    self.error("too many local variables in one function", span);
                    return;
                };
                self.emit(Op::StoreLocal(seq), span);
                self.emit(Op::Int(0), span);
                self.emit(Op::StoreLocal(seq + 1), span);
                let top = self.f().here();
                let next = self.emit(Op::IterNext(seq, 0), var.span);
                let try_depth = self.f().try_depth;
                self.f().loops.push(LoopCtx { continue_to: top, breaks: Vec::new(), try_depth });
                self.f().push_scope();
                self.declare_and_store(&var.name, Binding::Mut, var.span);
                self.stmts(&body.stmts);
                self.f().pop_scope();
                self.emit(Op::Loop(top), span);
                self.f().patch_here(next);
                self.finish_loop();
                self.f().pop_scope();
            }
            StmtKind::Match { scrutinee, cases, default } => self.match_stmt(scrutinee, cases, default.as_ref(), span),
            StmtKind::Try { body, err_name, handler } => {
                let begin = self.emit(Op::TryBegin(0), span);
                self.f().try_depth += 1;
                self.block(body);
                self.f().try_depth -= 1;
                self.emit(Op::TryEnd, span);
                let to_end = self.emit(Op::Jump(0), span);
                self.f().patch_here(begin);
                self.f().push_scope();
                self.declare_and_store(&err_name.name, Binding::Mut, err_name.span);
                self.stmts(&handler.stmts);
                self.f().pop_scope();
                self.f().patch_here(to_end);
            }
            StmtKind::Return(value) => {
                if self.f().is_main {
                    if let Some(v) = value {
                        self.expr(v);
                        self.emit(Op::Pop, span);
                    }
                    self.emit(Op::Halt, span);
                    return;
                }
                match value {
                    Some(v) => self.expr(v),
                    None => {
                        self.emit(Op::Null, span);
                    }
                }
                self.emit(Op::Return, span);
            }
            StmtKind::Break | StmtKind::Continue => {
                let is_break = matches!(s.kind, StmtKind::Break);
                let f = self.f();
                let Some((loop_try_depth, to)) = f.loops.last().map(|lp| (lp.try_depth, lp.continue_to)) else {
                    let word = if is_break { "break" } else { "continue" };
                    self.error(format!("{word} can only be used inside a loop"), span);
                    return;
                };
                let pops = f.try_depth - loop_try_depth;
                for _ in 0..pops {
                    self.emit(Op::TryEnd, span);
                }
                if is_break {
                    let j = self.emit(Op::Jump(0), span);
                    self.f().loops.last_mut().expect("loop").breaks.push(j);
                } else {
                    self.emit(Op::Loop(to), span);
                }
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, span),
            StmtKind::Expr(e) => {
                self.expr(e);
                self.emit(Op::Pop, span);
            }
        }
    }

    pub(super) fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    pub(super) fn block(&mut self, b: &Block) {
        self.f().push_scope();
        self.stmts(&b.stmts);
        self.f().pop_scope();
    }

    /// Compiles a condition and a jump taken when it is false; returns the jump.
    fn cond_jump(&mut self, cond: &Expr) -> usize {
        if let ExprKind::Binary { op, lhs, rhs } = &cond.kind {
            let cmp = match op {
                BinOp::Lt => Some(Cmp::Lt),
                BinOp::Le => Some(Cmp::Le),
                BinOp::Gt => Some(Cmp::Gt),
                BinOp::Ge => Some(Cmp::Ge),
                BinOp::Eq => Some(Cmp::Eq),
                BinOp::Ne => Some(Cmp::Ne),
                _ => None,
            };
            if let Some(cmp) = cmp {
                self.expr(lhs);
                self.expr(rhs);
                return self.emit(Op::JumpIfNot(cmp, 0), cond.span);
            }
        }
        self.expr(cond);
        self.emit(Op::JumpIfFalse(0), cond.span)
    }

    fn loop_body(&mut self, body: &Block, top: u32, span: Span) {
        let try_depth = self.f().try_depth;
        self.f().loops.push(LoopCtx { continue_to: top, breaks: Vec::new(), try_depth });
        self.block(body);
        self.emit(Op::Loop(top), span);
    }

    fn finish_loop(&mut self) {
        let lp = self.f().loops.pop().expect("loop");
        for b in lp.breaks {
            self.f().patch_here(b);
        }
    }

    fn struct_decl(&mut self, decl: &StructDecl, span: Span) {
        let fields: Vec<String> = decl.fields.iter().map(|f| f.name.clone()).collect();
        for m in &decl.methods {
            let name = format!("{}.{}", decl.name.name, m.name.name);
            self.method(m, &name, &fields);
        }
        let name = self.globals.atom(&decl.name.name);
        let fields = fields.iter().map(|f| self.globals.atom(f)).collect();
        let methods = decl.methods.iter().map(|m| self.globals.atom(&m.name.name)).collect();
        let k = self.f().constant(Const::StructDecl { name, fields, methods });
        let Ok(n) = u8::try_from(decl.methods.len()) else {
            self.error("too many methods in one struct (limit 255)", span);
            return;
        };
        self.emit(Op::DefineStruct(k, n), span);
    }

    fn import(&mut self, imp: &crate::syntax::ast::Import, span: Span) {
        let path: Vec<&str> = imp.path.iter().map(|p| p.name.as_str()).collect();
        let k = self.name_const(&path.join("."));
        self.emit(Op::Import(k, imp.names.is_none()), span);
        match &imp.names {
            None => {
                let last = imp.path.last().map_or("", |p| p.name.as_str()).to_string();
                self.store_name(&last, span);
            }
            Some(names) => {
                for n in names {
                    self.emit(Op::Dup, n.span);
                    let kc = self.name_const(&n.name);
                    self.emit(Op::Field(kc), n.span);
                    self.store_name(&n.name, n.span);
                }
                self.emit(Op::Pop, span);
            }
        }
    }

    /// Stores the top of the stack into `name` with plain-assignment rules.
    fn store_name(&mut self, name: &str, span: Span) {
        match self.resolve_for_assign(name) {
            Some(r) => self.store_resolved(r, name, span),
            None => self.declare_and_store(name, Binding::Mut, span),
        }
    }

    /// Like `resolve`, but `None` when assignment should create a new local.
    fn resolve_for_assign(&mut self, name: &str) -> Option<Resolved> {
        let depth = self.funcs.len() - 1;
        if let Some(r) = self.resolve_in(depth, name) {
            return Some(r);
        }
        if self.f().at_global_scope() || self.known.contains(name) {
            return Some(Resolved::Global(self.globals.intern(name)));
        }
        None
    }

    fn store_resolved(&mut self, r: Resolved, name: &str, span: Span) {
        match r {
            Resolved::Local(_, Binding::Let) | Resolved::Capture(_, Binding::Let) => {
                self.emit(Op::Pop, span);
                self.raise(format!("Cannot reassign immutable let binding: {name}"), span);
            }
            Resolved::Local(_, Binding::Const) | Resolved::Capture(_, Binding::Const) => {
                self.emit(Op::Pop, span);
                self.raise(format!("Cannot reassign const binding: {name}"), span);
            }
            Resolved::Local(slot, _) => {
                self.emit(Op::StoreLocal(slot), span);
            }
            Resolved::Capture(i, _) => {
                self.emit(Op::StoreCapture(i), span);
            }
            Resolved::Global(g) => {
                self.emit(Op::StoreGlobal(g), span);
            }
            Resolved::SelfFunc => {
                // Rebinding a function's own name inside it makes a new local.
                self.declare_and_store(name, Binding::Mut, span);
            }
        }
    }

    fn assign(&mut self, target: &AssignTarget, op: AssignOp, value: &Expr, span: Span) {
        let name = target.root.name.as_str();
        if !target.path.is_empty() {
            return self.assign_path(target, op, value, span);
        }
        let resolved = self.resolve_for_assign(name);
        let binop = match op {
            AssignOp::Set => None,
            AssignOp::Add => Some(BinOp::Add),
            AssignOp::Sub => Some(BinOp::Sub),
            AssignOp::Mul => Some(BinOp::Mul),
            AssignOp::Div => Some(BinOp::Div),
            AssignOp::Mod => Some(BinOp::Mod),
        };
        // `x := x + e` is `x += e`.
        let (binop, rhs) = match (&value.kind, binop) {
            (ExprKind::Binary { op: BinOp::Add, lhs, rhs }, None) if matches!(&lhs.kind, ExprKind::Ident(n) if n == name) => {
                (Some(BinOp::Add), &**rhs)
            }
            _ => (binop, value),
        };
        if let (Some(Resolved::Local(slot, Binding::Mut)), Some(BinOp::Add)) = (resolved, binop) {
            if let ExprKind::Int(n) = rhs.kind {
                if let Ok(n) = i32::try_from(n) {
                    self.emit(Op::IncLocal(slot, n), span);
                    return;
                }
            }
            self.expr(rhs);
            self.emit(Op::AddLocal(slot), span);
            return;
        }
        // A global can be appended to in place when the right side cannot observe
        // or change it (no calls): `s := s + "x"` at top level stays linear.
        if let (Some(Resolved::Global(g)), Some(BinOp::Add)) = (resolved, binop) {
            if is_simple(rhs) {
                self.expr(rhs);
                self.emit(Op::AddGlobal(g), span);
                return;
            }
        }
        match binop {
            Some(b) => {
                if resolved.is_none() {
                    // `x += 1` on an unknown name reads it first: Undefined variable.
                    let g = self.globals.intern(name);
                    self.emit(Op::LoadGlobal(g), target.root.span);
                } else {
                    self.load_name(name, target.root.span);
                }
                self.expr(rhs);
                self.emit(super::expr::binop(b), span);
            }
            None => {
                if let Some(var) = resolved.and_then(update_var) {
                    if self.call_update(value, name, var) {
                        self.store_name(name, span);
                        return;
                    }
                }
                self.expr(value);
            }
        }
        self.store_name(name, span);
    }

    /// `x := f(x, ...)`: compiles the call with `CallUpdate` so a builtin may take
    /// `x`'s value without copying it. Returns false when the shape does not apply.
    fn call_update(&mut self, value: &Expr, name: &str, var: Var) -> bool {
        let ExprKind::Call { callee, args } = &value.kind else { return false };
        let Some(first) = args.first() else { return false };
        if !matches!(&first.kind, ExprKind::Ident(n) if n == name) || args.len() > 255 {
            return false;
        }
        self.expr(callee);
        for a in args {
            self.expr(a);
        }
        self.emit(Op::CallUpdate(args.len() as u8, var), value.span);
        true
    }

    fn assign_path(&mut self, target: &AssignTarget, op: AssignOp, value: &Expr, span: Span) {
        let name = target.root.name.as_str();
        let var = match self.resolve(name) {
            Resolved::Local(_, Binding::Let) | Resolved::Capture(_, Binding::Let) => {
                return self.raise(format!("Cannot mutate immutable let binding: {name}"), span);
            }
            Resolved::Local(_, Binding::Const) | Resolved::Capture(_, Binding::Const) => {
                return self.raise(format!("Cannot mutate const binding: {name}"), span);
            }
            Resolved::Local(s, _) => Var::Local(s),
            Resolved::Capture(i, _) => Var::Capture(i),
            Resolved::Global(g) => Var::Global(g),
            Resolved::SelfFunc => return self.raise("Invalid index assignment".to_string(), span),
        };
        if target.path.len() > 32 {
            return self.error("assignment path too deep (limit 32 steps)", span);
        }
        let mut fields = 0u32;
        for (i, step) in target.path.iter().enumerate() {
            match step {
                TargetStep::Field(id) => {
                    fields |= 1 << i;
                    let k = self.f().str_const(&id.name);
                    self.emit(Op::Const(k), id.span);
                }
                TargetStep::Index(e) => self.expr(e),
            }
        }
        match op {
            AssignOp::Set => self.expr(value),
            _ => {
                self.load_name(name, target.root.span);
                for step in &target.path {
                    match step {
                        TargetStep::Field(id) => {
                            let k = self.name_const(&id.name);
                            self.emit(Op::Field(k), id.span);
                        }
                        TargetStep::Index(e) => {
                            self.expr(e);
                            self.emit(Op::Index, e.span);
                        }
                    }
                }
                self.expr(value);
                let b = match op {
                    AssignOp::Add => BinOp::Add,
                    AssignOp::Sub => BinOp::Sub,
                    AssignOp::Mul => BinOp::Mul,
                    AssignOp::Div => BinOp::Div,
                    _ => BinOp::Mod,
                };
                self.emit(super::expr::binop(b), span);
            }
        }
        self.emit(Op::SetPath(var, target.path.len() as u8, fields), span);
    }
}

/// True for expressions that run no user code and assign nothing: literals, names,
/// operators, indexing and field reads over such expressions.
fn is_simple(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Null => true,
        ExprKind::Ident(_) => true,
        ExprKind::Interp(parts) => parts.iter().all(|p| {
            matches!(p, crate::syntax::ast::InterpPart::Lit(_))
                || matches!(p, crate::syntax::ast::InterpPart::Expr(x) if is_simple(x))
        }),
        // Struct operands could dispatch to operator methods (user code).
        ExprKind::Binary { lhs, rhs, .. } => is_simple(lhs) && is_simple(rhs) && !may_be_struct(lhs),
        ExprKind::Index { target, index } => is_simple(target) && is_simple(index),
        _ => false,
    }
}

/// Conservative: a bare name or field/index read could hold a struct.
fn may_be_struct(e: &Expr) -> bool {
    !matches!(e.kind, ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Null)
}

/// The variable a `CallUpdate` may move out of (locals and mutable globals only;
/// captured copies and immutable bindings take the ordinary path).
fn update_var(r: Resolved) -> Option<Var> {
    match r {
        Resolved::Local(slot, Binding::Mut) => Some(Var::Local(slot)),
        Resolved::Global(g) => Some(Var::Global(g)),
        _ => None,
    }
}
