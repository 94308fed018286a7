//! Where the framed translator keeps values: Cranelift variables for
//! scalars, the VM frame for everything (addresses of slots, operand stack
//! positions and globals), and the moves, copies and releases between them.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, Type, Value};
use cranelift_frontend::{FunctionBuilder, Variable};
use ruff_core::runtime::tier::{bail, JitCtx, Rejection};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET};

use super::super::heap;
use super::{Fx, VALUE_SIZE};
use crate::analyze::Kind;
use crate::scalar::{flags, Loc, Scalar};
use crate::translate::{cl_type, tag_of};

impl<'b> Scalar<'b> for Fx<'_, 'b> {
    fn fb(&mut self) -> &mut FunctionBuilder<'b> {
        self.b
    }

    fn error_if(&mut self, cond: Value) {
        let (pc, d) = self.at;
        self.exit_if(cond, pc, d, bail::ERROR);
    }

    fn get(&mut self, loc: Loc, k: Kind) -> Value {
        Fx::get(self, loc, k)
    }

    fn set(&mut self, loc: Loc, k: Kind, v: Value) {
        Fx::set(self, loc, k, v)
    }

    fn block(&self, pc: usize) -> Result<Block, Rejection> {
        Fx::block(self, pc)
    }

    fn fmod_ref(&self) -> FuncRef {
        self.u.helpers.fmod
    }
}

impl Fx<'_, '_> {
    pub(super) fn block(&self, pc: usize) -> Result<Block, Rejection> {
        let blk = self.blocks.get(&pc).copied().ok_or_else(|| Rejection::new("jump into the middle of a block"))?;
        Ok(self.promoted_target(pc, blk))
    }

    pub(super) fn var(&mut self, loc: Loc, ty: Type) -> Variable {
        if let Some(v) = self.vars.get(&(loc, ty)) {
            return *v;
        }
        let v = self.b.declare_var(ty);
        self.vars.insert((loc, ty), v);
        v
    }

    pub(super) fn index(&self, loc: Loc) -> i64 {
        match loc {
            Loc::Slot(s) => s as i64,
            Loc::Stack(i) => self.u.proto.nslots as i64 + i as i64,
        }
    }

