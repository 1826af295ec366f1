//! MMRM from a [`Cohort`]: one instrument's patient × visit table, arms, baseline and
//! patient-level covariates turned into the long-format model `response ~ arm*visit +
//! baseline*visit (+ covariates)`.

use crate::Error;
use crate::data::Cohort;
use crate::outcome::refuse;
use crate::stats::mmrm::{
    CovarianceFit, CovarianceStructure, DfMethod, Estimation, LsMean, LsMeanWeights, MmrmData,
    MmrmFit, MmrmOptions, ModelSpec, mmrm,
};
use crate::stats::{ArmDifference, FTest};
use crate::{Outcome, RefusalReason};

/// What is modelled at each post-baseline visit.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Follow-up score minus the patient's baseline score (scale units, sign as on the scale).
    #[default]
    ChangeFromBaseline,
    /// The follow-up score itself (the baseline still enters as a covariate).
    Score,
}

/// A patient-level covariate taken from [`crate::domain::Patient`].
///
/// Age, BMI and severity grade enter as continuous covariates; sex and site as factors
/// (treatment coding, reference = first level in alphabetical order).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Covariate {
    /// Age in years (continuous).
    Age,
    /// Body-mass index, kg/m² (continuous).
    Bmi,
    /// Disease severity grade (continuous, one slope per grade).
    Severity,
    /// Sex (factor).
    Sex,
    /// Site (factor).
    Site,
}

impl Covariate {
    /// Name of the covariate in the model formula.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::Covariate;
    /// assert_eq!(Covariate::Bmi.name(), "bmi");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Covariate::Age => "age",
            Covariate::Bmi => "bmi",
            Covariate::Severity => "severity",
            Covariate::Sex => "sex",
            Covariate::Site => "site",
        }
    }

    fn is_factor(self) -> bool {
        matches!(self, Covariate::Sex | Covariate::Site)
    }
}

/// Patients left out of a cohort-level MMRM, by reason (each patient counted once, under the
/// first reason that applies, in the order of the fields).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Exclusions {
    /// Patients of the selected arms with no baseline score (no non-missing score on a
    /// day ≤ 0).
    pub no_baseline: usize,
    /// Patients missing at least one requested covariate.
    pub missing_covariate: usize,
    /// Per covariate: patients (with a baseline) missing it; a patient missing two covariates
    /// appears under both.
    pub missing_by_covariate: Vec<(String, usize)>,
    /// Patients with a baseline and covariates but no observed score at the selected visits.
    pub no_follow_up: usize,
}

impl Exclusions {
    /// Total number of patients left out.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = pain_outcomes::stats::mmrm::Exclusions { no_baseline: 2, no_follow_up: 1, ..Default::default() };
    /// assert_eq!(e.total(), 3);
    /// ```
    pub fn total(&self) -> usize {
        self.no_baseline + self.missing_covariate + self.no_follow_up
    }
}

/// A cohort-level MMRM: the fit, LS-means by arm × visit, each arm minus the reference arm at
/// each visit, Type III tests, and who was left out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CohortMmrm {
    /// Instrument code.
    pub instrument: String,
    /// Response modelled.
    pub response: Response,
    /// Reference arm of the differences.
    pub reference_arm: String,
    /// Arms in the model (cohort order).
    pub arms: Vec<String>,
    /// Post-baseline visits in the model (chronological).
    pub visits: Vec<String>,
    /// Covariates beyond arm, visit and baseline.
    pub covariates: Vec<Covariate>,
    /// Model formula (right-hand side).
    pub formula: String,
    /// Patients used, per arm.
    pub patients_per_arm: Vec<(String, usize)>,
    /// Patients left out, by reason.
    pub exclusions: Exclusions,
    /// The fitted model (coefficients, covariance parameters, fit statistics, certificate).
    pub fit: MmrmFit,
    /// LS-means of every arm × visit (arm fastest), covariates at their means.
    pub lsmeans: Vec<LsMean>,
    /// Each arm minus the reference arm at each visit.
    pub differences: Vec<Outcome<ArmDifference>>,
    /// Type III F tests of the model terms.
    pub type3: Vec<Outcome<FTest>>,
}

