//! Typed clinical models. This module imports nothing from the rest of the crate.
