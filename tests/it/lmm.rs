//! Linear mixed models (stats::lmm, analysis::TrajectoryModel) against lme4::lmer + lmerTest:
//! goldens written by tests/reference/lmm_*.R.

use std::collections::HashMap;

use nalgebra::DMatrix;
use pain_outcomes::stats::lmm::{LmmData, LmmFit, LmmOptions, RandomEffectsCovariance, lmm};
use pain_outcomes::stats::mmrm::Estimation;
use serde::Deserialize;

use crate::common::golden::{self, Provenance};
use crate::common::tol::{
    ITERATIVE, PROFILE_LIMIT, SATTERTHWAITE_DF, assert_close, assert_close_abs,
};

/// Variance components and BLUPs: the acceptance tolerance (1e-5), looser than the
/// fixed effects because both optimizers stop on θ, which moves these first.
const VARIANCE_COMPONENT: f64 = 1e-5;

#[derive(Debug, Deserialize)]
pub struct Golden {
    #[allow(dead_code)]
    pub provenance: Provenance,
    pub cases: Vec<Case>,
    pub lrt: Option<Lrt>,
}

#[derive(Debug, Deserialize)]
pub struct Lrt {
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
}

#[derive(Debug, Deserialize)]
pub struct Fixed {
    pub name: String,
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
    pub t: f64,
    pub p_value: f64,
}

#[derive(Debug, Deserialize)]
pub struct Sd {
    #[serde(default)]
    pub group: String,
    pub name: String,
    pub std_dev: f64,
}

#[derive(Debug, Deserialize)]
pub struct Correlation {
    pub correlation: f64,
}

