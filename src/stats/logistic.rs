//! Binary logistic regression by Newton's method (iteratively reweighted least squares, as
//! `glm(family = binomial)`), with Wald and profile-likelihood intervals for the
//! coefficients, odds ratios, and the marginal (standardised) risk difference of a binary
//! treatment indicator.

use crate::stats::describe::{check_finite, check_level, check_same_len};
use crate::stats::{ConfidenceInterval, Estimate, Outcome, RefusalReason, dist, refuse};
use crate::{Error, Result};
use nalgebra::{DMatrix, DVector};
use std::fmt;

/// Label of the intercept, as R prints it.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::{logistic_regression, LogisticOptions, INTERCEPT};
/// let y = [true, false, true, false, true, true, false, false];
/// let x = [1.0, 2.0, 1.5, 3.0, 2.5, 0.5, 1.0, 2.0];
/// let fit = logistic_regression(&y, &[("dose", &x)], &LogisticOptions::default())?
///     .into_result()
///     .unwrap();
/// assert_eq!(fit.coefficients[0].label, INTERCEPT);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub const INTERCEPT: &str = "(Intercept)";

/// Options for [`logistic_regression`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::LogisticOptions;
/// let o = LogisticOptions::default().with_treatment("arm").with_confidence_level(0.9);
/// assert_eq!(o.treatment.as_deref(), Some("arm"));
/// assert_eq!(o.max_iterations, 50);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticOptions {
    /// Confidence level of the Wald and profile intervals; `None` means 0.95.
    pub confidence_level: Option<f64>,
    /// Maximum number of Newton iterations (default 50).
    pub max_iterations: usize,
    /// Convergence criterion: relative change of the deviance `|ΔD| / (|D| + 0.1)` (as
    /// `glm.control`), required together with a coefficient step below `tolerance^(1/2)`
    /// relative; default `1e-12`.
    pub tolerance: f64,
    /// Name of a 0/1 treatment column: when set, the marginal risk difference by
    /// standardisation is computed for it.
    pub treatment: Option<String>,
    /// Whether to compute profile-likelihood intervals (default `true`).
    pub profile: bool,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        Self {
            confidence_level: None,
            max_iterations: 50,
            tolerance: 1e-12,
            treatment: None,
            profile: true,
        }
    }
}

impl LogisticOptions {
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::logistic::LogisticOptions::default().with_confidence_level(0.9);
    /// assert_eq!(o.confidence_level, Some(0.9));
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = Some(level);
        self
    }

    /// Names the 0/1 treatment column for the standardised risk difference.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::logistic::LogisticOptions::default().with_treatment("arm");
    /// assert_eq!(o.treatment.as_deref(), Some("arm"));
    /// ```
    pub fn with_treatment(mut self, column: impl Into<String>) -> Self {
        self.treatment = Some(column.into());
        self
    }

    /// Sets the maximum number of Newton iterations.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::logistic::LogisticOptions::default().with_max_iterations(10);
    /// assert_eq!(o.max_iterations, 10);
    /// ```
    pub fn with_max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    /// Turns the profile-likelihood intervals on or off.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::logistic::LogisticOptions::default().with_profile(false);
    /// assert!(!o.profile);
    /// ```
    pub fn with_profile(mut self, profile: bool) -> Self {
        self.profile = profile;
        self
    }
}

/// The odds ratio `exp(β)` of one coefficient with its Wald interval `exp(β ± q·SE)`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::OddsRatio;
/// use pain_outcomes::stats::Estimate;
/// let or = OddsRatio::from_coefficient(&Estimate::wald("arm", 0.0, 0.5, None, 0.95));
/// assert_eq!(or.odds_ratio, 1.0);
/// assert!(or.confidence_interval.lower < 1.0 && or.confidence_interval.upper > 1.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OddsRatio {
    /// The coefficient's label.
    pub label: String,
    /// `exp(β)` (for the intercept: the odds at all covariates zero).
    pub odds_ratio: f64,
    /// `exp` of the Wald limits of the coefficient.
    pub confidence_interval: ConfidenceInterval,
}

