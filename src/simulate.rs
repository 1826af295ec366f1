//! Seeded simulator of realistic cohorts.
