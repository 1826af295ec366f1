//! Satterthwaite degrees of freedom as lmerTest computes them (Kuznetsova et al. 2017): the
//! variance parameters are `(θ, σ)`; their asymptotic covariance is `2 H⁻¹` with `H` the
//! Hessian of the deviance `d(θ, σ)` (β profiled at its conditional estimate, σ free), and the
//! gradient of `c'Cov(β)c` comes from the Jacobian of `Cov(β) = σ²(R_X'R_X)⁻¹`. Both
//! derivatives are taken by central finite differences with steps of 1e-3 relative (error of
//! order 1e-6; lmerTest uses numDeriv's Richardson scheme), so the df agree to well below 1e-3.

use nalgebra::{DMatrix, DVector};

use super::criterion::{ThetaMap, evaluate};
use super::data::Blocks;
use crate::stats::mmrm::Estimation;

/// The deviance of lmerTest's `devfun_vp` at θ and σ.
fn deviance_vp(b: &Blocks, map: ThetaMap, method: Estimation, varpar: &[f64]) -> Option<f64> {
    let k = varpar.len() - 1;
    let sigma2 = varpar[k] * varpar[k];
    let ev = evaluate(b, &map.lambda(&varpar[..k]))?;
    let two_pi = 2.0 * std::f64::consts::PI;
    let mut d = ev.ldl2 + ev.r2 / sigma2 + b.n as f64 * (two_pi * sigma2).ln();
    if method == Estimation::Reml {
        d += ev.ldrx2 - b.p as f64 * (two_pi * sigma2).ln();
    }
    Some(d)
}

fn covbeta(b: &Blocks, map: ThetaMap, varpar: &[f64]) -> Option<DMatrix<f64>> {
    let k = varpar.len() - 1;
    let ev = evaluate(b, &map.lambda(&varpar[..k]))?;
    Some(ev.unscaled_vcov() * (varpar[k] * varpar[k]))
}

fn steps(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| 1e-3 * v.abs().max(0.05)).collect()
}

/// The quantities the df of any contrast need.
#[derive(Debug, Clone)]
pub(crate) struct SatterthwaiteTerms {
    /// `2 H⁻¹`, covariance of `(θ, σ)`.
    pub a: DMatrix<f64>,
    /// `∂Cov(β)/∂(θ, σ)_k`.
    pub jacobian: Vec<DMatrix<f64>>,
}

impl SatterthwaiteTerms {
    pub fn compute(b: &Blocks, map: ThetaMap, method: Estimation, varpar: &[f64]) -> Option<Self> {
        let f = |x: &[f64]| deviance_vp(b, map, method, x);
        let h = steps(varpar);
        let f0 = f(varpar)?;
        let (hess, _) = super::optimize::hessian(&f, varpar, f0, &h)?;
        let a = hess.try_inverse()? * 2.0;
        let mut jacobian = Vec::with_capacity(varpar.len());
        let mut y = varpar.to_vec();
        for j in 0..varpar.len() {
            y[j] = varpar[j] + h[j];
            let p = covbeta(b, map, &y)?;
            y[j] = varpar[j] - h[j];
            let m = covbeta(b, map, &y)?;
            y[j] = varpar[j];
            jacobian.push((p - m) / (2.0 * h[j]));
        }
        Some(Self { a, jacobian })
    }

    /// df of `c'β` given `Cov(β)`; `None` when undefined.
    pub fn df(&self, c: &DVector<f64>, vcov: &DMatrix<f64>) -> Option<f64> {
        let v = c.dot(&(vcov * c));
        let g = DVector::from_iterator(
            self.jacobian.len(),
            self.jacobian.iter().map(|j| c.dot(&(j * c))),
        );
        let denom = g.dot(&(&self.a * &g));
        let df = 2.0 * v * v / denom;
        (df.is_finite() && df > 0.0).then_some(df)
    }
}
