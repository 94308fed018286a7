//! CLIF for a framed unit, following its [`Plan`]. Scalars live in Cranelift
//! variables (one per location and type); every write to a slot is mirrored
//! into the VM frame, and a scalar on the operand stack reaches it before
//! anything may read it there (`lazy`), so an exit anywhere only has to say
//! where the VM resumes (`JitCtx::pc`, `JitCtx::sp`).

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, MemFlagsData, SigRef, StackSlot, Type, Value};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, Variable};
use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::{Const, Op, Proto};
use ruff_core::runtime::builtins::Builtin;
use ruff_core::runtime::tier::{bail, status, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_NULL, TAG_OFFSET};
use ruff_core::runtime::vm::jit_helpers::{
    CallCache, LiteralCache, MethodCache, PlainTypeCache, PromotedFields, STEP_RAISED,
};
use rustc_hash::FxHashMap;

mod direct;
mod fields;
mod frameless;
mod globals;
mod inline;
mod lazy;
mod literals;
mod methods;
mod nulls;
mod promote;
mod recorded;
mod shortcuts;

pub use direct::{callee_from, kinds_fit, CalleeFrom, DirectCall, DirectCalls};
pub use methods::CALLEE_ROOM;

use super::plan::{How, Plan};
use super::{arrays, heap};
use crate::analyze::{Kind, State};
use crate::scalar::{cmp_of, flags, Loc, Scalar};
use crate::translate::{cl_type, tag_of};
use ruff_core::runtime::heap_layout::{FieldCache, HeapLayout};
use ruff_core::runtime::vm::frame_layout::VmLayout;

const VALUE_SIZE: i64 = 16;

/// The helpers a framed unit calls (see `ruff_core::runtime::vm::jit_helpers`).
#[derive(Clone, Copy)]
pub struct Helpers {
    pub step: FuncRef,
    pub clone: FuncRef,
    pub drop: FuncRef,
    pub store: FuncRef,
    pub index: FuncRef,
    pub set_index: FuncRef,
    pub field: FuncRef,
    pub push_update: FuncRef,
    pub capture: FuncRef,
    pub call: FuncRef,
    pub call_method: FuncRef,
    pub make_struct: FuncRef,
    pub add_local: FuncRef,
    pub store_capture: FuncRef,
    pub method_bailed: FuncRef,
    pub plain_struct: FuncRef,
    pub call_bailed: FuncRef,
    pub match_enum: FuncRef,
    pub try_begin: FuncRef,
    pub try_end: FuncRef,
    pub call_builtin: FuncRef,
    pub join: FuncRef,
    pub call_left: FuncRef,
    pub call_done: FuncRef,
    pub method_left: FuncRef,
    pub set_field: FuncRef,
    pub promote: FuncRef,
    pub inline_bailed: FuncRef,
    pub fmod: FuncRef,
}

/// The caches a unit's code refers to by address (the engine keeps them alive
/// as long as the code).
#[derive(Default)]
pub struct Caches {
    #[allow(clippy::vec_box, reason = "compiled code holds each cache's address")]
    pub fields: Vec<Box<FieldCache>>,
    #[allow(clippy::vec_box, reason = "compiled code holds each cache's address")]
    pub methods: Vec<Box<MethodCache>>,
    #[allow(clippy::vec_box, reason = "compiled code holds each cache's address")]
    pub plain_types: Vec<Box<PlainTypeCache>>,
    #[allow(clippy::vec_box, reason = "compiled code holds each cache's address")]
    pub calls: Vec<Box<CallCache>>,
    #[allow(clippy::vec_box, reason = "compiled code holds each cache's address")]
    pub literals: Vec<Box<LiteralCache>>,
    #[allow(clippy::vec_box, reason = "compiled code holds each list's address")]
    pub promoted: Vec<Box<PromotedFields>>,
}

impl Caches {
    /// Takes over `other`'s caches (an inlined method's, `inline`).
    fn absorb(&mut self, other: Caches) {
        self.fields.extend(other.fields);
        self.methods.extend(other.methods);
        self.plain_types.extend(other.plain_types);
        self.calls.extend(other.calls);
        self.literals.extend(other.literals);
        self.promoted.extend(other.promoted);
    }
}

/// Everything the emitter needs besides the builder.
pub struct FramedUnit<'a> {
    pub proto: &'a Proto,
    pub plan: &'a Plan,
    /// Parameters checked at a call entry (`None`: an OSR entry, every slot checked).
    pub params: Option<usize>,
    pub helpers: Helpers,
    pub counting: bool,
    /// Deopt stress: a bail-out after every this many basic blocks (0: off).
    pub stress: u64,
    pub target: TargetFrontendConfig,
    /// Heap field offsets for inline copies, releases and array indexing
    /// (`None`: helpers only).
    pub layout: Option<HeapLayout>,
    /// Where the VM keeps its frame records and its stack's length and
    /// capacity, for calls of framed code that push the record themselves
    /// (`None`: by the call helper).
    pub vm_layout: Option<VmLayout>,
    /// Calls made straight into pure code, by instruction.
    pub direct: DirectCalls,
    /// Calls (CALL, CALL_UPDATE) whose callee, when the unit was compiled,
    /// was a global holding a builtin: a CALL calls the builtin by
    /// `ruff_jit_call_builtin`, a CALL_UPDATE is a step with the in-place
    /// append, and neither has code for Ruff functions (a callee rebound to
    /// one since is still called, by the step).
    pub builtin_calls: HashMap<usize, &'static Builtin>,
    /// How each CALL runs a Ruff function's framed code at the call site
    /// itself ([`CallPath::Either`] where absent).
    pub call_paths: HashMap<usize, CallPath>,
    /// The operand stack room the VM keeps for the unit: the plan's, and
    /// [`CALLEE_ROOM`] more when it calls methods or functions.
    pub stack_need: u32,
    /// What the entry's slots hold now (a call entry's arguments, every slot
    /// of an OSR entry).
    pub values: &'a [ruff_core::runtime::value::Value],
}

