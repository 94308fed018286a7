//! Operand stack scalars kept out of the VM frame while only scalar code uses
//! them.
//!
//! An exit, a helper or a step must find the frame complete, and framed code
//! writes every slot as it changes. For an operand stack position that holds a
//! scalar for a few instructions (an index, an intermediate of `a * b + c`, the
//! value `for` pushes and the next instruction stores), the two stores are
//! usually wasted: the next instruction reads the variable, and the position is
//! dead after it. So while the instructions being emitted touch the stack only
//! through scalar variables ([`scalar_only`]), such writes stay pending, and
//! the frame gets them only where something may look:
//!
//! - before any other instruction (a helper, a step, a heap operation, a
//!   fused sequence), all of them, except that an instruction whose native
//!   common case reads only variables and the heap ([`kept_past_fast_path`])
//!   writes them on its cold way to the helper and the step;
//! - before a branch, those the instructions it goes to start with, and before
//!   falling through into a block that jumps may reach, all of them (a block
//!   starts with the frame complete unless the instruction before it falls
//!   into it and nothing else reaches it: the body of a `for` keeps the value
//!   the test pushed pending);
//! - on the way to an exit, in a cold block of that exit site, those the VM
//!   resumes with.
//!
//! Positions at or above the stack's depth are dead (the frame invariant gives
//! them no meaning), so a pending value that is popped is never stored, and no
//! reference count is involved: a pending position only ever replaced a dead
//! one. Slots are not deferred: a slot may own a heap value that a scalar
//! replaces, and the frame's slots are what `try` handlers and the VM read.

use ruff_core::bytecode::{Const, Op, Proto};

use super::super::plan::{How, Plan};
use super::Fx;
use crate::analyze::{Kind, State};
use crate::scalar::Loc;

/// Whether instruction `op` at a state `st`, planned `how`, reads and writes
/// operand stack positions only through the scalar variables (`Fx::get`,
/// `Fx::set`) and leaves only by exits and jumps, so that the scalars it pushes
/// may stay pending. Everything `Scalar::scalar_op` emits qualifies (it is
/// tried first for native instructions, whatever their kinds), and so do the
/// guarded operations, which read a heap-kinded operand from the frame but
/// never a scalar one. (TO_BOOL of a heap-kinded value is the exception
/// `Fx::native` makes before `scalar_op`: it reads the frame.)
pub(super) fn scalar_only(proto: &Proto, op: Op, how: How, st: &State) -> bool {
    let top = || st.stack.last().copied().unwrap_or(Kind::Top);
    match how {
        How::GuardInt | How::GuardFloat => true,
        How::Native => match op {
            // A comparison with `null` reads the heap operand in the frame.
            Op::Eq | Op::Ne | Op::JumpIfNot(..) if null_compare(st, op) => false,
            Op::Add
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
            | Op::AddLocal(_)
            | Op::IncLocal(..)
            | Op::LocalAddInt(..)
            | Op::LocalSubInt(..)
            | Op::Jump(_)
            | Op::Loop(_)
            | Op::JumpIfFalse(_)
            | Op::JumpIfTrue(_)
            | Op::JumpIfNotNull(_)
            | Op::JumpIfNot(..)
            | Op::IterPrepare
            | Op::IterNext(..)
            | Op::Int(_)
            | Op::True
            | Op::False
            | Op::Null => true,
            Op::Const(k) => matches!(proto.consts[k as usize], Const::Int(_) | Const::Float(_)),
            // `Return` writes what the VM drops with the frame (`Fx::native`).
            // A heap-kinded TO_BOOL reads the frame (`Fx::heap_to_bool`).
            Op::Pop | Op::Dup | Op::StoreLocal(_) | Op::Return | Op::ToBool => top() != Kind::Top,
            Op::LoadLocal(s) => st.slots[s as usize] != Kind::Top,
            _ => false,
        },
        How::Step | How::Exit => false,
    }
}

/// Whether `op` at `st` is a comparison with `null` (`Fx::null_compare`).
fn null_compare(st: &State, op: Op) -> bool {
    let d = st.stack.len();
    d >= 2 && super::super::plan::is_null_compare(op, st.stack[d - 2], st.stack[d - 1])
}