#[derive(Debug, Deserialize)]
pub struct Group {
    pub group: String,
    pub modes: Vec<f64>,
    pub conditional_covariance: Vec<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Contrast {
    pub label: String,
    pub estimate: f64,
    pub std_error: f64,
    pub df: f64,
    pub lower: f64,
    pub upper: f64,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub name: String,
    pub reml: bool,
    pub n_observations: usize,
    pub fixed: Vec<Fixed>,
    pub theta: Vec<f64>,
    pub sigma: f64,
    pub sd: Vec<Sd>,
    pub correlations: Vec<Correlation>,
    pub criterion: f64,
    pub log_likelihood: f64,
    pub aic: f64,
    pub bic: f64,
    pub singular: bool,
    pub random_effects: Vec<Group>,
    pub predict_conditional: Vec<f64>,
    pub predict_population: Vec<f64>,
    #[serde(default)]
    pub contrasts: Vec<Contrast>,
}

/// Compares everything a fit reports with its lme4 case; returns the largest relative
/// differences (fixed effects + SEs, variance components, df, BLUPs).
#[track_caller]
pub fn check_fit(fit: &LmmFit, case: &Case, data: Option<&LmmData>) -> [f64; 4] {
    let what = &case.name;
    let mut worst = [0.0f64; 4];
    assert_eq!(fit.n_observations, case.n_observations, "{what}: rows");
    assert_eq!(fit.singular, case.singular, "{what}: isSingular");
    assert!(fit.certificate.converged, "{what}: converged");
    let scale = case
        .fixed
        .iter()
        .map(|f| f.estimate.abs())
        .fold(0.0, f64::max);
    for f in &case.fixed {
        let e = fit
            .coefficient(&f.name)
            .unwrap_or_else(|| panic!("{what}: no coefficient {}", f.name))
            .computed()
            .unwrap_or_else(|| panic!("{what}: {} refused", f.name));
        // relative to the largest coefficient for a coefficient near 0
        let d = (e.estimate - f.estimate).abs() / f.estimate.abs().max(1e-3 * scale);
        assert!(
            d <= ITERATIVE,
            "{what} {}: {} vs {} ({d:e})",
            f.name,
            e.estimate,
            f.estimate
        );
        worst[0] = worst[0].max(d);
        assert_close(
            &format!("{what} {} SE", f.name),
            e.std_error,
            f.std_error,
            ITERATIVE,
        );
        worst[0] = worst[0].max((e.std_error - f.std_error).abs() / f.std_error);
        let df = e.df.unwrap_or(f64::NAN);
        assert_close(&format!("{what} {} df", f.name), df, f.df, SATTERTHWAITE_DF);
        worst[2] = worst[2].max((df - f.df).abs() / f.df);
        assert_close_abs(
            &format!("{what} {} t", f.name),
            e.statistic,
            f.t,
            1e-5 * f.t.abs().max(1.0),
        );
        // the p-value inherits the df tolerance (1e-3 on df moves a p of 1e-10 by ~1e-3)
        assert_close_abs(
            &format!("{what} {} p", f.name),
            e.p_value,
            f.p_value,
            1e-2 * f.p_value.max(1e-12),
        );
    }
    assert_close(
        &format!("{what} criterion"),
        fit.criterion,
        case.criterion,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} logLik"),
        fit.log_likelihood,
        case.log_likelihood,
        ITERATIVE,
    );
    assert_close(&format!("{what} AIC"), fit.aic, case.aic, ITERATIVE);
    assert_close(&format!("{what} BIC"), fit.bic, case.bic, ITERATIVE);
    assert_close(
        &format!("{what} sigma"),
        fit.sigma,
        case.sigma,
        VARIANCE_COMPONENT,
    );
    let sd_scale = case.sd.iter().map(|s| s.std_dev).fold(0.0, f64::max);
    for (got, want) in fit.variance_components.iter().zip(&case.sd) {
        let d = (got.std_dev - want.std_dev).abs() / want.std_dev.max(1e-3 * sd_scale);
        assert!(
            d <= VARIANCE_COMPONENT,
            "{what} sd {}: {} vs {} ({d:e})",
            want.name,
            got.std_dev,
            want.std_dev
        );
        worst[1] = worst[1].max(d);
    }
    assert_eq!(
        fit.variance_components.len(),
        case.sd.len(),
        "{what}: components"
    );
    if fit.covariance == RandomEffectsCovariance::Correlated && !case.correlations.is_empty() {
        let q = fit.random_names.len();
        let mut k = 0;
        for j in 0..q {
            for i in j + 1..q {
                assert_close_abs(
                    &format!("{what} correlation {i},{j}"),
                    fit.random_correlation[i * q + j],
                    case.correlations[k].correlation,
                    VARIANCE_COMPONENT,
                );
                k += 1;
            }
        }
    }
    // θ relative to the largest element: the scale of Λ
    let theta_scale = case.theta.iter().map(|t| t.abs()).fold(0.0, f64::max);
    for (t, want) in fit.theta.iter().zip(&case.theta) {
        assert_close_abs(
            &format!("{what} theta"),
            *t,
            *want,
            VARIANCE_COMPONENT * theta_scale,
        );
    }
    let by_label: HashMap<&str, &Group> = case
        .random_effects
        .iter()
        .map(|g| (g.group.as_str(), g))
        .collect();
    assert_eq!(fit.random_effects.len(), case.random_effects.len());
    let mode_scale: Vec<f64> = (0..fit.random_names.len())
        .map(|j| {
            case.random_effects
                .iter()
                .map(|g| g.modes[j].abs())
                .fold(0.0, f64::max)
                .max(1e-12)
        })
        .collect();
    for g in &fit.random_effects {
        let want = by_label[g.group.as_str()];
        for (j, (a, b)) in g.modes.iter().zip(&want.modes).enumerate() {
            let d = (a - b).abs() / mode_scale[j];
            assert!(
                d <= VARIANCE_COMPONENT,
                "{what} BLUP {} {j}: {a} vs {b}",
                g.group
            );
            worst[3] = worst[3].max(d);
        }
        let cscale = want
            .conditional_covariance
            .iter()
            .map(|v| v.abs())
            .fold(1e-300, f64::max);
        let q = fit.random_names.len();
        for (k, (a, b)) in g
            .conditional_covariance
            .iter()
            .zip(&want.conditional_covariance)
            .enumerate()
        {
            // lme4 reports the blocks of the separate terms of (a || b) only: the cross terms
            // of the joint conditional covariance are not in the reference
            if fit.covariance == RandomEffectsCovariance::Diagonal && k / q != k % q {
                continue;
            }
            assert!(
                (a - b).abs() / cscale <= VARIANCE_COMPONENT,
                "{what} condVar {}: {a} vs {b}",
                g.group
            );
        }
    }
    if let Some(data) = data {
        for (conditional, want) in [
            (true, &case.predict_conditional),
            (false, &case.predict_population),
        ] {
            let got = fit.predict(data, conditional).unwrap();
            assert_eq!(got.len(), want.len());
            for (a, b) in got.iter().zip(want.iter()) {
                assert_close(
                    &format!("{what} predict (conditional {conditional})"),
                    *a,
                    *b,
                    ITERATIVE,
                );
            }
        }
    }
    worst
}

