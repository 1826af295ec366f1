//! Subgroup and effect-modifier analyses (one ANCOVA with an arm × subgroup interaction)
//! against R `lm` + `emmeans` (tests/reference/subgroups.R): per-subgroup differences, the
//! interaction F, subgroup sizes and slope differences.

use pain_outcomes::analysis::{
    RuleChoice, SubgroupOptions, responder_subgroups, subgroup_analysis,
};
use pain_outcomes::data::read_csv;
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
    responders: Vec<ResponderCase>,
}

#[derive(Deserialize)]
struct ResponderCase {
    by: String,
    visit: String,
    lrt: Lrt,
    cells: Vec<Cell>,
}

#[derive(Deserialize)]
struct Lrt {
    statistic: f64,
    df: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct Cell {
    arm: String,
    subgroup: String,
    responders: u64,
    analysed: u64,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    by: String,
    visit: String,
    n: usize,
    interaction: Interaction,
    #[serde(default)]
    sizes: Vec<Size>,
    #[serde(default)]
    slope_differences: Vec<Slope>,
    estimates: Vec<Row>,
}

#[derive(Deserialize)]
struct Interaction {
    numerator_df: f64,
    denominator_df: f64,
    f: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct Size {
    arm: String,
    subgroup: String,
    patients: usize,
}

#[derive(Deserialize)]
struct Slope {
    name: String,
    estimate: f64,
    std_error: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct Row {
    arm: String,
    subgroup: String,
    estimate: f64,
    std_error: f64,
    df: f64,
    p_value: f64,
    lower: f64,
    upper: f64,
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn subgroup_differences_and_interaction_tests_match_lm_and_emmeans() {
    let g: Golden = serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/subgroups.json")).unwrap(),
    )
    .unwrap();
    let cohort = read_csv(path("datasets/knee_oa_trial.csv"), &Default::default())
        .unwrap()
        .cohort;
    assert_eq!(g.cases.len(), 3);
    for case in &g.cases {
        let name = &case.name;
        let options = SubgroupOptions::new("nrs", case.by.parse().unwrap());
        let s = subgroup_analysis(&cohort, &options)
            .unwrap()
            .into_result()
            .unwrap();
        assert_eq!(s.model.attrition.total_analysed(), case.n, "{name}");
        assert_eq!(s.interaction_tests.len(), 1, "{name}");
        let t = s.interaction_tests[0].computed().unwrap();
        let r = &case.interaction;
        assert_eq!(t.df_numerator, r.numerator_df, "{name}");
        assert_close(
            &format!("{name} den df"),
            t.df_denominator,
            r.denominator_df,
            1e-6,
        );
        assert_close(
            &format!("{name} interaction F"),
            t.statistic,
            r.f,
            ITERATIVE,
        );
        assert_close(
            &format!("{name} interaction p"),
            t.p_value,
            r.p_value,
            ITERATIVE,
        );
        assert_eq!(
            s.sizes.len(),
            case.sizes.len().max(s.model.arms.len()),
            "{name}"
        );
        for z in &case.sizes {
            let ours = s
                .sizes
                .iter()
                .find(|x| x.arm == z.arm && x.subgroup == z.subgroup)
                .unwrap_or_else(|| panic!("{name}: no size for {} / {}", z.arm, z.subgroup));
            assert_eq!(
                ours.patients, z.patients,
                "{name} {} / {}",
                z.arm, z.subgroup
            );
        }
        assert_eq!(
            s.slope_differences.len(),
            case.slope_differences.len(),
            "{name}"
        );
        for z in &case.slope_differences {
            // the crate names the centred-free modifier column `<attribute>_subgroup`
            let ours = s
                .slope_differences
                .iter()
                .find(|e| e.label == format!("{}_subgroup", z.name))
                .unwrap_or_else(|| panic!("{name}: no slope difference {}", z.name));
            let w = format!("{name} {}", z.name);
            assert_close(
                &format!("{w} estimate"),
                ours.estimate,
                z.estimate,
                ITERATIVE,
            );
            assert_close(&format!("{w} SE"), ours.std_error, z.std_error, ITERATIVE);
            assert_close(&format!("{w} p"), ours.p_value, z.p_value, ITERATIVE);
        }
        assert_eq!(s.estimates.len(), case.estimates.len(), "{name}");
        for r in &case.estimates {
            let e = s
                .estimate(&r.arm, &r.subgroup, &case.visit)
                .unwrap_or_else(|| panic!("{name}: no estimate {} / {}", r.arm, r.subgroup));
            let d = e.difference.computed().unwrap();
            let w = format!("{name} {} in {}", r.arm, r.subgroup);
            assert_close(&format!("{w} estimate"), d.estimate, r.estimate, ITERATIVE);
            assert_close(&format!("{w} SE"), d.std_error, r.std_error, ITERATIVE);
            assert_close(&format!("{w} df"), d.df.unwrap(), r.df, 1e-6);
            assert_close(&format!("{w} p"), d.p_value, r.p_value, ITERATIVE);
            assert_close(
                &format!("{w} lower"),
                d.confidence_interval.lower,
                r.lower,
                ITERATIVE,
            );
            assert_close(
                &format!("{w} upper"),
                d.confidence_interval.upper,
                r.upper,
                ITERATIVE,
            );
        }
    }
}

#[test]
fn subgroup_refusals_and_errors_name_what_is_wrong() {
    let cohort = read_csv(path("datasets/knee_oa_trial.csv"), &Default::default())
        .unwrap()
        .cohort;
    // a cell too small for the model is a refusal naming the cell
    let mut tiny = SubgroupOptions::new("nrs", "severity".parse().unwrap());
    tiny.min_per_cell = 12;
    let r = subgroup_analysis(&cohort, &tiny).unwrap();
    let refusal = r.refusal().expect("a refusal");
    assert!(
        refusal.detail.contains("subgroup `2`"),
        "{}",
        refusal.detail
    );
    // an attribute no patient has lists what the data can give
    let e = subgroup_analysis(
        &cohort,
        &SubgroupOptions::new("nrs", "smoker".parse().unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("smoker") && e.contains("severity"), "{e}");
    // cut points need a number
    let e = subgroup_analysis(
        &cohort,
        &SubgroupOptions::new("nrs", "sex:1".parse().unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not numeric"), "{e}");
    // a single subgroup: nothing to compare
    let women = cohort.filtered(&"sex=female".parse().unwrap()).unwrap();
    let r =
        subgroup_analysis(&women, &SubgroupOptions::new("nrs", "sex".parse().unwrap())).unwrap();
    assert!(r.refusal().unwrap().detail.contains("single value"));
}

#[test]
fn responders_by_subgroup_and_the_logistic_interaction_test_match_glm() {
    let g: Golden = serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/subgroups.json")).unwrap(),
    )
    .unwrap();
    let cohort = read_csv(path("datasets/knee_oa_trial.csv"), &Default::default())
        .unwrap()
        .cohort;
    assert_eq!(g.responders.len(), 2);
    for case in &g.responders {
        let options = SubgroupOptions::new("nrs", case.by.parse().unwrap());
        let r = responder_subgroups(
            &cohort,
            RuleChoice::Immpact30,
            &case.visit,
            &options,
            &Default::default(),
        )
        .unwrap()
        .into_result()
        .unwrap();
        let t = r.interaction.computed().unwrap();
        let w = format!("{} at {}", case.by, case.visit);
        assert_eq!(t.df, case.lrt.df, "{w}");
        assert_close(
            &format!("{w} LRT"),
            t.statistic,
            case.lrt.statistic,
            ITERATIVE,
        );
        assert_close(&format!("{w} p"), t.p_value, case.lrt.p_value, ITERATIVE);
        for c in &case.cells {
            let table = &r
                .tables
                .iter()
                .find(|x| x.subgroup == c.subgroup)
                .unwrap_or_else(|| panic!("{w}: no subgroup {}", c.subgroup))
                .table;
            let cell = table.cell(&c.arm, &case.visit).unwrap();
            assert_eq!(
                cell.counts.responders, c.responders,
                "{w} {} {}",
                c.arm, c.subgroup
            );
            assert_eq!(
                cell.counts.analysed, c.analysed,
                "{w} {} {}",
                c.arm, c.subgroup
            );
        }
    }
}
