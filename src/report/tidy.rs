//! Results as tidy tables: one row per estimate, stable column names, a `status` column that
//! says `computed` or the refusal's reason code (with its sentence in `detail`). A tidy table
//! becomes a polars `DataFrame` or a CSV file through [`TidyTable`].

use crate::analysis::{
    AdjustedResponders, AncovaAtVisit, CohortAncova, CohortMmrm, ContrastTable, ResponderTable,
    TimeToEventAnalysis, Trajectories,
};
use crate::data::{TidyColumn, TidyTable, TidyValues};
use crate::error::Result;
use crate::stats::ancova::AdjustedMean;
use crate::stats::describe::Describe;
use crate::stats::mmrm::LsMean;
use crate::stats::{ArmDifference, Estimate, FTest};
use crate::{Outcome, Refusal};

/// A result that has a tidy table.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::MmrmBuilder;
/// use pain_outcomes::report::Tidy;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let mmrm = MmrmBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
/// let table = mmrm.tidy()?;
/// assert_eq!(table.n_rows(), 25); // 5 arms against placebo × 5 visits
/// let df = table.to_dataframe()?;
/// assert!(df.get_column_names().iter().any(|c| c.as_str() == "p_value"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Tidy {
    /// The result's tidy table.
    ///
    /// # Errors
    ///
    /// None in practice; the table's constructor checks that its columns agree in length.
    fn tidy(&self) -> Result<TidyTable>;
}

/// Columns filled row by row.
#[derive(Default)]
struct Columns {
    columns: Vec<(String, TidyValues)>,
}

impl Columns {
    fn text(&mut self, name: &str, value: Option<String>) {
        match self.columns.iter_mut().find(|(n, _)| n == name) {
            Some((_, TidyValues::Text(v))) => v.push(value),
            _ => self
                .columns
                .push((name.to_string(), TidyValues::Text(vec![value]))),
        }
    }

    fn number(&mut self, name: &str, value: Option<f64>) {
        match self.columns.iter_mut().find(|(n, _)| n == name) {
            Some((_, TidyValues::Number(v))) => v.push(value),
            _ => self
                .columns
                .push((name.to_string(), TidyValues::Number(vec![value]))),
        }
    }

    /// `status` and `detail` of a row.
    fn status(&mut self, refusal: Option<&Refusal>) {
        self.text(
            "status",
            Some(refusal.map_or("computed", |r| r.reason.code()).to_string()),
        );
        self.text("detail", refusal.map(|r| r.detail.clone()));
    }

    fn table(self) -> Result<TidyTable> {
        TidyTable::new(
            self.columns
                .into_iter()
                .map(|(name, values)| TidyColumn { name, values })
                .collect(),
        )
    }
}

/// Estimate columns (`estimate, std_error, df, statistic, p_value, lower, upper`), empty when
/// refused.
fn estimate_columns(c: &mut Columns, e: Option<&crate::stats::Estimate>) {
    c.number("estimate", e.map(|e| e.estimate));
    c.number("std_error", e.map(|e| e.std_error));
    c.number("df", e.and_then(|e| e.df));
    c.number("statistic", e.map(|e| e.statistic));
    c.number("p_value", e.map(|e| e.p_value));
    c.number("lower", e.map(|e| e.confidence_interval.lower));
    c.number("upper", e.map(|e| e.confidence_interval.upper));
}

/// The differences from the reference arm, one row per arm and visit: `arm, reference, visit,
/// estimate, std_error, df, statistic, p_value, lower, upper, status, detail`.
impl Tidy for CohortMmrm {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for d in &self.differences {
            let computed = d.computed();
            c.text("arm", computed.map(|d| d.arm.clone()));
            c.text("reference", Some(self.reference_arm.clone()));
            c.text("visit", computed.and_then(|d| d.visit.clone()));
            estimate_columns(&mut c, computed.map(|d| &d.difference));
            c.status(d.refusal());
        }
        c.table()
    }
}

/// The differences from the reference arm at the visit, one row per arm: the columns of the
/// MMRM's table (`arm, reference, visit, estimate, …, status, detail`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::AncovaBuilder;
/// use pain_outcomes::report::Tidy;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let a = AncovaBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
/// assert_eq!(a.tidy()?.n_rows(), 5);
/// assert_eq!(a.model.lsmeans.tidy()?.n_rows(), 6);
/// assert_eq!(a.model.fit.coefficients.tidy()?.n_rows(), 7);
/// assert_eq!(a.model.type3.tidy()?.n_rows(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Tidy for CohortAncova {
    fn tidy(&self) -> Result<TidyTable> {
        self.model.tidy()
    }
}