impl OddsRatio {
    /// The odds ratio of a log-odds coefficient.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::{logistic::OddsRatio, Estimate};
    /// let or = OddsRatio::from_coefficient(&Estimate::wald("x", 1.0, 0.1, None, 0.95));
    /// assert!((or.odds_ratio - std::f64::consts::E).abs() < 1e-12);
    /// ```
    pub fn from_coefficient(coefficient: &Estimate) -> Self {
        let ci = coefficient.confidence_interval;
        OddsRatio {
            label: coefficient.label.clone(),
            odds_ratio: coefficient.estimate.exp(),
            confidence_interval: ConfidenceInterval {
                lower: ci.lower.exp(),
                upper: ci.upper.exp(),
                level: ci.level,
            },
        }
    }
}

/// The profile-likelihood interval of one coefficient; a limit is `None` when the profile
/// does not reach the cutoff (the likelihood flattens out on that side).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::ProfileInterval;
/// let p = ProfileInterval { label: "arm".into(), lower: Some(0.1), upper: None, level: 0.95 };
/// assert!(p.upper.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileInterval {
    /// The coefficient's label.
    pub label: String,
    /// Lower limit on the log-odds scale.
    pub lower: Option<f64>,
    /// Upper limit on the log-odds scale.
    pub upper: Option<f64>,
    /// Confidence level.
    pub level: f64,
}

/// The marginal risk difference of a binary treatment by standardisation over all patients.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::{logistic_regression, LogisticOptions};
/// let y = [true, false, true, true, false, false, true, false, true, true];
/// let arm = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0];
/// let o = LogisticOptions::default().with_treatment("arm");
/// let fit = logistic_regression(&y, &[("arm", &arm)], &o)?.into_result().unwrap();
/// let rd = fit.marginal_risk_difference.unwrap();
/// // one binary covariate: the standardised difference is the crude difference 4/5 - 2/5
/// assert!((rd.difference.estimate - 0.4).abs() < 1e-9);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MarginalRiskDifference {
    /// The treatment column.
    pub treatment: String,
    /// Mean predicted risk with everyone treated.
    pub risk_treated: f64,
    /// Mean predicted risk with no one treated.
    pub risk_control: f64,
    /// `risk_treated − risk_control` with its delta-method SE, z test and Wald interval.
    pub difference: Estimate,
}

/// A fitted binary logistic regression.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::{logistic_regression, LogisticOptions};
/// let y = [true, false, true, false, true, true, false, false, true, false];
/// let x = [1.0, 2.0, 1.5, 3.0, 2.5, 0.5, 1.0, 2.0, 0.8, 2.2];
/// let fit = logistic_regression(&y, &[("dose", &x)], &LogisticOptions::default())?
///     .into_result()
///     .unwrap();
/// assert_eq!((fit.n, fit.events, fit.df_residual), (10, 5, 8));
/// assert!((fit.aic - (fit.deviance + 4.0)).abs() < 1e-12);
/// assert!((fit.null_deviance - 20.0 * 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogisticFit {
    /// Patients used.
    pub n: usize,
    /// Patients with the event.
    pub events: usize,
    /// Coefficients on the log-odds scale (labels `(Intercept)` then the covariate names),
    /// with Wald z tests (`df: None`) and Wald intervals.
    pub coefficients: Vec<Estimate>,
    /// Model-based covariance of the coefficients, the inverse Fisher information, row-major.
    pub covariance: Vec<Vec<f64>>,
    /// Residual deviance `−2 log L`.
    pub deviance: f64,
    /// Deviance of the intercept-only model.
    pub null_deviance: f64,
    /// Akaike's criterion `deviance + 2p`.
    pub aic: f64,
    /// Residual degrees of freedom `n − p`.
    pub df_residual: usize,
    /// Newton iterations used.
    pub iterations: usize,
    /// Whether the convergence criterion was met (always `true` for a computed fit: a fit
    /// that did not converge is refused).
    pub converged: bool,
    /// Profile-likelihood intervals, one per coefficient (empty when not requested).
    pub profile_intervals: Vec<ProfileInterval>,
    /// The standardised risk difference, when a treatment column was named.
    pub marginal_risk_difference: Option<MarginalRiskDifference>,
}

