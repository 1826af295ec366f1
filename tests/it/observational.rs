//! Registry comparisons (propensity scores, weights, balance, matching, weighted outcomes)
//! against R `glm`, the weighting formulas, `survey::svyglm` and `MatchIt::matchit`
//! (tests/reference/observational.R), on the bundled tendinopathy registry and a held-out
//! registry with strong confounding by indication; and the refusals.

use std::collections::HashMap;

use pain_outcomes::analysis::{
    PropensityCovariate, RegistryComparison, RegistryOptions, registry_comparison,
};
use pain_outcomes::data::{CsvFiles, read_csv_files};
use pain_outcomes::stats::weighting::{Stabilisation, WeightEstimand, WeightOptions};
use pain_outcomes::{Outcome, RefusalReason};
use serde::Deserialize;

use crate::common::golden;
use crate::common::tol::{ITERATIVE, NEWTON_FIT, assert_close, assert_close_abs};

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    data: String,
    events: String,
    treated: String,
    comparator: String,
    visit: String,
    caliper: f64,
    n_treated: usize,
    n_comparator: usize,
    patient_ids: Vec<String>,
    propensity: Propensity,
    unweighted: Outcomes,
    estimands: Vec<EstimandCase>,
    matching: Matching,
    cox_kernel: Vec<CoxKernel>,
}

#[derive(Deserialize)]
struct CoxKernel {
    ties: String,
    coef: Vec<f64>,
    robust_se: Vec<f64>,
    naive_se: Vec<f64>,
    loglik: Vec<f64>,
}

#[derive(Deserialize)]
struct Propensity {
    terms: Vec<String>,
    coef: Vec<f64>,
    se: Vec<f64>,
    deviance: f64,
    ps: Vec<f64>,
    logit: Vec<f64>,
}

#[derive(Deserialize)]
struct Balance {
    term: String,
    mean_treated: f64,
    mean_comparator: f64,
    smd: f64,
    variance_ratio: Option<f64>,
}

#[derive(Deserialize)]
struct Effect {
    estimate: f64,
    se: f64,
}

#[derive(Deserialize)]
struct Responders {
    rate_treated: f64,
    rate_comparator: f64,
    rd: f64,
    rd_se: f64,
    log_rr: f64,
    log_rr_se: f64,
    rr_lower: f64,
    rr_upper: f64,
    e_value: EValueRef,
}

#[derive(Deserialize)]
struct Cox {
    coef: f64,
    robust_se: f64,
    n: usize,
    events: usize,
    surgery_free_treated: Vec<f64>,
    surgery_free_comparator: Vec<f64>,
    e_value: EValueRef,
}

#[derive(Deserialize)]
struct EValueRef {
    point: f64,
    limit: f64,
}

#[derive(Deserialize)]
struct Outcomes {
    balance: Vec<Balance>,
    change: Effect,
    doubly_robust: Effect,
    responders: Responders,
    cox: Cox,
}

#[derive(Deserialize)]
struct EstimandCase {
    estimand: String,
    weights: Vec<f64>,
    ess_treated: f64,
    ess_comparator: f64,
    #[serde(flatten)]
    outcomes: Outcomes,
}

#[derive(Deserialize)]
struct Matching {
    caliper_logit: f64,
    pairs: Vec<(String, String)>,
    n_matched: usize,
    balance: Vec<Balance>,
    change: Effect,
}

