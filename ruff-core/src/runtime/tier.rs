//! The boundary between the VM and a compiling tier (the Cranelift JIT lives in the
//! `ruff-jit` crate, which implements [`Tier`]; nothing in `ruff-core` names
//! Cranelift).
//!
//! The contract:
//! - The VM counts calls (`Proto::calls`) and loop back-edges (`Proto::back_edges`)
//!   and records operand kinds per instruction (`Proto::feedback`). A function that
//!   reaches [`HOT_CALLS`] calls is offered to the tier once through
//!   [`Tier::compile_call`]; a loop whose function has taken a multiple of
//!   [`HOT_BACK_EDGES`] back-edges is offered for on-stack replacement at its header
//!   through [`Tier::compile_osr`]. A [`Rejection`] is remembered with its reason in
//!   the function's [`JitSlot`].
//! - Compiled code is a [`NativeEntry`]: `entry(ctx, values, out, data)`. For a
//!   call entry `values` are the arguments; for an OSR entry they are the frame's
//!   slots at the loop header (the operand stack is empty there). The entry first
//!   checks the kinds it was specialised for and returns [`status::MISMATCH`]
//!   without running anything when they differ. `data` is the unit's
//!   [`NativeCode::data`].
//! - A unit is either *pure* or *framed* ([`NativeCode::framed`]).
//! - Pure code never writes VM memory: values live in registers. That makes
//!   deoptimisation a replay: when a guard fails or an operation would raise an error
//!   (overflow, division by zero, the depth limit), native code returns
//!   [`status::BAILED`] with the reason in [`JitCtx::bail`], and the VM runs the same
//!   call (or the same loop, from the header it entered at) itself, from state that
//!   native code left untouched. Only code without side effects is compiled pure, so
//!   the replay computes exactly what the VM alone would have computed, and any error
//!   is raised by the VM with its usual message, location and call stack. Pure call
//!   entries are called directly by the VM's `Call`, without a VM frame.
//! - Framed code runs inside the VM frame of its function (`values` = the frame's
//!   slot 0, followed by the operand stack). Scalars stay unboxed in registers, but
//!   every write reaches the frame before anything may read it there (the compiled
//!   code's exits write what they still hold), so the frame is the complete
//!   state: the VM side of a deoptimisation writes nothing back. Native code
//!   returns [`status::BAILED`] with [`JitCtx::pc`] (the instruction to resume
//!   at) and [`JitCtx::sp`] (the operand stack depth there), and the VM carries
//!   on from that instruction. Everything
//!   that is not unboxed arithmetic goes through helpers (`vm::jit_helpers`): small
//!   ones for copies and indexing, and one that runs any single instruction in the
//!   VM. When a helper raises, native code returns [`status::RAISED`] and the error
//!   is waiting in the VM, with its location and call stack already attached.
//! - On [`status::DONE`] the entry has written the function's result to `*out` (the
//!   VM's `out` starts as `Null`, so nothing needs dropping); framed code also sets
//!   [`JitCtx::sp`] to the operand stack depth left below the result.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::rc::{Rc, Weak};

use crate::bytecode::Proto;
use crate::runtime::object::StructType;
use crate::runtime::value::Value;

/// Calls after which a function is offered to the tier (measured: compiling costs
/// about as much as 200–500 interpreted calls of a small function, and the first
/// thousand calls also give the feedback time to settle).
pub const HOT_CALLS: u32 = 1_000;
/// Back-edges (a power of two: the VM tests it with a mask) after which a running
/// loop is offered for on-stack replacement. Measured against 8,192 and 1,024 on the
/// lab's loop benchmarks (best of 5): 2,048 was as fast or faster on every one
/// (string_concat 3.63 vs 3.82 ms, hash_map 8.6 vs 9.3 ms; 1,024 lost on
/// object_creation, whose loop compiles slowly), and it lets loops of 100,000
/// iterations run more than 95% of their instructions natively.
pub const HOT_BACK_EDGES: u32 = 2_048;
/// Calls the VM makes through a function's pure call entry (from the
/// dispatch loop, or a builtin calling it back: `map`, `filter`, ...) after
/// which the tier is asked for a faster entry ([`Tier::hot_entry`]). The JIT
/// enters through one Rust function shared by every function (no compile),
/// about 58 instructions a call against about 28 through an entry compiled
/// for the function (callgrind), which takes about 100 µs to compile: worth
/// it after some thousands of calls.
pub const HOT_ENTRIES: u32 = 10_000;

