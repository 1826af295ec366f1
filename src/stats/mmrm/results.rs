//! Result types of the MMRM engine.

use std::fmt;

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

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ConfidenceInterval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Confidence level, for example 0.95.
    pub level: f64,
}

/// One fixed-effect coefficient with its test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coefficient {
    /// Column name (R `model.matrix` style, for example `armTRT:visitVIS2`).
    pub name: String,
    /// Estimate.
    pub estimate: f64,
    /// Standard error (Kenward–Roger adjusted when that df method is used).
    pub std_error: f64,
    /// Denominator degrees of freedom.
    pub df: f64,
    /// t statistic.
    pub t_value: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// One covariance parameter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// A linear combination of β with its test and confidence interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContrastEstimate {
    /// Label.
    pub label: String,
    /// Estimate `c'β`.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// t statistic.
    pub t_value: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Confidence interval.
    pub confidence_interval: ConfidenceInterval,
}

/// An F test of `Lβ = 0`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FTest {
    /// What is tested (a term name for Type III tests).
    pub label: String,
    /// Numerator df (rows of `L`).
    pub num_df: f64,
    /// Denominator df.
    pub den_df: f64,
    /// F statistic (Kenward–Roger scaled by λ when that method is used).
    pub f_value: f64,
    /// p-value.
    pub p_value: f64,
}

/// One LS-mean (estimated marginal mean) of a cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LsMean {
    /// `(factor, level)` pairs identifying the cell.
    pub cell: Vec<(String, String)>,
    /// Estimate, SE, df, test against zero and CI.
    pub estimate: ContrastEstimate,
}

/// Difference of one arm from the reference arm at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArmDifference {
    /// Arm level.
    pub arm: String,
    /// Reference arm level.
    pub reference: String,
    /// Visit label.
    pub visit: String,
    /// Estimate, SE, df, t, p, CI.
    pub estimate: ContrastEstimate,
}

/// A fitted MMRM.
#[derive(Debug, Clone, serde::Serialize)]
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
    pub coefficients: Vec<Coefficient>,
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
    #[serde(skip_serializing)]
    pub(crate) state: super::State,
}

impl fmt::Display for ContrastEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<28} {:>10.4} {:>9.4} {:>8.2} {:>8.2} {:>10.4} [{:.4}, {:.4}]",
            self.label,
            self.estimate,
            self.std_error,
            self.df,
            self.t_value,
            self.p_value,
            self.confidence_interval.lower,
            self.confidence_interval.upper
        )
    }
}

impl ArmDifference {
    /// Column titles aligned with the [`Display`](fmt::Display) row of an `ArmDifference`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::ArmDifference;
    /// assert!(ArmDifference::table_header().starts_with("arm"));
    /// ```
    pub fn table_header() -> String {
        format!(
            "{:<28} {:<10} {:>9} {:>7} {:>7} {:>20} {:>10}",
            "arm", "visit", "estimate", "SE", "df", "95% CI", "p"
        )
    }
}

/// One table row: arm, visit, estimate, SE, df, confidence interval and p-value, under
/// [`ArmDifference::table_header`].
impl fmt::Display for ArmDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.estimate;
        write!(
            f,
            "{:<28} {:<10} {:>9.3} {:>7.3} {:>7.1} [{:>7.3}, {:>7.3}] {:>10.2e}",
            self.arm,
            self.visit,
            e.estimate,
            e.std_error,
            e.df,
            e.confidence_interval.lower,
            e.confidence_interval.upper,
            e.p_value
        )
    }
}

impl fmt::Display for FTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<24} {:>6} {:>9.2} {:>10.4} {:>10.4}",
            self.label, self.num_df, self.den_df, self.f_value, self.p_value
        )
    }
}

impl fmt::Display for MmrmFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "MMRM ({:?}, covariance {}, df {:?}): {} subjects, {} observations, {} blocks",
            self.method,
            self.covariance.code(),
            self.df_method,
            self.n_subjects,
            self.n_observations,
            self.n_blocks
        )?;
        let s = &self.fit_statistics;
        writeln!(
            f,
            "-2 log L {:.4}  AIC {:.4}  AICc {:.4}  BIC {:.4}",
            s.minus_two_log_likelihood, s.aic, s.aicc, s.bic
        )?;
        writeln!(
            f,
            "converged: attempt {}, {} iterations, gradient norm {:.2e}",
            self.certificate.attempt, self.certificate.iterations, self.certificate.gradient_norm
        )?;
        writeln!(f, "\nCoefficients:")?;
        writeln!(
            f,
            "{:<32} {:>10} {:>9} {:>8} {:>8} {:>10}",
            "", "Estimate", "Std.Err", "df", "t", "Pr(>|t|)"
        )?;
        for c in &self.coefficients {
            writeln!(
                f,
                "{:<32} {:>10.4} {:>9.4} {:>8.2} {:>8.2} {:>10.4}",
                c.name, c.estimate, c.std_error, c.df, c.t_value, c.p_value
            )?;
        }
        writeln!(f, "\nCovariance parameters:")?;
        for c in &self.covariance_parameters {
            writeln!(f, "{:<12} {:<10} {:>12.4}", c.name, c.group, c.estimate)?;
        }
        Ok(())
    }
}
