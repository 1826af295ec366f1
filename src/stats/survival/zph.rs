//! Test of proportional hazards from scaled Schoenfeld residuals (R `cox.zph`, survival 3.x).

use std::fmt;

use nalgebra::{DMatrix, DVector};

use super::cox::{CoxFit, Ties};
use super::cox_data::CoxData;
use super::cox_likelihood::{Prepared, RiskSets};
use crate::stats::ChiSquareTest;
use crate::stats::{Outcome, RefusalReason, refuse};
use crate::{Error, Result};

/// Function of time against which the Schoenfeld residuals are tested.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::ZphTransform;
/// assert_eq!(ZphTransform::default(), ZphTransform::Km);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZphTransform {
    /// `1 - S(t-)` with `S` the Kaplan–Meier curve of all subjects (R's default).
    #[default]
    Km,
    /// Time itself.
    Identity,
    /// Logarithm of time (times must be positive).
    Log,
    /// Rank of the time among all subjects (ties get the average rank).
    Rank,
}

/// Options of [`cox_zph`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{ZphOptions, ZphTransform};
/// assert_eq!(ZphOptions::default().with_transform(ZphTransform::Rank).transform, ZphTransform::Rank);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ZphOptions {
    /// The time transform (default Kaplan–Meier).
    pub transform: ZphTransform,
}

impl ZphOptions {
    /// Sets the time transform.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::{ZphOptions, ZphTransform};
    /// assert_eq!(ZphOptions::default().with_transform(ZphTransform::Log).transform, ZphTransform::Log);
    /// ```
    pub fn with_transform(mut self, transform: ZphTransform) -> Self {
        self.transform = transform;
        self
    }
}

/// The proportional-hazards test of one covariate.
///
/// # Examples
///
/// ```
/// # use nalgebra::DMatrix;
/// # use pain_outcomes::stats::survival::*;
/// # let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
/// # let status = [Status::Event; 8];
/// # let x = DMatrix::from_column_slice(8, 1, &[1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
/// # let data = CoxData::new(&time, &status, &x)?;
/// # let fit = cox_ph(&data, &CoxOptions::default())?.into_result().unwrap();
/// let zph = cox_zph(&data, &fit, &ZphOptions::default())?.into_result().unwrap();
/// assert_eq!(zph.terms[0].name, "x1");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ZphTerm {
    /// Covariate name.
    pub name: String,
    /// Score test of a time-varying coefficient `β + γ g(t)`, `γ = 0`.
    pub test: ChiSquareTest,
}

/// Schoenfeld-residual tests of proportional hazards, per covariate and global.
///
/// # Examples
///
/// ```
/// # use nalgebra::DMatrix;
/// # use pain_outcomes::stats::survival::*;
/// # let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
/// # let status = [Status::Event; 8];
/// # let x = DMatrix::from_column_slice(8, 1, &[1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
/// # let data = CoxData::new(&time, &status, &x)?;
/// # let fit = cox_ph(&data, &CoxOptions::default())?.into_result().unwrap();
/// let zph = cox_zph(&data, &fit, &ZphOptions::default())?.into_result().unwrap();
/// assert_eq!(zph.global.df, 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoxZph {
    /// Time transform used.
    pub transform: ZphTransform,
    /// One test per covariate.
    pub terms: Vec<ZphTerm>,
    /// Joint test of all covariates.
    pub global: ChiSquareTest,
}

impl fmt::Display for CoxZph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Proportional hazards test (transform {:?})",
            self.transform
        )?;
        let w = self
            .terms
            .iter()
            .map(|t| t.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        writeln!(f, "{:<w$} {:>10} {:>4} {:>10}", "", "chisq", "df", "p")?;
        for t in &self.terms {
            writeln!(
                f,
                "{:<w$} {:>10.4} {:>4} {:>10.4}",
                t.name, t.test.statistic, t.test.df, t.test.p_value
            )?;
        }
        write!(
            f,
            "{:<w$} {:>10.4} {:>4} {:>10.4}",
            "GLOBAL", self.global.statistic, self.global.df, self.global.p_value
        )
    }
}

