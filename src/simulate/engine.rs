//! Per-patient generation: every patient comes from its own random stream, so patients can be
//! generated in any order, on any number of threads, with the same result.

use super::config::{ArmSpec, Assignment, ConditionSpec, Dropout, SimulationConfig};
use crate::domain::{
    CellDose, ClinicalEvent, EventKind, Guidance, Patient, PatientId, Sex, StemCells,
};
use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, Poisson, StandardNormal};

const BLOCK_STREAM: u64 = 1 << 62;
const SITE_STREAM: u64 = 1 << 63;

/// A random stream derived from (seed, stream).
pub(crate) fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// Index drawn with probabilities proportional to `weights` (all finite, non-negative, sum > 0).
fn categorical(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len().saturating_sub(1)
}

/// One visit of the design.
#[derive(Debug, Clone)]
pub(crate) struct PlannedVisit {
    pub day: i32,
    pub label: Option<String>,
    pub first: i32,
    pub last: i32,
}

/// Everything derived once from the configuration.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub cfg: &'a SimulationConfig,
    pub visits: Vec<PlannedVisit>,
    /// Instrument specs in registry order (the cohort's row order).
    pub instrument_order: Vec<usize>,
    pub site_effects: Vec<f64>,
    pub reference_severity: f64,
    pub surgery_scale: f64,
    pub block: Vec<usize>,
    pub id_width: usize,
    pub arm_weights: Vec<f64>,
    pub site_weights: Vec<f64>,
    pub condition_weights: Vec<f64>,
    pub severity_weights: Vec<f64>,
}

fn check(ok: bool, name: &'static str, reason: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(name, reason))
    }
}

fn weights_ok(w: &[f64]) -> bool {
    !w.is_empty() && w.iter().all(|x| x.is_finite() && *x >= 0.0) && w.iter().sum::<f64>() > 0.0
}

