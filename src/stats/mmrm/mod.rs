//! Mixed model for repeated measures (MMRM): a marginal linear model with a structured
//! within-subject covariance over visits, fitted by REML or ML.
//!
//! # Model
//!
//! For subject `i` with observed visits `V_i`, `y_i = X_i β + ε_i`, `ε_i ~ N(0, Σ[V_i, V_i])`,
//! subjects independent; `Σ` is one of the [`CovarianceStructure`]s, optionally one per group
//! (for example per arm). Subjects with missing visits contribute the observed part of `Σ`,
//! which is valid under missing at random.
//!
//! # Entry points
//!
//! - [`mmrm`]: long-format arrays ([`MmrmData`]) and a model built from named terms
//!   ([`ModelSpec`], e.g. `arm*visit + baseline*visit + sex`). LS-means, differences by visit
//!   and Type III tests are derived from the term structure.
//! - [`mmrm_design`]: a design matrix you built yourself ([`DesignInput`]); inference through
//!   contrast vectors ([`MmrmFit::contrast`], [`MmrmFit::f_test`]).
//!
//! # Algorithm
//!
//! Subjects are grouped by (covariance group, missingness pattern) and the cross-products
//! `Σ x x'`, `Σ x y`, `Σ y y` of each block are accumulated once (one pass, linear in the
//! number of subjects). Every later evaluation of the criterion, its analytic gradient, the
//! observed and expected Hessians, the Satterthwaite and Kenward–Roger terms costs
//! `O(blocks × m² × p²)`, independent of the number of subjects. β is profiled out. The
//! covariance parameters are optimized in SAS's natural parametrization (variances,
//! covariances, correlations) by Newton steps on the observed Hessian, or Fisher scoring when it
//! is not positive definite, with step halving that keeps `Σ` positive definite. Fallback and
//! certificate: see [`FitCertificate`]. A fit that does not converge to a point with a
//! positive-definite Hessian is refused (`RefusalReason::NoConvergence`).
//!
//! # Examples
//!
//! ```
//! use pain_outcomes::stats::mmrm::{mmrm, MmrmData, MmrmOptions, ModelSpec};
//! // 6 subjects, 3 visits, two arms; subject 5 misses visit 2.
//! let subject = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5];
//! let visit = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1];
//! let arm = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
//! let y = [5.0, 4.1, 3.9, 6.0, 5.5, 4.2, 5.5, 5.1, 4.9, 6.1, 4.0, 3.1, 5.2, 3.9, 2.5, 5.8, 4.4];
//! let labels = vec!["W2".to_string(), "W4".to_string(), "W8".to_string()];
//! let data = MmrmData::new(&subject, &visit, &y, labels)
//!     .unwrap()
//!     .with_factor("arm", &arm, vec!["placebo".into(), "prp".into()], "placebo")
//!     .unwrap();
//! let spec = ModelSpec::parse("arm + visit").unwrap();
//! let options = MmrmOptions::default()
//!     .with_covariance(pain_outcomes::stats::mmrm::CovarianceStructure::CompoundSymmetry);
//! let fit = mmrm(&data, &spec, &options).unwrap().into_result().unwrap();
//! assert_eq!(fit.coefficients.len(), 4);
//! assert!(fit.certificate.hessian_positive_definite);
//! ```
//!
//! # References
//!
//! - Mallinckrodt, C. H. et al. (2008). Recommendations for the primary analysis of continuous
//!   endpoints in longitudinal clinical trials. *Drug Information Journal* 42, 303–319.
//! - Kenward, M. G. & Roger, J. H. (1997). Small sample inference for fixed effects from
//!   restricted maximum likelihood. *Biometrics* 53, 983–997.
//! - Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
//!   components. *Biometrics Bulletin* 2, 110–114; Fai, A. H.-T. & Cornelius, P. L. (1996),
//!   *J. Statist. Comput. Simul.* 54, 363–378 (multi-degree-of-freedom version).
//! - Jennrich, R. I. & Schluchter, M. D. (1986). Unbalanced repeated-measures models with
//!   structured covariance matrices. *Biometrics* 42, 805–820.

// The crate-wide `Error` is large by design (structured variants); its size is not a concern
// for these once-per-fit calls.
#![allow(clippy::result_large_err)]

mod aggregate;
mod covariance;
mod design;
mod fit;
mod inference;
mod lsmeans;
mod parse;
mod results;

use nalgebra::{DMatrix, DVector};

