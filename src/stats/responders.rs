//! Responder analyses: rules as values (IMMPACT percent reduction, absolute change of at least
//! the MCID, OMERACT-OARSI), an explicit missing-data policy, rates with Wilson intervals and
//! between-arm contrasts (risk difference, relative risk, odds ratio, NNT).
//!
//! Every rule works in the instrument's own [`Direction`]: "improvement" is always positive when
//! the patient got better.

pub use crate::domain::Direction;
use crate::stats::describe::check_level;
use crate::stats::hypothesis::{ContinuityCorrection, fisher_exact_p_value, wilson_interval};
use crate::stats::{ConfidenceInterval, Proportion};
use crate::stats::{Outcome, RefusalReason, dist, refuse};
use crate::{Error, Result};
use std::fmt;

/// What a responder rule measures.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::ResponderCriterion;
/// let c = ResponderCriterion::PercentImprovement { percent: 30.0 };
/// assert_ne!(c, ResponderCriterion::AbsoluteImprovement { points: 2.0 });
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponderCriterion {
    /// Improvement of at least `percent` % of the baseline's distance from the best score.
    PercentImprovement {
        /// Threshold in percent (e.g. 30).
        percent: f64,
    },
    /// Improvement of at least `points` scale units (e.g. the instrument's MCID).
    AbsoluteImprovement {
        /// Threshold in scale units.
        points: f64,
    },
}

/// A responder rule: criterion, the instrument's direction and its best possible score.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::{ResponderRule, Direction};
/// let rule = ResponderRule::immpact_30_percent();
/// assert_eq!(rule.evaluate(Some(8.0), Some(5.0)).is_responder(), Some(true)); // 37.5 %
/// let koos = ResponderRule::absolute_improvement(10.0).with_direction(Direction::HigherIsBetter, 100.0);
/// assert_eq!(koos.evaluate(Some(40.0), Some(48.0)).is_responder(), Some(false));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderRule {
    /// What is measured.
    pub criterion: ResponderCriterion,
    /// Which way is better on the instrument.
    pub direction: Direction,
    /// Best possible score (0 for NRS/VAS/WOMAC; 100 for KOOS); percent improvement is relative
    /// to the baseline's distance from it.
    pub best_score: f64,
}

impl ResponderRule {
    /// IMMPACT moderately important improvement: pain reduced by at least 30 % (0–10 NRS, lower
    /// is better).
    ///
    /// # References
    ///
    /// Dworkin, R. H. et al. (2008). Interpreting the clinical importance of treatment outcomes
    /// in chronic pain clinical trials: IMMPACT recommendations. *J Pain* 9, 105–121.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = pain_outcomes::stats::responders::ResponderRule::immpact_30_percent();
    /// assert_eq!(r.evaluate(Some(10.0), Some(7.0)).is_responder(), Some(true));
    /// ```
    pub fn immpact_30_percent() -> Self {
        Self::percent_improvement(30.0)
    }

    /// IMMPACT substantially important improvement: at least 50 % reduction.
    ///
    /// # References
    ///
    /// Dworkin, R. H. et al. (2008). *J Pain* 9, 105–121.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = pain_outcomes::stats::responders::ResponderRule::immpact_50_percent();
    /// assert_eq!(r.evaluate(Some(8.0), Some(5.0)).is_responder(), Some(false));
    /// ```
    pub fn immpact_50_percent() -> Self {
        Self::percent_improvement(50.0)
    }

    /// Improvement of at least `percent` % (lower is better, best score 0 by default).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = pain_outcomes::stats::responders::ResponderRule::percent_improvement(20.0);
    /// assert_eq!(r.evaluate(Some(5.0), Some(4.0)).is_responder(), Some(true));
    /// ```
    pub fn percent_improvement(percent: f64) -> Self {
        Self {
            criterion: ResponderCriterion::PercentImprovement { percent },
            direction: Direction::LowerIsBetter,
            best_score: 0.0,
        }
    }

