//! Long-format input, named model terms and the fixed-effects design they imply.

use crate::Error;
pub(crate) use crate::stats::formula::Layout;
pub use crate::stats::formula::{CovariateColumn, FactorColumn, ModelSpec};

/// Long-format repeated-measures data: one row per observed (subject, visit).
///
/// Rows with a missing response are simply left out; each subject then contributes the
/// observed part of its covariance matrix. Subject indices must be dense (`0..n_subjects`),
/// visit indices run over `0..visit_labels.len()`. The visit itself is available in formulas
/// as the factor `visit` (reference level: the first visit unless changed with
/// [`MmrmData::with_visit_reference`]).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::MmrmData;
/// let subject = [0, 0, 1, 1];
/// let visit = [0, 1, 0, 1];
/// let y = [1.0, 2.0, 1.5, 2.5];
/// let labels = vec!["W4".to_string(), "W8".to_string()];
/// let data = MmrmData::new(&subject, &visit, &y, labels).unwrap();
/// assert_eq!(data.n_rows(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct MmrmData<'a> {
    pub(crate) subject: &'a [usize],
    pub(crate) visit: &'a [usize],
    pub(crate) response: &'a [f64],
    pub(crate) visit_labels: Vec<String>,
    pub(crate) visit_reference: usize,
    pub(crate) factors: Vec<FactorColumn<'a>>,
    pub(crate) covariates: Vec<CovariateColumn<'a>>,
    pub(crate) coordinates: Vec<&'a [f64]>,
}

impl<'a> MmrmData<'a> {
    /// Builds the data from the three required columns.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when lengths differ, a visit index is out of range, or a response is
    /// not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmData;
    /// let bad = MmrmData::new(&[0], &[3], &[1.0], vec!["A".into()]);
    /// assert!(bad.is_err());
    /// ```
    pub fn new(
        subject: &'a [usize],
        visit: &'a [usize],
        response: &'a [f64],
        visit_labels: Vec<String>,
    ) -> crate::Result<Self> {
        let n = subject.len();
        if visit.len() != n || response.len() != n {
            return Err(Error::invalid_argument(
                "response",
                format!(
                    "subject, visit and response lengths differ ({n}, {}, {})",
                    visit.len(),
                    response.len()
                ),
            ));
        }
        if visit_labels.is_empty() {
            return Err(Error::invalid_argument(
                "visit_labels",
                "at least one visit is needed",
            ));
        }
        if let Some(i) = visit.iter().position(|&v| v >= visit_labels.len()) {
            return Err(Error::invalid_argument(
                "visit",
                format!(
                    "row {i}: visit index {} has no label ({} labels)",
                    visit[i],
                    visit_labels.len()
                ),
            ));
        }
        if let Some(i) = response.iter().position(|y| !y.is_finite()) {
            return Err(Error::invalid_argument(
                "response",
                format!("row {i}: response is not finite; leave missing visits out"),
            ));
        }
        Ok(Self {
            subject,
            visit,
            response,
            visit_labels,
            visit_reference: 0,
            factors: Vec::new(),
            covariates: Vec::new(),
            coordinates: Vec::new(),
        })
    }

    /// Sets the coordinates of every row for the spatial covariance structure (one slice per
    /// dimension; distances between a subject's observations are Euclidean). Without them the
    /// visit positions `0, 1, 2, …` are used.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when a column's length differs from the number of rows or a value is
    /// not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmData;
    /// let day = [13.0, 29.0, 15.0, 27.0];
    /// let data = MmrmData::new(&[0, 0, 1, 1], &[0, 1, 0, 1], &[1.0, 2.0, 1.5, 2.5],
    ///     vec!["W2".into(), "W4".into()]).unwrap()
    ///     .with_coordinates(vec![&day]).unwrap();
    /// assert_eq!(data.n_rows(), 4);
    /// ```
    pub fn with_coordinates(mut self, coordinates: Vec<&'a [f64]>) -> crate::Result<Self> {
        super::aggregate::check_coordinates(&coordinates, self.n_rows())?;
        self.coordinates = coordinates;
        Ok(self)
    }

    /// Number of rows (observations).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmData;
    /// let d = MmrmData::new(&[0], &[0], &[1.0], vec!["V1".into()]).unwrap();
    /// assert_eq!(d.n_rows(), 1);
    /// ```
    pub fn n_rows(&self) -> usize {
        self.subject.len()
    }

