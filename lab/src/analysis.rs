//! From measurements to comparisons: per-round ratios `lang / vs` with a bootstrap
//! interval and a verdict, and their geometric means per suite and overall.
//!
//! Only measurements with status `ok` take part, so a failed run never contributes a
//! timing. The statistics are in `stats`, the verdict rule in `verdict`.

use crate::lang::Lang;
use crate::record::{Comparison, GeoMean, Measurement, Metric};
use crate::stats::{self, bootstrap};
use crate::verdict::Verdict;

/// Ratios of every ok measurement against every ok reference measurement of the same
/// (benchmark, size), pairing runs of the same round.
pub fn compare(measurements: &[Measurement], refs: &[Lang], metric: Metric) -> Vec<Comparison> {
    let mut out = Vec::new();
    for m in measurements.iter().filter(|m| m.is_ok()) {
        for &vs in refs {
            if vs == m.lang {
                continue;
            }
            let Some(r) =
                measurements.iter().find(|r| r.is_ok() && r.lang == vs && r.bench == m.bench && r.size == m.size)
            else {
                continue;
            };
            let a = m.samples.values(metric);
            let b = r.samples.values(metric);
            let pairs: Vec<(f64, f64)> = a.iter().copied().zip(b.iter().copied()).collect();
            if let Some((ratio, lo, hi)) = bootstrap::ratio_ci(&pairs, stats::RESAMPLES, stats::SEED) {
                out.push(Comparison {
                    suite: m.suite.clone(),
                    bench: m.bench.clone(),
                    size: m.size,
                    lang: m.lang,
                    vs,
                    ratio,
                    ci_low: lo,
                    ci_high: hi,
                    pairs: pairs.len(),
                    verdict: Verdict::of_interval(lo, hi),
                });
            }
        }
    }
    out
}

/// Geometric means of the comparisons per (suite, lang, vs), then per (lang, vs) over
/// all suites as suite `all`. Order follows first appearance.
pub fn geomeans(comparisons: &[Comparison]) -> Vec<GeoMean> {
    let mut keys: Vec<(String, Lang, Lang)> = Vec::new();
    for c in comparisons {
        for suite in [c.suite.clone(), "all".to_string()] {
            let key = (suite, c.lang, c.vs);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    // Per-suite entries first, then the overall ones.
    keys.sort_by_key(|k| k.0 == "all");
    keys.into_iter()
        .filter_map(|(suite, lang, vs)| {
            let ratios: Vec<f64> = comparisons
                .iter()
                .filter(|c| (suite == "all" || c.suite == suite) && c.lang == lang && c.vs == vs)
                .map(|c| c.ratio)
                .collect();
            stats::geomean(&ratios).map(|ratio| GeoMean { suite, lang, vs, ratio, count: ratios.len() })
        })
        .collect()
}