fn prob_ok(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

impl<'a> Context<'a> {
    pub fn new(cfg: &'a SimulationConfig, registry: &[crate::domain::Instrument]) -> Result<Self> {
        check(cfg.n_patients > 0, "n_patients", "must be at least 1")?;
        check(!cfg.arms.is_empty(), "arms", "at least one arm is required")?;
        let arm_weights: Vec<f64> = cfg.arms.iter().map(|a| a.weight).collect();
        check(
            weights_ok(&arm_weights),
            "arms",
            "weights must be finite, >= 0, not all 0",
        )?;
        check_arms(cfg)?;
        let site_weights: Vec<f64> = cfg.sites.iter().map(|s| s.weight).collect();
        check(
            weights_ok(&site_weights),
            "sites",
            "at least one site; weights finite, >= 0, not all 0",
        )?;
        let (condition_weights, severity_weights) = check_population(cfg)?;
        check_outcome_model(cfg)?;
        let instrument_order = instrument_order(cfg, registry)?;
        let visits = planned_visits(cfg)?;
        let pop = &cfg.population;
        let o = &cfg.outcome;
        let mut site_rng = stream(cfg.seed, SITE_STREAM);
        let site_effects = cfg
            .sites
            .iter()
            .map(|_| o.site_sd * normal(&mut site_rng))
            .collect();
        let block = allocation_block(cfg, &arm_weights)?;
        let id_width = cfg.n_patients.to_string().len().max(4);
        Ok(Context {
            cfg,
            visits,
            instrument_order,
            site_effects,
            reference_severity: pop.reference_severity(),
            surgery_scale: cfg
                .surgery
                .as_ref()
                .map_or(f64::INFINITY, |s| s.scale_days()),
            block,
            id_width,
            arm_weights,
            site_weights,
            condition_weights,
            severity_weights,
        })
    }

    fn block_arm(&self, index: usize) -> usize {
        let len = self.block.len().max(1);
        let b = index / len;
        let mut order = self.block.clone();
        let mut rng = stream(self.cfg.seed, BLOCK_STREAM | b as u64);
        // Fisher–Yates
        for i in (1..order.len()).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        order.get(index % len).copied().unwrap_or(0)
    }
}

/// Checks every arm's effect, hazards, rates and cell product.
fn check_arms(cfg: &SimulationConfig) -> Result<()> {
    for arm in &cfg.arms {
        check(
            arm.effect.is_valid(),
            "arms",
            "effect profile: amplitude finite, time constants > 0, plateau in [0, 1]",
        )?;
        check(
            arm.surgery_hazard_ratio.is_finite() && arm.surgery_hazard_ratio > 0.0,
            "arms",
            "surgery hazard ratio must be finite and > 0",
        )?;
        check(
            arm.adverse_event_rate.is_finite() && arm.adverse_event_rate >= 0.0,
            "arms",
            "adverse-event rate must be finite and >= 0",
        )?;
        check(
            arm.indication_log_odds_per_point.is_finite(),
            "arms",
            "indication slope must be finite",
        )?;
        check(
            arm.therapy.has_cells()
                || (arm.cell_source.is_none()
                    && arm.cell_origin.is_none()
                    && arm.cell_dose_million.is_none()),
            "arms",
            "cell source, origin and dose apply only to stem-cell therapies",
        )?;
        check(
            arm.cell_dose_million
                .is_none_or(|d| CellDose::new(d).is_some()),
            "arms",
            "cell dose must be finite and in (0, 100000] million",
        )?;
    }
    Ok(())
}

/// Checks sites, conditions and the population; returns the condition and severity weights.
fn check_population(cfg: &SimulationConfig) -> Result<(Vec<f64>, Vec<f64>)> {
    check(
        cfg.sites
            .iter()
            .all(|s| prob_ok(s.ultrasound_probability) && !s.name.trim().is_empty()),
        "sites",
        "names non-empty and ultrasound probabilities in [0, 1]",
    )?;
    let condition_weights: Vec<f64> = cfg.conditions.iter().map(|c| c.weight).collect();
    check(
        weights_ok(&condition_weights),
        "conditions",
        "at least one condition; weights finite, >= 0, not all 0",
    )?;
    check(
        cfg.conditions.iter().all(|c| c.pain_offset.is_finite()),
        "conditions",
        "pain offsets must be finite",
    )?;
    let pop = &cfg.population;
    let severity_weights: Vec<f64> = pop.severity_weights.iter().map(|(_, w)| *w).collect();
    check(
        weights_ok(&severity_weights),
        "population",
        "severity weights finite, >= 0, not all 0",
    )?;
    check(
        pop.severity_weights
            .iter()
            .all(|(g, _)| *g <= Patient::SEVERITY_RANGE.1),
        "population",
        "severity grades must be 0-5",
    )?;
    check(
        pop.age_min >= Patient::AGE_RANGE.0
            && pop.age_max <= Patient::AGE_RANGE.1
            && pop.age_min <= pop.age_max
            && pop.age_mean.is_finite()
            && pop.age_sd.is_finite()
            && pop.age_sd >= 0.0,
        "population",
        "ages must satisfy 0 <= age_min <= age_max <= 120, finite mean and SD >= 0",
    )?;
    check(
        prob_ok(pop.female_fraction)
            && pop.bmi_mean.is_finite()
            && pop.bmi_sd.is_finite()
            && pop.bmi_sd >= 0.0,
        "population",
        "female fraction in [0, 1], finite BMI mean and SD >= 0",
    )?;
    Ok((condition_weights, severity_weights))
}

/// Checks the outcome model, dropout, surgery and rescue settings.
fn check_outcome_model(cfg: &SimulationConfig) -> Result<()> {
    let o = &cfg.outcome;
    check(
        [
            o.baseline_pain,
            o.pain_per_severity_grade,
            o.drift_per_year,
            o.response_per_age_decade,
            o.response_per_severity_grade,
            o.landmark_factor,
        ]
        .iter()
        .all(|x| x.is_finite())
            && [o.site_sd, o.intercept_sd, o.slope_sd, o.response_sd]
                .iter()
                .all(|x| x.is_finite() && *x >= 0.0)
            && (-1.0..=1.0).contains(&o.intercept_slope_correlation),
        "outcome",
        "finite coefficients, SDs >= 0, correlation in [-1, 1]",
    )?;
    let d = &cfg.dropout;
    check(
        !d.mar_intercept.is_nan()
            && d.mar_intercept < f64::INFINITY
            && d.mar_slope.is_finite()
            && prob_ok(d.mcar_probability)
            && prob_ok(d.missed_visit_probability)
            && prob_ok(d.item_missing_probability),
        "dropout",
        "intercept < +inf, finite slope, probabilities in [0, 1]",
    )?;
    if let Some(s) = &cfg.surgery {
        check(
            s.horizon_days > 0
                && s.reference_probability > 0.0
                && s.reference_probability < 1.0
                && s.shape.is_finite()
                && s.shape > 0.0
                && s.log_hr_per_pain_point.is_finite()
                && s.log_hr_per_severity_grade.is_finite(),
            "surgery",
            "horizon > 0, reference probability in (0, 1), shape > 0, finite coefficients",
        )?;
    }
    check(
        cfg.rescue.threshold.is_finite() && prob_ok(cfg.rescue.probability),
        "rescue",
        "finite threshold and probability in [0, 1]",
    )?;
    Ok(())
}

/// The configured instruments in registry order (indices into `cfg.instruments`).
fn instrument_order(
    cfg: &SimulationConfig,
    registry: &[crate::domain::Instrument],
) -> Result<Vec<usize>> {
    check(
        !cfg.instruments.is_empty(),
        "instruments",
        "at least one instrument",
    )?;
    let mut instrument_order = Vec::with_capacity(cfg.instruments.len());
    for (i, spec) in cfg.instruments.iter().enumerate() {
        check(
            spec.scale.is_finite()
                && spec.scale > 0.0
                && spec.residual_sd.is_finite()
                && spec.residual_sd >= 0.0
                && spec.step.is_finite()
                && spec.step > 0.0,
            "instruments",
            "scale > 0, residual SD >= 0 and step > 0, all finite",
        )?;
        let pos = registry
            .iter()
            .position(|r| r.code == spec.instrument.code)
            .ok_or_else(|| {
                Error::invalid_argument(
                    "instruments",
                    format!("`{}` is not in the registry", spec.instrument.code),
                )
            })?;
        instrument_order.push((pos, i));
    }
    instrument_order.sort_unstable();
    check(
        instrument_order.windows(2).all(|w| w[0].0 != w[1].0),
        "instruments",
        "each instrument once",
    )?;
    Ok(instrument_order.into_iter().map(|(_, i)| i).collect())
}

/// The planned visits with their windows (each planned day inside its own window).
fn planned_visits(cfg: &SimulationConfig) -> Result<Vec<PlannedVisit>> {
    check(
        cfg.visit_days.first() == Some(&0),
        "visit_days",
        "the first visit must be day 0 (baseline)",
    )?;
    check(
        cfg.visit_days.windows(2).all(|w| w[0] < w[1]),
        "visit_days",
        "visit days must increase strictly",
    )?;
    check(
        cfg.visit_jitter.is_finite() && cfg.visit_jitter >= 0.0,
        "visit_jitter",
        "must be finite and >= 0",
    )?;
    let mut visits: Vec<PlannedVisit> = Vec::with_capacity(cfg.visit_days.len());
    for (k, &day) in cfg.visit_days.iter().enumerate() {
        let window = cfg.schedule.assign(day);
        let prev_last = visits.last().map_or(i32::MIN, |v| v.last);
        let next_day = cfg.visit_days.get(k + 1).copied();
        let (first, last) = match window {
            Some(w) if k > 0 => (w.first_day.max(prev_last.saturating_add(1)), w.last_day),
            Some(_) | None if k == 0 => (0, 0),
            _ => (day, day),
        };
        // a window must not reach the next planned day's window
        let last = match next_day {
            Some(n) => last.min(n - 1),
            None => last,
        };
        check(
            first <= day && day <= last,
            "visit_days",
            "each planned day must fall in its own window",
        )?;
        if let Some(w) = window
            && visits
                .iter()
                .any(|v| v.label.as_deref() == Some(w.label.as_str()))
        {
            return Err(Error::invalid_argument(
                "visit_days",
                format!("two planned days fall in the window `{}`", w.label),
            ));
        }
        visits.push(PlannedVisit {
            day,
            label: window.map(|w| w.label.clone()),
            first,
            last,
        });
    }
    Ok(visits)
}

/// One permuted block of arm indices (arms in proportion to their weights), empty for
/// allocation by indication.
fn allocation_block(cfg: &SimulationConfig, arm_weights: &[f64]) -> Result<Vec<usize>> {
    Ok(match cfg.assignment {
        Assignment::PermutedBlocks { block_size } => {
            check(
                block_size > 0,
                "assignment",
                "block size must be at least 1",
            )?;
            let total: f64 = arm_weights.iter().sum();
            let mut block = Vec::new();
            for (a, w) in arm_weights.iter().enumerate() {
                let n = (block_size as f64 * w / total).round() as usize;
                block.extend(std::iter::repeat_n(a, n));
            }
            if block.is_empty() {
                block = (0..cfg.arms.len()).collect();
            }
            block
        }
        Assignment::ByIndication => Vec::new(),
    })
}

/// One generated assessment row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub day: i32,
    pub visit: usize,
    pub instrument: usize,
    pub score: Option<f64>,
}

