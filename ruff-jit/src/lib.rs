//! The Cranelift tier for the Ruff VM: implements `ruff_core::runtime::tier::Tier`.
//!
//! A compile unit is one function entered by a call (a *call unit*) or one
//! function entered at a hot loop header (an *OSR unit*). Each is compiled *pure*
//! when it can be: `analyze` infers the kind of every value from the values at
//! hand, `translate` emits CLIF with every value in registers, and call units get
//! a direct entry taking unboxed arguments, so compiled functions call each other
//! and themselves natively; the VM calls them through a boxed `NativeEntry`,
//! `trampoline`'s (one Rust function for all units) or, for units with more
//! arguments than it passes, one that `wrapper` builds with Cranelift.
//! Anything else is compiled *framed* (`framed`): it runs inside the function's VM
//! frame, with helpers for what is not unboxed arithmetic. `scalar` is the
//! arithmetic both share. See `runtime::tier` for the two contracts (replay for
//! pure code, resume-at-instruction for framed code) that keep the VM's exact
//! behaviour.

mod analyze;
mod clock;
mod divconst;
mod framed;
mod host;
mod perfmap;
mod rangeflow;
mod ranges;
mod scalar;
mod trampoline;
mod translate;
mod wrapper;

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use cranelift_codegen::ir::{types, AbiParam, Signature};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use ruff_core::bytecode::proto::feedback;
use ruff_core::bytecode::{Op, Proto};
use ruff_core::runtime::tier::{JitSlot, NativeCode, NativeEntry, Rejection, Tier};
use ruff_core::runtime::value::Value;
use trampoline::Trampoline;

use analyze::{analyze, Failure, Kind, Start, Target, Variants};
use ruff_core::runtime::vm::jit_helpers;
use translate::{direct_signature, entry_signature, Unit, UnitKind};

/// How deep compiling a function may compile its callees first.
const MAX_NESTED_COMPILES: u32 = 8;

extern "C" fn ruff_fmod(a: f64, b: f64) -> f64 {
    a % b
}

/// Options of the tier.
#[derive(Clone, Debug, Default)]
pub struct JitOptions {
    /// Count executed instructions and calls (`--jit-stats`).
    pub counting: bool,
    /// Append `ADDR SIZE NAME` lines for every compiled function to
    /// `/tmp/perf-PID.map` (`--perf-map`).
    pub perf_map: bool,
    /// Run Cranelift's IR verifier on every function (tests).
    pub verify: bool,
    /// Deopt stress (`RUFF_JIT_STRESS=N`): bail out after every N basic blocks
    /// of native code per entry, so the replay path runs everywhere (0: off).
    pub stress: u64,
    /// Print every unit's Cranelift IR and machine code to stderr
    /// (`RUFF_JIT_DUMP`), for whoever tunes the translator.
    pub dump: bool,
    /// Where the same text goes instead when set: tests read what the
    /// translator emitted from here.
    pub dump_into: Option<std::rc::Rc<std::cell::RefCell<String>>>,
}

struct Variant {
    func: FuncId,
    sig: analyze::Signature,
    entry: NativeCode,
    /// Global assumptions of its code and its callees' (see `GlobalGuard`).
    guards: Vec<analyze::GlobalGuard>,
}

/// The Cranelift JIT. Cranelift itself is set up at the first compile, so a run
/// that never gets hot pays nothing for it at start-up.
pub struct Jit {
    options: JitOptions,
    engine: Option<Engine>,
}

impl Jit {
    /// A JIT for the host machine (Cranelift is configured lazily; a machine it
    /// does not support makes every compile a rejection with the reason).
    pub fn new(options: JitOptions) -> Jit {
        Jit { options, engine: None }
    }

    fn engine(&mut self) -> Result<&mut Engine, Rejection> {
        if self.engine.is_none() {
            self.engine = Some(Engine::new(self.options.clone()).map_err(Rejection::new)?);
        }
        Ok(self.engine.as_mut().expect("engine just built"))
    }
}

impl Tier for Jit {
    fn compile_call(
        &mut self,
        proto: &Rc<Proto>,
        args: &[Value],
        captures: &[Value],
        globals: &[Value],
    ) -> Result<NativeCode, Rejection> {
        let engine = self.engine()?;
        engine.clock = clock::Clock::default();
        let t0 = Instant::now();
        match engine.compile_call(proto, args, &analyze::kinds_of(captures), globals) {
            Ok(code) => Ok(code),
            Err(_) => {
                let tried = engine.clock.own_ns(t0);
                let slots: Vec<Kind> =
                    (0..proto.nslots as usize).map(|i| args.get(i).map_or(Kind::Null, Kind::of)).collect();
                engine.compile_framed(proto, 0, slots, Some(args.len()), args, globals, tried)
            }
        }
    }

