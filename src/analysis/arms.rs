//! The arm policy of every analysis: which arm is the reference, and who was left out of an
//! analysis and why.
//!
//! Which patients form an arm is decided when the cohort is built
//! ([`ArmBy`](crate::data::ArmBy)): the recorded `arm` column when the data has one, else the
//! therapy; splitting stem-cell arms by cell source is an explicit choice.

use std::fmt;

use crate::data::{WideTable, find_name};
use crate::error::{Error, Result};

/// The rows of `table` in each arm.
pub(crate) fn members(table: &WideTable) -> Vec<Vec<usize>> {
    let mut m = vec![Vec::new(); table.arms.len()];
    for (row, &a) in table.arm.iter().enumerate() {
        if let Some(v) = m.get_mut(a as usize) {
            v.push(row);
        }
    }
    m
}

/// The default reference arm, the one rule of every analysis: `placebo`, else usual care
/// (`usual_care`), else the first arm in sort order. Labels are compared without regard to
/// ASCII case, so a recorded arm `Placebo` is found too.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::default_reference_arm;
/// let arms = ["prp".to_string(), "usual_care".to_string(), "Placebo".to_string()];
/// assert_eq!(default_reference_arm(&arms).as_deref(), Some("Placebo"));
/// let arms = ["prp".to_string(), "corticosteroid".to_string()];
/// assert_eq!(default_reference_arm(&arms).as_deref(), Some("corticosteroid"));
/// assert_eq!(default_reference_arm(&[]), None);
/// ```
pub fn default_reference_arm(arms: &[String]) -> Option<String> {
    ["placebo", "usual_care"]
        .iter()
        .find_map(|r| arms.iter().find(|a| a.trim().eq_ignore_ascii_case(r)))
        .or_else(|| arms.iter().min())
        .cloned()
}

/// The reference arm of a comparison among `arms`: `requested` when given, else
/// [`default_reference_arm`].
///
/// A requested label matches an arm exactly, or else without regard to ASCII case and
/// surrounding spaces when that identifies one arm.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `requested` names no arm (the message lists the arms), or
/// when there are no arms.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::reference_arm;
/// let arms = ["placebo".to_string(), "prp".to_string()];
/// assert_eq!(reference_arm(&arms, None)?, "placebo");
/// assert_eq!(reference_arm(&arms, Some("PRP"))?, "prp");
/// assert!(reference_arm(&arms, Some("steroid")).is_err());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn reference_arm(arms: &[String], requested: Option<&str>) -> Result<String> {
    let Some(r) = requested else {
        return default_reference_arm(arms)
            .ok_or_else(|| Error::invalid_argument("reference_arm", "there are no arms"));
    };
    Ok(arms[find_name("arm", r, arms)?].clone())
}

/// Why a patient was left out of an analysis.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// No baseline score (no non-missing score on a day ≤ 0).
    NoBaseline,
    /// A covariate of the model is missing.
    MissingCovariate,
    /// The stratum of a stratified analysis is missing.
    MissingStratum,
    /// No observed score at the analysed follow-up visits.
    NoFollowUp,
    /// Follow-up ends on or before day 0 (time-to-event analyses).
    NoFollowUpTime,
    /// Never met the responder rule (time to loss of response).
    NeverResponded,
    /// Too few observed points for an area under the trajectory (or, when complete
    /// trajectories are required, a missed visit).
    IncompleteTrajectory,
}

impl ExclusionReason {
    /// Stable machine-readable code.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::ExclusionReason;
    /// assert_eq!(ExclusionReason::NoBaseline.code(), "no_baseline");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ExclusionReason::NoBaseline => "no_baseline",
            ExclusionReason::MissingCovariate => "missing_covariate",
            ExclusionReason::MissingStratum => "missing_stratum",
            ExclusionReason::NoFollowUp => "no_follow_up",
            ExclusionReason::NoFollowUpTime => "no_follow_up_time",
            ExclusionReason::NeverResponded => "never_responded",
            ExclusionReason::IncompleteTrajectory => "incomplete_trajectory",
        }
    }

    /// A short phrase for tables (`without baseline`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::ExclusionReason;
    /// assert_eq!(ExclusionReason::NoFollowUp.describe(), "without follow-up");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            ExclusionReason::NoBaseline => "without baseline",
            ExclusionReason::MissingCovariate => "missing a covariate",
            ExclusionReason::MissingStratum => "missing the stratum",
            ExclusionReason::NoFollowUp => "without follow-up",
            ExclusionReason::NoFollowUpTime => "without follow-up time after day 0",
            ExclusionReason::NeverResponded => "never responded",
            ExclusionReason::IncompleteTrajectory => "with an incomplete trajectory",
        }
    }
}

