//! Int ranges of a pure unit's slots at every instruction, for the facts the
//! translator cannot find by dominance (`ranges`): a value carried around a
//! loop. In
//!
//! ```text
//! for i in steps { t = b; b = (a + b) % 1000000007; a = t }
//! ```
//!
//! `a` and `b` stay in `[0, 1000000006]` at the loop header, so `a + b`
//! cannot overflow and the remainder needs at most one subtraction; the
//! header has two entering edges, so the facts of either alone prove nothing.
//!
//! The analysis is an abstract interpretation of the unit's bytecode over
//! ranges, run after kind inference (`analyze`), whose kinds it follows: only
//! int values get a range, and an instruction whose result kind is not int
//! gives every value (`Range::ALL`). Ranges join by their hull; at the target
//! of a backward jump, a bound that keeps moving jumps to the next of a few
//! thresholds (0, ±1, the code's int constants and their neighbours, the
//! `i64` extremes), so the iteration ends. An int operation that would
//! overflow raises instead of producing a value, so a result range clamps at
//! the extremes.
//!
//! The ranges hold for every run of the unit from its entry state. A call
//! unit starts knowing nothing of its arguments. An OSR unit enters at a loop
//! header with whatever the VM's slots hold: for the int slots the unit
//! assigns, it starts from the values at hand, generalised (`entry_guess`),
//! and its entry checks each such slot against the range the analysis ends
//! with at the header (an entry with other values is a mismatch: nothing runs,
//! and the VM goes on).

use ruff_core::bytecode::{Const, Op, Proto, SlotReads};

use crate::analyze::{Analysis, Kind};
use crate::ranges::Range;

/// The ranges of each slot before each instruction (`None`: not reached).
pub type SlotRanges = Vec<Option<Vec<Range>>>;

/// Work allowed per instruction before the analysis gives up (it then knows
/// nothing). Widening ends it long before on any code seen so far.
const VISITS_PER_OP: usize = 64;

/// Joins at a loop header before its moving bounds are widened.
const JOINS_BEFORE_WIDENING: u32 = 1;

#[derive(Clone, Debug, PartialEq)]
struct Abs {
    slots: Vec<Range>,
    stack: Vec<Range>,
}

/// The slot ranges of `proto`'s unit analysed in `a`, entered with slots in
/// `entry` (at `a.entry`), at each loop header (the target of a backward
/// jump), for the slots the unit reads and assigns (the others: anything);
/// `None` when the analysis gave up.
pub fn slot_ranges(proto: &Proto, a: &Analysis, entry: Vec<Range>) -> Option<SlotRanges> {
    let code = &proto.code;
    let leaders = leaders(code, a.entry);
    let mut flow = Flow {
        at: vec![None; code.len()],
        joins: vec![0; code.len()],
        widen_at: backward_targets(code),
        thresholds: thresholds(proto),
        // Lowest block first: in the compiler's layout that visits a loop's
        // body once per change at its header, not once per path.
        work: std::collections::BTreeSet::from([a.entry]),
    };
    flow.at[a.entry] = Some(Abs { slots: entry, stack: Vec::new() });
    let mut budget = code.len().saturating_mul(VISITS_PER_OP);
    while let Some(start) = flow.work.pop_first() {
        let mut st = flow.at[start].clone()?;
        let mut pc = start;
        loop {
            budget = budget.checked_sub(1)?;
            let (falls, jump) = transfer(proto, a, pc, &mut st)?;
            if let Some((t, s)) = jump {
                flow.merge(t, s)?;
            }
            if !falls {
                break;
            }
            pc += 1;
            if *leaders.get(pc)? {
                flow.merge(pc, st)?;
                break;
            }
        }
    }
    let Flow { at, widen_at, .. } = flow;
    // Facts cost the translator a read of each slot where they are noted,
    // which may make Cranelift carry a value it would not: keep those of slots
    // the unit reads and assigns (what a loop carries), at loop headers (where
    // dominance finds none).
    let carried: Vec<bool> = read_slots(code, a, proto.nslots as usize)
        .into_iter()
        .zip(assigned_slots(code, a, proto.nslots as usize))
        .map(|(r, w)| r && w)
        .collect();
    let keep = |(pc, st): (usize, Option<Abs>)| {
        let st = st.filter(|_| widen_at[pc])?;
        Some(st.slots.into_iter().zip(&carried).map(|(r, &c)| if c { r } else { Range::ALL }).collect())
    };
    Some(at.into_iter().enumerate().map(keep).collect())
}