pub use covariance::CovarianceStructure;
pub use design::{CovariateColumn, FactorColumn, MmrmData, ModelSpec};
pub use fit::FitCertificate;
pub use lsmeans::LsMean;
pub use results::{
    CovarianceFit, CovarianceParameter, DfMethod, Estimation, FitStatistics, LsMeanWeights, MmrmFit,
};

use crate::Error;
use crate::stats::{Estimate, FTest, Outcome, RefusalReason, refuse};
use aggregate::Aggregate;
use covariance::CovModel;
use design::Layout;

/// Options of an MMRM fit.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::{CovarianceStructure, DfMethod, Estimation, MmrmOptions};
/// let o = MmrmOptions::default()
///     .with_covariance(CovarianceStructure::Ar1)
///     .with_method(Estimation::Ml)
///     .with_df(DfMethod::Satterthwaite)
///     .with_group("arm")
///     .with_confidence_level(0.9);
/// assert_eq!(o.covariance, CovarianceStructure::Ar1);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct MmrmOptions {
    /// Covariance structure (default unstructured).
    pub covariance: CovarianceStructure,
    /// REML (default) or ML.
    pub method: Estimation,
    /// df method (default Satterthwaite).
    pub df: DfMethod,
    /// Factor whose levels get separate covariance matrices (SAS `group=`); `None` for one.
    pub group: Option<String>,
    /// Confidence level of intervals (default 0.95).
    pub confidence_level: f64,
    /// How the covariance parameters are obtained (default: optimized to convergence).
    pub covariance_fit: CovarianceFit,
}

impl Default for MmrmOptions {
    fn default() -> Self {
        Self {
            covariance: CovarianceStructure::Unstructured,
            method: Estimation::Reml,
            df: DfMethod::Satterthwaite,
            group: None,
            confidence_level: 0.95,
            covariance_fit: CovarianceFit::Optimize,
        }
    }
}

impl MmrmOptions {
    /// Sets the covariance structure.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{CovarianceStructure, MmrmOptions};
    /// let o = MmrmOptions::default().with_covariance(CovarianceStructure::Toeplitz);
    /// assert_eq!(o.covariance, CovarianceStructure::Toeplitz);
    /// ```
    pub fn with_covariance(mut self, covariance: CovarianceStructure) -> Self {
        self.covariance = covariance;
        self
    }

    /// Sets REML or ML.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{Estimation, MmrmOptions};
    /// assert_eq!(MmrmOptions::default().with_method(Estimation::Ml).method, Estimation::Ml);
    /// ```
    pub fn with_method(mut self, method: Estimation) -> Self {
        self.method = method;
        self
    }

    /// Sets the df method.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{DfMethod, MmrmOptions};
    /// assert_eq!(MmrmOptions::default().with_df(DfMethod::KenwardRoger).df, DfMethod::KenwardRoger);
    /// ```
    pub fn with_df(mut self, df: DfMethod) -> Self {
        self.df = df;
        self
    }

    /// Separate covariance per level of the named factor.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmOptions;
    /// assert_eq!(MmrmOptions::default().with_group("arm").group.as_deref(), Some("arm"));
    /// ```
    pub fn with_group(mut self, factor: &str) -> Self {
        self.group = Some(factor.to_string());
        self
    }

    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::MmrmOptions;
    /// assert_eq!(MmrmOptions::default().with_confidence_level(0.9).confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Sets how the covariance parameters are obtained.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{CovarianceFit, MmrmOptions};
    /// let o = MmrmOptions::default().with_covariance_fit(CovarianceFit::Fixed(vec![1.0, 0.5]));
    /// assert!(matches!(o.covariance_fit, CovarianceFit::Fixed(_)));
    /// ```
    pub fn with_covariance_fit(mut self, fit: CovarianceFit) -> Self {
        self.covariance_fit = fit;
        self
    }

    fn validate(&self) -> crate::Result<()> {
        if let CovarianceFit::Fixed(v) = &self.covariance_fit
            && v.iter().any(|x| !x.is_finite())
        {
            return Err(Error::invalid_argument(
                "covariance_fit",
                "fixed covariance parameters must be finite",
            ));
        }
        if !(self.confidence_level > 0.0 && self.confidence_level < 1.0) {
            return Err(Error::invalid_argument(
                "confidence_level",
                format!("must be in (0, 1), got {}", self.confidence_level),
            ));
        }
        if self.method == Estimation::Ml && self.df != DfMethod::Satterthwaite {
            return Err(Error::invalid_argument(
                "df",
                "Kenward–Roger is defined for REML fits only",
            ));
        }
        Ok(())
    }
}

