//! The helpers framed native code calls for calls (see `jit_helpers` for the
//! frame invariant they rely on): the in-place `push` and a call of native
//! code (struct method calls are in `jit_methods`).
//!
//! Each CALL instruction of compiled code has a [`CallCache`]: the function it
//! called last, with that function's framed native code when it has some that
//! a call site can run itself. Compiled code reads the cache itself: when the
//! callee is that function, it runs the code without the VM, in one of two ways.
//!
//! - *Frameless* code (`NativeCode::frameless`: it never consults the VM's
//!   frame record) runs with the function's frame values starting at the first
//!   argument and no frame record, as methods do (`jit_methods`); on success
//!   the call site releases those values and the callee, and puts the result
//!   where the callee was, which is all the VM's return would do. Code that
//!   leaves to the VM part-way is finished by [`ruff_jit_call_bailed`], which
//!   pushes the frame record the call skipped.
//! - Other framed code, a recursive function's say, gets its frame record
//!   pushed by the call site itself ([`crate::runtime::vm::frame_layout`]), as
//!   the VM's call pushes it; [`ruff_jit_call_done`] then returns from it as
//!   the VM's return does, and [`ruff_jit_call_left`] finishes code that
//!   leaves to the VM part-way, raises or refuses its arguments, its record
//!   already in place.
//!
//! Anything else is [`ruff_jit_call`], which fills and refreshes the cache.

use std::rc::Rc;

use super::jit_helpers::{back_to_native, back_to_native_above_slots};
use super::Vm;
use crate::bytecode::Proto;
use crate::runtime::error::RuntimeError;
use crate::runtime::heap_layout::proto_bits;
use crate::runtime::tier::{status, JitCtx, NativeCode};
use crate::runtime::value::Value;

/// The frameless native code of a function, as a cache holds it for compiled
/// code to read (see the module documentation, and `jit_methods`).
#[repr(C)]
#[derive(Debug, Default)]
pub struct FramelessCode {
    /// The frameless call entry; 0 when the function has no frameless code
    /// (yet).
    entry: u64,
    /// That entry's `data`.
    data: u64,
    /// Values its frame needs from its first value on: its slots and its
    /// operand stack.
    room: u64,
    /// Its slots.
    nslots: u64,
    /// The address of its count of calls run natively without the VM
    /// (`JitStats::native_calls`, a `u64`; as for calls of pure code).
    calls: u64,
    /// The call entry of framed code that is not frameless, which a call site
    /// runs after pushing its frame record (see the module documentation); 0
    /// when the function has none (or `entry`).
    recorded: u64,
}

impl FramelessCode {
    /// Offsets of the words compiled code reads.
    pub const ENTRY: i32 = std::mem::offset_of!(FramelessCode, entry) as i32;
    pub const DATA: i32 = std::mem::offset_of!(FramelessCode, data) as i32;
    pub const ROOM: i32 = std::mem::offset_of!(FramelessCode, room) as i32;
    pub const NSLOTS: i32 = std::mem::offset_of!(FramelessCode, nslots) as i32;
    pub const CALLS: i32 = std::mem::offset_of!(FramelessCode, calls) as i32;
    pub const RECORDED: i32 = std::mem::offset_of!(FramelessCode, recorded) as i32;

    /// No entry: compiled code takes the helper.
    pub(super) fn clear(&mut self) {
        self.entry = 0;
        self.recorded = 0;
    }

    /// Reads `proto`'s native code again: the frameless entry when it has one
    /// now (it may have been compiled since, or dropped to be compiled again),
    /// or with `recorded`, any framed code. Returns the code when it is the
    /// kind a call site runs after pushing the frame record.
    pub(super) fn read(&mut self, proto: &Proto, recorded: bool) -> Option<NativeCode> {
        self.clear();
        let code = proto.jit.call.get().filter(|c| runs_at_call_site(c, recorded))?;
        let entry = code.entry as usize as u64;
        if code.frameless {
            self.entry = entry;
        } else {
            self.recorded = entry;
        }
        self.data = code.data as u64;
        self.room = u64::from(proto.nslots) + u64::from(code.stack_need);
        self.nslots = u64::from(proto.nslots);
        self.calls = &proto.jit.stats.native_calls as *const std::cell::Cell<u64> as u64;
        (!code.frameless).then_some(code)
    }
}

