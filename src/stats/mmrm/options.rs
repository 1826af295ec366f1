//! Options of an MMRM fit: covariance structure, REML or ML, df method, covariance groups,
//! confidence level and how the covariance parameters are obtained.

use super::covariance::CovarianceStructure;
use super::results::{CovarianceFit, DfMethod, Estimation};
use crate::Error;

/// Options of an MMRM fit.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::{CovarianceStructure, DfMethod, Estimation, MmrmOptions};
/// let o = MmrmOptions::default()
///     .with_covariance(CovarianceStructure::Ar1)
///     .with_method(Estimation::Ml)
///     .with_df(DfMethod::Satterthwaite)
///     .with_group("arm")
///     .with_confidence_level(0.9);
/// assert_eq!(o.covariance, CovarianceStructure::Ar1);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct MmrmOptions {
    /// Covariance structure (default unstructured).
    pub covariance: CovarianceStructure,
    /// REML (default) or ML.
    pub method: Estimation,
    /// df method (default Satterthwaite).
    pub df: DfMethod,
    /// Factor whose levels get separate covariance matrices (SAS `group=`); `None` for one.
    pub group: Option<String>,
    /// Confidence level of intervals (default 0.95).
    pub confidence_level: f64,
    /// How the covariance parameters are obtained (default: optimized to convergence).
    pub covariance_fit: CovarianceFit,
}

impl Default for MmrmOptions {
    fn default() -> Self {
        Self {
            covariance: CovarianceStructure::Unstructured,
            method: Estimation::Reml,
            df: DfMethod::Satterthwaite,
            group: None,
            confidence_level: 0.95,
            covariance_fit: CovarianceFit::Optimize,
        }
    }
}

impl MmrmOptions {
    /// Sets the covariance structure.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{CovarianceStructure, MmrmOptions};
    /// let o = MmrmOptions::default().with_covariance(CovarianceStructure::Toeplitz);
    /// assert_eq!(o.covariance, CovarianceStructure::Toeplitz);
    /// ```
    pub fn with_covariance(mut self, covariance: CovarianceStructure) -> Self {
        self.covariance = covariance;
        self
    }

    /// Sets REML or ML.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{Estimation, MmrmOptions};
    /// assert_eq!(MmrmOptions::default().with_method(Estimation::Ml).method, Estimation::Ml);
    /// ```
    pub fn with_method(mut self, method: Estimation) -> Self {
        self.method = method;
        self
    }

    /// Sets the df method.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{DfMethod, MmrmOptions};
    /// assert_eq!(MmrmOptions::default().with_df(DfMethod::KenwardRoger).df, DfMethod::KenwardRoger);
    /// ```
    pub fn with_df(mut self, df: DfMethod) -> Self {
        self.df = df;
        self
    }

    /// Separate covariance per level of the named factor.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmOptions;
    /// assert_eq!(MmrmOptions::default().with_group("arm").group.as_deref(), Some("arm"));
    /// ```
    pub fn with_group(mut self, factor: &str) -> Self {
        self.group = Some(factor.to_string());
        self
    }

    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmOptions;
    /// assert_eq!(MmrmOptions::default().with_confidence_level(0.9).confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Sets how the covariance parameters are obtained.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{CovarianceFit, MmrmOptions};
    /// let o = MmrmOptions::default().with_covariance_fit(CovarianceFit::Fixed(vec![1.0, 0.5]));
    /// assert!(matches!(o.covariance_fit, CovarianceFit::Fixed(_)));
    /// ```
    pub fn with_covariance_fit(mut self, fit: CovarianceFit) -> Self {
        self.covariance_fit = fit;
        self
    }

    /// Checks the options before a fit: finite fixed parameters, a level in (0, 1) whose
    /// interval quantile is finite, and Kenward–Roger only with REML.
    pub(super) fn validate(&self) -> crate::Result<()> {
        if let CovarianceFit::Fixed(v) = &self.covariance_fit
            && v.iter().any(|x| !x.is_finite())
        {
            return Err(Error::invalid_argument(
                "covariance_fit",
                "fixed covariance parameters must be finite",
            ));
        }
        if !(self.confidence_level > 0.0 && self.confidence_level < 1.0) {
            return Err(Error::invalid_argument(
                "confidence_level",
                format!("must be in (0, 1), got {}", self.confidence_level),
            ));
        }
        // The t quantile of the intervals is taken at `0.5 + level / 2`, which must stay below 1
        // (it rounds to 1 for the largest `f64` below 1).
        if 0.5 + self.confidence_level / 2.0 >= 1.0 {
            return Err(Error::invalid_argument(
                "confidence_level",
                format!(
                    "{} is too close to 1 for a finite interval",
                    self.confidence_level
                ),
            ));
        }
        if self.method == Estimation::Ml && self.df != DfMethod::Satterthwaite {
            return Err(Error::invalid_argument(
                "df",
                "Kenward–Roger is defined for REML fits only",
            ));
        }
        Ok(())
    }
}
