//! Cox proportional-hazards regression (R `coxph`): Efron or Breslow ties, strata, and the
//! clustered sandwich variance. This file holds the options, the results and [`cox_ph`]; the
//! data are in `cox_data`, the partial likelihood in `cox_likelihood`, the Newton–Raphson
//! iteration in `cox_newton` and the robust variance in `cox_robust`.

use std::fmt;

use nalgebra::DMatrix;

use super::common::z_for_level;
use super::cox_data::CoxData;
use super::cox_likelihood::Prepared;
use super::cox_newton::{NewtonFit, newton_raphson, solve};
use super::cox_robust::robust_variance;
use crate::Result;
use crate::stats::{ChiSquareTest, ConfidenceInterval};
use crate::stats::{Outcome, RefusalReason, dist, refuse};

/// How tied event times enter the partial likelihood.
///
/// # Examples
///
/// ```
/// assert_eq!(pain_outcomes::stats::survival::Ties::default(), pain_outcomes::stats::survival::Ties::Efron);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Efron's approximation (R's default).
    #[default]
    Efron,
    /// Breslow's approximation.
    Breslow,
}

/// Which variance the reported standard errors, intervals and Wald test use.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::CoxVariance;
/// assert_eq!(CoxVariance::default(), CoxVariance::Model);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoxVariance {
    /// Inverse of the observed information (used unless clusters are given).
    #[default]
    Model,
    /// Sandwich (Lin–Wei) variance, one cluster per subject unless clusters are given.
    Robust,
}

/// Options of [`cox_ph`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{CoxOptions, Ties};
/// let o = CoxOptions::default().with_ties(Ties::Breslow).with_max_iterations(30);
/// assert_eq!(o.ties, Ties::Breslow);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoxOptions {
    /// Handling of tied event times (default Efron).
    pub ties: Ties,
    /// Variance used for standard errors (default model-based; clusters force robust).
    pub variance: CoxVariance,
    /// Confidence level of the hazard-ratio intervals (default 0.95).
    pub confidence_level: f64,
    /// Maximum Newton–Raphson iterations (default 20, as `coxph.control`).
    pub max_iterations: usize,
    /// Convergence: relative change of the log partial likelihood (default 1e-9).
    pub tolerance: f64,
    /// Infinite-coefficient check: a one-step change larger than this relative to the
    /// coefficient flags divergence (default `sqrt(1e-9)`, as `toler.inf`).
    pub tolerance_infinite: f64,
}

impl Default for CoxOptions {
    fn default() -> Self {
        Self {
            ties: Ties::Efron,
            variance: CoxVariance::Model,
            confidence_level: 0.95,
            max_iterations: 20,
            tolerance: 1e-9,
            tolerance_infinite: 1e-9_f64.sqrt(),
        }
    }
}

impl CoxOptions {
    /// Sets the handling of ties.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::{CoxOptions, Ties};
    /// assert_eq!(CoxOptions::default().with_ties(Ties::Breslow).ties, Ties::Breslow);
    /// ```
    pub fn with_ties(mut self, ties: Ties) -> Self {
        self.ties = ties;
        self
    }

    /// Sets the variance used for standard errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::{CoxOptions, CoxVariance};
    /// assert_eq!(CoxOptions::default().with_variance(CoxVariance::Robust).variance, CoxVariance::Robust);
    /// ```
    pub fn with_variance(mut self, variance: CoxVariance) -> Self {
        self.variance = variance;
        self
    }

    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::survival::CoxOptions::default().with_confidence_level(0.9).confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Sets the maximum number of Newton–Raphson iterations.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::survival::CoxOptions::default().with_max_iterations(5).max_iterations, 5);
    /// ```
    pub fn with_max_iterations(mut self, max_iterations: usize) -> Self {
        self.max_iterations = max_iterations;
        self
    }

    /// Sets the convergence tolerance on the relative change of the log-likelihood.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::survival::CoxOptions::default().with_tolerance(1e-10).tolerance, 1e-10);
    /// ```
    pub fn with_tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }
}

