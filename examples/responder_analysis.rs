//! Responder analysis: how many patients got meaningful relief, how fast, and for how long.
//!
//! ```text
//! cargo run --release --example responder_analysis
//! cargo run --release --example responder_analysis -- --input my.csv --events my_events.csv \
//!     --instrument vas --rule mcid --missing observed --intercurrent treatment-policy --json
//! ```
//!
//! Rules: `immpact30` (≥ 30 % improvement, default), `immpact50`, `mcid` (the instrument's
//! published minimal important change for the cohort's condition), `points:X`, `percent:X`.
//! Missing follow-ups: `nri` (non-responder imputation, default) or `observed` (observed cases).
//! Surgery or rescue medication before a visit: `non-response` (composite, default) or
//! `treatment-policy` (ignored).

use pain_outcomes::data::{CsvFiles, LoadOptions, read_csv_files};
use pain_outcomes::stats::arms::{
    ResponderAnalysisOptions, ResponderTable, RuleChoice, responders_by_arm_and_visit,
};
use pain_outcomes::stats::onset::{OnsetDurability, onset_and_durability};
use pain_outcomes::stats::responders::{Evaluation, IntercurrentStrategy, MissingPolicy};
use pain_outcomes::{Error, Outcome};
use std::process::ExitCode;

const USAGE: &str = "usage: responder_analysis [--input PATH] [--events PATH] \
[--instrument CODE] [--rule immpact30|immpact50|mcid|points:X|percent:X] [--missing nri|observed] \
[--intercurrent non-response|treatment-policy] [--reference-arm ARM] [--json]";