/// Whether a call site runs `code` itself: frameless code, or with `recorded`
/// any framed code.
fn runs_at_call_site(code: &NativeCode, recorded: bool) -> bool {
    code.framed && (code.frameless || recorded)
}

/// What a CALL instruction of compiled code called last (see the module
/// documentation): the function, and for compiled code its word and its
/// frameless code. The cache holds the function, so that no other one can
/// be made at its address while it does. A function is cached only when the
/// instruction passes it as many arguments as it has parameters, and a
/// function with captured variables never has frameless code, so the
/// function alone decides what a call runs.
#[repr(C)]
#[derive(Debug, Default)]
pub struct CallCache {
    /// The held function's word ([`proto_bits`], as a closure keeps it); 0
    /// while empty.
    proto: u64,
    code: FramelessCode,
    held: Option<Rc<Proto>>,
    /// The last framed code that `code` gave a call site to run after pushing
    /// its record, for [`ruff_jit_call_left`]: what the VM's bookkeeping is
    /// told ran. (Not cleared when another function is held: a recursive
    /// call may hold another before the outer call's code leaves, and the
    /// bookkeeping asks only whether the code was framed, as all such code is.)
    native: Option<NativeCode>,
}

impl CallCache {
    /// Offsets of the words compiled code reads.
    pub const PROTO: i32 = std::mem::offset_of!(CallCache, proto) as i32;
    /// Offset of the [`FramelessCode`].
    pub const CODE: i32 = std::mem::offset_of!(CallCache, code) as i32;

    /// Remembers `proto` as the function called, with no entry until the
    /// call's [`CallCache::refresh`]: the call may reach the same instruction
    /// again (recursion) before then, and must not find another function's
    /// entry there.
    #[inline(always)]
    fn hold(&mut self, proto: &Rc<Proto>) {
        if !self.held.as_ref().is_some_and(|p| Rc::ptr_eq(p, proto)) {
            self.code.clear();
            self.proto = proto_bits(proto);
            self.held = Some(proto.clone());
        }
    }

    /// Reads the held function's native code again.
    fn refresh(&mut self) {
        if let Some(proto) = &self.held {
            if let Some(code) = self.code.read(proto, true) {
                self.native = Some(code);
            }
        }
    }

    /// The held function.
    fn proto(&self) -> Option<&Rc<Proto>> {
        self.held.as_ref()
    }
}

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
/// A function called with as many arguments as it has parameters, whose
/// code is frameless or not there yet, is held in `cache`, refreshed after
/// the call (which may have compiled it).
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
/// instruction's initialised operands, the top `argc + 1` of its `depth`;
/// `cache` is the instruction's live cache.
pub unsafe extern "C" fn ruff_jit_call(
    ctx: *mut JitCtx,
    callee: *mut Value,
    argc: u32,
    pc: u32,
    depth: u32,
    need: u32,
    cache: *mut CallCache,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let Value::Func(c) = (unsafe { &*callee }) else { return 1 };
    let argc = argc as usize;
    // SAFETY: as documented; nothing else refers to the cache during the call.
    let cache = unsafe { &mut *cache };
    // Only a function whose code a call site can run, or may get some in this
    // call (its first compile), is worth the cache's work.
    let track =
        argc == c.proto.nparams as usize && c.proto.jit.call.get().is_none_or(|code| runs_at_call_site(&code, true));
    if track {
        cache.hold(&c.proto);
    }
    let done = unsafe { call(ctx, vm, c, callee, argc, pc, depth, need) };
    if track {
        cache.refresh();
    }
    done
}