/// The states of a unit's blocks, and the blocks to visit again.
struct Flow {
    /// The state at each block's first instruction (`None`: not reached).
    at: Vec<Option<Abs>>,
    /// How many times each state changed.
    joins: Vec<u32>,
    widen_at: Vec<bool>,
    thresholds: Vec<i64>,
    work: std::collections::BTreeSet<usize>,
}

impl Flow {
    /// Joins `incoming` into the state at block `to` (see [`merge_into`]).
    fn merge(&mut self, to: usize, incoming: Abs) -> Option<()> {
        let changed = match self.at.get_mut(to)? {
            Some(old) => {
                let widen = self.widen_at[to] && self.joins[to] >= JOINS_BEFORE_WIDENING;
                let changed = merge_into(old, &incoming, widen.then_some(&self.thresholds[..]))?;
                self.joins[to] += u32::from(changed);
                changed
            }
            slot @ None => {
                *slot = Some(incoming);
                true
            }
        };
        if changed {
            self.work.insert(to);
        }
        Some(())
    }
}

/// The effect of instruction `pc` on `st`: whether it falls through (with
/// `st` after it), and the jump it makes with the state there. `None` for an
/// instruction pure units do not have.
fn transfer(proto: &Proto, a: &Analysis, pc: usize, st: &mut Abs) -> Option<(bool, Option<(usize, Abs)>)> {
    let code = &proto.code;
    let kinds = a.states[pc].as_ref()?;
    let int_result = a.results[pc] == Kind::Int;
    let mut falls = true;
    let mut jump: Option<(usize, Abs)> = None;
    let pop = |st: &mut Abs| st.stack.pop();
    match code[pc] {
        Op::Const(k) => st.stack.push(match proto.consts.get(k as usize)? {
            Const::Int(v) => Range::exactly(*v),
            _ => Range::ALL,
        }),
        Op::Int(v) => st.stack.push(Range::exactly(v as i64)),
        Op::Null | Op::True | Op::False | Op::LoadCapture(_) | Op::LoadGlobal(_) | Op::LoadSelf => {
            st.stack.push(Range::ALL)
        }
        Op::Pop => {
            pop(st)?;
        }
        Op::Dup => st.stack.push(*st.stack.last()?),
        Op::LoadLocal(s) => st.stack.push(*st.slots.get(s as usize)?),
        Op::StoreLocal(s) => {
            let v = pop(st)?;
            *st.slots.get_mut(s as usize)? = v;
        }
        op @ (Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod) => {
            let y = pop(st)?;
            let x = pop(st)?;
            st.stack.push(if int_result { arith(op, x, y) } else { Range::ALL });
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            pop(st)?;
            pop(st)?;
            st.stack.push(Range::ALL);
        }
        Op::Neg => {
            let x = pop(st)?;
            st.stack.push(if int_result { neg(x) } else { Range::ALL });
        }
        Op::Not | Op::ToBool => {
            pop(st)?;
            st.stack.push(Range::ALL);
        }
        Op::AddLocal(s) => {
            let y = pop(st)?;
            let x = st.slots.get_mut(s as usize)?;
            *x = if int_result { arith(Op::Add, *x, y) } else { Range::ALL };
        }
        Op::IncLocal(s, k) => {
            let x = st.slots.get_mut(s as usize)?;
            *x = if int_result { arith(Op::Add, *x, Range::exactly(k as i64)) } else { Range::ALL };
        }
        op @ (Op::LocalAddInt(s, k) | Op::LocalSubInt(s, k)) => {
            let x = *st.slots.get(s as usize)?;
            let how = if matches!(op, Op::LocalAddInt(..)) { Op::Add } else { Op::Sub };
            st.stack.push(if int_result { arith(how, x, Range::exactly(k as i64)) } else { Range::ALL });
        }
        Op::Jump(t) | Op::Loop(t) => {
            jump = Some((t as usize, st.clone()));
            falls = false;
        }
        Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
            pop(st)?;
            jump = Some((t as usize, st.clone()));
        }
        // As kind inference decides it: a null falls through, anything
        // else jumps with the value kept.
        Op::JumpIfNotNull(t) => match kinds.stack.last()? {
            Kind::Null => {
                pop(st)?;
            }
            Kind::Bottom => {
                jump = Some((t as usize, st.clone()));
                pop(st)?;
            }
            _ => {
                jump = Some((t as usize, st.clone()));
                falls = false;
            }
        },
        Op::JumpIfNot(_, t) => {
            pop(st)?;
            pop(st)?;
            jump = Some((t as usize, st.clone()));
        }
        Op::Call(n) => {
            for _ in 0..=n {
                pop(st)?;
            }
            st.stack.push(Range::ALL);
        }
        Op::Return => falls = false,
        // The count of a `for` over a number: never below 0.
        Op::IterPrepare => {
            let x = pop(st)?;
            let ints = kinds.stack.last() == Some(&Kind::Int);
            st.stack.push(if ints {
                Range { lo: x.lo.max(0), hi: x.hi.max(0) }
            } else {
                Range { lo: 0, hi: i64::MAX }
            });
        }
        // Slot `s` holds the count, `s + 1` the counter, which only this
        // instruction assigns: from 0 up, below the count in the body.
        Op::IterNext(s, t) => {
            let s = s as usize;
            jump = Some((t as usize, st.clone()));
            let (n, i) = (*st.slots.get(s)?, *st.slots.get(s + 1)?);
            match (Range { lo: i.lo.max(0), hi: i.hi.min(n.hi.saturating_sub(1)) }) {
                body if body.lo <= body.hi => {
                    st.slots[s + 1] = arith(Op::Add, body, Range::exactly(1));
                    st.stack.push(body);
                }
                // The body is never entered with these ranges.
                _ => falls = false,
            }
        }
        _ => return None,
    }
    Some((falls, jump))
}

