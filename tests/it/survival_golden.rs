//! Survival kernels against R `survival` (goldens in tests/golden/survival_*.json, made by
//! tests/reference/survival_*.R on tests/data/survival_*.csv).

use std::collections::HashMap;

use crate::common::tol::{ITERATIVE, R_PRINTED, assert_all_close, assert_all_opt, assert_close};
use nalgebra::DMatrix;
use pain_outcomes::RefusalReason;
use pain_outcomes::stats::survival::*;
use serde_json::Value;

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
    /// Rows whose column `c` equals the JSON value `v` (number or string).
    fn rows_where(&self, c: &str, v: &Value) -> Vec<usize> {
        (0..self.n)
            .filter(|&i| {
                let cell = &self.cols[c][i];
                match v {
                    Value::Number(x) => cell.parse::<f64>().unwrap() == x.as_f64().unwrap(),
                    Value::String(s) => cell == s,
                    _ => panic!("unexpected group value"),
                }
            })
            .collect()
    }
}

fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn fvec(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(f).collect()
}

/// Optional numbers: JSON null = R `NA`/`Inf`.
fn ovec(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
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
    let g = golden("survival_km");
    let mut checked = 0;
    for case in g["km"].as_array().unwrap() {
        let t = Table::read(case["data"].as_str().unwrap());
        let rows: Vec<usize> = match case["group"].as_str() {
            Some(col) => t.rows_where(col, &case["value"]),
            None => (0..t.n).collect(),
        };
        let time: Vec<f64> = rows.iter().map(|&i| t.time()[i]).collect();
        let status: Vec<Status> = rows.iter().map(|&i| t.status()[i]).collect();
        let ct = case["conf_type"].as_str().unwrap();
        let label = format!("{} {} {} {ct}", case["data"], case["group"], case["value"]);
        let opts = KaplanMeierOptions::default().with_confidence_type(conf_type(ct));
        let km = kaplan_meier(&time, &status, &opts)
            .unwrap()
            .into_result()
            .unwrap();
        let rt = fvec(&case["time"]);
        assert_eq!(km.time.len(), rt.len(), "{label}: number of times");
        for k in 0..rt.len() {
            let w = format!("{label} row {k}");
            assert_close(&format!("{w} time"), km.time[k], rt[k], R_PRINTED);
            assert_eq!(km.n_risk[k] as f64, f(&case["n_risk"][k]), "{w} n.risk");
            assert_eq!(km.n_event[k] as f64, f(&case["n_event"][k]), "{w} n.event");
            assert_eq!(
                km.n_censor[k] as f64,
                f(&case["n_censor"][k]),
                "{w} n.censor"
            );
            assert_close(
                &format!("{w} surv"),
                km.survival[k],
                f(&case["surv"][k]),
                R_PRINTED,
            );
            assert_all_opt(
                &w,
                R_PRINTED,
                &[
                    ("std.err", km.std_err_log[k], case["std_err"][k].as_f64()),
                    ("lower", km.lower[k], case["lower"][k].as_f64()),
                    ("upper", km.upper[k], case["upper"][k].as_f64()),
                ],
            );
        }
        assert_all_opt(
            &label,
            R_PRINTED,
            &[
                ("median", km.median.estimate, case["median"].as_f64()),
                ("median LCL", km.median.lower, case["median_lower"].as_f64()),
                ("median UCL", km.median.upper, case["median_upper"].as_f64()),
            ],
        );
        // survival at chosen times
        let at = &case["at"];
        let times = fvec(&at["times"]);
        let got = km.survival_at(&times).unwrap();
        for (k, row) in got.iter().enumerate() {
            let w = format!("{label} at t={}", times[k]);
            assert_eq!(row.n_risk as f64, f(&at["n_risk"][k]), "{w} n.risk");
            assert_all_opt(
                &w,
                R_PRINTED,
                &[
                    ("surv", row.survival, at["surv"][k].as_f64()),
                    ("std.err", row.std_err, ovec(&at["std_err"])[k]),
                    ("lower", row.lower, ovec(&at["lower"])[k]),
                    ("upper", row.upper, ovec(&at["upper"])[k]),
                ],
            );
        }
        // RMST
        let rm = &case["rmst"];
        let r = km.rmst(f(&rm["tau"])).unwrap().into_result().unwrap();
        assert_close(
            &format!("{label} rmean"),
            r.estimate,
            f(&rm["estimate"]),
            R_PRINTED,
        );
        assert_close(
            &format!("{label} se(rmean)"),
            r.std_err,
            f(&rm["std_err"]),
            R_PRINTED,
        );
        checked += 1;
    }
    assert_eq!(checked, 24);
}

