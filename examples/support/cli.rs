//! What every analysis example shares: where the data come from, how patients form arms, the
//! reference arm, and how the result is printed (a summary or every table, JSON with `--json`)
//! or written as a report (`--out DIR`).

use std::fmt::Display;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pain_outcomes::Error;
use pain_outcomes::data::{ArmBy, CsvFiles, LoadOptions, Loaded, PatientFilter, read_csv_files};
use pain_outcomes::report::{Provenance, Report, Section, Table, write_report};

/// Data, arms and output options of an analysis example.
#[derive(clap::Args, Debug)]
pub struct StudyArgs {
    /// Assessments CSV in the data contract (long format, one row per patient × assessment;
    /// see datasets/README.md) [default: the example's bundled dataset]
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Events CSV (surgery, adverse events, rescue medication, withdrawal, last contact)
    /// [default: the bundled events file when --input is not given, else none]
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,
    /// Patients CSV with patient-level columns, joined on patient_id [default: none]
    #[arg(long, value_name = "PATH")]
    pub patients: Option<PathBuf>,
    /// How patients form arms: `arm` = the recorded arm column (the randomised group) when the
    /// data has one, else the therapy; `therapy` = one arm per therapy; `therapy+cell_source`
    /// = stem-cell therapies split by cell source
    #[arg(long, value_name = "DEFINITION", default_value = "arm")]
    pub arms: ArmBy,
    /// Pain instrument analysed (nrs, vas, womac_pain, koos_pain, odi, …; for a time-to-event
    /// endpoint, the instrument of loss of response)
    #[arg(long, value_name = "CODE", default_value = "nrs")]
    pub instrument: String,
    /// Reference arm of every comparison [default: placebo, else usual_care, else the first
    /// arm in sort order]
    #[arg(long, value_name = "ARM")]
    pub reference_arm: Option<String>,
    /// Keep only patients whose attributes match, a comma meaning "and": e.g.
    /// `severity=4`, `age>=60,sex=female`, `site=site_01`, `cell_source=adipose` (attributes:
    /// age, bmi, severity, sex, site, condition, cell_source, cell_origin, guidance, therapy,
    /// arm, or any column of your own; operators = != < <= > >=) [default: every patient]
    #[arg(long = "where", value_name = "FILTER")]
    pub filter: Option<PatientFilter>,
    /// Print the full result as JSON instead of tables
    #[arg(long)]
    pub json: bool,
    /// Write the report into this folder: report.html (one self-contained page), report.md
    /// with figures/*.svg, tables/*.csv and results.json [default: no report]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print every table instead of the one-screen summary (for examples that have one)
    #[arg(long)]
    pub verbose: bool,
}

impl StudyArgs {
    /// Reads the user's files, or the bundled `datasets/<bundled>.csv` and its events.
    pub fn load(&self, bundled: &str) -> Result<Loaded, Error> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
        let mut files = match &self.input {
            Some(input) => CsvFiles::new(input),
            None => CsvFiles::new(format!("{dir}{bundled}.csv"))
                .with_events(format!("{dir}{bundled}_events.csv")),
        };
        if let Some(e) = &self.events {
            files = files.with_events(e);
        }
        if let Some(p) = &self.patients {
            files = files.with_patients(p);
        }
        let mut loaded = read_csv_files(&files, &LoadOptions::default().with_arm_by(self.arms))?;
        if let Some(filter) = self.filter.as_ref().filter(|f| !f.is_empty()) {
            loaded.cohort = loaded.cohort.filtered(filter)?;
        }
        Ok(loaded)
    }

    /// The data files and the study options, for the report's provenance.
    pub fn provenance(&self, bundled: &str) -> Provenance {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
        let mut p = Provenance::new();
        match &self.input {
            Some(input) => p = p.with_data_file(input.display().to_string()),
            None => {
                p = p
                    .with_data_file(format!("{dir}{bundled}.csv"))
                    .with_data_file(format!("{dir}{bundled}_events.csv"));
            }
        }
        for f in self.events.iter().chain(&self.patients) {
            p = p.with_data_file(f.display().to_string());
        }
        p = p
            .with_option("arms", self.arms.code())
            .with_option("instrument", &self.instrument);
        if let Some(r) = &self.reference_arm {
            p = p.with_option("reference_arm", r);
        }
        if let Some(f) = self.filter.as_ref().filter(|f| !f.is_empty()) {
            p = p.with_option("where", f.to_string());
        }
        p
    }

    /// The header line of a filtered analysis: the filter and who it kept.
    fn selection_line(&self, loaded: &Loaded) -> Option<String> {
        let filter = self.filter.as_ref().filter(|f| !f.is_empty())?;
        let arms: Vec<String> = loaded
            .cohort
            .patients_per_arm()
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect();
        Some(format!(
            "where {filter}: {} of {} patients kept ({})",
            loaded.cohort.n_patients(),
            loaded.report.patients,
            arms.join(", ")
        ))
    }
}

