//! The three bundled designs.

use super::config::{
    ArmSpec, Assignment, ConditionSpec, Dropout, InstrumentSpec, OutcomeModel, Population,
    RescueModel, SimulationConfig, SiteSpec, SurgeryModel,
};
use super::profile::EffectProfile;
use crate::domain::{
    CellOrigin, CellSource, Condition, Guidance, Instrument, Therapy, VisitSchedule,
};

fn therapy(s: &str) -> Therapy {
    // the spellings below are fixed and valid; fall back to usual care rather than panic
    s.parse()
        .unwrap_or(Therapy::single(crate::domain::Component::UsualCare))
}

fn sites(spec: &[(f64, f64)]) -> Vec<SiteSpec> {
    spec.iter()
        .enumerate()
        .map(|(i, (w, us))| SiteSpec::new(format!("site_{:02}", i + 1), *w, *us))
        .collect()
}

/// The seed of the bundled datasets.
pub const DATASET_SEED: u64 = 20261128;

impl SimulationConfig {
    /// Randomised knee osteoarthritis trial (the bundled `knee_oa_trial`): 420 patients, six
    /// arms in permuted blocks of 12 — stem cells from bone marrow and from adipose tissue,
    /// corticosteroid, PRP, bone-marrow stem cells + PRP, placebo (saline); ultrasound-guided;
    /// NRS, WOMAC pain and WOMAC function at days 0, 14, 42, 90, 180, 365.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::simulate::SimulationConfig;
    /// let cfg = SimulationConfig::knee_oa_trial();
    /// assert_eq!(cfg.visit_days, vec![0, 14, 42, 90, 180, 365]);
    /// ```
    pub fn knee_oa_trial() -> Self {
        SimulationConfig {
            name: "knee_oa_trial".into(),
            id_prefix: "KOA".into(),
            n_patients: 420,
            seed: DATASET_SEED,
            arms: vec![
                ArmSpec::new(therapy("stem_cell"))
                    .with_cells(CellSource::BoneMarrow, CellOrigin::Autologous, 50.0)
                    .with_surgery_hazard_ratio(0.6),
                ArmSpec::new(therapy("stem_cell"))
                    .with_cells(CellSource::Adipose, CellOrigin::Autologous, 40.0)
                    .with_surgery_hazard_ratio(0.7),
                ArmSpec::new(therapy("corticosteroid")),
                ArmSpec::new(therapy("prp")).with_surgery_hazard_ratio(0.8),
                ArmSpec::new(therapy("stem_cell+prp"))
                    .with_cells(CellSource::BoneMarrow, CellOrigin::Autologous, 50.0)
                    .with_surgery_hazard_ratio(0.55),
                ArmSpec::new(therapy("placebo")),
            ],
            assignment: Assignment::PermutedBlocks { block_size: 12 },
            conditions: vec![ConditionSpec::new(
                Condition::KneeOsteoarthritis,
                1.0,
                0.0,
                &[
                    "total knee arthroplasty",
                    "unicompartmental knee arthroplasty",
                    "high tibial osteotomy",
                ],
            )],
            sites: sites(&[(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)]),
            alternative_guidance: Guidance::Landmark,
            instruments: vec![
                InstrumentSpec::new(Instrument::nrs()),
                InstrumentSpec::new(Instrument::womac_pain()).with_residual_sd(0.8),
                InstrumentSpec::new(Instrument::womac_function())
                    .with_scale(0.85)
                    .with_residual_sd(1.0),
            ],
            visit_days: vec![0, 14, 42, 90, 180, 365],
            schedule: VisitSchedule::default(),
            visit_jitter: 0.06,
            population: Population::default(),
            outcome: OutcomeModel::default(),
            dropout: Dropout::default(),
            surgery: Some(SurgeryModel::default()),
            rescue: RescueModel::default(),
            threads: 0,
        }
    }

