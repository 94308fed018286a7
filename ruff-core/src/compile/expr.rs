//! Expressions, and the compilation of function bodies (named, anonymous, methods).

use std::rc::Rc;

use super::scope::{Binding, FuncState};
use super::{Compiler, Resolved};
use crate::bytecode::{Const, Op, Tag};
use crate::diag::Span;
use crate::syntax::ast::{BinOp, DictEntry, Elem, Expr, ExprKind, FuncDecl, InterpPart, UnaryOp};

/// The instruction for a binary operator.
pub(super) fn binop(op: BinOp) -> Op {
    match op {
        BinOp::Add => Op::Add,
        BinOp::Sub => Op::Sub,
        BinOp::Mul => Op::Mul,
        BinOp::Div => Op::Div,
        BinOp::Mod => Op::Mod,
        BinOp::Eq => Op::Eq,
        BinOp::Ne => Op::Ne,
        BinOp::Lt => Op::Lt,
        BinOp::Le => Op::Le,
        BinOp::Gt => Op::Gt,
        BinOp::Ge => Op::Ge,
    }
}

impl Compiler<'_> {
    pub(super) fn load_name(&mut self, name: &str, span: Span) {
        let op = match self.resolve(name) {
            Resolved::Local(slot, _) => Op::LoadLocal(slot),
            Resolved::Capture(i, _) => Op::LoadCapture(i),
            Resolved::Global(g) => Op::LoadGlobal(g),
            Resolved::SelfFunc => Op::LoadSelf,
        };
        self.emit(op, span);
    }

    pub(super) fn expr(&mut self, e: &Expr) {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(i) => self.int(*i, span),
            ExprKind::Float(x) => {
                let k = self.f().constant(Const::Float(*x));
                self.emit(Op::Const(k), span);
            }
            ExprKind::Str(s) => {
                let k = self.f().str_const(s);
                self.emit(Op::Const(k), span);
            }
            ExprKind::Interp(parts) => {
                for p in parts {
                    match p {
                        InterpPart::Lit(s) => {
                            let k = self.f().str_const(s);
                            self.emit(Op::Const(k), span);
                        }
                        InterpPart::Expr(e) => self.expr(e),
                    }
                }
                self.emit(Op::Concat(parts.len().min(u16::MAX as usize) as u16), span);
            }
            ExprKind::Bool(true) => {
                self.emit(Op::True, span);
            }
            ExprKind::Bool(false) => {
                self.emit(Op::False, span);
            }
            ExprKind::Null => {
                self.emit(Op::Null, span);
            }
            ExprKind::Ident(name) => self.load_name(name, span),
            ExprKind::EnumVariant { enum_name, variant, args } => {
                for a in args {
                    self.expr(a);
                }
                let k = self.f().constant(Const::Variant {
                    enum_name: Rc::from(enum_name.name.as_str()),
                    variant: Rc::from(variant.name.as_str()),
                });
                self.emit(Op::MakeEnum(k, args.len().min(255) as u8), span);
            }
            ExprKind::Ok(v) => self.tagged(Tag::Ok, v, span),
            ExprKind::Err(v) => self.tagged(Tag::Err, v, span),
            ExprKind::Some(v) => self.tagged(Tag::Some, v, span),
            ExprKind::NoneLit => {
                self.emit(Op::MakeTagged(Tag::None), span);
            }
            ExprKind::Throw(v) => {
                self.expr(v);
                self.emit(Op::Throw, span);
            }
            ExprKind::Array(elems) => {
                if elems.iter().all(|el| matches!(el, Elem::Expr(_))) && elems.len() <= u16::MAX as usize {
                    for el in elems {
                        if let Elem::Expr(x) = el {
                            self.expr(x);
                        }
                    }
                    self.emit(Op::MakeArray(elems.len() as u16), span);
                } else {
                    self.emit(Op::MakeArray(0), span);
                    for el in elems {
                        match el {
                            Elem::Expr(x) => {
                                self.expr(x);
                                self.emit(Op::ArrayPush, x.span);
                            }
                            Elem::Spread(x) => {
                                self.expr(x);
                                self.emit(Op::ArrayExtend, x.span);
                            }
                        }
                    }
                }
            }
            ExprKind::Dict(entries) => {
                if entries.iter().all(|en| matches!(en, DictEntry::Pair(..))) && entries.len() <= u16::MAX as usize {
                    for en in entries {
                        if let DictEntry::Pair(k, v) = en {
                            self.expr(k);
                            self.expr(v);
                        }
                    }
                    self.emit(Op::MakeDict(entries.len() as u16), span);
                } else {
                    self.emit(Op::MakeDict(0), span);
                    for en in entries {
                        match en {
                            DictEntry::Pair(k, v) => {
                                self.expr(k);
                                self.expr(v);
                                self.emit(Op::DictInsert, k.span);
                            }
                            DictEntry::Spread(x) => {
                                self.expr(x);
                                self.emit(Op::DictExtend, x.span);
                            }
                        }
                    }
                }
            }
            ExprKind::Func(decl) => self.closure(decl, None, false, &[]),
            ExprKind::Unary { op, expr } => match (op, &expr.kind) {
                (UnaryOp::Neg, ExprKind::Int(i)) => self.int(-*i, span),
                (UnaryOp::Neg, ExprKind::Float(x)) => {
                    let k = self.f().constant(Const::Float(-*x));
                    self.emit(Op::Const(k), span);
                }
                _ => {
                    self.expr(expr);
                    self.emit(if *op == UnaryOp::Neg { Op::Neg } else { Op::Not }, span);
                }
            },
            ExprKind::Binary { op: op @ (BinOp::Add | BinOp::Sub), lhs, rhs }
                if matches!(rhs.kind, ExprKind::Int(k) if i32::try_from(k).is_ok())
                    && matches!(&lhs.kind, ExprKind::Ident(n) if matches!(self.resolve(n), Resolved::Local(..))) =>
            {
                let (ExprKind::Ident(n), ExprKind::Int(k)) = (&lhs.kind, &rhs.kind) else {
                    unreachable!("matched above")
                };
                let Resolved::Local(slot, _) = self.resolve(n) else { unreachable!("matched above") };
                let k = *k as i32;
                self.emit(if *op == BinOp::Add { Op::LocalAddInt(slot, k) } else { Op::LocalSubInt(slot, k) }, span);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                self.expr(rhs);
                self.emit(binop(*op), span);
            }
            ExprKind::And(a, b) => {
                self.expr(a);
                let short = self.emit(Op::JumpIfFalse(0), span);
                self.expr(b);
                self.emit(Op::ToBool, span);
                let end = self.emit(Op::Jump(0), span);
                self.f().patch_here(short);
                self.emit(Op::False, span);
                self.f().patch_here(end);
            }
            ExprKind::Or(a, b) => {
                self.expr(a);
                let short = self.emit(Op::JumpIfTrue(0), span);
                self.expr(b);
                self.emit(Op::ToBool, span);
                let end = self.emit(Op::Jump(0), span);
                self.f().patch_here(short);
                self.emit(Op::True, span);
                self.f().patch_here(end);
            }
            ExprKind::Coalesce(a, b) => {
                self.expr(a);
                let end = self.emit(Op::JumpIfNotNull(0), span);
                self.expr(b);
                self.f().patch_here(end);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                if args.len() > 255 {
                    return self.error("too many arguments in one call (limit 255)", span);
                }
                for a in args {
                    self.expr(a);
                }
                self.emit(Op::Call(args.len() as u8), span);
            }
            ExprKind::Index { target, index } => {
                self.expr(target);
                self.expr(index);
                self.emit(Op::Index, span);
            }
            ExprKind::Field { target, name } => {
                self.expr(target);
                let k = self.name_const(&name.name);
                self.emit(Op::Field(k), name.span);
            }
            ExprKind::OptField { target, name } => {
                self.expr(target);
                let k = self.name_const(&name.name);
                self.emit(Op::OptField(k), name.span);
            }
            ExprKind::MethodCall { target, name, args } => {
                self.expr(target);
                if args.len() > 255 {
                    return self.error("too many arguments in one call (limit 255)", span);
                }
                for a in args {
                    self.expr(a);
                }
                let k = self.name_const(&name.name);
                self.emit(Op::CallMethod(k, args.len() as u8), name.span);
            }
            ExprKind::Try(inner) => {
                self.expr(inner);
                self.emit(Op::Unwrap, span);
            }
            ExprKind::StructLit { name, fields } => {
                for (_, v) in fields {
                    self.expr(v);
                }
                let names = fields.iter().map(|(f, _)| self.globals.atom(&f.name)).collect();
                let shape = Const::Shape { name: self.globals.atom(&name.name), fields: self.globals.shape(names) };
                let k = self.f().constant(shape);
                self.emit(Op::MakeStruct(k), span);
            }
        }
    }

    fn int(&mut self, i: i64, span: Span) {
        match i32::try_from(i) {
            Ok(small) => {
                self.emit(Op::Int(small), span);
            }
            Err(_) => {
                let k = self.f().constant(Const::Int(i));
                self.emit(Op::Const(k), span);
            }
        }
    }

    fn tagged(&mut self, tag: Tag, v: &Expr, span: Span) {
        self.expr(v);
        self.emit(Op::MakeTagged(tag), span);
    }

    /// Compiles a function body and emits `MakeClosure` for it in the current
    /// function. `self_name` makes the function's own name resolve to itself
    /// (named nested functions); `fields` are bound as locals in methods without
    /// `self`.
    pub(super) fn closure(&mut self, decl: &Rc<FuncDecl>, self_name: Option<&str>, is_method: bool, fields: &[String]) {
        self.closure_named(decl, &decl.name.name, self_name, is_method, fields);
    }

    pub(super) fn method(&mut self, decl: &Rc<FuncDecl>, name: &str, fields: &[String]) {
        self.closure_named(decl, name, None, true, fields);
    }

    fn closure_named(
        &mut self,
        decl: &Rc<FuncDecl>,
        name: &str,
        self_name: Option<&str>,
        is_method: bool,
        fields: &[String],
    ) {
        let mut st = FuncState::new(name, false);
        st.self_name = self_name.map(str::to_string);
        st.is_method = is_method;
        let has_self = decl.params.first().is_some_and(|p| p.name == "self");
        let user_params: Vec<&str> =
            decl.params.iter().map(|p| p.name.as_str()).filter(|p| !(is_method && has_self && *p == "self")).collect();
        if is_method {
            st.declare(if has_self { "self" } else { "" }, Binding::Mut);
        }
        for p in &user_params {
            if st.declare(p, Binding::Mut).is_none() {
                return self.error("too many parameters", decl.span);
            }
        }
        st.arity = user_params.len() as u16;
        st.nparams = st.next_slot;
        self.funcs.push(st);
        if is_method && !has_self {
            // Fields become locals of the same name; a parameter of that name wins.
            self.f().push_scope();
            for field in fields {
                if user_params.contains(&field.as_str()) {
                    continue;
                }
                self.emit(Op::LoadLocal(0), decl.span);
                let k = self.name_const(field);
                self.emit(Op::KeyOrNull(k), decl.span);
                self.declare_and_store(field, Binding::Mut, decl.span);
            }
        }
        self.block(&decl.body);
        let end = Span::new(decl.span.end.saturating_sub(1), decl.span.end);
        self.emit(Op::Null, end);
        self.emit(Op::Return, end);
        let st = self.funcs.pop().expect("function state");
        let module = self.globals.current_module();
        let proto = Rc::new(st.finish(self.source.clone(), module));
        let f = self.f();
        f.protos.push(proto);
        let idx = f.protos.len() as u32 - 1;
        self.emit(Op::MakeClosure(idx), decl.span);
    }
}
