//! A local struct's fields kept in variables through a loop (scalar
//! promotion). In a loop that touches a local `s` only by reading its fields
//! (`LOAD_LOCAL s` then FIELD) and by assigning them values that hold no
//! reference count (`s.name = value`, SET_PATH), nothing but those
//! instructions can see the
//! struct once it is the local's alone: a step, a call or a helper in the loop
//! reads no slot of this frame but its operands (`Op::slot_reads`), and a
//! closure made before the loop holds a copy. The fields then live in
//! variables, a tag and a payload each, with no shape check, no reference
//! count and no memory access per read or assignment. Every such local of
//! the loop is promoted, up to [`MAX_FIELDS`] fields in all.
//!
//! - A value assigned in the loop that holds a reference count (a string)
//!   leaves to the VM at its SET_PATH, after the write-back below.
//!
//! - Before the loop (a preheader block, which every entry of the loop from
//!   outside goes through), `ruff_jit_promote` checks the struct and makes it
//!   the local's alone (see `ruff_core::runtime::vm::jit_promote`), giving
//!   the fields' addresses; the variables are loaded from there.
//! - Every way out of the loop writes the variables back first: a branch to an
//!   instruction after the loop (through a block of its own), an exit to the
//!   VM, a raised error, a return.
//! - A struct the helper refuses (a dict, a missing field, a field holding a
//!   string) leaves to the VM at the loop's header, after noting `OTHER` in the
//!   feedback of the loop's back-edge: the code compiled next does not promote
//!   there.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind};
use cranelift_frontend::Variable;
use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::{Const, Op, Proto, SlotReads, Var};
use ruff_core::runtime::tier::bail;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET};
use ruff_core::runtime::vm::jit_helpers::PromotedFields;
use rustc_hash::{FxHashMap, FxHashSet};
use std::rc::Rc;

use super::super::plan::{writes_slot, How, Plan};
use super::{heap, Fx};
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};
use crate::translate::tag_of;

/// The most fields one loop keeps in variables (three each: tag, payload,
/// address).
const MAX_FIELDS: usize = 8;

/// A loop whose locals' fields can live in variables ([`find`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The loop's header (its back-edges' target) and its last back-edge.
    pub header: usize,
    pub back: usize,
    /// The locals, each with the names of its fields (the fields are
    /// numbered across the locals, in this order).
    pub locals: Vec<(u16, Vec<Rc<str>>)>,
    /// Each field read: its LOAD_LOCAL's index, and the field's.
    pub reads: Vec<(usize, usize)>,
    /// Each field assignment: its SET_PATH's index, and the field's.
    pub sets: Vec<(usize, usize)>,
    /// The CONST instructions that push the assignments' names.
    pub names_at: Vec<usize>,
}

impl Candidate {
    fn contains(&self, pc: usize) -> bool {
        self.header <= pc && pc <= self.back
    }

    /// The fields of all the locals.
    fn fields(&self) -> usize {
        self.locals.iter().map(|(_, names)| names.len()).sum()
    }

    /// Adds the locals of `other`, a candidate of the same loop.
    fn merge(&mut self, other: Candidate) {
        let off = self.fields();
        self.locals.extend(other.locals);
        self.reads.extend(other.reads.into_iter().map(|(pc, f)| (pc, f + off)));
        self.sets.extend(other.sets.into_iter().map(|(pc, f)| (pc, f + off)));
        self.names_at.extend(other.names_at);
    }
}

