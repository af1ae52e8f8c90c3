//! The demo in a real browser: headless Chromium loads every page of the sample data from the
//! real server, and the test fails on any failed request, HTTP error, script error or console
//! error, or on a chart whose SVG is missing or empty. Screenshots go to target/screenshots/.
//!
//! Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON
//! messages ending in NUL on file descriptors 3 and 4), so no WebDriver or websocket is needed.
//! Without Chromium the test says so and passes, except under CI (`CI=true`), where `.ci/run`
//! installs Debian's `chromium` first.

use crate::common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn chromium() -> Option<String> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = std::path::Path::new(dir).join(c);
            if p.is_file() {
                return Some(p.to_string_lossy().into_owned());
            }
        }
    }
    None
}

/// One DevTools session over the pipe.
struct Cdp {
    to: std::io::PipeWriter,
    from: mpsc::Receiver<Value>,
    next: u64,
    /// Events seen while waiting for replies.
    events: Vec<Value>,
}

const WAIT: Duration = Duration::from_secs(30);

impl Cdp {
    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self
                .from
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no answer to {method} in {WAIT:?}"));
            if m["id"] == json!(id) {
                if let Some(e) = m.get("error") {
                    panic!("{method}: {e}");
                }
                return m["result"].clone();
            }
            self.events.push(m);
        }
    }

    /// Waits for an event of `method` (keeping the others).
    fn wait_for(&mut self, method: &str) {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            self.events.remove(i);
            return;
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self
                .from
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no {method} in {WAIT:?}"));
            if m["method"] == method {
                return;
            }
            self.events.push(m);
        }
    }
}

/// What went wrong on a page, from the events collected while it loaded.
fn problems(events: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        let p = &e["params"];
        match e["method"].as_str().unwrap_or("") {
            "Runtime.exceptionThrown" => {
                out.push(format!("script error: {}", p["exceptionDetails"]))
            }
            // An event stream is cut when its page reloads or leaves: that is not a failure.
            "Network.loadingFailed"
                if p["type"] == "EventSource" && p["errorText"] == "net::ERR_ABORTED" => {}
            "Network.loadingFailed" => out.push(format!(
                "request failed: {} ({})",
                p["errorText"], p["type"]
            )),
            "Network.responseReceived" if p["response"]["status"].as_i64().unwrap_or(0) >= 400 => {
                out.push(format!(
                    "HTTP {} for {}",
                    p["response"]["status"], p["response"]["url"]
                ))
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                out.push(format!("console: {}", p["entry"]["text"]))
            }
            "Runtime.consoleAPICalled" if p["type"] == "error" => {
                out.push(format!("console.error: {}", p["args"]))
            }
            _ => {}
        }
    }
    out
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c) << (18 - 6 * i);
        }
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..chunk.len()]);
    }
    out
}

/// The smallest chart text of the page as drawn, in CSS pixels: each SVG text's font size
/// times its chart's scale (drawn width over viewBox width); 99 without charts.
const MIN_TEXT_JS: &str = "Math.min(99, ...[...document.querySelectorAll('figure.chart svg')].flatMap(svg => { const k = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize) * k); }))";

