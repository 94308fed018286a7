//! Method inlining: a `CALL_METHOD` whose receiver always had the same struct
//! type in the VM (`JitSlot::receiver`) runs that type's method in line, its
//! bytecode translated into the caller's code instead of called.
//!
//! The method's values stay where a call would put them: its frame starts at
//! the receiver, in the caller's operand stack, exactly as for a frameless
//! call (`methods`). So everything that leaves the inlined code finds the
//! state it expects:
//!
//! - the receiver is checked to be a struct of the recorded type (a type
//!   never changes its methods, and the site's [`MethodCache::inlined`] keeps
//!   it alive, so its address identifies it); anything else, and arguments of
//!   other kinds than the method's code was planned for, is the ordinary call
//!   by the helper, before the inlined code has run at all;
//! - a failed guard or an operation that would raise, inside the method,
//!   writes the method's state to its frame as any framed code does, and
//!   `ruff_jit_inline_bailed` pushes the frame record the inlined call skipped
//!   and lets the VM finish the method (its error, if it raises, has the
//!   method's frame in its trace). That helper also counts the failed guard
//!   against the caller's code, which is compiled again after enough of them,
//!   without inlining at that site (the helper's `OTHER` note in its
//!   feedback);
//! - a `return` passes the result to the call site in registers, releases
//!   what the frame owns (see the plan's kinds), and the result moves over
//!   the receiver. Values the caller pushed *borrowed*, without a reference
//!   (`plan_inlining`), are left alone; the helper's call and the VM finishing
//!   the method take their references first (`own_borrowed`).
//!
//! A literal the method returns, stored by the caller straight into a local,
//! may be written over that local's struct in place (`Tail::into`,
//! `literal_into_caller`), and field reads of a borrowed argument take the
//! values the caller knows it holds (`known`).
//!
//! Only *leaf* methods are inlined: short, without loops, calls or anything
//! that needs the frame record (a step, a helper that may raise). Whether a
//! method is one is settled by translating it first into a scratch function
//! (`fits`), so the translation into the caller cannot fail half-way.

use std::collections::HashMap;
use std::rc::Rc;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, Function, InstBuilder, UserFuncName, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use ruff_core::bytecode::{Const, Op};
use ruff_core::runtime::heap_layout::{type_bits, HeapLayout};
use ruff_core::runtime::object::{Closure, StructType};
use ruff_core::runtime::tier::{JitSlot, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET, TAG_STRUCT};
use ruff_core::runtime::vm::jit_helpers::MethodCache;
use rustc_hash::FxHashMap;

use super::super::plan::{self, How, Plan};
use super::{heap, FramedUnit, Fx, VALUE_SIZE};
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};

/// The most bytecode instructions a method run in line may have: enough for
/// field reads, arithmetic, a struct literal and a branch or two, few enough
/// that a caller with many call sites stays quick to compile.
const MAX_OPS: usize = 48;

/// Where an inlined method's code goes instead of returning.
#[derive(Clone, Copy)]
pub(super) struct Tail {
    pub ctx: Value,
    /// Its frame: the receiver's address in the caller's operand stack.
    pub recv: Value,
    /// After its `return`, with the result's tag and payload (its frame
    /// released).
    pub done: Block,
    /// After it left to the VM (its state written to its frame).
    pub bailed: Block,
    /// When its arguments are not of the kinds its code was planned for
    /// (nothing has run).
    pub mismatch: Block,
    /// Its slots holding borrowed values, which its `return` leaves alone.
    pub borrowed: u64,
    /// The receiver's struct (the pointer the call site checked the type
    /// of), while its slot keeps it: the method never assigns the slot.
    pub receiver: Option<Value>,
    /// When the caller stores the call's result straight into a local: that
    /// local's address, and where the caller goes on after its store, for a
    /// literal the method returns written over the local's struct in place
    /// (`literal_into_caller`).
    pub into: Option<(Value, Block)>,
}

