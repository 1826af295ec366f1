//! Result types of the MMRM engine.

use crate::stats::Estimate;

use super::covariance::CovarianceStructure;
use super::fit::FitCertificate;

/// Estimation method.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimation {
    /// Restricted maximum likelihood.
    #[default]
    Reml,
    /// Maximum likelihood.
    Ml,
}

/// Denominator degrees of freedom (and covariance of β) used for tests.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DfMethod {
    /// Satterthwaite with the model-based covariance of β.
    #[default]
    Satterthwaite,
    /// Kenward–Roger: adjusted covariance of β (SAS `ddfm=kr`) and KR df. REML only.
    KenwardRoger,
    /// Kenward–Roger without the second-derivative term (SAS `ddfm=kr(linear)`). REML only.
    KenwardRogerLinear,
}

/// How the covariance parameters are obtained.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::{CovarianceFit, MmrmOptions};
/// let o = MmrmOptions::default().with_covariance_fit(CovarianceFit::SasIterations);
/// assert_eq!(o.covariance_fit, CovarianceFit::SasIterations);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceFit {
    /// Optimized to convergence (default): Newton/Fisher scoring until the Newton decrement is
    /// at rounding level, with the documented fallback (see [`super::FitCertificate`]).
    #[default]
    Optimize,
    /// SAS PROC MIXED's iteration, to reproduce its printed numbers to all digits: MIVQUE0
    /// starting values, Newton–Raphson steps with the observed Hessian in SAS's
    /// parametrization (with the residual variance profiled out for CS, AR(1), TOEP and
    /// SP(EXP) with one covariance group, as SAS does), stopped as soon as SAS's relative
    /// Hessian criterion
    /// `g'H⁻¹g / |f − c| < 1e-8` holds (PROC MIXED's default `CONVH=1E-8`; `c` is the
    /// `(N−p) log 2π` (REML) or `N log 2π` (ML) constant of `f = −2 log L`). SAS stops
    /// slightly before the optimum (its `−2 log L` is up to ~1e-5 above it), which moves
    /// Kenward–Roger df by up to ~4e-4 relative; this mode lands where SAS lands. MIVQUE0 is
    /// defined for structures linear in their parameters (UN, CS, TOEP); for the others the
    /// start is MIVQUE0 of UN projected on the structure, which need not be SAS's start (SAS
    /// does not document it), so there the stopping point can differ from SAS's within its
    /// tolerance.
    SasIterations,
    /// Held at the given values (SAS `PARMS … / NOITER`, nlme `fixed = TRUE`), in the order of
    /// [`CovarianceStructure::parameter_names`](super::CovarianceStructure::parameter_names),
    /// group after group. β, its covariance and the df are evaluated there.
    Fixed(Vec<f64>),
}

/// Weights over the factors an LS-mean averages over.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LsMeanWeights {
    /// Every combination of the other factors weighs the same (SAS default, emmeans `"equal"`).
    #[default]
    Equal,
    /// Combinations weighted by their frequency among the observations (emmeans
    /// `"proportional"`, SAS `OBSMARGINS`).
    Proportional,
}

/// One covariance parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CovarianceParameter {
    /// SAS-style name (`UN(2,1)`, `Var(3)`, `AR(1)`, …).
    pub name: String,
    /// Covariance group label (empty without groups).
    pub group: String,
    /// Estimate.
    pub estimate: f64,
    /// Asymptotic standard error from the observed information (`sqrt(diag(2 H⁻¹))`).
    pub std_error: f64,
}

/// Likelihood-based fit statistics, with SAS PROC MIXED parameter counts.
///
/// REML: `d` = number of covariance parameters, `n* = N − p`. ML: `d` = number of covariance
/// parameters plus `p`, `n* = N`. `AIC = −2l + 2d`, `AICc = −2l + 2d n*/(n* − d − 1)`,
/// `BIC = −2l + d log(subjects)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitStatistics {
    /// Log (restricted) likelihood.
    pub log_likelihood: f64,
    /// `−2 log L`.
    pub minus_two_log_likelihood: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Small-sample corrected AIC.
    pub aicc: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Parameters counted (`d`).
    pub n_parameters: usize,
}

/// A fitted MMRM.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MmrmFit {
    /// REML or ML.
    pub method: Estimation,
    /// Covariance structure.
    pub covariance: CovarianceStructure,
    /// df method used in the coefficient table and tests.
    pub df_method: DfMethod,
    /// Subjects used.
    pub n_subjects: usize,
    /// Observations used.
    pub n_observations: usize,
    /// Missingness patterns × groups (blocks the likelihood is aggregated over).
    pub n_blocks: usize,
    /// Covariance group labels (one empty label without groups).
    pub group_labels: Vec<String>,
    /// Visit labels.
    pub visit_labels: Vec<String>,
    /// Fixed effects.
    pub coefficients: Vec<Estimate>,
    /// Covariance parameters (all groups).
    pub covariance_parameters: Vec<CovarianceParameter>,
    /// Estimated covariance matrix over the visits, per group (row-major rows).
    pub covariance_matrices: Vec<Vec<Vec<f64>>>,
    /// Likelihood statistics.
    pub fit_statistics: FitStatistics,
    /// How the optimizer got there.
    pub certificate: FitCertificate,
    /// Model-based covariance of β (rows).
    pub beta_vcov: Vec<Vec<f64>>,
    /// Kenward–Roger adjusted covariance of β, when a KR method was requested.
    pub beta_vcov_adjusted: Option<Vec<Vec<f64>>>,
    /// Inference state; a fit read back from JSON has none (then contrasts, LS-means and F
    /// tests on it are refused or rejected).
    #[serde(skip)]
    pub(crate) state: super::State,
}

impl MmrmFit {
    /// The fixed-effect coefficient named `name` (R `model.matrix` style, e.g.
    /// `armprp:visitmonth_6`).
    pub fn coefficient(&self, name: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|c| c.label == name)
    }
}
