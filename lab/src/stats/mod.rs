//! Descriptive statistics of a sample: median, mean, standard deviation, min, max,
//! median absolute deviation, outliers (modified z-score) and a 95% bootstrap
//! confidence interval of the median. Everything is deterministic: the bootstrap uses
//! a seeded PRNG, so the same samples always give the same summary.
//!
//! What the numbers mean for trust and verdicts is decided in `verdict`.

pub mod bootstrap;
pub mod outlier;

use serde::{Deserialize, Serialize};

/// Seed of every bootstrap in the lab; fixed so reports are reproducible.
pub const SEED: u64 = 0x5EED_0F2A_B007;

/// Bootstrap resamples per confidence interval.
pub const RESAMPLES: usize = 2000;

/// Summary statistics of one sample. Units are those of the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for one value.
    pub stddev: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// 95% bootstrap confidence interval of the median, low end.
    pub ci_low: f64,
    /// 95% bootstrap confidence interval of the median, high end.
    pub ci_high: f64,
    /// Indexes (in round order) of values whose modified z-score exceeds 3.5.
    pub outliers: Vec<usize>,
}

impl Summary {
    /// Summarises `values`; `None` when empty or when a value is not finite.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let n = values.len();
        let med = median(values);
        let mean = mean(values);
        let stddev =
            if n > 1 { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
        let (ci_low, ci_high) = bootstrap::median_ci(values, RESAMPLES, SEED);
        Some(Summary {
            n,
            median: med,
            mean,
            stddev,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mad: mad(values),
            ci_low,
            ci_high,
            outliers: outlier::flag(values),
        })
    }

    /// Coefficient of variation, σ / mean (0 when the mean is 0).
    pub fn cv(&self) -> f64 {
        if self.mean == 0.0 {
            0.0
        } else {
            self.stddev / self.mean
        }
    }
}

/// Median (mean of the two middle values for even lengths); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

/// Arithmetic mean; NaN when empty.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Median absolute deviation from the median (unscaled).
pub fn mad(values: &[f64]) -> f64 {
    let m = median(values);
    let dev: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&dev)
}

/// Geometric mean of positive values; `None` if empty or any value is not positive.
pub fn geomean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|&v| v <= 0.0 || !v.is_finite()) {
        return None;
    }
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_statistics() {
        let s = Summary::of(&[10.0, 12.0, 11.0, 13.0, 50.0]).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.median, 12.0);
        assert_eq!(s.mean, 19.2);
        assert_eq!(s.min, 10.0);
        assert_eq!(s.max, 50.0);
        assert_eq!(s.mad, 1.0);
        assert_eq!(s.outliers, vec![4]);
        assert!((s.stddev - 17.253_985).abs() < 1e-5, "{}", s.stddev);
        assert!(s.ci_low <= s.median && s.median <= s.ci_high);
    }

    #[test]
    fn even_median_and_empty() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn single_value_has_zero_spread() {
        let s = Summary::of(&[7.0]).unwrap();
        assert_eq!((s.stddev, s.mad, s.ci_low, s.ci_high), (0.0, 0.0, 7.0, 7.0));
    }

    #[test]
    fn geometric_mean() {
        assert!((geomean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
        assert!(geomean(&[1.0, 0.0]).is_none());
        assert!(geomean(&[]).is_none());
    }

    #[test]
    fn summary_is_deterministic() {
        let v = [5.0, 6.0, 5.5, 7.0, 6.2, 5.9, 6.1, 5.8];
        assert_eq!(Summary::of(&v), Summary::of(&v));
    }
}
