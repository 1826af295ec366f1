//! Descriptive statistics by arm × visit, change and percent change from baseline, and the
//! area under a patient's trajectory.
//!
//! Kernels take slices of one arm at one visit (`Option<f64>`: `None` is a missed assessment,
//! counted in `n_missing`, never silently dropped).

use crate::stats::ConfidenceInterval;
use crate::stats::{Outcome, RefusalReason, dist, refuse};
use crate::{Error, Result};
use std::fmt;

/// Checks that a confidence level is in (0, 1).
pub(crate) fn check_level(level: f64) -> Result<()> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "confidence_level",
            format!("must be in (0, 1), got {level}"),
        ))
    }
}

/// Checks that all values are finite.
pub(crate) fn check_finite(name: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::invalid_argument(
            name,
            format!("value at position {i} is not finite ({})", values[i]),
        )),
    }
}

/// Checks that present values are finite.
pub(crate) fn check_finite_opt(name: &'static str, values: &[Option<f64>]) -> Result<()> {
    match values
        .iter()
        .position(|v| v.is_some_and(|x| !x.is_finite()))
    {
        None => Ok(()),
        Some(i) => Err(Error::invalid_argument(
            name,
            format!("value at position {i} is not finite (use None for a missing value)"),
        )),
    }
}

/// Checks that two slices have the same length.
pub(crate) fn check_same_len(name: &'static str, a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            name,
            format!("slices have different lengths ({a} and {b})"),
        ))
    }
}

/// Mean and sum of squared deviations (two-pass, for accuracy).
pub(crate) fn mean_and_ss(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    (mean, ss)
}

/// Sample quantile of R's default type 7 on sorted data (`sorted` non-empty, `p` in [0, 1]).
pub(crate) fn quantile_type7_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let a = sorted.get(lo).copied().unwrap_or(f64::NAN);
    match sorted.get(lo + 1) {
        Some(b) if frac > 0.0 => a + frac * (b - a),
        _ => a,
    }
}

/// Options for [`describe`].
///
/// # Examples
///
/// ```
/// let o = pain_outcomes::stats::describe::DescribeOptions::default().with_confidence_level(0.9);
/// assert_eq!(o.confidence_level, 0.9);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DescribeOptions {
    /// Confidence level of the t-based interval for the mean (default 0.95).
    pub confidence_level: f64,
}

impl Default for DescribeOptions {
    fn default() -> Self {
        Self {
            confidence_level: 0.95,
        }
    }
}

impl DescribeOptions {
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::describe::DescribeOptions::default().with_confidence_level(0.99);
    /// assert_eq!(o.confidence_level, 0.99);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }
}

/// Descriptive summary of one arm at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Describe {
    /// Number of observed values.
    pub n: usize,
    /// Number of missed assessments (`None`).
    pub n_missing: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (denominator n − 1).
    pub std_dev: f64,
    /// Standard error of the mean, `std_dev / sqrt(n)`.
    pub std_error: f64,
    /// t-based confidence interval for the mean.
    pub confidence_interval: ConfidenceInterval,
    /// Median.
    pub median: f64,
    /// First quartile (R quantile type 7).
    pub first_quartile: f64,
    /// Third quartile (R quantile type 7).
    pub third_quartile: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

impl fmt::Display for Describe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n = {} (missing {}), mean = {:.4}, sd = {:.4}, se = {:.4}, {}; median = {:.4} [Q1 {:.4}, Q3 {:.4}], range [{:.4}, {:.4}]",
            self.n,
            self.n_missing,
            self.mean,
            self.std_dev,
            self.std_error,
            self.confidence_interval,
            self.median,
            self.first_quartile,
            self.third_quartile,
            self.min,
            self.max
        )
    }
}

