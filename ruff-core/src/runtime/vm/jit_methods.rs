//! Struct method calls from framed native code (see `jit_helpers` for the
//! frame invariant the helpers rely on). Each CALL_METHOD instruction of
//! compiled code has a [`MethodCache`]: the struct type its receiver had last
//! and that type's method closure. Compiled code reads the cache itself:
//!
//! - When the receiver has the cached type and the method has *frameless*
//!   native code (`NativeCode::frameless`: it never consults the VM's frame
//!   record), compiled code calls that code straight away, with the method's
//!   frame values starting at the receiver, and no frame record: on success it
//!   releases those values and moves the result over the receiver, which is
//!   all the VM's return would do. When the method's code leaves to the VM
//!   part-way, [`ruff_jit_method_bailed`] pushes the frame record it skipped
//!   (its values are already in place, complete, as framed code keeps them)
//!   and the VM runs the rest of the call.
//! - A method whose framed code is not frameless, called by a method of the
//!   same name (a recursive method), gets its frame record pushed by the call
//!   site, as `jit_calls` describes for functions; the record counts a
//!   reference to the cached closure ([`MethodCache::CLOSURE`]), and
//!   [`ruff_jit_method_left`] finishes code that leaves to the VM.
//! - Otherwise [`ruff_jit_call_method`] runs the instruction as a step, with
//!   the method found through the cache instead of by name, and fills or
//!   refreshes the cache for the next call.

use std::rc::Rc;

use super::call::Called;
use super::jit_calls::{finish_left, FramelessCode, RecordedCache};
use super::jit_helpers::back_to_native_above_slots;
use super::Vm;
use crate::bytecode::Op;
use crate::runtime::error::RuntimeError;
use crate::runtime::heap_layout::{closure_bits, type_bits};
use crate::runtime::object::{Closure, StructType};
use crate::runtime::tier::{JitCtx, NativeCode};

/// What a CALL_METHOD instruction found last: the struct type of its receiver
/// and that type's method closure of the instruction's name, and, for
/// compiled code, the type's word and the method's frameless entry. A struct
/// type never changes once declared (declaring the name again makes a new
/// one), so a receiver of the same type has the same method. The cache holds
/// the type and the closure, so that no other type can be made at the
/// type's address while it does, and the closure's function lives on.
#[repr(C)]
#[derive(Debug, Default)]
pub struct MethodCache {
    /// The held type's word ([`type_bits`]); 0 while empty.
    ty: u64,
    /// The method's frameless code, or its other framed code; its frame
    /// starts at the receiver.
    code: FramelessCode,
    /// The held method closure's word ([`closure_bits`]), which a call site
    /// that pushes the method's frame record gives the record (counting a
    /// reference for it).
    closure: u64,
    held: Option<(Rc<StructType>, Rc<Closure>)>,
    /// As `CallCache`'s: the last code a call site ran after pushing its
    /// record, for [`ruff_jit_method_left`].
    native: Option<NativeCode>,
    /// The held method takes the instruction's arguments (and its receiver):
    /// its code may run at the call site. A method called with another count
    /// is always the VM's call, which raises the VM's error.
    fits: bool,
}

impl MethodCache {
    /// Offset of the word compiled code compares.
    pub const TY: i32 = std::mem::offset_of!(MethodCache, ty) as i32;
    /// Offset of the [`FramelessCode`].
    pub const CODE: i32 = std::mem::offset_of!(MethodCache, code) as i32;
    /// Offset of the method closure's word.
    pub const CLOSURE: i32 = std::mem::offset_of!(MethodCache, closure) as i32;

    /// The method for a receiver of type `ty`, when it is the one remembered.
    #[inline(always)]
    fn get(&self, ty: &Rc<StructType>) -> Option<&Rc<Closure>> {
        match &self.held {
            Some((t, method)) if Rc::ptr_eq(t, ty) => Some(method),
            _ => None,
        }
    }

    /// Remembers `method` as the method of receivers of type `ty`, with its
    /// entry read at once: the call that fills the cache may reach the same
    /// instruction again (recursion through the method) before its helper
    /// refreshes the cache, and must not find the old method's entry there.
    fn fill(&mut self, ty: &Rc<StructType>, method: &Rc<Closure>, argc: usize) {
        self.ty = type_bits(ty);
        self.closure = closure_bits(method);
        self.held = Some((ty.clone(), method.clone()));
        self.fits = method.proto.nparams as usize == argc + 1;
        self.refresh();
    }

