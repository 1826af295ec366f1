//! ANCOVA of the score at one visit: on arm and baseline score ([`ancova_at_visit`]), or with
//! the researcher's own model formula ([`AncovaBuilder`]).

use super::arms::{Attrition, ExclusionReason, reference_arm};
use super::covariates::Covariate;
use super::mmrm::{CohortMmrm, MmrmBuilder, Response};
use crate::data::{Cohort, WideTable, find_name, same_name};
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::stats::ArmDifference;
use crate::stats::ancova::{Ancova, AncovaOptions, ancova};
use crate::stats::formula::same_term;
use crate::stats::{Estimate, FTest};
use crate::{Outcome, RefusalReason};

/// An ANCOVA of the score at one visit, with the patients it could not use.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AncovaAtVisit {
    /// Visit label.
    pub visit: String,
    /// Reference arm of the differences.
    pub reference_arm: String,
    /// Patients analysed (a baseline and a score at the visit) and left out (complete cases),
    /// per arm.
    pub attrition: Attrition,
    /// The model `score ~ arm + baseline`.
    pub ancova: Outcome<Ancova>,
}

/// ANCOVA of the score at visit `visit` on arm and baseline score, complete cases, against the
/// reference arm of [`reference_arm`] (`options.reference_arm`, else the default rule).
///
/// # Errors
///
/// [`Error::InvalidArgument`] for a visit index out of range or an unknown reference arm.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// use pain_outcomes::stats::ancova::AncovaOptions;
/// use pain_outcomes::analysis::ancova_at_visit;
/// let mut csv = String::from("patient_id,therapy,day,instrument,score\n");
/// for (i, (arm, b, f)) in [("prp", 7, 3), ("prp", 6, 3), ("prp", 8, 5), ("placebo", 7, 6),
///     ("placebo", 6, 6), ("placebo", 8, 6)].iter().enumerate() {
///     csv += &format!("P{i},{arm},0,nrs,{b}\nP{i},{arm},90,nrs,{f}\n");
/// }
/// let wide = read_csv_str(&csv, "m.csv", &Default::default())?.cohort.wide("nrs")?;
/// let a = ancova_at_visit(&wide, 0, &AncovaOptions::default().with_reference_arm("placebo"))?;
/// assert_eq!(a.attrition.total_analysed(), 6);
/// assert!(a.difference("prp").unwrap().difference.estimate < 0.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn ancova_at_visit(
    table: &WideTable,
    visit: usize,
    options: &AncovaOptions,
) -> Result<AncovaAtVisit> {
    let Some(label) = table.visits.get(visit) else {
        return Err(Error::invalid_argument(
            "visit",
            format!(
                "index {visit} but the table has {} visits",
                table.n_visits()
            ),
        ));
    };
    let reference = reference_arm(&table.arms, options.reference_arm.as_deref())?;
    let options = options.clone().with_reference_arm(reference.clone());
    let mut attrition = Attrition::new(&table.arms);
    let mut y = Vec::new();
    let mut b = Vec::new();
    let mut arms = Vec::new();
    for row in 0..table.n_patients() {
        let a = table.arm[row] as usize;
        match (table.score(row, visit), table.baseline[row]) {
            (_, None) => attrition.exclude(a, ExclusionReason::NoBaseline),
            (None, Some(_)) => attrition.exclude(a, ExclusionReason::NoFollowUp),
            (Some(s), Some(base)) => {
                attrition.analysed(a);
                y.push(s);
                b.push(base);
                arms.push(table.arms.get(a).cloned().unwrap_or_default());
            }
        }
    }
    let fit = if y.is_empty() {
        refuse(
            RefusalReason::EmptyGroup,
            format!("no patient has a baseline and a score at {label}"),
        )
    } else {
        ancova(&y, &b, &arms, &[], &options)?
    };
    Ok(AncovaAtVisit {
        visit: label.clone(),
        reference_arm: reference,
        attrition,
        ancova: fit,
    })
}

impl AncovaAtVisit {
    /// The adjusted difference of `arm` from the reference arm (`None` for the reference arm,
    /// an unknown arm, or a refused model).
    pub fn difference(&self, arm: &str) -> Option<&ArmDifference> {
        self.ancova
            .computed()?
            .differences
            .iter()
            .find(|d| same_name(&d.arm, arm))
    }
}

/// Builder of an ANCOVA of the score at one visit with the researcher's own model: any
/// covariates (the contract's and the user's own columns) and interactions, e.g.
/// `"arm + baseline + age + symptom_months + arm:sex"`.
///
/// Defaults: the last post-baseline visit, the score as response, the model `arm + baseline`
/// (plus the covariates given with [`AncovaBuilder::covariates`]), every arm, the reference arm
/// of [`reference_arm`], 95 % intervals, complete cases (a baseline, the score at the visit and
/// every covariate).
///
/// The model is the linear model `score = Xβ + ε`, `ε ~ N(0, σ²I)`, fitted as the one-visit
/// case of the cohort MMRM (with one visit the marginal model is ordinary least squares, REML
/// gives `σ̂² = RSS / (n − p)` and the Satterthwaite df is exactly `n − p`), so it shares the
/// MMRM's formula grammar, LS-means (equal weights over the other factors, covariates at their
/// means, as `emmeans`) and Type III tests. Factors are treatment-coded with the reference arm
/// and the first level in sort order as references, as R's `model.matrix`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::AncovaBuilder;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let a = AncovaBuilder::new(&cohort)
///     .instrument("nrs")
///     .visit("month_12")
///     .formula("arm*sex + baseline + age")
///     .fit()?
///     .into_result()?;
/// let d = a.difference("prp").unwrap().as_ref().into_result()?;
/// assert_eq!(d.reference, "placebo");
/// assert!(a.type3_test("arm:sex").is_some());
/// println!("{a}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// Senn, S. (2006). Change from baseline and analysis of covariance revisited. *Statistics in
/// Medicine* 25, 4334–4344. Searle, S. R., Speed, F. M. & Milliken, G. A. (1980). Population
/// marginal means in the linear model. *The American Statistician* 34, 216–221.
#[derive(Debug, Clone)]
pub struct AncovaBuilder<'c> {
    cohort: &'c Cohort,
    instrument: Option<String>,
    visit: Option<String>,
    /// The one-visit MMRM that the settings go to (its default model with one visit is
    /// `arm + baseline` plus the covariates).
    model: MmrmBuilder<'c>,
}

