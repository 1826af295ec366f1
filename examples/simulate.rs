//! Writes a simulated cohort: `<name>.csv`, `<name>_events.csv` and `<name>_truth.json`.
//!
//! ```text
//! cargo run --release --example simulate -- --preset knee_oa_trial --seed 20261128 --out datasets/
//! ```
//!
//! Flags: `--preset NAME` (`knee_oa_trial`, `tendinopathy_registry`, `disc_degeneration`),
//! `--seed N`, `--patients N`, `--out DIR` (default `.`), `--threads N`, `--no-truth` (skip the
//! JSON), `--print-truth` (print the true-effect table as Markdown).

use pain_outcomes::simulate::{SimulationConfig, TrueParameters, simulate_to_csv_with_events};
use std::path::PathBuf;
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut preset = "knee_oa_trial".to_string();
    let mut seed = None;
    let mut patients = None;
    let mut threads = None;
    let mut out = PathBuf::from(".");
    let mut write_truth = true;
    let mut print_truth = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--preset" => preset = value("--preset")?,
            "--seed" => {
                seed = Some(
                    value("--seed")?
                        .parse::<u64>()
                        .map_err(|e| format!("--seed: {e}"))?,
                )
            }
            "--patients" => {
                patients = Some(
                    value("--patients")?
                        .parse::<usize>()
                        .map_err(|e| format!("--patients: {e}"))?,
                )
            }
            "--threads" => {
                threads = Some(
                    value("--threads")?
                        .parse::<usize>()
                        .map_err(|e| format!("--threads: {e}"))?,
                )
            }
            "--out" => out = PathBuf::from(value("--out")?),
            "--no-truth" => write_truth = false,
            "--print-truth" => print_truth = true,
            "-h" | "--help" => {
                println!(
                    "usage: simulate [--preset {}] [--seed N] [--patients N] [--threads N] [--out DIR] [--no-truth] [--print-truth]",
                    SimulationConfig::PRESETS.join("|")
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
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
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