fn path(relative: &str) -> String {
    format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

fn load(case: &Case) -> pain_outcomes::Cohort {
    let files = CsvFiles::new(path(&case.data)).with_events(path(&case.events));
    read_csv_files(&files, &Default::default())
        .expect("the case's files")
        .cohort
}

fn weight_options(estimand: &str) -> WeightOptions {
    match estimand {
        "ate" => WeightOptions::default(),
        "ate_stabilised" => WeightOptions::default().with_stabilisation(Stabilisation::Stabilised),
        "att" => WeightOptions::default().with_estimand(WeightEstimand::Att),
        "overlap" => WeightOptions::default().with_estimand(WeightEstimand::Overlap),
        other => panic!("unknown estimand {other}"),
    }
}

fn run(case: &Case, cohort: &pain_outcomes::Cohort, weights: WeightOptions) -> RegistryComparison {
    let wide = cohort.wide("nrs").expect("nrs");
    let options = RegistryOptions::new(&case.treated, &case.comparator)
        .with_weights(weights)
        .with_caliper(case.caliper);
    registry_comparison(cohort, &wide, &options)
        .expect("valid options")
        .into_result()
        .expect("computed")
}

fn check_balance(
    what: &str,
    got: &[pain_outcomes::stats::weighting::CovariateBalance],
    terms: &[String],
    reference: &[Balance],
) {
    assert_eq!(got.len(), reference.len(), "{what}: number of terms");
    for ((b, term), r) in got.iter().zip(terms).zip(reference) {
        assert_eq!(*term, r.term, "{what}: term order");
        let w = format!("{what} {term}");
        assert_close(
            &format!("{w} mean treated"),
            b.mean_treated,
            r.mean_treated,
            NEWTON_FIT,
        );
        assert_close(
            &format!("{w} mean comparator"),
            b.mean_comparator,
            r.mean_comparator,
            NEWTON_FIT,
        );
        if r.smd.abs() < 1e-9 {
            // overlap weights balance the propensity model's terms exactly (Li, Morgan &
            // Zaslavsky 2018): both sides are rounding error around 0
            assert_close_abs(&format!("{w} smd"), b.smd, r.smd, 1e-9);
        } else {
            assert_close(&format!("{w} smd"), b.smd, r.smd, ITERATIVE);
        }
        match (b.variance_ratio, r.variance_ratio) {
            (Some(a), Some(e)) => assert_close(&format!("{w} variance ratio"), a, e, ITERATIVE),
            (None, None) => {}
            other => panic!("{w} variance ratio: {other:?}"),
        }
    }
}

fn check_effect(what: &str, got: &Outcome<pain_outcomes::stats::Estimate>, r: &Effect) {
    let e = got
        .computed()
        .unwrap_or_else(|| panic!("{what}: refused {got}"));
    assert_close(
        &format!("{what} estimate"),
        e.estimate,
        r.estimate,
        ITERATIVE,
    );
    assert_close(&format!("{what} se"), e.std_error, r.se, ITERATIVE);
}

fn check_outcomes(what: &str, got: &RegistryComparison, weighted: bool, r: &Outcomes) {
    let change = got.change.as_ref().expect("a visit");
    let responders = got.responders.as_ref().expect("a visit");
    let (c, rates) = if weighted {
        (&change.weighted, &responders.weighted)
    } else {
        (&change.unweighted, &responders.unweighted)
    };
    check_effect(&format!("{what} change"), c, &r.change);
    if weighted {
        check_effect(
            &format!("{what} doubly robust"),
            &change.doubly_robust,
            &r.doubly_robust,
        );
    }
    let surgery = &got.time_to_surgery;
    assert_eq!(
        (surgery.n, surgery.events),
        (r.cox.n, r.cox.events),
        "{what}: Cox n, events"
    );
    let cox = if weighted {
        &surgery.weighted
    } else {
        &surgery.unweighted
    };
    let cox = cox
        .computed()
        .unwrap_or_else(|| panic!("{what}: Cox refused"));
    assert_close(
        &format!("{what} cox coef"),
        cox.estimate,
        r.cox.coef,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} cox robust se"),
        cox.std_error,
        r.cox.robust_se,
        ITERATIVE,
    );
    for (k, at) in surgery.survival.iter().enumerate() {
        let (t, c) = if weighted {
            (at.treated_weighted, at.comparator_weighted)
        } else {
            (at.treated, at.comparator)
        };
        let day = at.day;
        assert_close(
            &format!("{what} surgery-free treated day {day}"),
            t,
            r.cox.surgery_free_treated[k],
            ITERATIVE,
        );
        assert_close(
            &format!("{what} surgery-free comparator day {day}"),
            c,
            r.cox.surgery_free_comparator[k],
            ITERATIVE,
        );
    }
    if weighted {
        let e = surgery.e_value.expect("an E-value of the weighted HR");
        assert_close(
            &format!("{what} HR E-value"),
            e.point,
            r.cox.e_value.point,
            ITERATIVE,
        );
        assert_close(
            &format!("{what} HR E-value limit"),
            e.limit,
            r.cox.e_value.limit,
            ITERATIVE,
        );
    }
    let rates = rates
        .computed()
        .unwrap_or_else(|| panic!("{what}: responders refused"));
    let rr = &r.responders;
    assert_close(
        &format!("{what} rate treated"),
        rates.rate_treated,
        rr.rate_treated,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} rate comparator"),
        rates.rate_comparator,
        rr.rate_comparator,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} rd"),
        rates.risk_difference.estimate,
        rr.rd,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} rd se"),
        rates.risk_difference.std_error,
        rr.rd_se,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} log rr"),
        rates.risk_ratio.ln(),
        rr.log_rr,
        ITERATIVE,
    );
    let log_rr_se = (rates.risk_ratio_interval.upper.ln() - rates.risk_ratio.ln())
        / pain_outcomes::stats::dist::t_quantile(0.975, rates.risk_difference.df.expect("t df"));
    assert_close(
        &format!("{what} log rr se"),
        log_rr_se,
        rr.log_rr_se,
        ITERATIVE,
    );
    assert_close(
        &format!("{what} rr lower"),
        rates.risk_ratio_interval.lower,
        rr.rr_lower,
        ITERATIVE,
    );
    if weighted {
        let e = rates.e_value.expect("an E-value of the weighted RR");
        assert_close(
            &format!("{what} RR E-value"),
            e.point,
            rr.e_value.point,
            ITERATIVE,
        );
        assert_close(
            &format!("{what} RR E-value limit"),
            e.limit,
            rr.e_value.limit,
            ITERATIVE,
        );
    }
    assert_close(
        &format!("{what} rr upper"),
        rates.risk_ratio_interval.upper,
        rr.rr_upper,
        ITERATIVE,
    );
}

