//! The boundary between the VM and a compiling tier (the Cranelift JIT lives in
//! the `ruff-jit` crate, which implements [`Tier`]; nothing in `ruff-core` names
//! Cranelift).
//!
//! The contract:
//! - The VM counts calls (`Proto::calls`) and loop back-edges (`Proto::back_edges`)
//!   and records operand kinds per instruction (`Proto::feedback`). When a function
//!   crosses [`HOT_CALLS`] or a loop crosses [`HOT_BACK_EDGES`] it asks the tier once
//!   via [`Tier::compile`]; a [`Rejection`] is remembered with its reason.
//! - Compiled code receives a [`JitFrame`]: a pointer to the function's slots
//!   (`Value`s laid out as documented in `runtime::value`), the argument count and a
//!   [`HelperTable`] of `extern "C"` slow paths it may call.
//! - Compiled code returns a [`NativeStatus`]. On `Deopt` it has written every live
//!   slot back into the frame and set `resume_pc`: the VM resumes interpreting that
//!   function at that bytecode offset, with the same result as if the tier had never
//!   run. On `Error` the helper that failed has stored the error in the VM.

use crate::bytecode::Proto;
use crate::runtime::value::Value;

/// Calls after which a function is offered to the tier.
pub const HOT_CALLS: u32 = 1_000;
/// Loop back-edges after which a running function is offered for on-stack
/// replacement at the loop header.
pub const HOT_BACK_EDGES: u32 = 10_000;

/// Why a tier declined to compile a function (shown by `--jit-stats`).
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// A short, stable description (`unsupported op IMPORT`, ...).
    pub reason: String,
}

/// How native code finished.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeStatus {
    /// Returned normally; the result is in `JitFrame::result`.
    Return = 0,
    /// A guard failed: slots are written back, resume at `JitFrame::resume_pc`.
    Deopt = 1,
    /// A runtime error was raised by a helper and stored in the VM.
    Error = 2,
}

/// The frame compiled code receives. `#[repr(C)]`: the JIT reads it by offset.
#[repr(C)]
#[derive(Debug)]
pub struct JitFrame {
    /// The function's slots (`nslots` values; parameters first).
    pub slots: *mut Value,
    /// Number of slots.
    pub nslots: u32,
    /// Where the VM resumes after a deopt.
    pub resume_pc: u32,
    /// The return value on `NativeStatus::Return`.
    pub result: Value,
    /// Opaque pointer to the VM for helpers.
    pub vm: *mut core::ffi::c_void,
}

/// Entry point of a compiled function.
pub type NativeEntry = unsafe extern "C" fn(frame: *mut JitFrame, helpers: *const HelperTable) -> NativeStatus;

/// Slow paths compiled code may call; every helper reports failure through its
/// return value and the VM, never by unwinding (a panic across JIT frames aborts).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HelperTable {
    /// `a OP b` for any values (op is the `BinOp` index); writes `*out`; 0 on success.
    pub binary: unsafe extern "C" fn(
        vm: *mut core::ffi::c_void,
        op: u32,
        a: *const Value,
        b: *const Value,
        out: *mut Value,
    ) -> u32,
    /// Calls `callee` with `argc` arguments at `args`; writes `*out`; 0 on success.
    pub call: unsafe extern "C" fn(
        vm: *mut core::ffi::c_void,
        callee: *const Value,
        args: *const Value,
        argc: u32,
        out: *mut Value,
    ) -> u32,
}

/// Native code for one function.
#[derive(Debug, Clone, Copy)]
pub struct NativeCode {
    /// The entry point.
    pub entry: NativeEntry,
    /// Exact machine-code size in bytes (perf maps, profilers).
    pub size: usize,
}

/// A compiling tier.
pub trait Tier {
    /// Compiles a function, or says why not.
    fn compile(&mut self, proto: &Proto) -> Result<NativeCode, Rejection>;
}
