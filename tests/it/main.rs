//! The integration tests as one test crate, so that the library (and polars) is linked into
//! one test binary rather than one per file. One module per area; the shared helpers are
//! `common` (named tolerances) and `mmrm_support` (the MMRM datasets, SAS listing readers).
//!
//! Fixtures stay where the reference scripts write them: `tests/golden/`, `tests/data/`,
//! `tests/reference/`. Proptest's default failure persistence resolves regression files of
//! this crate to `tests/proptest-regressions/<module>.txt` (the sibling of the directory that
//! holds this `main.rs`).

mod common;
mod mmrm_support;

mod adjusted_responders;
mod ancova_formula;
mod architecture;
mod arms;
mod compare_golden;
mod compare_refusals;
mod cox_own_columns;
mod dist_tails;
mod figures;
mod filters;
mod golden_provenance;
mod heldout_knee;
mod lmm;
mod lmm_site;
mod logistic_cmh;
mod malformed;
mod meta;
mod mmrm_bcva;
mod mmrm_gls;
mod mmrm_knee_oa;
mod mmrm_kr_multi;
mod mmrm_own_columns;
mod mmrm_refusals;
mod mmrm_sas;
mod mmrm_sas_iterations;
mod mmrm_spatial;
mod multiplicity;
mod observational;
mod proptest_io;
mod proptest_mmrm;
mod report;
mod simulate;
mod subgroups;
mod subgroups_mmrm;
mod survival_cohort;
mod survival_golden;
mod survival_refusals;
mod tidy;
