//! `CALL` of a function whose framed code is not frameless (a recursive
//! function over structs, say), from framed code. The call site does what the
//! VM's call does before that code runs (the VM's frame records and stack
//! length: `frame_layout`), and helpers do the rest:
//!
//! 1. checks that the VM's depth limit allows one more frame (the context's
//!    count of calls left, which is never above the VM's), that the native
//!    stack has the room the VM asks before it enters native code, that the
//!    frame records have room for one more, and that the VM's stack holds
//!    the callee's slots and operand stack without growing;
//! 2. stores the instruction after the call as its own frame's resume point
//!    (where an error in the callee finds this frame's line), pushes the
//!    callee's frame record, which takes the callee's reference from its
//!    position (as the VM's call does), and sets the stack's length and the
//!    context for the callee (whose code writes nulls to its other slots),
//!    under deopt stress its count to the next bail-out too, as the VM's
//!    entry does;
//! 3. calls the code, then restores the context's count and base (the
//!    callee's helpers may have moved the stack);
//! 4. on `DONE`, `ruff_jit_call_done` returns from the call as the VM's
//!    return does; anything else (`BAILED`, `RAISED`, and `MISMATCH`: nothing
//!    ran) is finished by `ruff_jit_call_left`, with the record in place, as
//!    the VM finishes such a call.
//!
//! A check of step 1 that fails also goes on to the call helper, which does
//! all of it the VM's way.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::tier::{status, JitCtx};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_NULL, TAG_OFFSET};
use ruff_core::runtime::vm::frame_layout::VmLayout;
use ruff_core::runtime::vm::jit_helpers::{CallCache, FramelessCode, MethodCache, STEP_RAISED};

use super::{Fx, VALUE_SIZE};
use crate::scalar::{flags, Loc};

/// What is called: a function value, whose reference the record takes from
/// its position (`CALL`), or the method closure a [`MethodCache`] holds,
/// whose record counts a reference of its own (`CALL_METHOD`).
#[derive(Clone, Copy)]
pub(super) enum Callee {
    /// The function value's position, just below the first argument.
    Function(Value),
    /// A method; its frame starts at the receiver.
    Method(HeapLayout),
}

/// The parts of a call site that [`Fx::recorded_call`] works on.
pub(super) struct Site {
    pub pc: usize,
    pub d: usize,
    /// The operand stack position where the callee's frame values start (the
    /// first argument of a function, a method's receiver).
    pub first: usize,
    pub callee: Callee,
    /// The instruction's cache ([`CallCache`] or [`MethodCache`]).
    pub cache: Value,
    /// The cached code's entry.
    pub entry: Value,
    /// Where control goes after the call.
    pub done: Block,
    /// The call helper's block.
    pub helper: Block,
}

impl Site {
    /// The offset of the cache's [`FramelessCode`].
    fn code_at(&self) -> i32 {
        match self.callee {
            Callee::Function(_) => CallCache::CODE,
            Callee::Method(_) => MethodCache::CODE,
        }
    }
}

