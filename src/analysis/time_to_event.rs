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

use nalgebra::DMatrix;

use super::arms::{Attrition, ExclusionReason, reference_arm};
use super::covariates::{Covariate, check_covariates, formula_covariates};
use crate::data::{Cohort, EventEndpoint, TimeEnd, TimeToEventData, same_name};
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::stats::formula::{CovariateColumn, FactorColumn, Layout, ModelSpec, design_matrix};
use crate::stats::survival::{
    ConfidenceType, CoxCoefficient, CoxData, CoxFit, CoxOptions, CoxZph, KaplanMeier,
    KaplanMeierOptions, LogRank, Rmst, RmstDifference, Status, SurvivalAt, Ties, ZphOptions,
    cox_ph, cox_zph, kaplan_meier, log_rank, log_rank_stratified, rmst_difference,
};
use crate::{Outcome, RefusalReason};
/// A patient-level variable that stratifies the log-rank test and the Cox model.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::Stratification;
/// assert_eq!(Stratification::default(), Stratification::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
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
/// use pain_outcomes::analysis::Clustering;
/// assert_eq!(Clustering::default(), Clustering::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Clustering {
    /// Model-based variance.
    #[default]
    None,
    /// Robust variance clustered by site (R `cluster(site)`).
    Site,
}

/// Options of [`analyse_time_to_event`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{Clustering, Covariate, Stratification, TimeToEventOptions};
/// let o = TimeToEventOptions::default()
///     .with_reference_arm("usual_care")
///     .with_tau(365.0)
///     .with_covariates(vec![Covariate::Age, Covariate::Severity])
///     .with_stratification(Stratification::Site)
///     .with_clustering(Clustering::Site);
/// assert_eq!(o.survival_times, vec![180.0, 365.0, 730.0]);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Cox covariates besides the arm (default none): numeric ones linear, factors as
    /// indicators of each level but the first in sort order.
    pub covariates: Vec<Covariate>,
    /// Robust variance clustered by site (default none).
    pub clustering: Clustering,
    /// Cox tie handling (default Efron).
    pub ties: Ties,
    /// The Cox model's right-hand side instead of `arm` plus the covariates (default none):
    /// any terms and interactions (`:`, `*`) of `arm`, the contract covariates and the user's
    /// own columns, e.g. `"arm + age + sex + arm:sex"`; it must hold `arm` and be hierarchical.
    /// Treatment coding as R's `model.matrix` (reference: the reference arm, and the first
    /// level in sort order of the other factors); no intercept (the baseline hazard takes it).
    pub formula: Option<String>,
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
            formula: None,
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
    /// Sets the Cox model's right-hand side (see [`TimeToEventOptions::formula`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TimeToEventOptions;
    /// let o = TimeToEventOptions::default().with_formula("arm + age + sex + arm:sex");
    /// assert_eq!(o.formula.as_deref(), Some("arm + age + sex + arm:sex"));
    /// ```
    pub fn with_formula(mut self, rhs: impl Into<String>) -> Self {
        self.formula = Some(rhs.into());
        self
    }

    /// Sets the Cox covariates besides the arm.
    pub fn with_covariates(mut self, covariates: Vec<Covariate>) -> Self {
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
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoxAnalysis {
    /// Coefficient names, in order (`arm<label>` for each non-reference arm, then each
    /// covariate: its name, or `<name><level>` for each non-reference level of a factor).
    pub terms: Vec<String>,
    /// Covariates besides the arm.
    pub covariates: Vec<Covariate>,
    /// The model's right-hand side (`arm` plus the covariates unless a formula was given).
    pub formula: String,
    /// Stratification of the baseline hazard.
    pub stratification: Stratification,
    /// Clustering of the robust variance.
    pub clustering: Clustering,
    /// Patients analysed and left out for a missing covariate, stratum or cluster site
    /// (complete cases, as R's `na.omit`), per arm.
    pub attrition: Attrition,
    /// The fit.
    pub fit: Outcome<CoxFit>,
    /// Schoenfeld-residual test of proportional hazards (`cox.zph`, Kaplan–Meier transform;
    /// `None` when the fit was refused).
    pub proportional_hazards: Option<Outcome<CoxZph>>,
}

/// Complete time-to-event analysis of one endpoint across arms.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimeToEventAnalysis {
    /// The endpoint.
    pub endpoint: EventEndpoint,
    /// Reference arm of the contrasts.
    pub reference_arm: String,
    /// Patients analysed, and left out because their follow-up ends on or before day 0, per
    /// arm.
    pub attrition: Attrition,
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
    /// Patients in and left out of the stratified log-rank test for a missing stratum
    /// (`None` without stratification).
    pub stratified_attrition: Option<Attrition>,
    /// Cox model and its proportional-hazards test.
    pub cox: CoxAnalysis,
}

