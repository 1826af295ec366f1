//! The report layer: tables against the data they summarise, the HTML page, the written
//! files, and results.json read back into the result types.

use std::collections::BTreeSet;

use pain_outcomes::Cohort;
use pain_outcomes::analysis::{TherapyComparison, TherapyComparisonOptions};
use pain_outcomes::data::{CsvFiles, read_csv_files, read_csv_texts};
use pain_outcomes::report::{
    ComparisonResults, Figure, Provenance, Report, Section, Table, adverse_events,
    baseline_characteristics, comparison_report, participant_flow, write_report,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");

fn knee() -> Cohort {
    let files = CsvFiles::new(format!("{DIR}knee_oa_trial.csv"))
        .with_events(format!("{DIR}knee_oa_trial_events.csv"));
    read_csv_files(&files, &Default::default()).unwrap().cohort
}

fn results(cohort: &Cohort) -> ComparisonResults {
    let provenance = Provenance::new().with_data_file("knee_oa_trial.csv");
    ComparisonResults::new(cohort, &TherapyComparisonOptions::default(), provenance).unwrap()
}

/// Rows of the events file: (patient, event, detail, grade).
fn events_file() -> Vec<(String, String, String, String)> {
    std::fs::read_to_string(format!("{DIR}knee_oa_trial_events.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[1].into(), f[3].into(), f[4].into())
        })
        .collect()
}

/// The leading count of a cell `n (p %) [e]` or `n (p %)`.
fn count(cell: &str) -> usize {
    cell.split_whitespace().next().unwrap().parse().unwrap()
}

/// The percentage of a cell `n (p %)`.
fn percent(cell: &str) -> f64 {
    let inner = cell.split('(').nth(1).unwrap();
    inner.split_whitespace().next().unwrap().parse().unwrap()
}

fn row<'a>(t: &'a Table, label: &str) -> &'a [String] {
    t.rows
        .iter()
        .find(|r| r[0].trim() == label)
        .unwrap_or_else(|| panic!("no row {label} in {}", t.id))
}

fn arm_columns(t: &Table, cohort: &Cohort) -> Vec<usize> {
    cohort
        .arms()
        .iter()
        .map(|a| {
            t.column(&format!("arm_{}", pain_outcomes::report::slug(a)))
                .unwrap()
        })
        .collect()
}

#[test]
fn baseline_table_counts_each_arm_and_its_percentages_add_up() {
    let cohort = knee();
    let t = baseline_characteristics(&cohort).unwrap();
    let cols = arm_columns(&t, &cohort);
    let patients = row(&t, "Patients");
    for ((_, n), &c) in cohort.patients_per_arm().iter().zip(&cols) {
        assert_eq!(patients[c], n.to_string());
    }
    assert_eq!(
        patients[t.column("total").unwrap()],
        cohort.n_patients().to_string()
    );
    // sex: female + male rows (the characteristic label sits on the first row)
    let at = t.rows.iter().position(|r| r[0] == "Sex").unwrap();
    for &c in cols.iter().chain([&t.column("total").unwrap()]) {
        let rows = &t.rows[at..at + 2];
        let n: usize = rows.iter().map(|r| count(&r[c])).sum();
        let p: f64 = rows.iter().map(|r| percent(&r[c])).sum();
        assert!((p - 100.0).abs() <= 0.1 + 1e-9, "{p}");
        assert!(n > 0);
    }
    // severity: every category of every arm, percentages add up to 100 within rounding
    let at = t
        .rows
        .iter()
        .position(|r| r[0] == "Severity (grade)")
        .unwrap();
    let end = at
        + t.rows[at + 1..]
            .iter()
            .position(|r| !r[0].is_empty())
            .unwrap()
        + 1;
    for &c in &cols {
        let p: f64 = t.rows[at..end].iter().map(|r| percent(&r[c])).sum();
        assert!((p - 100.0).abs() <= 0.05 * (end - at) as f64, "{p}");
    }
    assert!(!t.to_html().contains("NaN"));
}

