//! The studies file of a meta-analysis: one row per published comparison, with the summary
//! data of its two groups (means and SDs, or event counts) and study-level moderators.
//!
//! Read with the same CSV machinery and the same typed errors as the cohort files: every
//! problem names the file, line, column, value and what was expected.

use super::csv_io::{Next, RecordReader, has_line_break};
use super::ingest::{Record, is_missing, parse_finite, parse_integer};
use super::names::same_name;
use crate::domain::{CellSource, Condition, Therapy};
use crate::error::{Error, Location, Result};
use std::io::Read;
use std::path::Path;

/// The columns of the studies file that have a fixed meaning, in the documented order.
///
/// # Examples
///
/// ```
/// assert_eq!(pain_outcomes::data::STUDY_COLUMNS[0], "study");
/// ```
pub const STUDY_COLUMNS: [&str; 16] = [
    "study",
    "year",
    "condition",
    "therapy",
    "comparator",
    "cell_source",
    "follow_up_days",
    "instrument",
    "n_treated",
    "mean_treated",
    "sd_treated",
    "n_control",
    "mean_control",
    "sd_control",
    "events_treated",
    "events_control",
];

const CONTINUOUS: [&str; 6] = [
    "n_treated",
    "mean_treated",
    "sd_treated",
    "n_control",
    "mean_control",
    "sd_control",
];
const BINARY: [&str; 4] = ["events_treated", "n_treated", "events_control", "n_control"];

/// One group's mean, SD and size.
///
/// # Examples
///
/// ```
/// let g = pain_outcomes::data::GroupSummary { n: 30, mean: 42.5, sd: 18.0 };
/// assert_eq!(g.n, 30);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupSummary {
    /// Patients.
    pub n: u64,
    /// Mean outcome.
    pub mean: f64,
    /// Standard deviation of the outcome.
    pub sd: f64,
}

/// One group's events and size.
///
/// # Examples
///
/// ```
/// let g = pain_outcomes::data::GroupEvents { events: 12, n: 40 };
/// assert!(g.events <= g.n);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupEvents {
    /// Patients with the event.
    pub events: u64,
    /// Patients.
    pub n: u64,
}

/// A value of a moderator column of the user's own.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{read_studies_str, ModeratorValue};
/// let csv = "study,events_treated,n_treated,events_control,n_control,dose,blinding\nA,3,20,6,20,50,double\n";
/// let t = read_studies_str(csv, "mem.csv")?;
/// assert_eq!(t.moderators, vec!["dose".to_string(), "blinding".to_string()]);
/// assert_eq!(t.studies[0].moderators[0], Some(ModeratorValue::Number(50.0)));
/// assert_eq!(t.studies[0].moderators[1], Some(ModeratorValue::Text("double".into())));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ModeratorValue {
    /// A number (the column is numeric: every present value is a number).
    Number(f64),
    /// A text (the column has a value that is not a number).
    Text(String),
}

/// One row of a studies file: one comparison of a treated group with a control group.
///
/// # Examples
///
/// ```
/// let csv = "study,therapy,comparator,n_treated,mean_treated,sd_treated,n_control,mean_control,sd_control\n\
///            Lee 2019,stem_cell,hyaluronic_acid,30,-3.1,2.0,28,-1.9,2.2\n";
/// let t = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let s = &t.studies[0];
/// assert_eq!(s.study, "Lee 2019");
/// assert_eq!(s.continuous.unwrap().1.n, 28);
/// assert!(s.binary.is_none());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Study {
    /// The line of the row in its file (the header is line 1).
    pub line: u64,
    /// The study label (author, year, …).
    pub study: String,
    /// Publication year.
    pub year: Option<i64>,
    /// Condition treated.
    pub condition: Option<Condition>,
    /// Therapy of the treated group.
    pub therapy: Option<Therapy>,
    /// Therapy of the control group.
    pub comparator: Option<Therapy>,
    /// Cell source of a stem-cell therapy.
    pub cell_source: Option<CellSource>,
    /// Days from treatment to the outcome assessment.
    pub follow_up_days: Option<i64>,
    /// Outcome instrument code (`vas`, `womac_pain`, …), as written.
    pub instrument: Option<String>,
    /// `(treated, control)` means, SDs and sizes, when the row has them.
    pub continuous: Option<(GroupSummary, GroupSummary)>,
    /// `(treated, control)` event counts, when the row has them.
    pub binary: Option<(GroupEvents, GroupEvents)>,
    /// The row's values of the moderator columns (`None` = missing), in
    /// [`StudiesTable::moderators`] order.
    pub moderators: Vec<Option<ModeratorValue>>,
}

