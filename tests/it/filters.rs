//! Patient filters (`--where`): parsing with typed errors that list what exists, and subsets
//! that keep their patients' events.

use pain_outcomes::data::{PatientFilter, Selection, read_csv_texts};

fn cohort() -> pain_outcomes::Cohort {
    let a = "patient_id,therapy,cell_source,day,instrument,score,age,sex,severity,site\n\
             P1,stem_cell,adipose,0,nrs,7,64,female,4,Site_A\n\
             P1,stem_cell,adipose,90,nrs,3,64,female,4,Site_A\n\
             P2,stem_cell,bone_marrow,0,nrs,6,51,male,4,site_b\n\
             P3,placebo,,0,nrs,6,70,female,2,site_a\n\
             P4,placebo,,0,nrs,5,,male,,site_b\n";
    let e = "patient_id,event,day,detail,grade\nP1,surgery,120,tkr,\nP3,withdrawal,30,moved,\n";
    read_csv_texts(a, None, Some(e), &Default::default())
        .unwrap()
        .cohort
}

fn kept(filter: &str) -> Vec<String> {
    let f: PatientFilter = filter.parse().unwrap();
    cohort()
        .select(&Selection::new().matching(f))
        .patients()
        .iter()
        .map(|p| p.id.to_string())
        .collect()
}

#[test]
fn clauses_combine_with_and_and_missing_values_are_not_kept() {
    assert_eq!(kept("severity=4"), ["P1", "P2"]);
    assert_eq!(kept("severity=4,age>=60"), ["P1"]);
    assert_eq!(kept("age<65"), ["P1", "P2"]); // P4 has no age
    assert_eq!(kept("age>64"), ["P3"]);
    assert_eq!(kept("severity!=4"), ["P3"]); // P4 has no severity
    assert_eq!(kept("sex=FEMALE"), ["P1", "P3"]);
    assert_eq!(kept("site=site_a"), ["P1", "P3"]); // text without regard to case
    assert_eq!(kept("cell_source=adipose"), ["P1"]);
    assert_eq!(kept("therapy=stem_cell"), ["P1", "P2"]);
    assert_eq!(kept(""), ["P1", "P2", "P3", "P4"]);
}

#[test]
fn subsets_keep_their_patients_events() {
    let f: PatientFilter = "sex=female".parse().unwrap();
    let sub = cohort().select(&Selection::new().matching(f));
    assert_eq!(sub.events().len(), 2);
    assert_eq!(
        sub.arms(),
        &["placebo".to_string(), "stem_cell".to_string()]
    );
}

#[test]
fn bad_filters_are_typed_errors_that_list_what_exists() {
    let err = |s: &str| s.parse::<PatientFilter>().unwrap_err().to_string();
    let e = cohort()
        .filtered(&"grade=4".parse().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column `grade`") && e.contains("severity, sex"),
        "{e}"
    );
    let e = err("sex=femal");
    assert!(
        e.contains("`femal` is not a sex") && e.contains("female, male"),
        "{e}"
    );
    let e = err("condition=knee");
    assert!(e.contains("knee_oa"), "{e}");
    let e = err("age>=sixty");
    assert!(e.contains("`sixty` is not a number for `age`"), "{e}");
    let e = err("site>site_a");
    assert!(e.contains("`site` is not numeric"), "{e}");
    let e = err("age>=");
    assert!(e.contains("no value"), "{e}");
    let e = err("age");
    assert!(e.contains("no comparison"), "{e}");
    let e = err("=4");
    assert!(e.contains("no attribute"), "{e}");
    assert_eq!(
        "age>=60, sex=female"
            .parse::<PatientFilter>()
            .unwrap()
            .to_string(),
        "age>=60,sex=female"
    );
}

#[test]
fn the_users_own_columns_are_kept_typed_and_written_back() {
    let csv = "patient_id,therapy,day,instrument,score,symptom_months,smoker,visit_note\n\
               P1,prp,0,nrs,7,14,yes,first\n\
               P1,prp,90,nrs,4,14,yes,second\n\
               P2,placebo,0,nrs,6,3.5,,first\n\
               P2,placebo,90,nrs,6,3.5,no,\n";
    let l = pain_outcomes::data::read_csv_str(csv, "own.csv", &Default::default()).unwrap();
    let kinds: Vec<(&str, pain_outcomes::data::ColumnKind)> = l
        .report
        .kept_columns
        .iter()
        .map(|k| (k.name.as_str(), k.kind))
        .collect();
    use pain_outcomes::data::ColumnKind::{Covariate, Factor};
    assert_eq!(kinds, [("symptom_months", Covariate), ("smoker", Factor)]);
    // a value that differs within a patient: not patient-level, reported as ignored
    assert_eq!(l.report.ignored_columns, ["visit_note"]);
    assert!(
        l.report
            .to_string()
            .contains("kept columns: symptom_months (covariate), smoker (factor)")
    );
    let p2 = &l.cohort.patients()[1];
    assert_eq!(p2.covariates["symptom_months"], 3.5);
    assert_eq!(p2.factors["smoker"], "no");
    // CSV and polars round trips keep them
    let mut out = Vec::new();
    l.cohort.write_csv(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let again = pain_outcomes::data::read_csv_str(&text, "again.csv", &Default::default())
        .unwrap()
        .cohort;
    assert_eq!(again, l.cohort);
    let df = l.cohort.to_dataframe().unwrap();
    let back = pain_outcomes::data::from_dataframe(&df, &Default::default())
        .unwrap()
        .cohort;
    assert_eq!(back, l.cohort);
    // and filters use them
    let long = l
        .cohort
        .filtered(&"symptom_months>12".parse().unwrap())
        .unwrap();
    assert_eq!(long.n_patients(), 1);
}
