//! The report server and static reports as a user meets them: every route driven without a
//! socket (200, 404, 400), the pages' numbers against the CLI's, escaping of hostile text on
//! every page, template snapshots over the sample data, the real binary on port 0, the demo
//! serving, and `report` writing self-contained pages.
//! Update page snapshots with SPRINTLENS_UPDATE_SNAPSHOTS=1 cargo test web::, then read them.

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Every sample sprint ended before this day: all closed, pages stable from day to day.
const AS_OF: &str = "as_of=2025-07-01";

fn state_for(db: &std::path::Path) -> sprintlens::web::state::Shared {
    let store = sprintlens::store::Store::open_read_only(db)
        .unwrap()
        .unwrap();
    let settings = sprintlens::settings::Settings::load(None, db).unwrap();
    sprintlens::web::AppState::new(store, settings, 256 << 20).unwrap()
}

fn app_for(db: &std::path::Path) -> axum::Router {
    sprintlens::web::app(state_for(db))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let res = app
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn json(app: &axum::Router, uri: &str) -> serde_json::Value {
    let (s, body) = get(app, uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: {e}: {body}"))
}

fn sample_db(dir: &std::path::Path) -> std::path::PathBuf {
    sample_store(dir, "w.duckdb")
}

/// Every page of the sample data with its JSON twin.
const PAGES: [(&str, &str); 8] = [
    ("/", "/api/teams"),
    ("/dashboard", "/api/dashboard"),
    (
        "/dashboard?program=commerce",
        "/api/dashboard?program=commerce",
    ),
    ("/teams/payments", "/api/teams/payments"),
    ("/teams/payments/splits", "/api/teams/payments/splits"),
    ("/teams/payments/sprints/3", "/api/teams/payments/sprints/3"),
    (
        "/teams/payments/sprints/9/retro",
        "/api/teams/payments/sprints/9/retro",
    ),
    ("/teams/payments/reference", "/api/teams/payments/reference"),
];

fn with_as_of(path: &str) -> String {
    format!(
        "{path}{}{AS_OF}",
        if path.contains('?') { '&' } else { '?' }
    )
}

#[tokio::test]
async fn every_page_and_its_json_twin_answer() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    let (s, body) = get(&app, "/healthz").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "ok"));
    for (page, api) in PAGES {
        let (s, body) = get(&app, &with_as_of(page)).await;
        assert_eq!(s, StatusCode::OK, "{page}: {body}");
        assert!(body.starts_with("<!doctype html>"), "{page}");
        // The page links its twin, keeping the query (parameters sorted).
        let (path, query) = with_as_of(api)
            .split_once('?')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap();
        let mut pairs: Vec<&str> = query.split('&').collect();
        pairs.sort();
        let twin = format!("{path}?{}", pairs.join("&amp;"));
        assert!(
            body.contains(&format!("href=\"{twin}\"")),
            "{page} links {twin}"
        );
        json(&app, &with_as_of(api)).await;
    }
    // The index links every team, its latest sprint and the dashboards.
    let (_, index) = get(&app, "/").await;
    for link in [
        "<a href=\"/teams/payments\">Payments</a>",
        "<a href=\"/teams/payments/sprints/12\">PAY Sprint 12</a>",
        "<a href=\"/teams/search/splits\">split candidates</a>",
        "<a href=\"/dashboard?program=commerce\">commerce</a>",
    ] {
        assert!(index.contains(link), "missing {link}");
    }
    let v = json(&app, "/api/teams").await;
    assert_eq!(v["teams"].as_array().unwrap().len(), 3);
    assert_eq!(v["teams"][1]["latest"], "12");
}

