//! Cox proportional-hazards regression (R `coxph`): Efron or Breslow ties, strata, and the
//! clustered sandwich variance.

use std::fmt;

use nalgebra::{DMatrix, DVector};

use super::common::{
    ChiSquareTest, Status, check_len, check_time_status, encode, order_by_stratum_time, z_for_level,
};
use crate::stats::{Outcome, RefusalReason, dist, refuse};
use crate::{Error, Result};

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
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// The data of a Cox model: follow-up, status, covariates, and optional strata and clusters.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::survival::{CoxData, Status};
/// let time = [1.0, 2.0, 3.0, 4.0];
/// let status = [Status::Event; 4];
/// let x = DMatrix::from_column_slice(4, 1, &[0.0, 1.0, 0.0, 1.0]);
/// let data = CoxData::new(&time, &status, &x)?.with_names(&["treated"])?.with_strata(&["a", "a", "b", "b"])?;
/// assert_eq!(data.n_strata(), 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CoxData<'a> {
    pub(crate) time: &'a [f64],
    pub(crate) status: &'a [Status],
    pub(crate) covariates: &'a DMatrix<f64>,
    pub(crate) names: Vec<String>,
    pub(crate) strata: Option<Vec<u32>>,
    pub(crate) n_strata: usize,
    pub(crate) cluster: Option<Vec<u32>>,
    pub(crate) n_clusters: usize,
}

impl<'a> CoxData<'a> {
    /// Builds the data from `time` (days), `status` and an `n × p` covariate matrix.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when lengths differ, a time is negative or not finite, the matrix has
    /// no column, or a covariate is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// assert!(CoxData::new(&[1.0], &[Status::Event], &x).is_err());
    /// ```
    pub fn new(
        time: &'a [f64],
        status: &'a [Status],
        covariates: &'a DMatrix<f64>,
    ) -> Result<Self> {
        check_time_status(time, status)?;
        check_len("covariates", covariates.nrows(), time.len())?;
        if covariates.ncols() == 0 {
            return Err(Error::invalid_argument(
                "covariates",
                "the matrix has no column",
            ));
        }
        if let Some(pos) = covariates.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_argument(
                "covariates",
                format!(
                    "row {}, column {} is not a finite number",
                    pos % covariates.nrows().max(1),
                    pos / covariates.nrows().max(1)
                ),
            ));
        }
        Ok(Self {
            time,
            status,
            covariates,
            names: (1..=covariates.ncols()).map(|j| format!("x{j}")).collect(),
            strata: None,
            n_strata: 1,
            cluster: None,
            n_clusters: 0,
        })
    }

    /// Names the covariates (default `x1`, `x2`, …).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the number of names differs from the number of columns.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(1, 1, &[0.0]);
    /// assert!(CoxData::new(&[1.0], &[Status::Event], &x)?.with_names(&["a", "b"]).is_err());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_names<N: AsRef<str>>(mut self, names: &[N]) -> Result<Self> {
        if names.len() != self.covariates.ncols() {
            return Err(Error::invalid_argument(
                "names",
                format!(
                    "{} names for {} covariates",
                    names.len(),
                    self.covariates.ncols()
                ),
            ));
        }
        self.names = names.iter().map(|s| s.as_ref().to_string()).collect();
        Ok(self)
    }

    /// Stratifies the baseline hazard (R `strata()`): one label per subject.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the length differs from `time`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// let d = CoxData::new(&[1.0, 2.0], &[Status::Event; 2], &x)?.with_strata(&[1, 2])?;
    /// assert_eq!(d.n_strata(), 2);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_strata<S: Ord + Clone>(mut self, strata: &[S]) -> Result<Self> {
        check_len("strata", strata.len(), self.time.len())?;
        let (levels, codes) = encode(strata);
        self.n_strata = levels.len();
        self.strata = Some(codes);
        Ok(self)
    }

    /// Clusters for the robust sandwich variance (R `cluster()`), for example the site.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the length differs from `time`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// let d = CoxData::new(&[1.0, 2.0], &[Status::Event; 2], &x)?.with_cluster(&["s1", "s1"])?;
    /// assert_eq!(d.n_clusters(), 1);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_cluster<C: Ord + Clone>(mut self, cluster: &[C]) -> Result<Self> {
        check_len("cluster", cluster.len(), self.time.len())?;
        let (levels, codes) = encode(cluster);
        self.n_clusters = levels.len();
        self.cluster = Some(codes);
        Ok(self)
    }

    /// Number of strata (1 when unstratified).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(1, 1, &[0.0]);
    /// assert_eq!(CoxData::new(&[1.0], &[Status::Event], &x)?.n_strata(), 1);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn n_strata(&self) -> usize {
        self.n_strata
    }

    /// Number of clusters (0 when none were given).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(1, 1, &[0.0]);
    /// assert_eq!(CoxData::new(&[1.0], &[Status::Event], &x)?.n_clusters(), 0);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
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
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CoxCoefficient {
    /// Covariate name.
    pub name: String,
    /// Log hazard ratio.
    pub estimate: f64,
    /// Hazard ratio `exp(estimate)`.
    pub hazard_ratio: f64,
    /// Standard error (robust when the fit is robust).
    pub std_err: f64,
    /// Model-based standard error when the reported one is robust.
    pub naive_std_err: Option<f64>,
    /// Wald z statistic.
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p_value: f64,
    /// Confidence interval of the hazard ratio.
    pub confidence_interval: (f64, f64),
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
/// assert_eq!(fit.likelihood_ratio.df, 1);
/// assert!(fit.log_likelihood >= fit.log_likelihood_null);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
        writeln!(
            f,
            "{:<16} {:>10} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10}",
            "", "coef", "exp(coef)", "se(coef)", "z", "p", "lower", "upper"
        )?;
        for c in &self.coefficients {
            writeln!(
                f,
                "{:<16} {:>10.5} {:>10.5} {:>10.5} {:>8.3} {:>10.3e} {:>10.5} {:>10.5}",
                c.name,
                c.estimate,
                c.hazard_ratio,
                c.std_err,
                c.z,
                c.p_value,
                c.confidence_interval.0,
                c.confidence_interval.1
            )?;
        }
        writeln!(f, "Likelihood ratio test = {}", self.likelihood_ratio)?;
        writeln!(f, "Wald test             = {}", self.wald)?;
        write!(f, "Score (logrank) test  = {}", self.score)?;
        if let Some(r) = &self.robust_score {
            write!(f, "\nRobust score test     = {r}")?;
        }
        Ok(())
    }
}