/// The code a CALL of a Ruff function gets for running the callee's framed
/// code itself. Each way costs compile time, so a call of the function itself,
/// or of one that has native code when the unit is compiled, gets only what
/// that callee can use, and any other call both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallPath {
    /// Frameless code, run without a frame record (`frameless`).
    Frameless,
    /// Other framed code, run after pushing its frame record (`recorded`).
    Recorded,
    /// Neither: the callee has pure code (called directly, `direct`).
    Helper,
    /// The callee is not known: the frameless way, then the other.
    Either,
}

/// What [`emit`] made besides the code.
pub struct Emitted {
    /// The caches the code refers to, which must live as long as the code.
    pub caches: Caches,
    /// A call entry that never consults the VM's frame record
    /// (`NativeCode::frameless`).
    pub frameless: bool,
    /// The locals whose struct fields live in variables in a loop (`promote`).
    pub promoted: u32,
    /// The method calls run in line (`inline`).
    pub inlined: u32,
}

struct Fx<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    u: &'a FramedUnit<'a>,
    vars: FxHashMap<(Loc, Type), Variable>,
    blocks: FxHashMap<usize, Block>,
    ctx: Value,
    out: Value,
    base: Variable,
    /// The exits by instruction, depth, reason, and whether they leave the
    /// promoted loop (writing its fields back first: `promote`).
    exits: FxHashMap<(usize, usize, u64, bool), Block>,
    /// The block that returns `RAISED`, and the one that writes the promoted
    /// fields back first.
    raised: [Option<Block>; 2],
    /// The caches the code refers to (the engine keeps them alive).
    caches: Caches,
    /// The instruction being emitted and its operand stack depth (where an
    /// operation that would raise leaves to the VM).
    at: (usize, usize),
    /// One instruction is being emitted on its own (not a fused sequence), so
    /// the plan's state at `at` is the frame's state before it.
    single: bool,
    /// Operand stack positions whose scalar is in its variable but not yet in
    /// the frame, with its kind (`lazy`).
    lazy: Vec<(u16, Kind)>,
    /// The instruction being emitted may leave the scalars it pushes pending.
    deferring: bool,
    /// An instruction and an operand stack position that holds, pending in its
    /// variable, an int the plan does not know of (it says `Top`): an array
    /// element read for that instruction's int arithmetic (`int_element`).
    known_int: Option<(usize, u16)>,
    /// For a function with captured variables, when the heap layout says where
    /// a closure keeps them: the element pointer of the running closure's
    /// captured values (`JitCtx::closure`, read in the prologue). They stay at
    /// that address while the frame runs: nothing adds or removes captured
    /// values once a closure is made, and STORE_CAPTURE rebinds one in place.
    captures: Option<Value>,
    /// The instructions being emitted are the way out of `local_append`'s
    /// inline append, which failed: CALL_UPDATE's own inline append would
    /// fail on the same state, so it goes straight to the helper.
    append_failed: bool,
    /// Where the frameless methods and functions called write their results,
    /// and the signature they are called with (`methods`, `frameless`), made
    /// once per unit.
    method_call: Option<(StackSlot, SigRef)>,
    /// The code calls a helper that consults the VM's frame record (a step,
    /// a call, a captured variable) or may raise: it is not frameless.
    uses_frame: bool,
    /// The loop whose locals' fields live in variables (`promote`).
    promo: Option<promote::Promotion>,
    /// The instruction being emitted lies in that loop.
    promo_on: bool,
    /// The constant strings pending (`lazy`) at operand stack positions:
    /// names of promoted field assignments (`promote`), as `Rc` pointers.
    names: FxHashMap<u16, i64>,
    /// For a method run in line by its caller's code: where its code goes
    /// instead of returning (`inline`).
    tail: Option<inline::Tail>,
    /// The method calls this unit's code runs in line.
    inlined: u32,
    /// An inlined method's translation failed after it had begun (`inline`;
    /// not expected: it was tried first), so the unit's code is unusable.
    broken: Option<Rejection>,
    /// The method calls run in line, by instruction (`inline`).
    sites: FxHashMap<usize, inline::Site>,
    /// The `LOAD_LOCAL`s whose values those calls borrow.
    borrowed: rustc_hash::FxHashSet<usize>,
    /// Those emitted so far.
    borrowed_pushes: usize,
}