/// [`ruff_jit_call`] but for the cache.
///
/// # Safety
/// As for [`ruff_jit_call`]; `c` is the closure at `callee`.
#[allow(clippy::too_many_arguments, reason = "the helper's arguments, passed on")]
#[inline(always)]
unsafe fn call(
    ctx: *mut JitCtx,
    vm: &mut Vm,
    c: &Rc<crate::runtime::object::Closure>,
    callee: *mut Value,
    argc: usize,
    pc: u32,
    depth: u32,
    need: u32,
) -> u32 {
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

/// After the frameless code of `cache`'s function, called by compiled code for
/// `CALL argc` at `pc`, left to the VM: the function's values are in place
/// from the first argument on (its slots, then the operand stack depth
/// `JitCtx::sp`), and it stopped at instruction `JitCtx::pc` for reason
/// `JitCtx::bail`. Counts the bail-out as the function's own, pushes the
/// frame record the call skipped (taking the callee's reference, as the VM's
/// call does), at that instruction, and lets the VM run the rest of the call,
/// as a step that pushed a frame does. `above` and `room` are as for a step.
/// Returns the next instruction's index (`pc + 1`) or `STEP_RAISED`.
///
/// # Safety
/// As for [`ruff_jit_call`]; the function's code has just returned
/// `status::BAILED` to the compiled caller, which has not touched the
/// context's `pc`, `sp` and `bail` since.
pub unsafe extern "C" fn ruff_jit_call_bailed(
    ctx: *mut JitCtx,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut CallCache,
    argc: u32,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`; nothing else refers to the cache.
    let (vm, cache) = unsafe { (&mut *((*ctx).vm as *mut Vm), &mut *cache) };
    let (resume, depth, why) = unsafe { ((*ctx).pc as usize, (*ctx).sp as usize, (*ctx).bail) };
    let (pc, argc) = (pc as usize, argc as usize);
    let r = vm.step_above_slots(pc, above as usize, |vm| {
        let proto = cache.proto().expect("compiled code called a cached function");
        Vm::count_bail(proto, true, false, why);
        vm.frames.last_mut()?.pc = pc + 1;
        let callee_at = vm.stack.len() - argc - 1;
        let top = callee_at + 1 + proto.nslots as usize + depth;
        debug_assert!(top <= vm.stack.capacity(), "compiled code checked the room");
        // SAFETY: the function's code keeps its frame complete: every slot
        // and every operand stack position below `depth` is an initialised
        // value in VM memory, within the capacity its caller checked.
        unsafe { vm.stack.set_len(top) };
        let Value::Func(c) = Value::take_split(&mut vm.stack[callee_at]) else {
            unreachable!("compiled code checked the callee")
        };
        vm.push_record(c, callee_at + 1, callee_at);
        vm.frames.last_mut()?.pc = resume;
        // The dispatch loop runs the rest of the call, then stops.
        None
    });
    cache.refresh();
    // SAFETY: as this function's.
    unsafe { back_to_native_above_slots(ctx, vm, r, room as usize) }
}

/// After framed code that a call site of compiled code ran with the frame
/// record it pushed (see the module documentation) returned `st`, not
/// `status::DONE`: the record is on top, the caller's below it at the
/// instruction after the call, and the function's values in place (for
/// `status::MISMATCH`, only its arguments: nothing ran, and its other slots
/// are null here first). Finishes the call as the VM's call does after such
/// code (counting the bail-out or the refusal and letting the VM run the rest
/// of the function, or raising the error with the function's frame in the
/// call stack), then refreshes the cache. `pc` is the call's, `above` and
/// `room` as for its step. Returns the next instruction's index or
/// `STEP_RAISED`.
///
/// # Safety
/// As for [`ruff_jit_call`]; `cache` is the instruction's, whose code the
/// call site ran, and the context's `pc`, `sp` and `bail` are as that code
/// left them.
pub unsafe extern "C" fn ruff_jit_call_left(
    ctx: *mut JitCtx,
    st: u32,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut CallCache,
) -> u32 {
    // SAFETY: as this function's; nothing else refers to the cache.
    unsafe { finish_left(ctx, st, pc, above, room, &mut *cache) }
}

/// A cache whose code a call site runs after pushing the callee's frame
/// record (`CallCache`, and `jit_methods::MethodCache`).
pub(super) trait RecordedCache {
    /// The code the call site ran.
    fn recorded(&self) -> NativeCode;
    /// Reads the held function's code again.
    fn reread(&mut self);
}

impl RecordedCache for CallCache {
    fn recorded(&self) -> NativeCode {
        self.native.expect("compiled code ran the cached code")
    }
    fn reread(&mut self) {
        self.refresh();
    }
}

/// What [`ruff_jit_call_left`] and `ruff_jit_method_left` share: the call's
/// step, after the callee's code (with its record on top) returned `st`, the
/// cache refreshed after it, and the way back to native code.
///
/// # Safety
/// As for [`ruff_jit_call_left`].
pub(super) unsafe fn finish_left(
    ctx: *mut JitCtx,
    st: u32,
    pc: u32,
    above: u32,
    room: u32,
    cache: &mut impl RecordedCache,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let r = left_step(vm, cache.recorded(), st, pc as usize, above as usize);
    cache.reread();
    // SAFETY: as this function's.
    unsafe { back_to_native_above_slots(ctx, vm, r, room as usize) }
}

/// The step of [`finish_left`].
fn left_step(vm: &mut Vm, code: NativeCode, st: u32, pc: usize, above: usize) -> Result<usize, RuntimeError> {
    // The step of the call, as the call helper's: the callee's record comes
    // off for it to begin at the caller's and goes back on first thing, with
    // the stack's length as the code left it (its last helper's, or the call
    // site's).
    let len = vm.stack.len();
    let frame = vm.frames.pop().expect("the pushed record");
    let (base, nslots, nparams) =
        (frame.base, frame.closure.proto.nslots as usize, frame.closure.proto.nparams as usize);
    vm.step_above_slots(pc, above, |vm| {
        vm.frames.last_mut()?.pc = pc + 1;
        vm.frames.push(frame);
        let top = base + nslots;
        if st == status::MISMATCH {
            for at in base + nparams..top {
                // SAFETY: the call site checked the room for the callee's
                // slots; these hold nothing yet (its code writes them only
                // once it runs).
                unsafe { std::ptr::write(vm.stack.as_mut_ptr().add(at), Value::Null) };
            }
        }
        // SAFETY: the values up to `len` are initialised: the callee's slots
        // (its arguments, and nulls written by its code or above) and what
        // its last helper left.
        unsafe { vm.stack.set_len(len) };
        vm.framed_left(code, st, top)
    })
}

/// After framed code that a call site of compiled code ran with the frame
/// record it pushed (see the module documentation) returned `status::DONE`
/// with its result at `out`: returns from the call as the VM's return does
/// (pops the record and any handler records above the caller's, drops the
/// function's values and the record's reference to it, and leaves the result
/// in the callee's position, the stack's length just past it), as after the
/// VM's entry of that code (`Vm::run_callee`).
///
/// # Safety
/// As for [`ruff_jit_call`]; `out` holds the result, which moves out of it,
/// and the context's `sp` is as the code left it.
pub unsafe extern "C" fn ruff_jit_call_done(ctx: *mut JitCtx, out: *const Value) {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let depth = unsafe { (*ctx).sp } as usize;
    let frame = vm.frames.last().expect("the pushed record");
    frame.closure.proto.jit.call_refused.set(0);
    let top = frame.base + frame.closure.proto.nslots as usize;
    // SAFETY: the code kept its slots and its operand stack below `depth`
    // initialised values, within the room the call site checked; the result
    // moves from `out` to the record's return position.
    unsafe {
        vm.stack.set_len(top + depth);
        let (_, ret) = vm.pop_frame();
        vm.stack.return_from(ret, out);
    }
}
