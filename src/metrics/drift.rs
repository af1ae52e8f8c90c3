//! Drift of what a card means: per calendar quarter (of the items' completion), the median
//! cycle time of each card and the points per done item, beside the velocity of the sprints
//! that ended in the quarter; and a flag for point inflation: a card that got markedly faster
//! while velocity rose, with the evidence.
//!
//! The flag compares, card by card, the first and the last quarter the card has `quarter_items`
//! (3) items in: its median cycle time fell by `faster` (20%) or more while the mean completed
//! points of the closed sprints ending in those quarters rose by `velocity_rise` (10%) or more
//! (`[retro]` in sprintlens.toml). Inflation moves
//! every card, so the team is flagged only when at least two cards, and at least half of the
//! cards compared, got markedly faster (one noisy card is not inflation).

use crate::metrics::done::DoneRow;
use crate::metrics::spread::{self, DeckCards};
use crate::metrics::stats::{mean, quantile_sorted, sorted};
use crate::metrics::velocity::SprintVelocity;
use crate::settings::Retro;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct QuarterCard {
    pub card: String,
    pub points: f64,
    pub items: usize,
    /// `None` below `quarter_items` items.
    pub median_days: Option<f64>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Quarter {
    /// "2025-Q1".
    pub quarter: String,
    pub done_items: usize,
    /// Mean points of the quarter's done items.
    pub points_per_item: Option<f64>,
    /// Closed sprints that ended in the quarter, and their mean completed points.
    pub sprints: usize,
    pub velocity: Option<f64>,
    pub cards: Vec<QuarterCard>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Inflation {
    pub card: String,
    pub from: String,
    pub to: String,
    pub from_days: f64,
    pub to_days: f64,
    /// to_days / from_days - 1.
    pub change: f64,
    pub velocity_from: f64,
    pub velocity_to: f64,
    pub velocity_change: f64,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TeamDrift {
    pub team: String,
    pub quarters: Vec<Quarter>,
    /// Cards that got markedly faster while velocity rose.
    pub inflation: Vec<Inflation>,
}

fn quarter_of(d: NaiveDate) -> String {
    format!("{}-Q{}", d.year(), d.month0() / 3 + 1)
}

/// One team's drift from its done items and its sprints.
pub fn team_drift(
    team: &str,
    deck: &DeckCards,
    done: &[&DoneRow],
    sprints: &[&SprintVelocity],
    th: &Retro,
) -> TeamDrift {
    // quarter -> (points of every done item, card step -> cycle days)
    type Acc = (Vec<f64>, BTreeMap<usize, Vec<f64>>);
    let mut quarters: BTreeMap<String, Acc> = BTreeMap::new();
    for d in done {
        let (Some(at), Some(p)) = (d.completed_at, d.points) else {
            continue;
        };
        let q = quarters.entry(quarter_of(at.date())).or_default();
        q.0.push(p);
        if let (Some(days), Some((k, _))) = (d.cycle_days, spread::snap(deck, p))
            && days > 0.0
        {
            q.1.entry(k).or_default().push(days);
        }
    }
    let mut velocity: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for s in sprints.iter().filter(|s| s.closed) {
        if let (Some(end), Some(c)) = (
            s.end_date.as_deref().and_then(crate::domain::parse_day),
            s.completed,
        ) {
            velocity.entry(quarter_of(end)).or_default().push(c);
        }
    }
    let out: Vec<Quarter> = quarters
        .into_iter()
        .map(|(quarter, (points, cards))| {
            let v = velocity.get(&quarter).map_or(&[][..], Vec::as_slice);
            Quarter {
                done_items: points.len(),
                points_per_item: mean(&points),
                sprints: v.len(),
                velocity: mean(v),
                cards: cards
                    .into_iter()
                    .map(|(k, days)| QuarterCard {
                        card: deck[k].0.to_string(),
                        points: deck[k].1.unwrap_or(f64::NAN),
                        items: days.len(),
                        median_days: (days.len() >= th.quarter_items)
                            .then(|| quantile_sorted(&sorted(&days), 0.5))
                            .flatten(),
                    })
                    .collect(),
                quarter,
            }
        })
        .collect();
    let inflation = inflation(&out, th);
    TeamDrift {
        team: team.to_string(),
        quarters: out,
        inflation,
    }
}

/// The cards whose median fell by `faster` or more between their first and last quarter with a
/// median, while velocity rose by `velocity_rise` or more between the same quarters.
fn inflation(quarters: &[Quarter], th: &Retro) -> Vec<Inflation> {
    let mut medians: BTreeMap<&str, Vec<(&Quarter, f64, f64)>> = BTreeMap::new();
    for q in quarters {
        for c in &q.cards {
            if let Some(m) = c.median_days {
                medians.entry(&c.card).or_default().push((q, c.points, m));
            }
        }
    }
    let mut flags: Vec<(f64, Inflation)> = Vec::new();
    let mut compared = 0;
    for (card, seen) in medians {
        let (Some(first), Some(last)) = (seen.first(), seen.last()) else {
            continue;
        };
        if std::ptr::eq(first.0, last.0) {
            continue;
        }
        let (Some(v0), Some(v1)) = (first.0.velocity, last.0.velocity) else {
            continue;
        };
        if v0 <= 0.0 || first.2 <= 0.0 {
            continue;
        }
        compared += 1;
        let change = last.2 / first.2 - 1.0;
        let vchange = v1 / v0 - 1.0;
        // (A tolerance of 1e-9 keeps 4/5 - 1 at -20%.)
        if change <= -th.faster + 1e-9 && vchange >= th.velocity_rise - 1e-9 {
            flags.push((
                first.1,
                Inflation {
                    card: card.to_string(),
                    from: first.0.quarter.clone(),
                    to: last.0.quarter.clone(),
                    from_days: first.2,
                    to_days: last.2,
                    change,
                    velocity_from: v0,
                    velocity_to: v1,
                    velocity_change: vchange,
                    evidence: format!(
                        "{} stories: median cycle time {:.1} -> {:.1} days ({:+.0}%) from {} to {}, while velocity rose {:.1} -> {:.1} points a sprint ({:+.0}%): the same card now means less work",
                        if card.parse::<f64>().is_ok() {
                            format!("{card}-point")
                        } else {
                            card.to_string()
                        },
                        first.2,
                        last.2,
                        change * 100.0,
                        first.0.quarter,
                        last.0.quarter,
                        v0,
                        v1,
                        vchange * 100.0
                    ),
                },
            ));
        }
    }
    if flags.len() < 2 || 2 * flags.len() < compared {
        return Vec::new();
    }
    flags.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    flags.into_iter().map(|f| f.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::spread::Name;

    fn deck() -> DeckCards {
        ["1", "2", "3", "5", "8"]
            .iter()
            .map(|c| (Name::from(*c), c.parse::<f64>().ok()))
            .collect()
    }

    fn done(points: f64, days: f64, on: &str) -> DoneRow {
        DoneRow {
            team: "t".into(),
            sprint_id: "1".into(),
            story: "x".into(),
            points: Some(points),
            cycle_days: Some(days),
            actual_hours: None,
            completed_at: Some(
                crate::domain::parse_day(on)
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap(),
            ),
            title: None,
        }
    }

    fn sprint(end: &str, completed: f64) -> SprintVelocity {
        let mut s = SprintVelocity::nothing_yet(
            "t",
            None,
            "1",
            None,
            (
                crate::domain::parse_day(end).unwrap() - chrono::Duration::days(13),
                crate::domain::parse_day(end).unwrap(),
            ),
            crate::domain::parse_day("2030-01-01").unwrap(),
        );
        s.closed = true;
        s.completed = Some(completed);
        s
    }

    #[test]
    fn a_card_that_gets_faster_while_velocity_rises_is_flagged() {
        // 5-point items: Q1 4, 5, 6 days (median 5); Q3 3, 4, 4 days (median 4: -20%).
        // 8-point items: Q1 10, 10, 10; Q3 6, 7, 8 (median 7: -30%).
        // Velocity: Q1 sprints 30 and 34 (32), Q3 36 and 40 (38: +18.75%).
        let mut items = vec![
            done(5.0, 4.0, "2025-01-20"),
            done(5.0, 5.0, "2025-02-10"),
            done(5.0, 6.0, "2025-03-03"),
            done(3.0, 2.0, "2025-03-04"),
            done(5.0, 3.0, "2025-07-10"),
            done(5.0, 4.0, "2025-08-10"),
            done(5.0, 4.0, "2025-09-10"),
        ];
        for (days, on) in [
            (10.0, "2025-01-21"),
            (10.0, "2025-01-22"),
            (10.0, "2025-01-23"),
            (6.0, "2025-07-21"),
            (7.0, "2025-07-22"),
            (8.0, "2025-07-23"),
        ] {
            items.push(done(8.0, days, on));
        }
        let sprints = [
            sprint("2025-01-26", 30.0),
            sprint("2025-03-09", 34.0),
            sprint("2025-07-20", 36.0),
            sprint("2025-09-14", 40.0),
        ];
        let d = drift_of(&items, &sprints);
        let q: Vec<&str> = d.quarters.iter().map(|q| q.quarter.as_str()).collect();
        assert_eq!(q, vec!["2025-Q1", "2025-Q3"]);
        // Q1: 7 items, (5+5+5+3+8+8+8)/7 = 6 points each; the 3-point card has 1 item: no
        // median.
        assert_eq!(d.quarters[0].done_items, 7);
        assert_eq!(d.quarters[0].points_per_item, Some(6.0));
        assert_eq!(d.quarters[0].velocity, Some(32.0));
        let three = &d.quarters[0].cards[0];
        assert_eq!(
            (three.card.as_str(), three.items, three.median_days),
            ("3", 1, None)
        );
        // Both cards compared got faster: the team is flagged, smallest card first.
        assert_eq!(d.inflation.len(), 2);
        assert_eq!(d.inflation[1].card, "8");
        let f = &d.inflation[0];
        assert_eq!(
            (f.from_days, f.to_days, f.velocity_from, f.velocity_to),
            (5.0, 4.0, 32.0, 38.0)
        );
        assert!((f.change + 0.2).abs() < 1e-12);
        assert_eq!(
            f.evidence,
            "5-point stories: median cycle time 5.0 -> 4.0 days (-20%) from 2025-Q1 to 2025-Q3, while velocity rose 32.0 -> 38.0 points a sprint (+19%): the same card now means less work"
        );
        // Velocity flat: no flag.
        let flat = [
            sprints[0].clone(),
            sprints[1].clone(),
            sprint("2025-09-14", 33.0),
        ];
        assert!(drift_of(&items, &flat).inflation.is_empty());
        // Only the 5-point card faster (the 8-point items as slow in Q3 as in Q1): one card of
        // two is noise, not inflation.
        for it in items.iter_mut().filter(|i| i.points == Some(8.0)) {
            it.cycle_days = Some(10.0);
        }
        assert!(drift_of(&items, &sprints).inflation.is_empty());
    }

    fn drift_of(items: &[DoneRow], sprints: &[SprintVelocity]) -> TeamDrift {
        let items: Vec<&DoneRow> = items.iter().collect();
        let sprints: Vec<&SprintVelocity> = sprints.iter().collect();
        team_drift("t", &deck(), &items, &sprints, &Retro::default())
    }
}
