//! Covariance structures over visits, in the natural (SAS PROC MIXED) parametrization.
//!
//! Each structure gives `Σ(φ)` for one covariance block together with its first and second
//! derivatives with respect to the parameters `φ`. The parametrization is the one SAS prints
//! (variances, covariances and correlations), so that covariance-parameter estimates, their
//! derivatives and the Kenward–Roger second-derivative terms match SAS.

use nalgebra::DMatrix;

/// Within-subject covariance structure over the visits.
///
/// Parameters are named as SAS PROC MIXED prints them (see [`CovarianceStructure::parameter_names`]).
///
/// | structure | SAS `type=` | parameters (v visits) |
/// |---|---|---|
/// | `Unstructured` | `UN` | v(v+1)/2 covariances `UN(i,j)` |
/// | `CompoundSymmetry` | `CS` | common covariance `CS`, `Residual` |
/// | `HeterogeneousCompoundSymmetry` | `CSH` | `Var(1..v)`, correlation `CSH` |
/// | `Ar1` | `AR(1)` | `AR(1)` correlation, `Residual` variance |
/// | `HeterogeneousAr1` | `ARH(1)` | `Var(1..v)`, `ARH(1)` |
/// | `Toeplitz` | `TOEP` | lag covariances `TOEP(1)` (lag 0) … `TOEP(v)` |
/// | `HeterogeneousToeplitz` | `TOEPH` | `Var(1..v)`, lag correlations `TOEPH(1..v-1)` |
/// | `AnteDependence` | `ANTE(1)` | `Var(1..v)`, `Rho(1..v-1)` (heterogeneous, first order) |
/// | `SpatialExponential` | `SP(EXP)(c-list)` | range `SP(EXP)`, `Residual` variance |
///
/// The spatial exponential structure is `Σ_jk = σ² exp(−d_jk / θ)` with `d_jk` the Euclidean
/// distance between the coordinates of a subject's observations `j` and `k` (for example the
/// actual study day, which need not fall on the nominal visit). Coordinates come from
/// [`MmrmData::with_coordinates`](super::MmrmData::with_coordinates); without them the visit
/// positions `0, 1, 2, …` are used, which makes it an AR(1) with `ρ = exp(−1/θ)`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::CovarianceStructure;
/// assert_eq!(CovarianceStructure::Unstructured.n_parameters(4), 10);
/// assert_eq!(CovarianceStructure::AnteDependence.n_parameters(4), 7);
/// assert_eq!(CovarianceStructure::Ar1.parameter_names(3), vec!["AR(1)", "Residual"]);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceStructure {
    /// Unstructured (`UN`, mmrm `us`).
    Unstructured,
    /// Compound symmetry (`CS`).
    CompoundSymmetry,
    /// Heterogeneous compound symmetry (`CSH`).
    HeterogeneousCompoundSymmetry,
    /// First-order autoregressive (`AR(1)`).
    Ar1,
    /// Heterogeneous first-order autoregressive (`ARH(1)`).
    HeterogeneousAr1,
    /// Toeplitz (`TOEP`).
    Toeplitz,
    /// Heterogeneous Toeplitz (`TOEPH`).
    HeterogeneousToeplitz,
    /// Heterogeneous first-order ante-dependence (`ANTE(1)`, mmrm `adh`).
    AnteDependence,
    /// Spatial exponential over observation coordinates (`SP(EXP)`, mmrm `sp_exp`).
    SpatialExponential,
}

impl CovarianceStructure {
    /// Number of covariance parameters for `v` visits.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::CovarianceStructure;
    /// assert_eq!(CovarianceStructure::Toeplitz.n_parameters(6), 6);
    /// ```
    pub fn n_parameters(self, v: usize) -> usize {
        self.parameter_names(v).len()
    }

