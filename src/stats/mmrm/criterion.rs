//! The REML/ML criterion with β profiled out, its analytic gradient and its observed and
//! expected Hessians.
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

use super::aggregate::{Aggregate, Block};
use super::covariance::CovModel;

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
    /// `(X'Σ⁻¹X)⁻¹`.
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

/// The block inverses and the generalized least-squares fit they give.
struct Gls {
    /// `W_b = Σ_b⁻¹` of every block.
    w_blocks: Vec<DMatrix<f64>>,
    /// `Σ_b n_b log|Σ_b|`, summed in block order.
    logdet: f64,
    beta: DVector<f64>,
    /// `(X'Σ⁻¹X)⁻¹`.
    m_inv: DMatrix<f64>,
    /// `log|X'Σ⁻¹X|`.
    logdet_m: f64,
}

/// Terms of the gradient that the Hessians reuse.
struct GradientTerms {
    /// `G` embedded in the visits, per group (structures over visits).
    g_full: Vec<DMatrix<f64>>,
    /// `W_b (S_b + T_b)` per block.
    u_blocks: Vec<DMatrix<f64>>,
    /// `W_b T_b` per block.
    wt_blocks: Vec<DMatrix<f64>>,
    /// Spatial blocks: `G_b` and `∂Σ_b/∂φ_k` (their Σ is not a restriction of one matrix).
    spatial_g: Vec<Option<SpatialBlock>>,
    /// `∂Σ/∂φ_k` over the visits, per group (empty for spatial structures).
    dsig: Vec<Vec<DMatrix<f64>>>,
}

/// `P_k` (row-major `p × p`, before it becomes a matrix) and `h_k = X'Σ⁻¹ ∂_kΣ Σ⁻¹ r`, summed
/// over the blocks.
struct FixedEffectTerms {
    p_k: Vec<Vec<f64>>,
    h_k: Vec<DVector<f64>>,
}

