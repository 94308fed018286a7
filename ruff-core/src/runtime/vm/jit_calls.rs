//! The helpers framed native code calls for calls (see `jit_helpers` for the
//! frame invariant they rely on): the in-place `push` and a call of native
//! code (struct method calls are in `jit_methods`).

use std::rc::Rc;

use super::jit_helpers::back_to_native;
use super::Vm;
use crate::runtime::tier::JitCtx;
use crate::runtime::value::Value;

/// `local = push(local, item)` (CALL_UPDATE of two arguments into a local) done
/// as the VM's own in-place append: `callee` is the call's callee, followed by
/// its two arguments. When the callee is an appending builtin (`push`,
/// `append`) and the first argument an array, empties `local` (as the VM does
/// before the call, so an unshared array grows in place), appends the item,
/// leaves the array in the callee's position, the arguments' positions dead,
/// and returns 0. Otherwise changes nothing and returns 1 (native code then
/// steps the instruction). Compiled code appends inline when the array has
/// room; this helper is its path for growing.
///
/// # Safety
/// `local` and the three values from `callee` on are initialised values of the
/// running frame, `local` not among the three.
pub unsafe extern "C" fn ruff_jit_push_update(local: *mut Value, callee: *mut Value) -> u32 {
    if !unsafe { super::call::appends_in_place(&*callee, &*callee.add(1)) } {
        return 1;
    }
    // SAFETY: as documented; the two arguments are moved out and their
    // positions are above the stack's depth after this instruction.
    unsafe {
        Value::assign(&mut *local, Value::Null);
        let item = std::ptr::read(callee.add(2));
        let Value::Array(mut arr) = std::ptr::read(callee.add(1)) else { unreachable!("checked an array") };
        Rc::make_mut(&mut arr).push(item);
        Value::assign(&mut *callee, Value::Array(arr));
    }
    0
}

/// `CALL argc` at `pc` (with `depth` operand stack values) of a Ruff function
/// that has, or now gets, native code, as the VM's call does it (`Vm::call`):
///
/// - pure code (`Vm::native_call`, compiling the function when it has become
///   hot) runs without a frame; the callee and the arguments are dropped and
///   the result written in the callee's position;
/// - framed code gets the function's frame, as the step would push it, and
///   runs in it ([`Vm::run_callee`]); the result is in the callee's position
///   and the stack may have moved (native code reloads `JitCtx::base`). When
///   that code leaves to the VM part-way, the VM runs the rest of the call here,
///   as the step does; an error it raises is the step's error.
///
/// Returns 0 when the call is done (the operands dead but the result's),
/// [`super::jit_helpers::STEP_RAISED`] when it raised, and 1, the operands
/// unchanged, for anything else (not a function, another argument count, no
/// native code): native code then steps the instruction, and when this helper
/// did try pure code, the step does not try again (a bail-out is counted
/// once). Afterwards the stack has room for `need` operand values, as after a
/// step.
///
/// # Safety
/// `ctx` is the context of a framed entry that is running, with the frame
/// invariant of `jit_helpers`; `callee` and the `argc` values after it are the
/// instruction's initialised operands, the top `argc + 1` of its `depth`.
pub unsafe extern "C" fn ruff_jit_call(
    ctx: *mut JitCtx,
    callee: *mut Value,
    argc: u32,
    pc: u32,
    depth: u32,
    need: u32,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let Value::Func(c) = (unsafe { &*callee }) else { return 1 };
    let argc = argc as usize;
    if c.proto.jit.call.get().is_some_and(|code| code.framed) {
        if argc != c.proto.nparams as usize {
            return 1;
        }
        let next = pc as usize + 1;
        let r = vm.step_with(pc as usize, depth as usize, |vm| {
            vm.frames.last_mut()?.pc = next;
            let callee_at = vm.stack.len() - argc - 1;
            match vm.push_callee(callee_at, argc) {
                Ok(()) => vm.run_callee(next),
                Err(e) => Some(Err(e)),
            }
        });
        // SAFETY: as this function's.
        return match unsafe { back_to_native(ctx, vm, r, need) } {
            super::jit_helpers::STEP_RAISED => super::jit_helpers::STEP_RAISED,
            _ => 0,
        };
    }
    let c = c.clone();
    // SAFETY: the arguments are initialised values; pure code only reads them,
    // and nothing moves the VM's stack during the call.
    let args = unsafe { std::slice::from_raw_parts(callee.add(1), argc) };
    match vm.native_call_with(&c, args) {
        Some(v) => {
            // SAFETY: the operands are the instruction's, dead once consumed.
            unsafe {
                for i in 1..=argc {
                    crate::runtime::value::release(callee.add(i));
                }
                Value::assign(&mut *callee, v);
            }
            0
        }
        None => {
            vm.native_tried = true;
            1
        }
    }
}
