//! Charts: plotters draws inline SVG with a title, axis labels and a legend. Every mark gets a
//! transparent hover target with a `<title>` (the tooltip), since plotters' marks carry none.
//! All text that comes from users is escaped (plotters' own text and our tooltips).
//!
//! Categories (sprints, point values) sit on an x axis of slots 0..n; slot i spans [i, i+1) and
//! its label is drawn at the slot's centre.

use crate::domain::format_number;
use crate::error::{Error, Result};
use crate::metrics::velocity::SprintVelocity;
use crate::present::fmt::{csv_line, enc, num, pct, xml_escape};
use plotters::coord::Shift;
use plotters::prelude::*;

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("drawing a chart: {e}"))
}

fn pts(v: Option<f64>) -> String {
    num(v, 1)
}

pub const COMMITTED: RGBColor = RGBColor(0x9a, 0xb4, 0xd6);
pub const COMPLETED: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
pub const ACCENT: RGBColor = RGBColor(0xe0, 0x7b, 0x16);
pub const MUTED: RGBColor = RGBColor(0x8a, 0x93, 0xa0);
/// A second accent, for a third line beside COMPLETED and ACCENT.
pub const ACCENT2: RGBColor = RGBColor(0x7b, 0x3f, 0x9e);

/// A chart's size in pixels; `small` drops the legend and shrinks the text (small multiples).
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub w: u32,
    pub h: u32,
    pub small: bool,
}