    /// Parameter names as SAS prints them.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::CovarianceStructure;
    /// let n = CovarianceStructure::Unstructured.parameter_names(2);
    /// assert_eq!(n, vec!["UN(1,1)", "UN(2,1)", "UN(2,2)"]);
    /// ```
    pub fn parameter_names(self, v: usize) -> Vec<String> {
        let vars = || (1..=v).map(|j| format!("Var({j})")).collect::<Vec<_>>();
        match self {
            CovarianceStructure::Unstructured => {
                let mut n = Vec::new();
                for a in 0..v {
                    for b in 0..=a {
                        n.push(format!("UN({},{})", a + 1, b + 1));
                    }
                }
                n
            }
            CovarianceStructure::CompoundSymmetry => vec!["CS".into(), "Residual".into()],
            CovarianceStructure::HeterogeneousCompoundSymmetry => {
                let mut n = vars();
                n.push("CSH".into());
                n
            }
            CovarianceStructure::Ar1 => vec!["AR(1)".into(), "Residual".into()],
            CovarianceStructure::HeterogeneousAr1 => {
                let mut n = vars();
                n.push("ARH(1)".into());
                n
            }
            CovarianceStructure::Toeplitz => (1..=v).map(|d| format!("TOEP({d})")).collect(),
            CovarianceStructure::HeterogeneousToeplitz => {
                let mut n = vars();
                n.extend((1..v).map(|d| format!("TOEPH({d})")));
                n
            }
            CovarianceStructure::AnteDependence => {
                let mut n = vars();
                n.extend((1..v).map(|d| format!("Rho({d})")));
                n
            }
            CovarianceStructure::SpatialExponential => vec!["SP(EXP)".into(), "Residual".into()],
        }
    }

    /// Short code (`us`, `cs`, `csh`, `ar1`, `arh1`, `toep`, `toeph`, `ad`, `sp_exp`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::CovarianceStructure;
    /// assert_eq!(CovarianceStructure::HeterogeneousAr1.code(), "arh1");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            CovarianceStructure::Unstructured => "us",
            CovarianceStructure::CompoundSymmetry => "cs",
            CovarianceStructure::HeterogeneousCompoundSymmetry => "csh",
            CovarianceStructure::Ar1 => "ar1",
            CovarianceStructure::HeterogeneousAr1 => "arh1",
            CovarianceStructure::Toeplitz => "toep",
            CovarianceStructure::HeterogeneousToeplitz => "toeph",
            CovarianceStructure::AnteDependence => "ad",
            CovarianceStructure::SpatialExponential => "sp_exp",
        }
    }
}

/// Correlation function of the "scaled correlation" structures.
#[derive(Debug, Clone, Copy)]
enum Corr {
    /// One common correlation.
    Exchangeable,
    /// `ρ^|a-b|`.
    Ar1,
    /// One correlation per lag.
    Banded,
    /// Product of successive correlations.
    Ante,
}

/// A structure on `v` visits, ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) struct CovModel {
    pub structure: CovarianceStructure,
    pub v: usize,
    pub n_par: usize,
    /// Typical distance between two observations of a subject (spatial structures; sets the
    /// starting range). 1 by default.
    pub distance_scale: f64,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `Σ = Σ_k φ_k B_k`.
    Linear(Vec<DMatrix<f64>>),
    /// `Σ_ab = sqrt(V_{m(a)} V_{m(b)}) C_ab(ρ)`; parameters ordered as in `layout`.
    Scaled {
        /// Index of the variance parameter of each visit (into the variance list).
        var_of_visit: Vec<usize>,
        n_var: usize,
        n_corr: usize,
        corr: Corr,
        /// Position of the variances and correlations in φ.
        var_pos: Vec<usize>,
        corr_pos: Vec<usize>,
    },
    /// `Σ_jk = σ² exp(−d_jk/θ)`, φ = (θ, σ²); per block from its distance matrix.
    SpatialExp,
}

