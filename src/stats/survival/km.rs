//! Kaplan–Meier estimate with Greenwood standard errors, pointwise confidence limits and the
//! median survival time.

use std::fmt;

use super::common::{ConfidenceType, Status, check_time_status, z_for_level};
use crate::Result;
use crate::stats::{Outcome, RefusalReason, refuse};

/// Options of [`kaplan_meier`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{ConfidenceType, KaplanMeierOptions};
/// let o = KaplanMeierOptions::default()
///     .with_confidence_type(ConfidenceType::Plain)
///     .with_confidence_level(0.9);
/// assert_eq!(o.confidence_level, 0.9);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KaplanMeierOptions {
    /// Confidence level of the pointwise limits and of the median's interval (default 0.95).
    pub confidence_level: f64,
    /// Scale of the pointwise limits (default log-log).
    pub confidence_type: ConfidenceType,
}

impl Default for KaplanMeierOptions {
    fn default() -> Self {
        Self {
            confidence_level: 0.95,
            confidence_type: ConfidenceType::LogLog,
        }
    }
}

impl KaplanMeierOptions {
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::survival::KaplanMeierOptions::default().with_confidence_level(0.8);
    /// assert_eq!(o.confidence_level, 0.8);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Sets the scale of the confidence limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::{ConfidenceType, KaplanMeierOptions};
    /// let o = KaplanMeierOptions::default().with_confidence_type(ConfidenceType::Log);
    /// assert_eq!(o.confidence_type, ConfidenceType::Log);
    /// ```
    pub fn with_confidence_type(mut self, kind: ConfidenceType) -> Self {
        self.confidence_type = kind;
        self
    }
}

/// Median survival time with its confidence interval; `None` = not reached.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
/// let km = kaplan_meier(&[1.0, 2.0, 3.0], &[Status::Event; 3], &KaplanMeierOptions::default())?
///     .into_result().unwrap();
/// assert_eq!(km.median.estimate, Some(2.0));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MedianSurvival {
    /// Median survival time (first time the curve drops below one half); `None` when the curve
    /// never reaches one half.
    pub estimate: Option<f64>,
    /// Lower confidence limit (where the lower pointwise limit drops below one half).
    pub lower: Option<f64>,
    /// Upper confidence limit (where the upper pointwise limit drops below one half); `None` =
    /// not reached.
    pub upper: Option<f64>,
}

/// Survival read off the curve at a chosen time (as `summary(survfit, times = ...)`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
/// let km = kaplan_meier(&[1.0, 2.0, 3.0], &[Status::Event; 3], &KaplanMeierOptions::default())?
///     .into_result().unwrap();
/// let at = km.survival_at(&[1.5])?;
/// assert_eq!(at[0].n_risk, 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SurvivalAt {
    /// The requested time.
    pub time: f64,
    /// Number at risk at that time (follow-up time `>= time`).
    pub n_risk: usize,
    /// Survival probability; `None` beyond the last observed time.
    pub survival: Option<f64>,
    /// Greenwood standard error of the survival probability; `None` where undefined.
    pub std_error: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
}

/// A Kaplan–Meier curve, one row per distinct observed time (events and censorings), as R
/// `survfit`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
/// let km = kaplan_meier(&[2.0, 4.0], &[Status::Event, Status::Censored], &KaplanMeierOptions::default())?
///     .into_result().unwrap();
/// assert_eq!(km.time, vec![2.0, 4.0]);
/// assert!((km.survival[1] - 0.5).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KaplanMeier {
    /// Number of subjects.
    pub n: usize,
    /// Total number of events.
    pub n_events: usize,
    /// Distinct observed times, ascending.
    pub time: Vec<f64>,
    /// Number at risk just before each time.
    pub n_risk: Vec<usize>,
    /// Number of events at each time.
    pub n_event: Vec<usize>,
    /// Number censored at each time.
    pub n_censor: Vec<usize>,
    /// Survival probability just after each time.
    pub survival: Vec<f64>,
    /// Greenwood standard error of the survival probability (`summary(survfit)$std.err`);
    /// `None` once the curve has reached zero.
    pub std_error: Vec<Option<f64>>,
    /// Standard error of the cumulative hazard, `sqrt(sum d/(n(n-d)))` (`survfit()$std.err`);
    /// `None` once the curve has reached zero.
    pub std_error_log: Vec<Option<f64>>,
    /// Lower pointwise confidence limit; `None` where R gives `NA`.
    pub lower: Vec<Option<f64>>,
    /// Upper pointwise confidence limit; `None` where R gives `NA`.
    pub upper: Vec<Option<f64>>,
    /// Confidence level of the limits.
    pub confidence_level: f64,
    /// Scale of the limits.
    pub confidence_type: ConfidenceType,
    /// Median survival with its confidence interval.
    pub median: MedianSurvival,
}

