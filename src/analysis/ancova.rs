//! ANCOVA of the score at one visit on arm and baseline score.

use crate::data::WideTable;
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::stats::ancova::{Ancova, AncovaOptions, ancova};
use crate::{Outcome, RefusalReason};

/// An ANCOVA of the score at one visit, with the patients it could not use.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AncovaAtVisit {
    /// Visit label.
    pub visit: String,
    /// Patients with both a baseline and a score at the visit (analysed).
    pub n_analysed: usize,
    /// Patients without a baseline or without a score at the visit (not analysed: complete
    /// cases).
    pub n_excluded: usize,
    /// The model `score ~ arm + baseline`.
    pub ancova: Outcome<Ancova>,
}

/// ANCOVA of the score at visit `visit` on arm and baseline score, complete cases.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a visit index out of range or an unknown reference arm.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// use pain_outcomes::stats::ancova::AncovaOptions;
/// use pain_outcomes::stats::arms::ancova_at_visit;
/// let mut csv = String::from("patient_id,therapy,day,instrument,score\n");
/// for (i, (arm, b, f)) in [("prp", 7, 3), ("prp", 6, 3), ("prp", 8, 5), ("placebo", 7, 6),
///     ("placebo", 6, 6), ("placebo", 8, 6)].iter().enumerate() {
///     csv += &format!("P{i},{arm},0,nrs,{b}\nP{i},{arm},90,nrs,{f}\n");
/// }
/// let wide = read_csv_str(&csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let a = ancova_at_visit(&wide, 0, &AncovaOptions::default().with_reference_arm("placebo"))?;
/// assert_eq!(a.n_analysed, 6);
/// assert!(a.ancova.computed().unwrap().differences[0].estimate < 0.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn ancova_at_visit(
    table: &WideTable,
    visit: usize,
    options: &AncovaOptions,
) -> Result<AncovaAtVisit> {
    let Some(label) = table.visits.get(visit) else {
        return Err(Error::invalid_argument(
            "visit",
            format!(
                "index {visit} but the table has {} visits",
                table.n_visits()
            ),
        ));
    };
    let mut y = Vec::new();
    let mut b = Vec::new();
    let mut arms = Vec::new();
    for row in 0..table.n_patients() {
        if let (Some(s), Some(base)) = (table.score(row, visit), table.baseline[row]) {
            y.push(s);
            b.push(base);
            arms.push(
                table
                    .arms
                    .get(table.arm[row] as usize)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    let n_excluded = table.n_patients() - y.len();
    let fit = if y.is_empty() {
        refuse(
            RefusalReason::EmptyGroup,
            format!("no patient has a baseline and a score at {label}"),
        )
    } else {
        ancova(&y, &b, &arms, &[], options)?
    };
    Ok(AncovaAtVisit {
        visit: label.clone(),
        n_analysed: y.len(),
        n_excluded,
        ancova: fit,
    })
}
