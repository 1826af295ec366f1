//! A random intercept per site, patients nested in sites (`(1 + time | patient) + (1 | site)`),
//! in stats::lmm and analysis::TrajectoryModel, against lme4::lmer + lmerTest: the golden
//! written by tests/reference/lmm_site.R.

use std::collections::HashMap;

use nalgebra::DMatrix;
use pain_outcomes::stats::lmm::{LmmData, LmmFit, LmmOptions, VarianceParameter, lmm};
use pain_outcomes::stats::mmrm::Estimation;
use pain_outcomes::{Outcome, RefusalReason};
use serde::Deserialize;

use crate::common::golden::{self, Provenance};
use crate::common::tol::{ITERATIVE, PROFILE_LIMIT, assert_close, assert_close_abs};
use crate::lmm::{Case, Group, check_fit, group_code};

/// Variance components, BLUPs and their conditional variances: the acceptance tolerance of the
/// issue (both optimizers stop on θ, which moves these first).
const VARIANCE_COMPONENT: f64 = 1e-5;

#[derive(Debug, Deserialize)]
struct SiteGolden {
    #[allow(dead_code)]
    provenance: Provenance,
    cases: Vec<SiteCase>,
    likelihood_ratio_tests: HashMap<String, Lrt>,
}

#[derive(Debug, Deserialize)]
struct Lrt {
    statistic: f64,
    df: f64,
    p_value: f64,
    deviance_full: f64,
    deviance_small: f64,
}

#[derive(Debug, Deserialize)]
struct NewPatient {
    site: Vec<String>,
    time: Vec<f64>,
    predicted: Vec<f64>,
}

#[derive(Debug, Deserialize)]
struct Interval {
    parameter: String,
    lower_fine: f64,
    upper_fine: f64,
}

#[derive(Debug, Deserialize)]
struct SiteCase {
    #[serde(flatten)]
    case: Case,
    n_sites: usize,
    site_effects: Vec<Group>,
    predict_rows: Vec<usize>,
    new_patient: NewPatient,
    site_sd_interval: Interval,
}

/// The columns of a generated table (`tests/data/lmm_site*.csv`: id, site, arm, day, time, y)
/// for `y ~ arm * time + (1 + time | id) + (1 | site)`.
struct Table {
    y: Vec<f64>,
    x: DMatrix<f64>,
    z: DMatrix<f64>,
    patient: Vec<usize>,
    site: Vec<usize>,
    ids: Vec<String>,
    sites: Vec<String>,
}

impl Table {
    /// The rows of the patients `keep` accepts.
    fn read(name: &str, keep: impl Fn(&str) -> bool) -> Self {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |c: &str| header.iter().position(|h| *h == c).unwrap();
        let (iid, isite, iarm, it, iy) =
            (col("id"), col("site"), col("arm"), col("time"), col("y"));
        let (mut ids, mut sites) = (Vec::<String>::new(), Vec::<String>::new());
        let (mut patient, mut site, mut y, mut x) = (vec![], vec![], vec![], vec![]);
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            if !keep(f[iid]) {
                continue;
            }
            patient.push(group_code(&mut ids, f[iid]));
            site.push(group_code(&mut sites, f[isite]));
            y.push(f[iy].parse::<f64>().unwrap());
            let t: f64 = f[it].parse().unwrap();
            let a = if f[iarm] == "prp" { 1.0 } else { 0.0 };
            x.extend([1.0, a, t, a * t]);
        }
        let n = y.len();
        let x = DMatrix::from_row_slice(n, 4, &x);
        let z = DMatrix::from_fn(n, 2, |r, c| x[(r, if c == 0 { 0 } else { 2 })]);
        Self {
            y,
            x,
            z,
            patient,
            site,
            ids,
            sites,
        }
    }

    fn data(&self) -> LmmData {
        let names = ["(Intercept)", "armprp", "time", "armprp:time"]
            .map(String::from)
            .to_vec();
        let z_names = vec!["(Intercept)".to_string(), "time".to_string()];
        LmmData::new(
            self.y.clone(),
            self.x.clone(),
            names,
            self.z.clone(),
            z_names,
            self.patient.clone(),
            self.ids.clone(),
        )
        .unwrap()
        .with_sites(self.site.clone(), self.sites.clone())
        .unwrap()
    }
}

