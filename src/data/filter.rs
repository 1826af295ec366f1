//! Subsets of patients by their patient-level attributes: `severity=4`, `age>=60`,
//! `sex=female`, `site=site_01`, … — typed, and parsed from the examples' `--where` flag.

use std::fmt;
use std::str::FromStr;

use crate::domain::{CellOrigin, CellSource, Condition, Guidance, Patient, Sex, Therapy};
use crate::error::{Error, Result};

/// A patient-level attribute a filter can test.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// Age in years (numeric).
    Age,
    /// Body-mass index (numeric).
    Bmi,
    /// Severity grade (numeric).
    Severity,
    /// Sex (`female`, `male`).
    Sex,
    /// Site (free text).
    Site,
    /// Condition (`knee_oa`, …).
    Condition,
    /// Cell source (`bone_marrow`, `adipose`, …).
    CellSource,
    /// Cell origin (`autologous`, `allogeneic`).
    CellOrigin,
    /// Injection guidance (`ultrasound`, `fluoroscopy`, `landmark`).
    Guidance,
    /// Therapy (`stem_cell+prp`, …; any order of components).
    Therapy,
    /// Recorded arm (free text).
    Arm,
    /// One of the user's own columns (a covariate or a factor), by name.
    Column(String),
}

impl Attribute {
    /// Every contract attribute, in the order of [`Attribute::name`]s listed in errors.
    pub const ALL: [Attribute; 11] = [
        Attribute::Age,
        Attribute::Bmi,
        Attribute::Severity,
        Attribute::Sex,
        Attribute::Site,
        Attribute::Condition,
        Attribute::CellSource,
        Attribute::CellOrigin,
        Attribute::Guidance,
        Attribute::Therapy,
        Attribute::Arm,
    ];

    /// The attribute's name, as the column (`age`, `cell_source`, …, or the user's column).
    pub fn name(&self) -> &str {
        match self {
            Attribute::Age => "age",
            Attribute::Bmi => "bmi",
            Attribute::Severity => "severity",
            Attribute::Sex => "sex",
            Attribute::Site => "site",
            Attribute::Condition => "condition",
            Attribute::CellSource => "cell_source",
            Attribute::CellOrigin => "cell_origin",
            Attribute::Guidance => "guidance",
            Attribute::Therapy => "therapy",
            Attribute::Arm => "arm",
            Attribute::Column(name) => name,
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Attribute::Age | Attribute::Bmi | Attribute::Severity)
    }

    /// Whether the attribute is a number among `patients` (age, BMI, severity, or a user's
    /// column kept as numeric).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::Attribute;
    /// assert!(Attribute::Age.is_numeric_in(&[]));
    /// assert!(!Attribute::Sex.is_numeric_in(&[]));
    /// ```
    pub fn is_numeric_in(&self, patients: &[Patient]) -> bool {
        match self {
            Attribute::Column(name) => patients.iter().any(|p| p.covariates.contains_key(name)),
            a => a.is_numeric(),
        }
    }

    /// The patient's value as a number (`None` when missing or not numeric).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::Attribute;
    /// use pain_outcomes::domain::{Patient, PatientId};
    /// let mut p = Patient::new(PatientId::new("P1").unwrap(), "prp".parse().unwrap());
    /// p.age = Some(61.0);
    /// assert_eq!(Attribute::Age.number(&p), Some(61.0));
    /// assert_eq!(Attribute::Sex.number(&p), None);
    /// ```
    pub fn number(&self, p: &Patient) -> Option<f64> {
        match self.value(p)? {
            Value::Number(x) => Some(x),
            Value::Text(_) => None,
        }
    }

    /// The patient's value as a label (numbers as written, e.g. severity `4`; categories in
    /// their canonical spelling; `None` when missing).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::data::Attribute;
    /// use pain_outcomes::domain::{Patient, PatientId};
    /// let mut p = Patient::new(PatientId::new("P1").unwrap(), "prp".parse().unwrap());
    /// p.severity = Some(3);
    /// assert_eq!(Attribute::Severity.label(&p).as_deref(), Some("3"));
    /// ```
    pub fn label(&self, p: &Patient) -> Option<String> {
        match self.value(p)? {
            Value::Number(x) => Some(format!("{x}")),
            Value::Text(s) => Some(s),
        }
    }

