//! The report server: routes driven without a socket, and the real binary on port 0.

mod common;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use std::io::{BufRead, BufReader, Read, Write};
use tower::ServiceExt;

fn app_for(db: &std::path::Path) -> axum::Router {
    let store = sprintlens::store::Store::open_read_only(db)
        .unwrap()
        .unwrap();
    sprintlens::web::app(sprintlens::web::AppState::new(store))
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

fn sample_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("w.duckdb");
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            project_root().join("sample-data").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    db
}

#[tokio::test]
async fn every_route_answers() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    let (s, body) = get(&app, "/healthz").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "ok"));
    let (s, body) = get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("<a href=\"/teams/payments\">Payments</a>"),
        "{body}"
    );
    assert!(body.contains("PAY Sprint 12"), "latest sprint: {body}");
    let (s, body) = get(&app, "/api/teams").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["teams"].as_array().unwrap().len(), 3);
    let (s, body) = get(&app, "/teams/payments?as_of=2025-06-10").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("PAY Sprint 12") && body.contains("(active)"),
        "{body}"
    );
    let (s, body) = get(&app, "/api/teams/payments?as_of=2025-06-10").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["velocity"]["sprints"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn unknown_things_are_404_and_bad_parameters_400() {
    let dir = scratch();
    let app = app_for(&sample_db(dir.path()));
    let (s, body) = get(&app, "/teams/nobody").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        body.contains("There is no team &quot;nobody&quot;."),
        "{body}"
    );
    let (s, _) = get(&app, "/api/teams/nobody").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&app, "/no/such/page").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = get(&app, "/teams/payments?as_of=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("as_of=yesterday: expected a date YYYY-MM-DD"),
        "{body}"
    );
    let (s, body) = get(&app, "/teams/payments?colour=red").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown parameter"), "{body}");
}

#[tokio::test]
async fn user_text_is_escaped() {
    let dir = scratch();
    let db = dir.path().join("x.duckdb");
    let teams = write(
        dir.path(),
        "teams.csv",
        "team,name\nevil,\"\"\"><img src=x>\"\n".as_bytes(),
    );
    let sprints = write(
        dir.path(),
        "summaries.csv",
        b"team,sprint_id,sprint_name,committed_points,completed_points\nevil,1,<script>alert(1)</script>,5,3\n",
    );
    let r = sprintlens(
        &db,
        &[
            "ingest",
            "-q",
            teams.to_str().unwrap(),
            sprints.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let app = app_for(&db);
    let (_, index) = get(&app, "/").await;
    assert!(
        !index.contains("<img src=x>") && !index.contains("<script>alert"),
        "{index}"
    );
    assert!(index.contains("&quot;&gt;&lt;img src=x&gt;"), "{index}");
    let (_, team) = get(&app, "/teams/evil").await;
    assert!(
        !team.contains("<script>alert")
            && team.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{team}"
    );
    let (s, nf) = get(&app, "/teams/%3Cscript%3E").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        !nf.contains("<script>") && nf.contains("&lt;script&gt;"),
        "{nf}"
    );
}

#[test]
fn the_real_server_runs_on_port_0() {
    let dir = scratch();
    let db = sample_db(dir.path());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sprintlens"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "binds to loopback: {addr}");
    let fetch = |path: &str| -> String {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let health = fetch("/healthz");
    let index = fetch("/");
    let team = fetch("/teams/search");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        health.starts_with("HTTP/1.1 200") && health.ends_with("ok"),
        "{health}"
    );
    assert!(
        index.starts_with("HTTP/1.1 200") && index.contains("Search"),
        "{index}"
    );
    assert!(
        team.starts_with("HTTP/1.1 200") && team.contains("SEA Sprint 1"),
        "{team}"
    );
}