/// The loop and locals whose fields are kept in variables, if any: the
/// largest loop with such locals, entered only through its header, whose
/// back-edge's feedback does not say that a promotion failed there, with
/// each of its locals that `fits` (the value the local has now, where it is
/// known), as many as [`MAX_FIELDS`] allows.
pub fn find(proto: &Proto, plan: &Plan, leaders: &[bool], fits: impl Fn(&Candidate) -> bool) -> Option<Candidate> {
    let code = &proto.code;
    if !code.iter().any(|op| matches!(op, Op::SetPath(Var::Local(_), 1, 1))) {
        return None;
    }
    for (t, q) in loops(code, plan) {
        let failed = proto.feedback[q].get() & feedback::OTHER != 0;
        if failed || (t < plan.entry && plan.entry <= q) || entered_inside(code, plan, t, q) {
            continue;
        }
        let mut slots: Vec<u16> = (t..=q)
            .filter(|&pc| plan.states[pc].is_some())
            .filter_map(|pc| match code[pc] {
                Op::SetPath(Var::Local(s), 1, 1) => Some(s),
                _ => None,
            })
            .collect();
        slots.sort_unstable();
        slots.dedup();
        let mut found: Option<Candidate> = None;
        for c in slots.into_iter().filter_map(|s| check(proto, plan, leaders, (t, q), s).filter(&fits)) {
            match &mut found {
                None => found = Some(c),
                Some(f) if f.fields() + c.fields() <= MAX_FIELDS => f.merge(c),
                Some(_) => {}
            }
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The unit's loops, each as its header and last back-edge, the largest
/// first.
pub(super) fn loops(code: &[Op], plan: &Plan) -> Vec<(usize, usize)> {
    let mut loops: FxHashMap<usize, usize> = FxHashMap::default();
    for (q, op) in code.iter().enumerate() {
        if let (Op::Loop(t), Some(_)) = (op, &plan.states[q]) {
            let e = loops.entry(*t as usize).or_insert(q);
            *e = (*e).max(q);
        }
    }
    let mut loops: Vec<(usize, usize)> = loops.into_iter().filter(|(t, q)| t < q).collect();
    loops.sort_by_key(|&(t, q)| (std::cmp::Reverse(q - t), t));
    loops
}

/// Whether an instruction outside `[t, q]` jumps into it past `t`.
fn entered_inside(code: &[Op], plan: &Plan, t: usize, q: usize) -> bool {
    jumped_into(code, plan, (t, q), t + 1)
}

/// Whether a reachable instruction outside the loop `[t, q]` jumps to one
/// from `from` to `q`.
pub(super) fn jumped_into(code: &[Op], plan: &Plan, (t, q): (usize, usize), from: usize) -> bool {
    code.iter().enumerate().any(|(pc, op)| {
        let outside = pc < t || pc > q;
        let target = op.target().map(|x| x as usize);
        outside && plan.states[pc].is_some() && target.is_some_and(|x| from <= x && x <= q)
    })
}

/// The candidate for local `s` in the loop `[t, q]`, if every instruction
/// there that touches `s` is a field read or a field assignment of a number
/// or a bool, with at least one assignment.
fn check(proto: &Proto, plan: &Plan, leaders: &[bool], (t, q): (usize, usize), s: u16) -> Option<Candidate> {
    let code = &proto.code;
    let mut c =
        Candidate { header: t, back: q, locals: Vec::new(), reads: Vec::new(), sets: Vec::new(), names_at: Vec::new() };
    let mut names: Vec<Rc<str>> = Vec::new();
    let mut field = |name: &str| match names.iter().position(|n| &**n == name) {
        Some(i) => i,
        None => {
            names.push(Rc::from(name));
            names.len() - 1
        }
    };
    let (mut reads, mut sets, mut names_at) = (Vec::new(), Vec::new(), Vec::new());
    let mut pc = t;
    while pc <= q {
        let Some(st) = &plan.states[pc] else {
            pc += 1;
            continue;
        };
        match code[pc] {
            Op::LoadLocal(a) if a == s => {
                let Op::Field(k) = code[pc + 1] else { return None };
                let Some(Const::Name(name)) = proto.consts.get(k as usize) else { return None };
                let speculated = matches!(plan.how[pc + 1], How::Native | How::GuardInt | How::GuardFloat);
                if leaders[pc + 1] || plan.how[pc] != How::Native || st.slots[s as usize] != Kind::Top || !speculated {
                    return None;
                }
                reads.push((pc, field(name)));
                // The FIELD goes with it.
                pc += 2;
                continue;
            }
            Op::SetPath(Var::Local(a), 1, 1) if a == s => {
                let d = st.stack.len();
                let value = matches!(st.stack[d - 1], Kind::Int | Kind::Float | Kind::Bool | Kind::Null | Kind::Top);
                if plan.how[pc] == How::Exit || !value {
                    return None;
                }
                let (at, name) = name_pushed(proto, plan, pc, d)?;
                sets.push((pc, field(&name)));
                names_at.push(at);
            }
            op => {
                let reads_s = match op.slot_reads() {
                    SlotReads::None => false,
                    SlotReads::One(a) => a == s,
                    SlotReads::Two(a, b) => a == s || b == s,
                    SlotReads::Any => true,
                };
                if reads_s || writes_slot(op) == Some(s) {
                    return None;
                }
            }
        }
        pc += 1;
    }
    if sets.is_empty() || names.len() > MAX_FIELDS {
        return None;
    }
    c.locals = vec![(s, names)];
    c.reads = reads;
    c.sets = sets;
    c.names_at = names_at;
    Some(c)
}

/// The field name SET_PATH at `pc` (depth `d`) assigns, and the CONST that
/// pushed it below the value. The value's code never goes below that depth,
/// so the last instruction before `pc` at depth `d - 2` pushed it.
fn name_pushed(proto: &Proto, plan: &Plan, pc: usize, d: usize) -> Option<(usize, String)> {
    let p = (0..pc).rev().find(|&p| plan.states[p].as_ref().is_some_and(|st| st.stack.len() < d - 1))?;
    let depth = plan.states[p].as_ref()?.stack.len();
    match (code_const(proto, p)?, depth == d - 2) {
        (Const::Str(text), true) => Some((p, text.to_string())),
        _ => None,
    }
}

fn code_const(proto: &Proto, pc: usize) -> Option<&Const> {
    match proto.code[pc] {
        Op::Const(k) => proto.consts.get(k as usize),
        _ => None,
    }
}

/// The variables of a promoted field.
#[derive(Clone, Copy)]
struct FieldVars {
    tag: Variable,
    /// The payload: an `f64` for a field the loop only assigns floats (its
    /// arithmetic then stays in float registers), its bits otherwise.
    payload: Variable,
    /// Where the field's value is in the struct.
    addr: Variable,
    float: bool,
}

/// A promotion being emitted: the candidate, with its blocks and variables.
pub(super) struct Promotion {
    c: Candidate,
    /// Where every entry of the loop from outside goes first.
    preheader: Block,
    /// Per instruction after the loop that the loop branches to: the block
    /// that writes the fields back and goes there.
    leaves: FxHashMap<usize, Block>,
    /// Per field, its variables.
    vars: Vec<FieldVars>,
    reads: FxHashMap<usize, usize>,
    sets: FxHashMap<usize, usize>,
    names_at: FxHashSet<usize>,
    /// Per local, the names for the helper (kept with the unit's caches once
    /// the preheader refers to them).
    #[allow(clippy::vec_box, reason = "the code holds each list's address")]
    data: Vec<Box<PromotedFields>>,
}

impl Fx<'_, '_> {
    /// Sets up the promotion of `c` (once the instructions' blocks exist).
    pub(super) fn promote(&mut self, c: Candidate) {
        let preheader = self.b.create_block();
        let mut leaves = FxHashMap::default();
        for pc in c.header..=c.back {
            // (A TRY_BEGIN's target is reached by unwinding, in the VM.)
            let op = self.u.proto.code[pc];
            let jumps = self.u.plan.states[pc].is_some() && !matches!(op, Op::TryBegin(_));
            let target = op.target().filter(|_| jumps);
            if let Some(x) = target.map(|x| x as usize).filter(|x| !c.contains(*x)) {
                if self.blocks.contains_key(&x) {
                    leaves.entry(x).or_insert_with(|| self.b.create_block());
                }
            }
        }
        let states = &self.u.plan.states;
        let assigns_float = |pc: usize| states[pc].as_ref().and_then(|st| st.stack.last()) == Some(&Kind::Float);
        let vars = (0..c.fields())
            .map(|f| {
                let mut sets = c.sets.iter().filter(|(_, g)| *g == f).map(|(pc, _)| *pc);
                let float = sets.all(assigns_float);
                let (tag, addr) = (self.b.declare_var(types::I8), self.b.declare_var(types::I64));
                let payload = self.b.declare_var(if float { types::F64 } else { types::I64 });
                FieldVars { tag, payload, addr, float }
            })
            .collect();
        let data = c.locals.iter().map(|(_, names)| Box::new(PromotedFields { names: names.clone() })).collect();
        self.promo = Some(Promotion {
            reads: c.reads.iter().copied().collect(),
            sets: c.sets.iter().copied().collect(),
            names_at: c.names_at.iter().copied().collect(),
            c,
            preheader,
            leaves,
            vars,
            data,
        });
    }

    /// The locals whose fields are promoted.
    pub(super) fn promoted_locals(&self) -> u32 {
        self.promo.as_ref().map_or(0, |p| p.c.locals.len() as u32)
    }

    /// Whether `pc` lies in the promoted loop.
    pub(super) fn promoted_at(&self, pc: usize) -> bool {
        self.promo.as_ref().is_some_and(|p| p.c.contains(pc))
    }

    /// The block a jump from the instruction being emitted to `pc` (whose
    /// own block is `blk`) goes to: the preheader for the loop's header from
    /// outside, a write-back block for an instruction after the loop from
    /// inside.
    pub(super) fn promoted_target(&self, pc: usize, blk: Block) -> Block {
        let Some(p) = &self.promo else { return blk };
        let inside = p.c.contains(self.at.0);
        match (inside, p.c.contains(pc)) {
            (false, _) if pc == p.c.header => p.preheader,
            (true, false) => p.leaves.get(&pc).copied().unwrap_or(blk),
            _ => blk,
        }
    }

    /// The preheader's block, when `pc` is the promoted loop's header.
    pub(super) fn preheader_of(&self, pc: usize) -> Option<Block> {
        self.promo.as_ref().filter(|p| p.c.header == pc).map(|p| p.preheader)
    }

    /// Emits the preheader (entered with `d` operands, nothing pending), then
    /// continues at the header's block `header`.
    pub(super) fn emit_preheader(&mut self, d: usize, header: Block) {
        let p = self.promo.as_mut().expect("a promotion");
        let (pre, back, t, n) = (p.preheader, p.c.back, p.c.header, p.c.fields());
        let slots: Vec<u16> = p.c.locals.iter().map(|(s, _)| *s).collect();
        let data = std::mem::take(&mut p.data);
        let vars = p.vars.clone();
        self.b.switch_to_block(pre);
        let out = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8 * n as u32, 3));
        let out = self.b.ins().stack_addr(types::I64, out, 0);
        let refused = self.b.create_block();
        self.b.set_cold_block(refused);
        // Each local's fields' addresses, after those of the locals before it.
        let mut off = 0;
        for (slot, data) in slots.into_iter().zip(data) {
            let local = self.addr(Loc::Slot(slot));
            let names = self.b.ins().iconst(types::I64, &*data as *const PromotedFields as i64);
            let at = self.b.ins().iadd_imm_s(out, 8 * off as i64);
            off += data.names.len();
            self.caches.promoted.push(data);
            let r = self.call(self.u.helpers.promote, &[local, names, at]).expect("helper result");
            let next = self.b.create_block();
            self.b.ins().brif(r, refused, &[], next, &[]);
            self.b.switch_to_block(next);
        }
        let ok = self.b.create_block();
        self.b.ins().jump(ok, &[]);
        self.b.switch_to_block(refused);
        // Nothing is pending: the header is a join, written before.
        self.note_other(back);
        self.leave(t, d);
        self.b.switch_to_block(ok);
        for (k, v) in vars.into_iter().enumerate() {
            let a = self.b.ins().load(types::I64, flags(), out, 8 * k as i32);
            let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
            let ty = if v.float { types::F64 } else { types::I64 };
            let payload = self.b.ins().load(ty, flags(), a, PAYLOAD_OFFSET as i32);
            self.b.def_var(v.addr, a);
            self.b.def_var(v.tag, tag);
            self.b.def_var(v.payload, payload);
        }
        self.b.ins().jump(header, &[]);
    }

    /// A promoted field read at `pc` (LOAD_LOCAL, then FIELD), depth `d`:
    /// its value from the variables; returns `None` when `pc` is not one.
    pub(super) fn promoted_read(&mut self, pc: usize, st: &State) -> Option<usize> {
        let p = self.promo.as_ref()?;
        let f = *p.reads.get(&pc)?;
        let fv = p.vars[f];
        let d = st.stack.len();
        let want = match self.u.plan.how[pc + 1] {
            How::GuardInt => Some(Kind::Int),
            How::GuardFloat => Some(Kind::Float),
            _ => None,
        };
        let tag = self.b.use_var(fv.tag);
        match want {
            Some(want) => {
                // A field of another kind leaves at the LOAD_LOCAL, where the
                // VM reads it again.
                let v = if fv.float && want == Kind::Float {
                    let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(want) as i64);
                    self.exit_if(other, pc, d, bail::GUARD);
                    self.b.use_var(fv.payload)
                } else {
                    let bits = self.payload_bits(fv);
                    self.unboxed_or_exit((tag, bits), want, pc, d)
                };
                self.deferring = true;
                self.set(Loc::Stack(d as u16), want, v);
                self.deferring = false;
            }
            None => {
                // Its value holds no reference count (the helper checked, and
                // assignments store numbers and bools).
                let bits = self.payload_bits(fv);
                let dst = self.addr(Loc::Stack(d as u16));
                heap::write(self.b, dst, (tag, bits));
            }
        }
        Some(2)
    }

    /// A promoted field assignment at `pc` (SET_PATH of the local, one
    /// field): the value on top goes to the variables, and the name below it
    /// is released; returns `None` when `pc` is not one. A heap-kinded value
    /// that holds a reference count (a string, say) leaves to the VM at the
    /// instruction instead, after noting `OTHER` in the feedback of the
    /// loop's back-edge: the variables hold no counted value.
    pub(super) fn promoted_set(&mut self, pc: usize, st: &State) -> Option<usize> {
        let p = self.promo.as_ref()?;
        let f = *p.sets.get(&pc)?;
        let fv = p.vars[f];
        let back = p.c.back;
        let d = st.stack.len();
        let k = st.stack[d - 1];
        let top = Loc::Stack((d - 1) as u16);
        let (t, bits) = match k {
            Kind::Top => {
                self.flush_loc(top);
                let a = self.addr(top);
                let parts = heap::parts(self.b, a);
                let counted = heap::counted(self.b, parts.0);
                let (note, ok) = (self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(note);
                self.b.ins().brif(counted, note, &[], ok, &[]);
                self.b.switch_to_block(note);
                self.note_other(back);
                self.leave(pc, d);
                self.b.switch_to_block(ok);
                parts
            }
            _ => {
                // An int's bits, a float (converted below when the variable
                // holds bits), a bool widened; null's payload is 0 (`get`).
                let v = self.get(top, k);
                let bits = if k == Kind::Bool { self.b.ins().uextend(types::I64, v) } else { v };
                (self.b.ins().iconst(types::I8, tag_of(k) as i64), bits)
            }
        };
        self.b.def_var(fv.tag, t);
        let payload = match (fv.float, self.b.func.dfg.value_type(bits)) {
            (true, types::I64) => self.b.ins().bitcast(types::F64, MemFlagsData::new(), bits),
            (false, types::F64) => self.b.ins().bitcast(types::I64, MemFlagsData::new(), bits),
            _ => bits,
        };
        self.b.def_var(fv.payload, payload);
        // The name: still pending (`pending_name`, never written, no
        // reference taken), or in the frame.
        let at = (d - 2) as u16;
        match self.lazy.iter().position(|e| e.0 == at) {
            Some(i) => {
                self.lazy.remove(i);
            }
            None => {
                let name = self.addr(Loc::Stack(at));
                self.release(name);
            }
        }
        Some(1)
    }

    /// The CONST at `pc` that pushes a promoted assignment's name: pending
    /// (`lazy`) rather than written with a new reference, as the assignment
    /// only drops it; written (with its reference) by whatever needs the frame
    /// complete before. Returns `None` when `pc` is not one.
    pub(super) fn pending_name(&mut self, pc: usize, st: &State) -> Option<usize> {
        let p = self.promo.as_ref()?;
        if !p.names_at.contains(&pc) || self.u.layout.is_none() {
            return None;
        }
        let Op::Const(k) = self.u.proto.code[pc] else { return None };
        let Const::Str(text) = &self.u.proto.consts[k as usize] else { return None };
        // The proto keeps the constant (and so this address) alive for as
        // long as its code exists.
        let rc = heap::payload_bits(&ruff_core::runtime::value::Value::Str(text.clone()));
        let at = st.stack.len() as u16;
        self.lazy.retain(|e| e.0 != at);
        self.lazy.push((at, Kind::Top));
        self.names.insert(at, rc);
        Some(1)
    }

    /// Writes the promoted fields back to the struct.
    pub(super) fn write_back(&mut self) {
        let Some(p) = &self.promo else { return };
        for fv in p.vars.clone() {
            let (a, t, v) = (self.b.use_var(fv.addr), self.b.use_var(fv.tag), self.b.use_var(fv.payload));
            heap::write(self.b, a, (t, v));
        }
    }

    /// A promoted field's payload as bits.
    fn payload_bits(&mut self, fv: FieldVars) -> cranelift_codegen::ir::Value {
        let v = self.b.use_var(fv.payload);
        match fv.float {
            true => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            false => v,
        }
    }

    /// Emits the blocks that leave the loop for the instructions after it.
    pub(super) fn finish_leaves(&mut self) {
        let Some(p) = &self.promo else { return };
        let mut leaves: Vec<(usize, Block)> = p.leaves.iter().map(|(x, b)| (*x, *b)).collect();
        leaves.sort_unstable();
        for (x, blk) in leaves {
            self.b.switch_to_block(blk);
            self.write_back();
            let to = self.blocks.get(&x).copied().expect("a leader");
            self.b.ins().jump(to, &[]);
        }
    }
}
