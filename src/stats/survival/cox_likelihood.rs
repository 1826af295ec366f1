//! The Cox partial likelihood: subjects sorted into tie groups, the running risk-set sums of a
//! backward pass, and the log partial likelihood with its score and information.

use nalgebra::DMatrix;

use super::common::order_by_stratum_time;
use super::cox::Ties;
use super::cox_data::CoxData;

/// Subjects sorted by (stratum, time), covariates centred, row-major, with tie groups.
pub(crate) struct Prepared {
    pub(crate) p: usize,
    /// Original index of each sorted row.
    pub(crate) order: Vec<usize>,
    pub(crate) time: Vec<f64>,
    pub(crate) event: Vec<bool>,
    /// Case weight of each sorted row (1 without weights).
    pub(crate) weight: Vec<f64>,
    /// Row-major centred covariates, `n × p`.
    pub(crate) x: Vec<f64>,
    /// Tie groups: rows `start..end` share stratum and time; `new_stratum` marks the first
    /// group (in ascending order) of a stratum.
    pub(crate) groups: Vec<TieGroup>,
}

/// Sorted rows `start..end` sharing stratum and time, with `n_dead` events among them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TieGroup {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) n_dead: usize,
    /// Sum of the case weights of the deaths (`n_dead` without weights).
    pub(crate) dead_weight: f64,
    pub(crate) new_stratum: bool,
}

impl Prepared {
    /// Sorts the subjects by (stratum, time), centres the covariates at their means and forms
    /// the tie groups.
    pub(crate) fn new(data: &CoxData<'_>) -> Self {
        let n = data.time.len();
        let p = data.covariates.ncols();
        let order = order_by_stratum_time(data.strata.as_deref(), data.time);
        let means: Vec<f64> = (0..p)
            .map(|j| data.covariates.column(j).iter().sum::<f64>() / n.max(1) as f64)
            .collect();
        let mut x = Vec::with_capacity(n * p);
        for &i in &order {
            for (j, m) in means.iter().enumerate() {
                x.push(data.covariates[(i, j)] - m);
            }
        }
        let time: Vec<f64> = order.iter().map(|&i| data.time[i]).collect();
        let event: Vec<bool> = order.iter().map(|&i| data.status[i].is_event()).collect();
        let weight: Vec<f64> = match &data.weights {
            Some(w) => order.iter().map(|&i| w[i]).collect(),
            None => vec![1.0; n],
        };
        let strata_sorted: Option<Vec<u32>> = data
            .strata
            .as_ref()
            .map(|s| order.iter().map(|&i| s[i]).collect());
        let groups = tie_groups(&time, &event, &weight, strata_sorted.as_deref());
        Self {
            p,
            order,
            time,
            event,
            weight,
            x,
            groups,
        }
    }

    /// Centred covariates of sorted row `i`.
    pub(crate) fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }

    /// Linear predictor and risk score of each sorted row.
    pub(crate) fn risk(&self, beta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.time.len();
        let mut eta = Vec::with_capacity(n);
        let mut risk = Vec::with_capacity(n);
        for i in 0..n {
            let e: f64 = self.row(i).iter().zip(beta).map(|(a, b)| a * b).sum();
            eta.push(e);
            risk.push(e.exp());
        }
        (eta, risk)
    }
}

/// Tie groups of rows sorted by (stratum, time): maximal runs sharing stratum and time.
fn tie_groups(
    time: &[f64],
    event: &[bool],
    weight: &[f64],
    strata_sorted: Option<&[u32]>,
) -> Vec<TieGroup> {
    let n = time.len();
    let mut groups = Vec::new();
    let mut start = 0;
    while start < n {
        let st = strata_sorted.map_or(0, |s| s[start]);
        let mut end = start;
        let mut n_dead = 0;
        let mut dead_weight = 0.0;
        while end < n && time[end] == time[start] && strata_sorted.map_or(0, |s| s[end]) == st {
            if event[end] {
                n_dead += 1;
                dead_weight += weight[end];
            }
            end += 1;
        }
        let new_stratum = start == 0 || strata_sorted.is_some_and(|s| s[start - 1] != st);
        groups.push(TieGroup {
            start,
            end,
            n_dead,
            dead_weight,
            new_stratum,
        });
        start = end;
    }
    groups
}

/// Running sums over the risk set in a backward pass through the tie groups: the weighted
/// count, first and (lower-triangle) second moments of the covariates of those at risk, and
/// the same sums over the deaths of the current tie group until they are folded in.
pub(crate) struct RiskSets {
    p: usize,
    denom: f64,
    a: Vec<f64>,
    cmat: Vec<f64>,
    denom2: f64,
    a2: Vec<f64>,
    cmat2: Vec<f64>,
}