    /// A cache that holds `method` of type `ty` for good: the one of a call
    /// site whose compiled code runs that method in line (inlined), given to
    /// [`ruff_jit_inline_bailed`] when that code leaves to the VM. Nothing
    /// refills it, and it keeps the type (and so its address, which the
    /// inlined code compares) and the method alive as long as the code.
    pub fn inlined(ty: &Rc<StructType>, method: &Rc<Closure>, argc: usize) -> MethodCache {
        let mut cache = MethodCache::default();
        cache.fill(ty, method, argc);
        cache
    }

    /// Reads the held method's native code again.
    fn refresh(&mut self) {
        self.code.clear();
        if let Some((_, method)) = self.held.as_ref().filter(|_| self.fits) {
            if let Some(code) = self.code.read(&method.proto, true) {
                self.native = Some(code);
            }
        }
    }

    /// The held method.
    fn method(&self) -> Option<&Rc<Closure>> {
        self.held.as_ref().map(|(_, m)| m)
    }
}

/// `CALL_METHOD name argc` at `pc`, as [`super::jit_helpers::ruff_jit_step`]
/// runs it (same result), except that a struct receiver's method closure
/// comes from `cache` (filled here the first time, and again when the
/// receiver's type changes) instead of a search by name. Anything but a
/// struct type's closure method (a function-valued field, a dict entry, a
/// builtin called as a method, a struct made before its type was declared) is
/// the VM's ordinary step. Compiled code passes what it knows of the frame
/// and the instruction: the frame's slots plus the operand stack's depth
/// (`above`), the slots plus the room it needs after the call (`room`), and
/// the argument count, so that the common case reads neither the running
/// function nor its code.
///
/// # Safety
/// As for `ruff_jit_step`; `cache` is the instruction's live cache, and the
/// three counts are those of the running frame and instruction.
pub unsafe extern "C" fn ruff_jit_call_method(
    ctx: *mut JitCtx,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut MethodCache,
    argc: u32,
) -> u32 {
    let argc = argc as usize;
    // SAFETY: as this function's.
    unsafe {
        method_step(ctx, pc, above, room, cache, |vm, cache, pc| match vm.cached_method(pc, argc, cache) {
            Some((closure, recv_at, argc)) => {
                vm.frames.last_mut()?.pc = pc + 1;
                let called = vm.push_frame(closure, recv_at, argc + 1, recv_at).map(|()| Called::Frame);
                vm.finish_call(called, pc + 1)
            }
            None => {
                if vm.counting {
                    let stats = &vm.frames.last()?.closure.proto.jit.stats;
                    stats.stepped_insns.set(stats.stepped_insns.get() + 1);
                }
                vm.step_fast(pc)
            }
        })
    }
}

/// After the frameless code of `cache`'s method, called by compiled code for
/// `CALL_METHOD` at `pc` (arguments as for [`ruff_jit_call_method`]), left to
/// the VM: the method's values are in place from the receiver on (its slots,
/// then the operand stack depth `JitCtx::sp`), and it stopped at instruction
/// `JitCtx::pc` for reason `JitCtx::bail`. Counts the bail-out as the
/// method's own, pushes the frame record the call skipped, at that
/// instruction, and lets the VM run the rest of the call, as a step that
/// pushed a frame does. Returns the next instruction's index (`pc + 1`) or
/// `STEP_RAISED`.
///
/// # Safety
/// As for [`ruff_jit_call_method`]; the method's code has just returned
/// `status::BAILED` to the compiled caller, which has not touched the
/// context's `pc`, `sp` and `bail` since.
pub unsafe extern "C" fn ruff_jit_method_bailed(
    ctx: *mut JitCtx,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut MethodCache,
    argc: u32,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let (resume, depth, why) = unsafe { ((*ctx).pc as usize, (*ctx).sp as usize, (*ctx).bail) };
    let argc = argc as usize;
    let finish = |vm: &mut Vm, cache: &mut MethodCache, pc: usize| {
        let method = cache.method().expect("compiled code called a cached method").clone();
        let recv_at = vm.stack.len() - argc - 1;
        let proto = &method.proto;
        Vm::count_bail(proto, true, false, why);
        vm.frames.last_mut()?.pc = pc + 1;
        let top = recv_at + proto.nslots as usize + depth;
        debug_assert!(top <= vm.stack.capacity(), "compiled code checked the room");
        // SAFETY: the method's code keeps its frame complete: every slot and
        // every operand stack position below `depth` is an initialised value
        // in VM memory, within the capacity its caller checked.
        unsafe { vm.stack.set_len(top) };
        vm.push_record(method.clone(), recv_at, recv_at);
        vm.frames.last_mut()?.pc = resume;
        // The dispatch loop runs the rest of the method, then stops.
        None
    };
    // SAFETY: as this function's.
    unsafe { method_step(ctx, pc, above, room, cache, finish) }
}

