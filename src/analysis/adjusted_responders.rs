//! Covariate-adjusted responder analysis at one visit: each arm against the reference arm by
//! logistic regression (odds ratio with Wald and profile-likelihood intervals, and the
//! standardised risk difference), and, when a stratifying factor is given, the
//! Cochran–Mantel–Haenszel test, common odds ratio and risk difference.

use super::arms::{Attrition, ExclusionReason, members, reference_arm};
use super::covariates::{Coding, Covariate, check_covariates};
use super::responders::{ResponderAnalysisOptions, RuleChoice, evaluate_all};
use crate::Outcome;
use crate::data::{Cohort, WideTable, find_name};
use crate::error::{Error, Result};
use crate::stats::cmh::{Cmh, CmhOptions, cochran_mantel_haenszel};
use crate::stats::logistic::{LogisticFit, LogisticOptions, logistic_regression};
use crate::stats::responders::{IntercurrentStrategy, MissingPolicy};
use crate::stats::{Proportion, TwoByTwo};

/// One arm against the reference arm, adjusted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdjustedArmComparison {
    /// The arm.
    pub arm: String,
    /// `response ~ treated + covariates` on the two arms' patients (`treated` = 1 in the arm):
    /// the odds ratio of `treated` with Wald and profile intervals, and the standardised risk
    /// difference.
    pub logistic: Outcome<LogisticFit>,
    /// Cochran–Mantel–Haenszel across the strata of the stratifying factor (`None` without
    /// one).
    pub stratified: Option<Outcome<Cmh>>,
}

/// A covariate-adjusted responder analysis at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdjustedResponders {
    /// Instrument code.
    pub instrument: String,
    /// Visit label.
    pub visit: String,
    /// Rule label.
    pub rule: String,
    /// Reference arm.
    pub reference_arm: String,
    /// Covariates of the logistic models.
    pub covariates: Vec<Covariate>,
    /// The stratifying factor of the Cochran–Mantel–Haenszel analysis.
    pub strata: Option<Covariate>,
    /// Who was analysed (a response under the missing-data and intercurrent-event policies and
    /// every covariate) and who was not, per arm.
    pub attrition: Attrition,
    /// Each arm against the reference arm.
    pub comparisons: Vec<AdjustedArmComparison>,
}

/// Responders at `visit` under `rule`, each arm against the reference arm adjusted for
/// `covariates` by logistic regression, and stratified by `strata` (a factor) by
/// Cochran–Mantel–Haenszel.
///
/// A patient's response follows `options`: a surgery or rescue medication on or before the
/// visit is non-response under the composite strategy; a missed visit is non-response under
/// non-responder imputation, else the patient is left out. Patients missing a covariate or the
/// stratum are left out (complete cases), and counted.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for an unknown visit, reference arm or covariate, a stratifying
/// covariate that is not a factor, or `table` not from `cohort`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{adjusted_responders, Covariate, RuleChoice};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = pain_outcomes::data::CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let r = adjusted_responders(&cohort, &wide, RuleChoice::Immpact30, "month_12",
///     &[Covariate::Age, Covariate::Severity], Some(&Covariate::Site), &Default::default())?;
/// let prp = r.comparisons.iter().find(|c| c.arm == "prp").unwrap();
/// let fit = prp.logistic.computed().unwrap();
/// assert!(fit.marginal_risk_difference.is_some());
/// assert!(prp.stratified.as_ref().unwrap().computed().is_some());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn adjusted_responders(
    cohort: &Cohort,
    table: &WideTable,
    rule: RuleChoice,
    visit: &str,
    covariates: &[Covariate],
    strata: Option<&Covariate>,
    options: &ResponderAnalysisOptions,
) -> Result<AdjustedResponders> {
    let patients = cohort.patients();
    if table.patients.iter().any(|&p| p >= patients.len()) {
        return Err(Error::invalid_argument(
            "table",
            "does not come from this cohort",
        ));
    }
    check_covariates(covariates, patients)?;
    if let Some(s) = strata {
        check_covariates(std::slice::from_ref(s), patients)?;
        if !s.is_factor(patients) {
            return Err(Error::invalid_argument(
                "strata",
                format!(
                    "`{}` is not a factor (a text column, sex or site)",
                    s.name()
                ),
            ));
        }
    }
    let v = find_name("visit", visit, &table.visits)?;
    let reference = reference_arm(&table.arms, options.reference_arm.as_deref())?;
    let r = table.arms.iter().position(|a| *a == reference).unwrap_or(0);
    let responses = patient_responses(cohort, table, rule, v, options)?;

    // each patient's response and covariates, or the reason they are left out
    let mut attrition = Attrition::new(&table.arms);
    let mut rows: Vec<Row> = Vec::new();
    for (a, members) in members(table).iter().enumerate() {
        for &row in members {
            let Some(response) = responses.get(row).copied().flatten() else {
                attrition.exclude(a, ExclusionReason::NoFollowUp);
                continue;
            };
            let patient = &patients[table.patients[row]];
            let values: Option<Vec<(f64, String)>> =
                covariates.iter().map(|c| c.value(patient)).collect();
            let stratum = strata.map(|s| s.value(patient).map(|(_, l)| l));
            match (values, stratum) {
                (None, _) => attrition.exclude(a, ExclusionReason::MissingCovariate),
                (_, Some(None)) => attrition.exclude(a, ExclusionReason::MissingStratum),
                (Some(values), stratum) => {
                    attrition.analysed(a);
                    rows.push(Row {
                        arm: a,
                        response,
                        values,
                        stratum: stratum.flatten(),
                    });
                }
            }
        }
    }

    let mut comparisons = Vec::new();
    for (a, arm) in table.arms.iter().enumerate() {
        if a == r {
            continue;
        }
        let pair: Vec<&Row> = rows.iter().filter(|x| x.arm == a || x.arm == r).collect();
        comparisons.push(AdjustedArmComparison {
            arm: arm.clone(),
            logistic: logistic_of(&pair, a, covariates, patients, options)?,
            stratified: match strata {
                Some(_) => Some(cmh_of(&pair, a, options)?),
                None => None,
            },
        });
    }
    Ok(AdjustedResponders {
        instrument: table.instrument.code.clone(),
        visit: table.visits[v].clone(),
        rule: rule.label(),
        reference_arm: reference,
        covariates: covariates.to_vec(),
        strata: strata.cloned(),
        attrition,
        comparisons,
    })
}