/// One generated patient.
#[derive(Debug, Clone)]
pub(crate) struct SimPatient {
    pub patient: Patient,
    pub rows: Vec<Row>,
    pub events: Vec<ClinicalEvent>,
}

fn score(spec: &super::config::InstrumentSpec, pain: f64) -> f64 {
    let inst = &spec.instrument;
    let range = inst.max - inst.min;
    let x = (pain * spec.scale / 10.0).clamp(0.0, 1.0);
    let raw = match inst.direction {
        crate::domain::Direction::LowerIsBetter => inst.min + x * range,
        crate::domain::Direction::HigherIsBetter => inst.max - x * range,
    };
    // + 0.0 turns a -0 into 0
    ((raw / spec.step).round() * spec.step).clamp(inst.min, inst.max) + 0.0
}

const INJECTION_AES: [&str; 4] = [
    "injection-site pain",
    "post-injection flare",
    "joint effusion",
    "injection-site swelling",
];
const STEROID_AES: [&str; 2] = ["facial flushing", "transient hyperglycaemia"];
const HARVEST_AES: [&str; 2] = ["harvest-site pain", "harvest-site haematoma"];
const OTHER_AES: [&str; 4] = [
    "headache",
    "upper respiratory infection",
    "fall",
    "gastrointestinal upset",
];

