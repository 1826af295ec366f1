//! Inference on a fitted model through contrast vectors and matrices: `c'β` with its t test
//! and interval, and F tests of `Lβ = 0`.

use nalgebra::{DMatrix, DVector};

use super::results::MmrmFit;
use crate::Error;
use crate::stats::{Estimate, FTest};
use crate::stats::{Outcome, RefusalReason, refuse};

impl MmrmFit {
    /// Estimate, SE, df, t, p and CI of the contrast `c'β`.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `c` does not have one entry per coefficient or is not finite.
    ///
    /// # Examples
    ///
    /// See [`mmrm_design`](super::mmrm_design).
    ///
    /// # Formula
    ///
    /// Satterthwaite: `ν = 2 (c'Φc)² / (g' A g)` with `g_k = c'Φ P_k Φ c`,
    /// `P_k = X'Σ⁻¹ ∂_kΣ Σ⁻¹X`, `A = 2 H⁻¹` (observed Hessian of `-2 log L`). Kenward–Roger:
    /// `c'Φ_A c` and the KR df.
    ///
    /// # References
    ///
    /// Satterthwaite (1946); Kenward & Roger (1997).
    pub fn contrast(&self, c: &[f64], label: &str) -> crate::Result<Outcome<Estimate>> {
        if c.len() != self.state.beta.len() || c.iter().any(|x| !x.is_finite()) {
            return Err(Error::invalid_argument(
                "c",
                format!(
                    "expected {} finite entries, got {}",
                    self.state.beta.len(),
                    c.len()
                ),
            ));
        }
        let e = self
            .state
            .estimate(&DVector::from_column_slice(c), label.to_string());
        Ok(checked(e))
    }

    /// F test of `Lβ = 0` (rows of `L` are contrasts).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when a row has the wrong length or `L` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{mmrm_design, CovarianceStructure, DesignInput, MmrmOptions};
    /// let subject = [0, 0, 1, 1, 2, 2, 3, 3];
    /// let visit = [0, 1, 0, 1, 0, 1, 0, 1];
    /// let x = [1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    /// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 1.1, 1.9];
    /// let input = DesignInput::new(&subject, &visit, 2, &x, 2, &y).unwrap();
    /// let opts = MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry);
    /// let fit = mmrm_design(&input, &opts).unwrap().into_result().unwrap();
    /// let f = fit.f_test(&[vec![0.0, 1.0]], "visit").unwrap().into_result().unwrap();
    /// assert_eq!(f.df_numerator, 1.0);
    /// ```
    ///
    /// # Formula
    ///
    /// `F = (Lβ)'(LΦL')⁻¹(Lβ)/q`; Satterthwaite df by Fai & Cornelius (1996); Kenward–Roger
    /// scales `F` by `λ` and uses the KR df (with `Φ_A`).
    ///
    /// # References
    ///
    /// Fai & Cornelius (1996); Kenward & Roger (1997).
    pub fn f_test(&self, l: &[Vec<f64>], label: &str) -> crate::Result<Outcome<FTest>> {
        let p = self.state.beta.len();
        if l.is_empty()
            || l.iter()
                .any(|r| r.len() != p || r.iter().any(|x| !x.is_finite()))
        {
            return Err(Error::invalid_argument(
                "l",
                format!("rows of {p} finite entries are needed"),
            ));
        }
        let m = DMatrix::from_fn(l.len(), p, |i, j| l[i][j]);
        Ok(match self.state.f_test(&m, label.to_string()) {
            Some(t) => Outcome::Computed(t),
            None => refuse(
                RefusalReason::NotEstimable,
                "L Φ L' is singular or the df are undefined",
            ),
        })
    }
}

/// The estimate when its SE, df, t and p are finite and the SE positive; otherwise a
/// `NotEstimable` refusal naming the contrast.
pub(crate) fn checked(e: Estimate) -> Outcome<Estimate> {
    if [
        e.estimate,
        e.std_error,
        e.df.unwrap_or(f64::NAN),
        e.statistic,
        e.p_value,
    ]
    .iter()
    .all(|x| x.is_finite())
        && e.std_error > 0.0
    {
        Outcome::Computed(e)
    } else {
        refuse(
            RefusalReason::NotEstimable,
            format!("`{}`: the standard error or df is undefined", e.label),
        )
    }
}