    /// The patient's value: a number for numeric attributes, else the canonical text.
    fn value(&self, p: &Patient) -> Option<Value> {
        let text = |s: Option<String>| s.map(Value::Text);
        match self {
            Attribute::Age => p.age.map(Value::Number),
            Attribute::Bmi => p.bmi.map(Value::Number),
            Attribute::Severity => p.severity.map(|s| Value::Number(f64::from(s))),
            Attribute::Sex => text(p.sex.map(|x| x.to_string())),
            Attribute::Site => text(p.site.clone()),
            Attribute::Condition => text(p.condition.map(|x| x.to_string())),
            Attribute::CellSource => text(p.cells.and_then(|c| c.source).map(|x| x.to_string())),
            Attribute::CellOrigin => text(p.cells.and_then(|c| c.origin).map(|x| x.to_string())),
            Attribute::Guidance => text(p.guidance.map(|x| x.to_string())),
            Attribute::Therapy => text(Some(p.therapy.to_string())),
            Attribute::Arm => text(p.arm.clone()),
            Attribute::Column(name) => match (p.covariates.get(name), p.factors.get(name)) {
                (Some(x), _) => Some(Value::Number(*x)),
                (None, Some(s)) => Some(Value::Text(s.clone())),
                (None, None) => None,
            },
        }
    }

    /// The canonical spelling of `value` for a categorical attribute, checked against its
    /// categories (free-text attributes keep the value).
    fn canonical(&self, value: &str) -> Result<String> {
        fn parsed<T: FromStr<Err = crate::domain::ParseError> + ToString>(
            attribute: &Attribute,
            value: &str,
        ) -> Result<String> {
            value.parse::<T>().map(|v| v.to_string()).map_err(|e| {
                Error::invalid_argument(
                    "where",
                    format!(
                        "`{value}` is not a {}; expected one of: {}",
                        attribute.name(),
                        e.expected
                    ),
                )
            })
        }
        match self {
            Attribute::Sex => parsed::<Sex>(self, value),
            Attribute::Condition => parsed::<Condition>(self, value),
            Attribute::CellSource => parsed::<CellSource>(self, value),
            Attribute::CellOrigin => parsed::<CellOrigin>(self, value),
            Attribute::Guidance => parsed::<Guidance>(self, value),
            Attribute::Therapy => parsed::<Therapy>(self, value),
            _ => Ok(value.trim().to_string()),
        }
    }
}

impl FromStr for Attribute {
    type Err = Error;

    /// A contract attribute by its name (any case), else one of the user's own columns.
    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim();
        if name.is_empty() {
            return Err(Error::invalid_argument("attribute", "the name is empty"));
        }
        Ok(Attribute::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
            .unwrap_or_else(|| Attribute::Column(name.to_string())))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Number(f64),
    Text(String),
}

/// How a clause compares the patient's value with its operand.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `=` (text compared without regard to ASCII case).
    Equal,
    /// `!=`.
    NotEqual,
    /// `<` (numeric attributes only).
    Less,
    /// `<=` (numeric attributes only).
    AtMost,
    /// `>` (numeric attributes only).
    Greater,
    /// `>=` (numeric attributes only).
    AtLeast,
}

impl Operator {
    fn symbol(self) -> &'static str {
        match self {
            Operator::Equal => "=",
            Operator::NotEqual => "!=",
            Operator::Less => "<",
            Operator::AtMost => "<=",
            Operator::Greater => ">",
            Operator::AtLeast => ">=",
        }
    }
}

/// One test of a patient attribute: `age>=60`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clause {
    /// The attribute tested.
    pub attribute: Attribute,
    /// The comparison.
    pub comparison: Operator,
    /// The operand, canonical (a category's code, or the number as written).
    pub value: String,
}

impl Clause {
    /// Whether `patient` satisfies the clause; a patient without the attribute does not.
    pub fn matches(&self, patient: &Patient) -> bool {
        let Some(v) = self.attribute.value(patient) else {
            return false;
        };
        match (v, self.comparison) {
            (Value::Number(x), c) => {
                let Ok(y) = self.value.parse::<f64>() else {
                    return false;
                };
                match c {
                    Operator::Equal => x == y,
                    Operator::NotEqual => x != y,
                    Operator::Less => x < y,
                    Operator::AtMost => x <= y,
                    Operator::Greater => x > y,
                    Operator::AtLeast => x >= y,
                }
            }
            (Value::Text(s), Operator::Equal) => s.trim().eq_ignore_ascii_case(&self.value),
            (Value::Text(s), Operator::NotEqual) => !s.trim().eq_ignore_ascii_case(&self.value),
            (Value::Text(_), _) => false,
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.attribute.name(),
            self.comparison.symbol(),
            self.value
        )
    }
}

impl FromStr for Clause {
    type Err = Error;

