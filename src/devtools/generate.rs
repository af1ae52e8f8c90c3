//! The data generator: writes realistic teams, decks, sprints, stories, votes and sprint items
//! in the native formats, for the sample data, the tests and the benchmarks.
//!
//! Everything comes from one seeded generator of our own (SplitMix64), so the same seed gives
//! the same bytes on every machine and every version of every dependency.
//!
//! The model (see README "Generated data"):
//! - teams of 4-9 voters, on Fibonacci, modified Fibonacci, powers of two or T-shirt decks;
//!   four teams to a program; one team in five runs one-week sprints, the rest two weeks;
//! - voters differ in skill (how far their card wanders from the story's size) and bias (some
//!   run high, some low; now and then one voter far more than the rest);
//! - every story has a true size (a deck step) and an amount of work in days that grows with it.
//!   Most stories are clear: the first round mostly agrees within a card. About one in five is
//!   ambiguous: it splits the table (votes from 5 to 13), brings `?` cards, needs further rounds,
//!   and half of those hide extra work (they take about 1.8 times as long as their size says);
//! - discussion between rounds usually helps (three times in four the room moves toward the
//!   story's size) but not always (else it follows its lowest or highest voter); rounds go on
//!   until the spread is at most one card step or four rounds have passed;
//! - sprints commit about the team's capacity, add work mid-sprint and remove some; each team
//!   has one card it systematically underestimates (those stories take 1.8 times as long);
//!   unfinished items carry over;
//! - one team in four inflates its points: its cards creep up 0.12 steps a sprint (at most
//!   1.5), so the same card means less work and velocity rises with no more delivered;
//! - steadier and noisier teams (the capacity's spread differs); one team in three logs hours.
//!
//! The truth the generator knows and the metrics cannot read ([`StoryTruth`]): a story is
//! "really too big" when its work did not fit one sprint: it takes longer than the team's
//! sprint, or it was carried over although its work had started by the sprint's middle (a
//! story carried over only because it started late is not too big: no vote can show that).

use crate::domain::{BuiltinDeck, Deck};
use crate::error::{Error, Result};
use crate::metrics::rng::Rng;
use crate::present::fmt::csv_field;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The generator's parameters.
#[derive(Debug, Clone)]
pub struct GenParams {
    pub teams: usize,
    pub sprints: usize,
    pub seed: u64,
    /// The first sprint's start (a Monday).
    pub start: NaiveDate,
}

impl Default for GenParams {
    fn default() -> Self {
        GenParams {
            teams: 3,
            sprints: 12,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2025, 1, 6).expect("valid date"),
        }
    }
}

/// How many rows of each file were written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GenSummary {
    pub teams: usize,
    pub decks: usize,
    pub sprints: usize,
    pub stories: usize,
    pub votes: usize,
    pub sprint_items: usize,
    pub sprint_events: usize,
    pub files: Vec<PathBuf>,
    /// Per story, what the generator knows of it (never written with the data).
    #[serde(skip)]
    pub truth: Vec<StoryTruth>,
}

/// What the generator knows of a story that the data does not say outright.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryTruth {
    pub team: String,
    pub story: String,
    /// The story's work in days.
    pub work_days: f64,
    /// It was carried over at the end of a sprint.
    pub carried_over: bool,
    /// Carried over although its work had started by that sprint's middle.
    pub overran: bool,
    /// It was done in some sprint (else it is in the backlog at the end).
    pub done: bool,
    /// "Really too big": its work did not fit one sprint. It takes longer than the team's
    /// sprint (done after longer than a sprint, or would be), or it was carried over although
    /// its work had started by the sprint's middle (not carried over for starting late).
    pub too_big: bool,
}

