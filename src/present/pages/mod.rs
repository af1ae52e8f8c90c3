//! Page models: what each report page (and its JSON twin, and its static HTML file) shows,
//! one module per page, all cut from [`data::TeamData`] (one team's reports, computed once)
//! or, for the dashboard and the index, from the store.

pub mod dashboard;
pub mod data;
pub mod index;
pub mod retro;
pub mod review;
pub mod splits;
pub mod team;
