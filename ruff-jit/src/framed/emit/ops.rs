//! One bytecode instruction at a time: by the plan's `How`, stepped by the
//! VM, guarded (scalars speculated) or native.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData};
use ruff_core::bytecode::{Const, Op};
use ruff_core::runtime::tier::{bail, status, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_NULL, TAG_OFFSET};

use super::super::plan::How;
use super::super::{arrays, heap};
use super::{Fx, VALUE_SIZE};
use crate::analyze::{Kind, State};
use crate::scalar::{cmp_of, flags, Loc, Scalar};
use crate::translate::tag_of;

impl Fx<'_, '_> {
    /// Emits one instruction; returns whether control falls through.
    pub(super) fn op(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        if let Some(s) = super::super::plan::writes_slot(op) {
            // Anything may be stored there now (`owned`).
            self.disown(s);
        }
        let d = st.stack.len();
        match self.u.plan.how[pc] {
            How::Exit => {
                let e = self.exit(pc, d, bail::NONE);
                self.b.ins().jump(e, &[]);
                Ok(false)
            }
            How::Step => self.stepped(pc, op, st),
            How::GuardInt => self.guarded(pc, op, st, Kind::Int),
            How::GuardFloat => self.guarded(pc, op, st, Kind::Float),
            How::Native => self.native(pc, op, st),
        }
    }

    pub(super) fn stepped(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        let d = st.stack.len();
        let done = self.before_step(pc, op, st)?;
        let next = self.step(pc, d);
        if let Some(done) = done {
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(done);
            return Ok(true);
        }
        if matches!(op, Op::Throw | Op::Raise(_)) {
            // The VM always raises here.
            let rb = self.raised_block();
            self.b.ins().jump(rb, &[]);
            return Ok(false);
        }
        // `TryBegin`'s target is reached by unwinding, in the VM.
        if let Some(t) = op.target().filter(|_| !matches!(op, Op::TryBegin(_))) {
            let taken = self.b.ins().icmp_imm_s(IntCC::Equal, next, t as i64);
            let (tb, fb) = (self.block(t as usize)?, self.block(pc + 1)?);
            self.b.ins().brif(taken, tb, &[], fb, &[]);
            return Ok(false);
        }
        Ok(true)
    }

