//! `sprintlens sync jira` against a fake Jira: a small axum server in this test binary that
//! answers the endpoints the sync reads with the shapes Atlassian documents (Cloud and Data
//! Center), pages every list, and fails on demand (429 with Retry-After, 401, 500).
//!
//! The board (7, team `web`) and its history, by hand:
//! - sprint 101 "Web 1" (closed) 03-02 09:00 .. 03-13 17:00; 102 "Web 2" (closed) 03-16 09:00
//!   .. closed 03-27 16:00; 103 "Web 3" active from 03-30 09:00; 104 future, no dates; 201 is
//!   another board's.
//! - WEB-1: in 101 from the start, 5 points, In Progress 03-03 09:00, Done 03-05 12:00.
//! - WEB-2: in 101 from the start at 3, re-estimated to 8 on 03-04 10:00, In Progress 03-06,
//!   not done; carried into 102 and then 103 (an issue in three sprints), Done 04-01 10:00.
//! - WEB-3: added to 101 on 03-04 11:00 (2 points), In Progress 03-05 09:00, Done 03-06 15:00.
//! - WEB-4: added to 101 on 03-05 10:00 and removed again 03-06 10:00 (1 point).
//! - WEB-5: in 102 from the start (3), In Progress 03-17 09:00, Done 03-18 10:00, reopened
//!   03-19 10:00, Done 03-20 10:00.
//!
//! Points only in "Story point estimate" (Cloud) or "Story Points" (Data Center).

use crate::common::*;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

const EMAIL: &str = "po@example.com";
const TOKEN: &str = "sekrit-api-token-4711";

#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    Cloud,
    DataCenter,
}

/// The fake site's data and its faults.
struct Jira {
    flavour: Flavour,
    issues: Vec<Value>,
    /// Per sprint id: the scope-change burndown and the sprint report.
    charts: HashMap<u64, Value>,
    reports: HashMap<u64, Value>,
    /// Answers to give before the real one, per path prefix: (status, Retry-After).
    faults: Vec<(String, u16, Option<u64>, usize)>,
    /// Every request's path and query, in order.
    log: Vec<String>,
}

