//! Spatial exponential covariance: identities and argument errors (its SAS and gls goldens are
//! in tests/it/mmrm_sas.rs and tests/it/mmrm_gls.rs).
use crate::mmrm_support;

use crate::common::tol::{ITERATIVE, assert_close};
use pain_outcomes::Error;
use pain_outcomes::stats::mmrm::*;

fn fev_data(f: &mmrm_support::Fev) -> MmrmData<'_> {
    MmrmData::new(&f.subject, &f.visit, &f.y, f.visits.clone())
        .unwrap()
        .with_factor("ARMCD", &f.arm, f.arms.clone(), "PBO")
        .unwrap()
}

#[test]
fn spatial_exponential_on_visit_positions_is_ar1() {
    // Σ_jk = σ² exp(−|j−k|/θ) = σ² ρ^|j−k| with ρ = exp(−1/θ): same likelihood and estimates.
    let f = mmrm_support::fev(None);
    let data = fev_data(&f);
    let spec = ModelSpec::parse("ARMCD*visit").unwrap();
    let fit = |s| {
        mmrm(&data, &spec, &MmrmOptions::default().with_covariance(s))
            .unwrap()
            .into_result()
            .unwrap()
    };
    let sp = fit(CovarianceStructure::SpatialExponential);
    let ar = fit(CovarianceStructure::Ar1);
    assert_close(
        "logLik",
        sp.fit_statistics.log_likelihood,
        ar.fit_statistics.log_likelihood,
        1e-10,
    );
    let theta = sp.covariance_parameters[0].estimate;
    let rho = ar.covariance_parameters[0].estimate;
    assert_close("rho = exp(-1/theta)", (-1.0 / theta).exp(), rho, ITERATIVE);
    assert_close(
        "variance",
        sp.covariance_parameters[1].estimate,
        ar.covariance_parameters[1].estimate,
        ITERATIVE,
    );
    for (a, b) in sp.coefficients.iter().zip(&ar.coefficients) {
        assert_close(&a.label, a.estimate, b.estimate, ITERATIVE);
        assert_close(&a.label, a.std_error, b.std_error, ITERATIVE);
    }
}

#[test]
fn spatial_exponential_rejects_bad_coordinates() {
    let f = mmrm_support::fev(None);
    let short = vec![1.0; 3];
    assert!(matches!(
        fev_data(&f).with_coordinates(vec![&short]),
        Err(Error::InvalidArgument { .. })
    ));
    let mut nan = f.visitn.clone();
    nan[5] = f64::NAN;
    assert!(matches!(
        fev_data(&f).with_coordinates(vec![&nan]),
        Err(Error::InvalidArgument { .. })
    ));
    // Two observations of one subject at the same place: Σ would be singular.
    let same = vec![0.0; f.y.len()];
    let data = fev_data(&f).with_coordinates(vec![&same]).unwrap();
    let opts = MmrmOptions::default().with_covariance(CovarianceStructure::SpatialExponential);
    let err = mmrm(&data, &ModelSpec::parse("ARMCD").unwrap(), &opts).unwrap_err();
    assert!(err.to_string().contains("same coordinates"), "{err}");
}
