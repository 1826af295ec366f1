//! The long-format input of a linear mixed model and its per-group sufficient statistics.

use nalgebra::{DMatrix, DVector};

use crate::Error;

/// Long-format data of a linear mixed model with one grouping factor: response `y`,
/// fixed-effects design `X` (n × p), random-effects design `Z` (n × q) and the group of every
/// row (rows of a group need not be contiguous).
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::lmm::LmmData;
/// let x = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
/// let z = DMatrix::from_element(4, 1, 1.0);
/// let data = LmmData::new(
///     vec![1.0, 2.0, 1.5, 2.5],
///     x,
///     vec!["(Intercept)".into(), "time".into()],
///     z,
///     vec!["(Intercept)".into()],
///     vec![0, 0, 1, 1],
///     vec!["a".into(), "b".into()],
/// )?;
/// assert_eq!(data.n_observations(), 4);
/// assert_eq!(data.n_groups(), 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LmmData {
    pub(crate) y: Vec<f64>,
    pub(crate) x: DMatrix<f64>,
    pub(crate) x_names: Vec<String>,
    pub(crate) z: DMatrix<f64>,
    pub(crate) z_names: Vec<String>,
    pub(crate) group: Vec<usize>,
    pub(crate) group_labels: Vec<String>,
}

impl LmmData {
    /// Checks and stores the data.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the lengths disagree, a name list does not match its matrix, a
    /// value is not finite, a group code has no label, or `Z` has no column.
    ///
    /// # Examples
    ///
    /// See [`LmmData`].
    pub fn new(
        y: Vec<f64>,
        x: DMatrix<f64>,
        x_names: Vec<String>,
        z: DMatrix<f64>,
        z_names: Vec<String>,
        group: Vec<usize>,
        group_labels: Vec<String>,
    ) -> crate::Result<Self> {
        let n = y.len();
        if x.nrows() != n || z.nrows() != n || group.len() != n {
            return Err(Error::invalid_argument(
                "data",
                format!(
                    "y has {n} rows but X has {}, Z {} and the groups {}",
                    x.nrows(),
                    z.nrows(),
                    group.len()
                ),
            ));
        }
        if x_names.len() != x.ncols() || z_names.len() != z.ncols() {
            return Err(Error::invalid_argument(
                "data",
                "one name per column of X and of Z is needed",
            ));
        }
        if z.ncols() == 0 || x.ncols() == 0 {
            return Err(Error::invalid_argument(
                "data",
                "X and Z need at least one column each",
            ));
        }
        if y.iter()
            .chain(x.iter())
            .chain(z.iter())
            .any(|v| !v.is_finite())
        {
            return Err(Error::invalid_argument("data", "y, X and Z must be finite"));
        }
        if let Some(g) = group.iter().find(|&&g| g >= group_labels.len()) {
            return Err(Error::invalid_argument(
                "data",
                format!("group code {g} has no label"),
            ));
        }
        Ok(Self {
            y,
            x,
            x_names,
            z,
            z_names,
            group,
            group_labels,
        })
    }

    /// Number of rows.
    ///
    /// # Examples
    ///
    /// See [`LmmData`].
    pub fn n_observations(&self) -> usize {
        self.y.len()
    }

    /// Number of groups (labels).
    ///
    /// # Examples
    ///
    /// See [`LmmData`].
    pub fn n_groups(&self) -> usize {
        self.group_labels.len()
    }

    /// Names of the fixed-effects columns.
    ///
    /// # Examples
    ///
    /// See [`LmmData`].
    pub fn fixed_names(&self) -> &[String] {
        &self.x_names
    }
}

