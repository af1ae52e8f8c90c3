//! The metrics chain of one scope (a team, a program's teams, or every team), each metric
//! computed once, on first use, from the ones it needs:
//!
//! ```text
//! spread ──> accuracy (re-estimation from spread) ──┐
//! velocity (each team's window) ────────────────────┼──> splits
//!         └──> forecast                             │
//! spread ───────────────────────────────────────────┤
//! spread ──> reference stories ─────────────────────┘ (a split candidate's "sized like")
//! ```
//!
//! The CLI's composite commands (`accuracy`, `splits`, `forecast`, `report`), the pages, the
//! static report and the benches all compute through it.

use crate::domain::Scope;
use crate::error::Result;
use crate::metrics::accuracy::{self, AccuracyQuery, AccuracyReport};
use crate::metrics::drift::{self, TeamDrift};
use crate::metrics::forecast::{self, ForecastQuery, ForecastReport};
use crate::metrics::outcome::{self, TeamOutcomes};
use crate::metrics::reference::{self, ReferenceReport};
use crate::metrics::splits::{self, SplitInputs, SplitQuery, SplitReport};
use crate::metrics::spread::{self, SpreadQuery, SpreadReport};
use crate::metrics::velocity::{self, SprintVelocity, VelocityQuery, VelocityReport};
use crate::settings::Settings;
use crate::store::Store;
use chrono::NaiveDate;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

/// Which stories spread and accuracy look at: one sprint's, and those since a day.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StoryFilter {
    pub sprint: Option<String>,
    pub since: Option<NaiveDate>,
}

/// How a forecast is drawn (the teams and the day come from the chain).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ForecastParams {
    pub sprints: usize,
    pub points: Option<f64>,
    pub trials: usize,
    pub seed: u64,
    pub history: usize,
    /// Draw from empty sprints (nothing committed, nothing completed) too.
    #[serde(default)]
    pub keep_empty: bool,
}

impl ForecastParams {
    /// The defaults, `sprints` ahead, forecasting the remaining backlog.
    pub fn ahead(sprints: usize) -> ForecastParams {
        ForecastParams {
            sprints,
            points: None,
            trials: forecast::DEFAULT_TRIALS,
            seed: forecast::DEFAULT_SEED,
            history: forecast::DEFAULT_HISTORY,
            keep_empty: false,
        }
    }
}

/// The metrics of one scope as of one day, each computed once.
pub struct Metrics<'a> {
    store: &'a Store,
    settings: &'a Settings,
    scope: Scope,
    as_of: NaiveDate,
    filter: StoryFilter,
    stories_only: bool,
    /// Voters by their stored names in the calibration against outcomes.
    show_names: bool,
    spread: OnceCell<SpreadReport>,
    velocity: OnceCell<VelocityReport>,
    accuracy: OnceCell<AccuracyReport>,
    backlog_splits: OnceCell<SplitReport>,
    reference: OnceCell<ReferenceReport>,
    done: OnceCell<Vec<accuracy::DoneRow>>,
    decks: OnceCell<HashMap<String, spread::DeckCards>>,
}

/// What a chain computed, owned (for caches that outlive the store borrow).
pub struct Computed {
    pub spread: Option<SpreadReport>,
    pub velocity: Option<VelocityReport>,
    pub accuracy: Option<AccuracyReport>,
    pub backlog_splits: Option<SplitReport>,
    pub reference: Option<ReferenceReport>,
}

/// `cell`'s value, computed by `f` on first use.
fn once<T>(cell: &OnceCell<T>, f: impl FnOnce() -> Result<T>) -> Result<&T> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = f()?;
    Ok(cell.get_or_init(|| v))
}

impl<'a> Metrics<'a> {
    pub fn new(store: &'a Store, settings: &'a Settings, scope: Scope, as_of: NaiveDate) -> Self {
        Metrics {
            store,
            settings,
            scope,
            as_of,
            filter: StoryFilter::default(),
            stories_only: false,
            show_names: false,
            spread: OnceCell::new(),
            velocity: OnceCell::new(),
            accuracy: OnceCell::new(),
            backlog_splits: OnceCell::new(),
            reference: OnceCell::new(),
            done: OnceCell::new(),
            decks: OnceCell::new(),
        }
    }

