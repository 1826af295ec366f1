//! LS-means on an emmeans-style reference grid, differences by visit, and Type III tests.

use nalgebra::{DMatrix, DVector};

use super::design::Layout;
use super::hypothesis::checked;
use super::results::{LsMeanWeights, MmrmFit};
use super::state::State;
use crate::Error;
use crate::stats::{ArmDifference, Estimate, FTest};
use crate::stats::{Outcome, RefusalReason, refuse};

impl State {
    fn layout(&self) -> crate::Result<&Layout> {
        self.layout.as_ref().ok_or_else(|| {
            Error::invalid_argument(
                "fit",
                "LS-means need a term-based model (fit with `mmrm`, not `mmrm_design`)",
            )
        })
    }

    /// Averaged design row of a cell of the factors `by` (levels `cell`).
    ///
    /// With `derivative = Some(c)` the row is the derivative with respect to covariate `c`.
    fn grid_row(
        &self,
        layout: &Layout,
        by: &[usize],
        cell: &[usize],
        weights: LsMeanWeights,
        derivative: Option<usize>,
    ) -> DVector<f64> {
        let nf = layout.factor_names.len();
        let cov = |c: usize| match derivative {
            Some(d) => {
                if c == d {
                    1.0
                } else {
                    layout.covariate_means[c]
                }
            }
            None => layout.covariate_means[c],
        };
        let keep_term = |ti: usize| match derivative {
            Some(d) => layout.terms[ti].covariate == Some(d),
            None => true,
        };
        let mut row = DVector::zeros(layout.p);
        match weights {
            LsMeanWeights::Equal => {
                // Product of marginal averages: an indicator of a non-reference level of a
                // factor averaged over its levels is 1/L.
                for (ti, t) in layout.terms.iter().enumerate() {
                    if !keep_term(ti) {
                        continue;
                    }
                    let base = t.covariate.map_or(1.0, cov);
                    let sizes: Vec<usize> = t
                        .factors
                        .iter()
                        .map(|&f| layout.factor_levels[f].len() - 1)
                        .collect();
                    for col in 0..t.n_columns {
                        let mut rem = col;
                        let mut val = base;
                        for (&f, &sz) in t.factors.iter().zip(&sizes) {
                            let idx = rem % sz;
                            rem /= sz;
                            let r = layout.factor_reference[f];
                            let level = if idx < r { idx } else { idx + 1 };
                            if let Some(pos) = by.iter().position(|&b| b == f) {
                                if cell[pos] != level {
                                    val = 0.0;
                                }
                            } else {
                                val /= layout.factor_levels[f].len() as f64;
                            }
                        }
                        row[t.first_column + col] += val;
                    }
                }
            }
            LsMeanWeights::Proportional => {
                // Frequencies of the combinations of the other factors among observations.
                let mut marg: std::collections::BTreeMap<Vec<usize>, usize> =
                    std::collections::BTreeMap::new();
                for (key, n) in &self.combos {
                    let other: Vec<usize> = (0..nf)
                        .map(|f| if by.contains(&f) { 0 } else { key[f] })
                        .collect();
                    *marg.entry(other).or_insert(0) += n;
                }
                let total: usize = marg.values().sum();
                for (other, n) in marg {
                    let level = |f: usize| {
                        by.iter()
                            .position(|&b| b == f)
                            .map_or(other[f], |pos| cell[pos])
                    };
                    let mut sparse = Vec::new();
                    self.row_terms(layout, &level, &cov, &keep_term, &mut sparse);
                    let w = n as f64 / total as f64;
                    for (c, v) in sparse {
                        row[c] += w * v;
                    }
                }
            }
        }
        row
    }

