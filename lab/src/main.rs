//! The `ruff-lab` binary: parses the command line, dispatches to `ruff_lab::commands`,
//! and turns the outcome into an exit code (0 ok, 1 regression, 2 wrong result or
//! failed run, 3 infrastructure error). All the work lives in the library.

use anyhow::Context;
use clap::Parser;
use ruff_lab::cli::Cli;
use ruff_lab::commands::{self, EXIT_INFRA};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage_error = e.use_stderr();
            let _ = e.print();
            // Help and version are successes; a usage error is not a wrong result (2).
            return ExitCode::from(if usage_error { EXIT_INFRA } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_INFRA)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    commands::dispatch(cli).context("ruff-lab could not finish")
}
