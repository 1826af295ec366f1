//! Starting values of the covariance parameters: ordinary least squares (with the rank check
//! of the design), the empirical covariance of its residuals made positive definite, and the
//! typical within-subject distance that sets the starting range of spatial structures.

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

use super::aggregate::Aggregate;
use super::covariance::{CovModel, CovarianceStructure};
use crate::stats::{Refusal, RefusalReason};

/// Ordinary least squares and the empirical covariance of its residuals.
pub(super) struct OlsStart {
    /// OLS estimate of β.
    pub beta: DVector<f64>,
    /// Cholesky factor of `X'X`.
    pub xtx: Cholesky<f64, Dyn>,
    /// Per covariance group, the empirical covariance of the OLS residuals over the visits,
    /// made positive definite.
    pub empirical: Vec<DMatrix<f64>>,
    /// Pooled residual variance `RSS / (N − p)` (at least `1e-12`).
    pub pooled: f64,
}

impl OlsStart {
    /// Fits OLS and forms the empirical covariances; refuses a rank-deficient design, `N ≤ p`,
    /// and a covariance group without observations at some visit.
    pub(super) fn compute(
        agg: &Aggregate,
        group_labels: &[String],
        visit_labels: &[String],
    ) -> Result<Self, Refusal> {
        let (beta, xtx) = ols(agg)?;
        let (empirical, pooled) = empirical_covariances(agg, &beta, group_labels, visit_labels)?;
        Ok(Self {
            beta,
            xtx,
            empirical,
            pooled,
        })
    }
}

/// OLS from the unweighted cross-products, after checking that `X` has full rank and that
/// there are more observations than fixed effects.
fn ols(agg: &Aggregate) -> Result<(DVector<f64>, Cholesky<f64, Dyn>), Refusal> {
    let p = agg.p;
    let pp = p * p;
    let mut m0 = vec![0.0; pp];
    let mut u0 = vec![0.0; p];
    for blk in &agg.blocks {
        let m = blk.m();
        for j in 0..m {
            let base = j * m + j;
            for (a, x) in m0.iter_mut().zip(&blk.sxx[base * pp..(base + 1) * pp]) {
                *a += x;
            }
            for (a, x) in u0.iter_mut().zip(&blk.sxy[base * p..(base + 1) * p]) {
                *a += x;
            }
        }
    }
    let m0 = DMatrix::from_vec(p, p, m0);
    if sym_eigen_min_ratio(&m0) < 1e-11 {
        return Err(Refusal::new(
            RefusalReason::SingularDesign,
            "the fixed-effects design matrix is rank deficient (a column is zero or a linear combination of others)",
        ));
    }
    if agg.n_obs <= p {
        return Err(Refusal::new(
            RefusalReason::TooFewObservations,
            format!("{} observations for {p} fixed effects", agg.n_obs),
        ));
    }
    let Some(ch0) = m0.clone().cholesky() else {
        return Err(Refusal::new(
            RefusalReason::SingularDesign,
            "X'X is not positive definite",
        ));
    };
    let beta0 = ch0.solve(&DVector::from_vec(u0));
    Ok((beta0, ch0))
}

/// Smallest over largest eigenvalue of `m` scaled to unit diagonal (0 for a non-positive
/// diagonal entry).
fn sym_eigen_min_ratio(m: &DMatrix<f64>) -> f64 {
    let n = m.nrows();
    let d: Vec<f64> = (0..n).map(|i| m[(i, i)]).collect();
    if d.iter().any(|x| x.is_nan() || *x <= 0.0) {
        return 0.0;
    }
    let s = DMatrix::from_fn(n, n, |i, j| m[(i, j)] / (d[i] * d[j]).sqrt());
    let ev = s.symmetric_eigenvalues();
    let max = ev.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = ev.iter().copied().fold(f64::INFINITY, f64::min);
    min / max
}