/// Translates the unit into `b` (which has the `NativeEntry` signature).
pub fn emit(b: FunctionBuilder<'_>, u: &FramedUnit<'_>) -> Result<Emitted, Rejection> {
    let mut b = b;
    let mut fx = Fx::new(&mut b, u, None);
    fx.body()?;
    fx.b.seal_all_blocks();
    let promoted = fx.promoted_locals();
    let frameless = u.params.is_some() && !fx.uses_frame;
    let (caches, inlined) = (std::mem::take(&mut fx.caches), fx.inlined);
    b.finalize(u.target);
    Ok(Emitted { caches, frameless, promoted, inlined })
}

impl<'a, 'b> Fx<'a, 'b> {
    /// A translator of unit `u` into `b`; with `tail`, of a method run in line
    /// by its caller's code (`inline`).
    fn new(b: &'a mut FunctionBuilder<'b>, u: &'a FramedUnit<'a>, tail: Option<inline::Tail>) -> Self {
        let base = b.declare_var(types::I64);
        Fx {
            b,
            u,
            vars: FxHashMap::default(),
            blocks: FxHashMap::default(),
            ctx: Value::from_u32(0),
            out: Value::from_u32(0),
            base,
            exits: FxHashMap::default(),
            raised: [None; 2],
            caches: Caches::default(),
            at: (0, 0),
            single: false,
            lazy: Vec::new(),
            deferring: false,
            known_int: None,
            captures: None,
            append_failed: false,
            method_call: None,
            uses_frame: !u.proto.captures.is_empty(),
            promo: None,
            promo_on: false,
            names: FxHashMap::default(),
            tail,
            inlined: 0,
            broken: None,
            sites: FxHashMap::default(),
            borrowed: rustc_hash::FxHashSet::default(),
            borrowed_pushes: 0,
        }
    }

    /// Emits the unit's code: its prologue, every instruction the plan
    /// reaches, and its exits.
    fn body(&mut self) -> Result<(), Rejection> {
        let u = self.u;
        let plan = u.plan;
        let code = &u.proto.code;
        let leaders = crate::scalar::leaders(code, &plan.states, plan.entry, |pc, op| {
            plan.how[pc] == How::Exit || matches!(op, Op::Return | Op::Throw | Op::Raise(_))
        });
        let joins = lazy::joins(code, plan);
        for (pc, leader) in leaders.iter().enumerate().take(code.len()) {
            if *leader && plan.states[pc].is_some() {
                let blk = self.b.create_block();
                self.blocks.insert(pc, blk);
            }
        }
        // The value a local has now is known for an OSR entry at the loop and
        // for a parameter: one the helper would refuse is not promoted.
        let fits = |c: &promote::Candidate| {
            c.locals.iter().all(|(slot, names)| {
                let known = match u.params {
                    None => c.header == plan.entry,
                    Some(n) => (*slot as usize) < n,
                };
                let now = u.values.get(*slot as usize).filter(|_| known);
                now.is_none_or(|v| ruff_core::runtime::vm::jit_helpers::promotable(v, names))
            })
        };
        if self.tail.is_none() {
            if let Some(c) = promote::find(u.proto, plan, &leaders, fits) {
                self.promote(c);
            }
            if u.layout.is_some() {
                self.plan_inlining(&leaders);
            }
        }
        self.prologue()?;
        let mut open = false;
        // The first instruction not yet emitted (a fused sequence emits several).
        let mut resume = 0;
        for (pc, &op) in code.iter().enumerate() {
            if pc < resume {
                continue;
            }
            let Some(st) = &plan.states[pc] else { continue };
            self.at = (pc, st.stack.len());
            // Positions at or above the depth are dead here.
            self.lazy.retain(|e| (e.0 as usize) < st.stack.len());
            self.promo_on = self.promoted_at(pc);
            if let Some(&blk) = self.blocks.get(&pc) {
                if open && joins[pc] {
                    self.flush_below(usize::MAX);
                }
                let pre = self.preheader_of(pc);
                if open {
                    self.b.ins().jump(pre.unwrap_or(blk), &[]);
                } else {
                    // Entered by branches only, each of which wrote what the
                    // block needs.
                    self.lazy.clear();
                }
                if pre.is_some() {
                    self.promo_on = false;
                    self.emit_preheader(st.stack.len(), blk);
                    self.promo_on = true;
                }
                self.b.switch_to_block(blk);
                open = true;
                if plan.how[pc] != How::Exit {
                    self.block_start(pc, &leaders);
                }
            }
            if !open {
                continue;
            }
            let promoted = if self.promo_on {
                self.promoted_read(pc, st).or_else(|| self.promoted_set(pc, st)).or_else(|| self.pending_name(pc, st))
            } else {
                None
            };
            if let Some(n) = promoted {
                resume = pc + n;
                continue;
            }
            let shortcut = match self.local_append(pc, st, &leaders)? {
                Some(n) => Some(n),
                None => match self.literal_into_local(pc, st, &leaders)? {
                    Some(n) => Some(n),
                    None => self.local_element(pc, st, &leaders).or_else(|| self.local_field(pc, st, &leaders)),
                },
            };
            if let Some(n) = shortcut {
                resume = pc + n;
                continue;
            }
            self.deferring = lazy::scalar_only(u.proto, op, plan.how[pc], st);
            if !self.deferring && !lazy::kept_past_fast_path(op, plan.how[pc]) {
                self.flush_below(usize::MAX);
            } else if let Some(t) = op.target() {
                // What the instructions a branch goes to need, written before it
                // (a branch may reach the next instruction alone, such as
                // JUMP_IF_NOT_NULL on a null).
                let at_target = lazy::depth_at(plan, t as usize);
                let falls = !matches!(op, Op::Jump(_) | Op::Loop(_));
                let after = lazy::depth_at(plan, pc + 1).filter(|_| falls);
                self.flush_below(at_target.into_iter().chain(after).max().unwrap_or(usize::MAX));
            }
            self.single = true;
            open = self.op(pc, op, st)?;
            self.single = false;
            self.deferring = false;
            if let Some(r) = self.broken.take() {
                return Err(r);
            }
        }
        if open {
            return Err(Rejection::new("code runs off the end"));
        }
        self.inlining_done()?;
        self.finish_leaves();
        self.finish_exits();
        Ok(())
    }
}

