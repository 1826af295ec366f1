//! Restricted mean survival time (RMST) and its between-arm difference.

use std::fmt;

use super::common::{Status, check_len, check_time_status, encode, z_for_level};
use super::km::{KaplanMeier, KaplanMeierOptions, kaplan_meier};
use crate::stats::{ConfidenceInterval, Estimate, Outcome, RefusalReason, refuse};
use crate::{Error, Result};

/// Restricted mean survival time up to `tau`, with its standard error.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
/// let km = kaplan_meier(&[2.0, 4.0], &[Status::Event, Status::Event], &KaplanMeierOptions::default())?
///     .into_result().unwrap();
/// let r = km.rmst(3.0)?.into_result().unwrap();
/// assert!((r.estimate - 2.5).abs() < 1e-12); // 2·1 + 1·0.5
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rmst {
    /// Truncation time τ.
    pub tau: f64,
    /// Area under the Kaplan–Meier curve from 0 to τ.
    pub estimate: f64,
    /// Standard error (as `print(survfit, rmean = τ)`).
    pub std_error: f64,
    /// Normal-theory confidence interval `estimate ± z·std_error`.
    pub confidence_interval: ConfidenceInterval,
}

impl fmt::Display for Rmst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RMST(tau = {}) = {:.4} (se {:.4}; {})",
            self.tau, self.estimate, self.std_error, self.confidence_interval
        )
    }
}

impl KaplanMeier {
    /// Restricted mean survival time up to `tau`.
    ///
    /// # Formula
    ///
    /// `RMST(τ) = ∫_0^τ S(t) dt` (a sum of rectangles under the step function);
    /// `var = Σ_{t_j <= τ} A_j² d_j / (n_j (n_j - d_j))` with `A_j = ∫_{t_j}^τ S(t) dt`
    /// (R `survival:::survmean`).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `tau` is negative or not finite.
    ///
    /// # Refusals
    ///
    /// `NotEstimable` when `tau` is beyond the last observed time (the curve is not observed up
    /// to τ).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
    /// let km = kaplan_meier(&[1.0, 2.0, 3.0, 4.0], &[Status::Event; 4], &KaplanMeierOptions::default())?
    ///     .into_result().unwrap();
    /// let r = km.rmst(4.0)?.into_result().unwrap();
    /// assert!((r.estimate - 2.5).abs() < 1e-12);
    /// assert!(km.rmst(5.0)?.refusal().is_some());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to the hazard
    /// ratio for the design and analysis of randomized trials with a time-to-event outcome.
    /// BMC Med Res Methodol 13:152. Klein JP, Moeschberger ML (2003). Survival Analysis, §4.5.
    #[doc(alias = "restricted mean")]
    pub fn rmst(&self, tau: f64) -> Result<Outcome<Rmst>> {
        if !tau.is_finite() || tau < 0.0 {
            return Err(Error::invalid_argument(
                "tau",
                format!("{tau}; expected a finite time >= 0"),
            ));
        }
        let z = z_for_level(self.confidence_level)?;
        let last = self.time.last().copied().unwrap_or(0.0);
        if tau > last {
            return Ok(refuse(
                RefusalReason::NotEstimable,
                format!("tau = {tau} is beyond the last observed time {last}"),
            ));
        }
        let m = self.time.partition_point(|&t| t <= tau);
        // Backwards: A_j = area from t_j to tau.
        let mut area_after = 0.0;
        let mut variance = 0.0;
        let mut next = tau;
        for j in (0..m).rev() {
            let t = self.time[j];
            area_after += (next - t) * self.survival[j];
            next = t;
            let n = self.n_risk[j];
            let d = self.n_event[j];
            if d > 0 && n > d {
                variance += area_after * area_after * d as f64 / (n as f64 * (n - d) as f64);
            }
        }
        let first = self.time.first().copied().unwrap_or(tau).min(tau);
        let estimate = first + area_after;
        let std_error = variance.sqrt();
        Ok(Outcome::Computed(Rmst {
            tau,
            estimate,
            std_error,
            confidence_interval: ConfidenceInterval::symmetric(
                estimate,
                z * std_error,
                self.confidence_level,
            ),
        }))
    }
}

/// Difference in restricted mean survival time between two arms.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{rmst_difference, Status};
/// let time = [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0];
/// let arm = ["a", "a", "a", "a", "b", "b", "b", "b"];
/// let d = rmst_difference(&time, &[Status::Event; 8], &arm, &"a", 4.0, 0.95)?.into_result().unwrap();
/// assert_eq!(d.arm, "b");
/// assert!((d.difference.estimate - 1.0).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RmstDifference {
    /// Truncation time τ.
    pub tau: f64,
    /// Label of the compared arm.
    pub arm: String,
    /// Label of the reference arm.
    pub reference: String,
    /// RMST of the compared arm.
    pub arm_rmst: Rmst,
    /// RMST of the reference arm.
    pub reference_rmst: Rmst,
    /// `arm_rmst − reference_rmst` with SE `sqrt(se_arm² + se_reference²)` (independent arms),
    /// Wald z test and normal-theory interval.
    pub difference: Estimate,
}

