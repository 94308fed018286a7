//! The dispatch loop. Hot cases (locals, int arithmetic and comparison, jumps,
//! calls) are inline; everything else calls out to sibling modules. The loop keeps
//! the running function's code and base in locals and reloads them only when the
//! frame changes.

use std::rc::Rc;

use super::call::Called;
use super::native::Native;
use super::{access, fused, gstate, iter, unwind, Handler, Vm};
use crate::bytecode::proto::feedback;
use crate::bytecode::{Cmp, Const, Op, Proto};
use crate::runtime::arith;
use crate::runtime::compare;
use crate::runtime::error::RuntimeError;
use crate::runtime::format::write_display;
use crate::runtime::object::{Closure, Dict, Key, TagKind, Tagged};
use crate::runtime::value::Value;
use crate::syntax::ast::BinOp;

/// What the `Return`-like instructions leave behind.
enum Exit {
    Continue,
    Done(Value),
}

/// Where the dispatch loop goes after native code ran in the top frame.
enum Flow {
    /// Carry on in the same frame at this instruction.
    Resume(usize),
    /// The frame returned to its caller: reload the top frame.
    Switch,
    /// Leave the dispatch loop with this.
    Leave(Result<Value, RuntimeError>),
}

pub(super) fn name_const(proto: &Proto, k: u32) -> &Rc<str> {
    match &proto.consts[k as usize] {
        Const::Name(n) => n,
        other => unreachable!("expected a name constant, found {other:?}"),
    }
}

pub(super) fn const_value(c: &Const) -> Value {
    match c {
        Const::Int(i) => Value::Int(*i),
        Const::Float(f) => Value::Float(*f),
        Const::Str(s) => Value::Str(s.clone()),
        other => unreachable!("constant {other:?} is not a value"),
    }
}

/// Two numbers of which at least one is a float, as floats (the VM's mixed
/// arithmetic and ordering convert the int).
#[inline(always)]
pub(super) fn float_pair(a: &Value, b: &Value) -> Option<(f64, f64)> {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => Some((*x, *y)),
        (Value::Int(x), Value::Float(y)) => Some((*x as f64, *y)),
        (Value::Float(x), Value::Int(y)) => Some((*x, *y as f64)),
        _ => None,
    }
}

/// `slot += rhs` for two ints whose sum fits, two floats or two strings, in
/// place (a string unshared): returns the feedback bits to note (two floats
/// note FLOAT, which lets framed code speculate on a heap-kinded operand, such
/// as a call's result, being a float). `None`, with
/// nothing changed, for anything else (the operator's general path).
pub(super) fn add_in_place(slot: &mut Value, rhs: &Value) -> Option<u8> {
    match (slot, rhs) {
        (Value::Int(x), Value::Int(y)) => {
            *x = x.checked_add(*y)?;
            Some(feedback::INT)
        }
        (Value::Float(x), Value::Float(y)) => {
            *x += *y;
            Some(feedback::FLOAT)
        }
        (Value::Str(a), Value::Str(b)) => {
            Rc::make_mut(a).push_str(b);
            Some(feedback::STR)
        }
        _ => None,
    }
}

fn kind_bits(a: &Value, b: &Value) -> u8 {
    match (a, b) {
        (Value::Int(_), Value::Int(_)) => feedback::INT,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => feedback::FLOAT,
        (Value::Str(_), Value::Str(_)) => feedback::STR,
        _ => feedback::OTHER,
    }
}

/// The kind of a value an instruction produced (a field read): what the JIT
/// may speculate the next one to be.
fn value_bits(v: &Value) -> u8 {
    match v {
        Value::Int(_) => feedback::INT,
        Value::Float(_) => feedback::FLOAT,
        Value::Str(_) => feedback::STR,
        _ => feedback::OTHER,
    }
}

impl Vm {
    /// Runs until the frame at index `stop_depth` returns; catches errors with
    /// handlers above `stop_depth`.
    pub(crate) fn run(&mut self, stop_depth: usize) -> Result<Value, RuntimeError> {
        loop {
            let step = if self.counting {
                self.execute::<true, false>(stop_depth)
            } else {
                self.execute::<false, false>(stop_depth)
            };
            match step {
                Ok(v) => return Ok(v),
                Err(e) => self.unwind(e, stop_depth)?,
            }
        }
    }

    /// Runs the single instruction at `pc` of the top frame, whose operand stack
    /// holds `depth` values (for framed native code, which keeps the frame
    /// complete), with `fast` tried before the dispatch loop (as
    /// [`Vm::step_fast`]: `None` leaves the instruction, or the rest of a call
    /// it made, to the loop). A call runs to its end; errors are caught by
    /// handlers of the frames it pushed, and otherwise returned with the top
    /// frame back on top. Returns the next instruction's index.
    #[inline(always)]
    pub(crate) fn step_with(
        &mut self,
        pc: usize,
        depth: usize,
        fast: impl FnOnce(&mut Vm) -> Option<Result<usize, RuntimeError>>,
    ) -> Result<usize, RuntimeError> {
        let nslots = self.frames.last().expect("frame").closure.proto.nslots as usize;
        self.step_above_slots(pc, nslots + depth, fast)
    }

