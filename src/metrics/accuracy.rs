//! Estimation accuracy: points against what happened. Within a team, size buckets against
//! cycle time (median and 85th percentile per point value, Spearman, Kendall tau-b and Pearson,
//! whether bucket medians rise, how much neighbouring buckets overlap); where actual hours
//! exist, AE, MRE, BRE and their aggregates; and re-estimation (final minus first suggestion).

use crate::domain::undefined::{Reasons, na};
use crate::error::Result;
use crate::metrics::stats::{mean, quantile_sorted, sorted};
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::metrics::done::{AccuracyQuery, DONE_ITEMS, DoneRow, done_rows};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Bucket {
    pub team: String,
    pub points: f64,
    pub items: usize,
    pub median_days: Option<f64>,
    pub p85_days: Option<f64>,
    /// The five numbers of the box plot (type-7 quartiles).
    pub min_days: Option<f64>,
    pub q1_days: Option<f64>,
    pub q3_days: Option<f64>,
    pub max_days: Option<f64>,
    /// Share of pairs (this bucket, the next larger one) where this bucket's item took at
    /// least as long: 0 = no overlap, 0.5 = the two are indistinguishable.
    pub overlap_with_next: Option<f64>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamAccuracy {
    pub team: String,
    /// Done items with a known cycle time.
    pub items: usize,
    pub spearman: Option<f64>,
    pub kendall_tau_b: Option<f64>,
    pub pearson: Option<f64>,
    /// Bucket medians strictly rise with points.
    pub medians_rise: Option<bool>,
    /// Done items with actual hours.
    pub hours_items: usize,
    /// Hours per point: the median of actual hours / points; E = points x this.
    pub hours_per_point: Option<f64>,
    pub mae_hours: Option<f64>,
    pub mdmre: Option<f64>,
    pub pred25: Option<f64>,
    /// Median of (E - A) / min(A, E): above zero, estimates run high.
    pub bre_bias: Option<f64>,
    #[serde(deserialize_with = "crate::domain::undefined::reasons")]
    pub undefined: Reasons,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Reestimation {
    pub team: String,
    /// Stories with a final estimate and a numeric first-round suggestion.
    pub stories: usize,
    /// Mean of final points - first-round suggested points.
    pub mean_change: Option<f64>,
    /// Share of those stories whose final estimate differs from the first suggestion.
    pub changed_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AccuracyReport {
    pub buckets: Vec<Bucket>,
    pub teams: Vec<TeamAccuracy>,
    pub reestimation: Vec<Reestimation>,
    /// Estimates against outcomes per team (filled by the metrics chain, which has the spread).
    pub outcomes: Vec<crate::metrics::outcome::TeamOutcomes>,
    /// The outcomes name voters as stored (asked for), not "voter N".
    #[serde(skip)]
    pub names_shown: bool,
}

/// Average ranks (1-based), ties sharing the mean of their positions.
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].partial_cmp(&v[b]).expect("finite"));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[idx[k]] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation; `None` for fewer than two pairs or a constant variable.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() < 2 || x.len() != y.len() {
        return None;
    }
    let (mx, my) = (mean(x)?, mean(y)?);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// Spearman's rho: Pearson on average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&ranks(x), &ranks(y))
}

/// Kendall's tau-b, which corrects for ties: (C - D) / sqrt((n0 - n1)(n0 - n2)).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || n != y.len() {
        return None;
    }
    let (mut c, mut d, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let a = (x[i] - x[j]).partial_cmp(&0.0).expect("finite");
            let b = (y[i] - y[j]).partial_cmp(&0.0).expect("finite");
            use std::cmp::Ordering::Equal;
            match (a, b) {
                (Equal, Equal) => {
                    tx += 1;
                    ty += 1;
                }
                (Equal, _) => tx += 1,
                (_, Equal) => ty += 1,
                _ if a == b => c += 1,
                _ => d += 1,
            }
        }
    }
    let n0 = (n * (n - 1) / 2) as i64;
    let denom = (((n0 - tx) * (n0 - ty)) as f64).sqrt();
    if denom == 0.0 {
        return None;
    }
    Some((c - d) as f64 / denom)
}

