//! Helper calls and the ways out of framed code: the prologue that checks
//! the frame, exits to the VM at an instruction (a failed guard, an error,
//! a stress tick), and steps (one instruction run by the VM).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, Value};
use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::Op;
use ruff_core::runtime::tier::{bail, status, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_NULL, TAG_OFFSET};
use ruff_core::runtime::vm::jit_helpers::{MethodCache, STEP_RAISED};

use super::{Fx, VALUE_SIZE};
use crate::analyze::Kind;
use crate::scalar::{flags, Loc};
use crate::translate::{cl_type, tag_of};

impl Fx<'_, '_> {
    /// Calls helper `f`; a helper that consults the frame record or may raise
    /// marks the unit as using its frame.
    pub(super) fn call(&mut self, f: FuncRef, args: &[Value]) -> Option<Value> {
        let h = &self.u.helpers;
        if [
            h.step,
            h.call,
            h.call_method,
            h.method_bailed,
            h.inline_bailed,
            h.call_bailed,
            h.capture,
            h.store_capture,
            h.try_begin,
            h.try_end,
            h.call_builtin,
            h.join,
        ]
        .contains(&f)
        {
            self.uses_frame = true;
        }
        let inst = self.b.ins().call(f, args);
        self.b.inst_results(inst).first().copied()
    }

    pub(super) fn block_start(&mut self, pc: usize, leaders: &[bool]) {
        let d = self.at.1;
        if self.u.stress > 0 {
            let hit = crate::scalar::emit_stress_tick(self.b, self.ctx);
            self.exit_if(hit, pc, d, bail::GUARD);
        }
        if self.u.counting {
            let n = crate::scalar::block_len(&self.u.proto.code, leaders, pc);
            crate::scalar::emit_count(self.b, &self.u.proto.jit.stats.native_insns as *const _ as i64, n);
        }
    }

