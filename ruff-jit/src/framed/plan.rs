//! Planning a framed unit: an abstract interpretation like `analyze`, except that
//! every value may be a heap value (`Kind::Top`, kept only in the VM frame) and
//! every instruction has a way to run. Each instruction gets a [`How`]:
//! unboxed native code when the kinds allow it (or when the VM's feedback says an
//! operation only ever saw ints, with a guard on the values in memory), one of
//! the small helpers, a step of the VM, or an exit to the VM.

use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::{Cmp, Const, Op, Proto, Var};
use ruff_core::runtime::tier::Rejection;
use std::collections::HashSet;

use crate::analyze::{Kind, State};

/// How one instruction runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Native code on the kinds of the state (helpers for copies, drops, stores
    /// and indexing).
    Native,
    /// Native int code after checking that the heap-kinded operands are ints
    /// (speculating on the VM's feedback; a failed check leaves to the VM).
    GuardInt,
    /// Native float code after checking that the heap-kinded operands are
    /// floats (the VM's feedback saw floats only; ints known as such convert).
    GuardFloat,
    /// The VM runs this one instruction (`ruff_jit_step`).
    Step,
    /// Native code leaves to the VM here.
    Exit,
}

/// What the planner found.
pub struct Plan {
    /// The state before each instruction (`None`: unreachable from the entry).
    pub states: Vec<Option<State>>,
    /// How each instruction runs.
    pub how: Vec<How>,
    /// The entry instruction.
    pub entry: usize,
    /// The deepest operand stack plus one.
    pub stack_need: u32,
    /// Slots that hold no counted value while the unit runs ([`plain_slots`]):
    /// storing into one releases nothing, whatever kind the plan gives it.
    pub plain: Vec<bool>,
    /// The instructions the unit covers (first, last; see `counted_extent`).
    extent: (usize, usize),
}

/// The share of a unit's instructions (numerator, denominator) from which it is
/// left to the VM. A step costs a helper call and a re-entry into the VM's
/// dispatch, several times an interpreted instruction: a struct method made of
/// field reads, float arithmetic on them and a struct literal (7 steps of 16
/// instructions before floats were speculated) ran 78 ms natively against
/// 63 ms in the VM, in a loop of 200k calls of two such methods.
const MOSTLY_STEPS: (usize, usize) = (1, 3);

/// Where the planner starts: the kinds of the frame's slots at `entry`, with an
/// empty operand stack.
pub fn plan(proto: &Proto, entry: usize, slots: Vec<Kind>, osr: bool) -> Result<Plan, Rejection> {
    let code = &proto.code;
    let mut states: Vec<Option<State>> = vec![None; code.len()];
    let mut how = vec![How::Exit; code.len()];
    let mut need = 1usize;
    states[entry] = Some(State { slots, stack: Vec::new() });
    let (from, to) = counted_extent(code, entry, osr);
    // Top-level code runs once and may be long: a loop nest in it is compiled
    // on its own, and leaving it returns to the VM.
    let confined = proto.top_level && osr;
    let mut work = vec![entry];
    while let Some(pc) = work.pop() {
        let mut st = states[pc].clone().expect("queued state");
        need = need.max(st.stack.len() + 1);
        if confined && !(from..=to).contains(&pc) {
            how[pc] = How::Exit;
            continue;
        }
        let op = code[pc];
        let (h, next) = transfer(proto, pc, op, &mut st)?;
        how[pc] = h;
        for (to, s) in next {
            if to >= code.len() {
                return Err(Rejection::new("falls off the end of the code"));
            }
            merge(&mut states, &mut work, to, s)?;
        }
    }
    let plain = plain_slots(code, &states, &how, entry);
    Ok(Plan { states, how, entry, stack_need: need as u32 + 1, plain, extent: (from, to) })
}