/// Subjects sorted by (stratum, time), covariates centred, row-major, with tie groups.
pub(crate) struct Prepared {
    pub(crate) p: usize,
    /// Original index of each sorted row.
    pub(crate) order: Vec<usize>,
    pub(crate) time: Vec<f64>,
    pub(crate) event: Vec<bool>,
    /// Row-major centred covariates, `n × p`.
    pub(crate) x: Vec<f64>,
    /// Tie groups: rows `start..end` share stratum and time; `new_stratum` marks the first
    /// group (in ascending order) of a stratum.
    pub(crate) groups: Vec<TieGroup>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct TieGroup {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) n_dead: usize,
    pub(crate) new_stratum: bool,
}

impl Prepared {
    pub(crate) fn new(data: &CoxData<'_>) -> Self {
        let n = data.time.len();
        let p = data.covariates.ncols();
        let order = order_by_stratum_time(data.strata.as_deref(), data.time);
        let means: Vec<f64> = (0..p)
            .map(|j| data.covariates.column(j).iter().sum::<f64>() / n.max(1) as f64)
            .collect();
        let mut x = Vec::with_capacity(n * p);
        for &i in &order {
            for (j, m) in means.iter().enumerate() {
                x.push(data.covariates[(i, j)] - m);
            }
        }
        let time: Vec<f64> = order.iter().map(|&i| data.time[i]).collect();
        let event: Vec<bool> = order.iter().map(|&i| data.status[i].is_event()).collect();
        let strata_sorted: Option<Vec<u32>> = data
            .strata
            .as_ref()
            .map(|s| order.iter().map(|&i| s[i]).collect());
        let mut groups = Vec::new();
        let mut start = 0;
        while start < n {
            let st = strata_sorted.as_ref().map_or(0, |s| s[start]);
            let mut end = start;
            let mut n_dead = 0;
            while end < n
                && time[end] == time[start]
                && strata_sorted.as_ref().map_or(0, |s| s[end]) == st
            {
                if event[end] {
                    n_dead += 1;
                }
                end += 1;
            }
            let new_stratum =
                start == 0 || strata_sorted.as_ref().is_some_and(|s| s[start - 1] != st);
            groups.push(TieGroup {
                start,
                end,
                n_dead,
                new_stratum,
            });
            start = end;
        }
        Self {
            p,
            order,
            time,
            event,
            x,
            groups,
        }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }

