//! Simulation configuration: arms, population, outcome model, dropout, events.

use super::profile::EffectProfile;
use crate::domain::{
    CellOrigin, CellSource, Component, Condition, Guidance, Instrument, Therapy, VisitSchedule,
};

/// One arm of a simulated cohort.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{CellOrigin, CellSource};
/// use pain_outcomes::simulate::ArmSpec;
/// let arm = ArmSpec::new("stem_cell".parse().unwrap())
///     .with_cells(CellSource::Adipose, CellOrigin::Autologous, 40.0)
///     .with_surgery_hazard_ratio(0.6);
/// assert_eq!(arm.label(), "stem_cell[adipose]");
/// assert!(arm.effect.amplitude > 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ArmSpec {
    /// Therapy.
    pub therapy: Therapy,
    /// Cell source (stem-cell therapies only).
    pub cell_source: Option<CellSource>,
    /// Cell origin (stem-cell therapies only).
    pub cell_origin: Option<CellOrigin>,
    /// Cell dose in millions of cells (stem-cell therapies only).
    pub cell_dose_million: Option<f64>,
    /// Allocation weight (relative; randomised arms use it to build permuted blocks).
    pub weight: f64,
    /// Mean improvement over time, NRS points.
    pub effect: EffectProfile,
    /// Hazard ratio of surgery relative to the reference hazard.
    pub surgery_hazard_ratio: f64,
    /// Expected number of adverse events per patient.
    pub adverse_event_rate: f64,
    /// Confounding by indication: log relative odds of receiving this arm per NRS point of the
    /// patient's untreated pain level above the reference (0 in randomised designs).
    pub indication_log_odds_per_point: f64,
    /// Whether the therapy is an injection (and so has a guidance).
    pub injected: bool,
}

impl ArmSpec {
    /// An arm with weight 1, the default [`EffectProfile::for_therapy`], surgery hazard ratio 1
    /// and a default adverse-event rate.
    pub fn new(therapy: Therapy) -> Self {
        let injected = [
            Component::StemCell,
            Component::Corticosteroid,
            Component::Prp,
            Component::HyaluronicAcid,
            Component::Placebo,
        ]
        .iter()
        .any(|c| therapy.contains(*c));
        let adverse_event_rate = if therapy.has_cells() {
            0.35
        } else if therapy.contains(Component::Corticosteroid) {
            0.20
        } else if therapy.contains(Component::Prp) {
            0.25
        } else if injected {
            0.12
        } else {
            0.05
        };
        ArmSpec {
            therapy,
            cell_source: None,
            cell_origin: None,
            cell_dose_million: None,
            weight: 1.0,
            effect: EffectProfile::for_therapy(therapy, None),
            surgery_hazard_ratio: 1.0,
            adverse_event_rate,
            indication_log_odds_per_point: 0.0,
            injected,
        }
    }

    /// Sets the cell product and the default profile of that source.
    pub fn with_cells(mut self, source: CellSource, origin: CellOrigin, dose_million: f64) -> Self {
        self.cell_source = Some(source);
        self.cell_origin = Some(origin);
        self.cell_dose_million = Some(dose_million);
        self.effect = EffectProfile::for_therapy(self.therapy, Some(source));
        self
    }

    /// Sets the allocation weight.
    pub fn with_weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the effect profile.
    pub fn with_effect(mut self, effect: EffectProfile) -> Self {
        self.effect = effect;
        self
    }

    /// Sets the surgery hazard ratio.
    pub fn with_surgery_hazard_ratio(mut self, hazard_ratio: f64) -> Self {
        self.surgery_hazard_ratio = hazard_ratio;
        self
    }

    /// Sets the expected number of adverse events per patient.
    pub fn with_adverse_event_rate(mut self, rate: f64) -> Self {
        self.adverse_event_rate = rate;
        self
    }

    /// Sets the confounding-by-indication slope.
    pub fn with_indication_log_odds(mut self, per_point: f64) -> Self {
        self.indication_log_odds_per_point = per_point;
        self
    }

    /// The arm label, as [`ArmBy::TherapyAndCellSource`](crate::data::ArmBy) spells it.
    pub fn label(&self) -> String {
        match self.cell_source {
            Some(s) if self.therapy.has_cells() => {
                self.therapy
                    .to_string()
                    .replacen("stem_cell", &format!("stem_cell[{s}]"), 1)
            }
            _ => self.therapy.to_string(),
        }
    }
}

