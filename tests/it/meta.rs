//! The meta-analysis family matches metafor: `escalc` effect sizes and variances (MD, SMD,
//! log RR, log OR), `rma` with FE, DL, REML and PM under z and Knapp–Hartung tests, `predict`
//! (prediction interval), `confint` (Q-profile interval of τ², I², H²), `leave1out`,
//! `regtest`, the subgroup test `rma(mods = ~ factor(g))` with the subgroups' own fits, and the
//! meta-regression `rma(mods = ~ x)`.
//!
//! Goldens: `tests/golden/meta_metafor.json` (dat.bcg, dat.normand1999 and the bundled
//! studies file; `tests/reference/meta_metafor.R`) and `tests/golden/meta_heldout.json` (a
//! studies file with continuous and binary rows and a zero cell;
//! `tests/reference/meta_heldout.R`). Refusals are checked on small in-memory files.

use crate::common::golden::{self, Provenance};
use crate::common::tol::{self, CLOSED_FORM, ITERATIVE, TAU2_AT_ZERO};
use pain_outcomes::analysis::{MetaAnalysis, MetaAnalysisOptions, meta_analysis};
use pain_outcomes::data::{read_studies, read_studies_str};
use pain_outcomes::stats::meta::{
    self as meta, EffectMeasure, MetaFit, MetaInference, MetaMethod, MetaOptions, ModeratorTest,
};
use pain_outcomes::{Outcome, RefusalReason};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct Golden {
    #[allow(dead_code)]
    provenance: Provenance,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    data: String,
    measure: String,
    by: Option<String>,
    regress: Option<String>,
    studies: Vec<String>,
    yi: Vec<f64>,
    vi: Vec<f64>,
    fits: Vec<Fit>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Fit {
    method: String,
    test: String,
    k: usize,
    estimate: f64,
    se: f64,
    statistic: f64,
    pval: f64,
    ci_lb: f64,
    ci_ub: f64,
    tau2: f64,
    I2: f64,
    H2: f64,
    QE: f64,
    QEp: f64,
    /// `None` for the fixed-effect model (metafor's `predict` gives no prediction interval;
    /// the crate's equals the confidence interval there).
    pi_lb: Option<f64>,
    pi_ub: Option<f64>,
    tau2_ci: Option<TauCi>,
    leave1out: LeaveOneOut,
    regtest: RegTest,
    subgroups: Option<Subgroups>,
    regression: Option<Regression>,
}

#[derive(Deserialize)]
struct TauCi {
    lb: f64,
    ub: f64,
    i2_lb: f64,
    i2_ub: f64,
    h2_lb: f64,
    h2_ub: f64,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct LeaveOneOut {
    estimate: Vec<f64>,
    se: Vec<f64>,
    ci_lb: Vec<f64>,
    ci_ub: Vec<f64>,
    tau2: Vec<f64>,
    I2: Vec<f64>,
    H2: Vec<f64>,
    Q: Vec<f64>,
}

#[derive(Deserialize)]
struct RegTest {
    statistic: f64,
    pval: f64,
    est: f64,
    ci_lb: f64,
    ci_ub: f64,
    tau2: f64,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Subgroups {
    by: String,
    groups: Vec<Group>,
    QM: f64,
    QMdf: Vec<Option<f64>>,
    QMp: f64,
    tau2: f64,
    QE: f64,
}

#[derive(Deserialize)]
struct Group {
    label: String,
    k: usize,
    estimate: Option<f64>,
    se: Option<f64>,
    ci_lb: Option<f64>,
    ci_ub: Option<f64>,
    tau2: Option<f64>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Regression {
    moderator: String,
    b: Vec<f64>,
    se: Vec<f64>,
    pval: Vec<f64>,
    ci_lb: Vec<f64>,
    ci_ub: Vec<f64>,
    QM: f64,
    QMp: f64,
    tau2: f64,
    QE: f64,
}

thread_local! {
    /// The largest relative difference seen per kind of quantity (printed with --nocapture).
    static WORST: RefCell<BTreeMap<&'static str, f64>> = const { RefCell::new(BTreeMap::new()) };
}

/// Compares `got` with `reference` at relative tolerance `tol`; a reference within
/// [`TAU2_AT_ZERO`] of 0 (τ² and the I² and statistics that follow it at the boundary) is
/// compared absolutely.
#[track_caller]
fn check(kind: &'static str, what: &str, got: f64, reference: f64, tol: f64) {
    if reference.abs() < TAU2_AT_ZERO {
        tol::assert_close_abs(what, got, reference, TAU2_AT_ZERO);
        return;
    }
    tol::assert_close(what, got, reference, tol);
    let d = tol::rel_diff(got, reference, f64::MIN_POSITIVE);
    WORST.with(|w| {
        let mut w = w.borrow_mut();
        let e = w.entry(kind).or_insert(0.0);
        *e = e.max(d);
    });
}

fn measure(code: &str) -> EffectMeasure {
    code.parse().expect("measure code")
}

fn options(fit: &Fit) -> MetaOptions {
    let method: MetaMethod = fit.method.parse().expect("method code");
    let inference: MetaInference = fit.test.parse().expect("test code");
    MetaOptions::default()
        .with_method(method)
        .with_inference(inference)
}

fn computed<'a, T>(what: &str, o: &'a Outcome<T>) -> &'a T {
    match o {
        Outcome::Computed(v) => v,
        Outcome::Refused(r) => panic!("{what}: refused: {r}"),
    }
}

fn check_fit(what: &str, got: &MetaFit, fit: &Fit) {
    let e = &got.estimate;
    assert_eq!(got.k, fit.k, "{what}: k");
    for (label, a, b) in [
        ("estimate", e.estimate, fit.estimate),
        ("se", e.std_error, fit.se),
        ("statistic", e.statistic, fit.statistic),
        ("ci_lb", e.confidence_interval.lower, fit.ci_lb),
        ("ci_ub", e.confidence_interval.upper, fit.ci_ub),
        (
            "pi_lb",
            got.prediction_interval.lower,
            fit.pi_lb.unwrap_or(fit.ci_lb),
        ),
        (
            "pi_ub",
            got.prediction_interval.upper,
            fit.pi_ub.unwrap_or(fit.ci_ub),
        ),
    ] {
        check(
            "estimates, SEs, CIs",
            &format!("{what} {label}"),
            a,
            b,
            ITERATIVE,
        );
    }
    check(
        "p-values",
        &format!("{what} p"),
        e.p_value,
        fit.pval,
        ITERATIVE,
    );
    check(
        "tau2",
        &format!("{what} tau2"),
        got.tau_squared,
        fit.tau2,
        ITERATIVE,
    );
    check(
        "I2, H2",
        &format!("{what} I2"),
        got.i_squared,
        fit.I2,
        ITERATIVE,
    );
    check(
        "I2, H2",
        &format!("{what} H2"),
        got.h_squared,
        fit.H2,
        ITERATIVE,
    );
    check(
        "Q",
        &format!("{what} Q"),
        got.heterogeneity.statistic,
        fit.QE,
        CLOSED_FORM,
    );
    check(
        "p-values",
        &format!("{what} Q p"),
        got.heterogeneity.p_value,
        fit.QEp,
        ITERATIVE,
    );
}

fn check_analysis(what: &str, m: &MetaAnalysis, case: &Case, fit: &Fit) {
    check_fit(&format!("{what} pooled"), computed(what, &m.pooled), fit);
    match (&fit.tau2_ci, &m.tau_squared_interval) {
        (Some(ci), Outcome::Computed(got)) => {
            for (label, a, b) in [
                ("tau2 lb", got.tau_squared.lower, ci.lb),
                ("tau2 ub", got.tau_squared.upper, ci.ub),
                ("I2 lb", got.i_squared.lower, ci.i2_lb),
                ("I2 ub", got.i_squared.upper, ci.i2_ub),
                ("H2 lb", got.h_squared.lower, ci.h2_lb),
                ("H2 ub", got.h_squared.upper, ci.h2_ub),
            ] {
                check("tau2 CI", &format!("{what} {label}"), a, b, ITERATIVE);
            }
        }
        (None, Outcome::Refused(r)) => assert_eq!(r.reason, RefusalReason::NotEstimable),
        (ci, got) => panic!("{what}: tau2 CI {} vs {got:?}", ci.is_some()),
    }
    let l = &fit.leave1out;
    assert_eq!(m.leave_one_out.len(), l.estimate.len(), "{what} leave1out");
    for (i, row) in m.leave_one_out.iter().enumerate() {
        let w = format!("{what} leave1out {}", row.study);
        let got = computed(&w, &row.fit);
        let e = &got.estimate;
        for (label, a, b) in [
            ("estimate", e.estimate, l.estimate[i]),
            ("se", e.std_error, l.se[i]),
            ("ci_lb", e.confidence_interval.lower, l.ci_lb[i]),
            ("ci_ub", e.confidence_interval.upper, l.ci_ub[i]),
        ] {
            check("leave-one-out", &format!("{w} {label}"), a, b, ITERATIVE);
        }
        // metafor's leave1out reports no tau2 for fixed-effect models
        let tau2 = l.tau2.get(i).copied().unwrap_or(0.0);
        check(
            "tau2",
            &format!("{w} tau2"),
            got.tau_squared,
            tau2,
            ITERATIVE,
        );
        check(
            "I2, H2",
            &format!("{w} I2"),
            got.i_squared,
            l.I2[i],
            ITERATIVE,
        );
        check(
            "I2, H2",
            &format!("{w} H2"),
            got.h_squared,
            l.H2[i],
            ITERATIVE,
        );
        check(
            "Q",
            &format!("{w} Q"),
            got.heterogeneity.statistic,
            l.Q[i],
            CLOSED_FORM,
        );
    }
    let egger = computed(what, &m.egger);
    let r = &fit.regtest;
    for (label, a, b) in [
        ("statistic", egger.asymmetry.statistic, r.statistic),
        ("est", egger.limit_estimate.estimate, r.est),
        (
            "ci_lb",
            egger.limit_estimate.confidence_interval.lower,
            r.ci_lb,
        ),
        (
            "ci_ub",
            egger.limit_estimate.confidence_interval.upper,
            r.ci_ub,
        ),
    ] {
        check("Egger", &format!("{what} regtest {label}"), a, b, ITERATIVE);
    }
    check(
        "p-values",
        &format!("{what} regtest p"),
        egger.asymmetry.p_value,
        r.pval,
        ITERATIVE,
    );
    check(
        "tau2",
        &format!("{what} regtest tau2"),
        egger.tau_squared,
        r.tau2,
        ITERATIVE,
    );
    if let Some(s) = &fit.subgroups {
        check_subgroups(what, m, s);
    }
    if let Some(reg) = &fit.regression {
        let got = m.regression.as_ref().expect("regression asked");
        assert_eq!(got.moderator, reg.moderator);
        let g = computed(what, &got.fit);
        for (j, c) in g.coefficients.iter().enumerate() {
            let w = format!("{what} regression {}", c.label);
            for (label, a, b) in [
                ("b", c.estimate, reg.b[j]),
                ("se", c.std_error, reg.se[j]),
                ("ci_lb", c.confidence_interval.lower, reg.ci_lb[j]),
                ("ci_ub", c.confidence_interval.upper, reg.ci_ub[j]),
            ] {
                check("meta-regression", &format!("{w} {label}"), a, b, ITERATIVE);
            }
            check(
                "p-values",
                &format!("{w} p"),
                c.p_value,
                reg.pval[j],
                ITERATIVE,
            );
        }
        check(
            "meta-regression",
            &format!("{what} QM"),
            g.moderator_test.statistic(),
            reg.QM,
            ITERATIVE,
        );
        check(
            "p-values",
            &format!("{what} QM p"),
            g.moderator_test.p_value(),
            reg.QMp,
            ITERATIVE,
        );
        check(
            "tau2",
            &format!("{what} regression tau2"),
            g.tau_squared,
            reg.tau2,
            ITERATIVE,
        );
        check(
            "Q",
            &format!("{what} regression QE"),
            g.residual_heterogeneity.statistic,
            reg.QE,
            CLOSED_FORM,
        );
    }
    let _ = case;
}

fn check_subgroups(what: &str, m: &MetaAnalysis, s: &Subgroups) {
    let got = m.subgroups.as_ref().expect("subgroups asked");
    assert_eq!(got.by, s.by);
    assert_eq!(got.subgroups.len(), s.groups.len(), "{what} subgroups");
    for (g, r) in got.subgroups.iter().zip(&s.groups) {
        let w = format!("{what} subgroup {}", r.label);
        assert_eq!(g.label, r.label);
        assert_eq!(g.studies.len(), r.k, "{w} k");
        match (&g.fit, r.estimate, r.ci_lb) {
            (Outcome::Computed(f), Some(est), Some(lb)) => {
                let e = &f.estimate;
                for (label, a, b) in [
                    ("estimate", e.estimate, est),
                    ("se", e.std_error, r.se.unwrap_or(f64::NAN)),
                    ("ci_lb", e.confidence_interval.lower, lb),
                    (
                        "ci_ub",
                        e.confidence_interval.upper,
                        r.ci_ub.unwrap_or(f64::NAN),
                    ),
                ] {
                    check("subgroups", &format!("{w} {label}"), a, b, ITERATIVE);
                }
                check(
                    "tau2",
                    &format!("{w} tau2"),
                    f.tau_squared,
                    r.tau2.unwrap_or(f64::NAN),
                    ITERATIVE,
                );
            }
            // one study: refused for random effects (metafor records nothing there); under
            // Knapp–Hartung the crate also refuses the fixed-effect fit (0 df), where metafor
            // quietly falls back to a z interval for k = 1
            (Outcome::Refused(reason), _, _) if r.k == 1 => {
                assert_eq!(r.k, 1, "{w}");
                assert_eq!(reason.reason, RefusalReason::TooFewObservations, "{w}");
            }
            (got, _, _) => panic!("{w}: {got:?}"),
        }
    }
    let between = computed(what, &got.between);
    let t = &between.moderator_test;
    check(
        "subgroup test",
        &format!("{what} QM"),
        t.statistic(),
        s.QM,
        ITERATIVE,
    );
    check(
        "p-values",
        &format!("{what} QM p"),
        t.p_value(),
        s.QMp,
        ITERATIVE,
    );
    assert_eq!(Some(t.df_numerator()), s.QMdf[0], "{what} QM df");
    assert_eq!(
        t.df_denominator(),
        s.QMdf.get(1).copied().flatten(),
        "{what} QM df2"
    );
    match t {
        ModeratorTest::F(_) => assert!(s.QMdf.get(1).copied().flatten().is_some()),
        ModeratorTest::ChiSquare(_) => assert!(s.QMdf.get(1).copied().flatten().is_none()),
    }
    check(
        "tau2",
        &format!("{what} subgroup residual tau2"),
        between.tau_squared,
        s.tau2,
        ITERATIVE,
    );
    check(
        "Q",
        &format!("{what} subgroup QE"),
        between.residual_heterogeneity.statistic,
        s.QE,
        CLOSED_FORM,
    );
}

fn run_golden(name: &str) {
    let g: Golden = golden::load(name);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(!g.cases.is_empty());
    for case in &g.cases {
        let table = read_studies(root.join(&case.data)).expect("studies file");
        for fit in &case.fits {
            let what = format!("{} {} {}", case.name, fit.method, fit.test);
            let mut options =
                MetaAnalysisOptions::new(measure(&case.measure)).with_model(options(fit));
            if let Some(by) = &case.by {
                options = options.with_subgroups(by);
            }
            if let Some(x) = &case.regress {
                options = options.with_regression(x);
            }
            let m = meta_analysis(&table, &options).expect("analysis");
            let names: Vec<&str> = m.studies.iter().map(|s| s.study.as_str()).collect();
            assert_eq!(names, case.studies, "{what}: studies analysed");
            for (s, (y, v)) in m.studies.iter().zip(case.yi.iter().zip(&case.vi)) {
                check(
                    "effect sizes",
                    &format!("{what} {} yi", s.study),
                    s.effect.estimate,
                    *y,
                    CLOSED_FORM,
                );
                check(
                    "effect sizes",
                    &format!("{what} {} vi", s.study),
                    s.effect.variance,
                    *v,
                    CLOSED_FORM,
                );
            }
            check_analysis(&what, &m, case, fit);
        }
    }
    WORST.with(|w| {
        for (kind, d) in w.borrow().iter() {
            println!("{name}: largest relative difference, {kind}: {d:.2e}");
        }
    });
}

#[test]
fn meta_analyses_match_metafor_on_bcg_normand_and_the_bundled_studies() {
    run_golden("meta_metafor");
}

#[test]
fn meta_heldout_studies_file_matches_metafor_for_every_measure_and_method() {
    run_golden("meta_heldout");
}

const TWO_STUDIES: &str = "study,n_treated,mean_treated,sd_treated,n_control,mean_control,sd_control,condition\n\
    A,20,30,10,20,40,12,knee_oa\n\
    B,25,35,11,24,41,10,knee_oa\n";

#[test]
fn meta_random_effects_with_one_study_is_refused() {
    let t = read_studies_str(
        "study,n_treated,mean_treated,sd_treated,n_control,mean_control,sd_control\nA,20,30,10,20,40,12\n",
        "one.csv",
    )
    .unwrap();
    let m = meta_analysis(&t, &MetaAnalysisOptions::default()).unwrap();
    assert_eq!(
        m.pooled.refusal().map(|r| r.reason),
        Some(RefusalReason::TooFewObservations)
    );
    // the fixed-effect estimate of one study is the study itself
    let fe = MetaAnalysisOptions::default()
        .with_model(MetaOptions::default().with_method(MetaMethod::FixedEffect));
    let m = meta_analysis(&t, &fe).unwrap();
    assert!((m.pooled.computed().unwrap().estimate.estimate + 10.0).abs() < 1e-12);
}

#[test]
fn meta_zero_or_negative_variances_are_refused() {
    for v in [[0.1, 0.0, 0.2], [0.1, -0.5, 0.2]] {
        let y = [0.1, 0.2, 0.3];
        for o in [
            meta::meta_analysis(&y, &v, &MetaOptions::default())
                .unwrap()
                .refusal()
                .cloned(),
            meta::tau_squared_interval(&y, &v, &MetaOptions::default())
                .unwrap()
                .refusal()
                .cloned(),
            meta::egger_test(&y, &v, &MetaOptions::default())
                .unwrap()
                .refusal()
                .cloned(),
        ] {
            assert_eq!(o.map(|r| r.reason), Some(RefusalReason::ZeroVariance));
        }
    }
    // both SDs zero: the mean difference has no variance
    let t = read_studies_str(
        "study,n_treated,mean_treated,sd_treated,n_control,mean_control,sd_control\nA,20,30,0,20,40,0\nB,20,31,5,20,40,6\n",
        "zero.csv",
    )
    .unwrap();
    let m = meta_analysis(&t, &MetaAnalysisOptions::default()).unwrap();
    assert_eq!(m.excluded.len(), 1);
    assert!(
        m.excluded[0].reason.contains("zero_variance"),
        "{}",
        m.excluded[0].reason
    );
}

#[test]
fn meta_reml_and_paule_mandel_without_convergence_are_refused() {
    let y = [-1.2, -0.8, -1.5, -0.3, -1.0, 0.4];
    let v = [0.10, 0.08, 0.20, 0.05, 0.12, 0.07];
    for method in [MetaMethod::Reml, MetaMethod::PauleMandel] {
        let o = MetaOptions::default()
            .with_method(method)
            .with_max_iterations(1);
        let fit = meta::meta_analysis(&y, &v, &o).unwrap();
        assert_eq!(
            fit.refusal().map(|r| r.reason),
            Some(RefusalReason::NoConvergence),
            "{method:?}"
        );
        let converged = meta::meta_analysis(&y, &v, &o.with_max_iterations(100)).unwrap();
        assert!(converged.computed().is_some());
    }
}

#[test]
fn meta_subgroup_with_one_study_is_refused_for_random_effects() {
    let csv = format!("{TWO_STUDIES}C,30,32,9,30,39,10,lateral_epicondylitis\n");
    let t = read_studies_str(&csv, "groups.csv").unwrap();
    let m = meta_analysis(
        &t,
        &MetaAnalysisOptions::default().with_subgroups("condition"),
    )
    .unwrap();
    let s = m.subgroups.unwrap();
    assert!(s.subgroups[0].fit.computed().is_some());
    assert_eq!(
        s.subgroups[1].fit.refusal().map(|r| r.reason),
        Some(RefusalReason::TooFewObservations)
    );
    // nothing is NaN in the JSON of a result with refusals
    let json = pain_outcomes::report::to_json(&m.pooled).unwrap();
    assert!(!json.contains("NaN"), "{json}");
}

#[test]
fn meta_studies_file_errors_name_file_line_column_and_value() {
    let cases = [
        ("study,n_treated\nA,10\n", "missing_column"),
        (
            "study,events_treated,n_treated,events_control,n_control\nA,3,20,2,0\n",
            "value_out_of_range",
        ),
        (
            "study,events_treated,n_treated,events_control,n_control\nA,3,20,x,20\n",
            "invalid_number",
        ),
        (
            "study,therapy,events_treated,n_treated,events_control,n_control\nA,laser,3,20,2,20\n",
            "unknown_category",
        ),
        (
            "study,events_treated,n_treated,events_control,n_control\n,3,20,2,20\n",
            "empty_value",
        ),
        (
            "study,mean_treated,events_treated,n_treated,events_control,n_control\nA,,,20,,20\n",
            "empty_value",
        ),
        (
            "study,mean_treated,sd_treated,n_treated,mean_control,sd_control,n_control\nA,3,-1,20,2,1,20\n",
            "value_out_of_range",
        ),
        (
            "study,events_treated,n_treated,events_control,n_control\nA,3,20,2\n",
            "field_count",
        ),
        (
            "study,events_treated,n_treated,events_control,n_control\n",
            "header_only",
        ),
        (
            "study,therapy,cell_source,events_treated,n_treated,events_control,n_control\nA,prp,adipose,3,20,2,20\n",
            "inapplicable",
        ),
    ];
    for (csv, code) in cases {
        let e = read_studies_str(csv, "bad.csv").unwrap_err();
        assert_eq!(e.code(), code, "{csv}: {e}");
        assert!(e.to_string().starts_with("bad.csv"), "{e}");
    }
    let e = read_studies_str(
        "study,events_treated,n_treated,events_control,n_control\nA,3,20,2,20\nB,25,20,2,20\n",
        "bad.csv",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad.csv, line 3, column `events_treated`: value 25 is outside the allowed range [0, 20]"
    );
}

mod no_panic {
    use pain_outcomes::analysis::{MetaAnalysisOptions, meta_analysis};
    use pain_outcomes::data::read_studies_from;
    use pain_outcomes::stats::meta::{EffectMeasure, MetaMethod, MetaOptions};
    use proptest::prelude::*;

    const HEADER: &[u8] = b"study,n_treated,mean_treated,sd_treated,n_control,mean_control,sd_control,events_treated,events_control,condition\n";

    fn studies_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            4 => prop::sample::select(b",\"\n\r0123456789.-eNAk_".to_vec()),
            1 => any::<u8>(),
        ];
        prop::collection::vec(byte, 0..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// No byte sequence after a studies header makes the reader, or an analysis of what it
        /// reads, panic; an analysis never reports NaN.
        #[test]
        fn meta_studies_reader_and_analysis_never_panic(bytes in studies_bytes(), m in 0usize..4) {
            let mut input = HEADER.to_vec();
            input.extend(bytes);
            if let Ok(table) = read_studies_from(input.as_slice(), "fuzz.csv") {
                let measure = [
                    EffectMeasure::MeanDifference,
                    EffectMeasure::StandardizedMeanDifference,
                    EffectMeasure::LogRiskRatio,
                    EffectMeasure::LogOddsRatio,
                ][m];
                let method = [MetaMethod::FixedEffect, MetaMethod::DerSimonianLaird, MetaMethod::Reml, MetaMethod::PauleMandel][m];
                let options = MetaAnalysisOptions::new(measure)
                    .with_model(MetaOptions::default().with_method(method))
                    .with_subgroups("condition");
                if let Ok(result) = meta_analysis(&table, &options) {
                    let json = pain_outcomes::report::to_json(&result).unwrap();
                    prop_assert!(!json.contains("NaN"));
                }
            }
        }
    }
}
