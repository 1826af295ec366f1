//! The pooled estimate (fixed or random effects), the Q-profile interval of τ², and the
//! mixed-effects meta-regression with its moderator test.

use super::model::{self, Data, Model, Refused};
use super::options::{MetaInference, MetaMethod, MetaOptions};
use crate::stats::{ChiSquareTest, ConfidenceInterval, Estimate, FTest, Outcome, dist};
use crate::{Error, Result};

/// Label of the intercept, as metafor prints it.
///
/// # Examples
///
/// ```
/// assert_eq!(pain_outcomes::stats::meta::INTERCEPT, "intrcpt");
/// ```
pub const INTERCEPT: &str = "intrcpt";

/// A pooled estimate with its heterogeneity statistics.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{meta_analysis, MetaOptions};
/// let fit = meta_analysis(&[0.1, 0.3, 0.5], &[0.01, 0.02, 0.04], &MetaOptions::default())?
///     .into_result()
///     .unwrap();
/// assert_eq!(fit.k, 3);
/// assert!(fit.prediction_interval.lower <= fit.estimate.confidence_interval.lower);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaFit {
    /// The model and τ² estimator.
    pub method: MetaMethod,
    /// Normal or Knapp–Hartung inference.
    pub inference: MetaInference,
    /// Number of studies.
    pub k: usize,
    /// The pooled effect with its SE, z (or t on `k − 1` df under Knapp–Hartung), p-value and
    /// confidence interval.
    pub estimate: Estimate,
    /// The between-study variance τ² (0 for the fixed-effect model).
    pub tau_squared: f64,
    /// Cochran's Q test of homogeneity on `k − 1` degrees of freedom.
    pub heterogeneity: ChiSquareTest,
    /// I², in percent: `100 τ²/(τ² + s²)` for random effects, `100 (Q − df)/Q` (≥ 0) for the
    /// fixed-effect model, `s²` the typical within-study variance.
    pub i_squared: f64,
    /// H²: `τ²/s² + 1` for random effects, `Q/df` for the fixed-effect model.
    pub h_squared: f64,
    /// The prediction interval of the effect in a new study, `μ̂ ± q √(SE² + τ²)` with the
    /// quantile of the estimate's interval.
    pub prediction_interval: ConfidenceInterval,
    /// Percent weight of each study, `100 wᵢ / Σw`, `wᵢ = 1/(vᵢ + τ²)`.
    pub weights: Vec<f64>,
    /// Iterations of the τ² estimator (0 for closed forms).
    pub iterations: usize,
}