fn ms(t: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn jt(t: &str) -> String {
    format!("{}.000+0000", t.replace(' ', "T"))
}

fn status_item(from: (&str, &str), to: (&str, &str)) -> Value {
    json!({"field": "status", "fieldtype": "jira", "fieldId": "status",
           "from": from.0, "fromString": from.1, "to": to.0, "toString": to.1})
}

fn sprint_item(from: &str, to: &str) -> Value {
    json!({"field": "Sprint", "fieldtype": "custom", "fieldId": "customfield_10020",
           "from": from, "fromString": from, "to": to, "toString": to})
}

const TODO: (&str, &str) = ("1", "To Do");
const DOING: (&str, &str) = ("3", "In Progress");
const DONE: (&str, &str) = ("10001", "Done");

impl Jira {
    fn new(flavour: Flavour) -> Jira {
        let pf = points_field(flavour);
        let history =
            |at: &str, items: Vec<Value>| json!({"id": at, "created": jt(at), "items": items});
        let issue = |key: &str, points: f64, sprints: &[u64], histories: Vec<Value>| {
            let mut fields = json!({
                "summary": format!("Story {key}"),
                "issuetype": {"name": "Story"},
                "created": jt("2026-02-27 10:00:00"),
                "status": {"name": "Done"},
                "customfield_10020": sprints.iter().map(|s| json!({"id": s})).collect::<Vec<_>>(),
            });
            fields[pf.0] = json!(points);
            json!({"key": key, "fields": fields,
                   "changelog": {"startAt": 0, "maxResults": 100, "total": histories.len(), "histories": histories}})
        };
        let estimate = |from: &str, to: &str| {
            json!({"field": pf.1, "fieldtype": "custom", "fieldId": pf.0,
                   "from": null, "fromString": from, "to": null, "toString": to})
        };
        let issues = vec![
            issue(
                "WEB-1",
                5.0,
                &[101],
                vec![
                    history("2026-03-03 09:00:00", vec![status_item(TODO, DOING)]),
                    history("2026-03-05 12:00:00", vec![status_item(DOING, DONE)]),
                ],
            ),
            issue(
                "WEB-2",
                8.0,
                &[101, 102, 103],
                vec![
                    history("2026-03-04 10:00:00", vec![estimate("3", "8")]),
                    history("2026-03-06 10:00:00", vec![status_item(TODO, DOING)]),
                    history(
                        "2026-03-13 17:00:01",
                        vec![
                            json!({"field": "Sprint", "fieldId": "customfield_10020", "from": "101", "fromString": "Web 1", "to": "101, 102", "toString": "Web 1, Web 2"}),
                        ],
                    ),
                    history(
                        "2026-03-27 16:00:01",
                        vec![sprint_item("101, 102", "101, 102, 103")],
                    ),
                    history("2026-04-01 10:00:00", vec![status_item(DOING, DONE)]),
                ],
            ),
            issue(
                "WEB-3",
                2.0,
                &[101],
                vec![
                    history("2026-03-04 11:00:00", vec![sprint_item("", "101")]),
                    history("2026-03-05 09:00:00", vec![status_item(TODO, DOING)]),
                    history("2026-03-06 15:00:00", vec![status_item(DOING, DONE)]),
                ],
            ),
            issue(
                "WEB-4",
                1.0,
                &[],
                vec![
                    history("2026-03-05 10:00:00", vec![sprint_item("", "101")]),
                    history("2026-03-06 10:00:00", vec![sprint_item("101", "")]),
                ],
            ),
            issue(
                "WEB-5",
                3.0,
                &[102],
                vec![
                    history("2026-03-17 09:00:00", vec![status_item(TODO, DOING)]),
                    history("2026-03-18 10:00:00", vec![status_item(DOING, DONE)]),
                    history("2026-03-19 10:00:00", vec![status_item(DONE, DOING)]),
                    history("2026-03-20 10:00:00", vec![status_item(DOING, DONE)]),
                ],
            ),
        ];
        let change = |t: &str, entries: Value| (ms(t).to_string(), entries);
        let chart =
            |changes: Vec<(String, Value)>, start: &str, end: &str, complete: Option<&str>| {
                json!({"changes": changes.into_iter().collect::<serde_json::Map<_, _>>(),
                   "startTime": ms(start), "endTime": ms(end),
                   "completeTime": complete.map(ms), "now": ms("2026-04-02 12:00:00")})
            };
        let mut charts = HashMap::new();
        // This Data Center site does not give sprint 101's scope changes: its adds and removals
        // come from the issues' Sprint changes.
        if flavour == Flavour::Cloud {
            charts.insert(101, chart(vec![
            change("2026-03-01 10:00:00", json!([{"key": "WEB-1", "added": true, "statC": {"newValue": 5}},
                                                {"key": "WEB-2", "added": true, "statC": {"newValue": 3}}])),
            change("2026-03-04 10:00:00", json!([{"key": "WEB-2", "statC": {"oldValue": 3, "newValue": 8}}])),
            change("2026-03-04 11:00:00", json!([{"key": "WEB-3", "added": true, "statC": {"newValue": 2}}])),
            change("2026-03-05 10:00:00", json!([{"key": "WEB-4", "added": true, "statC": {"newValue": 1}}])),
            change("2026-03-05 12:00:00", json!([{"key": "WEB-1", "column": {"notDone": false, "done": true, "newStatus": "10001"}}])),
            change("2026-03-06 10:00:00", json!([{"key": "WEB-4", "added": false}])),
            change("2026-03-06 15:00:00", json!([{"key": "WEB-3", "column": {"notDone": false, "done": true, "newStatus": "10001"}}])),
        ], "2026-03-02 09:00:00", "2026-03-13 17:00:00", Some("2026-03-13 17:00:00")));
        }
        charts.insert(102, chart(vec![
            change("2026-03-13 17:00:01", json!([{"key": "WEB-2", "added": true, "statC": {"newValue": 8}},
                                                {"key": "WEB-5", "added": true, "statC": {"newValue": 3}}])),
            change("2026-03-18 10:00:00", json!([{"key": "WEB-5", "column": {"done": true}}])),
            change("2026-03-19 10:00:00", json!([{"key": "WEB-5", "column": {"notDone": true, "done": false}}])),
            change("2026-03-20 10:00:00", json!([{"key": "WEB-5", "column": {"done": true}}])),
        ], "2026-03-16 09:00:00", "2026-03-27 17:00:00", Some("2026-03-27 16:00:00")));
        charts.insert(
            103,
            chart(
                vec![
                    change(
                        "2026-03-27 16:00:01",
                        json!([{"key": "WEB-2", "added": true, "statC": {"newValue": 8}}]),
                    ),
                    change(
                        "2026-04-01 10:00:00",
                        json!([{"key": "WEB-2", "column": {"done": true}}]),
                    ),
                ],
                "2026-03-30 09:00:00",
                "2026-04-10 17:00:00",
                None,
            ),
        );
        let report = |done: &[&str], not: &[&str], punted: &[&str], added: &[&str]| {
            let list = |ks: &[&str]| ks.iter().map(|k| json!({"key": k})).collect::<Vec<_>>();
            json!({"contents": {
                "completedIssues": list(done), "issuesNotCompletedInCurrentSprint": list(not),
                "puntedIssues": list(punted), "issuesCompletedInAnotherSprint": [],
                "issueKeysAddedDuringSprint": added.iter().map(|k| (k.to_string(), json!(true))).collect::<serde_json::Map<_, _>>()},
                "sprint": {}})
        };
        let mut reports = HashMap::new();
        reports.insert(
            101,
            report(
                &["WEB-1", "WEB-3"],
                &["WEB-2"],
                &["WEB-4"],
                &["WEB-3", "WEB-4"],
            ),
        );
        // Jira's report of 102 names a removed issue the history never saw: the sync says so.
        reports.insert(102, report(&["WEB-5"], &["WEB-2"], &["WEB-9"], &[]));
        reports.insert(103, report(&["WEB-2"], &[], &[], &[]));
        Jira {
            flavour,
            issues,
            charts,
            reports,
            faults: Vec::new(),
            log: Vec::new(),
        }
    }
}

fn points_field(flavour: Flavour) -> (&'static str, &'static str) {
    match flavour {
        Flavour::Cloud => ("customfield_10016", "Story point estimate"),
        Flavour::DataCenter => ("customfield_10002", "Story Points"),
    }
}

fn query(uri: &Uri) -> HashMap<String, String> {
    let decode = |s: &str| {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap();
                out.push(h);
                i += 3;
            } else {
                out.push(if b[i] == b'+' { b' ' } else { b[i] });
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect()
}

fn answer(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// One page of `all` from `start`, `size` long, in the agile API's shape.
fn agile_page(all: &[Value], start: usize, size: usize) -> Value {
    let page: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
    json!({"startAt": start, "maxResults": size, "isLast": start + page.len() >= all.len(), "values": page})
}

async fn handle(State(jira): State<Arc<Mutex<Jira>>>, uri: Uri, headers: HeaderMap) -> Response {
    let mut j = jira.lock().unwrap();
    let path = uri.path().to_string();
    let full = uri.to_string();
    j.log.push(full.clone());
    // Faults first.
    if let Some(k) = j
        .faults
        .iter()
        .position(|f| full.starts_with(&f.0) || path.starts_with(&f.0))
    {
        let (_, status, retry, left) = j.faults[k].clone();
        if left <= 1 {
            j.faults.remove(k);
        } else {
            j.faults[k].3 -= 1;
        }
        let mut r = answer(status, json!({"errorMessages": ["fault"]}));
        if let Some(s) = retry {
            r.headers_mut()
                .insert("Retry-After", s.to_string().parse().unwrap());
        }
        return r;
    }
    let auth = headers
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let want = match j.flavour {
        Flavour::Cloud => format!(
            "Basic {}",
            sprintlens::domain::secret::base64(format!("{EMAIL}:{TOKEN}").as_bytes())
        ),
        Flavour::DataCenter => format!("Bearer {TOKEN}"),
    };
    if auth != want {
        return answer(
            401,
            json!({"errorMessages": ["You are not authenticated."]}),
        );
    }
    let q = query(&uri);
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let api = match j.flavour {
        Flavour::Cloud => "/rest/api/3",
        Flavour::DataCenter => "/rest/api/2",
    };
    let pf = points_field(j.flavour);
    match path.as_str() {
        "/rest/agile/1.0/board/7/sprint" => {
            let sprint = |id: u64,
                          name: &str,
                          state: &str,
                          dates: Option<(&str, &str)>,
                          complete: Option<&str>,
                          origin: u64| {
                let mut s =
                    json!({"id": id, "name": name, "state": state, "originBoardId": origin});
                if let Some((a, b)) = dates {
                    s["startDate"] = json!(format!("{}.000Z", a.replace(' ', "T")));
                    s["endDate"] = json!(format!("{}.000Z", b.replace(' ', "T")));
                }
                if let Some(c) = complete {
                    s["completeDate"] = json!(format!("{}.000Z", c.replace(' ', "T")));
                }
                s
            };
            let all = vec![
                sprint(
                    101,
                    "Web 1",
                    "closed",
                    Some(("2026-03-02 09:00:00", "2026-03-13 17:00:00")),
                    Some("2026-03-13 17:00:00"),
                    7,
                ),
                sprint(
                    102,
                    "Web 2",
                    "closed",
                    Some(("2026-03-16 09:00:00", "2026-03-27 17:00:00")),
                    Some("2026-03-27 16:00:00"),
                    7,
                ),
                sprint(
                    201,
                    "Other 1",
                    "closed",
                    Some(("2026-03-02 09:00:00", "2026-03-13 17:00:00")),
                    Some("2026-03-13 17:00:00"),
                    8,
                ),
                sprint(
                    103,
                    "Web 3",
                    "active",
                    Some(("2026-03-30 09:00:00", "2026-04-10 17:00:00")),
                    None,
                    7,
                ),
                sprint(104, "Web 4", "future", None, None, 7),
            ];
            // Two a page, whatever was asked.
            answer(200, agile_page(&all, num("startAt"), 2))
        }
        "/rest/agile/1.0/board/7/configuration" => match j.flavour {
            Flavour::Cloud => answer(404, json!({"errorMessages": ["no"]})),
            Flavour::DataCenter => answer(
                200,
                json!({"estimation": {"type": "field", "field": {"fieldId": pf.0, "displayName": pf.1}}}),
            ),
        },
        p if p == format!("{api}/field") => answer(
            200,
            json!([
                {"id": "summary", "name": "Summary", "schema": {"type": "string"}},
                {"id": pf.0, "name": pf.1, "schema": {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float"}},
                {"id": "customfield_10020", "name": "Sprint", "schema": {"type": "array", "custom": "com.pyxis.greenhopper.jira:gh-sprint"}},
            ]),
        ),
        p if p == format!("{api}/status") => answer(
            200,
            json!([
                {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}},
                {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                {"id": "10001", "name": "Done", "statusCategory": {"key": "done"}},
            ]),
        ),
        "/rest/api/3/search/jql" | "/rest/api/2/search" => {
            let jql = q.get("jql").cloned().unwrap_or_default();
            let since = jql
                .split("updated >= \"")
                .nth(1)
                .map(|r| r.split('"').next().unwrap().to_string());
            let found: Vec<Value> = j
                .issues
                .iter()
                .filter(|i| {
                    let updated = i["fields"]["updated"].as_str().unwrap_or("2026-04-01");
                    since
                        .as_deref()
                        .is_none_or(|s| updated.replace('-', "/").as_str() >= s)
                })
                .map(|i| {
                    // The search gives the first two changelog entries only.
                    let mut i = i.clone();
                    let h = i["changelog"]["histories"].as_array().unwrap().clone();
                    i["changelog"]["histories"] = json!(h.into_iter().take(2).collect::<Vec<_>>());
                    i["changelog"]["maxResults"] = json!(2);
                    i
                })
                .collect();
            if path.ends_with("/jql") {
                let start: usize = q
                    .get("nextPageToken")
                    .map(|t| t.trim_start_matches("page-").parse().unwrap())
                    .unwrap_or(0);
                let page: Vec<Value> = found.iter().skip(start).take(2).cloned().collect();
                let mut body = json!({"issues": page, "isLast": start + 2 >= found.len()});
                if start + 2 < found.len() {
                    body["nextPageToken"] = json!(format!("page-{}", start + 2));
                }
                answer(200, body)
            } else {
                let start = num("startAt");
                let page: Vec<Value> = found.iter().skip(start).take(2).cloned().collect();
                answer(
                    200,
                    json!({"startAt": start, "maxResults": 2, "total": found.len(), "issues": page}),
                )
            }
        }
        p if p.starts_with("/rest/api/3/issue/") && p.ends_with("/changelog") => {
            let key = p
                .trim_start_matches("/rest/api/3/issue/")
                .trim_end_matches("/changelog");
            let issue = j.issues.iter().find(|i| i["key"] == key).unwrap();
            let all = issue["changelog"]["histories"].as_array().unwrap().clone();
            let mut page = agile_page(&all, num("startAt"), 2);
            page["total"] = json!(all.len());
            answer(200, page)
        }
        p if p.starts_with("/rest/api/2/issue/") => {
            let key = p.trim_start_matches("/rest/api/2/issue/");
            let issue = j.issues.iter().find(|i| i["key"] == key).unwrap();
            answer(
                200,
                json!({"key": key, "fields": {}, "changelog": issue["changelog"]}),
            )
        }
        "/rest/greenhopper/1.0/rapid/charts/scopechangeburndownchart.json" => {
            assert_eq!(
                q.get("statisticFieldId").map(String::as_str),
                Some(format!("field_{}", pf.0).as_str())
            );
            match j.charts.get(&(num("sprintId") as u64)) {
                Some(c) => answer(200, c.clone()),
                None => answer(404, json!({})),
            }
        }
        "/rest/greenhopper/1.0/rapid/charts/sprintreport" => {
            match j.reports.get(&(num("sprintId") as u64)) {
                Some(r) => answer(200, r.clone()),
                None => answer(404, json!({})),
            }
        }
        _ => answer(404, json!({"errorMessages": [format!("no {path}")]})),
    }
}

/// The fake site on a port of its own, served from a thread; its state to change and read.
struct Fake {
    addr: String,
    jira: Arc<Mutex<Jira>>,
}

fn fake(flavour: Flavour) -> Fake {
    let jira = Arc::new(Mutex::new(Jira::new(flavour)));
    let state = jira.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            let app = axum::Router::new().fallback(handle).with_state(state);
            axum::serve(listener, app).await.unwrap();
        });
    });
    Fake {
        addr: rx.recv().unwrap(),
        jira,
    }
}

/// A database folder with a sprintlens.toml for the fake site.
fn site(dir: &Path, fake: &Fake, flavour: Flavour) -> PathBuf {
    let db = dir.join("s.duckdb");
    std::fs::write(
        dir.join("sprintlens.toml"),
        format!(
            "[sync.jira]\nurl = \"http://{}\"\nflavour = \"{}\"\nconcurrency = 2\n[sync.jira.teams]\nweb = 7\n",
            fake.addr,
            if flavour == Flavour::Cloud { "cloud" } else { "datacenter" }
        ),
    )
    .unwrap();
    db
}

fn sync(db: &Path, token: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_sprintlens"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "--format",
            "json",
            "sync",
            "jira",
        ])
        .env_remove("SPRINTLENS_DB")
        .env_remove("SPRINTLENS_FORMAT")
        .env("SPRINTLENS_JIRA_EMAIL", EMAIL)
        .env("SPRINTLENS_JIRA_TOKEN", token)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn items(db: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open(db).unwrap();
    rows_as_text(
        &conn,
        "select sprint_id || ' ' || story || ' ' || committed || ' ' || removed || ' ' || \
         coalesce(points_start::varchar, '-') || ' ' || coalesce(points_end::varchar, '-') || ' ' || status || ' ' || \
         coalesce(strftime(started_at, '%m-%d %H:%M'), '-') || ' ' || coalesce(strftime(completed_at, '%m-%d %H:%M'), '-') \
         from sprint_items order by sprint_id, story",
    )
}

