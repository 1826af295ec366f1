//! Guides: documentation-only pages. Their code examples run as doctests.

#[doc = include_str!("getting_started.md")]
pub mod getting_started {}

#[doc = include_str!("loading_data.md")]
pub mod loading_data {}

#[doc = include_str!("refusals.md")]
pub mod refusals {}

#[doc = include_str!("analysis.md")]
pub mod analysis {}

#[doc = include_str!("dataframes.md")]
pub mod dataframes {}

#[doc = include_str!("own_data.md")]
pub mod own_data {}
