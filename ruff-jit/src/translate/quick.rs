//! Partial inlining of a self-call where no more copies of the body fit
//! (`Tx::inline_self_call`): the call site runs the callee's *quick return*,
//! the instructions from its entry that reach a `return` without a call,
//! loop or side effect (fib's `if n < 2 { return n }`, tak's
//! `return z`), and makes the call only where that code leads elsewhere.
//! A call that returns at once then costs a compare instead of a prologue
//! and epilogue: half the calls a doubly recursive function makes are such
//! base cases.
//!
//! The quick return is pure, so running it again in the callee, when the call
//! is made after all, changes nothing. It is part of a Ruff call, so it
//! counts towards the recursion limit (the unit's entry checks room for it:
//! `Tx::copy_levels`), and an error or guard inside it bails out like one in
//! an inlined copy.

use cranelift_codegen::ir::{Block, InstBuilder, Value};
use ruff_core::bytecode::Op;
use ruff_core::runtime::tier::Rejection;

use super::{Tx, UnitKind};
use crate::scalar::Loc;

/// The longest quick return copied to a call site, in instructions: a few
/// compares and a result, not a body.
const QUICK_MAX: usize = 16;

/// The instructions of the quick return of `code` (whose reachable ones have
/// a state), or `None` when it has none or a longer one than `QUICK_MAX`:
/// those reached from the entry through instructions that cannot call, loop
/// or change anything outside the frame, and from which such a path goes on
/// to a `return`.
pub fn quick_return<S>(code: &[Op], states: &[Option<S>]) -> Option<Vec<bool>> {
    let n = code.len();
    let mut reached = vec![false; n];
    let mut todo = vec![0usize];
    while let Some(pc) = todo.pop() {
        if pc >= n || reached[pc] || states[pc].is_none() || !quick(code[pc], pc) {
            continue;
        }
        reached[pc] = true;
        todo.extend(successors(code[pc], pc));
    }
    // Every edge between quick instructions goes forward, so one backward
    // pass finds those that lead to a return.
    let mut keep = vec![false; n];
    for pc in (0..n).rev() {
        if reached[pc] {
            keep[pc] = matches!(code[pc], Op::Return) || successors(code[pc], pc).any(|s| s < n && keep[s]);
        }
    }
    let len = keep.iter().filter(|k| **k).count();
    (n > 0 && keep[0] && len <= QUICK_MAX).then_some(keep)
}

/// Whether the instruction at `pc` may be part of a quick return: it only
/// reads and writes the frame's scalars (a global read is checked on entry),
/// and a jump goes forward.
fn quick(op: Op, pc: usize) -> bool {
    if op.target().is_some_and(|t| t as usize <= pc) {
        return false;
    }
    matches!(
        op,
        Op::Const(_)
            | Op::Int(_)
            | Op::Null
            | Op::True
            | Op::False
            | Op::Pop
            | Op::Dup
            | Op::LoadLocal(_)
            | Op::StoreLocal(_)
            | Op::LoadGlobal(_)
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Mod
            | Op::Eq
            | Op::Ne
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Neg
            | Op::Not
            | Op::ToBool
            | Op::AddLocal(_)
            | Op::IncLocal(..)
            | Op::LocalAddInt(..)
            | Op::LocalSubInt(..)
            | Op::Jump(_)
            | Op::JumpIfFalse(_)
            | Op::JumpIfTrue(_)
            | Op::JumpIfNot(..)
            | Op::JumpIfNotNull(_)
            | Op::Return
    )
}

/// Where a quick instruction may go on to.
fn successors(op: Op, pc: usize) -> impl Iterator<Item = usize> {
    let next = (!matches!(op, Op::Return | Op::Jump(_))).then_some(pc + 1);
    let target = if matches!(op, Op::Return) { None } else { op.target().map(|t| t as usize) };
    next.into_iter().chain(target)
}

/// A copy of the quick return being emitted: its frame, and the block making
/// the call where it does not return.
pub struct QuickCopy {
    pub frame: u16,
    pub slow: Block,
}

impl Tx<'_, '_> {
    /// Whether the instruction at `pc` is emitted in the current copy of the
    /// body: all of it, except in a quick return's copy.
    pub(super) fn emitted(&self, pc: usize) -> bool {
        match (&self.quick_copy, &self.quick) {
            (Some(c), Some(keep)) if c.frame == self.frame => keep[pc],
            _ => true,
        }
    }

    /// The block where the current copy goes to instruction `pc` when it is
    /// not emitted: the quick return's call.
    pub(super) fn not_emitted(&self, pc: usize) -> Option<Block> {
        let c = self.quick_copy.as_ref()?;
        (c.frame == self.frame && !self.emitted(pc)).then_some(c.slow)
    }