/// The synced tables (not the ingest log and the sync state, which record the runs).
fn data(db: &Path) -> Vec<String> {
    let conn = duckdb::Connection::open(db).unwrap();
    let mut out = Vec::new();
    for t in [
        "teams",
        "sprints",
        "stories",
        "sprint_items",
        "sprint_events",
    ] {
        out.extend(rows_as_text(
            &conn,
            &format!("select '{t}', * from {t} order by all"),
        ));
    }
    out
}

const WANT: [&str; 7] = [
    "Text(\"101 WEB-1 true false 5.0 5.0 done 03-03 09:00 03-05 12:00\")",
    "Text(\"101 WEB-2 true false 3.0 8.0 not_done 03-06 10:00 -\")",
    "Text(\"101 WEB-3 false false - 2.0 done 03-05 09:00 03-06 15:00\")",
    "Text(\"101 WEB-4 false true - 1.0 removed - -\")",
    "Text(\"102 WEB-2 true false 8.0 8.0 not_done 03-06 10:00 -\")",
    "Text(\"102 WEB-5 true false 3.0 3.0 done 03-17 09:00 03-20 10:00\")",
    "Text(\"103 WEB-2 true false 8.0 8.0 done 03-06 10:00 04-01 10:00\")",
];

#[test]
fn a_cloud_board_syncs_to_hand_computed_sprints_polite_to_429_and_500() {
    let dir = scratch();
    let f = fake(Flavour::Cloud);
    let db = site(dir.path(), &f, Flavour::Cloud);
    {
        let mut j = f.jira.lock().unwrap();
        // The first sprint page is refused once for too many requests, a chart once with 503.
        j.faults
            .push(("/rest/agile/1.0/board/7/sprint".into(), 429, Some(1), 1));
        j.faults.push(("/rest/greenhopper/1.0/rapid/charts/scopechangeburndownchart.json?rapidViewId=7&sprintId=102".into(), 503, None, 1));
    }
    let r = sync(&db, TOKEN);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(items(&db), WANT);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["boards"][0]["sprints"], 3, "{out}");
    assert_eq!(out["boards"][0]["stories"], 5);
    assert_eq!(out["boards"][0]["sprints_read"], 3);
    assert_eq!(out["boards"][0]["incremental"], false);
    // Jira's report of 102 and the history disagree on one removed issue: said, by key.
    let notes: Vec<&str> = out["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        [
            "sprint 102 \"Web 2\": removed (punted): only Jira's sprint report: WEB-9; only the history: none"
        ]
    );
    // The token is nowhere in what the run printed or stored.
    assert!(!r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN));
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()));

    // Sprint dates and times, the sprint of another board left out, the future one without dates.
    let conn = duckdb::Connection::open(&db).unwrap();
    assert_eq!(
        rows_as_text(
            &conn,
            "select sprint_id, name, start_date::varchar, end_date::varchar, started_at::varchar, closed_at::varchar from sprints order by sprint_id"
        ),
        [
            "Text(\"101\") | Text(\"Web 1\") | Text(\"2026-03-02\") | Text(\"2026-03-13\") | Text(\"2026-03-02 09:00:00\") | Text(\"2026-03-13 17:00:00\")",
            "Text(\"102\") | Text(\"Web 2\") | Text(\"2026-03-16\") | Text(\"2026-03-27\") | Text(\"2026-03-16 09:00:00\") | Text(\"2026-03-27 16:00:00\")",
            "Text(\"103\") | Text(\"Web 3\") | Text(\"2026-03-30\") | Text(\"2026-04-10\") | Text(\"2026-03-30 09:00:00\") | Null",
        ]
    );
    drop(conn);
    // Every list was read page by page; the 429 and the 503 were asked again.
    let log = f.jira.lock().unwrap().log.clone();
    let count = |p: &str| log.iter().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("/rest/agile/1.0/board/7/sprint"), 4, "{log:#?}");
    assert_eq!(count("/rest/api/3/search/jql"), 3);
    // WEB-2's five changelog entries: the search gives two, then pages of two.
    assert_eq!(count("/rest/api/3/issue/WEB-2/changelog"), 3);
    assert_eq!(count("/rest/api/3/issue/WEB-5/changelog"), 2);
    assert_eq!(
        count("/rest/greenhopper/1.0/rapid/charts/scopechangeburndownchart.json"),
        4
    );

    // Velocity of 101: committed WEB-1 5 + WEB-2 3 = 8, added WEB-3 2 + WEB-4 1 = 3, removed 1,
    // completed 5 + 2 = 7 (of the committed 5), say/do 5/8, carry-over 1 (WEB-2).
    let r = sprintlens(
        &db,
        &["--format", "json", "velocity", "--as-of", "2026-04-02"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let s = &v["sprints"][0];
    for (k, want) in [
        ("committed", 8.0),
        ("added", 3.0),
        ("removed", 1.0),
        ("completed", 7.0),
        ("completed_of_committed", 5.0),
        ("say_do", 0.625),
    ] {
        assert_eq!(s[k].as_f64(), Some(want), "{k}: {s}");
    }
    assert_eq!(s["carry_over_items"], 1);
    let s = &v["sprints"][1];
    assert_eq!(
        (s["committed"].as_f64(), s["completed"].as_f64()),
        (Some(11.0), Some(3.0))
    );
}

#[test]
fn a_second_run_reads_only_what_changed_and_ends_where_a_fresh_sync_does() {
    let dir = scratch();
    let f = fake(Flavour::Cloud);
    let db = site(dir.path(), &f, Flavour::Cloud);
    assert_eq!(sync(&db, TOKEN).code, 0);
    let first = data(&db);
    f.jira.lock().unwrap().log.clear();
    let r = sync(&db, TOKEN);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(data(&db), first, "a second run changes nothing");
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["boards"][0]["incremental"], true);
    // Only the active sprint's scope changes are read again; issues updated since the last run.
    let log = f.jira.lock().unwrap().log.clone();
    let charts: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("scopechangeburndownchart"))
        .collect();
    assert_eq!(charts.len(), 1, "{charts:?}");
    assert!(charts[0].contains("sprintId=103"));
    assert!(
        log.iter()
            .any(|l| l.contains("/search/jql") && l.contains("updated%20%3E%3D")),
        "{log:#?}"
    );

    // A change on the site: WEB-6 added to the active sprint, WEB-3 renamed.
    {
        let mut j = f.jira.lock().unwrap();
        let mut six = j.issues[3].clone();
        six["key"] = json!("WEB-6");
        six["fields"]["summary"] = json!("Story WEB-6");
        six["fields"]["customfield_10016"] = json!(2.0);
        six["fields"]["updated"] = json!("2026-12-31");
        j.issues.push(six);
        j.issues[2]["fields"]["summary"] = json!("Renamed");
        j.issues[2]["fields"]["updated"] = json!("2026-12-31");
        j.charts.get_mut(&103).unwrap()["changes"][ms("2026-04-02 09:00:00").to_string()] =
            json!([{"key": "WEB-6", "added": true, "statC": {"newValue": 2}}]);
    }
    let r = sync(&db, TOKEN);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // WEB-6's Sprint field never names sprint 103, which the scope changes put it in, and Jira's
    // report of 103 does not list it as added: both said.
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        out["notes"],
        json!([
            "sprint 103 \"Web 3\": in it at its close by the scope changes only: WEB-6; by the issues' Sprint field only: none",
            "sprint 103 \"Web 3\": added during the sprint: only Jira's sprint report: none; only the history: WEB-6"
        ])
    );
    let fresh_dir = scratch();
    let fresh = site(fresh_dir.path(), &f, Flavour::Cloud);
    assert_eq!(sync(&fresh, TOKEN).code, 0);
    assert_eq!(data(&db), data(&fresh));
    assert!(items(&db).contains(&"Text(\"103 WEB-6 false false - 2.0 not_done - -\")".to_string()));
}

