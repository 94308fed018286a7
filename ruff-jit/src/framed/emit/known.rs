//! Fields known from a literal. After `v := P { x: i, y: j }` (the fused
//! literal and store of `literal_into_local`), the local's struct holds the
//! literal's values, whichever way the code made it: in place, from a kept
//! object, or by the helper. Where those values are scalars in variables,
//! a later `v.x` (LOAD_LOCAL then FIELD, `local_field`) takes the variable
//! instead of reading the struct: no tag, shape or kind check, no load.
//!
//! The struct cannot change while the local holds it except through the
//! local: a struct held twice is copied before a field is assigned, and a
//! step of another instruction writes no slot of this frame but the one its
//! own instruction names (`plan::writes_slot`). So what is known of a local
//! holds until an instruction writes that slot, or until a block that other
//! code jumps to begins (the literal's values need not be defined on the
//! other ways in).
//!
//! A method run in line (`inline`) gets what its caller knows of the locals
//! whose values it borrows (its receiver or arguments): those values were
//! defined before the call, and the method never assigns those slots.

use std::rc::Rc;

use cranelift_codegen::ir::Value;
use ruff_core::bytecode::{Const, Op};
use rustc_hash::FxHashMap;

use super::super::plan::writes_slot;
use super::Fx;
use crate::analyze::{Kind, State};
use crate::scalar::Loc;

/// What is known of a local's struct: per field of the literal that made it,
/// its name, and its value when that is a scalar in a variable.
pub(super) type Known = Rc<[(Rc<str>, Option<(Kind, Value)>)]>;

/// The knowledge of a unit's code as it is emitted.
#[derive(Default)]
pub(super) struct Knowledge {
    /// By local, since its last literal store in the current block.
    own: FxHashMap<u16, Known>,
    /// A literal store being emitted: the store's index, its local, and what
    /// it makes known once the store's own effect is accounted for.
    pending: Option<(usize, u16, Known)>,
    /// For a method run in line: by slot, what its caller knew of the local
    /// whose value the slot borrows.
    args: FxHashMap<u16, Known>,
}

impl Knowledge {
    /// Knowledge of a method run in line: its slots' from the caller.
    pub(super) fn for_args(args: FxHashMap<u16, Known>) -> Knowledge {
        Knowledge { args, ..Knowledge::default() }
    }
}

impl Fx<'_, '_> {
    /// Accounts for instruction `pc` (emitted now or as part of a fused
    /// sequence): forgets the slot it writes, then learns what a literal
    /// store there makes known.
    pub(super) fn learn_at(&mut self, pc: usize, op: Op) {
        let k = &mut self.known;
        if let Some(s) = writes_slot(op) {
            k.own.remove(&s);
            k.args.remove(&s);
        }
        if let Some((_, s, fields)) = k.pending.take_if(|(at, ..)| *at == pc) {
            k.own.insert(s, fields);
        }
    }

    /// A block other code jumps to begins: only the caller's knowledge of a
    /// method's arguments still holds.
    pub(super) fn forget_own(&mut self) {
        self.known.own.clear();
        self.known.pending = None;
    }

    /// The literal `k` at stack depth `d` is stored into local `s` by the
    /// next instruction (`store`): its scalar operands' values, taken now
    /// (before the code that makes the struct branches), become what is
    /// known of `s` after the store.
    pub(super) fn will_know(&mut self, k: u32, st: &State, store: usize, s: u16) {
        let Const::Shape { fields, .. } = &self.u.proto.consts[k as usize] else { return };
        let d = st.stack.len();
        let n = fields.len();
        let distinct = fields.iter().enumerate().all(|(i, f)| !fields[..i].contains(f));
        if !distinct || n > d {
            return;
        }
        let known: Known = fields
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let at = d - n + i;
                let kind = st.stack[at];
                let value = matches!(kind, Kind::Int | Kind::Float | Kind::Bool)
                    .then(|| (kind, self.get(Loc::Stack(at as u16), kind)));
                (name.clone(), value)
            })
            .collect();
        self.known.pending = Some((store, s, known));
    }

    /// The value of field `name` of local `s`'s struct, when it is known.
    fn known_field(&self, s: u16, name: &str) -> Option<(Kind, Value)> {
        let k = &self.known;
        let fields = k.own.get(&s).or_else(|| k.args.get(&s))?;
        fields.iter().find(|(f, _)| &**f == name).and_then(|(_, v)| *v)
    }

    /// What is known of the locals a method run in line borrows: by its
    /// slot, from `(method slot, caller local)` pairs.
    pub(super) fn known_for(&self, borrowed: &[(u16, u16)]) -> FxHashMap<u16, Known> {
        let k = &self.known;
        let of = |s: &u16| k.own.get(s).or_else(|| k.args.get(s)).cloned();
        borrowed.iter().filter_map(|(slot, s)| of(s).map(|f| (*slot, f))).collect()
    }

    /// `LOAD_LOCAL a` then `FIELD` (as `local_field` takes them, with
    /// `want` the kind the read is speculated to give, if any) when the
    /// field's value is known: the value pushed from its variable. Returns
    /// whether it was.
    pub(super) fn known_read(&mut self, a: u16, name: &str, want: Option<Kind>, st: &State) -> bool {
        let Some((kind, v)) = self.known_field(a, name) else { return false };
        let d = st.stack.len();
        match want {
            Some(w) if w == kind => {
                // The next instruction takes it from its variable.
                self.deferring = true;
                self.set(Loc::Stack(d as u16), kind, v);
                self.deferring = false;
            }
            // A read the plan gives no kind: the value boxed in the frame.
            None => self.store_scalar(Loc::Stack(d as u16), kind, v),
            Some(_) => return false,
        }
        true
    }
}
