//! Explicit refusals: what a routine returns when valid input cannot honestly give a statistic.

use std::fmt;

/// Why a statistic was not computed.
///
/// A refusal is not an input error: the input was valid, but the statistic would be undefined
/// or dishonest (n < 2, zero variance, a singular design, a fit that did not converge, …).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Fewer observations than the statistic needs (for example n < 2 for a standard deviation).
    TooFewObservations,
    /// A group has no observations at all.
    EmptyGroup,
    /// Too few groups (for example sites) to estimate a between-group variance honestly.
    TooFewGroups,
    /// All values are equal, so a variance-based statistic is undefined.
    ZeroVariance,
    /// Every subject is a responder (or every outcome is an event), so a contrast is undefined.
    AllResponders,
    /// No subject is a responder (or no outcome is an event).
    NoResponders,
    /// The design matrix is rank deficient.
    SingularDesign,
    /// An iterative fit did not converge.
    NoConvergence,
    /// The estimated covariance is not positive definite.
    NotPositiveDefinite,
    /// A survival analysis has no events.
    NoEvents,
    /// Every observation is censored before the requested time.
    AllCensored,
    /// The partial likelihood is monotone: the estimate is infinite.
    MonotoneLikelihood,
    /// The requested quantity is not reached by the data (for example a median survival time
    /// when survival never drops to one half).
    NotReached,
    /// The quantity is not estimable from the data for another stated reason.
    NotEstimable,
}

impl RefusalReason {
    /// Stable machine-readable code.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::RefusalReason;
    /// assert_eq!(RefusalReason::ZeroVariance.code(), "zero_variance");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            RefusalReason::TooFewObservations => "too_few_observations",
            RefusalReason::EmptyGroup => "empty_group",
            RefusalReason::TooFewGroups => "too_few_groups",
            RefusalReason::ZeroVariance => "zero_variance",
            RefusalReason::AllResponders => "all_responders",
            RefusalReason::NoResponders => "no_responders",
            RefusalReason::SingularDesign => "singular_design",
            RefusalReason::NoConvergence => "no_convergence",
            RefusalReason::NotPositiveDefinite => "not_positive_definite",
            RefusalReason::NoEvents => "no_events",
            RefusalReason::AllCensored => "all_censored",
            RefusalReason::MonotoneLikelihood => "monotone_likelihood",
            RefusalReason::NotReached => "not_reached",
            RefusalReason::NotEstimable => "not_estimable",
        }
    }
}

/// A refusal: the reason code and a sentence for humans.
///
/// # Examples
///
/// ```
/// use pain_outcomes::{Refusal, RefusalReason};
/// let r = Refusal::new(RefusalReason::TooFewObservations, "arm `placebo` has n = 1 at day 90");
/// assert_eq!(r.reason, RefusalReason::TooFewObservations);
/// assert!(r.to_string().contains("n = 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refusal {
    /// Machine-readable reason.
    pub reason: RefusalReason,
    /// Human-readable detail.
    pub detail: String,
}

impl Refusal {
    /// Builds a refusal.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = pain_outcomes::Refusal::new(pain_outcomes::RefusalReason::EmptyGroup, "no patients");
    /// assert_eq!(r.detail, "no patients");
    /// ```
    pub fn new(reason: RefusalReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused ({}): {}", self.reason.code(), self.detail)
    }
}

/// A refusal is an error to a caller that needs the statistic: `outcome.into_result()?` works
/// in a function returning `Result<_, Box<dyn Error>>`.
impl std::error::Error for Refusal {}

/// The statistic's own `Display`, or the refusal.
///
/// # Examples
///
/// ```
/// use pain_outcomes::{Outcome, Refusal, RefusalReason};
/// assert_eq!(Outcome::Computed(1.5).to_string(), "1.5");
/// let no: Outcome<f64> = Outcome::Refused(Refusal::new(RefusalReason::ZeroVariance, "sd = 0"));
/// assert_eq!(no.to_string(), "refused (zero_variance): sd = 0");
/// ```
impl<T: fmt::Display> fmt::Display for Outcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Computed(v) => v.fmt(f),
            Outcome::Refused(r) => r.fmt(f),
        }
    }
}

