//! Registry comparisons: a treated therapy against a comparator in an observational cohort,
//! by propensity scores — the propensity model, balancing weights (ATE, ATT, overlap),
//! nearest-neighbour caliper matching, covariate balance before and after, weighted change from
//! baseline (and its doubly robust variant), weighted responder rates and E-values.

use super::adjusted_responders::patient_responses;
use super::arms::{Attrition, ExclusionReason};
use super::covariates::{Coding, Covariate, check_covariates};
use super::responders::{ResponderAnalysisOptions, RuleChoice};
use crate::data::{Cohort, EventEndpoint, WideTable, find_name};
use crate::error::{Error, Result};
use crate::stats::logistic::{LogisticFit, LogisticOptions, logistic_regression};
use crate::stats::matching::nearest_neighbour_match;
use crate::stats::responders::{IntercurrentStrategy, MissingPolicy};
use crate::stats::survival::{CoxCoefficient, CoxData, CoxOptions, CoxVariance, Status, cox_ph};
use crate::stats::weighting::{
    CovariateKind, EValue, OutcomeFrequency, WeightOptions, WeightedRegression, covariate_balance,
    e_value, e_value_hazard_ratio, effective_sample_size, propensity_weights, weighted_regression,
    weighted_survival_at,
};
use crate::stats::{ConfidenceInterval, Estimate, dist};
use crate::{Outcome, RefusalReason, outcome::refuse};

/// A term of the propensity model: a patient-level covariate, or the baseline score of the
/// analysed instrument.
///
/// Parsed from `baseline` or any name [`Covariate`] parses.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{Covariate, PropensityCovariate};
/// assert_eq!("baseline".parse::<PropensityCovariate>()?, PropensityCovariate::Baseline);
/// assert_eq!("age".parse::<PropensityCovariate>()?, PropensityCovariate::Patient(Covariate::Age));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PropensityCovariate {
    /// A patient-level covariate (factors enter as indicators of their non-reference levels).
    Patient(Covariate),
    /// The patient's baseline score of the instrument (the last non-missing score on a day
    /// ≤ 0, see [`WideTable`]).
    Baseline,
}

impl PropensityCovariate {
    /// The name of the covariate.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::analysis::PropensityCovariate::Baseline.name(), "baseline");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            Self::Patient(c) => c.name(),
            Self::Baseline => "baseline",
        }
    }
}

impl std::str::FromStr for PropensityCovariate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s.trim().eq_ignore_ascii_case("baseline") {
            Ok(Self::Baseline)
        } else {
            s.parse().map(Self::Patient)
        }
    }
}

/// Options of [`registry_comparison`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::RegistryOptions;
/// let o = RegistryOptions::new("stem_cell", "corticosteroid").with_caliper(0.2);
/// assert_eq!(o.caliper, Some(0.2));
/// assert_eq!(o.balance_threshold, 0.1);
/// assert_eq!(o.covariates.len(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// The treated group: an arm label or a therapy (`stem_cell` takes every stem-cell arm).
    pub treated: String,
    /// The comparator group, likewise.
    pub comparator: String,
    /// Terms of the propensity model (default age, sex, BMI, severity, baseline).
    pub covariates: Vec<PropensityCovariate>,
    /// Estimand, stabilising and trimming of the weights.
    pub weights: WeightOptions,
    /// Caliper of the 1:1 matching in standard deviations of the logit propensity score;
    /// `None`: no matching.
    pub caliper: Option<f64>,
    /// Visit of the change-from-baseline and responder comparisons; `None`: the last visit.
    pub visit: Option<String>,
    /// Responder rule (default IMMPACT ≥ 30 %).
    pub rule: RuleChoice,
    /// Balance threshold on the absolute standardised mean difference (default 0.1).
    pub balance_threshold: f64,
    /// Smallest effective sample size (Kish) of either group below which weighted estimates
    /// are refused (default 20).
    pub ess_floor: f64,
    /// Confidence level (default 0.95).
    pub confidence_level: f64,
}

impl RegistryOptions {
    /// `treated` against `comparator`, with the defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::analysis::RegistryOptions::new("prp", "corticosteroid");
    /// assert_eq!(o.ess_floor, 20.0);
    /// ```
    pub fn new(treated: impl Into<String>, comparator: impl Into<String>) -> Self {
        Self {
            treated: treated.into(),
            comparator: comparator.into(),
            covariates: vec![
                PropensityCovariate::Patient(Covariate::Age),
                PropensityCovariate::Patient(Covariate::Sex),
                PropensityCovariate::Patient(Covariate::Bmi),
                PropensityCovariate::Patient(Covariate::Severity),
                PropensityCovariate::Baseline,
            ],
            weights: WeightOptions::default(),
            caliper: None,
            visit: None,
            rule: RuleChoice::Immpact30,
            balance_threshold: 0.1,
            ess_floor: 20.0,
            confidence_level: 0.95,
        }
    }

    /// Sets the propensity-model terms.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{PropensityCovariate, RegistryOptions};
    /// let o = RegistryOptions::new("a", "b").with_covariates(vec![PropensityCovariate::Baseline]);
    /// assert_eq!(o.covariates.len(), 1);
    /// ```
    pub fn with_covariates(mut self, covariates: Vec<PropensityCovariate>) -> Self {
        self.covariates = covariates;
        self
    }

    /// Sets the weighting options.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::RegistryOptions;
    /// use pain_outcomes::stats::weighting::{WeightEstimand, WeightOptions};
    /// let w = WeightOptions::default().with_estimand(WeightEstimand::Att);
    /// assert_eq!(RegistryOptions::new("a", "b").with_weights(w).weights.estimand, WeightEstimand::Att);
    /// ```
    pub fn with_weights(mut self, weights: WeightOptions) -> Self {
        self.weights = weights;
        self
    }

    /// Sets the matching caliper (SDs of the logit propensity score).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::analysis::RegistryOptions::new("a", "b").with_caliper(0.1).caliper, Some(0.1));
    /// ```
    pub fn with_caliper(mut self, caliper: f64) -> Self {
        self.caliper = Some(caliper);
        self
    }

    /// Sets the visit.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::analysis::RegistryOptions::new("a", "b").with_visit("month_6");
    /// assert_eq!(o.visit.as_deref(), Some("month_6"));
    /// ```
    pub fn with_visit(mut self, visit: impl Into<String>) -> Self {
        self.visit = Some(visit.into());
        self
    }

    /// Sets the responder rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{RegistryOptions, RuleChoice};
    /// let o = RegistryOptions::new("a", "b").with_rule(RuleChoice::Immpact50);
    /// assert_eq!(o.rule, RuleChoice::Immpact50);
    /// ```
    pub fn with_rule(mut self, rule: RuleChoice) -> Self {
        self.rule = rule;
        self
    }

    /// Sets the effective-sample-size floor.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::analysis::RegistryOptions::new("a", "b").with_ess_floor(50.0).ess_floor, 50.0);
    /// ```
    pub fn with_ess_floor(mut self, floor: f64) -> Self {
        self.ess_floor = floor;
        self
    }
}

/// One patient of the comparison: group, propensity score and weight.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::PropensityUnit;
/// let u = PropensityUnit { patient_id: "P1".into(), treated: true, propensity_score: 0.5, logit: 0.0, weight: 2.0 };
/// assert_eq!(u.weight, 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PropensityUnit {
    /// Patient identifier.
    pub patient_id: String,
    /// In the treated group.
    pub treated: bool,
    /// Fitted probability of the treated group.
    pub propensity_score: f64,
    /// Its logit (the linear predictor).
    pub logit: f64,
    /// Balancing weight (0 when trimmed).
    pub weight: f64,
}

