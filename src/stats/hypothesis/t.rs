//! Student's and Welch's t tests (one-sample, paired, two-sample), as R's `t.test`.

use std::fmt;

use crate::outcome::refuse;
use crate::stats::ConfidenceInterval;
use crate::stats::describe::{check_finite, check_level, check_same_len, mean_and_ss};
use crate::stats::dist;
use crate::{Error, Outcome, RefusalReason, Result};

/// The alternative hypothesis.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::Alternative;
/// assert_eq!(Alternative::default(), Alternative::TwoSided);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alternative {
    /// The true location differs from the null value.
    #[default]
    TwoSided,
    /// The true location is less than the null value.
    Less,
    /// The true location is greater than the null value.
    Greater,
}

/// Variance assumption of a two-sample t test or one-way ANOVA.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::Variances;
/// assert_eq!(Variances::default(), Variances::Unequal);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variances {
    /// Welch: no equal-variance assumption (R's default `var.equal = FALSE`).
    #[default]
    Unequal,
    /// Student / classic ANOVA: pooled variance.
    Equal,
}

/// Whether a continuity correction is applied.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::ContinuityCorrection;
/// assert_eq!(ContinuityCorrection::default(), ContinuityCorrection::Applied);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContinuityCorrection {
    /// Apply the correction (R's default `correct = TRUE`).
    #[default]
    Applied,
    /// No correction.
    None,
}

/// How a rank test chooses between its exact and its normal-approximation p-value.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::ExactPolicy;
/// assert_eq!(ExactPolicy::default(), ExactPolicy::Auto);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExactPolicy {
    /// Exact when every sample has fewer than 50 values and there are no ties (or zeros), as
    /// R's `wilcox.test`.
    #[default]
    Auto,
    /// Always the normal approximation.
    Never,
}

/// Options for the t tests.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{TTestOptions, Variances};
/// let o = TTestOptions::default().with_variances(Variances::Equal);
/// assert_eq!(o.variances, Variances::Equal);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTestOptions {
    /// Alternative hypothesis.
    pub alternative: Alternative,
    /// Null value of the mean (difference).
    pub mu: f64,
    /// Confidence level (default 0.95).
    pub confidence_level: f64,
    /// Variance assumption of the two-sample test (default Welch).
    pub variances: Variances,
}

impl Default for TTestOptions {
    fn default() -> Self {
        Self {
            alternative: Alternative::TwoSided,
            mu: 0.0,
            confidence_level: 0.95,
            variances: Variances::Unequal,
        }
    }
}

impl TTestOptions {
    /// Sets the alternative.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::hypothesis::{Alternative, TTestOptions};
    /// assert_eq!(TTestOptions::default().with_alternative(Alternative::Less).alternative, Alternative::Less);
    /// ```
    pub fn with_alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }
    /// Sets the null value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::hypothesis::TTestOptions::default().with_mu(1.0).mu, 1.0);
    /// ```
    pub fn with_mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::hypothesis::TTestOptions::default().with_confidence_level(0.9);
    /// assert_eq!(o.confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }
    /// Sets the variance assumption.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::hypothesis::{TTestOptions, Variances};
    /// assert_eq!(TTestOptions::default().with_variances(Variances::Equal).variances, Variances::Equal);
    /// ```
    pub fn with_variances(mut self, variances: Variances) -> Self {
        self.variances = variances;
        self
    }
}

/// Result of a t test (as R's `t.test`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TTest {
    /// Test name.
    pub method: &'static str,
    /// t statistic.
    pub statistic: f64,
    /// Degrees of freedom (Welch–Satterthwaite for the Welch test).
    pub df: f64,
    /// p-value for the chosen alternative.
    pub p_value: f64,
    /// Mean (one sample), mean difference (paired) or difference of means `x̄ − ȳ`.
    pub estimate: f64,
    /// Standard error of the estimate.
    pub std_error: f64,
    /// Confidence interval for a two-sided alternative.
    pub confidence_interval: Option<ConfidenceInterval>,
    /// One-sided confidence bound (upper for `Less`, lower for `Greater`).
    pub confidence_bound: Option<f64>,
    /// Alternative hypothesis.
    pub alternative: Alternative,
}