/// How patients are allocated to arms.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::Assignment;
/// let a = Assignment::PermutedBlocks { block_size: 12 };
/// assert_ne!(a, Assignment::ByIndication);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Assignment {
    /// Randomised in permuted blocks of about `block_size` patients (each block holds every arm
    /// in proportion to its weight, rounded).
    PermutedBlocks {
        /// Patients per block.
        block_size: usize,
    },
    /// Observational: each patient's arm drawn with probability ∝ weight ·
    /// exp(indication slope × (untreated pain − reference pain)) — confounding by indication.
    ByIndication,
}

/// A condition in the simulated population.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::Condition;
/// use pain_outcomes::simulate::ConditionSpec;
/// let c = ConditionSpec::new(Condition::KneeOsteoarthritis, 1.0, 0.0, &["total knee arthroplasty"]);
/// assert_eq!(c.procedures.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ConditionSpec {
    /// Condition.
    pub condition: Condition,
    /// Relative frequency.
    pub weight: f64,
    /// Added to the baseline pain level, NRS points.
    pub pain_offset: f64,
    /// Surgical procedures recorded in surgery events (chosen uniformly).
    pub procedures: Vec<String>,
}

impl ConditionSpec {
    /// A condition with its weight, pain offset and surgical procedures.
    pub fn new(condition: Condition, weight: f64, pain_offset: f64, procedures: &[&str]) -> Self {
        ConditionSpec {
            condition,
            weight,
            pain_offset,
            procedures: procedures.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A recruiting site.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::SiteSpec;
/// let s = SiteSpec::new("site_01", 2.0, 0.9);
/// assert_eq!(s.ultrasound_probability, 0.9);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SiteSpec {
    /// Site name (written in the `site` column).
    pub name: String,
    /// Relative number of patients.
    pub weight: f64,
    /// Probability that an injection at this site is ultrasound-guided (else the design's
    /// alternative guidance).
    pub ultrasound_probability: f64,
}

impl SiteSpec {
    /// A site.
    pub fn new(name: impl Into<String>, weight: f64, ultrasound_probability: f64) -> Self {
        SiteSpec {
            name: name.into(),
            weight,
            ultrasound_probability,
        }
    }
}

/// How an instrument is derived from the latent pain level.
///
/// # Formula
///
/// With latent pain η on the NRS scale and an instrument-specific residual ε ~ N(0, σ²) (NRS
/// units): x = (η + ε) · `scale` / 10 clamped to [0, 1]; the score is `min + x·(max − min)`
/// (lower is better) or `max − x·(max − min)` (higher is better), rounded to a multiple of
/// `step` and clamped to the range. An improvement of d NRS points is thus d · `scale` ·
/// (max − min) / 10 instrument units.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::Instrument;
/// use pain_outcomes::simulate::InstrumentSpec;
/// let odi = InstrumentSpec::new(Instrument::odi());
/// assert_eq!(odi.step, 2.0); // ODI is reported in even points
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct InstrumentSpec {
    /// Instrument.
    pub instrument: Instrument,
    /// Fraction of the range per NRS point × 10 (1 = proportional).
    pub scale: f64,
    /// Residual standard deviation, NRS points.
    pub residual_sd: f64,
    /// Rounding step of reported scores.
    pub step: f64,
}

impl InstrumentSpec {
    /// An instrument with scale 1, residual SD 0.9 NRS points, and the step of the real
    /// instrument (2 for ODI, 1 otherwise; 0.5 for ranges up to 10 that are not the NRS).
    pub fn new(instrument: Instrument) -> Self {
        let step = match instrument.code.as_str() {
            "odi" => 2.0,
            "nrs" => 1.0,
            _ if instrument.max - instrument.min <= 10.0 => 0.5,
            _ => 1.0,
        };
        InstrumentSpec {
            instrument,
            scale: 1.0,
            residual_sd: 0.9,
            step,
        }
    }

    /// Sets the scale.
    pub fn with_scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// Sets the residual SD (NRS points).
    pub fn with_residual_sd(mut self, sd: f64) -> Self {
        self.residual_sd = sd;
        self
    }
}

/// Patient characteristics.
///
/// Age ~ N(`age_mean`, `age_sd`) clamped to [`age_min`, `age_max`] and rounded to years; BMI ~
/// N(`bmi_mean`, `bmi_sd`) clamped to [17, 50] and rounded to 0.1; severity grade drawn from
/// `severity_weights`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::Population;
/// let p = Population::default();
/// assert!(p.reference_severity() > 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Population {
    /// Mean age, years.
    pub age_mean: f64,
    /// SD of age, years.
    pub age_sd: f64,
    /// Youngest age.
    pub age_min: f64,
    /// Oldest age.
    pub age_max: f64,
    /// Fraction of women.
    pub female_fraction: f64,
    /// Mean BMI, kg/m².
    pub bmi_mean: f64,
    /// SD of BMI.
    pub bmi_sd: f64,
    /// Severity grades and their relative frequencies.
    pub severity_weights: Vec<(u8, f64)>,
}

impl Default for Population {
    /// Knee osteoarthritis: age 62 ± 9 (40–85), 60 % women, BMI 29 ± 4.5, KL 2/3/4 = 35/40/25 %.
    fn default() -> Self {
        Population {
            age_mean: 62.0,
            age_sd: 9.0,
            age_min: 40.0,
            age_max: 85.0,
            female_fraction: 0.6,
            bmi_mean: 29.0,
            bmi_sd: 4.5,
            severity_weights: vec![(2, 0.35), (3, 0.40), (4, 0.25)],
        }
    }
}

impl Population {
    /// The mean severity grade (the centre of the severity terms).
    pub fn reference_severity(&self) -> f64 {
        let total: f64 = self.severity_weights.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return 0.0;
        }
        self.severity_weights
            .iter()
            .map(|(g, w)| f64::from(*g) * w)
            .sum::<f64>()
            / total
    }
}

