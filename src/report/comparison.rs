//! The report of a therapy comparison: what `results.json` holds, the one-screen summary and
//! the full document.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::document::{Provenance, Report, Section};
use super::figure::Figure;
use super::figures::{
    IndividualSample, hazard_ratio_forest, kaplan_meier_figure, lsmean_differences_figure,
    responder_figure, trajectory_figure,
};
use super::tables::format;
use super::tables::{
    Column, Table, adverse_events, baseline_characteristics, outcomes_by_visit, participant_flow,
    responder_table, time_to_event_table,
};
use crate::Outcome;
use crate::analysis::{
    BaselineBalance, RegistryOptions, TherapyComparison, TherapyComparisonOptions,
    baseline_balance, compare_therapies,
};
use crate::data::Cohort;
use crate::domain::EventKind;
use crate::error::Result;

/// Standardised mean differences above this flag imbalance in the baseline-balance table.
const SMD_THRESHOLD: f64 = 0.1;

/// The results of a therapy comparison as `results.json` holds them: the comparison, the
/// arms' baseline balance and where the numbers came from. It reads back with
/// `serde_json::from_str` into an equal value (an MMRM fit read back carries no inference
/// state: its stored tables are complete, new contrasts need a new fit).
///
/// `Display` prints every table (the baseline balance, then the comparison).
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::TherapyComparisonOptions;
/// use pain_outcomes::report::{ComparisonResults, Provenance};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let r = ComparisonResults::new(&cohort, &TherapyComparisonOptions::default(), Provenance::new())?;
/// let json = pain_outcomes::report::to_json(&r)?;
/// let back: ComparisonResults = serde_json::from_str(&json)?;
/// assert_eq!(pain_outcomes::report::to_json(&back)?, json);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComparisonResults {
    /// The comparison (its fields sit at the top level of the JSON).
    #[serde(flatten)]
    pub comparison: TherapyComparison,
    /// Baseline balance of the arms against the reference arm (standardised mean
    /// differences of the usual covariates and the baseline score).
    pub baseline_balance: BaselineBalance,
    /// Data files, options and crate version.
    pub provenance: Provenance,
}

impl ComparisonResults {
    /// Runs [`compare_therapies`] and the baseline balance of the arms
    /// ([`baseline_balance`]) on `cohort`.
    ///
    /// # Errors
    ///
    /// As [`compare_therapies`] and [`baseline_balance`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TherapyComparisonOptions;
    /// use pain_outcomes::report::{ComparisonResults, Provenance};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let r = ComparisonResults::new(&cohort, &TherapyComparisonOptions::default(), Provenance::new())?;
    /// assert_eq!(r.baseline_balance.reference_arm, "placebo");
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn new(
        cohort: &Cohort,
        options: &TherapyComparisonOptions,
        provenance: Provenance,
    ) -> Result<Self> {
        let comparison = compare_therapies(cohort, options)?;
        let wide = cohort.wide(&comparison.instrument)?;
        let covariates = RegistryOptions::new("", "").covariates;
        let balance = baseline_balance(
            cohort,
            &wide,
            &covariates,
            Some(&comparison.reference_arm),
            SMD_THRESHOLD,
        )?;
        Ok(ComparisonResults {
            comparison,
            baseline_balance: balance,
            provenance,
        })
    }

    /// The one-screen summary: arms and attrition (enrolled, analysed in the MMRM, withdrew,
    /// surgery), then against the reference arm at the last visit the MMRM difference, the
    /// responders of the first rule with the risk difference and NNT, and the hazard ratio
    /// of surgery. `cohort` is the cohort the results came from (for the withdrawals).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::TherapyComparisonOptions;
    /// use pain_outcomes::data::{CsvFiles, read_csv_files};
    /// use pain_outcomes::report::{ComparisonResults, Provenance};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
    /// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
    ///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
    /// let cohort = read_csv_files(&files, &Default::default())?.cohort;
    /// let r = ComparisonResults::new(&cohort, &TherapyComparisonOptions::default(), Provenance::new())?;
    /// let s = r.summary(&cohort);
    /// assert!(s.lines().count() < 40);
    /// assert!(s.contains("month_12"));
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn summary(&self, cohort: &Cohort) -> String {
        let c = &self.comparison;
        let mut s = format!(
            "{} compared across {} arms ({}); reference arm {}\n\n",
            c.instrument,
            c.patients_per_arm.len(),
            c.arms_by.describe(),
            c.reference_arm
        );
        for t in summary_tables(self, cohort) {
            s.push_str(&t.to_text());
            s.push('\n');
        }
        s
    }
}

