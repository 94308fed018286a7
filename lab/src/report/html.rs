//! The dashboard: one self-contained HTML page (inline CSS and SVG, no scripts, no
//! network) built from every saved run record. It shows the newest ratios against
//! Python and Go, time against size on log-log axes, JIT against `--jit=off`, the
//! history of each benchmark over the saved runs, and the newest results as a table.
//!
//! Chart drawing is in `svg`; reading the records is `baseline::load`.

use super::svg::{self, esc, Axes, Bar, Series};
use super::{fmt_kib, fmt_ms, fmt_ratio, fmt_summary};
use crate::lang::Lang;
use crate::record::{Comparison, Measurement, Metric, Report, Status};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A saved record and the name of its file.
pub type Record = (String, Report);

/// The whole dashboard page for `records` (oldest first).
pub fn render(records: &[Record]) -> String {
    let mut body = String::new();
    let _ = write!(body, "<h1>Ruff Lab dashboard</h1>");
    if records.is_empty() {
        let _ = write!(
            body,
            "<p class=\"empty\">No saved results yet. Run <code>ruff-lab compare --vs python,go --save</code>, then <code>ruff-lab report</code>.</p>"
        );
        return page(&body);
    }
    let (latest_name, latest) = &records[records.len() - 1];
    let m = &latest.meta;
    let _ = write!(
        body,
        "<p class=\"meta\">{} saved run(s). Newest: <b>{}</b> · {} · git <code>{}</code>{} · {} · {} cores · load {:.2} · {} · {}</p>",
        records.len(),
        esc(latest_name),
        esc(&m.date),
        esc(&m.git_sha[..m.git_sha.len().min(10)]),
        if m.git_dirty { " (dirty)" } else { "" },
        esc(&m.cpu_model),
        m.cores,
        m.load_avg[0],
        esc(m.python.as_deref().unwrap_or("python: n/a")),
        esc(m.go.as_deref().unwrap_or("go: n/a")),
    );
    let _ = write!(
        body,
        "<p class=\"note\">Ratios are Ruff time divided by the other language's time, per round, with 95% bootstrap intervals (whiskers): below 1 Ruff is faster. Whole-process wall time, which includes start-up and JIT compilation.</p>"
    );

    let comparisons = newest_comparisons(records);
    for vs in [Lang::Python, Lang::Go] {
        section(&mut body, &format!("Ruff against {}", title_case(vs)));
        let bars: Vec<Bar> = comparisons
            .values()
            .filter(|c| c.vs == vs && c.lang.is_ruff())
            .map(|c| bar(c, &format!("{} n={} · {}", c.bench, c.size, c.lang)))
            .collect();
        if bars.is_empty() {
            empty(&mut body, &format!("No comparison with {vs} saved yet (ruff-lab compare --vs {vs} --save)."));
        } else {
            body.push_str(&svg::ratio_bars(&format!("time ratio ruff / {vs}"), &bars, "Ruff faster", "Ruff slower"));
        }
    }

    section(&mut body, "JIT against --jit=off");
    let jit = jit_bars(records);
    if jit.is_empty() {
        empty(&mut body, "No run with both ruff and ruff-nojit saved yet (ruff-lab run --save).");
    } else {
        body.push_str(&svg::ratio_bars("time ratio ruff (JIT) / ruff --jit=off", &jit, "JIT faster", "JIT slower"));
    }

    section(&mut body, "Time against size (log-log, newest median per point)");
    let scaling = scaling_charts(records);
    if scaling.is_empty() {
        empty(&mut body, "No benchmark measured at two or more sizes yet (use --sizes all).");
    }
    body.push_str("<div class=\"grid\">");
    for chart in scaling {
        body.push_str(&chart);
    }
    body.push_str("</div>");

    section(&mut body, "History over saved runs");
    let history = history_charts(records);
    if history.is_empty() {
        empty(&mut body, "History needs at least two saved runs of the same benchmark.");
    }
    body.push_str("<div class=\"grid\">");
    for chart in history {
        body.push_str(&chart);
    }
    body.push_str("</div>");

    section(&mut body, &format!("Newest results ({})", esc(latest_name)));
    body.push_str(&results_table(latest));
    page(&body)
}

