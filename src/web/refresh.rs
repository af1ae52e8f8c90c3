//! Reports kept ready ahead of visits. One background thread computes every team's reports
//! for today when the server starts (the warm-up, after which `/readyz` says ready), then, after
//! writes, the reports of the teams they wrote, once writes pause ([`QUIET`], at most
//! [`MAX_WAIT`] after the first), so a page opened after a round is revealed finds its team's
//! reports computed instead of waiting for them. A team written again within [`TEAM_EVERY`] of
//! its last recomputation waits for that time to pass: an estimation room stores a round every
//! minute or so, and recomputing its team after each would take a core from the rooms (a
//! visit meanwhile computes the page itself). Every team's again when the day changes
//! (the reports are kept per day). The dashboards visited for today in the last hour are
//! computed again after the teams once writes have paused for [`DASHBOARD_QUIET`] (a dashboard
//! covers every team of its program, so any write changes it; each costs about a second at 200
//! teams, too much to repeat after every one of a stream of ingests).
//!
//! It computes one report at a time on one reading connection, through the same per-report
//! gate as requests: a visit during a recomputation waits for it and never computes the same
//! report twice. It ends when the server stops ([`Refresh::stop`]: after the report under way)
//! or its state goes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// Writes this close together are taken as one: their teams are recomputed once.
pub const QUIET: Duration = Duration::from_millis(250);
/// A steady stream of writes still has its teams recomputed this soon after the first.
pub const MAX_WAIT: Duration = Duration::from_secs(2);
/// A team is recomputed at most this often while it keeps being written.
pub const TEAM_EVERY: Duration = Duration::from_secs(15);
/// Dashboards are computed again once writes have paused this long (each costs about a second
/// at 200 teams: not after every one of a stream of ingests).
pub const DASHBOARD_QUIET: Duration = Duration::from_secs(2);
/// A dashboard visited for today within this long is kept computed after writes.
pub const KEEP_DASHBOARDS: Duration = Duration::from_secs(3600);
/// How often an idle refresher looks at the day and whether the server still runs.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Which reports wait to be computed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// Every team's (the warm-up, a new day, a write whose teams are not known).
    All,
    Teams(BTreeSet<String>),
}

#[derive(Default)]
struct Pending {
    stale: Option<Stale>,
    first: Option<Instant>,
    last: Option<Instant>,
    /// The last mark, taken or not.
    latest: Option<Instant>,
}

/// The teams marked stale since the last pass, and the refresher's signal.
#[derive(Default)]
pub struct Refresh {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Team reports the refresher brought up to date since the start (computed, or found
    /// computed by a visit meanwhile; the warm-up not counted).
    pub refreshed: AtomicUsize,
    /// Teams taken and not yet computed in the pass under way, or waiting for [`TEAM_EVERY`].
    queued: AtomicUsize,
    /// Dashboards visited for today, by program (`None`: every team's), and when last.
    dashboards: Mutex<std::collections::HashMap<Option<String>, Instant>>,
    /// Dashboards computed again after writes since the start.
    pub dashboards_refreshed: AtomicUsize,
    /// Set when the server stops: the refresher ends after the report it is computing.
    stopped: std::sync::atomic::AtomicBool,
}

impl Refresh {
    /// Marks teams' reports (`None`: every team's) to be computed again.
    pub fn mark(&self, teams: Option<&[String]>) {
        let Ok(mut p) = self.pending.lock() else {
            return;
        };
        let now = Instant::now();
        p.stale = Some(match (p.stale.take(), teams) {
            (Some(Stale::All), _) | (_, None) => Stale::All,
            (Some(Stale::Teams(mut set)), Some(list)) => {
                set.extend(list.iter().cloned());
                Stale::Teams(set)
            }
            (None, Some(list)) => Stale::Teams(list.iter().cloned().collect()),
        });
        p.first.get_or_insert(now);
        p.last = Some(now);
        p.latest = Some(now);
        self.wake.notify_all();
    }

