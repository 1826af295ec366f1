//! Building a cohort from typed values.

use super::columns::Column;
use super::csv_io::{event_record, opt, read_csv_texts, write_patient_records};
use super::ingest::{ASSESSMENT_COLUMNS, EVENT_COLUMNS};
use super::options::{LoadOptions, Loaded};
use crate::domain::{Assessment, ClinicalEvent, Patient};
use crate::error::{Error, Result};

/// Builds a [`Cohort`](crate::data::Cohort) from typed patients, assessments and events.
///
/// The values go through exactly the validation of the file readers; error locations name
/// `assessments.csv`, `patients.csv` or `events.csv` with `line` = position in the list + 2
/// (line 1 being a header).
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::CohortBuilder;
/// use pain_outcomes::domain::{Assessment, Patient, PatientId};
/// let id = PatientId::new("P1").unwrap();
/// let loaded = CohortBuilder::new()
///     .patient(Patient::new(id.clone(), "placebo".parse().unwrap()))
///     .assessment(Assessment { patient_id: id, day: 0, visit: None, instrument: "nrs".into(), score: Some(6.0) })
///     .build()?;
/// assert_eq!(loaded.cohort.n_patients(), 1);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CohortBuilder {
    patients: Vec<Patient>,
    assessments: Vec<Assessment>,
    events: Vec<ClinicalEvent>,
    options: LoadOptions,
}

impl CohortBuilder {
    /// An empty builder with default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the load options (instrument registry, visit schedule, arms).
    pub fn options(mut self, options: LoadOptions) -> Self {
        self.options = options;
        self
    }

    /// Adds a patient.
    pub fn patient(mut self, patient: Patient) -> Self {
        self.patients.push(patient);
        self
    }

    /// Adds an assessment.
    pub fn assessment(mut self, assessment: Assessment) -> Self {
        self.assessments.push(assessment);
        self
    }

    /// Adds a clinical event.
    pub fn event(mut self, event: ClinicalEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    ///
    /// Any validation [`Error`]; an assessment of a patient that was not added is
    /// [`Error::UnknownPatient`].
    pub fn build(self) -> Result<Loaded> {
        let boxed = |e: csv::Error| Error::CsvWrite(Box::new(e));
        let to_text = |w: csv::Writer<Vec<u8>>| -> Result<String> {
            let bytes = w
                .into_inner()
                .map_err(|e| Error::CsvWrite(Box::new(e.into_error().into())))?;
            String::from_utf8(bytes).map_err(|e| Error::invalid_argument("builder", e.to_string()))
        };
        let mut pw = csv::Writer::from_writer(Vec::new());
        write_patient_records(&self.patients, &mut pw)?;
        let therapy_of: std::collections::HashMap<_, _> = self
            .patients
            .iter()
            .map(|p| (p.id.clone(), p.therapy))
            .collect();
        let mut aw = csv::Writer::from_writer(Vec::new());
        // the assessment-level columns, which lead ASSESSMENT_COLUMNS
        aw.write_record(ASSESSMENT_COLUMNS[..6].iter().map(|c| c.name()))
            .map_err(boxed)?;
        for (i, a) in self.assessments.iter().enumerate() {
            let Some(t) = therapy_of.get(&a.patient_id) else {
                return Err(Error::UnknownPatient {
                    at: Box::new(crate::Location::new(
                        "assessments.csv",
                        i as u64 + 2,
                        "patient_id",
                    )),
                    patient_id: a.patient_id.to_string(),
                });
            };
            aw.write_record([
                a.patient_id.to_string(),
                t.to_string(),
                a.day.to_string(),
                a.visit.clone().unwrap_or_default(),
                a.instrument.clone(),
                opt(a.score),
            ])
            .map_err(boxed)?;
        }
        let mut ew = csv::Writer::from_writer(Vec::new());
        ew.write_record(EVENT_COLUMNS.map(Column::name))
            .map_err(boxed)?;
        for e in &self.events {
            ew.write_record(event_record(e)).map_err(boxed)?;
        }
        let (a, p, e) = (to_text(aw)?, to_text(pw)?, to_text(ew)?);
        read_csv_texts(&a, Some(&p), Some(&e), &self.options)
    }
}
