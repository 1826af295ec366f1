//! The columns being accumulated from validated rows, and the cohort they become.

use std::collections::HashMap;

use super::fields::{DAY_RANGE, Fields, parse_finite, parse_integer};
use super::patient::{PatientFields, merge_patient, new_patient, read_patient_fields};
use super::record::{RawRow, is_missing};
use crate::data::cohort::{Cohort, assign_arms};
use crate::data::columns::{Column, HeaderLayout};
use crate::data::options::{ColumnKind, KeptColumn, LoadOptions, LoadReport, Loaded};
use crate::domain::{ClinicalEvent, EventKind, Patient, PatientId, Therapy};
use crate::error::{Error, Location, Result};

/// Accumulates validated rows.
pub(crate) struct Ingest<'o> {
    opts: &'o LoadOptions,
    report: LoadReport,
    // patients
    index: HashMap<Box<[u8]>, u32>,
    patients: Vec<Patient>,
    field_lines: Vec<[u64; 12]>,
    has_rows: Vec<bool>,
    // assessment rows
    pidx: Vec<u32>,
    day: Vec<i32>,
    instr: Vec<u16>,
    visit: Vec<Option<u32>>,
    score: Vec<Option<f64>>,
    line: Vec<u64>,
    visit_labels: Vec<String>,
    visit_lookup: HashMap<String, u32>,
    instr_rows: Vec<u64>,
    // events
    events: Vec<(u32, ClinicalEvent)>,
    // fast path: previous row's patient-level bytes
    prev_key: Vec<u8>,
    prev_patient: Option<u32>,
    key_buf: Vec<u8>,
    // the user's own patient-level columns
    extra: Vec<ExtraColumn>,
}

/// A user's own column: each patient's value, and whether a patient had two values.
struct ExtraColumn {
    name: String,
    values: HashMap<u32, String>,
    varies: bool,
}

impl<'o> Ingest<'o> {
    pub fn new(opts: &'o LoadOptions, source: &str) -> Self {
        Ingest {
            opts,
            report: LoadReport {
                source: source.to_string(),
                ..LoadReport::default()
            },
            index: HashMap::new(),
            patients: Vec::new(),
            field_lines: Vec::new(),
            has_rows: Vec::new(),
            pidx: Vec::new(),
            day: Vec::new(),
            instr: Vec::new(),
            visit: Vec::new(),
            score: Vec::new(),
            line: Vec::new(),
            visit_labels: Vec::new(),
            visit_lookup: HashMap::new(),
            instr_rows: vec![0; opts.instruments.len()],
            events: Vec::new(),
            prev_key: Vec::new(),
            prev_patient: None,
            key_buf: Vec::new(),
            extra: Vec::new(),
        }
    }

    pub fn reserve(&mut self, rows: usize) {
        self.pidx.reserve(rows);
        self.day.reserve(rows);
        self.instr.reserve(rows);
        self.visit.reserve(rows);
        self.score.reserve(rows);
        self.line.reserve(rows);
    }

    pub fn set_ignored_columns(&mut self, cols: Vec<String>) {
        self.report.ignored_columns = cols;
    }

    fn instrument_position(&self, code: &str) -> Option<usize> {
        self.opts
            .instruments
            .iter()
            .position(|i| i.code.eq_ignore_ascii_case(code))
    }

