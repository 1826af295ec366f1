//! Patient-level covariates of the cohort-level models (MMRM, Cox): the contract's age, BMI,
//! severity, sex and site, and the user's own columns.

use crate::domain::Patient;
use crate::error::{Error, Result};
use crate::stats::formula::ModelSpec;

/// A patient-level covariate taken from [`crate::domain::Patient`].
///
/// Age, BMI and severity grade enter as continuous covariates; sex and site as factors
/// (treatment coding, reference = first level in alphabetical order). One of the user's own
/// columns enters as a covariate when it was kept as numeric, else as a factor.
///
/// Parsed from `age`, `bmi`, `severity`, `sex`, `site`, or any other name (the user's column,
/// checked when the model is fitted).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Covariate {
    /// Age in years (continuous).
    Age,
    /// Body-mass index, kg/m² (continuous).
    Bmi,
    /// Disease severity grade (continuous, one slope per grade).
    Severity,
    /// Sex (factor).
    Sex,
    /// Site (factor).
    Site,
    /// One of the user's own columns (see [`Patient::covariates`] and [`Patient::factors`]).
    Column(String),
}

impl Covariate {
    /// Name of the covariate in the model formula.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::Covariate;
    /// assert_eq!(Covariate::Bmi.name(), "bmi");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            Covariate::Age => "age",
            Covariate::Bmi => "bmi",
            Covariate::Severity => "severity",
            Covariate::Sex => "sex",
            Covariate::Site => "site",
            Covariate::Column(name) => name,
        }
    }

    /// Whether the covariate enters as a factor (for a user's column: when some patient has
    /// it as text).
    pub(crate) fn is_factor(&self, patients: &[Patient]) -> bool {
        match self {
            Covariate::Sex | Covariate::Site => true,
            Covariate::Column(name) => patients.iter().any(|p| p.factors.contains_key(name)),
            _ => false,
        }
    }

    /// The patient's value: `(number, label)`, the label for factors.
    pub(crate) fn value(&self, p: &Patient) -> Option<(f64, String)> {
        match self {
            Covariate::Age => p.age.map(|x| (x, String::new())),
            Covariate::Bmi => p.bmi.map(|x| (x, String::new())),
            Covariate::Severity => p.severity.map(|x| (f64::from(x), String::new())),
            Covariate::Sex => p.sex.map(|s| (0.0, s.to_string())),
            Covariate::Site => p.site.clone().map(|s| (0.0, s)),
            Covariate::Column(name) => match (p.covariates.get(name), p.factors.get(name)) {
                (Some(x), _) => Some((*x, String::new())),
                (None, Some(s)) => Some((0.0, s.clone())),
                (None, None) => None,
            },
        }
    }
}

impl std::str::FromStr for Covariate {
    type Err = Error;

    /// A contract covariate by its name, else one of the user's columns.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.is_empty() {
            return Err(Error::invalid_argument("covariate", "the name is empty"));
        }
        Ok(match crate::choice::code_key(t).as_str() {
            "age" => Covariate::Age,
            "bmi" => Covariate::Bmi,
            "severity" => Covariate::Severity,
            "sex" => Covariate::Sex,
            "site" => Covariate::Site,
            _ => Covariate::Column(t.to_string()),
        })
    }
}

/// Each covariate once, named so the formula can hold it, and recorded for some patient
/// (else a typed error naming it and listing the columns that exist).
pub(crate) fn check_covariates(covariates: &[Covariate], patients: &[Patient]) -> Result<()> {
    for (i, c) in covariates.iter().enumerate() {
        let name = c.name();
        if covariates[..i].contains(c) {
            return Err(Error::invalid_argument(
                "covariates",
                format!("`{name}` is listed twice"),
            ));
        }
        let identifier = name
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_alphabetic())
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
        if !identifier || ["arm", "visit", "baseline"].contains(&name) {
            return Err(Error::invalid_argument(
                "covariates",
                format!(
                    "`{name}` cannot name a model term: use letters, digits, `_` and `.`, \
                     starting with a letter, and not arm, visit or baseline"
                ),
            ));
        }
        if !patients.iter().any(|p| c.value(p).is_some()) {
            let contract = [
                Covariate::Age,
                Covariate::Bmi,
                Covariate::Severity,
                Covariate::Sex,
                Covariate::Site,
            ];
            let mut known: Vec<String> = contract
                .iter()
                .filter(|k| patients.iter().any(|p| k.value(p).is_some()))
                .map(|k| k.name().to_string())
                .collect();
            known.extend(crate::data::extra_column_names(patients));
            return Err(Error::invalid_argument(
                "covariates",
                format!(
                    "no patient has a value of `{name}`; the covariates the data can give: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// How a covariate enters a regression design (Cox, logistic): one linear column, or an
/// indicator for each level of a factor but the first in sort order (treatment coding, as R's
/// `model.matrix`).
pub(crate) enum Coding {
    Linear,
    Levels(Vec<String>),
}

impl Coding {
    /// The coding of `c` given the factor labels of the patients in the design.
    pub(crate) fn of<'a>(
        c: &Covariate,
        cohort: &[Patient],
        labels: impl Iterator<Item = &'a str>,
    ) -> Self {
        if !c.is_factor(cohort) {
            return Coding::Linear;
        }
        let mut levels: Vec<String> = labels.map(str::to_string).collect();
        levels.sort();
        levels.dedup();
        Coding::Levels(levels)
    }

    /// The design's column names for covariate `name` (`name`, or `<name><level>`).
    pub(crate) fn terms(&self, name: &str) -> Vec<String> {
        match self {
            Coding::Linear => vec![name.to_string()],
            Coding::Levels(levels) => levels
                .iter()
                .skip(1)
                .map(|l| format!("{name}{l}"))
                .collect(),
        }
    }

    /// The design's columns for the patients' `values` (a missing value codes as 0).
    pub(crate) fn columns<'a>(
        &self,
        values: impl Iterator<Item = Option<&'a (f64, String)>>,
    ) -> Vec<Vec<f64>> {
        let values: Vec<Option<&(f64, String)>> = values.collect();
        match self {
            Coding::Linear => vec![values.iter().map(|v| v.map_or(0.0, |(x, _)| *x)).collect()],
            Coding::Levels(levels) => levels
                .iter()
                .skip(1)
                .map(|level| {
                    values
                        .iter()
                        .map(|v| f64::from(u8::from(v.is_some_and(|(_, l)| l == level))))
                        .collect()
                })
                .collect(),
        }
    }
}

/// The model and the covariates a formula right-hand side names: every variable but the
/// `builtin` ones (`arm`, `visit`, `baseline`, … which the model builds itself) is parsed as a
/// [`Covariate`] (a contract covariate or a kept column). Each of `required` must appear.
pub(crate) fn formula_covariates(
    rhs: &str,
    required: &[&str],
    builtin: &[&str],
) -> Result<(ModelSpec, Vec<Covariate>)> {
    let spec = ModelSpec::parse(rhs)?;
    let mut names: Vec<&str> = Vec::new();
    for name in spec.terms().iter().flatten() {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    for r in required {
        if !names.contains(r) {
            return Err(Error::invalid_argument(
                "formula",
                format!("`{rhs}` has no `{r}` term"),
            ));
        }
    }
    let covariates = names
        .into_iter()
        .filter(|n| !builtin.contains(n))
        .map(str::parse)
        .collect::<Result<Vec<Covariate>>>()?;
    Ok((spec, covariates))
}