/// One coefficient of a Cox model.
///
/// # Examples
///
/// ```
/// # use nalgebra::DMatrix;
/// # use pain_outcomes::stats::survival::{cox_ph, CoxData, CoxOptions, Status};
/// # let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// # let status = [Status::Event; 6];
/// # let x = DMatrix::from_column_slice(6, 1, &[1.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// let fit = cox_ph(&CoxData::new(&time, &status, &x)?, &CoxOptions::default())?.into_result().unwrap();
/// let c = &fit.coefficients[0];
/// assert!((c.hazard_ratio - c.estimate.exp()).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoxCoefficient {
    /// Covariate name.
    pub name: String,
    /// Log hazard ratio.
    pub estimate: f64,
    /// Hazard ratio `exp(estimate)`.
    pub hazard_ratio: f64,
    /// Standard error (robust when the fit is robust).
    pub std_error: f64,
    /// Model-based standard error when the reported one is robust.
    pub naive_std_error: Option<f64>,
    /// Wald z statistic.
    pub statistic: f64,
    /// Two-sided p-value of `z`.
    pub p_value: f64,
    /// Confidence interval of the hazard ratio.
    pub confidence_interval: ConfidenceInterval,
}

/// A fitted Cox proportional-hazards model.
///
/// # Examples
///
/// ```
/// # use nalgebra::DMatrix;
/// # use pain_outcomes::stats::survival::{cox_ph, CoxData, CoxOptions, Status};
/// # let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// # let status = [Status::Event; 6];
/// # let x = DMatrix::from_column_slice(6, 1, &[1.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// let fit = cox_ph(&CoxData::new(&time, &status, &x)?, &CoxOptions::default())?.into_result().unwrap();
/// assert_eq!(fit.likelihood_ratio.df, 1.0);
/// assert!(fit.log_likelihood >= fit.log_likelihood_null);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoxFit {
    /// Coefficients with hazard ratios and intervals.
    pub coefficients: Vec<CoxCoefficient>,
    /// Variance matrix of the coefficients used for inference (robust when robust).
    pub variance: Vec<Vec<f64>>,
    /// Model-based variance (inverse information) — equal to `variance` unless robust.
    pub naive_variance: Vec<Vec<f64>>,
    /// Log partial likelihood at zero.
    pub log_likelihood_null: f64,
    /// Log partial likelihood at the estimate.
    pub log_likelihood: f64,
    /// Likelihood-ratio test of all coefficients zero.
    pub likelihood_ratio: ChiSquareTest,
    /// Wald test of all coefficients zero (with the variance in `variance`, as R).
    pub wald: ChiSquareTest,
    /// Score (log-rank) test at zero.
    pub score: ChiSquareTest,
    /// Robust score test (when the variance is robust).
    pub robust_score: Option<ChiSquareTest>,
    /// Number of subjects.
    pub n: usize,
    /// Number of events.
    pub n_events: usize,
    /// Number of strata.
    pub n_strata: usize,
    /// Number of clusters of the robust variance (0 when model-based).
    pub n_clusters: usize,
    /// Newton–Raphson iterations used.
    pub iterations: usize,
    /// Handling of ties.
    pub ties: Ties,
    /// Variance used for inference.
    pub variance_kind: CoxVariance,
    /// Confidence level of the intervals.
    pub confidence_level: f64,
}

impl CoxFit {
    /// The coefficient of the covariate named `name`.
    pub fn coefficient(&self, name: &str) -> Option<&CoxCoefficient> {
        self.coefficients.iter().find(|c| c.name == name)
    }
}

