//! Every figure of the report as an SVG file: mean trajectories with a sample of patients,
//! MMRM LS-mean differences, responder rates, Kaplan–Meier curves with numbers at risk, Cox
//! hazard ratios, subgroup and meta-analysis forest plots, a registry love plot and one
//! patient's predicted course.
//!
//! ```text
//! cargo run --example figures                          # bundled knee OA trial → a temp folder
//! cargo run --example figures -- --out report/ --instrument womac_pain --reference-arm placebo
//! cargo run --example figures -- --help
//! ```

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use pain_outcomes::analysis::{
    MetaAnalysisOptions, MmrmBuilder, RegistryOptions, ResponderAnalysisOptions, RuleChoice,
    SubgroupOptions, TimeToEventOptions, TrajectoryModel, analyse_time_to_event,
    describe_by_arm_and_visit, meta_analysis, registry_comparison, responders_by_arm_and_visit,
    subgroup_analysis,
};
use pain_outcomes::data::{CsvFiles, EventEndpoint, read_csv_files, read_studies};
use pain_outcomes::report::{
    Figure, IndividualSample, Provenance, Report, Section, balance_figure, hazard_ratio_forest,
    kaplan_meier_figure, lsmean_differences_figure, meta_forest, patient_course_figure,
    responder_figure, subgroup_forest, trajectory_figure,
};
use pain_outcomes::stats::meta::EffectMeasure;
use pain_outcomes::{Error, Outcome};

#[path = "support/cli.rs"]
mod cli;

/// Writes every figure of a trial (the bundled knee osteoarthritis trial when no --input is
/// given), of a studies file and of a registry comparison as SVG files into --out.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    study: cli::StudyArgs,
    /// Patients drawn per arm behind the mean trajectories
    #[arg(long, value_name = "N", default_value_t = 8)]
    sample: usize,
    /// Seed of the choice of those patients
    #[arg(long, value_name = "SEED", default_value_t = 20_261_128)]
    seed: u64,
    /// Subgroups of the subgroup forest plot: an attribute (severity, sex, site, …) or a
    /// numeric one with cut points (age:50,65)
    #[arg(long, value_name = "BY", default_value = "severity")]
    by: String,
    /// Patient whose predicted course is drawn [default: the first patient of the file]
    #[arg(long, value_name = "ID")]
    patient: Option<String>,
    /// Studies file of the meta-analysis forest plots [default: datasets/published_trials.csv]
    #[arg(long, value_name = "PATH")]
    studies: Option<PathBuf>,
    /// Registry (assessments CSV) of the love plot [default: datasets/tendinopathy_registry.csv]
    #[arg(long, value_name = "PATH")]
    registry: Option<PathBuf>,
    /// Treated group of the registry comparison
    #[arg(long, value_name = "ARM", default_value = "stem_cell")]
    treated: String,
    /// Comparator group of the registry comparison
    #[arg(long, value_name = "ARM", default_value = "corticosteroid")]
    comparator: String,
}

/// What was written (or why a figure was not drawn).
#[derive(Debug, serde::Serialize)]
struct Written {
    folder: PathBuf,
    figures: Vec<WrittenFigure>,
    /// The figures drawn, for the report of `--out`.
    #[serde(skip)]
    drawn: Vec<Figure>,
}

impl cli::Reported for Written {
    const TITLE: &'static str = "Figures";

    fn report(
        &self,
        _loaded: &pain_outcomes::Loaded,
        provenance: Provenance,
    ) -> Result<Report, Error> {
        let mut section = Section::new("figures", "Figures");
        for f in &self.drawn {
            section = section.with_figure(f.clone());
        }
        Ok(Report::new(Self::TITLE)
            .with_provenance(provenance)
            .with_section(section))
    }
}

#[derive(Debug, serde::Serialize)]
struct WrittenFigure {
    id: String,
    file: Option<PathBuf>,
    caption: String,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "figures in {}:", self.folder.display())?;
        for w in &self.figures {
            match &w.file {
                Some(file) => writeln!(f, "  {}  {}", file.display(), w.caption)?,
                None => writeln!(f, "  {}: not drawn: {}", w.id, w.caption)?,
            }
        }
        Ok(())
    }
}