    /// Linear predictor and risk score of each sorted row.
    pub(crate) fn risk(&self, beta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.time.len();
        let mut eta = Vec::with_capacity(n);
        let mut risk = Vec::with_capacity(n);
        for i in 0..n {
            let e: f64 = self.row(i).iter().zip(beta).map(|(a, b)| a * b).sum();
            eta.push(e);
            risk.push(e.exp());
        }
        (eta, risk)
    }
}

/// Running sums over the risk set in a backward pass through the tie groups: the weighted
/// count, first and (lower-triangle) second moments of the covariates of those at risk, and
/// the same sums over the deaths of the current tie group until they are folded in.
pub(crate) struct RiskSets {
    p: usize,
    denom: f64,
    a: Vec<f64>,
    cmat: Vec<f64>,
    denom2: f64,
    a2: Vec<f64>,
    cmat2: Vec<f64>,
}

impl RiskSets {
    pub(crate) fn new(p: usize) -> Self {
        Self {
            p,
            denom: 0.0,
            a: vec![0.0; p],
            cmat: vec![0.0; p * p],
            denom2: 0.0,
            a2: vec![0.0; p],
            cmat2: vec![0.0; p * p],
        }
    }

    /// Adds one subject of the current tie group with risk score `r` and covariates `xi`.
    pub(crate) fn add(&mut self, r: f64, xi: &[f64], event: bool) {
        let p = self.p;
        let (denom, acc, cacc) = if event {
            (&mut self.denom2, &mut self.a2, &mut self.cmat2)
        } else {
            (&mut self.denom, &mut self.a, &mut self.cmat)
        };
        *denom += r;
        for j in 0..p {
            acc[j] += r * xi[j];
            for k in 0..=j {
                cacc[j * p + k] += r * xi[j] * xi[k];
            }
        }
    }

    /// Folds the `d` tied deaths of the current group into the risk set (one step for Breslow,
    /// `d` steps of `1/d` for Efron), subtracting the weighted risk-set means from `score` and
    /// adding the weighted covariance to `info` (lower triangle, row-major `p × p`). Returns the
    /// group's `−Σ weight · ln(denominator)` term of the log partial likelihood.
    pub(crate) fn fold_deaths(
        &mut self,
        d: usize,
        ties: Ties,
        score: &mut [f64],
        info: &mut [f64],
    ) -> f64 {
        let p = self.p;
        let (terms, frac, weight) = match ties {
            Ties::Efron if d > 1 => (d, 1.0 / d as f64, 1.0),
            _ => (1, 1.0, d as f64),
        };
        let mut loglik = 0.0;
        for _ in 0..terms {
            self.denom += self.denom2 * frac;
            loglik -= weight * self.denom.ln();
            for j in 0..p {
                self.a[j] += self.a2[j] * frac;
                for k in 0..=j {
                    self.cmat[j * p + k] += self.cmat2[j * p + k] * frac;
                }
            }
            for j in 0..p {
                let mj = self.a[j] / self.denom;
                score[j] -= weight * mj;
                for k in 0..=j {
                    info[j * p + k] +=
                        weight * (self.cmat[j * p + k] - mj * self.a[k]) / self.denom;
                }
            }
        }
        self.denom2 = 0.0;
        self.a2.iter_mut().for_each(|v| *v = 0.0);
        self.cmat2.iter_mut().for_each(|v| *v = 0.0);
        loglik
    }