/// Group sizes and Kish effective sample sizes under the weights.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::EffectiveSampleSizes;
/// let e = EffectiveSampleSizes { n_treated: 10, n_comparator: 20, ess_treated: 8.0, ess_comparator: 12.5 };
/// assert!(e.ess_treated <= e.n_treated as f64);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EffectiveSampleSizes {
    /// Treated patients in the propensity model.
    pub n_treated: usize,
    /// Comparator patients in the propensity model.
    pub n_comparator: usize,
    /// `(Σw)²/Σw²` among the treated.
    pub ess_treated: f64,
    /// `(Σw)²/Σw²` among the comparator.
    pub ess_comparator: f64,
}

/// The balance of one design term before and after weighting (and matching).
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::BalanceRow;
/// use pain_outcomes::stats::weighting::{covariate_balance, CovariateKind};
/// let b = covariate_balance(&[1.0, 2.0, 2.0, 3.0], &[true, true, false, false], None, CovariateKind::Continuous)?;
/// let row = BalanceRow { term: "age".into(), kind: CovariateKind::Continuous, before: b.clone(), weighted: b, matched: None };
/// assert!(row.before.smd < 0.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BalanceRow {
    /// Design term (`age`, `sexmale`, `baseline`, …).
    pub term: String,
    /// Continuous or indicator.
    pub kind: CovariateKind,
    /// Unweighted.
    pub before: crate::stats::weighting::CovariateBalance,
    /// Weighted.
    pub weighted: crate::stats::weighting::CovariateBalance,
    /// In the matched sample (unweighted), when matching was asked for.
    pub matched: Option<crate::stats::weighting::CovariateBalance>,
}

/// The balance table with its verdict.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::BalanceTable;
/// let t = BalanceTable { threshold: 0.1, rows: vec![], max_smd_before: 0.3, max_smd_weighted: 0.02, max_smd_matched: None };
/// assert!(t.balanced_weighted() && !t.balanced_before());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BalanceTable {
    /// The threshold on |SMD|.
    pub threshold: f64,
    /// One row per design term.
    pub rows: Vec<BalanceRow>,
    /// Largest |SMD| before weighting.
    pub max_smd_before: f64,
    /// Largest |SMD| after weighting.
    pub max_smd_weighted: f64,
    /// Largest |SMD| in the matched sample.
    pub max_smd_matched: Option<f64>,
}

impl BalanceTable {
    /// Whether every |SMD| before weighting is below the threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = pain_outcomes::analysis::BalanceTable { threshold: 0.1, rows: vec![], max_smd_before: 0.05, max_smd_weighted: 0.0, max_smd_matched: None };
    /// assert!(t.balanced_before());
    /// ```
    pub fn balanced_before(&self) -> bool {
        self.max_smd_before < self.threshold
    }

    /// Whether every |SMD| after weighting is below the threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = pain_outcomes::analysis::BalanceTable { threshold: 0.1, rows: vec![], max_smd_before: 0.5, max_smd_weighted: 0.2, max_smd_matched: None };
    /// assert!(!t.balanced_weighted());
    /// ```
    pub fn balanced_weighted(&self) -> bool {
        self.max_smd_weighted < self.threshold
    }

    /// Whether every |SMD| in the matched sample is below the threshold (`None` without
    /// matching).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = pain_outcomes::analysis::BalanceTable { threshold: 0.1, rows: vec![], max_smd_before: 0.5, max_smd_weighted: 0.2, max_smd_matched: Some(0.05) };
    /// assert_eq!(t.balanced_matched(), Some(true));
    /// ```
    pub fn balanced_matched(&self) -> Option<bool> {
        self.max_smd_matched.map(|m| m < self.threshold)
    }
}

/// One matched pair by patient.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::MatchedPatients;
/// let p = MatchedPatients { treated: "P1".into(), comparator: "P9".into(), distance: 0.02 };
/// assert_eq!(p.comparator, "P9");
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MatchedPatients {
    /// Treated patient.
    pub treated: String,
    /// Its comparator.
    pub comparator: String,
    /// Distance on the logit propensity score.
    pub distance: f64,
}

/// The 1:1 nearest-neighbour matching on the logit propensity score.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::PropensityMatching;
/// let m = PropensityMatching { caliper_sd: 0.2, caliper: 0.1, pairs: vec![], unmatched_treated: vec!["P1".into()] };
/// assert_eq!(m.unmatched_treated.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PropensityMatching {
    /// The caliper in SDs of the logit.
    pub caliper_sd: f64,
    /// The caliper on the logit scale (`caliper_sd · sd(logit)`, over all units).
    pub caliper: f64,
    /// Pairs in matching order (largest propensity score first).
    pub pairs: Vec<MatchedPatients>,
    /// Treated patients without a comparator within the caliper.
    pub unmatched_treated: Vec<String>,
}

/// Difference in mean change from baseline at the visit, treated minus comparator, by method.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::ChangeEffects;
/// use pain_outcomes::Outcome;
/// use pain_outcomes::stats::Estimate;
/// let e = Estimate::wald("treated", -1.0, 0.4, None, 0.95);
/// let c = ChangeEffects { visit: "month_6".into(), n_treated: 50, n_comparator: 60,
///     unweighted: Outcome::Computed(e.clone()), weighted: Outcome::Computed(e.clone()),
///     doubly_robust: Outcome::Computed(e), matched: None };
/// assert_eq!(c.n_treated, 50);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChangeEffects {
    /// The visit.
    pub visit: String,
    /// Treated patients with a change at the visit.
    pub n_treated: usize,
    /// Comparator patients with a change at the visit.
    pub n_comparator: usize,
    /// Raw difference (regression on the indicator with unit weights, robust SE).
    pub unweighted: Outcome<Estimate>,
    /// Weighted difference (`svyglm(change ~ treated)`).
    pub weighted: Outcome<Estimate>,
    /// Weighted regression with the propensity covariates (`svyglm(change ~ treated + …)`).
    pub doubly_robust: Outcome<Estimate>,
    /// Difference in the matched sample (robust SE), when matching was asked for.
    pub matched: Option<Outcome<Estimate>>,
}

/// Responder rates of the two groups with risk difference, risk ratio and its E-value.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::ResponderRates;
/// use pain_outcomes::stats::{ConfidenceInterval, Estimate};
/// let r = ResponderRates { rate_treated: 0.5, rate_comparator: 0.4,
///     risk_difference: Estimate::wald("rd", 0.1, 0.05, None, 0.95), risk_ratio: 1.25,
///     risk_ratio_interval: ConfidenceInterval { lower: 1.0, upper: 1.5, level: 0.95 }, e_value: None };
/// assert!(r.risk_ratio > 1.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderRates {
    /// (Weighted) share of responders among the treated.
    pub rate_treated: f64,
    /// (Weighted) share among the comparator.
    pub rate_comparator: f64,
    /// `rate_treated − rate_comparator` with the robust SE of the weighted linear
    /// probability model (`svyglm(response ~ treated)`).
    pub risk_difference: Estimate,
    /// `rate_treated / rate_comparator`.
    pub risk_ratio: f64,
    /// Its interval, `exp(log RR ± q·SE)` with the delta-method SE of `log RR` from the same
    /// robust covariance and `q` the t quantile on the fit's residual df (as `confint` on
    /// `svyglm(response ~ treated, family = quasipoisson)`).
    pub risk_ratio_interval: ConfidenceInterval,
    /// E-value of the risk ratio and of its interval limit closer to 1 (`None` when a rate is
    /// 0).
    pub e_value: Option<EValue>,
}