const TEAM_NAMES: &[&str] = &[
    "payments",
    "checkout",
    "search",
    "mobile",
    "platform",
    "identity",
    "growth",
    "billing",
    "onboarding",
    "notifications",
    "insights",
    "catalog",
    "shipping",
    "support",
    "pricing",
    "accounts",
];
const PROGRAMS: &[&str] = &["commerce", "core", "experience", "data", "operations"];
const VOTERS: &[&str] = &[
    "amara", "bruno", "chen", "dana", "elif", "farid", "greta", "hiro", "ines", "jonas", "kofi",
    "lena", "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sven", "tara",
];
const VERBS: &[&str] = &[
    "Add",
    "Show",
    "Export",
    "Validate",
    "Migrate",
    "Cache",
    "Retry",
    "Rename",
    "Split",
    "Audit",
    "Import",
    "Notify on",
    "Filter",
    "Paginate",
    "Localise",
];
const NOUNS: &[&str] = &[
    "invoice PDF",
    "refund status",
    "saved cards",
    "search results",
    "login page",
    "API tokens",
    "order history",
    "webhook events",
    "address form",
    "tax report",
    "user roles",
    "price rules",
    "push settings",
    "CSV export",
    "audit trail",
    "session timeout",
];
const QUALIFIERS: &[&str] = &[
    "",
    "",
    "",
    " for admins",
    " on mobile",
    ", with retries",
    " in the EU",
    " (phase 2)",
    " behind a flag",
];

struct TeamPlan {
    key: String,
    prefix: String,
    program: &'static str,
    deck: Deck,
    builtin: BuiltinDeck,
    voters: Vec<Voter>,
    sprint_days: i64,
    capacity: f64,
    steadiness: f64,
    overcommit: f64,
    slow_bucket: usize,
    logs_hours: bool,
    hours_per_point: f64,
    /// Card steps the team's votes creep up each sprint (point inflation).
    inflation: f64,
}

/// A voter: name, bias in card steps (above zero: votes high), skill (the sd of their card
/// around the story's size, in steps, for a clear story).
struct Voter {
    name: String,
    bias: f64,
    skill: f64,
}

/// The most card steps a team's points inflate.
const MAX_INFLATION: f64 = 1.5;

impl TeamPlan {
    /// Card steps the votes have crept up by sprint `s` (0-based).
    fn drift(&self, s: usize) -> f64 {
        (self.inflation * s as f64).min(MAX_INFLATION)
    }
}

fn plan_team(rng: &mut Rng, i: usize) -> TeamPlan {
    let base = TEAM_NAMES[i % TEAM_NAMES.len()];
    let key = if i < TEAM_NAMES.len() {
        base.to_string()
    } else {
        format!("{base}-{}", i / TEAM_NAMES.len() + 1)
    };
    let prefix = {
        let p: String = base.chars().take(3).collect::<String>().to_uppercase();
        if i < TEAM_NAMES.len() {
            p
        } else {
            format!("{p}{}", i / TEAM_NAMES.len() + 1)
        }
    };
    let builtin = match i % 5 {
        0 | 3 => BuiltinDeck::ModifiedFibonacci,
        1 => BuiltinDeck::Fibonacci,
        2 => BuiltinDeck::TShirt,
        _ => BuiltinDeck::PowersOfTwo,
    };
    let deck = builtin.deck();
    let n_voters = rng.range(4, 9) as usize;
    let mut voters = Vec::with_capacity(n_voters);
    let offset = rng.range(0, VOTERS.len() as i64 - 1) as usize;
    for k in 0..n_voters {
        let name = VOTERS[(offset + k * 7) % VOTERS.len()];
        // A voter's bias in card steps: most are close; in half the teams one runs far high
        // or low.
        let bias = if k == 0 && rng.chance(0.5) {
            if rng.chance(0.5) { 0.6 } else { -0.6 }
        } else {
            rng.normal() * 0.15
        };
        voters.push(Voter {
            name: format!("{name}.{}", (b'a' + (i % 26) as u8) as char),
            bias,
            skill: 0.15 + rng.unit() * 0.35,
        });
    }
    let sprint_days = if i % 5 == 4 { 7 } else { 14 };
    let steadiness = if i.is_multiple_of(3) {
        0.08
    } else if i % 3 == 1 {
        0.18
    } else {
        0.32
    };
    TeamPlan {
        key,
        prefix,
        program: PROGRAMS[(i / 4) % PROGRAMS.len()],
        slow_bucket: rng.range(3, 5) as usize,
        deck,
        builtin,
        voters,
        sprint_days,
        capacity: (rng.range(28, 48) as f64) * sprint_days as f64 / 14.0,
        steadiness,
        overcommit: 1.0 + rng.unit() * 0.25,
        logs_hours: i % 3 == 1,
        hours_per_point: 3.0 + rng.unit() * 4.0,
        inflation: if i % 4 == 1 { 0.12 } else { 0.0 },
    }
}

