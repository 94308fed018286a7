//! Running one program in one tier, for the tier tests.

use ruff_core::api::{Options, Program};
use ruff_core::runtime::tier::{JitMode, Tier};
use ruff_jit::{Jit, JitOptions};

/// Runs `program` with the JIT in `jit` mode (deopt stress every `stress` blocks
/// when non-zero, the IR verifier on) and returns exit status, stdout and stderr as
/// one text to compare.
pub fn run_in_tier(program: &Program, jit: JitMode, stress: u64, native_stack: usize) -> String {
    let options = Options { jit, native_stack, ..Options::default() };
    let tier: Option<Box<dyn Tier>> = match jit {
        JitMode::Off => None,
        _ => Some(Box::new(Jit::new(JitOptions { verify: true, stress, ..JitOptions::default() }))),
    };
    let run = program.run_captured(&options, tier);
    format!("exit={}\n--- stdout\n{}\n--- stderr\n{}", run.outcome.exit_code, run.stdout, run.stderr)
}
