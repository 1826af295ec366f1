//! Loads one CSV once, for measuring time and peak memory from outside
//! (`/usr/bin/time -v`), with this crate's reader or with polars' CSV reader.
//!
//! ```text
//! cargo run --release --example load_peak_memory -- --generate 1000000   # writes the file, prints its path
//! /usr/bin/time -v target/release/examples/load_peak_memory PATH
//! /usr/bin/time -v target/release/examples/load_peak_memory PATH --polars
//! cargo run --example load_peak_memory    # no path: a generated 10^4-patient file
//! ```

use clap::Parser;
use pain_outcomes::data::{LoadOptions, read_csv};
use pain_outcomes::polars::prelude::{CsvReadOptions, SerReader};
use std::process::ExitCode;
use std::time::Instant;

#[path = "../benches/support/contract_csv.rs"]
mod contract_csv;

/// Load one CSV once, with this crate's reader or polars' (for `/usr/bin/time -v`).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The CSV to load [default: a generated file of 10^4 patients]
    path: Option<String>,
    /// Write a contract CSV of N patients (in the system's temporary folder), print its path and
    /// exit
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Read with polars' CSV reader instead of this crate's validating reader
    #[arg(long)]
    polars: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(n) = args.generate {
        return match contract_csv::ensure(n) {
            Ok(p) => {
                println!("{}", p.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write the file: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // with no path: a small generated file (10^4 patients), so the example runs as it is
    let generated;
    let path = match &args.path {
        Some(p) => p,
        None => match contract_csv::ensure(10_000) {
            Ok(p) => {
                generated = p.display().to_string();
                &generated
            }
            Err(e) => {
                eprintln!("cannot write the default file: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let start = Instant::now();
    if args.polars {
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(path.into()))
            .and_then(|r| r.finish());
        match df {
            Ok(df) => println!(
                "polars: {} rows x {} columns in {:.3} s",
                df.height(),
                df.width(),
                start.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        match read_csv(path, &LoadOptions::default()) {
            Ok(l) => println!(
                "read_csv: {} rows, {} patients in {:.3} s",
                l.report.rows_read,
                l.cohort.n_patients(),
                start.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