    fn compile_osr(
        &mut self,
        proto: &Rc<Proto>,
        pc: u32,
        slots: &[Value],
        captures: &[Value],
        globals: &[Value],
    ) -> Result<NativeCode, Rejection> {
        let engine = self.engine()?;
        engine.clock = clock::Clock::default();
        let t0 = Instant::now();
        let kinds = analyze::kinds_of(&slots[..proto.nslots as usize]);
        let captured = analyze::kinds_of(captures);
        let values = &slots[..proto.nslots as usize];
        match engine.timed(|e, t0| e.compile_osr(proto, pc, values, &captured, globals, t0)) {
            Ok(entry) => Ok(NativeCode::pure(entry)),
            Err(_) => {
                let tried = engine.clock.own_ns(t0);
                engine.compile_framed(proto, pc as usize, kinds, None, &slots[..proto.nslots as usize], globals, tried)
            }
        }
    }

    fn counting(&self) -> bool {
        self.options.counting
    }

    fn stress_every(&self) -> u64 {
        self.options.stress
    }

    fn hot_entry(&mut self, proto: &Rc<Proto>, code: NativeCode) -> Option<NativeCode> {
        self.engine.as_mut()?.hot_entry(proto, code)
    }
}

/// Cranelift's module and the functions compiled into it.
struct Engine {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
    variants: Vec<Variant>,
    by_proto: HashMap<usize, usize>,
    fmod: FuncId,
    /// `ruff_core::runtime::vm::jit_helpers`, in the order of `framed::emit::Helpers`.
    helpers: Vec<FuncId>,
    options: JitOptions,
    perf: Option<perfmap::PerfMap>,
    /// Functions and closures compiled code refers to by address stay alive.
    keep: Vec<Rc<Proto>>,
    keep_values: Vec<Value>,
    /// The caches compiled code reads and fills (at fixed addresses).
    keep_caches: Vec<framed::emit::Caches>,
    /// The `data` of call entries through `trampoline`: boxed, since entries
    /// hold their addresses and the vector moves its elements as it grows.
    #[allow(clippy::vec_box, reason = "the boxes' addresses must not change")]
    trampolines: Vec<Box<Trampoline>>,
    next_id: u32,
    clock: clock::Clock,
}

impl Variants for Engine {
    fn variant(&self, proto: &Proto) -> Option<(usize, analyze::Signature)> {
        let i = *self.by_proto.get(&(proto as *const Proto as usize))?;
        Some((i, self.variants[i].sig.clone()))
    }
}

fn err(e: impl std::fmt::Display) -> Rejection {
    Rejection::new(format!("cranelift: {e}"))
}