impl CovModel {
    pub fn new(structure: CovarianceStructure, v: usize) -> Self {
        let n_par = structure.n_parameters(v);
        let kind = match structure {
            CovarianceStructure::Unstructured => {
                let mut basis = Vec::with_capacity(n_par);
                for a in 0..v {
                    for b in 0..=a {
                        let mut m = DMatrix::zeros(v, v);
                        m[(a, b)] = 1.0;
                        m[(b, a)] = 1.0;
                        basis.push(m);
                    }
                }
                Kind::Linear(basis)
            }
            CovarianceStructure::CompoundSymmetry => Kind::Linear(vec![
                DMatrix::from_element(v, v, 1.0),
                DMatrix::identity(v, v),
            ]),
            CovarianceStructure::Toeplitz => {
                let basis = (0..v)
                    .map(|d| {
                        DMatrix::from_fn(v, v, |a, b| if a.abs_diff(b) == d { 1.0 } else { 0.0 })
                    })
                    .collect();
                Kind::Linear(basis)
            }
            CovarianceStructure::Ar1 => Kind::Scaled {
                var_of_visit: vec![0; v],
                n_var: 1,
                n_corr: 1,
                corr: Corr::Ar1,
                var_pos: vec![1],
                corr_pos: vec![0],
            },
            CovarianceStructure::HeterogeneousCompoundSymmetry
            | CovarianceStructure::HeterogeneousAr1 => Kind::Scaled {
                var_of_visit: (0..v).collect(),
                n_var: v,
                n_corr: 1,
                corr: if structure == CovarianceStructure::HeterogeneousAr1 {
                    Corr::Ar1
                } else {
                    Corr::Exchangeable
                },
                var_pos: (0..v).collect(),
                corr_pos: vec![v],
            },
            CovarianceStructure::HeterogeneousToeplitz | CovarianceStructure::AnteDependence => {
                Kind::Scaled {
                    var_of_visit: (0..v).collect(),
                    n_var: v,
                    n_corr: v.saturating_sub(1),
                    corr: if structure == CovarianceStructure::AnteDependence {
                        Corr::Ante
                    } else {
                        Corr::Banded
                    },
                    var_pos: (0..v).collect(),
                    corr_pos: (v..v + v.saturating_sub(1)).collect(),
                }
            }
            CovarianceStructure::SpatialExponential => Kind::SpatialExp,
        };
        Self {
            structure,
            v,
            n_par,
            distance_scale: 1.0,
            kind,
        }
    }

    /// Whether `Σ` is linear in the parameters (`Σ = Σ_k φ_k B_k`: UN, CS, TOEP).
    pub fn is_linear(&self) -> bool {
        matches!(self.kind, Kind::Linear(_))
    }

    /// Whether `Σ` depends on per-observation coordinates (blocks carry distance matrices).
    pub fn is_spatial(&self) -> bool {
        matches!(self.kind, Kind::SpatialExp)
    }

    /// Distances between visit positions `0, 1, …` (spatial structures without coordinates).
    fn visit_distances(&self) -> DMatrix<f64> {
        DMatrix::from_fn(self.v, self.v, |a, b| a.abs_diff(b) as f64)
    }

    /// `Σ` of one block: the group's `Σ` (`full`) restricted to the block's visits, or, for
    /// spatial structures, computed from the block's distances.
    pub fn block_sigma(
        &self,
        phi: &[f64],
        full: &DMatrix<f64>,
        visits: &[usize],
        dist: Option<&DMatrix<f64>>,
    ) -> DMatrix<f64> {
        match dist {
            Some(d) => Self::spatial_sigma(phi, d),
            None => restrict(full, visits),
        }
    }

    /// Nonzero `∂Σ/∂φ_k` of one block, as `(k, matrix)`; `full` are the group's derivatives
    /// (unused for spatial structures, which use the block's distances).
    pub fn block_d_sigma(
        &self,
        phi: &[f64],
        full: &[DMatrix<f64>],
        visits: &[usize],
        dist: Option<&DMatrix<f64>>,
    ) -> Vec<(usize, DMatrix<f64>)> {
        match dist {
            Some(d) => Self::spatial_d_sigma(phi, d)
                .into_iter()
                .enumerate()
                .collect(),
            None => full
                .iter()
                .enumerate()
                .map(|(k, dk)| (k, restrict(dk, visits)))
                .filter(|(_, a)| a.iter().any(|z| *z != 0.0))
                .collect(),
        }
    }

    /// `∂²Σ/∂φ_k∂φ_l` (`k <= l`) of one block; `full` are the group's second derivatives.
    pub fn block_d2_sigma(
        &self,
        phi: &[f64],
        full: &[(usize, usize, DMatrix<f64>)],
        visits: &[usize],
        dist: Option<&DMatrix<f64>>,
    ) -> Vec<(usize, usize, DMatrix<f64>)> {
        match dist {
            Some(d) => Self::spatial_d2_sigma(phi, d),
            None => full
                .iter()
                .map(|(k, l, d)| (*k, *l, restrict(d, visits)))
                .collect(),
        }
    }

