//! Newton–Raphson maximization of the Cox partial likelihood, as R `coxph`: steps from zero,
//! a step that lowers the likelihood is pulled back toward the last good point, and
//! divergence (monotone likelihood) is told apart from slow convergence.

use nalgebra::{DMatrix, DVector};

use super::cox::CoxOptions;
use super::cox_data::CoxData;
use super::cox_likelihood::{Evaluation, Prepared, evaluate};
use crate::stats::{Refusal, RefusalReason};

/// The maximum of the partial likelihood and the quantities the tests need.
pub(super) struct NewtonFit {
    /// The estimate.
    pub(super) beta: Vec<f64>,
    /// Log partial likelihood, score and information at `beta`.
    pub(super) ev: Evaluation,
    /// Inverse information at `beta` (the model-based variance).
    pub(super) naive: DMatrix<f64>,
    /// Log partial likelihood at zero.
    pub(super) loglik0: f64,
    /// Score test statistic at zero, `U(0)ᵀ I(0)⁻¹ U(0)`.
    pub(super) score_stat: f64,
    /// Iterations taken.
    pub(super) iterations: usize,
}

/// `m⁻¹ v` and `m⁻¹` by Cholesky; `None` when `m` is not positive definite.
pub(super) fn solve(m: &DMatrix<f64>, v: &[f64]) -> Option<(DVector<f64>, DMatrix<f64>)> {
    let chol = m.clone().cholesky()?;
    let s = chol.solve(&DVector::from_column_slice(v));
    Some((s, chol.inverse()))
}

/// Maximizes the partial likelihood from zero. Refuses `SingularDesign` when the information
/// is singular, `MonotoneLikelihood` when a coefficient diverges and `NoConvergence` when the
/// iterations run out.
pub(super) fn newton_raphson(
    pr: &Prepared,
    data: &CoxData<'_>,
    options: &CoxOptions,
) -> Result<NewtonFit, Refusal> {
    let beta = vec![0.0; pr.p];
    let ev0 = evaluate(pr, &beta, options.ties);
    let loglik0 = ev0.loglik;
    let Some((step0, _)) = solve(&ev0.imat, &ev0.u) else {
        return Err(Refusal::new(
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
    let run = iterate(pr, options, loglik0, beta, &step0)?;
    let Some(ev) = run.converged else {
        return Err(not_converged(pr, data, options, &run.beta));
    };
    let beta = run.newbeta;
    let Some((onestep, naive)) = solve(&ev.imat, &ev.u) else {
        return Err(Refusal::new(
            RefusalReason::SingularDesign,
            "the information matrix at the estimate is singular",
        ));
    };
    check_divergence(&onestep, &beta, data, options)?;
    Ok(NewtonFit {
        beta,
        ev,
        naive,
        loglik0,
        score_stat,
        iterations: run.iterations,
    })
}

/// Where the iteration stopped.
struct Iteration {
    /// The last accepted point (the one the last full step started from).
    beta: Vec<f64>,
    /// The last point evaluated: the estimate when converged.
    newbeta: Vec<f64>,
    /// The evaluation at `newbeta` when it converged.
    converged: Option<Evaluation>,
    /// Iterations taken.
    iterations: usize,
}

/// Newton steps from `beta` (the first step `step0` already computed) until the relative
/// change of the log-likelihood is within tolerance; a non-finite or worse point is pulled
/// back toward the last good one.
fn iterate(
    pr: &Prepared,
    options: &CoxOptions,
    loglik0: f64,
    mut beta: Vec<f64>,
    step0: &DVector<f64>,
) -> Result<Iteration, Refusal> {
    let mut best = loglik0;
    let mut newbeta: Vec<f64> = beta.iter().zip(step0.iter()).map(|(b, s)| b + s).collect();
    let mut halving = 0usize;
    let mut converged = None;
    let mut iterations = 0;
    for iter in 1..=options.max_iterations {
        iterations = iter;
        let ev = evaluate(pr, &newbeta, options.ties);
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
                return Err(Refusal::new(
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
    Ok(Iteration {
        beta,
        newbeta,
        converged,
        iterations,
    })
}

/// The refusal when the iterations ran out at `beta`. A coefficient still stepping outward
/// while its hazard ratio across the covariate's range already exceeds e^10 is diverging
/// (monotone likelihood, e.g. an arm with no events), not merely slow.
fn not_converged(pr: &Prepared, data: &CoxData<'_>, options: &CoxOptions, beta: &[f64]) -> Refusal {
    let last = evaluate(pr, beta, options.ties);
    let step = solve(&last.imat, &last.u).map(|(s, _)| s);
    let diverging = (0..pr.p).any(|j| {
        let col = data.covariates.column(j);
        let range = col.max() - col.min();
        let outward = step.as_ref().is_some_and(|s| s[j] * beta[j] > 0.0);
        outward && (beta[j] * range).abs() > 10.0
    });
    let large = diverging || pr.risk(beta).0.iter().any(|e| e.abs() > 500.0);
    if large {
        Refusal::new(
            RefusalReason::MonotoneLikelihood,
            "the partial likelihood keeps increasing: a coefficient diverges to infinity",
        )
    } else {
        Refusal::new(
            RefusalReason::NoConvergence,
            format!(
                "Newton-Raphson did not converge in {} iterations",
                options.max_iterations
            ),
        )
    }
}

/// Divergence check (as coxph): a remaining Newton step `onestep` that is large relative to
/// the coefficient means the likelihood converged before the coefficient did.
fn check_divergence(
    onestep: &DVector<f64>,
    beta: &[f64],
    data: &CoxData<'_>,
    options: &CoxOptions,
) -> Result<(), Refusal> {
    for (j, (s, b)) in onestep.iter().zip(beta).enumerate() {
        if !s.is_finite()
            || (s.abs() > options.tolerance && s.abs() > options.tolerance_infinite * b.abs())
        {
            return Err(Refusal::new(
                RefusalReason::MonotoneLikelihood,
                format!(
                    "the coefficient of `{}` diverges (monotone likelihood: for example a group with no events)",
                    data.names.get(j).map_or("?", |s| s.as_str())
                ),
            ));
        }
    }
    Ok(())
}