impl Problem<'_> {
    pub fn n_theta(&self) -> usize {
        self.model.n_par * self.agg.n_groups
    }

    /// The parameters of covariance group `g`.
    fn group_phi<'p>(&self, phi: &'p [f64], g: usize) -> &'p [f64] {
        let q = self.model.n_par;
        &phi[g * q..(g + 1) * q]
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
        let sigmas = self.sigmas(phi)?;
        let Gls {
            w_blocks,
            logdet,
            beta,
            m_inv,
            logdet_m,
        } = self.gls(phi, &sigmas)?;
        let (s_blocks, f, quad) = self.criterion(&w_blocks, &beta, logdet, logdet_m);
        if !f.is_finite() {
            return None;
        }
        let nt = self.n_theta();
        let mut ev = Evaluation {
            f,
            beta,
            m_inv,
            grad: DVector::zeros(nt),
            h_obs: DMatrix::zeros(nt, nt),
            h_exp: DMatrix::zeros(nt, nt),
            p_k: Vec::new(),
            quad,
        };
        if level == Level::Value {
            return Some(ev);
        }
        let terms = self.gradient(phi, &w_blocks, &s_blocks, &mut ev);
        if level == Level::Gradient {
            return Some(ev);
        }
        self.hessians(phi, &w_blocks, &terms, &mut ev);
        Some(ev)
    }

    /// Inverts every block's covariance and solves the GLS normal equations
    /// `(Σ_b Σ_jk W_b,jk Sxx_b[j,k]) β = Σ_b Σ_jk W_b,jk Sxy_b[j,k]`.
    fn gls(&self, phi: &[f64], sigmas: &[DMatrix<f64>]) -> Option<Gls> {
        let agg = self.agg;
        let p = agg.p;
        let pp = p * p;
        let mut w_blocks = Vec::with_capacity(agg.blocks.len());
        let mut mflat = vec![0.0; pp];
        let mut u = vec![0.0; p];
        let mut logdet_sum = 0.0;
        for blk in &agg.blocks {
            let m = blk.m();
            let s = &sigmas[blk.group];
            let ph = self.group_phi(phi, blk.group);
            let sub = self
                .model
                .block_sigma(ph, s, &blk.visits, blk.dist.as_ref());
            let ch = sub.cholesky()?;
            let logdet = 2.0 * ch.l_dirty().diagonal().iter().map(|x| x.ln()).sum::<f64>();
            let w = ch.inverse();
            logdet_sum += blk.n as f64 * logdet;
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
        Some(Gls {
            w_blocks,
            logdet: logdet_sum,
            beta,
            m_inv,
            logdet_m,
        })
    }

    /// The residual cross-products `S_b` per block, the criterion `f` (added up from
    /// `logdet = Σ_b n_b log|Σ_b|`, the quadratic forms and the constants) and `r'V⁻¹r`.
    fn criterion(
        &self,
        w_blocks: &[DMatrix<f64>],
        beta: &DVector<f64>,
        logdet: f64,
        logdet_m: f64,
    ) -> (Vec<DMatrix<f64>>, f64, f64) {
        let agg = self.agg;
        let mut f = logdet;
        let mut s_blocks = Vec::with_capacity(agg.blocks.len());
        let mut quad_total = 0.0;
        for (blk, w) in agg.blocks.iter().zip(w_blocks) {
            let sm = blk.residual_cross_products(beta.as_slice());
            let q_b = (w.component_mul(&sm)).sum();
            f += q_b;
            quad_total += q_b;
            s_blocks.push(sm);
        }
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        f += agg.n_obs as f64 * ln2pi;
        if self.reml {
            f += logdet_m - agg.p as f64 * ln2pi;
        }
        (s_blocks, f, quad_total)
    }

    /// Fills `ev.grad`: per block `G_b = n_b W_b − W_b (S_b + T_b) W_b` (with `T_b` for REML
    /// only), paired with `∂Σ_b` directly for spatial blocks and embedded in the visits
    /// otherwise.
    fn gradient(
        &self,
        phi: &[f64],
        w_blocks: &[DMatrix<f64>],
        s_blocks: &[DMatrix<f64>],
        ev: &mut Evaluation,
    ) -> GradientTerms {
        let agg = self.agg;
        let q = self.model.n_par;
        let v = agg.n_visits;
        let mut g_full = vec![DMatrix::<f64>::zeros(v, v); agg.n_groups];
        let mut u_blocks = Vec::with_capacity(agg.blocks.len());
        let mut wt_blocks = Vec::with_capacity(agg.blocks.len());
        let mut spatial_g: Vec<Option<SpatialBlock>> = Vec::with_capacity(agg.blocks.len());
        let minv = ev.m_inv.as_slice().to_vec();
        for ((blk, w), sm) in agg.blocks.iter().zip(w_blocks).zip(s_blocks) {
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
                    self.group_phi(phi, g),
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
        let dsig = self.group_gradient(phi, &g_full, &mut ev.grad);
        GradientTerms {
            g_full,
            u_blocks,
            wt_blocks,
            spatial_g,
            dsig,
        }
    }

    /// Gradient entries `⟨G, ∂Σ/∂φ_k⟩` of structures over visits, per group; returns the
    /// derivatives `∂Σ/∂φ_k` (empty for spatial structures, whose gradient is per block).
    fn group_gradient(
        &self,
        phi: &[f64],
        g_full: &[DMatrix<f64>],
        grad: &mut DVector<f64>,
    ) -> Vec<Vec<DMatrix<f64>>> {
        let q = self.model.n_par;
        let mut dsig = Vec::with_capacity(self.agg.n_groups);
        for g in 0..self.agg.n_groups {
            if self.model.is_spatial() {
                dsig.push(Vec::new());
                continue;
            }
            let d = self.model.d_sigma(self.group_phi(phi, g));
            for (k, dk) in d.iter().enumerate() {
                grad[g * q + k] = g_full[g].component_mul(dk).sum();
            }
            dsig.push(d);
        }
        dsig
    }

    /// Fills the observed and expected Hessians and `ev.p_k`: block terms, second-derivative
    /// terms `⟨∂²Σ_kl, G⟩`, then the fixed-effects corrections.
    fn hessians(
        &self,
        phi: &[f64],
        w_blocks: &[DMatrix<f64>],
        terms: &GradientTerms,
        ev: &mut Evaluation,
    ) {
        let p = self.agg.p;
        let q = self.model.n_par;
        let nt = self.n_theta();
        let mut fixed = FixedEffectTerms {
            p_k: vec![vec![0.0; p * p]; nt],
            h_k: vec![DVector::<f64>::zeros(p); nt],
        };
        for (bi, blk) in self.agg.blocks.iter().enumerate() {
            let w = &w_blocks[bi];
            let g = blk.group;
            let restricted;
            let d1 = match &terms.spatial_g[bi] {
                Some((_, d1)) => d1,
                None => {
                    restricted = self
                        .model
                        .block_d_sigma(&[], &terms.dsig[g], &blk.visits, None);
                    &restricted
                }
            };
            let bks: Vec<(usize, DMatrix<f64>)> =
                d1.iter().map(|(k, a)| (g * q + k, w * a)).collect();
            add_block_hessians(
                blk.n as f64,
                &bks,
                &terms.u_blocks[bi],
                &terms.wt_blocks[bi],
                ev,
            );
            add_block_fixed_effect_terms(blk, w, &bks, &ev.beta, &mut fixed);
        }
        self.add_second_derivative_terms(phi, terms, &mut ev.h_obs);
        self.add_fixed_effect_corrections(fixed, ev);
    }

    /// Adds `⟨∂²Σ/∂φ_k∂φ_l, G⟩` to the observed Hessian: per block for spatial structures,
    /// per group otherwise.
    fn add_second_derivative_terms(
        &self,
        phi: &[f64],
        terms: &GradientTerms,
        h_obs: &mut DMatrix<f64>,
    ) {
        let q = self.model.n_par;
        let mut add = |g: usize, k: usize, l: usize, val: f64| {
            h_obs[(g * q + k, g * q + l)] += val;
            if k != l {
                h_obs[(g * q + l, g * q + k)] += val;
            }
        };
        for (blk, sg) in self.agg.blocks.iter().zip(&terms.spatial_g) {
            let Some((gb, _)) = sg else {
                continue;
            };
            let g = blk.group;
            let ph = self.group_phi(phi, g);
            for (k, l, d2) in self
                .model
                .block_d2_sigma(ph, &[], &blk.visits, blk.dist.as_ref())
            {
                add(g, k, l, gb.component_mul(&d2).sum());
            }
        }
        for (g, gf) in terms.g_full.iter().enumerate() {
            if self.model.is_spatial() {
                continue;
            }
            for (k, l, d2) in self.model.d2_sigma(self.group_phi(phi, g)) {
                add(g, k, l, gf.component_mul(&d2).sum());
            }
        }
    }

    /// Subtracts `2 h_k'M⁻¹h_l` (and, for REML, `tr(M⁻¹P_k M⁻¹P_l)`) from the observed Hessian,
    /// adds the trace to the expected one, and stores `P_k` in `ev`.
    fn add_fixed_effect_corrections(&self, fixed: FixedEffectTerms, ev: &mut Evaluation) {
        let p = self.agg.p;
        let nt = self.n_theta();
        let FixedEffectTerms { p_k, h_k } = fixed;
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
    }
}

/// Adds one block's terms of the Hessians: with `B_k = W ∂_kΣ`, observed
/// `−n tr(B_k B_l) + 2 tr(U B_k B_l)` and expected `n tr(B_k B_l) − 2 tr(W T B_k B_l)`, where
/// `U = W (S + T)` and `wt = W T`.
fn add_block_hessians(
    n: f64,
    bks: &[(usize, DMatrix<f64>)],
    uu: &DMatrix<f64>,
    wt: &DMatrix<f64>,
    ev: &mut Evaluation,
) {
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
    }
}

