//! The result vocabulary every family shares: a confidence interval, an estimate with its
//! standard error, test and interval, an F test and a chi-square test.
//!
//! A new family reuses these types rather than defining its own, so that a user learns one
//! set of names (`estimate`, `std_error`, `statistic`, `df`, `p_value`,
//! `confidence_interval`) once.

use std::fmt;

use super::dist;

/// A confidence interval.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::ConfidenceInterval;
/// let ci = ConfidenceInterval { lower: 1.0, upper: 2.0, level: 0.95 };
/// assert!(ci.contains(1.5));
/// assert_eq!(ci.to_string(), "95% CI [1.0000, 2.0000]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConfidenceInterval {
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
}

impl ConfidenceInterval {
    /// Whether `value` lies in the closed interval.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::ConfidenceInterval;
    /// assert!(!ConfidenceInterval { lower: 0.0, upper: 1.0, level: 0.9 }.contains(2.0));
    /// ```
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    /// The interval `estimate ± half_width`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::ConfidenceInterval;
    /// let ci = ConfidenceInterval::symmetric(2.0, 0.5, 0.9);
    /// assert_eq!((ci.lower, ci.upper), (1.5, 2.5));
    /// ```
    pub fn symmetric(estimate: f64, half_width: f64, level: f64) -> Self {
        ConfidenceInterval {
            lower: estimate - half_width,
            upper: estimate + half_width,
            level,
        }
    }
}

impl fmt::Display for ConfidenceInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0}% CI [{:.4}, {:.4}]",
            self.level * 100.0,
            self.lower,
            self.upper
        )
    }
}

/// An estimate with its standard error, its Wald test against zero and its confidence
/// interval.
///
/// The reference distribution is Student's t on `df` degrees of freedom, or the standard
/// normal when `df` is `None`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::Estimate;
/// let e = Estimate::wald("difference", 1.2, 0.5, Some(30.0), 0.95);
/// assert!((e.statistic - 2.4).abs() < 1e-12);
/// assert!(e.p_value < 0.05 && e.confidence_interval.lower > 0.0);
/// let z = Estimate::wald("log hazard ratio", 1.0, 0.5, None, 0.95);
/// assert!((z.confidence_interval.lower - (1.0 - 1.959963984540054 * 0.5)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// What is estimated (a contrast, a coefficient, a cell).
    pub label: String,
    /// The point estimate.
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Degrees of freedom of the t reference; `None` for the standard normal.
    pub df: Option<f64>,
    /// The Wald statistic `estimate / std_error` (t or z).
    pub statistic: f64,
    /// Two-sided p-value of `statistic`.
    pub p_value: f64,
    /// Confidence interval `estimate ± q · std_error`.
    pub confidence_interval: ConfidenceInterval,
}

impl Estimate {
    /// The Wald test and interval of `estimate` with standard error `std_error`, on Student's t
    /// with `df` degrees of freedom or on the standard normal (`df = None`).
    ///
    /// The caller checks that `std_error` is positive and finite, `df` positive and `level` in
    /// (0, 1), or refuses the result: outside that domain (an undefined statistic, `df <= 0`)
    /// the p-value and the interval are NaN.
    ///
    /// # Formula
    ///
    /// `statistic = estimate / se`, `p = 2 P(T > |statistic|)`, CI `estimate ± q_{(1+level)/2} se`.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = pain_outcomes::stats::Estimate::wald("x", 0.0, 1.0, None, 0.95);
    /// assert_eq!(e.p_value, 1.0);
    /// ```
    pub fn wald(
        label: impl Into<String>,
        estimate: f64,
        std_error: f64,
        df: Option<f64>,
        level: f64,
    ) -> Self {
        let statistic = estimate / std_error;
        // the domain of the distribution functions: a defined statistic and, for t, df > 0;
        // outside it the p-value and the interval are NaN, for the kernel to refuse
        let (p_value, q) = match df {
            _ if statistic.is_nan() => (f64::NAN, f64::NAN),
            Some(df) if df > 0.0 => (
                dist::t_two_sided_p(statistic, df),
                dist::t_quantile(0.5 + level / 2.0, df),
            ),
            Some(_) => (f64::NAN, f64::NAN),
            None => (
                (2.0 * dist::normal_sf(statistic.abs())).min(1.0),
                dist::normal_quantile(1.0 - (1.0 - level) / 2.0),
            ),
        };
        Estimate {
            label: label.into(),
            estimate,
            std_error,
            df,
            statistic,
            p_value,
            confidence_interval: ConfidenceInterval::symmetric(estimate, q * std_error, level),
        }
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {:.4} (SE {:.4}",
            self.label, self.estimate, self.std_error
        )?;
        if let Some(df) = self.df {
            write!(f, ", df {df:.1}")?;
        }
        write!(
            f,
            "), {}, p = {:.4e}",
            self.confidence_interval, self.p_value
        )
    }
}

/// An F test.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::FTest;
/// let t = FTest::new("arm", 4.0, 2.0, 30.0);
/// assert!((t.p_value - 0.02881).abs() < 1e-4);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FTest {
    /// What is tested (a term, a method).
    pub label: String,
    /// The F statistic.
    pub statistic: f64,
    /// Numerator degrees of freedom.
    pub df_numerator: f64,
    /// Denominator degrees of freedom (fractional for Welch, Satterthwaite, Kenward–Roger).
    pub df_denominator: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
}

