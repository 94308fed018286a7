//! Bytecode to CLIF for one compile unit, using the kinds from `analyze`: every
//! slot and operand-stack position becomes Cranelift variables (one per kind it
//! takes), so values stay unboxed in registers; control flow maps to blocks; every
//! operation that would raise in the VM branches to a bail-out instead.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, Block, FuncRef, InstBuilder, Signature, Type, Value};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, Variable};
use ruff_core::bytecode::{Const, Op, Proto};
use ruff_core::runtime::tier::{bail, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OFFSET};

use crate::analyze::{Analysis, Kind, State};
use crate::scalar::{flags, Loc, Scalar};

const VALUE_SIZE: i64 = 16;

/// The Cranelift type a kind lives in.
pub fn cl_type(k: Kind) -> Type {
    match k {
        Kind::Float => types::F64,
        Kind::Bool => types::I8,
        _ => types::I64,
    }
}

/// The `Value` tag of a scalar kind.
pub fn tag_of(k: Kind) -> u8 {
    match k {
        Kind::Bool => TAG_BOOL,
        Kind::Int => TAG_INT,
        Kind::Float => TAG_FLOAT,
        _ => TAG_NULL,
    }
}

/// The signature of a call unit's direct entry: (ctx, call depth, unboxed
/// arguments...) -> unboxed result. The depth travels in a register instead of
/// `JitCtx::depth`, saving a load and two stores per call.
pub fn direct_signature(params: &[Kind], ret: Kind, cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.extend(params.iter().map(|k| AbiParam::new(cl_type(*k))));
    sig.returns.push(AbiParam::new(cl_type(ret)));
    sig
}

/// The signature of a `NativeEntry` (ctx, values, out) -> status.
pub fn entry_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([AbiParam::new(types::I64), AbiParam::new(types::I64), AbiParam::new(types::I64)]);
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// What kind of unit is being built.
pub enum UnitKind {
    /// A direct entry taking unboxed arguments of these kinds.
    Call(Vec<Kind>),
    /// An OSR entry (ctx, slots, out) -> status.
    Osr,
}

/// Everything the translator needs besides the builder.
pub struct Unit<'a> {
    pub proto: &'a Proto,
    pub analysis: &'a Analysis,
    pub kind: UnitKind,
    /// Function references of the callees (same order as `analysis.callees`).
    pub callee_refs: Vec<FuncRef>,
    /// `fmod` for float `%`.
    pub fmod: FuncRef,
    /// Count instructions (and calls) into the function's statistics.
    pub counting: bool,
    /// Emit the deopt-stress countdown at every block.
    pub stress: bool,
    /// The target, for finishing the function.
    pub target: TargetFrontendConfig,
    /// Global assumptions of the unit and its callees (checked by an OSR
    /// entry's prologue; a call unit's wrapper checks them).
    pub guards: Vec<crate::analyze::GlobalGuard>,
}

struct Tx<'a, 'b> {
    b: FunctionBuilder<'b>,
    u: &'a Unit<'a>,
    vars: HashMap<(Loc, Type), Variable>,
    blocks: HashMap<usize, Block>,
    ctx: Value,
    out: Option<Value>,
    /// The depth passed to callees.
    callee_depth: Value,
    bails: HashMap<u64, Block>,
    propagate: Option<Block>,
    ret_ty: Type,
}

