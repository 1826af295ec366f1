//! The SVG figures say what the analyses say: each figure of the bundled data is parsed as XML
//! and its axis titles, legend entries, series, confidence bands, numbers at risk and forest
//! rows are compared with the analysis result it was drawn from. Every figure is well-formed,
//! 321 units wide with a `viewBox`, has a `<title>` and a `<desc>`, no text under 8 pt at that
//! width, and no non-finite number anywhere.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::common::tol::{self, CLOSED_FORM};
use pain_outcomes::analysis::{
    EffectModifier, MetaAnalysisOptions, MmrmBuilder, RegistryOptions, ResponderAnalysisOptions,
    RuleChoice, SubgroupAnalysis, SubgroupOptions, TimeToEventAnalysis, TimeToEventOptions,
    TrajectoryFit, TrajectoryModel, analyse_time_to_event, describe_by_arm_and_visit,
    meta_analysis, registry_comparison, responders_by_arm_and_visit, subgroup_analysis,
};
use pain_outcomes::data::{
    CsvFiles, EventEndpoint, read_csv_files, read_studies, read_studies_str,
};
use pain_outcomes::report::{
    Figure, IndividualSample, balance_figure, hazard_ratio_forest, kaplan_meier_figure,
    lsmean_differences_figure, meta_forest, patient_course_figure, responder_figure,
    subgroup_forest, trajectory_figure,
};
use pain_outcomes::stats::dist::normal_quantile;
use pain_outcomes::stats::meta::EffectMeasure;
use pain_outcomes::{Cohort, Outcome, Refusal, RefusalReason};
use roxmltree::{Document, Node};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");

/// Days at which the survival table reports numbers at risk: the ticks of the time axis of
/// the knee trial's Kaplan–Meier figure.
const KM_TIMES: [f64; 6] = [0.0, 100.0, 200.0, 300.0, 400.0, 500.0];

fn load(name: &str) -> Cohort {
    let files =
        CsvFiles::new(format!("{DIR}{name}.csv")).with_events(format!("{DIR}{name}_events.csv"));
    read_csv_files(&files, &Default::default())
        .expect("bundled data load")
        .cohort
}

fn knee() -> &'static Cohort {
    static KNEE: OnceLock<Cohort> = OnceLock::new();
    KNEE.get_or_init(|| load("knee_oa_trial"))
}

fn knee_survival() -> &'static TimeToEventAnalysis {
    static TTE: OnceLock<TimeToEventAnalysis> = OnceLock::new();
    TTE.get_or_init(|| {
        let cohort = knee();
        let data = cohort
            .time_to_event(EventEndpoint::Surgery)
            .expect("endpoint");
        let options = TimeToEventOptions::default().with_survival_times(KM_TIMES.to_vec());
        analyse_time_to_event(cohort, &data, &options).expect("time to event")
    })
}

fn knee_subgroups() -> &'static SubgroupAnalysis {
    static SUB: OnceLock<SubgroupAnalysis> = OnceLock::new();
    SUB.get_or_init(|| {
        let by: EffectModifier = "severity".parse().expect("modifier");
        subgroup_analysis(knee(), &SubgroupOptions::new("nrs", by))
            .expect("subgroups")
            .into_result()
            .expect("computed")
    })
}

fn knee_trajectory_model() -> &'static TrajectoryFit {
    static FIT: OnceLock<TrajectoryFit> = OnceLock::new();
    FIT.get_or_init(|| {
        TrajectoryModel::new(knee())
            .instrument("nrs")
            .fit()
            .expect("trajectory model")
            .into_result()
            .expect("computed")
    })
}

fn computed(figure: Outcome<Figure>) -> Figure {
    match figure {
        Outcome::Computed(f) => f,
        Outcome::Refused(r) => panic!("figure refused: {r}"),
    }
}

