//! The validated, columnar [`Cohort`] and its readers and writers.
//!
//! Readers: CSV ([`read_csv`], [`read_csv_files`], [`read_csv_from`], [`read_csv_str`]) and
//! polars ([`from_dataframe`]); writers: [`Cohort::write_csv`], [`Cohort::to_dataframe`]. A
//! [`ColumnMap`] reads files whose columns have other names ([`ColumnMap::adam`] for CDISC
//! ADaM). Every reader validates through the same code, so every source gets the same typed
//! errors, and returns a [`LoadReport`] so that nothing is dropped silently.

mod builder;
mod cohort;
mod columns;
mod csv_io;
mod endpoints;
mod filter;
mod frame;
mod ingest;
mod names;
mod options;
mod studies;
mod tidy;
mod wide;

pub use builder::CohortBuilder;
pub use cohort::{ArmBy, Cohort, Selection};
pub use columns::{Column, ColumnMap};
pub use csv_io::{CsvFiles, read_csv, read_csv_files, read_csv_from, read_csv_str, read_csv_texts};
pub use endpoints::{EventEndpoint, TimeEnd, TimeToEventData};
pub use filter::{Attribute, Clause, Operator, PatientFilter};
pub use frame::from_dataframe;
#[cfg(feature = "lazy")]
pub use frame::from_lazyframe;
#[cfg(feature = "parquet")]
pub use frame::read_parquet;
pub use options::{ColumnKind, KeptColumn, LoadOptions, LoadReport, Loaded};
pub use studies::{
    GroupEvents, GroupSummary, ModeratorValue, STUDY_COLUMNS, StudiesTable, Study, read_studies,
    read_studies_from, read_studies_str,
};
pub use tidy::{TidyColumn, TidyTable, TidyValues};
pub use wide::WideTable;

// Record layouts shared with the simulator's CSV writer.
pub(crate) use csv_io::{event_record, extra_column_names, patient_cells};
pub(crate) use ingest::{ASSESSMENT_COLUMNS, EVENT_COLUMNS};
pub(crate) use names::{find_name, same_name};
