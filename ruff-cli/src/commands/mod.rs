//! One module per `ruff` subcommand, plus reading source files.

pub mod builtins;
pub mod check;
pub mod disasm;
pub mod jit_stats;
pub mod run;

use ruff_core::api::EXIT_UNREADABLE;

/// Reads a source file, or prints why not and returns the exit status 5.
pub fn read_source(path: &str) -> Result<String, i32> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(text),
            Err(e) => {
                eprintln!("error: cannot read '{path}': not valid UTF-8 (byte {})", e.utf8_error().valid_up_to());
                Err(EXIT_UNREADABLE)
            }
        },
        Err(e) => {
            eprintln!("error: cannot read '{path}': {e}");
            Err(EXIT_UNREADABLE)
        }
    }
}

/// Takes exactly one FILE argument; `Err` holds the exit status instead (0
/// after printing the help text for `--help` or `-h`).
pub fn single_file<'a>(args: &'a [String], command: &str) -> Result<&'a str, i32> {
    match args {
        [h] if h == "--help" || h == "-h" => {
            print!("{}", crate::USAGE);
            Err(0)
        }
        [file] => Ok(file),
        [] => Err(crate::usage_error(&format!("'ruff {command}' needs a FILE"))),
        _ => Err(crate::usage_error(&format!("'ruff {command}' takes exactly one FILE"))),
    }
}
