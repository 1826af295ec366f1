//! Simultaneous inference on a family of contrasts: single-step adjusted p-values and
//! simultaneous confidence intervals from the multivariate t (Dunnett, Tukey), or the
//! `p.adjust` methods, as `multcomp::glht`.

use std::fmt;

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::adjust::{AdjustMethod, adjust_p_values};
use super::contrasts::{ContrastFamily, Contrasts};
use super::factor::Factor;
use super::mvt::{
    IntegrationOptions, MvtProbability, check_df, check_semi_definite, integrate, quantile_with,
};
use crate::outcome::refuse;
use crate::stats::hypothesis::Alternative;
use crate::stats::{ConfidenceInterval, Estimate, dist};
use crate::{Error, Outcome, RefusalReason, Result};

/// How a family of contrasts is adjusted for multiplicity.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multiplicity::MultiplicityMethod;
/// assert_eq!(MultiplicityMethod::default(), MultiplicityMethod::SingleStep);
/// assert_eq!("holm".parse::<MultiplicityMethod>().unwrap(), MultiplicityMethod::Holm);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiplicityMethod {
    /// Single-step maxT on the joint multivariate t (or normal) of the contrasts' statistics:
    /// Dunnett for many-to-one, Tukey for all pairs (`multcomp`'s `adjusted("single-step")`).
    /// Adjusted p-values and simultaneous intervals.
    #[default]
    SingleStep,
    /// Bonferroni: adjusted p-values and simultaneous intervals at level `1 − α/m`.
    Bonferroni,
    /// Holm's step-down method: adjusted p-values only.
    Holm,
    /// Hochberg's step-up method: adjusted p-values only.
    Hochberg,
    /// Benjamini–Hochberg (false discovery rate): adjusted p-values only.
    BenjaminiHochberg,
    /// No adjustment: marginal p-values and intervals.
    Unadjusted,
}

impl MultiplicityMethod {
    /// The method's short code (as parsed).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::multiplicity::MultiplicityMethod;
    /// assert_eq!(MultiplicityMethod::BenjaminiHochberg.code(), "bh");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            MultiplicityMethod::SingleStep => "single_step",
            MultiplicityMethod::Bonferroni => "bonferroni",
            MultiplicityMethod::Holm => "holm",
            MultiplicityMethod::Hochberg => "hochberg",
            MultiplicityMethod::BenjaminiHochberg => "bh",
            MultiplicityMethod::Unadjusted => "none",
        }
    }

    /// The full name of the method applied to `family` with `df` (`None` = normal), as
    /// printed in tables and JSON: `"Dunnett single-step (multivariate t)"`,
    /// `"Tukey single-step (multivariate normal)"`, `"Holm step-down"`, …
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::multiplicity::{ContrastFamily, MultiplicityMethod};
    /// let m = MultiplicityMethod::SingleStep;
    /// assert_eq!(m.name(ContrastFamily::AllPairs, Some(20.0)), "Tukey single-step (multivariate t)");
    /// assert_eq!(MultiplicityMethod::Holm.name(ContrastFamily::ManyToOne, None), "Holm step-down");
    /// ```
    pub fn name(self, family: ContrastFamily, df: Option<f64>) -> String {
        let joint = if df.is_some() {
            "multivariate t"
        } else {
            "multivariate normal"
        };
        match self {
            MultiplicityMethod::SingleStep => match family {
                ContrastFamily::Custom => format!("single-step ({joint})"),
                f => format!("{} single-step ({joint})", f.name()),
            },
            MultiplicityMethod::Bonferroni => "Bonferroni".into(),
            MultiplicityMethod::Holm => "Holm step-down".into(),
            MultiplicityMethod::Hochberg => "Hochberg step-up".into(),
            MultiplicityMethod::BenjaminiHochberg => "Benjamini-Hochberg (FDR)".into(),
            MultiplicityMethod::Unadjusted => "unadjusted".into(),
        }
    }

    /// The `p.adjust` method of a step-wise or Bonferroni adjustment.
    pub(crate) fn p_adjust(self) -> Option<AdjustMethod> {
        match self {
            MultiplicityMethod::Bonferroni => Some(AdjustMethod::Bonferroni),
            MultiplicityMethod::Holm => Some(AdjustMethod::Holm),
            MultiplicityMethod::Hochberg => Some(AdjustMethod::Hochberg),
            MultiplicityMethod::BenjaminiHochberg => Some(AdjustMethod::BenjaminiHochberg),
            MultiplicityMethod::SingleStep | MultiplicityMethod::Unadjusted => None,
        }
    }
}