impl TimeToEventAnalysis {
    /// The Cox hazard ratio of `arm` versus the reference arm (`None` for the reference arm,
    /// an arm without analysed patients, or a refused fit).
    ///
    /// # Examples
    ///
    /// See [`analyse_time_to_event`].
    pub fn hazard_ratio(&self, arm: &str) -> Option<&CoxCoefficient> {
        let arm = self.arms.iter().find(|a| same_name(&a.arm, arm))?;
        let term = format!("arm{}", arm.arm);
        self.cox
            .fit
            .computed()?
            .coefficients
            .iter()
            .find(|c| c.name == term)
    }

    /// The survival summary of `arm`.
    pub fn arm(&self, arm: &str) -> Option<&ArmSurvival> {
        self.arms.iter().find(|a| same_name(&a.arm, arm))
    }
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
/// use pain_outcomes::analysis::{analyse_time_to_event, TimeToEventOptions};
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
/// assert!(result.hazard_ratio("prp").is_some());
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
    let resolved;
    let options = match &options.formula {
        Some(rhs) => {
            if !options.covariates.is_empty() {
                return Err(Error::invalid_argument(
                    "formula",
                    "name the covariates in the formula, not also with `with_covariates`",
                ));
            }
            let (_, covariates) = formula_covariates(rhs, &["arm"], &["arm"])?;
            resolved = TimeToEventOptions {
                covariates,
                ..options.clone()
            };
            &resolved
        }
        None => options,
    };
    check_inputs(cohort, data, options)?;
    let arms = &data.arms;
    let reference_arm = reference_arm(arms, options.reference_arm.as_deref())?;
    let reference = arms.iter().position(|a| *a == reference_arm).unwrap_or(0);
    let mut attrition = Attrition::new(arms);
    for (a, &n_out) in data.excluded_no_follow_up.iter().enumerate() {
        for _ in 0..n_out {
            attrition.exclude(a, ExclusionReason::NoFollowUpTime);
        }
    }
    for &a in &data.arm {
        attrition.analysed(a as usize);
    }
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
    let (arm_results, tau) = per_arm_survival(data, &status, options)?;
    let rmst_differences = match tau {
        Some(t) => rmst_versus_reference(data, &status, reference, t, options.confidence_level)?,
        None => Vec::new(),
    };
    let tests = log_rank_tests(cohort, data, &status, options.stratification)?;
    let cox = cox_analysis(cohort, data, &status, &tests.strata, reference, options)?;
    Ok(TimeToEventAnalysis {
        endpoint: data.endpoint,
        reference_arm,
        attrition,
        arms: arm_results,
        tau,
        rmst_differences,
        log_rank: tests.all,
        log_rank_stratified: tests.stratified,
        stratified_attrition: tests.stratified_attrition,
        cox,
    })
}

/// Checks that `data` comes from `cohort` and that the options are valid.
fn check_inputs(
    cohort: &Cohort,
    data: &TimeToEventData,
    options: &TimeToEventOptions,
) -> Result<()> {
    check_covariates(&options.covariates, cohort.patients())?;
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
    Ok(())
}

/// Per arm: how follow-up ended, Kaplan–Meier, survival at the chosen days and RMST up to τ
/// (`options.tau`, else the earliest of the arms' last times).
fn per_arm_survival(
    data: &TimeToEventData,
    status: &[Status],
    options: &TimeToEventOptions,
) -> Result<(Vec<ArmSurvival>, Option<f64>)> {
    let n = data.time.len();
    let arms = &data.arms;
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

    Ok((arm_results, tau))
}

/// The RMST difference up to `t` of each arm versus the reference arm.
fn rmst_versus_reference(
    data: &TimeToEventData,
    status: &[Status],
    reference: usize,
    t: f64,
    confidence_level: f64,
) -> Result<Vec<Outcome<RmstDifference>>> {
    let n = data.time.len();
    let arms = &data.arms;
    let reference_arm = &arms[reference];
    let mut rmst_differences = Vec::new();
    {
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
                confidence_level,
            )?);
        }
    }

    Ok(rmst_differences)
}