/// The interval between two visits, and the pain last observed before it.
#[derive(Clone, Copy)]
struct Gap {
    after: i32,
    until: i32,
    last_observed: f64,
}

/// The event that ends follow-up in `gap`, if any: surgery on or before the day the patient
/// would withdraw (or reach the next visit), else a withdrawal — for lack of efficacy (more
/// likely the more pain was last observed) or lost to follow-up.
fn follow_up_end(
    r: &mut ChaCha8Rng,
    d: &Dropout,
    gap: Gap,
    surgery_day: Option<i32>,
    condition: &ConditionSpec,
    id: &PatientId,
) -> Option<ClinicalEvent> {
    let Gap {
        after: prev_day,
        until: day,
        last_observed,
    } = gap;
    let p_mar = 1.0 / (1.0 + (-(d.mar_intercept + d.mar_slope * (last_observed - 5.0))).exp());
    let (u_mar, u_mcar) = (r.random::<f64>(), r.random::<f64>());
    let reason = if u_mar < p_mar {
        Some("lack of efficacy")
    } else if u_mcar < d.mcar_probability {
        Some("lost to follow-up")
    } else {
        None
    };
    let withdraw_day = reason.map(|_| {
        if day - 1 > prev_day + 1 {
            r.random_range(prev_day + 1..day)
        } else {
            prev_day + 1
        }
    });
    let stop_day = withdraw_day.unwrap_or(day);
    if let Some(s) = surgery_day.filter(|s| *s <= stop_day) {
        let detail = pick_owned(r, &condition.procedures);
        let mut e = ClinicalEvent::new(id.clone(), EventKind::Surgery, s);
        if let Some(dt) = detail {
            e = e.with_detail(dt);
        }
        return Some(e);
    }
    match (withdraw_day, reason) {
        (Some(w), Some(why)) => {
            Some(ClinicalEvent::new(id.clone(), EventKind::Withdrawal, w).with_detail(why))
        }
        _ => None,
    }
}