    /// Improvement of at least `points` units, e.g. the instrument's MCID (lower is better by
    /// default).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = pain_outcomes::stats::responders::ResponderRule::absolute_improvement(2.0);
    /// assert_eq!(r.evaluate(Some(6.0), Some(4.0)).is_responder(), Some(true));
    /// ```
    #[doc(alias = "MCID")]
    pub fn absolute_improvement(points: f64) -> Self {
        Self {
            criterion: ResponderCriterion::AbsoluteImprovement { points },
            direction: Direction::LowerIsBetter,
            best_score: 0.0,
        }
    }

    /// Sets the direction and the best possible score of the instrument.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::responders::{Direction, ResponderRule};
    /// let r = ResponderRule::immpact_30_percent().with_direction(Direction::HigherIsBetter, 100.0);
    /// // KOOS 40 -> 60: 20 of the 60 points to the best score = 33 %
    /// assert_eq!(r.evaluate(Some(40.0), Some(60.0)).is_responder(), Some(true));
    /// ```
    pub fn with_direction(mut self, direction: Direction, best_score: f64) -> Self {
        self.direction = direction;
        self.best_score = best_score;
        self
    }

    /// Evaluates one patient.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::responders::{Evaluation, ResponderRule};
    /// let r = ResponderRule::immpact_30_percent();
    /// assert_eq!(r.evaluate(None, Some(3.0)), Evaluation::Missing);
    /// assert_eq!(r.evaluate(Some(0.0), Some(0.0)), Evaluation::NotEvaluable);
    /// ```
    pub fn evaluate(&self, baseline: Option<f64>, follow_up: Option<f64>) -> Evaluation {
        let (Some(b), Some(y)) = (baseline, follow_up) else {
            return Evaluation::Missing;
        };
        let improvement = self.direction.improvement(b, y);
        let met = match self.criterion {
            ResponderCriterion::AbsoluteImprovement { points } => improvement >= points - 1e-12,
            ResponderCriterion::PercentImprovement { percent } => {
                let room = (b - self.best_score).abs();
                if room == 0.0 {
                    return Evaluation::NotEvaluable;
                }
                100.0 * improvement / room >= percent - 1e-9
            }
        };
        if met {
            Evaluation::Responder
        } else {
            Evaluation::NonResponder
        }
    }
}

/// The evaluation of one patient under a rule.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::Evaluation;
/// assert_eq!(Evaluation::Responder.is_responder(), Some(true));
/// assert_eq!(Evaluation::Missing.is_responder(), None);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// Meets the rule.
    Responder,
    /// Does not meet the rule.
    NonResponder,
    /// Baseline or follow-up is missing.
    Missing,
    /// Percent improvement undefined: the baseline is already the best score.
    NotEvaluable,
}

impl Evaluation {
    /// `Some(true/false)` when evaluated, `None` when missing or not evaluable.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::responders::Evaluation::NonResponder.is_responder(), Some(false));
    /// ```
    pub fn is_responder(self) -> Option<bool> {
        match self {
            Evaluation::Responder => Some(true),
            Evaluation::NonResponder => Some(false),
            Evaluation::Missing | Evaluation::NotEvaluable => None,
        }
    }
}

/// One OMERACT-OARSI domain of a patient, on its instrument's scale.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::{Direction, OarsiDomain};
/// let pain = OarsiDomain { baseline: 7.0, follow_up: 3.0, min: 0.0, max: 10.0, direction: Direction::LowerIsBetter };
/// assert!((pain.rescaled_improvement() - 40.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OarsiDomain {
    /// Baseline score.
    pub baseline: f64,
    /// Follow-up score.
    pub follow_up: f64,
    /// Scale minimum.
    pub min: f64,
    /// Scale maximum.
    pub max: f64,
    /// Which way is better.
    pub direction: Direction,
}

impl OarsiDomain {
    /// Score rescaled to 0–100 with 0 the best state.
    fn rescaled(&self, v: f64) -> f64 {
        let span = self.max - self.min;
        match self.direction {
            Direction::LowerIsBetter => 100.0 * (v - self.min) / span,
            Direction::HigherIsBetter => 100.0 * (self.max - v) / span,
        }
    }