impl Plan {
    /// Refuses a unit whose reachable instructions are mostly steps (see
    /// [`MOSTLY_STEPS`]), not counting those in `helped`: native code does
    /// those by a helper of its own (`ruff_jit_call_builtin`, `ruff_jit_join`)
    /// for less than the VM's dispatch costs.
    pub fn refuse_mostly_steps(&self, helped: &HashSet<usize>) -> Result<(), Rejection> {
        let (from, to) = self.extent;
        let states = &self.states[from..=to];
        let reachable = states.iter().filter(|s| s.is_some()).count();
        let steps = (from..=to)
            .filter(|pc| self.how[*pc] == How::Step && self.states[*pc].is_some() && !helped.contains(pc))
            .count();
        if steps * MOSTLY_STEPS.1 >= reachable * MOSTLY_STEPS.0 {
            return Err(Rejection::new(format!(
                "{steps} of its {reachable} instructions would be single VM steps, which the VM runs faster itself"
            )));
        }
        Ok(())
    }
}

/// Which slots never hold a counted value while the unit runs: those of a
/// scalar kind (null included) in the entry's state, which the entry checks
/// (a call entry its parameters; its other slots are the null a new frame
/// starts with, or, when the VM enters it again at instruction 0 without
/// running anything in between, what this same code left there), and that
/// the unit's reachable code only ever stores scalars into, natively (a step
/// or an exit hands the slot to the VM). Native code
/// runs only the instructions reachable from the entry, and comes back into
/// the unit only through the entry. A loop's variable is such a slot: null at
/// the entry, an int on the back-edge, the two kinds join into none, and each
/// store would otherwise check the old value for a reference to release
/// (README, "The JIT tier", has the figures).
fn plain_slots(code: &[Op], states: &[Option<State>], how: &[How], entry: usize) -> Vec<bool> {
    let first = states[entry].as_ref().expect("the entry's state");
    let mut plain: Vec<bool> = first.slots.iter().map(|k| k.scalar()).collect();
    for (pc, op) in code.iter().enumerate() {
        let (Some(st), Some(s)) = (&states[pc], writes_slot(*op)) else { continue };
        let scalar = match (op, how[pc]) {
            (_, How::Step | How::Exit) => false,
            (Op::StoreLocal(_), _) => st.stack.last().is_some_and(|k| k.scalar()),
            // Native or guarded, these leave an int or a float.
            (Op::AddLocal(_) | Op::IncLocal(..) | Op::IterNext(..), _) => true,
            _ => false,
        };
        if !scalar {
            if let Some(p) = plain.get_mut(s as usize) {
                *p = false;
            }
        }
    }
    plain
}

/// The instructions a unit entered at `entry` is about: for a loop entered by
/// OSR, the outermost loop around it, from that loop's header to its last
/// back-edge (the code that repeats; what follows runs once, and is often
/// top-level code full of calls); for a call unit, the whole function.
fn counted_extent(code: &[Op], entry: usize, osr: bool) -> (usize, usize) {
    let around = code.iter().enumerate().filter_map(|(p, op)| match *op {
        Op::Loop(t) if (t as usize) <= entry && entry <= p => Some((t as usize, p)),
        _ => None,
    });
    match around.reduce(|(a, b), (c, d)| (a.min(c), b.max(d))) {
        Some(nest) if osr => nest,
        _ => (0, code.len() - 1),
    }
}

fn merge(states: &mut [Option<State>], work: &mut Vec<usize>, at: usize, st: State) -> Result<(), Rejection> {
    match &mut states[at] {
        Some(old) => {
            if old.join_from(&st)? {
                work.push(at);
            }
        }
        slot @ None => {
            *slot = Some(st);
            work.push(at);
        }
    }
    Ok(())
}

/// Whether ints are the guess for the operation at `pc`, on operands of
/// these kinds (all ints or heap-kinded): in the VM, before this compile, it
/// only ever saw ints; or it never ran there (code after the loop an OSR entry
/// took over, a branch not taken yet; the VM's in-place int case of INC_LOCAL
/// notes nothing either) and an operand is known to be an int, or it has
/// only one. A guess that fails is a failed guard: the VM resumes at the
/// instruction and notes what it sees there, and framed code whose guards keep
/// failing is dropped, to be compiled again (`ruff_core::runtime::vm::native`,
/// `guard_failed`). Two heap-kinded operands that never met are not guessed:
/// a slot a step wrote is heap-kinded, and a float accumulator stepped once
/// would be guessed an int on the next pass.
fn int_guess(proto: &Proto, pc: usize, operands: &[Kind]) -> bool {
    let seen = proto.feedback.get(pc).map(|c| c.get());
    operands.iter().all(|k| matches!(k, Kind::Int | Kind::Top))
        && match seen {
            Some(feedback::INT) => true,
            Some(0) => operands.len() == 1 || operands.contains(&Kind::Int),
            _ => false,
        }
}