/// Parses the figure and checks what every figure must have.
fn parse(figure: &Figure) -> Document<'_> {
    let svg = &figure.svg;
    for bad in ["NaN", "inf", "Infinity"] {
        assert!(!svg.contains(bad), "{}: `{bad}` in the SVG", figure.id);
    }
    let doc = Document::parse(svg).unwrap_or_else(|e| panic!("{}: not XML: {e}", figure.id));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let view_box = root.attribute("viewBox").expect("viewBox");
    assert!(
        view_box.starts_with("0 0 321 "),
        "{}: {view_box}",
        figure.id
    );
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .expect("<title>");
    assert!(!title.is_empty());
    assert!(root.children().any(|n| n.has_tag_name("desc")));
    let base: f64 = root
        .attribute("font-size")
        .and_then(|s| s.parse().ok())
        .expect("font-size");
    // 8 pt at 8.5 cm = 321 px is 10.67 px
    for size in doc
        .descendants()
        .filter_map(|n| n.attribute("font-size"))
        .filter_map(|s| s.parse::<f64>().ok())
    {
        assert!(size.min(base) >= 10.6, "{}: font size {size}", figure.id);
    }
    for n in doc.descendants() {
        for a in n.attributes() {
            if a.name().starts_with("data-")
                && ["estimate", "lower", "upper"]
                    .iter()
                    .any(|k| a.name().ends_with(k))
            {
                let v: f64 = a.value().parse().expect("a number");
                assert!(v.is_finite(), "{}: {}={}", figure.id, a.name(), a.value());
            }
        }
    }
    doc
}

fn with_class<'a, 'i>(doc: &'a Document<'i>, class: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|x| x == class))
        })
        .collect()
}

/// The text of each node (the lines of a multi-line text joined by a space).
fn texts_of(nodes: &[Node<'_, '_>]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| {
            let parts: Vec<&str> = n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect();
            parts.join(" ")
        })
        .filter(|t| !t.is_empty())
        .collect()
}

fn number(node: &Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("attribute {name} missing or not a number"))
}

/// The arms named by the `data-arm` of the elements of `class`, each counted.
fn arms_of(doc: &Document<'_>, class: &str) -> Vec<String> {
    let mut v: Vec<String> = with_class(doc, class)
        .iter()
        .filter_map(|n| n.attribute("data-arm").map(str::to_string))
        .collect();
    v.sort();
    v
}

fn sorted(arms: &[String]) -> Vec<String> {
    let mut v = arms.to_vec();
    v.sort();
    v
}

#[test]
fn trajectory_figure_has_one_series_legend_entry_and_band_per_arm() {
    let cohort = knee();
    let wide = cohort.wide("nrs").expect("wide");
    let trajectories = describe_by_arm_and_visit(&wide, &Default::default()).expect("describe");
    let sample = IndividualSample::new(&wide).with_per_arm(5);
    let figure = computed(trajectory_figure(&trajectories, Some(sample)).expect("figure"));
    let doc = parse(&figure);
    let arms = sorted(&wide.arms);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        ["Pain NRS (0\u{2013}10)", "Days since first treatment"]
    );
    assert_eq!(arms_of(&doc, "legend-entry"), arms);
    assert_eq!(arms_of(&doc, "series"), arms);
    assert_eq!(arms_of(&doc, "ci-band"), arms);
    // the drawn means are the described means, visit by visit
    for series in with_class(&doc, "series") {
        let arm = series.attribute("data-arm").expect("arm");
        let markers: Vec<Node<'_, '_>> = series
            .descendants()
            .filter(|n| n.attribute("data-mean").is_some())
            .collect();
        let rows: Vec<_> = trajectories
            .rows
            .iter()
            .filter(|r| r.arm == arm)
            .filter_map(|r| r.score.computed().map(|d| (r.day, d.mean)))
            .collect();
        assert_eq!(markers.len(), rows.len(), "{arm}");
        for (m, (day, mean)) in markers.iter().zip(&rows) {
            tol::assert_close_abs("day", number(m, "data-day"), *day, CLOSED_FORM);
            tol::assert_close(
                &format!("{arm} mean"),
                number(m, "data-mean"),
                *mean,
                CLOSED_FORM,
            );
        }
    }
    // the sample: five patients per arm, the same ones on every run
    let individuals = with_class(&doc, "individual");
    assert_eq!(individuals.len(), 5 * wide.arms.len());
    assert_eq!(
        arms_of(&doc, "individual")
            .iter()
            .collect::<BTreeSet<_>>()
            .len(),
        wide.arms.len()
    );
    let again = computed(trajectory_figure(&trajectories, Some(sample)).expect("figure"));
    assert_eq!(again.svg, figure.svg);
}

