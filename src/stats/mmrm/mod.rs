//! Mixed model for repeated measures (MMRM): a marginal linear model with a structured
//! within-subject covariance over visits, fitted by REML or ML.
//!
//! # Model
//!
//! For subject `i` with observed visits `V_i`, `y_i = X_i β + ε_i`, `ε_i ~ N(0, Σ[V_i, V_i])`,
//! subjects independent; `Σ` is one of the [`CovarianceStructure`]s, optionally one per group
//! (for example per arm). Subjects with missing visits contribute the observed part of `Σ`,
//! which is valid under missing at random.
//!
//! # Entry points
//!
//! - [`mmrm`]: long-format arrays ([`MmrmData`]) and a model built from named terms
//!   ([`ModelSpec`], e.g. `arm*visit + baseline*visit + sex`). LS-means, differences by visit
//!   and Type III tests are derived from the term structure.
//! - [`mmrm_design`]: a design matrix you built yourself ([`DesignInput`]); inference through
//!   contrast vectors ([`MmrmFit::contrast`], [`MmrmFit::f_test`]).
//!
//! # Algorithm
//!
//! Subjects are grouped by (covariance group, missingness pattern) and the cross-products
//! `Σ x x'`, `Σ x y`, `Σ y y` of each block are accumulated once (one pass, linear in the
//! number of subjects). Every later evaluation of the criterion, its analytic gradient, the
//! observed and expected Hessians, the Satterthwaite and Kenward–Roger terms costs
//! `O(blocks × m² × p²)`, independent of the number of subjects. β is profiled out. The
//! covariance parameters are optimized in SAS's natural parametrization (variances,
//! covariances, correlations) by Newton steps on the observed Hessian, or Fisher scoring when it
//! is not positive definite, with step halving that keeps `Σ` positive definite. Fallback and
//! certificate: see [`FitCertificate`]. A fit that does not converge to a point with a
//! positive-definite Hessian is refused (`RefusalReason::NoConvergence`).
//!
//! # Examples
//!
//! ```
//! use pain_outcomes::stats::mmrm::{mmrm, MmrmData, MmrmOptions, ModelSpec};
//! // 6 subjects, 3 visits, two arms; subject 5 misses visit 2.
//! let subject = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5];
//! let visit = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1];
//! let arm = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
//! let y = [5.0, 4.1, 3.9, 6.0, 5.5, 4.2, 5.5, 5.1, 4.9, 6.1, 4.0, 3.1, 5.2, 3.9, 2.5, 5.8, 4.4];
//! let labels = vec!["W2".to_string(), "W4".to_string(), "W8".to_string()];
//! let data = MmrmData::new(&subject, &visit, &y, labels)
//!     .unwrap()
//!     .with_factor("arm", &arm, vec!["placebo".into(), "prp".into()], "placebo")
//!     .unwrap();
//! let spec = ModelSpec::parse("arm + visit").unwrap();
//! let options = MmrmOptions::default()
//!     .with_covariance(pain_outcomes::stats::mmrm::CovarianceStructure::CompoundSymmetry);
//! let fit = mmrm(&data, &spec, &options).unwrap().into_result().unwrap();
//! assert_eq!(fit.coefficients.len(), 4);
//! assert!(fit.certificate.hessian_positive_definite);
//! ```
//!
//! # References
//!
//! - Mallinckrodt, C. H. et al. (2008). Recommendations for the primary analysis of continuous
//!   endpoints in longitudinal clinical trials. *Drug Information Journal* 42, 303–319.
//! - Kenward, M. G. & Roger, J. H. (1997). Small sample inference for fixed effects from
//!   restricted maximum likelihood. *Biometrics* 53, 983–997.
//! - Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
//!   components. *Biometrics Bulletin* 2, 110–114; Fai, A. H.-T. & Cornelius, P. L. (1996),
//!   *J. Statist. Comput. Simul.* 54, 363–378 (multi-degree-of-freedom version).
//! - Jennrich, R. I. & Schluchter, M. D. (1986). Unbalanced repeated-measures models with
//!   structured covariance matrices. *Biometrics* 42, 805–820.

mod aggregate;
mod covariance;
mod criterion;
mod design;
mod design_input;
mod engine;
mod entry;
mod fit;
mod hypothesis;
mod inference;
mod lsmeans;
mod options;
mod parse;
mod results;
mod sas;
mod start;
mod state;

pub use covariance::CovarianceStructure;
pub use design::{CovariateColumn, FactorColumn, MmrmData, ModelSpec};
pub use design_input::DesignInput;
pub use entry::{mmrm, mmrm_design};
pub use fit::FitCertificate;
pub use lsmeans::{CellCombination, CombinationFamily, LsMean};
pub use options::MmrmOptions;
pub use results::{
    CovarianceFit, CovarianceParameter, DfMethod, Estimation, FitStatistics, LsMeanWeights, MmrmFit,
};

// `results::MmrmFit` names the inference state as `super::State`.
use state::State;