    /// Empties the risk set at the start of a new stratum.
    pub(crate) fn new_stratum(&mut self) {
        self.denom = 0.0;
        self.a.iter_mut().for_each(|v| *v = 0.0);
        self.cmat.iter_mut().for_each(|v| *v = 0.0);
    }
}

/// Log partial likelihood, score vector and information matrix at `beta`.
struct Evaluation {
    loglik: f64,
    u: Vec<f64>,
    imat: DMatrix<f64>,
}

fn evaluate(pr: &Prepared, beta: &[f64], ties: Ties) -> Evaluation {
    let p = pr.p;
    let (eta, risk) = pr.risk(beta);
    let mut loglik = 0.0;
    let mut u = vec![0.0; p];
    let mut imat = vec![0.0; p * p];
    let mut sets = RiskSets::new(p);
    for g in pr.groups.iter().rev() {
        for i in g.start..g.end {
            let xi = pr.row(i);
            sets.add(risk[i], xi, pr.event[i]);
            if pr.event[i] {
                loglik += eta[i];
                for j in 0..p {
                    u[j] += xi[j];
                }
            }
        }
        if g.n_dead > 0 {
            loglik += sets.fold_deaths(g.n_dead, ties, &mut u, &mut imat);
        }
        if g.new_stratum {
            sets.new_stratum();
        }
    }
    let imat = DMatrix::from_fn(p, p, |j, k| {
        if k <= j {
            imat[j * p + k]
        } else {
            imat[k * p + j]
        }
    });
    Evaluation { loglik, u, imat }
}

/// Score residuals (sorted order, row-major `n × p`) at `beta`.
pub(crate) fn score_residuals(pr: &Prepared, beta: &[f64], ties: Ties) -> Vec<f64> {
    let p = pr.p;
    let n = pr.time.len();
    let (_, risk) = pr.risk(beta);
    // Per tie group with deaths: hazard increments for survivors (h1, hx) and for the dying
    // (h1d, hxd), and the mean of the Efron risk-set means (xbar).
    let ng = pr.groups.len();
    let width = 2 + 3 * p;
    let mut store = vec![0.0; ng * width];
    let mut denom = 0.0;
    let mut a = vec![0.0; p];
    let mut a2 = vec![0.0; p];
    for (gi, g) in pr.groups.iter().enumerate().rev() {
        let mut denom2 = 0.0;
        for i in g.start..g.end {
            let r = risk[i];
            let xi = pr.row(i);
            let target = if pr.event[i] { &mut a2 } else { &mut a };
            for j in 0..p {
                target[j] += r * xi[j];
            }
            if pr.event[i] {
                denom2 += r;
            } else {
                denom += r;
            }
        }
        let d = g.n_dead;
        if d > 0 {
            let slot = &mut store[gi * width..(gi + 1) * width];
            let (terms, frac) = match ties {
                Ties::Efron if d > 1 => (d, 1.0 / d as f64),
                _ => (1, 1.0),
            };
            let weight = if terms == 1 { d as f64 } else { 1.0 };
            for k in 0..terms {
                denom += denom2 * frac;
                for j in 0..p {
                    a[j] += a2[j] * frac;
                }
                let dying_share = if terms == 1 {
                    1.0
                } else {
                    (k + 1) as f64 / d as f64
                };
                slot[0] += weight / denom;
                slot[1] += weight * dying_share / denom;
                for j in 0..p {
                    let m = a[j] / denom;
                    slot[2 + j] += weight * m / denom;
                    slot[2 + p + j] += weight * dying_share * m / denom;
                    slot[2 + 2 * p + j] += m / terms as f64;
                }
            }
            a2.iter_mut().for_each(|v| *v = 0.0);
        }
        if g.new_stratum {
            denom = 0.0;
            a.iter_mut().for_each(|v| *v = 0.0);
        }
    }
    let mut resid = vec![0.0; n * p];
    let mut c1 = 0.0;
    let mut cx = vec![0.0; p];
    for (gi, g) in pr.groups.iter().enumerate() {
        if g.new_stratum {
            c1 = 0.0;
            cx.iter_mut().for_each(|v| *v = 0.0);
        }
        let slot = &store[gi * width..(gi + 1) * width];
        for i in g.start..g.end {
            let xi = pr.row(i);
            let r = risk[i];
            let out = &mut resid[i * p..(i + 1) * p];
            let (own1, ownx) = if pr.event[i] {
                (slot[1], 2 + p)
            } else {
                (slot[0], 2)
            };
            for j in 0..p {
                let h1 = c1 + own1;
                let hx = cx[j] + slot[ownx + j];
                let mut v = -r * (xi[j] * h1 - hx);
                if pr.event[i] {
                    v += xi[j] - slot[2 + 2 * p + j];
                }
                out[j] = v;
            }
        }
        c1 += slot[0];
        for j in 0..p {
            cx[j] += slot[2 + j];
        }
    }
    resid
}

