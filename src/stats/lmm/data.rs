//! The long-format input of a linear mixed model and its per-group sufficient statistics.
//!
//! An optional second grouping factor, nested (every group lies in one site), adds a random
//! intercept per site ([`LmmData::with_sites`]).

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
    pub(crate) sites: Option<Sites>,
}

/// The outer grouping factor: site of every row and of every group.
#[derive(Debug, Clone)]
pub(crate) struct Sites {
    /// Site code of every row.
    pub row: Vec<usize>,
    /// Site code of every group.
    pub of_group: Vec<usize>,
    /// Site labels.
    pub labels: Vec<String>,
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
            sites: None,
        })
    }

    /// Adds a second, outer grouping factor with a random intercept, nested: every group
    /// (patient) lies in exactly one site. `site` holds the site code of every row, indexing
    /// `site_labels`. The model becomes `y = Xβ + Z b_g + s_site + ε` with
    /// `s ~ N(0, σ²θ_s²)` independent of the groups' effects (lme4's
    /// `(… | patient) + (1 | site)`).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `site` does not have one code per row, a code has no label, a
    /// label has no row, a group has no row, or a group appears under two sites (naming the
    /// group and both sites).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::lmm::LmmData;
    /// let x = DMatrix::from_element(4, 1, 1.0);
    /// let z = DMatrix::from_element(4, 1, 1.0);
    /// let base = LmmData::new(
    ///     vec![1.0, 2.0, 1.5, 2.5], x, vec!["(Intercept)".into()],
    ///     z, vec!["(Intercept)".into()],
    ///     vec![0, 0, 1, 1], vec!["a".into(), "b".into()],
    /// )?;
    /// let nested = base.clone().with_sites(vec![0, 0, 1, 1], vec!["north".into(), "south".into()])?;
    /// assert_eq!(nested.n_sites(), 2);
    /// // patient `b` under two sites
    /// let err = base.with_sites(vec![0, 0, 0, 1], vec!["north".into(), "south".into()]);
    /// assert!(err.unwrap_err().to_string().contains("`b`"));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_sites(mut self, site: Vec<usize>, site_labels: Vec<String>) -> crate::Result<Self> {
        if site.len() != self.y.len() {
            return Err(Error::invalid_argument(
                "sites",
                format!("{} site codes for {} rows", site.len(), self.y.len()),
            ));
        }
        let mut of_group: Vec<Option<usize>> = vec![None; self.group_labels.len()];
        let mut used = vec![false; site_labels.len()];
        for (&g, &s) in self.group.iter().zip(&site) {
            let Some(u) = used.get_mut(s) else {
                return Err(Error::invalid_argument(
                    "sites",
                    format!("site code {s} has no label"),
                ));
            };
            *u = true;
            let name = |k: usize| site_labels.get(k).map_or("?", String::as_str);
            match of_group.get_mut(g) {
                Some(slot @ None) => *slot = Some(s),
                Some(Some(t)) if *t != s => {
                    return Err(Error::invalid_argument(
                        "sites",
                        format!(
                            "`{}` appears under two sites, `{}` and `{}`: groups must be nested in sites",
                            self.group_labels.get(g).map_or("?", String::as_str),
                            name(*t),
                            name(s)
                        ),
                    ));
                }
                _ => {}
            }
        }
        if let Some(k) = used.iter().position(|u| !u) {
            return Err(Error::invalid_argument(
                "sites",
                format!("site `{}` has no row", site_labels[k]),
            ));
        }
        let of_group = of_group
            .iter()
            .enumerate()
            .map(|(g, s)| {
                s.ok_or_else(|| {
                    Error::invalid_argument(
                        "sites",
                        format!("`{}` has no row", self.group_labels[g]),
                    )
                })
            })
            .collect::<crate::Result<Vec<usize>>>()?;
        self.sites = Some(Sites {
            row: site,
            of_group,
            labels: site_labels,
        });
        Ok(self)
    }

    /// The same data without the sites (the smaller model of a likelihood-ratio test of the
    /// site intercept).
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::lmm::LmmData;
    /// let data = LmmData::new(
    ///     vec![1.0, 2.0, 1.5, 2.5], DMatrix::from_element(4, 1, 1.0), vec!["(Intercept)".into()],
    ///     DMatrix::from_element(4, 1, 1.0), vec!["(Intercept)".into()],
    ///     vec![0, 0, 1, 1], vec!["a".into(), "b".into()],
    /// )?
    /// .with_sites(vec![0, 0, 1, 1], vec!["north".into(), "south".into()])?;
    /// assert_eq!(data.without_sites().n_sites(), 0);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn without_sites(&self) -> Self {
        Self {
            sites: None,
            ..self.clone()
        }
    }

    /// Number of sites (0 without [`LmmData::with_sites`]).
    ///
    /// # Examples
    ///
    /// See [`LmmData::with_sites`].
    pub fn n_sites(&self) -> usize {
        self.sites.as_ref().map_or(0, |s| s.labels.len())
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
    /// The sites, when the model has a site intercept.
    pub sites: Option<SiteBlocks>,
}

