//! `CALL_METHOD` in framed code. The instruction's [`MethodCache`] (see
//! `ruff_core::runtime::vm::jit_methods`) remembers the struct type its
//! receiver had last, with that type's method; once the method has frameless
//! native code, the call site runs it without the VM:
//!
//! 1. the receiver is a struct of the cached type, the cache has an entry,
//!    and the method's frame fits in the room this unit keeps above its own
//!    operand stack ([`CALLEE_ROOM`]);
//! 2. the method's count of native calls goes up (as for a call of pure code:
//!    no frame counts it);
//! 3. its code runs with its frame values starting at the receiver (the
//!    receiver and the arguments are its first slots, as in the VM), and
//!    writes its result to a slot of this function's native frame;
//! 4. on `DONE`, the method's values below its result are released and the
//!    result moves over the receiver: the VM's return, without the frame.
//!
//! A method that leaves to the VM part-way (`BAILED`) is finished by
//! `ruff_jit_method_bailed`, which pushes the frame record the call skipped;
//! one whose entry refused the arguments (`MISMATCH`: nothing ran), and any
//! call that fails a check of step 1, is the helper's step
//! (`ruff_jit_call_method`), which also fills and refreshes the cache.
//!
//! A method calling a method of its own name first checks for framed code
//! that is not frameless (a recursive method's), which it calls with the
//! frame record pushed (`recorded`).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, SigRef, StackSlot, StackSlotData, StackSlotKind, Value};
use ruff_core::bytecode::{Const, Op};
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::tier::{status, JitCtx};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET, TAG_STRUCT};
use ruff_core::runtime::vm::frame_layout::VmLayout;
use ruff_core::runtime::vm::jit_helpers::{FramelessCode, MethodCache};

use super::recorded::{Callee, Site};
use super::{heap, Fx, VALUE_SIZE};
use crate::scalar::{flags, Loc};

/// Values a unit with calls keeps free above its deepest operand stack for
/// the frames of the frameless methods and functions it calls (one whose
/// slots and operand stack need more is called through the helper).
pub const CALLEE_ROOM: u32 = 64;

