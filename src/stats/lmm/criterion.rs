//! The profiled deviance of Bates et al. (2015): relative covariance factor `Λ(θ)`, the
//! penalised least-squares solution per evaluation, accumulated from q × q blocks per group.
//!
//! With `b = Λu`, `u ~ N(0, σ²I)`, the sparse Cholesky factor of `Λ'Z'ZΛ + I` is
//! block-diagonal with one q × q block `L_g` per group, so every quantity is a sum over
//! groups: `log|L|² = Σ 2 log diag L_g`, `R_ZX,g = L_g⁻¹Λ'Z_g'X_g`, `c_g = L_g⁻¹Λ'Z_g'y_g`,
//! `R_X'R_X = X'X − Σ R_ZX,g'R_ZX,g`, `β = (R_X'R_X)⁻¹(X'y − Σ R_ZX,g'c_g)` and the penalised
//! residual sum of squares `r² = y'y − Σ|c_g|² − |R_X⁻ᵀ(X'y − Σ R_ZX,g'c_g)|²`.
//!
//! With a site intercept, one more scalar per site: the derivation is in the docs of
//! [`crate::stats::lmm`] ("A random intercept per site").

use nalgebra::{DMatrix, DVector};

use crate::stats::mmrm::Estimation;

/// Structure of the q × q covariance of a group's random effects.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RandomEffectsCovariance {
    /// Unstructured (lme4 `(1 + time | patient)`): `q(q+1)/2` parameters.
    #[default]
    Correlated,
    /// Independent effects (lme4 `(1 + time || patient)`): `q` parameters.
    Diagonal,
}

impl RandomEffectsCovariance {
    /// Number of θ parameters for `q` random effects per group.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::lmm::RandomEffectsCovariance;
    /// assert_eq!(RandomEffectsCovariance::Correlated.n_theta(2), 3);
    /// assert_eq!(RandomEffectsCovariance::Diagonal.n_theta(2), 2);
    /// ```
    pub fn n_theta(self, q: usize) -> usize {
        match self {
            RandomEffectsCovariance::Correlated => q * (q + 1) / 2,
            RandomEffectsCovariance::Diagonal => q,
        }
    }

    /// Whether θ component `k` is a diagonal element of `Λ` (lower bound 0 in lme4).
    pub(crate) fn is_diagonal(self, q: usize, k: usize) -> bool {
        match self {
            RandomEffectsCovariance::Diagonal => true,
            RandomEffectsCovariance::Correlated => {
                let mut idx = 0;
                for j in 0..q {
                    if idx == k {
                        return true;
                    }
                    idx += q - j;
                }
                false
            }
        }
    }

    /// `Λ(θ)`, q × q row-major lower triangular, filled column by column (lme4's order).
    pub(crate) fn lambda(self, q: usize, theta: &[f64]) -> Vec<f64> {
        let mut l = vec![0.0; q * q];
        match self {
            RandomEffectsCovariance::Diagonal => {
                for j in 0..q {
                    l[j * q + j] = theta[j];
                }
            }
            RandomEffectsCovariance::Correlated => {
                let mut k = 0;
                for j in 0..q {
                    for i in j..q {
                        l[i * q + j] = theta[k];
                        k += 1;
                    }
                }
            }
        }
        l
    }

    /// The starting θ of lme4: identity `Λ`.
    pub(crate) fn start(self, q: usize) -> Vec<f64> {
        (0..self.n_theta(q))
            .map(|k| if self.is_diagonal(q, k) { 1.0 } else { 0.0 })
            .collect()
    }

    /// θ with every column of `Λ` whose diagonal is negative flipped (`ΛΛ'` unchanged).
    pub(crate) fn canonical(self, q: usize, theta: &[f64]) -> Vec<f64> {
        let mut t = theta.to_vec();
        match self {
            RandomEffectsCovariance::Diagonal => t.iter_mut().for_each(|v| *v = v.abs()),
            RandomEffectsCovariance::Correlated => {
                let mut k = 0;
                for j in 0..q {
                    let flip = t[k] < 0.0;
                    for _ in j..q {
                        if flip {
                            t[k] = -t[k];
                        }
                        k += 1;
                    }
                }
            }
        }
        t
    }
}

/// The map from θ to the relative covariance factors: the patients' `Λ_p` (its θ components
/// first, lme4's order) and, with sites, the relative site SD θ_s (last component).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ThetaMap {
    pub cov: RandomEffectsCovariance,
    pub q: usize,
    pub site: bool,
}

/// `Λ_p` (q × q row-major) and θ_s (0 without sites).
#[derive(Debug, Clone)]
pub(crate) struct Lambda {
    pub patient: Vec<f64>,
    pub site: f64,
}

impl ThetaMap {
    /// Number of patient θ components.
    pub fn n_patient(self) -> usize {
        self.cov.n_theta(self.q)
    }

    /// Whether component `k` is a diagonal element of `Λ` (lower bound 0 in lme4).
    pub fn is_diagonal(self, k: usize) -> bool {
        if k < self.n_patient() {
            self.cov.is_diagonal(self.q, k)
        } else {
            true
        }
    }

    /// The factors at θ (missing components read as 0).
    pub fn lambda(self, theta: &[f64]) -> Lambda {
        let k = self.n_patient().min(theta.len());
        let mut pt = theta[..k].to_vec();
        pt.resize(self.n_patient(), 0.0);
        Lambda {
            patient: self.cov.lambda(self.q, &pt),
            site: if self.site {
                theta.get(self.n_patient()).copied().unwrap_or(0.0)
            } else {
                0.0
            },
        }
    }

