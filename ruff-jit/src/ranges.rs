//! What the pure translator knows about the range of int values, so that int
//! arithmetic that cannot overflow is emitted without its check: after
//! `if n < 2 { return n }`, `n - 1` and `n - 2` cannot overflow, and a loop
//! counter below its bound can be incremented unchecked. Each check dropped is
//! a compare, a branch and a basic block less, for Cranelift to compile and for
//! the processor to run (fib's unit: 14 of its 185 blocks).
//!
//! A fact is a range for one SSA value, so it holds wherever that value is
//! used in code the fact's origin dominates. The translator keeps the facts of
//! the block it is emitting ([`Facts::get`]); a block entered by exactly one
//! edge inherits the facts at that edge plus what the branch taken implies
//! ([`Facts::hand_to`], [`Facts::enter`]); any other block starts with none.
//! Losing a fact only costs a check, so everything unsure starts empty.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstructionData, Value};
use cranelift_frontend::FunctionBuilder;
use rustc_hash::FxHashMap;

/// An inclusive range of `i64` values (never empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub lo: i64,
    pub hi: i64,
}

impl Range {
    /// Every `i64`: nothing known.
    pub const ALL: Range = Range { lo: i64::MIN, hi: i64::MAX };

    /// The range of the one value `k`.
    pub fn exactly(k: i64) -> Range {
        Range { lo: k, hi: k }
    }

    /// The values in both ranges, or `None` when there are none.
    pub fn meet(self, o: Range) -> Option<Range> {
        let r = Range { lo: self.lo.max(o.lo), hi: self.hi.min(o.hi) };
        (r.lo <= r.hi).then_some(r)
    }

    /// The range of `x + y`, or `None` when some sum would overflow. A sum
    /// grows with each operand, so the extremes bound it.
    pub fn add(self, o: Range) -> Option<Range> {
        Some(Range { lo: self.lo.checked_add(o.lo)?, hi: self.hi.checked_add(o.hi)? })
    }

    /// The range of `x - y`, or `None` when some difference would overflow.
    pub fn sub(self, o: Range) -> Option<Range> {
        Some(Range { lo: self.lo.checked_sub(o.hi)?, hi: self.hi.checked_sub(o.lo)? })
    }

    /// The range of `x * y`, or `None` when some product would overflow. A
    /// product is linear in each operand, so over a box it lies between the
    /// products of the corners.
    pub fn mul(self, o: Range) -> Option<Range> {
        let c = [
            self.lo.checked_mul(o.lo)?,
            self.lo.checked_mul(o.hi)?,
            self.hi.checked_mul(o.lo)?,
            self.hi.checked_mul(o.hi)?,
        ];
        Some(Range { lo: *c.iter().min()?, hi: *c.iter().max()? })
    }
}

/// The ranges `x` and `y` narrow to when `x cc y` holds (signed comparisons
/// and equality; `None` for other conditions, and when no pair satisfies it,
/// an edge that is never taken).
pub fn implied(cc: IntCC, x: Range, y: Range) -> Option<(Range, Range)> {
    match cc {
        IntCC::SignedLessThan => {
            // x < y: x <= y.hi - 1 and y >= x.lo + 1.
            let nx = x.meet(Range { lo: i64::MIN, hi: y.hi.checked_sub(1)? })?;
            let ny = y.meet(Range { lo: x.lo.checked_add(1)?, hi: i64::MAX })?;
            Some((nx, ny))
        }
        IntCC::SignedLessThanOrEqual => {
            let nx = x.meet(Range { lo: i64::MIN, hi: y.hi })?;
            let ny = y.meet(Range { lo: x.lo, hi: i64::MAX })?;
            Some((nx, ny))
        }
        IntCC::SignedGreaterThan => implied(IntCC::SignedLessThan, y, x).map(|(ny, nx)| (nx, ny)),
        IntCC::SignedGreaterThanOrEqual => implied(IntCC::SignedLessThanOrEqual, y, x).map(|(ny, nx)| (nx, ny)),
        IntCC::Equal => {
            let both = x.meet(y)?;
            Some((both, both))
        }
        _ => None,
    }
}

/// The condition and operands of `cond` when an `icmp` of two ints defines it.
pub fn int_compare(b: &FunctionBuilder<'_>, cond: Value) -> Option<(IntCC, Value, Value)> {
    let dfg = &b.func.dfg;
    let inst = dfg.value_def(cond).inst()?;
    let InstructionData::IntCompare { cond: cc, args: [x, y], .. } = dfg.insts[inst] else {
        return None;
    };
    (dfg.value_type(x) == types::I64).then_some((cc, x, y))
}

/// The facts of the block being emitted, and those waiting for blocks that
/// one edge enters.
#[derive(Default)]
pub struct Facts {
    /// Newest last; a value's last entry is the narrowest.
    now: Vec<(Value, Range)>,
    /// Facts for a block with one entering edge, left at that edge. `None`
    /// when a second edge turned up (then nothing is known there).
    waiting: FxHashMap<Block, Option<Vec<(Value, Range)>>>,
}

