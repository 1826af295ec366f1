//! # pain-outcomes
//!
//! Comparative-effectiveness analysis of pain therapies — mesenchymal stem-cell injections,
//! corticosteroids, platelet-rich plasma, their combinations and the usual comparators — on
//! long-format pain-score data from trials and clinic registries.
//!
//! ```
//! use pain_outcomes::prelude::*;
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
//! let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
//!     .with_events(format!("{dir}knee_oa_trial_events.csv"));
//! let loaded = read_csv_files(&files, &LoadOptions::default())?;
//! println!("{}", loaded.report); // rows, missed assessments, patients per arm, ignored columns
//!
//! let nrs = loaded.cohort.wide("nrs")?; // patients × visits, with baselines
//! assert!(nrs.visits.contains(&"month_12".to_string()));
//! # Ok::<(), pain_outcomes::Error>(())
//! ```
//!
//! ## Layers
//!
//! - [`domain`]: typed clinical models (patients, conditions, cell sources, therapies,
//!   instruments, assessments, clinical events, visit windows). No I/O.
//! - [`data`]: the validated, columnar [`Cohort`] and its readers and writers (CSV, polars).
//! - [`stats`]: statistical routines, each checked against reference software.
//! - [`simulate`]: a seeded simulator of realistic cohorts.
//!
//! ## Errors and refusals
//!
//! Invalid input is an [`Error`] naming the file, line, column, value and what was expected.
//! Valid input from which a statistic cannot honestly be computed gives an
//! [`Outcome::Refused`] with a [`Refusal`] reason — never NaN.
//!
//! ## Features
//!
//! - `lazy`: polars `LazyFrame` support (pulls polars' lazy engine; a much heavier build).
//! - `parquet`: Parquet through polars (implies `lazy`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod data;
pub mod domain;
mod error;
pub mod guide;
pub mod simulate;
pub mod stats;

pub use data::{Cohort, LoadOptions, LoadReport, Loaded};
pub use error::{Error, Location, Result};
pub use stats::mmrm::{CohortMmrm, MmrmBuilder};
pub use stats::mmrm::{MmrmData, MmrmFit, MmrmOptions, ModelSpec, mmrm};
pub use stats::survival::{CoxData, CoxFit, CoxZph, KaplanMeier, LogRank, RmstDifference, Status};
pub use stats::time_to_event::{TimeToEventAnalysis, TimeToEventOptions, analyse_time_to_event};
pub use stats::{Outcome, Refusal, RefusalReason};
pub use stats::{ancova::Ancova, describe::ConfidenceInterval, responders::ResponderRule};

/// Re-export of the polars version this crate is built against.
pub use polars;

/// The types most programs need, for `use pain_outcomes::prelude::*`.
pub mod prelude {
    pub use crate::data::{
        ArmBy, Cohort, ColumnMap, CsvFiles, LoadOptions, LoadReport, Loaded, Selection, WideTable,
        from_dataframe, read_csv, read_csv_files, read_csv_str,
    };
    pub use crate::domain::{
        CellOrigin, CellSource, ClinicalEvent, Component, Condition, Direction, EventKind,
        Guidance, Instrument, Patient, PatientId, Sex, Therapy, VisitSchedule,
    };
    pub use crate::{Error, Outcome, Refusal, RefusalReason, Result};
}

/// The README's code blocks, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