    /// The address of global `g`'s value. Steps may define globals and move
    /// the vector: `ruff_jit_step` keeps `ctx.globals` current.
    pub(super) fn global_addr(&mut self, g: u32) -> Value {
        let globals = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::GLOBALS);
        self.b.ins().iadd_imm_s(globals, g as i64 * VALUE_SIZE)
    }

    /// Moves the value at `from` (a dead operand stack position) over the one at
    /// `to`, releasing that first.
    pub(super) fn move_value(&mut self, to: Value, from: Value) {
        if self.u.layout.is_some() {
            self.release(to);
            for off in [TAG_OFFSET as i32, PAYLOAD_OFFSET as i32] {
                let ty = if off == 0 { types::I8 } else { types::I64 };
                let w = self.b.ins().load(ty, flags(), from, off);
                self.b.ins().store(flags(), w, to, off);
            }
        } else {
            self.call(self.u.helpers.store, &[to, from]);
        }
    }

    /// The address of a location in the VM frame.
    pub(super) fn addr(&mut self, loc: Loc) -> Value {
        let base = self.b.use_var(self.base);
        let off = self.index(loc) * VALUE_SIZE;
        self.b.ins().iadd_imm_s(base, off)
    }

    pub(super) fn get(&mut self, loc: Loc, k: Kind) -> Value {
        match k {
            Kind::Int | Kind::Float | Kind::Bool => {
                let var = self.var(loc, cl_type(k));
                self.b.use_var(var)
            }
            _ => self.b.ins().iconst(types::I64, 0),
        }
    }

    /// Sets a scalar location: the variable, and the value in the frame (for an
    /// operand stack position, possibly later: `lazy`).
    pub(super) fn set(&mut self, loc: Loc, k: Kind, v: Value) {
        if k.unboxed() {
            let var = self.var(loc, cl_type(k));
            self.b.def_var(var, v);
        }
        if let Loc::Stack(i) = loc {
            if self.defer(i, k) {
                return;
            }
        }
        self.store_scalar(loc, k, v);
    }

    /// Records that operand stack position `i` holds the int `v` for
    /// instruction `pc`, which reads it as an int operand (`number_at`) though
    /// the plan gives the position no kind: pending in its variable, written to
    /// the frame only by an exit or a flush, like a deferred scalar (`lazy`).
    /// The caller has checked that it is an int, leaving to the VM at `pc`
    /// otherwise, which is where that instruction's own check would leave.
    pub(super) fn int_element(&mut self, pc: usize, i: u16, v: Value) {
        let var = self.var(Loc::Stack(i), types::I64);
        self.b.def_var(var, v);
        self.lazy.retain(|e| e.0 != i);
        self.lazy.push((i, Kind::Int));
        self.known_int = Some((pc, i));
    }

    /// Writes scalar `v` of kind `k` into the frame at `loc`.
    pub(super) fn store_scalar(&mut self, loc: Loc, k: Kind, v: Value) {
        let a = self.addr(loc);
        if !self.tag_in_frame(loc, k) {
            let tag = self.b.ins().iconst(types::I8, tag_of(k) as i64);
            self.b.ins().store(flags(), tag, a, TAG_OFFSET as i32);
        }
        if k != Kind::Null {
            self.b.ins().store(flags(), v, a, PAYLOAD_OFFSET as i32);
        }
    }

    /// Whether the frame already holds a value of scalar kind `k` at `loc`, so
    /// that only its payload changes: a slot the plan gives kind `k` before the
    /// instruction being emitted on its own. (Every write of a scalar to a slot
    /// goes to the frame, and a step leaves what it writes heap-kinded, so the
    /// frame's tag is the plan's kind.) The counter of a `for` loop and an
    /// accumulator of one kind save a store per iteration.
    pub(super) fn tag_in_frame(&self, loc: Loc, k: Kind) -> bool {
        let Loc::Slot(s) = loc else { return false };
        self.single && k.unboxed() && self.u.plan.states[self.at.0].as_ref().is_some_and(|st| st.slots[s as usize] == k)
    }

    /// A number of kind `want` (int or float) at a location of kind `k`: from
    /// its variable (an int converted when a float is wanted), or checked in
    /// the frame when the location holds a heap-kinded value (leaving to the VM
    /// when it is not of that kind).
    pub(super) fn number_at(&mut self, loc: Loc, k: Kind, want: Kind) -> Value {
        if k == want {
            return self.get(loc, k);
        }
        if k == Kind::Int && want == Kind::Float {
            let v = self.get(loc, k);
            return self.b.ins().fcvt_from_sint(types::F64, v);
        }
        if want == Kind::Int && self.known_int.is_some_and(|(pc, i)| pc == self.at.0 && loc == Loc::Stack(i)) {
            return self.get(loc, Kind::Int);
        }
        self.flush_loc(loc);
        let a = self.addr(loc);
        let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
        let bad = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(want) as i64);
        let (pc, d) = self.at;
        self.exit_if(bad, pc, d, bail::GUARD);
        let a = self.addr(loc);
        self.b.ins().load(cl_type(want), flags(), a, PAYLOAD_OFFSET as i32)
    }

    /// The two operands of an operation speculated on `want` operands. For
    /// floats, the VM's feedback only says that the operands were numbers and
    /// not both ints: a heap-kinded operand may hold an int (converted) unless
    /// the other is known to be an int, and when both are heap-kinded, at least
    /// one must hold a float (two ints keep the VM's int arithmetic).
    pub(super) fn number_pair(&mut self, a: (Loc, Kind), b: (Loc, Kind), want: Kind) -> (Value, Value) {
        if want != Kind::Float || (a.1 != Kind::Top && b.1 != Kind::Top) {
            return (self.number_at(a.0, a.1, want), self.number_at(b.0, b.1, want));
        }
        let loose = |x: (Loc, Kind), other: Kind| x.1 == Kind::Top && other != Kind::Int;
        let (la, lb) = (loose(a, b.1), loose(b, a.1));
        let (va, fa) = if la { self.int_or_float_at(a.0) } else { (self.number_at(a.0, a.1, want), None) };
        let (vb, fb) = if lb { self.int_or_float_at(b.0) } else { (self.number_at(b.0, b.1, want), None) };
        if let (Some(fa), Some(fb)) = (fa, fb) {
            let any = self.b.ins().bor(fa, fb);
            let both_ints = self.b.ins().icmp_imm_s(IntCC::Equal, any, 0);
            let (pc, d) = self.at;
            self.exit_if(both_ints, pc, d, bail::GUARD);
        }
        (va, vb)
    }

    /// A heap-kinded number as a float (an int converted), and whether it was a
    /// float; anything else leaves to the VM.
    pub(super) fn int_or_float_at(&mut self, loc: Loc) -> (Value, Option<Value>) {
        self.flush_loc(loc);
        let a = self.addr(loc);
        let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
        let is_float = self.b.ins().icmp_imm_s(IntCC::Equal, tag, tag_of(Kind::Float) as i64);
        let is_int = self.b.ins().icmp_imm_s(IntCC::Equal, tag, tag_of(Kind::Int) as i64);
        let number = self.b.ins().bor(is_float, is_int);
        let bad = self.b.ins().icmp_imm_s(IntCC::Equal, number, 0);
        let (pc, d) = self.at;
        self.exit_if(bad, pc, d, bail::GUARD);
        let a = self.addr(loc);
        let f = self.b.ins().load(types::F64, flags(), a, PAYLOAD_OFFSET as i32);
        let i = self.b.ins().load(types::I64, flags(), a, PAYLOAD_OFFSET as i32);
        let converted = self.b.ins().fcvt_from_sint(types::F64, i);
        (self.b.ins().select(is_float, f, converted), Some(is_float))
    }

    /// Releases the heap-kinded value at `a` (inline when the layout is known).
    pub(super) fn release(&mut self, a: Value) {
        match self.u.layout {
            Some(l) => heap::drop_value(self.b, l, self.u.helpers.drop, a),
            None => {
                self.call(self.u.helpers.drop, &[a]);
            }
        }
    }

    /// Pushes a copy of `from` (inline, or a helper call, for heap-kinded values).
    pub(super) fn copy(&mut self, from: Loc, k: Kind, to: Loc) {
        if k == Kind::Top {
            let (dst, src) = (self.addr(to), self.addr(from));
            match self.u.layout {
                Some(l) => heap::clone_value(self.b, l, dst, src),
                None => {
                    self.call(self.u.helpers.clone, &[dst, src]);
                }
            }
        } else {
            let v = self.get(from, k);
            self.set(to, k, v);
        }
    }
}
