//! The report layer: tables against the data, the HTML page, the written files, results.json.

use pain_outcomes::analysis::{TherapyComparison, TherapyComparisonOptions, compare_therapies};
use pain_outcomes::data::{CsvFiles, read_csv_files};

fn knee() -> pain_outcomes::Cohort {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
        .with_events(format!("{dir}knee_oa_trial_events.csv"));
    read_csv_files(&files, &Default::default()).unwrap().cohort
}

#[test]
fn comparison_round_trips_through_json() {
    let cohort = knee();
    let c = compare_therapies(&cohort, &TherapyComparisonOptions::default()).unwrap();
    let json = serde_json::to_string(&c).unwrap();
    let back: TherapyComparison = serde_json::from_str(&json).unwrap();
    let again = serde_json::to_string(&back).unwrap();
    assert_eq!(json, again);
}
