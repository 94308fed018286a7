//! Equality with `null` in framed code: `x == null`, `x != null` and the
//! branches on them (EQ, NE, JUMP_IF_NOT Eq/Ne), where one operand is the
//! `null` constant and the other a heap-kinded value. The VM compares them
//! structurally (`compare::equal`: only `null` equals `null`), except that a
//! struct on the left whose type has `op_eq`/`op_ne` is asked instead; that
//! case is the instruction's step, so it calls the method as the VM does
//! (and a result other than a bool, where one is pushed, leaves to the VM at
//! the next instruction). Whether a struct's type has neither method is
//! remembered per instruction (`PlainTypeCache`: the last such type, compared
//! with the struct's own; `ruff_jit_plain_struct` answers for the others).
//! Everything else is a tag test, and the heap operand's reference is
//! released as the VM's pop would.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use ruff_core::bytecode::{Cmp, Op};
use ruff_core::runtime::tier::{bail, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_BOOL, TAG_NULL, TAG_OFFSET, TAG_STRUCT};

use ruff_core::runtime::vm::jit_helpers::PlainTypeCache;

use super::Fx;
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};

impl Fx<'_, '_> {
    /// Emits `op` at `pc`, state `st` (a comparison with `null`:
    /// `plan::is_null_compare`); returns whether control falls through.
    pub(super) fn null_compare(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        let d = st.stack.len();
        let left_heap = st.stack[d - 2] == Kind::Top;
        let heap_at = self.addr(Loc::Stack((d - if left_heap { 2 } else { 1 }) as u16));
        let tag = self.b.ins().load(types::I8, flags(), heap_at, TAG_OFFSET as i32);
        let (fast, slow) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        if left_heap {
            let is_struct = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_STRUCT as i64);
            match self.u.layout {
                Some(l) => {
                    let (known, ask) = (self.b.create_block(), self.b.create_block());
                    self.b.set_cold_block(ask);
                    self.b.ins().brif(is_struct, known, &[], fast, &[]);
                    self.b.switch_to_block(known);
                    let cache = Box::<PlainTypeCache>::default();
                    let c = self.b.ins().iconst(types::I64, &*cache as *const PlainTypeCache as i64);
                    self.caches.plain_types.push(cache);
                    let obj = self.b.ins().load(types::I64, flags(), heap_at, PAYLOAD_OFFSET as i32);
                    let ty = self.b.ins().load(types::I64, flags(), obj, l.struct_ty);
                    let cached = self.b.ins().load(types::I64, flags(), c, PlainTypeCache::TY);
                    // A struct made before its type was declared (word 0) is
                    // the helper's: its type is the one its name has now.
                    let same = self.b.ins().icmp(IntCC::Equal, ty, cached);
                    let typed = self.b.ins().icmp_imm_s(IntCC::NotEqual, ty, 0);
                    let hit = self.b.ins().band(same, typed);
                    self.b.ins().brif(hit, fast, &[], ask, &[]);
                    self.b.switch_to_block(ask);
                    let plain = self.call(self.u.helpers.plain_struct, &[self.ctx, heap_at, c]).expect("helper result");
                    self.b.ins().brif(plain, fast, &[], slow, &[]);
                }
                None => {
                    self.b.ins().brif(is_struct, slow, &[], fast, &[]);
                }
            }
        } else {
            self.b.ins().jump(fast, &[]);
        }
        self.b.switch_to_block(fast);
        let wants_equal = matches!(op, Op::Eq | Op::JumpIfNot(Cmp::Eq, _));
        let cc = if wants_equal { IntCC::Equal } else { IntCC::NotEqual };
        let holds = self.b.ins().icmp_imm_s(cc, tag, TAG_NULL as i64);
        self.release(heap_at);
        match op {
            Op::JumpIfNot(_, t) => {
                let (target, next) = (self.block(t as usize)?, self.block(pc + 1)?);
                self.b.ins().brif(holds, next, &[], target, &[]);
                self.b.switch_to_block(slow);
                let n = self.step(pc, d);
                let taken = self.b.ins().icmp_imm_s(IntCC::Equal, n, t as i64);
                self.b.ins().brif(taken, target, &[], next, &[]);
                Ok(false)
            }
            _ => {
                let join = self.b.create_block();
                let v = self.b.append_block_param(join, types::I8);
                self.b.ins().jump(join, &[holds.into()]);
                self.b.switch_to_block(slow);
                self.step(pc, d);
                // The step left the operator method's result, whatever it is;
                // a value other than a bool leaves to the VM at the next
                // instruction, as anything the plan did not expect.
                let at = self.addr(Loc::Stack((d - 2) as u16));
                let got = self.b.ins().load(types::I8, flags(), at, TAG_OFFSET as i32);
                let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, got, TAG_BOOL as i64);
                self.exit_if(other, pc + 1, d - 1, bail::GUARD);
                let at = self.addr(Loc::Stack((d - 2) as u16));
                let b = self.b.ins().load(types::I8, flags(), at, PAYLOAD_OFFSET as i32);
                self.b.ins().jump(join, &[b.into()]);
                self.b.switch_to_block(join);
                self.set(Loc::Stack((d - 2) as u16), Kind::Bool, v);
                Ok(true)
            }
        }
    }
}
