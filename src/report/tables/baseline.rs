//! Baseline characteristics by arm (CONSORT item 15).

use super::format::{count_percent, mean_sd, median_iqr};
use super::table::{Column, Table, slug};
use crate::data::Cohort;
use crate::domain::Patient;
use crate::error::Result;
use crate::stats::describe::{DescribeOptions, describe};

/// Baseline characteristics by arm (CONSORT 2010 item 15): age, sex, BMI, condition,
/// severity, cell source (when any patient received cells), and the baseline score of every
/// instrument the cohort records.
///
/// Columns: `characteristic`, `statistic`, one column per arm with identifier
/// `arm_{slug(arm)}` (see [`slug`]; header `arm (n = …)`), and `total`. Numbers show
/// `mean (SD)` and `median [IQR]` (quartiles of R's type 7) over the patients with a value;
/// categories show `n (%)` with the patients who have a value as the denominator, so that
/// the percentages of a characteristic add up to 100 % within rounding. A `missing` row
/// counts patients without a value whenever there are any. A summary that cannot be computed
/// (fewer than two values) shows its refusal.
///
/// # Errors
///
/// None for a valid cohort (the `Result` carries the errors of the summaries it uses).
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::baseline_characteristics;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let t = baseline_characteristics(&cohort)?;
/// assert_eq!(t.columns[0].id, "characteristic");
/// assert!(t.column("arm_placebo").is_some());
/// assert_eq!(t.cell(0, "total"), Some(cohort.n_patients().to_string().as_str()));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn baseline_characteristics(cohort: &Cohort) -> Result<Table> {
    let groups = Groups::of(cohort);
    let mut columns = vec![
        Column::text("characteristic", "Characteristic"),
        Column::text("statistic", "Statistic"),
    ];
    for (arm, n) in cohort.arms().iter().zip(&groups.sizes) {
        columns.push(Column::number(
            format!("arm_{}", slug(arm)),
            format!("{arm}\n(n = {n})"),
        ));
    }
    columns.push(Column::number(
        "total",
        format!("Total\n(n = {})", cohort.n_patients()),
    ));
    let mut t = Table::new("baseline", "Baseline characteristics by arm", columns).with_caption(
        "Numbers: mean (SD) and median [IQR] over patients with a value; categories: \
             n (%) of patients with a value; missing: patients without a value.",
    );
    let mut row = vec!["Patients".to_string(), "n".to_string()];
    row.extend(groups.sizes.iter().map(usize::to_string));
    row.push(cohort.n_patients().to_string());
    t.push_row(row);

    let patients = cohort.patients();
    numeric(&mut t, &groups, "Age, years", |p| p.age, patients)?;
    categorical(&mut t, &groups, "Sex", patients, |p| {
        p.sex.map(|s| s.as_str().to_string())
    });
    numeric(&mut t, &groups, "BMI, kg/m²", |p| p.bmi, patients)?;
    categorical(&mut t, &groups, "Condition", patients, |p| {
        p.condition.map(|c| c.as_str().to_string())
    });
    categorical(&mut t, &groups, "Severity (grade)", patients, |p| {
        p.severity.map(|s| s.to_string())
    });
    if patients.iter().any(|p| p.therapy.has_cells()) {
        categorical(&mut t, &groups, "Cell source", patients, |p| {
            if p.therapy.has_cells() {
                p.cells
                    .and_then(|c| c.source)
                    .map(|s| s.as_str().to_string())
            } else {
                Some("none (no cells)".to_string())
            }
        });
    }
    for instrument in cohort.instruments() {
        let wide = cohort.wide(&instrument.code)?;
        let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); groups.sizes.len() + 1];
        // patients without a row on the instrument count as missing
        let mut seen = vec![false; cohort.n_patients()];
        for (&p, &b) in wide.patients.iter().zip(&wide.baseline) {
            if let Some(s) = seen.get_mut(p) {
                *s = true;
            }
            groups.push(&mut values, p, b);
        }
        for (p, _) in seen.iter().enumerate().filter(|(_, s)| !**s) {
            groups.push(&mut values, p, None);
        }
        numeric_rows(
            &mut t,
            &format!("Baseline {} ({})", instrument.name, instrument.code),
            &values,
        )?;
    }
    t.footnotes.push(
        "Severity is the grade recorded in the data (for osteoarthritis, Kellgren–Lawrence 0–4)."
            .to_string(),
    );
    Ok(t)
}

