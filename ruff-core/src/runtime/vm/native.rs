//! The VM's side of the tier boundary (`runtime::tier`): deciding when a function or
//! loop is hot, asking the tier to compile it, entering native code, and replaying
//! in the VM when native code bails out.

use std::rc::Rc;

use super::Vm;
use crate::bytecode::Proto;
use crate::runtime::tier::{
    bail, status, JitCtx, JitMode, JitSlot, NativeEntry, Rejection, Tier, HOT_BACK_EDGES, HOT_CALLS,
};
use crate::runtime::value::Value;

/// Bail-outs (guard or depth) after which a function's native code is dropped
/// and the function stays in the VM.
const MAX_BAILS: u64 = 1_000;

/// Native stack kept free below the limit compiled code checks (helpers and the
/// VM's own frames need some).
const STACK_MARGIN: usize = 256 * 1024;

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
        JitRt { tier, mode, ctx, osr_mask, stress, native_counts }
    }
}

/// Runs a compile, turning a panic in the tier (a compiler bug) into a recorded
/// rejection: the function then simply stays in the VM.
fn guarded(f: impl FnOnce() -> Result<NativeEntry, Rejection>) -> Result<NativeEntry, Rejection> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Rejection::new("internal compiler error (a bug in the tier)")))
}

impl Vm {
    /// Prepares the shared context for one entry; false when native code must not
    /// run now (too close to the recursion limit or the end of the native stack).
    fn enter_ctx(&mut self) -> bool {
        let frames = self.frames.len();
        let max = self.options.max_depth;
        let Some(jit) = self.jit.as_mut() else { return false };
        if frames > max || (stack_here() as u64) < jit.ctx.stack_limit + STACK_MARGIN as u64 {
            return false;
        }
        jit.ctx.globals = self.globals.as_ptr();
        jit.ctx.depth = 0;
        jit.ctx.depth_limit = (max + 1 - frames) as u64;
        jit.ctx.bail = bail::NONE;
        jit.ctx.stress = jit.stress;
        true
    }

    /// Runs a call natively when `proto` has (or now gets) a call entry. The
    /// arguments are at `stack[at..at + argc]`. `None`: the VM runs the call.
    pub(crate) fn native_call(&mut self, proto: &Rc<Proto>, at: usize, argc: usize) -> Option<Value> {
        let slot = &proto.jit;
        let entry = match slot.call.get() {
            Some(e) => e,
            None => {
                let jit = self.jit.as_mut()?;
                if slot.call_state.get() != JitSlot::UNTRIED || argc != proto.nparams as usize {
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
                let (args, globals) = (&self.stack[at..at + argc], &self.globals);
                match guarded(|| jit.tier.compile_call(proto, args, globals)) {
                    Ok(e) => {
                        slot.call.set(Some(e));
                        slot.call_state.set(JitSlot::COMPILED);
                        e
                    }
                    Err(r) => {
                        slot.reject(r.reason);
                        return None;
                    }
                }
            }
        };
        if argc != proto.nparams as usize || !self.enter_ctx() {
            return None;
        }
        let args = self.stack[at..].as_ptr();
        self.enter(proto, entry, args, false)
    }

    /// Called on a loop back-edge to `pc` when the hotness mask says so: enters an
    /// OSR entry for that header (compiling it the first time). `Some(v)`: native
    /// code ran the function to its end and `v` is its result.
    pub(crate) fn native_loop(&mut self, pc: u32) -> Option<Value> {
        let frame = self.frames.last()?;
        let proto = frame.closure.proto.clone();
        let base = frame.base;
        if self.stack.len() != base + proto.nslots as usize {
            return None;
        }
        let known = proto.jit.osr.borrow().iter().find(|(p, _)| *p == pc).map(|(_, e)| *e);
        let entry = match known {
            Some(Some(e)) => e,
            Some(None) => return None,
            None => {
                let jit = self.jit.as_mut()?;
                let (slots, globals) = (&self.stack[base..], &self.globals);
                let made = guarded(|| jit.tier.compile_osr(&proto, pc, slots, globals));
                let entry = match made {
                    Ok(e) => Some(e),
                    Err(r) => {
                        proto.jit.reject(r.reason);
                        None
                    }
                };
                proto.jit.osr.borrow_mut().push((pc, entry));
                entry?
            }
        };
        if !self.enter_ctx() {
            return None;
        }
        let slots = self.stack[base..].as_ptr();
        self.enter(&proto, entry, slots, true)
    }

    fn enter(&mut self, proto: &Rc<Proto>, entry: NativeEntry, values: *const Value, osr: bool) -> Option<Value> {
        let jit = self.jit.as_mut()?;
        let mut out = Value::Null;
        // SAFETY: the tier compiled `entry` for this proto; `values` points at the
        // arguments or slots it expects (the VM's stack is not touched while native
        // code runs: it reads values and never writes VM memory), `ctx` is ours.
        let st = unsafe { entry(&mut *jit.ctx, values, &mut out) };
        let stats = &proto.jit.stats;
        match st {
            status::DONE => {
                if osr {
                    stats.osr_entries.set(stats.osr_entries.get() + 1);
                } else if !jit.native_counts {
                    stats.native_calls.set(stats.native_calls.get() + 1);
                }
                Some(out)
            }
            status::MISMATCH => {
                stats.mismatches.set(stats.mismatches.get() + 1);
                None
            }
            _ => {
                let why = jit.ctx.bail.min(3) as usize;
                stats.bails[why].set(stats.bails[why].get() + 1);
                let repeated: u64 = stats.bails[bail::GUARD as usize].get() + stats.bails[bail::DEPTH as usize].get();
                if repeated > MAX_BAILS && !osr {
                    proto.jit.call.set(None);
                    proto.jit.call_state.set(JitSlot::REFUSED);
                    proto.jit.reject(format!("disabled after {MAX_BAILS} bail-outs (guards or depth)"));
                }
                None
            }
        }
    }
}
