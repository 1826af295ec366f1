//! Multinomial (baseline-category) logistic regression by Newton's method: the generalised
//! propensity score of more than two therapies.

use crate::stats::describe::{check_finite, check_same_len};
use crate::stats::logistic::INTERCEPT;
use crate::stats::{Estimate, Outcome, RefusalReason, refuse};
use crate::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// A fitted multinomial logistic regression: one coefficient vector per category but the
/// first (the reference).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multinomial::multinomial_logistic;
/// let y = [0, 1, 2, 0, 1, 2, 0, 2, 1, 0, 1, 2];
/// let x = [1.0, 2.0, 3.0, 1.5, 2.5, 2.0, 0.5, 3.5, 1.0, 2.0, 3.0, 2.5];
/// let fit = multinomial_logistic(&y, 3, &[("x", &x)])?.into_result().unwrap();
/// assert_eq!(fit.coefficients.len(), 2);
/// let p = &fit.probabilities[0];
/// assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultinomialFit {
    /// Units used.
    pub n: usize,
    /// `coefficients[k − 1]`: the log odds of category `k` against category 0, `(Intercept)`
    /// then the covariates, with Wald z tests and 95 % intervals.
    pub coefficients: Vec<Vec<Estimate>>,
    /// Residual deviance `−2 log L`.
    pub deviance: f64,
    /// Newton iterations used.
    pub iterations: usize,
    /// Fitted probability of each category, per unit.
    pub probabilities: Vec<Vec<f64>>,
}

/// Multinomial logistic regression of the category `y[i]` (0..`categories`) on an intercept
/// and `covariates`, category 0 the reference.
///
/// # Formula
///
/// `P(yᵢ = k) = exp(xᵢᵀβₖ) / Σⱼ exp(xᵢᵀβⱼ)`, `β₀ = 0`. Newton steps on the stacked `βₖ` with the
/// information blocks `Σᵢ xᵢxᵢᵀ πᵢₖ(δₖₗ − πᵢₗ)`, halved while the deviance increases, until
/// the relative change of the deviance is below 1e-12. SEs from the inverse information.
///
/// # References
///
/// Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., §8.1. Imbens, G. W. (2000). The
/// role of the propensity score in estimating dose-response functions. *Biometrika* 87,
/// 706–710 (generalised propensity score).
///
/// # Errors
///
/// [`Error::InvalidArgument`] for fewer than two categories, a category out of range,
/// lengths that differ, non-finite covariates or duplicate names.
///
/// Refuses an empty category, fewer units than parameters, a singular design, separation
/// (fitted probabilities numerically 0 or 1) and no convergence.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multinomial::multinomial_logistic;
/// use pain_outcomes::RefusalReason;
/// let y = [0, 0, 1, 1];
/// let r = multinomial_logistic(&y, 3, &[])?;
/// assert_eq!(r.refusal().unwrap().reason, RefusalReason::EmptyGroup);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn multinomial_logistic(
    y: &[usize],
    categories: usize,
    covariates: &[(&str, &[f64])],
) -> Result<Outcome<MultinomialFit>> {
    if categories < 2 {
        return Err(Error::invalid_argument(
            "categories",
            format!("need at least two categories, got {categories}"),
        ));
    }
    if let Some(c) = y.iter().find(|c| **c >= categories) {
        return Err(Error::invalid_argument(
            "y",
            format!("category {c} is out of range 0..{categories}"),
        ));
    }
    let n = y.len();
    let mut names = vec![INTERCEPT];
    for (name, values) in covariates {
        check_same_len("covariates", values.len(), n)?;
        check_finite("covariates", values)?;
        if name.is_empty() || names.contains(name) {
            return Err(Error::invalid_argument(
                "covariates",
                format!("covariate names must be non-empty and distinct, got {name:?}"),
            ));
        }
        names.push(name);
    }
    let p = names.len();
    let m = categories - 1;
    if let Some(k) = (0..categories).find(|k| !y.contains(k)) {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!("category {k} has no unit"),
        ));
    }
    if n < m * p + 1 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!("{n} units for {} parameters", m * p),
        ));
    }
    let x = DMatrix::from_fn(
        n,
        p,
        |i, j| {
            if j == 0 { 1.0 } else { covariates[j - 1].1[i] }
        },
    );
    let mut beta = DVector::<f64>::zeros(m * p);
    let mut dev = deviance(&x, y, &beta, m);
    for iteration in 1..=100 {
        let probs = probabilities(&x, &beta, m);
        let (score, info) = score_information(&x, y, &probs, m);
        let Some(chol) = info.clone().cholesky() else {
            return Ok(separation_or_singular(&probs));
        };
        let step = chol.solve(&score);
        let mut candidate = &beta + &step;
        let mut cand_dev = deviance(&x, y, &candidate, m);
        let mut halvings = 0;
        while (cand_dev > dev + 1e-12 * (dev.abs() + 0.1) || cand_dev.is_nan()) && halvings < 30 {
            candidate = (&candidate + &beta) / 2.0;
            cand_dev = deviance(&x, y, &candidate, m);
            halvings += 1;
        }
        let change = (dev - cand_dev).abs() / (cand_dev.abs() + 0.1);
        beta = candidate;
        dev = cand_dev;
        if change < 1e-12 && step.amax() < 1e-6 * (1.0 + beta.amax()) {
            let probs = probabilities(&x, &beta, m);
            if probs
                .iter()
                .flatten()
                .any(|q| !(1e-10..=1.0 - 1e-10).contains(q))
            {
                return Ok(separation_or_singular(&probs));
            }
            let (_, info) = score_information(&x, y, &probs, m);
            let Some(chol) = info.cholesky() else {
                return Ok(separation_or_singular(&probs));
            };
            let v = chol.inverse();
            let coefficients = (0..m)
                .map(|k| {
                    (0..p)
                        .map(|j| {
                            let idx = k * p + j;
                            Estimate::wald(
                                names[j],
                                beta[idx],
                                v[(idx, idx)].max(0.0).sqrt(),
                                None,
                                0.95,
                            )
                        })
                        .collect()
                })
                .collect();
            return Ok(Outcome::Computed(MultinomialFit {
                n,
                coefficients,
                deviance: dev,
                iterations: iteration,
                probabilities: probs,
            }));
        }
    }
    Ok(refuse(
        RefusalReason::NoConvergence,
        "Newton iterations did not converge in 100 steps",
    ))
}