/// Per-group cross-products: everything an evaluation of the criterion needs, so that its
/// cost is `O(groups × (q³ + q²p + qp²))`, independent of the number of rows.
#[derive(Debug, Clone)]
pub(crate) struct Blocks {
    pub q: usize,
    pub p: usize,
    pub m: usize,
    pub n: usize,
    /// `Z_g'Z_g`, q × q row-major, per group.
    pub ztz: Vec<f64>,
    /// `Z_g'X_g`, q × p row-major, per group.
    pub ztx: Vec<f64>,
    /// `Z_g'y_g`, per group.
    pub zty: Vec<f64>,
    pub xtx: DMatrix<f64>,
    pub xty: DVector<f64>,
    pub yty: f64,
    /// The OLS coefficients subtracted from `y` before the cross-products (`y − Xβ_ols` is
    /// accumulated, so that `r²` is not a small difference of large sums); `β` of an
    /// evaluation is reported with it added back.
    pub shift: DVector<f64>,
    /// Groups with bit-identical `Z_g'Z_g` and `Z_g'X_g` (the same times and fixed-effects
    /// rows, common with nominal visit days) share every factor of an evaluation, so the
    /// criterion is accumulated per class: `Z'Z` and `Z'X` of the class, the number of groups,
    /// `Σ Z_g'y_g` and `Σ (Z_g'y_g)(Z_g'y_g)'` over its groups. Exact, not an approximation.
    pub classes: Classes,
}

/// Classes of groups with identical designs (see [`Blocks::classes`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Classes {
    pub count: Vec<f64>,
    pub ztz: Vec<f64>,
    pub ztx: Vec<f64>,
    pub zty_sum: Vec<f64>,
    pub zty_outer: Vec<f64>,
}

impl Classes {
    fn new(q: usize, p: usize, m: usize, ztz: &[f64], ztx: &[f64], zty: &[f64]) -> Self {
        let mut index: std::collections::HashMap<Vec<u64>, usize> =
            std::collections::HashMap::new();
        let mut c = Classes::default();
        for g in 0..m {
            let a = &ztz[g * q * q..(g + 1) * q * q];
            let b = &ztx[g * q * p..(g + 1) * q * p];
            let key: Vec<u64> = a.iter().chain(b).map(|v| v.to_bits()).collect();
            let k = *index.entry(key).or_insert_with(|| {
                c.count.push(0.0);
                c.ztz.extend_from_slice(a);
                c.ztx.extend_from_slice(b);
                c.zty_sum.extend(std::iter::repeat_n(0.0, q));
                c.zty_outer.extend(std::iter::repeat_n(0.0, q * q));
                c.count.len() - 1
            });
            c.count[k] += 1.0;
            let u = &zty[g * q..(g + 1) * q];
            for i in 0..q {
                c.zty_sum[k * q + i] += u[i];
                for j in 0..q {
                    c.zty_outer[k * q * q + i * q + j] += u[i] * u[j];
                }
            }
        }
        c
    }
}

impl Blocks {
    pub fn new(d: &LmmData) -> Self {
        let (q, p, m, n) = (d.z.ncols(), d.x.ncols(), d.group_labels.len(), d.y.len());
        let mut ztz = vec![0.0; m * q * q];
        let mut ztx = vec![0.0; m * q * p];
        let mut zty = vec![0.0; m * q];
        let xtx = d.x.tr_mul(&d.x);
        let xty0 = d.x.tr_mul(&DVector::from_column_slice(&d.y));
        let shift = xtx
            .clone()
            .cholesky()
            .map_or_else(|| DVector::zeros(p), |c| c.solve(&xty0));
        let mut zr = vec![0.0; q];
        let mut xr = vec![0.0; p];
        for r in 0..n {
            let g = d.group[r];
            for (j, v) in zr.iter_mut().enumerate() {
                *v = d.z[(r, j)];
            }
            for (j, v) in xr.iter_mut().enumerate() {
                *v = d.x[(r, j)];
            }
            let y = d.y[r] - xr.iter().zip(shift.iter()).map(|(a, b)| a * b).sum::<f64>();
            let a = &mut ztz[g * q * q..(g + 1) * q * q];
            let b = &mut ztx[g * q * p..(g + 1) * q * p];
            for i in 0..q {
                for j in 0..q {
                    a[i * q + j] += zr[i] * zr[j];
                }
                for j in 0..p {
                    b[i * p + j] += zr[i] * xr[j];
                }
                zty[g * q + i] += zr[i] * y;
            }
        }
        let resid = DVector::from_column_slice(&d.y) - &d.x * &shift;
        let xty = d.x.tr_mul(&resid);
        let yty = resid.norm_squared();
        let classes = Classes::new(q, p, m, &ztz, &ztx, &zty);
        Self {
            classes,
            q,
            p,
            m,
            n,
            ztz,
            ztx,
            zty,
            xtx,
            xty,
            yty,
            shift,
        }
    }
}