/// A studies file: its rows and the names of its moderator columns.
///
/// # Examples
///
/// ```
/// let csv = "study,events_treated,n_treated,events_control,n_control\nA,3,20,6,20\nB,4,25,8,24\n";
/// let t = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// assert_eq!(t.studies.len(), 2);
/// assert_eq!(t.studies[1].line, 3);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StudiesTable {
    /// The file name (for messages).
    pub file: String,
    /// One entry per row, in file order.
    pub studies: Vec<Study>,
    /// Columns of the user's own, kept as moderators.
    pub moderators: Vec<String>,
}

impl StudiesTable {
    /// The values of column `name` as text (categories in their canonical spelling, numbers as
    /// written), `None` where missing: for grouping studies by any column.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the table has no such column.
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "study,condition,events_treated,n_treated,events_control,n_control,region\n\
    ///            A,knee_oa,3,20,6,20,eu\nB,,4,25,8,24,us\n";
    /// let t = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
    /// assert_eq!(t.text_column("condition")?, vec![Some("knee_oa".to_string()), None]);
    /// assert_eq!(t.text_column("region")?[1].as_deref(), Some("us"));
    /// assert!(t.text_column("nothing").is_err());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn text_column(&self, name: &str) -> Result<Vec<Option<String>>> {
        let fixed = |f: fn(&Study) -> Option<String>| self.studies.iter().map(f).collect();
        Ok(match self.column(name)? {
            Col::Fixed(c) => match c {
                "study" => fixed(|s| Some(s.study.clone())),
                "year" => fixed(|s| s.year.map(|x| x.to_string())),
                "condition" => fixed(|s| s.condition.map(|x| x.to_string())),
                "therapy" => fixed(|s| s.therapy.map(|x| x.to_string())),
                "comparator" => fixed(|s| s.comparator.map(|x| x.to_string())),
                "cell_source" => fixed(|s| s.cell_source.map(|x| x.to_string())),
                "follow_up_days" => fixed(|s| s.follow_up_days.map(|x| x.to_string())),
                "instrument" => fixed(|s| s.instrument.clone()),
                _ => return Err(not_a_moderator(name)),
            },
            Col::Moderator(j) => self
                .studies
                .iter()
                .map(|s| match s.moderators.get(j) {
                    Some(Some(ModeratorValue::Number(x))) => Some(x.to_string()),
                    Some(Some(ModeratorValue::Text(t))) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
        })
    }

    /// The values of the numeric column `name` (`year`, `follow_up_days` or a numeric
    /// moderator), `None` where missing: for a meta-regression.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the table has no such column or it is not numeric.
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "study,follow_up_days,events_treated,n_treated,events_control,n_control\n\
    ///            A,90,3,20,6,20\nB,180,4,25,8,24\n";
    /// let t = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
    /// assert_eq!(t.numeric_column("follow_up_days")?, vec![Some(90.0), Some(180.0)]);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn numeric_column(&self, name: &str) -> Result<Vec<Option<f64>>> {
        match self.column(name)? {
            Col::Fixed("year") => Ok(self
                .studies
                .iter()
                .map(|s| s.year.map(|x| x as f64))
                .collect()),
            Col::Fixed("follow_up_days") => Ok(self
                .studies
                .iter()
                .map(|s| s.follow_up_days.map(|x| x as f64))
                .collect()),
            Col::Moderator(j) => self
                .studies
                .iter()
                .map(|s| match s.moderators.get(j) {
                    Some(Some(ModeratorValue::Number(x))) => Ok(Some(*x)),
                    Some(Some(ModeratorValue::Text(_))) => Err(not_numeric(name)),
                    _ => Ok(None),
                })
                .collect(),
            Col::Fixed(_) => Err(not_numeric(name)),
        }
    }

