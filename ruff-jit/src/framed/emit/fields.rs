//! Field reads in framed code (FIELD, KEY_OR_NULL): a struct of the shape the
//! instruction's cache remembers is read inline, anything else by the helper,
//! which fills the cache (see `FieldCache`).
//!
//! A read whose values the VM only ever saw as ints, or only as floats, is
//! speculated (the plan's `GuardInt`, `GuardFloat`): its value goes to a
//! variable, unboxed, instead of into the frame as a heap value, so that the
//! arithmetic on it is native and no reference count is touched. The guard
//! checks the value's tag. On the inline path a failed guard leaves to the VM
//! at the instruction itself, which reads the field again and notes what it
//! found; after the helper (which has done the read), it leaves at the next
//! instruction with the value in the frame, noting `OTHER` in the
//! instruction's feedback itself so that the code compiled next does not
//! speculate there again.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use ruff_core::bytecode::{Const, Op};
use ruff_core::runtime::heap_layout::FieldCache;
use ruff_core::runtime::tier::{bail, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET};

use super::super::heap;
use super::super::plan::How;
use super::Fx;
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};
use crate::translate::{cl_type, tag_of};

impl Fx<'_, '_> {
    /// FIELD or KEY_OR_NULL `k` on the heap-kinded value at stack position
    /// `d - 1`, replaced by the field's value.
    pub(super) fn field(&mut self, op: Op, k: u32, d: usize) -> Result<(), Rejection> {
        let name = self.name_const(k)?;
        let target = self.addr(Loc::Stack((d - 1) as u16));
        let cache = Box::<FieldCache>::default();
        let done = self.b.create_block();
        if let Some(l) = self.u.layout {
            let slow = self.b.create_block();
            self.b.set_cold_block(slow);
            let part = heap::field(self.b, l, target, &cache, slow);
            heap::replace_with_part(self.b, l, self.u.helpers.drop, target, part);
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(slow);
        }
        self.field_by_helper(name, matches!(op, Op::KeyOrNull(_)), target, cache);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// FIELD or KEY_OR_NULL `k` at `pc` on the heap-kinded value at stack
    /// position `d - 1`, speculated to read a `want` (int or float): the value
    /// goes to that position's variable.
    pub(super) fn guarded_field(&mut self, pc: usize, op: Op, k: u32, d: usize, want: Kind) -> Result<(), Rejection> {
        let name = self.name_const(k)?;
        let at = Loc::Stack((d - 1) as u16);
        self.flush_loc(at);
        let target = self.addr(at);
        let cache = Box::<FieldCache>::default();
        let done = self.b.create_block();
        self.b.append_block_param(done, cl_type(want));
        if let Some(l) = self.u.layout {
            let slow = self.b.create_block();
            self.b.set_cold_block(slow);
            let part = heap::field(self.b, l, target, &cache, slow);
            let v = self.unboxed_or_exit(part, want, pc, d);
            // The struct's reference goes with the position.
            self.release(target);
            self.b.ins().jump(done, &[v.into()]);
            self.b.switch_to_block(slow);
        }
        self.field_by_helper(name, matches!(op, Op::KeyOrNull(_)), target, cache);
        let v = self.read_back(pc, d, want);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        let v = self.b.block_params(done)[0];
        self.set(at, want, v);
        Ok(())
    }

    /// `local.name` (LOAD_LOCAL of a heap value, then FIELD or KEY_OR_NULL, not
    /// a jump target): a struct of the shape the instruction's cache remembers
    /// is read in place, as `local_element` reads an array, into the frame or,
    /// when the read is speculated, into a variable. Anything else copies the
    /// local and takes FIELD's own path. Returns how many instructions it
    /// emitted, `None` when the sequence is not there.
    pub(super) fn local_field(&mut self, pc: usize, st: &State, leaders: &[bool]) -> Option<usize> {
        let (code, how) = (&self.u.proto.code, &self.u.plan.how);
        let l = self.u.layout?;
        let (Op::LoadLocal(a), Some(&op @ (Op::Field(k) | Op::KeyOrNull(k)))) = (code[pc], code.get(pc + 1)) else {
            return None;
        };
        let want = match how[pc + 1] {
            How::Native => None,
            How::GuardInt => Some(Kind::Int),
            How::GuardFloat => Some(Kind::Float),
            _ => return None,
        };
        if how[pc] != How::Native || leaders[pc + 1] || st.slots[a as usize] != Kind::Top {
            return None;
        }
        let name = self.name_const(k).ok()?;
        if let Some(Const::Name(text)) = self.u.proto.consts.get(k as usize) {
            if self.known_read(a, text, want, st) {
                return Some(2);
            }
        }
        if want.is_none() {
            self.flush_below(usize::MAX);
        }
        let d = st.stack.len();
        let src = self.addr(Loc::Slot(a));
        let cache = Box::<FieldCache>::default();
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        if let Some(want) = want {
            self.b.append_block_param(done, cl_type(want));
            // The value the loop last wrote there, while the struct is its own.
            let owned = match self.tail {
                Some(_) => self.owned_args.get(&a).cloned(),
                None => self.owned_at(a, pc),
            };
            if let Some(Const::Name(text)) = self.u.proto.consts.get(k as usize) {
                self.owned_read(owned, text, want, done);
            }
        }
        // An inlined method's receiver is the struct its call site checked
        // (`inline`), unless the method assigns it.
        let part = match self.tail.and_then(|t| t.receiver).filter(|_| a == 0) {
            Some(obj) => heap::struct_field(self.b, l, obj, &cache, slow),
            None => heap::field(self.b, l, src, &cache, slow),
        };
        match want {
            Some(want) => {
                let v = self.unboxed_or_exit(part, want, pc, d);
                self.b.ins().jump(done, &[v.into()]);
            }
            None => {
                let dst = self.addr(Loc::Stack(d as u16));
                heap::new_ref_into(self.b, l, dst, part);
                self.b.ins().jump(done, &[]);
            }
        }
        self.b.switch_to_block(slow);
        self.copy(Loc::Slot(a), Kind::Top, Loc::Stack(d as u16));
        self.at = (pc + 1, d + 1);
        let target = self.addr(Loc::Stack(d as u16));
        self.field_by_helper(name, matches!(op, Op::KeyOrNull(_)), target, cache);
        match want {
            Some(want) => {
                let v = self.read_back(pc + 1, d + 1, want);
                self.b.ins().jump(done, &[v.into()]);
                self.b.switch_to_block(done);
                let v = self.b.block_params(done)[0];
                // The next instruction takes it from its variable.
                self.deferring = true;
                self.set(Loc::Stack(d as u16), want, v);
                self.deferring = false;
            }
            None => {
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
            }
        }
        Some(2)
    }

    /// The name constant `k` of a field instruction.
    pub(super) fn name_const(&self, k: u32) -> Result<*const std::rc::Rc<str>, Rejection> {
        match &self.u.proto.consts[k as usize] {
            Const::Name(name) => Ok(name as *const _),
            _ => Err(Rejection::new("field without a name constant")),
        }
    }

    /// A field read by the helper (`or_null`: KEY_OR_NULL), which replaces the
    /// value at `target` by the field and fills the instruction's `cache`;
    /// raising as the VM would at the current instruction.
    fn field_by_helper(&mut self, name: *const std::rc::Rc<str>, or_null: bool, target: Value, cache: Box<FieldCache>) {
        let name = self.b.ins().iconst(types::I64, name as i64);
        let or_null = self.b.ins().iconst(types::I32, or_null as i64);
        let at = self.b.ins().iconst(types::I64, &*cache as *const FieldCache as i64);
        self.caches.fields.push(cache);
        let failed = self.call(self.u.helpers.field, &[target, name, or_null, at]).expect("field result");
        let (pc, d) = self.at;
        self.exit_if(failed, pc, d, bail::ERROR);
    }

    /// The `want` (int or float) the helper of field instruction `pc` left at
    /// stack position `d - 1`; anything else leaves to the VM at the next
    /// instruction, the value in the frame, after noting in the instruction's
    /// feedback that it is not always a `want`.
    fn read_back(&mut self, pc: usize, d: usize, want: Kind) -> Value {
        let at = self.addr(Loc::Stack((d - 1) as u16));
        let tag = self.b.ins().load(types::I8, flags(), at, TAG_OFFSET as i32);
        let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(want) as i64);
        let (note, ok) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(note);
        self.b.ins().brif(other, note, &[], ok, &[]);
        self.b.switch_to_block(note);
        self.note_other(pc);
        self.leave(pc + 1, d);
        self.b.switch_to_block(ok);
        let at = self.addr(Loc::Stack((d - 1) as u16));
        self.b.ins().load(cl_type(want), flags(), at, PAYLOAD_OFFSET as i32)
    }

    /// The payload of a field read inline (`part`, tag and payload) as a
    /// value of scalar kind `want` (int or float); a field of another kind
    /// leaves to the VM at `pc` with `d` operands, before anything changed.
    pub(super) fn unboxed_or_exit(&mut self, (tag, payload): (Value, Value), want: Kind, pc: usize, d: usize) -> Value {
        let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(want) as i64);
        self.exit_if(other, pc, d, bail::GUARD);
        match want {
            Kind::Float => self.b.ins().bitcast(types::F64, MemFlagsData::new(), payload),
            _ => payload,
        }
    }
}
