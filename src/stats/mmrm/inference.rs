//! Degrees of freedom and adjusted covariance: Satterthwaite and Kenward–Roger, all from the
//! aggregated cross-products (cost independent of the number of subjects).
//!
//! Notation: `Φ = (X'Σ⁻¹X)⁻¹`, `P_k = X'Σ⁻¹ ∂_kΣ Σ⁻¹X`, `A = 2 H⁻¹` the asymptotic covariance of
//! the covariance parameters (`H` the observed Hessian of `-2 log L`).

use nalgebra::{DMatrix, DVector};

use super::aggregate::Aggregate;
use super::covariance::CovModel;

/// Satterthwaite df of a one-dimensional contrast `c`:
/// `ν = 2 (c'Φc)² / (g'Ag)`, `g_k = ∂(c'Φc)/∂φ_k = c'Φ P_k Φ c`.
pub(crate) fn satterthwaite_1d(
    c: &DVector<f64>,
    phi: &DMatrix<f64>,
    p_k: &[DMatrix<f64>],
    a: &DMatrix<f64>,
) -> f64 {
    let pc = phi * c;
    let var = c.dot(&pc);
    let g = DVector::from_iterator(p_k.len(), p_k.iter().map(|pk| pc.dot(&(pk * &pc))));
    let denom = g.dot(&(a * &g));
    2.0 * var * var / denom
}

/// Kenward–Roger df and F scale for a contrast matrix `l` (rows are contrasts), following
/// Kenward & Roger (1997) with the unadjusted `Φ` in `Θ = L'(LΦL')⁻¹L`.
pub(crate) fn kenward_roger_df(
    l: &DMatrix<f64>,
    phi: &DMatrix<f64>,
    p_k: &[DMatrix<f64>],
    w: &DMatrix<f64>,
) -> Option<(f64, f64)> {
    let nl = l.nrows() as f64;
    let lpl = l * phi * l.transpose();
    let inv = lpl.cholesky()?.inverse();
    let theta = l.transpose() * inv * l;
    let tv = &theta * phi;
    let mats: Vec<DMatrix<f64>> = p_k.iter().map(|pk| &tv * pk * phi).collect();
    let traces: Vec<f64> = mats.iter().map(|m| m.trace()).collect();
    let nt = p_k.len();
    let (mut a1, mut a2) = (0.0, 0.0);
    for i in 0..nt {
        for j in 0..nt {
            let wij = w[(i, j)];
            if wij == 0.0 {
                continue;
            }
            a1 += wij * traces[i] * traces[j];
            a2 += wij * mats[i].component_mul(&mats[j].transpose()).sum();
        }
    }
    let b = (a1 + 6.0 * a2) / (2.0 * nl);
    let e_star = 1.0 / (1.0 - a2 / nl);
    let g = ((nl + 1.0) * a1 - (nl + 4.0) * a2) / ((nl + 2.0) * a2);
    let denom = 3.0 * nl + 2.0 - 2.0 * g;
    let c1 = g / denom;
    let c2 = (nl - g) / denom;
    let c3 = (nl + 2.0 - g) / denom;
    let v_star = 2.0 / nl * (1.0 + c1 * b) / ((1.0 - c2 * b).powi(2) * (1.0 - c3 * b));
    let rho = v_star / (2.0 * e_star * e_star);
    let m = 4.0 + (nl + 2.0) / (nl * rho - 1.0);
    let lambda = m / (e_star * (m - 2.0));
    (m.is_finite() && lambda.is_finite() && m > 0.0).then_some((m, lambda))
}

