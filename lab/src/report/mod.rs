//! Exporters: one file per output format, all rendering the same `record::Report`.
//! `table` (terminal), `json` (the saved record), `markdown`, `csv`, and `html` + `svg`
//! for the dashboard built from many saved records. This module holds the format
//! switch and the number formatting every exporter shares.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod svg;
pub mod table;

use crate::record::{Comparison, Metric, Report};
use crate::stats::Summary;
use crate::verdict::Verdict;

/// Output formats of `run` and `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A terminal table (coloured on a TTY).
    Table,
    /// The full run record as JSON (see lab/SCHEMA.md).
    Json,
    /// Markdown tables.
    Md,
    /// One CSV row per measurement.
    Csv,
}

/// Failures while writing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Write { path: std::path::PathBuf, source: std::io::Error },
    /// Serialising failed.
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Renders `report` in `format`; `color` only matters for tables.
pub fn render(report: &Report, format: Format, color: bool) -> Result<String, ReportError> {
    Ok(match format {
        Format::Table => table::render(report, color),
        Format::Json => json::render(report)?,
        Format::Md => markdown::render(report),
        Format::Csv => csv::render(report),
    })
}

/// A duration in adaptive units: `850 µs`, `12.3 ms`, `1.25 s`.
pub fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() {
        "-".into()
    } else if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// A count in adaptive units: `950`, `12.3 k`, `4.56 M`, `7.89 G`.
pub fn fmt_count(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// A value of `metric` with its unit.
pub fn fmt_value(v: f64, metric: Metric) -> String {
    match metric {
        Metric::Wall => fmt_ms(v),
        Metric::Instructions => format!("{} instr", fmt_count(v)),
    }
}

/// Median with the half-width of its 95% interval in percent: `12.3 ms ±1.5%`.
pub fn fmt_summary(s: &Summary, metric: Metric) -> String {
    let half = (s.median - s.ci_low).max(s.ci_high - s.median);
    let pct = if s.median > 0.0 { half / s.median * 100.0 } else { 0.0 };
    format!("{} ±{pct:.1}%", fmt_value(s.median, metric))
}

/// A ratio read the way people say it, with its interval: `1.93× slower (1.75–2.05)`,
/// `33.1× faster (30.2–35.0)` (for a time ratio of 0.03), or `same 0.98× (0.91–1.06)`.
pub fn fmt_ratio(c: &Comparison) -> String {
    match c.verdict {
        Verdict::Slower => format!("{}× slower ({}–{})", sig(c.ratio), sig(c.ci_low), sig(c.ci_high)),
        Verdict::Faster => format!("{}× faster ({}–{})", sig(1.0 / c.ratio), sig(1.0 / c.ci_high), sig(1.0 / c.ci_low)),
        Verdict::Same => format!("same {}× ({}–{})", sig(c.ratio), sig(c.ci_low), sig(c.ci_high)),
    }
}

/// A geometric-mean ratio without interval: `1.93× slower`, `33.1× faster`.
pub fn fmt_factor(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("{}× slower", sig(ratio))
    } else {
        format!("{}× faster", sig(1.0 / ratio))
    }
}

/// About three significant digits: `0.123`, `1.23`, `12.3`, `123`.
pub fn sig(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        "-".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Peak RSS in KiB as `12.3 MiB`.
pub fn fmt_kib(kib: f64) -> String {
    if kib >= 1024.0 * 1024.0 {
        format!("{:.2} GiB", kib / 1024.0 / 1024.0)
    } else {
        format!("{:.1} MiB", kib / 1024.0)
    }
}

/// The metric of a report's options.
pub fn metric_of(report: &Report) -> Metric {
    report.options.metric
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_units() {
        assert_eq!(fmt_ms(0.25), "250 µs");
        assert_eq!(fmt_ms(3.456), "3.46 ms");
        assert_eq!(fmt_ms(123.45), "123.5 ms");
        assert_eq!(fmt_ms(1234.0), "1.23 s");
        assert_eq!(fmt_count(1_234_567.0), "1.23 M");
        assert_eq!(fmt_kib(10240.0), "10.0 MiB");
        assert_eq!(fmt_factor(0.5), "2.00× faster");
        assert_eq!(fmt_factor(12.34), "12.3× slower");
    }
}
