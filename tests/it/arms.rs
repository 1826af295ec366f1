//! The arm policy, as a user meets it: a trial whose stem-cell arm records two cell sources.
//! Without an `arm` column every analysis sees one stem-cell arm; `therapy+cell_source` splits
//! it; with an `arm` column the arms follow the column. One reference-arm rule everywhere.

use pain_outcomes::analysis::{
    MmrmBuilder, ResponderAnalysisOptions, RuleChoice, TherapyComparisonOptions,
    TimeToEventOptions, analyse_endpoint, ancova_at_visit, compare_therapies,
    default_reference_arm, reference_arm, responder_analysis,
};
use pain_outcomes::data::{
    ArmBy, Column, ColumnMap, EventEndpoint, LoadOptions, read_csv_str, read_csv_texts,
};
use pain_outcomes::stats::ancova::AncovaOptions;

/// A small randomised trial: placebo and stem cells (bone marrow or adipose, recorded per
/// patient), NRS at baseline, month 3 and month 6, and a surgery.
fn trial(with_arm_column: bool) -> (String, String) {
    let mut csv = String::from("patient_id,therapy,cell_source,day,instrument,score");
    csv += if with_arm_column { ",arm\n" } else { "\n" };
    for i in 0..24 {
        let (therapy, source, arm) = match i % 3 {
            0 => ("placebo", "", "Control"),
            1 => ("stem_cell", "bone_marrow", "MSC"),
            _ => ("stem_cell", "adipose", "MSC"),
        };
        // scores with some within-patient and between-patient scatter
        let base = 5 + (i * 13) % 4;
        let relief = if therapy == "placebo" { 1 } else { 3 };
        let m3 = base - relief + (i * 7) % 5 - 2;
        let m6 = base - relief + (i * 3) % 7 - 3;
        for (day, score) in [(0, base), (90, m3), (180, m6)] {
            csv += &format!("P{i:02},{therapy},{source},{day},nrs,{score}");
            csv += &if with_arm_column {
                format!(",{arm}\n")
            } else {
                "\n".to_string()
            };
        }
    }
    let events = "patient_id,event,day,detail,grade\nP00,surgery,150,tkr,\nP04,surgery,170,tkr,\n";
    (csv, events.to_string())
}

fn load(with_arm_column: bool, arm_by: ArmBy) -> pain_outcomes::Loaded {
    let (csv, events) = trial(with_arm_column);
    read_csv_texts(
        &csv,
        None,
        Some(&events),
        &LoadOptions::default().with_arm_by(arm_by),
    )
    .unwrap()
}

#[test]
fn without_an_arm_column_the_randomised_stem_cell_arm_is_one_arm() {
    let loaded = load(false, ArmBy::default());
    let cohort = &loaded.cohort;
    assert_eq!(cohort.arm_by(), ArmBy::Therapy);
    assert_eq!(
        cohort.arms(),
        &["placebo".to_string(), "stem_cell".to_string()]
    );
    assert_eq!(loaded.report.arms_by, ArmBy::Therapy);
    assert!(
        loaded
            .report
            .to_string()
            .contains("arms by therapy: placebo 8, stem_cell 16")
    );

    // every analysis sees the same two arms
    let comparison = compare_therapies(cohort, &TherapyComparisonOptions::new("nrs")).unwrap();
    assert_eq!(comparison.patients_per_arm.len(), 2);
    assert_eq!(comparison.reference_arm, "placebo");
    let mmrm = MmrmBuilder::new(cohort).instrument("nrs").fit().unwrap();
    let mmrm = mmrm
        .computed()
        .unwrap_or_else(|| panic!("{:?}", mmrm.refusal()));
    assert_eq!(mmrm.arms, ["placebo", "stem_cell"]);
    assert_eq!(mmrm.attrition.arm("stem_cell").unwrap().analysed, 16);
    let wide = cohort.wide("nrs").unwrap();
    let r = responder_analysis(cohort, &wide, RuleChoice::Immpact30, &Default::default()).unwrap();
    assert_eq!(r.onset.len(), 2);
    let t = analyse_endpoint(
        cohort,
        EventEndpoint::Surgery,
        "nrs",
        RuleChoice::Immpact30,
        &TimeToEventOptions::default(),
    )
    .unwrap();
    assert_eq!(t.analysis.arms.len(), 2);
    let a = ancova_at_visit(&wide, 1, &AncovaOptions::default()).unwrap();
    assert_eq!(a.attrition.arms.len(), 2);
}

#[test]
fn splitting_by_cell_source_is_an_explicit_choice() {
    let loaded = load(false, "therapy+cell_source".parse().unwrap());
    assert_eq!(
        loaded.cohort.arms(),
        &[
            "placebo".to_string(),
            "stem_cell[adipose]".to_string(),
            "stem_cell[bone_marrow]".to_string()
        ]
    );
    // the same cohort regrouped afterwards
    let merged = loaded.cohort.with_arm_by(ArmBy::Therapy);
    assert_eq!(merged.arms().len(), 2);
}