impl Written {
    fn add(&mut self, name: &str, figure: Outcome<Figure>) -> Result<(), Error> {
        match figure {
            Outcome::Computed(figure) => {
                let file = self.folder.join(figure.file_name());
                std::fs::write(&file, &figure.svg).map_err(|source| Error::Io {
                    path: file.display().to_string(),
                    source,
                })?;
                self.figures.push(WrittenFigure {
                    id: figure.id.clone(),
                    file: Some(file),
                    caption: figure.caption.clone(),
                });
                self.drawn.push(figure);
            }
            Outcome::Refused(r) => self.figures.push(WrittenFigure {
                id: name.to_string(),
                file: None,
                caption: r.to_string(),
            }),
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(&args.study, "knee_oa_trial", |loaded| {
        write_all(&args, loaded)
    })
}

fn write_all(args: &Args, loaded: &pain_outcomes::Loaded) -> Result<Written, Error> {
    // with --out the SVG files go to DIR/figures, beside the report of them all
    let folder = args
        .study
        .out
        .as_ref()
        .map(|o| o.join("figures"))
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("pain-outcomes-figures-{}", std::process::id()))
        });
    std::fs::create_dir_all(&folder).map_err(|source| Error::Io {
        path: folder.display().to_string(),
        source,
    })?;
    let mut out = Written {
        folder,
        figures: Vec::new(),
        drawn: Vec::new(),
    };
    let cohort = &loaded.cohort;
    let instrument = args.study.instrument.as_str();
    let reference = args.study.reference_arm.as_deref();

    // trajectories with a sample of patients
    let wide = cohort.wide(instrument)?;
    let trajectories = describe_by_arm_and_visit(&wide, &Default::default())?;
    let sample = IndividualSample::new(&wide)
        .with_per_arm(args.sample)
        .with_seed(args.seed);
    out.add(
        "trajectory",
        trajectory_figure(&trajectories, Some(sample))?,
    )?;

    // MMRM differences from the reference arm
    let mut mmrm = MmrmBuilder::new(cohort).instrument(instrument);
    if let Some(r) = reference {
        mmrm = mmrm.reference_arm(r);
    }
    let figure = mmrm.fit()?.map(|m| lsmean_differences_figure(&m));
    out.add("lsmean_differences", flatten(figure))?;

    // responders
    let mut options = ResponderAnalysisOptions::default();
    if let Some(r) = reference {
        options = options.with_reference_arm(r);
    }
    let choice = RuleChoice::Immpact30;
    let rule = choice.rule(&wide.instrument, cohort.common_condition())?;
    let table = responders_by_arm_and_visit(cohort, &wide, &rule, &choice.label(), &options)?;
    out.add("responders", responder_figure(&table))?;

    // time to surgery: Kaplan–Meier and hazard ratios
    let data = cohort.time_to_event(EventEndpoint::Surgery)?;
    let mut options = TimeToEventOptions::default();
    if let Some(r) = reference {
        options = options.with_reference_arm(r);
    }
    let tte = analyse_time_to_event(cohort, &data, &options)?;
    out.add("kaplan_meier", kaplan_meier_figure(&tte))?;
    out.add("forest_hazard_ratios", hazard_ratio_forest(&tte))?;

    // subgroups
    let mut options = SubgroupOptions::new(instrument, args.by.parse()?);
    if let Some(r) = reference {
        options = options.with_reference_arm(r);
    }
    match subgroup_analysis(cohort, &options)? {
        Outcome::Computed(s) => out.add("forest_subgroups", subgroup_forest(&s, None)?)?,
        Outcome::Refused(r) => out.add("forest_subgroups", Outcome::Refused(r))?,
    }

    // a patient's predicted course
    let mut model = TrajectoryModel::new(cohort).instrument(instrument);
    if let Some(r) = reference {
        model = model.reference_arm(r);
    }
    match model.fit()? {
        Outcome::Computed(fit) => {
            let id = match &args.patient {
                Some(id) => id.clone(),
                None => cohort
                    .patients()
                    .first()
                    .map(|p| p.id.as_str().to_string())
                    .unwrap_or_default(),
            };
            let last = wide.visit_mean_day.last().copied().unwrap_or(365.0);
            let days: Vec<f64> = (0..=60).map(|i| last * f64::from(i) / 60.0).collect();
            out.add("course", patient_course_figure(&fit, cohort, &id, &days)?)?;
        }
        Outcome::Refused(r) => out.add("course", Outcome::Refused(r))?,
    }

    // meta-analysis: mean differences and risk ratios
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    let studies = args
        .studies
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{dir}published_trials.csv")));
    let table = read_studies(&studies)?;
    for measure in [EffectMeasure::MeanDifference, EffectMeasure::LogRiskRatio] {
        let meta = meta_analysis(&table, &MetaAnalysisOptions::new(measure))?;
        out.add("forest_meta", meta_forest(&meta))?;
    }

    // registry comparison: balance before and after weighting
    let registry = args
        .registry
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{dir}tendinopathy_registry.csv")));
    let registry = read_csv_files(&CsvFiles::new(registry), &Default::default())?.cohort;
    let registry_wide = registry.wide("nrs")?;
    let options = RegistryOptions::new(&args.treated, &args.comparator).with_caliper(0.2);
    let figure =
        registry_comparison(&registry, &registry_wide, &options)?.map(|r| balance_figure(&r));
    out.add("balance", flatten(figure))?;
    Ok(out)
}

fn flatten(o: Outcome<Outcome<Figure>>) -> Outcome<Figure> {
    match o {
        Outcome::Computed(inner) => inner,
        Outcome::Refused(r) => Outcome::Refused(r),
    }
}
