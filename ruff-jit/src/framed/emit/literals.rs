//! `MAKE_STRUCT` in framed code. A loop that makes a struct per iteration
//! drops the one before at about the same time, and the runtime keeps such
//! objects for reuse (`ruff_core::runtime::vm::struct_pool`). The literal's
//! code takes the latest kept object itself when
//!
//! 1. it was made with the literal's very shape and has the literal's name
//!    (the pool lists both beside each object), and
//! 2. its type word is the one the literal's [`LiteralCache`] remembers, and
//!    no struct type was declared since the cache was filled (the pool's
//!    generation): then it has the type the literal would give it;
//!
//! and moves the field values from the operand stack into the object's
//! buffer (a kept object of that shape held as many: the buffer has room),
//! writing the struct over the first of them, as the helper does. Anything
//! else is the helper's (`ruff_jit_make_struct`), which also fills the cache.
//!
//! On the `Vec2` loop of the README (two literals per iteration), a literal
//! took about 107 instructions through the helper; the loop went from 819 to
//! 658 instructions per iteration (callgrind).
//!
//! A literal stored straight into a local (`v = P { ... }`) whose old struct
//! nothing else holds is written over that struct in place
//! ([`Fx::literal_into_local`]): no kept object taken, none given back by the
//! drop helper. The `Vec2` loop's `v := Vec2 { ... }` went from 655 to 592
//! instructions per iteration with it.
//!
//! The same holds across a method run in line whose result its caller stores
//! straight into a local, `acc = acc.add(v)`, when the method returns a
//! literal ([`Fx::literal_into_caller`]): the `Vec2` loop went from 410 to 337
//! instructions per iteration.

use std::rc::Rc;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use ruff_core::bytecode::{Const, Op};
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::tier::Rejection;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET, TAG_STRUCT};
use ruff_core::runtime::vm::jit_helpers::{name_key, pool, shape_key, LiteralCache, Pool, MAX_FIELDS};

use super::super::heap;
use super::super::plan::How;
use super::owned::OwnVars;
use super::{Fx, VALUE_SIZE};
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};
use crate::translate::tag_of;

/// The start of a fused literal sequence ([`Fx::literal_then`]).
pub(super) struct LiteralStart<'a> {
    /// The literal's shape constant, and its fields.
    k: u32,
    fields: &'a Rc<[Rc<str>]>,
    /// The state before the instruction after the literal.
    next: &'a State,
    l: HeapLayout,
}