/// The operation only ever saw floats (or a float and an int), in the VM.
fn floats_only(proto: &Proto, pc: usize) -> bool {
    proto.feedback.get(pc).is_some_and(|c| c.get() == feedback::FLOAT)
}

/// The kind a field read at `pc` is speculated to give: the one kind of
/// number the VM read there, every time (`None` when it read anything else,
/// or nothing yet).
fn field_guess(proto: &Proto, pc: usize) -> Option<Kind> {
    match proto.feedback.get(pc).map(|c| c.get()) {
        Some(feedback::INT) => Some(Kind::Int),
        Some(feedback::FLOAT) => Some(Kind::Float),
        _ => None,
    }
}

/// Operands a float speculation takes: numbers, at least one heap-kinded
/// (checked to be a float at run time).
fn float_operands(ks: &[Kind]) -> bool {
    ks.iter().all(|k| matches!(k, Kind::Int | Kind::Float | Kind::Top)) && ks.contains(&Kind::Top)
}

fn arith_kind(a: Kind, b: Kind) -> Option<Kind> {
    match (a, b) {
        (Kind::Int, Kind::Int) => Some(Kind::Int),
        (x, y) if x.numeric() && y.numeric() => Some(Kind::Float),
        _ => None,
    }
}

/// Whether instruction `op`, with operands of kinds `left` and `right`, is an
/// equality test between `null` and a heap-kinded value, which runs natively
/// (`emit::nulls`).
pub fn is_null_compare(op: Op, left: Kind, right: Kind) -> bool {
    let eq = matches!(op, Op::Eq | Op::Ne | Op::JumpIfNot(Cmp::Eq | Cmp::Ne, _));
    eq && matches!((left, right), (Kind::Top, Kind::Null) | (Kind::Null, Kind::Top))
}

fn comparable(a: Kind, b: Kind, eq: bool) -> bool {
    (a.numeric() && b.numeric())
        || (eq && ((a == Kind::Bool && b == Kind::Bool) || (a == Kind::Null && b == Kind::Null)))
}

type Next = Vec<(usize, State)>;

fn pops(st: &mut State, n: usize) -> Result<(), Rejection> {
    if st.stack.len() < n {
        return Err(Rejection::new("operand stack underflow"));
    }
    st.stack.truncate(st.stack.len() - n);
    Ok(())
}

fn top(st: &State, i: usize) -> Result<Kind, Rejection> {
    st.stack.len().checked_sub(i).map(|at| st.stack[at]).ok_or_else(|| Rejection::new("operand stack underflow"))
}

/// The slot an instruction writes, if any (beyond its stack effect).
pub(super) fn writes_slot(op: Op) -> Option<u16> {
    match op {
        Op::StoreLocal(s) | Op::AddLocal(s) | Op::IncLocal(s, _) => Some(s),
        Op::CallUpdate(_, Var::Local(s)) | Op::SetPath(Var::Local(s), ..) => Some(s),
        Op::IterNext(s, _) => Some(s + 1),
        _ => None,
    }
}