    /// The accuracy query of the scope and the story filter.
    fn done_query(&self) -> AccuracyQuery<'_> {
        AccuracyQuery {
            team: self.scope.team_ref(),
            program: self.scope.program_ref(),
            sprint: self.filter.sprint.as_deref(),
            since: self.filter.since,
        }
    }

    /// Every team's deck, read once for outcomes, reference stories and drift.
    fn decks(&self) -> Result<&HashMap<String, spread::DeckCards>> {
        once(&self.decks, || spread::team_decks(self.store))
    }

    /// The scope's done items, every sprint, read once for accuracy, outcomes, reference
    /// stories and drift.
    fn done(&self) -> Result<&[accuracy::DoneRow]> {
        once(&self.done, || {
            accuracy::done_rows(
                self.store,
                &AccuracyQuery {
                    sprint: None,
                    since: None,
                    ..self.done_query()
                },
            )
        })
        .map(Vec::as_slice)
    }

    /// Spread and accuracy look only at the filter's stories.
    pub fn with_filter(mut self, filter: StoryFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Voters' names instead of pseudonyms in the calibration against outcomes (asked for).
    pub fn showing_names(mut self) -> Self {
        self.show_names = true;
        self
    }

    /// The spread is needed only for its stories (accuracy, split candidates): its rounds,
    /// voters and calibration are neither read nor kept.
    pub fn stories_only(mut self) -> Self {
        self.stories_only = true;
        self
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Spread and consensus, voters pseudonymised (only the stories after
    /// [`Metrics::stories_only`]).
    pub fn spread(&self) -> Result<&SpreadReport> {
        once(&self.spread, || {
            spread::spread_with_decks(
                self.store,
                &SpreadQuery {
                    team: self.scope.team_ref(),
                    program: self.scope.program_ref(),
                    sprint: self.filter.sprint.as_deref(),
                    since: self.filter.since,
                    show_names: false,
                    stories_only: self.stories_only,
                },
                self.decks()?,
            )
        })
    }

    /// Velocity of every sprint, each team with its own window.
    pub fn velocity(&self) -> Result<&VelocityReport> {
        once(&self.velocity, || {
            velocity::velocity(
                self.store,
                &VelocityQuery {
                    window: self.settings.defaults.window,
                    team_windows: self
                        .settings
                        .teams
                        .iter()
                        .map(|(t, s)| (t.clone(), s.window))
                        .collect(),
                    ..VelocityQuery::every_sprint(
                        self.scope.team_ref(),
                        self.scope.program_ref(),
                        self.as_of,
                    )
                },
            )
        })
    }

    /// Estimates against outcomes per team (which split candidates do not need).
    pub fn outcomes(&self) -> Result<Vec<TeamOutcomes>> {
        outcome::outcomes(
            self.store,
            &self.done_query(),
            self.decks()?,
            self.done()?,
            self.spread()?,
            self.show_names,
        )
    }

    /// Accuracy with the estimates against outcomes.
    pub fn accuracy_with_outcomes(&self) -> Result<AccuracyReport> {
        Ok(AccuracyReport {
            outcomes: self.outcomes()?,
            names_shown: self.show_names,
            ..self.accuracy()?.clone()
        })
    }

    /// Accuracy, with the re-estimation of the spread's stories.
    pub fn accuracy(&self) -> Result<&AccuracyReport> {
        once(&self.accuracy, || {
            let reestimation = accuracy::reestimation(self.spread()?);
            let (sprint, since) = (self.filter.sprint.as_deref(), self.filter.since);
            accuracy::accuracy(
                self.done()?.iter().filter(|d| d.chosen(sprint, since)),
                reestimation,
            )
        })
    }

    /// Split candidates of one sprint's stories, or of the backlog (kept) when `sprint` is
    /// `None`.
    pub fn splits(&self, sprint: Option<&str>) -> Result<SplitReport> {
        match sprint {
            None => self.backlog_splits().cloned(),
            Some(_) => self.compute_splits(sprint),
        }
    }

    /// Split candidates of the backlog.
    pub fn backlog_splits(&self) -> Result<&SplitReport> {
        once(&self.backlog_splits, || self.compute_splits(None))
    }

    fn compute_splits(&self, sprint: Option<&str>) -> Result<SplitReport> {
        let inputs = SplitInputs {
            spread: self.spread()?,
            velocity: self.velocity()?,
            accuracy: self.accuracy()?,
        };
        let mut report = splits::splits(
            self.store,
            &SplitQuery {
                team: self.scope.team_ref(),
                program: self.scope.program_ref(),
                sprint,
                as_of: self.as_of,
            },
            self.settings,
            &inputs,
        )?;
        let refs = self.reference()?;
        for c in report.candidates.iter_mut().chain(report.watch.iter_mut()) {
            c.sized_like = c.estimate.and_then(|e| refs.sized_like(&c.team, e));
        }
        Ok(report)
    }

    /// Per team, what its cards mean quarter by quarter, and point inflation.
    pub fn drift(&self) -> Result<Vec<TeamDrift>> {
        let decks = self.decks()?;
        let mut per_team: BTreeMap<&str, Vec<&accuracy::DoneRow>> = BTreeMap::new();
        for r in self.done()? {
            per_team.entry(r.team.as_str()).or_default().push(r);
        }
        let velocity = self.velocity()?;
        Ok(per_team
            .into_iter()
            .filter_map(|(team, done)| {
                let sprints: Vec<&SprintVelocity> =
                    velocity.sprints.iter().filter(|s| s.team == team).collect();
                decks.get(team).map(|deck| {
                    drift::team_drift(team, deck, &done, &sprints, &self.settings.retro)
                })
            })
            .collect())
    }

    /// Reference stories per team and card.
    pub fn reference(&self) -> Result<&ReferenceReport> {
        once(&self.reference, || {
            reference::reference(
                self.decks()?,
                self.done()?,
                self.as_of,
                self.spread()?,
                &self.settings.retro,
            )
        })
    }

    /// Forecasts from the velocity.
    pub fn forecast(&self, p: &ForecastParams) -> Result<ForecastReport> {
        forecast::forecast_from(
            self.store,
            &ForecastQuery {
                team: self.scope.team_ref(),
                program: self.scope.program_ref(),
                sprints: p.sprints,
                points: p.points,
                trials: p.trials,
                seed: p.seed,
                history: p.history,
                keep_empty: p.keep_empty,
                as_of: self.as_of,
            },
            self.velocity()?,
        )
    }

    /// How the forecasts made with `p` fared on the scope's closed sprints.
    pub fn backtest(
        &self,
        p: &ForecastParams,
        b: &crate::metrics::backtest::BacktestParams,
    ) -> Result<crate::metrics::backtest::Backtest> {
        let mut bt = crate::metrics::backtest::of_sprints(
            &self.velocity()?.sprints,
            p.keep_empty,
            p.sprints,
            p.history,
            b.min_history,
        );
        bt.cycle_times = self.cycle_check()?;
        Ok(bt)
    }

    /// How the cycle-time percentiles fared against the items that followed.
    pub fn cycle_check(&self) -> Result<crate::metrics::backtest::CycleCheck> {
        let mut items: BTreeMap<String, Vec<(chrono::NaiveDateTime, f64)>> = BTreeMap::new();
        for r in self.done()? {
            if let (Some(at), Some(days)) = (r.completed_at, r.cycle_days) {
                items.entry(r.team.clone()).or_default().push((at, days));
            }
        }
        Ok(crate::metrics::backtest::cycle_check(
            &items,
            crate::metrics::backtest::CYCLE_MIN_ITEMS,
        ))
    }

    /// The reports computed so far, owned.
    pub fn into_computed(self) -> Computed {
        Computed {
            spread: self.spread.into_inner(),
            velocity: self.velocity.into_inner(),
            accuracy: self.accuracy.into_inner(),
            backlog_splits: self.backlog_splits.into_inner(),
            reference: self.reference.into_inner(),
        }
    }
}