#[test]
fn registry_comparison_matches_glm_svyglm_and_matchit() {
    let g: Golden = golden::load("observational");
    assert_eq!(g.cases.len(), 2);
    for case in &g.cases {
        let cohort = load(case);
        for est in &case.estimands {
            let what = format!("{} {}", case.name, est.estimand);
            let r = run(case, &cohort, weight_options(&est.estimand));
            let ess = &r.effective_sample_sizes;
            assert_eq!(
                (ess.n_treated, ess.n_comparator),
                (case.n_treated, case.n_comparator)
            );
            assert_eq!(r.change.as_ref().expect("visit").visit, case.visit);
            // propensity model
            let p = &r.propensity_model;
            for (k, term) in case.propensity.terms.iter().enumerate() {
                assert_eq!(p.coefficients[k].label, *term, "{what} term order");
                assert_close(
                    &format!("{what} coef {term}"),
                    p.coefficients[k].estimate,
                    case.propensity.coef[k],
                    NEWTON_FIT,
                );
                assert_close(
                    &format!("{what} se {term}"),
                    p.coefficients[k].std_error,
                    case.propensity.se[k],
                    NEWTON_FIT,
                );
            }
            assert_close(
                &format!("{what} deviance"),
                p.deviance,
                case.propensity.deviance,
                NEWTON_FIT,
            );
            // scores and weights by patient
            let units: HashMap<&str, &pain_outcomes::analysis::PropensityUnit> =
                r.units.iter().map(|u| (u.patient_id.as_str(), u)).collect();
            assert_eq!(units.len(), case.patient_ids.len());
            for (i, id) in case.patient_ids.iter().enumerate() {
                let u = units[id.as_str()];
                assert_close(
                    &format!("{what} ps {id}"),
                    u.propensity_score,
                    case.propensity.ps[i],
                    NEWTON_FIT,
                );
                assert_close(
                    &format!("{what} logit {id}"),
                    u.logit,
                    case.propensity.logit[i],
                    NEWTON_FIT,
                );
                assert_close(
                    &format!("{what} weight {id}"),
                    u.weight,
                    est.weights[i],
                    NEWTON_FIT,
                );
            }
            assert_close(
                &format!("{what} ess treated"),
                ess.ess_treated,
                est.ess_treated,
                NEWTON_FIT,
            );
            assert_close(
                &format!("{what} ess comparator"),
                ess.ess_comparator,
                est.ess_comparator,
                NEWTON_FIT,
            );
            // balance
            let terms: Vec<String> = r.balance.rows.iter().map(|b| b.term.clone()).collect();
            let before: Vec<_> = r.balance.rows.iter().map(|b| b.before.clone()).collect();
            let weighted: Vec<_> = r.balance.rows.iter().map(|b| b.weighted.clone()).collect();
            check_balance(
                &format!("{what} before"),
                &before,
                &terms,
                &case.unweighted.balance,
            );
            check_balance(
                &format!("{what} weighted"),
                &weighted,
                &terms,
                &est.outcomes.balance,
            );
            // outcomes
            check_outcomes(&format!("{what} unweighted"), &r, false, &case.unweighted);
            check_outcomes(&format!("{what} weighted"), &r, true, &est.outcomes);
            // matching: identical pairs in MatchIt's order
            let m = r.matching.as_ref().expect("a caliper");
            assert_close(
                &format!("{what} caliper"),
                m.caliper,
                case.matching.caliper_logit,
                NEWTON_FIT,
            );
            let pairs: Vec<(String, String)> = m
                .pairs
                .iter()
                .map(|p| (p.treated.clone(), p.comparator.clone()))
                .collect();
            let mut got_sorted = pairs.clone();
            got_sorted.sort();
            let mut ref_sorted = case.matching.pairs.clone();
            ref_sorted.sort();
            assert_eq!(got_sorted, ref_sorted, "{what}: matched pairs");
            assert_eq!(2 * pairs.len(), case.matching.n_matched);
            let matched: Vec<_> = r
                .balance
                .rows
                .iter()
                .map(|b| b.matched.clone().expect("matched balance"))
                .collect();
            check_balance(
                &format!("{what} matched"),
                &matched,
                &terms,
                &case.matching.balance,
            );
            let change = r.change.as_ref().expect("visit");
            check_effect(
                &format!("{what} matched change"),
                change.matched.as_ref().expect("matched"),
                &case.matching.change,
            );
        }
    }
}

