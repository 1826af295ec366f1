//! Seeded simulator of realistic cohorts.
//!
//! [`simulate`] draws a [`Cohort`] from a [`SimulationConfig`]: patients with age, sex, BMI,
//! severity and site; arms with smooth mean-improvement curves ([`EffectProfile`]);
//! correlated patient random intercepts and slopes, a site random effect and residual noise;
//! heterogeneity of the response by age, severity and injection guidance; dropout that depends
//! on the last observed score (MAR) and completely at random (MCAR); intermittent missed visits
//! (rows kept, empty scores); time to surgery; adverse events; rescue medication; withdrawals
//! and last contact. It also returns the true parameters ([`TrueParameters`]) so that an
//! analysis can be checked against them.
//!
//! Every patient is drawn from its own random stream (ChaCha8, stream = patient index), so the
//! output depends only on the seed, never on the order of generation or the number of threads.
//! [`simulate_to_csv`] streams large cohorts straight to CSV (10^6 patients in seconds).
//!
//! # Examples
//!
//! ```
//! use pain_outcomes::simulate::{simulate, SimulationConfig};
//! let sim = simulate(&SimulationConfig::knee_oa_trial().with_patients(48))?;
//! assert_eq!(sim.cohort.n_patients(), 48);
//! assert_eq!(sim.cohort.arms().len(), 6);
//! assert!(sim.truth.arms[0].improvement.len() == 6);
//! # Ok::<(), pain_outcomes::Error>(())
//! ```

// The crate-wide `Error` is large (it names file, line, column and value); its size is not this
// module's to change.

mod config;
mod engine;
mod presets;
mod profile;

pub use config::{
    ArmSpec, Assignment, ConditionSpec, Dropout, InstrumentSpec, OutcomeModel, Population,
    RescueModel, SimulationConfig, SiteSpec, SurgeryModel,
};
pub use presets::DATASET_SEED;
pub use profile::EffectProfile;

use crate::data::{
    ASSESSMENT_COLUMNS, Cohort, CohortBuilder, Column, EVENT_COLUMNS, LoadOptions, LoadReport,
    event_record, patient_cells,
};
use crate::domain::{Assessment, Instrument, Patient};
use crate::error::{Error, Result};
use engine::{Context, SimPatient};
use std::fmt;
use std::io::Write;

/// A simulated cohort with the parameters that generated it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Simulated {
    /// The cohort.
    pub cohort: Cohort,
    /// The load report of the cohort (rows, missed assessments, patients per arm).
    pub report: LoadReport,
    /// The true parameters.
    pub truth: TrueParameters,
}

/// The true mean improvement of an arm at one planned visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct VisitTruth {
    /// Visit label (empty when the planned day is in no window of the schedule).
    pub visit: String,
    /// Planned day.
    pub day: i32,
    /// Treatment curve E(t), NRS points.
    pub effect: f64,
    /// Expected improvement from baseline for the reference patient: E(t) − d·t/365 (NRS
    /// points; positive = better).
    pub improvement: f64,
}

/// The true parameters of one arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ArmTruth {
    /// Arm label (as [`ArmBy::TherapyAndCellSource`](crate::data::ArmBy) spells it).
    pub arm: String,
    /// Effect profile.
    pub effect: EffectProfile,
    /// Improvement at each planned visit.
    pub improvement: Vec<VisitTruth>,
    /// Hazard ratio of surgery (conditional on pain level and severity).
    pub surgery_hazard_ratio: f64,
    /// Expected adverse events per patient.
    pub adverse_event_rate: f64,
}