#[test]
fn trajectory_figure_refuses_a_table_of_another_instrument() {
    let cohort = knee();
    let nrs = cohort.wide("nrs").expect("wide");
    let womac = cohort.wide("womac_pain").expect("wide");
    let trajectories = describe_by_arm_and_visit(&nrs, &Default::default()).expect("describe");
    let err = trajectory_figure(&trajectories, Some(IndividualSample::new(&womac)))
        .expect_err("another instrument");
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn lsmean_difference_points_equal_the_mmrm_differences() {
    let mmrm = MmrmBuilder::new(knee())
        .instrument("nrs")
        .fit()
        .expect("mmrm")
        .into_result()
        .expect("computed");
    let figure = computed(lsmean_differences_figure(&mmrm));
    let doc = parse(&figure);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        [
            "Difference in change from baseline (NRS points)",
            "Visit (time since first treatment)"
        ]
    );
    let others: Vec<String> = mmrm
        .arms
        .iter()
        .filter(|a| **a != mmrm.reference_arm)
        .cloned()
        .collect();
    assert_eq!(arms_of(&doc, "legend-entry"), sorted(&others));
    assert_eq!(arms_of(&doc, "series"), sorted(&others));
    let mut checked = 0;
    for series in with_class(&doc, "series") {
        let arm = series.attribute("data-arm").expect("arm");
        let bars = series
            .descendants()
            .filter(|n| n.attribute("class") == Some("ci-bar"))
            .count();
        assert_eq!(bars, mmrm.visits.len(), "{arm}: one interval per visit");
        for m in series
            .descendants()
            .filter(|n| n.attribute("data-visit").is_some())
        {
            let visit = m.attribute("data-visit").expect("visit");
            let d = mmrm
                .difference(arm, visit)
                .and_then(Outcome::computed)
                .expect("a computed difference");
            let e = &d.difference;
            tol::assert_close(
                "estimate",
                number(&m, "data-estimate"),
                e.estimate,
                CLOSED_FORM,
            );
            tol::assert_close(
                "lower",
                number(&m, "data-lower"),
                e.confidence_interval.lower,
                CLOSED_FORM,
            );
            tol::assert_close(
                "upper",
                number(&m, "data-upper"),
                e.confidence_interval.upper,
                CLOSED_FORM,
            );
            checked += 1;
        }
    }
    assert_eq!(checked, mmrm.differences.len());
}

#[test]
fn responder_figure_rates_equal_the_responder_table() {
    let cohort = knee();
    let wide = cohort.wide("nrs").expect("wide");
    let rule = RuleChoice::Immpact30
        .rule(&wide.instrument, None)
        .expect("rule");
    let table = responders_by_arm_and_visit(
        cohort,
        &wide,
        &rule,
        "immpact_30",
        &ResponderAnalysisOptions::default(),
    )
    .expect("responders");
    let figure = computed(responder_figure(&table));
    let doc = parse(&figure);
    assert!(
        texts_of(&with_class(&doc, "axis-title"))
            .iter()
            .any(|t| t == "Responders (% of patients)")
    );
    let arms = sorted(&wide.arms);
    assert_eq!(arms_of(&doc, "legend-entry"), arms);
    assert_eq!(arms_of(&doc, "series"), arms);
    let mut checked = 0;
    for series in with_class(&doc, "series") {
        let arm = series.attribute("data-arm").expect("arm");
        assert!(
            series
                .descendants()
                .any(|n| n.attribute("class") == Some("ci-bar"))
        );
        for m in series
            .descendants()
            .filter(|n| n.attribute("data-visit").is_some())
        {
            let visit = m.attribute("data-visit").expect("visit");
            let cell = table
                .cells
                .iter()
                .find(|c| c.arm == arm && c.visit == visit)
                .expect("cell");
            let rate = cell.rate.computed().expect("rate");
            tol::assert_close(
                "rate",
                number(&m, "data-estimate"),
                100.0 * rate.rate,
                CLOSED_FORM,
            );
            tol::assert_close(
                "lower",
                number(&m, "data-lower"),
                100.0 * rate.confidence_interval.lower,
                CLOSED_FORM,
            );
            checked += 1;
        }
    }
    assert_eq!(checked, table.cells.len());
}

