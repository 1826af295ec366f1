//! Trajectory shapes by arm: a linear mixed model `score ~ arm × f(time) + covariates +
//! (1 + f(time) | patient)` (optionally `+ (1 | site)`) on every assessment of one instrument,
//! baseline included.

use nalgebra::{DMatrix, DVector};

use super::arms::{Attrition, ExclusionReason, reference_arm};
use super::covariates::{Covariate, check_covariates};
use crate::data::{Cohort, find_name};
use crate::domain::Patient;
use crate::outcome::refuse;
use crate::stats::Estimate;
use crate::stats::dist::normal_quantile;
use crate::stats::formula::{CovariateColumn, FactorColumn, Layout, ModelSpec, design_matrix};
use crate::stats::lmm::{
    GroupEffects, LmmData, LmmFit, LmmOptions, RandomEffectsCovariance, VarianceComponentInterval,
    lmm,
};
use crate::stats::mmrm::Estimation;
use crate::stats::{ArmDifference, ConfidenceInterval};
use crate::{Error, Outcome, RefusalReason};

/// Days per year: time in the model is `day / 365.25`.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// The shape `f(time)` of the trajectories.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeScale {
    /// `time = day / 365.25` (years; baseline days ≤ 0 give time ≤ 0).
    #[default]
    Linear,
    /// `log_time = log(1 + max(day, 0))` (days).
    Log,
    /// Piecewise linear in years with knots in days (for example `[42.0]`: an onset and a
    /// maintenance phase): `phase1 = min(day, k1)/365.25`, `phase_j = (min(day, k_j) −
    /// k_{j−1})₊/365.25`, the last `(day − k_last)₊/365.25`; one slope per phase.
    Piecewise(Vec<f64>),
}

impl TimeScale {
    /// Names of the time variables in the model.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TimeScale;
    /// assert_eq!(TimeScale::Piecewise(vec![42.0]).variables(), vec!["phase1", "phase2"]);
    /// assert_eq!(TimeScale::Linear.variables(), vec!["time"]);
    /// ```
    pub fn variables(&self) -> Vec<String> {
        match self {
            TimeScale::Linear => vec!["time".into()],
            TimeScale::Log => vec!["log_time".into()],
            TimeScale::Piecewise(k) => (1..=k.len() + 1).map(|j| format!("phase{j}")).collect(),
        }
    }

    /// The time variables at `day`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TimeScale;
    /// let v = TimeScale::Piecewise(vec![42.0]).values(365.25 + 42.0);
    /// assert!((v[0] - 42.0 / 365.25).abs() < 1e-12 && (v[1] - 1.0).abs() < 1e-12);
    /// ```
    pub fn values(&self, day: f64) -> Vec<f64> {
        match self {
            TimeScale::Linear => vec![day / DAYS_PER_YEAR],
            TimeScale::Log => vec![day.max(0.0).ln_1p()],
            TimeScale::Piecewise(knots) => {
                let mut out = Vec::with_capacity(knots.len() + 1);
                out.push(day.min(knots.first().copied().unwrap_or(f64::INFINITY)) / DAYS_PER_YEAR);
                for j in 1..=knots.len() {
                    let lo = knots[j - 1];
                    let hi = knots.get(j).copied().unwrap_or(f64::INFINITY);
                    out.push((day.min(hi) - lo).max(0.0) / DAYS_PER_YEAR);
                }
                out
            }
        }
    }
}

/// Which random effects each patient has.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientEffects {
    /// A random intercept and a random slope for every time variable (default).
    #[default]
    InterceptAndSlopes,
    /// A random intercept only.
    Intercept,
}

/// Slope of one arm on one time variable (per year for linear and piecewise time).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ArmSlope {
    /// Arm.
    pub arm: String,
    /// Time variable (`time`, `log_time`, `phase1`, …).
    pub phase: String,
    /// `β_time + β_arm:time`, with Satterthwaite df.
    pub slope: Outcome<Estimate>,
}

/// One point of an arm's mean curve.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CurvePoint {
    /// Arm.
    pub arm: String,
    /// Day.
    pub day: f64,
    /// Population mean at `day` (covariates at their means), with its confidence interval.
    pub mean: Outcome<Estimate>,
}

