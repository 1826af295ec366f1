//! Survival kernels against R `survival` (goldens in tests/golden/survival_*.json, made by
//! tests/reference/survival_*.R on tests/data/survival_*.csv).

use std::collections::HashMap;

use crate::common::golden::{self, KmRecord};
use crate::common::tol::{ITERATIVE, R_PRINTED, assert_all_close, assert_all_opt, assert_close};
use nalgebra::DMatrix;
use pain_outcomes::RefusalReason;
use pain_outcomes::stats::survival::*;
use serde::Deserialize;

use crate::common::golden::CoxRows;

/// A value of a grouping column as R wrote it: a number or a label.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Level {
    Number(f64),
    Label(String),
}

/// `tests/golden/survival_km.json`.
#[derive(Deserialize)]
struct KmGolden {
    km: Vec<KmCase>,
    rmst_difference: Vec<RmstDifferenceCase>,
}

/// One `survfit` curve: the whole data set, or the rows where `group` equals `value`.
#[derive(Deserialize)]
struct KmCase {
    data: String,
    group: Option<String>,
    value: Option<Level>,
    conf_type: String,
    #[serde(flatten)]
    curve: KmRecord,
    rmst: Rmst,
}

#[derive(Deserialize)]
struct Rmst {
    tau: f64,
    estimate: f64,
    std_err: f64,
}

/// RMST of `arm` minus that of `reference` (rows where `group` equals each) up to `tau`.
#[derive(Deserialize)]
struct RmstDifferenceCase {
    data: String,
    group: String,
    reference: Level,
    arm: Level,
    tau: f64,
    arm_rmst: f64,
    reference_rmst: f64,
    difference: f64,
    std_err: f64,
    lower: f64,
    upper: f64,
    p_value: f64,
}

/// `tests/golden/survival_logrank.json`.
#[derive(Deserialize)]
struct LogRankGolden {
    logrank: Vec<LogRankCase>,
}

#[derive(Deserialize)]
struct LogRankCase {
    data: String,
    group: String,
    strata: Option<String>,
    levels: Vec<String>,
    observed: Vec<f64>,
    expected: Vec<f64>,
    variance: Vec<Vec<f64>>,
    chisq: f64,
    df: f64,
    p_value: f64,
}

/// `tests/golden/survival_cox.json`.
#[derive(Deserialize)]
struct CoxGolden {
    cox: Vec<CoxCase>,
    monotone: Monotone,
}

/// One `coxph` fit with its `cox.zph` tests; vectors are per covariate.
#[derive(Deserialize)]
struct CoxCase {
    name: String,
    data: String,
    covariates: Vec<String>,
    /// `efron` or `breslow`.
    ties: String,
    strata: Option<String>,
    cluster: Option<String>,
    /// The per-coefficient columns of `summary(coxph)`.
    #[serde(flatten)]
    rows: CoxRows,
    var: Vec<Vec<f64>>,
    /// Null model, fitted model.
    loglik: Vec<f64>,
    lr: f64,
    lr_p: f64,
    wald: f64,
    wald_p: f64,
    score: f64,
    score_p: f64,
    robust_score: Option<f64>,
    iter: f64,
    nevent: f64,
    zph: Zph,
}

/// `cox.zph` with each transform.
#[derive(Deserialize)]
struct Zph {
    km: ZphTests,
    identity: ZphTests,
    rank: ZphTests,
    log: ZphTests,
}

/// Per covariate, then GLOBAL last.
#[derive(Deserialize)]
struct ZphTests {
    chisq: Vec<f64>,
    p: Vec<f64>,
}

/// The monotone-likelihood case and the warning R gives for it.
#[derive(Deserialize)]
struct Monotone {
    r_warning: String,
}

/// A CSV file as named string columns.
struct Table {
    cols: HashMap<String, Vec<String>>,
    n: usize,
}

