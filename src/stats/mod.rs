//! Statistical kernels on slices and matrices, one module per family, each checked against
//! the reference software named in its documentation.
//!
//! Kernels validate their arguments (an `Err` is an invalid argument) and return an
//! [`Outcome`](crate::Outcome): either the statistic or an explicit
//! [`Refusal`](crate::Refusal) when the input is valid but the statistic is undefined. Nothing
//! here knows about cohorts: the study-level questions live in [`analysis`](crate::analysis).

pub mod ancova;
pub mod cmh;
mod common;
pub mod describe;
pub mod dist;
pub mod effect_size;
pub mod formula;
pub mod hypothesis;
pub mod lmm;
pub mod logistic;
pub mod matching;
pub mod meta;
pub mod mmrm;
pub mod multinomial;
pub mod multiplicity;
pub mod onset;
pub mod responders;
pub mod survival;
pub mod weighting;

pub(crate) use crate::outcome::refuse;
pub use crate::outcome::{Outcome, Refusal, RefusalReason};
pub use common::{
    ArmDifference, ChiSquareTest, ConfidenceInterval, Estimate, FTest, Proportion, TwoByTwo,
};
pub use multiplicity::adjust;