    pub(super) fn prologue(&mut self) -> Result<(), Rejection> {
        let plan = self.u.plan;
        // A method run in line starts in its caller's current block, with its
        // frame at the receiver.
        let frame = match self.tail {
            Some(t) => {
                // No result slot: its `return` passes the result to `done`.
                (self.ctx, self.out) = (t.ctx, t.recv);
                t.recv
            }
            None => {
                let entry = self.b.create_block();
                self.b.append_block_params_for_function_params(entry);
                self.b.switch_to_block(entry);
                let params = self.b.block_params(entry).to_vec();
                (self.ctx, self.out) = (params[0], params[2]);
                params[1]
            }
        };
        self.b.def_var(self.base, frame);
        self.disown_all();
        let at = self.u.layout.and_then(|l| l.closure_captures);
        if let (false, Some(at)) = (self.u.proto.captures.is_empty(), at) {
            let closure = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::CLOSURE);
            self.captures = Some(self.b.ins().load(types::I64, flags(), closure, at));
        }
        let st = plan.states[plan.entry].clone().expect("entry state");
        let checked = self.u.params.unwrap_or(st.slots.len());
        let mismatch = match self.tail {
            Some(t) => t.mismatch,
            None => self.b.create_block(),
        };
        self.b.set_cold_block(mismatch);
        let mut fails = crate::wrapper::AnyFails::default();
        for (i, k) in st.slots.iter().enumerate().take(checked).filter(|(_, k)| k.scalar()) {
            fails.tag_differs(self.b, frame, i as i32 * VALUE_SIZE as i32, tag_of(*k));
        }
        fails.branch(self.b, mismatch);
        if let Some(n) = self.u.params {
            // A call's other slots start null. The VM's frame push has written
            // them already; a compiled caller running this code without one
            // has not (see `methods`).
            let null = self.b.ins().iconst(types::I8, TAG_NULL as i64);
            for i in n..self.u.proto.nslots as usize {
                self.b.ins().store(flags(), null, frame, i as i32 * VALUE_SIZE as i32 + TAG_OFFSET as i32);
            }
        }
        for (i, k) in st.slots.iter().enumerate().filter(|(_, k)| k.scalar()) {
            let off = i as i32 * VALUE_SIZE as i32;
            if *k != Kind::Null {
                let v = self.b.ins().load(cl_type(*k), flags(), frame, off + PAYLOAD_OFFSET as i32);
                let var = self.var(Loc::Slot(i as u16), cl_type(*k));
                self.b.def_var(var, v);
            }
        }
        let first = match self.preheader_of(plan.entry) {
            Some(pre) => pre,
            None => self.block(plan.entry)?,
        };
        self.b.ins().jump(first, &[]);
        if self.tail.is_none() {
            self.b.switch_to_block(mismatch);
            let one = self.b.ins().iconst(types::I32, status::MISMATCH as i64);
            self.b.ins().return_(&[one]);
        }
        Ok(())
    }

    /// The cold exit that resumes the VM at `pc` with `depth` operands.
    pub(super) fn exit(&mut self, pc: usize, depth: usize, why: u64) -> Block {
        let key = (pc, depth, why, self.promo_on);
        if let Some(b) = self.exits.get(&key) {
            return *b;
        }
        let blk = self.b.create_block();
        self.b.set_cold_block(blk);
        self.exits.insert(key, blk);
        blk
    }

    /// Leaves for the VM at `pc` with `depth` operands when `cond` holds
    /// (through a cold block that writes the pending positions there first).
    pub(super) fn exit_if(&mut self, cond: Value, pc: usize, depth: usize, why: u64) {
        let exit = self.exit(pc, depth, why);
        let ok = self.b.create_block();
        let pending = self.pending_below(depth);
        if pending.is_empty() {
            self.b.ins().brif(cond, exit, &[], ok, &[]);
        } else {
            let write = self.b.create_block();
            self.b.set_cold_block(write);
            self.b.ins().brif(cond, write, &[], ok, &[]);
            self.b.switch_to_block(write);
            self.b.seal_block(write);
            self.write_pending(&pending);
            self.b.ins().jump(exit, &[]);
        }
        // Both blocks are sealed on entry: their one predecessor is the branch
        // above, and their handles never leave this function, so nothing can
        // add another. Sealed, a block's variables read their values from the
        // predecessor directly rather than through block parameters, so a
        // constant pushed before a guard is still seen as one after it (a
        // remainder by a constant after a guarded operand is then a
        // multiplication, not a divide).
        self.b.switch_to_block(ok);
        self.b.seal_block(ok);
    }

    /// Ends the current block with a guard's exit to the VM at `pc` with
    /// `depth` operands, the pending positions written first.
    pub(super) fn leave(&mut self, pc: usize, depth: usize) {
        let pending = self.pending_below(depth);
        self.write_pending(&pending);
        let exit = self.exit(pc, depth, bail::GUARD);
        self.b.ins().jump(exit, &[]);
    }

    /// Notes `OTHER` in the feedback of instruction `pc`, so that the code
    /// compiled next does not speculate there (a field read, a promoted loop's
    /// back-edge: `promote`).
    pub(super) fn note_other(&mut self, pc: usize) {
        let cell = self.b.ins().iconst(types::I64, &self.u.proto.feedback[pc] as *const _ as i64);
        let seen = self.b.ins().load(types::I8, flags(), cell, 0);
        let seen = self.b.ins().bor_imm_s(seen, feedback::OTHER as i64);
        self.b.ins().store(flags(), seen, cell, 0);
    }

    pub(super) fn raised_block(&mut self) -> Block {
        self.uses_frame = true;
        let which = self.promo_on as usize;
        if let Some(b) = self.raised[which] {
            return b;
        }
        let blk = self.b.create_block();
        self.b.set_cold_block(blk);
        self.raised[which] = Some(blk);
        blk
    }

    pub(super) fn finish_exits(&mut self) {
        let mut exits: Vec<((usize, usize, u64, bool), Block)> = self.exits.iter().map(|(k, b)| (*k, *b)).collect();
        exits.sort_by_key(|(k, _)| *k);
        for ((pc, depth, why, promoted), blk) in exits {
            self.b.switch_to_block(blk);
            if promoted {
                self.write_back();
            }
            for (off, v) in [(JitCtx::PC, pc as i64), (JitCtx::SP, depth as i64), (JitCtx::BAIL, why as i64)] {
                let c = self.b.ins().iconst(types::I64, v);
                self.b.ins().store(flags(), c, self.ctx, off);
            }
            match self.tail {
                Some(t) => {
                    self.b.ins().jump(t.bailed, &[]);
                }
                None => {
                    let st = self.b.ins().iconst(types::I32, status::BAILED as i64);
                    self.b.ins().return_(&[st]);
                }
            }
        }
        for (promoted, blk) in self.raised.into_iter().enumerate() {
            let Some(blk) = blk else { continue };
            self.b.switch_to_block(blk);
            if promoted == 1 {
                self.write_back();
            }
            let st = self.b.ins().iconst(types::I32, status::RAISED as i64);
            self.b.ins().return_(&[st]);
        }
    }

    /// Reads the frame's base again after a helper that may have moved the stack.
    pub(super) fn reload_base(&mut self) {
        let base = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::BASE);
        self.b.def_var(self.base, base);
    }

    /// Runs instruction `pc` in the VM; returns the next instruction's index.
    /// A method call is the same step with the instruction's method cache,
    /// after a fast path that runs a frameless method's code itself
    /// (`methods`).
    pub(super) fn step(&mut self, pc: usize, depth: usize) -> Value {
        let r = if let Op::CallMethod(_, argc) = self.u.proto.code[pc] {
            let cache = Box::<MethodCache>::default();
            let at = &*cache as *const MethodCache as i64;
            self.caches.methods.push(cache);
            self.uses_frame = true;
            self.method_call(pc, depth, argc as usize, at)
        } else if let (Op::Call(argc), true) = (self.u.proto.code[pc], self.u.builtin_calls.contains_key(&pc)) {
            // A builtin's call: by the helper that calls it directly (the step
            // when the callee has changed since).
            let mut args = self.step_args(pc, depth);
            args.push(self.b.ins().iconst(types::I32, i64::from(argc)));
            self.call(self.u.helpers.call_builtin, &args).expect("call result")
        } else if matches!(self.u.proto.code[pc], Op::Add) {
            // Two strings joined by the helper (anything else is its step).
            let args = self.step_args(pc, depth);
            self.call(self.u.helpers.join, &args).expect("join result")
        } else {
            let args = self.step_args(pc, depth);
            self.call(self.u.helpers.step, &args).expect("step result")
        };
        self.reload_base();
        let raised = self.b.ins().icmp_imm_s(IntCC::Equal, r, STEP_RAISED as i64);
        let rb = self.raised_block();
        let ok = self.b.create_block();
        self.b.ins().brif(raised, rb, &[], ok, &[]);
        self.b.switch_to_block(ok);
        r
    }

    /// The arguments every step helper takes: the context, the instruction,
    /// and the counts with the frame's slots added in (the operand stack's
    /// depth there, the room the unit needs).
    pub(super) fn step_args(&mut self, pc: usize, depth: usize) -> Vec<Value> {
        let nslots = self.u.proto.nslots as i64;
        vec![
            self.ctx,
            self.b.ins().iconst(types::I32, pc as i64),
            self.b.ins().iconst(types::I32, nslots + depth as i64),
            self.b.ins().iconst(types::I32, nslots + self.u.stack_need as i64),
        ]
    }
}