/// A design matrix built by the caller, with the repeated-measures structure.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::DesignInput;
/// let x = [1.0, 0.0, 1.0, 1.0];
/// let d = DesignInput::new(&[0, 0], &[0, 1], 2, &x, 2, &[1.0, 2.0]).unwrap();
/// assert_eq!(d.p, 2);
/// ```
#[derive(Debug, Clone)]
pub struct DesignInput<'a> {
    /// Subject index of each row (dense, `0..n_subjects`).
    pub subject: &'a [usize],
    /// Visit index of each row (`0..n_visits`).
    pub visit: &'a [usize],
    /// Number of visits.
    pub n_visits: usize,
    /// Row-major design matrix, `rows × p`.
    pub x: &'a [f64],
    /// Number of columns.
    pub p: usize,
    /// Response of each row.
    pub response: &'a [f64],
    /// Covariance group of each row (`0..n_groups`), constant within subject; `None` for one.
    pub group: Option<&'a [usize]>,
    /// Column names (default `x1 … xp`).
    pub column_names: Vec<String>,
    /// Coordinates of each row for spatial covariance structures (one slice per dimension);
    /// empty = the visit position.
    pub coordinates: Vec<&'a [f64]>,
}

impl<'a> DesignInput<'a> {
    /// Builds the input; lengths are checked.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `x` is not `rows × p` or an entry is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::DesignInput;
    /// assert!(DesignInput::new(&[0], &[0], 1, &[1.0, 2.0, 3.0], 2, &[1.0]).is_err());
    /// ```
    pub fn new(
        subject: &'a [usize],
        visit: &'a [usize],
        n_visits: usize,
        x: &'a [f64],
        p: usize,
        response: &'a [f64],
    ) -> crate::Result<Self> {
        if p == 0 || x.len() != subject.len() * p {
            return Err(Error::invalid_argument(
                "x",
                format!("expected {} × {p} entries, got {}", subject.len(), x.len()),
            ));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid_argument(
                "x",
                "design entries must be finite",
            ));
        }
        Ok(Self {
            subject,
            visit,
            n_visits,
            x,
            p,
            response,
            group: None,
            column_names: (1..=p).map(|j| format!("x{j}")).collect(),
            coordinates: Vec::new(),
        })
    }

    /// Sets per-row coordinates for spatial covariance structures (one slice per dimension,
    /// each with one value per row; distances are Euclidean).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::DesignInput;
    /// let day = [14.0, 30.0];
    /// let d = DesignInput::new(&[0, 0], &[0, 1], 2, &[1.0, 1.0], 1, &[1.0, 2.0])
    ///     .unwrap()
    ///     .with_coordinates(vec![&day]);
    /// assert_eq!(d.coordinates.len(), 1);
    /// ```
    pub fn with_coordinates(mut self, coordinates: Vec<&'a [f64]>) -> Self {
        self.coordinates = coordinates;
        self
    }

    /// Sets per-row covariance groups.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::DesignInput;
    /// let d = DesignInput::new(&[0], &[0], 1, &[1.0], 1, &[1.0]).unwrap().with_group(&[0]);
    /// assert!(d.group.is_some());
    /// ```
    pub fn with_group(mut self, group: &'a [usize]) -> Self {
        self.group = Some(group);
        self
    }
}

/// Internal state kept for inference after the fit.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub agg: Aggregate,
    pub beta: DVector<f64>,
    /// Model-based `Φ = (X'Σ⁻¹X)⁻¹`.
    pub phi: DMatrix<f64>,
    /// Covariance used for tests (`Φ`, or the KR-adjusted one).
    pub vcov: DMatrix<f64>,
    pub p_k: Vec<DMatrix<f64>>,
    /// Asymptotic covariance of the covariance parameters (`2 H⁻¹`).
    pub theta_cov: DMatrix<f64>,
    pub df: DfMethod,
    pub confidence_level: f64,
    pub layout: Option<Layout>,
    /// Frequencies of combinations of factor levels (all factors) among observations.
    pub combos: Vec<(Vec<usize>, usize)>,
}

