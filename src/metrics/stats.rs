//! Descriptive statistics shared by the metric families: the definitions of the design
//! (sample variance with n-1, mode ties to the smaller value, type-7 quantiles).
//! Mean and variance come from statrs; quantiles are computed here because the design and the
//! published tables use R's type 7, which statrs' `quantile` (type 8) does not give.
//! Undefined values are `None`, never NaN.

use serde::Serialize;

/// n, min, max, mean, median, mode, variance and sd (n-1) of a set of values.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub n: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// The most frequent value; ties go to the smaller value.
    pub mode: Option<f64>,
    /// Sample variance (n-1); undefined below two values.
    pub variance: Option<f64>,
    pub sd: Option<f64>,
    /// Interquartile range with type-7 quantiles (linear interpolation).
    pub iqr: Option<f64>,
}

/// The values sorted, with non-finite values dropped.
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.partial_cmp(b).expect("finite values compare"));
    v
}

/// Quantile of sorted values by linear interpolation between order statistics (R type 7,
/// numpy's default): h = (n-1)p, q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
pub fn quantile_sorted(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

/// The mean (statrs); `None` for no values.
pub fn mean(v: &[f64]) -> Option<f64> {
    use statrs::statistics::Statistics;
    (!v.is_empty()).then(|| v.iter().mean())
}

/// Sample variance with n-1 (statrs' streaming, numerically stable form); `None` below two
/// values.
pub fn variance(v: &[f64]) -> Option<f64> {
    use statrs::statistics::Statistics;
    (v.len() >= 2).then(|| v.iter().variance())
}

/// The most frequent value of sorted values; ties go to the smaller value.
pub fn mode_sorted(v: &[f64]) -> Option<f64> {
    let mut best: Option<(f64, usize)> = None;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j] == v[i] {
            j += 1;
        }
        let count = j - i;
        // Strictly greater: an equal count later (a larger value) does not win.
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((v[i], count));
        }
        i = j;
    }
    best.map(|(x, _)| x)
}

pub fn summarise(values: &[f64]) -> Summary {
    let v = sorted(values);
    let variance = variance(&v);
    Summary {
        n: v.len(),
        min: v.first().copied(),
        max: v.last().copied(),
        mean: mean(&v),
        median: quantile_sorted(&v, 0.5),
        mode: mode_sorted(&v),
        variance,
        sd: variance.map(f64::sqrt),
        iqr: quantile_sorted(&v, 0.75)
            .zip(quantile_sorted(&v, 0.25))
            .map(|(a, b)| a - b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_by_hand() {
        // 1 2 2 3 5 8: mean 21/6 = 3.5; median (2+3)/2 = 2.5; mode 2;
        // squares of deviations 6.25+2.25+2.25+0.25+2.25+20.25 = 33.5; variance 33.5/5 = 6.7.
        let s = summarise(&[8.0, 2.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(s.n, 6);
        assert_eq!((s.min, s.max), (Some(1.0), Some(8.0)));
        assert_eq!(s.mean, Some(3.5));
        assert_eq!(s.median, Some(2.5));
        assert_eq!(s.mode, Some(2.0));
        assert!((s.variance.unwrap() - 6.7).abs() < 1e-12);
        assert!((s.sd.unwrap() - 6.7f64.sqrt()).abs() < 1e-12);
        // Type 7: q1 at h = 1.25 -> 2 + 0.25*(2-2) = 2; q3 at h = 3.75 -> 3 + 0.75*(5-3) = 4.5.
        assert_eq!(s.iqr, Some(2.5));
    }

    #[test]
    fn mode_ties_go_to_the_smaller_value() {
        assert_eq!(mode_sorted(&[5.0, 5.0, 8.0, 8.0]), Some(5.0));
        assert_eq!(mode_sorted(&[1.0, 8.0, 8.0, 13.0, 13.0, 13.0]), Some(13.0));
        assert_eq!(mode_sorted(&[]), None);
    }

    #[test]
    fn undefined_cases_are_none() {
        let s = summarise(&[]);
        assert_eq!((s.n, s.mean, s.median, s.sd), (0, None, None, None));
        let s = summarise(&[4.0]);
        assert_eq!(
            (s.mean, s.median, s.variance, s.sd, s.iqr),
            (Some(4.0), Some(4.0), None, None, Some(0.0))
        );
        let s = summarise(&[f64::NAN, 2.0]);
        assert_eq!(s.n, 1);
    }
}
