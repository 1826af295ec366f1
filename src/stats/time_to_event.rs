//! Time-to-event analysis of a cohort: the thin layer between [`TimeToEventData`] and the
//! [`survival`](super::survival) kernels.
//!
//! - [`time_to_loss_of_response`] derives time to loss of response from a patient × visit table
//!   and a responder rule (surgery and rescue medication come from
//!   [`Cohort::time_to_event`]).
//! - [`analyse_time_to_event`] runs, per arm, Kaplan–Meier (median with CI, survival at chosen
//!   days, numbers at risk) and the restricted mean survival time; across arms the log-rank test
//!   (optionally stratified by site or condition), each arm's RMST difference versus the
//!   reference arm, a Cox model with the arm treatment-coded against the reference (optional
//!   age and severity, strata, robust variance clustered by site) and its Schoenfeld-residual
//!   test of proportional hazards.
//!
//! Nothing is computed twice: the numbers are the kernels' numbers.

use std::fmt;

use nalgebra::DMatrix;

use super::responders::{Evaluation, ResponderRule};
use super::survival::{
    ConfidenceType, CoxData, CoxFit, CoxOptions, CoxZph, KaplanMeier, KaplanMeierOptions, LogRank,
    Rmst, RmstDifference, Status, SurvivalAt, Ties, ZphOptions, cox_ph, cox_zph, kaplan_meier,
    log_rank, log_rank_stratified, rmst_difference,
};
use super::{Outcome, RefusalReason, refuse};
use crate::data::{Cohort, EventEndpoint, TimeEnd, TimeToEventData, WideTable};
use crate::domain::EventKind;
use crate::error::{Error, Result};

/// Options of [`time_to_loss_of_response`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::EventKind;
/// use pain_outcomes::stats::time_to_event::LossOfResponseOptions;
/// let o = LossOfResponseOptions::default().with_intercurrent_events(vec![EventKind::Surgery]);
/// assert_eq!(o.intercurrent_events, vec![EventKind::Surgery]);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// Patients of one arm who cannot enter a loss-of-response analysis.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LossOfResponseExclusions {
    /// Arm label.
    pub arm: String,
    /// Patients without a baseline score or without any row on the instrument.
    pub no_baseline: u64,
    /// Patients with a baseline whose follow-up never met the rule (including patients
    /// without any evaluable follow-up).
    pub never_responded: u64,
}

/// Time to loss of response, with the patients who never responded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LossOfResponseData {
    /// Instrument code.
    pub instrument: String,
    /// The oriented responder rule.
    pub rule: ResponderRule,
    /// Event kinds counted as loss of response.
    pub intercurrent_events: Vec<EventKind>,
    /// One row per patient who responded (endpoint [`EventEndpoint::LossOfResponse`]).
    pub data: TimeToEventData,
    /// Patients excluded, per arm (in the cohort's arm order).
    pub excluded: Vec<LossOfResponseExclusions>,
}

