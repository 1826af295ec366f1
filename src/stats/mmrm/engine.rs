//! From the aggregated cross-products to a fitted model: starting values, the optimization of
//! the covariance parameters, the covariance of β (model-based or Kenward–Roger) and the
//! result tables.

use nalgebra::{DMatrix, DVector};

use super::aggregate::Aggregate;
use super::covariance::CovModel;
use super::criterion::Problem;
use super::design::Layout;
use super::fit::{self, Optimum};
use super::inference;
use super::options::MmrmOptions;
use super::results::{
    CovarianceFit, CovarianceParameter, DfMethod, Estimation, FitStatistics, MmrmFit,
};
use super::sas;
use super::start::{self, OlsStart};
use super::state::State;
use crate::Error;
use crate::stats::{Estimate, Outcome, Refusal, RefusalReason};

/// Fits the model to the aggregated data and builds the result (coefficient table, covariance
/// parameters and matrices, fit statistics, and the state kept for later inference).
pub(super) fn fit_aggregate(
    agg: Aggregate,
    names: Vec<String>,
    group_labels: Vec<String>,
    visit_labels: Vec<String>,
    layout: Option<Layout>,
    combos: Vec<(Vec<usize>, usize)>,
    options: &MmrmOptions,
) -> crate::Result<Outcome<MmrmFit>> {
    let ols = match OlsStart::compute(&agg, &group_labels, &visit_labels) {
        Ok(ols) => ols,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let model = start::covariance_model(options.covariance, &agg);
    let reml = options.method == Estimation::Reml;
    let problem = Problem {
        agg: &agg,
        model: &model,
        reml,
    };
    check_fixed_count(&problem, &options.covariance_fit)?;
    let opt = match optimize(&problem, &options.covariance_fit, &ols) {
        Ok(opt) => opt,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let cov = match BetaCovariance::at(&agg, &model, &opt, options.df) {
        Ok(cov) => cov,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let (covariance_parameters, covariance_matrices) = covariance_tables(
        &agg,
        &model,
        &opt.phi,
        &cov.theta_cov,
        &group_labels,
        options,
    );
    let n_theta = model.n_par * agg.n_groups;
    let fit_statistics = fit_statistics(opt.eval.f, &agg, n_theta, reml);
    let state = State {
        beta: opt.eval.beta.clone(),
        phi: cov.phi.clone(),
        vcov: cov.vcov,
        p_k: opt.eval.p_k.clone(),
        theta_cov: cov.theta_cov,
        df: options.df,
        confidence_level: options.confidence_level,
        agg,
        layout,
        combos,
    };
    let coefficients = coefficient_table(&state, &names);
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
        beta_vcov: to_rows(&cov.phi),
        beta_vcov_adjusted: cov.adjusted.as_ref().map(to_rows),
        state,
    }))
}

/// Fixed covariance parameters must be one per parameter of the model.
fn check_fixed_count(problem: &Problem<'_>, covariance_fit: &CovarianceFit) -> crate::Result<()> {
    if let CovarianceFit::Fixed(values) = covariance_fit {
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
    }
    Ok(())
}

/// The covariance parameters as `covariance_fit` asks: optimized from the OLS start, SAS's
/// iteration from MIVQUE0 (or the OLS start when MIVQUE0 is not admissible), or held fixed.
/// Failure is a refusal: `NotEstimable` for fixed parameters, `NoConvergence` otherwise.
fn optimize(
    problem: &Problem<'_>,
    covariance_fit: &CovarianceFit,
    ols: &OlsStart,
) -> Result<Optimum, Refusal> {
    let opt = match covariance_fit {
        CovarianceFit::Optimize => fit::optimize(problem, &ols.empirical, ols.pooled),
        CovarianceFit::SasIterations => {
            let start = sas::mivque0(problem, &ols.beta, &ols.xtx).unwrap_or_else(|| {
                ols.empirical
                    .iter()
                    .flat_map(|e| problem.model.start(e))
                    .collect()
            });
            sas::optimize_sas(problem, start)
        }
        CovarianceFit::Fixed(values) => fit::fixed(problem, values.clone()),
    };
    opt.map_err(|e| {
        if matches!(covariance_fit, CovarianceFit::Fixed(_)) {
            Refusal::new(RefusalReason::NotEstimable, e.detail)
        } else {
            Refusal::new(
                RefusalReason::NoConvergence,
                format!("the covariance parameters did not converge: {}", e.detail),
            )
        }
    })
}