/// `y ~ arm * time + (1 + time | id) + (1 | site)` from a generated table.
fn site_data(name: &str) -> LmmData {
    Table::read(name, |_| true).data()
}

fn method(reml: bool) -> Estimation {
    if reml {
        Estimation::Reml
    } else {
        Estimation::Ml
    }
}

/// Largest relative differences: fixed/SE, SD, df, patient BLUP, site BLUP, prediction.
type Worst = [f64; 6];

fn merge(worst: &mut Worst, w: &[f64]) {
    for (a, b) in worst.iter_mut().zip(w) {
        *a = a.max(*b);
    }
}

/// The site part of a case: count, site BLUPs and condVar, predictions of the recorded rows.
fn check_sites(fit: &LmmFit, sc: &SiteCase, data: Option<&LmmData>, worst: &mut Worst) {
    let what = &sc.case.name;
    assert_eq!(fit.n_sites, sc.n_sites, "{what}: sites");
    assert_eq!(fit.site_effects.len(), sc.site_effects.len());
    let by_label: HashMap<&str, &Group> = sc
        .site_effects
        .iter()
        .map(|g| (g.group.as_str(), g))
        .collect();
    let scale = sc
        .site_effects
        .iter()
        .map(|g| g.modes[0].abs())
        // a singular fit's site modes are all ~0 (1e-13): absolute, on the scale of σ
        .fold(1e-3 * sc.case.sigma, f64::max);
    for s in &fit.site_effects {
        let want = by_label[s.group.as_str()];
        let d = (s.modes[0] - want.modes[0]).abs() / scale;
        assert!(
            d <= VARIANCE_COMPONENT,
            "{what} site BLUP {}: {} vs {}",
            s.group,
            s.modes[0],
            want.modes[0]
        );
        worst[4] = worst[4].max(d);
        let cv = want.conditional_covariance[0];
        assert_close_abs(
            &format!("{what} site condVar {}", s.group),
            s.conditional_covariance[0],
            cv,
            // absolute on the scale of σ² for a singular fit's ~0 variances
            VARIANCE_COMPONENT * cv.max(1e-3 * sc.case.sigma * sc.case.sigma),
        );
    }
    if let Some(data) = data {
        for (conditional, want) in [
            (true, &sc.case.predict_conditional),
            (false, &sc.case.predict_population),
        ] {
            let got = fit.predict(data, conditional).unwrap();
            for (&r, b) in sc.predict_rows.iter().zip(want) {
                assert_close(
                    &format!("{what} predict row {r} (conditional {conditional})"),
                    got[r],
                    *b,
                    ITERATIVE,
                );
                worst[5] = worst[5].max((got[r] - b).abs() / b.abs());
            }
        }
    }
}

/// A site SD estimated at 0 (a singular fit): lme4's bobyqa stops at θ_s ≈ 5e-7, where the
/// criterion is flat to ~1e-13 (it is quadratic in θ_s at the boundary), so the two zeros are
/// compared in absolute terms, to 1e-5 σ, and the reference is then set to ours for the
/// relative comparisons of [`check_fit`].
fn boundary_site_sd(fit: &LmmFit, case: &mut Case) {
    let Some(want) = case.sd.iter_mut().find(|s| s.group == "site") else {
        return;
    };
    if want.std_dev < 1e-4 * case.sigma {
        let got = fit
            .variance_components
            .iter()
            .find(|v| v.group == "site")
            .unwrap()
            .std_dev;
        assert_close_abs(
            "site SD at the boundary",
            got,
            want.std_dev,
            VARIANCE_COMPONENT * case.sigma,
        );
        want.std_dev = got;
    }
}

