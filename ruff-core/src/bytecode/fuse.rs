//! Superinstructions for the VM's dispatch loop.
//!
//! `fuse` copies a function's code and, at every pc where a common sequence
//! starts (a local compared with an int constant and branched on, arithmetic on
//! two locals, `return local`, the next element of a `for` stored in its
//! variable, ...), puts one instruction that does the whole
//! sequence. The sequence's other instructions stay where they were, so every pc
//! means the same in both copies:
//!
//! - a jump into the middle of a sequence runs the original instructions;
//! - the JIT, the disassembler, type feedback, error locations and
//!   deoptimisation (which resumes the VM at any pc) all keep using `Proto::code`
//!   numbering;
//! - a superinstruction whose operands are not the expected ints or floats (or
//!   whose int arithmetic overflows) just does its first instruction and lets the
//!   originals that follow do the rest, raising errors at their own pcs.
//!
//! Only the plain dispatch loop runs the fused copy: single steps for native code
//! and counting runs (`--jit-stats`) use `Proto::code`, whose instructions are
//! what they count.

use super::op::{Arith, Op};

/// The dispatch loop's copy of `code`.
pub fn fuse(code: &[Op]) -> Vec<Op> {
    (0..code.len()).map(|pc| fused_at(&code[pc..]).unwrap_or(code[pc])).collect()
}

/// How many instructions of the original code the op at a pc of the fused copy
/// stands for when its fast path runs (1 for ordinary instructions).
pub fn width(op: Op) -> usize {
    match op {
        Op::LocalsArithStore(..) => 4,
        Op::JumpIfNotLocalInt(..) | Op::LocalsArith(..) => 3,
        Op::ArithLocal(..) | Op::LoadLocal2(..) | Op::ReturnLocal(_) | Op::IterNextStore(..) => 2,
        _ => 1,
    }
}

fn arith(op: Op) -> Option<Arith> {
    match op {
        Op::Add => Some(Arith::Add),
        Op::Sub => Some(Arith::Sub),
        Op::Mul => Some(Arith::Mul),
        _ => None,
    }
}

/// The superinstruction for the sequence at the start of `code`, if any.
fn fused_at(code: &[Op]) -> Option<Op> {
    use Op::*;
    Some(match *code {
        [LoadLocal(s), Int(k), JumpIfNot(c, t), ..] => JumpIfNotLocalInt(c, s, k, t),
        [LoadLocal(a), LoadLocal(b), op, StoreLocal(d), ..] if arith(op).is_some() => {
            LocalsArithStore(arith(op)?, a, b, d)
        }
        [LoadLocal(a), LoadLocal(b), op, ..] if arith(op).is_some() => LocalsArith(arith(op)?, a, b),
        [LoadLocal(s), Return, ..] => ReturnLocal(s),
        [LoadLocal(s), op, ..] if arith(op).is_some() => ArithLocal(arith(op)?, s),
        [LoadLocal(a), LoadLocal(b), ..] => LoadLocal2(a, b),
        [IterNext(s, t), StoreLocal(d), ..] => IterNextStore(s, d, t),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::Cmp;

    #[test]
    fn sequences_fuse_in_place_and_keep_the_originals_after_them() {
        let code = [
            Op::LoadLocal(0),
            Op::Int(2),
            Op::JumpIfNot(Cmp::Lt, 7),
            Op::LoadLocal(1),
            Op::LoadLocal(2),
            Op::Mul,
            Op::StoreLocal(3),
            Op::LoadLocal(3),
            Op::Return,
            Op::IterNext(4, 0),
            Op::StoreLocal(6),
        ];
        let fused = fuse(&code);
        assert_eq!(fused.len(), code.len());
        assert_eq!(fused[0], Op::JumpIfNotLocalInt(Cmp::Lt, 0, 2, 7));
        assert_eq!(fused[3], Op::LocalsArithStore(Arith::Mul, 1, 2, 3));
        // The one after a fused start may start a sequence of its own.
        assert_eq!(fused[4], Op::ArithLocal(Arith::Mul, 2));
        assert_eq!(fused[7], Op::ReturnLocal(3));
        assert_eq!(fused[9], Op::IterNextStore(4, 6, 0));
        // Everything else is the original instruction, at its original pc.
        for pc in [1, 2, 5, 6, 8, 10] {
            assert_eq!(fused[pc], code[pc], "pc {pc}");
        }
        // A fused op stands for exactly the instructions it replaces.
        for (pc, op) in fused.iter().enumerate() {
            assert!(pc + width(*op) <= code.len());
        }
    }

    #[test]
    fn other_sequences_are_left_alone() {
        let code = [Op::LoadLocal(0), Op::Div, Op::LoadLocal(1), Op::Int(1), Op::Add, Op::Return];
        assert_eq!(fuse(&code), code.to_vec());
        let code = [Op::LoadLocal(0), Op::LoadLocal(1), Op::Lt];
        assert_eq!(fuse(&code)[0], Op::LoadLocal2(0, 1));
    }
}