impl Fx<'_, '_> {
    /// `CALL_METHOD` of `argc` arguments at `pc`, depth `d`, with cache
    /// `cache` (its address); returns the next instruction's index or
    /// `STEP_RAISED`, as the helper does.
    pub(super) fn method_call(&mut self, pc: usize, d: usize, argc: usize, cache: i64) -> Value {
        let Some(l) = self.u.layout else {
            let args = self.method_args(pc, d, argc, cache);
            return self.call(self.u.helpers.call_method, &args).expect("step result");
        };
        if let Some(site) = self.sites.remove(&pc) {
            return self.inline_call(l, site, pc, d, argc, cache);
        }
        let (slow, bailed, join) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.set_cold_block(bailed);
        self.b.append_block_param(join, types::I32);
        if let (Some(v), true) = (self.u.vm_layout, self.calls_own_method(pc)) {
            self.recorded_method_call(l, v, pc, d, argc, cache, join);
        }
        let recv_index = d - argc - 1;
        let recv = self.addr(Loc::Stack(recv_index as u16));
        let c = self.b.ins().iconst(types::I64, cache);
        let (entry, data) = self.method_entry(l, recv, c, recv_index, slow);
        let calls = self.b.ins().load(types::I64, flags(), c, MethodCache::CODE + FramelessCode::CALLS);
        let n = self.b.ins().load(types::I64, flags(), calls, 0);
        let n1 = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(flags(), n1, calls, 0);
        let (out, sig) = self.call_parts();
        let out = self.b.ins().stack_addr(types::I64, out, 0);
        let call = self.b.ins().call_indirect(sig, entry, &[self.ctx, recv, out, data]);
        let st = self.b.inst_results(call)[0];
        let (done, other) = (self.b.create_block(), self.b.create_block());
        let ok = self.b.ins().icmp_imm_s(IntCC::Equal, st, status::DONE as i64);
        self.b.ins().brif(ok, done, &[], other, &[]);
        self.b.switch_to_block(other);
        // A frameless method never raises itself (it calls no helper that
        // could): it returned, left to the VM, or refused its arguments.
        let left = self.b.ins().icmp_imm_s(IntCC::Equal, st, status::BAILED as i64);
        self.b.ins().brif(left, bailed, &[], slow, &[]);
        self.b.switch_to_block(done);
        self.release_callee_frame(l, recv, c, MethodCache::CODE + FramelessCode::NSLOTS);
        for (ty, off) in [(types::I8, TAG_OFFSET as i32), (types::I64, PAYLOAD_OFFSET as i32)] {
            let w = self.b.ins().load(ty, flags(), out, off);
            self.b.ins().store(flags(), w, recv, off);
        }
        let next = self.b.ins().iconst(types::I32, pc as i64 + 1);
        self.b.ins().jump(join, &[next.into()]);
        for (blk, helper) in [(slow, self.u.helpers.call_method), (bailed, self.u.helpers.method_bailed)] {
            self.b.switch_to_block(blk);
            // Made here, not before the checks: they would be kept in
            // registers or spilled across the method's call.
            let args = self.method_args(pc, d, argc, cache);
            let r = self.call(helper, &args).expect("step result");
            self.b.ins().jump(join, &[r.into()]);
        }
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// Whether `CALL_METHOD` at `pc` calls a method of the unit's own name
    /// from a method (a recursive method, most likely): its code calls, so it
    /// is not frameless, and the call site pushes its frame record instead
    /// (`recorded`). Any other method call gets the frameless path.
    fn calls_own_method(&self, pc: usize) -> bool {
        let p = self.u.proto;
        let Op::CallMethod(k, _) = p.code[pc] else { return false };
        let Some(Const::Name(name)) = p.consts.get(k as usize) else { return false };
        p.is_method && p.name.rsplit('.').next() == Some(&**name)
    }

    /// The part of `CALL_METHOD` at `pc` (as [`Fx::method_call`]) for a
    /// method whose framed code needs its frame record: a receiver of the
    /// cached type whose method has such code is called with the record
    /// pushed here (`recorded`), and the call continues at `join` with the
    /// next instruction's index; anything else goes on in the current block
    /// afterwards (the frameless path, then the helper).
    #[allow(clippy::too_many_arguments, reason = "the call site's parts")]
    fn recorded_method_call(
        &mut self,
        l: HeapLayout,
        v: VmLayout,
        pc: usize,
        d: usize,
        argc: usize,
        cache: i64,
        join: Block,
    ) {
        let (push, done, other) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        let recv_index = d - argc - 1;
        let recv = self.addr(Loc::Stack(recv_index as u16));
        let c = self.b.ins().iconst(types::I64, cache);
        let same = self.cached_receiver(l, recv, c, other);
        let entry = self.b.ins().load(types::I64, flags(), c, MethodCache::CODE + FramelessCode::RECORDED);
        let has = self.b.ins().icmp_imm_s(IntCC::NotEqual, entry, 0);
        let both = self.b.ins().band(same, has);
        self.b.ins().brif(both, push, &[], other, &[]);
        self.b.switch_to_block(push);
        let site = Site { pc, d, first: recv_index, callee: Callee::Method(l), cache: c, entry, done, helper: other };
        self.recorded_call(v, &site);
        self.b.switch_to_block(done);
        let next = self.b.ins().iconst(types::I32, pc as i64 + 1);
        self.b.ins().jump(join, &[next.into()]);
        self.b.switch_to_block(other);
    }

    /// Goes to `slow` unless the receiver at `recv` is a struct; returns, in
    /// a new current block, whether its type is the one cache `c` holds.
    fn cached_receiver(&mut self, l: HeapLayout, recv: Value, c: Value, slow: Block) -> Value {
        let obj = heap::payload_if(self.b, recv, TAG_STRUCT, slow);
        let ty = self.b.ins().load(types::I64, flags(), obj, l.struct_ty);
        let cached = self.b.ins().load(types::I64, flags(), c, MethodCache::TY);
        self.b.ins().icmp(IntCC::Equal, ty, cached)
    }

    /// The arguments of the method helpers: a step's, the cache and the
    /// argument count.
    pub(super) fn method_args(&mut self, pc: usize, d: usize, argc: usize, cache: i64) -> Vec<Value> {
        let mut args = self.step_args(pc, d);
        args.push(self.b.ins().iconst(types::I64, cache));
        args.push(self.b.ins().iconst(types::I32, argc as i64));
        args
    }

    /// Checks that the receiver at `recv` is a struct of the type cache `c`
    /// holds, that the cache has a frameless entry, and that the method's
    /// frame fits above the receiver (at operand stack position
    /// `recv_index`); goes to `slow` otherwise. Returns the entry and its
    /// `data`.
    fn method_entry(&mut self, l: HeapLayout, recv: Value, c: Value, recv_index: usize, slow: Block) -> (Value, Value) {
        let same = self.cached_receiver(l, recv, c, slow);
        let entry = self.b.ins().load(types::I64, flags(), c, MethodCache::CODE + FramelessCode::ENTRY);
        let room = self.b.ins().load(types::I64, flags(), c, MethodCache::CODE + FramelessCode::ROOM);
        // The VM keeps room for this unit's slots and `stack_need` operands
        // (plus one) while its code runs; the method's frame starts at the
        // receiver.
        let avail = self.u.stack_need as i64 + 1 - recv_index as i64;
        let has = self.b.ins().icmp_imm_s(IntCC::NotEqual, entry, 0);
        let fits = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, room, avail);
        let both = self.b.ins().band(same, has);
        let all = self.b.ins().band(both, fits);
        let go = self.b.create_block();
        self.b.ins().brif(all, go, &[], slow, &[]);
        self.b.switch_to_block(go);
        let data = self.b.ins().load(types::I64, flags(), c, MethodCache::CODE + FramelessCode::DATA);
        (entry, data)
    }

