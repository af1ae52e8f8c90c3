//! Settings from `sprintlens.toml`: per-team decks, status names, the rolling window, sprint
//! length and split thresholds, over defaults. Resolved once; every stage reads the result.

use crate::domain::{BuiltinDeck, ItemStatus};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The settings file's name, looked for next to the database when `--config` is not given.
pub const SETTINGS_FILE: &str = "sprintlens.toml";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    defaults: TeamSettingsFile,
    #[serde(default)]
    teams: BTreeMap<String, TeamSettingsFile>,
    #[serde(default)]
    server: ServerFile,
    #[serde(default)]
    dashboard: DashboardFile,
    #[serde(default)]
    retro: RetroFile,
    #[serde(default)]
    sync: SyncFile,
}

/// `[sync]` in `sprintlens.toml`: the trackers `sprintlens sync` reads.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SyncFile {
    jira: Option<JiraFile>,
}

/// `[sync.jira]`: the site, its boards (team = board id), and how to read them.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct JiraFile {
    url: String,
    flavour: Option<String>,
    email: Option<String>,
    token: Option<String>,
    #[serde(default)]
    teams: BTreeMap<String, u64>,
    points_field: Option<String>,
    every_minutes: Option<u64>,
    concurrency: Option<usize>,
}

impl std::fmt::Debug for JiraFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraFile")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Jira's two kinds of site: they differ in authentication and in how issues are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JiraFlavour {
    /// Atlassian's cloud: e-mail and API token (Basic), `search/jql` paged by token.
    Cloud,
    /// A site of one's own (Data Center, Server): a personal access token (Bearer), `search`
    /// paged by `startAt`.
    DataCenter,
}

/// `[sync.jira]` resolved. The token, if the file gives one, is kept here only; it is never
/// shown (the Debug form leaves it out).
#[derive(Clone, PartialEq)]
pub struct JiraSync {
    /// The site's address, without a trailing slash.
    pub url: String,
    pub flavour: JiraFlavour,
    /// Cloud: the account's e-mail (else `SPRINTLENS_JIRA_EMAIL`).
    pub email: Option<String>,
    /// The API token or personal access token (else `SPRINTLENS_JIRA_TOKEN`).
    pub token: Option<String>,
    /// Team key -> board id.
    pub teams: BTreeMap<String, u64>,
    /// The story-point field's name or id, where the board's estimation field and the usual
    /// names are not it.
    pub points_field: Option<String>,
    /// `serve` runs the sync every this many minutes (0: not at all).
    pub every_minutes: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl std::fmt::Debug for JiraSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraSync")
            .field("url", &self.url)
            .field("flavour", &self.flavour)
            .field("teams", &self.teams)
            .field("points_field", &self.points_field)
            .field("every_minutes", &self.every_minutes)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl JiraSync {
    fn resolve(f: &JiraFile) -> std::result::Result<JiraSync, String> {
        let url = f.url.trim().trim_end_matches('/').to_string();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!(
                "sync.jira.url: \"{url}\" is not a site address (https://...)"
            ));
        }
        let flavour = match f.flavour.as_deref().map(|s| s.to_ascii_lowercase()) {
            Some(s) if s == "cloud" => JiraFlavour::Cloud,
            Some(s) if s == "datacenter" || s == "data_center" || s == "server" => {
                JiraFlavour::DataCenter
            }
            Some(s) => {
                return Err(format!(
                    "sync.jira.flavour: \"{s}\" is not cloud or datacenter"
                ));
            }
            None if url.contains(".atlassian.net") => JiraFlavour::Cloud,
            None => JiraFlavour::DataCenter,
        };
        let concurrency = f.concurrency.unwrap_or(4);
        if !(1..=16).contains(&concurrency) {
            return Err("sync.jira.concurrency: from 1 to 16".into());
        }
        Ok(JiraSync {
            url,
            flavour,
            email: f.email.clone(),
            token: f.token.clone(),
            teams: f.teams.clone(),
            points_field: f.points_field.clone(),
            every_minutes: f.every_minutes.unwrap_or(0),
            concurrency,
        })
    }
}