    /// Spatial exponential `Σ` for a distance matrix.
    pub fn spatial_sigma(phi: &[f64], dist: &DMatrix<f64>) -> DMatrix<f64> {
        let (theta, s2) = (phi[0], phi[1]);
        dist.map(|d| s2 * (-d / theta).exp())
    }

    /// Spatial exponential first derivatives (θ, σ²) for a distance matrix.
    pub fn spatial_d_sigma(phi: &[f64], dist: &DMatrix<f64>) -> Vec<DMatrix<f64>> {
        let (theta, s2) = (phi[0], phi[1]);
        vec![
            dist.map(|d| s2 * (-d / theta).exp() * d / (theta * theta)),
            dist.map(|d| (-d / theta).exp()),
        ]
    }

    /// Spatial exponential second derivatives `(k, l, ∂²Σ)`, `k <= l`.
    pub fn spatial_d2_sigma(phi: &[f64], dist: &DMatrix<f64>) -> Vec<(usize, usize, DMatrix<f64>)> {
        let (theta, s2) = (phi[0], phi[1]);
        let t2 = theta * theta;
        vec![
            (
                0,
                0,
                dist.map(|d| {
                    s2 * (-d / theta).exp() * (d * d / (t2 * t2) - 2.0 * d / (t2 * theta))
                }),
            ),
            (0, 1, dist.map(|d| (-d / theta).exp() * d / t2)),
        ]
    }

    fn split(&self, phi: &[f64]) -> (Vec<f64>, Vec<f64>) {
        match &self.kind {
            Kind::Linear(_) | Kind::SpatialExp => (Vec::new(), Vec::new()),
            Kind::Scaled {
                var_pos, corr_pos, ..
            } => (
                var_pos.iter().map(|&i| phi[i]).collect(),
                corr_pos.iter().map(|&i| phi[i]).collect(),
            ),
        }
    }

    /// Whether `φ` lies inside the parameter space (variances positive, correlations in
    /// (-1, 1) where the structure requires it). Positive definiteness is checked separately.
    pub fn admissible(&self, phi: &[f64]) -> bool {
        if phi.len() != self.n_par || phi.iter().any(|x| !x.is_finite()) {
            return false;
        }
        match &self.kind {
            Kind::Linear(_) => true,
            Kind::SpatialExp => phi[0] > 0.0 && phi[1] > 0.0,
            Kind::Scaled { .. } => {
                let (var, rho) = self.split(phi);
                var.iter().all(|&x| x > 0.0) && rho.iter().all(|&r| r.abs() < 1.0)
            }
        }
    }

    /// `Σ(φ)`.
    pub fn sigma(&self, phi: &[f64]) -> DMatrix<f64> {
        let v = self.v;
        match &self.kind {
            Kind::Linear(basis) => {
                let mut s = DMatrix::zeros(v, v);
                for (b, &p) in basis.iter().zip(phi) {
                    s += b * p;
                }
                s
            }
            Kind::Scaled {
                var_of_visit, corr, ..
            } => {
                let (var, rho) = self.split(phi);
                let sd: Vec<f64> = var_of_visit
                    .iter()
                    .map(|&k| var[k].max(0.0).sqrt())
                    .collect();
                DMatrix::from_fn(v, v, |a, b| sd[a] * sd[b] * corr_value(*corr, &rho, a, b))
            }
            Kind::SpatialExp => Self::spatial_sigma(phi, &self.visit_distances()),
        }
    }