/// The latent pain model (NRS points).
///
/// # Formula
///
/// For patient i at site s with severity g_i and age a_i, at day t:
///
/// η_i(t) = μ + δ_cond + β_g·(g_i − ḡ) + u_s + b0_i + (d + b1_i)·t/365 − m_i·E_arm(t),
///
/// m_i = max(0, 1 + γ_a·(a_i − ā)/10 + γ_g·(g_i − ḡ) + v_i) · (λ if landmark-guided else 1),
///
/// with site effect u_s ~ N(0, σ_site²), (b0_i, b1_i) bivariate normal with SDs
/// (σ_0, σ_1) and correlation ρ, response heterogeneity v_i ~ N(0, σ_v²), ā and ḡ the
/// population means (so that the mean multiplier is about 1 under the reference guidance).
/// Observed scores add an instrument residual (see [`InstrumentSpec`]).
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::OutcomeModel;
/// let m = OutcomeModel::default();
/// assert!(m.baseline_pain > 5.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct OutcomeModel {
    /// μ: mean untreated pain at the reference severity, NRS points.
    pub baseline_pain: f64,
    /// β_g: pain per severity grade above the reference.
    pub pain_per_severity_grade: f64,
    /// σ_site: SD of the site random effect.
    pub site_sd: f64,
    /// σ_0: SD of the patient random intercept.
    pub intercept_sd: f64,
    /// σ_1: SD of the patient random slope, NRS points per year.
    pub slope_sd: f64,
    /// ρ: correlation of intercept and slope.
    pub intercept_slope_correlation: f64,
    /// d: mean natural-course drift, NRS points per year (positive = worsening).
    pub drift_per_year: f64,
    /// γ_a: change of the response multiplier per decade of age above the mean.
    pub response_per_age_decade: f64,
    /// γ_g: change of the response multiplier per severity grade above the mean.
    pub response_per_severity_grade: f64,
    /// σ_v: SD of the patient response multiplier.
    pub response_sd: f64,
    /// λ: response multiplier of landmark-guided (blind) injections.
    pub landmark_factor: f64,
}

impl Default for OutcomeModel {
    fn default() -> Self {
        OutcomeModel {
            baseline_pain: 6.3,
            pain_per_severity_grade: 0.5,
            site_sd: 0.3,
            intercept_sd: 0.9,
            slope_sd: 0.5,
            intercept_slope_correlation: 0.3,
            drift_per_year: 0.2,
            response_per_age_decade: -0.05,
            response_per_severity_grade: -0.10,
            response_sd: 0.25,
            landmark_factor: 0.75,
        }
    }
}

