//! Presentation: report models to what people read. [`fmt`] formats every number and text;
//! [`table`] and [`reports`] are the CLI's tables, Markdown, CSV and JSON; [`review`] is the
//! Sprint Review as text; [`pages`] are the page models the server and the static report
//! render; [`charts`] draws their SVG.

pub mod charts;
pub mod fmt;
pub mod pages;
pub mod reports;
pub mod review;
pub mod table;
