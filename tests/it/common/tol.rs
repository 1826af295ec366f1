//! Named tolerances for golden comparisons, in one place.
//!
//! Each constant says why it is as loose as it is.

/// Closed-form statistics (means, t statistics, exact tests): agreement to rounding error.
pub const CLOSED_FORM: f64 = 1e-10;
/// Closed forms compared with R values that R prints/serializes to 15 significant digits.
pub const R_PRINTED: f64 = 1e-8;
/// Iterative fits (REML/ML, Cox partial likelihood): both sides stop at a convergence criterion.
pub const ITERATIVE: f64 = 1e-6;
/// Newton (IRLS) fits of generalized linear models: quadratic convergence, both sides
/// iterated to a tight criterion, so far tighter than [`ITERATIVE`].
pub const NEWTON_FIT: f64 = 1e-9;
/// Profile-likelihood limits: roots of the signed root deviance, each a root-finder on top of
/// constrained refits on both sides.
pub const PROFILE_LIMIT: f64 = 1e-5;
/// `MASS::confint` on a `glm`: the profile is evaluated on a grid and its inverse is
/// interpolated by spline, so it is accurate to a few units in 1e-5 only.
pub const MASS_PROFILE_SPLINE: f64 = 1e-3;
/// Covariance parameters of iterative fits: flatter likelihood, so looser.
pub const COVARIANCE_PARAMETER: f64 = 1e-4;
/// Satterthwaite degrees of freedom: a numerical derivative in the reference software.
pub const SATTERTHWAITE_DF: f64 = 1e-3;

/// Multivariate normal and t probabilities by randomized quasi-Monte Carlo (ours and
/// mvtnorm's Genz–Bretz): both sides are integrated to an estimated absolute error of 1e-8 to
/// 1e-9, and the quantiles and intervals inherit that error divided by the density at the
/// critical value; 1e-6 (absolute on probabilities, relative on quantiles and limits) is the
/// acceptance bound of the multiplicity kernel.
pub const MVT_INTEGRATION: f64 = 1e-6;

/// Relative difference `|a - b| / max(|b|, floor)`; `floor` avoids dividing by ~0.
pub fn rel_diff(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / b.abs().max(floor)
}

/// Asserts `a` is within relative tolerance `tol` of reference `b` (absolute near zero).
#[track_caller]
pub fn assert_close(what: &str, a: f64, b: f64, tol: f64) {
    assert!(
        a.is_finite() && b.is_finite(),
        "{what}: non-finite value (got {a}, reference {b})"
    );
    let d = rel_diff(a, b, f64::MIN_POSITIVE);
    assert!(
        d <= tol,
        "{what}: got {a}, reference {b}, relative difference {d:e} > {tol:e}"
    );
}

/// Asserts `|a - b| <= tol` (for reference values that are zero or near zero, say why at the
/// call site).
#[track_caller]
pub fn assert_close_abs(what: &str, a: f64, b: f64, tol: f64) {
    assert!(
        a.is_finite() && b.is_finite(),
        "{what}: non-finite value (got {a}, reference {b})"
    );
    let d = (a - b).abs();
    assert!(
        d <= tol,
        "{what}: got {a}, reference {b}, absolute difference {d:e} > {tol:e}"
    );
}

/// [`assert_close`] for each `(label, got, reference)` field of one result, each reported as
/// `"{what} {label}"`.
#[track_caller]
pub fn assert_all_close(what: &str, tol: f64, fields: &[(&str, f64, f64)]) {
    for &(label, a, b) in fields {
        assert_close(&format!("{what} {label}"), a, b, tol);
    }
}

/// Asserts two optional numbers agree: both absent (R's `NA`), or both present and within
/// relative tolerance `tol`.
#[track_caller]
pub fn assert_opt(what: &str, got: Option<f64>, reference: Option<f64>, tol: f64) {
    match (got, reference) {
        (Some(a), Some(b)) => assert_close(what, a, b, tol),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, reference {reference:?}"),
    }
}

/// [`assert_opt`] for each `(label, got, reference)` field, each reported as `"{what} {label}"`.
#[track_caller]
pub fn assert_all_opt(what: &str, tol: f64, fields: &[(&str, Option<f64>, Option<f64>)]) {
    for &(label, got, reference) in fields {
        assert_opt(&format!("{what} {label}"), got, reference, tol);
    }
}

/// Between-study variances at the boundary τ² = 0 (and the I², H² and test statistics that
/// follow them there): metafor's Fisher scoring stops within its threshold (1e-12 in the
/// goldens) of 0 where the crate returns exactly 0, so such references are compared
/// absolutely, as are any references this close to 0.
pub const TAU2_AT_ZERO: f64 = 1e-9;