impl<'b> Scalar<'b> for Fx<'_, 'b> {
    fn fb(&mut self) -> &mut FunctionBuilder<'b> {
        self.b
    }

    fn error_if(&mut self, cond: Value) {
        let (pc, d) = self.at;
        self.exit_if(cond, pc, d, bail::ERROR);
    }

    fn get(&mut self, loc: Loc, k: Kind) -> Value {
        Fx::get(self, loc, k)
    }

    fn set(&mut self, loc: Loc, k: Kind, v: Value) {
        Fx::set(self, loc, k, v)
    }

    fn block(&self, pc: usize) -> Result<Block, Rejection> {
        Fx::block(self, pc)
    }

    fn fmod_ref(&self) -> FuncRef {
        self.u.helpers.fmod
    }
}

impl Fx<'_, '_> {
    fn block(&self, pc: usize) -> Result<Block, Rejection> {
        let blk = self.blocks.get(&pc).copied().ok_or_else(|| Rejection::new("jump into the middle of a block"))?;
        Ok(self.promoted_target(pc, blk))
    }

    fn var(&mut self, loc: Loc, ty: Type) -> Variable {
        if let Some(v) = self.vars.get(&(loc, ty)) {
            return *v;
        }
        let v = self.b.declare_var(ty);
        self.vars.insert((loc, ty), v);
        v
    }

    fn index(&self, loc: Loc) -> i64 {
        match loc {
            Loc::Slot(s) => s as i64,
            Loc::Stack(i) => self.u.proto.nslots as i64 + i as i64,
        }
    }