/// The adverse events of a patient of `arm` followed up to `last_contact`: a Poisson number,
/// injection-related ones within a week of the injection (steroid- or harvest-specific with
/// set probabilities), the others at any day of follow-up; grades 1–4 with decreasing
/// frequency.
fn adverse_events(
    arm: &ArmSpec,
    id: &PatientId,
    last_contact: i32,
    r: &mut ChaCha8Rng,
    events: &mut Vec<ClinicalEvent>,
) {
    let n_ae = if arm.adverse_event_rate > 0.0 {
        Poisson::new(arm.adverse_event_rate).map_or(0.0, |p| p.sample(r)) as usize
    } else {
        0
    };
    for _ in 0..n_ae {
        let injection_related = arm.injected && r.random::<f64>() < 0.6;
        let (day, detail) = if injection_related {
            let list: &[&str] = if arm
                .therapy
                .contains(crate::domain::Component::Corticosteroid)
                && r.random::<f64>() < 0.3
            {
                &STEROID_AES
            } else if arm.therapy.has_cells()
                && arm.cell_origin == Some(crate::domain::CellOrigin::Autologous)
                && r.random::<f64>() < 0.4
            {
                &HARVEST_AES
            } else {
                &INJECTION_AES
            };
            (r.random_range(0..=7), pick(r, list))
        } else {
            (r.random_range(1..=last_contact.max(1)), pick(r, &OTHER_AES))
        };
        let u = r.random::<f64>();
        let grade = if u < 0.65 {
            1
        } else if u < 0.92 {
            2
        } else if u < 0.99 {
            3
        } else {
            4
        };
        if day <= last_contact {
            events.push(
                ClinicalEvent::new(id.clone(), EventKind::AdverseEvent, day)
                    .with_grade(grade)
                    .with_detail(detail),
            );
        }
    }
}

fn pick<'s>(rng: &mut ChaCha8Rng, list: &[&'s str]) -> &'s str {
    list.get(rng.random_range(0..list.len().max(1)))
        .copied()
        .unwrap_or("")
}

fn pick_owned(rng: &mut ChaCha8Rng, list: &[String]) -> Option<String> {
    if list.is_empty() {
        return None;
    }
    list.get(rng.random_range(0..list.len())).cloned()
}

