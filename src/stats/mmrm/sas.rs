//! SAS PROC MIXED's iteration, to reproduce its printed numbers: MIVQUE0 starting values,
//! the residual variance profiled out where SAS profiles it, and Newton–Raphson steps stopped
//! by SAS's relative Hessian criterion.

use nalgebra::{DMatrix, DVector};

use super::covariance::{CovModel, CovarianceStructure};
use super::criterion::{Evaluation, Level, Problem};
use super::fit::{MAX_ITER, OptimFailure, Optimum, certify, newton_direction};

/// MIVQUE0 starting values (SAS PROC MIXED's default): the solution of
/// `Σ_l tr(Q V_k Q V_l) φ_l = y'Q V_k Q y` with `Q = I − X(X'X)⁻¹X'` and `V_k = ∂V/∂φ_k`, for a
/// structure linear in its parameters (REML). For ML the traces are `tr(V_k V_l)` (no
/// fixed-effects correction; the right-hand side is unchanged), which reproduces SAS's ML
/// iteration history. For other structures, MIVQUE0 of UN projected on the
/// structure. `None` when the solution is not an admissible, positive-definite covariance
/// (spatial structures: always `None`).
pub(crate) fn mivque0(
    problem: &Problem<'_>,
    beta_ols: &DVector<f64>,
    xtx: &nalgebra::Cholesky<f64, nalgebra::Dyn>,
) -> Option<Vec<f64>> {
    if problem.model.is_spatial() {
        return None;
    }
    let un;
    let lin: &CovModel = if problem.model.is_linear() {
        problem.model
    } else {
        un = CovModel::new(CovarianceStructure::Unstructured, problem.agg.n_visits);
        &un
    };
    let (t, u) = mivque_equations(problem, lin, beta_ols, &xtx.inverse());
    let theta = t.lu().solve(&u)?;
    if theta.iter().any(|x| !x.is_finite()) {
        return None;
    }
    structure_start(problem, lin, &theta)
}

/// The MIVQUE0 equations `T φ = u` of the linear structure `lin`, from the block
/// cross-products: `u_k = Σ_b ⟨V_k,b, S_b(β_OLS)⟩` and `T_kl = Σ_b n_b tr(V_k,b V_l,b)`, for
/// REML minus `2 tr(V_k,b V_l,b τ_b)` plus `tr(M⁻¹A_k M⁻¹A_l)` (`A_k = Σ_b ⟨V_k,b, Sxx_b⟩`,
/// `τ_b,jk = tr(M⁻¹ Sxx_b[j,k])`, `M = X'X`).
fn mivque_equations(
    problem: &Problem<'_>,
    lin: &CovModel,
    beta_ols: &DVector<f64>,
    m_inv: &DMatrix<f64>,
) -> (DMatrix<f64>, DVector<f64>) {
    let agg = problem.agg;
    let p = agg.p;
    let pp = p * p;
    let q = lin.n_par;
    let nt = q * agg.n_groups;
    let basis = lin.d_sigma(&vec![0.0; q]);
    let minv = m_inv.as_slice();
    let mut t = DMatrix::<f64>::zeros(nt, nt);
    let mut u = DVector::<f64>::zeros(nt);
    let mut a_mats = vec![DMatrix::<f64>::zeros(p, p); nt];
    for blk in &agg.blocks {
        let m = blk.m();
        let g = blk.group;
        // Residual cross-products at β_OLS and τ_jk = tr((X'X)⁻¹ Sxx[j,k]).
        let res = blk.residual_cross_products(beta_ols.as_slice());
        let tau = blk.trace_products(minv);
        let restricted: Vec<(usize, DMatrix<f64>)> = basis
            .iter()
            .enumerate()
            .filter_map(|(k, b)| {
                let r = DMatrix::from_fn(m, m, |x, y| b[(blk.visits[x], blk.visits[y])]);
                r.iter().any(|z| *z != 0.0).then_some((g * q + k, r))
            })
            .collect();
        let n = blk.n as f64;
        for (ia, ba) in &restricted {
            u[*ia] += ba.component_mul(&res).sum();
            for j in 0..m {
                for k in 0..m {
                    let c = ba[(j, k)];
                    if c != 0.0 {
                        let base = j * m + k;
                        let sx = &blk.sxx[base * pp..(base + 1) * pp];
                        for (acc, x) in a_mats[*ia].as_mut_slice().iter_mut().zip(sx) {
                            *acc += c * x;
                        }
                    }
                }
            }
            for (ib, bb) in &restricted {
                let prod = ba * bb;
                let correction = if problem.reml {
                    2.0 * prod.component_mul(&tau).sum()
                } else {
                    0.0
                };
                t[(*ia, *ib)] += n * ba.component_mul(bb).sum() - correction;
            }
        }
    }
    let ma: Vec<DMatrix<f64>> = a_mats.iter().map(|a| m_inv * a).collect();
    for a in 0..nt {
        for b in 0..nt {
            if problem.reml {
                t[(a, b)] += ma[a].component_mul(&ma[b].transpose()).sum();
            }
        }
    }
    (t, u)
}

