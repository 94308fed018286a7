//! `try` in framed native code: TRY_BEGIN and TRY_END push and pop the VM's
//! handler record, as the dispatch loop does, without a step. An error
//! raised afterwards unwinds to the record as to any other (the VM's
//! `unwind`); native code never jumps to a handler itself.

use super::{Handler, Vm};
use crate::runtime::tier::JitCtx;

/// TRY_BEGIN with handler `target` in the running frame, whose slots and
/// operand stack hold `above` values.
///
/// # Safety
/// `ctx` is the context of a framed entry that is running (with its frame
/// record on top).
pub unsafe extern "C" fn ruff_jit_try_begin(ctx: *mut JitCtx, target: u32, above: u32) {
    // SAFETY: as documented; nothing else refers to the VM during the call.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let frame = vm.frames.len();
    let base = vm.frames.last().expect("framed code runs in a frame").base;
    vm.handlers.push(Handler { frame, sp: base + above as usize, pc: target });
}

/// TRY_END: the innermost handler record goes.
///
/// # Safety
/// As for [`ruff_jit_try_begin`].
pub unsafe extern "C" fn ruff_jit_try_end(ctx: *mut JitCtx) {
    // SAFETY: as documented.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    vm.handlers.pop();
}
