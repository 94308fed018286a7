//! The Ruff benchmark lab as a library: suites, languages, the process runner,
//! statistics, verdicts, baselines and exporters. The `ruff-lab` binary (`main.rs`)
//! is a thin shell over `commands`; the tests drive the same modules with a mock runner.
//!
//! The lab never links the language: Ruff is timed as the `ruff` process, exactly like
//! `python3` and the Go build, so every language pays the same process costs.

pub mod analysis;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod compile;
pub mod lang;
pub mod measure;
pub mod meta;
pub mod progress;
pub mod record;
pub mod report;
pub mod runner;
pub mod stats;
pub mod suite;
pub mod verdict;
pub mod workspace;
