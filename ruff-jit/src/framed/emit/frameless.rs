//! `CALL` of a function with frameless native code, from framed code. The
//! instruction's [`CallCache`] (see `ruff_core::runtime::vm::jit_calls`)
//! remembers the function it called last; once that function has frameless
//! native code, the call site runs it without the VM, as `methods` does for
//! `CALL_METHOD`. (A call of the function itself, or of one whose code is
//! framed but not frameless when the unit is compiled, gets the code of
//! `recorded` instead, which pushes the callee's frame record; a call of a
//! function with pure code gets neither: see `CallPath`.)
//!
//! 1. the callee is a closure of the cached function (the cache holds a
//!    function only when this instruction passes it all its parameters), the
//!    cache has an entry, and the function's frame fits in the room this unit
//!    keeps above its own operand stack ([`super::CALLEE_ROOM`]);
//! 2. the function's count of native calls goes up (no frame counts it);
//! 3. its code runs with its frame values starting at the first argument (the
//!    arguments are its first slots, as in the VM), and writes its result to
//!    a slot of this function's native frame;
//! 4. on `DONE`, the function's values below its result are released, and
//!    the callee, and the result takes the callee's place: the VM's return,
//!    without the frame.
//!
//! Code that leaves to the VM part-way (`BAILED`) is finished by
//! `ruff_jit_call_bailed`, which pushes the frame record the call skipped;
//! code whose entry refused the arguments (`MISMATCH`: nothing ran), and any
//! call that fails a check of step 1, goes on to the call helper
//! (`ruff_jit_call`), which also fills and refreshes the cache. The frameless
//! code calls nothing itself, so the call is one level deeper than the
//! running frame, which the VM entered within the recursion limit: the VM's
//! depth check could not fail here.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::tier::status;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET};
use ruff_core::runtime::vm::frame_layout::VmLayout;
use ruff_core::runtime::vm::jit_helpers::{CallCache, FramelessCode, STEP_RAISED};

use super::{heap, recorded, CallPath, Fx};
use crate::scalar::{flags, Loc};

impl Fx<'_, '_> {
    /// The fast path of `CALL argc` at `pc`, depth `d`, whose callee at
    /// `callee` is a function value, with cache `cache` (its address):
    /// continues at `done` after a call it made, in the current block
    /// (afterwards) otherwise.
    pub(super) fn frameless_call(&mut self, pc: usize, argc: usize, d: usize, callee: Value, cache: i64, done: Block) {
        let Some((l, proto_at)) = self.u.layout.and_then(|l| Some((l, l.closure_proto?))) else { return };
        let frameless = (FramelessCode::ENTRY, None);
        let recorded = self.u.vm_layout.map(|v| (FramelessCode::RECORDED, Some(v)));
        let paths: Vec<(i32, Option<VmLayout>)> = match self.u.call_paths.get(&pc).copied().unwrap_or(CallPath::Either)
        {
            CallPath::Frameless => vec![frameless],
            CallPath::Recorded => recorded.into_iter().collect(),
            CallPath::Either => [Some(frameless), recorded].into_iter().flatten().collect(),
            CallPath::Helper => Vec::new(),
        };
        if paths.is_empty() {
            return;
        }
        let helper = self.b.create_block();
        let c = self.b.ins().iconst(types::I64, cache);
        for (k, (entry_at, pushes)) in paths.iter().enumerate() {
            let (check, miss) =
                (self.b.create_block(), if k + 1 == paths.len() { helper } else { self.b.create_block() });
            // No entry (the callee has other code, or none yet): on to the
            // next way, and at last to the helper.
            let entry = self.b.ins().load(types::I64, flags(), c, CallCache::CODE + entry_at);
            self.b.ins().brif(entry, check, &[], miss, &[]);
            self.b.switch_to_block(check);
            let closure = self.b.ins().load(types::I64, flags(), callee, PAYLOAD_OFFSET as i32);
            let proto = self.b.ins().load(types::I64, flags(), closure, proto_at);
            let cached = self.b.ins().load(types::I64, flags(), c, CallCache::PROTO);
            let same = self.b.ins().icmp(IntCC::Equal, proto, cached);
            let function = recorded::Callee::Function(callee);
            let site = recorded::Site { pc, d, first: d - argc, callee: function, cache: c, entry, done, helper: miss };
            match pushes {
                // Code that needs its frame record: pushed here (`recorded`).
                Some(v) => {
                    let pushing = self.b.create_block();
                    self.b.ins().brif(same, pushing, &[], miss, &[]);
                    self.b.switch_to_block(pushing);
                    self.recorded_call(*v, &site);
                }
                None => self.frameless_parts(l, &site, same),
            }
            self.b.switch_to_block(miss);
        }
    }

