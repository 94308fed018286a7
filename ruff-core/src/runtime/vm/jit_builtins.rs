//! The helper framed native code calls for a call of a builtin (see
//! `jit_helpers` for the frame invariant it relies on).
//!
//! A step runs such a call through the dispatch machinery: it decodes the
//! instruction again, goes through `Vm::call`, moves the arguments into a
//! buffer, and refreshes the context afterwards, 160 instructions a call
//! more than [`ruff_jit_call_builtin`] (callgrind, a loop of `len(a)`), which
//! calls the builtin on its arguments where they are, and is what a step
//! would have done otherwise.

use super::jit_helpers::{back_to_native_above_slots, ruff_jit_step};
use super::Vm;
use crate::runtime::tier::JitCtx;
use crate::runtime::value::Value;

/// `CALL argc` at `pc` of the running frame, whose slots plus operand stack
/// depth are `above` (the callee and its `argc` arguments on top), compiled
/// where the callee was a builtin. When it is one that calls no Ruff code
/// and accepts `argc` arguments, calls it as the VM's call does, with the
/// same result, the same error at the same location, and no change to the
/// stack but the callee's position, which holds the result. Anything else
/// is the step ([`ruff_jit_step`]; `room` is as for it). Returns the next
/// instruction's index or `STEP_RAISED`.
///
/// A builtin that calls no Ruff code never touches the VM's stack or frames
/// (it gets the VM for output, the clock and the program's arguments), so its
/// arguments are passed where they lie. The stack's length covers the callee
/// during the call, as in the VM once its arguments are taken.
///
/// # Safety
/// As for [`ruff_jit_step`]; `argc` is the instruction's operand.
pub unsafe extern "C" fn ruff_jit_call_builtin(ctx: *mut JitCtx, pc: u32, above: u32, room: u32, argc: u32) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let (pc, argc) = (pc as usize, argc as usize);
    let frame = vm.frames.last_mut().expect("frame");
    let callee_at = frame.base + above as usize - argc - 1;
    // SAFETY: the frame invariant: the callee and its arguments are
    // initialised values within the room native code reserved.
    let callee = unsafe { vm.stack.as_mut_ptr().add(callee_at) };
    let b = match unsafe { &*callee } {
        Value::Native(b) if !b.calls_back && b.arity.accepts(argc) => *b,
        // SAFETY: as this function's.
        _ => return unsafe { ruff_jit_step(ctx, pc as u32, above, room) },
    };
    // An error is located at the call (the VM's pc is past it).
    frame.pc = pc + 1;
    // SAFETY: the stack's first `callee_at + 1` values are initialised (the
    // frame invariant); the arguments above are this call's alone.
    let r = unsafe {
        vm.stack.set_len(callee_at + 1);
        let args = std::slice::from_raw_parts_mut(callee.add(1), argc);
        let r = (b.func)(vm, args);
        // What the builtin left of its arguments (it may have taken some).
        std::ptr::drop_in_place(args as *mut [Value]);
        r
    };
    match r {
        Ok(v) => {
            // SAFETY: the callee's position holds the builtin, which is not
            // counted; nothing moved the stack.
            unsafe { Value::assign(&mut *callee, v) };
            pc as u32 + 1
        }
        Err(e) => {
            // As the VM's failed call: the callee's position is dead, and the
            // error unwinds from the call.
            let r = vm.step_above_slots(pc, above as usize - argc - 1, |vm| {
                vm.frames.last_mut()?.pc = pc + 1;
                Some(Err(e))
            });
            // SAFETY: as this function's.
            unsafe { back_to_native_above_slots(ctx, vm, r, room as usize) }
        }
    }
}
