//! Long-format input, named model terms and the fixed-effects design they imply.

use crate::Error;

/// A factor (classification variable) given per row, coded `0..levels.len()`.
#[derive(Debug, Clone)]
pub struct FactorColumn<'a> {
    /// Name used in model formulas.
    pub name: String,
    /// Level labels; codes index this list.
    pub levels: Vec<String>,
    /// Level code of every row.
    pub codes: &'a [usize],
    /// Reference level (treatment coding: its effect is zero).
    pub reference: usize,
}

/// A continuous covariate given per row.
#[derive(Debug, Clone)]
pub struct CovariateColumn<'a> {
    /// Name used in model formulas.
    pub name: String,
    /// Value of every row.
    pub values: &'a [f64],
}

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

/// Fixed-effects model: named terms built from factors and covariates.
///
/// The intercept is always included. Syntax: terms separated by `+`; `a*b` expands to
/// `a + b + a:b`; `a:b` is the interaction alone. Interactions may combine any number of
/// factors and at most one covariate. The model must be hierarchical (every interaction's
/// lower-order terms present), so that treatment coding with the chosen reference levels gives
/// the same columns as R's `model.matrix`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::ModelSpec;
/// let spec = ModelSpec::parse("arm*visit + baseline*visit + sex").unwrap();
/// assert_eq!(spec.terms().len(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    terms: Vec<Vec<String>>,
}

impl ModelSpec {
    /// Parses a formula right-hand side.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` on an empty term.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::ModelSpec;
    /// let s = ModelSpec::parse("visit + arm:visit + arm").unwrap();
    /// assert_eq!(s.terms()[2], vec!["arm".to_string(), "visit".to_string()]);
    /// ```
    pub fn parse(formula: &str) -> crate::Result<Self> {
        let mut terms: Vec<Vec<String>> = Vec::new();
        let trimmed = formula.trim();
        if trimmed.is_empty() || trimmed == "1" {
            return Ok(Self { terms });
        }
        for part in trimmed.split('+') {
            let part = part.trim();
            if part == "1" {
                continue;
            }
            let (elements, expand) = if part.contains('*') {
                (part.split('*').map(str::trim).collect::<Vec<_>>(), true)
            } else {
                (part.split(':').map(str::trim).collect::<Vec<_>>(), false)
            };
            if elements.iter().any(|e| e.is_empty()) {
                return Err(Error::invalid_argument(
                    "formula",
                    format!("empty term in `{part}`"),
                ));
            }
            let subsets: Vec<Vec<&str>> = if expand {
                let n = elements.len();
                (1..(1usize << n))
                    .map(|mask| {
                        (0..n)
                            .filter(|i| mask >> i & 1 == 1)
                            .map(|i| elements[i])
                            .collect()
                    })
                    .collect()
            } else {
                vec![elements]
            };
            for s in subsets {
                let mut t: Vec<String> = s.iter().map(|x| x.to_string()).collect();
                t.dedup();
                if !terms.iter().any(|u| same_set(u, &t)) {
                    terms.push(t);
                }
            }
        }
        // Order by degree (main effects first), stable.
        terms.sort_by_key(|t| t.len());
        Ok(Self { terms })
    }

    /// The terms (each a list of variable names), intercept excluded.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::ModelSpec;
    /// assert!(ModelSpec::parse("1").unwrap().terms().is_empty());
    /// ```
    pub fn terms(&self) -> &[Vec<String>] {
        &self.terms
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// A term resolved against the data.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Term {
    pub name: String,
    /// Indices into [`MmrmData::all_factors`].
    pub factors: Vec<usize>,
    pub covariate: Option<usize>,
    pub first_column: usize,
    pub n_columns: usize,
}

/// Column layout of the treatment-coded design.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Layout {
    pub terms: Vec<Term>,
    pub p: usize,
    pub column_names: Vec<String>,
    pub factor_names: Vec<String>,
    pub factor_levels: Vec<Vec<String>>,
    pub factor_reference: Vec<usize>,
    pub covariate_names: Vec<String>,
    /// Means of the covariates over the rows used.
    pub covariate_means: Vec<f64>,
}