/// Covariances at the solution.
struct BetaCovariance {
    /// Asymptotic covariance of the covariance parameters, `2 H⁻¹`.
    theta_cov: DMatrix<f64>,
    /// Model-based covariance of β, `Φ = (X'Σ⁻¹X)⁻¹`.
    phi: DMatrix<f64>,
    /// Covariance of β used for tests: `Φ`, or the Kenward–Roger `Φ_A`.
    vcov: DMatrix<f64>,
    /// `Φ_A` when a Kenward–Roger method is used.
    adjusted: Option<DMatrix<f64>>,
}

impl BetaCovariance {
    /// Refuses when the Hessian at the solution is not invertible (`NoConvergence`) or the
    /// Kenward–Roger adjustment cannot be formed (`NotEstimable`).
    fn at(agg: &Aggregate, model: &CovModel, opt: &Optimum, df: DfMethod) -> Result<Self, Refusal> {
        let ev = &opt.eval;
        let Some(hinv) = ev.h_obs.clone().cholesky().map(|c| c.inverse()) else {
            return Err(Refusal::new(
                RefusalReason::NoConvergence,
                "the Hessian at the solution is not invertible",
            ));
        };
        let theta_cov = hinv * 2.0;
        let phi = ev.m_inv.clone();
        let (vcov, adjusted) = match df {
            DfMethod::Satterthwaite => (phi.clone(), None),
            DfMethod::KenwardRoger | DfMethod::KenwardRogerLinear => {
                let linear = df == DfMethod::KenwardRogerLinear;
                match inference::kenward_roger_vcov(
                    agg, model, &opt.phi, &phi, &ev.p_k, &theta_cov, linear,
                ) {
                    Some(a) => (a.clone(), Some(a)),
                    None => {
                        return Err(Refusal::new(
                            RefusalReason::NotEstimable,
                            "the Kenward–Roger adjustment could not be formed",
                        ));
                    }
                }
            }
        };
        Ok(Self {
            theta_cov,
            phi,
            vcov,
            adjusted,
        })
    }
}

/// The covariance parameters with their standard errors, and the covariance matrix over the
/// visits, per group.
fn covariance_tables(
    agg: &Aggregate,
    model: &CovModel,
    params: &[f64],
    theta_cov: &DMatrix<f64>,
    group_labels: &[String],
    options: &MmrmOptions,
) -> (Vec<CovarianceParameter>, Vec<Vec<Vec<f64>>>) {
    let v = agg.n_visits;
    let q = model.n_par;
    let par_names = options.covariance.parameter_names(v);
    let mut covariance_parameters = Vec::new();
    let mut covariance_matrices = Vec::new();
    for g in 0..agg.n_groups {
        for (k, name) in par_names.iter().enumerate() {
            covariance_parameters.push(CovarianceParameter {
                name: name.clone(),
                group: group_labels.get(g).cloned().unwrap_or_default(),
                estimate: params[g * q + k],
                std_error: theta_cov[(g * q + k, g * q + k)].max(0.0).sqrt(),
            });
        }
        let s = model.sigma(&params[g * q..(g + 1) * q]);
        covariance_matrices.push(
            (0..v)
                .map(|a| (0..v).map(|b| s[(a, b)]).collect())
                .collect(),
        );
    }
    (covariance_parameters, covariance_matrices)
}

/// Likelihood statistics from the criterion `f = -2 log L`; the parameter count is the
/// covariance parameters (REML) or those plus the fixed effects (ML).
fn fit_statistics(f: f64, agg: &Aggregate, n_theta: usize, reml: bool) -> FitStatistics {
    let p = agg.p;
    let (d, nstar) = if reml {
        (n_theta, (agg.n_obs - p) as f64)
    } else {
        (n_theta + p, agg.n_obs as f64)
    };
    let df_ = d as f64;
    FitStatistics {
        log_likelihood: -0.5 * f,
        minus_two_log_likelihood: f,
        aic: f + 2.0 * df_,
        aicc: f + 2.0 * df_ * nstar / (nstar - df_ - 1.0),
        bic: f + df_ * (agg.n_subjects as f64).ln(),
        n_parameters: d,
    }
}

/// One row per fixed effect: estimate, SE, df, t and p of the unit contrast.
fn coefficient_table(state: &State, names: &[String]) -> Vec<Estimate> {
    let p = state.beta.len();
    let mut coefficients = Vec::with_capacity(p);
    for (j, name) in names.iter().enumerate() {
        let mut c = DVector::zeros(p);
        c[j] = 1.0;
        coefficients.push(state.estimate(&c, name.clone()));
    }
    coefficients
}

/// Rows of a matrix.
fn to_rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}
