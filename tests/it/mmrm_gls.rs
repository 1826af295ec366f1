//! Goldens from `nlme::gls` + `emmeans` on the FEV data (tests/reference/mmrm_gls.R).
//!
//! Model `FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE + SEX`, every structure gls can express
//! (US, CS, CSH, AR(1), ARH(1), TOEP, TOEPH, spatial exponential on `VISITN, VISITN2`), REML
//! and ML, plus a complete-data subset (ante-dependence has no gls equivalent and is checked
//! against SAS in tests/it/mmrm_sas.rs). Where the references use approximations:
//! - nlme's log-likelihood (3.1-162) is on SAS's scale (REML without a `log|X'X|` term).
//! - gls's optimizers stop before the exact optimum on flat likelihoods. The reference script
//!   (tests/reference/mmrm_gls_polish.R) restarts gls from its own estimates and then takes
//!   Newton steps on gls's own likelihood (numDeriv derivatives of fits with the covariance
//!   parameters held fixed) until the Newton decrement is below 1e-12; the golden holds gls
//!   evaluated there. β, SEs, log-likelihood, LS-means and contrasts then agree within
//!   `ITERATIVE` (1e-6 relative; the worst case is about 2e-7), covariance within 1e-4.
//!   This crate's log-likelihood is also asserted to be at least gls's in every case.
//! - ML: nlme's `vcov` for ML fits is larger than SAS PROC MIXED's `(X'Σ̂⁻¹X)⁻¹` by one common
//!   factor (1.0143 here, `sqrt(N/(N−p))`); our ML SEs match SAS (tests/it/mmrm_sas.rs), so
//!   against gls the test checks that the ratio of SEs is the same for every coefficient.
//! - df: emmeans gives residual df for these fits (`mode = "df.error"`); Satterthwaite and
//!   Kenward–Roger df are checked against SAS (tests/it/mmrm_sas.rs) and against an independent
//!   numerical derivation (tests/it/mmrm_knee_oa.rs).
//! - Proportional LS-mean weights: this crate weights the averaged factor combinations by
//!   their row counts (emmeans' documented rule, SAS `OM`). emmeans 1.8.4.1 computes its
//!   `.wgt.` for gls models from the fit's variance weights, so with `varIdent` (US, CSH,
//!   ARH(1), TOEPH) its `weights = "proportional"` differs from row counts (by ~6e-4 here);
//!   the golden therefore also holds emmeans with the row counts passed explicitly
//!   (`lsmeans_count_weights`), compared for every structure, and emmeans' own
//!   "proportional" is compared where the two rules coincide (no `varIdent`).
use crate::common;
use crate::mmrm_support;

use crate::common::golden;
use crate::common::tol::{COVARIANCE_PARAMETER, ITERATIVE};
use pain_outcomes::stats::mmrm::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `tests/golden/mmrm_gls.json`: one gls fit per structure, method and subset.
#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    case: String,
    structure: String,
    /// `REML` or `ML`.
    method: String,
    /// `all`, or `complete` (subjects with all four visits).
    subset: String,
    n_obs: u64,
    log_likelihood: f64,
    /// By R's term name.
    coefficients: BTreeMap<String, f64>,
    std_errors: BTreeMap<String, f64>,
    /// Covariance matrix of a complete subject.
    covariance: Vec<Vec<f64>>,
    /// Range and variance of the spatial exponential structure (empty for the others).
    spatial: Spatial,
    lsmeans: Vec<LsMean>,
    lsmeans_count_weights: Vec<LsMean>,
    lsmeans_proportional: Vec<LsMean>,
    differences: Vec<Difference>,
}

#[derive(Deserialize)]
struct Spatial {
    range: Option<f64>,
    variance: Option<f64>,
}

#[derive(Deserialize)]
struct LsMean {
    arm: String,
    visit: String,
    estimate: f64,
    std_error: f64,
}

/// TRT − PBO at one visit.
#[derive(Deserialize)]
struct Difference {
    visit: String,
    estimate: f64,
    std_error: f64,
}

impl Case {
    fn lsmeans(&self, key: &str) -> &[LsMean] {
        match key {
            "lsmeans" => &self.lsmeans,
            "lsmeans_count_weights" => &self.lsmeans_count_weights,
            "lsmeans_proportional" => &self.lsmeans_proportional,
            other => panic!("no {other} in the golden"),
        }
    }
}

