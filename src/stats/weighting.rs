//! Propensity-score weighting kernels: weights for the ATE, ATT and overlap estimands (with
//! stabilising and trimming), Kish's effective sample size, standardised mean differences and
//! variance ratios for balance, weighted least squares with the design-based sandwich of
//! `survey::svyglm`, and E-values for unmeasured confounding.

use crate::stats::describe::{check_finite, check_level, check_same_len};
use crate::stats::{Estimate, Outcome, RefusalReason, refuse};
use crate::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// The population a weighted comparison speaks about.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::WeightEstimand;
/// assert_eq!("att".parse::<WeightEstimand>()?, WeightEstimand::Att);
/// assert_eq!(WeightEstimand::Overlap.code(), "overlap");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WeightEstimand {
    /// Average treatment effect in the whole population: `t/e + (1 − t)/(1 − e)`.
    #[default]
    Ate,
    /// Average treatment effect in the treated: `t + (1 − t) e/(1 − e)`.
    Att,
    /// Average treatment effect in the overlap population (Li, Morgan & Zaslavsky 2018):
    /// `t (1 − e) + (1 − t) e`.
    Overlap,
}

impl WeightEstimand {
    /// Every estimand, in the order of the command-line codes.
    pub const ALL: [WeightEstimand; 3] = [Self::Ate, Self::Att, Self::Overlap];

    /// The command-line code (`ate`, `att`, `overlap`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::weighting::WeightEstimand::Ate.code(), "ate");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Self::Ate => "ate",
            Self::Att => "att",
            Self::Overlap => "overlap",
        }
    }
}

impl std::fmt::Display for WeightEstimand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for WeightEstimand {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let key = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|e| e.code() == key || (key == "ato" && *e == Self::Overlap))
            .ok_or_else(|| {
                Error::invalid_argument(
                    "estimand",
                    format!("`{s}` is not an estimand; use ate, att or overlap"),
                )
            })
    }
}

/// Whether inverse-probability (ATE) weights are stabilised.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::Stabilisation;
/// assert_eq!(Stabilisation::default(), Stabilisation::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stabilisation {
    /// The plain weights.
    #[default]
    None,
    /// ATE weights multiplied by the marginal share of the unit's group (`n₁/n` for the
    /// treated, `n₀/n` for the comparator), so that each group's weights sum to about its size
    /// (Robins, Hernán & Brumback 2000; Austin & Stuart 2015). Point estimates are unchanged.
    Stabilised,
}

/// Options of [`propensity_weights`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::{WeightEstimand, WeightOptions};
/// let o = WeightOptions::default().with_estimand(WeightEstimand::Att).with_trim(0.05);
/// assert_eq!(o.trim, Some(0.05));
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct WeightOptions {
    /// The estimand (default ATE).
    pub estimand: WeightEstimand,
    /// Stabilising (ATE only).
    pub stabilisation: Stabilisation,
    /// Trimming threshold α: units whose propensity score lies outside `[α, 1 − α]` get
    /// weight 0, i.e. leave the weighted analysis (Crump, Hotz, Imbens & Mitnik 2009, who
    /// recommend α = 0.1); the propensity model is not refitted. `None` keeps every unit.
    pub trim: Option<f64>,
}

impl Default for WeightOptions {
    fn default() -> Self {
        Self {
            estimand: WeightEstimand::Ate,
            stabilisation: Stabilisation::None,
            trim: None,
        }
    }
}

impl WeightOptions {
    /// Sets the estimand.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::weighting::{WeightEstimand, WeightOptions};
    /// assert_eq!(WeightOptions::default().with_estimand(WeightEstimand::Overlap).estimand, WeightEstimand::Overlap);
    /// ```
    pub fn with_estimand(mut self, estimand: WeightEstimand) -> Self {
        self.estimand = estimand;
        self
    }

    /// Sets the stabilisation.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::weighting::{Stabilisation, WeightOptions};
    /// let o = WeightOptions::default().with_stabilisation(Stabilisation::Stabilised);
    /// assert_eq!(o.stabilisation, Stabilisation::Stabilised);
    /// ```
    pub fn with_stabilisation(mut self, stabilisation: Stabilisation) -> Self {
        self.stabilisation = stabilisation;
        self
    }

    /// Sets the trimming threshold α.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::weighting::WeightOptions::default().with_trim(0.1).trim, Some(0.1));
    /// ```
    pub fn with_trim(mut self, alpha: f64) -> Self {
        self.trim = Some(alpha);
        self
    }
}