#[test]
fn rmst_difference_matches_r_independent_arms() {
    let g = golden("survival_km");
    for case in g["rmst_difference"].as_array().unwrap() {
        let t = Table::read(case["data"].as_str().unwrap());
        let col = case["group"].as_str().unwrap();
        let label = format!("{} {col}", case["data"]);
        // The two compared arms only (the simulated data have three).
        let mut rows = t.rows_where(col, &case["reference"]);
        let reference = t.str(col)[rows[0]].clone();
        rows.extend(t.rows_where(col, &case["arm"]));
        let group: Vec<String> = rows.iter().map(|&i| t.str(col)[i].clone()).collect();
        let time: Vec<f64> = rows.iter().map(|&i| t.time()[i]).collect();
        let status: Vec<Status> = rows.iter().map(|&i| t.status()[i]).collect();
        let d = rmst_difference(&time, &status, &group, &reference, f(&case["tau"]), 0.95)
            .unwrap()
            .into_result()
            .unwrap();
        assert_all_close(
            &label,
            R_PRINTED,
            &[
                ("arm rmst", d.arm_rmst.estimate, f(&case["arm_rmst"])),
                (
                    "ref rmst",
                    d.reference_rmst.estimate,
                    f(&case["reference_rmst"]),
                ),
                ("diff", d.difference, f(&case["difference"])),
                ("se", d.std_err, f(&case["std_err"])),
                ("lower", d.confidence_interval.0, f(&case["lower"])),
                ("upper", d.confidence_interval.1, f(&case["upper"])),
                ("p", d.p_value, f(&case["p_value"])),
            ],
        );
    }
}

#[test]
fn log_rank_matches_r_survdiff_plain_and_stratified() {
    let g = golden("survival_logrank");
    for case in g["logrank"].as_array().unwrap() {
        let t = Table::read(case["data"].as_str().unwrap());
        let col = case["group"].as_str().unwrap();
        // Numeric labels sort numerically in R's factor(); pad them so string order agrees.
        let group: Vec<String> = t
            .str(col)
            .iter()
            .map(|v| match v.parse::<f64>() {
                Ok(x) => format!("{x:012.3}"),
                Err(_) => v.clone(),
            })
            .collect();
        let label = format!("{} {col} {:?}", case["data"], case["strata"]);
        let lr = match case["strata"].as_str() {
            Some(s) => log_rank_stratified(&t.time(), &t.status(), &group, t.str(s)),
            None => log_rank(&t.time(), &t.status(), &group),
        }
        .unwrap()
        .into_result()
        .unwrap();
        let k = lr.groups.len();
        assert_eq!(
            k,
            case["levels"].as_array().unwrap().len(),
            "{label} levels"
        );
        for a in 0..k {
            assert_close(
                &format!("{label} obs {a}"),
                lr.observed[a],
                f(&case["observed"][a]),
                R_PRINTED,
            );
            assert_close(
                &format!("{label} exp {a}"),
                lr.expected[a],
                f(&case["expected"][a]),
                R_PRINTED,
            );
            for b in 0..k {
                assert_close(
                    &format!("{label} var {a},{b}"),
                    lr.variance[a][b],
                    f(&case["variance"][a][b]),
                    R_PRINTED,
                );
            }
        }
        assert_close(
            &format!("{label} chisq"),
            lr.test.statistic,
            f(&case["chisq"]),
            R_PRINTED,
        );
        assert_eq!(lr.test.df as f64, f(&case["df"]), "{label} df");
        assert_close(
            &format!("{label} p"),
            lr.test.p_value,
            f(&case["p_value"]),
            R_PRINTED,
        );
    }
}

