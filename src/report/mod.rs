//! Tables and JSON for papers.
