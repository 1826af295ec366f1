//! Hypothesis tests on slices: t tests, rank tests, one-way ANOVA (classic and Welch),
//! Kruskal–Wallis, chi-square, Fisher's exact test and tests of proportions, each matching the
//! R function named in its documentation.

// The crate's `Error` carries structured variants and is large; whether to box it is decided
// in `crate::error`, so this lint is silenced here rather than worked around per function.

use crate::stats::describe::{
    ConfidenceInterval, check_finite, check_level, check_same_len, mean_and_ss,
};
use crate::stats::{Outcome, RefusalReason, dist, refuse};
use crate::{Error, Result};
use std::fmt;

/// The alternative hypothesis.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::Alternative;
/// assert_eq!(Alternative::default(), Alternative::TwoSided);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
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
/// use pain_outcomes::stats::tests::Variances;
/// assert_eq!(Variances::default(), Variances::Unequal);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
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
/// use pain_outcomes::stats::tests::ContinuityCorrection;
/// assert_eq!(ContinuityCorrection::default(), ContinuityCorrection::Applied);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
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
/// use pain_outcomes::stats::tests::ExactPolicy;
/// assert_eq!(ExactPolicy::default(), ExactPolicy::Auto);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
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
/// use pain_outcomes::stats::tests::{TTestOptions, Variances};
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
    /// use pain_outcomes::stats::tests::{Alternative, TTestOptions};
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
    /// assert_eq!(pain_outcomes::stats::tests::TTestOptions::default().with_mu(1.0).mu, 1.0);
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
    /// let o = pain_outcomes::stats::tests::TTestOptions::default().with_confidence_level(0.9);
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
    /// use pain_outcomes::stats::tests::{TTestOptions, Variances};
    /// assert_eq!(TTestOptions::default().with_variances(Variances::Equal).variances, Variances::Equal);
    /// ```
    pub fn with_variances(mut self, variances: Variances) -> Self {
        self.variances = variances;
        self
    }
}

/// Result of a t test (as R's `t.test`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

fn p_from_z(z: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::TwoSided => (2.0 * dist::normal_sf(z.abs())).min(1.0),
        Alternative::Less => dist::normal_cdf(z),
        Alternative::Greater => dist::normal_sf(z),
    }
}

#[allow(clippy::too_many_arguments)]
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
/// use pain_outcomes::stats::tests::{one_sample_t_test, TTestOptions};
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
/// use pain_outcomes::stats::tests::{paired_t_test, TTestOptions};
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
/// use pain_outcomes::stats::tests::{two_sample_t_test, TTestOptions};
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

/// Options for the rank tests.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{ExactPolicy, RankTestOptions};
/// assert_eq!(RankTestOptions::default().with_exact(ExactPolicy::Never).exact, ExactPolicy::Never);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankTestOptions {
    /// Alternative hypothesis.
    pub alternative: Alternative,
    /// Null location shift (`mu` of `wilcox.test`).
    pub mu: f64,
    /// Continuity correction of the normal approximation (default applied).
    pub continuity_correction: ContinuityCorrection,
    /// Exact or approximate p-value.
    pub exact: ExactPolicy,
}

impl Default for RankTestOptions {
    fn default() -> Self {
        Self {
            alternative: Alternative::TwoSided,
            mu: 0.0,
            continuity_correction: ContinuityCorrection::Applied,
            exact: ExactPolicy::Auto,
        }
    }
}

impl RankTestOptions {
    /// Sets the alternative.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::tests::{Alternative, RankTestOptions};
    /// assert_eq!(RankTestOptions::default().with_alternative(Alternative::Greater).alternative, Alternative::Greater);
    /// ```
    pub fn with_alternative(mut self, alternative: Alternative) -> Self {
        self.alternative = alternative;
        self
    }
    /// Sets the continuity correction.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::tests::{ContinuityCorrection, RankTestOptions};
    /// let o = RankTestOptions::default().with_continuity_correction(ContinuityCorrection::None);
    /// assert_eq!(o.continuity_correction, ContinuityCorrection::None);
    /// ```
    pub fn with_continuity_correction(mut self, correction: ContinuityCorrection) -> Self {
        self.continuity_correction = correction;
        self
    }
    /// Sets the exact policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::tests::{ExactPolicy, RankTestOptions};
    /// assert_eq!(RankTestOptions::default().with_exact(ExactPolicy::Never).exact, ExactPolicy::Never);
    /// ```
    pub fn with_exact(mut self, exact: ExactPolicy) -> Self {
        self.exact = exact;
        self
    }
    /// Sets the null location shift.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::tests::RankTestOptions::default().with_mu(2.0).mu, 2.0);
    /// ```
    pub fn with_mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }
}

/// How a rank-test p-value was obtained.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::RankPValue;
/// assert_ne!(RankPValue::Exact, RankPValue::NormalApproximation);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankPValue {
    /// Exact permutation distribution.
    Exact,
    /// Normal approximation (with tie correction of the variance).
    NormalApproximation,
}

/// Result of a Wilcoxon rank test (as R's `wilcox.test`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RankTest {
    /// Test name.
    pub method: &'static str,
    /// `W` (rank sum of `x` minus `nₓ(nₓ+1)/2`) or `V` (sum of positive signed ranks).
    pub statistic: f64,
    /// p-value.
    pub p_value: f64,
    /// Exact or approximate.
    pub p_value_method: RankPValue,
    /// Alternative hypothesis.
    pub alternative: Alternative,
}

impl fmt::Display for RankTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: statistic = {}, p-value = {:.4e} ({:?})",
            self.method, self.statistic, self.p_value, self.p_value_method
        )
    }
}

