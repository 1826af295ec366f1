//! The validated, columnar cohort.

use super::filter::PatientFilter;
use super::names::{find_name, same_name};
use crate::domain::{
    Assessment, ClinicalEvent, Condition, EventKind, Instrument, Patient, Therapy, VisitSchedule,
};
use std::collections::BTreeMap;
use std::ops::Range;

/// How patients are grouped into arms for comparisons — the arm policy of every analysis.
///
/// The default, [`ArmBy::Arm`], takes the recorded `arm` column (the randomised or assigned
/// group) when the data has one and the therapy otherwise. Splitting stem-cell arms by cell
/// source is an explicit choice ([`ArmBy::TherapyAndCellSource`]): in a trial that randomised
/// "stem cells" as one arm it cuts the randomised arm in two.
///
/// Parsed from `arm`, `therapy` and `therapy+cell_source` (as the examples' `--arms` flag).
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::ArmBy;
/// assert_eq!(ArmBy::default(), ArmBy::Arm);
/// assert_eq!("therapy+cell_source".parse::<ArmBy>()?, ArmBy::TherapyAndCellSource);
/// assert_eq!(ArmBy::Therapy.to_string(), "therapy");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ArmBy {
    /// The recorded `arm` column; a patient without one (or data without the column) is
    /// labelled by therapy.
    #[default]
    Arm,
    /// One arm per therapy (`stem_cell`, `stem_cell+prp`, …).
    Therapy,
    /// One arm per therapy, stem-cell therapies split by cell source
    /// (`stem_cell[adipose]`, `stem_cell[bone_marrow]+prp`, …). Therapies without cells, and
    /// stem-cell patients with no recorded source, are labelled by therapy alone.
    TherapyAndCellSource,
}

impl ArmBy {
    /// Every arm definition, in the order of the command-line codes.
    pub const ALL: [ArmBy; 3] = [ArmBy::Arm, ArmBy::Therapy, ArmBy::TherapyAndCellSource];

    /// The command-line code (`arm`, `therapy`, `therapy+cell_source`).
    pub fn code(self) -> &'static str {
        match self {
            ArmBy::Arm => "arm",
            ArmBy::Therapy => "therapy",
            ArmBy::TherapyAndCellSource => "therapy+cell_source",
        }
    }

    /// The definition actually used for `patients`: [`ArmBy::Arm`] becomes [`ArmBy::Therapy`]
    /// when no patient records an arm.
    pub(crate) fn resolve(self, patients: &[Patient]) -> ArmBy {
        match self {
            ArmBy::Arm if patients.iter().all(|p| p.arm.is_none()) => ArmBy::Therapy,
            other => other,
        }
    }

    /// A phrase for reports (`the recorded arm column`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::data::ArmBy::Therapy.describe(), "therapy");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            ArmBy::Arm => "the recorded arm column",
            ArmBy::Therapy => "therapy",
            ArmBy::TherapyAndCellSource => "therapy and cell source",
        }
    }
}

impl std::fmt::Display for ArmBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl ArmBy {
    /// The arm label of a patient.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::ArmBy;
    /// use pain_outcomes::domain::{CellSource, Patient, PatientId, StemCells};
    /// let p = Patient::new(PatientId::new("P1").unwrap(), "prp+stem_cell".parse().unwrap())
    ///     .with_cells(StemCells { source: Some(CellSource::Adipose), ..Default::default() });
    /// assert_eq!(ArmBy::TherapyAndCellSource.label(&p), "stem_cell[adipose]+prp");
    /// assert_eq!(ArmBy::Therapy.label(&p), "stem_cell+prp");
    /// ```
    pub fn label(self, patient: &Patient) -> String {
        if let (ArmBy::Arm, Some(arm)) = (self, &patient.arm) {
            return arm.clone();
        }
        let therapy = patient.therapy.to_string();
        match (self, patient.cells.and_then(|c| c.source)) {
            (ArmBy::TherapyAndCellSource, Some(source)) if patient.therapy.has_cells() => {
                therapy.replacen("stem_cell", &format!("stem_cell[{source}]"), 1)
            }
            _ => therapy,
        }
    }
}