    /// Absolute improvement on the 0–100 rescaled scale.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::responders::{Direction, OarsiDomain};
    /// let koos = OarsiDomain { baseline: 40.0, follow_up: 70.0, min: 0.0, max: 100.0, direction: Direction::HigherIsBetter };
    /// assert!((koos.rescaled_improvement() - 30.0).abs() < 1e-12);
    /// ```
    pub fn rescaled_improvement(&self) -> f64 {
        self.rescaled(self.baseline) - self.rescaled(self.follow_up)
    }

    /// Relative improvement in % of the rescaled baseline (0 when the baseline is the best
    /// state).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::responders::{Direction, OarsiDomain};
    /// let p = OarsiDomain { baseline: 8.0, follow_up: 4.0, min: 0.0, max: 10.0, direction: Direction::LowerIsBetter };
    /// assert!((p.relative_improvement() - 50.0).abs() < 1e-12);
    /// ```
    pub fn relative_improvement(&self) -> f64 {
        let b = self.rescaled(self.baseline);
        if b <= 0.0 {
            0.0
        } else {
            100.0 * self.rescaled_improvement() / b
        }
    }

    fn meets(&self, percent: f64, points: f64) -> bool {
        self.relative_improvement() >= percent - 1e-9
            && self.rescaled_improvement() >= points - 1e-9
    }
}

/// OMERACT-OARSI simplified responder criteria (pain, function, patient global, each rescaled
/// 0–100).
///
/// # Formula
///
/// Responder if pain or function improves by ≥ 50 % and ≥ 20 points; or if at least two of
/// pain, function and patient global improve by ≥ 20 % and ≥ 10 points.
///
/// # References
///
/// Pham, T. et al. (2004). OMERACT-OARSI initiative: Osteoarthritis Research Society
/// International set of responder criteria for osteoarthritis clinical trials revisited.
/// *Osteoarthritis Cartilage* 12, 389–399.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when a scale has `max <= min` or a score is not finite.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::{omeract_oarsi_responder, Direction, OarsiDomain};
/// let d = |b, f| OarsiDomain { baseline: b, follow_up: f, min: 0.0, max: 100.0, direction: Direction::LowerIsBetter };
/// assert!(omeract_oarsi_responder(&d(60.0, 25.0), &d(50.0, 48.0), &d(50.0, 50.0)).unwrap());
/// assert!(omeract_oarsi_responder(&d(60.0, 45.0), &d(50.0, 38.0), &d(50.0, 50.0)).unwrap());
/// assert!(!omeract_oarsi_responder(&d(60.0, 45.0), &d(50.0, 48.0), &d(50.0, 50.0)).unwrap());
/// ```
pub fn omeract_oarsi_responder(
    pain: &OarsiDomain,
    function: &OarsiDomain,
    patient_global: &OarsiDomain,
) -> Result<bool> {
    for (name, d) in [
        ("pain", pain),
        ("function", function),
        ("patient_global", patient_global),
    ] {
        if d.max.partial_cmp(&d.min) != Some(std::cmp::Ordering::Greater)
            || !d.baseline.is_finite()
            || !d.follow_up.is_finite()
        {
            return Err(Error::invalid_argument(
                name,
                "scale needs max > min and finite scores",
            ));
        }
    }
    if pain.meets(50.0, 20.0) || function.meets(50.0, 20.0) {
        return Ok(true);
    }
    let count = [pain, function, patient_global]
        .iter()
        .filter(|d| d.meets(20.0, 10.0))
        .count();
    Ok(count >= 2)
}

/// Handling of patients without an evaluable response.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::MissingPolicy;
/// assert_eq!(MissingPolicy::default(), MissingPolicy::NonResponderImputation);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Analyse only patients with an evaluable response (the denominator shrinks).
    ObservedCases,
    /// Count every patient without an evaluable response as a non-responder.
    #[default]
    NonResponderImputation,
}

