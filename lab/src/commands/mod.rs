//! The commands behind the CLI: `list`, `run`/`compare` (both in `measure`) and
//! `report`. Each returns the process exit code; errors that stop a command are
//! `CommandError`, which `main` prints and turns into exit code 3.

pub mod list;
pub mod measure;
pub mod report;

use crate::baseline::{self, BaselineError};
use crate::cli::{Cli, Command};
use crate::record::{Report, Status};
use crate::report::ReportError;
use crate::suite::SuiteError;
use crate::workspace::{Workspace, WorkspaceError};
use std::path::PathBuf;

/// Everything went right.
pub const EXIT_OK: u8 = 0;
/// A Ruff measurement regressed against the baseline.
pub const EXIT_REGRESSION: u8 = 1;
/// A run failed or printed a wrong result.
pub const EXIT_WRONG: u8 = 2;
/// Infrastructure: a toolchain is missing, a build failed, or the input is unusable.
pub const EXIT_INFRA: u8 = 3;

/// Failures that stop a command before it can report.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The workspace could not be found.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// Suite files are missing or invalid.
    #[error(transparent)]
    Suite(#[from] SuiteError),
    /// The baseline could not be used.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// Rendering failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Reading or writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The options make no sense together.
    #[error("{0}")]
    Usage(String),
    /// A tool the command needs is not installed.
    #[error("{0}")]
    Toolchain(String),
}

/// Runs the parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<u8, CommandError> {
    let mut ws = Workspace::locate(cli.root.as_deref())?;
    if let Some(b) = cli.benchmarks {
        ws.benchmarks = b;
    }
    match cli.command {
        Command::List(args) => list::execute(&ws, &args),
        Command::Run(args) => measure::run(&ws, &args),
        Command::Compare(args) => measure::compare(&ws, &args),
        Command::Report(args) => report::execute(&ws, &args),
    }
}

/// The exit code a finished report deserves: infrastructure problems first, then
/// wrong results, then regressions.
pub fn exit_code(report: &Report) -> u8 {
    let statuses: Vec<Status> = report.measurements.iter().map(|m| m.status).collect();
    if statuses.iter().any(|s| matches!(s, Status::Missing | Status::BuildFailed)) {
        EXIT_INFRA
    } else if statuses.contains(&Status::Failed) {
        EXIT_WRONG
    } else if report.baseline.as_ref().is_some_and(baseline::has_regression) {
        EXIT_REGRESSION
    } else {
        EXIT_OK
    }
}
