//! REML/ML criterion with β profiled out, its analytic gradient and Hessians, and the
//! Newton / Fisher-scoring optimizer with its documented fallback.
//!
//! All quantities are computed from the block cross-products of [`super::aggregate`]. With
//! `W_b = Σ_b⁻¹` for the visits of block `b`, `n_b` its subjects and `S_b(β) = Σ_i r_i r_i'`,
//!
//! ```text
//! -2 l_ML   = Σ_b [n_b log|Σ_b| + tr(W_b S_b)] + N log 2π
//! -2 l_REML = -2 l_ML + log|X'Σ⁻¹X| - p log 2π
//! ```
//!
//! with `X'Σ⁻¹X = Σ_b Σ_jk W_b,jk Sxx_b[j,k]`. The gradient is `⟨G, ∂Σ/∂φ_k⟩` with
//! `G = Σ_b embed(n_b W_b − W_b (S_b + T_b) W_b)` and `T_b,jk = tr(M⁻¹ Sxx_b[j,k])` (REML only).

use nalgebra::{DMatrix, DVector};

use super::aggregate::Aggregate;
use super::covariance::{CovModel, CovarianceStructure};

/// `G_b` and `∂Σ_b/∂φ_k` of a spatial block.
type SpatialBlock = (DMatrix<f64>, Vec<(usize, DMatrix<f64>)>);

/// What an evaluation must compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Value,
    Gradient,
    Hessian,
}

/// The estimation problem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Problem<'a> {
    pub agg: &'a Aggregate,
    pub model: &'a CovModel,
    pub reml: bool,
}

/// One evaluation of the criterion.
#[derive(Debug, Clone)]
pub(crate) struct Evaluation {
    /// `-2 log L` (REML or ML).
    pub f: f64,
    pub beta: DVector<f64>,
    /// `X'Σ⁻¹X`.
    pub m_inv: DMatrix<f64>,
    pub grad: DVector<f64>,
    /// Observed Hessian of `f`.
    pub h_obs: DMatrix<f64>,
    /// Expected Hessian of `f` (Fisher information × 2).
    pub h_exp: DMatrix<f64>,
    /// `P_k = X'Σ⁻¹ ∂Σ/∂φ_k Σ⁻¹X`.
    pub p_k: Vec<DMatrix<f64>>,
    /// `r'V⁻¹r` with `r` the GLS residuals.
    pub quad: f64,
}

