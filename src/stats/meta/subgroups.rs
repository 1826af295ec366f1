//! Subgroup analysis: a pooled estimate within each level of a categorical moderator and the
//! test of differences between the subgroups from the mixed-effects meta-regression.

use super::fit::{MetaFit, MetaRegression, into_outcome, pooled, regression};
use super::model;
use super::options::MetaOptions;
use crate::stats::describe::check_same_len;
use crate::stats::{Outcome, RefusalReason, refuse};
use crate::{Refusal, Result};

/// The pooled estimate of one subgroup.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{pool_subgroups, MetaOptions};
/// let s = pool_subgroups(&[0.2, 0.3, 0.9], &[0.02, 0.03, 0.04], &["a", "a", "b"], &MetaOptions::default())?
///     .into_result()
///     .unwrap();
/// assert_eq!(s.subgroups[1].label, "b");
/// assert_eq!(s.subgroups[1].studies, vec![2]);
/// assert!(s.subgroups[1].fit.refusal().is_some()); // one study, random effects
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PooledSubgroup {
    /// The level of the grouping variable.
    pub label: String,
    /// 0-based indices of its studies.
    pub studies: Vec<usize>,
    /// Its own fit (same method and inference, τ² estimated within the subgroup).
    pub fit: Outcome<MetaFit>,
}

/// Subgroup analysis by a categorical moderator.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{pool_subgroups, MetaOptions};
/// let y = [0.2, 0.3, 0.25, 0.8, 0.9, 0.7];
/// let v = [0.02, 0.03, 0.02, 0.04, 0.03, 0.02];
/// let g = ["prp", "prp", "prp", "stem_cell", "stem_cell", "stem_cell"];
/// let s = pool_subgroups(&y, &v, &g, &MetaOptions::default())?.into_result().unwrap();
/// assert_eq!(s.subgroups.len(), 2);
/// let test = s.between.computed().unwrap();
/// assert!(test.moderator_test.p_value() < 0.01);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PooledSubgroups {
    /// One entry per level, in sorted order.
    pub subgroups: Vec<PooledSubgroup>,
    /// The meta-regression on the level indicators (the first level is the reference): its
    /// `moderator_test` is the test of subgroup differences (QM on `levels − 1` df), its τ² the
    /// residual heterogeneity pooled across subgroups.
    pub between: Outcome<MetaRegression>,
}

/// Subgroup analysis: [`meta_analysis`](super::meta_analysis) within each level of `groups`,
/// and the mixed-effects meta-regression on the level indicators for the test of differences.
///
/// # Formula
///
/// Within level `g`: the model of `options` on its studies. Between: `y = β₀ + Σ_g β_g 1[g] +
/// u + e` with one τ² common to all levels, `QM = β̂' V⁻¹ β̂` over the indicators (F = QM/m
/// under Knapp–Hartung). As `rma(yi, vi, subset = …)` and `rma(yi, vi, mods = ~ factor(g))`.
///
/// # References
///
/// Borenstein, M., Hedges, L. V., Higgins, J. P. T. & Rothstein, H. R. (2009). *Introduction
/// to Meta-Analysis*, ch. 19. Viechtbauer, W. (2010), *J. Stat. Softw.* 36(3).
///
/// # Errors
///
/// As [`meta_analysis`](super::meta_analysis), and [`crate::Error::InvalidArgument`] when
/// `groups` has another length than `effects`. A subgroup with one study is refused for a
/// random-effects estimate; the test is refused with a single level or too few studies.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{pool_subgroups, MetaOptions};
/// let s = pool_subgroups(&[0.2, 0.3], &[0.02, 0.03], &["a", "a"], &MetaOptions::default())?
///     .into_result()
///     .unwrap();
/// assert!(s.between.refusal().is_some()); // one level: nothing to compare
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn pool_subgroups<S: AsRef<str>>(
    effects: &[f64],
    variances: &[f64],
    groups: &[S],
    options: &MetaOptions,
) -> Result<Outcome<PooledSubgroups>> {
    check_same_len("groups", effects.len(), groups.len())?;
    if let Outcome::Refused(r) = model::data(effects, variances, &[], options.confidence_level)? {
        return Ok(Outcome::Refused(r));
    }
    let mut levels: Vec<&str> = groups.iter().map(AsRef::as_ref).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut subgroups = Vec::with_capacity(levels.len());
    for level in &levels {
        let studies: Vec<usize> = (0..groups.len())
            .filter(|i| groups.get(*i).is_some_and(|g| g.as_ref() == *level))
            .collect();
        let pick =
            |s: &[f64]| -> Vec<f64> { studies.iter().filter_map(|i| s.get(*i)).copied().collect() };
        let (y, v) = (pick(effects), pick(variances));
        let fit = if studies.len() < 2 && options.method.is_random_effects() {
            refuse(
                RefusalReason::TooFewObservations,
                format!(
                    "subgroup `{level}` has {} study: a random-effects estimate needs at least 2",
                    studies.len()
                ),
            )
        } else {
            match model::data(&y, &v, &[], options.confidence_level)? {
                Outcome::Computed(d) => into_outcome(pooled(&d, options)),
                Outcome::Refused(r) => Outcome::Refused(r),
            }
        };
        subgroups.push(PooledSubgroup {
            label: (*level).to_string(),
            studies,
            fit,
        });
    }
    let between = if levels.len() < 2 {
        Outcome::Refused(Refusal::new(
            RefusalReason::NotEstimable,
            "a single subgroup: there is no difference between subgroups to test",
        ))
    } else {
        let indicators: Vec<(String, Vec<f64>)> = levels
            .iter()
            .skip(1)
            .map(|level| {
                let x = groups
                    .iter()
                    .map(|g| f64::from(u8::from(g.as_ref() == *level)))
                    .collect();
                ((*level).to_string(), x)
            })
            .collect();
        let mods: Vec<(&str, &[f64])> = indicators
            .iter()
            .map(|(n, x)| (n.as_str(), x.as_slice()))
            .collect();
        match model::data(effects, variances, &mods, options.confidence_level)? {
            Outcome::Computed(d) => {
                let labels: Vec<&str> = std::iter::once(super::fit::INTERCEPT)
                    .chain(mods.iter().map(|(n, _)| *n))
                    .collect();
                into_outcome(regression(&d, &labels, options))
            }
            Outcome::Refused(r) => Outcome::Refused(r),
        }
    };
    Ok(Outcome::Computed(PooledSubgroups { subgroups, between }))
}