/// Fixed- or random-effects meta-analysis of `effects` with sampling `variances`.
///
/// # Formula
///
/// `μ̂ = Σwᵢyᵢ / Σwᵢ`, `wᵢ = 1/(vᵢ + τ̂²)`, `SE = (Σwᵢ)^{-1/2}`. τ²: DerSimonian–Laird
/// `max(0, (Q − (k−1)) / (Σw − Σw²/Σw))`; REML by Fisher scoring; Paule–Mandel as the root of
/// `Σwᵢ(τ²)(yᵢ − μ̂(τ²))² = k − 1` (0 when `Q < k − 1`). Knapp–Hartung multiplies the variance
/// by `Σwᵢ(yᵢ − μ̂)²/(k − 1)` and uses t on `k − 1` df. `Q = Σ(yᵢ − μ̂_FE)²/vᵢ`. As
/// `metafor::rma` (and `predict` for the prediction interval).
///
/// # References
///
/// DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical
/// Trials* 7, 177–188. Paule, R. C. & Mandel, J. (1982). Consensus values and weighting
/// factors. *J. Res. Natl. Bur. Stand.* 87, 377–385. Viechtbauer, W. (2005). Bias and
/// efficiency of meta-analytic variance estimators in the random-effects model. *J. Educ.
/// Behav. Stat.* 30, 261–293. Knapp, G. & Hartung, J. (2003). Improved tests for a random
/// effects meta-regression with a single covariate. *Stat. Med.* 22, 2693–2710. Higgins, J. P.
/// T. & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis. *Stat. Med.* 21,
/// 1539–1558.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for slices of different lengths, non-finite values or a level
/// outside (0, 1). Refuses fewer than 2 studies for random effects (and for Knapp–Hartung),
/// a non-positive variance, and an estimator that does not converge.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{meta_analysis, MetaMethod, MetaOptions};
/// let fe = meta_analysis(&[1.0, 3.0], &[1.0, 1.0], &MetaOptions::default().with_method(MetaMethod::FixedEffect))?
///     .into_result()
///     .unwrap();
/// assert!((fe.estimate.estimate - 2.0).abs() < 1e-15);
/// assert!((fe.heterogeneity.statistic - 2.0).abs() < 1e-15);
/// let one = meta_analysis(&[1.0], &[1.0], &MetaOptions::default())?;
/// assert!(one.refusal().is_some());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[doc(alias = "rma")]
pub fn meta_analysis(
    effects: &[f64],
    variances: &[f64],
    options: &MetaOptions,
) -> Result<Outcome<MetaFit>> {
    let d = match model::data(effects, variances, &[], options.confidence_level)? {
        Outcome::Computed(d) => d,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    Ok(into_outcome(pooled(&d, options)))
}

pub(crate) fn into_outcome<T>(r: Refused<T>) -> Outcome<T> {
    match r {
        Ok(v) => Outcome::Computed(v),
        Err(r) => Outcome::Refused(r),
    }
}

/// The intercept-only fit of `d`.
pub(crate) fn pooled(d: &Data, options: &MetaOptions) -> Refused<MetaFit> {
    let m = model::fit(d, options)?;
    let level = options.confidence_level;
    let b = m.beta.get(0).copied().unwrap_or(0.0);
    let se = m.cov.get((0, 0)).copied().unwrap_or(0.0).sqrt();
    let estimate = Estimate::wald("pooled", b, se, m.df, level);
    let q = quantile(m.df, level);
    let prediction_interval =
        ConfidenceInterval::symmetric(b, q * (se * se + m.tau2).sqrt(), level);
    let total: f64 = m.weights.sum();
    Ok(MetaFit {
        method: options.method,
        inference: options.inference,
        k: m.k,
        estimate,
        tau_squared: m.tau2,
        heterogeneity: q_test("Q", m.qe, m.k as f64 - 1.0),
        i_squared: m.i2,
        h_squared: m.h2,
        prediction_interval,
        weights: m.weights.iter().map(|w| 100.0 * w / total).collect(),
        iterations: m.iterations,
    })
}

/// The two-sided quantile of the interval: t on `df`, or normal.
fn quantile(df: Option<f64>, level: f64) -> f64 {
    match df {
        Some(df) => dist::t_quantile(0.5 + level / 2.0, df),
        None => dist::normal_quantile(0.5 + level / 2.0),
    }
}

/// A chi-square test of a Q statistic; with 0 degrees of freedom Q is 0 and p is 1.
fn q_test(label: &str, q: f64, df: f64) -> ChiSquareTest {
    if df > 0.0 {
        ChiSquareTest::new(label, q, df)
    } else {
        ChiSquareTest {
            label: label.to_string(),
            statistic: 0.0,
            df: 0.0,
            p_value: 1.0,
        }
    }
}

/// The Q-profile confidence interval of τ² and the matching intervals of I² and H².
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{tau_squared_interval, MetaOptions};
/// let ci = tau_squared_interval(&[0.1, 0.5, 0.9, 0.2], &[0.02, 0.03, 0.02, 0.05], &MetaOptions::default())?
///     .into_result()
///     .unwrap();
/// assert!(ci.tau_squared.lower <= ci.tau_squared.upper);
/// assert!(ci.i_squared.upper <= 100.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TauSquaredInterval {
    /// Interval of τ².
    pub tau_squared: ConfidenceInterval,
    /// Interval of I² (percent), `100 τ²/(τ² + s²)` at the limits of τ².
    pub i_squared: ConfidenceInterval,
    /// Interval of H², `τ²/s² + 1` at the limits of τ².
    pub h_squared: ConfidenceInterval,
}

