//! Trajectory shapes by arm: a linear mixed model of a pain score at every assessment
//! (baseline included) on arm × f(time) with a random intercept and slope per patient, the
//! slope of every arm and its difference from the reference arm, and, for one patient, the
//! predicted course.
//!
//! ```text
//! cargo run --release --example trajectory_slopes                  # bundled knee OA trial, NRS
//! cargo run --release --example trajectory_slopes -- --time piecewise --knots 42 --method ml
//! cargo run --release --example trajectory_slopes -- --site-effect         # + (1 | site)
//! cargo run --release --example trajectory_slopes -- --input my.csv --instrument vas \
//!     --reference-arm corticosteroid --patient KOA-0001 --json
//! cargo run --example trajectory_slopes -- --help
//! ```
//!
//! Prints the fit (REML criterion or deviance, AIC, BIC, optimizer certificate, singular-fit
//! flag), the variance components (with their profile-likelihood intervals, lme4 `confint`, under
//! `--variance-intervals`; with `--site-effect` the site SD and the number of sites), the
//! fixed effects with Satterthwaite df, each arm's slope per
//! phase and its difference from the reference arm with 95 % CI, and the arm mean curves on a
//! grid of days. A refusal (for example a fit that does not converge) is printed as such.

use clap::{Parser, ValueEnum};
use pain_outcomes::Outcome;
use pain_outcomes::analysis::{
    CoursePoint, Covariate, CurvePoint, PatientEffects, TimeScale, TrajectoryFit, TrajectoryModel,
};
use pain_outcomes::stats::lmm::RandomEffectsCovariance;
use pain_outcomes::stats::mmrm::Estimation;
use std::process::ExitCode;

#[path = "support/cli.rs"]
mod cli;

/// Time scale of the trajectories.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Time {
    /// Years since first treatment (day / 365.25)
    Linear,
    /// log(1 + day)
    Log,
    /// Piecewise linear in years with knots at --knots days
    Piecewise,
}

/// Fit score ~ arm * f(time) (+ covariates) + (1 + f(time) | patient) [+ (1 | site)] to every
/// assessment of an instrument. Runs on the bundled knee-osteoarthritis trial when no --input is given.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// Time scale: linear (years), log (log(1 + day)) or piecewise (years, knots in days)
    #[arg(long, value_name = "SCALE", default_value = "linear")]
    time: Time,
    /// Knots of the piecewise time scale, in days, comma separated [default: 42]
    #[arg(long, value_name = "DAYS", value_delimiter = ',')]
    knots: Vec<f64>,
    /// Estimation: reml or ml
    #[arg(long, value_name = "METHOD", default_value = "reml")]
    method: Estimation,
    /// Random intercept only (no random slopes)
    #[arg(long)]
    intercept_only: bool,
    /// Uncorrelated random intercept and slopes (lme4's `||`)
    #[arg(long)]
    uncorrelated: bool,
    /// Profile-likelihood intervals of the variance components (lme4's confint(method =
    /// "profile"); many refits: seconds here, minutes with piecewise time)
    #[arg(long)]
    variance_intervals: bool,
    /// Add a random intercept per site, patients nested in sites (lme4's `+ (1 | site)`); needs
    /// the site of every analysed patient and at least 3 sites (fewer is refused)
    #[arg(long)]
    site_effect: bool,
    /// Restrict the model to these arms, comma separated [default: all arms]
    #[arg(long, value_name = "ARMS", value_delimiter = ',')]
    only_arms: Vec<String>,
    /// Patient-level covariate (main effect): age, bmi, severity, sex, site or your own column;
    /// repeatable
    #[arg(long = "covariate", value_name = "NAME")]
    covariates: Vec<Covariate>,
    /// Print this patient's predicted course (population and patient-specific)
    #[arg(long, value_name = "ID")]
    patient: Option<String>,
}

/// The model, the arm mean curves and, when asked for, one patient's course.
#[derive(serde::Serialize)]
struct Output {
    model: Outcome<TrajectoryFit>,
    mean_curves: Vec<CurvePoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patient: Option<(String, Option<Vec<CoursePoint>>)>,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.model)?;
        if let Outcome::Computed(t) = &self.model
            && let Some(sd) = t.site_std_dev()
        {
            writeln!(
                f,
                "\nsite intercept: SD {sd:.4} between {} sites{}",
                t.fit.n_sites,
                if sd < 1e-4 * t.fit.sigma {
                    " (estimated at 0: a singular fit)"
                } else {
                    ""
                }
            )?;
        }
        if !self.mean_curves.is_empty() {
            writeln!(f, "\narm mean curves (95 % CI):")?;
            for p in &self.mean_curves {
                match &p.mean {
                    Outcome::Computed(e) => writeln!(
                        f,
                        "  {:<28} day {:>4}: {:>7.3} [{:.3}, {:.3}]",
                        p.arm,
                        p.day,
                        e.estimate,
                        e.confidence_interval.lower,
                        e.confidence_interval.upper
                    )?,
                    Outcome::Refused(r) => writeln!(f, "  {} day {}: {r}", p.arm, p.day)?,
                }
            }
        }
        if let Some((id, None)) = &self.patient {
            writeln!(f, "\npatient {id} is not in the model")?;
        }
        if let Some((id, Some(course))) = &self.patient {
            writeln!(f, "\npredicted course of {id}:")?;
            for c in course {
                writeln!(
                    f,
                    "  day {:>4}: patient {:>7.3} (SE {:.3}; a new score in [{:.2}, {:.2}]), arm mean {:>7.3}",
                    c.day,
                    c.predicted,
                    c.std_error,
                    c.prediction_interval.lower,
                    c.prediction_interval.upper,
                    c.population
                )?;
            }
        }
        Ok(())
    }
}

impl cli::Reported for Output {
    const TITLE: &'static str = "Trajectory slopes";
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "knee_oa_trial", |loaded| {
        let time = match args.time {
            Time::Linear => TimeScale::Linear,
            Time::Log => TimeScale::Log,
            Time::Piecewise if args.knots.is_empty() => TimeScale::Piecewise(vec![42.0]),
            Time::Piecewise => TimeScale::Piecewise(args.knots.clone()),
        };
        let mut model = TrajectoryModel::new(&loaded.cohort)
            .instrument(&args.study.instrument)
            .time(time)
            .method(args.method)
            .covariates(&args.covariates)
            .variance_intervals(args.variance_intervals)
            .site_effect(args.site_effect);
        if args.intercept_only {
            model = model.patient_effects(PatientEffects::Intercept);
        }
        if args.uncorrelated {
            model = model.covariance(RandomEffectsCovariance::Diagonal);
        }
        if let Some(r) = &args.study.reference_arm {
            model = model.reference_arm(r);
        }
        let only: Vec<&str> = args.only_arms.iter().map(String::as_str).collect();
        if !only.is_empty() {
            model = model.arms(&only);
        }
        let fit = model.fit()?;
        let grid = [0.0, 30.0, 60.0, 90.0, 180.0, 270.0, 365.0];
        let (mean_curves, patient) = match &fit {
            Outcome::Computed(t) => {
                let patient = args
                    .patient
                    .as_ref()
                    .map(|id| (id.clone(), t.patient_course(id, &grid)));
                (t.mean_curve(&[0.0, 90.0, 180.0, 365.0]), patient)
            }
            Outcome::Refused(_) => (Vec::new(), None),
        };
        Ok(Output {
            model: fit,
            mean_curves,
            patient,
        })
    })
}