/// The adjusted differences from the reference arm, one row per arm: `arm, reference, visit,
/// estimate, std_error, df, statistic, p_value, lower, upper, status, detail` (one refused row
/// when the model was refused).
impl Tidy for AncovaAtVisit {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        let rows: Vec<Option<&ArmDifference>> = match &self.ancova {
            Outcome::Computed(a) => a.differences.iter().map(Some).collect(),
            Outcome::Refused(_) => vec![None],
        };
        for d in rows {
            c.text("arm", d.map(|d| d.arm.clone()));
            c.text("reference", Some(self.reference_arm.clone()));
            c.text("visit", Some(self.visit.clone()));
            estimate_columns(&mut c, d.map(|d| &d.difference));
            c.status(self.ancova.refusal());
        }
        c.table()
    }
}

/// One row per contrast and visit: `contrast, visit, estimate, std_error, df, statistic,
/// p_value, lower, upper, adjusted_p_value, simultaneous_lower, simultaneous_upper,
/// multiplicity, status, detail`.
impl Tidy for ContrastTable {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for r in &self.rows {
            c.text("contrast", Some(r.contrast.clone()));
            c.text("visit", Some(r.visit.clone()));
            estimate_columns(&mut c, r.estimate.computed());
            c.number("adjusted_p_value", r.adjusted_p_value);
            c.number(
                "simultaneous_lower",
                r.simultaneous_interval.map(|i| i.lower),
            );
            c.number(
                "simultaneous_upper",
                r.simultaneous_interval.map(|i| i.upper),
            );
            c.text("multiplicity", Some(self.method.clone()));
            c.status(r.estimate.refusal());
        }
        c.table()
    }
}

/// One row per LS-mean: a column per factor of the cell (`arm`, `visit`, …), then
/// `estimate, std_error, df, statistic, p_value, lower, upper, status, detail`.
impl Tidy for [LsMean] {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for l in self {
            for (factor, level) in &l.cell {
                c.text(factor, Some(level.clone()));
            }
            estimate_columns(&mut c, l.estimate.computed());
            c.status(l.estimate.refusal());
        }
        c.table()
    }
}

/// One row per ANCOVA adjusted mean: `arm, n, estimate, std_error, df, statistic, p_value,
/// lower, upper`.
impl Tidy for [AdjustedMean] {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for m in self {
            c.text("arm", Some(m.arm.clone()));
            c.number("n", Some(m.n as f64));
            estimate_columns(&mut c, Some(&m.mean));
        }
        c.table()
    }
}

/// One row per estimate (for example a model's coefficients): `term, estimate, std_error, df,
/// statistic, p_value, lower, upper`.
impl Tidy for [Estimate] {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for e in self {
            c.text("term", Some(e.label.clone()));
            estimate_columns(&mut c, Some(e));
        }
        c.table()
    }
}

/// One row per F test (for example a model's Type III tests): `term, df_numerator,
/// df_denominator, statistic, p_value, status, detail`.
impl Tidy for [Outcome<FTest>] {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for t in self {
            let f = t.computed();
            c.text("term", f.map(|f| f.label.clone()));
            c.number("df_numerator", f.map(|f| f.df_numerator));
            c.number("df_denominator", f.map(|f| f.df_denominator));
            c.number("statistic", f.map(|f| f.statistic));
            c.number("p_value", f.map(|f| f.p_value));
            c.status(t.refusal());
        }
        c.table()
    }
}

/// One row per arm and visit: `arm, visit, responders, analysed, rate, rate_lower,
/// rate_upper, risk_difference, rd_lower, rd_upper, relative_risk, odds_ratio, nnt, nnt_kind (NNTB or NNTH), nnt_interval, fisher_p,
/// status, detail` (the comparison columns empty for the reference arm).
impl Tidy for ResponderTable {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for cell in &self.cells {
            c.text("arm", Some(cell.arm.clone()));
            c.text("visit", Some(cell.visit.clone()));
            c.number("responders", Some(cell.counts.responders as f64));
            c.number("analysed", Some(cell.counts.analysed as f64));
            let rate = cell.rate.computed();
            c.number("rate", rate.map(|r| r.rate));
            c.number("rate_lower", rate.map(|r| r.confidence_interval.lower));
            c.number("rate_upper", rate.map(|r| r.confidence_interval.upper));
            let v = cell.versus_reference.as_ref().and_then(Outcome::computed);
            c.number("risk_difference", v.map(|v| v.risk_difference));
            c.number("rd_lower", v.map(|v| v.risk_difference_interval.lower));
            c.number("rd_upper", v.map(|v| v.risk_difference_interval.upper));
            c.number(
                "relative_risk",
                v.and_then(|v| v.relative_risk.computed().map(|r| r.estimate)),
            );
            c.number(
                "odds_ratio",
                v.and_then(|v| v.odds_ratio.computed().map(|r| r.estimate)),
            );
            let nnt = v.and_then(|v| v.number_needed_to_treat.computed());
            c.number("nnt", nnt.map(|n| n.nnt));
            c.text("nnt_kind", nnt.map(|n| n.kind().to_string()));
            c.text("nnt_interval", nnt.map(|n| n.interval.to_string()));
            c.number("fisher_p", v.map(|v| v.fisher_p_value));
            let refusal = cell
                .rate
                .refusal()
                .or(cell.versus_reference.as_ref().and_then(Outcome::refusal));
            c.status(refusal);
        }
        c.table()
    }
}