impl fmt::Display for LossOfResponseData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "loss of response on {}: {} responders analysed",
            self.instrument,
            self.data.time.len()
        )?;
        writeln!(
            f,
            "{:<28} {:>12} {:>16}",
            "excluded", "no baseline", "never responded"
        )?;
        for e in &self.excluded {
            writeln!(
                f,
                "{:<28} {:>12} {:>16}",
                e.arm, e.no_baseline, e.never_responded
            )?;
        }
        Ok(())
    }
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
///   [`LossOfResponseData::excluded`]. The analysis is therefore conditional on response (a
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
/// use pain_outcomes::stats::time_to_event::{time_to_loss_of_response, LossOfResponseOptions};
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
/// let placebo = lor.excluded.iter().find(|e| e.arm == "placebo").unwrap();
/// assert_eq!(placebo.never_responded, 1);
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
    let mut excluded: Vec<LossOfResponseExclusions> = arms
        .iter()
        .map(|a| LossOfResponseExclusions {
            arm: a.clone(),
            no_baseline: 0,
            never_responded: 0,
        })
        .collect();
    let mut in_table = vec![false; cohort.n_patients()];
    for &p in &table.patients {
        if let Some(x) = in_table.get_mut(p) {
            *x = true;
        }
    }
    for (p, seen) in in_table.iter().enumerate() {
        if !seen
            && let Some(e) = cohort
                .arm_of()
                .get(p)
                .and_then(|&a| excluded.get_mut(a as usize))
        {
            e.no_baseline += 1;
        }
    }
    let mut data = TimeToEventData {
        endpoint: EventEndpoint::LossOfResponse,
        arms: arms.clone(),
        patients: Vec::new(),
        arm: Vec::new(),
        time: Vec::new(),
        end: Vec::new(),
        excluded_no_follow_up: 0,
    };
    let nv = table.n_visits();
    for (row, &p) in table.patients.iter().enumerate() {
        let arm = table.arm.get(row).copied().unwrap_or(0);
        let events = cohort.patient_events(p);
        let intercurrent = events
            .iter()
            .filter(|e| options.intercurrent_events.contains(&e.kind) && e.day >= 0)
            .map(|e| e.day)
            .min();
        let withdrawal = events
            .iter()
            .filter(|e| e.kind == EventKind::Withdrawal)
            .map(|e| e.day)
            .min();
        let baseline = table.baseline.get(row).copied().flatten();
        if baseline.is_none() {
            if let Some(e) = excluded.get_mut(arm as usize) {
                e.no_baseline += 1;
            }
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
            if let Some(e) = excluded.get_mut(arm as usize) {
                e.never_responded += 1;
            }
            continue;
        };
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
        excluded,
    })
}

/// A patient-level variable that stratifies the log-rank test and the Cox model.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::time_to_event::Stratification;
/// assert_eq!(Stratification::default(), Stratification::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stratification {
    /// No stratification.
    #[default]
    None,
    /// By the patient's site.
    Site,
    /// By the patient's condition.
    Condition,
}

/// Clustering of the robust (sandwich) variance of the Cox model.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::time_to_event::Clustering;
/// assert_eq!(Clustering::default(), Clustering::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Clustering {
    /// Model-based variance.
    #[default]
    None,
    /// Robust variance clustered by site (R `cluster(site)`).
    Site,
}

/// A patient-level covariate of the Cox model.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::time_to_event::CoxCovariate;
/// assert_eq!(CoxCovariate::Severity.name(), "severity");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CoxCovariate {
    /// Age in years (linear).
    Age,
    /// Severity grade (Kellgren–Lawrence, Pfirrmann, …; linear).
    Severity,
}

impl CoxCovariate {
    /// The coefficient name.
    pub fn name(self) -> &'static str {
        match self {
            CoxCovariate::Age => "age",
            CoxCovariate::Severity => "severity",
        }
    }

    fn value(self, patient: &crate::domain::Patient) -> Option<f64> {
        match self {
            CoxCovariate::Age => patient.age,
            CoxCovariate::Severity => patient.severity.map(f64::from),
        }
    }
}

/// Options of [`analyse_time_to_event`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::time_to_event::{Clustering, CoxCovariate, Stratification, TimeToEventOptions};
/// let o = TimeToEventOptions::default()
///     .with_reference_arm("usual_care")
///     .with_tau(365.0)
///     .with_covariates(vec![CoxCovariate::Age, CoxCovariate::Severity])
///     .with_stratification(Stratification::Site)
///     .with_clustering(Clustering::Site);
/// assert_eq!(o.survival_times, vec![180.0, 365.0, 730.0]);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct TimeToEventOptions {
    /// Reference arm (default: `usual_care`, else `placebo`, else the first arm).
    pub reference_arm: Option<String>,
    /// Days at which survival and numbers at risk are reported (default 180, 365, 730).
    pub survival_times: Vec<f64>,
    /// Horizon of the restricted mean survival time (default: the earliest of the arms' last
    /// observed times, so that every arm's curve is observed up to τ).
    pub tau: Option<f64>,
    /// Confidence level (default 0.95).
    pub confidence_level: f64,
    /// Scale of the Kaplan–Meier limits (default log–log).
    pub confidence_type: ConfidenceType,
    /// Stratification of the log-rank test and of the Cox model (default none).
    pub stratification: Stratification,
    /// Cox covariates besides the arm (default none).
    pub covariates: Vec<CoxCovariate>,
    /// Robust variance clustered by site (default none).
    pub clustering: Clustering,
    /// Cox tie handling (default Efron).
    pub ties: Ties,
}

