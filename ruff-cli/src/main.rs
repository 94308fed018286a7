//! The `ruff` command: argument parsing and dispatch to `commands/<name>.rs`.
//! Exit statuses follow LANGUAGE.md §1: 2 usage error, 3 lexer/parser error,
//! 4 runtime or compile error, 5 unreadable source file.

#[cfg(target_os = "linux")]
mod alloc;
mod commands;

/// Ruff programs allocate many small objects (strings, dicts, closures); mimalloc is
/// markedly faster than glibc's allocator for that pattern (measured on the
/// object_creation and hash_map benchmarks). Large blocks get mappings of their
/// own (`alloc`).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: alloc::RuffAlloc = alloc::RuffAlloc;
#[cfg(not(target_os = "linux"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

const USAGE: &str = "\
Ruff: a fast implementation of the Ruff scripting language

Usage:
  ruff run [OPTIONS] FILE [--] [ARGS...]   run a program (ARGS are visible through args())
  ruff check FILE                          lex, parse and compile; report every diagnostic
  ruff disasm FILE                         print the bytecode interleaved with source lines
  ruff builtins                            list every builtin function by library
  ruff help                                this text
  ruff --version                           the version

Options for run:
  --jit=off|auto|eager   execution tier (also RUFF_JIT): off interprets everything, auto
                         (default) compiles hot functions and loops with Cranelift, eager
                         compiles every function at its first call and every loop at
                         its first back-edge
  --jit-stats[=json]     after the run, print per-function tier, calls, compile time,
                         bail-outs, rejections and instructions run in the VM and natively,
                         plus the JIT coverage, to stderr (as a table, or as JSON)
  --perf-map             write /tmp/perf-PID.map naming every compiled function for perf
  --max-depth N          maximum nested calls before the depth error (default 100000)

Exit status: 0 success, 2 usage error, 3 lexer/parser error, 4 runtime or compile
error, 5 unreadable source file, N for exit(N).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("run") => commands::run::main(&args[1..]),
        Some("check") => commands::check::main(&args[1..]),
        Some("disasm") => commands::disasm::main(&args[1..]),
        Some("builtins") => commands::builtins::main(),
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            0
        }
        Some("--version" | "-V" | "version") => {
            println!("ruff {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some(other) => usage_error(&format!("unknown command '{other}'")),
        None => usage_error("no command given"),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// Prints a usage error and returns status 2.
pub fn usage_error(msg: &str) -> i32 {
    eprintln!("error: {msg}\n\n{USAGE}");
    2
}
