//! A design matrix built by the caller, with the repeated-measures structure (the input of
//! [`mmrm_design`](super::mmrm_design)).

use crate::Error;

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
