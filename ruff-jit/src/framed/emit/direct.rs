//! Calls from framed code straight into pure code. When a call's callee was,
//! at compile time, a function with pure native code for the kinds of the
//! call's arguments ([`DirectCall`], found by the engine's `direct_calls`),
//! the call site checks that the callee is still that function, that the
//! globals the callee's code assumes still hold, and that each heap-kinded
//! argument has the kind compiled for; then it calls the direct entry with
//! unboxed arguments and writes the result over the callee. Anything else, and
//! a callee that bailed out (pure code has no effects, so the VM can run the
//! call again), takes the call helper, as before.
//!
//! A callee read from a global is checked to be the very closure the global
//! held. One read from a local (a closure made in the function, or passed to
//! it: `let add := make_adder(3)` before a loop calling `add(i)`) is checked
//! to be a closure of the same function, since a local is often given a new
//! closure of it each time; the call passes that closure, whose captured
//! values the callee's code checks as it reads them (a failed guard, as for
//! any other bail-out).

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, FuncRef, InstBuilder, Value};
use ruff_core::bytecode::Op;
use ruff_core::runtime::tier::JitCtx;
use ruff_core::runtime::value::{PAYLOAD_OFFSET, TAG_OFFSET};

use super::Fx;
use crate::analyze::{GlobalGuard, Kind, State};
use crate::scalar::{flags, Loc};
use crate::translate::{cl_type, tag_of};

/// A call site whose callee was a function with pure native code.
pub struct DirectCall {
    /// The callee's direct entry `(ctx, budget, args...) -> (result, bailed)`.
    pub func: FuncRef,
    /// The address of the callee's closure (the engine keeps it alive, so no
    /// other closure can take that address).
    pub closure: i64,
    /// The kinds its code was compiled for.
    pub params: Vec<Kind>,
    pub ret: Kind,
    /// The global assumptions of the callee's code and its own callees'.
    pub guards: Vec<GlobalGuard>,
    /// The callee has captured variables: the call says which closure its
    /// code enters (`JitCtx::closure`).
    pub captures: bool,
    /// For a callee read from a local: check the closure's function instead
    /// of the closure, as its word ([`proto_bits`]) at this offset
    /// ([`HeapLayout::closure_proto`]).
    ///
    /// [`proto_bits`]: ruff_core::runtime::heap_layout::proto_bits
    /// [`HeapLayout::closure_proto`]: ruff_core::runtime::heap_layout::HeapLayout
    pub same_function: Option<(i64, i32)>,
}

/// Where the callee of a `CALL argc` at `pc` comes from, when the stack depths
/// show it was pushed by a `LOAD_GLOBAL` or a `LOAD_LOCAL` and has stayed (a
/// candidate: the call site checks the callee at run time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalleeFrom {
    Global(u32),
    Local(u16),
}

/// Where the callee of a `CALL argc` at `pc` was loaded from (see [`CalleeFrom`]).
pub fn callee_from(code: &[Op], states: &[Option<State>], pc: usize, argc: usize) -> Option<CalleeFrom> {
    let d = states[pc].as_ref()?.stack.len();
    let want = d.checked_sub(argc + 1)?;
    let mut q = pc;
    while q > 0 {
        q -= 1;
        let depth = states[q].as_ref()?.stack.len();
        if depth < want {
            return None;
        }
        if depth == want {
            return match code[q] {
                Op::LoadGlobal(g) => Some(CalleeFrom::Global(g)),
                Op::LoadLocal(s) => Some(CalleeFrom::Local(s)),
                _ => None,
            };
        }
    }
    None
}

/// Whether pure code compiled for `params` can take arguments the plan gives
/// these kinds (a heap-kinded one is checked at the call).
pub fn kinds_fit(args: &[Kind], params: &[Kind]) -> bool {
    args.len() == params.len() && args.iter().zip(params).all(|(a, p)| p.scalar() && (a == p || *a == Kind::Top))
}

/// The direct calls of a unit, by instruction.
pub type DirectCalls = HashMap<usize, DirectCall>;

impl Fx<'_, '_> {
    /// The direct call at `pc` (a `CALL argc` at depth `d` whose callee, at
    /// `callee`, is a function value), when there is one: continues at `done`
    /// after it, at `helper` (the current block afterwards) otherwise.
    pub(super) fn direct_call(&mut self, pc: usize, argc: usize, d: usize, callee: Value, done: Block) {
        let (Some(dc), Some(st)) = (self.u.direct.get(&pc), &self.u.plan.states[pc]) else { return };
        // The callee's depth budget is that of the running frame's record.
        self.uses_frame = true;
        let kinds = st.stack[d - argc..].to_vec();
        let helper = self.b.create_block();
        let fast = self.b.create_block();
        let closure = self.b.ins().load(types::I64, flags(), callee, PAYLOAD_OFFSET as i32);
        let same = match dc.same_function {
            Some((proto, at)) => {
                let word = self.b.ins().load(types::I64, flags(), closure, at);
                self.b.ins().icmp_imm_s(IntCC::Equal, word, proto)
            }
            None => self.b.ins().icmp_imm_s(IntCC::Equal, closure, dc.closure),
        };
        self.b.ins().brif(same, fast, &[], helper, &[]);
        self.b.switch_to_block(fast);
        crate::wrapper::check_globals(self.b, self.ctx, &dc.guards, helper);
        let budget = crate::translate::entry_budget(self.b, self.ctx);
        let mut args = vec![self.ctx, budget];
        for (i, (&k, &p)) in kinds.iter().zip(&dc.params).enumerate() {
            let loc = Loc::Stack((d - argc + i) as u16);
            let v = if k == p {
                match p {
                    Kind::Null => self.b.ins().iconst(types::I64, 0),
                    _ => self.get(loc, p),
                }
            } else {
                let a = self.addr(loc);
                let tag = self.b.ins().load(types::I8, flags(), a, TAG_OFFSET as i32);
                let other = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, tag_of(p) as i64);
                let ok = self.b.create_block();
                self.b.ins().brif(other, helper, &[], ok, &[]);
                self.b.switch_to_block(ok);
                match p {
                    Kind::Null => self.b.ins().iconst(types::I64, 0),
                    _ => self.b.ins().load(cl_type(p), flags(), a, PAYLOAD_OFFSET as i32),
                }
            };
            args.push(v);
        }
        if dc.captures {
            self.b.ins().store(flags(), closure, self.ctx, JitCtx::CLOSURE);
        }
        let call = self.b.ins().call(dc.func, &args);
        let (r, bailed) = (self.b.inst_results(call)[0], self.b.inst_results(call)[1]);
        let ok = self.b.create_block();
        self.b.ins().brif(bailed, helper, &[], ok, &[]);
        self.b.switch_to_block(ok);
        // The arguments are scalars (checked): only the callee owns something.
        let at = self.addr(Loc::Stack((d - argc - 1) as u16));
        self.release(at);
        let tag = self.b.ins().iconst(types::I8, tag_of(dc.ret) as i64);
        self.b.ins().store(flags(), tag, at, TAG_OFFSET as i32);
        if dc.ret != Kind::Null {
            self.b.ins().store(flags(), r, at, PAYLOAD_OFFSET as i32);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(helper);
    }
}
