//! Responder analysis: how many patients got meaningful relief, how fast, and for how long.
//!
//! ```text
//! cargo run --release --example responder_analysis
//! cargo run --release --example responder_analysis -- --input my.csv --events my_events.csv \
//!     --instrument vas --rule mcid --missing observed --intercurrent treatment-policy --json
//! cargo run --example responder_analysis -- --help
//! ```

use clap::Parser;
use pain_outcomes::analysis::{ResponderAnalysisOptions, RuleChoice, responder_analysis};
use pain_outcomes::stats::responders::{IntercurrentStrategy, MissingPolicy};
use std::process::ExitCode;

#[path = "support/cli.rs"]
mod cli;

/// Responder rates by arm and visit with Wilson intervals, each arm against the reference arm
/// (risk difference, relative risk, odds ratio, NNT, Fisher's exact p), and the onset and
/// durability of response. Runs on the bundled knee-osteoarthritis trial when no --input is
/// given.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// Responder rule: immpact30 (≥ 30 % improvement), immpact50 (≥ 50 %), mcid (the
    /// instrument's published minimal important change for the cohort's condition), points:X
    /// (≥ X points), percent:X (≥ X %)
    #[arg(long, value_name = "RULE", default_value = "immpact30")]
    rule: RuleChoice,
    /// Missing follow-ups: nri (non-responder imputation) or observed (observed cases)
    #[arg(long, value_name = "POLICY", default_value = "nri")]
    missing: MissingPolicy,
    /// Surgery or rescue medication on or before a visit: non-response (composite strategy) or
    /// treatment-policy (ignored)
    #[arg(long, value_name = "STRATEGY", default_value = "non-response")]
    intercurrent: IntercurrentStrategy,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "knee_oa_trial", |loaded| {
        let wide = loaded.cohort.wide(&args.study.instrument)?;
        let mut options = ResponderAnalysisOptions::default()
            .with_missing(args.missing)
            .with_intercurrent(args.intercurrent);
        if let Some(r) = &args.study.reference_arm {
            options = options.with_reference_arm(r);
        }
        responder_analysis(&loaded.cohort, &wide, args.rule, &options)
    })
}