/// Options of [`simultaneous_inference`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::Alternative;
/// use pain_outcomes::stats::multiplicity::{MultiplicityMethod, SimultaneousOptions};
/// let o = SimultaneousOptions::default().with_alternative(Alternative::Greater).with_level(0.9);
/// assert_eq!(o.method, MultiplicityMethod::SingleStep);
/// assert_eq!(o.level, 0.9);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimultaneousOptions {
    /// The adjustment. Default single-step.
    pub method: MultiplicityMethod,
    /// Two-sided (default) or one-sided tests and intervals.
    pub alternative: Alternative,
    /// Simultaneous confidence level. Default 0.95.
    pub level: f64,
    /// Settings of the numerical integration.
    pub integration: IntegrationOptions,
}

impl Default for SimultaneousOptions {
    fn default() -> Self {
        SimultaneousOptions {
            method: MultiplicityMethod::SingleStep,
            alternative: Alternative::TwoSided,
            level: 0.95,
            integration: IntegrationOptions::default(),
        }
    }
}

impl SimultaneousOptions {
    /// Sets the adjustment method.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::multiplicity::{MultiplicityMethod, SimultaneousOptions};
    /// let o = SimultaneousOptions::default().with_method(MultiplicityMethod::Holm);
    /// assert_eq!(o.method, MultiplicityMethod::Holm);
    /// ```
    pub fn with_method(mut self, method: MultiplicityMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the alternative.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::hypothesis::Alternative;
    /// use pain_outcomes::stats::multiplicity::SimultaneousOptions;
    /// let o = SimultaneousOptions::default().with_alternative(Alternative::Less);
    /// assert_eq!(o.alternative, Alternative::Less);
    /// ```
    pub fn with_alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }

    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::multiplicity::SimultaneousOptions;
    /// assert_eq!(SimultaneousOptions::default().with_level(0.99).level, 0.99);
    /// ```
    pub fn with_level(mut self, level: f64) -> Self {
        self.level = level;
        self
    }

    /// Sets the integration settings.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::multiplicity::{IntegrationOptions, SimultaneousOptions};
    /// let i = IntegrationOptions::default().with_absolute_tolerance(1e-6);
    /// assert_eq!(SimultaneousOptions::default().with_integration(i).integration, i);
    /// ```
    pub fn with_integration(mut self, integration: IntegrationOptions) -> Self {
        self.integration = integration;
        self
    }
}

/// One contrast of a family: its marginal (unadjusted) estimate, test and interval, its
/// adjusted p-value and its simultaneous interval.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::{ConfidenceInterval, Estimate};
/// use pain_outcomes::stats::multiplicity::AdjustedContrast;
/// let c = AdjustedContrast {
///     estimate: Estimate::wald("prp - placebo", -1.0, 0.4, Some(100.0), 0.95),
///     adjusted_p_value: 0.04,
///     simultaneous_interval: Some(ConfidenceInterval::symmetric(-1.0, 0.99, 0.95)),
/// };
/// assert!(c.adjusted_p_value > c.estimate.p_value);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdjustedContrast {
    /// The contrast with its marginal test and interval (for the chosen alternative: a
    /// one-sided interval has an infinite limit).
    pub estimate: Estimate,
    /// The multiplicity-adjusted p-value.
    pub adjusted_p_value: f64,
    /// The simultaneous interval, when the method gives one (single-step, Bonferroni,
    /// unadjusted); `None` for Holm, Hochberg and Benjamini–Hochberg.
    pub simultaneous_interval: Option<ConfidenceInterval>,
}