/// The responder comparison at the visit.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::ResponderEffects;
/// use pain_outcomes::{Outcome, Refusal, RefusalReason};
/// let no = Outcome::Refused(Refusal::new(RefusalReason::NoResponders, "none"));
/// let r = ResponderEffects { rule: "immpact_30".into(), n_treated: 0, n_comparator: 0, unweighted: no.clone(), weighted: no };
/// assert!(r.weighted.computed().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderEffects {
    /// The rule.
    pub rule: String,
    /// Treated patients with a response (observed cases, treatment policy).
    pub n_treated: usize,
    /// Comparator patients with a response.
    pub n_comparator: usize,
    /// Unweighted rates.
    pub unweighted: Outcome<ResponderRates>,
    /// Weighted rates.
    pub weighted: Outcome<ResponderRates>,
}

/// Time to surgery: Cox models of the treated indicator with robust (Lin–Wei) SEs, unweighted
/// and weighted, and the E-value of the weighted hazard ratio.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::SurgeryEffects;
/// use pain_outcomes::{Outcome, Refusal, RefusalReason};
/// let none = Outcome::Refused(Refusal::new(RefusalReason::NoEvents, "no surgery"));
/// let s = SurgeryEffects { n: 10, events: 0, unweighted: none.clone(), weighted: none, survival: vec![], e_value: None };
/// assert!(s.e_value.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SurgeryEffects {
    /// Patients with follow-up after day 0.
    pub n: usize,
    /// Surgeries among them.
    pub events: usize,
    /// `coxph(Surv(time, surgery) ~ treated, robust = TRUE)`.
    pub unweighted: Outcome<CoxCoefficient>,
    /// `coxph(…, weights = w, robust = TRUE)`.
    pub weighted: Outcome<CoxCoefficient>,
    /// Surgery-free survival (Kaplan–Meier) of each group at 180 and 365 days, unweighted and
    /// weighted (`survfit(weights = )`, Cole & Hernán 2004).
    pub survival: Vec<SurgeryFreeAt>,
    /// E-value of the weighted hazard ratio and of its limit closer to 1; the hazard ratio is
    /// taken as a risk ratio when fewer than 15 % of the patients had surgery, else converted
    /// (VanderWeele 2020).
    pub e_value: Option<EValue>,
}

/// Surgery-free survival of the two groups at one day.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::SurgeryFreeAt;
/// let s = SurgeryFreeAt { day: 365.0, treated: 0.9, comparator: 0.8, treated_weighted: 0.91, comparator_weighted: 0.82 };
/// assert!(s.treated_weighted > s.comparator_weighted);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SurgeryFreeAt {
    /// Days since treatment.
    pub day: f64,
    /// Kaplan–Meier estimate among the treated.
    pub treated: f64,
    /// Among the comparator.
    pub comparator: f64,
    /// Weighted Kaplan–Meier estimate among the treated.
    pub treated_weighted: f64,
    /// Among the comparator.
    pub comparator_weighted: f64,
}

/// A registry comparison of a treated therapy with a comparator.
///
/// # Examples
///
/// See [`registry_comparison`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegistryComparison {
    /// Instrument code.
    pub instrument: String,
    /// Treated group label.
    pub treated: String,
    /// Comparator group label.
    pub comparator: String,
    /// The options used.
    pub options: RegistryOptions,
    /// Who entered the propensity model (arms: treated, comparator) and who was left out.
    pub attrition: Attrition,
    /// Design terms of the propensity model.
    pub terms: Vec<String>,
    /// `glm(treated ~ terms, family = binomial)`.
    pub propensity_model: LogisticFit,
    /// Each patient's score and weight, in table order.
    pub units: Vec<PropensityUnit>,
    /// Sizes and effective sizes.
    pub effective_sample_sizes: EffectiveSampleSizes,
    /// Balance before and after.
    pub balance: BalanceTable,
    /// The matching, when a caliper was given.
    pub matching: Option<PropensityMatching>,
    /// Change from baseline at the visit (`None` when the table has no visit).
    pub change: Option<ChangeEffects>,
    /// Responders at the visit.
    pub responders: Option<ResponderEffects>,
    /// Time to surgery.
    pub time_to_surgery: SurgeryEffects,
}

/// One analysed patient.
struct Unit {
    row: usize,
    treated: bool,
    values: Vec<(f64, String)>,
}