struct Out {
    w: BufWriter<std::fs::File>,
    path: PathBuf,
    rows: usize,
}

impl Out {
    fn create(dir: &Path, name: &str, header: &str) -> Result<Out> {
        let path = dir.join(name);
        let f = std::fs::File::create(&path).map_err(Error::io(&path, "cannot create the file"))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        writeln!(w, "{header}").map_err(Error::io(&path, "cannot write"))?;
        Ok(Out { w, path, rows: 0 })
    }
    fn row(&mut self, fields: &[&str]) -> Result<()> {
        let mut first = true;
        for f in fields {
            if !first {
                self.w
                    .write_all(b",")
                    .map_err(Error::io(&self.path, "cannot write"))?;
            }
            first = false;
            self.w
                .write_all(csv_field(f).as_bytes())
                .map_err(Error::io(&self.path, "cannot write"))?;
        }
        self.w
            .write_all(b"\n")
            .map_err(Error::io(&self.path, "cannot write"))?;
        self.rows += 1;
        Ok(())
    }
    fn finish(mut self) -> Result<(PathBuf, usize)> {
        self.w
            .flush()
            .map_err(Error::io(&self.path, "cannot write"))?;
        Ok((self.path, self.rows))
    }
}

/// The number in a story key (`PAY-142` -> 142), for choices that must not draw from the
/// generator (the data drawn after them stays the same).
fn key_number(key: &str) -> i64 {
    key.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A story in a sprint: committed at the start?, and when work started and will finish
/// if it was carried over.
type Planned = (Story, bool, Option<(NaiveDateTime, NaiveDateTime)>);

struct Story {
    key: String,
    step: usize,
    points: f64,
    true_step: usize,
    /// The work in days, drawn when the story is written.
    work_days: f64,
    /// When it was estimated (an item added mid-sprint came in then).
    created: NaiveDateTime,
    /// Its points since a re-estimate in an earlier sprint (planning still counts `points`,
    /// so that the data drawn after it stays as it was).
    now: Option<f64>,
}

/// The largest data set made: teams x sprints (about 18 million votes, 1.3 GB; a typo's extra zeros
/// would fill the disk).
pub const MAX_TEAM_SPRINTS: usize = 100_000;

/// Writes the data set into `out`: teams.csv, decks.csv, sprints.csv, stories.csv, votes.csv,
/// sprint_items.csv.
pub fn generate(params: &GenParams, out: &Path) -> Result<GenSummary> {
    if params.teams == 0 || params.sprints == 0 {
        return Err(Error::Usage(
            "--teams and --sprints must be at least 1".into(),
        ));
    }
    if params.teams.saturating_mul(params.sprints) > MAX_TEAM_SPRINTS {
        return Err(Error::Usage(format!(
            "--teams {} x --sprints {}: at most {MAX_TEAM_SPRINTS} team-sprints (10,400 make about 1.9 million votes and 130 MB of files)",
            params.teams, params.sprints
        )));
    }
    std::fs::create_dir_all(out).map_err(Error::io(out, "cannot create the output folder"))?;
    let mut rng = Rng::new(params.seed);
    let mut teams_f = Out::create(out, "teams.csv", "team,name,program")?;
    let mut decks_f = Out::create(out, "decks.csv", "team,deck,card,value")?;
    let mut sprints_f = Out::create(
        out,
        "sprints.csv",
        "team,sprint_id,name,start_date,end_date,goal,started_at,closed_at",
    )?;
    let mut stories_f = Out::create(
        out,
        "stories.csv",
        "team,story,title,type,epic,created_at,estimate",
    )?;
    let mut votes_f = Out::create(
        out,
        "votes.csv",
        "team,session,story,round,voter,card,voted_at",
    )?;
    let mut items_f = Out::create(
        out,
        "sprint_items.csv",
        "team,sprint_id,story,committed,removed,points_start,points_end,status,started_at,completed_at,actual_hours",
    )?;

    let mut events_f = Out::create(
        out,
        "sprint_events.csv",
        "team,sprint_id,story,changed_at,event,points,old_points,from_status,to_status,category",
    )?;

    let mut truth: Vec<StoryTruth> = Vec::new();
    for i in 0..params.teams {
        let team = plan_team(&mut rng, i);
        let display = {
            let mut c = team.key.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        };
        teams_f.row(&[&team.key, &display, team.program])?;
        if team.builtin == BuiltinDeck::TShirt {
            // T-shirt teams write their own point mapping.
            for c in &team.deck.cards {
                let v = crate::domain::format_number(c.value.unwrap_or(0.0));
                decks_f.row(&[&team.key, "tshirt", &c.shown, &v])?;
            }
        } else {
            decks_f.row(&[&team.key, team.builtin.name(), "", ""])?;
        }
        let files = TeamFiles {
            sprints: &mut sprints_f,
            stories: &mut stories_f,
            votes: &mut votes_f,
            items: &mut items_f,
            events: &mut events_f,
        };
        generate_team(&mut rng, params, &team, files, &mut truth)?;
    }

    let mut summary = GenSummary {
        truth,
        ..GenSummary::default()
    };
    for (f, slot) in [
        (teams_f, &mut summary.teams),
        (decks_f, &mut summary.decks),
        (sprints_f, &mut summary.sprints),
        (stories_f, &mut summary.stories),
        (votes_f, &mut summary.votes),
        (items_f, &mut summary.sprint_items),
        (events_f, &mut summary.sprint_events),
    ] {
        let (path, rows) = f.finish()?;
        *slot = rows;
        summary.files.push(path);
    }
    Ok(summary)
}

/// Writes what the generator knows of each story: team, story, work_days, carried_over,
/// overran, done, too_big.
pub fn write_truth(path: &Path, truth: &[StoryTruth]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::Usage(format!("--truth {}: not a file name", path.display())))?;
    let mut f = Out::create(
        if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        },
        &name.to_string_lossy(),
        "team,story,work_days,carried_over,overran,done,too_big",
    )?;
    let yes = |b: bool| if b { "true" } else { "false" };
    for t in truth {
        f.row(&[
            &t.team,
            &t.story,
            &format!("{:.2}", t.work_days),
            yes(t.carried_over),
            yes(t.overran),
            yes(t.done),
            yes(t.too_big),
        ])?;
    }
    f.finish().map(|_| ())
}