/// The parameters a cohort was simulated with, for README tables and recovery tests.
///
/// The improvements are those of a reference patient (mean age, mean severity, ultrasound or
/// no guidance); since age and severity enter the response multiplier centred on their
/// population means, they are also the population mean improvements of a randomised arm
/// (up to clamping at 0 and the scale bounds), before dropout.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::{SimulationConfig, TrueParameters};
/// let t = TrueParameters::of(&SimulationConfig::knee_oa_trial())?;
/// let steroid = t.arms.iter().find(|a| a.arm == "corticosteroid").unwrap();
/// assert!(steroid.improvement[1].effect > steroid.improvement[5].effect);
/// println!("{t}");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct TrueParameters {
    /// Dataset name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Patients.
    pub n_patients: usize,
    /// Mean age (the centre of the age term).
    pub reference_age: f64,
    /// Mean severity grade (the centre of the severity terms).
    pub reference_severity: f64,
    /// Site random effects (NRS points), by site.
    pub site_effects: Vec<(String, f64)>,
    /// Weibull scale of the surgery model, days (`None` without surgery).
    pub surgery_scale_days: Option<f64>,
    /// Arms.
    pub arms: Vec<ArmTruth>,
    /// The full configuration.
    pub config: SimulationConfig,
}

impl TrueParameters {
    /// The true parameters of `config` (no patient is drawn).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the configuration is invalid.
    pub fn of(config: &SimulationConfig) -> Result<Self> {
        let options = load_options(config);
        let ctx = Context::new(config, &options.instruments)?;
        Ok(truth(&ctx))
    }
}

fn truth(ctx: &Context<'_>) -> TrueParameters {
    let cfg = ctx.cfg;
    let arms = cfg
        .arms
        .iter()
        .map(|a| ArmTruth {
            arm: a.label(),
            effect: a.effect,
            improvement: ctx
                .visits
                .iter()
                .map(|v| {
                    let t = f64::from(v.day);
                    let effect = a.effect.at(t);
                    VisitTruth {
                        visit: v.label.clone().unwrap_or_default(),
                        day: v.day,
                        effect,
                        improvement: effect - cfg.outcome.drift_per_year * t / 365.0,
                    }
                })
                .collect(),
            surgery_hazard_ratio: a.surgery_hazard_ratio,
            adverse_event_rate: a.adverse_event_rate,
        })
        .collect();
    TrueParameters {
        name: cfg.name.clone(),
        seed: cfg.seed,
        n_patients: cfg.n_patients,
        reference_age: cfg.population.age_mean,
        reference_severity: ctx.reference_severity,
        site_effects: cfg
            .sites
            .iter()
            .zip(&ctx.site_effects)
            .map(|(s, e)| (s.name.clone(), *e))
            .collect(),
        surgery_scale_days: cfg.surgery.as_ref().map(|s| s.scale_days()),
        arms,
        config: cfg.clone(),
    }
}

impl fmt::Display for TrueParameters {
    /// A Markdown table: expected improvement from baseline (NRS points) by arm and visit, and
    /// the surgery hazard ratio.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.arms.first() else {
            return Ok(());
        };
        write!(f, "| arm |")?;
        for v in first.improvement.iter().skip(1) {
            write!(f, " {} (day {}) |", v.visit, v.day)?;
        }
        writeln!(f, " surgery HR |")?;
        write!(f, "|---|")?;
        for _ in first.improvement.iter().skip(1) {
            write!(f, "---:|")?;
        }
        writeln!(f, "---:|")?;
        for a in &self.arms {
            write!(f, "| {} |", a.arm)?;
            for v in a.improvement.iter().skip(1) {
                write!(f, " {:.2} |", v.improvement)?;
            }
            writeln!(f, " {:.2} |", a.surgery_hazard_ratio)?;
        }
        Ok(())
    }
}

fn load_options(config: &SimulationConfig) -> LoadOptions {
    let mut options = LoadOptions::default();
    for spec in &config.instruments {
        if Instrument::builtin(&spec.instrument.code).is_none() {
            options = options.with_instrument(spec.instrument.clone());
        }
    }
    options
}

