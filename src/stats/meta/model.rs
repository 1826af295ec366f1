//! The engine shared by every meta-analytic model: weighted least squares at a given τ², the
//! τ² estimators (DerSimonian–Laird, REML by Fisher scoring, Paule–Mandel by root finding),
//! the Knapp–Hartung scale and the heterogeneity statistics of a mixed-effects model
//! `y = Xβ + u + e`, `u ~ N(0, τ²)`, `e ~ N(0, vᵢ)`.

use super::options::{MetaInference, MetaMethod, MetaOptions};
use crate::Result;
use crate::stats::describe::{check_finite, check_level, check_same_len};
use crate::stats::{Outcome, Refusal, RefusalReason, refuse};
use nalgebra::{DMatrix, DVector};

/// The data of a model: effects, sampling variances and the design (intercept first).
pub(crate) struct Data {
    pub y: DVector<f64>,
    pub v: DVector<f64>,
    pub x: DMatrix<f64>,
}

impl Data {
    pub fn k(&self) -> usize {
        self.y.len()
    }

    pub fn p(&self) -> usize {
        self.x.ncols()
    }

    /// Residual degrees of freedom `k − p`.
    pub fn df(&self) -> f64 {
        self.k() as f64 - self.p() as f64
    }
}

/// Checks effects and variances, and builds the design `[1, moderators…]`. Non-positive
/// variances are a refusal.
pub(crate) fn data(
    effects: &[f64],
    variances: &[f64],
    moderators: &[(&str, &[f64])],
    level: f64,
) -> Result<Outcome<Data>> {
    check_level(level)?;
    check_same_len("variances", effects.len(), variances.len())?;
    check_finite("effects", effects)?;
    check_finite("variances", variances)?;
    for (_, m) in moderators {
        check_same_len("moderators", effects.len(), m.len())?;
        check_finite("moderators", m)?;
    }
    if let Some(i) = variances.iter().position(|v| *v <= 0.0) {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            format!(
                "study {} has sampling variance {}: inverse-variance weights need variances > 0",
                i + 1,
                variances.get(i).copied().unwrap_or(0.0)
            ),
        ));
    }
    let k = effects.len();
    let x = DMatrix::from_fn(k, moderators.len() + 1, |i, j| match j {
        0 => 1.0,
        _ => moderators
            .get(j - 1)
            .and_then(|(_, m)| m.get(i))
            .copied()
            .unwrap_or(0.0),
    });
    Ok(Outcome::Computed(Data {
        y: DVector::from_column_slice(effects),
        v: DVector::from_column_slice(variances),
        x,
    }))
}

/// Weighted least squares at one τ².
pub(crate) struct Wls {
    /// Weights `1 / (vᵢ + τ²)`.
    pub w: DVector<f64>,
    /// Coefficients.
    pub beta: DVector<f64>,
    /// `(X'WX)⁻¹`.
    pub cov: DMatrix<f64>,
    /// `P = W − WX(X'WX)⁻¹X'W`.
    pub p: DMatrix<f64>,
    /// `y'Py = Σ wᵢ rᵢ²`.
    pub rss: f64,
    /// `Py = W r`.
    pub py: DVector<f64>,
}

impl Wls {
    /// `tr P`.
    pub fn trace(&self) -> f64 {
        self.p.trace()
    }
}

/// The fit at `tau2`; `None` when `X'WX` is singular.
pub(crate) fn wls(d: &Data, tau2: f64) -> Option<Wls> {
    let w = d.v.map(|v| 1.0 / (v + tau2));
    let mut xw = d.x.clone();
    for (mut row, wi) in xw.row_iter_mut().zip(w.iter()) {
        row *= *wi;
    }
    let xtwx = d.x.tr_mul(&xw);
    let cov = xtwx.clone().cholesky()?.inverse();
    // a design that is singular to working precision gives a huge or non-finite inverse
    if !cov.iter().all(|c| c.is_finite()) || rcond(&xtwx, &cov) < 1e-13 {
        return None;
    }
    let beta = &cov * xw.tr_mul(&d.y);
    let r = &d.y - &d.x * &beta;
    let py = r.component_mul(&w);
    let rss = r.dot(&py);
    let p = DMatrix::from_diagonal(&w) - &xw * &cov * xw.transpose();
    Some(Wls {
        w,
        beta,
        cov,
        p,
        rss,
        py,
    })
}

/// The reciprocal condition number of `a` in the 1-norm, from `a` and its inverse.
fn rcond(a: &DMatrix<f64>, inv: &DMatrix<f64>) -> f64 {
    let norm1 = |m: &DMatrix<f64>| {
        m.column_iter()
            .map(|c| c.iter().map(|x| x.abs()).sum::<f64>())
            .fold(0.0, f64::max)
    };
    1.0 / (norm1(a) * norm1(inv))
}

/// Internal results: a value or the refusal.
pub(crate) type Refused<T> = std::result::Result<T, Refusal>;

fn refusal(reason: RefusalReason, detail: impl Into<String>) -> Refusal {
    Refusal::new(reason, detail)
}

