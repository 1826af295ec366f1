//! Pain trajectories by arm and visit: descriptive statistics of the score, the change and the
//! percent change from baseline, and the area under each patient's trajectory.

use super::arms::members;
use crate::Outcome;
use crate::data::WideTable;
use crate::error::Result;
use crate::stats::describe::{
    Describe, DescribeOptions, MissingVisitPolicy, area_under_trajectory, describe,
};

/// Summary of one arm at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
/// use pain_outcomes::stats::arms::describe_by_arm_and_visit;
/// let csv = "patient_id,therapy,day,instrument,score\n\
///            A,prp,0,nrs,7\nA,prp,90,nrs,4\nB,prp,0,nrs,6\nB,prp,90,nrs,4\n";
/// let wide = read_csv_str(csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let rows = describe_by_arm_and_visit(&wide, &Default::default())?;
/// let m3 = &rows[1];
/// assert_eq!(m3.visit, "month_3");
/// let change = m3.change.as_ref().unwrap().computed().unwrap();
/// assert!((change.mean + 2.5).abs() < 1e-12);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn describe_by_arm_and_visit(
    table: &WideTable,
    options: &DescribeOptions,
) -> Result<Vec<ArmVisitSummary>> {
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
    Ok(out)
}

/// Area under each patient's trajectory, summarized per arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArmArea {
    /// Arm label.
    pub arm: String,
    /// Patients in the arm.
    pub n_patients: usize,
    /// Patients without an area (no baseline, fewer than two points, or — under
    /// [`MissingVisitPolicy::RequireComplete`] — a missed visit).
    pub n_without_area: usize,
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
/// use pain_outcomes::stats::arms::area_by_arm;
/// use pain_outcomes::stats::describe::MissingVisitPolicy;
/// let csv = "patient_id,therapy,day,instrument,score\n\
///            A,prp,0,nrs,8\nA,prp,90,nrs,4\nB,prp,0,nrs,6\nB,prp,90,nrs,6\n";
/// let wide = read_csv_str(csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let areas = area_by_arm(&wide, MissingVisitPolicy::SkipMissing, &Default::default())?;
/// let mean = areas[0].time_averaged_score.computed().unwrap().mean;
/// assert!((mean - 6.0).abs() < 1e-12); // A: (8+4)/2 = 6, B: 6
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn area_by_arm(
    table: &WideTable,
    policy: MissingVisitPolicy,
    options: &DescribeOptions,
) -> Result<Vec<ArmArea>> {
    let nv = table.n_visits();
    let mut out = Vec::new();
    for (a, rows) in members(table).iter().enumerate() {
        let mut values = Vec::with_capacity(rows.len());
        let mut without = 0;
        for &r in rows {
            let Some(base) = table.baseline[r] else {
                without += 1;
                continue;
            };
            if policy == MissingVisitPolicy::RequireComplete
                && (0..nv).any(|v| table.score(r, v).is_none())
            {
                without += 1;
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
                Outcome::Computed(area) => values.push(Some(area.normalized_area)),
                Outcome::Refused(_) => without += 1,
            }
        }
        out.push(ArmArea {
            arm: table.arms.get(a).cloned().unwrap_or_default(),
            n_patients: rows.len(),
            n_without_area: without,
            time_averaged_score: describe(&values, options)?,
        });
    }
    Ok(out)
}
