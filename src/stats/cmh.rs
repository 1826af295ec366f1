//! Cochran–Mantel–Haenszel analyses of K strata of 2 × 2 tables (treated/control ×
//! event/no event): the CMH test (as R's `mantelhaen.test`), the Mantel–Haenszel common odds
//! ratio with the Robins–Breslow–Greenland interval, and the Mantel–Haenszel risk difference
//! with the Sato (1989) variance.

use crate::stats::describe::check_level;
use crate::stats::{
    ChiSquareTest, ConfidenceInterval, Estimate, Outcome, RefusalReason, TwoByTwo, dist, refuse,
};
use crate::{Error, Result};
use std::fmt;

/// Options for [`cochran_mantel_haenszel`].
///
/// # Examples
///
/// ```
/// let o = pain_outcomes::stats::cmh::CmhOptions::default().with_confidence_level(0.9);
/// assert_eq!(o.confidence_level, Some(0.9));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CmhOptions {
    /// Confidence level of the intervals; `None` means 0.95.
    pub confidence_level: Option<f64>,
}

impl CmhOptions {
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::cmh::CmhOptions::default().with_confidence_level(0.99);
    /// assert_eq!(o.confidence_level, Some(0.99));
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = Some(level);
        self
    }
}

/// The Mantel–Haenszel common odds ratio with its Robins–Breslow–Greenland interval.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::cmh::CommonOddsRatio;
/// use pain_outcomes::stats::ConfidenceInterval;
/// let or = CommonOddsRatio {
///     odds_ratio: 2.0,
///     log_std_error: 0.3,
///     confidence_interval: ConfidenceInterval { lower: 1.1, upper: 3.6, level: 0.95 },
/// };
/// assert!(or.confidence_interval.contains(or.odds_ratio));
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CommonOddsRatio {
    /// `Σ aₖdₖ/Nₖ / Σ bₖcₖ/Nₖ`.
    pub odds_ratio: f64,
    /// Robins–Breslow–Greenland standard error of its logarithm.
    pub log_std_error: f64,
    /// `exp(log OR ± q·SE)`.
    pub confidence_interval: ConfidenceInterval,
}

/// Result of [`cochran_mantel_haenszel`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::cmh::{cochran_mantel_haenszel, CmhOptions};
/// use pain_outcomes::stats::{Proportion, TwoByTwo};
/// // identical risks in both groups of every stratum: no association
/// let strata = [
///     TwoByTwo::new(Proportion::new(5, 10), Proportion::new(5, 10)),
///     TwoByTwo::new(Proportion::new(2, 8), Proportion::new(3, 12)),
/// ];
/// let cmh = cochran_mantel_haenszel(&strata, &CmhOptions::default())?.into_result().unwrap();
/// assert!((cmh.common_odds_ratio.odds_ratio - 1.0).abs() < 1e-12);
/// assert!(cmh.risk_difference.estimate.abs() < 1e-12);
/// assert!(cmh.test_uncorrected.statistic.abs() < 1e-12);
/// assert_eq!((cmh.strata, cmh.n), (2, 40));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cmh {
    /// Number of strata.
    pub strata: usize,
    /// Patients over all strata.
    pub n: u64,
    /// The CMH test with the continuity correction (`mantelhaen.test(correct = TRUE)`, R's
    /// default).
    pub test_corrected: ChiSquareTest,
    /// The CMH test without it (`correct = FALSE`).
    pub test_uncorrected: ChiSquareTest,
    /// The Mantel–Haenszel common odds ratio, treated versus control.
    pub common_odds_ratio: CommonOddsRatio,
    /// The Mantel–Haenszel risk difference (treated − control) with the Sato variance, z test
    /// and Wald interval.
    pub risk_difference: Estimate,
}

impl fmt::Display for Cmh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Cochran-Mantel-Haenszel ({} strata, n = {})",
            self.strata, self.n
        )?;
        writeln!(f, "  {}", self.test_corrected)?;
        writeln!(f, "  {}", self.test_uncorrected)?;
        writeln!(
            f,
            "  common odds ratio {:.4}, {}",
            self.common_odds_ratio.odds_ratio, self.common_odds_ratio.confidence_interval
        )?;
        write!(f, "  {}", self.risk_difference)
    }
}

