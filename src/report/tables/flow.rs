//! Participant flow by arm (CONSORT items 13 and 16).

use super::format::count_percent;
use super::table::{Column, Table, slug};
use crate::analysis::Attrition;
use crate::data::Cohort;
use crate::domain::EventKind;
use crate::error::Result;

/// Participant flow by arm (CONSORT 2010 items 13 and 16): patients enrolled, with a baseline
/// score on `instrument`, assessed at each post-baseline visit, who withdrew and who had
/// surgery (each with the reasons recorded in the events file's `detail`), who took rescue
/// medication, and — given the primary analysis's [`Attrition`] — how many were analysed and
/// why the others were left out.
///
/// Columns: `stage`, one column per arm `arm_{slug(arm)}`, and `total`. Cells are patients,
/// with the percentage of the arm's enrolled patients; a patient with several events of one
/// kind counts once (and once under each distinct reason).
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error) for an instrument the cohort does not record.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{CsvFiles, read_csv_files};
/// use pain_outcomes::report::participant_flow;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let t = participant_flow(&cohort, "nrs", None)?;
/// assert_eq!(t.cell(0, "stage"), Some("Enrolled"));
/// assert!(t.rows.iter().any(|r| r[0].starts_with("Withdrew: ")));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn participant_flow(
    cohort: &Cohort,
    instrument: &str,
    primary: Option<&Attrition>,
) -> Result<Table> {
    let wide = cohort.wide(instrument)?;
    let arms = cohort.arms();
    let enrolled: Vec<usize> = cohort
        .patients_per_arm()
        .into_iter()
        .map(|(_, n)| n)
        .chain(std::iter::once(cohort.n_patients()))
        .collect();
    let mut columns = vec![Column::text("stage", "Stage")];
    for arm in arms {
        columns.push(Column::number(format!("arm_{}", slug(arm)), arm.clone()));
    }
    columns.push(Column::number("total", "Total"));
    let mut t =
        Table::new("participant_flow", "Participant flow by arm", columns).with_caption(format!(
            "Patients (% of the arm's enrolled patients) at each stage; assessed = an observed \
             {} score at the visit.",
            wide.instrument.code
        ));
    let row = |label: String, counts: &[usize]| -> Vec<String> {
        let mut r = vec![label];
        r.extend(counts.iter().map(usize::to_string));
        r
    };
    let pct_row = |label: String, counts: &[usize]| -> Vec<String> {
        let mut r = vec![label];
        r.extend(
            counts
                .iter()
                .zip(&enrolled)
                .map(|(&n, &of)| count_percent(n, of)),
        );
        r
    };
    t.push_row(row("Enrolled".to_string(), &enrolled));

    let groups = arms.len() + 1;
    let mut baseline = vec![0usize; groups];
    let mut assessed = vec![vec![0usize; groups]; wide.n_visits()];
    let arm_of = cohort.arm_of();
    for (row_index, &p) in wide.patients.iter().enumerate() {
        let a = arm_of.get(p).map_or(usize::MAX, |&a| a as usize);
        if wide.baseline.get(row_index).copied().flatten().is_some() {
            bump(&mut baseline, a);
        }
        for (v, counts) in assessed.iter_mut().enumerate() {
            if wide.score(row_index, v).is_some() {
                bump(counts, a);
            }
        }
    }
    t.push_row(pct_row(
        format!("Baseline {} recorded", wide.instrument.code),
        &baseline,
    ));
    for (visit, counts) in wide.visits.iter().zip(&assessed) {
        t.push_row(pct_row(format!("Assessed at {visit}"), counts));
    }
    for (kind, label) in [
        (EventKind::Withdrawal, "Withdrew"),
        (EventKind::Surgery, "Surgery"),
        (EventKind::RescueMedication, "Rescue medication"),
    ] {
        let (any, reasons) = event_counts(cohort, kind, groups);
        if any.iter().all(|&n| n == 0) {
            continue;
        }
        t.push_row(pct_row(label.to_string(), &any));
        if kind != EventKind::RescueMedication {
            for (reason, counts) in &reasons {
                t.push_row(pct_row(format!("{label}: {reason}"), counts));
            }
        }
    }
    if let Some(a) = primary {
        primary_rows(&mut t, a, arms, &pct_row);
    }
    Ok(t)
}

/// Patients with an event of `kind` per arm (and total), and per recorded reason (sorted,
/// `reason not recorded` last).
fn event_counts(
    cohort: &Cohort,
    kind: EventKind,
    groups: usize,
) -> (Vec<usize>, Vec<(String, Vec<usize>)>) {
    let mut any = vec![0usize; groups];
    let mut reasons: Vec<(String, Vec<usize>)> = Vec::new();
    let arm_of = cohort.arm_of();
    for p in 0..cohort.n_patients() {
        let a = arm_of.get(p).map_or(usize::MAX, |&a| a as usize);
        let mut seen: Vec<&str> = Vec::new();
        for e in cohort.patient_events(p).iter().filter(|e| e.kind == kind) {
            let reason = e
                .detail
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .unwrap_or("reason not recorded");
            if !seen.contains(&reason) {
                seen.push(reason);
            }
        }
        if seen.is_empty() {
            continue;
        }
        bump(&mut any, a);
        for reason in seen {
            let counts = match reasons.iter().position(|(r, _)| r == reason) {
                Some(k) => reasons.get_mut(k).map(|(_, c)| c),
                None => {
                    reasons.push((reason.to_string(), vec![0; groups]));
                    reasons.last_mut().map(|(_, c)| c)
                }
            };
            if let Some(c) = counts {
                bump(c, a);
            }
        }
    }
    reasons.sort_by(|(a, _), (b, _)| {
        (a == "reason not recorded", a).cmp(&(b == "reason not recorded", b))
    });
    (any, reasons)
}

/// Adds one to arm `a` and to the total (the last entry).
fn bump(counts: &mut [usize], a: usize) {
    if let Some(c) = counts.get_mut(a) {
        *c += 1;
    }
    if let Some(c) = counts.last_mut() {
        *c += 1;
    }
}

/// Analysed in the primary model and the reasons for leaving patients out.
fn primary_rows(
    t: &mut Table,
    a: &Attrition,
    arms: &[String],
    pct_row: &dyn Fn(String, &[usize]) -> Vec<String>,
) {
    let per_arm = |f: &dyn Fn(&crate::analysis::ArmAttrition) -> usize| -> Vec<usize> {
        let mut v: Vec<usize> = arms.iter().map(|arm| a.arm(arm).map_or(0, f)).collect();
        v.push(v.iter().sum());
        v
    };
    let analysed = per_arm(&|x| x.analysed);
    t.push_row(pct_row("Analysed (primary model)".to_string(), &analysed));
    let mut reasons = Vec::new();
    for e in a.arms.iter().flat_map(|x| &x.excluded) {
        if !reasons.contains(&e.reason) {
            reasons.push(e.reason);
        }
    }
    for r in reasons {
        let counts = per_arm(&|x| x.excluded_for(r));
        t.push_row(pct_row(format!("Not analysed: {}", r.describe()), &counts));
    }
}