/// One point of a patient's predicted course.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoursePoint {
    /// Day.
    pub day: f64,
    /// Population prediction `x'β̂` (no random effects).
    pub population: f64,
    /// The patient's prediction `x'β̂ + z'b̂`.
    pub predicted: f64,
    /// Standard deviation of the patient's conditional mean, `sqrt(z'Var(b|y)z + x'Cov(β̂)x)`
    /// (with a site intercept, the site's conditional variance and its covariance with the
    /// patient's effects are added; for a new patient of a site not in the model, the site
    /// variance).
    pub std_error: f64,
    /// Where a new score of the patient on that day is expected to fall: `predicted ± z ·
    /// sqrt(std_error² + σ²)` at the fit's confidence level (normal approximation; the
    /// uncertainty of the variance components is not carried).
    pub prediction_interval: ConfidenceInterval,
}

/// A fitted trajectory model; see [`TrajectoryModel`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrajectoryFit {
    /// Instrument code.
    pub instrument: String,
    /// Time scale.
    pub time: TimeScale,
    /// Arms in the model.
    pub arms: Vec<String>,
    /// Reference arm.
    pub reference_arm: String,
    /// Fixed-effects formula (right-hand side) and the random part, lme4 style.
    pub formula: String,
    /// Who was analysed and who was left out.
    pub attrition: Attrition,
    /// The mixed model.
    pub fit: LmmFit,
    /// Slope of every arm on every time variable (arm fastest within a phase).
    pub slopes: Vec<ArmSlope>,
    /// Each arm's slope minus the reference arm's slope, per phase (`visit` holds the phase).
    pub slope_differences: Vec<Outcome<ArmDifference>>,
    /// Profile-likelihood intervals of the patient SDs, their correlations and the residual SD
    /// at the model's confidence level, as `lme4::confint(method = "profile")`; see
    /// [`LmmFit::variance_component_intervals`]. Empty unless asked for
    /// ([`TrajectoryModel::variance_intervals`]).
    pub variance_component_intervals: Vec<Outcome<VarianceComponentInterval>>,
    #[serde(skip)]
    state: TrajectoryState,
}

#[derive(Debug, Clone)]
struct TrajectoryState {
    layout: Layout,
    /// Per analysed patient: id, arm code, factor codes (arm first), covariate values
    /// (time variables first, zero) and the index of its random effects.
    patients: Vec<(String, usize, Vec<usize>, Vec<f64>)>,
    covariates: Vec<Covariate>,
    covariate_factor_levels: Vec<Vec<String>>,
    covariate_is_factor: Vec<bool>,
    /// Site of every analysed patient (empty without a site intercept).
    patient_sites: Vec<String>,
    x_means: Vec<f64>,
    n_time: usize,
    q: usize,
}

/// Builder of a [`TrajectoryFit`].
///
/// The response is the instrument's score at every non-missing assessment, baseline (day ≤ 0)
/// included; time enters through [`TimeScale`]; arms are treatment-coded against the reference
/// arm (placebo when present, else the first arm) with R's names (`armprp:time`). Patients
/// missing a requested covariate, or with no score, are left out and counted.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{TimeScale, TrajectoryModel};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let t = TrajectoryModel::new(&cohort).instrument("nrs").fit()?.into_result()?;
/// assert!(t.fit.certificate.converged);
/// let prp = t.slope("prp", "time").unwrap().as_ref().into_result()?;
/// assert!(prp.estimate.is_finite());
/// let curve = t.mean_curve(&[0.0, 90.0, 365.0]);
/// assert_eq!(curve.len(), 3 * t.arms.len());
/// let id = cohort.patients()[0].id.as_str().to_string();
/// let course = t.patient_course(&id, &[0.0, 180.0]).unwrap();
/// assert_eq!(course.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Formula
///
/// `score_ij = x_ij'β + z_ij'b_i + ε_ij`, `x_ij` = arm × f(day_ij) + covariates,
/// `z_ij = (1, f(day_ij))`, `b_i ~ N(0, Σ_b)`; with [`TrajectoryModel::site_effect`] also
/// `+ s_k(i)`, `s_k ~ N(0, σ_s²)` for the site k(i) of patient i; see [`lmm`].
///
/// # References
///
/// Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
/// models using lme4. *Journal of Statistical Software* 67(1), 1–48.
#[derive(Debug, Clone)]
pub struct TrajectoryModel<'c> {
    cohort: &'c Cohort,
    instrument: Option<String>,
    arms: Option<Vec<String>>,
    reference_arm: Option<String>,
    time: TimeScale,
    effects: PatientEffects,
    options: LmmOptions,
    covariates: Vec<Covariate>,
    variance_intervals: bool,
    site_effect: bool,
}

