//! Charts: plotters draws inline SVG with a title, axis labels and a legend; each sprint gets a
//! transparent hover target with a `<title>` (the tooltip), since plotters' marks carry none.

use crate::error::{Error, Result};
use crate::metrics::velocity::SprintVelocity;
use plotters::prelude::*;

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("drawing a chart: {e}"))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn pts(v: Option<f64>) -> String {
    crate::render::num(v, 1)
}

/// Committed and completed points per sprint as bars, the rolling mean as a line.
pub fn velocity_svg(team: &str, sprints: &[SprintVelocity]) -> Result<String> {
    let (w, h) = (760u32, 320u32);
    let n = sprints.len().max(1);
    let top = sprints
        .iter()
        .flat_map(|s| [s.committed, s.completed, s.rolling_mean])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let mut svg = String::new();
    let mut targets = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Velocity of {team}"), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(46)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(chart_error)?;
        let labels: Vec<String> = sprints.iter().map(|s| s.sprint_id.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("sprint")
            .y_desc("points")
            .x_labels(n.min(26))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                labels.get(i).cloned().unwrap_or_default()
            })
            .draw()
            .map_err(chart_error)?;
        let committed = RGBColor(0x9a, 0xb4, 0xd6);
        let completed = RGBColor(0x1f, 0x5f, 0xa8);
        chart
            .draw_series(sprints.iter().enumerate().filter_map(|(i, s)| {
                s.committed.map(|c| {
                    Rectangle::new(
                        [(i as f64 + 0.12, 0.0), (i as f64 + 0.48, c)],
                        committed.filled(),
                    )
                })
            }))
            .map_err(chart_error)?
            .label("committed")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], committed.filled())
            });
        chart
            .draw_series(sprints.iter().enumerate().filter_map(|(i, s)| {
                s.completed.map(|c| {
                    Rectangle::new(
                        [(i as f64 + 0.52, 0.0), (i as f64 + 0.88, c)],
                        completed.filled(),
                    )
                })
            }))
            .map_err(chart_error)?
            .label("completed")
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], completed.filled())
            });
        let orange = RGBColor(0xe0, 0x7b, 0x16);
        chart
            .draw_series(LineSeries::new(
                sprints
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| s.rolling_mean.map(|m| (i as f64 + 0.5, m))),
                orange.stroke_width(2),
            ))
            .map_err(chart_error)?
            .label("rolling mean")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 12, y)], orange.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(chart_error)?;
        for (i, s) in sprints.iter().enumerate() {
            let (x0, y0) = chart.backend_coord(&(i as f64, top));
            let (x1, y1) = chart.backend_coord(&(i as f64 + 1.0, 0.0));
            let tip = format!(
                "{}: committed {}, completed {}, say/do {}, rolling mean {}",
                s.sprint_name.clone().unwrap_or_else(|| s.sprint_id.clone()),
                pts(s.committed),
                pts(s.completed),
                crate::render::pct(s.say_do),
                pts(s.rolling_mean)
            );
            targets.push(format!(
                "<rect class=\"hover\" x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"transparent\"><title>{}</title></rect>",
                x1 - x0,
                y1 - y0,
                xml_escape(&tip)
            ));
        }
        root.present().map_err(chart_error)?;
    }
    let end = svg
        .rfind("</svg>")
        .ok_or_else(|| chart_error("no closing svg tag"))?;
    svg.insert_str(end, &targets.join("\n"));
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let svg = velocity_svg("pay", &[sprint("1", 10.0, 8.0), sprint("2", 12.0, 12.0)]).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        for text in [
            "Velocity of pay",
            "sprint",
            "points",
            "committed",
            "completed",
            "rolling mean",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("<title>&lt;b&gt;1&lt;/b&gt;: committed 10, completed 8, say/do 50%, rolling mean 8</title>"));
        assert!(!svg.contains("<b>"));
    }
}
