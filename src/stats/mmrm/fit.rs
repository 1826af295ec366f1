//! The Newton / Fisher-scoring optimizer of the covariance parameters with its documented
//! fallback, the certificate of the solution, and fixed covariance parameters.

use nalgebra::{DMatrix, DVector};

use super::criterion::{Evaluation, Level, Problem};

/// How the optimizer reached its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitCertificate {
    /// Which attempt succeeded: 1 = Newton/Fisher scoring from the empirical covariance of OLS
    /// residuals; 2 = Fisher scoring from a diagonal (identity-like) start, then Newton.
    pub attempt: usize,
    /// Iterations of the successful attempt.
    pub iterations: usize,
    /// Criterion evaluations over all attempts.
    pub evaluations: usize,
    /// Euclidean norm of the gradient of `-2 log L` at the solution.
    pub gradient_norm: f64,
    /// Newton decrement `g'H⁻¹g` at the solution (in `-2 log L` units).
    pub newton_decrement: f64,
    /// The criterion `-2 log L` (REML or ML) at the solution.
    pub criterion: f64,
    /// Whether the observed Hessian at the solution is positive definite.
    pub hessian_positive_definite: bool,
    /// Smallest eigenvalue of the observed Hessian, scaled to unit diagonal.
    pub hessian_min_scaled_eigenvalue: f64,
    /// `-2 log L` at the start and after each iteration of the successful attempt (SAS's
    /// "Iteration History" from iteration 1 on); empty for fixed parameters.
    pub history: Vec<f64>,
}

/// Result of a successful optimization.
#[derive(Debug, Clone)]
pub(crate) struct Optimum {
    pub phi: Vec<f64>,
    pub eval: Evaluation,
    pub certificate: FitCertificate,
}

/// Failure description.
#[derive(Debug, Clone)]
pub(crate) struct OptimFailure {
    pub detail: String,
}

/// Iteration limit of one attempt (and of SAS's iteration).
pub(super) const MAX_ITER: usize = 200;

/// Smallest eigenvalue of `h` scaled to unit diagonal.
fn scaled_min_eigen(h: &DMatrix<f64>) -> f64 {
    let n = h.nrows();
    let d: Vec<f64> = (0..n)
        .map(|i| h[(i, i)].abs().max(f64::MIN_POSITIVE).sqrt())
        .collect();
    let s = DMatrix::from_fn(n, n, |i, j| h[(i, j)] / (d[i] * d[j]));
    s.symmetric_eigenvalues()
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
}

/// The Newton step `−H⁻¹g`, or `None` when `H` is not positive definite or the step is not
/// finite.
pub(super) fn newton_direction(h: &DMatrix<f64>, g: &DVector<f64>) -> Option<DVector<f64>> {
    let ch = h.clone().cholesky()?;
    let step = -ch.solve(g);
    step.iter().all(|x| x.is_finite()).then_some(step)
}

/// Full Newton steps from a converged point while they keep shrinking the Newton decrement
/// (quadratic convergence takes it to rounding level in one or two steps). The stopping rule
/// alone would leave the covariance parameters ~1e-6 from the optimum, which moves small
/// coefficients by ~1e-5 relative.
fn polish(
    problem: &Problem<'_>,
    mut phi: Vec<f64>,
    mut ev: Evaluation,
    mut decrement: f64,
    iter: usize,
    evaluations: &mut usize,
) -> (Vec<f64>, Evaluation, usize) {
    for _ in 0..3 {
        let Some(dir) = newton_direction(&ev.h_obs, &ev.grad) else {
            break;
        };
        let trial: Vec<f64> = phi.iter().zip(dir.iter()).map(|(a, d)| a + d).collect();
        *evaluations += 1;
        let Some(e) = problem.evaluate(&trial, Level::Hessian) else {
            break;
        };
        if e.f > ev.f + 1e-12 * (1.0 + ev.f.abs()) {
            break;
        }
        let Some(d2) = newton_direction(&e.h_obs, &e.grad) else {
            break;
        };
        let dec2 = -e.grad.dot(&d2);
        if dec2.abs() >= decrement.abs() {
            break;
        }
        phi = trial;
        ev = e;
        decrement = dec2;
    }
    (phi, ev, iter)
}

