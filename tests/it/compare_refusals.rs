//! Edge cases of the compare family are explicit refusals (or argument errors), never NaN.

use pain_outcomes::RefusalReason;
use pain_outcomes::stats::ancova::{AncovaOptions, ancova};
use pain_outcomes::stats::describe::{
    DescribeOptions, MissingVisitPolicy, area_under_trajectory, describe,
};
use pain_outcomes::stats::effect_size::{SmdEstimator, standardized_mean_difference};
use pain_outcomes::stats::hypothesis::{
    ContinuityCorrection, RankTestOptions, TTestOptions, Variances, chi_squared_test,
    fisher_exact_test, kruskal_wallis_test, mann_whitney_u_test, one_way_anova, two_sample_t_test,
};
use pain_outcomes::stats::responders::{
    ComparisonOptions, ZeroCellPolicy, compare_responder_rates,
};
use pain_outcomes::stats::{Proportion, TwoByTwo};
use pain_outcomes::{Error, Outcome};

fn reason<T: std::fmt::Debug>(o: Outcome<T>) -> RefusalReason {
    match o {
        Outcome::Refused(r) => r.reason,
        Outcome::Computed(v) => panic!("expected a refusal, got {v:?}"),
    }
}

#[test]
fn small_empty_and_constant_samples_are_refused() {
    let o = DescribeOptions::default();
    assert_eq!(
        reason(describe(&[None, None], &o).unwrap()),
        RefusalReason::EmptyGroup
    );
    assert_eq!(
        reason(describe(&[Some(3.0)], &o).unwrap()),
        RefusalReason::TooFewObservations
    );
    let t = TTestOptions::default();
    assert_eq!(
        reason(two_sample_t_test(&[1.0], &[1.0, 2.0], &t).unwrap()),
        RefusalReason::TooFewObservations
    );
    assert_eq!(
        reason(two_sample_t_test(&[], &[1.0, 2.0], &t).unwrap()),
        RefusalReason::EmptyGroup
    );
    assert_eq!(
        reason(two_sample_t_test(&[2.0, 2.0], &[3.0, 3.0], &t).unwrap()),
        RefusalReason::ZeroVariance
    );
    assert_eq!(
        reason(
            two_sample_t_test(
                &[2.0, 2.0],
                &[3.0, 3.0],
                &t.with_variances(Variances::Equal)
            )
            .unwrap()
        ),
        RefusalReason::ZeroVariance
    );
    assert_eq!(
        reason(mann_whitney_u_test(&[1.0; 60], &[1.0; 60], &RankTestOptions::default()).unwrap()),
        RefusalReason::ZeroVariance
    );
    assert_eq!(
        reason(one_way_anova(&[1.0, 2.0, 3.0], &["a", "a", "b"], Variances::Equal).unwrap()),
        RefusalReason::TooFewObservations
    );
    assert_eq!(
        reason(
            one_way_anova(
                &[1.0, 1.0, 3.0, 4.0],
                &["a", "a", "b", "b"],
                Variances::Unequal
            )
            .unwrap()
        ),
        RefusalReason::ZeroVariance
    );
    assert_eq!(
        reason(kruskal_wallis_test(&[1.0, 1.0, 1.0, 1.0], &["a", "a", "b", "b"]).unwrap()),
        RefusalReason::ZeroVariance
    );
    assert_eq!(
        reason(
            standardized_mean_difference(&[1.0, 1.0], &[1.0, 1.0], SmdEstimator::HedgesG, 0.95)
                .unwrap()
        ),
        RefusalReason::ZeroVariance
    );
    assert_eq!(
        reason(
            area_under_trajectory(
                &[0.0, 30.0],
                &[Some(5.0), None],
                MissingVisitPolicy::SkipMissing
            )
            .unwrap()
        ),
        RefusalReason::TooFewObservations
    );
}

