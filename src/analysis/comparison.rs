//! The complete comparison of therapies on one instrument: trajectories, responders, ANCOVA at
//! the last visit, the MMRM and time to surgery, all against one reference arm.

use super::ancova::{AncovaAtVisit, AncovaBuilder, ancova_at_visit};
use super::arms::reference_arm;
use super::contrasts::{ArmContrast, ContrastTable};
use super::mmrm::{CohortMmrm, MmrmBuilder};
use super::responders::{
    ResponderAnalysisOptions, ResponderTable, RuleChoice, responders_by_arm_and_visit,
};
use super::time_to_event::{TimeToEventAnalysis, TimeToEventOptions, analyse_time_to_event};
use super::trajectories::{Trajectories, describe_by_arm_and_visit};
use crate::data::{ArmBy, Cohort, EventEndpoint};
use crate::domain::EventKind;
use crate::error::Result;
use crate::outcome::refuse;
use crate::stats::ancova::AncovaOptions;
use crate::stats::describe::DescribeOptions;
use crate::stats::multiplicity::MultiplicityMethod;
use crate::{Outcome, RefusalReason};

/// Options of [`compare_therapies`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{TherapyComparisonOptions, RuleChoice};
/// let o = TherapyComparisonOptions::new("vas").with_reference_arm("corticosteroid")
///     .with_rules(vec![RuleChoice::Immpact50]);
/// assert_eq!(o.instrument, "vas");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TherapyComparisonOptions {
    /// Instrument code (default `nrs`).
    pub instrument: String,
    /// Reference arm (`None`: the default rule of [`reference_arm`]).
    pub reference_arm: Option<String>,
    /// Responder rules (default IMMPACT 30 %, IMMPACT 50 %, the instrument's MCID; a rule the
    /// instrument has no published value for is skipped).
    pub rules: Vec<RuleChoice>,
    /// The MMRM's right-hand side instead of `arm*visit + baseline*visit` (see
    /// [`MmrmBuilder::formula`]).
    pub formula: Option<String>,
    /// The Cox model's right-hand side for time to surgery instead of `arm` (see
    /// [`TimeToEventOptions::formula`]).
    pub cox_formula: Option<String>,
    /// Contrasts of arms estimated from the MMRM at every visit. Without any (and without
    /// `pairwise`), each combination arm minus each of its components that is an arm
    /// ([`ArmContrast::decomposition`]).
    pub contrasts: Vec<ArmContrast>,
    /// Add all pairs of arms to the contrasts.
    pub pairwise: bool,
    /// Multiplicity adjustment of the contrasts within each visit (default none).
    pub multiplicity: MultiplicityMethod,
}

impl Default for TherapyComparisonOptions {
    fn default() -> Self {
        TherapyComparisonOptions::new("nrs")
    }
}

impl TherapyComparisonOptions {
    /// The defaults on `instrument`.
    pub fn new(instrument: impl Into<String>) -> Self {
        TherapyComparisonOptions {
            instrument: instrument.into(),
            reference_arm: None,
            rules: vec![
                RuleChoice::Immpact30,
                RuleChoice::Immpact50,
                RuleChoice::Mcid,
            ],
            formula: None,
            cox_formula: None,
            contrasts: Vec::new(),
            pairwise: false,
            multiplicity: MultiplicityMethod::Unadjusted,
        }
    }

    /// Sets the reference arm.
    pub fn with_reference_arm(mut self, arm: impl Into<String>) -> Self {
        self.reference_arm = Some(arm.into());
        self
    }

    /// Sets the responder rules.
    pub fn with_rules(mut self, rules: Vec<RuleChoice>) -> Self {
        self.rules = rules;
        self
    }

