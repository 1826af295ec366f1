//! Aggregation of the data by (group, missingness pattern).
//!
//! For a block of subjects sharing the same group and the same set of observed visits
//! `V = (v_1 … v_m)`, the likelihood, its derivatives and every degrees-of-freedom term depend
//! on the data only through the cross-products
//!
//! ```text
//! Sxx[j,k] = Σ_i x_ij x_ik'   (p × p)     Sxy[j,k] = Σ_i x_ij y_ik   (p)     Syy[j,k] = Σ_i y_ij y_ik
//! ```
//!
//! for `j, k` in `1..m`. They are accumulated once, in one pass over the subjects; afterwards
//! every evaluation costs `O(blocks × m² × p²)`, independent of the number of subjects.

use crate::Error;

/// Cross-products of one (group, pattern) block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Covariance group of the block.
    pub group: usize,
    /// Observed visits, increasing.
    pub visits: Vec<usize>,
    /// Number of subjects.
    pub n: usize,
    /// `m*m` blocks of `p*p`: entry `((j*m + k)*p + a)*p + b` is `Σ_i x_ija x_ikb`.
    pub sxx: Vec<f64>,
    /// `m*m` blocks of `p`: entry `(j*m + k)*p + a` is `Σ_i x_ija y_ik`.
    pub sxy: Vec<f64>,
    /// `m*m`: entry `j*m + k` is `Σ_i y_ij y_ik`.
    pub syy: Vec<f64>,
    /// Spatial structures: Euclidean distances between the block's observations (all its
    /// subjects share these coordinates). `None` for structures over visits.
    pub dist: Option<nalgebra::DMatrix<f64>>,
}

impl Block {
    /// A block of group `group` over `visits` without subjects yet (`p` design columns).
    fn empty(
        group: usize,
        visits: Vec<usize>,
        p: usize,
        dist: Option<nalgebra::DMatrix<f64>>,
    ) -> Self {
        let m = visits.len();
        Self {
            group,
            visits,
            n: 0,
            sxx: vec![0.0; m * m * p * p],
            sxy: vec![0.0; m * m * p],
            syy: vec![0.0; m * m],
            dist,
        }
    }

    /// Adds one subject: `xs[j]` are the nonzero `(column, value)` entries of its design row
    /// at the block's `j`-th visit, `ys[j]` its response there. Fills the upper blocks
    /// (`j <= k`) of `Sxx` and `Syy` and all of `Sxy`.
    fn add_subject(&mut self, xs: &[Vec<(usize, f64)>], ys: &[f64], p: usize) {
        let m = self.m();
        let pp = p * p;
        self.n += 1;
        for j in 0..m {
            for k in j..m {
                let base = j * m + k;
                let sxx = &mut self.sxx[base * pp..(base + 1) * pp];
                for &(a, xa) in &xs[j] {
                    let r = &mut sxx[a * p..(a + 1) * p];
                    for &(c, xc) in &xs[k] {
                        r[c] += xa * xc;
                    }
                }
                let sxy = &mut self.sxy[base * p..(base + 1) * p];
                for &(a, xa) in &xs[j] {
                    sxy[a] += xa * ys[k];
                }
                if j != k {
                    let base2 = k * m + j;
                    let sxy2 = &mut self.sxy[base2 * p..(base2 + 1) * p];
                    for &(a, xa) in &xs[k] {
                        sxy2[a] += xa * ys[j];
                    }
                }
                self.syy[base] += ys[j] * ys[k];
            }
        }
    }

    /// Fills the lower blocks by symmetry: `Sxx[k,j] = Sxx[j,k]'`, `Syy` symmetric.
    fn fill_lower(&mut self, p: usize) {
        let m = self.m();
        let pp = p * p;
        for j in 0..m {
            for k in 0..j {
                let up = k * m + j;
                let lo = j * m + k;
                for a in 0..p {
                    for c in 0..p {
                        self.sxx[lo * pp + a * p + c] = self.sxx[up * pp + c * p + a];
                    }
                }
                self.syy[lo] = self.syy[up];
            }
        }
    }