    /// Observational tendinopathy registry (the bundled `tendinopathy_registry`): 600
    /// patients at six sites with lateral epicondylitis, Achilles or rotator-cuff
    /// tendinopathy; PRP, corticosteroid, adipose or umbilical-cord stem cells, physical
    /// therapy, assigned by indication (patients in more pain more often get cells or steroid,
    /// less often physical therapy); ultrasound guidance varies by site and landmark (blind)
    /// injections work 30 % less; NRS at days 0, 42, 90, 180, 365.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::simulate::{Assignment, SimulationConfig};
    /// let cfg = SimulationConfig::tendinopathy_registry();
    /// assert_eq!(cfg.assignment, Assignment::ByIndication);
    /// ```
    pub fn tendinopathy_registry() -> Self {
        SimulationConfig {
            name: "tendinopathy_registry".into(),
            id_prefix: "TEN".into(),
            n_patients: 600,
            seed: DATASET_SEED,
            arms: vec![
                ArmSpec::new(therapy("prp"))
                    .with_weight(3.0)
                    .with_surgery_hazard_ratio(0.8),
                ArmSpec::new(therapy("corticosteroid"))
                    .with_weight(3.0)
                    .with_effect(EffectProfile::new(3.0, 5.0, 60.0, 0.0))
                    .with_indication_log_odds(0.25),
                ArmSpec::new(therapy("stem_cell"))
                    .with_cells(CellSource::Adipose, CellOrigin::Autologous, 30.0)
                    .with_weight(1.2)
                    .with_indication_log_odds(0.45)
                    .with_surgery_hazard_ratio(0.7),
                ArmSpec::new(therapy("stem_cell"))
                    .with_cells(CellSource::UmbilicalCord, CellOrigin::Allogeneic, 20.0)
                    .with_weight(0.8)
                    .with_indication_log_odds(0.45)
                    .with_surgery_hazard_ratio(0.7),
                ArmSpec::new(therapy("physical_therapy"))
                    .with_weight(3.0)
                    .with_indication_log_odds(-0.35),
            ],
            assignment: Assignment::ByIndication,
            conditions: vec![
                ConditionSpec::new(
                    Condition::LateralEpicondylitis,
                    0.4,
                    0.0,
                    &["open lateral release", "arthroscopic debridement"],
                ),
                ConditionSpec::new(
                    Condition::AchillesTendinopathy,
                    0.3,
                    0.3,
                    &["tendon debridement", "gastrocnemius recession"],
                ),
                ConditionSpec::new(
                    Condition::RotatorCuffTendinopathy,
                    0.3,
                    0.4,
                    &["subacromial decompression", "rotator cuff repair"],
                ),
            ],
            sites: sites(&[
                (1.5, 0.95),
                (1.0, 0.85),
                (1.2, 0.6),
                (0.8, 0.4),
                (1.0, 0.2),
                (0.7, 0.1),
            ]),
            alternative_guidance: Guidance::Landmark,
            instruments: vec![InstrumentSpec::new(Instrument::nrs())],
            visit_days: vec![0, 42, 90, 180, 365],
            schedule: VisitSchedule::default(),
            visit_jitter: 0.12,
            population: Population {
                age_mean: 48.0,
                age_sd: 11.0,
                age_min: 20.0,
                age_max: 80.0,
                female_fraction: 0.5,
                bmi_mean: 26.5,
                bmi_sd: 4.0,
                severity_weights: vec![(1, 0.35), (2, 0.45), (3, 0.20)],
            },
            outcome: OutcomeModel {
                baseline_pain: 6.0,
                pain_per_severity_grade: 0.6,
                site_sd: 0.35,
                drift_per_year: -0.6,
                landmark_factor: 0.7,
                ..OutcomeModel::default()
            },
            dropout: Dropout {
                mar_intercept: -3.0,
                mar_slope: 0.35,
                mcar_probability: 0.04,
                missed_visit_probability: 0.12,
                item_missing_probability: 0.0,
            },
            surgery: Some(SurgeryModel {
                horizon_days: 365,
                reference_probability: 0.04,
                ..SurgeryModel::default()
            }),
            rescue: RescueModel::default(),
            threads: 0,
        }
    }

