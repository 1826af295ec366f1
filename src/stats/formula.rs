//! Model formulas: named terms built from factors and covariates, and the treatment-coded
//! design they imply (R's `model.matrix` with `contr.treatment`).
//!
//! One grammar for every model of the crate (the MMRM, the ANCOVA, the Cox model): terms
//! separated by `+`, `a*b` for `a + b + a:b`, `a:b` for the interaction alone, `1` for the
//! intercept. Factors are coded by indicators of their non-reference levels; an interaction
//! of factors has one column per combination of non-reference levels (first factor fastest,
//! as R); an interaction with a covariate multiplies by it. Column names follow R:
//! `armprp`, `sexmale`, `armprp:sexmale`, `baseline:visitmonth_6`.

use crate::Error;
use nalgebra::DMatrix;

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
/// use pain_outcomes::stats::formula::ModelSpec;
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
    /// use pain_outcomes::stats::formula::ModelSpec;
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
    /// use pain_outcomes::stats::formula::ModelSpec;
    /// assert!(ModelSpec::parse("1").unwrap().terms().is_empty());
    /// ```
    pub fn terms(&self) -> &[Vec<String>] {
        &self.terms
    }
}

/// Whether two term names are the same term: the same variables joined by `:` in any order
/// (`visit:baseline` is `baseline:visit`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::formula::same_term;
/// assert!(same_term("visit:baseline", "baseline:visit"));
/// assert!(!same_term("arm:sex", "arm"));
/// ```
pub fn same_term(a: &str, b: &str) -> bool {
    let a: Vec<String> = a.split(':').map(|x| x.trim().to_string()).collect();
    let b: Vec<String> = b.split(':').map(|x| x.trim().to_string()).collect();
    same_set(&a, &b)
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// A term resolved against the data.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Term {
    pub name: String,
    /// Indices into the factors the layout was resolved with.
    pub factors: Vec<usize>,
    pub covariate: Option<usize>,
    pub first_column: usize,
    pub n_columns: usize,
}

/// Column layout of the treatment-coded design.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    pub fn resolve(
        factors: &[FactorColumn<'_>],
        covariates: &[CovariateColumn<'_>],
        spec: &ModelSpec,
    ) -> crate::Result<Self> {
        let mut terms = vec![Term {
            name: "(Intercept)".into(),
            factors: Vec::new(),
            covariate: None,
            first_column: 0,
            n_columns: 1,
        }];
        let mut column_names = vec!["(Intercept)".to_string()];
        for t in spec.terms() {
            let (fs, cov) = term_variables(factors, covariates, t)?;
            check_hierarchy(spec, t)?;
            let first = column_names.len();
            let names = term_columns(factors, covariates, t, &fs, cov);
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
        let covariate_means = covariates
            .iter()
            .map(|c| c.values.iter().sum::<f64>() / c.values.len().max(1) as f64)
            .collect();
        Ok(Self {
            p: column_names.len(),
            terms,
            column_names,
            factor_names: factors.iter().map(|f| f.name.clone()).collect(),
            factor_levels: factors.iter().map(|f| f.levels.clone()).collect(),
            factor_reference: factors.iter().map(|f| f.reference).collect(),
            covariate_names: covariates.iter().map(|c| c.name.clone()).collect(),
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

/// The dense treatment-coded design of `n_rows` rows (the intercept in column 0): row `r` takes
/// the level `factors[f].codes[r]` and the value `covariates[c].values[r]` (a row beyond a
/// column's length reads the reference level or 0; callers pass columns of `n_rows` rows).
pub(crate) fn design_matrix(
    layout: &Layout,
    factors: &[FactorColumn<'_>],
    covariates: &[CovariateColumn<'_>],
    n_rows: usize,
) -> DMatrix<f64> {
    let mut x = DMatrix::zeros(n_rows, layout.p);
    let mut sparse = Vec::with_capacity(layout.p);
    for r in 0..n_rows {
        sparse.clear();
        layout.row_sparse(
            |f| {
                factors
                    .get(f)
                    .map_or(0, |c| c.codes.get(r).copied().unwrap_or(c.reference))
            },
            |c| {
                covariates
                    .get(c)
                    .and_then(|c| c.values.get(r).copied())
                    .unwrap_or(0.0)
            },
            &mut sparse,
        );
        for &(j, v) in &sparse {
            x[(r, j)] = v;
        }
    }
    x
}

/// The factors (indices into `factors`) and the covariate (at most one) of term `t`.
fn term_variables(
    factors: &[FactorColumn<'_>],
    covariates: &[CovariateColumn<'_>],
    t: &[String],
) -> crate::Result<(Vec<usize>, Option<usize>)> {
    let mut fs = Vec::new();
    let mut cov = None;
    for name in t {
        if let Some(i) = factors.iter().position(|f| &f.name == name) {
            fs.push(i);
        } else if let Some(i) = covariates.iter().position(|c| &c.name == name) {
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
            let known: Vec<&str> = factors
                .iter()
                .map(|f| f.name.as_str())
                .chain(covariates.iter().map(|c| c.name.as_str()))
                .collect();
            return Err(Error::invalid_argument(
                "formula",
                format!(
                    "unknown variable `{name}`; the model can use: {}",
                    known.join(", ")
                ),
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
    factors: &[FactorColumn<'_>],
    covariates: &[CovariateColumn<'_>],
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
                .position(|x| x == &covariates[ci].name)
                .unwrap_or(0);
            parts.insert(pos.min(parts.len()), covariates[ci].name.clone());
        }
        names.push(parts.join(":"));
    }
    names
}