/// Mid-ranks (1-based) of `v` and the tie term `Σ (t³ − t)`.
pub(crate) fn midranks(v: &[f64]) -> (Vec<f64>, f64) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && v[idx[j]] == v[idx[i]] {
            j += 1;
        }
        let r = (i + j + 1) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = r;
        }
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    (ranks, ties)
}

/// Tie term `Σ (t³ − t)` over groups of values equal to 15 significant digits.
fn tie_term_15_digits(v: &[f64]) -> f64 {
    let mut keys: Vec<(f64, String)> = v.iter().map(|x| (*x, format!("{x:.14e}"))).collect();
    keys.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut ties = 0.0;
    let mut i = 0;
    while i < keys.len() {
        let mut j = i + 1;
        while j < keys.len() && keys.get(j).map(|k| &k.1) == keys.get(i).map(|k| &k.1) {
            j += 1;
        }
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    ties
}

/// Counts of the Mann–Whitney statistic `U` over all `C(m+n, m)` arrangements.
fn wilcox_counts(m: usize, n: usize) -> Vec<f64> {
    // f[j][u]: number of arrangements of j values of x among the first i values with sum u,
    // built up over i (the standard recursion for the rank-sum distribution).
    let max_u = m * n;
    let mut f = vec![vec![0.0_f64; max_u + 1]; m + 1];
    if let Some(c) = f.get_mut(0).and_then(|row| row.get_mut(0)) {
        *c = 1.0;
    }
    for i in 1..=(m + n) {
        // adding value number i; if it is from x, U grows by the number of y before it.
        for j in (1..=m.min(i)).rev() {
            let ys_before = i - j;
            if ys_before > n {
                continue;
            }
            let (head, tail) = f.split_at_mut(j);
            if let (Some(prev), Some(cur)) = (head.last(), tail.first_mut()) {
                for u in (ys_before..=max_u).rev() {
                    cur[u] += prev[u - ys_before];
                }
            }
        }
    }
    f.pop().unwrap_or_default()
}

/// Counts of the signed-rank statistic `V` over all `2^n` sign patterns.
fn signrank_counts(n: usize) -> Vec<f64> {
    let max_v = n * (n + 1) / 2;
    let mut c = vec![0.0_f64; max_v + 1];
    if let Some(c0) = c.get_mut(0) {
        *c0 = 1.0;
    }
    for k in 1..=n {
        for v in (k..=max_v).rev() {
            c[v] += c[v - k];
        }
    }
    c
}

/// Exact p-value from a discrete distribution given by counts, as R's `wilcox.test`.
fn exact_p(counts: &[f64], statistic: f64, alternative: Alternative) -> f64 {
    let total: f64 = counts.iter().sum();
    let cdf = |q: f64| -> f64 {
        if q < 0.0 {
            return 0.0;
        }
        let k = q.floor() as usize;
        counts.iter().take(k + 1).sum::<f64>() / total
    };
    let upper = |q: f64| -> f64 {
        // P(S > q) summed directly to keep small tails accurate.
        let k = q.floor();
        if k < 0.0 {
            return 1.0;
        }
        let k = k as usize;
        counts.iter().skip(k + 1).sum::<f64>() / total
    };
    let mean = (counts.len() - 1) as f64 / 2.0;
    match alternative {
        Alternative::TwoSided => {
            let p = if statistic > mean {
                upper(statistic - 1.0)
            } else {
                cdf(statistic)
            };
            (2.0 * p).min(1.0)
        }
        Alternative::Greater => upper(statistic - 1.0),
        Alternative::Less => cdf(statistic),
    }
}

fn correction(alternative: Alternative, z: f64, cc: ContinuityCorrection) -> f64 {
    if cc == ContinuityCorrection::None {
        return 0.0;
    }
    match alternative {
        Alternative::TwoSided => 0.5 * z.signum(),
        Alternative::Greater => 0.5,
        Alternative::Less => -0.5,
    }
}

/// Wilcoxon rank-sum (Mann–Whitney U) test, as R's `wilcox.test(x, y)`: exact when both
/// samples have fewer than 50 values and there are no ties, otherwise the normal approximation
/// with tie-corrected variance and continuity correction.
///
/// # Formula
///
/// `W = Σ rank(xᵢ) − nₓ(nₓ+1)/2`; approximation `z = (W − nₓnᵧ/2 − c) / σ`,
/// `σ² = nₓnᵧ/12 · (nₓ + nᵧ + 1 − Σ(t³ − t)/((nₓ+nᵧ)(nₓ+nᵧ−1)))`, `c` the continuity
/// correction (±1/2).
///
/// # References
///
/// Mann, H. B. & Whitney, D. R. (1947). *Ann. Math. Statist.* 18, 50–60. Hollander, M. &
/// Wolfe, D. A. (1973). *Nonparametric Statistical Methods*, 67–68.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for non-finite values. Refuses (`EmptyGroup`) when a sample is
/// empty and (`ZeroVariance`) when all values are tied.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{mann_whitney_u_test, RankPValue, RankTestOptions};
/// let r = mann_whitney_u_test(&[1.1, 2.2, 3.3, 4.4], &[5.5, 6.6, 7.7], &RankTestOptions::default())
///     .unwrap().into_result().unwrap();
/// assert_eq!(r.statistic, 0.0);
/// assert_eq!(r.p_value_method, RankPValue::Exact);
/// assert!((r.p_value - 2.0 / 35.0).abs() < 1e-12);
/// ```
#[doc(alias = "wilcox.test")]
#[doc(alias = "rank sum")]
pub fn mann_whitney_u_test(
    x: &[f64],
    y: &[f64],
    options: &RankTestOptions,
) -> Result<Outcome<RankTest>> {
    check_finite("x", x)?;
    check_finite("y", y)?;
    if x.is_empty() || y.is_empty() {
        return Ok(refuse(RefusalReason::EmptyGroup, "a sample is empty"));
    }
    let (nx, ny) = (x.len(), y.len());
    let all: Vec<f64> = x
        .iter()
        .map(|v| v - options.mu)
        .chain(y.iter().copied())
        .collect();
    let (ranks, ties) = midranks(&all);
    let w: f64 = ranks.iter().take(nx).sum::<f64>() - (nx * (nx + 1)) as f64 / 2.0;
    let exact = options.exact == ExactPolicy::Auto && nx < 50 && ny < 50 && ties == 0.0;
    if exact {
        let counts = wilcox_counts(nx, ny);
        return Ok(Outcome::Computed(RankTest {
            method: "Wilcoxon rank sum exact test",
            statistic: w,
            p_value: exact_p(&counts, w, options.alternative),
            p_value_method: RankPValue::Exact,
            alternative: options.alternative,
        }));
    }
    let (fx, fy) = (nx as f64, ny as f64);
    let nn = fx + fy;
    let sigma2 = fx * fy / 12.0 * ((nn + 1.0) - ties / (nn * (nn - 1.0)));
    if sigma2 <= 0.0 {
        return Ok(refuse(RefusalReason::ZeroVariance, "all values are tied"));
    }
    let z0 = w - fx * fy / 2.0;
    let z =
        (z0 - correction(options.alternative, z0, options.continuity_correction)) / sigma2.sqrt();
    Ok(Outcome::Computed(RankTest {
        method: "Wilcoxon rank sum test with continuity correction",
        statistic: w,
        p_value: p_from_z(z, options.alternative),
        p_value_method: RankPValue::NormalApproximation,
        alternative: options.alternative,
    }))
}

/// Wilcoxon signed-rank test of `x − y − μ₀` (paired) as R's `wilcox.test(x, y, paired =
/// TRUE)`; zero differences are dropped (as R), and force the normal approximation.
///
/// # Formula
///
/// `V = Σ_{dᵢ > 0} rank(|dᵢ|)`; approximation `z = (V − n(n+1)/4 − c) / σ`,
/// `σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48`.
///
/// # References
///
/// Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin* 1,
/// 80–83.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for unequal lengths or non-finite values. Refuses when every
/// difference is zero.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{wilcoxon_signed_rank_test, RankTestOptions};
/// let r = wilcoxon_signed_rank_test(&[7.1, 6.2, 8.3, 5.4], &[5.0, 5.0, 4.0, 6.0], &RankTestOptions::default())
///     .unwrap().into_result().unwrap();
/// assert_eq!(r.statistic, 9.0);
/// ```
pub fn wilcoxon_signed_rank_test(
    x: &[f64],
    y: &[f64],
    options: &RankTestOptions,
) -> Result<Outcome<RankTest>> {
    check_same_len("y", x.len(), y.len())?;
    check_finite("x", x)?;
    check_finite("y", y)?;
    let all_d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b - options.mu).collect();
    let d: Vec<f64> = all_d.iter().copied().filter(|v| *v != 0.0).collect();
    let zeros = all_d.len() != d.len();
    if d.is_empty() {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "every paired difference is zero",
        ));
    }
    let n = d.len();
    let abs: Vec<f64> = d.iter().map(|v| v.abs()).collect();
    let (ranks, ties) = midranks(&abs);
    let v: f64 = ranks
        .iter()
        .zip(&d)
        .filter(|(_, di)| **di > 0.0)
        .map(|(r, _)| r)
        .sum();
    if options.exact == ExactPolicy::Auto && n < 50 && ties == 0.0 && !zeros {
        let counts = signrank_counts(n);
        return Ok(Outcome::Computed(RankTest {
            method: "Wilcoxon signed rank exact test",
            statistic: v,
            p_value: exact_p(&counts, v, options.alternative),
            p_value_method: RankPValue::Exact,
            alternative: options.alternative,
        }));
    }
    let fnn = n as f64;
    let sigma2 = fnn * (fnn + 1.0) * (2.0 * fnn + 1.0) / 24.0 - ties / 48.0;
    if sigma2 <= 0.0 {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "all differences are tied",
        ));
    }
    let z0 = v - fnn * (fnn + 1.0) / 4.0;
    let z =
        (z0 - correction(options.alternative, z0, options.continuity_correction)) / sigma2.sqrt();
    Ok(Outcome::Computed(RankTest {
        method: "Wilcoxon signed rank test with continuity correction",
        statistic: v,
        p_value: p_from_z(z, options.alternative),
        p_value_method: RankPValue::NormalApproximation,
        alternative: options.alternative,
    }))
}

