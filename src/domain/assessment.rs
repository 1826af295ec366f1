//! One pain or function assessment.

use super::patient::PatientId;

/// One assessment of one patient on one instrument at one day.
///
/// `score` is `None` for a missed assessment (kept and counted, never dropped).
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{Assessment, PatientId};
/// let a = Assessment {
///     patient_id: PatientId::new("P1").unwrap(),
///     day: 0,
///     visit: Some("baseline".into()),
///     instrument: "nrs".into(),
///     score: Some(7.0),
/// };
/// assert!(a.is_baseline());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Assessment {
    /// Patient.
    pub patient_id: PatientId,
    /// Days since first treatment; baseline has `day <= 0`.
    pub day: i32,
    /// Nominal visit label.
    pub visit: Option<String>,
    /// Instrument code (see [`Instrument`](crate::domain::Instrument)).
    pub instrument: String,
    /// Score, or `None` when the assessment was missed.
    pub score: Option<f64>,
}

impl Assessment {
    /// Whether this is a baseline assessment (`day <= 0`).
    pub fn is_baseline(&self) -> bool {
        self.day <= 0
    }
}