/// Per-site sums of the nested model (see the module docs of `criterion`).
#[derive(Debug, Clone)]
pub(crate) struct SiteBlocks {
    /// Number of sites.
    pub count: usize,
    /// Site of every group.
    pub of_group: Vec<usize>,
    /// Rows per site.
    pub n: Vec<f64>,
    /// `1'X_s`, p per site.
    pub xsum: Vec<f64>,
    /// `1'y_s` (of the OLS-shifted response).
    pub ysum: Vec<f64>,
    /// `Z_g'1`, q per group.
    pub zsum: Vec<f64>,
}

/// Classes of groups with identical designs (see [`Blocks::classes`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Classes {
    pub count: Vec<f64>,
    pub ztz: Vec<f64>,
    pub ztx: Vec<f64>,
    pub zty_sum: Vec<f64>,
    pub zty_outer: Vec<f64>,
    /// Site of the class (0 without sites).
    pub site: Vec<usize>,
    /// `Z_g'1` of the class, q each.
    pub zsum: Vec<f64>,
}

/// A fast hash of the bit patterns that key the classes (multiply–rotate per word; the keys
/// are computed numbers, not adversarial input, and equality is still checked in full).
#[derive(Debug, Clone, Copy, Default)]
struct BitsHash;

#[derive(Debug, Default)]
struct BitsHasher(u64);

impl std::hash::BuildHasher for BitsHash {
    type Hasher = BitsHasher;
    fn build_hasher(&self) -> BitsHasher {
        BitsHasher(0)
    }
}

impl std::hash::Hasher for BitsHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for word in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..word.len()].copy_from_slice(word);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

impl Classes {
    fn new(
        q: usize,
        p: usize,
        m: usize,
        (ztz, ztx, zty): (&[f64], &[f64], &[f64]),
        sites: Option<&SiteBlocks>,
    ) -> Self {
        use std::hash::Hasher;
        const NONE: usize = usize::MAX;
        // hash of a design -> the last class with that hash; classes with equal hashes are
        // chained through `next` and compared bit for bit (no key is stored: the class's own
        // Z'Z, Z'X, Z'1 and site are the key)
        let mut heads: std::collections::HashMap<u64, usize, BitsHash> =
            std::collections::HashMap::with_hasher(BitsHash);
        let mut next: Vec<usize> = Vec::new();
        let mut c = Classes::default();
        let same = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(u, v)| u.to_bits() == v.to_bits());
        for g in 0..m {
            let a = &ztz[g * q * q..(g + 1) * q * q];
            let b = &ztx[g * q * p..(g + 1) * q * p];
            let (site, zs) = match sites {
                Some(st) => (st.of_group[g], &st.zsum[g * q..(g + 1) * q]),
                None => (0, &[][..]),
            };
            // groups of one class share the site and Z_g'1 too (the site rows of the factor)
            let mut hasher = BitsHasher::default();
            a.iter()
                .chain(b)
                .chain(zs)
                .for_each(|v| hasher.write_u64(v.to_bits()));
            hasher.write_u64(site as u64);
            let h = hasher.finish();
            let head = heads.get(&h).copied().unwrap_or(NONE);
            let mut k = head;
            while k != NONE {
                if c.site[k] == site
                    && same(&c.ztz[k * q * q..(k + 1) * q * q], a)
                    && same(&c.ztx[k * q * p..(k + 1) * q * p], b)
                    && same(&c.zsum[k * zs.len()..(k + 1) * zs.len()], zs)
                {
                    break;
                }
                k = next[k];
            }
            if k == NONE {
                c.site.push(site);
                c.zsum.extend(zs.iter().copied());
                c.count.push(0.0);
                c.ztz.extend_from_slice(a);
                c.ztx.extend_from_slice(b);
                c.zty_sum.extend(std::iter::repeat_n(0.0, q));
                c.zty_outer.extend(std::iter::repeat_n(0.0, q * q));
                k = c.count.len() - 1;
                next.push(head);
                heads.insert(h, k);
            }
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
        let mut sites = d.sites.as_ref().map(|st| SiteBlocks {
            count: st.labels.len(),
            of_group: st.of_group.clone(),
            n: vec![0.0; st.labels.len()],
            xsum: vec![0.0; st.labels.len() * p],
            ysum: vec![0.0; st.labels.len()],
            zsum: vec![0.0; m * q],
        });
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
            if let (Some(sb), Some(st)) = (sites.as_mut(), d.sites.as_ref()) {
                let s = st.row[r];
                sb.n[s] += 1.0;
                sb.ysum[s] += y;
                for (acc, v) in sb.xsum[s * p..(s + 1) * p].iter_mut().zip(&xr) {
                    *acc += v;
                }
                for (acc, v) in sb.zsum[g * q..(g + 1) * q].iter_mut().zip(&zr) {
                    *acc += v;
                }
            }
        }
        let resid = DVector::from_column_slice(&d.y) - &d.x * &shift;
        let xty = d.x.tr_mul(&resid);
        let yty = resid.norm_squared();
        let classes = Classes::new(q, p, m, (&ztz, &ztx, &zty), sites.as_ref());
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
            sites,
        }
    }
}
