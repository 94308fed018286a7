//! Framed units: native code that runs inside its function's VM frame, for
//! functions the pure tier cannot take (heap values, calls to builtins or to
//! functions without native code, globals, output, `try`). See `runtime::tier`
//! for the contract: the frame is always complete, so leaving to the VM at any
//! instruction needs no write-back.
//!
//! `plan` decides how each instruction runs; `emit` translates it, with `heap`
//! and `arrays` for the heap-value operations it inlines and `emit::shortcuts` for the
//! common cases it runs natively before falling back to a step.

pub mod arrays;
pub mod emit;
pub mod heap;
pub mod plan;