/// A call site's method, ready to run in line.
pub(super) struct Site {
    ty: Rc<StructType>,
    method: Rc<Closure>,
    plan: Plan,
    /// The method's slots (receiver first, then the arguments) whose values
    /// the caller pushed *borrowed* (see [`Fx::plan_inlining`]), each with
    /// the caller's local it borrows.
    borrowed_from: Vec<(u16, u16)>,
    /// The local the caller stores the result in, by the instruction right
    /// after the call (`Tail::into`).
    store_into: Option<u16>,
}

impl Site {
    /// The borrowed slots as a mask (all below 64).
    fn borrowed(&self) -> u64 {
        self.borrowed_from.iter().fold(0, |m, (slot, _)| m | 1 << slot)
    }

    /// The method's code.
    pub(super) fn method_code(&self) -> &[Op] {
        &self.method.proto.code
    }

    /// The local the caller stores the result in, by the instruction right
    /// after the call.
    pub(super) fn stores_into(&self) -> Option<u16> {
        self.store_into
    }

    /// Whether the method returns one literal (`MAKE_STRUCT` then
    /// `RETURN`), whatever else it returns.
    pub(super) fn one_literal_return(&self) -> bool {
        super::known::literal_returns(&self.method.proto.code, &self.plan).count() == 1
    }

    /// The first literal the method returns.
    pub(super) fn returned_literal(&self) -> Option<super::known::LiteralKinds> {
        let proto = &self.method.proto;
        let at = super::known::literal_returns(&proto.code, &self.plan).next()?;
        super::known::literal_kinds(&proto.code, &proto.consts, &self.plan, at)
    }
}

impl Fx<'_, '_> {
    /// The method `CALL_METHOD` at `pc` (`argc` arguments, depth `d`) runs in
    /// line, when it can (see the module documentation).
    pub(super) fn inline_site(&self, pc: usize, d: usize, argc: usize, store_into: Option<u16>) -> Option<Site> {
        let caller = self.u.proto;
        if self.tail.is_some() || self.u.layout.is_none() {
            return None;
        }
        // The VM saw one type only, and no inlined code there has left to
        // the VM for a failed guard (`ruff_jit_inline_bailed`).
        let seen = caller.feedback.get(pc).map_or(0, |c| c.get());
        if seen & ruff_core::bytecode::proto::feedback::OTHER != 0 {
            return None;
        }
        let ty = caller.jit.receiver(pc)?;
        let Op::CallMethod(k, _) = caller.code[pc] else { return None };
        let Some(Const::Name(name)) = caller.consts.get(k as usize) else { return None };
        let Some(ruff_core::runtime::value::Value::Func(method)) = ty.method(name) else { return None };
        let callee = &method.proto;
        let leaf = callee.code.len() <= MAX_OPS && callee.code.iter().all(|op| inlinable(*op));
        if !leaf
            || !callee.captures.is_empty()
            || callee.nparams as usize != argc + 1
            || std::ptr::eq(&**callee, caller)
            || callee.jit.call_state.get() == JitSlot::REFUSED
        {
            return None;
        }
        let st = self.u.plan.states[pc].as_ref()?;
        let mut slots = vec![Kind::Null; callee.nslots as usize];
        slots[0] = Kind::Top;
        for (i, k) in st.stack[d - argc..d].iter().enumerate() {
            slots[i + 1] = *k;
        }
        let plan = plan::plan(callee, 0, slots, false).ok()?;
        if plan.how.iter().zip(&plan.states).any(|(h, s)| s.is_some() && *h == How::Step) {
            return None;
        }
        // Its frame, from the receiver on, fits in the room the VM keeps.
        let avail = self.u.stack_need as usize + 1 - (d - argc - 1);
        if callee.nslots as usize + plan.stack_need as usize > avail {
            return None;
        }
        let site = Site { ty: ty.clone(), method: method.clone(), plan, borrowed_from: Vec::new(), store_into };
        self.fits(&site, argc).then_some(site)
    }

