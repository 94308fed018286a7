//! CLIF for a framed unit, following its [`Plan`]. Scalars live in Cranelift
//! variables (one per location and type); every write to a slot is mirrored
//! into the VM frame, and a scalar on the operand stack reaches it before
//! anything may read it there (`lazy`), so an exit anywhere only has to say
//! where the VM resumes (`JitCtx::pc`, `JitCtx::sp`).
//!
//! This module holds the translator's state and its main loop; the rest is
//! split by concern: `locations` (variables, frame addresses, moves),
//! `exits` (helper calls, the prologue, exits to the VM, steps), `ops` (one
//! instruction by its plan), and one module per family of instructions or
//! optimisation (`fields`, `literals`, `methods`, `inline`, `promote`, ...).

use std::collections::HashMap;

use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, SigRef, StackSlot, Type, Value};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, Variable};
use ruff_core::bytecode::{Op, Proto};
use ruff_core::runtime::builtins::Builtin;
use ruff_core::runtime::tier::Rejection;
use ruff_core::runtime::vm::jit_helpers::{CallCache, LiteralCache, MethodCache, PlainTypeCache, PromotedFields};
use rustc_hash::FxHashMap;

mod direct;
mod exits;
mod fields;
mod frameless;
mod globals;
mod inline;
mod known;
mod lazy;
mod literals;
mod locations;
mod methods;
mod nulls;
mod ops;
mod owned;
mod promote;
mod recorded;
mod shortcuts;

pub use direct::{callee_from, kinds_fit, CalleeFrom, DirectCall, DirectCalls};
pub use methods::CALLEE_ROOM;

use super::heap;
use super::plan::{How, Plan};
use crate::analyze::Kind;
use crate::scalar::Loc;
use ruff_core::runtime::heap_layout::{FieldCache, HeapLayout};
use ruff_core::runtime::vm::frame_layout::VmLayout;

pub(super) const VALUE_SIZE: i64 = 16;

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
    /// The `LOAD_LOCAL`s whose values those calls borrow, each with its
    /// call and the method's slot it fills.
    borrowed: FxHashMap<usize, (usize, u16)>,
    /// Those emitted so far.
    borrowed_pushes: usize,
    /// The store right after an inlined call whose method may have written
    /// its result over the stored local's struct itself, and the block that
    /// way goes on from, after the store (`literal_into_caller`).
    stored: Option<(usize, Block)>,
    /// What that store makes known of its local (`known::Returned`).
    stored_known: Option<known::Returned>,
    /// For a method run in line: its literal return that defines what its
    /// caller will know (`known::Returned`).
    returned: Option<known::Returned>,
    /// Fields known from literals (`known`).
    known: known::Knowledge,
    /// The locals whose struct a loop keeps as its own (`owned`).
    owned: FxHashMap<u16, owned::Owned>,
    /// For a method run in line: those variables of the local its caller
    /// stores its result in, if any, and of the caller's locals its slots
    /// borrow.
    into_owned: Option<owned::OwnVars>,
    owned_args: FxHashMap<u16, owned::OwnVars>,
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
            borrowed: FxHashMap::default(),
            borrowed_pushes: 0,
            stored: None,
            stored_known: None,
            returned: None,
            known: known::Knowledge::default(),
            owned: FxHashMap::default(),
            into_owned: None,
            owned_args: FxHashMap::default(),
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
                self.plan_owned(&leaders);
            }
        }
        self.prologue()?;
        let mut open = false;
        // The first instruction not yet emitted (a fused sequence emits several).
        let mut resume = 0;
        for (pc, &op) in code.iter().enumerate() {
            self.learn_at(pc, op);
            if pc < resume {
                continue;
            }
            let Some(st) = &plan.states[pc] else { continue };
            self.at = (pc, st.stack.len());
            // Positions at or above the depth are dead here.
            self.lazy.retain(|e| (e.0 as usize) < st.stack.len());
            self.promo_on = self.promoted_at(pc);
            if let Some(&blk) = self.blocks.get(&pc) {
                self.forget_own();
                if open && joins[pc] {
                    self.flush_below(usize::MAX);
                }
                let pre = self.preheader_of(pc);
                if open {
                    // Falling into an owning loop's header from before it.
                    self.disown_at_header(pc);
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
            if let Some(n) = self.literal_into_caller(pc, st, &leaders)? {
                resume = pc + n;
                open = false;
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
            if let Some((_, stored)) = self.stored.filter(|(at, _)| *at == pc) {
                // The inlined method's literal written in place joins here.
                let learned = self.stored_known.take();
                let Op::StoreLocal(s) = op else { return Err(Rejection::new("a call's result stored otherwise")) };
                if open {
                    if let Some(r) = &learned {
                        self.define_returned_from(r, pc, st.stack.len(), s);
                    }
                    self.b.ins().jump(stored, &[]);
                }
                self.b.switch_to_block(stored);
                self.stored = None;
                open = true;
                if let Some(r) = &learned {
                    self.know_returned(r, s);
                }
            }
        }
        if open {
            return Err(Rejection::new("code runs off the end"));
        }
        self.inlining_done()?;
        if self.stored.is_some() {
            return Err(Rejection::new("the store after a method call run in line was emitted otherwise"));
        }
        self.finish_leaves();
        self.finish_exits();
        Ok(())
    }
}
