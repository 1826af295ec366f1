//! For whom does a therapy work? One model with an arm × subgroup interaction: each arm against
//! the reference arm within each subgroup (forest-plot rows), the interaction F test and the
//! subgroup sizes per arm; a numeric modifier either cut into bands or kept continuous (the
//! difference in slope per unit).
//!
//! ```text
//! cargo run --release --example subgroups                      # knee OA trial by KL grade
//! cargo run --release --example subgroups -- --by age:50,65 --visit month_6
//! cargo run --release --example subgroups -- --by age          # continuous modifier
//! cargo run --release --example subgroups -- --by sex --model mmrm --json
//! cargo run --release --example subgroups -- --by sex --visit month_3 --responders immpact30
//! cargo run --example subgroups -- --help
//! ```

use clap::Parser;
use pain_outcomes::Outcome;
use pain_outcomes::analysis::{
    EffectModifier, ResponderSubgroups, RuleChoice, SubgroupAnalysis, SubgroupModel,
    SubgroupOptions, responder_subgroups, subgroup_analysis,
};
use std::process::ExitCode;

#[path = "support/cli.rs"]
mod cli;

/// Subgroup and effect-modifier analysis: arm × subgroup interaction in an ANCOVA at one visit
/// or in the MMRM. Runs on the bundled knee-osteoarthritis trial by Kellgren–Lawrence grade
/// when no argument is given.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// What defines the subgroups: severity, sex, site, condition, cell_source, guidance, a text
    /// column of your own; a numeric attribute cut at points (age:50,65, bmi:30); or a numeric
    /// attribute alone (age, bmi) as a continuous modifier
    #[arg(long, value_name = "BY", default_value = "severity")]
    by: EffectModifier,
    /// The visit of the ANCOVA [default: the last]
    #[arg(long, value_name = "VISIT", conflicts_with = "model")]
    visit: Option<String>,
    /// The model: ancova (the score at one visit) or mmrm (change from baseline, all visits)
    #[arg(long, value_name = "MODEL", default_value = "ancova")]
    model: String,
    /// Also responders by subgroup under this rule (immpact30, immpact50, mcid, points:X,
    /// percent:X) at --visit (default the last), with the logistic interaction test
    #[arg(long, value_name = "RULE")]
    responders: Option<RuleChoice>,
}

/// The model-based subgroup analysis and, when asked for, responders by subgroup.
#[derive(serde::Serialize)]
struct Output {
    model: Outcome<SubgroupAnalysis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    responders: Option<Outcome<ResponderSubgroups>>,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.model)?;
        if let Some(r) = &self.responders {
            write!(f, "\n{r}")?;
        }
        Ok(())
    }
}

impl cli::Reported for Output {
    const TITLE: &'static str = "Subgroup analysis";
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "knee_oa_trial", |loaded| {
        let model = match args.model.trim().to_ascii_lowercase().as_str() {
            "ancova" => SubgroupModel::Ancova {
                visit: args.visit.clone(),
            },
            "mmrm" => SubgroupModel::Mmrm,
            other => {
                return Err(pain_outcomes::Error::InvalidArgument {
                    argument: "model",
                    reason: format!("`{other}` is not one of ancova, mmrm"),
                });
            }
        };
        let mut options =
            SubgroupOptions::new(&args.study.instrument, args.by.clone()).with_model(model);
        if let Some(r) = &args.study.reference_arm {
            options = options.with_reference_arm(r);
        }
        let model = subgroup_analysis(&loaded.cohort, &options)?;
        let responders = match args.responders {
            Some(rule) => {
                let visit = match &args.visit {
                    Some(v) => v.clone(),
                    None => loaded
                        .cohort
                        .wide(&args.study.instrument)?
                        .visits
                        .last()
                        .cloned()
                        .unwrap_or_default(),
                };
                Some(responder_subgroups(
                    &loaded.cohort,
                    rule,
                    &visit,
                    &options,
                    &Default::default(),
                )?)
            }
            None => None,
        };
        Ok(Output { model, responders })
    })
}
