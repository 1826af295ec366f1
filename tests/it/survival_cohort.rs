//! Time-to-event analyses of the bundled cohorts against R `survival` (goldens in
//! tests/golden/survival_cohort.json, made by tests/reference/survival_cohort.R, which derives
//! the times independently from the documented rules).

use std::collections::HashMap;

use crate::common::golden::{self, KmRecord};
use crate::common::tol::{ITERATIVE, R_PRINTED, assert_all_opt, assert_close};
use pain_outcomes::analysis::RuleChoice;
use pain_outcomes::analysis::{
    Clustering, Covariate, ExclusionReason, LossOfResponseOptions, Stratification,
    TimeToEventOptions, analyse_time_to_event, time_to_loss_of_response,
};
use pain_outcomes::data::{CsvFiles, EventEndpoint, LoadOptions, TimeToEventData, read_csv_files};
use pain_outcomes::{Cohort, CoxFit};
use pain_outcomes::{Outcome, RefusalReason};
use serde::Deserialize;

use crate::common::golden::CoxRows;

/// `tests/golden/survival_cohort.json`.
#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

/// One endpoint on one bundled cohort: the script's own derivation of every patient's
/// (time, status, end), and R `survival`'s analysis of it.
#[derive(Deserialize)]
struct Case {
    name: String,
    derived: Derived,
    analysis: Analysis,
    /// Loss of response only: patients left out, per arm.
    excluded: Option<Vec<Excluded>>,
}

/// Parallel per-patient vectors.
#[derive(Deserialize)]
struct Derived {
    patient_id: Vec<String>,
    time: Vec<i64>,
    /// 1 = event.
    status: Vec<i64>,
    end: Vec<String>,
}

#[derive(Deserialize)]
struct Excluded {
    arm: String,
    no_baseline: f64,
    never_responded: f64,
}

#[derive(Deserialize)]
struct Analysis {
    reference: String,
    tau: f64,
    times: Vec<f64>,
    km: Vec<ArmKm>,
    rmst_difference: Vec<RmstDifference>,
    log_rank: LogRank,
    log_rank_site: LogRank,
    cox: Vec<Cox>,
}

/// One arm's curve, with its size, events and RMST at `tau`.
#[derive(Deserialize)]
struct ArmKm {
    arm: String,
    n: f64,
    events: f64,
    #[serde(flatten)]
    curve: KmRecord,
    rmst: f64,
    rmst_se: f64,
}

/// `arm` minus the reference arm.
#[derive(Deserialize)]
struct RmstDifference {
    arm: String,
    difference: f64,
    std_err: f64,
    lower: f64,
    upper: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct LogRank {
    chisq: f64,
    df: f64,
    p: f64,
    groups: Vec<String>,
    observed: Vec<f64>,
    expected: Vec<f64>,
}

/// One `coxph` fit; vectors are per coefficient, in the order of `names`.
#[derive(Deserialize)]
struct Cox {
    name: String,
    names: Vec<String>,
    /// The per-coefficient columns of `summary(coxph)`.
    #[serde(flatten)]
    rows: CoxRows,
    /// Null model, fitted model.
    loglik: Vec<f64>,
    /// Eigenvalues of R's variance matrix (singular: the crate refuses the fit).
    var_eigenvalues: Vec<f64>,
    lr: f64,
    lr_p: f64,
    wald: f64,
    wald_p: f64,
    score: f64,
    score_p: f64,
    robust_score: Option<f64>,
    n: f64,
    nevent: f64,
    zph: Zph,
}

/// `cox.zph`: per term, then GLOBAL last.
#[derive(Deserialize)]
struct Zph {
    chisq: Vec<f64>,
    p: Vec<f64>,
}

fn golden() -> Golden {
    golden::load("survival_cohort")
}

fn case<'a>(g: &'a Golden, name: &str) -> &'a Case {
    g.cases.iter().find(|c| c.name == name).unwrap()
}

