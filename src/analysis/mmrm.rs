//! MMRM from a [`Cohort`]: one instrument's patient × visit table, arms, baseline and
//! patient-level covariates turned into the long-format model `response ~ arm*visit +
//! baseline*visit (+ covariates)`.

use super::arms::{Attrition, ExclusionReason, reference_arm};
use super::covariates::{Covariate, check_covariates, formula_covariates};
use crate::Error;
use crate::data::{Cohort, WideTable, find_name, same_name};
use crate::domain::Patient;
use crate::outcome::refuse;
use crate::stats::formula::same_term;
use crate::stats::mmrm::{
    CovarianceFit, CovarianceStructure, DfMethod, Estimation, LsMean, LsMeanWeights, MmrmData,
    MmrmFit, MmrmOptions, ModelSpec, mmrm,
};
use crate::stats::{ArmDifference, Estimate, FTest};
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

/// A cohort-level MMRM: the fit, LS-means by arm × visit, each arm minus the reference arm at
/// each visit, Type III tests, and who was left out.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// Patients used and left out, by arm and reason (each patient once, under the first
    /// reason that applies: no baseline, a missing covariate, no follow-up).
    pub attrition: Attrition,
    /// The fitted model (coefficients, covariance parameters, fit statistics, certificate).
    pub fit: MmrmFit,
    /// LS-means of every arm × visit (arm fastest), covariates at their means.
    pub lsmeans: Vec<LsMean>,
    /// Each arm minus the reference arm at each visit.
    pub differences: Vec<Outcome<ArmDifference>>,
    /// Type III F tests of the model terms.
    pub type3: Vec<Outcome<FTest>>,
    /// Weights of the LS-means over the other factors.
    pub lsmean_weights: LsMeanWeights,
}

impl CohortMmrm {
    /// Patients used, per arm.
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn patients_per_arm(&self) -> Vec<(String, usize)> {
        self.attrition
            .arms
            .iter()
            .map(|a| (a.arm.clone(), a.analysed))
            .collect()
    }

    /// The LS-mean of `arm` at `visit` (`None` when the model has no such cell).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn lsmean(&self, arm: &str, visit: &str) -> Option<&Outcome<Estimate>> {
        let has = |l: &LsMean, factor: &str, level: &str| {
            l.cell
                .iter()
                .any(|(f, v)| f == factor && same_name(v, level))
        };
        self.lsmeans
            .iter()
            .find(|l| has(l, "arm", arm) && (has(l, "visit", visit) || self.visits.len() == 1))
            .map(|l| &l.estimate)
    }

    /// The difference of `arm` from the reference arm at `visit` (`None` when there is no
    /// such difference; a refused one is returned as its refusal).
    ///
    /// # Examples
    ///
    /// See [`MmrmBuilder`].
    pub fn difference(&self, arm: &str, visit: &str) -> Option<&Outcome<ArmDifference>> {
        let label = format!("{arm} - {} at {visit}", self.reference_arm);
        self.differences.iter().find(|d| match d {
            Outcome::Computed(d) => {
                same_name(&d.arm, arm) && d.visit.as_deref().is_some_and(|v| same_name(v, visit))
            }
            Outcome::Refused(r) => r.detail.contains(&label),
        })
    }
}

impl CohortMmrm {
    /// The Type III F test of model term `term` (`arm:sex` or `sex:arm`; `None` when the model
    /// has no such term; a refused test is returned as its refusal).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::MmrmBuilder;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let m = MmrmBuilder::new(&cohort)
    ///     .instrument("nrs")
    ///     .formula("arm*visit + baseline*visit + sex + arm:sex")
    ///     .fit()?
    ///     .into_result()?;
    /// let f = m.type3_test("sex:arm").unwrap().as_ref().into_result()?;
    /// assert_eq!(f.df_numerator, 5.0); // six arms, two sexes
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn type3_test(&self, term: &str) -> Option<&Outcome<FTest>> {
        self.type3.iter().find(|t| match t {
            Outcome::Computed(f) => same_term(&f.label, term),
            Outcome::Refused(r) => r
                .detail
                .strip_prefix("term `")
                .and_then(|d| d.split('`').next())
                .is_some_and(|name| same_term(name, term)),
        })
    }
}

