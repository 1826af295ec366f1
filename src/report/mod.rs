//! Results for people and programs: text tables (`Display`) of the analysis results and JSON.
//!
//! The analyses in [`analysis`](crate::analysis) return plain structs; this layer decides how
//! they look. Every analysis result prints as a compact table with `{}` and serializes with
//! [`to_json`].

mod json;
mod text;

pub use json::to_json;