impl LogisticFit {
    /// The coefficient labelled `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::logistic::{logistic_regression, LogisticOptions};
    /// let y = [true, false, true, false, true, true, false, false];
    /// let x = [1.0, 2.0, 1.5, 3.0, 2.5, 0.5, 1.0, 2.0];
    /// let fit = logistic_regression(&y, &[("dose", &x)], &LogisticOptions::default())?
    ///     .into_result()
    ///     .unwrap();
    /// assert!(fit.coefficient("dose").unwrap().estimate < 0.0);
    /// assert!(fit.coefficient("age").is_none());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn coefficient(&self, name: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|c| c.label == name)
    }

    /// The odds ratios `exp(β)` with Wald intervals, one per coefficient.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::logistic::{logistic_regression, LogisticOptions};
    /// let y = [true, false, true, false, true, true, false, false];
    /// let x = [1.0, 2.0, 1.5, 3.0, 2.5, 0.5, 1.0, 2.0];
    /// let fit = logistic_regression(&y, &[("dose", &x)], &LogisticOptions::default())?
    ///     .into_result()
    ///     .unwrap();
    /// let or = &fit.odds_ratios()[1];
    /// assert!(or.confidence_interval.contains(or.odds_ratio));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn odds_ratios(&self) -> Vec<OddsRatio> {
        self.coefficients
            .iter()
            .map(OddsRatio::from_coefficient)
            .collect()
    }
}

impl fmt::Display for LogisticFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "logistic regression (n = {}, events = {}, deviance = {:.4}, null deviance = {:.4}, AIC = {:.4}, iterations = {})",
            self.n, self.events, self.deviance, self.null_deviance, self.aic, self.iterations
        )?;
        for c in &self.coefficients {
            writeln!(f, "  {c}")?;
        }
        if let Some(rd) = &self.marginal_risk_difference {
            write!(f, "  standardised {}", rd.difference)?;
        }
        Ok(())
    }
}

/// `log(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
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

/// Binomial deviance `2 Σ (log(1 + e^η) − y η)` of linear predictors `eta`.
fn deviance(y: &DVector<f64>, eta: &DVector<f64>) -> f64 {
    2.0 * y
        .iter()
        .zip(eta.iter())
        .map(|(yi, e)| softplus(*e) - yi * e)
        .sum::<f64>()
}

/// Fitted probabilities within this distance of 0 or 1 mean separation.
const BOUNDARY: f64 = 1e-10;

/// Why a Newton fit failed.
enum FitFailure {
    /// Fitted probabilities numerically 0 or 1, or the information became singular.
    Separation,
    /// The iteration limit was reached.
    NoConvergence,
}

/// A converged Newton fit.
struct NewtonFit {
    beta: DVector<f64>,
    deviance: f64,
    /// Inverse of the Fisher information `XᵀWX`.
    information_inverse: DMatrix<f64>,
    iterations: usize,
}