impl<'c> TrajectoryModel<'c> {
    /// Starts a model on `cohort`: linear time, random intercept and slope (correlated), REML.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn new(cohort: &'c Cohort) -> Self {
        Self {
            cohort,
            instrument: None,
            arms: None,
            reference_arm: None,
            time: TimeScale::Linear,
            effects: PatientEffects::InterceptAndSlopes,
            options: LmmOptions::default(),
            covariates: Vec::new(),
            variance_intervals: false,
            site_effect: false,
        }
    }

    /// Adds a random intercept per site, the patients nested in their sites:
    /// `score ~ arm × f(time) + covariates + (1 + f(time) | patient) + (1 | site)` (default
    /// off). The site is the patient-level `site` column; every analysed patient needs one.
    /// Fewer than three sites is refused (`TooFewGroups`): a between-site SD from one or two
    /// clinics is not an honest estimate (see [`crate::stats::lmm`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TrajectoryModel;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let t = TrajectoryModel::new(&cohort).instrument("nrs").site_effect(true)
    ///     .fit()?.into_result()?;
    /// assert_eq!(t.fit.n_sites, 5);
    /// assert!(t.formula.ends_with("+ (1 | site)"));
    /// let site_sd = t.site_std_dev().unwrap();
    /// assert!(site_sd > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn site_effect(mut self, yes: bool) -> Self {
        self.site_effect = yes;
        self
    }

    /// Also computes the profile-likelihood intervals of the variance components
    /// ([`TrajectoryFit::variance_component_intervals`]; default off: each limit is a root of
    /// the profiled deviance with the other variance parameters refitted, which costs many
    /// fits — seconds on the bundled trial, minutes with three random effects per patient).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TrajectoryModel;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let t = TrajectoryModel::new(&cohort).instrument("nrs").variance_intervals(true)
    ///     .fit()?.into_result()?;
    /// let sd = t.variance_component_intervals[0].as_ref().into_result()?;
    /// assert!(sd.confidence_interval.lower < sd.confidence_interval.upper);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn variance_intervals(mut self, yes: bool) -> Self {
        self.variance_intervals = yes;
        self
    }

    /// The instrument (code); required.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn instrument(mut self, code: &str) -> Self {
        self.instrument = Some(code.to_string());
        self
    }

    /// Restricts the model to these arms.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn arms(mut self, arms: &[&str]) -> Self {
        self.arms = Some(arms.iter().map(|a| a.to_string()).collect());
        self
    }

    /// The reference arm.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn reference_arm(mut self, arm: &str) -> Self {
        self.reference_arm = Some(arm.to_string());
        self
    }

    /// The time scale (default linear).
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn time(mut self, time: TimeScale) -> Self {
        self.time = time;
        self
    }

    /// Random intercept and slopes (default) or intercept only.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn patient_effects(mut self, effects: PatientEffects) -> Self {
        self.effects = effects;
        self
    }

    /// Correlated (default) or uncorrelated random effects.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn covariance(mut self, covariance: RandomEffectsCovariance) -> Self {
        self.options = self.options.with_covariance(covariance);
        self
    }

    /// REML (default) or ML.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn method(mut self, method: Estimation) -> Self {
        self.options = self.options.with_method(method);
        self
    }

    /// Confidence level (default 0.95).
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn confidence_level(mut self, level: f64) -> Self {
        self.options = self.options.with_confidence_level(level);
        self
    }

    /// Patient-level covariates (main effects).
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn covariates(mut self, covariates: &[Covariate]) -> Self {
        self.covariates = covariates.to_vec();
        self
    }

    /// Builds the long data and fits the model.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the instrument is missing or unknown, an arm or the reference arm
    /// is unknown, knots are not increasing and positive, or a covariate is invalid; with
    /// [`TrajectoryModel::site_effect`], when an analysed patient has no site (naming the
    /// patient) or `site` is also a covariate.
    ///
    /// # Refusals
    ///
    /// `EmptyGroup` when an arm has no analysed patient; the refusals of [`lmm`] (among them
    /// `TooFewGroups` for a site intercept on fewer than three sites).
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn fit(&self) -> crate::Result<Outcome<TrajectoryFit>> {
        let code = self
            .instrument
            .as_deref()
            .ok_or_else(|| Error::invalid_argument("instrument", "no instrument was set"))?;
        let cohort = self.cohort;
        let inst = cohort.instrument_index(code).ok_or_else(|| {
            Error::invalid_argument("instrument", format!("`{code}` is not in the cohort"))
        })?;
        if let TimeScale::Piecewise(k) = &self.time
            && (k.is_empty()
                || k.iter().any(|v| !(v.is_finite() && *v > 0.0))
                || k.windows(2).any(|w| w[1] <= w[0]))
        {
            return Err(Error::invalid_argument(
                "knots",
                "knots must be positive, finite and increasing days",
            ));
        }
        let all_arms = cohort.arms().to_vec();
        let arms: Vec<String> = match &self.arms {
            None => all_arms.clone(),
            Some(list) => {
                let mut chosen = vec![false; all_arms.len()];
                for a in list {
                    chosen[find_name("arm", a, &all_arms)?] = true;
                }
                all_arms
                    .iter()
                    .zip(&chosen)
                    .filter(|(_, c)| **c)
                    .map(|(a, _)| a.clone())
                    .collect()
            }
        };
        let reference = reference_arm(&arms, self.reference_arm.as_deref())?;
        let ref_code = arms.iter().position(|a| a == &reference).unwrap_or(0);
        check_covariates(&self.covariates, cohort.patients())?;
        if self.site_effect && self.covariates.iter().any(|c| c.name() == "site") {
            return Err(Error::invalid_argument(
                "covariates",
                "site cannot be both a fixed covariate and the random site intercept",
            ));
        }
        let factor_cov: Vec<bool> = self
            .covariates
            .iter()
            .map(|c| c.is_factor(cohort.patients()))
            .collect();
        let mut levels: Vec<Vec<String>> = vec![Vec::new(); self.covariates.len()];
        for p in cohort.patients() {
            for (k, c) in self.covariates.iter().enumerate() {
                if factor_cov[k]
                    && let Some((_, l)) = c.value(p)
                    && !levels[k].contains(&l)
                {
                    levels[k].push(l);
                }
            }
        }
        levels.iter_mut().for_each(|l| l.sort());
        // long data
        let time_vars = self.time.variables();
        let n_time = time_vars.len();
        let n_fcov = factor_cov.iter().filter(|f| **f).count();
        let mut attrition = Attrition::new(&arms);
        let mut y = Vec::new();
        let mut group = Vec::new();
        let mut fcodes: Vec<Vec<usize>> = vec![Vec::new(); 1 + n_fcov];
        let mut cvals: Vec<Vec<f64>> = vec![Vec::new(); n_time + self.covariates.len() - n_fcov];
        let mut patients = Vec::new();
        let mut patient_sites: Vec<String> = Vec::new();
        let arm_of = cohort.arm_of();
        for (pi, p) in cohort.patients().iter().enumerate() {
            let Some(arm) = arms
                .iter()
                .position(|a| cohort.arms().get(arm_of[pi] as usize) == Some(a))
            else {
                continue;
            };
            let Some((codes, values)) = patient_values(p, &self.covariates, &factor_cov, &levels)
            else {
                attrition.exclude(arm, ExclusionReason::MissingCovariate);
                for c in &self.covariates {
                    if c.value(p).is_none() {
                        attrition.missing_covariate(c.name());
                    }
                }
                continue;
            };
            let rows: Vec<usize> = cohort
                .patient_rows(pi)
                .filter(|&r| {
                    cohort.instrument_of()[r] as usize == inst && cohort.scores()[r].is_some()
                })
                .collect();
            if rows.is_empty() {
                attrition.exclude(arm, ExclusionReason::NoFollowUp);
                continue;
            }
            if self.site_effect {
                let site = p.site.clone().ok_or_else(|| {
                    Error::invalid_argument(
                        "site",
                        format!(
                            "patient `{}` has no site: the site intercept needs the site of every analysed patient",
                            p.id.as_str()
                        ),
                    )
                })?;
                patient_sites.push(site);
            }
            attrition.analysed(arm);
            let g = patients.len();
            let mut all_codes = vec![arm];
            all_codes.extend(&codes);
            for r in rows {
                y.push(cohort.scores()[r].unwrap_or(0.0));
                group.push(g);
                for (k, c) in all_codes.iter().enumerate() {
                    fcodes[k].push(*c);
                }
                let tv = self.time.values(f64::from(cohort.days()[r]));
                for (k, v) in tv.iter().chain(&values).enumerate() {
                    cvals[k].push(*v);
                }
            }
            let mut cov_row = vec![0.0; n_time];
            cov_row.extend(values);
            patients.push((p.id.as_str().to_string(), arm, all_codes, cov_row));
        }
        for a in &attrition.arms {
            if a.analysed == 0 {
                return Ok(refuse(
                    RefusalReason::EmptyGroup,
                    format!("arm `{}` has no patient with a `{code}` score", a.arm),
                ));
            }
        }
        // formula
        let mut factors = vec![FactorColumn {
            name: "arm".into(),
            levels: arms.clone(),
            codes: &fcodes[0],
            reference: ref_code,
        }];
        let mut covs: Vec<CovariateColumn<'_>> = time_vars
            .iter()
            .enumerate()
            .map(|(k, n)| CovariateColumn {
                name: n.clone(),
                values: &cvals[k],
            })
            .collect();
        let (mut fi, mut ci) = (1, n_time);
        for (k, c) in self.covariates.iter().enumerate() {
            if factor_cov[k] {
                factors.push(FactorColumn {
                    name: c.name().to_string(),
                    levels: levels[k].clone(),
                    codes: &fcodes[fi],
                    reference: 0,
                });
                fi += 1;
            } else {
                covs.push(CovariateColumn {
                    name: c.name().to_string(),
                    values: &cvals[ci],
                });
                ci += 1;
            }
        }
        let mut rhs: Vec<String> = time_vars.iter().map(|t| format!("arm*{t}")).collect();
        rhs.extend(self.covariates.iter().map(|c| c.name().to_string()));
        let rhs = rhs.join(" + ");
        let spec = ModelSpec::parse(&rhs)?;
        let layout = Layout::resolve(&factors, &covs, &spec)?;
        let n = y.len();
        let x = design_matrix(&layout, &factors, &covs, n);
        let (z, z_names) = match self.effects {
            PatientEffects::Intercept => (
                DMatrix::from_element(n, 1, 1.0),
                vec!["(Intercept)".to_string()],
            ),
            PatientEffects::InterceptAndSlopes => {
                let mut names = vec!["(Intercept)".to_string()];
                names.extend(time_vars.iter().cloned());
                (
                    DMatrix::from_fn(
                        n,
                        1 + n_time,
                        |r, c| if c == 0 { 1.0 } else { cvals[c - 1][r] },
                    ),
                    names,
                )
            }
        };
        let q = z.ncols();
        let x_means: Vec<f64> = (0..layout.p).map(|j| x.column(j).mean()).collect();
        let labels: Vec<String> = patients.iter().map(|p| p.0.clone()).collect();
        let mut random = if q == 1 {
            "(1 | patient)".to_string()
        } else {
            let bar = if self.options.covariance == RandomEffectsCovariance::Diagonal {
                "||"
            } else {
                "|"
            };
            format!("(1 + {} {bar} patient)", time_vars.join(" + "))
        };
        let mut data = LmmData::new(
            y,
            x,
            layout.column_names.clone(),
            z,
            z_names,
            group.clone(),
            labels,
        )?;
        if self.site_effect {
            let mut site_labels = patient_sites.clone();
            site_labels.sort();
            site_labels.dedup();
            let code_of: Vec<usize> = patient_sites
                .iter()
                .map(|s| site_labels.binary_search(s).unwrap_or(0))
                .collect();
            let rows = group
                .iter()
                .map(|&g| code_of.get(g).copied().unwrap_or(0))
                .collect();
            data = data.with_sites(rows, site_labels)?;
            random.push_str(" + (1 | site)");
        }
        let fit = match lmm(&data, &self.options)? {
            Outcome::Computed(f) => f,
            Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
        };
        let state = TrajectoryState {
            layout,
            patients,
            covariates: self.covariates.clone(),
            covariate_factor_levels: levels,
            covariate_is_factor: factor_cov,
            patient_sites,
            x_means,
            n_time,
            q,
        };
        let mut out = TrajectoryFit {
            instrument: code.to_string(),
            time: self.time.clone(),
            arms,
            reference_arm: reference,
            formula: format!("score ~ {rhs} + {random}"),
            attrition,
            fit,
            slopes: Vec::new(),
            slope_differences: Vec::new(),
            variance_component_intervals: Vec::new(),
            state,
        };
        if self.variance_intervals {
            out.variance_component_intervals = out
                .fit
                .variance_component_intervals(self.options.confidence_level)?;
        }
        out.fill_slopes(&time_vars);
        Ok(Outcome::Computed(out))
    }
}