/// Missing data: dropout (MAR + MCAR) and intermittent missed visits.
///
/// # Formula
///
/// After each attended visit, the probability of dropping out before the next one is
/// 1 − (1 − p_MAR)(1 − p_MCAR) with p_MAR = logistic(α + β·(y_last − 5)), where y_last is the
/// last observed NRS-equivalent pain; p_MCAR is constant. A patient who drops out gets a
/// `withdrawal` event on a day between the two visits and no later rows. An intermittent missed
/// visit keeps its rows with empty scores.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::Dropout;
/// assert_eq!(Dropout::none().mcar_probability, 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Dropout {
    /// α: log-odds of MAR dropout per interval at pain 5.
    pub mar_intercept: f64,
    /// β: change in log-odds per NRS point of the last observed pain.
    pub mar_slope: f64,
    /// Probability of dropping out completely at random per interval.
    pub mcar_probability: f64,
    /// Probability that a post-baseline visit is missed (rows kept, scores empty).
    pub missed_visit_probability: f64,
    /// Probability that one instrument is missing at an attended visit.
    pub item_missing_probability: f64,
}

impl Default for Dropout {
    fn default() -> Self {
        Dropout {
            mar_intercept: -3.6,
            mar_slope: 0.45,
            mcar_probability: 0.01,
            missed_visit_probability: 0.04,
            item_missing_probability: 0.01,
        }
    }
}

impl Dropout {
    /// No dropout and no missed visits.
    pub fn none() -> Self {
        Dropout {
            mar_intercept: f64::NEG_INFINITY,
            mar_slope: 0.0,
            mcar_probability: 0.0,
            missed_visit_probability: 0.0,
            item_missing_probability: 0.0,
        }
    }
}

/// Time to surgery: a Weibull proportional-hazards model.
///
/// # Formula
///
/// H_i(t) = (t/λ)^k · exp(log HR_arm + β_p·(P_i − P̄) + β_g·(g_i − ḡ)), where P_i is the
/// patient's untreated pain level (μ + δ_cond + β_g·(g_i − ḡ) + u_s + b0_i), P̄ = μ, and λ is
/// chosen so that a reference patient (HR 1, P = P̄, g = ḡ) has surgery by `horizon_days`
/// with probability `reference_probability`: λ = horizon / (−ln(1 − p))^{1/k}. Assessments
/// stop at surgery.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::SurgeryModel;
/// let s = SurgeryModel::default();
/// assert!(s.scale_days() > s.horizon_days as f64);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SurgeryModel {
    /// Horizon of the calibration, days.
    pub horizon_days: i32,
    /// Probability of surgery by the horizon for the reference patient.
    pub reference_probability: f64,
    /// Weibull shape k.
    pub shape: f64,
    /// β_p: log hazard ratio per NRS point of untreated pain.
    pub log_hr_per_pain_point: f64,
    /// β_g: log hazard ratio per severity grade.
    pub log_hr_per_severity_grade: f64,
}

impl Default for SurgeryModel {
    fn default() -> Self {
        SurgeryModel {
            horizon_days: 365,
            reference_probability: 0.05,
            shape: 1.2,
            log_hr_per_pain_point: 0.35,
            log_hr_per_severity_grade: 0.5,
        }
    }
}

impl SurgeryModel {
    /// The Weibull scale λ in days.
    pub fn scale_days(&self) -> f64 {
        let h = -(1.0 - self.reference_probability).ln();
        f64::from(self.horizon_days) / h.powf(1.0 / self.shape)
    }
}

/// Rescue medication: between two visits, a patient whose pain at the later visit is at least
/// `threshold` takes rescue medication with probability `probability`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::RescueModel;
/// assert_eq!(RescueModel::default().threshold, 7.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct RescueModel {
    /// Latent NRS pain at or above which rescue may be taken.
    pub threshold: f64,
    /// Probability of rescue medication when above the threshold.
    pub probability: f64,
    /// Medications recorded in the event detail (chosen uniformly).
    pub medications: Vec<String>,
}