impl Engine {
    fn new(options: JitOptions) -> Result<Engine, String> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(|e| format!("{k}={v}: {e}"));
        // No e-graph pass: it was a quarter of every compile's instructions,
        // and what it measurably improved the translator now emits itself
        // (division by constants, negated compares, element stores from
        // registers). Figures in the README's "Where a compile's time goes".
        set(&mut flags, "opt_level", "none")?;
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "enable_verifier", if options.verify { "true" } else { "false" })?;
        let isa = host::host()?
            .finish(settings::Flags::new(flags))
            .map_err(|e| format!("cannot configure Cranelift: {e}"))?;
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        builder.symbol("ruff_fmod", ruff_fmod as *const u8);
        for (name, addr) in jit_helpers::symbols() {
            builder.symbol(name, addr);
        }
        let mut module = JITModule::new(builder);
        let cc = module.isa().default_call_conv();
        let mut declare = |name: &str, params: &[types::Type], ret: Option<types::Type>| {
            let mut sig = Signature::new(cc);
            sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
            sig.returns.extend(ret.map(AbiParam::new));
            module.declare_function(name, Linkage::Import, &sig).map_err(|e| e.to_string())
        };
        let fmod = declare("ruff_fmod", &[types::F64, types::F64], Some(types::F64))?;
        let (i64t, i32t) = (types::I64, types::I32);
        let helpers = vec![
            declare("ruff_jit_step", &[i64t, i32t, i32t, i32t], Some(i32t))?,
            declare("ruff_jit_clone", &[i64t, i64t], None)?,
            declare("ruff_jit_drop", &[i64t], None)?,
            declare("ruff_jit_store", &[i64t, i64t], None)?,
            declare("ruff_jit_index", &[i64t, i64t], Some(i32t))?,
            declare("ruff_jit_set_index", &[i64t, i64t, i64t], Some(i32t))?,
            declare("ruff_jit_field", &[i64t, i64t, i32t, i64t], Some(i32t))?,
            declare("ruff_jit_push_update", &[i64t, i64t], Some(i32t))?,
            declare("ruff_jit_capture", &[i64t, i32t, i64t], None)?,
            declare("ruff_jit_call", &[i64t, i64t, i32t, i32t, i32t, i32t, i64t], Some(i32t))?,
            declare("ruff_jit_call_method", &[i64t, i32t, i32t, i32t, i64t, i32t], Some(i32t))?,
            declare("ruff_jit_make_struct", &[i64t, i64t, i64t, i64t], None)?,
            declare("ruff_jit_add_local", &[i64t, i64t], Some(i32t))?,
            declare("ruff_jit_store_capture", &[i64t, i32t, i64t], None)?,
            declare("ruff_jit_method_bailed", &[i64t, i32t, i32t, i32t, i64t, i32t], Some(i32t))?,
            declare("ruff_jit_plain_struct", &[i64t, i64t, i64t], Some(i32t))?,
            declare("ruff_jit_call_bailed", &[i64t, i32t, i32t, i32t, i64t, i32t], Some(i32t))?,
            declare("ruff_jit_match_enum", &[i64t, i64t], Some(i32t))?,
            declare("ruff_jit_try_begin", &[i64t, i32t, i32t], None)?,
            declare("ruff_jit_try_end", &[i64t], None)?,
            declare("ruff_jit_call_builtin", &[i64t, i32t, i32t, i32t, i32t], Some(i32t))?,
            declare("ruff_jit_join", &[i64t, i32t, i32t, i32t], Some(i32t))?,
            declare("ruff_jit_call_left", &[i64t, i32t, i32t, i32t, i32t, i64t], Some(i32t))?,
            declare("ruff_jit_call_done", &[i64t, i64t], None)?,
            declare("ruff_jit_method_left", &[i64t, i32t, i32t, i32t, i32t, i64t], Some(i32t))?,
            declare("ruff_jit_set_field", &[i64t, i64t, i64t, i64t], Some(i32t))?,
            declare("ruff_jit_promote", &[i64t, i64t, i64t], Some(i32t))?,
            declare("ruff_jit_inline_bailed", &[i64t, i32t, i32t, i32t, i64t, i32t, i32t], Some(i32t))?,
        ];
        let perf = if options.perf_map { Some(perfmap::PerfMap::open()?) } else { None };
        Ok(Engine {
            ctx: module.make_context(),
            module,
            fctx: FunctionBuilderContext::new(),
            variants: Vec::new(),
            by_proto: HashMap::new(),
            fmod,
            helpers,
            options,
            perf,
            keep: Vec::new(),
            keep_values: Vec::new(),
            keep_caches: Vec::new(),
            trampolines: Vec::new(),
            next_id: 0,
            clock: clock::Clock::default(),
        })
    }

    fn unit<'a>(
        &self,
        proto: &'a Proto,
        analysis: &'a analyze::Analysis,
        kind: UnitKind,
        callee_refs: Vec<cranelift_codegen::ir::FuncRef>,
        fmod: cranelift_codegen::ir::FuncRef,
    ) -> Unit<'a> {
        Unit {
            proto,
            analysis,
            kind,
            callee_refs,
            fmod,
            counting: self.options.counting,
            stress: self.options.stress > 0,
            target: self.module.target_config(),
            guards: self.guards_of(proto, analysis),
            captures_at: ruff_core::runtime::heap_layout::heap_layout().and_then(|l| l.closure_captures),
        }
    }

    /// The global assumptions of a unit and of the variants it calls.
    fn guards_of(&self, proto: &Proto, a: &analyze::Analysis) -> Vec<analyze::GlobalGuard> {
        let mut g = a.global_guards(&proto.code);
        for c in &a.callees {
            if let Target::Variant(i) = c.target {
                g.extend_from_slice(&self.variants[i].guards);
            }
        }
        g.sort_unstable();
        g.dedup();
        g
    }

    fn name(&mut self, proto: &Proto, what: &str) -> String {
        self.next_id += 1;
        format!("ruff:{}:{what}#{}", proto.name, self.next_id)
    }

    /// Defines the function in `self.ctx` under `id`; returns its code size.
    fn define(&mut self, id: FuncId) -> Result<usize, Rejection> {
        let dumping = self.options.dump || self.options.dump_into.is_some();
        if dumping {
            let name = self.module.declarations().get_function_decl(id).name.clone().unwrap_or_default();
            self.dump(format!("; ---- CLIF of {name}\n{}", self.ctx.func.display()));
            self.ctx.set_disasm(true);
        }
        self.module.define_function(id, &mut self.ctx).map_err(|e| match e {
            cranelift_module::ModuleError::Compilation(ce) => err(format!("{ce:?}")),
            other => err(other),
        })?;
        if dumping {
            let text = self.ctx.compiled_code().and_then(|c| c.vcode.clone()).unwrap_or_default();
            self.dump(format!("; ---- machine code\n{text}"));
        }
        let size = self.ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        self.module.clear_context(&mut self.ctx);
        Ok(size)
    }

    /// Writes `text` (and a line end) where dumps go: the sink, else stderr.
    fn dump(&self, text: String) {
        match &self.options.dump_into {
            Some(sink) => {
                let mut sink = sink.borrow_mut();
                sink.push_str(&text);
                sink.push('\n');
            }
            None => eprintln!("{text}"),
        }
    }

    /// Compiles callees the analysis asked for, then analyses again.
    fn analyze_with_callees(
        &mut self,
        proto: &Proto,
        start: &Start,
        captures: &[Kind],
        globals: &[Value],
        nested: u32,
    ) -> Result<analyze::Analysis, Rejection> {
        loop {
            match analyze(proto, start, captures, globals, self) {
                Ok(a) => return Ok(a),
                Err(Failure::Reject(r)) => return Err(r),
                Err(Failure::Need(callee, kinds, held)) => {
                    if nested >= MAX_NESTED_COMPILES || callee.jit.call_state.get() != JitSlot::UNTRIED {
                        return Err(Rejection::new(format!("calls {}, which has no native code", callee.name)));
                    }
                    callee.jit.call_state.set(JitSlot::REFUSED);
                    // For the captured values of the closure the global holds.
                    match self.timed(|e, t0| e.compile_variant(&callee, &kinds, &held, globals, nested + 1, t0)) {
                        Ok(i) => {
                            callee.jit.call.set(Some(self.variants[i].entry));
                            callee.jit.call_state.set(JitSlot::COMPILED);
                        }
                        Err(_) => {
                            // It may still be compiled framed when it gets hot itself.
                            callee.jit.call_state.set(JitSlot::UNTRIED);
                            return Err(Rejection::new(format!(
                                "calls {}, which cannot be compiled pure",
                                callee.name
                            )));
                        }
                    }
                }
            }
        }
    }

    /// Translates a unit into the function being defined (its signature already in
    /// `self.ctx`), declaring its callees; `own` is the unit's own id when it may
    /// call itself. Clears the context on failure.
    fn translate_unit(
        &mut self,
        proto: &Proto,
        a: &analyze::Analysis,
        kind: UnitKind,
        own: Option<FuncId>,
    ) -> Result<(), Rejection> {
        let r = self.try_translate_unit(proto, a, kind, own);
        if r.is_err() {
            self.module.clear_context(&mut self.ctx);
            // A builder dropped half-way leaves its context dirty.
            self.fctx = FunctionBuilderContext::new();
        }
        r
    }

    fn try_translate_unit(
        &mut self,
        proto: &Proto,
        a: &analyze::Analysis,
        kind: UnitKind,
        own: Option<FuncId>,
    ) -> Result<(), Rejection> {
        let mut refs = Vec::new();
        for c in &a.callees {
            let id = match (&c.target, own) {
                (Target::Itself, Some(own)) => own,
                (Target::Itself, None) => return Err(Rejection::new("recursive call from a loop entry")),
                (Target::Variant(i), _) => self.variants[*i].func,
                (Target::Missing(..), _) => return Err(Rejection::new("callee without native code")),
            };
            refs.push(self.module.declare_func_in_func(id, &mut self.ctx.func));
        }
        let fmod = self.module.declare_func_in_func(self.fmod, &mut self.ctx.func);
        let unit = self.unit(proto, a, kind, refs, fmod);
        let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        translate::translate(b, &unit)
    }

    /// Makes everything defined so far executable and returns `id` as an entry.
    fn finalized_entry(&mut self, id: FuncId) -> Result<NativeEntry, Rejection> {
        self.module.finalize_definitions().map_err(err)?;
        let ptr = self.module.get_finalized_function(id);
        // SAFETY: every entry is built with `entry_signature`, the C ABI of
        // `NativeEntry`.
        Ok(unsafe { std::mem::transmute::<*const u8, NativeEntry>(ptr) })
    }

    /// Keeps alive what compiled code for `proto` refers to by address, and
    /// records the compile (started at `t0`) in its statistics.
    fn adopt(&mut self, proto: &Rc<Proto>, a: &analyze::Analysis, globals: &[Value], t0: Instant, bytes: usize) {
        for c in &a.callees {
            if let Some(v) = c.global.and_then(|g| globals.get(g as usize)) {
                self.keep_values.push(v.clone());
            }
        }
        self.keep.push(proto.clone());
        let s = &proto.jit.stats;
        s.compiles.set(s.compiles.get() + 1);
        s.compile_ns.set(s.compile_ns.get() + self.clock.own_ns(t0));
        s.code_bytes.set(s.code_bytes.get() + bytes as u64);
    }

    /// Runs a compile that records its own time (`clock`): `f` gets its start.
    fn timed<T>(&mut self, f: impl FnOnce(&mut Engine, Instant) -> Result<T, Rejection>) -> Result<T, Rejection> {
        let started = self.clock.start();
        let r = f(self, started.t0);
        self.clock.finish(started, r.is_ok());
        r
    }

    fn compile_variant(
        &mut self,
        proto: &Rc<Proto>,
        kinds: &[Kind],
        captures: &[Kind],
        globals: &[Value],
        nested: u32,
        t0: Instant,
    ) -> Result<usize, Rejection> {
        let a = self.analyze_with_callees(proto, &Start::Call(kinds.to_vec()), captures, globals, nested)?;
        let cc = self.module.isa().default_call_conv();
        let dsig = direct_signature(kinds, a.ret, cc);
        let dname = self.name(proto, "direct");
        let direct = self.module.declare_function(&dname, Linkage::Local, &dsig).map_err(err)?;
        self.ctx.func.signature = dsig;
        self.translate_unit(proto, &a, UnitKind::Call(kinds.to_vec()), Some(direct))?;
        let dsize = self.define(direct)?;
        let guards = self.guards_of(proto, &a);
        let (entry, wsize) = self.call_entry(proto, direct, dsize, kinds, a.ret, &guards)?;
        self.adopt(proto, &a, globals, t0, dsize + wsize);
        self.variants.push(Variant {
            func: direct,
            sig: analyze::Signature { params: kinds.to_vec(), ret: a.ret, captures: captures.to_vec() },
            entry,
            guards,
        });
        let idx = self.variants.len() - 1;
        self.by_proto.insert(Rc::as_ptr(proto) as usize, idx);
        Ok(idx)
    }

    /// The entry the VM calls `direct` (already defined, `dsize` bytes) through,
    /// and the bytes of code built for it: a trampoline when it can pass the
    /// arguments, else a wrapper compiled by Cranelift.
    fn call_entry(
        &mut self,
        proto: &Proto,
        direct: FuncId,
        dsize: usize,
        kinds: &[Kind],
        ret: Kind,
        guards: &[analyze::GlobalGuard],
    ) -> Result<(NativeCode, usize), Rejection> {
        let cc = self.module.isa().default_call_conv();
        self.module.finalize_definitions().map_err(err)?;
        let dptr = self.module.get_finalized_function(direct);
        if let Some(p) = &mut self.perf {
            p.add(dptr as usize, dsize, &proto.name);
        }
        if let Some(t) = Trampoline::new(dptr, kinds, ret, guards, cc) {
            self.trampolines.push(Box::new(t));
            let data = self.trampolines.last().map_or(std::ptr::null(), |t| t.data());
            return Ok((NativeCode::pure_with(trampoline::enter, data), 0));
        }
        self.wrapper_entry(proto, direct, kinds, ret, guards)
    }

    /// An entry for `direct` compiled by Cranelift (`wrapper`), and its size.
    fn wrapper_entry(
        &mut self,
        proto: &Proto,
        direct: FuncId,
        kinds: &[Kind],
        ret: Kind,
        guards: &[analyze::GlobalGuard],
    ) -> Result<(NativeCode, usize), Rejection> {
        let cc = self.module.isa().default_call_conv();
        let wname = self.name(proto, "entry");
        let wsig = entry_signature(cc);
        let wid = self.module.declare_function(&wname, Linkage::Local, &wsig).map_err(err)?;
        self.ctx.func.signature = wsig;
        let dref = self.module.declare_func_in_func(direct, &mut self.ctx.func);
        let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        wrapper::build(b, dref, kinds, ret, guards, self.module.target_config());
        let wsize = self.define(wid)?;
        let entry = self.finalized_entry(wid)?;
        if let Some(p) = &mut self.perf {
            p.add(entry as usize, wsize, &format!("{} (entry)", proto.name));
        }
        Ok((NativeCode::pure(entry), wsize))
    }

    /// `Tier::hot_entry`: the variant of `proto` whose entry is `code` gets a
    /// wrapper compiled by Cranelift in place of its trampoline.
    fn hot_entry(&mut self, proto: &Rc<Proto>, code: NativeCode) -> Option<NativeCode> {
        let i = *self.by_proto.get(&(Rc::as_ptr(proto) as usize))?;
        let v = &self.variants[i];
        if v.entry.entry as usize != trampoline::enter as *const () as usize || v.entry.data != code.data {
            return None;
        }
        let t0 = Instant::now();
        let (func, kinds, ret, guards) = (v.func, v.sig.params.clone(), v.sig.ret, v.guards.clone());
        let (entry, size) = self.wrapper_entry(proto, func, &kinds, ret, &guards).ok()?;
        self.variants[i].entry = entry;
        let s = &proto.jit.stats;
        s.compile_ns.set(s.compile_ns.get() + t0.elapsed().as_nanos() as u64);
        s.code_bytes.set(s.code_bytes.get() + size as u64);
        Some(entry)
    }

    fn compile_call(
        &mut self,
        proto: &Rc<Proto>,
        args: &[Value],
        captures: &[Kind],
        globals: &[Value],
    ) -> Result<NativeCode, Rejection> {
        let kinds: Vec<Kind> = args.iter().map(Kind::of).collect();
        // A function asked for again after its entry refused the calls
        // (`REMATCH_AFTER`) gets a variant for these kinds; the older one
        // stays for the compiled callers that call it directly.
        if let Some(&i) = self.by_proto.get(&(Rc::as_ptr(proto) as usize)) {
            let sig = &self.variants[i].sig;
            if sig.params == kinds && sig.captures == captures && proto.jit.stats.recompiles.get() == 0 {
                return Ok(self.variants[i].entry);
            }
        }
        if let Some(v) = args.iter().find(|v| Kind::of(v) == Kind::Top) {
            return Err(Rejection::new(format!("a parameter is a {}", v.type_name())));
        }
        let i = self.timed(|e, t0| e.compile_variant(proto, &kinds, captures, globals, 0, t0))?;
        Ok(self.variants[i].entry)
    }

    fn compile_osr(
        &mut self,
        proto: &Rc<Proto>,
        pc: u32,
        values: &[Value],
        captures: &[Kind],
        globals: &[Value],
        t0: Instant,
    ) -> Result<NativeEntry, Rejection> {
        let kinds = analyze::kinds_of(values);
        let a = self.analyze_with_callees(proto, &Start::Loop(pc, kinds), captures, globals, 0)?;
        let assumed = osr_assumptions(proto, &a, values);
        let cc = self.module.isa().default_call_conv();
        let name = self.name(proto, &format!("osr@{pc}"));
        let sig = entry_signature(cc);
        let id = self.module.declare_function(&name, Linkage::Local, &sig).map_err(err)?;
        self.ctx.func.signature = sig;
        self.translate_unit(proto, &a, UnitKind::Osr(assumed), None)?;
        let size = self.define(id)?;
        let entry = self.finalized_entry(id)?;
        if let Some(p) = &mut self.perf {
            p.add(entry as usize, size, &format!("{} (loop @{pc})", proto.name));
        }
        self.adopt(proto, &a, globals, t0, size);
        Ok(entry)
    }

    /// Compiles a framed unit entered at `entry` with slots of these kinds; `params`
    /// for a call entry (the arguments checked on entry). `values`: what the
    /// entry's slots hold now (a call entry's arguments, every slot of an OSR
    /// entry), where `direct_calls` finds callees. `tried_ns`: the time
    /// already spent on this function in a failed attempt at pure code, which
    /// its compile time includes.
    #[allow(clippy::too_many_arguments, reason = "one unit's inputs, each used once")]
    fn compile_framed(
        &mut self,
        proto: &Rc<Proto>,
        entry: usize,
        slots: Vec<Kind>,
        params: Option<usize>,
        values: &[Value],
        globals: &[Value],
        tried_ns: u64,
    ) -> Result<NativeCode, Rejection> {
        let t0 = Instant::now();
        let plan = framed::plan::plan(proto, entry, slots, params.is_none())?;
        let builtin_calls = builtin_calls(proto, &plan, globals);
        // What native code does by a helper of its own is not a step: calls of
        // builtins that call no Ruff code, and joins where the VM saw only
        // strings.
        let called = builtin_calls.iter().filter(|(pc, b)| matches!(proto.code[**pc], Op::Call(_)) && !b.calls_back);
        let joins = proto.code.iter().enumerate().filter(|(pc, op)| {
            matches!(op, Op::Add) && proto.feedback.get(*pc).is_some_and(|c| c.get() == feedback::STR)
        });
        plan.refuse_mostly_steps(&called.map(|(pc, _)| *pc).chain(joins.map(|(pc, _)| pc)).collect())?;
        let cc = self.module.isa().default_call_conv();
        let what = if params.is_some() { "framed".to_string() } else { format!("framed-osr@{entry}") };
        let name = self.name(proto, &what);
        let sig = entry_signature(cc);
        let id = self.module.declare_function(&name, Linkage::Local, &sig).map_err(err)?;
        self.ctx.func.signature = sig;
        let mut refs = Vec::new();
        for h in self.helpers.iter().chain([&self.fmod]) {
            refs.push(self.module.declare_func_in_func(*h, &mut self.ctx.func));
        }
        let direct = self.direct_calls(proto, &plan, values, globals);
        let call_paths = call_paths(proto, &plan, values, globals);
        // Room for the frames of the frameless methods and functions it calls
        // (a builtin's call site never calls one).
        let calls = proto.code.iter().zip(&plan.states).enumerate().any(|(pc, (op, st))| {
            st.is_some()
                && match op {
                    Op::CallMethod(..) => true,
                    Op::Call(_) | Op::CallUpdate(..) => !builtin_calls.contains_key(&pc),
                    _ => false,
                }
        });
        let stack_need = plan.stack_need + if calls { framed::emit::CALLEE_ROOM } else { 0 };
        let helpers = framed::emit::Helpers {
            step: refs[0],
            clone: refs[1],
            drop: refs[2],
            store: refs[3],
            index: refs[4],
            set_index: refs[5],
            field: refs[6],
            push_update: refs[7],
            capture: refs[8],
            call: refs[9],
            call_method: refs[10],
            make_struct: refs[11],
            add_local: refs[12],
            store_capture: refs[13],
            method_bailed: refs[14],
            plain_struct: refs[15],
            call_bailed: refs[16],
            match_enum: refs[17],
            try_begin: refs[18],
            try_end: refs[19],
            call_builtin: refs[20],
            join: refs[21],
            call_left: refs[22],
            call_done: refs[23],
            method_left: refs[24],
            set_field: refs[25],
            promote: refs[26],
            inline_bailed: refs[27],
            fmod: refs[28],
        };
        let unit = framed::emit::FramedUnit {
            proto,
            plan: &plan,
            params,
            helpers,
            counting: self.options.counting,
            stress: self.options.stress,
            target: self.module.target_config(),
            layout: ruff_core::runtime::heap_layout::heap_layout(),
            vm_layout: ruff_core::runtime::vm::frame_layout::vm_layout(),
            direct,
            builtin_calls,
            call_paths,
            stack_need,
            values,
        };
        let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let made = match framed::emit::emit(b, &unit) {
            Ok(made) => made,
            Err(r) => {
                self.module.clear_context(&mut self.ctx);
                self.fctx = FunctionBuilderContext::new();
                return Err(r);
            }
        };
        self.keep_caches.push(made.caches);
        let size = self.define(id)?;
        let entry_fn = self.finalized_entry(id)?;
        if let Some(p) = &mut self.perf {
            p.add(entry_fn as usize, size, &format!("{} ({what})", proto.name));
        }
        self.keep.push(proto.clone());
        let s = &proto.jit.stats;
        s.compiles.set(s.compiles.get() + 1);
        s.compile_ns.set(s.compile_ns.get() + tried_ns + t0.elapsed().as_nanos() as u64);
        s.code_bytes.set(s.code_bytes.get() + size as u64);
        s.promoted_locals.set(s.promoted_locals.get() + made.promoted);
        s.inlined_calls.set(s.inlined_calls.get() + made.inlined);
        Ok(NativeCode { entry: entry_fn, data: std::ptr::null(), framed: true, stack_need, frameless: made.frameless })
    }

    /// The calls of a framed unit that can go straight into pure code: those
    /// whose callee is a global, or a local, that holds now (`globals`,
    /// `values`: the unit's entry values) a function with pure code for the
    /// kinds of the call's arguments (declared in the function being built).
    /// A local's callee is checked by its function, and only where the heap
    /// layout says where a closure keeps it.
    fn direct_calls(
        &mut self,
        proto: &Proto,
        plan: &framed::plan::Plan,
        values: &[Value],
        globals: &[Value],
    ) -> framed::emit::DirectCalls {
        use framed::emit::CalleeFrom;
        let proto_at = ruff_core::runtime::heap_layout::heap_layout().and_then(|l| l.closure_proto);
        let mut out = framed::emit::DirectCalls::new();
        for (pc, op) in proto.code.iter().enumerate() {
            let (ruff_core::bytecode::Op::Call(argc), framed::plan::How::Step) = (*op, plan.how[pc]) else { continue };
            let argc = argc as usize;
            let (candidate, same_function) = match framed::emit::callee_from(&proto.code, &plan.states, pc, argc) {
                Some(CalleeFrom::Global(g)) => (globals.get(g as usize), None),
                Some(CalleeFrom::Local(s)) => match (values.get(s as usize), proto_at) {
                    (Some(v @ Value::Func(c)), Some(at)) => {
                        (Some(v), Some((ruff_core::runtime::heap_layout::proto_bits(&c.proto) as i64, at)))
                    }
                    _ => continue,
                },
                None => continue,
            };
            let Some(Value::Func(c)) = candidate else { continue };
            let Some(&i) = self.by_proto.get(&(Rc::as_ptr(&c.proto) as usize)) else { continue };
            let Some(st) = &plan.states[pc] else { continue };
            let variant = &self.variants[i];
            if !framed::emit::kinds_fit(&st.stack[st.stack.len() - argc..], &variant.sig.params) {
                continue;
            }
            if analyze::capture_kinds(c) != variant.sig.captures {
                continue;
            }
            let callee = Value::Func(c.clone());
            let Some(closure) = callee.payload_bits() else { continue };
            let func = self.module.declare_func_in_func(variant.func, &mut self.ctx.func);
            let call = framed::emit::DirectCall {
                func,
                closure: closure as i64,
                params: variant.sig.params.clone(),
                ret: variant.sig.ret,
                guards: variant.guards.clone(),
                captures: !c.proto.captures.is_empty(),
                same_function,
            };
            // The closure (and through it its function) stays alive, so no
            // other can take the address the call site checks.
            self.keep_values.push(callee);
            out.insert(pc, call);
        }
        out
    }
}