/// The starting values from the MIVQUE0 solution `theta` of `lin`: `theta` itself for a
/// linear structure, otherwise the projection of its covariance on the structure; `None`
/// when a covariance is not positive definite or the start is not admissible.
fn structure_start(
    problem: &Problem<'_>,
    lin: &CovModel,
    theta: &DVector<f64>,
) -> Option<Vec<f64>> {
    let q = lin.n_par;
    let mut out = Vec::with_capacity(problem.n_theta());
    for g in 0..problem.agg.n_groups {
        let th = &theta.as_slice()[g * q..(g + 1) * q];
        let sigma = lin.sigma(th);
        sigma.clone().cholesky()?;
        if problem.model.is_linear() {
            out.extend_from_slice(th);
        } else {
            out.extend(problem.model.start(&sigma));
        }
    }
    problem.sigmas(&out)?;
    Some(out)
}

/// The residual variance SAS profiles out of the likelihood (its listing says "Residual Variance
/// Method: Profile"): structures with a `Residual` scale, one covariance group. `s` is the
/// scale's position in φ, `scaled` the parameters proportional to it (covariances); the others
/// (correlations, ranges) are scale-free.
struct Profile {
    s: usize,
    scaled: Vec<usize>,
}

fn profile_of(problem: &Problem<'_>) -> Option<Profile> {
    if problem.agg.n_groups != 1 {
        return None;
    }
    let q = problem.model.n_par;
    match problem.model.structure {
        CovarianceStructure::CompoundSymmetry => Some(Profile {
            s: 1,
            scaled: vec![0],
        }),
        CovarianceStructure::Ar1 | CovarianceStructure::SpatialExponential => Some(Profile {
            s: 1,
            scaled: Vec::new(),
        }),
        CovarianceStructure::Toeplitz => Some(Profile {
            s: 0,
            scaled: (1..q).collect(),
        }),
        _ => None,
    }
}

impl Profile {
    /// φ from the scale-free parameters `psi` (entry `s` unused) and the scale `s2`.
    fn phi(&self, psi: &[f64], s2: f64) -> Vec<f64> {
        let mut phi = psi.to_vec();
        phi[self.s] = s2;
        for &k in &self.scaled {
            phi[k] = psi[k] * s2;
        }
        phi
    }

    /// The iterated (free) scale-free parameters of φ: all but the scale.
    fn free(&self, phi: &[f64]) -> Vec<f64> {
        (0..phi.len())
            .filter(|&k| k != self.s)
            .map(|k| {
                if self.scaled.contains(&k) {
                    phi[k] / phi[self.s]
                } else {
                    phi[k]
                }
            })
            .collect()
    }

    /// The scale-free parameters (entry `s` unused) from the free ones.
    fn expand(&self, x: &[f64]) -> Vec<f64> {
        let mut psi = Vec::with_capacity(x.len() + 1);
        psi.extend_from_slice(&x[..self.s]);
        psi.push(1.0);
        psi.extend_from_slice(&x[self.s..]);
        psi
    }
}

/// One iterate of SAS's iteration: the full evaluation at φ and the gradient and Hessians in
/// the iterated coordinates (φ itself, or the scale-free parameters with the residual variance
/// profiled out).
struct SasPoint {
    phi: Vec<f64>,
    ev: Evaluation,
    grad: DVector<f64>,
    h_obs: DMatrix<f64>,
    h_exp: DMatrix<f64>,
}