impl Facts {
    /// What is known of `v` here.
    pub fn get(&self, v: Value) -> Option<Range> {
        self.now.iter().rev().find(|(x, _)| *x == v).map(|(_, r)| *r)
    }

    /// Records that `v` lies in `r` from here on.
    pub fn note(&mut self, v: Value, r: Range) {
        let r = match self.get(v) {
            Some(old) => match old.meet(r) {
                Some(r) => r,
                None => return,
            },
            None => r,
        };
        if r != Range::ALL {
            self.now.push((v, r));
        }
    }

    /// The current facts, to restore at a block the current one dominates.
    pub fn save(&self) -> Vec<(Value, Range)> {
        self.now.clone()
    }

    /// Replaces the current facts with saved ones.
    pub fn restore(&mut self, saved: Vec<(Value, Range)>) {
        self.now = saved;
    }

    /// Leaves the current facts, narrowed by `extra`, for `blk`, which the
    /// edge being emitted is the only one to enter. A second call for the
    /// same block means it has two edges after all: it then gets none.
    pub fn hand_to(&mut self, blk: Block, extra: &[(Value, Range)]) {
        if let Some(slot) = self.waiting.get_mut(&blk) {
            *slot = None;
            return;
        }
        let saved = self.now.clone();
        for &(v, r) in extra {
            self.note(v, r);
        }
        let handed = std::mem::replace(&mut self.now, saved);
        self.waiting.insert(blk, Some(handed));
    }

    /// Starts emitting `blk`: with the facts left for it, if exactly one edge
    /// left them, else with none. Returns whether facts were left (the block
    /// then has exactly the one predecessor that left them so far).
    pub fn enter(&mut self, blk: Block) -> bool {
        match self.waiting.remove(&blk) {
            Some(Some(f)) => {
                self.now = f;
                // A later edge into this block must not find it clean.
                self.waiting.insert(blk, None);
                true
            }
            other => {
                if other.is_some() {
                    self.waiting.insert(blk, None);
                }
                self.now.clear();
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: fn(i64, i64) -> Range = |lo, hi| Range { lo, hi };

    #[test]
    fn arithmetic_is_bounded_or_refused() {
        assert_eq!(R(2, i64::MAX).sub(Range::exactly(1)), Some(R(1, i64::MAX - 1)));
        assert_eq!(R(2, i64::MAX).add(Range::exactly(1)), None);
        assert_eq!(Range::ALL.sub(Range::exactly(1)), None);
        assert_eq!(R(i64::MIN + 1, 0).sub(Range::exactly(1)), Some(R(i64::MIN, -1)));
        assert_eq!(R(-3, 4).mul(R(-5, 2)), Some(R(-20, 15)));
        assert_eq!(R(0, 1 << 31).mul(R(-(1 << 31), 1 << 31)), Some(R(-(1 << 62), 1 << 62)));
        assert_eq!(R(0, 1 << 32).mul(R(0, 1 << 31)), None);
        assert_eq!(R(i64::MIN, i64::MIN).mul(Range::exactly(-1)), None);
    }

    #[test]
    fn comparisons_narrow_both_sides() {
        let k = Range::exactly(2);
        assert_eq!(implied(IntCC::SignedLessThan, Range::ALL, k), Some((R(i64::MIN, 1), k)));
        assert_eq!(implied(IntCC::SignedGreaterThanOrEqual, Range::ALL, k), Some((R(2, i64::MAX), k)));
        assert_eq!(
            implied(IntCC::SignedGreaterThan, Range::ALL, Range::ALL),
            Some((R(i64::MIN + 1, i64::MAX), R(i64::MIN, i64::MAX - 1)))
        );
        assert_eq!(implied(IntCC::SignedLessThanOrEqual, R(5, 9), R(0, 7)), Some((R(5, 7), R(5, 7))));
        // Never true: an edge never taken implies nothing.
        assert_eq!(implied(IntCC::SignedLessThan, Range::ALL, Range::exactly(i64::MIN)), None);
        assert_eq!(implied(IntCC::Equal, R(0, 3), R(5, 9)), None);
        assert_eq!(implied(IntCC::NotEqual, R(0, 3), R(5, 9)), None);
        assert_eq!(implied(IntCC::UnsignedLessThan, R(0, 3), R(5, 9)), None);
    }

    #[test]
    fn a_block_two_edges_enter_knows_nothing() {
        let v = Value::from_u32(7);
        let (b1, b2) = (Block::from_u32(1), Block::from_u32(2));
        let mut f = Facts::default();
        f.note(v, R(2, 10));
        f.hand_to(b1, &[(v, R(0, 5))]);
        f.hand_to(b2, &[]);
        assert_eq!(f.get(v), Some(R(2, 10)), "handing facts on leaves the current ones");
        f.hand_to(b2, &[]);
        assert!(f.enter(b1));
        assert_eq!(f.get(v), Some(R(2, 5)));
        assert!(!f.enter(b2));
        assert_eq!(f.get(v), None);
        // An edge into a block already entered leaves it marked as entered
        // by two (the translator only hands facts to blocks the bytecode
        // enters by one edge, so this does not happen to facts in use).
        f.hand_to(b1, &[]);
        assert!(!f.enter(b1));
    }
}