    /// Asks the refresher to end (it finishes the report it is computing first).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        // Under the lock, so that a refresher about to wait sees it or is woken.
        let _held = self.pending.lock();
        self.wake.notify_all();
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// How long since the last write was marked (`None`: none since the start).
    fn quiet_for(&self) -> Option<Duration> {
        self.pending.lock().ok()?.latest.map(|t| t.elapsed())
    }

    /// Notes a visit of today's dashboard of `program`.
    pub fn visited(&self, program: Option<&str>) {
        if let Ok(mut d) = self.dashboards.lock() {
            d.insert(program.map(str::to_string), Instant::now());
        }
    }

    /// The dashboards visited within [`KEEP_DASHBOARDS`] (the others are forgotten).
    fn kept_dashboards(&self) -> Vec<Option<String>> {
        let Ok(mut d) = self.dashboards.lock() else {
            return Vec::new();
        };
        d.retain(|_, at| at.elapsed() <= KEEP_DASHBOARDS);
        let mut kept: Vec<Option<String>> = d.keys().cloned().collect();
        kept.sort();
        kept
    }

    /// Team reports waiting to be computed again: marked, or taken and not yet computed
    /// (`None`: every team's).
    pub fn pending(&self) -> Option<usize> {
        let queued = self.queued.load(Ordering::Relaxed);
        match self.pending.lock().ok().and_then(|p| p.stale.clone()) {
            Some(Stale::All) => None,
            Some(Stale::Teams(t)) => Some(t.len() + queued),
            None => Some(queued),
        }
    }

    /// Waits until marked teams are due (writes paused for [`QUIET`], or [`MAX_WAIT`] passed
    /// since the first mark) and takes them; `None` after `idle` with nothing due.
    fn next_due(&self, idle: Duration) -> Option<Stale> {
        let mut p = self.pending.lock().ok()?;
        let idle_until = Instant::now() + idle;
        loop {
            let now = Instant::now();
            let deadline = match (&p.stale, p.first, p.last) {
                (Some(_), Some(first), Some(last)) => {
                    let due = (last + QUIET).min(first + MAX_WAIT);
                    if now >= due {
                        p.first = None;
                        p.last = None;
                        return p.stale.take();
                    }
                    due.min(idle_until)
                }
                _ => idle_until,
            };
            if now >= deadline || self.is_stopped() {
                return None;
            }
            p = self.wake.wait_timeout(p, deadline - now).ok()?.0;
        }
    }
}

/// Today, as the server's pages default to it and the refresher computes them: one
/// definition, so the reports kept ready are the ones asked for.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// What the refresher works on: the server's state.
pub trait Reports: Send + Sync + 'static {
    /// The marks of writes.
    fn refresh(&self) -> &Arc<Refresh>;
    /// The warm-up is done: the server is ready (`/readyz`).
    fn set_ready(&self);
    /// The teams the store holds now.
    fn teams(&self) -> Vec<String>;
    /// The teams whose reports for `day` are kept in the store and current (nothing to
    /// compute for them at the start).
    fn kept_teams(&self, _day: chrono::NaiveDate) -> std::collections::HashSet<String> {
        Default::default()
    }
    /// Computes (or finds current) a team's reports for `day`; false when it cannot.
    fn compute(&self, team: &str, day: chrono::NaiveDate) -> bool;
    /// Computes (or finds current) a dashboard for `day`; false when it cannot.
    fn compute_dashboard(&self, program: Option<&str>, day: chrono::NaiveDate) -> bool;
}

/// Starts the refresher of `state` (see the module's doc).
pub fn start<S: Reports>(state: &Arc<S>) -> std::io::Result<std::thread::JoinHandle<()>> {
    let weak = Arc::downgrade(state);
    let refresh = state.refresh().clone();
    std::thread::Builder::new()
        .name("refresh".into())
        .spawn(move || run(weak, refresh))
}