impl fmt::Display for CoxFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Cox PH ({:?} ties{}): n = {}, events = {}{}",
            self.ties,
            if self.variance_kind == CoxVariance::Robust {
                ", robust SE"
            } else {
                ""
            },
            self.n,
            self.n_events,
            if self.n_strata > 1 {
                format!(", {} strata", self.n_strata)
            } else {
                String::new()
            }
        )?;
        let w = self
            .coefficients
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        writeln!(
            f,
            "{:<w$} {:>10} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10}",
            "", "coef", "exp(coef)", "se(coef)", "z", "p", "lower", "upper"
        )?;
        for c in &self.coefficients {
            writeln!(
                f,
                "{:<w$} {:>10.5} {:>10.5} {:>10.5} {:>8.3} {:>10.3e} {:>10.5} {:>10.5}",
                c.name,
                c.estimate,
                c.hazard_ratio,
                c.std_error,
                c.statistic,
                c.p_value,
                c.confidence_interval.lower,
                c.confidence_interval.upper
            )?;
        }
        writeln!(f, "{}", self.likelihood_ratio)?;
        writeln!(f, "{}", self.wald)?;
        write!(f, "{}", self.score)?;
        if let Some(r) = &self.robust_score {
            write!(f, "\nRobust score test     = {r}")?;
        }
        Ok(())
    }
}

