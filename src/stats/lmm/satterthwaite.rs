//! Satterthwaite degrees of freedom as lmerTest computes them (Kuznetsova et al. 2017): the
//! variance parameters are `(θ, σ)`; their asymptotic covariance is `2 H⁻¹` with `H` the
//! Hessian of the deviance `d(θ, σ) = log|L|² + r²/σ² + n log(2πσ²)` (REML: plus
//! `log|R_X|² − p log(2πσ²)`; β profiled at its conditional estimate, σ free), and the
//! gradient of `c'Cov(β)c` comes from the Jacobian of `Cov(β) = σ²(R_X'R_X)⁻¹`.
//!
//! Both come from the analytic first derivatives of the profiled quantities in θ at θ̂ (see
//! `pass`) and the Hessian of the profiled criterion the optimizer ends with (forward
//! differences of the analytic gradient, steps 1e-5 relative, error of order 1e-5 relative;
//! lmerTest uses numDeriv's Richardson scheme on the deviance itself):
//! `∂Cov(β)/∂θ_k = −σ²M⁻¹(∂M/∂θ_k)M⁻¹` with `M = R_X'R_X`, `∂Cov(β)/∂σ = 2σM⁻¹`;
//! `∂²d/∂θ_k∂σ = −2(∂r²/∂θ_k)/σ³` and `∂²d/∂σ² = 6r²/σ⁴ − 2n'/σ² = 4n'/σ̂²` (`n' = n`, or
//! `n − p` for REML) in closed form; the θθ block from the profiled Hessian (σ profiled out
//! makes it the Schur complement, see [`SatterthwaiteTerms::from_profile`]). The df thus cost
//! no evaluation beyond the fit's.

use nalgebra::{DMatrix, DVector};

use super::criterion::Eval;
use super::pass::Derivatives;
use crate::stats::mmrm::Estimation;

/// The quantities the df of any contrast need.
#[derive(Debug, Clone)]
pub(crate) struct SatterthwaiteTerms {
    /// `2 H⁻¹`, covariance of `(θ, σ)`.
    pub a: DMatrix<f64>,
    /// `∂Cov(β)/∂(θ, σ)_k`.
    pub jacobian: Vec<DMatrix<f64>>,
}

impl SatterthwaiteTerms {
    /// The terms from the Hessian `h_profile` of the profiled criterion in θ at θ̂ and the
    /// derivatives there: σ being profiled out at `σ̂² = r²/n'`, the Hessian of `d(θ, σ)` has
    /// `H_σσ = 4n'/σ̂²`, `H_θσ = −2(∂r²/∂θ)/σ̂³` and `H_θθ = h_profile + H_θσH_σθ/H_σσ` (the
    /// profiled Hessian is the Schur complement `H_θθ − H_θσH_σσ⁻¹H_σθ`), so no further
    /// evaluation is needed.
    pub fn from_profile(
        ev: &Eval,
        d: &Derivatives,
        h_profile: &DMatrix<f64>,
        sigma: f64,
        method: Estimation,
        n: usize,
        p: usize,
    ) -> Option<Self> {
        let k = h_profile.nrows();
        let sigma2 = sigma * sigma;
        if !(sigma2 > 0.0 && sigma2.is_finite()) || d.dr2.len() != k {
            return None;
        }
        let n_eff = match method {
            Estimation::Ml => n as f64,
            Estimation::Reml => (n - p) as f64,
        };
        let h_ss = 4.0 * n_eff / sigma2;
        let cross: Vec<f64> = d.dr2.iter().map(|v| -2.0 * v / (sigma2 * sigma)).collect();
        let mut hess = DMatrix::zeros(k + 1, k + 1);
        for i in 0..k {
            for j in 0..k {
                hess[(i, j)] = h_profile[(i, j)] + cross[i] * cross[j] / h_ss;
            }
            hess[(i, k)] = cross[i];
            hess[(k, i)] = cross[i];
        }
        hess[(k, k)] = h_ss;
        let a = hess.try_inverse()? * 2.0;
        let minv = ev.unscaled_vcov();
        let mut jacobian: Vec<DMatrix<f64>> =
            d.dm.iter()
                .map(|dm| -(&minv * dm * &minv) * sigma2)
                .collect();
        jacobian.push(&minv * (2.0 * sigma));
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
