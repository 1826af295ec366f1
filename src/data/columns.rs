//! Contract columns and the column map for files with other column names.

use std::collections::BTreeMap;

/// A column of the data contract.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::Column;
/// assert_eq!(Column::PatientId.name(), "patient_id");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Column {
    /// `patient_id` (required).
    PatientId,
    /// `therapy` (required in the assessments file).
    Therapy,
    /// `day` (required).
    Day,
    /// `visit` (optional; derived from `day` when absent).
    Visit,
    /// `instrument` (required).
    Instrument,
    /// `score` (required; empty = missed assessment).
    Score,
    /// `condition`.
    Condition,
    /// `cell_source`.
    CellSource,
    /// `cell_origin`.
    CellOrigin,
    /// `cell_dose_million`.
    CellDoseMillion,
    /// `guidance`.
    Guidance,
    /// `age`.
    Age,
    /// `sex`.
    Sex,
    /// `bmi`.
    Bmi,
    /// `severity`.
    Severity,
    /// `site`.
    Site,
    /// `arm`: the randomised or assigned group label; defines the arms when present.
    Arm,
    /// `event` (events file).
    Event,
    /// `detail` (events file).
    Detail,
    /// `grade` (events file).
    Grade,
}

impl Column {
    /// Every contract column.
    pub const ALL: [Column; 20] = [
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
        Column::Event,
        Column::Detail,
        Column::Grade,
    ];

    /// Patient-level columns (may repeat on every row, or live in a patients file).
    pub const PATIENT_LEVEL: [Column; 12] = patient_level(&Column::ALL);

