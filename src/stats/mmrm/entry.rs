//! The two entry points: [`mmrm`] (long-format data and named terms) and [`mmrm_design`] (a
//! design matrix built by the caller). Both validate their input, aggregate it by (group,
//! missingness pattern) and hand the cross-products to the fitting engine.

use super::aggregate::{Rows, aggregate};
use super::covariance::CovarianceStructure;
use super::design::{FactorColumn, Layout, MmrmData, ModelSpec};
use super::design_input::DesignInput;
use super::engine::fit_aggregate;
use super::options::MmrmOptions;
use super::results::MmrmFit;
use crate::Error;
use crate::stats::{Outcome, Refusal, RefusalReason, refuse};

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
/// See the [module documentation](super).
///
/// # Formula
///
/// `-2 l_REML(φ) = Σ_i [log|Σ_i| + r_i'Σ_i⁻¹r_i] + log|X'Σ⁻¹X| + (N − p) log 2π` with
/// `r_i = y_i − X_i β̂(φ)`; ML drops the `log|X'Σ⁻¹X|` term and uses `N log 2π`.
///
/// # References
///
/// See the [module documentation](super).
pub fn mmrm(
    data: &MmrmData<'_>,
    spec: &ModelSpec,
    options: &MmrmOptions,
) -> crate::Result<Outcome<MmrmFit>> {
    options.validate()?;
    let factors = data.all_factors();
    let layout = Layout::resolve(&factors, &data.covariates, spec)?;
    let n_visits = data.visit_labels.len();
    let (group_codes, group_labels) = covariance_groups(&factors, options)?;
    if let Some(refusal) = empty_visit(data).or_else(|| empty_level(&layout, &factors, options)) {
        return Ok(Outcome::Refused(refusal));
    }
    let rows = Rows {
        subject: data.subject,
        visit: data.visit,
        response: data.response,
        group: group_codes,
        n_groups: group_labels.len(),
        n_visits,
    };
    let agg = aggregate(
        &rows,
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
    let combos = level_combinations(data, &factors);
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

/// Codes and labels of the covariance groups: the levels of `options.group` (a factor other
/// than the visit), or one unnamed group.
fn covariance_groups<'a>(
    factors: &[FactorColumn<'a>],
    options: &MmrmOptions,
) -> crate::Result<(Option<&'a [usize]>, Vec<String>)> {
    match &options.group {
        Some(name) => {
            let f = factors
                .iter()
                .skip(1)
                .find(|f| &f.name == name)
                .ok_or_else(|| {
                    Error::invalid_argument("group", format!("no factor named `{name}`"))
                })?;
            Ok((Some(f.codes), f.levels.clone()))
        }
        None => Ok((None, vec![String::new()])),
    }
}

/// The refusal naming the first visit without observations, if any.
fn empty_visit(data: &MmrmData<'_>) -> Option<Refusal> {
    let mut per_visit = vec![0usize; data.visit_labels.len()];
    for &v in data.visit {
        per_visit[v] += 1;
    }
    let v = per_visit.iter().position(|&c| c == 0)?;
    Some(Refusal::new(
        RefusalReason::EmptyGroup,
        format!("visit `{}` has no observations", data.visit_labels[v]),
    ))
}

/// The refusal naming the first level without observations of a factor the model or the
/// covariance groups use, if any.
fn empty_level(
    layout: &Layout,
    factors: &[FactorColumn<'_>],
    options: &MmrmOptions,
) -> Option<Refusal> {
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
            return Some(Refusal::new(
                RefusalReason::EmptyGroup,
                format!(
                    "level `{}` of factor `{}` has no observations",
                    f.levels[l], f.name
                ),
            ));
        }
    }
    None
}

/// Frequencies of the combinations of factor levels (all factors) among the rows, sorted (the
/// weights of proportional LS-means).
fn level_combinations(
    data: &MmrmData<'_>,
    factors: &[FactorColumn<'_>],
) -> Vec<(Vec<usize>, usize)> {
    let mut combo_map: std::collections::HashMap<Vec<usize>, usize> =
        std::collections::HashMap::new();
    for i in 0..data.n_rows() {
        let key: Vec<usize> = factors.iter().map(|f| f.codes[i]).collect();
        *combo_map.entry(key).or_insert(0) += 1;
    }
    let mut combos: Vec<(Vec<usize>, usize)> = combo_map.into_iter().collect();
    combos.sort();
    combos
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
/// See the [module documentation](super).
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
    let rows = Rows {
        subject: input.subject,
        visit: input.visit,
        response: input.response,
        group: input.group,
        n_groups,
        n_visits: input.n_visits,
    };
    let agg = aggregate(
        &rows,
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