fn structure(code: &str) -> CovarianceStructure {
    match code {
        "us" => CovarianceStructure::Unstructured,
        "cs" => CovarianceStructure::CompoundSymmetry,
        "csh" => CovarianceStructure::HeterogeneousCompoundSymmetry,
        "ar1" => CovarianceStructure::Ar1,
        "arh1" => CovarianceStructure::HeterogeneousAr1,
        "toep" => CovarianceStructure::Toeplitz,
        "toeph" => CovarianceStructure::HeterogeneousToeplitz,
        "spexp" => CovarianceStructure::SpatialExponential,
        other => panic!("{other}"),
    }
}

thread_local! {
    static WORST: std::cell::RefCell<std::collections::BTreeMap<String, (f64, String)>> = Default::default();
}

/// Records the relative difference per kind of quantity and fails at the end if any exceeds
/// its tolerance (so that one run reports the worst case of every kind).
fn assert_close(what: &str, a: f64, b: f64, tol: f64) {
    assert!(a.is_finite() && b.is_finite(), "{what}: non-finite");
    let d = common::tol::rel_diff(a, b, 1e-300);
    let case = what.split_whitespace().next().unwrap_or("");
    let quantity = if what.contains(" df") {
        "df"
    } else if what.contains(" SE") {
        "SE"
    } else if what.contains("Σ") {
        "covariance"
    } else if what.contains("logLik") {
        "logLik"
    } else if what.contains("lsmeans") || what.contains("TRT-PBO") {
        "LS-mean/contrast estimate"
    } else {
        "coefficient"
    };
    let kind = format!("{case} {quantity}");
    let kind = format!("{kind} (tol {tol:e})");
    WORST.with(|w| {
        let mut w = w.borrow_mut();
        let e = w.entry(kind).or_insert((0.0, String::new()));
        if d > e.0 {
            *e = (d, format!("{what}: got {a}, reference {b}"));
        }
    });
}

