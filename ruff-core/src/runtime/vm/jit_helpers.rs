//! Helpers that framed native code calls (see `runtime::tier`). Framed code runs
//! inside its function's VM frame and keeps that frame complete: every slot and
//! every operand stack position below the current depth holds an initialised
//! value in VM memory (scalars are written there before a helper that may read
//! them runs). The helpers rely on that:
//!
//! - [`ruff_jit_step`] runs any one instruction in the VM, after setting the
//!   stack's length from the depth native code passes. It is the general case:
//!   calls, globals, building values, `try`, iteration over collections and so on
//!   behave exactly as in the VM because the VM does them.
//! - The small helpers (copy, drop, store, index, index assignment, field, the
//!   in-place `push`, a closure's captured value, a call of pure native code,
//!   a struct literal, `local += value`)
//!   work on value addresses and leave the stack's length alone, so native code
//!   can call them between steps without bookkeeping.
//! - A method call (`ruff_jit_call_method`, in `jit_methods`) is a step that
//!   finds the method through the instruction's cache instead of by name;
//!   compiled code may call the method's frameless code itself, and
//!   `ruff_jit_method_bailed` finishes such a call in the VM.
//!   `ruff_jit_index` changes nothing when the operation would raise: native code
//!   then leaves to the VM at that instruction, which raises the error with its
//!   usual message and call stack.
//!
//! Native code reloads [`JitCtx::base`] after every step (the stack may move).

pub use super::jit_builtins::ruff_jit_call_builtin;
pub use super::jit_calls::{
    ruff_jit_call, ruff_jit_call_bailed, ruff_jit_call_done, ruff_jit_call_left, ruff_jit_push_update, CallCache,
    FramelessCode,
};
pub use super::jit_compare::{ruff_jit_match_enum, ruff_jit_plain_struct, PlainTypeCache};
pub use super::jit_methods::{
    ruff_jit_call_method, ruff_jit_inline_bailed, ruff_jit_method_bailed, ruff_jit_method_left, MethodCache,
};
pub use super::jit_promote::{promotable, ruff_jit_promote, PromotedFields};
pub use super::jit_strings::ruff_jit_join;
pub use super::jit_try::{ruff_jit_try_begin, ruff_jit_try_end};
pub use super::struct_pool::{name_key, pool, shape_key, LiteralCache, Pool, MAX_FIELDS};

use super::call::Called;
use super::{gstate, Vm};

use crate::bytecode::proto::feedback;
use crate::bytecode::{Const, Op};
use crate::runtime::error::RuntimeError;
use crate::runtime::heap_layout::FieldCache;
use crate::runtime::tier::JitCtx;
use crate::runtime::value::Value;
use crate::syntax::ast::BinOp;
use std::rc::Rc;

/// What [`ruff_jit_step`] returns when the instruction raised (the error waits in
/// the VM until native code has returned [`crate::runtime::tier::status::RAISED`]).
pub const STEP_RAISED: u32 = u32::MAX;

/// Runs the instruction at `pc` of the running frame, whose slots plus operand
/// stack depth are `above`; afterwards the stack has room for `room` values
/// from the frame's base (its slots plus what compiled code needs). Returns
/// the next instruction's index or [`STEP_RAISED`]. Compiled code passes the
/// two counts with its slots added in (it knows them), so that a step reads
/// nothing through the frame's closure and function for them.
///
/// # Safety
/// `ctx` is the context of a framed entry that is running, and the frame
/// invariant of this module holds; the counts are the running frame's.
pub unsafe extern "C" fn ruff_jit_step(ctx: *mut JitCtx, pc: u32, above: u32, room: u32) -> u32 {
    // SAFETY: the VM set `ctx.vm` to itself before entering the native code that
    // calls us, and holds no reference into itself across that call.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    if vm.counting {
        let stats = &vm.frames.last().expect("frame").closure.proto.jit.stats;
        stats.stepped_insns.set(stats.stepped_insns.get() + 1);
    }
    let pc = pc as usize;
    let r = vm.step_above_slots(pc, above as usize, |vm| vm.step_fast(pc));
    // SAFETY: as this function's.
    unsafe { back_to_native_above_slots(ctx, vm, r, room as usize) }
}