    fn column(&self, name: &str) -> Result<Col> {
        if let Some(c) = STUDY_COLUMNS.iter().take(8).find(|c| same_name(c, name)) {
            return Ok(Col::Fixed(c));
        }
        if let Some(j) = self.moderators.iter().position(|m| same_name(m, name)) {
            return Ok(Col::Moderator(j));
        }
        Err(Error::invalid_argument(
            "column",
            format!(
                "{}: no column `{name}` to group or regress on (columns: {}{}{})",
                self.file,
                STUDY_COLUMNS[..8].join(", "),
                if self.moderators.is_empty() { "" } else { ", " },
                self.moderators.join(", ")
            ),
        ))
    }
}

enum Col {
    Fixed(&'static str),
    Moderator(usize),
}

fn not_a_moderator(name: &str) -> Error {
    Error::invalid_argument(
        "column",
        format!("`{name}` holds summary data, not a moderator"),
    )
}

fn not_numeric(name: &str) -> Error {
    Error::invalid_argument(
        "column",
        format!("column `{name}` is not numeric: a meta-regression needs numbers"),
    )
}

/// Reads a studies file.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, and the typed errors of
/// [`read_studies_from`].
///
/// # Examples
///
/// ```
/// let t = pain_outcomes::data::read_studies(
///     concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/published_trials.csv"),
/// )?;
/// assert!(t.studies.len() >= 15);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn read_studies(path: impl AsRef<Path>) -> Result<StudiesTable> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    read_studies_from(file, &name)
}

/// Reads a studies file from in-memory CSV text; `name` is used in error messages.
///
/// # Errors
///
/// As [`read_studies_from`].
///
/// # Examples
///
/// ```
/// let e = pain_outcomes::data::read_studies_str(
///     "study,events_treated,n_treated,events_control,n_control\nA,30,20,6,20\n",
///     "mem.csv",
/// ).unwrap_err();
/// assert_eq!(e.to_string(), "mem.csv, line 2, column `events_treated`: value 30 is outside the allowed range [0, 20]");
/// ```
pub fn read_studies_str(text: &str, name: &str) -> Result<StudiesTable> {
    read_studies_from(text.as_bytes(), name)
}