/// The site part of a predicted course: the site's mode and the variance it adds.
#[derive(Debug, Clone, Copy, Default)]
struct SiteTerm {
    mode: f64,
    variance: f64,
}

/// Factor codes and covariate values of a patient; `None` when one is missing.
fn patient_values(
    p: &Patient,
    covariates: &[Covariate],
    is_factor: &[bool],
    levels: &[Vec<String>],
) -> Option<(Vec<usize>, Vec<f64>)> {
    let mut codes = Vec::new();
    let mut values = Vec::new();
    for (k, c) in covariates.iter().enumerate() {
        let (v, l) = c.value(p)?;
        if is_factor[k] {
            codes.push(levels[k].iter().position(|x| x == &l)?);
        } else {
            values.push(v);
        }
    }
    Some((codes, values))
}

impl TrajectoryFit {
    fn coefficient_vector(
        &self,
        arm: usize,
        day: Option<f64>,
        phase: Option<usize>,
    ) -> DVector<f64> {
        let st = &self.state;
        let p = st.layout.p;
        let mut c = DVector::zeros(p);
        let tv = day.map(|d| self.time.values(d));
        let mut sparse = Vec::new();
        st.layout.row_sparse(
            |f| {
                if f == 0 {
                    arm
                } else {
                    st.layout.factor_reference[f]
                }
            },
            |k| match (&tv, phase) {
                (Some(t), _) if k < st.n_time => t[k],
                (None, Some(ph)) if k < st.n_time => f64::from(u8::from(k == ph)),
                _ => 0.0,
            },
            &mut sparse,
        );
        for (j, v) in sparse {
            c[j] = v;
        }
        if phase.is_some() {
            // a slope: only the columns that carry the time variable
            c[0] = 0.0;
            for t in &st.layout.terms {
                if t.covariate.is_none_or(|k| k >= st.n_time) {
                    for j in t.first_column..t.first_column + t.n_columns {
                        c[j] = 0.0;
                    }
                }
            }
        } else {
            // covariate-only columns at their means (proportional weights over factor levels)
            for t in st.layout.terms.iter().skip(1) {
                let has_arm_or_time =
                    t.factors.contains(&0) || t.covariate.is_some_and(|k| k < st.n_time);
                if !has_arm_or_time {
                    for j in t.first_column..t.first_column + t.n_columns {
                        c[j] = st.x_means[j];
                    }
                }
            }
        }
        c
    }