/// A new patient with no scores, arm prp, at the recorded sites and times: `x'β + ŝ_site`
/// (`predict(allow.new.levels = TRUE)`; an unknown site at the population level).
fn check_new_patient(fit: &LmmFit, sc: &SiteCase, worst: &mut Worst) {
    let np = &sc.new_patient;
    for ((site, t), want) in np.site.iter().zip(&np.time).zip(&np.predicted) {
        let new = fit
            .new_group_effects_at_site(
                "NEW",
                site,
                &DMatrix::zeros(0, 4),
                &DMatrix::zeros(0, 2),
                &[],
            )
            .unwrap();
        let beta = fit.beta();
        let x = [1.0, 1.0, *t, *t];
        let site_mode = new.site.as_ref().map_or(0.0, |s| s.modes[0]);
        let got: f64 = x.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>()
            + site_mode
            + new.effects.modes[0]
            + new.effects.modes[1] * t;
        assert_eq!(new.site.is_some(), site != "S99" && site != "site_99");
        assert_close(
            &format!("{} new patient at {site}", sc.case.name),
            got,
            *want,
            ITERATIVE,
        );
        worst[5] = worst[5].max((got - want).abs() / want.abs());
    }
}

#[test]
fn lmm_site_intercept_matches_lme4_lmertest() {
    let mut golden: SiteGolden = golden::load("lmm_site");
    let mut worst: Worst = [0.0; 6];
    let mut ml = None;
    for sc in golden
        .cases
        .iter_mut()
        .filter(|c| !c.case.name.starts_with("knee"))
    {
        let file = if sc.case.name.starts_with("singular") {
            "lmm_site_singular.csv"
        } else {
            "lmm_site.csv"
        };
        let data = site_data(file);
        let fit = lmm(
            &data,
            &LmmOptions::default().with_method(method(sc.case.reml)),
        )
        .unwrap()
        .into_result()
        .unwrap();
        boundary_site_sd(&fit, &mut sc.case);
        merge(&mut worst, &check_fit(&fit, &sc.case, None));
        check_sites(&fit, sc, Some(&data), &mut worst);
        check_new_patient(&fit, sc, &mut worst);
        if sc.case.name == "sites_ml" {
            ml = Some((data, fit));
        }
    }
    // likelihood-ratio test of the site term (ML with vs without it)
    let (data, full) = ml.unwrap();
    let lrt = &golden.likelihood_ratio_tests["sites"];
    let small = lmm(
        &data.without_sites(),
        &LmmOptions::default().with_method(Estimation::Ml),
    )
    .unwrap()
    .into_result()
    .unwrap();
    assert_close(
        "deviance with sites",
        full.criterion,
        lrt.deviance_full,
        ITERATIVE,
    );
    assert_close(
        "deviance without sites",
        small.criterion,
        lrt.deviance_small,
        ITERATIVE,
    );
    let t = full.likelihood_ratio_test(&small).unwrap();
    assert_close("LRT", t.statistic, lrt.statistic, 1e-5);
    assert_eq!(t.df, lrt.df);
    assert_close("LRT p", t.p_value, lrt.p_value, 1e-4);
    eprintln!(
        "site model worst relative differences: fixed/SE {:e}, SD {:e}, df {:e}, patient BLUP {:e}, site BLUP {:e}, prediction {:e}",
        worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]
    );
}

/// The profile-likelihood interval of the site SD (`.sig04`) against lme4's
/// `confint(method = "profile")` on the fine grid (delta = cutoff / 64); a singular fit's lower
/// limit is the boundary 0 on both sides.
#[test]
fn lmm_site_sd_profile_interval_matches_lme4_confint() {
    let golden: SiteGolden = golden::load("lmm_site");
    let mut worst = 0.0f64;
    for sc in golden
        .cases
        .iter()
        .filter(|c| c.case.name != "knee_ml" && c.case.name != "knee_reml")
    {
        let file = if sc.case.name.starts_with("singular") {
            "lmm_site_singular.csv"
        } else {
            "lmm_site.csv"
        };
        let fit = lmm(
            &site_data(file),
            &LmmOptions::default().with_method(method(sc.case.reml)),
        )
        .unwrap()
        .into_result()
        .unwrap();
        check_site_interval(&fit, sc, &mut worst);
    }
    eprintln!("site SD profile limits, worst relative difference (fine grid): {worst:e}");
}