fn singular() -> Refusal {
    refusal(
        RefusalReason::SingularDesign,
        "the moderators are collinear (X'WX is singular)",
    )
}

/// τ² and how it was found.
pub(crate) struct TauSquared {
    pub value: f64,
    pub iterations: usize,
}

/// Estimates τ² by `method` (0 for the fixed-effect model).
pub(crate) fn tau_squared(d: &Data, options: &MetaOptions) -> Refused<TauSquared> {
    let (k, p, df) = (d.k(), d.p(), d.df());
    let done = |value: f64, iterations: usize| Ok(TauSquared { value, iterations });
    if options.method == MetaMethod::FixedEffect {
        return done(0.0, 0);
    }
    if k <= p {
        return Err(refusal(
            RefusalReason::TooFewObservations,
            format!(
                "{k} studies for {p} coefficient(s): a random-effects model needs more studies than coefficients (at least 2 without moderators)"
            ),
        ));
    }
    let fe = wls(d, 0.0).ok_or_else(singular)?;
    match options.method {
        MetaMethod::FixedEffect => done(0.0, 0),
        MetaMethod::DerSimonianLaird => done(((fe.rss - df) / fe.trace()).max(0.0), 0),
        MetaMethod::Reml => reml(d, options),
        MetaMethod::PauleMandel => {
            if fe.rss <= df {
                return done(0.0, 0);
            }
            let (value, iterations) = generalised_q_root(d, df, options)?;
            done(value, iterations)
        }
    }
}

/// The restricted log-likelihood at τ² (up to a constant).
fn reml_loglik(d: &Data, tau2: f64) -> Option<f64> {
    let f = wls(d, tau2)?;
    let logdet_v: f64 = d.v.iter().map(|v| (v + tau2).ln()).sum();
    let logdet_xtwx = -f.cov.clone().cholesky()?.determinant().ln();
    Some(-0.5 * (logdet_v + logdet_xtwx + f.rss))
}

/// REML by Fisher scoring, `τ² ← τ² + (y'PPy − tr P) / tr(PP)`, with step halving at the
/// boundary τ² = 0, started from the Hedges (method-of-moments) estimate; a maximum at the
/// boundary gives exactly 0.
fn reml(d: &Data, options: &MetaOptions) -> Refused<TauSquared> {
    let mut tau2 = hedges_start(d);
    for iteration in 1..=options.max_iterations {
        let f = wls(d, tau2).ok_or_else(singular)?;
        let tr_pp: f64 = f.p.iter().map(|x| x * x).sum();
        let score = f.py.norm_squared() - f.trace();
        let mut step = score / tr_pp;
        if !step.is_finite() {
            break;
        }
        if tau2 == 0.0 && step <= 0.0 {
            return Ok(TauSquared {
                value: 0.0,
                iterations: iteration,
            });
        }
        let mut halvings = 0;
        while tau2 + step < 0.0 {
            step /= 2.0;
            halvings += 1;
            if halvings > 60 {
                step = -tau2;
                break;
            }
        }
        let next = tau2 + step;
        let converged = (next - tau2).abs() <= options.tolerance * tau2.abs().max(1.0);
        tau2 = next;
        if tau2 < options.tolerance * 1e-2 && boundary_is_maximum(d) {
            return Ok(TauSquared {
                value: 0.0,
                iterations: iteration,
            });
        }
        if converged {
            // a stationary point below the likelihood at zero is not the maximum
            let at_zero = reml_loglik(d, 0.0);
            let here = reml_loglik(d, tau2);
            if let (Some(z), Some(h)) = (at_zero, here)
                && z > h + 1e-10 * h.abs().max(1.0)
            {
                tau2 = 0.0;
            }
            return Ok(TauSquared {
                value: tau2,
                iterations: iteration,
            });
        }
    }
    Err(refusal(
        RefusalReason::NoConvergence,
        format!(
            "REML Fisher scoring for tau^2 did not converge in {} iterations",
            options.max_iterations
        ),
    ))
}

/// Whether the REML score at τ² = 0 points downwards (so that the maximum is at 0).
fn boundary_is_maximum(d: &Data) -> bool {
    wls(d, 0.0).is_some_and(|f| f.py.norm_squared() - f.trace() <= 0.0)
}

/// The Hedges (method-of-moments, unweighted) estimate, truncated at 0: the starting value
/// of the Fisher scoring (as metafor's default).
fn hedges_start(d: &Data) -> f64 {
    let ones = DVector::from_element(d.k(), 1.0);
    let unweighted = Data {
        y: d.y.clone(),
        v: ones,
        x: d.x.clone(),
    };
    // with unit "variances" and τ² = 0 the WLS is ordinary least squares
    match wls(&unweighted, 0.0) {
        Some(f) => {
            let tr_pv: f64 = f.p.diagonal().component_mul(&d.v).sum();
            ((f.rss - tr_pv) / d.df()).max(0.0)
        }
        None => 0.0,
    }
}