impl<'a> Fx<'a, '_> {
    /// `MAKE_STRUCT` of shape constant `k` at operand stack depth `d`.
    pub(super) fn make_struct(&mut self, k: u32, d: usize) -> Result<(), Rejection> {
        let c = self.literal_cache();
        self.make_struct_with(k, d, c)
    }

    /// A new [`LiteralCache`] for one literal (the engine keeps it alive), as
    /// an address in the code.
    fn literal_cache(&mut self) -> Value {
        let cache = Box::<LiteralCache>::default();
        let c = self.b.ins().iconst(types::I64, &*cache as *const LiteralCache as i64);
        self.caches.literals.push(cache);
        c
    }

    /// [`Fx::make_struct`] with the literal's cache at `c`.
    fn make_struct_with(&mut self, k: u32, d: usize, c: Value) -> Result<(), Rejection> {
        let konst = &self.u.proto.consts[k as usize];
        let Const::Shape { name, fields } = konst else {
            return Err(Rejection::new("struct literal without a shape"));
        };
        let n = fields.len();
        let (shape, name) = (shape_key(fields), name_key(name));
        let konst = self.b.ins().iconst(types::I64, konst as *const Const as i64);
        let at = self.addr(Loc::Stack((d - n) as u16));
        let Some(l) = self.u.layout.filter(|_| n <= MAX_FIELDS) else {
            self.call(self.u.helpers.make_struct, &[self.ctx, konst, at, c]);
            return Ok(());
        };
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.reuse_kept(l, at, n, shape, name, c, slow, done);
        self.b.switch_to_block(slow);
        self.call(self.u.helpers.make_struct, &[self.ctx, konst, at, c]);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// Takes the latest kept object when it fits (module notes) and moves the
    /// `n` values at `at` into it, going on to `done`; `slow` otherwise.
    #[allow(clippy::too_many_arguments, reason = "one literal's facts, each used once")]
    fn reuse_kept(
        &mut self,
        l: HeapLayout,
        at: Value,
        n: usize,
        shape: u64,
        name: u64,
        c: Value,
        slow: Block,
        done: Block,
    ) {
        let p = self.b.ins().iconst(types::I64, pool() as i64);
        let len = self.b.ins().load(types::I64, flags(), p, Pool::LEN);
        let empty = self.b.ins().icmp_imm_s(IntCC::Equal, len, 0);
        heap::or_slow(self.b, empty, slow);
        let top = self.b.ins().iadd_imm_s(len, -1);
        let off = self.b.ins().ishl_imm_u(top, 3);
        let slot = self.b.ins().iadd(p, off);
        let kept_shape = self.b.ins().load(types::I64, flags(), slot, Pool::SHAPES);
        let other_shape = self.b.ins().icmp_imm_s(IntCC::NotEqual, kept_shape, shape as i64);
        heap::or_slow(self.b, other_shape, slow);
        let kept_name = self.b.ins().load(types::I64, flags(), slot, Pool::NAMES);
        let other_name = self.b.ins().icmp_imm_s(IntCC::NotEqual, kept_name, name as i64);
        heap::or_slow(self.b, other_name, slow);
        let obj = self.b.ins().load(types::I64, flags(), slot, Pool::OBJS);
        let ty = self.b.ins().load(types::I64, flags(), obj, l.struct_ty);
        let known = self.b.ins().load(types::I64, flags(), c, LiteralCache::TY);
        let other_ty = self.b.ins().icmp(IntCC::NotEqual, ty, known);
        heap::or_slow(self.b, other_ty, slow);
        let now = self.b.ins().load(types::I64, flags(), p, Pool::GENERATION);
        let then = self.b.ins().load(types::I64, flags(), c, LiteralCache::GENERATION);
        let declared_since = self.b.ins().icmp(IntCC::NotEqual, now, then);
        heap::or_slow(self.b, declared_since, slow);
        self.b.ins().store(flags(), top, p, Pool::LEN);
        let buf = self.b.ins().load(types::I64, flags(), obj, l.struct_values);
        self.move_values(at, buf, n);
        let count = self.b.ins().iconst(types::I64, n as i64);
        self.b.ins().store(flags(), count, obj, l.struct_values_len);
        let tag = self.b.ins().iconst(types::I8, TAG_STRUCT as i64);
        self.b.ins().store(flags(), tag, at, TAG_OFFSET as i32);
        self.b.ins().store(flags(), obj, at, PAYLOAD_OFFSET as i32);
        self.b.ins().jump(done, &[]);
    }

    /// `MAKE_STRUCT k` then `STORE_LOCAL s` (the store not a jump target), as
    /// `v := P { ... }` in a loop body: when the local holds the last
    /// reference to a struct of the literal's shape and of the type the
    /// literal's cache knows (a declared one, none declared since), and its
    /// fields own nothing, the new values are moved over the old ones in
    /// place. That is the same as the two instructions (the old struct
    /// dropped, a new one stored): nothing else holds the old one, and which
    /// object a struct lives in is not observable. It saves the kept object's
    /// round trip (taken by the literal, the old one given back by the
    /// helper that drops it). Anything else runs the two instructions' own
    /// code. Returns how many instructions it emitted, `None` when the
    /// sequence is not there.
    pub(super) fn literal_into_local(
        &mut self,
        pc: usize,
        st: &State,
        leaders: &[bool],
    ) -> Result<Option<usize>, Rejection> {
        let Some(Op::StoreLocal(s)) = self.u.proto.code.get(pc + 1).copied() else { return Ok(None) };
        let Some(start) = self.literal_then(pc, leaders) else { return Ok(None) };
        if start.next.slots[s as usize] != Kind::Top {
            return Ok(None);
        }
        self.will_know(start.k, st, pc + 1, s);
        let done = self.b.create_block();
        let local = self.addr(Loc::Slot(s));
        let (c, slow) = self.write_in_place(&start, st, local, None, self.owned_vars(s, pc + 1));
        self.b.ins().jump(done, &[]);
        if !self.literal_as_written(&start, st, pc, c, slow, Op::StoreLocal(s))? {
            return Err(Rejection::new("a store ends a block"));
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(Some(2))
    }

    /// In a method run in line whose result its caller stores straight into
    /// a local (`acc = acc.add(v)`: the site's [`Tail::into`]), `MAKE_STRUCT k`
    /// then `RETURN` (not a jump target): when the local's struct could take
    /// the literal in place (as in [`Fx::literal_into_local`]), the values
    /// move over its fields, the method's frame is released as its `return`
    /// would, and the code goes on after the caller's store, which has
    /// nothing left to do. That is the same as the literal, the return and
    /// the store (the old struct dropped, the new one stored): nothing else
    /// holds the old one, and the method reads nothing after its literal.
    /// It saves the kept object's round trip and the store's release of the
    /// old struct. Anything else runs the two instructions' own code.
    /// Returns how many instructions it emitted (the block is ended), `None`
    /// when the sequence is not there.
    pub(super) fn literal_into_caller(
        &mut self,
        pc: usize,
        st: &State,
        leaders: &[bool],
    ) -> Result<Option<usize>, Rejection> {
        let Some(tail) = self.tail else { return Ok(None) };
        let Some((local, stored)) = tail.into else { return Ok(None) };
        if self.u.proto.code.get(pc + 1) != Some(&Op::Return) {
            return Ok(None);
        }
        let Some(start) = self.literal_then(pc, leaders) else { return Ok(None) };
        // The method's receiver, when its frame owns a reference to it
        // (pushed without borrowing), releases it right after.
        let owned_receiver = tail.receiver.filter(|_| tail.borrowed & 1 == 0);
        let (c, slow) = self.write_in_place(&start, st, local, owned_receiver, self.into_owned.clone());
        let first = st.stack.len() - start.fields.len();
        self.define_returned(pc, first);
        self.release_inlined_frame(st, first);
        self.b.ins().jump(stored, &[]);
        if self.literal_as_written(&start, st, pc, c, slow, Op::Return)? {
            return Err(Rejection::new("a return does not end its block"));
        }
        Ok(Some(2))
    }

    /// The common part of the fused literal sequences: the literal's values
    /// (the operands at the top of `st`'s stack, [`Fx::move_operands`])
    /// moved over the struct at `local` when it can take them in place
    /// ([`Fx::reusable_in_place`], with `also`), or without a check while
    /// the local's struct is the loop's own (`owned`, its variable). Returns
    /// the literal's cache and the (cold) block where anything else goes.
    fn write_in_place(
        &mut self,
        start: &LiteralStart<'_>,
        st: &State,
        local: Value,
        also: Option<Value>,
        owned: Option<OwnVars>,
    ) -> (Value, Block) {
        self.flush_names();
        let c = self.literal_cache();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let n = start.fields.len();
        let first = st.stack.len() - n;
        let buf = self.owned_buffer(start.l, local, owned, (first, &st.stack[first..]), |fx| {
            fx.reusable_in_place(start.l, local, start.fields, c, also, slow)
        });
        self.move_operands(first, buf, n);
        (c, slow)
    }

    /// Moves the literal's `n` operands, from operand stack position `first`
    /// on, into a struct's buffer at `buf`: a scalar still pending in its
    /// variable (`lazy`) is written from there, its tag a constant, anything
    /// else is moved from the frame (as [`Fx::move_values`] does). The
    /// pending ones stay pending: the way that does not take the literal in
    /// place writes them to the frame first (`literal_as_written`).
    fn move_operands(&mut self, first: usize, buf: Value, n: usize) {
        for i in 0..n {
            let p = (first + i) as u16;
            let off = i as i32 * VALUE_SIZE as i32;
            match self.lazy.iter().find(|e| e.0 == p).map(|e| e.1).filter(|k| k.unboxed()) {
                Some(k) => {
                    let v = self.get(Loc::Stack(p), k);
                    let tag = self.b.ins().iconst(types::I8, tag_of(k) as i64);
                    self.b.ins().store(flags(), tag, buf, off + TAG_OFFSET as i32);
                    self.b.ins().store(flags(), v, buf, off + PAYLOAD_OFFSET as i32);
                }
                None => {
                    let at = self.addr(Loc::Stack(p));
                    let (tag, payload) = heap::parts(self.b, at);
                    self.b.ins().store(flags(), tag, buf, off + TAG_OFFSET as i32);
                    self.b.ins().store(flags(), payload, buf, off + PAYLOAD_OFFSET as i32);
                }
            }
        }
    }

    /// In `slow`, the fused sequence at `pc` as written: the literal (with its
    /// cache `c`), then the next instruction, `op`. Returns whether that
    /// instruction's block goes on.
    fn literal_as_written(
        &mut self,
        start: &LiteralStart<'_>,
        st: &State,
        pc: usize,
        c: Value,
        slow: Block,
        op: Op,
    ) -> Result<bool, Rejection> {
        self.b.switch_to_block(slow);
        // The helper reads the operands, and anything may leave to the VM.
        // What lies below them stays pending for the code after the
        // sequence (the way in place never wrote it); the operands' own
        // positions are the literal's from here on.
        let pending = self.lazy.clone();
        self.write_pending(&pending);
        let d = st.stack.len();
        let first = d - start.fields.len();
        self.lazy.retain(|e| (e.0 as usize) < first);
        self.make_struct_with(start.k, d, c)?;
        self.at = (pc + 1, d - start.fields.len() + 1);
        self.op(pc + 1, op, start.next)
    }

    /// `MAKE_STRUCT k` at `pc` of 1 to [`MAX_FIELDS`] fields, it and the
    /// next instruction native and that one not a jump target, with the heap
    /// layout known: the start of a fused sequence that writes the literal in
    /// place.
    pub(super) fn literal_then(&self, pc: usize, leaders: &[bool]) -> Option<LiteralStart<'a>> {
        let u = self.u;
        let Op::MakeStruct(k) = u.proto.code[pc] else { return None };
        let (Some(l), Some(Some(next))) = (u.layout, u.plan.states.get(pc + 1)) else { return None };
        let Const::Shape { fields, .. } = &u.proto.consts[k as usize] else { return None };
        let plain = u.plan.how[pc] == How::Native && u.plan.how.get(pc + 1) == Some(&How::Native) && !leaders[pc + 1];
        (plain && !fields.is_empty() && fields.len() <= MAX_FIELDS).then_some(LiteralStart { k, fields, next, l })
    }

    /// The field buffer of the struct at `local` when a literal of shape
    /// `fields`, with cache `c`, may be written over it in place (see
    /// [`Fx::literal_into_local`]): the last reference to a struct of that
    /// shape and of the type the cache knows (a declared one, none declared
    /// since), whose fields own nothing. `slow` otherwise. `also` is a
    /// struct that holds one more reference, released right after, when it
    /// is this one.
    #[allow(clippy::too_many_arguments, reason = "one literal's facts, each used once")]
    fn reusable_in_place(
        &mut self,
        l: HeapLayout,
        local: Value,
        fields: &Rc<[Rc<str>]>,
        c: Value,
        also: Option<Value>,
        slow: Block,
    ) -> Value {
        let obj = heap::payload_if(self.b, local, TAG_STRUCT, slow);
        let shape = self.b.ins().load(types::I64, flags(), obj, l.struct_shape_ptr);
        let other_shape = self.b.ins().icmp_imm_s(IntCC::NotEqual, shape, l.shape_ptr_word(fields) as i64);
        heap::or_slow(self.b, other_shape, slow);
        // The type: the one the cache knows, not none (two undeclared names
        // of one shape are told apart by name only), and no type declared
        // since the cache was filled.
        let ty = self.b.ins().load(types::I64, flags(), obj, l.struct_ty);
        let known = self.b.ins().load(types::I64, flags(), c, LiteralCache::TY);
        let other_ty = self.b.ins().icmp(IntCC::NotEqual, ty, known);
        heap::or_slow(self.b, other_ty, slow);
        let untyped = self.b.ins().icmp_imm_s(IntCC::Equal, ty, 0);
        heap::or_slow(self.b, untyped, slow);
        let p = self.b.ins().iconst(types::I64, pool() as i64);
        let now = self.b.ins().load(types::I64, flags(), p, Pool::GENERATION);
        let then = self.b.ins().load(types::I64, flags(), c, LiteralCache::GENERATION);
        let declared_since = self.b.ins().icmp(IntCC::NotEqual, now, then);
        heap::or_slow(self.b, declared_since, slow);
        let buf = self.b.ins().load(types::I64, flags(), obj, l.struct_values);
        for i in 0..fields.len() as i32 {
            let tag = self.b.ins().load(types::I8, flags(), buf, i * VALUE_SIZE as i32 + TAG_OFFSET as i32);
            let counted = heap::counted(self.b, tag);
            heap::or_slow(self.b, counted, slow);
        }
        // One more reference when `also` holds this struct.
        let strong = match also {
            Some(p) => {
                let same = self.b.ins().icmp(IntCC::Equal, p, obj);
                let one = self.b.ins().uextend(types::I64, same);
                self.b.ins().iadd_imm_s(one, 1)
            }
            None => self.b.ins().iconst(types::I64, 1),
        };
        heap::held_or(self.b, l, obj, heap::Count::Computed(strong), None, slow);
        buf
    }

    /// Moves the `n` values at `at` (the literal's operands) into a struct's
    /// buffer at `buf`: tag byte and payload word apart, as the helper copies
    /// them (the values were just stored that way).
    fn move_values(&mut self, at: Value, buf: Value, n: usize) {
        for i in 0..n as i32 {
            let v = i * VALUE_SIZE as i32;
            let tag = self.b.ins().load(types::I8, flags(), at, v + TAG_OFFSET as i32);
            self.b.ins().store(flags(), tag, buf, v + TAG_OFFSET as i32);
            let payload = self.b.ins().load(types::I64, flags(), at, v + PAYLOAD_OFFSET as i32);
            self.b.ins().store(flags(), payload, buf, v + PAYLOAD_OFFSET as i32);
        }
    }
}