/// The first instructions of the blocks of `code` entered at `entry`: jump
/// targets and the instructions after jumps.
fn leaders(code: &[Op], entry: usize) -> Vec<bool> {
    let mut out = vec![false; code.len() + 1];
    out[entry] = true;
    for (pc, op) in code.iter().enumerate() {
        let Some(t) = op.target().map(|t| t as usize) else { continue };
        if let Some(x) = out.get_mut(t) {
            *x = true;
        }
        out[pc + 1] = true;
    }
    out
}

/// Where an OSR unit's analysis starts for each slot the unit assigns that
/// holds an int `v` now (`values`): from 0 (or from `v` down to the next threshold below,
/// when negative) up to the next threshold at or above `v`. Starting from
/// `v` alone would make the entry check demand that very value next time.
pub fn entry_guess(proto: &Proto, values: impl Iterator<Item = i64>) -> Vec<Range> {
    let t = thresholds(proto);
    values.map(|v| if v >= 0 { Range { lo: 0, hi: up(&t, v) } } else { Range { lo: down(&t, v), hi: -1 } }).collect()
}

/// The slots an instruction of `code` (reachable in `a`) reads.
pub fn read_slots(code: &[Op], a: &Analysis, nslots: usize) -> Vec<bool> {
    let mut out = vec![false; nslots];
    for (pc, op) in code.iter().enumerate() {
        if a.states[pc].is_none() {
            continue;
        }
        let mut mark = |s: u16| {
            if let Some(x) = out.get_mut(s as usize) {
                *x = true;
            }
        };
        match op.slot_reads() {
            SlotReads::None => {}
            SlotReads::One(s) => mark(s),
            SlotReads::Two(s, t) => {
                mark(s);
                mark(t);
            }
            SlotReads::Any => return vec![true; nslots],
        }
    }
    out
}

