//! BCVA data (1000 subjects, 10 visits, heavy dropout): the unstructured model on which lme4
//! and glmmTMB are reported to fail fits here with a clean certificate, and matches `nlme::gls`
//! (tests/reference/mmrm_bcva_gls.R).
use crate::mmrm_support;

use crate::common::golden;
use crate::common::tol::{ITERATIVE, assert_close};
use pain_outcomes::stats::mmrm::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `tests/golden/mmrm_bcva_gls.json`: the `nlme::gls` fit (coefficients by R's term name).
#[derive(Deserialize)]
struct Golden {
    n_obs: usize,
    log_likelihood: f64,
    coefficients: BTreeMap<String, f64>,
    std_errors: BTreeMap<String, f64>,
}

#[test]
fn mmrm_bcva_unstructured_fits_with_clean_certificate_and_matches_gls() {
    let b = mmrm_support::bcva();
    let arms = vec!["CTL".to_string(), "TRT".to_string()];
    let races = vec![
        "Asian".to_string(),
        "Black".to_string(),
        "White".to_string(),
    ];
    let data = MmrmData::new(&b.subject, &b.visit, &b.y, b.visits.clone())
        .unwrap()
        .with_factor("ARMCD", &b.arm, arms, "CTL")
        .unwrap()
        .with_factor("RACE", &b.race, races, "Asian")
        .unwrap()
        .with_covariate("BCVA_BL", &b.bcva_bl)
        .unwrap();
    let spec = ModelSpec::parse("BCVA_BL + ARMCD*visit + RACE").unwrap();
    let fit = mmrm(&data, &spec, &MmrmOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    let c = &fit.certificate;
    assert_eq!(fit.n_subjects, 1000);
    assert_eq!(fit.covariance_parameters.len(), 55);
    assert!(
        c.hessian_positive_definite && c.hessian_min_scaled_eigenvalue > 1e-6,
        "{c:?}"
    );
    assert!(c.newton_decrement < 1e-6, "{c:?}");
    let golden: Golden = golden::load("mmrm_bcva_gls");
    assert_eq!(golden.n_obs, fit.n_observations);
    assert_close(
        "BCVA logLik",
        fit.fit_statistics.log_likelihood,
        golden.log_likelihood,
        ITERATIVE,
    );
    for (k, v) in &golden.coefficients {
        let name = k.as_str();
        let ours = fit
            .coefficients
            .iter()
            .find(|c| {
                let mut a: Vec<&str> = c.label.split(':').collect();
                let mut b: Vec<&str> = name.split(':').collect();
                a.sort();
                b.sort();
                a == b
            })
            .unwrap_or_else(|| panic!("{k}"));
        assert_close(&format!("BCVA {k}"), ours.estimate, *v, ITERATIVE);
        // gls (BFGS) stops slightly early: SEs agree to 2e-6 relative, β to 1e-6.
        assert_close(
            &format!("BCVA SE {k}"),
            ours.std_error,
            golden.std_errors[k],
            1e-5,
        );
    }
}