    fn fill_slopes(&mut self, time_vars: &[String]) {
        let ref_code = self
            .arms
            .iter()
            .position(|a| a == &self.reference_arm)
            .unwrap_or(0);
        for (ph, name) in time_vars.iter().enumerate() {
            let rc = self.coefficient_vector(ref_code, None, Some(ph));
            for (a, arm) in self.arms.iter().enumerate() {
                let c = self.coefficient_vector(a, None, Some(ph));
                self.slopes.push(ArmSlope {
                    arm: arm.clone(),
                    phase: name.clone(),
                    slope: self.fit.state.estimate(&c, format!("{arm} slope ({name})")),
                });
                if a != ref_code {
                    let label = format!("{arm} - {} slope ({name})", self.reference_arm);
                    let d = &c - &rc;
                    self.slope_differences
                        .push(self.fit.state.estimate(&d, label).map(|e| ArmDifference {
                            arm: arm.clone(),
                            reference: self.reference_arm.clone(),
                            visit: Some(name.clone()),
                            difference: e,
                        }));
                }
            }
        }
    }

    /// The slope of `arm` on time variable `phase` (`time`, `log_time`, `phase1`, …).
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn slope(&self, arm: &str, phase: &str) -> Option<&Outcome<Estimate>> {
        self.slopes
            .iter()
            .find(|s| s.arm == arm && s.phase == phase)
            .map(|s| &s.slope)
    }

