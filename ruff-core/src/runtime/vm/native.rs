//! The VM's side of the tier boundary (`runtime::tier`): deciding when a function or
//! loop is hot, asking the tier to compile it, entering native code, and carrying on
//! in the VM when native code bails out (replaying pure code; resuming framed code
//! at the instruction it left at).

use std::rc::Rc;

use super::Vm;
use crate::bytecode::Proto;
use crate::runtime::error::RuntimeError;
use crate::runtime::heap_layout::closure_bits;
use crate::runtime::object::Closure;
use crate::runtime::tier::{
    bail, recompile, status, JitCtx, JitMode, JitSlot, NativeCode, Rejection, Tier, HOT_BACK_EDGES, HOT_CALLS,
    HOT_ENTRIES,
};
use crate::runtime::value::Value;

/// How native code that ran inside the top frame ended.
pub(crate) enum Native {
    /// The function returned this value (its frame is still to be popped).
    Returned(Value),
    /// The VM carries on with the top frame at its `pc`.
    Resume,
    /// An error was raised (located already); the VM unwinds it.
    Raised(RuntimeError),
}

/// Bail-outs (guard or depth) after which a function's native code is dropped
/// and the function stays in the VM.
const MAX_BAILS: u64 = 1_000;

/// Failed guards of framed code after which its function's code is dropped,
/// so that the next hot call or loop compiles it again: framed code speculates
/// ints where the VM saw only ints or nothing yet, and by then the VM has seen
/// what fails the guard (its exits resume at the guarded instruction). At most
/// [`MAX_RECOMPILES`] times per function; then call entries are disabled after
/// [`MAX_BAILS`] as before, and OSR entries are kept.
const RECOMPILE_AFTER: u32 = 100;
/// Recompiles a function's framed code gets (see [`RECOMPILE_AFTER`]).
const MAX_RECOMPILES: u32 = 2;

/// Entries refused by a function's pure OSR code (its slots had other kinds,
/// or ints outside the ranges it assumes) after which that code is dropped,
/// so that the next hot loop compiles it again for the values then at hand
/// (counted as a recompile, at most [`MAX_RECOMPILES`] times). Likewise for
/// a call entry that refuses this many calls in a row: the function is
/// called with arguments of other kinds now (a phase of the program has
/// ended), so the next call compiles it again for those.
const REMATCH_AFTER: u32 = 8;

/// Native stack kept free below the limit compiled code checks (helpers and the
/// VM's own frames need some).
pub(super) const STACK_MARGIN: usize = 256 * 1024;

/// The tier and the state shared with compiled code.
pub(crate) struct JitRt {
    pub tier: Box<dyn Tier>,
    pub mode: JitMode,
    pub ctx: Box<JitCtx>,
    /// Loops are offered for OSR when `back_edges & osr_mask == 0`.
    pub osr_mask: u32,
    /// `JitCtx::stress` at every entry.
    pub stress: u64,
    /// Compiled code counts its own calls (`Tier::counting`).
    pub native_counts: bool,
    /// Native code is not entered with this many VM frames or more: set
    /// after native code ran out of depth (`bail::DEPTH`) to one frame deeper
    /// than where it was entered, and lifted by the next entry tried above
    /// that or an error unwinding to above it. The VM then runs the rest of
    /// that recursion itself. Without it, the VM's replay re-entered native
    /// code at every level, each entry running down to the limit again: a
    /// runaway recursion made about 1,000 times the limit's calls (until the
    /// function was disabled) before its error.
    pub depth_fence: usize,
}

/// An address on the current native stack.
#[inline(always)]
fn stack_here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

impl JitRt {
    pub(crate) fn new(tier: Box<dyn Tier>, mode: JitMode, native_stack: usize) -> JitRt {
        let mut ctx = Box::<JitCtx>::default();
        ctx.stack_limit = stack_here().saturating_sub(native_stack.saturating_sub(STACK_MARGIN)) as u64;
        let osr_mask = if mode == JitMode::Eager { 0 } else { HOT_BACK_EDGES - 1 };
        let stress = match tier.stress_every() {
            0 => u64::MAX,
            n => n,
        };
        let native_counts = tier.counting();
        JitRt { tier, mode, ctx, osr_mask, stress, native_counts, depth_fence: usize::MAX }
    }
}

