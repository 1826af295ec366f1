//! Writes a simulated cohort: `<name>.csv`, `<name>_events.csv` and `<name>_truth.json`.
//!
//! ```text
//! cargo run --release --example simulate -- --preset knee_oa_trial --seed 20261128 --out datasets/
//! ```
//!
//! `--help` lists every flag with its default.

use clap::Parser;
use pain_outcomes::simulate::{SimulationConfig, TrueParameters, simulate_to_csv_with_events};
use std::path::PathBuf;
use std::process::ExitCode;

/// Write a simulated cohort of a preset: <name>.csv (assessments, with the arm column of the
/// simulated randomisation), <name>_events.csv and <name>_truth.json (the true effects).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Preset: knee_oa_trial, tendinopathy_registry or disc_degeneration
    #[arg(long, value_name = "NAME", default_value = "knee_oa_trial")]
    preset: String,
    /// Random seed (the output is the same for a seed whatever the thread count) [default: the
    /// preset's seed]
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Number of patients [default: the preset's]
    #[arg(long, value_name = "N")]
    patients: Option<usize>,
    /// Worker threads [default: all cores]
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Output folder
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// Do not write the <name>_truth.json file
    #[arg(long)]
    no_truth: bool,
    /// Print the true-effect table as Markdown
    #[arg(long)]
    print_truth: bool,
}

fn run(args: Args) -> Result<(), String> {
    let Args {
        preset,
        seed,
        patients,
        threads,
        out,
        no_truth,
        print_truth,
    } = args;
    let write_truth = !no_truth;
    let mut config = SimulationConfig::preset(&preset).ok_or(format!(
        "unknown preset `{preset}`; expected one of {}",
        SimulationConfig::PRESETS.join(", ")
    ))?;
    if let Some(s) = seed {
        config = config.with_seed(s);
    }
    if let Some(n) = patients {
        config = config.with_patients(n);
    }
    if let Some(t) = threads {
        config = config.with_threads(t);
    }
    let truth = TrueParameters::of(&config).map_err(|e| e.to_string())?;
    if print_truth {
        println!("{truth}");
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let a_path = out.join(format!("{}.csv", config.name));
    let e_path = out.join(format!("{}_events.csv", config.name));
    let create =
        |p: &PathBuf| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let start = std::time::Instant::now();
    simulate_to_csv_with_events(&config, create(&a_path)?, create(&e_path)?)
        .map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    if write_truth {
        let t_path = out.join(format!("{}_truth.json", config.name));
        let mut json = serde_json::to_string_pretty(&truth).map_err(|e| e.to_string())?;
        json.push('\n');
        std::fs::write(&t_path, json).map_err(|e| format!("{}: {e}", t_path.display()))?;
    }
    eprintln!(
        "{}: {} patients, seed {}, written to {} in {:.2?}",
        config.name,
        config.n_patients,
        config.seed,
        out.display(),
        elapsed
    );
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