fn page(body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Ruff Lab dashboard</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px 32px;color:#212529;background:#fff;max-width:1300px}\
h1{margin:0 0 8px}h2{margin:32px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px;font-size:1.25em}\
.meta,.note{color:#495057;font-size:.9em}.empty{color:#868e96;font-style:italic}\
.grid{display:flex;flex-wrap:wrap;gap:12px}svg{background:#fff;border:1px solid #f1f3f5;border-radius:6px}\
svg .title{font-size:14px;font-weight:600}svg .axis{font-size:11px;fill:#495057}svg .label{font-size:12px;fill:#212529}svg .value{font-size:12px;fill:#212529}\
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #dee2e6;padding:3px 8px;text-align:right;white-space:nowrap}td.warn,td.fail{white-space:normal}th{background:#f8f9fa}\
td.l{text-align:left}td.fail{color:#c92a2a;font-weight:600;text-align:left}td.warn{color:#e67700;text-align:left}\
.faster{color:#2b8a3e}.slower{color:#c92a2a}.same{color:#e67700}code{background:#f1f3f5;padding:1px 4px;border-radius:3px}";

fn section(body: &mut String, title: &str) {
    let _ = write!(body, "<h2>{}</h2>", esc(title));
}

fn empty(body: &mut String, text: &str) {
    let _ = write!(body, "<p class=\"empty\">{}</p>", esc(text));
}

fn title_case(l: Lang) -> &'static str {
    match l {
        Lang::Python => "Python",
        Lang::Go => "Go",
        other => other.name(),
    }
}

fn bar(c: &Comparison, label: &str) -> Bar {
    Bar { label: label.to_string(), value: c.ratio, lo: c.ci_low, hi: c.ci_high, color: svg::lang_color(c.lang.name()) }
}

/// The newest comparison per (bench, size, lang, vs) across all records.
fn newest_comparisons(records: &[Record]) -> BTreeMap<(String, u64, Lang, Lang), Comparison> {
    let mut out = BTreeMap::new();
    for (_, r) in records.iter().filter(|(_, r)| r.options.metric == Metric::Wall) {
        for c in &r.comparisons {
            out.insert((c.bench.clone(), c.size, c.lang, c.vs), c.clone());
        }
    }
    out
}

/// JIT / no-JIT ratio bars from the newest record holding both for a (bench, size).
fn jit_bars(records: &[Record]) -> Vec<Bar> {
    let mut newest: BTreeMap<(String, u64), Bar> = BTreeMap::new();
    for (_, r) in records.iter().filter(|(_, r)| r.options.metric == Metric::Wall) {
        for m in r.measurements.iter().filter(|m| m.lang == Lang::Ruff && m.is_ok()) {
            let label = format!("{} n={}", m.bench, m.size);
            if let Some(c) = r.comparison(&m.bench, m.size, Lang::Ruff, Lang::RuffNojit) {
                newest.insert((m.bench.clone(), m.size), bar(c, &label));
                continue;
            }
            let other = r
                .measurements
                .iter()
                .find(|o| o.lang == Lang::RuffNojit && o.is_ok() && o.bench == m.bench && o.size == m.size);
            if let (Some(a), Some(b)) = (m.summary.as_ref(), other.and_then(|o| o.summary.as_ref())) {
                let v = a.median / b.median;
                newest.insert(
                    (m.bench.clone(), m.size),
                    Bar {
                        label,
                        value: v,
                        lo: a.ci_low / b.ci_high,
                        hi: a.ci_high / b.ci_low,
                        color: svg::lang_color("ruff"),
                    },
                );
            }
        }
    }
    newest.into_values().collect()
}

/// Newest ok wall-time medians per bench → lang → size.
fn newest_medians(records: &[Record]) -> BTreeMap<String, BTreeMap<Lang, BTreeMap<u64, f64>>> {
    let mut out: BTreeMap<String, BTreeMap<Lang, BTreeMap<u64, f64>>> = BTreeMap::new();
    for (_, r) in records.iter().filter(|(_, r)| r.options.metric == Metric::Wall) {
        for m in r.measurements.iter().filter(|m| m.is_ok()) {
            if let Some(s) = &m.summary {
                out.entry(m.bench.clone()).or_default().entry(m.lang).or_default().insert(m.size, s.median);
            }
        }
    }
    out
}

fn scaling_charts(records: &[Record]) -> Vec<String> {
    let mut charts = Vec::new();
    for (bench, langs) in newest_medians(records) {
        let sizes: std::collections::BTreeSet<u64> = langs.values().flat_map(|m| m.keys().copied()).collect();
        if sizes.len() < 2 {
            continue;
        }
        let series: Vec<Series> = langs
            .iter()
            .map(|(lang, points)| Series {
                name: lang.to_string(),
                color: svg::lang_color(lang.name()),
                points: points.iter().map(|(&s, &ms)| (s as f64, ms)).collect(),
            })
            .collect();
        let axes = Axes {
            x_label: "size (n)".into(),
            y_label: "wall time".into(),
            log_x: true,
            log_y: true,
            // Tick every measured size: the sizes are few and 1-2-5 ticks may miss them all.
            x_ticks: sizes.iter().map(|&n| (n as f64, svg::fmt_tick(n as f64))).collect(),
            y_fmt: fmt_ms,
        };
        charts.push(svg::line_chart(&format!("{bench}: time vs size"), &series, &axes));
    }
    charts
}

fn history_charts(records: &[Record]) -> Vec<String> {
    // bench -> (size -> number of records measuring it), to pick the most common size.
    let mut sizes: BTreeMap<String, BTreeMap<u64, usize>> = BTreeMap::new();
    for (_, r) in records.iter().filter(|(_, r)| r.options.metric == Metric::Wall) {
        for m in r.measurements.iter().filter(|m| m.is_ok() && m.lang == Lang::Ruff) {
            *sizes.entry(m.bench.clone()).or_default().entry(m.size).or_default() += 1;
        }
    }
    let mut charts = Vec::new();
    for (bench, counts) in sizes {
        let Some((&size, &count)) = counts.iter().max_by_key(|(_, c)| **c) else {
            continue;
        };
        if count < 2 {
            continue;
        }
        let mut by_lang: BTreeMap<Lang, Vec<(f64, f64)>> = BTreeMap::new();
        let mut ticks = Vec::new();
        for (i, (_, r)) in records.iter().enumerate() {
            let found: Vec<&Measurement> = r
                .measurements
                .iter()
                .filter(|m| m.bench == bench && m.size == size && m.is_ok() && r.options.metric == Metric::Wall)
                .collect();
            if found.is_empty() {
                continue;
            }
            ticks.push((i as f64, r.meta.date.get(5..16).unwrap_or("?").replace('T', " ")));
            for m in found {
                if let Some(s) = &m.summary {
                    by_lang.entry(m.lang).or_default().push((i as f64, s.median));
                }
            }
        }
        let series: Vec<Series> = by_lang
            .into_iter()
            .map(|(lang, points)| Series { name: lang.to_string(), color: svg::lang_color(lang.name()), points })
            .collect();
        // Too many labels overlap: keep about eight.
        let stride = ticks.len().div_ceil(8).max(1);
        let ticks = ticks.into_iter().step_by(stride).collect();
        let axes = Axes {
            x_label: "saved run (date)".into(),
            y_label: "wall time".into(),
            log_x: false,
            log_y: true,
            x_ticks: ticks,
            y_fmt: fmt_ms,
        };
        charts.push(svg::line_chart(&format!("{bench} n={size}: history"), &series, &axes));
    }
    charts
}

fn results_table(r: &Report) -> String {
    let metric = r.options.metric;
    let mut t = String::from("<table><tr><th>benchmark</th><th>size</th><th>language</th><th>median ±95% CI</th><th>kernel</th><th>cpu</th><th>peak rss</th>");
    for vs in &r.options.refs {
        let _ = write!(t, "<th>vs {}</th>", esc(vs.name()));
    }
    t.push_str("<th>notes</th></tr>");
    for m in &r.measurements {
        let _ = write!(
            t,
            "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td>",
            esc(&m.bench),
            m.size,
            esc(m.lang.name())
        );
        if m.status == Status::Ok {
            let cell = |s: Option<String>| s.unwrap_or_else(|| "-".into());
            let _ = write!(
                t,
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&cell(m.summary.as_ref().map(|s| fmt_summary(s, metric)))),
                esc(&cell(m.kernel.as_ref().map(|s| fmt_ms(s.median)))),
                esc(&cell(m.cpu.as_ref().map(|s| fmt_ms(s.median)))),
                esc(&cell(m.rss_kb.as_ref().map(|s| fmt_kib(s.median))))
            );
            for &vs in &r.options.refs {
                match r.comparison(&m.bench, m.size, m.lang, vs) {
                    Some(c) => {
                        let _ = write!(t, "<td class=\"{}\">{}</td>", c.verdict.word(), esc(&fmt_ratio(c)));
                    }
                    None => t.push_str("<td></td>"),
                }
            }
            let notes: Vec<String> = m.warnings.iter().map(|w| w.message()).collect();
            let _ = write!(t, "<td class=\"warn\">{}</td></tr>", esc(&notes.join("; ")));
        } else {
            let _ = write!(
                t,
                "<td colspan=\"{}\"></td><td class=\"fail\">{}</td></tr>",
                4 + r.options.refs.len(),
                esc(&super::table::failure_note(m))
            );
        }
    }
    t.push_str("</table>");
    t
}