impl Default for TimeToEventOptions {
    fn default() -> Self {
        Self {
            reference_arm: None,
            survival_times: vec![180.0, 365.0, 730.0],
            tau: None,
            confidence_level: 0.95,
            confidence_type: ConfidenceType::LogLog,
            stratification: Stratification::None,
            covariates: Vec::new(),
            clustering: Clustering::None,
            ties: Ties::Efron,
        }
    }
}

impl TimeToEventOptions {
    /// Sets the reference arm.
    pub fn with_reference_arm(mut self, arm: impl Into<String>) -> Self {
        self.reference_arm = Some(arm.into());
        self
    }
    /// Sets the days at which survival is reported.
    pub fn with_survival_times(mut self, days: Vec<f64>) -> Self {
        self.survival_times = days;
        self
    }
    /// Sets the RMST horizon τ (days).
    pub fn with_tau(mut self, tau: f64) -> Self {
        self.tau = Some(tau);
        self
    }
    /// Sets the confidence level.
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }
    /// Sets the scale of the Kaplan–Meier limits.
    pub fn with_confidence_type(mut self, kind: ConfidenceType) -> Self {
        self.confidence_type = kind;
        self
    }
    /// Sets the stratification.
    pub fn with_stratification(mut self, stratification: Stratification) -> Self {
        self.stratification = stratification;
        self
    }
    /// Sets the Cox covariates besides the arm.
    pub fn with_covariates(mut self, covariates: Vec<CoxCovariate>) -> Self {
        self.covariates = covariates;
        self
    }
    /// Sets the clustering of the robust variance.
    pub fn with_clustering(mut self, clustering: Clustering) -> Self {
        self.clustering = clustering;
        self
    }
    /// Sets the Cox tie handling.
    pub fn with_ties(mut self, ties: Ties) -> Self {
        self.ties = ties;
        self
    }
}

/// How follow-up ended, counted over one arm.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FollowUpEnds {
    /// The endpoint event.
    pub events: u64,
    /// Intercurrent events counted as the endpoint event (loss of response only).
    pub intercurrent_events: u64,
    /// Censored at withdrawal (competing event).
    pub withdrawals: u64,
    /// Censored at the recorded last contact.
    pub last_contact: u64,
    /// Censored at the last assessment.
    pub last_assessment: u64,
}

impl FollowUpEnds {
    fn add(&mut self, end: TimeEnd) {
        match end {
            TimeEnd::Event => self.events += 1,
            TimeEnd::IntercurrentEvent => self.intercurrent_events += 1,
            TimeEnd::Withdrawal => self.withdrawals += 1,
            TimeEnd::LastContact => self.last_contact += 1,
            TimeEnd::LastAssessment => self.last_assessment += 1,
        }
    }

    /// Events of any kind (endpoint and intercurrent).
    pub fn total_events(&self) -> u64 {
        self.events + self.intercurrent_events
    }

    /// Censored patients (any reason).
    pub fn censored(&self) -> u64 {
        self.withdrawals + self.last_contact + self.last_assessment
    }
}

/// One arm's survival summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArmSurvival {
    /// Arm label.
    pub arm: String,
    /// Patients analysed.
    pub n: usize,
    /// How follow-up ended.
    pub follow_up: FollowUpEnds,
    /// Kaplan–Meier curve with median and CI.
    pub kaplan_meier: Outcome<KaplanMeier>,
    /// Survival, limits and numbers at risk at [`TimeToEventOptions::survival_times`] (empty
    /// when the curve was refused).
    pub survival_at: Vec<SurvivalAt>,
    /// Restricted mean survival time up to τ (`None` when the curve was refused or no τ).
    pub rmst: Option<Outcome<Rmst>>,
}

