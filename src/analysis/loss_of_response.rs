//! Time to loss of response: how long a patient who responded kept responding.

use super::arms::{Attrition, ExclusionReason};
use super::responders::RuleChoice;
use super::time_to_event::{TimeToEventAnalysis, TimeToEventOptions, analyse_time_to_event};
use crate::data::{Cohort, EventEndpoint, TimeEnd, TimeToEventData, WideTable};
use crate::domain::EventKind;
use crate::error::{Error, Result};
use crate::stats::responders::{Evaluation, ResponderRule};
/// Options of [`time_to_loss_of_response`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::EventKind;
/// use pain_outcomes::analysis::LossOfResponseOptions;
/// let o = LossOfResponseOptions::default().with_intercurrent_events(vec![EventKind::Surgery]);
/// assert_eq!(o.intercurrent_events, vec![EventKind::Surgery]);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct LossOfResponseOptions {
    /// Event kinds that end a response (composite strategy; default surgery and rescue
    /// medication, as in the responder analysis).
    pub intercurrent_events: Vec<EventKind>,
}

impl Default for LossOfResponseOptions {
    fn default() -> Self {
        Self {
            intercurrent_events: vec![EventKind::Surgery, EventKind::RescueMedication],
        }
    }
}

impl LossOfResponseOptions {
    /// Sets the event kinds counted as loss of response.
    pub fn with_intercurrent_events(mut self, events: Vec<EventKind>) -> Self {
        self.intercurrent_events = events;
        self
    }
}

/// Time to loss of response, with the patients who never responded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossOfResponseData {
    /// Instrument code.
    pub instrument: String,
    /// The oriented responder rule.
    pub rule: ResponderRule,
    /// Event kinds counted as loss of response.
    pub intercurrent_events: Vec<EventKind>,
    /// One row per patient who responded (endpoint [`EventEndpoint::LossOfResponse`]).
    pub data: TimeToEventData,
    /// Patients analysed and left out (without a baseline score or any row on the instrument;
    /// never responded), per arm in the cohort's arm order.
    pub attrition: Attrition,
}

/// Time to loss of response under `rule`, for each patient of `table` who responded.
///
/// Rules (documented, never silent):
/// - the time origin is the first treatment (day 0), as for the other endpoints; times are the
///   assessment days, in days;
/// - each post-baseline visit of `table` with a score is evaluated against the baseline with
///   `rule`; visits without a score, or where the rule is not evaluable, are skipped (neither
///   a response nor a loss);
/// - follow-up of a patient covers the visits on or before the first withdrawal, and before the
///   first intercurrent event (`options.intercurrent_events` on a day ≥ 0);
/// - a patient enters at the first visit meeting the rule; patients without a baseline, and
///   patients whose follow-up never meets the rule, are excluded and counted per arm in
///   [`LossOfResponseData::attrition`]. The analysis is therefore conditional on response (a
///   post-treatment event): between-arm comparisons are not randomised comparisons;
/// - **event** ([`TimeEnd::Event`]): the first later visit at which the rule fails;
/// - **intercurrent event** ([`TimeEnd::IntercurrentEvent`], counted as an event): an
///   intercurrent event (surgery, rescue medication) after the response, before any loss and
///   not after a withdrawal — at the event day (composite strategy, ICH E9(R1));
/// - otherwise **censored** at the last visit at which the patient still met the rule, as
///   [`TimeEnd::Withdrawal`] when the patient withdrew (a competing event: the study does not
///   see what followed), else [`TimeEnd::LastAssessment`].
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `table` does not come from `cohort`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{TimeEnd, read_csv_texts};
/// use pain_outcomes::stats::responders::ResponderRule;
/// use pain_outcomes::analysis::{time_to_loss_of_response, ExclusionReason, LossOfResponseOptions};
/// let a = "patient_id,therapy,day,instrument,score\n\
///          P1,prp,0,nrs,8\nP1,prp,90,nrs,4\nP1,prp,180,nrs,7\n\
///          P2,prp,0,nrs,8\nP2,prp,90,nrs,3\nP2,prp,180,nrs,3\n\
///          P3,placebo,0,nrs,8\nP3,placebo,90,nrs,8\nP3,placebo,180,nrs,7\n";
/// let e = "patient_id,event,day,detail,grade\nP2,surgery,200,discectomy,\n";
/// let cohort = read_csv_texts(a, None, Some(e), &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let rule = ResponderRule::immpact_30_percent();
/// let lor = time_to_loss_of_response(&cohort, &wide, &rule, &LossOfResponseOptions::default())?;
/// assert_eq!(lor.data.time, vec![180.0, 200.0]);
/// assert_eq!(lor.data.end, vec![TimeEnd::Event, TimeEnd::IntercurrentEvent]);
/// let placebo = lor.attrition.arm("placebo").unwrap();
/// assert_eq!(placebo.excluded_for(ExclusionReason::NeverResponded), 1);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// ICH E9(R1) (2019). Addendum on estimands and sensitivity analysis in clinical trials.
/// Dworkin RH, et al. (2008). Interpreting the clinical importance of treatment outcomes in
/// chronic pain clinical trials: IMMPACT recommendations. J Pain 9:105–121.
pub fn time_to_loss_of_response(
    cohort: &Cohort,
    table: &WideTable,
    rule: &ResponderRule,
    options: &LossOfResponseOptions,
) -> Result<LossOfResponseData> {
    if table.patients.iter().any(|&p| p >= cohort.n_patients()) {
        return Err(Error::invalid_argument(
            "table",
            "does not come from this cohort",
        ));
    }
    let arms = cohort.arms().to_vec();
    let mut attrition = Attrition::new(&arms);
    let mut in_table = vec![false; cohort.n_patients()];
    for &p in &table.patients {
        if let Some(x) = in_table.get_mut(p) {
            *x = true;
        }
    }
    for (p, seen) in in_table.iter().enumerate() {
        if let (false, Some(&a)) = (seen, cohort.arm_of().get(p)) {
            attrition.exclude(a as usize, ExclusionReason::NoBaseline);
        }
    }
    let mut data = TimeToEventData {
        endpoint: EventEndpoint::LossOfResponse,
        arms: arms.clone(),
        patients: Vec::new(),
        arm: Vec::new(),
        time: Vec::new(),
        end: Vec::new(),
        excluded_no_follow_up: vec![0; arms.len()],
    };
    let nv = table.n_visits();
    for (row, &p) in table.patients.iter().enumerate() {
        let arm = table.arm.get(row).copied().unwrap_or(0);
        let intercurrent = cohort.first_event_day(p, &options.intercurrent_events, 0);
        let withdrawal = cohort.first_event_day(p, &[EventKind::Withdrawal], i32::MIN);
        let baseline = table.baseline.get(row).copied().flatten();
        if baseline.is_none() {
            attrition.exclude(arm as usize, ExclusionReason::NoBaseline);
            continue;
        }
        // evaluable visits inside follow-up, by day
        let mut visits: Vec<(i32, bool)> = (0..nv)
            .filter_map(|v| {
                let day = table.days.get(row * nv + v).copied().flatten()?;
                let met = match rule.evaluate(baseline, table.score(row, v)) {
                    Evaluation::Responder => true,
                    Evaluation::NonResponder => false,
                    _ => return None,
                };
                Some((day, met))
            })
            .filter(|&(day, _)| withdrawal.is_none_or(|w| day <= w))
            .filter(|&(day, _)| intercurrent.is_none_or(|e| day < e))
            .collect();
        visits.sort_by_key(|&(day, _)| day);
        let Some(first) = visits.iter().position(|&(_, met)| met) else {
            attrition.exclude(arm as usize, ExclusionReason::NeverResponded);
            continue;
        };
        attrition.analysed(arm as usize);
        let mut last_response = visits.get(first).map_or(0, |&(d, _)| d);
        let mut loss = None;
        for &(day, met) in visits.iter().skip(first + 1) {
            if met {
                last_response = day;
            } else {
                loss = Some(day);
                break;
            }
        }
        let (day, end) = match (loss, intercurrent, withdrawal) {
            (Some(l), _, _) => (l, TimeEnd::Event),
            (None, Some(e), w) if w.is_none_or(|w| e <= w) => (e, TimeEnd::IntercurrentEvent),
            (None, _, Some(_)) => (last_response, TimeEnd::Withdrawal),
            (None, _, None) => (last_response, TimeEnd::LastAssessment),
        };
        data.patients.push(p);
        data.arm.push(arm);
        data.time.push(f64::from(day));
        data.end.push(end);
    }
    Ok(LossOfResponseData {
        instrument: table.instrument.code.clone(),
        rule: *rule,
        intercurrent_events: options.intercurrent_events.clone(),
        data,
        attrition,
    })
}