fn sleepstudy() -> (Vec<f64>, Vec<f64>, Vec<usize>, Vec<String>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sleepstudy.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let (mut y, mut days, mut g, mut labels) = (vec![], vec![], vec![], Vec::<String>::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        y.push(f[0].parse().unwrap());
        days.push(f[1].parse().unwrap());
        g.push(group_code(&mut labels, f[2]));
    }
    (y, days, g, labels)
}

fn sleepstudy_data(slope: bool) -> LmmData {
    let (y, days, g, labels) = sleepstudy();
    let n = y.len();
    let x = DMatrix::from_fn(n, 2, |r, c| if c == 0 { 1.0 } else { days[r] });
    let names = vec!["(Intercept)".to_string(), "Days".to_string()];
    let (z, z_names) = if slope {
        (x.clone(), names.clone())
    } else {
        (
            DMatrix::from_element(n, 1, 1.0),
            vec!["(Intercept)".to_string()],
        )
    };
    LmmData::new(y, x, names, z, z_names, g, labels).unwrap()
}

fn fit_case(case: &Case, data: &LmmData, cov: RandomEffectsCovariance) -> LmmFit {
    let method = if case.reml {
        Estimation::Reml
    } else {
        Estimation::Ml
    };
    let options = LmmOptions::default()
        .with_method(method)
        .with_covariance(cov);
    lmm(data, &options).unwrap().into_result().unwrap()
}

#[test]
fn lmm_sleepstudy_matches_lme4_lmertest() {
    let golden: Golden = golden::load("lmm_sleepstudy");
    let mut worst = [0.0f64; 4];
    let mut fits = HashMap::new();
    for case in &golden.cases {
        let (slope, cov) = match case.name.as_str() {
            "correlated_reml" | "correlated_ml" => (true, RandomEffectsCovariance::Correlated),
            "intercept_reml" | "intercept_ml" => (false, RandomEffectsCovariance::Correlated),
            "diagonal_reml" => (true, RandomEffectsCovariance::Diagonal),
            other => panic!("unknown case {other}"),
        };
        let data = sleepstudy_data(slope);
        let fit = fit_case(case, &data, cov);
        let w = check_fit(&fit, case, Some(&data));
        for k in 0..4 {
            worst[k] = worst[k].max(w[k]);
        }
        for c in &case.contrasts {
            let e = fit
                .contrast(&[1.0, 5.0], c.label.clone())
                .unwrap()
                .into_result()
                .unwrap();
            assert_close("contrast", e.estimate, c.estimate, ITERATIVE);
            assert_close("contrast SE", e.std_error, c.std_error, ITERATIVE);
            assert_close("contrast df", e.df.unwrap(), c.df, SATTERTHWAITE_DF);
            assert_close(
                "contrast lower",
                e.confidence_interval.lower,
                c.lower,
                ITERATIVE,
            );
            assert_close(
                "contrast upper",
                e.confidence_interval.upper,
                c.upper,
                ITERATIVE,
            );
        }
        fits.insert(case.name.clone(), fit);
    }
    let lrt = golden.lrt.unwrap();
    let t = fits["correlated_ml"]
        .likelihood_ratio_test(&fits["intercept_ml"])
        .unwrap();
    assert_close("LRT", t.statistic, lrt.statistic, 1e-5);
    assert_eq!(t.df, lrt.df);
    assert_close("LRT p", t.p_value, lrt.p_value, 1e-4);
    eprintln!(
        "sleepstudy worst relative differences: fixed/SE {:e}, SD {:e}, df {:e}, BLUP {:e}",
        worst[0], worst[1], worst[2], worst[3]
    );
}

/// The code of group `label` in `labels`, appended when new (codes in order of appearance).
pub fn group_code(labels: &mut Vec<String>, label: &str) -> usize {
    labels.iter().position(|l| l == label).unwrap_or_else(|| {
        labels.push(label.to_string());
        labels.len() - 1
    })
}