    /// Finds, before the unit's code is emitted, the method calls it runs in
    /// line, and the `LOAD_LOCAL`s whose values those calls borrow.
    ///
    /// A call's receiver or argument pushed by a `LOAD_LOCAL` of a heap
    /// value, in the straight run of pushes just before the call that cannot
    /// leave to the VM (`LOAD_LOCAL`s, ints, bools, nulls), is pushed
    /// *borrowed*: copied without taking a reference. Nothing between
    /// the push and the call can leave to the VM or change the local, and the
    /// local keeps the value alive while the method runs; the inlined method
    /// never assigns that slot, and its `return` does not release it. Every
    /// other way on from the call (the helper's call, the VM finishing the
    /// method) takes the references first (`own_borrowed`), and so finds the
    /// values the VM would.
    pub(super) fn plan_inlining(&mut self, leaders: &[bool]) {
        let (code, plan) = (&self.u.proto.code, self.u.plan);
        for (pc, op) in code.iter().enumerate() {
            let (Op::CallMethod(_, argc), Some(st)) = (*op, &plan.states[pc]) else { continue };
            if plan.how[pc] != How::Step {
                continue;
            }
            let (d, argc) = (st.stack.len(), argc as usize);
            let store_into = match (code.get(pc + 1), plan.states.get(pc + 1)) {
                (Some(&Op::StoreLocal(s)), Some(Some(next)))
                    if plan.how[pc + 1] == How::Native && !leaders[pc + 1] && next.slots[s as usize] == Kind::Top =>
                {
                    Some(s)
                }
                _ => None,
            };
            let Some(mut site) = self.inline_site(pc, d, argc, store_into) else { continue };
            let callee = &site.method.proto;
            for j in 0..=argc {
                let (Some(q), slot) = (pc.checked_sub(1 + j), argc - j) else { break };
                let Some(sq) = plan.states[q].as_ref() else { break };
                if sq.stack.len() != d - 1 - j || plan.how[q] != How::Native || leaders[q + 1] {
                    break;
                }
                match code[q] {
                    Op::LoadLocal(s) if sq.slots[s as usize] == Kind::Top => {
                        if slot < 64 && !assigns(&callee.code, slot as u16) {
                            site.borrowed_from.push((slot as u16, s));
                            self.borrowed.insert(q, (pc, slot as u16));
                        }
                    }
                    // Pushes that cannot leave to the VM.
                    Op::LoadLocal(_) | Op::Int(_) | Op::True | Op::False | Op::Null => {}
                    _ => break,
                }
            }
            self.sites.insert(pc, site);
        }
    }

    /// Whether every call planned to run in line was emitted so, with every
    /// push it borrows (a push emitted another way would take a reference
    /// the inlined `return` never releases; a call emitted another way would
    /// release references the borrowed pushes never took).
    pub(super) fn inlining_done(&self) -> Result<(), Rejection> {
        if self.sites.is_empty() && self.borrowed_pushes == self.borrowed.len() {
            Ok(())
        } else {
            Err(Rejection::new("a method call planned to run in line was emitted otherwise"))
        }
    }

    /// Takes a reference for each borrowed value of an inlined call's frame
    /// at `recv` (`borrowed`, by slot), so the frame owns its values as the
    /// VM's would.
    fn own_borrowed(&mut self, l: HeapLayout, recv: Value, borrowed: u64) {
        for i in (0..64).filter(|i| borrowed & (1 << i) != 0) {
            let at = self.b.ins().iadd_imm_s(recv, i * VALUE_SIZE);
            heap::clone_value(self.b, l, at, at);
        }
    }

