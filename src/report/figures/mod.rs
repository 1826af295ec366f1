//! Figures as SVG: each function takes an analysis result and returns a [`Figure`] (an SVG
//! string with its identifier and caption) to place in a document of one's own.
//!
//! | function | draws |
//! |---|---|
//! | [`trajectory_figure`] | mean score ± CI band by arm over days, with a faint sample of patients |
//! | [`lsmean_differences_figure`] | MMRM LS-mean differences from the reference arm by visit |
//! | [`responder_figure`] | responder rates with Wilson intervals by arm and visit |
//! | [`kaplan_meier_figure`] | Kaplan–Meier curves with CI bands and numbers at risk |
//! | [`subgroup_forest`] | differences from the reference arm within subgroups |
//! | [`meta_forest`] | studies and the pooled estimate of a meta-analysis |
//! | [`hazard_ratio_forest`] | Cox hazard ratios on a log axis |
//! | [`balance_figure`] | a love plot of standardised differences before and after weighting |
//! | [`patient_course_figure`] | a patient's predicted course with its prediction interval |
//!
//! # How the figures are drawn
//!
//! By a small SVG writer of this module, not by a plotting crate. `plotters` (0.3, SVG
//! backend, no font feature) was the candidate: without a font backend it estimates text
//! width as 0.7 em per *byte* (so `–` or `−` count three times) and rounds every coordinate
//! to whole pixels, which at a column width of 321 px misplaces labels; it writes flat
//! elements with no grouping, classes, `<title>` or `<desc>`, so neither a reader's tools nor
//! a test can tell which line is which arm; and with a font backend its output would depend
//! on the fonts installed. The writer here lays text out with Helvetica's published
//! advance widths (which Arial and Liberation Sans share, so the figure renders alike in any
//! browser that has one of them), prints coordinates with two decimals, and marks up what is
//! drawn:
//!
//! - each series is a `<g class="series" data-arm="…">`; confidence bands are
//!   `<polygon class="ci-band" data-arm="…">`, intervals `<path class="ci-bar">`;
//! - legend entries are `<g class="legend-entry" data-arm="…">`, axis titles
//!   `<text class="axis-title">`;
//! - numbers at risk are `<g class="at-risk" data-arm="…">` with one `<text data-time="…">`
//!   per time;
//! - forest rows are `<g class="forest-row" data-label="…" data-group="…" data-estimate="…"
//!   data-lower="…" data-upper="…">` (exact values, on the scale of the axis; the group is
//!   the heading the row stands under, empty when none); a row that could not be
//!   estimated carries `data-status="not_estimable"` and the words "not estimable" instead
//!   of a marker;
//! - every figure has a `<title>` and a `<desc>`.
//!
//! The same input gives the same bytes. No number that is not finite is ever written: a
//! figure with nothing to draw is an [`Outcome::Refused`](crate::Outcome), a refused arm or
//! row is named in a note.
//!
//! # Size and style
//!
//! Every figure is 321 units wide (8.5 cm, one journal column, at 96 dpi) with a `viewBox`,
//! so it scales to any width; text is 11 units (8.25 pt at 8.5 cm). Arms take the
//! Okabe–Ito colour-blind-safe palette in a fixed order — the reference arm first (black),
//! then the others in the order of the result — and each arm also has its own line dash and
//! marker shape, so the figures survive grayscale printing.

mod balance;
mod chart;
mod course;
mod forest;
mod kaplan_meier;
mod scale;
mod style;
mod svg;
mod trajectory;
mod visits;

pub use balance::balance_figure;
pub use course::patient_course_figure;
pub use forest::{hazard_ratio_forest, meta_forest, subgroup_forest};
pub use kaplan_meier::kaplan_meier_figure;
pub use trajectory::{IndividualSample, trajectory_figure};
pub use visits::{lsmean_differences_figure, responder_figure};

use chart::{LegendEntry, Swatch};
use style::SeriesStyle;

/// Legend entries of `arms` (in figure order), styled by their position in `order`.
fn arm_legend(order: &[String], arms: &[String]) -> Vec<LegendEntry> {
    arms.iter()
        .map(|arm| LegendEntry {
            label: arm.clone(),
            style: SeriesStyle::nth(style::arm_index(order, arm)),
            swatch: Swatch::LineAndMarker,
            key: ("data-arm", arm.clone()),
        })
        .collect()
}

/// A percentage for a caption: `95 %`.
fn level_text(level: f64) -> String {
    let pct = level * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0} %")
    } else {
        format!("{pct} %")
    }
}
