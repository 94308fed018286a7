//! The front door for embedders (the CLI, the lab, tests): compile a source file into
//! a [`Program`], disassemble it, run it with [`Options`], and get a [`RunOutcome`]
//! with the exit status the language defines (§1).

use std::io::Write;
use std::rc::Rc;

use crate::bytecode::{disasm, Proto};
use crate::compile::{self, GlobalNames};
use crate::diag::{Diagnostic, Source, Stage};
use crate::runtime::error::{ErrorKind, RuntimeError};
use crate::runtime::tier::{JitMode, Tier};
use crate::runtime::vm::{Vm, VmOptions, DEFAULT_MAX_DEPTH};
use crate::syntax;

/// Exit status for a lexer or parser error.
pub const EXIT_SYNTAX: i32 = 3;
/// Exit status for an uncaught runtime error or a compile-time error.
pub const EXIT_RUNTIME: i32 = 4;
/// Exit status when the source file cannot be read.
pub const EXIT_UNREADABLE: i32 = 5;
/// Largest source file accepted (§10).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// How to run a program.
#[derive(Clone, Debug)]
pub struct Options {
    /// Arguments visible through `args()`.
    pub args: Vec<String>,
    /// Maximum nested Ruff calls before the depth error.
    pub max_depth: usize,
    /// When the tier (if one is given to [`Program::run_tiered`]) compiles.
    pub jit: JitMode,
    /// Native stack native code may use on the running thread, in bytes.
    pub native_stack: usize,
    /// Count executed instructions per function (`--jit-stats`).
    pub count: bool,
}

/// Native stack assumed for native code when the embedder does not say: the
/// smallest stack of a Rust test thread, minus room for the VM.
pub const DEFAULT_NATIVE_STACK: usize = 1 << 20;

impl Default for Options {
    fn default() -> Self {
        Options {
            args: Vec::new(),
            max_depth: DEFAULT_MAX_DEPTH,
            jit: JitMode::Auto,
            native_stack: DEFAULT_NATIVE_STACK,
            count: false,
        }
    }
}

/// A compiled program, ready to run (any number of times).
#[derive(Debug)]
pub struct Program {
    source: Rc<Source>,
    main: Rc<Proto>,
    globals: GlobalNames,
}

/// Why a program could not be compiled.
#[derive(Debug)]
pub struct CompileFailure {
    /// The file, for rendering.
    pub source: Rc<Source>,
    /// Every diagnostic, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CompileFailure {
    /// The rendered diagnostics, one after another.
    pub fn render(&self) -> String {
        self.diagnostics.iter().map(|d| d.render(&self.source)).collect()
    }

    /// 3 for lexer/parser errors, 4 for compile errors.
    pub fn exit_code(&self) -> i32 {
        if self.diagnostics.iter().any(|d| d.stage != Stage::Compiler) {
            EXIT_SYNTAX
        } else {
            EXIT_RUNTIME
        }
    }
}

impl Program {
    /// Lexes, parses and compiles a source file.
    pub fn compile(name: &str, text: &str) -> Result<Program, CompileFailure> {
        let source = Rc::new(Source::new(name, text));
        let fail = |diagnostics| CompileFailure { source: source.clone(), diagnostics };
        if text.len() > MAX_SOURCE_BYTES {
            let d = Diagnostic::parser(
                "RUFPARSE001",
                format!("Source file is {} bytes; the limit is {MAX_SOURCE_BYTES}", text.len()),
                Default::default(),
            );
            return Err(fail(vec![d]));
        }
        let ast = syntax::parse(text).map_err(fail)?;
        let mut globals = GlobalNames::default();
        let main = compile::compile(&ast, source.clone(), &mut globals).map_err(fail)?.main;
        Ok(Program { source, main, globals })
    }

    /// The source file.
    pub fn source(&self) -> &Rc<Source> {
        &self.source
    }

    /// The top-level code.
    pub fn main(&self) -> &Rc<Proto> {
        &self.main
    }

    /// The bytecode listing with source lines.
    pub fn disassemble(&self) -> String {
        disasm::disassemble(&self.main)
    }

    /// Runs the program, writing its output to `out` (and `eprint` to stderr).
    pub fn run(&self, out: Box<dyn Write>, options: &Options) -> RunOutcome {
        self.run_with_stderr(out, None, options)
    }

    /// Runs the program with `eprint` output sent to `err` instead of stderr.
    pub fn run_with_stderr(&self, out: Box<dyn Write>, err: Option<Box<dyn Write>>, options: &Options) -> RunOutcome {
        self.run_tiered(out, err, options, None)
    }

    /// Runs the program keeping stdout and stderr in memory.
    pub fn run_captured(&self, options: &Options, tier: Option<Box<dyn Tier>>) -> Captured {
        let out = Buffer::default();
        let err = Buffer::default();
        let outcome = self.run_tiered(Box::new(out.clone()), Some(Box::new(err.clone())), options, tier);
        let mut stderr = err.text();
        if let Some(e) = &outcome.error {
            stderr.push_str(&e.render());
        }
        Captured { stdout: out.text(), stderr, outcome }
    }

    /// Runs the program with a compiling tier (unless `options.jit` is off).
    pub fn run_tiered(
        &self,
        out: Box<dyn Write>,
        err: Option<Box<dyn Write>>,
        options: &Options,
        tier: Option<Box<dyn Tier>>,
    ) -> RunOutcome {
        self.main.reset_tier_state();
        let mut vm = Vm::new(out, options.args.clone(), VmOptions { max_depth: options.max_depth });
        if let Some(err) = err {
            vm.set_err_sink(err);
        }
        vm.set_counting(options.count);
        if let Some(tier) = tier {
            vm.set_tier(tier, options.jit, options.native_stack);
        }
        vm.load_program(self.globals.clone(), self.source.name());
        let r = vm.run_main(self.main.clone());
        let mut protos = vec![self.main.clone()];
        protos.extend(vm.module_protos());
        let (exit_code, error) = match r {
            Ok(()) => (0, None),
            Err(e) => match e.kind {
                ErrorKind::Exit(code) => (code, None),
                ErrorKind::Error => (EXIT_RUNTIME, Some(e)),
            },
        };
        RunOutcome { exit_code, error, protos }
    }
}

/// A run whose output was kept in memory (tests, embedders).
#[derive(Debug)]
pub struct Captured {
    /// Everything the program printed.
    pub stdout: String,
    /// Its `eprint` output followed by the rendered uncaught error, if any.
    pub stderr: String,
    /// How it ended.
    pub outcome: RunOutcome,
}

/// A `Write` into a shared buffer, so the output can be read after the VM is gone.
#[derive(Clone, Default)]
struct Buffer(Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// The process exit status the language defines.
    pub exit_code: i32,
    /// The uncaught error, if any (render it with [`RuntimeError::render`]).
    pub error: Option<RuntimeError>,
    /// Top-level code of the program and of every module it imported (walk
    /// `Proto::protos` for every function; each carries its `jit` statistics).
    pub protos: Vec<Rc<Proto>>,
}
