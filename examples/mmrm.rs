//! Mixed model for repeated measures (MMRM) of a pain trial: each arm against the reference
//! arm at every visit, using all observed follow-ups (valid under missing at random).
//!
//! ```text
//! cargo run --release --example mmrm                      # bundled knee OA trial, NRS
//! cargo run --release --example mmrm -- --input my.csv --instrument vas \
//!     --covariance ar1 --method reml --df kenward-roger --reference-arm corticosteroid --json
//! ```
//!
//! Model: `change ~ baseline*visit + arm*visit` (change from the patient's baseline, the last
//! non-missing score on a day ≤ 0), within-patient covariance over the post-baseline visits
//! (`--covariance us|cs|csh|ar1|arh1|toep|toeph|ad|sp_exp`, default `us`; `sp_exp` uses the
//! visit positions as coordinates), REML (default) or ML, Satterthwaite (default) or
//! Kenward–Roger df; `--sas-iterations` stops where SAS PROC MIXED stops (its start, steps and
//! convergence rule) instead of at the optimum, to reproduce SAS's printed numbers. Prints the fit certificate, the covariance
//! matrix, LS-means by arm × visit, differences versus the reference arm by visit (estimate,
//! SE, df, 95 % CI, p), Type III tests, logLik/AIC/BIC and the patients left out. A load or
//! argument error prints the typed error and exits with status 1; a refusal (for example a
//! fit that does not converge) is printed as such.

use pain_outcomes::data::{LoadOptions, read_csv};
use pain_outcomes::stats::mmrm::{
    ArmDifference, CohortMmrm, CovarianceFit, CovarianceStructure, DfMethod, Estimation,
    MmrmBuilder, Response,
};
use pain_outcomes::{Error, Outcome};
use std::process::ExitCode;

const USAGE: &str = "usage: mmrm [--input PATH] [--instrument CODE] \
[--covariance us|cs|csh|ar1|arh1|toep|toeph|ad|sp_exp] [--method reml|ml] \
[--df satterthwaite|kenward-roger|kenward-roger-linear] [--reference-arm ARM] [--sas-iterations] \
[--json]";