fn report_and_check() {
    WORST.with(|w| {
        let mut bad = Vec::new();
        for (kind, (d, what)) in w.borrow().iter() {
            eprintln!("worst {kind}: {d:e} at {what}");
            let tol: f64 = kind
                .rsplit("tol ")
                .next()
                .unwrap()
                .trim_end_matches(')')
                .parse()
                .unwrap();
            if *d > tol {
                bad.push(format!("{kind}: {d:e} at {what}"));
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    });
}

#[test]
fn mmrm_matches_nlme_gls_and_emmeans_for_every_structure() {
    let golden: Golden = golden::load("mmrm_gls");
    let fev = mmrm_support::fev(None);
    let complete: std::collections::BTreeSet<usize> = {
        let mut count = std::collections::BTreeMap::new();
        for &s in &fev.subject {
            *count.entry(s).or_insert(0) += 1;
        }
        count
            .into_iter()
            .filter(|(_, c)| *c == 4)
            .map(|(s, _)| s)
            .collect()
    };
    for case in &golden.cases {
        let name = case.case.as_str();
        let keep: Vec<usize> = (0..fev.y.len())
            .filter(|&i| case.subset == "all" || complete.contains(&fev.subject[i]))
            .collect();
        // Re-index subjects densely for the subset.
        let mut ids = std::collections::BTreeMap::new();
        let subject: Vec<usize> = keep
            .iter()
            .map(|&i| {
                let n = ids.len();
                *ids.entry(fev.subject[i]).or_insert(n)
            })
            .collect();
        let pick = |v: &Vec<usize>| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let pickf = |v: &Vec<f64>| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let (visit, arm, race, sex) = (
            pick(&fev.visit),
            pick(&fev.arm),
            pick(&fev.race),
            pick(&fev.sex),
        );
        let (y, bl) = (pickf(&fev.y), pickf(&fev.fev1_bl));
        let (vn, vn2) = (pickf(&fev.visitn), pickf(&fev.visitn2));
        assert_eq!(y.len() as u64, case.n_obs, "{name}");
        let data = MmrmData::new(&subject, &visit, &y, fev.visits.clone())
            .unwrap()
            .with_factor("ARMCD", &arm, fev.arms.clone(), "PBO")
            .unwrap()
            .with_factor("RACE", &race, fev.races.clone(), "Asian")
            .unwrap()
            .with_factor("SEX", &sex, fev.sexes.clone(), "Male")
            .unwrap()
            .with_covariate("FEV1_BL", &bl)
            .unwrap()
            .with_coordinates(vec![&vn, &vn2])
            .unwrap();
        let method = if case.method == "REML" {
            Estimation::Reml
        } else {
            Estimation::Ml
        };
        let opts = MmrmOptions::default()
            .with_covariance(structure(&case.structure))
            .with_method(method);
        let spec = ModelSpec::parse("FEV1_BL*visit + ARMCD*visit + RACE + SEX").unwrap();
        let fit = mmrm(&data, &spec, &opts).unwrap().into_result().unwrap();
        assert!(fit.certificate.hessian_positive_definite);
        // Log-likelihood.
        let ll = case.log_likelihood;
        assert_close(
            &format!("{name} logLik"),
            fit.fit_statistics.log_likelihood,
            ll,
            ITERATIVE,
        );
        // Our fit goes to a Newton decrement at rounding level; gls is not above it.
        assert!(
            fit.fit_statistics.log_likelihood >= ll - 1e-7,
            "{name}: gls reached a higher likelihood"
        );
        let mut se_ratio: Option<f64> = None;
        // Coefficients and SEs.
        for (k, v) in &case.coefficients {
            let c = fit
                .coefficients
                .iter()
                .find(|c| mmrm_support::same_term(&c.label, k))
                .unwrap_or_else(|| panic!("{k}"));
            assert_close(&format!("{name} {k}"), c.estimate, *v, ITERATIVE);
            let se_ref = case.std_errors[k];
            if method == Estimation::Reml {
                assert_close(&format!("{name} SE {k}"), c.std_error, se_ref, ITERATIVE);
            } else {
                let r = se_ref / c.std_error;
                let r0 = *se_ratio.get_or_insert(r);
                assert_close(&format!("{name} SE ratio {k}"), r, r0, ITERATIVE);
            }
        }
        // Spatial: range and variance (SAS order: SP(EXP), Residual).
        if case.structure == "spexp" {
            let sp = &case.spatial;
            for (k, (key, value)) in [("range", sp.range), ("variance", sp.variance)]
                .into_iter()
                .enumerate()
            {
                assert_close(
                    &format!("{name} Σ parameter {key}"),
                    fit.covariance_parameters[k].estimate,
                    value.unwrap_or_else(|| panic!("{name}: no spatial {key} in the golden")),
                    COVARIANCE_PARAMETER,
                );
            }
        }
        // Covariance matrix of a complete subject (visit structures only).
        let cov = if case.structure == "spexp" {
            &[][..]
        } else {
            &case.covariance[..]
        };
        for (a, row) in cov.iter().enumerate() {
            for (b, x) in row.iter().enumerate() {
                assert_close(
                    &format!("{name} Σ[{a},{b}]"),
                    fit.covariance_matrices[0][a][b],
                    *x,
                    COVARIANCE_PARAMETER,
                );
            }
        }
        // emmeans' "proportional" equals row-count weights only without varIdent (see header).
        let heteroscedastic = ["us", "csh", "arh1", "toeph"].contains(&case.structure.as_str());
        let keys: &[(&str, LsMeanWeights)] = if heteroscedastic {
            &[
                ("lsmeans", LsMeanWeights::Equal),
                ("lsmeans_count_weights", LsMeanWeights::Proportional),
            ]
        } else {
            &[
                ("lsmeans", LsMeanWeights::Equal),
                ("lsmeans_count_weights", LsMeanWeights::Proportional),
                ("lsmeans_proportional", LsMeanWeights::Proportional),
            ]
        };
        for &(key, weights) in keys {
            let lsm = fit.lsmeans(&["ARMCD", "visit"], weights).unwrap();
            for g in case.lsmeans(key) {
                let cell = lsm
                    .iter()
                    .find(|l| l.cell[0].1 == g.arm && l.cell[1].1 == g.visit)
                    .unwrap();
                let e = cell.estimate.computed().unwrap();
                let what = format!("{name} {key} {:?} {:?}", g.arm, g.visit);
                assert_close(
                    &format!("{what} estimate"),
                    e.estimate,
                    g.estimate,
                    ITERATIVE,
                );
                if method == Estimation::Reml {
                    assert_close(&format!("{what} SE"), e.std_error, g.std_error, ITERATIVE);
                }
            }
        }
        let diffs = fit.arm_differences("ARMCD", LsMeanWeights::Equal).unwrap();
        for g in &case.differences {
            let d = diffs
                .iter()
                .filter_map(|d| d.computed())
                .find(|d| d.visit.as_deref() == Some(g.visit.as_str()))
                .unwrap();
            let what = format!("{name} TRT-PBO {:?}", g.visit);
            assert_close(
                &format!("{what} estimate"),
                d.difference.estimate,
                g.estimate,
                ITERATIVE,
            );
            if method == Estimation::Reml {
                assert_close(
                    &format!("{what} SE"),
                    d.difference.std_error,
                    g.std_error,
                    ITERATIVE,
                );
            }
        }
    }
    report_and_check();
}
