//! Rank tests: Mann–Whitney (Wilcoxon rank-sum), Wilcoxon signed-rank and Kruskal–Wallis, as
//! R's `wilcox.test` and `kruskal.test`.

use std::fmt;

use super::anova::group_by;
use super::t::{Alternative, ContinuityCorrection, ExactPolicy, p_from_z};
use crate::outcome::refuse;
use crate::stats::ChiSquareTest;
use crate::stats::describe::{check_finite, check_same_len};
use crate::{Outcome, RefusalReason, Result};

/// Options for the rank tests.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{ExactPolicy, RankTestOptions};
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
    /// use pain_outcomes::stats::hypothesis::{Alternative, RankTestOptions};
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
    /// use pain_outcomes::stats::hypothesis::{ContinuityCorrection, RankTestOptions};
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
    /// use pain_outcomes::stats::hypothesis::{ExactPolicy, RankTestOptions};
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
    /// assert_eq!(pain_outcomes::stats::hypothesis::RankTestOptions::default().with_mu(2.0).mu, 2.0);
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
/// use pain_outcomes::stats::hypothesis::RankPValue;
/// assert_ne!(RankPValue::Exact, RankPValue::NormalApproximation);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankPValue {
    /// Exact permutation distribution.
    Exact,
    /// Normal approximation (with tie correction of the variance).
    NormalApproximation,
}

/// Result of a Wilcoxon rank test (as R's `wilcox.test`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// The rank test from the centred statistic `z0` and its variance `sigma2` by the normal
/// approximation with continuity correction, as R's `wilcox.test(exact = FALSE)`.
fn normal_approximation(
    method: &'static str,
    statistic: f64,
    z0: f64,
    sigma2: f64,
    options: &RankTestOptions,
) -> Outcome<RankTest> {
    let z =
        (z0 - correction(options.alternative, z0, options.continuity_correction)) / sigma2.sqrt();
    Outcome::Computed(RankTest {
        method,
        statistic,
        p_value: p_from_z(z, options.alternative),
        p_value_method: RankPValue::NormalApproximation,
        alternative: options.alternative,
    })
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
/// use pain_outcomes::stats::hypothesis::{mann_whitney_u_test, RankPValue, RankTestOptions};
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
    Ok(normal_approximation(
        "Wilcoxon rank sum test with continuity correction",
        w,
        w - fx * fy / 2.0,
        sigma2,
        options,
    ))
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
/// use pain_outcomes::stats::hypothesis::{wilcoxon_signed_rank_test, RankTestOptions};
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
    Ok(normal_approximation(
        "Wilcoxon signed rank test with continuity correction",
        v,
        v - fnn * (fnn + 1.0) / 4.0,
        sigma2,
        options,
    ))
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
/// use pain_outcomes::stats::hypothesis::kruskal_wallis_test;
/// let r = kruskal_wallis_test(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &["a", "a", "b", "b", "c", "c"])
///     .unwrap().into_result().unwrap();
/// assert!((r.statistic - 4.571428571428571).abs() < 1e-12);
/// assert_eq!(r.df, 2.0);
/// ```
#[doc(alias = "kruskal.test")]
pub fn kruskal_wallis_test<L: AsRef<str>>(
    values: &[f64],
    groups: &[L],
) -> Result<Outcome<ChiSquareTest>> {
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
    Ok(Outcome::Computed(ChiSquareTest::new(
        "Kruskal-Wallis rank sum test",
        h,
        df,
    )))
}