/// Groups `values` by `labels` in order of first appearance.
pub(crate) fn group_by<L: AsRef<str>>(
    values: &[f64],
    labels: &[L],
) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    check_same_len("groups", values.len(), labels.len())?;
    check_finite("values", values)?;
    let mut names: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<f64>> = Vec::new();
    for (v, l) in values.iter().zip(labels) {
        let l = l.as_ref();
        match names.iter().position(|n| n == l) {
            Some(i) => {
                if let Some(g) = groups.get_mut(i) {
                    g.push(*v);
                }
            }
            None => {
                names.push(l.to_string());
                groups.push(vec![*v]);
            }
        }
    }
    Ok((names, groups))
}

/// Result of a one-way ANOVA (classic `aov`/`oneway.test(var.equal = TRUE)` or Welch's
/// `oneway.test`) or an F test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FTest {
    /// Test name.
    pub method: &'static str,
    /// F statistic.
    pub statistic: f64,
    /// Numerator degrees of freedom.
    pub df_numerator: f64,
    /// Denominator degrees of freedom (fractional for Welch).
    pub df_denominator: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// Between-group (or term) sum of squares; `None` for Welch's test.
    pub sum_of_squares_between: Option<f64>,
    /// Residual sum of squares; `None` for Welch's test.
    pub sum_of_squares_within: Option<f64>,
    /// Group labels in order of first appearance.
    pub groups: Vec<String>,
}