/// Translates the unit into `b` (which has the unit's signature).
pub fn translate(b: FunctionBuilder<'_>, u: &Unit<'_>) -> Result<(), Rejection> {
    let a = u.analysis;
    let code = &u.proto.code;
    let leaders = crate::scalar::leaders(code, &a.states, a.entry, |_, op| matches!(op, Op::Return | Op::Call(_)));
    let mut tx = Tx {
        b,
        u,
        vars: HashMap::new(),
        blocks: HashMap::new(),
        ctx: Value::from_u32(0),
        out: None,
        callee_depth: Value::from_u32(0),
        bails: HashMap::new(),
        propagate: None,
        ret_ty: cl_type(a.ret),
    };
    for (pc, leader) in leaders.iter().enumerate().take(code.len()) {
        if *leader && a.states[pc].is_some() {
            let blk = tx.b.create_block();
            tx.blocks.insert(pc, blk);
        }
    }
    tx.prologue()?;
    let mut open = false;
    for pc in 0..code.len() {
        let Some(st) = &a.states[pc] else {
            continue;
        };
        if let Some(&blk) = tx.blocks.get(&pc) {
            if open {
                tx.b.ins().jump(blk, &[]);
            }
            tx.b.switch_to_block(blk);
            open = true;
            if u.stress {
                let hit = crate::scalar::emit_stress_tick(&mut tx.b, tx.ctx);
                tx.guard(hit, bail::GUARD);
            }
            if u.counting {
                let n = crate::scalar::block_len(code, &leaders, pc);
                crate::scalar::emit_count(&mut tx.b, &u.proto.jit.stats.native_insns as *const _ as i64, n);
            }
        }
        if !open {
            continue;
        }
        open = tx.op(pc, code[pc], st)?;
    }
    if open {
        return Err(Rejection::new("code runs off the end"));
    }
    tx.finish_exits();
    tx.b.seal_all_blocks();
    tx.b.finalize(u.target);
    Ok(())
}

impl<'b> Scalar<'b> for Tx<'_, 'b> {
    fn fb(&mut self) -> &mut FunctionBuilder<'b> {
        &mut self.b
    }

    fn error_if(&mut self, cond: Value) {
        self.guard(cond, bail::ERROR);
    }

    fn get(&mut self, loc: Loc, k: Kind) -> Value {
        Tx::get(self, loc, k)
    }

    fn set(&mut self, loc: Loc, k: Kind, v: Value) {
        Tx::set(self, loc, k, v)
    }

    fn block(&self, pc: usize) -> Result<Block, Rejection> {
        Tx::block(self, pc)
    }

    fn fmod_ref(&self) -> FuncRef {
        self.u.fmod
    }
}

impl Tx<'_, '_> {
    fn var(&mut self, loc: Loc, ty: Type) -> Variable {
        if let Some(v) = self.vars.get(&(loc, ty)) {
            return *v;
        }
        let v = self.b.declare_var(ty);
        self.vars.insert((loc, ty), v);
        v
    }

    fn get(&mut self, loc: Loc, k: Kind) -> Value {
        match k {
            Kind::Int | Kind::Float | Kind::Bool => {
                let var = self.var(loc, cl_type(k));
                self.b.use_var(var)
            }
            _ => self.b.ins().iconst(types::I64, 0),
        }
    }

    fn set(&mut self, loc: Loc, k: Kind, v: Value) {
        if matches!(k, Kind::Int | Kind::Float | Kind::Bool) {
            let var = self.var(loc, cl_type(k));
            self.b.def_var(var, v);
        }
    }

    fn block(&self, pc: usize) -> Result<Block, Rejection> {
        self.blocks.get(&pc).copied().ok_or_else(|| Rejection::new("jump into the middle of a block"))
    }

