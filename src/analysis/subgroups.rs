//! Subgroups and effect modifiers: does the difference between arms depend on a patient-level
//! factor (Kellgren–Lawrence grade, cell source, sex, site, …) or on a continuous covariate?
//!
//! One model with an arm × subgroup interaction — never separate fits per subgroup — gives the
//! arm-versus-reference difference within each subgroup (LS-means), the interaction F test,
//! and the subgroup sizes per arm. The model is the ANCOVA of the score at one visit
//! (`arm*subgroup + baseline`) or the MMRM of the change from baseline over all visits
//! (`arm*visit*subgroup + baseline*visit`). A continuous modifier enters linearly
//! (`arm*x + baseline`, resp. `arm*visit + baseline*visit + arm*x`): the result is the
//! difference in slope of each arm from the reference arm per unit of `x`, and the differences
//! between arms at the mean of `x`.

use std::str::FromStr;

use super::adjusted_responders::patient_responses;
use super::ancova::AncovaBuilder;
use super::arms::reference_arm;
use super::mmrm::{CohortMmrm, MmrmBuilder};
use super::responders::{
    ResponderAnalysisOptions, ResponderTable, RuleChoice, responders_by_arm_and_visit,
};
use crate::data::{
    Attribute, Clause, Cohort, Operator, PatientFilter, WideTable, find_name, same_name,
};
use crate::error::{Error, Result};
use crate::outcome::{Outcome, RefusalReason, refuse};
use crate::stats::ChiSquareTest;
use crate::stats::formula::same_term;
use crate::stats::logistic::{LogisticOptions, logistic_regression};
use crate::stats::mmrm::CellCombination;
use crate::stats::{Estimate, FTest};

/// What defines the subgroups.
///
/// Parsed from `NAME` (a factor — `severity`, `sex`, `site`, `condition`, `cell_source`,
/// `cell_origin`, `guidance`, or a text column of your own — or, for a numeric attribute such
/// as `age`, `bmi` or a numeric column of your own, a continuous modifier) or `NAME:c1,c2,…`
/// (a numeric attribute cut at the points: `age:50,65` gives `<50`, `50-<65`, `>=65`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::EffectModifier;
/// let m: EffectModifier = "age:50,65".parse()?;
/// assert_eq!(m, EffectModifier::Cut { attribute: "age".into(), cuts: vec![50.0, 65.0] });
/// assert_eq!("severity".parse::<EffectModifier>()?, EffectModifier::Named("severity".into()));
/// assert!("age:65,50".parse::<EffectModifier>().is_err());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectModifier {
    /// An attribute by name: a factor, or a continuous modifier when it is numeric (severity
    /// grades are taken as a factor).
    Named(String),
    /// A numeric attribute cut at increasing points.
    Cut {
        /// The attribute.
        attribute: String,
        /// Increasing cut points; a value equal to a cut point goes to the upper band.
        cuts: Vec<f64>,
    },
}

impl FromStr for EffectModifier {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let Some((name, cuts)) = s.split_once(':') else {
            if s.is_empty() {
                return Err(Error::invalid_argument("by", "the name is empty"));
            }
            return Ok(EffectModifier::Named(s.to_string()));
        };
        let cuts: Vec<f64> = cuts
            .split(',')
            .map(|c| {
                c.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        Error::invalid_argument(
                            "by",
                            format!("`{s}`: `{c}` is not a cut point; expected e.g. age:50,65"),
                        )
                    })
            })
            .collect::<Result<_>>()?;
        if name.trim().is_empty() || cuts.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid_argument(
                "by",
                format!("`{s}`: expected a name and increasing cut points, e.g. age:50,65"),
            ));
        }
        Ok(EffectModifier::Cut {
            attribute: name.trim().to_string(),
            cuts,
        })
    }
}

/// Which model the subgroup analysis fits.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SubgroupModel {
    /// ANCOVA of the score at one visit (`None`: the last).
    Ancova {
        /// The visit.
        visit: Option<String>,
    },
    /// MMRM of the change from baseline over all visits.
    Mmrm,
}