/// A validated cohort: patients, their assessments (columnar, contiguous per patient, sorted
/// by day then instrument) and their clinical events.
///
/// Build one with [`read_csv`](crate::data::read_csv), [`from_dataframe`](crate::data::from_dataframe)
/// or [`CohortBuilder`](crate::data::CohortBuilder).
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::CohortBuilder;
/// use pain_outcomes::domain::{Assessment, Patient, PatientId};
/// let p = Patient::new(PatientId::new("P1").unwrap(), "prp".parse().unwrap());
/// let a = |day, score| Assessment {
///     patient_id: PatientId::new("P1").unwrap(),
///     day,
///     visit: None,
///     instrument: "nrs".into(),
///     score,
/// };
/// let cohort = CohortBuilder::new()
///     .patient(p)
///     .assessment(a(90, Some(3.0)))
///     .assessment(a(0, Some(7.0)))
///     .build()
///     .unwrap()
///     .cohort;
/// assert_eq!(cohort.n_patients(), 1);
/// assert_eq!(cohort.days(), &[0, 90]); // sorted by day
/// assert_eq!(cohort.visit_label(1), Some("month_3"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub(crate) patients: Vec<Patient>,
    pub(crate) arm_by: ArmBy,
    pub(crate) arm_labels: Vec<String>,
    pub(crate) arm_of: Vec<u32>,
    pub(crate) offsets: Vec<usize>,
    pub(crate) days: Vec<i32>,
    pub(crate) instrument_of: Vec<u16>,
    pub(crate) visit_of: Vec<Option<u16>>,
    pub(crate) scores: Vec<Option<f64>>,
    pub(crate) instruments: Vec<Instrument>,
    pub(crate) visits: Vec<String>,
    pub(crate) events: Vec<ClinicalEvent>,
    pub(crate) event_offsets: Vec<usize>,
    pub(crate) schedule: VisitSchedule,
}

impl Cohort {
    /// Number of patients.
    pub fn n_patients(&self) -> usize {
        self.patients.len()
    }

    /// Number of assessment rows (observed and missed).
    pub fn n_assessments(&self) -> usize {
        self.days.len()
    }

    /// Patients in order of first appearance in the input.
    pub fn patients(&self) -> &[Patient] {
        &self.patients
    }

    /// Arm labels, sorted.
    pub fn arms(&self) -> &[String] {
        &self.arm_labels
    }

    /// How arms were defined: [`ArmBy::Arm`] only when some patient records an arm (a request
    /// for the arm column on data without one resolves to [`ArmBy::Therapy`]).
    pub fn arm_by(&self) -> ArmBy {
        self.arm_by
    }

    /// Arm index (into [`arms`](Self::arms)) of each patient.
    pub fn arm_of(&self) -> &[u32] {
        &self.arm_of
    }

    /// Index of the arm labelled `label` (exact, else without regard to case and spaces).
    pub fn arm_index(&self, label: &str) -> Option<usize> {
        find_name("arm", label, &self.arm_labels).ok()
    }