    /// Sets the MMRM's formula (right-hand side).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{TherapyComparisonOptions, compare_therapies};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let o = TherapyComparisonOptions::default()
    ///     .with_formula("arm*visit + baseline*visit + age + arm:sex + sex");
    /// let c = compare_therapies(&cohort, &o)?;
    /// assert!(c.mmrm.computed().unwrap().type3_test("arm:sex").is_some());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_formula(mut self, rhs: impl Into<String>) -> Self {
        self.formula = Some(rhs.into());
        self
    }

    /// Sets the contrasts of arms, all pairs or not, and their multiplicity adjustment.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{TherapyComparisonOptions, compare_therapies};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let o = TherapyComparisonOptions::default()
    ///     .with_contrasts(vec!["prp - corticosteroid".parse()?], true, "holm".parse()?);
    /// let c = compare_therapies(&cohort, &o)?;
    /// let t = c.contrasts.unwrap();
    /// assert_eq!(t.rows.len(), (1 + 15) * 5); // one contrast and 15 pairs at 5 visits
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_contrasts(
        mut self,
        contrasts: Vec<ArmContrast>,
        pairwise: bool,
        multiplicity: MultiplicityMethod,
    ) -> Self {
        self.contrasts = contrasts;
        self.pairwise = pairwise;
        self.multiplicity = multiplicity;
        self
    }

    /// Sets the Cox model's formula (right-hand side) for time to surgery.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::analysis::TherapyComparisonOptions::default()
    ///     .with_cox_formula("arm + age");
    /// assert_eq!(o.cox_formula.as_deref(), Some("arm + age"));
    /// ```
    pub fn with_cox_formula(mut self, rhs: impl Into<String>) -> Self {
        self.cox_formula = Some(rhs.into());
        self
    }
}

/// The comparison of the arms of a cohort on one instrument.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TherapyComparison {
    /// Instrument code.
    pub instrument: String,
    /// How the arms were defined.
    pub arms_by: ArmBy,
    /// Patients per arm.
    pub patients_per_arm: Vec<(String, usize)>,
    /// The reference arm of every comparison.
    pub reference_arm: String,
    /// Descriptive trajectories by arm and visit.
    pub trajectories: Trajectories,
    /// One responder table per rule the instrument supports.
    pub responders: Vec<ResponderTable>,
    /// ANCOVA of the score at the last visit on arm and baseline.
    pub ancova_last_visit: AncovaAtVisit,
    /// Each arm against the reference arm in that ANCOVA, Dunnett's single-step adjusted
    /// p-values and simultaneous intervals (as `multcomp::glht(mcp(arm = "Dunnett"))`);
    /// refused when the ANCOVA is.
    #[serde(default = "not_computed")]
    pub ancova_dunnett: Outcome<ContrastTable>,
    /// MMRM of the change from baseline (unstructured covariance, REML, Satterthwaite df).
    pub mmrm: Outcome<CohortMmrm>,
    /// Contrasts of arms from the MMRM at every visit (`None` when there are none to estimate
    /// or the MMRM was refused).
    pub contrasts: Option<ContrastTable>,
    /// Time to surgery (`None` when the cohort records no surgery).
    pub time_to_surgery: Option<TimeToEventAnalysis>,
}