/// Simultaneous tests and intervals for a family of contrasts.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::multiplicity::{many_to_one, simultaneous_inference, SimultaneousOptions};
/// let k = many_to_one(&["placebo", "prp", "stem_cell"], "placebo").unwrap();
/// let v = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![0.04, 0.05, 0.05]));
/// let c = k.apply(&[5.0, 4.2, 3.9], &v).unwrap();
/// let s = simultaneous_inference(&c, Some(60.0), &SimultaneousOptions::default())
///     .unwrap().into_result().unwrap();
/// assert_eq!(s.method_name, "Dunnett single-step (multivariate t)");
/// let d = s.get("stem_cell - placebo").unwrap();
/// assert!(d.adjusted_p_value > d.estimate.p_value);
/// assert!(s.to_string().contains("Dunnett single-step"));
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimultaneousInference {
    /// The adjustment.
    pub method: MultiplicityMethod,
    /// The family of contrasts.
    pub family: ContrastFamily,
    /// The method's full name (see [`MultiplicityMethod::name`]).
    pub method_name: String,
    /// The alternative of the tests and intervals.
    pub alternative: Alternative,
    /// The simultaneous confidence level.
    pub level: f64,
    /// Degrees of freedom of the multivariate t; `None` for the normal.
    pub df: Option<f64>,
    /// The critical value `c` of the simultaneous intervals (`estimate ± c · std_error`),
    /// `None` when the method has no intervals.
    pub critical_value: Option<f64>,
    /// The contrasts, in input order.
    pub contrasts: Vec<AdjustedContrast>,
    /// The largest error estimate of the numerical integration over the adjusted p-values and
    /// the probability at the critical value (single-step only; `None` when nothing was
    /// integrated).
    pub integration_error: Option<f64>,
    /// The error estimate of the critical value implied by its probability's error.
    pub critical_value_error: Option<f64>,
}

impl SimultaneousInference {
    /// The contrast labelled `label`.
    ///
    /// # Examples
    ///
    /// See [`SimultaneousInference`].
    pub fn get(&self, label: &str) -> Option<&AdjustedContrast> {
        self.contrasts.iter().find(|c| c.estimate.label == label)
    }
}

impl fmt::Display for SimultaneousInference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alternative = match self.alternative {
            Alternative::Less => "less",
            Alternative::Greater => "greater",
            _ => "two-sided",
        };
        writeln!(
            f,
            "Simultaneous inference: {} ({alternative}), {:.0}% level",
            self.method_name,
            self.level * 100.0
        )?;
        if let Some(c) = self.critical_value {
            write!(f, "critical value {c:.6}")?;
            if let Some(df) = self.df {
                write!(f, " (df {df:.2})")?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "{:<32} {:>10} {:>10} {:>9} {:>11} {:>10} {:>10}",
            "contrast", "estimate", "std_error", "statistic", "adjusted_p", "lower", "upper"
        )?;
        for c in &self.contrasts {
            let e = &c.estimate;
            let (lo, hi) = match &c.simultaneous_interval {
                Some(ci) => (format!("{:.4}", ci.lower), format!("{:.4}", ci.upper)),
                None => ("-".into(), "-".into()),
            };
            // a single-step p-value below the integration error has no resolved digits
            let p = match (self.method, self.integration_error) {
                (MultiplicityMethod::SingleStep, Some(error)) if c.adjusted_p_value < error => {
                    format!("< {error:.0e}")
                }
                _ => format!("{:.4e}", c.adjusted_p_value),
            };
            writeln!(
                f,
                "{:<32} {:>10.4} {:>10.4} {:>9.3} {:>11} {:>10} {:>10}",
                e.label, e.estimate, e.std_error, e.statistic, p, lo, hi
            )?;
        }
        Ok(())
    }
}

