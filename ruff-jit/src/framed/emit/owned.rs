//! Locals whose struct a loop keeps as its own. A literal written over a
//! local's struct in place (`literal_into_local`, `literal_into_caller`)
//! first checks that the struct can take it: a struct, of the literal's
//! shape and type, no type declared since, fields that own nothing, and
//! nothing else holding it (about 28 instructions on the `Vec2` loop). In a
//! loop that touches the local only by
//!
//! - that one literal store (`v := P { ... }`, or `acc = acc.add(v)` whose
//!   method returns a literal), with operands that own nothing,
//! - field reads (`LOAD_LOCAL` then FIELD), and
//! - pushes that a method run in line borrows (`inline`), a method that only
//!   reads fields of that argument,
//!
//! and that has no step but those method calls, nothing can take another
//! reference to the struct, give its fields values that own something, or
//! declare a type: once the checks have passed and the literal is written,
//! they hold until the next write. So a variable says that they do, and
//! while it is set the literal is written without them. Nothing but that
//! store changes the struct's fields either, so variables also keep the
//! scalar values it wrote last, and a field read in the loop (or in a
//! method run in line there that borrows the local) takes its value from
//! there while the struct is the loop's own: `acc.x` in `acc.add(v)`, at
//! the start of the next iteration, reads no memory.
//!
//! The variable is cleared where the unit starts, where the loop is entered
//! from before its header (nothing jumps into the loop from outside: the
//! local may have been written or shared there), by every instruction
//! emitted on its own that writes the local (`Fx::op`: the store on every
//! way but the literal in place, such as the literal made by the helper or
//! the method's other returns), and, for every such local, wherever a
//! method call run in line is made by the helper or finished by the VM
//! (which take references to what the call borrows, and may run any code).
//! A way out to the VM leaves the unit, whose next entry starts cleared.

use std::rc::Rc;

use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use cranelift_frontend::Variable;
use ruff_core::bytecode::{Op, SlotReads};
use ruff_core::runtime::heap_layout::HeapLayout;
use rustc_hash::FxHashMap;

use super::super::plan::{writes_slot, How};
use super::known::{literal_kinds, LiteralKinds};
use super::Fx;
use crate::analyze::Kind;
use crate::scalar::{flags, Loc};
use crate::translate::cl_type;
use ruff_core::runtime::value::PAYLOAD_OFFSET;

/// A local whose struct a loop keeps as its own.
pub(super) struct Owned {
    /// The loop's header and last back-edge.
    header: usize,
    back: usize,
    /// The local's one store in the loop (`STORE_LOCAL`).
    store: usize,
    vars: OwnVars,
}

/// The variables of a local whose struct a loop keeps as its own: `ours`,
/// set while it is; and per field of the literal its store writes (by name),
/// for a scalar operand, the variable holding the value written there last
/// (defined wherever `ours` is set).
#[derive(Clone)]
pub(super) struct OwnVars {
    pub ours: Variable,
    pub fields: FieldVars,
}

/// Per field, by name, the variable of its value when that is a scalar.
pub(super) type FieldVars = Rc<[(Rc<str>, Option<(Kind, Variable)>)]>;

impl OwnVars {
    /// The variable of field `name` when it holds a `want`.
    fn field(&self, name: &str, want: Kind) -> Option<Variable> {
        let (_, f) = self.fields.iter().find(|(f, _)| &**f == name)?;
        f.filter(|(k, _)| *k == want).map(|(_, v)| v)
    }
}

impl Fx<'_, '_> {
    /// Finds, before the unit's code is emitted (and after
    /// `plan_inlining`), the locals whose struct a loop keeps as its own
    /// (module notes), each with the outermost such loop.
    pub(super) fn plan_owned(&mut self, leaders: &[bool]) {
        let (code, plan) = (&self.u.proto.code, self.u.plan);
        for (t, q) in super::promote::loops(code, plan) {
            // Nothing jumps into the loop from outside, its header included.
            if super::promote::jumped_into(code, plan, (t, q), t) {
                continue;
            }
            let mut found = self.owned_in(t, q, leaders);
            found.sort_unstable();
            for (s, store) in found {
                if self.owned.contains_key(&s) {
                    continue;
                }
                let Some(LiteralKinds { fields, kinds }) = self.stored_literal(store - 1) else { continue };
                // A read finds its field by name.
                if fields.iter().enumerate().any(|(i, f)| fields[..i].contains(f)) {
                    continue;
                }
                let ours = self.b.declare_var(types::I8);
                let fields = fields
                    .iter()
                    .zip(kinds)
                    .map(|(name, k)| (name.clone(), k.unboxed().then(|| (k, self.b.declare_var(cl_type(k))))))
                    .collect();
                let vars = OwnVars { ours, fields };
                self.owned.insert(s, Owned { header: t, back: q, store, vars });
            }
        }
    }