    /// The address of global `g`'s value. Steps may define globals and move
    /// the vector: `ruff_jit_step` keeps `ctx.globals` current.
    fn global_addr(&mut self, g: u32) -> Value {
        let globals = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::GLOBALS);
        self.b.ins().iadd_imm_s(globals, g as i64 * VALUE_SIZE)
    }

    /// Moves the value at `from` (a dead operand stack position) over the one at
    /// `to`, releasing that first.
    fn move_value(&mut self, to: Value, from: Value) {
        if self.u.layout.is_some() {
            self.release(to);
            for off in [TAG_OFFSET as i32, PAYLOAD_OFFSET as i32] {
                let ty = if off == 0 { types::I8 } else { types::I64 };
                let w = self.b.ins().load(ty, flags(), from, off);
                self.b.ins().store(flags(), w, to, off);
            }
        } else {
            self.call(self.u.helpers.store, &[to, from]);
        }
    }

    /// The address of a location in the VM frame.
    fn addr(&mut self, loc: Loc) -> Value {
        let base = self.b.use_var(self.base);
        let off = self.index(loc) * VALUE_SIZE;
        self.b.ins().iadd_imm_s(base, off)
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

    /// Sets a scalar location: the variable, and the value in the frame (for an
    /// operand stack position, possibly later: `lazy`).
    fn set(&mut self, loc: Loc, k: Kind, v: Value) {
        if k.unboxed() {
            let var = self.var(loc, cl_type(k));
            self.b.def_var(var, v);
        }
        if let Loc::Stack(i) = loc {
            if self.defer(i, k) {
                return;
            }
        }
        self.store_scalar(loc, k, v);
    }

    /// Records that operand stack position `i` holds the int `v` for
    /// instruction `pc`, which reads it as an int operand (`number_at`) though
    /// the plan gives the position no kind: pending in its variable, written to
    /// the frame only by an exit or a flush, like a deferred scalar (`lazy`).
    /// The caller has checked that it is an int, leaving to the VM at `pc`
    /// otherwise, which is where that instruction's own check would leave.
    fn int_element(&mut self, pc: usize, i: u16, v: Value) {
        let var = self.var(Loc::Stack(i), types::I64);
        self.b.def_var(var, v);
        self.lazy.retain(|e| e.0 != i);
        self.lazy.push((i, Kind::Int));
        self.known_int = Some((pc, i));
    }

    /// Writes scalar `v` of kind `k` into the frame at `loc`.
    fn store_scalar(&mut self, loc: Loc, k: Kind, v: Value) {
        let a = self.addr(loc);
        if !self.tag_in_frame(loc, k) {
            let tag = self.b.ins().iconst(types::I8, tag_of(k) as i64);
            self.b.ins().store(flags(), tag, a, TAG_OFFSET as i32);
        }
        if k != Kind::Null {
            self.b.ins().store(flags(), v, a, PAYLOAD_OFFSET as i32);
        }
    }

    /// Whether the frame already holds a value of scalar kind `k` at `loc`, so
    /// that only its payload changes: a slot the plan gives kind `k` before the
    /// instruction being emitted on its own. (Every write of a scalar to a slot
    /// goes to the frame, and a step leaves what it writes heap-kinded, so the
    /// frame's tag is the plan's kind.) The counter of a `for` loop and an
    /// accumulator of one kind save a store per iteration.
    fn tag_in_frame(&self, loc: Loc, k: Kind) -> bool {
        let Loc::Slot(s) = loc else { return false };
        self.single && k.unboxed() && self.u.plan.states[self.at.0].as_ref().is_some_and(|st| st.slots[s as usize] == k)
    }

    /// A number of kind `want` (int or float) at a location of kind `k`: from
    /// its variable (an int converted when a float is wanted), or checked in
    /// the frame when the location holds a heap-kinded value (leaving to the VM
    /// when it is not of that kind).
    fn number_at(&mut self, loc: Loc, k: Kind, want: Kind) -> Value {
        if k == want {
            return self.get(loc, k);
        }
        if k == Kind::Int && want == Kind::Float {
            let v = self.get(loc, k);
            return self.b.ins().fcvt_from_sint(types::F64, v);
        }
        if want == Kind::Int && self.known_int.is_some_and(|(pc, i)| pc == self.at.0 && loc == Loc::Stack(i)) {
            return self.get(loc, Kind::Int);
        }
        self.flush_loc(loc);
        let a = self.addr(loc);
        let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
        let bad = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(want) as i64);
        let (pc, d) = self.at;
        self.exit_if(bad, pc, d, bail::GUARD);
        let a = self.addr(loc);
        self.b.ins().load(cl_type(want), flags(), a, PAYLOAD_OFFSET as i32)
    }

    /// The two operands of an operation speculated on `want` operands. For
    /// floats, the VM's feedback only says that the operands were numbers and
    /// not both ints: a heap-kinded operand may hold an int (converted) unless
    /// the other is known to be an int, and when both are heap-kinded, at least
    /// one must hold a float (two ints keep the VM's int arithmetic).
    fn number_pair(&mut self, a: (Loc, Kind), b: (Loc, Kind), want: Kind) -> (Value, Value) {
        if want != Kind::Float || (a.1 != Kind::Top && b.1 != Kind::Top) {
            return (self.number_at(a.0, a.1, want), self.number_at(b.0, b.1, want));
        }
        let loose = |x: (Loc, Kind), other: Kind| x.1 == Kind::Top && other != Kind::Int;
        let (la, lb) = (loose(a, b.1), loose(b, a.1));
        let (va, fa) = if la { self.int_or_float_at(a.0) } else { (self.number_at(a.0, a.1, want), None) };
        let (vb, fb) = if lb { self.int_or_float_at(b.0) } else { (self.number_at(b.0, b.1, want), None) };
        if let (Some(fa), Some(fb)) = (fa, fb) {
            let any = self.b.ins().bor(fa, fb);
            let both_ints = self.b.ins().icmp_imm_s(IntCC::Equal, any, 0);
            let (pc, d) = self.at;
            self.exit_if(both_ints, pc, d, bail::GUARD);
        }
        (va, vb)
    }

    /// A heap-kinded number as a float (an int converted), and whether it was a
    /// float; anything else leaves to the VM.
    fn int_or_float_at(&mut self, loc: Loc) -> (Value, Option<Value>) {
        self.flush_loc(loc);
        let a = self.addr(loc);
        let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
        let is_float = self.b.ins().icmp_imm_s(IntCC::Equal, tag, tag_of(Kind::Float) as i64);
        let is_int = self.b.ins().icmp_imm_s(IntCC::Equal, tag, tag_of(Kind::Int) as i64);
        let number = self.b.ins().bor(is_float, is_int);
        let bad = self.b.ins().icmp_imm_s(IntCC::Equal, number, 0);
        let (pc, d) = self.at;
        self.exit_if(bad, pc, d, bail::GUARD);
        let a = self.addr(loc);
        let f = self.b.ins().load(types::F64, flags(), a, PAYLOAD_OFFSET as i32);
        let i = self.b.ins().load(types::I64, flags(), a, PAYLOAD_OFFSET as i32);
        let converted = self.b.ins().fcvt_from_sint(types::F64, i);
        (self.b.ins().select(is_float, f, converted), Some(is_float))
    }

    fn call(&mut self, f: FuncRef, args: &[Value]) -> Option<Value> {
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

    fn block_start(&mut self, pc: usize, leaders: &[bool]) {
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

    fn prologue(&mut self) -> Result<(), Rejection> {
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
    fn exit(&mut self, pc: usize, depth: usize, why: u64) -> Block {
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
    fn exit_if(&mut self, cond: Value, pc: usize, depth: usize, why: u64) {
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
    fn leave(&mut self, pc: usize, depth: usize) {
        let pending = self.pending_below(depth);
        self.write_pending(&pending);
        let exit = self.exit(pc, depth, bail::GUARD);
        self.b.ins().jump(exit, &[]);
    }

    /// Notes `OTHER` in the feedback of instruction `pc`, so that the code
    /// compiled next does not speculate there (a field read, a promoted loop's
    /// back-edge: `promote`).
    fn note_other(&mut self, pc: usize) {
        let cell = self.b.ins().iconst(types::I64, &self.u.proto.feedback[pc] as *const _ as i64);
        let seen = self.b.ins().load(types::I8, flags(), cell, 0);
        let seen = self.b.ins().bor_imm_s(seen, feedback::OTHER as i64);
        self.b.ins().store(flags(), seen, cell, 0);
    }

    fn raised_block(&mut self) -> Block {
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

    fn finish_exits(&mut self) {
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
    fn reload_base(&mut self) {
        let base = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::BASE);
        self.b.def_var(self.base, base);
    }

    /// Runs instruction `pc` in the VM; returns the next instruction's index.
    /// A method call is the same step with the instruction's method cache,
    /// after a fast path that runs a frameless method's code itself
    /// (`methods`).
    fn step(&mut self, pc: usize, depth: usize) -> Value {
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
    fn step_args(&mut self, pc: usize, depth: usize) -> Vec<Value> {
        let nslots = self.u.proto.nslots as i64;
        vec![
            self.ctx,
            self.b.ins().iconst(types::I32, pc as i64),
            self.b.ins().iconst(types::I32, nslots + depth as i64),
            self.b.ins().iconst(types::I32, nslots + self.u.stack_need as i64),
        ]
    }

    /// Emits one instruction; returns whether control falls through.
    fn op(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        let d = st.stack.len();
        match self.u.plan.how[pc] {
            How::Exit => {
                let e = self.exit(pc, d, bail::NONE);
                self.b.ins().jump(e, &[]);
                Ok(false)
            }
            How::Step => self.stepped(pc, op, st),
            How::GuardInt => self.guarded(pc, op, st, Kind::Int),
            How::GuardFloat => self.guarded(pc, op, st, Kind::Float),
            How::Native => self.native(pc, op, st),
        }
    }

    fn stepped(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        let d = st.stack.len();
        let done = self.before_step(pc, op, st)?;
        let next = self.step(pc, d);
        if let Some(done) = done {
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(done);
            return Ok(true);
        }
        if matches!(op, Op::Throw | Op::Raise(_)) {
            // The VM always raises here.
            let rb = self.raised_block();
            self.b.ins().jump(rb, &[]);
            return Ok(false);
        }
        // `TryBegin`'s target is reached by unwinding, in the VM.
        if let Some(t) = op.target().filter(|_| !matches!(op, Op::TryBegin(_))) {
            let taken = self.b.ins().icmp_imm_s(IntCC::Equal, next, t as i64);
            let (tb, fb) = (self.block(t as usize)?, self.block(pc + 1)?);
            self.b.ins().brif(taken, tb, &[], fb, &[]);
            return Ok(false);
        }
        Ok(true)
    }

    /// An operation speculated on `want` (int or float) operands.
    fn guarded(&mut self, pc: usize, op: Op, st: &State, want: Kind) -> Result<bool, Rejection> {
        let d = st.stack.len();
        let top = |i: usize| Loc::Stack((d - i) as u16);
        let kt = |i: usize| st.stack[d - i];
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                let (a, b) = self.number_pair((top(2), kt(2)), (top(1), kt(1)), want);
                let (v, k) = self.arith(op, a, want, b, want);
                self.set(top(2), k, v);
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let (a, b) = self.number_pair((top(2), kt(2)), (top(1), kt(1)), want);
                let v = self.compare(cmp_of(op), a, want, b, want);
                self.set(top(2), Kind::Bool, v);
            }
            Op::AddLocal(s) => {
                let (a, b) = self.number_pair((Loc::Slot(s), st.slots[s as usize]), (top(1), kt(1)), want);
                let (v, k) = self.arith(Op::Add, a, want, b, want);
                self.set(Loc::Slot(s), k, v);
            }
            Op::JumpIfNot(cmp, t) => {
                let (a, b) = self.number_pair((top(2), kt(2)), (top(1), kt(1)), want);
                let c = self.compare(cmp, a, want, b, want);
                let (target, next) = (self.block(t as usize)?, self.block(pc + 1)?);
                let leave = crate::scalar::negate(self.b, c);
                crate::scalar::branch_in_line(self.b, leave, target, next);
                return Ok(false);
            }
            Op::Field(k) | Op::KeyOrNull(k) => self.guarded_field(pc, op, k, d, want)?,
            _ if want == Kind::Float => return Err(Rejection::new(format!("no float speculation for {}", op.name()))),
            Op::IncLocal(s, k) | Op::LocalAddInt(s, k) | Op::LocalSubInt(s, k) => {
                let a = self.number_at(Loc::Slot(s), st.slots[s as usize], Kind::Int);
                let b = self.b.ins().iconst(types::I64, k as i64);
                let which = if matches!(op, Op::LocalSubInt(..)) { Op::Sub } else { Op::Add };
                let (v, rk) = self.arith(which, a, Kind::Int, b, Kind::Int);
                let to = if matches!(op, Op::IncLocal(..)) { Loc::Slot(s) } else { Loc::Stack(d as u16) };
                self.set(to, rk, v);
            }
            Op::IterPrepare => {
                // A negative count iterates zero times, as in the VM.
                let n = self.number_at(top(1), kt(1), Kind::Int);
                let zero = self.b.ins().iconst(types::I64, 0);
                let v = self.b.ins().smax(n, zero);
                self.set(top(1), Kind::Int, v);
            }
            other => return Err(Rejection::new(format!("no int speculation for {}", other.name()))),
        }
        Ok(true)
    }

    fn native(&mut self, pc: usize, op: Op, st: &State) -> Result<bool, Rejection> {
        let d = st.stack.len();
        if d >= 2 && super::plan::is_null_compare(op, st.stack[d - 2], st.stack[d - 1]) {
            return self.null_compare(pc, op, st);
        }
        if matches!(op, Op::ToBool) && st.stack.last() == Some(&Kind::Top) {
            self.heap_to_bool(pc, d);
            return Ok(true);
        }
        if let Some(falls) = self.scalar_op(pc, op, st)? {
            return Ok(falls);
        }
        let top = |i: usize| Loc::Stack((d - i) as u16);
        let kt = |i: usize| st.stack[d - i];
        let push = Loc::Stack(d as u16);
        match op {
            Op::Const(k) => match &self.u.proto.consts[k as usize] {
                Const::Int(i) => {
                    let v = self.b.ins().iconst(types::I64, *i);
                    self.set(push, Kind::Int, v);
                }
                Const::Float(f) => {
                    let v = self.b.ins().f64const(*f);
                    self.set(push, Kind::Float, v);
                }
                Const::Str(text) => match self.u.layout {
                    Some(l) => {
                        // The proto keeps the constant (and so this address) alive
                        // for as long as its code exists.
                        let rc = heap::payload_bits(&ruff_core::runtime::value::Value::Str(text.clone()));
                        let dst = self.addr(push);
                        heap::new_string_ref(self.b, l, dst, rc);
                    }
                    None => {
                        self.step(pc, d);
                    }
                },
                _ => return Err(Rejection::new("heap constant planned as native")),
            },
            Op::Int(i) => {
                let v = self.b.ins().iconst(types::I64, i as i64);
                self.set(push, Kind::Int, v);
            }
            Op::Null => {
                let z = self.b.ins().iconst(types::I64, 0);
                self.set(push, Kind::Null, z);
            }
            Op::True | Op::False => {
                let v = self.b.ins().iconst(types::I8, matches!(op, Op::True) as i64);
                self.set(push, Kind::Bool, v);
            }
            Op::Pop => {
                if kt(1) == Kind::Top {
                    let a = self.addr(top(1));
                    self.release(a);
                }
            }
            Op::Dup => self.copy(top(1), kt(1), push),
            Op::LoadLocal(s) if self.borrowed.contains(&pc) => {
                // Borrowed by the method call run in line after it (`inline`).
                self.borrowed_pushes += 1;
                let (dst, src) = (self.addr(push), self.addr(Loc::Slot(s)));
                for (ty, off) in [(types::I8, TAG_OFFSET as i32), (types::I64, PAYLOAD_OFFSET as i32)] {
                    let w = self.b.ins().load(ty, flags(), src, off);
                    self.b.ins().store(flags(), w, dst, off);
                }
            }
            Op::LoadLocal(s) => self.copy(Loc::Slot(s), st.slots[s as usize], push),
            Op::StoreLocal(s) => {
                let slot = Loc::Slot(s);
                if kt(1) == Kind::Top {
                    let (to, from) = (self.addr(slot), self.addr(top(1)));
                    self.move_value(to, from);
                } else {
                    if st.slots[s as usize] == Kind::Top && !self.u.plan.plain[s as usize] {
                        let a = self.addr(slot);
                        self.release(a);
                    }
                    let v = self.get(top(1), kt(1));
                    self.set(slot, kt(1), v);
                }
            }
            Op::Return => {
                // The VM drops the operands below the result with the frame.
                self.flush_below(d - 1);
                if self.promo_on {
                    self.write_back();
                }
                let (tag, payload) = match kt(1) {
                    k @ (Kind::Int | Kind::Float | Kind::Bool) => {
                        let v = self.get(top(1), k);
                        let bits = match k {
                            Kind::Int => v,
                            Kind::Float => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
                            _ => self.b.ins().uextend(types::I64, v),
                        };
                        (self.b.ins().iconst(types::I8, tag_of(k) as i64), bits)
                    }
                    _ => {
                        // The tag is read as the byte native code may just have
                        // stored (a wider load of it would miss forwarding).
                        self.flush_loc(top(1));
                        let from = self.addr(top(1));
                        let tag = self.b.ins().load(types::I8, flags(), from, TAG_OFFSET as i32);
                        (tag, self.b.ins().load(types::I64, flags(), from, PAYLOAD_OFFSET as i32))
                    }
                };
                if let Some(t) = self.tail {
                    self.inline_return(st, t.done, tag, payload);
                    return Ok(false);
                }
                crate::scalar::store_result(self.b, self.out, tag, payload);
                let sp = self.b.ins().iconst(types::I64, d as i64 - 1);
                self.b.ins().store(flags(), sp, self.ctx, JitCtx::SP);
                let z = self.b.ins().iconst(types::I32, status::DONE as i64);
                self.b.ins().return_(&[z]);
                return Ok(false);
            }
            Op::LoadGlobal(g) => {
                let src = self.global_addr(g);
                let tag = self.b.ins().load(types::I8, flags(), src, TAG_OFFSET as i32);
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_NULL as i64);
                let (copy, slow, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(slow);
                self.b.ins().brif(null, slow, &[], copy, &[]);
                self.b.switch_to_block(copy);
                let dst = self.addr(push);
                match self.u.layout {
                    Some(l) => heap::clone_value(self.b, l, dst, src),
                    None => {
                        self.call(self.u.helpers.clone, &[dst, src]);
                    }
                }
                self.b.ins().jump(done, &[]);
                self.step_into(slow, pc, d, done);
            }
            Op::StoreGlobal(g) => self.store_global(pc, g, d),
            Op::AddGlobal(g) => self.add_global(pc, g, d, kt(1)),
            Op::MakeStruct(k) => self.make_struct(k, d)?,
            Op::LoadCapture(i) => {
                let dst = self.addr(push);
                match (self.u.layout, self.captures) {
                    (Some(l), Some(elems)) => {
                        let src = self.b.ins().iadd_imm_s(elems, i as i64 * VALUE_SIZE);
                        heap::clone_value(self.b, l, dst, src);
                    }
                    _ => {
                        let index = self.b.ins().iconst(types::I32, i as i64);
                        self.call(self.u.helpers.capture, &[self.ctx, index, dst]);
                    }
                }
            }
            Op::StoreCapture(i) => {
                let src = self.addr(top(1));
                match self.captures {
                    // `move_value` is inline here: `captures` needs the layout.
                    Some(elems) => {
                        let to = self.b.ins().iadd_imm_s(elems, i as i64 * VALUE_SIZE);
                        self.move_value(to, src);
                    }
                    None => {
                        let index = self.b.ins().iconst(types::I32, i as i64);
                        self.call(self.u.helpers.store_capture, &[self.ctx, index, src]);
                    }
                }
            }
            Op::Index => {
                let (target, index) = (self.addr(top(2)), self.addr(top(1)));
                let fast = match self.u.layout {
                    Some(l) if kt(2) == Kind::Top && kt(1) == Kind::Int => Some(l),
                    _ => None,
                };
                let done = self.b.create_block();
                if let Some(l) = fast {
                    let slow = self.b.create_block();
                    self.b.set_cold_block(slow);
                    let i = self.get(top(1), Kind::Int);
                    let part = arrays::element(self.b, l, target, i, slow);
                    heap::replace_with_part(self.b, l, self.u.helpers.drop, target, part);
                    self.b.ins().jump(done, &[]);
                    self.b.switch_to_block(slow);
                }
                let failed = self.call(self.u.helpers.index, &[target, index]).expect("index result");
                let (pc, d) = self.at;
                self.exit_if(failed, pc, d, bail::ERROR);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
            }
            Op::Field(k) | Op::KeyOrNull(k) => self.field(op, k, d)?,
            // The VM's handler record, pushed and popped by helpers.
            Op::TryBegin(t) => {
                let target = self.b.ins().iconst(types::I32, t as i64);
                let above = self.b.ins().iconst(types::I32, self.u.proto.nslots as i64 + d as i64);
                self.call(self.u.helpers.try_begin, &[self.ctx, target, above]);
            }
            Op::TryEnd => {
                self.call(self.u.helpers.try_end, &[self.ctx]);
            }
            // `case Enum::Variant`: a helper tests the value and leaves its
            // payload (it cannot fail, and reads no frame).
            Op::MatchEnum(k, t) => {
                let variant = self.b.ins().iconst(types::I64, &self.u.proto.consts[k as usize] as *const Const as i64);
                let at = self.addr(top(1));
                let hit = self.call(self.u.helpers.match_enum, &[at, variant]).expect("helper result");
                let (next, miss) = (self.block(pc + 1)?, self.block(t as usize)?);
                self.b.ins().brif(hit, next, &[], miss, &[]);
                return Ok(false);
            }
            other => return Err(Rejection::new(format!("{} planned as native", other.name()))),
        }
        Ok(true)
    }

    /// Releases the heap-kinded value at `a` (inline when the layout is known).
    fn release(&mut self, a: Value) {
        match self.u.layout {
            Some(l) => heap::drop_value(self.b, l, self.u.helpers.drop, a),
            None => {
                self.call(self.u.helpers.drop, &[a]);
            }
        }
    }

    /// Pushes a copy of `from` (inline, or a helper call, for heap-kinded values).
    fn copy(&mut self, from: Loc, k: Kind, to: Loc) {
        if k == Kind::Top {
            let (dst, src) = (self.addr(to), self.addr(from));
            match self.u.layout {
                Some(l) => heap::clone_value(self.b, l, dst, src),
                None => {
                    self.call(self.u.helpers.clone, &[dst, src]);
                }
            }
        } else {
            let v = self.get(from, k);
            self.set(to, k, v);
        }
    }
}

/// Whether `Fx::guarded` reads instruction `op`'s top operand as a number
/// (`Fx::number_at`), leaving to the VM at that instruction when it is not
/// one, before the instruction has any effect.
fn checks_top_operand(op: Op) -> bool {
    let arith = matches!(op, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod);
    let compare = matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge);
    arith || compare || matches!(op, Op::AddLocal(_) | Op::JumpIfNot(..) | Op::IterPrepare)
}