impl fmt::Display for ComparisonResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.baseline_balance, self.comparison)
    }
}

/// The last visit of the comparison (of the MMRM when fitted, else of the trajectories).
fn last_visit(c: &TherapyComparison) -> Option<String> {
    match &c.mmrm {
        Outcome::Computed(m) => m.visits.last().cloned(),
        Outcome::Refused(_) => c.trajectories.rows.last().map(|r| r.visit.clone()),
    }
}

/// The summary's two tables: arms and attrition; effects at the last visit.
fn summary_tables(r: &ComparisonResults, cohort: &Cohort) -> Vec<Table> {
    let c = &r.comparison;
    let arms: Vec<&str> = c.patients_per_arm.iter().map(|(a, _)| a.as_str()).collect();
    let mut attrition = Table::new(
        "summary_arms",
        "Arms, attrition and time to surgery",
        vec![
            Column::text("arm", "arm"),
            Column::number("enrolled", "enrolled"),
            Column::number("analysed", "analysed"),
            Column::number("withdrew", "withdrew"),
            Column::number("surgery", "surgery"),
            Column::number(
                "surgery_hazard_ratio_ci",
                format!("surgery HR vs {} [95% CI]", c.reference_arm),
            ),
        ],
    );
    attrition.caption = "analysed = in the MMRM; withdrew, surgery = patients with the event; \
        HR from the Cox model of time to surgery."
        .to_string();
    let surgery_table = c.time_to_surgery.as_ref().map(time_to_event_table);
    let withdrew = patients_with(cohort, EventKind::Withdrawal);
    let surgery = patients_with(cohort, EventKind::Surgery);
    for (arm, n) in &c.patients_per_arm {
        let analysed = match &c.mmrm {
            Outcome::Computed(m) => m
                .attrition
                .arm(arm)
                .map_or_else(|| "0".to_string(), |a| a.analysed.to_string()),
            Outcome::Refused(_) => "MMRM refused".to_string(),
        };
        let k = cohort.arm_index(arm);
        let count = |v: &[usize]| k.and_then(|k| v.get(k)).copied().unwrap_or(0).to_string();
        attrition.push_row(vec![
            arm.clone(),
            n.to_string(),
            analysed,
            count(&withdrew),
            count(&surgery),
            surgery_table
                .as_ref()
                .map_or(String::new(), |t| lookup(t, arm, None, "hazard_ratio_ci")),
        ]);
    }
    let visit = last_visit(c).unwrap_or_default();
    let rule = c.responders.first();
    let mut effects = Table::new(
        "summary_effects",
        format!("Versus {} at {visit}", c.reference_arm),
        vec![
            Column::text("arm", "arm"),
            Column::number("difference_ci", "MMRM difference [95% CI]"),
            Column::number("p_value", "p"),
            Column::number("responders", "responders"),
            Column::number("risk_difference_ci", "RD [95% CI]"),
            Column::number("nnt", "NNT"),
        ],
    );
    effects.caption = format!(
        "Change from baseline in {}: MMRM difference; responders by {} with the risk \
         difference (RD) and the number needed to treat (NNT).",
        c.instrument,
        rule.map_or("no rule", |t| t.rule.as_str())
    );
    let outcomes = outcomes_by_visit(c);
    let responders = rule.map(responder_table);
    for arm in &arms {
        let v = Some(visit.as_str());
        let resp = |col: &str| {
            responders
                .as_ref()
                .map_or(String::new(), |t| lookup(t, arm, v, col))
        };
        let nnt = resp("nnt_ci");
        // the NNT without its interval keeps the summary narrow; the report has the interval
        let nnt = nnt
            .split(" [")
            .next()
            .unwrap_or("")
            .split(" (")
            .next()
            .unwrap_or("");
        effects.push_row(vec![
            arm.to_string(),
            lookup(&outcomes, arm, v, "difference_ci"),
            lookup(&outcomes, arm, v, "p_value"),
            resp("responders"),
            resp("risk_difference_ci"),
            nnt.to_string(),
        ]);
    }
    effects.footnotes.push(format!(
        "Differences are arm minus {}; the full tables: --verbose, --json or the report (--out).",
        c.reference_arm
    ));
    let mut tables = vec![attrition, effects];
    tables.extend(ancova_table(c));
    tables
}