/// The Q-profile confidence interval of τ² (without moderators).
///
/// # Formula
///
/// The limits solve `Q(τ²) = Σwᵢ(τ²)(yᵢ − μ̂(τ²))² = χ²_{k−1, 1−α/2}` (lower limit) and
/// `= χ²_{k−1, α/2}` (upper limit); a limit is 0 when `Q(0)` is already below its quantile.
/// As `metafor::confint(rma(...))` (`type = "QP"`).
///
/// # References
///
/// Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in
/// meta-analysis. *Stat. Med.* 26, 37–52. Knapp, G., Biggerstaff, B. J. & Hartung, J. (2006).
/// Assessing the amount of heterogeneity in random-effects meta-analysis. *Biometrical
/// Journal* 48, 271–285.
///
/// # Errors
///
/// As [`meta_analysis`]. Refuses fewer than 2 studies, a non-positive variance and a root
/// search that does not converge.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{tau_squared_interval, MetaOptions};
/// // homogeneous studies: Q(0) below the lower quantile, so the interval is [0, 0]
/// let ci = tau_squared_interval(&[0.30, 0.31, 0.29], &[0.04, 0.05, 0.04], &MetaOptions::default())?
///     .into_result()
///     .unwrap();
/// assert_eq!((ci.tau_squared.lower, ci.tau_squared.upper), (0.0, 0.0));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn tau_squared_interval(
    effects: &[f64],
    variances: &[f64],
    options: &MetaOptions,
) -> Result<Outcome<TauSquaredInterval>> {
    let d = match model::data(effects, variances, &[], options.confidence_level)? {
        Outcome::Computed(d) => d,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    Ok(into_outcome(q_profile(&d, options)))
}

pub(crate) fn q_profile(d: &Data, options: &MetaOptions) -> Refused<TauSquaredInterval> {
    let df = d.df();
    if df < 1.0 {
        return Err(crate::Refusal::new(
            crate::RefusalReason::TooFewObservations,
            format!(
                "{} studies: the interval of tau^2 needs at least 2 (more than the coefficients)",
                d.k()
            ),
        ));
    }
    let level = options.confidence_level;
    let alpha = 1.0 - level;
    let crit_upper = dist::chi_squared_quantile(1.0 - alpha / 2.0, df);
    let crit_lower = dist::chi_squared_quantile(alpha / 2.0, df);
    let fe = model::wls(d, 0.0).ok_or_else(|| {
        crate::Refusal::new(crate::RefusalReason::SingularDesign, "X'WX is singular")
    })?;
    let q0 = fe.rss;
    let root = |target: f64| -> Refused<f64> {
        if q0 <= target {
            Ok(0.0)
        } else {
            Ok(model::generalised_q_root(d, target, options)?.0)
        }
    };
    let upper = root(crit_lower)?;
    let lower = if upper == 0.0 { 0.0 } else { root(crit_upper)? };
    let vt = df / fe.trace();
    let ci = |f: &dyn Fn(f64) -> f64| ConfidenceInterval {
        lower: f(lower),
        upper: f(upper),
        level,
    };
    Ok(TauSquaredInterval {
        tau_squared: ci(&|t| t),
        i_squared: ci(&|t| 100.0 * t / (vt + t)),
        h_squared: ci(&|t| t / vt + 1.0),
    })
}

/// The omnibus test of the moderators: a chi-square (Wald) test, or an F test under
/// Knapp–Hartung.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::ChiSquareTest;
/// use pain_outcomes::stats::meta::ModeratorTest;
/// let t = ModeratorTest::ChiSquare(ChiSquareTest::new("QM", 3.84, 1.0));
/// assert!((t.p_value() - 0.05).abs() < 1e-3);
/// assert_eq!(t.df_numerator(), 1.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum ModeratorTest {
    /// `QM = b' V⁻¹ b` on a chi-square with `m` df.
    ChiSquare(ChiSquareTest),
    /// `F = QM/m` on `F(m, k − p)` (Knapp–Hartung).
    F(FTest),
}

impl ModeratorTest {
    /// The statistic (QM, or F).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::FTest;
    /// use pain_outcomes::stats::meta::ModeratorTest;
    /// let t = ModeratorTest::F(FTest::new("QM", 2.5, 2.0, 10.0));
    /// assert_eq!((t.statistic(), t.df_denominator()), (2.5, Some(10.0)));
    /// ```
    pub fn statistic(&self) -> f64 {
        match self {
            ModeratorTest::ChiSquare(t) => t.statistic,
            ModeratorTest::F(t) => t.statistic,
        }
    }

    /// The p-value.
    pub fn p_value(&self) -> f64 {
        match self {
            ModeratorTest::ChiSquare(t) => t.p_value,
            ModeratorTest::F(t) => t.p_value,
        }
    }

    /// The (numerator) degrees of freedom: the number of coefficients tested.
    pub fn df_numerator(&self) -> f64 {
        match self {
            ModeratorTest::ChiSquare(t) => t.df,
            ModeratorTest::F(t) => t.df_numerator,
        }
    }

    /// The denominator degrees of freedom of the F test (`None` for chi-square).
    pub fn df_denominator(&self) -> Option<f64> {
        match self {
            ModeratorTest::ChiSquare(_) => None,
            ModeratorTest::F(t) => Some(t.df_denominator),
        }
    }
}

/// A mixed-effects (or fixed-effects) meta-regression.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{meta_regression, MetaOptions};
/// let y = [0.2, 0.4, 0.5, 0.9, 1.0];
/// let v = [0.02, 0.03, 0.02, 0.04, 0.03];
/// let days = [30.0, 60.0, 90.0, 180.0, 365.0];
/// let reg = meta_regression(&y, &v, &[("follow_up_days", &days)], &MetaOptions::default())?
///     .into_result()
///     .unwrap();
/// assert_eq!(reg.coefficients[1].label, "follow_up_days");
/// assert_eq!(reg.moderator_test.df_numerator(), 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaRegression {
    /// The model and τ² estimator.
    pub method: MetaMethod,
    /// Normal or Knapp–Hartung inference.
    pub inference: MetaInference,
    /// Number of studies.
    pub k: usize,
    /// Intercept (`intrcpt`) and one coefficient per moderator, with SE, test and interval.
    pub coefficients: Vec<Estimate>,
    /// Residual between-study variance τ².
    pub tau_squared: f64,
    /// Omnibus test of all moderators (every coefficient but the intercept).
    pub moderator_test: ModeratorTest,
    /// Test of residual heterogeneity `Q_E` on `k − p` df.
    pub residual_heterogeneity: ChiSquareTest,
    /// Residual I² (percent).
    pub i_squared: f64,
    /// Residual H².
    pub h_squared: f64,
    /// Iterations of the τ² estimator.
    pub iterations: usize,
}