pub const WIDE: Size = Size {
    w: 760,
    h: 320,
    small: false,
};
pub const SMALL: Size = Size {
    w: 300,
    h: 150,
    small: true,
};

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Draws a category chart: frame, y axis, slot labels under the x axis; `body` adds the marks
/// and returns the hover targets (already escaped markup).
fn category_chart(
    title: &str,
    size: Size,
    labels: &[String],
    y: (&str, f64),
    y_format: &dyn Fn(&f64) -> String,
    body: &mut dyn FnMut(&mut Chart) -> Result<Vec<String>>,
) -> Result<String> {
    let n = labels.len().max(1);
    let mut svg = String::new();
    let targets;
    {
        let root: DrawingArea<SVGBackend, Shift> =
            SVGBackend::with_string(&mut svg, (size.w, size.h)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        // Plotters draws a font of size n at 0.81 n px: 14 is the least that stays at 11 px
        // or more when a chart is shown at its own size (on a phone).
        let (caption, label_px, margin) = if size.small {
            (16, 14, 4)
        } else {
            (20, 14, 12)
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", caption))
            .margin(margin)
            .x_label_area_size(if size.small { 16 } else { 36 })
            .y_label_area_size(if size.small { 30 } else { 52 })
            .build_cartesian_2d(0f64..n as f64, 0f64..y.1)
            .map_err(chart_error)?;
        let mut mesh = chart.configure_mesh();
        mesh.disable_x_mesh()
            .x_labels(0)
            .y_labels(if size.small { 3 } else { 6 })
            .y_label_formatter(y_format)
            .y_label_style(("sans-serif", label_px))
            .light_line_style(WHITE.mix(0.0));
        if !size.small {
            mesh.y_desc(y.0).axis_desc_style(("sans-serif", 14));
        }
        mesh.draw().map_err(chart_error)?;
        // Slot labels, centred; at most ~14 so they do not collide.
        let step = labels
            .len()
            .div_ceil(if size.small { 4 } else { 14 })
            .max(1);
        let label_color = BLACK.mix(0.75);
        let style = TextStyle::from(("sans-serif", label_px).into_font())
            .color(&label_color)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Top,
            ));
        for (i, l) in labels.iter().enumerate() {
            if i % step != 0 && i + 1 != labels.len() {
                continue;
            }
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            let short: String = l.chars().take(if size.small { 8 } else { 12 }).collect();
            root.draw(&Text::new(short, (px, py + 5), style.clone()))
                .map_err(chart_error)?;
        }
        targets = body(&mut chart)?;
        if !size.small {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    let end = svg
        .rfind("</svg>")
        .ok_or_else(|| chart_error("no closing svg tag"))?;
    svg.insert_str(end, &targets.join("\n"));
    Ok(svg)
}

/// A chart's data as a CSV file to download from its page: a link after the SVG whose address
/// carries the file (`data:`), so that it works in the server and in static reports alike.
fn with_data(svg: String, title: &str, header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut csv = csv_line(header);
    csv.push('\n');
    for r in rows {
        csv.push_str(&csv_line(&r));
        csv.push('\n');
    }
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!(
        "{svg}<a class=\"data\" download=\"{}.csv\" href=\"data:text/csv;charset=utf-8,{}\">this chart's data (CSV)</a>",
        xml_escape(if slug.is_empty() { "chart" } else { &slug }),
        enc(&csv)
    )
}

fn opt(v: Option<f64>) -> String {
    v.map(format_number).unwrap_or_default()
}

/// A transparent rectangle over slot `i` (full height) with a tooltip.
fn slot_target(chart: &Chart, i: usize, top: f64, tip: &str) -> String {
    let (x0, y0) = chart.backend_coord(&(i as f64, top));
    let (x1, y1) = chart.backend_coord(&(i as f64 + 1.0, 0.0));
    format!(
        "<rect class=\"hover\" x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"transparent\"><title>{}</title></rect>",
        x1 - x0,
        y1 - y0,
        xml_escape(tip)
    )
}

/// Committed and completed points per sprint as bars, the rolling mean as a line; the sprint
/// at `highlight` is outlined.
pub fn velocity_svg(
    title: &str,
    sprints: &[SprintVelocity],
    highlight: Option<usize>,
    size: Size,
) -> Result<String> {
    let top = sprints
        .iter()
        .flat_map(|s| [s.committed, s.completed, s.rolling_mean])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.2;
    let labels: Vec<String> = sprints.iter().map(|s| s.sprint_id.clone()).collect();
    let svg = category_chart(
        title,
        size,
        &labels,
        ("points", top),
        &|y| format!("{y:.0}"),
        &mut |chart| {
            if let Some(h) = highlight.filter(|h| *h < sprints.len()) {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(h as f64 + 0.02, 0.0), (h as f64 + 0.98, top * 0.98)],
                        ACCENT.mix(0.12).filled(),
                    )))
                    .map_err(chart_error)?;
            }
            for (color, name, left, pick) in [
                (
                    COMMITTED,
                    "committed",
                    0.12,
                    (|s: &SprintVelocity| s.committed) as fn(&SprintVelocity) -> Option<f64>,
                ),
                (COMPLETED, "completed", 0.52, |s: &SprintVelocity| {
                    s.completed
                }),
            ] {
                chart
                    .draw_series(sprints.iter().enumerate().filter_map(|(i, s)| {
                        pick(s).map(|c| {
                            Rectangle::new(
                                [(i as f64 + left, 0.0), (i as f64 + left + 0.36, c)],
                                color.filled(),
                            )
                        })
                    }))
                    .map_err(chart_error)?
                    .label(name)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                    });
            }
            chart
                .draw_series(LineSeries::new(
                    sprints
                        .iter()
                        .enumerate()
                        .filter_map(|(i, s)| s.rolling_mean.map(|m| (i as f64 + 0.5, m))),
                    ACCENT.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label("rolling mean")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 12, y)], ACCENT.stroke_width(2))
                });
            Ok(sprints
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let tip = format!(
                        "{}: committed {}, completed {}, say/do {}, rolling mean {}",
                        s.title(),
                        pts(s.committed),
                        pts(s.completed),
                        pct(s.say_do),
                        pts(s.rolling_mean)
                    );
                    slot_target(chart, i, top, &tip)
                })
                .collect())
        },
    )?;
    let rows = sprints
        .iter()
        .map(|s| {
            vec![
                s.sprint_id.clone(),
                s.sprint_name.clone().unwrap_or_default(),
                s.end_date.clone().unwrap_or_default(),
                opt(s.committed),
                opt(s.completed),
                opt(s.say_do),
                opt(s.rolling_mean),
            ]
        })
        .collect();
    Ok(with_data(
        svg,
        title,
        &[
            "sprint",
            "name",
            "end_date",
            "committed",
            "completed",
            "say_do",
            "rolling_mean",
        ],
        rows,
    ))
}