/// The ANCOVA at the last visit: the overall F test of arm in the caption, each arm against
/// the reference with Dunnett's adjusted p-value and simultaneous interval.
fn ancova_table(c: &TherapyComparison) -> Option<Table> {
    let Outcome::Computed(fit) = &c.ancova_last_visit.ancova else {
        return None;
    };
    let Outcome::Computed(dunnett) = &c.ancova_dunnett else {
        return None;
    };
    let level = dunnett
        .rows
        .iter()
        .find_map(|r| r.estimate.computed())
        .map_or(0.95, |e| e.confidence_interval.level);
    let mut t = Table::new(
        "summary_ancova",
        format!(
            "ANCOVA at {}: score ~ arm + baseline, vs {}",
            c.ancova_last_visit.visit, c.reference_arm
        ),
        vec![
            Column::text("arm", "arm"),
            Column::number(
                "difference_ci",
                format!("difference [{:.0}% CI]", level * 100.0),
            ),
            Column::number("adjusted_p_value", "Dunnett p"),
            Column::number(
                "simultaneous_ci",
                format!("{:.0}% simultaneous CI", level * 100.0),
            ),
        ],
    );
    let test = &fit.arm_test;
    t.caption = format!(
        "Overall test of arm: F({}, {}) = {:.3}, p {}. {}; p-values and intervals adjusted \
         over the {} comparisons with {}.",
        test.df_numerator,
        test.df_denominator,
        test.statistic,
        match format::p_value(test.p_value) {
            p if p.starts_with('<') => p,
            p => format!("= {p}"),
        },
        dunnett.method,
        dunnett.rows.len(),
        c.reference_arm
    );
    for r in &dunnett.rows {
        let arm = r
            .contrast
            .strip_suffix(&format!(" - {}", c.reference_arm))
            .unwrap_or(&r.contrast)
            .to_string();
        let (difference, p, simultaneous) = match &r.estimate {
            Outcome::Computed(e) => (
                format::estimate_ci(e, 2),
                r.adjusted_p_value.map_or(String::new(), format::p_value),
                r.simultaneous_interval
                    .map_or(String::new(), |ci| format::interval(&ci, 2)),
            ),
            Outcome::Refused(x) => (format::refused(x), String::new(), String::new()),
        };
        t.push_row(vec![arm, difference, p, simultaneous]);
    }
    Some(t)
}

/// The cell `col` of the row of `arm` (at `visit`, when given) of `t`; empty when absent.
fn lookup(t: &Table, arm: &str, visit: Option<&str>, col: &str) -> String {
    (0..t.rows.len())
        .find(|&i| {
            t.cell(i, "arm") == Some(arm) && visit.is_none_or(|v| t.cell(i, "visit") == Some(v))
        })
        .and_then(|i| t.cell(i, col))
        .unwrap_or("")
        .to_string()
}

/// Patients per arm with at least one event of `kind`.
fn patients_with(cohort: &Cohort, kind: EventKind) -> Vec<usize> {
    let mut counts = vec![0usize; cohort.arms().len()];
    for (p, &a) in cohort.arm_of().iter().enumerate() {
        if cohort.patient_events(p).iter().any(|e| e.kind == kind)
            && let Some(c) = counts.get_mut(a as usize)
        {
            *c += 1;
        }
    }
    counts
}