    /// Randomised lumbar degenerative disc disease trial (the bundled `disc_degeneration`):
    /// 360 patients, bone-marrow stem cells, epidural corticosteroid, physical therapy, usual
    /// care; fluoroscopy-guided injections; NRS and ODI at days 0, 14, 42, 90, 180, 365, 730;
    /// surgery (fusion or discectomy) as the main time-to-event endpoint, about 30 % by 24
    /// months for a reference patient under usual care.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::simulate::SimulationConfig;
    /// let cfg = SimulationConfig::disc_degeneration();
    /// assert_eq!(cfg.visit_days.last(), Some(&730));
    /// ```
    pub fn disc_degeneration() -> Self {
        SimulationConfig {
            name: "disc_degeneration".into(),
            id_prefix: "DDD".into(),
            n_patients: 360,
            seed: DATASET_SEED,
            arms: vec![
                ArmSpec::new(therapy("stem_cell"))
                    .with_cells(CellSource::BoneMarrow, CellOrigin::Autologous, 20.0)
                    .with_effect(EffectProfile::new(2.4, 45.0, 1500.0, 0.5))
                    .with_surgery_hazard_ratio(0.55),
                ArmSpec::new(therapy("corticosteroid"))
                    .with_effect(EffectProfile::new(2.2, 5.0, 60.0, 0.05))
                    .with_surgery_hazard_ratio(0.9),
                ArmSpec::new(therapy("physical_therapy"))
                    .with_effect(EffectProfile::new(1.6, 30.0, 300.0, 0.4))
                    .with_surgery_hazard_ratio(0.8),
                ArmSpec::new(therapy("usual_care"))
                    .with_effect(EffectProfile::new(0.6, 30.0, 365.0, 0.5)),
            ],
            assignment: Assignment::PermutedBlocks { block_size: 8 },
            conditions: vec![ConditionSpec::new(
                Condition::DegenerativeDiscDisease,
                1.0,
                0.0,
                &["lumbar fusion", "discectomy"],
            )],
            sites: sites(&[(1.0, 0.0), (1.0, 0.0), (1.0, 0.0), (1.0, 0.0)]),
            alternative_guidance: Guidance::Fluoroscopy,
            instruments: vec![
                InstrumentSpec::new(Instrument::nrs()),
                InstrumentSpec::new(Instrument::odi())
                    .with_scale(0.72)
                    .with_residual_sd(1.0),
            ],
            visit_days: vec![0, 14, 42, 90, 180, 365, 730],
            schedule: VisitSchedule::default(),
            visit_jitter: 0.06,
            population: Population {
                age_mean: 45.0,
                age_sd: 10.0,
                age_min: 25.0,
                age_max: 70.0,
                female_fraction: 0.5,
                bmi_mean: 27.5,
                bmi_sd: 4.0,
                severity_weights: vec![(3, 0.30), (4, 0.45), (5, 0.25)],
            },
            outcome: OutcomeModel {
                baseline_pain: 6.6,
                drift_per_year: 0.1,
                ..OutcomeModel::default()
            },
            dropout: Dropout {
                mcar_probability: 0.015,
                ..Dropout::default()
            },
            surgery: Some(SurgeryModel {
                horizon_days: 730,
                reference_probability: 0.30,
                shape: 1.1,
                ..SurgeryModel::default()
            }),
            rescue: RescueModel::default(),
            threads: 0,
        }
    }

    /// The preset called `name` (`knee_oa_trial`, `tendinopathy_registry`,
    /// `disc_degeneration`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::simulate::SimulationConfig;
    /// assert!(SimulationConfig::preset("disc_degeneration").is_some());
    /// assert!(SimulationConfig::preset("nope").is_none());
    /// ```
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "knee_oa_trial" => Some(Self::knee_oa_trial()),
            "tendinopathy_registry" => Some(Self::tendinopathy_registry()),
            "disc_degeneration" => Some(Self::disc_degeneration()),
            _ => None,
        }
    }

    /// Names of the presets.
    pub const PRESETS: [&'static str; 3] = [
        "knee_oa_trial",
        "tendinopathy_registry",
        "disc_degeneration",
    ];
}