/// One line of a line chart.
pub struct Line {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub color: RGBColor,
}

/// Lines over categories, with a dot and a tooltip per defined value. `percent` formats the
/// y axis and tooltips as percentages of 1.
pub fn line_svg(
    title: &str,
    y_desc: &str,
    labels: &[String],
    lines: &[Line],
    percent: bool,
    size: Size,
) -> Result<String> {
    lines_with_notes(title, y_desc, labels, lines, percent, &[], size)
}

/// Lines over categories whose dots' tooltips also carry a note per category (what happened
/// then); a line whose every value is on a noted category draws only its dots.
pub fn line_svg_noted(
    title: &str,
    y_desc: &str,
    labels: &[String],
    lines: &[Line],
    notes: &[String],
    size: Size,
) -> Result<String> {
    lines_with_notes(title, y_desc, labels, lines, false, notes, size)
}

fn lines_with_notes(
    title: &str,
    y_desc: &str,
    labels: &[String],
    lines: &[Line],
    percent: bool,
    notes: &[String],
    size: Size,
) -> Result<String> {
    let top = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b))
        .max(1.0)
        * 1.15;
    let fmt = move |v: f64| {
        if percent {
            pct(Some(v))
        } else {
            num(Some(v), 2)
        }
    };
    let svg = category_chart(
        title,
        size,
        labels,
        (y_desc, top),
        &|y| {
            if percent {
                format!("{:.0}%", y * 100.0)
            } else {
                format!("{y:.1}")
            }
        },
        &mut |chart| {
            let mut targets = Vec::new();
            for line in lines {
                let color = line.color;
                // Break the line where a value is undefined.
                let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                for (i, v) in line.values.iter().enumerate() {
                    match v {
                        Some(v) => runs.last_mut().expect("one run").push((i as f64 + 0.5, *v)),
                        None => runs.push(Vec::new()),
                    }
                }
                let mut first = true;
                // Marks of noted categories only: dots, no line between them.
                let marks_only =
                    !notes.is_empty()
                        && line.values.iter().enumerate().all(|(i, v)| {
                            v.is_none() || notes.get(i).is_some_and(|n| !n.is_empty())
                        });
                for run in runs.into_iter().filter(|r| !r.is_empty()) {
                    let stroke = if marks_only { 0 } else { 2 };
                    let series = chart
                        .draw_series(LineSeries::new(run.clone(), color.stroke_width(stroke)))
                        .map_err(chart_error)?;
                    if first {
                        series.label(line.name.clone()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2))
                        });
                        first = false;
                    }
                    chart
                        .draw_series(run.iter().map(|p| {
                            Circle::new(*p, if size.small { 2 } else { 3 }, color.filled())
                        }))
                        .map_err(chart_error)?;
                }
                for (i, v) in line.values.iter().enumerate() {
                    if let Some(v) = v {
                        let (cx, cy) = chart.backend_coord(&(i as f64 + 0.5, *v));
                        let mut tip = format!("{} — {}: {}", labels[i], line.name, fmt(*v));
                        if let Some(n) = notes.get(i).filter(|n| !n.is_empty()) {
                            tip.push_str(&format!("\n{n}"));
                        }
                        targets.push(format!(
                            "<circle class=\"hover\" cx=\"{cx}\" cy=\"{cy}\" r=\"7\" fill=\"transparent\"><title>{}</title></circle>",
                            xml_escape(&tip)
                        ));
                    }
                }
            }
            Ok(targets)
        },
    )?;
    let mut header = vec!["category"];
    header.extend(lines.iter().map(|l| l.name.as_str()));
    if !notes.is_empty() {
        header.push("what happened");
    }
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            std::iter::once(l.clone())
                .chain(
                    lines
                        .iter()
                        .map(|line| opt(line.values.get(i).copied().flatten())),
                )
                .chain((!notes.is_empty()).then(|| notes.get(i).cloned().unwrap_or_default()))
                .collect()
        })
        .collect();
    Ok(with_data(svg, title, &header, rows))
}

