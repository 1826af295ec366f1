//! The validated, columnar cohort and its readers and writers.