#[tokio::test]
async fn the_sprint_review_shows_the_same_numbers_as_the_cli() {
    let dir = scratch();
    let db = sample_db(dir.path());
    let app = app_for(&db);
    let cli = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "velocity",
            "--team",
            "payments",
            "--sprint",
            "3",
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    let cli: serde_json::Value = serde_json::from_str(&cli.stdout).unwrap();
    let want = &cli["sprints"][0];
    let page = json(&app, &with_as_of("/api/teams/payments/sprints/3")).await;
    for k in [
        "committed",
        "added",
        "removed",
        "completed",
        "say_do",
        "carry_over_items",
    ] {
        assert_eq!(page["sprint"][k], want[k], "{k}");
    }
    // Read off the sample data: sprint 3 committed 44 (13+5+2+5+5+1+5+3+5), added 11
    // (3+3+5), completed 45 (the done items' points at the end, PAY-116 grew from 5 to 8);
    // say/do 34/44 (done committed items at their committed points) = 77%.
    assert_eq!(want["committed"], 44.0);
    assert_eq!(want["added"], 11.0);
    assert_eq!(want["completed"], 45.0);
    let (_, html) = get(&app, &with_as_of("/teams/payments/sprints/3")).await;
    for kpi in [
        "<b>44</b><span>committed points</span>",
        "<b>11</b><span>added</span>",
        "<b>45</b><span>completed</span>",
        "<b>77%</b><span>say&#x2f;do</span>",
    ] {
        assert!(html.contains(kpi), "missing {kpi}");
    }
    // Twelve items were in sprint 3; each is listed with its title.
    assert_eq!(page["stories"].as_array().unwrap().len(), 12);
    assert!(html.contains("<td>PAY-116</td><td>Migrate session timeout in the EU</td>"));
    // Previous and next sprints are linked.
    assert!(html.contains("<a href=\"/teams/payments/sprints/2\">2</a>"));
    assert!(html.contains("<a href=\"/teams/payments/sprints/4\">4</a>"));
    // Split candidates: the first five of the team's ranked list.
    let splits = json(&app, &with_as_of("/api/teams/payments/splits")).await;
    let first: Vec<&serde_json::Value> = splits["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|c| &c["story"])
        .collect();
    let shown: Vec<&serde_json::Value> = page["split_next"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["story"])
        .collect();
    assert_eq!(first, shown);
    // The forecast is the CLI's (same seed, history and trials).
    let f = sprintlens(
        &db,
        &[
            "--format",
            "json",
            "forecast",
            "--team",
            "payments",
            "--sprints",
            "3",
            "--as-of",
            "2025-07-01",
        ],
    );
    let f: serde_json::Value = serde_json::from_str(&f.stdout).unwrap();
    assert_eq!(page["forecast"]["how_much"], f["teams"][0]["how_much"]);
}

#[tokio::test]
async fn pages_carry_their_charts_with_tooltips() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    for (page, charts) in [
        // The release burnup, velocity, predictability, cycle time, spread, what a card
        // means over time, and flow: cycle-time scatter, aging work, throughput, cumulative flow.
        ("/teams/payments", 10),
        // The sprint by the day, velocity and cycle time.
        ("/teams/payments/sprints/3", 3),
        // The predictability map and one small velocity chart per team.
        ("/dashboard", 4),
    ] {
        let (_, html) = get(&app, &with_as_of(page)).await;
        assert_eq!(html.matches("<svg").count(), charts, "{page}");
        assert!(html.matches("<title>").count() > charts, "{page}: tooltips");
    }
    let (_, team) = get(&app, &with_as_of("/teams/payments")).await;
    for title in [
        "Velocity of Payments",
        "Predictability: say/do and rolling CV per sprint",
        "Cycle time by points (accuracy by size)",
        "Estimation spread of the stories planned into each sprint",
    ] {
        assert!(team.contains(title), "missing chart {title}");
    }
    let (_, dash) = get(&app, &with_as_of("/dashboard")).await;
    assert!(
        dash.contains("compared on predictability"),
        "the dashboard says how it compares"
    );
}

