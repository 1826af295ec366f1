//! Survival kernels: invalid arguments are errors, undefined statistics are refusals.

use nalgebra::DMatrix;
use pain_outcomes::RefusalReason;
use pain_outcomes::stats::survival::*;

const C: Status = Status::Censored;
const E: Status = Status::Event;

#[test]
fn negative_nan_and_infinite_times_are_invalid_arguments() {
    let opts = KaplanMeierOptions::default();
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let err = kaplan_meier(&[1.0, bad], &[E, E], &opts).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
        assert!(log_rank(&[1.0, bad], &[E, E], &["a", "b"]).is_err());
        let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
        assert!(CoxData::new(&[1.0, bad], &[E, E], &x).is_err());
    }
}

#[test]
fn mismatched_lengths_and_bad_levels_are_invalid_arguments() {
    assert!(kaplan_meier(&[1.0, 2.0], &[E], &KaplanMeierOptions::default()).is_err());
    let opts = KaplanMeierOptions::default().with_confidence_level(1.0);
    assert!(kaplan_meier(&[1.0], &[E], &opts).is_err());
    assert!(log_rank(&[1.0, 2.0], &[E, E], &["a"]).is_err());
    let x = DMatrix::from_column_slice(2, 1, &[f64::NAN, 1.0]);
    assert!(CoxData::new(&[1.0, 2.0], &[E, E], &x).is_err());
    assert!(rmst_difference(&[1.0, 2.0, 3.0], &[E; 3], &["a", "b", "c"], &"a", 1.0, 0.95).is_err());
    assert!(rmst_difference(&[1.0, 2.0], &[E; 2], &["a", "b"], &"z", 1.0, 0.95).is_err());
}

#[test]
fn all_censored_refuses_cox_and_log_rank_with_no_events() {
    let time = [1.0, 2.0, 3.0, 4.0];
    let status = [C; 4];
    let lr = log_rank(&time, &status, &["a", "a", "b", "b"]).unwrap();
    assert_eq!(lr.refusal().unwrap().reason, RefusalReason::NoEvents);
    let x = DMatrix::from_column_slice(4, 1, &[0.0, 0.0, 1.0, 1.0]);
    let fit = cox_ph(
        &CoxData::new(&time, &status, &x).unwrap(),
        &CoxOptions::default(),
    )
    .unwrap();
    assert_eq!(fit.refusal().unwrap().reason, RefusalReason::NoEvents);
    // The Kaplan-Meier curve itself is defined (flat at 1); its median is not reached.
    let km = kaplan_meier(&time, &status, &KaplanMeierOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(km.median.estimate, None);
    assert!(km.survival.iter().all(|&s| (s - 1.0).abs() < 1e-15));
}

#[test]
fn empty_input_refuses_kaplan_meier() {
    let km = kaplan_meier(&[], &[], &KaplanMeierOptions::default()).unwrap();
    assert_eq!(
        km.refusal().unwrap().reason,
        RefusalReason::TooFewObservations
    );
}

#[test]
fn cox_refuses_arm_with_no_events_as_monotone_likelihood() {
    let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let status = [E, E, E, E, C, C, C, C];
    let arm = DMatrix::from_column_slice(8, 1, &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    let fit = cox_ph(
        &CoxData::new(&time, &status, &arm).unwrap(),
        &CoxOptions::default(),
    )
    .unwrap();
    assert_eq!(
        fit.refusal().unwrap().reason,
        RefusalReason::MonotoneLikelihood
    );
}

#[test]
fn cox_refuses_constant_covariate_as_singular() {
    let x = DMatrix::from_column_slice(4, 1, &[1.0; 4]);
    let fit = cox_ph(
        &CoxData::new(&[1.0, 2.0, 3.0, 4.0], &[E; 4], &x).unwrap(),
        &CoxOptions::default(),
    )
    .unwrap();
    assert_eq!(fit.refusal().unwrap().reason, RefusalReason::SingularDesign);
}

#[test]
fn rmst_beyond_last_observation_refuses() {
    let km = kaplan_meier(&[1.0, 2.0], &[E, C], &KaplanMeierOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(
        km.rmst(3.0).unwrap().refusal().unwrap().reason,
        RefusalReason::NotEstimable
    );
    assert!(km.rmst(-1.0).is_err());
}

#[test]
fn results_serialize_without_nan() {
    let km = kaplan_meier(&[1.0, 2.0, 2.0], &[E, E, E], &KaplanMeierOptions::default()).unwrap();
    let json = serde_json::to_string(&km).unwrap();
    assert!(json.contains("\"status\":\"computed\""));
    assert!(!json.contains("NaN") && !json.contains("inf"));
}

#[test]
fn displays_print_r_like_summaries() {
    let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let status = [E, E, C, E, E, C, E, E];
    let arm = ["a", "b", "a", "b", "a", "b", "a", "b"];
    let km = kaplan_meier(&time, &status, &KaplanMeierOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert!(km.to_string().contains("median"));
    let lr = log_rank(&time, &status, &arm)
        .unwrap()
        .into_result()
        .unwrap();
    assert!(lr.to_string().contains("Chisq"));
    let x = DMatrix::from_column_slice(8, 1, &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    let data = CoxData::new(&time, &status, &x)
        .unwrap()
        .with_names(&["arm_b"])
        .unwrap();
    let fit = cox_ph(&data, &CoxOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert!(fit.to_string().contains("arm_b"));
    let zph = cox_zph(&data, &fit, &ZphOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    assert!(zph.to_string().contains("GLOBAL"));
    let d = rmst_difference(&time, &status, &arm, &"a", 7.0, 0.95)
        .unwrap()
        .into_result()
        .unwrap();
    assert!(d.to_string().contains("difference"));
}