/// The slots an instruction of `code` (reachable in `a`) assigns.
pub fn assigned_slots(code: &[Op], a: &Analysis, nslots: usize) -> Vec<bool> {
    let mut out = vec![false; nslots];
    for (pc, op) in code.iter().enumerate() {
        if a.states[pc].is_none() {
            continue;
        }
        let s = match *op {
            Op::StoreLocal(s) | Op::AddLocal(s) | Op::IncLocal(s, _) => s as usize,
            Op::IterNext(s, _) => s as usize + 1,
            _ => continue,
        };
        if let Some(x) = out.get_mut(s) {
            *x = true;
        }
    }
    out
}

/// The range of `x op y` for int operands and an int result (an operation
/// that overflows or divides by zero raises, so it produces no value).
pub fn arith(op: Op, x: Range, y: Range) -> Range {
    match op {
        Op::Add => Range { lo: x.lo.saturating_add(y.lo), hi: x.hi.saturating_add(y.hi) },
        Op::Sub => Range { lo: x.lo.saturating_sub(y.hi), hi: x.hi.saturating_sub(y.lo) },
        Op::Mul => {
            let c = [
                x.lo.saturating_mul(y.lo),
                x.lo.saturating_mul(y.hi),
                x.hi.saturating_mul(y.lo),
                x.hi.saturating_mul(y.hi),
            ];
            Range { lo: c.into_iter().min().unwrap_or(i64::MIN), hi: c.into_iter().max().unwrap_or(i64::MAX) }
        }
        // Truncating division by a constant moves with the dividend.
        Op::Div if y.lo == y.hi && y.lo > 0 => Range { lo: x.lo / y.lo, hi: x.hi / y.lo },
        Op::Div if y.lo == y.hi && y.lo < -1 => Range { lo: x.hi / y.lo, hi: x.lo / y.lo },
        // A remainder has the dividend's sign and is smaller than the divisor.
        Op::Mod => {
            let m = y.lo.unsigned_abs().max(y.hi.unsigned_abs()).saturating_sub(1).min(i64::MAX as u64) as i64;
            let lo = if x.lo >= 0 { 0 } else { x.lo.max(-m) };
            let hi = if x.hi <= 0 { 0 } else { x.hi.min(m) };
            Range { lo, hi }
        }
        _ => Range::ALL,
    }
}

/// The range of `-x` (negating `i64::MIN` raises).
fn neg(x: Range) -> Range {
    Range { lo: x.hi.saturating_neg(), hi: x.lo.saturating_neg() }
}

fn hull(x: Range, y: Range) -> Range {
    Range { lo: x.lo.min(y.lo), hi: x.hi.max(y.hi) }
}

/// Joins `new` into `old`, each bound that moves pushed out to the next of
/// `widen`'s thresholds when given; returns whether `old` changed (`None`
/// when the stacks differ, which kind inference rules out).
fn merge_into(old: &mut Abs, new: &Abs, widen: Option<&[i64]>) -> Option<bool> {
    if old.stack.len() != new.stack.len() || old.slots.len() != new.slots.len() {
        return None;
    }
    let mut changed = false;
    let olds = old.slots.iter_mut().chain(old.stack.iter_mut());
    for (o, n) in olds.zip(new.slots.iter().chain(&new.stack)) {
        let j = hull(*o, *n);
        if j == *o {
            continue;
        }
        changed = true;
        *o = match widen {
            Some(t) => Range {
                lo: if j.lo < o.lo { down(t, j.lo) } else { o.lo },
                hi: if j.hi > o.hi { up(t, j.hi) } else { o.hi },
            },
            None => j,
        };
    }
    Some(changed)
}

/// Which instructions a jump of `code` goes back to (every loop of the
/// compiled code has one): where bounds are widened, and where facts are kept.
fn backward_targets(code: &[Op]) -> Vec<bool> {
    let mut out = vec![false; code.len()];
    for (pc, op) in code.iter().enumerate() {
        let Some(t) = op.target().map(|t| t as usize) else { continue };
        if t <= pc && t < code.len() {
            out[t] = true;
        }
    }
    out
}

/// The greatest threshold at or below `v` (`t` is sorted and holds both extremes).
fn down(t: &[i64], v: i64) -> i64 {
    t.iter().rev().copied().find(|&x| x <= v).unwrap_or(i64::MIN)
}