/// Maximises the binomial likelihood of `y` on `x` with linear predictor `offset + Xβ`, by
/// Newton's method from `start`, halving steps that increase the deviance.
fn newton(
    x: &DMatrix<f64>,
    y: &DVector<f64>,
    offset: &DVector<f64>,
    start: DVector<f64>,
    max_iterations: usize,
    tolerance: f64,
) -> std::result::Result<NewtonFit, FitFailure> {
    let p = x.ncols();
    let mut beta = start;
    let mut eta = offset + x * &beta;
    let mut dev = deviance(y, &eta);
    let step_tolerance = tolerance.sqrt();
    for iteration in 1..=max_iterations {
        let mu = eta.map(expit);
        let w = mu.map(|m| m * (1.0 - m));
        let score = x.transpose() * (y - &mu);
        let mut info = DMatrix::<f64>::zeros(p, p);
        for (i, row) in x.row_iter().enumerate() {
            info += row.transpose() * row * w[i];
        }
        let chol = info.cholesky().ok_or(FitFailure::Separation)?;
        let step = chol.solve(&score);
        let mut candidate = &beta + &step;
        let mut candidate_eta = offset + x * &candidate;
        let mut candidate_dev = deviance(y, &candidate_eta);
        let mut halvings = 0;
        // a NaN deviance counts as an increase
        while (candidate_dev > dev + 1e-12 * (dev.abs() + 0.1) || candidate_dev.is_nan())
            && halvings < 30
        {
            candidate = (&beta + &candidate) / 2.0;
            candidate_eta = offset + x * &candidate;
            candidate_dev = deviance(y, &candidate_eta);
            halvings += 1;
        }
        let change = (candidate_dev - dev).abs() / (candidate_dev.abs() + 0.1);
        let step_size = (&candidate - &beta)
            .iter()
            .zip(candidate.iter())
            .map(|(d, b)| d.abs() / (b.abs() + 1.0))
            .fold(0.0, f64::max);
        beta = candidate;
        eta = candidate_eta;
        dev = candidate_dev;
        if change < tolerance && step_size < step_tolerance {
            if eta
                .iter()
                .map(|e| expit(*e))
                .any(|m| !(BOUNDARY..=1.0 - BOUNDARY).contains(&m))
            {
                return Err(FitFailure::Separation);
            }
            let mu = eta.map(expit);
            let mut info = DMatrix::<f64>::zeros(p, p);
            for (i, row) in x.row_iter().enumerate() {
                info += row.transpose() * row * (mu[i] * (1.0 - mu[i]));
            }
            let chol = info.cholesky().ok_or(FitFailure::Separation)?;
            return Ok(NewtonFit {
                beta,
                deviance: dev,
                information_inverse: chol.inverse(),
                iterations: iteration,
            });
        }
    }
    if eta
        .iter()
        .map(|e| expit(*e))
        .any(|m| !(BOUNDARY..=1.0 - BOUNDARY).contains(&m))
    {
        Err(FitFailure::Separation)
    } else {
        Err(FitFailure::NoConvergence)
    }
}

/// Whether `x` has full column rank (pivot-free QR with a relative threshold, as the ANCOVA).
fn full_rank(x: &DMatrix<f64>) -> bool {
    let p = x.ncols();
    let r = x.clone().qr().r();
    let diag_max = (0..p).map(|i| r[(i, i)].abs()).fold(0.0, f64::max);
    diag_max > 0.0 && (0..p).all(|i| r[(i, i)].abs() > 1e-10 * diag_max)
}

/// The column `j` removed from `x`.
fn without_column(x: &DMatrix<f64>, j: usize) -> DMatrix<f64> {
    x.clone().remove_column(j)
}

/// Everything the profile of one coefficient needs.
struct Profiler<'a> {
    x: &'a DMatrix<f64>,
    y: &'a DVector<f64>,
    fit: &'a NewtonFit,
    max_iterations: usize,
    tolerance: f64,
}

impl Profiler<'_> {
    /// Signed root deviance `sign(b − β̂ⱼ) √(D(b) − D̂)` with `βⱼ` fixed at `b` and the
    /// other coefficients re-maximised; `None` when that constrained fit fails.
    fn signed_root(&self, j: usize, b: f64) -> Option<f64> {
        let rest = without_column(self.x, j);
        let offset = self.x.column(j) * b;
        let start = self.fit.beta.clone().remove_row(j);
        let constrained = newton(
            &rest,
            self.y,
            &offset,
            start,
            self.max_iterations,
            self.tolerance,
        )
        .ok()?;
        let excess = (constrained.deviance - self.fit.deviance).max(0.0);
        Some((b - self.fit.beta[j]).signum() * excess.sqrt())
    }

    /// The limit on side `direction` (−1 lower, +1 upper): the root of
    /// `signed_root(b) = direction · q`, bracketed by stepping out from the estimate in
    /// multiples of the Wald half-width, then refined by the Illinois (regula falsi) method.
    fn limit(&self, j: usize, q: f64, direction: f64) -> Option<f64> {
        let estimate = self.fit.beta[j];
        let se = self.fit.information_inverse[(j, j)].sqrt();
        let target = direction * q;
        let g = |b: f64| self.signed_root(j, b).map(|z| z - target);
        // bracket: g(estimate) = −target has the opposite sign of g beyond the limit
        let (mut inner, mut g_inner) = (estimate, -target);
        let mut width = q * se;
        let mut outer = None;
        for _ in 0..30 {
            let b = inner + direction * width;
            let gb = g(b)?;
            if gb.signum() != g_inner.signum() {
                outer = Some((b, gb));
                break;
            }
            (inner, g_inner) = (b, gb);
            width *= 2.0;
        }
        let (mut b1, mut g1) = (inner, g_inner);
        let (mut b2, mut g2) = outer?;
        let mut side = 0i8;
        for _ in 0..200 {
            let b = (b1 * g2 - b2 * g1) / (g2 - g1);
            if (b2 - b1).abs() <= 1e-12 * (1.0 + b.abs()) {
                return Some(b);
            }
            let gb = g(b)?;
            if gb == 0.0 {
                return Some(b);
            }
            if gb.signum() == g2.signum() {
                (b2, g2) = (b, gb);
                if side == 1 {
                    g1 /= 2.0;
                }
                side = 1;
            } else {
                (b1, g1) = (b, gb);
                if side == -1 {
                    g2 /= 2.0;
                }
                side = -1;
            }
        }
        Some((b1 * g2 - b2 * g1) / (g2 - g1))
    }
}

