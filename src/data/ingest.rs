//! Row-by-row validation shared by every reader (CSV, polars, the typed builder).
//!
//! Readers hand rows of raw byte fields to [`Ingest`]; it validates them, accumulates columns,
//! and [`Ingest::finish`] sorts, checks duplicates, derives visits and builds the [`Cohort`].

use super::cohort::{Cohort, assign_arms};
use super::columns::{Column, HeaderLayout};
use super::options::{LoadOptions, LoadReport, Loaded};
use crate::domain::{
    CellDose, CellOrigin, CellSource, ClinicalEvent, Condition, EventKind, Guidance, Patient,
    PatientId, Sex, StemCells, Therapy,
};
use crate::error::{Error, Location, Result};
use std::collections::HashMap;
use std::str::FromStr;

/// Columns an assessments source may carry.
pub(crate) const ASSESSMENT_COLUMNS: [Column; 17] = [
    Column::PatientId,
    Column::Therapy,
    Column::Day,
    Column::Visit,
    Column::Instrument,
    Column::Score,
    Column::Condition,
    Column::CellSource,
    Column::CellOrigin,
    Column::CellDoseMillion,
    Column::Guidance,
    Column::Age,
    Column::Sex,
    Column::Bmi,
    Column::Severity,
    Column::Site,
    Column::Arm,
];
pub(crate) const ASSESSMENT_REQUIRED: [Column; 5] = [
    Column::PatientId,
    Column::Therapy,
    Column::Day,
    Column::Instrument,
    Column::Score,
];
pub(crate) const PATIENT_COLUMNS: [Column; 13] = [
    Column::PatientId,
    Column::Therapy,
    Column::Condition,
    Column::CellSource,
    Column::CellOrigin,
    Column::CellDoseMillion,
    Column::Guidance,
    Column::Age,
    Column::Sex,
    Column::Bmi,
    Column::Severity,
    Column::Site,
    Column::Arm,
];
pub(crate) const EVENT_COLUMNS: [Column; 5] = [
    Column::PatientId,
    Column::Event,
    Column::Day,
    Column::Detail,
    Column::Grade,
];
pub(crate) const EVENT_REQUIRED: [Column; 3] = [Column::PatientId, Column::Event, Column::Day];

/// Values read as "missing" in score and optional columns.
pub(crate) fn is_missing(s: &str) -> bool {
    s.is_empty() || s == "NA" || s == "."
}

/// The raw byte fields of one record.
///
/// `data` and `ends` are kept at their full capacity so that the CSV parser can write into
/// them directly; `used` and `n` say how much of them holds the current record.
#[derive(Debug, Default, Clone)]
pub(crate) struct Record {
    pub data: Vec<u8>,
    pub ends: Vec<usize>,
    pub used: usize,
    pub n: usize,
}

impl Record {
    pub fn with_capacity(bytes: usize, fields: usize) -> Self {
        Record {
            data: vec![0; bytes.max(1)],
            ends: vec![0; fields.max(1)],
            used: 0,
            n: 0,
        }
    }

