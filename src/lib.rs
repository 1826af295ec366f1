//! # pain-outcomes
//!
//! Comparative-effectiveness analysis of pain therapies — mesenchymal stem-cell injections,
//! corticosteroids, platelet-rich plasma, their combinations and the usual comparators — on
//! long-format pain-score data.
//!
//! The crate is layered:
//!
//! - [`domain`]: typed clinical models (patients, conditions, cell sources, therapies,
//!   instruments, assessments, clinical events). No I/O.
//! - [`data`]: the validated, columnar [`Cohort`] and its readers and writers (CSV, polars).
//! - [`stats`]: statistical routines, each checked against reference software.
//! - [`report`]: tables and JSON for papers.
//! - [`simulate`]: a seeded simulator of realistic cohorts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod data;
pub mod domain;
mod error;
pub mod report;
pub mod simulate;
pub mod stats;

pub use error::{Error, Location, Result};
pub use stats::mmrm::{MmrmData, MmrmFit, MmrmOptions, ModelSpec, mmrm};
pub use stats::{Outcome, Refusal, RefusalReason};

/// Re-export of the polars version this crate is built against.
pub use polars;