struct Args {
    input: String,
    events: Option<String>,
    instrument: String,
    rule: RuleChoice,
    missing: MissingPolicy,
    intercurrent: IntercurrentStrategy,
    reference_arm: Option<String>,
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
        input: format!("{dir}knee_oa_trial.csv"),
        events: Some(format!("{dir}knee_oa_trial_events.csv")),
        instrument: "nrs".into(),
        rule: RuleChoice::Immpact30,
        missing: MissingPolicy::NonResponderImputation,
        intercurrent: IntercurrentStrategy::NonResponse,
        reference_arm: None,
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
            "--instrument" => args.instrument = value("--instrument")?,
            "--rule" => args.rule = parse_rule(&value("--rule")?)?,
            "--missing" => {
                args.missing = match value("--missing")?.as_str() {
                    "nri" => MissingPolicy::NonResponderImputation,
                    "observed" => MissingPolicy::ObservedCases,
                    other => return Err(format!("unknown --missing `{other}`\n{USAGE}")),
                }
            }
            "--intercurrent" => {
                args.intercurrent = match value("--intercurrent")?.as_str() {
                    "non-response" => IntercurrentStrategy::NonResponse,
                    "treatment-policy" => IntercurrentStrategy::TreatmentPolicy,
                    other => return Err(format!("unknown --intercurrent `{other}`\n{USAGE}")),
                }
            }
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
struct ArmOnset {
    arm: String,
    onset_and_durability: OnsetDurability,
}

#[derive(serde::Serialize)]
struct Analysis {
    responders: ResponderTable,
    visit_days: Vec<f64>,
    onset: Vec<ArmOnset>,
}

fn run(args: &Args) -> Result<Analysis, Error> {
    let mut files = CsvFiles::new(&args.input);
    if let Some(e) = &args.events {
        files = files.with_events(e);
    }
    let cohort = read_csv_files(&files, &LoadOptions::default())?.cohort;
    let wide = cohort.wide(&args.instrument)?;
    let condition = cohort.common_condition();
    let rule = args.rule.rule(&wide.instrument, condition)?;
    let reference = args.reference_arm.clone().or_else(|| {
        wide.arms
            .iter()
            .any(|a| a == "placebo")
            .then(|| "placebo".to_string())
    });
    let mut options = ResponderAnalysisOptions::default()
        .with_missing(args.missing)
        .with_intercurrent(args.intercurrent);
    if let Some(r) = &reference {
        options = options.with_reference_arm(r);
    }
    let responders =
        responders_by_arm_and_visit(&cohort, &wide, &rule, &args.rule.label(), &options)?;

    // onset and durability per arm, on the same evaluations
    let nv = wide.n_visits();
    // visits are reported at their mean day, rounded to whole days
    let visit_days: Vec<f64> = wide.visit_mean_day.iter().map(|d| d.round()).collect();
    let mut onset = Vec::new();
    for (a, arm) in wide.arms.iter().enumerate() {
        let evaluations: Vec<Evaluation> = (0..wide.n_patients())
            .filter(|&r| wide.arm[r] as usize == a)
            .flat_map(|r| (0..nv).map(move |v| (r, v)))
            .map(|(r, v)| rule.evaluate(wide.baseline[r], wide.score(r, v)))
            .collect();
        onset.push(ArmOnset {
            arm: arm.clone(),
            onset_and_durability: onset_and_durability(&visit_days, &evaluations, args.missing)?,
        });
    }
    Ok(Analysis {
        responders,
        visit_days,
        onset,
    })
}

fn print_text(a: &Analysis) {
    let t = &a.responders;
    println!(
        "responders: rule {} on {} ({:?}; intercurrent events: {:?}); reference arm: {}",
        t.rule,
        t.instrument,
        t.missing,
        t.intercurrent,
        t.reference_arm.as_deref().unwrap_or("none")
    );
    println!(
        "{:<28} {:<9} {:>7} {:>18} {:>24} {:>16} {:>16} {:>9}",
        "arm",
        "visit",
        "resp/n",
        "rate [Wilson]",
        "RD [Newcombe]",
        "RR [log CI]",
        "OR [Woolf]",
        "NNT"
    );
    for c in &t.cells {
        let rate = match &c.rate {
            Outcome::Computed(r) => format!(
                "{:.2} [{:.2}, {:.2}]",
                r.rate, r.confidence_interval.lower, r.confidence_interval.upper
            ),
            Outcome::Refused(r) => r.reason.code().into(),
        };
        let ratio = |o: &Outcome<pain_outcomes::stats::responders::RatioEstimate>| match o {
            Outcome::Computed(r) => format!(
                "{:.2} [{:.2}, {:.2}]",
                r.estimate, r.confidence_interval.lower, r.confidence_interval.upper
            ),
            Outcome::Refused(r) => r.reason.code().into(),
        };
        let (rd, rr, or, nnt) = match &c.versus_reference {
            Some(Outcome::Computed(v)) => (
                format!(
                    "{:+.2} [{:+.2}, {:+.2}]",
                    v.risk_difference,
                    v.risk_difference_interval.lower,
                    v.risk_difference_interval.upper
                ),
                ratio(&v.relative_risk),
                ratio(&v.odds_ratio),
                match &v.number_needed_to_treat {
                    Outcome::Computed(n) => format!("{:.1}", n.nnt),
                    Outcome::Refused(r) => r.reason.code().into(),
                },
            ),
            Some(Outcome::Refused(r)) => (
                r.reason.code().into(),
                String::new(),
                String::new(),
                String::new(),
            ),
            None => (
                "reference".into(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        println!(
            "{:<28} {:<9} {:>7} {:>18} {:>24} {:>16} {:>16} {:>9}",
            c.arm,
            c.visit,
            format!("{}/{}", c.counts.responders, c.counts.analysed),
            rate,
            rd,
            rr,
            or,
            nnt
        );
    }
    println!();
    println!(
        "onset and durability (first visit meeting the rule; share of earlier responders still responding)"
    );
    for o in &a.onset {
        println!("  {:<28} {}", o.arm, o.onset_and_durability);
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
        Ok(a) if args.json => match serde_json::to_string_pretty(&a) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        },
        Ok(a) => print_text(&a),
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
