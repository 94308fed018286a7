//! Outlier flagging with the modified z-score (Iglewicz and Hoaglin):
//! `M_i = 0.6745 (x_i - median) / MAD`, flagged when `|M_i| > 3.5`. Robust to the
//! outliers themselves, unlike a mean/σ rule. Flagged values are reported, never dropped.

use super::{mad, median};

/// Threshold on |modified z-score| above which a value is an outlier.
pub const THRESHOLD: f64 = 3.5;
/// Samples smaller than this are never flagged.
pub const MIN_VALUES: usize = 5;

/// Modified z-scores of `values` (all 0 when the MAD is 0).
pub fn modified_z(values: &[f64]) -> Vec<f64> {
    let m = median(values);
    let d = mad(values);
    values.iter().map(|v| if d == 0.0 { 0.0 } else { 0.6745 * (v - m) / d }).collect()
}

/// Indexes of the outliers in `values`.
pub fn flag(values: &[f64]) -> Vec<usize> {
    // With fewer values the MAD is too unstable: one tight pair makes anything an outlier.
    if values.len() < MIN_VALUES {
        return Vec::new();
    }
    modified_z(values).iter().enumerate().filter(|(_, z)| z.abs() > THRESHOLD).map(|(i, _)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_the_far_value_only() {
        assert_eq!(flag(&[10.0, 10.5, 9.5, 10.2, 9.8, 25.0]), vec![5]);
        assert!(flag(&[1.0, 1.0, 1.0, 1.0, 1.0]).is_empty());
        assert!(flag(&[10.0, 10.1, 12.0]).is_empty());
        assert!(flag(&[1.0, 100.0]).is_empty());
    }
}