    /// `∂Σ/∂φ_k` for every k.
    pub fn d_sigma(&self, phi: &[f64]) -> Vec<DMatrix<f64>> {
        let v = self.v;
        match &self.kind {
            Kind::Linear(basis) => basis.clone(),
            Kind::SpatialExp => Self::spatial_d_sigma(phi, &self.visit_distances()),
            Kind::Scaled {
                var_of_visit,
                n_var,
                n_corr,
                corr,
                var_pos,
                corr_pos,
            } => {
                let (var, rho) = self.split(phi);
                let sd: Vec<f64> = var_of_visit
                    .iter()
                    .map(|&k| var[k].max(0.0).sqrt())
                    .collect();
                let sigma = self.sigma(phi);
                let mut out = vec![DMatrix::zeros(v, v); self.n_par];
                for j in 0..*n_var {
                    let m = &mut out[var_pos[j]];
                    for a in 0..v {
                        for b in 0..v {
                            let n = (var_of_visit[a] == j) as u8 + (var_of_visit[b] == j) as u8;
                            if n > 0 {
                                m[(a, b)] = sigma[(a, b)] * f64::from(n) / (2.0 * var[j]);
                            }
                        }
                    }
                }
                for r in 0..*n_corr {
                    let m = &mut out[corr_pos[r]];
                    for a in 0..v {
                        for b in 0..v {
                            if a != b {
                                m[(a, b)] = sd[a] * sd[b] * corr_d1(*corr, &rho, a, b, r);
                            }
                        }
                    }
                }
                out
            }
        }
    }

    /// Nonzero second derivatives `∂²Σ/∂φ_k∂φ_l` for `k <= l`.
    pub fn d2_sigma(&self, phi: &[f64]) -> Vec<(usize, usize, DMatrix<f64>)> {
        let v = self.v;
        match &self.kind {
            Kind::Linear(_) => Vec::new(),
            Kind::SpatialExp => Self::spatial_d2_sigma(phi, &self.visit_distances()),
            Kind::Scaled {
                var_of_visit,
                n_var,
                n_corr,
                corr,
                var_pos,
                corr_pos,
            } => {
                let (var, rho) = self.split(phi);
                let sd: Vec<f64> = var_of_visit
                    .iter()
                    .map(|&k| var[k].max(0.0).sqrt())
                    .collect();
                let sigma = self.sigma(phi);
                let cnt = |a: usize, b: usize, j: usize| {
                    f64::from((var_of_visit[a] == j) as u8 + (var_of_visit[b] == j) as u8) / 2.0
                };
                let mut out = Vec::new();
                let mut push = |k: usize, l: usize, m: DMatrix<f64>| {
                    if m.iter().any(|x| *x != 0.0) {
                        let (k, l) = if k <= l { (k, l) } else { (l, k) };
                        out.push((k, l, m));
                    }
                };
                for j in 0..*n_var {
                    for l in j..*n_var {
                        let m = DMatrix::from_fn(v, v, |a, b| {
                            let (hj, hl) = (cnt(a, b, j), cnt(a, b, l));
                            let c = if j == l { hj * hj - hj } else { hj * hl };
                            sigma[(a, b)] * c / (var[j] * var[l])
                        });
                        push(var_pos[j], var_pos[l], m);
                    }
                    for (r, &pos) in corr_pos.iter().enumerate().take(*n_corr) {
                        let m = DMatrix::from_fn(v, v, |a, b| {
                            if a == b {
                                0.0
                            } else {
                                cnt(a, b, j) / var[j]
                                    * sd[a]
                                    * sd[b]
                                    * corr_d1(*corr, &rho, a, b, r)
                            }
                        });
                        push(var_pos[j], pos, m);
                    }
                }
                for r in 0..*n_corr {
                    for s in r..*n_corr {
                        let m = DMatrix::from_fn(v, v, |a, b| {
                            if a == b {
                                0.0
                            } else {
                                sd[a] * sd[b] * corr_d2(*corr, &rho, a, b, r, s)
                            }
                        });
                        push(corr_pos[r], corr_pos[s], m);
                    }
                }
                out
            }
        }
    }

