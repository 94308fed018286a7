//! Assignments to globals in framed code: STORE_GLOBAL and ADD_GLOBAL (`g = g +
//! x` on a global) run inline on a `mut` binding, the VM's [`GLOBAL_MUT`] state,
//! which never changes once reached (a name is declared once). Every other
//! state (`let`, `const`, a builtin's name, undefined) and every other operand
//! is a step, so the VM raises or defines exactly as it would have.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlagsData};
use ruff_core::runtime::tier::{JitCtx, GLOBAL_MUT};
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_FLOAT, TAG_INT, TAG_OFFSET};

use super::Fx;
use crate::analyze::Kind;
use crate::scalar::{flags, Loc};

impl Fx<'_, '_> {
    /// Branches to a new block when global `g` is a `mut` binding, else to
    /// `slow`, and continues in the new block.
    pub(super) fn when_mut(&mut self, g: u32, slow: Block) {
        let states = self.b.ins().load(types::I64, flags(), self.ctx, JitCtx::GSTATES);
        let state = self.b.ins().load(types::I8, flags(), states, g as i32);
        let writable = self.b.ins().icmp_imm_s(IntCC::Equal, state, GLOBAL_MUT as i64);
        let fast = self.b.create_block();
        self.b.ins().brif(writable, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
    }

    /// The VM runs the instruction at `pc` (operand stack depth `d`), then
    /// control joins `done`.
    pub(super) fn step_into(&mut self, slow: Block, pc: usize, d: usize, done: Block) {
        self.b.switch_to_block(slow);
        self.step(pc, d);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// STORE_GLOBAL: the value on top moves into the global, whose old value is
    /// released.
    pub(super) fn store_global(&mut self, pc: usize, g: u32, d: usize) {
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.when_mut(g, slow);
        let (to, from) = (self.global_addr(g), self.addr(Loc::Stack(d as u16 - 1)));
        self.move_value(to, from);
        self.b.ins().jump(done, &[]);
        self.step_into(slow, pc, d, done);
    }

    /// ADD_GLOBAL with the addend `k` on top: int + int (overflow: the VM
    /// raises) and float + float or int update the global's payload in place.
    pub(super) fn add_global(&mut self, pc: usize, g: u32, d: usize, k: Kind) {
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        if !matches!(k, Kind::Int | Kind::Float | Kind::Top) {
            self.b.ins().jump(slow, &[]);
            self.step_into(slow, pc, d, done);
            return;
        }
        self.when_mut(g, slow);
        let at = self.global_addr(g);
        let top = Loc::Stack(d as u16 - 1);
        // The addend's tag and payload bits.
        let (tag, bits) = match k {
            Kind::Int | Kind::Float => {
                let v = self.get(top, k);
                let bits = if k == Kind::Float { self.b.ins().bitcast(types::I64, MemFlagsData::new(), v) } else { v };
                let tag = if k == Kind::Int { TAG_INT } else { TAG_FLOAT };
                (self.b.ins().iconst(types::I8, tag as i64), bits)
            }
            _ => {
                let from = self.addr(top);
                let tag = self.b.ins().load(types::I8, flags(), from, TAG_OFFSET as i32);
                (tag, self.b.ins().load(types::I64, flags(), from, PAYLOAD_OFFSET as i32))
            }
        };
        let gtag = self.b.ins().load(types::I8, flags(), at, TAG_OFFSET as i32);
        let old = self.b.ins().load(types::I64, flags(), at, PAYLOAD_OFFSET as i32);
        let (ints, floats) = (self.b.create_block(), self.b.create_block());
        let not_int = self.b.create_block();
        let g_int = self.b.ins().icmp_imm_s(IntCC::Equal, gtag, TAG_INT as i64);
        let a_int = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_INT as i64);
        let both = self.b.ins().band(g_int, a_int);
        self.b.ins().brif(both, ints, &[], not_int, &[]);

        self.b.switch_to_block(ints);
        let (sum, overflow) = self.b.ins().sadd_overflow(old, bits);
        let store = self.b.create_block();
        self.b.ins().brif(overflow, slow, &[], store, &[]);
        self.b.switch_to_block(store);
        self.b.ins().store(flags(), sum, at, PAYLOAD_OFFSET as i32);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(not_int);
        let g_float = self.b.ins().icmp_imm_s(IntCC::Equal, gtag, TAG_FLOAT as i64);
        let a_float = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_FLOAT as i64);
        let a_number = self.b.ins().bor(a_float, a_int);
        let go = self.b.ins().band(g_float, a_number);
        self.b.ins().brif(go, floats, &[], slow, &[]);

        self.b.switch_to_block(floats);
        let x = self.b.ins().bitcast(types::F64, MemFlagsData::new(), old);
        let as_int = self.b.ins().fcvt_from_sint(types::F64, bits);
        let as_float = self.b.ins().bitcast(types::F64, MemFlagsData::new(), bits);
        let y = self.b.ins().select(a_int, as_int, as_float);
        let s = self.b.ins().fadd(x, y);
        let s_bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), s);
        self.b.ins().store(flags(), s_bits, at, PAYLOAD_OFFSET as i32);
        self.b.ins().jump(done, &[]);

        self.step_into(slow, pc, d, done);
    }
}