    /// The assessment rows of patient `patient` (an index into [`patients`](Self::patients)).
    pub fn patient_rows(&self, patient: usize) -> Range<usize> {
        match (self.offsets.get(patient), self.offsets.get(patient + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// Row offsets: patient `p` owns rows `offsets[p]..offsets[p + 1]`.
    pub fn row_offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Day of every row.
    pub fn days(&self) -> &[i32] {
        &self.days
    }

    /// Score of every row (`None` = missed assessment).
    pub fn scores(&self) -> &[Option<f64>] {
        &self.scores
    }

    /// Instrument index (into [`instruments`](Self::instruments)) of every row.
    pub fn instrument_of(&self) -> &[u16] {
        &self.instrument_of
    }

    /// Visit index (into [`visits`](Self::visits)) of every row; `None` when the day falls in
    /// no visit window and the input gave no label.
    pub fn visit_of(&self) -> &[Option<u16>] {
        &self.visit_of
    }

    /// Instruments present, in the order of the instrument registry.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Index of the instrument with this code (case-insensitive).
    pub fn instrument_index(&self, code: &str) -> Option<usize> {
        self.instruments
            .iter()
            .position(|i| i.code.eq_ignore_ascii_case(code.trim()))
    }

    /// Visit labels, in chronological order (by mean day of the rows carrying them).
    pub fn visits(&self) -> &[String] {
        &self.visits
    }

    /// Index of the visit labelled `label` (exact, else without regard to case and spaces).
    pub fn visit_index(&self, label: &str) -> Option<usize> {
        find_name("visit", label, &self.visits).ok()
    }

    /// Visit label of row `row`.
    pub fn visit_label(&self, row: usize) -> Option<&str> {
        self.visit_of
            .get(row)
            .copied()
            .flatten()
            .and_then(|v| self.visits.get(usize::from(v)))
            .map(String::as_str)
    }

    /// The visit schedule used to derive visits from days.
    pub fn schedule(&self) -> &VisitSchedule {
        &self.schedule
    }

    /// All clinical events, grouped by patient and sorted by day.
    pub fn events(&self) -> &[ClinicalEvent] {
        &self.events
    }

    /// The clinical events of patient `patient`.
    pub fn patient_events(&self, patient: usize) -> &[ClinicalEvent] {
        self.events_of(patient)
    }

    /// The day of the first event of patient `patient` whose kind is one of `kinds`, on or
    /// after day `from` (`i32::MIN` for any day; events before the first treatment have
    /// negative days).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::EventKind;
    /// let a = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\n";
    /// let e = "patient_id,event,day,detail,grade\nP1,rescue_medication,-3,,\nP1,surgery,120,,\n";
    /// let c = pain_outcomes::data::read_csv_texts(a, None, Some(e), &Default::default())?.cohort;
    /// let kinds = [EventKind::Surgery, EventKind::RescueMedication];
    /// assert_eq!(c.first_event_day(0, &kinds, i32::MIN), Some(-3));
    /// assert_eq!(c.first_event_day(0, &kinds, 0), Some(120));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn first_event_day(&self, patient: usize, kinds: &[EventKind], from: i32) -> Option<i32> {
        self.events_of(patient)
            .iter()
            .filter(|e| kinds.contains(&e.kind) && e.day >= from)
            .map(|e| e.day)
            .min()
    }

    fn events_of(&self, patient: usize) -> &[ClinicalEvent] {
        match (
            self.event_offsets.get(patient),
            self.event_offsets.get(patient + 1),
        ) {
            (Some(&a), Some(&b)) => self.events.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Row `row` as an [`Assessment`].
    pub fn assessment(&self, row: usize) -> Option<Assessment> {
        let patient = self.offsets.partition_point(|&o| o <= row).checked_sub(1)?;
        Some(Assessment {
            patient_id: self.patients.get(patient)?.id.clone(),
            day: *self.days.get(row)?,
            visit: self.visit_label(row).map(str::to_string),
            instrument: self
                .instruments
                .get(usize::from(*self.instrument_of.get(row)?))?
                .code
                .clone(),
            score: *self.scores.get(row)?,
        })
    }

    /// Every row as an [`Assessment`], in storage order.
    pub fn assessments(&self) -> impl Iterator<Item = Assessment> + '_ {
        (0..self.patients.len()).flat_map(move |p| {
            self.patient_rows(p).filter_map(move |r| {
                Some(Assessment {
                    patient_id: self.patients.get(p)?.id.clone(),
                    day: *self.days.get(r)?,
                    visit: self.visit_label(r).map(str::to_string),
                    instrument: self
                        .instruments
                        .get(usize::from(*self.instrument_of.get(r)?))?
                        .code
                        .clone(),
                    score: *self.scores.get(r)?,
                })
            })
        })
    }

    /// The condition every patient shares, or `None` when conditions differ or are missing
    /// (then a condition-specific minimal important change does not apply to the whole cohort).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::Condition;
    /// let csv = "patient_id,therapy,day,instrument,score,condition\n\
    ///            P1,prp,0,nrs,7,knee_oa\nP2,placebo,0,nrs,6,knee_oa\n";
    /// let c = pain_outcomes::data::read_csv_str(csv, "m.csv", &Default::default())?.cohort;
    /// assert_eq!(c.common_condition(), Some(Condition::KneeOsteoarthritis));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn common_condition(&self) -> Option<Condition> {
        let first = self.patients.first()?.condition?;
        self.patients
            .iter()
            .all(|p| p.condition == Some(first))
            .then_some(first)
    }

    /// Number of patients per arm, in arm order.
    pub fn patients_per_arm(&self) -> Vec<(String, usize)> {
        let mut counts = vec![0usize; self.arm_labels.len()];
        for &a in &self.arm_of {
            if let Some(c) = counts.get_mut(a as usize) {
                *c += 1;
            }
        }
        self.arm_labels.iter().cloned().zip(counts).collect()
    }

    /// Regroups patients into arms by `arm_by`.
    pub fn with_arm_by(mut self, arm_by: ArmBy) -> Self {
        let arm_by = arm_by.resolve(&self.patients);
        let (labels, of) = assign_arms(&self.patients, arm_by);
        self.arm_by = arm_by;
        self.arm_labels = labels;
        self.arm_of = of;
        self
    }

    /// The patients that satisfy `filter`, with their rows and events.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error) when the filter names a column the data lacks
    /// (the message lists the attributes and columns that exist).
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "patient_id,therapy,day,instrument,score,symptom_months,smoker\n\
    ///            P1,prp,0,nrs,7,14,yes\nP2,prp,0,nrs,6,3,no\n";
    /// let cohort = pain_outcomes::data::read_csv_str(csv, "m.csv", &Default::default())?.cohort;
    /// assert_eq!(cohort.patients()[0].covariates["symptom_months"], 14.0);
    /// let long = cohort.filtered(&"symptom_months>=12,smoker=YES".parse()?)?;
    /// assert_eq!(long.n_patients(), 1);
    /// assert!(cohort.filtered(&"bmi_group=obese".parse()?).is_err());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn filtered(&self, filter: &PatientFilter) -> crate::Result<Cohort> {
        filter.check(&self.patients)?;
        Ok(self.select(&Selection::new().matching(filter.clone())))
    }

    /// The cohort with a patient-level factor `name` added as one of the user's own columns
    /// (`labels[i]` for patient `i`, `None` where missing), for example a subgroup derived from
    /// age bands. Models then use it by name.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `labels` does not have one entry per patient, or `name` is empty or
    /// already a contract attribute or a column of the cohort.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::read_csv_str;
    /// let csv = "patient_id,therapy,day,instrument,score,age\nP1,prp,0,nrs,7,45\nP2,placebo,0,nrs,6,70\n";
    /// let cohort = read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let bands: Vec<Option<String>> = cohort.patients().iter()
    ///     .map(|p| p.age.map(|a| if a < 65.0 { "<65".to_string() } else { ">=65".to_string() }))
    ///     .collect();
    /// let with = cohort.with_factor("age_band", &bands)?;
    /// assert_eq!(with.patients()[1].factors["age_band"], ">=65");
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_factor(&self, name: &str, labels: &[Option<String>]) -> crate::Result<Cohort> {
        let name = self.new_column_name(name, labels.len())?;
        let mut out = self.clone();
        for (p, label) in out.patients.iter_mut().zip(labels) {
            if let Some(l) = label {
                p.factors.insert(name.clone(), l.clone());
            }
        }
        Ok(out)
    }

    /// The cohort with a patient-level numeric covariate `name` added as one of the user's own
    /// columns (`values[i]` for patient `i`), for example a transformed lab value.
    ///
    /// # Errors
    ///
    /// As [`Cohort::with_factor`], and for a value that is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::read_csv_str;
    /// let csv = "patient_id,therapy,day,instrument,score,age\nP1,prp,0,nrs,7,45\nP2,placebo,0,nrs,6,70\n";
    /// let cohort = read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let decades: Vec<Option<f64>> = cohort.patients().iter().map(|p| p.age.map(|a| a / 10.0)).collect();
    /// let with = cohort.with_covariate("age_decades", &decades)?;
    /// assert_eq!(with.patients()[0].covariates["age_decades"], 4.5);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_covariate(&self, name: &str, values: &[Option<f64>]) -> crate::Result<Cohort> {
        let name = self.new_column_name(name, values.len())?;
        if let Some(i) = values
            .iter()
            .position(|v| v.is_some_and(|x| !x.is_finite()))
        {
            return Err(crate::Error::invalid_argument(
                "values",
                format!("patient {i}: `{name}` is not finite"),
            ));
        }
        let mut out = self.clone();
        for (p, value) in out.patients.iter_mut().zip(values) {
            if let Some(x) = value {
                p.covariates.insert(name.clone(), *x);
            }
        }
        Ok(out)
    }

