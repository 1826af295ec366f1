//! Statistical routines: kernels on slices, with thin wrappers over a [`Cohort`](crate::Cohort).
//!
//! Each routine family lives in its own module. Kernels validate their arguments (an `Err` is an
//! invalid argument) and return an [`Outcome`](crate::Outcome): either the statistic or an
//! explicit [`Refusal`](crate::Refusal) when the input is valid but the statistic is undefined.

pub mod dist;
pub mod mmrm;
mod refusal;
pub mod survival;

#[allow(unused_imports)]
pub(crate) use refusal::refuse;
pub use refusal::{Outcome, Refusal, RefusalReason};

pub mod adjust;
pub mod ancova;
pub mod arms;
pub mod describe;
pub mod effect_size;
pub mod onset;
pub mod responders;
pub mod tests;
pub mod time_to_event;