impl Fx<'_, '_> {
    /// The call of `s` by framed code with its frame record pushed here (see
    /// the module documentation), in the current block; ends every path with
    /// a jump to `s.done` or `s.helper`.
    pub(super) fn recorded_call(&mut self, v: VmLayout, s: &Site) {
        let (first, code) = (s.first, s.code_at());
        // The callee's base as a stack index: this frame's, past its slots
        // and operand stack up to the callee's first value.
        let below = i64::from(self.u.proto.nslots) + first as i64;
        let c = s.cache;
        let vm = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::VM);
        let left = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::DEPTH_LIMIT);
        let frames = self.b.ins().load(types::I64, flags(), vm, v.frames_len);
        let cap = self.b.ins().load(types::I64, flags(), vm, v.frames_cap);
        let records = self.b.ins().load(types::I64, flags(), vm, v.frames_ptr);
        let end = self.b.ins().imul_imm_s(frames, i64::from(v.frame_size));
        let record = self.b.ins().iadd(records, end);
        let mine = self.b.ins().iadd_imm_s(record, -i64::from(v.frame_size));
        let my_base = self.b.ins().load(types::I64, flags(), mine, v.frame_base);
        let base = self.b.ins().iadd_imm_s(my_base, below);
        let room = self.b.ins().load(types::I64, flags(), c, code + FramelessCode::ROOM);
        let need = self.b.ins().iadd(base, room);
        let stack_cap = self.b.ins().load(types::I64, flags(), vm, v.stack_cap);
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let floor = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::STACK_LIMIT);
        let floor = self.b.ins().iadd_imm_s(floor, v.entry_margin as i64);
        let deep_ok = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, left, 1);
        let records_ok = self.b.ins().icmp(IntCC::UnsignedLessThan, frames, cap);
        // The VM keeps one value more than the frame needs (`framed_ctx`).
        let stack_ok = self.b.ins().icmp(IntCC::UnsignedLessThan, need, stack_cap);
        let native_ok = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, sp, floor);
        let a = self.b.ins().band(deep_ok, records_ok);
        let b2 = self.b.ins().band(stack_ok, native_ok);
        let ok = self.b.ins().band(a, b2);
        let push = self.b.create_block();
        self.b.ins().brif(ok, push, &[], s.helper, &[]);

        self.b.switch_to_block(push);
        let next = self.b.ins().iconst(types::I64, s.pc as i64 + 1);
        self.b.ins().store(flags(), next, mine, v.frame_pc);
        let zero = self.b.ins().iconst(types::I64, 0);
        let (closure, ret) = match s.callee {
            Callee::Function(slot) => {
                let closure = self.b.ins().load(types::I64, flags(), slot, PAYLOAD_OFFSET as i32);
                let null = self.b.ins().iconst(types::I8, TAG_NULL as i64);
                self.b.ins().store(flags(), null, slot, TAG_OFFSET as i32);
                (closure, self.b.ins().iadd_imm_s(base, -1))
            }
            Callee::Method(l) => {
                let closure = self.b.ins().load(types::I64, flags(), c, MethodCache::CLOSURE);
                let n = self.b.ins().load(types::I64, flags(), closure, l.strong);
                let n1 = self.b.ins().iadd_imm_s(n, 1);
                self.b.ins().store(flags(), n1, closure, l.strong);
                (closure, base)
            }
        };
        self.b.ins().store(flags(), closure, record, v.frame_closure);
        self.b.ins().store(flags(), zero, record, v.frame_pc);
        self.b.ins().store(flags(), base, record, v.frame_base);
        self.b.ins().store(flags(), ret, record, v.frame_ret);
        let pushed = self.b.ins().iadd_imm_s(frames, 1);
        self.b.ins().store(flags(), pushed, vm, v.frames_len);
        let values = self.addr(Loc::Stack(first as u16));
        // The callee's code writes nulls to its other slots itself.
        let nslots = self.b.ins().load(types::I64, flags(), c, code + FramelessCode::NSLOTS);
        let top = self.b.ins().iadd(base, nslots);
        self.b.ins().store(flags(), top, vm, v.stack_len);
        let calls = self.b.ins().load(types::I64, flags(), c, code + FramelessCode::CALLS);
        let n = self.b.ins().load(types::I64, flags(), calls, 0);
        let n1 = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(flags(), n1, calls, 0);
        let fewer = self.b.ins().iadd_imm_s(left, -1);
        self.b.ins().store(flags(), fewer, self.ctx, JitCtx::DEPTH_LIMIT);
        if self.u.stress > 0 {
            // The count to the next stressed bail-out starts again, as at the
            // VM's every entry of native code.
            let every = self.b.ins().iconst(types::I64, self.u.stress as i64);
            self.b.ins().store(flags(), every, self.ctx, JitCtx::STRESS);
        }
        for (off, w) in [(JitCtx::BASE, values), (JitCtx::PC, zero), (JitCtx::SP, zero), (JitCtx::CLOSURE, closure)] {
            self.b.ins().store(flags(), w, self.ctx, off);
        }
        let data = self.b.ins().load(types::I64, flags(), c, code + FramelessCode::DATA);
        let (out, sig) = self.call_parts();
        let out = self.b.ins().stack_addr(types::I64, out, 0);
        let call = self.b.ins().call_indirect(sig, s.entry, &[self.ctx, values, out, data]);
        let st = self.b.inst_results(call)[0];
        self.b.ins().store(flags(), left, self.ctx, JitCtx::DEPTH_LIMIT);
        // The callee's base now (its helpers keep the context's up to date),
        // and this frame's below it.
        let values = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::BASE);
        let mine_now = self.b.ins().iadd_imm_s(values, -below * VALUE_SIZE);
        self.b.def_var(self.base, mine_now);
        self.b.ins().store(flags(), mine_now, self.ctx, JitCtx::BASE);
        let (done, left_vm) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(left_vm);
        let ok = self.b.ins().icmp_imm_s(IntCC::Equal, st, status::DONE as i64);
        self.b.ins().brif(ok, done, &[], left_vm, &[]);

        self.b.switch_to_block(done);
        self.call(self.u.helpers.call_done, &[self.ctx, out]);
        self.b.ins().jump(s.done, &[]);

        self.b.switch_to_block(left_vm);
        let mut args = self.step_args(s.pc, s.d);
        args.insert(1, st);
        args.push(c);
        let helper = match s.callee {
            Callee::Function(_) => self.u.helpers.call_left,
            Callee::Method(_) => self.u.helpers.method_left,
        };
        let r = self.call(helper, &args).expect("call result");
        self.reload_base();
        let raised = self.b.ins().icmp_imm_s(IntCC::Equal, r, STEP_RAISED as i64);
        let rb = self.raised_block();
        self.b.ins().brif(raised, rb, &[], s.done, &[]);
    }
}
