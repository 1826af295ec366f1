//! Outcomes per visit with the MMRM's effect estimates (CONSORT item 17a).

use super::format::{estimate_ci, mean_sd, num, p_value, refused};
use super::table::{Column, Table};
use crate::Outcome;
use crate::analysis::TherapyComparison;

/// The instrument per visit and arm (CONSORT 2010 item 17a): observed score and change from
/// baseline, the MMRM's LS-mean change and its difference from the reference arm with the
/// confidence interval and p-value.
///
/// Columns: `visit`, `arm`, `n` (patients with a score), `score_mean_sd`,
/// `change_mean_sd`, `lsmean_change_se` (`LS-mean (SE)`), `difference_ci`
/// (`arm − reference [CI]`) and `p_value`. The baseline rows have no model columns; the
/// reference arm's difference reads `reference`. When the MMRM was refused, its columns are
/// empty and the refusal is a footnote.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{TherapyComparisonOptions, compare_therapies};
/// use pain_outcomes::report::outcomes_by_visit;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let c = compare_therapies(&cohort, &TherapyComparisonOptions::default())?;
/// let t = outcomes_by_visit(&c);
/// assert_eq!(t.cell(0, "visit"), Some("baseline"));
/// assert!(t.rows.iter().any(|r| r[1] == "placebo" && r[6] == "reference"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn outcomes_by_visit(comparison: &TherapyComparison) -> Table {
    let c = comparison;
    let columns = vec![
        Column::text("visit", "Visit"),
        Column::text("arm", "Arm"),
        Column::number("n", "n"),
        Column::number("score_mean_sd", "Score, mean (SD)"),
        Column::number("change_mean_sd", "Change, mean (SD)"),
        Column::number("lsmean_change_se", "LS-mean change (SE)"),
        Column::number(
            "difference_ci",
            format!("Difference vs {} [95% CI]", c.reference_arm),
        ),
        Column::number("p_value", "p"),
    ];
    let mut t = Table::new(
        format!("outcomes_{}", super::table::slug(&c.instrument)),
        format!("{} by visit and arm", c.instrument),
        columns,
    );
    let mmrm = c.mmrm.computed();
    t.caption = match mmrm {
        Some(m) => format!(
            "Observed score and change from baseline; MMRM of the change ({} covariance, \
             {}, {:?} df): {} ~ {}. Differences are arm minus {}; on a lower-is-better \
             scale a negative difference is more relief.",
            m.fit.covariance.code().to_uppercase(),
            format!("{:?}", m.fit.method).to_uppercase(),
            m.fit.df_method,
            m.instrument,
            m.formula,
            c.reference_arm
        ),
        None => "Observed score and change from baseline.".to_string(),
    };
    match &c.mmrm {
        Outcome::Refused(r) => t.footnotes.push(format!("MMRM: {}", refused(r))),
        Outcome::Computed(m) => {
            for r in m.differences.iter().filter_map(Outcome::refusal) {
                t.footnotes.push(format!("Not estimated: {}", refused(r)));
            }
        }
    }
    let mut visits: Vec<&str> = Vec::new();
    for r in &c.trajectories.rows {
        if !visits.contains(&r.visit.as_str()) {
            visits.push(&r.visit);
        }
    }
    let mut arms: Vec<&str> = Vec::new();
    for r in &c.trajectories.rows {
        if !arms.contains(&r.arm.as_str()) {
            arms.push(&r.arm);
        }
    }
    for visit in &visits {
        for arm in &arms {
            let Some(row) = c.trajectories.get(arm, visit) else {
                continue;
            };
            let n = match &row.score {
                Outcome::Computed(d) => d.n.to_string(),
                Outcome::Refused(_) => "0–1".to_string(),
            };
            let change = row.change.as_ref().map_or(String::new(), |d| mean_sd(d, 2));
            let (lsmean, diff, p) = match (mmrm, row.change.is_some()) {
                (Some(m), true) => model_cells(m, arm, visit, &c.reference_arm),
                _ => (String::new(), String::new(), String::new()),
            };
            t.push_row(vec![
                visit.to_string(),
                arm.to_string(),
                n,
                mean_sd(&row.score, 2),
                change,
                lsmean,
                diff,
                p,
            ]);
        }
    }
    t
}

/// LS-mean (SE), difference [CI] and p of `arm` at `visit`.
fn model_cells(
    m: &crate::analysis::CohortMmrm,
    arm: &str,
    visit: &str,
    reference: &str,
) -> (String, String, String) {
    let lsmean = m
        .lsmeans
        .iter()
        .find(|l| {
            l.cell.iter().any(|(f, v)| f == "arm" && v == arm)
                && l.cell.iter().any(|(f, v)| f == "visit" && v == visit)
        })
        .map_or_else(
            || "not estimated".to_string(),
            |l| match &l.estimate {
                Outcome::Computed(e) => format!("{} ({})", num(e.estimate, 2), num(e.std_error, 2)),
                Outcome::Refused(r) => refused(r),
            },
        );
    if arm == reference {
        return (lsmean, "reference".to_string(), String::new());
    }
    let d = m
        .differences
        .iter()
        .filter_map(Outcome::computed)
        .find(|d| d.arm == arm && d.visit.as_deref() == Some(visit));
    match d {
        Some(d) => (
            lsmean,
            estimate_ci(&d.difference, 2),
            p_value(d.difference.p_value),
        ),
        None => (lsmean, "not estimated".to_string(), String::new()),
    }
}