    /// Validates one assessments row.
    pub fn push_assessment(
        &mut self,
        file: &str,
        layout: &HeaderLayout,
        row: &RawRow<'_>,
    ) -> Result<()> {
        let f = Fields { file, layout, row };
        self.report.rows_read += 1;
        let pid_text = f.patient_id()?;

        // Patient: fast path when the patient-level bytes repeat the previous row's.
        self.key_buf.clear();
        self.key_buf.extend_from_slice(pid_text.as_bytes());
        for c in Column::PATIENT_LEVEL {
            self.key_buf.push(0);
            if let Some(p) = layout.pos(c) {
                self.key_buf
                    .extend_from_slice(row.fields.get(p).unwrap_or(b""));
            }
        }
        for (pos, _) in &layout.extra {
            self.key_buf.push(0);
            self.key_buf
                .extend_from_slice(row.fields.get(*pos).unwrap_or(b""));
        }
        let p = match self.prev_patient {
            Some(p) if self.key_buf == self.prev_key => p,
            _ => {
                let therapy_text = f.required(Column::Therapy, "a therapy")?;
                let fields = read_patient_fields(&f)?;
                let Some(therapy) = fields.therapy else {
                    return Err(Error::EmptyValue {
                        at: f.at(Column::Therapy),
                        expected: format!("a therapy (got `{therapy_text}`)"),
                    });
                };
                let p = self.find_or_add_patient(&f, pid_text, fields, Some(therapy))?;
                self.merge_extra(p, &f)?;
                std::mem::swap(&mut self.prev_key, &mut self.key_buf);
                self.prev_patient = Some(p);
                p
            }
        };
        if let Some(h) = self.has_rows.get_mut(p as usize) {
            *h = true;
        }

        let day_text = f.required(Column::Day, "an integer number of days")?;
        let day = parse_integer(day_text).ok_or_else(|| Error::InvalidNumber {
            at: f.at(Column::Day),
            value: day_text.to_string(),
            expected: "an integer number of days",
        })?;
        if day < DAY_RANGE.0 || day > DAY_RANGE.1 {
            return Err(Error::ValueOutOfRange {
                at: f.at(Column::Day),
                value: day as f64,
                min: DAY_RANGE.0 as f64,
                max: DAY_RANGE.1 as f64,
            });
        }

        let code = f.required(Column::Instrument, "an instrument code")?;
        let Some(ii) = self.instrument_position(code) else {
            return Err(Error::UnknownCategory {
                at: f.at(Column::Instrument),
                kind: "instrument",
                value: code.to_string(),
                expected: self
                    .opts
                    .instruments
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };

        let score = match f.value(Column::Score)? {
            None => {
                self.report.missed_assessments += 1;
                None
            }
            Some(s) => {
                let v = parse_finite(s).ok_or_else(|| Error::InvalidNumber {
                    at: f.at(Column::Score),
                    value: s.to_string(),
                    expected: "a finite number (or an empty cell for a missed assessment)",
                })?;
                if let Some(instr) = self.opts.instruments.get(ii)
                    && !instr.contains(v)
                {
                    return Err(Error::ScoreOutOfRange {
                        at: f.at(Column::Score),
                        instrument: instr.code.clone(),
                        value: v,
                        min: instr.min,
                        max: instr.max,
                    });
                }
                Some(v)
            }
        };

        let visit = f
            .value(Column::Visit)?
            .map(|label| self.visit_label_index(label));

        self.pidx.push(p);
        self.day.push(day as i32);
        self.instr.push(ii as u16);
        self.visit.push(visit);
        self.score.push(score);
        self.line.push(row.line);
        if let Some(n) = self.instr_rows.get_mut(ii) {
            *n += 1;
        }
        Ok(())
    }

    fn visit_label_index(&mut self, label: &str) -> u32 {
        // a handful of labels: comparing them beats hashing
        if self.visit_labels.len() <= 16 {
            if let Some(i) = self.visit_labels.iter().position(|l| l == label) {
                return i as u32;
            }
        } else if let Some(&i) = self.visit_lookup.get(label) {
            return i;
        }
        let i = self.visit_labels.len() as u32;
        self.visit_labels.push(label.to_string());
        self.visit_lookup.insert(label.to_string(), i);
        i
    }

    /// The index of patient `pid_text`, added with `therapy` when new (a new patient needs
    /// one), after merging this row's patient-level `fields` into it.
    fn find_or_add_patient(
        &mut self,
        f: &Fields<'_, '_>,
        pid_text: &str,
        fields: PatientFields,
        therapy: Option<Therapy>,
    ) -> Result<u32> {
        let p = match self.index.get(pid_text.as_bytes()) {
            Some(&p) => p,
            None => {
                let Some(therapy) = therapy else {
                    return Err(Error::EmptyValue {
                        at: f.at(Column::Therapy),
                        expected: "a therapy (this patient has no assessment rows to take it from)"
                            .into(),
                    });
                };
                let id = PatientId::new(pid_text).ok_or_else(|| Error::EmptyValue {
                    at: f.at(Column::PatientId),
                    expected: "a patient identifier".into(),
                })?;
                self.add_patient(id, therapy, f.row.line)?
            }
        };
        let (Some(patient), Some(lines)) = (
            self.patients.get_mut(p as usize),
            self.field_lines.get_mut(p as usize),
        ) else {
            return Err(Error::invalid_argument(
                "patient",
                "internal index out of range",
            ));
        };
        merge_patient(patient, lines, fields, f)?;
        Ok(p)
    }

    /// Records the values of the user's own columns of a row for patient `p`; a column whose
    /// value differs within a patient is marked as varying (not patient-level).
    fn merge_extra(&mut self, p: u32, f: &Fields<'_, '_>) -> Result<()> {
        for (pos, name) in &f.layout.extra {
            let bytes = f.row.fields.get(*pos).unwrap_or(b"");
            let text = std::str::from_utf8(bytes)
                .map_err(|e| Error::InvalidUtf8 {
                    at: Box::new(Location::new(f.file, f.row.line, name)),
                    byte_offset: f.row.byte + e.valid_up_to() as u64,
                })?
                .trim();
            if is_missing(text) {
                continue;
            }
            let k = match self.extra.iter().position(|c| c.name == *name) {
                Some(k) => k,
                None => {
                    self.extra.push(ExtraColumn {
                        name: name.clone(),
                        values: HashMap::new(),
                        varies: false,
                    });
                    self.extra.len() - 1
                }
            };
            let column = &mut self.extra[k];
            match column.values.get(&p) {
                Some(v) if v != text => column.varies = true,
                Some(_) => {}
                None => {
                    column.values.insert(p, text.to_string());
                }
            }
        }
        Ok(())
    }

    /// Moves the user's patient-level columns into the patients: a column whose every value
    /// is a finite number becomes a covariate, any other a factor; a column that varies within
    /// a patient is reported as ignored.
    fn keep_extra_columns(&mut self) {
        for column in std::mem::take(&mut self.extra) {
            if column.varies {
                self.report.ignored_columns.push(column.name);
                continue;
            }
            let numeric = column.values.values().all(|v| parse_finite(v).is_some());
            for (p, v) in column.values {
                let Some(patient) = self.patients.get_mut(p as usize) else {
                    continue;
                };
                match (numeric, parse_finite(&v)) {
                    (true, Some(x)) => {
                        patient.covariates.insert(column.name.clone(), x);
                    }
                    _ => {
                        patient.factors.insert(column.name.clone(), v);
                    }
                }
            }
            self.report.kept_columns.push(KeptColumn {
                name: column.name,
                kind: if numeric {
                    ColumnKind::Covariate
                } else {
                    ColumnKind::Factor
                },
            });
        }
    }

    fn add_patient(&mut self, id: PatientId, therapy: Therapy, line: u64) -> Result<u32> {
        let p = u32::try_from(self.patients.len())
            .map_err(|_| Error::invalid_argument("patients", "more than 2^32 patients"))?;
        self.index
            .insert(id.as_str().as_bytes().to_vec().into_boxed_slice(), p);
        self.patients.push(new_patient(id, therapy));
        self.field_lines.push([line; 12]);
        self.has_rows.push(false);
        Ok(p)
    }

    /// Validates one patients-file row.
    pub fn push_patient(
        &mut self,
        file: &str,
        layout: &HeaderLayout,
        row: &RawRow<'_>,
    ) -> Result<()> {
        let f = Fields { file, layout, row };
        self.report.patient_rows_read += 1;
        let pid_text = f.patient_id()?;
        let fields = read_patient_fields(&f)?;
        let therapy = fields.therapy;
        let p = self.find_or_add_patient(&f, pid_text, fields, therapy)?;
        self.merge_extra(p, &f)?;
        // a later assessment row of this patient must re-check against the merged values
        self.prev_patient = None;
        Ok(())
    }

    /// Validates one events-file row.
    pub fn push_event(
        &mut self,
        file: &str,
        layout: &HeaderLayout,
        row: &RawRow<'_>,
    ) -> Result<()> {
        let f = Fields { file, layout, row };
        self.report.events_read += 1;
        let pid_text = f.patient_id()?;
        let Some(&p) = self.index.get(pid_text.as_bytes()) else {
            return Err(Error::UnknownPatient {
                at: f.at(Column::PatientId),
                patient_id: pid_text.to_string(),
            });
        };
        let kind: EventKind = match f.category(Column::Event)? {
            Some(k) => k,
            None => {
                return Err(Error::EmptyValue {
                    at: f.at(Column::Event),
                    expected: format!("an event: {}", EventKind::expected()),
                });
            }
        };
        f.required(Column::Day, "an integer number of days")?;
        let day = f
            .integer(Column::Day, DAY_RANGE, "an integer number of days")?
            .unwrap_or(0);
        let grade = f
            .integer(
                Column::Grade,
                (
                    i64::from(ClinicalEvent::GRADE_RANGE.0),
                    i64::from(ClinicalEvent::GRADE_RANGE.1),
                ),
                "an integer grade 1-5",
            )?
            .and_then(|g| u8::try_from(g).ok());
        if grade.is_some() && kind != EventKind::AdverseEvent {
            return Err(Error::Inapplicable {
                at: f.at(Column::Grade),
                value: f.value(Column::Grade)?.unwrap_or_default().to_string(),
                reason: format!("only adverse events are graded, this row is `{kind}`"),
            });
        }
        let detail = f.value(Column::Detail)?.map(str::to_string);
        let Some(patient) = self.patients.get(p as usize) else {
            return Err(Error::invalid_argument(
                "patient",
                "internal index out of range",
            ));
        };
        let mut event = ClinicalEvent::new(patient.id.clone(), kind, day as i32);
        event.grade = grade;
        event.detail = detail;
        self.events.push((p, event));
        Ok(())
    }

    pub fn report_mut(&mut self) -> &mut LoadReport {
        &mut self.report
    }

    /// Sorts, checks duplicates, derives visits and builds the cohort.
    pub fn finish(mut self, file: &str) -> Result<Loaded> {
        let (offsets, order, duplicate) = self.row_order();
        if let Some((a, b)) = duplicate {
            return Err(self.duplicate_error(a, b, file));
        }
        let (visit_raw, rows_without_visit) = self.assign_visits();
        let (visit_map, visits) = self.chronological_visits(&visit_raw)?;
        let (instr_map, instruments) = self.instruments_present();

        // gather columns in sorted order
        let n = order.len();
        let mut days = Vec::with_capacity(n);
        let mut instrument_of = Vec::with_capacity(n);
        let mut visit_of = Vec::with_capacity(n);
        let mut scores = Vec::with_capacity(n);
        for &r in &order {
            let r = r as usize;
            days.push(self.day[r]);
            instrument_of.push(instr_map[usize::from(self.instr[r])].unwrap_or(0));
            visit_of.push(visit_raw[r].map(|v| visit_map[v as usize]));
            scores.push(self.score[r]);
        }
        drop(order);

        let (events, event_offsets) = self.events_by_patient();
        self.keep_extra_columns();
        let arm_by = self.opts.arm_by.resolve(&self.patients);
        let (arm_labels, arm_of) = assign_arms(&self.patients, arm_by);
        let cohort = Cohort {
            patients: self.patients,
            arm_by,
            arm_labels,
            arm_of,
            offsets,
            days,
            instrument_of,
            visit_of,
            scores,
            instruments,
            visits,
            events,
            event_offsets,
            schedule: self.opts.schedule.clone(),
        };
        let mut report = self.report;
        report.patients = cohort.n_patients() as u64;
        report.patients_without_assessments = self.has_rows.iter().filter(|h| !**h).count() as u64;
        report.rows_without_visit = rows_without_visit;
        report.arms_by = cohort.arm_by();
        report.patients_per_arm = cohort
            .patients_per_arm()
            .into_iter()
            .map(|(a, n)| (a, n as u64))
            .collect();
        Ok(Loaded { cohort, report })
    }

    /// Each patient's first row in the sorted order (`offsets`, one more than patients), the
    /// rows sorted by patient (stable: file order within a patient), then by day and
    /// instrument, and the (first row, second row) of the repeated (patient, day, instrument)
    /// whose second row comes first in the file, found in the same pass.
    fn row_order(&self) -> (Vec<usize>, Vec<u32>, Option<(usize, usize)>) {
        let n = self.pidx.len();
        let np = self.patients.len();
        // counting sort by patient (stable: keeps file order within a patient)
        let mut offsets = vec![0usize; np + 1];
        for &p in &self.pidx {
            if let Some(o) = offsets.get_mut(p as usize + 1) {
                *o += 1;
            }
        }
        for i in 0..np {
            offsets[i + 1] += offsets[i];
        }
        let already_grouped = self.pidx.windows(2).all(|w| w[0] <= w[1]);
        let mut order: Vec<u32> = if already_grouped {
            (0..n as u32).collect()
        } else {
            let mut next = offsets.clone();
            let mut order = vec![0u32; n];
            for (r, &p) in self.pidx.iter().enumerate() {
                let slot = &mut next[p as usize];
                order[*slot] = r as u32;
                *slot += 1;
            }
            order
        };
        // within each patient: by (day, instrument); then duplicates
        let mut duplicate = None;
        for p in 0..np {
            let block = &mut order[offsets[p]..offsets[p + 1]];
            let key = |r: &u32| {
                let r = *r as usize;
                (self.day[r], self.instr[r], self.line[r])
            };
            if !block.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
                block.sort_by_key(key);
            }
            self.note_duplicates(block, &mut duplicate);
        }
        (offsets, order, duplicate)
    }

    /// Updates `duplicate` with the repeated (day, instrument) rows of one patient's sorted
    /// `block` whose second row comes earliest in the file.
    fn note_duplicates(&self, block: &[u32], duplicate: &mut Option<(usize, usize)>) {
        for w in block.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if self.day[a] == self.day[b] && self.instr[a] == self.instr[b] {
                let second = if self.line[a] < self.line[b] {
                    (a, b)
                } else {
                    (b, a)
                };
                if duplicate.is_none_or(|(_, d)| self.line[second.1] < self.line[d]) {
                    *duplicate = Some(second);
                }
            }
        }
    }