impl RiskSets {
    pub(crate) fn new(p: usize) -> Self {
        Self {
            p,
            denom: 0.0,
            a: vec![0.0; p],
            cmat: vec![0.0; p * p],
            denom2: 0.0,
            a2: vec![0.0; p],
            cmat2: vec![0.0; p * p],
        }
    }

    /// Adds one subject of the current tie group with risk score `r` and covariates `xi`.
    pub(crate) fn add(&mut self, r: f64, xi: &[f64], event: bool) {
        let p = self.p;
        let (denom, acc, cacc) = if event {
            (&mut self.denom2, &mut self.a2, &mut self.cmat2)
        } else {
            (&mut self.denom, &mut self.a, &mut self.cmat)
        };
        *denom += r;
        for j in 0..p {
            acc[j] += r * xi[j];
            for k in 0..=j {
                cacc[j * p + k] += r * xi[j] * xi[k];
            }
        }
    }

    /// Folds the `d` tied deaths of the current group, whose case weights sum to
    /// `dead_weight`, into the risk set (one step for Breslow, `d` steps of `1/d` for Efron),
    /// subtracting the weighted risk-set means from `score` and adding the weighted covariance
    /// to `info` (lower triangle, row-major `p × p`). Each step counts `dead_weight` (Breslow)
    /// or the deaths' mean weight `dead_weight / d` (Efron), as `coxph`. Returns the group's
    /// `−Σ weight · ln(denominator)` term of the log partial likelihood.
    pub(crate) fn fold_deaths(
        &mut self,
        d: usize,
        dead_weight: f64,
        ties: Ties,
        score: &mut [f64],
        info: &mut [f64],
    ) -> f64 {
        let p = self.p;
        let (terms, frac, weight) = match ties {
            Ties::Efron if d > 1 => (d, 1.0 / d as f64, dead_weight / d as f64),
            _ => (1, 1.0, dead_weight),
        };
        let mut loglik = 0.0;
        for _ in 0..terms {
            self.denom += self.denom2 * frac;
            loglik -= weight * self.denom.ln();
            for j in 0..p {
                self.a[j] += self.a2[j] * frac;
                for k in 0..=j {
                    self.cmat[j * p + k] += self.cmat2[j * p + k] * frac;
                }
            }
            for j in 0..p {
                let mj = self.a[j] / self.denom;
                score[j] -= weight * mj;
                for k in 0..=j {
                    info[j * p + k] +=
                        weight * (self.cmat[j * p + k] - mj * self.a[k]) / self.denom;
                }
            }
        }
        self.denom2 = 0.0;
        self.a2.iter_mut().for_each(|v| *v = 0.0);
        self.cmat2.iter_mut().for_each(|v| *v = 0.0);
        loglik
    }

    /// Empties the risk set at the start of a new stratum.
    pub(crate) fn new_stratum(&mut self) {
        self.denom = 0.0;
        self.a.iter_mut().for_each(|v| *v = 0.0);
        self.cmat.iter_mut().for_each(|v| *v = 0.0);
    }
}

/// Log partial likelihood, score vector and information matrix at `beta`.
pub(super) struct Evaluation {
    pub(super) loglik: f64,
    pub(super) u: Vec<f64>,
    pub(super) imat: DMatrix<f64>,
}

/// One backward pass through the tie groups: the log partial likelihood, its score and its
/// information at `beta`.
pub(super) fn evaluate(pr: &Prepared, beta: &[f64], ties: Ties) -> Evaluation {
    let p = pr.p;
    let (eta, risk) = pr.risk(beta);
    let mut loglik = 0.0;
    let mut u = vec![0.0; p];
    let mut imat = vec![0.0; p * p];
    let mut sets = RiskSets::new(p);
    for g in pr.groups.iter().rev() {
        for i in g.start..g.end {
            let xi = pr.row(i);
            let w = pr.weight[i];
            sets.add(w * risk[i], xi, pr.event[i]);
            if pr.event[i] {
                loglik += w * eta[i];
                for j in 0..p {
                    u[j] += w * xi[j];
                }
            }
        }
        if g.n_dead > 0 {
            loglik += sets.fold_deaths(g.n_dead, g.dead_weight, ties, &mut u, &mut imat);
        }
        if g.new_stratum {
            sets.new_stratum();
        }
    }
    let imat = DMatrix::from_fn(p, p, |j, k| {
        if k <= j {
            imat[j * p + k]
        } else {
            imat[k * p + j]
        }
    });
    Evaluation { loglik, u, imat }
}