    /// Starting values from an empirical covariance matrix (positive definite) of residuals.
    pub fn start(&self, emp: &DMatrix<f64>) -> Vec<f64> {
        let v = self.v;
        let diag: Vec<f64> = (0..v).map(|a| emp[(a, a)].max(1e-8)).collect();
        let mean_var = diag.iter().sum::<f64>() / v as f64;
        let corr = |a: usize, b: usize| emp[(a, b)] / (diag[a] * diag[b]).sqrt();
        let lag_corr = |d: usize| {
            let (mut s, mut n) = (0.0, 0.0);
            for a in 0..v.saturating_sub(d) {
                s += corr(a, a + d);
                n += 1.0;
            }
            if n > 0.0 { s / n } else { 0.0 }
        };
        let mean_corr = {
            let (mut s, mut n) = (0.0, 0.0);
            for a in 0..v {
                for b in 0..a {
                    s += corr(a, b);
                    n += 1.0;
                }
            }
            if n > 0.0 { s / n } else { 0.0 }
        };
        let lower = if v > 1 { -1.0 / (v as f64 - 1.0) } else { -1.0 };
        let cs_rho = mean_corr.clamp(lower * 0.9, 0.9);
        match self.structure {
            CovarianceStructure::Unstructured => {
                let mut phi = Vec::with_capacity(self.n_par);
                for a in 0..v {
                    for b in 0..=a {
                        phi.push(emp[(a, b)]);
                    }
                }
                phi
            }
            CovarianceStructure::CompoundSymmetry => {
                vec![cs_rho * mean_var, (1.0 - cs_rho) * mean_var]
            }
            CovarianceStructure::HeterogeneousCompoundSymmetry => {
                let mut phi = diag.clone();
                phi.push(cs_rho);
                phi
            }
            CovarianceStructure::Ar1 => vec![lag_corr(1).clamp(-0.9, 0.9), mean_var],
            CovarianceStructure::HeterogeneousAr1 => {
                let mut phi = diag.clone();
                phi.push(lag_corr(1).clamp(-0.9, 0.9));
                phi
            }
            CovarianceStructure::Toeplitz | CovarianceStructure::HeterogeneousToeplitz => {
                // Lag correlations shrunk toward zero until the matrix is positive definite.
                let rho: Vec<f64> = (1..v).map(|d| lag_corr(d).clamp(-0.9, 0.9)).collect();
                let mut shrink = 1.0;
                for _ in 0..60 {
                    let c = DMatrix::from_fn(v, v, |a, b| {
                        if a == b {
                            1.0
                        } else {
                            shrink * rho[a.abs_diff(b) - 1]
                        }
                    });
                    if c.cholesky().is_some() {
                        break;
                    }
                    shrink *= 0.8;
                }
                if self.structure == CovarianceStructure::Toeplitz {
                    let mut phi = vec![mean_var];
                    phi.extend(rho.iter().map(|r| shrink * r * mean_var));
                    phi
                } else {
                    let mut phi = diag.clone();
                    phi.extend(rho.iter().map(|r| shrink * r));
                    phi
                }
            }
            CovarianceStructure::AnteDependence => {
                let mut phi = diag.clone();
                phi.extend((0..v.saturating_sub(1)).map(|a| corr(a, a + 1).clamp(-0.9, 0.9)));
                phi
            }
            CovarianceStructure::SpatialExponential => {
                // Correlation r̄ at the typical distance d̄: θ = d̄ / −ln r̄.
                let r = mean_corr.clamp(0.05, 0.9);
                vec![self.distance_scale / -r.ln(), mean_var]
            }
        }
    }

    /// A neutral start: equal variances `s2`, no correlation.
    pub fn start_identity(&self, s2: f64) -> Vec<f64> {
        let v = self.v;
        match self.structure {
            CovarianceStructure::Unstructured => {
                let mut phi = Vec::with_capacity(self.n_par);
                for a in 0..v {
                    for b in 0..=a {
                        phi.push(if a == b { s2 } else { 0.0 });
                    }
                }
                phi
            }
            CovarianceStructure::CompoundSymmetry => vec![0.0, s2],
            CovarianceStructure::Ar1 => vec![0.0, s2],
            // Correlation e^-3 ≈ 0.05 at the typical distance.
            CovarianceStructure::SpatialExponential => vec![self.distance_scale / 3.0, s2],
            CovarianceStructure::Toeplitz => {
                let mut phi = vec![0.0; v];
                phi[0] = s2;
                phi
            }
            _ => {
                let mut phi = vec![s2; v];
                phi.resize(self.n_par, 0.0);
                phi
            }
        }
    }
}

/// Rows and columns `visits` of a visits × visits matrix.
pub(crate) fn restrict(full: &DMatrix<f64>, visits: &[usize]) -> DMatrix<f64> {
    let m = visits.len();
    DMatrix::from_fn(m, m, |a, b| full[(visits[a], visits[b])])
}

