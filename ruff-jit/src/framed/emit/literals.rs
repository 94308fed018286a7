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

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, Value};
use ruff_core::bytecode::Const;
use ruff_core::runtime::heap_layout::HeapLayout;
use ruff_core::runtime::tier::Rejection;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET, TAG_STRUCT};
use ruff_core::runtime::vm::jit_helpers::{name_key, pool, shape_key, LiteralCache, Pool, MAX_FIELDS};

use super::{Fx, VALUE_SIZE};
use crate::scalar::{flags, Loc};

impl Fx<'_, '_> {
    /// `MAKE_STRUCT` of shape constant `k` at operand stack depth `d`.
    pub(super) fn make_struct(&mut self, k: u32, d: usize) -> Result<(), Rejection> {
        let konst = &self.u.proto.consts[k as usize];
        let Const::Shape { name, fields } = konst else {
            return Err(Rejection::new("struct literal without a shape"));
        };
        let n = fields.len();
        let (shape, name) = (shape_key(fields), name_key(name));
        let konst = self.b.ins().iconst(types::I64, konst as *const Const as i64);
        let at = self.addr(Loc::Stack((d - n) as u16));
        let cache = Box::<LiteralCache>::default();
        let c = self.b.ins().iconst(types::I64, &*cache as *const LiteralCache as i64);
        self.caches.literals.push(cache);
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
        self.or_slow(empty, slow);
        let top = self.b.ins().iadd_imm_s(len, -1);
        let off = self.b.ins().ishl_imm_u(top, 3);
        let slot = self.b.ins().iadd(p, off);
        let kept_shape = self.b.ins().load(types::I64, flags(), slot, Pool::SHAPES);
        let other_shape = self.b.ins().icmp_imm_s(IntCC::NotEqual, kept_shape, shape as i64);
        self.or_slow(other_shape, slow);
        let kept_name = self.b.ins().load(types::I64, flags(), slot, Pool::NAMES);
        let other_name = self.b.ins().icmp_imm_s(IntCC::NotEqual, kept_name, name as i64);
        self.or_slow(other_name, slow);
        let obj = self.b.ins().load(types::I64, flags(), slot, Pool::OBJS);
        let ty = self.b.ins().load(types::I64, flags(), obj, l.struct_ty);
        let known = self.b.ins().load(types::I64, flags(), c, LiteralCache::TY);
        let other_ty = self.b.ins().icmp(IntCC::NotEqual, ty, known);
        self.or_slow(other_ty, slow);
        let now = self.b.ins().load(types::I64, flags(), p, Pool::GENERATION);
        let then = self.b.ins().load(types::I64, flags(), c, LiteralCache::GENERATION);
        let declared_since = self.b.ins().icmp(IntCC::NotEqual, now, then);
        self.or_slow(declared_since, slow);
        self.b.ins().store(flags(), top, p, Pool::LEN);
        let buf = self.b.ins().load(types::I64, flags(), obj, l.struct_values);
        // Tag byte and payload word apart, as the helper copies them: the
        // values were just stored that way.
        for i in 0..n as i32 {
            let v = i * VALUE_SIZE as i32;
            let tag = self.b.ins().load(types::I8, flags(), at, v + TAG_OFFSET as i32);
            self.b.ins().store(flags(), tag, buf, v + TAG_OFFSET as i32);
            let payload = self.b.ins().load(types::I64, flags(), at, v + PAYLOAD_OFFSET as i32);
            self.b.ins().store(flags(), payload, buf, v + PAYLOAD_OFFSET as i32);
        }
        let count = self.b.ins().iconst(types::I64, n as i64);
        self.b.ins().store(flags(), count, obj, l.struct_values_len);
        let tag = self.b.ins().iconst(types::I8, TAG_STRUCT as i64);
        self.b.ins().store(flags(), tag, at, TAG_OFFSET as i32);
        self.b.ins().store(flags(), obj, at, PAYLOAD_OFFSET as i32);
        self.b.ins().jump(done, &[]);
    }

    /// Goes to `slow` when `bad` holds; continues in a new block.
    fn or_slow(&mut self, bad: Value, slow: Block) {
        let next = self.b.create_block();
        self.b.ins().brif(bad, slow, &[], next, &[]);
        self.b.switch_to_block(next);
    }
}