    /// Sets the reference level of the `visit` factor.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the label is not a visit.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmData;
    /// let d = MmrmData::new(&[0, 0], &[0, 1], &[1.0, 2.0], vec!["V1".into(), "V2".into()])
    ///     .unwrap()
    ///     .with_visit_reference("V2")
    ///     .unwrap();
    /// assert_eq!(d.n_rows(), 2);
    /// ```
    pub fn with_visit_reference(mut self, label: &str) -> crate::Result<Self> {
        self.visit_reference = self
            .visit_labels
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| {
                Error::invalid_argument("visit_reference", format!("no visit labelled `{label}`"))
            })?;
        Ok(self)
    }

    /// Adds a factor given by per-row codes into `levels`, with the named reference level.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a wrong length, a code out of range, an unknown reference level,
    /// or a name already used.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmData;
    /// let arm = [0, 0, 1, 1];
    /// let d = MmrmData::new(&[0, 0, 1, 1], &[0, 1, 0, 1], &[1.0, 2.0, 1.5, 2.5], vec!["A".into(), "B".into()])
    ///     .unwrap()
    ///     .with_factor("arm", &arm, vec!["placebo".into(), "prp".into()], "placebo")
    ///     .unwrap();
    /// assert_eq!(d.n_rows(), 4);
    /// ```
    pub fn with_factor(
        mut self,
        name: &str,
        codes: &'a [usize],
        levels: Vec<String>,
        reference: &str,
    ) -> crate::Result<Self> {
        self.check_name(name, codes.len())?;
        if let Some(i) = codes.iter().position(|&c| c >= levels.len()) {
            return Err(Error::invalid_argument(
                "codes",
                format!(
                    "factor `{name}`, row {i}: code {} has no level ({} levels)",
                    codes[i],
                    levels.len()
                ),
            ));
        }
        let reference = levels.iter().position(|l| l == reference).ok_or_else(|| {
            Error::invalid_argument(
                "reference",
                format!("factor `{name}` has no level `{reference}`"),
            )
        })?;
        self.factors.push(FactorColumn {
            name: name.to_string(),
            levels,
            codes,
            reference,
        });
        Ok(self)
    }

    /// Adds a continuous covariate.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a wrong length, a non-finite value, or a name already used.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmData;
    /// let bl = [5.0, 5.0, 6.0, 6.0];
    /// let d = MmrmData::new(&[0, 0, 1, 1], &[0, 1, 0, 1], &[1.0, 2.0, 1.5, 2.5], vec!["A".into(), "B".into()])
    ///     .unwrap()
    ///     .with_covariate("baseline", &bl)
    ///     .unwrap();
    /// assert_eq!(d.n_rows(), 4);
    /// ```
    pub fn with_covariate(mut self, name: &str, values: &'a [f64]) -> crate::Result<Self> {
        self.check_name(name, values.len())?;
        if let Some(i) = values.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid_argument(
                "values",
                format!("covariate `{name}`, row {i}: not finite"),
            ));
        }
        self.covariates.push(CovariateColumn {
            name: name.to_string(),
            values,
        });
        Ok(self)
    }

    fn check_name(&self, name: &str, len: usize) -> crate::Result<()> {
        if len != self.n_rows() {
            return Err(Error::invalid_argument(
                "codes",
                format!("column `{name}` has {len} rows, expected {}", self.n_rows()),
            ));
        }
        if name == "visit"
            || self.factors.iter().any(|f| f.name == name)
            || self.covariates.iter().any(|c| c.name == name)
            || name.is_empty()
            || name.contains(['*', ':', '+', ' '])
        {
            return Err(Error::invalid_argument(
                "name",
                format!("`{name}` is empty, reserved, or already used"),
            ));
        }
        Ok(())
    }

    /// Factor view including the built-in `visit` factor (index 0).
    pub(crate) fn all_factors(&self) -> Vec<FactorColumn<'a>> {
        let mut out = vec![FactorColumn {
            name: "visit".into(),
            levels: self.visit_labels.clone(),
            codes: self.visit,
            reference: self.visit_reference,
        }];
        out.extend(self.factors.iter().cloned());
        out
    }
}