    fn row_terms(
        &self,
        layout: &Layout,
        level: &dyn Fn(usize) -> usize,
        cov: &dyn Fn(usize) -> f64,
        keep: &dyn Fn(usize) -> bool,
        out: &mut Vec<(usize, f64)>,
    ) {
        let mut all = Vec::new();
        layout.row_sparse(level, cov, &mut all);
        for (c, v) in all {
            let ti = layout
                .terms
                .iter()
                .position(|t| c >= t.first_column && c < t.first_column + t.n_columns)
                .unwrap_or(0);
            if keep(ti) {
                out.push((c, v));
            }
        }
    }

    fn factor_index(layout: &Layout, name: &str) -> crate::Result<usize> {
        layout
            .factor_names
            .iter()
            .position(|f| f == name)
            .ok_or_else(|| Error::invalid_argument("by", format!("no factor named `{name}`")))
    }
}

impl MmrmFit {
    /// LS-means of every cell of the factors `by` (for example `["arm", "visit"]`): the
    /// prediction averaged over the other factors (with the chosen weights) with covariates at
    /// their means over the observations used.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for an unknown factor or a fit from [`super::mmrm_design`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{mmrm, CovarianceStructure, LsMeanWeights, MmrmData, MmrmOptions, ModelSpec};
    /// let subject = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
    /// let visit = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    /// let arm = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    /// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 2.1, 3.9, 1.9, 3.1, 2.4, 3.3];
    /// let data = MmrmData::new(&subject, &visit, &y, vec!["V1".into(), "V2".into()]).unwrap()
    ///     .with_factor("arm", &arm, vec!["PBO".into(), "TRT".into()], "PBO").unwrap();
    /// let spec = ModelSpec::parse("arm*visit").unwrap();
    /// let opts = MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry);
    /// let fit = mmrm(&data, &spec, &opts).unwrap().into_result().unwrap();
    /// let lsm = fit.lsmeans(&["arm", "visit"], LsMeanWeights::Equal).unwrap();
    /// assert_eq!(lsm.len(), 4);
    /// // Saturated means model: the LS-mean of PBO at V1 is the cell mean.
    /// let pbo_v1 = lsm[0].estimate.computed().unwrap().estimate;
    /// assert!((pbo_v1 - (1.0 + 1.4 + 0.8) / 3.0).abs() < 1e-8);
    /// ```
    ///
    /// # Formula
    ///
    /// `LSM(cell) = x̄(cell)'β̂`, `SE = sqrt(x̄'Φx̄)`, df per the fit's df method.
    ///
    /// # References
    ///
    /// Searle, S. R., Speed, F. M. & Milliken, G. A. (1980). Population marginal means in the
    /// linear model. *The American Statistician* 34, 216–221.
    pub fn lsmeans(&self, by: &[&str], weights: LsMeanWeights) -> crate::Result<Vec<LsMean>> {
        let layout = self.state.layout()?;
        let idx: Vec<usize> = by
            .iter()
            .map(|n| State::factor_index(layout, n))
            .collect::<crate::Result<_>>()?;
        let sizes: Vec<usize> = idx.iter().map(|&f| layout.factor_levels[f].len()).collect();
        let n_cells: usize = sizes.iter().product();
        let mut out = Vec::with_capacity(n_cells);
        for c in 0..n_cells {
            // First factor fastest (emmeans order).
            let mut rem = c;
            let cell: Vec<usize> = sizes
                .iter()
                .map(|&s| {
                    let l = rem % s;
                    rem /= s;
                    l
                })
                .collect();
            let row = self.state.grid_row(layout, &idx, &cell, weights, None);
            let labels: Vec<(String, String)> = idx
                .iter()
                .zip(&cell)
                .map(|(&f, &l)| {
                    (
                        layout.factor_names[f].clone(),
                        layout.factor_levels[f][l].clone(),
                    )
                })
                .collect();
            let label = labels
                .iter()
                .map(|(f, l)| format!("{f}={l}"))
                .collect::<Vec<_>>()
                .join(",");
            let e = checked(self.state.estimate(&row, label));
            out.push(LsMean {
                cell: labels,
                estimate: e,
            });
        }
        Ok(out)
    }