/// Plans one instruction: how it runs and the states it passes on.
fn transfer(proto: &Proto, pc: usize, op: Op, st: &mut State) -> Result<(How, Next), Rejection> {
    let native = |st: State| Ok((How::Native, vec![(pc + 1, st)]));
    let mut st = std::mem::replace(st, State { slots: Vec::new(), stack: Vec::new() });
    let slot = |st: &State, s: u16| st.slots[s as usize];
    match op {
        Op::Const(k) => match &proto.consts[k as usize] {
            Const::Int(_) => st.stack.push(Kind::Int),
            Const::Float(_) => st.stack.push(Kind::Float),
            // A new reference to the constant's string, inline.
            Const::Str(_) => st.stack.push(Kind::Top),
            _ => return step(proto, pc, op, st),
        },
        Op::Int(_) => st.stack.push(Kind::Int),
        Op::Null => st.stack.push(Kind::Null),
        Op::True | Op::False => st.stack.push(Kind::Bool),
        Op::Pop => pops(&mut st, 1)?,
        Op::Dup => st.stack.push(top(&st, 1)?),
        Op::LoadLocal(s) => {
            let k = slot(&st, s);
            st.stack.push(k);
        }
        Op::StoreLocal(s) => {
            let k = top(&st, 1)?;
            pops(&mut st, 1)?;
            st.slots[s as usize] = k;
        }
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
            let (a, b) = (top(&st, 2)?, top(&st, 1)?);
            if let Some(k) = arith_kind(a, b) {
                pops(&mut st, 2)?;
                st.stack.push(k);
                return native(st);
            }
            return guarded_or_step(proto, pc, op, st, [a, b], Kind::Int);
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let (a, b) = (top(&st, 2)?, top(&st, 1)?);
            if comparable(a, b, matches!(op, Op::Eq | Op::Ne)) || is_null_compare(op, a, b) {
                pops(&mut st, 2)?;
                st.stack.push(Kind::Bool);
                return native(st);
            }
            return guarded_or_step(proto, pc, op, st, [a, b], Kind::Bool);
        }
        Op::Neg => match top(&st, 1)? {
            Kind::Int | Kind::Float => {}
            _ => return step(proto, pc, op, st),
        },
        Op::Not => match top(&st, 1)? {
            Kind::Bool => {}
            _ => return step(proto, pc, op, st),
        },
        Op::ToBool => {
            // A heap-kinded operand: read as a bool, or stepped (`heap_to_bool`).
            let k = top(&st, 1)?;
            if !k.scalar() && k != Kind::Top {
                return step(proto, pc, op, st);
            }
            pops(&mut st, 1)?;
            st.stack.push(Kind::Bool);
        }
        Op::AddLocal(s) => {
            let (a, b) = (slot(&st, s), top(&st, 1)?);
            match arith_kind(a, b) {
                Some(k) => {
                    pops(&mut st, 1)?;
                    st.slots[s as usize] = k;
                }
                None if int_guess(proto, pc, &[a, b]) => {
                    pops(&mut st, 1)?;
                    st.slots[s as usize] = Kind::Int;
                    return Ok((How::GuardInt, vec![(pc + 1, st)]));
                }
                None if floats_only(proto, pc) && float_operands(&[a, b]) => {
                    pops(&mut st, 1)?;
                    st.slots[s as usize] = Kind::Float;
                    return Ok((How::GuardFloat, vec![(pc + 1, st)]));
                }
                None => return step(proto, pc, op, st),
            }
        }
        Op::IncLocal(s, _) | Op::LocalAddInt(s, _) | Op::LocalSubInt(s, _) => {
            let a = slot(&st, s);
            let guarded = a == Kind::Top && int_guess(proto, pc, &[a, Kind::Int]);
            let k = match a {
                Kind::Int | Kind::Float => a,
                Kind::Top if guarded => Kind::Int,
                _ => return step(proto, pc, op, st),
            };
            if matches!(op, Op::IncLocal(..)) {
                st.slots[s as usize] = k;
            } else {
                st.stack.push(k);
            }
            let h = if guarded { How::GuardInt } else { How::Native };
            return Ok((h, vec![(pc + 1, st)]));
        }
        Op::Jump(t) | Op::Loop(t) => return Ok((How::Native, vec![(t as usize, st)])),
        Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
            let h = if top(&st, 1)?.scalar() { How::Native } else { How::Step };
            pops(&mut st, 1)?;
            return Ok((h, vec![(t as usize, st.clone()), (pc + 1, st)]));
        }
        Op::JumpIfNotNull(t) => {
            let k = top(&st, 1)?;
            let taken = st.clone();
            pops(&mut st, 1)?;
            return Ok(match k {
                Kind::Null => (How::Native, vec![(pc + 1, st)]),
                k if k.scalar() => (How::Native, vec![(t as usize, taken)]),
                _ => (How::Step, vec![(t as usize, taken), (pc + 1, st)]),
            });
        }
        Op::JumpIfNot(cmp, t) => {
            let (a, b) = (top(&st, 2)?, top(&st, 1)?);
            let eq = matches!(cmp, Cmp::Eq | Cmp::Ne);
            let h = if comparable(a, b, eq) || is_null_compare(op, a, b) {
                How::Native
            } else if int_guess(proto, pc, &[a, b]) {
                How::GuardInt
            } else if floats_only(proto, pc) && float_operands(&[a, b]) {
                How::GuardFloat
            } else {
                How::Step
            };
            pops(&mut st, 2)?;
            return Ok((h, vec![(t as usize, st.clone()), (pc + 1, st)]));
        }
        Op::Return => {
            pops(&mut st, 1)?;
            return Ok((How::Native, Vec::new()));
        }
        Op::Halt | Op::Unwrap | Op::Import(..) => return Ok((How::Exit, Vec::new())),
        Op::Throw | Op::Raise(_) => return Ok((How::Step, Vec::new())),
        Op::Index => {
            pops(&mut st, 2)?;
            st.stack.push(Kind::Top);
        }
        // A field read, inline or through a helper (the VM raises its
        // errors); speculated to be an int or a float when the VM only ever
        // read one kind of number there.
        Op::Field(_) | Op::KeyOrNull(_) => {
            let guess = if top(&st, 1)? == Kind::Top { field_guess(proto, pc) } else { None };
            pops(&mut st, 1)?;
            st.stack.push(guess.unwrap_or(Kind::Top));
            match guess {
                Some(Kind::Int) => return Ok((How::GuardInt, vec![(pc + 1, st)])),
                Some(_) => return Ok((How::GuardFloat, vec![(pc + 1, st)])),
                None => {}
            }
        }
        // A copy of the global's value, inline (a step when it holds null: that
        // is also how an undefined global looks, whose error the VM raises).
        Op::LoadGlobal(_) => st.stack.push(Kind::Top),
        // A move into a `mut` global, or `+=` on one holding an int or a float,
        // inline (a step for any other binding, whose error or first
        // definition is the VM's, and for other operands).
        Op::StoreGlobal(_) | Op::AddGlobal(_) => pops(&mut st, 1)?,
        // A copy of the closure's captured value, and a move into it, by
        // helpers (neither can fail).
        Op::LoadCapture(_) => st.stack.push(Kind::Top),
        Op::StoreCapture(_) => pops(&mut st, 1)?,
        // A struct literal, by a helper (it cannot fail).
        Op::MakeStruct(_) => {
            let (n, _) = proto.stack_effect(op).ok_or_else(|| Rejection::new("struct literal without a shape"))?;
            pops(&mut st, n)?;
            st.stack.push(Kind::Top);
        }
        Op::IterPrepare => {
            if top(&st, 1)? == Kind::Top && int_guess(proto, pc, &[Kind::Top]) {
                // A count from a builtin or a heap slot (`for i in len(a)`),
                // when the VM only ever saw ints here or never ran it.
                pops(&mut st, 1)?;
                st.stack.push(Kind::Int);
                return Ok((How::GuardInt, vec![(pc + 1, st)]));
            }
            if !top(&st, 1)?.numeric() {
                return step(proto, pc, op, st);
            }
            pops(&mut st, 1)?;
            st.stack.push(Kind::Int);
        }
        Op::IterNext(s, t) => {
            let counted = slot(&st, s) == Kind::Int && slot(&st, s + 1) == Kind::Int;
            if !counted {
                st.slots[s as usize + 1] = Kind::Top;
            }
            let done = st.clone();
            st.stack.push(if counted { Kind::Int } else { Kind::Top });
            let h = if counted { How::Native } else { How::Step };
            return Ok((h, vec![(t as usize, done), (pc + 1, st)]));
        }
        // Handler records, by helpers (`Fx::native`); the handler's code is
        // reached by unwinding, in the VM.
        Op::TryBegin(_) | Op::TryEnd => {}
        // MATCH_ENUM by a helper (`Fx::native`), the others stepped.
        Op::MatchTag(_, t) | Op::MatchEnum(_, t) | Op::MatchName(_, t) => {
            pops(&mut st, 1)?;
            let miss = st.clone();
            st.stack.push(Kind::Top);
            let how = if matches!(op, Op::MatchEnum(..)) { How::Native } else { How::Step };
            return Ok((how, vec![(t as usize, miss), (pc + 1, st)]));
        }
        _ => return step(proto, pc, op, st),
    }
    native(st)
}