/// When the VM hands code to the tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum JitMode {
    /// Never: the VM runs everything.
    Off,
    /// Hot functions and hot loops (the default).
    #[default]
    Auto,
    /// Every function at its first call and every loop at its first back-edge
    /// (for testing the tier on everything).
    Eager,
}

/// Why a tier declined to compile a function (shown by `--jit-stats`).
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// A short, stable description (`unsupported op IMPORT`, ...).
    pub reason: String,
}

impl Rejection {
    /// A rejection with this reason.
    pub fn new(reason: impl Into<String>) -> Rejection {
        Rejection { reason: reason.into() }
    }
}

/// Results of a [`NativeEntry`].
pub mod status {
    /// Ran to completion; the result is in `*out`.
    pub const DONE: u32 = 0;
    /// The values did not have the kinds the code was compiled for; nothing ran.
    pub const MISMATCH: u32 = 1;
    /// Native code stopped early (reason in `JitCtx::bail`): the VM replays.
    pub const BAILED: u32 = 2;
    /// Framed code only: a helper raised an error, which the VM holds.
    pub const RAISED: u32 = 3;
}

/// Why native code bailed out (`JitCtx::bail`; indexes `FnStats::bails`).
pub mod bail {
    /// Not bailed; for framed code, also "left the rest to the VM" (at an
    /// instruction it does not run, such as a `return` from the top level).
    pub const NONE: u64 = 0;
    /// An operation would raise an error (overflow, division by zero): the VM
    /// raises it.
    pub const ERROR: u64 = 1;
    /// A speculation failed (a global changed kind or was rebound).
    pub const GUARD: u64 = 2;
    /// The recursion limit or the native stack budget was reached.
    pub const DEPTH: u64 = 3;
    /// Display names, by code.
    pub const NAMES: [&str; 4] = ["exit", "error", "guard", "depth"];
}

/// Why native code was dropped to be compiled again (indexes
/// `FnStats::recompile_reasons`).
pub mod recompile {
    /// Framed code's guards kept failing.
    pub const GUARDS: usize = 0;
    /// A pure OSR entry kept refusing the loop's values.
    pub const LOOP_ENTRIES: usize = 1;
    /// A call entry kept refusing the arguments (of other kinds now).
    pub const CALLS: usize = 2;
    /// Display names, by code.
    pub const NAMES: [&str; 3] = ["failing guards", "refused loop entries", "refused calls"];
}

/// Shared state compiled code reads and writes. `#[repr(C)]`: the JIT uses the
/// field offsets below.
#[repr(C)]
#[derive(Debug)]
pub struct JitCtx {
    /// The VM's global slots (refreshed by the VM before every entry).
    pub globals: *const Value,
    /// Native calls allowed before the recursion limit (the VM's limit minus its
    /// frames, set at every entry); compiled code counts them down in a
    /// register as it calls.
    pub depth_limit: u64,
    /// Lowest native stack address compiled code may reach.
    pub stack_limit: u64,
    /// Why the last entry bailed ([`bail`]).
    pub bail: u64,
    /// Deopt stress: compiled code built for stress testing decrements this at
    /// every basic block and bails out (as a failed guard) when it reaches zero.
    /// The VM resets it to [`Tier::stress_every`] at every entry.
    pub stress: u64,
    /// Framed code: the VM (opaque to the tier; helpers take the context).
    pub vm: *mut std::ffi::c_void,
    /// Framed code: the address of the running frame's slot 0 (helpers update it,
    /// since the VM's stack may move).
    pub base: *mut Value,
    /// Framed code: where the VM resumes after a bail-out.
    pub pc: u64,
    /// Framed code: the operand stack depth at `pc`, or below the result.
    pub sp: u64,
    /// How each global may be assigned, by index (`GLOBAL_MUT` and the VM's other
    /// states; refreshed with `globals`).
    pub gstates: *const u8,
    /// Code of a function with captured variables: the closure being entered
    /// (its value's payload), written by whoever enters that code (the VM, for
    /// framed code too, or compiled code calling pure code directly) and read
    /// once by its prologue. Meaningless anywhere else.
    pub closure: u64,
}