fn check_site_interval(fit: &LmmFit, sc: &SiteCase, worst: &mut f64) {
    let r = &sc.site_sd_interval;
    let ci = fit.variance_component_intervals(0.95).unwrap();
    assert_eq!(ci.len(), 5);
    let site = ci
        .iter()
        .filter_map(|c| c.computed())
        .find(|c| c.kind == VarianceParameter::SiteStdDev)
        .unwrap_or_else(|| panic!("{}: no site interval", sc.case.name));
    assert_eq!(site.parameter, r.parameter);
    let (lo, up) = (
        site.confidence_interval.lower,
        site.confidence_interval.upper,
    );
    let what = |side: &str| format!("{} site SD {side}", sc.case.name);
    if r.lower_fine == 0.0 {
        assert_eq!(lo, 0.0, "{}", what("lower"));
        // lme4 interpolates the flat profile at the boundary by spline: 1e-4 as lmm.rs
        assert_close(&what("upper"), up, r.upper_fine, 1e-4);
    } else {
        assert_close(&what("lower"), lo, r.lower_fine, PROFILE_LIMIT);
        assert_close(&what("upper"), up, r.upper_fine, PROFILE_LIMIT);
        *worst = worst
            .max((lo - r.lower_fine).abs() / r.lower_fine)
            .max((up - r.upper_fine).abs() / r.upper_fine);
    }
}

