//! Judgements on numbers: whether a ratio means faster, slower or indistinguishable;
//! whether a measurement can be trusted (warnings); and whether a change against a
//! baseline is a regression. The numbers themselves come from `stats` and `analysis`.

use crate::stats::Summary;
use serde::{Deserialize, Serialize};

/// A warning is raised when σ exceeds this fraction of the mean.
pub const MAX_CV: f64 = 0.10;
/// A sample below this many milliseconds is too short to time reliably.
pub const MIN_SAMPLE_MS: f64 = 1.0;
/// The first measured run is "far slower" above this multiple of the median.
pub const SLOW_FIRST_FACTOR: f64 = 1.5;
/// Ratios whose whole interval lies within this distance of 1 count as the same speed:
/// a 0.3% difference (for example in deterministic instruction counts) is not news.
pub const EQUIVALENCE: f64 = 0.01;
/// The load average is "high" above this fraction of the core count.
pub const HIGH_LOAD_PER_CORE: f64 = 0.5;

/// What a ratio `lang / vs` says, judged by its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is below 0.99.
    Faster,
    /// The whole interval is above 1.01.
    Slower,
    /// The interval reaches into 0.99–1.01: no measurable difference.
    Same,
}

impl Verdict {
    /// Judges a ratio from its confidence interval: faster or slower only when the whole
    /// interval is beyond the 1% equivalence margin.
    pub fn of_interval(ci_low: f64, ci_high: f64) -> Verdict {
        if ci_high < 1.0 - EQUIVALENCE {
            Verdict::Faster
        } else if ci_low > 1.0 + EQUIVALENCE {
            Verdict::Slower
        } else {
            Verdict::Same
        }
    }

    /// `faster`, `slower` or `same`.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Same => "same",
        }
    }
}

/// Why a measurement (or a whole run) may not be trustworthy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// σ is more than 10% of the mean.
    HighVariance { cv: f64 },
    /// At least one sample is under 1 ms: timer and scheduling noise dominate.
    SubMillisecond { min_ms: f64 },
    /// The first measured run was far slower than the median (cold caches, warm-up too short).
    SlowFirstRun { first: f64, median: f64 },
    /// Values flagged by the modified z-score.
    Outliers { count: usize },
    /// The machine was busy when the run started.
    HighLoad { load: f64, cores: usize },
}

impl Warning {
    /// A one-line explanation for tables and reports.
    pub fn message(&self) -> String {
        match self {
            Warning::HighVariance { cv } => {
                format!("noisy: σ is {:.0}% of the mean (over {:.0}%)", cv * 100.0, MAX_CV * 100.0)
            }
            Warning::SubMillisecond { min_ms } => {
                format!("a sample took {min_ms:.3} ms (under 1 ms): too short to time reliably")
            }
            Warning::SlowFirstRun { first, median } => format!(
                "first run {:.1}× slower than the median ({first:.2} vs {median:.2}): add warm-up runs",
                first / median
            ),
            Warning::Outliers { count } => format!("{count} outlier(s) by modified z-score > 3.5"),
            Warning::HighLoad { load, cores } => {
                format!("load average {load:.2} on {cores} cores at start: other work may distort timings")
            }
        }
    }

    /// A short tag for table cells.
    pub fn tag(&self) -> &'static str {
        match self {
            Warning::HighVariance { .. } => "noisy",
            Warning::SubMillisecond { .. } => "<1ms",
            Warning::SlowFirstRun { .. } => "slow 1st",
            Warning::Outliers { .. } => "outliers",
            Warning::HighLoad { .. } => "load",
        }
    }
}

/// Trust warnings for one measurement. `values` are the main-metric samples in round
/// order; `timed` is false for the instructions metric, where noise checks do not apply.
pub fn assess(values: &[f64], summary: &Summary, timed: bool) -> Vec<Warning> {
    let mut out = Vec::new();
    if !timed {
        return out;
    }
    if summary.n > 1 && summary.cv() > MAX_CV {
        out.push(Warning::HighVariance { cv: summary.cv() });
    }
    if summary.min < MIN_SAMPLE_MS {
        out.push(Warning::SubMillisecond { min_ms: summary.min });
    }
    if let Some(&first) = values.first() {
        if summary.n >= 3 && first > SLOW_FIRST_FACTOR * summary.median {
            out.push(Warning::SlowFirstRun { first, median: summary.median });
        }
    }
    if !summary.outliers.is_empty() {
        out.push(Warning::Outliers { count: summary.outliers.len() });
    }
    out
}

/// The high-load warning, if the 1-minute load average is high for `cores`.
pub fn load_warning(load1: f64, cores: usize) -> Option<Warning> {
    (load1 > HIGH_LOAD_PER_CORE * cores.max(1) as f64).then_some(Warning::HighLoad { load: load1, cores })
}

/// A change against a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Slower beyond the threshold, and the current interval lies above the baseline median.
    Regressed,
    /// Faster beyond the threshold, and the current interval lies below the baseline median.
    Improved,
    /// Within the threshold or within the noise.
    Unchanged,
}

/// Judges `current` against `baseline` (both summaries of the same metric).
/// `threshold` is a fraction (0.05 = 5%).
pub fn judge_change(current: &Summary, baseline: &Summary, threshold: f64) -> Change {
    if baseline.median <= 0.0 {
        return Change::Unchanged;
    }
    let change = current.median / baseline.median;
    if change > 1.0 + threshold && current.ci_low > baseline.median {
        Change::Regressed
    } else if change < 1.0 - threshold && current.ci_high < baseline.median {
        Change::Improved
    } else {
        Change::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_uses_the_whole_interval() {
        assert_eq!(Verdict::of_interval(0.5, 0.9), Verdict::Faster);
        assert_eq!(Verdict::of_interval(1.1, 1.3), Verdict::Slower);
        assert_eq!(Verdict::of_interval(0.9, 1.1), Verdict::Same);
        assert_eq!(Verdict::of_interval(0.997, 0.998), Verdict::Same);
    }

    #[test]
    fn warnings_for_noisy_short_and_cold() {
        let values = [0.5, 0.2, 0.21, 0.19, 0.2];
        let s = Summary::of(&values).unwrap();
        let w = assess(&values, &s, true);
        let tags: Vec<&str> = w.iter().map(Warning::tag).collect();
        assert_eq!(tags, vec!["noisy", "<1ms", "slow 1st", "outliers"]);
        assert!(assess(&values, &s, false).is_empty());
    }

    #[test]
    fn steady_samples_raise_nothing() {
        let values = [100.0, 101.0, 99.0, 100.5, 100.2];
        let s = Summary::of(&values).unwrap();
        assert!(assess(&values, &s, true).is_empty());
    }

    #[test]
    fn load_threshold() {
        assert!(load_warning(1.5, 2).is_some());
        assert!(load_warning(0.5, 2).is_none());
    }

    #[test]
    fn regressions_need_size_and_confidence() {
        let base = Summary::of(&[100.0, 101.0, 99.0, 100.0, 100.0]).unwrap();
        let slow = Summary::of(&[120.0, 121.0, 119.0, 120.0, 120.0]).unwrap();
        let fast = Summary::of(&[80.0, 81.0, 79.0, 80.0, 80.0]).unwrap();
        let same = Summary::of(&[102.0, 103.0, 101.0, 102.0, 102.0]).unwrap();
        assert_eq!(judge_change(&slow, &base, 0.05), Change::Regressed);
        assert_eq!(judge_change(&fast, &base, 0.05), Change::Improved);
        assert_eq!(judge_change(&same, &base, 0.05), Change::Unchanged);
    }
}