/// The arm of every patient and the arm sizes; the last group is every patient.
struct Groups<'a> {
    arm_of: &'a [u32],
    sizes: Vec<usize>,
}

impl<'a> Groups<'a> {
    fn of(cohort: &'a Cohort) -> Self {
        Groups {
            arm_of: cohort.arm_of(),
            sizes: cohort
                .patients_per_arm()
                .into_iter()
                .map(|(_, n)| n)
                .collect(),
        }
    }

    /// Adds `value` of patient `p` to its arm's list and to the total's.
    fn push<T: Copy>(&self, lists: &mut [Vec<T>], p: usize, value: T) {
        if let Some(list) = self.arm_of.get(p).and_then(|&a| lists.get_mut(a as usize)) {
            list.push(value);
        }
        if let Some(total) = lists.last_mut() {
            total.push(value);
        }
    }
}

fn numeric(
    t: &mut Table,
    groups: &Groups<'_>,
    label: &str,
    value: impl Fn(&Patient) -> Option<f64>,
    patients: &[Patient],
) -> Result<()> {
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); groups.sizes.len() + 1];
    for (i, p) in patients.iter().enumerate() {
        groups.push(&mut values, i, value(p));
    }
    numeric_rows(t, label, &values)
}

/// `mean (SD)`, `median [IQR]` and, when any value is missing, `missing` rows.
fn numeric_rows(t: &mut Table, label: &str, values: &[Vec<Option<f64>>]) -> Result<()> {
    if values.iter().all(|v| v.iter().all(Option::is_none)) {
        return Ok(()); // not recorded at all: no rows
    }
    let summaries = values
        .iter()
        .map(|v| describe(v, &DescribeOptions::default()))
        .collect::<Result<Vec<_>>>()?;
    let mut mean = vec![label.to_string(), "mean (SD)".to_string()];
    mean.extend(summaries.iter().map(|d| mean_sd(d, 1)));
    t.push_row(mean);
    let mut median = vec![String::new(), "median [IQR]".to_string()];
    median.extend(summaries.iter().map(|d| median_iqr(d, 1)));
    t.push_row(median);
    missing_row(t, values);
    Ok(())
}

fn missing_row<T>(t: &mut Table, values: &[Vec<Option<T>>]) {
    let missing: Vec<usize> = values
        .iter()
        .map(|v| v.iter().filter(|x| x.is_none()).count())
        .collect();
    if missing.iter().any(|&m| m > 0) {
        let mut row = vec![String::new(), "missing".to_string()];
        row.extend(missing.iter().map(usize::to_string));
        t.push_row(row);
    }
}

/// One `n (%)` row per category (sorted), then `missing`.
fn categorical(
    t: &mut Table,
    groups: &Groups<'_>,
    label: &str,
    patients: &[Patient],
    value: impl Fn(&Patient) -> Option<String>,
) {
    let mut categories: Vec<String> = Vec::new();
    let mut codes: Vec<Vec<Option<usize>>> = vec![Vec::new(); groups.sizes.len() + 1];
    for (i, p) in patients.iter().enumerate() {
        let code = value(p).map(|v| match categories.iter().position(|c| *c == v) {
            Some(k) => k,
            None => {
                categories.push(v);
                categories.len() - 1
            }
        });
        groups.push(&mut codes, i, code);
    }
    if categories.is_empty() {
        return;
    }
    let mut order: Vec<usize> = (0..categories.len()).collect();
    order.sort_by(|&a, &b| categories.get(a).cmp(&categories.get(b)));
    for (k, &c) in order.iter().enumerate() {
        let mut row = vec![
            if k == 0 {
                label.to_string()
            } else {
                String::new()
            },
            categories.get(c).cloned().unwrap_or_default(),
        ];
        for g in &codes {
            let with_value = g.iter().filter(|x| x.is_some()).count();
            let n = g.iter().filter(|x| **x == Some(c)).count();
            row.push(count_percent(n, with_value));
        }
        t.push_row(row);
    }
    missing_row(t, &codes);
}