/// Compares `options.treated` with `options.comparator` in an observational cohort by
/// propensity scores.
///
/// # Method
///
/// 1. Patients of `table` in either group with every covariate (and a baseline when
///    [`PropensityCovariate::Baseline`] is listed) enter; the others are counted in the
///    attrition. A patient is in a group when its arm label or its therapy equals the group's
///    label.
/// 2. Propensity model `glm(treated ~ terms, binomial)`: numeric covariates linear, factors as
///    indicators of their non-reference levels (first in sort order).
/// 3. Weights [`propensity_weights`](crate::stats::weighting::propensity_weights) (estimand,
///    stabilising, trimming) and Kish ESS per group.
/// 4. Balance of every term: SMD with Austin's denominator before, weighted and matched;
///    variance ratios; verdict at `balance_threshold`.
/// 5. Matching (with a caliper): 1:1 nearest neighbour without replacement on the logit,
///    caliper `c · sd(logit)`, largest score first (`MatchIt` default).
/// 6. At the visit: change from baseline on the treated indicator by weighted least squares
///    with the `svyglm` sandwich — unit weights, the weights, the weights plus the covariates
///    (doubly robust), and the matched sample; each fit uses the patients with a change at the
///    visit (the design is theirs). Responders (observed cases, treatment policy): weighted
///    rates, risk difference, risk ratio and its E-value.
/// 7. Time to surgery ([`Cohort::time_to_event`] rules): Cox of the treated indicator with
///    the robust SE, unweighted and with the weights (`coxph(weights = , robust = TRUE)`,
///    Efron ties), and the E-value of the weighted hazard ratio.
///
/// # References
///
/// Rosenbaum & Rubin (1983); Austin (2009, 2011); Li, Morgan & Zaslavsky (2018); Kish (1965);
/// Lumley (2004); Ho, Imai, King & Stuart (2011); VanderWeele & Ding (2017); Funk et al.
/// (2011), Doubly robust estimation of causal effects, *Am J Epidemiol* 173, 761–767.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a group label no patient has (the message lists the arms
/// and therapies), the same label twice, an unknown covariate or visit, a bad caliper, level,
/// threshold or floor, or `table` not from `cohort`.
///
/// Refuses: an empty group ([`RefusalReason::EmptyGroup`]); separation in the propensity
/// model ([`RefusalReason::MonotoneLikelihood`]); no overlap of the two groups' scores
/// ([`RefusalReason::NotEstimable`]). Weighted estimates are refused
/// ([`RefusalReason::TooFewObservations`]) when a group's ESS is below `ess_floor`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{registry_comparison, RegistryOptions};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = pain_outcomes::data::CsvFiles::new(format!("{dir}tendinopathy_registry.csv"));
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let options = RegistryOptions::new("stem_cell", "corticosteroid").with_caliper(0.2);
/// let r = registry_comparison(&cohort, &wide, &options)?.into_result().unwrap();
/// assert!(r.balance.max_smd_weighted < r.balance.max_smd_before);
/// assert!(r.change.unwrap().weighted.computed().is_some());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn registry_comparison(
    cohort: &Cohort,
    table: &WideTable,
    options: &RegistryOptions,
) -> Result<Outcome<RegistryComparison>> {
    let patients = cohort.patients();
    if table.patients.iter().any(|&p| p >= patients.len()) {
        return Err(Error::invalid_argument(
            "table",
            "does not come from this cohort",
        ));
    }
    crate::stats::describe::check_level(options.confidence_level)?;
    if !(options.balance_threshold > 0.0 && options.balance_threshold.is_finite()) {
        return Err(Error::invalid_argument(
            "balance_threshold",
            format!("must be positive, got {}", options.balance_threshold),
        ));
    }
    if !(options.ess_floor >= 0.0 && options.ess_floor.is_finite()) {
        return Err(Error::invalid_argument(
            "ess_floor",
            format!("must be a non-negative number, got {}", options.ess_floor),
        ));
    }
    if let Some(c) = options.caliper
        && !(c > 0.0 && c.is_finite())
    {
        return Err(Error::invalid_argument(
            "caliper",
            format!("must be a positive number of SDs, got {c}"),
        ));
    }
    if options.treated == options.comparator {
        return Err(Error::invalid_argument(
            "comparator",
            format!("`{}` is also the treated group", options.comparator),
        ));
    }
    let group_of = |row: usize, label: &str| -> bool {
        let p = &patients[table.patients[row]];
        table.arms.get(table.arm[row] as usize).map(String::as_str) == Some(label)
            || p.therapy.to_string() == label
    };
    for label in [&options.treated, &options.comparator] {
        if !(0..table.n_patients()).any(|row| group_of(row, label)) {
            let mut known: Vec<String> = table.arms.clone();
            for p in patients {
                known.push(p.therapy.to_string());
            }
            known.sort();
            known.dedup();
            return Err(Error::invalid_argument(
                "group",
                format!(
                    "no patient with a {} score is in `{label}`; arms and therapies: {}",
                    table.instrument.code,
                    known.join(", ")
                ),
            ));
        }
    }
    let patient_covariates: Vec<Covariate> = options
        .covariates
        .iter()
        .filter_map(|c| match c {
            PropensityCovariate::Patient(c) => Some(c.clone()),
            PropensityCovariate::Baseline => None,
        })
        .collect();
    check_covariates(&patient_covariates, patients)?;
    if options
        .covariates
        .iter()
        .filter(|c| **c == PropensityCovariate::Baseline)
        .count()
        > 1
    {
        return Err(Error::invalid_argument(
            "covariates",
            "`baseline` is listed twice",
        ));
    }
    let visit = match &options.visit {
        Some(v) => Some(find_name("visit", v, &table.visits)?),
        None => table.n_visits().checked_sub(1),
    };

    // the patients of the two groups with every covariate
    let mut attrition = Attrition::new(&[options.treated.clone(), options.comparator.clone()]);
    let mut units: Vec<Unit> = Vec::new();
    for row in 0..table.n_patients() {
        let treated = group_of(row, &options.treated);
        if !treated && !group_of(row, &options.comparator) {
            continue;
        }
        let g = usize::from(!treated);
        let patient = &patients[table.patients[row]];
        let mut values = Vec::new();
        let mut missing = None;
        for c in &options.covariates {
            let v = match c {
                PropensityCovariate::Patient(c) => c.value(patient),
                PropensityCovariate::Baseline => table
                    .baseline
                    .get(row)
                    .copied()
                    .flatten()
                    .map(|b| (b, String::new())),
            };
            match v {
                Some(v) => values.push(v),
                None => {
                    missing = Some(if *c == PropensityCovariate::Baseline {
                        ExclusionReason::NoBaseline
                    } else {
                        ExclusionReason::MissingCovariate
                    });
                    break;
                }
            }
        }
        match missing {
            Some(reason) => attrition.exclude(g, reason),
            None => {
                attrition.analysed(g);
                units.push(Unit {
                    row,
                    treated,
                    values,
                });
            }
        }
    }
    let n1 = units.iter().filter(|u| u.treated).count();
    let n0 = units.len() - n1;
    if n1 == 0 || n0 == 0 {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!(
                "{n1} treated (`{}`) and {n0} comparator (`{}`) patients with every covariate",
                options.treated, options.comparator
            ),
        ));
    }

    // design: each covariate's columns
    let values: Vec<&[(f64, String)]> = units.iter().map(|u| u.values.as_slice()).collect();
    let (terms, columns, kinds) = design_columns(&options.covariates, patients, &values);
    let design: Vec<(&str, &[f64])> = terms
        .iter()
        .map(String::as_str)
        .zip(columns.iter().map(Vec::as_slice))
        .collect();
    let treated: Vec<bool> = units.iter().map(|u| u.treated).collect();
    let logistic_options = LogisticOptions::default()
        .with_confidence_level(options.confidence_level)
        .with_profile(false);
    let fit = match logistic_regression(&treated, &design, &logistic_options)? {
        Outcome::Computed(f) => f,
        Outcome::Refused(r) => {
            return Ok(Outcome::Refused(crate::Refusal::new(
                r.reason,
                format!("propensity model: {}", r.detail),
            )));
        }
    };
    let logit: Vec<f64> = (0..units.len())
        .map(|i| {
            fit.coefficients[0].estimate
                + columns
                    .iter()
                    .zip(&fit.coefficients[1..])
                    .map(|(col, b)| col[i] * b.estimate)
                    .sum::<f64>()
        })
        .collect();
    let ps: Vec<f64> = logit.iter().map(|l| expit(*l)).collect();
    if let Some(refusal) = no_overlap(&ps, &treated) {
        return Ok(Outcome::Refused(refusal));
    }
    let weights = match propensity_weights(&ps, &treated, &options.weights)? {
        Outcome::Computed(w) => w,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let group_weights = |g: bool| -> Vec<f64> {
        weights
            .iter()
            .zip(&treated)
            .filter(|(_, t)| **t == g)
            .map(|(w, _)| *w)
            .collect()
    };
    let effective_sample_sizes = EffectiveSampleSizes {
        n_treated: n1,
        n_comparator: n0,
        ess_treated: effective_sample_size(&group_weights(true)),
        ess_comparator: effective_sample_size(&group_weights(false)),
    };

    // matching on the logit
    let matching = match options.caliper {
        None => None,
        Some(c) => {
            let sd = sample_sd(&logit);
            let m = nearest_neighbour_match(&logit, &treated, Some(c * sd))?;
            Some((m, c, c * sd))
        }
    };
    let matched_rows: Option<Vec<usize>> = matching.as_ref().map(|(m, _, _)| {
        let mut rows: Vec<usize> = m
            .pairs
            .iter()
            .flat_map(|p| [p.treated, p.comparator])
            .collect();
        rows.sort_unstable();
        rows
    });

    // balance
    let mut rows = Vec::new();
    for (k, term) in terms.iter().enumerate() {
        let x = &columns[k];
        let matched = match &matched_rows {
            Some(m) if m.len() >= 4 => {
                // the matched sample's means over the full sample's denominator: a weight of 1
                // on matched units, 0 elsewhere
                let wm: Vec<f64> = (0..x.len())
                    .map(|i| f64::from(u8::from(m.binary_search(&i).is_ok())))
                    .collect();
                Some(covariate_balance(x, &treated, Some(&wm), kinds[k])?)
            }
            _ => None,
        };
        rows.push(BalanceRow {
            term: term.clone(),
            kind: kinds[k],
            before: covariate_balance(x, &treated, None, kinds[k])?,
            weighted: covariate_balance(x, &treated, Some(&weights), kinds[k])?,
            matched,
        });
    }
    let max_abs = |f: &dyn Fn(&BalanceRow) -> Option<f64>| {
        rows.iter().filter_map(f).map(f64::abs).fold(0.0, f64::max)
    };
    let balance = BalanceTable {
        threshold: options.balance_threshold,
        max_smd_before: max_abs(&|r| Some(r.before.smd)),
        max_smd_weighted: max_abs(&|r| Some(r.weighted.smd)),
        max_smd_matched: matched_rows
            .as_ref()
            .map(|_| max_abs(&|r| r.matched.as_ref().map(|m| m.smd))),
        rows,
    };

    let id = |i: usize| {
        patients[table.patients[units[i].row]]
            .id
            .as_str()
            .to_string()
    };
    let ctx = Context {
        units: &units,
        treated: &treated,
        weights: &weights,
        design: &design,
        matched_rows: matched_rows.as_deref(),
        options,
    };
    let change = match visit {
        Some(v) => Some(change_effects(table, v, &ctx)?),
        None => None,
    };
    let responders = match visit {
        Some(v) => Some(responder_effects(cohort, table, v, &ctx)?),
        None => None,
    };
    let time_to_surgery = surgery_effects(cohort, table, &ctx)?;
    let matching = matching.map(|(m, c, cal)| PropensityMatching {
        caliper_sd: c,
        caliper: cal,
        pairs: m
            .pairs
            .iter()
            .map(|p| MatchedPatients {
                treated: id(p.treated),
                comparator: id(p.comparator),
                distance: p.distance,
            })
            .collect(),
        unmatched_treated: m.unmatched_treated.iter().map(|&i| id(i)).collect(),
    });
    let unit_records = (0..units.len())
        .map(|i| PropensityUnit {
            patient_id: id(i),
            treated: treated[i],
            propensity_score: ps[i],
            logit: logit[i],
            weight: weights[i],
        })
        .collect();
    Ok(Outcome::Computed(RegistryComparison {
        instrument: table.instrument.code.clone(),
        treated: options.treated.clone(),
        comparator: options.comparator.clone(),
        options: options.clone(),
        attrition,
        terms,
        propensity_model: fit,
        units: unit_records,
        effective_sample_sizes,
        balance,
        matching,
        change,
        responders,
        time_to_surgery,
    }))
}

