//! Multi-degree-of-freedom Kenward–Roger F tests (and KR-linear) against an independent R
//! implementation of Kenward & Roger (1997) (tests/reference/mmrm_kr_multi.R, golden
//! tests/golden/mmrm_kr_multi.json): FEV data, `FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE +
//! SEX`, REML, CS, AR(1), US and CSH in SAS's parametrization, observed information. The
//! script checks its own algebra (one-row identity with the Satterthwaite form, analytic
//! derivatives against numDeriv); the 1-row SAS comparison is in tests/it/mmrm_sas.rs.
use crate::mmrm_support;

use crate::common::golden;
use crate::common::tol::{ITERATIVE, SATTERTHWAITE_DF, assert_close};
use pain_outcomes::stats::mmrm::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `tests/golden/mmrm_kr_multi.json`: one fit per covariance structure.
#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    /// `cs`, `ar1`, `us` or `csh`.
    structure: String,
    m2_reml_loglik: f64,
    /// By R's term name.
    coefficients: BTreeMap<String, f64>,
    tests: Vec<FTest>,
}

/// One F test: the hypothesis is one row per named coefficient column (see `label`).
#[derive(Deserialize)]
struct FTest {
    label: String,
    columns: Vec<String>,
    /// `kr` or `kr_linear`.
    method: String,
    num_df: f64,
    f_value: f64,
    den_df: f64,
    p_value: f64,
}

fn structure(code: &str) -> CovarianceStructure {
    match code {
        "cs" => CovarianceStructure::CompoundSymmetry,
        "ar1" => CovarianceStructure::Ar1,
        "us" => CovarianceStructure::Unstructured,
        "csh" => CovarianceStructure::HeterogeneousCompoundSymmetry,
        other => panic!("{other}"),
    }
}

#[test]
fn kenward_roger_f_tests_match_independent_r_implementation() {
    let golden: Golden = golden::load("mmrm_kr_multi");
    let f = mmrm_support::fev(None);
    let data = MmrmData::new(&f.subject, &f.visit, &f.y, f.visits.clone())
        .unwrap()
        .with_factor("ARMCD", &f.arm, f.arms.clone(), "PBO")
        .unwrap()
        .with_factor("RACE", &f.race, f.races.clone(), "Asian")
        .unwrap()
        .with_factor("SEX", &f.sex, f.sexes.clone(), "Male")
        .unwrap()
        .with_covariate("FEV1_BL", &f.fev1_bl)
        .unwrap();
    let spec = ModelSpec::parse("FEV1_BL*visit + ARMCD*visit + RACE + SEX").unwrap();
    let mut compared = 0;
    for case in &golden.cases {
        let code = case.structure.as_str();
        for (method, df) in [
            ("kr", DfMethod::KenwardRoger),
            ("kr_linear", DfMethod::KenwardRogerLinear),
        ] {
            let opts = MmrmOptions::default()
                .with_covariance(structure(code))
                .with_df(df);
            let fit = mmrm(&data, &spec, &opts).unwrap().into_result().unwrap();
            assert_close(
                &format!("{code} -2 log L"),
                fit.fit_statistics.minus_two_log_likelihood,
                case.m2_reml_loglik,
                1e-10,
            );
            for (name, value) in &case.coefficients {
                let c = fit
                    .coefficients
                    .iter()
                    .find(|c| mmrm_support::same_term(&c.label, name))
                    .unwrap_or_else(|| panic!("{name}"));
                assert_close(&format!("{code} {name}"), c.estimate, *value, ITERATIVE);
            }
            for t in &case.tests {
                if t.method != method {
                    continue;
                }
                let rows: Vec<Vec<f64>> = t
                    .columns
                    .iter()
                    .map(|col| {
                        fit.coefficients
                            .iter()
                            .map(|c| {
                                if mmrm_support::same_term(&c.label, col) {
                                    1.0
                                } else {
                                    0.0
                                }
                            })
                            .collect()
                    })
                    .collect();
                // The 1-row case in the golden is a sum of two columns (TRT − PBO at VIS4).
                let rows = if t.label == "TRT-PBO at VIS4" {
                    vec![rows.iter().fold(vec![0.0; rows[0].len()], |acc, r| {
                        acc.iter().zip(r).map(|(a, b)| a + b).collect()
                    })]
                } else {
                    rows
                };
                for r in &rows {
                    assert!(r.iter().any(|x| *x != 0.0), "{code}: column not found");
                }
                let label = t.label.as_str();
                let ft = fit.f_test(&rows, label).unwrap().into_result().unwrap();
                let what = format!("{code} {method} {label}");
                assert_eq!(ft.df_numerator, t.num_df, "{what}");
                assert_close(&format!("{what} F"), ft.statistic, t.f_value, ITERATIVE);
                assert_close(
                    &format!("{what} den df"),
                    ft.df_denominator,
                    t.den_df,
                    ITERATIVE,
                );
                assert_close(
                    &format!("{what} p"),
                    ft.p_value,
                    t.p_value,
                    SATTERTHWAITE_DF,
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 24, "only {compared} tests compared");
}