    /// Each arm minus the reference arm at each visit (LS-mean differences), with CI and p.
    ///
    /// `arm` names the treatment factor; the visit factor is `visit`; the reference is the
    /// arm factor's reference level.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for an unknown factor or a fit from [`super::mmrm_design`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{mmrm, CovarianceStructure, LsMeanWeights, MmrmData, MmrmOptions, ModelSpec};
    /// let subject = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
    /// let visit = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    /// let arm = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    /// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 2.1, 3.9, 1.9, 3.1, 2.4, 3.3];
    /// let data = MmrmData::new(&subject, &visit, &y, vec!["V1".into(), "V2".into()]).unwrap()
    ///     .with_factor("arm", &arm, vec!["PBO".into(), "TRT".into()], "PBO").unwrap();
    /// let fit = mmrm(&data, &ModelSpec::parse("arm*visit").unwrap(),
    ///     &MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry)).unwrap()
    ///     .into_result().unwrap();
    /// let d = fit.arm_differences("arm", LsMeanWeights::Equal).unwrap();
    /// assert_eq!(d.len(), 2);
    /// let v2 = d[1].computed().unwrap();
    /// assert!((v2.difference.estimate - (3.9 + 3.1 + 3.3 - 2.1 - 2.0 - 2.6) / 3.0).abs() < 1e-8);
    /// ```
    ///
    /// # Formula
    ///
    /// `LSM(arm a, visit t) − LSM(reference, visit t)`, SE from `Φ` (or `Φ_A`), df per method.
    ///
    /// # References
    ///
    /// Mallinckrodt et al. (2008).
    pub fn arm_differences(
        &self,
        arm: &str,
        weights: LsMeanWeights,
    ) -> crate::Result<Vec<Outcome<ArmDifference>>> {
        let layout = self.state.layout()?;
        let fa = State::factor_index(layout, arm)?;
        let fv = State::factor_index(layout, "visit")?;
        let reference = layout.factor_reference[fa];
        let mut out = Vec::new();
        for a in 0..layout.factor_levels[fa].len() {
            if a == reference {
                continue;
            }
            for t in 0..layout.factor_levels[fv].len() {
                let ra = self
                    .state
                    .grid_row(layout, &[fa, fv], &[a, t], weights, None);
                let rr = self
                    .state
                    .grid_row(layout, &[fa, fv], &[reference, t], weights, None);
                let label = format!(
                    "{} - {} at {}",
                    layout.factor_levels[fa][a],
                    layout.factor_levels[fa][reference],
                    layout.factor_levels[fv][t]
                );
                let e = checked(self.state.estimate(&(ra - rr), label));
                out.push(e.map(|difference| ArmDifference {
                    arm: layout.factor_levels[fa][a].clone(),
                    reference: layout.factor_levels[fa][reference].clone(),
                    visit: Some(layout.factor_levels[fv][t].clone()),
                    difference,
                }));
            }
        }
        Ok(out)
    }