/// Each table row's response at visit column `v` under `rule` and the options' intercurrent
/// strategy and missing-data policy (`None`: missing and not imputed).
pub(super) fn patient_responses(
    cohort: &Cohort,
    table: &WideTable,
    rule: RuleChoice,
    v: usize,
    options: &ResponderAnalysisOptions,
) -> Result<Vec<Option<bool>>> {
    let oriented = rule.rule(&table.instrument, cohort.common_condition())?;
    let (evals, flags) = evaluate_all(cohort, table, &oriented, &options.intercurrent_events);
    let nv = table.n_visits();
    Ok((0..table.n_patients())
        .map(|row| {
            let k = row * nv + v;
            match (flags.get(k).copied().unwrap_or(false), options.intercurrent) {
                (true, IntercurrentStrategy::NonResponse) => Some(false),
                _ => match (evals.get(k).and_then(|e| e.is_responder()), options.missing) {
                    (Some(x), _) => Some(x),
                    (None, MissingPolicy::NonResponderImputation) => Some(false),
                    (None, _) => None,
                },
            }
        })
        .collect())
}

/// One analysed patient.
struct Row {
    arm: usize,
    response: bool,
    values: Vec<(f64, String)>,
    stratum: Option<String>,
}

/// The logistic model of the pair `treated` vs the reference: `treated` indicator, then each
/// covariate's columns ([`Coding`]).
fn logistic_of(
    pair: &[&Row],
    treated: usize,
    covariates: &[Covariate],
    patients: &[crate::domain::Patient],
    options: &ResponderAnalysisOptions,
) -> Result<Outcome<LogisticFit>> {
    let y: Vec<bool> = pair.iter().map(|x| x.response).collect();
    let mut names = vec!["treated".to_string()];
    let mut columns = vec![
        pair.iter()
            .map(|x| f64::from(u8::from(x.arm == treated)))
            .collect::<Vec<f64>>(),
    ];
    for (j, c) in covariates.iter().enumerate() {
        let coding = Coding::of(c, patients, pair.iter().map(|x| x.values[j].1.as_str()));
        names.extend(coding.terms(c.name()));
        columns.extend(coding.columns(pair.iter().map(|x| Some(&x.values[j]))));
    }
    let design: Vec<(&str, &[f64])> = names
        .iter()
        .map(String::as_str)
        .zip(columns.iter().map(Vec::as_slice))
        .collect();
    let logistic_options = LogisticOptions::default()
        .with_confidence_level(options.confidence_level)
        .with_treatment("treated");
    logistic_regression(&y, &design, &logistic_options)
}

/// Cochran–Mantel–Haenszel across the strata of the pair `treated` vs the reference.
fn cmh_of(
    pair: &[&Row],
    treated: usize,
    options: &ResponderAnalysisOptions,
) -> Result<Outcome<Cmh>> {
    let mut strata: Vec<&str> = pair.iter().filter_map(|x| x.stratum.as_deref()).collect();
    strata.sort_unstable();
    strata.dedup();
    let tables: Vec<TwoByTwo> = strata
        .iter()
        .map(|s| {
            let count = |in_arm: bool| {
                let rows = pair
                    .iter()
                    .filter(|x| x.stratum.as_deref() == Some(*s) && (x.arm == treated) == in_arm);
                let (mut events, mut total) = (0, 0);
                for x in rows {
                    total += 1;
                    events += u64::from(x.response);
                }
                Proportion::new(events, total)
            };
            TwoByTwo::new(count(true), count(false))
        })
        .collect();
    let cmh_options = CmhOptions::default().with_confidence_level(options.confidence_level);
    cochran_mantel_haenszel(&tables, &cmh_options)
}