/// Options of [`subgroup_analysis`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::SubgroupOptions;
/// let o = SubgroupOptions::new("nrs", "severity".parse()?).with_reference_arm("placebo");
/// assert_eq!(o.min_per_cell, 1);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubgroupOptions {
    /// Instrument code.
    pub instrument: String,
    /// What defines the subgroups.
    pub by: EffectModifier,
    /// The model (default: ANCOVA at the last visit).
    pub model: SubgroupModel,
    /// Arms in the model (default all).
    pub arms: Option<Vec<String>>,
    /// Reference arm (default the crate's rule).
    pub reference_arm: Option<String>,
    /// Fewest analysed patients an arm × subgroup cell may have (default 1: an empty cell
    /// leaves the interaction inestimable); a smaller cell is a refusal, not a number. Raise it
    /// to refuse estimates that rest on a handful of patients.
    pub min_per_cell: usize,
}

impl SubgroupOptions {
    /// ANCOVA at the last visit of `instrument` by `by`, every arm, at least 1 patient per
    /// cell.
    pub fn new(instrument: &str, by: EffectModifier) -> Self {
        SubgroupOptions {
            instrument: instrument.to_string(),
            by,
            model: SubgroupModel::Ancova { visit: None },
            arms: None,
            reference_arm: None,
            min_per_cell: 1,
        }
    }

    /// Sets the reference arm.
    pub fn with_reference_arm(mut self, arm: &str) -> Self {
        self.reference_arm = Some(arm.to_string());
        self
    }

    /// Sets the model.
    pub fn with_model(mut self, model: SubgroupModel) -> Self {
        self.model = model;
        self
    }

    /// Restricts the arms.
    pub fn with_arms(mut self, arms: &[&str]) -> Self {
        self.arms = Some(arms.iter().map(|a| a.to_string()).collect());
        self
    }
}

/// Patients analysed in one arm × subgroup cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubgroupSize {
    /// Subgroup label.
    pub subgroup: String,
    /// Arm.
    pub arm: String,
    /// Patients analysed.
    pub patients: usize,
}

/// The difference of one arm from the reference arm within one subgroup at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubgroupEstimate {
    /// Subgroup label (for a continuous modifier: `"at mean"`).
    pub subgroup: String,
    /// Arm.
    pub arm: String,
    /// Visit.
    pub visit: String,
    /// The difference with SE, df, CI and p (refused when not estimable).
    pub difference: Outcome<Estimate>,
}

/// A subgroup analysis: one model with the arm × subgroup interaction.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SubgroupAnalysis {
    /// What defined the subgroups.
    pub by: EffectModifier,
    /// The name of the modifier in the model formula.
    pub term: String,
    /// Whether the modifier entered as a continuous covariate.
    pub continuous: bool,
    /// Subgroup labels in order (empty for a continuous modifier).
    pub subgroups: Vec<String>,
    /// Reference arm.
    pub reference_arm: String,
    /// Patients analysed per arm and subgroup.
    pub sizes: Vec<SubgroupSize>,
    /// Each arm minus the reference within each subgroup (or at the modifier's mean) at each
    /// visit of the model: forest-plot rows.
    pub estimates: Vec<SubgroupEstimate>,
    /// For a continuous modifier: each arm's slope minus the reference arm's (per unit of the
    /// modifier).
    pub slope_differences: Vec<Estimate>,
    /// Type III F tests of the interaction terms (every term holding `arm` and the modifier).
    pub interaction_tests: Vec<Outcome<FTest>>,
    /// The fitted model.
    pub model: CohortMmrm,
}