    fn prologue(&mut self) -> Result<(), Rejection> {
        let a = self.u.analysis;
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let params = self.b.block_params(entry).to_vec();
        self.ctx = params[0];
        let first = self.block(a.entry)?;
        match &self.u.kind {
            UnitKind::Call(kinds) => {
                let depth = params[1];
                let limit = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::DEPTH_LIMIT);
                let too_deep = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, depth, limit);
                self.guard(too_deep, bail::DEPTH);
                let sp = self.b.ins().get_stack_pointer(types::I64);
                let floor = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::STACK_LIMIT);
                let low = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, floor);
                self.guard(low, bail::DEPTH);
                self.callee_depth = self.b.ins().iadd_imm_s(depth, 1);
                if self.u.counting {
                    crate::scalar::emit_count(&mut self.b, &self.u.proto.jit.stats.native_calls as *const _ as i64, 1);
                }
                for (i, k) in kinds.clone().into_iter().enumerate() {
                    self.set(Loc::Slot(i as u16), k, params[i + 2]);
                }
            }
            UnitKind::Osr => {
                self.out = Some(params[2]);
                let slots = params[1];
                let st = a.states[a.entry].clone().expect("entry state");
                self.callee_depth = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::DEPTH);
                let stale = self.bail_block(bail::GUARD);
                crate::wrapper::check_globals(&mut self.b, self.ctx, &self.u.guards, stale);
                let mismatch = self.b.create_block();
                for (i, k) in st.slots.iter().enumerate() {
                    if !matches!(k, Kind::Int | Kind::Float | Kind::Bool | Kind::Null) {
                        continue;
                    }
                    let off = i as i32 * VALUE_SIZE as i32;
                    let tag = self.b.ins().load(types::I8, flags(), slots, off + TAG_OFFSET as i32);
                    let bad = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(*k) as i64);
                    let ok = self.b.create_block();
                    self.b.ins().brif(bad, mismatch, &[], ok, &[]);
                    self.b.switch_to_block(ok);
                    if *k != Kind::Null {
                        let v = self.b.ins().load(cl_type(*k), flags(), slots, off + PAYLOAD_OFFSET as i32);
                        self.set(Loc::Slot(i as u16), *k, v);
                    }
                }
                self.b.ins().jump(first, &[]);
                self.b.switch_to_block(mismatch);
                let one = self.b.ins().iconst(types::I32, 1);
                self.b.ins().return_(&[one]);
                return Ok(());
            }
        }
        self.b.ins().jump(first, &[]);
        Ok(())
    }

    /// Continues in a new block when `cond` is false; bails out with `why` when true.
    fn guard(&mut self, cond: Value, why: u64) {
        let bail = self.bail_block(why);
        let ok = self.b.create_block();
        self.b.ins().brif(cond, bail, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    /// The return sequence of an early exit (the bail reason is already set).
    fn leave_early(&mut self) {
        match self.u.kind {
            UnitKind::Call(_) => {
                let z = self.zero(self.ret_ty);
                self.b.ins().return_(&[z]);
            }
            UnitKind::Osr => {
                let two = self.b.ins().iconst(types::I32, 2);
                self.b.ins().return_(&[two]);
            }
        }
    }

    fn zero(&mut self, ty: Type) -> Value {
        if ty == types::F64 {
            self.b.ins().f64const(0.0)
        } else {
            self.b.ins().iconst(ty, 0)
        }
    }

    /// The cold exit for bail-outs with reason `why` (filled by `finish_exits`).
    fn bail_block(&mut self, why: u64) -> Block {
        if let Some(b) = self.bails.get(&why) {
            return *b;
        }
        let blk = self.b.create_block();
        self.b.set_cold_block(blk);
        self.bails.insert(why, blk);
        blk
    }

    /// The cold exit taken when a callee bailed out (the reason is already set).
    fn propagate_block(&mut self) -> Block {
        if let Some(b) = self.propagate {
            return b;
        }
        let blk = self.b.create_block();
        self.b.set_cold_block(blk);
        self.propagate = Some(blk);
        blk
    }

    /// Fills the exit blocks once the body is done (the builder wants each block
    /// filled before switching to another).
    fn finish_exits(&mut self) {
        let mut bails: Vec<(u64, Block)> = self.bails.iter().map(|(w, b)| (*w, *b)).collect();
        bails.sort_by_key(|(w, _)| *w);
        for (why, blk) in bails {
            self.b.switch_to_block(blk);
            let code = self.b.ins().iconst(types::I64, why as i64);
            self.b.ins().store(flags(), code, self.ctx, JitCtx::BAIL);
            self.leave_early();
        }
        if let Some(blk) = self.propagate {
            self.b.switch_to_block(blk);
            self.leave_early();
        }
    }

    fn ret(&mut self, v: Value, k: Kind) {
        match self.u.kind {
            UnitKind::Call(_) => {
                let v = if k == Kind::Null { self.b.ins().iconst(types::I64, 0) } else { v };
                self.b.ins().return_(&[v]);
            }
            UnitKind::Osr => {
                let out = self.out.expect("osr out");
                let tag = self.b.ins().iconst(types::I8, tag_of(k) as i64);
                self.b.ins().store(flags(), tag, out, TAG_OFFSET as i32);
                if k != Kind::Null {
                    self.b.ins().store(flags(), v, out, PAYLOAD_OFFSET as i32);
                }
                let z = self.b.ins().iconst(types::I32, 0);
                self.b.ins().return_(&[z]);
            }
        }
    }

    /// Emits one instruction; returns whether control falls through.
    fn op(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        if let Some(falls) = self.scalar_op(pc, op, st)? {
            return Ok(falls);
        }
        let d = st.stack.len();
        let top = |i: usize| Loc::Stack((d - i) as u16);
        let kt = |i: usize| st.stack[d - i];
        let res = self.u.analysis.results[pc];
        match op {
            Op::Const(k) => {
                let v = match &self.u.proto.consts[k as usize] {
                    Const::Int(i) => self.b.ins().iconst(types::I64, *i),
                    Const::Float(f) => self.b.ins().f64const(*f),
                    _ => return Err(Rejection::new("heap constant")),
                };
                self.set(Loc::Stack(d as u16), res, v);
            }
            Op::Int(i) => {
                let v = self.b.ins().iconst(types::I64, i as i64);
                self.set(Loc::Stack(d as u16), Kind::Int, v);
            }
            Op::Null => {}
            Op::True | Op::False => {
                let v = self.b.ins().iconst(types::I8, matches!(op, Op::True) as i64);
                self.set(Loc::Stack(d as u16), Kind::Bool, v);
            }
            Op::Pop => {}
            Op::Dup => {
                let v = self.get(top(1), kt(1));
                self.set(Loc::Stack(d as u16), kt(1), v);
            }
            Op::LoadLocal(s) => {
                let k = st.slots[s as usize];
                let v = self.get(Loc::Slot(s), k);
                self.set(Loc::Stack(d as u16), k, v);
            }
            Op::StoreLocal(s) => {
                let v = self.get(top(1), kt(1));
                self.set(Loc::Slot(s), kt(1), v);
            }
            // The tag (and for a callee, the closure) was checked on entry from
            // the VM (`Analysis::global_guards`).
            Op::LoadGlobal(g) => match res {
                Kind::Int | Kind::Float | Kind::Bool => {
                    let base = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::GLOBALS);
                    let off = g as i32 * VALUE_SIZE as i32 + PAYLOAD_OFFSET as i32;
                    let v = self.b.ins().load(cl_type(res), flags(), base, off);
                    self.set(Loc::Stack(d as u16), res, v);
                }
                Kind::Callee(_) => {}
                _ => return Err(Rejection::new("global of unexpected kind")),
            },
            Op::LoadSelf => {}
            Op::Call(n) => {
                let n = n as usize;
                let Kind::Callee(c) = st.stack[d - n - 1] else { return Err(Rejection::new("call of a non-function")) };
                let mut args = vec![self.ctx, self.callee_depth];
                for i in 0..n {
                    let loc = Loc::Stack((d - n + i) as u16);
                    args.push(self.get(loc, st.stack[d - n + i]));
                }
                let call = self.b.ins().call(self.u.callee_refs[c as usize], &args);
                let r = self.b.inst_results(call)[0];
                let flag = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::BAIL);
                let prop = self.propagate_block();
                let next = self.block(pc + 1)?;
                self.set(Loc::Stack((d - n - 1) as u16), res, r);
                self.b.ins().brif(flag, prop, &[], next, &[]);
                return Ok(false);
            }
            Op::Return => {
                let v = self.get(top(1), kt(1));
                self.ret(v, kt(1));
                return Ok(false);
            }
            other => return Err(Rejection::new(format!("unsupported op {}", other.name()))),
        }
        Ok(true)
    }
}