/// Simulates a cohort.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the configuration is invalid (no arms, weights not
/// positive, probabilities outside [0, 1], visit days not increasing from 0, …).
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::{simulate, SimulationConfig};
/// let cfg = SimulationConfig::disc_degeneration().with_patients(40);
/// let a = simulate(&cfg)?;
/// let b = simulate(&cfg)?;
/// assert_eq!(a.cohort, b.cohort); // same seed, same cohort
/// assert!(a.cohort.instrument_index("odi").is_some());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn simulate(config: &SimulationConfig) -> Result<Simulated> {
    let options = load_options(config);
    let ctx = Context::new(config, &options.instruments)?;
    let mut builder = CohortBuilder::new().options(options);
    for index in 0..config.n_patients {
        let p = ctx.patient(index)?;
        for row in &p.rows {
            builder = builder.assessment(to_assessment(&ctx, &p.patient, row));
        }
        for e in p.events {
            builder = builder.event(e);
        }
        builder = builder.patient(p.patient);
    }
    let loaded = builder.build()?;
    Ok(Simulated {
        cohort: loaded.cohort,
        report: loaded.report,
        truth: truth(&ctx),
    })
}

fn to_assessment(ctx: &Context<'_>, patient: &Patient, row: &engine::Row) -> Assessment {
    Assessment {
        patient_id: patient.id.clone(),
        day: row.day,
        visit: ctx.visits.get(row.visit).and_then(|v| v.label.clone()),
        instrument: ctx
            .cfg
            .instruments
            .get(row.instrument)
            .map(|s| s.instrument.code.clone())
            .unwrap_or_default(),
        score: row.score,
    }
}

/// Streams the assessments of a simulated cohort as CSV, without building the cohort.
///
/// The bytes are those [`Cohort::write_csv`] writes for [`simulate`]'s cohort of the same
/// configuration. Patients are generated in chunks on `config.threads` threads; the output
/// does not depend on the thread count.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for an invalid configuration; [`Error::CsvWrite`] when writing
/// fails.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::{simulate_to_csv, SimulationConfig};
/// let cfg = SimulationConfig::knee_oa_trial().with_patients(12);
/// let mut out = Vec::new();
/// simulate_to_csv(&cfg, &mut out)?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("patient_id,therapy,day,visit,instrument,score,"));
/// // header + at most 12 patients × 6 visits × 3 instruments (dropouts have fewer rows)
/// assert!(text.lines().count() <= 1 + 12 * 6 * 3);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn simulate_to_csv(config: &SimulationConfig, assessments: impl Write) -> Result<()> {
    stream_csv(config, assessments, None::<std::io::Sink>)
}

/// Streams the assessments and the events of a simulated cohort as CSV.
///
/// The bytes are those of [`Cohort::write_csv`] and [`Cohort::write_events_csv`] for
/// [`simulate`]'s cohort.
///
/// # Errors
///
/// As [`simulate_to_csv`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::{simulate_to_csv_with_events, SimulationConfig};
/// let cfg = SimulationConfig::disc_degeneration().with_patients(20);
/// let (mut a, mut e) = (Vec::new(), Vec::new());
/// simulate_to_csv_with_events(&cfg, &mut a, &mut e)?;
/// assert!(String::from_utf8(e).unwrap().contains(",last_contact,"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn simulate_to_csv_with_events(
    config: &SimulationConfig,
    assessments: impl Write,
    events: impl Write,
) -> Result<()> {
    stream_csv(config, assessments, Some(events))
}

const CHUNK: usize = 4096;

fn csv_err(e: csv::Error) -> Error {
    Error::CsvWrite(Box::new(e))
}

fn io_err(e: std::io::Error) -> Error {
    Error::CsvWrite(Box::new(e.into()))
}

