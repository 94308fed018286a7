//! Bytecode to CLIF for one compile unit, using the kinds from `analyze`: every
//! slot and operand-stack position becomes Cranelift variables (one per kind it
//! takes), so values stay unboxed in registers; control flow maps to blocks; every
//! operation that would raise in the VM branches to a bail-out instead.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, Type, Value};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, Variable};
use ruff_core::bytecode::{Const, Op, Proto};
use ruff_core::runtime::tier::{bail, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OFFSET};
use rustc_hash::FxHashMap;

use crate::analyze::{Analysis, Kind, State};
use crate::ranges::{Facts, Range};
use crate::scalar::{flags, Loc, Scalar};

mod quick;

const VALUE_SIZE: i64 = 16;

/// The Cranelift type a kind lives in.
pub fn cl_type(k: Kind) -> Type {
    match k {
        Kind::Float => types::F64,
        Kind::Bool => types::I8,
        _ => types::I64,
    }
}

/// Stores scalar `v` of kind `k` at `out` as a whole `Value` (see
/// [`crate::scalar::store_result`]).
pub fn store_boxed(b: &mut FunctionBuilder<'_>, out: Value, k: Kind, v: Value) {
    let tag = b.ins().iconst(types::I8, tag_of(k) as i64);
    let payload = match k {
        Kind::Null => b.ins().iconst(types::I64, 0),
        Kind::Float => b.ins().bitcast(types::I64, MemFlagsData::new(), v),
        Kind::Bool => b.ins().uextend(types::I64, v),
        _ => v,
    };
    crate::scalar::store_result(b, out, tag, payload);
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

/// The signature of a call unit's direct entry: (ctx, call budget, unboxed
/// arguments...) -> (unboxed result, status). The budget is how many more
/// native calls the recursion limit allows, this one included
/// ([`entry_budget`] where native code is entered); it travels in a register
/// instead of `JitCtx`, saving loads and stores per call, and counts down, so a
/// call compares it with zero instead of with a limit kept in a register; the status
/// (non-zero: it bailed out, the reason in `JitCtx::bail`) returns in a register,
/// so the caller tests it without a load.
pub fn direct_signature(params: &[Kind], ret: Kind, cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.extend(params.iter().map(|k| AbiParam::new(cl_type(*k))));
    sig.returns.push(AbiParam::new(cl_type(ret)));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

/// The call budget of a direct entry called from code the VM entered: the
/// native calls the recursion limit allows (`JitCtx::depth_limit`).
pub fn entry_budget(b: &mut FunctionBuilder<'_>, ctx: Value) -> Value {
    b.ins().load(types::I64, flags(), ctx, JitCtx::DEPTH_LIMIT)
}

/// The signature of a `NativeEntry` (ctx, values, out, data) -> status (the
/// units Cranelift builds have no use for `data`).
pub fn entry_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend([types::I64; 4].map(AbiParam::new));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// What kind of unit is being built.
pub enum UnitKind {
    /// A direct entry taking unboxed arguments of these kinds.
    Call(Vec<Kind>),
    /// An OSR entry (ctx, slots, out) -> status, assuming its slots enter in
    /// these ranges (see `rangeflow`; `Range::ALL` for no assumption).
    Osr(Vec<Range>),
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
    /// entry's prologue; a call unit's boxed entry checks them).
    pub guards: Vec<crate::analyze::GlobalGuard>,
    /// Where a closure keeps its captured values' element pointer
    /// (`HeapLayout::closure_captures`), when the probe found it.
    pub captures_at: Option<i32>,
}

/// How many instructions a call unit may have for its self-calls to be inlined,
/// counting one copy of the body per inlined call site, at every level.
const INLINE_BUDGET: usize = 240;

/// How many levels of self-calls may be inlined (copies inside copies).
const INLINE_LEVELS: u16 = 2;

/// The levels of self-calls inlined in a body of `len` instructions with
/// `sites` self-calls: level k adds `sites^k` copies, and all copies together,
/// the body included, must fit `INLINE_BUDGET`.
fn inline_levels_within(len: usize, sites: usize) -> u16 {
    if sites == 0 {
        return 0;
    }
    let (mut levels, mut copies, mut row) = (0, 1usize, 1usize);
    while levels < INLINE_LEVELS {
        row = row.saturating_mul(sites);
        copies = copies.saturating_add(row);
        if len.saturating_mul(copies) > INLINE_BUDGET {
            break;
        }
        levels += 1;
    }
    levels
}

struct Tx<'a, 'b> {
    b: FunctionBuilder<'b>,
    u: &'a Unit<'a>,
    /// Block leaders of the unit's code.
    leaders: Vec<bool>,
    /// How many edges enter each instruction (`scalar::entering_edges`).
    entering: Vec<u32>,
    /// Int ranges known where code is being emitted.
    facts: Facts,
    /// The slots' ranges before each instruction (`rangeflow`), when found.
    flow: Option<crate::rangeflow::SlotRanges>,
    /// Blocks sealed as soon as they were entered, which must have exactly
    /// one predecessor in the end (checked by `check_sealed_early`).
    sealed_early: Vec<Block>,
    /// The copy of the body being emitted: 0 for the unit itself, k inside a
    /// self-call inlined k levels deep (see `inline_self_call`).
    frame: u16,
    /// How many levels of the unit's self-calls are inlined (`inline_levels`).
    inline_levels: u16,
    vars: FxHashMap<(u16, Loc, Type), Variable>,
    blocks: FxHashMap<(u16, usize), Block>,
    /// Where an inlined body's `return` goes (its result as the block parameter).
    ret_to: Option<Block>,
    /// The instructions of the function's quick return, copied to its
    /// self-calls that are not inlined (`quick`).
    quick: Option<Vec<bool>>,
    /// The copy of the quick return being emitted.
    quick_copy: Option<quick::QuickCopy>,
    ctx: Value,
    out: Option<Value>,
    /// The call budget passed to callees (see `direct_signature`).
    callee_budget: Value,
    bails: FxHashMap<u64, Block>,
    propagate: Option<Block>,
    ret_ty: Type,
    /// For a function with captured variables: the closure entered (from
    /// `JitCtx::closure`) and its captured values' element pointer, both read
    /// in the entry block. The values never move while pure code runs: only
    /// STORE_CAPTURE rebinds them, in place, and pure code has none.
    closure: Option<(Value, Value)>,
}

/// Translates the unit into `b` (which has the unit's signature).
pub fn translate(b: FunctionBuilder<'_>, u: &Unit<'_>) -> Result<(), Rejection> {
    let a = u.analysis;
    let code = &u.proto.code;
    let leaders = crate::scalar::leaders(code, &a.states, a.entry, |_, op| matches!(op, Op::Return | Op::Call(_)));
    let entering = crate::scalar::entering_edges(code, &a.states, a.entry);
    let mut tx = Tx {
        b,
        u,
        leaders,
        entering,
        facts: Facts::default(),
        flow: None,
        sealed_early: Vec::new(),
        frame: 0,
        inline_levels: 0,
        vars: FxHashMap::default(),
        blocks: FxHashMap::default(),
        ret_to: None,
        quick: None,
        quick_copy: None,
        ctx: Value::from_u32(0),
        out: None,
        callee_budget: Value::from_u32(0),
        bails: FxHashMap::default(),
        propagate: None,
        ret_ty: cl_type(a.ret),
        closure: None,
    };
    let sites = (0..code.len()).filter(|&pc| tx.self_call(pc)).count();
    tx.inline_levels = tx.inline_levels(sites);
    // Counted code counts what it runs, and a quick return run again in the
    // callee would count twice. Without a self-call there is nothing to copy
    // it to (and the entry would check room for copies it does not hold).
    if tx.inlines() && !u.counting && sites > 0 {
        tx.quick = quick::quick_return(code, &a.states);
    }
    let entry = match &u.kind {
        UnitKind::Call(_) => vec![Range::ALL; u.proto.nslots as usize],
        UnitKind::Osr(r) => r.clone(),
    };
    tx.flow = crate::rangeflow::slot_ranges(u.proto, a, entry);
    tx.create_blocks();
    let open = tx.prologue()?;
    tx.body(open)?;
    tx.finish_exits();
    tx.b.seal_all_blocks();
    let sealed_early = std::mem::take(&mut tx.sealed_early);
    check_sealed_early(tx.b.func, &sealed_early)?;
    tx.b.finalize(u.target);
    Ok(())
}

/// Refuses the unit if a block sealed on entry gained a second predecessor
/// later: its variables would then read the first predecessor's values on
/// every path. The translator hands facts (and seals) only where the bytecode
/// has one entering edge, so this never fires; it keeps a mistake there from
/// becoming wrong results.
fn check_sealed_early(func: &cranelift_codegen::ir::Function, blocks: &[Block]) -> Result<(), Rejection> {
    if blocks.is_empty() {
        return Ok(());
    }
    let cfg = cranelift_codegen::flowgraph::ControlFlowGraph::with_function(func);
    for &blk in blocks {
        if cfg.pred_iter(blk).count() != 1 {
            return Err(Rejection::new(format!("internal: {blk} was sealed early but has other predecessors")));
        }
    }
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

    fn facts(&mut self) -> Option<&mut Facts> {
        Some(&mut self.facts)
    }

    fn edge(&mut self, pc: usize, to: Block, implied: Vec<(Value, Range)>) {
        if self.entering[pc] == 1 {
            self.facts.hand_to(to, &implied);
        }
    }

    fn entered_fresh(&mut self, blk: Block) {
        self.seal_early(blk);
    }
}

impl Tx<'_, '_> {
    /// The blocks of the current copy of the body.
    fn create_blocks(&mut self) {
        let a = self.u.analysis;
        for pc in 0..self.u.proto.code.len() {
            if self.leaders[pc] && a.states[pc].is_some() && self.emitted(pc) {
                let blk = self.b.create_block();
                self.blocks.insert((self.frame, pc), blk);
            }
        }
    }

    /// Emits the current copy of the body, block by block; `open` when the
    /// current block runs on into the body's entry (else the entry was jumped
    /// to already).
    fn body(&mut self, mut open: bool) -> Result<(), Rejection> {
        let (u, a) = (self.u, self.u.analysis);
        let code = &u.proto.code;
        for pc in 0..code.len() {
            let Some(st) = &a.states[pc] else {
                continue;
            };
            if let Some(slow) = self.not_emitted(pc) {
                if open {
                    self.b.ins().jump(slow, &[]);
                    open = false;
                }
                continue;
            }
            if let Some(&blk) = self.blocks.get(&(self.frame, pc)) {
                // A block entered only by the code before it falling through
                // is that code's block going on (`blk` stays unused): fewer
                // blocks compile faster.
                if !(open && self.entering[pc] == 1) {
                    if open {
                        self.b.ins().jump(blk, &[]);
                    }
                    self.b.switch_to_block(blk);
                    // Facts were left only by the one edge that enters the
                    // block, emitted already: its variables can be read there.
                    if self.facts.enter(blk) {
                        self.seal_early(blk);
                    }
                    self.note_flow(pc, st);
                }
                open = true;
                if u.stress {
                    let hit = crate::scalar::emit_stress_tick(&mut self.b, self.ctx);
                    self.guard(hit, bail::GUARD);
                }
                if u.counting {
                    let n = crate::scalar::block_len(code, &self.leaders, pc);
                    crate::scalar::emit_count(&mut self.b, &u.proto.jit.stats.native_insns as *const _ as i64, n);
                }
            }
            if !open {
                continue;
            }
            open = self.op(pc, code[pc], st)?;
        }
        if open {
            return Err(Rejection::new("code runs off the end"));
        }
        Ok(())
    }

    /// How many levels deep the unit's calls of itself are emitted as copies of
    /// its body (the deepest copies' own self-calls are real calls): as many as
    /// `INLINE_LEVELS` allows while all the copies fit `INLINE_BUDGET`. One
    /// level halves the calls a recursive function makes and runs its base
    /// cases without a call; two leave a third of them. Pure code has no side
    /// effects, so a bail-out inside a copy leaves the whole unit like a
    /// bail-out in a callee does. `sites`: the unit's self-calls.
    fn inline_levels(&self, sites: usize) -> u16 {
        if !self.inlines() {
            return 0;
        }
        inline_levels_within(self.u.proto.code.len(), sites)
    }

    /// Whether the unit's self-calls may run copies of its code: a call
    /// unit's, without captured values (a copy reads the captured values of
    /// the unit's closure, which need not be the callee's: a global may hold
    /// another closure of this function).
    fn inlines(&self) -> bool {
        matches!(self.u.kind, UnitKind::Call(_)) && self.u.proto.captures.is_empty()
    }

    /// How many levels of copies of its code a call unit holds, one inside
    /// the other: inlined bodies, and quick returns below the last of them.
    /// Each is a call towards the recursion limit, so the unit's entry
    /// checks that the limit leaves room for them all, and the copies check
    /// nothing. Where it does not, the unit bails out like one past the
    /// limit, and the VM makes those last calls itself.
    fn copy_levels(&self) -> u16 {
        self.inline_levels + u16::from(self.quick.is_some())
    }

    /// Whether the call at `pc` calls the unit itself.
    fn self_call(&self, pc: usize) -> bool {
        let (Some(st), Op::Call(n)) = (&self.u.analysis.states[pc], self.u.proto.code[pc]) else {
            return false;
        };
        let d = st.stack.len();
        let Some(Kind::Callee(c)) = d.checked_sub(n as usize + 1).map(|i| st.stack[i]) else {
            return false;
        };
        matches!(self.u.analysis.callees[c as usize].target, crate::analyze::Target::Itself)
    }

    /// A self-call as a copy of the body: the arguments bound to the copy's
    /// slots, and its returns joining at a block that continues after the
    /// call. The copy is a call towards the recursion limit, which the unit's
    /// entry checked for every level of copies (`copy_levels`).
    fn inline_self_call(&mut self, pc: usize, args: &[Value]) -> Result<(), Rejection> {
        let UnitKind::Call(kinds) = &self.u.kind else {
            return Err(Rejection::new("inlining outside a call unit"));
        };
        if self.u.counting {
            crate::scalar::emit_count(&mut self.b, &self.u.proto.jit.stats.native_calls as *const _ as i64, 1);
        }
        let cont = self.b.create_block();
        self.b.append_block_param(cont, self.ret_ty);
        let (outer_budget, outer_ret) = (self.callee_budget, self.ret_to);
        self.frame += 1;
        self.ret_to = Some(cont);
        self.callee_budget = self.b.ins().iadd_imm_s(outer_budget, -1);
        self.create_blocks();
        for (i, k) in kinds.clone().into_iter().enumerate() {
            self.set(Loc::Slot(i as u16), k, args[i]);
        }
        // What holds here holds after the copy returns: every path to `cont`
        // passes through this call.
        let known = self.facts.save();
        self.body(true)?;
        self.frame -= 1;
        self.ret_to = outer_ret;
        self.callee_budget = outer_budget;
        self.returned(pc, cont, known);
        Ok(())
    }

    /// Goes on after the call at `pc` emitted as a copy, whose returns, all
    /// emitted, jump to `cont` with the result; `known`: the facts that held
    /// at the call.
    fn returned(&mut self, pc: usize, cont: Block, known: Vec<(Value, Range)>) {
        self.b.switch_to_block(cont);
        self.b.seal_block(cont);
        self.facts.restore(known);
        let r = self.b.block_params(cont)[0];
        let st = self.u.analysis.states[pc].as_ref().expect("reachable call");
        let Op::Call(n) = self.u.proto.code[pc] else { unreachable!("a copy of a call") };
        let at = Loc::Stack((st.stack.len() - n as usize - 1) as u16);
        self.set(at, self.u.analysis.results[pc], r);
    }

    /// Notes what `rangeflow` found of the int slots before instruction `pc`
    /// (with kinds `st`), where a block starts. A block with several entering
    /// edges learns its loop-carried facts only here.
    fn note_flow(&mut self, pc: usize, st: &State) {
        let Some(at) = self.flow.as_ref().and_then(|f| f[pc].clone()) else { return };
        for (s, r) in at.into_iter().enumerate() {
            if r != Range::ALL && st.slots.get(s) == Some(&Kind::Int) {
                let v = self.get(Loc::Slot(s as u16), Kind::Int);
                self.facts.note(v, r);
            }
        }
    }

    /// Seals a block whose only predecessor is emitted already (reads of
    /// variables then go straight to it, and facts about its values apply).
    fn seal_early(&mut self, blk: Block) {
        self.b.seal_block(blk);
        self.sealed_early.push(blk);
    }

    fn var(&mut self, loc: Loc, ty: Type) -> Variable {
        if let Some(v) = self.vars.get(&(self.frame, loc, ty)) {
            return *v;
        }
        let v = self.b.declare_var(ty);
        self.vars.insert((self.frame, loc, ty), v);
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
        if k.unboxed() {
            let var = self.var(loc, cl_type(k));
            self.b.def_var(var, v);
        }
    }

    fn block(&self, pc: usize) -> Result<Block, Rejection> {
        if let Some(slow) = self.not_emitted(pc) {
            return Ok(slow);
        }
        self.blocks.get(&(self.frame, pc)).copied().ok_or_else(|| Rejection::new("jump into the middle of a block"))
    }

    /// The unit's entry block; returns whether it runs on into the body (else
    /// it jumped to the body's first block).
    fn prologue(&mut self) -> Result<bool, Rejection> {
        let a = self.u.analysis;
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params = self.b.block_params(entry).to_vec();
        self.ctx = params[0];
        if !self.u.proto.captures.is_empty() {
            let at = self.u.captures_at.ok_or_else(|| Rejection::new("captured values at an unknown place"))?;
            let closure = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::CLOSURE);
            let elems = self.b.ins().load(types::I64, flags(), closure, at);
            self.closure = Some((closure, elems));
        }
        match &self.u.kind {
            UnitKind::Call(kinds) => {
                let budget = params[1];
                let room = i64::from(self.copy_levels());
                let too_deep = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, budget, room);
                self.guard(too_deep, bail::DEPTH);
                let sp = self.b.ins().get_stack_pointer(types::I64);
                let floor = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::STACK_LIMIT);
                let low = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, floor);
                self.guard(low, bail::DEPTH);
                self.callee_budget = self.b.ins().iadd_imm_s(budget, -1);
                if self.u.counting {
                    crate::scalar::emit_count(&mut self.b, &self.u.proto.jit.stats.native_calls as *const _ as i64, 1);
                }
                for (i, k) in kinds.clone().into_iter().enumerate() {
                    self.set(Loc::Slot(i as u16), k, params[i + 2]);
                }
            }
            UnitKind::Osr(_) => {
                let first = self.block(a.entry)?;
                self.out = Some(params[2]);
                let slots = params[1];
                let st = a.states[a.entry].clone().expect("entry state");
                self.callee_budget = entry_budget(&mut self.b, self.ctx);
                let stale = self.bail_block(bail::GUARD);
                crate::wrapper::check_globals(&mut self.b, self.ctx, &self.u.guards, stale);
                let mismatch = self.b.create_block();
                self.b.set_cold_block(mismatch);
                // A slot no instruction of the unit reads is neither checked nor
                // loaded: its kind and value now do not matter (and a bail-out
                // leaves the VM's frame as it was).
                let read = crate::rangeflow::read_slots(&self.u.proto.code, a, st.slots.len());
                let entering = || st.slots.iter().enumerate().filter(|&(i, k)| k.scalar() && read[i]);
                let mut fails = crate::wrapper::AnyFails::default();
                for (i, k) in entering() {
                    fails.tag_differs(&mut self.b, slots, i as i32 * VALUE_SIZE as i32, tag_of(*k));
                }
                fails.branch(&mut self.b, mismatch);
                let mut outside = crate::wrapper::AnyFails::default();
                for (i, k) in entering() {
                    let off = i as i32 * VALUE_SIZE as i32;
                    if *k != Kind::Null {
                        let v = self.b.ins().load(cl_type(*k), flags(), slots, off + PAYLOAD_OFFSET as i32);
                        self.set(Loc::Slot(i as u16), *k, v);
                        if let Some(r) = self.assumed_on_entry(i) {
                            outside.outside(&mut self.b, v, r.lo, r.hi);
                        }
                    }
                }
                outside.branch(&mut self.b, mismatch);
                self.b.ins().jump(first, &[]);
                self.b.switch_to_block(mismatch);
                let one = self.b.ins().iconst(types::I32, 1);
                self.b.ins().return_(&[one]);
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The range an OSR unit's code assumes slot `s` in when it enters: the
    /// loop invariant `rangeflow` found from the entry's assumed range, which
    /// the entry then checks (`None`: nothing assumed).
    fn assumed_on_entry(&self, s: usize) -> Option<Range> {
        let UnitKind::Osr(assumed) = &self.u.kind else { return None };
        if *assumed.get(s)? == Range::ALL {
            return None;
        }
        let r = *self.flow.as_ref()?[self.u.analysis.entry].as_ref()?.get(s)?;
        (r != Range::ALL).then_some(r)
    }

    /// Continues in a new block when `cond` is false; bails out with `why` when true.
    fn guard(&mut self, cond: Value, why: u64) {
        let bail = self.bail_block(why);
        let ok = self.b.create_block();
        self.b.ins().brif(cond, bail, &[], ok, &[]);
        self.b.switch_to_block(ok);
        self.seal_early(ok);
    }

    /// The return sequence of an early exit (the bail reason is already set).
    fn leave_early(&mut self) {
        match self.u.kind {
            UnitKind::Call(_) => {
                let z = self.zero(self.ret_ty);
                let bailed = self.b.ins().iconst(types::I64, 1);
                self.b.ins().return_(&[z, bailed]);
            }
            UnitKind::Osr(_) => {
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
        if let Some(cont) = self.ret_to {
            let v = if k == Kind::Null { self.b.ins().iconst(types::I64, 0) } else { v };
            self.b.ins().jump(cont, &[v.into()]);
            return;
        }
        match self.u.kind {
            UnitKind::Call(_) => {
                let v = if k == Kind::Null { self.b.ins().iconst(types::I64, 0) } else { v };
                let ok = self.b.ins().iconst(types::I64, 0);
                self.b.ins().return_(&[v, ok]);
            }
            UnitKind::Osr(_) => {
                let out = self.out.expect("osr out");
                store_boxed(&mut self.b, out, k, v);
                let z = self.b.ins().iconst(types::I32, 0);
                self.b.ins().return_(&[z]);
            }
        }
    }

    /// Calls callee `c` with `args` (ctx, budget, arguments); returns its
    /// result and status.
    fn call(&mut self, c: usize, args: &[Value]) -> Result<(Value, Value), Rejection> {
        let callee = &self.u.analysis.callees[c];
        if callee.captures {
            // The closure the callee's code enters: the global's (checked
            // on entry), or for LOAD_SELF this unit's own.
            let closure = match (callee.closure, self.closure) {
                (0, Some((own, _))) => own,
                (0, None) => return Err(Rejection::new("calls itself without its closure")),
                (addr, _) => self.b.ins().iconst(types::I64, addr as i64),
            };
            self.b.ins().store(flags(), closure, self.ctx, JitCtx::CLOSURE);
        }
        let call = self.b.ins().call(self.u.callee_refs[c], args);
        Ok((self.b.inst_results(call)[0], self.b.inst_results(call)[1]))
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
            // A captured int, float or bool, checked to be of the kind analysed.
            // Another kind is another closure of the function (`make_adder(0.5)`
            // beside `make_adder(3)`): a failed guard like any other, so a
            // function whose closures keep holding other kinds is disabled
            // after `MAX_BAILS` of them, with the reason recorded. (Compiled
            // code calls such a function directly only for a closure holding
            // the kinds compiled for: `Signature::captures`.)
            Op::LoadCapture(i) => {
                let (_, elems) = self.closure.ok_or_else(|| Rejection::new("reads captured values"))?;
                let off = i as i32 * VALUE_SIZE as i32;
                let tag = self.b.ins().load(types::I8, flags(), elems, off + TAG_OFFSET as i32);
                let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(res) as i64);
                self.guard(other, bail::GUARD);
                let v = self.b.ins().load(cl_type(res), flags(), elems, off + PAYLOAD_OFFSET as i32);
                self.set(Loc::Stack(d as u16), res, v);
            }
            Op::Call(n) => {
                let n = n as usize;
                let Kind::Callee(c) = st.stack[d - n - 1] else { return Err(Rejection::new("call of a non-function")) };
                let mut args = vec![self.ctx, self.callee_budget];
                for i in 0..n {
                    let loc = Loc::Stack((d - n + i) as u16);
                    args.push(self.get(loc, st.stack[d - n + i]));
                }
                if self.frame < self.inline_levels && self.self_call(pc) {
                    self.inline_self_call(pc, &args[2..])?;
                    return Ok(true);
                }
                if self.quick.is_some() && self.self_call(pc) {
                    self.quick_self_call(pc, c as usize, &args[2..])?;
                    return Ok(true);
                }
                let (r, flag) = self.call(c as usize, &args)?;
                let prop = self.propagate_block();
                let next = self.block(pc + 1)?;
                self.set(Loc::Stack((d - n - 1) as u16), res, r);
                self.edge(pc + 1, next, Vec::new());
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

#[cfg(test)]
mod tests {
    use super::inline_levels_within;

    #[test]
    fn inlining_levels_fit_the_budget() {
        // fib-sized: 14 instructions, 2 self-calls: 1 + 2 + 4 copies = 98.
        assert_eq!(inline_levels_within(14, 2), 2);
        // 40 instructions, 2 self-calls: 7 copies would be 280, 3 are 120.
        assert_eq!(inline_levels_within(40, 2), 1);
        // tak-sized: 4 self-calls, 1 + 4 copies of 40 fit, 21 do not.
        assert_eq!(inline_levels_within(40, 4), 1);
        // One self-call: 3 copies of 80 fit exactly; of 81 only 2.
        assert_eq!(inline_levels_within(80, 1), 2);
        assert_eq!(inline_levels_within(81, 1), 1);
        // Too big for even one copy, or nothing to inline.
        assert_eq!(inline_levels_within(121, 1), 0);
        assert_eq!(inline_levels_within(10, 0), 0);
        assert_eq!(inline_levels_within(usize::MAX, usize::MAX), 0);
    }
}
