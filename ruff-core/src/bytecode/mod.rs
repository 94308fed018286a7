//! Bytecode: the instruction set ([`Op`]), compiled functions ([`Proto`]) and the
//! disassembler. Produced by `compile`, executed by `runtime::vm`, read by the JIT.

pub mod disasm;
pub mod fuse;
pub mod op;
pub mod proto;

pub use op::{Arith, Cmp, Op, SlotReads, Tag, Var};
pub use proto::{Const, Proto};