    /// Each arm's population mean curve at `days` (covariate columns at their means), with
    /// Satterthwaite intervals: the CI band for plotting (arm fastest within a day).
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn mean_curve(&self, days: &[f64]) -> Vec<CurvePoint> {
        let mut out = Vec::with_capacity(days.len() * self.arms.len());
        for &day in days {
            for (a, arm) in self.arms.iter().enumerate() {
                let c = self.coefficient_vector(a, Some(day), None);
                out.push(CurvePoint {
                    arm: arm.clone(),
                    day,
                    mean: self.fit.state.estimate(&c, format!("{arm} at day {day}")),
                });
            }
        }
        out
    }

    fn design_row(
        &self,
        arm_codes: &[usize],
        cov_row: &[f64],
        day: f64,
    ) -> (DVector<f64>, DVector<f64>) {
        let st = &self.state;
        let tv = self.time.values(day);
        let mut x = DVector::zeros(st.layout.p);
        let mut sparse = Vec::new();
        st.layout.row_sparse(
            |f| {
                arm_codes
                    .get(f)
                    .copied()
                    .unwrap_or(st.layout.factor_reference[f])
            },
            |k| {
                if k < st.n_time {
                    tv[k]
                } else {
                    cov_row.get(k).copied().unwrap_or(0.0)
                }
            },
            &mut sparse,
        );
        for (j, v) in sparse {
            x[j] = v;
        }
        let z = DVector::from_fn(st.q, |i, _| if i == 0 { 1.0 } else { tv[i - 1] });
        (x, z)
    }

