//! Pain trajectories by arm and visit: descriptive statistics of the score, the change and the
//! percent change from baseline, and the area under each patient's trajectory.

use super::arms::{Attrition, ExclusionReason, members};
use crate::Outcome;
use crate::data::{WideTable, same_name};
use crate::error::Result;
use crate::stats::describe::{
    Describe, DescribeOptions, MissingVisitPolicy, area_under_trajectory, describe,
};

/// Summary of one arm at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmVisitSummary {
    /// Arm label.
    pub arm: String,
    /// Visit label (`baseline` for the baseline row).
    pub visit: String,
    /// Mean day of the visit (0 for baseline).
    pub day: f64,
    /// The scores.
    pub score: Outcome<Describe>,
    /// Change from baseline (follow-up − baseline); `None` on the baseline row.
    pub change: Option<Outcome<Describe>>,
    /// Percent change from baseline, `100 (follow-up − baseline) / baseline`, over patients with
    /// a non-zero baseline; `None` on the baseline row.
    pub percent_change: Option<Outcome<Describe>>,
}

/// Descriptive statistics of one instrument per arm × visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trajectories {
    /// Instrument code.
    pub instrument: String,
    /// One row per arm × visit: each arm's baseline row, then its post-baseline visits.
    pub rows: Vec<ArmVisitSummary>,
}

impl Trajectories {
    /// The row of `arm` at `visit` (`baseline` for the baseline row).
    pub fn get(&self, arm: &str, visit: &str) -> Option<&ArmVisitSummary> {
        self.rows
            .iter()
            .find(|r| same_name(&r.arm, arm) && same_name(&r.visit, visit))
    }
}

/// Descriptive statistics per arm × visit: a baseline row, then each post-baseline visit with
/// the score, the change and the percent change from baseline.
///
/// # Errors
///
/// As [`describe`] (an invalid confidence level).
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// use pain_outcomes::analysis::describe_by_arm_and_visit;
/// let csv = "patient_id,therapy,day,instrument,score\n\
///            A,prp,0,nrs,7\nA,prp,90,nrs,4\nB,prp,0,nrs,6\nB,prp,90,nrs,4\n";
/// let wide = read_csv_str(csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let trajectories = describe_by_arm_and_visit(&wide, &Default::default())?;
/// let m3 = trajectories.get("prp", "month_3").unwrap();
/// let change = m3.change.as_ref().unwrap().computed().unwrap();
/// assert!((change.mean + 2.5).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn describe_by_arm_and_visit(
    table: &WideTable,
    options: &DescribeOptions,
) -> Result<Trajectories> {
    let mut out = Vec::new();
    for (a, rows) in members(table).iter().enumerate() {
        let arm = table.arms.get(a).cloned().unwrap_or_default();
        let base: Vec<Option<f64>> = rows.iter().map(|&r| table.baseline[r]).collect();
        out.push(ArmVisitSummary {
            arm: arm.clone(),
            visit: "baseline".into(),
            day: 0.0,
            score: describe(&base, options)?,
            change: None,
            percent_change: None,
        });
        for (v, visit) in table.visits.iter().enumerate() {
            let score: Vec<Option<f64>> = rows.iter().map(|&r| table.score(r, v)).collect();
            let change: Vec<Option<f64>> = rows.iter().map(|&r| table.change(r, v)).collect();
            let pct: Vec<Option<f64>> = rows.iter().map(|&r| table.percent_change(r, v)).collect();
            out.push(ArmVisitSummary {
                arm: arm.clone(),
                visit: visit.clone(),
                day: table.visit_mean_day.get(v).copied().unwrap_or(0.0),
                score: describe(&score, options)?,
                change: Some(describe(&change, options)?),
                percent_change: Some(describe(&pct, options)?),
            });
        }
    }
    Ok(Trajectories {
        instrument: table.instrument.code.clone(),
        rows: out,
    })
}

/// Area under each patient's trajectory, summarized per arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmArea {
    /// Arm label.
    pub arm: String,
    /// The time-averaged score (area / follow-up days) over patients with an area.
    pub time_averaged_score: Outcome<Describe>,
}

/// Area under the trajectory per patient — trapezoids over the baseline (at day 0) and the
/// observed visits at their actual days, divided by the follow-up length (the time-averaged
/// score) — summarized per arm.
///
/// Missing visits follow `policy`: [`MissingVisitPolicy::SkipMissing`] joins the observed
/// points across a gap; [`MissingVisitPolicy::RequireComplete`] gives no area to a patient with
/// a missed visit. Either way the patients without an area are counted.
///
/// # Errors
///
/// As [`describe`] (an invalid confidence level).
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// use pain_outcomes::analysis::area_by_arm;
/// use pain_outcomes::stats::describe::MissingVisitPolicy;
/// let csv = "patient_id,therapy,day,instrument,score\n\
///            A,prp,0,nrs,8\nA,prp,90,nrs,4\nB,prp,0,nrs,6\nB,prp,90,nrs,6\n";
/// let wide = read_csv_str(csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let areas = area_by_arm(&wide, MissingVisitPolicy::SkipMissing, &Default::default())?;
/// let mean = areas.arms[0].time_averaged_score.computed().unwrap().mean;
/// assert!((mean - 6.0).abs() < 1e-12); // A: (8+4)/2 = 6, B: 6
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn area_by_arm(
    table: &WideTable,
    policy: MissingVisitPolicy,
    options: &DescribeOptions,
) -> Result<AreaByArm> {
    let nv = table.n_visits();
    let mut out = Vec::new();
    let mut attrition = Attrition::new(&table.arms);
    for (a, rows) in members(table).iter().enumerate() {
        let mut values = Vec::with_capacity(rows.len());
        for &r in rows {
            let Some(base) = table.baseline[r] else {
                attrition.exclude(a, ExclusionReason::NoBaseline);
                continue;
            };
            if policy == MissingVisitPolicy::RequireComplete
                && (0..nv).any(|v| table.score(r, v).is_none())
            {
                attrition.exclude(a, ExclusionReason::IncompleteTrajectory);
                continue;
            }
            let mut days = vec![0.0];
            let mut scores = vec![Some(base)];
            for v in 0..nv {
                if let (Some(s), Some(d)) = (table.score(r, v), table.days[r * nv + v]) {
                    days.push(f64::from(d));
                    scores.push(Some(s));
                }
            }
            match area_under_trajectory(&days, &scores, MissingVisitPolicy::SkipMissing)? {
                Outcome::Computed(area) => {
                    attrition.analysed(a);
                    values.push(Some(area.normalized_area));
                }
                Outcome::Refused(_) => attrition.exclude(a, ExclusionReason::IncompleteTrajectory),
            }
        }
        out.push(ArmArea {
            arm: table.arms.get(a).cloned().unwrap_or_default(),
            time_averaged_score: describe(&values, options)?,
        });
    }
    Ok(AreaByArm {
        arms: out,
        attrition,
    })
}

/// The time-averaged score per arm, and the patients without an area.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AreaByArm {
    /// One summary per arm.
    pub arms: Vec<ArmArea>,
    /// Patients with an area (analysed) and without one (no baseline; an incomplete trajectory:
    /// fewer than two points, or — under [`MissingVisitPolicy::RequireComplete`] — a missed
    /// visit), per arm.
    pub attrition: Attrition,
}
