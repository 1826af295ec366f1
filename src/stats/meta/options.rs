//! Options of the meta-analytic models: the τ² estimator, the inference for the coefficients,
//! the confidence level and the iteration limits.

use std::fmt;

/// The model and its τ² estimator.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::MetaMethod;
/// assert_eq!("reml".parse::<MetaMethod>()?, MetaMethod::Reml);
/// assert_eq!(MetaMethod::PauleMandel.code(), "pm");
/// assert!(!MetaMethod::FixedEffect.is_random_effects());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MetaMethod {
    /// Fixed (common) effect, inverse-variance weights (`rma(method = "FE")`).
    #[doc(alias = "common_effect")]
    FixedEffect,
    /// Random effects, DerSimonian–Laird moment estimator of τ² (`method = "DL"`).
    DerSimonianLaird,
    /// Random effects, restricted maximum likelihood τ² by Fisher scoring (`method = "REML"`).
    #[default]
    Reml,
    /// Random effects, Paule–Mandel generalised-Q estimator of τ² (`method = "PM"`).
    PauleMandel,
}

impl MetaMethod {
    /// The short code (`fe`, `dl`, `reml`, `pm`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::meta::MetaMethod::DerSimonianLaird.code(), "dl");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            MetaMethod::FixedEffect => "fe",
            MetaMethod::DerSimonianLaird => "dl",
            MetaMethod::Reml => "reml",
            MetaMethod::PauleMandel => "pm",
        }
    }

    /// Whether the model has a between-study variance τ².
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(pain_outcomes::stats::meta::MetaMethod::Reml.is_random_effects());
    /// ```
    pub fn is_random_effects(self) -> bool {
        self != MetaMethod::FixedEffect
    }
}

impl fmt::Display for MetaMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MetaMethod::FixedEffect => "fixed effect",
            MetaMethod::DerSimonianLaird => "random effects (DerSimonian-Laird)",
            MetaMethod::Reml => "random effects (REML)",
            MetaMethod::PauleMandel => "random effects (Paule-Mandel)",
        })
    }
}

/// The reference distribution of the tests and intervals of the coefficients.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::MetaInference;
/// assert_eq!(MetaInference::default(), MetaInference::Normal);
/// assert_eq!("knapp-hartung".parse::<MetaInference>()?, MetaInference::KnappHartung);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MetaInference {
    /// Wald z tests and normal intervals (`test = "z"`).
    #[default]
    Normal,
    /// Knapp–Hartung: the covariance scaled by the weighted residual mean square, t and F
    /// references on `k − p` degrees of freedom (`test = "knha"`), not truncated at 1.
    KnappHartung,
}

/// Options of [`meta_analysis`](super::meta_analysis) and the other models.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{MetaInference, MetaMethod, MetaOptions};
/// let o = MetaOptions::default()
///     .with_method(MetaMethod::PauleMandel)
///     .with_inference(MetaInference::KnappHartung)
///     .with_confidence_level(0.9);
/// assert_eq!(o.method, MetaMethod::PauleMandel);
/// assert_eq!(MetaOptions::default().max_iterations, 1000);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaOptions {
    /// The model and its τ² estimator (default REML, as metafor).
    pub method: MetaMethod,
    /// Normal or Knapp–Hartung inference (default normal).
    pub inference: MetaInference,
    /// Level of the confidence and prediction intervals (default 0.95).
    pub confidence_level: f64,
    /// Iteration limit of the REML and Paule–Mandel estimators and of the Q-profile roots;
    /// beyond it the fit is refused as not converged.
    pub max_iterations: usize,
    /// Convergence criterion on τ²: a change below `tolerance · max(1, τ²)` (default 1e-12).
    pub tolerance: f64,
}

impl Default for MetaOptions {
    fn default() -> Self {
        MetaOptions {
            method: MetaMethod::default(),
            inference: MetaInference::default(),
            confidence_level: 0.95,
            max_iterations: 1000,
            tolerance: 1e-12,
        }
    }
}

impl MetaOptions {
    /// Sets the method.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::meta::{MetaInference, MetaMethod, MetaOptions};
    /// let o = MetaOptions::default().with_method(MetaMethod::FixedEffect);
    /// assert!(!o.method.is_random_effects());
    /// ```
    pub fn with_method(mut self, method: MetaMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the inference.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::meta::{MetaInference, MetaMethod, MetaOptions};
    /// let o = MetaOptions::default().with_inference(MetaInference::KnappHartung);
    /// assert_eq!(o.inference, MetaInference::KnappHartung);
    /// ```
    pub fn with_inference(mut self, inference: MetaInference) -> Self {
        self.inference = inference;
        self
    }

    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::meta::{MetaInference, MetaMethod, MetaOptions};
    /// assert_eq!(MetaOptions::default().with_confidence_level(0.9).confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Sets the iteration limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::meta::{MetaInference, MetaMethod, MetaOptions};
    /// assert_eq!(MetaOptions::default().with_max_iterations(50).max_iterations, 50);
    /// ```
    pub fn with_max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    /// Sets the convergence tolerance.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::meta::{MetaInference, MetaMethod, MetaOptions};
    /// assert_eq!(MetaOptions::default().with_tolerance(1e-10).tolerance, 1e-10);
    /// ```
    pub fn with_tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }
}
