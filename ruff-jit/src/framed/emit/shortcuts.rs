//! Native shortcuts in framed code: instruction sequences and stepped
//! instructions whose common case runs without the VM (`local[i]` read in
//! place, a branch on a heap-held bool, `local[key] = value`, `local +=
//! value`), each falling back to the instructions' own path.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;
use ruff_core::bytecode::{Const, Op, Var};
use ruff_core::runtime::builtins::Builtin;
use ruff_core::runtime::heap_layout::{FieldCache, HeapLayout};
use ruff_core::runtime::tier::{bail, Rejection};
use ruff_core::runtime::value::{
    PAYLOAD_OFFSET, TAG_ARRAY, TAG_BOOL, TAG_FLOAT, TAG_FUNC, TAG_INT, TAG_NATIVE, TAG_NULL, TAG_OFFSET,
};
use ruff_core::runtime::vm::jit_helpers::{CallCache, STEP_RAISED};

use super::super::plan::How;
use super::super::{arrays, heap};
use super::Fx;
use crate::analyze::{Kind, State};
use crate::scalar::{flags, Loc};
use crate::translate::tag_of;

/// Whether instruction `pc` lies in a loop: between a loop's header and its
/// back-edge.
fn in_loop(code: &[Op], pc: usize) -> bool {
    code.iter().enumerate().any(|(q, op)| matches!(op, Op::Loop(t) if (*t as usize) <= pc && pc < q))
}