/// Transformed time of each sorted row, centred at the mean over events.
fn transformed_times(pr: &Prepared, transform: ZphTransform) -> Result<Vec<f64>> {
    let n = pr.time.len();
    let g: Vec<f64> = match transform {
        ZphTransform::Identity => pr.time.clone(),
        ZphTransform::Log => {
            if let Some(t) = pr
                .time
                .iter()
                .zip(&pr.event)
                .find(|(t, e)| **e && **t <= 0.0)
            {
                return Err(Error::invalid_argument(
                    "transform",
                    format!("log transform needs positive event times; found {}", t.0),
                ));
            }
            pr.time.iter().map(|t| t.ln()).collect()
        }
        ZphTransform::Rank | ZphTransform::Km => {
            // Rows sorted by time across all strata.
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_unstable_by(|&a, &b| pr.time[a].total_cmp(&pr.time[b]));
            let mut out = vec![0.0; n];
            let mut surv = 1.0;
            let mut at_risk = n;
            let mut k = 0;
            while k < n {
                let t = pr.time[idx[k]];
                let mut e = k;
                let mut d = 0;
                while e < n && pr.time[idx[e]] == t {
                    if pr.event[idx[e]] {
                        d += 1;
                    }
                    e += 1;
                }
                let value = match transform {
                    ZphTransform::Rank => (k + 1 + e) as f64 / 2.0,
                    _ => 1.0 - surv,
                };
                for &i in &idx[k..e] {
                    out[i] = value;
                }
                surv *= (at_risk - d) as f64 / at_risk as f64;
                at_risk -= e - k;
                k = e;
            }
            out
        }
    };
    let (sum, count) = g
        .iter()
        .zip(&pr.event)
        .filter(|(_, e)| **e)
        .fold((0.0, 0usize), |(s, c), (v, _)| (s + v, c + 1));
    let mean = sum / count.max(1) as f64;
    Ok(g.into_iter().map(|v| v - mean).collect())
}