impl Table {
    fn read(name: &str) -> Table {
        let path = format!(
            "{}/tests/data/survival_{name}.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut rdr = csv::Reader::from_path(&path).unwrap();
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let mut cols: HashMap<String, Vec<String>> =
            headers.iter().map(|h| (h.clone(), Vec::new())).collect();
        let mut n = 0;
        for rec in rdr.records() {
            let rec = rec.unwrap();
            for (h, v) in headers.iter().zip(rec.iter()) {
                cols.get_mut(h).unwrap().push(v.to_string());
            }
            n += 1;
        }
        Table { cols, n }
    }
    fn str(&self, c: &str) -> &[String] {
        &self.cols[c]
    }
    fn num(&self, c: &str) -> Vec<f64> {
        self.cols[c]
            .iter()
            .map(|v| v.parse::<f64>().unwrap())
            .collect()
    }
    fn time(&self) -> Vec<f64> {
        self.num("time")
    }
    fn status(&self) -> Vec<Status> {
        self.num("status")
            .iter()
            .map(|&s| Status::from_indicator(s as u8).unwrap())
            .collect()
    }
    /// Rows whose column `c` equals `v` (number or label).
    fn rows_where(&self, c: &str, v: &Level) -> Vec<usize> {
        (0..self.n)
            .filter(|&i| {
                let cell = &self.cols[c][i];
                match v {
                    Level::Number(x) => cell.parse::<f64>().unwrap() == *x,
                    Level::Label(s) => cell == s,
                }
            })
            .collect()
    }
}

fn conf_type(s: &str) -> ConfidenceType {
    match s {
        "log-log" => ConfidenceType::LogLog,
        "plain" => ConfidenceType::Plain,
        "log" => ConfidenceType::Log,
        other => panic!("unknown conf type {other}"),
    }
}

#[test]
fn kaplan_meier_matches_r_survfit_on_lung_veteran_and_simulated() {
    let g: KmGolden = golden::load("survival_km");
    let mut checked = 0;
    for case in &g.km {
        let t = Table::read(&case.data);
        let rows: Vec<usize> = match &case.group {
            Some(col) => t.rows_where(col, case.value.as_ref().expect("group value")),
            None => (0..t.n).collect(),
        };
        let time: Vec<f64> = rows.iter().map(|&i| t.time()[i]).collect();
        let status: Vec<Status> = rows.iter().map(|&i| t.status()[i]).collect();
        let ct = case.conf_type.as_str();
        let label = format!("{} {:?} {:?} {ct}", case.data, case.group, case.value);
        let opts = KaplanMeierOptions::default().with_confidence_type(conf_type(ct));
        let km = kaplan_meier(&time, &status, &opts)
            .unwrap()
            .into_result()
            .unwrap();
        let rt = &case.curve.time;
        assert_eq!(km.time.len(), rt.len(), "{label}: number of times");
        for (k, &r_time) in rt.iter().enumerate() {
            let w = format!("{label} row {k}");
            assert_close(&format!("{w} time"), km.time[k], r_time, R_PRINTED);
            assert_eq!(km.n_risk[k] as f64, case.curve.n_risk[k], "{w} n.risk");
            assert_eq!(km.n_event[k] as f64, case.curve.n_event[k], "{w} n.event");
            assert_eq!(
                km.n_censor[k] as f64, case.curve.n_censor[k],
                "{w} n.censor"
            );
            assert_close(
                &format!("{w} surv"),
                km.survival[k],
                case.curve.surv[k],
                R_PRINTED,
            );
            assert_all_opt(
                &w,
                R_PRINTED,
                &[
                    ("std.err", km.std_error_log[k], case.curve.std_err[k]),
                    ("lower", km.lower[k], case.curve.lower[k]),
                    ("upper", km.upper[k], case.curve.upper[k]),
                ],
            );
        }
        assert_all_opt(
            &label,
            R_PRINTED,
            &[
                ("median", km.median.estimate, case.curve.median),
                ("median LCL", km.median.lower, case.curve.median_lower),
                ("median UCL", km.median.upper, case.curve.median_upper),
            ],
        );
        // survival at chosen times
        let at = &case.curve.at;
        let times = &at.times;
        let got = km.survival_at(times).unwrap();
        for (k, row) in got.iter().enumerate() {
            let w = format!("{label} at t={}", times[k]);
            assert_eq!(row.n_risk as f64, at.n_risk[k], "{w} n.risk");
            assert_all_opt(
                &w,
                R_PRINTED,
                &[
                    ("surv", row.survival, at.surv[k]),
                    ("std.err", row.std_error, at.std_err[k]),
                    ("lower", row.lower, at.lower[k]),
                    ("upper", row.upper, at.upper[k]),
                ],
            );
        }
        // RMST
        let rm = &case.rmst;
        let r = km.rmst(rm.tau).unwrap().into_result().unwrap();
        assert_close(
            &format!("{label} rmean"),
            r.estimate,
            rm.estimate,
            R_PRINTED,
        );
        assert_close(
            &format!("{label} se(rmean)"),
            r.std_error,
            rm.std_err,
            R_PRINTED,
        );
        checked += 1;
    }
    assert_eq!(checked, 24);
}

#[test]
fn rmst_difference_matches_r_independent_arms() {
    let g: KmGolden = golden::load("survival_km");
    for case in &g.rmst_difference {
        let t = Table::read(&case.data);
        let col = case.group.as_str();
        let label = format!("{} {col}", case.data);
        // The two compared arms only (the simulated data have three).
        let mut rows = t.rows_where(col, &case.reference);
        let reference = t.str(col)[rows[0]].clone();
        rows.extend(t.rows_where(col, &case.arm));
        let group: Vec<String> = rows.iter().map(|&i| t.str(col)[i].clone()).collect();
        let time: Vec<f64> = rows.iter().map(|&i| t.time()[i]).collect();
        let status: Vec<Status> = rows.iter().map(|&i| t.status()[i]).collect();
        let d = rmst_difference(&time, &status, &group, &reference, case.tau, 0.95)
            .unwrap()
            .into_result()
            .unwrap();
        assert_all_close(
            &label,
            R_PRINTED,
            &[
                ("arm rmst", d.arm_rmst.estimate, case.arm_rmst),
                ("ref rmst", d.reference_rmst.estimate, case.reference_rmst),
                ("diff", d.difference.estimate, case.difference),
                ("se", d.difference.std_error, case.std_err),
                ("lower", d.difference.confidence_interval.lower, case.lower),
                ("upper", d.difference.confidence_interval.upper, case.upper),
                ("p", d.difference.p_value, case.p_value),
            ],
        );
    }
}

#[test]
fn log_rank_matches_r_survdiff_plain_and_stratified() {
    let g: LogRankGolden = golden::load("survival_logrank");
    for case in &g.logrank {
        let t = Table::read(&case.data);
        let col = case.group.as_str();
        // Numeric labels sort numerically in R's factor(); pad them so string order agrees.
        let group: Vec<String> = t
            .str(col)
            .iter()
            .map(|v| match v.parse::<f64>() {
                Ok(x) => format!("{x:012.3}"),
                Err(_) => v.clone(),
            })
            .collect();
        let label = format!("{} {col} {:?}", case.data, case.strata);
        let lr = match &case.strata {
            Some(s) => log_rank_stratified(&t.time(), &t.status(), &group, t.str(s)),
            None => log_rank(&t.time(), &t.status(), &group),
        }
        .unwrap()
        .into_result()
        .unwrap();
        let k = lr.groups.len();
        assert_eq!(k, case.levels.len(), "{label} levels");
        for a in 0..k {
            assert_close(
                &format!("{label} obs {a}"),
                lr.observed[a],
                case.observed[a],
                R_PRINTED,
            );
            assert_close(
                &format!("{label} exp {a}"),
                lr.expected[a],
                case.expected[a],
                R_PRINTED,
            );
            for b in 0..k {
                assert_close(
                    &format!("{label} var {a},{b}"),
                    lr.variance[a][b],
                    case.variance[a][b],
                    R_PRINTED,
                );
            }
        }
        assert_close(
            &format!("{label} chisq"),
            lr.test.statistic,
            case.chisq,
            R_PRINTED,
        );
        assert_eq!(lr.test.df as f64, case.df, "{label} df");
        assert_close(
            &format!("{label} p"),
            lr.test.p_value,
            case.p_value,
            R_PRINTED,
        );
    }
}

fn cox_case(case: &CoxCase) -> (Table, DMatrix<f64>) {
    let t = Table::read(&case.data);
    let names = &case.covariates;
    let cols: Vec<Vec<f64>> = names.iter().map(|c| t.num(c)).collect();
    let x = DMatrix::from_fn(t.n, names.len(), |i, j| cols[j][i]);
    (t, x)
}

fn ties(s: &str) -> Ties {
    if s == "breslow" {
        Ties::Breslow
    } else {
        Ties::Efron
    }
}

#[test]
fn cox_ph_matches_r_coxph_estimates_se_and_tests() {
    let g: CoxGolden = golden::load("survival_cox");
    for case in &g.cox {
        let name = case.name.as_str();
        let (t, x) = cox_case(case);
        let time = t.time();
        let status = t.status();
        let names: Vec<&str> = case.covariates.iter().map(String::as_str).collect();
        let mut data = CoxData::new(&time, &status, &x)
            .unwrap()
            .with_names(&names)
            .unwrap();
        if let Some(s) = &case.strata {
            data = data.with_strata(t.str(s)).unwrap();
        }
        if let Some(c) = &case.cluster {
            data = data.with_cluster(t.str(c)).unwrap();
        }
        let opts = CoxOptions::default().with_ties(ties(&case.ties));
        let fit = cox_ph(&data, &opts).unwrap().into_result().unwrap();
        for (j, c) in fit.coefficients.iter().enumerate() {
            let w = format!("{name} {}", c.name);
            case.rows.check(j, c, &w);
            for k in 0..fit.coefficients.len() {
                assert_close(
                    &format!("{w} var {k}"),
                    fit.variance[j][k],
                    case.var[j][k],
                    ITERATIVE,
                );
            }
        }
        assert_all_close(
            name,
            ITERATIVE,
            &[
                ("loglik0", fit.log_likelihood_null, case.loglik[0]),
                ("loglik", fit.log_likelihood, case.loglik[1]),
                ("LR", fit.likelihood_ratio.statistic, case.lr),
                ("LR p", fit.likelihood_ratio.p_value, case.lr_p),
                ("Wald", fit.wald.statistic, case.wald),
                ("Wald p", fit.wald.p_value, case.wald_p),
                ("score", fit.score.statistic, case.score),
                ("score p", fit.score.p_value, case.score_p),
            ],
        );
        match case.robust_score {
            Some(r) => assert_close(
                &format!("{name} robust score"),
                fit.robust_score.as_ref().unwrap().statistic,
                r,
                ITERATIVE,
            ),
            None => assert!(
                fit.robust_score.is_none(),
                "{name}: unexpected robust score"
            ),
        }
        assert_eq!(fit.iterations as f64, case.iter, "{name} iterations");
        assert_eq!(fit.n_events as f64, case.nevent, "{name} events");
    }
}

#[test]
fn cox_zph_matches_r_survival3_for_all_transforms() {
    let g: CoxGolden = golden::load("survival_cox");
    for case in &g.cox {
        let name = case.name.as_str();
        let (t, x) = cox_case(case);
        let time = t.time();
        let status = t.status();
        let mut data = CoxData::new(&time, &status, &x).unwrap();
        if let Some(s) = &case.strata {
            data = data.with_strata(t.str(s)).unwrap();
        }
        let opts = CoxOptions::default().with_ties(ties(&case.ties));
        let fit = cox_ph(&data, &opts).unwrap().into_result().unwrap();
        let zph = &case.zph;
        for (tr, transform, r) in [
            ("km", ZphTransform::Km, &zph.km),
            ("identity", ZphTransform::Identity, &zph.identity),
            ("rank", ZphTransform::Rank, &zph.rank),
            ("log", ZphTransform::Log, &zph.log),
        ] {
            let z = cox_zph(
                &data,
                &fit,
                &ZphOptions::default().with_transform(transform),
            )
            .unwrap()
            .into_result()
            .unwrap();
            let p = z.terms.len();
            for (j, term) in z.terms.iter().enumerate() {
                let w = format!("{name} {tr} {}", term.name);
                assert_close(
                    &format!("{w} chisq"),
                    term.test.statistic,
                    r.chisq[j],
                    ITERATIVE,
                );
                assert_close(&format!("{w} p"), term.test.p_value, r.p[j], ITERATIVE);
            }
            assert_close(
                &format!("{name} {tr} GLOBAL"),
                z.global.statistic,
                r.chisq[p],
                ITERATIVE,
            );
            assert_close(
                &format!("{name} {tr} GLOBAL p"),
                z.global.p_value,
                r.p[p],
                ITERATIVE,
            );
        }
    }
}

#[test]
fn cox_refuses_arm_without_events_where_r_warns_infinite_coefficient() {
    let g: CoxGolden = golden::load("survival_cox");
    assert!(g.monotone.r_warning.contains("may be infinite"));
    let t = Table::read("lung");
    let time = t.time();
    let status = t.status();
    let age = t.num("age");
    let arm: Vec<f64> = status
        .iter()
        .zip(&age)
        .map(|(s, a)| if !s.is_event() && *a < 65.0 { 1.0 } else { 0.0 })
        .collect();
    let x = DMatrix::from_fn(t.n, 2, |i, j| if j == 0 { arm[i] } else { age[i] });
    let data = CoxData::new(&time, &status, &x)
        .unwrap()
        .with_names(&["no_event_arm", "age"])
        .unwrap();
    let out = cox_ph(&data, &CoxOptions::default()).unwrap();
    let r = out.refusal().expect("must refuse");
    assert_eq!(r.reason, RefusalReason::MonotoneLikelihood);
    assert!(r.detail.contains("no_event_arm"));
}