/// Binary logistic regression of `y` on an intercept and the named covariate columns, by
/// Newton's method (IRLS, as R's `glm(family = binomial)`).
///
/// # Formula
///
/// `logit P(yᵢ = 1) = ηᵢ = xᵢᵀβ`. Newton step `β ← β + (XᵀWX)⁻¹Xᵀ(y − μ)` with
/// `μᵢ = expit(ηᵢ)`, `W = diag(μᵢ(1 − μᵢ))`, halved while the deviance increases; stop when
/// `|ΔD|/(|D| + 0.1) < tolerance` and the step is below `√tolerance` relative.
/// Deviance `D = 2 Σ (log(1 + e^ηᵢ) − yᵢηᵢ)`, null deviance that of the intercept-only model,
/// `AIC = D + 2p`. Wald: `SE(β̂ⱼ) = √[(XᵀWX)⁻¹]ⱼⱼ`, `z = β̂ⱼ/SE`, normal p and interval;
/// odds ratio `exp(β̂ⱼ)` with limits `exp(β̂ⱼ ± q·SE)`.
///
/// **Profile-likelihood intervals** (as `confint` on a `glm` fit, which profiles the
/// likelihood): with `βⱼ` fixed at `b` and the other coefficients re-maximised (Newton with
/// offset `b·xⱼ`, started at β̂), the signed root `z(b) = sign(b − β̂ⱼ)√(D(b) − D̂)`; the
/// limits solve `z(b) = ∓q`, `q = Φ⁻¹((1 + level)/2)`. Each root is bracketed by stepping out
/// from β̂ⱼ by `q·SE`, doubling, and refined by the Illinois method to `1e-12` relative. R's
/// `confint` (MASS) evaluates the profile on a grid and interpolates by spline, so it agrees
/// to about 1e-4 only; the exact roots agree with a root-finder on R's own fits.
///
/// **Standardised risk difference** of a 0/1 treatment column `t`:
/// `RD = (1/n) Σᵢ [expit(xᵢ₁ᵀβ̂) − expit(xᵢ₀ᵀβ̂)]` with `xᵢ₁`, `xᵢ₀` patient `i`'s covariates with
/// `t` set to 1 and to 0. Delta method with the covariates held fixed:
/// `g = (1/n) Σᵢ [pᵢ₁(1 − pᵢ₁)xᵢ₁ − pᵢ₀(1 − pᵢ₀)xᵢ₀]`, `SE = √(gᵀ(XᵀWX)⁻¹g)`; normal interval.
///
/// # References
///
/// McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., ch. 4.
/// Venables, W. N. & Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed.,
/// §7.2 and §8.4 (profile likelihood). Dowell, M. & Jarratt, P. (1971). A modified regula
/// falsi method for computing the root of an equation. *BIT* 11, 168–174 (Illinois method).
/// Greenland, S. (2004). Model-based estimation of relative risks and other epidemiologic
/// measures in studies of common outcomes and in case-control studies. *Am J Epidemiol* 160,
/// 301–305 (standardisation). Oehlert, G. W. (1992). A note on the delta method. *Am Stat* 46,
/// 27–29.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a covariate column of a different length than `y`,
/// non-finite covariate values, duplicate or empty names, a treatment column that is not
/// named or not 0/1, a bad confidence level or `max_iterations = 0`.
///
/// Refuses (no NaN) with fewer patients than coefficients, no events, all events, a singular
/// design, perfect or quasi-complete separation (fitted probabilities numerically 0 or 1, or a
/// singular information) and a fit that does not converge.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::logistic::{logistic_regression, LogisticOptions};
/// use pain_outcomes::RefusalReason;
/// let y = [true, false, true, true, false, false, true, false, true, false];
/// let age = [40.0, 62.0, 45.0, 38.0, 70.0, 58.0, 50.0, 66.0, 61.0, 44.0];
/// let fit = logistic_regression(&y, &[("age", &age)], &LogisticOptions::default())?
///     .into_result()
///     .unwrap();
/// assert!(fit.converged && fit.deviance < fit.null_deviance);
/// let age_ci = &fit.profile_intervals[1];
/// assert!(age_ci.lower.unwrap() < fit.coefficients[1].estimate);
/// // separated: every event below 50 years
/// let sep = [true, false, true, true, false, false, false, false, false, true];
/// let r = logistic_regression(&sep, &[("age", &age)], &LogisticOptions::default())?;
/// assert_eq!(r.refusal().unwrap().reason, RefusalReason::MonotoneLikelihood);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn logistic_regression(
    y: &[bool],
    covariates: &[(&str, &[f64])],
    options: &LogisticOptions,
) -> Result<Outcome<LogisticFit>> {
    let level = options.confidence_level.unwrap_or(0.95);
    check_level(level)?;
    if options.max_iterations == 0 {
        return Err(Error::invalid_argument(
            "max_iterations",
            "must be at least 1",
        ));
    }
    if !(options.tolerance > 0.0 && options.tolerance < 1.0) {
        return Err(Error::invalid_argument(
            "tolerance",
            format!("must be in (0, 1), got {}", options.tolerance),
        ));
    }
    let n = y.len();
    let mut names: Vec<&str> = vec![INTERCEPT];
    for (name, values) in covariates {
        check_same_len("covariates", values.len(), n)?;
        check_finite("covariates", values)?;
        if name.is_empty() || names.contains(name) {
            return Err(Error::invalid_argument(
                "covariates",
                format!("covariate names must be non-empty and distinct, got {name:?}"),
            ));
        }
        names.push(name);
    }
    let treatment = match &options.treatment {
        None => None,
        Some(t) => {
            let Some(j) = covariates.iter().position(|(name, _)| name == t) else {
                return Err(Error::invalid_argument(
                    "treatment",
                    format!("no covariate named {t:?}"),
                ));
            };
            if covariates[j].1.iter().any(|v| *v != 0.0 && *v != 1.0) {
                return Err(Error::invalid_argument(
                    "treatment",
                    format!("column {t:?} must hold only 0 and 1"),
                ));
            }
            Some((t.clone(), j + 1))
        }
    };
    let p = names.len();
    if n < p + 1 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!("{n} patients for {p} coefficients"),
        ));
    }
    let events = y.iter().filter(|v| **v).count();
    if events == 0 {
        return Ok(refuse(
            RefusalReason::NoResponders,
            "no patient has the event",
        ));
    }
    if events == n {
        return Ok(refuse(
            RefusalReason::AllResponders,
            "every patient has the event",
        ));
    }
    let x = DMatrix::from_fn(
        n,
        p,
        |i, j| if j == 0 { 1.0 } else { covariates[j - 1].1[i] },
    );
    if !full_rank(&x) {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the design matrix (intercept and covariates) is rank deficient",
        ));
    }
    let yv = DVector::from_iterator(n, y.iter().map(|v| if *v { 1.0 } else { 0.0 }));
    let mean = events as f64 / n as f64;
    let mut start = DVector::zeros(p);
    start[0] = (mean / (1.0 - mean)).ln();
    let zero = DVector::zeros(n);
    let fit = match newton(
        &x,
        &yv,
        &zero,
        start,
        options.max_iterations,
        options.tolerance,
    ) {
        Ok(f) => f,
        Err(FitFailure::Separation) => {
            return Ok(refuse(
                RefusalReason::MonotoneLikelihood,
                "perfect or quasi-complete separation: fitted probabilities numerically 0 or 1, \
                 a coefficient diverges",
            ));
        }
        Err(FitFailure::NoConvergence) => {
            return Ok(refuse(
                RefusalReason::NoConvergence,
                format!(
                    "Newton iterations did not converge in {} steps",
                    options.max_iterations
                ),
            ));
        }
    };
    let coefficients: Vec<Estimate> = (0..p)
        .map(|j| {
            Estimate::wald(
                names[j],
                fit.beta[j],
                fit.information_inverse[(j, j)].sqrt(),
                None,
                level,
            )
        })
        .collect();
    if coefficients
        .iter()
        .any(|c| !(c.std_error.is_finite() && c.std_error > 0.0))
    {
        return Ok(refuse(
            RefusalReason::NotEstimable,
            "a standard error is not positive and finite",
        ));
    }
    let null_deviance =
        -2.0 * (events as f64 * mean.ln() + (n - events) as f64 * (1.0 - mean).ln());
    let q = dist::normal_quantile(0.5 + level / 2.0);
    let profile_intervals = if options.profile {
        let profiler = Profiler {
            x: &x,
            y: &yv,
            fit: &fit,
            max_iterations: options.max_iterations.max(100),
            tolerance: options.tolerance,
        };
        (0..p)
            .map(|j| ProfileInterval {
                label: names[j].to_string(),
                lower: profiler.limit(j, q, -1.0),
                upper: profiler.limit(j, q, 1.0),
                level,
            })
            .collect()
    } else {
        Vec::new()
    };
    let marginal_risk_difference = treatment.map(|(name, j)| standardise(&x, &fit, j, name, level));
    let covariance = (0..p)
        .map(|i| (0..p).map(|j| fit.information_inverse[(i, j)]).collect())
        .collect();
    Ok(Outcome::Computed(LogisticFit {
        n,
        events,
        coefficients,
        covariance,
        deviance: fit.deviance,
        null_deviance,
        aic: fit.deviance + 2.0 * p as f64,
        df_residual: n - p,
        iterations: fit.iterations,
        converged: true,
        profile_intervals,
        marginal_risk_difference,
    }))
}