/// Handling of intercurrent events (surgery, rescue medication).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::IntercurrentStrategy;
/// assert_eq!(IntercurrentStrategy::default(), IntercurrentStrategy::NonResponse);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntercurrentStrategy {
    /// Composite strategy (ICH E9(R1)): an intercurrent event counts as non-response.
    #[default]
    NonResponse,
    /// Treatment policy: the observed score is used regardless of the event.
    TreatmentPolicy,
}

/// Tally of responders in one arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderCounts {
    /// Number of responders.
    pub responders: u64,
    /// Denominator after the missing-data policy.
    pub analysed: u64,
    /// Patients excluded (observed-cases policy).
    pub excluded: u64,
    /// Patients imputed as non-responders (missing, not evaluable, or an intercurrent event).
    pub imputed_non_responders: u64,
}

impl fmt::Display for ResponderCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} responders ({} excluded, {} imputed as non-responders)",
            self.responders, self.analysed, self.excluded, self.imputed_non_responders
        )
    }
}

/// Counts responders among evaluations under the missing-data and intercurrent-event policies.
///
/// `had_intercurrent_event` is either empty (no events recorded) or one flag per patient.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `had_intercurrent_event` is neither empty nor as long as
/// `evaluations`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::*;
/// let e = [Evaluation::Responder, Evaluation::Missing, Evaluation::NonResponder, Evaluation::Responder];
/// let oc = count_responders(&e, &[false, false, false, true], MissingPolicy::ObservedCases, IntercurrentStrategy::NonResponse).unwrap();
/// assert_eq!((oc.responders, oc.analysed, oc.excluded), (1, 3, 1));
/// let nri = count_responders(&e, &[], MissingPolicy::NonResponderImputation, IntercurrentStrategy::NonResponse).unwrap();
/// assert_eq!((nri.responders, nri.analysed), (2, 4));
/// ```
pub fn count_responders(
    evaluations: &[Evaluation],
    had_intercurrent_event: &[bool],
    missing: MissingPolicy,
    intercurrent: IntercurrentStrategy,
) -> Result<ResponderCounts> {
    if !had_intercurrent_event.is_empty() && had_intercurrent_event.len() != evaluations.len() {
        return Err(Error::invalid_argument(
            "had_intercurrent_event",
            "must be empty or have one flag per patient",
        ));
    }
    let mut c = ResponderCounts {
        responders: 0,
        analysed: 0,
        excluded: 0,
        imputed_non_responders: 0,
    };
    for (i, e) in evaluations.iter().enumerate() {
        let event = had_intercurrent_event.get(i).copied().unwrap_or(false);
        if event && intercurrent == IntercurrentStrategy::NonResponse {
            c.analysed += 1;
            c.imputed_non_responders += 1;
            continue;
        }
        match e.is_responder() {
            Some(r) => {
                c.analysed += 1;
                c.responders += u64::from(r);
            }
            None => match missing {
                MissingPolicy::ObservedCases => c.excluded += 1,
                MissingPolicy::NonResponderImputation => {
                    c.analysed += 1;
                    c.imputed_non_responders += 1;
                }
            },
        }
    }
    Ok(c)
}

/// A responder rate with its Wilson score interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderRate {
    /// Responders.
    pub responders: u64,
    /// Denominator.
    pub n: u64,
    /// `responders / n`.
    pub rate: f64,
    /// Wilson score interval (no continuity correction), as `prop.test(x, n, correct = FALSE)`.
    pub confidence_interval: ConfidenceInterval,
}

impl fmt::Display for ResponderRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} = {:.4}, Wilson {}",
            self.responders, self.n, self.rate, self.confidence_interval
        )
    }
}