impl Problem<'_> {
    pub fn n_theta(&self) -> usize {
        self.model.n_par * self.agg.n_groups
    }

    /// Covariance matrices of each group, or `None` outside the parameter space.
    pub fn sigmas(&self, phi: &[f64]) -> Option<Vec<DMatrix<f64>>> {
        let q = self.model.n_par;
        let mut out = Vec::with_capacity(self.agg.n_groups);
        for g in 0..self.agg.n_groups {
            let ph = phi.get(g * q..(g + 1) * q)?;
            if !self.model.admissible(ph) {
                return None;
            }
            let s = self.model.sigma(ph);
            s.clone().cholesky()?;
            out.push(s);
        }
        Some(out)
    }

    /// Evaluates the criterion (and derivatives) at `phi`; `None` outside the parameter space
    /// or when `X'Σ⁻¹X` is singular.
    pub fn evaluate(&self, phi: &[f64], level: Level) -> Option<Evaluation> {
        let agg = self.agg;
        let p = agg.p;
        let pp = p * p;
        let q = self.model.n_par;
        let nt = self.n_theta();
        let sigmas = self.sigmas(phi)?;
        let mut w_blocks = Vec::with_capacity(agg.blocks.len());
        let mut mflat = vec![0.0; pp];
        let mut u = vec![0.0; p];
        let mut f = 0.0;
        for blk in &agg.blocks {
            let m = blk.m();
            let s = &sigmas[blk.group];
            let ph = &phi[blk.group * q..(blk.group + 1) * q];
            let sub = self
                .model
                .block_sigma(ph, s, &blk.visits, blk.dist.as_ref());
            let ch = sub.cholesky()?;
            let logdet = 2.0 * ch.l_dirty().diagonal().iter().map(|x| x.ln()).sum::<f64>();
            let w = ch.inverse();
            f += blk.n as f64 * logdet;
            for j in 0..m {
                for k in 0..m {
                    let wjk = w[(j, k)];
                    let base = j * m + k;
                    let sx = &blk.sxx[base * pp..(base + 1) * pp];
                    for (acc, x) in mflat.iter_mut().zip(sx) {
                        *acc += wjk * x;
                    }
                    let sy = &blk.sxy[base * p..(base + 1) * p];
                    for (acc, x) in u.iter_mut().zip(sy) {
                        *acc += wjk * x;
                    }
                }
            }
            w_blocks.push(w);
        }
        let mmat = DMatrix::from_vec(p, p, mflat);
        let mch = mmat.clone().cholesky()?;
        let beta = mch.solve(&DVector::from_vec(u));
        let m_inv = mch.inverse();
        let logdet_m = 2.0 * mch.l_dirty().diagonal().iter().map(|x| x.ln()).sum::<f64>();
        // Residual cross-products per block.
        let mut s_blocks = Vec::with_capacity(agg.blocks.len());
        let mut quad_total = 0.0;
        for (blk, w) in agg.blocks.iter().zip(&w_blocks) {
            let sm = blk.residual_cross_products(beta.as_slice());
            let q_b = (w.component_mul(&sm)).sum();
            f += q_b;
            quad_total += q_b;
            s_blocks.push(sm);
        }
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        f += agg.n_obs as f64 * ln2pi;
        if self.reml {
            f += logdet_m - p as f64 * ln2pi;
        }
        let mut ev = Evaluation {
            f,
            beta,
            m_inv,
            grad: DVector::zeros(nt),
            h_obs: DMatrix::zeros(nt, nt),
            h_exp: DMatrix::zeros(nt, nt),
            p_k: Vec::new(),
            quad: quad_total,
        };
        if !f.is_finite() {
            return None;
        }
        if level == Level::Value {
            return Some(ev);
        }
        // T_b (REML) and G.
        let v = agg.n_visits;
        let mut g_full = vec![DMatrix::<f64>::zeros(v, v); agg.n_groups];
        let mut u_blocks = Vec::with_capacity(agg.blocks.len());
        let mut wt_blocks = Vec::with_capacity(agg.blocks.len());
        // Spatial blocks: G_b and ∂Σ_b per block (their Σ is not a restriction of one matrix).
        let mut spatial_g: Vec<Option<SpatialBlock>> = Vec::with_capacity(agg.blocks.len());
        let minv = ev.m_inv.as_slice().to_vec();
        for ((blk, w), sm) in agg.blocks.iter().zip(&w_blocks).zip(&s_blocks) {
            let m = blk.m();
            let t = if self.reml {
                blk.trace_products(&minv)
            } else {
                DMatrix::zeros(m, m)
            };
            let uu = w * (sm + &t);
            let gb = w * blk.n as f64 - &uu * w;
            if blk.dist.is_some() {
                let g = blk.group;
                let d1 = self.model.block_d_sigma(
                    &phi[g * q..(g + 1) * q],
                    &[],
                    &blk.visits,
                    blk.dist.as_ref(),
                );
                for (k, dk) in &d1 {
                    ev.grad[g * q + k] += gb.component_mul(dk).sum();
                }
                spatial_g.push(Some((gb, d1)));
            } else {
                let gf = &mut g_full[blk.group];
                for j in 0..m {
                    for k in 0..m {
                        gf[(blk.visits[j], blk.visits[k])] += gb[(j, k)];
                    }
                }
                spatial_g.push(None);
            }
            u_blocks.push(uu);
            wt_blocks.push(w * t);
        }
        let mut dsig = Vec::with_capacity(agg.n_groups);
        for g in 0..agg.n_groups {
            if self.model.is_spatial() {
                dsig.push(Vec::new());
                continue;
            }
            let ph = &phi[g * q..(g + 1) * q];
            let d = self.model.d_sigma(ph);
            for (k, dk) in d.iter().enumerate() {
                ev.grad[g * q + k] = g_full[g].component_mul(dk).sum();
            }
            dsig.push(d);
        }
        if level == Level::Gradient {
            return Some(ev);
        }
        // Hessians and P_k.
        let mut p_k = vec![vec![0.0; pp]; nt];
        let mut h_k = vec![DVector::<f64>::zeros(p); nt];
        for (bi, blk) in agg.blocks.iter().enumerate() {
            let m = blk.m();
            let w = &w_blocks[bi];
            let g = blk.group;
            let restricted;
            let d1 = match &spatial_g[bi] {
                Some((_, d1)) => d1,
                None => {
                    restricted = self.model.block_d_sigma(&[], &dsig[g], &blk.visits, None);
                    &restricted
                }
            };
            let bks: Vec<(usize, DMatrix<f64>)> =
                d1.iter().map(|(k, a)| (g * q + k, w * a)).collect();
            // E[j,k] = Sxy[j,k] − Sxx[j,k] β  (Σ_i x_ij r_ik), once per block.
            let mut e_blk = vec![0.0; m * m * p];
            for base in 0..m * m {
                let sx = &blk.sxx[base * pp..(base + 1) * pp];
                for a in 0..p {
                    let row = &sx[a * p..(a + 1) * p];
                    let t: f64 = row.iter().zip(ev.beta.iter()).map(|(x, b)| x * b).sum();
                    e_blk[base * p + a] = blk.sxy[base * p + a] - t;
                }
            }
            let n = blk.n as f64;
            let uu = &u_blocks[bi];
            let wt = &wt_blocks[bi];
            let cks: Vec<DMatrix<f64>> = bks.iter().map(|(_, b)| uu * b).collect();
            let dks: Vec<DMatrix<f64>> = bks.iter().map(|(_, b)| wt * b).collect();
            for (x, (kx, bx)) in bks.iter().enumerate() {
                for (y, (ky, by)) in bks.iter().enumerate().skip(x) {
                    let tr_bb = bx.component_mul(&by.transpose()).sum();
                    let tr_cb = cks[x].component_mul(&by.transpose()).sum();
                    let tr_db = dks[x].component_mul(&by.transpose()).sum();
                    let ho = -n * tr_bb + 2.0 * tr_cb;
                    let he = n * tr_bb - 2.0 * tr_db;
                    ev.h_obs[(*kx, *ky)] += ho;
                    ev.h_exp[(*kx, *ky)] += he;
                    if x != y {
                        ev.h_obs[(*ky, *kx)] += ho;
                        ev.h_exp[(*ky, *kx)] += he;
                    }
                }
                // P_k and h_k with W A_k W = B_k W.
                let bw = bx * w;
                let pk = &mut p_k[*kx];
                let hk = &mut h_k[*kx];
                for j in 0..m {
                    for k in 0..m {
                        let c = bw[(j, k)];
                        if c == 0.0 {
                            continue;
                        }
                        let base = j * m + k;
                        let sx = &blk.sxx[base * pp..(base + 1) * pp];
                        for (acc, s) in pk.iter_mut().zip(sx) {
                            *acc += c * s;
                        }
                        let e = &e_blk[base * p..(base + 1) * p];
                        for a in 0..p {
                            hk[a] += c * e[a];
                        }
                    }
                }
            }
        }
        // Second-derivative terms ⟨∂²Σ_kl, G⟩.
        for (blk, sg) in agg.blocks.iter().zip(&spatial_g) {
            let Some((gb, _)) = sg else {
                continue;
            };
            let g = blk.group;
            let ph = &phi[g * q..(g + 1) * q];
            for (k, l, d2) in self
                .model
                .block_d2_sigma(ph, &[], &blk.visits, blk.dist.as_ref())
            {
                let val = gb.component_mul(&d2).sum();
                ev.h_obs[(g * q + k, g * q + l)] += val;
                if k != l {
                    ev.h_obs[(g * q + l, g * q + k)] += val;
                }
            }
        }
        for (g, gf) in g_full.iter().enumerate() {
            if self.model.is_spatial() {
                continue;
            }
            let ph = &phi[g * q..(g + 1) * q];
            for (k, l, d2) in self.model.d2_sigma(ph) {
                let val = gf.component_mul(&d2).sum();
                ev.h_obs[(g * q + k, g * q + l)] += val;
                if k != l {
                    ev.h_obs[(g * q + l, g * q + k)] += val;
                }
            }
        }
        let p_mats: Vec<DMatrix<f64>> = p_k
            .into_iter()
            .map(|x| DMatrix::from_vec(p, p, x))
            .collect();
        let mp: Vec<DMatrix<f64>> = p_mats.iter().map(|pk| &ev.m_inv * pk).collect();
        let mh: Vec<DVector<f64>> = h_k.iter().map(|h| &ev.m_inv * h).collect();
        for k in 0..nt {
            for l in k..nt {
                let corr = 2.0 * h_k[k].dot(&mh[l]);
                let tr = if self.reml {
                    mp[k].component_mul(&mp[l].transpose()).sum()
                } else {
                    0.0
                };
                ev.h_obs[(k, l)] -= corr + tr;
                ev.h_exp[(k, l)] += tr;
                if k != l {
                    ev.h_obs[(l, k)] -= corr + tr;
                    ev.h_exp[(l, k)] += tr;
                }
            }
        }
        ev.p_k = p_mats;
        Some(ev)
    }
}

/// How the optimizer reached its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

const MAX_ITER: usize = 200;

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

fn newton_direction(h: &DMatrix<f64>, g: &DVector<f64>) -> Option<DVector<f64>> {
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
fn certify(
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
    let agg = problem.agg;
    if problem.model.is_spatial() {
        return None;
    }
    let (p, v, ng) = (agg.p, agg.n_visits, agg.n_groups);
    let pp = p * p;
    let un;
    let lin: &CovModel = if problem.model.is_linear() {
        problem.model
    } else {
        un = CovModel::new(CovarianceStructure::Unstructured, v);
        &un
    };
    let q = lin.n_par;
    let nt = q * ng;
    let basis = lin.d_sigma(&vec![0.0; q]);
    let m_inv = xtx.inverse();
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
    let ma: Vec<DMatrix<f64>> = a_mats.iter().map(|a| &m_inv * a).collect();
    for a in 0..nt {
        for b in 0..nt {
            if problem.reml {
                t[(a, b)] += ma[a].component_mul(&ma[b].transpose()).sum();
            }
        }
    }
    let theta = t.lu().solve(&u)?;
    if theta.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mut out = Vec::with_capacity(problem.n_theta());
    for g in 0..ng {
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