/// Share of pairs (a from the smaller bucket, b from the larger) with a >= b.
pub fn overlap(smaller: &[f64], larger: &[f64]) -> Option<f64> {
    if smaller.is_empty() || larger.is_empty() {
        return None;
    }
    let mut hits = 0.0;
    for a in smaller {
        for b in larger {
            if a > b {
                hits += 1.0;
            } else if a == b {
                hits += 0.5;
            }
        }
    }
    Some(hits / (smaller.len() * larger.len()) as f64)
}

/// A done item: points, cycle time in days, actual hours.
type DoneItem = (f64, Option<f64>, Option<f64>);

/// Accuracy of the done items `rows` (already cut to the query's sprint and day).
pub fn accuracy<'r>(
    rows: impl IntoIterator<Item = &'r DoneRow>,
    reestimation: Vec<Reestimation>,
) -> Result<AccuracyReport> {
    let mut per_team: BTreeMap<String, Vec<DoneItem>> = BTreeMap::new();
    for r in rows {
        if let Some(p) = r.points {
            per_team
                .entry(r.team.clone())
                .or_default()
                .push((p, r.cycle_days, r.actual_hours));
        }
    }
    let mut report = AccuracyReport {
        buckets: Vec::new(),
        teams: Vec::new(),
        reestimation,
        outcomes: Vec::new(),
        names_shown: false,
    };
    for (team, items) in per_team {
        let timed: Vec<(f64, f64)> = items
            .iter()
            .filter_map(|(p, d, _)| d.map(|d| (*p, d)))
            .collect();
        let xs: Vec<f64> = timed.iter().map(|t| t.0).collect();
        let ys: Vec<f64> = timed.iter().map(|t| t.1).collect();
        let mut by_points: BTreeMap<u64, (f64, Vec<f64>)> = BTreeMap::new();
        for (p, d) in &timed {
            by_points
                .entry(p.to_bits())
                .or_insert((*p, Vec::new()))
                .1
                .push(*d);
        }
        let mut groups: Vec<(f64, Vec<f64>)> = by_points.into_values().collect();
        groups.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("finite"));
        let mut medians = Vec::new();
        for (k, (p, days)) in groups.iter().enumerate() {
            let s = sorted(days);
            let median = quantile_sorted(&s, 0.5);
            medians.push(median);
            report.buckets.push(Bucket {
                team: team.clone(),
                points: *p,
                items: days.len(),
                median_days: median,
                p85_days: quantile_sorted(&s, 0.85),
                min_days: s.first().copied(),
                q1_days: quantile_sorted(&s, 0.25),
                q3_days: quantile_sorted(&s, 0.75),
                max_days: s.last().copied(),
                overlap_with_next: groups.get(k + 1).and_then(|next| overlap(days, &next.1)),
            });
        }
        let mut undefined = Reasons::new();
        let spearman_v = spearman(&xs, &ys);
        if spearman_v.is_none() {
            undefined.insert(
                "spearman",
                na(if xs.len() < 2 {
                    "needs two done items with a cycle time"
                } else {
                    "points or cycle times are all the same"
                }),
            );
        }
        let medians_rise = (medians.len() >= 2).then(|| {
            medians
                .windows(2)
                .all(|w| matches!((w[0], w[1]), (Some(a), Some(b)) if b > a))
        });
        if medians_rise.is_none() {
            undefined.insert("medians_rise", na("needs two point values"));
        }
        // Hours: E = points x the team's median hours per point.
        let with_hours: Vec<(f64, f64)> = items
            .iter()
            .filter_map(|(p, _, h)| h.filter(|h| *h > 0.0).map(|h| (*p, h)))
            .filter(|(p, _)| *p > 0.0)
            .collect();
        let hpp = quantile_sorted(
            &sorted(&with_hours.iter().map(|(p, h)| h / p).collect::<Vec<_>>()),
            0.5,
        );
        let (mut ae, mut mre, mut bias) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(hpp) = hpp {
            for (p, a) in &with_hours {
                let e = p * hpp;
                ae.push((a - e).abs());
                mre.push((a - e).abs() / a);
                bias.push((e - a) / a.min(e));
            }
        } else {
            undefined.insert("mdmre", na("no done item has actual hours"));
        }
        let mre_sorted = sorted(&mre);
        report.teams.push(TeamAccuracy {
            team: team.clone(),
            items: timed.len(),
            spearman: spearman_v,
            kendall_tau_b: kendall_tau_b(&xs, &ys),
            pearson: pearson(&xs, &ys),
            medians_rise,
            hours_items: with_hours.len(),
            hours_per_point: hpp,
            mae_hours: mean(&ae),
            mdmre: quantile_sorted(&mre_sorted, 0.5),
            pred25: (!mre.is_empty())
                .then(|| mre.iter().filter(|m| **m <= 0.25).count() as f64 / mre.len() as f64),
            bre_bias: quantile_sorted(&sorted(&bias), 0.5),
            undefined,
        });
    }
    Ok(report)
}

