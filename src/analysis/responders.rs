//! Responder analysis by arm and visit: rates with Wilson intervals and each arm against the
//! reference arm, under stated missing-data and intercurrent-event policies.

use super::arms::{members, reference_arm};
use crate::Outcome;
use crate::data::{Cohort, WideTable, same_name};
use crate::domain::{Condition, EventKind, Instrument};
use crate::error::{Error, Result};
use crate::stats::Proportion;
use crate::stats::onset::{OnsetDurability, onset_and_durability};
use crate::stats::responders::{
    ComparisonOptions, Evaluation, IntercurrentStrategy, MissingPolicy, ResponderComparison,
    ResponderCounts, ResponderRate, ResponderRule, compare_responder_rates, count_responders,
    responder_rate,
};

/// Which responder rule, stated relative to the instrument.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::Instrument;
/// use pain_outcomes::analysis::RuleChoice;
/// let rule = RuleChoice::Mcid.rule(&Instrument::nrs(), None).unwrap();
/// assert_eq!(rule.evaluate(Some(7.0), Some(5.0)).is_responder(), Some(true));
/// assert!(RuleChoice::Mcid.rule(&Instrument::koos_pain(), None).is_err()); // no published default
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleChoice {
    /// IMMPACT moderately important: ≥ 30 % improvement.
    Immpact30,
    /// IMMPACT substantially important: ≥ 50 % improvement.
    Immpact50,
    /// Improvement of at least the instrument's minimal important change for the condition.
    Mcid,
    /// Improvement of at least this many points.
    Points(f64),
    /// Improvement of at least this percentage.
    Percent(f64),
}

/// Parses `immpact30`, `immpact50`, `mcid`, `points:X` or `percent:X`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::RuleChoice;
/// assert_eq!("points:2".parse::<RuleChoice>()?, RuleChoice::Points(2.0));
/// assert!("points:two".parse::<RuleChoice>().is_err());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
impl std::str::FromStr for RuleChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        let number = |x: &str| {
            x.trim().parse::<f64>().map_err(|_| {
                Error::invalid_argument("rule", format!("`{x}` is not a number in `{s}`"))
            })
        };
        match t.as_str() {
            "immpact30" | "immpact_30" => Ok(RuleChoice::Immpact30),
            "immpact50" | "immpact_50" => Ok(RuleChoice::Immpact50),
            "mcid" => Ok(RuleChoice::Mcid),
            _ => match t.split_once(':') {
                Some(("points", x)) => Ok(RuleChoice::Points(number(x)?)),
                Some(("percent", x)) => Ok(RuleChoice::Percent(number(x)?)),
                _ => Err(Error::invalid_argument(
                    "rule",
                    format!("`{s}` is not one of immpact30, immpact50, mcid, points:X, percent:X"),
                )),
            },
        }
    }
}

impl RuleChoice {
    /// Short label (`immpact_30`, `immpact_50`, `mcid`, `points_2`, `percent_20`).
    pub fn label(self) -> String {
        match self {
            RuleChoice::Immpact30 => "immpact_30".into(),
            RuleChoice::Immpact50 => "immpact_50".into(),
            RuleChoice::Mcid => "mcid".into(),
            RuleChoice::Points(p) => format!("points_{p}"),
            RuleChoice::Percent(p) => format!("percent_{p}"),
        }
    }