/// Chromium, headless, driven over the DevTools pipe; its profile in `dir`.
fn launch(browser: &str, dir: &std::path::Path) -> (Reap, Cdp) {
    let (cmd_r, cmd_w) = std::io::pipe().unwrap();
    let (out_r, out_w) = std::io::pipe().unwrap();
    let profile = dir.join("chromium-profile");
    let mut cmd = std::process::Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--hide-scrollbars",
        "--remote-debugging-pipe",
        "--window-size=1280,900",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg("about:blank")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    {
        use std::os::fd::AsRawFd;
        let (r, w) = (cmd_r.as_raw_fd(), out_w.as_raw_fd());
        // SAFETY: only dup and dup2 between fork and exec, which are async-signal-safe.
        // The pipes may already sit on fds 3 and 4 (with close-on-exec), so copy them above
        // every open fd first; dup2 then gives 3 and 4 without close-on-exec.
        unsafe {
            cmd.pre_exec(move || {
                let (r2, w2) = (libc::dup(r), libc::dup(w));
                if r2 < 0 || w2 < 0 || libc::dup2(r2, 3) < 0 || libc::dup2(w2, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(r2);
                libc::close(w2);
                Ok(())
            });
        }
    }
    let chrome = Reap(cmd.spawn().expect("chromium starts"));
    drop(cmd_r);
    drop(out_w);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(out_r);
        loop {
            let mut buf = Vec::new();
            match reader.read_until(0, &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    buf.pop();
                    if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                        && tx.send(v).is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    let cdp = Cdp {
        to: cmd_w,
        from: rx,
        next: 0,
        events: Vec::new(),
    };
    (chrome, cdp)
}

#[test]
fn every_demo_page_loads_cleanly_in_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is not installed: .ci/run installs Debian's chromium");
        }
        eprintln!("skipped: chromium not found (apt install chromium)");
        return;
    };
    let dir = scratch();
    let db = dir.path().join("demo.duckdb");
    let r = sprintlens(&db, &["demo", "--no-serve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let (server, addr) = serve(&db);
    let base = format!("http://{addr}");

    // Every page: index, dashboards, and each team's page, split page and Sprint Reviews.
    let raw = fetch(&addr, "/api/teams");
    let index: Value = serde_json::from_str(raw.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let mut pages = vec![
        "/".to_string(),
        "/dashboard".to_string(),
        "/dashboard?program=commerce".to_string(),
    ];
    for t in index["teams"].as_array().unwrap() {
        let team = t["team"].as_str().unwrap();
        pages.push(format!("/teams/{team}"));
        pages.push(format!("/teams/{team}/splits"));
        pages.push(format!("/teams/{team}/reference"));
        for s in 1..=t["sprints"].as_i64().unwrap() {
            pages.push(format!("/teams/{team}/sprints/{s}"));
            pages.push(format!("/teams/{team}/sprints/{s}/retro"));
        }
    }
    assert_eq!(pages.len(), 3 + 3 * (3 + 2 * 12), "the sample data's pages");

    let (chrome, mut cdp) = launch(&browser, dir.path());
    let target = cdp.send(None, "Target.createTarget", json!({ "url": "about:blank" }));
    let attached = cdp.send(
        None,
        "Target.attachToTarget",
        json!({ "targetId": target["targetId"], "flatten": true }),
    );
    let session = attached["sessionId"].as_str().unwrap().to_string();
    let s = Some(session.as_str());
    for domain in [
        "Page.enable",
        "Runtime.enable",
        "Network.enable",
        "Log.enable",
    ] {
        cdp.send(s, domain, json!({}));
    }
    let shots = project_root().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut failures = Vec::new();
    for page in &pages {
        cdp.events.clear();
        cdp.send(
            s,
            "Page.navigate",
            json!({ "url": format!("{base}{page}") }),
        );
        cdp.wait_for("Page.loadEventFired");
        // Charts: every figure holds an SVG with drawn content and a non-empty box.
        let check = cdp.send(
            s,
            "Runtime.evaluate",
            json!({
                "expression": format!("JSON.stringify({{status: document.title, figures: document.querySelectorAll('figure.chart').length, links: document.querySelectorAll('figure.chart svg a[href^=\"/teams/\"]').length, minText: {MIN_TEXT_JS}, charts: [...document.querySelectorAll('figure.chart')].map(f => {{ const svg = f.querySelector('svg'); if (!svg) return null; const b = svg.getBBox(); return {{csv: f.querySelectorAll('a.data[download][href^=\"data:text/csv\"]').length, w: b.width, h: b.height, marks: svg.querySelectorAll('rect, polyline, circle, path, line').length, titles: svg.querySelectorAll('title').length}}; }})}})"),
                "returnByValue": true
            }),
        );
        let v: Value = serde_json::from_str(check["result"]["value"].as_str().unwrap()).unwrap();
        let mut bad = problems(&cdp.events);
        let charts = v["charts"].as_array().unwrap();
        // The sample data's one program holds all three teams: the map and three small
        // multiples, the map's marks linking to the teams.
        let want = if page.starts_with("/dashboard") {
            if v["links"] != 3 {
                bad.push(format!("{} team links on the map, expected 3", v["links"]));
            }
            4
        } else if page.ends_with("/splits")
            || page.ends_with("/retro")
            || page.ends_with("/reference")
            || page == "/"
        {
            0
        } else if page.contains("/sprints/") {
            // The sprint by the day, velocity and cycle time.
            3
        } else {
            // Six, and the four flow charts.
            10
        };
        if charts.len() != want {
            bad.push(format!("{} charts, expected {want}", charts.len()));
        }
        // Chart text readable at 1280 px: 11 px or more as drawn.
        if v["minText"].as_f64().unwrap_or(0.0) < 11.0 {
            bad.push(format!("chart text drawn at {} px", v["minText"]));
        }
        for (i, c) in charts.iter().enumerate() {
            if c.is_null()
                || c["w"].as_f64().unwrap_or(0.0) < 50.0
                || c["marks"].as_i64().unwrap_or(0) < 5
                || c["titles"].as_i64().unwrap_or(0) < 1
                || c["csv"] != 1
            {
                bad.push(format!("chart {i} is missing or empty: {c}"));
            }
        }
        let metrics = cdp.send(s, "Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let shot = cdp.send(
            s,
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": size["width"], "height": size["height"].as_f64().unwrap().min(6000.0), "scale": 1 }
            }),
        );
        let name = page.trim_start_matches('/').replace(['/', '?', '='], "_");
        let name = if name.is_empty() {
            "index".to_string()
        } else {
            name
        };
        std::fs::write(
            shots.join(format!("{name}.png")),
            base64_decode(shot["data"].as_str().unwrap()),
        )
        .unwrap();
        if !bad.is_empty() {
            failures.push(format!("{page}: {}", bad.join("; ")));
        }
    }
    // The release burnup's what-if on a team page: shown once its script runs, the same
    // finish levels as the server's at scope + 0 and velocity x 1, fewer sprints at twice the
    // velocity, more with 500 points more scope.
    cdp.send(
        s,
        "Page.navigate",
        json!({ "url": format!("{base}/teams/payments") }),
    );
    cdp.wait_for("Page.loadEventFired");
    let read = "JSON.stringify({hidden: document.getElementById('what-if').hidden, server: JSON.parse(document.getElementById('release-data').textContent).finish.map(f => [f.sprints, f.date]), page: [0,1,2].map(i => [document.querySelector('[data-sprints=\"' + i + '\"]').textContent, document.querySelector('[data-date=\"' + i + '\"]').textContent])})";
    let what_if = |cdp: &mut Cdp, scope: &str, velocity: &str| -> Value {
        let set = format!(
            "(() => {{ const f = document.getElementById('what-if'); f.elements.scope.value = '{scope}'; f.elements.velocity.value = '{velocity}'; f.dispatchEvent(new Event('input')); return {read}; }})()"
        );
        let v = cdp.send(
            s,
            "Runtime.evaluate",
            json!({ "expression": set, "returnByValue": true }),
        );
        serde_json::from_str(v["result"]["value"].as_str().unwrap()).unwrap()
    };
    let base_case = what_if(&mut cdp, "0", "1");
    assert_eq!(base_case["hidden"], false, "{base_case}");
    let sprints = |v: &Value, i: usize| v["page"][i][0].as_str().unwrap().parse::<u64>().unwrap();
    for i in 0..3 {
        assert_eq!(
            base_case["page"][i][0].as_str().unwrap(),
            base_case["server"][i][0].to_string(),
            "{base_case}"
        );
        assert_eq!(
            base_case["page"][i][1], base_case["server"][i][1],
            "{base_case}"
        );
    }
    let faster = what_if(&mut cdp, "0", "2");
    let bigger = what_if(&mut cdp, "500", "1");
    for i in 0..3 {
        assert!(sprints(&faster, i) < sprints(&base_case, i), "{faster}");
        assert!(sprints(&bigger, i) > sprints(&base_case, i), "{bigger}");
    }
    if !problems(&cdp.events).is_empty() {
        failures.push(format!("what-if: {:?}", problems(&cdp.events)));
    }

    // The leadership view at 1280x800 and on a phone (390x844): chart text 11 px or more,
    // and the page itself never wider than the screen (charts scroll within their frame).
    let sprint_review = "/teams/payments/sprints/12";
    for (w, h, mobile) in [(1280, 800, false), (390, 844, true)] {
        cdp.send(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile }),
        );
        for page in ["/dashboard", sprint_review] {
            cdp.events.clear();
            cdp.send(
                s,
                "Page.navigate",
                json!({ "url": format!("{base}{page}") }),
            );
            cdp.wait_for("Page.loadEventFired");
            let v = cdp.send(
                s,
                "Runtime.evaluate",
                json!({
                    "expression": format!("JSON.stringify({{minText: {MIN_TEXT_JS}, pageWidth: document.documentElement.scrollWidth}})"),
                    "returnByValue": true
                }),
            );
            let v: Value = serde_json::from_str(v["result"]["value"].as_str().unwrap()).unwrap();
            if v["minText"].as_f64().unwrap_or(0.0) < 11.0 {
                failures.push(format!(
                    "{page} at {w}x{h}: chart text drawn at {} px",
                    v["minText"]
                ));
            }
            if v["pageWidth"].as_f64().unwrap_or(f64::MAX) > f64::from(w) + 1.0 {
                failures.push(format!(
                    "{page} at {w}x{h}: the page is {} px wide",
                    v["pageWidth"]
                ));
            }
            let shot = cdp.send(s, "Page.captureScreenshot", json!({ "format": "png" }));
            let name = format!(
                "{}-{w}x{h}.png",
                page.trim_start_matches('/').replace('/', "_")
            );
            std::fs::write(
                shots.join(name),
                base64_decode(shot["data"].as_str().unwrap()),
            )
            .unwrap();
        }
    }
    // The Sprint Review printed on A4 and on Letter: in print media, at each paper's printable
    // width (96 px an inch, 1.4 cm margins), no chart is wider than the page or cut by its
    // frame; the PDFs are kept beside the screenshots.
    cdp.send(s, "Emulation.setEmulatedMedia", json!({ "media": "print" }));
    for (paper, inches_w, inches_h) in [("a4", 8.27, 11.69), ("letter", 8.5, 11.0)] {
        let printable = ((inches_w - 2.0 * 1.4 / 2.54) * 96.0_f64).floor();
        cdp.send(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": printable, "height": 1000, "deviceScaleFactor": 1, "mobile": false }),
        );
        cdp.events.clear();
        cdp.send(
            s,
            "Page.navigate",
            json!({ "url": format!("{base}{sprint_review}") }),
        );
        cdp.wait_for("Page.loadEventFired");
        let v = cdp.send(
            s,
            "Runtime.evaluate",
            json!({
                "expression": "JSON.stringify([...document.querySelectorAll('figure.chart')].map(f => { const r = f.querySelector('svg').getBoundingClientRect(); return {right: r.right, width: r.width, page: document.documentElement.clientWidth, cut: f.scrollWidth - f.clientWidth}; }))",
                "returnByValue": true
            }),
        );
        let figures: Vec<Value> =
            serde_json::from_str(v["result"]["value"].as_str().unwrap()).unwrap();
        if figures.len() != 3 {
            failures.push(format!(
                "print {paper}: {} charts, expected 3",
                figures.len()
            ));
        }
        for f in &figures {
            let n = |k: &str| f[k].as_f64().unwrap_or(f64::MAX);
            if n("right") > n("page") + 1.0 || n("cut") > 1.0 || n("width") < 100.0 {
                failures.push(format!("print {paper}: a chart is clipped: {f}"));
            }
        }
        let pdf = cdp.send(
            s,
            "Page.printToPDF",
            json!({ "paperWidth": inches_w, "paperHeight": inches_h, "marginTop": 0.55, "marginBottom": 0.55, "marginLeft": 0.55, "marginRight": 0.55, "preferCSSPageSize": true }),
        );
        std::fs::write(
            shots.join(format!("sprint-review-{paper}.pdf")),
            base64_decode(pdf["data"].as_str().unwrap()),
        )
        .unwrap();
    }
    // Closing through the protocol lets Chromium end its own helper processes.
    let _ = cdp
        .to
        .write_all(b"{\"id\":999999,\"method\":\"Browser.close\",\"params\":{}}\0");
    let mut chrome = chrome;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && chrome.0.try_wait().ok().flatten().is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(chrome);
    drop(server);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(std::fs::read_dir(&shots).unwrap().count() >= pages.len());
}