/// A time-to-event analysis of any endpoint: surgery, rescue medication, or loss of response
/// (which first derives who responded and when).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndpointAnalysis {
    /// The endpoint.
    pub endpoint: EventEndpoint,
    /// Loss of response only: the rule and instrument (`immpact_30 on nrs`).
    pub responder_rule: Option<String>,
    /// Loss of response only: who entered (responded) and who could not, per arm.
    pub entry: Option<Attrition>,
    /// Kaplan–Meier, RMST, log-rank and Cox across arms.
    pub analysis: TimeToEventAnalysis,
}

/// Time to `endpoint` across the arms of `cohort`; for
/// [`EventEndpoint::LossOfResponse`], on `instrument` under `rule` (ignored otherwise), with
/// surgery and rescue medication after a response counting as loss.
///
/// # Errors
///
/// As [`Cohort::time_to_event`], [`time_to_loss_of_response`] and
/// [`analyse_time_to_event`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{RuleChoice, TimeToEventOptions, analyse_endpoint};
/// use pain_outcomes::data::{CsvFiles, EventEndpoint, read_csv_files};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}disc_degeneration.csv"))
///     .with_events(format!("{dir}disc_degeneration_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let r = analyse_endpoint(&cohort, EventEndpoint::LossOfResponse, "nrs", RuleChoice::Immpact30,
///     &TimeToEventOptions::default())?;
/// assert!(r.entry.is_some());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn analyse_endpoint(
    cohort: &Cohort,
    endpoint: EventEndpoint,
    instrument: &str,
    rule: RuleChoice,
    options: &TimeToEventOptions,
) -> Result<EndpointAnalysis> {
    let (data, responder_rule, entry) = match endpoint {
        EventEndpoint::LossOfResponse => {
            let wide = cohort.wide(instrument)?;
            let oriented = rule.rule(&wide.instrument, cohort.common_condition())?;
            let lor = time_to_loss_of_response(
                cohort,
                &wide,
                &oriented,
                &LossOfResponseOptions::default(),
            )?;
            (
                lor.data,
                Some(format!("{} on {}", rule.label(), lor.instrument)),
                Some(lor.attrition),
            )
        }
        endpoint => (cohort.time_to_event(endpoint)?, None, None),
    };
    Ok(EndpointAnalysis {
        endpoint,
        responder_rule,
        entry,
        analysis: analyse_time_to_event(cohort, &data, options)?,
    })
}