/// What the outcome comparisons share.
struct Context<'a> {
    units: &'a [Unit],
    treated: &'a [bool],
    weights: &'a [f64],
    design: &'a [(&'a str, &'a [f64])],
    matched_rows: Option<&'a [usize]>,
    options: &'a RegistryOptions,
}

impl Context<'_> {
    /// The refusal of weighted estimates on units `idx` when a group's ESS is below the floor.
    fn ess_refusal(&self, idx: &[usize]) -> Option<crate::Refusal> {
        let ess = |g: bool| {
            let w: Vec<f64> = idx
                .iter()
                .filter(|&&i| self.treated[i] == g)
                .map(|&i| self.weights[i])
                .collect();
            effective_sample_size(&w)
        };
        let (e1, e0) = (ess(true), ess(false));
        (e1 < self.options.ess_floor || e0 < self.options.ess_floor).then(|| {
            crate::Refusal::new(
                RefusalReason::TooFewObservations,
                format!(
                    "effective sample sizes {e1:.1} (treated) and {e0:.1} (comparator) under \
                     the weights; the floor is {}",
                    self.options.ess_floor
                ),
            )
        })
    }

    /// `svyglm(y ~ treated [+ covariates])` on units `idx` with weights `w`; the treated
    /// coefficient's fit.
    fn fit(
        &self,
        y: &[f64],
        idx: &[usize],
        w: &[f64],
        with_covariates: bool,
    ) -> Result<Outcome<WeightedRegression>> {
        let t: Vec<f64> = idx
            .iter()
            .map(|&i| f64::from(u8::from(self.treated[i])))
            .collect();
        let mut cols: Vec<Vec<f64>> = vec![t];
        let mut names: Vec<&str> = vec!["treated"];
        if with_covariates {
            for (name, col) in self.design {
                names.push(name);
                cols.push(idx.iter().map(|&i| col[i]).collect());
            }
        }
        let design: Vec<(&str, &[f64])> = names
            .iter()
            .copied()
            .zip(cols.iter().map(Vec::as_slice))
            .collect();
        weighted_regression(y, &design, w, self.options.confidence_level)
    }
}

/// The treated coefficient of a fit.
fn treated_effect(fit: Outcome<WeightedRegression>, label: &str) -> Outcome<Estimate> {
    fit.map(|f| {
        let mut e = f.coefficients[1].clone();
        e.label = label.to_string();
        e
    })
}

/// Change from baseline at visit `v`, by method.
fn change_effects(table: &WideTable, v: usize, ctx: &Context<'_>) -> Result<ChangeEffects> {
    let idx: Vec<usize> = (0..ctx.units.len())
        .filter(|&i| table.change(ctx.units[i].row, v).is_some())
        .collect();
    let y: Vec<f64> = idx
        .iter()
        .filter_map(|&i| table.change(ctx.units[i].row, v))
        .collect();
    let n_treated = idx.iter().filter(|&&i| ctx.treated[i]).count();
    let n_comparator = idx.len() - n_treated;
    let ones = vec![1.0; idx.len()];
    let w: Vec<f64> = idx.iter().map(|&i| ctx.weights[i]).collect();
    let label = "change difference";
    let unweighted = treated_effect(ctx.fit(&y, &idx, &ones, false)?, label);
    let (weighted, doubly_robust) = match ctx.ess_refusal(&idx) {
        Some(r) => (Outcome::Refused(r.clone()), Outcome::Refused(r)),
        None => (
            treated_effect(ctx.fit(&y, &idx, &w, false)?, label),
            treated_effect(ctx.fit(&y, &idx, &w, true)?, label),
        ),
    };
    let matched = match ctx.matched_rows {
        Some(m) => {
            let wm: Vec<f64> = idx
                .iter()
                .map(|i| f64::from(u8::from(m.binary_search(i).is_ok())))
                .collect();
            Some(treated_effect(ctx.fit(&y, &idx, &wm, false)?, label))
        }
        None => None,
    };
    Ok(ChangeEffects {
        visit: table.visits[v].clone(),
        n_treated,
        n_comparator,
        unweighted,
        weighted,
        doubly_robust,
        matched,
    })
}

/// Responders at visit `v`: observed cases under the treatment policy.
fn responder_effects(
    cohort: &Cohort,
    table: &WideTable,
    v: usize,
    ctx: &Context<'_>,
) -> Result<ResponderEffects> {
    let options = ResponderAnalysisOptions::default()
        .with_missing(MissingPolicy::ObservedCases)
        .with_intercurrent(IntercurrentStrategy::TreatmentPolicy);
    let responses = patient_responses(cohort, table, ctx.options.rule, v, &options)?;
    let idx: Vec<usize> = (0..ctx.units.len())
        .filter(|&i| responses.get(ctx.units[i].row).copied().flatten().is_some())
        .collect();
    let y: Vec<f64> = idx
        .iter()
        .map(|&i| {
            f64::from(u8::from(
                responses
                    .get(ctx.units[i].row)
                    .copied()
                    .flatten()
                    .unwrap_or(false),
            ))
        })
        .collect();
    let n_treated = idx.iter().filter(|&&i| ctx.treated[i]).count();
    let ones = vec![1.0; idx.len()];
    let w: Vec<f64> = idx.iter().map(|&i| ctx.weights[i]).collect();
    let level = ctx.options.confidence_level;
    let unweighted = rates(ctx.fit(&y, &idx, &ones, false)?, level)?;
    let weighted = match ctx.ess_refusal(&idx) {
        Some(r) => Outcome::Refused(r),
        None => rates(ctx.fit(&y, &idx, &w, false)?, level)?,
    };
    Ok(ResponderEffects {
        rule: ctx.options.rule.label(),
        n_treated,
        n_comparator: idx.len() - n_treated,
        unweighted,
        weighted,
    })
}