/// Kaplan–Meier estimate of the survival function.
///
/// # Formula
///
/// With `n_j` at risk and `d_j` events at the distinct times `t_j`:
/// `S(t) = Π_{t_j <= t} (1 - d_j / n_j)`; Greenwood
/// `var(log S(t)) = Σ_{t_j <= t} d_j / (n_j (n_j - d_j))`. Pointwise limits on the chosen
/// [`ConfidenceType`] scale. The median is the first time with `S(t) < 1/2` (the midpoint of the
/// flat stretch when `S = 1/2` exactly); its interval (Brookmeyer–Crowley, as R prints it) is
/// where the lower and upper pointwise limits cross one half.
///
/// # Errors
///
/// `InvalidArgument` when the lengths differ, a time is negative, NaN or infinite, or the
/// confidence level is outside (0, 1).
///
/// # Refusals
///
/// `TooFewObservations` for empty input.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
/// let time = [6.0, 6.0, 6.0, 7.0, 10.0];
/// let status = [Status::Event, Status::Event, Status::Censored, Status::Event, Status::Censored];
/// let km = kaplan_meier(&time, &status, &KaplanMeierOptions::default())?.into_result().unwrap();
/// assert_eq!(km.n_risk, vec![5, 2, 1]);
/// assert!((km.survival[1] - 0.3).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations. JASA 53:457–481.
/// Greenwood M (1926). The natural duration of cancer. Reports on Public Health 33.
/// Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
/// Biometrics 38:29–41. Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer.
#[doc(alias = "survfit")]
pub fn kaplan_meier(
    time: &[f64],
    status: &[Status],
    options: &KaplanMeierOptions,
) -> Result<Outcome<KaplanMeier>> {
    check_time_status(time, status)?;
    let z = z_for_level(options.confidence_level)?;
    if time.is_empty() {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            "no subjects: a survival curve needs at least one",
        ));
    }
    let mut order: Vec<usize> = (0..time.len()).collect();
    order.sort_unstable_by(|&a, &b| time[a].total_cmp(&time[b]));
    let sorted_time: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    let sorted_event: Vec<bool> = order.iter().map(|&i| status[i].is_event()).collect();
    Ok(Outcome::Computed(km_sorted(
        &sorted_time,
        &sorted_event,
        z,
        options,
    )))
}

/// Kaplan–Meier on data already sorted by time (non-empty).
pub(crate) fn km_sorted(
    time: &[f64],
    event: &[bool],
    z: f64,
    options: &KaplanMeierOptions,
) -> KaplanMeier {
    let n = time.len();
    let mut out = KaplanMeier {
        n,
        n_events: 0,
        time: Vec::new(),
        n_risk: Vec::new(),
        n_event: Vec::new(),
        n_censor: Vec::new(),
        survival: Vec::new(),
        std_error: Vec::new(),
        std_error_log: Vec::new(),
        lower: Vec::new(),
        upper: Vec::new(),
        confidence_level: options.confidence_level,
        confidence_type: options.confidence_type,
        median: MedianSurvival {
            estimate: None,
            lower: None,
            upper: None,
        },
    };
    let mut at_risk = n;
    let mut surv = 1.0_f64;
    let mut greenwood = 0.0_f64;
    let mut infinite = false;
    let mut i = 0;
    while i < n {
        let t = time[i];
        let mut d = 0usize;
        let mut c = 0usize;
        while i < n && time[i] == t {
            if event[i] {
                d += 1;
            } else {
                c += 1;
            }
            i += 1;
        }
        if d > 0 {
            surv *= (at_risk - d) as f64 / at_risk as f64;
            if at_risk > d {
                greenwood += d as f64 / (at_risk as f64 * (at_risk - d) as f64);
            } else {
                infinite = true;
            }
        }
        let se_log = if infinite {
            None
        } else {
            Some(greenwood.sqrt())
        };
        let (lo, hi) = pointwise_limits(surv, se_log, z, options.confidence_type);
        out.time.push(t);
        out.n_risk.push(at_risk);
        out.n_event.push(d);
        out.n_censor.push(c);
        out.survival.push(surv);
        out.std_error.push(se_log.map(|s| s * surv));
        out.std_error_log.push(se_log);
        out.lower.push(lo);
        out.upper.push(hi);
        out.n_events += d;
        at_risk -= d + c;
    }
    out.median = MedianSurvival {
        estimate: first_below_half(
            &out.survival.iter().map(|&s| Some(s)).collect::<Vec<_>>(),
            &out.time,
        ),
        lower: first_below_half(&out.lower, &out.time),
        upper: first_below_half(&out.upper, &out.time),
    };
    out
}

