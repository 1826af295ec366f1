//! Study-level effect sizes and their sampling variances from summary data, as
//! `metafor::escalc` computes them: mean difference, standardised mean difference (Hedges' g),
//! log risk ratio and log odds ratio.

use crate::stats::{Outcome, RefusalReason, TwoByTwo, refuse};
use crate::{Error, Result};
use statrs::function::gamma::ln_gamma;
use std::fmt;

/// The effect measure of a meta-analysis.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let m: EffectMeasure = "smd".parse()?;
/// assert_eq!(m, EffectMeasure::StandardizedMeanDifference);
/// assert!(!m.is_binary());
/// assert_eq!(EffectMeasure::LogRiskRatio.code(), "rr");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EffectMeasure {
    /// Raw mean difference, treated − control (`escalc(measure = "MD")`).
    #[default]
    MeanDifference,
    /// Hedges' g, the bias-corrected standardised mean difference (`escalc(measure = "SMD")`).
    #[doc(alias = "hedges_g")]
    StandardizedMeanDifference,
    /// Log risk ratio, treated over control (`escalc(measure = "RR")`).
    LogRiskRatio,
    /// Log odds ratio, treated over control (`escalc(measure = "OR")`).
    LogOddsRatio,
}

impl EffectMeasure {
    /// The short code (`md`, `smd`, `rr`, `or`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::meta::EffectMeasure::LogOddsRatio.code(), "or");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            EffectMeasure::MeanDifference => "md",
            EffectMeasure::StandardizedMeanDifference => "smd",
            EffectMeasure::LogRiskRatio => "rr",
            EffectMeasure::LogOddsRatio => "or",
        }
    }

    /// Whether the measure is computed from event counts (log RR, log OR) rather than means.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(pain_outcomes::stats::meta::EffectMeasure::LogRiskRatio.is_binary());
    /// ```
    pub fn is_binary(self) -> bool {
        matches!(
            self,
            EffectMeasure::LogRiskRatio | EffectMeasure::LogOddsRatio
        )
    }

    /// A readable name (`"log risk ratio"`, …).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::meta::EffectMeasure;
    /// assert_eq!(EffectMeasure::StandardizedMeanDifference.name(), "standardised mean difference (Hedges' g)");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            EffectMeasure::MeanDifference => "mean difference",
            EffectMeasure::StandardizedMeanDifference => "standardised mean difference (Hedges' g)",
            EffectMeasure::LogRiskRatio => "log risk ratio",
            EffectMeasure::LogOddsRatio => "log odds ratio",
        }
    }
}

impl fmt::Display for EffectMeasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The means, standard deviations and sizes of the two groups of one comparison.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::ContinuousSummary;
/// let s = ContinuousSummary::new((30, -3.1, 2.0), (28, -1.9, 2.2));
/// assert_eq!(s.n_control, 28);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContinuousSummary {
    /// Patients in the treated group.
    pub n_treated: u64,
    /// Mean outcome of the treated group.
    pub mean_treated: f64,
    /// Standard deviation of the outcome in the treated group.
    pub sd_treated: f64,
    /// Patients in the control group.
    pub n_control: u64,
    /// Mean outcome of the control group.
    pub mean_control: f64,
    /// Standard deviation of the outcome in the control group.
    pub sd_control: f64,
}

impl ContinuousSummary {
    /// The summary of `(n, mean, sd)` of the treated and of the control group.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = pain_outcomes::stats::meta::ContinuousSummary::new((10, 1.0, 1.0), (10, 0.0, 1.0));
    /// assert_eq!(s.mean_treated, 1.0);
    /// ```
    pub fn new(treated: (u64, f64, f64), control: (u64, f64, f64)) -> Self {
        ContinuousSummary {
            n_treated: treated.0,
            mean_treated: treated.1,
            sd_treated: treated.2,
            n_control: control.0,
            mean_control: control.1,
            sd_control: control.2,
        }
    }
}

/// One study's effect size and its sampling variance.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::EffectSize;
/// let e = EffectSize { estimate: 0.5, variance: 0.04, zero_cell_corrected: false };
/// assert!((e.std_error() - 0.2).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EffectSize {
    /// The effect (a log ratio for the binary measures).
    pub estimate: f64,
    /// Its large-sample sampling variance.
    pub variance: f64,
    /// Whether 1/2 was added to every cell of the 2 × 2 table because one cell was zero.
    pub zero_cell_corrected: bool,
}

