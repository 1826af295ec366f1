//! Cohort-level MMRM (`MmrmBuilder`) on the bundled knee OA trial against `nlme::gls` +
//! `emmeans` (tests/reference/mmrm_knee_oa.R, golden tests/golden/mmrm_knee_oa.json).
//!
//! Model: NRS change from baseline ~ arm*visit + baseline*visit, REML, reference arm placebo;
//! US (corSymm + varIdent), CS and AR(1), on all patients (with dropout) and on the
//! complete-data subset. Where the references differ from this crate's definitions:
//! - gls's optimizers stop short of the optimum; the script converges them (restarts, then
//!   Newton steps on gls's own likelihood: tests/reference/mmrm_gls_polish.R), after which β,
//!   SEs, LS-means and differences agree within `ITERATIVE` (worst about 8e-8).
//! - nlme's log-likelihood is on SAS's scale (REML without a `log|X'X|` term), as here.
//! - Satterthwaite df: emmeans' df for gls come from nlme's `apVar` (a numerical Hessian on
//!   nlme's unconstrained scale, 1–2 % away from the exact df on the FEV data) and are not
//!   used (the script runs emmeans in mode `df.error`; estimates and SEs do not depend on it).
//!   The `df` compared here are computed by the R script from its own REML criterion with
//!   numDeriv (observed Hessian, natural parametrization, at gls's estimates): the SAS PROC
//!   MIXED definition this crate implements.
//! - Type III: the F ratios of emmeans `joint_tests` (reference grid, covariates at their
//!   means) are compared to the 3 decimals emmeans reports; their df are not.
use crate::common;
use crate::mmrm_support;

use crate::common::golden;
use crate::common::tol::{COVARIANCE_PARAMETER, ITERATIVE, SATTERTHWAITE_DF};
use pain_outcomes::analysis::{Covariate, ExclusionReason, MmrmBuilder, Response};
use pain_outcomes::data::{LoadOptions, read_csv, read_csv_str};
use pain_outcomes::stats::mmrm::CovarianceStructure;
use pain_outcomes::{Outcome, RefusalReason};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// `tests/golden/mmrm_knee_oa.json`: one gls fit per structure and subset.
#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    case: String,
    structure: String,
    /// `all`, or `complete` (patients with every visit).
    subset: String,
    n_subjects: u64,
    n_obs: u64,
    log_likelihood: f64,
    /// By R's term name.
    coefficients: BTreeMap<String, f64>,
    std_errors: BTreeMap<String, f64>,
    df_coefficients: BTreeMap<String, f64>,
    covariance: Vec<Vec<f64>>,
    lsmeans: Vec<LsMean>,
    differences: Vec<Difference>,
    joint_tests: Vec<JointTest>,
}

#[derive(Debug, Deserialize)]
struct LsMean {
    arm: String,
    visit: String,
    estimate: f64,
    std_error: f64,
    df: f64,
}

/// Arm − placebo at one visit (emmeans wraps arm labels with operators in parentheses).
#[derive(Debug, Deserialize)]
struct Difference {
    arm: String,
    visit: String,
    estimate: f64,
    std_error: f64,
    df: f64,
    t_value: f64,
}

#[derive(Deserialize)]
struct JointTest {
    term: String,
    num_df: f64,
    f_value: f64,
}

/// β, SEs, LS-means and differences against the converged gls fits.
const GLS_CONVERGENCE: f64 = ITERATIVE;

const DATA: &str = "datasets/knee_oa_trial.csv";

/// Worst relative difference per kind of quantity; all checked at the end so that one run
/// reports every kind.
#[derive(Default)]
struct Worst(BTreeMap<String, (f64, f64, String)>);

impl Worst {
    fn check(&mut self, kind: &str, tol: f64, what: String, got: f64, reference: f64) {
        assert!(
            got.is_finite() && reference.is_finite(),
            "{what}: non-finite"
        );
        let d = common::tol::rel_diff(got, reference, 1e-300);
        let e = self
            .0
            .entry(kind.to_string())
            .or_insert((0.0, tol, String::new()));
        if d >= e.0 {
            *e = (d, tol, format!("{what}: got {got}, reference {reference}"));
        }
    }

