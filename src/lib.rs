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
//! println!("{}", loaded.report); // rows, missed assessments, arms, kept and ignored columns
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
//! - [`stats`]: statistical kernels on slices and matrices, each checked against reference
//!   software; never sees a cohort.
//! - [`analysis`]: the questions a study asks of a [`Cohort`] (trajectories, responders, ANCOVA,
//!   MMRM, linear mixed models of trajectories, time to event): the arm policy, the reference arm and who was left out.
//! - [`report`]: results as text tables, JSON, (for people) summaries and SVG figures.
//! - [`simulate`]: a seeded simulator of realistic cohorts, beside `data`.
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

pub mod analysis;
mod choice;
pub mod data;
pub mod domain;
mod error;
pub mod guide;
mod outcome;
pub mod report;
pub mod simulate;
pub mod stats;

pub use analysis::{CohortMmrm, MmrmBuilder};
pub use analysis::{TimeToEventAnalysis, TimeToEventOptions, analyse_time_to_event};
pub use analysis::{TrajectoryFit, TrajectoryModel};
pub use data::{ArmBy, Cohort, LoadOptions, LoadReport, Loaded};
pub use error::{Error, Location, Result};
pub use outcome::{Outcome, OutcomeRows, Refusal, RefusalReason};
pub use stats::lmm::{LmmData, LmmFit, LmmOptions, lmm};
pub use stats::mmrm::{MmrmData, MmrmFit, MmrmOptions, ModelSpec, mmrm};
pub use stats::survival::{CoxData, CoxFit, CoxZph, KaplanMeier, LogRank, RmstDifference, Status};
pub use stats::{ArmDifference, ChiSquareTest, ConfidenceInterval, Estimate, FTest};
pub use stats::{ancova::Ancova, responders::ResponderRule};

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
    pub use crate::{Error, Outcome, OutcomeRows, Refusal, RefusalReason, Result};
}

/// The README's code blocks, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
