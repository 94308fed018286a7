//! The bytecode VM: value stack, call frames, globals, exception handlers. The
//! dispatch loop is in `dispatch`; calls and returns in `call`; indexing, fields and
//! path assignment in `access`; iteration, `match` and destructuring helpers in
//! `iter`; error unwinding in `unwind`.

mod access;
mod args;
mod call;
mod callback;
mod dispatch;
pub mod frame_layout;
mod fused;
mod iter;
mod jit_builtins;
mod jit_calls;
mod jit_compare;
pub mod jit_helpers;
mod jit_methods;
mod jit_promote;
mod jit_strings;
mod jit_try;
mod module;
mod native;
mod stack;
mod struct_pool;
mod structs;
mod unwind;

use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

use super::builtins;
use super::error::{fail, RuntimeError};
use super::object::Closure;
use super::value::Value;
use crate::compile::GlobalNames;
pub(crate) use callback::Callback;
use module::Modules;
use native::JitRt;

/// Default limit on nested Ruff calls (`--max-depth` changes it).
pub const DEFAULT_MAX_DEPTH: usize = 100_000;

/// Nested re-entries of the dispatch loop (callbacks from builtins, operator
/// methods) are limited separately because each one uses native stack.
const MAX_REENTRY: usize = 2_000;

/// Global slot states.
pub(crate) mod gstate {
    pub const UNDEFINED: u8 = 0;
    pub const BUILTIN: u8 = 1;
    pub const MUT: u8 = crate::runtime::tier::GLOBAL_MUT;
    pub const LET: u8 = 3;
    pub const CONST: u8 = 4;
}

/// One active call.
#[derive(Debug)]
pub(crate) struct Frame {
    pub closure: Rc<Closure>,
    /// Next instruction to execute (saved when the frame is not on top).
    pub pc: usize,
    /// Stack index of slot 0.
    pub base: usize,
    /// Stack height to restore on return (the callee's position; for a method
    /// call, the receiver's), where the result is then pushed.
    pub ret: usize,
}

/// An active `try`.
#[derive(Debug)]
pub(crate) struct Handler {
    /// `frames.len()` when the `try` began.
    pub frame: usize,
    /// Stack height to restore.
    pub sp: usize,
    /// Where the `except` block starts.
    pub pc: u32,
}

/// Options the embedder sets before running.
#[derive(Clone, Debug)]
pub struct VmOptions {
    /// Maximum nested Ruff calls.
    pub max_depth: usize,
}

impl Default for VmOptions {
    fn default() -> Self {
        VmOptions { max_depth: DEFAULT_MAX_DEPTH }
    }
}

/// The virtual machine for one program run.
pub struct Vm {
    pub(crate) stack: stack::Stack,
    pub(crate) frames: Vec<Frame>,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) globals: Vec<Value>,
    pub(crate) gstates: Vec<u8>,
    pub(crate) global_names: Vec<Rc<str>>,
    pub(crate) names: GlobalNames,
    pub(crate) modules: Modules,
    pub(crate) structs: structs::StructTypes,
    pub(crate) reentry: usize,
    pub(crate) options: VmOptions,
    /// The compiling tier, when one is installed.
    pub(crate) jit: Option<JitRt>,
    /// Count executed instructions per function (`--jit-stats`).
    pub(crate) counting: bool,
    /// An error raised by a helper called from framed native code, until the
    /// native code has returned to the VM.
    pub(crate) pending: Option<RuntimeError>,
    /// Set by `jit_helpers::ruff_jit_call` when it has just tried a call's pure
    /// native code without success: the step that follows runs the call in the
    /// VM without trying again (see [`Vm::call`]).
    pub(crate) native_tried: bool,
    out: Box<dyn Write>,
    err_sink: Option<Box<dyn Write>>,
    args: Vec<String>,
    clock: Instant,
}

impl Vm {
    /// A VM writing program output to `out`.
    pub fn new(out: Box<dyn Write>, args: Vec<String>, options: VmOptions) -> Vm {
        Vm {
            stack: stack::Stack::with_capacity(1024),
            frames: Vec::with_capacity(64),
            handlers: Vec::new(),
            globals: Vec::new(),
            gstates: Vec::new(),
            global_names: Vec::new(),
            names: GlobalNames::default(),
            modules: Modules::default(),
            structs: structs::StructTypes::default(),
            reentry: 0,
            options,
            jit: None,
            counting: false,
            pending: None,
            native_tried: false,
            out,
            err_sink: None,
            args,
            clock: Instant::now(),
        }
    }

    /// Installs a compiling tier. `native_stack` is how much of the current
    /// thread's stack native code may use; call this on the thread that runs.
    pub fn set_tier(&mut self, tier: Box<dyn super::tier::Tier>, mode: super::tier::JitMode, native_stack: usize) {
        if mode != super::tier::JitMode::Off {
            self.jit = Some(JitRt::new(tier, mode, native_stack));
        }
    }

    /// Makes the VM count executed instructions per function (`--jit-stats`; the
    /// tier counts native instructions itself when built to).
    pub fn set_counting(&mut self, on: bool) {
        self.counting = on;
    }

    /// Sends `eprint` output somewhere other than the process's stderr (tests).
    pub fn set_err_sink(&mut self, sink: Box<dyn Write>) {
        self.err_sink = Some(sink);
    }

    /// Installs the program's global names (and the main file's path, which
    /// fixes the project root for imports), seeding builtins.
    pub fn load_program(&mut self, names: GlobalNames, main_path: &str) {
        self.names = names;
        self.modules.set_main(main_path);
        self.sync_globals();
    }

