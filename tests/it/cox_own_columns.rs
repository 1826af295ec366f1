//! The Cox model of a time-to-event analysis with factor and continuous covariates, the user's
//! own columns among them, against R `survival::coxph` (tests/reference/cox_own_columns.R).

use pain_outcomes::analysis::{
    Covariate, TimeToEventAnalysis, TimeToEventOptions, analyse_time_to_event,
};
use pain_outcomes::data::{CsvFiles, EventEndpoint, read_csv_files};
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    n: usize,
    events: usize,
    log_likelihood: f64,
    coefficients: Vec<Coefficient>,
}

#[derive(Deserialize)]
struct Coefficient {
    name: String,
    estimate: f64,
    std_error: f64,
    hazard_ratio: f64,
    lower: f64,
    upper: f64,
    p_value: f64,
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn golden_case(name: &str) -> Case {
    let g: Golden = serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/cox_own_columns.json")).unwrap(),
    )
    .unwrap();
    g.cases
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no golden case {name}"))
}

/// Fits the cohort's time to surgery with `options` and compares the Cox model with `g`.
fn check(g: &Case, options: TimeToEventOptions) -> TimeToEventAnalysis {
    let files = CsvFiles::new(path("tests/data/disc_own_columns.csv"))
        .with_events(path("datasets/disc_degeneration_events.csv"));
    let cohort = read_csv_files(&files, &Default::default()).unwrap().cohort;
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let t = analyse_time_to_event(&cohort, &data, &options).unwrap();
    assert_eq!(t.reference_arm, "usual_care");
    assert_eq!(t.cox.attrition.total_analysed(), g.n);
    let fit = t.cox.fit.computed().unwrap();
    assert_eq!(fit.n_events, g.events);
    assert_close(
        "log-likelihood",
        fit.log_likelihood,
        g.log_likelihood,
        ITERATIVE,
    );
    assert_eq!(fit.coefficients.len(), g.coefficients.len());
    for r in &g.coefficients {
        let c = fit
            .coefficient(&r.name)
            .unwrap_or_else(|| panic!("no coefficient {}", r.name));
        let w = &r.name;
        assert_close(&format!("{w} estimate"), c.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), c.std_error, r.std_error, ITERATIVE);
        assert_close(
            &format!("{w} HR"),
            c.hazard_ratio,
            r.hazard_ratio,
            ITERATIVE,
        );
        assert_close(
            &format!("{w} lower"),
            c.confidence_interval.lower,
            r.lower,
            ITERATIVE,
        );
        assert_close(
            &format!("{w} upper"),
            c.confidence_interval.upper,
            r.upper,
            ITERATIVE,
        );
        assert_close(&format!("{w} p"), c.p_value, r.p_value, ITERATIVE);
    }
    t
}

#[test]
fn cox_with_factors_and_own_columns_matches_coxph() {
    let covariates: Vec<Covariate> = ["age", "sex", "smoker", "symptom_months"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    let t = check(
        &golden_case("covariates"),
        TimeToEventOptions::default().with_covariates(covariates),
    );
    assert!(t.hazard_ratio("stem_cell[bone_marrow]").is_some());
    assert_eq!(t.cox.formula, "arm + age + sex + smoker + symptom_months");
}

#[test]
fn cox_formula_with_an_arm_by_factor_interaction_matches_coxph() {
    let t = check(
        &golden_case("formula"),
        TimeToEventOptions::default().with_formula("arm*smoker + age"),
    );
    assert!(
        t.cox
            .terms
            .contains(&"armstem_cell[bone_marrow]:smokeryes".to_string())
    );
}

#[test]
fn cox_formula_errors_name_the_unknown_column_and_the_known_ones() {
    let files = CsvFiles::new(path("tests/data/disc_own_columns.csv"))
        .with_events(path("datasets/disc_degeneration_events.csv"));
    let cohort = read_csv_files(&files, &Default::default()).unwrap().cohort;
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let run = |rhs: &str| {
        analyse_time_to_event(
            &cohort,
            &data,
            &TimeToEventOptions::default().with_formula(rhs),
        )
        .unwrap_err()
        .to_string()
    };
    let e = run("arm + smoking_years");
    assert!(
        e.contains("smoking_years") && e.contains("symptom_months"),
        "{e}"
    );
    let e = run("age + smoker");
    assert!(e.contains("no `arm` term"), "{e}");
    let e = run("arm + arm:smoker");
    assert!(e.contains("lower-order term `smoker`"), "{e}");
    let both = TimeToEventOptions::default()
        .with_formula("arm + age")
        .with_covariates(vec![Covariate::Age]);
    let e = analyse_time_to_event(&cohort, &data, &both)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not also"), "{e}");
}