/// A team on the predictability map.
#[derive(Debug, Clone)]
pub struct MapPoint {
    pub team: String,
    pub cv: f64,
    pub say_do: f64,
    /// The quadrant's name, for the tooltip and the mark's colour.
    pub quadrant: &'static str,
    /// Where the mark links to (the team's page), if anywhere.
    pub href: Option<String>,
}

/// The predictability map: one mark per team, CV of velocity across, say/do up; the
/// quadrants' borders at `cv_limit` and `say_do_target`, named where they are.
pub fn predictability_svg(
    points: &[MapPoint],
    cv_limit: f64,
    say_do_target: f64,
    size: Size,
) -> Result<String> {
    let right = points.iter().map(|p| p.cv).fold(cv_limit * 2.0, f64::max) * 1.1;
    let bottom = points
        .iter()
        .map(|p| p.say_do)
        .fold(say_do_target - 0.2, f64::min)
        .max(0.0)
        - 0.05;
    let mut svg = String::new();
    let mut targets = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (size.w, size.h)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Predictability: say/do against CV of velocity",
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..right, bottom.max(0.0)..1.05f64)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .x_desc("CV of velocity (lower is steadier)")
            .y_desc("say/do")
            .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
            .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(chart_error)?;
        let border = MUTED.stroke_width(1);
        chart
            .draw_series(LineSeries::new(
                vec![(cv_limit, bottom.max(0.0)), (cv_limit, 1.05)],
                border,
            ))
            .map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, say_do_target), (cv_limit, say_do_target)],
                border,
            ))
            .map_err(chart_error)?;
        let region = TextStyle::from(("sans-serif", 14).into_font()).color(&MUTED);
        for (text, x, y) in [
            ("predictable", 0.01, 1.03),
            ("over-committing", 0.01, say_do_target - 0.02),
            ("erratic", cv_limit + 0.01, 1.03),
        ] {
            chart
                .draw_series(std::iter::once(Text::new(text, (x, y), region.clone())))
                .map_err(chart_error)?;
        }
        let ink = BLACK.mix(0.8);
        let label = TextStyle::from(("sans-serif", 14).into_font()).color(&ink);
        for p in points {
            let color = match p.quadrant {
                "predictable" => COMPLETED,
                "over-committing" => ACCENT,
                _ => RGBColor(0xb0, 0x30, 0x30),
            };
            chart
                .draw_series(std::iter::once(Circle::new(
                    (p.cv, p.say_do),
                    5,
                    color.filled(),
                )))
                .map_err(chart_error)?;
            let (cx, cy) = chart.backend_coord(&(p.cv, p.say_do));
            root.draw(&Text::new(p.team.clone(), (cx + 7, cy - 6), label.clone()))
                .map_err(chart_error)?;
            let tip = format!(
                "{}: say/do {}, CV {} — {}",
                p.team,
                pct(Some(p.say_do)),
                pct(Some(p.cv)),
                p.quadrant
            );
            let mark = format!(
                "<circle class=\"hover\" cx=\"{cx}\" cy=\"{cy}\" r=\"9\" fill=\"transparent\"><title>{}</title></circle>",
                xml_escape(&tip)
            );
            targets.push(match &p.href {
                Some(h) => format!("<a href=\"{}\">{mark}</a>", xml_escape(h)),
                None => mark,
            });
        }
        root.present().map_err(chart_error)?;
    }
    let end = svg
        .rfind("</svg>")
        .ok_or_else(|| chart_error("no closing svg tag"))?;
    svg.insert_str(end, &targets.join("\n"));
    let rows = points
        .iter()
        .map(|p| {
            vec![
                p.team.clone(),
                format_number(p.say_do),
                format_number(p.cv),
                p.quadrant.to_string(),
            ]
        })
        .collect();
    Ok(with_data(
        svg,
        "predictability",
        &["team", "say_do", "cv", "quadrant"],
        rows,
    ))
}

/// One box of a box plot: a point value and its cycle times' five numbers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BoxStat {
    pub points: f64,
    pub n: usize,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
}