#[tokio::test]
async fn unknown_things_are_404_and_bad_parameters_400() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    for uri in [
        "/teams/nobody",
        "/api/teams/nobody",
        "/teams/nobody/splits",
        "/api/teams/nobody/splits",
        "/teams/nobody/sprints/1",
        "/api/teams/nobody/sprints/1",
        "/teams/payments/sprints/99",
        "/api/teams/payments/sprints/99",
        "/teams/payments/sprints/99/retro",
        "/api/teams/payments/sprints/99/retro",
        "/teams/nobody/reference",
        "/api/teams/nobody/reference",
        "/dashboard?program=nowhere",
        "/api/dashboard?program=nowhere",
        "/no/such/page",
        "/teams/payments/sprints",
    ] {
        let (s, body) = get(&app, uri).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}: {body}");
        if uri.starts_with("/api/") {
            // The JSON twin of the error page: the same reason, as JSON.
            let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            assert!(
                v["error"].as_str().is_some_and(|m| !m.is_empty()),
                "{uri}: {body}"
            );
        } else {
            assert!(
                body.contains("<h1>404</h1>"),
                "{uri}: a page, not a bare status"
            );
        }
    }
    let (_, body) = get(&app, "/api/teams/nobody").await;
    assert_eq!(body, r#"{"error":"There is no team \"nobody\"."}"#);
    // The icon browsers ask for is no error: nothing to show.
    let (s, body) = get(&app, "/favicon.ico").await;
    assert_eq!((s, body.as_str()), (StatusCode::NO_CONTENT, ""));
    let (s, body) = get(&app, "/api/no/such/thing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body, r#"{"error":"There is no such page."}"#);
    // A parameter given twice is refused, not one of its values picked.
    let (s, body) = get(
        &app,
        "/api/teams/payments?as_of=2025-03-01&as_of=2025-04-01",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        r#"{"error":"the parameter \"as_of\" is given more than once"}"#
    );
    let (s, body) = get(&app, "/teams/payments?as_of=2025-03-01&as_of=2025-03-01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("<h1>400</h1>"), "{body}");
    let (s, body) = get(&app, "/api/teams/payments?as_of=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body.starts_with(r#"{"error":"as_of=yesterday: expected a date YYYY-MM-DD"#),
        "{body}"
    );
    // A page asked for with a method it does not take: 405 with the methods it takes.
    for (method, uri) in [
        ("DELETE", "/teams/payments"),
        ("POST", "/api/teams/payments"),
        ("PUT", "/dashboard"),
        ("PATCH", "/api/v1/rounds/schema"),
        ("GET", "/api/v1/rounds"),
    ] {
        let res = app
            .clone()
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        let allow = res.headers()["allow"].to_str().unwrap().to_string();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        let said = format!("This page does not take {method} requests.");
        if uri.starts_with("/api/") {
            assert_eq!(body, format!(r#"{{"error":"{said}"}}"#), "{method} {uri}");
        } else {
            assert!(
                body.contains("<h1>405</h1>") && body.contains(&said),
                "{body}"
            );
        }
        let expected = if uri == "/api/v1/rounds" {
            "POST"
        } else {
            "GET,HEAD"
        };
        assert_eq!(allow, expected, "{method} {uri}");
    }
    let (_, body) = get(&app, "/teams/nobody").await;
    assert!(
        body.contains("There is no team &quot;nobody&quot;."),
        "{body}"
    );
    let (_, body) = get(&app, "/teams/payments/sprints/99").await;
    assert!(body.contains("has no sprint &quot;99&quot;"), "{body}");
    for (page, _) in PAGES {
        for bad in ["as_of=yesterday", "colour=red", "as_of=2025-02-30"] {
            let sep = if page.contains('?') { '&' } else { '?' };
            let uri = format!("{page}{sep}{bad}");
            let (s, body) = get(&app, &uri).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        }
    }
    let (s, body) = get(&app, "/teams/payments?as_of=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("as_of=yesterday: expected a date YYYY-MM-DD"),
        "{body}"
    );
    let (s, body) = get(&app, "/dashboard?program=").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = get(&app, "/teams/payments?colour=red").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("unknown parameter &quot;colour&quot;"),
        "{body}"
    );
}

/// A team whose key and name are an HTML injection, a sprint named by a script, and a story
/// titled by one, with votes and a backlog story that trips the split signals.
fn hostile_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("x.duckdb");
    let team = "\"\"\"><img src=x>\"";
    let files = [
        ("teams.csv", format!("team,program\n{team},<i>prog</i>\n")),
        (
            "sprints.csv",
            format!(
                "team,sprint_id,name,start_date,end_date\n{team},S/1,<script>alert(2)</script>,2025-01-06,2025-01-19\n{team},S2,Two,2025-01-20,2025-02-02\n"
            ),
        ),
        (
            "stories.csv",
            format!(
                "team,story,title,estimate\n{team},X-1,<script>alert(1)</script>,5\n{team},X-2,<script>alert(1)</script>,20\n{team},X-3,plain,3\n"
            ),
        ),
        (
            "votes.csv",
            format!(
                "team,story,round,voter,card\n{t},X-1,1,<b>ann</b>,3\n{t},X-1,1,bo,8\n{t},X-1,2,<b>ann</b>,5\n{t},X-1,2,bo,5\n{t},X-2,1,<b>ann</b>,5\n{t},X-2,1,bo,20\n{t},X-2,2,<b>ann</b>,20\n{t},X-2,2,bo,20\n",
                t = team
            ),
        ),
        (
            "sprint_items.csv",
            format!(
                "team,sprint_id,story,committed,points_start,points_end,status,started_at,completed_at\n{team},S/1,X-1,true,5,5,done,2025-01-07T09:00:00,2025-01-10T09:00:00\n{team},S/1,X-3,true,3,3,done,2025-01-07T09:00:00,2025-01-09T09:00:00\n{team},S2,X-1,false,5,5,done,2025-01-21T09:00:00,2025-01-22T09:00:00\n"
            ),
        ),
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|(n, c)| write(dir, n, c.as_bytes()).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["ingest", "-q"];
    args.extend(paths.iter().map(String::as_str));
    let r = sprintlens(&db, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    db
}

/// The page without the scripts of its own: the release burnup's what-if (its data as JSON,
/// which `tojson` writes with `<` escaped, and the script that reads it).
fn without_own_scripts(html: &str) -> String {
    html.replace("<script type=\"application/json\" id=\"release-data\">", "")
        .replace("<script src=\"/static/release.js\" defer></script>", "")
}

fn assert_no_markup_from_users(what: &str, html: &str) {
    let html = &without_own_scripts(html);
    for raw in ["<script", "<img", "<b>ann", "<i>prog"] {
        assert!(
            !html.contains(raw),
            "{what}: raw {raw} in the page:\n{html}"
        );
    }
}

#[tokio::test]
async fn user_text_is_escaped_on_every_page() {
    let dir = scratch();
    let db = hostile_db(dir.path());
    let app = app_for(&db);
    let t = sprintlens::present::fmt::enc("\"><img src=x>");
    let pages = [
        "/".to_string(),
        "/dashboard".to_string(),
        format!(
            "/dashboard?program={}",
            sprintlens::present::fmt::enc("<i>prog</i>")
        ),
        format!("/teams/{t}"),
        format!("/teams/{t}/splits"),
        format!("/teams/{t}/sprints/S%2F1"),
        format!("/teams/{t}/sprints/S2"),
        format!("/teams/{t}/sprints/S2/retro"),
        format!("/teams/{t}/reference"),
        "/teams/%3Cscript%3E".to_string(),
    ];
    for p in &pages {
        let uri = with_as_of(p);
        let (s, html) = get(&app, &uri).await;
        assert!(
            s == StatusCode::OK || p.contains("%3Cscript"),
            "{uri}: {s} {html}"
        );
        assert_no_markup_from_users(&uri, &html);
    }
    let (_, index) = get(&app, "/").await;
    assert!(index.contains("&quot;&gt;&lt;img src=x&gt;"), "{index}");
    // The hostile key is a link target too, percent-encoded.
    assert!(index.contains(&format!("href=\"/teams/{t}\"")), "{index}");
    let (_, review) = get(&app, &with_as_of(&format!("/teams/{t}/sprints/S%2F1"))).await;
    assert!(
        review.contains("&lt;script&gt;alert(2)&lt;&#x2f;script&gt;"),
        "sprint name as text"
    );
    assert!(
        review.contains("<td>X-1</td><td>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</td>"),
        "{review}"
    );
    // In the chart the team name is SVG text, escaped by plotters.
    assert!(
        review.contains("Velocity of &quot;&gt;&lt;img src=x&gt;"),
        "chart caption"
    );
    let (_, splits) = get(&app, &with_as_of(&format!("/teams/{t}/splits"))).await;
    assert!(
        splits.contains("<td>X-2</td><td>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</td>"),
        "{splits}"
    );
    assert!(
        splits.contains("round 1: 5 20"),
        "cards shown without voter names: {splits}"
    );
    assert!(
        !splits.contains("&lt;b&gt;ann"),
        "no voter names on the split page"
    );
    let (_, team) = get(&app, &with_as_of(&format!("/teams/{t}"))).await;
    assert!(
        team.contains("<td>voter 1</td>") && !team.contains("&lt;b&gt;ann"),
        "voters pseudonymised: {team}"
    );
    let (s, nf) = get(&app, "/teams/%3Cscript%3E").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(nf.contains("&lt;script&gt;"), "{nf}");
    // The static report escapes the same way.
    let out = dir.path().join("site");
    let r = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "\"><img src=x>",
            "--out",
            out.to_str().unwrap(),
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        assert_no_markup_from_users(
            &p.display().to_string(),
            &std::fs::read_to_string(&p).unwrap(),
        );
    }
    assert!(
        out.join("sprint-S_1.html").is_file(),
        "the sprint id's slash is not a folder"
    );
    let md = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "\"><img src=x>",
            "--sprint",
            "S/1",
            "--format",
            "markdown",
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout.contains(
            "## Sprint Review: \"&gt;&lt;img src=x&gt; — &lt;script&gt;alert(2)&lt;/script&gt;"
        ),
        "{}",
        md.stdout
    );
}

/// Renders every template over the sample data and compares it with its snapshot.
#[tokio::test]
async fn every_template_matches_its_snapshot() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    let update = std::env::var_os("SPRINTLENS_UPDATE_SNAPSHOTS").is_some();
    let snaps = project_root().join("tests/snapshots/pages");
    let mut failures = Vec::new();
    for (name, uri) in [
        ("index", "/"),
        ("dashboard", "/dashboard"),
        ("team", "/teams/payments"),
        ("splits", "/teams/search/splits"),
        ("sprint", "/teams/checkout/sprints/7"),
        ("retro", "/teams/payments/sprints/9/retro"),
        ("reference", "/teams/payments/reference"),
        ("error", "/teams/nobody"),
    ] {
        let (_, got) = get(&app, &with_as_of(uri)).await;
        // When data last arrived changes from run to run.
        let got = match got.find("Data last arrived ") {
            Some(i) => format!("{}Data last arrived TIME{}", &got[..i], &got[i + 34..]),
            None => got,
        };
        let file = snaps.join(format!("{name}.html"));
        if update {
            std::fs::create_dir_all(&snaps).unwrap();
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(want) if want == got => {}
            Ok(_) => failures.push(format!("{name}: differs from {}", file.display())),
            Err(_) => failures.push(format!("{name}: no snapshot at {}", file.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(SPRINTLENS_UPDATE_SNAPSHOTS=1 rewrites them; read the diff)",
        failures.join("\n")
    );
}

#[test]
fn the_real_server_serves_every_page_on_port_0() {
    let dir = scratch();
    let db = sample_db(dir.path());
    let (child, addr) = serve(&db);
    let mut got = vec![("/healthz".to_string(), fetch(&addr, "/healthz"))];
    for (page, api) in PAGES {
        got.push((page.to_string(), fetch(&addr, &with_as_of(page))));
        got.push((api.to_string(), fetch(&addr, &with_as_of(api))));
    }
    got.push(("/nope".into(), fetch(&addr, "/nope")));
    drop(child);
    assert!(addr.starts_with("127.0.0.1:"), "binds to loopback: {addr}");
    for (path, res) in &got[..got.len() - 1] {
        assert!(
            res.starts_with("HTTP/1.1 200"),
            "{path}: {}",
            &res[..res.len().min(300)]
        );
    }
    assert!(got[0].1.ends_with("ok"));
    assert!(got.last().unwrap().1.starts_with("HTTP/1.1 404"));
    assert!(got.iter().any(
        |(p, r)| p == "/teams/payments/sprints/3" && r.contains("Sprint Review: PAY Sprint 3")
    ));
}

#[test]
fn the_demo_loads_the_sample_data_and_serves_it() {
    let dir = scratch();
    let mut child = Reap(
        std::process::Command::new(env!("CARGO_BIN_EXE_sprintlens"))
            .args(["demo", "--bind", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env_remove("SPRINTLENS_DB")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = served_address(&mut child.0);
    let index = fetch(&addr, "/");
    let review = fetch(&addr, "/teams/search/sprints/12");
    drop(child);
    assert!(
        dir.path().join("sprintlens-demo.duckdb").is_file(),
        "the demo's own database"
    );
    assert!(
        index.starts_with("HTTP/1.1 200") && index.contains("3 teams in 1 program;"),
        "{index}"
    );
    assert!(
        review.starts_with("HTTP/1.1 200") && review.contains("Sprint Review: SEA Sprint 12"),
        "{review}"
    );
}

#[test]
fn report_writes_self_contained_pages_and_a_markdown_summary() {
    let dir = scratch();
    let db = sample_db(dir.path());
    let out = dir.path().join("site");
    let r = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "payments",
            "--out",
            out.to_str().unwrap(),
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The team page, splits, reference stories, and per sprint a review and a retrospective.
    assert!(r.stdout.contains("wrote 27 pages"), "{}", r.stdout);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 27);
    assert!(
        names.contains(&"index.html".into())
            && names.contains(&"splits.html".into())
            && names.contains(&"reference.html".into())
            && names.contains(&"sprint-12.html".into())
            && names.contains(&"retro-sprint-12.html".into())
    );
    for n in &names {
        let html = std::fs::read_to_string(out.join(n)).unwrap();
        // Nothing to fetch: no scripts, stylesheets, images or absolute links.
        for outside in ["<script", "<link", "src=", "href=\"/", "href=\"http"] {
            assert!(!html.contains(outside), "{n}: {outside}");
        }
        // Every relative link points at a page that was written.
        for part in html.split("href=\"").skip(1) {
            let target = part.split('"').next().unwrap();
            if target.starts_with("data:text/csv;") {
                // A chart's data, carried in the page itself.
                continue;
            }
            assert!(
                out.join(target).is_file(),
                "{n} links {target}, which is missing"
            );
        }
    }
    let review = std::fs::read_to_string(out.join("sprint-3.html")).unwrap();
    assert!(review.contains("<b>44</b><span>committed points</span>"));
    // One sprint only.
    let one = dir.path().join("one");
    let r = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "payments",
            "--sprint",
            "3",
            "--out",
            one.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&one).unwrap().count(), 5);
    // Markdown for a wiki: the latest closed sprint by default.
    let md = sprintlens(
        &db,
        &[
            "--format",
            "markdown",
            "report",
            "--team",
            "payments",
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout
            .starts_with("## Sprint Review: Payments — PAY Sprint 12\n"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains(
            "| committed | added | removed | completed | say/do | carry-over items |\n| ---: |"
        ),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("### What to split next"));
    // The estimation retrospective of sprint 9: PAY-154 was estimated at 5 (the room went from
    // mostly 8s down to 5) and took 9.5 days, nearest the 13-point median of 9.8 days (5: 7.2,
    // 8: 6.6): it behaved like a 13, two cards up.
    let md = sprintlens(
        &db,
        &[
            "--format",
            "markdown",
            "report",
            "--team",
            "payments",
            "--sprint",
            "9",
            "--retro",
            "--as-of",
            "2025-07-01",
        ],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        md.stdout
            .starts_with("## Estimation retrospective: Payments — PAY Sprint 9\n"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains(
            "| PAY-154 | Rename login page | 5 | 13 | 9.5 | PAY-R4, round 1: 5 8 8 8 8 8 8 13; PAY-R4, round 2: 5 5 5 5 5 5 5 5 | 5 and 13 | -3 | no |"
        ),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("### Reference stories for the next planning")
    );
    let both = sprintlens(
        &db,
        &["report", "--team", "payments", "--retro", "--out", "x"],
    );
    assert_eq!(both.code, 1, "{}", both.stderr);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
    // A second report into the same folder replaces its own pages...
    let again = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "payments",
            "--sprint",
            "3",
            "--out",
            one.to_str().unwrap(),
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    // ... but never a file it did not write.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("index.html"), "<h1>my own page</h1>").unwrap();
    let r = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "payments",
            "--out",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("index.html: the file exists and is not a sprintlens page"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(other.join("index.html")).unwrap(),
        "<h1>my own page</h1>"
    );
    assert_eq!(
        std::fs::read_dir(&other).unwrap().count(),
        1,
        "nothing else written"
    );
    // Mistakes are named.
    let bad = sprintlens(
        &db,
        &[
            "report",
            "--team",
            "payments",
            "--sprint",
            "99",
            "--out",
            one.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("unknown sprint \"99\" for team \"payments\""),
        "{}",
        bad.stderr
    );
    let bad = sprintlens(&db, &["report", "--team", "nobody"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("unknown team \"nobody\""),
        "{}",
        bad.stderr
    );
}

#[tokio::test]
async fn the_dashboard_reads_with_the_thresholds_of_sprintlens_toml() {
    let dir = scratch();
    let db = sample_db(dir.path());
    let quadrants = |v: &serde_json::Value| -> Vec<(String, String, f64, f64)> {
        v["predictability"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let now = p["windows"].as_array().unwrap().last().unwrap();
                (
                    p["team"].as_str().unwrap().to_string(),
                    p["quadrant"].as_str().unwrap().to_string(),
                    now["say_do"].as_f64().unwrap(),
                    now["cv"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (_, body) = get(&app_for(&db), &with_as_of("/api/dashboard")).await;
    let before = quadrants(&serde_json::from_str(&body).unwrap());
    assert_eq!(before.len(), 3);
    for (team, q, say_do, cv) in &before {
        let want = if *cv > 0.25 {
            "erratic"
        } else if *say_do < 0.8 {
            "over-committing"
        } else {
            "predictable"
        };
        assert_eq!(q, want, "{team}: say/do {say_do}, CV {cv}");
    }
    assert!(before.iter().any(|t| t.1 == "erratic"), "{before:?}");
    std::fs::write(
        dir.path().join("sprintlens.toml"),
        "[dashboard]\ncv_limit = 0.9\nsay_do_target = 0.85\n",
    )
    .unwrap();
    let (_, body) = get(&app_for(&db), &with_as_of("/api/dashboard")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["thresholds"]["cv_limit"], 0.9);
    assert_eq!(v["thresholds"]["say_do_target"], 0.85);
    for (team, q, say_do, cv) in quadrants(&v) {
        assert!(cv <= 0.9, "{team}: {cv}");
        let want = if say_do < 0.85 {
            "over-committing"
        } else {
            "predictable"
        };
        assert_eq!(q, want, "{team}: say/do {say_do}, CV {cv}");
    }
}

/// Eight requests for one team's reports at once (the room opening the page after a round is
/// revealed) compute them once; the others wait and read the cache. Another day is another
/// report.
#[test]
fn concurrent_first_visits_of_a_team_compute_its_reports_once() {
    use std::sync::atomic::Ordering;
    let dir = scratch();
    let db = sample_db(dir.path());
    let state = state_for(&db);
    let day = chrono::NaiveDate::from_ymd_opt(2025, 6, 20).unwrap();
    let start = std::sync::Barrier::new(8);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                start.wait();
                assert!(state.team("payments", day).is_ok(), "payments' reports");
            });
        }
    });
    assert_eq!(state.computed.load(Ordering::Relaxed), 1);
    state.team("payments", day).ok().unwrap();
    assert_eq!(
        state.computed.load(Ordering::Relaxed),
        1,
        "the cache answers"
    );
    state
        .team("payments", day.succ_opt().unwrap())
        .ok()
        .unwrap();
    assert_eq!(state.computed.load(Ordering::Relaxed), 2, "another day");
    assert!(state.team("nobody", day).is_err());
}

/// The headers every answer carries (`web::headers`): checked on every route, pages, their
/// JSON, the static ones, refusals and errors.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    let style = sprintlens::web::headers::style_block();
    let mut routes: Vec<(&str, String)> = PAGES
        .iter()
        .flat_map(|(p, a)| [("GET", with_as_of(p)), ("GET", with_as_of(a))])
        .collect();
    for path in [
        "/healthz",
        "/readyz",
        "/favicon.ico",
        "/sign-in",
        "/api/v1/rounds/schema",
        "/nope",
        "/api/nope",
        "/teams/nobody",
        "/api/teams/nobody",
        "/teams/payments?as_of=bad",
    ] {
        routes.push(("GET", path.to_string()));
    }
    for (method, path) in [
        ("DELETE", "/teams/payments"),
        ("POST", "/api/v1/ingest"),
        ("POST", "/api/v1/rounds"),
        ("POST", "/api/v1/reports"),
        ("POST", "/sign-in"),
    ] {
        routes.push((method, path.to_string()));
    }
    for (method, path) in &routes {
        let res = app
            .clone()
            .oneshot(
                Request::builder()
                    .method(*method)
                    .uri(path)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from("token=nope"))
                    .unwrap(),
            )
            .await
            .unwrap();
        let h = res.headers();
        let get = |name: &str| {
            h.get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{method} {path}: no {name}"))
        };
        let csp = get("content-security-policy");
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline"),
            "{method} {path}: {csp}"
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{method} {path}");
        assert_eq!(get("x-frame-options"), "DENY", "{method} {path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{method} {path}");
        // The routes that need a token (sending data, and the command line's reports) are
        // kept by no cache; pages that are open here are not marked.
        let needs_token = ["/api/v1/ingest", "/api/v1/rounds", "/api/v1/reports"]
            .contains(&path.as_str())
            || (*method == "POST" && path == "/sign-in");
        assert_eq!(
            h.get("cache-control").map(|v| v.to_str().unwrap()),
            needs_token.then_some("no-store"),
            "{method} {path}"
        );
        // A page's one inline style is the one the policy allows by its hash.
        let is_html = h
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        if is_html {
            // No script but the team page's own (served from here, as the policy allows).
            assert!(
                !without_own_scripts(&body).contains("<script"),
                "{method} {path}"
            );
            assert_eq!(body.matches("<style>").count(), 1, "{method} {path}");
            assert!(
                body.contains(&format!("<style>{style}</style>")),
                "{method} {path}"
            );
        }
    }
}

/// A team's reports kept in the store read back as they were computed: every page model and
/// its JSON the same, the kept form the same once more (undefined values keep their kind).
#[test]
fn kept_reports_read_back_as_computed() {
    use sprintlens::present::pages::data::{from_kept, team_data, to_kept};
    use sprintlens::present::pages::{review, splits, team};
    let dir = scratch();
    let db = sample_db(dir.path());
    let store = sprintlens::store::Store::open_read_only(&db)
        .unwrap()
        .unwrap();
    let settings = sprintlens::settings::Settings::load(None, &db).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 6, 10).unwrap();
    for t in ["payments", "search", "checkout"] {
        let d = team_data(&store, &settings, t, as_of).unwrap().unwrap();
        let kept = to_kept(&d).unwrap();
        let back: sprintlens::present::pages::data::TeamData = from_kept(&kept).unwrap();
        let as_kept = |d: &sprintlens::present::pages::data::TeamData| -> String {
            sprintlens::domain::undefined::keeping(|| serde_json::to_string(d).unwrap())
        };
        let (a, b) = (as_kept(&d), as_kept(&back));
        let first = a.bytes().zip(b.bytes()).position(|(x, y)| x != y);
        assert!(
            a == b,
            "{t}: differs from byte {first:?}: {:?} / {:?}",
            first.map(|i| &a[i.saturating_sub(80)..(i + 80).min(a.len())]),
            first.map(|i| &b[i.saturating_sub(80)..(i + 80).min(b.len())])
        );
        assert_eq!(
            serde_json::to_value(team::team_page(&back)).unwrap(),
            serde_json::to_value(team::team_page(&d)).unwrap(),
            "{t}"
        );
        assert_eq!(back.planned.len(), d.planned.len());
        assert!(!d.planned.is_empty());
        for s in &d.velocity.sprints {
            let a = review::sprint_review(&d, &s.sprint_id).unwrap();
            let b = review::sprint_review(&back, &s.sprint_id).unwrap();
            assert_eq!(
                serde_json::to_value(&a).unwrap(),
                serde_json::to_value(&b).unwrap(),
                "{t} {}",
                s.sprint_id
            );
        }
        let cards = sprintlens::present::pages::data::candidate_cards(&store, &d).unwrap();
        assert_eq!(
            serde_json::to_value(splits::split_page(&d, &settings, cards)).unwrap(),
            serde_json::to_value(splits::split_page(&back, &settings, cards)).unwrap()
        );
        // Undefined values keep their kind: "unknown" stays unknown.
        let unknowns = |d: &sprintlens::present::pages::data::TeamData| {
            d.velocity
                .sprints
                .iter()
                .flat_map(|s| s.undefined.values())
                .filter(|u| u.is_unknown())
                .count()
        };
        assert_eq!(unknowns(&back), unknowns(&d));
    }
}