/// Fits the subgroup model and derives the per-subgroup differences and the interaction test.
///
/// # Errors
///
/// `InvalidArgument` for an unknown attribute (the message lists the attributes and columns),
/// cut points on a non-numeric attribute, an unknown instrument, visit or arm.
///
/// # Refusals
///
/// `EmptyGroup` when an arm × subgroup cell has fewer than `min_per_cell` analysed patients
/// (the cell is named), a single subgroup, or the model's refusals.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{SubgroupOptions, subgroup_analysis};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let s = subgroup_analysis(&cohort, &SubgroupOptions::new("nrs", "severity".parse()?))?
///     .into_result()?;
/// assert_eq!(s.subgroups, ["2", "3", "4"]);
/// let f = s.interaction_tests[0].as_ref().into_result()?;
/// assert_eq!(f.df_numerator, 10.0); // 5 arms against placebo x 2 more grades
/// println!("{s}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn subgroup_analysis(
    cohort: &Cohort,
    options: &SubgroupOptions,
) -> Result<Outcome<SubgroupAnalysis>> {
    let labelled = match label_subgroups(cohort, &options.by, true)? {
        Outcome::Computed(l) => l,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let Labelled {
        cohort,
        term,
        continuous,
        subgroups,
    } = labelled;
    let model = match fit_model(&cohort, options, &term, continuous)? {
        Outcome::Computed(m) => m,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let sizes = cell_sizes(&cohort, &model, &term, &subgroups, options)?;
    if let Some(s) = sizes.iter().find(|s| s.patients < options.min_per_cell) {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!(
                "arm `{}` has {} analysed patient(s) in subgroup `{}` (at least {} needed)",
                s.arm, s.patients, s.subgroup, options.min_per_cell
            ),
        ));
    }
    let estimates = subgroup_estimates(&model, &term, &subgroups)?;
    let slope_differences = if continuous {
        model
            .arms
            .iter()
            .filter(|a| **a != model.reference_arm)
            .filter_map(|a| {
                let name = format!("arm{a}:{term}");
                model
                    .fit
                    .coefficients
                    .iter()
                    .find(|c| same_term(&c.label, &name))
                    .cloned()
            })
            .collect()
    } else {
        Vec::new()
    };
    let interaction_tests = model
        .type3
        .iter()
        .filter(|t| {
            let label = match t {
                Outcome::Computed(f) => f.label.clone(),
                Outcome::Refused(r) => r.detail.clone(),
            };
            let vars: Vec<&str> = label.split(':').map(str::trim).collect();
            vars.len() > 1 && vars.contains(&"arm") && vars.iter().any(|v| v.contains(&term))
        })
        .cloned()
        .collect();
    Ok(Outcome::Computed(SubgroupAnalysis {
        by: options.by.clone(),
        term,
        continuous,
        subgroups,
        reference_arm: model.reference_arm.clone(),
        sizes,
        estimates,
        slope_differences,
        interaction_tests,
        model,
    }))
}

/// A cohort with the modifier added as a column of its own, and how it enters.
struct Labelled {
    cohort: Cohort,
    term: String,
    continuous: bool,
    subgroups: Vec<String>,
}