#[test]
fn all_or_no_responders_and_zero_cells_follow_the_documented_rule() {
    let o = ComparisonOptions::default();
    assert_eq!(
        reason(
            compare_responder_rates(Proportion::new(10, 10), Proportion::new(5, 5), &o).unwrap()
        ),
        RefusalReason::AllResponders
    );
    assert_eq!(
        reason(compare_responder_rates(Proportion::new(0, 10), Proportion::new(0, 5), &o).unwrap()),
        RefusalReason::NoResponders
    );
    assert_eq!(
        reason(compare_responder_rates(Proportion::new(3, 10), Proportion::new(0, 0), &o).unwrap()),
        RefusalReason::EmptyGroup
    );
    // One arm without responders: RD is fine, RR/OR refused by default...
    let c = compare_responder_rates(Proportion::new(6, 20), Proportion::new(0, 20), &o)
        .unwrap()
        .into_result()
        .unwrap();
    assert!(
        c.risk_difference_interval.lower.is_finite()
            && c.risk_difference_interval.upper.is_finite()
    );
    assert_eq!(
        c.relative_risk.refusal().map(|r| r.reason),
        Some(RefusalReason::NotEstimable)
    );
    assert_eq!(
        c.odds_ratio.refusal().map(|r| r.reason),
        Some(RefusalReason::NotEstimable)
    );
    // ...and Haldane-corrected on request: (6.5/21) / (0.5/21) = 13.
    let h = compare_responder_rates(
        Proportion::new(6, 20),
        Proportion::new(0, 20),
        &o.with_zero_cells(ZeroCellPolicy::HaldaneCorrection),
    )
    .unwrap()
    .into_result()
    .unwrap();
    let rr = h.relative_risk.computed().unwrap();
    assert!(rr.haldane_corrected && (rr.estimate - 13.0).abs() < 1e-12);
    // Equal rates: the NNT is infinite and refused.
    let e = compare_responder_rates(Proportion::new(5, 10), Proportion::new(5, 10), &o)
        .unwrap()
        .into_result()
        .unwrap();
    assert!(e.number_needed_to_treat.refusal().is_some());
    // Fisher with a zero cell: finite p, the MLE is reported as zero/infinite, not as a number.
    let f = fisher_exact_test(
        TwoByTwo::new(Proportion::new(0, 10), Proportion::new(5, 10)),
        0.95,
    )
    .unwrap()
    .into_result()
    .unwrap();
    assert!(f.p_value > 0.0 && f.p_value < 1.0 && f.odds_ratio.is_none() && f.odds_ratio_is_zero);
    assert_eq!(
        reason(chi_squared_test(&[vec![0, 0], vec![3, 4]], ContinuityCorrection::None).unwrap()),
        RefusalReason::EmptyGroup
    );
}

#[test]
fn ancova_refuses_tiny_arms_and_singular_designs() {
    let o = AncovaOptions::default();
    let r = ancova(
        &[1.0, 2.0, 3.0, 4.0],
        &[1.0, 2.0, 3.0, 5.0],
        &["a", "b", "b", "b"],
        &[],
        &o,
    )
    .unwrap();
    assert_eq!(reason(r), RefusalReason::TooFewObservations);
    // Covariate identical to the baseline: rank deficient.
    let base = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let r = ancova(
        &[1.0, 3.0, 2.0, 5.0, 4.0, 6.0],
        &base,
        &["a", "a", "a", "b", "b", "b"],
        &[&base],
        &o,
    )
    .unwrap();
    assert_eq!(reason(r), RefusalReason::SingularDesign);
    let r = ancova(
        &[1.0, 3.0, 2.0, 5.0],
        &[2.0; 4],
        &["a", "a", "b", "b"],
        &[],
        &o,
    )
    .unwrap();
    assert_eq!(reason(r), RefusalReason::ZeroVariance);
}

#[test]
fn invalid_arguments_are_errors() {
    assert!(matches!(
        describe(&[Some(f64::NAN), Some(1.0)], &DescribeOptions::default()),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        describe(
            &[Some(1.0), Some(2.0)],
            &DescribeOptions::default().with_confidence_level(1.5)
        ),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        one_way_anova(&[1.0, 2.0], &["a"], Variances::Equal),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ancova(
            &[1.0, 2.0],
            &[1.0, 2.0],
            &["a", "b"],
            &[],
            &AncovaOptions::default().with_reference_arm("zzz")
        ),
        Err(Error::InvalidArgument { .. })
    ));
}