/// Runs a call into the tier; `None` when it panicked (a compiler bug).
fn caught<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// Runs a compile, turning a panic in the tier into a recorded rejection: the
/// function then simply stays in the VM.
fn guarded(f: impl FnOnce() -> Result<NativeCode, Rejection>) -> Result<NativeCode, Rejection> {
    caught(f).unwrap_or_else(|| Err(Rejection::new("internal compiler error (a bug in the tier)")))
}

impl Vm {
    /// Prepares the shared context for one entry; false when native code must not
    /// run now (too close to the recursion limit or the end of the native stack).
    fn enter_ctx(&mut self) -> bool {
        let frames = self.frames.len();
        let max = self.options.max_depth;
        let Some(jit) = self.jit.as_mut() else { return false };
        if frames > max
            || frames >= jit.depth_fence
            || (stack_here() as u64) < jit.ctx.stack_limit + STACK_MARGIN as u64
        {
            return false;
        }
        jit.depth_fence = usize::MAX;
        jit.ctx.globals = self.globals.as_ptr();
        jit.ctx.gstates = self.gstates.as_ptr();
        // Native code counts the calls left down as a signed number: any limit
        // beyond `i64::MAX` calls is as good as none.
        jit.ctx.depth_limit = (max - frames).saturating_add(1).min(i64::MAX as usize) as u64;
        jit.ctx.bail = bail::NONE;
        jit.ctx.stress = jit.stress;
        true
    }

