//! The CSV exporter: one row per measurement with the raw summary numbers (no unit
//! formatting) and one ratio column per reference language, for spreadsheets and scripts.

use crate::record::Report;
use std::fmt::Write;

/// The report as CSV with a header row.
pub fn render(report: &Report) -> String {
    let refs = &report.options.refs;
    let mut out = String::new();
    let mut header: Vec<String> = [
        "suite",
        "benchmark",
        "language",
        "size",
        "status",
        "reason",
        "result",
        "metric",
        "n",
        "median",
        "mean",
        "stddev",
        "min",
        "max",
        "mad",
        "ci_low",
        "ci_high",
        "outliers",
        "kernel_ms_median",
        "cpu_ms_median",
        "peak_rss_kb_median",
        "warnings",
    ]
    .map(String::from)
    .to_vec();
    for r in refs {
        header.push(format!("ratio_vs_{r}"));
        header.push(format!("ratio_vs_{r}_ci_low"));
        header.push(format!("ratio_vs_{r}_ci_high"));
    }
    line(&mut out, &header);
    for m in &report.measurements {
        let num = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        let s = m.summary.as_ref();
        let mut cells = vec![
            m.suite.clone(),
            m.bench.clone(),
            m.lang.to_string(),
            m.size.to_string(),
            format!("{:?}", m.status).to_lowercase(),
            m.reason.clone().unwrap_or_default(),
            m.result.clone().unwrap_or_default(),
            report.options.metric.name().to_string(),
            s.map(|s| s.n.to_string()).unwrap_or_default(),
            num(s.map(|s| s.median)),
            num(s.map(|s| s.mean)),
            num(s.map(|s| s.stddev)),
            num(s.map(|s| s.min)),
            num(s.map(|s| s.max)),
            num(s.map(|s| s.mad)),
            num(s.map(|s| s.ci_low)),
            num(s.map(|s| s.ci_high)),
            s.map(|s| s.outliers.len().to_string()).unwrap_or_default(),
            num(m.kernel.as_ref().map(|k| k.median)),
            num(m.cpu.as_ref().map(|k| k.median)),
            num(m.rss_kb.as_ref().map(|k| k.median)),
            m.warnings.iter().map(|w| w.tag()).collect::<Vec<_>>().join(";"),
        ];
        for &r in refs {
            let c = report.comparison(&m.bench, m.size, m.lang, r);
            cells.push(num(c.map(|c| c.ratio)));
            cells.push(num(c.map(|c| c.ci_low)));
            cells.push(num(c.map(|c| c.ci_high)));
        }
        line(&mut out, &cells);
    }
    out
}

fn line(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| quote(c)).collect();
    let _ = writeln!(out, "{}", cells.join(","));
}

/// RFC 4180 quoting: fields with commas, quotes or newlines are wrapped in quotes.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
