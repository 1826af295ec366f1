//! Typed clinical models: patients, conditions, cell sources, therapies, instruments,
//! assessments, clinical events and visit schedules.
//!
//! This module is plain data with validation. It imports nothing from the rest of the crate
//! (no I/O, no polars), which `tests/it/architecture.rs` enforces.

mod assessment;
mod cells;
mod condition;
mod event;
mod instrument;
mod parse;
mod patient;
mod therapy;
mod visit;

pub use assessment::Assessment;
pub use cells::{CellDose, CellOrigin, CellSource, Guidance, StemCells};
pub use condition::{BodySite, Condition};
pub use event::{ClinicalEvent, EventKind};
pub use instrument::{Direction, Instrument, MinimalImportantChange};
pub use parse::ParseError;
pub use patient::{Patient, PatientId, Sex};
pub use therapy::{Component, Therapy};
pub use visit::{VisitSchedule, VisitWindow};