/// Simultaneous tests and intervals for the contrasts `contrasts` (estimates with their
/// covariance), on the multivariate t with `df` degrees of freedom or the normal (`None`),
/// as `summary(glht)` and `confint(glht)` of `multcomp`.
///
/// # Formula
///
/// `tᵢ = θ̂ᵢ / seᵢ`, `R` the correlation of the estimates. Single-step (two-sided):
/// `p̃ᵢ = 1 − P(maxⱼ |Tⱼ| ≤ |tᵢ|)` and intervals `θ̂ᵢ ± c seᵢ` with
/// `P(maxⱼ |Tⱼ| ≤ c) = level`, `T ~ t_R(df)`; one-sided (`Greater`):
/// `p̃ᵢ = 1 − P(maxⱼ Tⱼ ≤ tᵢ)`, intervals `[θ̂ᵢ − c seᵢ, ∞)` with `P(maxⱼ Tⱼ ≤ c) = level`
/// (`Less` mirrors it). With many-to-one contrasts this is Dunnett's procedure, with all pairs
/// Tukey's (the Tukey–Kramer generalization for unequal n and covariates). The probabilities
/// are integrated by [`mvt_probability`](super::mvt_probability) and the critical value found
/// by [`mvt_quantile`](super::mvt_quantile). Bonferroni, Holm, Hochberg and BH adjust the
/// marginal p-values as [`adjust_p_values`].
///
/// # References
///
/// Dunnett, C. W. (1955). A multiple comparison procedure for comparing several treatments
/// with a control. *JASA* 50, 1096–1121. Tukey, J. W. (1953). *The Problem of Multiple
/// Comparisons* (unpublished; in *Collected Works* VIII, 1994). Hothorn, T., Bretz, F. &
/// Westfall, P. (2008). Simultaneous inference in general parametric models. *Biometrical
/// Journal* 50, 346–363. Genz & Bretz (2002), *JCGS* 11, 950–971.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the lengths disagree, a value is not finite, the covariance
/// is not symmetric, the family is empty or the level is not in (0, 1).
///
/// Refused: [`RefusalReason::ZeroVariance`] when a standard error is zero,
/// [`RefusalReason::NotPositiveDefinite`] when the covariance is not positive semi-definite,
/// [`RefusalReason::NotEstimable`] when `df ≤ 0`, [`RefusalReason::NoConvergence`] when the
/// integration does not reach its tolerance.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::multiplicity::{all_pairs, simultaneous_inference, SimultaneousOptions};
/// let k = all_pairs(&["placebo", "prp", "stem_cell"]).unwrap();
/// let v = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![0.05, 0.05, 0.05]));
/// let c = k.apply(&[5.0, 4.2, 3.9], &v).unwrap();
/// let s = simultaneous_inference(&c, None, &SimultaneousOptions::default())
///     .unwrap().into_result().unwrap();
/// // equal variances, normal: Tukey's studentized range, qtukey(0.95, 3, Inf) / sqrt(2)
/// assert!((s.critical_value.unwrap() - 3.314493 / 2f64.sqrt()).abs() < 1e-5);
/// ```
pub fn simultaneous_inference(
    contrasts: &Contrasts,
    df: Option<f64>,
    options: &SimultaneousOptions,
) -> Result<Outcome<SimultaneousInference>> {
    let m = contrasts.estimates.len();
    let v = &contrasts.covariance;
    if m == 0 || contrasts.labels.len() != m || v.nrows() != m || v.ncols() != m {
        return Err(Error::invalid_argument(
            "contrasts",
            format!(
                "{m} estimates, {} labels and a {}×{} covariance",
                contrasts.labels.len(),
                v.nrows(),
                v.ncols()
            ),
        ));
    }
    if contrasts
        .estimates
        .iter()
        .chain(v.iter())
        .any(|x| !x.is_finite())
    {
        return Err(Error::invalid_argument(
            "contrasts",
            "a value is not finite",
        ));
    }
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(Error::invalid_argument(
            "level",
            format!("{} is not in (0, 1)", options.level),
        ));
    }
    for i in 0..m {
        for j in 0..i {
            let scale = (v[(i, i)].abs() * v[(j, j)].abs())
                .sqrt()
                .max(f64::MIN_POSITIVE);
            if (v[(i, j)] - v[(j, i)]).abs() > 1e-8 * scale {
                return Err(Error::invalid_argument(
                    "covariance",
                    format!("not symmetric at ({i}, {j})"),
                ));
            }
        }
    }
    if let Some(refusal) = check_df(df) {
        return Ok(refusal);
    }
    let se = contrasts.std_errors();
    if let Some(i) = se.iter().position(|s| s.is_nan() || *s <= 0.0) {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            format!(
                "contrast `{}` has variance {}: its statistic is undefined",
                contrasts.labels[i],
                v[(i, i)]
            ),
        ));
    }
    let outside = (0..m).any(|i| (0..i).any(|j| v[(i, j)].abs() > (1.0 + 1e-10) * se[i] * se[j]));
    if outside {
        return Ok(refuse(
            RefusalReason::NotPositiveDefinite,
            "a covariance exceeds the product of its standard deviations: the matrix is not positive semi-definite",
        ));
    }
    let correlation = DMatrix::from_fn(m, m, |i, j| {
        if i == j {
            1.0
        } else {
            (0.5 * (v[(i, j)] + v[(j, i)]) / (se[i] * se[j])).clamp(-1.0, 1.0)
        }
    });
    if let Some(refusal) = check_semi_definite(&correlation) {
        return Ok(refusal);
    }
    infer(
        contrasts.family,
        &contrasts.labels,
        &contrasts.estimates,
        &se,
        &correlation,
        df,
        options,
    )
}