fn run<S: Reports>(state: Weak<S>, refresh: Arc<Refresh>) {
    let mut day = today();
    // The warm-up: every team's reports for today that the store does not keep current,
    // computed on every core (requests interleave), and the dashboard of every team, so first
    // visits find them ready; failures are left for the page to report.
    {
        let Some(s) = state.upgrade() else {
            return;
        };
        let kept = s.kept_teams(day);
        let todo: Vec<String> = s
            .teams()
            .into_iter()
            .filter(|t| !kept.contains(t))
            .collect();
        let next = AtomicUsize::new(0);
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some(t) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if refresh.is_stopped() {
                            return;
                        }
                        s.compute(t, day);
                    }
                });
            }
        });
        if refresh.is_stopped() {
            return;
        }
        s.compute_dashboard(None, day);
        s.set_ready();
    }
    // Teams to compute, the most recently written first.
    let mut queue: std::collections::VecDeque<String> = Default::default();
    // Teams recomputed lately (today), and when; and teams waiting for TEAM_EVERY to pass.
    let mut done: std::collections::HashMap<String, Instant> = Default::default();
    let mut later = Later::default();
    // Writes were taken since the dashboards were last computed.
    let mut dashboards_stale = false;
    loop {
        // While a pass runs, teams written since come before the rest of it.
        let idle = if queue.is_empty() {
            later.next_in().map_or(IDLE_CHECK, |d| d.min(IDLE_CHECK))
        } else {
            Duration::ZERO
        };
        let due = refresh.next_due(idle);
        if refresh.is_stopped() {
            return;
        }
        let Some(s) = state.upgrade() else {
            return;
        };
        let now = today();
        let due = if now != day {
            day = now;
            queue.clear();
            done.clear();
            later = Later::default();
            Some(Stale::All)
        } else {
            due
        };
        dashboards_stale |= due.is_some();
        match due {
            None => {}
            Some(Stale::All) => queue = s.teams().into(),
            Some(Stale::Teams(t)) => {
                queue.retain(|q| !t.contains(q));
                for team in t.into_iter().rev() {
                    queue.push_front(team);
                }
            }
        }
        for t in later.due() {
            if !queue.contains(&t) {
                queue.push_back(t);
            }
        }
        if let Some(t) = queue.pop_front() {
            match done.get(&t).map(|at| *at + TEAM_EVERY) {
                Some(at) if at > Instant::now() => later.wait(t, at),
                _ => {
                    // Counted as pending until its reports are in the cache.
                    refresh
                        .queued
                        .store(queue.len() + later.len() + 1, Ordering::Relaxed);
                    // A team the write removed, or a failure: its page reports it when asked.
                    if s.compute(&t, day) {
                        refresh.refreshed.fetch_add(1, Ordering::Relaxed);
                    }
                    done.insert(t, Instant::now());
                }
            }
        }
        refresh
            .queued
            .store(queue.len() + later.len(), Ordering::Relaxed);
        // The teams done and writes paused: the dashboards people look at.
        if queue.is_empty()
            && dashboards_stale
            && refresh.quiet_for().is_none_or(|q| q >= DASHBOARD_QUIET)
        {
            dashboards_stale = false;
            for p in refresh.kept_dashboards() {
                if refresh.is_stopped() {
                    return;
                }
                if s.compute_dashboard(p.as_deref(), day) {
                    refresh.dashboards_refreshed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Teams waiting for their time to be recomputed again.
#[derive(Default)]
struct Later(std::collections::HashMap<String, Instant>);

impl Later {
    /// `team` is to be recomputed at `at` (or at its earlier time, when it waits already).
    fn wait(&mut self, team: String, at: Instant) {
        let e = self.0.entry(team).or_insert(at);
        *e = (*e).min(at);
    }

    /// The teams whose time has come, in the order of their times.
    fn due(&mut self) -> Vec<String> {
        let now = Instant::now();
        let mut due: Vec<(Instant, String)> = Vec::new();
        self.0.retain(|t, at| {
            if *at <= now {
                due.push((*at, t.clone()));
                false
            } else {
                true
            }
        });
        due.sort();
        due.into_iter().map(|(_, t)| t).collect()
    }

    /// How long until the next one's time.
    fn next_in(&self) -> Option<Duration> {
        let now = Instant::now();
        self.0
            .values()
            .min()
            .map(|at| at.saturating_duration_since(now))
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn marks_close_together_are_taken_once_after_writes_pause() {
        let r = Refresh::default();
        assert_eq!(r.pending(), Some(0));
        assert_eq!(
            r.next_due(Duration::from_millis(50)),
            None,
            "nothing marked: nothing due"
        );
        let t0 = Instant::now();
        r.mark(Some(&teams(&["payments"])));
        r.mark(Some(&teams(&["search", "payments"])));
        assert_eq!(r.pending(), Some(2));
        let due = r.next_due(IDLE_CHECK);
        let waited = t0.elapsed();
        assert_eq!(
            due,
            Some(Stale::Teams(
                ["payments", "search"].map(String::from).into()
            ))
        );
        assert!(
            waited >= QUIET,
            "taken after {waited:?}, before writes paused"
        );
        assert_eq!(r.pending(), Some(0));
        // A write whose teams are not known makes every team stale, whatever was marked.
        r.mark(Some(&teams(&["payments"])));
        r.mark(None);
        r.mark(Some(&teams(&["search"])));
        assert_eq!(r.pending(), None);
        assert_eq!(r.next_due(IDLE_CHECK), Some(Stale::All));
    }

    #[test]
    fn a_stop_ends_a_wait_at_once() {
        let r = Arc::new(Refresh::default());
        let waiting = {
            let r = r.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                (r.next_due(Duration::from_secs(60)), t.elapsed())
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        r.stop();
        let (due, took) = waiting.join().unwrap();
        assert_eq!(due, None);
        assert!(took < Duration::from_secs(10), "{took:?}");
        // Stopped, marks are no longer waited for.
        r.mark(Some(&teams(&["payments"])));
        let t = Instant::now();
        assert_eq!(r.next_due(Duration::from_secs(60)), None);
        assert!(t.elapsed() < QUIET, "{:?}", t.elapsed());
    }

    #[test]
    fn a_team_waits_for_its_time_once() {
        let mut l = Later::default();
        assert_eq!(l.next_in(), None);
        let now = Instant::now();
        l.wait("search".into(), now + Duration::from_secs(60));
        l.wait("payments".into(), now + Duration::from_secs(3600));
        // Asked again for an earlier time: the earlier one holds.
        l.wait("payments".into(), now);
        l.wait("payments".into(), now + Duration::from_secs(7200));
        assert_eq!(l.len(), 2);
        assert_eq!(l.next_in(), Some(Duration::ZERO));
        assert_eq!(l.due(), vec!["payments".to_string()]);
        assert_eq!(l.len(), 1);
        assert!(l.due().is_empty());
        let left = l.next_in().unwrap();
        assert!(
            left > Duration::from_secs(50) && left <= Duration::from_secs(60),
            "{left:?}"
        );
    }

    #[test]
    fn the_dashboards_visited_are_kept() {
        let r = Refresh::default();
        assert!(r.kept_dashboards().is_empty());
        r.visited(Some("core"));
        r.visited(None);
        r.visited(Some("core"));
        assert_eq!(r.kept_dashboards(), vec![None, Some("core".to_string())]);
    }

    #[test]
    fn a_steady_stream_of_writes_is_taken_within_the_longest_wait() {
        let r = Arc::new(Refresh::default());
        let writer = {
            let r = r.clone();
            std::thread::spawn(move || {
                // A write every 50 ms for longer than the longest wait: never a pause.
                let end = Instant::now() + MAX_WAIT + Duration::from_secs(1);
                while Instant::now() < end {
                    r.mark(Some(&teams(&["payments"])));
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        let t0 = Instant::now();
        let mut due = None;
        while due.is_none() && t0.elapsed() < 2 * MAX_WAIT {
            due = r.next_due(IDLE_CHECK);
        }
        assert!(
            due.is_some() && t0.elapsed() <= MAX_WAIT + Duration::from_millis(500),
            "{due:?} after {:?}",
            t0.elapsed()
        );
        writer.join().unwrap();
    }
}