/// Int or float speculation on `operands` when the feedback allows it, else a
/// step. `result` is the result's kind for ints (a comparison's stays a bool).
fn guarded_or_step(
    proto: &Proto,
    pc: usize,
    op: Op,
    mut st: State,
    operands: [Kind; 2],
    result: Kind,
) -> Result<(How, Next), Rejection> {
    if int_guess(proto, pc, &operands) {
        pops(&mut st, 2)?;
        st.stack.push(result);
        return Ok((How::GuardInt, vec![(pc + 1, st)]));
    }
    if floats_only(proto, pc) && float_operands(&operands) {
        pops(&mut st, 2)?;
        st.stack.push(if result == Kind::Int { Kind::Float } else { result });
        return Ok((How::GuardFloat, vec![(pc + 1, st)]));
    }
    step(proto, pc, op, st)
}

/// A step of the VM: heap-kinded results, and the slot it writes becomes heap-kinded.
fn step(proto: &Proto, pc: usize, op: Op, mut st: State) -> Result<(How, Next), Rejection> {
    let (n, m) = proto
        .stack_effect(op)
        .ok_or_else(|| Rejection::new(format!("{} has no fixed stack effect to step", op.name())))?;
    pops(&mut st, n)?;
    st.stack.extend(std::iter::repeat_n(Kind::Top, m));
    if let Some(s) = writes_slot(op) {
        st.slots[s as usize] = Kind::Top;
    }
    Ok((How::Step, vec![(pc + 1, st)]))
}