/// Builder of a cohort-level MMRM.
///
/// The model is `response ~ arm*visit + baseline*visit (+ covariates)` over the post-baseline
/// visits of [`Cohort::wide`]: baseline = the patient's last non-missing score on a day ≤ 0,
/// response = change from baseline (default) or the score. Patients without a baseline,
/// missing a requested covariate, or without any observed follow-up are left out and counted
/// in [`CohortMmrm::attrition`]. Patients with missing visits contribute the visits they
/// have (valid under missing at random).
///
/// Defaults: all arms; reference arm `placebo` when present, else the first arm; all
/// post-baseline visits; no extra covariates; unstructured covariance, REML, Satterthwaite df,
/// 95 % intervals, equal LS-mean weights.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{MmrmBuilder, Response};
/// use pain_outcomes::stats::mmrm::CovarianceStructure;
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
    formula: Option<String>,
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
            formula: None,
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

    /// The model's right-hand side, instead of the default `arm*visit + baseline*visit (+
    /// covariates)`: any terms and interactions (`:`, `*`) of `arm`, `visit`, `baseline`, the
    /// contract covariates (`age`, `bmi`, `severity`, `sex`, `site`) and the user's own
    /// columns, e.g. `"arm*visit + baseline*visit + age + smoker + arm:sex"`. The model must be
    /// hierarchical (an interaction's lower-order terms present) and hold `arm` and `visit`
    /// (with one visit, `arm`). Factors are treatment-coded with the first level in sort order
    /// as reference (the reference arm for `arm`, the first visit for `visit`), as R's
    /// `model.matrix`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::MmrmBuilder;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let m = MmrmBuilder::new(&cohort)
    ///     .instrument("nrs")
    ///     .formula("arm*visit + baseline*visit + sex + arm:sex")
    ///     .fit()?
    ///     .into_result()?;
    /// assert!(m.fit.coefficient("armprp:sexmale").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn formula(mut self, rhs: &str) -> Self {
        self.formula = Some(rhs.to_string());
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
    /// build an [`MmrmData`](crate::stats::mmrm::MmrmData) with
    /// [`with_coordinates`](crate::stats::mmrm::MmrmData::with_coordinates).
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
        let arms = self.selected_arms(&wide)?;
        let reference_arm = reference_arm(&arms, self.reference_arm.as_deref())?;
        let visit_columns = self.selected_visits(&wide, instrument)?;
        if visit_columns.is_empty() {
            return Ok(refuse(
                RefusalReason::EmptyGroup,
                format!("`{instrument}` has no post-baseline visit"),
            ));
        }
        let resolved;
        let this = match &self.formula {
            Some(rhs) => {
                resolved = self.with_formula_covariates(rhs, visit_columns.len())?;
                &resolved
            }
            None => self,
        };
        this.fit_model(&wide, &arms, &reference_arm, &visit_columns, instrument)
    }

    /// The builder with the covariates the formula `rhs` names (an error when covariates were
    /// also set, or when the formula lacks `arm`, or `visit` with more than one visit).
    fn with_formula_covariates(
        &self,
        rhs: &str,
        n_visits: usize,
    ) -> crate::Result<MmrmBuilder<'c>> {
        if !self.covariates.is_empty() {
            return Err(Error::invalid_argument(
                "formula",
                "name the covariates in the formula, not also with `covariates`",
            ));
        }
        let required: &[&str] = if n_visits > 1 {
            &["arm", "visit"]
        } else {
            &["arm"]
        };
        let (_, covariates) = formula_covariates(rhs, required, &["arm", "visit", "baseline"])?;
        Ok(MmrmBuilder {
            covariates,
            ..self.clone()
        })
    }

    /// The fit once the arms, reference arm and visits are chosen.
    fn fit_model(
        &self,
        wide: &WideTable,
        arms: &[String],
        reference_arm: &str,
        visit_columns: &[usize],
        instrument: &str,
    ) -> crate::Result<Outcome<CohortMmrm>> {
        let visit_labels: Vec<String> = visit_columns
            .iter()
            .map(|&c| wide.visits[c].clone())
            .collect();
        let (arms, reference_arm) = (arms.to_vec(), reference_arm.to_string());
        check_covariates(&self.covariates, self.cohort.patients())?;
        let long = self.long_format(wide, &arms, visit_columns);
        if let Some(refusal) = long.empty_cell(&visit_labels, instrument) {
            return Ok(refusal);
        }
        let factors = match self.factor_codes(&long) {
            Outcome::Computed(f) => f,
            Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
        };
        let data = self.model_data(&long, &factors, &arms, &reference_arm, &visit_labels)?;
        let formula = match &self.formula {
            Some(rhs) => rhs.clone(),
            None => self.default_formula(visit_labels.len()),
        };
        let fit = match mmrm(&data, &ModelSpec::parse(&formula)?, &self.options)? {
            Outcome::Computed(f) => f,
            Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
        };
        // with one visit the visit factor has a single level: the same LS-means and
        // differences (averaged over the other factors, so right with arm interactions too)
        let lsmeans = fit.lsmeans(&["arm", "visit"], self.weights)?;
        let differences = fit.arm_differences("arm", self.weights)?;
        let type3 = fit.type3()?;
        Ok(Outcome::Computed(CohortMmrm {
            instrument: wide.instrument.code.clone(),
            response: self.response,
            reference_arm,
            arms,
            visits: visit_labels,
            covariates: self.covariates.clone(),
            formula,
            attrition: long.attrition,
            fit,
            lsmeans,
            differences,
            type3,
            lsmean_weights: self.weights,
        }))
    }

    /// The arms of the model, in the cohort's order.
    fn selected_arms(&self, wide: &WideTable) -> crate::Result<Vec<String>> {
        let Some(list) = &self.arms else {
            return Ok(wide.arms.clone());
        };
        if list.is_empty() {
            return Err(Error::invalid_argument("arms", "the list is empty"));
        }
        let mut chosen = vec![false; wide.arms.len()];
        for a in list {
            let k = find_name("arm", a, &wide.arms)?;
            if std::mem::replace(&mut chosen[k], true) {
                return Err(Error::invalid_argument(
                    "arms",
                    format!("`{a}` is listed twice"),
                ));
            }
        }
        Ok(wide
            .arms
            .iter()
            .zip(chosen)
            .filter(|(_, c)| *c)
            .map(|(a, _)| a.clone())
            .collect())
    }

    /// The columns of `wide` of the model's visits, in chronological order.
    fn selected_visits(&self, wide: &WideTable, instrument: &str) -> crate::Result<Vec<usize>> {
        let Some(list) = &self.visits else {
            return Ok((0..wide.n_visits()).collect());
        };
        if list.is_empty() {
            return Err(Error::invalid_argument("visits", "the list is empty"));
        }
        let mut chosen = vec![false; wide.n_visits()];
        for v in list {
            let k = find_name("visit", v, &wide.visits).map_err(|_| {
                Error::invalid_argument(
                    "visits",
                    format!(
                        "no post-baseline visit `{v}` on `{instrument}` (present: {})",
                        wide.visits.join(", ")
                    ),
                )
            })?;
            if std::mem::replace(&mut chosen[k], true) {
                return Err(Error::invalid_argument(
                    "visits",
                    format!("`{v}` is listed twice"),
                ));
            }
        }
        Ok((0..wide.n_visits()).filter(|&c| chosen[c]).collect())
    }

    /// The covariate values of a patient (`(number, label)`: label for factors), `None` where
    /// missing.
    fn covariate_values(&self, patient: Option<&Patient>) -> Vec<Option<(f64, String)>> {
        self.covariates.iter().map(|c| c.value(patient?)).collect()
    }

    /// The long-format rows of the patients used, and who was left out and why.
    fn long_format(&self, wide: &WideTable, arms: &[String], visit_columns: &[usize]) -> Long {
        let patients = self.cohort.patients();
        let mut long = Long {
            attrition: Attrition::new(arms),
            numeric: vec![Vec::new(); self.covariates.len()],
            labels: vec![Vec::new(); self.covariates.len()],
            ..Long::default()
        };
        for row in 0..wide.n_patients() {
            let Some(a) = wide.arm.get(row).and_then(|&w| {
                arms.iter()
                    .position(|x| Some(x) == wide.arms.get(w as usize))
            }) else {
                continue;
            };
            let Some(b) = wide.baseline.get(row).copied().flatten() else {
                long.attrition.exclude(a, ExclusionReason::NoBaseline);
                continue;
            };
            let patient = wide.patients.get(row).and_then(|&p| patients.get(p));
            let values = self.covariate_values(patient);
            if values.iter().any(Option::is_none) {
                long.attrition.exclude(a, ExclusionReason::MissingCovariate);
                for (c, _) in self
                    .covariates
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| v.is_none())
                {
                    long.attrition.missing_covariate(c.name());
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
                long.attrition.exclude(a, ExclusionReason::NoFollowUp);
                continue;
            }
            let subject = long.attrition.total_analysed();
            for (k, v) in observed {
                long.subject.push(subject);
                long.visit.push(k);
                long.y.push(v);
                long.arm.push(a);
                long.baseline.push(b);
                for (j, (x, s)) in values.iter().flatten().enumerate() {
                    long.numeric[j].push(*x);
                    long.labels[j].push(s.clone());
                }
            }
            long.attrition.analysed(a);
        }
        long
    }

    /// The factor covariates coded into their sorted levels (the first is the reference);
    /// empty for numeric covariates. Refuses a factor with a single level.
    fn factor_codes(&self, long: &Long) -> Outcome<Vec<(Vec<usize>, Vec<String>)>> {
        let mut out = Vec::with_capacity(self.covariates.len());
        for (j, c) in self.covariates.iter().enumerate() {
            if !c.is_factor(self.cohort.patients()) {
                out.push((Vec::new(), Vec::new()));
                continue;
            }
            let mut levels = long.labels[j].clone();
            levels.sort();
            levels.dedup();
            if levels.len() < 2 {
                return refuse(
                    RefusalReason::SingularDesign,
                    format!(
                        "covariate `{}` takes a single value among the patients used",
                        c.name()
                    ),
                );
            }
            let codes = long.labels[j]
                .iter()
                .map(|s| levels.binary_search(s).unwrap_or(0))
                .collect();
            out.push((codes, levels));
        }
        Outcome::Computed(out)
    }

    /// The model data: arm and visit factors, baseline and the covariates.
    fn model_data<'a>(
        &self,
        long: &'a Long,
        factors: &'a [(Vec<usize>, Vec<String>)],
        arms: &[String],
        reference_arm: &str,
        visit_labels: &[String],
    ) -> crate::Result<MmrmData<'a>> {
        let mut data = MmrmData::new(&long.subject, &long.visit, &long.y, visit_labels.to_vec())?
            .with_factor("arm", &long.arm, arms.to_vec(), reference_arm)?
            .with_covariate("baseline", &long.baseline)?;
        for (j, c) in self.covariates.iter().enumerate() {
            data = match (&factors[j], c.is_factor(self.cohort.patients())) {
                ((codes, levels), true) => {
                    let reference = levels.first().cloned().unwrap_or_default();
                    data.with_factor(c.name(), codes, levels.clone(), &reference)?
                }
                _ => data.with_covariate(c.name(), &long.numeric[j])?,
            };
        }
        Ok(data)
    }

    /// The default right-hand side of the model formula.
    fn default_formula(&self, n_visits: usize) -> String {
        let mut formula = if n_visits > 1 {
            "arm*visit + baseline*visit".to_string()
        } else {
            "arm + baseline".to_string()
        };
        for c in &self.covariates {
            formula.push_str(" + ");
            formula.push_str(c.name());
        }
        formula
    }
}

/// The long-format rows of a cohort-level MMRM.
#[derive(Default)]
struct Long {
    subject: Vec<usize>,
    visit: Vec<usize>,
    y: Vec<f64>,
    arm: Vec<usize>,
    baseline: Vec<f64>,
    numeric: Vec<Vec<f64>>,
    labels: Vec<Vec<String>>,
    attrition: Attrition,
}

impl Long {
    /// The refusal when an arm has no patient or a visit no observation.
    fn empty_cell<T>(&self, visits: &[String], instrument: &str) -> Option<Outcome<T>> {
        if let Some(a) = self.attrition.arms.iter().find(|a| a.analysed == 0) {
            return Some(refuse(
                RefusalReason::EmptyGroup,
                format!(
                    "arm `{}` has no patient with a baseline and a follow-up score on `{instrument}`",
                    a.arm
                ),
            ));
        }
        let mut per_visit = vec![0usize; visits.len()];
        for &k in &self.visit {
            per_visit[k] += 1;
        }
        let k = per_visit.iter().position(|&n| n == 0)?;
        Some(refuse(
            RefusalReason::EmptyGroup,
            format!(
                "visit `{}` has no observed `{instrument}` score among the patients used",
                visits[k]
            ),
        ))
    }
}
