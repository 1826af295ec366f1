//! An MMRM with the user's own patient-level columns — a numeric one as a covariate and a text
//! one as a factor —, with a formula holding an arm × sex interaction, and on the severity-4
//! subset (`--where severity=4`), against `nlme::gls` + `emmeans`
//! (tests/reference/mmrm_own_columns.R).

use pain_outcomes::analysis::{ArmContrast, Covariate, MmrmBuilder};
use pain_outcomes::data::{ColumnKind, LoadOptions, read_csv};
use pain_outcomes::stats::multiplicity::MultiplicityMethod;
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};
use crate::mmrm_support;

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    formula: String,
    n_subjects: usize,
    n_observations: usize,
    log_likelihood: f64,
    coefficients: Vec<Coefficient>,
    differences: Vec<Difference>,
    type3: Vec<TermTest>,
    contrasts: Vec<ContrastRow>,
}

#[derive(Deserialize)]
struct ContrastRow {
    label: String,
    visit: String,
    estimate: f64,
    std_error: f64,
}

#[derive(Deserialize)]
struct TermTest {
    term: String,
    numerator_df: f64,
    f: f64,
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

fn check_case(m: &pain_outcomes::analysis::CohortMmrm, g: &Case) {
    let name = &g.name;
    assert_eq!(m.fit.n_subjects, g.n_subjects, "{name}");
    assert_eq!(m.fit.n_observations, g.n_observations, "{name}");
    // gls's optimum is polished to a Newton decrement below 1e-12; ours must be as high
    assert!(
        m.fit.fit_statistics.log_likelihood >= g.log_likelihood - 1e-7,
        "{name}"
    );
    assert_eq!(m.fit.coefficients.len(), g.coefficients.len(), "{name}");
    for r in &g.coefficients {
        let c = m
            .fit
            .coefficients
            .iter()
            .find(|c| mmrm_support::same_term(&c.label, &r.name))
            .unwrap_or_else(|| panic!("{name}: no coefficient {}", r.name));
        let w = format!("{name} {}", r.name);
        assert_close(&format!("{w} estimate"), c.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), c.std_error, r.std_error, ITERATIVE);
    }
    for r in &g.type3 {
        let t = m
            .type3_test(&r.term)
            .and_then(|t| t.computed())
            .unwrap_or_else(|| panic!("{name}: no Type III test of {}", r.term));
        assert_eq!(t.df_numerator, r.numerator_df, "{name} {}", r.term);
        assert_close(&format!("{name} {} F", r.term), t.statistic, r.f, ITERATIVE);
    }
    // custom contrasts of arms at every visit, parsed from emmeans' labels
    let mut labels: Vec<&str> = Vec::new();
    for c in &g.contrasts {
        if !labels.contains(&c.label.as_str()) {
            labels.push(&c.label);
        }
    }
    let contrasts: Vec<ArmContrast> = labels.iter().map(|l| l.parse().unwrap()).collect();
    let table = m
        .contrasts(&contrasts, MultiplicityMethod::Unadjusted)
        .unwrap();
    assert_eq!(g.contrasts.len(), labels.len() * m.visits.len(), "{name}");
    for r in &g.contrasts {
        let e = table
            .get(&r.label, &r.visit)
            .and_then(|row| row.estimate.computed())
            .unwrap_or_else(|| panic!("{name}: no contrast {} at {}", r.label, r.visit));
        let w = format!("{name} {} at {}", r.label, r.visit);
        assert_close(&format!("{w} estimate"), e.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), e.std_error, r.std_error, ITERATIVE);
    }
    if g.name == "formula" {
        assert!(g.type3.iter().any(|t| t.term == "arm:sex"));
    }
    let computed = m
        .differences
        .iter()
        .filter(|d| d.computed().is_some())
        .count();
    assert_eq!(computed, g.differences.len(), "{name}");
    for r in &g.differences {
        // emmeans writes a label with `+` in parentheses: `(stem_cell[bone_marrow]+prp)`
        let arm = r.arm.trim_start_matches('(').trim_end_matches(')');
        let d = m
            .difference(arm, &r.visit)
            .and_then(|d| d.computed())
            .unwrap_or_else(|| panic!("{name}: no difference {} at {}", r.arm, r.visit));
        let what = format!("{name} {} - placebo at {}", r.arm, r.visit);
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
fn mmrm_with_own_columns_a_formula_and_a_subset_matches_nlme_gls_emmeans() {
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
    assert_eq!(g.cases.len(), 3);
    // the Kellgren-Lawrence grade 4 subset, selected as `--where severity=4` does
    let kl4 = loaded
        .cohort
        .filtered(&"severity=4".parse().unwrap())
        .unwrap();
    for case in &g.cases {
        let cohort = match case.name.as_str() {
            "severity_4" => &kl4,
            _ => &loaded.cohort,
        };
        let builder = MmrmBuilder::new(cohort).instrument("nrs");
        let builder = match case.name.as_str() {
            "severity_4" => builder,
            // the covariates as a list: main effects after the default model
            "covariates" => {
                let covariates: Vec<Covariate> =
                    vec!["symptom_months".parse().unwrap(), "smoker".parse().unwrap()];
                builder.covariates(&covariates)
            }
            // the formula as R writes it
            _ => builder.formula(&case.formula),
        };
        let m = builder.fit().unwrap().into_result().unwrap();
        check_case(&m, case);
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
    let formula = |rhs: &str| {
        MmrmBuilder::new(&loaded.cohort)
            .instrument("nrs")
            .formula(rhs)
            .fit()
            .unwrap_err()
            .to_string()
    };
    let e = formula("arm*visit + baseline*visit + smoking");
    assert!(e.contains("no patient has a value of `smoking`"), "{e}");
    let e = formula("arm + baseline");
    assert!(e.contains("has no `visit` term"), "{e}");
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