fn cox_case(case: &Value) -> (Table, DMatrix<f64>) {
    let t = Table::read(case["data"].as_str().unwrap());
    let names: Vec<&str> = case["covariates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
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
    let g = golden("survival_cox");
    for case in g["cox"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (t, x) = cox_case(case);
        let time = t.time();
        let status = t.status();
        let names: Vec<&str> = case["covariates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut data = CoxData::new(&time, &status, &x)
            .unwrap()
            .with_names(&names)
            .unwrap();
        if let Some(s) = case["strata"].as_str() {
            data = data.with_strata(t.str(s)).unwrap();
        }
        if let Some(c) = case["cluster"].as_str() {
            data = data.with_cluster(t.str(c)).unwrap();
        }
        let opts = CoxOptions::default().with_ties(ties(case["ties"].as_str().unwrap()));
        let fit = cox_ph(&data, &opts).unwrap().into_result().unwrap();
        for (j, c) in fit.coefficients.iter().enumerate() {
            let w = format!("{name} {}", c.name);
            assert_close(
                &format!("{w} coef"),
                c.estimate,
                f(&case["coef"][j]),
                ITERATIVE,
            );
            assert_close(&format!("{w} se"), c.std_err, f(&case["se"][j]), ITERATIVE);
            if let Some(ns) = case["naive_se"].as_array() {
                assert_close(
                    &format!("{w} naive se"),
                    c.naive_std_err.unwrap(),
                    f(&ns[j]),
                    ITERATIVE,
                );
            }
            assert_all_close(
                &w,
                ITERATIVE,
                &[
                    ("z", c.z, f(&case["z"][j])),
                    ("p", c.p_value, f(&case["p"][j])),
                    ("HR lower", c.confidence_interval.0, f(&case["hr_lower"][j])),
                    ("HR upper", c.confidence_interval.1, f(&case["hr_upper"][j])),
                ],
            );
            for k in 0..fit.coefficients.len() {
                assert_close(
                    &format!("{w} var {k}"),
                    fit.variance[j][k],
                    f(&case["var"][j][k]),
                    ITERATIVE,
                );
            }
        }
        assert_all_close(
            name,
            ITERATIVE,
            &[
                ("loglik0", fit.log_likelihood_null, f(&case["loglik"][0])),
                ("loglik", fit.log_likelihood, f(&case["loglik"][1])),
                ("LR", fit.likelihood_ratio.statistic, f(&case["lr"])),
                ("LR p", fit.likelihood_ratio.p_value, f(&case["lr_p"])),
                ("Wald", fit.wald.statistic, f(&case["wald"])),
                ("Wald p", fit.wald.p_value, f(&case["wald_p"])),
                ("score", fit.score.statistic, f(&case["score"])),
                ("score p", fit.score.p_value, f(&case["score_p"])),
            ],
        );
        match case["robust_score"].as_f64() {
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
        assert_eq!(fit.iterations as f64, f(&case["iter"]), "{name} iterations");
        assert_eq!(fit.n_events as f64, f(&case["nevent"]), "{name} events");
    }
}

#[test]
fn cox_zph_matches_r_survival3_for_all_transforms() {
    let g = golden("survival_cox");
    for case in g["cox"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (t, x) = cox_case(case);
        let time = t.time();
        let status = t.status();
        let mut data = CoxData::new(&time, &status, &x).unwrap();
        if let Some(s) = case["strata"].as_str() {
            data = data.with_strata(t.str(s)).unwrap();
        }
        let opts = CoxOptions::default().with_ties(ties(case["ties"].as_str().unwrap()));
        let fit = cox_ph(&data, &opts).unwrap().into_result().unwrap();
        for (tr, transform) in [
            ("km", ZphTransform::Km),
            ("identity", ZphTransform::Identity),
            ("rank", ZphTransform::Rank),
            ("log", ZphTransform::Log),
        ] {
            let z = cox_zph(
                &data,
                &fit,
                &ZphOptions::default().with_transform(transform),
            )
            .unwrap()
            .into_result()
            .unwrap();
            let r = &case["zph"][tr];
            let p = z.terms.len();
            for (j, term) in z.terms.iter().enumerate() {
                let w = format!("{name} {tr} {}", term.name);
                assert_close(
                    &format!("{w} chisq"),
                    term.test.statistic,
                    f(&r["chisq"][j]),
                    ITERATIVE,
                );
                assert_close(
                    &format!("{w} p"),
                    term.test.p_value,
                    f(&r["p"][j]),
                    ITERATIVE,
                );
            }
            assert_close(
                &format!("{name} {tr} GLOBAL"),
                z.global.statistic,
                f(&r["chisq"][p]),
                ITERATIVE,
            );
            assert_close(
                &format!("{name} {tr} GLOBAL p"),
                z.global.p_value,
                f(&r["p"][p]),
                ITERATIVE,
            );
        }
    }
}

#[test]
fn cox_refuses_arm_without_events_where_r_warns_infinite_coefficient() {
    let g = golden("survival_cox");
    let m = &g["monotone"];
    assert!(m["r_warning"].as_str().unwrap().contains("may be infinite"));
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