/// Whether stepped instruction `op` has a native common case that reads its
/// scalar operands from their variables, and writes the pending positions
/// into the frame only on its way to the helper or the step
/// (`Fx::inline_then_helper`): `local[i] = v` (a sieve's `flags[j] = false`
/// stored the index and the value into the frame on every iteration, for the
/// helper's sake).
pub(super) fn kept_past_fast_path(op: Op, how: How) -> bool {
    how == How::Step && matches!(op, Op::SetPath(ruff_core::bytecode::Var::Local(_), 1, 0))
}

/// The instructions a jump may reach (every target of a reachable
/// instruction, and the unit's entry): a block starting there begins with the
/// frame complete. Any other block is entered only from the instruction before
/// it; falling into it, it keeps what was pending there.
pub(super) fn joins(code: &[Op], plan: &Plan) -> Vec<bool> {
    let mut joins = vec![false; code.len() + 1];
    joins[plan.entry] = true;
    for (pc, op) in code.iter().enumerate() {
        if let (Some(t), Some(_)) = (op.target(), &plan.states[pc]) {
            joins[t as usize] = true;
        }
    }
    joins
}

/// The operand stack depth at instruction `pc`, when it is reachable.
pub(super) fn depth_at(plan: &Plan, pc: usize) -> Option<usize> {
    plan.states.get(pc)?.as_ref().map(|s| s.stack.len())
}

impl Fx<'_, '_> {
    /// Records that position `i` holds, in its variable only, a value of kind
    /// `k`; false when `k` is not deferred (the caller writes the frame).
    pub(super) fn defer(&mut self, i: u16, k: Kind) -> bool {
        self.lazy.retain(|e| e.0 != i);
        if !self.deferring || !k.unboxed() {
            return false;
        }
        self.lazy.push((i, k));
        true
    }

    /// Writes the pending positions below `depth` into the frame and forgets
    /// them.
    pub(super) fn flush_below(&mut self, depth: usize) {
        let (now, later): (Vec<_>, Vec<_>) = self.lazy.iter().partition(|e| (e.0 as usize) < depth);
        self.lazy = later;
        self.write_pending(&now);
    }

    /// Writes pending position `loc` into the frame before an operation reads
    /// it there. Such operations read heap-kinded positions, which are never
    /// pending while the plan and the emitter agree: this keeps a disagreement
    /// from reading stale memory.
    pub(super) fn flush_loc(&mut self, loc: Loc) {
        if let Loc::Stack(i) = loc {
            if let Some(p) = self.lazy.iter().position(|e| e.0 == i) {
                let pending = self.lazy.remove(p);
                self.write_pending(&[pending]);
            }
        }
    }

    /// The pending positions below `depth` (what an exit with that many
    /// operands must write first).
    pub(super) fn pending_below(&self, depth: usize) -> Vec<(u16, Kind)> {
        self.lazy.iter().copied().filter(|e| (e.0 as usize) < depth).collect()
    }

    /// Writes `pending` into the frame from their variables (in a cold exit
    /// path).
    pub(super) fn write_pending(&mut self, pending: &[(u16, Kind)]) {
        for &(i, k) in pending {
            if k == Kind::Top {
                // A field name pending for a promoted assignment
                // (`Fx::pending_name`): a new reference to its constant.
                let (l, rc) = (self.u.layout.expect("names pend with the layout"), self.names[&i]);
                let dst = self.addr(Loc::Stack(i));
                super::heap::new_string_ref(self.b, l, dst, rc);
                continue;
            }
            let v = self.get(Loc::Stack(i), k);
            self.store_scalar(Loc::Stack(i), k, v);
        }
    }

    /// Writes the pending field names (`Fx::pending_name`) into the frame and
    /// forgets them: before code that writes what is pending on one path only
    /// and goes on (`Fx::inline_then_helper`), since a name written takes a
    /// reference that the assignment must then drop.
    pub(super) fn flush_names(&mut self) {
        let (now, later): (Vec<_>, Vec<_>) = self.lazy.iter().partition(|e| e.1 == Kind::Top);
        self.lazy = later;
        self.write_pending(&now);
    }
}