/// The Cox model of the arm (treatment-coded against the reference) and covariates.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CoxAnalysis {
    /// Coefficient names, in order (`arm<label>` for each non-reference arm, then covariates).
    pub terms: Vec<String>,
    /// Covariates besides the arm.
    pub covariates: Vec<CoxCovariate>,
    /// Stratification of the baseline hazard.
    pub stratification: Stratification,
    /// Clustering of the robust variance.
    pub clustering: Clustering,
    /// Patients analysed.
    pub n_analysed: usize,
    /// Patients left out for a missing covariate, stratum or cluster (complete cases, as R's
    /// `na.omit`).
    pub n_excluded: usize,
    /// The fit.
    pub fit: Outcome<CoxFit>,
    /// Schoenfeld-residual test of proportional hazards (`cox.zph`, Kaplan–Meier transform;
    /// `None` when the fit was refused).
    pub proportional_hazards: Option<Outcome<CoxZph>>,
}

/// Complete time-to-event analysis of one endpoint across arms.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimeToEventAnalysis {
    /// The endpoint.
    pub endpoint: EventEndpoint,
    /// Reference arm of the contrasts.
    pub reference_arm: String,
    /// Patients excluded because their follow-up ends on or before day 0.
    pub excluded_no_follow_up: u64,
    /// One summary per arm (the cohort's arm order).
    pub arms: Vec<ArmSurvival>,
    /// RMST horizon τ (`None` when no arm has a curve).
    pub tau: Option<f64>,
    /// RMST difference of each other arm versus the reference.
    pub rmst_differences: Vec<Outcome<RmstDifference>>,
    /// Log-rank test across arms.
    pub log_rank: Outcome<LogRank>,
    /// Stratified log-rank test (`None` without stratification).
    pub log_rank_stratified: Option<Outcome<LogRank>>,
    /// Patients left out of the stratified log-rank test for a missing stratum.
    pub n_excluded_stratum: usize,
    /// Cox model and its proportional-hazards test.
    pub cox: CoxAnalysis,
}

/// The default reference arm: `usual_care`, else `placebo`, else the first arm.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::time_to_event::default_reference_arm;
/// let arms = ["prp".to_string(), "placebo".to_string()];
/// assert_eq!(default_reference_arm(&arms).as_deref(), Some("placebo"));
/// ```
pub fn default_reference_arm(arms: &[String]) -> Option<String> {
    ["usual_care", "placebo"]
        .iter()
        .find(|r| arms.iter().any(|a| a == *r))
        .map(|r| r.to_string())
        .or_else(|| arms.first().cloned())
}

fn stratum_of(cohort: &Cohort, p: usize, s: Stratification) -> Option<String> {
    let patient = cohort.patients().get(p)?;
    match s {
        Stratification::None => Some(String::new()),
        Stratification::Site => patient.site.clone(),
        Stratification::Condition => patient.condition.map(|c| c.to_string()),
    }
}