/// Cycle time per point value as boxes (quartiles, whiskers to min and max), with `marks`
/// (points, days, label) drawn as dots over them.
pub fn box_svg(
    title: &str,
    boxes: &[BoxStat],
    marks: &[(f64, f64, String)],
    size: Size,
) -> Result<String> {
    let top = boxes
        .iter()
        .map(|b| b.max)
        .chain(marks.iter().map(|m| m.1))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let labels: Vec<String> = boxes
        .iter()
        .map(|b| format!("{} pt", format_number(b.points)))
        .collect();
    let svg = category_chart(
        title,
        size,
        &labels,
        ("cycle time (days)", top),
        &|y| format!("{y:.0}"),
        &mut |chart| {
            let line = COMPLETED.stroke_width(1);
            for (i, b) in boxes.iter().enumerate() {
                let x = i as f64;
                chart
                    .draw_series([
                        PathElement::new(vec![(x + 0.5, b.min), (x + 0.5, b.q1)], line),
                        PathElement::new(vec![(x + 0.5, b.q3), (x + 0.5, b.max)], line),
                        PathElement::new(vec![(x + 0.35, b.min), (x + 0.65, b.min)], line),
                        PathElement::new(vec![(x + 0.35, b.max), (x + 0.65, b.max)], line),
                    ])
                    .map_err(chart_error)?;
                chart
                    .draw_series([
                        Rectangle::new([(x + 0.25, b.q1), (x + 0.75, b.q3)], COMMITTED.filled()),
                        Rectangle::new([(x + 0.25, b.q1), (x + 0.75, b.q3)], line),
                    ])
                    .map_err(chart_error)?;
                let s = chart
                    .draw_series([PathElement::new(
                        vec![(x + 0.25, b.median), (x + 0.75, b.median)],
                        COMPLETED.stroke_width(3),
                    )])
                    .map_err(chart_error)?;
                if i == 0 {
                    s.label("median, quartiles, min–max").legend(|(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 12, y + 5)], COMMITTED.filled())
                    });
                }
            }
            let slot = |p: f64| boxes.iter().position(|b| b.points == p);
            let placed: Vec<(f64, f64, &String)> = marks
                .iter()
                .filter_map(|(p, d, l)| slot(*p).map(|i| (i as f64 + 0.5, *d, l)))
                .collect();
            if !placed.is_empty() {
                chart
                    .draw_series(
                        placed
                            .iter()
                            .map(|(x, d, _)| Circle::new((*x, *d), 4, ACCENT.filled())),
                    )
                    .map_err(chart_error)?
                    .label("this sprint's items")
                    .legend(|(x, y)| Circle::new((x + 6, y), 4, ACCENT.filled()));
            }
            let mut targets: Vec<String> = boxes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let tip = format!(
                        "{} points: {} items, median {} days, quartiles {}–{}, range {}–{}",
                        format_number(b.points),
                        b.n,
                        pts(Some(b.median)),
                        pts(Some(b.q1)),
                        pts(Some(b.q3)),
                        pts(Some(b.min)),
                        pts(Some(b.max))
                    );
                    slot_target(chart, i, top, &tip)
                })
                .collect();
            for (x, d, l) in placed {
                let (cx, cy) = chart.backend_coord(&(x, d));
                targets.push(format!(
                    "<circle class=\"hover\" cx=\"{cx}\" cy=\"{cy}\" r=\"6\" fill=\"transparent\"><title>{}</title></circle>",
                    xml_escape(&format!("{l}: {} days", pts(Some(d))))
                ));
            }
            Ok(targets)
        },
    )?;
    let rows = boxes
        .iter()
        .map(|b| {
            vec![
                "box".to_string(),
                format_number(b.points),
                b.n.to_string(),
                format_number(b.min),
                format_number(b.q1),
                format_number(b.median),
                format_number(b.q3),
                format_number(b.max),
                String::new(),
            ]
        })
        .chain(marks.iter().map(|(p, d, l)| {
            let mut r = vec!["item".to_string(), format_number(*p)];
            r.extend(std::iter::repeat_n(String::new(), 6));
            r.push(format!("{l}: {}", format_number(*d)));
            r
        }))
        .collect();
    Ok(with_data(
        svg,
        title,
        &[
            "row",
            "points",
            "items",
            "min",
            "q1",
            "median",
            "q3",
            "max",
            "item_days",
        ],
        rows,
    ))
}