impl FTest {
    /// The test of `statistic` on `F(df_numerator, df_denominator)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = pain_outcomes::stats::FTest::new("x", 0.0, 1.0, 10.0);
    /// assert_eq!(t.p_value, 1.0);
    /// ```
    pub fn new(
        label: impl Into<String>,
        statistic: f64,
        df_numerator: f64,
        df_denominator: f64,
    ) -> Self {
        FTest {
            label: label.into(),
            statistic,
            df_numerator,
            df_denominator,
            p_value: dist::f_sf(statistic, df_numerator, df_denominator),
        }
    }
}

impl fmt::Display for FTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: F = {:.4}, num df = {}, denom df = {:.4}, p-value = {:.4e}",
            self.label, self.statistic, self.df_numerator, self.df_denominator, self.p_value
        )
    }
}

/// A chi-square test.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::ChiSquareTest;
/// let t = ChiSquareTest::new("log-rank", 3.84, 1.0);
/// assert!((t.p_value - 0.0500435).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChiSquareTest {
    /// What is tested (a method).
    pub label: String,
    /// The chi-square statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// Upper-tail p-value `P(X > statistic)`.
    pub p_value: f64,
}

impl ChiSquareTest {
    /// The test of `statistic` on a chi-square with `df` degrees of freedom.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = pain_outcomes::stats::ChiSquareTest::new("x", 0.0, 2.0);
    /// assert_eq!(t.p_value, 1.0);
    /// ```
    pub fn new(label: impl Into<String>, statistic: f64, df: f64) -> Self {
        ChiSquareTest {
            label: label.into(),
            statistic,
            df,
            p_value: dist::chi_squared_sf(statistic, df),
        }
    }
}

impl fmt::Display for ChiSquareTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: X-squared = {:.4}, df = {}, p-value = {:.4e}",
            self.label, self.statistic, self.df, self.p_value
        )
    }
}

/// The difference of one arm from the reference arm (at one visit, for repeated measures).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::{ArmDifference, Estimate};
/// let d = ArmDifference {
///     arm: "stem_cell".into(),
///     reference: "placebo".into(),
///     visit: Some("month_12".into()),
///     difference: Estimate::wald("stem_cell - placebo", -1.1, 0.4, Some(120.0), 0.95),
/// };
/// assert!(d.difference.confidence_interval.upper < 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmDifference {
    /// The arm.
    pub arm: String,
    /// The reference arm.
    pub reference: String,
    /// The visit (`None` for a single-visit analysis).
    pub visit: Option<String>,
    /// `arm − reference`, with SE, df, test and interval.
    pub difference: Estimate,
}

impl ArmDifference {
    /// Column header matching [`Display`](fmt::Display).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(pain_outcomes::stats::ArmDifference::table_header().contains("estimate"));
    /// ```
    pub fn table_header() -> String {
        format!(
            "{:<28} {:<10} {:>9} {:>7} {:>7} {:>20} {:>10}",
            "arm", "visit", "estimate", "SE", "df", "CI", "p"
        )
    }
}

impl fmt::Display for ArmDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.difference;
        write!(
            f,
            "{:<28} {:<10} {:>9.3} {:>7.3} {:>7} [{:>7.3}, {:>7.3}] {:>10.2e}",
            self.arm,
            self.visit.as_deref().unwrap_or("-"),
            d.estimate,
            d.std_error,
            d.df.map_or_else(|| "z".to_string(), |df| format!("{df:.1}")),
            d.confidence_interval.lower,
            d.confidence_interval.upper,
            d.p_value
        )
    }
}

/// Events (responders, surgeries, …) out of the patients of one group.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::Proportion;
/// let p = Proportion::new(12, 40);
/// assert_eq!(p.non_events(), Some(28));
/// assert_eq!(Proportion::new(5, 4).non_events(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proportion {
    /// Patients with the event.
    pub events: u64,
    /// Patients in the group.
    pub total: u64,
}

impl Proportion {
    /// `events` out of `total`.
    pub const fn new(events: u64, total: u64) -> Self {
        Proportion { events, total }
    }

    /// `total − events`, `None` when there are more events than patients.
    pub fn non_events(self) -> Option<u64> {
        self.total.checked_sub(self.events)
    }
}

/// A 2 × 2 table of counts: a treated (or exposed) group and a control group, each with its
/// events and non-events.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::{Proportion, TwoByTwo};
/// let t = TwoByTwo::new(Proportion::new(3, 4), Proportion::new(1, 4));
/// assert_eq!(t.cells(), Some([[3, 1], [1, 3]]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TwoByTwo {
    /// The treated (first-row) group.
    pub treated: Proportion,
    /// The control (second-row) group.
    pub control: Proportion,
}

impl TwoByTwo {
    /// The table of `treated` and `control`.
    pub const fn new(treated: Proportion, control: Proportion) -> Self {
        TwoByTwo { treated, control }
    }

    /// `[[treated events, treated non-events], [control events, control non-events]]`;
    /// `None` when a group has more events than patients.
    pub fn cells(self) -> Option<[[u64; 2]; 2]> {
        Some([
            [self.treated.events, self.treated.non_events()?],
            [self.control.events, self.control.non_events()?],
        ])
    }
}