/// Kaplan–Meier, RMST, log-rank and Cox analysis of `data` (from `cohort`) across arms.
///
/// # Formula
///
/// Per arm: Kaplan–Meier `S(t) = Π (1 − d_j/n_j)` with Greenwood variance and
/// [`ConfidenceType`] limits, median with the Brookmeyer–Crowley interval, and
/// `RMST(τ) = ∫_0^τ S(t) dt`; each arm versus the reference: `ΔRMST` with
/// `se = sqrt(se_1² + se_0²)`. Across arms: log-rank `(O − E)' V⁻ (O − E) ~ χ²(k − 1)`
/// (optionally summed over strata). Cox: `h(t | x) = h_0(t) exp(β' x)` with `x` the arm
/// indicators (reference coded 0) and optional covariates, Efron or Breslow ties, strata,
/// Lin–Wei robust variance clustered by site; then the Grambsch–Therneau test of
/// proportional hazards (`cox.zph`, Kaplan–Meier time transform).
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `data` does not come from `cohort`, the reference arm does
/// not exist, τ or a survival time is negative or not finite, or the confidence level is
/// outside (0, 1).
///
/// # Refusals
///
/// Inside the result, per statistic: an arm without patients (`TooFewObservations`), τ beyond
/// an arm's follow-up (`NotEstimable`), no events (`NoEvents`), an arm without events in the
/// Cox model (`MonotoneLikelihood`), a singular design.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{EventEndpoint, read_csv_texts};
/// use pain_outcomes::stats::time_to_event::{analyse_time_to_event, TimeToEventOptions};
/// let mut a = String::from("patient_id,therapy,day,instrument,score\n");
/// let mut e = String::from("patient_id,event,day,detail,grade\n");
/// for i in 0..12 {
///     let arm = if i % 2 == 0 { "prp" } else { "usual_care" };
///     a += &format!("P{i},{arm},0,nrs,7\nP{i},{arm},{},nrs,5\n", 100 + 40 * i);
///     if i % 3 != 0 {
///         e += &format!("P{i},surgery,{},fusion,\n", 120 + 40 * i);
///     }
/// }
/// let cohort = read_csv_texts(&a, None, Some(&e), &Default::default())?.cohort;
/// let data = cohort.time_to_event(EventEndpoint::Surgery)?;
/// let result = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default().with_tau(300.0))?;
/// assert_eq!(result.reference_arm, "usual_care");
/// assert_eq!(result.arms.len(), 2);
/// let fit = result.cox.fit.computed().unwrap();
/// assert_eq!(fit.coefficients[0].name, "armprp");
/// println!("{result}");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Kaplan EL, Meier P (1958). JASA 53:457–481. Brookmeyer R, Crowley J (1982). Biometrics
/// 38:29–41. Royston P, Parmar MKB (2013). BMC Med Res Methodol 13:152. Cox DR (1972). JRSS B
/// 34:187–220. Lin DY, Wei LJ (1989). JASA 84:1074–1078. Grambsch PM, Therneau TM (1994).
/// Biometrika 81:515–526. Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer.
pub fn analyse_time_to_event(
    cohort: &Cohort,
    data: &TimeToEventData,
    options: &TimeToEventOptions,
) -> Result<TimeToEventAnalysis> {
    let n = data.time.len();
    if data.patients.len() != n || data.arm.len() != n || data.end.len() != n {
        return Err(Error::invalid_argument(
            "data",
            "patients, arm, time and end have different lengths",
        ));
    }
    if data.patients.iter().any(|&p| p >= cohort.n_patients()) {
        return Err(Error::invalid_argument(
            "data",
            "does not come from this cohort",
        ));
    }
    if !(options.confidence_level > 0.0 && options.confidence_level < 1.0) {
        return Err(Error::invalid_argument(
            "confidence_level",
            format!("{}; expected a level in (0, 1)", options.confidence_level),
        ));
    }
    if let Some(t) = options.tau
        && !(t.is_finite() && t >= 0.0)
    {
        return Err(Error::invalid_argument(
            "tau",
            format!("{t}; expected a finite time >= 0"),
        ));
    }
    let arms = &data.arms;
    let reference_arm = match &options.reference_arm {
        Some(r) => r.clone(),
        None => default_reference_arm(arms).unwrap_or_default(),
    };
    let Some(reference) = arms.iter().position(|a| *a == reference_arm) else {
        return Err(Error::invalid_argument(
            "reference_arm",
            format!("no arm `{reference_arm}` (arms: {})", arms.join(", ")),
        ));
    };
    let status: Vec<Status> = data
        .end
        .iter()
        .map(|e| {
            if e.is_event() {
                Status::Event
            } else {
                Status::Censored
            }
        })
        .collect();
    let km_options = KaplanMeierOptions::default()
        .with_confidence_level(options.confidence_level)
        .with_confidence_type(options.confidence_type);

    // per arm
    let mut per_arm = Vec::with_capacity(arms.len());
    for (a, label) in arms.iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&i| data.arm[i] as usize == a).collect();
        let mut follow_up = FollowUpEnds::default();
        for &i in &rows {
            follow_up.add(data.end[i]);
        }
        let t: Vec<f64> = rows.iter().map(|&i| data.time[i]).collect();
        let s: Vec<Status> = rows.iter().map(|&i| status[i]).collect();
        let km = kaplan_meier(&t, &s, &km_options)?;
        let survival_at = match &km {
            Outcome::Computed(k) => k.survival_at(&options.survival_times)?,
            Outcome::Refused(_) => Vec::new(),
        };
        per_arm.push((label.clone(), rows.len(), follow_up, km, survival_at));
    }
    let tau = options.tau.or_else(|| {
        per_arm
            .iter()
            .filter_map(|(_, _, _, km, _)| km.computed().and_then(|k| k.time.last().copied()))
            .reduce(f64::min)
    });
    let mut arm_results = Vec::with_capacity(per_arm.len());
    for (arm, n_arm, follow_up, km, survival_at) in per_arm {
        let rmst = match (&km, tau) {
            (Outcome::Computed(k), Some(t)) => Some(k.rmst(t)?),
            _ => None,
        };
        arm_results.push(ArmSurvival {
            arm,
            n: n_arm,
            follow_up,
            kaplan_meier: km,
            survival_at,
            rmst,
        });
    }

    // RMST differences versus the reference
    let mut rmst_differences = Vec::new();
    if let Some(t) = tau {
        for (a, label) in arms.iter().enumerate() {
            if a == reference {
                continue;
            }
            let rows: Vec<usize> = (0..n)
                .filter(|&i| data.arm[i] as usize == a || data.arm[i] as usize == reference)
                .collect();
            let has = |k: usize| rows.iter().any(|&i| data.arm[i] as usize == k);
            if !has(a) || !has(reference) {
                rmst_differences.push(refuse(
                    RefusalReason::EmptyGroup,
                    format!("`{label}` or `{reference_arm}` has no patients"),
                ));
                continue;
            }
            let time: Vec<f64> = rows.iter().map(|&i| data.time[i]).collect();
            let st: Vec<Status> = rows.iter().map(|&i| status[i]).collect();
            let group: Vec<&str> = rows
                .iter()
                .map(|&i| arms[data.arm[i] as usize].as_str())
                .collect();
            rmst_differences.push(rmst_difference(
                &time,
                &st,
                &group,
                &reference_arm.as_str(),
                t,
                options.confidence_level,
            )?);
        }
    }

    // log-rank
    let group: Vec<&str> = data
        .arm
        .iter()
        .map(|&a| arms.get(a as usize).map_or("", String::as_str))
        .collect();
    let log_rank_all = log_rank(&data.time, &status, &group)?;
    let strata: Vec<Option<String>> = data
        .patients
        .iter()
        .map(|&p| stratum_of(cohort, p, options.stratification))
        .collect();
    let (log_rank_strat, n_excluded_stratum) = match options.stratification {
        Stratification::None => (None, 0),
        _ => {
            let keep: Vec<usize> = (0..n).filter(|&i| strata[i].is_some()).collect();
            let t: Vec<f64> = keep.iter().map(|&i| data.time[i]).collect();
            let s: Vec<Status> = keep.iter().map(|&i| status[i]).collect();
            let g: Vec<&str> = keep.iter().map(|&i| group[i]).collect();
            let st: Vec<&str> = keep
                .iter()
                .map(|&i| strata[i].as_deref().unwrap_or(""))
                .collect();
            (Some(log_rank_stratified(&t, &s, &g, &st)?), n - keep.len())
        }
    };

    let cox = cox_analysis(cohort, data, &status, &strata, reference, options)?;
    Ok(TimeToEventAnalysis {
        endpoint: data.endpoint,
        reference_arm,
        excluded_no_follow_up: data.excluded_no_follow_up,
        arms: arm_results,
        tau,
        rmst_differences,
        log_rank: log_rank_all,
        log_rank_stratified: log_rank_strat,
        n_excluded_stratum,
        cox,
    })
}