    /// Type III F tests of every model term, built on the reference grid (equal weights):
    /// for a factor term, the interaction contrasts (each non-reference level minus the
    /// reference, crossed over the term's factors) of the marginal means averaged over the
    /// other factors, covariates at their means; for a term with a covariate, the same
    /// contrasts of the covariate's slopes. For models without covariate-by-factor interactions
    /// these are SAS PROC MIXED's Type 3 hypotheses. (SAS evaluates factor main effects in
    /// the presence of covariate interactions at covariate = 0; here at the covariate mean, as
    /// emmeans `joint_tests` does.)
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a fit from [`super::mmrm_design`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{mmrm, CovarianceStructure, MmrmData, MmrmOptions, ModelSpec};
    /// let subject = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
    /// let visit = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    /// let arm = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    /// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 2.1, 3.9, 1.9, 3.1, 2.4, 3.3];
    /// let data = MmrmData::new(&subject, &visit, &y, vec!["V1".into(), "V2".into()]).unwrap()
    ///     .with_factor("arm", &arm, vec!["PBO".into(), "TRT".into()], "PBO").unwrap();
    /// let fit = mmrm(&data, &ModelSpec::parse("arm*visit").unwrap(),
    ///     &MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry)).unwrap()
    ///     .into_result().unwrap();
    /// let tests = fit.type3().unwrap();
    /// assert_eq!(tests.len(), 3);
    /// ```
    ///
    /// # Formula
    ///
    /// `F = (Lβ)'(LΦL')⁻¹Lβ / rank(L)` with the fit's df method.
    ///
    /// # References
    ///
    /// SAS Institute, *SAS/STAT User's Guide*, "The Four Types of Estimable Functions";
    /// Lenth, R. V., emmeans `joint_tests`.
    pub fn type3(&self) -> crate::Result<Vec<Outcome<FTest>>> {
        let layout = self.state.layout()?;
        let mut out = Vec::new();
        for t in layout.terms.iter().skip(1) {
            let fs = &t.factors;
            let sizes: Vec<usize> = fs
                .iter()
                .map(|&f| layout.factor_levels[f].len() - 1)
                .collect();
            let n_rows: usize = sizes.iter().product();
            let mut rows = Vec::with_capacity(n_rows);
            for r in 0..n_rows {
                let mut rem = r;
                let levels: Vec<usize> = fs
                    .iter()
                    .zip(&sizes)
                    .map(|(&f, &s)| {
                        let idx = rem % s;
                        rem /= s;
                        let re = layout.factor_reference[f];
                        if idx < re { idx } else { idx + 1 }
                    })
                    .collect();
                let mut row = DVector::zeros(layout.p);
                for corner in 0..(1usize << fs.len()) {
                    let cell: Vec<usize> = fs
                        .iter()
                        .enumerate()
                        .map(|(i, &f)| {
                            if corner >> i & 1 == 1 {
                                layout.factor_reference[f]
                            } else {
                                levels[i]
                            }
                        })
                        .collect();
                    let sign = if corner.count_ones() % 2 == 0 {
                        1.0
                    } else {
                        -1.0
                    };
                    row +=
                        self.state
                            .grid_row(layout, fs, &cell, LsMeanWeights::Equal, t.covariate)
                            * sign;
                }
                rows.push(row);
            }
            let l = DMatrix::from_fn(rows.len(), layout.p, |i, j| rows[i][j]);
            out.push(match self.state.f_test(&l, t.name.clone()) {
                Some(f) => Outcome::Computed(f),
                None => refuse(
                    RefusalReason::NotEstimable,
                    format!("term `{}`: the hypothesis is not testable", t.name),
                ),
            });
        }
        Ok(out)
    }
}

/// One LS-mean (estimated marginal mean) of a cell and its estimate (or the refusal when its SE or df is undefined).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LsMean {
    /// `(factor, level)` pairs.
    pub cell: Vec<(String, String)>,
    /// The estimate.
    pub estimate: Outcome<Estimate>,
}

/// A linear combination of LS-means: each cell (one level of every factor of `by`, in the
/// order of `by`) with its weight, e.g. `(stem_cell+prp, month_12) − (stem_cell, month_12)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CellCombination {
    /// Label of the combination in the results.
    pub label: String,
    /// `(levels, weight)` pairs.
    pub cells: Vec<(Vec<String>, f64)>,
}

/// Several linear combinations of LS-means estimated together, with their joint covariance
/// (the input of simultaneous inference).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CombinationFamily {
    /// One estimate per combination, in order (refused when its SE or df is undefined).
    pub estimates: Vec<Outcome<Estimate>>,
    /// `L Φ L'`: covariance of the estimates (row-major, one row per combination).
    pub covariance: Vec<Vec<f64>>,
}