/// Compares every arm of `cohort` with the reference arm on one instrument: descriptive
/// trajectories, responders under each rule, ANCOVA at the last visit, the MMRM over all
/// visits and, when surgeries are recorded, time to surgery.
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error) for an unknown instrument or reference arm.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{TherapyComparisonOptions, compare_therapies};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = pain_outcomes::data::CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let c = compare_therapies(&cohort, &TherapyComparisonOptions::default())?;
/// assert_eq!(c.reference_arm, "placebo");
/// assert!(c.time_to_surgery.is_some());
/// println!("{c}");
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn compare_therapies(
    cohort: &Cohort,
    options: &TherapyComparisonOptions,
) -> Result<TherapyComparison> {
    let wide = cohort.wide(&options.instrument)?;
    let reference = reference_arm(&wide.arms, options.reference_arm.as_deref())?;
    let trajectories = describe_by_arm_and_visit(&wide, &DescribeOptions::default())?;
    // the condition decides which published MIC applies; mixed cohorts use the general one
    let condition = cohort.common_condition();
    let responder_options = ResponderAnalysisOptions::default().with_reference_arm(&reference);
    let mut responders = Vec::new();
    for choice in &options.rules {
        let Ok(rule) = choice.rule(&wide.instrument, condition) else {
            continue; // no published MIC for this instrument: the table is absent
        };
        responders.push(responders_by_arm_and_visit(
            cohort,
            &wide,
            &rule,
            &choice.label(),
            &responder_options,
        )?);
    }
    let last = wide.n_visits().saturating_sub(1);
    let ancova_last_visit = ancova_at_visit(
        &wide,
        last,
        &AncovaOptions::default().with_reference_arm(&reference),
    )?;
    let ancova_dunnett = match wide.visits.get(last) {
        Some(visit) => dunnett_at_visit(cohort, &wide.instrument.code, visit, &reference),
        None => refuse(RefusalReason::EmptyGroup, "the instrument has no visit"),
    };
    let mut mmrm = MmrmBuilder::new(cohort)
        .instrument(&wide.instrument.code)
        .reference_arm(&reference);
    if let Some(rhs) = &options.formula {
        mmrm = mmrm.formula(rhs);
    }
    let mmrm = mmrm.fit()?;
    let contrasts = match &mmrm {
        Outcome::Computed(m) => {
            let mut family = options.contrasts.clone();
            if options.pairwise {
                family.extend(ArmContrast::pairwise(&m.arms));
            }
            if family.is_empty() {
                family = ArmContrast::decomposition(&m.arms);
            }
            if family.is_empty() {
                None
            } else {
                Some(m.contrasts(&family, options.multiplicity)?)
            }
        }
        Outcome::Refused(_) => None,
    };
    let has_surgery = cohort.events().iter().any(|e| e.kind == EventKind::Surgery);
    let time_to_surgery = if has_surgery {
        let data = cohort.time_to_event(EventEndpoint::Surgery)?;
        let mut cox_options = TimeToEventOptions::default().with_reference_arm(&reference);
        if let Some(rhs) = &options.cox_formula {
            cox_options = cox_options.with_formula(rhs);
        }
        Some(analyse_time_to_event(cohort, &data, &cox_options)?)
    } else {
        None
    };
    Ok(TherapyComparison {
        instrument: wide.instrument.code.clone(),
        arms_by: cohort.arm_by(),
        patients_per_arm: cohort.patients_per_arm(),
        reference_arm: reference,
        trajectories,
        responders,
        ancova_last_visit,
        ancova_dunnett,
        mmrm,
        contrasts,
        time_to_surgery,
    })
}

/// Each arm against `reference` in the ANCOVA of `instrument` at `visit`, Dunnett single-step;
/// a refusal (never an error: the rest of the comparison stands) when it cannot be computed.
fn dunnett_at_visit(
    cohort: &Cohort,
    instrument: &str,
    visit: &str,
    reference: &str,
) -> Outcome<ContrastTable> {
    let fit = AncovaBuilder::new(cohort)
        .instrument(instrument)
        .visit(visit)
        .reference_arm(reference)
        .fit();
    let ancova = match fit {
        Ok(Outcome::Computed(a)) => a,
        Ok(Outcome::Refused(r)) => return Outcome::Refused(r),
        Err(e) => return refuse(RefusalReason::NotEstimable, e.to_string()),
    };
    let family: Vec<ArmContrast> = ancova
        .model
        .arms
        .iter()
        .filter(|a| a.as_str() != reference)
        .map(|a| ArmContrast::difference(a, reference))
        .collect();
    if family.is_empty() {
        return refuse(RefusalReason::EmptyGroup, "no arm besides the reference");
    }
    match ancova.contrasts(&family, MultiplicityMethod::SingleStep) {
        Ok(table) => Outcome::Computed(table),
        Err(e) => refuse(RefusalReason::NotEstimable, e.to_string()),
    }
}

/// The value of a field absent from older serialized results.
fn not_computed() -> Outcome<ContrastTable> {
    refuse(RefusalReason::NotEstimable, "not computed")
}