    /// `name` trimmed, checked to be new and given with one value per patient.
    fn new_column_name(&self, name: &str, n_values: usize) -> crate::Result<String> {
        let name = name.trim();
        if n_values != self.patients.len() {
            return Err(crate::Error::invalid_argument(
                "values",
                format!("{n_values} values for {} patients", self.patients.len()),
            ));
        }
        let taken = name.is_empty()
            || super::Attribute::ALL
                .iter()
                .any(|a| a.name().eq_ignore_ascii_case(name))
            || self
                .patients
                .iter()
                .any(|p| p.covariates.contains_key(name) || p.factors.contains_key(name));
        if taken {
            return Err(crate::Error::invalid_argument(
                "name",
                format!("`{name}` is empty, a contract attribute, or already a column"),
            ));
        }
        Ok(name.to_string())
    }

    /// A new cohort with only the patients and rows that `selection` keeps.
    ///
    /// Events of kept patients are kept. Instruments and visits no longer present are dropped
    /// from the lists.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::{Selection, read_csv_str};
    /// let csv = "patient_id,therapy,day,instrument,score\n\
    ///            P1,prp,0,nrs,7\nP1,prp,0,vas,60\nP2,placebo,0,nrs,6\n";
    /// let cohort = read_csv_str(csv, "mem.csv", &Default::default()).unwrap().cohort;
    /// let sub = cohort.select(&Selection::new().instrument("nrs").arm("prp"));
    /// assert_eq!(sub.n_patients(), 1);
    /// assert_eq!(sub.n_assessments(), 1);
    /// ```
    pub fn select(&self, selection: &Selection) -> Cohort {
        let keep_patient = |p: usize| -> bool {
            let Some(patient) = self.patients.get(p) else {
                return false;
            };
            let arm = self
                .arm_of
                .get(p)
                .and_then(|&a| self.arm_labels.get(a as usize));
            (selection.therapies.is_empty() || selection.therapies.contains(&patient.therapy))
                && (selection.arms.is_empty()
                    || arm.is_some_and(|a| selection.arms.iter().any(|s| same_name(a, s))))
                && (selection.conditions.is_empty()
                    || patient
                        .condition
                        .is_some_and(|c| selection.conditions.contains(&c)))
                && selection.patients.matches(patient)
        };
        let keep_row = |r: usize| -> bool {
            let instr_ok = selection.instruments.is_empty()
                || self
                    .instrument_of
                    .get(r)
                    .and_then(|&i| self.instruments.get(usize::from(i)))
                    .is_some_and(|i| {
                        selection
                            .instruments
                            .iter()
                            .any(|s| s.eq_ignore_ascii_case(&i.code))
                    });
            let visit_ok = selection.visits.is_empty()
                || self
                    .visit_label(r)
                    .is_some_and(|v| selection.visits.iter().any(|s| same_name(v, s)));
            instr_ok && visit_ok
        };
        self.filter(keep_patient, keep_row)
    }

