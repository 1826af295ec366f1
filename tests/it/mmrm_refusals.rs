//! MMRM refusals: valid input from which the model cannot honestly be fitted.
use pain_outcomes::RefusalReason;
use pain_outcomes::stats::mmrm::*;

struct Toy {
    subject: Vec<usize>,
    visit: Vec<usize>,
    arm: Vec<usize>,
    x: Vec<f64>,
    y: Vec<f64>,
}

/// 12 subjects, 3 visits, 2 arms, deterministic pseudo-random responses.
fn toy() -> Toy {
    let mut t = Toy {
        subject: vec![],
        visit: vec![],
        arm: vec![],
        x: vec![],
        y: vec![],
    };
    for s in 0..12 {
        for v in 0..3 {
            t.subject.push(s);
            t.visit.push(v);
            t.arm.push(s % 2);
            t.x.push((s * 7 % 5) as f64);
            let noise = ((s * 31 + v * 17) % 11) as f64 / 5.0 - 1.0;
            t.y.push(1.0 + v as f64 + 0.5 * (s % 2) as f64 + noise);
        }
    }
    t
}

fn labels(n: usize) -> Vec<String> {
    (1..=n).map(|v| format!("V{v}")).collect()
}

#[test]
fn mmrm_refuses_singular_design() {
    let t = toy();
    let x2: Vec<f64> = t.x.iter().map(|v| 2.0 * v).collect();
    let data = MmrmData::new(&t.subject, &t.visit, &t.y, labels(3))
        .unwrap()
        .with_covariate("x", &t.x)
        .unwrap()
        .with_covariate("x2", &x2)
        .unwrap();
    let out = mmrm(
        &data,
        &ModelSpec::parse("visit + x + x2").unwrap(),
        &MmrmOptions::default(),
    )
    .unwrap();
    assert_eq!(
        out.refusal().map(|r| r.reason),
        Some(RefusalReason::SingularDesign)
    );
}

#[test]
fn mmrm_refuses_visit_without_data() {
    let t = toy();
    // Four visit labels, but no row for the fourth visit.
    let data = MmrmData::new(&t.subject, &t.visit, &t.y, labels(4)).unwrap();
    let out = mmrm(
        &data,
        &ModelSpec::parse("visit").unwrap(),
        &MmrmOptions::default(),
    )
    .unwrap();
    let r = out.refusal().unwrap();
    assert_eq!(r.reason, RefusalReason::EmptyGroup);
    assert!(r.detail.contains("V4"), "{r}");
}

#[test]
fn mmrm_refuses_arm_without_patients() {
    let t = toy();
    let data = MmrmData::new(&t.subject, &t.visit, &t.y, labels(3))
        .unwrap()
        .with_factor(
            "arm",
            &t.arm,
            vec!["placebo".into(), "prp".into(), "stem_cell".into()],
            "placebo",
        )
        .unwrap();
    let out = mmrm(
        &data,
        &ModelSpec::parse("arm*visit").unwrap(),
        &MmrmOptions::default(),
    )
    .unwrap();
    let r = out.refusal().unwrap();
    assert_eq!(r.reason, RefusalReason::EmptyGroup);
    assert!(r.detail.contains("stem_cell"), "{r}");
}

#[test]
fn mmrm_refuses_unidentifiable_unstructured_covariance() {
    // Every subject observed at one visit only: no pair of visits is ever seen together, so
    // the unstructured covariances are not identified and the Hessian is singular.
    let subject: Vec<usize> = (0..12).collect();
    let visit: Vec<usize> = (0..12).map(|i| i % 3).collect();
    let y: Vec<f64> = (0..12).map(|i| (i * 37 % 13) as f64 / 3.0).collect();
    let data = MmrmData::new(&subject, &visit, &y, labels(3)).unwrap();
    let out = mmrm(
        &data,
        &ModelSpec::parse("visit").unwrap(),
        &MmrmOptions::default(),
    )
    .unwrap();
    assert_eq!(
        out.refusal().map(|r| r.reason),
        Some(RefusalReason::NoConvergence),
        "{:?}",
        out.refusal()
    );
}

#[test]
fn mmrm_rejects_kenward_roger_with_ml() {
    let t = toy();
    let data = MmrmData::new(&t.subject, &t.visit, &t.y, labels(3)).unwrap();
    let opts = MmrmOptions::default()
        .with_method(Estimation::Ml)
        .with_df(DfMethod::KenwardRoger);
    let err = mmrm(&data, &ModelSpec::parse("visit").unwrap(), &opts).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}