/// The state of a global that an assignment may overwrite in place (a `mut`
/// binding); any other state makes the VM decide (and raise).
pub const GLOBAL_MUT: u8 = 2;

impl JitCtx {
    /// Offset of `globals`.
    pub const GLOBALS: i32 = 0;
    /// Offset of `depth_limit`.
    pub const DEPTH_LIMIT: i32 = 8;
    /// Offset of `stack_limit`.
    pub const STACK_LIMIT: i32 = 16;
    /// Offset of `bail`.
    pub const BAIL: i32 = 24;
    /// Offset of `stress`.
    pub const STRESS: i32 = 32;
    pub const VM: i32 = 40;
    pub const BASE: i32 = 48;
    pub const PC: i32 = 56;
    pub const SP: i32 = 64;
    /// Offset of `gstates`.
    pub const GSTATES: i32 = 72;
    /// Offset of `closure`.
    pub const CLOSURE: i32 = 80;
}

impl Default for JitCtx {
    fn default() -> Self {
        JitCtx {
            globals: std::ptr::null(),
            depth_limit: 0,
            stack_limit: 0,
            bail: 0,
            stress: u64::MAX,
            vm: std::ptr::null_mut(),
            base: std::ptr::null_mut(),
            pc: 0,
            sp: 0,
            gstates: std::ptr::null(),
            closure: 0,
        }
    }
}

/// Compiled code: `entry(ctx, values, out, data) -> status`. `data` is
/// [`NativeCode::data`], for entries that the tier writes once for many units
/// (they find what they need there); code built for one unit ignores it.
pub type NativeEntry =
    unsafe extern "C" fn(ctx: *mut JitCtx, values: *const Value, out: *mut Value, data: *const c_void) -> u32;

/// A compiled entry and how the VM runs it.
#[derive(Clone, Copy, Debug)]
pub struct NativeCode {
    /// The code.
    pub entry: NativeEntry,
    /// Passed to `entry` as its last argument; owned by the tier, which keeps it
    /// alive as long as the tier.
    pub data: *const c_void,
    /// Framed (runs inside a VM frame) rather than pure (see the module notes).
    pub framed: bool,
    /// Framed code: operand stack slots it may write above the frame's slots (the
    /// VM keeps that much room in its stack while the code runs).
    pub stack_need: u32,
    /// A framed call entry that never consults the VM's frame record: it calls
    /// no helper that steps, calls or reads captured variables, so until it
    /// leaves to the VM it needs only its values in place. Compiled callers may
    /// then run it with the values of a frame not pushed yet, pushing the
    /// frame record only when it leaves (see `jit_methods`).
    pub frameless: bool,
}

impl NativeCode {
    /// A pure entry (see the module notes).
    pub fn pure(entry: NativeEntry) -> NativeCode {
        NativeCode::pure_with(entry, std::ptr::null())
    }

    /// A pure entry that reads `data`.
    pub fn pure_with(entry: NativeEntry, data: *const c_void) -> NativeCode {
        NativeCode { entry, data, framed: false, stack_need: 0, frameless: false }
    }
}