/// Adds the modifier `by` to `cohort` as `<attribute>_subgroup`: a factor of the attribute's
/// labels or bands, or (numeric, no cut points, `continuous_allowed`) the value itself.
/// Refuses a modifier with a single subgroup.
fn label_subgroups(
    cohort: &Cohort,
    by: &EffectModifier,
    continuous_allowed: bool,
) -> Result<Outcome<Labelled>> {
    let (attribute, cuts) = match by {
        EffectModifier::Named(n) => (n.parse::<Attribute>()?, None),
        EffectModifier::Cut { attribute, cuts } => (attribute.parse::<Attribute>()?, Some(cuts)),
    };
    check_attribute(cohort, &attribute)?;
    let numeric = attribute.is_numeric_in(cohort.patients());
    if cuts.is_some() && !numeric {
        return Err(Error::invalid_argument(
            "by",
            format!(
                "`{}` is not numeric: cut points need a number",
                attribute.name()
            ),
        ));
    }
    let continuous = numeric && cuts.is_none() && attribute != Attribute::Severity;
    if continuous && !continuous_allowed {
        return Err(Error::invalid_argument(
            "by",
            format!(
                "`{0}` is continuous here; give cut points, e.g. {0}:50,65",
                attribute.name()
            ),
        ));
    }
    let term = format!("{}_subgroup", attribute.name());
    if continuous {
        let values: Vec<Option<f64>> = cohort
            .patients()
            .iter()
            .map(|p| attribute.number(p))
            .collect();
        return Ok(Outcome::Computed(Labelled {
            cohort: cohort.with_covariate(&term, &values)?,
            term,
            continuous,
            subgroups: Vec::new(),
        }));
    }
    let labels: Vec<Option<String>> = cohort
        .patients()
        .iter()
        .map(|p| match cuts {
            Some(c) => attribute.number(p).map(|x| band(x, c)),
            None => attribute.label(p),
        })
        .collect();
    let mut levels: Vec<String> = match cuts {
        Some(c) => band_labels(c),
        None => {
            let mut l: Vec<String> = labels.iter().flatten().cloned().collect();
            l.sort();
            l.dedup();
            l
        }
    };
    levels.retain(|l| labels.iter().flatten().any(|x| x == l));
    if levels.len() < 2 {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            format!(
                "`{}` takes a single value among the patients: no subgroups to compare",
                attribute.name()
            ),
        ));
    }
    Ok(Outcome::Computed(Labelled {
        cohort: cohort.with_factor(&term, &labels)?,
        term,
        continuous,
        subgroups: levels,
    }))
}

/// An error naming an attribute no patient has, with the ones the data can give.
fn check_attribute(cohort: &Cohort, attribute: &Attribute) -> Result<()> {
    if cohort
        .patients()
        .iter()
        .any(|p| attribute.label(p).is_some())
    {
        return Ok(());
    }
    let mut known: Vec<String> = Attribute::ALL
        .iter()
        .filter(|a| cohort.patients().iter().any(|p| a.label(p).is_some()))
        .map(|a| a.name().to_string())
        .collect();
    known.extend(crate::data::extra_column_names(cohort.patients()));
    Err(Error::invalid_argument(
        "by",
        format!(
            "no patient has a value of `{}`; the data can give: {}",
            attribute.name(),
            known.join(", ")
        ),
    ))
}

/// The band of `x` among the cut points (a value at a cut point goes up).
fn band(x: f64, cuts: &[f64]) -> String {
    let labels = band_labels(cuts);
    let k = cuts.iter().take_while(|&&c| x >= c).count();
    labels.get(k).cloned().unwrap_or_default()
}

/// `<c1`, `c1-<c2`, …, `>=ck`.
fn band_labels(cuts: &[f64]) -> Vec<String> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    if let Some(first) = cuts.first() {
        out.push(format!("<{first}"));
    }
    for w in cuts.windows(2) {
        out.push(format!("{}-<{}", w[0], w[1]));
    }
    if let Some(last) = cuts.last() {
        out.push(format!(">={last}"));
    }
    out
}

/// The model with the interaction.
fn fit_model(
    cohort: &Cohort,
    options: &SubgroupOptions,
    term: &str,
    continuous: bool,
) -> Result<Outcome<CohortMmrm>> {
    let arms: Option<Vec<&str>> = options
        .arms
        .as_ref()
        .map(|a| a.iter().map(String::as_str).collect());
    match &options.model {
        SubgroupModel::Ancova { visit } => {
            let mut b = AncovaBuilder::new(cohort)
                .instrument(&options.instrument)
                .formula(&format!("arm*{term} + baseline"));
            if let Some(v) = visit {
                b = b.visit(v);
            }
            if let Some(a) = &arms {
                b = b.arms(a);
            }
            if let Some(r) = &options.reference_arm {
                b = b.reference_arm(r);
            }
            Ok(b.fit()?.map(|a| a.model))
        }
        SubgroupModel::Mmrm => {
            let formula = if continuous {
                format!("arm*visit + baseline*visit + arm*{term}")
            } else {
                format!("arm*visit*{term} + baseline*visit")
            };
            let mut b = MmrmBuilder::new(cohort)
                .instrument(&options.instrument)
                .formula(&formula);
            if let Some(a) = &arms {
                b = b.arms(a);
            }
            if let Some(r) = &options.reference_arm {
                b = b.reference_arm(r);
            }
            b.fit()
        }
    }
}