struct Args {
    input: String,
    instrument: String,
    covariance: String,
    method: String,
    df: String,
    reference_arm: Option<String>,
    sas_iterations: bool,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        input: concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv").into(),
        instrument: "nrs".into(),
        covariance: "us".into(),
        method: "reml".into(),
        df: "satterthwaite".into(),
        reference_arm: None,
        sas_iterations: false,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--input" => args.input = value("--input")?,
            "--instrument" => args.instrument = value("--instrument")?,
            "--covariance" => args.covariance = value("--covariance")?,
            "--method" => args.method = value("--method")?,
            "--df" => args.df = value("--df")?,
            "--reference-arm" => args.reference_arm = Some(value("--reference-arm")?),
            "--sas-iterations" => args.sas_iterations = true,
            "--json" => args.json = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

fn run(args: &Args) -> Result<Outcome<CohortMmrm>, Error> {
    let covariance: CovarianceStructure = args.covariance.parse()?;
    let method: Estimation = args.method.parse()?;
    let df: DfMethod = args.df.parse()?;
    let loaded = read_csv(&args.input, &LoadOptions::default())?;
    let cohort = &loaded.cohort;
    let mut builder = MmrmBuilder::new(cohort)
        .instrument(&args.instrument)
        .response(Response::ChangeFromBaseline)
        .covariance(covariance)
        .method(method)
        .df(df);
    if let Some(r) = &args.reference_arm {
        builder = builder.reference_arm(r);
    }
    if args.sas_iterations {
        builder = builder.covariance_fit(CovarianceFit::SasIterations);
    }
    builder.fit()
}

fn print_text(r: &CohortMmrm) {
    let fit = &r.fit;
    println!(
        "MMRM: {} change from baseline ~ {}   ({} patients, {} observations)",
        r.instrument, r.formula, fit.n_subjects, fit.n_observations
    );
    let e = &r.exclusions;
    println!(
        "excluded patients: {} without baseline, {} missing a covariate, {} without follow-up (total {})",
        e.no_baseline,
        e.missing_covariate,
        e.no_follow_up,
        e.total()
    );
    println!(
        "patients per arm: {}",
        r.patients_per_arm
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let c = &fit.certificate;
    println!(
        "\nfit certificate: {:?}, covariance {}, df {:?}; attempt {}, {} iterations, {} evaluations, \
gradient norm {:.2e}, Newton decrement {:.2e}, Hessian {} (min scaled eigenvalue {:.3e})",
        fit.method,
        fit.covariance.code(),
        fit.df_method,
        c.attempt,
        c.iterations,
        c.evaluations,
        c.gradient_norm,
        c.newton_decrement,
        if c.hessian_positive_definite {
            "positive definite"
        } else {
            "NOT positive definite"
        },
        c.hessian_min_scaled_eigenvalue
    );
    let s = &fit.fit_statistics;
    println!(
        "logLik {:.4}   -2logLik {:.4}   AIC {:.4}   AICc {:.4}   BIC {:.4}   ({} parameters)",
        s.log_likelihood, s.minus_two_log_likelihood, s.aic, s.aicc, s.bic, s.n_parameters
    );

    println!("\ncovariance over visits ({}):", fit.covariance.code());
    print!("{:<12}", "");
    for v in &r.visits {
        print!("{v:>10}");
    }
    println!();
    if let Some(m) = fit.covariance_matrices.first() {
        for (v, row) in r.visits.iter().zip(m) {
            print!("{v:<12}");
            for x in row {
                print!("{x:>10.4}");
            }
            println!();
        }
    }
    println!("correlations:");
    if let Some(m) = fit.covariance_matrices.first() {
        for (i, (v, row)) in r.visits.iter().zip(m).enumerate() {
            print!("{v:<12}");
            for (j, x) in row.iter().enumerate() {
                print!("{:>10.3}", x / (m[i][i] * m[j][j]).sqrt());
            }
            println!();
        }
    }

    println!("\nLS-means (change from baseline):");
    println!(
        "{:<26} {:<10} {:>8} {:>7} {:>7} {:>18}",
        "arm", "visit", "LS-mean", "SE", "df", "95% CI"
    );
    for l in &r.lsmeans {
        let get = |k: &str| {
            l.cell
                .iter()
                .find(|(f, _)| f == k)
                .map_or("", |(_, v)| v.as_str())
        };
        match &l.estimate {
            Outcome::Computed(e) => println!(
                "{:<26} {:<10} {:>8.3} {:>7.3} {:>7.1} [{:>7.3}, {:>7.3}]",
                get("arm"),
                get("visit"),
                e.estimate,
                e.std_error,
                e.df,
                e.confidence_interval.lower,
                e.confidence_interval.upper
            ),
            Outcome::Refused(x) => println!(
                "{:<26} {:<10} refused: {}",
                get("arm"),
                get("visit"),
                x.detail
            ),
        }
    }

    println!("\ndifferences vs {} by visit:", r.reference_arm);
    println!("{}", ArmDifference::table_header());
    for d in &r.differences {
        match d {
            Outcome::Computed(d) => println!("{d}"),
            Outcome::Refused(x) => println!("refused: {}", x.detail),
        }
    }

    println!("\nType III tests:");
    println!(
        "{:<24} {:>6} {:>9} {:>10} {:>10}",
        "term", "num df", "den df", "F", "p"
    );
    for t in &r.type3 {
        match t {
            Outcome::Computed(t) => println!("{t}"),
            Outcome::Refused(x) => println!("refused: {}", x.detail),
        }
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
    let outcome = match run(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&outcome) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    match &outcome {
        Outcome::Computed(r) => print_text(r),
        Outcome::Refused(r) => println!("MMRM refused ({}): {}", r.reason.code(), r.detail),
    }
    ExitCode::SUCCESS
}