impl Default for RescueModel {
    fn default() -> Self {
        RescueModel {
            threshold: 7.0,
            probability: 0.5,
            medications: ["paracetamol", "nsaid", "tramadol"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Everything the simulator needs: design, population, outcome model, missing data, events
/// and seed.
///
/// Start from a preset ([`knee_oa_trial`](Self::knee_oa_trial),
/// [`tendinopathy_registry`](Self::tendinopathy_registry),
/// [`disc_degeneration`](Self::disc_degeneration)) or from [`Default`] (a small knee OA
/// trial) and change it with the `with_*` setters.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::{Dropout, SimulationConfig};
/// let cfg = SimulationConfig::knee_oa_trial()
///     .with_patients(60)
///     .with_seed(7)
///     .with_dropout(Dropout::none());
/// assert_eq!(cfg.n_patients, 60);
/// assert_eq!(cfg.arms.len(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SimulationConfig {
    /// Dataset name (file stem).
    pub name: String,
    /// Patient id prefix (ids are `<prefix>-<zero-padded index>`).
    pub id_prefix: String,
    /// Number of patients.
    pub n_patients: usize,
    /// Seed.
    pub seed: u64,
    /// Arms.
    pub arms: Vec<ArmSpec>,
    /// Allocation.
    pub assignment: Assignment,
    /// Conditions.
    pub conditions: Vec<ConditionSpec>,
    /// Sites.
    pub sites: Vec<SiteSpec>,
    /// Guidance of injections that are not ultrasound-guided.
    pub alternative_guidance: Guidance,
    /// Instruments recorded at every visit.
    pub instruments: Vec<InstrumentSpec>,
    /// Planned visit days; the first must be 0 (baseline).
    pub visit_days: Vec<i32>,
    /// Visit windows (labels the visits; jittered days stay in their window).
    pub schedule: VisitSchedule,
    /// SD of the visit-day jitter as a fraction of the planned day.
    pub visit_jitter: f64,
    /// Patients.
    pub population: Population,
    /// Latent pain model.
    pub outcome: OutcomeModel,
    /// Missing data.
    pub dropout: Dropout,
    /// Time to surgery; `None` for no surgery.
    pub surgery: Option<SurgeryModel>,
    /// Rescue medication.
    pub rescue: RescueModel,
    /// Worker threads for streaming output (0 = available parallelism). The output does not
    /// depend on it.
    pub threads: usize,
}

impl Default for SimulationConfig {
    /// The knee OA trial preset with 120 patients.
    fn default() -> Self {
        SimulationConfig::knee_oa_trial().with_patients(120)
    }
}

impl SimulationConfig {
    /// Sets the dataset name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the number of patients.
    pub fn with_patients(mut self, n: usize) -> Self {
        self.n_patients = n;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the arms.
    pub fn with_arms(mut self, arms: Vec<ArmSpec>) -> Self {
        self.arms = arms;
        self
    }

    /// Sets the allocation.
    pub fn with_assignment(mut self, assignment: Assignment) -> Self {
        self.assignment = assignment;
        self
    }

    /// Replaces the conditions.
    pub fn with_conditions(mut self, conditions: Vec<ConditionSpec>) -> Self {
        self.conditions = conditions;
        self
    }

    /// Replaces the sites.
    pub fn with_sites(mut self, sites: Vec<SiteSpec>) -> Self {
        self.sites = sites;
        self
    }

    /// Replaces the instruments.
    pub fn with_instruments(mut self, instruments: Vec<InstrumentSpec>) -> Self {
        self.instruments = instruments;
        self
    }

    /// Replaces the planned visit days.
    pub fn with_visit_days(mut self, days: Vec<i32>) -> Self {
        self.visit_days = days;
        self
    }

    /// Replaces the visit schedule.
    pub fn with_schedule(mut self, schedule: VisitSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Sets the visit jitter (SD as a fraction of the planned day).
    pub fn with_visit_jitter(mut self, jitter: f64) -> Self {
        self.visit_jitter = jitter;
        self
    }

    /// Replaces the population.
    pub fn with_population(mut self, population: Population) -> Self {
        self.population = population;
        self
    }

    /// Replaces the outcome model.
    pub fn with_outcome(mut self, outcome: OutcomeModel) -> Self {
        self.outcome = outcome;
        self
    }

    /// Replaces the dropout model.
    pub fn with_dropout(mut self, dropout: Dropout) -> Self {
        self.dropout = dropout;
        self
    }

    /// Sets (or removes) the surgery model.
    pub fn with_surgery(mut self, surgery: Option<SurgeryModel>) -> Self {
        self.surgery = surgery;
        self
    }

    /// Replaces the rescue-medication model.
    pub fn with_rescue(mut self, rescue: RescueModel) -> Self {
        self.rescue = rescue;
        self
    }

    /// Sets the number of worker threads (0 = available parallelism).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
}
