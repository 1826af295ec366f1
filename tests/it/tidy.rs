//! Tidy tables carry the results' own numbers, refusals as a status, and survive CSV.

use pain_outcomes::analysis::{
    MmrmBuilder, ResponderAnalysisOptions, RuleChoice, TimeToEventOptions, analyse_time_to_event,
    describe_by_arm_and_visit, responders_by_arm_and_visit,
};
use pain_outcomes::data::{CsvFiles, EventEndpoint, TidyTable, TidyValues, read_csv_files};
use pain_outcomes::report::Tidy;

fn numbers<'a>(t: &'a TidyTable, name: &str) -> &'a [Option<f64>] {
    match &t.column(name).unwrap().values {
        TidyValues::Number(v) => v,
        TidyValues::Text(_) => panic!("{name} is text"),
    }
}

fn texts<'a>(t: &'a TidyTable, name: &str) -> &'a [Option<String>] {
    match &t.column(name).unwrap().values {
        TidyValues::Text(v) => v,
        TidyValues::Number(_) => panic!("{name} is numeric"),
    }
}

#[test]
fn tidy_tables_hold_the_results_numbers_and_write_csv() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
        .with_events(format!("{dir}knee_oa_trial_events.csv"));
    let cohort = read_csv_files(&files, &Default::default()).unwrap().cohort;

    let mmrm = MmrmBuilder::new(&cohort)
        .instrument("nrs")
        .fit()
        .unwrap()
        .into_result()
        .unwrap();
    let t = mmrm.tidy().unwrap();
    assert_eq!(t.n_rows(), mmrm.differences.len());
    for (i, d) in mmrm.differences.iter().enumerate() {
        let d = d.computed().unwrap();
        assert_eq!(texts(&t, "arm")[i].as_deref(), Some(d.arm.as_str()));
        assert_eq!(numbers(&t, "estimate")[i], Some(d.difference.estimate));
        assert_eq!(
            numbers(&t, "upper")[i],
            Some(d.difference.confidence_interval.upper)
        );
        assert_eq!(texts(&t, "status")[i].as_deref(), Some("computed"));
    }
    let mut csv = Vec::new();
    t.write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), t.n_rows());
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "estimate")
        .unwrap();
    let back: f64 = rows[3][col].parse().unwrap();
    assert_eq!(Some(back), numbers(&t, "estimate")[3]); // shortest exact form
    assert_eq!(
        t.to_dataframe().unwrap().shape(),
        (t.n_rows(), t.columns().len())
    );

    let wide = cohort.wide("nrs").unwrap();
    let rule = RuleChoice::Immpact30.rule(&wide.instrument, None).unwrap();
    let r = responders_by_arm_and_visit(
        &cohort,
        &wide,
        &rule,
        "immpact_30",
        &ResponderAnalysisOptions::default(),
    )
    .unwrap();
    let rt = r.tidy().unwrap();
    assert_eq!(rt.n_rows(), r.cells.len());
    let reference_row = texts(&rt, "arm")
        .iter()
        .position(|a| a.as_deref() == Some("placebo"))
        .unwrap();
    assert_eq!(numbers(&rt, "risk_difference")[reference_row], None);

    let trajectories = describe_by_arm_and_visit(&wide, &Default::default()).unwrap();
    assert_eq!(
        trajectories.tidy().unwrap().n_rows(),
        trajectories.rows.len()
    );

    let data = cohort.time_to_event(EventEndpoint::Surgery).unwrap();
    let tte = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default()).unwrap();
    let tt = tte.tidy().unwrap();
    assert_eq!(tt.n_rows(), tte.arms.len());
    let hr = numbers(&tt, "hazard_ratio");
    let arms = texts(&tt, "arm");
    for (a, h) in arms.iter().zip(hr) {
        let a = a.as_deref().unwrap();
        assert_eq!(*h, tte.hazard_ratio(a).map(|c| c.hazard_ratio));
    }
}