impl Context<'_> {
    /// The patient id of index `index`.
    pub fn patient_id(&self, index: usize) -> String {
        format!(
            "{}-{:0width$}",
            self.cfg.id_prefix,
            index + 1,
            width = self.id_width
        )
    }

    /// Generates patient `index` from its own stream.
    pub fn patient(&self, index: usize) -> Result<SimPatient> {
        let cfg = self.cfg;
        let o = &cfg.outcome;
        let pop = &cfg.population;
        let mut rng = stream(cfg.seed, index as u64);
        let r = &mut rng;

        // characteristics
        let ci = categorical(r, &self.condition_weights);
        let si = categorical(r, &self.site_weights);
        let gi = categorical(r, &self.severity_weights);
        let (condition, site) = match (cfg.conditions.get(ci), cfg.sites.get(si)) {
            (Some(c), Some(s)) => (c, s),
            _ => {
                return Err(Error::invalid_argument(
                    "config",
                    "empty conditions or sites",
                ));
            }
        };
        let severity = pop.severity_weights.get(gi).map_or(0, |(g, _)| *g);
        let sex = if r.random::<f64>() < pop.female_fraction {
            Sex::Female
        } else {
            Sex::Male
        };
        let age = (pop.age_mean + pop.age_sd * normal(r))
            .clamp(pop.age_min, pop.age_max)
            .round();
        let bmi = ((pop.bmi_mean + pop.bmi_sd * normal(r)).clamp(17.0, 50.0) * 10.0).round() / 10.0;

        // random effects
        let (z0, z1, zv) = (normal(r), normal(r), normal(r));
        let rho = o.intercept_slope_correlation;
        let b0 = o.intercept_sd * z0;
        let b1 = o.slope_sd * (rho * z0 + (1.0 - rho * rho).sqrt() * z1);
        let g_c = f64::from(severity) - self.reference_severity;
        let untreated = o.baseline_pain
            + condition.pain_offset
            + o.pain_per_severity_grade * g_c
            + self.site_effects.get(si).copied().unwrap_or(0.0)
            + b0;

        // arm
        let ai = match cfg.assignment {
            Assignment::PermutedBlocks { .. } => self.block_arm(index),
            Assignment::ByIndication => {
                let w: Vec<f64> = cfg
                    .arms
                    .iter()
                    .zip(&self.arm_weights)
                    .map(|(a, w)| {
                        w * (a.indication_log_odds_per_point * (untreated - o.baseline_pain)).exp()
                    })
                    .collect();
                categorical(r, &w)
            }
        };
        let Some(arm) = cfg.arms.get(ai) else {
            return Err(Error::invalid_argument("arms", "arm index out of range"));
        };
        let guidance = if arm.injected {
            Some(if r.random::<f64>() < site.ultrasound_probability {
                Guidance::Ultrasound
            } else {
                cfg.alternative_guidance
            })
        } else {
            None
        };
        let guidance_factor = if guidance.is_some_and(|g| g != Guidance::Ultrasound) {
            o.landmark_factor
        } else {
            1.0
        };
        let response = (1.0
            + o.response_per_age_decade * (age - pop.age_mean) / 10.0
            + o.response_per_severity_grade * g_c
            + o.response_sd * zv)
            .max(0.0)
            * guidance_factor;

        // surgery time
        let surgery_day: Option<i32> = cfg.surgery.as_ref().map(|s| {
            let lp = arm.surgery_hazard_ratio.ln()
                + s.log_hr_per_pain_point * (untreated - o.baseline_pain)
                + s.log_hr_per_severity_grade * g_c;
            let e: f64 = Exp1.sample(r);
            let t = self.surgery_scale * (e * (-lp).exp()).powf(1.0 / s.shape);
            if t < 1e7 {
                t.ceil().max(1.0) as i32
            } else {
                i32::MAX
            }
        });

        let id = PatientId::new(self.patient_id(index))
            .ok_or_else(|| Error::invalid_argument("id_prefix", "patient ids must not be blank"))?;
        let mut patient = Patient::new(id.clone(), arm.therapy)
            .with_condition(condition.condition)
            .with_severity(severity)
            .with_age(age)
            .with_sex(sex)
            .with_bmi(bmi)
            .with_site(site.name.clone())
            .with_arm(arm.label());
        if let Some(g) = guidance {
            patient = patient.with_guidance(g);
        }
        if arm.therapy.has_cells() {
            patient = patient.with_cells(StemCells {
                source: arm.cell_source,
                origin: arm.cell_origin,
                dose: arm.cell_dose_million.and_then(CellDose::new),
            });
        }

        // visits
        let pain_at = |day: i32| {
            let t = f64::from(day);
            untreated + (o.drift_per_year + b1) * t / 365.0 - response * arm.effect.at(t)
        };
        let d = &cfg.dropout;
        let n_instr = self.instrument_order.len();
        let mut rows = Vec::with_capacity(self.visits.len() * n_instr);
        let mut events = Vec::new();
        let mut last_observed = pain_at(0);
        let mut prev_day = 0;
        let mut last_contact = 0;
        for (k, visit) in self.visits.iter().enumerate() {
            let day = if k == 0 {
                0
            } else {
                let sd = cfg.visit_jitter * f64::from(visit.day);
                let j = (f64::from(visit.day) + sd * normal(r)).round();
                (j.clamp(f64::from(visit.first), f64::from(visit.last)) as i32).max(prev_day + 1)
            };
            if k > 0 {
                let gap = Gap {
                    after: prev_day,
                    until: day,
                    last_observed,
                };
                if let Some(end) = follow_up_end(r, d, gap, surgery_day, condition, &id) {
                    last_contact = end.day;
                    events.push(end);
                    break;
                }
            }
            last_contact = day;
            let missed = k > 0 && r.random::<f64>() < d.missed_visit_probability;
            let eta = pain_at(day);
            let mut observed_pain = None;
            for &i in &self.instrument_order {
                let Some(spec) = cfg.instruments.get(i) else {
                    continue;
                };
                let noise = spec.residual_sd * normal(r);
                let item_missing = k > 0 && r.random::<f64>() < d.item_missing_probability;
                let value = (!missed && !item_missing).then(|| {
                    if observed_pain.is_none() {
                        observed_pain = Some(eta + noise);
                    }
                    score(spec, eta + noise)
                });
                rows.push(Row {
                    day,
                    visit: k,
                    instrument: i,
                    score: value,
                });
            }
            if let Some(y) = observed_pain {
                last_observed = y;
                if k > 0 && y >= cfg.rescue.threshold && r.random::<f64>() < cfg.rescue.probability
                {
                    let when = r.random_range(prev_day + 1..=day);
                    let mut e = ClinicalEvent::new(id.clone(), EventKind::RescueMedication, when);
                    if let Some(m) = pick_owned(r, &cfg.rescue.medications) {
                        e = e.with_detail(m);
                    }
                    events.push(e);
                }
            }
            prev_day = day;
        }

        adverse_events(arm, &id, last_contact, r, &mut events);
        events.push(ClinicalEvent::new(id, EventKind::LastContact, last_contact));
        // the cohort's event order: by day, then kind, stable
        events.sort_by_key(|e| (e.day, e.kind));
        Ok(SimPatient {
            patient,
            rows,
            events,
        })
    }
}