/// [`simultaneous_inference`] from estimates (their labels, values, standard errors and common
/// `df`) and the correlation matrix of the estimates.
///
/// # Errors
///
/// As [`simultaneous_inference`], and [`Error::InvalidArgument`] when the estimates do not
/// share one `df` or the correlation is not a symmetric matrix with unit diagonal of the right
/// size.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::Estimate;
/// use pain_outcomes::stats::multiplicity::{
///     simultaneous_inference_from_estimates, ContrastFamily, SimultaneousOptions,
/// };
/// let e = [
///     Estimate::wald("prp - placebo", -0.8, 0.3, Some(90.0), 0.95),
///     Estimate::wald("stem_cell - placebo", -1.1, 0.3, Some(90.0), 0.95),
/// ];
/// let r = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
/// let s = simultaneous_inference_from_estimates(&e, &r, ContrastFamily::ManyToOne,
///     &SimultaneousOptions::default()).unwrap().into_result().unwrap();
/// assert!(s.contrasts[0].adjusted_p_value > e[0].p_value);
/// ```
pub fn simultaneous_inference_from_estimates(
    estimates: &[Estimate],
    correlation: &DMatrix<f64>,
    family: ContrastFamily,
    options: &SimultaneousOptions,
) -> Result<Outcome<SimultaneousInference>> {
    let m = estimates.len();
    let m_r = super::mvt::check_correlation(correlation)?;
    if m == 0 || m_r != m {
        return Err(Error::invalid_argument(
            "correlation",
            format!("a {m_r}×{m_r} correlation for {m} estimates"),
        ));
    }
    let df = estimates[0].df;
    if estimates.iter().any(|e| e.df != df) {
        return Err(Error::invalid_argument(
            "estimates",
            "the estimates do not share one df",
        ));
    }
    let se: Vec<f64> = estimates.iter().map(|e| e.std_error).collect();
    let contrasts = Contrasts {
        family,
        labels: estimates.iter().map(|e| e.label.clone()).collect(),
        estimates: estimates.iter().map(|e| e.estimate).collect(),
        covariance: DMatrix::from_fn(m, m, |i, j| correlation[(i, j)] * se[i] * se[j]),
    };
    if se.iter().any(|s| !s.is_finite()) {
        return Err(Error::invalid_argument(
            "estimates",
            "a standard error is not finite",
        ));
    }
    simultaneous_inference(&contrasts, df, options)
}

