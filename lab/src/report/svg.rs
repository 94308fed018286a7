//! Inline SVG charts for the dashboard, with no scripts and no external resources:
//! horizontal ratio bars on a log scale around 1 (with confidence whiskers), and line
//! charts with optional log axes (time against size, history). Which data goes into
//! which chart is decided in `html`.

use std::fmt::Write;

/// The colour of each language in every chart.
pub fn lang_color(name: &str) -> &'static str {
    match name {
        "ruff" => "#e8590c",
        "ruff-nojit" => "#f59f00",
        "python" => "#1c7ed6",
        "go" => "#0ca678",
        "pypy" => "#7048e8",
        "node" => "#5c940d",
        "luajit" => "#ae3ec9",
        "c" => "#495057",
        _ => "#868e96",
    }
}

/// Escapes text for XML content and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One bar of a ratio chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Row label (e.g. `fib_recursive n=30 · ruff`).
    pub label: String,
    /// The ratio (1 = same speed as the reference).
    pub value: f64,
    /// Interval low end.
    pub lo: f64,
    /// Interval high end.
    pub hi: f64,
    /// Fill colour.
    pub color: &'static str,
}

/// Horizontal bars on a log axis centred on 1. Bars grow left of the 1-line when the
/// ratio is below 1 and right when above; whiskers show the interval.
/// `left_word`/`right_word` label the two sides (e.g. "faster", "slower").
pub fn ratio_bars(title: &str, bars: &[Bar], left_word: &str, right_word: &str) -> String {
    let (w, row_h, top, left, right) = (820.0, 26.0, 46.0, 250.0, 110.0);
    let h = top + row_h * bars.len().max(1) as f64 + 40.0;
    let mut lo = bars.iter().map(|b| b.lo.min(b.value)).fold(1.0_f64, f64::min);
    let mut hi = bars.iter().map(|b| b.hi.max(b.value)).fold(1.0_f64, f64::max);
    // Keep 1 inside with some room on both sides, and the axis symmetric in log space.
    let span = hi.log10().abs().max(lo.log10().abs()).max(0.3) * 1.1;
    lo = 10f64.powf(-span);
    hi = 10f64.powf(span);
    let plot_w = w - left - right;
    let x = |v: f64| left + (v.max(lo).min(hi).log10() - lo.log10()) / (hi.log10() - lo.log10()) * plot_w;
    let mut s = svg_open(w, h, title);
    let _ = write!(s, r#"<text x="{left}" y="18" class="title">{}</text>"#, esc(title));
    let _ = write!(
        s,
        r#"<text x="{}" y="36" class="axis" text-anchor="start">← {}</text><text x="{}" y="36" class="axis" text-anchor="end">{} →</text>"#,
        left,
        esc(left_word),
        left + plot_w,
        esc(right_word)
    );
    let bottom = top + row_h * bars.len().max(1) as f64;
    for t in log_ticks(lo, hi) {
        let tx = x(t);
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="{top}" x2="{tx:.1}" y2="{bottom}" stroke="#e9ecef"/><text x="{tx:.1}" y="{:.1}" class="axis" text-anchor="middle">{}×</text>"##,
            bottom + 16.0,
            fmt_tick(t)
        );
    }
    let one = x(1.0);
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let (x0, x1) = if b.value < 1.0 { (x(b.value), one) } else { (one, x(b.value)) };
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + row_h * 0.65,
            esc(&b.label)
        );
        let _ = write!(
            s,
            r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.85"><title>{}: {:.3}× ({:.3}–{:.3})</title></rect>"#,
            y + 4.0,
            (x1 - x0).max(1.0),
            row_h - 8.0,
            b.color,
            esc(&b.label),
            b.value,
            b.lo,
            b.hi
        );
        let cy = y + row_h / 2.0;
        let _ = write!(
            s,
            r##"<line x1="{:.1}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="#212529" stroke-width="1.2"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#212529"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#212529"/>"##,
            x(b.lo),
            x(b.hi),
            x(b.lo),
            cy - 4.0,
            x(b.lo),
            cy + 4.0,
            x(b.hi),
            cy - 4.0,
            x(b.hi),
            cy + 4.0
        );
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="value">{}</text>"#,
            left + plot_w + 6.0,
            y + row_h * 0.65,
            esc(&crate::report::fmt_factor(b.value))
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{one:.1}" y1="{}" x2="{one:.1}" y2="{bottom}" stroke="#212529" stroke-width="1.5"/>"##,
        top - 4.0
    );
    s.push_str("</svg>");
    s
}

/// One line of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Stroke colour.
    pub color: &'static str,
    /// Points (x, y), drawn in the given order.
    pub points: Vec<(f64, f64)>,
}

/// Axis settings of a line chart.
#[derive(Debug, Clone)]
pub struct Axes {
    /// X axis caption.
    pub x_label: String,
    /// Y axis caption.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Explicit x ticks (value, label); computed when empty.
    pub x_ticks: Vec<(f64, String)>,
    /// Formats y tick labels.
    pub y_fmt: fn(f64) -> String,
}

