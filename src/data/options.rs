//! Load options and the load report.

use super::cohort::{ArmBy, Cohort};
use super::columns::ColumnMap;
use crate::domain::{Instrument, VisitSchedule};
use std::fmt;

/// Options for loading a cohort.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{ColumnMap, LoadOptions};
/// use pain_outcomes::domain::{Direction, Instrument};
/// let opts = LoadOptions::default()
///     .with_column_map(ColumnMap::adam())
///     .with_delimiter(b';')
///     .with_instrument(Instrument::custom("visa_p", "VISA-P", 0.0, 100.0, Direction::HigherIsBetter).unwrap());
/// assert_eq!(opts.delimiter, b';');
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Column names of the input.
    pub column_map: ColumnMap,
    /// Field delimiter (default `,`).
    pub delimiter: u8,
    /// Visit windows used where the input has no visit label.
    pub schedule: VisitSchedule,
    /// Instrument registry: the built-ins plus any user-defined ones.
    pub instruments: Vec<Instrument>,
    /// How patients are grouped into arms.
    pub arm_by: ArmBy,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            column_map: ColumnMap::new(),
            delimiter: b',',
            schedule: VisitSchedule::default(),
            instruments: Instrument::builtins(),
            arm_by: ArmBy::default(),
        }
    }
}

impl LoadOptions {
    /// Sets the column map.
    pub fn with_column_map(mut self, map: ColumnMap) -> Self {
        self.column_map = map;
        self
    }

    /// Sets the delimiter.
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Replaces the visit schedule.
    pub fn with_schedule(mut self, schedule: VisitSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Adds (or replaces, by code) an instrument in the registry.
    pub fn with_instrument(mut self, instrument: Instrument) -> Self {
        self.instruments.retain(|i| i.code != instrument.code);
        self.instruments.push(instrument);
        self
    }

    /// Sets how arms are defined.
    pub fn with_arm_by(mut self, arm_by: ArmBy) -> Self {
        self.arm_by = arm_by;
        self
    }
}

/// What a load read, so that nothing is dropped silently.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// let csv = "patient_id,therapy,day,instrument,score,notes,smoker\n\
///            P1,prp,0,nrs,7,x,yes\nP1,prp,90,nrs,,y,yes\n";
/// let loaded = read_csv_str(csv, "mem.csv", &Default::default()).unwrap();
/// assert_eq!(loaded.report.rows_read, 2);
/// assert_eq!(loaded.report.missed_assessments, 1);
/// // `notes` differs within patient P1: not a patient-level column, so not kept
/// assert_eq!(loaded.report.ignored_columns, vec!["notes".to_string()]);
/// assert_eq!(loaded.report.kept_columns[0].name, "smoker");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct LoadReport {
    /// Name of the assessments source.
    pub source: String,
    /// Data rows read from the assessments source.
    pub rows_read: u64,
    /// Rows with an empty score (missed assessments; kept in the cohort).
    pub missed_assessments: u64,
    /// Patients.
    pub patients: u64,
    /// Patients known only from the patients file (no assessment rows).
    pub patients_without_assessments: u64,
    /// How the arms were defined (after resolution: the arm column only when the data has
    /// one).
    pub arms_by: ArmBy,
    /// Patients per arm.
    pub patients_per_arm: Vec<(String, u64)>,
    /// Rows per instrument.
    pub rows_per_instrument: Vec<(String, u64)>,
    /// Rows whose day falls in no visit window and that carry no visit label.
    pub rows_without_visit: u64,
    /// Columns present in the input that were ignored: not part of the contract in the events
    /// file, or the user's own columns whose values differ within a patient (a patient-level
    /// column must agree within a patient).
    pub ignored_columns: Vec<String>,
    /// The user's own patient-level columns kept (numeric ones as covariates, the others as
    /// factors), from the assessments and patients files.
    pub kept_columns: Vec<KeptColumn>,
    /// Rows read from the patients file.
    pub patient_rows_read: u64,
    /// Columns of the patients file that were ignored.
    pub ignored_patient_columns: Vec<String>,
    /// Events read from the events file.
    pub events_read: u64,
    /// Columns of the events file that were ignored.
    pub ignored_event_columns: Vec<String>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} rows ({} missed assessments), {} patients",
            self.source, self.rows_read, self.missed_assessments, self.patients
        )?;
        let arms: Vec<String> = self
            .patients_per_arm
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect();
        writeln!(
            f,
            "  arms by {}: {}",
            self.arms_by.describe(),
            arms.join(", ")
        )?;
        if self.patients_without_assessments > 0 {
            writeln!(
                f,
                "  patients without assessments: {}",
                self.patients_without_assessments
            )?;
        }
        if self.rows_without_visit > 0 {
            writeln!(
                f,
                "  rows outside every visit window: {}",
                self.rows_without_visit
            )?;
        }
        if !self.kept_columns.is_empty() {
            let kept: Vec<String> = self
                .kept_columns
                .iter()
                .map(|k| {
                    let kind = match k.kind {
                        ColumnKind::Covariate => "covariate",
                        ColumnKind::Factor => "factor",
                    };
                    format!("{} ({kind})", k.name)
                })
                .collect();
            writeln!(f, "  kept columns: {}", kept.join(", "))?;
        }
        if !self.ignored_columns.is_empty() {
            writeln!(f, "  ignored columns: {}", self.ignored_columns.join(", "))?;
        }
        if self.events_read > 0 {
            writeln!(f, "  events: {}", self.events_read)?;
        }
        Ok(())
    }
}

/// How a user's own column was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ColumnKind {
    /// Every value a finite number: a covariate ([`Patient::covariates`](crate::domain::Patient)).
    Covariate,
    /// Text: a factor ([`Patient::factors`](crate::domain::Patient)).
    Factor,
}

/// A user's own column kept by the load.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptColumn {
    /// Column name as in the file.
    pub name: String,
    /// Covariate or factor.
    pub kind: ColumnKind,
}

/// A loaded cohort and the report of its load.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Loaded {
    /// The cohort.
    pub cohort: Cohort,
    /// What was read.
    pub report: LoadReport,
}
