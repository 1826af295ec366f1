//! The data of a Cox model: follow-up, status, covariates, and optional strata and clusters.

use nalgebra::DMatrix;

use super::common::{Status, check_len, check_time_status, encode};
use crate::{Error, Result};

/// The data of a Cox model: follow-up, status, covariates, and optional strata and clusters.
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::survival::{CoxData, Status};
/// let time = [1.0, 2.0, 3.0, 4.0];
/// let status = [Status::Event; 4];
/// let x = DMatrix::from_column_slice(4, 1, &[0.0, 1.0, 0.0, 1.0]);
/// let data = CoxData::new(&time, &status, &x)?.with_names(&["treated"])?.with_strata(&["a", "a", "b", "b"])?;
/// assert_eq!(data.n_strata(), 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CoxData<'a> {
    pub(crate) time: &'a [f64],
    pub(crate) status: &'a [Status],
    pub(crate) covariates: &'a DMatrix<f64>,
    pub(crate) names: Vec<String>,
    pub(crate) strata: Option<Vec<u32>>,
    pub(crate) n_strata: usize,
    pub(crate) cluster: Option<Vec<u32>>,
    pub(crate) n_clusters: usize,
    pub(crate) weights: Option<Vec<f64>>,
}

impl<'a> CoxData<'a> {
    /// Builds the data from `time` (days), `status` and an `n × p` covariate matrix.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when lengths differ, a time is negative or not finite, the matrix has
    /// no column, or a covariate is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// assert!(CoxData::new(&[1.0], &[Status::Event], &x).is_err());
    /// ```
    pub fn new(
        time: &'a [f64],
        status: &'a [Status],
        covariates: &'a DMatrix<f64>,
    ) -> Result<Self> {
        check_time_status(time, status)?;
        check_len("covariates", covariates.nrows(), time.len())?;
        if covariates.ncols() == 0 {
            return Err(Error::invalid_argument(
                "covariates",
                "the matrix has no column",
            ));
        }
        if let Some(pos) = covariates.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_argument(
                "covariates",
                format!(
                    "row {}, column {} is not a finite number",
                    pos % covariates.nrows().max(1),
                    pos / covariates.nrows().max(1)
                ),
            ));
        }
        Ok(Self {
            time,
            status,
            covariates,
            names: (1..=covariates.ncols()).map(|j| format!("x{j}")).collect(),
            strata: None,
            n_strata: 1,
            cluster: None,
            n_clusters: 0,
            weights: None,
        })
    }

    /// Names the covariates (default `x1`, `x2`, …).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the number of names differs from the number of columns.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(1, 1, &[0.0]);
    /// assert!(CoxData::new(&[1.0], &[Status::Event], &x)?.with_names(&["a", "b"]).is_err());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_names<N: AsRef<str>>(mut self, names: &[N]) -> Result<Self> {
        if names.len() != self.covariates.ncols() {
            return Err(Error::invalid_argument(
                "names",
                format!(
                    "{} names for {} covariates",
                    names.len(),
                    self.covariates.ncols()
                ),
            ));
        }
        self.names = names.iter().map(|s| s.as_ref().to_string()).collect();
        Ok(self)
    }

    /// Stratifies the baseline hazard (R `strata()`): one label per subject.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the length differs from `time`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// let d = CoxData::new(&[1.0, 2.0], &[Status::Event; 2], &x)?.with_strata(&[1, 2])?;
    /// assert_eq!(d.n_strata(), 2);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_strata<S: Ord + Clone>(mut self, strata: &[S]) -> Result<Self> {
        check_len("strata", strata.len(), self.time.len())?;
        let (levels, codes) = encode(strata);
        self.n_strata = levels.len();
        self.strata = Some(codes);
        Ok(self)
    }

    /// Clusters for the robust sandwich variance (R `cluster()`), for example the site.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the length differs from `time`.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// let d = CoxData::new(&[1.0, 2.0], &[Status::Event; 2], &x)?.with_cluster(&["s1", "s1"])?;
    /// assert_eq!(d.n_clusters(), 1);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_cluster<C: Ord + Clone>(mut self, cluster: &[C]) -> Result<Self> {
        check_len("cluster", cluster.len(), self.time.len())?;
        let (levels, codes) = encode(cluster);
        self.n_clusters = levels.len();
        self.cluster = Some(codes);
        Ok(self)
    }

    /// Case weights (R `coxph(weights = )`), for example inverse-probability weights: each
    /// subject counts `wᵢ` times in the partial likelihood (Efron ties with the mean weight of
    /// the tied deaths, as `coxph`), and the robust variance sums the weighted score
    /// residuals.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the length differs from `time` or a weight is not positive and
    /// finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(2, 1, &[0.0, 1.0]);
    /// let d = CoxData::new(&[1.0, 2.0], &[Status::Event; 2], &x)?;
    /// assert!(d.clone().with_weights(&[1.0, 0.0]).is_err());
    /// assert!(d.with_weights(&[1.0, 2.5]).is_ok());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_weights(mut self, weights: &[f64]) -> Result<Self> {
        check_len("weights", weights.len(), self.time.len())?;
        if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
            return Err(Error::invalid_argument(
                "weights",
                format!("case weights must be positive and finite, got {w}"),
            ));
        }
        self.weights = Some(weights.to_vec());
        Ok(self)
    }

    /// Number of strata (1 when unstratified).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(1, 1, &[0.0]);
    /// assert_eq!(CoxData::new(&[1.0], &[Status::Event], &x)?.n_strata(), 1);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn n_strata(&self) -> usize {
        self.n_strata
    }

    /// Number of clusters (0 when none were given).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::survival::{CoxData, Status};
    /// let x = DMatrix::from_column_slice(1, 1, &[0.0]);
    /// assert_eq!(CoxData::new(&[1.0], &[Status::Event], &x)?.n_clusters(), 0);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }
}
