//! Clinical events: surgery, adverse events, rescue medication, withdrawal, last contact.

use super::parse::category;
use super::patient::PatientId;

category! {
    /// Kind of clinical event.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::EventKind;
    /// assert_eq!("surgery".parse::<EventKind>().unwrap(), EventKind::Surgery);
    /// ```
    EventKind, "event" {
        /// Surgery on the treated site (arthroplasty, fusion, repair, …).
        Surgery = "surgery",
        /// Adverse event; graded (CTCAE 1–5).
        AdverseEvent = "adverse_event",
        /// Rescue medication taken.
        RescueMedication = "rescue_medication",
        /// Withdrawal from the study.
        Withdrawal = "withdrawal",
        /// Last contact (administrative end of follow-up).
        LastContact = "last_contact",
    }
}

/// A clinical event of one patient.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{ClinicalEvent, EventKind, PatientId};
/// let e = ClinicalEvent::new(PatientId::new("P1").unwrap(), EventKind::AdverseEvent, 12)
///     .with_grade(2)
///     .with_detail("injection-site swelling");
/// assert_eq!(e.grade, Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ClinicalEvent {
    /// Patient.
    pub patient_id: PatientId,
    /// Kind.
    pub kind: EventKind,
    /// Day since first treatment.
    pub day: i32,
    /// Free-text detail.
    pub detail: Option<String>,
    /// Severity grade (CTCAE 1–5) for adverse events.
    pub grade: Option<u8>,
}

impl ClinicalEvent {
    /// Accepted grades (CTCAE).
    pub const GRADE_RANGE: (u8, u8) = (1, 5);

    /// An event without detail or grade.
    pub fn new(patient_id: PatientId, kind: EventKind, day: i32) -> Self {
        ClinicalEvent {
            patient_id,
            kind,
            day,
            detail: None,
            grade: None,
        }
    }

    /// Sets the grade.
    pub fn with_grade(mut self, grade: u8) -> Self {
        self.grade = Some(grade);
        self
    }

    /// Sets the detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}
