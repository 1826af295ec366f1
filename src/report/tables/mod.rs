//! Tables of a report (CONSORT-style): the [`Table`] type and the tables built from a cohort
//! and the analysis results — baseline characteristics, participant flow, outcomes per visit,
//! responders, time to an event and adverse events.

mod baseline;
mod flow;
pub(super) mod format;
mod harms;
mod outcomes;
mod responders;
mod survival;
mod table;

pub use baseline::baseline_characteristics;
pub use flow::participant_flow;
pub use harms::adverse_events;
pub use outcomes::outcomes_by_visit;
pub use responders::responder_table;
pub use survival::time_to_event_table;
pub use table::{Align, Column, Table, escape_html, slug};
