//! `ruff disasm FILE`: the bytecode listing interleaved with source lines.

use ruff_core::api::Program;

/// Runs the command; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let path = match super::single_file(args, "disasm") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let text = match super::read_source(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    match Program::compile(path, &text) {
        Ok(p) => {
            print!("{}", p.disassemble());
            0
        }
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}
