//! The command line (clap derive): commands, options and their help texts. Parsing
//! only; what each command does is in `commands`.

use crate::record::Metric;
use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Benchmark lab for Ruff: times the `ruff` binary against Python, Go and others.
///
/// Exit codes: 0 all good, 1 regression against the baseline, 2 a wrong result or
/// failed run, 3 infrastructure error (toolchain missing, build failure, bad input).
#[derive(Debug, Parser)]
#[command(name = "ruff-lab", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Repository root (default: found by walking up to the workspace Cargo.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Benchmarks folder (default: <root>/benchmarks).
    #[arg(long, global = true, value_name = "DIR")]
    pub benchmarks: Option<PathBuf>,
}

/// The lab's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List suites, benchmarks, sizes, and which languages are available here.
    List(ListArgs),
    /// Measure Ruff alone: the default (JIT) tier and --jit=off.
    Run(RunArgs),
    /// Measure Ruff against other languages, e.g. `compare fib --vs python,go`.
    Compare(CompareArgs),
    /// Build dashboards/index.html from results/*.json.
    Report(ReportArgs),
}

/// Options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The ruff binary (default: <root>/target/release/ruff).
    #[arg(long, value_name = "PATH")]
    pub ruff: Option<PathBuf>,
}

/// Which sizes to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SizeSet {
    /// Every size listed in suite.toml.
    All,
    /// The canonical size (the default).
    Canonical,
    /// The small size used by --quick.
    Quick,
}

/// Which Ruff tiers to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JitChoice {
    /// The default tier (JIT), reported as `ruff`.
    On,
    /// `--jit=off`, reported as `ruff-nojit`.
    Off,
    /// Both.
    Both,
}

/// Options shared by `run` and `compare`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Suites or benchmarks to measure (default: all).
    #[arg(value_name = "SUITE|BENCH")]
    pub targets: Vec<String>,
    /// Run every benchmark at this size (size-less benchmarks ignore it).
    #[arg(long, value_name = "N", conflicts_with = "sizes")]
    pub size: Option<u64>,
    /// Which listed sizes to run.
    #[arg(long, value_enum, value_name = "SET")]
    pub sizes: Option<SizeSet>,
    /// Measured rounds per benchmark and size [default: 10, or 3 with --quick].
    #[arg(long, value_name = "N")]
    pub runs: Option<usize>,
    /// Warm-up runs per language before measuring [default: 1].
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,
    /// Keep adding rounds until this many seconds were spent per benchmark and size.
    #[arg(long, value_name = "S", default_value_t = 0.0)]
    pub min_time: f64,
    /// Few runs at small sizes (for CI): 3 runs, the quick size of every benchmark.
    #[arg(long)]
    pub quick: bool,
    /// Kill a run after this many seconds (it then counts as failed).
    #[arg(long, value_name = "S", default_value_t = 120.0)]
    pub timeout: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Save the run record to results/<UTC time>-<git sha>.json.
    #[arg(long)]
    pub save: bool,
    /// Compare with a saved record (a file, or `latest` in results/); exit 1 on a Ruff regression.
    #[arg(long, value_name = "FILE|latest")]
    pub baseline: Option<String>,
    /// Regression threshold in percent.
    #[arg(long, value_name = "PCT", default_value_t = 5.0)]
    pub threshold: f64,
    /// What to measure: wall time, or instructions under valgrind --tool=callgrind.
    #[arg(long, value_enum, default_value = "wall")]
    pub metric: Metric,
    /// The ruff binary (default: <root>/target/release/ruff).
    #[arg(long, value_name = "PATH")]
    pub ruff: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub measure: MeasureArgs,
    /// Ruff tiers to measure.
    #[arg(long, value_enum, default_value = "both")]
    pub jit: JitChoice,
}

/// Options of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub measure: MeasureArgs,
    /// Languages to compare with: python, go, pypy, node, luajit, c (comma-separated).
    #[arg(long, value_delimiter = ',', required = true, value_name = "LANGS")]
    pub vs: Vec<String>,
    /// Ruff tiers to measure.
    #[arg(long, value_enum, default_value = "on")]
    pub jit: JitChoice,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Folder of saved run records (default: <root>/results).
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// The page to write (default: <root>/dashboards/index.html).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