    /// An operation speculated on `want` (int or float) operands.
    pub(super) fn guarded(&mut self, pc: usize, op: Op, st: &State, want: Kind) -> Result<bool, Rejection> {
        let d = st.stack.len();
        let top = |i: usize| Loc::Stack((d - i) as u16);
        let kt = |i: usize| st.stack[d - i];
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                let (a, b) = self.number_pair((top(2), kt(2)), (top(1), kt(1)), want);
                let (v, k) = self.arith(op, a, want, b, want);
                self.set(top(2), k, v);
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let (a, b) = self.number_pair((top(2), kt(2)), (top(1), kt(1)), want);
                let v = self.compare(cmp_of(op), a, want, b, want);
                self.set(top(2), Kind::Bool, v);
            }
            Op::AddLocal(s) => {
                let (a, b) = self.number_pair((Loc::Slot(s), st.slots[s as usize]), (top(1), kt(1)), want);
                let (v, k) = self.arith(Op::Add, a, want, b, want);
                self.set(Loc::Slot(s), k, v);
            }
            Op::JumpIfNot(cmp, t) => {
                let (a, b) = self.number_pair((top(2), kt(2)), (top(1), kt(1)), want);
                let c = self.compare(cmp, a, want, b, want);
                let (target, next) = (self.block(t as usize)?, self.block(pc + 1)?);
                let leave = crate::scalar::negate(self.b, c);
                crate::scalar::branch_in_line(self.b, leave, target, next);
                return Ok(false);
            }
            Op::Field(k) | Op::KeyOrNull(k) => self.guarded_field(pc, op, k, d, want)?,
            _ if want == Kind::Float => return Err(Rejection::new(format!("no float speculation for {}", op.name()))),
            Op::IncLocal(s, k) | Op::LocalAddInt(s, k) | Op::LocalSubInt(s, k) => {
                let a = self.number_at(Loc::Slot(s), st.slots[s as usize], Kind::Int);
                let b = self.b.ins().iconst(types::I64, k as i64);
                let which = if matches!(op, Op::LocalSubInt(..)) { Op::Sub } else { Op::Add };
                let (v, rk) = self.arith(which, a, Kind::Int, b, Kind::Int);
                let to = if matches!(op, Op::IncLocal(..)) { Loc::Slot(s) } else { Loc::Stack(d as u16) };
                self.set(to, rk, v);
            }
            Op::IterPrepare => {
                // A negative count iterates zero times, as in the VM.
                let n = self.number_at(top(1), kt(1), Kind::Int);
                let zero = self.b.ins().iconst(types::I64, 0);
                let v = self.b.ins().smax(n, zero);
                self.set(top(1), Kind::Int, v);
            }
            other => return Err(Rejection::new(format!("no int speculation for {}", other.name()))),
        }
        Ok(true)
    }

    pub(super) fn native(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        let d = st.stack.len();
        if d >= 2 && super::super::plan::is_null_compare(op, st.stack[d - 2], st.stack[d - 1]) {
            return self.null_compare(pc, op, st);
        }
        if matches!(op, Op::ToBool) && st.stack.last() == Some(&Kind::Top) {
            self.heap_to_bool(pc, d);
            return Ok(true);
        }
        if let Some(falls) = self.scalar_op(pc, op, st)? {
            return Ok(falls);
        }
        let top = |i: usize| Loc::Stack((d - i) as u16);
        let kt = |i: usize| st.stack[d - i];
        let push = Loc::Stack(d as u16);
        match op {
            Op::Const(k) => match &self.u.proto.consts[k as usize] {
                Const::Int(i) => {
                    let v = self.b.ins().iconst(types::I64, *i);
                    self.set(push, Kind::Int, v);
                }
                Const::Float(f) => {
                    let v = self.b.ins().f64const(*f);
                    self.set(push, Kind::Float, v);
                }
                Const::Str(text) => match self.u.layout {
                    Some(l) => {
                        // The proto keeps the constant (and so this address) alive
                        // for as long as its code exists.
                        let rc = heap::payload_bits(&ruff_core::runtime::value::Value::Str(text.clone()));
                        let dst = self.addr(push);
                        heap::new_string_ref(self.b, l, dst, rc);
                    }
                    None => {
                        self.step(pc, d);
                    }
                },
                _ => return Err(Rejection::new("heap constant planned as native")),
            },
            Op::Int(i) => {
                let v = self.b.ins().iconst(types::I64, i as i64);
                self.set(push, Kind::Int, v);
            }
            Op::Null => {
                let z = self.b.ins().iconst(types::I64, 0);
                self.set(push, Kind::Null, z);
            }
            Op::True | Op::False => {
                let v = self.b.ins().iconst(types::I8, matches!(op, Op::True) as i64);
                self.set(push, Kind::Bool, v);
            }
            Op::Pop => {
                if kt(1) == Kind::Top {
                    let a = self.addr(top(1));
                    self.release(a);
                }
            }
            Op::Dup => self.copy(top(1), kt(1), push),
            Op::LoadLocal(s) if self.borrowed.contains_key(&pc) => {
                // Borrowed by the method call run in line after it (`inline`).
                self.borrowed_pushes += 1;
                let (dst, src) = (self.addr(push), self.addr(Loc::Slot(s)));
                for (ty, off) in [(types::I8, TAG_OFFSET as i32), (types::I64, PAYLOAD_OFFSET as i32)] {
                    let w = self.b.ins().load(ty, flags(), src, off);
                    self.b.ins().store(flags(), w, dst, off);
                }
            }
            Op::LoadLocal(s) => self.copy(Loc::Slot(s), st.slots[s as usize], push),
            Op::StoreLocal(s) => {
                let slot = Loc::Slot(s);
                if kt(1) == Kind::Top {
                    let (to, from) = (self.addr(slot), self.addr(top(1)));
                    self.move_value(to, from);
                } else {
                    if st.slots[s as usize] == Kind::Top && !self.u.plan.plain[s as usize] {
                        let a = self.addr(slot);
                        self.release(a);
                    }
                    let v = self.get(top(1), kt(1));
                    self.set(slot, kt(1), v);
                }
            }
            Op::Return => {
                // The VM drops the operands below the result with the frame.
                self.flush_below(d - 1);
                if self.promo_on {
                    self.write_back();
                }
                let (tag, payload) = match kt(1) {
                    k @ (Kind::Int | Kind::Float | Kind::Bool) => {
                        let v = self.get(top(1), k);
                        let bits = match k {
                            Kind::Int => v,
                            Kind::Float => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
                            _ => self.b.ins().uextend(types::I64, v),
                        };
                        (self.b.ins().iconst(types::I8, tag_of(k) as i64), bits)
                    }
                    _ => {
                        // The tag is read as the byte native code may just have
                        // stored (a wider load of it would miss forwarding).
                        self.flush_loc(top(1));
                        let from = self.addr(top(1));
                        let tag = self.b.ins().load(types::I8, flags(), from, TAG_OFFSET as i32);
                        (tag, self.b.ins().load(types::I64, flags(), from, PAYLOAD_OFFSET as i32))
                    }
                };
                if let Some(t) = self.tail {
                    self.inline_return(st, t.done, tag, payload);
                    return Ok(false);
                }
                crate::scalar::store_result(self.b, self.out, tag, payload);
                let sp = self.b.ins().iconst(types::I64, d as i64 - 1);
                self.b.ins().store(flags(), sp, self.ctx, JitCtx::SP);
                let z = self.b.ins().iconst(types::I32, status::DONE as i64);
                self.b.ins().return_(&[z]);
                return Ok(false);
            }
            Op::LoadGlobal(g) => {
                let src = self.global_addr(g);
                let tag = self.b.ins().load(types::I8, flags(), src, TAG_OFFSET as i32);
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_NULL as i64);
                let (copy, slow, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(slow);
                self.b.ins().brif(null, slow, &[], copy, &[]);
                self.b.switch_to_block(copy);
                let dst = self.addr(push);
                match self.u.layout {
                    Some(l) => heap::clone_value(self.b, l, dst, src),
                    None => {
                        self.call(self.u.helpers.clone, &[dst, src]);
                    }
                }
                self.b.ins().jump(done, &[]);
                self.step_into(slow, pc, d, done);
            }
            Op::StoreGlobal(g) => self.store_global(pc, g, d),
            Op::AddGlobal(g) => self.add_global(pc, g, d, kt(1)),
            Op::MakeStruct(k) => self.make_struct(k, d)?,
            Op::LoadCapture(i) => {
                let dst = self.addr(push);
                match (self.u.layout, self.captures) {
                    (Some(l), Some(elems)) => {
                        let src = self.b.ins().iadd_imm_s(elems, i as i64 * VALUE_SIZE);
                        heap::clone_value(self.b, l, dst, src);
                    }
                    _ => {
                        let index = self.b.ins().iconst(types::I32, i as i64);
                        self.call(self.u.helpers.capture, &[self.ctx, index, dst]);
                    }
                }
            }
            Op::StoreCapture(i) => {
                let src = self.addr(top(1));
                match self.captures {
                    // `move_value` is inline here: `captures` needs the layout.
                    Some(elems) => {
                        let to = self.b.ins().iadd_imm_s(elems, i as i64 * VALUE_SIZE);
                        self.move_value(to, src);
                    }
                    None => {
                        let index = self.b.ins().iconst(types::I32, i as i64);
                        self.call(self.u.helpers.store_capture, &[self.ctx, index, src]);
                    }
                }
            }
            Op::Index => {
                let (target, index) = (self.addr(top(2)), self.addr(top(1)));
                let fast = match self.u.layout {
                    Some(l) if kt(2) == Kind::Top && kt(1) == Kind::Int => Some(l),
                    _ => None,
                };
                let done = self.b.create_block();
                if let Some(l) = fast {
                    let slow = self.b.create_block();
                    self.b.set_cold_block(slow);
                    let i = self.get(top(1), Kind::Int);
                    let part = arrays::element(self.b, l, target, i, slow);
                    heap::replace_with_part(self.b, l, self.u.helpers.drop, target, part);
                    self.b.ins().jump(done, &[]);
                    self.b.switch_to_block(slow);
                }
                let failed = self.call(self.u.helpers.index, &[target, index]).expect("index result");
                let (pc, d) = self.at;
                self.exit_if(failed, pc, d, bail::ERROR);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
            }
            Op::Field(k) | Op::KeyOrNull(k) => self.field(op, k, d)?,
            // The VM's handler record, pushed and popped by helpers.
            Op::TryBegin(t) => {
                let target = self.b.ins().iconst(types::I32, t as i64);
                let above = self.b.ins().iconst(types::I32, self.u.proto.nslots as i64 + d as i64);
                self.call(self.u.helpers.try_begin, &[self.ctx, target, above]);
            }
            Op::TryEnd => {
                self.call(self.u.helpers.try_end, &[self.ctx]);
            }
            // `case Enum::Variant`: a helper tests the value and leaves its
            // payload (it cannot fail, and reads no frame).
            Op::MatchEnum(k, t) => {
                let variant = self.b.ins().iconst(types::I64, &self.u.proto.consts[k as usize] as *const Const as i64);
                let at = self.addr(top(1));
                let hit = self.call(self.u.helpers.match_enum, &[at, variant]).expect("helper result");
                let (next, miss) = (self.block(pc + 1)?, self.block(t as usize)?);
                self.b.ins().brif(hit, next, &[], miss, &[]);
                return Ok(false);
            }
            other => return Err(Rejection::new(format!("{} planned as native", other.name()))),
        }
        Ok(true)
    }
}

/// Whether `Fx::guarded` reads instruction `op`'s top operand as a number
/// (`Fx::number_at`), leaving to the VM at that instruction when it is not
/// one, before the instruction has any effect.
pub(super) fn checks_top_operand(op: Op) -> bool {
    let arith = matches!(op, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod);
    let compare = matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge);
    arith || compare || matches!(op, Op::AddLocal(_) | Op::JumpIfNot(..) | Op::IterPrepare)
}