/// Either a computed statistic or an explicit refusal.
///
/// Serialized as `{"status": "computed", "value": …}` or
/// `{"status": "refused", "reason": …, "detail": …}`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::{Outcome, Refusal, RefusalReason};
/// let ok: Outcome<f64> = Outcome::Computed(1.5);
/// assert_eq!(ok.computed(), Some(&1.5));
/// let no: Outcome<f64> = Outcome::Refused(Refusal::new(RefusalReason::ZeroVariance, "sd = 0"));
/// assert!(no.computed().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome<T> {
    /// The statistic.
    Computed(T),
    /// Why it was not computed.
    Refused(Refusal),
}

impl<T> Outcome<T> {
    /// The value when computed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::Outcome::Computed(3).computed(), Some(&3));
    /// ```
    pub fn computed(&self) -> Option<&T> {
        match self {
            Outcome::Computed(v) => Some(v),
            Outcome::Refused(_) => None,
        }
    }

    /// The refusal when refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::{Outcome, Refusal, RefusalReason};
    /// let o: Outcome<()> = Outcome::Refused(Refusal::new(RefusalReason::NoEvents, "none"));
    /// assert_eq!(o.refusal().map(|r| r.reason), Some(RefusalReason::NoEvents));
    /// ```
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Outcome::Computed(_) => None,
            Outcome::Refused(r) => Some(r),
        }
    }

    /// Converts into a `Result`, the refusal as the error.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::Outcome::Computed(2).into_result(), Ok(2));
    /// ```
    pub fn into_result(self) -> Result<T, Refusal> {
        match self {
            Outcome::Computed(v) => Ok(v),
            Outcome::Refused(r) => Err(r),
        }
    }

    /// Borrows the computed value (the refusal is cloned), so that a looked-up `&Outcome`
    /// converts with `.as_ref().into_result()?`.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::Outcome::Computed(2);
    /// assert_eq!(o.as_ref().into_result(), Ok(&2));
    /// ```
    pub fn as_ref(&self) -> Outcome<&T> {
        match self {
            Outcome::Computed(v) => Outcome::Computed(v),
            Outcome::Refused(r) => Outcome::Refused(r.clone()),
        }
    }

    /// Maps the computed value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::Outcome::Computed(2).map(|x| x * 2).computed(), Some(&4));
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Computed(v) => Outcome::Computed(f(v)),
            Outcome::Refused(r) => Outcome::Refused(r),
        }
    }
}

/// Iterators over a list of outcomes: the computed rows and the refusals.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::MmrmBuilder;
/// use pain_outcomes::OutcomeRows;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let m = MmrmBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
/// let significant = m.differences.computed_rows()
///     .filter(|d| d.difference.p_value < 0.05)
///     .count();
/// assert!(significant > 0);
/// assert_eq!(m.differences.refusals().count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait OutcomeRows<T> {
    /// The computed values, in order.
    fn computed_rows<'a>(&'a self) -> impl Iterator<Item = &'a T>
    where
        T: 'a;
    /// The refusals, in order.
    fn refusals<'a>(&'a self) -> impl Iterator<Item = &'a Refusal>
    where
        T: 'a;
}

impl<T> OutcomeRows<T> for [Outcome<T>] {
    fn computed_rows<'a>(&'a self) -> impl Iterator<Item = &'a T>
    where
        T: 'a,
    {
        self.iter().filter_map(Outcome::computed)
    }

    fn refusals<'a>(&'a self) -> impl Iterator<Item = &'a Refusal>
    where
        T: 'a,
    {
        self.iter().filter_map(Outcome::refusal)
    }
}

/// Shorthand for `Outcome::Refused(Refusal::new(reason, detail))`.
pub(crate) fn refuse<T>(reason: RefusalReason, detail: impl Into<String>) -> Outcome<T> {
    Outcome::Refused(Refusal::new(reason, detail))
}