/// Describes one arm at one visit: n, missing, mean, SD, SE, t-based CI, median, quartiles,
/// min, max.
///
/// # Formula
///
/// `sd = sqrt(Σ(x − x̄)² / (n − 1))`, `se = sd / √n`, CI `x̄ ± t_{1−α/2, n−1} se`; quantiles of
/// R's type 7: `x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋))`, `h = (n − 1)p` (0-based order
/// statistics).
///
/// # References
///
/// Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
/// Statistician* 50, 361–365.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a non-finite value or a confidence level outside (0, 1).
/// Refuses (`EmptyGroup`, `TooFewObservations`) when fewer than two values are observed.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::describe::{describe, DescribeOptions};
/// let d = describe(&[Some(1.0), Some(2.0), None, Some(4.0)], &DescribeOptions::default())
///     .unwrap()
///     .into_result()
///     .unwrap();
/// assert_eq!(d.n, 3);
/// assert_eq!(d.n_missing, 1);
/// assert!((d.mean - 7.0 / 3.0).abs() < 1e-12);
/// assert!((d.median - 2.0).abs() < 1e-12);
/// ```
pub fn describe(values: &[Option<f64>], options: &DescribeOptions) -> Result<Outcome<Describe>> {
    check_level(options.confidence_level)?;
    check_finite_opt("values", values)?;
    let mut x: Vec<f64> = values.iter().flatten().copied().collect();
    let n_missing = values.len() - x.len();
    if x.is_empty() {
        return Ok(refuse(RefusalReason::EmptyGroup, "no observed value"));
    }
    if x.len() < 2 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            "n = 1: the standard deviation needs n >= 2",
        ));
    }
    let n = x.len();
    let (mean, ss) = mean_and_ss(&x);
    let std_dev = (ss / (n as f64 - 1.0)).sqrt();
    let std_error = std_dev / (n as f64).sqrt();
    let q = dist::t_quantile(0.5 + options.confidence_level / 2.0, n as f64 - 1.0);
    x.sort_by(f64::total_cmp);
    let min = x.first().copied().unwrap_or(f64::NAN);
    let max = x.last().copied().unwrap_or(f64::NAN);
    Ok(Outcome::Computed(Describe {
        n,
        n_missing,
        mean,
        std_dev,
        std_error,
        confidence_interval: ConfidenceInterval {
            lower: mean - q * std_error,
            upper: mean + q * std_error,
            level: options.confidence_level,
        },
        median: quantile_type7_sorted(&x, 0.5),
        first_quartile: quantile_type7_sorted(&x, 0.25),
        third_quartile: quantile_type7_sorted(&x, 0.75),
        min,
        max,
    }))
}

/// Per-patient change and percent change from baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChangeScores {
    /// `follow_up − baseline` (raw units; negative is a decrease), `None` when either is
    /// missing.
    pub change: Vec<Option<f64>>,
    /// `100 (follow_up − baseline) / baseline`, `None` when either is missing or the baseline is
    /// zero (counted in `n_zero_baseline`).
    pub percent_change: Vec<Option<f64>>,
    /// Number of patients whose percent change is undefined because the baseline is zero.
    pub n_zero_baseline: usize,
}

impl fmt::Display for ChangeScores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.change.iter().flatten().count();
        write!(
            f,
            "change scores: {} patients, {} with both assessments, {} with a zero baseline",
            self.change.len(),
            n,
            self.n_zero_baseline
        )
    }
}

/// Per-patient change and percent change from baseline (summarize them with [`describe`]).
///
/// # Formula
///
/// `change = y − y₀`; `percent change = 100 (y − y₀) / y₀`.
///
/// # References
///
/// Vickers, A. J. (2001). The use of percentage change from baseline as an outcome in a
/// controlled trial is statistically inefficient. *BMC Med Res Methodol* 1, 6.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the slices differ in length or hold a non-finite value.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::describe::change_from_baseline;
/// let c = change_from_baseline(&[Some(8.0), Some(0.0), None], &[Some(4.0), Some(1.0), Some(3.0)]).unwrap();
/// assert_eq!(c.change, vec![Some(-4.0), Some(1.0), None]);
/// assert_eq!(c.percent_change[0], Some(-50.0));
/// assert_eq!(c.n_zero_baseline, 1);
/// ```
pub fn change_from_baseline(
    baseline: &[Option<f64>],
    follow_up: &[Option<f64>],
) -> Result<ChangeScores> {
    check_same_len("follow_up", baseline.len(), follow_up.len())?;
    check_finite_opt("baseline", baseline)?;
    check_finite_opt("follow_up", follow_up)?;
    let mut n_zero_baseline = 0;
    let mut change = Vec::with_capacity(baseline.len());
    let mut percent_change = Vec::with_capacity(baseline.len());
    for (b, y) in baseline.iter().zip(follow_up) {
        match (b, y) {
            (Some(b), Some(y)) => {
                change.push(Some(y - b));
                if *b == 0.0 {
                    n_zero_baseline += 1;
                    percent_change.push(None);
                } else {
                    percent_change.push(Some(100.0 * (y - b) / b));
                }
            }
            _ => {
                change.push(None);
                percent_change.push(None);
            }
        }
    }
    Ok(ChangeScores {
        change,
        percent_change,
        n_zero_baseline,
    })
}

