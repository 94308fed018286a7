//! The Cranelift tier for the Ruff VM. This crate implements the `Tier` trait of
//! `ruff_core::runtime::tier`; the translator lands with the JIT issue.