/// As [`ruff_jit_method_bailed`], for a method whose code the caller's
/// compiled code runs in line (its `cache` is [`MethodCache::inlined`]): the
/// inlined code left to the VM, and the method's values are in place from
/// the receiver on. Besides finishing the call as that helper does, a failed
/// guard counts against the caller's code too (`osr`: its code is an OSR
/// entry), which is then compiled again after as many as any other code's,
/// and the `OTHER` note in the caller's feedback at `pc` tells that compile
/// not to inline the method there again.
///
/// # Safety
/// As for [`ruff_jit_method_bailed`].
pub unsafe extern "C" fn ruff_jit_inline_bailed(
    ctx: *mut JitCtx,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut MethodCache,
    argc: u32,
    osr: u32,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let (vm, why) = unsafe { (&*((*ctx).vm as *const Vm), (*ctx).bail) };
    if why == crate::runtime::tier::bail::GUARD {
        if let Some(frame) = vm.frames.last() {
            let caller = frame.closure.proto.clone();
            if let Some(cell) = caller.feedback.get(pc as usize) {
                cell.set(cell.get() | crate::bytecode::proto::feedback::OTHER);
            }
            Vm::guard_failed(&caller, osr != 0);
        }
    }
    // SAFETY: as this function's.
    unsafe { ruff_jit_method_bailed(ctx, pc, above, room, cache, argc) }
}

/// As `jit_calls::ruff_jit_call_left`, for a method whose framed code a call
/// site of compiled code ran after pushing its frame record (at the
/// receiver), for `CALL_METHOD` at `pc`: the method's code returned `st`,
/// not `status::DONE`, and the VM finishes the call.
///
/// # Safety
/// As for `jit_calls::ruff_jit_call_left`, with the instruction's method
/// cache.
pub unsafe extern "C" fn ruff_jit_method_left(
    ctx: *mut JitCtx,
    st: u32,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut MethodCache,
) -> u32 {
    // SAFETY: as this function's; nothing else refers to the cache.
    unsafe { finish_left(ctx, st, pc, above, room, &mut *cache) }
}

impl RecordedCache for MethodCache {
    fn recorded(&self) -> NativeCode {
        self.native.expect("compiled code ran the cached code")
    }
    fn reread(&mut self) {
        self.refresh();
    }
}

/// What both helpers share: the call as a step of the VM whose fast part is
/// `call` (see [`Vm::step_above_slots`]), given the VM, the cache and the
/// instruction's index; the cache refreshed after it (the call may have
/// compiled the method, or dropped its code); and the way back to native
/// code.
///
/// # Safety
/// As for [`ruff_jit_call_method`].
unsafe fn method_step(
    ctx: *mut JitCtx,
    pc: u32,
    above: u32,
    room: u32,
    cache: *mut MethodCache,
    call: impl FnOnce(&mut Vm, &mut MethodCache, usize) -> Option<Result<usize, RuntimeError>>,
) -> u32 {
    // SAFETY: as for `ruff_jit_step`.
    let vm = unsafe { &mut *((*ctx).vm as *mut Vm) };
    let cache = unsafe { &mut *cache };
    let pc = pc as usize;
    let r = vm.step_above_slots(pc, above as usize, |vm| call(vm, cache, pc));
    cache.refresh();
    // SAFETY: as this function's.
    unsafe { back_to_native_above_slots(ctx, vm, r, room as usize) }
}

impl Vm {
    /// The method closure CALL_METHOD at `pc` (of `argc` arguments) calls,
    /// with its receiver's stack position and argument count, when the
    /// receiver is a struct whose type has a closure method of that name (as
    /// `Vm::call_method` finds it); `None` otherwise.
    #[inline(always)]
    fn cached_method(&self, pc: usize, argc: usize, cache: &mut MethodCache) -> Option<(Rc<Closure>, usize, usize)> {
        let recv_at = self.stack.len() - argc - 1;
        let crate::runtime::value::Value::Struct(s) = &self.stack[recv_at] else { return None };
        let ty = s.ty.as_ref()?;
        if let Some(c) = cache.get(ty) {
            return Some((c.clone(), recv_at, argc));
        }
        let proto = &self.frames.last()?.closure.proto;
        let Op::CallMethod(k, n) = proto.code[pc] else { return None };
        debug_assert_eq!(n as usize, argc, "compiled code passes the instruction's count");
        let name = super::dispatch::name_const(proto, k);
        let Some(crate::runtime::value::Value::Func(c)) = ty.method(name) else { return None };
        proto.jit.note_receiver(pc, ty);
        cache.fill(ty, c, argc);
        Some((c.clone(), recv_at, argc))
    }
}
