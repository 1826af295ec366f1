//! An MMRM with the user's own patient-level columns — a numeric one as a covariate and a text
//! one as a factor — against `nlme::gls` + `emmeans` (tests/reference/mmrm_own_columns.R).

use pain_outcomes::analysis::{Covariate, MmrmBuilder};
use pain_outcomes::data::{ColumnKind, LoadOptions, read_csv};
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};
use crate::mmrm_support;

#[derive(Deserialize)]
struct Golden {
    n_subjects: usize,
    n_observations: usize,
    log_likelihood: f64,
    coefficients: Vec<Coefficient>,
    differences: Vec<Difference>,
}

#[derive(Deserialize)]
struct Coefficient {
    name: String,
    estimate: f64,
    std_error: f64,
}

#[derive(Deserialize)]
struct Difference {
    arm: String,
    visit: String,
    estimate: f64,
    std_error: f64,
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn mmrm_with_own_covariate_and_factor_matches_nlme_gls_emmeans() {
    let g: Golden = serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/mmrm_own_columns.json")).unwrap(),
    )
    .unwrap();
    let loaded = read_csv(
        path("tests/data/knee_oa_own_columns.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let kinds: Vec<(&str, ColumnKind)> = loaded
        .report
        .kept_columns
        .iter()
        .map(|k| (k.name.as_str(), k.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("symptom_months", ColumnKind::Covariate),
            ("smoker", ColumnKind::Factor)
        ]
    );
    let covariates: Vec<Covariate> =
        vec!["symptom_months".parse().unwrap(), "smoker".parse().unwrap()];
    let m = MmrmBuilder::new(&loaded.cohort)
        .instrument("nrs")
        .covariates(&covariates)
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(m.fit.n_subjects, g.n_subjects);
    assert_eq!(m.fit.n_observations, g.n_observations);
    assert!(
        m.formula.ends_with("+ symptom_months + smoker"),
        "{}",
        m.formula
    );
    // gls's optimum is polished to a Newton decrement below 1e-12; ours must be as high
    assert!(m.fit.fit_statistics.log_likelihood >= g.log_likelihood - 1e-7);
    assert_eq!(m.fit.coefficients.len(), g.coefficients.len());
    for r in &g.coefficients {
        let c = m
            .fit
            .coefficients
            .iter()
            .find(|c| mmrm_support::same_term(&c.label, &r.name))
            .unwrap_or_else(|| panic!("no coefficient {}", r.name));
        assert_close(
            &format!("{} estimate", r.name),
            c.estimate,
            r.estimate,
            ITERATIVE,
        );
        assert_close(
            &format!("{} SE", r.name),
            c.std_error,
            r.std_error,
            ITERATIVE,
        );
    }
    assert_eq!(
        m.differences
            .iter()
            .filter(|d| d.computed().is_some())
            .count(),
        g.differences.len()
    );
    for r in &g.differences {
        // emmeans writes a label with `+` in parentheses: `(stem_cell[bone_marrow]+prp)`
        let arm = r.arm.trim_start_matches('(').trim_end_matches(')');
        let d = m
            .difference(arm, &r.visit)
            .and_then(|d| d.computed())
            .unwrap_or_else(|| panic!("no difference {} at {}", r.arm, r.visit));
        let what = format!("{} - placebo at {}", r.arm, r.visit);
        assert_close(
            &format!("{what} estimate"),
            d.difference.estimate,
            r.estimate,
            ITERATIVE,
        );
        assert_close(
            &format!("{what} SE"),
            d.difference.std_error,
            r.std_error,
            ITERATIVE,
        );
    }
}

#[test]
fn a_covariate_the_data_lacks_is_a_typed_error_naming_it() {
    let loaded = read_csv(
        path("tests/data/knee_oa_own_columns.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    let fit = |name: &str| {
        MmrmBuilder::new(&loaded.cohort)
            .instrument("nrs")
            .covariates(&[name.parse().unwrap()])
            .fit()
    };
    let e = fit("smoking").unwrap_err().to_string();
    assert!(
        e.contains("no patient has a value of `smoking`") && e.contains("smoker, symptom_months"),
        "{e}"
    );
    let e = fit("arm").unwrap_err().to_string();
    assert!(e.contains("cannot name a model term"), "{e}");
    // a contract covariate the file does not carry is named too (it used to be refused as an
    // arm without patients)
    let csv = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\nP1,prp,90,nrs,4\n";
    let cohort = pain_outcomes::data::read_csv_str(csv, "m.csv", &Default::default())
        .unwrap()
        .cohort;
    let e = MmrmBuilder::new(&cohort)
        .instrument("nrs")
        .covariates(&[Covariate::Age])
        .fit()
        .unwrap_err()
        .to_string();
    assert!(e.contains("no patient has a value of `age`"), "{e}");
}