fn registry() -> pain_outcomes::Cohort {
    let files = CsvFiles::new(path("datasets/tendinopathy_registry.csv"));
    read_csv_files(&files, &Default::default())
        .expect("bundled registry")
        .cohort
}

#[test]
fn registry_comparison_refuses_separation_no_overlap_empty_groups_and_low_ess() {
    let cohort = registry();
    let wide = cohort.wide("nrs").expect("nrs");
    // an unknown group is an input error listing what exists
    let e = registry_comparison(
        &cohort,
        &wide,
        &RegistryOptions::new("stem_cell", "surgery"),
    )
    .expect_err("unknown comparator");
    assert!(e.to_string().contains("corticosteroid"), "{e}");
    // complete separation: a covariate equal to the treatment indicator
    let flag: Vec<Option<f64>> = cohort
        .patients()
        .iter()
        .map(|p| Some(f64::from(u8::from(p.therapy.to_string() == "stem_cell"))))
        .collect();
    let separated = cohort.with_covariate("flag", &flag).expect("column");
    let wide_s = separated.wide("nrs").expect("nrs");
    let options = RegistryOptions::new("stem_cell", "corticosteroid").with_covariates(vec![
        PropensityCovariate::Baseline,
        "flag".parse().expect("name"),
    ]);
    let r = registry_comparison(&separated, &wide_s, &options).expect("valid");
    assert_eq!(
        r.refusal().expect("refused").reason,
        RefusalReason::MonotoneLikelihood
    );
    // trimming: units outside [alpha, 1 - alpha] get weight 0
    let trimmed = RegistryOptions::new("stem_cell", "corticosteroid")
        .with_weights(WeightOptions::default().with_trim(0.45));
    match registry_comparison(&cohort, &wide, &trimmed).expect("valid") {
        Outcome::Computed(r) => {
            assert!(r.units.iter().any(|u| u.weight == 0.0));
            for u in &r.units {
                let kept = (0.45..=0.55).contains(&u.propensity_score);
                assert_eq!(u.weight > 0.0, kept, "{}", u.patient_id);
            }
        }
        Outcome::Refused(refusal) => assert_eq!(refusal.reason, RefusalReason::EmptyGroup),
    }
    // an empty comparator: every comparator patient lacks the covariate
    let partial: Vec<Option<f64>> = cohort
        .patients()
        .iter()
        .map(|p| (p.therapy.to_string() != "corticosteroid").then_some(1.0))
        .collect();
    let holes = cohort.with_covariate("dose", &partial).expect("column");
    let wide_h = holes.wide("nrs").expect("nrs");
    let options = RegistryOptions::new("stem_cell", "corticosteroid")
        .with_covariates(vec!["dose".parse().expect("name")]);
    let r = registry_comparison(&holes, &wide_h, &options).expect("valid");
    assert_eq!(
        r.refusal().expect("refused").reason,
        RefusalReason::EmptyGroup
    );
    // an ESS floor above the group sizes refuses the weighted estimates only
    let strict = RegistryOptions::new("stem_cell", "corticosteroid").with_ess_floor(1000.0);
    let r = registry_comparison(&cohort, &wide, &strict)
        .expect("valid")
        .into_result()
        .expect("computed");
    let change = r.change.expect("visit");
    assert_eq!(
        change.weighted.refusal().expect("refused").reason,
        RefusalReason::TooFewObservations
    );
    assert!(change.unweighted.computed().is_some());
}

