//! ANCOVA of the score at one visit on arm and baseline score.

use super::arms::{Attrition, ExclusionReason, reference_arm};
use crate::data::{WideTable, same_name};
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::stats::ArmDifference;
use crate::stats::ancova::{Ancova, AncovaOptions, ancova};
use crate::{Outcome, RefusalReason};

/// An ANCOVA of the score at one visit, with the patients it could not use.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AncovaAtVisit {
    /// Visit label.
    pub visit: String,
    /// Reference arm of the differences.
    pub reference_arm: String,
    /// Patients analysed (a baseline and a score at the visit) and left out (complete cases),
    /// per arm.
    pub attrition: Attrition,
    /// The model `score ~ arm + baseline`.
    pub ancova: Outcome<Ancova>,
}

/// ANCOVA of the score at visit `visit` on arm and baseline score, complete cases, against the
/// reference arm of [`reference_arm`] (`options.reference_arm`, else the default rule).
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
/// use pain_outcomes::analysis::ancova_at_visit;
/// let mut csv = String::from("patient_id,therapy,day,instrument,score\n");
/// for (i, (arm, b, f)) in [("prp", 7, 3), ("prp", 6, 3), ("prp", 8, 5), ("placebo", 7, 6),
///     ("placebo", 6, 6), ("placebo", 8, 6)].iter().enumerate() {
///     csv += &format!("P{i},{arm},0,nrs,{b}\nP{i},{arm},90,nrs,{f}\n");
/// }
/// let wide = read_csv_str(&csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let a = ancova_at_visit(&wide, 0, &AncovaOptions::default().with_reference_arm("placebo"))?;
/// assert_eq!(a.attrition.total_analysed(), 6);
/// assert!(a.difference("prp").unwrap().difference.estimate < 0.0);
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
    let reference = reference_arm(&table.arms, options.reference_arm.as_deref())?;
    let options = options.clone().with_reference_arm(reference.clone());
    let mut attrition = Attrition::new(&table.arms);
    let mut y = Vec::new();
    let mut b = Vec::new();
    let mut arms = Vec::new();
    for row in 0..table.n_patients() {
        let a = table.arm[row] as usize;
        match (table.score(row, visit), table.baseline[row]) {
            (_, None) => attrition.exclude(a, ExclusionReason::NoBaseline),
            (None, Some(_)) => attrition.exclude(a, ExclusionReason::NoFollowUp),
            (Some(s), Some(base)) => {
                attrition.analysed(a);
                y.push(s);
                b.push(base);
                arms.push(table.arms.get(a).cloned().unwrap_or_default());
            }
        }
    }
    let fit = if y.is_empty() {
        refuse(
            RefusalReason::EmptyGroup,
            format!("no patient has a baseline and a score at {label}"),
        )
    } else {
        ancova(&y, &b, &arms, &[], &options)?
    };
    Ok(AncovaAtVisit {
        visit: label.clone(),
        reference_arm: reference,
        attrition,
        ancova: fit,
    })
}

impl AncovaAtVisit {
    /// The adjusted difference of `arm` from the reference arm (`None` for the reference arm,
    /// an unknown arm, or a refused model).
    pub fn difference(&self, arm: &str) -> Option<&ArmDifference> {
        self.ancova
            .computed()?
            .differences
            .iter()
            .find(|d| same_name(&d.arm, arm))
    }
}
