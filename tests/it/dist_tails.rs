//! Far-tail p-values and quantiles match R (`pt`, `pf`, `pchisq`, `pnorm` with
//! `lower.tail = FALSE`; `qt`, `qnorm`, `qchisq`, `qf`).
//!
//! Reference: `tests/golden/compare_dist_tails.json`, made by
//! `tests/reference/compare_dist_tails.R`.

use crate::common::golden;
use crate::common::tol;
use pain_outcomes::stats::dist;
use serde::Deserialize;

/// Tail probabilities: 1e-6 relative (the acceptance bound for far tails); in practice the
/// agreement is near 1e-12 except where noted by R's own approximations.
const TAIL: f64 = 1e-6;
/// Quantiles: 1e-10 relative.
const QUANTILE: f64 = 1e-10;

/// `tests/golden/compare_dist_tails.json`: R's value for each argument.
#[derive(Deserialize)]
struct Golden {
    /// `pt(t, df, lower.tail = FALSE)`
    pt_upper: Vec<TCase>,
    /// `pf(f, df1, df2, lower.tail = FALSE)` and `pf(f, df1, df2)`
    pf: Vec<FCase>,
    /// `pchisq(x, df, lower.tail = FALSE)`
    pchisq_upper: Vec<ChiSquaredCase>,
    /// `pnorm(z, lower.tail = FALSE)`
    pnorm_upper: Vec<NormalCase>,
    qt: Vec<QtCase>,
    qnorm: Vec<QnormCase>,
    qchisq: Vec<QtCase>,
    qf: Vec<QfCase>,
}

#[derive(Deserialize)]
struct TCase {
    t: f64,
    df: f64,
    p: f64,
}

#[derive(Deserialize)]
struct FCase {
    f: f64,
    df1: f64,
    df2: f64,
    p: f64,
    lower: f64,
}

#[derive(Deserialize)]
struct ChiSquaredCase {
    x: f64,
    df: f64,
    p: f64,
}

#[derive(Deserialize)]
struct NormalCase {
    z: f64,
    p: f64,
}

/// A quantile with one degrees-of-freedom parameter (`qt`, `qchisq`).
#[derive(Deserialize)]
struct QtCase {
    p: f64,
    df: f64,
    q: f64,
}

#[derive(Deserialize)]
struct QnormCase {
    p: f64,
    q: f64,
}

#[derive(Deserialize)]
struct QfCase {
    p: f64,
    df1: f64,
    df2: f64,
    q: f64,
    q_lower_side: f64,
}

fn golden() -> Golden {
    golden::load("compare_dist_tails")
}

#[test]
fn t_upper_tail_matches_r_pt_including_df_1_and_1e6() {
    let g = golden();
    let cs = &g.pt_upper;
    assert!(cs.len() > 100);
    for c in cs {
        let (t, df, p) = (c.t, c.df, c.p);
        tol::assert_close(
            &format!("pt({t}, {df}, lower = FALSE)"),
            dist::t_sf(t, df),
            p,
            TAIL,
        );
    }
}

#[test]
fn f_both_tails_match_r_pf_for_small_df() {
    let g = golden();
    for c in &g.pf {
        let (f, d1, d2) = (c.f, c.df1, c.df2);
        tol::assert_close(
            &format!("pf({f}, {d1}, {d2}, lower = FALSE)"),
            dist::f_sf(f, d1, d2),
            c.p,
            TAIL,
        );
        tol::assert_close(
            &format!("pf({f}, {d1}, {d2})"),
            dist::f_cdf(f, d1, d2),
            c.lower,
            TAIL,
        );
    }
}

#[test]
fn chi_squared_upper_tail_matches_r_pchisq_far_tails() {
    let g = golden();
    for c in &g.pchisq_upper {
        let (x, df) = (c.x, c.df);
        tol::assert_close(
            &format!("pchisq({x}, {df}, lower = FALSE)"),
            dist::chi_squared_sf(x, df),
            c.p,
            TAIL,
        );
    }
}

#[test]
fn normal_upper_tail_matches_r_pnorm() {
    let g = golden();
    for c in &g.pnorm_upper {
        let z = c.z;
        tol::assert_close(
            &format!("pnorm({z}, lower = FALSE)"),
            dist::normal_sf(z),
            c.p,
            TAIL,
        );
    }
}

#[test]
fn tiny_tails_below_1e_12_are_present_and_match() {
    // The acceptance asks specifically for p < 1e-12: make sure the golden covers them.
    let g = golden();
    let tiny: Vec<&TCase> = g.pt_upper.iter().filter(|c| c.p < 1e-12).collect();
    assert!(tiny.len() >= 20, "only {} t cases below 1e-12", tiny.len());
    for c in tiny {
        let (t, df) = (c.t, c.df);
        tol::assert_close(
            &format!("pt({t}, {df}, lower = FALSE)"),
            dist::t_sf(t, df),
            c.p,
            TAIL,
        );
    }
}

#[test]
fn quantiles_match_r_qt_qnorm_qchisq_qf() {
    let g = golden();
    for c in &g.qt {
        let (p, df) = (c.p, c.df);
        tol::assert_close(
            &format!("qt({p}, {df})"),
            dist::t_quantile(p, df),
            c.q,
            QUANTILE,
        );
    }
    for c in &g.qnorm {
        let p = c.p;
        tol::assert_close(
            &format!("qnorm({p})"),
            dist::normal_quantile(p),
            c.q,
            QUANTILE,
        );
    }
    for c in &g.qchisq {
        let (p, df) = (c.p, c.df);
        tol::assert_close(
            &format!("qchisq({p}, {df})"),
            dist::chi_squared_quantile(p, df),
            c.q,
            QUANTILE,
        );
    }
    for c in &g.qf {
        // `q_lower_side` is R's quantile from the lower-side qbeta; R's `qf` itself cancels
        // digits for small p (see the script), and is checked only loosely there.
        let (p, d1, d2) = (c.p, c.df1, c.df2);
        let got = dist::f_quantile(p, d1, d2);
        tol::assert_close(
            &format!("qf({p}, {d1}, {d2}) [lower-side qbeta]"),
            got,
            c.q_lower_side,
            QUANTILE,
        );
        tol::assert_close(&format!("qf({p}, {d1}, {d2})"), got, c.q, 1e-2);
    }
}