    /// The canonical column name.
    pub fn name(self) -> &'static str {
        match self {
            Column::PatientId => "patient_id",
            Column::Therapy => "therapy",
            Column::Day => "day",
            Column::Visit => "visit",
            Column::Instrument => "instrument",
            Column::Score => "score",
            Column::Condition => "condition",
            Column::CellSource => "cell_source",
            Column::CellOrigin => "cell_origin",
            Column::CellDoseMillion => "cell_dose_million",
            Column::Guidance => "guidance",
            Column::Age => "age",
            Column::Sex => "sex",
            Column::Bmi => "bmi",
            Column::Severity => "severity",
            Column::Site => "site",
            Column::Arm => "arm",
            Column::Event => "event",
            Column::Detail => "detail",
            Column::Grade => "grade",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The therapy and the columns from `condition` to `arm` of [`Column::ALL`] (the contract lists
/// the assessment-level columns `day` to `score` between them).
const fn patient_level(all: &[Column]) -> [Column; 12] {
    let mut out = [Column::Therapy; 12];
    let mut i = 1;
    while i < 12 {
        out[i] = all[i + 5];
        i += 1;
    }
    out
}

/// Maps file column names to contract columns, for files whose columns have other names.
///
/// Names are matched case-insensitively after trimming. A contract column without an entry is
/// looked up under its canonical name.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{Column, ColumnMap};
/// let map = ColumnMap::new().with(Column::PatientId, "subject").with(Column::Score, "pain");
/// assert_eq!(map.source_name(Column::PatientId), "subject");
/// assert_eq!(map.source_name(Column::Day), "day");
///
/// let adam = ColumnMap::adam();
/// assert_eq!(adam.source_name(Column::Therapy), "TRT01A");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    names: BTreeMap<Column, String>,
}

impl ColumnMap {
    /// The identity map (canonical names).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads contract column `column` from the file column named `source`.
    pub fn with(mut self, column: Column, source: impl Into<String>) -> Self {
        self.names.insert(column, source.into());
        self
    }

    /// The map for CDISC ADaM BDS datasets: `USUBJID`→`patient_id`, `TRT01A`→`therapy`,
    /// `ADY`→`day`, `AVISIT`→`visit`, `PARAMCD`→`instrument`, `AVAL`→`score`, `AGE`, `SEX`,
    /// `SITEID`→`site`, `BMIBL`→`bmi`, `TRT01P`→`arm` (the planned, randomised arm).
    ///
    /// ADaM analysis days have no day 0 (day 1 is the first treatment day); the crate reads `ADY`
    /// as given, so baseline is `ADY <= 0` only when the sponsor derived it that way — check the
    /// visit labels after loading. `TRT01A` and `PARAMCD` values must be the contract's codes
    /// (matched case-insensitively).
    pub fn adam() -> Self {
        Self::new()
            .with(Column::PatientId, "USUBJID")
            .with(Column::Therapy, "TRT01A")
            .with(Column::Day, "ADY")
            .with(Column::Visit, "AVISIT")
            .with(Column::Instrument, "PARAMCD")
            .with(Column::Score, "AVAL")
            .with(Column::Age, "AGE")
            .with(Column::Sex, "SEX")
            .with(Column::Site, "SITEID")
            .with(Column::Bmi, "BMIBL")
            .with(Column::Arm, "TRT01P")
    }

    /// The file column name read for `column`.
    pub fn source_name(&self, column: Column) -> &str {
        self.names
            .get(&column)
            .map(String::as_str)
            .unwrap_or_else(|| column.name())
    }
}

/// Which header cell holds each contract column, which hold the user's own patient-level
/// columns (kept), and which are ignored.
#[derive(Debug, Clone)]
pub(crate) struct HeaderLayout {
    pub positions: [Option<usize>; 20],
    pub names: Vec<String>,
    pub ignored: Vec<String>,
    /// `(position, name)` of the header cells kept as the user's own columns.
    pub extra: Vec<(usize, String)>,
}

impl HeaderLayout {
    pub fn pos(&self, c: Column) -> Option<usize> {
        self.positions[c.index()]
    }

    /// The header cell name for `c` as written in the file.
    pub fn header_name(&self, c: Column) -> &str {
        self.pos(c)
            .and_then(|p| self.names.get(p))
            .map(String::as_str)
            .unwrap_or_else(|| c.name())
    }

    /// Resolves a header. `accepted` lists the contract columns this file may carry; other
    /// header cells are kept as the user's own columns when `keep_extra`, else ignored (and
    /// reported either way).
    pub fn resolve(
        file: &str,
        header: &[String],
        map: &ColumnMap,
        accepted: &[Column],
        required: &[Column],
        keep_extra: bool,
    ) -> crate::Result<Self> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let mut positions = [None; 20];
        let mut ignored = Vec::new();
        let mut extra = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let hit = accepted
                .iter()
                .copied()
                .find(|c| map.source_name(*c).trim().eq_ignore_ascii_case(name));
            match hit {
                Some(c) => {
                    if positions[c.index()].is_some() {
                        return Err(crate::Error::DuplicateColumn {
                            file: file.to_string(),
                            name: name.clone(),
                        });
                    }
                    positions[c.index()] = Some(i);
                }
                None if keep_extra && !name.is_empty() => {
                    if extra.iter().any(|(_, n): &(usize, String)| n == name) {
                        return Err(crate::Error::DuplicateColumn {
                            file: file.to_string(),
                            name: name.clone(),
                        });
                    }
                    extra.push((i, name.clone()));
                }
                None => ignored.push(name.clone()),
            }
        }
        for c in required {
            if positions[c.index()].is_none() {
                return Err(crate::Error::MissingColumn {
                    file: file.to_string(),
                    name: map.source_name(*c).to_string(),
                    found: names.join(", "),
                });
            }
        }
        Ok(HeaderLayout {
            positions,
            names,
            ignored,
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Column;

    #[test]
    fn patient_level_columns_are_therapy_and_condition_to_arm() {
        assert_eq!(Column::PATIENT_LEVEL[0], Column::Therapy);
        assert_eq!(Column::PATIENT_LEVEL[1], Column::Condition);
        assert_eq!(Column::PATIENT_LEVEL[11], Column::Arm);
        let assessment = &crate::data::ingest::ASSESSMENT_COLUMNS;
        assert_eq!(assessment[16], Column::Arm);
        assert_eq!(crate::data::ingest::PATIENT_COLUMNS[12], Column::Arm);
    }
}
