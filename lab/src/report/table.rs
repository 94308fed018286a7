//! The terminal table (comfy-table): one row per (benchmark, size, language) with the
//! median and its interval, kernel time, CPU, peak RSS, ratios against each reference
//! language with coloured verdicts, and a notes column for failures and warnings.
//! Below it: warning details, geometric means and the baseline comparison.
//! Colours are used only when asked (a TTY); otherwise the output is plain text.

use super::{fmt_factor, fmt_kib, fmt_ms, fmt_ratio, fmt_summary, fmt_value};
use crate::lang::Lang;
use crate::record::{Measurement, Report, Status};
use crate::verdict::{Change, Verdict};
use comfy_table::{presets, Attribute, Cell, CellAlignment, Color, Table};
use std::fmt::Write;

/// Renders the whole terminal report.
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(report));
    let _ = writeln!(out, "{}", measurements(report, color));
    let notes = notes(report);
    if !notes.is_empty() {
        let _ = writeln!(out, "Warnings:");
        for n in notes {
            let _ = writeln!(out, "  ⚠ {n}");
        }
    }
    if !report.geomeans.is_empty() {
        let _ = writeln!(out, "\nGeometric means over benchmarks (count in brackets):");
        let _ = writeln!(out, "{}", geomeans(report, color));
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(out, "\nAgainst baseline {} (threshold {:.0}%):", b.file, b.threshold_pct);
        let _ = writeln!(out, "{}", baseline(report, color));
    }
    out
}

/// One line describing the run.
pub fn headline(report: &Report) -> String {
    let o = &report.options;
    let m = &report.meta;
    format!(
        "ruff-lab {} · {} · {} run(s) after {} warm-up · git {}{} · {} · load {:.2} on {} cores",
        o.command,
        o.metric.name(),
        o.runs,
        o.warmup,
        short_sha(&m.git_sha),
        if m.git_dirty { " (dirty)" } else { "" },
        m.date,
        m.load_avg[0],
        m.cores
    )
}

fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn verdict_color(v: Verdict) -> Color {
    match v {
        Verdict::Faster => Color::Green,
        Verdict::Slower => Color::Red,
        Verdict::Same => Color::Yellow,
    }
}

fn measurements(report: &Report, color: bool) -> Table {
    let metric = report.options.metric;
    let refs = &report.options.refs;
    let mut t = new_table(color);
    let mut header = vec!["benchmark", "size", "language", metric_header(metric), "kernel", "cpu", "peak rss"];
    let ref_headers: Vec<String> = refs.iter().map(|r| format!("vs {r}")).collect();
    header.extend(ref_headers.iter().map(String::as_str));
    header.push("notes");
    t.set_header(header);
    let mut last_case = None;
    for m in &report.measurements {
        let case = (m.bench.clone(), m.size);
        let first_of_case = last_case.as_ref() != Some(&case);
        last_case = Some(case);
        let mut row = vec![
            Cell::new(if first_of_case { m.bench.as_str() } else { "" }),
            Cell::new(if first_of_case { m.size.to_string() } else { String::new() })
                .set_alignment(CellAlignment::Right),
            Cell::new(m.lang.name()).add_attribute(if m.lang.is_ruff() {
                Attribute::Bold
            } else {
                Attribute::NormalIntensity
            }),
        ];
        if m.status == Status::Ok {
            row.push(cell_opt(m.summary.as_ref().map(|s| fmt_summary(s, metric))));
            row.push(cell_opt(m.kernel.as_ref().map(|s| fmt_ms(s.median))));
            row.push(cell_opt(m.cpu.as_ref().map(|s| fmt_ms(s.median))));
            row.push(cell_opt(m.rss_kb.as_ref().map(|s| fmt_kib(s.median))));
            for &r in refs {
                row.push(match report.comparison(&m.bench, m.size, m.lang, r) {
                    Some(c) => Cell::new(fmt_ratio(c)).fg(verdict_color(c.verdict)),
                    None if r == m.lang => Cell::new("—").set_alignment(CellAlignment::Center),
                    None => Cell::new(""),
                });
            }
            let tags: Vec<&str> = m.warnings.iter().map(|w| w.tag()).collect();
            let cell = Cell::new(if tags.is_empty() { String::new() } else { format!("⚠ {}", tags.join(", ")) });
            row.push(if tags.is_empty() { cell } else { cell.fg(Color::Yellow) });
        } else {
            for _ in 0..4 + refs.len() {
                row.push(Cell::new(""));
            }
            let color = if m.status == Status::NoProgram { Color::DarkGrey } else { Color::Red };
            row.push(Cell::new(failure_note(m)).fg(color).add_attribute(Attribute::Bold));
        }
        t.add_row(row);
    }
    t
}

