//! Jira, read through its API: a board's sprints with their dates, each sprint's scope changes
//! (the scope-change burndown: adds, removals, done and reopened, with their times) and sprint
//! report (Jira's own committed / completed / punted, for the check), and the issues with their
//! changelogs (status changes with their categories, re-estimates). Everything is fetched
//! before anything is written; the rows then go through the ingest's checks and one
//! transaction.

use crate::error::{Error, Result};
use crate::settings::{JiraFlavour, JiraSync};
use crate::sync::client::{Client, enc};
use chrono::{DateTime, NaiveDateTime};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where a board's sync stands, kept in `sync_state` with the data of the run that made it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoardState {
    /// Issues updated since this time (the previous run's start) are fetched again.
    pub since: Option<String>,
    /// Sprints whose scope changes and report were read after they closed: not read again.
    pub closed: BTreeSet<u64>,
}

/// One board's fetch: rows for the store, notes for the user, and the state it leaves.
pub struct BoardRun {
    pub team: String,
    pub board: u64,
    pub sprints: Vec<Value>,
    pub stories: Vec<Value>,
    pub events: Vec<Value>,
    /// Per sprint read this run: Jira's sprint report's sets, for the check after the write.
    pub reports: Vec<SprintReport>,
    pub notes: Vec<String>,
    pub state: BoardState,
}

/// What Jira's sprint report says of a sprint.
#[derive(Debug, Clone)]
pub struct SprintReport {
    pub sprint: String,
    pub name: String,
    pub completed: BTreeSet<String>,
    pub not_completed: BTreeSet<String>,
    pub punted: BTreeSet<String>,
    pub added: BTreeSet<String>,
}

/// The state key of a board in `sync_state`.
pub fn source_key(site: &JiraSync, board: u64) -> String {
    format!("jira {} board {board}", site.url)
}

/// A client for the site, with the credentials from the environment or the settings file.
pub fn client(site: &JiraSync) -> Result<Client> {
    let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let token = from_env("SPRINTLENS_JIRA_TOKEN").or_else(|| site.token.clone());
    let Some(token) = token else {
        return Err(Error::Usage(
            "sync jira: no token: set SPRINTLENS_JIRA_TOKEN (an API token on Cloud, a personal \
             access token on Data Center) or token in [sync.jira] of sprintlens.toml"
                .into(),
        ));
    };
    let (authorization, credentials) = match site.flavour {
        JiraFlavour::Cloud => {
            let Some(email) = from_env("SPRINTLENS_JIRA_EMAIL").or_else(|| site.email.clone())
            else {
                return Err(Error::Usage(
                    "sync jira: a Cloud site needs the account's e-mail with the API token: set \
                     SPRINTLENS_JIRA_EMAIL or email in [sync.jira]"
                        .into(),
                ));
            };
            (
                crate::sync::client::basic(email.trim(), token.trim()),
                "the e-mail and API token (SPRINTLENS_JIRA_EMAIL, SPRINTLENS_JIRA_TOKEN)",
            )
        }
        JiraFlavour::DataCenter => (
            format!("Bearer {}", token.trim()),
            "the personal access token (SPRINTLENS_JIRA_TOKEN)",
        ),
    };
    Client::new(&site.url, authorization, credentials)
}

fn api(site: &JiraSync) -> &'static str {
    match site.flavour {
        JiraFlavour::Cloud => "/rest/api/3",
        JiraFlavour::DataCenter => "/rest/api/2",
    }
}

/// A time as Jira writes it (`2026-03-03T09:00:00.000+0000` or RFC 3339), in UTC.
pub fn jira_time(s: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.naive_utc())
}

fn millis(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc())
}

