//! The robust (Lin–Wei sandwich) variance of a Cox model: score residuals, their sums by
//! cluster, the sandwich `V (Σ_c U_c U_cᵀ) V` and the robust score test.

use nalgebra::DMatrix;

use super::cox::Ties;
use super::cox_data::CoxData;
use super::cox_likelihood::Prepared;
use super::cox_newton::solve;
use crate::stats::ChiSquareTest;

/// The sandwich variance and what goes with it.
pub(super) struct RobustVariance {
    /// `V (Σ_c U_c U_cᵀ) V` with `V` the inverse information.
    pub(super) variance: DMatrix<f64>,
    /// Robust score test of all coefficients zero (when its middle matrix is invertible).
    pub(super) score: Option<ChiSquareTest>,
    /// Number of clusters (one per subject unless clusters are given).
    pub(super) n_clusters: usize,
}

/// The sandwich variance at `beta` with the model-based variance `naive`, and the robust
/// score test at zero; clusters are the data's, or one per subject.
pub(super) fn robust_variance(
    pr: &Prepared,
    data: &CoxData<'_>,
    beta: &[f64],
    naive: &DMatrix<f64>,
    ties: Ties,
) -> RobustVariance {
    let p = pr.p;
    let (cl, nc) = match &data.cluster {
        Some(c) => (Some(c.as_slice()), data.n_clusters),
        None => (None, data.time.len()),
    };
    let resid = score_residuals(pr, beta, ties);
    let uc = collapse(pr, &resid, cl, nc);
    let meat = uc.transpose() * &uc;
    let variance = naive * meat * naive;
    let resid0 = score_residuals(pr, &vec![0.0; p], ties);
    let u0c = collapse(pr, &resid0, cl, nc);
    let u0: Vec<f64> = (0..p).map(|j| u0c.column(j).sum()).collect();
    let m0 = u0c.transpose() * &u0c;
    let score = solve(&m0, &u0).map(|(s, _)| {
        let stat = u0.iter().zip(s.iter()).map(|(a, b)| a * b).sum::<f64>();
        ChiSquareTest::new("Robust score test", stat, p as f64)
    });
    RobustVariance {
        variance,
        score,
        n_clusters: nc,
    }
}

/// Score residuals (sorted order, row-major `n × p`) at `beta`.
fn score_residuals(pr: &Prepared, beta: &[f64], ties: Ties) -> Vec<f64> {
    let (_, risk) = pr.risk(beta);
    let increments = hazard_increments(pr, &risk, ties);
    residuals_from_increments(pr, &risk, &increments)
}

/// Width of the per-tie-group record of [`hazard_increments`].
fn increment_width(p: usize) -> usize {
    2 + 3 * p
}

/// Backward pass: per tie group with deaths, the hazard increments for survivors (`h1`, then
/// `hx`, `p` entries) and for the dying (`h1d`, `hxd`), and the mean of the Efron risk-set
/// means (`xbar`), stored as `[h1, h1d, hx…, hxd…, xbar…]`.
fn hazard_increments(pr: &Prepared, risk: &[f64], ties: Ties) -> Vec<f64> {
    let p = pr.p;
    let width = increment_width(p);
    let mut store = vec![0.0; pr.groups.len() * width];
    let mut denom = 0.0;
    let mut a = vec![0.0; p];
    let mut a2 = vec![0.0; p];
    for (gi, g) in pr.groups.iter().enumerate().rev() {
        let mut denom2 = 0.0;
        for (i, &r) in (g.start..g.end).zip(&risk[g.start..g.end]) {
            let r = r * pr.weight[i];
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
            // coxph: the deaths' total weight (Breslow) or their mean weight per Efron step
            let weight = if terms == 1 {
                g.dead_weight
            } else {
                g.dead_weight / d as f64
            };
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
    store
}

/// Forward pass: each row's score residual from the hazard increments cumulated up to its
/// time (its own tie group with the survivor or dying share).
fn residuals_from_increments(pr: &Prepared, risk: &[f64], store: &[f64]) -> Vec<f64> {
    let p = pr.p;
    let n = pr.time.len();
    let width = increment_width(p);
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
                // weighted residuals (coxph's `residuals(type = "dfbeta", weighted = TRUE)`)
                out[j] = pr.weight[i] * v;
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