    fn course(
        &self,
        codes: &[usize],
        cov_row: &[f64],
        effects: &GroupEffects,
        site: &SiteTerm,
        days: &[f64],
    ) -> Vec<CoursePoint> {
        let q = self.state.q;
        let b = DVector::from_column_slice(&effects.modes);
        let cv = DMatrix::from_row_slice(q, q, &effects.conditional_covariance);
        let beta = DVector::from_column_slice(self.fit.beta());
        days.iter()
            .map(|&day| {
                let (x, z) = self.design_row(codes, cov_row, day);
                let population = x.dot(&beta);
                let cross: f64 = effects
                    .site_covariance
                    .iter()
                    .zip(z.iter())
                    .map(|(c, zi)| c * zi)
                    .sum();
                let var = z.dot(&(&cv * &z))
                    + 2.0 * cross
                    + site.variance
                    + x.dot(&(self.fit.beta_covariance() * &x));
                let predicted = population + z.dot(&b) + site.mode;
                let level = self.fit.state.level;
                let spread = (var.max(0.0) + self.fit.sigma * self.fit.sigma).sqrt();
                let half = normal_quantile(0.5 + level / 2.0) * spread;
                CoursePoint {
                    day,
                    population,
                    predicted,
                    std_error: var.max(0.0).sqrt(),
                    prediction_interval: ConfidenceInterval::symmetric(predicted, half, level),
                }
            })
            .collect()
    }