    /// The unit of `site`'s method as this unit's code runs it in line.
    fn inlined_unit<'s>(&self, site: &'s Site, argc: usize) -> FramedUnit<'s> {
        let u = self.u;
        FramedUnit {
            proto: &site.method.proto,
            plan: &site.plan,
            params: Some(argc + 1),
            helpers: u.helpers,
            counting: u.counting,
            stress: u.stress,
            target: u.target,
            layout: u.layout,
            vm_layout: u.vm_layout,
            direct: HashMap::new(),
            builtin_calls: HashMap::new(),
            call_paths: HashMap::new(),
            stack_need: site.plan.stack_need,
            values: &[],
        }
    }

    /// Whether `site`'s method translates in line without a failure and
    /// without anything that needs its frame record: tried in a scratch
    /// function with this one's signatures and imported helpers.
    fn fits(&self, site: &Site, argc: usize) -> bool {
        let mut func = Function::with_name_signature(UserFuncName::default(), self.b.func.signature.clone());
        func.dfg.signatures = self.b.func.dfg.signatures.clone();
        func.dfg.ext_funcs = self.b.func.dfg.ext_funcs.clone();
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let entry = b.create_block();
        for _ in 0..2 {
            b.append_block_param(entry, types::I64);
        }
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        let (done, bailed, mismatch) = (b.create_block(), b.create_block(), b.create_block());
        b.append_block_param(done, types::I8);
        b.append_block_param(done, types::I64);
        let receiver = (!assigns(&site.method.proto.code, 0)).then_some(p[1]);
        // Any address stands for the caller's local here.
        let into = site.store_into.map(|_| (p[1], b.create_block()));
        let tail = Tail { ctx: p[0], recv: p[1], done, bailed, mismatch, borrowed: site.borrowed(), receiver, into };
        let unit = self.inlined_unit(site, argc);
        let mut fx = Fx::new(&mut b, &unit, Some(tail));
        fx.body().is_ok() && !fx.uses_frame
    }

    /// `CALL_METHOD` at `pc` (`argc` arguments, depth `d`, the site's
    /// ordinary cache `cache`) running `site`'s method in line; returns the
    /// next instruction's index or `STEP_RAISED`, as the helper does.
    #[allow(clippy::too_many_arguments, reason = "the call site's parts")]
    pub(super) fn inline_call(
        &mut self,
        l: HeapLayout,
        site: Site,
        pc: usize,
        d: usize,
        argc: usize,
        cache: i64,
    ) -> Value {
        let (slow, bailed, done, join) =
            (self.b.create_block(), self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.set_cold_block(bailed);
        self.b.append_block_param(join, types::I32);
        let recv_index = d - argc - 1;
        let recv = self.addr(Loc::Stack(recv_index as u16));
        let obj = heap::payload_if(self.b, recv, TAG_STRUCT, slow);
        let ty = self.b.ins().load(types::I64, flags(), obj, l.struct_ty);
        let same = self.b.ins().icmp_imm_s(IntCC::Equal, ty, type_bits(&site.ty) as i64);
        let go = self.b.create_block();
        self.b.ins().brif(same, go, &[], slow, &[]);
        self.b.switch_to_block(go);
        if self.u.counting {
            // Native calls are counted with the statistics.
            let calls = self.b.ins().iconst(types::I64, &site.method.proto.jit.stats.native_calls as *const _ as i64);
            let n = self.b.ins().load(types::I64, flags(), calls, 0);
            let n1 = self.b.ins().iadd_imm_s(n, 1);
            self.b.ins().store(flags(), n1, calls, 0);
        }
        self.b.append_block_param(done, types::I8);
        self.b.append_block_param(done, types::I64);
        let receiver = (!assigns(&site.method.proto.code, 0)).then_some(obj);
        let into = site.store_into.map(|s| {
            let stored = self.b.create_block();
            self.stored = Some((pc + 1, stored));
            (self.addr(Loc::Slot(s)), stored)
        });
        let callee = &site.method.proto;
        let returned = site.store_into.and_then(|_| {
            super::known::Returned::find(&callee.code, &callee.consts, &site.plan, |k| {
                self.b.declare_var(crate::translate::cl_type(k))
            })
        });
        self.stored_known = returned.clone();
        let tail =
            Tail { ctx: self.ctx, recv, done, bailed, mismatch: slow, borrowed: site.borrowed(), receiver, into };
        let unit = self.inlined_unit(&site, argc);
        let known = self.known_for(&site.borrowed_from);
        let into_owned = site.store_into.and_then(|s| self.owned_vars(s, pc + 1));
        let owned_args: FxHashMap<u16, super::owned::OwnVars> =
            (site.borrowed_from.iter()).filter_map(|&(slot, s)| self.owned_at(s, pc).map(|o| (slot, o))).collect();
        let mut fx = Fx::new(&mut *self.b, &unit, Some(tail));
        fx.known = super::known::Knowledge::for_args(known);
        fx.returned = returned;
        fx.into_owned = into_owned;
        fx.owned_args = owned_args;
        let made = fx.body();
        let caches = std::mem::take(&mut fx.caches);
        drop(fx);
        self.caches.absorb(caches);
        if let Err(e) = made {
            // `fits` translated the same method the same way.
            self.broken = Some(e);
        }
        self.inlined += 1;
        // The method returned (its frame released): the result goes over
        // the receiver.
        self.b.switch_to_block(done);
        let result = self.b.block_params(done).to_vec();
        self.b.ins().store(flags(), result[0], recv, TAG_OFFSET as i32);
        self.b.ins().store(flags(), result[1], recv, PAYLOAD_OFFSET as i32);
        let next = self.b.ins().iconst(types::I32, pc as i64 + 1);
        self.b.ins().jump(join, &[next.into()]);
        // The cache the helper finishes a call that left with: it holds the
        // inlined method for good.
        let held = Box::new(MethodCache::inlined(&site.ty, &site.method, argc));
        let held_at = &*held as *const MethodCache as i64;
        self.caches.methods.push(held);
        self.b.switch_to_block(bailed);
        // The VM finishing the method, or the helper's call, takes
        // references and may run any code (`owned`).
        self.disown_all();
        self.own_borrowed(l, recv, site.borrowed());
        let mut args = self.method_args(pc, d, argc, held_at);
        args.push(self.b.ins().iconst(types::I32, self.u.params.is_none() as i64));
        let r = self.call(self.u.helpers.inline_bailed, &args).expect("step result");
        self.b.ins().jump(join, &[r.into()]);
        self.b.switch_to_block(slow);
        self.disown_all();
        self.own_borrowed(l, recv, site.borrowed());
        let args = self.method_args(pc, d, argc, cache);
        let r = self.call(self.u.helpers.call_method, &args).expect("step result");
        self.b.ins().jump(join, &[r.into()]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }
}

impl Fx<'_, '_> {
    /// An inlined method's `return` of the result `tag`, `payload` (taken from
    /// its position, not copied), in state `st`: what the VM's return drops
    /// of the frame (its slots, and the operands below the result) is
    /// released here, where the plan knows which of them are scalars, and
    /// the result goes to `done`.
    pub(super) fn inline_return(&mut self, st: &State, done: Block, tag: Value, payload: Value) {
        self.release_inlined_frame(st, st.stack.len() - 1);
        self.b.ins().jump(done, &[tag.into(), payload.into()]);
    }

    /// Releases what an inlined method's frame owns in state `st`: its slots
    /// where the plan's kinds say they may hold a counted value (not those
    /// borrowed), and its operands below depth `below`.
    pub(super) fn release_inlined_frame(&mut self, st: &State, below: usize) {
        let plain = &self.u.plan.plain;
        let borrowed = self.tail.map_or(0, |t| t.borrowed);
        let owned = |i: usize| i >= 64 || borrowed & (1 << i) == 0;
        let slots =
            st.slots.iter().enumerate().map(|(i, k)| (Loc::Slot(i as u16), !k.scalar() && !plain[i] && owned(i)));
        let operands = st.stack[..below].iter().enumerate().map(|(i, k)| (Loc::Stack(i as u16), !k.scalar()));
        let counted: Vec<Loc> = slots.chain(operands).filter(|(_, c)| *c).map(|(loc, _)| loc).collect();
        for loc in counted {
            let a = self.addr(loc);
            self.release(a);
        }
    }
}

/// Whether code assigns slot `s` (of the instructions a method run in line
/// may have).
fn assigns(code: &[Op], s: u16) -> bool {
    code.iter().any(|op| matches!(*op, Op::StoreLocal(t) | Op::AddLocal(t) | Op::IncLocal(t, _) if t == s))
}

/// Whether a method with instruction `op` may run in line: no loops, calls,
/// closures, handlers, or anything else a leaf method of field reads,
/// arithmetic, comparisons, branches and struct literals does not need.
fn inlinable(op: Op) -> bool {
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
            | Op::Jump(_)
            | Op::JumpIfFalse(_)
            | Op::JumpIfTrue(_)
            | Op::JumpIfNotNull(_)
            | Op::JumpIfNot(..)
            | Op::LocalAddInt(..)
            | Op::LocalSubInt(..)
            | Op::Return
            | Op::Field(_)
            | Op::MakeStruct(_)
    )
}