impl fmt::Display for TTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: t = {:.4}, df = {:.4}, p-value = {:.4e}; estimate = {:.4}",
            self.method, self.statistic, self.df, self.p_value, self.estimate
        )?;
        if let Some(ci) = &self.confidence_interval {
            write!(f, ", {ci}")?;
        }
        if let Some(b) = self.confidence_bound {
            write!(f, ", one-sided bound {b:.4}")?;
        }
        Ok(())
    }
}

fn p_from_t(t: f64, df: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::TwoSided => dist::t_two_sided_p(t, df),
        Alternative::Less => dist::t_cdf(t, df),
        Alternative::Greater => dist::t_sf(t, df),
    }
}

pub(super) fn p_from_z(z: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::TwoSided => (2.0 * dist::normal_sf(z.abs())).min(1.0),
        Alternative::Less => dist::normal_cdf(z),
        Alternative::Greater => dist::normal_sf(z),
    }
}

fn finish_t(
    method: &'static str,
    estimate: f64,
    std_error: f64,
    df: f64,
    options: &TTestOptions,
) -> TTest {
    let statistic = (estimate - options.mu) / std_error;
    let level = options.confidence_level;
    let (confidence_interval, confidence_bound) = match options.alternative {
        Alternative::TwoSided => {
            let q = dist::t_quantile(0.5 + level / 2.0, df);
            (
                Some(ConfidenceInterval {
                    lower: estimate - q * std_error,
                    upper: estimate + q * std_error,
                    level,
                }),
                None,
            )
        }
        Alternative::Less => (
            None,
            Some(estimate + dist::t_quantile(level, df) * std_error),
        ),
        Alternative::Greater => (
            None,
            Some(estimate - dist::t_quantile(level, df) * std_error),
        ),
    };
    TTest {
        method,
        statistic,
        df,
        p_value: p_from_t(statistic, df, options.alternative),
        estimate,
        std_error,
        confidence_interval,
        confidence_bound,
        alternative: options.alternative,
    }
}

fn check_t_options(options: &TTestOptions) -> Result<()> {
    check_level(options.confidence_level)?;
    if !options.mu.is_finite() {
        return Err(Error::invalid_argument("mu", "must be finite"));
    }
    Ok(())
}

fn size_refusal<T>(name: &str, n: usize) -> Option<Outcome<T>> {
    match n {
        0 => Some(refuse(
            RefusalReason::EmptyGroup,
            format!("{name} is empty"),
        )),
        1 => Some(refuse(
            RefusalReason::TooFewObservations,
            format!("{name} has n = 1; a variance needs n >= 2"),
        )),
        _ => None,
    }
}

/// One-sample t test of the mean, as R's `t.test(x, mu = …)`.
///
/// # Formula
///
/// `t = (x̄ − μ₀) / (s / √n)` on `n − 1` df.
///
/// # References
///
/// Student (1908). The probable error of a mean. *Biometrika* 6, 1–25.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for non-finite data or options. Refuses with n < 2
/// (`EmptyGroup`/`TooFewObservations`) or zero variance (`ZeroVariance`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{one_sample_t_test, TTestOptions};
/// let t = one_sample_t_test(&[1.0, 2.0, 3.0, 4.0], &TTestOptions::default()).unwrap().into_result().unwrap();
/// assert!((t.estimate - 2.5).abs() < 1e-12);
/// assert!((t.df - 3.0).abs() < 1e-12);
/// ```
pub fn one_sample_t_test(x: &[f64], options: &TTestOptions) -> Result<Outcome<TTest>> {
    check_t_options(options)?;
    check_finite("x", x)?;
    if let Some(r) = size_refusal("x", x.len()) {
        return Ok(r);
    }
    let n = x.len() as f64;
    let (mean, ss) = mean_and_ss(x);
    if ss == 0.0 {
        return Ok(refuse(RefusalReason::ZeroVariance, "all values are equal"));
    }
    let se = (ss / (n - 1.0) / n).sqrt();
    Ok(Outcome::Computed(finish_t(
        "One Sample t-test",
        mean,
        se,
        n - 1.0,
        options,
    )))
}