/// Native code's side of a step (or of a call the VM made for it): points `ctx`
/// at the frame's slots and the globals again, makes room for `need` operand
/// stack values and turns `r` into the next instruction or [`STEP_RAISED`].
///
/// # Safety
/// As for [`ruff_jit_step`]; `vm` is `ctx`'s VM.
pub(super) unsafe fn back_to_native(ctx: *mut JitCtx, vm: &mut Vm, r: Result<usize, RuntimeError>, need: u32) -> u32 {
    let nslots = vm.frames.last().expect("frame").closure.proto.nslots as usize;
    // SAFETY: as this function's.
    unsafe { back_to_native_above_slots(ctx, vm, r, nslots + need as usize) }
}

/// [`back_to_native`] given the frame's slots plus `need` (`room`), which
/// compiled code knows.
///
/// # Safety
/// As for [`back_to_native`].
#[inline(always)]
pub(super) unsafe fn back_to_native_above_slots(
    ctx: *mut JitCtx,
    vm: &mut Vm,
    r: Result<usize, RuntimeError>,
    room: usize,
) -> u32 {
    let base = vm.frames.last().expect("frame").base;
    let len = vm.stack.len();
    vm.stack.reserve((base + room + 1).saturating_sub(len));
    // SAFETY: `base` is within the stack.
    unsafe {
        (*ctx).base = vm.stack.as_mut_ptr().add(base);
        (*ctx).vm = (vm as *mut Vm).cast();
        // The step may have defined a global (moving the vector) or, returning
        // from another module's code, switched back to this one's.
        (*ctx).globals = vm.globals.as_ptr();
        (*ctx).gstates = vm.gstates.as_ptr();
    }
    match r {
        Ok(next) => next as u32,
        Err(e) => {
            vm.pending = Some(e);
            STEP_RAISED
        }
    }
}

/// Writes a copy of `*src` to the dead position `dst`.
///
/// # Safety
/// `src` is an initialised value; `dst` is writable and holds nothing that needs
/// dropping.
pub unsafe extern "C" fn ruff_jit_clone(dst: *mut Value, src: *const Value) {
    unsafe { std::ptr::write(dst, (*src).clone()) }
}

/// Drops the value at `v` (the position is dead afterwards).
///
/// # Safety
/// `v` is an initialised value that nothing else will drop.
pub unsafe extern "C" fn ruff_jit_drop(v: *mut Value) {
    // Native code calls this for the last reference to an object; a struct's
    // is kept for reuse (`struct_pool`).
    // SAFETY: the value is read out once and its position is dead.
    match unsafe { std::ptr::read(v) } {
        Value::Struct(obj) => super::struct_pool::recycle(obj),
        other => drop(other),
    }
}

/// Moves the value at `src` into `slot`, dropping what `slot` held (`src` is dead
/// afterwards).
///
/// # Safety
/// Both are initialised values, at different addresses.
pub unsafe extern "C" fn ruff_jit_store(slot: *mut Value, src: *mut Value) {
    unsafe { Value::assign_from(&mut *slot, src) }
}

/// `target[index]`: on success drops both, writes the element to `target` and
/// returns 0; returns 1, changing nothing, when the VM would raise.
///
/// # Safety
/// Both are initialised values, at different addresses.
pub unsafe extern "C" fn ruff_jit_index(target: *mut Value, index: *mut Value) -> u32 {
    // A dict read by an int key, the common case, found without building a
    // `Result` (an int index owns nothing to drop).
    if let (Value::Dict(d), Value::Int(k)) = unsafe { (&*target, &*index) } {
        let Some(v) = d.get(&crate::runtime::object::Key::Int(*k)) else { return 1 };
        let v = v.clone();
        unsafe { *target = v };
        return 0;
    }
    let r = unsafe { super::access::index(&*target, &*index) };
    match r {
        Ok(v) => {
            unsafe {
                std::ptr::drop_in_place(index);
                *target = v;
            }
            0
        }
        Err(_) => 1,
    }
}

