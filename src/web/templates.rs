//! The page templates (compiled into the binary; `.html` templates autoescape), their filters,
//! and where links point: the server's routes or the files of a static report.

use crate::error::{Error, Result};
use crate::present::fmt::{enc, figure_name, num, pct};
use minijinja::{Environment, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A page a link can point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page<'a> {
    Index,
    /// Every team's dashboard, or one program's.
    Dashboard(Option<&'a str>),
    Team(&'a str),
    Splits(&'a str),
    Sprint(&'a str, &'a str),
    /// A team's reference stories.
    Reference(&'a str),
    /// A sprint's estimation retrospective.
    Retro(&'a str, &'a str),
}

impl<'a> Page<'a> {
    /// The page a template names: `url("team", t)`, `url("sprint", t, s)`, ...; `None` for a
    /// name or arguments no page has.
    pub fn named(kind: &str, a: Option<&'a str>, b: Option<&'a str>) -> Option<Page<'a>> {
        Some(match (kind, a, b) {
            ("index", _, _) => Page::Index,
            ("dashboard", p, _) => Page::Dashboard(p),
            ("team", Some(t), _) => Page::Team(t),
            ("splits", Some(t), _) => Page::Splits(t),
            ("sprint", Some(t), Some(s)) => Page::Sprint(t, s),
            ("reference", Some(t), _) => Page::Reference(t),
            ("retro", Some(t), Some(s)) => Page::Retro(t, s),
            _ => return None,
        })
    }
}

/// Where page links point: the server's routes, or the files of a static report.
#[derive(Debug, Clone)]
pub enum Links {
    Server,
    /// A static report of one team: its pages' file names; links elsewhere become text.
    Static {
        team: String,
        sprints: BTreeMap<String, String>,
    },
}

impl Links {
    /// The link to a page; `None` when the page is not part of this output.
    pub fn url(&self, page: Page) -> Option<String> {
        match self {
            Links::Server => Some(match page {
                Page::Index => "/".into(),
                Page::Dashboard(None) => "/dashboard".into(),
                Page::Dashboard(Some(p)) => format!("/dashboard?program={}", enc(p)),
                Page::Team(t) => format!("/teams/{}", enc(t)),
                Page::Splits(t) => format!("/teams/{}/splits", enc(t)),
                Page::Sprint(t, s) => format!("/teams/{}/sprints/{}", enc(t), enc(s)),
                Page::Reference(t) => format!("/teams/{}/reference", enc(t)),
                Page::Retro(t, s) => format!("/teams/{}/sprints/{}/retro", enc(t), enc(s)),
            }),
            Links::Static { team, sprints } => match page {
                Page::Team(t) if t == team => Some("index.html".into()),
                Page::Splits(t) if t == team => Some("splits.html".into()),
                Page::Sprint(t, s) if t == team => sprints.get(s).cloned(),
                Page::Reference(t) if t == team => Some("reference.html".into()),
                Page::Retro(t, s) if t == team => sprints.get(s).map(|f| format!("retro-{f}")),
                _ => None,
            },
        }
    }
}

fn fmt_num(v: Option<f64>) -> String {
    num(v, 1)
}

fn fmt_num2(v: Option<f64>) -> String {
    num(v, 2)
}

/// The page templates with their filters and `url()`.
pub fn templates(links: Links) -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("macros.html", include_str!("../../templates/macros.html")),
        ("index.html", include_str!("../../templates/index.html")),
        ("team.html", include_str!("../../templates/team.html")),
        ("sprint.html", include_str!("../../templates/sprint.html")),
        ("splits.html", include_str!("../../templates/splits.html")),
        (
            "reference.html",
            include_str!("../../templates/reference.html"),
        ),
        ("retro.html", include_str!("../../templates/retro.html")),
        (
            "dashboard.html",
            include_str!("../../templates/dashboard.html"),
        ),
        (
            "forecast.html",
            include_str!("../../templates/forecast.html"),
        ),
        (
            "forecast_check.html",
            include_str!("../../templates/forecast_check.html"),
        ),
        ("error.html", include_str!("../../templates/error.html")),
        ("sign_in.html", include_str!("../../templates/sign_in.html")),
        ("room.html", include_str!("../../templates/room.html")),
        ("rooms.html", include_str!("../../templates/rooms.html")),
        (
            "room_summary.html",
            include_str!("../../templates/room_summary.html"),
        ),
    ] {
        env.add_template(name, src).expect("the templates parse");
    }
    env.add_filter("num", fmt_num);
    env.add_filter("num2", fmt_num2);
    env.add_filter("pct", pct);
    env.add_filter("figure", |key: &str| figure_name(key));
    // Scripts only where a server answers them: a static report loads nothing.
    env.add_global("interactive", matches!(links, Links::Server));
    let links = Arc::new(links);
    env.add_function(
        "url",
        move |kind: &str, a: Option<&str>, b: Option<&str>| -> Value {
            // Our URLs are percent-encoded: nothing in them needs HTML escaping.
            Page::named(kind, a, b)
                .and_then(|p| links.url(p))
                .map(Value::from_safe_string)
                .unwrap_or(Value::from(()))
        },
    );
    env
}

/// Renders a page: the model's fields, its charts (our own SVG markup, inserted unescaped)
/// and the link to its JSON twin.
pub fn render_page<T: Serialize>(
    env: &Environment,
    template: &str,
    model: &T,
    charts: Value,
    json_url: Option<String>,
) -> Result<String> {
    env.get_template(template)
        .and_then(|t| {
            t.render(minijinja::context! {
                charts => charts,
                // Percent-encoded by `api`; only the `&` between parameters needs escaping.
                json_url => json_url.map(|u| Value::from_safe_string(u.replace('&', "&amp;"))),
                ..Value::from_serialize(model)
            })
        })
        .map_err(|e| Error::Internal(format!("rendering {template}: {e:#}")))
}