    pub fn clear(&mut self) {
        self.used = 0;
        self.n = 0;
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Field `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.n {
            return None;
        }
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        let end = *self.ends.get(i)?;
        self.data.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.n).map(|i| self.get(i).unwrap_or(b""))
    }

    pub fn push_field(&mut self, field: &[u8]) {
        let end = self.used + field.len();
        if self.data.len() < end {
            self.data.resize(end.max(2 * self.data.len()), 0);
        }
        if let Some(dst) = self.data.get_mut(self.used..end) {
            dst.copy_from_slice(field);
        }
        if self.ends.len() <= self.n {
            self.ends.resize((2 * self.ends.len()).max(self.n + 1), 0);
        }
        if let Some(e) = self.ends.get_mut(self.n) {
            *e = end;
        }
        self.used = end;
        self.n += 1;
    }
}

/// One row of raw fields, with its location.
pub(crate) struct RawRow<'a> {
    pub fields: &'a Record,
    pub line: u64,
    pub byte: u64,
}

/// Accessor for the fields of a row under a header layout.
struct Fields<'a, 'b> {
    file: &'a str,
    layout: &'a HeaderLayout,
    row: &'a RawRow<'b>,
}

impl Fields<'_, '_> {
    fn at(&self, c: Column) -> Box<Location> {
        Box::new(Location::new(
            self.file,
            self.row.line,
            self.layout.header_name(c),
        ))
    }

    /// The trimmed text of column `c`, `None` when the column is absent.
    fn get(&self, c: Column) -> Result<Option<&str>> {
        let Some(pos) = self.layout.pos(c) else {
            return Ok(None);
        };
        let bytes = self.row.fields.get(pos).unwrap_or(b"");
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Some(s.trim())),
            Err(e) => Err(Error::InvalidUtf8 {
                at: self.at(c),
                byte_offset: self.row.byte + e.valid_up_to() as u64,
            }),
        }
    }

    /// The text of column `c`, `None` when absent or missing.
    fn value(&self, c: Column) -> Result<Option<&str>> {
        Ok(self.get(c)?.filter(|s| !is_missing(s)))
    }

    fn required(&self, c: Column, expected: &str) -> Result<&str> {
        match self.get(c)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(Error::EmptyValue {
                at: self.at(c),
                expected: expected.to_string(),
            }),
        }
    }

    fn category<T: FromStr<Err = crate::domain::ParseError>>(
        &self,
        c: Column,
    ) -> Result<Option<T>> {
        match self.value(c)? {
            None => Ok(None),
            Some(s) => s
                .parse::<T>()
                .map(Some)
                .map_err(|e| Error::UnknownCategory {
                    at: self.at(c),
                    kind: e.kind,
                    value: s.to_string(),
                    expected: e.expected,
                }),
        }
    }

    fn number(&self, c: Column, range: (f64, f64)) -> Result<Option<f64>> {
        match self.value(c)? {
            None => Ok(None),
            Some(s) => {
                let v = parse_finite(s).ok_or_else(|| Error::InvalidNumber {
                    at: self.at(c),
                    value: s.to_string(),
                    expected: "a finite number",
                })?;
                if v < range.0 || v > range.1 {
                    return Err(Error::ValueOutOfRange {
                        at: self.at(c),
                        value: v,
                        min: range.0,
                        max: range.1,
                    });
                }
                Ok(Some(v))
            }
        }
    }

    fn integer(&self, c: Column, range: (i64, i64), expected: &'static str) -> Result<Option<i64>> {
        match self.value(c)? {
            None => Ok(None),
            Some(s) => {
                let v = parse_integer(s).ok_or_else(|| Error::InvalidNumber {
                    at: self.at(c),
                    value: s.to_string(),
                    expected,
                })?;
                if v < range.0 || v > range.1 {
                    return Err(Error::ValueOutOfRange {
                        at: self.at(c),
                        value: v as f64,
                        min: range.0 as f64,
                        max: range.1 as f64,
                    });
                }
                Ok(Some(v))
            }
        }
    }
}

/// Parses a finite number (rejects `NaN`, `inf`, `infinity`).
pub(crate) fn parse_finite(s: &str) -> Option<f64> {
    if let Some(v) = parse_short_decimal(s) {
        return Some(v);
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Exact powers of ten (every one up to 10^15 is a double).
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Fast path for plain decimals with at most 15 digits (`7`, `-3.25`, `.5`): the digits form
/// an integer below 2^53 and the power of ten is exact, so one correctly rounded division
/// gives exactly what `str::parse::<f64>` gives. `None` hands anything else to the full parser.
fn parse_short_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (negative, digits) = match b.first()? {
        b'-' => (true, b.get(1..)?),
        b'+' => (false, b.get(1..)?),
        _ => (false, b),
    };
    let mut mantissa = 0u64;
    let mut n_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_point = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                n_digits += 1;
                frac_digits += usize::from(seen_point);
                if n_digits > 15 {
                    return None;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if n_digits == 0 {
        return None;
    }
    let v = mantissa as f64 / *POW10.get(frac_digits)?;
    Some(if negative { -v } else { v })
}

/// Parses an integer, also accepting a number with a zero fractional part (`3.0`).
pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let v = parse_finite(s)?;
    (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
}

/// Days accepted (about ±100 years).
pub(crate) const DAY_RANGE: (i64, i64) = (-36_500, 36_500);

/// Patient-level values read from one row.
#[derive(Default)]
struct PatientFields {
    therapy: Option<Therapy>,
    condition: Option<Condition>,
    cell_source: Option<CellSource>,
    cell_origin: Option<CellOrigin>,
    cell_dose: Option<CellDose>,
    guidance: Option<Guidance>,
    age: Option<f64>,
    sex: Option<Sex>,
    bmi: Option<f64>,
    severity: Option<u8>,
    site: Option<String>,
    arm: Option<String>,
}

fn read_patient_fields(f: &Fields<'_, '_>) -> Result<PatientFields> {
    let mut p = PatientFields {
        therapy: f.category(Column::Therapy)?,
        condition: f.category(Column::Condition)?,
        cell_source: f.category(Column::CellSource)?,
        cell_origin: f.category(Column::CellOrigin)?,
        cell_dose: None,
        guidance: f.category(Column::Guidance)?,
        age: f.number(Column::Age, Patient::AGE_RANGE)?,
        sex: f.category(Column::Sex)?,
        bmi: f.number(Column::Bmi, Patient::BMI_RANGE)?,
        severity: f
            .integer(
                Column::Severity,
                (
                    i64::from(Patient::SEVERITY_RANGE.0),
                    i64::from(Patient::SEVERITY_RANGE.1),
                ),
                "an integer grade",
            )?
            .and_then(|v| u8::try_from(v).ok()),
        site: f.value(Column::Site)?.map(str::to_string),
        arm: match f.get(Column::Arm)? {
            None => None,
            Some(_) => Some(
                f.value(Column::Arm)?
                    .ok_or_else(|| Error::EmptyValue {
                        at: f.at(Column::Arm),
                        expected: "the patient's randomised or assigned arm".to_string(),
                    })?
                    .to_string(),
            ),
        },
    };
    if let Some(d) = f.number(
        Column::CellDoseMillion,
        (f64::MIN_POSITIVE, CellDose::MAX_MILLION),
    )? {
        p.cell_dose = CellDose::new(d);
    }
    if let Some(t) = p.therapy
        && !t.has_cells()
    {
        for (col, present) in [
            (Column::CellSource, p.cell_source.is_some()),
            (Column::CellOrigin, p.cell_origin.is_some()),
            (Column::CellDoseMillion, p.cell_dose.is_some()),
        ] {
            if present {
                return Err(Error::Inapplicable {
                    at: f.at(col),
                    value: f.value(col)?.unwrap_or_default().to_string(),
                    reason: format!(
                        "therapy `{t}` has no stem cells; leave the cell columns empty"
                    ),
                });
            }
        }
    }
    Ok(p)
}

fn new_patient(id: PatientId, therapy: Therapy) -> Patient {
    Patient::new(id, therapy)
}

/// Merges `row` into `patient`, checking agreement. `lines` holds the line where each
/// patient-level value was first set (indexed like [`Column::PATIENT_LEVEL`]).
fn merge_patient(
    patient: &mut Patient,
    lines: &mut [u64; 12],
    row: PatientFields,
    f: &Fields<'_, '_>,
) -> Result<()> {
    let line = f.row.line;
    let pid = patient.id.to_string();
    let conflict =
        |col: Column, value: String, first: String, first_line: u64| Error::InconsistentPatient {
            at: f.at(col),
            patient_id: pid.clone(),
            value,
            first_value: first,
            first_line,
        };
    macro_rules! merge {
        ($slot:expr, $val:expr, $k:expr, $col:expr, $show:expr) => {
            if let Some(v) = $val {
                match &$slot {
                    Some(old) if *old != v => {
                        return Err(conflict($col, $show(&v), $show(old), lines[$k]));
                    }
                    Some(_) => {}
                    None => {
                        $slot = Some(v);
                        lines[$k] = line;
                    }
                }
            }
        };
    }
    if let Some(t) = row.therapy
        && t != patient.therapy
    {
        return Err(conflict(
            Column::Therapy,
            t.to_string(),
            patient.therapy.to_string(),
            lines[0],
        ));
    }
    merge!(
        patient.condition,
        row.condition,
        1,
        Column::Condition,
        |v: &Condition| v.to_string()
    );
    let mut cells = patient.cells.unwrap_or_default();
    merge!(
        cells.source,
        row.cell_source,
        2,
        Column::CellSource,
        |v: &CellSource| v.to_string()
    );
    merge!(
        cells.origin,
        row.cell_origin,
        3,
        Column::CellOrigin,
        |v: &CellOrigin| v.to_string()
    );
    merge!(
        cells.dose,
        row.cell_dose,
        4,
        Column::CellDoseMillion,
        |v: &CellDose| v.million_cells().to_string()
    );
    if cells != StemCells::default() {
        patient.cells = Some(cells);
    }
    merge!(
        patient.guidance,
        row.guidance,
        5,
        Column::Guidance,
        |v: &Guidance| v.to_string()
    );
    merge!(patient.age, row.age, 6, Column::Age, |v: &f64| v
        .to_string());
    merge!(patient.sex, row.sex, 7, Column::Sex, |v: &Sex| v
        .to_string());
    merge!(patient.bmi, row.bmi, 8, Column::Bmi, |v: &f64| v
        .to_string());
    merge!(
        patient.severity,
        row.severity,
        9,
        Column::Severity,
        |v: &u8| v.to_string()
    );
    merge!(patient.site, row.site, 10, Column::Site, |v: &String| v
        .clone());
    merge!(patient.arm, row.arm, 11, Column::Arm, |v: &String| v
        .clone());
    Ok(())
}

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
        let pid_text = f.required(Column::PatientId, "a patient identifier")?;

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
        let pid_text = f.required(Column::PatientId, "a patient identifier")?;
        let fields = read_patient_fields(&f)?;
        let therapy = fields.therapy;
        self.find_or_add_patient(&f, pid_text, fields, therapy)?;
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
        let pid_text = f.required(Column::PatientId, "a patient identifier")?;
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
        let mut dup: Option<(usize, usize)> = None; // (first row, second row) with smallest line
        for p in 0..np {
            let block = &mut order[offsets[p]..offsets[p + 1]];
            let key = |r: &u32| {
                let r = *r as usize;
                (self.day[r], self.instr[r], self.line[r])
            };
            if !block.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
                block.sort_by_key(key);
            }
            for w in block.windows(2) {
                let (a, b) = (w[0] as usize, w[1] as usize);
                if self.day[a] == self.day[b] && self.instr[a] == self.instr[b] {
                    let second = if self.line[a] < self.line[b] {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    if dup.is_none_or(|(_, d)| self.line[second.1] < self.line[d]) {
                        dup = Some(second);
                    }
                }
            }
        }
        if let Some((a, b)) = dup {
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
            return Err(if self.score[a] == self.score[b] {
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
            });
        }

        // visits: file labels, else the schedule
        let mut rows_without_visit = 0u64;
        let schedule = self.opts.schedule.clone();
        let mut visit_raw: Vec<Option<u32>> = Vec::with_capacity(n);
        for r in 0..n {
            let v = match self.visit[r] {
                Some(v) => Some(v),
                None => match schedule.assign(self.day[r]) {
                    Some(w) => Some(self.visit_label_index(&w.label.clone())),
                    None => {
                        rows_without_visit += 1;
                        None
                    }
                },
            };
            visit_raw.push(v);
        }
        // order labels chronologically by mean day (ties: schedule position, then label)
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
        let visits: Vec<String> = label_order
            .iter()
            .map(|&o| self.visit_labels[o].clone())
            .collect();

        // instruments present, in registry order
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

        // gather columns in sorted order
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

        // events by patient, then day, then kind
        self.events.sort_by_key(|a| (a.0, a.1.day, a.1.kind));
        let mut event_offsets = vec![0usize; np + 1];
        for (p, _) in &self.events {
            event_offsets[*p as usize + 1] += 1;
        }
        for i in 0..np {
            event_offsets[i + 1] += event_offsets[i];
        }
        let events: Vec<ClinicalEvent> = self.events.into_iter().map(|(_, e)| e).collect();

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
            schedule,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_decimal_fast_path_matches_the_standard_parser() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789.-+e";
        for _ in 0..200_000 {
            let len = (next() % 19) as usize;
            let text: String = (0..len)
                .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                .collect();
            let std = text.parse::<f64>().ok().filter(|v| v.is_finite());
            let ours = parse_finite(&text);
            assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "`{text}`");
        }
        for text in [
            "0.1",
            "9.95",
            "-0",
            "-0.0",
            "123456789012345",
            "0.000000000000001",
            "7.",
        ] {
            assert_eq!(
                parse_finite(text).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits)
            );
        }
    }
}