impl MmrmFit {
    /// Estimates linear combinations of the LS-means of the cells of the factors `by`
    /// (weights as in [`MmrmFit::lsmeans`]), each with its SE, df (the fit's method), t test and
    /// interval, and their joint covariance.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for an unknown factor or level (the message lists the levels), a cell
    /// with the wrong number of levels, a weight that is not finite, or a fit from
    /// [`super::mmrm_design`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::{mmrm, CellCombination, CovarianceStructure, LsMeanWeights, MmrmData, MmrmOptions, ModelSpec};
    /// let subject = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
    /// let visit = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    /// let arm = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    /// let y = [1.0, 2.1, 1.4, 2.0, 0.8, 2.6, 2.1, 3.9, 1.9, 3.1, 2.4, 3.3];
    /// let data = MmrmData::new(&subject, &visit, &y, vec!["V1".into(), "V2".into()]).unwrap()
    ///     .with_factor("arm", &arm, vec!["PBO".into(), "TRT".into()], "PBO").unwrap();
    /// let fit = mmrm(&data, &ModelSpec::parse("arm*visit").unwrap(),
    ///     &MmrmOptions::default().with_covariance(CovarianceStructure::CompoundSymmetry))
    ///     .unwrap().into_result().unwrap();
    /// let change = CellCombination {
    ///     label: "TRT: V2 - V1".into(),
    ///     cells: vec![(vec!["TRT".into(), "V2".into()], 1.0), (vec!["TRT".into(), "V1".into()], -1.0)],
    /// };
    /// let family = fit.lsmean_combinations(&["arm", "visit"], &[change], LsMeanWeights::Equal).unwrap();
    /// let e = family.estimates[0].computed().unwrap();
    /// assert!((e.estimate - ((3.9 + 3.1 + 3.3) - (2.1 + 1.9 + 2.4)) / 3.0).abs() < 1e-8);
    /// assert!((family.covariance[0][0] - e.std_error * e.std_error).abs() < 1e-12);
    /// ```
    ///
    /// # Formula
    ///
    /// `ℓ = Σ_k w_k x̄(cell_k)`, estimate `ℓ'β̂`, covariance `L Φ L'` (rows `ℓ`).
    pub fn lsmean_combinations(
        &self,
        by: &[&str],
        combinations: &[CellCombination],
        weights: LsMeanWeights,
    ) -> crate::Result<CombinationFamily> {
        let layout = self.state.layout()?;
        let idx: Vec<usize> = by
            .iter()
            .map(|n| State::factor_index(layout, n))
            .collect::<crate::Result<_>>()?;
        let mut rows: Vec<DVector<f64>> = Vec::with_capacity(combinations.len());
        for c in combinations {
            let mut row = DVector::zeros(layout.p);
            for (levels, w) in &c.cells {
                if levels.len() != idx.len() || !w.is_finite() {
                    return Err(Error::invalid_argument(
                        "combinations",
                        format!(
                            "`{}`: each cell needs one level of each of {} and a finite weight",
                            c.label,
                            by.join(", ")
                        ),
                    ));
                }
                let cell: Vec<usize> = idx
                    .iter()
                    .zip(levels)
                    .map(|(&f, l)| {
                        layout.factor_levels[f]
                            .iter()
                            .position(|x| x == l)
                            .ok_or_else(|| {
                                Error::invalid_argument(
                                    "combinations",
                                    format!(
                                        "`{}`: factor `{}` has no level `{l}` (levels: {})",
                                        c.label,
                                        layout.factor_names[f],
                                        layout.factor_levels[f].join(", ")
                                    ),
                                )
                            })
                    })
                    .collect::<crate::Result<_>>()?;
                row += self.state.grid_row(layout, &idx, &cell, weights, None) * *w;
            }
            rows.push(row);
        }
        let estimates = combinations
            .iter()
            .zip(&rows)
            .map(|(c, r)| checked(self.state.estimate(r, c.label.clone())))
            .collect();
        let covariance = rows
            .iter()
            .map(|a| {
                let va = &self.state.vcov * a;
                rows.iter().map(|b| b.dot(&va)).collect()
            })
            .collect();
        Ok(CombinationFamily {
            estimates,
            covariance,
        })
    }
}