/// Cox proportional-hazards model fitted by Newton–Raphson with step halving, as R `coxph`.
///
/// # Formula
///
/// Partial likelihood over the distinct event times of each stratum; with `d` tied events of
/// risk set `R` and death set `D`, Efron's term is
/// `Σ_{i∈D} η_i - Σ_{k=0}^{d-1} log(Σ_R e^η - (k/d) Σ_D e^η)` (Breslow: `k = 0` for all terms).
/// Risk-set sums are cumulated once per iteration from the last time backwards (O(n p²)).
/// Newton steps start at 0; a step that lowers the likelihood is pulled back toward the last
/// good point; convergence when `|1 - ℓ_old/ℓ_new| <= tolerance`. Robust variance
/// `V (Σ_c U_c U_cᵀ) V` with `U_c` the summed score residuals of cluster `c` (Lin & Wei).
/// Tests: likelihood ratio `2(ℓ(β̂) - ℓ(0))`, Wald `β̂ᵀ V⁻¹ β̂`, score `U(0)ᵀ I(0)⁻¹ U(0)`.
///
/// # Errors
///
/// `InvalidArgument` from [`CoxData::new`] and for a confidence level outside (0, 1).
///
/// # Refusals
///
/// `NoEvents` (all censored); `SingularDesign` (collinear or constant covariates);
/// `MonotoneLikelihood` when a coefficient diverges (for example an arm with no events);
/// `NoConvergence` when the iterations run out.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::survival::{cox_ph, CoxData, CoxOptions, Status};
/// let time = [5.0, 8.0, 12.0, 3.0, 9.0, 14.0, 20.0, 7.0];
/// let status = [Status::Event, Status::Event, Status::Censored, Status::Event,
///               Status::Event, Status::Event, Status::Censored, Status::Event];
/// let treated = DMatrix::from_column_slice(8, 1, &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
/// let data = CoxData::new(&time, &status, &treated)?.with_names(&["treated"])?;
/// let fit = cox_ph(&data, &CoxOptions::default())?.into_result().unwrap();
/// assert!(fit.coefficients[0].hazard_ratio < 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Cox DR (1972). Regression models and life-tables. JRSS B 34:187–220. Efron B (1977). The
/// efficiency of Cox's likelihood function for censored data. JASA 72:557–565. Lin DY, Wei LJ
/// (1989). The robust inference for the Cox proportional hazards model. JASA 84:1074–1078.
/// Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer.
#[doc(alias = "coxph")]
pub fn cox_ph(data: &CoxData<'_>, options: &CoxOptions) -> Result<Outcome<CoxFit>> {
    let zq = z_for_level(options.confidence_level)?;
    let n = data.time.len();
    let n_events = data.status.iter().filter(|s| s.is_event()).count();
    if n_events == 0 {
        return Ok(refuse(
            RefusalReason::NoEvents,
            "all subjects are censored: no event to fit a Cox model",
        ));
    }
    let p = data.covariates.ncols();
    let pr = Prepared::new(data);
    let ties = options.ties;
    let NewtonFit {
        beta,
        ev,
        naive,
        loglik0,
        score_stat,
        iterations,
    } = match newton_raphson(&pr, data, options) {
        Ok(fit) => fit,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let robust = options.variance == CoxVariance::Robust || data.cluster.is_some();
    let (variance, robust_score, n_clusters) = if robust {
        let r = robust_variance(&pr, data, &beta, &naive, ties);
        (r.variance, r.score, r.n_clusters)
    } else {
        (naive.clone(), None, 0)
    };
    let Some(wald_stat) = wald_statistic(&variance, &beta) else {
        return Ok(refuse(
            RefusalReason::NotPositiveDefinite,
            "the variance of the coefficients is not positive definite (too few clusters?)",
        ));
    };
    let coefficients = coefficient_table(
        data,
        &beta,
        &variance,
        robust.then_some(&naive),
        zq,
        options.confidence_level,
    );
    Ok(Outcome::Computed(CoxFit {
        coefficients,
        variance: to_rows(&variance),
        naive_variance: to_rows(&naive),
        log_likelihood_null: loglik0,
        log_likelihood: ev.loglik,
        likelihood_ratio: ChiSquareTest::new(
            "Likelihood ratio test",
            (2.0 * (ev.loglik - loglik0)).max(0.0),
            p as f64,
        ),
        wald: ChiSquareTest::new("Wald test", wald_stat, p as f64),
        score: ChiSquareTest::new("Score (logrank) test", score_stat, p as f64),
        robust_score,
        n,
        n_events,
        n_strata: data.n_strata,
        n_clusters,
        iterations,
        ties,
        variance_kind: if robust {
            CoxVariance::Robust
        } else {
            CoxVariance::Model
        },
        confidence_level: options.confidence_level,
    }))
}

/// Wald statistic `β̂ᵀ V⁻¹ β̂`; `None` when `V` is not positive definite.
fn wald_statistic(variance: &DMatrix<f64>, beta: &[f64]) -> Option<f64> {
    let (wald_solve, _) = solve(variance, beta)?;
    Some(
        beta.iter()
            .zip(wald_solve.iter())
            .map(|(a, b)| a * b)
            .sum::<f64>(),
    )
}

/// One row per covariate: estimate, hazard ratio, SE from `variance` (and the model-based SE
/// from `naive` when the reported one is robust), Wald z, p-value and interval with the normal
/// quantile `zq` of the confidence level `level`.
fn coefficient_table(
    data: &CoxData<'_>,
    beta: &[f64],
    variance: &DMatrix<f64>,
    naive: Option<&DMatrix<f64>>,
    zq: f64,
    level: f64,
) -> Vec<CoxCoefficient> {
    (0..beta.len())
        .map(|j| {
            // `variance` is positive definite (its Cholesky factor gave the Wald test), so `se`
            // is positive and `z` finite: inside the domain of `dist::normal_sf`.
            let se = variance[(j, j)].sqrt();
            let b = beta[j];
            let z = b / se;
            CoxCoefficient {
                name: data.names.get(j).cloned().unwrap_or_default(),
                estimate: b,
                hazard_ratio: b.exp(),
                std_error: se,
                naive_std_error: naive.map(|m| m[(j, j)].sqrt()),
                statistic: z,
                p_value: (2.0 * dist::normal_sf(z.abs())).min(1.0),
                confidence_interval: ConfidenceInterval {
                    lower: (b - zq * se).exp(),
                    upper: (b + zq * se).exp(),
                    level,
                },
            }
        })
        .collect()
}

/// Rows of a square matrix.
fn to_rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    let p = m.nrows();
    (0..p)
        .map(|j| (0..p).map(|k| m[(j, k)]).collect())
        .collect()
}
