//! One instrument as a patient × visit table: the common input of descriptive statistics,
//! responder rules and repeated-measures models.

use super::cohort::Cohort;
use crate::domain::{Direction, Instrument};
use crate::error::{Error, Result};

/// One instrument of a cohort as a patient × visit table with each patient's baseline.
///
/// - **Baseline** is the patient's last non-missing score on a day ≤ 0.
/// - **Visits** are the cohort's visits whose rows have a mean day > 0, in chronological
///   order. A patient with several assessments in one visit keeps the one closest to the
///   visit's mean day (the earlier one on ties); the others are counted in
///   [`WideTable::extra_assessments`], never silently merged.
/// - A missed assessment (empty score) and an absent row are both `None` in
///   [`WideTable::score`]; [`WideTable::missed`] tells them apart.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// let csv = "patient_id,therapy,day,instrument,score\n\
///            P1,prp,0,nrs,7\nP1,prp,90,nrs,4\nP2,placebo,-2,nrs,6\nP2,placebo,91,nrs,\n";
/// let cohort = read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// assert_eq!(wide.visits, vec!["month_3".to_string()]);
/// assert_eq!(wide.change(0, 0), Some(-3.0));
/// assert_eq!(wide.score(1, 0), None);
/// assert!(wide.missed(1, 0));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct WideTable {
    /// The instrument.
    pub instrument: Instrument,
    /// Arm labels (as in the cohort).
    pub arms: Vec<String>,
    /// Post-baseline visit labels, chronological.
    pub visits: Vec<String>,
    /// Mean day of each visit's rows.
    pub visit_mean_day: Vec<f64>,
    /// Cohort patient index of each table row (patients with at least one row on the
    /// instrument).
    pub patients: Vec<usize>,
    /// Arm index of each table row.
    pub arm: Vec<u32>,
    /// Baseline score of each table row.
    pub baseline: Vec<Option<f64>>,
    /// Score per (row, visit), row-major: `scores[row * visits.len() + visit]`.
    pub scores: Vec<Option<f64>>,
    /// Day of the assessment kept per (row, visit) (also for missed assessments).
    pub days: Vec<Option<i32>>,
    /// Assessments not kept because the patient had several in one visit.
    pub extra_assessments: u64,
}

impl WideTable {
    /// Number of patients (rows).
    pub fn n_patients(&self) -> usize {
        self.patients.len()
    }

    /// Number of post-baseline visits (columns).
    pub fn n_visits(&self) -> usize {
        self.visits.len()
    }

    fn cell(&self, row: usize, visit: usize) -> Option<usize> {
        (visit < self.visits.len()).then(|| row * self.visits.len() + visit)
    }

    /// Score of table row `row` at visit `visit`.
    pub fn score(&self, row: usize, visit: usize) -> Option<f64> {
        self.cell(row, visit)
            .and_then(|i| self.scores.get(i).copied().flatten())
    }

    /// Whether the assessment was planned (a row exists) but its score is missing.
    pub fn missed(&self, row: usize, visit: usize) -> bool {
        self.cell(row, visit).is_some_and(|i| {
            self.days.get(i).copied().flatten().is_some()
                && self.scores.get(i).copied().flatten().is_none()
        })
    }

    /// Change from baseline (follow-up − baseline, in scale units, sign as on the scale).
    pub fn change(&self, row: usize, visit: usize) -> Option<f64> {
        Some(self.score(row, visit)? - self.baseline.get(row).copied().flatten()?)
    }

    /// Improvement from baseline: positive when the patient got better, in the instrument's
    /// direction.
    pub fn improvement(&self, row: usize, visit: usize) -> Option<f64> {
        let b = self.baseline.get(row).copied().flatten()?;
        Some(
            self.instrument
                .direction
                .improvement(b, self.score(row, visit)?),
        )
    }

    /// Percent change from baseline, `100 × (follow-up − baseline) / baseline`; `None` when the
    /// baseline is 0 (undefined) or either value is missing.
    ///
    /// For an instrument where higher is better the sign is as on the scale too; use
    /// [`WideTable::percent_improvement`] for a direction-aware value.
    pub fn percent_change(&self, row: usize, visit: usize) -> Option<f64> {
        let b = self.baseline.get(row).copied().flatten()?;
        let f = self.score(row, visit)?;
        (b != 0.0).then(|| 100.0 * (f - b) / b)
    }

