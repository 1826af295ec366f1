//! CSV reading and writing for the data contract.

use super::cohort::Cohort;
use super::columns::{Column, HeaderLayout};
use super::ingest::{
    ASSESSMENT_COLUMNS, ASSESSMENT_REQUIRED, EVENT_COLUMNS, EVENT_REQUIRED, Ingest,
    PATIENT_COLUMNS, RawRow, Record,
};
use super::options::{LoadOptions, Loaded};
use crate::error::{Error, Location, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The files of one cohort: assessments, and optionally patients and events.
///
/// # Examples
///
/// ```no_run
/// use pain_outcomes::data::{CsvFiles, read_csv_files};
/// let files = CsvFiles::new("trial.csv").with_events("trial_events.csv");
/// let loaded = read_csv_files(&files, &Default::default())?;
/// println!("{}", loaded.report);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvFiles {
    /// Long-format assessments (required).
    pub assessments: PathBuf,
    /// Patient-level facts, one row per patient (optional).
    pub patients: Option<PathBuf>,
    /// Clinical events (optional).
    pub events: Option<PathBuf>,
}

impl CsvFiles {
    /// Only an assessments file.
    pub fn new(assessments: impl Into<PathBuf>) -> Self {
        CsvFiles {
            assessments: assessments.into(),
            patients: None,
            events: None,
        }
    }

    /// Adds a patients file.
    pub fn with_patients(mut self, path: impl Into<PathBuf>) -> Self {
        self.patients = Some(path.into());
        self
    }

    /// Adds an events file.
    pub fn with_events(mut self, path: impl Into<PathBuf>) -> Self {
        self.events = Some(path.into());
        self
    }
}

#[derive(Clone, Copy)]
enum Table {
    Assessments,
    Patients,
    Events,
}

impl Table {
    fn columns(self) -> (&'static [Column], &'static [Column]) {
        match self {
            Table::Assessments => (&ASSESSMENT_COLUMNS, &ASSESSMENT_REQUIRED),
            Table::Patients => (&PATIENT_COLUMNS, &[Column::PatientId]),
            Table::Events => (&EVENT_COLUMNS, &EVENT_REQUIRED),
        }
    }
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

fn file_name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a cohort from an assessments CSV file.
///
/// # Errors
///
/// Any [`Error`] naming the file, line, column, value and what was expected.
///
/// # Examples
///
/// ```
/// let loaded = pain_outcomes::data::read_csv(
///     concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv"),
///     &Default::default(),
/// )?;
/// assert!(loaded.cohort.n_patients() > 100);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Loaded> {
    read_csv_files(&CsvFiles::new(path.as_ref()), options)
}

/// Reads a cohort from its assessments file and optional patients and events files.
///
/// # Errors
///
/// Any [`Error`] naming the file, line, column, value and what was expected.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{CsvFiles, read_csv_files};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let loaded = read_csv_files(&files, &Default::default())?;
/// assert!(loaded.report.events_read > 0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn read_csv_files(files: &CsvFiles, options: &LoadOptions) -> Result<Loaded> {
    let name = file_name(&files.assessments);
    let mut ingest = Ingest::new(options, &name);
    let file = open(&files.assessments)?;
    if let Ok(meta) = file.metadata() {
        // about 80 bytes a row in the contract layout
        ingest.reserve((meta.len() / 80) as usize);
    }
    read_table(file, &name, options, Table::Assessments, &mut ingest)?;
    if let Some(p) = &files.patients {
        read_table(
            open(p)?,
            &file_name(p),
            options,
            Table::Patients,
            &mut ingest,
        )?;
    }
    if let Some(e) = &files.events {
        read_table(open(e)?, &file_name(e), options, Table::Events, &mut ingest)?;
    }
    ingest.finish(&name)
}

/// Reads a cohort from any reader of assessments CSV; `name` is used in error messages.
///
/// # Errors
///
/// Any [`Error`] naming `name`, the line, column, value and what was expected.
///
/// # Examples
///
/// ```
/// let data = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\n";
/// let loaded = pain_outcomes::data::read_csv_from(data.as_bytes(), "upload.csv", &Default::default())?;
/// assert_eq!(loaded.cohort.n_assessments(), 1);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn read_csv_from(reader: impl Read, name: &str, options: &LoadOptions) -> Result<Loaded> {
    let mut ingest = Ingest::new(options, name);
    read_table(reader, name, options, Table::Assessments, &mut ingest)?;
    ingest.finish(name)
}

