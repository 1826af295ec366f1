//! What every analysis example shares: where the data come from, how patients form arms, the
//! reference arm, and how the result is printed (tables, or JSON with `--json`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use pain_outcomes::Error;
use pain_outcomes::data::{ArmBy, CsvFiles, LoadOptions, Loaded, PatientFilter, read_csv_files};

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

/// Prints `result` as JSON or as its text tables under `header` (the load report and the
/// selection); a typed error goes to stderr with its code and exit status 1.
pub fn finish<T: std::fmt::Display + serde::Serialize>(
    json: bool,
    header: Option<String>,
    result: Result<T, Error>,
) -> ExitCode {
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    let text = if json {
        match pain_outcomes::report::to_json(&result) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error [{}]: {e}", e.code());
                return ExitCode::from(1);
            }
        }
    } else {
        match header {
            Some(h) => format!("{h}\n{result}"),
            None => result.to_string(),
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

/// Loads the data of `args` (bundled `bundled` by default) and runs `analysis` on it.
pub fn run<T: std::fmt::Display + serde::Serialize>(
    args: &StudyArgs,
    bundled: &str,
    analysis: impl FnOnce(&Loaded) -> Result<T, Error>,
) -> ExitCode {
    match args.load(bundled) {
        Ok(loaded) => {
            let mut header = loaded.report.to_string();
            if let Some(line) = args.selection_line(&loaded) {
                header.push_str(&format!("  {line}\n"));
            }
            let result = analysis(&loaded);
            finish(args.json, Some(header), result)
        }
        Err(e) => finish::<String>(args.json, None, Err(e)),
    }
}