/// A line chart with markers and a legend on the right.
pub fn line_chart(title: &str, series: &[Series], axes: &Axes) -> String {
    let (w, h, left, right, top, bottom) = (570.0, 300.0, 82.0, 110.0, 30.0, 50.0);
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (1.0, 10.0, 1.0, 10.0);
    }
    let (x0, x1) = pad_domain(x0, x1, axes.log_x);
    let (y0, y1) = pad_domain(y0, y1, axes.log_y);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let map = |v: f64, a: f64, b: f64, log: bool| {
        if log {
            (v.log10() - a.log10()) / (b.log10() - a.log10())
        } else {
            (v - a) / (b - a)
        }
    };
    let px = |v: f64| left + map(v, x0, x1, axes.log_x) * pw;
    let py = |v: f64| top + ph - map(v, y0, y1, axes.log_y) * ph;
    let mut s = svg_open(w, h, title);
    let _ = write!(s, r#"<text x="{left}" y="18" class="title">{}</text>"#, esc(title));
    let yticks = if axes.log_y { log_ticks(y0, y1) } else { linear_ticks(y0, y1) };
    for t in yticks {
        let ty = py(t);
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#e9ecef"/><text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">{}</text>"##,
            left + pw,
            left - 6.0,
            ty + 4.0,
            esc(&(axes.y_fmt)(t))
        );
    }
    let xticks: Vec<(f64, String)> = if axes.x_ticks.is_empty() {
        let raw = if axes.log_x { log_ticks(x0, x1) } else { linear_ticks(x0, x1) };
        raw.into_iter().map(|t| (t, fmt_tick(t))).collect()
    } else {
        axes.x_ticks.clone()
    };
    for (t, label) in &xticks {
        let tx = px(*t);
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="{top}" x2="{tx:.1}" y2="{:.1}" stroke="#f1f3f5"/><text x="{tx:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text>"##,
            top + ph,
            top + ph + 16.0,
            esc(label)
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#adb5bd"/><text x="{:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text><text x="12" y="{:.1}" class="axis" text-anchor="middle" transform="rotate(-90 12 {:.1})">{}</text>"##,
        left + pw / 2.0,
        h - 10.0,
        esc(&axes.x_label),
        top + ph / 2.0,
        top + ph / 2.0,
        esc(&axes.y_label)
    );
    for (i, se) in series.iter().enumerate() {
        let path: Vec<String> = se.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        if path.len() > 1 {
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                path.join(" "),
                se.color
            );
        }
        for &(x, y) in &se.points {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"><title>{}: {} at {}</title></circle>"#,
                px(x),
                py(y),
                se.color,
                esc(&se.name),
                esc(&(axes.y_fmt)(y)),
                fmt_tick(x)
            );
        }
        let ly = top + 14.0 + 18.0 * i as f64;
        let lx = left + pw + 12.0;
        let _ = write!(
            s,
            r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="4" fill="{}"/><text x="{:.1}" y="{:.1}" class="label">{}</text>"#,
            ly - 4.0,
            se.color,
            lx + 16.0,
            ly + 1.0,
            esc(&se.name)
        );
    }
    s.push_str("</svg>");
    s
}

fn svg_open(w: f64, h: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(title)
    )
}

fn pad_domain(a: f64, b: f64, log: bool) -> (f64, f64) {
    if log {
        let (a, b) = (a.max(1e-9), b.max(1e-9));
        if (b / a) < 1.5 {
            (a / 1.5, b * 1.5)
        } else {
            (a / 1.15, b * 1.15)
        }
    } else if (b - a).abs() < 1e-12 {
        (a - 1.0, b + 1.0)
    } else {
        let pad = (b - a) * 0.05;
        (a - pad, b + pad)
    }
}

/// 1-2-5 ticks within [lo, hi] on a log axis (falling back to powers of ten when dense).
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let dense = e1 - e0 > 4;
    for e in e0..=e1 {
        let mults: &[f64] = if dense { &[1.0] } else { &[1.0, 2.0, 5.0] };
        for &m in mults {
            let v = m * 10f64.powi(e);
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
    }
    out
}

/// About five round ticks within [lo, hi].
pub fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 5.0;
    if raw <= 0.0 || !raw.is_finite() {
        return vec![lo];
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 {
        out.push(t);
        t += step;
    }
    out
}

/// A compact tick label: `0.5`, `2`, `10k`, `1M`.
pub fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 && (v / 1e6).fract() == 0.0 {
        format!("{}M", v / 1e6)
    } else if a >= 1e3 && (v / 1e3).fract() == 0.0 {
        format!("{}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        assert_eq!(log_ticks(0.3, 30.0), vec![0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
        assert_eq!(linear_ticks(0.0, 10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(fmt_tick(10000.0), "10k");
        assert_eq!(fmt_tick(0.25), "0.25");
    }

    #[test]
    fn charts_are_escaped_svg() {
        let bars = [Bar { label: "a<b".into(), value: 2.0, lo: 1.8, hi: 2.2, color: "#000" }];
        let svg = ratio_bars("t", &bars, "faster", "slower");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a&lt;b"));
    }
}