/// Adds one block's `P_k = Σ_jk (B_k W)_jk Sxx[j,k]` and `h_k = Σ_jk (B_k W)_jk E[j,k]` (with
/// `W A_k W = B_k W`).
fn add_block_fixed_effect_terms(
    blk: &Block,
    w: &DMatrix<f64>,
    bks: &[(usize, DMatrix<f64>)],
    beta: &DVector<f64>,
    fixed: &mut FixedEffectTerms,
) {
    let m = blk.m();
    let p = beta.len();
    let pp = p * p;
    let e_blk = residual_x_products(blk, beta);
    for (kx, bx) in bks {
        let bw = bx * w;
        let pk = &mut fixed.p_k[*kx];
        let hk = &mut fixed.h_k[*kx];
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

/// `E[j,k] = Sxy[j,k] − Sxx[j,k] β` (`Σ_i x_ij r_ik`) of a block, `m·m` blocks of `p`.
fn residual_x_products(blk: &Block, beta: &DVector<f64>) -> Vec<f64> {
    let m = blk.m();
    let p = beta.len();
    let pp = p * p;
    let mut e_blk = vec![0.0; m * m * p];
    for base in 0..m * m {
        let sx = &blk.sxx[base * pp..(base + 1) * pp];
        for a in 0..p {
            let row = &sx[a * p..(a + 1) * p];
            let t: f64 = row.iter().zip(beta.iter()).map(|(x, b)| x * b).sum();
            e_blk[base * p + a] = blk.sxy[base * p + a] - t;
        }
    }
    e_blk
}