/// Balancing weights from propensity scores `ps` (probability of being treated) and the
/// treatment indicator.
///
/// # Formula
///
/// With `e` the propensity score and `t` the indicator: ATE `t/e + (1 − t)/(1 − e)`; ATT
/// `t + (1 − t) e/(1 − e)`; overlap `t (1 − e) + (1 − t) e`. Stabilised ATE weights are
/// multiplied by `n₁/n` (treated) or `n₀/n` (comparator), the group shares among the units
/// kept. Trimming at α sets the weight of a unit with `e ∉ [α, 1 − α]` to 0.
///
/// # References
///
/// Rosenbaum, P. R. & Rubin, D. B. (1983). The central role of the propensity score in
/// observational studies for causal effects. *Biometrika* 70, 41–55. Austin, P. C. (2011). An
/// introduction to propensity score methods for reducing the effects of confounding in
/// observational studies. *Multivariate Behav Res* 46, 399–424. Li, F., Morgan, K. L. &
/// Zaslavsky, A. M. (2018). Balancing covariates via propensity score weighting. *JASA* 113,
/// 390–400. Crump, R. K., Hotz, V. J., Imbens, G. W. & Mitnik, O. A. (2009). Dealing with
/// limited overlap in estimation of average treatment effects. *Biometrika* 96, 187–199.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for lengths that differ, a score outside (0, 1), a trimming
/// threshold outside [0, 0.5), or stabilisation asked for another estimand than the ATE.
///
/// Refuses ([`RefusalReason::EmptyGroup`]) when trimming leaves a group without units.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::{propensity_weights, WeightEstimand, WeightOptions};
/// let ps = [0.2, 0.5, 0.8, 0.25];
/// let treated = [true, false, true, false];
/// let w = propensity_weights(&ps, &treated, &WeightOptions::default())?.into_result().unwrap();
/// assert!((w[0] - 5.0).abs() < 1e-12 && (w[1] - 2.0).abs() < 1e-12);
/// let o = WeightOptions::default().with_estimand(WeightEstimand::Overlap);
/// let w = propensity_weights(&ps, &treated, &o)?.into_result().unwrap();
/// assert!((w[2] - 0.2).abs() < 1e-12 && (w[3] - 0.25).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn propensity_weights(
    ps: &[f64],
    treated: &[bool],
    options: &WeightOptions,
) -> Result<Outcome<Vec<f64>>> {
    check_same_len("treated", treated.len(), ps.len())?;
    if let Some(e) = ps.iter().find(|e| !(**e > 0.0 && **e < 1.0)) {
        return Err(Error::invalid_argument(
            "ps",
            format!("propensity scores must lie in (0, 1), got {e}"),
        ));
    }
    let alpha = options.trim.unwrap_or(0.0);
    if !(0.0..0.5).contains(&alpha) {
        return Err(Error::invalid_argument(
            "trim",
            format!("the trimming threshold must lie in [0, 0.5), got {alpha}"),
        ));
    }
    if options.stabilisation == Stabilisation::Stabilised && options.estimand != WeightEstimand::Ate
    {
        return Err(Error::invalid_argument(
            "stabilisation",
            format!(
                "stabilising applies to ATE weights only, not to {} weights",
                options.estimand
            ),
        ));
    }
    let kept: Vec<bool> = ps
        .iter()
        .map(|e| *e >= alpha && *e <= 1.0 - alpha)
        .collect();
    let n1 = treated
        .iter()
        .zip(&kept)
        .filter(|(t, k)| **t && **k)
        .count();
    let n0 = treated
        .iter()
        .zip(&kept)
        .filter(|(t, k)| !**t && **k)
        .count();
    if n1 == 0 || n0 == 0 {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!(
                "trimming at {alpha} leaves {n1} treated and {n0} comparator units: no overlap"
            ),
        ));
    }
    let n = (n1 + n0) as f64;
    let weights = ps
        .iter()
        .zip(treated)
        .zip(&kept)
        .map(|((&e, &t), &k)| {
            if !k {
                return 0.0;
            }
            let w = match (options.estimand, t) {
                (WeightEstimand::Ate, true) => 1.0 / e,
                (WeightEstimand::Ate, false) => 1.0 / (1.0 - e),
                (WeightEstimand::Att, true) => 1.0,
                (WeightEstimand::Att, false) => e / (1.0 - e),
                (WeightEstimand::Overlap, true) => 1.0 - e,
                (WeightEstimand::Overlap, false) => e,
            };
            match (options.stabilisation, t) {
                (Stabilisation::Stabilised, true) => w * n1 as f64 / n,
                (Stabilisation::Stabilised, false) => w * n0 as f64 / n,
                _ => w,
            }
        })
        .collect();
    Ok(Outcome::Computed(weights))
}

