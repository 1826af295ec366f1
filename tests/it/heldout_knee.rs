//! A held-out knee OA trial (simulated with a seed never used while the analyses were written)
//! run as a new user would run it, against R (tests/reference/heldout_knee.R): the MMRM
//! contrasts (also with arms formed from therapy and cell source), the ANCOVA's overall F and
//! its many-to-one and all-pairs simultaneous inference, and the subgroup analysis by
//! Kellgren–Lawrence grade.

use pain_outcomes::analysis::{
    AncovaBuilder, ArmContrast, MmrmBuilder, SubgroupModel, SubgroupOptions,
    TherapyComparisonOptions, compare_therapies, subgroup_analysis,
};
use pain_outcomes::data::{ArmBy, CsvFiles, LoadOptions, read_csv, read_csv_files};
use pain_outcomes::stats::multiplicity::MultiplicityMethod;
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};

#[derive(Deserialize)]
struct Golden {
    mmrm_contrasts: Vec<MmrmContrast>,
    ancova: Ancova,
    subgroups: Subgroups,
}

#[derive(Deserialize)]
struct MmrmContrast {
    label: String,
    visit: String,
    estimate: f64,
    std_error: f64,
}

#[derive(Deserialize)]
struct Ancova {
    visit: String,
    n: usize,
    df_residual: f64,
    arm_f: f64,
    arm_p: f64,
    arm_df: f64,
    dunnett: Family,
    tukey: Family,
}

#[derive(Deserialize)]
struct Family {
    critical_value: f64,
    rows: Vec<FamilyRow>,
}

#[derive(Deserialize)]
struct FamilyRow {
    label: String,
    estimate: f64,
    std_error: f64,
    adjusted_p: f64,
    lower: f64,
    upper: f64,
}

#[derive(Deserialize)]
struct Subgroups {
    visit: String,
    interaction: Interaction,
    estimates: Vec<SubgroupRow>,
}