/// Pointwise limits for survival `s` with `se_log` the standard error of `log S`.
pub(crate) fn pointwise_limits(
    s: f64,
    se_log: Option<f64>,
    z: f64,
    kind: ConfidenceType,
) -> (Option<f64>, Option<f64>) {
    let Some(se) = se_log else {
        return (None, None);
    };
    match kind {
        ConfidenceType::Plain => {
            let half = se * s * z;
            (Some((s - half).max(0.0)), Some((s + half).min(1.0)))
        }
        ConfidenceType::Log => {
            if s <= 0.0 {
                return (None, None);
            }
            let l = s.ln();
            (Some((l - z * se).exp()), Some((l + z * se).exp().min(1.0)))
        }
        ConfidenceType::LogLog => {
            if s <= 0.0 || s >= 1.0 {
                return (None, None);
            }
            let l = s.ln();
            let half = z * se / l;
            let ll = (-l).ln();
            (
                Some((-(ll - half).exp()).exp()),
                Some((-(ll + half).exp()).exp()),
            )
        }
    }
}

/// First time at which a curve drops below one half, as R `survival:::survmean` (`minmin`):
/// with a tolerance of `sqrt(eps)`, and the midpoint to the next drop when the curve sits at
/// exactly one half.
fn first_below_half(curve: &[Option<f64>], time: &[f64]) -> Option<f64> {
    let tol = f64::EPSILON.sqrt();
    let kept: Vec<(f64, f64)> = curve
        .iter()
        .zip(time)
        .filter_map(|(y, &t)| y.filter(|&v| v < 0.5 + tol).map(|v| (v, t)))
        .collect();
    let &(y0, t0) = kept.first()?;
    if (y0 - 0.5).abs() < tol
        && let Some(&(_, t1)) = kept.iter().find(|(y, _)| *y < y0)
    {
        return Some((t0 + t1) / 2.0);
    }
    Some(t0)
}

impl KaplanMeier {
    /// Survival, standard error, limits and number at risk at chosen times (R
    /// `summary(fit, times = ...)`).
    ///
    /// Times before the first observed time give survival 1; times after the last observed
    /// time give `None` (the curve is not observed there).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a negative or non-finite time.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
    /// let km = kaplan_meier(&[1.0, 2.0, 3.0, 4.0], &[Status::Event; 4], &KaplanMeierOptions::default())?
    ///     .into_result().unwrap();
    /// let at = km.survival_at(&[2.5, 9.0])?;
    /// assert_eq!(at[0].survival, Some(0.5));
    /// assert_eq!(at[1].survival, None);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn survival_at(&self, times: &[f64]) -> Result<Vec<SurvivalAt>> {
        z_for_level(self.confidence_level)?;
        let last = self.time.last().copied().unwrap_or(0.0);
        let mut out = Vec::with_capacity(times.len());
        for &t in times {
            if !t.is_finite() || t < 0.0 {
                return Err(crate::Error::invalid_argument(
                    "times",
                    format!("{t}; times must be finite and >= 0"),
                ));
            }
            // Number of distinct times <= t, and first index with time >= t.
            let upto = self.time.partition_point(|&x| x <= t);
            let from = self.time.partition_point(|&x| x < t);
            let n_risk = self.n_risk.get(from).copied().unwrap_or(0);
            if t > last {
                out.push(SurvivalAt {
                    time: t,
                    n_risk,
                    survival: None,
                    std_error: None,
                    lower: None,
                    upper: None,
                });
                continue;
            }
            let row = if upto == 0 {
                // Before the first observed time the curve is exactly 1 with no uncertainty
                // (R pads the limits with 1 there).
                SurvivalAt {
                    time: t,
                    n_risk,
                    survival: Some(1.0),
                    std_error: Some(0.0),
                    lower: Some(1.0),
                    upper: Some(1.0),
                }
            } else {
                let k = upto - 1;
                SurvivalAt {
                    time: t,
                    n_risk,
                    survival: self.survival.get(k).copied(),
                    std_error: self.std_error.get(k).copied().flatten(),
                    lower: self.lower.get(k).copied().flatten(),
                    upper: self.upper.get(k).copied().flatten(),
                }
            };
            out.push(row);
        }
        Ok(out)
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "NA".to_string(), |x| format!("{x:.4}"))
}

impl fmt::Display for KaplanMeier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = self.confidence_level * 100.0;
        writeln!(
            f,
            "Kaplan-Meier: n = {}, events = {}, median = {} ({pct}% CI {} to {})",
            self.n,
            self.n_events,
            opt(self.median.estimate),
            opt(self.median.lower),
            opt(self.median.upper)
        )?;
        writeln!(
            f,
            "{:>10} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9}",
            "time", "n.risk", "n.event", "survival", "std.err", "lower", "upper"
        )?;
        for k in 0..self.time.len() {
            if self.n_event.get(k).copied().unwrap_or(0) == 0 {
                continue;
            }
            writeln!(
                f,
                "{:>10.4} {:>7} {:>7} {:>9.4} {:>9} {:>9} {:>9}",
                self.time[k],
                self.n_risk[k],
                self.n_event[k],
                self.survival[k],
                opt(self.std_error[k]),
                opt(self.lower[k]),
                opt(self.upper[k])
            )?;
        }
        Ok(())
    }
}
