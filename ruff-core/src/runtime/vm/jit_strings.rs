//! The helper framed native code calls for `a + b` that its plan leaves to
//! the VM (see `jit_helpers` for the frame invariant it relies on): joining
//! two strings without a step's decoding and dispatch.

use super::jit_helpers::ruff_jit_step;
use super::Vm;
use crate::bytecode::proto::feedback;
use crate::runtime::tier::JitCtx;
use crate::runtime::value::Value;

/// `ADD` at `pc` of the running frame, whose slots plus operand stack depth
/// are `above`, that the plan left to the VM. Two strings are joined as the
/// VM's `ADD` joins them (and the instruction's feedback notes strings, as
/// the step would); anything else is the step ([`ruff_jit_step`]; `room` is
/// as for it). Returns the next instruction's index or `STEP_RAISED`.
///
/// # Safety
/// As for [`ruff_jit_step`].
pub unsafe extern "C" fn ruff_jit_join(ctx: *mut JitCtx, pc: u32, above: u32, room: u32) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let frame = vm.frames.last().expect("frame");
    // SAFETY: the frame invariant: the two operands are initialised values.
    let at = unsafe { vm.stack.as_mut_ptr().add(frame.base + above as usize - 2) };
    let joined = match unsafe { (&*at, &*at.add(1)) } {
        (Value::Str(a), Value::Str(b)) => crate::runtime::arith::join(a, b),
        // SAFETY: as this function's.
        _ => return unsafe { ruff_jit_step(ctx, pc, above, room) },
    };
    let cell = &frame.closure.proto.feedback[pc as usize];
    cell.set(cell.get() | feedback::STR);
    // SAFETY: the operands are this instruction's, dead once consumed; the
    // result takes the first one's position.
    unsafe {
        crate::runtime::value::release(at.add(1));
        Value::assign(&mut *at, joined);
    }
    pc + 1
}