#[test]
fn participant_flow_matches_the_cohort_the_events_and_the_mmrm_attrition() {
    let cohort = knee();
    let r = results(&cohort);
    let mmrm = r.comparison.mmrm.computed().unwrap();
    let t = participant_flow(&cohort, "nrs", Some(&mmrm.attrition)).unwrap();
    let cols = arm_columns(&t, &cohort);
    let total = t.column("total").unwrap();
    let enrolled = row(&t, "Enrolled");
    for ((_, n), &c) in cohort.patients_per_arm().iter().zip(&cols) {
        assert_eq!(enrolled[c], n.to_string());
    }
    let analysed = row(&t, "Analysed (primary model)");
    for (arm, &c) in cohort.arms().iter().zip(&cols) {
        assert_eq!(
            count(&analysed[c]),
            mmrm.attrition.arm(arm).unwrap().analysed
        );
    }
    assert_eq!(count(&analysed[total]), mmrm.attrition.total_analysed());
    // withdrawals and their reasons: distinct patients in the events file
    let events = events_file();
    let withdrew: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.1 == "withdrawal")
        .map(|e| e.0.as_str())
        .collect();
    assert_eq!(count(&row(&t, "Withdrew")[total]), withdrew.len());
    let lack: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.1 == "withdrawal" && e.2 == "lack of efficacy")
        .map(|e| e.0.as_str())
        .collect();
    assert_eq!(
        count(&row(&t, "Withdrew: lack of efficacy")[total]),
        lack.len()
    );
    let surgery: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.1 == "surgery")
        .map(|e| e.0.as_str())
        .collect();
    assert_eq!(count(&row(&t, "Surgery")[total]), surgery.len());
    // assessed at a visit never exceeds enrolled
    for r in t.rows.iter().filter(|r| r[0].starts_with("Assessed at")) {
        for &c in &cols {
            assert!(count(&r[c]) <= count(&enrolled[c]));
        }
    }
}