/// The ranges an OSR unit of `proto` (analysed in `a`) assumes its slots
/// enter in, given the values they hold now (see `rangeflow`): a guess from
/// each int slot the unit assigns, none for the others. A function recompiled
/// (after entries that did not match, among other reasons) assumes nothing,
/// so that a wrong guess cannot keep its loops out of native code.
/// The calls of a framed unit (`proto`) whose callee is known when it is
/// compiled (a global or an entry value, as for `direct_calls`), each with the
/// way of running framed code at the call site that callee can use: a call of
/// the function itself gets its record pushed (its code has a call, so it is
/// not frameless), and another function with native code now the way that
/// code needs (none for pure code, which `direct_calls` call).
fn call_paths(
    proto: &Proto,
    plan: &framed::plan::Plan,
    values: &[Value],
    globals: &[Value],
) -> std::collections::HashMap<usize, framed::emit::CallPath> {
    use framed::emit::{CallPath, CalleeFrom};
    let mut out = std::collections::HashMap::new();
    for (pc, op) in proto.code.iter().enumerate() {
        let argc = match *op {
            Op::Call(n) | Op::CallUpdate(n, _) if plan.states[pc].is_some() => n as usize,
            _ => continue,
        };
        let callee = match framed::emit::callee_from(&proto.code, &plan.states, pc, argc) {
            Some(CalleeFrom::Global(g)) => globals.get(g as usize),
            Some(CalleeFrom::Local(s)) => values.get(s as usize),
            None => None,
        };
        let Some(Value::Func(c)) = callee else { continue };
        let path = if std::ptr::eq(Rc::as_ptr(&c.proto), proto) {
            CallPath::Recorded
        } else {
            match c.proto.jit.call.get() {
                None => continue,
                Some(code) if !code.framed => CallPath::Helper,
                Some(code) if code.frameless => CallPath::Frameless,
                Some(_) => CallPath::Recorded,
            }
        };
        out.insert(pc, path);
    }
    out
}