/// Responder rate with a Wilson score interval.
///
/// # Formula
///
/// See [`wilson_interval`].
///
/// # References
///
/// Wilson, E. B. (1927). *JASA* 22, 209–212.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `responders > n` or the level is outside (0, 1). Refuses
/// (`EmptyGroup`) when `n = 0`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::responder_rate;
/// let r = responder_rate(12, 40, 0.95).unwrap().into_result().unwrap();
/// assert!((r.rate - 0.3).abs() < 1e-15);
/// assert!(r.confidence_interval.contains(0.3));
/// ```
pub fn responder_rate(
    responders: u64,
    n: u64,
    confidence_level: f64,
) -> Result<Outcome<ResponderRate>> {
    Ok(
        wilson_interval(responders, n, confidence_level, ContinuityCorrection::None)?.map(|ci| {
            ResponderRate {
                responders,
                n,
                rate: responders as f64 / n as f64,
                confidence_interval: ci,
            }
        }),
    )
}

/// What to do with a zero cell in a relative risk or odds ratio.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::ZeroCellPolicy;
/// assert_eq!(ZeroCellPolicy::default(), ZeroCellPolicy::Refuse);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroCellPolicy {
    /// Refuse the ratio (`NotEstimable`) when a needed cell is zero.
    #[default]
    Refuse,
    /// Haldane–Anscombe correction: add 1/2 to every cell of the 2 × 2 table (only when a
    /// needed cell is zero).
    HaldaneCorrection,
}

/// Options for [`compare_responder_rates`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::{ComparisonOptions, ZeroCellPolicy};
/// let o = ComparisonOptions::default().with_zero_cells(ZeroCellPolicy::HaldaneCorrection);
/// assert_eq!(o.zero_cells, ZeroCellPolicy::HaldaneCorrection);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComparisonOptions {
    /// Confidence level (default 0.95).
    pub confidence_level: f64,
    /// Zero-cell rule for RR and OR.
    pub zero_cells: ZeroCellPolicy,
}

impl Default for ComparisonOptions {
    fn default() -> Self {
        Self {
            confidence_level: 0.95,
            zero_cells: ZeroCellPolicy::Refuse,
        }
    }
}

impl ComparisonOptions {
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::responders::ComparisonOptions::default().with_confidence_level(0.9);
    /// assert_eq!(o.confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }
    /// Sets the zero-cell rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::responders::{ComparisonOptions, ZeroCellPolicy};
    /// assert_eq!(ComparisonOptions::default().with_zero_cells(ZeroCellPolicy::Refuse).zero_cells, ZeroCellPolicy::Refuse);
    /// ```
    pub fn with_zero_cells(mut self, policy: ZeroCellPolicy) -> Self {
        self.zero_cells = policy;
        self
    }
}

/// A ratio (RR or OR) with its log-scale confidence interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RatioEstimate {
    /// Point estimate.
    pub estimate: f64,
    /// Confidence interval (exponentiated from the log scale).
    pub confidence_interval: ConfidenceInterval,
    /// Whether the Haldane–Anscombe correction was applied.
    pub haldane_corrected: bool,
}

/// Number needed to treat and its interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NumberNeededToTreat {
    /// `1 / |risk difference|`.
    pub nnt: f64,
    /// Benefit (treatment has more responders) or harm.
    pub direction: NntDirection,
    /// Interval, following Altman when the risk-difference interval includes zero.
    pub interval: NntInterval,
}

/// Whether the NNT is for benefit (NNTB) or harm (NNTH).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::NntDirection;
/// assert_ne!(NntDirection::Benefit, NntDirection::Harm);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NntDirection {
    /// More responders on treatment.
    Benefit,
    /// Fewer responders on treatment.
    Harm,
}

/// Interval for an NNT.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::NntInterval;
/// let i = NntInterval::CrossesZero { benefit_limit: 4.0, harm_limit: 12.0 };
/// assert!(i.to_string().contains("to ∞ to"));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NntInterval {
    /// The risk-difference interval excludes zero: an ordinary interval of NNTs in the
    /// estimate's direction.
    Bounded {
        /// Lower limit.
        lower: f64,
        /// Upper limit.
        upper: f64,
    },
    /// The risk-difference interval includes zero (Altman 1998): "NNTB `benefit_limit` to ∞ to
    /// NNTH `harm_limit`".
    CrossesZero {
        /// NNTB limit, `1 / upper RD limit`.
        benefit_limit: f64,
        /// NNTH limit, `1 / |lower RD limit|`.
        harm_limit: f64,
    },
}