    pub fn m(&self) -> usize {
        self.visits.len()
    }

    /// Residual cross-products `S[j,k] = Σ_i r_ij r_ik` at `β` (`r = y − Xβ`), `m × m`.
    pub fn residual_cross_products(&self, beta: &[f64]) -> nalgebra::DMatrix<f64> {
        let (m, p) = (self.m(), beta.len());
        let pp = p * p;
        let dot = |x: &[f64]| x.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>();
        nalgebra::DMatrix::from_fn(m, m, |j, k| {
            let base = j * m + k;
            let sx = &self.sxx[base * pp..(base + 1) * pp];
            let quad: f64 = (0..p).map(|a| beta[a] * dot(&sx[a * p..(a + 1) * p])).sum();
            let bj = dot(&self.sxy[base * p..(base + 1) * p]);
            let base2 = k * m + j;
            let bk = dot(&self.sxy[base2 * p..(base2 + 1) * p]);
            self.syy[base] - bj - bk + quad
        })
    }

    /// `τ[j,k] = tr(A Sxx[j,k])` for a symmetric `p × p` matrix `A` given column-major.
    pub fn trace_products(&self, a: &[f64]) -> nalgebra::DMatrix<f64> {
        let m = self.m();
        let pp = a.len();
        nalgebra::DMatrix::from_fn(m, m, |j, k| {
            let base = j * m + k;
            self.sxx[base * pp..(base + 1) * pp]
                .iter()
                .zip(a)
                .map(|(x, y)| x * y)
                .sum()
        })
    }
}

/// All blocks plus counts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Aggregate {
    pub p: usize,
    pub n_visits: usize,
    pub n_groups: usize,
    pub blocks: Vec<Block>,
    pub n_obs: usize,
    pub n_subjects: usize,
    /// Observations per visit.
    pub obs_per_visit: Vec<usize>,
}

/// Checks per-observation coordinate columns: one value per row, all finite.
pub(crate) fn check_coordinates(cols: &[&[f64]], n: usize) -> crate::Result<()> {
    for c in cols {
        if c.len() != n {
            return Err(Error::invalid_argument(
                "coordinates",
                format!("a coordinate column has {} rows, expected {n}", c.len()),
            ));
        }
        if let Some(i) = c.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid_argument(
                "coordinates",
                format!("row {i}: coordinate {} is not finite", c[i]),
            ));
        }
    }
    Ok(())
}

/// Long-format rows with their visit and covariance-group structure.
pub(crate) struct Rows<'a> {
    /// Subject index of each row (dense, `0..n_subjects`).
    pub subject: &'a [usize],
    /// Visit index of each row (`0..n_visits`).
    pub visit: &'a [usize],
    /// Response of each row.
    pub response: &'a [f64],
    /// Covariance group of each row (constant within subject); `None` for one group.
    pub group: Option<&'a [usize]>,
    /// Number of covariance groups.
    pub n_groups: usize,
    /// Number of visits.
    pub n_visits: usize,
}