/// The inference proper, on validated input.
fn infer(
    family: ContrastFamily,
    labels: &[String],
    estimates: &[f64],
    se: &[f64],
    correlation: &DMatrix<f64>,
    df: Option<f64>,
    options: &SimultaneousOptions,
) -> Result<Outcome<SimultaneousInference>> {
    let m = estimates.len();
    let level = options.level;
    let alternative = options.alternative;
    let statistic: Vec<f64> = (0..m).map(|i| estimates[i] / se[i]).collect();
    let marginal: Vec<Estimate> = (0..m)
        .map(|i| marginal_estimate(&labels[i], estimates[i], se[i], df, level, alternative))
        .collect();
    let quantile_1 = |p: f64| match df {
        Some(nu) => dist::t_quantile(p, nu),
        None => dist::normal_quantile(p),
    };
    let sides = if alternative == Alternative::TwoSided {
        2.0
    } else {
        1.0
    };
    let alpha = 1.0 - level;
    let mut integration_error: Option<f64> = None;
    let mut critical_value_error = None;
    // the correlation's factor structure, looked for once for the quantile and every p-value
    let factor = match options.method {
        MultiplicityMethod::SingleStep => Factor::find(correlation),
        _ => None,
    };
    let critical_value = match options.method {
        MultiplicityMethod::SingleStep => {
            match quantile_with(
                level,
                correlation,
                factor.as_ref(),
                df,
                alternative,
                &options.integration,
            )? {
                Outcome::Computed(q) => {
                    integration_error = Some(q.error);
                    critical_value_error = Some(q.quantile_error);
                    Some(q.quantile)
                }
                Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
            }
        }
        MultiplicityMethod::Bonferroni => Some(quantile_1(1.0 - alpha / (sides * m as f64))),
        MultiplicityMethod::Unadjusted => Some(quantile_1(1.0 - alpha / sides)),
        _ => None,
    };
    let adjusted: Vec<f64> = match options.method.p_adjust() {
        Some(method) => {
            let p: Vec<f64> = marginal.iter().map(|e| e.p_value).collect();
            adjust_p_values(&p, method)?
        }
        None if options.method == MultiplicityMethod::Unadjusted => {
            marginal.iter().map(|e| e.p_value).collect()
        }
        None => {
            // the probabilities of the contrasts are independent integrations: in parallel
            let probabilities: Vec<Outcome<MvtProbability>> = statistic
                .par_iter()
                .map(|&t| {
                    let (lower, upper) = match alternative {
                        Alternative::Greater => (f64::NEG_INFINITY, t),
                        Alternative::Less => (t, f64::INFINITY),
                        _ => (-t.abs(), t.abs()),
                    };
                    integrate(
                        factor.as_ref(),
                        correlation,
                        &vec![lower; m],
                        &vec![upper; m],
                        df,
                        &options.integration,
                    )
                })
                .collect();
            let mut out = Vec::with_capacity(m);
            for p in probabilities {
                match p {
                    Outcome::Computed(p) => {
                        integration_error = Some(integration_error.unwrap_or(0.0).max(p.error));
                        out.push((1.0 - p.probability).clamp(0.0, 1.0));
                    }
                    Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
                }
            }
            out
        }
    };
    let contrasts = (0..m)
        .map(|i| AdjustedContrast {
            estimate: marginal[i].clone(),
            adjusted_p_value: adjusted[i],
            simultaneous_interval: critical_value
                .map(|c| interval(estimates[i], c * se[i], level, alternative)),
        })
        .collect();
    Ok(Outcome::Computed(SimultaneousInference {
        method: options.method,
        family,
        method_name: options.method.name(family, df),
        alternative,
        level,
        df,
        critical_value,
        contrasts,
        integration_error,
        critical_value_error,
    }))
}

/// `estimate ± half_width`, or its one-sided version.
fn interval(
    estimate: f64,
    half_width: f64,
    level: f64,
    alternative: Alternative,
) -> ConfidenceInterval {
    match alternative {
        Alternative::Greater => ConfidenceInterval {
            lower: estimate - half_width,
            upper: f64::INFINITY,
            level,
        },
        Alternative::Less => ConfidenceInterval {
            lower: f64::NEG_INFINITY,
            upper: estimate + half_width,
            level,
        },
        _ => ConfidenceInterval::symmetric(estimate, half_width, level),
    }
}

/// The marginal Wald test and interval for the alternative.
fn marginal_estimate(
    label: &str,
    estimate: f64,
    se: f64,
    df: Option<f64>,
    level: f64,
    alternative: Alternative,
) -> Estimate {
    let mut e = Estimate::wald(label, estimate, se, df, level);
    if alternative == Alternative::TwoSided {
        return e;
    }
    let (upper_tail, q) = match df {
        Some(nu) => (dist::t_sf(e.statistic, nu), dist::t_quantile(level, nu)),
        None => (dist::normal_sf(e.statistic), dist::normal_quantile(level)),
    };
    e.p_value = if alternative == Alternative::Greater {
        upper_tail
    } else {
        1.0 - upper_tail
    };
    e.confidence_interval = interval(estimate, q * se, level, alternative);
    e
}
