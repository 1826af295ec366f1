//! Tidy tables of results — one row per estimate, named columns of numbers or text — and their
//! polars `DataFrame` and CSV forms. The analyses' results become tidy tables in
//! [`report`](crate::report) ([`Tidy`](crate::report::Tidy)); this module holds the table and
//! everything that touches polars.

use std::io::Write;

use polars::prelude::{Column as PlColumn, DataFrame};

use crate::error::{Error, Result};

/// The values of one column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TidyValues {
    /// Numbers (missing where not estimated).
    Number(Vec<Option<f64>>),
    /// Text (missing where not applicable).
    Text(Vec<Option<String>>),
}

impl TidyValues {
    fn len(&self) -> usize {
        match self {
            TidyValues::Number(v) => v.len(),
            TidyValues::Text(v) => v.len(),
        }
    }
}

/// A named column of a tidy table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TidyColumn {
    /// Column name (stable: part of the table's contract).
    pub name: String,
    /// The values, one per row.
    pub values: TidyValues,
}

/// A tidy table: equal-length named columns, one row per estimate.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{TidyColumn, TidyTable, TidyValues};
/// let t = TidyTable::new(vec![
///     TidyColumn { name: "arm".into(), values: TidyValues::Text(vec![Some("prp".into())]) },
///     TidyColumn { name: "estimate".into(), values: TidyValues::Number(vec![Some(-1.5)]) },
/// ])?;
/// assert_eq!(t.n_rows(), 1);
/// let df = t.to_dataframe()?;
/// assert_eq!(df.shape(), (1, 2));
/// let mut csv = Vec::new();
/// t.write_csv(&mut csv)?;
/// assert_eq!(String::from_utf8(csv).unwrap(), "arm,estimate\nprp,-1.5\n");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TidyTable {
    columns: Vec<TidyColumn>,
}

impl TidyTable {
    /// A table of `columns`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the columns differ in length or a name repeats.
    pub fn new(columns: Vec<TidyColumn>) -> Result<Self> {
        let n = columns.first().map_or(0, |c| c.values.len());
        for (i, c) in columns.iter().enumerate() {
            if c.values.len() != n {
                return Err(Error::invalid_argument(
                    "columns",
                    format!(
                        "`{}` has {} rows, the first column {n}",
                        c.name,
                        c.values.len()
                    ),
                ));
            }
            if columns[..i].iter().any(|d| d.name == c.name) {
                return Err(Error::invalid_argument(
                    "columns",
                    format!("`{}` appears twice", c.name),
                ));
            }
        }
        Ok(TidyTable { columns })
    }

    /// The columns.
    pub fn columns(&self) -> &[TidyColumn] {
        &self.columns
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&TidyColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The table as a polars `DataFrame` (numbers as `f64`, text as strings, missing as null).
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] when polars refuses the frame.
    pub fn to_dataframe(&self) -> Result<DataFrame> {
        let columns: Vec<PlColumn> = self
            .columns
            .iter()
            .map(|c| match &c.values {
                TidyValues::Number(v) => PlColumn::new(c.name.as_str().into(), v),
                TidyValues::Text(v) => PlColumn::new(c.name.as_str().into(), v),
            })
            .collect();
        Ok(DataFrame::new(self.n_rows(), columns)?)
    }

    /// Writes the table as CSV (header, then one line per row; missing values empty; numbers
    /// in their shortest exact form).
    ///
    /// # Errors
    ///
    /// [`Error::CsvWrite`] when the writer fails.
    pub fn write_csv(&self, writer: impl Write) -> Result<()> {
        let mut w = csv::Writer::from_writer(writer);
        let boxed = |e: csv::Error| Error::CsvWrite(Box::new(e));
        w.write_record(self.columns.iter().map(|c| c.name.as_str()))
            .map_err(boxed)?;
        for r in 0..self.n_rows() {
            let record = self.columns.iter().map(|c| match &c.values {
                TidyValues::Number(v) => v[r].map(|x| x.to_string()).unwrap_or_default(),
                TidyValues::Text(v) => v[r].clone().unwrap_or_default(),
            });
            w.write_record(record).map_err(boxed)?;
        }
        w.flush().map_err(|e| Error::CsvWrite(Box::new(e.into())))?;
        Ok(())
    }
}
