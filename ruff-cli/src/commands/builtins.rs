//! `ruff builtins`: every builtin with its arity, grouped by library, straight from
//! the builtin tables.

use ruff_core::runtime::builtins::LIBRARIES;

/// Runs the command; returns the exit status.
pub fn main() -> i32 {
    let mut total = 0;
    for lib in LIBRARIES {
        println!("{} ({} functions)", lib.name, lib.table.len());
        for b in lib.table {
            println!("  {:<24} arity {}", b.name, b.arity.describe());
        }
        total += lib.table.len();
    }
    println!("{total} builtins");
    0
}
