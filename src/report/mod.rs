//! Results for people and programs: text tables (`Display`) of the analysis results, JSON, and
//! tidy tables ([`Tidy`]) that become polars data frames or CSV files.
//!
//! The analyses in [`analysis`](crate::analysis) return plain structs; this layer decides how
//! they look. Every analysis result prints as a compact table with `{}` and serializes with
//! [`to_json`].

mod figure;
mod json;
mod lmm;
mod meta;
mod observational;
mod tables;
mod text;
mod tidy;

pub use figure::Figure;
pub use json::to_json;
pub use tables::{
    Align, Column, Table, adverse_events, baseline_characteristics, escape_html, outcomes_by_visit,
    participant_flow, responder_table, slug, time_to_event_table,
};
pub use tidy::Tidy;
