//! The crate's one error type.
//!
//! `Err` always means the caller's *input* is invalid: a malformed file, an unknown category, a
//! score outside its instrument's range, an argument that makes no sense. Valid input from which
//! a statistic cannot honestly be computed is not an error: the statistical routines return an
//! explicit [`Refusal`](crate::Refusal) instead.
//!
//! Every variant that comes from a file names the file, the 1-based line (the header is line 1),
//! the column, the offending value and what was expected.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found.
///
/// `line` is 1-based and counts physical lines of the file as a text editor shows them (the
/// header is line 1). For data that did not come from a file (a polars `DataFrame`, a slice),
/// `file` names the source (for example `"<DataFrame>"`) and `line` is the 1-based row number
/// counting the header as line 1, so that messages read the same way.
///
/// # Examples
///
/// ```
/// use pain_outcomes::Location;
/// let at = Location::new("trial.csv", 7, "score");
/// assert_eq!(at.to_string(), "trial.csv, line 7, column `score`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// File name (or a name for an in-memory source).
    pub file: String,
    /// 1-based line number; the header is line 1.
    pub line: u64,
    /// Column name as written in the input header (empty when not tied to one column).
    pub column: String,
}

impl Location {
    /// Builds a location.
    ///
    /// # Examples
    ///
    /// ```
    /// let at = pain_outcomes::Location::new("a.csv", 2, "day");
    /// assert_eq!(at.line, 2);
    /// ```
    pub fn new(file: impl Into<String>, line: u64, column: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            column: column.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "{}, line {}", self.file, self.line)
        } else {
            write!(
                f,
                "{}, line {}, column `{}`",
                self.file, self.line, self.column
            )
        }
    }
}

