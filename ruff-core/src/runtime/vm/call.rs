//! Calls: pushing frames for Ruff functions, invoking builtins with their arguments
//! moved off the stack, method dispatch, closure creation and struct declarations.

use std::rc::Rc;

use super::args::ArgBuf;
use super::{gstate, Vm};
use crate::bytecode::{Const, Var};
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::object::{Closure, StructObj, StructType};
use crate::runtime::value::Value;

/// The message for calling something that is not a function.
pub(crate) const NOT_CALLABLE: &str = "Cannot call non-function; the value being called is not callable. Pass a function, closure, or imported callable value instead.";

/// What a call instruction did.
pub(crate) enum Called {
    /// A Ruff frame was pushed: the dispatch loop must switch to it.
    Frame,
    /// The result is already on the stack.
    Done,
}

/// Whether calling `callee` with `first` and one more argument is `push` (or its
/// alias `append`, see `Builtin::appends`) on an array: the idiomatic
/// `x = push(x, v)`, which the VM (and framed native code, inline or through
/// `jit_helpers::ruff_jit_push_update`) does in place, without moving the
/// arguments through the builtin (its semantics exactly; it cannot fail on an
/// array).
pub(crate) fn appends_in_place(callee: &Value, first: &Value) -> bool {
    matches!((callee, first), (Value::Native(b), Value::Array(_)) if b.appends)
}

impl Vm {
    /// Pushes a frame for `closure` whose arguments are at `base..base+argc`.
    #[inline(always)]
    pub(crate) fn push_frame(
        &mut self,
        closure: Rc<Closure>,
        base: usize,
        argc: usize,
        ret: usize,
    ) -> Result<(), RuntimeError> {
        let proto = &closure.proto;
        if argc != proto.nparams as usize {
            let got = argc - usize::from(proto.is_method);
            return fail(format!("{} expects {} arguments, got {got}", proto.name, proto.arity));
        }
        if self.frames.len() > self.options.max_depth {
            return fail(format!(
                "Maximum VM call stack depth of {} exceeded while calling {}",
                self.options.max_depth, proto.name
            ));
        }
        proto.calls.set(proto.calls.get().wrapping_add(1));
        let top = base + proto.nslots as usize;
        self.stack.grow_nulls(top);
        self.push_record(closure, base, ret);
        Ok(())
    }

    /// Pushes the frame record of a call of `closure` whose values start at
    /// `base` (at its first instruction; the checks, the count and the slots
    /// are the caller's business).
    #[inline(always)]
    pub(crate) fn push_record(&mut self, closure: Rc<Closure>, base: usize, ret: usize) {
        // Field by field into the vector: a `Frame` built on the native stack and
        // then copied as 16-byte blocks missed store forwarding (61% of this
        // function's samples on a recursive benchmark).
        if self.frames.len() == self.frames.capacity() {
            self.frames.reserve(1);
        }
        let len = self.frames.len();
        // SAFETY: there is room at `len`; every field is written before the
        // length covers it.
        unsafe {
            let f = self.frames.as_mut_ptr().add(len);
            std::ptr::addr_of_mut!((*f).closure).write(closure);
            std::ptr::addr_of_mut!((*f).pc).write(0);
            std::ptr::addr_of_mut!((*f).base).write(base);
            std::ptr::addr_of_mut!((*f).ret).write(ret);
            self.frames.set_len(len + 1);
        }
    }

    /// Pushes the frame of the Ruff function at `stack[callee_at]`, called with
    /// the `argc` values above it.
    #[inline(always)]
    pub(crate) fn push_callee(&mut self, callee_at: usize, argc: usize) -> Result<(), RuntimeError> {
        // The frame takes the callee's reference from its stack slot (which only
        // awaits the result): no count up now and down at return.
        let Value::Func(c) = Value::take_split(&mut self.stack[callee_at]) else {
            unreachable!("push_callee on a non-function")
        };
        self.push_frame(c, callee_at + 1, argc, callee_at)
    }

    /// Executes a call with the callee at `stack[len - argc - 1]`.
    pub(crate) fn call(&mut self, argc: usize, update: Option<Var>) -> Result<Called, RuntimeError> {
        let callee_at = self.stack.len() - argc - 1;
        match &self.stack[callee_at] {
            Value::Func(c) => {
                if self.jit.is_some() && !std::mem::take(&mut self.native_tried) {
                    let c = c.clone();
                    if let Some(v) = self.native_call(&c, callee_at + 1, argc) {
                        self.stack.truncate(callee_at);
                        self.stack.push(v);
                        return Ok(Called::Done);
                    }
                }
                self.push_callee(callee_at, argc)?;
                Ok(Called::Frame)
            }
            Value::Native(b) => {
                let b = *b;
                if !b.arity.accepts(argc) {
                    return Err(b.arity_error(argc));
                }
                if argc == 2 && appends_in_place(&self.stack[callee_at], &self.stack[callee_at + 1]) {
                    if let Some(var) = update {
                        self.take_var(var);
                    }
                    let item = self.stack.pop().expect("push item");
                    let Some(Value::Array(mut arr)) = self.stack.pop() else { unreachable!("checked an array") };
                    Rc::make_mut(&mut arr).push(item);
                    Value::assign(&mut self.stack[callee_at], Value::Array(arr));
                    return Ok(Called::Done);
                }
                let mut buf = ArgBuf::take(&mut self.stack, callee_at + 1);
                let args = buf.as_mut_slice();
                // Let the builtin own the variable's value so an unshared array can grow
                // in place; put it back if the builtin fails.
                let moved = match update {
                    Some(var) if !b.calls_back => self.take_var(var),
                    _ => None,
                };
                let r = std::mem::ManuallyDrop::new((b.func)(self, args));
                match &*r {
                    Ok(v) => {
                        // Moved out of the result in place (tag byte + payload word;
                        // see `value::copy_split`): binding `Ok(v)` by value would
                        // copy the freshly built value as one 16-byte block first.
                        // SAFETY: the value's ownership passes to the slot, and the
                        // result, being `ManuallyDrop`, is never dropped.
                        unsafe { Value::assign_from(&mut self.stack[callee_at], v) };
                        Ok(Called::Done)
                    }
                    Err(_) => {
                        let Err(e) = std::mem::ManuallyDrop::into_inner(r) else { unreachable!("matched Err") };
                        if let Some(var) = moved {
                            let original = std::mem::take(&mut args[0]);
                            self.put_var(var, original);
                        }
                        self.stack.truncate(callee_at);
                        Err(e)
                    }
                }
            }
            _ => fail(NOT_CALLABLE),
        }
    }

