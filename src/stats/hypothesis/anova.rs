//! One-way analysis of variance, classic (`aov`, `oneway.test(var.equal = TRUE)`) and Welch's
//! (`oneway.test`).

use super::t::Variances;
use crate::outcome::refuse;
use crate::stats::FTest;
use crate::stats::describe::{check_finite, check_same_len, mean_and_ss};
use crate::{Outcome, RefusalReason, Result};

/// Groups `values` by `labels` in order of first appearance.
pub(crate) fn group_by<L: AsRef<str>>(
    values: &[f64],
    labels: &[L],
) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    check_same_len("groups", values.len(), labels.len())?;
    check_finite("values", values)?;
    let mut names: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<f64>> = Vec::new();
    for (v, l) in values.iter().zip(labels) {
        let l = l.as_ref();
        match names.iter().position(|n| n == l) {
            Some(i) => {
                if let Some(g) = groups.get_mut(i) {
                    g.push(*v);
                }
            }
            None => {
                names.push(l.to_string());
                groups.push(vec![*v]);
            }
        }
    }
    Ok((names, groups))
}

/// Result of a one-way ANOVA: the F test and, for the classic ANOVA, its sums of squares.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{one_way_anova, Variances};
/// let a = one_way_anova(&[1.0, 2.0, 3.0, 2.0, 4.0, 6.0], &["a", "a", "a", "b", "b", "b"],
///     Variances::Equal)?.into_result().unwrap();
/// assert_eq!(a.groups, vec!["a".to_string(), "b".to_string()]);
/// assert!((a.sum_of_squares_between.unwrap() - 6.0).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OneWayAnova {
    /// The F test (its label names the method, as R prints it).
    pub test: FTest,
    /// Between-group sum of squares; `None` for Welch's test.
    pub sum_of_squares_between: Option<f64>,
    /// Residual sum of squares; `None` for Welch's test.
    pub sum_of_squares_within: Option<f64>,
    /// Group labels in order of first appearance.
    pub groups: Vec<String>,
}

impl std::fmt::Display for OneWayAnova {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.test.fmt(f)
    }
}

fn anova_size_checks<T>(names: &[String], groups: &[Vec<f64>]) -> Option<Outcome<T>> {
    if groups.len() < 2 {
        return Some(refuse(
            RefusalReason::TooFewObservations,
            "at least two groups are needed",
        ));
    }
    for (n, g) in names.iter().zip(groups) {
        if g.len() < 2 {
            return Some(refuse(
                RefusalReason::TooFewObservations,
                format!("group `{n}` has n = {}", g.len()),
            ));
        }
    }
    None
}

/// One-way ANOVA with `Variances::Equal` (R `aov`, `oneway.test(var.equal = TRUE)`) or Welch's
/// heteroscedastic F test with `Variances::Unequal` (R `oneway.test`).
///
/// # Formula
///
/// Classic: `F = (SSB/(k−1)) / (SSW/(N−k))`. Welch: `wᵢ = nᵢ/s²ᵢ`, `m = Σwᵢx̄ᵢ/Σwᵢ`,
/// `A = Σ(1 − wᵢ/Σw)²/(nᵢ−1) / (k²−1)`, `F = Σwᵢ(x̄ᵢ−m)² / ((k−1)(1 + 2(k−2)A))` on
/// `(k−1, 1/(3A))` df.
///
/// # References
///
/// Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
/// *Biometrika* 38, 330–336.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for unequal lengths or non-finite values. Refuses with fewer than
/// two groups, a group with n < 2, or zero within-group variance.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::hypothesis::{one_way_anova, Variances};
/// let v = [1.0, 2.0, 3.0, 4.0, 5.0, 7.0];
/// let g = ["a", "a", "a", "b", "b", "b"];
/// let f = one_way_anova(&v, &g, Variances::Equal).unwrap().into_result().unwrap();
/// assert!((f.test.df_denominator - 4.0).abs() < 1e-12);
/// assert!(f.test.p_value < 0.05);
/// ```
#[doc(alias = "aov")]
#[doc(alias = "oneway.test")]
pub fn one_way_anova<L: AsRef<str>>(
    values: &[f64],
    groups: &[L],
    variances: Variances,
) -> Result<Outcome<OneWayAnova>> {
    let (names, gs) = group_by(values, groups)?;
    if let Some(r) = anova_size_checks(&names, &gs) {
        return Ok(r);
    }
    let k = gs.len() as f64;
    let stats: Vec<(f64, f64, f64)> = gs
        .iter()
        .map(|g| {
            let (m, ss) = mean_and_ss(g);
            (g.len() as f64, m, ss)
        })
        .collect();
    match variances {
        Variances::Equal => {
            let n: f64 = stats.iter().map(|s| s.0).sum();
            let grand = stats.iter().map(|s| s.0 * s.1).sum::<f64>() / n;
            let ssb: f64 = stats.iter().map(|s| s.0 * (s.1 - grand).powi(2)).sum();
            let ssw: f64 = stats.iter().map(|s| s.2).sum();
            if ssw == 0.0 {
                return Ok(refuse(
                    RefusalReason::ZeroVariance,
                    "no variation within groups",
                ));
            }
            let (d1, d2) = (k - 1.0, n - k);
            let f = (ssb / d1) / (ssw / d2);
            Ok(Outcome::Computed(OneWayAnova {
                test: FTest::new("One-way analysis of means", f, d1, d2),
                sum_of_squares_between: Some(ssb),
                sum_of_squares_within: Some(ssw),
                groups: names,
            }))
        }
        Variances::Unequal => {
            if let Some((i, _)) = stats.iter().enumerate().find(|(_, s)| s.2 == 0.0) {
                return Ok(refuse(
                    RefusalReason::ZeroVariance,
                    format!(
                        "group `{}` has zero variance",
                        names.get(i).map(String::as_str).unwrap_or("?")
                    ),
                ));
            }
            let w: Vec<f64> = stats.iter().map(|s| s.0 / (s.2 / (s.0 - 1.0))).collect();
            let sw: f64 = w.iter().sum();
            let m = w.iter().zip(&stats).map(|(wi, s)| wi * s.1).sum::<f64>() / sw;
            let a = w
                .iter()
                .zip(&stats)
                .map(|(wi, s)| (1.0 - wi / sw).powi(2) / (s.0 - 1.0))
                .sum::<f64>()
                / (k * k - 1.0);
            let num = w
                .iter()
                .zip(&stats)
                .map(|(wi, s)| wi * (s.1 - m).powi(2))
                .sum::<f64>();
            let f = num / ((k - 1.0) * (1.0 + 2.0 * (k - 2.0) * a));
            let d2 = 1.0 / (3.0 * a);
            Ok(Outcome::Computed(OneWayAnova {
                test: FTest::new(
                    "One-way analysis of means (not assuming equal variances)",
                    f,
                    k - 1.0,
                    d2,
                ),
                sum_of_squares_between: None,
                sum_of_squares_within: None,
                groups: names,
            }))
        }
    }
}
