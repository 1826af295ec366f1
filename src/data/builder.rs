//! Building a cohort from typed values.

use super::csv_io::read_csv_texts;
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
        // patients first so that unknown patients in assessments can be named
        let mut known = std::collections::HashSet::new();
        let mut pw = csv::Writer::from_writer(Vec::new());
        pw.write_record([
            "patient_id",
            "therapy",
            "condition",
            "cell_source",
            "cell_origin",
            "cell_dose_million",
            "guidance",
            "age",
            "sex",
            "bmi",
            "severity",
            "site",
        ])
        .map_err(boxed)?;
        let opt = |v: Option<String>| v.unwrap_or_default();
        for p in &self.patients {
            known.insert(p.id.clone());
            let cells = p.cells.unwrap_or_default();
            pw.write_record([
                p.id.to_string(),
                p.therapy.to_string(),
                opt(p.condition.map(|c| c.to_string())),
                opt(cells.source.map(|c| c.to_string())),
                opt(cells.origin.map(|c| c.to_string())),
                opt(cells.dose.map(|d| d.million_cells().to_string())),
                opt(p.guidance.map(|g| g.to_string())),
                opt(p.age.map(|a| a.to_string())),
                opt(p.sex.map(|s| s.to_string())),
                opt(p.bmi.map(|b| b.to_string())),
                opt(p.severity.map(|s| s.to_string())),
                opt(p.site.clone()),
            ])
            .map_err(boxed)?;
        }
        let therapy_of: std::collections::HashMap<_, _> = self
            .patients
            .iter()
            .map(|p| (p.id.clone(), p.therapy))
            .collect();
        let mut aw = csv::Writer::from_writer(Vec::new());
        aw.write_record([
            "patient_id",
            "therapy",
            "day",
            "visit",
            "instrument",
            "score",
        ])
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
                opt(a.score.map(|s| s.to_string())),
            ])
            .map_err(boxed)?;
        }
        let mut ew = csv::Writer::from_writer(Vec::new());
        ew.write_record(["patient_id", "event", "day", "detail", "grade"])
            .map_err(boxed)?;
        for e in &self.events {
            ew.write_record([
                e.patient_id.to_string(),
                e.kind.to_string(),
                e.day.to_string(),
                e.detail.clone().unwrap_or_default(),
                opt(e.grade.map(|g| g.to_string())),
            ])
            .map_err(boxed)?;
        }
        let (a, p, e) = (to_text(aw)?, to_text(pw)?, to_text(ew)?);
        read_csv_texts(&a, Some(&p), Some(&e), &self.options)
    }
}