/// Fits an MMRM from long-format data and a term-based model.
///
/// # Errors
///
/// `InvalidArgument` for inconsistent input, unknown formula variables, a non-hierarchical
/// model, or Kenward–Roger with ML.
///
/// # Refusals
///
/// `SingularDesign` (rank-deficient X), `EmptyGroup` (a visit without data, a level of a
/// model factor without observations, a covariance group without data at a visit),
/// `TooFewObservations` (REML with `N ≤ p`), `NoConvergence`.
///
/// # Examples
///
/// See the [module documentation](self).
///
/// # Formula
///
/// `-2 l_REML(φ) = Σ_i [log|Σ_i| + r_i'Σ_i⁻¹r_i] + log|X'Σ⁻¹X| + (N − p) log 2π` with
/// `r_i = y_i − X_i β̂(φ)`; ML drops the `log|X'Σ⁻¹X|` term and uses `N log 2π`.
///
/// # References
///
/// See the [module documentation](self).
pub fn mmrm(
    data: &MmrmData<'_>,
    spec: &ModelSpec,
    options: &MmrmOptions,
) -> crate::Result<Outcome<MmrmFit>> {
    options.validate()?;
    let layout = Layout::resolve(data, spec)?;
    let factors = data.all_factors();
    let n_visits = data.visit_labels.len();
    // Covariance groups.
    let (group_codes, group_labels): (Option<&[usize]>, Vec<String>) = match &options.group {
        Some(name) => {
            let f = factors
                .iter()
                .skip(1)
                .find(|f| &f.name == name)
                .ok_or_else(|| {
                    Error::invalid_argument("group", format!("no factor named `{name}`"))
                })?;
            (Some(f.codes), f.levels.clone())
        }
        None => (None, vec![String::new()]),
    };
    // Refusals that name what is empty.
    let mut per_visit = vec![0usize; n_visits];
    for &v in data.visit {
        per_visit[v] += 1;
    }
    if let Some(v) = per_visit.iter().position(|&c| c == 0) {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!("visit `{}` has no observations", data.visit_labels[v]),
        ));
    }
    let mut used = vec![false; factors.len()];
    for t in &layout.terms {
        for &f in &t.factors {
            used[f] = true;
        }
    }
    if let Some(i) = options
        .group
        .as_ref()
        .and_then(|name| factors.iter().position(|f| &f.name == name))
    {
        used[i] = true;
    }
    for (fi, f) in factors.iter().enumerate() {
        if !used[fi] {
            continue;
        }
        let mut cnt = vec![0usize; f.levels.len()];
        for &c in f.codes {
            cnt[c] += 1;
        }
        if let Some(l) = cnt.iter().position(|&c| c == 0) {
            return Ok(refuse(
                RefusalReason::EmptyGroup,
                format!(
                    "level `{}` of factor `{}` has no observations",
                    f.levels[l], f.name
                ),
            ));
        }
    }
    let agg = aggregate::aggregate(
        data.subject,
        data.visit,
        data.response,
        group_codes,
        group_labels.len(),
        n_visits,
        layout.p,
        spatial_coordinates(options, &data.coordinates),
        |i, out| {
            layout.row_sparse(
                |f| factors[f].codes[i],
                |c| data.covariates[c].values[i],
                out,
            );
        },
    )?;
    // Frequencies of factor-level combinations (for proportional LS-mean weights).
    let mut combo_map: std::collections::HashMap<Vec<usize>, usize> =
        std::collections::HashMap::new();
    for i in 0..data.n_rows() {
        let key: Vec<usize> = factors.iter().map(|f| f.codes[i]).collect();
        *combo_map.entry(key).or_insert(0) += 1;
    }
    let mut combos: Vec<(Vec<usize>, usize)> = combo_map.into_iter().collect();
    combos.sort();
    let names = layout.column_names.clone();
    fit_aggregate(
        agg,
        names,
        group_labels,
        data.visit_labels.clone(),
        Some(layout),
        combos,
        options,
    )
}