/// How often a story's true size is each of the six steps a deck offers, smallest first.
const SIZE_WEIGHTS: [f64; 6] = [0.14, 0.22, 0.24, 0.2, 0.13, 0.07];

/// An index drawn with the given weights (summing to 1).
fn weighted(rng: &mut Rng, weights: &[f64]) -> usize {
    let mut x = rng.unit();
    for (k, w) in weights.iter().enumerate() {
        if x < *w {
            return k;
        }
        x -= w;
    }
    weights.len() - 1
}

/// The steps of a deck a story can truly be (no 0, none past the deck's useful range).
fn size_steps(deck: &Deck) -> (usize, usize) {
    let first = deck
        .cards
        .iter()
        .position(|c| c.value.unwrap_or(0.0) >= 1.0)
        .unwrap_or(0);
    (first, (first + 5).min(deck.cards.len() - 1))
}

/// The files a team's data goes to.
struct TeamFiles<'a> {
    sprints: &'a mut Out,
    stories: &'a mut Out,
    votes: &'a mut Out,
    items: &'a mut Out,
    events: &'a mut Out,
}

/// One team's history being written, sprint by sprint: the stories written so far, the refined
/// backlog waiting to be planned, the work carried over, and what the generator knows of each
/// story.
struct TeamGen<'a> {
    rng: &'a mut Rng,
    team: &'a TeamPlan,
    files: TeamFiles<'a>,
    truth: &'a mut Vec<StoryTruth>,
    /// The team's size steps (smallest and largest card a story is).
    sizes: (usize, usize),
    epics: Vec<String>,
    story_no: usize,
    /// Stories estimated in refinement, waiting to be planned (oldest first).
    backlog: std::collections::VecDeque<Story>,
    /// Carried over into the next sprint, with when work started and will finish.
    carry: Vec<(Story, NaiveDateTime, NaiveDateTime)>,
    carried: std::collections::HashSet<String>,
    /// Carried over although its work had started by the sprint's middle: it did not fit.
    overran: std::collections::HashSet<String>,
    finished: std::collections::HashSet<String>,
    /// Stories whose start of work (In Progress) has been written as an event.
    in_progress: std::collections::HashSet<String>,
}