    /// The self-call at `pc`, with arguments `args` and callee `c`, as its
    /// quick return followed, where that does not return, by the call.
    pub(super) fn quick_self_call(&mut self, pc: usize, c: usize, args: &[Value]) -> Result<(), Rejection> {
        let UnitKind::Call(kinds) = &self.u.kind else {
            return Err(Rejection::new("inlining outside a call unit"));
        };
        let cont = self.b.create_block();
        self.b.append_block_param(cont, self.ret_ty);
        let slow = self.b.create_block();
        let outer_ret = self.ret_to;
        self.frame += 1;
        self.ret_to = Some(cont);
        self.quick_copy = Some(QuickCopy { frame: self.frame, slow });
        self.create_blocks();
        for (i, k) in kinds.clone().into_iter().enumerate() {
            self.set(Loc::Slot(i as u16), k, args[i]);
        }
        // What holds here holds in the call and after it: every path to
        // them passes through this site.
        let known = self.facts.save();
        self.body(true)?;
        self.quick_copy = None;
        self.frame -= 1;
        self.ret_to = outer_ret;
        self.b.switch_to_block(slow);
        self.b.seal_block(slow);
        self.facts.restore(known.clone());
        let mut call_args = vec![self.ctx, self.callee_budget];
        call_args.extend_from_slice(args);
        let (r, failed) = self.call(c, &call_args)?;
        let prop = self.propagate_block();
        self.b.ins().brif(failed, prop, &[], cont, &[r.into()]);
        self.returned(pc, cont, known);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::quick_return;
    use ruff_core::bytecode::{Cmp, Op};

    fn all(code: &[Op]) -> Vec<Option<()>> {
        vec![Some(()); code.len()]
    }

    #[test]
    fn the_quick_return_stops_before_calls_and_keeps_only_what_returns() {
        // fib: if n < 2 { return n } return fib(n - 1) + fib(n - 2)
        let fib = [
            Op::LoadLocal(0),
            Op::Int(2),
            Op::JumpIfNot(Cmp::Lt, 5),
            Op::LoadLocal(0),
            Op::Return,
            Op::LoadGlobal(0),
            Op::LocalSubInt(0, -1),
            Op::Call(1),
            Op::LoadGlobal(0),
            Op::LocalSubInt(0, -2),
            Op::Call(1),
            Op::Add,
            Op::Return,
        ];
        let keep = quick_return(&fib, &all(&fib)).expect("fib has one");
        assert_eq!(keep.iter().filter(|k| **k).count(), 5);
        assert!(keep[..5].iter().all(|k| *k), "the compare and the early return");
        // The global read and subtraction lead only to a call.
        assert!(!keep[5] && !keep[6]);
    }

    #[test]
    fn no_quick_return_without_a_call_free_return_or_with_a_loop() {
        // if d > 0 { return deep(d - 1) } return other(d): every return calls.
        let calls = [
            Op::LoadLocal(0),
            Op::Int(0),
            Op::JumpIfNot(Cmp::Gt, 8),
            Op::LoadGlobal(0),
            Op::LocalSubInt(0, 1),
            Op::Call(1),
            Op::Return,
            Op::Null,
            Op::LoadGlobal(1),
            Op::LoadLocal(0),
            Op::Call(1),
            Op::Return,
        ];
        assert!(quick_return(&calls, &all(&calls)).is_none());
        // A return only after a loop: its backward jump is not quick.
        let looped = [Op::LoadLocal(0), Op::Pop, Op::Loop(0), Op::Null, Op::Return];
        assert!(quick_return(&looped, &all(&looped)).is_none());
        // A return before the loop is: the loop's body leads to the call.
        let before = [Op::LoadLocal(0), Op::JumpIfFalse(3), Op::Loop(0), Op::LoadLocal(0), Op::Return];
        let keep = quick_return(&before, &all(&before)).expect("a return past the loop");
        assert_eq!(keep, [true, true, false, true, true]);
        // Unreachable code (no state) is never part of it.
        let unreached = [Op::LoadLocal(0), Op::Return];
        assert!(quick_return(&unreached, &[None, Some(())]).is_none());
        assert!(quick_return::<()>(&[], &[]).is_none());
    }

    #[test]
    fn a_long_quick_return_is_not_copied() {
        let mut long = vec![Op::LoadLocal(0)];
        long.extend(std::iter::repeat_n(Op::Dup, 14));
        long.push(Op::Return);
        assert!(quick_return(&long, &all(&long)).is_some(), "16 instructions fit");
        long.insert(1, Op::Dup);
        assert!(quick_return(&long, &all(&long)).is_none(), "17 do not");
    }
}
