//! Compare-family statistics match R (`t.test`, `wilcox.test`, `aov`, `oneway.test`,
//! `kruskal.test`, `chisq.test`, `fisher.test`, `prop.test`, `p.adjust`, `lm` + `drop1`/`anova`,
//! `emmeans`, `quantile(type = 7)`, metafor `escalc`) on committed data.
//!
//! Each golden file is written by `tests/reference/compare_golden.R` from the CSV named in its
//! provenance; `tests/reference/run_compare.sh` regenerates all of them.

use crate::common::golden::{self, Provenance};
use crate::common::tol::{self, R_PRINTED};
use pain_outcomes::stats::adjust::{AdjustMethod, adjust_p_values};
use pain_outcomes::stats::ancova::{AncovaOptions, ancova};
use pain_outcomes::stats::describe::{
    DescribeOptions, MissingVisitPolicy, area_under_trajectory, change_from_baseline, describe,
};
use pain_outcomes::stats::effect_size::{SmdEstimator, standardized_mean_difference};
use pain_outcomes::stats::hypothesis::{
    Alternative, ContinuityCorrection, RankPValue, RankTestOptions, TTestOptions, Variances,
    chi_squared_test, fisher_exact_test, kruskal_wallis_test, mann_whitney_u_test,
    one_sample_t_test, one_way_anova, paired_t_test, proportion_test, two_sample_t_test,
    wilcoxon_signed_rank_test,
};
use pain_outcomes::stats::onset::onset_and_durability;
use pain_outcomes::stats::responders::{
    ComparisonOptions, Evaluation, IntercurrentStrategy, MissingPolicy, NntInterval, ResponderRule,
    compare_responder_rates, count_responders, responder_rate,
};
use pain_outcomes::stats::{Proportion, TwoByTwo};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Iterative quantities (R's `uniroot` in `fisher.test`) are compared loosely, see the script.
const UNIROOT: f64 = 1e-3;

/// Counts comparisons so that a test can assert how many goldens were checked.
struct Check {
    count: usize,
}

impl Check {
    fn new() -> Self {
        Self { count: 0 }
    }
    #[track_caller]
    fn close(&mut self, what: &str, got: f64, reference: f64, tol: f64) {
        tol::assert_close(what, got, reference, tol);
        self.count += 1;
    }
    /// [`close`](Self::close) for each `(label, got, reference)` field of one result, each
    /// reported as `"{what} {label}"`.
    #[track_caller]
    fn close_all(&mut self, what: &str, tol: f64, fields: &[(&str, f64, f64)]) {
        for &(label, got, reference) in fields {
            self.close(&format!("{what} {label}"), got, reference, tol);
        }
    }
    #[track_caller]
    fn eq_u(&mut self, what: &str, got: u64, reference: u64) {
        assert_eq!(got, reference, "{what}");
        self.count += 1;
    }
}

/// A golden file written by `tests/reference/compare_golden.R`.
#[derive(Deserialize)]
struct Golden {
    provenance: Provenance,
    arms: Vec<String>,
    second_instrument: String,
    reference: String,
    treatment: String,
    other: String,
    /// Visit labels in time order; the first is the baseline.
    visits: Vec<String>,
    describe: Vec<DescribeRow>,
    change_describe: Vec<ChangeDescribe>,
    auc: Vec<Auc>,
    t_tests: TTests,
    wilcox: Wilcox,
    anova: ByInstrument<Anova>,
    responders: Responders,
    onset: Vec<Onset>,
    adjust: Adjust,
    effect_size: EffectSize,
    ancova: Ancovas,
}

/// `describe` of one arm at one visit (NRS).
#[derive(Deserialize)]
struct DescribeRow {
    arm: String,
    visit: String,
    n: u64,
    n_missing: u64,
    mean: f64,
    sd: f64,
    se: f64,
    ci_lower: f64,
    ci_upper: f64,
    median: f64,
    q1: f64,
    q3: f64,
    min: f64,
    max: f64,
}

/// `describe` of the change and percent change from baseline to the last visit, one arm.
#[derive(Deserialize)]
struct ChangeDescribe {
    arm: String,
    change: Summary,
    percent_change: Summary,
}

#[derive(Deserialize)]
struct Summary {
    n: u64,
    mean: f64,
    sd: f64,
    ci_lower: f64,
    median: f64,
    q3: f64,
}

#[derive(Deserialize)]
struct Auc {
    patient_id: String,
    area: f64,
    normalized: f64,
}

#[derive(Deserialize)]
struct TTest {
    statistic: f64,
    df: f64,
    p_value: f64,
    estimate: f64,
    ci_lower: f64,
    ci_upper: f64,
}

#[derive(Deserialize)]
struct OneSided {
    p_value: f64,
    bound: f64,
}

#[derive(Deserialize)]
struct TTests {
    welch: TTest,
    student: TTest,
    welch_less: OneSided,
    paired: TTest,
    one_sample: TTest,
    welch_second: TTest,
}

/// A test statistic and its p-value.
#[derive(Deserialize)]
struct Stat {
    statistic: f64,
    p_value: f64,
}

/// A rank test on data given in the golden, with whether R used the exact distribution.
#[derive(Deserialize)]
struct ExactRank {
    x: Vec<f64>,
    y: Vec<f64>,
    exact: bool,
    statistic: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct Wilcox {
    rank_sum_ties: Stat,
    rank_sum_ties_no_correction: Stat,
    rank_sum_exact: ExactRank,
    rank_sum_exact_greater: Stat,
    signed_rank_exact: ExactRank,
    signed_rank_ties: Stat,
}

/// One value for the NRS and one for the golden's second instrument.
#[derive(Deserialize)]
struct ByInstrument<T> {
    nrs: T,
    second: T,
}

#[derive(Deserialize)]
struct Anova {
    aov_f: f64,
    aov_p: f64,
    ss_between: f64,
    ss_within: f64,
    df_within: f64,
    welch_f: f64,
    welch_df2: f64,
    welch_p: f64,
    kruskal_h: f64,
    kruskal_p: f64,
}

/// Responder counts of one arm: IMMPACT 30% with non-responder imputation, and the MCID
/// (2-point) rule on observed cases, each with its Wilson interval.
#[derive(Deserialize)]
struct ResponderRow {
    arm: String,
    immpact30_nri: u64,
    n_nri: u64,
    wilson_lower: f64,
    wilson_upper: f64,
    mcid_oc: u64,
    n_oc: u64,
    mcid_wilson_lower: f64,
    mcid_wilson_upper: f64,
}

/// `prop.test` of two proportions.
#[derive(Deserialize)]
struct PropTwo {
    statistic: f64,
    p_value: f64,
    ci_lower: f64,
    ci_upper: f64,
}

/// `fisher.test`, and the conditional MLE and interval solved tightly by the script.
#[derive(Deserialize)]
struct Fisher {
    p_value: f64,
    mle: f64,
    lower: f64,
    upper: f64,
    estimate_uniroot: f64,
    lower_uniroot: f64,
    upper_uniroot: f64,
}

#[derive(Deserialize)]
struct Responders {
    rows: Vec<ResponderRow>,
    chisq_k: Stat,
    prop_k: Stat,
    chisq_2x2_yates: Stat,
    chisq_2x2: Stat,
    prop_2_yates: PropTwo,
    prop_2: PropTwo,
    fisher: Fisher,
    risk_difference: f64,
    rd_lower: f64,
    rd_upper: f64,
    rr: f64,
    rr_lower: f64,
    rr_upper: f64,
    or: f64,
    or_lower: f64,
    or_upper: f64,
    nnt: f64,
    rd_crosses_zero: bool,
}

#[derive(Deserialize)]
struct Durability {
    prior: u64,
    still: u64,
    missing: u64,
}

#[derive(Deserialize)]
struct Onset {
    arm: String,
    /// Per patient: the number of the first responding follow-up visit (`null`: none).
    first_day: Vec<Option<f64>>,
    n_ever: u64,
    median_first: Option<f64>,
    durability: Vec<Durability>,
}

/// `p.adjust`: the pairwise Welch p-values (combn order) followed by fixed extras.
#[derive(Deserialize)]
struct Adjust {
    p: Vec<f64>,
    bonferroni: Vec<f64>,
    holm: Vec<f64>,
    hochberg: Vec<f64>,
    #[serde(rename = "BH")]
    bh: Vec<f64>,
}

#[derive(Deserialize)]
struct EffectSize {
    d: f64,
    d_var: f64,
    d_lower: f64,
    d_upper: f64,
    g: f64,
    g_var: f64,
    g_lower: f64,
    g_upper: f64,
    metafor_g: f64,
    metafor_g_var: f64,
}

/// `lm` + `drop1`/`anova` + `emmeans` of one ANCOVA; vectors are parallel to their names.
#[derive(Deserialize)]
struct Ancova {
    n: u64,
    df_residual: f64,
    sigma: f64,
    coef_names: Vec<String>,
    estimate: Vec<f64>,
    std_error: Vec<f64>,
    t_value: Vec<f64>,
    p_value: Vec<f64>,
    arm_f: f64,
    arm_p: f64,
    arm_ss: f64,
    anova_arm_f: f64,
    anova_arm_p: f64,
    emm_arm: Vec<String>,
    emmean: Vec<f64>,
    emm_se: Vec<f64>,
    emm_lower: Vec<f64>,
    emm_upper: Vec<f64>,
    contrast: Vec<String>,
    contrast_estimate: Vec<f64>,
    contrast_se: Vec<f64>,
    contrast_t: Vec<f64>,
    contrast_p: Vec<f64>,
    contrast_lower: Vec<f64>,
    contrast_upper: Vec<f64>,
}

#[derive(Deserialize)]
struct Ancovas {
    nrs: Ancova,
    nrs_age: Ancova,
    second: Ancova,
}

/// One patient's scores of one instrument, by visit day.
#[derive(Clone)]
struct PatientRow {
    arm: String,
    age: f64,
    /// visit label -> (day, score)
    scores: BTreeMap<String, (i64, Option<f64>)>,
}

struct Data {
    golden: Golden,
    /// instrument -> patient id (sorted) -> row
    wide: BTreeMap<String, BTreeMap<String, PatientRow>>,
    /// Visit labels in time order (from the golden file); the first is the baseline.
    visits: Vec<String>,
}

fn load(golden_path: &str) -> Data {
    let golden: Golden = golden::read(golden_path);
    let [data_path] = golden.provenance.data.as_slice() else {
        panic!("{golden_path}: expected one data file in the provenance");
    };
    let mut rdr = csv::Reader::from_path(data_path).expect("data file");
    let headers = rdr.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (ci, cp, ca, cd, cv, cs, cage) = (
        col("instrument"),
        col("patient_id"),
        col("therapy"),
        col("day"),
        col("visit"),
        col("score"),
        headers.iter().position(|h| h == "age"),
    );
    let mut wide: BTreeMap<String, BTreeMap<String, PatientRow>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.expect("record");
        let day: i64 = rec[cd].parse().expect("day");
        let score = if rec[cs].is_empty() {
            None
        } else {
            Some(rec[cs].parse::<f64>().expect("score"))
        };
        let age = cage
            .and_then(|c| rec.get(c))
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
        wide.entry(rec[ci].to_string())
            .or_default()
            .entry(rec[cp].to_string())
            .or_insert_with(|| PatientRow {
                arm: rec[ca].to_string(),
                age,
                scores: BTreeMap::new(),
            })
            .scores
            .insert(rec[cv].to_string(), (day, score));
    }
    let visits = golden.visits.clone();
    Data {
        golden,
        wide,
        visits,
    }
}

impl Data {
    fn rows(&self, instrument: &str) -> Vec<&PatientRow> {
        self.wide[instrument].values().collect()
    }
    fn arm_rows(&self, instrument: &str, arm: &str) -> Vec<&PatientRow> {
        self.rows(instrument)
            .into_iter()
            .filter(|r| r.arm == arm)
            .collect()
    }
    fn base(&self) -> &str {
        &self.visits[0]
    }
    fn last(&self) -> &str {
        self.visits.last().expect("visits")
    }
    fn s(&self, r: &PatientRow, visit: &str) -> Option<f64> {
        r.scores.get(visit).and_then(|v| v.1)
    }
    /// Observed change (last − baseline) in an arm, patients in id order.
    fn change(&self, instrument: &str, arm: &str) -> Vec<f64> {
        self.arm_rows(instrument, arm)
            .iter()
            .filter_map(|r| Some(self.s(r, self.last())? - self.s(r, self.base())?))
            .collect()
    }
}

fn golden_files() -> Vec<String> {
    let mut v = vec!["tests/golden/compare_small.json".to_string()];
    let bundled = "tests/golden/compare_knee_oa_trial.json";
    if std::path::Path::new(bundled).exists() {
        v.push(bundled.to_string());
    }
    v
}

fn check_describe(d: &Data, c: &mut Check) {
    for g in &d.golden.describe {
        let (arm, visit) = (g.arm.as_str(), g.visit.as_str());
        let vals: Vec<Option<f64>> = d
            .arm_rows("nrs", arm)
            .iter()
            .map(|r| d.s(r, visit))
            .collect();
        let r = describe(&vals, &DescribeOptions::default())
            .unwrap()
            .into_result()
            .unwrap();
        let w = format!("describe nrs {arm} {visit}");
        c.eq_u(&format!("{w} n"), r.n as u64, g.n);
        c.eq_u(&format!("{w} n_missing"), r.n_missing as u64, g.n_missing);
        c.close_all(
            &w,
            R_PRINTED,
            &[
                ("mean", r.mean, g.mean),
                ("sd", r.std_dev, g.sd),
                ("se", r.std_error, g.se),
                ("ci lower", r.confidence_interval.lower, g.ci_lower),
                ("ci upper", r.confidence_interval.upper, g.ci_upper),
                ("median", r.median, g.median),
                ("q1", r.first_quartile, g.q1),
                ("q3", r.third_quartile, g.q3),
                ("min", r.min, g.min),
                ("max", r.max, g.max),
            ],
        );
    }
    for g in &d.golden.change_describe {
        let arm = g.arm.as_str();
        let rows = d.arm_rows("nrs", arm);
        let b: Vec<Option<f64>> = rows.iter().map(|r| d.s(r, d.base())).collect();
        let y: Vec<Option<f64>> = rows.iter().map(|r| d.s(r, d.last())).collect();
        let ch = change_from_baseline(&b, &y).unwrap();
        for (key, v, gg) in [
            ("change", &ch.change, &g.change),
            ("percent_change", &ch.percent_change, &g.percent_change),
        ] {
            let r = describe(v, &DescribeOptions::default())
                .unwrap()
                .into_result()
                .unwrap();
            c.eq_u(&format!("{key} {arm} n"), r.n as u64, gg.n);
            c.close_all(
                &format!("{key} {arm}"),
                R_PRINTED,
                &[
                    ("mean", r.mean, gg.mean),
                    ("sd", r.std_dev, gg.sd),
                    ("ci lower", r.confidence_interval.lower, gg.ci_lower),
                    ("median", r.median, gg.median),
                    ("q3", r.third_quartile, gg.q3),
                ],
            );
        }
    }
}

fn check_auc(d: &Data, c: &mut Check) {
    for g in &d.golden.auc {
        let id = g.patient_id.as_str();
        let row = &d.wide["nrs"][id];
        let mut pts: Vec<(i64, Option<f64>)> = row.scores.values().copied().collect();
        pts.sort_by_key(|p| p.0);
        let days: Vec<f64> = pts.iter().map(|p| p.0 as f64).collect();
        let s: Vec<Option<f64>> = pts.iter().map(|p| p.1).collect();
        let a = area_under_trajectory(&days, &s, MissingVisitPolicy::SkipMissing)
            .unwrap()
            .into_result()
            .unwrap();
        c.close(&format!("auc {id}"), a.area, g.area, R_PRINTED);
        c.close(
            &format!("auc normalized {id}"),
            a.normalized_area,
            g.normalized,
            R_PRINTED,
        );
    }
}

fn check_t(c: &mut Check, what: &str, t: &pain_outcomes::stats::hypothesis::TTest, g: &TTest) {
    c.close_all(
        what,
        R_PRINTED,
        &[
            ("statistic", t.statistic, g.statistic),
            ("df", t.df, g.df),
            ("p", t.p_value, g.p_value),
            ("estimate", t.estimate, g.estimate),
        ],
    );
    let ci = t.confidence_interval.expect("two-sided CI");
    c.close(&format!("{what} ci lower"), ci.lower, g.ci_lower, R_PRINTED);
    c.close(&format!("{what} ci upper"), ci.upper, g.ci_upper, R_PRINTED);
}

fn check_t_tests(d: &Data, c: &mut Check) {
    let (t, r, o) = (&d.golden.treatment, &d.golden.reference, &d.golden.other);
    let g = &d.golden.t_tests;
    let (xt, xr) = (d.change("nrs", t), d.change("nrs", r));
    let welch = two_sample_t_test(&xt, &xr, &TTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    check_t(c, "welch", &welch, &g.welch);
    let student = two_sample_t_test(
        &xt,
        &xr,
        &TTestOptions::default().with_variances(Variances::Equal),
    )
    .unwrap()
    .into_result()
    .unwrap();
    check_t(c, "student", &student, &g.student);
    let less = two_sample_t_test(
        &xt,
        &xr,
        &TTestOptions::default().with_alternative(Alternative::Less),
    )
    .unwrap()
    .into_result()
    .unwrap();
    c.close(
        "welch less p",
        less.p_value,
        g.welch_less.p_value,
        R_PRINTED,
    );
    c.close(
        "welch less bound",
        less.confidence_bound.expect("bound"),
        g.welch_less.bound,
        R_PRINTED,
    );
    let pairs: Vec<(f64, f64)> = d
        .arm_rows("nrs", t)
        .iter()
        .filter_map(|row| Some((d.s(row, d.base())?, d.s(row, d.last())?)))
        .collect();
    let (b, l): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let paired = paired_t_test(&b, &l, &TTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    check_t(c, "paired", &paired, &g.paired);
    let one = one_sample_t_test(&xt, &TTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    check_t(c, "one sample", &one, &g.one_sample);
    let wv = two_sample_t_test(
        &d.change(&d.golden.second_instrument, o),
        &d.change(&d.golden.second_instrument, r),
        &TTestOptions::default(),
    )
    .unwrap()
    .into_result()
    .unwrap();
    check_t(c, "welch second instrument", &wv, &g.welch_second);
}

fn check_wilcox(d: &Data, c: &mut Check) {
    let (t, r) = (&d.golden.treatment, &d.golden.reference);
    let g = &d.golden.wilcox;
    let (xt, xr) = (d.change("nrs", t), d.change("nrs", r));
    let w = mann_whitney_u_test(&xt, &xr, &RankTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(w.p_value_method, RankPValue::NormalApproximation);
    c.close(
        "rank sum ties W",
        w.statistic,
        g.rank_sum_ties.statistic,
        R_PRINTED,
    );
    c.close(
        "rank sum ties p",
        w.p_value,
        g.rank_sum_ties.p_value,
        R_PRINTED,
    );
    let w = mann_whitney_u_test(
        &xt,
        &xr,
        &RankTestOptions::default().with_continuity_correction(ContinuityCorrection::None),
    )
    .unwrap()
    .into_result()
    .unwrap();
    c.close(
        "rank sum no cc p",
        w.p_value,
        g.rank_sum_ties_no_correction.p_value,
        R_PRINTED,
    );
    let ge = &g.rank_sum_exact;
    let (x, y) = (&ge.x, &ge.y);
    let w = mann_whitney_u_test(x, y, &RankTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(w.p_value_method == RankPValue::Exact, ge.exact);
    c.close("rank sum exact W", w.statistic, ge.statistic, R_PRINTED);
    c.close("rank sum exact p", w.p_value, ge.p_value, R_PRINTED);
    let w = mann_whitney_u_test(
        x,
        y,
        &RankTestOptions::default().with_alternative(Alternative::Greater),
    )
    .unwrap()
    .into_result()
    .unwrap();
    c.close(
        "rank sum exact greater p",
        w.p_value,
        g.rank_sum_exact_greater.p_value,
        R_PRINTED,
    );
    let gs = &g.signed_rank_exact;
    let v = wilcoxon_signed_rank_test(&gs.x, &gs.y, &RankTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(v.p_value_method == RankPValue::Exact, gs.exact);
    c.close("signed rank exact V", v.statistic, gs.statistic, R_PRINTED);
    c.close("signed rank exact p", v.p_value, gs.p_value, R_PRINTED);
    let pairs: Vec<(f64, f64)> = d
        .arm_rows("nrs", t)
        .iter()
        .filter_map(|row| Some((d.s(row, d.base())?, d.s(row, d.last())?)))
        .collect();
    let (b, l): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let v = wilcoxon_signed_rank_test(&b, &l, &RankTestOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    c.close(
        "signed rank ties V",
        v.statistic,
        g.signed_rank_ties.statistic,
        R_PRINTED,
    );
    c.close(
        "signed rank ties p",
        v.p_value,
        g.signed_rank_ties.p_value,
        R_PRINTED,
    );
}

fn check_anova(d: &Data, c: &mut Check) {
    let second = d.golden.second_instrument.as_str();
    let g = &d.golden.anova;
    for (instrument, g) in [("nrs", &g.nrs), (second, &g.second)] {
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for row in d.rows(instrument) {
            if let (Some(b), Some(l)) = (d.s(row, d.base()), d.s(row, d.last())) {
                values.push(l - b);
                labels.push(row.arm.clone());
            }
        }
        let a = one_way_anova(&values, &labels, Variances::Equal)
            .unwrap()
            .into_result()
            .unwrap();
        c.close_all(
            instrument,
            R_PRINTED,
            &[
                ("aov F", a.test.statistic, g.aov_f),
                ("aov p", a.test.p_value, g.aov_p),
                (
                    "aov SSB",
                    a.sum_of_squares_between.expect("ss"),
                    g.ss_between,
                ),
                ("aov SSW", a.sum_of_squares_within.expect("ss"), g.ss_within),
                ("aov df", a.test.df_denominator, g.df_within),
            ],
        );
        let w = one_way_anova(&values, &labels, Variances::Unequal)
            .unwrap()
            .into_result()
            .unwrap();
        c.close_all(
            instrument,
            R_PRINTED,
            &[
                ("welch F", w.test.statistic, g.welch_f),
                ("welch df2", w.test.df_denominator, g.welch_df2),
                ("welch p", w.test.p_value, g.welch_p),
            ],
        );
        let k = kruskal_wallis_test(&values, &labels)
            .unwrap()
            .into_result()
            .unwrap();
        c.close(
            &format!("{instrument} kruskal H"),
            k.statistic,
            g.kruskal_h,
            R_PRINTED,
        );
        c.close(
            &format!("{instrument} kruskal p"),
            k.p_value,
            g.kruskal_p,
            R_PRINTED,
        );
    }
}

fn evaluations(d: &Data, arm: &str, rule: &ResponderRule, visit: &str) -> Vec<Evaluation> {
    d.arm_rows("nrs", arm)
        .iter()
        .map(|r| rule.evaluate(d.s(r, d.base()), d.s(r, visit)))
        .collect()
}

fn check_responders(d: &Data, c: &mut Check) {
    let g = &d.golden.responders;
    let mut table = Vec::new();
    let mut counts = BTreeMap::new();
    for row in &g.rows {
        let arm = row.arm.as_str();
        let e30 = evaluations(d, arm, &ResponderRule::immpact_30_percent(), d.last());
        let n = count_responders(
            &e30,
            &[],
            MissingPolicy::NonResponderImputation,
            IntercurrentStrategy::NonResponse,
        )
        .unwrap();
        c.eq_u(
            &format!("{arm} immpact30 responders"),
            n.responders,
            row.immpact30_nri,
        );
        c.eq_u(&format!("{arm} immpact30 n"), n.analysed, row.n_nri);
        let rate = responder_rate(n.responders, n.analysed, 0.95)
            .unwrap()
            .into_result()
            .unwrap();
        c.close(
            &format!("{arm} wilson lower"),
            rate.confidence_interval.lower,
            row.wilson_lower,
            R_PRINTED,
        );
        c.close(
            &format!("{arm} wilson upper"),
            rate.confidence_interval.upper,
            row.wilson_upper,
            R_PRINTED,
        );
        let em = evaluations(d, arm, &ResponderRule::absolute_improvement(2.0), d.last());
        let m = count_responders(
            &em,
            &[],
            MissingPolicy::ObservedCases,
            IntercurrentStrategy::NonResponse,
        )
        .unwrap();
        c.eq_u(&format!("{arm} mcid responders"), m.responders, row.mcid_oc);
        c.eq_u(&format!("{arm} mcid n"), m.analysed, row.n_oc);
        let rate = responder_rate(m.responders, m.analysed, 0.95)
            .unwrap()
            .into_result()
            .unwrap();
        c.close(
            &format!("{arm} mcid wilson lower"),
            rate.confidence_interval.lower,
            row.mcid_wilson_lower,
            R_PRINTED,
        );
        c.close(
            &format!("{arm} mcid wilson upper"),
            rate.confidence_interval.upper,
            row.mcid_wilson_upper,
            R_PRINTED,
        );
        table.push(vec![n.responders, n.analysed - n.responders]);
        counts.insert(arm.to_string(), (n.responders, n.analysed));
    }
    let ck = chi_squared_test(&table, ContinuityCorrection::Applied)
        .unwrap()
        .into_result()
        .unwrap();
    c.close(
        "chisq k statistic",
        ck.test.statistic,
        g.chisq_k.statistic,
        R_PRINTED,
    );
    c.close("chisq k p", ck.test.p_value, g.chisq_k.p_value, R_PRINTED);
    let xs: Vec<u64> = table.iter().map(|r| r[0]).collect();
    let ns: Vec<u64> = table.iter().map(|r| r[0] + r[1]).collect();
    let pk = proportion_test(&xs, &ns, 0.95, ContinuityCorrection::Applied)
        .unwrap()
        .into_result()
        .unwrap();
    c.close(
        "prop k statistic",
        pk.statistic,
        g.prop_k.statistic,
        R_PRINTED,
    );
    c.close("prop k p", pk.p_value, g.prop_k.p_value, R_PRINTED);
    let (a, n1) = counts[&d.golden.treatment];
    let (cc, n0) = counts[&d.golden.reference];
    let t2 = vec![vec![a, n1 - a], vec![cc, n0 - cc]];
    for (key, corr, gk) in [
        (
            "chisq_2x2_yates",
            ContinuityCorrection::Applied,
            &g.chisq_2x2_yates,
        ),
        ("chisq_2x2", ContinuityCorrection::None, &g.chisq_2x2),
    ] {
        let t = chi_squared_test(&t2, corr).unwrap().into_result().unwrap();
        c.close(
            &format!("{key} statistic"),
            t.test.statistic,
            gk.statistic,
            R_PRINTED,
        );
        c.close(&format!("{key} p"), t.test.p_value, gk.p_value, R_PRINTED);
    }
    for (key, corr, gk) in [
        (
            "prop_2_yates",
            ContinuityCorrection::Applied,
            &g.prop_2_yates,
        ),
        ("prop_2", ContinuityCorrection::None, &g.prop_2),
    ] {
        let t = proportion_test(&[a, cc], &[n1, n0], 0.95, corr)
            .unwrap()
            .into_result()
            .unwrap();
        let ci = t.confidence_interval.expect("ci");
        c.close_all(
            key,
            R_PRINTED,
            &[
                ("statistic", t.statistic, gk.statistic),
                ("p", t.p_value, gk.p_value),
                ("ci lower", ci.lower, gk.ci_lower),
                ("ci upper", ci.upper, gk.ci_upper),
            ],
        );
    }
    let f = fisher_exact_test(
        TwoByTwo::new(Proportion::new(a, n1), Proportion::new(cc, n0)),
        0.95,
    )
    .unwrap()
    .into_result()
    .unwrap();
    let gf = &g.fisher;
    c.close("fisher p", f.p_value, gf.p_value, R_PRINTED);
    c.close(
        "fisher MLE (tight uniroot)",
        f.odds_ratio.expect("or"),
        gf.mle,
        tol::ITERATIVE,
    );
    c.close(
        "fisher lower (tight uniroot)",
        f.lower,
        gf.lower,
        tol::ITERATIVE,
    );
    c.close(
        "fisher upper (tight uniroot)",
        f.upper.expect("upper"),
        gf.upper,
        tol::ITERATIVE,
    );
    c.close(
        "fisher MLE vs fisher.test",
        f.odds_ratio.expect("or"),
        gf.estimate_uniroot,
        UNIROOT,
    );
    c.close(
        "fisher lower vs fisher.test",
        f.lower,
        gf.lower_uniroot,
        UNIROOT,
    );
    c.close(
        "fisher upper vs fisher.test",
        f.upper.expect("upper"),
        gf.upper_uniroot,
        UNIROOT,
    );
    let cmp = compare_responder_rates(
        Proportion::new(a, n1),
        Proportion::new(cc, n0),
        &ComparisonOptions::default(),
    )
    .unwrap()
    .into_result()
    .unwrap();
    c.close(
        "risk difference",
        cmp.risk_difference,
        g.risk_difference,
        R_PRINTED,
    );
    c.close(
        "newcombe lower",
        cmp.risk_difference_interval.lower,
        g.rd_lower,
        R_PRINTED,
    );
    c.close(
        "newcombe upper",
        cmp.risk_difference_interval.upper,
        g.rd_upper,
        R_PRINTED,
    );
    let rr = cmp.relative_risk.computed().expect("rr");
    c.close("rr", rr.estimate, g.rr, R_PRINTED);
    c.close(
        "rr lower",
        rr.confidence_interval.lower,
        g.rr_lower,
        R_PRINTED,
    );
    c.close(
        "rr upper",
        rr.confidence_interval.upper,
        g.rr_upper,
        R_PRINTED,
    );
    let or = cmp.odds_ratio.computed().expect("or");
    c.close("or", or.estimate, g.or, R_PRINTED);
    c.close(
        "or lower",
        or.confidence_interval.lower,
        g.or_lower,
        R_PRINTED,
    );
    c.close(
        "or upper",
        or.confidence_interval.upper,
        g.or_upper,
        R_PRINTED,
    );
    c.close(
        "fisher p via comparison",
        cmp.fisher_p_value,
        gf.p_value,
        R_PRINTED,
    );
    let nnt = cmp.number_needed_to_treat.computed().expect("nnt");
    c.close("nnt", nnt.nnt, g.nnt, R_PRINTED);
    let crosses = matches!(nnt.interval, NntInterval::CrossesZero { .. });
    assert_eq!(crosses, g.rd_crosses_zero, "Altman convention branch");
}

fn check_onset(d: &Data, c: &mut Check) {
    // Follow-up visits numbered 1, 2, ... in time order (the golden reports that number).
    let fu: Vec<String> = d.visits[1..].to_vec();
    let fu_days: Vec<f64> = (1..=fu.len()).map(|v| v as f64).collect();
    for g in &d.golden.onset {
        let arm = g.arm.as_str();
        let rule = ResponderRule::immpact_30_percent();
        let mut e = Vec::new();
        for row in d.arm_rows("nrs", arm) {
            for visit in &fu {
                e.push(rule.evaluate(d.s(row, d.base()), d.s(row, visit)));
            }
        }
        let o = onset_and_durability(&fu_days, &e, MissingPolicy::NonResponderImputation).unwrap();
        assert_eq!(g.first_day.len(), o.first_response_day.len());
        for (got, want) in o.first_response_day.iter().zip(&g.first_day) {
            assert_eq!(got, want, "{arm} first response day");
        }
        c.count += 1;
        c.eq_u(
            &format!("{arm} ever responded"),
            o.n_ever_responded as u64,
            g.n_ever,
        );
        if let Some(m) = o.median_day_of_first_response {
            let reference = g
                .median_first
                .unwrap_or_else(|| panic!("{arm} median first: reference is null"));
            c.close(&format!("{arm} median first"), m, reference, R_PRINTED);
        }
        for (got, want) in o.durability.iter().zip(&g.durability) {
            c.eq_u(&format!("{arm} prior"), got.prior_responders, want.prior);
            c.eq_u(&format!("{arm} still"), got.still_responding, want.still);
            c.eq_u(&format!("{arm} missing"), got.missing, want.missing);
        }
    }
}

fn check_adjust(d: &Data, c: &mut Check) {
    let g = &d.golden.adjust;
    let arms = &d.golden.arms;
    // Recompute the pairwise Welch p-values (combn order), then the fixed extras.
    let mut p = Vec::new();
    for i in 0..arms.len() {
        for j in (i + 1)..arms.len() {
            let t = two_sample_t_test(
                &d.change("nrs", &arms[i]),
                &d.change("nrs", &arms[j]),
                &TTestOptions::default(),
            )
            .unwrap()
            .into_result()
            .unwrap();
            p.push(t.p_value);
        }
    }
    let reference_p = &g.p;
    for (k, (got, want)) in p.iter().zip(reference_p).enumerate() {
        c.close(&format!("pairwise welch p {k}"), *got, *want, R_PRINTED);
    }
    p.extend_from_slice(&reference_p[p.len()..]);
    for (key, m, reference) in [
        ("bonferroni", AdjustMethod::Bonferroni, &g.bonferroni),
        ("holm", AdjustMethod::Holm, &g.holm),
        ("hochberg", AdjustMethod::Hochberg, &g.hochberg),
        ("BH", AdjustMethod::BenjaminiHochberg, &g.bh),
    ] {
        let adj = adjust_p_values(&p, m).unwrap();
        for (k, (got, want)) in adj.iter().zip(reference).enumerate() {
            c.close(&format!("p.adjust {key} {k}"), *got, *want, R_PRINTED);
        }
    }
}

fn check_effect_size(d: &Data, c: &mut Check) {
    let g = &d.golden.effect_size;
    let (xt, xr) = (
        d.change("nrs", &d.golden.treatment),
        d.change("nrs", &d.golden.reference),
    );
    let dd = standardized_mean_difference(&xt, &xr, SmdEstimator::CohenD, 0.95)
        .unwrap()
        .into_result()
        .unwrap();
    c.close("cohen d", dd.estimate, g.d, R_PRINTED);
    c.close("cohen d var", dd.variance, g.d_var, R_PRINTED);
    c.close(
        "cohen d lower",
        dd.confidence_interval.lower,
        g.d_lower,
        R_PRINTED,
    );
    c.close(
        "cohen d upper",
        dd.confidence_interval.upper,
        g.d_upper,
        R_PRINTED,
    );
    let gg = standardized_mean_difference(&xt, &xr, SmdEstimator::HedgesG, 0.95)
        .unwrap()
        .into_result()
        .unwrap();
    c.close("hedges g", gg.estimate, g.g, R_PRINTED);
    c.close("hedges g var", gg.variance, g.g_var, R_PRINTED);
    c.close(
        "hedges g lower",
        gg.confidence_interval.lower,
        g.g_lower,
        R_PRINTED,
    );
    c.close(
        "hedges g upper",
        gg.confidence_interval.upper,
        g.g_upper,
        R_PRINTED,
    );
    c.close("hedges g vs metafor", gg.estimate, g.metafor_g, R_PRINTED);
    c.close(
        "hedges g var vs metafor",
        gg.variance,
        g.metafor_g_var,
        R_PRINTED,
    );
}

fn check_ancova(d: &Data, c: &mut Check) {
    let second = d.golden.second_instrument.as_str();
    let g = &d.golden.ancova;
    for (key, instrument, with_age, g) in [
        ("nrs", "nrs", false, &g.nrs),
        ("nrs_age", "nrs", true, &g.nrs_age),
        ("second", second, false, &g.second),
    ] {
        let (mut fu, mut base, mut arm, mut age) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for row in d.rows(instrument) {
            if let (Some(b), Some(l)) = (d.s(row, d.base()), d.s(row, d.last())) {
                fu.push(l);
                base.push(b);
                arm.push(row.arm.clone());
                age.push(row.age);
            }
        }
        let covs: Vec<&[f64]> = if with_age { vec![&age] } else { vec![] };
        let a = ancova(
            &fu,
            &base,
            &arm,
            &covs,
            &AncovaOptions::default().with_reference_arm(d.golden.reference.clone()),
        )
        .unwrap()
        .into_result()
        .unwrap();
        c.eq_u(&format!("{key} n"), a.n as u64, g.n);
        c.close(
            &format!("{key} df"),
            a.df_residual,
            g.df_residual,
            R_PRINTED,
        );
        c.close(
            &format!("{key} sigma"),
            a.residual_std_error,
            g.sigma,
            R_PRINTED,
        );
        for (j, co) in a.coefficients.iter().enumerate() {
            let expected_name = g.coef_names[j].as_str();
            let expected_name = if expected_name == "age" {
                "covariate1"
            } else {
                expected_name
            };
            assert_eq!(co.label, expected_name);
            c.close_all(
                &format!("{key} {}", co.label),
                R_PRINTED,
                &[
                    ("estimate", co.estimate, g.estimate[j]),
                    ("se", co.std_error, g.std_error[j]),
                    ("t", co.statistic, g.t_value[j]),
                    ("p", co.p_value, g.p_value[j]),
                ],
            );
        }
        c.close_all(
            key,
            R_PRINTED,
            &[
                ("drop1 F", a.arm_test.statistic, g.arm_f),
                ("drop1 p", a.arm_test.p_value, g.arm_p),
                ("drop1 SS", a.arm_sum_of_squares, g.arm_ss),
                ("anova F", a.arm_test.statistic, g.anova_arm_f),
                ("anova p", a.arm_test.p_value, g.anova_arm_p),
            ],
        );
        // emmeans lists arms in factor-level order: reference first, then the others sorted.
        for (i, name) in g.emm_arm.iter().enumerate() {
            let m = a
                .adjusted_means
                .iter()
                .find(|m| &m.arm == name)
                .expect("arm present");
            c.close_all(
                &format!("{key} {name}"),
                R_PRINTED,
                &[
                    ("emmean", m.mean.estimate, g.emmean[i]),
                    ("emmean SE", m.mean.std_error, g.emm_se[i]),
                    (
                        "emmean lower",
                        m.mean.confidence_interval.lower,
                        g.emm_lower[i],
                    ),
                    (
                        "emmean upper",
                        m.mean.confidence_interval.upper,
                        g.emm_upper[i],
                    ),
                ],
            );
        }
        for (i, label) in g.contrast.iter().enumerate() {
            let arm_name = label
                .split(" - ")
                .next()
                .expect("arm")
                // emmeans wraps labels with operators in parentheses: "(stem_cell+prp) - placebo".
                .trim_start_matches('(')
                .trim_end_matches(')');
            let diff = a
                .differences
                .iter()
                .find(|x| x.arm == arm_name)
                .expect("difference");
            c.close_all(
                &format!("{key} {arm_name}"),
                R_PRINTED,
                &[
                    ("contrast", diff.difference.estimate, g.contrast_estimate[i]),
                    ("contrast SE", diff.difference.std_error, g.contrast_se[i]),
                    ("contrast t", diff.difference.statistic, g.contrast_t[i]),
                    ("contrast p", diff.difference.p_value, g.contrast_p[i]),
                    (
                        "contrast lower",
                        diff.difference.confidence_interval.lower,
                        g.contrast_lower[i],
                    ),
                    (
                        "contrast upper",
                        diff.difference.confidence_interval.upper,
                        g.contrast_upper[i],
                    ),
                ],
            );
        }
    }
}

fn run_all(d: &Data) -> usize {
    let mut c = Check::new();
    check_describe(d, &mut c);
    check_auc(d, &mut c);
    check_t_tests(d, &mut c);
    check_wilcox(d, &mut c);
    check_anova(d, &mut c);
    check_responders(d, &mut c);
    check_onset(d, &mut c);
    check_adjust(d, &mut c);
    check_effect_size(d, &mut c);
    check_ancova(d, &mut c);
    c.count
}

macro_rules! golden_test {
    ($name:ident, $check:ident) => {
        #[test]
        fn $name() {
            for f in golden_files() {
                let d = load(&f);
                let mut c = Check::new();
                $check(&d, &mut c);
                assert!(c.count > 0, "{f}: nothing compared");
            }
        }
    };
}

golden_test!(descriptives_and_type7_quartiles_match_r, check_describe);
golden_test!(area_under_trajectory_matches_r_trapezoid, check_auc);
golden_test!(t_tests_match_r_t_test, check_t_tests);
golden_test!(rank_tests_match_r_wilcox_test, check_wilcox);
golden_test!(anova_welch_anova_and_kruskal_match_r, check_anova);
golden_test!(responders_match_r_prop_test_chisq_fisher, check_responders);
golden_test!(onset_and_durability_match_r, check_onset);
golden_test!(p_adjust_matches_r, check_adjust);
golden_test!(effect_sizes_match_r_and_metafor, check_effect_size);
golden_test!(ancova_matches_r_lm_drop1_emmeans, check_ancova);

#[test]
fn at_least_60_golden_comparisons_per_dataset() {
    for f in golden_files() {
        let n = run_all(&load(&f));
        assert!(n >= 60, "{f}: only {n} comparisons");
        eprintln!("{f}: {n} golden comparisons");
    }
}