/// Groups rows by subject (counting sort), checks them, and accumulates block cross-products.
///
/// `row` fills the nonzero entries `(column, value)` of the design row of an observation
/// (`p` columns). `spatial`: `None` for structures over visits; `Some(columns)` for spatial
/// structures, with one slice per coordinate (an empty list uses the visit position as the
/// coordinate). Blocks are then keyed by the coordinates as well, and carry their distance
/// matrix.
pub(crate) fn aggregate(
    rows: &Rows<'_>,
    p: usize,
    spatial: Option<&[&[f64]]>,
    mut row: impl FnMut(usize, &mut Vec<(usize, f64)>),
) -> crate::Result<Aggregate> {
    check_rows(rows, spatial)?;
    let visit = rows.visit;
    let (start, mut order) = order_by_subject(rows.subject)?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut index: std::collections::HashMap<(usize, u128, Vec<u64>), usize> =
        std::collections::HashMap::new();
    let mut coords: Vec<f64> = Vec::new();
    let mut obs_per_visit = vec![0usize; rows.n_visits];
    let mut n_subjects = 0usize;
    let mut xs: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for s in 0..start.len() - 1 {
        let subject_rows = &mut order[start[s]..start[s + 1]];
        if subject_rows.is_empty() {
            continue;
        }
        subject_rows.sort_unstable_by_key(|&i| visit[i]);
        let g = subject_group(rows.group, subject_rows, s)?;
        let mask = visit_mask(visit, subject_rows, s, &mut obs_per_visit)?;
        n_subjects += 1;
        if g >= rows.n_groups.max(1) {
            return Err(Error::invalid_argument(
                "group",
                format!(
                    "subject {s}: group code {g} is not below {}",
                    rows.n_groups.max(1)
                ),
            ));
        }
        let m = subject_rows.len();
        subject_coordinates(spatial, visit, subject_rows, &mut coords);
        let dist = match spatial {
            Some(_) => Some(distances(&coords, subject_rows, s)?),
            None => None,
        };
        let key_coords: Vec<u64> = coords.iter().map(|x| x.to_bits()).collect();
        let b = *index.entry((g, mask, key_coords)).or_insert_with(|| {
            blocks.push(Block::empty(
                g,
                subject_rows.iter().map(|&i| visit[i]).collect(),
                p,
                dist,
            ));
            blocks.len() - 1
        });
        xs.resize_with(m.max(xs.len()), Vec::new);
        ys.clear();
        for (j, &i) in subject_rows.iter().enumerate() {
            xs[j].clear();
            row(i, &mut xs[j]);
            ys.push(rows.response[i]);
        }
        blocks[b].add_subject(&xs[..m], &ys, p);
    }
    for blk in &mut blocks {
        blk.fill_lower(p);
    }
    // Deterministic block order (group, then pattern size, then visits).
    blocks.sort_by(|a, b| {
        (a.group, a.visits.len(), &a.visits).cmp(&(b.group, b.visits.len(), &b.visits))
    });
    Ok(Aggregate {
        p,
        n_visits: rows.n_visits,
        n_groups: rows.n_groups.max(1),
        blocks,
        n_obs: rows.subject.len(),
        n_subjects,
        obs_per_visit,
    })
}

/// Checks lengths, the number of visits, finite responses, visit indices and coordinates.
fn check_rows(rows: &Rows<'_>, spatial: Option<&[&[f64]]>) -> crate::Result<()> {
    let (visit, response, n_visits) = (rows.visit, rows.response, rows.n_visits);
    let n = rows.subject.len();
    if visit.len() != n || response.len() != n {
        return Err(Error::invalid_argument(
            "visit",
            format!(
                "subject, visit and response must have the same length (got {}, {}, {})",
                n,
                visit.len(),
                response.len()
            ),
        ));
    }
    if n_visits == 0 || n_visits > 128 {
        return Err(Error::invalid_argument(
            "visit_labels",
            format!("the number of visits must be between 1 and 128 (got {n_visits})"),
        ));
    }
    if let Some(i) = response.iter().position(|y| !y.is_finite()) {
        return Err(Error::invalid_argument(
            "response",
            format!("row {i}: response is not finite (omit missing visits instead)"),
        ));
    }
    if let Some(i) = visit.iter().position(|&v| v >= n_visits) {
        return Err(Error::invalid_argument(
            "visit",
            format!(
                "row {i}: visit index {} is not below the number of visits {n_visits}",
                visit[i]
            ),
        ));
    }
    if let Some(cols) = spatial {
        check_coordinates(cols, n)?;
    }
    Ok(())
}