impl EffectSize {
    /// The standard error `√variance`.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = pain_outcomes::stats::meta::EffectSize { estimate: 0.0, variance: 0.25, zero_cell_corrected: false };
    /// assert_eq!(e.std_error(), 0.5);
    /// ```
    pub fn std_error(&self) -> f64 {
        self.variance.sqrt()
    }
}

/// The exact small-sample correction of Hedges' g, `J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2))`.
///
/// # References
///
/// Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
/// estimators. *Journal of Educational Statistics* 6, 107–128.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::hedges_correction;
/// // close to the approximation 1 − 3 / (4m − 1)
/// assert!((hedges_correction(38.0) - (1.0 - 3.0 / 151.0)).abs() < 1e-4);
/// ```
pub fn hedges_correction(m: f64) -> f64 {
    (ln_gamma(m / 2.0) - 0.5 * (m / 2.0).ln() - ln_gamma((m - 1.0) / 2.0)).exp()
}

fn check_summary(s: &ContinuousSummary) -> Result<()> {
    for (name, v) in [
        ("mean_treated", s.mean_treated),
        ("sd_treated", s.sd_treated),
        ("mean_control", s.mean_control),
        ("sd_control", s.sd_control),
    ] {
        if !v.is_finite() {
            return Err(Error::invalid_argument(
                "summary",
                format!("{name} is not finite ({v})"),
            ));
        }
    }
    if s.sd_treated < 0.0 || s.sd_control < 0.0 {
        return Err(Error::invalid_argument(
            "summary",
            "a standard deviation is negative",
        ));
    }
    Ok(())
}

/// The effect size of a comparison of means: the mean difference or Hedges' g.
///
/// # Formula
///
/// Mean difference `y = m₁ − m₂`, `v = s₁²/n₁ + s₂²/n₂`. Standardised mean difference
/// `y = J(m) (m₁ − m₂)/s_p` with `s_p² = ((n₁−1)s₁² + (n₂−1)s₂²)/m`, `m = n₁ + n₂ − 2` and the
/// exact correction [`hedges_correction`]; its large-sample variance
/// `v = 1/n₁ + 1/n₂ + y²/(2(n₁ + n₂))`. As `metafor::escalc` with `measure = "MD"` and
/// `"SMD"` (default `vtype = "LS"`).
///
/// # References
///
/// Hedges, L. V. (1981), *J. Educ. Stat.* 6, 107–128; Hedges, L. V. & Olkin, I. (1985).
/// *Statistical Methods for Meta-Analysis*, ch. 5.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a binary measure, a non-finite mean or SD, or a negative SD.
/// Refuses a group with no patient, a standardised difference with `m < 2`, and a zero
/// pooled SD or zero variance.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{continuous_effect, ContinuousSummary, EffectMeasure};
/// let s = ContinuousSummary::new((20, 5.0, 2.0), (20, 6.0, 2.0));
/// let md = continuous_effect(EffectMeasure::MeanDifference, &s)?.into_result().unwrap();
/// assert!((md.estimate + 1.0).abs() < 1e-15 && (md.variance - 0.4).abs() < 1e-15);
/// let g = continuous_effect(EffectMeasure::StandardizedMeanDifference, &s)?.into_result().unwrap();
/// assert!(g.estimate > -0.5 && g.estimate < -0.48);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn continuous_effect(
    measure: EffectMeasure,
    summary: &ContinuousSummary,
) -> Result<Outcome<EffectSize>> {
    if measure.is_binary() {
        return Err(Error::invalid_argument(
            "measure",
            format!("{measure} needs event counts, not means"),
        ));
    }
    check_summary(summary)?;
    let s = summary;
    if s.n_treated == 0 || s.n_control == 0 {
        return Ok(refuse(RefusalReason::EmptyGroup, "a group has no patients"));
    }
    let (n1, n2) = (s.n_treated as f64, s.n_control as f64);
    let diff = s.mean_treated - s.mean_control;
    if measure == EffectMeasure::MeanDifference {
        let variance = s.sd_treated.powi(2) / n1 + s.sd_control.powi(2) / n2;
        if variance <= 0.0 {
            return Ok(refuse(
                RefusalReason::ZeroVariance,
                "both standard deviations are zero: the mean difference has no sampling variance",
            ));
        }
        return Ok(Outcome::Computed(EffectSize {
            estimate: diff,
            variance,
            zero_cell_corrected: false,
        }));
    }
    let m = n1 + n2 - 2.0;
    if m < 2.0 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!(
                "n_treated + n_control = {} < 4: Hedges' correction is undefined",
                m + 2.0
            ),
        ));
    }
    let sp = (((n1 - 1.0) * s.sd_treated.powi(2) + (n2 - 1.0) * s.sd_control.powi(2)) / m).sqrt();
    if sp <= 0.0 {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "the pooled standard deviation is zero",
        ));
    }
    let estimate = hedges_correction(m) * diff / sp;
    let variance = 1.0 / n1 + 1.0 / n2 + estimate * estimate / (2.0 * (n1 + n2));
    Ok(Outcome::Computed(EffectSize {
        estimate,
        variance,
        zero_cell_corrected: false,
    }))
}