#[test]
fn adverse_events_count_patients_and_events_of_the_events_file() {
    let cohort = knee();
    let t = adverse_events(&cohort);
    let total = t.column("total").unwrap();
    let events = events_file();
    let ae: Vec<_> = events.iter().filter(|e| e.1 == "adverse_event").collect();
    let patients: BTreeSet<&str> = ae.iter().map(|e| e.0.as_str()).collect();
    let any = &row(&t, "Any adverse event")[total];
    assert_eq!(count(any), patients.len());
    assert!(any.ends_with(&format!("[{}]", ae.len())), "{any}");
    // worst grades partition the patients with an event
    let by_grade: usize = t
        .rows
        .iter()
        .filter(|r| r[0].starts_with("Worst grade"))
        .map(|r| count(&r[total]))
        .sum();
    assert_eq!(by_grade, patients.len());
    let grade3: BTreeSet<&str> = ae
        .iter()
        .filter(|e| e.3 == "3")
        .map(|e| e.0.as_str())
        .collect();
    assert_eq!(count(&row(&t, "Grade 3 or worse")[total]), grade3.len());
    // one row per described event; the events of the rows add up to all events
    let terms: BTreeSet<&str> = ae.iter().map(|e| e.2.as_str()).collect();
    let term_rows: Vec<_> = t.rows.iter().filter(|r| r[0].starts_with("  ")).collect();
    assert_eq!(term_rows.len(), terms.len());
    let n_events: usize = term_rows
        .iter()
        .map(|r| {
            let c = &r[total];
            c[c.rfind('[').unwrap() + 1..c.len() - 1]
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(n_events, ae.len());
}

fn trivial_figure() -> Figure {
    Figure::new(
        "trajectory_nrs",
        "Mean NRS by arm & visit",
        "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"360\" \
         viewBox=\"0 0 720 360\"><rect x=\"10\" y=\"10\" width=\"700\" height=\"340\" fill=\"none\" \
         stroke=\"black\"/><text x=\"20\" y=\"40\" font-size=\"20\">Mean NRS by arm</text></svg>",
    )
}

#[test]
fn comparison_report_html_holds_every_table_escaped_and_no_nan() {
    let cohort = knee();
    let r = results(&cohort);
    let report = comparison_report(&r, &cohort, vec![trivial_figure()]).unwrap();
    let html = report.to_html();
    let ids: Vec<&str> = report.tables().map(|t| t.id.as_str()).collect();
    for id in [
        "summary_arms",
        "summary_effects",
        "participant_flow",
        "baseline",
        "outcomes_nrs",
        "responders_immpact_30",
        "time_to_surgery",
        "adverse_events",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
        assert!(html.contains(&format!("<figure class=\"table\" id=\"{id}\">")));
    }
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "table ids are distinct");
    assert_eq!(html.matches("<table>").count(), ids.len());
    assert_eq!(html.matches("</table>").count(), ids.len());
    assert_eq!(html.matches("<tr>").count(), html.matches("</tr>").count());
    assert!(!html.contains("NaN") && !html.contains(">inf<"));
    // the figure is inline, without its XML declaration; its caption escaped
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\""));
    assert!(!html.contains("<?xml"));
    assert!(html.contains("Mean NRS by arm &amp; visit"));
    // self-contained: no script, no external stylesheet, image or link
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("<img"));
    assert!(!html.contains("src=") && !html.contains("href=\"http"));
    // the provenance names the crate version
    assert!(html.contains(&format!("pain-outcomes {}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn table_text_is_escaped_in_html_and_markdown() {
    let mut t = Table::new(
        "t",
        "<b>arms</b>",
        vec![pain_outcomes::report::Column::text("arm", "Arm | label")],
    );
    t.push_row(vec!["<script>alert(1)</script> & \"x\"".into()]);
    let html = Report::new("R")
        .with_section(Section::new("s", "S").with_table(t.clone()))
        .to_html();
    assert!(!html.contains("<script>") && !html.contains("<b>arms"));
    // (labels carry line-break opportunities `<wbr>` before `(`)
    assert!(html.contains("&lt;script&gt;alert<wbr>(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert!(t.to_markdown().contains("Arm \\| label"));
}

#[test]
fn refused_statistics_read_as_refusals_never_nan() {
    // one patient per arm: no SD, no comparison
    let a = "patient_id,therapy,day,instrument,score,age,sex\n\
             P1,prp,0,nrs,7,50,female\nP1,prp,90,nrs,4,50,female\n\
             P2,placebo,0,nrs,6,61,male\nP2,placebo,90,nrs,6,61,male\n";
    let cohort = read_csv_texts(a, None, None, &Default::default())
        .unwrap()
        .cohort;
    let t = baseline_characteristics(&cohort).unwrap();
    let age = row(&t, "Age, years");
    assert!(age[2].starts_with("refused ("), "{age:?}");
    assert!(!t.to_html().contains("NaN"));
    let flow = participant_flow(&cohort, "nrs", None).unwrap();
    assert_eq!(
        count(&row(&flow, "Enrolled")[flow.column("total").unwrap()]),
        2
    );
}

#[test]
fn write_report_writes_every_file_with_figures_inline_and_results_round_trip() {
    let cohort = knee();
    let r = results(&cohort);
    let report = comparison_report(&r, &cohort, vec![trivial_figure()]).unwrap();
    let dir = std::env::temp_dir().join(format!("pain_outcomes_report_{}", std::process::id()));
    let written = write_report(&dir, &report, &r).unwrap();
    let html = std::fs::read_to_string(&written.html).unwrap();
    assert!(html.contains("<text x=\"20\" y=\"40\" font-size=\"20\">Mean NRS by arm</text>"));
    let md = std::fs::read_to_string(&written.markdown).unwrap();
    assert!(md.contains("(figures/trajectory_nrs.svg)"));
    assert_eq!(written.figures.len(), 1);
    assert!(
        std::fs::read_to_string(&written.figures[0])
            .unwrap()
            .contains("<svg")
    );
    assert_eq!(written.tables.len(), report.tables().count());
    for (path, table) in written.tables.iter().zip(report.tables()) {
        let csv = std::fs::read_to_string(path).unwrap();
        let header = csv.lines().next().unwrap();
        let ids: Vec<&str> = table.columns.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(header, ids.join(","));
        assert!(md.contains(&format!("**{}**", table.title)));
    }
    // results.json reads back into the result types: equal tables, identical JSON
    let json = std::fs::read_to_string(&written.results).unwrap();
    let back: ComparisonResults = serde_json::from_str(&json).unwrap();
    assert_eq!(back.comparison.responders, r.comparison.responders);
    assert_eq!(back.comparison.trajectories, r.comparison.trajectories);
    assert_eq!(
        back.comparison.ancova_last_visit,
        r.comparison.ancova_last_visit
    );
    assert_eq!(back.comparison.contrasts, r.comparison.contrasts);
    assert_eq!(
        back.comparison.time_to_surgery,
        r.comparison.time_to_surgery
    );
    assert_eq!(back.baseline_balance, r.baseline_balance);
    assert_eq!(back.provenance, r.provenance);
    let (m, m_back) = (
        r.comparison.mmrm.computed().unwrap(),
        back.comparison.mmrm.computed().unwrap(),
    );
    assert_eq!(m_back.differences, m.differences);
    assert_eq!(m_back.lsmeans, m.lsmeans);
    assert_eq!(m_back.attrition, m.attrition);
    assert_eq!(pain_outcomes::report::to_json(&back).unwrap(), json);
    // the report of the read-back results is the report of the results
    assert_eq!(
        comparison_report(&back, &cohort, vec![trivial_figure()])
            .unwrap()
            .to_html(),
        html
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_refused_mmrm_round_trips_through_json() {
    // two patients: the MMRM is refused; the refusal must read back
    let a = "patient_id,therapy,day,instrument,score\n\
             P1,prp,0,nrs,7\nP1,prp,90,nrs,4\nP2,placebo,0,nrs,6\nP2,placebo,90,nrs,6\n";
    let cohort = read_csv_texts(a, None, None, &Default::default())
        .unwrap()
        .cohort;
    let c = pain_outcomes::analysis::compare_therapies(&cohort, &Default::default()).unwrap();
    assert!(c.mmrm.refusal().is_some());
    let json = serde_json::to_string(&c).unwrap();
    let back: TherapyComparison = serde_json::from_str(&json).unwrap();
    assert_eq!(back.mmrm.refusal(), c.mmrm.refusal());
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}