impl fmt::Display for FTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: F = {:.4}, num df = {}, denom df = {:.4}, p-value = {:.4e}",
            self.method, self.statistic, self.df_numerator, self.df_denominator, self.p_value
        )
    }
}

fn anova_size_checks<T>(names: &[String], groups: &[Vec<f64>]) -> Option<Outcome<T>> {
    if groups.len() < 2 {
        return Some(refuse(
            RefusalReason::TooFewObservations,
            "at least two groups are needed",
        ));
    }
    for (n, g) in names.iter().zip(groups) {
        if g.len() < 2 {
            return Some(refuse(
                RefusalReason::TooFewObservations,
                format!("group `{n}` has n = {}", g.len()),
            ));
        }
    }
    None
}

/// One-way ANOVA with `Variances::Equal` (R `aov`, `oneway.test(var.equal = TRUE)`) or Welch's
/// heteroscedastic F test with `Variances::Unequal` (R `oneway.test`).
///
/// # Formula
///
/// Classic: `F = (SSB/(k−1)) / (SSW/(N−k))`. Welch: `wᵢ = nᵢ/s²ᵢ`, `m = Σwᵢx̄ᵢ/Σwᵢ`,
/// `A = Σ(1 − wᵢ/Σw)²/(nᵢ−1) / (k²−1)`, `F = Σwᵢ(x̄ᵢ−m)² / ((k−1)(1 + 2(k−2)A))` on
/// `(k−1, 1/(3A))` df.
///
/// # References
///
/// Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
/// *Biometrika* 38, 330–336.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for unequal lengths or non-finite values. Refuses with fewer than
/// two groups, a group with n < 2, or zero within-group variance.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{one_way_anova, Variances};
/// let v = [1.0, 2.0, 3.0, 4.0, 5.0, 7.0];
/// let g = ["a", "a", "a", "b", "b", "b"];
/// let f = one_way_anova(&v, &g, Variances::Equal).unwrap().into_result().unwrap();
/// assert!((f.df_denominator - 4.0).abs() < 1e-12);
/// assert!(f.p_value < 0.05);
/// ```
#[doc(alias = "aov")]
#[doc(alias = "oneway.test")]
pub fn one_way_anova<L: AsRef<str>>(
    values: &[f64],
    groups: &[L],
    variances: Variances,
) -> Result<Outcome<FTest>> {
    let (names, gs) = group_by(values, groups)?;
    if let Some(r) = anova_size_checks(&names, &gs) {
        return Ok(r);
    }
    let k = gs.len() as f64;
    let stats: Vec<(f64, f64, f64)> = gs
        .iter()
        .map(|g| {
            let (m, ss) = mean_and_ss(g);
            (g.len() as f64, m, ss)
        })
        .collect();
    match variances {
        Variances::Equal => {
            let n: f64 = stats.iter().map(|s| s.0).sum();
            let grand = stats.iter().map(|s| s.0 * s.1).sum::<f64>() / n;
            let ssb: f64 = stats.iter().map(|s| s.0 * (s.1 - grand).powi(2)).sum();
            let ssw: f64 = stats.iter().map(|s| s.2).sum();
            if ssw == 0.0 {
                return Ok(refuse(
                    RefusalReason::ZeroVariance,
                    "no variation within groups",
                ));
            }
            let (d1, d2) = (k - 1.0, n - k);
            let f = (ssb / d1) / (ssw / d2);
            Ok(Outcome::Computed(FTest {
                method: "One-way analysis of means",
                statistic: f,
                df_numerator: d1,
                df_denominator: d2,
                p_value: dist::f_sf(f, d1, d2),
                sum_of_squares_between: Some(ssb),
                sum_of_squares_within: Some(ssw),
                groups: names,
            }))
        }
        Variances::Unequal => {
            if let Some((i, _)) = stats.iter().enumerate().find(|(_, s)| s.2 == 0.0) {
                return Ok(refuse(
                    RefusalReason::ZeroVariance,
                    format!(
                        "group `{}` has zero variance",
                        names.get(i).map(String::as_str).unwrap_or("?")
                    ),
                ));
            }
            let w: Vec<f64> = stats.iter().map(|s| s.0 / (s.2 / (s.0 - 1.0))).collect();
            let sw: f64 = w.iter().sum();
            let m = w.iter().zip(&stats).map(|(wi, s)| wi * s.1).sum::<f64>() / sw;
            let a = w
                .iter()
                .zip(&stats)
                .map(|(wi, s)| (1.0 - wi / sw).powi(2) / (s.0 - 1.0))
                .sum::<f64>()
                / (k * k - 1.0);
            let num = w
                .iter()
                .zip(&stats)
                .map(|(wi, s)| wi * (s.1 - m).powi(2))
                .sum::<f64>();
            let f = num / ((k - 1.0) * (1.0 + 2.0 * (k - 2.0) * a));
            let d2 = 1.0 / (3.0 * a);
            Ok(Outcome::Computed(FTest {
                method: "One-way analysis of means (not assuming equal variances)",
                statistic: f,
                df_numerator: k - 1.0,
                df_denominator: d2,
                p_value: dist::f_sf(f, k - 1.0, d2),
                sum_of_squares_between: None,
                sum_of_squares_within: None,
                groups: names,
            }))
        }
    }
}

