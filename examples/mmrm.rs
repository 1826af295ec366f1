//! Mixed model for repeated measures (MMRM) of a pain trial: each arm against the reference
//! arm at every visit, using all observed follow-ups (valid under missing at random).
//!
//! ```text
//! cargo run --release --example mmrm                      # bundled knee OA trial, NRS
//! cargo run --release --example mmrm -- --input my.csv --instrument vas \
//!     --covariance ar1 --method reml --df kenward-roger --reference-arm corticosteroid --json
//! cargo run --release --example mmrm -- --contrast "stem_cell[bone_marrow]+prp - prp" \
//!     --pairwise --adjust holm
//! cargo run --example mmrm -- --help
//! ```
//!
//! Prints the fit certificate, the covariance matrix, LS-means by arm × visit, differences
//! versus the reference arm by visit (estimate, SE, df, 95 % CI, p), Type III tests,
//! logLik/AIC/BIC and the patients left out; with --contrast or --pairwise, the contrasts of
//! arms at every visit with the chosen multiplicity adjustment. A refusal (for example a fit that does not
//! converge) is printed as such.

use clap::Parser;
use pain_outcomes::Outcome;
use pain_outcomes::analysis::{
    ArmContrast, CohortMmrm, ContrastTable, Covariate, MmrmBuilder, Response,
};
use pain_outcomes::report::{Table, Tidy};
use pain_outcomes::stats::mmrm::{
    CovarianceFit, CovarianceStructure, DfMethod, Estimation, LsMeanWeights,
};
use pain_outcomes::stats::multiplicity::MultiplicityMethod;
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
    /// A contrast of arms estimated at every visit, e.g. "stem_cell[bone_marrow]+prp - prp"
    /// or "0.5*a + 0.5*b - c"; repeatable
    #[arg(long = "contrast", value_name = "CONTRAST")]
    contrasts: Vec<ArmContrast>,
    /// Add all pairs of arms to the contrasts
    #[arg(long)]
    pairwise: bool,
    /// Multiplicity adjustment of the contrasts within each visit: none, bonferroni, holm,
    /// hochberg, bh, or single-step (Dunnett for each arm vs the reference, Tukey for all
    /// pairs: adjusted p-values and simultaneous intervals)
    #[arg(long, value_name = "METHOD", default_value = "none")]
    adjust: MultiplicityMethod,
}

/// The model and, when asked for, contrasts of its arms.
#[derive(serde::Serialize)]
struct Output {
    mmrm: Outcome<CohortMmrm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contrasts: Option<ContrastTable>,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mmrm)?;
        if let Some(c) = &self.contrasts {
            write!(f, "\n{c}")?;
        }
        Ok(())
    }
}

impl cli::Reported for Output {
    const TITLE: &'static str = "Mixed model for repeated measures";

    fn tables(&self) -> Vec<Table> {
        let mut tables = Vec::new();
        if let Outcome::Computed(m) = &self.mmrm
            && let Ok(t) = m.tidy()
        {
            let title = "Differences vs the reference arm";
            tables.push(Table::from_tidy("differences", title, &t));
        }
        if let Some(Ok(t)) = self.contrasts.as_ref().map(Tidy::tidy) {
            tables.push(Table::from_tidy("contrasts", "Contrasts of arms", &t));
        }
        tables
    }
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
        let mmrm = builder.fit()?;
        let mut family = args.contrasts.clone();
        let contrasts = match &mmrm {
            Outcome::Computed(m) if !family.is_empty() || args.pairwise => {
                if args.pairwise {
                    family.extend(ArmContrast::pairwise(&m.arms));
                }
                Some(m.contrasts(&family, args.adjust)?)
            }
            _ => None,
        };
        Ok(Output { mmrm, contrasts })
    })
}