/// `target.name` (`FIELD`, or `KEY_OR_NULL` when `or_null` is non-zero): on
/// success replaces `target` by the field's value and returns 0; returns 1,
/// changing nothing, when the VM would raise. `name` is the instruction's name
/// constant (kept alive by its function). A struct's field found by name is
/// remembered in `cache` (the instruction's [`FieldCache`]), for compiled code
/// to read the next struct of the same shape without calling here.
///
/// # Safety
/// `target` is an initialised value; `name` points to a live `Rc<str>`;
/// `cache` is null or points to a live cache.
pub unsafe extern "C" fn ruff_jit_field(
    target: *mut Value,
    name: *const std::rc::Rc<str>,
    or_null: u32,
    cache: *mut FieldCache,
) -> u32 {
    let (target, name) = unsafe { (&mut *target, &**name) };
    let found = match &*target {
        Value::Struct(s) => s.index_of(name).map(|i| {
            // SAFETY: `cache` is null or the instruction's live cache.
            if let Some(cache) = unsafe { cache.as_mut() } {
                cache.fill(s, i);
            }
            s.values[i].clone()
        }),
        _ => None,
    };
    if let Some(v) = found {
        *target = v;
        return 0;
    }
    let v = if or_null != 0 {
        super::access::key_or_null(target, name)
    } else {
        match super::access::field(target, name) {
            Ok(v) => v,
            Err(_) => return 1,
        }
    };
    *target = v;
    0
}

/// `slot[key] = value` (SET_PATH of a local with one key, not a field) when it
/// cannot fail: consumes `key` and `value` (their positions are dead afterwards)
/// and returns 0; returns 1, changing nothing, otherwise (the VM then runs the
/// instruction, raising its error if there is one).
///
/// # Safety
/// All three are initialised values, at different addresses.
pub unsafe extern "C" fn ruff_jit_set_index(slot: *mut Value, key: *mut Value, value: *mut Value) -> u32 {
    // SAFETY: `value` is initialised; on failure the bits are given back and
    // forgotten here, so the position keeps owning them.
    let v = unsafe { std::ptr::read(value) };
    // An int key of a dict, the common case (an int key owns nothing to drop).
    if let (Value::Dict(d), Value::Int(k)) = unsafe { (&mut *slot, &*key) } {
        Rc::make_mut(d).insert(crate::runtime::object::Key::Int(*k), v);
        return 0;
    }
    match super::access::try_assign_index(unsafe { &mut *slot }, unsafe { &*key }, v) {
        Ok(()) => {
            unsafe { std::ptr::drop_in_place(key) };
            0
        }
        Err(v) => {
            std::mem::forget(v);
            1
        }
    }
}

/// `slot.name = value` (SET_PATH of a local with one key, a field; `key`
/// holds the name) when it cannot fail: the local holds a struct or a dict.
/// Consumes `key` and `value` (their positions are dead afterwards), fills
/// `cache` with the struct's shape and the field's position (for the
/// instruction's inline path), and returns 0; returns 1, changing nothing,
/// otherwise (the VM then runs the instruction and raises its error).
///
/// # Safety
/// All three are initialised values, at different addresses; `cache` is null
/// or the instruction's live cache.
pub unsafe extern "C" fn ruff_jit_set_field(
    slot: *mut Value,
    key: *mut Value,
    value: *mut Value,
    cache: *mut FieldCache,
) -> u32 {
    // SAFETY: `value` is initialised; on failure the bits are given back and
    // forgotten here, so the position keeps owning them.
    let v = unsafe { std::ptr::read(value) };
    match super::access::try_assign_field(unsafe { &mut *slot }, unsafe { &*key }, v) {
        Ok(at) => {
            if let (Some(i), Value::Struct(s), Some(cache)) = (at, unsafe { &*slot }, unsafe { cache.as_mut() }) {
                cache.fill(s, i);
            }
            unsafe { std::ptr::drop_in_place(key) };
            0
        }
        Err(v) => {
            std::mem::forget(v);
            1
        }
    }
}

/// `local += value` (ADD_LOCAL) from framed code, without a step: the VM's
/// in-place add (`dispatch::add_in_place`: a string appended in place when the
/// local's is unshared, two ints or two floats added), then the operand
/// dropped from the stack. Anything else (an int overflow, other kinds)
/// returns 1 with nothing changed, and the caller steps the instruction,
/// which the dispatch loop then runs (so `step_fast` has no case for it).
///
/// # Safety
/// `slot` is a local's value and `rhs` the operand on the stack above the
/// frame, both initialised and distinct.
pub unsafe extern "C" fn ruff_jit_add_local(slot: *mut Value, rhs: *mut Value) -> u32 {
    match super::dispatch::add_in_place(unsafe { &mut *slot }, unsafe { &*rhs }) {
        Some(_) => {
            unsafe { std::ptr::drop_in_place(rhs) };
            0
        }
        None => 1,
    }
}