    /// The rule oriented on `instrument` (its direction and best score).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for [`RuleChoice::Mcid`] when the instrument has no minimal
    /// important change for `condition` (supply one with
    /// [`Instrument::with_mcid`](crate::domain::Instrument::with_mcid) or use
    /// [`RuleChoice::Points`]), or for a non-positive threshold.
    pub fn rule(
        self,
        instrument: &Instrument,
        condition: Option<Condition>,
    ) -> Result<ResponderRule> {
        let base = match self {
            RuleChoice::Immpact30 => ResponderRule::immpact_30_percent(),
            RuleChoice::Immpact50 => ResponderRule::immpact_50_percent(),
            RuleChoice::Mcid => {
                let mic = instrument.mcid(condition).ok_or_else(|| {
                    Error::invalid_argument(
                        "rule",
                        format!(
                            "`{}` has no published minimal important change{}; supply one",
                            instrument.code,
                            condition.map(|c| format!(" for {c}")).unwrap_or_default()
                        ),
                    )
                })?;
                ResponderRule::absolute_improvement(mic.value)
            }
            RuleChoice::Points(p) | RuleChoice::Percent(p) if !(p.is_finite() && p > 0.0) => {
                return Err(Error::invalid_argument(
                    "rule",
                    format!("threshold {p} must be > 0"),
                ));
            }
            RuleChoice::Points(p) => ResponderRule::absolute_improvement(p),
            RuleChoice::Percent(p) => ResponderRule::percent_improvement(p),
        };
        let best = match instrument.direction {
            crate::domain::Direction::LowerIsBetter => instrument.min,
            crate::domain::Direction::HigherIsBetter => instrument.max,
        };
        Ok(base.with_direction(instrument.direction, best))
    }
}

/// Options of [`responders_by_arm_and_visit`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::ResponderAnalysisOptions;
/// use pain_outcomes::stats::responders::MissingPolicy;
/// let o = ResponderAnalysisOptions::default()
///     .with_missing(MissingPolicy::ObservedCases)
///     .with_reference_arm("placebo");
/// assert_eq!(o.reference_arm.as_deref(), Some("placebo"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResponderAnalysisOptions {
    /// Missing follow-ups: observed cases, or non-responder imputation (default).
    pub missing: MissingPolicy,
    /// Intercurrent events: counted as non-response (composite strategy, default) or ignored
    /// (treatment policy).
    pub intercurrent: IntercurrentStrategy,
    /// Event kinds that count as intercurrent when on or before the visit day (default: surgery
    /// and rescue medication).
    pub intercurrent_events: Vec<EventKind>,
    /// Reference arm of the between-arm comparisons (`None`: the default rule of
    /// [`reference_arm`](crate::analysis::reference_arm)).
    pub reference_arm: Option<String>,
    /// Options of the between-arm comparison.
    pub comparison: ComparisonOptions,
    /// Confidence level of the responder rates.
    pub confidence_level: f64,
}

impl Default for ResponderAnalysisOptions {
    fn default() -> Self {
        ResponderAnalysisOptions {
            missing: MissingPolicy::NonResponderImputation,
            intercurrent: IntercurrentStrategy::NonResponse,
            intercurrent_events: vec![EventKind::Surgery, EventKind::RescueMedication],
            reference_arm: None,
            comparison: ComparisonOptions::default(),
            confidence_level: 0.95,
        }
    }
}

impl ResponderAnalysisOptions {
    /// Sets the missing-data policy.
    pub fn with_missing(mut self, missing: MissingPolicy) -> Self {
        self.missing = missing;
        self
    }

    /// Sets the intercurrent-event strategy.
    pub fn with_intercurrent(mut self, strategy: IntercurrentStrategy) -> Self {
        self.intercurrent = strategy;
        self
    }

    /// Sets the reference arm.
    pub fn with_reference_arm(mut self, arm: impl Into<String>) -> Self {
        self.reference_arm = Some(arm.into());
        self
    }
}

/// Responders of one arm at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderCell {
    /// Arm label.
    pub arm: String,
    /// Visit label.
    pub visit: String,
    /// Counts under the missing-data and intercurrent-event policies.
    pub counts: ResponderCounts,
    /// Responder rate with Wilson interval.
    pub rate: Outcome<ResponderRate>,
    /// This arm versus the reference arm (absent for the reference arm itself or when no
    /// reference was asked for).
    pub versus_reference: Option<Outcome<ResponderComparison>>,
}