impl fmt::Display for NntInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NntInterval::Bounded { lower, upper } => write!(f, "[{lower:.2}, {upper:.2}]"),
            NntInterval::CrossesZero {
                benefit_limit,
                harm_limit,
            } => write!(f, "NNTB {benefit_limit:.2} to ∞ to NNTH {harm_limit:.2}"),
        }
    }
}

impl NumberNeededToTreat {
    /// `NNTB` (benefit) or `NNTH` (harm), as Altman (1998) writes them.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::responders::{NntDirection, NntInterval, NumberNeededToTreat};
    /// let n = NumberNeededToTreat { nnt: 8.0, direction: NntDirection::Harm,
    ///     interval: NntInterval::Bounded { lower: 5.0, upper: 20.0 } };
    /// assert_eq!(n.kind(), "NNTH");
    /// assert_eq!(n.to_string(), "NNTH 8.00 [5.00, 20.00]");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self.direction {
            NntDirection::Benefit => "NNTB",
            NntDirection::Harm => "NNTH",
        }
    }
}

/// `NNTB 4.00 [2.90, 6.50]`, or with an interval that includes no effect
/// `NNTB 6.00 (NNTB 3.00 to ∞ to NNTH 25.00)` (Altman 1998); never a bare number.
impl fmt::Display for NumberNeededToTreat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.interval {
            NntInterval::Bounded { .. } => {
                write!(f, "{} {:.2} {}", self.kind(), self.nnt, self.interval)
            }
            NntInterval::CrossesZero { .. } => {
                write!(f, "{} {:.2} ({})", self.kind(), self.nnt, self.interval)
            }
        }
    }
}

/// Between-arm contrast of responder rates (treatment versus control).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderComparison {
    /// Treatment rate.
    pub treatment_rate: f64,
    /// Control rate.
    pub control_rate: f64,
    /// `p_treatment − p_control`.
    pub risk_difference: f64,
    /// Newcombe hybrid score interval (method 10) for the risk difference.
    pub risk_difference_interval: ConfidenceInterval,
    /// Relative risk (responder rate ratio) with a log-scale interval.
    pub relative_risk: Outcome<RatioEstimate>,
    /// Odds ratio with Woolf's log-scale interval.
    pub odds_ratio: Outcome<RatioEstimate>,
    /// Fisher's exact two-sided p-value.
    pub fisher_p_value: f64,
    /// Number needed to treat.
    pub number_needed_to_treat: Outcome<NumberNeededToTreat>,
}

impl fmt::Display for ResponderComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rates {:.4} vs {:.4}; RD = {:.4} {}",
            self.treatment_rate,
            self.control_rate,
            self.risk_difference,
            self.risk_difference_interval
        )?;
        match &self.relative_risk {
            Outcome::Computed(r) => {
                write!(f, "; RR = {:.4} {}", r.estimate, r.confidence_interval)?
            }
            Outcome::Refused(r) => write!(f, "; RR {r}")?,
        }
        match &self.odds_ratio {
            Outcome::Computed(r) => {
                write!(f, "; OR = {:.4} {}", r.estimate, r.confidence_interval)?
            }
            Outcome::Refused(r) => write!(f, "; OR {r}")?,
        }
        write!(f, "; Fisher p = {:.4e}", self.fisher_p_value)?;
        match &self.number_needed_to_treat {
            Outcome::Computed(n) => {
                write!(f, "; {n}")
            }
            Outcome::Refused(r) => write!(f, "; NNT {r}"),
        }
    }
}

