//! Unboxed scalar operations shared by the pure and the framed translators: int
//! arithmetic with the VM's overflow and division checks, float arithmetic,
//! comparisons (with the VM's float epsilon rule) and truthiness. Where the VM
//! would raise, the code branches out through [`Scalar::error_if`]; each
//! translator decides what leaving means.

use cranelift_codegen::ir::condcodes::{CondCode, FloatCC, IntCC};
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, InstructionData, MemFlagsData, Value};
use cranelift_frontend::FunctionBuilder;
use ruff_core::bytecode::{Cmp, Op};
use ruff_core::runtime::tier::{JitCtx, Rejection};

use crate::analyze::{Kind, State};
use crate::ranges::{implied, Facts, Range};

/// Memory flags for the VM's values and the context (aligned, never trapping).
pub fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Stores a result value at `out` as one 16-byte store: its tag (an `i8`)
/// zero-extended into the first word, its payload word (`i64`) in the second.
/// The VM moves results as whole 16-byte values, and a 16-byte load of a value
/// stored as two parts a few cycles earlier misses store-to-load forwarding
/// (perf put the stall at over half of the entry functions' samples on
/// call-heavy programs); loads of either part forward from the whole store.
pub fn store_result(b: &mut FunctionBuilder<'_>, out: Value, tag: Value, payload: Value) {
    let t = b.ins().uextend(types::I64, tag);
    let v = b.ins().scalar_to_vector(types::I64X2, t);
    let v = b.ins().insertlane(v, payload, 1);
    b.ins().store(flags(), v, out, 0);
}

/// Block leaders: the entry, jump targets, every instruction after a branch, and
/// the instructions `also` names (with the one after each).
pub fn leaders<S>(code: &[Op], states: &[Option<S>], entry: usize, also: impl Fn(usize, &Op) -> bool) -> Vec<bool> {
    let mut leaders = vec![false; code.len() + 1];
    leaders[entry] = true;
    for (pc, op) in code.iter().enumerate() {
        if states[pc].is_none() {
            continue;
        }
        if let Some(t) = op.target() {
            leaders[t as usize] = true;
            leaders[pc + 1] = true;
        }
        if also(pc, op) {
            leaders[pc] |= !matches!(op, Op::Return | Op::Call(_) | Op::Throw | Op::Raise(_));
            leaders[pc + 1] = true;
        }
    }
    leaders
}

/// How many edges of the bytecode enter each instruction: jumps to it, the
/// instruction before it falling through, and the unit's entry. Every way an
/// instruction may continue counts, so it never counts too few (facts are
/// handed only to blocks one edge enters: `ranges`).
pub fn entering_edges<S>(code: &[Op], states: &[Option<S>], entry: usize) -> Vec<u32> {
    let mut n = vec![0u32; code.len() + 1];
    n[entry] += 1;
    for (pc, op) in code.iter().enumerate() {
        if states[pc].is_none() {
            continue;
        }
        if let Some(t) = op.target() {
            n[t as usize] += 1;
        }
        if !matches!(op, Op::Jump(_) | Op::Loop(_) | Op::Return | Op::Throw | Op::Raise(_)) {
            n[pc + 1] += 1;
        }
    }
    n
}

/// Instructions in the basic block starting at `pc` (up to the next leader).
pub fn block_len(code: &[Op], leaders: &[bool], pc: usize) -> i64 {
    let mut n = 1;
    while pc + n < code.len() && !leaders[pc + n] {
        n += 1;
    }
    n as i64
}

/// Adds `n` to the `u64` counter at `addr` (instruction and call statistics).
pub fn emit_count(b: &mut FunctionBuilder<'_>, addr: i64, n: i64) {
    let p = b.ins().iconst(types::I64, addr);
    let old = b.ins().load(types::I64, flags(), p, 0);
    let new = b.ins().iadd_imm_s(old, n);
    b.ins().store(flags(), new, p, 0);
}