/// `[retro]` in `sprintlens.toml`: how the estimation retrospective reads drift and picks
/// reference stories.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RetroFile {
    faster: Option<f64>,
    velocity_rise: Option<f64>,
    quarter_items: Option<usize>,
    quick_rounds: Option<i64>,
    recent_days: Option<i64>,
}

/// The estimation retrospective's thresholds (README "Drift", "Reference stories").
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Retro {
    /// The fall of a card's median cycle time that counts as markedly faster.
    pub faster: f64,
    /// The rise of velocity that, beside faster cards, reads as point inflation.
    pub velocity_rise: f64,
    /// Items a card needs in a quarter to have a median there (>= 1).
    pub quarter_items: usize,
    /// Rounds within which consensus counts as quick for a reference story (>= 1).
    pub quick_rounds: i64,
    /// How far back, in days, a reference story counts as recent (>= 1).
    pub recent_days: i64,
}

impl Default for Retro {
    fn default() -> Retro {
        Retro {
            faster: 0.2,
            velocity_rise: 0.1,
            quarter_items: 3,
            quick_rounds: 2,
            recent_days: 182,
        }
    }
}

fn retro(f: &RetroFile) -> std::result::Result<Retro, String> {
    let mut r = Retro::default();
    for (v, key, into) in [
        (f.faster, "faster", &mut r.faster),
        (f.velocity_rise, "velocity_rise", &mut r.velocity_rise),
    ] {
        if let Some(v) = v {
            if !(v > 0.0 && v <= 1.0) {
                return Err(format!("retro.{key}: must be above 0 and at most 1"));
            }
            *into = v;
        }
    }
    if let Some(n) = f.quarter_items {
        if n < 1 {
            return Err("retro.quarter_items: must be at least 1".into());
        }
        r.quarter_items = n;
    }
    // recent_days counts back from the as-of day: a century is more than any history (and a
    // billion days is before any calendar).
    for (v, key, into, most) in [
        (
            f.quick_rounds,
            "quick_rounds",
            &mut r.quick_rounds,
            i64::MAX,
        ),
        (f.recent_days, "recent_days", &mut r.recent_days, 36_525),
    ] {
        if let Some(v) = v {
            if v < 1 {
                return Err(format!("retro.{key}: must be at least 1"));
            }
            if v > most {
                return Err(format!("retro.{key}: must be at most {most}"));
            }
            *into = v;
        }
    }
    Ok(r)
}

/// `[dashboard]` in `sprintlens.toml`: how the leadership view reads predictability, the same
/// for every team (teams are compared with one another).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DashboardFile {
    window: Option<usize>,
    say_do_target: Option<f64>,
    cv_limit: Option<f64>,
    change: Option<f64>,
    alert: Option<f64>,
}

/// The leadership view's thresholds (README "Leadership view").
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Leadership {
    /// Closed sprints in a window (>= 2).
    pub window: usize,
    /// Say/do from which a steady team counts as predictable.
    pub say_do_target: f64,
    /// CV above which a team counts as erratic.
    pub cv_limit: f64,
    /// The smallest move of say/do or CV read as a direction.
    pub change: f64,
    /// The move of say/do, CV or forecast width that makes a team one to talk to.
    pub alert: f64,
}

impl Default for Leadership {
    fn default() -> Leadership {
        Leadership {
            window: 4,
            say_do_target: 0.8,
            cv_limit: 0.25,
            change: 0.05,
            alert: 0.10,
        }
    }
}

fn leadership(f: &DashboardFile) -> std::result::Result<Leadership, String> {
    let mut l = Leadership::default();
    if let Some(w) = f.window {
        if w < 2 {
            return Err("dashboard.window: must be at least 2 (a CV needs two sprints)".into());
        }
        l.window = w;
    }
    for (v, key, max, into) in [
        (f.say_do_target, "say_do_target", 1.0, &mut l.say_do_target),
        (f.cv_limit, "cv_limit", 10.0, &mut l.cv_limit),
        (f.change, "change", 1.0, &mut l.change),
        (f.alert, "alert", 1.0, &mut l.alert),
    ] {
        if let Some(v) = v {
            if !(v > 0.0 && v <= max) {
                return Err(format!(
                    "dashboard.{key}: must be above 0 and at most {max}"
                ));
            }
            *into = v;
        }
    }
    Ok(l)
}