/// Sums score residuals by cluster: `n_clusters × p`.
fn collapse(
    pr: &Prepared,
    resid: &[f64],
    cluster: Option<&[u32]>,
    n_clusters: usize,
) -> DMatrix<f64> {
    let p = pr.p;
    let n = pr.time.len();
    match cluster {
        Some(c) => {
            let mut m = DMatrix::zeros(n_clusters, p);
            for (i, &orig) in pr.order.iter().enumerate() {
                let k = c[orig] as usize;
                for j in 0..p {
                    m[(k, j)] += resid[i * p + j];
                }
            }
            m
        }
        None => DMatrix::from_row_slice(n, p, resid),
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

    let solve = |m: &DMatrix<f64>, v: &[f64]| -> Option<(DVector<f64>, DMatrix<f64>)> {
        let chol = m.clone().cholesky()?;
        let s = chol.solve(&DVector::from_column_slice(v));
        Some((s, chol.inverse()))
    };

    // Initial evaluation at zero.
    let mut beta = vec![0.0; p];
    let ev0 = evaluate(&pr, &beta, ties);
    let loglik0 = ev0.loglik;
    let Some((step0, _)) = solve(&ev0.imat, &ev0.u) else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the information matrix at zero is singular (a covariate is constant or collinear, possibly within strata)",
        ));
    };
    let score_stat = ev0
        .u
        .iter()
        .zip(step0.iter())
        .map(|(a, b)| a * b)
        .sum::<f64>();
    let mut best = loglik0;
    let mut newbeta: Vec<f64> = beta.iter().zip(step0.iter()).map(|(b, s)| b + s).collect();
    let mut halving = 0usize;
    let mut converged = None;
    let mut iterations = 0;
    for iter in 1..=options.max_iterations {
        iterations = iter;
        let ev = evaluate(&pr, &newbeta, ties);
        let finite = ev.loglik.is_finite()
            && ev.u.iter().all(|v| v.is_finite())
            && ev.imat.iter().all(|v| v.is_finite());
        if finite && (1.0 - best / ev.loglik).abs() <= options.tolerance {
            converged = Some(ev);
            break;
        }
        if !finite || ev.loglik < best {
            halving += 1;
            let h = halving as f64;
            for (nb, b) in newbeta.iter_mut().zip(&beta) {
                *nb = (*nb + h * b) / (h + 1.0);
            }
        } else {
            halving = 0;
            best = ev.loglik;
            let Some((step, _)) = solve(&ev.imat, &ev.u) else {
                return Ok(refuse(
                    RefusalReason::SingularDesign,
                    "the information matrix became singular during the fit",
                ));
            };
            beta.clone_from(&newbeta);
            for (nb, s) in newbeta.iter_mut().zip(step.iter()) {
                *nb += s;
            }
        }
    }
    let Some(ev) = converged else {
        // Out of iterations. A coefficient still stepping outward while its hazard ratio
        // across the covariate's range already exceeds e^10 is diverging (monotone
        // likelihood, e.g. an arm with no events), not merely slow.
        let last = evaluate(&pr, &beta, ties);
        let step = solve(&last.imat, &last.u).map(|(s, _)| s);
        let diverging = (0..p).any(|j| {
            let col = data.covariates.column(j);
            let range = col.max() - col.min();
            let outward = step.as_ref().is_some_and(|s| s[j] * beta[j] > 0.0);
            outward && (beta[j] * range).abs() > 10.0
        });
        let large = diverging || pr.risk(&beta).0.iter().any(|e| e.abs() > 500.0);
        return Ok(if large {
            refuse(
                RefusalReason::MonotoneLikelihood,
                "the partial likelihood keeps increasing: a coefficient diverges to infinity",
            )
        } else {
            refuse(
                RefusalReason::NoConvergence,
                format!(
                    "Newton-Raphson did not converge in {} iterations",
                    options.max_iterations
                ),
            )
        });
    };
    let beta = newbeta;
    let Some((onestep, naive)) = solve(&ev.imat, &ev.u) else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the information matrix at the estimate is singular",
        ));
    };
    // Divergence check (as coxph): a remaining Newton step that is large relative to the
    // coefficient means the likelihood converged before the coefficient did.
    for (j, (s, b)) in onestep.iter().zip(&beta).enumerate() {
        if !s.is_finite()
            || (s.abs() > options.tolerance && s.abs() > options.tolerance_infinite * b.abs())
        {
            return Ok(refuse(
                RefusalReason::MonotoneLikelihood,
                format!(
                    "the coefficient of `{}` diverges (monotone likelihood: for example a group with no events)",
                    data.names.get(j).map_or("?", |s| s.as_str())
                ),
            ));
        }
    }
    let robust = options.variance == CoxVariance::Robust || data.cluster.is_some();
    let mut variance = naive.clone();
    let mut robust_score = None;
    let mut n_clusters = 0;
    if robust {
        let (cl, nc) = match &data.cluster {
            Some(c) => (Some(c.as_slice()), data.n_clusters),
            None => (None, n),
        };
        n_clusters = nc;
        let resid = score_residuals(&pr, &beta, ties);
        let uc = collapse(&pr, &resid, cl, nc);
        let meat = uc.transpose() * &uc;
        variance = &naive * meat * &naive;
        let resid0 = score_residuals(&pr, &vec![0.0; p], ties);
        let u0c = collapse(&pr, &resid0, cl, nc);
        let u0: Vec<f64> = (0..p).map(|j| u0c.column(j).sum()).collect();
        let m0 = u0c.transpose() * &u0c;
        if let Some((s, _)) = solve(&m0, &u0) {
            let stat = u0.iter().zip(s.iter()).map(|(a, b)| a * b).sum::<f64>();
            robust_score = Some(ChiSquareTest::new(stat, p));
        }
    }
    let Some((wald_solve, _)) = solve(&variance, &beta) else {
        return Ok(refuse(
            RefusalReason::NotPositiveDefinite,
            "the variance of the coefficients is not positive definite (too few clusters?)",
        ));
    };
    let wald_stat = beta
        .iter()
        .zip(wald_solve.iter())
        .map(|(a, b)| a * b)
        .sum::<f64>();
    let coefficients = (0..p)
        .map(|j| {
            let se = variance[(j, j)].sqrt();
            let b = beta[j];
            let z = b / se;
            CoxCoefficient {
                name: data.names.get(j).cloned().unwrap_or_default(),
                estimate: b,
                hazard_ratio: b.exp(),
                std_err: se,
                naive_std_err: if robust {
                    Some(naive[(j, j)].sqrt())
                } else {
                    None
                },
                z,
                p_value: (2.0 * dist::normal_sf(z.abs())).min(1.0),
                confidence_interval: ((b - zq * se).exp(), (b + zq * se).exp()),
            }
        })
        .collect();
    let to_rows = |m: &DMatrix<f64>| {
        (0..p)
            .map(|j| (0..p).map(|k| m[(j, k)]).collect())
            .collect()
    };
    Ok(Outcome::Computed(CoxFit {
        coefficients,
        variance: to_rows(&variance),
        naive_variance: to_rows(&naive),
        log_likelihood_null: loglik0,
        log_likelihood: ev.loglik,
        likelihood_ratio: ChiSquareTest::new((2.0 * (ev.loglik - loglik0)).max(0.0), p),
        wald: ChiSquareTest::new(wald_stat, p),
        score: ChiSquareTest::new(score_stat, p),
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
