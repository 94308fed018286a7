//! Callbacks that a builtin calls once per element (`map(xs, f)`, `filter`,
//! `reduce`, ...). Each call is [`Vm::call_value`]'s, except that a closure
//! with pure native code is entered with less ceremony from the second call
//! on: the shared context ([`JitCtx`]) was prepared for this depth by the
//! call before, and nothing runs between two calls of the loop that could
//! change what it holds (pure code has no effects; the VM running a call
//! itself does, so after one the context is prepared again). Only the words
//! that native code changes are reset: the bail-out reason, the stress
//! counter, and the closure entered (a pure callee with captured values
//! overwrites it). A bail-out or a mismatch is settled as usual (statistics,
//! the bail-out policy) and the call then runs in a frame, as `call_value`
//! runs it after pure code declined.
//!
//! Besides the trampoline's, each call used to spend about 140 instructions
//! in that ceremony, then about 60 (callgrind on map/filter/reduce with
//! closures; figures in the README's "The JIT tier"). Once the closure's
//! entry is settled ([`Settled`]), the callback keeps it and enters it
//! without looking it up again, and `call_into`'s fast path is inlined into
//! the builtin's loop: about 22–27 instructions a call, besides the entry's
//! own (map, filter and reduce with closures over 100,000 elements 10 times:
//! 442 → 307 million instructions).

use std::cell::Cell;
use std::rc::Rc;

use super::native::JitRt;
use super::{Vm, MAX_REENTRY};
use crate::runtime::error::RuntimeError;
use crate::runtime::heap_layout::closure_bits;
use crate::runtime::object::Closure;
use crate::runtime::tier::{bail, status, JitCtx, NativeCode, HOT_ENTRIES};
use crate::runtime::value::Value;
use crate::runtime::values::{discard, is_counted, overwrite};

/// A function value a builtin is about to call many times.
pub(crate) struct Callback {
    f: Value,
    /// The context is prepared for entering pure code at this depth.
    ready: bool,
    /// The pure code entered by the call before, while it stays the closure's
    /// entry: see [`Settled`].
    settled: Option<Settled>,
}

/// A closure's pure call entry once it is settled: past [`HOT_ENTRIES`], so
/// entering it no longer counts towards a faster entry, and the entry changes
/// only when a call does not finish in it (settled as usual, which may drop
/// it) or after the VM ran one (the context is prepared again then). Until
/// either happens, the callback enters the code it holds without looking up
/// the closure's entry, checking it again, or counting the entry: about 50
/// instructions less a call (module notes).
#[derive(Clone, Copy)]
struct Settled {
    code: NativeCode,
    /// Arguments the code was entered with (its parameter count).
    argc: usize,
    /// `JitCtx::closure` for the call.
    closure: u64,
    /// The closure's count of native calls, when they are counted here (the
    /// compiled code does not count them), else null. The closure outlives
    /// the callback's `f`, which holds it.
    calls: *const Cell<u64>,
}

impl Callback {
    /// The callback `f` (any value: calling a non-function is the usual error).
    pub(crate) fn new(f: Value) -> Callback {
        Callback { f, ready: false, settled: None }
    }

    /// Calls it with `args`, as [`Vm::call_value`] would, and puts the result
    /// in `out` (its old value dropped first). Pure native code stores its
    /// result straight into `out`, in one 16-byte store: returned through a
    /// `Result<Value, _>` instead, the value was copied in pieces (its tag,
    /// its padding, its payload) into a slot that was then read back whole,
    /// and each such read waited for the pieces to reach memory (a failed
    /// store forward: most of `map`'s time per element).
    #[inline(always)]
    pub(crate) fn call_into(&mut self, vm: &mut Vm, args: &[Value], out: &mut Value) -> Result<(), RuntimeError> {
        if let Some(s) = self.settled {
            if s.argc == args.len() {
                if let Some(st) = vm.enter_settled(&s, args, out) {
                    if st == status::DONE {
                        if !s.calls.is_null() {
                            // SAFETY: the closure's stats, alive (see `Settled`).
                            let calls = unsafe { &*s.calls };
                            calls.set(calls.get() + 1);
                        }
                        return Ok(());
                    }
                    return self.declined(vm, s.code, st, args, out);
                }
            }
            self.settled = None;
        }
        self.call_slow(vm, args, out)
    }

    /// The settled code did not finish the call (status `st`): settled as
    /// [`Vm::pure_again`] settles it, and the call then runs in a frame.
    #[cold]
    #[inline(never)]
    fn declined(
        &mut self,
        vm: &mut Vm,
        code: NativeCode,
        st: u32,
        args: &[Value],
        out: &mut Value,
    ) -> Result<(), RuntimeError> {
        self.settled = None;
        let Value::Func(c) = &self.f else { unreachable!("settled code belongs to a closure") };
        let c = c.clone();
        let _ = vm.settle(&c.proto, code, st, false, Value::Null);
        *out = self.in_frame(vm, &c, args)?;
        Ok(())
    }