/// Reads a cohort from in-memory CSV text.
///
/// # Errors
///
/// As [`read_csv_from`].
///
/// # Examples
///
/// ```
/// let csv = "patient_id,therapy,day,instrument,score\nP1,stem_cell+prp,0,nrs,7\n";
/// let c = pain_outcomes::data::read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
/// assert_eq!(c.arms(), &["stem_cell+prp".to_string()]);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn read_csv_str(text: &str, name: &str, options: &LoadOptions) -> Result<Loaded> {
    read_csv_from(text.as_bytes(), name, options)
}

/// Reads a cohort from in-memory assessments, patients and events CSV texts.
///
/// # Errors
///
/// As [`read_csv_files`].
///
/// # Examples
///
/// ```
/// let a = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\n";
/// let e = "patient_id,event,day,detail,grade\nP1,adverse_event,3,swelling,1\n";
/// let c = pain_outcomes::data::read_csv_texts(a, None, Some(e), &Default::default())?.cohort;
/// assert_eq!(c.events().len(), 1);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn read_csv_texts(
    assessments: &str,
    patients: Option<&str>,
    events: Option<&str>,
    options: &LoadOptions,
) -> Result<Loaded> {
    let mut ingest = Ingest::new(options, "assessments.csv");
    read_table(
        assessments.as_bytes(),
        "assessments.csv",
        options,
        Table::Assessments,
        &mut ingest,
    )?;
    if let Some(p) = patients {
        read_table(
            p.as_bytes(),
            "patients.csv",
            options,
            Table::Patients,
            &mut ingest,
        )?;
    }
    if let Some(e) = events {
        read_table(
            e.as_bytes(),
            "events.csv",
            options,
            Table::Events,
            &mut ingest,
        )?;
    }
    ingest.finish("assessments.csv")
}

/// Pulls records out of a byte stream with `csv_core`, tracking the exact line and byte offset
/// at which each record starts.
///
/// The line of a record is the line of its first byte (the header is line 1), whatever the line
/// endings (LF, CRLF, CR), blank lines before it, or line breaks inside quoted fields of earlier
/// records.
pub(crate) struct RecordReader<R> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// The synthetic line break that terminates a last line without one has been fed.
    closed: bool,
    core: csv_core::Reader,
    /// Field delimiter.
    delimiter: u8,
    /// Bytes consumed before `buf[start]`.
    consumed: u64,
    /// 1 + line breaks consumed before `buf[start]` (LF, CRLF and a lone CR each count once).
    line: u64,
    /// The last byte consumed was a CR (so an LF right after it ends no further line).
    last_cr: bool,
}

/// What one call to [`RecordReader::next`] found.
pub(crate) enum Next {
    /// A record starting at (line, byte).
    Record(u64, u64),
    /// A record starting at this line whose quoted field runs to the end of the input.
    Unterminated(u64),
    /// No more records.
    End,
}

impl<R: Read> RecordReader<R> {
    pub(crate) fn new(src: R, delimiter: u8) -> Self {
        RecordReader {
            src,
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
            eof: false,
            closed: false,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            consumed: 0,
            line: 1,
            last_cr: false,
        }
    }