    /// The call entry of `proto`, compiling it when the function has just become
    /// hot; `args` gives the call's arguments, read only when compiling (the
    /// VM's fields are passed apart so the arguments may be on the VM's stack
    /// or elsewhere).
    #[inline(always)]
    fn call_entry<'a>(
        jit: Option<&mut JitRt>,
        globals: &[Value],
        closure: &Closure,
        args: impl FnOnce() -> &'a [Value],
    ) -> Option<NativeCode> {
        match closure.proto.jit.call.get() {
            Some(code) => Some(code),
            None => Self::first_entry(jit, globals, closure, args),
        }
    }

    /// [`Vm::call_entry`] for a function without one yet (kept out of line:
    /// the entry exists on almost every call).
    #[inline(never)]
    fn first_entry<'a>(
        jit: Option<&mut JitRt>,
        globals: &[Value],
        closure: &Closure,
        args: impl FnOnce() -> &'a [Value],
    ) -> Option<NativeCode> {
        let proto = &closure.proto;
        let slot = &proto.jit;
        let jit = jit?;
        let args = args();
        if slot.call_state.get() != JitSlot::UNTRIED || args.len() != proto.nparams as usize {
            return None;
        }
        let hot = match jit.mode {
            JitMode::Eager => true,
            JitMode::Auto => proto.calls.get() + 1 >= HOT_CALLS,
            JitMode::Off => false,
        };
        if !hot {
            return None;
        }
        slot.call_state.set(JitSlot::REFUSED);
        let captures = closure.captures.borrow();
        match guarded(|| jit.tier.compile_call(proto, args, &captures, globals)) {
            Ok(code) => {
                slot.call.set(Some(code));
                slot.call_state.set(JitSlot::COMPILED);
                Some(code)
            }
            Err(r) => {
                slot.reject(r.reason);
                None
            }
        }
    }

    /// Runs a call natively, without a VM frame, when `proto` has (or now gets) a
    /// pure call entry. The arguments are at `stack[at..at + argc]`. `None`: the VM
    /// pushes a frame (where framed code may take over, see [`Vm::frame_start`]).
    pub(crate) fn native_call(&mut self, closure: &Rc<Closure>, at: usize, argc: usize) -> Option<Value> {
        let code = Self::call_entry(self.jit.as_mut(), &self.globals, closure, || &self.stack[at..at + argc])?;
        let args = self.stack[at..].as_ptr();
        self.enter_pure(closure, code, args, argc)
    }

    /// As [`Vm::native_call`], for a builtin calling back with arguments of its
    /// own (`map(xs, f)`): pure native code reads them where they are, so they
    /// are not copied to the stack with the callee first.
    pub(crate) fn native_call_with(&mut self, closure: &Rc<Closure>, args: &[Value]) -> Option<Value> {
        let code = Self::call_entry(self.jit.as_mut(), &self.globals, closure, || args)?;
        self.enter_pure(closure, code, args.as_ptr(), args.len())
    }

    /// Runs `code` when it is a pure entry for these `argc` arguments at `args`.
    fn enter_pure(
        &mut self,
        closure: &Rc<Closure>,
        code: NativeCode,
        args: *const Value,
        argc: usize,
    ) -> Option<Value> {
        let proto = &closure.proto;
        if code.framed || argc != proto.nparams as usize || !self.enter_ctx() {
            return None;
        }
        self.jit.as_mut()?.ctx.closure = closure_bits(closure);
        match self.enter(proto, code, args, false) {
            Some(Native::Returned(v)) => Some(v),
            _ => None,
        }
    }

    /// Called when the top frame is about to run its first instruction: runs it
    /// natively when the function has (or now gets) a framed call entry.
    pub(crate) fn frame_start(&mut self) -> Option<Native> {
        let frame = self.frames.last()?;
        // Most frames start in functions that have pure code or were refused:
        // decide those without touching the proto's refcount.
        let slot = &frame.closure.proto.jit;
        match slot.call.get() {
            Some(code) if !code.framed => return None,
            None if slot.call_state.get() != JitSlot::UNTRIED => return None,
            _ => {}
        }
        let closure = frame.closure.clone();
        let proto = &closure.proto;
        let base = frame.base;
        let args = || &self.stack[base..base + proto.nparams as usize];
        let code = Self::call_entry(self.jit.as_mut(), &self.globals, &closure, args)?;
        if !code.framed {
            return None;
        }
        self.run_framed(proto, code, 0, false)
    }

    /// Called on a loop back-edge to `pc` when the hotness mask says so (`hot`) or
    /// when the function has an OSR entry ready: enters the OSR entry for that
    /// header (compiling it the first time, when hot).
    pub(crate) fn native_loop(&mut self, pc: u32, hot: bool) -> Option<Native> {
        let frame = self.frames.last()?;
        let closure = frame.closure.clone();
        let proto = closure.proto.clone();
        let base = frame.base;
        if self.stack.len() != base + proto.nslots as usize {
            return None;
        }
        let known = proto.jit.osr.borrow().iter().find(|(p, _)| *p == pc).map(|(_, e)| *e);
        let code = match known {
            Some(Some(e)) => e,
            // Not hot yet: only here because another header of this function is ready.
            None if !hot => return None,
            Some(None) => return None,
            None => {
                let jit = self.jit.as_mut()?;
                let (slots, globals) = (&self.stack[base..], &self.globals);
                let captures = closure.captures.borrow();
                let made = guarded(|| jit.tier.compile_osr(&proto, pc, slots, &captures, globals));
                let code = match made {
                    Ok(e) => Some(e),
                    Err(r) => {
                        proto.jit.reject(r.reason);
                        None
                    }
                };
                proto.jit.osr.borrow_mut().push((pc, code));
                code?
            }
        };
        proto.jit.osr_ready.set(true);
        if code.framed {
            return self.run_framed(&proto, code, pc, true);
        }
        if !self.enter_ctx() {
            return None;
        }
        self.jit.as_mut()?.ctx.closure = closure_bits(&closure);
        let slots = self.stack[base..].as_ptr();
        match self.enter(&proto, code, slots, true) {
            // Pure code bailed out: the VM replays the loop from its header.
            Some(Native::Resume) => None,
            other => other,
        }
    }

    /// Runs framed code inside the top frame, which is at instruction `pc` with an
    /// empty operand stack: a call entry, or an OSR entry (`osr`; a loop header
    /// may be at instruction 0).
    fn run_framed(&mut self, proto: &Rc<Proto>, code: NativeCode, pc: u32, osr: bool) -> Option<Native> {
        let (values, top) = self.framed_ctx(code, pc)?;
        let outcome = self.enter(proto, code, values, osr)?;
        self.after_framed(outcome, top)
    }

    /// Points the shared context at the top frame, about to run framed `code`
    /// from instruction `pc` with an empty operand stack; returns the address of
    /// the frame's values and the frame's top. `None`: native code must not run
    /// now.
    #[inline(always)]
    fn framed_ctx(&mut self, code: NativeCode, pc: u32) -> Option<(*const Value, usize)> {
        if !self.enter_ctx() {
            return None;
        }
        let frame = self.frames.last()?;
        let base = frame.base;
        let top = base + frame.closure.proto.nslots as usize;
        // Framed code of a function with captured variables reads them from
        // the running closure (its prologue loads this once).
        let closure = closure_bits(&frame.closure);
        if self.stack.len() != top {
            return None;
        }
        self.stack.reserve(code.stack_need as usize + 1);
        let values = self.stack[base..].as_ptr();
        let vm: *mut Vm = self;
        let jit = self.jit.as_mut()?;
        jit.ctx.vm = vm.cast();
        jit.ctx.base = values as *mut Value;
        jit.ctx.pc = pc as u64;
        jit.ctx.sp = 0;
        jit.ctx.closure = closure;
        Some((values, top))
    }

    /// The top frame after its framed code ended with `outcome`: the stack's
    /// length covers the operand stack native code left (`top` is the frame's
    /// top), and a frame the VM carries on with is at the instruction native
    /// code left at.
    fn after_framed(&mut self, outcome: Native, top: usize) -> Option<Native> {
        let jit = self.jit.as_ref()?;
        let (resume, depth) = (jit.ctx.pc as usize, jit.ctx.sp as usize);
        match outcome {
            Native::Returned(_) | Native::Resume => {
                // SAFETY: framed code keeps every stack position below `depth` an
                // initialised value (see `jit_helpers`), within the reserved room.
                unsafe { self.stack.set_len(top + depth) };
                if matches!(outcome, Native::Resume) {
                    self.frames.last_mut()?.pc = resume;
                }
                Some(outcome)
            }
            Native::Raised(_) => Some(outcome),
        }
    }

    /// Runs the frame just pushed for a call that a helper makes for framed
    /// code (the caller's instruction is a step whose next instruction is
    /// `next`), as [`Vm::frame_start`] does, and when native code runs it to its
    /// end, returns from it here: the result moves from where native code
    /// stored it to the frame's return position as tag byte + payload word. (A
    /// [`Native::Returned`] carries it through two 16-byte copies, each a
    /// store-forwarding stall on a value just stored piecewise: most of the
    /// cost of such a call.) `None` leaves the rest of the frame to the
    /// dispatch loop.
    pub(super) fn run_callee(&mut self, next: usize) -> Option<Result<usize, RuntimeError>> {
        let code = match self.frames.last()?.closure.proto.jit.call.get() {
            Some(code) if code.framed => code,
            _ => {
                return match self.frame_start()? {
                    Native::Returned(v) => {
                        self.deliver(v);
                        Some(Ok(next))
                    }
                    Native::Raised(e) => Some(Err(e)),
                    Native::Resume => None,
                };
            }
        };
        let (values, top) = self.framed_ctx(code, 0)?;
        let mut out = std::mem::MaybeUninit::<Value>::uninit();
        let st = self.run_entry(code, values, out.as_mut_ptr())?;
        if st == status::DONE {
            self.frames.last()?.closure.proto.jit.call_refused.set(0);
            let depth = self.jit.as_ref()?.ctx.sp as usize;
            // SAFETY: as in `after_framed`.
            unsafe { self.stack.set_len(top + depth) };
            let (_, ret) = self.pop_frame();
            // SAFETY: native code stored its result in `out`, which nothing else
            // owns; `ret` is below the popped frame's values.
            unsafe { self.stack.return_from(ret, out.as_ptr()) };
            return Some(Ok(next));
        }
        self.framed_left(code, st, top)
    }

    /// The top frame's framed call entry `code` returned `st`, not
    /// `status::DONE` (`top` is the frame's top): what the VM does next, as
    /// [`Vm::run_callee`] gives it (an error to raise, or `None`: the dispatch
    /// loop runs the rest of the frame).
    pub(super) fn framed_left(&mut self, code: NativeCode, st: u32, top: usize) -> Option<Result<usize, RuntimeError>> {
        let proto = self.frames.last()?.closure.proto.clone();
        let outcome = self.settle(&proto, code, st, false, Value::Null)?;
        match self.after_framed(outcome, top)? {
            Native::Raised(e) => Some(Err(e)),
            _ => None,
        }
    }

    /// Calls `code`'s entry with the shared context; returns its status.
    #[inline(always)]
    fn run_entry(&mut self, code: NativeCode, values: *const Value, out: *mut Value) -> Option<u32> {
        let jit = self.jit.as_mut()?;
        let ctx: *mut JitCtx = &mut *jit.ctx;
        // SAFETY: the tier compiled `code` for the running function; `values`
        // points at the arguments or slots it expects. Pure code reads them and
        // never writes VM memory; framed code works on the top frame through
        // `ctx` (which points at this VM) and the helpers. No Rust reference
        // into the VM is held across the call. `out` is written only on
        // `status::DONE`.
        Some(unsafe { (code.entry)(ctx, values, out, code.data) })
    }

    fn enter(&mut self, proto: &Rc<Proto>, code: NativeCode, values: *const Value, osr: bool) -> Option<Native> {
        let mut out = Value::Null;
        let st = self.run_entry(code, values, &mut out)?;
        self.settle(proto, code, st, osr, out)
    }

    /// Counts a failed guard of `proto`'s framed code (an OSR entry when
    /// `osr`) and drops that code once they reach [`RECOMPILE_AFTER`] (see
    /// there). Nothing else refers to framed code: the VM enters it, and
    /// compiled callers call pure code only. The code itself stays in memory,
    /// as a caller deeper in the native stack may still be running it.
    pub(super) fn guard_failed(proto: &Proto, osr: bool) {
        let slot = &proto.jit;
        if !Self::recompile_due(slot, &slot.guard_bails, RECOMPILE_AFTER, recompile::GUARDS) {
            return;
        }
        if osr {
            // Pure entries and the loops refused stay as they are.
            slot.osr.borrow_mut().retain(|(_, e)| !e.is_some_and(|c| c.framed));
            slot.osr_ready.set(false);
        } else if slot.call.get().is_some_and(|c| c.framed) {
            slot.call.set(None);
            slot.call_state.set(JitSlot::UNTRIED);
        }
    }

    /// Counts an entry `proto`'s pure OSR code refused, and drops that code
    /// once they reach [`REMATCH_AFTER`] (see there).
    fn osr_refused(proto: &Proto) {
        let slot = &proto.jit;
        if Self::recompile_due(slot, &slot.osr_refused, REMATCH_AFTER, recompile::LOOP_ENTRIES) {
            slot.osr.borrow_mut().retain(|(_, e)| !e.is_some_and(|c| !c.framed));
        }
    }

    /// Lifts the depth fence once the VM's frames are back below it (an error
    /// unwound them): code the VM runs from there on, at any depth, may enter
    /// native code again.
    pub(super) fn below_depth_fence(&mut self) {
        let frames = self.frames.len();
        if let Some(jit) = self.jit.as_mut() {
            if frames < jit.depth_fence {
                jit.depth_fence = usize::MAX;
            }
        }
    }

    /// Counts a call the VM made through `proto`'s pure call entry `code`, and
    /// at [`HOT_ENTRIES`] asks the tier for a faster entry.
    #[inline(always)]
    pub(super) fn entered(&mut self, proto: &Rc<Proto>, code: NativeCode) {
        let n = proto.jit.vm_entries.get();
        if n < HOT_ENTRIES {
            proto.jit.vm_entries.set(n + 1);
            if n + 1 == HOT_ENTRIES {
                self.faster_entry(proto, code);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn faster_entry(&mut self, proto: &Rc<Proto>, code: NativeCode) {
        let Some(jit) = self.jit.as_mut() else { return };
        let same = |c: NativeCode| c.entry as usize == code.entry as usize && c.data == code.data;
        if !proto.jit.call.get().is_some_and(same) {
            return;
        }
        // A panic in the tier leaves the entry as it was.
        if let Some(Some(faster)) = caught(|| jit.tier.hot_entry(proto, code)) {
            proto.jit.call.set(Some(faster));
        }
    }

    /// Counts a call `proto`'s call entry refused, and drops that entry once
    /// it has refused [`REMATCH_AFTER`] in a row (see there).
    fn call_refused(proto: &Proto) {
        let slot = &proto.jit;
        if Self::recompile_due(slot, &slot.call_refused, REMATCH_AFTER, recompile::CALLS) {
            slot.call.set(None);
            slot.call_state.set(JitSlot::UNTRIED);
            // The next variant's entry starts its own count (`HOT_ENTRIES`).
            slot.vm_entries.set(0);
        }
    }

    /// Counts one more event on `counter`; once it reaches `after`, and while
    /// the function has recompiles left ([`MAX_RECOMPILES`]), restarts the
    /// count, counts a recompile for reason `why` ([`recompile`]) and returns
    /// true (the caller drops the code).
    fn recompile_due(slot: &JitSlot, counter: &std::cell::Cell<u32>, after: u32, why: usize) -> bool {
        let n = counter.get() + 1;
        counter.set(n);
        let recompiles = &slot.stats.recompiles;
        if n < after || recompiles.get() >= MAX_RECOMPILES {
            return false;
        }
        counter.set(0);
        recompiles.set(recompiles.get() + 1);
        let by = &slot.stats.recompile_reasons[why];
        by.set(by.get() + 1);
        true
    }

    /// What native code's status `st` means for the VM (`out` is the result on
    /// `status::DONE`), with the statistics and the bail-out policy.
    pub(super) fn settle(
        &mut self,
        proto: &Rc<Proto>,
        code: NativeCode,
        st: u32,
        osr: bool,
        out: Value,
    ) -> Option<Native> {
        let native_counts = self.jit.as_ref()?.native_counts;
        let stats = &proto.jit.stats;
        let jit = self.jit.as_mut()?;
        match st {
            status::DONE => {
                if osr {
                    stats.osr_entries.set(stats.osr_entries.get() + 1);
                } else {
                    proto.jit.call_refused.set(0);
                    if !code.framed {
                        if !native_counts {
                            stats.native_calls.set(stats.native_calls.get() + 1);
                        }
                        self.entered(proto, code);
                    }
                }
                Some(Native::Returned(out))
            }
            status::MISMATCH => {
                stats.mismatches.set(stats.mismatches.get() + 1);
                proto.jit.osr_ready.set(false);
                if osr && !code.framed {
                    Self::osr_refused(proto);
                } else if !osr {
                    Self::call_refused(proto);
                }
                None
            }
            status::RAISED => {
                let e = self.pending.take().expect("framed code raised without an error");
                Some(Native::Raised(e))
            }
            _ => {
                if jit.ctx.bail == bail::DEPTH {
                    jit.depth_fence = self.frames.len() + 1;
                }
                Self::count_bail(proto, code.framed, osr, jit.ctx.bail);
                Some(Native::Resume)
            }
        }
    }

    /// Counts a bail-out of `proto`'s native code (framed or pure; an OSR
    /// entry when `osr`) for reason `why`, with the policy that follows:
    /// framed code that fails guards repeatedly is compiled again
    /// ([`Vm::guard_failed`]), and a call entry that keeps bailing out is
    /// disabled after [`MAX_BAILS`].
    pub(super) fn count_bail(proto: &Proto, framed: bool, osr: bool, why: u64) {
        let stats = &proto.jit.stats;
        let why = why.min(3) as usize;
        stats.bails[why].set(stats.bails[why].get() + 1);
        if why == bail::GUARD as usize && framed {
            Self::guard_failed(proto, osr);
        }
        let repeated: u64 = stats.bails[bail::GUARD as usize].get() + stats.bails[bail::DEPTH as usize].get();
        if repeated > MAX_BAILS && !osr {
            proto.jit.call.set(None);
            proto.jit.call_state.set(JitSlot::REFUSED);
            proto.jit.reject(format!("disabled after {MAX_BAILS} bail-outs (guards or depth)"));
        }
    }
}