    /// The locals loop `[t, q]` keeps as its own, each with its store.
    fn owned_in(&self, t: usize, q: usize, leaders: &[bool]) -> Vec<(u16, usize)> {
        let (code, plan) = (&self.u.proto.code, self.u.plan);
        let mut stores: FxHashMap<u16, Vec<usize>> = FxHashMap::default();
        let mut other: Vec<u16> = Vec::new();
        for pc in (t..=q).filter(|&pc| plan.states[pc].is_some()) {
            let op = code[pc];
            if plan.how[pc] == How::Step && !self.sites.contains_key(&pc) {
                return Vec::new();
            }
            if let Some(s) = writes_slot(op) {
                match op {
                    Op::StoreLocal(_) if pc > t && self.owning_store(pc - 1, s, leaders) => {
                        stores.entry(s).or_default().push(pc);
                    }
                    _ => other.push(s),
                }
            }
            // A read of the local: its field, or a push borrowed by a method
            // that only reads its fields.
            let read_ok = || match op {
                Op::LoadLocal(_) if matches!(code.get(pc + 1), Some(Op::Field(_) | Op::KeyOrNull(_))) => {
                    pc < q && !leaders[pc + 1]
                }
                Op::LoadLocal(_) => self.borrowed.get(&pc).is_some_and(|(call, slot)| {
                    self.sites.get(call).is_some_and(|site| only_field_reads(site.method_code(), *slot))
                }),
                _ => false,
            };
            match op.slot_reads() {
                SlotReads::Any => return Vec::new(),
                SlotReads::One(a) if !read_ok() => other.push(a),
                SlotReads::Two(a, b) => other.extend([a, b]),
                _ => {}
            }
        }
        let one = |(s, at): (u16, Vec<usize>)| match at[..] {
            [pc] if !other.contains(&s) => Some((s, pc)),
            _ => None,
        };
        stores.into_iter().filter_map(one).collect()
    }

    /// Whether `STORE_LOCAL s` after instruction `p` stores a literal that
    /// may be written in place: a struct literal fused with the store
    /// (`literal_into_local`), or a method call run in line whose result
    /// goes straight into `s` (`literal_into_caller`).
    fn owning_store(&self, p: usize, s: u16, leaders: &[bool]) -> bool {
        let next = self.u.plan.states.get(p + 1).and_then(|st| st.as_ref());
        match self.u.proto.code[p] {
            Op::MakeStruct(_) => {
                self.literal_then(p, leaders).is_some() && next.is_some_and(|st| st.slots[s as usize] == Kind::Top)
            }
            Op::CallMethod(..) => {
                self.sites.get(&p).is_some_and(|site| site.stores_into() == Some(s) && site.one_literal_return())
            }
            _ => false,
        }
    }

    /// The literal that the instruction at `p` stores (fused, or returned
    /// by the method run in line there).
    fn stored_literal(&self, p: usize) -> Option<LiteralKinds> {
        let u = self.u;
        match u.proto.code[p] {
            Op::MakeStruct(_) => literal_kinds(&u.proto.code, &u.proto.consts, u.plan, p),
            _ => self.sites.get(&p)?.returned_literal(),
        }
    }

    /// The variables of local `s`, for its store at `store` (only that one
    /// literal store may skip the checks).
    pub(super) fn owned_vars(&self, s: u16, store: usize) -> Option<OwnVars> {
        self.owned.get(&s).filter(|o| o.store == store).map(|o| o.vars.clone())
    }

    /// The variables of local `s` for a read at `pc` inside its loop.
    pub(super) fn owned_at(&self, s: u16, pc: usize) -> Option<OwnVars> {
        self.owned.get(&s).filter(|o| o.header <= pc && pc <= o.back).map(|o| o.vars.clone())
    }

    /// Clears the variable of local `s`, if it has one.
    pub(super) fn disown(&mut self, s: u16) {
        if let Some(var) = self.owned.get(&s).map(|o| o.vars.ours) {
            let zero = self.b.ins().iconst(types::I8, 0);
            self.b.def_var(var, zero);
        }
    }