#[derive(Deserialize)]
struct Interaction {
    numerator_df: f64,
    denominator_df: f64,
    f: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct SubgroupRow {
    arm: String,
    subgroup: String,
    estimate: f64,
    std_error: f64,
    df: f64,
    p_value: f64,
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn golden() -> Golden {
    serde_json::from_str(&std::fs::read_to_string(path("tests/golden/heldout_knee.json")).unwrap())
        .unwrap()
}

const DATA: &str = "tests/data/heldout_knee/knee_oa_trial.csv";

#[test]
fn heldout_mmrm_contrasts_match_gls_and_emmeans_with_either_arm_rule() {
    let g = golden();
    let mut labels: Vec<&str> = Vec::new();
    for c in &g.mmrm_contrasts {
        if !labels.contains(&c.label.as_str()) {
            labels.push(&c.label);
        }
    }
    let contrasts: Vec<ArmContrast> = labels.iter().map(|l| l.parse().unwrap()).collect();
    for arm_by in [ArmBy::Arm, ArmBy::TherapyAndCellSource] {
        let options = LoadOptions::default().with_arm_by(arm_by);
        let cohort = read_csv(path(DATA), &options).unwrap().cohort;
        let m = MmrmBuilder::new(&cohort)
            .instrument("nrs")
            .reference_arm("placebo")
            .fit()
            .unwrap()
            .into_result()
            .unwrap();
        let table = m
            .contrasts(&contrasts, MultiplicityMethod::Unadjusted)
            .unwrap();
        assert_eq!(table.rows.len(), g.mmrm_contrasts.len(), "{arm_by:?}");
        for r in &g.mmrm_contrasts {
            let e = table
                .get(&r.label, &r.visit)
                .and_then(|row| row.estimate.computed())
                .unwrap_or_else(|| panic!("{arm_by:?}: no {} at {}", r.label, r.visit));
            let w = format!("{arm_by:?} {} at {}", r.label, r.visit);
            assert_close(&format!("{w} estimate"), e.estimate, r.estimate, ITERATIVE);
            assert_close(&format!("{w} SE"), e.std_error, r.std_error, ITERATIVE);
        }
    }
}

#[test]
fn heldout_compare_therapies_overall_f_matches_drop1() {
    let g = golden();
    let files = CsvFiles::new(path(DATA))
        .with_events(path("tests/data/heldout_knee/knee_oa_trial_events.csv"));
    let cohort = read_csv_files(&files, &Default::default()).unwrap().cohort;
    let c = compare_therapies(&cohort, &TherapyComparisonOptions::default()).unwrap();
    assert_eq!(c.ancova_last_visit.visit, g.ancova.visit);
    assert_eq!(c.ancova_last_visit.attrition.total_analysed(), g.ancova.n);
    let a = c.ancova_last_visit.ancova.computed().unwrap();
    assert_eq!(a.df_residual, g.ancova.df_residual);
    assert_eq!(a.arm_test.df_numerator, g.ancova.arm_df);
    assert_close("overall F", a.arm_test.statistic, g.ancova.arm_f, ITERATIVE);
    assert_close("overall p", a.arm_test.p_value, g.ancova.arm_p, ITERATIVE);
    // the Dunnett table compare_therapies prints: multcomp::glht(mcp(arm = "Dunnett"))
    let dunnett = c.ancova_dunnett.computed().unwrap();
    assert!(dunnett.method.starts_with("Dunnett"), "{}", dunnett.method);
    assert_eq!(dunnett.rows.len(), g.ancova.dunnett.rows.len());
    for r in &g.ancova.dunnett.rows {
        let row = dunnett.get(&r.label, &g.ancova.visit).unwrap();
        let e = row.estimate.computed().unwrap();
        assert_close(
            &format!("{} estimate", r.label),
            e.estimate,
            r.estimate,
            ITERATIVE,
        );
        assert_close(
            &format!("{} SE", r.label),
            e.std_error,
            r.std_error,
            ITERATIVE,
        );
        let p = row.adjusted_p_value.unwrap();
        assert!(
            (p - r.adjusted_p).abs() < 1e-6,
            "{}: {p} vs {}",
            r.label,
            r.adjusted_p
        );
        let ci = row.simultaneous_interval.unwrap();
        // R's confint finds its critical value with qmvt's default precision (about 1e-4)
        let slack = 1e-4 * g.ancova.dunnett.critical_value * r.std_error;
        assert!((ci.lower - r.lower).abs() < slack, "{}", r.label);
        assert!((ci.upper - r.upper).abs() < slack, "{}", r.label);
    }
}

#[test]
fn heldout_subgroups_by_grade_match_lm_and_emmeans() {
    let g = golden();
    let cohort = read_csv(path(DATA), &Default::default()).unwrap().cohort;
    let options = SubgroupOptions::new("nrs", "severity".parse().unwrap())
        .with_reference_arm("placebo")
        .with_model(SubgroupModel::Ancova {
            visit: Some(g.subgroups.visit.clone()),
        });
    let s = subgroup_analysis(&cohort, &options)
        .unwrap()
        .into_result()
        .unwrap();
    let t = s.interaction_tests[0].computed().unwrap();
    let r = &g.subgroups.interaction;
    assert_eq!(t.df_numerator, r.numerator_df);
    assert_close("den df", t.df_denominator, r.denominator_df, 1e-9);
    assert_close("interaction F", t.statistic, r.f, ITERATIVE);
    assert_close("interaction p", t.p_value, r.p_value, ITERATIVE);
    assert_eq!(s.estimates.len(), g.subgroups.estimates.len());
    for r in &g.subgroups.estimates {
        let e = s
            .estimate(&r.arm, &r.subgroup, &g.subgroups.visit)
            .and_then(|e| e.difference.computed())
            .unwrap_or_else(|| panic!("no estimate {} in grade {}", r.arm, r.subgroup));
        let w = format!("{} in grade {}", r.arm, r.subgroup);
        assert_close(&format!("{w} estimate"), e.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), e.std_error, r.std_error, ITERATIVE);
        assert_close(&format!("{w} df"), e.df.unwrap(), r.df, 1e-9);
        assert_close(&format!("{w} p"), e.p_value, r.p_value, ITERATIVE);
    }
}

/// Dunnett (each arm vs placebo) and Tukey (all pairs) single-step inference on the ANCOVA at
/// the last visit against multcomp::glht: adjusted p-values and simultaneous intervals.
#[test]
fn heldout_dunnett_and_tukey_match_multcomp() {
    let g = golden();
    let cohort = read_csv(path(DATA), &Default::default()).unwrap().cohort;
    let a = AncovaBuilder::new(&cohort)
        .instrument("nrs")
        .reference_arm("placebo")
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    for (family, expected) in [(&g.ancova.dunnett, "Dunnett"), (&g.ancova.tukey, "Tukey")] {
        let (mut worst_p, mut worst_limit) = (0.0f64, 0.0f64);
        let contrasts: Vec<ArmContrast> = family
            .rows
            .iter()
            .map(|r| r.label.parse().unwrap())
            .collect();
        let table = a
            .contrasts(&contrasts, MultiplicityMethod::SingleStep)
            .unwrap();
        assert!(table.method.starts_with(expected), "{}", table.method);
        for r in &family.rows {
            let row = table.get(&r.label, &g.ancova.visit).unwrap();
            let e = row.estimate.computed().unwrap();
            let w = format!("{expected} {}", r.label);
            assert_close(&format!("{w} estimate"), e.estimate, r.estimate, ITERATIVE);
            assert_close(&format!("{w} SE"), e.std_error, r.std_error, ITERATIVE);
            // the integration runs to an absolute error of 5e-7 for Dunnett (the factor or
            // nested rule) and 1e-6 for Tukey (the lattice rule; analysis::contrasts), R's to
            // its abseps 1e-8 or its maxpts 5e6
            let p = row.adjusted_p_value.unwrap();
            assert!(
                (p - r.adjusted_p).abs() < 1e-5,
                "{w} adjusted p: {p} vs {}",
                r.adjusted_p
            );
            worst_p = worst_p.max((p - r.adjusted_p).abs());
            let ci = row.simultaneous_interval.unwrap();
            // the critical value c to ~1e-4 relative: each limit within 1e-4 c SE
            let slack = 1e-4 * family.critical_value * r.std_error;
            for (ours, theirs) in [(ci.lower, r.lower), (ci.upper, r.upper)] {
                assert!(
                    (ours - theirs).abs() < slack,
                    "{w} limit {ours} vs {theirs}"
                );
                worst_limit = worst_limit.max((ours - theirs).abs() / r.std_error);
            }
        }
        println!(
            "{expected}: largest |adjusted p - R| {worst_p:.2e}, largest |limit - R| / SE {worst_limit:.2e}"
        );
    }
}