#[test]
fn registry_comparison_refuses_when_scores_do_not_overlap() {
    // a covariate that nearly separates: overlap fails before separation is declared
    let cohort = registry();
    let age_like: Vec<Option<f64>> = cohort
        .patients()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let s = if p.therapy.to_string() == "stem_cell" {
                10.0
            } else {
                0.0
            };
            Some(s + (i % 7) as f64)
        })
        .collect();
    let c = cohort.with_covariate("shift", &age_like).expect("column");
    let wide = c.wide("nrs").expect("nrs");
    let options = RegistryOptions::new("stem_cell", "corticosteroid")
        .with_covariates(vec!["shift".parse().expect("name")]);
    let r = registry_comparison(&c, &wide, &options).expect("valid");
    let refusal = r.refusal().expect("refused");
    assert!(
        matches!(
            refusal.reason,
            RefusalReason::MonotoneLikelihood | RefusalReason::NotEstimable
        ),
        "{refusal}"
    );
}

#[derive(Deserialize)]
struct MultinomialGolden {
    groups: Vec<String>,
    terms: Vec<String>,
    coef: Vec<Vec<f64>>,
    se: Vec<Vec<f64>>,
    deviance: f64,
    patient_ids: Vec<String>,
    probability: Vec<f64>,
    weight: Vec<f64>,
    n: Vec<usize>,
    ess: Vec<f64>,
}

/// `nnet::multinom` maximises by BFGS (reltol 1e-16 in the script) and its standard errors
/// come from a Hessian by finite differences: they agree with the exact Newton fit to a few
/// units in 1e-6 only.
const MULTINOM_BFGS: f64 = 1e-5;

