//! The MMRM engine never panics on arbitrary (small) data: every structure, fit mode and df
//! method returns a fit, a refusal or a typed error, and a fit holds only finite numbers.
use pain_outcomes::stats::mmrm::*;
use proptest::prelude::*;

const STRUCTURES: [CovarianceStructure; 9] = [
    CovarianceStructure::Unstructured,
    CovarianceStructure::CompoundSymmetry,
    CovarianceStructure::HeterogeneousCompoundSymmetry,
    CovarianceStructure::Ar1,
    CovarianceStructure::HeterogeneousAr1,
    CovarianceStructure::Toeplitz,
    CovarianceStructure::HeterogeneousToeplitz,
    CovarianceStructure::AnteDependence,
    CovarianceStructure::SpatialExponential,
];

/// Rows (subject, visit, arm, response, day) for up to 12 subjects and 3 visits; a subject may
/// miss visits; responses include repeated values and large magnitudes.
fn rows() -> impl Strategy<Value = Vec<(usize, usize, usize, f64, f64)>> {
    prop::collection::vec(
        (
            0usize..12,
            0usize..3,
            prop::sample::select(vec![0.0, 1.0, -3.5, 7.25, 1e6, -1e-6, 2.0]),
            -5.0f64..5.0,
            0.0f64..3.0,
        ),
        0..40,
    )
    .prop_map(|v| {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for (s, visit, a, b, jitter) in v {
            if seen.insert((s, visit)) {
                out.push((s, visit, s % 2, a + b, visit as f64 * 10.0 + jitter));
            }
        }
        out
    })
}

fn check(fit: &MmrmFit) {
    for c in &fit.coefficients {
        assert!(c.estimate.is_finite() && c.std_error.is_finite(), "{c:?}");
    }
    assert!(fit.fit_statistics.log_likelihood.is_finite());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn mmrm_never_panics_on_arbitrary_small_data(
        data in rows(),
        si in 0usize..9,
        mode in 0usize..3,
        df in 0usize..3,
    ) {
        // Dense subject indices.
        let mut ids = std::collections::BTreeMap::new();
        let subject: Vec<usize> = data.iter().map(|r| { let n = ids.len(); *ids.entry(r.0).or_insert(n) }).collect();
        let visit: Vec<usize> = data.iter().map(|r| r.1).collect();
        let arm: Vec<usize> = data.iter().map(|r| r.2).collect();
        let y: Vec<f64> = data.iter().map(|r| r.3).collect();
        let day: Vec<f64> = data.iter().map(|r| r.4).collect();
        let labels = vec!["V1".to_string(), "V2".to_string(), "V3".to_string()];
        let Ok(d) = MmrmData::new(&subject, &visit, &y, labels) else { return Ok(()); };
        let Ok(d) = d.with_factor("arm", &arm, vec!["A".into(), "B".into()], "A") else { return Ok(()); };
        let Ok(d) = d.with_coordinates(vec![&day]) else { return Ok(()); };
        let fit_mode = match mode {
            0 => CovarianceFit::Optimize,
            1 => CovarianceFit::SasIterations,
            _ => CovarianceFit::Fixed(vec![1.0; STRUCTURES[si].n_parameters(3)]),
        };
        let df_method = [DfMethod::Satterthwaite, DfMethod::KenwardRoger, DfMethod::KenwardRogerLinear][df];
        let opts = MmrmOptions::default()
            .with_covariance(STRUCTURES[si])
            .with_df(df_method)
            .with_covariance_fit(fit_mode);
        for spec in ["arm*visit", "visit", "1"] {
            if let Ok(out) = mmrm(&d, &ModelSpec::parse(spec).unwrap(), &opts)
                && let Some(fit) = out.computed()
            {
                check(fit);
                let _ = fit.lsmeans(&["visit"], LsMeanWeights::Proportional);
                let _ = fit.type3();
            }
        }
    }
}