/// How request logs are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(s: &str) -> Option<LogFormat> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// `[server]` in `sprintlens.toml`: every field optional, flags win.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    pub bind: Option<String>,
    pub public: Option<bool>,
    pub max_upload_mib: Option<u64>,
    pub cache_mib: Option<u64>,
    pub header_timeout_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TeamSettingsFile {
    deck: Option<String>,
    done_statuses: Option<Vec<String>>,
    not_done_statuses: Option<Vec<String>>,
    removed_statuses: Option<Vec<String>>,
    window: Option<usize>,
    sprint_days: Option<i64>,
    split: Option<SplitFile>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SplitFile {
    round1_spread: Option<i64>,
    last_spread: Option<i64>,
    max_rounds: Option<i64>,
    question_share: Option<f64>,
    max_points: Option<f64>,
    velocity_share: Option<f64>,
    min_items: Option<i64>,
    carry_over_margin: Option<f64>,
    score_cut: Option<i64>,
    weights: Option<Vec<i64>>,
    max_share: Option<f64>,
}

/// Thresholds of the split signals.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SplitThresholds {
    /// Signal 1: round-1 spread at least this many card steps.
    pub round1_spread: i64,
    /// Signal 2: last-round spread at least this many steps ...
    pub last_spread: i64,
    /// ... or at least this many rounds.
    pub max_rounds: i64,
    /// Signal 3: share of `?` votes at least this.
    pub question_share: f64,
    /// Signal 4: estimate at least this many points.
    pub max_points: f64,
    /// Signal 5: estimate at least this share of the rolling velocity.
    pub velocity_share: f64,
    /// Signal 6: a size bucket speaks only with at least this many items.
    pub min_items: i64,
    /// Signal 6: the bucket's carry-over rate at least this far above the team's own rate.
    pub carry_over_margin: f64,
    /// A story is listed to split at this score or more; below it, watched.
    pub score_cut: i64,
    /// The weight of each signal (1 to 6) in the score.
    pub weights: [i64; 6],
    /// A team's list holds at most this share of the stories checked (the highest scores;
    /// at least one); the rest at the cut or above are watched.
    pub max_share: f64,
}

impl Default for SplitThresholds {
    fn default() -> Self {
        SplitThresholds {
            round1_spread: 2,
            last_spread: 2,
            max_rounds: 3,
            question_share: 0.25,
            max_points: 13.0,
            velocity_share: 0.5,
            min_items: 5,
            carry_over_margin: 0.15,
            score_cut: 4,
            weights: [1, 1, 1, 1, 3, 1],
            max_share: 0.25,
        }
    }
}

/// One team's settings (or the defaults).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TeamSettings {
    /// The deck of a team whose decks file names none.
    pub deck: BuiltinDeck,
    /// Status names (any case; spaces and hyphens as underscores) of sprint items.
    pub statuses: StatusNames,
    /// Closed sprints in the rolling window.
    pub window: usize,
    /// Sprint length in days where the sprints have no dates.
    pub sprint_days: i64,
    pub split: SplitThresholds,
}

/// Which status names mean done, not done and removed at a sprint's end.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StatusNames {
    pub done: Vec<String>,
    pub not_done: Vec<String>,
    pub removed: Vec<String>,
}

impl Default for StatusNames {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect();
        StatusNames {
            done: v(&["done", "completed", "closed", "resolved"]),
            not_done: v(&[
                "not_done",
                "notdone",
                "open",
                "in_progress",
                "todo",
                "to_do",
                "in_review",
                "review",
                "blocked",
                "backlog",
                "new",
                "active",
                "selected_for_development",
                "reopened",
            ]),
            // Jira's and Linear's usual names for work dropped from a sprint.
            removed: v(&[
                "removed",
                "won't do",
                "won't fix",
                "cancelled",
                "canceled",
                "rejected",
                "declined",
            ]),
        }
    }
}