impl fmt::Display for ExclusionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Patients excluded for one reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExclusionCount {
    /// The reason.
    pub reason: ExclusionReason,
    /// Patients excluded for it.
    pub patients: usize,
}

/// Who in one arm was analysed and who was left out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArmAttrition {
    /// The arm.
    pub arm: String,
    /// Patients analysed.
    pub analysed: usize,
    /// Patients left out, by reason (each patient once, under the first reason that applies,
    /// in the order the analysis checks them); reasons with no patient are not listed.
    pub excluded: Vec<ExclusionCount>,
}

impl ArmAttrition {
    /// Patients left out of this arm for `reason`.
    pub fn excluded_for(&self, reason: ExclusionReason) -> usize {
        self.excluded
            .iter()
            .filter(|e| e.reason == reason)
            .map(|e| e.patients)
            .sum()
    }

    /// Patients left out of this arm for any reason.
    pub fn total_excluded(&self) -> usize {
        self.excluded.iter().map(|e| e.patients).sum()
    }
}

/// Patients missing one covariate (a patient missing two covariates is counted under both).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CovariateMissing {
    /// Covariate name.
    pub covariate: String,
    /// Patients missing it.
    pub patients: usize,
}

/// Who was analysed and who was left out of an analysis, and why — per arm, one record shared
/// by every analysis (the participant-flow numbers of a CONSORT diagram).
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{Attrition, ExclusionReason};
/// let mut a = Attrition::new(&["placebo".to_string(), "prp".to_string()]);
/// a.analysed(0);
/// a.exclude(0, ExclusionReason::NoBaseline);
/// a.analysed(1);
/// a.analysed(1);
/// assert_eq!(a.total_analysed(), 3);
/// assert_eq!(a.excluded_for(ExclusionReason::NoBaseline), 1);
/// assert_eq!(a.arm("prp").map(|x| x.analysed), Some(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attrition {
    /// One record per arm, in the analysis's arm order.
    pub arms: Vec<ArmAttrition>,
    /// Among patients left out for a missing covariate: how many miss each covariate.
    pub missing_by_covariate: Vec<CovariateMissing>,
}

impl Attrition {
    /// An empty record over `arms`.
    pub fn new(arms: &[String]) -> Self {
        Attrition {
            arms: arms
                .iter()
                .map(|a| ArmAttrition {
                    arm: a.clone(),
                    analysed: 0,
                    excluded: Vec::new(),
                })
                .collect(),
            missing_by_covariate: Vec::new(),
        }
    }

    /// Counts one analysed patient of arm `arm` (an index into the arms; out of range is
    /// ignored).
    pub fn analysed(&mut self, arm: usize) {
        if let Some(a) = self.arms.get_mut(arm) {
            a.analysed += 1;
        }
    }

    /// Counts one patient of arm `arm` left out for `reason`.
    pub fn exclude(&mut self, arm: usize, reason: ExclusionReason) {
        let Some(a) = self.arms.get_mut(arm) else {
            return;
        };
        match a.excluded.iter_mut().find(|e| e.reason == reason) {
            Some(e) => e.patients += 1,
            None => a.excluded.push(ExclusionCount {
                reason,
                patients: 1,
            }),
        }
    }

    /// Counts one patient missing covariate `name` (see
    /// [`missing_by_covariate`](Self::missing_by_covariate)).
    pub fn missing_covariate(&mut self, name: &str) {
        match self
            .missing_by_covariate
            .iter_mut()
            .find(|c| c.covariate == name)
        {
            Some(c) => c.patients += 1,
            None => self.missing_by_covariate.push(CovariateMissing {
                covariate: name.to_string(),
                patients: 1,
            }),
        }
    }

    /// The record of arm `label`.
    pub fn arm(&self, label: &str) -> Option<&ArmAttrition> {
        self.arms.iter().find(|a| a.arm == label)
    }

    /// Patients analysed, over all arms.
    pub fn total_analysed(&self) -> usize {
        self.arms.iter().map(|a| a.analysed).sum()
    }

    /// Patients left out for `reason`, over all arms.
    pub fn excluded_for(&self, reason: ExclusionReason) -> usize {
        self.arms.iter().map(|a| a.excluded_for(reason)).sum()
    }

    /// Patients left out for any reason, over all arms.
    pub fn total_excluded(&self) -> usize {
        self.arms.iter().map(ArmAttrition::total_excluded).sum()
    }
}