/// A sprint being written: its number, days, planning session, and the team's capacity.
struct SprintGen {
    sprint_id: String,
    start: NaiveDate,
    end: NaiveDate,
    session: String,
    drift: f64,
    target: f64,
}

impl TeamGen<'_> {
    /// Writes a story (estimated in `session` at `at`) and its votes; the truth keeps its work.
    fn new_story(&mut self, at: NaiveDateTime, session: &str, drift: f64) -> Result<Story> {
        let (team, rng) = (self.team, &mut *self.rng);
        let (lo, hi) = self.sizes;
        self.story_no += 1;
        let key = format!("{}-{}", team.prefix, self.story_no);
        // True size: small and middle sizes are most common, the largest rare; teams with
        // one-week sprints write stories a card smaller.
        let shorter = usize::from(team.sprint_days < 14);
        let true_step = (lo + weighted(rng, &SIZE_WEIGHTS))
            .saturating_sub(shorter)
            .clamp(lo, hi);
        let ambiguous = rng.chance(0.2);
        let ambiguity = if ambiguous {
            1.8 + rng.unit() * 0.8
        } else {
            0.4 + rng.unit() * 0.2
        };
        let step = vote_story(
            rng,
            team,
            &key,
            session,
            at,
            true_step,
            ambiguity,
            drift,
            self.files.votes,
        )?;
        let points = team.deck.cards[step].value.unwrap_or(0.0);
        // The work: grows with the true size; the team's underestimated card and the hidden
        // work of half the ambiguous stories take 1.8 times as long.
        let true_points = team.deck.cards[true_step].value.unwrap_or(1.0).max(0.5);
        let slow = if step == team.slow_bucket { 1.8 } else { 1.0 };
        let hidden = if ambiguous && rng.chance(0.85) {
            1.8
        } else {
            1.0
        };
        let work_days = true_points.powf(0.85) * slow * hidden * (rng.normal() * 0.25).exp();
        let kind = if rng.chance(0.8) {
            "story"
        } else if rng.chance(0.7) {
            "bug"
        } else {
            "task"
        };
        let title = format!(
            "{} {}{}",
            rng.pick(VERBS),
            rng.pick(NOUNS),
            rng.pick(QUALIFIERS)
        );
        self.files.stories.row(&[
            &team.key,
            &key,
            &title,
            kind,
            rng.pick(&self.epics).as_str(),
            &ts(at - Duration::days(rng.range(1, 30))),
            &crate::domain::format_number(points),
        ])?;
        self.truth.push(StoryTruth {
            team: team.key.clone(),
            story: key.clone(),
            work_days,
            carried_over: false,
            overran: false,
            done: false,
            too_big: false,
        });
        Ok(Story {
            key,
            step,
            points,
            true_step,
            work_days,
            created: at,
            now: None,
        })
    }

    /// Sprint `s`: its row, capacity and target.
    fn open_sprint(&mut self, params: &GenParams, s: usize) -> Result<SprintGen> {
        let (team, rng) = (self.team, &mut *self.rng);
        let start = params.start + Duration::days(s as i64 * team.sprint_days);
        let end = start + Duration::days(team.sprint_days - 1);
        let sprint_id = format!("{}", s + 1);
        let name = format!("{} Sprint {}", team.prefix, s + 1);
        let goal = format!("{} {}", rng.pick(VERBS), rng.pick(NOUNS));
        self.files.sprints.row(&[
            &team.key,
            &sprint_id,
            &name,
            &start.to_string(),
            &end.to_string(),
            &goal,
            &ts(start.and_hms_opt(12, 0, 0).expect("valid")),
            &ts(end.and_hms_opt(18, 0, 0).expect("valid")),
        ])?;
        // This sprint's capacity in points, noisier for noisier teams; an inflating team's
        // points grow with its cards (about 1.6 times a card step) for the same work.
        let drift = team.drift(s);
        let inflated = team.capacity * 1.6f64.powf(drift);
        let capacity = (inflated * (1.0 + rng.normal() * team.steadiness)).max(inflated * 0.3);
        Ok(SprintGen {
            sprint_id,
            start,
            end,
            session: format!("{}-P{}", team.prefix, s + 1),
            drift,
            target: capacity * team.overcommit,
        })
    }

    /// The items committed at the sprint's start: carried-over items first, then the refined
    /// backlog, then stories estimated in planning, up to the target.
    fn plan(&mut self, sp: &SprintGen) -> Result<Vec<Planned>> {
        let planning = sp.start.and_hms_opt(9, 30, 0).expect("valid time");
        let mut items: Vec<Planned> = Vec::new();
        let mut committed_points = 0.0;
        for (story, started, done_at) in self.carry.drain(..) {
            committed_points += story.points;
            items.push((story, true, Some((started, done_at))));
        }
        let mut minute = 0;
        while committed_points < sp.target {
            // The refined backlog first; what is still missing is estimated in planning.
            let st = match self.backlog.pop_front() {
                Some(st) => st,
                None => {
                    minute += 4;
                    self.new_story(planning + Duration::minutes(minute), &sp.session, sp.drift)?
                }
            };
            committed_points += st.points.max(0.5);
            items.push((st, true, None));
        }
        Ok(items)
    }

    /// Refinement in the middle of the sprint estimates the next stories; the product owner
    /// writes more than the team delivers, so the backlog grows.
    fn refine(&mut self, sp: &SprintGen, s: usize) -> Result<()> {
        let team = self.team;
        let refinement = (sp.start + Duration::days(team.sprint_days / 2))
            .and_hms_opt(13, 0, 0)
            .expect("valid");
        let refine_session = format!("{}-R{}", team.prefix, s + 1);
        let per_session = ((sp.target / 3.5).round() as i64).max(4);
        for k in 0..self.rng.range(per_session, per_session + 4) {
            let st = self.new_story(
                refinement + Duration::minutes(k * 4),
                &refine_session,
                sp.drift,
            )?;
            self.backlog.push_back(st);
        }
        Ok(())
    }

    /// Work added mid-sprint, estimated on the day it arrives.
    fn add_work(&mut self, sp: &SprintGen, items: &mut Vec<Planned>) -> Result<()> {
        let added = if self.rng.chance(0.6) {
            self.rng.range(1, 3)
        } else {
            0
        };
        for k in 0..added {
            let day = self.rng.range(2, self.team.sprint_days - 3).max(1);
            let at = sp.start.and_hms_opt(14, 0, 0).expect("valid")
                + Duration::days(day)
                + Duration::minutes(k * 5);
            let st = self.new_story(at, &format!("{}-add", sp.session), sp.drift)?;
            items.push((st, false, None));
        }
        Ok(())
    }

    /// Works through the sprint: items start in order, each takes its cycle time; each item's
    /// row is written, and what was not done is carried over.
    fn work(&mut self, sp: &SprintGen, items: Vec<Planned>) -> Result<()> {
        let mut day_cursor = 0.0f64;
        let n_items = items.len();
        for (story, committed, prior) in items {
            let (team, rng) = (self.team, &mut *self.rng);
            let removed = committed && prior.is_none() && rng.chance(0.05);
            let (started, done_at) = match prior {
                Some(p) => p,
                None => {
                    let offset = if committed {
                        day_cursor += (team.sprint_days as f64 * 0.7) / n_items as f64;
                        day_cursor
                    } else {
                        rng.range(2, team.sprint_days - 2) as f64
                    };
                    let started = sp.start.and_hms_opt(10, 0, 0).expect("valid")
                        + Duration::minutes((offset * 24.0 * 60.0) as i64);
                    let days = story.work_days;
                    (
                        started,
                        started + Duration::minutes((days * 24.0 * 60.0) as i64 + 60),
                    )
                }
            };
            let end_of_sprint = sp.end.and_hms_opt(18, 0, 0).expect("valid");
            let points_now = story.now.unwrap_or(story.points);
            let points_start = if committed {
                crate::domain::format_number(points_now)
            } else {
                String::new()
            };
            // Now and then the estimate moves during the sprint.
            // (A story taken out keeps its points: the chance is drawn all the same, so that the
            // data drawn after it stays as it was.)
            let bumped = rng.chance(0.05);
            let points_end = if bumped && !removed && story.step + 1 < team.deck.cards.len() {
                team.deck.cards[story.step + 1].value.unwrap_or(points_now)
            } else {
                points_now
            };
            // The history: in the sprint since planning (carried work since before it), or since
            // it arrived; removed a few days in; re-estimated in the middle.
            let added_at = if committed {
                sp.start.and_hms_opt(9, 0, 0).expect("valid")
            } else {
                story.created
            };
            let points_text = crate::domain::format_number(points_now);
            self.files.events.row(&[
                &team.key,
                &sp.sprint_id,
                &story.key,
                &ts(added_at),
                "added",
                &points_text,
                "",
                "",
                "",
                "",
            ])?;
            if removed {
                // Drawn from the key, not the generator: the rest of the data stays as it was.
                let at = sp.start.and_hms_opt(11, 0, 0).expect("valid")
                    + Duration::days(1 + key_number(&story.key) % (team.sprint_days - 3).max(1));
                self.files.events.row(&[
                    &team.key,
                    &sp.sprint_id,
                    &story.key,
                    &ts(at),
                    "removed",
                    "",
                    "",
                    "",
                    "",
                    "",
                ])?;
            } else if points_end != points_now {
                let at = (sp.start.and_hms_opt(11, 0, 0).expect("valid")
                    + Duration::days(team.sprint_days / 2))
                .max(added_at + Duration::hours(1));
                self.files.events.row(&[
                    &team.key,
                    "",
                    &story.key,
                    &ts(at),
                    "estimate",
                    &crate::domain::format_number(points_end),
                    &points_text,
                    "",
                    "",
                    "",
                ])?;
            }
            let (status, completed) = if removed {
                ("removed", None)
            } else if done_at <= end_of_sprint {
                ("done", Some(done_at))
            } else {
                ("not_done", None)
            };
            let hours = match (team.logs_hours, completed) {
                (true, Some(_)) => {
                    let true_points = team.deck.cards[story.true_step]
                        .value
                        .unwrap_or(1.0)
                        .max(0.5);
                    format!(
                        "{:.1}",
                        true_points * team.hours_per_point * (rng.normal() * 0.4).exp()
                    )
                }
                _ => String::new(),
            };
            // Work on a story taken out had not begun.
            let started_text = if removed { String::new() } else { ts(started) };
            self.files.items.row(&[
                &team.key,
                &sp.sprint_id,
                &story.key,
                if committed { "true" } else { "false" },
                if removed { "true" } else { "false" },
                &points_start,
                &crate::domain::format_number(points_end),
                status,
                &started_text,
                &completed.map(ts).unwrap_or_default(),
                &hours,
            ])?;
            // Status changes: In Progress when work starts (once), Done when it is done; now and
            // then a story is done, reopened two hours later and done again at its end.
            let status_row = |f: &mut Out, at: NaiveDateTime, from: &str, to: &str, cat: &str| {
                f.row(&[
                    &team.key,
                    "",
                    &story.key,
                    &ts(at),
                    "status",
                    "",
                    "",
                    from,
                    to,
                    cat,
                ])
            };
            if !removed
                && (started <= end_of_sprint || status == "done")
                && self.in_progress.insert(story.key.clone())
            {
                status_row(
                    self.files.events,
                    started,
                    "To Do",
                    "In Progress",
                    "in_progress",
                )?;
            }
            if let Some(done) = completed {
                let first = done - Duration::days(1);
                if first > started + Duration::hours(1) && key_number(&story.key) % 25 == 7 {
                    status_row(self.files.events, first, "In Progress", "Done", "done")?;
                    status_row(
                        self.files.events,
                        first + Duration::hours(2),
                        "Done",
                        "In Progress",
                        "in_progress",
                    )?;
                }
                status_row(self.files.events, done, "In Progress", "Done", "done")?;
            }
            if status == "done" {
                self.finished.insert(story.key.clone());
            }
            if status == "not_done" {
                self.carried.insert(story.key.clone());
                let middle = sp.start.and_hms_opt(10, 0, 0).expect("valid")
                    + Duration::minutes((team.sprint_days as f64 / 2.0 * 24.0 * 60.0) as i64);
                if started <= middle {
                    self.overran.insert(story.key.clone());
                }
                // Carried over with the points it has now.
                let story = Story {
                    now: (points_end != story.points).then_some(points_end),
                    ..story
                };
                self.carry.push((story, started, done_at));
            }
        }
        Ok(())
    }
}