/// The least threshold at or above `v`.
fn up(t: &[i64], v: i64) -> i64 {
    t.iter().copied().find(|&x| x >= v).unwrap_or(i64::MAX)
}

/// The bounds widening stops at: 0, -1, the extremes, and `±(k - 1)` for
/// each constant `k` the code takes a remainder by (the remainder stays
/// within them). Few thresholds keep the iteration short: every bound that
/// moves at a loop header sends the analysis around the loop (and the loops
/// inside it) again. Sorted, no repeats.
fn thresholds(proto: &Proto) -> Vec<i64> {
    let mut t = vec![i64::MIN, -1, 0, i64::MAX];
    for w in proto.code.windows(2) {
        let k = match (w[0], w[1]) {
            (Op::Const(k), Op::Mod) => match proto.consts.get(k as usize) {
                Some(Const::Int(v)) => *v,
                _ => continue,
            },
            (Op::Int(v), Op::Mod) => v as i64,
            _ => continue,
        };
        let m = k.unsigned_abs().saturating_sub(1).min(i64::MAX as u64) as i64;
        t.extend([m, -m]);
    }
    t.sort_unstable();
    t.dedup();
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{analyze, Signature, Start, Variants};
    use ruff_core::api::Program;

    struct NoVariants;
    impl Variants for NoVariants {
        fn variant(&self, _: &Proto) -> Option<(usize, Signature)> {
            None
        }
    }

    /// The ranges `rangeflow` finds for the slots of `f` in `source` at the
    /// header of its `which`-th loop (in code order), for a call with int
    /// arguments, or for an OSR entry at that header with the slots in
    /// `entry` (int slots; the rest as the call analysis has them).
    fn at_header(source: &str, which: usize, entry: Option<&[Range]>) -> Vec<Range> {
        let program = Program::compile("flow.ruff", source).expect("compiles");
        let p = program.main().protos.iter().find(|p| &*p.name == "f").expect("f").clone();
        let mut headers: Vec<usize> =
            p.code.iter().filter_map(|op| if let Op::Loop(t) = op { Some(*t as usize) } else { None }).collect();
        headers.sort_unstable();
        let h = headers[which];
        let call = analyze(&p, &Start::Call(vec![Kind::Int; p.nparams as usize]), &[], &[], &NoVariants).expect("call");
        let ranges = match entry {
            None => slot_ranges(&p, &call, vec![Range::ALL; p.nslots as usize]),
            Some(e) => {
                let kinds = call.states[h].as_ref().expect("reached").slots.clone();
                let a = analyze(&p, &Start::Loop(h as u32, kinds), &[], &[], &NoVariants).expect("osr");
                slot_ranges(&p, &a, e.to_vec())
            }
        };
        ranges.expect("ranges")[h].clone().expect("header reached")
    }

    const FIB: &str = r#"
func f(steps, reps) {
    mut checksum := 0
    mut a := 0
    mut b := 1
    mut t := 0
    for r in reps {
        a = 0
        b = 1
        for i in steps {
            t = b
            b = (a + b) % 1000000007
            a = t
        }
        checksum = (checksum + b) % 1000000007
    }
    return checksum
}
"#;

    #[test]
    fn values_kept_by_a_remainder_stay_below_it_around_the_loop() {
        // Slots: steps, reps, checksum, a, b, t, then the loops' own.
        let p = R(0, 1_000_000_006);
        let inner = at_header(FIB, 1, None);
        assert_eq!(&inner[2..6], &[p, p, p, p]);
        assert_eq!(inner[0], Range::ALL, "an argument is anything");
        let outer = at_header(FIB, 0, None);
        assert_eq!(&outer[2..5], &[p, p, p]);
        // Entered at the inner header with the values guessed from those at
        // hand, the unit proves the same invariant, which its entry checks.
        let mut entry = vec![Range::ALL; inner.len()];
        entry[3] = R(0, 1_000_000_006);
        entry[4] = R(0, 1_000_000_006);
        let osr = at_header(FIB, 1, Some(&entry));
        assert_eq!(&osr[3..5], &[p, p]);
        // Nothing assumed of `a`: then `b` is anything a remainder gives.
        entry[3] = Range::ALL;
        let osr = at_header(FIB, 1, Some(&entry));
        assert_eq!(osr[4], R(-1_000_000_006, 1_000_000_006));
    }

    #[test]
    fn counters_and_sums_widen_to_what_can_be_shown() {
        let source = r#"
func f(n) {
    mut s := 0
    mut j := 5
    mut k := 0
    while j < n {
        s = s + j
        j = j + 2
        k = k - 1
    }
    return s + k
}
"#;
        // Slots: n, s, j, k.
        let h = at_header(source, 0, None);
        assert_eq!(h[1], R(0, i64::MAX), "a sum of counters from 5 up");
        assert_eq!(h[2], R(5, i64::MAX));
        assert_eq!(h[3], R(i64::MIN, 0));
    }

    const R: fn(i64, i64) -> Range = |lo, hi| Range { lo, hi };

    #[test]
    fn remainder_ranges() {
        let p = Range::exactly(1_000_000_007);
        assert_eq!(arith(Op::Mod, R(0, 2_000_000_012), p), R(0, 1_000_000_006));
        assert_eq!(arith(Op::Mod, R(3, 9), p), R(0, 9));
        assert_eq!(arith(Op::Mod, R(-5, 9), p), R(-5, 9));
        assert_eq!(arith(Op::Mod, Range::ALL, p), R(-1_000_000_006, 1_000_000_006));
        assert_eq!(arith(Op::Mod, Range::ALL, R(-7, 3)), R(-6, 6));
        assert_eq!(arith(Op::Mod, Range::ALL, Range::exactly(i64::MIN)), R(-i64::MAX, i64::MAX));
        assert_eq!(arith(Op::Mod, R(-4, -1), Range::exactly(10)), R(-4, 0));
    }

    #[test]
    fn int_results_clamp_where_the_operation_would_raise() {
        assert_eq!(arith(Op::Add, R(0, i64::MAX), R(0, 1)), R(0, i64::MAX));
        assert_eq!(arith(Op::Sub, R(i64::MIN, 0), R(0, 1)), R(i64::MIN, 0));
        assert_eq!(arith(Op::Mul, R(-3, 4), R(-5, 2)), R(-20, 15));
        assert_eq!(arith(Op::Mul, R(-2, 1 << 62), R(0, 4)), R(-8, i64::MAX));
        assert_eq!(neg(R(i64::MIN, 5)), R(-5, i64::MAX));
        assert_eq!(arith(Op::Div, R(-7, 20), Range::exactly(3)), R(-2, 6));
        assert_eq!(arith(Op::Div, R(-7, 20), Range::exactly(-3)), R(-6, 2));
        assert_eq!(arith(Op::Div, R(-7, 20), Range::exactly(-1)), Range::ALL);
        assert_eq!(arith(Op::Div, R(-7, 20), R(1, 2)), Range::ALL);
    }

    #[test]
    fn widening_stops_at_the_next_threshold() {
        let t = vec![i64::MIN, -999, -1, 0, 1, 999, i64::MAX];
        let mut old = Abs { slots: vec![R(5, 5), R(0, 3)], stack: vec![R(7, 7)] };
        let new = Abs { slots: vec![R(6, 6), R(-2, 3)], stack: vec![R(7, 7)] };
        assert_eq!(merge_into(&mut old, &new, Some(&t)), Some(true));
        assert_eq!(old.slots, vec![R(5, 999), R(-999, 3)]);
        assert_eq!(merge_into(&mut old, &new, Some(&t)), Some(false));
        let mut plain = Abs { slots: vec![R(5, 5), R(0, 3)], stack: vec![] };
        assert_eq!(merge_into(&mut plain, &Abs { slots: vec![R(6, 6), R(-2, 3)], stack: vec![] }, None), Some(true));
        assert_eq!(plain.slots, vec![R(5, 6), R(-2, 3)]);
        assert_eq!(down(&t, 3), 1);
        assert_eq!(up(&t, 1002), i64::MAX);
    }
}
