//! Time to surgery (or to loss of response, or to rescue medication) per therapy: how follow-up
//! ended, Kaplan–Meier medians and survival at 6, 12 and 24 months, restricted mean survival
//! time, log-rank test, Cox hazard ratios versus the reference arm and the proportional-hazards
//! test.
//!
//! ```text
//! cargo run --release --example time_to_surgery                 # bundled disc degeneration trial
//! cargo run --release --example time_to_surgery -- --input my.csv --events my_events.csv \
//!     --endpoint loss-of-response --rule immpact50 --reference-arm placebo --tau 365 --json
//! ```
//!
//! Endpoints: `surgery` (default), `rescue`, `loss-of-response` (on `--instrument`, default
//! `nrs`, with `--rule immpact30|immpact50|mcid|points:X|percent:X`; surgery or rescue
//! medication after a response counts as loss of response, withdrawal censors). The reference
//! arm defaults to `usual_care`, else `placebo`, else the first arm. τ defaults to the earliest
//! of the arms' last follow-up times. Errors print the typed error and exit with status 1.

use pain_outcomes::data::{CsvFiles, EventEndpoint, LoadOptions, read_csv_files};
use pain_outcomes::stats::arms::RuleChoice;
use pain_outcomes::stats::time_to_event::{
    LossOfResponseExclusions, LossOfResponseOptions, TimeToEventAnalysis, TimeToEventOptions,
    analyse_time_to_event, time_to_loss_of_response,
};
use pain_outcomes::{Error, Outcome};
use std::process::ExitCode;

const USAGE: &str = "usage: time_to_surgery [--input PATH] [--events PATH] \
[--endpoint surgery|loss-of-response|rescue] [--instrument CODE] \
[--rule immpact30|immpact50|mcid|points:X|percent:X] [--reference-arm ARM] [--tau DAYS] [--json]";

struct Args {
    input: String,
    events: Option<String>,
    endpoint: EventEndpoint,
    instrument: String,
    rule: RuleChoice,
    reference_arm: Option<String>,
    tau: Option<f64>,
    json: bool,
}

fn parse_rule(s: &str) -> Result<RuleChoice, String> {
    let number = |x: &str| {
        x.parse::<f64>()
            .map_err(|_| format!("`{x}` is not a number in --rule {s}"))
    };
    match s {
        "immpact30" => Ok(RuleChoice::Immpact30),
        "immpact50" => Ok(RuleChoice::Immpact50),
        "mcid" => Ok(RuleChoice::Mcid),
        _ => match s.split_once(':') {
            Some(("points", x)) => Ok(RuleChoice::Points(number(x)?)),
            Some(("percent", x)) => Ok(RuleChoice::Percent(number(x)?)),
            _ => Err(format!("unknown rule `{s}`\n{USAGE}")),
        },
    }
}

fn parse_args() -> Result<Args, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let mut args = Args {
        input: format!("{dir}disc_degeneration.csv"),
        events: Some(format!("{dir}disc_degeneration_events.csv")),
        endpoint: EventEndpoint::Surgery,
        instrument: "nrs".into(),
        rule: RuleChoice::Immpact30,
        reference_arm: None,
        tau: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    let (mut custom_input, mut custom_events) = (false, false);
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
            "--endpoint" => {
                args.endpoint = match value("--endpoint")?.as_str() {
                    "surgery" => EventEndpoint::Surgery,
                    "rescue" | "rescue-medication" => EventEndpoint::RescueMedication,
                    "loss-of-response" => EventEndpoint::LossOfResponse,
                    other => return Err(format!("unknown --endpoint `{other}`\n{USAGE}")),
                }
            }
            "--instrument" => args.instrument = value("--instrument")?,
            "--rule" => args.rule = parse_rule(&value("--rule")?)?,
            "--reference-arm" => args.reference_arm = Some(value("--reference-arm")?),
            "--tau" => {
                let v = value("--tau")?;
                args.tau = Some(
                    v.parse::<f64>()
                        .map_err(|_| format!("`{v}` is not a number of days in --tau\n{USAGE}"))?,
                );
            }
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
struct Report {
    endpoint: EventEndpoint,
    /// Loss of response only: instrument and rule.
    responder_rule: Option<String>,
    /// Loss of response only: patients who could not enter, per arm.
    excluded: Vec<LossOfResponseExclusions>,
    analysis: TimeToEventAnalysis,
}

fn run(args: &Args) -> Result<Report, Error> {
    let mut files = CsvFiles::new(&args.input);
    if let Some(e) = &args.events {
        files = files.with_events(e);
    }
    let cohort = read_csv_files(&files, &LoadOptions::default())?.cohort;
    let mut options = TimeToEventOptions::default();
    if let Some(r) = &args.reference_arm {
        options = options.with_reference_arm(r);
    }
    if let Some(t) = args.tau {
        options = options.with_tau(t);
    }
    let (data, responder_rule, excluded) = match args.endpoint {
        EventEndpoint::LossOfResponse => {
            let wide = cohort.wide(&args.instrument)?;
            let condition = cohort.common_condition();
            let rule = args.rule.rule(&wide.instrument, condition)?;
            let lor =
                time_to_loss_of_response(&cohort, &wide, &rule, &LossOfResponseOptions::default())?;
            (
                lor.data,
                Some(format!("{} on {}", args.rule.label(), lor.instrument)),
                lor.excluded,
            )
        }
        endpoint => (cohort.time_to_event(endpoint)?, None, Vec::new()),
    };
    let analysis = analyse_time_to_event(&cohort, &data, &options)?;
    Ok(Report {
        endpoint: args.endpoint,
        responder_rule,
        excluded,
        analysis,
    })
}

fn print_text(r: &Report) {
    if let Some(rule) = &r.responder_rule {
        println!(
            "loss of response: rule {rule}; time from first treatment; only patients who responded \
             enter (surgery or rescue medication after a response = loss; withdrawal censors)"
        );
        println!(
            "{:<28} {:>12} {:>16}",
            "not analysed", "no baseline", "never responded"
        );
        for e in &r.excluded {
            println!(
                "{:<28} {:>12} {:>16}",
                e.arm, e.no_baseline, e.never_responded
            );
        }
        println!();
    }
    println!("{}", r.analysis);
    // months, as clinicians read them
    let a = &r.analysis;
    println!();
    println!(
        "hazard ratios versus {} (Cox, Efron ties):",
        a.reference_arm
    );
    match &a.cox.fit {
        Outcome::Computed(fit) => {
            for c in fit
                .coefficients
                .iter()
                .filter(|c| c.name.starts_with("arm"))
            {
                println!(
                    "  {:<28} HR {:.2} [{:.2}, {:.2}], p = {:.3e}",
                    c.name.trim_start_matches("arm"),
                    c.hazard_ratio,
                    c.confidence_interval.0,
                    c.confidence_interval.1,
                    c.p_value
                );
            }
        }
        Outcome::Refused(e) => println!("  {e}"),
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
    match run(&args) {
        Ok(r) if args.json => match serde_json::to_string_pretty(&r) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        },
        Ok(r) => print_text(&r),
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