/// Reads a studies file from any reader.
///
/// Columns: `study` (required), `year`, `condition`, `therapy`, `comparator`, `cell_source`,
/// `follow_up_days`, `instrument`, and either the continuous summaries `n_treated`,
/// `mean_treated`, `sd_treated`, `n_control`, `mean_control`, `sd_control` or the binary counts
/// `events_treated`, `n_treated`, `events_control`, `n_control` (a row may have both). Every
/// other column is kept as a moderator, numeric when all its values are numbers. Empty, `NA`
/// and `.` are missing values.
///
/// # Errors
///
/// The crate's typed errors, each naming the file, line, column, value and what was expected:
/// [`Error::EmptyFile`], [`Error::HeaderOnly`], [`Error::MissingColumn`],
/// [`Error::DuplicateColumn`], [`Error::FieldCount`], [`Error::MalformedCsv`],
/// [`Error::InvalidUtf8`], [`Error::EmptyValue`] (a required value, or a row with neither
/// complete summaries nor counts), [`Error::InvalidNumber`], [`Error::ValueOutOfRange`]
/// (sizes below 1, negative SDs, more events than patients, years outside 1900–2100),
/// [`Error::UnknownCategory`] (condition, therapy, comparator, cell source) and
/// [`Error::Inapplicable`] (a cell source for a therapy without cells).
///
/// # Examples
///
/// ```
/// let csv = "study,therapy,events_treated,n_treated,events_control,n_control\nA,laser,3,10,2,10\n";
/// let e = pain_outcomes::data::read_studies_str(csv, "x.csv").unwrap_err();
/// assert_eq!(e.code(), "unknown_category");
/// assert_eq!(e.line(), Some(2));
/// ```
pub fn read_studies_from(reader: impl Read, name: &str) -> Result<StudiesTable> {
    let io = |source: std::io::Error| Error::Io {
        path: name.to_string(),
        source,
    };
    let mut rdr = RecordReader::new(reader, b',');
    rdr.skip_bom().map_err(io)?;
    let mut rec = Record::with_capacity(1024, 32);
    let header = match rdr.next(&mut rec).map_err(io)? {
        Next::End => {
            return Err(Error::EmptyFile {
                file: name.to_string(),
                expected: "study".into(),
            });
        }
        Next::Unterminated(line) => return Err(unterminated(name, line)),
        Next::Record(..) => header(name, &rec)?,
    };
    let layout = Layout::resolve(name, &header)?;
    let mut studies = Vec::new();
    let mut raw_moderators: Vec<Vec<Option<String>>> = Vec::new();
    loop {
        let (line, byte) = match rdr.next(&mut rec).map_err(io)? {
            Next::Record(line, byte) => (line, byte),
            Next::End => break,
            Next::Unterminated(line) => return Err(unterminated(name, line)),
        };
        if rec.len() != header.len() {
            if rec.iter().any(has_line_break) {
                return Err(Error::MalformedCsv {
                    file: name.to_string(),
                    line,
                    reason: format!(
                        "a quoted field spans several lines and the record has {} fields instead of {} (unbalanced quotes?)",
                        rec.len(),
                        header.len()
                    ),
                });
            }
            return Err(Error::FieldCount {
                file: name.to_string(),
                line,
                expected: header.len() as u64,
                found: rec.len() as u64,
            });
        }
        let row = Row {
            file: name,
            header: &header,
            layout: &layout,
            rec: &rec,
            line,
            byte,
        };
        let (study, extra) = row.study()?;
        studies.push(study);
        raw_moderators.push(extra);
    }
    if studies.is_empty() {
        return Err(Error::HeaderOnly {
            file: name.to_string(),
        });
    }
    // a moderator column is numeric when every present value is a number
    let numeric: Vec<bool> = (0..layout.moderators.len())
        .map(|j| {
            raw_moderators
                .iter()
                .filter_map(|r| r.get(j).cloned().flatten())
                .all(|v| parse_finite(&v).is_some())
        })
        .collect();
    for (study, raw) in studies.iter_mut().zip(raw_moderators) {
        study.moderators = raw
            .into_iter()
            .zip(&numeric)
            .map(|(v, is_num)| {
                v.map(|t| match parse_finite(&t) {
                    Some(x) if *is_num => ModeratorValue::Number(x),
                    _ => ModeratorValue::Text(t),
                })
            })
            .collect();
    }
    Ok(StudiesTable {
        file: name.to_string(),
        studies,
        moderators: layout
            .moderators
            .iter()
            .filter_map(|j| header.get(*j).cloned())
            .collect(),
    })
}

fn unterminated(file: &str, line: u64) -> Error {
    Error::MalformedCsv {
        file: file.to_string(),
        line,
        reason: "a quoted field opened on this line is never closed (unterminated quote)".into(),
    }
}

fn header(file: &str, rec: &Record) -> Result<Vec<String>> {
    let mut header = Vec::with_capacity(rec.len());
    for (i, field) in rec.iter().enumerate() {
        let text = std::str::from_utf8(field).map_err(|e| Error::InvalidUtf8 {
            at: Box::new(Location::new(file, 1, format!("#{}", i + 1))),
            byte_offset: e.valid_up_to() as u64,
        })?;
        header.push(text.trim().to_string());
    }
    if header.len() == 1 {
        let h = header.first().map(String::as_str).unwrap_or("");
        if h.is_empty() {
            return Err(Error::EmptyFile {
                file: file.to_string(),
                expected: "study".into(),
            });
        }
        if let Some(found) = [';', '\t', '|'].into_iter().find(|c| h.contains(*c)) {
            return Err(Error::WrongDelimiter {
                file: file.to_string(),
                header: h.to_string(),
                found,
                expected: ',',
            });
        }
    }
    Ok(header)
}

