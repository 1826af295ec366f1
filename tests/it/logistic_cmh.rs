//! Logistic regression and Cochran–Mantel–Haenszel analyses match R on committed data:
//! `glm(binomial)` (coefficients, SEs, z, p, deviances, AIC), `exp(coef)` with Wald limits,
//! profile-likelihood limits (exact roots, and `MASS::confint` at its interpolation accuracy),
//! the standardised risk difference with its delta-method SE, and `mantelhaen.test` (both
//! continuity settings) with the Mantel–Haenszel risk difference and its Sato variance.
//!
//! The golden is written by `tests/reference/logistic_cmh.R` from
//! `tests/data/logistic_cmh.csv` (made by `tests/reference/logistic_cmh_make_data.R`).

use crate::common::golden::{self, Provenance};
use crate::common::tol::{
    self, CLOSED_FORM, MASS_PROFILE_SPLINE, NEWTON_FIT, PROFILE_LIMIT, R_PRINTED,
};
use pain_outcomes::stats::cmh::{CmhOptions, cochran_mantel_haenszel};
use pain_outcomes::stats::logistic::{LogisticFit, LogisticOptions, logistic_regression};
use pain_outcomes::stats::{Proportion, TwoByTwo};
use pain_outcomes::{Error, RefusalReason};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Golden {
    provenance: Provenance,
    level: f64,
    n: usize,
    logistic: Logistic,
    cmh: Cmh,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Logistic {
    coefficients: Vec<Coefficient>,
    deviance: f64,
    null_deviance: f64,
    aic: f64,
    df_residual: usize,
    iterations: usize,
    odds_ratios: Vec<OddsRatio>,
    profile: Vec<Profile>,
    vcov: Vec<Vec<f64>>,
    risk_difference: RiskDifference,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Coefficient {
    label: String,
    estimate: f64,
    std_error: f64,
    statistic: f64,
    p_value: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OddsRatio {
    label: String,
    odds_ratio: f64,
    lower: f64,
    upper: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    label: String,
    lower: f64,
    upper: f64,
    mass_lower: f64,
    mass_upper: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskDifference {
    risk_treated: f64,
    risk_control: f64,
    estimate: f64,
    std_error: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cmh {
    strata: Vec<Stratum>,
    corrected: MhTest,
    uncorrected: MhTest,
    risk_difference: CmhRiskDifference,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stratum {
    site: String,
    treated_events: u64,
    treated_total: u64,
    control_events: u64,
    control_total: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MhTest {
    statistic: f64,
    df: f64,
    p_value: f64,
    odds_ratio: f64,
    or_lower: f64,
    or_upper: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CmhRiskDifference {
    estimate: f64,
    std_error: f64,
    lower: f64,
    upper: f64,
}

/// One patient row of `tests/data/logistic_cmh.csv`.
struct Patient {
    site: String,
    arm: f64,
    age: f64,
    severity: f64,
    responder: bool,
}

fn patients(path: &str) -> Vec<Patient> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("patient_id,site,arm,age,severity,responder")
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 6, "{line}");
            let num = |s: &str| s.parse::<f64>().unwrap_or_else(|e| panic!("{line}: {e}"));
            Patient {
                site: f[1].to_string(),
                arm: num(f[2]),
                age: num(f[3]),
                severity: num(f[4]),
                responder: match f[5] {
                    "1" => true,
                    "0" => false,
                    other => panic!("responder {other:?}"),
                },
            }
        })
        .collect()
}

/// Relative differences by quantity, for the report printed with `--nocapture`.
#[derive(Default)]
struct Worst(std::collections::BTreeMap<&'static str, f64>);

impl Worst {
    #[track_caller]
    fn check(&mut self, quantity: &'static str, what: &str, got: f64, reference: f64, tol: f64) {
        tol::assert_close(&format!("{quantity} {what}"), got, reference, tol);
        let d = tol::rel_diff(got, reference, f64::MIN_POSITIVE);
        let e = self.0.entry(quantity).or_insert(0.0);
        *e = e.max(d);
    }
    fn print(&self) {
        for (q, d) in &self.0 {
            println!("max relative difference {q}: {d:.3e}");
        }
    }
}

fn load() -> (Golden, Vec<Patient>) {
    let g: Golden = golden::load("logistic_cmh");
    assert_eq!(g.provenance.data, ["tests/data/logistic_cmh.csv"]);
    let data = patients(&g.provenance.data[0]);
    assert_eq!(data.len(), g.n);
    (g, data)
}

fn fit(data: &[Patient], level: f64) -> LogisticFit {
    let y: Vec<bool> = data.iter().map(|p| p.responder).collect();
    let arm: Vec<f64> = data.iter().map(|p| p.arm).collect();
    let age: Vec<f64> = data.iter().map(|p| p.age).collect();
    let severity: Vec<f64> = data.iter().map(|p| p.severity).collect();
    let options = LogisticOptions::default()
        .with_treatment("arm")
        .with_confidence_level(level);
    logistic_regression(
        &y,
        &[("arm", &arm), ("age", &age), ("severity", &severity)],
        &options,
    )
    .expect("valid arguments")
    .into_result()
    .expect("fit computed")
}

#[test]
fn logistic_regression_matches_glm_binomial() {
    let (g, data) = load();
    let f = fit(&data, g.level);
    let r = &g.logistic;
    let mut w = Worst::default();
    assert!(f.converged);
    assert_eq!(f.n, g.n);
    assert_eq!(f.df_residual, r.df_residual);
    assert!(f.iterations <= 10, "{} iterations", f.iterations);
    assert!(r.iterations >= 1);
    assert_eq!(f.coefficients.len(), r.coefficients.len());
    for (c, rc) in f.coefficients.iter().zip(&r.coefficients) {
        assert_eq!(c.label, rc.label);
        assert_eq!(c.df, None);
        w.check("coefficient", &c.label, c.estimate, rc.estimate, NEWTON_FIT);
        w.check("std_error", &c.label, c.std_error, rc.std_error, NEWTON_FIT);
        w.check("z", &c.label, c.statistic, rc.statistic, NEWTON_FIT);
        w.check("p_value", &c.label, c.p_value, rc.p_value, NEWTON_FIT);
    }
    for (i, row) in f.covariance.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            w.check(
                "covariance",
                &format!("[{i},{j}]"),
                *v,
                r.vcov[i][j],
                NEWTON_FIT,
            );
        }
    }
    w.check("deviance", "", f.deviance, r.deviance, NEWTON_FIT);
    w.check(
        "null_deviance",
        "",
        f.null_deviance,
        r.null_deviance,
        CLOSED_FORM,
    );
    w.check("aic", "", f.aic, r.aic, NEWTON_FIT);
    for (o, ro) in f.odds_ratios().iter().zip(&r.odds_ratios) {
        assert_eq!(o.label, ro.label);
        w.check(
            "odds_ratio",
            &o.label,
            o.odds_ratio,
            ro.odds_ratio,
            NEWTON_FIT,
        );
        w.check(
            "odds_ratio_lower",
            &o.label,
            o.confidence_interval.lower,
            ro.lower,
            NEWTON_FIT,
        );
        w.check(
            "odds_ratio_upper",
            &o.label,
            o.confidence_interval.upper,
            ro.upper,
            NEWTON_FIT,
        );
    }
    w.print();
}

#[test]
fn profile_likelihood_limits_match_the_exact_roots_and_mass_confint() {
    let (g, data) = load();
    let f = fit(&data, g.level);
    let mut w = Worst::default();
    assert_eq!(f.profile_intervals.len(), g.logistic.profile.len());
    for (p, rp) in f.profile_intervals.iter().zip(&g.logistic.profile) {
        assert_eq!(p.label, rp.label);
        let lower = p.lower.expect("lower limit reached");
        let upper = p.upper.expect("upper limit reached");
        w.check("profile_lower", &p.label, lower, rp.lower, PROFILE_LIMIT);
        w.check("profile_upper", &p.label, upper, rp.upper, PROFILE_LIMIT);
        w.check(
            "mass_lower",
            &p.label,
            lower,
            rp.mass_lower,
            MASS_PROFILE_SPLINE,
        );
        w.check(
            "mass_upper",
            &p.label,
            upper,
            rp.mass_upper,
            MASS_PROFILE_SPLINE,
        );
        // the profile interval is not the Wald interval
        let wald = f.coefficient(&p.label).expect("label").confidence_interval;
        assert!((lower - wald.lower).abs() > 1e-6 && (upper - wald.upper).abs() > 1e-6);
    }
    w.print();
}

#[test]
fn standardised_risk_difference_matches_the_delta_method() {
    let (g, data) = load();
    let f = fit(&data, g.level);
    let rd = f
        .marginal_risk_difference
        .as_ref()
        .expect("treatment named");
    let r = &g.logistic.risk_difference;
    let mut w = Worst::default();
    assert_eq!(rd.treatment, "arm");
    w.check(
        "risk_treated",
        "",
        rd.risk_treated,
        r.risk_treated,
        NEWTON_FIT,
    );
    w.check(
        "risk_control",
        "",
        rd.risk_control,
        r.risk_control,
        NEWTON_FIT,
    );
    w.check(
        "risk_difference",
        "",
        rd.difference.estimate,
        r.estimate,
        NEWTON_FIT,
    );
    w.check(
        "risk_difference_se",
        "",
        rd.difference.std_error,
        r.std_error,
        NEWTON_FIT,
    );
    assert_eq!(rd.difference.df, None);
    w.print();
}

fn strata(g: &Golden, data: &[Patient]) -> Vec<TwoByTwo> {
    // the strata recounted from the data agree with the script's
    g.cmh
        .strata
        .iter()
        .map(|s| {
            let site: Vec<&Patient> = data.iter().filter(|p| p.site == s.site).collect();
            let count = |arm: f64, events: bool| {
                site.iter()
                    .filter(|p| p.arm == arm && (!events || p.responder))
                    .count() as u64
            };
            let t = TwoByTwo::new(
                Proportion::new(count(1.0, true), count(1.0, false)),
                Proportion::new(count(0.0, true), count(0.0, false)),
            );
            assert_eq!(
                t,
                TwoByTwo::new(
                    Proportion::new(s.treated_events, s.treated_total),
                    Proportion::new(s.control_events, s.control_total)
                ),
                "{}",
                s.site
            );
            t
        })
        .collect()
}

#[test]
fn cmh_matches_mantelhaen_test_and_the_sato_risk_difference() {
    let (g, data) = load();
    let tables = strata(&g, &data);
    assert_eq!(tables.len(), 4);
    let options = CmhOptions::default().with_confidence_level(g.level);
    let c = cochran_mantel_haenszel(&tables, &options)
        .expect("valid")
        .into_result()
        .expect("computed");
    let mut w = Worst::default();
    assert_eq!(c.n, g.n as u64);
    for (test, r) in [
        (&c.test_corrected, &g.cmh.corrected),
        (&c.test_uncorrected, &g.cmh.uncorrected),
    ] {
        assert_eq!(test.df, r.df);
        w.check(
            "cmh_statistic",
            &test.label,
            test.statistic,
            r.statistic,
            CLOSED_FORM,
        );
        w.check(
            "cmh_p_value",
            &test.label,
            test.p_value,
            r.p_value,
            R_PRINTED,
        );
        let or = &c.common_odds_ratio;
        w.check(
            "mh_odds_ratio",
            "",
            or.odds_ratio,
            r.odds_ratio,
            CLOSED_FORM,
        );
        w.check(
            "mh_or_lower",
            "",
            or.confidence_interval.lower,
            r.or_lower,
            CLOSED_FORM,
        );
        w.check(
            "mh_or_upper",
            "",
            or.confidence_interval.upper,
            r.or_upper,
            CLOSED_FORM,
        );
    }
    assert!(c.test_corrected.statistic < c.test_uncorrected.statistic);
    let rd = &c.risk_difference;
    let r = &g.cmh.risk_difference;
    w.check(
        "mh_risk_difference",
        "",
        rd.estimate,
        r.estimate,
        CLOSED_FORM,
    );
    w.check(
        "mh_risk_difference_se",
        "",
        rd.std_error,
        r.std_error,
        CLOSED_FORM,
    );
    w.check(
        "mh_rd_lower",
        "",
        rd.confidence_interval.lower,
        r.lower,
        CLOSED_FORM,
    );
    w.check(
        "mh_rd_upper",
        "",
        rd.confidence_interval.upper,
        r.upper,
        CLOSED_FORM,
    );
    w.print();
}

fn refusal(outcome: pain_outcomes::Result<pain_outcomes::Outcome<LogisticFit>>) -> RefusalReason {
    outcome
        .expect("valid arguments")
        .refusal()
        .expect("refused")
        .reason
}

#[test]
fn logistic_regression_refuses_separation_no_events_all_events_and_singular_designs() {
    let o = LogisticOptions::default();
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    // complete separation: events exactly when x > 4
    let sep = [false, false, false, false, true, true, true, true];
    assert_eq!(
        refusal(logistic_regression(&sep, &[("x", &x)], &o)),
        RefusalReason::MonotoneLikelihood
    );
    // quasi-complete separation: a treated group where everyone responds
    let arm = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    let quasi = [true, true, true, true, true, false, true, false];
    assert_eq!(
        refusal(logistic_regression(&quasi, &[("arm", &arm)], &o)),
        RefusalReason::MonotoneLikelihood
    );
    assert_eq!(
        refusal(logistic_regression(&[false; 8], &[("x", &x)], &o)),
        RefusalReason::NoResponders
    );
    assert_eq!(
        refusal(logistic_regression(&[true; 8], &[("x", &x)], &o)),
        RefusalReason::AllResponders
    );
    let y = [true, false, true, false, false, true, true, false];
    let twice: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
    assert_eq!(
        refusal(logistic_regression(&y, &[("x", &x), ("x2", &twice)], &o)),
        RefusalReason::SingularDesign
    );
    assert_eq!(
        refusal(logistic_regression(&y, &[("constant", &[3.0; 8])], &o)),
        RefusalReason::SingularDesign
    );
    assert_eq!(
        refusal(logistic_regression(&y[..2], &[("x", &x[..2])], &o)),
        RefusalReason::TooFewObservations
    );
    let one_step = LogisticOptions::default().with_max_iterations(1);
    assert_eq!(
        refusal(logistic_regression(&y, &[("x", &x)], &one_step)),
        RefusalReason::NoConvergence
    );
    // the same data without separation fit
    assert!(
        logistic_regression(&y, &[("x", &x)], &o)
            .expect("valid")
            .computed()
            .is_some()
    );
}

#[test]
fn logistic_regression_rejects_invalid_arguments() {
    let o = LogisticOptions::default();
    let y = [true, false, true, false];
    let invalid = |r: pain_outcomes::Result<pain_outcomes::Outcome<LogisticFit>>| {
        matches!(r, Err(Error::InvalidArgument { .. }))
    };
    assert!(invalid(logistic_regression(
        &y,
        &[("x", &[1.0, 2.0, 3.0])],
        &o
    )));
    assert!(invalid(logistic_regression(
        &y,
        &[("x", &[1.0, f64::NAN, 3.0, 4.0])],
        &o
    )));
    assert!(invalid(logistic_regression(
        &y,
        &[("x", &[1.0, 2.0, 3.0, 4.0]), ("x", &[1.0, 0.0, 3.0, 4.0])],
        &o
    )));
    assert!(invalid(logistic_regression(
        &y,
        &[("", &[1.0, 2.0, 3.0, 4.0])],
        &o
    )));
    let treat = LogisticOptions::default().with_treatment("arm");
    assert!(invalid(logistic_regression(
        &y,
        &[("x", &[1.0, 2.0, 3.0, 4.0])],
        &treat
    )));
    assert!(invalid(logistic_regression(
        &y,
        &[("arm", &[1.0, 2.0, 0.0, 1.0])],
        &treat
    )));
    let level = LogisticOptions::default().with_confidence_level(1.0);
    assert!(invalid(logistic_regression(
        &y,
        &[("x", &[1.0, 2.0, 3.0, 4.0])],
        &level
    )));
}

#[test]
fn cmh_refuses_undefined_strata_and_rejects_invalid_arguments() {
    let o = CmhOptions::default();
    let t = |a, n1, c, n0| TwoByTwo::new(Proportion::new(a, n1), Proportion::new(c, n0));
    let reason = |strata: &[TwoByTwo]| {
        cochran_mantel_haenszel(strata, &o)
            .expect("valid")
            .refusal()
            .expect("refused")
            .reason
    };
    assert_eq!(
        reason(&[t(3, 10, 2, 10), t(1, 1, 0, 0)]),
        RefusalReason::TooFewObservations
    );
    assert_eq!(
        reason(&[t(0, 10, 0, 10), t(0, 5, 0, 6)]),
        RefusalReason::NoResponders
    );
    assert_eq!(reason(&[t(10, 10, 10, 10)]), RefusalReason::AllResponders);
    assert_eq!(
        reason(&[t(3, 10, 0, 0), t(0, 0, 2, 6)]),
        RefusalReason::EmptyGroup
    );
    // every treated patient responds and no control patient does: OR infinite
    assert_eq!(
        reason(&[t(5, 5, 0, 5), t(4, 4, 0, 3)]),
        RefusalReason::NotEstimable
    );
    assert!(matches!(
        cochran_mantel_haenszel(&[], &o),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        cochran_mantel_haenszel(&[t(6, 5, 1, 5)], &o),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        cochran_mantel_haenszel(
            &[t(3, 5, 1, 5)],
            &CmhOptions::default().with_confidence_level(0.0)
        ),
        Err(Error::InvalidArgument { .. })
    ));
    // a stratum with an empty group is allowed alongside informative strata
    assert!(
        cochran_mantel_haenszel(&[t(3, 10, 2, 10), t(2, 4, 0, 0)], &o)
            .expect("valid")
            .computed()
            .is_some()
    );
}
