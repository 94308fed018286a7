//! Bytecode to CLIF for one compile unit, using the kinds from `analyze`: every
//! slot and operand-stack position becomes Cranelift variables (one per kind it
//! takes), so values stay unboxed in registers; control flow maps to blocks; every
//! operation that would raise in the VM branches to a bail-out instead.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, Type, Value};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, Variable};
use ruff_core::bytecode::{Cmp, Const, Op, Proto};
use ruff_core::runtime::tier::{bail, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_BOOL, TAG_FLOAT, TAG_FUNC, TAG_INT, TAG_NULL, TAG_OFFSET};

use crate::analyze::{Analysis, Kind, State};

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

/// The signature of a call unit's direct entry.
pub fn direct_signature(params: &[Kind], ret: Kind, cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
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
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Loc {
    Slot(u16),
    Stack(u16),
}

struct Tx<'a, 'b> {
    b: FunctionBuilder<'b>,
    u: &'a Unit<'a>,
    vars: HashMap<(Loc, Type), Variable>,
    blocks: HashMap<usize, Block>,
    ctx: Value,
    out: Option<Value>,
    entry_depth: Option<Value>,
    bails: HashMap<u64, Block>,
    propagate: Option<Block>,
    ret_ty: Type,
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Translates the unit into `b` (which has the unit's signature).
pub fn translate(b: FunctionBuilder<'_>, u: &Unit<'_>) -> Result<(), Rejection> {
    let a = u.analysis;
    let code = &u.proto.code;
    // Leaders: the entry, jump targets and every instruction after a branch.
    let mut leaders = vec![false; code.len() + 1];
    leaders[a.entry] = true;
    for (pc, op) in code.iter().enumerate() {
        if a.states[pc].is_none() {
            continue;
        }
        if let Some(t) = op.target() {
            leaders[t as usize] = true;
            leaders[pc + 1] = true;
        }
        if matches!(op, Op::Return | Op::Call(_)) {
            leaders[pc + 1] = true;
        }
    }
    let mut tx = Tx {
        b,
        u,
        vars: HashMap::new(),
        blocks: HashMap::new(),
        ctx: Value::from_u32(0),
        out: None,
        entry_depth: None,
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
                let c = tx.b.ins().load(types::I64, flags(), tx.ctx, JitCtx::STRESS);
                let c1 = tx.b.ins().iadd_imm_s(c, -1);
                tx.b.ins().store(flags(), c1, tx.ctx, JitCtx::STRESS);
                let hit = tx.b.ins().icmp_imm_s(IntCC::Equal, c1, 0);
                tx.guard(hit, bail::GUARD);
            }
            if u.counting {
                let mut n = 1u64;
                while pc + (n as usize) < code.len() && !leaders[pc + n as usize] {
                    n += 1;
                }
                tx.count(&u.proto.jit.stats.native_insns as *const _ as i64, n);
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

    fn count(&mut self, addr: i64, n: u64) {
        let p = self.b.ins().iconst(types::I64, addr);
        let old = self.b.ins().load(types::I64, flags(), p, 0);
        let new = self.b.ins().iadd_imm_s(old, n as i64);
        self.b.ins().store(flags(), new, p, 0);
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
                let depth = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::DEPTH);
                self.entry_depth = Some(depth);
                let limit = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::DEPTH_LIMIT);
                let too_deep = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, depth, limit);
                self.guard(too_deep, bail::DEPTH);
                let sp = self.b.ins().get_stack_pointer(types::I64);
                let floor = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::STACK_LIMIT);
                let low = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, floor);
                self.guard(low, bail::DEPTH);
                let next = self.b.ins().iadd_imm_s(depth, 1);
                self.b.ins().store(flags(), next, self.ctx, JitCtx::DEPTH);
                if self.u.counting {
                    self.count(&self.u.proto.jit.stats.native_calls as *const _ as i64, 1);
                }
                for (i, k) in kinds.clone().into_iter().enumerate() {
                    self.set(Loc::Slot(i as u16), k, params[i + 1]);
                }
            }
            UnitKind::Osr => {
                self.out = Some(params[2]);
                let slots = params[1];
                let st = a.states[a.entry].clone().expect("entry state");
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
        if let Some(d) = self.entry_depth {
            self.b.ins().store(flags(), d, self.ctx, JitCtx::DEPTH);
        }
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

    fn as_float(&mut self, v: Value, k: Kind) -> Value {
        if k == Kind::Int {
            self.b.ins().fcvt_from_sint(types::F64, v)
        } else {
            v
        }
    }

    /// `a OP b` for arithmetic kinds; ints are checked and bail on error.
    fn arith(&mut self, op: Op, a: Value, ka: Kind, b: Value, kb: Kind) -> (Value, Kind) {
        if ka == Kind::Int && kb == Kind::Int {
            let r = match op {
                Op::Add => Some(self.b.ins().sadd_overflow(a, b)),
                Op::Sub => Some(self.b.ins().ssub_overflow(a, b)),
                Op::Mul => Some(self.b.ins().smul_overflow(a, b)),
                _ => None,
            };
            if let Some((v, of)) = r {
                self.guard(of, bail::ERROR);
                return (v, Kind::Int);
            }
            let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
            self.guard(zero, bail::ERROR);
            let min = self.b.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
            let neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
            let both = self.b.ins().band(min, neg1);
            self.guard(both, bail::ERROR);
            let v = if matches!(op, Op::Div) { self.b.ins().sdiv(a, b) } else { self.b.ins().srem(a, b) };
            return (v, Kind::Int);
        }
        let x = self.as_float(a, ka);
        let y = self.as_float(b, kb);
        let v = match op {
            Op::Add => self.b.ins().fadd(x, y),
            Op::Sub => self.b.ins().fsub(x, y),
            Op::Mul => self.b.ins().fmul(x, y),
            _ => {
                let zero = self.b.ins().f64const(0.0);
                let is_zero = self.b.ins().fcmp(FloatCC::Equal, y, zero);
                self.guard(is_zero, bail::ERROR);
                if matches!(op, Op::Div) {
                    self.b.ins().fdiv(x, y)
                } else {
                    let call = self.b.ins().call(self.u.fmod, &[x, y]);
                    self.b.inst_results(call)[0]
                }
            }
        };
        (v, Kind::Float)
    }

    /// A comparison as an `i8` 0/1.
    fn compare(&mut self, cmp: Cmp, a: Value, ka: Kind, b: Value, kb: Kind) -> Value {
        if ka == Kind::Null && kb == Kind::Null {
            let eq = matches!(cmp, Cmp::Eq | Cmp::Le | Cmp::Ge);
            return self.b.ins().iconst(types::I8, eq as i64);
        }
        if (ka == Kind::Int && kb == Kind::Int) || (ka == Kind::Bool && kb == Kind::Bool) {
            let cc = match cmp {
                Cmp::Lt => IntCC::SignedLessThan,
                Cmp::Le => IntCC::SignedLessThanOrEqual,
                Cmp::Gt => IntCC::SignedGreaterThan,
                Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
                Cmp::Eq => IntCC::Equal,
                Cmp::Ne => IntCC::NotEqual,
            };
            return self.b.ins().icmp(cc, a, b);
        }
        let x = self.as_float(a, ka);
        let y = self.as_float(b, kb);
        match cmp {
            Cmp::Eq | Cmp::Ne => {
                // compare::float_eq: equal, or closer than f64::EPSILON.
                let same = self.b.ins().fcmp(FloatCC::Equal, x, y);
                let d = self.b.ins().fsub(x, y);
                let ad = self.b.ins().fabs(d);
                let eps = self.b.ins().f64const(f64::EPSILON);
                let near = self.b.ins().fcmp(FloatCC::LessThan, ad, eps);
                let eq = self.b.ins().bor(same, near);
                if cmp == Cmp::Eq {
                    eq
                } else {
                    self.b.ins().bxor_imm_s(eq, 1)
                }
            }
            _ => {
                let cc = match cmp {
                    Cmp::Lt => FloatCC::LessThan,
                    Cmp::Le => FloatCC::LessThanOrEqual,
                    Cmp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                self.b.ins().fcmp(cc, x, y)
            }
        }
    }

    /// Truthiness as an `i8` 0/1.
    fn truthy(&mut self, v: Value, k: Kind) -> Value {
        match k {
            Kind::Bool => v,
            Kind::Int => self.b.ins().icmp_imm_s(IntCC::NotEqual, v, 0),
            Kind::Float => {
                let zero = self.b.ins().f64const(0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, v, zero)
            }
            _ => self.b.ins().iconst(types::I8, 0),
        }
    }

    fn load_global(&mut self, g: u32, expect_tag: u8) -> Value {
        let base = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::GLOBALS);
        let off = g as i64 * VALUE_SIZE;
        let addr = self.b.ins().iadd_imm_s(base, off);
        let tag = self.b.ins().load(types::I8, flags(), addr, TAG_OFFSET as i32);
        let bad = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, expect_tag as i64);
        self.guard(bad, bail::GUARD);
        addr
    }

    fn ret(&mut self, v: Value, k: Kind) {
        match self.u.kind {
            UnitKind::Call(_) => {
                let d = self.entry_depth.expect("call unit depth");
                self.b.ins().store(flags(), d, self.ctx, JitCtx::DEPTH);
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
            Op::LoadGlobal(g) => match res {
                Kind::Int | Kind::Float | Kind::Bool => {
                    let addr = self.load_global(g, tag_of(res));
                    let v = self.b.ins().load(cl_type(res), flags(), addr, PAYLOAD_OFFSET as i32);
                    self.set(Loc::Stack(d as u16), res, v);
                }
                Kind::Callee(c) => {
                    let closure = self.u.analysis.callees[c as usize].closure;
                    let addr = self.load_global(g, TAG_FUNC);
                    let p = self.b.ins().load(types::I64, flags(), addr, PAYLOAD_OFFSET as i32);
                    let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, p, closure as i64);
                    self.guard(other, bail::GUARD);
                }
                _ => return Err(Rejection::new("global of unexpected kind")),
            },
            Op::LoadSelf => {}
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                let b = self.get(top(1), kt(1));
                let a = self.get(top(2), kt(2));
                let (v, k) = self.arith(op, a, kt(2), b, kt(1));
                self.set(top(2), k, v);
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let cmp = match op {
                    Op::Eq => Cmp::Eq,
                    Op::Ne => Cmp::Ne,
                    Op::Lt => Cmp::Lt,
                    Op::Le => Cmp::Le,
                    Op::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                let b = self.get(top(1), kt(1));
                let a = self.get(top(2), kt(2));
                let v = self.compare(cmp, a, kt(2), b, kt(1));
                self.set(top(2), Kind::Bool, v);
            }
            Op::Neg => {
                let a = self.get(top(1), kt(1));
                let v = if kt(1) == Kind::Int {
                    let min = self.b.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
                    self.guard(min, bail::ERROR);
                    self.b.ins().ineg(a)
                } else {
                    self.b.ins().fneg(a)
                };
                self.set(top(1), kt(1), v);
            }
            Op::Not => {
                let a = self.get(top(1), kt(1));
                let v = self.b.ins().bxor_imm_s(a, 1);
                self.set(top(1), Kind::Bool, v);
            }
            Op::ToBool => {
                let a = self.get(top(1), kt(1));
                let v = self.truthy(a, kt(1));
                self.set(top(1), Kind::Bool, v);
            }
            Op::AddLocal(s) | Op::IncLocal(s, _) => {
                let ks = st.slots[s as usize];
                let a = self.get(Loc::Slot(s), ks);
                let (b, kb) = match op {
                    Op::IncLocal(_, k) => (self.b.ins().iconst(types::I64, k as i64), Kind::Int),
                    _ => (self.get(top(1), kt(1)), kt(1)),
                };
                let (v, k) = self.arith(Op::Add, a, ks, b, kb);
                self.set(Loc::Slot(s), k, v);
            }
            Op::LocalAddInt(s, k) | Op::LocalSubInt(s, k) => {
                let ks = st.slots[s as usize];
                let a = self.get(Loc::Slot(s), ks);
                let b = self.b.ins().iconst(types::I64, k as i64);
                let which = if matches!(op, Op::LocalAddInt(..)) { Op::Add } else { Op::Sub };
                let (v, rk) = self.arith(which, a, ks, b, Kind::Int);
                self.set(Loc::Stack(d as u16), rk, v);
            }
            Op::Jump(t) | Op::Loop(t) => {
                let blk = self.block(t as usize)?;
                self.b.ins().jump(blk, &[]);
                return Ok(false);
            }
            Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                let v = self.get(top(1), kt(1));
                let c = self.truthy(v, kt(1));
                let target = self.block(t as usize)?;
                let next = self.block(pc + 1)?;
                if matches!(op, Op::JumpIfTrue(_)) {
                    self.b.ins().brif(c, target, &[], next, &[]);
                } else {
                    self.b.ins().brif(c, next, &[], target, &[]);
                }
                return Ok(false);
            }
            Op::JumpIfNotNull(t) => {
                let blk = if kt(1) == Kind::Null { self.block(pc + 1)? } else { self.block(t as usize)? };
                self.b.ins().jump(blk, &[]);
                return Ok(false);
            }
            Op::JumpIfNot(cmp, t) => {
                let b = self.get(top(1), kt(1));
                let a = self.get(top(2), kt(2));
                let c = self.compare(cmp, a, kt(2), b, kt(1));
                let target = self.block(t as usize)?;
                let next = self.block(pc + 1)?;
                self.b.ins().brif(c, next, &[], target, &[]);
                return Ok(false);
            }
            Op::Call(n) => {
                let n = n as usize;
                let Kind::Callee(c) = st.stack[d - n - 1] else { return Err(Rejection::new("call of a non-function")) };
                let mut args = vec![self.ctx];
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
            Op::IterPrepare => {
                let a = self.get(top(1), kt(1));
                let n = if kt(1) == Kind::Float { self.b.ins().fcvt_to_sint_sat(types::I64, a) } else { a };
                let zero = self.b.ins().iconst(types::I64, 0);
                let v = self.b.ins().smax(n, zero);
                self.set(top(1), Kind::Int, v);
            }
            Op::IterNext(s, t) => {
                let n = self.get(Loc::Slot(s), Kind::Int);
                let i = self.get(Loc::Slot(s + 1), Kind::Int);
                let more = self.b.ins().icmp(IntCC::SignedLessThan, i, n);
                let body = self.b.create_block();
                let done = self.block(t as usize)?;
                self.b.ins().brif(more, body, &[], done, &[]);
                self.b.switch_to_block(body);
                let i1 = self.b.ins().iadd_imm_s(i, 1);
                self.set(Loc::Slot(s + 1), Kind::Int, i1);
                self.set(Loc::Stack(d as u16), Kind::Int, i);
            }
            other => return Err(Rejection::new(format!("unsupported op {}", other.name()))),
        }
        Ok(true)
    }
}