/// Pairwise empirical covariance of the OLS residuals per group (made positive definite) and
/// the pooled residual variance.
fn empirical_covariances(
    agg: &Aggregate,
    beta0: &DVector<f64>,
    group_labels: &[String],
    visit_labels: &[String],
) -> Result<(Vec<DMatrix<f64>>, f64), Refusal> {
    let v = agg.n_visits;
    let (cov_sum, cov_n, rss) = residual_moments(agg, beta0);
    let pooled = (rss / (agg.n_obs - agg.p) as f64).max(1e-12);
    let mut empirical = Vec::new();
    for g in 0..agg.n_groups {
        for a in 0..v {
            if cov_n[g][(a, a)] == 0.0 {
                return Err(Refusal::new(
                    RefusalReason::EmptyGroup,
                    format!(
                        "covariance group `{}` has no observations at visit `{}`",
                        group_labels.get(g).map_or("", |s| s.as_str()),
                        visit_labels.get(a).map_or("", |s| s.as_str())
                    ),
                ));
            }
        }
        let c = DMatrix::from_fn(v, v, |a, b| {
            if cov_n[g][(a, b)] > 0.0 {
                cov_sum[g][(a, b)] / cov_n[g][(a, b)]
            } else {
                0.0
            }
        });
        empirical.push(positive_definite(&c, pooled));
    }
    Ok((empirical, pooled))
}

/// Sums of residual cross-products and their counts per group and pair of visits, and the
/// residual sum of squares, at `beta0`.
fn residual_moments(
    agg: &Aggregate,
    beta0: &DVector<f64>,
) -> (Vec<DMatrix<f64>>, Vec<DMatrix<f64>>, f64) {
    let v = agg.n_visits;
    let mut cov_sum = vec![DMatrix::<f64>::zeros(v, v); agg.n_groups];
    let mut cov_n = vec![DMatrix::<f64>::zeros(v, v); agg.n_groups];
    let mut rss = 0.0;
    for blk in &agg.blocks {
        let m = blk.m();
        let res = blk.residual_cross_products(beta0.as_slice());
        for j in 0..m {
            for k in 0..m {
                let s = res[(j, k)];
                cov_sum[blk.group][(blk.visits[j], blk.visits[k])] += s;
                cov_n[blk.group][(blk.visits[j], blk.visits[k])] += blk.n as f64;
                if j == k {
                    rss += s;
                }
            }
        }
    }
    (cov_sum, cov_n, rss)
}

/// A positive-definite version of the empirical covariance `c`: variances floored at
/// `1e-8 · pooled`, correlations clipped to ±0.95, eigenvalues of the correlation floored at
/// 0.05.
fn positive_definite(c: &DMatrix<f64>, pooled: f64) -> DMatrix<f64> {
    let v = c.nrows();
    let d: Vec<f64> = (0..v).map(|a| c[(a, a)].max(1e-8 * pooled)).collect();
    let r = DMatrix::from_fn(v, v, |a, b| {
        if a == b {
            1.0
        } else {
            (c[(a, b)] / (d[a] * d[b]).sqrt()).clamp(-0.95, 0.95)
        }
    });
    let eig = r.symmetric_eigen();
    let floored = DMatrix::from_diagonal(&eig.eigenvalues.map(|x| x.max(0.05)));
    let r2 = &eig.eigenvectors * floored * eig.eigenvectors.transpose();
    DMatrix::from_fn(v, v, |a, b| {
        r2[(a, b)] / (r2[(a, a)] * r2[(b, b)]).sqrt() * (d[a] * d[b]).sqrt()
    })
}

/// The covariance model of `structure` over the visits; for spatial structures its distance
/// scale is the typical distance between two observations of a subject (it sets the starting
/// range).
pub(super) fn covariance_model(structure: CovarianceStructure, agg: &Aggregate) -> CovModel {
    let mut model = CovModel::new(structure, agg.n_visits);
    if model.is_spatial() {
        let (mut sum, mut count) = (0.0, 0.0);
        for blk in &agg.blocks {
            if let Some(d) = &blk.dist {
                let m = blk.m();
                for a in 0..m {
                    for b in 0..a {
                        sum += blk.n as f64 * d[(a, b)];
                        count += blk.n as f64;
                    }
                }
            }
        }
        if count > 0.0 && sum > 0.0 {
            model.distance_scale = sum / count;
        }
    }
    model
}