/// Kish's effective sample size `(Σw)² / Σw²`: the number of equally weighted units that
/// would give the weighted mean the same variance. Zero weights count as absent units; an
/// empty or all-zero slice has ESS 0.
///
/// # References
///
/// Kish, L. (1965). *Survey Sampling*. Wiley, §11.7.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::effective_sample_size;
/// assert!((effective_sample_size(&[1.0, 1.0, 1.0]) - 3.0).abs() < 1e-12);
/// assert!((effective_sample_size(&[1.0, 3.0]) - 1.6).abs() < 1e-12);
/// ```
#[doc(alias = "ESS")]
pub fn effective_sample_size(weights: &[f64]) -> f64 {
    let s: f64 = weights.iter().sum();
    let s2: f64 = weights.iter().map(|w| w * w).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// How a covariate's standardised difference is scaled.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::CovariateKind;
/// assert_ne!(CovariateKind::Continuous, CovariateKind::Binary);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CovariateKind {
    /// A number: sample variances `s²` (denominator `n − 1`).
    Continuous,
    /// A 0/1 indicator: variances `p (1 − p)`.
    Binary,
}

/// The balance of one covariate between two groups: means, standardised difference and
/// variance ratio, unweighted and (optionally) weighted.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::{covariate_balance, CovariateKind};
/// let x = [1.0, 2.0, 3.0, 2.0, 3.0, 4.0];
/// let t = [true, true, true, false, false, false];
/// let b = covariate_balance(&x, &t, None, CovariateKind::Continuous)?;
/// assert!((b.smd + 1.0).abs() < 1e-12);
/// assert!((b.variance_ratio.unwrap() - 1.0).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CovariateBalance {
    /// Mean of the treated (weighted when weights were given).
    pub mean_treated: f64,
    /// Mean of the comparator (weighted when weights were given).
    pub mean_comparator: f64,
    /// `(mean_treated − mean_comparator) / s`, `s` the Austin denominator of the *unweighted*
    /// groups; 0 when `s` = 0 and the means agree.
    pub smd: f64,
    /// Treated over comparator variance (weighted when weights were given); `None` for an
    /// indicator or a zero comparator variance.
    pub variance_ratio: Option<f64>,
}