/// Decrements the deopt-stress countdown in the context; the result is true
/// (an `i8`) when it reached zero and the block must bail out.
pub fn emit_stress_tick(b: &mut FunctionBuilder<'_>, ctx: Value) -> Value {
    let c = b.ins().load(types::I64, flags(), ctx, JitCtx::STRESS);
    let c1 = b.ins().iadd_imm_s(c, -1);
    b.ins().store(flags(), c1, ctx, JitCtx::STRESS);
    b.ins().icmp_imm_s(IntCC::Equal, c1, 0)
}

/// A frame slot or an operand stack position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    Slot(u16),
    Stack(u16),
}

/// A two-way branch that keeps `next` (the instruction after the branch) in line:
/// to `target` when `leave` is true. Cranelift lays blocks out in a depth-first
/// order in which a branch's second target follows it, so `next` goes second:
/// loop and `if` bodies then fall through, and a hot loop takes one branch per
/// iteration instead of two.
pub fn branch_in_line(b: &mut FunctionBuilder<'_>, leave: Value, target: Block, next: Block) {
    b.ins().brif(leave, target, &[], next, &[]);
}

/// The negation of a condition. A comparison is negated by comparing again with
/// the complementary condition (Cranelift does not fold `cond == 0` into the
/// compare at the optimisation level the JIT uses); anything else is compared
/// with 0.
pub fn negate(b: &mut FunctionBuilder<'_>, cond: Value) -> Value {
    if let Some(inst) = b.func.dfg.value_def(cond).inst() {
        match b.func.dfg.insts[inst] {
            InstructionData::IntCompare { cond: cc, args: [x, y], .. } => return b.ins().icmp(cc.complement(), x, y),
            InstructionData::FloatCompare { cond: cc, args: [x, y], .. } => return b.ins().fcmp(cc.complement(), x, y),
            _ => {}
        }
    }
    b.ins().icmp_imm_s(IntCC::Equal, cond, 0)
}

/// The comparison an operator instruction makes.
pub fn cmp_of(op: Op) -> Cmp {
    match op {
        Op::Eq => Cmp::Eq,
        Op::Ne => Cmp::Ne,
        Op::Lt => Cmp::Lt,
        Op::Le => Cmp::Le,
        Op::Gt => Cmp::Gt,
        _ => Cmp::Ge,
    }
}

