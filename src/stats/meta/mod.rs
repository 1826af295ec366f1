//! Meta-analysis of published comparisons: effect sizes from summary data (mean difference,
//! Hedges' g, log risk ratio, log odds ratio), fixed- and random-effects models (DerSimonian–
//! Laird, REML, Paule–Mandel τ²), Knapp–Hartung inference, heterogeneity (Q, I², H², the
//! Q-profile interval of τ²), prediction intervals, subgroups and meta-regression,
//! leave-one-out, Egger's test and the funnel-plot table.
//!
//! Kernels on slices: effects `yᵢ` and sampling variances `vᵢ`, as `metafor::escalc` returns
//! them. Every number is checked against `metafor` (`tests/reference/meta_*.R`). The
//! study-level question on a studies file is [`analysis::meta_analysis`](crate::analysis::meta_analysis).
//!
//! ```
//! use pain_outcomes::stats::meta::{meta_analysis, MetaMethod, MetaOptions};
//! let y = [-1.2, -0.8, -1.5, -0.3, -1.0];
//! let v = [0.10, 0.08, 0.20, 0.05, 0.12];
//! let fit = meta_analysis(&y, &v, &MetaOptions::default().with_method(MetaMethod::DerSimonianLaird))?
//!     .into_result()
//!     .unwrap();
//! assert!(fit.estimate.estimate < 0.0 && fit.tau_squared >= 0.0);
//! # Ok::<(), pain_outcomes::Error>(())
//! ```

mod effect;
mod fit;
mod model;
mod options;
mod sensitivity;
mod subgroups;

pub use effect::{
    ContinuousSummary, EffectMeasure, EffectSize, binary_effect, continuous_effect,
    hedges_correction,
};
pub use fit::{
    INTERCEPT, MetaFit, MetaRegression, ModeratorTest, TauSquaredInterval, meta_analysis,
    meta_regression, tau_squared_interval,
};
pub use options::{MetaInference, MetaMethod, MetaOptions};
pub use sensitivity::{
    EggerTest, FunnelPoint, LeaveOneOut, egger_test, funnel_table, leave_one_out,
};
pub use subgroups::{PooledSubgroup, PooledSubgroups, pool_subgroups};