/// One attempt: damped Newton (observed Hessian when positive definite, otherwise expected
/// information = Fisher scoring) with step halving that keeps `Σ` positive definite.
fn attempt(
    problem: &Problem<'_>,
    start: Vec<f64>,
    fisher_warmup: usize,
    evaluations: &mut usize,
) -> Result<(Vec<f64>, Evaluation, usize, Vec<f64>), String> {
    let mut phi = start;
    let mut ev = problem
        .evaluate(&phi, Level::Hessian)
        .ok_or_else(|| "the starting covariance is not positive definite".to_string())?;
    *evaluations += 1;
    let mut history = vec![ev.f];
    for iter in 0..MAX_ITER {
        let obs_pd = ev.h_obs.clone().cholesky().is_some();
        let use_newton = obs_pd && iter >= fisher_warmup;
        let dir = if use_newton {
            newton_direction(&ev.h_obs, &ev.grad)
        } else {
            newton_direction(&ev.h_exp, &ev.grad)
        };
        let Some(dir) = dir else {
            return Err(format!(
                "iteration {iter}: neither the Hessian nor the information is positive definite"
            ));
        };
        let decrement = -ev.grad.dot(&dir);
        let tol = 1e-11 * (1.0 + ev.f.abs());
        if obs_pd && decrement.abs() < tol {
            let (phi, ev, iter) = polish(problem, phi, ev, decrement, iter, evaluations);
            history.push(ev.f);
            return Ok((phi, ev, iter, history));
        }
        // Step halving.
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> = phi.iter().zip(dir.iter()).map(|(a, d)| a + t * d).collect();
            *evaluations += 1;
            if let Some(e) = problem.evaluate(&trial, Level::Value)
                && (e.f <= ev.f - 1e-4 * t * decrement || (e.f <= ev.f && decrement < 1e3 * tol))
            {
                accepted = Some(trial);
                break;
            }
            t *= 0.5;
        }
        let Some(trial) = accepted else {
            if obs_pd && decrement.abs() < 1e3 * tol {
                // At the optimum within rounding of the criterion.
                return Ok((phi, ev, iter, history));
            }
            return Err(format!(
                "iteration {iter}: no step decreases the criterion (Newton decrement {decrement:.3e})"
            ));
        };
        phi = trial;
        ev = problem
            .evaluate(&phi, Level::Hessian)
            .ok_or_else(|| format!("iteration {iter}: evaluation failed"))?;
        *evaluations += 1;
        history.push(ev.f);
    }
    Err(format!("no convergence in {MAX_ITER} iterations"))
}

/// Fits the covariance parameters.
///
/// Attempt 1 starts from the empirical covariance of OLS residuals projected on the structure
/// and takes Newton steps (Fisher scoring while the observed Hessian is not positive definite).
/// Attempt 2 restarts from a diagonal covariance with the pooled residual variance and takes
/// five Fisher-scoring steps before switching to Newton. A solution is accepted only with a
/// positive-definite observed Hessian and a Newton decrement below `1e-11 (1 + |f|)`, followed
/// by full Newton steps while they keep shrinking the decrement (rounding level in practice).
pub(crate) fn optimize(
    problem: &Problem<'_>,
    empirical: &[DMatrix<f64>],
    pooled_variance: f64,
) -> Result<Optimum, OptimFailure> {
    let q = problem.model.n_par;
    let mut evaluations = 0;
    let mut details = Vec::new();
    let starts: Vec<(Vec<f64>, usize)> = vec![
        (
            empirical
                .iter()
                .flat_map(|e| problem.model.start(e))
                .collect(),
            0,
        ),
        (
            (0..problem.agg.n_groups)
                .flat_map(|_| problem.model.start_identity(pooled_variance))
                .collect(),
            5,
        ),
    ];
    for (i, (start, warm)) in starts.into_iter().enumerate() {
        debug_assert_eq!(start.len(), q * problem.agg.n_groups);
        match attempt(problem, start, warm, &mut evaluations) {
            Ok((phi, eval, iterations, history)) => {
                match certify(&eval, i + 1, iterations, evaluations, history) {
                    Ok(certificate) => {
                        return Ok(Optimum {
                            phi,
                            eval,
                            certificate,
                        });
                    }
                    Err(min_eig) => details.push(format!(
                        "attempt {}: stopped where the Hessian is not positive definite (smallest scaled eigenvalue {min_eig:.3e})",
                        i + 1
                    )),
                }
            }
            Err(e) => details.push(format!("attempt {}: {e}", i + 1)),
        }
    }
    Err(OptimFailure {
        detail: details.join("; "),
    })
}

/// Builds the certificate of an accepted point; when its Hessian is not positive definite,
/// the error is the smallest scaled eigenvalue.
pub(super) fn certify(
    eval: &Evaluation,
    attempt: usize,
    iterations: usize,
    evaluations: usize,
    history: Vec<f64>,
) -> Result<FitCertificate, f64> {
    let min_eig = scaled_min_eigen(&eval.h_obs);
    if min_eig.is_nan() || min_eig <= 1e-10 {
        return Err(min_eig);
    }
    let decrement = newton_direction(&eval.h_obs, &eval.grad)
        .map(|d| -eval.grad.dot(&d))
        .unwrap_or(f64::INFINITY);
    Ok(FitCertificate {
        attempt,
        iterations,
        evaluations,
        gradient_norm: eval.grad.norm(),
        newton_decrement: decrement,
        criterion: eval.f,
        hessian_positive_definite: true,
        hessian_min_scaled_eigenvalue: min_eig,
        history,
    })
}

/// Covariance parameters held at `phi` (no optimization).
pub(crate) fn fixed(problem: &Problem<'_>, phi: Vec<f64>) -> Result<Optimum, OptimFailure> {
    let eval = problem
        .evaluate(&phi, Level::Hessian)
        .ok_or_else(|| OptimFailure {
            detail: "the covariance matrix is not positive definite (or X'Σ⁻¹X is singular) at the fixed parameters".into(),
        })?;
    let certificate = certify(&eval, 0, 0, 1, Vec::new()).map_err(|_| OptimFailure {
        detail: "the Hessian of the criterion is not positive definite at the fixed parameters, so the covariance of the covariance parameters (needed for the df) does not exist".into(),
    })?;
    Ok(Optimum {
        phi,
        eval,
        certificate,
    })
}