/// Means, standardised mean difference and variance ratio of covariate `x` between the
/// treated and the comparator, weighted by `weights` when given.
///
/// # Formula
///
/// Denominator (Austin 2009), always from the unweighted groups: `s = √((s₁² + s₀²)/2)` with
/// sample variances for a continuous covariate and `s_g² = p_g(1 − p_g)` for an indicator.
/// Weighted means `Σwx/Σw`; `SMD = (x̄₁ − x̄₀)/s`. Variance ratio `v₁/v₀` with the weighted
/// variance `v = Σw(x − x̄)² / (Σw − Σw²/Σw)` (the sample variance when all weights are 1).
///
/// # References
///
/// Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
/// covariates between treatment groups in propensity-score matched samples. *Stat Med* 28,
/// 3083–3107.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for lengths that differ, non-finite values, negative weights,
/// or a group with fewer than two units (or zero weight).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::{covariate_balance, CovariateKind};
/// let x = [1.0, 0.0, 1.0, 0.0];
/// let t = [true, true, false, false];
/// let w = [3.0, 1.0, 1.0, 1.0];
/// let b = covariate_balance(&x, &t, Some(&w), CovariateKind::Binary)?;
/// assert!((b.mean_treated - 0.75).abs() < 1e-12);
/// assert!((b.smd - 0.5).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn covariate_balance(
    x: &[f64],
    treated: &[bool],
    weights: Option<&[f64]>,
    kind: CovariateKind,
) -> Result<CovariateBalance> {
    check_same_len("treated", treated.len(), x.len())?;
    check_finite("x", x)?;
    if let Some(w) = weights {
        check_same_len("weights", w.len(), x.len())?;
        check_finite("weights", w)?;
        if w.iter().any(|v| *v < 0.0) {
            return Err(Error::invalid_argument(
                "weights",
                "weights must not be negative",
            ));
        }
    }
    let group = |g: bool| -> Vec<f64> {
        x.iter()
            .zip(treated)
            .filter(|(_, t)| **t == g)
            .map(|(v, _)| *v)
            .collect()
    };
    let (x1, x0) = (group(true), group(false));
    if x1.len() < 2 || x0.len() < 2 {
        return Err(Error::invalid_argument(
            "treated",
            format!(
                "each group needs two units, got {} treated and {} comparator",
                x1.len(),
                x0.len()
            ),
        ));
    }
    let ones1 = vec![1.0; x1.len()];
    let ones0 = vec![1.0; x0.len()];
    let var_of = |v: &[f64], w: &[f64]| {
        weighted_moments(v, w).map(|(m, s2)| match kind {
            CovariateKind::Continuous => (m, s2),
            CovariateKind::Binary => (m, m * (1.0 - m)),
        })
    };
    let bad = || Error::invalid_argument("weights", "a group has zero total weight");
    let (_, u1) = var_of(&x1, &ones1).ok_or_else(bad)?;
    let (_, u0) = var_of(&x0, &ones0).ok_or_else(bad)?;
    let denominator = ((u1 + u0) / 2.0).sqrt();
    let (w1, w0) = match weights {
        Some(w) => {
            let split = |g: bool| -> Vec<f64> {
                w.iter()
                    .zip(treated)
                    .filter(|(_, t)| **t == g)
                    .map(|(v, _)| *v)
                    .collect()
            };
            (split(true), split(false))
        }
        None => (ones1, ones0),
    };
    let (m1, v1) = weighted_moments(&x1, &w1).ok_or_else(bad)?;
    let (m0, v0) = weighted_moments(&x0, &w0).ok_or_else(bad)?;
    let diff = m1 - m0;
    let smd = if denominator > 0.0 {
        diff / denominator
    } else {
        0.0
    };
    let variance_ratio = match kind {
        CovariateKind::Continuous if v0 > 0.0 => Some(v1 / v0),
        _ => None,
    };
    Ok(CovariateBalance {
        mean_treated: m1,
        mean_comparator: m0,
        smd,
        variance_ratio,
    })
}

/// Weighted mean and weighted variance `Σw(x − m)²/(Σw − Σw²/Σw)`; `None` for zero total
/// weight. The variance is 0 when only one unit carries weight.
fn weighted_moments(x: &[f64], w: &[f64]) -> Option<(f64, f64)> {
    let s: f64 = w.iter().sum();
    if s <= 0.0 {
        return None;
    }
    let m = x.iter().zip(w).map(|(v, w)| v * w).sum::<f64>() / s;
    let s2: f64 = w.iter().map(|w| w * w).sum();
    let ss: f64 = x.iter().zip(w).map(|(v, w)| w * (v - m) * (v - m)).sum();
    let den = s - s2 / s;
    Some((m, if den > 0.0 { ss / den } else { 0.0 }))
}

/// A weighted least-squares fit with the design-based (sandwich) covariance of
/// `survey::svyglm` on a design `svydesign(ids = ~1, weights = ~w)`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::weighted_regression;
/// let y = [1.0, 2.0, 3.0, 5.0, 6.0, 8.0];
/// let t = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
/// let w = [1.0; 6];
/// let fit = weighted_regression(&y, &[("treated", &t)], &w, 0.95)?.into_result().unwrap();
/// assert!((fit.coefficient("treated").unwrap().estimate - 13.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeightedRegression {
    /// Units with positive weight (the design's `n`).
    pub n: usize,
    /// Sum of their weights.
    pub sum_weights: f64,
    /// Coefficients (`(Intercept)` then the columns) with robust SEs, t tests and intervals
    /// on `n − p` degrees of freedom (as `summary` and `confint` on a `svyglm` fit).
    pub coefficients: Vec<Estimate>,
    /// Robust covariance of the coefficients, row-major.
    pub covariance: Vec<Vec<f64>>,
}

impl WeightedRegression {
    /// The coefficient labelled `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::weighting::weighted_regression;
    /// let y = [1.0, 2.0, 4.0, 3.0, 6.0];
    /// let fit = weighted_regression(&y, &[], &[1.0; 5], 0.95)?.into_result().unwrap();
    /// assert!((fit.coefficient("(Intercept)").unwrap().estimate - 3.2).abs() < 1e-12);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn coefficient(&self, name: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|c| c.label == name)
    }
}