    /// The error for rows `a` (first) and `b` of one (patient, day, instrument): a duplicate
    /// when the scores agree, a conflict when they differ.
    fn duplicate_error(&self, a: usize, b: usize, file: &str) -> Error {
        let instrument = self
            .opts
            .instruments
            .get(usize::from(self.instr[b]))
            .map(|i| i.code.clone())
            .unwrap_or_default();
        let patient_id = self
            .patients
            .get(self.pidx[b] as usize)
            .map(|p| p.id.to_string())
            .unwrap_or_default();
        let at = Box::new(Location::new(file, self.line[b], ""));
        let show = |s: Option<f64>| s.map(|v| v.to_string()).unwrap_or_default();
        if self.score[a] == self.score[b] {
            Error::DuplicateAssessment {
                at,
                patient_id,
                day: i64::from(self.day[b]),
                instrument,
                first_line: self.line[a],
            }
        } else {
            Error::ConflictingAssessment {
                at,
                patient_id,
                day: i64::from(self.day[b]),
                instrument,
                value: show(self.score[b]),
                first_value: show(self.score[a]),
                first_line: self.line[a],
            }
        }
    }

    /// Each row's visit label index (the file's label, else the schedule's window), and the
    /// number of rows in no window and without a label.
    fn assign_visits(&mut self) -> (Vec<Option<u32>>, u64) {
        let n = self.pidx.len();
        let mut rows_without_visit = 0u64;
        let mut visit_raw: Vec<Option<u32>> = Vec::with_capacity(n);
        for r in 0..n {
            let v = match self.visit[r] {
                Some(v) => Some(v),
                None => match self.opts.schedule.assign(self.day[r]) {
                    Some(w) => Some(self.visit_label_index(&w.label.clone())),
                    None => {
                        rows_without_visit += 1;
                        None
                    }
                },
            };
            visit_raw.push(v);
        }
        (visit_raw, rows_without_visit)
    }