#[test]
fn kaplan_meier_numbers_at_risk_equal_the_survival_table() {
    let tte = knee_survival();
    let figure = computed(kaplan_meier_figure(tte));
    let doc = parse(&figure);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        ["Free of surgery (%)", "Days since first treatment"]
    );
    let arms: Vec<String> = sorted(&tte.arms.iter().map(|a| a.arm.clone()).collect::<Vec<_>>());
    assert_eq!(arms_of(&doc, "legend-entry"), arms);
    assert_eq!(arms_of(&doc, "series"), arms);
    assert_eq!(arms_of(&doc, "ci-band"), arms);
    assert_eq!(arms_of(&doc, "at-risk"), arms);
    for row in with_class(&doc, "at-risk") {
        let arm = tte
            .arm(row.attribute("data-arm").expect("arm"))
            .expect("arm");
        let cells: Vec<Node<'_, '_>> = row.children().filter(|n| n.has_tag_name("text")).collect();
        assert_eq!(
            cells.len(),
            KM_TIMES.len(),
            "{}: one number per tick",
            arm.arm
        );
        for cell in cells {
            let time = number(&cell, "data-time");
            let shown: usize = cell.text().and_then(|t| t.parse().ok()).expect("a count");
            // the survival table of the analysis (its survival_times are the axis ticks)
            let table = arm
                .survival_at
                .iter()
                .find(|s| (s.time - time).abs() < 1e-9)
                .expect("a tick the table reports");
            assert_eq!(shown, table.n_risk, "{} at day {time}", arm.arm);
        }
    }
}

#[test]
fn hazard_ratio_forest_rows_equal_the_cox_fit() {
    let cohort = load("tendinopathy_registry");
    let data = cohort
        .time_to_event(EventEndpoint::Surgery)
        .expect("endpoint");
    let tte = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default())
        .expect("time to event");
    let figure = computed(hazard_ratio_forest(&tte));
    let doc = parse(&figure);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        ["Hazard ratio (log scale)"]
    );
    let rows = with_class(&doc, "forest-row");
    let fit = tte.cox.fit.computed().expect("cox");
    assert_eq!(rows.len(), fit.coefficients.len());
    for row in rows {
        let arm = row.attribute("data-label").expect("label");
        let hr = tte.hazard_ratio(arm).expect("an arm's hazard ratio");
        tol::assert_close(
            "HR",
            number(&row, "data-estimate"),
            hr.hazard_ratio,
            CLOSED_FORM,
        );
        tol::assert_close(
            "lower",
            number(&row, "data-lower"),
            hr.confidence_interval.lower,
            CLOSED_FORM,
        );
        tol::assert_close(
            "upper",
            number(&row, "data-upper"),
            hr.confidence_interval.upper,
            CLOSED_FORM,
        );
    }
}