/// A result an example prints and reports.
pub trait Reported: Display + serde::Serialize + Sized {
    /// Title of the report.
    const TITLE: &'static str;

    /// The one-screen summary printed without `--verbose` (`None`: every table).
    fn summary(&self, _loaded: &Loaded) -> Option<String> {
        None
    }

    /// The tables of the report, beside the full text output.
    fn tables(&self) -> Vec<Table> {
        Vec::new()
    }

    /// The report written by `--out`: the tables and the full text output.
    fn report(&self, _loaded: &Loaded, provenance: Provenance) -> Result<Report, Error> {
        Ok(text_report(Self::TITLE, self, self.tables(), provenance))
    }
}

/// A report of one section: the tables, then the text output as printed.
pub fn text_report(
    title: &str,
    result: &impl Display,
    tables: Vec<Table>,
    provenance: Provenance,
) -> Report {
    let mut section = Section::new("results", "Results");
    for t in tables {
        section = section.with_table(t);
    }
    Report::new(title)
        .with_provenance(provenance)
        .with_section(section.with_preformatted(result.to_string()))
}

/// Writes `report` and `result` (as results.json) into `out`; the lines that say where.
pub fn write(out: &Path, report: &Report, result: &impl serde::Serialize) -> Result<String, Error> {
    Ok(write_report(out, report, result)?.to_string())
}

/// Prints `text`; a typed error goes to stderr with its code and exit status 1.
pub fn finish(result: Result<String, Error>) -> ExitCode {
    let text = match result {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    // a reader that stops early (`| head`) is not an error of the analysis
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// Loads the data of `args` (bundled `bundled` by default), runs `analysis` on it and prints
/// the result: JSON with `--json`; else the load report and the summary (every table with
/// `--verbose`); with `--out DIR` the report is written too, and where it went is printed.
pub fn run<T: Reported>(
    args: &StudyArgs,
    bundled: &str,
    analysis: impl FnOnce(&Loaded) -> Result<T, Error>,
) -> ExitCode {
    finish(args.load(bundled).and_then(|loaded| {
        let result = analysis(&loaded)?;
        let mut text = if args.json {
            pain_outcomes::report::to_json(&result)?
        } else {
            let mut header = loaded.report.to_string();
            if let Some(line) = args.selection_line(&loaded) {
                header.push_str(&format!("  {line}\n"));
            }
            let body = match result.summary(&loaded) {
                Some(s) if !args.verbose => s,
                _ => result.to_string(),
            };
            format!("{header}\n{body}")
        };
        if let Some(out) = &args.out {
            let report = result.report(&loaded, args.provenance(bundled))?;
            let written = write(out, &report, &result)?;
            if args.json {
                eprintln!("{written}"); // stdout holds the JSON alone
            } else {
                text.push_str(&format!("\n{written}"));
            }
        }
        Ok(text)
    }))
}