/// Patients analysed per arm and subgroup: those with a baseline, the modifier and at least
/// one response the model used (the score at the ANCOVA's visit; any visit of the MMRM).
fn cell_sizes(
    cohort: &Cohort,
    model: &CohortMmrm,
    term: &str,
    subgroups: &[String],
    options: &SubgroupOptions,
) -> Result<Vec<SubgroupSize>> {
    let wide = cohort.wide(&options.instrument)?;
    let columns: Vec<usize> = wide
        .visits
        .iter()
        .enumerate()
        .filter(|(_, v)| model.visits.iter().any(|m| m == *v))
        .map(|(i, _)| i)
        .collect();
    let groups: Vec<String> = if subgroups.is_empty() {
        vec!["all".to_string()]
    } else {
        subgroups.to_vec()
    };
    let mut counts = vec![vec![0usize; groups.len()]; model.arms.len()];
    for row in 0..wide.n_patients() {
        let Some(arm) = wide
            .arm
            .get(row)
            .and_then(|&a| wide.arms.get(a as usize))
            .and_then(|a| model.arms.iter().position(|m| m == a))
        else {
            continue;
        };
        let Some(patient) = wide
            .patients
            .get(row)
            .and_then(|&p| cohort.patients().get(p))
        else {
            continue;
        };
        let group = if subgroups.is_empty() {
            patient.covariates.get(term).map(|_| 0)
        } else {
            patient
                .factors
                .get(term)
                .and_then(|l| groups.iter().position(|g| g == l))
        };
        let observed = wide.baseline.get(row).copied().flatten().is_some()
            && columns.iter().any(|&c| wide.score(row, c).is_some());
        if let (Some(g), true) = (group, observed) {
            counts[arm][g] += 1;
        }
    }
    let mut out = Vec::new();
    for (g, label) in groups.iter().enumerate() {
        for (a, arm) in model.arms.iter().enumerate() {
            out.push(SubgroupSize {
                subgroup: label.clone(),
                arm: arm.clone(),
                patients: counts[a][g],
            });
        }
    }
    Ok(out)
}

/// Each arm minus the reference within each subgroup at each visit (for a continuous modifier,
/// at its mean), from the model's LS-means.
fn subgroup_estimates(
    model: &CohortMmrm,
    term: &str,
    subgroups: &[String],
) -> Result<Vec<SubgroupEstimate>> {
    let reference = &model.reference_arm;
    let groups: Vec<Option<&String>> = if subgroups.is_empty() {
        vec![None]
    } else {
        subgroups.iter().map(Some).collect()
    };
    let mut out = Vec::new();
    for visit in &model.visits {
        for g in &groups {
            let arms: Vec<&String> = model.arms.iter().filter(|a| *a != reference).collect();
            let cell = |arm: &String| -> Vec<String> {
                let mut c = vec![arm.clone(), visit.clone()];
                if let Some(g) = g {
                    c.push((*g).clone());
                }
                c
            };
            let combinations: Vec<CellCombination> = arms
                .iter()
                .map(|a| CellCombination {
                    label: match g {
                        Some(g) => format!("{a} - {reference} at {visit}, {term} = {g}"),
                        None => format!("{a} - {reference} at {visit}"),
                    },
                    cells: vec![(cell(a), 1.0), (cell(reference), -1.0)],
                })
                .collect();
            let by: Vec<&str> = if g.is_some() {
                vec!["arm", "visit", term]
            } else {
                vec!["arm", "visit"]
            };
            let family = model
                .fit
                .lsmean_combinations(&by, &combinations, model.lsmean_weights)?;
            for (a, difference) in arms.iter().zip(family.estimates) {
                out.push(SubgroupEstimate {
                    subgroup: g.map_or_else(|| "at mean".to_string(), |g| g.clone()),
                    arm: (*a).clone(),
                    visit: visit.clone(),
                    difference,
                });
            }
        }
    }
    Ok(out)
}