    /// The visit labels in chronological order of their mean day (ties: schedule position,
    /// then label), and each label index's position in that order.
    fn chronological_visits(&self, visit_raw: &[Option<u32>]) -> Result<(Vec<u16>, Vec<String>)> {
        let schedule = &self.opts.schedule;
        let nl = self.visit_labels.len();
        let mut sum = vec![0f64; nl];
        let mut cnt = vec![0u64; nl];
        for (v, &day) in visit_raw.iter().zip(&self.day) {
            if let Some(v) = v {
                sum[*v as usize] += f64::from(day);
                cnt[*v as usize] += 1;
            }
        }
        let mut label_order: Vec<usize> = (0..nl).collect();
        label_order.sort_by(|&a, &b| {
            let ma = sum[a] / cnt[a].max(1) as f64;
            let mb = sum[b] / cnt[b].max(1) as f64;
            ma.total_cmp(&mb)
                .then_with(|| {
                    schedule
                        .position(&self.visit_labels[a])
                        .cmp(&schedule.position(&self.visit_labels[b]))
                })
                .then_with(|| self.visit_labels[a].cmp(&self.visit_labels[b]))
        });
        if nl > usize::from(u16::MAX) {
            return Err(Error::invalid_argument(
                "visit",
                format!("{nl} distinct visit labels; at most 65535 are supported"),
            ));
        }
        let mut visit_map = vec![0u16; nl];
        for (new, &old) in label_order.iter().enumerate() {
            visit_map[old] = new as u16;
        }
        let visits = label_order
            .iter()
            .map(|&o| self.visit_labels[o].clone())
            .collect();
        Ok((visit_map, visits))
    }