/// The calls of a framed unit whose callee is a global holding a builtin now
/// (see `framed::emit::FramedUnit::builtin_calls`), each with that builtin.
fn builtin_calls(
    proto: &Proto,
    plan: &framed::plan::Plan,
    globals: &[Value],
) -> std::collections::HashMap<usize, &'static ruff_core::runtime::builtins::Builtin> {
    let mut out = std::collections::HashMap::new();
    for (pc, op) in proto.code.iter().enumerate() {
        let argc = match *op {
            Op::Call(n) | Op::CallUpdate(n, _) if plan.states[pc].is_some() => n as usize,
            _ => continue,
        };
        if let Some(framed::emit::CalleeFrom::Global(g)) =
            framed::emit::callee_from(&proto.code, &plan.states, pc, argc)
        {
            if let Some(Value::Native(b)) = globals.get(g as usize) {
                out.insert(pc, *b);
            }
        }
    }
    out
}

fn osr_assumptions(proto: &Proto, a: &analyze::Analysis, values: &[Value]) -> Vec<ranges::Range> {
    let mut out = vec![ranges::Range::ALL; values.len()];
    if proto.jit.stats.recompiles.get() > 0 {
        return out;
    }
    let assigned = rangeflow::assigned_slots(&proto.code, a, values.len());
    let guessed: Vec<(usize, i64)> = values
        .iter()
        .enumerate()
        .filter_map(|(s, v)| match v {
            Value::Int(x) if assigned[s] => Some((s, *x)),
            _ => None,
        })
        .collect();
    for ((s, _), r) in guessed.iter().zip(rangeflow::entry_guess(proto, guessed.iter().map(|g| g.1))) {
        out[*s] = r;
    }
    out
}