/// Kenward–Roger adjusted covariance of β:
/// `Φ_A = Φ + 2 Φ [Σ_kl W_kl (Q_kl − P_k Φ P_l − R_kl / 4)] Φ`, with
/// `Q_kl = X'Σ⁻¹∂_kΣ Σ⁻¹∂_lΣ Σ⁻¹X` and `R_kl = X'Σ⁻¹∂²_klΣ Σ⁻¹X` (dropped for KR-linear).
///
/// The weighted sums over `(k, l)` are formed per block on the `m × m` level first, so the
/// `p × p` work per block is done once.
pub(crate) fn kenward_roger_vcov(
    agg: &Aggregate,
    model: &CovModel,
    params: &[f64],
    phi: &DMatrix<f64>,
    p_k: &[DMatrix<f64>],
    w: &DMatrix<f64>,
    linear: bool,
) -> Option<DMatrix<f64>> {
    let p = agg.p;
    let pp = p * p;
    let q = model.n_par;
    let mut lam = vec![0.0; pp];
    let mut sigmas = Vec::new();
    let mut d1 = Vec::new();
    let mut d2 = Vec::new();
    for g in 0..agg.n_groups {
        let ph = params.get(g * q..(g + 1) * q)?;
        sigmas.push(model.sigma(ph));
        d1.push(model.d_sigma(ph));
        d2.push(if linear {
            Vec::new()
        } else {
            model.d2_sigma(ph)
        });
    }
    for blk in &agg.blocks {
        let m = blk.m();
        let g = blk.group;
        let ph = params.get(g * q..(g + 1) * q)?;
        let dist = blk.dist.as_ref();
        let sub = model.block_sigma(ph, &sigmas[g], &blk.visits, dist);
        let wb = sub.cholesky()?.inverse();
        let bks: Vec<(usize, DMatrix<f64>)> = model
            .block_d_sigma(ph, &d1[g], &blk.visits, dist)
            .into_iter()
            .map(|(k, a)| (g * q + k, &wb * a))
            .collect();
        let d2_blk = if linear {
            Vec::new()
        } else {
            model.block_d2_sigma(ph, &d2[g], &blk.visits, dist)
        };
        // C = Σ_kl W_kl B_k B_l W − ¼ Σ_kl W_kl W A_kl W
        let mut inner = DMatrix::<f64>::zeros(m, m);
        for (k, bk) in &bks {
            for (l, bl) in &bks {
                let wkl = w[(*k, *l)];
                if wkl != 0.0 {
                    inner += bk * bl * wkl;
                }
            }
        }
        let mut c = &inner * &wb;
        for (k, l, a) in &d2_blk {
            let wkl = w[(g * q + k, g * q + l)] * if k == l { 1.0 } else { 2.0 };
            if wkl != 0.0 {
                c -= (&wb * a * &wb) * (0.25 * wkl);
            }
        }
        for j in 0..m {
            for k in 0..m {
                let cjk = c[(j, k)];
                if cjk == 0.0 {
                    continue;
                }
                let base = j * m + k;
                for (acc, x) in lam.iter_mut().zip(&blk.sxx[base * pp..(base + 1) * pp]) {
                    *acc += cjk * x;
                }
            }
        }
    }
    let mut lambda = DMatrix::from_vec(p, p, lam);
    // Symmetrize (Q_kl alone is not symmetric; the weighted sum is, up to rounding).
    lambda = (&lambda + lambda.transpose()) * 0.5;
    let php: Vec<DMatrix<f64>> = p_k.iter().map(|pk| phi * pk).collect();
    for k in 0..p_k.len() {
        for l in 0..p_k.len() {
            let wkl = w[(k, l)];
            if wkl != 0.0 {
                lambda -= &p_k[k] * &php[l] * wkl;
            }
        }
    }
    let adj = phi + phi * lambda * phi * 2.0;
    Some((&adj + adj.transpose()) * 0.5)
}

/// Multi-dimensional Satterthwaite df (Fai & Cornelius 1996): eigen-decompose `LΦL'`, take
/// the one-dimensional df `ν_m` of each eigen-contrast, `E = Σ_{ν_m>2} ν_m/(ν_m−2)`, and
/// `ν = 2E/(E − q)` when `E > q`, otherwise the smallest `ν_m`.
pub(crate) fn satterthwaite_md(
    l: &DMatrix<f64>,
    phi: &DMatrix<f64>,
    p_k: &[DMatrix<f64>],
    a: &DMatrix<f64>,
) -> f64 {
    let lpl = l * phi * l.transpose();
    let eig = lpl.symmetric_eigen();
    let q = l.nrows() as f64;
    let mut e = 0.0;
    let mut min_nu = f64::INFINITY;
    for i in 0..l.nrows() {
        let v = eig.eigenvectors.column(i);
        let c = l.transpose() * v;
        let nu = satterthwaite_1d(&c, phi, p_k, a);
        min_nu = min_nu.min(nu);
        if nu > 2.0 {
            e += nu / (nu - 2.0);
        }
    }
    if e > q { 2.0 * e / (e - q) } else { min_nu }
}