/// The log-rank tests of an analysis, and each patient's stratum.
struct LogRankTests {
    all: Outcome<LogRank>,
    stratified: Option<Outcome<LogRank>>,
    stratified_attrition: Option<Attrition>,
    strata: Vec<Option<String>>,
}

/// The log-rank test across arms and, with a stratification, the stratified test with who
/// entered it.
fn log_rank_tests(
    cohort: &Cohort,
    data: &TimeToEventData,
    status: &[Status],
    stratification: Stratification,
) -> Result<LogRankTests> {
    let n = data.time.len();
    let arms = &data.arms;
    let group: Vec<&str> = data
        .arm
        .iter()
        .map(|&a| arms.get(a as usize).map_or("", String::as_str))
        .collect();
    let log_rank_all = log_rank(&data.time, status, &group)?;
    let strata: Vec<Option<String>> = data
        .patients
        .iter()
        .map(|&p| stratum_of(cohort, p, stratification))
        .collect();
    let (log_rank_strat, stratified_attrition) = match stratification {
        Stratification::None => (None, None),
        _ => {
            let keep: Vec<usize> = (0..n).filter(|&i| strata[i].is_some()).collect();
            let mut kept = Attrition::new(arms);
            for (i, s) in strata.iter().enumerate() {
                match s {
                    Some(_) => kept.analysed(data.arm[i] as usize),
                    None => kept.exclude(data.arm[i] as usize, ExclusionReason::MissingStratum),
                }
            }
            let t: Vec<f64> = keep.iter().map(|&i| data.time[i]).collect();
            let s: Vec<Status> = keep.iter().map(|&i| status[i]).collect();
            let g: Vec<&str> = keep.iter().map(|&i| group[i]).collect();
            let st: Vec<&str> = keep
                .iter()
                .map(|&i| strata[i].as_deref().unwrap_or(""))
                .collect();
            (Some(log_rank_stratified(&t, &s, &g, &st)?), Some(kept))
        }
    };

    Ok(LogRankTests {
        all: log_rank_all,
        stratified: log_rank_strat,
        stratified_attrition,
        strata,
    })
}

