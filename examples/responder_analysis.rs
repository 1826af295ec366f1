//! Responder analysis: how many patients got meaningful relief, how fast, and for how long.
//!
//! ```text
//! cargo run --release --example responder_analysis
//! cargo run --release --example responder_analysis -- --input my.csv --events my_events.csv \
//!     --instrument vas --rule mcid --missing observed --intercurrent treatment-policy --json
//! cargo run --example responder_analysis -- --help
//! ```

use clap::Parser;
use pain_outcomes::analysis::{
    AdjustedResponders, Covariate, ResponderAnalysis, ResponderAnalysisOptions, RuleChoice,
    adjusted_responders, responder_analysis,
};
use pain_outcomes::report::{Table, responder_table};
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
    /// Also a covariate-adjusted analysis at this visit (logistic regression: odds ratio with
    /// Wald and profile intervals, standardised risk difference) [default: none]
    #[arg(long, value_name = "VISIT")]
    adjusted_at: Option<String>,
    /// Covariate of the adjusted analysis: age, bmi, severity, sex, site or any column of your
    /// own; repeatable
    #[arg(long = "adjust-for", value_name = "NAME")]
    adjust_for: Vec<Covariate>,
    /// Factor of a Cochran–Mantel–Haenszel analysis at the adjusted visit (site, sex or a text
    /// column of your own) [default: none]
    #[arg(long, value_name = "FACTOR")]
    strata: Option<Covariate>,
}

/// The responder analysis and, when asked for, its adjusted counterpart at one visit.
#[derive(serde::Serialize)]
struct Output {
    responders: ResponderAnalysis,
    adjusted: Option<AdjustedResponders>,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.responders)?;
        match &self.adjusted {
            Some(a) => write!(f, "\n{a}"),
            None => Ok(()),
        }
    }
}

impl cli::Reported for Output {
    const TITLE: &'static str = "Responder analysis";

    fn tables(&self) -> Vec<Table> {
        vec![responder_table(&self.responders.responders)]
    }
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
        let adjusted = match &args.adjusted_at {
            Some(visit) => Some(adjusted_responders(
                &loaded.cohort,
                &wide,
                args.rule,
                visit,
                &args.adjust_for,
                args.strata.as_ref(),
                &options,
            )?),
            None => None,
        };
        Ok(Output {
            responders: responder_analysis(&loaded.cohort, &wide, args.rule, &options)?,
            adjusted,
        })
    })
}