    /// The instruments with rows, in registry order (counted in the report), and each registry
    /// index's position among them.
    fn instruments_present(&mut self) -> (Vec<Option<u16>>, Vec<crate::domain::Instrument>) {
        let mut instr_map = vec![None; self.opts.instruments.len()];
        let mut instruments = Vec::new();
        for (i, count) in self.instr_rows.iter().enumerate() {
            if *count > 0 {
                instr_map[i] = Some(instruments.len() as u16);
                instruments.push(self.opts.instruments[i].clone());
                self.report
                    .rows_per_instrument
                    .push((self.opts.instruments[i].code.clone(), *count));
            }
        }
        (instr_map, instruments)
    }

    /// The events sorted by patient, then day, then kind, and each patient's first event.
    fn events_by_patient(&mut self) -> (Vec<ClinicalEvent>, Vec<usize>) {
        let np = self.patients.len();
        self.events.sort_by_key(|a| (a.0, a.1.day, a.1.kind));
        let mut event_offsets = vec![0usize; np + 1];
        for (p, _) in &self.events {
            event_offsets[*p as usize + 1] += 1;
        }
        for i in 0..np {
            event_offsets[i + 1] += event_offsets[i];
        }
        let events = std::mem::take(&mut self.events)
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        (events, event_offsets)
    }
}