fn cox_analysis(
    cohort: &Cohort,
    data: &TimeToEventData,
    status: &[Status],
    strata: &[Option<String>],
    reference: usize,
    options: &TimeToEventOptions,
) -> Result<CoxAnalysis> {
    let n = data.time.len();
    let arms = &data.arms;
    let patients = cohort.patients();
    let site = |p: usize| patients.get(p).and_then(|x| x.site.clone());
    // complete cases
    let keep: Vec<usize> = (0..n)
        .filter(|&i| {
            let p = data.patients[i];
            let pat = patients.get(p);
            options
                .covariates
                .iter()
                .all(|c| pat.and_then(|x| c.value(x)).is_some_and(f64::is_finite))
                && strata.get(i).is_some_and(Option::is_some)
                && (options.clustering == Clustering::None || site(p).is_some())
        })
        .collect();
    // arm columns: every non-reference arm with at least one analysed patient
    let arm_columns: Vec<usize> = (0..arms.len())
        .filter(|&a| a != reference && keep.iter().any(|&i| data.arm[i] as usize == a))
        .collect();
    let mut terms: Vec<String> = arm_columns
        .iter()
        .map(|&a| format!("arm{}", arms[a]))
        .collect();
    terms.extend(options.covariates.iter().map(|c| c.name().to_string()));
    let base = CoxAnalysis {
        terms: terms.clone(),
        covariates: options.covariates.clone(),
        stratification: options.stratification,
        clustering: options.clustering,
        n_analysed: keep.len(),
        n_excluded: n - keep.len(),
        fit: refuse(RefusalReason::TooFewObservations, "no patients analysed"),
        proportional_hazards: None,
    };
    if keep.is_empty() || terms.is_empty() {
        let detail = if keep.is_empty() {
            "no patient has complete covariates"
        } else {
            "only the reference arm has patients: no contrast to estimate"
        };
        return Ok(CoxAnalysis {
            fit: refuse(RefusalReason::TooFewObservations, detail),
            ..base
        });
    }
    let m = keep.len();
    let p = terms.len();
    let mut x = DMatrix::<f64>::zeros(m, p);
    for (r, &i) in keep.iter().enumerate() {
        let a = data.arm[i] as usize;
        if let Some(j) = arm_columns.iter().position(|&c| c == a) {
            x[(r, j)] = 1.0;
        }
        if let Some(pat) = patients.get(data.patients[i]) {
            for (k, c) in options.covariates.iter().enumerate() {
                x[(r, arm_columns.len() + k)] = c.value(pat).unwrap_or(0.0);
            }
        }
    }
    let time: Vec<f64> = keep.iter().map(|&i| data.time[i]).collect();
    let st: Vec<Status> = keep.iter().map(|&i| status[i]).collect();
    let mut cox_data = CoxData::new(&time, &st, &x)?.with_names(&terms)?;
    if options.stratification != Stratification::None {
        let s: Vec<String> = keep
            .iter()
            .map(|&i| strata[i].clone().unwrap_or_default())
            .collect();
        cox_data = cox_data.with_strata(&s)?;
    }
    if options.clustering == Clustering::Site {
        let c: Vec<String> = keep
            .iter()
            .map(|&i| site(data.patients[i]).unwrap_or_default())
            .collect();
        cox_data = cox_data.with_cluster(&c)?;
    }
    let cox_options = CoxOptions::default()
        .with_ties(options.ties)
        .with_confidence_level(options.confidence_level);
    let fit = cox_ph(&cox_data, &cox_options)?;
    let proportional_hazards = match &fit {
        Outcome::Computed(f) => Some(cox_zph(&cox_data, f, &ZphOptions::default())?),
        Outcome::Refused(_) => None,
    };
    Ok(CoxAnalysis {
        fit,
        proportional_hazards,
        ..base
    })
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "not reached".to_string(), |v| format!("{v:.digits$}"))
}