/// One row per arm and visit: `arm, visit, day`, then `n, mean, std_dev, lower, upper` of the
/// score and `change_n, change_mean, change_std_dev, change_lower, change_upper` (empty on the
/// baseline row), `status, detail`.
impl Tidy for Trajectories {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        let describe = |c: &mut Columns, prefix: &str, d: Option<&Describe>| {
            c.number(&format!("{prefix}n"), d.map(|d| d.n as f64));
            c.number(&format!("{prefix}mean"), d.map(|d| d.mean));
            c.number(&format!("{prefix}std_dev"), d.map(|d| d.std_dev));
            c.number(
                &format!("{prefix}lower"),
                d.map(|d| d.confidence_interval.lower),
            );
            c.number(
                &format!("{prefix}upper"),
                d.map(|d| d.confidence_interval.upper),
            );
        };
        for r in &self.rows {
            c.text("arm", Some(r.arm.clone()));
            c.text("visit", Some(r.visit.clone()));
            c.number("day", Some(r.day));
            describe(&mut c, "", r.score.computed());
            describe(
                &mut c,
                "change_",
                r.change.as_ref().and_then(Outcome::computed),
            );
            c.status(r.score.refusal());
        }
        c.table()
    }
}

/// One row per arm: `arm, n, events, median, median_lower, median_upper, rmst, rmst_std_error,
/// hazard_ratio, hr_lower, hr_upper, hr_p_value, status, detail` (the hazard-ratio columns
/// empty for the reference arm).
impl Tidy for TimeToEventAnalysis {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for a in &self.arms {
            c.text("arm", Some(a.arm.clone()));
            c.number("n", Some(a.n as f64));
            c.number("events", Some(a.follow_up.total_events() as f64));
            let km = a.kaplan_meier.computed();
            c.number("median", km.and_then(|k| k.median.estimate));
            c.number("median_lower", km.and_then(|k| k.median.lower));
            c.number("median_upper", km.and_then(|k| k.median.upper));
            let rmst = a.rmst.as_ref().and_then(Outcome::computed);
            c.number("rmst", rmst.map(|r| r.estimate));
            c.number("rmst_std_error", rmst.map(|r| r.std_error));
            let hr = self.hazard_ratio(&a.arm);
            c.number("hazard_ratio", hr.map(|h| h.hazard_ratio));
            c.number("hr_lower", hr.map(|h| h.confidence_interval.lower));
            c.number("hr_upper", hr.map(|h| h.confidence_interval.upper));
            c.number("hr_p_value", hr.map(|h| h.p_value));
            c.status(a.kaplan_meier.refusal());
        }
        c.table()
    }
}

/// One row per arm against the reference: `arm, reference, odds_ratio, or_lower, or_upper,
/// profile_lower, profile_upper, risk_difference, rd_lower, rd_upper, p_value, status,
/// detail` (the logistic model's treatment term).
impl Tidy for AdjustedResponders {
    fn tidy(&self) -> Result<TidyTable> {
        let mut c = Columns::default();
        for comparison in &self.comparisons {
            let fit = comparison.logistic.computed();
            let term = fit.and_then(|f| f.coefficient("treated"));
            let profile =
                fit.and_then(|f| f.profile_intervals.iter().find(|p| p.label == "treated"));
            let rd = fit.and_then(|f| f.marginal_risk_difference.as_ref());
            c.text("arm", Some(comparison.arm.clone()));
            c.text("reference", Some(self.reference_arm.clone()));
            c.number("odds_ratio", term.map(|t| t.estimate.exp()));
            c.number("or_lower", term.map(|t| t.confidence_interval.lower.exp()));
            c.number("or_upper", term.map(|t| t.confidence_interval.upper.exp()));
            c.number("profile_lower", profile.and_then(|p| p.lower).map(f64::exp));
            c.number("profile_upper", profile.and_then(|p| p.upper).map(f64::exp));
            c.number("risk_difference", rd.map(|r| r.difference.estimate));
            c.number(
                "rd_lower",
                rd.map(|r| r.difference.confidence_interval.lower),
            );
            c.number(
                "rd_upper",
                rd.map(|r| r.difference.confidence_interval.upper),
            );
            c.number("p_value", term.map(|t| t.p_value));
            c.status(comparison.logistic.refusal());
        }
        c.table()
    }
}
