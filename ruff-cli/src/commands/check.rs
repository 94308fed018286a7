//! `ruff check FILE`: lex, parse and compile, report every diagnostic, run nothing.

use ruff_core::api::Program;

/// Runs the command; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let path = match super::single_file(args, "check") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let text = match super::read_source(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    match Program::compile(path, &text) {
        Ok(_) => {
            println!("{path}: ok");
            0
        }
        Err(f) => {
            eprint!("{}", f.render());
            eprintln!("{path}: {} error(s)", f.diagnostics.len());
            f.exit_code()
        }
    }
}