impl Fx<'_, '_> {
    /// `local[i]` (LOAD_LOCAL of a heap value, LOAD_LOCAL of an int or INT,
    /// INDEX, none of them a jump target): the element is read straight from the
    /// local's array, without copying the array to the stack (a reference count
    /// up and down per element). Anything else takes the three instructions'
    /// own path. When the next instruction does int arithmetic on the element
    /// ([`Fx::int_operand_next`]), an int element stays in its variable (see
    /// `Fx::int_element`). Returns how many instructions it emitted, `None`
    /// when the sequence is not there.
    pub(super) fn local_element(&mut self, pc: usize, st: &State, leaders: &[bool]) -> Option<usize> {
        let (code, how) = (&self.u.proto.code, &self.u.plan.how);
        let l = self.u.layout?;
        let (Op::LoadLocal(a), Some(&index_op), Some(Op::Index)) = (code[pc], code.get(pc + 1), code.get(pc + 2))
        else {
            return None;
        };
        let plain = (pc..pc + 3).all(|p| how[p] == How::Native) && !leaders[pc + 1] && !leaders[pc + 2];
        if !plain || st.slots[a as usize] != Kind::Top {
            return None;
        }
        let i = match index_op {
            Op::LoadLocal(j) if st.slots[j as usize] == Kind::Int => self.get(Loc::Slot(j), Kind::Int),
            Op::Int(k) => self.b.ins().iconst(types::I64, k as i64),
            _ => return None,
        };
        // A sequence is emitted with the frame complete (`lazy`).
        self.flush_below(usize::MAX);
        let d = st.stack.len();
        let (src, dst) = (self.addr(Loc::Slot(a)), self.addr(Loc::Stack(d as u16)));
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        let int_next = self.int_operand_next(pc + 3, leaders);
        let element = int_next.then(|| self.b.append_block_param(done, types::I64));
        if int_next {
            let v = arrays::int_element(self.b, l, src, i, slow, slow);
            self.b.ins().jump(done, &[v.into()]);
        } else {
            let part = arrays::element(self.b, l, src, i, slow);
            heap::new_ref_into(self.b, l, dst, part);
            self.b.ins().jump(done, &[]);
        }
        self.b.switch_to_block(slow);
        self.copy(Loc::Slot(a), Kind::Top, Loc::Stack(d as u16));
        self.set(Loc::Stack(d as u16 + 1), Kind::Int, i);
        self.at = (pc + 2, d + 2);
        let (target, index) = (self.addr(Loc::Stack(d as u16)), self.addr(Loc::Stack(d as u16 + 1)));
        let failed = self.call(self.u.helpers.index, &[target, index]).expect("index result");
        self.exit_if(failed, pc + 2, d + 2, bail::ERROR);
        if int_next {
            // What the next instruction's guard would find in the frame.
            let at = self.addr(Loc::Stack(d as u16));
            let (tag, payload) = heap::parts(self.b, at);
            let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, TAG_INT as i64);
            self.exit_if(other, pc + 3, d + 1, bail::GUARD);
            self.b.ins().jump(done, &[payload.into()]);
        } else {
            self.b.ins().jump(done, &[]);
        }
        self.b.switch_to_block(done);
        if let Some(v) = element {
            self.int_element(pc + 3, d as u16, v);
        }
        Some(3)
    }

    /// Whether instruction `pc` (not a jump target) is planned as int
    /// arithmetic or an int comparison that takes its top operand as an int
    /// (`Fx::number_at`), leaving to the VM when it is not one: for such an
    /// instruction, an operand found not to be an int may leave to the VM at
    /// `pc` before it, with the same outcome.
    fn int_operand_next(&self, pc: usize, leaders: &[bool]) -> bool {
        let takes_top = self.u.proto.code.get(pc).is_some_and(|&op| super::ops::checks_top_operand(op));
        takes_top && !leaders[pc] && self.u.plan.how[pc] == How::GuardInt
    }

    /// `local = push(local, item)` with a local or a constant (int, float, bool
    /// or null) as the item (LOAD_GLOBAL, LOAD_LOCAL, LOAD_LOCAL or the
    /// constant, CALL_UPDATE and STORE_LOCAL of that local, none of them a jump
    /// target): when the global is an appending builtin and the local's array
    /// is its own alone with room (and, when it is compact, the item is an
    /// int), the item is written at its end in place, with no operand copied.
    /// That is what the VM's CALL_UPDATE does (it empties the local, so the
    /// array it appends to is unshared). Anything else runs the five
    /// instructions' own code. Returns how many instructions it emitted,
    /// `None` when the sequence is not there.
    pub(super) fn local_append(&mut self, pc: usize, st: &State, leaders: &[bool]) -> Result<Option<usize>, Rejection> {
        const N: usize = 5;
        let u = self.u;
        let (Some(l), Some(seq)) = (u.layout, u.proto.code.get(pc..pc + N)) else { return Ok(None) };
        let (Op::LoadGlobal(g), Op::LoadLocal(a), item, Op::CallUpdate(2, Var::Local(c)), Op::StoreLocal(s)) =
            (seq[0], seq[1], seq[2], seq[3], seq[4])
        else {
            return Ok(None);
        };
        let item_fits = match item {
            Op::LoadLocal(j) => j != a,
            Op::Int(_) | Op::True | Op::False | Op::Null => true,
            Op::Const(k) => matches!(u.proto.consts.get(k as usize), Some(Const::Int(_) | Const::Float(_))),
            _ => false,
        };
        let runs = (pc..pc + N).all(|p| u.plan.how[p] != How::Exit && u.plan.states[p].is_some());
        let joined = leaders[pc + 1..pc + N].iter().any(|&x| x);
        if c != a || s != a || !item_fits || !runs || joined || st.slots[a as usize] != Kind::Top {
            return Ok(None);
        }
        self.flush_below(usize::MAX);
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        let builtin = self.global_addr(g);
        let local = self.addr(Loc::Slot(a));
        let arr = arrays::appending_to(self.b, builtin, local, slow);
        // Only an item read from the frame can be a counted reference, and the
        // array takes a new reference to it (`arrays::append` adds it).
        let mut may_count = false;
        let part = match item {
            Op::LoadLocal(j) => match self.scalar_parts(Loc::Slot(j), st.slots[j as usize]) {
                Some(part) => part,
                None => {
                    may_count = true;
                    let at = self.addr(Loc::Slot(j));
                    heap::parts(self.b, at)
                }
            },
            Op::Int(k) => (self.b.ins().iconst(types::I8, TAG_INT as i64), self.b.ins().iconst(types::I64, k as i64)),
            Op::True | Op::False => {
                let v = self.b.ins().iconst(types::I64, matches!(item, Op::True) as i64);
                (self.b.ins().iconst(types::I8, TAG_BOOL as i64), v)
            }
            Op::Null => (self.b.ins().iconst(types::I8, TAG_NULL as i64), self.b.ins().iconst(types::I64, 0)),
            Op::Const(k) => match u.proto.consts[k as usize] {
                Const::Int(i) => (self.b.ins().iconst(types::I8, TAG_INT as i64), self.b.ins().iconst(types::I64, i)),
                Const::Float(f) => (self.b.ins().iconst(types::I8, TAG_FLOAT as i64), self.b.ins().f64const(f)),
                _ => unreachable!("checked above"),
            },
            _ => unreachable!("checked above"),
        };
        let item = arrays::Item { parts: part, may_count, new_ref: may_count };
        arrays::append(self.b, l, arr, 1, item, slow);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        // Nothing the five instructions do before CALL_UPDATE changes what
        // the inline append checked.
        self.append_failed = true;
        let emitted = (pc..pc + N).try_for_each(|p| {
            let st = u.plan.states[p].as_ref().expect("checked above");
            self.at = (p, st.stack.len());
            match self.op(p, u.proto.code[p], st)? {
                true => Ok(()),
                false => Err(Rejection::new("an append's instructions end a block")),
            }
        });
        self.append_failed = false;
        emitted?;
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(Some(N))
    }

    /// The common case of a stepped instruction emitted by `inline` (given the
    /// heap layout and the block to leave to, unchanged, when it does not
    /// apply; skipped unless `try_inline`), then `helper` called on `args` (0:
    /// done, otherwise `slow`, the step). Returns the block where both
    /// continue.
    fn inline_then_helper(
        &mut self,
        try_inline: bool,
        slow: Block,
        helper: FuncRef,
        args: &[Value],
        inline: impl FnOnce(&mut FunctionBuilder<'_>, HeapLayout, Block),
    ) -> Block {
        self.inline_then_helper_with(try_inline, slow, helper, |_| args.to_vec(), inline)
    }

    /// [`Fx::inline_then_helper`] with the helper's arguments made by `args`
    /// in the helper's block (addresses the common case has no use for are
    /// not computed on its way).
    fn inline_then_helper_with(
        &mut self,
        try_inline: bool,
        slow: Block,
        helper: FuncRef,
        args: impl FnOnce(&mut Self) -> Vec<Value>,
        inline: impl FnOnce(&mut FunctionBuilder<'_>, HeapLayout, Block),
    ) -> Block {
        self.flush_names();
        let done = self.b.create_block();
        let by_helper = self.b.create_block();
        self.b.set_cold_block(by_helper);
        match self.u.layout.filter(|_| try_inline) {
            Some(l) => {
                inline(self.b, l, by_helper);
                self.b.ins().jump(done, &[]);
            }
            None => {
                self.b.ins().jump(by_helper, &[]);
            }
        }
        self.b.switch_to_block(by_helper);
        // The helper and the step read the frame: what the common case kept
        // pending (see `lazy::kept_past_fast_path`) is written here. It stays
        // pending on the common path, which never wrote it.
        let pending = self.lazy.clone();
        self.write_pending(&pending);
        let args = args(self);
        self.helper_or(slow, helper, &args, done);
        done
    }

    /// Calls `helper` on `args`: 0 continues at `done`, anything else at
    /// `slow` (the step).
    fn helper_or(&mut self, slow: Block, helper: FuncRef, args: &[Value], done: Block) {
        let failed = self.call(helper, args).expect("helper result");
        self.b.ins().brif(failed, slow, &[], done, &[]);
    }

    /// The common cases of some stepped instructions, natively; the current
    /// block becomes the step for the rest. Returns where the native case
    /// continues when the step falls through to the same place.
    pub(super) fn before_step(&mut self, pc: usize, op: Op, st: &State) -> Result<Option<Block>, Rejection> {
        let d = st.stack.len();
        let top = |i: usize| Loc::Stack((d - i) as u16);
        if !matches!(
            op,
            Op::JumpIfFalse(_)
                | Op::JumpIfTrue(_)
                | Op::SetPath(Var::Local(_), 1, 0 | 1)
                | Op::CallUpdate(..)
                | Op::IterNext(..)
                | Op::Call(_)
                | Op::AddLocal(_)
        ) {
            return Ok(None);
        }
        let builtin = self.u.builtin_calls.get(&pc).copied();
        // `len(x)` of a builtin call site in a loop, with the heap's layout
        // known (once per run of the code, the builtin's call is cheaper than
        // compiling the inline read: string_concat's `return len(s)` after
        // its loop added a fifth to its unit's compile).
        let length = matches!(op, Op::Call(1))
            && builtin.is_some_and(|b| b.length)
            && self.u.layout.is_some()
            && in_loop(&self.u.proto.code, pc);
        if builtin.is_some() && !length && !matches!(op, Op::CallUpdate(2, Var::Local(_) | Var::Global(_))) {
            return Ok(None);
        }
        let builtin = builtin.is_some();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let done = match op {
            // A branch on a heap-kinded value that is a bool (`if flags[i]`).
            Op::JumpIfFalse(t) | Op::JumpIfTrue(t) => {
                let a = self.addr(top(1));
                let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
                let is_bool = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_BOOL as i64);
                let fast = self.b.create_block();
                self.b.ins().brif(is_bool, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let v = self.b.ins().load(types::I8, flags(), a, PAYLOAD_OFFSET as i32);
                let (target, next) = (self.block(t as usize)?, self.block(pc + 1)?);
                let leave = if matches!(op, Op::JumpIfTrue(_)) { v } else { crate::scalar::negate(self.b, v) };
                crate::scalar::branch_in_line(self.b, leave, target, next);
                None
            }
            // `local[key] = value` on an array in range or a dict: inline for an
            // int index into the local's own array where the element replaced
            // holds no reference, by a helper otherwise.
            Op::SetPath(Var::Local(s), 1, 0) => {
                // Scalar operands are in their variables as well as in the
                // frame: used from there, not read back (nor their addresses
                // computed but for the helper).
                let index = (st.stack[d - 2] == Kind::Int).then(|| self.get(top(2), Kind::Int));
                let value = self.scalar_parts(top(1), st.stack[d - 1]);
                let local = self.addr(Loc::Slot(s));
                let index_at = index.is_none().then(|| self.addr(top(2)));
                let value_at = value.is_none().then(|| self.addr(top(1)));
                let args = |fx: &mut Self| vec![local, fx.addr(top(2)), fx.addr(top(1))];
                Some(self.inline_then_helper_with(true, slow, self.u.helpers.set_index, args, |b, l, helper| {
                    let i =
                        index.unwrap_or_else(|| heap::payload_if(b, index_at.expect("its address"), TAG_INT, helper));
                    let may_count = value.is_none();
                    let parts = value.unwrap_or_else(|| heap::parts(b, value_at.expect("its address")));
                    let item = arrays::Item { parts, may_count, new_ref: false };
                    arrays::set_element(b, l, local, i, item, helper);
                }))
            }
            // `local.name = value`: inline on an unshared struct of the shape
            // the instruction's cache remembers, where the field holds no
            // reference; by a helper on any other struct or a dict (it fills
            // the cache); the step for the rest, which raises the error.
            Op::SetPath(Var::Local(s), 1, 1) => {
                let cache = Box::<FieldCache>::default();
                let c = self.b.ins().iconst(types::I64, &*cache as *const FieldCache as i64);
                let args = [self.addr(Loc::Slot(s)), self.addr(top(2)), self.addr(top(1)), c];
                let drop = self.u.helpers.drop;
                let done = self.inline_then_helper(true, slow, self.u.helpers.set_field, &args, |b, l, helper| {
                    heap::set_field(b, l, args[0], &cache, args[2], helper);
                    // The name's reference (a constant's: never the last).
                    heap::drop_value(b, l, drop, args[1]);
                });
                self.caches.fields.push(cache);
                Some(done)
            }
            // `x = f(x, ...)`: a Ruff function is called as by CALL (the VM's
            // call has no use for the variable then); `local = push(local,
            // item)` on an array is appended in place, inline while the array
            // has room, by the helper when it must grow. The same for a `mut`
            // global (the VM empties only those first).
            Op::CallUpdate(argc, var) => {
                let callee = self.addr(top(argc as usize + 1));
                let other = self.b.create_block();
                // A builtin's call site has no code for Ruff functions.
                let func = (!builtin).then(|| {
                    let func = self.b.create_block();
                    let tag = self.b.ins().load(types::I8, flags(), callee, TAG_OFFSET as i32);
                    let is_func = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_FUNC as i64);
                    self.b.ins().brif(is_func, func, &[], other, &[]);
                    func
                });
                if builtin {
                    self.b.ins().jump(other, &[]);
                }
                self.b.switch_to_block(other);
                let done = match (argc, var) {
                    (2, Var::Local(_) | Var::Global(_)) => {
                        let var = match var {
                            Var::Global(g) => {
                                self.when_mut(g, slow);
                                self.global_addr(g)
                            }
                            Var::Local(s) => self.addr(Loc::Slot(s)),
                            Var::Capture(_) => unreachable!("not matched above"),
                        };
                        let at = arrays::AppendAt { var, callee, array: self.addr(top(2)), item: self.addr(top(1)) };
                        let args = [at.var, at.callee];
                        let try_inline = !self.append_failed;
                        self.inline_then_helper(try_inline, slow, self.u.helpers.push_update, &args, |b, l, helper| {
                            arrays::append_in_place(b, l, &at, helper);
                        })
                    }
                    _ => {
                        self.b.ins().jump(slow, &[]);
                        self.b.create_block()
                    }
                };
                if let Some(func) = func {
                    self.b.switch_to_block(func);
                    self.function_call(pc, argc as usize, d, callee, slow, done);
                }
                Some(done)
            }
            // `len(array)`, while the callee is still `len`: the array's
            // length, read in place, and the argument released as the
            // builtin's call would. Anything else is the builtin's call.
            Op::Call(1) if length => {
                let l = self.u.layout.expect("checked above");
                let len = self.u.builtin_calls[&pc] as *const Builtin as i64;
                let (callee, arg) = (self.addr(top(2)), self.addr(top(1)));
                let (ctag, f) = heap::parts(self.b, callee);
                let (atag, arr) = heap::parts(self.b, arg);
                let is_native = self.b.ins().icmp_imm_s(IntCC::Equal, ctag, TAG_NATIVE as i64);
                let is_len = self.b.ins().icmp_imm_s(IntCC::Equal, f, len);
                let is_array = self.b.ins().icmp_imm_s(IntCC::Equal, atag, TAG_ARRAY as i64);
                let both = self.b.ins().band(is_native, is_len);
                let measure = self.b.create_block();
                let fits = self.b.ins().band(both, is_array);
                self.b.ins().brif(fits, measure, &[], slow, &[]);
                self.b.switch_to_block(measure);
                let n = arrays::length(self.b, l, arr);
                // The callee's position held the builtin, which is not counted.
                let tag = self.b.ins().iconst(types::I8, TAG_INT as i64);
                heap::write(self.b, callee, (tag, n));
                let done = self.b.create_block();
                heap::release_object(self.b, l, self.u.helpers.drop, arg, arr, done);
                Some(done)
            }
            // A call of a Ruff function with native code, pure or framed,
            // without the step (builtins and everything else take it).
            Op::Call(argc) => {
                let callee = self.addr(top(argc as usize + 1));
                let tag = self.b.ins().load(types::I8, flags(), callee, TAG_OFFSET as i32);
                let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, TAG_FUNC as i64);
                let func = self.b.create_block();
                self.b.ins().brif(other, slow, &[], func, &[]);
                self.b.switch_to_block(func);
                let done = self.b.create_block();
                self.function_call(pc, argc as usize, d, callee, slow, done);
                Some(done)
            }
            // `for x in array`: the next element, read in place; the step
            // handles the end of the array and every other sequence.
            Op::IterNext(s, _) => {
                if let Some(l) = self.u.layout {
                    let (seq, index_at) = (self.addr(Loc::Slot(s)), self.addr(Loc::Slot(s + 1)));
                    // The VM keeps the position an int; checked all the same.
                    let i = heap::payload_if(self.b, index_at, TAG_INT, slow);
                    let part = arrays::element(self.b, l, seq, i, slow);
                    let dst = self.addr(Loc::Stack(d as u16));
                    heap::new_ref_into(self.b, l, dst, part);
                    let next = self.b.ins().iadd_imm_s(i, 1);
                    self.b.ins().store(flags(), next, index_at, PAYLOAD_OFFSET as i32);
                    let body = self.block(pc + 1)?;
                    self.b.ins().jump(body, &[]);
                } else {
                    self.b.ins().jump(slow, &[]);
                }
                None
            }
            // `local += value` on heap-kinded operands (a string appended to
            // a string local, say): the VM's in-place add by a helper; other
            // kinds and an overflow take the step.
            Op::AddLocal(s) => {
                let args = [self.addr(Loc::Slot(s)), self.addr(top(1))];
                let done = self.b.create_block();
                self.helper_or(slow, self.u.helpers.add_local, &args, done);
                Some(done)
            }
            _ => unreachable!("checked above"),
        };
        self.b.switch_to_block(slow);
        Ok(done)
    }

    /// `CALL argc` at `pc`, depth `d` (or CALL_UPDATE), of the function value
    /// at `callee`: straight into pure code, into frameless code, or by the
    /// call helper; continues at `done` after the call, at `slow` (the step)
    /// when the helper did not make it. The callee's frame may move the
    /// stack: the base is reloaded after the helper.
    fn function_call(&mut self, pc: usize, argc: usize, d: usize, callee: Value, slow: Block, done: Block) {
        self.direct_call(pc, argc, d, callee, done);
        let cache = Box::<CallCache>::default();
        let at = &*cache as *const CallCache as i64;
        self.caches.calls.push(cache);
        self.frameless_call(pc, argc, d, callee, at, done);
        let mut args = vec![self.ctx, callee];
        for n in [argc, pc, d, self.u.stack_need as usize] {
            args.push(self.b.ins().iconst(types::I32, n as i64));
        }
        args.push(self.b.ins().iconst(types::I64, at));
        let r = self.call(self.u.helpers.call, &args).expect("call result");
        self.reload_base();
        let raised = self.b.ins().icmp_imm_s(IntCC::Equal, r, STEP_RAISED as i64);
        let (rb, ran) = (self.raised_block(), self.b.create_block());
        self.b.ins().brif(raised, rb, &[], ran, &[]);
        self.b.switch_to_block(ran);
        self.b.ins().brif(r, slow, &[], done, &[]);
    }

    /// The tag and payload of the value at `loc` when its kind `k` is a scalar,
    /// the payload as a whole word (a null's is 0; a bool's is zero-extended,
    /// as the VM writes it, so that a later 8-byte read of it is forwarded
    /// from the store).
    fn scalar_parts(&mut self, loc: Loc, k: Kind) -> Option<(Value, Value)> {
        if !k.scalar() {
            return None;
        }
        let tag = self.b.ins().iconst(types::I8, tag_of(k) as i64);
        let payload = match k {
            Kind::Null => self.b.ins().iconst(types::I64, 0),
            Kind::Bool => {
                let v = self.get(loc, k);
                self.b.ins().uextend(types::I64, v)
            }
            _ => self.get(loc, k),
        };
        Some((tag, payload))
    }

    /// TO_BOOL of a heap-kinded value (the right operand of `&&` or `||` read
    /// from an array, say): a bool is read from the frame as it is; any other
    /// value gets the VM's truthiness through a step, which leaves a bool in
    /// the same place. Either way the result is an unboxed bool.
    pub(super) fn heap_to_bool(&mut self, pc: usize, d: usize) {
        let at = Loc::Stack((d - 1) as u16);
        let a = self.addr(at);
        let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
        let is_bool = self.b.ins().icmp_imm_s(IntCC::Equal, tag, TAG_BOOL as i64);
        let (slow, done) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.ins().brif(is_bool, done, &[], slow, &[]);
        self.b.switch_to_block(slow);
        self.step(pc, d);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        let a = self.addr(at);
        let v = self.b.ins().load(types::I8, flags(), a, PAYLOAD_OFFSET as i32);
        self.set(at, Kind::Bool, v);
    }
}