    /// The predicted course of an analysed patient at `days`: population mean and the
    /// patient's conditional prediction (BLUP; with a site intercept, plus the site's
    /// conditional mode); `None` for a patient not in the model.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel`].
    pub fn patient_course(&self, patient_id: &str, days: &[f64]) -> Option<Vec<CoursePoint>> {
        let g = self.state.patients.iter().position(|p| p.0 == patient_id)?;
        let (_, _, codes, cov_row) = self.state.patients.get(g)?;
        let site = match self.state.patient_sites.get(g) {
            Some(label) => {
                let s = self.fit.site_effect(label)?;
                SiteTerm {
                    mode: s.modes.first().copied().unwrap_or(0.0),
                    variance: s.conditional_covariance.first().copied().unwrap_or(0.0),
                }
            }
            None => SiteTerm::default(),
        };
        Some(self.course(codes, cov_row, self.fit.random_effects.get(g)?, &site, days))
    }

    /// The standard deviation of the site intercept; `None` without one.
    ///
    /// # Examples
    ///
    /// See [`TrajectoryModel::site_effect`].
    pub fn site_std_dev(&self) -> Option<f64> {
        self.fit
            .variance_components
            .iter()
            .find(|v| v.group == "site")
            .map(|v| v.std_dev)
    }

    /// The predicted course of a new patient of `arm` with the covariates of `patient` and the
    /// early scores `observed` (day, score) — none gives the population curve with the
    /// between-patient spread.
    ///
    /// With a site intercept: a patient of a site in the model gets that site's conditional
    /// mode (held at its estimate, as β; its conditional variance is added to the spread); a
    /// patient with no site, or of a site the model has not seen, is predicted at the
    /// population level of sites, the site variance added to the spread.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the arm is unknown, a covariate of the model is missing or its
    /// level was not in the data, or a score is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TrajectoryModel;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let t = TrajectoryModel::new(&cohort).instrument("nrs").fit()?.into_result()?;
    /// let new = &cohort.patients()[0];
    /// let course = t.new_patient_course("prp", new, &[(0.0, 8.0), (14.0, 6.0)], &[90.0, 365.0])?;
    /// assert_eq!(course.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new_patient_course(
        &self,
        arm: &str,
        patient: &Patient,
        observed: &[(f64, f64)],
        days: &[f64],
    ) -> crate::Result<Vec<CoursePoint>> {
        let st = &self.state;
        let a = find_name("arm", arm, &self.arms)?;
        let (codes, values) = patient_values(
            patient,
            &st.covariates,
            &st.covariate_is_factor,
            &st.covariate_factor_levels,
        )
        .ok_or_else(|| {
            Error::invalid_argument(
                "patient",
                "a covariate of the model is missing or has a level not in the data",
            )
        })?;
        let mut all_codes = vec![a];
        all_codes.extend(codes);
        let mut cov_row = vec![0.0; st.n_time];
        cov_row.extend(values);
        let m = observed.len();
        let (p, q) = (st.layout.p, st.q);
        let mut x = DMatrix::zeros(m, p);
        let mut z = DMatrix::zeros(m, q);
        let mut y = Vec::with_capacity(m);
        for (r, &(day, score)) in observed.iter().enumerate() {
            let (xr, zr) = self.design_row(&all_codes, &cov_row, day);
            x.set_row(r, &xr.transpose());
            z.set_row(r, &zr.transpose());
            y.push(score);
        }
        let (effects, site) = if self.fit.n_sites > 0 {
            let label = patient.site.as_deref().unwrap_or("");
            let new = self
                .fit
                .new_group_effects_at_site("new", label, &x, &z, &y)?;
            let site = match &new.site {
                Some(s) => SiteTerm {
                    mode: s.modes.first().copied().unwrap_or(0.0),
                    variance: s.conditional_covariance.first().copied().unwrap_or(0.0),
                },
                None => SiteTerm {
                    mode: 0.0,
                    variance: self.site_std_dev().map_or(0.0, |sd| sd * sd),
                },
            };
            (new.effects, site)
        } else {
            (
                self.fit.new_group_effects("new", &x, &z, &y)?,
                SiteTerm::default(),
            )
        };
        Ok(self.course(&all_codes, &cov_row, &effects, &site, days))
    }
}
