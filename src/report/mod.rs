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
mod text;
mod tidy;

pub use figure::Figure;
pub use json::to_json;
pub use tidy::Tidy;
