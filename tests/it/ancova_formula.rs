//! The cohort-level ANCOVA with the researcher's own model formula (an arm × sex interaction,
//! the user's own columns as covariate and factor) against R `lm` + `emmeans`
//! (tests/reference/ancova_formula.R).

use pain_outcomes::analysis::{AncovaBuilder, ArmContrast, CohortAncova};
use pain_outcomes::data::read_csv;
use serde::Deserialize;

use crate::common::tol::{ITERATIVE, assert_close};

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    formula: String,
    visit: String,
    n: usize,
    df_residual: f64,
    sigma: f64,
    coefficients: Vec<Coefficient>,
    lsmeans: Vec<ArmEstimate>,
    differences: Vec<ArmEstimate>,
    type3: Vec<TermTest>,
    interaction_test: Option<TermTest>,
    contrasts: Vec<Family>,
}

#[derive(Deserialize)]
struct Family {
    family: String,
    adjust: String,
    rows: Vec<ContrastRow>,
}

#[derive(Deserialize)]
struct ContrastRow {
    label: String,
    estimate: f64,
    std_error: f64,
    df: f64,
    p_value: f64,
    lower: f64,
    upper: f64,
}

#[derive(Deserialize)]
struct Coefficient {
    name: String,
    estimate: f64,
    std_error: f64,
}

#[derive(Deserialize)]
struct ArmEstimate {
    arm: String,
    estimate: f64,
    std_error: f64,
    df: f64,
}

#[derive(Deserialize)]
struct TermTest {
    #[serde(default)]
    term: String,
    numerator_df: f64,
    denominator_df: f64,
    f: f64,
    p_value: f64,
}

fn path(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn golden() -> Golden {
    serde_json::from_str(
        &std::fs::read_to_string(path("tests/golden/ancova_formula.json")).unwrap(),
    )
    .unwrap()
}

/// Compares an F test with R's, the statistic and p within the iterative tolerance.
fn check_test(what: &str, t: &pain_outcomes::stats::FTest, r: &TermTest) {
    assert_eq!(t.df_numerator, r.numerator_df, "{what} numerator df");
    assert_close(
        &format!("{what} den df"),
        t.df_denominator,
        r.denominator_df,
        1e-6,
    );
    assert_close(&format!("{what} F"), t.statistic, r.f, ITERATIVE);
    assert_close(&format!("{what} p"), t.p_value, r.p_value, ITERATIVE);
}

fn check(a: &CohortAncova, g: &Case) {
    let name = &g.name;
    assert_eq!(a.visit, g.visit);
    assert_eq!(a.model.attrition.total_analysed(), g.n, "{name}");
    assert_eq!(
        a.model.fit.coefficients.len(),
        g.coefficients.len(),
        "{name}"
    );
    for r in &g.coefficients {
        let c = a
            .coefficient(&r.name)
            .unwrap_or_else(|| panic!("{name}: no coefficient {}", r.name));
        let w = format!("{name} {}", r.name);
        assert_close(&format!("{w} estimate"), c.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), c.std_error, r.std_error, ITERATIVE);
        assert_close(&format!("{w} df"), c.df.unwrap(), g.df_residual, 1e-6);
    }
    let sigma2 = a.model.fit.covariance_matrices[0][0][0];
    assert_close(&format!("{name} sigma"), sigma2.sqrt(), g.sigma, ITERATIVE);
    for r in &g.lsmeans {
        let m = a.lsmean(&r.arm).unwrap().computed().unwrap();
        let w = format!("{name} LS-mean {}", r.arm);
        assert_close(&format!("{w} estimate"), m.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), m.std_error, r.std_error, ITERATIVE);
        assert_close(&format!("{w} df"), m.df.unwrap(), r.df, 1e-6);
    }
    for r in &g.differences {
        let arm = r.arm.trim_start_matches('(').trim_end_matches(')');
        let d = &a.difference(arm).unwrap().computed().unwrap().difference;
        let w = format!("{name} {arm} - placebo");
        assert_close(&format!("{w} estimate"), d.estimate, r.estimate, ITERATIVE);
        assert_close(&format!("{w} SE"), d.std_error, r.std_error, ITERATIVE);
        assert_close(&format!("{w} df"), d.df.unwrap(), r.df, 1e-6);
    }
    for r in &g.type3 {
        let t = a
            .type3_test(&r.term)
            .and_then(|t| t.computed())
            .unwrap_or_else(|| panic!("{name}: no Type III test of {}", r.term));
        check_test(&format!("{name} {}", r.term), t, r);
    }
}