/// Weighted least squares of `y` on an intercept and `columns` with the robust covariance of
/// `survey::svyglm` for a one-stage design with weights `w` (units with weight 0 are left
/// out).
///
/// # Formula
///
/// `β̂ = (XᵀWX)⁻¹XᵀWy`, residuals `eᵢ = yᵢ − xᵢᵀβ̂`, influence `hᵢ = (XᵀWX)⁻¹ xᵢ wᵢ eᵢ`;
/// `V = n/(n − 1) Σᵢ hᵢhᵢᵀ` (the with-replacement variance of the estimated totals of a
/// single-stage design; the `hᵢ` sum to zero, so the centring of `svyrecvar` changes nothing).
/// That is HC0 with the factor `n/(n − 1)`. Tests and intervals use Student's t on the
/// design's residual degrees of freedom `n − p`, as `summary` and `confint` on a `svyglm` fit.
///
/// # References
///
/// Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex
/// surveys. *Int Stat Rev* 51, 279–292. Lumley, T. (2004). Analysis of complex survey samples.
/// *J Stat Softw* 9(8), 1–19.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for lengths that differ, non-finite values, negative weights,
/// duplicate column names or a bad level.
///
/// Refuses with fewer positive-weight units than coefficients plus one, or a singular
/// weighted design.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::weighted_regression;
/// let y = [2.0, 3.0, 5.0, 4.0, 7.0, 9.0];
/// let t = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
/// let w = [1.0, 2.0, 1.0, 0.5, 1.0, 2.0];
/// let fit = weighted_regression(&y, &[("treated", &t)], &w, 0.95)?.into_result().unwrap();
/// // the weighted means: (2 + 6 + 5)/4 and (2 + 7 + 18)/3.5
/// let d = fit.coefficient("treated").unwrap();
/// assert!((d.estimate - (27.0 / 3.5 - 13.0 / 4.0)).abs() < 1e-12);
/// assert!(d.std_error > 0.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn weighted_regression(
    y: &[f64],
    columns: &[(&str, &[f64])],
    w: &[f64],
    level: f64,
) -> Result<Outcome<WeightedRegression>> {
    check_level(level)?;
    check_same_len("weights", w.len(), y.len())?;
    check_finite("y", y)?;
    check_finite("weights", w)?;
    if w.iter().any(|v| *v < 0.0) {
        return Err(Error::invalid_argument(
            "weights",
            "weights must not be negative",
        ));
    }
    let mut names = vec![crate::stats::logistic::INTERCEPT];
    for (name, values) in columns {
        check_same_len("columns", values.len(), y.len())?;
        check_finite("columns", values)?;
        if name.is_empty() || names.contains(name) {
            return Err(Error::invalid_argument(
                "columns",
                format!("column names must be non-empty and distinct, got {name:?}"),
            ));
        }
        names.push(name);
    }
    let rows: Vec<usize> = (0..y.len()).filter(|&i| w[i] > 0.0).collect();
    let n = rows.len();
    let p = names.len();
    if n < p + 1 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!("{n} units with positive weight for {p} coefficients"),
        ));
    }
    let x = DMatrix::from_fn(n, p, |r, j| {
        if j == 0 {
            1.0
        } else {
            columns[j - 1].1[rows[r]]
        }
    });
    let wv = DVector::from_iterator(n, rows.iter().map(|&i| w[i]));
    let yv = DVector::from_iterator(n, rows.iter().map(|&i| y[i]));
    let mut xtwx = DMatrix::<f64>::zeros(p, p);
    let mut xtwy = DVector::<f64>::zeros(p);
    for (r, row) in x.row_iter().enumerate() {
        xtwx += row.transpose() * row * wv[r];
        xtwy += row.transpose() * (wv[r] * yv[r]);
    }
    let Some(chol) = xtwx.clone().cholesky() else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the weighted design is singular",
        ));
    };
    let scale = xtwx.diagonal().max();
    let inverse = chol.inverse();
    let ill =
        |j: usize| (inverse[(j, j)] * scale).partial_cmp(&1e12) != Some(std::cmp::Ordering::Less);
    if scale.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || (0..p).any(ill) {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the weighted design is (numerically) singular",
        ));
    }
    let beta = &inverse * xtwy;
    let mut meat = DMatrix::<f64>::zeros(p, p);
    for (r, row) in x.row_iter().enumerate() {
        let e = yv[r] - (row * &beta)[(0, 0)];
        let u = row.transpose() * (wv[r] * e);
        meat += &u * u.transpose();
    }
    let nf = n as f64;
    let v = &inverse * meat * &inverse * (nf / (nf - 1.0));
    let coefficients: Vec<Estimate> = (0..p)
        .map(|j| {
            let se = v[(j, j)].max(0.0).sqrt();
            Estimate::wald(names[j], beta[j], se, Some((n - p) as f64), level)
        })
        .collect();
    if coefficients
        .iter()
        .any(|c| !(c.std_error.is_finite() && c.std_error > 0.0))
    {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "a robust standard error is zero: the outcome has no residual variation",
        ));
    }
    Ok(Outcome::Computed(WeightedRegression {
        n,
        sum_weights: wv.sum(),
        coefficients,
        covariance: (0..p)
            .map(|i| (0..p).map(|j| v[(i, j)]).collect())
            .collect(),
    }))
}

