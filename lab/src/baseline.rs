//! Regression detection: finds a baseline run record (a file, or `latest` in
//! `results/`), matches its measurements with the current ones by (benchmark, language,
//! size, metric), and judges each change with `verdict::judge_change`.
//!
//! Only the Ruff variants can regress: a change in Python or Go timings says the machine
//! drifted, which is reported but does not fail the run.

use crate::record::{BaselineResult, Regression, Report, SCHEMA_VERSION};
use crate::verdict::{self, Change};
use std::path::{Path, PathBuf};

/// Failures while finding or reading a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// `latest` was asked for but `results/` has no record.
    #[error("no saved results in {0}: run with --save first")]
    NoResults(PathBuf),
    /// The file could not be read.
    #[error("cannot read baseline {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The file is not a run record.
    #[error("baseline {path} is not a ruff-lab result: {message}")]
    Parse { path: PathBuf, message: String },
    /// The file was written with another schema version.
    #[error("baseline {path} has schema version {found}, this ruff-lab reads {SCHEMA_VERSION}")]
    Version { path: PathBuf, found: u32 },
}

/// Resolves `spec` (`latest` or a path) against `results`.
pub fn resolve(spec: &str, results: &Path) -> Result<PathBuf, BaselineError> {
    if spec != "latest" {
        return Ok(PathBuf::from(spec));
    }
    result_files(results).pop().ok_or_else(|| BaselineError::NoResults(results.to_path_buf()))
}

/// The `*.json` files of `results`, sorted by name (names start with the UTC time).
pub fn result_files(results: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(results)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Reads a run record and checks its schema version.
pub fn load(path: &Path) -> Result<Report, BaselineError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| BaselineError::Read { path: path.to_path_buf(), source })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| BaselineError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    let found = value.get("schema_version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    if found != SCHEMA_VERSION {
        return Err(BaselineError::Version { path: path.to_path_buf(), found });
    }
    serde_json::from_value(value).map_err(|e| BaselineError::Parse { path: path.to_path_buf(), message: e.to_string() })
}

/// Compares every ok measurement of `current` with the matching one in `baseline`.
/// `threshold` is a fraction (0.05 = 5%).
pub fn compare(current: &Report, baseline: &Report, file: &str, threshold: f64) -> BaselineResult {
    let mut entries = Vec::new();
    if current.options.metric == baseline.options.metric {
        for m in current.measurements.iter().filter(|m| m.is_ok()) {
            let Some(b) = baseline
                .measurements
                .iter()
                .find(|b| b.is_ok() && b.bench == m.bench && b.lang == m.lang && b.size == m.size)
            else {
                continue;
            };
            let (Some(cur), Some(base)) = (&m.summary, &b.summary) else {
                continue;
            };
            entries.push(Regression {
                bench: m.bench.clone(),
                lang: m.lang,
                size: m.size,
                baseline: base.median,
                current: cur.median,
                change: if base.median > 0.0 { cur.median / base.median } else { 1.0 },
                verdict: verdict::judge_change(cur, base, threshold),
            });
        }
    }
    BaselineResult { file: file.to_string(), threshold_pct: threshold * 100.0, entries }
}

/// True when a Ruff variant regressed.
pub fn has_regression(result: &BaselineResult) -> bool {
    result.entries.iter().any(|e| e.verdict == Change::Regressed && e.lang.is_ruff())
}