/// One page of the room test: its own browser context (its own cookies: its own participant).
struct Tab {
    session: String,
}

impl Cdp {
    /// A new tab in a context of its own, its events on.
    fn tab(&mut self) -> Tab {
        let ctx = self.send(None, "Target.createBrowserContext", json!({}));
        let target = self.send(
            None,
            "Target.createTarget",
            json!({ "url": "about:blank", "browserContextId": ctx["browserContextId"] }),
        );
        let attached = self.send(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Network.enable",
            "Log.enable",
        ] {
            self.send(Some(&session), domain, json!({}));
        }
        Tab { session }
    }

    fn go(&mut self, tab: &Tab, url: &str) {
        self.send(Some(&tab.session), "Page.navigate", json!({ "url": url }));
        self.wait_for_in(&tab.session, "Page.loadEventFired");
    }

    /// Waits for an event of `method` from one tab.
    fn wait_for_in(&mut self, session: &str, method: &str) {
        if let Some(i) = self
            .events
            .iter()
            .position(|e| e["method"] == method && e["sessionId"] == session)
        {
            self.events.remove(i);
            return;
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self
                .from
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no {method} in {WAIT:?}"));
            if m["method"] == method && m["sessionId"] == session {
                return;
            }
            self.events.push(m);
        }
    }