#[test]
fn a_failure_part_way_writes_nothing_and_names_what_failed_without_the_token() {
    let dir = scratch();
    let f = fake(Flavour::Cloud);
    let db = site(dir.path(), &f, Flavour::Cloud);
    assert_eq!(sync(&db, TOKEN).code, 0);
    // A change, then a run whose report of sprint 103 fails with 500 every time.
    f.jira.lock().unwrap().issues[0]["fields"]["summary"] = json!("Changed");
    f.jira.lock().unwrap().issues[0]["fields"]["updated"] = json!("2026-12-31");
    f.jira.lock().unwrap().faults.push((
        "/rest/greenhopper/1.0/rapid/charts/sprintreport?rapidViewId=7&sprintId=103".into(),
        500,
        None,
        99,
    ));
    let before = fingerprint(&db);
    let r = sync(&db, TOKEN);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("GET /rest/greenhopper/1.0/rapid/charts/sprintreport?rapidViewId=7&sprintId=103: 500 from the site after 5 tries"),
        "{}",
        r.stderr
    );
    assert_eq!(fingerprint(&db), before);
    // A wrong token: 401, said with where to fix it, the token not shown.
    f.jira.lock().unwrap().faults.clear();
    let r = sync(&db, "wrong-token-0815");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("401 Unauthorized: the site refused the credentials; check the e-mail and API token (SPRINTLENS_JIRA_EMAIL, SPRINTLENS_JIRA_TOKEN)"), "{}", r.stderr);
    assert!(!r.stderr.contains("wrong-token-0815"));
    assert_eq!(fingerprint(&db), before);
    // The next good run starts from the last good state and takes the change.
    let r = sync(&db, TOKEN);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let conn = duckdb::Connection::open(&db).unwrap();
    assert_eq!(
        rows_as_text(&conn, "select title from stories where story = 'WEB-1'"),
        ["Text(\"Changed\")"]
    );
}