/// Everything that can go wrong with the caller's input.
///
/// Each variant has a stable machine-readable [`code`](Error::code).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: cannot read file: {source}")]
    Io {
        /// Path as given by the caller.
        path: String,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all (not even a header).
    #[error(
        "{file}: the file is empty; expected a header line with at least the columns {expected}"
    )]
    EmptyFile {
        /// File name.
        file: String,
        /// The required columns.
        expected: String,
    },
    /// The file has a header but no data rows.
    #[error("{file}: the file has a header but no data rows")]
    HeaderOnly {
        /// File name.
        file: String,
    },
    /// The header looks like it uses another delimiter than the one expected.
    #[error(
        "{file}, line 1: the header has a single column `{header}`; it looks delimited by `{found}`, expected `{expected}`"
    )]
    WrongDelimiter {
        /// File name.
        file: String,
        /// The header as read.
        header: String,
        /// Delimiter that appears to be used.
        found: char,
        /// Delimiter expected.
        expected: char,
    },
    /// A required column is absent from the header.
    #[error("{file}: missing required column `{name}` (header has: {found})")]
    MissingColumn {
        /// File name.
        file: String,
        /// Name of the missing column (after applying the column map).
        name: String,
        /// The columns the header does have.
        found: String,
    },
    /// Two header cells map to the same column.
    #[error("{file}, line 1: column `{name}` appears more than once")]
    DuplicateColumn {
        /// File name.
        file: String,
        /// Duplicated name.
        name: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{file}, line {line}: {found} fields, expected {expected} (as in the header)")]
    FieldCount {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// Fields in the header.
        expected: u64,
        /// Fields in this row.
        found: u64,
    },
    /// Bytes that are not valid UTF-8.
    #[error("{at}: invalid UTF-8 (byte offset {byte_offset})")]
    InvalidUtf8 {
        /// Where.
        at: Box<Location>,
        /// Byte offset within the file.
        byte_offset: u64,
    },
    /// The CSV itself is malformed (for example a quote that is never closed).
    #[error("{file}, line {line}: malformed CSV: {reason}")]
    MalformedCsv {
        /// File name.
        file: String,
        /// 1-based line where the problem was found.
        line: u64,
        /// What the CSV parser reported.
        reason: String,
    },
    /// A required value is empty.
    #[error("{at}: empty value; expected {expected}")]
    EmptyValue {
        /// Where.
        at: Box<Location>,
        /// What was expected.
        expected: String,
    },
    /// A text value holding characters it may not hold (a control character — NUL, tab, a line
    /// break inside quotes — in a patient identifier), shown escaped.
    #[error("{at}: `{value}` {problem}")]
    InvalidText {
        /// Where.
        at: Box<Location>,
        /// The value found, with control characters escaped (`\t`, `\n`, `\0`).
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A category (therapy, instrument, condition, …) that the crate does not know.
    #[error("{at}: unknown {kind} `{value}`; expected one of: {expected}")]
    UnknownCategory {
        /// Where.
        at: Box<Location>,
        /// What kind of category (`therapy`, `instrument`, `condition`, …).
        kind: &'static str,
        /// The value found.
        value: String,
        /// Allowed values.
        expected: String,
    },
    /// A value that should be a number is not one (or not the right kind of number).
    #[error("{at}: `{value}` is not {expected}")]
    InvalidNumber {
        /// Where.
        at: Box<Location>,
        /// The value found.
        value: String,
        /// What was expected ("a finite number", "an integer number of days", …).
        expected: &'static str,
    },
    /// A score outside its instrument's range.
    #[error("{at}: score {value} is outside the range of `{instrument}` [{min}, {max}]")]
    ScoreOutOfRange {
        /// Where.
        at: Box<Location>,
        /// Instrument code.
        instrument: String,
        /// The value found.
        value: f64,
        /// Lowest allowed value.
        min: f64,
        /// Highest allowed value.
        max: f64,
    },
    /// A numeric patient attribute outside its plausible range (age, BMI, severity, dose).
    #[error("{at}: value {value} is outside the allowed range [{min}, {max}]")]
    ValueOutOfRange {
        /// Where.
        at: Box<Location>,
        /// The value found.
        value: f64,
        /// Lowest allowed value.
        min: f64,
        /// Highest allowed value.
        max: f64,
    },
    /// The same (patient, day, instrument) appears twice with the same score.
    #[error(
        "{at}: duplicate assessment of patient `{patient_id}`, day {day}, `{instrument}` (first on line {first_line})"
    )]
    DuplicateAssessment {
        /// Where the second copy is.
        at: Box<Location>,
        /// Patient.
        patient_id: String,
        /// Day.
        day: i64,
        /// Instrument code.
        instrument: String,
        /// Line of the first copy.
        first_line: u64,
    },
    /// The same (patient, day, instrument) appears twice with different scores.
    #[error(
        "{at}: conflicting assessments of patient `{patient_id}`, day {day}, `{instrument}`: {value} here, {first_value} on line {first_line}"
    )]
    ConflictingAssessment {
        /// Where the second row is.
        at: Box<Location>,
        /// Patient.
        patient_id: String,
        /// Day.
        day: i64,
        /// Instrument code.
        instrument: String,
        /// Score on this row (empty when missing).
        value: String,
        /// Score on the first row (empty when missing).
        first_value: String,
        /// Line of the first row.
        first_line: u64,
    },
    /// A patient-level value (therapy, age, condition, …) differs between rows of one patient.
    #[error(
        "{at}: patient `{patient_id}` has `{value}` here but `{first_value}` on line {first_line}; patient-level values must agree"
    )]
    InconsistentPatient {
        /// Where the disagreeing row is.
        at: Box<Location>,
        /// Patient.
        patient_id: String,
        /// Value on this row.
        value: String,
        /// Value first seen.
        first_value: String,
        /// Line where the first value was seen.
        first_line: u64,
    },
    /// A value that does not apply on this row (for example a cell source for a therapy
    /// without cells, or a grade on an event that is not an adverse event).
    #[error("{at}: `{value}` does not apply here: {reason}")]
    Inapplicable {
        /// Where.
        at: Box<Location>,
        /// The value found.
        value: String,
        /// Why it does not apply.
        reason: String,
    },
    /// A row of the events or patients file names a patient absent from the assessments.
    #[error("{at}: patient `{patient_id}` does not appear in the assessments")]
    UnknownPatient {
        /// Where.
        at: Box<Location>,
        /// Patient.
        patient_id: String,
    },
    /// A polars column has a type that cannot hold the contract column.
    #[error("{source_name}: column `{column}` has type {found}; expected {expected}")]
    ColumnType {
        /// Source name (for example `<DataFrame>`).
        source_name: String,
        /// Column name.
        column: String,
        /// Type found.
        found: String,
        /// Type expected.
        expected: &'static str,
    },
    /// An argument passed to a library function is invalid (lengths that differ, a level that
    /// does not exist, a confidence level outside (0, 1), …).
    #[error("invalid argument `{argument}`: {reason}")]
    InvalidArgument {
        /// Argument name.
        argument: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// An error reported by polars.
    #[error("polars: {0}")]
    Polars(#[from] Box<polars::error::PolarsError>),
    /// A file or directory of the output could not be created or written.
    #[error("{path}: cannot write: {source}")]
    WriteFile {
        /// Path of the file or directory.
        path: String,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An error writing CSV output.
    #[error("CSV output: {0}")]
    CsvWrite(#[from] Box<csv::Error>),
    /// An error serializing JSON.
    #[error("JSON: {0}")]
    Json(#[from] Box<serde_json::Error>),
}

impl Error {
    /// A stable, machine-readable code for the variant.
    ///
    /// Codes never change meaning between releases; new variants get new codes.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::Error;
    /// let e = Error::HeaderOnly { file: "a.csv".into() };
    /// assert_eq!(e.code(), "header_only");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::EmptyFile { .. } => "empty_file",
            Error::HeaderOnly { .. } => "header_only",
            Error::WrongDelimiter { .. } => "wrong_delimiter",
            Error::MissingColumn { .. } => "missing_column",
            Error::DuplicateColumn { .. } => "duplicate_column",
            Error::FieldCount { .. } => "field_count",
            Error::InvalidUtf8 { .. } => "invalid_utf8",
            Error::MalformedCsv { .. } => "malformed_csv",
            Error::EmptyValue { .. } => "empty_value",
            Error::InvalidText { .. } => "invalid_text",
            Error::UnknownCategory { .. } => "unknown_category",
            Error::InvalidNumber { .. } => "invalid_number",
            Error::ScoreOutOfRange { .. } => "score_out_of_range",
            Error::ValueOutOfRange { .. } => "value_out_of_range",
            Error::DuplicateAssessment { .. } => "duplicate_assessment",
            Error::ConflictingAssessment { .. } => "conflicting_assessment",
            Error::InconsistentPatient { .. } => "inconsistent_patient",
            Error::Inapplicable { .. } => "inapplicable",
            Error::UnknownPatient { .. } => "unknown_patient",
            Error::ColumnType { .. } => "column_type",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::Polars(_) => "polars",
            Error::WriteFile { .. } => "write_file",
            Error::CsvWrite(_) => "csv_write",
            Error::Json(_) => "json",
        }
    }

    /// The line the error points at, when it points at one.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::Error;
    /// let e = Error::FieldCount { file: "a.csv".into(), line: 4, expected: 6, found: 5 };
    /// assert_eq!(e.line(), Some(4));
    /// ```
    pub fn line(&self) -> Option<u64> {
        match self {
            Error::FieldCount { line, .. } | Error::MalformedCsv { line, .. } => Some(*line),
            Error::WrongDelimiter { .. } | Error::DuplicateColumn { .. } => Some(1),
            Error::InvalidUtf8 { at, .. }
            | Error::EmptyValue { at, .. }
            | Error::InvalidText { at, .. }
            | Error::UnknownCategory { at, .. }
            | Error::InvalidNumber { at, .. }
            | Error::ScoreOutOfRange { at, .. }
            | Error::ValueOutOfRange { at, .. }
            | Error::DuplicateAssessment { at, .. }
            | Error::ConflictingAssessment { at, .. }
            | Error::InconsistentPatient { at, .. }
            | Error::Inapplicable { at, .. }
            | Error::UnknownPatient { at, .. } => Some(at.line),
            _ => None,
        }
    }

    pub(crate) fn invalid_argument(argument: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument,
            reason: reason.into(),
        }
    }
}

impl From<polars::error::PolarsError> for Error {
    fn from(e: polars::error::PolarsError) -> Self {
        Error::Polars(Box::new(e))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(Box::new(e))
    }
}
