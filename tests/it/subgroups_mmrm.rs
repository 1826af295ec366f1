//! The MMRM variant of the subgroup analysis (`SubgroupModel::Mmrm`: change ~
//! arm*visit*severity + baseline*visit, unstructured covariance, REML) against `nlme::gls` +
//! `emmeans` (tests/reference/subgroups_mmrm.R, golden tests/golden/subgroups_mmrm.json):
//! each arm minus placebo within each Kellgren–Lawrence grade at each visit (estimate, SE,
//! Satterthwaite df), the Type III F ratios of the interaction terms, the patients per arm and
//! grade. As in mmrm_knee_oa.rs: the script converges gls to its optimum, the df are the
//! script's own Satterthwaite df (numDeriv on its REML criterion), and emmeans' `joint_tests`
//! F ratios are compared to the 3 decimals it reports.

use pain_outcomes::analysis::{SubgroupModel, SubgroupOptions, subgroup_analysis};
use pain_outcomes::data::read_csv;
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, SATTERTHWAITE_DF, assert_close};
use crate::mmrm_support;

#[derive(Deserialize)]
struct Golden {
    n_subjects: usize,
    estimates: Vec<Row>,
    joint_tests: Vec<JointTest>,
    sizes: Vec<Size>,
}

#[derive(Deserialize)]
struct Row {
    arm: String,
    visit: String,
    subgroup: String,
    estimate: f64,
    std_error: f64,
    df: f64,
}

#[derive(Deserialize)]
struct JointTest {
    term: String,
    num_df: f64,
    f_value: f64,
}

#[derive(Deserialize)]
struct Size {
    arm: String,
    subgroup: String,
    patients: usize,
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn mmrm_subgroups_by_grade_match_gls_and_emmeans() {
    let g: Golden = serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/subgroups_mmrm.json")).unwrap(),
    )
    .unwrap();
    let cohort = read_csv(path("datasets/knee_oa_trial.csv"), &Default::default())
        .unwrap()
        .cohort;
    let options =
        SubgroupOptions::new("nrs", "severity".parse().unwrap()).with_model(SubgroupModel::Mmrm);
    let s = subgroup_analysis(&cohort, &options)
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(s.model.attrition.total_analysed(), g.n_subjects);
    let (mut worst_estimate, mut worst_se, mut worst_df) = (0.0f64, 0.0f64, 0.0f64);
    for r in &g.estimates {
        let what = format!("{} - placebo at {}, grade {}", r.arm, r.visit, r.subgroup);
        let e = s
            .estimate(&r.arm, &r.subgroup, &r.visit)
            .unwrap_or_else(|| panic!("{what}: missing"))
            .difference
            .computed()
            .unwrap_or_else(|| panic!("{what}: refused"));
        assert_close(
            &format!("{what} estimate"),
            e.estimate,
            r.estimate,
            ITERATIVE,
        );
        assert_close(&format!("{what} SE"), e.std_error, r.std_error, ITERATIVE);
        let df = e.df.unwrap();
        assert_close(&format!("{what} df"), df, r.df, SATTERTHWAITE_DF);
        worst_estimate = worst_estimate.max(((e.estimate - r.estimate) / r.estimate).abs());
        worst_se = worst_se.max(((e.std_error - r.std_error) / r.std_error).abs());
        worst_df = worst_df.max(((df - r.df) / r.df).abs());
    }
    assert_eq!(
        s.estimates.len(),
        g.estimates.len(),
        "one estimate per arm, grade and visit"
    );
    println!(
        "{} differences: largest relative difference: estimate {worst_estimate:.1e}, SE \
         {worst_se:.1e}, Satterthwaite df {worst_df:.1e}",
        g.estimates.len()
    );
    // the interaction terms: arm:severity and arm:visit:severity
    assert_eq!(s.interaction_tests.len(), 2);
    for t in &s.interaction_tests {
        let t = t.computed().unwrap();
        // the model names the grouping column severity_subgroup (the modifier as a factor)
        let label = t.label.replace("severity_subgroup", "severity");
        let jt = g
            .joint_tests
            .iter()
            .find(|j| mmrm_support::same_term(&j.term, &label))
            .unwrap_or_else(|| panic!("no joint test of {}", t.label));
        assert_eq!(t.df_numerator, jt.num_df, "{}", t.label);
        // joint_tests prints F to 3 decimals
        assert!(
            (t.statistic - jt.f_value).abs() <= 5e-4 + 1e-9,
            "{}: F {} vs {}",
            t.label,
            t.statistic,
            jt.f_value
        );
    }
    for size in &g.sizes {
        let ours = s
            .sizes
            .iter()
            .find(|x| x.arm == size.arm && x.subgroup == size.subgroup)
            .unwrap_or_else(|| panic!("no size for {} {}", size.arm, size.subgroup));
        assert_eq!(
            ours.patients, size.patients,
            "{} {}",
            size.arm, size.subgroup
        );
    }
}
