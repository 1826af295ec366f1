//! The Cox model of a time-to-event analysis with factor and continuous covariates, the user's
//! own columns among them, against R `survival::coxph` (tests/reference/cox_own_columns.R).

use pain_outcomes::analysis::{Covariate, TimeToEventOptions, analyse_time_to_event};
use pain_outcomes::data::{CsvFiles, EventEndpoint, read_csv_files};
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};

#[derive(Deserialize)]
struct Golden {
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

#[test]
fn cox_with_factors_and_own_columns_matches_coxph() {
    let g: Golden = serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/cox_own_columns.json")).unwrap(),
    )
    .unwrap();
    let files = CsvFiles::new(path("tests/data/disc_own_columns.csv"))
        .with_events(path("datasets/disc_degeneration_events.csv"));
    let cohort = read_csv_files(&files, &Default::default()).unwrap().cohort;
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let covariates: Vec<Covariate> = ["age", "sex", "smoker", "symptom_months"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    let t = analyse_time_to_event(
        &cohort,
        &data,
        &TimeToEventOptions::default().with_covariates(covariates),
    )
    .unwrap();
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
    assert!(t.hazard_ratio("stem_cell[bone_marrow]").is_some());
}