/// Rows ordered by subject (counting sort): subject `s` owns `order[start[s]..start[s + 1]]`.
/// Subject indices must be dense.
fn order_by_subject(subject: &[usize]) -> crate::Result<(Vec<usize>, Vec<usize>)> {
    let n = subject.len();
    let max_subject = subject.iter().copied().max().unwrap_or(0);
    if max_subject > 16 * n.max(1) + 1024 {
        return Err(Error::invalid_argument(
            "subject",
            format!(
                "subject indices must be dense (0..n_subjects); found {max_subject} for {n} rows"
            ),
        ));
    }
    let n_slots = max_subject + 1;
    let mut start = vec![0usize; n_slots + 1];
    for &s in subject {
        start[s + 1] += 1;
    }
    for s in 0..n_slots {
        start[s + 1] += start[s];
    }
    let mut fill = start.clone();
    let mut order = vec![0usize; n];
    for (i, &s) in subject.iter().enumerate() {
        order[fill[s]] = i;
        fill[s] += 1;
    }
    Ok((start, order))
}

/// The covariance group of subject `s` (rows `subject_rows`), which must not change between its rows.
fn subject_group(
    group_of_row: Option<&[usize]>,
    subject_rows: &[usize],
    s: usize,
) -> crate::Result<usize> {
    let Some(gr) = group_of_row else {
        return Ok(0);
    };
    let g0 = gr[subject_rows[0]];
    if let Some(&i) = subject_rows.iter().find(|&&i| gr[i] != g0) {
        return Err(Error::invalid_argument(
            "group",
            format!("subject {s} changes covariance group (row {i})"),
        ));
    }
    Ok(g0)
}

/// The set of visits of subject `s` (rows `subject_rows`, sorted by visit) as a bit mask, counted into
/// `obs_per_visit`; a visit may appear once.
fn visit_mask(
    visit: &[usize],
    subject_rows: &[usize],
    s: usize,
    obs_per_visit: &mut [usize],
) -> crate::Result<u128> {
    for w in subject_rows.windows(2) {
        if visit[w[0]] == visit[w[1]] {
            return Err(Error::invalid_argument(
                "visit",
                format!(
                    "subject {s} has two rows for visit index {} (rows {} and {})",
                    visit[w[0]], w[0], w[1]
                ),
            ));
        }
    }
    let mut mask: u128 = 0;
    for &i in subject_rows {
        mask |= 1u128 << visit[i];
        obs_per_visit[visit[i]] += 1;
    }
    Ok(mask)
}

/// The coordinates of the rows `subject_rows` (row-major) into `out`: the given columns, the
/// visit position for spatial structures without coordinates, nothing otherwise.
fn subject_coordinates(
    spatial: Option<&[&[f64]]>,
    visit: &[usize],
    subject_rows: &[usize],
    out: &mut Vec<f64>,
) {
    out.clear();
    for &i in subject_rows {
        match spatial {
            Some([]) => out.push(visit[i] as f64),
            Some(cols) => out.extend(cols.iter().map(|c| c[i])),
            None => {}
        }
    }
}

/// Euclidean distances between the observations of subject `s` (rows `subject_rows`), from their
/// coordinates (row-major, `subject_rows.len()` rows); two observations may not coincide.
fn distances(
    coords: &[f64],
    subject_rows: &[usize],
    s: usize,
) -> crate::Result<nalgebra::DMatrix<f64>> {
    let m = subject_rows.len();
    let dims = coords.len() / m;
    let d = nalgebra::DMatrix::from_fn(m, m, |a, b| {
        (0..dims)
            .map(|c| (coords[a * dims + c] - coords[b * dims + c]).powi(2))
            .sum::<f64>()
            .sqrt()
    });
    if let Some((a, b)) = (0..m)
        .flat_map(|a| (0..a).map(move |b| (a, b)))
        .find(|&(a, b)| d[(a, b)] == 0.0)
    {
        return Err(Error::invalid_argument(
            "coordinates",
            format!(
                "subject {s}: rows {} and {} have the same coordinates; the spatial \
                 covariance would be singular",
                subject_rows[b], subject_rows[a]
            ),
        ));
    }
    Ok(d)
}