/// Time to surgery among the units: Cox of the treated indicator, robust SE, with unit weights
/// and with the balancing weights (units of weight 0, trimmed, left out).
fn surgery_effects(
    cohort: &Cohort,
    table: &WideTable,
    ctx: &Context<'_>,
) -> Result<SurgeryEffects> {
    let data = cohort.time_to_event(EventEndpoint::Surgery)?;
    let mut unit_of = vec![None; cohort.n_patients()];
    for (i, u) in ctx.units.iter().enumerate() {
        if let Some(slot) = unit_of.get_mut(table.patients[u.row]) {
            *slot = Some(i);
        }
    }
    let mut time = Vec::new();
    let mut status = Vec::new();
    let mut idx = Vec::new();
    for (k, &p) in data.patients.iter().enumerate() {
        if let Some(i) = unit_of.get(p).copied().flatten() {
            time.push(data.time[k]);
            status.push(if data.end[k].is_event() {
                Status::Event
            } else {
                Status::Censored
            });
            idx.push(i);
        }
    }
    let events = status.iter().filter(|s| s.is_event()).count();
    let fit = |keep: &dyn Fn(usize) -> bool, weighted: bool| -> Result<Outcome<CoxCoefficient>> {
        let rows: Vec<usize> = (0..idx.len()).filter(|&k| keep(idx[k])).collect();
        let t: Vec<f64> = rows.iter().map(|&k| time[k]).collect();
        let s: Vec<Status> = rows.iter().map(|&k| status[k]).collect();
        let x: Vec<f64> = rows
            .iter()
            .map(|&k| f64::from(u8::from(ctx.treated[idx[k]])))
            .collect();
        let x = nalgebra::DMatrix::from_column_slice(rows.len(), 1, &x);
        if rows.is_empty() {
            return Ok(refuse(
                RefusalReason::EmptyGroup,
                "no patient with follow-up",
            ));
        }
        let mut d = CoxData::new(&t, &s, &x)?.with_names(&["treated"])?;
        if weighted {
            let w: Vec<f64> = rows.iter().map(|&k| ctx.weights[idx[k]]).collect();
            d = d.with_weights(&w)?;
        }
        let options = CoxOptions::default()
            .with_variance(CoxVariance::Robust)
            .with_confidence_level(ctx.options.confidence_level);
        Ok(cox_ph(&d, &options)?.map(|f| f.coefficients[0].clone()))
    };
    let unweighted = fit(&|_| true, false)?;
    let positive: Vec<usize> = (0..ctx.units.len())
        .filter(|&i| ctx.weights[i] > 0.0)
        .collect();
    let weighted = match ctx.ess_refusal(&positive) {
        Some(r) => Outcome::Refused(r),
        None => fit(&|i| ctx.weights[i] > 0.0, true)?,
    };
    let frequency = if (events as f64) < 0.15 * idx.len() as f64 {
        OutcomeFrequency::Rare
    } else {
        OutcomeFrequency::Common
    };
    let e_value = weighted.computed().and_then(|c| {
        let ci = c.confidence_interval;
        e_value_hazard_ratio(c.hazard_ratio, ci.lower, ci.upper, frequency).ok()
    });
    let km = |g: bool, weighted: bool, day: f64| -> Result<f64> {
        let rows: Vec<usize> = (0..idx.len())
            .filter(|&k| ctx.treated[idx[k]] == g && ctx.weights[idx[k]] > 0.0)
            .collect();
        let t: Vec<f64> = rows.iter().map(|&k| time[k]).collect();
        let s: Vec<Status> = rows.iter().map(|&k| status[k]).collect();
        let w: Vec<f64> = rows
            .iter()
            .map(|&k| if weighted { ctx.weights[idx[k]] } else { 1.0 })
            .collect();
        Ok(weighted_survival_at(&t, &s, &w, &[day])?
            .first()
            .copied()
            .unwrap_or(1.0))
    };
    let mut survival = Vec::new();
    for day in [180.0, 365.0] {
        survival.push(SurgeryFreeAt {
            day,
            treated: km(true, false, day)?,
            comparator: km(false, false, day)?,
            treated_weighted: km(true, true, day)?,
            comparator_weighted: km(false, true, day)?,
        });
    }
    Ok(SurgeryEffects {
        n: idx.len(),
        events,
        unweighted,
        weighted,
        survival,
        e_value,
    })
}

/// Rates, RD, RR (delta method on the robust covariance) and the E-value of a linear
/// probability fit `response ~ treated`.
fn rates(fit: Outcome<WeightedRegression>, level: f64) -> Result<Outcome<ResponderRates>> {
    let f = match fit {
        Outcome::Computed(f) => f,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let p0 = f.coefficients[0].estimate;
    let rd = f.coefficients[1].clone();
    let p1 = p0 + rd.estimate;
    if p0 <= 0.0 || p1 <= 0.0 {
        return Ok(refuse(
            RefusalReason::NoResponders,
            "a group has no responders: the risk ratio is undefined",
        ));
    }
    let v = &f.covariance;
    // log RR = log(b0 + b1) − log(b0): gradient (1/p1 − 1/p0, 1/p1)
    let g0 = 1.0 / p1 - 1.0 / p0;
    let g1 = 1.0 / p1;
    let var = g0 * g0 * v[0][0] + 2.0 * g0 * g1 * v[0][1] + g1 * g1 * v[1][1];
    let se = var.max(0.0).sqrt();
    // the t quantile of `confint` on a svyglm fit (df = n − p)
    let q = match rd.df {
        Some(df) => dist::t_quantile(0.5 + level / 2.0, df),
        None => dist::normal_quantile(0.5 + level / 2.0),
    };
    let log_rr = (p1 / p0).ln();
    let interval = ConfidenceInterval {
        lower: (log_rr - q * se).exp(),
        upper: (log_rr + q * se).exp(),
        level,
    };
    let e = e_value(p1 / p0, interval.lower, interval.upper).ok();
    let mut risk_difference = rd;
    risk_difference.label = "risk difference".into();
    Ok(Outcome::Computed(ResponderRates {
        rate_treated: p1,
        rate_comparator: p0,
        risk_difference,
        risk_ratio: p1 / p0,
        risk_ratio_interval: interval,
        e_value: e,
    }))
}

/// The refusal when the groups' propensity scores do not overlap.
fn no_overlap(ps: &[f64], treated: &[bool]) -> Option<crate::Refusal> {
    let range = |g: bool| {
        ps.iter()
            .zip(treated)
            .filter(|(_, t)| **t == g)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (p, _)| {
                (lo.min(*p), hi.max(*p))
            })
    };
    let (lo1, hi1) = range(true);
    let (lo0, hi0) = range(false);
    (hi0 < lo1 || hi1 < lo0).then(|| {
        crate::Refusal::new(
            RefusalReason::NotEstimable,
            format!(
                "no overlap: treated propensity scores lie in [{lo1:.4}, {hi1:.4}], comparator \
                 scores in [{lo0:.4}, {hi0:.4}]"
            ),
        )
    })
}