    /// Parses `attribute<op>value` with `op` one of `>=`, `<=`, `!=`, `=`, `>`, `<`.
    fn from_str(s: &str) -> Result<Self> {
        const OPS: [(&str, Operator); 6] = [
            (">=", Operator::AtLeast),
            ("<=", Operator::AtMost),
            ("!=", Operator::NotEqual),
            ("=", Operator::Equal),
            (">", Operator::Greater),
            ("<", Operator::Less),
        ];
        let Some((at, op, comparison)) = OPS
            .iter()
            .filter_map(|(op, c)| s.find(op).map(|i| (i, *op, *c)))
            .min_by_key(|(i, op, _)| (*i, std::cmp::Reverse(op.len())))
        else {
            return Err(Error::invalid_argument(
                "where",
                format!("`{s}` has no comparison; expected e.g. severity=4, age>=60, sex=female"),
            ));
        };
        let name = s[..at].trim();
        let value = s[at + op.len()..].trim();
        if name.is_empty() {
            return Err(Error::invalid_argument(
                "where",
                format!("`{s}` has no attribute before `{op}`"),
            ));
        }
        // a contract attribute, else one of the user's own columns (checked against the
        // cohort by `PatientFilter::check`)
        let attribute = Attribute::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
            .unwrap_or_else(|| Attribute::Column(name.to_string()));
        if value.is_empty() {
            return Err(Error::invalid_argument(
                "where",
                format!("`{s}` has no value after `{op}`"),
            ));
        }
        let value = if let Attribute::Column(_) = attribute {
            // a user's column compares as a number when both sides are numbers
            value.to_string()
        } else if attribute.is_numeric() {
            match value.parse::<f64>() {
                Ok(v) if v.is_finite() => value.to_string(),
                _ => {
                    return Err(Error::invalid_argument(
                        "where",
                        format!("`{value}` is not a number for `{}`", attribute.name()),
                    ));
                }
            }
        } else if !matches!(comparison, Operator::Equal | Operator::NotEqual) {
            return Err(Error::invalid_argument(
                "where",
                format!(
                    "`{}` is not numeric: use = or != (got `{op}`)",
                    attribute.name()
                ),
            ));
        } else {
            attribute.canonical(value)?
        };
        Ok(Clause {
            attribute,
            comparison,
            value,
        })
    }
}

/// Patients whose attributes satisfy every clause (an empty filter keeps everyone).
///
/// Parsed from a comma-separated list, a comma meaning "and": `severity=4,age>=60`.
/// Categories are checked (`sex=femal` is an error listing the sexes); text attributes (site,
/// arm) compare without regard to ASCII case; a patient without the attribute is not kept.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::{PatientFilter, Selection, read_csv_str};
/// let csv = "patient_id,therapy,day,instrument,score,age,severity\n\
///            P1,prp,0,nrs,7,64,4\nP2,prp,0,nrs,6,51,4\nP3,placebo,0,nrs,6,70,2\n";
/// let cohort = read_csv_str(csv, "mem.csv", &Default::default())?.cohort;
/// let filter: PatientFilter = "severity=4, age>=60".parse()?;
/// let sub = cohort.select(&Selection::new().matching(filter.clone()));
/// assert_eq!(sub.n_patients(), 1);
/// assert_eq!(filter.to_string(), "severity=4,age>=60");
/// assert!("age>=sixty".parse::<PatientFilter>().is_err());
/// assert!(cohort.filtered(&"grade=4".parse()?).is_err()); // no such column
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PatientFilter {
    /// The clauses, all of which must hold.
    pub clauses: Vec<Clause>,
}

impl PatientFilter {
    /// Whether the filter keeps everyone.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether `patient` satisfies every clause.
    pub fn matches(&self, patient: &Patient) -> bool {
        self.clauses.iter().all(|c| c.matches(patient))
    }

    /// Checks that every user's column the filter names exists among `patients`' columns.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the column and listing the attributes and columns
    /// that exist.
    pub fn check(&self, patients: &[Patient]) -> Result<()> {
        for c in &self.clauses {
            let Attribute::Column(name) = &c.attribute else {
                continue;
            };
            let exists = patients
                .iter()
                .any(|p| p.covariates.contains_key(name) || p.factors.contains_key(name));
            if !exists {
                let mut known: Vec<String> = Attribute::ALL
                    .iter()
                    .map(|a| a.name().to_string())
                    .collect();
                known.extend(super::csv_io::extra_column_names(patients));
                return Err(Error::invalid_argument(
                    "where",
                    format!(
                        "no column `{name}` in the data; expected one of: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for PatientFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.clauses.iter().map(Clause::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for PatientFilter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let clauses = s
            .split(',')
            .filter(|c| !c.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Clause>>>()?;
        Ok(PatientFilter { clauses })
    }
}