    /// [`Callback::call_into`] without settled code.
    #[inline(never)]
    fn call_slow(&mut self, vm: &mut Vm, args: &[Value], out: &mut Value) -> Result<(), RuntimeError> {
        let Value::Func(c) = &self.f else {
            *out = vm.call_value(&self.f, args)?;
            return Ok(());
        };
        if self.ready {
            overwrite(out, Value::Null);
            if let Some(settled) = vm.pure_again(c, args, out) {
                self.settled = settled;
                return Ok(());
            }
            let c = c.clone();
            *out = self.in_frame(vm, &c, args)?;
            return Ok(());
        }
        // The first call (or the first after the VM ran one): the full path,
        // which also compiles the function when it becomes hot, and prepares
        // the context when it enters pure code.
        let c = c.clone();
        if vm.jit.is_some() && vm.reentry < MAX_REENTRY {
            if let Some(v) = vm.native_call_with(&c, args) {
                self.ready = true;
                *out = v;
                return Ok(());
            }
        }
        *out = self.in_frame(vm, &c, args)?;
        Ok(())
    }

    /// Calls it with `args` and says whether the result is truthy.
    #[inline(always)]
    pub(crate) fn call_truthy(&mut self, vm: &mut Vm, args: &[Value]) -> Result<bool, RuntimeError> {
        let mut out = Value::Null;
        self.call_into(vm, args, &mut out)?;
        let truthy = out.truthy();
        discard(out);
        Ok(truthy)
    }

    /// The call run by the VM in a frame (after which the context must be
    /// prepared again), or `call_value`'s error for a call too deeply nested.
    fn in_frame(&mut self, vm: &mut Vm, c: &Rc<Closure>, args: &[Value]) -> Result<Value, RuntimeError> {
        self.ready = false;
        self.settled = None;
        if vm.reentry >= MAX_REENTRY {
            return Err(vm.nested_too_deep(c));
        }
        vm.call_in_frame(c, &self.f, args)
    }
}

impl Vm {
    /// Enters settled code on `args` with the context prepared by the
    /// callback's call before; the code stores the result over `out`. The
    /// status, or `None` without a tier.
    #[inline(always)]
    fn enter_settled(&mut self, s: &Settled, args: &[Value], out: &mut Value) -> Option<u32> {
        let jit = self.jit.as_mut()?;
        overwrite(out, Value::Null);
        // SAFETY: the code `pure_again` entered last with as many arguments,
        // which is still the closure's entry (see `Settled`).
        Some(unsafe { reenter(jit, s.code, s.closure, args, out) })
    }

    /// Enters closure `c`'s pure code on `args` with the context prepared by
    /// the callback's call before, which stores the result over `out` (a
    /// scalar, so nothing is released). `None` when it has none (any more)
    /// for these arguments, or the code bailed out or did not match (settled);
    /// else whether the code entered is now settled.
    #[inline]
    fn pure_again(&mut self, c: &Rc<Closure>, args: &[Value], out: &mut Value) -> Option<Option<Settled>> {
        let proto = &c.proto;
        debug_assert!(!is_counted(out), "pure code overwrites the result slot");
        let code = match proto.jit.call.get() {
            Some(code) if !code.framed && args.len() == proto.nparams as usize => code,
            _ => return None,
        };
        let jit = self.jit.as_mut()?;
        // SAFETY: `code` is `proto`'s pure entry for these arguments.
        let st = unsafe { reenter(jit, code, closure_bits(c), args, out) };
        if st == status::DONE {
            let calls = &proto.jit.stats.native_calls;
            let counted = !jit.native_counts;
            if counted {
                calls.set(calls.get() + 1);
            }
            // Settled when this entry no longer counts (it was past the count
            // before this call, so `entered` replaced nothing).
            let settled = proto.jit.vm_entries.get() >= HOT_ENTRIES;
            self.entered(proto, code);
            let calls: *const Cell<u64> = if counted { calls } else { std::ptr::null() };
            let closure = closure_bits(c);
            return Some(settled.then_some(Settled { code, argc: args.len(), closure, calls }));
        }
        let _ = self.settle(proto, code, st, false, Value::Null);
        None
    }
}

/// Enters pure `code` for the closure whose word is `closure` on `args`,
/// resetting only the context words native code changes (module notes); the
/// status.
///
/// # Safety
/// As in `Vm::run_entry`: `code` is pure code compiled for the closure's
/// function and these arguments; it reads them and the context, which the
/// previous entry prepared for this depth, and writes `out` only when done.
#[inline(always)]
unsafe fn reenter(jit: &mut JitRt, code: NativeCode, closure: u64, args: &[Value], out: &mut Value) -> u32 {
    jit.ctx.bail = bail::NONE;
    jit.ctx.stress = jit.stress;
    jit.ctx.closure = closure;
    let ctx: *mut JitCtx = &mut *jit.ctx;
    // SAFETY: the caller's contract.
    unsafe { (code.entry)(ctx, args.as_ptr(), out, code.data) }
}