/// The standardised risk difference of design column `j` (0/1) with its delta-method SE.
fn standardise(
    x: &DMatrix<f64>,
    fit: &NewtonFit,
    j: usize,
    treatment: String,
    level: f64,
) -> MarginalRiskDifference {
    let n = x.nrows();
    let p = x.ncols();
    let mut gradient = DVector::<f64>::zeros(p);
    let (mut risk_treated, mut risk_control) = (0.0, 0.0);
    for row in x.row_iter() {
        let mut x1 = row.transpose();
        x1[j] = 1.0;
        let mut x0 = row.transpose();
        x0[j] = 0.0;
        let p1 = expit(x1.dot(&fit.beta));
        let p0 = expit(x0.dot(&fit.beta));
        risk_treated += p1;
        risk_control += p0;
        gradient += x1 * (p1 * (1.0 - p1)) - x0 * (p0 * (1.0 - p0));
    }
    let nf = n as f64;
    gradient /= nf;
    risk_treated /= nf;
    risk_control /= nf;
    let variance = (gradient.transpose() * &fit.information_inverse * &gradient)[(0, 0)];
    let difference = Estimate::wald(
        format!("{treatment} risk difference (standardised)"),
        risk_treated - risk_control,
        variance.max(0.0).sqrt(),
        None,
        level,
    );
    MarginalRiskDifference {
        treatment,
        risk_treated,
        risk_control,
        difference,
    }
}