/// Per-function execution statistics (`--jit-stats`).
#[derive(Debug, Default)]
pub struct FnStats {
    /// Calls that ran natively (entered from the VM or from native code; native
    /// calls are counted only when statistics are on).
    pub native_calls: Cell<u64>,
    /// Entries by on-stack replacement.
    pub osr_entries: Cell<u64>,
    /// Entries refused because the values had other kinds than compiled for.
    pub mismatches: Cell<u64>,
    /// Bail-outs by reason ([`bail`] codes).
    pub bails: [Cell<u64>; 4],
    /// Bytecode instructions executed by the VM (counted when statistics are on).
    pub vm_insns: Cell<u64>,
    /// Bytecode instructions executed natively (counted per basic block when
    /// statistics are on).
    pub native_insns: Cell<u64>,
    /// Of `native_insns`, those framed code handed to the VM one at a time
    /// (`ruff_jit_step`; counted when statistics are on).
    pub stepped_insns: Cell<u64>,
    /// Compilations (call entries and OSR entries).
    pub compiles: Cell<u32>,
    /// Times native code was dropped to be compiled again (framed code whose
    /// guards kept failing, `vm::native::RECOMPILE_AFTER`; entries that kept
    /// refusing their values, `vm::native::REMATCH_AFTER`).
    pub recompiles: Cell<u32>,
    /// `recompiles` by reason ([`recompile`] codes).
    pub recompile_reasons: [Cell<u32>; 3],
    /// Total compile time.
    pub compile_ns: Cell<u64>,
    /// Machine code bytes.
    pub code_bytes: Cell<u64>,
    /// Locals whose struct fields compiled loops keep in registers (the JIT's
    /// scalar promotion), summed over the compilations.
    pub promoted_locals: Cell<u32>,
    /// Method calls whose method compiled code runs in line (the JIT's method
    /// inlining), summed over the compilations.
    pub inlined_calls: Cell<u32>,
    /// Why the tier refused (the latest reason), if it did.
    pub rejection: RefCell<Option<String>>,
}

/// What the VM knows about a function's native code.
#[derive(Debug, Default)]
pub struct JitSlot {
    /// The call entry, once compiled.
    pub call: Cell<Option<NativeCode>>,
    /// 0: not tried; 1: compiled; 2: rejected or disabled.
    pub call_state: Cell<u8>,
    /// Loop headers tried for OSR, with their entry (`None`: rejected).
    pub osr: RefCell<Vec<(u32, Option<NativeCode>)>>,
    /// An OSR entry exists and last matched: the VM tries it at every back-edge,
    /// not only when the hotness mask says so.
    pub osr_ready: Cell<bool>,
    /// Failed guards of framed code since it was last compiled or dropped.
    pub guard_bails: Cell<u32>,
    /// Entries pure OSR code refused since it was last dropped.
    pub osr_refused: Cell<u32>,
    /// Calls the call entry refused in a row (since one it ran, or since it
    /// was compiled).
    pub call_refused: Cell<u32>,
    /// Calls the VM made through the pure call entry (up to [`HOT_ENTRIES`]).
    pub vm_entries: Cell<u32>,
    /// The struct type of each `CALL_METHOD`'s receiver, by instruction, as
    /// the VM saw it (see [`JitSlot::note_receiver`]).
    pub receivers: RefCell<Vec<(u32, Weak<StructType>)>>,
    /// Statistics.
    pub stats: FnStats,
}

/// The `CALL_METHOD` instructions of one function whose receivers' types
/// [`JitSlot::note_receiver`] keeps (the rest are not recorded).
const MAX_RECEIVER_SITES: usize = 32;

impl JitSlot {
    /// Call-entry states.
    pub const UNTRIED: u8 = 0;
    /// Compiled.
    pub const COMPILED: u8 = 1;
    /// Rejected or disabled.
    pub const REFUSED: u8 = 2;

    /// Back to the state of a function never run: no native code, zero statistics.
    pub fn reset(&self) {
        self.call.set(None);
        self.call_state.set(JitSlot::UNTRIED);
        self.osr.borrow_mut().clear();
        self.osr_ready.set(false);
        let s = &self.stats;
        for c in [
            &s.native_calls,
            &s.osr_entries,
            &s.mismatches,
            &s.vm_insns,
            &s.native_insns,
            &s.stepped_insns,
            &s.compile_ns,
            &s.code_bytes,
        ]
        .into_iter()
        .chain(&s.bails)
        {
            c.set(0);
        }
        for c in &s.recompile_reasons {
            c.set(0);
        }
        s.compiles.set(0);
        s.recompiles.set(0);
        s.promoted_locals.set(0);
        s.inlined_calls.set(0);
        self.receivers.borrow_mut().clear();
        self.guard_bails.set(0);
        self.osr_refused.set(0);
        self.call_refused.set(0);
        self.vm_entries.set(0);
        *s.rejection.borrow_mut() = None;
    }