impl StatusNames {
    /// The status a name stands for, if any.
    pub fn parse(&self, name: &str) -> Option<ItemStatus> {
        let n = normalise_status(name);
        let has = |list: &[String]| list.iter().any(|x| normalise_status(x) == n);
        if has(&self.done) {
            Some(ItemStatus::Done)
        } else if has(&self.not_done) {
            Some(ItemStatus::NotDone)
        } else if has(&self.removed) {
            Some(ItemStatus::Removed)
        } else {
            None
        }
    }

    /// The category of a workflow status (`todo`, `in_progress` or `done`) for a sprint event
    /// that names none: the done and removed names are `done`; the usual names of work not yet
    /// begun (open, to do, backlog, new, selected for development, reopened) are `todo`; any
    /// other status is work in progress.
    pub fn category(&self, name: &str) -> &'static str {
        const NOT_BEGUN: [&str; 7] = [
            "open",
            "todo",
            "to_do",
            "backlog",
            "new",
            "selected_for_development",
            "reopened",
        ];
        match self.parse(name) {
            Some(ItemStatus::Done | ItemStatus::Removed) => "done",
            _ if NOT_BEGUN.contains(&normalise_status(name).as_str()) => "todo",
            _ => "in_progress",
        }
    }
}

fn normalise_status(s: &str) -> String {
    s.trim().to_lowercase().replace(['-', ' '], "_")
}

impl Default for TeamSettings {
    fn default() -> Self {
        TeamSettings {
            deck: crate::domain::DEFAULT_DECK,
            statuses: StatusNames::default(),
            window: 3,
            sprint_days: 14,
            split: SplitThresholds::default(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file the settings came from, if any.
    pub file: Option<std::path::PathBuf>,
    pub defaults: TeamSettings,
    pub teams: BTreeMap<String, TeamSettings>,
    /// `[server]`: how `sprintlens serve` runs (flags win).
    pub server: ServerFile,
    /// `[dashboard]`: the leadership view's thresholds.
    pub dashboard: Leadership,
    /// `[retro]`: the estimation retrospective's thresholds.
    pub retro: Retro,
    /// `[sync.jira]`, when the file has it.
    pub jira: Option<JiraSync>,
}

impl Settings {
    /// The settings file as messages name it (its default name when there is none).
    pub fn file_name(&self) -> String {
        self.file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| SETTINGS_FILE.to_string())
    }

    pub fn team(&self, team: &str) -> &TeamSettings {
        self.teams.get(team).unwrap_or(&self.defaults)
    }

    /// Reads `explicit`, else `sprintlens.toml` next to the database, else the defaults.
    pub fn load(explicit: Option<&Path>, db: &Path) -> Result<Settings> {
        let path = match explicit {
            Some(p) => {
                if !p.is_file() {
                    return Err(Error::Usage(format!(
                        "{}: the settings file does not exist",
                        p.display()
                    )));
                }
                p.to_path_buf()
            }
            None => {
                let beside = db.parent().unwrap_or(Path::new(".")).join(SETTINGS_FILE);
                if !beside.is_file() {
                    return Ok(Settings::default());
                }
                beside
            }
        };
        let text =
            std::fs::read_to_string(&path).map_err(Error::io(&path, "cannot read the settings"))?;
        Settings::parse(&text, &path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Settings> {
        let bad = |msg: String| Error::Usage(format!("{}: {msg}", path.display()));
        // The message and its line, not the line's text: it may hold a token.
        let file: SettingsFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|r| text[..r.start.min(text.len())].matches('\n').count() + 1);
            // The key of that line (what stands before `=`), never its value.
            let key = line
                .and_then(|l| text.lines().nth(l - 1))
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim())
                .filter(|k| !k.is_empty());
            bad(match (line, key) {
                (Some(l), Some(k)) => format!("line {l}, {k}: {}", e.message().trim()),
                (Some(l), None) => format!("line {l}: {}", e.message().trim()),
                _ => e.message().trim().to_string(),
            })
        })?;
        let defaults =
            resolve(&TeamSettings::default(), &file.defaults, "defaults").map_err(&bad)?;
        let mut teams = BTreeMap::new();
        for (name, t) in &file.teams {
            teams.insert(
                name.clone(),
                resolve(&defaults, t, &format!("teams.{name}")).map_err(&bad)?,
            );
        }
        let jira = match &file.sync.jira {
            Some(j) => Some(JiraSync::resolve(j).map_err(&bad)?),
            None => None,
        };
        Ok(Settings {
            jira,
            file: Some(path.to_path_buf()),
            server: file.server.clone(),
            dashboard: leadership(&file.dashboard).map_err(&bad)?,
            retro: retro(&file.retro).map_err(&bad)?,
            defaults,
            teams,
        })
    }
}

