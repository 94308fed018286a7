//! The `NativeEntry` of a call unit that `trampoline` cannot call (more
//! arguments than it passes in registers, or a target other than x86-64 System
//! V), built with Cranelift for the unit: checks the arguments' tags against the
//! kinds the code was compiled for, unboxes them, calls the direct entry, and
//! boxes the result into `*out`. Its entry checks (`AnyFails`, `check_globals`)
//! also serve OSR and framed entries.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, MemFlagsData, Value};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::FunctionBuilder;
use ruff_core::runtime::tier::{bail, JitCtx};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET};

use crate::analyze::{GlobalGuard, Kind};
use crate::translate::{cl_type, tag_of};

/// Entry checks that share a failure target, gathered into one branch: each
/// check is a flag and the flags are or-ed, so the checks take one block instead
/// of one each (every block costs Cranelift compile time; the checks run once
/// per entry).
#[derive(Default)]
pub struct AnyFails(Option<Value>);

impl AnyFails {
    /// Adds the flag `bad`.
    pub fn add(&mut self, b: &mut FunctionBuilder<'_>, bad: Value) {
        self.0 = Some(match self.0 {
            Some(acc) => b.ins().bor(acc, bad),
            None => bad,
        });
    }

    /// Adds "the tag byte of the value at `base + off` is not `tag`".
    pub fn tag_differs(&mut self, b: &mut FunctionBuilder<'_>, base: Value, off: i32, tag: u8) {
        let t = b.ins().load(types::I8, crate::scalar::flags(), base, off + TAG_OFFSET as i32);
        let bad = b.ins().icmp_imm_s(IntCC::NotEqual, t, tag as i64);
        self.add(b, bad);
    }

    /// Adds "the int `v` lies outside `lo..=hi`".
    pub fn outside(&mut self, b: &mut FunctionBuilder<'_>, v: Value, lo: i64, hi: i64) {
        if lo > i64::MIN {
            let below = b.ins().icmp_imm_s(IntCC::SignedLessThan, v, lo);
            self.add(b, below);
        }
        if hi < i64::MAX {
            let above = b.ins().icmp_imm_s(IntCC::SignedGreaterThan, v, hi);
            self.add(b, above);
        }
    }

    /// Branches to `fail` when any flag is set; continues in a new block.
    pub fn branch(self, b: &mut FunctionBuilder<'_>, fail: Block) {
        if let Some(c) = self.0 {
            let ok = b.create_block();
            b.ins().brif(c, fail, &[], ok, &[]);
            b.switch_to_block(ok);
        }
    }
}

/// Branches to `fail` unless every global holds what `guards` say.
pub fn check_globals(b: &mut FunctionBuilder<'_>, ctx: Value, guards: &[GlobalGuard], fail: Block) {
    if guards.is_empty() {
        return;
    }
    let f = MemFlagsData::trusted();
    let base = b.ins().load(types::I64, f, ctx, JitCtx::GLOBALS);
    let mut fails = AnyFails::default();
    for g in guards {
        let off = g.global as i32 * 16;
        fails.tag_differs(b, base, off, g.tag);
        if let Some(closure) = g.closure {
            let p = b.ins().load(types::I64, f, base, off + PAYLOAD_OFFSET as i32);
            let bad = b.ins().icmp_imm_s(IntCC::NotEqual, p, closure as i64);
            fails.add(b, bad);
        }
    }
    fails.branch(b, fail);
}

/// Builds the wrapper around `direct` (params of `kinds`, result of `ret`),
/// checking first the global assumptions of the direct code and its callees.
pub fn build(
    mut b: FunctionBuilder<'_>,
    direct: FuncRef,
    kinds: &[Kind],
    ret: Kind,
    guards: &[GlobalGuard],
    target: TargetFrontendConfig,
) {
    let f = MemFlagsData::trusted();
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let (ctx, vals, out) = (p[0], p[1], p[2]);
    let mismatch = b.create_block();
    b.set_cold_block(mismatch);
    let stale = b.create_block();
    b.set_cold_block(stale);
    check_globals(&mut b, ctx, guards, stale);
    let budget = crate::translate::entry_budget(&mut b, ctx);
    let mut args = vec![ctx, budget];
    let mut fails = AnyFails::default();
    for (i, k) in kinds.iter().enumerate() {
        fails.tag_differs(&mut b, vals, i as i32 * 16, tag_of(*k));
    }
    fails.branch(&mut b, mismatch);
    for (i, k) in kinds.iter().enumerate() {
        let off = i as i32 * 16;
        let v = if *k == Kind::Null {
            b.ins().iconst(types::I64, 0)
        } else {
            b.ins().load(cl_type(*k), f, vals, off + PAYLOAD_OFFSET as i32)
        };
        args.push(v);
    }
    let call = b.ins().call(direct, &args);
    let (r, flag) = (b.inst_results(call)[0], b.inst_results(call)[1]);
    let done = b.create_block();
    let bailed = b.create_block();
    b.ins().brif(flag, bailed, &[], done, &[]);

    b.switch_to_block(done);
    crate::translate::store_boxed(&mut b, out, ret, r);
    let zero = b.ins().iconst(types::I32, 0);
    b.ins().return_(&[zero]);

    b.switch_to_block(bailed);
    let two = b.ins().iconst(types::I32, 2);
    b.ins().return_(&[two]);

    // A global changed since compilation: a guard bail-out (the VM runs the
    // call, and keeps count).
    b.switch_to_block(stale);
    let why = b.ins().iconst(types::I64, bail::GUARD as i64);
    b.ins().store(f, why, ctx, JitCtx::BAIL);
    let two = b.ins().iconst(types::I32, 2);
    b.ins().return_(&[two]);

    b.switch_to_block(mismatch);
    let one = b.ins().iconst(types::I32, 1);
    b.ins().return_(&[one]);

    b.seal_all_blocks();
    b.finalize(target);
}