/// Result of a chi-square test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChiSquaredTest {
    /// Test name.
    pub method: &'static str,
    /// Chi-square statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
    /// Smallest expected count of a contingency table (R warns below 5); `None` for
    /// Kruskal–Wallis.
    pub min_expected: Option<f64>,
}

impl fmt::Display for ChiSquaredTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: X-squared = {:.4}, df = {}, p-value = {:.4e}",
            self.method, self.statistic, self.df, self.p_value
        )
    }
}

/// Kruskal–Wallis rank-sum test, as R's `kruskal.test`.
///
/// # Formula
///
/// `H = [12/(N(N+1)) Σ Rᵢ²/nᵢ − 3(N+1)] / (1 − Σ(t³−t)/(N³−N))`, chi-square on `k − 1` df.
///
/// # References
///
/// Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
/// *JASA* 47, 583–621.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for unequal lengths or non-finite values. Refuses with fewer than
/// two groups or when all values are tied.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::kruskal_wallis_test;
/// let r = kruskal_wallis_test(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &["a", "a", "b", "b", "c", "c"])
///     .unwrap().into_result().unwrap();
/// assert!((r.statistic - 4.571428571428571).abs() < 1e-12);
/// assert_eq!(r.df, 2.0);
/// ```
#[doc(alias = "kruskal.test")]
pub fn kruskal_wallis_test<L: AsRef<str>>(
    values: &[f64],
    groups: &[L],
) -> Result<Outcome<ChiSquaredTest>> {
    let (names, gs) = group_by(values, groups)?;
    if gs.len() < 2 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            "at least two groups are needed",
        ));
    }
    drop(names);
    let all: Vec<f64> = gs.iter().flatten().copied().collect();
    let n = all.len() as f64;
    let (ranks, _) = midranks(&all);
    // As R's kruskal.test: ranks use exact equality, but the tie correction counts values that
    // agree to 15 significant digits (R tabulates `as.character(x)`), so that e.g.
    // 40.1 - 32 and 41.2 - 33.1 count as tied.
    let ties = tie_term_15_digits(&all);
    let mut start = 0;
    let mut sum = 0.0;
    for g in &gs {
        let r: f64 = ranks.iter().skip(start).take(g.len()).sum();
        sum += r * r / g.len() as f64;
        start += g.len();
    }
    let denom = 1.0 - ties / (n * n * n - n);
    if denom <= 0.0 {
        return Ok(refuse(RefusalReason::ZeroVariance, "all values are tied"));
    }
    let h = (12.0 * sum / (n * (n + 1.0)) - 3.0 * (n + 1.0)) / denom;
    let df = gs.len() as f64 - 1.0;
    Ok(Outcome::Computed(ChiSquaredTest {
        method: "Kruskal-Wallis rank sum test",
        statistic: h,
        df,
        p_value: dist::chi_squared_sf(h, df),
        min_expected: None,
    }))
}

/// Pearson's chi-square test of independence on an `r × c` table of counts (rows of equal
/// length), as R's `chisq.test`; Yates' correction (only for 2 × 2 tables, as R) when
/// `ContinuityCorrection::Applied`.
///
/// # Formula
///
/// `X² = Σ (|O − E| − c)² / E`, `E = row total × column total / N`, `c = min(1/2, |O − E|)`
/// for a corrected 2 × 2 table, else 0; `(r−1)(c−1)` df.
///
/// # References
///
/// Yates, F. (1934). Contingency tables involving small numbers and the χ² test. *Suppl. J. R.
/// Statist. Soc.* 1, 217–235.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for ragged rows or a table smaller than 2 × 2. Refuses
/// (`EmptyGroup`) when a row or column total is zero.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{chi_squared_test, ContinuityCorrection};
/// let t = chi_squared_test(&[vec![12, 5], vec![6, 11]], ContinuityCorrection::None).unwrap().into_result().unwrap();
/// assert_eq!(t.df, 1.0);
/// assert!(t.statistic > 0.0);
/// ```
#[doc(alias = "chisq.test")]
pub fn chi_squared_test(
    table: &[Vec<u64>],
    correction: ContinuityCorrection,
) -> Result<Outcome<ChiSquaredTest>> {
    let r = table.len();
    let c = table.first().map(Vec::len).unwrap_or(0);
    if r < 2 || c < 2 || table.iter().any(|row| row.len() != c) {
        return Err(Error::invalid_argument(
            "table",
            "needs at least 2 rows and 2 columns of equal length",
        ));
    }
    let rows: Vec<f64> = table
        .iter()
        .map(|row| row.iter().sum::<u64>() as f64)
        .collect();
    let cols: Vec<f64> = (0..c)
        .map(|j| {
            table
                .iter()
                .map(|row| row.get(j).copied().unwrap_or(0))
                .sum::<u64>() as f64
        })
        .collect();
    let n: f64 = rows.iter().sum();
    if rows.iter().chain(&cols).any(|t| *t == 0.0) {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            "a row or column total is zero: expected counts would be zero",
        ));
    }
    let yates = correction == ContinuityCorrection::Applied && r == 2 && c == 2;
    let mut stat = 0.0;
    let mut min_expected = f64::INFINITY;
    for (row, rt) in table.iter().zip(&rows) {
        for (o, ct) in row.iter().zip(&cols) {
            let e = rt * ct / n;
            min_expected = min_expected.min(e);
            let dev = (*o as f64 - e).abs();
            let cc = if yates { dev.min(0.5) } else { 0.0 };
            stat += (dev - cc).powi(2) / e;
        }
    }
    let df = ((r - 1) * (c - 1)) as f64;
    Ok(Outcome::Computed(ChiSquaredTest {
        method: if yates {
            "Pearson's Chi-squared test with Yates' continuity correction"
        } else {
            "Pearson's Chi-squared test"
        },
        statistic: stat,
        df,
        p_value: dist::chi_squared_sf(stat, df),
        min_expected: Some(min_expected),
    }))
}

