//! Time-to-event analysis: Kaplan–Meier, restricted mean survival time, log-rank, Cox
//! proportional hazards and the Schoenfeld-residual test of proportional hazards.
//!
//! Every routine is a kernel on plain slices: follow-up `time` in days (finite, `>= 0`), an event
//! [`Status`] per subject, and where needed group labels, strata, a covariate matrix and cluster
//! ids. Results match R `survival` (`survfit`, `survdiff`, `coxph`, `cox.zph`).
//!
//! # Examples
//!
//! ```
//! use pain_outcomes::stats::survival::{kaplan_meier, KaplanMeierOptions, Status};
//! let time = [5.0, 8.0, 8.0, 12.0, 20.0];
//! let status = [Status::Event, Status::Event, Status::Censored, Status::Event, Status::Censored];
//! let km = kaplan_meier(&time, &status, &KaplanMeierOptions::default())?.into_result().unwrap();
//! assert!((km.survival[0] - 0.8).abs() < 1e-12);
//! # Ok::<(), pain_outcomes::Error>(())
//! ```

mod common;
mod cox;
mod cox_data;
mod cox_likelihood;
mod cox_newton;
mod cox_robust;
mod km;
mod logrank;
mod rmst;
mod zph;

pub use common::{ConfidenceType, Status};
pub use cox::{CoxCoefficient, CoxFit, CoxOptions, CoxVariance, Ties, cox_ph};
pub use cox_data::CoxData;
pub use km::{KaplanMeier, KaplanMeierOptions, MedianSurvival, SurvivalAt, kaplan_meier};
pub use logrank::{LogRank, log_rank, log_rank_stratified};
pub use rmst::{Rmst, RmstDifference, rmst_difference};
pub use zph::{CoxZph, ZphOptions, ZphTerm, ZphTransform, cox_zph};