/// Each family of contrasts (all pairs with and without Holm's adjustment, custom ones)
/// against emmeans, the pairs built by `ArmContrast::pairwise`, the custom ones parsed from
/// their labels.
fn check_contrasts(a: &CohortAncova, g: &Case) {
    assert_eq!(g.contrasts.len(), 3);
    for fam in &g.contrasts {
        let contrasts: Vec<ArmContrast> = if fam.family == "pairwise" {
            ArmContrast::pairwise(&a.model.arms)
        } else {
            fam.rows.iter().map(|r| r.label.parse().unwrap()).collect()
        };
        let labels: Vec<&str> = contrasts.iter().map(|c| c.label.as_str()).collect();
        let golden: Vec<&str> = fam.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, golden, "{} family", fam.family);
        let table = a
            .contrasts(&contrasts, fam.adjust.parse().unwrap())
            .unwrap();
        for r in &fam.rows {
            let row = table.get(&r.label, &g.visit).unwrap();
            let e = row.estimate.computed().unwrap();
            let w = format!("{} {} ({})", g.name, r.label, fam.adjust);
            assert_close(&format!("{w} estimate"), e.estimate, r.estimate, ITERATIVE);
            assert_close(&format!("{w} SE"), e.std_error, r.std_error, ITERATIVE);
            assert_close(&format!("{w} df"), e.df.unwrap(), r.df, 1e-6);
            match fam.adjust.as_str() {
                "none" => {
                    assert_eq!(row.adjusted_p_value, None);
                    assert_close(&format!("{w} p"), e.p_value, r.p_value, ITERATIVE);
                    assert_close(
                        &format!("{w} lower"),
                        e.confidence_interval.lower,
                        r.lower,
                        ITERATIVE,
                    );
                    assert_close(
                        &format!("{w} upper"),
                        e.confidence_interval.upper,
                        r.upper,
                        ITERATIVE,
                    );
                }
                _ => assert_close(
                    &format!("{w} adjusted p"),
                    row.adjusted_p_value.unwrap(),
                    r.p_value,
                    ITERATIVE,
                ),
            }
        }
        assert!(table.method.to_lowercase().contains(&fam.adjust));
    }
}

#[test]
fn ancova_with_an_arm_by_sex_interaction_matches_lm_and_emmeans() {
    let cohort = read_csv(
        path("tests/data/knee_oa_own_columns.csv"),
        &Default::default(),
    )
    .unwrap()
    .cohort;
    for g in golden().cases {
        let a = AncovaBuilder::new(&cohort)
            .instrument("nrs")
            .formula(&g.formula)
            .fit()
            .unwrap()
            .into_result()
            .unwrap();
        check(&a, &g);
        check_contrasts(&a, &g);
        if let Some(r) = &g.interaction_test {
            // for the highest-order term the Type III test is the nested-model F test
            let t = a.type3_test("arm:sex").unwrap().computed().unwrap();
            check_test("interaction", t, r);
        }
    }
}

#[test]
fn ancova_formula_errors_name_the_column_and_what_exists() {
    let cohort = read_csv(
        path("tests/data/knee_oa_own_columns.csv"),
        &Default::default(),
    )
    .unwrap()
    .cohort;
    let err = |b: AncovaBuilder| b.fit().unwrap_err().to_string();
    let base = || AncovaBuilder::new(&cohort).instrument("nrs");
    let e = err(base().formula("arm + baseline + pack_years"));
    assert!(e.contains("pack_years") && e.contains("smoker"), "{e}");
    let e = err(base().formula("baseline + age"));
    assert!(e.contains("no `arm` term"), "{e}");
    let e = err(base().visit("month_13"));
    assert!(e.contains("month_13") && e.contains("month_12"), "{e}");
    let e = err(AncovaBuilder::new(&cohort));
    assert!(e.contains("instrument"), "{e}");
}