/// An E-value: the minimum strength of association (risk-ratio scale) that an unmeasured
/// confounder would need with both treatment and outcome to explain away an estimate.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::e_value;
/// let e = e_value(2.0, 1.5, 2.7)?;
/// assert!((e.point - (2.0 + 2f64.sqrt())).abs() < 1e-12);
/// assert!((e.limit - (1.5 + (1.5f64 * 0.5).sqrt())).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EValue {
    /// The risk ratio the E-value was computed from (after any conversion).
    pub risk_ratio: f64,
    /// E-value of the point estimate.
    pub point: f64,
    /// E-value of the confidence limit closer to 1 (1 when the interval contains 1).
    pub limit: f64,
}

/// The E-value of a risk ratio `rr` and of its confidence interval `(lower, upper)`.
///
/// # Formula
///
/// For `RR ≥ 1`: `E = RR + √(RR (RR − 1))`; for `RR < 1` the same of `1/RR`. The limit's
/// E-value uses the limit closer to 1, and is 1 when the interval contains 1.
///
/// # References
///
/// VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational research:
/// introducing the E-value. *Ann Intern Med* 167, 268–274.
///
/// # Errors
///
/// [`Error::InvalidArgument`] unless `0 < lower ≤ rr ≤ upper` are finite.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::e_value;
/// let e = e_value(0.5, 0.3, 1.2)?;
/// assert!((e.point - (2.0 + 2f64.sqrt())).abs() < 1e-12);
/// assert_eq!(e.limit, 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[doc(alias = "E-value")]
pub fn e_value(rr: f64, lower: f64, upper: f64) -> Result<EValue> {
    let ordered = lower > 0.0 && lower <= rr && rr <= upper;
    if !(rr.is_finite() && lower.is_finite() && upper.is_finite() && ordered) {
        return Err(Error::invalid_argument(
            "rr",
            format!("need finite 0 < lower <= rr <= upper, got {lower}, {rr}, {upper}"),
        ));
    }
    let of = |r: f64| {
        let r = if r < 1.0 { 1.0 / r } else { r };
        r + (r * (r - 1.0)).sqrt()
    };
    let limit = if lower <= 1.0 && upper >= 1.0 {
        1.0
    } else if lower > 1.0 {
        of(lower)
    } else {
        of(upper)
    };
    Ok(EValue {
        risk_ratio: rr,
        point: of(rr),
        limit,
    })
}

/// How a hazard ratio is put on the risk-ratio scale for its E-value.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::OutcomeFrequency;
/// assert_eq!(OutcomeFrequency::default(), OutcomeFrequency::Rare);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutcomeFrequency {
    /// Under 15 % of patients have the event by the end of follow-up: `RR ≈ HR`.
    #[default]
    Rare,
    /// A common outcome: `RR ≈ (1 − 0.5^√HR) / (1 − 0.5^√(1/HR))`.
    Common,
}