impl SubgroupAnalysis {
    /// The difference of `arm` from the reference within `subgroup` at `visit`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{SubgroupOptions, subgroup_analysis};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let s = subgroup_analysis(&cohort, &SubgroupOptions::new("nrs", "sex".parse()?))?
    ///     .into_result()?;
    /// assert!(s.estimate("prp", "female", "month_12").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn estimate(&self, arm: &str, subgroup: &str, visit: &str) -> Option<&SubgroupEstimate> {
        self.estimates.iter().find(|e| {
            same_name(&e.arm, arm) && same_name(&e.subgroup, subgroup) && same_name(&e.visit, visit)
        })
    }
}

/// The responder table of one subgroup.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubgroupResponders {
    /// Subgroup label.
    pub subgroup: String,
    /// Responder rates per arm and visit within the subgroup, with the risk difference (and
    /// RR, OR, NNTB/NNTH) of each arm against the reference arm.
    pub table: ResponderTable,
}

/// Responders by subgroup: a responder table within each subgroup and a test of whether the
/// arm effect on the odds of response differs between subgroups.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderSubgroups {
    /// What defined the subgroups.
    pub by: EffectModifier,
    /// The modifier's column name.
    pub term: String,
    /// The responder rule.
    pub rule: String,
    /// The visit of the interaction test.
    pub visit: String,
    /// Reference arm.
    pub reference_arm: String,
    /// One table per subgroup, in the order of the subgroups.
    pub tables: Vec<SubgroupResponders>,
    /// Likelihood-ratio test of the arm × subgroup interaction in the logistic model of
    /// response at the visit (`response ~ arm * subgroup` against `response ~ arm + subgroup`),
    /// on the patients with a response and a subgroup.
    pub interaction: Outcome<ChiSquareTest>,
}

/// Responder rates and risk differences within each subgroup, and the logistic
/// likelihood-ratio test of the arm × subgroup interaction at `visit` (the Breslow–Day test
/// answers the same question for one pair of arms; the logistic test takes every arm at once).
///
/// # Errors
///
/// As [`subgroup_analysis`]; a continuous modifier needs cut points here; an unknown visit.
///
/// # Refusals
///
/// A single subgroup; the interaction test is refused (inside the result) when a logistic fit
/// is separated or does not converge.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{RuleChoice, SubgroupOptions, responder_subgroups};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let r = responder_subgroups(&cohort, RuleChoice::Immpact30, "month_3",
///     &SubgroupOptions::new("nrs", "sex".parse()?), &Default::default())?.into_result()?;
/// assert_eq!(r.tables.len(), 2);
/// let lrt = r.interaction.as_ref().into_result()?;
/// assert_eq!(lrt.df, 5.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn responder_subgroups(
    cohort: &Cohort,
    rule: RuleChoice,
    visit: &str,
    options: &SubgroupOptions,
    responder_options: &ResponderAnalysisOptions,
) -> Result<Outcome<ResponderSubgroups>> {
    let Labelled {
        cohort,
        term,
        subgroups,
        ..
    } = match label_subgroups(cohort, &options.by, false)? {
        Outcome::Computed(l) => l,
        Outcome::Refused(r) => return Ok(Outcome::Refused(r)),
    };
    let wide = cohort.wide(&options.instrument)?;
    let reference = reference_arm(&wide.arms, options.reference_arm.as_deref())?;
    let responder_options = responder_options.clone().with_reference_arm(&reference);
    let v = find_name("visit", visit, &wide.visits)?;
    let oriented = rule.rule(&wide.instrument, cohort.common_condition())?;
    let mut tables = Vec::with_capacity(subgroups.len());
    for g in &subgroups {
        let clause = Clause {
            attribute: Attribute::Column(term.clone()),
            comparison: Operator::Equal,
            value: g.clone(),
        };
        let sub = cohort.filtered(&PatientFilter {
            clauses: vec![clause],
        })?;
        let sub_wide = sub.wide(&options.instrument)?;
        tables.push(SubgroupResponders {
            subgroup: g.clone(),
            table: responders_by_arm_and_visit(
                &sub,
                &sub_wide,
                &oriented,
                &rule.label(),
                &responder_options,
            )?,
        });
    }
    let responses = patient_responses(&cohort, &wide, rule, v, &responder_options)?;
    let interaction = interaction_lrt(&cohort, &wide, &responses, &term, &subgroups, &reference)?;
    Ok(Outcome::Computed(ResponderSubgroups {
        by: options.by.clone(),
        term,
        rule: rule.label(),
        visit: wide.visits[v].clone(),
        reference_arm: reference,
        tables,
        interaction,
    }))
}

