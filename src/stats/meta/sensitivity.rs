//! Sensitivity and small-study checks: leave-one-out estimates, Egger's regression test and the
//! funnel-plot table.

use super::fit::{MetaFit, into_outcome, pooled};
use super::model;
use super::options::MetaOptions;
use crate::Result;
use crate::stats::{Estimate, Outcome, dist};

/// The pooled estimate without one study.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{leave_one_out, MetaOptions};
/// let rows = leave_one_out(&[0.1, 0.3, 0.5, 0.2], &[0.01, 0.02, 0.04, 0.02], &MetaOptions::default())?;
/// assert_eq!(rows.len(), 4);
/// assert_eq!(rows[2].omitted, 2);
/// assert!(rows[2].fit.computed().unwrap().estimate.estimate < 0.3);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeaveOneOut {
    /// 0-based index of the omitted study.
    pub omitted: usize,
    /// The fit of the other studies (same method and inference).
    pub fit: Outcome<MetaFit>,
}

/// Leave-one-out analysis: the model refitted `k` times, each time without one study.
///
/// # Formula
///
/// Fit `i` is [`meta_analysis`](super::meta_analysis) of the studies `j ≠ i`, τ² re-estimated.
/// As `metafor::leave1out`.
///
/// # References
///
/// Viechtbauer, W. & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
/// meta-analysis. *Research Synthesis Methods* 1, 112–125.
///
/// # Errors
///
/// As [`meta_analysis`](super::meta_analysis). Each row may be refused on its own (for example
/// fewer than 2 remaining studies for random effects).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{leave_one_out, MetaOptions};
/// let rows = leave_one_out(&[0.1, 0.5], &[0.01, 0.02], &MetaOptions::default())?;
/// assert!(rows.iter().all(|r| r.fit.refusal().is_some())); // one study left: no tau^2
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn leave_one_out(
    effects: &[f64],
    variances: &[f64],
    options: &MetaOptions,
) -> Result<Vec<LeaveOneOut>> {
    // validates the arguments once for all rows
    let _ = model::data(effects, variances, &[], options.confidence_level)?;
    (0..effects.len())
        .map(|i| {
            let keep = |s: &[f64]| -> Vec<f64> {
                s.iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, x)| *x)
                    .collect()
            };
            let (y, v) = (keep(effects), keep(variances));
            let fit = match model::data(&y, &v, &[], options.confidence_level)? {
                Outcome::Computed(d) => into_outcome(pooled(&d, options)),
                Outcome::Refused(r) => Outcome::Refused(r),
            };
            Ok(LeaveOneOut { omitted: i, fit })
        })
        .collect()
}

/// Egger's regression test for funnel-plot asymmetry.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{egger_test, MetaOptions};
/// let y = [0.9, 0.6, 0.5, 0.3, 0.25, 0.2];
/// let v = [0.16, 0.09, 0.06, 0.03, 0.02, 0.01];
/// let e = egger_test(&y, &v, &MetaOptions::default())?.into_result().unwrap();
/// assert!(e.asymmetry.estimate > 0.0); // larger effects in smaller studies
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EggerTest {
    /// The coefficient of the standard error: its test is the test of asymmetry (z, or t on
    /// `k − 2` df under Knapp–Hartung).
    pub asymmetry: Estimate,
    /// The intercept: the limit estimate as the standard error goes to 0.
    pub limit_estimate: Estimate,
    /// Residual τ² of the regression.
    pub tau_squared: f64,
    /// Number of studies.
    pub k: usize,
}

