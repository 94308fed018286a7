//! Test-only rendering of the AST as compact S-expressions, so parser tests can state
//! the expected tree shape in one line: `1 + 2 * 3` renders as `(+ 1 (* 2 3))`.

use crate::syntax::ast::*;

/// Statements separated by `; `.
pub fn program(program: &Program) -> String {
    stmts(&program.stmts)
}

fn stmts(list: &[Stmt]) -> String {
    list.iter().map(stmt).collect::<Vec<_>>().join("; ")
}

fn block(b: &Block) -> String {
    format!("{{{}}}", stmts(&b.stmts))
}

fn names(list: &[Ident]) -> String {
    list.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(" ")
}

fn func(f: &FuncDecl) -> String {
    format!("(func {} ({}) {})", f.name.name, names(&f.params), block(&f.body))
}

fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Decl { kind, pattern: p, value } => {
            let word = match kind {
                DeclKind::Let => "let",
                DeclKind::Mut => "mut",
                DeclKind::Const => "const",
            };
            format!("({word} {} {})", pattern(p), expr(value))
        }
        StmtKind::Func(f) => func(f),
        StmtKind::Struct(d) => {
            let methods: Vec<String> = d.methods.iter().map(|m| func(m)).collect();
            format!("(struct {} ({}) ({}))", d.name.name, names(&d.fields), methods.join(" "))
        }
        StmtKind::Enum(d) => format!("(enum {} {})", d.name.name, names(&d.variants)),
        StmtKind::Import(i) => {
            let path: Vec<&str> = i.path.iter().map(|p| p.name.as_str()).collect();
            match &i.names {
                None => format!("(import {})", path.join(".")),
                Some(n) => format!("(from {} {})", path.join("."), names(n)),
            }
        }
        StmtKind::Export(inner) => format!("(export {})", stmt(inner)),
        StmtKind::If { cond, then_block, else_block } => match else_block {
            None => format!("(if {} {})", expr(cond), block(then_block)),
            Some(e) => format!("(if {} {} {})", expr(cond), block(then_block), block(e)),
        },
        StmtKind::While { cond, body } => format!("(while {} {})", expr(cond), block(body)),
        StmtKind::Loop { body } => format!("(loop {})", block(body)),
        StmtKind::For { var, iterable, body } => {
            format!("(for {} {} {})", var.name, expr(iterable), block(body))
        }
        StmtKind::Match { scrutinee, cases, default } => {
            let mut parts = vec![format!("(match {}", expr(scrutinee))];
            for c in cases {
                parts.push(format!("(case {} {})", case_pattern(&c.pattern), block(&c.body)));
            }
            if let Some(d) = default {
                parts.push(format!("(default {})", block(d)));
            }
            format!("{})", parts.join(" "))
        }
        StmtKind::Try { body, err_name, handler } => {
            format!("(try {} {} {})", block(body), err_name.name, block(handler))
        }
        StmtKind::Return(None) => "(return)".to_string(),
        StmtKind::Return(Some(e)) => format!("(return {})", expr(e)),
        StmtKind::Break => "break".to_string(),
        StmtKind::Continue => "continue".to_string(),
        StmtKind::PatternAssign { pattern: p, value } => {
            format!("(:= {} {})", pattern(p), expr(value))
        }
        StmtKind::Assign { target, op, value } => {
            let op = match op {
                AssignOp::Set => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
                AssignOp::Mul => "*=",
                AssignOp::Div => "/=",
                AssignOp::Mod => "%=",
            };
            let mut t = target.root.name.clone();
            for step in &target.path {
                match step {
                    TargetStep::Field(f) => t.push_str(&format!(".{}", f.name)),
                    TargetStep::Index(i) => t.push_str(&format!("[{}]", expr(i))),
                }
            }
            format!("({op} {t} {})", expr(value))
        }
        StmtKind::Expr(e) => expr(e),
    }
}

fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Ident(i) => i.name.clone(),
        Pattern::Wildcard(_) => "_".to_string(),
        Pattern::Array { elems, .. } => {
            let parts: Vec<String> = elems
                .iter()
                .map(|e| match e {
                    PatElem::Pat(p) => pattern(p),
                    PatElem::Rest(r) => format!("...{}", r.name),
                })
                .collect();
            format!("[{}]", parts.join(" "))
        }
        Pattern::Dict { keys, rest, .. } => {
            let mut parts: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
            if let Some(r) = rest {
                parts.push(format!("...{}", r.name));
            }
            format!("{{{}}}", parts.join(" "))
        }
    }
}