fn resolve(
    base: &TeamSettings,
    f: &TeamSettingsFile,
    at: &str,
) -> std::result::Result<TeamSettings, String> {
    let mut s = base.clone();
    if let Some(d) = &f.deck {
        s.deck = BuiltinDeck::parse(d).ok_or_else(|| {
            format!(
                "{at}.deck: \"{d}\" is not a deck sprintlens knows ({})",
                BuiltinDeck::ALL.map(|d| d.name()).join(", ")
            )
        })?;
    }
    for (list, key, into) in [
        (&f.done_statuses, "done_statuses", &mut s.statuses.done),
        (
            &f.not_done_statuses,
            "not_done_statuses",
            &mut s.statuses.not_done,
        ),
        (
            &f.removed_statuses,
            "removed_statuses",
            &mut s.statuses.removed,
        ),
    ] {
        if let Some(l) = list {
            if l.is_empty() || l.iter().any(|x| x.trim().is_empty()) {
                return Err(format!("{at}.{key}: must list at least one non-empty name"));
            }
            *into = l.clone();
        }
    }
    if let Some(w) = f.window {
        if w == 0 {
            return Err(format!("{at}.window: must be at least 1"));
        }
        s.window = w;
    }
    if let Some(d) = f.sprint_days {
        if d < 1 {
            return Err(format!("{at}.sprint_days: must be at least 1"));
        }
        s.sprint_days = d;
    }
    if let Some(sp) = &f.split {
        let steps = |v: Option<i64>,
                     key: &str,
                     min: i64,
                     into: &mut i64|
         -> std::result::Result<(), String> {
            if let Some(v) = v {
                if v < min {
                    return Err(format!("{at}.split.{key}: must be at least {min}"));
                }
                *into = v;
            }
            Ok(())
        };
        steps(
            sp.round1_spread,
            "round1_spread",
            1,
            &mut s.split.round1_spread,
        )?;
        steps(sp.last_spread, "last_spread", 1, &mut s.split.last_spread)?;
        steps(sp.max_rounds, "max_rounds", 2, &mut s.split.max_rounds)?;
        steps(sp.min_items, "min_items", 1, &mut s.split.min_items)?;
        steps(sp.score_cut, "score_cut", 1, &mut s.split.score_cut)?;
        if let Some(w) = &sp.weights {
            let bad = || {
                format!(
                    "{at}.split.weights: expected six whole numbers from 0 to 10, one per signal"
                )
            };
            s.split.weights = w
                .as_slice()
                .try_into()
                .ok()
                .filter(|w: &[i64; 6]| w.iter().all(|x| (0..=10).contains(x)))
                .ok_or_else(bad)?;
        }
        let share =
            |v: Option<f64>, key: &str, into: &mut f64| -> std::result::Result<(), String> {
                if let Some(v) = v {
                    if !(v > 0.0 && v <= 1.0) {
                        return Err(format!("{at}.split.{key}: must be above 0 and at most 1"));
                    }
                    *into = v;
                }
                Ok(())
            };
        share(
            sp.question_share,
            "question_share",
            &mut s.split.question_share,
        )?;
        share(
            sp.velocity_share,
            "velocity_share",
            &mut s.split.velocity_share,
        )?;
        share(
            sp.carry_over_margin,
            "carry_over_margin",
            &mut s.split.carry_over_margin,
        )?;
        share(sp.max_share, "max_share", &mut s.split.max_share)?;
        if let Some(p) = sp.max_points {
            if !(p > 0.0 && p.is_finite()) {
                return Err(format!("{at}.split.max_points: must be above 0"));
            }
            s.split.max_points = p;
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_settings_override_defaults_which_override_built_ins() {
        let s = Settings::parse(
            "[defaults]\nwindow = 4\n[defaults.split]\nmax_points = 8\n[teams.pay.split]\nquestion_share = 0.5\n",
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(s.defaults.window, 4);
        assert_eq!(s.team("other").split.max_points, 8.0);
        let pay = s.team("pay");
        assert_eq!(
            (pay.window, pay.split.max_points, pay.split.question_share),
            (4, 8.0, 0.5)
        );
        assert_eq!(pay.split.round1_spread, 2);
    }

    #[test]
    fn decks_and_status_names_are_settings() {
        let s = Settings::parse(
            "[defaults]\ndeck = \"fibonacci\"\n[teams.web]\ndeck = \"tshirt\"\ndone_statuses = [\"Shipped\", \"Closed\"]\n",
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(
            (s.team("x").deck, s.team("web").deck),
            (BuiltinDeck::Fibonacci, BuiltinDeck::TShirt)
        );
        assert_eq!(
            s.team("web").statuses.parse("shipped"),
            Some(ItemStatus::Done)
        );
        assert_eq!(s.team("web").statuses.parse("Done"), None);
        assert_eq!(
            s.team("x").statuses.parse("In Progress"),
            Some(ItemStatus::NotDone)
        );
        let e = Settings::parse("[defaults]\ndeck = \"tarot\"\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("s.toml: defaults.deck: \"tarot\" is not a deck"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_file_and_key() {
        let e = Settings::parse("[defaults]\nwindoww = 3\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml: ") && e.contains("windoww"), "{e}");
        let e = Settings::parse(
            "[teams.pay.split]\nquestion_share = 2\n",
            Path::new("s.toml"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "s.toml: teams.pay.split.question_share: must be above 0 and at most 1"
        );
        let e = Settings::parse("[defaults]\nwindow = \"three\"\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("window"), "{e}");
    }

    #[test]
    fn the_retrospective_thresholds_are_settings() {
        let r = Settings::parse("", Path::new("s.toml")).unwrap().retro;
        assert_eq!(r, Retro::default());
        let r = Settings::parse(
            "[retro]\nfaster = 0.3\nquarter_items = 5\nrecent_days = 90\n",
            Path::new("s.toml"),
        )
        .unwrap()
        .retro;
        assert_eq!(
            (
                r.faster,
                r.velocity_rise,
                r.quarter_items,
                r.quick_rounds,
                r.recent_days
            ),
            (0.3, 0.1, 5, 2, 90)
        );
        for (text, want) in [
            (
                "faster = 0",
                "s.toml: retro.faster: must be above 0 and at most 1",
            ),
            (
                "quick_rounds = 0",
                "s.toml: retro.quick_rounds: must be at least 1",
            ),
            (
                "quarter_items = 0",
                "s.toml: retro.quarter_items: must be at least 1",
            ),
            (
                "recent_days = 1000000000",
                "s.toml: retro.recent_days: must be at most 36525",
            ),
        ] {
            let e = Settings::parse(&format!("[retro]\n{text}\n"), Path::new("s.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn the_dashboard_thresholds_are_settings() {
        let d = Settings::parse("", Path::new("s.toml")).unwrap().dashboard;
        assert_eq!(d, Leadership::default());
        assert_eq!((d.window, d.say_do_target, d.cv_limit), (4, 0.8, 0.25));
        let d = Settings::parse(
            "[dashboard]\nwindow = 6\ncv_limit = 0.3\nalert = 0.2\n",
            Path::new("s.toml"),
        )
        .unwrap()
        .dashboard;
        assert_eq!(
            (d.window, d.cv_limit, d.alert, d.change),
            (6, 0.3, 0.2, 0.05)
        );
        for (text, says) in [
            ("window = 1", "s.toml: dashboard.window: must be at least 2"),
            (
                "say_do_target = 1.5",
                "s.toml: dashboard.say_do_target: must be above 0 and at most 1",
            ),
            (
                "change = 0",
                "s.toml: dashboard.change: must be above 0 and at most 1",
            ),
        ] {
            let e = Settings::parse(&format!("[dashboard]\n{text}\n"), Path::new("s.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(says), "{e}");
        }
        let e = Settings::parse("[dashboard]\nwindoe = 3\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("windoe"), "{e}");
    }
}