/// The root in τ² ≥ 0 of the generalised Q statistic `Q(τ²) = y'P(τ²)y = target`, which
/// decreases in τ²; the caller has checked `Q(0) > target`. Newton steps safeguarded by a
/// bracket that is first grown by doubling. Refuses when no bracket or no convergence is
/// found within the iteration limit.
pub(crate) fn generalised_q_root(
    d: &Data,
    target: f64,
    options: &MetaOptions,
) -> Refused<(f64, usize)> {
    let no_conv = |what: &str| {
        refusal(
            RefusalReason::NoConvergence,
            format!("the root of the generalised Q statistic for tau^2 {what}"),
        )
    };
    let q = |tau2: f64| wls(d, tau2).map(|f| (f.rss - target, -f.py.norm_squared()));
    let (mut lo, mut hi) = (0.0_f64, d.v.mean().max(1e-8));
    let mut grown = 0;
    loop {
        match q(hi) {
            Some((g, _)) if g < 0.0 => break,
            Some(_) => {
                lo = hi;
                hi *= 2.0;
                grown += 1;
                if grown > 2000 || !hi.is_finite() {
                    return Err(no_conv("was not bracketed"));
                }
            }
            None => return Err(singular()),
        }
    }
    let mut x = 0.5 * (lo + hi);
    for iteration in 1..=options.max_iterations {
        let Some((g, dg)) = q(x) else {
            return Err(no_conv("could not be evaluated"));
        };
        if g == 0.0 {
            return Ok((x, iteration));
        }
        if g > 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - g / dg;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let scale = x.abs().max(1.0);
        if (next - x).abs() <= options.tolerance * scale || (hi - lo) <= options.tolerance * scale {
            return Ok((next, iteration));
        }
        x = next;
    }
    Err(no_conv(&format!(
        "did not converge in {} iterations",
        options.max_iterations
    )))
}

/// A fitted model: coefficients and their covariance (Knapp–Hartung scaled), τ², the
/// heterogeneity statistics.
pub(crate) struct Model {
    pub k: usize,
    pub p: usize,
    pub beta: DVector<f64>,
    /// Covariance of `beta` (times the Knapp–Hartung scale when used).
    pub cov: DMatrix<f64>,
    /// Degrees of freedom of the t and F references (`k − p`) under Knapp–Hartung.
    pub df: Option<f64>,
    pub tau2: f64,
    pub iterations: usize,
    /// `Q_E`, the weighted residual sum of squares with weights `1/vᵢ`.
    pub qe: f64,
    pub i2: f64,
    pub h2: f64,
    /// Weights `1/(vᵢ + τ²)` of the final fit.
    pub weights: DVector<f64>,
}

/// Fits the model: τ² by `options.method`, then WLS at τ², the Knapp–Hartung scale when
/// asked, `Q_E`, I² and H² (as metafor defines them).
pub(crate) fn fit(d: &Data, options: &MetaOptions) -> Refused<Model> {
    let (k, p) = (d.k(), d.p());
    if k < p || k == 0 {
        return Err(refusal(
            RefusalReason::TooFewObservations,
            format!("{k} studies for {p} coefficient(s)"),
        ));
    }
    let tau = tau_squared(d, options)?;
    let f = wls(d, tau.value).ok_or_else(singular)?;
    let fe = wls(d, 0.0).ok_or_else(singular)?;
    let df = d.df();
    let (cov, t_df) = match options.inference {
        MetaInference::Normal => (f.cov.clone(), None),
        MetaInference::KnappHartung => {
            if df < 1.0 {
                return Err(refusal(
                    RefusalReason::TooFewObservations,
                    format!(
                        "the Knapp-Hartung adjustment needs more studies than coefficients ({k} for {p})"
                    ),
                ));
            }
            let s2 = f.rss / df;
            if s2 <= f64::EPSILON {
                return Err(refusal(
                    RefusalReason::ZeroVariance,
                    "the weighted residuals are all zero: the Knapp-Hartung scale is zero",
                ));
            }
            (&f.cov * s2, Some(df))
        }
    };
    let (qe, i2, h2) = if k > p {
        let qe = fe.rss.max(0.0);
        let vt = df / fe.trace();
        let (i2, h2) = if options.method == MetaMethod::FixedEffect {
            let i2 = if qe > 0.0 {
                (100.0 * (qe - df) / qe).max(0.0)
            } else {
                0.0
            };
            (i2, qe / df)
        } else {
            (100.0 * tau.value / (vt + tau.value), tau.value / vt + 1.0)
        };
        (qe, i2, h2)
    } else {
        (0.0, 0.0, 1.0)
    };
    if cov.diagonal().iter().any(|c| !(c.is_finite() && *c > 0.0)) {
        return Err(refusal(
            RefusalReason::SingularDesign,
            "a coefficient has no positive variance",
        ));
    }
    Ok(Model {
        k,
        p,
        beta: f.beta,
        cov,
        df: t_df,
        tau2: tau.value,
        iterations: tau.iterations,
        qe,
        i2,
        h2,
        weights: f.w,
    })
}