/// A dot of a scatter over categories: its category, value and tooltip.
pub struct Dot {
    pub at: usize,
    pub value: f64,
    pub tip: String,
}

/// Dots over categories (days, or items) with horizontal reference lines (percentiles), each
/// named in the legend and its tooltip.
pub fn scatter_svg(
    title: &str,
    y_desc: &str,
    labels: &[String],
    dots: &[Dot],
    levels: &[(String, f64)],
    size: Size,
) -> Result<String> {
    let top = dots
        .iter()
        .map(|d| d.value)
        .chain(levels.iter().map(|l| l.1))
        .fold(1.0f64, f64::max)
        * 1.15;
    let n = labels.len().max(1) as f64;
    let colors = [COMPLETED, ACCENT2, ACCENT, MUTED];
    let svg = category_chart(
        title,
        size,
        labels,
        (y_desc, top),
        &|y| format!("{y:.0}"),
        &mut |chart| {
            let mut targets = Vec::new();
            for (k, (name, v)) in levels.iter().enumerate() {
                let color = colors[k % colors.len()];
                chart
                    .draw_series(LineSeries::new(
                        vec![(0.0, *v), (n, *v)],
                        color.stroke_width(1),
                    ))
                    .map_err(chart_error)?
                    .label(format!("{name}: {}", format_number(*v)))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2))
                    });
                let (cx, cy) = chart.backend_coord(&(n - 0.5, *v));
                targets.push(format!(
                    "<circle class=\"hover\" cx=\"{cx}\" cy=\"{cy}\" r=\"7\" fill=\"transparent\"><title>{}</title></circle>",
                    xml_escape(&format!("{name}: {}", format_number(*v)))
                ));
            }
            chart
                .draw_series(dots.iter().map(|d| {
                    Circle::new(
                        (d.at as f64 + 0.5, d.value),
                        if size.small { 2 } else { 3 },
                        COMMITTED.filled(),
                    )
                }))
                .map_err(chart_error)?;
            for d in dots {
                let (cx, cy) = chart.backend_coord(&(d.at as f64 + 0.5, d.value));
                targets.push(format!(
                    "<circle class=\"hover\" cx=\"{cx}\" cy=\"{cy}\" r=\"7\" fill=\"transparent\"><title>{}</title></circle>",
                    xml_escape(&d.tip)
                ));
            }
            Ok(targets)
        },
    )?;
    let rows = dots
        .iter()
        .map(|d| {
            vec![
                labels.get(d.at).cloned().unwrap_or_default(),
                format_number(d.value),
                d.tip.clone(),
            ]
        })
        .collect();
    Ok(with_data(svg, title, &["category", y_desc, "item"], rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSV a chart's data link carries, decoded.
    fn data_of(chart: &str) -> (String, String) {
        let name = chart
            .split("download=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let href = chart.split("data:text/csv;charset=utf-8,").nth(1).unwrap();
        let href = href.split('"').next().unwrap();
        let mut bytes = Vec::new();
        let mut it = href.bytes();
        while let Some(b) = it.next() {
            if b == b'%' {
                let h: String = [it.next().unwrap(), it.next().unwrap()]
                    .iter()
                    .map(|b| *b as char)
                    .collect();
                bytes.push(u8::from_str_radix(&h, 16).unwrap());
            } else {
                bytes.push(b);
            }
        }
        (name.to_string(), String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn every_chart_carries_its_data_as_csv() {
        let svg = line_svg(
            "Spread, by sprint",
            "steps",
            &["1".to_string(), "=2, \"b\"".to_string()],
            &[Line {
                name: "median".into(),
                values: vec![Some(1.5), None],
                color: ACCENT,
            }],
            false,
            WIDE,
        )
        .unwrap();
        let (name, csv) = data_of(&svg);
        assert_eq!(name, "spread-by-sprint.csv");
        // A label a spreadsheet would run as a formula stays text; commas and quotes quoted.
        assert_eq!(csv, "category,median\n1,1.5\n\"'=2, \"\"b\"\"\",\n");
        let map = predictability_svg(
            &[MapPoint {
                team: "pay<x>".into(),
                cv: 0.2,
                say_do: 0.9,
                quadrant: "predictable",
                href: Some("/teams/pay%3Cx%3E".into()),
            }],
            0.25,
            0.8,
            WIDE,
        )
        .unwrap();
        assert!(
            map.contains("<a href=\"/teams/pay%3Cx%3E\"><circle class=\"hover\""),
            "{map}"
        );
        assert!(map.contains("<title>pay&lt;x&gt;: say/do 90%, CV 20% — predictable</title>"));
        assert_eq!(
            data_of(&map).1,
            "team,say_do,cv,quadrant\npay<x>,0.9,0.2,predictable\n"
        );
    }

    fn sprint(id: &str, committed: f64, completed: f64) -> SprintVelocity {
        SprintVelocity {
            team: "t".into(),
            program: None,
            sprint_id: id.into(),
            sprint_name: Some(format!("<b>{id}</b>")),
            start_date: None,
            end_date: None,
            source: "items".into(),
            closed: true,
            committed: Some(committed),
            added: None,
            removed: None,
            completed: Some(completed),
            completed_of_committed: None,
            say_do: Some(0.5),
            carry_over_items: None,
            difference: None,
            rolling_mean: Some(completed),
            rolling_median: None,
            rolling_sd: None,
            rolling_cv: None,
            undefined: Default::default(),
        }
    }

    #[test]
    fn velocity_chart_has_title_axes_legend_and_tooltips() {
        let svg = velocity_svg(
            "Velocity of <pay>",
            &[sprint("1", 10.0, 8.0), sprint("2", 12.0, 12.0)],
            Some(1),
            WIDE,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        for text in [
            "Velocity of &lt;pay&gt;",
            "points",
            "committed",
            "completed",
            "rolling mean",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("<title>&lt;b&gt;1&lt;/b&gt;: committed 10, completed 8, say/do 50%, rolling mean 8</title>"));
        assert!(!svg.contains("<b>") && !svg.contains("<pay>"));
    }

    #[test]
    fn line_chart_breaks_at_gaps_and_titles_every_point() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let svg = line_svg(
            "Say/do",
            "share",
            &labels,
            &[Line {
                name: "say/do".into(),
                values: vec![Some(0.5), None, Some(1.0)],
                color: ACCENT,
            }],
            true,
            WIDE,
        )
        .unwrap();
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("<title>c — say/do: 100%</title>"), "{svg}");
        // Two runs of one point each (no line joins a to c), plus the legend's line.
        let accent = "stroke=\"#E07B16\" stroke-width=\"2\" points=\"";
        assert_eq!(svg.matches(accent).count(), 2 + 1, "{svg}");
        let runs: Vec<&str> = svg
            .split(accent)
            .skip(1)
            .map(|p| p.split('"').next().unwrap())
            .collect();
        assert_eq!(
            runs.iter()
                .filter(|r| r.split_whitespace().count() == 1)
                .count(),
            2,
            "{runs:?}"
        );
    }

    #[test]
    fn box_plot_titles_each_box_and_mark() {
        let b = BoxStat {
            points: 3.0,
            n: 4,
            min: 1.0,
            q1: 2.0,
            median: 3.0,
            q3: 4.0,
            max: 6.0,
        };
        let svg = box_svg(
            "Cycle",
            &[b],
            &[(3.0, 5.0, "S-1 <x>".into()), (8.0, 1.0, "off".into())],
            WIDE,
        )
        .unwrap();
        assert!(
            svg.contains(
                "<title>3 points: 4 items, median 3 days, quartiles 2–4, range 1–6</title>"
            ),
            "{svg}"
        );
        assert!(svg.contains("<title>S-1 &lt;x&gt;: 5 days</title>"));
        // A mark whose point value has no box is not drawn.
        assert_eq!(svg.matches("<title>").count(), 2);
    }
}
