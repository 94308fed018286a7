//! The runtime: values and heap objects, formatting, arithmetic and comparison,
//! errors, builtins, the VM, and the tier boundary for the JIT.

pub mod arith;
pub mod builtins;
pub mod compare;
pub mod error;
pub mod format;
pub mod heap_layout;
pub mod keymap;
pub mod object;
pub mod tier;
pub mod value;
pub mod values;
pub mod vm;