/// Result of Fisher's exact test on a 2 × 2 table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FisherExact {
    /// p-value (two-sided: sum of the probabilities of tables no more likely than the
    /// observed one, with R's relative tolerance 1e-7).
    pub p_value: f64,
    /// Conditional maximum-likelihood odds ratio; `None` when it is 0 or infinite (a zero
    /// cell), see `odds_ratio_is_zero`.
    pub odds_ratio: Option<f64>,
    /// Whether the conditional MLE is zero (`true`) rather than infinite, when `odds_ratio` is
    /// `None`.
    pub odds_ratio_is_zero: bool,
    /// Lower confidence limit for the odds ratio (0 when the table is at its lower bound).
    pub lower: f64,
    /// Upper confidence limit; `None` when infinite.
    pub upper: Option<f64>,
    /// Confidence level.
    pub confidence_level: f64,
}

impl fmt::Display for FisherExact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fisher's Exact Test: p-value = {:.4e}", self.p_value)?;
        match self.odds_ratio {
            Some(or) => write!(f, ", odds ratio = {or:.4}")?,
            None if self.odds_ratio_is_zero => write!(f, ", odds ratio = 0")?,
            None => write!(f, ", odds ratio = Inf")?,
        }
        match self.upper {
            Some(u) => write!(f, ", CI [{:.4}, {:.4}]", self.lower, u),
            None => write!(f, ", CI [{:.4}, Inf]", self.lower),
        }
    }
}

/// Non-central hypergeometric distribution of the (1,1) cell given the margins.
struct NcHyper {
    support: Vec<f64>,
    log_dc: Vec<f64>,
    lo: f64,
    hi: f64,
}

impl NcHyper {
    fn new(a: u64, b: u64, c: u64, d: u64) -> Self {
        // m = first column total, n = second column total, k = first row total.
        let m = a + c;
        let n = b + d;
        let k = a + b;
        let lo = k.saturating_sub(n);
        let hi = k.min(m);
        let ln_choose = |nn: u64, kk: u64| -> f64 {
            use statrs::function::gamma::ln_gamma;
            ln_gamma(nn as f64 + 1.0) - ln_gamma(kk as f64 + 1.0) - ln_gamma((nn - kk) as f64 + 1.0)
        };
        let support: Vec<f64> = (lo..=hi).map(|x| x as f64).collect();
        let log_dc: Vec<f64> = (lo..=hi)
            .map(|x| ln_choose(m, x) + ln_choose(n, k - x) - ln_choose(m + n, k))
            .collect();
        Self {
            support,
            log_dc,
            lo: lo as f64,
            hi: hi as f64,
        }
    }
    /// Probabilities under odds ratio `psi` (0 < psi < ∞).
    fn density(&self, psi: f64) -> Vec<f64> {
        let lp = psi.ln();
        let d: Vec<f64> = self
            .log_dc
            .iter()
            .zip(&self.support)
            .map(|(l, x)| l + lp * x)
            .collect();
        let mx = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = d.iter().map(|v| (v - mx).exp()).collect();
        let s: f64 = e.iter().sum();
        e.into_iter().map(|v| v / s).collect()
    }
    fn mean(&self, psi: f64) -> f64 {
        self.density(psi)
            .iter()
            .zip(&self.support)
            .map(|(p, x)| p * x)
            .sum()
    }
    /// P(X <= x) (or P(X >= x) for `upper`) under `psi`.
    fn tail(&self, x: f64, psi: f64, upper: bool) -> f64 {
        self.density(psi)
            .iter()
            .zip(&self.support)
            .filter(|(_, s)| if upper { **s >= x } else { **s <= x })
            .map(|(p, _)| p)
            .sum()
    }
}

/// Two-sided p-value of Fisher's exact test (R's relative tolerance 1e-7 for "as likely").
fn fisher_two_sided_p(h: &NcHyper, x: f64) -> f64 {
    let d1 = h.density(1.0);
    let idx = (x - h.lo) as usize;
    let p_obs = d1.get(idx).copied().unwrap_or(0.0);
    d1.iter()
        .filter(|p| **p <= p_obs * (1.0 + 1e-7))
        .sum::<f64>()
        .min(1.0)
}

/// Two-sided p-value of Fisher's exact test for `[[a, b], [c, d]]` without the odds-ratio
/// estimate and interval (callers have checked that no margin is zero).
pub(crate) fn fisher_exact_p_value(table: [[u64; 2]; 2]) -> f64 {
    let [[a, b], [c, d]] = table;
    fisher_two_sided_p(&NcHyper::new(a, b, c, d), a as f64)
}