impl fmt::Display for RmstDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Restricted mean survival time, tau = {}", self.tau)?;
        writeln!(f, "  {:<16} {}", self.arm, self.arm_rmst)?;
        writeln!(f, "  {:<16} {}", self.reference, self.reference_rmst)?;
        write!(
            f,
            "  difference {:.4} (se {:.4}; {}), z = {:.3}, p = {:.4e}",
            self.difference.estimate,
            self.difference.std_error,
            self.difference.confidence_interval,
            self.difference.statistic,
            self.difference.p_value
        )
    }
}

/// RMST difference between the two arms of `group`: the non-reference arm minus `reference`.
///
/// # Formula
///
/// `Δ = RMST_1(τ) - RMST_0(τ)`, `se(Δ) = sqrt(se_1² + se_0²)`, CI `Δ ± z·se`, `z = Δ/se`
/// (each RMST as [`KaplanMeier::rmst`]).
///
/// # Errors
///
/// `InvalidArgument` when lengths differ, times are invalid, `group` does not have exactly two
/// levels, `reference` is not one of them, `tau` is invalid or the level is outside (0, 1).
///
/// # Refusals
///
/// `NotEstimable` when τ exceeds an arm's last observed time; `ZeroVariance` when both
/// standard errors are zero.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{rmst_difference, Status};
/// let time = [1.0, 2.0, 3.0, 4.0, 2.0, 4.0, 6.0, 8.0];
/// let arm = [0, 0, 0, 0, 1, 1, 1, 1];
/// let d = rmst_difference(&time, &[Status::Event; 8], &arm, &0, 4.0, 0.95)?.into_result().unwrap();
/// assert!(d.difference.confidence_interval.lower < d.difference.estimate);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Uno H, et al. (2014). Moving beyond the hazard ratio in quantifying the between-group
/// difference in survival analysis. J Clin Oncol 32:2380–2385.
pub fn rmst_difference<L: Ord + Clone + fmt::Display>(
    time: &[f64],
    status: &[Status],
    group: &[L],
    reference: &L,
    tau: f64,
    confidence_level: f64,
) -> Result<Outcome<RmstDifference>> {
    check_time_status(time, status)?;
    check_len("group", group.len(), time.len())?;
    z_for_level(confidence_level)?; // validates the level
    if !tau.is_finite() || tau < 0.0 {
        return Err(Error::invalid_argument(
            "tau",
            format!("{tau}; expected a finite time >= 0"),
        ));
    }
    let (levels, codes) = encode(group);
    if levels.len() != 2 {
        return Err(Error::invalid_argument(
            "group",
            format!(
                "{} distinct levels; an RMST difference needs exactly two",
                levels.len()
            ),
        ));
    }
    let Some(ref_code) = levels.iter().position(|l| l == reference) else {
        return Err(Error::invalid_argument(
            "reference",
            format!("`{reference}` is not a level of `group`"),
        ));
    };
    let options = KaplanMeierOptions::default().with_confidence_level(confidence_level);
    let mut rmsts = Vec::with_capacity(2);
    for code in 0..2u32 {
        let (t, s): (Vec<f64>, Vec<Status>) = codes
            .iter()
            .zip(time.iter().zip(status))
            .filter(|(c, _)| **c == code)
            .map(|(_, (t, s))| (*t, *s))
            .unzip();
        let km = match kaplan_meier(&t, &s, &options)? {
            Outcome::Computed(k) => k,
            Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
        };
        match km.rmst(tau)? {
            Outcome::Computed(r) => rmsts.push(r),
            Outcome::Refused(r) => {
                return Ok(refuse(
                    r.reason,
                    format!("arm `{}`: {}", levels[code as usize], r.detail),
                ));
            }
        }
    }
    let arm_code = 1 - ref_code;
    let (Some(arm_rmst), Some(reference_rmst)) =
        (rmsts.get(arm_code).cloned(), rmsts.get(ref_code).cloned())
    else {
        return Ok(refuse(RefusalReason::EmptyGroup, "an arm is empty"));
    };
    let difference = arm_rmst.estimate - reference_rmst.estimate;
    let std_error = (arm_rmst.std_error.powi(2) + reference_rmst.std_error.powi(2)).sqrt();
    if std_error <= 0.0 {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "both RMST standard errors are zero (no events before tau)",
        ));
    }
    let (arm, reference) = (levels[arm_code].to_string(), levels[ref_code].to_string());
    Ok(Outcome::Computed(RmstDifference {
        tau,
        difference: Estimate::wald(
            format!("RMST {arm} - {reference}"),
            difference,
            std_error,
            None,
            confidence_level,
        ),
        arm,
        reference,
        arm_rmst,
        reference_rmst,
    }))
}