/// Re-estimation per team from the spread report: final estimate - first-round suggestion,
/// once per story (its first session).
pub fn reestimation(spread: &crate::metrics::spread::SpreadReport) -> Vec<Reestimation> {
    let mut seen = std::collections::HashSet::new();
    let mut per_team: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for s in &spread.stories {
        if !seen.insert((s.team.clone(), s.story.clone())) {
            continue;
        }
        if let (Some(f), Some(first)) = (s.final_estimate, s.first_suggested_value) {
            per_team
                .entry(s.team.to_string())
                .or_default()
                .push(f - first);
        }
    }
    per_team
        .into_iter()
        .map(|(team, d)| Reestimation {
            team,
            stories: d.len(),
            mean_change: mean(&d),
            changed_share: (!d.is_empty())
                .then(|| d.iter().filter(|x| **x != 0.0).count() as f64 / d.len() as f64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kendall_tau_b_with_ties_by_hand() {
        // x = 1 2 2 3, y = 1 3 2 2. Pairs: (1,2) C, (1,3) C, (1,4) C, (2,3) tie in x,
        // (2,4) D, (3,4) tie in y. C = 3, D = 1, n0 = 6, tx = 1, ty = 1:
        // tau-b = 2 / sqrt(5 * 5) = 0.4.
        let t = kendall_tau_b(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 2.0]).unwrap();
        assert!((t - 0.4).abs() < 1e-12);
        assert_eq!(kendall_tau_b(&[1.0, 1.0], &[2.0, 3.0]), None);
    }

    #[test]
    fn spearman_and_pearson_by_hand() {
        // A monotonic but not linear relation: Spearman 1, Pearson below 1.
        let x = [1.0, 2.0, 3.0, 5.0, 8.0];
        let y = [1.0, 4.0, 9.0, 25.0, 64.0];
        assert!((spearman(&x, &y).unwrap() - 1.0).abs() < 1e-12);
        let p = pearson(&x, &y).unwrap();
        assert!(p < 1.0 && p > 0.95);
        // Ties get average ranks: 1 2 2 3 -> 1, 2.5, 2.5, 4.
        assert_eq!(ranks(&[1.0, 2.0, 2.0, 3.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(pearson(&[3.0, 3.0, 3.0], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn bucket_overlap() {
        assert_eq!(overlap(&[1.0, 2.0], &[3.0, 4.0]), Some(0.0));
        assert_eq!(overlap(&[1.0, 3.0], &[2.0, 3.0]), Some(0.375));
        assert_eq!(overlap(&[], &[1.0]), None);
    }
}