/// Rows of a generated CSV (`tests/data/lmm_*.csv`): columns by name.
fn read_table(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// `y ~ [arm*]time + (time | id)` from a generated table.
fn table_data(name: &str, with_arm: bool) -> LmmData {
    let (header, rows) = read_table(name);
    let col = |c: &str| header.iter().position(|h| h == c).unwrap();
    let (iy, it, iid) = (col("y"), col("time"), col("id"));
    let mut labels: Vec<String> = Vec::new();
    let mut g = Vec::new();
    let mut y = Vec::new();
    let mut x = Vec::new();
    for r in &rows {
        g.push(group_code(&mut labels, &r[iid]));
        y.push(r[iy].parse::<f64>().unwrap());
        let t: f64 = r[it].parse().unwrap();
        if with_arm {
            let a = if r[col("arm")] == "prp" { 1.0 } else { 0.0 };
            x.extend([1.0, a, t, a * t]);
        } else {
            x.extend([1.0, t]);
        }
    }
    let n = y.len();
    let p = if with_arm { 4 } else { 2 };
    let x = DMatrix::from_row_slice(n, p, &x);
    let names: Vec<String> = if with_arm {
        vec!["(Intercept)", "armprp", "time", "armprp:time"]
    } else {
        vec!["(Intercept)", "time"]
    }
    .into_iter()
    .map(String::from)
    .collect();
    let z = DMatrix::from_fn(n, 2, |r, c| x[(r, if c == 0 { 0 } else { p / 2 })]);
    let z_names = vec!["(Intercept)".to_string(), "time".to_string()];
    LmmData::new(y, x, names, z, z_names, g, labels).unwrap()
}

#[test]
fn lmm_random_slopes_and_singular_fit_match_lme4_lmertest() {
    let golden: Golden = golden::load("lmm_cases");
    let mut worst = [0.0f64; 4];
    for case in &golden.cases {
        let (file, with_arm, cov) = match case.name.as_str() {
            "slopes_reml" | "slopes_ml" => {
                ("lmm_slopes.csv", true, RandomEffectsCovariance::Correlated)
            }
            "slopes_diagonal_reml" => ("lmm_slopes.csv", true, RandomEffectsCovariance::Diagonal),
            "singular_reml" => (
                "lmm_singular.csv",
                false,
                RandomEffectsCovariance::Correlated,
            ),
            other => panic!("unknown case {other}"),
        };
        let data = table_data(file, with_arm);
        let fit = fit_case(case, &data, cov);
        if case.singular {
            assert!(
                fit.singular,
                "{}: lme4 flags the fit as singular",
                case.name
            );
        }
        let w = check_fit(&fit, case, Some(&data));
        for k in 0..4 {
            worst[k] = worst[k].max(w[k]);
        }
        for c in &case.contrasts {
            let weights = if c.label == "prp slope" {
                [0.0, 0.0, 1.0, 1.0]
            } else {
                [0.0, 0.0, 0.0, 1.0]
            };
            let e = fit
                .contrast(&weights, c.label.clone())
                .unwrap()
                .into_result()
                .unwrap();
            assert_close("contrast", e.estimate, c.estimate, ITERATIVE);
            assert_close("contrast SE", e.std_error, c.std_error, ITERATIVE);
            assert_close("contrast df", e.df.unwrap(), c.df, SATTERTHWAITE_DF);
            assert_close(
                "contrast lower",
                e.confidence_interval.lower,
                c.lower,
                ITERATIVE,
            );
            assert_close(
                "contrast upper",
                e.confidence_interval.upper,
                c.upper,
                ITERATIVE,
            );
        }
    }
    eprintln!(
        "cases worst relative differences: fixed/SE {:e}, SD {:e}, df {:e}, BLUP {:e}",
        worst[0], worst[1], worst[2], worst[3]
    );
}

#[derive(Debug, Deserialize)]
pub struct KneeCourse {
    pub patient: String,
    pub days: Vec<f64>,
    pub population: Vec<f64>,
    pub predicted: Vec<f64>,
}

#[derive(Debug, Deserialize)]
pub struct KneeCase {
    #[serde(flatten)]
    pub case: Case,
    pub courses: Vec<KneeCourse>,
}

#[derive(Debug, Deserialize)]
pub struct KneeGolden {
    #[allow(dead_code)]
    pub provenance: Provenance,
    pub cases: Vec<KneeCase>,
}

#[test]
fn lmm_trajectory_model_on_knee_oa_matches_lme4_lmertest() {
    check_trajectory_golden("lmm_knee_oa", "datasets/knee_oa_trial.csv");
}

/// The held-out knee trial, as a new user runs `trajectory_slopes --input FILE --time linear
/// --method reml` (the example's defaults: NRS, the recorded arm column, placebo reference):
/// fixed effects, SEs, residual, intercept and slope SDs and Satterthwaite df against lmer +
/// lmerTest (the linear case of tests/reference/lmm_knee_oa.R on that file; lme4 flags the fit
/// singular, as the crate does).
#[test]
fn lmm_trajectory_model_on_the_heldout_trial_matches_lme4_lmertest() {
    check_trajectory_golden("lmm_heldout", "tests/data/heldout_knee/knee_oa_trial.csv");
}

/// Every case of the TrajectoryModel golden `name` on the data file `data`.
fn check_trajectory_golden(name: &str, data: &str) {
    use pain_outcomes::analysis::{PatientEffects, TimeScale, TrajectoryModel};
    let golden: KneeGolden = golden::load(name);
    let path = format!("{}/{data}", env!("CARGO_MANIFEST_DIR"));
    let cohort = pain_outcomes::data::read_csv(path, &Default::default())
        .unwrap()
        .cohort;
    let mut worst = [0.0f64; 4];
    for kc in &golden.cases {
        let case = &kc.case;
        let model = TrajectoryModel::new(&cohort).instrument("nrs");
        let model = match case.name.as_str() {
            "linear_reml" => model,
            "piecewise_reml" => model
                .time(TimeScale::Piecewise(vec![42.0]))
                .patient_effects(PatientEffects::Intercept),
            "log_diagonal_reml" => model
                .time(TimeScale::Log)
                .covariance(pain_outcomes::stats::lmm::RandomEffectsCovariance::Diagonal),
            other => panic!("unknown case {other}"),
        };
        let t = model.fit().unwrap().into_result().unwrap();
        let w = check_fit(&t.fit, case, None);
        for k in 0..4 {
            worst[k] = worst[k].max(w[k]);
        }
        let curve = t.mean_curve(&[0.0, 90.0, 365.0]);
        for c in &case.contrasts {
            let got = if let Some(rest) = c.label.strip_suffix(')') {
                let (head, phase) = rest.split_once(" (").unwrap();
                if let Some(arm) = head.strip_suffix(" - placebo slope") {
                    t.slope_differences
                        .iter()
                        .filter_map(|d| d.computed())
                        .find(|d| d.arm == arm && d.visit.as_deref() == Some(phase))
                        .map(|d| d.difference.clone())
                        .unwrap()
                } else {
                    let arm = head.strip_suffix(" slope").unwrap();
                    t.slope(arm, phase).unwrap().computed().unwrap().clone()
                }
            } else {
                let (arm, day) = c.label.split_once(" at day ").unwrap();
                let day: f64 = day.parse().unwrap();
                curve
                    .iter()
                    .find(|p| p.arm == arm && p.day == day)
                    .unwrap()
                    .mean
                    .computed()
                    .unwrap()
                    .clone()
            };
            let what = format!("{} {}", case.name, c.label);
            assert_close_abs(
                &what,
                got.estimate,
                c.estimate,
                ITERATIVE * c.estimate.abs().max(1.0),
            );
            assert_close(&format!("{what} SE"), got.std_error, c.std_error, ITERATIVE);
            assert_close(
                &format!("{what} df"),
                got.df.unwrap(),
                c.df,
                SATTERTHWAITE_DF,
            );
            assert_close_abs(
                &format!("{what} lower"),
                got.confidence_interval.lower,
                c.lower,
                1e-5 * c.lower.abs().max(1.0),
            );
            assert_close_abs(
                &format!("{what} upper"),
                got.confidence_interval.upper,
                c.upper,
                1e-5 * c.upper.abs().max(1.0),
            );
        }
        for course in &kc.courses {
            let got = t.patient_course(&course.patient, &course.days).unwrap();
            for (k, p) in got.iter().enumerate() {
                assert_close(
                    &format!("{} {} population", case.name, course.patient),
                    p.population,
                    course.population[k],
                    ITERATIVE,
                );
                assert_close(
                    &format!("{} {} predicted", case.name, course.patient),
                    p.predicted,
                    course.predicted[k],
                    ITERATIVE,
                );
            }
        }
    }
    eprintln!(
        "{name}: worst relative differences: fixed/SE {:e}, SD {:e}, df {:e}, BLUP {:e}",
        worst[0], worst[1], worst[2], worst[3]
    );
}

#[test]
fn lmm_refuses_non_convergence_exact_fits_and_rank_deficient_designs() {
    use pain_outcomes::RefusalReason;
    let data = sleepstudy_data(true);
    let options = LmmOptions::default().with_max_iterations(1);
    let r = lmm(&data, &options).unwrap();
    assert_eq!(
        r.refusal().map(|r| r.reason),
        Some(RefusalReason::NoConvergence)
    );

    let (_, days, g, labels) = sleepstudy();
    let n = days.len();
    let x = DMatrix::from_fn(n, 3, |r, c| match c {
        0 => 1.0,
        1 => days[r],
        _ => 2.0 * days[r],
    });
    let names: Vec<String> = ["(Intercept)", "Days", "Days2"].map(String::from).to_vec();
    let z = DMatrix::from_element(n, 1, 1.0);
    let d = LmmData::new(
        vec![1.0; n],
        x.clone(),
        names,
        z.clone(),
        vec!["(Intercept)".into()],
        g.clone(),
        labels.clone(),
    )
    .unwrap();
    let r = lmm(&d, &LmmOptions::default()).unwrap();
    assert_eq!(
        r.refusal().map(|r| r.reason),
        Some(RefusalReason::SingularDesign)
    );

    let x2 = x.columns(0, 2).into_owned();
    let y: Vec<f64> = days.iter().map(|t| 3.0 + 0.5 * t).collect();
    let d = LmmData::new(
        y,
        x2,
        vec!["(Intercept)".into(), "Days".into()],
        z,
        vec!["(Intercept)".into()],
        g,
        labels,
    )
    .unwrap();
    let r = lmm(&d, &LmmOptions::default()).unwrap();
    assert_eq!(
        r.refusal().map(|r| r.reason),
        Some(RefusalReason::ZeroVariance)
    );
}

/// A new patient given exactly the scores of an analysed patient (same arm and covariates)
/// has that patient's predicted course: the conditional modes are the same formula.
#[test]
fn lmm_new_patient_with_an_analysed_patients_scores_has_their_course() {
    use pain_outcomes::analysis::{Covariate, TrajectoryModel};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    let cohort = pain_outcomes::data::read_csv(path, &Default::default())
        .unwrap()
        .cohort;
    let t = TrajectoryModel::new(&cohort)
        .instrument("nrs")
        .covariates(&[Covariate::Age, Covariate::Sex])
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    let inst = cohort.instrument_index("nrs").unwrap();
    let p = 3;
    let patient = &cohort.patients()[p];
    let arm = &cohort.arms()[cohort.arm_of()[p] as usize];
    let observed: Vec<(f64, f64)> = cohort
        .patient_rows(p)
        .filter(|&r| cohort.instrument_of()[r] as usize == inst)
        .filter_map(|r| cohort.scores()[r].map(|s| (f64::from(cohort.days()[r]), s)))
        .collect();
    let days = [0.0, 90.0, 365.0];
    let known = t.patient_course(patient.id.as_str(), &days).unwrap();
    let new = t
        .new_patient_course(arm, patient, &observed, &days)
        .unwrap();
    for (a, b) in known.iter().zip(&new) {
        assert_close("population", b.population, a.population, 1e-10);
        assert_close("predicted", b.predicted, a.predicted, 1e-10);
        assert_close("std error", b.std_error, a.std_error, 1e-10);
        // a new score's interval adds the residual variance to the conditional mean's
        let sigma = t.fit.sigma;
        let half = 1.959963984540054 * (a.std_error.powi(2) + sigma * sigma).sqrt();
        assert_close(
            "PI lower",
            a.prediction_interval.lower,
            a.predicted - half,
            1e-10,
        );
        assert_close(
            "PI upper",
            a.prediction_interval.upper,
            a.predicted + half,
            1e-10,
        );
        assert!(half > 1.959963984540054 * a.std_error);
    }
    // no early scores: the population curve
    let none = t.new_patient_course(arm, patient, &[], &days).unwrap();
    for (a, b) in known.iter().zip(&none) {
        assert_close("population", b.predicted, a.population, 1e-12);
    }
    // the tables print
    let text = t.to_string();
    assert!(text.contains("slope differences from placebo") && text.contains("REML criterion"));
}

/// lme4's `confint(method = "profile")` interpolates the profile by splines through the points
/// of `profile()` (default `delta = cutoff / 8`): its limits are within a few 1e-5 of the roots.
const LME4_PROFILE_SPLINE: f64 = 1e-4;

#[derive(Debug, Deserialize)]
pub struct ConfintGolden {
    #[allow(dead_code)]
    pub provenance: Provenance,
    pub cases: Vec<ConfintCase>,
}

#[derive(Debug, Deserialize)]
pub struct ConfintCase {
    pub name: String,
    pub reml: bool,
    pub level: f64,
    pub intervals: Vec<ConfintRow>,
    pub direct_lower_sd01: Option<f64>,
    #[serde(default)]
    pub theta: Vec<f64>,
}

#[derive(Debug, Deserialize)]
pub struct ConfintRow {
    pub parameter: String,
    pub lower: f64,
    pub upper: f64,
    pub lower_fine: f64,
    pub upper_fine: f64,
}

/// Limits compared with lme4's default confint (spline, [`LME4_PROFILE_SPLINE`]) and with its
/// profile on an 8 times finer grid ([`PROFILE_LIMIT`]). In the singular case the profile of
/// the intercept SD reaches the cutoff below the last grid point of lme4, whose spline limit
/// (0.104; 0.153 on the fine grid) is not a root: there the reference is the root of lme4's own
/// ML deviance minimised by bobyqa (`direct_lower_sd01`), to the precision of bobyqa near the
/// boundary (1e-4); the other singular limits are 0 and ±1 exactly as lme4, or compared with the
/// fine grid to 1e-4.
#[test]
fn lmm_variance_component_profile_intervals_match_lme4_confint() {
    let golden: ConfintGolden = golden::load("lmm_confint");
    let (mut worst_default, mut worst_fine) = (0.0f64, 0.0f64);
    for case in &golden.cases {
        let singular = case.name == "singular_reml";
        let (data, cov) = match case.name.as_str() {
            "sleepstudy_correlated_reml" | "sleepstudy_correlated_ml" => {
                (sleepstudy_data(true), RandomEffectsCovariance::Correlated)
            }
            "sleepstudy_diagonal_reml" => {
                (sleepstudy_data(true), RandomEffectsCovariance::Diagonal)
            }
            "slopes_reml" => (
                table_data("lmm_slopes.csv", true),
                RandomEffectsCovariance::Correlated,
            ),
            "singular_reml" => (
                table_data("lmm_singular.csv", false),
                RandomEffectsCovariance::Correlated,
            ),
            other => panic!("unknown case {other}"),
        };
        let method = if case.reml {
            Estimation::Reml
        } else {
            Estimation::Ml
        };
        let options = LmmOptions::default()
            .with_method(method)
            .with_covariance(cov);
        let fit = lmm(&data, &options).unwrap().into_result().unwrap();
        let ci = fit.variance_component_intervals(case.level).unwrap();
        assert_eq!(ci.len(), case.intervals.len(), "{}", case.name);
        for (ours, r) in ci.iter().zip(&case.intervals) {
            let ours = match ours {
                pain_outcomes::Outcome::Computed(c) => c,
                pain_outcomes::Outcome::Refused(why) => panic!("{}: {why}", case.name),
            };
            assert_eq!(ours.parameter, r.parameter, "{}", case.name);
            assert!(ours.confidence_interval.contains(ours.profile_estimate));
            let (lo, up) = (
                ours.confidence_interval.lower,
                ours.confidence_interval.upper,
            );
            let what = |side: &str| format!("{} {} {side}", case.name, r.parameter);
            if singular {
                if r.parameter == ".sig01" {
                    let direct = case.direct_lower_sd01.unwrap();
                    assert_close(&what("lower (direct)"), lo, direct, 1e-4);
                } else if r.lower_fine.abs() == 1.0 || r.lower_fine == 0.0 {
                    assert_eq!(lo, r.lower_fine, "{}", what("lower"));
                } else {
                    assert_close(&what("lower"), lo, r.lower_fine, 1e-4);
                }
                if r.upper_fine.abs() == 1.0 {
                    assert_eq!(up, r.upper_fine, "{}", what("upper"));
                } else {
                    assert_close(&what("upper"), up, r.upper_fine, 1e-4);
                }
                continue;
            }
            assert_close(&what("lower"), lo, r.lower, LME4_PROFILE_SPLINE);
            assert_close(&what("upper"), up, r.upper, LME4_PROFILE_SPLINE);
            assert_close(&what("lower (fine)"), lo, r.lower_fine, PROFILE_LIMIT);
            assert_close(&what("upper (fine)"), up, r.upper_fine, PROFILE_LIMIT);
            let d = |a: f64, b: f64| (a - b).abs() / b.abs();
            worst_default = worst_default.max(d(lo, r.lower)).max(d(up, r.upper));
            worst_fine = worst_fine.max(d(lo, r.lower_fine)).max(d(up, r.upper_fine));
        }
    }
    eprintln!(
        "profile limits, worst relative difference: lme4 default {worst_default:e}, fine grid {worst_fine:e}"
    );
}

/// `y ~ arm * (phase1 + phase2) + (phase1 + phase2 | id)` on the generated piecewise table
/// (knot at day 42; `phase1 = min(day, 42)/365.25`, `phase2 = max(day − 42, 0)/365.25`): three
/// correlated random effects per patient.
fn piecewise_data() -> LmmData {
    let (header, rows) = read_table("lmm_piecewise.csv");
    let col = |c: &str| header.iter().position(|h| h == c).unwrap();
    let (iid, iarm, iday, iy) = (col("id"), col("arm"), col("day"), col("y"));
    let mut labels: Vec<String> = Vec::new();
    let (mut g, mut y, mut x, mut z) = (vec![], vec![], vec![], vec![]);
    for r in &rows {
        g.push(group_code(&mut labels, &r[iid]));
        y.push(r[iy].parse::<f64>().unwrap());
        let day: f64 = r[iday].parse().unwrap();
        let (p1, p2) = (day.min(42.0) / 365.25, (day - 42.0).max(0.0) / 365.25);
        let a = if r[iarm] == "active" { 1.0 } else { 0.0 };
        x.extend([1.0, a, p1, p2, a * p1, a * p2]);
        z.extend([1.0, p1, p2]);
    }
    let n = y.len();
    let names = [
        "(Intercept)",
        "armactive",
        "phase1",
        "phase2",
        "armactive:phase1",
        "armactive:phase2",
    ]
    .map(String::from)
    .to_vec();
    let z_names = ["(Intercept)", "phase1", "phase2"]
        .map(String::from)
        .to_vec();
    LmmData::new(
        y,
        DMatrix::from_row_slice(n, 6, &x),
        names,
        DMatrix::from_row_slice(n, 3, &z),
        z_names,
        g,
        labels,
    )
    .unwrap()
}

/// Profile intervals of the six variance parameters of three correlated random effects per
/// patient (intercept, onset slope, maintenance slope) and of σ against lme4's
/// `confint(profile(...))`: the default spline limits to [`LME4_PROFILE_SPLINE`], the limits of
/// its profile on an 8 times finer grid to [`PROFILE_LIMIT`]; θ of the REML fit to 1e-5.
#[test]
fn lmm_three_random_effects_profile_intervals_match_lme4_confint() {
    let golden: ConfintGolden = golden::load("lmm_confint_piecewise");
    let case = &golden.cases[0];
    let fit = lmm(&piecewise_data(), &LmmOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert!(!fit.singular);
    assert_eq!(fit.theta.len(), 6);
    for (k, (a, b)) in fit.theta.iter().zip(&case.theta).enumerate() {
        assert_close(&format!("theta {k}"), *a, *b, VARIANCE_COMPONENT);
    }
    let ci = fit.variance_component_intervals(case.level).unwrap();
    assert_eq!(ci.len(), case.intervals.len());
    let (mut worst_default, mut worst_fine) = (0.0f64, 0.0f64);
    for (ours, r) in ci.iter().zip(&case.intervals) {
        let ours = match ours {
            pain_outcomes::Outcome::Computed(c) => c,
            pain_outcomes::Outcome::Refused(why) => panic!("{}: {why}", r.parameter),
        };
        assert_eq!(ours.parameter, r.parameter);
        assert!(ours.confidence_interval.contains(ours.profile_estimate));
        let (lo, up) = (
            ours.confidence_interval.lower,
            ours.confidence_interval.upper,
        );
        let what = |side: &str| format!("{} {side}", r.parameter);
        // the spline's error is absolute (a few 1e-7 here): a limit near 0 (the lower limit of
        // the intercept–maintenance correlation, 0.0044) is compared in absolute terms
        for (side, ours, spline) in [("lower", lo, r.lower), ("upper", up, r.upper)] {
            if spline.abs() < 0.01 {
                assert_close_abs(&what(side), ours, spline, LME4_PROFILE_SPLINE * 0.01);
            } else {
                assert_close(&what(side), ours, spline, LME4_PROFILE_SPLINE);
            }
        }
        assert_close(&what("lower (fine)"), lo, r.lower_fine, PROFILE_LIMIT);
        assert_close(&what("upper (fine)"), up, r.upper_fine, PROFILE_LIMIT);
        let d = |a: f64, b: f64| (a - b).abs() / b.abs();
        worst_default = worst_default.max(d(lo, r.lower)).max(d(up, r.upper));
        worst_fine = worst_fine.max(d(lo, r.lower_fine)).max(d(up, r.upper_fine));
    }
    eprintln!(
        "three random effects, profile limits, worst relative difference: lme4 default {worst_default:e}, fine grid {worst_fine:e}"
    );
}