    pub(crate) fn filter(
        &self,
        keep_patient: impl Fn(usize) -> bool,
        keep_row: impl Fn(usize) -> bool,
    ) -> Cohort {
        let mut out = Cohort {
            patients: Vec::new(),
            arm_by: self.arm_by,
            arm_labels: Vec::new(),
            arm_of: Vec::new(),
            offsets: vec![0],
            days: Vec::new(),
            instrument_of: Vec::new(),
            visit_of: Vec::new(),
            scores: Vec::new(),
            instruments: Vec::new(),
            visits: Vec::new(),
            events: Vec::new(),
            event_offsets: vec![0],
            schedule: self.schedule.clone(),
        };
        let mut instr_used = vec![false; self.instruments.len()];
        let mut visit_used = vec![false; self.visits.len()];
        for p in 0..self.patients.len() {
            if !keep_patient(p) {
                continue;
            }
            let Some(patient) = self.patients.get(p) else {
                continue;
            };
            out.patients.push(patient.clone());
            for r in self.patient_rows(p) {
                if !keep_row(r) {
                    continue;
                }
                let (Some(&d), Some(&i), Some(&v), Some(&s)) = (
                    self.days.get(r),
                    self.instrument_of.get(r),
                    self.visit_of.get(r),
                    self.scores.get(r),
                ) else {
                    continue;
                };
                out.days.push(d);
                out.instrument_of.push(i);
                out.visit_of.push(v);
                out.scores.push(s);
                if let Some(u) = instr_used.get_mut(usize::from(i)) {
                    *u = true;
                }
                if let Some(u) = v.and_then(|v| visit_used.get_mut(usize::from(v))) {
                    *u = true;
                }
            }
            out.offsets.push(out.days.len());
            out.events.extend_from_slice(self.patient_events(p));
            out.event_offsets.push(out.events.len());
        }
        let remap = |used: &[bool]| -> Vec<Option<u16>> {
            let mut next = 0u16;
            used.iter()
                .map(|&u| {
                    u.then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect()
        };
        let instr_map = remap(&instr_used);
        let visit_map = remap(&visit_used);
        for i in out.instrument_of.iter_mut() {
            *i = instr_map
                .get(usize::from(*i))
                .copied()
                .flatten()
                .unwrap_or(0);
        }
        for v in out.visit_of.iter_mut() {
            *v = v.and_then(|x| visit_map.get(usize::from(x)).copied().flatten());
        }
        out.instruments = self
            .instruments
            .iter()
            .zip(&instr_used)
            .filter(|(_, u)| **u)
            .map(|(i, _)| i.clone())
            .collect();
        out.visits = self
            .visits
            .iter()
            .zip(&visit_used)
            .filter(|(_, u)| **u)
            .map(|(v, _)| v.clone())
            .collect();
        let (labels, of) = assign_arms(&out.patients, out.arm_by);
        out.arm_labels = labels;
        out.arm_of = of;
        out
    }
}

/// Arm labels (sorted) and each patient's arm index.
pub(crate) fn assign_arms(patients: &[Patient], arm_by: ArmBy) -> (Vec<String>, Vec<u32>) {
    let labels: Vec<String> = patients.iter().map(|p| arm_by.label(p)).collect();
    let mut sorted: BTreeMap<&str, u32> = labels.iter().map(|l| (l.as_str(), 0)).collect();
    for (i, v) in sorted.values_mut().enumerate() {
        *v = i as u32;
    }
    let of = labels
        .iter()
        .map(|l| sorted.get(l.as_str()).copied().unwrap_or(0))
        .collect();
    (sorted.keys().map(|s| s.to_string()).collect(), of)
}

/// Which patients and rows [`Cohort::select`] keeps. Empty lists keep everything.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::Selection;
/// use pain_outcomes::domain::Condition;
/// let s = Selection::new().instrument("nrs").visit("month_6").condition(Condition::KneeOsteoarthritis);
/// assert_eq!(s.instruments, vec!["nrs".to_string()]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Selection {
    /// Therapies to keep.
    pub therapies: Vec<Therapy>,
    /// Arm labels to keep.
    pub arms: Vec<String>,
    /// Instrument codes to keep.
    pub instruments: Vec<String>,
    /// Visit labels to keep.
    pub visits: Vec<String>,
    /// Conditions to keep.
    pub conditions: Vec<Condition>,
    /// Patient attributes every kept patient satisfies (`severity=4,age>=60`).
    pub patients: PatientFilter,
}

impl Selection {
    /// Keeps everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also keeps patients on `therapy`.
    pub fn therapy(mut self, therapy: Therapy) -> Self {
        self.therapies.push(therapy);
        self
    }

    /// Also keeps patients in the arm labelled `arm`.
    pub fn arm(mut self, arm: impl Into<String>) -> Self {
        self.arms.push(arm.into());
        self
    }

    /// Also keeps rows of instrument `code`.
    pub fn instrument(mut self, code: impl Into<String>) -> Self {
        self.instruments.push(code.into());
        self
    }

    /// Also keeps rows of visit `label`.
    pub fn visit(mut self, label: impl Into<String>) -> Self {
        self.visits.push(label.into());
        self
    }

    /// Also keeps patients with `condition`.
    pub fn condition(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Keeps only patients that satisfy `filter` (added to any clauses already set).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::Selection;
    /// let s = Selection::new().matching("sex=female,age>=60".parse()?);
    /// assert_eq!(s.patients.clauses.len(), 2);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn matching(mut self, filter: PatientFilter) -> Self {
        self.patients.clauses.extend(filter.clauses);
        self
    }
}
