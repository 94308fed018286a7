//! The Markdown exporter: the measurement table, warnings, geometric means and the
//! baseline comparison as GitHub-flavoured Markdown (for PR comments and notes).

use super::{fmt_kib, fmt_ms, fmt_ratio, fmt_summary, fmt_value};
use crate::record::{Report, Status};
use std::fmt::Write;

/// The whole report as Markdown.
pub fn render(report: &Report) -> String {
    let metric = report.options.metric;
    let refs = &report.options.refs;
    let mut out = String::new();
    let _ = writeln!(out, "## Ruff Lab results\n\n{}\n", super::table::headline(report));
    let mut header = vec!["benchmark".to_string(), "size".into(), "language".into(), metric.name().into()];
    header.extend(["kernel", "cpu", "peak rss"].map(String::from));
    header.extend(refs.iter().map(|r| format!("vs {r}")));
    header.push("notes".into());
    row(&mut out, &header);
    row(&mut out, &vec!["---".to_string(); header.len()]);
    for m in &report.measurements {
        let mut cells = vec![m.bench.clone(), m.size.to_string(), m.lang.to_string()];
        if m.status == Status::Ok {
            cells.push(m.summary.as_ref().map(|s| fmt_summary(s, metric)).unwrap_or_default());
            cells.push(m.kernel.as_ref().map(|s| fmt_ms(s.median)).unwrap_or_default());
            cells.push(m.cpu.as_ref().map(|s| fmt_ms(s.median)).unwrap_or_default());
            cells.push(m.rss_kb.as_ref().map(|s| fmt_kib(s.median)).unwrap_or_default());
            for &r in refs {
                cells.push(match report.comparison(&m.bench, m.size, m.lang, r) {
                    Some(c) => fmt_ratio(c),
                    None => String::new(),
                });
            }
            let tags: Vec<&str> = m.warnings.iter().map(|w| w.tag()).collect();
            cells.push(if tags.is_empty() { String::new() } else { format!("⚠ {}", tags.join(", ")) });
        } else {
            cells.extend(std::iter::repeat_n(String::new(), 4 + refs.len()));
            cells.push(format!("**{}**", super::table::failure_note(m)));
        }
        row(&mut out, &cells);
    }
    let notes = super::table::notes(report);
    if !notes.is_empty() {
        let _ = writeln!(out, "\n### Warnings\n");
        for n in notes {
            let _ = writeln!(out, "- {}", escape(&n));
        }
    }
    if !report.geomeans.is_empty() {
        let _ = writeln!(out, "\n### Geometric means\n");
        row(&mut out, &["suite", "language", "vs", "ratio", "comparisons"].map(String::from));
        row(&mut out, &vec!["---".to_string(); 5]);
        for g in &report.geomeans {
            row(
                &mut out,
                &[
                    g.suite.clone(),
                    g.lang.to_string(),
                    g.vs.to_string(),
                    super::fmt_factor(g.ratio),
                    g.count.to_string(),
                ],
            );
        }
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(out, "\n### Against baseline `{}`\n", b.file);
        row(&mut out, &["benchmark", "size", "language", "baseline", "now", "change", "verdict"].map(String::from));
        row(&mut out, &vec!["---".to_string(); 7]);
        for e in &b.entries {
            row(
                &mut out,
                &[
                    e.bench.clone(),
                    e.size.to_string(),
                    e.lang.to_string(),
                    fmt_value(e.baseline, metric),
                    fmt_value(e.current, metric),
                    format!("{:+.1}%", (e.change - 1.0) * 100.0),
                    format!("{:?}", e.verdict).to_lowercase(),
                ],
            );
        }
    }
    out
}

fn row(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