    /// Percent improvement relative to the room for improvement's reference: for lower-is-better
    /// scales `100 × (baseline − follow-up) / baseline`; for higher-is-better scales
    /// `100 × (follow-up − baseline) / (max − baseline)` (the share of the possible improvement
    /// achieved). `None` when the denominator is 0.
    pub fn percent_improvement(&self, row: usize, visit: usize) -> Option<f64> {
        let b = self.baseline.get(row).copied().flatten()?;
        let f = self.score(row, visit)?;
        let (num, den) = match self.instrument.direction {
            Direction::LowerIsBetter => (b - f, b - self.instrument.min),
            Direction::HigherIsBetter => (f - b, self.instrument.max - b),
        };
        (den != 0.0).then(|| 100.0 * num / den)
    }
}

impl Cohort {
    /// One instrument as a patient × visit table (see [`WideTable`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the cohort has no rows of `instrument`.
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\nP1,prp,14,nrs,5\n";
    /// let cohort = pain_outcomes::data::read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// assert!(cohort.wide("vas").is_err());
    /// assert_eq!(cohort.wide("nrs")?.baseline, vec![Some(7.0)]);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn wide(&self, instrument: &str) -> Result<WideTable> {
        let Some(ii) = self.instrument_index(instrument) else {
            return Err(Error::invalid_argument(
                "instrument",
                format!(
                    "`{instrument}` has no rows in this cohort (present: {})",
                    self.instruments
                        .iter()
                        .map(|i| i.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let ii = ii as u16;
        // mean day per visit on this instrument
        let nv_all = self.visits.len();
        let mut sum = vec![0f64; nv_all];
        let mut cnt = vec![0u64; nv_all];
        for r in 0..self.days.len() {
            if self.instrument_of.get(r) != Some(&ii) {
                continue;
            }
            if let (Some(Some(v)), Some(&d)) = (self.visit_of.get(r), self.days.get(r)) {
                sum[usize::from(*v)] += f64::from(d);
                cnt[usize::from(*v)] += 1;
            }
        }
        let mut column_of = vec![None; nv_all];
        let mut visits = Vec::new();
        let mut visit_mean_day = Vec::new();
        for v in 0..nv_all {
            if cnt[v] == 0 {
                continue;
            }
            let mean = sum[v] / cnt[v] as f64;
            if mean > 0.0 {
                column_of[v] = Some(visits.len());
                visits.push(self.visits[v].clone());
                visit_mean_day.push(mean);
            }
        }
        let nv = visits.len();
        let mut table = WideTable {
            instrument: self.instruments[usize::from(ii)].clone(),
            arms: self.arm_labels.clone(),
            visits,
            visit_mean_day,
            patients: Vec::new(),
            arm: Vec::new(),
            baseline: Vec::new(),
            scores: Vec::new(),
            days: Vec::new(),
            extra_assessments: 0,
        };
        for p in 0..self.patients.len() {
            let rows: Vec<usize> = self
                .patient_rows(p)
                .filter(|&r| self.instrument_of.get(r) == Some(&ii))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut baseline = None;
            let mut cells: Vec<(Option<f64>, Option<i32>)> = vec![(None, None); nv];
            for &r in &rows {
                let (day, score) = (self.days[r], self.scores[r]);
                if day <= 0 {
                    if score.is_some() {
                        baseline = score; // rows are sorted by day: the last one wins
                    }
                    continue;
                }
                let Some(c) = self.visit_of[r].and_then(|v| column_of[usize::from(v)]) else {
                    continue;
                };
                let target = table.visit_mean_day[c];
                match cells[c].1 {
                    None => cells[c] = (score, Some(day)),
                    Some(old) => {
                        table.extra_assessments += 1;
                        let closer =
                            (f64::from(day) - target).abs() < (f64::from(old) - target).abs();
                        if closer {
                            cells[c] = (score, Some(day));
                        }
                    }
                }
            }
            table.patients.push(p);
            table.arm.push(self.arm_of[p]);
            table.baseline.push(baseline);
            for (s, d) in cells {
                table.scores.push(s);
                table.days.push(d);
            }
        }
        Ok(table)
    }
}