/// Fits an MMRM from a caller-built design matrix.
///
/// # Errors
///
/// As [`mmrm`], plus `InvalidArgument` when group codes are missing for some row.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::{mmrm_design, CovarianceStructure, DesignInput, MmrmOptions};
/// let subject = [0, 0, 1, 1, 2, 2, 3, 3];
/// let visit = [0, 1, 0, 1, 0, 1, 0, 1];
/// // intercept + visit-2 indicator
/// let x = [1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
/// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 1.1, 1.9];
/// let input = DesignInput::new(&subject, &visit, 2, &x, 2, &y).unwrap();
/// let opts = MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry);
/// let fit = mmrm_design(&input, &opts).unwrap().into_result().unwrap();
/// let d = fit.contrast(&[0.0, 1.0], "visit 2 - visit 1").unwrap().into_result().unwrap();
/// // complete, balanced data: GLS equals the difference of visit means
/// assert!((d.estimate - 1.075).abs() < 1e-10);
/// ```
///
/// # Formula
///
/// As [`mmrm`].
///
/// # References
///
/// See the [module documentation](self).
pub fn mmrm_design(
    input: &DesignInput<'_>,
    options: &MmrmOptions,
) -> crate::Result<Outcome<MmrmFit>> {
    options.validate()?;
    let n_groups = match input.group {
        Some(g) => {
            if g.len() != input.subject.len() {
                return Err(Error::invalid_argument(
                    "group",
                    "one group code per row is needed",
                ));
            }
            g.iter().copied().max().map_or(1, |m| m + 1)
        }
        None => 1,
    };
    if input.column_names.len() != input.p {
        return Err(Error::invalid_argument(
            "column_names",
            "one name per column is needed",
        ));
    }
    let p = input.p;
    let agg = aggregate::aggregate(
        input.subject,
        input.visit,
        input.response,
        input.group,
        n_groups,
        input.n_visits,
        p,
        spatial_coordinates(options, &input.coordinates),
        |i, out| {
            for (j, &v) in input.x[i * p..(i + 1) * p].iter().enumerate() {
                if v != 0.0 {
                    out.push((j, v));
                }
            }
        },
    )?;
    if let Some(v) = agg.obs_per_visit.iter().position(|&c| c == 0) {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!("visit index {v} has no observations"),
        ));
    }
    let labels = (0..n_groups)
        .map(|g| {
            if n_groups > 1 {
                format!("group {g}")
            } else {
                String::new()
            }
        })
        .collect();
    let visits = (1..=input.n_visits).map(|v| format!("visit {v}")).collect();
    fit_aggregate(
        agg,
        input.column_names.clone(),
        labels,
        visits,
        None,
        Vec::new(),
        options,
    )
}

/// Coordinates handed to the aggregation: only spatial structures use them.
fn spatial_coordinates<'c>(
    options: &MmrmOptions,
    coordinates: &'c [&'c [f64]],
) -> Option<&'c [&'c [f64]]> {
    (options.covariance == CovarianceStructure::SpatialExponential).then_some(coordinates)
}

fn sym_eigen_min_ratio(m: &DMatrix<f64>) -> f64 {
    let n = m.nrows();
    let d: Vec<f64> = (0..n).map(|i| m[(i, i)]).collect();
    if d.iter().any(|x| x.is_nan() || *x <= 0.0) {
        return 0.0;
    }
    let s = DMatrix::from_fn(n, n, |i, j| m[(i, j)] / (d[i] * d[j]).sqrt());
    let ev = s.symmetric_eigenvalues();
    let max = ev.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = ev.iter().copied().fold(f64::INFINITY, f64::min);
    min / max
}

