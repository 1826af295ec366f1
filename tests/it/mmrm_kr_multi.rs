//! Multi-degree-of-freedom Kenward–Roger F tests (and KR-linear) against an independent R
//! implementation of Kenward & Roger (1997) (tests/reference/mmrm_kr_multi.R, golden
//! tests/golden/mmrm_kr_multi.json): FEV data, `FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE +
//! SEX`, REML, CS, AR(1), US and CSH in SAS's parametrization, observed information. The
//! script checks its own algebra (one-row identity with the Satterthwaite form, analytic
//! derivatives against numDeriv); the 1-row SAS comparison is in tests/it/mmrm_sas.rs.
use crate::mmrm_support;

use crate::common::tol::{ITERATIVE, SATTERTHWAITE_DF, assert_close};
use pain_outcomes::stats::mmrm::*;
use serde_json::Value;

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
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/golden/mmrm_kr_multi.json").unwrap())
            .unwrap();
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
    for case in golden["cases"].as_array().unwrap() {
        let code = case["structure"].as_str().unwrap();
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
                case["m2_reml_loglik"].as_f64().unwrap(),
                1e-10,
            );
            for (name, value) in case["coefficients"].as_object().unwrap() {
                let c = fit
                    .coefficients
                    .iter()
                    .find(|c| mmrm_support::same_term(&c.name, name))
                    .unwrap_or_else(|| panic!("{name}"));
                assert_close(
                    &format!("{code} {name}"),
                    c.estimate,
                    value.as_f64().unwrap(),
                    ITERATIVE,
                );
            }
            for t in case["tests"].as_array().unwrap() {
                if t["method"] != method {
                    continue;
                }
                let rows: Vec<Vec<f64>> = t["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|col| {
                        let col = col.as_str().unwrap();
                        fit.coefficients
                            .iter()
                            .map(|c| {
                                if mmrm_support::same_term(&c.name, col) {
                                    1.0
                                } else {
                                    0.0
                                }
                            })
                            .collect()
                    })
                    .collect();
                // The 1-row case in the golden is a sum of two columns (TRT − PBO at VIS4).
                let rows = if t["label"] == "TRT-PBO at VIS4" {
                    vec![rows.iter().fold(vec![0.0; rows[0].len()], |acc, r| {
                        acc.iter().zip(r).map(|(a, b)| a + b).collect()
                    })]
                } else {
                    rows
                };
                for r in &rows {
                    assert!(r.iter().any(|x| *x != 0.0), "{code}: column not found");
                }
                let label = t["label"].as_str().unwrap();
                let ft = fit.f_test(&rows, label).unwrap().into_result().unwrap();
                let what = format!("{code} {method} {label}");
                assert_eq!(ft.num_df, t["num_df"].as_f64().unwrap(), "{what}");
                assert_close(
                    &format!("{what} F"),
                    ft.f_value,
                    t["f_value"].as_f64().unwrap(),
                    ITERATIVE,
                );
                assert_close(
                    &format!("{what} den df"),
                    ft.den_df,
                    t["den_df"].as_f64().unwrap(),
                    ITERATIVE,
                );
                assert_close(
                    &format!("{what} p"),
                    ft.p_value,
                    t["p_value"].as_f64().unwrap(),
                    SATTERTHWAITE_DF,
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 24, "only {compared} tests compared");
}
