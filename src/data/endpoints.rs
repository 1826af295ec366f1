//! Time-to-event endpoints derived from a cohort's clinical events and assessments.

use super::cohort::Cohort;
use crate::domain::EventKind;
use crate::error::{Error, Result};

/// A time-to-event endpoint.
///
/// Surgery and rescue medication are read from the events file with
/// [`Cohort::time_to_event`]. Loss of response needs a responder rule and an instrument, and is
/// derived from the assessments by `pain_outcomes::analysis::time_to_loss_of_response`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::EventEndpoint;
/// assert_eq!(EventEndpoint::Surgery.event_kind().unwrap().to_string(), "surgery");
/// assert_eq!(EventEndpoint::LossOfResponse.event_kind(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventEndpoint {
    /// Time to the first surgery on the treated site.
    Surgery,
    /// Time to the first rescue medication.
    RescueMedication,
    /// Time to the first visit after a response at which the responder rule fails (derived from
    /// the assessments, not from one event kind).
    LossOfResponse,
}

impl EventEndpoint {
    /// The event kind that ends follow-up with an event (`None` for
    /// [`EventEndpoint::LossOfResponse`], which is derived from the assessments).
    pub fn event_kind(self) -> Option<EventKind> {
        match self {
            EventEndpoint::Surgery => Some(EventKind::Surgery),
            EventEndpoint::RescueMedication => Some(EventKind::RescueMedication),
            EventEndpoint::LossOfResponse => None,
        }
    }

    /// Short label (`surgery`, `rescue_medication`, `loss_of_response`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::EventEndpoint;
    /// assert_eq!(EventEndpoint::LossOfResponse.label(), "loss_of_response");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            EventEndpoint::Surgery => "surgery",
            EventEndpoint::RescueMedication => "rescue_medication",
            EventEndpoint::LossOfResponse => "loss_of_response",
        }
    }
}

impl std::fmt::Display for EventEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a patient's time ends.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::TimeEnd;
/// assert!(TimeEnd::Event.is_event());
/// assert!(TimeEnd::IntercurrentEvent.is_event());
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
    /// Censored at the last assessment (end of follow-up). For loss of response: the last
    /// visit at which the patient was still a responder.
    LastAssessment,
    /// An intercurrent event (surgery or rescue medication) counted as the endpoint event
    /// (composite strategy, ICH E9(R1)); used by loss of response only.
    IntercurrentEvent,
}

impl TimeEnd {
    /// Whether this counts as the endpoint event (not a censoring).
    pub fn is_event(self) -> bool {
        matches!(self, TimeEnd::Event | TimeEnd::IntercurrentEvent)
    }

    /// Short label (`event`, `withdrawal`, `last_contact`, `last_assessment`,
    /// `intercurrent_event`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::data::TimeEnd::Withdrawal.label(), "withdrawal");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            TimeEnd::Event => "event",
            TimeEnd::Withdrawal => "withdrawal",
            TimeEnd::LastContact => "last_contact",
            TimeEnd::LastAssessment => "last_assessment",
            TimeEnd::IntercurrentEvent => "intercurrent_event",
        }
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Patients excluded because their follow-up ends on or before day 0, per arm (indexed
    /// like [`arms`](Self::arms)).
    pub excluded_no_follow_up: Vec<u64>,
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
    /// [`Error::InvalidArgument`] when the cohort has no patients, or for
    /// [`EventEndpoint::LossOfResponse`] (it needs a responder rule: use
    /// `pain_outcomes::analysis::time_to_loss_of_response`).
    pub fn time_to_event(&self, endpoint: EventEndpoint) -> Result<TimeToEventData> {
        if self.n_patients() == 0 {
            return Err(Error::invalid_argument(
                "cohort",
                "the cohort has no patients",
            ));
        }
        let Some(kind) = endpoint.event_kind() else {
            return Err(Error::invalid_argument(
                "endpoint",
                "loss of response needs an instrument and a responder rule: use \
                 `time_to_loss_of_response` or `analyse_endpoint` of the analysis layer",
            ));
        };
        let mut out = TimeToEventData {
            endpoint,
            arms: self.arm_labels.clone(),
            patients: Vec::new(),
            arm: Vec::new(),
            time: Vec::new(),
            end: Vec::new(),
            excluded_no_follow_up: vec![0; self.arm_labels.len()],
        };
        for p in 0..self.n_patients() {
            let events = self.patient_events(p);
            let event_day = self.first_event_day(p, &[kind], 0);
            let withdrawal = self.first_event_day(p, &[EventKind::Withdrawal], i32::MIN);
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
                let arm = self.arm_of.get(p).copied().unwrap_or(0) as usize;
                if let Some(n) = out.excluded_no_follow_up.get_mut(arm) {
                    *n += 1;
                }
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
