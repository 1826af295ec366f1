//! polars `DataFrame` in and out (the thin adapter: no other module touches polars).

use super::cohort::Cohort;
use super::columns::{Column, HeaderLayout};
use super::ingest::{ASSESSMENT_COLUMNS, ASSESSMENT_REQUIRED, Ingest, RawRow, Record};
use super::options::{LoadOptions, Loaded};
use crate::error::{Error, Result};
use polars::prelude::{Column as PlColumn, DataFrame, DataType};

const SOURCE: &str = "<DataFrame>";

/// Reads a cohort from a long-format polars `DataFrame` with the contract columns (or the names
/// given by the options' column map).
///
/// Columns may have any type that casts to text (strings, integers, floats). Error locations
/// name `<DataFrame>` and `line` = row index + 2 (as if the frame were a CSV with a header).
///
/// # Errors
///
/// The same errors as the CSV reader, plus [`Error::Polars`] when a column cannot be cast.
///
/// # Examples
///
/// ```
/// use pain_outcomes::polars::prelude::*;
/// let df = df!(
///     "patient_id" => ["P1", "P1"],
///     "therapy" => ["prp", "prp"],
///     "day" => [0i64, 90],
///     "instrument" => ["nrs", "nrs"],
///     "score" => [Some(7.0), None],
/// )?;
/// let loaded = pain_outcomes::data::from_dataframe(&df, &Default::default())?;
/// assert_eq!(loaded.report.missed_assessments, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_dataframe(df: &DataFrame, options: &LoadOptions) -> Result<Loaded> {
    let header: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let layout = HeaderLayout::resolve(
        SOURCE,
        &header,
        &options.column_map,
        &ASSESSMENT_COLUMNS,
        &ASSESSMENT_REQUIRED,
        true,
    )?;
    if df.height() == 0 {
        return Err(Error::HeaderOnly {
            file: SOURCE.to_string(),
        });
    }
    // cast every used column to text once
    let mut texts: Vec<Option<PlColumn>> = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let used = ASSESSMENT_COLUMNS.iter().any(|c| layout.pos(*c) == Some(i))
            || layout.extra.iter().any(|(p, _)| *p == i);
        texts.push(if used {
            Some(df.column(name)?.cast(&DataType::String)?)
        } else {
            None
        });
    }
    let mut chunked = Vec::with_capacity(texts.len());
    for t in &texts {
        chunked.push(match t {
            Some(c) => Some(c.str()?),
            None => None,
        });
    }
    let mut iters: Vec<Box<dyn Iterator<Item = Option<&str>>>> = chunked
        .iter()
        .map(|c| match c {
            Some(ca) => Box::new(ca.iter()) as Box<dyn Iterator<Item = Option<&str>>>,
            None => Box::new(std::iter::repeat(None)),
        })
        .collect();
    let mut ingest = Ingest::new(options, SOURCE);
    ingest.set_ignored_columns(layout.ignored.clone());
    ingest.reserve(df.height());
    let mut rec = Record::with_capacity(256, texts.len());
    for row in 0..df.height() {
        rec.clear();
        for it in iters.iter_mut() {
            rec.push_field(it.next().flatten().unwrap_or("").as_bytes());
        }
        let raw = RawRow {
            fields: &rec,
            line: row as u64 + 2,
            byte: 0,
        };
        ingest.push_assessment(SOURCE, &layout, &raw)?;
    }
    ingest.finish(SOURCE)
}