/// The Cox model of the arm and the covariates on the complete cases.
fn cox_analysis(
    cohort: &Cohort,
    data: &TimeToEventData,
    status: &[Status],
    strata: &[Option<String>],
    reference: usize,
    options: &TimeToEventOptions,
) -> Result<CoxAnalysis> {
    let patients = cohort.patients();
    let site = |p: usize| patients.get(p).and_then(|x| x.site.clone());
    let (attrition, keep) = complete_cases(patients, data, strata, options);
    let design = cox_design(patients, data, &keep, reference, options)?;
    let base = CoxAnalysis {
        terms: design.terms.clone(),
        covariates: options.covariates.clone(),
        formula: design.formula.clone(),
        stratification: options.stratification,
        clustering: options.clustering,
        attrition,
        fit: refuse(RefusalReason::TooFewObservations, "no patients analysed"),
        proportional_hazards: None,
    };
    if let (Some(c), false) = (&design.constant, keep.is_empty()) {
        return Ok(CoxAnalysis {
            fit: refuse(
                RefusalReason::SingularDesign,
                format!("covariate `{c}` takes a single value among the patients analysed"),
            ),
            ..base
        });
    }
    if keep.is_empty() || design.terms.is_empty() {
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
    let time: Vec<f64> = keep.iter().map(|&i| data.time[i]).collect();
    let st: Vec<Status> = keep.iter().map(|&i| status[i]).collect();
    let mut cox_data = CoxData::new(&time, &st, &design.x)?.with_names(&design.terms)?;
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

/// The rows of `data` with every covariate, the cluster site and the stratum (complete cases,
/// as R's `na.omit`), and who was left out and why.
fn complete_cases(
    patients: &[crate::domain::Patient],
    data: &TimeToEventData,
    strata: &[Option<String>],
    options: &TimeToEventOptions,
) -> (Attrition, Vec<usize>) {
    let mut attrition = Attrition::new(&data.arms);
    let mut keep: Vec<usize> = Vec::with_capacity(data.time.len());
    for i in 0..data.time.len() {
        let pat = patients.get(data.patients[i]);
        let arm = data.arm[i] as usize;
        let missing: Vec<&Covariate> = options
            .covariates
            .iter()
            .filter(|c| {
                !pat.and_then(|x| c.value(x))
                    .is_some_and(|(v, _)| v.is_finite())
            })
            .collect();
        for c in &missing {
            attrition.missing_covariate(c.name());
        }
        let cluster_missing =
            options.clustering == Clustering::Site && pat.and_then(|x| x.site.as_ref()).is_none();
        if cluster_missing {
            attrition.missing_covariate("site");
        }
        if !missing.is_empty() || cluster_missing {
            attrition.exclude(arm, ExclusionReason::MissingCovariate);
        } else if !strata.get(i).is_some_and(Option::is_some) {
            attrition.exclude(arm, ExclusionReason::MissingStratum);
        } else {
            attrition.analysed(arm);
            keep.push(i);
        }
    }
    (attrition, keep)
}

/// The Cox design on the kept rows, from the formula (default `arm` plus the covariates): arm
/// coded against the reference over the arms with an analysed patient, factor covariates
/// against their first level among the kept rows, the intercept column dropped.
struct CoxDesign {
    formula: String,
    terms: Vec<String>,
    x: DMatrix<f64>,
    /// A factor covariate with a single level among the kept rows.
    constant: Option<String>,
}

fn cox_design(
    patients: &[crate::domain::Patient],
    data: &TimeToEventData,
    keep: &[usize],
    reference: usize,
    options: &TimeToEventOptions,
) -> Result<CoxDesign> {
    let formula = options.formula.clone().unwrap_or_else(|| {
        std::iter::once("arm")
            .chain(options.covariates.iter().map(Covariate::name))
            .collect::<Vec<_>>()
            .join(" + ")
    });
    // the arms with an analysed patient, the reference first
    let mut arm_levels: Vec<usize> = vec![reference];
    arm_levels.extend(
        (0..data.arms.len())
            .filter(|&a| a != reference && keep.iter().any(|&i| data.arm[i] as usize == a)),
    );
    let arm_codes: Vec<usize> = keep
        .iter()
        .map(|&i| {
            arm_levels
                .iter()
                .position(|&a| a == data.arm[i] as usize)
                .unwrap_or(0)
        })
        .collect();
    let kept: Vec<Option<&crate::domain::Patient>> = keep
        .iter()
        .map(|&i| patients.get(data.patients[i]))
        .collect();
    let mut constant = None;
    let mut factor_codes: Vec<(String, Vec<usize>, Vec<String>)> = Vec::new();
    let mut numeric: Vec<(String, Vec<f64>)> = Vec::new();
    for c in &options.covariates {
        let values: Vec<Option<(f64, String)>> =
            kept.iter().map(|p| p.and_then(|p| c.value(p))).collect();
        if c.is_factor(patients) {
            let mut levels: Vec<String> = values.iter().flatten().map(|(_, l)| l.clone()).collect();
            levels.sort();
            levels.dedup();
            if levels.len() < 2 && constant.is_none() {
                constant = Some(c.name().to_string());
            }
            let codes = values
                .iter()
                .map(|v| {
                    v.as_ref()
                        .and_then(|(_, l)| levels.binary_search(l).ok())
                        .unwrap_or(0)
                })
                .collect();
            factor_codes.push((c.name().to_string(), codes, levels));
        } else {
            let x = values
                .iter()
                .map(|v| v.as_ref().map_or(0.0, |(x, _)| *x))
                .collect();
            numeric.push((c.name().to_string(), x));
        }
    }
    let mut factors = vec![FactorColumn {
        name: "arm".into(),
        levels: arm_levels.iter().map(|&a| data.arms[a].clone()).collect(),
        codes: &arm_codes,
        reference: 0,
    }];
    factors.extend(
        factor_codes
            .iter()
            .map(|(name, codes, levels)| FactorColumn {
                name: name.clone(),
                levels: levels.clone(),
                codes,
                reference: 0,
            }),
    );
    let covariates: Vec<CovariateColumn<'_>> = numeric
        .iter()
        .map(|(name, values)| CovariateColumn {
            name: name.clone(),
            values,
        })
        .collect();
    let layout = Layout::resolve(&factors, &covariates, &ModelSpec::parse(&formula)?)?;
    let full = design_matrix(&layout, &factors, &covariates, keep.len());
    let x = full.columns(1, layout.p - 1).into_owned();
    Ok(CoxDesign {
        formula,
        terms: layout.column_names.iter().skip(1).cloned().collect(),
        x,
        constant,
    })
}