/// The likelihood-ratio test of the arm × subgroup interaction in a logistic model of the
/// responses (deviance of `arm + subgroup` minus that of `arm * subgroup`).
fn interaction_lrt(
    cohort: &Cohort,
    wide: &WideTable,
    responses: &[Option<bool>],
    term: &str,
    subgroups: &[String],
    reference: &str,
) -> Result<Outcome<ChiSquareTest>> {
    let mut y = Vec::new();
    let mut arm = Vec::new();
    let mut group = Vec::new();
    for (row, response) in responses.iter().enumerate() {
        let label = wide
            .patients
            .get(row)
            .and_then(|&p| cohort.patients().get(p))
            .and_then(|p| p.factors.get(term));
        let g = label.and_then(|l| subgroups.iter().position(|s| s == l));
        if let (Some(r), Some(g), Some(&a)) = (response, g, wide.arm.get(row)) {
            y.push(*r);
            arm.push(a as usize);
            group.push(g);
        }
    }
    let r = wide.arms.iter().position(|a| a == reference).unwrap_or(0);
    let arms: Vec<usize> = (0..wide.arms.len())
        .filter(|&a| a != r && arm.contains(&a))
        .collect();
    let indicator = |hit: &dyn Fn(usize) -> bool| -> Vec<f64> {
        (0..y.len()).map(|i| f64::from(u8::from(hit(i)))).collect()
    };
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for &a in &arms {
        names.push(format!("arm{}", wide.arms[a]));
        columns.push(indicator(&|i| arm[i] == a));
    }
    for (g, label) in subgroups.iter().enumerate().skip(1) {
        names.push(format!("{term}{label}"));
        columns.push(indicator(&|i| group[i] == g));
    }
    let n_main = columns.len();
    for &a in &arms {
        for (g, label) in subgroups.iter().enumerate().skip(1) {
            names.push(format!("arm{}:{term}{label}", wide.arms[a]));
            columns.push(indicator(&|i| arm[i] == a && group[i] == g));
        }
    }
    let design: Vec<(&str, &[f64])> = names
        .iter()
        .map(String::as_str)
        .zip(columns.iter().map(Vec::as_slice))
        .collect();
    let options = LogisticOptions::default().with_profile(false);
    let full = logistic_regression(&y, &design, &options)?;
    let main = logistic_regression(&y, &design[..n_main], &options)?;
    Ok(match (main, full) {
        (Outcome::Computed(m), Outcome::Computed(f)) => {
            let df = (design.len() - n_main) as f64;
            let statistic = (m.deviance - f.deviance).max(0.0);
            Outcome::Computed(ChiSquareTest::new(
                format!("arm:{term} (likelihood ratio)"),
                statistic,
                df,
            ))
        }
        (Outcome::Refused(r), _) | (_, Outcome::Refused(r)) => Outcome::Refused(r),
    })
}