fn case_pattern(p: &CasePattern) -> String {
    match p {
        CasePattern::Variant { enum_name, variant, binding } => {
            let mut s = match enum_name {
                Some(e) => format!("{}::{}", e.name, variant.name),
                None => variant.name.clone(),
            };
            if let Some(b) = binding {
                s.push_str(&format!("({})", b.name));
            }
            s
        }
        CasePattern::Wildcard(_) => "_".to_string(),
        CasePattern::Literal(l, _) => match l {
            Literal::Int(v) => v.to_string(),
            Literal::Float(v) => format!("{v:?}"),
            Literal::Str(s) => format!("{s:?}"),
            Literal::Bool(b) => b.to_string(),
            Literal::Null => "null".to_string(),
        },
    }
}

fn exprs(list: &[Expr]) -> String {
    list.iter().map(|e| format!(" {}", expr(e))).collect()
}

/// One expression.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Interp(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    InterpPart::Lit(s) => format!("{s:?}"),
                    InterpPart::Expr(e) => expr(e),
                })
                .collect();
            format!("(interp {})", parts.join(" "))
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".to_string(),
        ExprKind::Ident(n) => n.clone(),
        ExprKind::EnumVariant { enum_name, variant, args } => {
            if args.is_empty() {
                format!("{}::{}", enum_name.name, variant.name)
            } else {
                format!("({}::{}{})", enum_name.name, variant.name, exprs(args))
            }
        }
        ExprKind::Ok(x) => format!("(Ok {})", expr(x)),
        ExprKind::Err(x) => format!("(Err {})", expr(x)),
        ExprKind::Some(x) => format!("(Some {})", expr(x)),
        ExprKind::NoneLit => "None".to_string(),
        ExprKind::Throw(x) => format!("(throw {})", expr(x)),
        ExprKind::Array(elems) => {
            let parts: Vec<String> = elems
                .iter()
                .map(|el| match el {
                    Elem::Expr(x) => expr(x),
                    Elem::Spread(x) => format!("...{}", expr(x)),
                })
                .collect();
            format!("[{}]", parts.join(" "))
        }
        ExprKind::Dict(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|en| match en {
                    DictEntry::Pair(k, v) => format!("{}: {}", expr(k), expr(v)),
                    DictEntry::Spread(x) => format!("...{}", expr(x)),
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        ExprKind::Func(f) => func(f),
        ExprKind::Unary { op, expr: x } => {
            let op = if *op == UnaryOp::Neg { "-" } else { "!" };
            format!("({op} {})", expr(x))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let op = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::Mod => "%",
                BinOp::Eq => "==",
                BinOp::Ne => "!=",
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                BinOp::Ge => ">=",
            };
            format!("({op} {} {})", expr(lhs), expr(rhs))
        }
        ExprKind::And(a, b) => format!("(&& {} {})", expr(a), expr(b)),
        ExprKind::Or(a, b) => format!("(|| {} {})", expr(a), expr(b)),
        ExprKind::Coalesce(a, b) => format!("(?? {} {})", expr(a), expr(b)),
        ExprKind::Call { callee, args } => format!("(call {}{})", expr(callee), exprs(args)),
        ExprKind::Index { target, index } => format!("(index {} {})", expr(target), expr(index)),
        ExprKind::Field { target, name } => format!("(. {} {})", expr(target), name.name),
        ExprKind::OptField { target, name } => format!("(?. {} {})", expr(target), name.name),
        ExprKind::MethodCall { target, name, args } => {
            format!("(method {} {}{})", expr(target), name.name, exprs(args))
        }
        ExprKind::Try(x) => format!("(? {})", expr(x)),
        ExprKind::StructLit { name, fields } => {
            let parts: Vec<String> = fields.iter().map(|(f, v)| format!(" ({} {})", f.name, expr(v))).collect();
            format!("(new {}{})", name.name, parts.concat())
        }
    }
}