impl Vm {
    /// The instructions framed code steps most (a global's value, a string
    /// constant, a call of a builtin) done without
    /// entering the dispatch loop: exactly what the loop's cases do, their
    /// feedback included. `None`: the loop must run it (or, after
    /// a call, finish the callee's frame, see [`Vm::finish_call`]).
    pub(super) fn step_fast(&mut self, pc: usize) -> Option<Result<usize, RuntimeError>> {
        let op = self.frames.last()?.closure.proto.code[pc];
        match op {
            Op::LoadGlobal(g) if self.gstates[g as usize] != gstate::UNDEFINED => {
                let v = self.global_value(g as usize);
                self.stack.push(v);
                Some(Ok(pc + 1))
            }
            Op::Const(k) => {
                let v = super::dispatch::const_value(&self.frames.last()?.closure.proto.consts[k as usize]);
                self.stack.push(v);
                Some(Ok(pc + 1))
            }
            // Float arithmetic on values framed code holds as heap-kinded (a
            // struct's field, an array's element), and joining two strings: the
            // VM's own rules, without its dispatch loop.
            Op::Add | Op::Sub | Op::Mul => {
                let n = self.stack.len();
                let (a, b) = (&self.stack[n.checked_sub(2)?], &self.stack[n - 1]);
                let r = match super::dispatch::float_pair(a, b) {
                    Some((x, y)) => Value::Float(match op {
                        Op::Add => x + y,
                        Op::Sub => x - y,
                        _ => x * y,
                    }),
                    None if matches!((op, a, b), (Op::Add, Value::Str(_), Value::Str(_))) => {
                        match crate::runtime::arith::arith(BinOp::Add, a, b) {
                            Ok(v) => v,
                            Err(e) => {
                                self.frames.last_mut()?.pc = pc + 1;
                                return Some(Err(e));
                            }
                        }
                    }
                    None => return None,
                };
                // What the loop's case notes (a later compile guesses ints
                // where nothing was noted).
                let seen = if matches!(r, Value::Float(_)) { feedback::FLOAT } else { feedback::STR };
                let cell = &self.frames.last()?.closure.proto.feedback[pc];
                cell.set(cell.get() | seen);
                self.stack.truncate(n - 2);
                self.stack.push(r);
                Some(Ok(pc + 1))
            }
            Op::MakeDict(n) => {
                // As the loop's throw: an error is located at the instruction
                // before the frame's pc.
                self.frames.last_mut()?.pc = pc + 1;
                Some(self.make_dict(n as usize).map(|()| pc + 1))
            }
            // Calls of builtins, and of Ruff functions and methods run to their end
            // here when they have native code (otherwise the loop runs the frame
            // pushed for them).
            Op::Call(argc) | Op::CallUpdate(argc, _) => {
                self.frames.last_mut()?.pc = pc + 1;
                let update = if let Op::CallUpdate(_, var) = op { Some(var) } else { None };
                let called = self.call(argc as usize, update);
                self.finish_call(called, pc + 1)
            }
            Op::CallMethod(k, argc) => {
                let frame = self.frames.last_mut()?;
                frame.pc = pc + 1;
                let name = super::dispatch::name_const(&frame.closure.proto, k).clone();
                let called = self.call_method(&name, argc as usize);
                self.finish_call(called, pc + 1)
            }
            _ => None,
        }
    }

    /// After a call made by [`Vm::step_fast`]: a pushed frame runs natively to its
    /// end when its function has framed code; `None` leaves the rest of the
    /// callee to the dispatch loop (no native code, or native code that left to
    /// the VM part-way).
    pub(super) fn finish_call(
        &mut self,
        called: Result<Called, RuntimeError>,
        next: usize,
    ) -> Option<Result<usize, RuntimeError>> {
        match called {
            Ok(Called::Done) => Some(Ok(next)),
            Err(e) => Some(Err(e)),
            Ok(Called::Frame) => self.run_callee(next),
        }
    }
}

/// `LOAD_CAPTURE index`: writes a copy of the running closure's captured value
/// `index` to the dead position `dst` (what the VM pushes).
///
/// # Safety
/// `ctx` is the context of a framed entry that is running; `dst` is writable
/// and holds nothing that needs dropping; `index` is the instruction's operand.
pub unsafe extern "C" fn ruff_jit_capture(ctx: *mut JitCtx, index: u32, dst: *mut Value) {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &*((*ctx).vm as *const Vm) };
    let frame = vm.frames.last().expect("frame");
    let v = frame.closure.captures.borrow()[index as usize].clone();
    unsafe { std::ptr::write(dst, v) }
}

