//! Adverse events by arm and grade (CONSORT item 19).

use super::format::count_percent;
use super::table::{Column, Table, slug};
use crate::data::Cohort;
use crate::domain::{ClinicalEvent, EventKind};

/// Adverse events by arm (CONSORT 2010 item 19) from the events file: patients with any
/// adverse event, by worst grade (CTCAE), with a grade 3 or worse event, and by event (the
/// events file's `detail`, most frequent first).
///
/// Columns: `event`, one column per arm `arm_{slug(arm)}` (header `arm (n = …)`) and
/// `total`. Each cell is `patients (% of the arm) [events]`: a patient counts once per row,
/// events count every record.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{CsvFiles, read_csv_files};
/// use pain_outcomes::report::adverse_events;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let t = adverse_events(&cohort);
/// assert_eq!(t.cell(0, "event"), Some("Any adverse event"));
/// assert!(t.rows.iter().any(|r| r[0] == "Worst grade 3"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn adverse_events(cohort: &Cohort) -> Table {
    let arms = cohort.arms();
    let sizes: Vec<usize> = cohort
        .patients_per_arm()
        .into_iter()
        .map(|(_, n)| n)
        .chain(std::iter::once(cohort.n_patients()))
        .collect();
    let mut columns = vec![Column::text("event", "Adverse event")];
    for (arm, n) in arms.iter().zip(&sizes) {
        columns.push(Column::number(
            format!("arm_{}", slug(arm)),
            format!("{arm}\n(n = {n})"),
        ));
    }
    columns.push(Column::number(
        "total",
        format!("Total\n(n = {})", cohort.n_patients()),
    ));
    let mut t = Table::new("adverse_events", "Adverse events by arm and grade", columns)
        .with_caption(
            "Patients with at least one event (% of the arm) [number of events]. Grades are \
             CTCAE grades as recorded; worst grade = the highest grade of the patient's events.",
        );
    let groups = sizes.len();
    let mut rows: Vec<Counts> = Vec::new();
    let mut any = Counts::new("Any adverse event", groups);
    let mut serious = Counts::new("Grade 3 or worse", groups);
    let mut worst: Vec<Counts> = Vec::new();
    let mut terms: Vec<Counts> = Vec::new();
    let arm_of = cohort.arm_of();
    for p in 0..cohort.n_patients() {
        let a = arm_of.get(p).map_or(usize::MAX, |&a| a as usize);
        let events: Vec<&ClinicalEvent> = cohort
            .patient_events(p)
            .iter()
            .filter(|e| e.kind == EventKind::AdverseEvent)
            .collect();
        if events.is_empty() {
            continue;
        }
        any.add(a, events.len());
        let grade3: Vec<_> = events.iter().filter(|e| e.grade >= Some(3)).collect();
        if !grade3.is_empty() {
            serious.add(a, grade3.len());
        }
        let label = match events.iter().filter_map(|e| e.grade).max() {
            Some(g) => format!("Worst grade {g}"),
            None => "Grade not recorded".to_string(),
        };
        find_or_add(&mut worst, &label, groups).add(a, events.len());
        let mut seen: Vec<&str> = Vec::new();
        for e in &events {
            if !seen.contains(&term(e)) {
                seen.push(term(e));
            }
        }
        for name in seen {
            let n = events.iter().filter(|e| term(e) == name).count();
            find_or_add(&mut terms, name, groups).add(a, n);
        }
    }
    worst.sort_by(|x, y| x.label.cmp(&y.label));
    terms.sort_by(|x, y| {
        let (nx, ny) = (x.patients.last(), y.patients.last());
        ny.cmp(&nx).then_with(|| x.label.cmp(&y.label))
    });
    rows.push(any);
    rows.extend(worst);
    if serious.patients.last().is_some_and(|&n| n > 0) {
        rows.push(serious);
    }
    let n_summary = rows.len();
    rows.extend(terms);
    for (k, r) in rows.iter().enumerate() {
        let label = if k >= n_summary {
            format!("  {}", r.label)
        } else {
            r.label.clone()
        };
        let mut row = vec![label];
        for ((n, e), of) in r.patients.iter().zip(&r.events).zip(&sizes) {
            row.push(format!("{} [{e}]", count_percent(*n, *of)));
        }
        t.push_row(row);
    }
    if cohort
        .events()
        .iter()
        .all(|e| e.kind != EventKind::AdverseEvent)
    {
        t.footnotes
            .push("No adverse event is recorded (no events file, or none in it).".to_string());
    }
    t
}

/// The event's description, `not described` when the events file gives none.
fn term(e: &ClinicalEvent) -> &str {
    e.detail
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or("not described")
}

/// Patients and events of one row, per arm and total.
struct Counts {
    label: String,
    patients: Vec<usize>,
    events: Vec<usize>,
}

impl Counts {
    fn new(label: &str, groups: usize) -> Self {
        Counts {
            label: label.to_string(),
            patients: vec![0; groups],
            events: vec![0; groups],
        }
    }

    /// One patient of arm `a` with `events` events.
    fn add(&mut self, a: usize, events: usize) {
        for g in [a, self.patients.len().saturating_sub(1)] {
            if let (Some(p), Some(e)) = (self.patients.get_mut(g), self.events.get_mut(g)) {
                *p += 1;
                *e += events;
            }
        }
    }
}

fn find_or_add<'a>(rows: &'a mut Vec<Counts>, label: &str, groups: usize) -> &'a mut Counts {
    let k = match rows.iter().position(|r| r.label == label) {
        Some(k) => k,
        None => {
            rows.push(Counts::new(label, groups));
            rows.len() - 1
        }
    };
    // `k` is in range: found above or just pushed
    let len = rows.len();
    &mut rows[k.min(len - 1)]
}