/// The effect size of a comparison of event counts: the log risk ratio or the log odds ratio.
///
/// When any of the four cells is zero, 1/2 is added to every cell of that table (metafor's
/// default `add = 1/2, to = "only0"`); a table with no events in either group (or only events)
/// is kept, corrected, as `escalc` keeps it (`drop00 = FALSE`).
///
/// # Formula
///
/// With cells `a, b` (treated events, non-events) and `c, d` (control): log RR
/// `y = ln(a/(a+b)) − ln(c/(c+d))`, `v = 1/a − 1/(a+b) + 1/c − 1/(c+d)`; log OR
/// `y = ln(ad/(bc))`, `v = 1/a + 1/b + 1/c + 1/d`.
///
/// # References
///
/// Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. *Journal of
/// Statistical Software* 36(3). Haldane, J. B. S. (1956). The estimation and significance of
/// the logarithm of a ratio of frequencies. *Annals of Human Genetics* 20, 309–311.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a continuous measure or a group with more events than
/// patients. Refuses a group with no patient.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::{Proportion, TwoByTwo};
/// use pain_outcomes::stats::meta::{binary_effect, EffectMeasure};
/// let t = TwoByTwo::new(Proportion::new(10, 40), Proportion::new(20, 40));
/// let rr = binary_effect(EffectMeasure::LogRiskRatio, &t)?.into_result().unwrap();
/// assert!((rr.estimate - 0.5f64.ln()).abs() < 1e-15);
/// let zero = TwoByTwo::new(Proportion::new(0, 40), Proportion::new(5, 40));
/// assert!(binary_effect(EffectMeasure::LogOddsRatio, &zero)?.into_result().unwrap().zero_cell_corrected);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn binary_effect(measure: EffectMeasure, table: &TwoByTwo) -> Result<Outcome<EffectSize>> {
    if !measure.is_binary() {
        return Err(Error::invalid_argument(
            "measure",
            format!("{measure} needs means and standard deviations, not event counts"),
        ));
    }
    let Some([[a, b], [c, d]]) = table.cells() else {
        return Err(Error::invalid_argument(
            "table",
            "a group has more events than patients",
        ));
    };
    if table.treated.total == 0 || table.control.total == 0 {
        return Ok(refuse(RefusalReason::EmptyGroup, "a group has no patients"));
    }
    let corrected = [a, b, c, d].contains(&0);
    let add = if corrected { 0.5 } else { 0.0 };
    let [a, b, c, d] = [a, b, c, d].map(|x| x as f64 + add);
    let (estimate, variance) = match measure {
        EffectMeasure::LogRiskRatio => (
            (a / (a + b)).ln() - (c / (c + d)).ln(),
            1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d),
        ),
        _ => (
            (a * d / (b * c)).ln(),
            1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d,
        ),
    };
    if !(variance > 0.0 && variance.is_finite() && estimate.is_finite()) {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            format!("the {measure} has no positive sampling variance"),
        ));
    }
    Ok(Outcome::Computed(EffectSize {
        estimate,
        variance,
        zero_cell_corrected: corrected,
    }))
}
