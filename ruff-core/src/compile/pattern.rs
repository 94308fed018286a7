//! `match`: each case tests the scrutinee (kept in a hidden slot so `break`,
//! `continue` and `return` inside a case leave the operand stack balanced) and binds
//! the payload in the case's own scope.

use std::rc::Rc;

use super::scope::Binding;
use super::Compiler;
use crate::bytecode::{Const, Op, Tag};
use crate::diag::Span;
use crate::syntax::ast::{Block, CasePattern, Expr, Literal, MatchCase};

impl Compiler<'_> {
    pub(super) fn match_stmt(&mut self, scrutinee: &Expr, cases: &[MatchCase], default: Option<&Block>, span: Span) {
        self.expr(scrutinee);
        self.f().push_scope();
        let Some(slot) = self.f().hidden_slot() else {
            return self.error("too many local variables in one function", span);
        };
        self.emit(Op::StoreLocal(slot), span);
        let mut to_end = Vec::new();
        for case in cases {
            self.emit(Op::LoadLocal(slot), case.span);
            let (fail, binding) = self.case_test(&case.pattern, case.span);
            self.f().push_scope();
            match binding {
                Some(name) => self.declare_and_store(&name, Binding::Mut, case.span),
                None => {
                    self.emit(Op::Pop, case.span);
                }
            }
            self.stmts(&case.body.stmts);
            self.f().pop_scope();
            to_end.push(self.emit(Op::Jump(0), case.span));
            if let Some(fail) = fail {
                self.f().patch_here(fail);
            }
        }
        if let Some(d) = default {
            self.block(d);
        }
        for j in to_end {
            self.f().patch_here(j);
        }
        self.f().pop_scope();
    }

    /// Emits the test for one case. On success the stack holds the value to bind
    /// (payload or null); the returned jump is taken on failure with nothing pushed.
    fn case_test(&mut self, pattern: &CasePattern, span: Span) -> (Option<usize>, Option<String>) {
        match pattern {
            CasePattern::Wildcard(_) => (None, None),
            CasePattern::Literal(lit, lspan) => {
                let k = match lit {
                    Literal::Int(i) => self.f().constant(Const::Int(*i)),
                    Literal::Float(x) => self.f().constant(Const::Float(*x)),
                    Literal::Str(s) => self.f().str_const(s),
                    Literal::Bool(b) => {
                        self.emit(if *b { Op::True } else { Op::False }, *lspan);
                        return self.literal_compare(*lspan);
                    }
                    Literal::Null => {
                        self.emit(Op::Null, *lspan);
                        return self.literal_compare(*lspan);
                    }
                };
                self.emit(Op::Const(k), *lspan);
                self.literal_compare(*lspan)
            }
            CasePattern::Variant { enum_name, variant, binding } => {
                let bind = binding.as_ref().map(|b| b.name.clone());
                let builtin_tag = match (enum_name.as_ref().map(|e| e.name.as_str()), variant.name.as_str()) {
                    (None | Some("Result"), "Ok") => Some(Tag::Ok),
                    (None | Some("Result"), "Err") => Some(Tag::Err),
                    (None | Some("Option"), "Some") => Some(Tag::Some),
                    (None | Some("Option"), "None") => Some(Tag::None),
                    _ => None,
                };
                if let Some(tag) = builtin_tag {
                    return (Some(self.emit(Op::MatchTag(tag, 0), span)), bind);
                }
                match enum_name {
                    Some(e) => {
                        let k = self.f().constant(Const::Variant {
                            enum_name: Rc::from(e.name.as_str()),
                            variant: Rc::from(variant.name.as_str()),
                        });
                        (Some(self.emit(Op::MatchEnum(k, 0), span)), bind)
                    }
                    None => {
                        let k = self.name_const(&variant.name);
                        (Some(self.emit(Op::MatchName(k, 0), span)), None)
                    }
                }
            }
        }
    }

    fn literal_compare(&mut self, span: Span) -> (Option<usize>, Option<String>) {
        self.emit(Op::Eq, span);
        let fail = self.emit(Op::JumpIfFalse(0), span);
        self.emit(Op::Null, span);
        (Some(fail), None)
    }
}
