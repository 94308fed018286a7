//! Native shortcuts in framed code: instruction sequences and stepped
//! instructions whose common case runs without the VM (`local[i]` read in
//! place, a branch on a heap-held bool, `local[key] = value`), each falling
//! back to the instructions' own path.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder};
use ruff_core::bytecode::{Op, Var};
use ruff_core::runtime::heap_layout::FieldCache;
use ruff_core::runtime::tier::{bail, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_BOOL, TAG_OFFSET};

use super::super::heap;
use super::super::plan::How;
use super::Fx;
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};

impl Fx<'_, '_> {
    /// `local[i]` (LOAD_LOCAL of a heap value, LOAD_LOCAL of an int or INT,
    /// INDEX, none of them a jump target): the element is read straight from the
    /// local's array, without copying the array to the stack (a reference count
    /// up and down per element). Anything else takes the three instructions'
    /// own path. Returns how many instructions it emitted, `None` when the
    /// sequence is not there.
    pub(super) fn local_element(&mut self, pc: usize, st: &State, leaders: &[bool]) -> Option<usize> {
        let (code, how) = (&self.u.proto.code, &self.u.plan.how);
        let l = self.u.layout?;
        let (Op::LoadLocal(a), Some(&index_op), Some(Op::Index)) = (code[pc], code.get(pc + 1), code.get(pc + 2))
        else {
            return None;
        };
        let plain = (pc..pc + 3).all(|p| how[p] == How::Native) && !leaders[pc + 1] && !leaders[pc + 2];
        if !plain || st.slots[a as usize] != Kind::Top {
            return None;
        }
        let i = match index_op {
            Op::LoadLocal(j) if st.slots[j as usize] == Kind::Int => self.get(Loc::Slot(j), Kind::Int),
            Op::Int(k) => self.b.ins().iconst(types::I64, k as i64),
            _ => return None,
        };
        let d = st.stack.len();
        let (src, dst) = (self.addr(Loc::Slot(a)), self.addr(Loc::Stack(d as u16)));
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        let part = heap::element(&mut self.b, l, src, i, slow);
        heap::new_ref_into(&mut self.b, l, dst, part);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        self.copy(Loc::Slot(a), Kind::Top, Loc::Stack(d as u16));
        self.set(Loc::Stack(d as u16 + 1), Kind::Int, i);
        self.at = (pc + 2, d + 2);
        let (target, index) = (self.addr(Loc::Stack(d as u16)), self.addr(Loc::Stack(d as u16 + 1)));
        let failed = self.call(self.u.helpers.index, &[target, index]).expect("index result");
        self.exit_if(failed, pc + 2, d + 2, bail::ERROR);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Some(3)
    }

    /// `local.name` (LOAD_LOCAL of a heap value, then FIELD or KEY_OR_NULL, not
    /// a jump target): a struct of the shape the instruction's cache remembers
    /// is read in place, as `local_element` reads an array. Anything else
    /// copies the local and takes FIELD's own path. Returns how many
    /// instructions it emitted, `None` when the sequence is not there.
    pub(super) fn local_field(&mut self, pc: usize, st: &State, leaders: &[bool]) -> Option<usize> {
        let (code, how) = (&self.u.proto.code, &self.u.plan.how);
        let l = self.u.layout?;
        let (Op::LoadLocal(a), Some(&op @ (Op::Field(k) | Op::KeyOrNull(k)))) = (code[pc], code.get(pc + 1)) else {
            return None;
        };
        let plain = (pc..pc + 2).all(|p| how[p] == How::Native) && !leaders[pc + 1];
        if !plain || st.slots[a as usize] != Kind::Top {
            return None;
        }
        let name = self.name_const(k).ok()?;
        let d = st.stack.len();
        let (src, dst) = (self.addr(Loc::Slot(a)), self.addr(Loc::Stack(d as u16)));
        let cache = Box::<FieldCache>::default();
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        let part = heap::field(&mut self.b, l, src, &cache, slow);
        heap::new_ref_into(&mut self.b, l, dst, part);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        self.copy(Loc::Slot(a), Kind::Top, Loc::Stack(d as u16));
        self.at = (pc + 1, d + 1);
        let target = self.addr(Loc::Stack(d as u16));
        self.field_by_helper(name, matches!(op, Op::KeyOrNull(_)), target, cache);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Some(2)
    }

    /// The common cases of some stepped instructions, natively; the current
    /// block becomes the step for the rest. Returns where the native case
    /// continues when the step falls through to the same place.
    pub(super) fn before_step(&mut self, pc: usize, op: Op, d: usize) -> Result<Option<Block>, Rejection> {
        let top = |i: usize| Loc::Stack((d - i) as u16);
        if !matches!(
            op,
            Op::JumpIfFalse(_)
                | Op::JumpIfTrue(_)
                | Op::SetPath(Var::Local(_), 1, 0)
                | Op::CallUpdate(2, Var::Local(_))
        ) {
            return Ok(None);
        }
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = match op {
            // A branch on a heap-kinded value that is a bool (`if flags[i]`).
            Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                let a = self.addr(top(1));
                let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
                let is_bool = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_BOOL as i64);
                let fast = self.b.create_block();
                self.b.ins().brif(is_bool, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let v = self.b.ins().load(types::I8, flags(), a, PAYLOAD_OFFSET as i32);
                let (target, next) = (self.block(t as usize)?, self.block(pc + 1)?);
                let leave = if matches!(op, Op::JumpIfTrue(_)) { v } else { crate::scalar::negate(&mut self.b, v) };
                crate::scalar::branch_in_line(&mut self.b, leave, target, next);
                None
            }
            // `local[key] = value` on an array in range or a dict.
            Op::SetPath(Var::Local(s), 1, 0) => {
                let args = [self.addr(Loc::Slot(s)), self.addr(top(2)), self.addr(top(1))];
                let failed = self.call(self.u.helpers.set_index, &args).expect("set_index result");
                let done = self.b.create_block();
                self.b.ins().brif(failed, slow, &[], done, &[]);
                Some(done)
            }
            // `local = push(local, item)` on an array: appended in place, inline
            // while the array has room, by the helper when it must grow.
            Op::CallUpdate(2, Var::Local(s)) => {
                let (local, callee) = (self.addr(Loc::Slot(s)), self.addr(top(3)));
                let done = self.b.create_block();
                let helper = self.b.create_block();
                self.b.set_cold_block(helper);
                if let Some(l) = self.u.layout {
                    let at = heap::AppendAt { local, callee, array: self.addr(top(2)), item: self.addr(top(1)) };
                    heap::append_in_place(&mut self.b, l, &at, helper);
                    self.b.ins().jump(done, &[]);
                } else {
                    self.b.ins().jump(helper, &[]);
                }
                self.b.switch_to_block(helper);
                let failed = self.call(self.u.helpers.push_update, &[local, callee]).expect("push_update result");
                self.b.ins().brif(failed, slow, &[], done, &[]);
                Some(done)
            }
            _ => unreachable!("checked above"),
        };
        self.b.switch_to_block(slow);
        Ok(done)
    }
}