fn text_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn as_points(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The story-point field: the one named in the settings, else the board's estimation field,
/// else the field called "Story Points", else "Story point estimate".
#[derive(Debug, Clone)]
pub struct PointsField {
    pub id: String,
    pub name: String,
}

fn points_field(
    site: &JiraSync,
    fields: &[Value],
    board_field: Option<&str>,
) -> Result<PointsField> {
    let named = |f: &Value| -> Option<PointsField> {
        Some(PointsField {
            id: f["id"].as_str()?.to_string(),
            name: f["name"].as_str()?.to_string(),
        })
    };
    let find = |want: &str| {
        fields
            .iter()
            .filter_map(named)
            .find(|f| f.id.eq_ignore_ascii_case(want) || f.name.eq_ignore_ascii_case(want))
    };
    if let Some(want) = &site.points_field {
        return find(want).ok_or_else(|| {
            Error::Usage(format!(
                "sync jira: sync.jira.points_field \"{want}\" is no field of the site (fields \
                 with \"point\" in their name: {})",
                point_names(fields)
            ))
        });
    }
    board_field
        .filter(|id| !id.starts_with("time"))
        .and_then(find)
        .or_else(|| find("Story Points"))
        .or_else(|| find("Story point estimate"))
        .ok_or_else(|| {
            Error::Usage(format!(
                "sync jira: no story-point field (neither the board's estimation field nor \
                 \"Story Points\" nor \"Story point estimate\"); name it in sync.jira.points_field \
                 (fields with \"point\" in their name: {})",
                point_names(fields)
            ))
        })
}

fn point_names(fields: &[Value]) -> String {
    let names: Vec<&str> = fields
        .iter()
        .filter_map(|f| f["name"].as_str())
        .filter(|n| n.to_lowercase().contains("point"))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Every page of a list paged by `startAt` with `values` and `isLast` (the agile API's lists,
/// Cloud's issue changelog).
async fn agile_pages(client: &Client, path: &str) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    loop {
        let page = client
            .get(
                &format!("{path}{sep}startAt={}&maxResults=50", out.len()),
                false,
            )
            .await?
            .unwrap_or(Value::Null);
        let values = page["values"].as_array().cloned().unwrap_or_default();
        let n = values.len();
        out.extend(values);
        if n == 0 || page["isLast"].as_bool().unwrap_or(true) {
            return Ok(out);
        }
    }
}

/// Issues found by a JQL search, with their changelogs: Cloud's `search/jql` paged by
/// `nextPageToken`, Data Center's `search` paged by `startAt`.
async fn search(client: &Client, site: &JiraSync, jql: &str, fields: &str) -> Result<Vec<Value>> {
    let mut out: Vec<Value> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match site.flavour {
            JiraFlavour::Cloud => format!(
                "/rest/api/3/search/jql?jql={}&fields={}&expand=changelog&maxResults=100{}",
                enc(jql),
                enc(fields),
                token
                    .as_deref()
                    .map(|t| format!("&nextPageToken={}", enc(t)))
                    .unwrap_or_default()
            ),
            JiraFlavour::DataCenter => format!(
                "/rest/api/2/search?jql={}&fields={}&expand=changelog&startAt={}&maxResults=100",
                enc(jql),
                enc(fields),
                out.len()
            ),
        };
        let page = client.get(&path, false).await?.unwrap_or(Value::Null);
        let issues = page["issues"].as_array().cloned().unwrap_or_default();
        let n = issues.len();
        out.extend(issues);
        let more = match site.flavour {
            JiraFlavour::Cloud => {
                token = page["nextPageToken"].as_str().map(str::to_string);
                token.is_some() && !page["isLast"].as_bool().unwrap_or(false)
            }
            JiraFlavour::DataCenter => {
                let total = page["total"].as_u64().unwrap_or(0) as usize;
                n > 0 && out.len() < total
            }
        };
        if !more {
            return Ok(out);
        }
    }
}

/// An issue's whole changelog where the search gave only its first entries.
async fn full_changelog(client: &Client, site: &JiraSync, issue: &Value) -> Result<Vec<Value>> {
    let histories = issue["changelog"]["histories"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total = issue["changelog"]["total"]
        .as_u64()
        .unwrap_or(histories.len() as u64) as usize;
    if total <= histories.len() {
        return Ok(histories);
    }
    let key = issue["key"].as_str().unwrap_or_default();
    match site.flavour {
        // The same paging as the agile API's lists (`values`, `isLast`, `startAt`).
        JiraFlavour::Cloud => {
            agile_pages(client, &format!("/rest/api/3/issue/{}/changelog", enc(key))).await
        }
        JiraFlavour::DataCenter => {
            let page = client
                .get(
                    &format!(
                        "/rest/api/2/issue/{}?expand=changelog&fields=summary",
                        enc(key)
                    ),
                    false,
                )
                .await?
                .unwrap_or(Value::Null);
            Ok(page["changelog"]["histories"]
                .as_array()
                .cloned()
                .unwrap_or_default())
        }
    }
}

/// Fetches one board: everything first, nothing written here.
pub async fn fetch_board(
    client: &Client,
    site: &JiraSync,
    team: &str,
    board: u64,
    state: &BoardState,
    started: NaiveDateTime,
) -> Result<BoardRun> {
    let mut notes = Vec::new();
    client.stage(&format!("board {board}: sprints"), 0);
    let sprints = agile_pages(client, &format!("/rest/agile/1.0/board/{board}/sprint")).await?;
    let fields = client
        .get(&format!("{}/field", api(site)), false)
        .await?
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let config = client
        .get(
            &format!("/rest/agile/1.0/board/{board}/configuration"),
            true,
        )
        .await?;
    let board_field = config
        .as_ref()
        .and_then(|c| c["estimation"]["field"]["fieldId"].as_str());
    let points = points_field(site, &fields, board_field)?;
    let sprint_field = fields
        .iter()
        .find(|f| {
            f["schema"]["custom"]
                .as_str()
                .is_some_and(|c| c.ends_with("gh-sprint"))
        })
        .and_then(|f| f["id"].as_str())
        .map(str::to_string);
    let categories: HashMap<String, String> = client
        .get(&format!("{}/status", api(site)), true)
        .await?
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .flat_map(|s| {
            let cat = category(s["statusCategory"]["key"].as_str().unwrap_or_default());
            [s["id"].as_str(), s["name"].as_str()]
                .into_iter()
                .flatten()
                .map(move |k| (k.to_lowercase(), cat.to_string()))
        })
        .collect();

    // Sprints: every one with dates is stored; the scope changes and report of each started
    // sprint not yet read after its close.
    let mut sprint_rows = Vec::new();
    let mut ids: Vec<u64> = Vec::new();
    let mut to_read: Vec<(u64, String, bool)> = Vec::new();
    // Each sprint's start and close (else planned end), for the check of the two histories.
    let mut windows: HashMap<u64, (NaiveDateTime, NaiveDateTime)> = HashMap::new();
    for s in &sprints {
        let Some(id) = s["id"].as_u64() else { continue };
        if s["originBoardId"].as_u64().is_some_and(|b| b != board)
            || s["originalBoardId"].as_u64().is_some_and(|b| b != board)
        {
            // A sprint of another board that shares issues with this one.
            continue;
        }
        ids.push(id);
        let state_name = s["state"].as_str().unwrap_or_default().to_lowercase();
        let (start, end) = (
            s["startDate"].as_str().and_then(jira_time),
            s["endDate"].as_str().and_then(jira_time),
        );
        let closed = s["completeDate"].as_str().and_then(jira_time);
        let name = s["name"].as_str().unwrap_or_default().to_string();
        if let (Some(start), Some(end)) = (start, end) {
            windows.insert(id, (start, closed.unwrap_or(end)));
            let mut row = json!({
                "team": team,
                "sprint_id": id.to_string(),
                "name": name,
                "start_date": start.date().to_string(),
                "end_date": end.date().max(start.date()).to_string(),
                "started_at": text_time(start),
                "closed_at": closed.map(text_time),
            });
            if let Some(g) = s["goal"].as_str().filter(|g| !g.trim().is_empty()) {
                row["goal"] = json!(g);
            }
            sprint_rows.push(row);
        } else if state_name != "future" {
            notes.push(format!(
                "board {board}: sprint {id} \"{name}\" has no start or end date: not stored"
            ));
        }
        if state_name != "future" && !state.closed.contains(&id) {
            to_read.push((id, name, state_name == "closed"));
        }
    }

    // Issues in the board's sprints: all of them the first time, then those updated since the
    // previous run (a day earlier, against time-zone differences in JQL's dates).
    let fields_wanted = {
        let mut f = vec![
            "summary",
            "issuetype",
            "created",
            "status",
            points.id.as_str(),
        ];
        if let Some(s) = &sprint_field {
            f.push(s.as_str());
        }
        f.join(",")
    };
    let since = state.since.as_deref().and_then(jira_time).map(|t| {
        (t - chrono::Duration::days(1))
            .format("%Y/%m/%d %H:%M")
            .to_string()
    });
    let mut issues: Vec<Value> = Vec::new();
    client.stage(&format!("board {board}: issues"), 0);
    for chunk in ids.chunks(50) {
        let list: Vec<String> = chunk.iter().map(u64::to_string).collect();
        let mut jql = format!("sprint in ({})", list.join(", "));
        if let Some(s) = &since {
            jql.push_str(&format!(" AND updated >= \"{s}\""));
        }
        jql.push_str(" ORDER BY key");
        issues.extend(search(client, site, &jql, &fields_wanted).await?);
    }
    let mut seen = BTreeSet::new();
    issues.retain(|i| seen.insert(i["key"].as_str().unwrap_or_default().to_string()));
    // Owned items: the futures borrow nothing of the stream (they must be Send for a server).
    client.stage(&format!("board {board}: changelogs"), issues.len());
    let histories: Vec<Vec<Value>> = stream::iter(issues.clone())
        .map(|i| async move {
            let h = full_changelog(client, site, &i).await;
            client.step();
            h
        })
        .buffered(site.concurrency)
        .try_collect()
        .await?;

    // Each sprint's scope changes and report, a few at a time.
    let field_param = enc(&points.id);
    let field_param = field_param.as_str();
    let ids_to_read: Vec<u64> = to_read.iter().map(|(id, _, _)| *id).collect();
    client.stage(
        &format!("board {board}: sprints' scope changes"),
        ids_to_read.len(),
    );
    let charts: Vec<(Option<Value>, Option<Value>)> = stream::iter(ids_to_read)
        .map(|id| async move {
            let chart = client
                .get(
                    &format!(
                        "/rest/greenhopper/1.0/rapid/charts/scopechangeburndownchart.json?rapidViewId={board}&sprintId={id}&statisticFieldId=field_{field_param}"
                    ),
                    true,
                )
                .await?;
            let report = client
                .get(
                    &format!(
                        "/rest/greenhopper/1.0/rapid/charts/sprintreport?rapidViewId={board}&sprintId={id}"
                    ),
                    true,
                )
                .await?;
            client.step();
            Ok::<_, Error>((chart, report))
        })
        .buffered(site.concurrency)
        .try_collect()
        .await?;

    let mut events: BTreeMap<(String, String, String, String), Value> = BTreeMap::new();
    let mut event = |sprint: &str, story: &str, at: NaiveDateTime, kind: &str, extra: Value| {
        let mut row = json!({
            "team": team, "sprint_id": sprint, "story": story,
            "changed_at": text_time(at), "event": kind,
        });
        if let Value::Object(m) = extra {
            for (k, v) in m {
                row[k] = v;
            }
        }
        events.insert(
            (sprint.into(), story.into(), text_time(at), kind.into()),
            row,
        );
    };
    let mut reports = Vec::new();
    let mut chart_points: HashMap<String, f64> = HashMap::new();
    let mut unread: BTreeSet<u64> = BTreeSet::new();
    let mut closed_read = BTreeSet::new();
    for ((id, name, closed), (chart, report)) in to_read.iter().zip(charts) {
        let sid = id.to_string();
        match chart {
            Some(c) => {
                chart_events(&c, &sid, &mut event, &mut chart_points);
                if *closed {
                    closed_read.insert(*id);
                }
            }
            None => {
                notes.push(format!(
                    "board {board}: sprint {id} \"{name}\": no scope-change history (the site \
                     does not answer Jira's burndown chart); its adds and removals are read \
                     from the issues' changelogs"
                ));
                unread.insert(*id);
            }
        }
        if let Some(r) = report {
            reports.push(sprint_report(&r, &sid, name));
        }
    }

    // The issues: stories (with their points now) and their changelogs' events.
    let mut stories = Vec::new();
    // Per issue, its sprints from the Sprint field's changes: (since, sprints).
    let mut moves: Vec<(String, SprintMoves)> = Vec::new();
    for (issue, history) in issues.iter().zip(&histories) {
        let Some(key) = issue["key"].as_str() else {
            continue;
        };
        let f = &issue["fields"];
        let now_points = as_points(&f[points.id.as_str()]);
        let created = f["created"].as_str().and_then(jira_time);
        stories.push(json!({
            "team": team,
            "story": key,
            "title": f["summary"].as_str(),
            "type": f["issuetype"]["name"].as_str(),
            "created_at": created.map(text_time),
            "estimate": now_points,
        }));
        if let (Some(c), Some(n)) = (chart_points.get(key), now_points)
            && (c - n).abs() > 1e-9
            && !history.is_empty()
        {
            notes.push(format!(
                "{key}: {} points in its field, {c} in the last sprint's scope changes",
                crate::domain::format_number(n)
            ));
        }
        let mut sprints_of: Option<BTreeSet<u64>> = None;
        let mut timeline: Vec<(NaiveDateTime, BTreeSet<u64>)> = Vec::new();
        let mut sorted: Vec<&Value> = history.iter().collect();
        sorted.sort_by_key(|h| h["created"].as_str().and_then(jira_time));
        for h in sorted {
            let Some(at) = h["created"].as_str().and_then(jira_time) else {
                continue;
            };
            for item in h["items"].as_array().into_iter().flatten() {
                let field = item["field"].as_str().unwrap_or_default();
                let field_id = item["fieldId"].as_str().unwrap_or_default();
                if field.eq_ignore_ascii_case("status") || field_id == "status" {
                    let to = item["toString"].as_str().unwrap_or_default();
                    let cat = item["to"]
                        .as_str()
                        .and_then(|id| categories.get(&id.to_lowercase()))
                        .or_else(|| categories.get(&to.to_lowercase()));
                    event(
                        "",
                        key,
                        at,
                        "status",
                        json!({"from_status": item["fromString"], "to_status": to, "category": cat}),
                    );
                } else if field_id == points.id || field.eq_ignore_ascii_case(&points.name) {
                    let new = item["toString"]
                        .as_str()
                        .and_then(|s| s.trim().parse::<f64>().ok());
                    let old = item["fromString"]
                        .as_str()
                        .and_then(|s| s.trim().parse::<f64>().ok());
                    if let Some(new) = new {
                        event(
                            "",
                            key,
                            at,
                            "estimate",
                            json!({"points": new, "old_points": old}),
                        );
                    }
                } else if field.eq_ignore_ascii_case("sprint") {
                    let from = sprint_ids(&item["from"]);
                    let to = sprint_ids(&item["to"]);
                    if sprints_of.is_none() {
                        if let Some(c) = created {
                            timeline.push((c, from.clone()));
                        }
                        // In these sprints since it was made.
                        for id in from.intersection(&unread) {
                            if let Some(c) = created {
                                event(&id.to_string(), key, c, "added", Value::Null);
                            }
                        }
                    }
                    for id in to.difference(&from).filter(|i| unread.contains(i)) {
                        event(&id.to_string(), key, at, "added", Value::Null);
                    }
                    for id in from.difference(&to).filter(|i| unread.contains(i)) {
                        event(&id.to_string(), key, at, "removed", Value::Null);
                    }
                    timeline.push((at, to.clone()));
                    sprints_of = Some(to);
                }
            }
        }
        if sprints_of.is_none()
            && let (Some(c), Some(sf)) = (created, &sprint_field)
        {
            // Never moved between sprints: in the ones it is in now since it was made.
            let now = sprint_values(&f[sf.as_str()]);
            for id in now.intersection(&unread) {
                event(&id.to_string(), key, c, "added", Value::Null);
            }
            timeline.push((c, now));
        }
        moves.push((key.to_string(), timeline));
    }
    // The two histories of a sprint's scope, checked against each other for the issues read
    // this run: the scope changes (the board's chart) and the issues' Sprint field.
    for (id, name, _) in &to_read {
        let (Some(&(t0, t1)), false) = (windows.get(id), unread.contains(id)) else {
            continue;
        };
        let sid = id.to_string();
        for (when, t) in [("start", t0), ("close", t1)] {
            let (mut chart_only, mut field_only) = (Vec::new(), Vec::new());
            for (key, timeline) in &moves {
                let by_chart = events
                    .range((sid.clone(), key.clone(), String::new(), String::new())..)
                    .take_while(|(k, _)| k.0 == sid && k.1 == *key)
                    .filter(|(k, _)| {
                        (k.3 == "added" || k.3 == "removed")
                            && jira_time(&k.2).is_some_and(|x| x <= t)
                    })
                    .last()
                    .is_some_and(|(k, _)| k.3 == "added");
                let by_field = timeline
                    .iter()
                    .rev()
                    .find(|(since, _)| *since <= t)
                    .is_some_and(|(_, s)| s.contains(id));
                match (by_chart, by_field) {
                    (true, false) => chart_only.push(key.as_str()),
                    (false, true) => field_only.push(key.as_str()),
                    _ => {}
                }
            }
            if !chart_only.is_empty() || !field_only.is_empty() {
                let list = |v: &[&str]| {
                    if v.is_empty() {
                        "none".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                notes.push(format!(
                    "sprint {id} \"{name}\": in it at its {when} by the scope changes only: {}; by the issues' Sprint field only: {}",
                    list(&chart_only),
                    list(&field_only)
                ));
            }
        }
    }
    let mut closed = state.closed.clone();
    closed.extend(closed_read);
    Ok(BoardRun {
        team: team.to_string(),
        board,
        sprints: sprint_rows,
        stories,
        events: events.into_values().collect(),
        reports,
        notes,
        state: BoardState {
            since: Some(text_time(started)),
            closed,
        },
    })
}

/// An issue's sprints after each change of its Sprint field: (since, sprints).
type SprintMoves = Vec<(NaiveDateTime, BTreeSet<u64>)>;

/// Jira's status category keys as sprintlens names them.
fn category(key: &str) -> &'static str {
    match key {
        "new" => "todo",
        "done" => "done",
        _ => "in_progress",
    }
}

/// Sprint ids of a changelog's Sprint item (`"76, 79"`).
fn sprint_ids(v: &Value) -> BTreeSet<u64> {
    v.as_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Sprint ids of an issue's sprint field: objects with an `id` (Cloud, newer Data Center) or
/// the older `...Sprint@abc[id=76,...]` strings.
fn sprint_values(v: &Value) -> BTreeSet<u64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| match s {
            Value::Object(_) => s["id"].as_u64(),
            Value::String(t) => t
                .split("id=")
                .nth(1)
                .and_then(|r| r.split([',', ']']).next())
                .and_then(|n| n.parse().ok()),
            _ => None,
        })
        .collect()
}

/// The scope-change burndown's changes as events of `sprint`: added (with the points it came
/// in with), removed, done and reopened.
fn chart_events(
    chart: &Value,
    sprint: &str,
    event: &mut impl FnMut(&str, &str, NaiveDateTime, &str, Value),
    last_points: &mut HashMap<String, f64>,
) {
    let mut times: Vec<(i64, &Vec<Value>)> = chart["changes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_array()?)))
        .collect();
    times.sort_by_key(|(t, _)| *t);
    let mut done: HashMap<&str, bool> = HashMap::new();
    for (ms, entries) in times {
        let Some(at) = millis(ms) else { continue };
        for e in entries {
            let Some(key) = e["key"].as_str() else {
                continue;
            };
            let new_points = as_points(&e["statC"]["newValue"]);
            if let Some(p) = new_points {
                last_points.insert(key.to_string(), p);
            }
            match e["added"].as_bool() {
                Some(true) => event(sprint, key, at, "added", json!({"points": new_points})),
                Some(false) => event(sprint, key, at, "removed", Value::Null),
                None => {}
            }
            if let Some(d) = e["column"]["done"].as_bool() {
                let was = done.insert(key, d).unwrap_or(false);
                if d && !was {
                    event(sprint, key, at, "done", Value::Null);
                } else if !d && was {
                    event(sprint, key, at, "reopened", Value::Null);
                }
            }
        }
    }
}

fn sprint_report(r: &Value, sprint: &str, name: &str) -> SprintReport {
    let keys = |list: &str| -> BTreeSet<String> {
        r["contents"][list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["key"].as_str().map(str::to_string))
            .collect()
    };
    SprintReport {
        sprint: sprint.to_string(),
        name: name.to_string(),
        completed: keys("completedIssues"),
        not_completed: keys("issuesNotCompletedInCurrentSprint"),
        punted: keys("puntedIssues"),
        added: r["contents"]["issueKeysAddedDuringSprint"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_times_and_sprint_fields_read() {
        assert_eq!(
            jira_time("2026-03-03T10:00:00.000+0100")
                .unwrap()
                .to_string(),
            "2026-03-03 09:00:00"
        );
        assert_eq!(
            jira_time("2026-03-03T09:00:00.000Z").unwrap().to_string(),
            "2026-03-03 09:00:00"
        );
        assert_eq!(sprint_ids(&json!("76, 79")), BTreeSet::from([76, 79]));
        assert_eq!(
            sprint_values(
                &json!([{"id": 5}, "com.atlassian.greenhopper.service.sprint.Sprint@1a[id=7,rapidViewId=1]"])
            ),
            BTreeSet::from([5, 7])
        );
    }

    #[test]
    fn scope_changes_become_events() {
        let chart = json!({"changes": {
            "1000": [{"key": "A-1", "added": true, "statC": {"newValue": 3}},
                     {"key": "A-1", "column": {"notDone": true, "done": false}}],
            "2000": [{"key": "A-1", "column": {"done": true}}],
            "3000": [{"key": "A-1", "column": {"notDone": true, "done": false}}],
            "4000": [{"key": "A-1", "added": false}]
        }});
        let mut got = Vec::new();
        let mut last = HashMap::new();
        chart_events(
            &chart,
            "9",
            &mut |s: &str, k: &str, at: NaiveDateTime, e: &str, x: Value| {
                got.push(format!(
                    "{s} {k} {} {e} {x}",
                    at.and_utc().timestamp_millis()
                ))
            },
            &mut last,
        );
        assert_eq!(
            got,
            [
                "9 A-1 1000 added {\"points\":3.0}",
                "9 A-1 2000 done null",
                "9 A-1 3000 reopened null",
                "9 A-1 4000 removed null"
            ]
        );
        assert_eq!(last["A-1"], 3.0);
    }
}