#[allow(clippy::too_many_arguments)]
fn fit_aggregate(
    agg: Aggregate,
    names: Vec<String>,
    group_labels: Vec<String>,
    visit_labels: Vec<String>,
    layout: Option<Layout>,
    combos: Vec<(Vec<usize>, usize)>,
    options: &MmrmOptions,
) -> crate::Result<Outcome<MmrmFit>> {
    let p = agg.p;
    let pp = p * p;
    let v = agg.n_visits;
    // Unweighted cross-products → rank check and OLS.
    let mut m0 = vec![0.0; pp];
    let mut u0 = vec![0.0; p];
    for blk in &agg.blocks {
        let m = blk.m();
        for j in 0..m {
            let base = j * m + j;
            for (a, x) in m0.iter_mut().zip(&blk.sxx[base * pp..(base + 1) * pp]) {
                *a += x;
            }
            for (a, x) in u0.iter_mut().zip(&blk.sxy[base * p..(base + 1) * p]) {
                *a += x;
            }
        }
    }
    let m0 = DMatrix::from_vec(p, p, m0);
    if sym_eigen_min_ratio(&m0) < 1e-11 {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the fixed-effects design matrix is rank deficient (a column is zero or a linear combination of others)",
        ));
    }
    if agg.n_obs <= p {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!("{} observations for {p} fixed effects", agg.n_obs),
        ));
    }
    let Some(ch0) = m0.clone().cholesky() else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "X'X is not positive definite",
        ));
    };
    let beta0 = ch0.solve(&DVector::from_vec(u0));
    // Pairwise empirical covariance of OLS residuals, per group.
    let mut cov_sum = vec![DMatrix::<f64>::zeros(v, v); agg.n_groups];
    let mut cov_n = vec![DMatrix::<f64>::zeros(v, v); agg.n_groups];
    let mut rss = 0.0;
    for blk in &agg.blocks {
        let m = blk.m();
        let res = blk.residual_cross_products(beta0.as_slice());
        for j in 0..m {
            for k in 0..m {
                let s = res[(j, k)];
                cov_sum[blk.group][(blk.visits[j], blk.visits[k])] += s;
                cov_n[blk.group][(blk.visits[j], blk.visits[k])] += blk.n as f64;
                if j == k {
                    rss += s;
                }
            }
        }
    }
    let pooled = (rss / (agg.n_obs - p) as f64).max(1e-12);
    let mut empirical = Vec::new();
    for g in 0..agg.n_groups {
        for a in 0..v {
            if cov_n[g][(a, a)] == 0.0 {
                return Ok(refuse(
                    RefusalReason::EmptyGroup,
                    format!(
                        "covariance group `{}` has no observations at visit `{}`",
                        group_labels.get(g).map_or("", |s| s.as_str()),
                        visit_labels.get(a).map_or("", |s| s.as_str())
                    ),
                ));
            }
        }
        let c = DMatrix::from_fn(v, v, |a, b| {
            if cov_n[g][(a, b)] > 0.0 {
                cov_sum[g][(a, b)] / cov_n[g][(a, b)]
            } else {
                0.0
            }
        });
        // Make it positive definite: correlations clipped, eigenvalues floored.
        let d: Vec<f64> = (0..v).map(|a| c[(a, a)].max(1e-8 * pooled)).collect();
        let r = DMatrix::from_fn(v, v, |a, b| {
            if a == b {
                1.0
            } else {
                (c[(a, b)] / (d[a] * d[b]).sqrt()).clamp(-0.95, 0.95)
            }
        });
        let eig = r.symmetric_eigen();
        let floored = DMatrix::from_diagonal(&eig.eigenvalues.map(|x| x.max(0.05)));
        let r2 = &eig.eigenvectors * floored * eig.eigenvectors.transpose();
        let s = DMatrix::from_fn(v, v, |a, b| {
            r2[(a, b)] / (r2[(a, a)] * r2[(b, b)]).sqrt() * (d[a] * d[b]).sqrt()
        });
        empirical.push(s);
    }
    let mut model = CovModel::new(options.covariance, v);
    if model.is_spatial() {
        // Typical distance between two observations of a subject (sets the starting range).
        let (mut sum, mut count) = (0.0, 0.0);
        for blk in &agg.blocks {
            if let Some(d) = &blk.dist {
                let m = blk.m();
                for a in 0..m {
                    for b in 0..a {
                        sum += blk.n as f64 * d[(a, b)];
                        count += blk.n as f64;
                    }
                }
            }
        }
        if count > 0.0 && sum > 0.0 {
            model.distance_scale = sum / count;
        }
    }
    let reml = options.method == Estimation::Reml;
    let problem = fit::Problem {
        agg: &agg,
        model: &model,
        reml,
    };
    let opt = match &options.covariance_fit {
        CovarianceFit::Optimize => fit::optimize(&problem, &empirical, pooled),
        CovarianceFit::SasIterations => {
            let start = fit::mivque0(&problem, &beta0, &ch0).unwrap_or_else(|| {
                empirical
                    .iter()
                    .flat_map(|e| problem.model.start(e))
                    .collect()
            });
            fit::optimize_sas(&problem, start)
        }
        CovarianceFit::Fixed(values) => {
            let n_theta = problem.n_theta();
            if values.len() != n_theta {
                return Err(Error::invalid_argument(
                    "covariance_fit",
                    format!(
                        "{} fixed covariance parameters given, the model has {n_theta}",
                        values.len()
                    ),
                ));
            }
            fit::fixed(&problem, values.clone())
        }
    };
    let opt = match opt {
        Ok(o) => o,
        Err(e) if matches!(options.covariance_fit, CovarianceFit::Fixed(_)) => {
            return Ok(refuse(RefusalReason::NotEstimable, e.detail));
        }
        Err(e) => {
            return Ok(refuse(
                RefusalReason::NoConvergence,
                format!("the covariance parameters did not converge: {}", e.detail),
            ));
        }
    };
    let ev = &opt.eval;
    let Some(hinv) = ev.h_obs.clone().cholesky().map(|c| c.inverse()) else {
        return Ok(refuse(
            RefusalReason::NoConvergence,
            "the Hessian at the solution is not invertible",
        ));
    };
    let theta_cov = hinv * 2.0;
    let phi = ev.m_inv.clone();
    let (vcov, adjusted) = match options.df {
        DfMethod::Satterthwaite => (phi.clone(), None),
        DfMethod::KenwardRoger | DfMethod::KenwardRogerLinear => {
            let linear = options.df == DfMethod::KenwardRogerLinear;
            match inference::kenward_roger_vcov(
                &agg, &model, &opt.phi, &phi, &ev.p_k, &theta_cov, linear,
            ) {
                Some(a) => (a.clone(), Some(a)),
                None => {
                    return Ok(refuse(
                        RefusalReason::NotEstimable,
                        "the Kenward–Roger adjustment could not be formed",
                    ));
                }
            }
        }
    };
    let q = model.n_par;
    let par_names = options.covariance.parameter_names(v);
    let mut covariance_parameters = Vec::new();
    let mut covariance_matrices = Vec::new();
    for g in 0..agg.n_groups {
        for (k, name) in par_names.iter().enumerate() {
            covariance_parameters.push(CovarianceParameter {
                name: name.clone(),
                group: group_labels.get(g).cloned().unwrap_or_default(),
                estimate: opt.phi[g * q + k],
                std_error: theta_cov[(g * q + k, g * q + k)].max(0.0).sqrt(),
            });
        }
        let s = model.sigma(&opt.phi[g * q..(g + 1) * q]);
        covariance_matrices.push(
            (0..v)
                .map(|a| (0..v).map(|b| s[(a, b)]).collect())
                .collect(),
        );
    }
    let f = ev.f;
    let n_theta = q * agg.n_groups;
    let (d, nstar) = if reml {
        (n_theta, (agg.n_obs - p) as f64)
    } else {
        (n_theta + p, agg.n_obs as f64)
    };
    let df_ = d as f64;
    let fit_statistics = FitStatistics {
        log_likelihood: -0.5 * f,
        minus_two_log_likelihood: f,
        aic: f + 2.0 * df_,
        aicc: f + 2.0 * df_ * nstar / (nstar - df_ - 1.0),
        bic: f + df_ * (agg.n_subjects as f64).ln(),
        n_parameters: d,
    };
    let to_rows = |m: &DMatrix<f64>| {
        (0..m.nrows())
            .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
            .collect()
    };
    let state = State {
        beta: ev.beta.clone(),
        phi: phi.clone(),
        vcov,
        p_k: ev.p_k.clone(),
        theta_cov,
        df: options.df,
        confidence_level: options.confidence_level,
        agg,
        layout,
        combos,
    };
    let mut coefficients = Vec::with_capacity(p);
    for (j, name) in names.iter().enumerate() {
        let mut c = DVector::zeros(p);
        c[j] = 1.0;
        coefficients.push(state.estimate(&c, name.clone()));
    }
    Ok(Outcome::Computed(MmrmFit {
        method: options.method,
        covariance: options.covariance,
        df_method: options.df,
        n_subjects: state.agg.n_subjects,
        n_observations: state.agg.n_obs,
        n_blocks: state.agg.blocks.len(),
        group_labels,
        visit_labels,
        coefficients,
        covariance_parameters,
        covariance_matrices,
        fit_statistics,
        certificate: opt.certificate.clone(),
        beta_vcov: to_rows(&phi),
        beta_vcov_adjusted: adjusted.as_ref().map(to_rows),
        state,
    }))
}