impl Cohort {
    /// The assessments as a long-format polars `DataFrame` with the contract columns,
    /// patient-level columns repeated on every row (`day` and `severity` as Int64, numbers as
    /// Float64, categories as String; missing values are nulls).
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] if polars rejects the frame.
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\nP1,prp,90,nrs,3\n";
    /// let cohort = pain_outcomes::data::read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let df = cohort.to_dataframe()?;
    /// assert_eq!(df.height(), 2);
    /// let back = pain_outcomes::data::from_dataframe(&df, &Default::default())?.cohort;
    /// assert_eq!(back, cohort);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn to_dataframe(&self) -> Result<DataFrame> {
        let n = self.n_assessments();
        let mut pid = Vec::with_capacity(n);
        let mut therapy = Vec::with_capacity(n);
        let mut visit = Vec::with_capacity(n);
        let mut instrument = Vec::with_capacity(n);
        let mut condition = Vec::with_capacity(n);
        let mut source = Vec::with_capacity(n);
        let mut origin = Vec::with_capacity(n);
        let mut dose = Vec::with_capacity(n);
        let mut guidance = Vec::with_capacity(n);
        let mut age = Vec::with_capacity(n);
        let mut sex = Vec::with_capacity(n);
        let mut bmi = Vec::with_capacity(n);
        let mut severity = Vec::with_capacity(n);
        let mut site = Vec::with_capacity(n);
        let mut arm = Vec::with_capacity(n);
        for (p, patient) in self.patients.iter().enumerate() {
            let cells = patient.cells.unwrap_or_default();
            for r in self.patient_rows(p) {
                pid.push(patient.id.to_string());
                therapy.push(patient.therapy.to_string());
                visit.push(self.visit_label(r).map(str::to_string));
                instrument.push(
                    self.instrument_of
                        .get(r)
                        .and_then(|&i| self.instruments.get(usize::from(i)))
                        .map(|i| i.code.clone())
                        .unwrap_or_default(),
                );
                condition.push(patient.condition.map(|c| c.to_string()));
                source.push(cells.source.map(|c| c.to_string()));
                origin.push(cells.origin.map(|c| c.to_string()));
                dose.push(cells.dose.map(|d| d.million_cells()));
                guidance.push(patient.guidance.map(|g| g.to_string()));
                age.push(patient.age);
                sex.push(patient.sex.map(|s| s.to_string()));
                bmi.push(patient.bmi);
                severity.push(patient.severity.map(i64::from));
                site.push(patient.site.clone());
                arm.push(patient.arm.clone());
            }
        }
        let day: Vec<i64> = self.days.iter().map(|&d| i64::from(d)).collect();
        let name = |c: Column| c.name().into();
        let mut columns = vec![
            PlColumn::new(name(Column::PatientId), pid),
            PlColumn::new(name(Column::Therapy), therapy),
            PlColumn::new(name(Column::Day), day),
            PlColumn::new(name(Column::Visit), visit),
            PlColumn::new(name(Column::Instrument), instrument),
            PlColumn::new(name(Column::Score), self.scores.clone()),
            PlColumn::new(name(Column::Condition), condition),
            PlColumn::new(name(Column::CellSource), source),
            PlColumn::new(name(Column::CellOrigin), origin),
            PlColumn::new(name(Column::CellDoseMillion), dose),
            PlColumn::new(name(Column::Guidance), guidance),
            PlColumn::new(name(Column::Age), age),
            PlColumn::new(name(Column::Sex), sex),
            PlColumn::new(name(Column::Bmi), bmi),
            PlColumn::new(name(Column::Severity), severity),
            PlColumn::new(name(Column::Site), site),
        ];
        // the arm column only when recorded, as the CSV writers do
        if self.patients.iter().any(|p| p.arm.is_some()) {
            columns.push(PlColumn::new(name(Column::Arm), arm));
        }
        // the user's own columns: covariates as numbers, factors as text
        for extra in super::csv_io::extra_column_names(&self.patients) {
            let numeric = self
                .patients
                .iter()
                .any(|p| p.covariates.contains_key(&extra));
            let rows = self
                .patients
                .iter()
                .enumerate()
                .flat_map(|(p, patient)| self.patient_rows(p).map(move |_| patient));
            let column = if numeric {
                let values: Vec<Option<f64>> =
                    rows.map(|p| p.covariates.get(&extra).copied()).collect();
                PlColumn::new(extra.as_str().into(), values)
            } else {
                let values: Vec<Option<String>> =
                    rows.map(|p| p.factors.get(&extra).cloned()).collect();
                PlColumn::new(extra.as_str().into(), values)
            };
            columns.push(column);
        }
        Ok(DataFrame::new(n, columns)?)
    }
}

/// Reads a cohort from a polars `LazyFrame` (collects it, then validates as
/// [`from_dataframe`]). Needs the `lazy` feature.
///
/// # Errors
///
/// As [`from_dataframe`], plus [`Error::Polars`] when the query fails.
///
/// # Examples
///
/// ```
/// use pain_outcomes::polars::prelude::*;
/// let df = df!("patient_id" => ["P1"], "therapy" => ["prp"], "day" => [0i64],
///              "instrument" => ["nrs"], "score" => [7.0])?;
/// let loaded = pain_outcomes::data::from_lazyframe(df.lazy(), &Default::default())?;
/// assert_eq!(loaded.cohort.n_patients(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "lazy")]
pub fn from_lazyframe(frame: polars::prelude::LazyFrame, options: &LoadOptions) -> Result<Loaded> {
    from_dataframe(&frame.collect()?, options)
}

/// Reads a cohort from a Parquet file with the contract columns. Needs the `parquet` feature.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened, [`Error::Polars`] when it is not Parquet, and
/// the validation errors of [`from_dataframe`] (locations name `<DataFrame>`, line = row + 2).
///
/// # Examples
///
/// ```no_run
/// let loaded = pain_outcomes::data::read_parquet("trial.parquet", &Default::default())?;
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[cfg(feature = "parquet")]
pub fn read_parquet(path: impl AsRef<std::path::Path>, options: &LoadOptions) -> Result<Loaded> {
    use polars::prelude::SerReader;
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let df = polars::prelude::ParquetReader::new(file).finish()?;
    from_dataframe(&df, options)
}

#[cfg(feature = "lazy")]
impl Cohort {
    /// The assessments as a polars `LazyFrame` (see [`Cohort::to_dataframe`]). Needs the `lazy`
    /// feature.
    ///
    /// # Errors
    ///
    /// As [`Cohort::to_dataframe`].
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\n";
    /// let cohort = pain_outcomes::data::read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let lf = cohort.to_lazyframe()?;
    /// assert_eq!(lf.collect()?.height(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_lazyframe(&self) -> Result<polars::prelude::LazyFrame> {
        use polars::prelude::IntoLazy;
        Ok(self.to_dataframe()?.lazy())
    }
}

#[cfg(feature = "parquet")]
impl Cohort {
    /// Writes the assessments to a Parquet file (the frame of [`Cohort::to_dataframe`]). Needs
    /// the `parquet` feature.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be created, [`Error::Polars`] when writing fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let csv = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\n";
    /// let cohort = pain_outcomes::data::read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
    /// let path = std::env::temp_dir().join("pain_outcomes_doc.parquet");
    /// cohort.write_parquet(&path)?;
    /// let back = pain_outcomes::data::read_parquet(&path, &Default::default())?.cohort;
    /// assert_eq!(back, cohort);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn write_parquet(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let file = std::fs::File::create(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut df = self.to_dataframe()?;
        polars::prelude::ParquetWriter::new(file).finish(&mut df)?;
        Ok(())
    }
}
