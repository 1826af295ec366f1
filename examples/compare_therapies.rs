//! The main job: compare pain trajectories across therapies.
//!
//! ```text
//! cargo run --release --example compare_therapies                 # bundled knee OA trial
//! cargo run --release --example compare_therapies -- --input my.csv --events my_events.csv \
//!     --instrument vas --reference-arm corticosteroid --json
//! ```
//!
//! Prints, per arm × visit, n, mean, SD and 95 % CI of the score and of the change from
//! baseline; responder rates (IMMPACT ≥ 30 %, ≥ 50 %, and the instrument's minimal important
//! change when one is published) with each arm versus the reference arm; and an ANCOVA of the
//! last visit on arm and baseline; when the cohort has surgeries in its events, time to surgery:
//! Kaplan–Meier medians and Cox hazard ratios versus the reference arm. Any load error prints the typed error and exits with
//! status 1.

use pain_outcomes::data::{CsvFiles, EventEndpoint, LoadOptions, LoadReport, read_csv_files};
use pain_outcomes::stats::ancova::AncovaOptions;
use pain_outcomes::stats::arms::{
    AncovaAtVisit, ArmVisitSummary, ResponderAnalysisOptions, ResponderTable, RuleChoice,
    ancova_at_visit, describe_by_arm_and_visit, responders_by_arm_and_visit,
};
use pain_outcomes::stats::describe::{Describe, DescribeOptions};
use pain_outcomes::stats::mmrm::{ArmDifference, MmrmBuilder};
use pain_outcomes::stats::time_to_event::{
    TimeToEventAnalysis, TimeToEventOptions, analyse_time_to_event,
};
use pain_outcomes::{Error, Outcome};
use std::process::ExitCode;

const USAGE: &str = "usage: compare_therapies [--input PATH] [--events PATH] [--patients PATH] \
[--instrument CODE] [--reference-arm ARM] [--json]";

