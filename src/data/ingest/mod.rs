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
pub(crate) use record::{RawRow, Record};

/// Columns an assessments source may carry.
pub(crate) const ASSESSMENT_COLUMNS: [Column; 17] = [
    Column::PatientId,
    Column::Therapy,
    Column::Day,
    Column::Visit,
    Column::Instrument,
    Column::Score,
    Column::Condition,
    Column::CellSource,
    Column::CellOrigin,
    Column::CellDoseMillion,
    Column::Guidance,
    Column::Age,
    Column::Sex,
    Column::Bmi,
    Column::Severity,
    Column::Site,
    Column::Arm,
];
pub(crate) const ASSESSMENT_REQUIRED: [Column; 5] = [
    Column::PatientId,
    Column::Therapy,
    Column::Day,
    Column::Instrument,
    Column::Score,
];
pub(crate) const PATIENT_COLUMNS: [Column; 13] = [
    Column::PatientId,
    Column::Therapy,
    Column::Condition,
    Column::CellSource,
    Column::CellOrigin,
    Column::CellDoseMillion,
    Column::Guidance,
    Column::Age,
    Column::Sex,
    Column::Bmi,
    Column::Severity,
    Column::Site,
    Column::Arm,
];
pub(crate) const EVENT_COLUMNS: [Column; 5] = [
    Column::PatientId,
    Column::Event,
    Column::Day,
    Column::Detail,
    Column::Grade,
];
pub(crate) const EVENT_REQUIRED: [Column; 3] = [Column::PatientId, Column::Event, Column::Day];
