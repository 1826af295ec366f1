//! Tests on tables of counts: Pearson's chi-square, Fisher's exact test, tests of proportions
//! and the Wilson interval, as R's `chisq.test`, `fisher.test` and `prop.test`.

use std::fmt;

use super::t::ContinuityCorrection;
use crate::outcome::refuse;
use crate::stats::describe::{check_level, check_same_len};
use crate::stats::dist;
use crate::stats::{ChiSquareTest, ConfidenceInterval, TwoByTwo};
use crate::{Error, Outcome, RefusalReason, Result};

/// Pearson's chi-square test of a table of counts, with the smallest expected count (R warns
/// below 5).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{chi_squared_test, ContinuityCorrection};
/// let t = chi_squared_test(&[vec![10, 10], vec![10, 10]], ContinuityCorrection::None)?
///     .into_result().unwrap();
/// assert_eq!(t.min_expected, 10.0);
/// assert_eq!(t.test.statistic, 0.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PearsonChiSquare {
    /// The chi-square test (its label names the method, as R prints it).
    pub test: ChiSquareTest,
    /// Smallest expected count.
    pub min_expected: f64,
}

impl fmt::Display for PearsonChiSquare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (smallest expected count {:.2})",
            self.test, self.min_expected
        )
    }
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
/// use pain_outcomes::stats::hypothesis::{chi_squared_test, ContinuityCorrection};
/// let t = chi_squared_test(&[vec![12, 5], vec![6, 11]], ContinuityCorrection::None).unwrap().into_result().unwrap();
/// assert_eq!(t.test.df, 1.0);
/// assert!(t.test.statistic > 0.0);
/// ```
#[doc(alias = "chisq.test")]
pub fn chi_squared_test(
    table: &[Vec<u64>],
    correction: ContinuityCorrection,
) -> Result<Outcome<PearsonChiSquare>> {
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
    let label = if yates {
        "Pearson's Chi-squared test with Yates' continuity correction"
    } else {
        "Pearson's Chi-squared test"
    };
    Ok(Outcome::Computed(PearsonChiSquare {
        test: ChiSquareTest::new(label, stat, df),
        min_expected,
    }))
}

/// Result of Fisher's exact test on a 2 × 2 table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
/// [`Error::InvalidArgument`] for a confidence level outside (0, 1) or a group with more events
/// than patients. Refuses (`EmptyGroup`) when a margin is zero.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::fisher_exact_test;
/// use pain_outcomes::stats::{Proportion, TwoByTwo};
/// let table = TwoByTwo::new(Proportion::new(3, 4), Proportion::new(1, 4));
/// let f = fisher_exact_test(table, 0.95).unwrap().into_result().unwrap();
/// assert!((f.p_value - 0.4857142857142857).abs() < 1e-12);
/// ```
#[doc(alias = "fisher.test")]
pub fn fisher_exact_test(table: TwoByTwo, confidence_level: f64) -> Result<Outcome<FisherExact>> {
    check_level(confidence_level)?;
    let [[a, b], [c, d]] = table
        .cells()
        .ok_or_else(|| Error::invalid_argument("table", "a group has more events than patients"))?;
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
/// use pain_outcomes::stats::hypothesis::{wilson_interval, ContinuityCorrection};
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
/// use pain_outcomes::stats::hypothesis::{proportion_test, ContinuityCorrection};
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