/// Refusals, not numbers: one or two sites; a patient under two sites is invalid input.
#[test]
fn lmm_site_refuses_fewer_than_three_sites_and_rejects_unnested_patients() {
    let data = site_data("lmm_site.csv");
    let n = data.n_observations();
    let base = data.without_sites();
    // the rows of each patient are contiguous; patient g's site is g mod k
    let patients = |k: usize| -> Vec<usize> {
        let mut codes = Vec::with_capacity(n);
        let text = std::fs::read_to_string(format!(
            "{}/tests/data/lmm_site.csv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let mut ids: Vec<String> = Vec::new();
        for line in text.lines().skip(1) {
            let id = line.split(',').next().unwrap().to_string();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
            codes.push((ids.len() - 1) % k);
        }
        codes
    };
    for k in [1, 2] {
        let d = base
            .clone()
            .with_sites(patients(k), (0..k).map(|s| format!("S{s}")).collect())
            .unwrap();
        match lmm(&d, &LmmOptions::default()).unwrap() {
            Outcome::Refused(r) => {
                assert_eq!(r.reason, RefusalReason::TooFewGroups);
                assert!(r.detail.contains("at least 3 sites"), "{}", r.detail);
            }
            Outcome::Computed(_) => panic!("{k} site(s) must be refused"),
        }
    }
    let three = base
        .clone()
        .with_sites(patients(3), vec!["A".into(), "B".into(), "C".into()])
        .unwrap();
    assert!(
        lmm(&three, &LmmOptions::default())
            .unwrap()
            .computed()
            .is_some()
    );
    // the second row of the first patient (P001) at another site
    let mut codes = patients(3);
    codes[1] = 2;
    let err = base
        .with_sites(codes, vec!["A".into(), "B".into(), "C".into()])
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    let msg = err.to_string();
    assert!(
        msg.contains("`P001`") && msg.contains("`A`") && msg.contains("`C`"),
        "{msg}"
    );
}

/// `TrajectoryModel::site_effect` on the bundled knee OA trial (5 sites): the fit, the site
/// modes, a new patient at a known and at an unknown site, and the likelihood-ratio test of the
/// site term, against lme4.
#[test]
fn lmm_site_trajectory_model_on_knee_oa_matches_lme4_lmertest() {
    use pain_outcomes::analysis::TrajectoryModel;
    let mut golden: SiteGolden = golden::load("lmm_site");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    let cohort = pain_outcomes::data::read_csv(path, &Default::default())
        .unwrap()
        .cohort;
    let mut worst: Worst = [0.0; 6];
    let mut ml = None;
    for sc in golden
        .cases
        .iter_mut()
        .filter(|c| c.case.name.starts_with("knee"))
    {
        let t = TrajectoryModel::new(&cohort)
            .instrument("nrs")
            .site_effect(true)
            .method(method(sc.case.reml))
            .fit()
            .unwrap()
            .into_result()
            .unwrap();
        assert!(t.formula.ends_with("(1 + time | patient) + (1 | site)"));
        boundary_site_sd(&t.fit, &mut sc.case);
        merge(&mut worst, &check_fit(&t.fit, &sc.case, None));
        check_sites(&t.fit, sc, None, &mut worst);
        let np = &sc.new_patient;
        for k in [0, 3] {
            let mut patient = cohort.patients()[0].clone();
            patient.site = Some(np.site[k].clone());
            let days: Vec<f64> = np.time[k..k + 3].iter().map(|t| t * 365.25).collect();
            let course = t.new_patient_course("prp", &patient, &[], &days).unwrap();
            for (c, want) in course.iter().zip(&np.predicted[k..k + 3]) {
                assert_close(
                    &format!("{} new patient at {}", sc.case.name, np.site[k]),
                    c.predicted,
                    *want,
                    ITERATIVE,
                );
                worst[5] = worst[5].max((c.predicted - want).abs() / want.abs());
            }
        }
        if sc.case.reml {
            let mut w = 0.0;
            check_site_interval(&t.fit, sc, &mut w);
            eprintln!("knee site SD profile limits, relative difference (fine grid): {w:e}");
        } else {
            ml = Some(t);
        }
    }
    let full = ml.unwrap();
    let small = TrajectoryModel::new(&cohort)
        .instrument("nrs")
        .method(Estimation::Ml)
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    let lrt = &golden.likelihood_ratio_tests["knee"];
    let test = full.fit.likelihood_ratio_test(&small.fit).unwrap();
    assert_close("knee LRT", test.statistic, lrt.statistic, 1e-5);
    assert_eq!(test.df, lrt.df);
    assert_close("knee LRT p", test.p_value, lrt.p_value, 1e-4);
    eprintln!(
        "knee site model worst relative differences: fixed/SE {:e}, SD {:e}, df {:e}, patient BLUP {:e}, site BLUP {:e}, prediction {:e}",
        worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]
    );
}

/// The knee trial's text with `edit` applied to the `site` cell of every row.
fn knee_with_sites(edit: impl Fn(&str, &str) -> String) -> pain_outcomes::data::Cohort {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let isite = cols.iter().position(|c| *c == "site").unwrap();
    let mut out = vec![header.to_string()];
    for line in lines {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        f[isite] = edit(&f[0], &f[isite]);
        out.push(f.join(","));
    }
    pain_outcomes::data::read_csv_str(&out.join("\n"), "knee_oa_trial.csv", &Default::default())
        .unwrap()
        .cohort
}

/// A patient with no site is an error that names the patient; two sites are refused.
#[test]
fn lmm_site_trajectory_model_rejects_missing_sites_and_refuses_two_sites() {
    use pain_outcomes::analysis::TrajectoryModel;
    let cohort = knee_with_sites(|id, site| {
        if id == "KOA-0007" {
            String::new()
        } else {
            site.to_string()
        }
    });
    let err = TrajectoryModel::new(&cohort)
        .instrument("nrs")
        .site_effect(true)
        .fit()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(err.to_string().contains("`KOA-0007`"), "{err}");
    // without the site intercept the patient is analysed as before
    assert!(
        TrajectoryModel::new(&cohort)
            .instrument("nrs")
            .fit()
            .unwrap()
            .computed()
            .is_some()
    );
    let two = knee_with_sites(|_, site| {
        if site <= "site_02" {
            "site_01"
        } else {
            "site_02"
        }
        .to_string()
    });
    match TrajectoryModel::new(&two)
        .instrument("nrs")
        .site_effect(true)
        .fit()
        .unwrap()
    {
        Outcome::Refused(r) => assert_eq!(r.reason, RefusalReason::TooFewGroups),
        Outcome::Computed(_) => panic!("two sites must be refused"),
    }
}

/// The conditional modes and covariances of patients and sites, and their cross covariances,
/// equal the dense solution at the fitted θ: `A = Λ'Z'ZΛ + I` over all random effects
/// (patients first, then sites), `u = A⁻¹Λ'Z'(y − Xβ̂)`, `Var(u | y) = σ²A⁻¹`, `b = Λu`.
#[test]
fn lmm_site_conditional_modes_and_covariances_equal_the_dense_solution() {
    // every fifth patient: 60 patients in the 8 sites
    let table = Table::read("lmm_site.csv", |id| {
        id[1..].parse::<usize>().unwrap().is_multiple_of(5)
    });
    let fit = lmm(&table.data(), &LmmOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    let (m, k) = (table.ids.len(), table.sites.len());
    assert_eq!((m, k), (60, 8));
    let n = table.y.len();
    let dim = 2 * m + k;
    let th = &fit.theta;
    let lam_p = DMatrix::from_row_slice(2, 2, &[th[0], 0.0, th[1], th[2]]);
    let mut zfull = DMatrix::zeros(n, dim);
    for r in 0..n {
        let g = table.patient[r];
        for j in 0..2 {
            zfull[(r, 2 * g + j)] = table.z[(r, j)];
        }
        zfull[(r, 2 * m + table.site[r])] = 1.0;
    }
    let mut lambda = DMatrix::zeros(dim, dim);
    for g in 0..m {
        lambda.view_mut((2 * g, 2 * g), (2, 2)).copy_from(&lam_p);
    }
    for s in 0..k {
        lambda[(2 * m + s, 2 * m + s)] = th[3];
    }
    let zl = &zfull * &lambda;
    let a = zl.transpose() * &zl + DMatrix::identity(dim, dim);
    let a_inv = a.try_inverse().unwrap();
    let beta = nalgebra::DVector::from_column_slice(fit.beta());
    let resid = nalgebra::DVector::from_column_slice(&table.y) - &table.x * beta;
    let u = &a_inv * (zl.transpose() * resid);
    let b = &lambda * &u;
    let cov = &lambda * &a_inv * lambda.transpose() * (fit.sigma * fit.sigma);
    let close = |what: String, got: f64, want: f64, scale: f64| {
        assert!(
            (got - want).abs() <= 1e-9 * scale,
            "{what}: {got} vs {want}"
        );
    };
    let scale = cov.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for (g, e) in fit.random_effects.iter().enumerate() {
        for i in 0..2 {
            close(format!("mode {g} {i}"), e.modes[i], b[2 * g + i], 1.0);
            for j in 0..2 {
                close(
                    format!("condVar {g} {i}{j}"),
                    e.conditional_covariance[i * 2 + j],
                    cov[(2 * g + i, 2 * g + j)],
                    scale,
                );
            }
            let s = 2 * m + table.site[table.patient.iter().position(|&p| p == g).unwrap()];
            close(
                format!("site covariance {g} {i}"),
                e.site_covariance[i],
                cov[(2 * g + i, s)],
                scale,
            );
        }
    }
    for (s, e) in fit.site_effects.iter().enumerate() {
        close(format!("site mode {s}"), e.modes[0], b[2 * m + s], 1.0);
        close(
            format!("site condVar {s}"),
            e.conditional_covariance[0],
            cov[(2 * m + s, 2 * m + s)],
            scale,
        );
    }
}