#[test]
fn a_data_center_board_syncs_the_same_with_a_personal_access_token() {
    let dir = scratch();
    let f = fake(Flavour::DataCenter);
    let db = site(dir.path(), &f, Flavour::DataCenter);
    let r = sync(&db, TOKEN);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(items(&db), WANT);
    let log = f.jira.lock().unwrap().log.clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/rest/api/2/search?") && l.contains("startAt=2"))
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("/rest/api/2/issue/WEB-2?expand=changelog"))
    );
    assert!(!log.iter().any(|l| l.contains("/rest/api/3/")));
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        out["notes"][0],
        "board 7: sprint 101 \"Web 1\": no scope-change history (the site does not answer Jira's burndown chart); its adds and removals are read from the issues' changelogs"
    );
}

#[test]
fn settings_and_credentials_missing_are_said_clearly() {
    let dir = scratch();
    let db = dir.path().join("s.duckdb");
    let r = sprintlens(&db, &["sync", "jira"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no [sync.jira] in sprintlens.toml"),
        "{}",
        r.stderr
    );
    std::fs::write(
        dir.path().join("sprintlens.toml"),
        "[sync.jira]\nurl = \"https://example.atlassian.net\"\ntoken = \"in-the-file-123\"\n[sync.jira.teams]\nweb = 7\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sprintlens"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "sync",
            "jira",
            "--team",
            "web",
        ])
        .env_remove("SPRINTLENS_JIRA_EMAIL")
        .env_remove("SPRINTLENS_JIRA_TOKEN")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("a Cloud site needs the account's e-mail with the API token"),
        "{err}"
    );
    let r = sprintlens(&db, &["sync", "jira", "--team", "api"]);
    assert!(
        r.stderr
            .contains("team \"api\" has no board in [sync.jira.teams] (teams: web)"),
        "{}",
        r.stderr
    );
    // A settings file with a mistake on the token's line: the line's number, not its text.
    std::fs::write(
        dir.path().join("sprintlens.toml"),
        "[sync.jira]\nurl = \"https://example.atlassian.net\"\ntoken = in-the-file-123\n",
    )
    .unwrap();
    let r = sprintlens(&db, &["sync", "jira"]);
    assert!(r.stderr.contains("line 3"), "{}", r.stderr);
    assert!(!r.stderr.contains("in-the-file-123"), "{}", r.stderr);
    assert!(!db.exists());
}