/// `STORE_CAPTURE index`: moves the value at `src` (the operand the VM pops,
/// a dead position afterwards) into the running closure's capture `index`,
/// dropping the value it held.
///
/// # Safety
/// `ctx` is the context of a framed entry that is running; `src` is an
/// initialised value that nothing else will drop; `index` is the instruction's
/// operand.
pub unsafe extern "C" fn ruff_jit_store_capture(ctx: *mut JitCtx, index: u32, src: *mut Value) {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &*((*ctx).vm as *const Vm) };
    let frame = vm.frames.last().expect("frame");
    // SAFETY: the operand moves out once; its position is dead after.
    let v = unsafe { std::ptr::read(src) };
    frame.closure.captures.borrow_mut()[index as usize] = v;
}

/// `MAKE_STRUCT` of shape constant `shape`: moves the literal's field values
/// from `at` on into a new struct, written at `at` (the positions after it are
/// dead afterwards), as the VM makes it (`Vm::make_struct`).
///
/// # Safety
/// `ctx` is the context of a framed entry that is running; `shape` is the
/// instruction's live `Const::Shape`; `at` and the positions after it hold
/// one initialised value per field (with no field, `at` is a dead position);
/// `cache` is the instruction's, which it fills.
pub unsafe extern "C" fn ruff_jit_make_struct(
    ctx: *mut JitCtx,
    shape: *const Const,
    at: *mut Value,
    cache: *mut LiteralCache,
) {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let Const::Shape { name, fields } = (unsafe { &*shape }) else { unreachable!("MAKE_STRUCT without a shape") };
    // SAFETY: the caller's values, moved out once; their positions are dead
    // until the result is written over the first.
    unsafe {
        let v = vm.structs.instance_at(name, fields, at, &mut *cache);
        std::ptr::write(at, v)
    }
}

/// The helpers by symbol name, for the tier to link against.
pub fn symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("ruff_jit_step", ruff_jit_step as *const u8),
        ("ruff_jit_clone", ruff_jit_clone as *const u8),
        ("ruff_jit_drop", ruff_jit_drop as *const u8),
        ("ruff_jit_store", ruff_jit_store as *const u8),
        ("ruff_jit_index", ruff_jit_index as *const u8),
        ("ruff_jit_set_index", ruff_jit_set_index as *const u8),
        ("ruff_jit_set_field", ruff_jit_set_field as *const u8),
        ("ruff_jit_field", ruff_jit_field as *const u8),
        ("ruff_jit_push_update", ruff_jit_push_update as *const u8),
        ("ruff_jit_capture", ruff_jit_capture as *const u8),
        ("ruff_jit_call", ruff_jit_call as *const u8),
        ("ruff_jit_call_method", ruff_jit_call_method as *const u8),
        ("ruff_jit_make_struct", ruff_jit_make_struct as *const u8),
        ("ruff_jit_add_local", ruff_jit_add_local as *const u8),
        ("ruff_jit_store_capture", ruff_jit_store_capture as *const u8),
        ("ruff_jit_method_bailed", ruff_jit_method_bailed as *const u8),
        ("ruff_jit_plain_struct", ruff_jit_plain_struct as *const u8),
        ("ruff_jit_call_bailed", ruff_jit_call_bailed as *const u8),
        ("ruff_jit_match_enum", ruff_jit_match_enum as *const u8),
        ("ruff_jit_try_begin", ruff_jit_try_begin as *const u8),
        ("ruff_jit_try_end", ruff_jit_try_end as *const u8),
        ("ruff_jit_call_builtin", ruff_jit_call_builtin as *const u8),
        ("ruff_jit_call_left", ruff_jit_call_left as *const u8),
        ("ruff_jit_call_done", ruff_jit_call_done as *const u8),
        ("ruff_jit_method_left", ruff_jit_method_left as *const u8),
        ("ruff_jit_join", ruff_jit_join as *const u8),
        ("ruff_jit_promote", ruff_jit_promote as *const u8),
        ("ruff_jit_inline_bailed", ruff_jit_inline_bailed as *const u8),
    ]
}