impl Layout {
    /// Resolves the model's terms against the data: the factors and covariate of each term,
    /// the hierarchy check, and the treatment-coded columns with R-style names.
    pub fn resolve(data: &MmrmData<'_>, spec: &ModelSpec) -> crate::Result<Self> {
        let factors = data.all_factors();
        let mut terms = vec![Term {
            name: "(Intercept)".into(),
            factors: Vec::new(),
            covariate: None,
            first_column: 0,
            n_columns: 1,
        }];
        let mut column_names = vec!["(Intercept)".to_string()];
        for t in spec.terms() {
            let (fs, cov) = term_variables(data, &factors, t)?;
            check_hierarchy(spec, t)?;
            let first = column_names.len();
            let names = term_columns(data, &factors, t, &fs, cov);
            let n_cols = names.len();
            column_names.extend(names);
            terms.push(Term {
                name: t.join(":"),
                factors: fs,
                covariate: cov,
                first_column: first,
                n_columns: n_cols,
            });
        }
        let n = data.n_rows().max(1) as f64;
        let covariate_means = data
            .covariates
            .iter()
            .map(|c| c.values.iter().sum::<f64>() / n)
            .collect();
        Ok(Self {
            p: column_names.len(),
            terms,
            column_names,
            factor_names: factors.iter().map(|f| f.name.clone()).collect(),
            factor_levels: factors.iter().map(|f| f.levels.clone()).collect(),
            factor_reference: factors.iter().map(|f| f.reference).collect(),
            covariate_names: data.covariates.iter().map(|c| c.name.clone()).collect(),
            covariate_means,
        })
    }

    /// Nonzero entries of the design row for given factor levels and covariate values.
    pub fn row_sparse(
        &self,
        level: impl Fn(usize) -> usize,
        cov: impl Fn(usize) -> f64,
        out: &mut Vec<(usize, f64)>,
    ) {
        out.push((0, 1.0));
        for t in self.terms.iter().skip(1) {
            let mut col = 0;
            let mut stride = 1;
            let mut active = true;
            for &f in &t.factors {
                let l = level(f);
                let r = self.factor_reference[f];
                if l == r {
                    active = false;
                    break;
                }
                let idx = if l < r { l } else { l - 1 };
                col += idx * stride;
                stride *= self.factor_levels[f].len() - 1;
            }
            if !active {
                continue;
            }
            let value = t.covariate.map_or(1.0, &cov);
            if value != 0.0 {
                out.push((t.first_column + col, value));
            }
        }
    }
}

/// The factors (indices into `factors`) and the covariate (at most one) of term `t`.
fn term_variables(
    data: &MmrmData<'_>,
    factors: &[FactorColumn<'_>],
    t: &[String],
) -> crate::Result<(Vec<usize>, Option<usize>)> {
    let mut fs = Vec::new();
    let mut cov = None;
    for name in t {
        if let Some(i) = factors.iter().position(|f| &f.name == name) {
            fs.push(i);
        } else if let Some(i) = data.covariates.iter().position(|c| &c.name == name) {
            if cov.is_some() {
                return Err(Error::invalid_argument(
                    "formula",
                    format!(
                        "term `{}` has two covariates; at most one is supported",
                        t.join(":")
                    ),
                ));
            }
            cov = Some(i);
        } else {
            return Err(Error::invalid_argument(
                "formula",
                format!("unknown variable `{name}`"),
            ));
        }
    }
    Ok((fs, cov))
}

/// Hierarchy: every sub-term of `t` with one element less must be in the model.
fn check_hierarchy(spec: &ModelSpec, t: &[String]) -> crate::Result<()> {
    if t.len() <= 1 {
        return Ok(());
    }
    for drop in 0..t.len() {
        let sub: Vec<String> = t
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, x)| x.clone())
            .collect();
        if !spec.terms().iter().any(|u| same_set(u, &sub)) {
            return Err(Error::invalid_argument(
                "formula",
                format!(
                    "term `{}` needs its lower-order term `{}` in the model",
                    t.join(":"),
                    sub.join(":")
                ),
            ));
        }
    }
    Ok(())
}

/// Names of the columns of term `t` (factors `fs`, covariate `cov`): mixed radix over the
/// non-reference levels, first factor fastest, the covariate where the formula puts it.
fn term_columns(
    data: &MmrmData<'_>,
    factors: &[FactorColumn<'_>],
    t: &[String],
    fs: &[usize],
    cov: Option<usize>,
) -> Vec<String> {
    let sizes: Vec<usize> = fs.iter().map(|&f| factors[f].levels.len() - 1).collect();
    let n_cols: usize = sizes.iter().product();
    let mut names = Vec::with_capacity(n_cols);
    for c in 0..n_cols {
        let mut rem = c;
        let mut parts = Vec::new();
        for (&f, &sz) in fs.iter().zip(&sizes) {
            let idx = rem % sz;
            rem /= sz;
            let fac = &factors[f];
            let level = if idx < fac.reference { idx } else { idx + 1 };
            parts.push(format!("{}{}", fac.name, fac.levels[level]));
        }
        if let Some(ci) = cov {
            // R puts the covariate where it appears in the term; keep formula order.
            let pos = t
                .iter()
                .position(|x| x == &data.covariates[ci].name)
                .unwrap_or(0);
            parts.insert(pos.min(parts.len()), data.covariates[ci].name.clone());
        }
        names.push(parts.join(":"));
    }
    names
}