/// The profiled point at the scale-free parameters `psi`: the scale at its closed-form optimum
/// (`r'C⁻¹r / (N − p)` for REML, `/ N` for ML), gradient and Hessians of the profiled criterion
/// (Schur complement of the scale in the Hessian of `(ψ, s²)`).
fn profiled_point(problem: &Problem<'_>, prof: &Profile, psi: &[f64]) -> Option<SasPoint> {
    let agg = problem.agg;
    let dof = if problem.reml {
        agg.n_obs - agg.p
    } else {
        agg.n_obs
    } as f64;
    // The GLS residuals do not depend on the scale: r'C⁻¹r at scale 1 gives the profiled scale.
    let unit = problem.evaluate(&prof.phi(psi, 1.0), Level::Value)?;
    let s2 = unit.quad / dof;
    if !(s2.is_finite() && s2 > 0.0) {
        return None;
    }
    let phi = prof.phi(psi, s2);
    let ev = problem.evaluate(&phi, Level::Hessian)?;
    let q = phi.len();
    // u = (ψ, s²) → φ: φ_k = ψ_k s² (scaled), φ_s = s², others φ_k = ψ_k.
    let mut jac = DMatrix::<f64>::identity(q, q);
    for &k in &prof.scaled {
        jac[(k, k)] = s2;
        jac[(k, prof.s)] = psi[k];
    }
    let g_u = jac.transpose() * &ev.grad;
    let transform = |h: &DMatrix<f64>, with_curvature: bool| {
        let mut hu = jac.transpose() * h * &jac;
        if with_curvature {
            for &k in &prof.scaled {
                hu[(k, prof.s)] += ev.grad[k];
                hu[(prof.s, k)] += ev.grad[k];
            }
        }
        hu
    };
    let free: Vec<usize> = (0..q).filter(|&k| k != prof.s).collect();
    let schur = |hu: &DMatrix<f64>| -> Option<DMatrix<f64>> {
        let hss = hu[(prof.s, prof.s)];
        if hss.is_nan() || hss <= 0.0 {
            return None;
        }
        Some(DMatrix::from_fn(free.len(), free.len(), |a, b| {
            let (i, j) = (free[a], free[b]);
            hu[(i, j)] - hu[(i, prof.s)] * hu[(prof.s, j)] / hss
        }))
    };
    let h_obs = schur(&transform(&ev.h_obs, true))?;
    let h_exp = schur(&transform(&ev.h_exp, false))?;
    let grad = DVector::from_iterator(free.len(), free.iter().map(|&k| g_u[k]));
    Some(SasPoint {
        phi,
        ev,
        grad,
        h_obs,
        h_exp,
    })
}

/// SAS PROC MIXED's iteration (see [`super::CovarianceFit::SasIterations`]): Newton–Raphson
/// from `start` (Fisher scoring when the observed Hessian is not positive definite; the step
/// is halved only when it leaves the parameter space or increases the criterion), on the
/// profiled criterion where SAS profiles the residual variance ([`profile_of`]), stopped after
/// at least one step when `g'H⁻¹g / |f − c| < 1e-8`.
pub(crate) fn optimize_sas(
    problem: &Problem<'_>,
    start: Vec<f64>,
) -> Result<Optimum, OptimFailure> {
    let agg = problem.agg;
    let n_const = if problem.reml {
        agg.n_obs - agg.p
    } else {
        agg.n_obs
    };
    let c = n_const as f64 * (2.0 * std::f64::consts::PI).ln();
    let fail = |detail: String| OptimFailure { detail };
    let prof = profile_of(problem);
    // Iterated coordinates and the point they give (with its cost in evaluations).
    let (mut x, cost) = match &prof {
        Some(pr) => (pr.free(&start), 2),
        None => (start, 1),
    };
    let point = |x: &[f64]| -> Option<SasPoint> {
        match &prof {
            Some(pr) => profiled_point(problem, pr, &pr.expand(x)),
            None => {
                let ev = problem.evaluate(x, Level::Hessian)?;
                Some(SasPoint {
                    phi: x.to_vec(),
                    grad: ev.grad.clone(),
                    h_obs: ev.h_obs.clone(),
                    h_exp: ev.h_exp.clone(),
                    ev,
                })
            }
        }
    };
    let mut pt = point(&x)
        .ok_or_else(|| fail("the MIVQUE0 starting covariance is not positive definite".into()))?;
    let mut evaluations = cost;
    let mut history = vec![pt.ev.f];
    for iter in 0..MAX_ITER {
        let obs_pd = pt.h_obs.clone().cholesky().is_some();
        let dir = if obs_pd {
            newton_direction(&pt.h_obs, &pt.grad)
        } else {
            newton_direction(&pt.h_exp, &pt.grad)
        }
        .ok_or_else(|| {
            fail(format!(
                "iteration {iter}: neither the Hessian nor the information is positive definite"
            ))
        })?;
        let decrement = -pt.grad.dot(&dir);
        // SAS always takes at least one step from its starting values.
        if iter > 0 && obs_pd && decrement / (pt.ev.f - c).abs() < 1e-8 {
            let certificate = certify(&pt.ev, 1, iter, evaluations, history)
                .map_err(|_| fail("stopped where the Hessian is not positive definite".into()))?;
            return Ok(Optimum {
                phi: pt.phi,
                eval: pt.ev,
                certificate,
            });
        }
        let mut t = 1.0;
        let mut next = None;
        for _ in 0..40 {
            let trial: Vec<f64> = x.iter().zip(dir.iter()).map(|(a, d)| a + t * d).collect();
            evaluations += cost;
            if let Some(p) = point(&trial)
                && p.ev.f <= pt.ev.f
            {
                next = Some((trial, p));
                break;
            }
            t *= 0.5;
        }
        let (trial, p) =
            next.ok_or_else(|| fail(format!("iteration {iter}: no step decreases the criterion")))?;
        x = trial;
        pt = p;
        history.push(pt.ev.f);
    }
    Err(fail(format!("no convergence in {MAX_ITER} iterations")))
}
