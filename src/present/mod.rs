//! Presentation: report models to what people read. [`fmt`] formats every number and text;
//! [`table`] and [`reports`] are the CLI's tables, Markdown, CSV and JSON; [`review`] is the
//! Sprint Review as text; [`pages`] are the page models the server and the static report
//! render; [`charts`] draws their SVG; [`export`] turns the figures into Arrow batches for
//! the Parquet export; [`requests`] runs the report commands on a store, the command line's
//! own or a server's.

pub mod charts;
pub mod export;
pub mod fmt;
pub mod pages;
pub mod reports;
pub mod requests;
pub mod review;
pub mod table;
