//! The run record: everything one `ruff-lab run|compare` produced, as plain serde data.
//! It is what `--save` writes to `results/`, what `--baseline` and `report` read back,
//! and what every exporter renders. The JSON form is documented in `lab/SCHEMA.md`;
//! bump `SCHEMA_VERSION` on any incompatible change.
//!
//! Computing these values is done by `measure`, `analysis`, `stats` and `verdict`.

use crate::lang::Lang;
use crate::meta::Meta;
use crate::stats::Summary;
use crate::verdict::{Change, Verdict, Warning};
use serde::{Deserialize, Serialize};

/// Version of the JSON layout; readers reject other major versions.
pub const SCHEMA_VERSION: u32 = 1;

/// What a measurement's main numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Whole-process wall time in milliseconds.
    #[default]
    Wall,
    /// Instructions executed, counted by callgrind.
    Instructions,
}

impl Metric {
    /// `wall` or `instructions`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Wall => "wall",
            Metric::Instructions => "instructions",
        }
    }
}

/// The outcome of one (benchmark, language, size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every run succeeded with the right result; the timings count.
    Ok,
    /// A run crashed, timed out, printed no result or a wrong one; no timing counts.
    Failed,
    /// The toolchain is not installed here.
    Missing,
    /// The benchmark has no program for this language.
    NoProgram,
    /// The program could not be built.
    BuildFailed,
}

impl Status {
    /// Upper-case label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "FAILED",
            Status::Missing => "MISSING",
            Status::NoProgram => "no program",
            Status::BuildFailed => "BUILD FAILED",
        }
    }
}

/// Raw per-run values, in round order (index i of every list is round i).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Whole-process wall time per run, ms.
    pub wall_ms: Vec<f64>,
    /// User + system CPU time per run, ms.
    pub cpu_ms: Vec<f64>,
    /// Peak RSS per run, KiB.
    pub max_rss_kb: Vec<u64>,
    /// The program's own `kernel_ms=` per run (runs that printed none are left out).
    pub kernel_ms: Vec<f64>,
    /// Instructions per run (instructions metric only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<u64>,
}

impl Samples {
    /// The per-run values of `metric`, in round order.
    pub fn values(&self, metric: Metric) -> Vec<f64> {
        match metric {
            Metric::Wall => self.wall_ms.clone(),
            Metric::Instructions => self.instructions.iter().map(|&i| i as f64).collect(),
        }
    }
}

/// One (benchmark, language, size) cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Suite name.
    pub suite: String,
    /// Benchmark name.
    pub bench: String,
    /// Language.
    pub lang: Lang,
    /// Size argument.
    pub size: u64,
    /// Outcome; only `ok` measurements carry summaries.
    pub status: Status,
    /// Why it is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The printed result (when the runs agreed on one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// The expected result from suite.toml, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Warm-up runs done before the measured ones.
    pub warmup_runs: usize,
    /// Raw values of the measured runs.
    pub samples: Samples,
    /// Statistics of the main metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Statistics of `kernel_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<Summary>,
    /// Statistics of CPU time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Summary>,
    /// Statistics of peak RSS (KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_kb: Option<Summary>,
    /// Reasons not to trust these numbers.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl Measurement {
    /// True when the timings count.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }
}

/// A ratio `lang / vs` of one benchmark at one size, from per-round pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Suite name.
    pub suite: String,
    /// Benchmark name.
    pub bench: String,
    /// Size.
    pub size: u64,
    /// The language whose time is the numerator.
    pub lang: Lang,
    /// The reference language (denominator).
    pub vs: Lang,
    /// Median of the per-round ratios; above 1 means `lang` is slower.
    pub ratio: f64,
    /// 95% bootstrap confidence interval of `ratio`, low end.
    pub ci_low: f64,
    /// 95% bootstrap confidence interval of `ratio`, high end.
    pub ci_high: f64,
    /// Number of paired rounds.
    pub pairs: usize,
    /// Faster, slower, or indistinguishable.
    pub verdict: Verdict,
}

/// Geometric mean of the ratios of one suite (or `all`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoMean {
    /// Suite name, or `all`.
    pub suite: String,
    /// Numerator language.
    pub lang: Lang,
    /// Reference language.
    pub vs: Lang,
    /// Geometric mean of the comparisons' ratios.
    pub ratio: f64,
    /// How many (benchmark, size) comparisons went in.
    pub count: usize,
}

/// One measurement compared with the same one in a baseline record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// Benchmark name.
    pub bench: String,
    /// Language.
    pub lang: Lang,
    /// Size.
    pub size: u64,
    /// Baseline median.
    pub baseline: f64,
    /// Current median.
    pub current: f64,
    /// `current / baseline`.
    pub change: f64,
    /// Regressed, improved or unchanged.
    pub verdict: Change,
}

/// The options a run was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// `run` or `compare`.
    pub command: String,
    /// Targets as given (empty: all).
    pub targets: Vec<String>,
    /// Languages measured.
    pub langs: Vec<Lang>,
    /// Reference languages for ratios.
    pub refs: Vec<Lang>,
    /// Size selection as given (`canonical`, `quick`, `all` or a number).
    pub sizes: String,
    /// Measured rounds (at least).
    pub runs: usize,
    /// Warm-up runs per language.
    pub warmup: usize,
    /// Minimum measuring time per (benchmark, size), seconds.
    pub min_time_s: f64,
    /// Per-run timeout, seconds.
    pub timeout_s: f64,
    /// The main metric.
    pub metric: Metric,
    /// Set by `--quick`.
    pub quick: bool,
}

/// Everything one run of the lab produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always `SCHEMA_VERSION` when written.
    pub schema_version: u32,
    /// `ruff-lab <version>`.
    pub tool: String,
    /// Machine and toolchain facts.
    pub meta: Meta,
    /// The options used.
    pub options: RunOptions,
    /// One entry per (benchmark, language, size), in run order.
    pub measurements: Vec<Measurement>,
    /// Ratios per (benchmark, size, language, reference).
    pub comparisons: Vec<Comparison>,
    /// Geometric means per suite and overall.
    pub geomeans: Vec<GeoMean>,
    /// Run-wide warnings (for example a high load average).
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// Comparison with `--baseline`, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineResult>,
}

/// The outcome of comparing with a baseline record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineResult {
    /// Which file was compared with.
    pub file: String,
    /// Threshold in percent.
    pub threshold_pct: f64,
    /// One entry per measurement present and ok in both.
    pub entries: Vec<Regression>,
}

impl Report {
    /// The comparison of (bench, size, lang) against `vs`, if computed.
    pub fn comparison(&self, bench: &str, size: u64, lang: Lang, vs: Lang) -> Option<&Comparison> {
        self.comparisons.iter().find(|c| c.bench == bench && c.size == size && c.lang == lang && c.vs == vs)
    }
}