/// A responder analysis of one rule over arms × visits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderTable {
    /// Instrument code.
    pub instrument: String,
    /// Rule label.
    pub rule: String,
    /// The oriented rule.
    pub rule_definition: ResponderRule,
    /// Missing-data policy.
    pub missing: MissingPolicy,
    /// Intercurrent-event strategy.
    pub intercurrent: IntercurrentStrategy,
    /// Reference arm of the comparisons.
    pub reference_arm: String,
    /// One cell per arm × post-baseline visit.
    pub cells: Vec<ResponderCell>,
}

/// Evaluates every patient of `table` at every visit under `rule`, with intercurrent events
/// from `cohort` (the cohort `table` was made from).
///
/// Returns `evaluations[row * n_visits + visit]` and the matching intercurrent flags.
pub(super) fn evaluate_all(
    cohort: &Cohort,
    table: &WideTable,
    rule: &ResponderRule,
    events: &[EventKind],
) -> (Vec<Evaluation>, Vec<bool>) {
    let nv = table.n_visits();
    let mut evals = Vec::with_capacity(table.n_patients() * nv);
    let mut flags = Vec::with_capacity(table.n_patients() * nv);
    for (row, &p) in table.patients.iter().enumerate() {
        let first_event = cohort.first_event_day(p, events, i32::MIN);
        for v in 0..nv {
            evals.push(rule.evaluate(table.baseline[row], table.score(row, v)));
            let day = table
                .days
                .get(row * nv + v)
                .copied()
                .flatten()
                .map(f64::from)
                .or_else(|| table.visit_mean_day.get(v).copied())
                .unwrap_or(f64::INFINITY);
            flags.push(first_event.is_some_and(|d| f64::from(d) <= day));
        }
    }
    (evals, flags)
}

/// Responder rates per arm × visit with Wilson intervals, and each arm against the reference arm
/// (`options.reference_arm`, else the default rule): risk difference (Newcombe), relative
/// risk, odds ratio, Fisher exact p and NNT.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the reference arm does not exist or `table` does not come
/// from `cohort`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::data::read_csv_str;
/// use pain_outcomes::analysis::{RuleChoice, ResponderAnalysisOptions, responders_by_arm_and_visit};
/// let csv = "patient_id,therapy,day,instrument,score\n\
///            A,prp,0,nrs,8\nA,prp,90,nrs,4\nB,prp,0,nrs,6\nB,prp,90,nrs,5\n\
///            C,placebo,0,nrs,7\nC,placebo,90,nrs,6\nD,placebo,0,nrs,7\nD,placebo,90,nrs,7\n";
/// let cohort = read_csv_str(csv, "m.csv", &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let rule = RuleChoice::Immpact30.rule(&wide.instrument, None)?;
/// let t = responders_by_arm_and_visit(&cohort, &wide, &rule, "immpact_30",
///     &ResponderAnalysisOptions::default().with_reference_arm("placebo"))?;
/// let prp = t.cell("prp", "month_3").unwrap();
/// assert_eq!((prp.counts.responders, prp.counts.analysed), (1, 2));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn responders_by_arm_and_visit(
    cohort: &Cohort,
    table: &WideTable,
    rule: &ResponderRule,
    rule_label: &str,
    options: &ResponderAnalysisOptions,
) -> Result<ResponderTable> {
    if table.patients.iter().any(|&p| p >= cohort.n_patients()) {
        return Err(Error::invalid_argument(
            "table",
            "does not come from this cohort",
        ));
    }
    let reference_label = reference_arm(&table.arms, options.reference_arm.as_deref())?;
    let reference = table.arms.iter().position(|a| *a == reference_label);
    let nv = table.n_visits();
    let (evals, flags) = evaluate_all(cohort, table, rule, &options.intercurrent_events);
    let groups = members(table);
    let counts_at = |rows: &[usize], v: usize| -> Result<ResponderCounts> {
        let e: Vec<Evaluation> = rows.iter().map(|&r| evals[r * nv + v]).collect();
        let f: Vec<bool> = rows.iter().map(|&r| flags[r * nv + v]).collect();
        count_responders(&e, &f, options.missing, options.intercurrent)
    };
    let mut cells = Vec::new();
    for (a, rows) in groups.iter().enumerate() {
        for (v, visit) in table.visits.iter().enumerate() {
            let counts = counts_at(rows, v)?;
            let rate =
                responder_rate(counts.responders, counts.analysed, options.confidence_level)?;
            let versus_reference = match reference {
                Some(r) if r != a => {
                    let ref_counts = counts_at(&groups[r], v)?;
                    Some(compare_responder_rates(
                        Proportion::new(counts.responders, counts.analysed),
                        Proportion::new(ref_counts.responders, ref_counts.analysed),
                        &options.comparison,
                    )?)
                }
                _ => None,
            };
            cells.push(ResponderCell {
                arm: table.arms.get(a).cloned().unwrap_or_default(),
                visit: visit.clone(),
                counts,
                rate,
                versus_reference,
            });
        }
    }
    Ok(ResponderTable {
        instrument: table.instrument.code.clone(),
        rule: rule_label.to_string(),
        rule_definition: *rule,
        missing: options.missing,
        intercurrent: options.intercurrent,
        reference_arm: reference_label,
        cells,
    })
}

