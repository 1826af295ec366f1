//! SAS PROC MIXED parity on the FEV data (SAS listings published by the mmrm project, copied to
//! `tests/data/sas-mmrm`; see its README). Expected numbers are read from the listing files.
//!
//! Tolerance: SAS stops when its relative Hessian criterion `g'H⁻¹g / |f − c|` is below 1e-8
//! (`c` the `2π` constant of `f = −2 log L`), i.e. with `−2 log L` up to ~1e-5 above the
//! optimum; this crate's default fit iterates to the optimum. Every test asserts that our
//! criterion is not above SAS's final iteration, and compares printed values to half a unit in
//! the last printed place plus `SAS_REL` relative (SAS's early stop moves some printed digits
//! by a few units). With `CovarianceFit::SasIterations` (SAS's start, steps and stopping rule,
//! reproduced for UN) the UN fits are compared strictly: half a printed unit, no slack.
use crate::common;
use crate::mmrm_support;

use crate::mmrm_support::sas::{self, Printed};
use pain_outcomes::stats::mmrm::*;

/// Relative slack for SAS's stopping rule (see the file header).
const SAS_REL: f64 = 5e-4;

thread_local! {
    /// Strict comparison (half a printed unit only) for fits that reproduce SAS's iterations.
    static STRICT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn strict() -> bool {
    STRICT.with(|s| s.get())
}

/// Rounding allowance on top of half a printed unit.
fn rounding(v: f64) -> f64 {
    1e-12 * v.abs().max(1.0)
}
const DIR: &str = "tests/data/sas-mmrm/covariance";

#[track_caller]
fn assert_printed(what: &str, got: f64, sas: Printed) {
    let slack = if strict() { 0.0 } else { SAS_REL };
    let tol = sas.half_ulp() + slack * sas.value.abs() + rounding(sas.value);
    assert!(
        (got - sas.value).abs() <= tol,
        "{what}: got {got}, SAS printed {} (tolerance {tol:e})",
        sas.value
    );
}

/// Fixed effects and contrasts: as [`assert_printed`], or within `2 sqrt(δ)` standard errors
/// (`δ` the criterion gap) for estimates near zero.
#[track_caller]
fn assert_estimate(what: &str, got: f64, se: f64, sas: Printed, delta: f64) {
    let tol = if strict() {
        sas.half_ulp() + rounding(sas.value)
    } else {
        sas.half_ulp()
            .max(SAS_REL * sas.value.abs())
            .max(2.0 * delta.max(1e-9).sqrt() * se)
    };
    assert!(
        (got - sas.value).abs() <= tol,
        "{what}: got {got}, SAS printed {} (tolerance {tol:e})",
        sas.value
    );
}

#[track_caller]
fn assert_criterion_not_above_sas(what: &str, ours: f64, text: &str) {
    let sas_f = sas::final_criterion(text);
    assert!(sas_f.is_finite(), "{what}: no iteration history");
    // Ours is at least as good as SAS's final iterate (SAS prints 8 decimals).
    assert!(
        ours <= sas_f + 1e-7,
        "{what}: -2 log L {ours} above SAS {sas_f}"
    );
    common::tol::assert_close(what, ours, sas_f, 1e-8);
}

fn un_fit(f: &mmrm_support::Fev, method: Estimation, fit: CovarianceFit) -> MmrmFit {
    let spec = ModelSpec::parse("ARMCD*visit + RACE + SEX").unwrap();
    let opts = MmrmOptions::default()
        .with_method(method)
        .with_covariance_fit(fit);
    mmrm(&f.mmrm_data(), &spec, &opts)
        .unwrap()
        .into_result()
        .unwrap()
}

/// SAS's visit order in these listings is VIS2, VIS3, VIS4, VIS1 (levels sorted with the
/// reference last); `UN(i,j)` indexes that order.
const SAS_UN_ORDER: [usize; 4] = [1, 2, 3, 0];

/// Tolerance for a covariance parameter: SAS's final criterion exceeds ours by `δ`; a point
/// with criterion excess `δ` can differ from the optimum by up to `sqrt(δ)` standard errors in
/// any one parameter (quadratic approximation). We allow twice that, or half a printed unit.
fn parameter_tolerance(p: Printed, se: f64, delta: f64) -> f64 {
    if strict() {
        p.half_ulp() + rounding(p.value)
    } else {
        p.half_ulp().max(2.0 * delta.max(1e-9).sqrt() * se)
    }
}

fn criterion_gap(text: &str, fit: &MmrmFit) -> f64 {
    sas::final_criterion(text) - fit.fit_statistics.minus_two_log_likelihood
}

#[track_caller]
fn assert_parameter(what: &str, got: f64, se: f64, sas: Printed, delta: f64) {
    let tol = parameter_tolerance(sas, se, delta);
    assert!(
        (got - sas.value).abs() <= tol,
        "{what}: got {got}, SAS printed {} (tolerance {tol:e} from SE {se} and criterion gap {delta:e})",
        sas.value
    );
}

fn check_un_parameters(text: &str, fit: &MmrmFit) {
    let delta = criterion_gap(text, fit);
    let pars = sas::covariance_parameters(text);
    assert_eq!(pars.len(), 10);
    for (name, _, p) in pars {
        let ij: Vec<usize> = name
            .trim_start_matches("UN(")
            .trim_end_matches(')')
            .split(',')
            .map(|x| x.parse::<usize>().unwrap() - 1)
            .collect();
        let (a, b) = (SAS_UN_ORDER[ij[0]], SAS_UN_ORDER[ij[1]]);
        let (a, b) = (a.max(b), a.min(b));
        let ours = fit
            .covariance_parameters
            .iter()
            .find(|c| c.name == format!("UN({},{})", a + 1, b + 1))
            .unwrap();
        assert_parameter(&name, ours.estimate, ours.std_error, p, delta);
    }
}

fn coefficient_name(effect: &str, labels: &[String]) -> String {
    let lvl = labels.join(" ");
    match effect {
        "Intercept" => "(Intercept)".into(),
        "ARMCD" => format!("ARMCD{lvl}"),
        "AVISIT" => format!("visit{lvl}"),
        "RACE" => format!("RACE{lvl}"),
        "SEX" => format!("SEX{lvl}"),
        "AVISIT*ARMCD" => format!("ARMCD{}:visit{}", labels[1], labels[0]),
        other => panic!("unknown effect {other}"),
    }
}

fn check_un_fixed_effects(text: &str, fit: &MmrmFit) {
    let mut n = 0;
    for (labels, nums) in sas::table_rows(text, "Solution for Fixed Effects") {
        if nums.len() < 4 {
            continue; // reference levels print "0 . . ."
        }
        let name = coefficient_name(&labels[0], &labels[1..]);
        let c = fit
            .coefficients
            .iter()
            .find(|c| c.label == name)
            .unwrap_or_else(|| panic!("{name}"));
        let delta = criterion_gap(text, fit);
        assert_estimate(
            &format!("{name} estimate"),
            c.estimate,
            c.std_error,
            nums[0],
            delta,
        );
        assert_printed(&format!("{name} SE"), c.std_error, nums[1]);
        assert_printed(&format!("{name} df"), c.df.expect("t df"), nums[2]);
        assert_printed(&format!("{name} t"), c.statistic, nums[3]);
        n += 1;
    }
    assert_eq!(n, fit.coefficients.len());
}

fn check_type3(text: &str, fit: &MmrmFit) {
    let tests = fit.type3().unwrap();
    let mut n = 0;
    for (labels, nums) in sas::table_rows(text, "Type 3 Tests of Fixed Effects") {
        let term = match labels[0].as_str() {
            "AVISIT" => "visit",
            "AVISIT*ARMCD" => "ARMCD:visit",
            other => other,
        };
        let t = tests
            .iter()
            .filter_map(|t| t.computed())
            .find(|t| t.label == term)
            .unwrap_or_else(|| panic!("{term}"));
        assert_printed(&format!("{term} num df"), t.df_numerator, nums[0]);
        assert_printed(&format!("{term} den df"), t.df_denominator, nums[1]);
        assert_printed(&format!("{term} F"), t.statistic, nums[3]);
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn mmrm_un_reml_satterthwaite_matches_sas_proc_mixed() {
    let f = mmrm_support::fev(None);
    check_un_reml(&un_fit(&f, Estimation::Reml, CovarianceFit::Optimize));
}

#[test]
fn mmrm_un_reml_with_sas_iterations_matches_every_printed_digit() {
    let f = mmrm_support::fev(None);
    let fit = un_fit(&f, Estimation::Reml, CovarianceFit::SasIterations);
    STRICT.with(|s| s.set(true));
    check_un_reml(&fit);
}

/// The parts the REML and ML listings share: criterion, covariance parameters, fixed effects,
/// Type 3 tests, AIC and AICC.
fn check_un_common(fit: &MmrmFit, text: &str) {
    assert_criterion_not_above_sas(
        "-2 log L",
        fit.fit_statistics.minus_two_log_likelihood,
        text,
    );
    check_un_parameters(text, fit);
    check_un_fixed_effects(text, fit);
    check_type3(text, fit);
    for (labels, nums) in sas::table_rows(text, "Fit Statistics") {
        let s = &fit.fit_statistics;
        match labels[0].as_str() {
            "AIC" => assert_printed("AIC", s.aic, nums[0]),
            "AICC" => assert_printed("AICC", s.aicc, nums[0]),
            _ => {}
        }
    }
}

fn check_un_reml(fit: &MmrmFit) {
    let text = sas::read(&format!("{DIR}/sas_log_reml.txt"));
    check_un_common(fit, &text);
    // BIC: SAS counts the 200 subjects read, 3 of whom have no observed FEV1; this crate
    // counts the 197 subjects with data.
    for (labels, nums) in sas::table_rows(&text, "Fit Statistics") {
        let s = &fit.fit_statistics;
        if labels[0] == "BIC" {
            let with_200 = s.bic - s.n_parameters as f64 * (197f64.ln() - 200f64.ln());
            assert_printed("BIC (200 subjects)", with_200, nums[0]);
        }
    }
    // LS-means of AVISIT*ARMCD (equal weights over RACE and SEX).
    let lsm = fit
        .lsmeans(&["visit", "ARMCD"], LsMeanWeights::Equal)
        .unwrap();
    let mut n = 0;
    for (labels, nums) in sas::table_rows(&text, "Least Squares Means") {
        if labels[0] != "AVISIT*ARMCD" {
            continue;
        }
        let cell = lsm
            .iter()
            .find(|l| l.cell[0].1 == labels[1] && l.cell[1].1 == labels[2])
            .unwrap();
        let e = cell.estimate.computed().unwrap();
        let what = format!("LS-mean {} {}", labels[1], labels[2]);
        assert_printed(&format!("{what} estimate"), e.estimate, nums[0]);
        assert_printed(&format!("{what} SE"), e.std_error, nums[1]);
        assert_printed(&format!("{what} df"), e.df.expect("t df"), nums[2]);
        let k = nums.len();
        assert_printed(
            &format!("{what} lower"),
            e.confidence_interval.lower,
            nums[k - 2],
        );
        assert_printed(
            &format!("{what} upper"),
            e.confidence_interval.upper,
            nums[k - 1],
        );
        n += 1;
    }
    assert_eq!(n, 8);
    // TRT − PBO at each visit.
    let diffs = fit.arm_differences("ARMCD", LsMeanWeights::Equal).unwrap();
    let mut n = 0;
    for (labels, nums) in sas::table_rows(&text, "Differences of Least Squares Means") {
        if labels.len() < 5 || labels[1] != labels[3] || labels[2] != "TRT" || labels[4] != "PBO" {
            continue;
        }
        let d = diffs
            .iter()
            .filter_map(|d| d.computed())
            .find(|d| d.visit.as_deref() == Some(labels[1].as_str()))
            .unwrap();
        let what = format!("TRT-PBO at {}", labels[1]);
        let e = &d.difference;
        assert_printed(&format!("{what} estimate"), e.estimate, nums[0]);
        assert_printed(&format!("{what} SE"), e.std_error, nums[1]);
        assert_printed(&format!("{what} df"), e.df.expect("t df"), nums[2]);
        assert_printed(&format!("{what} t"), e.statistic, nums[3]);
        let k = nums.len();
        assert_printed(
            &format!("{what} lower"),
            e.confidence_interval.lower,
            nums[k - 2],
        );
        assert_printed(
            &format!("{what} upper"),
            e.confidence_interval.upper,
            nums[k - 1],
        );
        n += 1;
    }
    assert_eq!(n, 4);
}

#[test]
fn mmrm_un_ml_satterthwaite_matches_sas_proc_mixed() {
    let f = mmrm_support::fev(None);
    check_un_ml(&un_fit(&f, Estimation::Ml, CovarianceFit::Optimize));
}

#[test]
fn mmrm_un_ml_with_sas_iterations_matches_every_printed_digit() {
    let f = mmrm_support::fev(None);
    let fit = un_fit(&f, Estimation::Ml, CovarianceFit::SasIterations);
    STRICT.with(|s| s.set(true));
    check_un_ml(&fit);
}

fn check_un_ml(fit: &MmrmFit) {
    check_un_common(fit, &sas::read(&format!("{DIR}/sas_log.txt")));
}

fn intercept_only(structure: CovarianceStructure, method: Estimation, group: bool) -> MmrmFit {
    let f = mmrm_support::fev(None);
    let data = MmrmData::new(&f.subject, &f.visit, &f.y, f.visits.clone())
        .unwrap()
        .with_factor("ARMCD", &f.arm, f.arms.clone(), "PBO")
        .unwrap();
    let mut opts = MmrmOptions::default()
        .with_method(method)
        .with_covariance(structure);
    if group {
        opts = opts.with_group("ARMCD");
    }
    mmrm(&data, &ModelSpec::parse("1").unwrap(), &opts)
        .unwrap()
        .into_result()
        .unwrap()
}

fn check_intercept_only(
    file: &str,
    structure: CovarianceStructure,
    method: Estimation,
    group: bool,
) {
    let text = sas::read(&format!("{DIR}/{file}"));
    let fit = intercept_only(structure, method, group);
    assert!(fit.certificate.hessian_positive_definite, "{file}");
    assert_criterion_not_above_sas(file, fit.fit_statistics.minus_two_log_likelihood, &text);
    let rows = sas::table_rows(&text, "Solution for Fixed Effects");
    let (_, nums) = rows.iter().find(|(l, _)| l[0] == "Intercept").unwrap();
    let c = &fit.coefficients[0];
    assert_printed(&format!("{file} intercept"), c.estimate, nums[0]);
    assert_printed(&format!("{file} SE"), c.std_error, nums[1]);
    assert_printed(&format!("{file} df"), c.df.expect("t df"), nums[2]);
    let pars = sas::covariance_parameters(&text);
    assert_eq!(pars.len(), fit.covariance_parameters.len(), "{file}");
    for (name, grp, p) in pars {
        if structure == CovarianceStructure::Unstructured {
            continue; // compared through Σ in the UN tests
        }
        let ours = fit
            .covariance_parameters
            .iter()
            // With `group=`, SAS names the CS residual variance `Variance`.
            .find(|c| {
                (c.name == name || (name == "Variance" && c.name == "Residual")) && c.group == grp
            })
            .unwrap_or_else(|| {
                panic!(
                    "{file}: {name} {grp} not in {:?}",
                    fit.covariance_parameters
                )
            });
        assert_parameter(
            &format!("{file} {name} {grp}"),
            ours.estimate,
            ours.std_error,
            p,
            criterion_gap(&text, &fit),
        );
    }
    if structure == CovarianceStructure::Unstructured {
        check_un_parameters(&text, &fit);
    }
}

#[test]
fn mmrm_intercept_only_fits_match_sas_for_every_structure() {
    use CovarianceStructure::*;
    let cases = [
        ("cs", CompoundSymmetry),
        ("csh", HeterogeneousCompoundSymmetry),
        ("ar1", Ar1),
        ("ar1h", HeterogeneousAr1),
        ("adh", AnteDependence),
        ("toeph", HeterogeneousToeplitz),
    ];
    for (code, s) in cases {
        check_intercept_only(&format!("sas_{code}_reml.txt"), s, Estimation::Reml, false);
        check_intercept_only(&format!("sas_{code}_ml.txt"), s, Estimation::Ml, false);
    }
    check_intercept_only(
        "sas_log_simple_reml.txt",
        Unstructured,
        Estimation::Reml,
        false,
    );
    check_intercept_only("sas_log_simple.txt", Unstructured, Estimation::Ml, false);
}

#[test]
fn mmrm_per_arm_covariance_fits_match_sas_group_option() {
    use CovarianceStructure::*;
    let cases = [
        ("cs", CompoundSymmetry),
        ("csh", HeterogeneousCompoundSymmetry),
        ("ar1", Ar1),
        ("ar1h", HeterogeneousAr1),
        ("adh", AnteDependence),
        ("toeph", HeterogeneousToeplitz),
    ];
    for (code, s) in cases {
        check_intercept_only(
            &format!("sas_group_{code}_reml.txt"),
            s,
            Estimation::Reml,
            true,
        );
        check_intercept_only(&format!("sas_group_{code}_ml.txt"), s, Estimation::Ml, true);
    }
}

/// Kenward–Roger and KR-linear: estimate, SE and df of TRT − PBO in `FEV1 = ARMCD`, this
/// crate's default fit (the REML optimum) against SAS. The SAS CSVs carry full precision, but
/// SAS's results are those of its final iterate, which stops short of the optimum (its
/// `-2 Res Log Like` is up to 1.3e-5 above it): at the optimum US, CSH and ANTE(1) differ from
/// SAS by 2.7e-4 to 4e-4 in df (the others by 9e-5 or less), hence `KR_REL`. At SAS's own final
/// iterate (reproduced with `CovarianceFit::SasIterations` for UN and CS, held fixed for the
/// other structures) the same quantities agree to ~1e-14: tests/it/mmrm_sas_iterations.rs.
const KR_REL: f64 = 5e-4;

#[test]
fn mmrm_kenward_roger_matches_sas_ddfm_kr_for_every_structure() {
    use CovarianceStructure::*;
    let f = mmrm_support::fev(None);
    let data = MmrmData::new(&f.subject, &f.visit, &f.y, f.visits.clone())
        .unwrap()
        .with_factor("ARMCD", &f.arm, f.arms.clone(), "PBO")
        .unwrap();
    let cases = [
        ("us", Unstructured),
        ("cs", CompoundSymmetry),
        ("csh", HeterogeneousCompoundSymmetry),
        ("ar1", Ar1),
        ("arh1", HeterogeneousAr1),
        ("toep", Toeplitz),
        ("toeph", HeterogeneousToeplitz),
        ("adh", AnteDependence),
    ];
    let coords: Vec<&[f64]> = vec![&f.visitn, &f.visitn2];
    let spatial = data.clone().with_coordinates(coords).unwrap();
    let cases = cases.into_iter().chain([("spexp", SpatialExponential)]);
    for (code, s) in cases {
        for (prefix, df) in [
            ("kr", DfMethod::KenwardRoger),
            ("kr1", DfMethod::KenwardRogerLinear),
        ] {
            // The upstream spexp file names are swapped (see tests/data/sas-mmrm/README.md).
            let file_prefix = match (code, prefix) {
                ("spexp", "kr") => "kr1",
                ("spexp", _) => "kr",
                _ => prefix,
            };
            let path = format!("{file_prefix}_{code}");
            let data = if code == "spexp" { &spatial } else { &data };
            let (est, se, ddf) = sas::kr_table(file_prefix, code);
            let opts = MmrmOptions::default().with_covariance(s).with_df(df);
            let fit = mmrm(data, &ModelSpec::parse("ARMCD").unwrap(), &opts)
                .unwrap()
                .into_result()
                .unwrap();
            let d = fit
                .contrast(&[0.0, 1.0], "TRT - PBO")
                .unwrap()
                .into_result()
                .unwrap();
            eprintln!(
                "{path}: optimum: relative differences estimate {:.2e}, SE {:.2e}, df {:.2e}",
                (d.estimate / est - 1.0).abs(),
                (d.std_error / se - 1.0).abs(),
                (d.df.expect("t df") / ddf - 1.0).abs()
            );
            common::tol::assert_close(&format!("{path} estimate"), d.estimate, est, KR_REL);
            common::tol::assert_close(&format!("{path} SE"), d.std_error, se, KR_REL);
            common::tol::assert_close(&format!("{path} df"), d.df.expect("t df"), ddf, KR_REL);
        }
    }
}

#[test]
fn mmrm_refuses_sas_nonconvergence_case() {
    // SAS: "WARNING: Did not converge." on the first 50 rows (13 subjects), REML and ML.
    let f = mmrm_support::fev(Some(50));
    for (method, fit_mode) in [
        (Estimation::Reml, CovarianceFit::Optimize),
        (Estimation::Ml, CovarianceFit::Optimize),
        (Estimation::Reml, CovarianceFit::SasIterations),
        (Estimation::Ml, CovarianceFit::SasIterations),
    ] {
        let spec = ModelSpec::parse("ARMCD*visit + RACE + SEX").unwrap();
        let opts = MmrmOptions::default()
            .with_method(method)
            .with_covariance_fit(fit_mode);
        let out = mmrm(&f.mmrm_data(), &spec, &opts).unwrap();
        let r = out.refusal().unwrap_or_else(|| {
            panic!(
                "{method:?}: expected a refusal, got {:?}",
                out.computed().map(|x| x.to_string())
            )
        });
        eprintln!("{method:?}: {r}");
        assert_eq!(r.reason, pain_outcomes::RefusalReason::NoConvergence, "{r}");
    }
}
