//! Patients.

use std::collections::BTreeMap;

use super::cells::{Guidance, StemCells};
use super::condition::Condition;
use super::parse::category;
use super::therapy::Therapy;
use std::fmt;

category! {
    /// Sex recorded for the patient.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::Sex;
    /// assert_eq!("F".parse::<Sex>().unwrap(), Sex::Female);
    /// ```
    Sex, "sex" {
        /// Female.
        Female = "female" | "f",
        /// Male.
        Male = "male" | "m",
    }
}

/// A patient identifier: a non-empty string.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::PatientId;
/// assert_eq!(PatientId::new("P001").unwrap().as_str(), "P001");
/// assert!(PatientId::new("  ").is_none());
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct PatientId(String);

impl PatientId {
    /// A patient id; `None` when empty or only whitespace.
    pub fn new(id: impl Into<String>) -> Option<Self> {
        let id = id.into();
        (!id.trim().is_empty()).then_some(PatientId(id))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A patient and the patient-level facts recorded for them.
///
/// Optional facts are `None` when not recorded. Ranges enforced by the loaders:
/// age in [`Patient::AGE_RANGE`], BMI in [`Patient::BMI_RANGE`], severity in
/// [`Patient::SEVERITY_RANGE`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{Condition, Patient, PatientId, Therapy};
/// let p = Patient::new(PatientId::new("P1").unwrap(), "corticosteroid".parse().unwrap())
///     .with_condition(Condition::KneeOsteoarthritis);
/// assert_eq!(p.therapy.to_string(), "corticosteroid");
/// assert_eq!(p.condition, Some(Condition::KneeOsteoarthritis));
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Patient {
    /// Identifier.
    pub id: PatientId,
    /// Assigned therapy.
    pub therapy: Therapy,
    /// Cell product when the therapy includes stem cells.
    pub cells: Option<StemCells>,
    /// Injection guidance.
    pub guidance: Option<Guidance>,
    /// Condition treated.
    pub condition: Option<Condition>,
    /// Disease severity grade (Kellgren–Lawrence 0–4 for osteoarthritis, Pfirrmann 1–5 for disc
    /// degeneration, or another integer scale up to 5).
    pub severity: Option<u8>,
    /// Age in years.
    pub age: Option<f64>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Body-mass index, kg/m².
    pub bmi: Option<f64>,
    /// Clinic, centre or region.
    pub site: Option<String>,
    /// The randomised or assigned group label (free text, e.g. ADaM `TRT01P`), when recorded.
    pub arm: Option<String>,
    /// The user's own numeric patient-level columns (symptom duration, a lab value, …), by
    /// column name.
    pub covariates: BTreeMap<String, f64>,
    /// The user's own text patient-level columns (smoking, prior injections, …), by column
    /// name.
    pub factors: BTreeMap<String, String>,
}

impl Patient {
    /// Accepted ages, in years.
    pub const AGE_RANGE: (f64, f64) = (0.0, 120.0);
    /// Accepted body-mass indices, kg/m².
    pub const BMI_RANGE: (f64, f64) = (10.0, 100.0);
    /// Accepted severity grades.
    pub const SEVERITY_RANGE: (u8, u8) = (0, 5);

    /// A patient with only an id and a therapy recorded.
    pub fn new(id: PatientId, therapy: Therapy) -> Self {
        Patient {
            id,
            therapy,
            cells: None,
            guidance: None,
            condition: None,
            severity: None,
            age: None,
            sex: None,
            bmi: None,
            site: None,
            arm: None,
            covariates: BTreeMap::new(),
            factors: BTreeMap::new(),
        }
    }

    /// Sets the condition.
    pub fn with_condition(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Sets the cell product.
    pub fn with_cells(mut self, cells: StemCells) -> Self {
        self.cells = Some(cells);
        self
    }

    /// Sets the age in years.
    pub fn with_age(mut self, age: f64) -> Self {
        self.age = Some(age);
        self
    }

    /// Sets the sex.
    pub fn with_sex(mut self, sex: Sex) -> Self {
        self.sex = Some(sex);
        self
    }

    /// Sets the severity grade.
    pub fn with_severity(mut self, severity: u8) -> Self {
        self.severity = Some(severity);
        self
    }

    /// Sets the site.
    pub fn with_site(mut self, site: impl Into<String>) -> Self {
        self.site = Some(site.into());
        self
    }

    /// Sets the guidance.
    pub fn with_guidance(mut self, guidance: Guidance) -> Self {
        self.guidance = Some(guidance);
        self
    }

    /// Sets the BMI.
    pub fn with_bmi(mut self, bmi: f64) -> Self {
        self.bmi = Some(bmi);
        self
    }

    /// Sets the recorded arm (the randomised or assigned group label).
    pub fn with_arm(mut self, arm: impl Into<String>) -> Self {
        self.arm = Some(arm.into());
        self
    }

    /// Sets the user's numeric column `name`.
    pub fn with_covariate(mut self, name: impl Into<String>, value: f64) -> Self {
        self.covariates.insert(name.into(), value);
        self
    }

    /// Sets the user's text column `name`.
    pub fn with_factor(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.factors.insert(name.into(), value.into());
        self
    }
}