/// Compares responder rates between a treatment and a control arm: risk difference (Newcombe
/// hybrid score CI), relative risk (log CI), odds ratio (Woolf CI), Fisher's exact p, and NNT
/// (Altman's convention when the RD interval includes zero).
///
/// # Formula
///
/// With Wilson limits `(lᵢ, uᵢ)`: `RD ∈ [δ − √((p₁−l₁)² + (u₀−p₀)²), δ + √((u₁−p₁)² + (p₀−l₀)²)]`.
/// `ln RR ± z √(1/a − 1/n₁ + 1/c − 1/n₀)`; `ln OR ± z √(1/a + 1/b + 1/c + 1/d)`;
/// NNT = 1/|RD| with limits `1/RD` limits.
///
/// # References
///
/// Newcombe, R. G. (1998). Interval estimation for the difference between independent
/// proportions. *Stat. Med.* 17, 873–890. Woolf, B. (1955). *Ann. Hum. Genet.* 19, 251–253.
/// Altman, D. G. (1998). Confidence intervals for the number needed to treat. *BMJ* 317,
/// 1309–1312.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when responders exceed n or the level is outside (0, 1). Refuses
/// (`EmptyGroup`) when an arm has n = 0, (`AllResponders`/`NoResponders`) when both arms are all
/// or no responders. Zero cells follow [`ZeroCellPolicy`] inside `relative_risk`/`odds_ratio`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::responders::{compare_responder_rates, ComparisonOptions};
/// use pain_outcomes::stats::Proportion;
/// let c = compare_responder_rates(Proportion::new(30, 50), Proportion::new(15, 50),
///     &ComparisonOptions::default())
///     .unwrap().into_result().unwrap();
/// assert!((c.risk_difference - 0.3).abs() < 1e-12);
/// assert!(c.risk_difference_interval.contains(0.3));
/// assert!((c.relative_risk.computed().unwrap().estimate - 2.0).abs() < 1e-12);
/// ```
pub fn compare_responder_rates(
    treatment: Proportion,
    control: Proportion,
    options: &ComparisonOptions,
) -> Result<Outcome<ResponderComparison>> {
    check_level(options.confidence_level)?;
    let (a, n1) = (treatment.events, treatment.total);
    let (c, n0) = (control.events, control.total);
    if a > n1 || c > n0 {
        return Err(Error::invalid_argument("treatment", "responders exceed n"));
    }
    if n1 == 0 || n0 == 0 {
        return Ok(refuse(RefusalReason::EmptyGroup, "an arm has n = 0"));
    }
    if a == n1 && c == n0 {
        return Ok(refuse(
            RefusalReason::AllResponders,
            "every patient in both arms is a responder",
        ));
    }
    if a == 0 && c == 0 {
        return Ok(refuse(
            RefusalReason::NoResponders,
            "no patient in either arm is a responder",
        ));
    }
    let level = options.confidence_level;
    let (b, d) = (n1 - a, n0 - c);
    let p1 = a as f64 / n1 as f64;
    let p0 = c as f64 / n0 as f64;
    let w1 = wilson_interval(a, n1, level, ContinuityCorrection::None)?;
    let w0 = wilson_interval(c, n0, level, ContinuityCorrection::None)?;
    let (Some(w1), Some(w0)) = (w1.computed(), w0.computed()) else {
        return Ok(refuse(RefusalReason::EmptyGroup, "an arm has n = 0"));
    };
    let delta = p1 - p0;
    let rd_ci = ConfidenceInterval {
        lower: delta - ((p1 - w1.lower).powi(2) + (w0.upper - p0).powi(2)).sqrt(),
        upper: delta + ((w1.upper - p1).powi(2) + (p0 - w0.lower).powi(2)).sqrt(),
        level,
    };
    let z = dist::normal_quantile(0.5 + level / 2.0);
    let ratio = |est: f64, se: f64, corrected: bool| RatioEstimate {
        estimate: est,
        confidence_interval: ConfidenceInterval {
            lower: (est.ln() - z * se).exp(),
            upper: (est.ln() + z * se).exp(),
            level,
        },
        haldane_corrected: corrected,
    };
    let [af, bf, cf, df] = [a as f64, b as f64, c as f64, d as f64];
    let relative_risk = if a > 0 && c > 0 {
        Outcome::Computed(ratio(
            p1 / p0,
            (1.0 / af - 1.0 / n1 as f64 + 1.0 / cf - 1.0 / n0 as f64).sqrt(),
            false,
        ))
    } else {
        match options.zero_cells {
            ZeroCellPolicy::Refuse => refuse(
                RefusalReason::NotEstimable,
                "an arm has no responder: relative risk is 0 or infinite (zero-cell policy: refuse)",
            ),
            ZeroCellPolicy::HaldaneCorrection => {
                let (a2, c2) = (af + 0.5, cf + 0.5);
                let (m1, m0) = (n1 as f64 + 1.0, n0 as f64 + 1.0);
                Outcome::Computed(ratio(
                    (a2 / m1) / (c2 / m0),
                    (1.0 / a2 - 1.0 / m1 + 1.0 / c2 - 1.0 / m0).sqrt(),
                    true,
                ))
            }
        }
    };
    let odds_ratio = if a > 0 && b > 0 && c > 0 && d > 0 {
        Outcome::Computed(ratio(
            af * df / (bf * cf),
            (1.0 / af + 1.0 / bf + 1.0 / cf + 1.0 / df).sqrt(),
            false,
        ))
    } else {
        match options.zero_cells {
            ZeroCellPolicy::Refuse => refuse(
                RefusalReason::NotEstimable,
                "a cell of the 2x2 table is zero: odds ratio is 0 or infinite (zero-cell policy: refuse)",
            ),
            ZeroCellPolicy::HaldaneCorrection => {
                let [a2, b2, c2, d2] = [af + 0.5, bf + 0.5, cf + 0.5, df + 0.5];
                Outcome::Computed(ratio(
                    a2 * d2 / (b2 * c2),
                    (1.0 / a2 + 1.0 / b2 + 1.0 / c2 + 1.0 / d2).sqrt(),
                    true,
                ))
            }
        }
    };
    // Margins are non-zero here: both arms have n > 0 and there is at least one responder and
    // one non-responder overall.
    let fisher_p_value = fisher_exact_p_value([[a, b], [c, d]]);
    let number_needed_to_treat = if delta == 0.0 {
        refuse(
            RefusalReason::NotEstimable,
            "the risk difference is zero: the NNT is infinite",
        )
    } else {
        let direction = if delta > 0.0 {
            NntDirection::Benefit
        } else {
            NntDirection::Harm
        };
        let interval = if rd_ci.lower > 0.0 || rd_ci.upper < 0.0 {
            let (x, y) = (1.0 / rd_ci.lower.abs(), 1.0 / rd_ci.upper.abs());
            NntInterval::Bounded {
                lower: x.min(y),
                upper: x.max(y),
            }
        } else if rd_ci.lower == 0.0 || rd_ci.upper == 0.0 {
            // A limit exactly at zero: the corresponding NNT limit is infinite.
            return Ok(Outcome::Computed(ResponderComparison {
                treatment_rate: p1,
                control_rate: p0,
                risk_difference: delta,
                risk_difference_interval: rd_ci,
                relative_risk,
                odds_ratio,
                fisher_p_value,
                number_needed_to_treat: refuse(
                    RefusalReason::NotEstimable,
                    "a risk-difference limit is exactly zero: an NNT limit is infinite",
                ),
            }));
        } else {
            NntInterval::CrossesZero {
                benefit_limit: 1.0 / rd_ci.upper,
                harm_limit: 1.0 / rd_ci.lower.abs(),
            }
        };
        Outcome::Computed(NumberNeededToTreat {
            nnt: 1.0 / delta.abs(),
            direction,
            interval,
        })
    };
    Ok(Outcome::Computed(ResponderComparison {
        treatment_rate: p1,
        control_rate: p0,
        risk_difference: delta,
        risk_difference_interval: rd_ci,
        relative_risk,
        odds_ratio,
        fisher_p_value,
        number_needed_to_treat,
    }))
}