/// Paired t test of `x − y`, as R's `t.test(x, y, paired = TRUE)`.
///
/// # Formula
///
/// One-sample t test on the differences `d_i = x_i − y_i`.
///
/// # References
///
/// Student (1908). The probable error of a mean. *Biometrika* 6, 1–25.
///
/// # Errors
///
/// As [`one_sample_t_test`]; also when the slices differ in length.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{paired_t_test, TTestOptions};
/// let t = paired_t_test(&[7.0, 6.0, 8.0], &[5.0, 5.0, 4.0], &TTestOptions::default()).unwrap().into_result().unwrap();
/// assert!((t.estimate - 7.0 / 3.0).abs() < 1e-12);
/// ```
pub fn paired_t_test(x: &[f64], y: &[f64], options: &TTestOptions) -> Result<Outcome<TTest>> {
    check_same_len("y", x.len(), y.len())?;
    check_finite("x", x)?;
    check_finite("y", y)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    Ok(one_sample_t_test(&d, options)?.map(|mut t| {
        t.method = "Paired t-test";
        t
    }))
}

/// Two-sample t test of `mean(x) − mean(y)`: Welch (default) or Student, as R's
/// `t.test(x, y, var.equal = …)`.
///
/// # Formula
///
/// Welch: `t = (x̄ − ȳ − μ₀) / √(s²ₓ/nₓ + s²ᵧ/nᵧ)` with Welch–Satterthwaite
/// `df = (s²ₓ/nₓ + s²ᵧ/nᵧ)² / ((s²ₓ/nₓ)²/(nₓ−1) + (s²ᵧ/nᵧ)²/(nᵧ−1))`. Student: pooled variance,
/// `df = nₓ + nᵧ − 2`.
///
/// # References
///
/// Welch, B. L. (1947). The generalization of "Student's" problem when several different
/// population variances are involved. *Biometrika* 34, 28–35.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for non-finite data or options. Refuses when a sample has
/// n < 2 or when the standard error is zero.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{two_sample_t_test, TTestOptions};
/// let t = two_sample_t_test(&[5.0, 6.0, 7.0, 9.0], &[3.0, 4.0, 4.5], &TTestOptions::default())
///     .unwrap().into_result().unwrap();
/// assert!((t.estimate - (6.75 - 11.5 / 3.0)).abs() < 1e-12);
/// assert!(t.p_value > 0.0 && t.p_value < 0.05);
/// ```
pub fn two_sample_t_test(x: &[f64], y: &[f64], options: &TTestOptions) -> Result<Outcome<TTest>> {
    check_t_options(options)?;
    check_finite("x", x)?;
    check_finite("y", y)?;
    if let Some(r) = size_refusal("x", x.len()).or_else(|| size_refusal("y", y.len())) {
        return Ok(r);
    }
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (mx, ssx) = mean_and_ss(x);
    let (my, ssy) = mean_and_ss(y);
    let (vx, vy) = (ssx / (nx - 1.0), ssy / (ny - 1.0));
    let (se, df, method) = match options.variances {
        Variances::Unequal => {
            let (a, b) = (vx / nx, vy / ny);
            let se2 = a + b;
            let df = se2 * se2 / (a * a / (nx - 1.0) + b * b / (ny - 1.0));
            (se2.sqrt(), df, "Welch Two Sample t-test")
        }
        Variances::Equal => {
            let df = nx + ny - 2.0;
            let v = (ssx + ssy) / df;
            ((v * (1.0 / nx + 1.0 / ny)).sqrt(), df, " Two Sample t-test")
        }
    };
    if se == 0.0 || !df.is_finite() {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "both samples have zero variance",
        ));
    }
    Ok(Outcome::Computed(finish_t(
        method,
        mx - my,
        se,
        df,
        options,
    )))
}