fn corr_value(corr: Corr, rho: &[f64], a: usize, b: usize) -> f64 {
    if a == b {
        return 1.0;
    }
    let d = a.abs_diff(b);
    match corr {
        Corr::Exchangeable => rho[0],
        Corr::Ar1 => rho[0].powi(d as i32),
        Corr::Banded => rho[d - 1],
        Corr::Ante => {
            let lo = a.min(b);
            (lo..lo + d).map(|l| rho[l]).product()
        }
    }
}

fn corr_d1(corr: Corr, rho: &[f64], a: usize, b: usize, r: usize) -> f64 {
    if a == b {
        return 0.0;
    }
    let d = a.abs_diff(b);
    match corr {
        Corr::Exchangeable => 1.0,
        Corr::Ar1 => d as f64 * rho[0].powi(d as i32 - 1),
        Corr::Banded => {
            if r == d - 1 {
                1.0
            } else {
                0.0
            }
        }
        Corr::Ante => {
            let lo = a.min(b);
            if r < lo || r >= lo + d {
                0.0
            } else {
                (lo..lo + d).filter(|&l| l != r).map(|l| rho[l]).product()
            }
        }
    }
}

fn corr_d2(corr: Corr, rho: &[f64], a: usize, b: usize, r: usize, s: usize) -> f64 {
    if a == b {
        return 0.0;
    }
    let d = a.abs_diff(b);
    match corr {
        Corr::Exchangeable | Corr::Banded => 0.0,
        Corr::Ar1 => {
            if d >= 2 {
                (d * (d - 1)) as f64 * rho[0].powi(d as i32 - 2)
            } else {
                0.0
            }
        }
        Corr::Ante => {
            let lo = a.min(b);
            let inside = |x: usize| x >= lo && x < lo + d;
            if r == s || !inside(r) || !inside(s) {
                0.0
            } else {
                (lo..lo + d)
                    .filter(|&l| l != r && l != s)
                    .map(|l| rho[l])
                    .product()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_check(structure: CovarianceStructure, phi: &[f64]) {
        let m = CovModel::new(structure, 4);
        let d1 = m.d_sigma(phi);
        let d2 = m.d2_sigma(phi);
        let h = 1e-6;
        for k in 0..m.n_par {
            let mut p = phi.to_vec();
            p[k] += h;
            let up = m.sigma(&p);
            p[k] -= 2.0 * h;
            let dn = m.sigma(&p);
            let num = (&up - &dn) / (2.0 * h);
            assert!((&num - &d1[k]).amax() < 1e-5, "{structure:?} d1 {k}");
            let dup = m.d_sigma(&{
                let mut q = phi.to_vec();
                q[k] += h;
                q
            });
            let ddn = m.d_sigma(&{
                let mut q = phi.to_vec();
                q[k] -= h;
                q
            });
            for l in 0..m.n_par {
                let num2 = (&dup[l] - &ddn[l]) / (2.0 * h);
                let (a, b) = if k <= l { (k, l) } else { (l, k) };
                let ana = d2
                    .iter()
                    .find(|(x, y, _)| *x == a && *y == b)
                    .map(|t| t.2.clone())
                    .unwrap_or_else(|| DMatrix::zeros(4, 4));
                assert!((&num2 - &ana).amax() < 1e-4, "{structure:?} d2 {k} {l}");
            }
        }
    }

    #[test]
    fn analytic_derivatives_match_finite_differences() {
        numeric_check(CovarianceStructure::Ar1, &[0.4, 3.0]);
        numeric_check(CovarianceStructure::SpatialExponential, &[1.7, 3.0]);
        numeric_check(
            CovarianceStructure::HeterogeneousAr1,
            &[2.0, 3.0, 1.5, 4.0, 0.3],
        );
        numeric_check(
            CovarianceStructure::HeterogeneousCompoundSymmetry,
            &[2.0, 3.0, 1.5, 4.0, 0.3],
        );
        numeric_check(
            CovarianceStructure::HeterogeneousToeplitz,
            &[2.0, 3.0, 1.5, 4.0, 0.3, 0.1, -0.2],
        );
        numeric_check(
            CovarianceStructure::AnteDependence,
            &[2.0, 3.0, 1.5, 4.0, 0.3, 0.5, -0.2],
        );
    }
}