    /// The frameless call of `s` when `same` (the callee is the cached
    /// function), in the current block; ends every path with a jump to
    /// `s.done` or `s.helper`.
    fn frameless_parts(&mut self, l: HeapLayout, s: &recorded::Site, same: Value) {
        let (pc, d, first, c, done, helper) = (s.pc, s.d, s.first, s.cache, s.done, s.helper);
        let recorded::Callee::Function(callee) = s.callee else { unreachable!("a function's call") };
        let argc = d - first;
        let (go, ret, bailed) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(bailed);
        let room = self.b.ins().load(types::I64, flags(), c, CallCache::CODE + FramelessCode::ROOM);
        // The VM keeps room for this unit's slots and `stack_need` operands
        // (plus one) while its code runs; the callee's frame starts at the
        // first argument.
        let avail = self.u.stack_need as i64 + 1 - first as i64;
        let fits = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, room, avail);
        let both = self.b.ins().band(same, fits);
        self.b.ins().brif(both, go, &[], helper, &[]);
        self.b.switch_to_block(go);
        let calls = self.b.ins().load(types::I64, flags(), c, CallCache::CODE + FramelessCode::CALLS);
        let n = self.b.ins().load(types::I64, flags(), calls, 0);
        let n1 = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(flags(), n1, calls, 0);
        let data = self.b.ins().load(types::I64, flags(), c, CallCache::CODE + FramelessCode::DATA);
        let (out, sig) = self.call_parts();
        let out = self.b.ins().stack_addr(types::I64, out, 0);
        let values = self.addr(Loc::Stack(first as u16));
        let call = self.b.ins().call_indirect(sig, s.entry, &[self.ctx, values, out, data]);
        let st = self.b.inst_results(call)[0];
        let other = self.b.create_block();
        let ok = self.b.ins().icmp_imm_s(IntCC::Equal, st, status::DONE as i64);
        self.b.ins().brif(ok, ret, &[], other, &[]);
        self.b.switch_to_block(other);
        // Frameless code never raises itself (it calls no helper that could):
        // it returned, left to the VM, or refused its arguments.
        let left = self.b.ins().icmp_imm_s(IntCC::Equal, st, status::BAILED as i64);
        self.b.ins().brif(left, bailed, &[], helper, &[]);
        self.b.switch_to_block(ret);
        self.returned(l, values, callee, out, c);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(bailed);
        let mut args = self.step_args(pc, d);
        args.push(c);
        args.push(self.b.ins().iconst(types::I32, argc as i64));
        let r = self.call(self.u.helpers.call_bailed, &args).expect("step result");
        self.reload_base();
        let raised = self.b.ins().icmp_imm_s(IntCC::Equal, r, STEP_RAISED as i64);
        let rb = self.raised_block();
        self.b.ins().brif(raised, rb, &[], done, &[]);
    }

    /// What the VM's return does after the frameless code of cache `c`'s
    /// function returned: its values from `values` on are released, and the
    /// callee at `callee`, and the result in `out` takes the callee's place.
    pub(super) fn returned(&mut self, l: HeapLayout, values: Value, callee: Value, out: Value, c: Value) {
        self.release_callee_frame(l, values, c, CallCache::CODE + FramelessCode::NSLOTS);
        heap::drop_value(self.b, l, self.u.helpers.drop, callee);
        for (ty, off) in [(types::I8, TAG_OFFSET as i32), (types::I64, PAYLOAD_OFFSET as i32)] {
            let w = self.b.ins().load(ty, flags(), out, off);
            self.b.ins().store(flags(), w, callee, off);
        }
    }
}
