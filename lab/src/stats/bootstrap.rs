//! Bootstrap confidence intervals with a small seeded PRNG (SplitMix64), so that the
//! same samples always give the same interval: the median of one sample, and the
//! median of per-round ratios between two languages measured in the same rounds.

use super::median;

/// SplitMix64: tiny, fast, and fully determined by its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index in `0..n` (`n > 0`); the modulo bias is negligible for small n.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0, "below(0) has no valid result");
        (self.next_u64() % n as u64) as usize
    }
}

/// 95% percentile-bootstrap interval of the median of `values`.
/// A single value (or an empty sample) gives a zero-width interval.
pub fn median_ci(values: &[f64], resamples: usize, seed: u64) -> (f64, f64) {
    if values.len() < 2 {
        let v = values.first().copied().unwrap_or(f64::NAN);
        return (v, v);
    }
    let mut rng = Rng::new(seed);
    let mut medians = Vec::with_capacity(resamples);
    let mut buf = vec![0.0; values.len()];
    for _ in 0..resamples {
        for slot in buf.iter_mut() {
            *slot = values[rng.below(values.len())];
        }
        medians.push(median(&buf));
    }
    percentile_interval(&mut medians)
}

/// Median of the per-pair ratios `a_i / b_i` and its 95% bootstrap interval, resampling
/// whole pairs (rounds). Pairs with a non-positive denominator are ignored; `None` when
/// no pair is left.
pub fn ratio_ci(pairs: &[(f64, f64)], resamples: usize, seed: u64) -> Option<(f64, f64, f64)> {
    let ratios: Vec<f64> = pairs.iter().filter(|(_, b)| *b > 0.0).map(|(a, b)| a / b).collect();
    if ratios.is_empty() {
        return None;
    }
    let (lo, hi) = median_ci(&ratios, resamples, seed);
    Some((median(&ratios), lo, hi))
}

fn percentile_interval(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let lo = ((n as f64) * 0.025).floor() as usize;
    let hi = (((n as f64) * 0.975).ceil() as usize).saturating_sub(1);
    (values[lo.min(n - 1)], values[hi.min(n - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = (0..3).scan(Rng::new(1), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..3).scan(Rng::new(1), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn interval_brackets_the_median() {
        let v = [9.0, 10.0, 10.5, 11.0, 10.2, 9.8, 10.1, 30.0];
        let (lo, hi) = median_ci(&v, 2000, 42);
        let m = median(&v);
        assert!(lo <= m && m <= hi, "{lo} {m} {hi}");
        assert!(hi < 30.0);
        assert_eq!(median_ci(&v, 2000, 42), (lo, hi));
    }

    #[test]
    fn constant_ratio_has_a_tight_interval() {
        let pairs: Vec<(f64, f64)> = (1..=10).map(|i| (2.0 * i as f64, i as f64)).collect();
        assert_eq!(ratio_ci(&pairs, 500, 7), Some((2.0, 2.0, 2.0)));
        assert_eq!(ratio_ci(&[(1.0, 0.0)], 500, 7), None);
    }
}