/// Test of proportional hazards for each covariate and globally (R `cox.zph`, survival 3.x).
///
/// # Formula
///
/// For each covariate the score test of `γ = 0` in the model with coefficient `β + γ g(t)`,
/// evaluated at `(β̂, 0)`: with `s_j` the Schoenfeld residual sum and `I_j` the information at
/// event time `t_j`, `U = Σ g_j s_j`, and the information of `(β, γ)` is
/// `[[Σ I_j, Σ g_j I_j], [Σ g_j I_j, Σ g_j² I_j]]` (`g` centred at its mean over events). The
/// per-covariate test uses the rows of all `β` and that covariate's `γ` (1 df); the global test
/// uses all of them (p df).
///
/// # Errors
///
/// `InvalidArgument` when the fit does not have one coefficient per column of the data, or the
/// log transform meets a zero event time, or the data carry case weights.
///
/// # Refusals
///
/// `SingularDesign` when the information matrix is singular.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::survival::{cox_ph, cox_zph, CoxData, CoxOptions, Status, ZphOptions};
/// let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
/// let status = [Status::Event; 10];
/// let x = DMatrix::from_column_slice(10, 1, &[1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
/// let data = CoxData::new(&time, &status, &x)?;
/// let fit = cox_ph(&data, &CoxOptions::default())?.into_result().unwrap();
/// let zph = cox_zph(&data, &fit, &ZphOptions::default())?.into_result().unwrap();
/// assert!(zph.global.p_value > 0.0 && zph.global.p_value <= 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics based on weighted
/// residuals. Biometrika 81:515–526. Therneau TM, Grambsch PM (2000). Modeling Survival Data,
/// §6.2. Springer.
#[doc(alias = "cox.zph")]
pub fn cox_zph(data: &CoxData<'_>, fit: &CoxFit, options: &ZphOptions) -> Result<Outcome<CoxZph>> {
    let p = data.covariates.ncols();
    if fit.coefficients.len() != p {
        return Err(Error::invalid_argument(
            "fit",
            format!(
                "{} coefficients for {} covariates",
                fit.coefficients.len(),
                p
            ),
        ));
    }
    if data.weights.is_some() {
        return Err(Error::invalid_argument(
            "data",
            "the proportional-hazards test is not available with case weights",
        ));
    }
    let beta: Vec<f64> = fit.coefficients.iter().map(|c| c.estimate).collect();
    let pr = Prepared::new(data);
    let gtime = transformed_times(&pr, options.transform)?;
    let (u, imat) = time_varying_score(&pr, &beta, &gtime, fit.ties);
    let q = 2 * p;
    let quad = |m: DMatrix<f64>, v: DVector<f64>| -> Option<f64> {
        let s = m.cholesky()?.solve(&v);
        Some(v.dot(&s))
    };
    let mut terms = Vec::with_capacity(p);
    for (j, &uj) in u.iter().enumerate() {
        let kk: Vec<usize> = (0..p).chain(std::iter::once(p + j)).collect();
        let m = DMatrix::from_fn(p + 1, p + 1, |r, c| imat[(kk[r], kk[c])]);
        let mut v = DVector::zeros(p + 1);
        v[p] = uj;
        let Some(stat) = quad(m, v) else {
            return Ok(refuse(
                RefusalReason::SingularDesign,
                "the information matrix of the time-varying model is singular",
            ));
        };
        terms.push(ZphTerm {
            name: data.names.get(j).cloned().unwrap_or_default(),
            test: ChiSquareTest::new(data.names.get(j).cloned().unwrap_or_default(), stat, 1.0),
        });
    }
    let mut v = DVector::zeros(q);
    for j in 0..p {
        v[p + j] = u[j];
    }
    let Some(global) = quad(imat, v) else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the information matrix of the time-varying model is singular",
        ));
    };
    Ok(Outcome::Computed(CoxZph {
        transform: options.transform,
        terms,
        global: ChiSquareTest::new("GLOBAL", global, p as f64),
    }))
}

/// Score `U_j = Σ g(t) s(t)` of the time-varying coefficients at `(β̂, 0)` and the information
/// of `(β, γ)` (`2p × 2p`), summed over the event times of a backward pass; `gtime` is the
/// centred transformed time of each sorted row.
fn time_varying_score(
    pr: &Prepared,
    beta: &[f64],
    gtime: &[f64],
    ties: Ties,
) -> (Vec<f64>, DMatrix<f64>) {
    let p = pr.p;
    let (_, risk) = pr.risk(beta);
    let q = 2 * p;
    let mut u = vec![0.0; p];
    let mut imat = DMatrix::<f64>::zeros(q, q);
    let mut sets = RiskSets::new(p);
    let mut info = vec![0.0; p * p];
    let mut resid = vec![0.0; p];
    for g in pr.groups.iter().rev() {
        resid.iter_mut().for_each(|v| *v = 0.0);
        for (i, &r) in (g.start..g.end).zip(&risk[g.start..g.end]) {
            let xi = pr.row(i);
            sets.add(r, xi, pr.event[i]);
            if pr.event[i] {
                for j in 0..p {
                    resid[j] += xi[j];
                }
            }
        }
        if g.n_dead > 0 {
            info.iter_mut().for_each(|v| *v = 0.0);
            sets.fold_deaths(g.n_dead, g.n_dead as f64, ties, &mut resid, &mut info);
            let gt = gtime[g.start];
            for j in 0..p {
                u[j] += gt * resid[j];
                for k in 0..p {
                    let v = if k <= j {
                        info[j * p + k]
                    } else {
                        info[k * p + j]
                    };
                    imat[(j, k)] += v;
                    imat[(j, p + k)] += gt * v;
                    imat[(p + j, k)] += gt * v;
                    imat[(p + j, p + k)] += gt * gt * v;
                }
            }
        }
        if g.new_stratum {
            sets.new_stratum();
        }
    }
    (u, imat)
}