/// Root of a monotone function on `(lo, hi)` by bisection to full precision.
fn bisect(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let flo = f(lo);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let fm = f(mid);
        if fm == 0.0 {
            return mid;
        }
        if (fm > 0.0) == (flo > 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi.abs().max(1e-300) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Fisher's exact test for a 2 × 2 table `[[a, b], [c, d]]`, with the conditional
/// maximum-likelihood odds ratio and its exact confidence interval, as R's `fisher.test`.
///
/// The roots (MLE and limits) are solved to full double precision; R's `fisher.test` solves
/// them with `uniroot`'s default tolerance (about 1e-4), so R's printed estimate can differ in
/// the fifth digit.
///
/// # Formula
///
/// Conditional on the margins, `a` follows Fisher's non-central hypergeometric distribution
/// with odds ratio ψ. Two-sided p = Σ P₁(x) over `P₁(x) ≤ P₁(a)(1 + 10⁻⁷)`; the MLE solves
/// `E_ψ[X] = a`; the limits solve `P_ψ(X ≥ a) = α/2` and `P_ψ(X ≤ a) = α/2`.
///
/// # References
///
/// Fisher, R. A. (1935). The logic of inductive inference. *J. R. Statist. Soc.* 98, 39–82.
/// Agresti, A. (2002). *Categorical Data Analysis*, 2nd ed., §3.5.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a confidence level outside (0, 1). Refuses (`EmptyGroup`)
/// when a margin is zero.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::fisher_exact_test;
/// let f = fisher_exact_test([[3, 1], [1, 3]], 0.95).unwrap().into_result().unwrap();
/// assert!((f.p_value - 0.4857142857142857).abs() < 1e-12);
/// ```
#[doc(alias = "fisher.test")]
pub fn fisher_exact_test(
    table: [[u64; 2]; 2],
    confidence_level: f64,
) -> Result<Outcome<FisherExact>> {
    check_level(confidence_level)?;
    let [[a, b], [c, d]] = table;
    if a + b == 0 || c + d == 0 || a + c == 0 || b + d == 0 {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            "a margin of the table is zero",
        ));
    }
    let h = NcHyper::new(a, b, c, d);
    let x = a as f64;
    let p_value = fisher_two_sided_p(&h, x);
    let (odds_ratio, odds_ratio_is_zero) = if x == h.lo {
        (None, true)
    } else if x == h.hi {
        (None, false)
    } else {
        // E_psi[X] is increasing in psi; solve on log scale.
        let t = bisect(-50.0, 50.0, |lt| h.mean(lt.exp()) - x);
        (Some(t.exp()), false)
    };
    let alpha = (1.0 - confidence_level) / 2.0;
    let lower = if x == h.lo {
        0.0
    } else {
        bisect(-50.0, 50.0, |lt| h.tail(x, lt.exp(), true) - alpha).exp()
    };
    let upper = if x == h.hi {
        None
    } else {
        Some(bisect(-50.0, 50.0, |lt| h.tail(x, lt.exp(), false) - alpha).exp())
    };
    Ok(Outcome::Computed(FisherExact {
        p_value,
        odds_ratio,
        odds_ratio_is_zero,
        lower,
        upper,
        confidence_level,
    }))
}

/// Result of a test of equal proportions (R `prop.test`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProportionTest {
    /// Chi-square statistic.
    pub statistic: f64,
    /// Degrees of freedom (k − 1 groups; 1 for one group against `p = 1/2`).
    pub df: f64,
    /// p-value.
    pub p_value: f64,
    /// Sample proportions.
    pub estimates: Vec<f64>,
    /// Confidence interval: Wilson score interval for one group, interval for `p₁ − p₂` for two
    /// groups, `None` for more.
    pub confidence_interval: Option<ConfidenceInterval>,
}

impl fmt::Display for ProportionTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "prop.test: X-squared = {:.4}, df = {}, p-value = {:.4e}",
            self.statistic, self.df, self.p_value
        )?;
        if let Some(ci) = &self.confidence_interval {
            write!(f, ", {ci}")?;
        }
        Ok(())
    }
}

/// Wilson score interval for a proportion, with or without continuity correction, as the
/// interval of R's `prop.test(x, n)` (with `correct = FALSE` it is the plain Wilson interval).
///
/// # Formula
///
/// `(p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`; with correction `p̂ ± 1/2n` in the
/// lower/upper limit (capped by `|x − n/2|`, as R).
///
/// # References
///
/// Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
/// *JASA* 22, 209–212. Newcombe, R. G. (1998). Two-sided confidence intervals for the single
/// proportion. *Stat. Med.* 17, 857–872.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `successes > n` or the level is outside (0, 1). Refuses
/// (`EmptyGroup`) when `n = 0`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{wilson_interval, ContinuityCorrection};
/// let ci = wilson_interval(0, 10, 0.95, ContinuityCorrection::None).unwrap().into_result().unwrap();
/// assert_eq!(ci.lower, 0.0);
/// assert!(ci.upper > 0.25 && ci.upper < 0.35);
/// ```
pub fn wilson_interval(
    successes: u64,
    n: u64,
    confidence_level: f64,
    correction: ContinuityCorrection,
) -> Result<Outcome<ConfidenceInterval>> {
    check_level(confidence_level)?;
    if successes > n {
        return Err(Error::invalid_argument(
            "successes",
            format!("{successes} successes out of {n}"),
        ));
    }
    if n == 0 {
        return Ok(refuse(RefusalReason::EmptyGroup, "n = 0"));
    }
    let nf = n as f64;
    let x = successes as f64;
    let p = x / nf;
    let z = dist::normal_quantile(0.5 + confidence_level / 2.0);
    let yates = match correction {
        ContinuityCorrection::Applied => 0.5_f64.min((x - nf * 0.5).abs()),
        ContinuityCorrection::None => 0.0,
    };
    let z22n = z * z / (2.0 * nf);
    let limit = |pc: f64, sign: f64| {
        (pc + z22n + sign * z * (pc * (1.0 - pc) / nf + z22n / (2.0 * nf)).sqrt())
            / (1.0 + 2.0 * z22n)
    };
    let pc_u = p + yates / nf;
    let upper = if pc_u >= 1.0 { 1.0 } else { limit(pc_u, 1.0) };
    let pc_l = p - yates / nf;
    let lower = if pc_l <= 0.0 { 0.0 } else { limit(pc_l, -1.0) };
    Ok(Outcome::Computed(ConfidenceInterval {
        lower,
        upper,
        level: confidence_level,
    }))
}