/// Builder of a cohort-level MMRM.
///
/// The model is `response ~ arm*visit + baseline*visit (+ covariates)` over the post-baseline
/// visits of [`Cohort::wide`]: baseline = the patient's last non-missing score on a day ≤ 0,
/// response = change from baseline (default) or the score. Patients without a baseline,
/// missing a requested covariate, or without any observed follow-up are left out and counted
/// in [`CohortMmrm::exclusions`]. Patients with missing visits contribute the visits they
/// have (valid under missing at random).
///
/// Defaults: all arms; reference arm `placebo` when present, else the first arm; all
/// post-baseline visits; no extra covariates; unstructured covariance, REML, Satterthwaite df,
/// 95 % intervals, equal LS-mean weights.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::mmrm::{CovarianceStructure, MmrmBuilder, Response};
/// let mut csv = String::from("patient_id,therapy,day,visit,instrument,score\n");
/// let scores = [
///     [7.0, 5.0, 4.0], [6.0, 5.0, 5.0], [8.0, 7.0, 5.0], [5.0, 4.0, 4.0], [7.0, 6.0, 6.0],
///     [6.0, 3.0, 2.0], [7.0, 4.0, 2.0], [8.0, 4.0, 4.0], [5.0, 3.0, 1.0], [6.0, 4.0, 3.0],
/// ];
/// for (i, s) in scores.iter().enumerate() {
///     let arm = if i < 5 { "placebo" } else { "prp" };
///     for (day, visit, score) in [(0, "baseline", s[0]), (42, "week_6", s[1]), (90, "month_3", s[2])] {
///         csv.push_str(&format!("P{i},{arm},{day},{visit},nrs,{score}\n"));
///     }
/// }
/// let cohort = pain_outcomes::data::read_csv_str(&csv, "mem.csv", &Default::default())?.cohort;
/// let result = MmrmBuilder::new(&cohort)
///     .instrument("nrs")
///     .response(Response::ChangeFromBaseline)
///     .reference_arm("placebo")
///     .covariance(CovarianceStructure::CompoundSymmetry)
///     .fit()?
///     .into_result()
///     .unwrap();
/// assert_eq!(result.visits, vec!["week_6".to_string(), "month_3".to_string()]);
/// assert_eq!(result.differences.len(), 2);
/// assert!(result.fit.certificate.hessian_positive_definite);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # Formula
///
/// `y_it = μ + α_a(i) + τ_t + (ατ)_a(i)t + (β + γ_t) b_i + δ'z_i + ε_it`, `ε_i ~ N(0, Σ)`,
/// with `b_i` the baseline and `z_i` the covariates; see [`mmrm`] for the likelihood.
///
/// # References
///
/// Mallinckrodt, C. H. et al. (2008). Recommendations for the primary analysis of continuous
/// endpoints in longitudinal clinical trials. *Drug Information Journal* 42, 303–319.
#[derive(Debug, Clone)]
pub struct MmrmBuilder<'c> {
    cohort: &'c Cohort,
    instrument: Option<String>,
    response: Response,
    arms: Option<Vec<String>>,
    reference_arm: Option<String>,
    visits: Option<Vec<String>>,
    covariates: Vec<Covariate>,
    options: MmrmOptions,
    weights: LsMeanWeights,
}