/// The report of a therapy comparison, section by section in the order of the CONSORT items:
/// summary, participant flow (items 13, 16), baseline characteristics (15) and balance,
/// outcomes by visit with the MMRM (17a), responders (17b), time to surgery, adverse events
/// (19), the figures given, and the full model output; the provenance of `results`.
///
/// `cohort` is the cohort the results came from; `figures` are placed in their own section
/// in the order given.
///
/// # Errors
///
/// As [`baseline_characteristics`] and [`participant_flow`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::TherapyComparisonOptions;
/// use pain_outcomes::data::{CsvFiles, read_csv_files};
/// use pain_outcomes::report::{ComparisonResults, Figure, Provenance, comparison_report};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let r = ComparisonResults::new(&cohort, &TherapyComparisonOptions::default(), Provenance::new())?;
/// let fig = Figure::new("dot", "A dot", "<svg viewBox=\"0 0 2 2\"><circle cx=\"1\" cy=\"1\" r=\"1\"/></svg>");
/// let report = comparison_report(&r, &cohort, vec![fig])?;
/// assert!(report.tables().any(|t| t.id == "adverse_events"));
/// assert!(report.to_html().contains("<circle"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn comparison_report(
    results: &ComparisonResults,
    cohort: &Cohort,
    figures: Vec<Figure>,
) -> Result<Report> {
    let c = &results.comparison;
    let primary = c.mmrm.computed().map(|m| &m.attrition);
    let mut summary = Section::new("summary", "Summary").with_text(format!(
        "{} compared across {} arms ({}), every arm against {}; {} patients.",
        c.instrument,
        c.patients_per_arm.len(),
        c.arms_by.describe(),
        c.reference_arm,
        cohort.n_patients()
    ));
    for t in summary_tables(results, cohort) {
        summary = summary.with_table(t);
    }
    let mut responders = Section::new("responders", "Responders");
    for t in &c.responders {
        responders = responders.with_table(responder_table(t));
    }
    let mut outcomes = Section::new("outcomes", "Outcomes by visit")
        .with_table(outcomes_by_visit(c))
        .with_preformatted(c.ancova_last_visit.to_string());
    if let Some(contrasts) = &c.contrasts {
        outcomes = outcomes.with_preformatted(contrasts.to_string());
    }
    let mut report = Report::new(format!("Comparison of therapies on {}", c.instrument))
        .with_provenance(results.provenance.clone())
        .with_section(summary)
        .with_section(
            Section::new("participant_flow", "Participant flow").with_table(participant_flow(
                cohort,
                &c.instrument,
                primary,
            )?),
        )
        .with_section(
            Section::new("baseline", "Baseline characteristics")
                .with_table(baseline_characteristics(cohort)?)
                .with_preformatted(results.baseline_balance.to_string()),
        )
        .with_section(outcomes)
        .with_section(responders);
    if let Some(t) = &c.time_to_surgery {
        report = report.with_section(
            Section::new("time_to_surgery", "Time to surgery").with_table(time_to_event_table(t)),
        );
    }
    report = report
        .with_section(Section::new("harms", "Adverse events").with_table(adverse_events(cohort)));
    if !figures.is_empty() {
        let mut section = Section::new("figures", "Figures");
        for f in figures {
            section = section.with_figure(f);
        }
        report = report.with_section(section);
    }
    let model = match &c.mmrm {
        Outcome::Computed(m) => m.to_string(),
        Outcome::Refused(r) => format!("MMRM: {r}"),
    };
    Ok(report.with_section(Section::new("model", "Model details").with_preformatted(model)))
}

/// The figures of a comparison, in reading order: the mean trajectories by arm with a sample
/// of patients (from `cohort`), the MMRM LS-mean differences by visit, the responder rates of
/// each responder definition, and the Kaplan–Meier curves and hazard ratios of time to surgery.
/// A figure with nothing to draw (a refused MMRM, no surgery data) is left out; what was left
/// out and why is in the report's tables.
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `cohort` has no rows of the
/// comparison's instrument (a cohort other than the one the results came from).
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::TherapyComparisonOptions;
/// use pain_outcomes::report::{ComparisonResults, Provenance, comparison_figures};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let events = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial_events.csv");
/// let files = pain_outcomes::data::CsvFiles::new(path).with_events(events);
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let r = ComparisonResults::new(&cohort, &TherapyComparisonOptions::default(), Provenance::new())?;
/// let figures = comparison_figures(&r, &cohort)?;
/// assert!(figures.iter().any(|f| f.id.starts_with("trajectory")));
/// assert!(figures.iter().any(|f| f.id.starts_with("kaplan_meier")));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn comparison_figures(results: &ComparisonResults, cohort: &Cohort) -> Result<Vec<Figure>> {
    let c = &results.comparison;
    let wide = cohort.wide(&c.instrument)?;
    let mut figures = Vec::new();
    let mut keep = |figure: Outcome<Figure>| {
        if let Outcome::Computed(f) = figure {
            figures.push(f);
        }
    };
    keep(trajectory_figure(
        &c.trajectories,
        Some(IndividualSample::new(&wide)),
    )?);
    if let Outcome::Computed(mmrm) = &c.mmrm {
        keep(lsmean_differences_figure(mmrm));
    }
    for table in &c.responders {
        keep(responder_figure(table));
    }
    if let Some(t) = &c.time_to_surgery {
        keep(kaplan_meier_figure(t));
        keep(hazard_ratio_forest(t));
    }
    Ok(figures)
}