/// Egger's regression test: the meta-regression of the effects on their standard errors, with
/// the model's own method and inference.
///
/// # Formula
///
/// `yᵢ = β₀ + β₁ √vᵢ + uᵢ + eᵢ`; the test of `β₁ = 0` is the asymmetry test and `β₀` the limit
/// estimate. As `metafor::regtest(fit)` with its defaults (`model = "rma"`,
/// `predictor = "sei"`).
///
/// # References
///
/// Egger, M., Davey Smith, G., Schneider, M. & Minder, C. (1997). Bias in meta-analysis
/// detected by a simple, graphical test. *BMJ* 315, 629–634. Sterne, J. A. C. & Egger, M.
/// (2005). Regression methods to detect publication and other bias in meta-analysis. In
/// *Publication Bias in Meta-Analysis*, Wiley.
///
/// # Errors
///
/// As [`meta_analysis`](super::meta_analysis). Refuses fewer than 3 studies, equal standard
/// errors (collinear with the intercept) and non-convergence.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::{egger_test, MetaInference, MetaOptions};
/// let y = [0.9, 0.6, 0.5, 0.3, 0.25, 0.2];
/// let v = [0.16, 0.09, 0.06, 0.03, 0.02, 0.01];
/// let kh = MetaOptions::default().with_inference(MetaInference::KnappHartung);
/// let e = egger_test(&y, &v, &kh)?.into_result().unwrap();
/// assert_eq!(e.asymmetry.df, Some(4.0)); // t on k - 2 df
/// assert!(egger_test(&y[..2], &v[..2], &kh)?.refusal().is_some());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn egger_test(
    effects: &[f64],
    variances: &[f64],
    options: &MetaOptions,
) -> Result<Outcome<EggerTest>> {
    let se: Vec<f64> = variances.iter().map(|v| v.max(0.0).sqrt()).collect();
    if effects.len() < 3 && effects.len() == variances.len() {
        return Ok(crate::stats::refuse(
            crate::RefusalReason::TooFewObservations,
            format!(
                "{} studies: Egger's test regresses on the standard error and needs at least 3",
                effects.len()
            ),
        ));
    }
    let d = match model::data(
        effects,
        variances,
        &[("sei", &se)],
        options.confidence_level,
    )? {
        Outcome::Computed(d) => d,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let level = options.confidence_level;
    Ok(into_outcome(model::fit(&d, options).map(|m| {
        let coefficient = |j: usize, label: &str| {
            let b = m.beta.get(j).copied().unwrap_or(0.0);
            let se = m.cov.get((j, j)).copied().unwrap_or(0.0).sqrt();
            Estimate::wald(label, b, se, m.df, level)
        };
        EggerTest {
            asymmetry: coefficient(1, "sei"),
            limit_estimate: coefficient(0, "limit estimate"),
            tau_squared: m.tau2,
            k: m.k,
        }
    })))
}

/// One study of a funnel plot: its effect and standard error, and the pseudo-confidence
/// limits `center ± z · SE` at that standard error.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::funnel_table;
/// let t = funnel_table(&[0.5, 0.1], &[0.04, 0.01], 0.2, 0.95)?;
/// assert!((t[0].std_error - 0.2).abs() < 1e-15);
/// assert!((t[0].lower - (0.2 - 1.959963984540054 * 0.2)).abs() < 1e-12);
/// assert!(t[0].outside == false);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunnelPoint {
    /// The study's effect.
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Lower pseudo-confidence limit around the pooled estimate at this standard error.
    pub lower: f64,
    /// Upper pseudo-confidence limit.
    pub upper: f64,
    /// Whether the effect lies outside the limits.
    pub outside: bool,
}

/// The funnel-plot table: each study's effect and standard error with the pseudo-confidence
/// limits around `center` (usually the pooled estimate), as `metafor::funnel` draws them.
///
/// # Errors
///
/// [`crate::Error::InvalidArgument`] for slices of different lengths, non-finite values,
/// negative variances or a level outside (0, 1).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::meta::funnel_table;
/// let t = funnel_table(&[1.5, 0.1], &[0.04, 0.01], 0.2, 0.95)?;
/// assert!(t[0].outside && !t[1].outside);
/// assert!(funnel_table(&[0.1], &[-1.0], 0.0, 0.95).is_err());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn funnel_table(
    effects: &[f64],
    variances: &[f64],
    center: f64,
    level: f64,
) -> Result<Vec<FunnelPoint>> {
    crate::stats::describe::check_level(level)?;
    crate::stats::describe::check_same_len("variances", effects.len(), variances.len())?;
    crate::stats::describe::check_finite("effects", effects)?;
    crate::stats::describe::check_finite("variances", variances)?;
    crate::stats::describe::check_finite("center", &[center])?;
    if variances.iter().any(|v| *v < 0.0) {
        return Err(crate::Error::invalid_argument(
            "variances",
            "a sampling variance is negative",
        ));
    }
    let z = dist::normal_quantile(0.5 + level / 2.0);
    Ok(effects
        .iter()
        .zip(variances)
        .map(|(y, v)| {
            let se = v.sqrt();
            let (lower, upper) = (center - z * se, center + z * se);
            FunnelPoint {
                estimate: *y,
                std_error: se,
                lower,
                upper,
                outside: *y < lower || *y > upper,
            }
        })
        .collect())
}