fn generate_team(
    rng: &mut Rng,
    params: &GenParams,
    team: &TeamPlan,
    files: TeamFiles<'_>,
    truth: &mut Vec<StoryTruth>,
) -> Result<()> {
    let first_truth = truth.len();
    let mut g = TeamGen {
        rng,
        team,
        files,
        truth,
        sizes: size_steps(&team.deck),
        epics: (1..=4).map(|k| format!("{}-E{k}", team.prefix)).collect(),
        story_no: 100,
        backlog: Default::default(),
        carry: Vec::new(),
        carried: Default::default(),
        overran: Default::default(),
        finished: Default::default(),
        in_progress: Default::default(),
    };
    for s in 0..params.sprints {
        let sp = g.open_sprint(params, s)?;
        let mut items = g.plan(&sp)?;
        g.refine(&sp, s)?;
        g.add_work(&sp, &mut items)?;
        g.work(&sp, items)?;
    }
    let days = team.sprint_days as f64;
    let (carried, overran, finished) = (g.carried, g.overran, g.finished);
    for t in &mut truth[first_truth..] {
        t.carried_over = carried.contains(&t.story);
        t.overran = overran.contains(&t.story);
        t.done = finished.contains(&t.story);
        t.too_big = t.work_days > days || t.overran;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn vote_story(
    rng: &mut Rng,
    team: &TeamPlan,
    story: &str,
    session: &str,
    at: NaiveDateTime,
    true_step: usize,
    ambiguity: f64,
    drift: f64,
    votes_f: &mut Out,
) -> Result<usize> {
    let max_step = team.deck.cards.len() as f64 - 1.0;
    // What the room reads as the story's size: its true size, inflated.
    let size = true_step as f64 + drift;
    // Where the room's votes gather in this round; round 1 reads the story alone.
    let mut target: Option<f64> = None;
    let mut round = 1;
    loop {
        let mut steps: Vec<usize> = Vec::new();
        for (k, v) in team.voters.iter().enumerate() {
            let at = at + Duration::seconds(round as i64 * 90 + k as i64 * 7);
            let unsure = rng.chance(if ambiguity > 1.0 && round == 1 {
                0.18
            } else {
                0.02
            });
            let card = if unsure {
                if rng.chance(0.9) {
                    "?".to_string()
                } else {
                    "☕".to_string()
                }
            } else {
                let x = match target {
                    None => size + v.bias + rng.normal() * v.skill * ambiguity,
                    // After the discussion each voter keeps half their bias and a smaller spread.
                    Some(t) => t + 0.5 * v.bias + rng.normal() * v.skill * 0.5,
                };
                let x = x.round().clamp(0.0, max_step) as usize;
                steps.push(x);
                team.deck.cards[x].shown.clone()
            };
            votes_f.row(&[
                &team.key,
                session,
                story,
                &round.to_string(),
                &v.name,
                &card,
                &ts(at),
            ])?;
        }
        steps.sort_unstable();
        let spread = match (steps.first(), steps.last()) {
            (Some(a), Some(b)) => b - a,
            _ => 99,
        };
        let median = if steps.is_empty() {
            size.round().clamp(0.0, max_step) as usize
        } else {
            steps[steps.len() / 2]
        };
        if spread <= 1 || round >= 4 {
            return Ok(median);
        }
        // The discussion: usually the voters who saw what others missed explain it and the
        // room moves toward the story's size; sometimes it follows its lowest or highest voter.
        target = Some(if rng.chance(0.75) {
            0.7 * size + 0.3 * median as f64
        } else if let (Some(lo), Some(hi)) = (steps.first(), steps.last()) {
            if rng.chance(0.5) {
                *lo as f64
            } else {
                *hi as f64
            }
        } else {
            size
        });
        round += 1;
    }
}