#[test]
fn subgroup_forest_rows_equal_the_subgroup_estimates() {
    let s = knee_subgroups();
    let figure = computed(subgroup_forest(s, None).expect("figure"));
    let doc = parse(&figure);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        ["Difference from placebo (NRS points)"]
    );
    let visit = s.model.visits.last().expect("a visit");
    let expected: Vec<_> = s.estimates.iter().filter(|e| &e.visit == visit).collect();
    let rows = with_class(&doc, "forest-row");
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        let label = row.attribute("data-label").expect("label");
        let group = row.attribute("data-group").expect("group");
        let e = expected
            .iter()
            .find(|e| {
                label == format!("severity {}", e.subgroup)
                    && group == format!("{} vs placebo", e.arm)
            })
            .expect("the row's estimate");
        let d = e.difference.computed().expect("estimate");
        tol::assert_close(
            "estimate",
            number(row, "data-estimate"),
            d.estimate,
            CLOSED_FORM,
        );
        tol::assert_close(
            "lower",
            number(row, "data-lower"),
            d.confidence_interval.lower,
            CLOSED_FORM,
        );
        tol::assert_close(
            "upper",
            number(row, "data-upper"),
            d.confidence_interval.upper,
            CLOSED_FORM,
        );
        // printed to two decimals under the label
        let printed = row
            .descendants()
            .find(|n| n.attribute("class") == Some("forest-numbers"))
            .and_then(|n| n.text())
            .expect("numbers");
        let two = format!("{:.2}", d.estimate).replace('-', "\u{2212}");
        assert!(printed.starts_with(&two), "{printed} vs {two}");
    }
    assert!(subgroup_forest(s, Some("no_such_visit")).is_err());
}

#[test]
fn refused_subgroup_estimates_are_listed_not_drawn() {
    let mut s = knee_subgroups().clone();
    let visit = s.model.visits.last().cloned().expect("visit");
    let target = s
        .estimates
        .iter_mut()
        .find(|e| e.visit == visit)
        .expect("an estimate");
    target.difference = Outcome::Refused(Refusal::new(RefusalReason::EmptyGroup, "no patients"));
    let label = format!("severity {}", target.subgroup);
    let figure = computed(subgroup_forest(&s, None).expect("figure"));
    let doc = parse(&figure);
    let refused: Vec<_> = with_class(&doc, "forest-row")
        .into_iter()
        .filter(|r| r.attribute("data-status") == Some("not_estimable"))
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].attribute("data-label"), Some(label.as_str()));
    assert!(refused[0].attribute("data-estimate").is_none());
    assert!(
        texts_of(&refused[0].descendants().collect::<Vec<_>>())
            .iter()
            .any(|t| t == "not estimable")
    );
    // every estimate refused: nothing to draw, an explicit refusal
    for e in &mut s.estimates {
        e.difference = Outcome::Refused(Refusal::new(RefusalReason::EmptyGroup, "no patients"));
    }
    let all = subgroup_forest(&s, None).expect("valid input");
    assert_eq!(
        all.refusal().map(|r| r.reason),
        Some(RefusalReason::NotEstimable)
    );
}

#[test]
fn meta_forest_rows_equal_the_studies_and_the_pooled_estimate() {
    let table = read_studies(format!("{DIR}published_trials.csv")).expect("studies");
    for measure in [EffectMeasure::MeanDifference, EffectMeasure::LogRiskRatio] {
        let meta = meta_analysis(&table, &MetaAnalysisOptions::new(measure)).expect("meta");
        let figure = computed(meta_forest(&meta));
        let doc = parse(&figure);
        let log = measure == EffectMeasure::LogRiskRatio;
        let back = |x: f64| if log { x.exp() } else { x };
        let z = normal_quantile(0.5 + meta.options.confidence_level / 2.0);
        let rows = with_class(&doc, "forest-row");
        assert_eq!(
            rows.len(),
            meta.studies.len() + 1,
            "studies and the pooled row"
        );
        for (row, s) in rows.iter().zip(&meta.studies) {
            assert_eq!(row.attribute("data-label"), Some(s.study.as_str()));
            let (e, se) = (s.effect.estimate, s.effect.std_error());
            tol::assert_close(
                "estimate",
                number(row, "data-estimate"),
                back(e),
                CLOSED_FORM,
            );
            tol::assert_close(
                "lower",
                number(row, "data-lower"),
                back(e - z * se),
                CLOSED_FORM,
            );
            tol::assert_close(
                "upper",
                number(row, "data-upper"),
                back(e + z * se),
                CLOSED_FORM,
            );
        }
        let pooled = rows.last().expect("pooled row");
        let fit = meta.pooled.computed().expect("pooled");
        tol::assert_close(
            "pooled",
            number(pooled, "data-estimate"),
            back(fit.estimate.estimate),
            CLOSED_FORM,
        );
        assert!(
            pooled
                .descendants()
                .any(|n| n.attribute("class") == Some("pooled"))
        );
        let title = texts_of(&with_class(&doc, "axis-title"));
        if log {
            assert_eq!(title, ["Risk ratio, treated / control (log scale)"]);
        } else {
            assert_eq!(
                title,
                ["Mean difference, treated \u{2212} control (scale units)"]
            );
        }
    }
}

