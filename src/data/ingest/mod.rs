//! Row-by-row validation shared by every reader (CSV, polars, the typed builder).
//!
//! Readers hand rows of raw byte fields to [`Ingest`]; it validates them, accumulates columns,
//! and [`Ingest::finish`] sorts, checks duplicates, derives visits and builds the
//! [`Cohort`](super::Cohort).
//!
//! - `record`: the raw fields of one row;
//! - `fields`: one row's typed values under a header layout (numbers, categories, ranges);
//! - `patient`: the patient-level values of a row, merged into the patient;
//! - `accumulate`: the columns being built, and the cohort at the end.

mod accumulate;
mod fields;
mod patient;
mod record;

use super::columns::Column;

pub(crate) use accumulate::Ingest;
pub(crate) use fields::{parse_finite, parse_integer};
pub(crate) use record::{RawRow, Record, is_missing};

/// Columns an assessments source may carry: the contract's columns up to the patient-level
/// ones (the events-file columns come last in [`Column::ALL`]).
pub(crate) const ASSESSMENT_COLUMNS: [Column; 17] = prefix(&Column::ALL);
pub(crate) const ASSESSMENT_REQUIRED: [Column; 5] = [
    Column::PatientId,
    Column::Therapy,
    Column::Day,
    Column::Instrument,
    Column::Score,
];
/// Columns a patients file may carry: the id, then the patient-level columns.
pub(crate) const PATIENT_COLUMNS: [Column; 13] = with_id(&Column::PATIENT_LEVEL);
pub(crate) const EVENT_COLUMNS: [Column; 5] = [
    Column::PatientId,
    Column::Event,
    Column::Day,
    Column::Detail,
    Column::Grade,
];
pub(crate) const EVENT_REQUIRED: [Column; 3] = [Column::PatientId, Column::Event, Column::Day];

/// The first `N` columns of `all`.
const fn prefix<const N: usize>(all: &[Column]) -> [Column; N] {
    let mut out = [Column::PatientId; N];
    let mut i = 0;
    while i < N {
        out[i] = all[i];
        i += 1;
    }
    out
}

/// `patient_id` followed by `columns`.
const fn with_id<const N: usize>(columns: &[Column]) -> [Column; N] {
    let mut out = [Column::PatientId; N];
    let mut i = 1;
    while i < N {
        out[i] = columns[i - 1];
        i += 1;
    }
    out
}