/// The E-value of a hazard ratio and its interval (VanderWeele & Ding 2017): the hazard ratio
/// is taken as a risk ratio when the outcome is rare, else converted by
/// `RR = (1 − 0.5^√HR) / (1 − 0.5^√(1/HR))` (VanderWeele 2020), limits alike.
///
/// # References
///
/// VanderWeele, T. J. & Ding, P. (2017). *Ann Intern Med* 167, 268–274. VanderWeele, T. J.
/// (2020). Optimal approximate conversions of odds ratios and hazard ratios to risk ratios.
/// *Biometrics* 76, 746–752.
///
/// # Errors
///
/// As [`e_value`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::weighting::{e_value_hazard_ratio, OutcomeFrequency};
/// let rare = e_value_hazard_ratio(0.6, 0.4, 0.9, OutcomeFrequency::Rare)?;
/// assert!((rare.risk_ratio - 0.6).abs() < 1e-12);
/// let common = e_value_hazard_ratio(0.6, 0.4, 0.9, OutcomeFrequency::Common)?;
/// assert!(common.point < rare.point);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn e_value_hazard_ratio(
    hr: f64,
    lower: f64,
    upper: f64,
    frequency: OutcomeFrequency,
) -> Result<EValue> {
    let convert = |h: f64| match frequency {
        OutcomeFrequency::Rare => h,
        OutcomeFrequency::Common => {
            (1.0 - 0.5f64.powf(h.sqrt())) / (1.0 - 0.5f64.powf((1.0 / h).sqrt()))
        }
    };
    if !(lower > 0.0 && hr > 0.0 && upper > 0.0) {
        return Err(Error::invalid_argument(
            "hr",
            format!("hazard ratios must be positive, got {lower}, {hr}, {upper}"),
        ));
    }
    e_value(convert(hr), convert(lower), convert(upper))
}

/// The (weighted) Kaplan–Meier survival probability at each of `days`: the product-limit
/// estimate with each subject counting `wᵢ` times, as `survival::survfit(weights = )`.
///
/// # Formula
///
/// `Ŝ(t) = Π_{tⱼ ≤ t} (1 − dⱼ / nⱼ)` over the distinct event times, with `dⱼ` the summed
/// weight of the events at `tⱼ` and `nⱼ` the summed weight of those at risk (time `≥ tⱼ`).
///
/// # References
///
/// Kaplan, E. L. & Meier, P. (1958). *JASA* 53, 457–481. Cole, S. R. & Hernán, M. A. (2004).
/// Adjusted survival curves with inverse probability weights. *Comput Methods Programs
/// Biomed* 75, 45–49.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for lengths that differ, negative or non-finite times or
/// weights, or non-finite days.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::Status;
/// use pain_outcomes::stats::weighting::weighted_survival_at;
/// let time = [1.0, 2.0, 3.0, 4.0];
/// let status = [Status::Event, Status::Censored, Status::Event, Status::Censored];
/// let s = weighted_survival_at(&time, &status, &[1.0; 4], &[1.5, 3.5])?;
/// assert!((s[0] - 0.75).abs() < 1e-12 && (s[1] - 0.375).abs() < 1e-12);
/// let w = weighted_survival_at(&time, &status, &[3.0, 1.0, 1.0, 1.0], &[1.5])?;
/// assert!((w[0] - 0.5).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn weighted_survival_at(
    time: &[f64],
    status: &[crate::stats::survival::Status],
    weights: &[f64],
    days: &[f64],
) -> Result<Vec<f64>> {
    check_same_len("status", status.len(), time.len())?;
    check_same_len("weights", weights.len(), time.len())?;
    check_finite("time", time)?;
    check_finite("weights", weights)?;
    check_finite("days", days)?;
    if time.iter().chain(weights).any(|v| *v < 0.0) {
        return Err(Error::invalid_argument(
            "time",
            "times and weights must not be negative",
        ));
    }
    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
    let mut at_risk: f64 = weights.iter().sum();
    let mut steps: Vec<(f64, f64)> = Vec::new();
    let mut s = 1.0;
    let mut k = 0;
    while k < order.len() {
        let t = time[order[k]];
        let (mut dead, mut leaving) = (0.0, 0.0);
        while k < order.len() && time[order[k]] == t {
            let i = order[k];
            if status[i].is_event() {
                dead += weights[i];
            }
            leaving += weights[i];
            k += 1;
        }
        if dead > 0.0 && at_risk > 0.0 {
            s *= 1.0 - dead / at_risk;
            steps.push((t, s));
        }
        at_risk -= leaving;
    }
    Ok(days
        .iter()
        .map(|d| {
            steps
                .iter()
                .take_while(|(t, _)| t <= d)
                .last()
                .map_or(1.0, |(_, s)| *s)
        })
        .collect())
}