/// Writes the rows of one chunk of patients into two byte buffers.
fn write_chunk(ctx: &Context<'_>, range: std::ops::Range<usize>) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut aw = csv::Writer::from_writer(Vec::with_capacity(range.len() * 1500));
    let mut ew = csv::Writer::from_writer(Vec::with_capacity(range.len() * 120));
    let mut num = String::new();
    let mut score = String::new();
    for index in range {
        let SimPatient {
            patient,
            rows,
            events,
        } = ctx.patient(index)?;
        let id = patient.id.to_string();
        let pc = patient_cells(&patient);
        for row in &rows {
            use std::fmt::Write as _;
            num.clear();
            let _ = write!(num, "{}", row.day);
            score.clear();
            if let Some(s) = row.score {
                let _ = write!(score, "{s}");
            }
            let visit = ctx
                .visits
                .get(row.visit)
                .and_then(|v| v.label.as_deref())
                .unwrap_or("");
            let code = ctx
                .cfg
                .instruments
                .get(row.instrument)
                .map_or("", |s| s.instrument.code.as_str());
            let [therapy, rest @ ..] = &pc;
            aw.write_field(&id).map_err(csv_err)?;
            aw.write_field(therapy).map_err(csv_err)?;
            aw.write_field(&num).map_err(csv_err)?;
            aw.write_field(visit).map_err(csv_err)?;
            aw.write_field(code).map_err(csv_err)?;
            aw.write_field(&score).map_err(csv_err)?;
            for f in rest {
                aw.write_field(f).map_err(csv_err)?;
            }
            aw.write_record(None::<&[u8]>).map_err(csv_err)?;
        }
        for e in &events {
            ew.write_record(event_record(e)).map_err(csv_err)?;
        }
    }
    let a = aw.into_inner().map_err(|e| io_err(e.into_error()))?;
    let e = ew.into_inner().map_err(|e| io_err(e.into_error()))?;
    Ok((a, e))
}

fn stream_csv<W: Write, E: Write>(
    config: &SimulationConfig,
    assessments: W,
    events: Option<E>,
) -> Result<()> {
    let options = load_options(config);
    let ctx = Context::new(config, &options.instruments)?;
    let mut aw = std::io::BufWriter::with_capacity(1 << 20, assessments);
    let mut ew = events.map(|e| std::io::BufWriter::with_capacity(1 << 20, e));
    {
        let mut h = csv::Writer::from_writer(Vec::new());
        h.write_record(ASSESSMENT_COLUMNS.map(Column::name))
            .map_err(csv_err)?;
        aw.write_all(&h.into_inner().map_err(|e| io_err(e.into_error()))?)
            .map_err(io_err)?;
        if let Some(ew) = ew.as_mut() {
            let mut h = csv::Writer::from_writer(Vec::new());
            h.write_record(EVENT_COLUMNS.map(Column::name))
                .map_err(csv_err)?;
            ew.write_all(&h.into_inner().map_err(|e| io_err(e.into_error()))?)
                .map_err(io_err)?;
        }
    }
    let threads = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    };
    let n = config.n_patients;
    let n_chunks = n.div_ceil(CHUNK);
    let chunk_range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(n);
    let mut next = 0;
    while next < n_chunks {
        let round: Vec<usize> = (next..(next + threads).min(n_chunks)).collect();
        next += round.len();
        let results: Vec<Result<(Vec<u8>, Vec<u8>)>> = if round.len() == 1 {
            round
                .iter()
                .map(|&c| write_chunk(&ctx, chunk_range(c)))
                .collect()
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = round
                    .iter()
                    .map(|&c| {
                        let ctx = &ctx;
                        s.spawn(move || write_chunk(ctx, chunk_range(c)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::invalid_argument("threads", "a worker thread failed"))
                        })
                    })
                    .collect()
            })
        };
        for r in results {
            let (a, e) = r?;
            aw.write_all(&a).map_err(io_err)?;
            if let Some(ew) = ew.as_mut() {
                ew.write_all(&e).map_err(io_err)?;
            }
        }
    }
    aw.flush().map_err(io_err)?;
    if let Some(ew) = ew.as_mut() {
        ew.flush().map_err(io_err)?;
    }
    Ok(())
}