#[test]
fn generalised_propensity_matches_nnet_multinom() {
    let g: MultinomialGolden = golden::load("observational_multinomial");
    let cohort = registry();
    let wide = cohort.wide("nrs").expect("nrs");
    let covariates = RegistryOptions::new("a", "b").covariates;
    let r = pain_outcomes::analysis::generalised_propensity(&cohort, &wide, &g.groups, &covariates)
        .expect("valid")
        .into_result()
        .expect("computed");
    assert_eq!(r.terms, g.terms[1..].to_vec());
    for (k, row) in r.model.coefficients.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            let what = format!("{} {}", g.groups[k + 1], g.terms[j]);
            assert_close(
                &format!("{what} coef"),
                c.estimate,
                g.coef[k][j],
                MULTINOM_BFGS,
            );
            assert_close(
                &format!("{what} se"),
                c.std_error,
                g.se[k][j],
                MULTINOM_BFGS,
            );
        }
    }
    assert_close("deviance", r.model.deviance, g.deviance, ITERATIVE);
    let units: HashMap<&str, &pain_outcomes::analysis::GeneralisedUnit> =
        r.units.iter().map(|u| (u.patient_id.as_str(), u)).collect();
    assert_eq!(units.len(), g.patient_ids.len());
    for (i, id) in g.patient_ids.iter().enumerate() {
        let u = units[id.as_str()];
        assert_close(
            &format!("probability {id}"),
            u.probability,
            g.probability[i],
            MULTINOM_BFGS,
        );
        assert_close(
            &format!("weight {id}"),
            u.weight,
            g.weight[i],
            MULTINOM_BFGS,
        );
    }
    for (k, s) in r.sizes.iter().enumerate() {
        assert_eq!(s.n, g.n[k]);
        assert_close(&format!("ess {}", s.group), s.ess, g.ess[k], MULTINOM_BFGS);
    }
}

#[test]
fn weighted_cox_kernel_matches_coxph_weights_robust_efron_and_breslow() {
    use pain_outcomes::data::EventEndpoint;
    use pain_outcomes::stats::survival::{CoxData, CoxOptions, CoxVariance, Status, Ties, cox_ph};
    let g: Golden = golden::load("observational");
    for case in &g.cases {
        let cohort = load(case);
        let r = run(case, &cohort, WeightOptions::default());
        let weight: HashMap<&str, (bool, f64)> = r
            .units
            .iter()
            .map(|u| (u.patient_id.as_str(), (u.treated, u.weight)))
            .collect();
        let tte = cohort.time_to_event(EventEndpoint::Surgery).expect("times");
        let (mut time, mut status, mut x, mut w) = (vec![], vec![], vec![], vec![]);
        let mut age = vec![];
        for (k, &p) in tte.patients.iter().enumerate() {
            let patient = &cohort.patients()[p];
            if let Some(&(t, wt)) = weight.get(patient.id.as_str()) {
                time.push(tte.time[k]);
                status.push(if tte.end[k].is_event() {
                    Status::Event
                } else {
                    Status::Censored
                });
                x.push(f64::from(u8::from(t)));
                age.push(patient.age.expect("age"));
                w.push(wt);
            }
        }
        x.extend(age);
        let m = nalgebra::DMatrix::from_column_slice(time.len(), 2, &x);
        for k in &case.cox_kernel {
            let what = format!("{} weighted cox {}", case.name, k.ties);
            let ties = if k.ties == "efron" {
                Ties::Efron
            } else {
                Ties::Breslow
            };
            let data = CoxData::new(&time, &status, &m)
                .and_then(|d| d.with_names(&["treated", "age"]))
                .and_then(|d| d.with_weights(&w))
                .expect("data");
            let options = CoxOptions::default()
                .with_ties(ties)
                .with_variance(CoxVariance::Robust);
            let fit = cox_ph(&data, &options)
                .expect("valid")
                .into_result()
                .expect("fit");
            for (j, c) in fit.coefficients.iter().enumerate() {
                assert_close(
                    &format!("{what} coef {j}"),
                    c.estimate,
                    k.coef[j],
                    ITERATIVE,
                );
                assert_close(
                    &format!("{what} robust se {j}"),
                    c.std_error,
                    k.robust_se[j],
                    ITERATIVE,
                );
                let naive = c.naive_std_error.expect("naive SE");
                assert_close(
                    &format!("{what} naive se {j}"),
                    naive,
                    k.naive_se[j],
                    ITERATIVE,
                );
            }
            assert_close(
                &format!("{what} loglik null"),
                fit.log_likelihood_null,
                k.loglik[0],
                ITERATIVE,
            );
            assert_close(
                &format!("{what} loglik"),
                fit.log_likelihood,
                k.loglik[1],
                ITERATIVE,
            );
        }
    }
}
