//! The Ruff language: diagnostics, the front end (lexer, parser, AST), the bytecode
//! compiler and the VM. The layers run diag → syntax → bytecode → compile → runtime →
//! api, and a module only uses layers to its left. Nothing here names Cranelift: the
//! JIT plugs in through [`runtime::tier`].

pub mod api;
pub mod bytecode;
pub mod compile;
pub mod diag;
pub mod runtime;
pub mod syntax;