impl fmt::Display for TimeToEventAnalysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "time to {} (days from first treatment); reference arm: {}",
            self.endpoint, self.reference_arm
        )?;
        if self.excluded_no_follow_up > 0 {
            writeln!(
                f,
                "excluded (no follow-up after day 0): {}",
                self.excluded_no_follow_up
            )?;
        }
        writeln!(
            f,
            "{:<28} {:>5} {:>7} {:>12} {:>9} {:>11} {:>12} {:>12}",
            "arm",
            "n",
            "events",
            "intercurrent",
            "censored",
            "withdrawal",
            "last contact",
            "last assess."
        )?;
        for a in &self.arms {
            let u = &a.follow_up;
            writeln!(
                f,
                "{:<28} {:>5} {:>7} {:>12} {:>9} {:>11} {:>12} {:>12}",
                a.arm,
                a.n,
                u.events,
                u.intercurrent_events,
                u.censored(),
                u.withdrawals,
                u.last_contact,
                u.last_assessment
            )?;
        }
        writeln!(f)?;
        let level = self
            .arms
            .iter()
            .find_map(|a| a.kaplan_meier.computed().map(|k| k.confidence_level))
            .unwrap_or(0.95)
            * 100.0;
        let times: Vec<f64> = self
            .arms
            .iter()
            .find(|a| !a.survival_at.is_empty())
            .map(|a| a.survival_at.iter().map(|s| s.time).collect())
            .unwrap_or_default();
        write!(
            f,
            "{:<28} {:>26}",
            "Kaplan-Meier",
            format!("median [{level:.0}% CI]")
        )?;
        for t in &times {
            write!(f, " {:>26}", format!("S({t}) [CI] at risk"))?;
        }
        writeln!(f)?;
        for a in &self.arms {
            match &a.kaplan_meier {
                Outcome::Computed(k) => {
                    let m = &k.median;
                    write!(
                        f,
                        "{:<28} {:>26}",
                        a.arm,
                        format!(
                            "{} [{}, {}]",
                            opt(m.estimate, 0),
                            opt(m.lower, 0),
                            opt(m.upper, 0)
                        )
                    )?;
                    for s in &a.survival_at {
                        write!(
                            f,
                            " {:>26}",
                            format!(
                                "{} [{}, {}] {}",
                                opt(s.survival, 3),
                                opt(s.lower, 3),
                                opt(s.upper, 3),
                                s.n_risk
                            )
                        )?;
                    }
                    writeln!(f)?;
                }
                Outcome::Refused(r) => writeln!(f, "{:<28} {r}", a.arm)?,
            }
        }
        if let Some(tau) = self.tau {
            writeln!(f)?;
            writeln!(
                f,
                "restricted mean survival time up to tau = {tau} days [{level:.0}% CI]; difference vs {}",
                self.reference_arm
            )?;
            let mut diffs = self.rmst_differences.iter();
            for a in &self.arms {
                let rmst = match &a.rmst {
                    Some(Outcome::Computed(r)) => {
                        format!("{:.1} (se {:.1})", r.estimate, r.std_err)
                    }
                    Some(Outcome::Refused(r)) => r.reason.code().to_string(),
                    None => "-".to_string(),
                };
                let diff = if a.arm == self.reference_arm {
                    "reference".to_string()
                } else {
                    match diffs.next() {
                        Some(Outcome::Computed(d)) => format!(
                            "{:+.1} [{:+.1}, {:+.1}] p = {:.3e}",
                            d.difference,
                            d.confidence_interval.0,
                            d.confidence_interval.1,
                            d.p_value
                        ),
                        Some(Outcome::Refused(r)) => r.reason.code().to_string(),
                        None => String::new(),
                    }
                };
                writeln!(f, "{:<28} {:>18}   {diff}", a.arm, rmst)?;
            }
        }
        writeln!(f)?;
        match &self.log_rank {
            Outcome::Computed(l) => writeln!(f, "log-rank test: {}", l.test)?,
            Outcome::Refused(r) => writeln!(f, "log-rank test: {r}")?,
        }
        if let Some(s) = &self.log_rank_stratified {
            match s {
                Outcome::Computed(l) => writeln!(
                    f,
                    "log-rank test stratified by {:?} ({} strata): {}",
                    self.cox.stratification, l.n_strata, l.test
                )?,
                Outcome::Refused(r) => writeln!(f, "stratified log-rank test: {r}")?,
            }
        }
        writeln!(f)?;
        let c = &self.cox;
        writeln!(
            f,
            "Cox model: arm (vs {}){}{}{}; {} analysed, {} excluded for missing values",
            self.reference_arm,
            c.covariates
                .iter()
                .map(|v| format!(" + {}", v.name()))
                .collect::<String>(),
            match c.stratification {
                Stratification::None => String::new(),
                s => format!(", strata({s:?})"),
            },
            match c.clustering {
                Clustering::None => String::new(),
                Clustering::Site => ", robust SE clustered by site".to_string(),
            },
            c.n_analysed,
            c.n_excluded
        )?;
        match &c.fit {
            Outcome::Computed(fit) => writeln!(f, "{fit}")?,
            Outcome::Refused(r) => writeln!(f, "  {r}")?,
        }
        match &c.proportional_hazards {
            Some(Outcome::Computed(z)) => write!(f, "{z}")?,
            Some(Outcome::Refused(r)) => write!(f, "proportional hazards test: {r}")?,
            None => {}
        }
        Ok(())
    }
}
