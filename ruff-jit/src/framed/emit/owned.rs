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
//! while it is set the literal is written without them.
//!
//! The variable is cleared where the unit starts, where the loop is entered
//! from before its header (nothing jumps into the loop from outside: the
//! local may have been written there), on every way to the local's store but
//! the literal in place (the literal made by the helper, the method's other
//! returns), and wherever a method call run in line is made by the helper or
//! finished by the VM (which take references to what the call borrows, and
//! may run any code), for every such local. A way out to the VM leaves the
//! unit, whose next entry starts cleared.

use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use cranelift_frontend::Variable;
use ruff_core::bytecode::{Op, SlotReads};
use ruff_core::runtime::heap_layout::HeapLayout;
use rustc_hash::FxHashMap;

use super::super::plan::{writes_slot, How};
use super::Fx;
use crate::analyze::Kind;
use crate::scalar::flags;
use ruff_core::runtime::value::PAYLOAD_OFFSET;

/// A local whose struct a loop keeps as its own.
pub(super) struct Owned {
    /// The loop's header.
    header: usize,
    /// The local's one store in the loop (`STORE_LOCAL`).
    store: usize,
    /// Set while the struct is the loop's own.
    var: Variable,
}

impl Fx<'_, '_> {
    /// Finds, before the unit's code is emitted (and after
    /// `plan_inlining`), the locals whose struct a loop keeps as its own
    /// (module notes), each with the outermost such loop.
    pub(super) fn plan_owned(&mut self, leaders: &[bool]) {
        let (code, plan) = (&self.u.proto.code, self.u.plan);
        for (t, q) in super::promote::loops(code, plan) {
            if entered_from_outside(code, &plan.states, t, q) {
                continue;
            }
            let mut found = self.owned_in(t, q, leaders);
            found.sort_unstable();
            for (s, store) in found {
                if !self.owned.contains_key(&s) {
                    let var = self.b.declare_var(types::I8);
                    self.owned.insert(s, Owned { header: t, store, var });
                }
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

    /// The variable that says local `s`'s struct is the loop's own, for its
    /// store at `store` (only that one literal store may skip the checks).
    pub(super) fn owned_var(&self, s: u16, store: usize) -> Option<Variable> {
        self.owned.get(&s).filter(|o| o.store == store).map(|o| o.var)
    }

    /// Clears the variable of local `s`, if it has one.
    pub(super) fn disown(&mut self, s: u16) {
        if let Some(var) = self.owned.get(&s).map(|o| o.var) {
            let zero = self.b.ins().iconst(types::I8, 0);
            self.b.def_var(var, zero);
        }
    }

    /// Clears every local's variable (where the unit starts, and after a
    /// method call run in line that was made otherwise).
    pub(super) fn disown_all(&mut self) {
        let vars: Vec<Variable> = self.owned.values().map(|o| o.var).collect();
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
    /// place: when `owned` is set, the struct's own, with no check; otherwise
    /// `checked` (the checks, branching to the slow way), after which the
    /// variable is set. `scalar`: the literal's operands own nothing (only
    /// then may the variable be set).
    pub(super) fn owned_buffer(
        &mut self,
        l: HeapLayout,
        local: Value,
        owned: Option<Variable>,
        scalar: bool,
        checked: impl FnOnce(&mut Self) -> Value,
    ) -> Value {
        let Some(var) = owned else { return checked(self) };
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
        self.b.block_params(write)[0]
    }
}

/// Whether an instruction outside `[t, q]` jumps into it.
fn entered_from_outside(code: &[Op], states: &[Option<crate::analyze::State>], t: usize, q: usize) -> bool {
    code.iter().enumerate().any(|(pc, op)| {
        let outside = pc < t || pc > q;
        let target = op.target().map(|x| x as usize);
        outside && states[pc].is_some() && target.is_some_and(|x| t <= x && x <= q)
    })
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