    /// Clears every local's variable (where the unit starts, and after a
    /// method call run in line that was made otherwise).
    pub(super) fn disown_all(&mut self) {
        let vars: Vec<Variable> = self.owned.values().map(|o| o.vars.ours).collect();
        if vars.is_empty() {
            return;
        }
        let zero = self.b.ins().iconst(types::I8, 0);
        for var in vars {
            self.b.def_var(var, zero);
        }
    }

    /// Clears the variables of the locals whose loop starts at `pc`, as the
    /// code before it falls into it.
    pub(super) fn disown_at_header(&mut self, pc: usize) {
        let mut locals: Vec<u16> = self.owned.iter().filter(|(_, o)| o.header == pc).map(|(s, _)| *s).collect();
        locals.sort_unstable();
        for s in locals {
            self.disown(s);
        }
    }

    /// The field buffer of the struct at `local` for a literal written in
    /// place, whose operands start at stack position `first` with kinds
    /// `kinds`: while `owned` says so, the struct's own, with no check;
    /// otherwise `checked` (the checks, branching to the slow way). Then
    /// `owned` is set, and its fields' variables hold the operands, when the
    /// operands own nothing and have the kinds its store was planned with.
    pub(super) fn owned_buffer(
        &mut self,
        l: HeapLayout,
        local: Value,
        owned: Option<OwnVars>,
        (first, kinds): (usize, &[Kind]),
        checked: impl FnOnce(&mut Self) -> Value,
    ) -> Value {
        let Some(o) = owned else { return checked(self) };
        let var = o.ours;
        let planned = o.fields.iter().zip(kinds).all(|((_, f), k)| f.is_none_or(|(fk, _)| fk == *k));
        let scalar = planned && kinds.iter().all(|k| k.scalar());
        if !scalar {
            let buf = checked(self);
            let zero = self.b.ins().iconst(types::I8, 0);
            self.b.def_var(var, zero);
            return buf;
        }
        let (own, check, write): (Block, Block, Block) =
            (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.append_block_param(write, types::I64);
        let is_own = self.b.use_var(var);
        self.b.ins().brif(is_own, own, &[], check, &[]);
        self.b.switch_to_block(own);
        let obj = self.b.ins().load(types::I64, flags(), local, PAYLOAD_OFFSET as i32);
        let buf = self.b.ins().load(types::I64, flags(), obj, l.struct_values);
        self.b.ins().jump(write, &[buf.into()]);
        self.b.switch_to_block(check);
        let buf = checked(self);
        self.b.ins().jump(write, &[buf.into()]);
        self.b.switch_to_block(write);
        let one = self.b.ins().iconst(types::I8, 1);
        self.b.def_var(var, one);
        for (i, f) in o.fields.iter().enumerate() {
            if let Some((k, fv)) = f.1 {
                let v = self.get(Loc::Stack((first + i) as u16), k);
                self.b.def_var(fv, v);
            }
        }
        self.b.block_params(write)[0]
    }

    /// For a read of field `name` of local `a`, speculated to give a
    /// `want`, whose struct is the loop's own here (`owned` of the caller's
    /// local for a method run in line): branches, when it is, to `done` with
    /// the value written there last, and goes on in a new block otherwise.
    pub(super) fn owned_read(&mut self, vars: Option<OwnVars>, name: &str, want: Kind, done: Block) {
        let Some((o, fv)) = vars.and_then(|o| o.field(name, want).map(|fv| (o, fv))) else { return };
        let (own, other) = (self.b.create_block(), self.b.create_block());
        let is_own = self.b.use_var(o.ours);
        self.b.ins().brif(is_own, own, &[], other, &[]);
        self.b.switch_to_block(own);
        let v = self.b.use_var(fv);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(other);
    }
}

/// Whether method code `code` uses slot `slot` only to read its fields
/// (`LOAD_LOCAL` then FIELD), and never assigns it.
fn only_field_reads(code: &[Op], slot: u16) -> bool {
    code.iter().enumerate().all(|(pc, op)| {
        let reads = match op.slot_reads() {
            SlotReads::One(a) => a == slot,
            SlotReads::Two(a, b) => a == slot || b == slot,
            SlotReads::Any => true,
            SlotReads::None => false,
        };
        let field_read = *op == Op::LoadLocal(slot) && matches!(code.get(pc + 1), Some(Op::Field(_)));
        (!reads || field_read) && writes_slot(*op) != Some(slot)
    })
}