    /// The element `(i, j)` of `Λ_p` of every patient θ component, in θ's order.
    pub fn pairs(self) -> Vec<(usize, usize)> {
        let q = self.q;
        match self.cov {
            RandomEffectsCovariance::Diagonal => (0..q).map(|j| (j, j)).collect(),
            RandomEffectsCovariance::Correlated => {
                (0..q).flat_map(|j| (j..q).map(move |i| (i, j))).collect()
            }
        }
    }

    /// lme4's start: identity `Λ`.
    pub fn start(self) -> Vec<f64> {
        let mut t = self.cov.start(self.q);
        if self.site {
            t.push(1.0);
        }
        t
    }

    /// θ with non-negative diagonal of `Λ` (`ΛΛ'` unchanged).
    pub fn canonical(self, theta: &[f64]) -> Vec<f64> {
        let k = self.n_patient().min(theta.len());
        let mut t = self.cov.canonical(self.q, &theta[..k]);
        t.extend(theta[k..].iter().map(|v| v.abs()));
        t
    }
}

/// In-place Cholesky of a q × q row-major symmetric matrix (lower factor); `false` when it is
/// not positive definite.
#[inline(always)]
pub(crate) fn small_cholesky(a: &mut [f64], q: usize) -> bool {
    for j in 0..q {
        let mut d = a[j * q + j];
        for k in 0..j {
            d -= a[j * q + k] * a[j * q + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * q + j] = d;
        for i in j + 1..q {
            let mut s = a[i * q + j];
            for k in 0..j {
                s -= a[i * q + k] * a[j * q + k];
            }
            a[i * q + j] = s / d;
        }
        for k in j + 1..q {
            a[j * q + k] = 0.0;
        }
    }
    true
}

/// Solves `L x = b` in place (L lower, q × q row-major).
#[inline(always)]
pub(crate) fn forward(l: &[f64], q: usize, b: &mut [f64]) {
    for i in 0..q {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * q + k] * b[k];
        }
        b[i] = s / l[i * q + i];
    }
}

/// Solves `L' x = b` in place (L lower, q × q row-major).
#[inline(always)]
pub(crate) fn backward(l: &[f64], q: usize, b: &mut [f64]) {
    for i in (0..q).rev() {
        let mut s = b[i];
        for k in i + 1..q {
            s -= l[k * q + i] * b[k];
        }
        b[i] = s / l[i * q + i];
    }
}

/// One evaluation at θ.
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    /// `log|L_θ|²`.
    pub ldl2: f64,
    /// `log|R_X|²`.
    pub ldrx2: f64,
    /// Penalised residual sum of squares.
    pub r2: f64,
    pub beta: DVector<f64>,
    /// Lower Cholesky factor of `R_X'R_X` (so `(R_X'R_X)⁻¹ = (L Lᵀ)⁻¹`).
    pub lx: DMatrix<f64>,
}

impl Eval {
    /// The profiled criterion: `-2 log L` (ML) or the REML criterion of lme4.
    pub fn deviance(&self, method: Estimation, n: usize, p: usize) -> f64 {
        let two_pi = 2.0 * std::f64::consts::PI;
        match method {
            Estimation::Ml => {
                let n = n as f64;
                self.ldl2 + n * (1.0 + (two_pi * self.r2 / n).ln())
            }
            Estimation::Reml => {
                let nr = (n - p) as f64;
                self.ldl2 + self.ldrx2 + nr * (1.0 + (two_pi * self.r2 / nr).ln())
            }
        }
    }

    /// `σ²` at this θ: `r²/n` (ML) or `r²/(n − p)` (REML).
    pub fn sigma2(&self, method: Estimation, n: usize, p: usize) -> f64 {
        match method {
            Estimation::Ml => self.r2 / n as f64,
            Estimation::Reml => self.r2 / (n - p) as f64,
        }
    }

    /// The unscaled covariance of β, `(R_X'R_X)⁻¹`.
    pub fn unscaled_vcov(&self) -> DMatrix<f64> {
        let p = self.lx.nrows();
        let mut inv = DMatrix::identity(p, p);
        if let Some(linv) = self.lx.solve_lower_triangular(&DMatrix::identity(p, p)) {
            inv = linv.tr_mul(&linv);
        }
        inv
    }
}

pub(crate) use super::pass::evaluate;

/// `a` ← lower Cholesky factor of `Λ'Z'ZΛ + I` (`t` is scratch); `None` if it fails.
#[inline(always)]
pub(crate) fn group_factor(
    q: usize,
    lam: &[f64],
    ztz: &[f64],
    t: &mut [f64],
    a: &mut [f64],
) -> Option<()> {
    // t = Z'Z Λ
    for i in 0..q {
        for j in 0..q {
            let mut s = 0.0;
            for k in j..q {
                s += ztz[i * q + k] * lam[k * q + j];
            }
            t[i * q + j] = s;
        }
    }
    // a = Λ' t + I
    for i in 0..q {
        for j in 0..=i {
            let mut s = 0.0;
            for k in i..q {
                s += lam[k * q + i] * t[k * q + j];
            }
            if i == j {
                s += 1.0;
            }
            a[i * q + j] = s;
            a[j * q + i] = s;
        }
    }
    small_cholesky(a, q).then_some(())
}

/// `out` (q × cols, row-major) ← Λ' `m` (m q × cols row-major).
#[inline(always)]
pub(crate) fn lambda_t_times(q: usize, cols: usize, lam: &[f64], m: &[f64], out: &mut [f64]) {
    for i in 0..q {
        for j in 0..cols {
            let mut s = 0.0;
            for k in i..q {
                s += lam[k * q + i] * m[k * cols + j];
            }
            out[i * cols + j] = s;
        }
    }
}