    /// Refills the buffer when it is exhausted.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.start < self.end || self.eof {
            return Ok(());
        }
        self.start = 0;
        self.end = 0;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end = n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips a UTF-8 byte order mark at the very start of the input.
    pub(crate) fn skip_bom(&mut self) -> std::io::Result<()> {
        const BOM: &[u8] = b"\xef\xbb\xbf";
        self.fill()?;
        // make sure the first three bytes are buffered (a reader may return short reads)
        while self.end < BOM.len() && !self.eof {
            let Some(dst) = self.buf.get_mut(self.end..) else {
                break;
            };
            match self.src.read(dst) {
                Ok(0) => break,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.buf.get(..self.end.min(3)) == Some(BOM) {
            self.start = 3;
            self.consumed = 3;
        }
        Ok(())
    }

    /// Reads the next record into `rec`.
    pub(crate) fn next(&mut self, rec: &mut Record) -> std::io::Result<Next> {
        use csv_core::ReadRecordResult as R;
        rec.clear();
        // line terminators before a record: the rest of a CRLF, or blank lines
        loop {
            self.fill()?;
            let Some(&b) = self.buf.get(self.start).filter(|_| self.start < self.end) else {
                break;
            };
            match b {
                b'\n' => self.line += u64::from(!self.last_cr),
                b'\r' => self.line += 1,
                _ => break,
            }
            self.last_cr = b == b'\r';
            self.start += 1;
            self.consumed += 1;
        }
        let (line, byte) = (self.line, self.consumed);
        if self.fast_unquoted_line(rec) {
            return Ok(Next::Record(line, byte));
        }
        let mut fed_close = false;
        loop {
            self.fill()?;
            let input: &[u8] = if self.start < self.end {
                self.buf.get(self.start..self.end).unwrap_or(&[])
            } else if !self.closed {
                // terminate a last line that has no line break
                fed_close = true;
                self.closed = true;
                b"\n"
            } else {
                &[]
            };
            let from_buffer = self.start < self.end;
            let (res, nin, nout, nend) = self.core.read_record(
                input,
                rec.data.get_mut(rec.used..).unwrap_or(&mut []),
                rec.ends.get_mut(rec.n..).unwrap_or(&mut []),
            );
            if from_buffer {
                let taken = input.get(..nin).unwrap_or(&[]);
                self.line += count_breaks(taken, &mut self.last_cr);
                self.start += nin;
                self.consumed += nin as u64;
            }
            // (field ends are counted from the start of the record)
            rec.used += nout;
            rec.n += nend;
            match res {
                R::InputEmpty => {
                    if !from_buffer && self.closed && !fed_close && self.start >= self.end {
                        // nothing more will come; should not happen (the core ends records at EOF)
                        return Ok(Next::End);
                    }
                }
                R::OutputFull => {
                    let n = rec.data.len().max(64) * 2;
                    rec.data.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = rec.ends.len().max(8) * 2;
                    rec.ends.resize(n, 0);
                }
                R::Record => {
                    if fed_close && self.eof && nin == 0 {
                        // the synthetic line break was taken inside a quoted field and only the
                        // end of input closed the record: the quote never closes
                        return Ok(Next::Unterminated(line));
                    }
                    return Ok(Next::Record(line, byte));
                }
                R::End => return Ok(Next::End),
            }
        }
    }
}

impl<R> RecordReader<R> {
    /// The common case without the general parser: a whole line in the buffer with no quote
    /// and no carriage return except right before its line feed. Its fields are the bytes
    /// between delimiters, exactly what the general parser returns for such a line. Returns
    /// `false` (consuming nothing) when the line does not qualify.
    fn fast_unquoted_line(&mut self, rec: &mut Record) -> bool {
        let Some(avail) = self.buf.get(self.start..self.end) else {
            return false;
        };
        let Some(nl) = memchr::memchr(b'\n', avail) else {
            return false;
        };
        let mut line = avail.get(..nl).unwrap_or(&[]);
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        if line.is_empty() || memchr::memchr2(b'"', b'\r', line).is_some() {
            return false;
        }
        if rec.data.len() < line.len() {
            rec.data.resize(line.len().next_power_of_two(), 0);
        }
        let mut from = 0;
        for cut in memchr::memchr_iter(self.delimiter, line).chain(std::iter::once(line.len())) {
            if rec.n >= rec.ends.len() {
                let n = rec.ends.len().max(8) * 2;
                rec.ends.resize(n, 0);
            }
            if let (Some(dst), Some(src)) = (
                rec.data.get_mut(rec.used..rec.used + (cut - from)),
                line.get(from..cut),
            ) {
                dst.copy_from_slice(src);
            }
            rec.used += cut - from;
            if let Some(e) = rec.ends.get_mut(rec.n) {
                *e = rec.used;
            }
            rec.n += 1;
            from = cut + 1;
        }
        self.start += nl + 1;
        self.consumed += nl as u64 + 1;
        self.line += 1;
        self.last_cr = false;
        true
    }
}

/// Counts the line breaks in consumed bytes: every CR, and every LF not right after a CR.
fn count_breaks(taken: &[u8], last_cr: &mut bool) -> u64 {
    let Some(&last) = taken.last() else {
        return 0;
    };
    let lf = taken.iter().filter(|&&b| b == b'\n').count();
    let cr = taken.iter().filter(|&&b| b == b'\r').count();
    let mut pairs = usize::from(*last_cr && taken.first() == Some(&b'\n'));
    if cr > 0 && lf > 0 {
        pairs += taken
            .iter()
            .zip(taken.get(1..).unwrap_or(&[]))
            .filter(|&(&a, &b)| a == b'\r' && b == b'\n')
            .count();
    }
    *last_cr = last == b'\r';
    (lf + cr - pairs) as u64
}

pub(crate) fn has_line_break(field: &[u8]) -> bool {
    field.iter().any(|&b| b == b'\n' || b == b'\r')
}

fn read_table(
    reader: impl Read,
    file: &str,
    options: &LoadOptions,
    table: Table,
    ingest: &mut Ingest<'_>,
) -> Result<()> {
    let (accepted, required) = table.columns();
    let expected_header = required
        .iter()
        .map(|c| options.column_map.source_name(*c))
        .collect::<Vec<_>>()
        .join(", ");
    let io = |source: std::io::Error| Error::Io {
        path: file.to_string(),
        source,
    };
    let mut rdr = RecordReader::new(reader, options.delimiter);
    rdr.skip_bom().map_err(io)?;
    let mut rec = Record::with_capacity(1024, 32);
    // header
    match rdr.next(&mut rec).map_err(io)? {
        Next::End => {
            return Err(Error::EmptyFile {
                file: file.to_string(),
                expected: expected_header,
            });
        }
        Next::Unterminated(line) => {
            return Err(Error::MalformedCsv {
                file: file.to_string(),
                line,
                reason: "a quoted field opened on this line is never closed (unterminated quote)"
                    .into(),
            });
        }
        Next::Record(..) => {}
    }
    let mut header = Vec::with_capacity(rec.len());
    for (i, field) in rec.iter().enumerate() {
        let text = std::str::from_utf8(field).map_err(|e| Error::InvalidUtf8 {
            at: Box::new(Location::new(file, 1, format!("#{}", i + 1))),
            byte_offset: e.valid_up_to() as u64,
        })?;
        header.push(text.to_string());
    }
    if header.len() == 1 {
        let h = &header[0];
        if h.trim().is_empty() {
            return Err(Error::EmptyFile {
                file: file.to_string(),
                expected: expected_header,
            });
        }
        if let Some(found) = [',', ';', '\t', '|']
            .into_iter()
            .find(|c| *c != char::from(options.delimiter) && h.contains(*c))
        {
            return Err(Error::WrongDelimiter {
                file: file.to_string(),
                header: h.clone(),
                found,
                expected: char::from(options.delimiter),
            });
        }
    }
    let keep_extra = !matches!(table, Table::Events);
    let layout = HeaderLayout::resolve(
        file,
        &header,
        &options.column_map,
        accepted,
        required,
        keep_extra,
    )?;
    match table {
        Table::Assessments => ingest.set_ignored_columns(layout.ignored.clone()),
        Table::Patients => ingest.report_mut().ignored_patient_columns = layout.ignored.clone(),
        Table::Events => ingest.report_mut().ignored_event_columns = layout.ignored.clone(),
    }
    let width = header.len();
    let mut rows = 0u64;
    loop {
        let (line, byte) = match rdr.next(&mut rec).map_err(io)? {
            Next::Record(line, byte) => (line, byte),
            Next::End => break,
            Next::Unterminated(line) => {
                return Err(Error::MalformedCsv {
                    file: file.to_string(),
                    line,
                    reason:
                        "a quoted field opened on this line is never closed (unterminated quote)"
                            .into(),
                });
            }
        };
        if rec.len() != width {
            if rec.iter().any(has_line_break) {
                return Err(Error::MalformedCsv {
                    file: file.to_string(),
                    line,
                    reason: format!(
                        "a quoted field spans several lines and the record has {} fields instead of {width} (unbalanced quotes?)",
                        rec.len()
                    ),
                });
            }
            return Err(Error::FieldCount {
                file: file.to_string(),
                line,
                expected: width as u64,
                found: rec.len() as u64,
            });
        }
        rows += 1;
        let row = RawRow {
            fields: &rec,
            line,
            byte,
        };
        match table {
            Table::Assessments => ingest.push_assessment(file, &layout, &row)?,
            Table::Patients => ingest.push_patient(file, &layout, &row)?,
            Table::Events => ingest.push_event(file, &layout, &row)?,
        }
    }
    if rows == 0 && matches!(table, Table::Assessments) {
        return Err(Error::HeaderOnly {
            file: file.to_string(),
        });
    }
    Ok(())
}

/// Column order of written assessments files.
const WRITE_COLUMNS: [Column; 17] = ASSESSMENT_COLUMNS;

/// A missing value as an empty field, a present one in its display form.
pub(crate) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// How many of the patient-level fields of [`patient_cells`] to write: all of them when a
/// patient records an arm, else all but the `arm` column (the last), so that files of cohorts
/// without recorded arms keep the layout they were read with.
pub(crate) fn patient_field_count(patients: &[crate::domain::Patient]) -> usize {
    let all = PATIENT_COLUMNS.len() - 1;
    if patients.iter().any(|p| p.arm.is_some()) {
        all
    } else {
        all - 1
    }
}

/// Writes `patients` in the patients-file layout: `patient_id`, the patient-level contract
/// columns (the `arm` column only when recorded), then the user's own columns.
pub(crate) fn write_patient_records<W: Write>(
    patients: &[crate::domain::Patient],
    w: &mut csv::Writer<W>,
) -> Result<()> {
    let boxed = |e: csv::Error| Error::CsvWrite(Box::new(e));
    let fields = patient_field_count(patients);
    let extra = extra_column_names(patients);
    let header = PATIENT_COLUMNS[..=fields]
        .iter()
        .map(|c| c.name().to_string())
        .chain(extra.clone());
    w.write_record(header).map_err(boxed)?;
    for patient in patients {
        let mut rec = vec![patient.id.to_string()];
        rec.extend(patient_cells(patient).into_iter().take(fields));
        rec.extend(extra_cells(patient, &extra));
        w.write_record(&rec).map_err(boxed)?;
    }
    Ok(())
}

/// The names of the user's own columns of `patients` (covariates and factors), sorted.
pub(crate) fn extra_column_names(patients: &[crate::domain::Patient]) -> Vec<String> {
    let mut names: Vec<String> = patients
        .iter()
        .flat_map(|p| p.covariates.keys().chain(p.factors.keys()))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A patient's values of the user's own columns `names` (empty where not recorded).
pub(crate) fn extra_cells(p: &crate::domain::Patient, names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|n| match (p.covariates.get(n), p.factors.get(n)) {
            (Some(x), _) => x.to_string(),
            (None, Some(s)) => s.clone(),
            (None, None) => String::new(),
        })
        .collect()
}

/// The patient-level fields of a patient, in [`PATIENT_COLUMNS`] order after `patient_id`.
pub(crate) fn patient_cells(p: &crate::domain::Patient) -> [String; 12] {
    let cells = p.cells.unwrap_or_default();
    [
        p.therapy.to_string(),
        opt(p.condition),
        opt(cells.source),
        opt(cells.origin),
        opt(cells.dose.map(|d| d.million_cells())),
        opt(p.guidance),
        opt(p.age),
        opt(p.sex),
        opt(p.bmi),
        opt(p.severity),
        p.site.clone().unwrap_or_default(),
        p.arm.clone().unwrap_or_default(),
    ]
}

/// One events-file record, in [`EVENT_COLUMNS`] order.
pub(crate) fn event_record(e: &crate::domain::ClinicalEvent) -> [String; 5] {
    [
        e.patient_id.to_string(),
        e.kind.to_string(),
        e.day.to_string(),
        e.detail.clone().unwrap_or_default(),
        opt(e.grade),
    ]
}

impl Cohort {
    /// Writes the assessments in the contract layout, patient-level columns repeated on every
    /// row. Numbers are written in their shortest exact form, so reading the output back gives
    /// the same cohort.
    ///
    /// Patients without assessment rows are not in this file; write them with
    /// [`write_patients_csv`](Self::write_patients_csv).
    ///
    /// # Errors
    ///
    /// [`Error::CsvWrite`] when the writer fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::read_csv_str;
    /// let csv = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\nP1,prp,90,nrs,\n";
    /// let cohort = read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let mut out = Vec::new();
    /// cohort.write_csv(&mut out)?;
    /// let again = read_csv_str(std::str::from_utf8(&out).unwrap(), "out.csv", &Default::default())?.cohort;
    /// assert_eq!(cohort, again);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn write_csv(&self, writer: impl Write) -> Result<()> {
        let mut w = csv::WriterBuilder::new().from_writer(writer);
        let boxed = |e: csv::Error| Error::CsvWrite(Box::new(e));
        let fields = patient_field_count(&self.patients);
        let columns = &WRITE_COLUMNS[..WRITE_COLUMNS.len() - (PATIENT_COLUMNS.len() - 1 - fields)];
        let extra = extra_column_names(&self.patients);
        let header = columns
            .iter()
            .map(|c| c.name().to_string())
            .chain(extra.clone());
        w.write_record(header).map_err(boxed)?;
        let mut rec: Vec<String> = vec![String::new(); columns.len()];
        for (p, patient) in self.patients.iter().enumerate() {
            let pc = patient_cells(patient);
            for r in self.patient_rows(p) {
                rec[0] = patient.id.to_string();
                rec[1].clone_from(&pc[0]);
                rec[2] = self.days.get(r).map(|d| d.to_string()).unwrap_or_default();
                rec[3] = self.visit_label(r).unwrap_or("").to_string();
                rec[4] = self
                    .instrument_of
                    .get(r)
                    .and_then(|&i| self.instruments.get(usize::from(i)))
                    .map(|i| i.code.clone())
                    .unwrap_or_default();
                rec[5] = opt(self.scores.get(r).copied().flatten());
                for k in 1..fields {
                    rec[5 + k].clone_from(&pc[k]);
                }
                rec.truncate(columns.len());
                rec.extend(extra_cells(patient, &extra));
                w.write_record(&rec).map_err(boxed)?;
            }
        }
        w.flush().map_err(|e| Error::CsvWrite(Box::new(e.into())))?;
        Ok(())
    }

    /// Writes one row per patient with the patient-level columns.
    ///
    /// # Errors
    ///
    /// [`Error::CsvWrite`] when the writer fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "patient_id,therapy,day,instrument,score,age\nP1,prp,0,nrs,7,61\n";
    /// let cohort = pain_outcomes::data::read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let mut out = Vec::new();
    /// cohort.write_patients_csv(&mut out)?;
    /// assert!(String::from_utf8(out).unwrap().contains("P1,prp,,,,,,61"));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn write_patients_csv(&self, writer: impl Write) -> Result<()> {
        let mut w = csv::WriterBuilder::new().from_writer(writer);
        write_patient_records(&self.patients, &mut w)?;
        w.flush().map_err(|e| Error::CsvWrite(Box::new(e.into())))?;
        Ok(())
    }

    /// Writes the clinical events (`patient_id, event, day, detail, grade`).
    ///
    /// # Errors
    ///
    /// [`Error::CsvWrite`] when the writer fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\n";
    /// let e = "patient_id,event,day,detail,grade\nP1,surgery,200,TKA,\n";
    /// let c = pain_outcomes::data::read_csv_texts(a, None, Some(e), &Default::default())?.cohort;
    /// let mut out = Vec::new();
    /// c.write_events_csv(&mut out)?;
    /// assert!(String::from_utf8(out).unwrap().contains("P1,surgery,200,TKA,"));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn write_events_csv(&self, writer: impl Write) -> Result<()> {
        let mut w = csv::WriterBuilder::new().from_writer(writer);
        let boxed = |e: csv::Error| Error::CsvWrite(Box::new(e));
        w.write_record(EVENT_COLUMNS.iter().map(|c| c.name()))
            .map_err(boxed)?;
        for e in &self.events {
            w.write_record(event_record(e)).map_err(boxed)?;
        }
        w.flush().map_err(|e| Error::CsvWrite(Box::new(e.into())))?;
        Ok(())
    }
}