#[test]
fn with_an_arm_column_the_arms_follow_it() {
    let loaded = load(true, ArmBy::default());
    let cohort = &loaded.cohort;
    assert_eq!(cohort.arm_by(), ArmBy::Arm);
    assert_eq!(cohort.arms(), &["Control".to_string(), "MSC".to_string()]);
    assert!(
        loaded
            .report
            .to_string()
            .contains("arms by the recorded arm column")
    );
    // no placebo or usual-care label: the reference is the first arm in sort order, unless named
    let mmrm = MmrmBuilder::new(cohort).instrument("nrs").fit().unwrap();
    assert_eq!(mmrm.computed().unwrap().reference_arm, "Control");
    // the other definitions stay available
    let by_therapy = load(true, ArmBy::Therapy).cohort;
    assert_eq!(
        by_therapy.arms(),
        &["placebo".to_string(), "stem_cell".to_string()]
    );
}

#[test]
fn an_empty_arm_cell_is_a_typed_error() {
    let csv = "patient_id,therapy,day,instrument,score,arm\nP1,prp,0,nrs,7,A\nP2,prp,0,nrs,6,\n";
    let e = read_csv_str(csv, "trial.csv", &LoadOptions::default()).unwrap_err();
    assert_eq!(e.code(), "empty_value");
    let text = e.to_string();
    assert!(
        text.contains("trial.csv") && text.contains("line 3") && text.contains("arm"),
        "{text}"
    );
}

#[test]
fn adam_planned_treatment_defines_the_arms() {
    let csv = "USUBJID,TRT01A,TRT01P,ADY,PARAMCD,AVAL\n\
               S1,placebo,Placebo,0,nrs,7\nS1,placebo,Placebo,90,nrs,6\n\
               S2,stem_cell,MSC 50M,0,nrs,7\nS2,stem_cell,MSC 50M,90,nrs,3\n";
    let options = LoadOptions::default().with_column_map(ColumnMap::adam());
    let cohort = read_csv_str(csv, "adam.csv", &options).unwrap().cohort;
    assert_eq!(
        cohort.arms(),
        &["MSC 50M".to_string(), "Placebo".to_string()]
    );
    assert_eq!(ColumnMap::adam().source_name(Column::Arm), "TRT01P");
    // `Placebo` is found by the reference rule whatever its case
    assert_eq!(
        default_reference_arm(cohort.arms()).as_deref(),
        Some("Placebo")
    );
}

#[test]
fn one_reference_arm_rule() {
    let arms = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        reference_arm(&arms(&["prp", "placebo", "usual_care"]), None).unwrap(),
        "placebo"
    );
    assert_eq!(
        reference_arm(&arms(&["prp", "usual_care", "corticosteroid"]), None).unwrap(),
        "usual_care"
    );
    assert_eq!(
        reference_arm(&arms(&["prp", "corticosteroid"]), None).unwrap(),
        "corticosteroid"
    );
    assert_eq!(
        reference_arm(&arms(&["prp", "corticosteroid"]), Some(" PRP ")).unwrap(),
        "prp"
    );
    let e = reference_arm(&arms(&["prp"]), Some("steroid")).unwrap_err();
    assert!(
        e.to_string().contains("no arm `steroid` (present: prp)"),
        "{e}"
    );
    // the same rule in the responder analysis (which once compared with nothing by default)
    let loaded = load(false, ArmBy::default());
    let wide = loaded.cohort.wide("nrs").unwrap();
    let r = responder_analysis(
        &loaded.cohort,
        &wide,
        RuleChoice::Immpact30,
        &ResponderAnalysisOptions::default(),
    )
    .unwrap();
    assert_eq!(r.responders.reference_arm, "placebo");
    let stem = r.responders.cell("stem_cell", "month_3").unwrap();
    assert!(stem.versus_reference.is_some());
}

#[test]
fn names_users_type_match_without_regard_to_case_and_spaces() {
    let cohort = load(false, ArmBy::default()).cohort;
    let mmrm = MmrmBuilder::new(&cohort)
        .instrument(" NRS ")
        .arms(&["PLACEBO", "Stem_Cell "])
        .visits(&["Month_3", "month_6"])
        .reference_arm("Placebo")
        .fit()
        .unwrap();
    let mmrm = mmrm.computed().unwrap();
    assert_eq!(mmrm.reference_arm, "placebo");
    assert_eq!(mmrm.visits, ["month_3", "month_6"]);
    assert!(mmrm.difference("stem_cell", "month_6").is_some());
    assert!(mmrm.lsmean("stem_cell", "month_6").is_some());
    let e = MmrmBuilder::new(&cohort)
        .instrument("nrs")
        .arms(&["steroid"])
        .fit()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no arm `steroid` (present: placebo, stem_cell)"),
        "{e}"
    );
    assert_eq!(cohort.arm_index(" Stem_Cell"), Some(1));
    assert_eq!(cohort.visit_index("MONTH_3"), cohort.visit_index("month_3"));
}