/// Meta-regression of `effects` on `moderators` (an intercept is added), with τ² by
/// `options.method`.
///
/// # Formula
///
/// `β̂ = (X'WX)⁻¹X'Wy`, `W = diag(1/(vᵢ + τ̂²))`, `Var β̂ = (X'WX)⁻¹` (times the Knapp–Hartung
/// scale `y'Py/(k − p)`); τ² by DL `(Q_E − (k − p))/tr P₀`, REML or Paule–Mandel
/// (`y'P(τ²)y = k − p`); `QM = β̂₂' V₂₂⁻¹ β̂₂` over the moderator coefficients. As
/// `metafor::rma(yi, vi, mods = ~ …)`.
///
/// # References
///
/// Thompson, S. G. & Sharp, S. J. (1999). Explaining heterogeneity in meta-analysis: a
/// comparison of methods. *Stat. Med.* 18, 2693–2708. Knapp, G. & Hartung, J. (2003),
/// *Stat. Med.* 22, 2693–2710. Viechtbauer, W. (2010), *J. Stat. Softw.* 36(3).
///
/// # Errors
///
/// As [`meta_analysis`], and [`Error::InvalidArgument`] without any moderator. Refuses
/// collinear moderators, `k ≤ p` for random effects and non-convergence.
///
/// # Examples
///
/// ```
/// use pain_outcomes::RefusalReason;
/// use pain_outcomes::stats::meta::{meta_regression, MetaOptions};
/// let same = [90.0, 90.0, 90.0, 90.0];
/// let r = meta_regression(&[0.1, 0.2, 0.3, 0.4], &[0.01; 4], &[("days", &same)], &MetaOptions::default())?;
/// assert_eq!(r.refusal().map(|r| r.reason), Some(RefusalReason::SingularDesign));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn meta_regression(
    effects: &[f64],
    variances: &[f64],
    moderators: &[(&str, &[f64])],
    options: &MetaOptions,
) -> Result<Outcome<MetaRegression>> {
    if moderators.is_empty() {
        return Err(Error::invalid_argument(
            "moderators",
            "a meta-regression needs at least one moderator",
        ));
    }
    let d = match model::data(effects, variances, moderators, options.confidence_level)? {
        Outcome::Computed(d) => d,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let labels: Vec<&str> = std::iter::once(INTERCEPT)
        .chain(moderators.iter().map(|(n, _)| *n))
        .collect();
    Ok(into_outcome(regression(&d, &labels, options)))
}

pub(crate) fn regression(
    d: &Data,
    labels: &[&str],
    options: &MetaOptions,
) -> Refused<MetaRegression> {
    let m = model::fit(d, options)?;
    let level = options.confidence_level;
    let coefficients = labels
        .iter()
        .enumerate()
        .map(|(j, label)| {
            let b = m.beta.get(j).copied().unwrap_or(0.0);
            let se = m.cov.get((j, j)).copied().unwrap_or(0.0).sqrt();
            Estimate::wald(*label, b, se, m.df, level)
        })
        .collect();
    let moderator_test = moderator_test(&m)?;
    Ok(MetaRegression {
        method: options.method,
        inference: options.inference,
        k: m.k,
        coefficients,
        tau_squared: m.tau2,
        moderator_test,
        residual_heterogeneity: q_test("QE", m.qe, (m.k - m.p) as f64),
        i_squared: m.i2,
        h_squared: m.h2,
        iterations: m.iterations,
    })
}

/// `QM` over every coefficient but the intercept.
fn moderator_test(m: &Model) -> Refused<ModeratorTest> {
    let p = m.p;
    let q = p.saturating_sub(1);
    let b = m.beta.rows(1, q).into_owned();
    let v = m.cov.view((1, 1), (q, q)).into_owned();
    let qm = v
        .cholesky()
        .map(|c| b.dot(&c.solve(&b)))
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            crate::Refusal::new(
                crate::RefusalReason::SingularDesign,
                "the covariance of the moderator coefficients is singular",
            )
        })?;
    Ok(match m.df {
        Some(df) => ModeratorTest::F(FTest::new("QM", qm / q as f64, q as f64, df)),
        None => ModeratorTest::ChiSquare(ChiSquareTest::new("QM", qm, q as f64)),
    })
}