    /// Evaluates a script in a tab (awaiting a promise) and gives its JSON value.
    fn eval(&mut self, tab: &Tab, js: &str) -> Value {
        let r = self.send(
            Some(&tab.session),
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{js}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Whether `js` becomes true in a tab within `wait`.
    fn within(&mut self, tab: &Tab, js: &str, wait: Duration) -> bool {
        let t = Instant::now();
        while t.elapsed() < wait {
            if self.eval(tab, js) == json!(true) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Waits until `js` is true in a tab (the page is drawn from its events): how long it took.
    fn until(&mut self, tab: &Tab, js: &str) -> Duration {
        let t = Instant::now();
        while t.elapsed() < WAIT {
            if self.eval(tab, js) == json!(true) {
                return t.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("not true within {WAIT:?}: {js}");
    }

    /// A click where the element is, as a mouse does it.
    fn click(&mut self, tab: &Tab, selector: &str) {
        let at = self.eval(
            tab,
            &format!(
                "(() => {{ const e = document.querySelector({}); e.scrollIntoView(); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
                json!(selector)
            ),
        );
        for kind in ["mousePressed", "mouseReleased"] {
            self.send(
                Some(&tab.session),
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": at[0], "y": at[1], "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// A key pressed on the page.
    fn key(&mut self, tab: &Tab, key: &str) {
        for kind in ["keyDown", "keyUp"] {
            self.send(
                Some(&tab.session),
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "text": key }),
            );
        }
    }

    fn shot(&mut self, tab: &Tab, w: u32, h: u32, name: &str) {
        self.send(
            Some(&tab.session),
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600 }),
        );
        let shot = self.send(
            Some(&tab.session),
            "Page.captureScreenshot",
            json!({ "format": "png" }),
        );
        let dir = project_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(name),
            base64_decode(shot["data"].as_str().unwrap()),
        )
        .unwrap();
    }
}

/// Sets an input's value as typing would, for the page's script to read.
fn fill(selector: &str, value: &str) -> String {
    format!(
        "(() => {{ const e = document.querySelector({}); e.value = {}; e.dispatchEvent(new Event('input')); return true; }})()",
        json!(selector),
        json!(value)
    )
}

/// A facilitator and three voters play a room in four tabs, by clicking and by keyboard: no
/// tab shows another's card before the reveal; a voter's tab reloaded in the middle of a round
/// keeps their card; the reveal reaches every tab with the cards, the spread and who talks
/// first; screenshots of the room at 1280 and 390 px wide.
#[test]
fn a_room_is_played_in_four_browser_tabs() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is not installed: .ci/run installs Debian's chromium");
        }
        eprintln!("skipped: chromium not found (apt install chromium)");
        return;
    };
    let dir = scratch();
    let db = sample_store(dir.path(), "room.duckdb");
    let (server, addr) = serve(&db);
    let base = format!("http://{addr}");
    let (chrome, mut cdp) = launch(&browser, dir.path());
    let fay = cdp.tab();
    cdp.go(&fay, &format!("{base}/rooms"));
    cdp.eval(&fay, &fill("#open-team", "payments"));
    cdp.eval(&fay, &fill("#open-title", "Sprint 13 planning"));
    cdp.eval(&fay, &fill("#open-name", "Fay"));
    cdp.click(&fay, "#open-form button[type=submit]");
    cdp.wait_for_in(&fay.session, "Page.loadEventFired");
    cdp.until(
        &fay,
        "location.pathname.startsWith('/rooms/sl_') && !!document.querySelector('#stories-text')",
    );
    let url = format!(
        "{base}{}",
        cdp.eval(&fay, "location.pathname").as_str().unwrap()
    );
    let voters: Vec<(Tab, &str)> = ["Ann", "Bob", "Cy"]
        .into_iter()
        .map(|name| {
            let t = cdp.tab();
            cdp.go(&t, &url);
            cdp.eval(&t, &fill("#join-name", name));
            cdp.click(&t, "#join-form button");
            cdp.until(&t, "document.getElementById('join').hidden");
            (t, name)
        })
        .collect();
    cdp.until(&fay, "document.querySelectorAll('.people li').length === 4");
    cdp.eval(
        &fay,
        &fill(
            "#stories-text",
            "NEW-1 Refund by card\nNEW-2 Export invoices",
        ),
    );
    cdp.click(&fay, "#add-stories");
    cdp.until(&fay, "!!document.querySelector('[data-start=\"NEW-1\"]')");
    cdp.click(&fay, "[data-start=\"NEW-1\"]");
    for (t, _) in &voters {
        cdp.until(t, "!!document.querySelector('.deck button')");
    }
    // Ann clicks 3; Bob presses 7 (the seventh card of 0 ½ 1 2 3 5 8 ...: 8); Cy clicks 13.
    let (ann, bob, cy) = (&voters[0].0, &voters[1].0, &voters[2].0);
    // A click lands where the card was when it was measured: when another voter's vote moves
    // the page in between, it misses, as a person's would, and is made again (at most 3 times).
    for (t, card, by_key) in [(ann, "3", false), (bob, "8", true), (cy, "13", false)] {
        let pressed = format!(
            "document.querySelector('[data-card=\"{card}\"]').getAttribute('aria-pressed') === 'true'"
        );
        let mut done = false;
        for _ in 0..3 {
            if by_key {
                cdp.key(t, "7");
            } else {
                cdp.click(t, &format!("[data-card=\"{card}\"]"));
            }
            if cdp.within(t, &pressed, Duration::from_secs(10)) {
                done = true;
                break;
            }
        }
        assert!(done, "card {card} was never shown as picked");
    }
    cdp.until(
        &fay,
        "document.querySelectorAll('.people li.voted').length === 3",
    );
    // Before the reveal: no tab shows a card played (no played cards, no other's card pressed).
    for (t, own) in [(ann, "3"), (bob, "8"), (cy, "13"), (&fay, "")] {
        let v = cdp.eval(
            t,
            "JSON.stringify({played: document.querySelectorAll('.played').length, pressed: [...document.querySelectorAll('[aria-pressed=\"true\"]')].map(b => b.dataset.card)})",
        );
        let v: Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
        assert_eq!(v["played"], 0, "{v}");
        let want: Vec<&str> = if own.is_empty() { vec![] } else { vec![own] };
        assert_eq!(v["pressed"], json!(want), "{v}");
    }
    // Bob reloads in the middle of the round: his card stays.
    cdp.send(Some(&bob.session), "Page.reload", json!({}));
    cdp.wait_for_in(&bob.session, "Page.loadEventFired");
    cdp.until(
        bob,
        "document.querySelector('[data-card=\"8\"]')?.getAttribute('aria-pressed') === 'true'",
    );
    cdp.shot(ann, 390, 844, "room-voting-390.png");
    // The page fits a phone: nothing wider than the screen, cards large enough to hit.
    let v = cdp.eval(
        ann,
        "JSON.stringify({w: document.documentElement.scrollWidth, h: document.querySelector('.deck button').getBoundingClientRect().height})",
    );
    let v: Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
    assert!(v["w"].as_f64().unwrap() <= 390.0, "{v}");
    assert!(v["h"].as_f64().unwrap() >= 44.0, "{v}");
    cdp.shot(&fay, 1280, 900, "room-voting-1280.png");
    // The reveal reaches every tab, with the cards, the spread and who talks first.
    cdp.click(&fay, "#reveal");
    for t in [ann, bob, cy, &fay] {
        let took = cdp.until(t, "document.querySelectorAll('.played div').length === 3");
        assert!(took < Duration::from_secs(5), "{took:?}");
        let text = cdp.eval(t, "document.getElementById('play').innerText");
        let text = text.as_str().unwrap();
        assert!(text.contains("card steps apart"), "{text}");
        assert!(text.contains("Talk first: Ann (3) and Cy (13)"), "{text}");
        assert!(text.contains("Suggested card: 8"), "{text}");
    }
    let said = cdp.eval(ann, "document.getElementById('announce').textContent");
    assert!(
        said.as_str()
            .unwrap()
            .starts_with("Revealed: NEW-1 round 1"),
        "{said}"
    );
    cdp.shot(ann, 390, 844, "room-revealed-390.png");
    let w = cdp.eval(ann, "document.documentElement.scrollWidth");
    assert!(w.as_f64().unwrap() <= 390.0, "{w}");
    cdp.shot(&fay, 1280, 900, "room-revealed-1280.png");
    // Round 2 by keyboard for all, then the estimate.
    cdp.shot(&fay, 1280, 900, "room-facilitator-1280.png");
    cdp.click(&fay, "[data-next=\"NEW-1\"]");
    for (t, _) in &voters {
        cdp.until(t, "!!document.querySelector('.deck button')");
        cdp.key(t, "6");
    }
    cdp.until(
        &fay,
        "document.querySelectorAll('.people li.voted').length === 3",
    );
    cdp.click(&fay, "#reveal");
    cdp.until(&fay, "!!document.querySelector('[data-accept=\"NEW-1\"]')");
    cdp.click(&fay, "[data-accept=\"NEW-1\"]");
    for t in [ann, bob, cy, &fay] {
        cdp.until(
            t,
            "document.querySelector('[data-story=\"NEW-1\"]').innerText.includes('5 points')",
        );
    }
    let mut failures = Vec::new();
    let bad = problems(&cdp.events);
    if !bad.is_empty() {
        failures.push(bad.join("; "));
    }
    let _ = cdp
        .to
        .write_all(b"{\"id\":999999,\"method\":\"Browser.close\",\"params\":{}}\0");
    let mut chrome = chrome;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && chrome.0.try_wait().ok().flatten().is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(chrome);
    drop(server);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