    /// Grows the global table to cover every interned name, seeding builtins for
    /// names that have one.
    pub(crate) fn sync_globals(&mut self) {
        let start = self.globals.len();
        for name in &self.names.names()[start..] {
            if let Some(v) = builtins::constant(name) {
                self.globals.push(v);
                self.gstates.push(gstate::BUILTIN);
                self.global_names.push(name.clone());
                continue;
            }
            match builtins::lookup(name) {
                Some(b) => {
                    self.globals.push(Value::Native(b));
                    self.gstates.push(gstate::BUILTIN);
                }
                None => {
                    self.globals.push(Value::Null);
                    self.gstates.push(gstate::UNDEFINED);
                }
            }
            self.global_names.push(name.clone());
        }
    }

    /// Runs a top-level chunk to completion. `Ok` also covers a top-level `return`
    /// and `?` on `Err`/`None`; `exit(n)` arrives as an `Exit` error.
    pub fn run_main(&mut self, main: Rc<crate::bytecode::Proto>) -> Result<(), RuntimeError> {
        let closure = Rc::new(Closure { proto: main, captures: Default::default() });
        self.stack.push(Value::Func(closure.clone()));
        let base = self.stack.len();
        let nslots = closure.proto.nslots as usize;
        self.stack.grow_nulls(base + nslots);
        self.frames.push(Frame { closure, pc: 0, base, ret: base - 1 });
        let depth = self.frames.len() - 1;
        let r = self.run(depth).map(|_| ());
        self.flush();
        r
    }

    /// Calls a function value with arguments (builtins' callbacks, operator methods).
    pub fn call_value(&mut self, f: &Value, args: &[Value]) -> Result<Value, RuntimeError> {
        match f {
            Value::Native(b) => {
                if !b.arity.accepts(args.len()) {
                    return Err(b.arity_error(args.len()));
                }
                let mut owned = args.to_vec();
                (b.func)(self, &mut owned)
            }
            Value::Func(c) => {
                if self.reentry >= MAX_REENTRY {
                    return Err(self.nested_too_deep(c));
                }
                // A callback with pure native code (`filter(xs, func(x) { ... })`)
                // runs it directly on the arguments, as a call from bytecode would.
                if self.jit.is_some() {
                    if let Some(v) = self.native_call_with(c, args) {
                        return Ok(v);
                    }
                }
                self.call_in_frame(c, f, args)
            }
            _ => fail(call::NOT_CALLABLE),
        }
    }

    /// The error of a call of `c` from a builtin nested [`MAX_REENTRY`] deep.
    fn nested_too_deep(&self, c: &Closure) -> RuntimeError {
        RuntimeError::new(format!(
            "Maximum VM call stack depth of {} exceeded while calling {}",
            self.options.max_depth, c.proto.name
        ))
    }

    /// [`Vm::call_value`] of closure `c` (the value `f`) in a frame of its own,
    /// run by the dispatch loop (or its framed native code).
    fn call_in_frame(&mut self, c: &Rc<Closure>, f: &Value, args: &[Value]) -> Result<Value, RuntimeError> {
        let c = c.clone();
        let height = self.stack.len();
        self.stack.push(f.clone());
        self.stack.extend_from_slice(args);
        let depth = self.frames.len();
        if let Err(e) = self.push_frame(c, height + 1, args.len(), height) {
            self.stack.truncate(height);
            return Err(e);
        }
        self.reentry += 1;
        let r = self.run_pushed(depth);
        self.reentry -= 1;
        if r.is_err() {
            self.stack.truncate(height);
        }
        r
    }

    /// Runs the frame just pushed above `depth` frames to its end; returns its
    /// result. Framed native code runs it and returns from it directly when the
    /// function has some ([`Vm::run_callee`]); the dispatch loop runs the rest.
    fn run_pushed(&mut self, depth: usize) -> Result<Value, RuntimeError> {
        if self.jit.is_some() {
            match self.run_callee(0) {
                Some(Ok(_)) => return Ok(self.stack.pop().expect("the call's result")),
                Some(Err(e)) => self.unwind(e, depth)?,
                None => {}
            }
        }
        self.run(depth)
    }

    /// Writes program output.
    pub fn write_out(&mut self, s: &str) -> Result<(), RuntimeError> {
        match self.out.write_all(s.as_bytes()) {
            Ok(()) => Ok(()),
            // A closed pipe (`ruff run x | head`) ends the program quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(RuntimeError::exit(0)),
            Err(e) => fail(format!("cannot write to stdout: {e}")),
        }
    }

    /// Writes to stderr, after flushing stdout so the two interleave as written.
    pub fn write_err(&mut self, s: &str) {
        let _ = self.out.flush();
        match &mut self.err_sink {
            Some(w) => {
                let _ = w.write_all(s.as_bytes());
            }
            None => {
                let _ = std::io::stderr().write_all(s.as_bytes());
            }
        }
    }

    /// Flushes program output.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// The program's arguments (after the script path).
    pub fn program_args(&self) -> &[String] {
        &self.args
    }

    /// Top-level code of every module imported so far.
    pub fn module_protos(&self) -> Vec<Rc<crate::bytecode::Proto>> {
        self.modules.protos.clone()
    }

    /// The timer behind `performance_now` (started with the VM).
    pub fn clock(&self) -> Instant {
        self.clock
    }
}