    /// Releases what the VM's return would drop of a frameless callee's frame
    /// at `recv`: its slots (the count at offset `nslots_at` of cache `c`) and
    /// the operand stack below its result (`JitCtx::sp`, as its return left
    /// it).
    pub(super) fn release_callee_frame(&mut self, l: HeapLayout, recv: Value, c: Value, nslots_at: i32) {
        let nslots = self.b.ins().load(types::I64, flags(), c, nslots_at);
        let sp = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::SP);
        let count = self.b.ins().iadd(nslots, sp);
        let bytes = self.b.ins().imul_imm_s(count, VALUE_SIZE);
        let end = self.b.ins().iadd(recv, bytes);
        let (head, body, after) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.append_block_param(head, types::I64);
        self.b.ins().jump(head, &[recv.into()]);
        self.b.switch_to_block(head);
        let at = self.b.block_params(head)[0];
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, at, end);
        self.b.ins().brif(more, body, &[], after, &[]);
        self.b.switch_to_block(body);
        heap::drop_value(self.b, l, self.u.helpers.drop, at);
        let next = self.b.ins().iadd_imm_s(at, VALUE_SIZE);
        self.b.ins().jump(head, &[next.into()]);
        self.b.switch_to_block(after);
    }

    /// The 16-byte slot of this function's native frame where the methods it
    /// calls write their results, and the signature of their entries.
    pub(super) fn call_parts(&mut self) -> (StackSlot, SigRef) {
        if let Some(parts) = self.method_call {
            return parts;
        }
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 3));
        let sig = self.b.import_signature(crate::translate::entry_signature(self.u.target.default_call_conv));
        self.method_call = Some((slot, sig));
        (slot, sig)
    }
}
