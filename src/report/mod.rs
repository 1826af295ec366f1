//! Results for people and programs: text tables (`Display`) of the analysis results, JSON,
//! tidy tables ([`Tidy`]) that become polars data frames or CSV files, SVG figures
//! ([`Figure`]; see [`trajectory_figure`] and its siblings), and reports.
//!
//! A report is a [`Report`] of [`Section`]s holding text, [`Table`]s and [`Figure`]s. The
//! tables of a trial report follow the CONSORT items: [`participant_flow`],
//! [`baseline_characteristics`], [`outcomes_by_visit`], [`responder_table`],
//! [`time_to_event_table`] and [`adverse_events`]; [`comparison_report`] assembles them for
//! a [`ComparisonResults`]. [`write_report`] writes `report.html` (one self-contained page),
//! `report.md` with `figures/*.svg`, `tables/*.csv` and `results.json`.
//!
//! The analyses in [`analysis`](crate::analysis) return plain structs; this layer decides how
//! they look. Every analysis result prints as a compact table with `{}` and serializes with
//! [`to_json`].

mod comparison;
mod document;
mod figure;
mod figures;
mod html;
mod json;
mod lmm;
mod meta;
mod observational;
mod tables;
mod text;
mod tidy;
mod write;

pub use comparison::{ComparisonResults, comparison_figures, comparison_report};
pub use document::{Block, Provenance, Report, Section};
pub use figure::Figure;
pub use figures::{
    IndividualSample, balance_figure, hazard_ratio_forest, kaplan_meier_figure,
    lsmean_differences_figure, meta_forest, patient_course_figure, responder_figure,
    subgroup_forest, trajectory_figure,
};
pub use json::to_json;
pub use tables::{
    Align, Column, Table, adverse_events, baseline_characteristics, escape_html, outcomes_by_visit,
    participant_flow, responder_table, slug, time_to_event_table,
};
pub use tidy::Tidy;
pub use write::{WrittenReport, write_report};