    fn finish(&self) {
        let mut bad = Vec::new();
        for (kind, (d, tol, what)) in &self.0 {
            eprintln!("worst {kind} (tol {tol:e}): {d:e} at {what}");
            if d > tol {
                bad.push(format!("{kind}: {d:e} > {tol:e} at {what}"));
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }
}

fn structure(code: &str) -> CovarianceStructure {
    code.parse().unwrap()
}

/// The knee trial restricted to patients with a baseline and an NRS score at every
/// post-baseline visit (all their rows kept).
fn complete_subset() -> pain_outcomes::Cohort {
    let cohort = read_csv(DATA, &LoadOptions::default()).unwrap().cohort;
    let wide = cohort.wide("nrs").unwrap();
    let keep: BTreeSet<String> = (0..wide.n_patients())
        .filter(|&r| (0..wide.n_visits()).all(|v| wide.change(r, v).is_some()))
        .map(|r| cohort.patients()[wide.patients[r]].id.as_str().to_string())
        .collect();
    let text = std::fs::read_to_string(DATA).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for l in lines {
        if keep.contains(l.split(',').next().unwrap()) {
            out.push_str(l);
            out.push('\n');
        }
    }
    read_csv_str(&out, "knee_complete.csv", &LoadOptions::default())
        .unwrap()
        .cohort
}

#[test]
fn cohort_mmrm_matches_nlme_gls_and_emmeans_on_the_knee_oa_trial() {
    let golden: Golden = golden::load("mmrm_knee_oa");
    let full = read_csv(DATA, &LoadOptions::default()).unwrap().cohort;
    let complete = complete_subset();
    let mut worst = Worst::default();
    for case in &golden.cases {
        let name = case.case.as_str();
        let cohort = if case.subset == "all" {
            &full
        } else {
            &complete
        };
        let result = MmrmBuilder::new(cohort)
            .instrument("nrs")
            .response(Response::ChangeFromBaseline)
            .reference_arm("placebo")
            .covariance(structure(&case.structure))
            .fit()
            .unwrap()
            .into_result()
            .unwrap();
        let fit = &result.fit;
        assert!(fit.certificate.hessian_positive_definite, "{name}");
        assert_eq!(fit.n_subjects as u64, case.n_subjects, "{name}");
        assert_eq!(fit.n_observations as u64, case.n_obs, "{name}");
        assert_eq!(
            result.attrition.total_excluded() + fit.n_subjects,
            cohort.n_patients(),
            "{name}: every patient is used or counted as excluded"
        );
        // Log-likelihood: ours at least gls's (gls stops at its own tolerance).
        let ll = case.log_likelihood;
        worst.check(
            "logLik",
            ITERATIVE,
            name.into(),
            fit.fit_statistics.log_likelihood,
            ll,
        );
        assert!(
            fit.fit_statistics.log_likelihood >= ll - 1e-7,
            "{name}: gls is higher"
        );
        for (k, v) in &case.coefficients {
            let c = fit
                .coefficients
                .iter()
                .find(|c| mmrm_support::same_term(&c.label, k))
                .unwrap_or_else(|| panic!("{name}: no coefficient {k}"));
            worst.check(
                "coefficient",
                GLS_CONVERGENCE,
                format!("{name} {k}"),
                c.estimate,
                *v,
            );
            let se = case.std_errors[k];
            worst.check(
                "coefficient SE",
                GLS_CONVERGENCE,
                format!("{name} {k}"),
                c.std_error,
                se,
            );
            let df = case.df_coefficients[k];
            worst.check(
                "coefficient df",
                SATTERTHWAITE_DF,
                format!("{name} {k}"),
                c.df.expect("t df"),
                df,
            );
        }
        for (a, row) in case.covariance.iter().enumerate() {
            for (b, x) in row.iter().enumerate() {
                worst.check(
                    "covariance",
                    COVARIANCE_PARAMETER,
                    format!("{name} Σ[{a},{b}]"),
                    fit.covariance_matrices[0][a][b],
                    *x,
                );
            }
        }
        for g in &case.lsmeans {
            let cell = result
                .lsmeans
                .iter()
                .find(|l| l.cell[0].1 == g.arm && l.cell[1].1 == g.visit)
                .unwrap_or_else(|| panic!("{name}: no LS-mean {g:?}"));
            let e = cell.estimate.computed().unwrap();
            let what = format!("{name} {:?} {:?}", g.arm, g.visit);
            worst.check(
                "LS-mean",
                GLS_CONVERGENCE,
                what.clone(),
                e.estimate,
                g.estimate,
            );
            worst.check(
                "LS-mean SE",
                GLS_CONVERGENCE,
                what.clone(),
                e.std_error,
                g.std_error,
            );
            worst.check(
                "LS-mean df",
                SATTERTHWAITE_DF,
                what,
                e.df.expect("t df"),
                g.df,
            );
        }
        assert_eq!(result.differences.len(), case.differences.len(), "{name}");
        for g in &case.differences {
            let d = result
                .differences
                .iter()
                .filter_map(Outcome::computed)
                .find(|d| {
                    d.arm == g.arm.trim_start_matches('(').trim_end_matches(')')
                        && d.visit.as_deref() == Some(g.visit.as_str())
                })
                .unwrap_or_else(|| panic!("{name}: no difference {g:?}"));
            let e = &d.difference;
            let what = format!("{name} {:?} - placebo {:?}", g.arm, g.visit);
            worst.check(
                "difference",
                GLS_CONVERGENCE,
                what.clone(),
                e.estimate,
                g.estimate,
            );
            worst.check(
                "difference SE",
                GLS_CONVERGENCE,
                what.clone(),
                e.std_error,
                g.std_error,
            );
            worst.check(
                "difference t",
                GLS_CONVERGENCE,
                what.clone(),
                e.statistic,
                g.t_value,
            );
            worst.check(
                "difference df",
                SATTERTHWAITE_DF,
                what,
                e.df.expect("t df"),
                g.df,
            );
        }
        for g in &case.joint_tests {
            let term = g.term.as_str();
            let Some(t) = result
                .type3
                .iter()
                .filter_map(Outcome::computed)
                .find(|t| mmrm_support::same_term(&t.label, term))
            else {
                panic!("{name}: no Type III test of {term}");
            };
            let what = format!("{name} {term}");
            assert_eq!(t.df_numerator, g.num_df, "{what}");
            // joint_tests reports F ratios to 3 decimals (3.729 for the smallest: 2e-4 relative).
            worst.check("Type III F", 2e-4, what, t.statistic, g.f_value);
        }
    }
    worst.finish();
}

fn small_csv(rows: &[(&str, &str, i32, &str, &str, &str)]) -> pain_outcomes::Cohort {
    let mut csv = String::from("patient_id,therapy,day,visit,instrument,score,age\n");
    for (id, arm, day, visit, score, age) in rows {
        csv.push_str(&format!("{id},{arm},{day},{visit},nrs,{score},{age}\n"));
    }
    read_csv_str(&csv, "mem.csv", &LoadOptions::default())
        .unwrap()
        .cohort
}

/// Ten patients, two arms, two follow-up visits; `edit` changes rows before loading.
fn toy(edit: impl Fn(usize, &str, &mut String, &mut String)) -> pain_outcomes::Cohort {
    let scores = [
        [7, 5, 4],
        [6, 5, 5],
        [8, 7, 5],
        [5, 4, 4],
        [7, 6, 6],
        [6, 3, 2],
        [7, 4, 2],
        [8, 4, 4],
        [5, 3, 1],
        [6, 4, 3],
    ];
    let mut owned = Vec::new();
    for (i, s) in scores.iter().enumerate() {
        let arm = if i < 5 { "placebo" } else { "prp" };
        for (k, (day, visit)) in [(0, "baseline"), (42, "week_6"), (90, "month_3")]
            .into_iter()
            .enumerate()
        {
            let mut score = s[k].to_string();
            let mut age = (50 + i).to_string();
            edit(i, visit, &mut score, &mut age);
            owned.push((format!("P{i}"), arm, day, visit, score, age));
        }
    }
    let rows: Vec<_> = owned
        .iter()
        .map(|(id, a, d, v, s, g)| (id.as_str(), *a, *d, *v, s.as_str(), g.as_str()))
        .collect();
    small_csv(&rows)
}

#[test]
fn patients_without_baseline_or_covariate_or_follow_up_are_excluded_and_counted() {
    let cohort = toy(|i, visit, score, age| {
        if i == 0 && visit == "baseline" {
            score.clear();
        }
        if i == 6 {
            age.clear();
        }
        if i == 9 && visit != "baseline" {
            score.clear();
        }
    });
    let r = MmrmBuilder::new(&cohort)
        .instrument("nrs")
        .covariates(&[Covariate::Age])
        .covariance(CovarianceStructure::CompoundSymmetry)
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(r.attrition.excluded_for(ExclusionReason::NoBaseline), 1);
    assert_eq!(
        r.attrition.excluded_for(ExclusionReason::MissingCovariate),
        1
    );
    assert_eq!(r.attrition.missing_by_covariate.len(), 1);
    assert_eq!(r.attrition.missing_by_covariate[0].covariate, "age");
    assert_eq!(r.attrition.missing_by_covariate[0].patients, 1);
    assert_eq!(r.attrition.excluded_for(ExclusionReason::NoFollowUp), 1);
    assert_eq!(r.fit.n_subjects, 7);
    assert_eq!(
        r.patients_per_arm(),
        vec![("placebo".to_string(), 4), ("prp".to_string(), 3)]
    );
    assert!(r.fit.coefficients.iter().any(|c| c.label == "age"));
}

#[test]
fn arm_without_usable_patients_is_refused() {
    let cohort = toy(|i, visit, score, _| {
        if i >= 5 && visit == "baseline" {
            score.clear();
        }
    });
    let out = MmrmBuilder::new(&cohort).instrument("nrs").fit().unwrap();
    let refusal = out.refusal().unwrap();
    assert_eq!(refusal.reason, RefusalReason::EmptyGroup);
    assert!(refusal.detail.contains("prp"), "{}", refusal.detail);
}

#[test]
fn visit_without_observations_is_refused() {
    let cohort = toy(|_, visit, score, _| {
        if visit == "month_3" {
            score.clear();
        }
    });
    let out = MmrmBuilder::new(&cohort).instrument("nrs").fit().unwrap();
    let refusal = out.refusal().unwrap();
    assert_eq!(refusal.reason, RefusalReason::EmptyGroup);
    assert!(refusal.detail.contains("month_3"), "{}", refusal.detail);
}

#[test]
fn invalid_builder_arguments_are_errors() {
    let cohort = toy(|_, _, _, _| {});
    let b = || MmrmBuilder::new(&cohort).instrument("nrs");
    assert!(MmrmBuilder::new(&cohort).fit().is_err(), "no instrument");
    assert!(b().instrument("vas").fit().is_err(), "unknown instrument");
    assert!(b().arms(&["prp", "nope"]).fit().is_err(), "unknown arm");
    assert!(b().arms(&["prp", "prp"]).fit().is_err(), "repeated arm");
    assert!(
        b().arms(&["prp"]).reference_arm("placebo").fit().is_err(),
        "reference not selected"
    );
    assert!(b().visits(&["month_24"]).fit().is_err(), "unknown visit");
    assert!(b().visits(&[]).fit().is_err(), "empty visit list");
    assert!(b().confidence_level(1.5).fit().is_err(), "confidence level");
    assert!(
        b().covariates(&[Covariate::Age, Covariate::Age])
            .fit()
            .is_err(),
        "repeated covariate"
    );
}

#[test]
fn visit_subset_and_score_response_fit_the_selected_visits() {
    let cohort = toy(|_, _, _, _| {});
    let r = MmrmBuilder::new(&cohort)
        .instrument("nrs")
        .response(Response::Score)
        .visits(&["month_3"])
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(r.visits, vec!["month_3".to_string()]);
    assert_eq!(r.fit.n_observations, 10);
    // One visit: the model is an ANCOVA of the score on arm and baseline; the difference is
    // the arm coefficient.
    let d = r.differences[0].computed().unwrap();
    let coef = r
        .fit
        .coefficients
        .iter()
        .find(|c| c.label == "armprp")
        .unwrap();
    common::tol::assert_close("difference", d.difference.estimate, coef.estimate, 1e-12);
}
