//! Meta-analysis of published comparisons from a studies file: each study's effect size and
//! variance, the pooled estimate (fixed or random effects), heterogeneity (Q, I², H², τ² with
//! its Q-profile interval), the prediction interval, leave-one-out estimates, Egger's test, the
//! funnel table, and optionally subgroups and a meta-regression.
//!
//! ```text
//! cargo run --release --example meta_analysis                    # bundled synthetic studies
//! cargo run --release --example meta_analysis -- --measure rr --method dl --knapp-hartung \
//!     --by condition --json
//! cargo run --release --example meta_analysis -- --input my_studies.csv --measure smd \
//!     --regress follow_up_days
//! cargo run --example meta_analysis -- --help
//! ```

use clap::Parser;
use pain_outcomes::analysis::{MetaAnalysisOptions, meta_analysis};
use pain_outcomes::data::read_studies;
use pain_outcomes::report::{Provenance, to_json};
use pain_outcomes::stats::meta::{EffectMeasure, MetaInference, MetaMethod, MetaOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[path = "support/cli.rs"]
#[allow(dead_code)] // this example reads a studies file, not a cohort: only the output is shared
mod cli;

/// Meta-analysis of a studies file (one row per comparison; see datasets/README.md). Runs on
/// the bundled synthetic datasets/published_trials.csv when no --input is given.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Studies CSV: study, year, condition, therapy, comparator, cell_source, follow_up_days,
    /// instrument, and n/mean/sd of both groups or events/n of both groups; other columns are
    /// moderators [default: datasets/published_trials.csv]
    #[arg(long, value_name = "PATH")]
    input: Option<PathBuf>,
    /// Effect measure: md (mean difference), smd (Hedges' g), rr (log risk ratio), or (log
    /// odds ratio); rows without the data the measure needs are listed as excluded
    #[arg(long, value_name = "MEASURE", default_value = "md")]
    measure: EffectMeasure,
    /// Model: fe (fixed effect), or random effects with τ² by dl (DerSimonian–Laird), reml or
    /// pm (Paule–Mandel)
    #[arg(long, value_name = "METHOD", default_value = "reml")]
    method: MetaMethod,
    /// Knapp–Hartung adjustment: t and F tests on k − p df with the scaled covariance
    /// [default: z tests]
    #[arg(long)]
    knapp_hartung: bool,
    /// Subgroups by this column (condition, therapy, comparator, cell_source, instrument, or
    /// a text column of your own), with the test of subgroup differences [default: none]
    #[arg(long, value_name = "COLUMN")]
    by: Option<String>,
    /// Meta-regression on this numeric column (follow_up_days, year, or a numeric column of
    /// your own) [default: none]
    #[arg(long, value_name = "COLUMN")]
    regress: Option<String>,
    /// Confidence level of every interval
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    level: f64,
    /// Print the full result as JSON instead of tables
    #[arg(long)]
    json: bool,
    /// Write the report into this folder: report.html, report.md, tables/*.csv and
    /// results.json [default: no report]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let path = args.input.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/datasets/published_trials.csv"
        ))
    });
    let inference = if args.knapp_hartung {
        MetaInference::KnappHartung
    } else {
        MetaInference::Normal
    };
    let mut options = MetaAnalysisOptions::new(args.measure).with_model(
        MetaOptions::default()
            .with_method(args.method)
            .with_inference(inference)
            .with_confidence_level(args.level),
    );
    if let Some(by) = &args.by {
        options = options.with_subgroups(by);
    }
    if let Some(column) = &args.regress {
        options = options.with_regression(column);
    }
    let provenance = Provenance::new()
        .with_data_file(path.display().to_string())
        .with_option("measure", format!("{:?}", args.measure))
        .with_option("method", format!("{:?}", args.method))
        .with_option("knapp_hartung", args.knapp_hartung.to_string())
        .with_option("level", args.level.to_string());
    cli::finish(
        read_studies(&path)
            .and_then(|table| meta_analysis(&table, &options))
            .and_then(|result| {
                let mut text = if args.json {
                    to_json(&result)?
                } else {
                    result.to_string()
                };
                if let Some(out) = &args.out {
                    let report = cli::text_report("Meta-analysis", &result, Vec::new(), provenance);
                    let written = cli::write(out, &report, &result)?;
                    if args.json {
                        eprintln!("{written}"); // stdout holds the JSON alone
                    } else {
                        text.push_str(&format!("\n{written}"));
                    }
                }
                Ok(text)
            }),
    )
}
