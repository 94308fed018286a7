//! `ruff run [OPTIONS] FILE [ARGS...]`: compile and run a program. The VM runs on a
//! thread with a large stack so deep recursion through callbacks and deeply nested
//! values end in the language's depth error, never a native stack overflow.

use std::io::{BufWriter, Write};

use ruff_core::api::{Options, Program};
use ruff_core::runtime::tier::{JitMode, Tier};

use super::jit_stats::{self, StatsFormat};

/// Native stack for the thread that runs the program.
const RUN_STACK_BYTES: usize = 1 << 30;

/// Of that stack, what the VM leaves to compiled code (the rest is headroom for
/// the VM's own re-entries).
const NATIVE_STACK_BYTES: usize = RUN_STACK_BYTES - (64 << 20);

fn parse_jit(v: &str) -> Option<JitMode> {
    match v {
        "off" => Some(JitMode::Off),
        "auto" => Some(JitMode::Auto),
        "eager" => Some(JitMode::Eager),
        _ => None,
    }
}

struct RunArgs {
    file: String,
    options: Options,
    stats: Option<StatsFormat>,
    perf_map: bool,
    /// `RUFF_JIT_STRESS`: bail out every N native basic blocks (0: off).
    stress: u64,
}

/// The command line of `ruff run` (what follows `run`); `None` when it asks
/// for the help text (`--help` or `-h` before the FILE; after it, they are
/// the program's arguments).
fn parse(args: &[String]) -> Result<Option<RunArgs>, String> {
    let mut options = Options::default();
    let mut jit = match std::env::var("RUFF_JIT") {
        Ok(v) => parse_jit(&v).ok_or_else(|| format!("RUFF_JIT must be off, auto or eager, not '{v}'"))?,
        Err(_) => JitMode::Auto,
    };
    let stress = match std::env::var("RUFF_JIT_STRESS") {
        Ok(v) => v.parse::<u64>().map_err(|_| format!("RUFF_JIT_STRESS must be a number of blocks, not '{v}'"))?,
        Err(_) => 0,
    };
    let mut stats = None;
    let mut perf_map = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if let Some(v) = a.strip_prefix("--jit=") {
            jit = parse_jit(v).ok_or_else(|| format!("--jit must be off, auto or eager, not '{v}'"))?;
        } else if a == "--jit-stats" {
            stats = Some(StatsFormat::Table);
        } else if let Some(v) = a.strip_prefix("--jit-stats=") {
            stats = Some(match v {
                "table" => StatsFormat::Table,
                "json" => StatsFormat::Json,
                _ => return Err(format!("--jit-stats must be table or json, not '{v}'")),
            });
        } else if a == "--perf-map" {
            perf_map = true;
        } else if a == "--help" || a == "-h" {
            return Ok(None);
        } else if a == "--max-depth" || a.starts_with("--max-depth=") {
            let v = match a.strip_prefix("--max-depth=") {
                Some(v) => v.to_string(),
                None => {
                    i += 1;
                    args.get(i).cloned().ok_or("--max-depth needs a number")?
                }
            };
            options.max_depth = v
                .parse::<usize>()
                .ok()
                .filter(|&n| (1..=10_000_000).contains(&n))
                .ok_or_else(|| format!("--max-depth must be a number from 1 to 10000000, not '{v}'"))?;
        } else if a.starts_with("--") && a != "--" {
            return Err(format!("unknown option '{a}'"));
        } else {
            break;
        }
        i += 1;
    }
    let file = args.get(i).ok_or("'ruff run' needs a FILE")?.clone();
    let rest = &args[i + 1..];
    let rest = if rest.first().map(String::as_str) == Some("--") { &rest[1..] } else { rest };
    options.args = rest.to_vec();
    options.jit = jit;
    options.native_stack = NATIVE_STACK_BYTES;
    options.count = stats.is_some();
    Ok(Some(RunArgs { file, options, stats, perf_map, stress }))
}

/// Runs the command; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let run = match parse(args) {
        Ok(Some(r)) => r,
        Ok(None) => {
            print!("{}", crate::USAGE);
            return 0;
        }
        Err(msg) => return crate::usage_error(&msg),
    };
    let text = match super::read_source(&run.file) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let worker = std::thread::Builder::new().stack_size(RUN_STACK_BYTES).spawn(move || execute(&run, &text));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => {
            eprintln!("error: internal error (a bug in ruff): the interpreter panicked");
            101
        }
        Err(e) => {
            eprintln!("error: cannot start the interpreter thread: {e}");
            1
        }
    }
}

fn execute(run: &RunArgs, text: &str) -> i32 {
    let program = match Program::compile(&run.file, text) {
        Ok(p) => p,
        Err(f) => {
            eprint!("{}", f.render());
            return f.exit_code();
        }
    };
    let tier: Option<Box<dyn Tier>> = if run.options.jit == JitMode::Off {
        None
    } else {
        let opts = ruff_jit::JitOptions {
            counting: run.stats.is_some(),
            perf_map: run.perf_map,
            verify: std::env::var_os("RUFF_JIT_VERIFY").is_some(),
            stress: run.stress,
            dump: std::env::var_os("RUFF_JIT_DUMP").is_some(),
            dump_into: None,
        };
        Some(Box::new(ruff_jit::Jit::new(opts)))
    };
    let out = Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout()));
    let outcome = program.run_tiered(out, None, &run.options, tier);
    let _ = std::io::stdout().flush();
    if let Some(e) = &outcome.error {
        eprint!("{}", e.render());
    }
    if let Some(format) = run.stats {
        eprint!("{}", jit_stats::render(&outcome.protos, format, run.options.jit));
    }
    outcome.exit_code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn help_before_the_file_is_the_help_text_and_after_it_the_programs_argument() {
        assert!(matches!(parse(&args(&["--help"])), Ok(None)));
        assert!(matches!(parse(&args(&["--jit=off", "-h"])), Ok(None)));
        let run = parse(&args(&["prog.ruff", "--help"])).expect("parses").expect("a run");
        assert_eq!(run.file, "prog.ruff");
        assert_eq!(run.options.args, vec!["--help".to_string()]);
        assert_eq!(parse(&args(&["--nope"])).err().as_deref(), Some("unknown option '--nope'"));
    }
}