#[cfg(test)]
mod tests {
    use ruff_core::api::Program;
    use ruff_core::bytecode::{Op, Proto};

    use super::{plan, Kind};

    /// `f`'s proto in `source`.
    fn proto(source: &str) -> std::rc::Rc<Proto> {
        let program = Program::compile("plain.ruff", source).expect("compiles");
        program.main().protos.iter().find(|p| &*p.name == "f").expect("f").clone()
    }

    /// The plain slots of `f` compiled for a call with `params`, and of its
    /// OSR entry at its first loop header with slots of kinds `at_loop` (the
    /// rest null, as before their first store).
    fn plain(source: &str, params: &[Kind], at_loop: &[Kind]) -> (Vec<bool>, Vec<bool>) {
        let p = proto(source);
        let kinds = |first: &[Kind]| -> Vec<Kind> {
            (0..p.nslots as usize).map(|i| first.get(i).copied().unwrap_or(Kind::Null)).collect()
        };
        let call = plan(&p, 0, kinds(params), false).expect("call plan").plain;
        let header = p.code.iter().find_map(|op| if let Op::Loop(t) = op { Some(*t as usize) } else { None });
        let osr = plan(&p, header.expect("a loop"), kinds(at_loop), true).expect("osr plan").plain;
        (call, osr)
    }