/// The inverse logit.
fn expit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Sample standard deviation (denominator n − 1; 0 for fewer than two values).
fn sample_sd(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// The standardised difference of one term between an arm and the reference arm at baseline.
///
/// # Examples
///
/// ```
/// let s = pain_outcomes::analysis::BaselineSmd { term: "age".into(), smd: 0.3 };
/// assert!(s.smd > 0.1);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineSmd {
    /// Design term.
    pub term: String,
    /// Arm minus reference, over Austin's denominator.
    pub smd: f64,
}

/// One arm's baseline differences from the reference arm.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{ArmBaselineBalance, BaselineSmd};
/// let a = ArmBaselineBalance { arm: "prp".into(), n: 40, n_reference: 38,
///     smds: vec![BaselineSmd { term: "age".into(), smd: -0.2 }] };
/// assert_eq!(a.max_abs_smd(), 0.2);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmBaselineBalance {
    /// The arm.
    pub arm: String,
    /// Its patients with every covariate.
    pub n: usize,
    /// The reference arm's.
    pub n_reference: usize,
    /// One SMD per term (empty when either arm has fewer than two patients).
    pub smds: Vec<BaselineSmd>,
}

impl ArmBaselineBalance {
    /// The largest |SMD|.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = pain_outcomes::analysis::ArmBaselineBalance { arm: "x".into(), n: 0, n_reference: 0, smds: vec![] };
    /// assert_eq!(a.max_abs_smd(), 0.0);
    /// ```
    pub fn max_abs_smd(&self) -> f64 {
        self.smds.iter().map(|s| s.smd.abs()).fold(0.0, f64::max)
    }
}

/// Baseline comparability of the arms: each arm against the reference arm, the standardised
/// mean differences of the patient covariates and the baseline score.
///
/// # Examples
///
/// See [`baseline_balance`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineBalance {
    /// The reference arm.
    pub reference_arm: String,
    /// The threshold on |SMD|.
    pub threshold: f64,
    /// Covariates no patient has, left out.
    pub skipped: Vec<String>,
    /// Each other arm.
    pub arms: Vec<ArmBaselineBalance>,
}

impl BaselineBalance {
    /// Whether some arm differs from the reference by more than the threshold on some term:
    /// then raw comparisons of the arms are confounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = pain_outcomes::analysis::BaselineBalance { reference_arm: "placebo".into(), threshold: 0.1, skipped: vec![], arms: vec![] };
    /// assert!(!b.imbalanced());
    /// ```
    pub fn imbalanced(&self) -> bool {
        self.arms.iter().any(|a| a.max_abs_smd() > self.threshold)
    }
}

/// The baseline SMDs (Austin 2009) of every arm against the reference arm, on `covariates`
/// (patients with every covariate; covariates that no patient has are skipped and listed).
///
/// # Errors
///
/// [`Error::InvalidArgument`] for an unknown reference arm, a bad threshold or `table` not
/// from `cohort`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{baseline_balance, RegistryOptions};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = pain_outcomes::data::CsvFiles::new(format!("{dir}tendinopathy_registry.csv"));
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let covariates = RegistryOptions::new("a", "b").covariates;
/// let b = baseline_balance(&cohort, &wide, &covariates, Some("corticosteroid"), 0.1)?;
/// assert!(b.imbalanced()); // a registry: the arms differed at baseline
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn baseline_balance(
    cohort: &Cohort,
    table: &WideTable,
    covariates: &[PropensityCovariate],
    reference_arm: Option<&str>,
    threshold: f64,
) -> Result<BaselineBalance> {
    let patients = cohort.patients();
    if table.patients.iter().any(|&p| p >= patients.len()) {
        return Err(Error::invalid_argument(
            "table",
            "does not come from this cohort",
        ));
    }
    if !(threshold > 0.0 && threshold.is_finite()) {
        return Err(Error::invalid_argument(
            "threshold",
            format!("must be positive, got {threshold}"),
        ));
    }
    let reference = super::arms::reference_arm(&table.arms, reference_arm)?;
    let r = table.arms.iter().position(|a| *a == reference).unwrap_or(0);
    let (mut kept, mut skipped) = (Vec::new(), Vec::new());
    for c in covariates {
        let present = match c {
            PropensityCovariate::Baseline => table.baseline.iter().any(Option::is_some),
            PropensityCovariate::Patient(c) => patients.iter().any(|p| c.value(p).is_some()),
        };
        if present {
            kept.push(c.clone());
        } else {
            skipped.push(c.name().to_string());
        }
    }
    let value = |c: &PropensityCovariate, row: usize| match c {
        PropensityCovariate::Patient(c) => c.value(&patients[table.patients[row]]),
        PropensityCovariate::Baseline => table
            .baseline
            .get(row)
            .copied()
            .flatten()
            .map(|b| (b, String::new())),
    };
    let mut arms = Vec::new();
    for (a, arm) in table.arms.iter().enumerate() {
        if a == r {
            continue;
        }
        let mut rows: Vec<(bool, Vec<(f64, String)>)> = Vec::new();
        for row in 0..table.n_patients() {
            let g = table.arm[row] as usize;
            if g != a && g != r {
                continue;
            }
            let values: Option<Vec<(f64, String)>> = kept.iter().map(|c| value(c, row)).collect();
            if let Some(values) = values {
                rows.push((g == a, values));
            }
        }
        let treated: Vec<bool> = rows.iter().map(|(t, _)| *t).collect();
        let n = treated.iter().filter(|t| **t).count();
        let n_reference = treated.len() - n;
        let mut smds = Vec::new();
        if n >= 2 && n_reference >= 2 {
            for (j, c) in kept.iter().enumerate() {
                let coding = match c {
                    PropensityCovariate::Patient(c) => {
                        Coding::of(c, patients, rows.iter().map(|(_, v)| v[j].1.as_str()))
                    }
                    PropensityCovariate::Baseline => Coding::Linear,
                };
                let kind = match coding {
                    Coding::Linear => CovariateKind::Continuous,
                    Coding::Levels(_) => CovariateKind::Binary,
                };
                let terms = coding.terms(c.name());
                let columns = coding.columns(rows.iter().map(|(_, v)| Some(&v[j])));
                for (term, x) in terms.into_iter().zip(columns) {
                    let b = covariate_balance(&x, &treated, None, kind)?;
                    smds.push(BaselineSmd { term, smd: b.smd });
                }
            }
        }
        arms.push(ArmBaselineBalance {
            arm: arm.clone(),
            n,
            n_reference,
            smds,
        });
    }
    Ok(BaselineBalance {
        reference_arm: reference,
        threshold,
        skipped,
        arms,
    })
}

/// The design columns of `covariates` for units with `values` (one entry per covariate):
/// term names, columns and whether each is continuous or an indicator.
fn design_columns(
    covariates: &[PropensityCovariate],
    patients: &[crate::domain::Patient],
    values: &[&[(f64, String)]],
) -> (Vec<String>, Vec<Vec<f64>>, Vec<CovariateKind>) {
    let mut terms: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut kinds: Vec<CovariateKind> = Vec::new();
    for (j, c) in covariates.iter().enumerate() {
        let coding = match c {
            PropensityCovariate::Patient(c) => {
                Coding::of(c, patients, values.iter().map(|v| v[j].1.as_str()))
            }
            PropensityCovariate::Baseline => Coding::Linear,
        };
        let kind = match coding {
            Coding::Linear => CovariateKind::Continuous,
            Coding::Levels(_) => CovariateKind::Binary,
        };
        let t = coding.terms(c.name());
        kinds.extend(std::iter::repeat_n(kind, t.len()));
        terms.extend(t);
        columns.extend(coding.columns(values.iter().map(|v| Some(&v[j]))));
    }
    (terms, columns, kinds)
}