    /// Records a rejection reason.
    pub fn reject(&self, reason: String) {
        *self.stats.rejection.borrow_mut() = Some(reason);
    }

    /// Notes that `CALL_METHOD` at `pc` called a method of a receiver of type
    /// `ty`. The first type seen is kept; any other type makes the site
    /// polymorphic for good (an empty `Weak`, which [`JitSlot::receiver`]
    /// never upgrades). A kept `Weak` keeps its type's allocation, so no
    /// other type can take its address and pass for it.
    pub fn note_receiver(&self, pc: usize, ty: &Rc<StructType>) {
        let mut sites = self.receivers.borrow_mut();
        if let Some((_, seen)) = sites.iter_mut().find(|(p, _)| *p as usize == pc) {
            if !std::ptr::eq(seen.as_ptr(), Rc::as_ptr(ty)) {
                *seen = Weak::new();
            }
        } else if sites.len() < MAX_RECEIVER_SITES {
            sites.push((pc as u32, Rc::downgrade(ty)));
        }
    }

    /// The one type of receiver `CALL_METHOD` at `pc` has had, when the VM
    /// noted one and only one and it still exists.
    pub fn receiver(&self, pc: usize) -> Option<Rc<StructType>> {
        let sites = self.receivers.borrow();
        sites.iter().find(|(p, _)| *p as usize == pc).and_then(|(_, seen)| seen.upgrade())
    }
}

/// A compiling tier.
pub trait Tier {
    /// Compiles `proto` for calls with arguments like `args` (their kinds are the
    /// speculation). `globals` are the VM's globals at this moment, `captures`
    /// the captured values of the closure being called (also a speculation:
    /// other closures of the function have their own).
    fn compile_call(
        &mut self,
        proto: &Rc<Proto>,
        args: &[Value],
        captures: &[Value],
        globals: &[Value],
    ) -> Result<NativeCode, Rejection>;
    /// Compiles an on-stack-replacement entry at loop header `pc` for a frame whose
    /// slots are `slots` and whose closure holds `captures`.
    fn compile_osr(
        &mut self,
        proto: &Rc<Proto>,
        pc: u32,
        slots: &[Value],
        captures: &[Value],
        globals: &[Value],
    ) -> Result<NativeCode, Rejection>;
    /// The VM has entered `code`, the pure call entry of `proto`,
    /// [`HOT_ENTRIES`] times: a faster entry to the same code, if the tier has
    /// one to build (the VM uses it from then on).
    fn hot_entry(&mut self, _proto: &Rc<Proto>, _code: NativeCode) -> Option<NativeCode> {
        None
    }
    /// True when compiled code counts executed instructions (`--jit-stats`).
    fn counting(&self) -> bool;
    /// Deopt stress: compiled code bails out after this many basic blocks per
    /// entry (0: never).
    fn stress_every(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_offsets_match_layout() {
        let c = JitCtx::default();
        let base = &c as *const JitCtx as usize;
        assert_eq!(&c.globals as *const _ as usize - base, JitCtx::GLOBALS as usize);
        assert_eq!(&c.depth_limit as *const _ as usize - base, JitCtx::DEPTH_LIMIT as usize);
        assert_eq!(&c.stack_limit as *const _ as usize - base, JitCtx::STACK_LIMIT as usize);
        assert_eq!(&c.bail as *const _ as usize - base, JitCtx::BAIL as usize);
        assert_eq!(&c.stress as *const _ as usize - base, JitCtx::STRESS as usize);
        assert_eq!(&c.vm as *const _ as usize - base, JitCtx::VM as usize);
        assert_eq!(&c.base as *const _ as usize - base, JitCtx::BASE as usize);
        assert_eq!(&c.pc as *const _ as usize - base, JitCtx::PC as usize);
        assert_eq!(&c.sp as *const _ as usize - base, JitCtx::SP as usize);
        assert_eq!(&c.gstates as *const _ as usize - base, JitCtx::GSTATES as usize);
        assert_eq!(&c.closure as *const _ as usize - base, JitCtx::CLOSURE as usize);
    }
}