    #[test]
    fn loop_variables_are_plain_and_heap_values_are_not() {
        // Slots: n, xs, t, then the loops' own (sequence, counter, variable).
        let source = r#"
func f(n) {
    mut xs := [1, 2]
    mut t := 0
    for i in n { t = t + i }
    for i in len(xs) { t = t + xs[i] }
    return t
}
"#;
        let at_loop = [Kind::Int, Kind::Top, Kind::Int, Kind::Int, Kind::Int, Kind::Int];
        let (call, osr) = plain(source, &[Kind::Int], &at_loop);
        for plain in [&call, &osr] {
            assert!(plain[0], "the int parameter: {plain:?}");
            assert!(!plain[1], "the array: {plain:?}");
            assert!(plain[2], "the int accumulator: {plain:?}");
            assert!(plain[3..].iter().all(|p| *p), "the loops' slots: {plain:?}");
        }
    }

    #[test]
    fn a_slot_that_may_get_a_heap_value_is_not_plain() {
        // `s` gets a string in the loop; `u` is stepped (a call's result);
        // `w` holds an int at first, then an array.
        let source = r#"
func f(n) {
    mut s := 0
    mut u := 0
    mut w := 1
    for i in n {
        if i > 5 { s = "x" }
        u = to_string(i)
        w = [i]
    }
    return len(w)
}
"#;
        let at_loop = [Kind::Int, Kind::Int, Kind::Int, Kind::Int, Kind::Int, Kind::Int, Kind::Int];
        let (call, osr) = plain(source, &[Kind::Int], &at_loop);
        for plain in [&call, &osr] {
            assert!(plain[0], "n: {plain:?}");
            for (slot, name) in [(1, "s"), (2, "u"), (3, "w")] {
                assert!(!plain[slot], "{name}: {plain:?}");
            }
        }
        // A heap-kinded parameter is not checked at the entry.
        let (call, _) = plain(source, &[Kind::Top], &at_loop);
        assert!(!call[0], "a heap-kinded parameter: {call:?}");
    }

    #[test]
    fn field_reads_are_speculated_on_the_kinds_the_vm_read() {
        use super::How;
        use ruff_core::bytecode::proto::feedback;
        let p = proto("func f(p) {\n    return p.x * p.y + p.z\n}\n");
        let fields: Vec<usize> = (0..p.code.len()).filter(|&pc| matches!(p.code[pc], Op::Field(_))).collect();
        assert_eq!(fields.len(), 3, "{:?}", p.code);
        // x read only floats, y only ints, z both (and a string).
        p.feedback[fields[0]].set(feedback::FLOAT);
        p.feedback[fields[1]].set(feedback::INT);
        p.feedback[fields[2]].set(feedback::FLOAT | feedback::STR);
        let call = plan(&p, 0, vec![Kind::Top], false).expect("call plan");
        let after = |pc: usize| call.states[pc + 1].as_ref().expect("reached").stack.last().copied();
        assert_eq!((call.how[fields[0]], after(fields[0])), (How::GuardFloat, Some(Kind::Float)));
        assert_eq!((call.how[fields[1]], after(fields[1])), (How::GuardInt, Some(Kind::Int)));
        assert_eq!((call.how[fields[2]], after(fields[2])), (How::Native, Some(Kind::Top)));
        // The product of the two guesses is native float arithmetic.
        let mul = p.code.iter().position(|op| matches!(op, Op::Mul)).expect("a MUL");
        assert_eq!((call.how[mul], after(mul)), (How::Native, Some(Kind::Float)));
    }

    #[test]
    fn a_slot_a_step_writes_is_not_plain() {
        // `s += ...` where the VM saw strings: a step (the VM's in-place add),
        // which may leave a string in the int-initialised slot.
        let p = proto("func f(n) {\n    mut s := 0\n    for i in n { s += to_string(i) }\n    return s\n}\n");
        let add = p.code.iter().position(|op| matches!(op, Op::AddLocal(_))).expect("an ADD_LOCAL");
        p.feedback[add].set(ruff_core::bytecode::proto::feedback::STR);
        let kinds: Vec<Kind> = (0..p.nslots as usize).map(|i| if i == 0 { Kind::Int } else { Kind::Null }).collect();
        let call = plan(&p, 0, kinds, false).expect("call plan");
        assert_eq!(call.how[add], super::How::Step, "the add is stepped");
        assert!(call.plain[0] && !call.plain[1], "n plain, s not: {:?}", call.plain);
    }
}