/// Where each known column is in the header, and which columns are moderators.
struct Layout {
    fixed: [Option<usize>; 16],
    moderators: Vec<usize>,
}

impl Layout {
    fn resolve(file: &str, header: &[String]) -> Result<Layout> {
        let mut fixed = [None; 16];
        let mut moderators = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if header.iter().take(i).any(|g| same_name(g, h)) {
                return Err(Error::DuplicateColumn {
                    file: file.to_string(),
                    name: h.clone(),
                });
            }
            match STUDY_COLUMNS.iter().position(|c| same_name(c, h)) {
                Some(c) => {
                    if let Some(slot) = fixed.get_mut(c) {
                        *slot = Some(i);
                    }
                }
                None => moderators.push(i),
            }
        }
        let layout = Layout { fixed, moderators };
        let missing = |names: &[&'static str]| -> Option<&'static str> {
            names.iter().find(|c| layout.pos(c).is_none()).copied()
        };
        let found = || header.join(", ");
        if let Some(name) = missing(&["study"]) {
            return Err(Error::MissingColumn {
                file: file.to_string(),
                name: name.into(),
                found: found(),
            });
        }
        if let (Some(c), Some(b)) = (missing(&CONTINUOUS), missing(&BINARY)) {
            return Err(Error::MissingColumn {
                file: file.to_string(),
                name: format!("{c} or {b}"),
                found: found(),
            });
        }
        Ok(layout)
    }

    fn pos(&self, name: &str) -> Option<usize> {
        let c = STUDY_COLUMNS.iter().position(|c| *c == name)?;
        self.fixed.get(c).copied().flatten()
    }
}

struct Row<'a> {
    file: &'a str,
    header: &'a [String],
    layout: &'a Layout,
    rec: &'a Record,
    line: u64,
    byte: u64,
}