/// A translator that can emit scalar operations.
pub trait Scalar<'b> {
    /// A scalar location's value (its variable for the kind).
    fn get(&mut self, loc: Loc, k: Kind) -> Value;
    /// Sets a scalar location.
    fn set(&mut self, loc: Loc, k: Kind, v: Value);
    /// The block starting at instruction `pc`.
    fn block(&self, pc: usize) -> Result<Block, Rejection>;
    /// The function being built.
    fn fb(&mut self) -> &mut FunctionBuilder<'b>;
    /// Leaves native code when `cond` is true (the VM would raise here), and
    /// continues in a new block otherwise.
    fn error_if(&mut self, cond: Value);
    /// The `fmod` import.
    fn fmod_ref(&self) -> FuncRef;
    /// The int ranges known where code is being emitted (`ranges`); `None`
    /// for a translator that keeps none, which then checks every operation.
    fn facts(&mut self) -> Option<&mut Facts> {
        None
    }
    /// Called before emitting an edge into `to`, the block of instruction
    /// `pc`, with what the branch taken implies.
    fn edge(&mut self, _pc: usize, _to: Block, _implied: Vec<(Value, Range)>) {}
    /// Called on switching to a block made on the spot, which the branch just
    /// emitted is the only edge to enter.
    fn entered_fresh(&mut self, _blk: Block) {}

    /// What is known of the int `v`: a constant's value, else the facts'.
    fn range(&mut self, v: Value) -> Range {
        if let Some(k) = self.int_const(v) {
            return Range::exactly(k);
        }
        self.facts().and_then(|f| f.get(v)).unwrap_or(Range::ALL)
    }

    /// Records that `v` lies in `r` (when facts are kept).
    fn note(&mut self, v: Value, r: Range) {
        if let Some(f) = self.facts() {
            f.note(v, r);
        }
    }

    /// What `cond` being `holds` implies about its operands.
    fn branch_facts(&mut self, cond: Value, holds: bool) -> Vec<(Value, Range)> {
        if self.facts().is_none() {
            return Vec::new();
        }
        let Some((cc, x, y)) = crate::ranges::int_compare(self.fb(), cond) else {
            return Vec::new();
        };
        let cc = if holds { cc } else { cc.complement() };
        let (rx, ry) = (self.range(x), self.range(y));
        implied(cc, rx, ry).map_or_else(Vec::new, |(nx, ny)| vec![(x, nx), (y, ny)])
    }

    /// A two-way branch out of instruction `pc` to `target` (instruction `t`)
    /// when `leave` is true, else on to the next instruction, handing each
    /// edge what it implies (see [`branch_in_line`]).
    fn branch(&mut self, pc: usize, leave: Value, t: usize) -> Result<(), Rejection> {
        let (target, next) = (self.block(t)?, self.block(pc + 1)?);
        let (taken, not) = (self.branch_facts(leave, true), self.branch_facts(leave, false));
        self.edge(t, target, taken);
        self.edge(pc + 1, next, not);
        branch_in_line(self.fb(), leave, target, next);
        Ok(())
    }

    /// Arithmetic on two ints whose ranges say it cannot overflow, unchecked.
    fn unchecked(&mut self, op: Op, a: Value, b: Value) -> Option<Value> {
        self.facts()?;
        let (ra, rb) = (self.range(a), self.range(b));
        let (r, v) = match op {
            Op::Add => (ra.add(rb)?, self.fb().ins().iadd(a, b)),
            Op::Sub => (ra.sub(rb)?, self.fb().ins().isub(a, b)),
            Op::Mul => (ra.mul(rb)?, self.fb().ins().imul(a, b)),
            _ => return None,
        };
        self.note(v, r);
        Some(v)
    }

    /// `a / k` or `a % k` for a positive constant `k` when `a`'s range lies in
    /// `[0, 2k)`: the quotient is 0 or 1, so one compare gives it, and the
    /// remainder is `a` less `k` at most once (a loop keeping `x = (x + y) % k`
    /// with both below `k` pays a compare and a select instead of two
    /// multiplications in a row).
    fn small_quotient(&mut self, op: Op, a: Value, k: i64) -> Option<Value> {
        let r = self.range(a);
        if k <= 0 || r.lo < 0 || r.hi / 2 >= k {
            return None;
        }
        let b = self.fb();
        let v = if r.hi < k {
            match op {
                Op::Div => b.ins().iconst(types::I64, 0),
                _ => a,
            }
        } else {
            let over = b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, a, k);
            match op {
                Op::Div => b.ins().uextend(types::I64, over),
                _ => {
                    let less = b.ins().iadd_imm_s(a, -k);
                    b.ins().select(over, less, a)
                }
            }
        };
        let out = match op {
            Op::Div => Range { lo: 0, hi: i64::from(r.hi >= k) },
            _ => Range { lo: if r.hi < k { r.lo } else { 0 }, hi: r.hi.min(k - 1) },
        };
        self.note(v, out);
        Some(v)
    }

    /// An int or float operand as a float.
    fn as_float(&mut self, v: Value, k: Kind) -> Value {
        if k == Kind::Int {
            self.fb().ins().fcvt_from_sint(types::F64, v)
        } else {
            v
        }
    }

    /// `a OP b` for arithmetic kinds; ints are checked (see [`Scalar::error_if`]).
    fn arith(&mut self, op: Op, a: Value, ka: Kind, b: Value, kb: Kind) -> (Value, Kind) {
        if ka == Kind::Int && kb == Kind::Int {
            if let Some(v) = self.unchecked(op, a, b) {
                return (v, Kind::Int);
            }
            // A checked result that is not an overflow lies where the
            // operands' ranges say, clamped at the extremes (`rangeflow`).
            let clamped = if self.facts().is_some() {
                let (ra, rb) = (self.range(a), self.range(b));
                crate::rangeflow::arith(op, ra, rb)
            } else {
                Range::ALL
            };
            if let (Op::Add | Op::Sub, Some(k)) = (op, self.int_const(b)) {
                let v = self.add_const(op, a, b, k);
                self.note(v, clamped);
                return (v, Kind::Int);
            }
            let r = match op {
                Op::Add => Some(self.fb().ins().sadd_overflow(a, b)),
                Op::Sub => Some(self.fb().ins().ssub_overflow(a, b)),
                Op::Mul => Some(self.fb().ins().smul_overflow(a, b)),
                _ => None,
            };
            if let Some((v, of)) = r {
                self.error_if(of);
                self.note(v, clamped);
                return (v, Kind::Int);
            }
            // A constant divisor other than 0 and -1 can neither divide by zero
            // nor overflow: no checks, and multiplications and shifts instead
            // of a divide.
            if let Some(k) = self.int_const(b).filter(|&k| k != 0 && k != -1) {
                if let Some(v) = self.small_quotient(op, a, k) {
                    return (v, Kind::Int);
                }
                let (nonneg, rem) = (self.range(a).lo >= 0, matches!(op, Op::Mod));
                let v = crate::divconst::emit(self.fb(), a, k, rem, nonneg);
                if rem && k > 0 {
                    // A remainder has the dividend's sign and is smaller than the divisor.
                    self.note(v, Range { lo: if nonneg { 0 } else { 1 - k }, hi: k - 1 });
                }
                return (v, Kind::Int);
            }
            let zero = self.fb().ins().icmp_imm_s(IntCC::Equal, b, 0);
            self.error_if(zero);
            let min = self.fb().ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
            let neg1 = self.fb().ins().icmp_imm_s(IntCC::Equal, b, -1);
            let both = self.fb().ins().band(min, neg1);
            self.error_if(both);
            let v = if matches!(op, Op::Div) { self.fb().ins().sdiv(a, b) } else { self.fb().ins().srem(a, b) };
            return (v, Kind::Int);
        }
        let x = self.as_float(a, ka);
        let y = self.as_float(b, kb);
        let v = match op {
            Op::Add => self.fb().ins().fadd(x, y),
            Op::Sub => self.fb().ins().fsub(x, y),
            Op::Mul => self.fb().ins().fmul(x, y),
            _ => {
                let zero = self.fb().ins().f64const(0.0);
                let is_zero = self.fb().ins().fcmp(FloatCC::Equal, y, zero);
                self.error_if(is_zero);
                if matches!(op, Op::Div) {
                    self.fb().ins().fdiv(x, y)
                } else {
                    let fmod = self.fmod_ref();
                    let call = self.fb().ins().call(fmod, &[x, y]);
                    self.fb().inst_results(call)[0]
                }
            }
        };
        (v, Kind::Float)
    }

    /// `a + b` or `a - b` where `b` is the constant `k`. Overflow is checked by
    /// comparing the wrapped result with `a` (it must move the way `k` says), a
    /// compare-and-branch that x86 fuses, instead of materialising the overflow
    /// flag. Exact for every `k`: adding a positive `k` (or subtracting a
    /// negative one) overflowed iff the result is below `a`, and the other way
    /// round; `k == 0` never overflows, and the result then equals `a`.
    fn add_const(&mut self, op: Op, a: Value, b: Value, k: i64) -> Value {
        let r = if matches!(op, Op::Add) { self.fb().ins().iadd(a, b) } else { self.fb().ins().isub(a, b) };
        let grows = matches!(op, Op::Add) == (k > 0);
        let cc = if grows { IntCC::SignedLessThan } else { IntCC::SignedGreaterThan };
        let of = self.fb().ins().icmp(cc, r, a);
        self.error_if(of);
        r
    }

    /// The value of `v` when it is an integer constant.
    fn int_const(&mut self, v: Value) -> Option<i64> {
        const_of(self.fb(), v)
    }

    /// A comparison as an `i8` 0/1.
    fn compare(&mut self, cmp: Cmp, a: Value, ka: Kind, b: Value, kb: Kind) -> Value {
        if ka == Kind::Null && kb == Kind::Null {
            let eq = matches!(cmp, Cmp::Eq | Cmp::Le | Cmp::Ge);
            return self.fb().ins().iconst(types::I8, eq as i64);
        }
        if (ka == Kind::Int && kb == Kind::Int) || (ka == Kind::Bool && kb == Kind::Bool) {
            let cc = match cmp {
                Cmp::Lt => IntCC::SignedLessThan,
                Cmp::Le => IntCC::SignedLessThanOrEqual,
                Cmp::Gt => IntCC::SignedGreaterThan,
                Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
                Cmp::Eq => IntCC::Equal,
                Cmp::Ne => IntCC::NotEqual,
            };
            return self.fb().ins().icmp(cc, a, b);
        }
        let x = self.as_float(a, ka);
        let y = self.as_float(b, kb);
        match cmp {
            Cmp::Eq | Cmp::Ne => {
                // compare::float_eq: equal, or closer than f64::EPSILON.
                let same = self.fb().ins().fcmp(FloatCC::Equal, x, y);
                let d = self.fb().ins().fsub(x, y);
                let ad = self.fb().ins().fabs(d);
                let eps = self.fb().ins().f64const(f64::EPSILON);
                let near = self.fb().ins().fcmp(FloatCC::LessThan, ad, eps);
                let eq = self.fb().ins().bor(same, near);
                if cmp == Cmp::Eq {
                    eq
                } else {
                    self.fb().ins().bxor_imm_s(eq, 1)
                }
            }
            _ => {
                let cc = match cmp {
                    Cmp::Lt => FloatCC::LessThan,
                    Cmp::Le => FloatCC::LessThanOrEqual,
                    Cmp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                self.fb().ins().fcmp(cc, x, y)
            }
        }
    }

    /// Truthiness as an `i8` 0/1.
    fn truthy(&mut self, v: Value, k: Kind) -> Value {
        match k {
            Kind::Bool => v,
            Kind::Int => self.fb().ins().icmp_imm_s(IntCC::NotEqual, v, 0),
            Kind::Float => {
                let zero = self.fb().ins().f64const(0.0);
                self.fb().ins().fcmp(FloatCC::NotEqual, v, zero)
            }
            _ => self.fb().ins().iconst(types::I8, 0),
        }
    }

    /// Emits the scalar instructions both translators share (with the kinds of
    /// `st`); `None` for any other instruction. `Some(falls)` says whether
    /// control falls through.
    fn scalar_op(&mut self, pc: usize, op: Op, st: &State) -> Result<Option<bool>, Rejection> {
        let d = st.stack.len();
        let top = |i: usize| Loc::Stack((d - i) as u16);
        let kt = |i: usize| st.stack[d - i];
        let push = Loc::Stack(d as u16);
        match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
                let b = self.get(top(1), kt(1));
                let a = self.get(top(2), kt(2));
                let (v, k) = self.arith(op, a, kt(2), b, kt(1));
                self.set(top(2), k, v);
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let b = self.get(top(1), kt(1));
                let a = self.get(top(2), kt(2));
                let v = self.compare(cmp_of(op), a, kt(2), b, kt(1));
                self.set(top(2), Kind::Bool, v);
            }
            Op::Neg => {
                let a = self.get(top(1), kt(1));
                let v = if kt(1) == Kind::Int {
                    if self.range(a).lo == i64::MIN {
                        let min = self.fb().ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
                        self.error_if(min);
                    }
                    self.fb().ins().ineg(a)
                } else {
                    self.fb().ins().fneg(a)
                };
                self.set(top(1), kt(1), v);
            }
            Op::Not => {
                let a = self.get(top(1), kt(1));
                let v = self.fb().ins().bxor_imm_s(a, 1);
                self.set(top(1), Kind::Bool, v);
            }
            Op::ToBool => {
                let a = self.get(top(1), kt(1));
                let v = self.truthy(a, kt(1));
                self.set(top(1), Kind::Bool, v);
            }
            Op::AddLocal(s) | Op::IncLocal(s, _) => {
                let ks = st.slots[s as usize];
                let a = self.get(Loc::Slot(s), ks);
                let (b, kb) = match op {
                    Op::IncLocal(_, k) => (self.fb().ins().iconst(types::I64, k as i64), Kind::Int),
                    _ => (self.get(top(1), kt(1)), kt(1)),
                };
                let (v, k) = self.arith(Op::Add, a, ks, b, kb);
                self.set(Loc::Slot(s), k, v);
            }
            Op::LocalAddInt(s, k) | Op::LocalSubInt(s, k) => {
                let ks = st.slots[s as usize];
                let a = self.get(Loc::Slot(s), ks);
                let b = self.fb().ins().iconst(types::I64, k as i64);
                let which = if matches!(op, Op::LocalAddInt(..)) { Op::Add } else { Op::Sub };
                let (v, rk) = self.arith(which, a, ks, b, Kind::Int);
                self.set(push, rk, v);
            }
            Op::Jump(t) | Op::Loop(t) => {
                let blk = self.block(t as usize)?;
                self.edge(t as usize, blk, Vec::new());
                self.fb().ins().jump(blk, &[]);
                return Ok(Some(false));
            }
            Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                let v = self.get(top(1), kt(1));
                let c = self.truthy(v, kt(1));
                let leave = if matches!(op, Op::JumpIfTrue(_)) { c } else { negate(self.fb(), c) };
                self.branch(pc, leave, t as usize)?;
                return Ok(Some(false));
            }
            Op::JumpIfNotNull(t) => {
                let to = if kt(1) == Kind::Null { pc + 1 } else { t as usize };
                let blk = self.block(to)?;
                self.edge(to, blk, Vec::new());
                self.fb().ins().jump(blk, &[]);
                return Ok(Some(false));
            }
            Op::JumpIfNot(cmp, t) => {
                let b = self.get(top(1), kt(1));
                let a = self.get(top(2), kt(2));
                let c = self.compare(cmp, a, kt(2), b, kt(1));
                let leave = negate(self.fb(), c);
                self.branch(pc, leave, t as usize)?;
                return Ok(Some(false));
            }
            Op::IterPrepare => {
                let a = self.get(top(1), kt(1));
                let n = if kt(1) == Kind::Float { self.fb().ins().fcvt_to_sint_sat(types::I64, a) } else { a };
                let zero = self.fb().ins().iconst(types::I64, 0);
                let v = self.fb().ins().smax(n, zero);
                self.set(top(1), Kind::Int, v);
            }
            Op::IterNext(s, t) => {
                let n = self.get(Loc::Slot(s), Kind::Int);
                let i = self.get(Loc::Slot(s + 1), Kind::Int);
                let exhausted = self.fb().ins().icmp(IntCC::SignedGreaterThanOrEqual, i, n);
                let body = self.fb().create_block();
                let done = self.block(t as usize)?;
                self.edge(t as usize, done, Vec::new());
                branch_in_line(self.fb(), exhausted, done, body);
                self.fb().switch_to_block(body);
                self.entered_fresh(body);
                // In the body the counter is below the count, and it counts up
                // from 0 (the VM's iterator state, which code cannot assign).
                let below = self.branch_facts(exhausted, false);
                for (v, r) in below {
                    if v == i {
                        self.note(i, Range { lo: 0, hi: r.hi });
                    }
                }
                let i1 = self.fb().ins().iadd_imm_s(i, 1);
                self.set(Loc::Slot(s + 1), Kind::Int, i1);
                self.set(push, Kind::Int, i);
            }
            _ => return Ok(None),
        }
        Ok(Some(true))
    }
}

/// The value of `v` when an `iconst` defines it.
pub fn const_of(b: &FunctionBuilder<'_>, v: Value) -> Option<i64> {
    let dfg = &b.func.dfg;
    let inst = dfg.value_def(v).inst()?;
    match dfg.insts[inst] {
        cranelift_codegen::ir::InstructionData::UnaryImm { opcode: cranelift_codegen::ir::Opcode::Iconst, imm } => {
            Some(imm.bits())
        }
        _ => None,
    }
}
