//! Time-to-event endpoints derived from a cohort's clinical events and assessments.

use super::cohort::Cohort;
use crate::domain::EventKind;
use crate::error::{Error, Result};

/// A time-to-event endpoint read from the events file.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::EventEndpoint;
/// assert_eq!(EventEndpoint::Surgery.event_kind().to_string(), "surgery");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventEndpoint {
    /// Time to the first surgery on the treated site.
    Surgery,
    /// Time to the first rescue medication.
    RescueMedication,
}

impl EventEndpoint {
    /// The event kind that ends follow-up with an event.
    pub fn event_kind(self) -> EventKind {
        match self {
            EventEndpoint::Surgery => EventKind::Surgery,
            EventEndpoint::RescueMedication => EventKind::RescueMedication,
        }
    }
}

/// Why a patient's time ends.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::TimeEnd;
/// assert!(TimeEnd::Event.is_event());
/// assert!(!TimeEnd::Withdrawal.is_event());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeEnd {
    /// The endpoint event happened.
    Event,
    /// Censored at withdrawal from the study (a competing event for surgery: a withdrawn
    /// patient may later have surgery that the study never sees).
    Withdrawal,
    /// Censored at the recorded last contact.
    LastContact,
    /// Censored at the last assessment (end of follow-up).
    LastAssessment,
}

impl TimeEnd {
    /// Whether this is the endpoint event (not a censoring).
    pub fn is_event(self) -> bool {
        matches!(self, TimeEnd::Event)
    }
}

/// Per-patient times to an endpoint, ready for Kaplan–Meier, log-rank and Cox routines.
///
/// Rules (documented, never silent):
/// - time 0 is the first treatment (day 0); the time is in days;
/// - **event**: the day of the first event of the endpoint's kind on a day ≥ 0;
/// - otherwise **censored** at the earliest of withdrawal, then — if the patient did not
///   withdraw — at the latest of last contact and last assessment (end of follow-up);
/// - a withdrawal before the event censors the patient at the withdrawal day even if an event
///   is recorded later (the event happened outside study follow-up);
/// - patients whose follow-up ends at day 0 or earlier (no follow-up) are excluded and counted
///   in [`TimeToEventData::excluded_no_follow_up`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{EventEndpoint, TimeEnd, read_csv_texts};
/// let a = "patient_id,therapy,day,instrument,score\n\
///          P1,prp,0,nrs,7\nP1,prp,180,nrs,6\nP2,placebo,0,nrs,7\nP2,placebo,365,nrs,7\n";
/// let e = "patient_id,event,day,detail,grade\nP2,surgery,200,TKA,\n";
/// let c = read_csv_texts(a, None, Some(e), &Default::default())?.cohort;
/// let t = c.time_to_event(EventEndpoint::Surgery)?;
/// assert_eq!(t.time, vec![180.0, 200.0]);
/// assert_eq!(t.end, vec![TimeEnd::LastAssessment, TimeEnd::Event]);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct TimeToEventData {
    /// The endpoint.
    pub endpoint: EventEndpoint,
    /// Arm labels.
    pub arms: Vec<String>,
    /// Cohort patient index of each row.
    pub patients: Vec<usize>,
    /// Arm index of each row.
    pub arm: Vec<u32>,
    /// Time in days.
    pub time: Vec<f64>,
    /// How each time ends.
    pub end: Vec<TimeEnd>,
    /// Patients excluded because their follow-up ends on or before day 0.
    pub excluded_no_follow_up: u64,
}

impl TimeToEventData {
    /// Number of events.
    pub fn n_events(&self) -> usize {
        self.end.iter().filter(|e| e.is_event()).count()
    }
}

impl Cohort {
    /// Times to `endpoint` for every patient (see [`TimeToEventData`] for the rules).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the cohort has no patients.
    pub fn time_to_event(&self, endpoint: EventEndpoint) -> Result<TimeToEventData> {
        if self.n_patients() == 0 {
            return Err(Error::invalid_argument(
                "cohort",
                "the cohort has no patients",
            ));
        }
        let kind = endpoint.event_kind();
        let mut out = TimeToEventData {
            endpoint,
            arms: self.arm_labels.clone(),
            patients: Vec::new(),
            arm: Vec::new(),
            time: Vec::new(),
            end: Vec::new(),
            excluded_no_follow_up: 0,
        };
        for p in 0..self.n_patients() {
            let events = self.patient_events(p);
            let event_day = events
                .iter()
                .filter(|e| e.kind == kind && e.day >= 0)
                .map(|e| e.day)
                .min();
            let withdrawal = events
                .iter()
                .filter(|e| e.kind == EventKind::Withdrawal)
                .map(|e| e.day)
                .min();
            let last_contact = events
                .iter()
                .filter(|e| e.kind == EventKind::LastContact)
                .map(|e| e.day)
                .max();
            let last_assessment = self
                .patient_rows(p)
                .filter_map(|r| self.days.get(r).copied())
                .max();
            let (day, end) = match (event_day, withdrawal) {
                (Some(e), Some(w)) if w < e => (w, TimeEnd::Withdrawal),
                (Some(e), _) => (e, TimeEnd::Event),
                (None, Some(w)) => (w, TimeEnd::Withdrawal),
                (None, None) => match (last_contact, last_assessment) {
                    (Some(c), Some(a)) if c >= a => (c, TimeEnd::LastContact),
                    (Some(c), None) => (c, TimeEnd::LastContact),
                    (_, Some(a)) => (a, TimeEnd::LastAssessment),
                    (None, None) => (0, TimeEnd::LastAssessment),
                },
            };
            if day <= 0 && !(end.is_event() && day == 0) {
                out.excluded_no_follow_up += 1;
                continue;
            }
            out.patients.push(p);
            out.arm.push(self.arm_of.get(p).copied().unwrap_or(0));
            out.time.push(f64::from(day));
            out.end.push(end);
        }
        Ok(out)
    }
}