/// Cochran–Mantel–Haenszel test, Mantel–Haenszel common odds ratio and risk difference over
/// strata of 2 × 2 tables.
///
/// # Formula
///
/// Stratum `k`: treated `aₖ` events of `n₁ₖ`, control `cₖ` events of `n₀ₖ`, `bₖ = n₁ₖ − aₖ`,
/// `dₖ = n₀ₖ − cₖ`, `Nₖ = n₁ₖ + n₀ₖ`, events `m₁ₖ = aₖ + cₖ`, non-events `m₀ₖ`.
///
/// - Test: `Δ = Σ (aₖ − n₁ₖm₁ₖ/Nₖ)`, `V = Σ n₁ₖn₀ₖm₁ₖm₀ₖ / (Nₖ²(Nₖ − 1))`,
///   `X² = (|Δ| − c)² / V` on 1 df, with `c = ½` when corrected and `|Δ| ≥ ½`, else 0 (as
///   `mantelhaen.test`).
/// - Common odds ratio `ψ = ΣRₖ / ΣSₖ`, `Rₖ = aₖdₖ/Nₖ`, `Sₖ = bₖcₖ/Nₖ`; with
///   `Pₖ = (aₖ + dₖ)/Nₖ`, `Qₖ = (bₖ + cₖ)/Nₖ`,
///   `Var(log ψ) = ΣPₖRₖ/(2(ΣRₖ)²) + Σ(PₖSₖ + QₖRₖ)/(2ΣRₖΣSₖ) + ΣQₖSₖ/(2(ΣSₖ)²)`
///   (Robins, Breslow & Greenland); interval `exp(log ψ ± q√Var)`.
/// - Risk difference `RD = Σwₖ(aₖ/n₁ₖ − cₖ/n₀ₖ) / Σwₖ`, `wₖ = n₁ₖn₀ₖ/Nₖ`, with the Sato
///   (1989) variance, consistent both for many sparse strata and for few large ones:
///   `Var = (RD·ΣPₖ′ + ΣQₖ′)/(Σwₖ)²`, `Pₖ′ = (n₁ₖ²cₖ − n₀ₖ²aₖ + n₁ₖn₀ₖ(n₀ₖ − n₁ₖ)/2)/Nₖ²`,
///   `Qₖ′ = (aₖ(n₀ₖ − cₖ) + cₖ(n₁ₖ − aₖ))/(2Nₖ)` (the variance SAS PROC FREQ uses for the
///   Mantel–Haenszel risk difference); normal interval `RD ± q√Var`.
///
/// # References
///
/// Mantel, N. & Haenszel, W. (1959). Statistical aspects of the analysis of data from
/// retrospective studies of disease. *J Natl Cancer Inst* 22, 719–748. Robins, J., Breslow, N.
/// & Greenland, S. (1986). Estimators of the Mantel–Haenszel variance consistent in both
/// sparse data and large-strata limiting models. *Biometrics* 42, 311–323. Greenland, S. &
/// Robins, J. M. (1985). Estimation of a common effect parameter from sparse follow-up data.
/// *Biometrics* 41, 55–68. Sato, T. (1989). On the variance estimator for the Mantel–Haenszel
/// risk difference. *Biometrics* 45, 1323–1324.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for no strata, a group with more events than patients or a bad
/// confidence level.
///
/// Refuses a stratum with fewer than 2 patients (as `mantelhaen.test`), strata in which no
/// stratum has both groups (`EmptyGroup`), no events or only events (no variance), and a
/// common odds ratio of 0 or infinity (`NotEstimable`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::cmh::{cochran_mantel_haenszel, CmhOptions};
/// use pain_outcomes::stats::{Proportion, TwoByTwo};
/// let strata = [
///     TwoByTwo::new(Proportion::new(12, 20), Proportion::new(6, 20)),
///     TwoByTwo::new(Proportion::new(9, 15), Proportion::new(5, 16)),
/// ];
/// let cmh = cochran_mantel_haenszel(&strata, &CmhOptions::default())?.into_result().unwrap();
/// assert!(cmh.common_odds_ratio.odds_ratio > 1.0);
/// assert!(cmh.test_corrected.statistic < cmh.test_uncorrected.statistic);
/// assert!(cmh.risk_difference.estimate > 0.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn cochran_mantel_haenszel(strata: &[TwoByTwo], options: &CmhOptions) -> Result<Outcome<Cmh>> {
    let level = options.confidence_level.unwrap_or(0.95);
    check_level(level)?;
    if strata.is_empty() {
        return Err(Error::invalid_argument("strata", "no strata"));
    }
    let mut cells = Vec::with_capacity(strata.len());
    for (k, t) in strata.iter().enumerate() {
        let Some([[a, b], [c, d]]) = t.cells() else {
            return Err(Error::invalid_argument(
                "strata",
                format!("stratum {k}: a group has more events than patients"),
            ));
        };
        let total = a + b + c + d;
        if total < 2 {
            return Ok(refuse(
                RefusalReason::TooFewObservations,
                format!("stratum {k} has {total} patients; each needs at least 2"),
            ));
        }
        cells.push([a as f64, b as f64, c as f64, d as f64]);
    }
    let n: u64 = strata
        .iter()
        .map(|t| t.treated.total + t.control.total)
        .sum();
    let events: u64 = strata
        .iter()
        .map(|t| t.treated.events + t.control.events)
        .sum();
    if events == 0 {
        return Ok(refuse(
            RefusalReason::NoResponders,
            "no events in any stratum",
        ));
    }
    if events == n {
        return Ok(refuse(
            RefusalReason::AllResponders,
            "only events in every stratum",
        ));
    }
    let (mut delta, mut var) = (0.0, 0.0);
    let (mut sum_r, mut sum_s, mut sum_pr, mut sum_ps_qr, mut sum_qs) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_w, mut sum_wd, mut sum_p, mut sum_q) = (0.0, 0.0, 0.0, 0.0);
    for &[a, b, c, d] in &cells {
        let (n1, n0) = (a + b, c + d);
        let (m1, m0) = (a + c, b + d);
        let nk = n1 + n0;
        delta += a - n1 * m1 / nk;
        var += n1 * n0 * m1 * m0 / (nk * nk * (nk - 1.0));
        let (r, s) = (a * d / nk, b * c / nk);
        let (pp, qq) = ((a + d) / nk, (b + c) / nk);
        sum_r += r;
        sum_s += s;
        sum_pr += pp * r;
        sum_ps_qr += pp * s + qq * r;
        sum_qs += qq * s;
        if n1 > 0.0 && n0 > 0.0 {
            let w = n1 * n0 / nk;
            sum_w += w;
            sum_wd += w * (a / n1 - c / n0);
            sum_p += (n1 * n1 * c - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2.0) / (nk * nk);
            sum_q += (a * (n0 - c) + c * (n1 - a)) / (2.0 * nk);
        }
    }
    if sum_w == 0.0 {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            "no stratum has patients in both groups",
        ));
    }
    if var <= 0.0 || var.is_nan() {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "the CMH variance is zero: every stratum has a zero margin",
        ));
    }
    if sum_r == 0.0 || sum_s == 0.0 {
        return Ok(refuse(
            RefusalReason::NotEstimable,
            "the Mantel-Haenszel odds ratio is 0 or infinite",
        ));
    }
    let yates = if delta.abs() >= 0.5 { 0.5 } else { 0.0 };
    let test_corrected = ChiSquareTest::new(
        "Mantel-Haenszel chi-squared (continuity corrected)",
        (delta.abs() - yates).powi(2) / var,
        1.0,
    );
    let test_uncorrected =
        ChiSquareTest::new("Mantel-Haenszel chi-squared", delta * delta / var, 1.0);
    let q = dist::normal_quantile(0.5 + level / 2.0);
    let psi = sum_r / sum_s;
    let log_var = sum_pr / (2.0 * sum_r * sum_r)
        + sum_ps_qr / (2.0 * sum_r * sum_s)
        + sum_qs / (2.0 * sum_s * sum_s);
    let log_se = log_var.sqrt();
    let common_odds_ratio = CommonOddsRatio {
        odds_ratio: psi,
        log_std_error: log_se,
        confidence_interval: ConfidenceInterval {
            lower: (psi.ln() - q * log_se).exp(),
            upper: (psi.ln() + q * log_se).exp(),
            level,
        },
    };
    let rd = sum_wd / sum_w;
    let rd_var = (rd * sum_p + sum_q) / (sum_w * sum_w);
    if !(rd_var > 0.0 && rd_var.is_finite()) {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "the Sato variance of the risk difference is not positive",
        ));
    }
    let risk_difference = Estimate::wald(
        "Mantel-Haenszel risk difference",
        rd,
        rd_var.sqrt(),
        None,
        level,
    );
    Ok(Outcome::Computed(Cmh {
        strata: strata.len(),
        n,
        test_corrected,
        test_uncorrected,
        common_odds_ratio,
        risk_difference,
    }))
}
