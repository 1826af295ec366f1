//! What a fit keeps for inference after it returns: β, its covariances, the derivative
//! matrices of the df methods, and the model layout for LS-means.

use nalgebra::{DMatrix, DVector};

use super::aggregate::Aggregate;
use super::design::Layout;
use super::inference;
use super::results::DfMethod;
use crate::stats::{Estimate, FTest};

/// Internal state kept for inference after the fit.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub agg: Aggregate,
    pub beta: DVector<f64>,
    /// Model-based `Φ = (X'Σ⁻¹X)⁻¹`.
    pub phi: DMatrix<f64>,
    /// Covariance used for tests (`Φ`, or the KR-adjusted one).
    pub vcov: DMatrix<f64>,
    pub p_k: Vec<DMatrix<f64>>,
    /// Asymptotic covariance of the covariance parameters (`2 H⁻¹`).
    pub theta_cov: DMatrix<f64>,
    pub df: DfMethod,
    pub confidence_level: f64,
    pub layout: Option<Layout>,
    /// Frequencies of combinations of factor levels (all factors) among observations.
    pub combos: Vec<(Vec<usize>, usize)>,
}

/// The empty state of a fit read back from JSON: no coefficients, no layout, so that
/// inference on it is rejected (wrong contrast length) or refused, never computed.
impl Default for State {
    fn default() -> Self {
        State {
            agg: Aggregate::default(),
            beta: DVector::zeros(0),
            phi: DMatrix::zeros(0, 0),
            vcov: DMatrix::zeros(0, 0),
            p_k: Vec::new(),
            theta_cov: DMatrix::zeros(0, 0),
            df: DfMethod::default(),
            confidence_level: 0.95,
            layout: None,
            combos: Vec::new(),
        }
    }
}

impl State {
    /// df of a one-dimensional contrast under the chosen method (`NaN` when the Kenward–Roger
    /// terms cannot be formed).
    fn df_1d(&self, c: &DVector<f64>) -> f64 {
        match self.df {
            DfMethod::Satterthwaite => {
                inference::satterthwaite_1d(c, &self.phi, &self.p_k, &self.theta_cov)
            }
            DfMethod::KenwardRoger | DfMethod::KenwardRogerLinear => {
                let l = DMatrix::from_row_slice(1, c.len(), c.as_slice());
                inference::kenward_roger_df(&l, &self.phi, &self.p_k, &self.theta_cov)
                    .map_or(f64::NAN, |x| x.0)
            }
        }
    }

    /// Estimate, SE, df, t, p and CI of `c'β`. The p-value and the interval are `NaN` when the
    /// df is not positive or `t` is undefined (zero SE and estimate); `checked` turns such an
    /// estimate into a refusal.
    pub(crate) fn estimate(&self, c: &DVector<f64>, label: String) -> Estimate {
        let est = c.dot(&self.beta);
        let se = c.dot(&(&self.vcov * c)).max(0.0).sqrt();
        let df = self.df_1d(c);
        Estimate::wald(label, est, se, Some(df), self.confidence_level)
    }

    /// F test of `Lβ = 0`; `None` when `LΦL'` is singular or the df or F are undefined.
    pub(crate) fn f_test(&self, l: &DMatrix<f64>, label: String) -> Option<FTest> {
        let r = l.nrows();
        let lb = l * &self.beta;
        let lvl = l * &self.vcov * l.transpose();
        let inv = lvl.cholesky()?.inverse();
        let f = lb.dot(&(&inv * &lb)) / r as f64;
        let (den, f_value) = match self.df {
            DfMethod::Satterthwaite => (
                inference::satterthwaite_md(l, &self.phi, &self.p_k, &self.theta_cov),
                f,
            ),
            DfMethod::KenwardRoger | DfMethod::KenwardRogerLinear => {
                let (m, lambda) =
                    inference::kenward_roger_df(l, &self.phi, &self.p_k, &self.theta_cov)?;
                (m, f * lambda)
            }
        };
        // The domain of `dist::f_sf` (`r >= 1`: no rows would give a NaN `f`).
        if !(den.is_finite() && den > 0.0 && f_value.is_finite()) {
            return None;
        }
        Some(FTest::new(label, f_value, r as f64, den))
    }
}