impl State {
    /// df of a one-dimensional contrast under the chosen method.
    fn df_1d(&self, c: &DVector<f64>) -> f64 {
        match self.df {
            DfMethod::Satterthwaite => {
                inference::satterthwaite_1d(c, &self.phi, &self.p_k, &self.theta_cov)
            }
            DfMethod::KenwardRoger | DfMethod::KenwardRogerLinear => {
                let l = DMatrix::from_row_slice(1, c.len(), c.as_slice());
                inference::kenward_roger_df(&l, &self.phi, &self.p_k, &self.theta_cov)
                    .map_or(f64::NAN, |x| x.0)
            }
        }
    }

    pub(crate) fn estimate(&self, c: &DVector<f64>, label: String) -> Estimate {
        let est = c.dot(&self.beta);
        let se = c.dot(&(&self.vcov * c)).max(0.0).sqrt();
        let df = self.df_1d(c);
        Estimate::wald(label, est, se, Some(df), self.confidence_level)
    }

    pub(crate) fn f_test(&self, l: &DMatrix<f64>, label: String) -> Option<FTest> {
        let r = l.nrows();
        let lb = l * &self.beta;
        let lvl = l * &self.vcov * l.transpose();
        let inv = lvl.cholesky()?.inverse();
        let f = lb.dot(&(&inv * &lb)) / r as f64;
        let (den, f_value) = match self.df {
            DfMethod::Satterthwaite => (
                inference::satterthwaite_md(l, &self.phi, &self.p_k, &self.theta_cov),
                f,
            ),
            DfMethod::KenwardRoger | DfMethod::KenwardRogerLinear => {
                let (m, lambda) =
                    inference::kenward_roger_df(l, &self.phi, &self.p_k, &self.theta_cov)?;
                (m, f * lambda)
            }
        };
        if !(den.is_finite() && den > 0.0 && f_value.is_finite()) {
            return None;
        }
        Some(FTest::new(label, f_value, r as f64, den))
    }
}