fn metric_header(metric: crate::record::Metric) -> &'static str {
    match metric {
        crate::record::Metric::Wall => "wall (median ±95% CI)",
        crate::record::Metric::Instructions => "instructions",
    }
}

/// `FAILED: reason` (or `MISSING: ...`) for a measurement that does not count.
pub fn failure_note(m: &Measurement) -> String {
    format!("{}: {}", m.status.label(), m.reason.as_deref().unwrap_or("no reason recorded"))
}

fn cell_opt(text: Option<String>) -> Cell {
    Cell::new(text.unwrap_or_else(|| "-".into())).set_alignment(CellAlignment::Right)
}

/// Warning lines: run-wide ones first, then one per flagged measurement.
pub fn notes(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report.warnings.iter().map(|w| w.message()).collect();
    for m in &report.measurements {
        for w in &m.warnings {
            out.push(format!("{} n={} {}: {}", m.bench, m.size, m.lang, w.message()));
        }
    }
    out
}

fn geomeans(report: &Report, color: bool) -> Table {
    let mut t = new_table(color);
    let refs = &report.options.refs;
    let mut header = vec!["suite".to_string(), "language".to_string()];
    header.extend(refs.iter().map(|r| format!("vs {r} (geomean)")));
    t.set_header(header);
    let mut rows: Vec<(&str, Lang)> = Vec::new();
    for g in &report.geomeans {
        if !rows.contains(&(g.suite.as_str(), g.lang)) {
            rows.push((g.suite.as_str(), g.lang));
        }
    }
    for (suite, lang) in rows {
        let mut row = vec![Cell::new(suite), Cell::new(lang.name())];
        for &r in refs {
            let g = report.geomeans.iter().find(|g| g.suite == suite && g.lang == lang && g.vs == r);
            row.push(match g {
                Some(g) => {
                    let c = if g.ratio < 1.0 { Color::Green } else { Color::Red };
                    Cell::new(format!("{} ({})", fmt_factor(g.ratio), g.count)).fg(c)
                }
                None => Cell::new(""),
            });
        }
        t.add_row(row);
    }
    t
}

fn baseline(report: &Report, color: bool) -> Table {
    let metric = report.options.metric;
    let mut t = new_table(color);
    t.set_header(vec!["benchmark", "size", "language", "baseline", "now", "change", "verdict"]);
    if let Some(b) = &report.baseline {
        for e in &b.entries {
            let (word, c) = match e.verdict {
                Change::Regressed if e.lang.is_ruff() => ("REGRESSED", Color::Red),
                Change::Regressed => ("slower (machine drift?)", Color::Yellow),
                Change::Improved => ("improved", Color::Green),
                Change::Unchanged => ("unchanged", Color::Reset),
            };
            t.add_row(vec![
                Cell::new(&e.bench),
                Cell::new(e.size),
                Cell::new(e.lang.name()),
                Cell::new(fmt_value(e.baseline, metric)),
                Cell::new(fmt_value(e.current, metric)),
                Cell::new(format!("{:+.1}%", (e.change - 1.0) * 100.0)),
                Cell::new(word).fg(c),
            ]);
        }
    }
    t
}
