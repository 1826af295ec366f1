//! The covariate-adjusted responder analysis is wired to the same responses as the crude one:
//! without covariates, its logistic odds ratio and standardised risk difference equal the crude
//! odds ratio and risk difference of the responder table, and its attrition equals the
//! table's counts. (The logistic and CMH kernels themselves are checked against R in
//! `logistic_cmh`.)

use pain_outcomes::analysis::{
    Covariate, ResponderAnalysisOptions, RuleChoice, adjusted_responders,
    responders_by_arm_and_visit,
};
use pain_outcomes::data::{CsvFiles, read_csv_files};

use crate::common::tol::{CLOSED_FORM, assert_close};

fn cohort() -> pain_outcomes::Cohort {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
        .with_events(format!("{dir}knee_oa_trial_events.csv"));
    read_csv_files(&files, &Default::default()).unwrap().cohort
}

#[test]
fn unadjusted_model_reproduces_the_crude_odds_ratio_and_risk_difference() {
    let cohort = cohort();
    let wide = cohort.wide("nrs").unwrap();
    let options = ResponderAnalysisOptions::default();
    let rule = RuleChoice::Immpact30
        .rule(&wide.instrument, cohort.common_condition())
        .unwrap();
    let crude = responders_by_arm_and_visit(&cohort, &wide, &rule, "immpact_30", &options).unwrap();
    let adjusted = adjusted_responders(
        &cohort,
        &wide,
        RuleChoice::Immpact30,
        "month_12",
        &[],
        None,
        &options,
    )
    .unwrap();
    assert_eq!(adjusted.reference_arm, "placebo");
    assert_eq!(adjusted.comparisons.len(), cohort.arms().len() - 1);
    for c in &adjusted.comparisons {
        let cell = crude.cell(&c.arm, "month_12").unwrap();
        assert_eq!(
            adjusted.attrition.arm(&c.arm).unwrap().analysed as u64,
            cell.counts.analysed
        );
        let v = cell.versus_reference.as_ref().unwrap().computed().unwrap();
        let fit = c.logistic.computed().unwrap();
        let or = fit.coefficient("treated").unwrap().estimate.exp();
        let crude_or = v.odds_ratio.computed().unwrap().estimate;
        assert_close(&format!("{} OR", c.arm), or, crude_or, 1e-9);
        let rd = fit.marginal_risk_difference.as_ref().unwrap();
        assert_close(
            &format!("{} RD", c.arm),
            rd.difference.estimate,
            v.risk_difference,
            CLOSED_FORM,
        );
    }
}

#[test]
fn adjusted_and_stratified_analyses_run_and_check_their_inputs() {
    let cohort = cohort();
    let wide = cohort.wide("nrs").unwrap();
    let options = ResponderAnalysisOptions::default();
    let r = adjusted_responders(
        &cohort,
        &wide,
        RuleChoice::Immpact50,
        "Month_12",
        &[Covariate::Age, Covariate::Sex],
        Some(&Covariate::Site),
        &options,
    )
    .unwrap();
    let c = r
        .comparisons
        .iter()
        .find(|c| c.arm == "stem_cell[adipose]")
        .unwrap();
    let fit = c.logistic.computed().unwrap();
    assert!(fit.coefficient("sexmale").is_some() && fit.coefficient("age").is_some());
    let cmh = c.stratified.as_ref().unwrap().computed().unwrap();
    assert!(cmh.strata >= 2);
    let err = |strata: &Covariate| {
        adjusted_responders(
            &cohort,
            &wide,
            RuleChoice::Immpact50,
            "month_12",
            &[],
            Some(strata),
            &options,
        )
        .unwrap_err()
        .to_string()
    };
    assert!(err(&Covariate::Age).contains("is not a factor"));
    let e = adjusted_responders(
        &cohort,
        &wide,
        RuleChoice::Immpact50,
        "month_7",
        &[],
        None,
        &options,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no visit `month_7`"), "{e}");
}