impl<'c> AncovaBuilder<'c> {
    /// Starts a model on `cohort` with the defaults above.
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn new(cohort: &'c Cohort) -> Self {
        Self {
            cohort,
            instrument: None,
            visit: None,
            model: MmrmBuilder::new(cohort).response(Response::Score),
        }
    }

    /// The instrument (code, for example `nrs`); required.
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn instrument(mut self, code: &str) -> Self {
        self.instrument = Some(code.to_string());
        self.model = self.model.instrument(code);
        self
    }

    /// The post-baseline visit whose score is analysed (default the last).
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn visit(mut self, visit: &str) -> Self {
        self.visit = Some(visit.to_string());
        self
    }

    /// Restricts the model to these arms (must include the reference arm).
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn arms(mut self, arms: &[&str]) -> Self {
        self.model = self.model.arms(arms);
        self
    }

    /// The arm every other arm is compared with.
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn reference_arm(mut self, arm: &str) -> Self {
        self.model = self.model.reference_arm(arm);
        self
    }

    /// The model's right-hand side: terms and interactions of `arm`, `baseline`, the contract
    /// covariates and the user's own columns; it must hold `arm` and be hierarchical.
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn formula(mut self, rhs: &str) -> Self {
        self.model = self.model.formula(rhs);
        self
    }

    /// Adds covariates as main effects to the default model `arm + baseline`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{AncovaBuilder, Covariate};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let a = AncovaBuilder::new(&cohort).instrument("nrs")
    ///     .covariates(&[Covariate::Age, Covariate::Sex]).fit()?.into_result()?;
    /// assert_eq!(a.model.formula, "arm + baseline + age + sex");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn covariates(mut self, covariates: &[Covariate]) -> Self {
        self.model = self.model.covariates(covariates);
        self
    }

    /// Confidence level of the intervals (default 0.95).
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn confidence_level(mut self, level: f64) -> Self {
        self.model = self.model.confidence_level(level);
        self
    }

    /// Fits the model.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the instrument is not set or unknown, the visit, an arm or the
    /// reference arm is unknown, the formula is malformed, lacks `arm` or names a column the
    /// data lacks (the error lists what exists), or a covariate is given both ways.
    ///
    /// # Refusals
    ///
    /// `EmptyGroup` when an arm has no complete case; a singular design (a factor with one
    /// level among the patients used, an interaction cell with no patient).
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn fit(&self) -> Result<Outcome<CohortAncova>> {
        let instrument = self
            .instrument
            .as_deref()
            .ok_or_else(|| Error::invalid_argument("instrument", "no instrument was set"))?;
        let wide = self.cohort.wide(instrument)?;
        let visit = match &self.visit {
            Some(v) => {
                let k = find_name("visit", v, &wide.visits)?;
                wide.visits[k].clone()
            }
            None => match wide.visits.last() {
                Some(v) => v.clone(),
                None => {
                    return Ok(refuse(
                        RefusalReason::EmptyGroup,
                        format!("`{instrument}` has no post-baseline visit"),
                    ));
                }
            },
        };
        let model = self.model.clone().visits(&[visit.as_str()]).fit()?;
        Ok(model.map(|model| CohortAncova { visit, model }))
    }
}

/// An ANCOVA of the score at one visit fitted by [`AncovaBuilder`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CohortAncova {
    /// The visit analysed.
    pub visit: String,
    /// The fitted linear model (formula, attrition, coefficients, LS-means per arm,
    /// differences from the reference arm, Type III tests), as a one-visit MMRM.
    pub model: CohortMmrm,
}

impl CohortAncova {
    /// The difference of `arm` from the reference arm (`None` for the reference arm or an
    /// unknown arm; a refused difference is returned as its refusal).
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn difference(&self, arm: &str) -> Option<&Outcome<ArmDifference>> {
        self.model.difference(arm, &self.visit)
    }

    /// The LS-mean of `arm` at the visit.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::AncovaBuilder;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let a = AncovaBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
    /// let m = a.lsmean("placebo").unwrap().as_ref().into_result()?;
    /// assert!(m.estimate > 0.0 && m.estimate <= 10.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lsmean(&self, arm: &str) -> Option<&Outcome<Estimate>> {
        self.model.lsmean(arm, &self.visit)
    }

    /// The coefficient named as R names it (`(Intercept)`, `armprp`, `baseline`,
    /// `armprp:sexmale`, in any order of an interaction's variables).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::AncovaBuilder;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let a = AncovaBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
    /// assert!(a.coefficient("baseline").unwrap().estimate > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn coefficient(&self, name: &str) -> Option<&Estimate> {
        self.model
            .fit
            .coefficients
            .iter()
            .find(|c| same_term(&c.label, name))
    }

    /// The Type III F test of model term `term`.
    ///
    /// # Examples
    ///
    /// See [`AncovaBuilder`].
    pub fn type3_test(&self, term: &str) -> Option<&Outcome<FTest>> {
        self.model.type3_test(term)
    }
}