/// One patient's generalised propensity weight.
///
/// # Examples
///
/// ```
/// let u = pain_outcomes::analysis::GeneralisedUnit { patient_id: "P1".into(), group: "prp".into(), probability: 0.25, weight: 4.0 };
/// assert_eq!(u.weight, 1.0 / u.probability);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeneralisedUnit {
    /// Patient identifier.
    pub patient_id: String,
    /// The patient's group.
    pub group: String,
    /// Fitted probability of the patient's own group.
    pub probability: f64,
    /// ATE weight `1 / probability`.
    pub weight: f64,
}

/// Size and Kish effective size of one group under the generalised weights.
///
/// # Examples
///
/// ```
/// let g = pain_outcomes::analysis::GroupSize { group: "prp".into(), n: 100, ess: 80.0 };
/// assert!(g.ess <= g.n as f64);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupSize {
    /// The group.
    pub group: String,
    /// Patients.
    pub n: usize,
    /// `(Σw)²/Σw²`.
    pub ess: f64,
}

/// The generalised propensity score of three or more therapies (multinomial logistic
/// regression) with ATE weights `1/P(T = own group | X)`.
///
/// # Examples
///
/// See [`generalised_propensity`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeneralisedPropensity {
    /// The groups; the first is the reference category of the model.
    pub groups: Vec<String>,
    /// Design terms.
    pub terms: Vec<String>,
    /// Who entered (arms: the groups) and who was left out.
    pub attrition: Attrition,
    /// The model (`nnet::multinom(group ~ terms)`).
    pub model: crate::stats::multinomial::MultinomialFit,
    /// Each patient's probability and weight.
    pub units: Vec<GeneralisedUnit>,
    /// Sizes and effective sizes.
    pub sizes: Vec<GroupSize>,
}

/// The generalised propensity score of `groups` (arm labels or therapies; two or more) on
/// `covariates`, with inverse-probability (ATE) weights and Kish ESS per group.
///
/// # References
///
/// Imbens, G. W. (2000). *Biometrika* 87, 706–710. McCaffrey, D. F. et al. (2013). A tutorial
/// on propensity score estimation for multiple treatments using generalized boosted models.
/// *Stat Med* 32, 3388–3414.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for fewer than two groups, a group no patient is in, a repeated
/// group, an unknown covariate, or `table` not from `cohort`.
///
/// Refuses an empty group, separation and a model that does not converge.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{generalised_propensity, RegistryOptions};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = pain_outcomes::data::CsvFiles::new(format!("{dir}tendinopathy_registry.csv"));
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let groups = ["corticosteroid".to_string(), "prp".into(), "stem_cell".into()];
/// let covariates = RegistryOptions::new("a", "b").covariates;
/// let g = generalised_propensity(&cohort, &wide, &groups, &covariates)?.into_result().unwrap();
/// assert_eq!(g.model.coefficients.len(), 2);
/// assert!(g.sizes.iter().all(|s| s.ess <= s.n as f64));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn generalised_propensity(
    cohort: &Cohort,
    table: &WideTable,
    groups: &[String],
    covariates: &[PropensityCovariate],
) -> Result<Outcome<GeneralisedPropensity>> {
    let patients = cohort.patients();
    if table.patients.iter().any(|&p| p >= patients.len()) {
        return Err(Error::invalid_argument(
            "table",
            "does not come from this cohort",
        ));
    }
    if groups.len() < 2 {
        return Err(Error::invalid_argument(
            "groups",
            "name at least two groups",
        ));
    }
    for (i, g) in groups.iter().enumerate() {
        if groups[..i].contains(g) {
            return Err(Error::invalid_argument(
                "groups",
                format!("`{g}` is listed twice"),
            ));
        }
    }
    let patient_covariates: Vec<Covariate> = covariates
        .iter()
        .filter_map(|c| match c {
            PropensityCovariate::Patient(c) => Some(c.clone()),
            PropensityCovariate::Baseline => None,
        })
        .collect();
    check_covariates(&patient_covariates, patients)?;
    let group_of = |row: usize| -> Option<usize> {
        let p = &patients[table.patients[row]];
        let arm = table.arms.get(table.arm[row] as usize).map(String::as_str);
        let therapy = p.therapy.to_string();
        groups
            .iter()
            .position(|g| Some(g.as_str()) == arm || *g == therapy)
    };
    for (k, g) in groups.iter().enumerate() {
        if !(0..table.n_patients()).any(|row| group_of(row) == Some(k)) {
            let mut known: Vec<String> = table.arms.clone();
            known.extend(patients.iter().map(|p| p.therapy.to_string()));
            known.sort();
            known.dedup();
            return Err(Error::invalid_argument(
                "groups",
                format!(
                    "no patient is in `{g}`; arms and therapies: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    let mut attrition = Attrition::new(groups);
    let mut rows = Vec::new();
    let mut values: Vec<Vec<(f64, String)>> = Vec::new();
    for row in 0..table.n_patients() {
        let Some(g) = group_of(row) else { continue };
        let patient = &patients[table.patients[row]];
        let v: Option<Vec<(f64, String)>> = covariates
            .iter()
            .map(|c| match c {
                PropensityCovariate::Patient(c) => c.value(patient),
                PropensityCovariate::Baseline => table
                    .baseline
                    .get(row)
                    .copied()
                    .flatten()
                    .map(|b| (b, String::new())),
            })
            .collect();
        match v {
            Some(v) => {
                attrition.analysed(g);
                rows.push((row, g));
                values.push(v);
            }
            None => attrition.exclude(g, ExclusionReason::MissingCovariate),
        }
    }
    let slices: Vec<&[(f64, String)]> = values.iter().map(Vec::as_slice).collect();
    let (terms, columns, _) = design_columns(covariates, patients, &slices);
    let design: Vec<(&str, &[f64])> = terms
        .iter()
        .map(String::as_str)
        .zip(columns.iter().map(Vec::as_slice))
        .collect();
    let y: Vec<usize> = rows.iter().map(|(_, g)| *g).collect();
    let model = match crate::stats::multinomial::multinomial_logistic(&y, groups.len(), &design)? {
        Outcome::Computed(m) => m,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let units: Vec<GeneralisedUnit> = rows
        .iter()
        .zip(&model.probabilities)
        .map(|((row, g), probs)| {
            let probability = probs[*g];
            GeneralisedUnit {
                patient_id: patients[table.patients[*row]].id.as_str().to_string(),
                group: groups[*g].clone(),
                probability,
                weight: 1.0 / probability,
            }
        })
        .collect();
    let sizes = groups
        .iter()
        .map(|g| {
            let w: Vec<f64> = units
                .iter()
                .filter(|u| u.group == *g)
                .map(|u| u.weight)
                .collect();
            GroupSize {
                group: g.clone(),
                n: w.len(),
                ess: effective_sample_size(&w),
            }
        })
        .collect();
    Ok(Outcome::Computed(GeneralisedPropensity {
        groups: groups.to_vec(),
        terms,
        attrition,
        model,
        units,
        sizes,
    }))
}