impl MmrmFit {
    /// Estimate, SE, df, t, p and CI of the contrast `c'β`.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `c` does not have one entry per coefficient or is not finite.
    ///
    /// # Examples
    ///
    /// See [`mmrm_design`].
    ///
    /// # Formula
    ///
    /// Satterthwaite: `ν = 2 (c'Φc)² / (g' A g)` with `g_k = c'Φ P_k Φ c`,
    /// `P_k = X'Σ⁻¹ ∂_kΣ Σ⁻¹X`, `A = 2 H⁻¹` (observed Hessian of `-2 log L`). Kenward–Roger:
    /// `c'Φ_A c` and the KR df.
    ///
    /// # References
    ///
    /// Satterthwaite (1946); Kenward & Roger (1997).
    pub fn contrast(&self, c: &[f64], label: &str) -> crate::Result<Outcome<Estimate>> {
        if c.len() != self.state.beta.len() || c.iter().any(|x| !x.is_finite()) {
            return Err(Error::invalid_argument(
                "c",
                format!(
                    "expected {} finite entries, got {}",
                    self.state.beta.len(),
                    c.len()
                ),
            ));
        }
        let e = self
            .state
            .estimate(&DVector::from_column_slice(c), label.to_string());
        Ok(checked(e))
    }

    /// F test of `Lβ = 0` (rows of `L` are contrasts).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when a row has the wrong length or `L` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{mmrm_design, CovarianceStructure, DesignInput, MmrmOptions};
    /// let subject = [0, 0, 1, 1, 2, 2, 3, 3];
    /// let visit = [0, 1, 0, 1, 0, 1, 0, 1];
    /// let x = [1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    /// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 1.1, 1.9];
    /// let input = DesignInput::new(&subject, &visit, 2, &x, 2, &y).unwrap();
    /// let opts = MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry);
    /// let fit = mmrm_design(&input, &opts).unwrap().into_result().unwrap();
    /// let f = fit.f_test(&[vec![0.0, 1.0]], "visit").unwrap().into_result().unwrap();
    /// assert_eq!(f.df_numerator, 1.0);
    /// ```
    ///
    /// # Formula
    ///
    /// `F = (Lβ)'(LΦL')⁻¹(Lβ)/q`; Satterthwaite df by Fai & Cornelius (1996); Kenward–Roger
    /// scales `F` by `λ` and uses the KR df (with `Φ_A`).
    ///
    /// # References
    ///
    /// Fai & Cornelius (1996); Kenward & Roger (1997).
    pub fn f_test(&self, l: &[Vec<f64>], label: &str) -> crate::Result<Outcome<FTest>> {
        let p = self.state.beta.len();
        if l.is_empty()
            || l.iter()
                .any(|r| r.len() != p || r.iter().any(|x| !x.is_finite()))
        {
            return Err(Error::invalid_argument(
                "l",
                format!("rows of {p} finite entries are needed"),
            ));
        }
        let m = DMatrix::from_fn(l.len(), p, |i, j| l[i][j]);
        Ok(match self.state.f_test(&m, label.to_string()) {
            Some(t) => Outcome::Computed(t),
            None => refuse(
                RefusalReason::NotEstimable,
                "L Φ L' is singular or the df are undefined",
            ),
        })
    }
}

pub(crate) fn checked(e: Estimate) -> Outcome<Estimate> {
    if [
        e.estimate,
        e.std_error,
        e.df.unwrap_or(f64::NAN),
        e.statistic,
        e.p_value,
    ]
    .iter()
    .all(|x| x.is_finite())
        && e.std_error > 0.0
    {
        Outcome::Computed(e)
    } else {
        refuse(
            RefusalReason::NotEstimable,
            format!("`{}`: the standard error or df is undefined", e.label),
        )
    }
}