#[test]
fn a_server_with_every_minutes_syncs_on_its_own_and_its_pages_show_it() {
    let dir = scratch();
    let f = fake(Flavour::Cloud);
    let db = dir.path().join("s.duckdb");
    // Credentials in the settings file this time (a file only its owner reads).
    std::fs::write(
        dir.path().join("sprintlens.toml"),
        format!(
            "[sync.jira]\nurl = \"http://{}\"\nflavour = \"cloud\"\nemail = \"{EMAIL}\"\ntoken = \"{TOKEN}\"\nevery_minutes = 60\n[sync.jira.teams]\nweb = 7\n",
            f.addr
        ),
    )
    .unwrap();
    let teams = write(dir.path(), "teams.csv", b"team,name\nweb,Web\n");
    ingest_ok(&db, &[&teams]);
    let (_server, addr) = serve_with(&db, &["--bind", "127.0.0.1:0"]);
    let start = std::time::Instant::now();
    let review = loop {
        let (status, body) = call(
            &addr,
            "GET",
            "/api/teams/web/sprints/101?as_of=2026-04-02",
            &[],
            b"",
        );
        if status == 200 {
            break serde_json::from_str::<Value>(&body).unwrap();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{status}: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(review["sprint"]["committed"], 8.0);
    assert_eq!(review["sprint"]["completed"], 7.0);
    assert_eq!(review["history"]["days"][0]["scope"], 8.0);
    let changes: Vec<&str> = review["history"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["story"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["WEB-2", "WEB-3", "WEB-4", "WEB-4"]);
    // Sprint 101 by the day: committed WEB-1 5 + WEB-2 3 = 8; 03-04 WEB-2 to 8 and WEB-3 (2)
    // in: 15; 03-05 WEB-4 (1) in: 16, WEB-1 done: 5; 03-06 WEB-4 out: 15, WEB-3 done: 7.
    let days: Vec<(f64, f64)> = review["history"]["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["scope"].as_f64().unwrap(), d["done"].as_f64().unwrap()))
        .collect();
    let mut want = vec![(8.0, 0.0), (8.0, 0.0), (15.0, 0.0), (16.0, 5.0)];
    want.extend(std::iter::repeat_n((15.0, 7.0), 8));
    assert_eq!(days, want);
    // Cycle times (done day - first in-progress day + 1): WEB-1 03-03..03-05 = 3, WEB-3
    // 03-05..03-06 = 2, WEB-5 03-17..03-20 (done, reopened, done) = 4, WEB-2 03-06..04-01 = 27.
    let team = get_json(&addr, "/api/teams/web?as_of=2026-04-02");
    let mut cycles: Vec<(String, i64)> = team["flow"]["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["story"].as_str().unwrap().to_string(),
                d["cycle_days"].as_i64().unwrap(),
            )
        })
        .collect();
    cycles.sort();
    assert_eq!(
        cycles,
        [
            ("WEB-1".to_string(), 3),
            ("WEB-2".to_string(), 27),
            ("WEB-3".to_string(), 2),
            ("WEB-5".to_string(), 4)
        ]
    );
}