/// Test of equal proportions across groups (or of `p = 1/2` for one group), as R's
/// `prop.test(x, n)` with its default two-sided alternative.
///
/// # Formula
///
/// Chi-square on the `k × 2` table of successes and failures (Yates-corrected with
/// `ContinuityCorrection::Applied` when `k ≤ 2`, correction capped as in R). Two groups: CI for
/// `p₁ − p₂` is `Δ ± (z √Σ p̂(1−p̂)/n + c Σ 1/n)`, clipped to [−1, 1].
///
/// # References
///
/// Newcombe, R. G. (1998). Interval estimation for the difference between independent
/// proportions. *Stat. Med.* 17, 873–890.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when lengths differ, no group is given, or a count exceeds its
/// total. Refuses (`EmptyGroup`) for a zero total and (`AllResponders`/`NoResponders`) when
/// every group has all or no successes (the statistic is undefined).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::tests::{proportion_test, ContinuityCorrection};
/// let t = proportion_test(&[15, 25], &[50, 50], 0.95, ContinuityCorrection::Applied).unwrap().into_result().unwrap();
/// assert_eq!(t.df, 1.0);
/// assert!((t.estimates[0] - 0.3).abs() < 1e-12);
/// ```
#[doc(alias = "prop.test")]
pub fn proportion_test(
    successes: &[u64],
    totals: &[u64],
    confidence_level: f64,
    correction: ContinuityCorrection,
) -> Result<Outcome<ProportionTest>> {
    check_level(confidence_level)?;
    check_same_len("totals", successes.len(), totals.len())?;
    if successes.is_empty() {
        return Err(Error::invalid_argument("successes", "no group given"));
    }
    if successes.iter().zip(totals).any(|(x, n)| x > n) {
        return Err(Error::invalid_argument(
            "successes",
            "a count exceeds its total",
        ));
    }
    if totals.contains(&0) {
        return Ok(refuse(RefusalReason::EmptyGroup, "a group has n = 0"));
    }
    let k = successes.len();
    let x: Vec<f64> = successes.iter().map(|v| *v as f64).collect();
    let n: Vec<f64> = totals.iter().map(|v| *v as f64).collect();
    let estimates: Vec<f64> = x.iter().zip(&n).map(|(a, b)| a / b).collect();
    let use_yates = correction == ContinuityCorrection::Applied && k <= 2;
    let (statistic, df) = if k == 1 {
        let (xx, nn) = (x[0], n[0]);
        let e = nn * 0.5;
        let yates = if use_yates {
            0.5_f64.min((xx - e).abs())
        } else {
            0.0
        };
        let s = ((xx - e).abs() - yates).powi(2) / e + (((nn - xx) - e).abs() - yates).powi(2) / e;
        (s, 1.0)
    } else {
        let total_x: f64 = x.iter().sum();
        let total_n: f64 = n.iter().sum();
        let pbar = total_x / total_n;
        if total_x == 0.0 {
            return Ok(refuse(
                RefusalReason::NoResponders,
                "no successes in any group",
            ));
        }
        if total_x == total_n {
            return Ok(refuse(
                RefusalReason::AllResponders,
                "every trial is a success",
            ));
        }
        let mut yates = if use_yates { 0.5_f64 } else { 0.0 };
        if use_yates {
            for (xi, ni) in x.iter().zip(&n) {
                yates = yates.min((xi - ni * pbar).abs());
            }
        }
        let mut s = 0.0;
        for (xi, ni) in x.iter().zip(&n) {
            let e1 = ni * pbar;
            let e2 = ni * (1.0 - pbar);
            s += ((xi - e1).abs() - yates).powi(2) / e1;
            s += (((ni - xi) - e2).abs() - yates).powi(2) / e2;
        }
        (s, (k - 1) as f64)
    };
    let confidence_interval = match k {
        1 => wilson_interval(successes[0], totals[0], confidence_level, correction)?
            .computed()
            .copied(),
        2 => {
            let z = dist::normal_quantile(0.5 + confidence_level / 2.0);
            let delta = estimates[0] - estimates[1];
            let inv_n = 1.0 / n[0] + 1.0 / n[1];
            let yates = if use_yates {
                0.5_f64.min(delta.abs() / inv_n)
            } else {
                0.0
            };
            let width = z
                * (estimates[0] * (1.0 - estimates[0]) / n[0]
                    + estimates[1] * (1.0 - estimates[1]) / n[1])
                    .sqrt()
                + yates * inv_n;
            Some(ConfidenceInterval {
                lower: (delta - width).max(-1.0),
                upper: (delta + width).min(1.0),
                level: confidence_level,
            })
        }
        _ => None,
    };
    Ok(Outcome::Computed(ProportionTest {
        statistic,
        df,
        p_value: dist::chi_squared_sf(statistic, df),
        estimates,
        confidence_interval,
    }))
}