    /// Empties a mutable variable so its value's only owner is the argument slot.
    fn take_var(&mut self, var: Var) -> Option<Var> {
        match var {
            Var::Local(s) => {
                let base = self.frames.last().expect("frame").base;
                Value::assign(&mut self.stack[base + s as usize], Value::Null);
                Some(var)
            }
            Var::Global(g) if self.gstates[g as usize] == gstate::MUT => {
                Value::assign(&mut self.globals[g as usize], Value::Null);
                Some(var)
            }
            _ => None,
        }
    }

    fn put_var(&mut self, var: Var, v: Value) {
        match var {
            Var::Local(s) => {
                let base = self.frames.last().expect("frame").base;
                self.stack[base + s as usize] = v;
            }
            Var::Global(g) => self.globals[g as usize] = v,
            Var::Capture(_) => {}
        }
    }

    /// `receiver.name(args)`: struct methods, function-valued fields and dict
    /// entries, and `x.f(args)` as `f(x, args)` for builtins.
    pub(crate) fn call_method(&mut self, name: &Rc<str>, argc: usize) -> Result<Called, RuntimeError> {
        let recv_at = self.stack.len() - argc - 1;
        let method = match &self.stack[recv_at] {
            Value::Struct(s) => {
                let ty = self.struct_type(s);
                match ty.and_then(|t| t.method(name)) {
                    // The closure alone is copied (a whole `Value` copied and then
                    // matched on stalls on its tag).
                    Some(Value::Func(c)) => {
                        let c = c.clone();
                        // For the tier's method inlining; the frame's `pc` is
                        // one past the instruction.
                        if let (Some(t), Some(f), true) = (ty, self.frames.last(), self.jit.is_some()) {
                            f.closure.proto.jit.note_receiver(f.pc.saturating_sub(1), t);
                        }
                        self.push_frame(c, recv_at, argc + 1, recv_at)?;
                        return Ok(Called::Frame);
                    }
                    Some(m) => Some(m.clone()),
                    None => match s.field(name) {
                        Some(f) => {
                            let f = f.clone();
                            self.stack[recv_at] = f;
                            return self.call(argc, None);
                        }
                        None => return fail(format!("Field not found: {name}")),
                    },
                }
            }
            Value::Dict(d) => match d.get(&crate::runtime::object::Key::from_text(name)) {
                Some(f) => {
                    let f = f.clone();
                    self.stack[recv_at] = f;
                    return self.call(argc, None);
                }
                None => return fail(format!("Field not found: {name}")),
            },
            _ => None,
        };
        match method {
            Some(Value::Func(c)) => {
                self.push_frame(c, recv_at, argc + 1, recv_at)?;
                Ok(Called::Frame)
            }
            Some(other) => {
                self.stack[recv_at] = other;
                self.call(argc, None)
            }
            None => match crate::runtime::builtins::lookup(name) {
                Some(b) => {
                    self.stack.insert(recv_at, Value::Native(b));
                    self.call(argc + 1, None)
                }
                None => fail(format!("Cannot access field or method '{name}' on non-struct value")),
            },
        }
    }

    /// Finds an operator method (`op_add`, `op_eq`, ...) on a struct value.
    pub(crate) fn operator_method(&self, v: &Value, name: &str) -> Option<Value> {
        let Value::Struct(s) = v else { return None };
        self.struct_type(s)?.method(name).cloned()
    }

    /// The type of a struct value: the one it was made with, or the type of its
    /// name declared since.
    fn struct_type<'a>(&'a self, s: &'a StructObj) -> Option<&'a Rc<StructType>> {
        s.ty.as_ref().or_else(|| self.structs.get(&s.name))
    }

    /// Builds a closure for nested proto `idx` of the running function.
    pub(crate) fn make_closure(&mut self, idx: u32) -> Value {
        let frame = self.frames.last().expect("frame");
        let proto = frame.closure.proto.protos[idx as usize].clone();
        let captures = proto
            .captures
            .iter()
            .map(|src| match *src {
                Var::Local(s) => self.stack[frame.base + s as usize].clone(),
                Var::Capture(i) => frame.closure.captures.borrow()[i as usize].clone(),
                Var::Global(_) => unreachable!("globals are never captured"),
            })
            .collect();
        Value::Func(Rc::new(Closure { proto, captures: std::cell::RefCell::new(captures) }))
    }

    /// Registers a struct type with the method closures on top of the stack.
    pub(crate) fn define_struct(&mut self, decl: &Const, n: usize) {
        let Const::StructDecl { name, fields, methods } = decl else {
            unreachable!("DefineStruct constant is not a struct declaration")
        };
        let closures = self.stack.take_top(n);
        let ty = StructType {
            name: name.clone(),
            fields: fields.to_vec(),
            methods: methods.iter().cloned().zip(closures).collect(),
        };
        self.structs.insert(name.clone(), Rc::new(ty));
    }
}
