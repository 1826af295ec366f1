//! The main job: compare pain trajectories across therapies.
//!
//! ```text
//! cargo run --release --example compare_therapies                 # bundled knee OA trial
//! cargo run --release --example compare_therapies -- --input my.csv --events my_events.csv \
//!     --instrument vas --json
//! ```
//!
//! Prints, per arm × visit, n, mean, SD and 95 % CI of the score and of the change from
//! baseline. Any load error prints the typed error and exits with status 1.

use pain_outcomes::data::{CsvFiles, LoadOptions, read_csv_files};
use pain_outcomes::stats::describe::{Describe, DescribeOptions, describe};
use pain_outcomes::{Error, Outcome};
use std::process::ExitCode;

const USAGE: &str = "usage: compare_therapies [--input PATH] [--events PATH] [--patients PATH] \
[--instrument CODE] [--json]";

struct Args {
    input: String,
    events: Option<String>,
    patients: Option<String>,
    instrument: String,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let mut args = Args {
        input: format!("{dir}knee_oa_trial.csv"),
        events: Some(format!("{dir}knee_oa_trial_events.csv")),
        patients: None,
        instrument: "nrs".into(),
        json: false,
    };
    let mut it = std::env::args().skip(1);
    let mut custom_input = false;
    let mut custom_events = false;
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--input" => {
                args.input = value("--input")?;
                custom_input = true;
            }
            "--events" => {
                args.events = Some(value("--events")?);
                custom_events = true;
            }
            "--patients" => args.patients = Some(value("--patients")?),
            "--instrument" => args.instrument = value("--instrument")?,
            "--json" => args.json = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if custom_input && !custom_events {
        args.events = None;
    }
    Ok(args)
}

#[derive(serde::Serialize)]
struct Row {
    arm: String,
    visit: String,
    score: Outcome<Describe>,
    /// Absent at baseline.
    change: Option<Outcome<Describe>>,
}

#[derive(serde::Serialize)]
struct Comparison {
    load_report: pain_outcomes::data::LoadReport,
    instrument: String,
    by_arm_and_visit: Vec<Row>,
}

fn run(args: &Args) -> Result<Comparison, Error> {
    let mut files = CsvFiles::new(&args.input);
    if let Some(e) = &args.events {
        files = files.with_events(e);
    }
    if let Some(p) = &args.patients {
        files = files.with_patients(p);
    }
    let loaded = read_csv_files(&files, &LoadOptions::default())?;
    let wide = loaded.cohort.wide(&args.instrument)?;
    let opts = DescribeOptions::default();
    let mut rows = Vec::new();
    let baseline_label = "baseline".to_string();
    for (a, arm) in wide.arms.iter().enumerate() {
        let members: Vec<usize> = (0..wide.n_patients())
            .filter(|&r| wide.arm[r] as usize == a)
            .collect();
        let base: Vec<Option<f64>> = members.iter().map(|&r| wide.baseline[r]).collect();
        rows.push(Row {
            arm: arm.clone(),
            visit: baseline_label.clone(),
            score: describe(&base, &opts)?,
            change: None,
        });
        for (v, visit) in wide.visits.iter().enumerate() {
            let scores: Vec<Option<f64>> = members.iter().map(|&r| wide.score(r, v)).collect();
            let change: Vec<Option<f64>> = members.iter().map(|&r| wide.change(r, v)).collect();
            rows.push(Row {
                arm: arm.clone(),
                visit: visit.clone(),
                score: describe(&scores, &opts)?,
                change: Some(describe(&change, &opts)?),
            });
        }
    }
    Ok(Comparison {
        load_report: loaded.report,
        instrument: wide.instrument.code.clone(),
        by_arm_and_visit: rows,
    })
}

fn cell(o: &Outcome<Describe>) -> String {
    match o {
        Outcome::Computed(d) => format!(
            "{:>4} {:>6.2} {:>5.2} [{:>6.2}, {:>6.2}]",
            d.n, d.mean, d.std_dev, d.confidence_interval.lower, d.confidence_interval.upper
        ),
        Outcome::Refused(r) => format!("{:>4} {}", "-", r.reason.code()),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let result = match run(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&result) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    print!("{}", result.load_report);
    println!();
    println!(
        "{} by arm and visit: n, mean, SD, 95% CI (t); change = visit - baseline",
        result.instrument
    );
    println!(
        "{:<28} {:<10} {:>37}   {:>37}",
        "arm", "visit", "score: n mean SD [95% CI]", "change: n mean SD [95% CI]"
    );
    for row in &result.by_arm_and_visit {
        let change = row.change.as_ref().map(cell).unwrap_or_default();
        println!(
            "{:<28} {:<10} {:>37}   {:>37}",
            row.arm,
            row.visit,
            cell(&row.score),
            change
        );
    }
    ExitCode::SUCCESS
}