fn load(name: &str) -> Cohort {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let files =
        CsvFiles::new(format!("{dir}{name}.csv")).with_events(format!("{dir}{name}_events.csv"));
    read_csv_files(&files, &LoadOptions::default())
        .unwrap()
        .cohort
}

/// The derived (time, status, end) of every patient equals R's derivation from the rules text.
fn assert_derived_match(cohort: &Cohort, data: &TimeToEventData, reference: &Derived, label: &str) {
    let ids = &reference.patient_id;
    assert_eq!(data.time.len(), ids.len(), "{label}: number of patients");
    let mut ours: HashMap<String, (i64, bool, &'static str)> = HashMap::new();
    for i in 0..data.time.len() {
        let id = cohort.patients()[data.patients[i]].id.to_string();
        ours.insert(
            id,
            (
                data.time[i].round() as i64,
                data.end[i].is_event(),
                data.end[i].label(),
            ),
        );
    }
    for (k, id) in ids.iter().enumerate() {
        let (t, e, end) = ours
            .get(id)
            .unwrap_or_else(|| panic!("{label}: {id} missing"));
        assert_eq!(*t, reference.time[k], "{label} {id}: time");
        assert_eq!(*e, reference.status[k] == 1, "{label} {id}: status");
        assert_eq!(*end, reference.end[k], "{label} {id}: end");
    }
}

fn check_cox(fit: &CoxFit, r: &Cox, label: &str) {
    let names = &r.names;
    assert_eq!(fit.coefficients.len(), names.len(), "{label}: coefficients");
    for (k, name) in names.iter().enumerate() {
        let c = fit
            .coefficients
            .iter()
            .find(|c| &c.name == name)
            .unwrap_or_else(|| panic!("{label}: no coefficient {name}"));
        let w = format!("{label} {name}");
        r.rows.check(k, c, &w);
    }
    assert_close(
        &format!("{label} loglik0"),
        fit.log_likelihood_null,
        r.loglik[0],
        ITERATIVE,
    );
    assert_close(
        &format!("{label} loglik"),
        fit.log_likelihood,
        r.loglik[1],
        ITERATIVE,
    );
    for (what, got, statistic, p) in [
        ("LR", &fit.likelihood_ratio, r.lr, r.lr_p),
        ("Wald", &fit.wald, r.wald, r.wald_p),
        ("score", &fit.score, r.score, r.score_p),
    ] {
        assert_close(
            &format!("{label} {what}"),
            got.statistic,
            statistic,
            ITERATIVE,
        );
        assert_close(&format!("{label} {what} p"), got.p_value, p, ITERATIVE);
    }
    match r.robust_score {
        Some(rs) => assert_close(
            &format!("{label} robust score"),
            fit.robust_score.as_ref().unwrap().statistic,
            rs,
            ITERATIVE,
        ),
        None => assert!(fit.robust_score.is_none(), "{label}: robust score"),
    }
    assert_eq!(fit.n as f64, r.n, "{label}: n");
    assert_eq!(fit.n_events as f64, r.nevent, "{label}: events");
}

/// Runs every analysis of one golden case on `data` and compares all numbers.
fn check_analysis(cohort: &Cohort, data: &TimeToEventData, g: &Case, label: &str) {
    let a = &g.analysis;
    let reference = a.reference.as_str();
    let times: Vec<f64> = a.times.clone();
    let base = TimeToEventOptions::default()
        .with_reference_arm(reference)
        .with_tau(a.tau)
        .with_survival_times(times.clone());
    let variants = [
        ("arm", base.clone()),
        (
            "arm_age_severity",
            base.clone()
                .with_covariates(vec![Covariate::Age, Covariate::Severity]),
        ),
        (
            "arm_strata_site",
            base.clone().with_stratification(Stratification::Site),
        ),
        (
            "arm_cluster_site",
            base.clone().with_clustering(Clustering::Site),
        ),
    ];
    for (name, options) in variants {
        let result = analyse_time_to_event(cohort, data, &options).unwrap();
        let r = a.cox.iter().find(|c| c.name == name).unwrap();
        let w = format!("{label} cox {name}");
        let eigen = &r.var_eigenvalues;
        let (lo, hi) = eigen
            .iter()
            .fold((f64::INFINITY, 0f64), |(a, b), &e| (a.min(e), b.max(e)));
        if lo <= 1e-12 * hi {
            // R's variance is singular (here: 5 site clusters for 5 arm coefficients); R still
            // prints SEs from it, the crate refuses.
            assert_eq!(
                result.cox.fit.refusal().map(|x| x.reason),
                Some(RefusalReason::NotPositiveDefinite),
                "{w}"
            );
            continue;
        }
        let fit = result
            .cox
            .fit
            .computed()
            .unwrap_or_else(|| panic!("{w}: {:?}", result.cox.fit.refusal()));
        check_cox(fit, r, &w);
        let zph = result
            .cox
            .proportional_hazards
            .as_ref()
            .unwrap()
            .computed()
            .unwrap();
        let chisq = &r.zph.chisq;
        assert_eq!(zph.terms.len() + 1, chisq.len(), "{w}: zph rows");
        for (k, t) in zph.terms.iter().enumerate() {
            assert_close(
                &format!("{w} zph {}", t.name),
                t.test.statistic,
                chisq[k],
                ITERATIVE,
            );
            assert_close(
                &format!("{w} zph p {}", t.name),
                t.test.p_value,
                r.zph.p[k],
                ITERATIVE,
            );
        }
        assert_close(
            &format!("{w} zph global"),
            zph.global.statistic,
            *chisq.last().unwrap(),
            ITERATIVE,
        );

        if name == "arm_strata_site" {
            let lr = result
                .log_rank_stratified
                .as_ref()
                .unwrap()
                .computed()
                .unwrap();
            let rl = &a.log_rank_site;
            assert_close(
                &format!("{label} stratified log-rank"),
                lr.test.statistic,
                rl.chisq,
                R_PRINTED,
            );
            assert_close(
                &format!("{label} stratified log-rank p"),
                lr.test.p_value,
                rl.p,
                R_PRINTED,
            );
        }
        if name != "arm" {
            continue;
        }
        // log-rank
        let lr = result.log_rank.computed().unwrap();
        let rl = &a.log_rank;
        assert_close(
            &format!("{label} log-rank"),
            lr.test.statistic,
            rl.chisq,
            R_PRINTED,
        );
        assert_close(
            &format!("{label} log-rank p"),
            lr.test.p_value,
            rl.p,
            R_PRINTED,
        );
        assert_eq!(lr.test.df as f64, rl.df);
        for (k, grp) in rl.groups.iter().enumerate() {
            let j = lr.groups.iter().position(|x| x == grp).unwrap();
            assert_close(
                &format!("{label} O {grp}"),
                lr.observed[j],
                rl.observed[k],
                R_PRINTED,
            );
            assert_close(
                &format!("{label} E {grp}"),
                lr.expected[j],
                rl.expected[k],
                R_PRINTED,
            );
        }
        // Kaplan-Meier, survival at chosen days, RMST per arm
        for rk in &a.km {
            let arm = rk.arm.as_str();
            let s = result.arms.iter().find(|x| x.arm == arm).unwrap();
            let w = format!("{label} {arm}");
            assert_eq!(s.n as f64, rk.n, "{w}: n");
            assert_eq!(s.follow_up.total_events() as f64, rk.events, "{w}: events");
            let km = s.kaplan_meier.computed().unwrap();
            let rc = &rk.curve;
            let rt = &rc.time;
            assert_eq!(km.time.len(), rt.len(), "{w}: times");
            for (k, &r_time) in rt.iter().enumerate() {
                let wk = format!("{w} row {k}");
                assert_close(&format!("{wk} time"), km.time[k], r_time, R_PRINTED);
                assert_eq!(km.n_risk[k] as f64, rc.n_risk[k], "{wk} n.risk");
                assert_eq!(km.n_event[k] as f64, rc.n_event[k], "{wk} n.event");
                assert_eq!(km.n_censor[k] as f64, rc.n_censor[k], "{wk} n.censor");
                assert_close(&format!("{wk} surv"), km.survival[k], rc.surv[k], R_PRINTED);
                assert_all_opt(
                    &wk,
                    R_PRINTED,
                    &[
                        ("std.err", km.std_error_log[k], rc.std_err[k]),
                        ("lower", km.lower[k], rc.lower[k]),
                        ("upper", km.upper[k], rc.upper[k]),
                    ],
                );
            }
            assert_all_opt(
                &w,
                R_PRINTED,
                &[
                    ("median", km.median.estimate, rc.median),
                    ("median LCL", km.median.lower, rc.median_lower),
                    ("median UCL", km.median.upper, rc.median_upper),
                ],
            );
            // R's summary(times = ) drops times beyond the last observation; ours says None
            let at = &rc.at;
            let r_times = &at.times;
            assert_eq!(s.survival_at.len(), times.len());
            for row in &s.survival_at {
                match r_times.iter().position(|t| (t - row.time).abs() < 1e-9) {
                    Some(k) => {
                        let wk = format!("{w} at {}", row.time);
                        assert_eq!(row.n_risk as f64, at.n_risk[k], "{wk} n.risk");
                        assert_all_opt(
                            &wk,
                            R_PRINTED,
                            &[
                                ("surv", row.survival, at.surv[k]),
                                ("se", row.std_error, at.std_err[k]),
                                ("lower", row.lower, at.lower[k]),
                                ("upper", row.upper, at.upper[k]),
                            ],
                        );
                    }
                    None => assert!(row.survival.is_none(), "{w} at {}", row.time),
                }
            }
            let rmst = s.rmst.as_ref().unwrap().computed().unwrap();
            assert_close(&format!("{w} rmean"), rmst.estimate, rk.rmst, R_PRINTED);
            assert_close(
                &format!("{w} se(rmean)"),
                rmst.std_error,
                rk.rmst_se,
                R_PRINTED,
            );
        }
        // RMST differences versus the reference
        let diffs = &a.rmst_difference;
        assert_eq!(result.rmst_differences.len(), diffs.len());
        for rd in diffs {
            let arm = rd.arm.as_str();
            let d = result
                .rmst_differences
                .iter()
                .filter_map(Outcome::computed)
                .find(|d| d.arm == arm)
                .unwrap();
            let w = format!("{label} {arm} vs {reference}");
            assert_eq!(d.reference, reference);
            for (what, got, reference) in [
                ("difference", d.difference.estimate, rd.difference),
                ("se", d.difference.std_error, rd.std_err),
                ("lower", d.difference.confidence_interval.lower, rd.lower),
                ("upper", d.difference.confidence_interval.upper, rd.upper),
                ("p", d.difference.p_value, rd.p_value),
            ] {
                assert_close(&format!("{w} RMST {what}"), got, reference, R_PRINTED);
            }
        }
    }
}

#[test]
fn time_to_surgery_on_disc_cohort_matches_r_derivation_and_survival() {
    let g = golden();
    let cohort = load("disc_degeneration");
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let c = case(&g, "disc_surgery");
    assert_derived_match(&cohort, &data, &c.derived, "disc surgery");
    check_analysis(&cohort, &data, c, "disc surgery");
}

#[test]
fn time_to_rescue_on_disc_cohort_matches_r_derivation_and_survival() {
    let g = golden();
    let cohort = load("disc_degeneration");
    let data = cohort
        .time_to_event(EventEndpoint::RescueMedication)
        .unwrap();
    let c = case(&g, "disc_rescue");
    assert_derived_match(&cohort, &data, &c.derived, "disc rescue");
    check_analysis(&cohort, &data, c, "disc rescue");
}

#[test]
fn time_to_surgery_on_knee_trial_matches_r_derivation_and_survival() {
    let g = golden();
    let cohort = load("knee_oa_trial");
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let c = case(&g, "knee_surgery");
    assert_derived_match(&cohort, &data, &c.derived, "knee surgery");
    check_analysis(&cohort, &data, c, "knee surgery");
}

#[test]
fn loss_of_response_on_disc_cohort_matches_r_derivation_and_survival() {
    let g = golden();
    let cohort = load("disc_degeneration");
    let wide = cohort.wide("nrs").unwrap();
    let rule = RuleChoice::Immpact30.rule(&wide.instrument, None).unwrap();
    let lor =
        time_to_loss_of_response(&cohort, &wide, &rule, &LossOfResponseOptions::default()).unwrap();
    let c = case(&g, "disc_loss_of_response_nrs_immpact30");
    assert_derived_match(&cohort, &lor.data, &c.derived, "disc loss of response");
    for e in c.excluded.as_ref().expect("excluded patients") {
        let arm = e.arm.as_str();
        let ours = lor.attrition.arm(arm).unwrap();
        let no_baseline = ours.excluded_for(ExclusionReason::NoBaseline);
        let never_responded = ours.excluded_for(ExclusionReason::NeverResponded);
        assert_eq!(no_baseline as f64, e.no_baseline, "{arm}");
        assert_eq!(never_responded as f64, e.never_responded, "{arm}");
    }
    check_analysis(&cohort, &lor.data, c, "disc loss of response");
}

fn small_cohort(events: &str) -> Cohort {
    let mut a = String::from("patient_id,therapy,day,instrument,score\n");
    for i in 0..10 {
        let arm = if i % 2 == 0 { "prp" } else { "usual_care" };
        a += &format!("P{i},{arm},0,nrs,7\nP{i},{arm},{},nrs,5\n", 100 + 30 * i);
    }
    let e = format!("patient_id,event,day,detail,grade\n{events}");
    pain_outcomes::data::read_csv_texts(&a, None, Some(&e), &Default::default())
        .unwrap()
        .cohort
}

#[test]
fn analysis_refuses_cox_for_an_arm_without_events_or_no_events_at_all() {
    // surgeries only in the prp arm: the prp coefficient diverges (monotone likelihood)
    let cohort = small_cohort("P0,surgery,50,x,\nP2,surgery,90,x,\nP4,surgery,120,x,\n");
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let r = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default()).unwrap();
    assert_eq!(
        r.cox.fit.refusal().map(|x| x.reason),
        Some(RefusalReason::MonotoneLikelihood)
    );
    assert!(r.cox.proportional_hazards.is_none());
    assert_eq!(r.arms[0].follow_up.total_events(), 3);
    // no surgery at all: every patient censored
    let cohort = small_cohort("");
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let r = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default()).unwrap();
    assert_eq!(
        r.cox.fit.refusal().map(|x| x.reason),
        Some(RefusalReason::NoEvents)
    );
}

#[test]
fn analysis_rejects_unknown_reference_arm_and_bad_tau() {
    let cohort = small_cohort("P1,surgery,50,x,\nP2,surgery,90,x,\n");
    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    for options in [
        TimeToEventOptions::default().with_reference_arm("placebo"),
        TimeToEventOptions::default().with_tau(-1.0),
        TimeToEventOptions::default().with_tau(f64::NAN),
        TimeToEventOptions::default().with_confidence_level(1.5),
    ] {
        let err = analyse_time_to_event(&cohort, &data, &options).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
    }
    assert!(cohort.time_to_event(EventEndpoint::LossOfResponse).is_err());
}
