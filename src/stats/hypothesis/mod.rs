//! Hypothesis tests on slices: t tests, rank tests, one-way ANOVA (classic and Welch),
//! Kruskal–Wallis, chi-square, Fisher's exact test and tests of proportions, each matching the
//! R function named in its documentation.

mod anova;
mod contingency;
mod rank;
mod t;

pub use anova::{OneWayAnova, one_way_anova};
pub(crate) use contingency::fisher_exact_p_value;
pub use contingency::{
    FisherExact, PearsonChiSquare, ProportionTest, chi_squared_test, fisher_exact_test,
    proportion_test, wilson_interval,
};
pub use rank::{
    RankPValue, RankTest, RankTestOptions, kruskal_wallis_test, mann_whitney_u_test,
    wilcoxon_signed_rank_test,
};
pub use t::{
    Alternative, ContinuityCorrection, ExactPolicy, TTest, TTestOptions, Variances,
    one_sample_t_test, paired_t_test, two_sample_t_test,
};
