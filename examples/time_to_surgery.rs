//! Time to surgery (or to loss of response, or to rescue medication) per therapy: how follow-up
//! ended, Kaplan–Meier medians and survival at chosen days, restricted mean survival time,
//! log-rank test, Cox hazard ratios versus the reference arm and the proportional-hazards test.
//!
//! ```text
//! cargo run --release --example time_to_surgery                 # bundled disc degeneration trial
//! cargo run --release --example time_to_surgery -- --input my.csv --events my_events.csv \
//!     --endpoint loss-of-response --rule immpact50 --reference-arm placebo --tau 365 --json
//! cargo run --example time_to_surgery -- --help
//! ```

use clap::Parser;
use pain_outcomes::analysis::{
    Clustering, Covariate, EndpointAnalysis, RuleChoice, Stratification, TimeToEventOptions,
    analyse_endpoint,
};
use pain_outcomes::data::EventEndpoint;
use pain_outcomes::report::{Table, time_to_event_table};
use pain_outcomes::stats::survival::Ties;
use std::process::ExitCode;

#[path = "support/cli.rs"]
mod cli;

/// Time-to-event analysis of one endpoint across arms. Runs on the bundled
/// degenerative-disc-disease trial when no --input is given.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// Endpoint: surgery, rescue-medication, or loss-of-response (on --instrument under --rule;
    /// surgery or rescue medication after a response counts as loss, withdrawal censors)
    #[arg(long, value_name = "ENDPOINT", default_value = "surgery")]
    endpoint: EventEndpoint,
    /// Responder rule of the loss-of-response endpoint: immpact30, immpact50, mcid, points:X,
    /// percent:X
    #[arg(long, value_name = "RULE", default_value = "immpact30")]
    rule: RuleChoice,
    /// RMST horizon τ in days [default: the earliest of the arms' last follow-up times]
    #[arg(long, value_name = "DAYS")]
    tau: Option<f64>,
    /// Days at which survival is reported (repeatable) [default: 180, 365, 730]
    #[arg(long = "at", value_name = "DAYS")]
    survival_times: Vec<f64>,
    /// Stratification of the log-rank test and the Cox model: none, site or condition
    #[arg(long, value_name = "BY", default_value = "none")]
    strata: Stratification,
    /// Cox covariate besides the arm: age, bmi, severity, sex, site, or any column of your
    /// own (numeric ones linear, text ones as factors); repeatable
    #[arg(long = "covariate", value_name = "NAME")]
    covariates: Vec<Covariate>,
    /// The Cox model (right-hand side) instead of arm plus the covariates: terms and
    /// interactions of arm, age, bmi, severity, sex, site and any column of your own, e.g.
    /// "arm*sex + age" (not together with --covariate)
    #[arg(long, value_name = "TERMS", conflicts_with = "covariates")]
    formula: Option<String>,
    /// Robust (sandwich) variance clustered by: none or site
    #[arg(long, value_name = "BY", default_value = "none")]
    cluster: Clustering,
    /// Cox tie handling: efron or breslow
    #[arg(long, value_name = "METHOD", default_value = "efron")]
    ties: Ties,
}

impl cli::Reported for EndpointAnalysis {
    const TITLE: &'static str = "Time to event";

    fn tables(&self) -> Vec<Table> {
        vec![time_to_event_table(&self.analysis)]
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "disc_degeneration", |loaded| {
        let mut options = TimeToEventOptions::default()
            .with_stratification(args.strata)
            .with_covariates(args.covariates.clone())
            .with_clustering(args.cluster)
            .with_ties(args.ties);
        if let Some(r) = &args.study.reference_arm {
            options = options.with_reference_arm(r);
        }
        if let Some(f) = &args.formula {
            options = options.with_formula(f);
        }
        if let Some(t) = args.tau {
            options = options.with_tau(t);
        }
        if !args.survival_times.is_empty() {
            options = options.with_survival_times(args.survival_times.clone());
        }
        analyse_endpoint(
            &loaded.cohort,
            args.endpoint,
            &args.study.instrument,
            args.rule,
            &options,
        )
    })
}
