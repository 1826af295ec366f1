//! Time to an event per arm: Kaplan–Meier median and the Cox hazard ratio.

use super::format::{num, p_value, refused};
use super::table::{Column, Table, slug};
use crate::Outcome;
use crate::analysis::TimeToEventAnalysis;

/// Time to an event (surgery, loss of response) per arm: patients with the event, the
/// Kaplan–Meier median with its confidence interval (`NR` = not reached) and the Cox hazard
/// ratio against the reference arm.
///
/// Columns: `arm`, `events` (`events/n`), `median_ci` (days), `hazard_ratio_ci`, `p_value`.
/// The log-rank test is a footnote. The identifier is `time_to_{slug(endpoint)}`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{TherapyComparisonOptions, compare_therapies};
/// use pain_outcomes::data::{CsvFiles, read_csv_files};
/// use pain_outcomes::report::time_to_event_table;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let c = compare_therapies(&cohort, &TherapyComparisonOptions::default())?;
/// let t = time_to_event_table(c.time_to_surgery.as_ref().unwrap());
/// assert_eq!(t.id, "time_to_surgery");
/// assert!(t.rows.iter().any(|r| r[3] == "reference"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn time_to_event_table(analysis: &TimeToEventAnalysis) -> Table {
    let a = analysis;
    let columns = vec![
        Column::text("arm", "Arm"),
        Column::number("events", "Events/n"),
        Column::number("median_ci", "Median days [95% CI]"),
        Column::number(
            "hazard_ratio_ci",
            format!("Hazard ratio vs {} [95% CI]", a.reference_arm),
        ),
        Column::number("p_value", "p"),
    ];
    let endpoint = a.endpoint.to_string();
    let mut t = Table::new(
        format!("time_to_{}", slug(&endpoint)),
        format!("Time to {endpoint}"),
        columns,
    )
    .with_caption(format!(
        "Days from first treatment; censored at withdrawal, last contact or last assessment. \
         Kaplan–Meier median (NR = not reached); Cox model ~ {}.",
        a.cox.formula
    ));
    let nr = |x: Option<f64>| x.map_or_else(|| "NR".to_string(), |v| num(v, 0));
    for arm in &a.arms {
        let median = match &arm.kaplan_meier {
            Outcome::Computed(k) => format!(
                "{} [{}, {}]",
                nr(k.median.estimate),
                nr(k.median.lower),
                nr(k.median.upper)
            ),
            Outcome::Refused(r) => refused(r),
        };
        let (hr, p) = if arm.arm == a.reference_arm {
            ("reference".to_string(), String::new())
        } else {
            match (a.hazard_ratio(&arm.arm), &a.cox.fit) {
                (Some(c), _) => (
                    format!(
                        "{} [{}, {}]",
                        num(c.hazard_ratio, 2),
                        num(c.confidence_interval.lower, 2),
                        num(c.confidence_interval.upper, 2)
                    ),
                    p_value(c.p_value),
                ),
                (None, Outcome::Refused(r)) => (refused(r), String::new()),
                (None, Outcome::Computed(_)) => ("not estimated".to_string(), String::new()),
            }
        };
        t.push_row(vec![
            arm.arm.clone(),
            format!("{}/{}", arm.follow_up.total_events(), arm.n),
            median,
            hr,
            p,
        ]);
    }
    t.footnotes.push(match &a.log_rank {
        Outcome::Computed(l) => l.test.to_string(),
        Outcome::Refused(r) => format!("Log-rank test: {}", refused(r)),
    });
    t
}
