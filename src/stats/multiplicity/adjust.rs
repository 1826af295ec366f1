//! Multiplicity adjustment of p-values, as R's `p.adjust`.

use crate::{Error, Result};

/// A p-value adjustment method.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::adjust::AdjustMethod;
/// assert_eq!(AdjustMethod::Holm.name(), "holm");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustMethod {
    /// Bonferroni: `min(1, m p)`.
    Bonferroni,
    /// Holm's step-down method (controls the family-wise error rate).
    Holm,
    /// Hochberg's step-up method (FWER under independence or positive dependence).
    Hochberg,
    /// Benjamini–Hochberg false discovery rate (`"BH"` / `"fdr"`).
    BenjaminiHochberg,
}

impl AdjustMethod {
    /// The method's name in R's `p.adjust`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::adjust::AdjustMethod::BenjaminiHochberg.name(), "BH");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            AdjustMethod::Bonferroni => "bonferroni",
            AdjustMethod::Holm => "holm",
            AdjustMethod::Hochberg => "hochberg",
            AdjustMethod::BenjaminiHochberg => "BH",
        }
    }
}

/// Adjusts p-values for multiple comparisons, returned in the input order, as R's
/// `p.adjust(p, method)`.
///
/// # Formula
///
/// With `m` p-values sorted ascending `p₍₁₎ ≤ … ≤ p₍ₘ₎`: Bonferroni `min(1, m p)`; Holm
/// `p̃₍ᵢ₎ = min(1, maxⱼ≤ᵢ (m − j + 1) p₍ⱼ₎)`; Hochberg `p̃₍ᵢ₎ = minⱼ≥ᵢ min(1, (m − j + 1) p₍ⱼ₎)`;
/// BH `p̃₍ᵢ₎ = minⱼ≥ᵢ min(1, m p₍ⱼ₎ / j)`.
///
/// # References
///
/// Holm, S. (1979). *Scand. J. Statist.* 6, 65–70. Hochberg, Y. (1988). *Biometrika* 75,
/// 800–802. Benjamini, Y. & Hochberg, Y. (1995). *J. R. Statist. Soc. B* 57, 289–300.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when a p-value is outside [0, 1] or not a number.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::adjust::{adjust_p_values, AdjustMethod};
/// let p = adjust_p_values(&[0.01, 0.04, 0.03], AdjustMethod::Holm).unwrap();
/// assert!((p[0] - 0.03).abs() < 1e-15);
/// assert!((p[1] - 0.06).abs() < 1e-15);
/// assert!((p[2] - 0.06).abs() < 1e-15);
/// ```
#[doc(alias = "p.adjust")]
pub fn adjust_p_values(p_values: &[f64], method: AdjustMethod) -> Result<Vec<f64>> {
    if let Some(i) = p_values.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::invalid_argument(
            "p_values",
            format!("value at position {i} is not in [0, 1]"),
        ));
    }
    let m = p_values.len();
    let mf = m as f64;
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let sorted: Vec<f64> = order.iter().map(|&i| p_values[i]).collect();
    let mut adj = vec![0.0; m];
    match method {
        AdjustMethod::Bonferroni => {
            for (a, p) in adj.iter_mut().zip(&sorted) {
                *a = (mf * p).min(1.0);
            }
        }
        AdjustMethod::Holm => {
            let mut running = 0.0_f64;
            for (i, (a, p)) in adj.iter_mut().zip(&sorted).enumerate() {
                running = running.max((mf - i as f64) * p);
                *a = running.min(1.0);
            }
        }
        AdjustMethod::Hochberg | AdjustMethod::BenjaminiHochberg => {
            let mut running = f64::INFINITY;
            for i in (0..m).rev() {
                let rank = (i + 1) as f64;
                let p = sorted[i];
                let v = match method {
                    AdjustMethod::Hochberg => (mf - rank + 1.0) * p,
                    _ => mf * p / rank,
                };
                running = running.min(v);
                adj[i] = running.min(1.0);
            }
        }
    }
    let mut out = vec![0.0; m];
    for (k, &i) in order.iter().enumerate() {
        out[i] = adj[k];
    }
    Ok(out)
}