impl<'c> MmrmBuilder<'c> {
    /// Starts a model on `cohort` with the defaults above.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn new(cohort: &'c Cohort) -> Self {
        Self {
            cohort,
            instrument: None,
            response: Response::default(),
            arms: None,
            reference_arm: None,
            visits: None,
            covariates: Vec::new(),
            options: MmrmOptions::default(),
            weights: LsMeanWeights::Equal,
        }
    }

    /// The instrument (code, for example `nrs`); required.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn instrument(mut self, code: &str) -> Self {
        self.instrument = Some(code.to_string());
        self
    }

    /// Change from baseline (default) or score.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn response(mut self, response: Response) -> Self {
        self.response = response;
        self
    }

    /// Restricts the model to these arms (must include the reference arm).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn arms(mut self, arms: &[&str]) -> Self {
        self.arms = Some(arms.iter().map(|a| a.to_string()).collect());
        self
    }

    /// The arm every other arm is compared with.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn reference_arm(mut self, arm: &str) -> Self {
        self.reference_arm = Some(arm.to_string());
        self
    }

    /// Restricts the model to these post-baseline visits.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn visits(mut self, visits: &[&str]) -> Self {
        self.visits = Some(visits.iter().map(|v| v.to_string()).collect());
        self
    }

    /// Adds patient-level covariates (main effects).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn covariates(mut self, covariates: &[Covariate]) -> Self {
        self.covariates = covariates.to_vec();
        self
    }

    /// Within-patient covariance structure over the visits. The spatial exponential structure
    /// uses the visit positions `0, 1, 2, …` as coordinates here; for actual assessment days
    /// build an [`MmrmData`](super::MmrmData) with
    /// [`with_coordinates`](super::MmrmData::with_coordinates).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn covariance(mut self, covariance: CovarianceStructure) -> Self {
        self.options = self.options.with_covariance(covariance);
        self
    }

    /// REML (default) or ML.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn method(mut self, method: Estimation) -> Self {
        self.options = self.options.with_method(method);
        self
    }

    /// Degrees-of-freedom method.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn df(mut self, df: DfMethod) -> Self {
        self.options = self.options.with_df(df);
        self
    }

    /// How the covariance parameters are obtained (default: optimized to convergence;
    /// [`CovarianceFit::SasIterations`](CovarianceFit::SasIterations) reproduces SAS
    /// PROC MIXED's final iterate).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn covariance_fit(mut self, fit: CovarianceFit) -> Self {
        self.options = self.options.with_covariance_fit(fit);
        self
    }

    /// A separate covariance matrix per arm (SAS `group=arm`).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn covariance_per_arm(mut self) -> Self {
        self.options = self.options.with_group("arm");
        self
    }

    /// Confidence level of the intervals (default 0.95).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn confidence_level(mut self, level: f64) -> Self {
        self.options = self.options.with_confidence_level(level);
        self
    }

    /// LS-mean weights over factor covariates (default equal).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn lsmean_weights(mut self, weights: LsMeanWeights) -> Self {
        self.weights = weights;
        self
    }

    /// Builds the long-format data and fits the model.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the instrument is not set or absent from the cohort, an arm,
    /// the reference arm or a visit is unknown or repeated, the reference arm is not among
    /// the selected arms, a covariate is repeated, or an option is invalid (see [`mmrm`]).
    ///
    /// # Refusals
    ///
    /// `EmptyGroup` when an arm has no usable patient or a visit has no observation, plus the
    /// refusals of [`mmrm`] (singular design, non-convergence, …).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    ///
    /// # Formula
    ///
    /// See [`MmrmBuilder`].
    ///
    /// # References
    ///
    /// See [`MmrmBuilder`].
    pub fn fit(&self) -> crate::Result<Outcome<CohortMmrm>> {
        let instrument = self
            .instrument
            .as_deref()
            .ok_or_else(|| Error::invalid_argument("instrument", "no instrument was set"))?;
        let wide = self.cohort.wide(instrument)?;
        // Arms.
        let arms: Vec<String> = match &self.arms {
            Some(list) => {
                if list.is_empty() {
                    return Err(Error::invalid_argument("arms", "the list is empty"));
                }
                for (i, a) in list.iter().enumerate() {
                    if !wide.arms.contains(a) {
                        return Err(Error::invalid_argument(
                            "arms",
                            format!("no arm `{a}` (present: {})", wide.arms.join(", ")),
                        ));
                    }
                    if list[..i].contains(a) {
                        return Err(Error::invalid_argument(
                            "arms",
                            format!("`{a}` is listed twice"),
                        ));
                    }
                }
                wide.arms
                    .iter()
                    .filter(|a| list.contains(a))
                    .cloned()
                    .collect()
            }
            None => wide.arms.clone(),
        };
        let reference_arm = match &self.reference_arm {
            Some(r) => {
                if !arms.contains(r) {
                    return Err(Error::invalid_argument(
                        "reference_arm",
                        format!(
                            "`{r}` is not among the arms of the model ({})",
                            arms.join(", ")
                        ),
                    ));
                }
                r.clone()
            }
            None if arms.iter().any(|a| a == "placebo") => "placebo".to_string(),
            None => arms.first().cloned().unwrap_or_default(),
        };
        // arm index of the wide table → model arm code
        let arm_code: Vec<Option<usize>> = wide
            .arms
            .iter()
            .map(|a| arms.iter().position(|b| b == a))
            .collect();
        // Visits.
        let visit_columns: Vec<usize> = match &self.visits {
            Some(list) => {
                if list.is_empty() {
                    return Err(Error::invalid_argument("visits", "the list is empty"));
                }
                for (i, v) in list.iter().enumerate() {
                    if !wide.visits.contains(v) {
                        return Err(Error::invalid_argument(
                            "visits",
                            format!(
                                "no post-baseline visit `{v}` on `{instrument}` (present: {})",
                                wide.visits.join(", ")
                            ),
                        ));
                    }
                    if list[..i].contains(v) {
                        return Err(Error::invalid_argument(
                            "visits",
                            format!("`{v}` is listed twice"),
                        ));
                    }
                }
                (0..wide.n_visits())
                    .filter(|&c| list.contains(&wide.visits[c]))
                    .collect()
            }
            None => (0..wide.n_visits()).collect(),
        };
        if visit_columns.is_empty() {
            return Ok(refuse(
                RefusalReason::EmptyGroup,
                format!("`{instrument}` has no post-baseline visit"),
            ));
        }
        let visit_labels: Vec<String> = visit_columns
            .iter()
            .map(|&c| wide.visits[c].clone())
            .collect();
        for (i, c) in self.covariates.iter().enumerate() {
            if self.covariates[..i].contains(c) {
                return Err(Error::invalid_argument(
                    "covariates",
                    format!("`{}` is listed twice", c.name()),
                ));
            }
        }
        // Long format.
        let patients = self.cohort.patients();
        let mut exclusions = Exclusions {
            missing_by_covariate: self
                .covariates
                .iter()
                .map(|c| (c.name().to_string(), 0))
                .collect(),
            ..Default::default()
        };
        let mut subject = Vec::new();
        let mut visit = Vec::new();
        let mut y = Vec::new();
        let mut arm = Vec::new();
        let mut baseline = Vec::new();
        let mut numeric: Vec<Vec<f64>> = vec![Vec::new(); self.covariates.len()];
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); self.covariates.len()];
        let mut per_arm = vec![0usize; arms.len()];
        let mut n_subjects = 0usize;
        for row in 0..wide.n_patients() {
            let Some(a) = wide
                .arm
                .get(row)
                .and_then(|&a| arm_code.get(a as usize).copied().flatten())
            else {
                continue;
            };
            let Some(b) = wide.baseline.get(row).copied().flatten() else {
                exclusions.no_baseline += 1;
                continue;
            };
            let patient = wide.patients.get(row).and_then(|&p| patients.get(p));
            let values: Vec<Option<(f64, String)>> = self
                .covariates
                .iter()
                .map(|c| {
                    let p = patient?;
                    match c {
                        Covariate::Age => p.age.map(|x| (x, String::new())),
                        Covariate::Bmi => p.bmi.map(|x| (x, String::new())),
                        Covariate::Severity => p.severity.map(|x| (f64::from(x), String::new())),
                        Covariate::Sex => p.sex.map(|s| (0.0, s.to_string())),
                        Covariate::Site => p.site.clone().map(|s| (0.0, s)),
                    }
                })
                .collect();
            if values.iter().any(Option::is_none) {
                exclusions.missing_covariate += 1;
                for (k, v) in values.iter().enumerate() {
                    if let (None, Some(e)) = (v, exclusions.missing_by_covariate.get_mut(k)) {
                        e.1 += 1;
                    }
                }
                continue;
            }
            let observed: Vec<(usize, f64)> = visit_columns
                .iter()
                .enumerate()
                .filter_map(|(k, &c)| {
                    let v = match self.response {
                        Response::ChangeFromBaseline => wide.change(row, c),
                        Response::Score => wide.score(row, c),
                    }?;
                    Some((k, v))
                })
                .collect();
            if observed.is_empty() {
                exclusions.no_follow_up += 1;
                continue;
            }
            for (k, v) in observed {
                subject.push(n_subjects);
                visit.push(k);
                y.push(v);
                arm.push(a);
                baseline.push(b);
                for (j, val) in values.iter().enumerate() {
                    if let Some((x, s)) = val {
                        numeric[j].push(*x);
                        labels[j].push(s.clone());
                    }
                }
            }
            per_arm[a] += 1;
            n_subjects += 1;
        }
        if let Some(a) = per_arm.iter().position(|&n| n == 0) {
            return Ok(refuse(
                RefusalReason::EmptyGroup,
                format!(
                    "arm `{}` has no patient with a baseline and a follow-up score on `{instrument}`",
                    arms[a]
                ),
            ));
        }
        let mut per_visit = vec![0usize; visit_labels.len()];
        for &k in &visit {
            per_visit[k] += 1;
        }
        if let Some(k) = per_visit.iter().position(|&n| n == 0) {
            return Ok(refuse(
                RefusalReason::EmptyGroup,
                format!(
                    "visit `{}` has no observed `{instrument}` score among the patients used",
                    visit_labels[k]
                ),
            ));
        }
        // Factor covariates: codes into their sorted levels.
        let mut factor_codes: Vec<(Vec<usize>, Vec<String>)> = Vec::new();
        for (j, c) in self.covariates.iter().enumerate() {
            if !c.is_factor() {
                factor_codes.push((Vec::new(), Vec::new()));
                continue;
            }
            let mut levels = labels[j].clone();
            levels.sort();
            levels.dedup();
            if levels.len() < 2 {
                return Ok(refuse(
                    RefusalReason::SingularDesign,
                    format!(
                        "covariate `{}` takes a single value among the patients used",
                        c.name()
                    ),
                ));
            }
            let codes = labels[j]
                .iter()
                .map(|s| levels.binary_search(s).unwrap_or(0))
                .collect();
            factor_codes.push((codes, levels));
        }
        let mut data = MmrmData::new(&subject, &visit, &y, visit_labels.clone())?
            .with_factor("arm", &arm, arms.clone(), &reference_arm)?
            .with_covariate("baseline", &baseline)?;
        for (j, c) in self.covariates.iter().enumerate() {
            data = match (&factor_codes[j], c.is_factor()) {
                ((codes, levels), true) => {
                    let reference = levels.first().cloned().unwrap_or_default();
                    data.with_factor(c.name(), codes, levels.clone(), &reference)?
                }
                _ => data.with_covariate(c.name(), &numeric[j])?,
            };
        }
        let mut formula = if visit_labels.len() > 1 {
            "arm*visit + baseline*visit".to_string()
        } else {
            "arm + baseline".to_string()
        };
        for c in &self.covariates {
            formula.push_str(" + ");
            formula.push_str(c.name());
        }
        let spec = ModelSpec::parse(&formula)?;
        let fit = match mmrm(&data, &spec, &self.options)? {
            Outcome::Computed(f) => f,
            Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
        };
        let by: &[&str] = if visit_labels.len() > 1 {
            &["arm", "visit"]
        } else {
            &["arm"]
        };
        let lsmeans = fit.lsmeans(by, self.weights)?;
        let differences = if visit_labels.len() > 1 {
            fit.arm_differences("arm", self.weights)?
        } else {
            single_visit_differences(&fit, &lsmeans, &arms, &reference_arm, &visit_labels)?
        };
        let type3 = fit.type3()?;
        Ok(Outcome::Computed(CohortMmrm {
            instrument: wide.instrument.code.clone(),
            response: self.response,
            reference_arm,
            patients_per_arm: arms.iter().cloned().zip(per_arm).collect(),
            arms,
            visits: visit_labels,
            covariates: self.covariates.clone(),
            formula,
            exclusions,
            fit,
            lsmeans,
            differences,
            type3,
        }))
    }
}

/// With one visit the model has no visit factor; differences are arm contrasts.
fn single_visit_differences(
    fit: &MmrmFit,
    _lsmeans: &[LsMean],
    arms: &[String],
    reference: &str,
    visits: &[String],
) -> crate::Result<Vec<Outcome<ArmDifference>>> {
    let visit = visits.first().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for a in arms.iter().filter(|a| a.as_str() != reference) {
        let name = format!("arm{a}");
        let mut c = vec![0.0; fit.coefficients.len()];
        if let Some(j) = fit.coefficients.iter().position(|k| k.label == name) {
            c[j] = 1.0;
        }
        let e = fit.contrast(&c, &format!("{a} - {reference} at {visit}"))?;
        out.push(e.map(|difference| ArmDifference {
            arm: a.clone(),
            reference: reference.to_string(),
            visit: Some(visit.clone()),
            difference,
        }));
    }
    Ok(out)
}
