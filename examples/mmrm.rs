//! Mixed model for repeated measures (MMRM) of a pain trial: each arm against the reference
//! arm at every visit, using all observed follow-ups (valid under missing at random).
//!
//! ```text
//! cargo run --release --example mmrm                      # bundled knee OA trial, NRS
//! cargo run --release --example mmrm -- --input my.csv --instrument vas \
//!     --covariance ar1 --method reml --df kenward-roger --reference-arm corticosteroid --json
//! cargo run --example mmrm -- --help
//! ```
//!
//! Prints the fit certificate, the covariance matrix, LS-means by arm × visit, differences
//! versus the reference arm by visit (estimate, SE, df, 95 % CI, p), Type III tests,
//! logLik/AIC/BIC and the patients left out. A refusal (for example a fit that does not
//! converge) is printed as such.

use clap::Parser;
use pain_outcomes::analysis::{Covariate, MmrmBuilder, Response};
use pain_outcomes::stats::mmrm::{
    CovarianceFit, CovarianceStructure, DfMethod, Estimation, LsMeanWeights,
};
use std::process::ExitCode;

#[path = "support/cli.rs"]
mod cli;

/// Fit an MMRM of a pain instrument: response ~ arm*visit + baseline*visit (+ covariates), with
/// the baseline the patient's last non-missing score on a day ≤ 0. Runs on the bundled
/// knee-osteoarthritis trial when no --input is given.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// What is modelled at each visit: `change` from baseline or the `score` itself
    #[arg(long, value_name = "RESPONSE", default_value = "change")]
    response: Response,
    /// Within-patient covariance over the visits: us, cs, csh, ar1, arh1, toep, toeph, ad,
    /// sp_exp (spatial exponential on the visit positions)
    #[arg(long, value_name = "STRUCTURE", default_value = "us")]
    covariance: CovarianceStructure,
    /// Estimation: reml or ml
    #[arg(long, value_name = "METHOD", default_value = "reml")]
    method: Estimation,
    /// Denominator degrees of freedom: satterthwaite, kenward-roger or kenward-roger-linear
    #[arg(long, value_name = "METHOD", default_value = "satterthwaite")]
    df: DfMethod,
    /// Patient-level covariate added as a main effect: age, bmi, severity, sex, site, or any
    /// column of your own (numeric ones enter as covariates, text ones as factors); repeatable
    #[arg(long = "covariate", value_name = "NAME")]
    covariates: Vec<Covariate>,
    /// The model's right-hand side instead of arm*visit + baseline*visit (+ --covariate terms):
    /// any terms and interactions of arm, visit, baseline, age, bmi, severity, sex, site and
    /// your own columns, e.g. "arm*visit + baseline*visit + age + smoker + arm:sex"
    /// [default: the standard model]
    #[arg(long, value_name = "RHS")]
    formula: Option<String>,
    /// LS-mean weights over the covariate factors: equal or proportional
    #[arg(long, value_name = "WEIGHTS", default_value = "equal")]
    weights: LsMeanWeights,
    /// Stop where SAS PROC MIXED stops (its start, steps and convergence rule) instead of at the
    /// optimum, to reproduce SAS's printed numbers
    #[arg(long)]
    sas_iterations: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "knee_oa_trial", |loaded| {
        let mut builder = MmrmBuilder::new(&loaded.cohort)
            .instrument(&args.study.instrument)
            .response(args.response)
            .covariance(args.covariance)
            .method(args.method)
            .df(args.df)
            .covariates(&args.covariates)
            .lsmean_weights(args.weights);
        if let Some(r) = &args.study.reference_arm {
            builder = builder.reference_arm(r);
        }
        if let Some(rhs) = &args.formula {
            builder = builder.formula(rhs);
        }
        if args.sas_iterations {
            builder = builder.covariance_fit(CovarianceFit::SasIterations);
        }
        builder.fit()
    })
}
