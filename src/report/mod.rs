//! Results for people and programs: text tables (`Display`) of the analysis results, JSON,
//! tidy tables ([`Tidy`]) that become polars data frames or CSV files, and SVG figures
//! ([`Figure`]; see [`trajectory_figure`] and its siblings).
//!
//! The analyses in [`analysis`](crate::analysis) return plain structs; this layer decides how
//! they look. Every analysis result prints as a compact table with `{}` and serializes with
//! [`to_json`].

mod figure;
mod figures;
mod json;
mod lmm;
mod meta;
mod observational;
mod text;
mod tidy;

pub use figure::Figure;
pub use figures::{
    IndividualSample, balance_figure, hazard_ratio_forest, kaplan_meier_figure,
    lsmean_differences_figure, meta_forest, patient_course_figure, responder_figure,
    subgroup_forest, trajectory_figure,
};
pub use json::to_json;
pub use tidy::Tidy;