    /// [`Vm::step_with`] given the frame's slots plus the operand stack's
    /// depth (`above`), which compiled code knows: no load through the frame's
    /// closure and function for it.
    #[inline(always)]
    pub(crate) fn step_above_slots(
        &mut self,
        pc: usize,
        above: usize,
        fast: impl FnOnce(&mut Vm) -> Option<Result<usize, RuntimeError>>,
    ) -> Result<usize, RuntimeError> {
        let d = self.frames.len();
        let frame = self.frames.last_mut().expect("frame");
        frame.pc = pc;
        let top = frame.base + above;
        // SAFETY: framed code keeps the operand stack below `depth` initialised and
        // within the room reserved for it.
        unsafe { self.stack.set_len(top) };
        if let Some(r) = fast(self) {
            match r {
                Ok(next) => return Ok(next),
                Err(e) => self.unwind(e, d)?,
            }
        }
        loop {
            let r = if self.counting { self.execute::<true, true>(d - 1) } else { self.execute::<false, true>(d - 1) };
            match r {
                Ok(_) => return Ok(self.frames[d - 1].pc),
                Err(e) => self.unwind(e, d)?,
            }
        }
    }

    fn after_native(&mut self, n: Native, stop_depth: usize) -> Flow {
        match n {
            Native::Resume => Flow::Resume(self.frames.last().expect("frame").pc),
            Native::Returned(v) => match self.return_from_frame(v, stop_depth) {
                Exit::Done(v) => Flow::Leave(Ok(v)),
                Exit::Continue => Flow::Switch,
            },
            Native::Raised(e) => Flow::Leave(Err(e)),
        }
    }

    /// The value of global `g` (defined). Functions and builtins are the common
    /// case (every call of a global): copied without the generic clone call.
    #[inline(always)]
    pub(super) fn global_value(&self, g: usize) -> Value {
        match &self.globals[g] {
            Value::Func(c) => Value::Func(c.clone()),
            Value::Native(b) => Value::Native(b),
            other => other.clone(),
        }
    }

    /// Pops the running frame, delivering the value on top of the stack to its
    /// caller. The result moves straight from the top to the caller's slot (as
    /// tag byte + payload word, see `value::copy_split`), not through a Rust
    /// temporary that would be copied as a 16-byte block.
    #[inline(always)]
    fn return_top(&mut self, stop_depth: usize) -> Exit {
        let (depth, ret) = self.pop_frame();
        if depth == stop_depth {
            let result = self.stack.pop().expect("a result");
            self.stack.truncate(ret);
            return Exit::Done(result);
        }
        self.stack.return_to(ret);
        Exit::Continue
    }