/// What to do with a missed visit inside a trajectory.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::describe::MissingVisitPolicy;
/// assert_eq!(MissingVisitPolicy::default(), MissingVisitPolicy::SkipMissing);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum MissingVisitPolicy {
    /// Integrate over the observed visits only (linear interpolation across a gap); the
    /// normalizing length is from the first to the last *observed* day.
    #[default]
    SkipMissing,
    /// Refuse when any visit is missing.
    RequireComplete,
}

/// Area under one patient's trajectory.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AreaUnderTrajectory {
    /// Trapezoid area (score × days).
    pub area: f64,
    /// Area divided by the follow-up length: a time-averaged score in scale units.
    pub normalized_area: f64,
    /// Days from the first to the last observed assessment.
    pub follow_up_days: f64,
    /// Number of observed assessments used.
    pub n_points: usize,
}

impl fmt::Display for AreaUnderTrajectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AUC = {:.4} over {} days ({} points), time-averaged score = {:.4}",
            self.area, self.follow_up_days, self.n_points, self.normalized_area
        )
    }
}

/// Area under a patient's trajectory by the trapezoid rule over observed days, normalized by
/// the follow-up length.
///
/// # Formula
///
/// `AUC = Σ (d_{i+1} − d_i)(y_i + y_{i+1}) / 2` over consecutive observed assessments;
/// `normalized = AUC / (d_last − d_first)`.
///
/// # References
///
/// Matthews, J. N. S., Altman, D. G., Campbell, M. J. & Royston, P. (1990). Analysis of serial
/// measurements in medical research. *BMJ* 300, 230–235.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when lengths differ, a value is not finite, or days are not
/// strictly increasing. Refuses (`TooFewObservations`) with fewer than two observed points, and
/// (`NotEstimable`) under [`MissingVisitPolicy::RequireComplete`] when a visit is missing.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::describe::{area_under_trajectory, MissingVisitPolicy};
/// let a = area_under_trajectory(&[0.0, 30.0, 90.0], &[Some(8.0), None, Some(4.0)], MissingVisitPolicy::SkipMissing)
///     .unwrap().into_result().unwrap();
/// assert!((a.area - 540.0).abs() < 1e-12);
/// assert!((a.normalized_area - 6.0).abs() < 1e-12);
/// ```
pub fn area_under_trajectory(
    days: &[f64],
    scores: &[Option<f64>],
    policy: MissingVisitPolicy,
) -> Result<Outcome<AreaUnderTrajectory>> {
    check_same_len("scores", days.len(), scores.len())?;
    check_finite("days", days)?;
    check_finite_opt("scores", scores)?;
    if days.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid_argument(
            "days",
            "must be strictly increasing",
        ));
    }
    if policy == MissingVisitPolicy::RequireComplete && scores.iter().any(Option::is_none) {
        return Ok(refuse(
            RefusalReason::NotEstimable,
            "a visit is missing and the policy requires complete trajectories",
        ));
    }
    let points: Vec<(f64, f64)> = days
        .iter()
        .zip(scores)
        .filter_map(|(d, s)| s.map(|s| (*d, s)))
        .collect();
    if points.len() < 2 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            "an area needs at least two observed assessments",
        ));
    }
    let area: f64 = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    let follow_up_days = match (points.first(), points.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => 0.0,
    };
    Ok(Outcome::Computed(AreaUnderTrajectory {
        area,
        normalized_area: area / follow_up_days,
        follow_up_days,
        n_points: points.len(),
    }))
}
