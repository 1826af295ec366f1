//! The main job: compare every therapy arm with the reference arm on one pain instrument —
//! trajectories by arm and visit, responders (IMMPACT 30 % and 50 %, the instrument's MCID),
//! ANCOVA at the last visit, the MMRM over all visits and time to surgery.
//!
//! ```text
//! cargo run --release --example compare_therapies                 # bundled knee OA trial
//! cargo run --release --example compare_therapies -- --input my.csv --events my_events.csv \
//!     --instrument vas --arms therapy --reference-arm corticosteroid --json
//! cargo run --release --example compare_therapies -- \
//!     --formula "arm*visit + baseline*visit + age + sex + arm:sex" --cox-formula "arm + age"
//! cargo run --example compare_therapies -- --help
//! ```

use clap::Parser;
use pain_outcomes::Error;
use pain_outcomes::analysis::{ArmContrast, TherapyComparisonOptions};
use pain_outcomes::data::Loaded;
use pain_outcomes::report::{
    ComparisonResults, Provenance, Report, comparison_figures, comparison_report,
};
use pain_outcomes::stats::multiplicity::MultiplicityMethod;
use std::process::ExitCode;

#[path = "support/cli.rs"]
mod cli;

/// Compare pain therapies on one instrument: trajectories, responders, ANCOVA, MMRM and time to
/// surgery, every arm against the reference arm. Runs on the bundled knee-osteoarthritis trial
/// when no --input is given. Prints a one-screen summary (every table with --verbose); --out
/// writes the full report.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// The MMRM's model (right-hand side) instead of "arm*visit + baseline*visit": terms and
    /// interactions of arm, visit, baseline, age, bmi, severity, sex, site and any column of
    /// your own, e.g. "arm*visit + baseline*visit + age + symptom_months + arm:sex + sex"
    #[arg(long, value_name = "TERMS")]
    formula: Option<String>,
    /// The Cox model of time to surgery (right-hand side) instead of "arm", e.g.
    /// "arm + age + smoker"
    #[arg(long, value_name = "TERMS")]
    cox_formula: Option<String>,
    /// A contrast of arms estimated from the MMRM at every visit, e.g.
    /// "stem_cell[bone_marrow]+prp - prp" or "0.5*a + 0.5*b - c"; repeatable [default: each
    /// combination arm minus each of its components present as an arm]
    #[arg(long = "contrast", value_name = "CONTRAST")]
    contrasts: Vec<ArmContrast>,
    /// Add all pairs of arms to the contrasts
    #[arg(long)]
    pairwise: bool,
    /// Multiplicity adjustment of the contrasts within each visit: none, bonferroni, holm,
    /// hochberg, bh, or single-step (Dunnett for each arm vs the reference, Tukey for all
    /// pairs: adjusted p-values and simultaneous intervals)
    #[arg(long, value_name = "METHOD", default_value = "none")]
    adjust: MultiplicityMethod,
}

impl cli::Reported for ComparisonResults {
    const TITLE: &'static str = "Comparison of therapies";

    fn summary(&self, loaded: &Loaded) -> Option<String> {
        Some(ComparisonResults::summary(self, &loaded.cohort))
    }

    fn report(&self, loaded: &Loaded, _provenance: Provenance) -> Result<Report, Error> {
        comparison_report(
            self,
            &loaded.cohort,
            comparison_figures(self, &loaded.cohort)?,
        )
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "knee_oa_trial", |loaded| {
        let mut options = TherapyComparisonOptions::new(&args.study.instrument);
        let mut provenance = args.study.provenance("knee_oa_trial");
        if let Some(r) = &args.study.reference_arm {
            options = options.with_reference_arm(r);
        }
        if let Some(f) = &args.formula {
            options = options.with_formula(f);
            provenance = provenance.with_option("formula", f);
        }
        if let Some(f) = &args.cox_formula {
            options = options.with_cox_formula(f);
            provenance = provenance.with_option("cox_formula", f);
        }
        for c in &args.contrasts {
            provenance = provenance.with_option("contrast", &c.label);
        }
        if args.pairwise {
            provenance = provenance.with_option("pairwise", "yes");
        }
        provenance = provenance.with_option("adjust", args.adjust.code());
        options = options.with_contrasts(args.contrasts.clone(), args.pairwise, args.adjust);
        ComparisonResults::new(&loaded.cohort, &options, provenance)
    })
}
