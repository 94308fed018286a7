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
//!
//! The other way round, a method run in line whose result its caller stores
//! straight into a local (`acc = acc.add(v)`), and whose one literal return
//! is written over that local's struct in place (`literal_into_caller`),
//! makes the literal's scalar fields known after the store ([`Returned`]):
//! variables that the way in place defines from the literal's operands, and
//! every other way to the store (the literal made by the helper, another
//! `return`, the call by the helper, the VM finishing the method) from the
//! struct the local then holds, checked to be of the literal's shape with
//! fields of those kinds. A struct that is not leaves to the VM after the
//! store, noting `OTHER` at the call, so that the code compiled next does not
//! run that method in line.

use std::rc::Rc;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use cranelift_frontend::Variable;
use ruff_core::bytecode::{Const, Op};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET, TAG_STRUCT};
use rustc_hash::FxHashMap;

use super::super::heap;
use super::super::plan::{writes_slot, Plan};
use super::{Fx, VALUE_SIZE};
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};
use crate::translate::{cl_type, tag_of};

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

/// The one literal a method run in line returns (`MAKE_STRUCT` then
/// `RETURN`), when its caller stores the result straight into a local: what
/// the store makes known of that local (module notes).
#[derive(Clone)]
pub(super) struct Returned {
    /// The literal's index in the method's code.
    pub at: usize,
    /// Its fields, each with a variable (in the caller's function) for its
    /// value when the literal's operand there is a scalar.
    pub fields: Rc<[Rc<str>]>,
    pub vars: Vec<Option<(Kind, Variable)>>,
}

impl Returned {
    /// The one literal return of a method of code `code` and plan `plan`,
    /// with variables declared by `declare`; `None` when it has none or
    /// several, or no field is a scalar.
    pub(super) fn find(
        code: &[Op],
        consts: &[Const],
        plan: &Plan,
        mut declare: impl FnMut(Kind) -> Variable,
    ) -> Option<Returned> {
        let mut pairs = literal_returns(code, plan);
        let (at, None) = (pairs.next()?, pairs.next()) else { return None };
        let LiteralKinds { fields, kinds } = literal_kinds(code, consts, plan, at)?;
        let distinct = fields.iter().enumerate().all(|(i, f)| !fields[..i].contains(f));
        if !distinct || fields.is_empty() {
            return None;
        }
        let vars: Vec<_> = kinds.iter().map(|k| k.unboxed().then(|| (*k, declare(*k)))).collect();
        vars.iter().any(Option::is_some).then_some(Returned { at, fields, vars })
    }
}

/// A struct literal's fields (names) and its operands' kinds.
pub(super) struct LiteralKinds {
    pub fields: Rc<[Rc<str>]>,
    pub kinds: Vec<Kind>,
}

/// The literal `MAKE_STRUCT` at `p` of `code` (with constants `consts`,
/// planned `plan`) makes, when it is one and is reached.
pub(super) fn literal_kinds(code: &[Op], consts: &[Const], plan: &Plan, p: usize) -> Option<LiteralKinds> {
    let (Op::MakeStruct(k), Some(st)) = (code[p], &plan.states[p]) else { return None };
    let Const::Shape { fields, .. } = &consts[k as usize] else { return None };
    let d = st.stack.len();
    (fields.len() <= d).then(|| LiteralKinds { fields: fields.clone(), kinds: st.stack[d - fields.len()..].to_vec() })
}

/// The literals that method code `code` (planned `plan`) returns as made
/// (`MAKE_STRUCT` then `RETURN`), by index.
pub(super) fn literal_returns<'c>(code: &'c [Op], plan: &'c Plan) -> impl Iterator<Item = usize> + 'c {
    (0..code.len().saturating_sub(1))
        .filter(|&q| plan.states[q].is_some() && matches!((code[q], code[q + 1]), (Op::MakeStruct(_), Op::Return)))
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

    /// In a method run in line, its literal return at `pc` written in place
    /// over the caller's local, whose operands start at stack position
    /// `first`: defines what the caller will know (module notes).
    pub(super) fn define_returned(&mut self, pc: usize, first: usize) {
        let Some(r) = self.returned.as_ref().filter(|r| r.at == pc) else { return };
        let vars = r.vars.clone();
        for (i, (k, var)) in vars.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))) {
            let v = self.get(Loc::Stack((first + i) as u16), k);
            self.b.def_var(var, v);
        }
    }

    /// After `STORE_LOCAL s` at `pc` (with `d` operands before it), stored
    /// from an inlined method's result by any other way than the literal in
    /// place: defines the variables of `r` from the local's struct, or leaves
    /// to the VM after the store when it is not of the literal's shape with
    /// fields of those kinds (noting `OTHER` at the call, `pc - 1`).
    pub(super) fn define_returned_from(&mut self, r: &Returned, pc: usize, d: usize, s: u16) {
        let Some(l) = self.u.layout else { return };
        let other = self.b.create_block();
        self.b.set_cold_block(other);
        let local = self.addr(Loc::Slot(s));
        let obj = heap::payload_if(self.b, local, TAG_STRUCT, other);
        let shape = self.b.ins().load(types::I64, flags(), obj, l.struct_shape_ptr);
        let other_shape = self.b.ins().icmp_imm_s(IntCC::NotEqual, shape, l.shape_ptr_word(&r.fields) as i64);
        heap::or_slow(self.b, other_shape, other);
        let buf = self.b.ins().load(types::I64, flags(), obj, l.struct_values);
        for (i, (k, var)) in r.vars.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))) {
            let off = i as i32 * VALUE_SIZE as i32;
            let tag = self.b.ins().load(types::I8, flags(), buf, off + TAG_OFFSET as i32);
            let other_kind = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(k) as i64);
            heap::or_slow(self.b, other_kind, other);
            let v = self.b.ins().load(cl_type(k), flags(), buf, off + PAYLOAD_OFFSET as i32);
            self.b.def_var(var, v);
        }
        let go = self.b.create_block();
        self.b.ins().jump(go, &[]);
        self.b.switch_to_block(other);
        self.note_other(pc - 1);
        self.leave(pc + 1, d - 1);
        self.b.switch_to_block(go);
    }

    /// What `r`'s variables make known of local `s`, from here on.
    pub(super) fn know_returned(&mut self, r: &Returned, s: u16) {
        let known: Known = r
            .fields
            .iter()
            .zip(&r.vars)
            .map(|(name, v)| (name.clone(), v.map(|(k, var)| (k, self.b.use_var(var)))))
            .collect();
        self.known.own.insert(s, known);
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