impl ResponderTable {
    /// The cell of `arm` at `visit`.
    ///
    /// # Examples
    ///
    /// See [`responders_by_arm_and_visit`].
    pub fn cell(&self, arm: &str, visit: &str) -> Option<&ResponderCell> {
        self.cells
            .iter()
            .find(|c| same_name(&c.arm, arm) && same_name(&c.visit, visit))
    }
}

/// Onset and durability of response in one arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmOnset {
    /// Arm label.
    pub arm: String,
    /// First response and durability over the arm's patients.
    pub onset_and_durability: OnsetDurability,
}

/// A responder analysis of one rule with the onset and durability of response per arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponderAnalysis {
    /// Rates and comparisons with the reference arm by arm × visit.
    pub responders: ResponderTable,
    /// The visits' mean days, rounded to whole days (the onset time scale).
    pub visit_days: Vec<f64>,
    /// Onset and durability per arm.
    pub onset: Vec<ArmOnset>,
}

/// Responders under `choice` on `table` (from `cohort`), with each arm's onset and durability
/// of response on the same evaluations.
///
/// # Errors
///
/// As [`RuleChoice::rule`] and [`responders_by_arm_and_visit`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{ResponderAnalysisOptions, RuleChoice, responder_analysis};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let cohort = pain_outcomes::data::read_csv(format!("{dir}knee_oa_trial.csv"), &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let a = responder_analysis(&cohort, &wide, RuleChoice::Immpact50, &ResponderAnalysisOptions::default())?;
/// assert_eq!(a.responders.reference_arm, "placebo");
/// assert_eq!(a.onset.len(), cohort.arms().len());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn responder_analysis(
    cohort: &Cohort,
    table: &WideTable,
    choice: RuleChoice,
    options: &ResponderAnalysisOptions,
) -> Result<ResponderAnalysis> {
    let rule = choice.rule(&table.instrument, cohort.common_condition())?;
    let responders = responders_by_arm_and_visit(cohort, table, &rule, &choice.label(), options)?;
    let nv = table.n_visits();
    let visit_days: Vec<f64> = table.visit_mean_day.iter().map(|d| d.round()).collect();
    let mut onset = Vec::with_capacity(table.arms.len());
    for (arm, rows) in table.arms.iter().zip(members(table)) {
        let evaluations: Vec<Evaluation> = rows
            .iter()
            .flat_map(|&r| (0..nv).map(move |v| (r, v)))
            .map(|(r, v)| rule.evaluate(table.baseline[r], table.score(r, v)))
            .collect();
        onset.push(ArmOnset {
            arm: arm.clone(),
            onset_and_durability: onset_and_durability(&visit_days, &evaluations, options.missing)?,
        });
    }
    Ok(ResponderAnalysis {
        responders,
        visit_days,
        onset,
    })
}