    /// Pops the running frame and its handlers; returns the new frame count and
    /// the popped frame's `ret`.
    #[inline(always)]
    pub(super) fn pop_frame(&mut self) -> (usize, usize) {
        // Read the one field needed and release the closure in place: moving the
        // whole `Frame` out copies it as 16-byte blocks, which stall on a frame
        // pushed a few instructions ago (see `push_frame`).
        let depth = self.frames.len() - 1;
        let ret = self.frames[depth].ret;
        // SAFETY: the frame at `depth` is initialised; the vector forgets it before
        // its closure reference is dropped, and its other fields own nothing.
        unsafe {
            self.frames.set_len(depth);
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*self.frames.as_mut_ptr().add(depth)).closure));
        }
        while self.handlers.last().is_some_and(|h| h.frame > depth) {
            self.handlers.pop();
        }
        (depth, ret)
    }

    /// Pops the running frame, delivering `result` to its caller, outside any
    /// `execute` that would stop there (no frame count reaches `usize::MAX`).
    pub(super) fn deliver(&mut self, result: Value) {
        let _ = self.return_from_frame(result, usize::MAX);
    }

    /// Pops the running frame, delivering `result` to its caller.
    fn return_from_frame(&mut self, result: Value, stop_depth: usize) -> Exit {
        let (depth, ret) = self.pop_frame();
        self.stack.truncate(ret);
        if depth == stop_depth {
            return Exit::Done(result);
        }
        self.stack.push(result);
        Exit::Continue
    }

    /// MAKE_DICT: replaces the `n` key/value pairs on top of the stack by
    /// their dict.
    pub(super) fn make_dict(&mut self, n: usize) -> Result<(), RuntimeError> {
        // Drained in place: no vector of the items is allocated (a third of a
        // three-entry literal's instructions went to allocating, copying and
        // freeing one).
        let from = self.stack.len() - 2 * n;
        let mut d = Dict::with_capacity(n);
        let mut it = self.stack.drain(from..);
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            let Value::Str(k) = k else { return Err(RuntimeError::new("Dict keys must be strings")) };
            d.insert(Key::from_owned(k), v);
        }
        drop(it);
        self.stack.push(Value::Dict(Rc::new(d)));
        Ok(())
    }

    /// MAKE_STRUCT with shape constant `k` of the running function: replaces
    /// the field values on top of the stack by the struct.
    pub(super) fn make_struct(&mut self, k: u32) {
        let proto = &self.frames.last().expect("frame").closure.proto;
        let Const::Shape { name, fields } = &proto.consts[k as usize] else {
            unreachable!("MakeStruct without a shape")
        };
        let values = self.stack.take_top(fields.len());
        let v = self.structs.instance(name, fields, values);
        self.stack.push(v);
    }

    /// A binary operator on values: overloads, then arithmetic or comparison.
    pub(crate) fn binary(&mut self, op: BinOp, a: Value, b: Value) -> Result<Value, RuntimeError> {
        let method = match op {
            BinOp::Add => "op_add",
            BinOp::Sub => "op_sub",
            BinOp::Mul => "op_mul",
            BinOp::Div => "op_div",
            BinOp::Mod => "op_mod",
            BinOp::Eq => "op_eq",
            BinOp::Ne => "op_ne",
            BinOp::Lt => "op_lt",
            BinOp::Le => "op_le",
            BinOp::Gt => "op_gt",
            BinOp::Ge => "op_ge",
        };
        if let Some(m) = self.operator_method(&a, method) {
            return self.call_value(&m, &[a, b]);
        }
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => arith::arith(op, &a, &b),
            BinOp::Eq => Ok(Value::Bool(compare::equal(&a, &b))),
            BinOp::Ne => Ok(Value::Bool(!compare::equal(&a, &b))),
            _ => {
                let Some(ord) = compare::order(&a, &b) else {
                    if compare::comparable(&a, &b) {
                        return Ok(Value::Bool(false));
                    }
                    return Err(arith::invalid(op, &a, &b));
                };
                Ok(Value::Bool(match op {
                    BinOp::Lt => ord.is_lt(),
                    BinOp::Le => ord.is_le(),
                    BinOp::Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                }))
            }
        }
    }

    fn unary(&mut self, neg: bool, v: Value) -> Result<Value, RuntimeError> {
        if let Some(m) = self.operator_method(&v, if neg { "op_neg" } else { "op_not" }) {
            return self.call_value(&m, &[v]);
        }
        if neg {
            arith::negate(&v)
        } else {
            arith::not(&v)
        }
    }

    /// The dispatch loop; `COUNT` (`--jit-stats`) counts executed instructions per
    /// function, and is a type parameter so the uncounted loop pays nothing for it.
    /// `SINGLE` ([`Vm::step_with`]) returns after one instruction of the frame above
    /// `stop_depth` (calls it makes run to their end); that instruction is counted
    /// by the native code that asked for it, not here.
    fn execute<const COUNT: bool, const SINGLE: bool>(&mut self, stop_depth: usize) -> Result<Value, RuntimeError> {
        // A step may start in a frame its instruction pushed (see `step_fast`):
        // the instruction has begun, and it ends when that frame has returned.
        let mut started = SINGLE && self.frames.len() > stop_depth + 1;
        'frames: loop {
            let frame = self.frames.last().expect("no frame to run");
            // SAFETY: the frame owns an `Rc` to this closure for as long as the frame
            // exists, and the loop below leaves (`continue 'frames` / `return`) as soon
            // as the frame is popped; growing `self.frames` moves the `Rc`, not the
            // closure it points to. This saves a refcount round trip per call.
            let closure: &Closure = unsafe { &*Rc::as_ptr(&frame.closure) };
            let proto: &Proto = &closure.proto;
            // Counting runs and single steps count and stop at the original
            // instructions; the plain loop runs the superinstructions.
            let code: &[Op] = if COUNT || SINGLE { &proto.code } else { &proto.vm_code };
            let base = frame.base;
            let mut pc = frame.pc;
            if pc == 0 && self.jit.is_some() && !(SINGLE && self.frames.len() == stop_depth + 1) {
                if let Some(n) = self.frame_start() {
                    match self.after_native(n, stop_depth) {
                        Flow::Resume(at) => pc = at,
                        Flow::Switch => continue 'frames,
                        Flow::Leave(r) => return r,
                    }
                }
            }

            macro_rules! throw {
                ($e:expr) => {{
                    let e = $e;
                    self.frames.last_mut().expect("frame").pc = pc;
                    return Err(e);
                }};
            }
            macro_rules! tri {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => throw!(e),
                    }
                };
            }
            macro_rules! pop {
                () => {
                    self.stack.pop().expect("operand stack underflow")
                };
            }
            macro_rules! note_at {
                ($at:expr, $bits:expr) => {{
                    let cell = &proto.feedback[$at];
                    let bits = $bits;
                    if cell.get() & bits == 0 {
                        cell.set(cell.get() | bits);
                    }
                }};
            }
            macro_rules! note {
                ($bits:expr) => {
                    note_at!(pc - 1, $bits)
                };
            }
            macro_rules! load_local {
                ($s:expr) => {{
                    // Ints are the common case: copy them without the generic clone call.
                    let v = match &self.stack[base + $s as usize] {
                        Value::Int(i) => Value::Int(*i),
                        Value::Float(f) => Value::Float(*f),
                        Value::Array(a) => Value::Array(a.clone()),
                        other => other.clone(),
                    };
                    self.stack.push(v);
                }};
            }
            // The two operands on top become one scalar result, in place.
            macro_rules! pair_result {
                ($put:ident, $r:expr) => {{
                    let n = self.stack.len();
                    self.stack.pop();
                    Value::$put(&mut self.stack[n - 2], $r);
                }};
            }
            // Operands other than two numbers: overloads, strings, errors.
            macro_rules! generic_binary {
                ($op:expr) => {{
                    let n = self.stack.len();
                    note!(kind_bits(&self.stack[n - 2], &self.stack[n - 1]));
                    let b = pop!();
                    let a = pop!();
                    let r = tri!(self.binary($op, a, b));
                    self.stack.push(r);
                }};
            }
            macro_rules! arith_op {
                ($op:expr, $checked:ident, $fop:tt) => {{
                    let n = self.stack.len();
                    if let (Value::Int(x), Value::Int(y)) = (&self.stack[n - 2], &self.stack[n - 1]) {
                        note!(feedback::INT);
                        match x.$checked(*y) {
                            Some(r) => {
                                pair_result!(put_int, r);
                            }
                            None => throw!(arith::int_op($op, *x, *y).unwrap_err()),
                        }
                    } else if let Some((x, y)) = float_pair(&self.stack[n - 2], &self.stack[n - 1]) {
                        note!(feedback::FLOAT);
                        let r = x $fop y;
                        pair_result!(put_float, r);
                    } else {
                        generic_binary!($op);
                    }
                }};
            }
            macro_rules! compare_op {
                ($op:expr, $cmp:tt) => {{
                    let n = self.stack.len();
                    if let (Value::Int(x), Value::Int(y)) = (&self.stack[n - 2], &self.stack[n - 1]) {
                        note!(feedback::INT);
                        let r = x $cmp y;
                        pair_result!(put_bool, r);
                    } else if let Some((x, y)) = float_pair(&self.stack[n - 2], &self.stack[n - 1]) {
                        // Ordering of numbers is IEEE ordering (compare::order).
                        note!(feedback::FLOAT);
                        let r = x $cmp y;
                        pair_result!(put_bool, r);
                    } else {
                        generic_binary!($op);
                    }
                }};
            }

            let osr_mask = self.jit.as_ref().map_or(u32::MAX, |j| j.osr_mask);
            loop {
                if SINGLE {
                    let ours = self.frames.len() == stop_depth + 1;
                    if ours && started {
                        self.frames.last_mut().expect("frame").pc = pc;
                        return Ok(Value::Null);
                    }
                    if COUNT && !ours {
                        proto.jit.stats.vm_insns.set(proto.jit.stats.vm_insns.get() + 1);
                    }
                    started = true;
                } else if COUNT {
                    proto.jit.stats.vm_insns.set(proto.jit.stats.vm_insns.get() + 1);
                }
                let op = code[pc];
                pc += 1;
                match op {
                    Op::Const(k) => self.stack.push(const_value(&proto.consts[k as usize])),
                    Op::Int(i) => self.stack.push(Value::Int(i as i64)),
                    Op::Null => self.stack.push(Value::Null),
                    Op::True => self.stack.push(Value::Bool(true)),
                    Op::False => self.stack.push(Value::Bool(false)),
                    Op::Pop => {
                        let n = self.stack.len() - 1;
                        self.stack.truncate(n);
                    }
                    Op::Dup => {
                        let v = self.stack.last().expect("dup on empty stack").clone();
                        self.stack.push(v);
                    }
                    Op::LoadLocal(s) => load_local!(s),
                    Op::StoreLocal(s) => {
                        let v = pop!();
                        Value::assign(&mut self.stack[base + s as usize], v);
                    }
                    Op::LoadCapture(i) => {
                        let v = closure.captures.borrow()[i as usize].clone();
                        self.stack.push(v);
                    }
                    Op::StoreCapture(i) => {
                        let v = pop!();
                        closure.captures.borrow_mut()[i as usize] = v;
                    }
                    Op::LoadGlobal(g) => {
                        let g = g as usize;
                        if self.gstates[g] == gstate::UNDEFINED {
                            throw!(RuntimeError::new(format!("Undefined variable: {}", self.global_names[g])));
                        }
                        let v = self.global_value(g);
                        self.stack.push(v);
                    }
                    Op::StoreGlobal(g) => {
                        tri!(self.check_global_store(g as usize, false));
                        self.globals[g as usize] = pop!();
                    }
                    Op::DefineGlobal(g, kind) => {
                        let g = g as usize;
                        if self.gstates[g] >= gstate::MUT {
                            throw!(RuntimeError::new(format!(
                                "Duplicate declaration in the same scope: {}",
                                self.global_names[g]
                            )));
                        }
                        self.gstates[g] = match kind {
                            0 => gstate::MUT,
                            1 => gstate::LET,
                            _ => gstate::CONST,
                        };
                        self.globals[g] = pop!();
                    }
                    Op::LoadSelf => self.stack.push(Value::Func(self.frames.last().expect("frame").closure.clone())),
                    Op::Add => arith_op!(BinOp::Add, checked_add, +),
                    Op::Sub => arith_op!(BinOp::Sub, checked_sub, -),
                    Op::Mul => arith_op!(BinOp::Mul, checked_mul, *),
                    Op::Div | Op::Mod => {
                        let op = if matches!(op, Op::Div) { BinOp::Div } else { BinOp::Mod };
                        let n = self.stack.len();
                        if let (Value::Int(x), Value::Int(y)) = (&self.stack[n - 2], &self.stack[n - 1]) {
                            let r = if op == BinOp::Div { x.checked_div(*y) } else { x.checked_rem(*y) };
                            if let Some(r) = r {
                                note!(feedback::INT);
                                pair_result!(put_int, r);
                                continue;
                            }
                        }
                        let b = pop!();
                        let a = pop!();
                        note!(kind_bits(&a, &b));
                        let r = match (&a, &b) {
                            (Value::Int(x), Value::Int(y)) => tri!(arith::int_op(op, *x, *y)).into(),
                            _ => tri!(self.binary(op, a, b)),
                        };
                        self.stack.push(r);
                    }
                    Op::Eq | Op::Ne => {
                        let b = pop!();
                        let a = pop!();
                        note!(kind_bits(&a, &b));
                        let eq_op = matches!(op, Op::Eq);
                        let r = match (&a, &b) {
                            (Value::Int(x), Value::Int(y)) => Value::Bool((x == y) == eq_op),
                            (Value::Struct(_), _) => {
                                tri!(self.binary(if eq_op { BinOp::Eq } else { BinOp::Ne }, a, b))
                            }
                            _ => Value::Bool(compare::equal(&a, &b) == eq_op),
                        };
                        self.stack.push(r);
                    }
                    Op::Lt => compare_op!(BinOp::Lt, <),
                    Op::Le => compare_op!(BinOp::Le, <=),
                    Op::Gt => compare_op!(BinOp::Gt, >),
                    Op::Ge => compare_op!(BinOp::Ge, >=),
                    Op::Neg => {
                        let v = pop!();
                        let r = tri!(self.unary(true, v));
                        self.stack.push(r);
                    }
                    Op::Not => {
                        let v = pop!();
                        let r = match v {
                            Value::Bool(b) => Value::Bool(!b),
                            other => tri!(self.unary(false, other)),
                        };
                        self.stack.push(r);
                    }
                    Op::ToBool => {
                        let v = pop!();
                        self.stack.push(Value::Bool(v.truthy()));
                    }
                    Op::AddLocal(s) => {
                        let rhs = pop!();
                        let slot = &mut self.stack[base + s as usize];
                        match add_in_place(slot, &rhs) {
                            Some(bits) => note!(bits),
                            None => {
                                note!(kind_bits(slot, &rhs));
                                let lhs = std::mem::take(slot);
                                let r = self.binary(BinOp::Add, lhs.clone(), rhs);
                                match r {
                                    Ok(v) => self.stack[base + s as usize] = v,
                                    Err(e) => {
                                        self.stack[base + s as usize] = lhs;
                                        throw!(e)
                                    }
                                }
                            }
                        }
                    }
                    Op::AddGlobal(g) => {
                        let rhs = pop!();
                        let g = g as usize;
                        tri!(self.check_global_store(g, true));
                        match (&mut self.globals[g], &rhs) {
                            (Value::Int(x), Value::Int(y)) if x.checked_add(*y).is_some() => *x += *y,
                            (Value::Str(a), Value::Str(b)) => Rc::make_mut(a).push_str(b),
                            _ => {
                                let lhs = std::mem::take(&mut self.globals[g]);
                                match self.binary(BinOp::Add, lhs.clone(), rhs) {
                                    Ok(v) => self.globals[g] = v,
                                    Err(e) => {
                                        self.globals[g] = lhs;
                                        throw!(e)
                                    }
                                }
                            }
                        }
                    }
                    Op::IncLocal(s, k) => {
                        let slot = &mut self.stack[base + s as usize];
                        match slot {
                            // The common case notes nothing: compiled code
                            // speculates ints where the VM saw no other kind.
                            Value::Int(x) if x.checked_add(k as i64).is_some() => *x += k as i64,
                            _ => {
                                note!(kind_bits(slot, &Value::Int(k as i64)));
                                let lhs = slot.clone();
                                let r = tri!(self.binary(BinOp::Add, lhs, Value::Int(k as i64)));
                                self.stack[base + s as usize] = r;
                            }
                        }
                    }
                    Op::Jump(t) => pc = t as usize,
                    Op::Loop(t) => {
                        let n = proto.back_edges.get().wrapping_add(1);
                        proto.back_edges.set(n);
                        pc = t as usize;
                        let hot = n & osr_mask == 0;
                        if (hot || proto.jit.osr_ready.get()) && self.jit.is_some() {
                            if let Some(n) = self.native_loop(t, hot) {
                                match self.after_native(n, stop_depth) {
                                    Flow::Resume(at) => pc = at,
                                    Flow::Switch => continue 'frames,
                                    Flow::Leave(r) => return r,
                                }
                            }
                        }
                    }
                    Op::JumpIfFalse(t) => {
                        let v = pop!();
                        let truthy = match v {
                            Value::Bool(b) => b,
                            other => other.truthy(),
                        };
                        if !truthy {
                            pc = t as usize;
                        }
                    }
                    Op::JumpIfTrue(t) => {
                        if pop!().truthy() {
                            pc = t as usize;
                        }
                    }
                    Op::JumpIfNotNull(t) => {
                        if self.stack.last().is_some_and(|v| !v.is_null()) {
                            pc = t as usize;
                        } else {
                            self.stack.pop();
                        }
                    }
                    Op::JumpIfNot(cmp, t) => {
                        let n = self.stack.len();
                        let hit = if let (Value::Int(x), Value::Int(y)) = (&self.stack[n - 2], &self.stack[n - 1]) {
                            note!(feedback::INT);
                            let r = cmp.holds(x, y);
                            self.stack.truncate(n - 2);
                            r
                        } else if let (Some((x, y)), false) =
                            (float_pair(&self.stack[n - 2], &self.stack[n - 1]), matches!(cmp, Cmp::Eq | Cmp::Ne))
                        {
                            // Ordering of numbers is IEEE ordering (compare::order);
                            // float equality has its epsilon rule, in the slow path.
                            note!(feedback::FLOAT);
                            self.stack.truncate(n - 2);
                            cmp.holds(x, y)
                        } else {
                            note!(kind_bits(&self.stack[n - 2], &self.stack[n - 1]));
                            let b = pop!();
                            let a = pop!();
                            let op = match cmp {
                                Cmp::Lt => BinOp::Lt,
                                Cmp::Le => BinOp::Le,
                                Cmp::Gt => BinOp::Gt,
                                Cmp::Ge => BinOp::Ge,
                                Cmp::Eq => BinOp::Eq,
                                Cmp::Ne => BinOp::Ne,
                            };
                            tri!(self.binary(op, a, b)).truthy()
                        };
                        if !hit {
                            pc = t as usize;
                        }
                    }
                    Op::LocalAddInt(s, k) | Op::LocalSubInt(s, k) => {
                        let add = matches!(op, Op::LocalAddInt(..));
                        let r = match &self.stack[base + s as usize] {
                            Value::Int(x) => {
                                note!(feedback::INT);
                                let r = if add { x.checked_add(k as i64) } else { x.checked_sub(k as i64) };
                                match r {
                                    Some(r) => Value::Int(r),
                                    None => {
                                        let op = if add { BinOp::Add } else { BinOp::Sub };
                                        throw!(arith::int_op(op, *x, k as i64).unwrap_err())
                                    }
                                }
                            }
                            other => {
                                note!(kind_bits(other, &Value::Int(k as i64)));
                                let lhs = other.clone();
                                let op = if add { BinOp::Add } else { BinOp::Sub };
                                tri!(self.binary(op, lhs, Value::Int(k as i64)))
                            }
                        };
                        self.stack.push(r);
                    }
                    Op::Call(argc) => {
                        self.frames.last_mut().expect("frame").pc = pc;
                        // A Ruff function with no native tier to consult: push its
                        // frame here, without the general call path.
                        let callee_at = self.stack.len() - argc as usize - 1;
                        if self.jit.is_none() && matches!(self.stack[callee_at], Value::Func(_)) {
                            tri!(self.push_callee(callee_at, argc as usize));
                            continue 'frames;
                        }
                        match tri!(self.call(argc as usize, None)) {
                            Called::Frame => continue 'frames,
                            Called::Done => {}
                        }
                    }
                    Op::CallUpdate(argc, var) => {
                        self.frames.last_mut().expect("frame").pc = pc;
                        match tri!(self.call(argc as usize, Some(var))) {
                            Called::Frame => continue 'frames,
                            Called::Done => {}
                        }
                    }
                    Op::CallMethod(k, argc) => {
                        self.frames.last_mut().expect("frame").pc = pc;
                        let name = name_const(proto, k).clone();
                        match tri!(self.call_method(&name, argc as usize)) {
                            Called::Frame => continue 'frames,
                            Called::Done => {}
                        }
                    }
                    // Superinstructions (bytecode::fuse): `pc` is one past their
                    // first original instruction; the fast path skips the rest
                    // (`fuse::width` in all), the slow path is that instruction.
                    Op::JumpIfNotLocalInt(cmp, s, k, t) => {
                        match fused::compare_int(cmp, &self.stack[base + s as usize], k) {
                            Some((hit, bits)) => {
                                note_at!(pc + 1, bits);
                                pc = if hit { pc + 2 } else { t as usize };
                            }
                            None => load_local!(s),
                        }
                    }
                    Op::LocalsArithStore(f, a, b, d) => {
                        match fused::arith(f, &self.stack[base + a as usize], &self.stack[base + b as usize]) {
                            Some((r, bits)) => {
                                note_at!(pc + 1, bits);
                                Value::assign(&mut self.stack[base + d as usize], r);
                                pc += 3;
                            }
                            None => load_local!(a),
                        }
                    }
                    Op::LocalsArith(f, a, b) => {
                        match fused::arith(f, &self.stack[base + a as usize], &self.stack[base + b as usize]) {
                            Some((r, bits)) => {
                                note_at!(pc + 1, bits);
                                self.stack.push(r);
                                pc += 2;
                            }
                            None => load_local!(a),
                        }
                    }
                    Op::ArithLocal(f, s) => {
                        let n = self.stack.len();
                        match fused::arith(f, &self.stack[n - 1], &self.stack[base + s as usize]) {
                            Some((r, bits)) => {
                                note_at!(pc, bits);
                                // The operand replaced was a number: nothing to drop.
                                Value::assign(&mut self.stack[n - 1], r);
                                pc += 1;
                            }
                            None => load_local!(s),
                        }
                    }
                    Op::LoadLocal2(a, b) => {
                        load_local!(a);
                        load_local!(b);
                        pc += 1;
                    }
                    Op::ReturnLocal(s) => {
                        load_local!(s);
                        match self.return_top(stop_depth) {
                            Exit::Done(v) => return Ok(v),
                            Exit::Continue => continue 'frames,
                        }
                    }
                    Op::Return => match self.return_top(stop_depth) {
                        Exit::Done(v) => return Ok(v),
                        Exit::Continue => continue 'frames,
                    },
                    Op::Index => {
                        // An array element by int, in place of the array operand
                        // (no pops, no generic clone for scalar elements).
                        let n = self.stack.len();
                        if let (Value::Array(a), Value::Int(i)) = (&self.stack[n - 2], &self.stack[n - 1]) {
                            if let Some(v) = access::position(*i, a.len()).and_then(|p| a.at(p)) {
                                note!(feedback::OTHER);
                                // SAFETY: the index on top is an int: forgetting it
                                // leaks nothing.
                                unsafe { self.stack.set_len(n - 1) };
                                Value::assign(&mut self.stack[n - 2], v);
                                continue;
                            }
                        }
                        let idx = pop!();
                        let target = pop!();
                        note!(kind_bits(&target, &idx));
                        let v = tri!(access::index(&target, &idx));
                        self.stack.push(v);
                    }
                    Op::Field(k) => {
                        let target = pop!();
                        let v = tri!(access::field(&target, name_const(proto, k)));
                        note!(value_bits(&v));
                        self.stack.push(v);
                    }
                    Op::OptField(k) => {
                        let target = pop!();
                        let v = if target.is_null() {
                            Value::Null
                        } else {
                            tri!(access::field(&target, name_const(proto, k)))
                        };
                        self.stack.push(v);
                    }
                    Op::SetPath(var, n, fields) => {
                        self.frames.last_mut().expect("frame").pc = pc;
                        tri!(self.set_path(var, n as usize, fields));
                    }
                    Op::MakeArray(n) => {
                        let items = self.stack.take_top(n as usize);
                        self.stack.push(Value::array(items));
                    }
                    Op::ArrayPush => {
                        let v = pop!();
                        if let Some(Value::Array(a)) = self.stack.last_mut() {
                            Rc::make_mut(a).push(v);
                        }
                    }
                    Op::ArrayExtend => {
                        let v = pop!();
                        let Value::Array(src) = v else {
                            throw!(RuntimeError::new(format!(
                                "Cannot spread a value of type {} into an array",
                                v.type_name()
                            )))
                        };
                        if let Some(Value::Array(a)) = self.stack.last_mut() {
                            Rc::make_mut(a).extend(src.iter().cloned());
                        }
                    }
                    Op::MakeDict(n) => tri!(self.make_dict(n as usize)),
                    Op::DictInsert => {
                        let v = pop!();
                        let k = pop!();
                        let Value::Str(k) = k else { throw!(RuntimeError::new("Dict keys must be strings")) };
                        if let Some(Value::Dict(d)) = self.stack.last_mut() {
                            Rc::make_mut(d).insert(Key::from_rc(&k), v);
                        }
                    }
                    Op::DictExtend => {
                        let v = pop!();
                        let Value::Dict(src) = v else {
                            throw!(RuntimeError::new(format!(
                                "Cannot spread a value of type {} into a dict",
                                v.type_name()
                            )))
                        };
                        if let Some(Value::Dict(d)) = self.stack.last_mut() {
                            let d = Rc::make_mut(d);
                            for (k, v) in src.iter() {
                                d.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    Op::MakeStruct(k) => self.make_struct(k),
                    Op::MakeClosure(idx) => {
                        let v = self.make_closure(idx);
                        self.stack.push(v);
                    }
                    Op::MakeTagged(tag) => {
                        let (kind, payload) = match tag {
                            crate::bytecode::Tag::Ok => (TagKind::Ok, vec![pop!()]),
                            crate::bytecode::Tag::Err => (TagKind::Err, vec![pop!()]),
                            crate::bytecode::Tag::Some => (TagKind::Some, vec![pop!()]),
                            crate::bytecode::Tag::None => (TagKind::None, Vec::new()),
                        };
                        self.stack.push(Value::Tagged(Rc::new(Tagged { kind, payload })));
                    }
                    Op::MakeEnum(k, n) => {
                        let Const::Variant { enum_name, variant } = &proto.consts[k as usize] else {
                            unreachable!("MakeEnum without a variant")
                        };
                        let payload = self.stack.take_top(n as usize);
                        let kind = TagKind::Enum { enum_name: enum_name.clone(), variant: variant.clone() };
                        self.stack.push(Value::Tagged(Rc::new(Tagged { kind, payload })));
                    }
                    Op::DefineStruct(k, n) => self.define_struct(&proto.consts[k as usize], n as usize),
                    Op::Concat(n) => {
                        let parts = self.stack.take_top(n as usize);
                        let mut s = String::new();
                        for p in &parts {
                            write_display(&mut s, p, 0);
                        }
                        self.stack.push(Value::str(s));
                    }
                    Op::Throw => {
                        let v = pop!();
                        let mut e = RuntimeError::new(unwind::thrown_message(&v));
                        e.thrown = Some(v);
                        throw!(e)
                    }
                    Op::Raise(k) => {
                        let Const::Str(msg) = &proto.consts[k as usize] else {
                            unreachable!("Raise without a message")
                        };
                        throw!(RuntimeError::new(msg.to_string()))
                    }
                    Op::TryBegin(t) => {
                        self.handlers.push(Handler { frame: self.frames.len(), sp: self.stack.len(), pc: t });
                    }
                    Op::TryEnd => {
                        self.handlers.pop();
                    }
                    Op::IterPrepare => {
                        let v = pop!();
                        // Counting loops (`for i in n`) are what the JIT speculates on.
                        note!(if matches!(v, Value::Int(_)) { feedback::INT } else { feedback::OTHER });
                        let seq = tri!(iter::prepare(v));
                        self.stack.push(seq);
                    }
                    Op::IterNext(s, t) => {
                        let at = base + s as usize;
                        let Value::Int(i) = self.stack[at + 1] else { unreachable!("iteration index is not an int") };
                        if let Value::Int(n) = self.stack[at] {
                            if i < n {
                                Value::put_int(&mut self.stack[at + 1], i + 1);
                                self.stack.push(Value::Int(i));
                            } else {
                                pc = t as usize;
                            }
                            continue;
                        }
                        match iter::element(&self.stack[at], i) {
                            Some(v) => {
                                Value::put_int(&mut self.stack[at + 1], i + 1);
                                self.stack.push(v);
                            }
                            None => pc = t as usize,
                        }
                    }
                    Op::IterNextStore(s, d, t) => {
                        // ITER_NEXT and STORE_LOCAL at once: the element goes
                        // straight into the loop variable.
                        let at = base + s as usize;
                        let Value::Int(i) = self.stack[at + 1] else { unreachable!("iteration index is not an int") };
                        if let Value::Int(n) = self.stack[at] {
                            if i < n {
                                Value::put_int(&mut self.stack[at + 1], i + 1);
                                Value::put_int(&mut self.stack[base + d as usize], i);
                                pc += 1;
                            } else {
                                pc = t as usize;
                            }
                            continue;
                        }
                        match iter::element(&self.stack[at], i) {
                            Some(v) => {
                                Value::put_int(&mut self.stack[at + 1], i + 1);
                                Value::assign(&mut self.stack[base + d as usize], v);
                                pc += 1;
                            }
                            None => pc = t as usize,
                        }
                    }
                    Op::MatchTag(tag, t) => {
                        let v = pop!();
                        match iter::match_tag(&v, tag) {
                            Some(p) => self.stack.push(p),
                            None => pc = t as usize,
                        }
                    }
                    Op::MatchEnum(k, t) => {
                        let Const::Variant { enum_name, variant } = &proto.consts[k as usize] else {
                            unreachable!("MatchEnum without a variant")
                        };
                        let v = pop!();
                        match iter::match_enum(&v, enum_name, variant) {
                            Some(p) => self.stack.push(p),
                            None => pc = t as usize,
                        }
                    }
                    Op::MatchName(k, t) => {
                        let v = pop!();
                        if iter::match_name(&v, name_const(proto, k)) {
                            self.stack.push(Value::Null);
                        } else {
                            pc = t as usize;
                        }
                    }
                    Op::Unwrap => {
                        let v = pop!();
                        let Value::Tagged(t) = &v else {
                            throw!(RuntimeError::new("Try operator requires Result or Option"))
                        };
                        match t.kind {
                            TagKind::Ok | TagKind::Some => {
                                let p = t.payload.first().cloned().unwrap_or(Value::Null);
                                self.stack.push(p);
                            }
                            TagKind::Err | TagKind::None => {
                                if self.frames.len() == 1 {
                                    return Ok(self.halt(stop_depth));
                                }
                                match self.return_from_frame(v, stop_depth) {
                                    Exit::Done(v) => return Ok(v),
                                    Exit::Continue => continue 'frames,
                                }
                            }
                            TagKind::Enum { .. } => throw!(RuntimeError::new("Try operator requires Result or Option")),
                        }
                    }
                    Op::ElemOrNull(i) => {
                        let v = pop!();
                        self.stack.push(iter::elem_or_null(&v, i as usize));
                    }
                    Op::RestFrom(i) => {
                        let v = pop!();
                        self.stack.push(iter::rest_from(&v, i as usize));
                    }
                    Op::KeyOrNull(k) => {
                        let target = pop!();
                        let v = access::key_or_null(&target, name_const(proto, k));
                        note!(value_bits(&v));
                        self.stack.push(v);
                    }
                    Op::RestWithout(k) => {
                        let Const::Names(names) = &proto.consts[k as usize] else {
                            unreachable!("RestWithout without names")
                        };
                        let v = pop!();
                        self.stack.push(access::rest_without(&v, names));
                    }
                    Op::Import(k, plain) => {
                        self.frames.last_mut().expect("frame").pc = pc;
                        let name = name_const(proto, k).clone();
                        let ns = tri!(self.import(&name, proto, plain));
                        self.stack.push(ns);
                    }
                    Op::Halt => return Ok(self.halt(stop_depth)),
                }
            }
        }
    }

    /// Checks that global `g` may be assigned (and marks a builtin or undefined slot
    /// as a mutable user global). `read_first` is for `g += e`, which reads `g`.
    fn check_global_store(&mut self, g: usize, read_first: bool) -> Result<(), RuntimeError> {
        let name = &self.global_names[g];
        match self.gstates[g] {
            gstate::UNDEFINED if read_first => Err(RuntimeError::new(format!("Undefined variable: {name}"))),
            gstate::LET => Err(RuntimeError::new(format!("Cannot reassign immutable let binding: {name}"))),
            gstate::CONST => Err(RuntimeError::new(format!("Cannot reassign const binding: {name}"))),
            gstate::UNDEFINED | gstate::BUILTIN => {
                self.gstates[g] = gstate::MUT;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn halt(&mut self, stop_depth: usize) -> Value {
        self.frames.truncate(stop_depth);
        while self.handlers.last().is_some_and(|h| h.frame > stop_depth) {
            self.handlers.pop();
        }
        Value::Null
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