fn separation_or_singular<T>(probs: &[Vec<f64>]) -> Outcome<T> {
    if probs
        .iter()
        .flatten()
        .any(|q| !(1e-10..=1.0 - 1e-10).contains(q))
    {
        refuse(
            RefusalReason::MonotoneLikelihood,
            "separation: fitted probabilities numerically 0 or 1",
        )
    } else {
        refuse(
            RefusalReason::SingularDesign,
            "the information matrix is singular",
        )
    }
}

/// Category probabilities of each unit (category 0 first).
fn probabilities(x: &DMatrix<f64>, beta: &DVector<f64>, m: usize) -> Vec<Vec<f64>> {
    let p = x.ncols();
    x.row_iter()
        .map(|row| {
            let mut eta = vec![0.0];
            for k in 0..m {
                eta.push((0..p).map(|j| row[j] * beta[k * p + j]).sum());
            }
            let top = eta.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = eta.iter().map(|v| (v - top).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        })
        .collect()
}

/// `−2 log L`.
fn deviance(x: &DMatrix<f64>, y: &[usize], beta: &DVector<f64>, m: usize) -> f64 {
    let p = x.ncols();
    -2.0 * x
        .row_iter()
        .zip(y)
        .map(|(row, &yi)| {
            let mut eta = vec![0.0];
            for k in 0..m {
                eta.push((0..p).map(|j| row[j] * beta[k * p + j]).sum());
            }
            let top = eta.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = top + eta.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
            eta[yi] - lse
        })
        .sum::<f64>()
}

/// Score and information of the stacked coefficients.
fn score_information(
    x: &DMatrix<f64>,
    y: &[usize],
    probs: &[Vec<f64>],
    m: usize,
) -> (DVector<f64>, DMatrix<f64>) {
    let p = x.ncols();
    let mut score = DVector::zeros(m * p);
    let mut info = DMatrix::zeros(m * p, m * p);
    for (i, row) in x.row_iter().enumerate() {
        for k in 0..m {
            let r = f64::from(u8::from(y[i] == k + 1)) - probs[i][k + 1];
            for j in 0..p {
                score[k * p + j] += row[j] * r;
            }
            for l in 0..m {
                let w = probs[i][k + 1] * (f64::from(u8::from(k == l)) - probs[i][l + 1]);
                for a in 0..p {
                    for b in 0..p {
                        info[(k * p + a, l * p + b)] += row[a] * row[b] * w;
                    }
                }
            }
        }
    }
    (score, info)
}