impl Row<'_> {
    fn at(&self, column: &str) -> Box<Location> {
        Box::new(Location::new(self.file, self.line, column))
    }

    fn text_at(&self, i: usize) -> Result<Option<String>> {
        let bytes = self.rec.get(i).unwrap_or(b"");
        let column = self.header.get(i).map(String::as_str).unwrap_or("");
        let s = std::str::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
            at: self.at(column),
            byte_offset: self.byte + e.valid_up_to() as u64,
        })?;
        let s = s.trim();
        Ok((!is_missing(s)).then(|| s.to_string()))
    }

    /// The value of a known column, `None` when the column is absent or the value missing.
    fn value(&self, name: &str) -> Result<Option<String>> {
        match self.layout.pos(name) {
            Some(i) => self.text_at(i),
            None => Ok(None),
        }
    }

    fn category<T: std::str::FromStr<Err = crate::domain::ParseError>>(
        &self,
        name: &str,
    ) -> Result<Option<T>> {
        let Some(s) = self.value(name)? else {
            return Ok(None);
        };
        s.parse::<T>()
            .map(Some)
            .map_err(|e| Error::UnknownCategory {
                at: self.at(name),
                kind: e.kind,
                value: s.clone(),
                expected: e.expected,
            })
    }

    fn integer(
        &self,
        name: &str,
        range: (i64, i64),
        expected: &'static str,
    ) -> Result<Option<i64>> {
        let Some(s) = self.value(name)? else {
            return Ok(None);
        };
        let v = parse_integer(&s).ok_or_else(|| Error::InvalidNumber {
            at: self.at(name),
            value: s.clone(),
            expected,
        })?;
        if v < range.0 || v > range.1 {
            return Err(Error::ValueOutOfRange {
                at: self.at(name),
                value: v as f64,
                min: range.0 as f64,
                max: range.1 as f64,
            });
        }
        Ok(Some(v))
    }

    fn number(&self, name: &str, min: f64) -> Result<Option<f64>> {
        let Some(s) = self.value(name)? else {
            return Ok(None);
        };
        let v = parse_finite(&s).ok_or_else(|| Error::InvalidNumber {
            at: self.at(name),
            value: s.clone(),
            expected: "a finite number",
        })?;
        if v < min {
            return Err(Error::ValueOutOfRange {
                at: self.at(name),
                value: v,
                min,
                max: f64::MAX,
            });
        }
        Ok(Some(v))
    }

    fn required<T>(&self, name: &str, value: Option<T>, expected: &str) -> Result<T> {
        value.ok_or_else(|| Error::EmptyValue {
            at: self.at(name),
            expected: expected.to_string(),
        })
    }

    fn size(&self, name: &str) -> Result<Option<u64>> {
        Ok(self
            .integer(name, (1, 1_000_000_000), "a whole number of patients")?
            .map(|n| n.unsigned_abs()))
    }

    fn study(&self) -> Result<(Study, Vec<Option<String>>)> {
        let study = self.value("study")?;
        let study = self.required("study", study, "a study label")?;
        let therapy: Option<Therapy> = self.category("therapy")?;
        let cell_source: Option<CellSource> = self.category("cell_source")?;
        if let (Some(t), Some(c)) = (therapy, cell_source)
            && !t.has_cells()
        {
            return Err(Error::Inapplicable {
                at: self.at("cell_source"),
                value: c.to_string(),
                reason: format!("therapy `{t}` has no cells"),
            });
        }
        let n_treated = self.size("n_treated")?;
        let n_control = self.size("n_control")?;
        let means = ["mean_treated", "sd_treated", "mean_control", "sd_control"];
        let mut any_continuous = false;
        for c in means {
            any_continuous |= self.value(c)?.is_some();
        }
        let continuous = if any_continuous {
            let expected =
                "a value: a row with continuous summaries needs n, mean and SD of both groups";
            let group =
                |n: &str, mean: &str, sd: &str, size: Option<u64>| -> Result<GroupSummary> {
                    Ok(GroupSummary {
                        n: self.required(n, size, expected)?,
                        mean: self.required(mean, self.number(mean, f64::MIN)?, expected)?,
                        sd: self.required(sd, self.number(sd, 0.0)?, expected)?,
                    })
                };
            Some((
                group("n_treated", "mean_treated", "sd_treated", n_treated)?,
                group("n_control", "mean_control", "sd_control", n_control)?,
            ))
        } else {
            None
        };
        let binary =
            if self.value("events_treated")?.is_some() || self.value("events_control")?.is_some() {
                let expected =
                    "a value: a row with binary counts needs the events and n of both groups";
                let group = |e: &str, n: &str, size: Option<u64>| -> Result<GroupEvents> {
                    let n_value = self.required(n, size, expected)?;
                    let events = self.integer(
                        e,
                        (0, i64::try_from(n_value).unwrap_or(i64::MAX)),
                        "a whole number of patients with the event",
                    )?;
                    Ok(GroupEvents {
                        events: self.required(e, events, expected)?.unsigned_abs(),
                        n: n_value,
                    })
                };
                Some((
                    group("events_treated", "n_treated", n_treated)?,
                    group("events_control", "n_control", n_control)?,
                ))
            } else {
                None
            };
        if continuous.is_none() && binary.is_none() {
            let column = if self.layout.pos("mean_treated").is_some() {
                "mean_treated"
            } else {
                "events_treated"
            };
            return Err(Error::EmptyValue {
                at: self.at(column),
                expected: format!(
                    "continuous summaries ({}) or binary counts ({})",
                    CONTINUOUS.join(", "),
                    BINARY.join(", ")
                ),
            });
        }
        let extra = self
            .layout
            .moderators
            .iter()
            .map(|i| self.text_at(*i))
            .collect::<Result<Vec<_>>>()?;
        Ok((
            Study {
                line: self.line,
                study,
                year: self.integer("year", (1900, 2100), "a year")?,
                condition: self.category("condition")?,
                therapy,
                comparator: self.category("comparator")?,
                cell_source,
                follow_up_days: self.integer(
                    "follow_up_days",
                    (0, 36_500),
                    "a whole number of days",
                )?,
                instrument: self.value("instrument")?.map(|s| s.to_ascii_lowercase()),
                continuous,
                binary,
                moderators: Vec::new(),
            },
            extra,
        ))
    }
}