#[test]
fn meta_forest_without_studies_is_refused() {
    let csv = "study,events_treated,n_treated,events_control,n_control\nA,3,20,5,20\nB,4,25,6,24\n";
    let table = read_studies_str(csv, "counts.csv").expect("studies");
    let meta = meta_analysis(&table, &MetaAnalysisOptions::default()).expect("meta"); // mean difference
    assert!(meta.studies.is_empty());
    let figure = meta_forest(&meta);
    assert_eq!(
        figure.refusal().map(|r| r.reason),
        Some(RefusalReason::NotEstimable)
    );
}

#[test]
fn balance_figure_points_equal_the_balance_table() {
    let cohort = load("tendinopathy_registry");
    let wide = cohort.wide("nrs").expect("wide");
    let options = RegistryOptions::new("stem_cell", "corticosteroid").with_caliper(0.2);
    let r = registry_comparison(&cohort, &wide, &options)
        .expect("registry")
        .into_result()
        .expect("computed");
    let figure = computed(balance_figure(&r));
    let doc = parse(&figure);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        ["Absolute standardised mean difference"]
    );
    let samples: Vec<&str> = with_class(&doc, "legend-entry")
        .iter()
        .filter_map(|n| n.attribute("data-sample"))
        .collect();
    assert_eq!(samples, ["before", "weighted", "matched"]);
    for series in with_class(&doc, "series") {
        let sample = series.attribute("data-sample").expect("sample");
        let points: Vec<_> = series
            .descendants()
            .filter(|n| n.attribute("data-term").is_some())
            .collect();
        assert_eq!(points.len(), r.balance.rows.len(), "{sample}");
        for p in points {
            let term = p.attribute("data-term").expect("term");
            let row = r.balance.rows.iter().find(|x| x.term == term).expect("row");
            let smd = match sample {
                "before" => row.before.smd,
                "weighted" => row.weighted.smd,
                _ => row.matched.as_ref().expect("matched").smd,
            };
            tol::assert_close_abs(term, number(&p, "data-smd"), smd, CLOSED_FORM);
        }
    }
}

#[test]
fn patient_course_has_its_interval_and_observed_scores() {
    let cohort = knee();
    let fit = knee_trajectory_model();
    let id = cohort.patients()[0].id.as_str().to_string();
    let days: Vec<f64> = (0..=36).map(|i| 10.0 * f64::from(i)).collect();
    let figure = computed(patient_course_figure(fit, cohort, &id, &days).expect("figure"));
    let doc = parse(&figure);
    assert_eq!(
        texts_of(&with_class(&doc, "axis-title")),
        ["Pain NRS (0\u{2013}10)", "Days since first treatment"]
    );
    assert_eq!(with_class(&doc, "ci-band").len(), 1);
    assert_eq!(with_class(&doc, "series").len(), 1);
    let wide = cohort.wide("nrs").expect("wide");
    let row = wide.patients.iter().position(|&p| p == 0).expect("row");
    let observed = usize::from(wide.baseline[row].is_some())
        + (0..wide.n_visits())
            .filter(|&v| wide.score(row, v).is_some())
            .count();
    let markers = doc
        .descendants()
        .filter(|n| n.attribute("data-score").is_some())
        .count();
    assert_eq!(markers, observed);
    assert!(patient_course_figure(fit, cohort, &id, &[]).is_err());
    assert!(patient_course_figure(fit, cohort, &id, &[f64::NAN]).is_err());
}