struct Args {
    input: String,
    events: Option<String>,
    patients: Option<String>,
    instrument: String,
    reference_arm: Option<String>,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let mut args = Args {
        input: format!("{dir}knee_oa_trial.csv"),
        events: Some(format!("{dir}knee_oa_trial_events.csv")),
        patients: None,
        instrument: "nrs".into(),
        reference_arm: None,
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
            "--reference-arm" => args.reference_arm = Some(value("--reference-arm")?),
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
struct Comparison {
    load_report: LoadReport,
    instrument: String,
    reference_arm: String,
    trajectories: Vec<ArmVisitSummary>,
    responders: Vec<ResponderTable>,
    ancova_last_visit: AncovaAtVisit,
    /// MMRM of the change from baseline (US covariance, REML, Satterthwaite df): each arm minus
    /// the reference arm at every visit.
    mmrm: Outcome<MmrmSummary>,
    /// Time to surgery (absent when the cohort records no surgery).
    time_to_surgery: Option<TimeToEventAnalysis>,
}

/// The part of the MMRM a comparison table needs.
#[derive(serde::Serialize)]
struct MmrmSummary {
    formula: String,
    n_patients: usize,
    n_excluded: usize,
    certificate: String,
    differences: Vec<Outcome<ArmDifference>>,
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
    let cohort = &loaded.cohort;
    let wide = cohort.wide(&args.instrument)?;
    let reference_arm = match &args.reference_arm {
        Some(r) => r.clone(),
        None if wide.arms.iter().any(|a| a == "placebo") => "placebo".into(),
        None => wide.arms.first().cloned().unwrap_or_default(),
    };
    let trajectories = describe_by_arm_and_visit(&wide, &DescribeOptions::default())?;

    // the condition decides which published MIC applies; mixed cohorts use the general one
    let condition = cohort.common_condition();
    let options = ResponderAnalysisOptions::default().with_reference_arm(&reference_arm);
    let mut responders = Vec::new();
    for choice in [
        RuleChoice::Immpact30,
        RuleChoice::Immpact50,
        RuleChoice::Mcid,
    ] {
        let Ok(rule) = choice.rule(&wide.instrument, condition) else {
            continue; // no published MIC for this instrument: the table says so by its absence
        };
        responders.push(responders_by_arm_and_visit(
            cohort,
            &wide,
            &rule,
            &choice.label(),
            &options,
        )?);
    }
    let last = wide.n_visits().saturating_sub(1);
    let ancova_last_visit = ancova_at_visit(
        &wide,
        last,
        &AncovaOptions::default().with_reference_arm(&reference_arm),
    )?;
    let mmrm = MmrmBuilder::new(cohort)
        .instrument(&wide.instrument.code)
        .reference_arm(&reference_arm)
        .fit()?
        .map(|m| MmrmSummary {
            formula: m.formula.clone(),
            n_patients: m.fit.n_subjects,
            n_excluded: m.exclusions.total(),
            certificate: {
                let c = &m.fit.certificate;
                format!(
                    "fit certificate: attempt {}, {} iterations, gradient norm {:.2e}, Newton decrement {:.2e}, Hessian positive definite: {}",
                    c.attempt,
                    c.iterations,
                    c.gradient_norm,
                    c.newton_decrement,
                    c.hessian_positive_definite
                )
            },
            differences: m.differences,
        });
    let has_surgery = cohort
        .events()
        .iter()
        .any(|e| e.kind == pain_outcomes::domain::EventKind::Surgery);
    let time_to_surgery = if has_surgery {
        let data = cohort.time_to_event(EventEndpoint::Surgery)?;
        Some(analyse_time_to_event(
            cohort,
            &data,
            &TimeToEventOptions::default().with_reference_arm(&reference_arm),
        )?)
    } else {
        None
    };
    Ok(Comparison {
        mmrm,
        time_to_surgery,
        load_report: loaded.report,
        instrument: wide.instrument.code.clone(),
        reference_arm,
        trajectories,
        responders,
        ancova_last_visit,
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

fn print_text(c: &Comparison) {
    print!("{}", c.load_report);
    println!();
    println!(
        "{} by arm and visit: n, mean, SD, 95% CI (t); change = visit - baseline",
        c.instrument
    );
    println!(
        "{:<28} {:<10} {:>37}   {:>37}",
        "arm", "visit", "score: n mean SD [95% CI]", "change: n mean SD [95% CI]"
    );
    for row in &c.trajectories {
        let change = row.change.as_ref().map(cell).unwrap_or_default();
        println!(
            "{:<28} {:<10} {:>37}   {:>37}",
            row.arm,
            row.visit,
            cell(&row.score),
            change
        );
    }
    for table in &c.responders {
        println!();
        println!(
            "responders: {} on {} ({:?} for missing follow-ups; surgery or rescue = {:?}); vs {}",
            table.rule, table.instrument, table.missing, table.intercurrent, c.reference_arm
        );
        println!(
            "{:<28} {:<10} {:>9} {:>17}   {:>28} {:>10}",
            "arm", "visit", "resp/n", "rate [Wilson]", "risk difference [Newcombe]", "Fisher p"
        );
        for cell in &table.cells {
            let rate = match &cell.rate {
                Outcome::Computed(r) => format!(
                    "{:.2} [{:.2}, {:.2}]",
                    r.rate, r.confidence_interval.lower, r.confidence_interval.upper
                ),
                Outcome::Refused(r) => r.reason.code().to_string(),
            };
            let (rd, p) = match &cell.versus_reference {
                Some(Outcome::Computed(v)) => (
                    format!(
                        "{:+.2} [{:+.2}, {:+.2}]",
                        v.risk_difference,
                        v.risk_difference_interval.lower,
                        v.risk_difference_interval.upper
                    ),
                    format!("{:.2e}", v.fisher_p_value),
                ),
                Some(Outcome::Refused(r)) => (r.reason.code().to_string(), String::new()),
                None => ("reference".to_string(), String::new()),
            };
            println!(
                "{:<28} {:<10} {:>9} {:>17}   {:>28} {:>10}",
                cell.arm,
                cell.visit,
                format!("{}/{}", cell.counts.responders, cell.counts.analysed),
                rate,
                rd,
                p
            );
        }
    }
    println!();
    let a = &c.ancova_last_visit;
    println!(
        "ANCOVA at {}: score ~ arm + baseline (complete cases: {} analysed, {} without baseline or score)",
        a.visit, a.n_analysed, a.n_excluded
    );
    match &a.ancova {
        Outcome::Computed(fit) => println!("{fit}"),
        Outcome::Refused(r) => println!("  {r}"),
    }
    print_mmrm(&c.mmrm, &c.reference_arm);
    if let Some(t) = &c.time_to_surgery {
        print_time_to_surgery(t);
    }
}

fn print_mmrm(m: &Outcome<MmrmSummary>, reference: &str) {
    println!();
    let m = match m {
        Outcome::Computed(m) => m,
        Outcome::Refused(r) => {
            println!("MMRM: {r}");
            return;
        }
    };
    println!(
        "MMRM (US covariance, REML, Satterthwaite df): change ~ {} ({} patients, {} excluded)",
        m.formula, m.n_patients, m.n_excluded
    );
    println!("  {}", m.certificate);
    println!("{}", ArmDifference::table_header());
    for d in &m.differences {
        match d {
            Outcome::Computed(d) => println!("{d}"),
            Outcome::Refused(r) => println!("  {r}"),
        }
    }
    println!(
        "  (differences are arm minus {reference}; negative = more pain relief on a lower-is-better scale)"
    );
}

fn print_time_to_surgery(t: &TimeToEventAnalysis) {
    // a limit that survival never crosses is "NR" (not reached), as in journal tables
    let opt = |x: Option<f64>| x.map_or_else(|| "NR".to_string(), |v| format!("{v:.0}"));
    println!();
    println!(
        "time to surgery (days; censored at withdrawal, last contact or last assessment; NR = not reached); vs {}",
        t.reference_arm
    );
    println!(
        "{:<28} {:>9} {:>26}   {:>26} {:>10}",
        "arm", "events/n", "KM median [95% CI]", "Cox HR [95% CI]", "p"
    );
    let fit = t.cox.fit.computed();
    for a in &t.arms {
        let median = match &a.kaplan_meier {
            Outcome::Computed(k) => format!(
                "{} [{}, {}]",
                opt(k.median.estimate),
                opt(k.median.lower),
                opt(k.median.upper)
            ),
            Outcome::Refused(r) => r.reason.code().to_string(),
        };
        let (hr, p) = if a.arm == t.reference_arm {
            ("reference".to_string(), String::new())
        } else {
            let name = format!("arm{}", a.arm);
            match (fit, &t.cox.fit) {
                (Some(f), _) => match f.coefficients.iter().find(|c| c.name == name) {
                    Some(c) => (
                        format!(
                            "{:.2} [{:.2}, {:.2}]",
                            c.hazard_ratio, c.confidence_interval.0, c.confidence_interval.1
                        ),
                        format!("{:.2e}", c.p_value),
                    ),
                    None => ("-".to_string(), String::new()),
                },
                (None, Outcome::Refused(r)) => (r.reason.code().to_string(), String::new()),
                (None, _) => (String::new(), String::new()),
            }
        };
        println!(
            "{:<28} {:>9} {:>26}   {:>26} {:>10}",
            a.arm,
            format!("{}/{}", a.follow_up.total_events(), a.n),
            median,
            hr,
            p
        );
    }
    match &t.log_rank {
        Outcome::Computed(l) => println!("log-rank test: {}", l.test),
        Outcome::Refused(r) => println!("log-rank test: {r}"),
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
    } else {
        print_text(&result);
    }
    ExitCode::SUCCESS
}
