//! Meta-analysis of a studies file: effect sizes of every comparison that has the data the
//! measure needs, the pooled estimate with its heterogeneity, the Q-profile interval of τ²,
//! leave-one-out estimates, Egger's test, the funnel table, and optionally subgroups by a
//! categorical column and a meta-regression on a numeric one.

use crate::Outcome;
use crate::data::{StudiesTable, Study};
use crate::error::Result;
use crate::stats::meta::{
    ContinuousSummary, EffectMeasure, EffectSize, EggerTest, FunnelPoint, MetaFit, MetaOptions,
    MetaRegression, TauSquaredInterval, binary_effect, continuous_effect, egger_test, funnel_table,
    leave_one_out, meta_analysis as pool, meta_regression, pool_subgroups, tau_squared_interval,
};
use crate::stats::{Proportion, RefusalReason, TwoByTwo, refuse};

/// Options of [`meta_analysis`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::MetaAnalysisOptions;
/// use pain_outcomes::stats::meta::{EffectMeasure, MetaMethod, MetaOptions};
/// let o = MetaAnalysisOptions::new(EffectMeasure::LogOddsRatio)
///     .with_model(MetaOptions::default().with_method(MetaMethod::DerSimonianLaird))
///     .with_subgroups("condition")
///     .with_regression("follow_up_days");
/// assert_eq!(o.subgroups.as_deref(), Some("condition"));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct MetaAnalysisOptions {
    /// The effect measure (default the mean difference).
    pub measure: EffectMeasure,
    /// Method, inference, level and iteration limits of every model.
    pub model: MetaOptions,
    /// A categorical column to form subgroups by (`None`: no subgroup analysis).
    pub subgroups: Option<String>,
    /// A numeric column to regress the effects on (`None`: no meta-regression).
    pub regression: Option<String>,
}

impl Default for MetaAnalysisOptions {
    fn default() -> Self {
        MetaAnalysisOptions::new(EffectMeasure::default())
    }
}

impl MetaAnalysisOptions {
    /// Options for `measure`, REML random effects, normal inference, 95 % intervals.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::MetaAnalysisOptions;
    /// use pain_outcomes::stats::meta::{EffectMeasure, MetaMethod};
    /// let o = MetaAnalysisOptions::new(EffectMeasure::LogRiskRatio);
    /// assert_eq!(o.model.method, MetaMethod::Reml);
    /// assert!(o.subgroups.is_none() && o.regression.is_none());
    /// ```
    pub fn new(measure: EffectMeasure) -> Self {
        MetaAnalysisOptions {
            measure,
            model: MetaOptions::default(),
            subgroups: None,
            regression: None,
        }
    }

    /// Sets the model options.
    pub fn with_model(mut self, model: MetaOptions) -> Self {
        self.model = model;
        self
    }

    /// Forms subgroups by `column`.
    pub fn with_subgroups(mut self, column: impl Into<String>) -> Self {
        self.subgroups = Some(column.into());
        self
    }

    /// Regresses the effects on the numeric `column`.
    pub fn with_regression(mut self, column: impl Into<String>) -> Self {
        self.regression = Some(column.into());
        self
    }
}

/// One analysed comparison: its effect size, variance and weight in the pooled estimate.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let m = meta_analysis(&table, &MetaAnalysisOptions::new(EffectMeasure::LogRiskRatio))?;
/// assert!(m.studies[2].effect.zero_cell_corrected); // C has no control event
/// let total: f64 = m.studies.iter().filter_map(|s| s.weight).sum();
/// assert!((total - 100.0).abs() < 1e-9);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StudyEffect {
    /// The study label.
    pub study: String,
    /// Its line in the studies file.
    pub line: u64,
    /// The effect size (a log ratio for RR and OR) and its sampling variance.
    pub effect: EffectSize,
    /// Its percent weight in the pooled estimate (`None` when the pooled fit is refused).
    pub weight: Option<f64>,
}

/// A comparison left out of the analysis, and why.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let m = meta_analysis(&table, &MetaAnalysisOptions::default())?; // mean difference
/// assert_eq!(m.excluded.len(), 4); // counts only
/// assert!(m.excluded[0].reason.contains("no means"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExcludedStudy {
    /// The study label.
    pub study: String,
    /// Its line in the studies file.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// The pooled estimate without one study.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let m = meta_analysis(&table, &MetaAnalysisOptions::new(EffectMeasure::LogOddsRatio))?;
/// assert_eq!(m.leave_one_out[3].study, "D");
/// assert_eq!(m.leave_one_out[3].fit.computed().unwrap().k, 3);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    /// The omitted study.
    pub study: String,
    /// The fit of the others.
    pub fit: Outcome<MetaFit>,
}

/// One study of the funnel-plot table.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let m = meta_analysis(&table, &MetaAnalysisOptions::new(EffectMeasure::LogOddsRatio))?;
/// assert_eq!(m.funnel.len(), 4);
/// assert!(m.funnel[0].point.lower < m.funnel[0].point.upper);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunnelRow {
    /// The study.
    pub study: String,
    /// Its effect, standard error and the pseudo-confidence limits around the pooled estimate.
    #[serde(flatten)]
    pub point: FunnelPoint,
}

/// The pooled estimate of one subgroup.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let o = MetaAnalysisOptions::new(EffectMeasure::LogOddsRatio).with_subgroups("design");
/// let s = meta_analysis(&table, &o)?.subgroups.unwrap();
/// assert_eq!(s.subgroups[1].label, "pilot");
/// assert_eq!(s.subgroups[1].studies, vec!["C".to_string(), "D".to_string()]);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaSubgroupEstimate {
    /// The value of the grouping column.
    pub label: String,
    /// Its studies.
    pub studies: Vec<String>,
    /// Its fit (refused, for random effects, with a single study).
    pub fit: Outcome<MetaFit>,
}

/// Subgroups by a categorical column and the test of their differences.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let o = MetaAnalysisOptions::new(EffectMeasure::LogOddsRatio).with_subgroups("design");
/// let s = meta_analysis(&table, &o)?.subgroups.unwrap();
/// let qm = &s.between.computed().unwrap().moderator_test;
/// assert_eq!(qm.df_numerator(), 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaSubgroups {
    /// The grouping column.
    pub by: String,
    /// One entry per value, in sorted order.
    pub subgroups: Vec<MetaSubgroupEstimate>,
    /// The mixed-effects meta-regression on the subgroup indicators; its `moderator_test` is
    /// the test of subgroup differences (QM).
    pub between: Outcome<MetaRegression>,
    /// Studies without a value of the grouping column (left out of the subgroup analysis).
    pub missing: Vec<String>,
}

/// A meta-regression on a numeric column.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// let csv = "study,n_treated,mean_treated,sd_treated,n_control,mean_control,sd_control,follow_up_days\n\
///            A,30,40,15,30,48,16,90\nB,40,38,14,41,50,15,180\nC,25,45,18,24,47,17,\nD,50,36,15,52,49,16,365\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let m = meta_analysis(&table, &MetaAnalysisOptions::default().with_regression("follow_up_days"))?;
/// let r = m.regression.unwrap();
/// assert_eq!(r.missing, vec!["C".to_string()]);
/// assert_eq!(r.fit.computed().unwrap().coefficients.len(), 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaRegressionOn {
    /// The moderator column.
    pub moderator: String,
    /// The fit.
    pub fit: Outcome<MetaRegression>,
    /// Studies without a value of the moderator (left out of the regression).
    pub missing: Vec<String>,
}

/// The result of [`meta_analysis`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let csv = "study,events_treated,n_treated,events_control,n_control,design\n\
///            A,10,40,5,40,parallel\nB,12,50,9,48,parallel\nC,4,20,0,20,pilot\nD,9,30,6,31,pilot\n";
/// let table = pain_outcomes::data::read_studies_str(csv, "mem.csv")?;
/// let m = meta_analysis(&table, &MetaAnalysisOptions::new(EffectMeasure::LogRiskRatio))?;
/// assert_eq!(m.effects().len(), m.variances().len());
/// assert!(m.tau_squared_interval.computed().is_some());
/// assert!(m.egger.computed().is_some());
/// let json = pain_outcomes::report::to_json(&m)?;
/// assert!(json.contains("\"leave_one_out\""));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetaAnalysis {
    /// The studies file.
    pub file: String,
    /// The effect measure.
    pub measure: EffectMeasure,
    /// The model options.
    pub options: MetaOptions,
    /// The analysed comparisons, in file order.
    pub studies: Vec<StudyEffect>,
    /// The comparisons left out (no data for the measure, or an effect size that cannot be
    /// computed).
    pub excluded: Vec<ExcludedStudy>,
    /// The pooled estimate.
    pub pooled: Outcome<MetaFit>,
    /// The Q-profile interval of τ² (refused for the fixed-effect model).
    pub tau_squared_interval: Outcome<TauSquaredInterval>,
    /// The pooled estimate without each study in turn.
    pub leave_one_out: Vec<LeftOut>,
    /// Egger's regression test.
    pub egger: Outcome<EggerTest>,
    /// The funnel-plot table (around the pooled estimate; empty when it is refused).
    pub funnel: Vec<FunnelRow>,
    /// Subgroups, when asked.
    pub subgroups: Option<MetaSubgroups>,
    /// The meta-regression, when asked.
    pub regression: Option<MetaRegressionOn>,
}

impl MetaAnalysis {
    /// The effects of the analysed studies (see the example of [`MetaAnalysis`]).
    pub fn effects(&self) -> Vec<f64> {
        self.studies.iter().map(|s| s.effect.estimate).collect()
    }

    /// The sampling variances of the analysed studies (see the example of [`MetaAnalysis`]).
    pub fn variances(&self) -> Vec<f64> {
        self.studies.iter().map(|s| s.effect.variance).collect()
    }
}

/// The effect size of one row for `measure`, or why there is none.
fn study_effect(
    study: &Study,
    measure: EffectMeasure,
) -> Result<std::result::Result<EffectSize, String>> {
    let outcome = if measure.is_binary() {
        let Some((t, c)) = study.binary else {
            return Ok(Err(format!("no event counts for the {measure}")));
        };
        let table = TwoByTwo::new(
            Proportion::new(t.events, t.n),
            Proportion::new(c.events, c.n),
        );
        binary_effect(measure, &table)?
    } else {
        let Some((t, c)) = study.continuous else {
            return Ok(Err(format!("no means and SDs for the {measure}")));
        };
        let summary = ContinuousSummary::new((t.n, t.mean, t.sd), (c.n, c.mean, c.sd));
        continuous_effect(measure, &summary)?
    };
    Ok(match outcome {
        Outcome::Computed(e) => Ok(e),
        Outcome::Refused(r) => Err(r.to_string()),
    })
}

/// Meta-analysis of the comparisons of a studies table.
///
/// Rows without the data `options.measure` needs (means and SDs, or event counts) and rows
/// whose effect size cannot be computed are listed in
/// [`excluded`](MetaAnalysis::excluded); the others are pooled by
/// [`stats::meta`](crate::stats::meta) as `metafor` would (`escalc`, `rma`, `confint`,
/// `leave1out`, `regtest`, `rma(mods = )`).
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the subgroup or regression column does not exist (or is
/// not numeric for a regression), or for invalid model options. Statistics that cannot be
/// computed (too few studies, no convergence, …) are refusals inside the result.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::stats::meta::EffectMeasure;
/// let table = pain_outcomes::data::read_studies(
///     concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/published_trials.csv"),
/// )?;
/// let options = MetaAnalysisOptions::new(EffectMeasure::StandardizedMeanDifference)
///     .with_subgroups("condition");
/// let m = meta_analysis(&table, &options)?;
/// assert!(m.pooled.computed().unwrap().estimate.estimate < 0.0); // less pain
/// assert!(!m.excluded.is_empty()); // the rows with counts only
/// assert_eq!(m.leave_one_out.len(), m.studies.len());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn meta_analysis(table: &StudiesTable, options: &MetaAnalysisOptions) -> Result<MetaAnalysis> {
    let model = &options.model;
    let mut studies = Vec::new();
    let mut excluded = Vec::new();
    let mut rows = Vec::new();
    for (i, s) in table.studies.iter().enumerate() {
        match study_effect(s, options.measure)? {
            Ok(effect) => {
                rows.push(i);
                studies.push(StudyEffect {
                    study: s.study.clone(),
                    line: s.line,
                    effect,
                    weight: None,
                });
            }
            Err(reason) => excluded.push(ExcludedStudy {
                study: s.study.clone(),
                line: s.line,
                reason,
            }),
        }
    }
    let y: Vec<f64> = studies.iter().map(|s| s.effect.estimate).collect();
    let v: Vec<f64> = studies.iter().map(|s| s.effect.variance).collect();
    let names: Vec<String> = studies.iter().map(|s| s.study.clone()).collect();
    let pooled = pool(&y, &v, model)?;
    if let Outcome::Computed(fit) = &pooled {
        for (s, w) in studies.iter_mut().zip(&fit.weights) {
            s.weight = Some(*w);
        }
    }
    let tau_squared_interval = if model.method.is_random_effects() {
        tau_squared_interval(&y, &v, model)?
    } else {
        refuse(
            RefusalReason::NotEstimable,
            "the fixed-effect model has no between-study variance",
        )
    };
    let leave_one_out = leave_one_out(&y, &v, model)?
        .into_iter()
        .zip(&names)
        .map(|(l, study)| LeftOut {
            study: study.clone(),
            fit: l.fit,
        })
        .collect();
    let egger = egger_test(&y, &v, model)?;
    let funnel = match &pooled {
        Outcome::Computed(fit) => {
            funnel_table(&y, &v, fit.estimate.estimate, model.confidence_level)?
                .into_iter()
                .zip(&names)
                .map(|(point, study)| FunnelRow {
                    study: study.clone(),
                    point,
                })
                .collect()
        }
        Outcome::Refused(_) => Vec::new(),
    };
    let subgroups = match &options.subgroups {
        Some(by) => Some(subgroups(table, by, &rows, &y, &v, &names, model)?),
        None => None,
    };
    let regression = match &options.regression {
        Some(column) => Some(regression(table, column, &rows, &y, &v, &names, model)?),
        None => None,
    };
    Ok(MetaAnalysis {
        file: table.file.clone(),
        measure: options.measure,
        options: *model,
        studies,
        excluded,
        pooled,
        tau_squared_interval,
        leave_one_out,
        egger,
        funnel,
        subgroups,
        regression,
    })
}

/// The analysed studies that have a value in `values` (indexed by table row): their
/// positions among the analysed studies and the values.
fn present<T: Clone>(rows: &[usize], values: &[Option<T>]) -> (Vec<usize>, Vec<T>, Vec<usize>) {
    let mut keep = Vec::new();
    let mut kept = Vec::new();
    let mut missing = Vec::new();
    for (j, r) in rows.iter().enumerate() {
        match values.get(*r).cloned().flatten() {
            Some(x) => {
                keep.push(j);
                kept.push(x);
            }
            None => missing.push(j),
        }
    }
    (keep, kept, missing)
}

fn pick<T: Clone>(xs: &[T], at: &[usize]) -> Vec<T> {
    at.iter().filter_map(|j| xs.get(*j)).cloned().collect()
}

fn subgroups(
    table: &StudiesTable,
    by: &str,
    rows: &[usize],
    y: &[f64],
    v: &[f64],
    names: &[String],
    model: &MetaOptions,
) -> Result<MetaSubgroups> {
    let values = table.text_column(by)?;
    let (keep, groups, missing) = present(rows, &values);
    let (ys, vs, ns) = (pick(y, &keep), pick(v, &keep), pick(names, &keep));
    let analysis = pool_subgroups(&ys, &vs, &groups, model)?;
    let (subgroups, between) = match analysis {
        Outcome::Computed(a) => (
            a.subgroups
                .into_iter()
                .map(|g| MetaSubgroupEstimate {
                    label: g.label,
                    studies: pick(&ns, &g.studies),
                    fit: g.fit,
                })
                .collect(),
            a.between,
        ),
        Outcome::Refused(r) => (Vec::new(), Outcome::Refused(r)),
    };
    Ok(MetaSubgroups {
        by: by.to_string(),
        subgroups,
        between,
        missing: pick(names, &missing),
    })
}

fn regression(
    table: &StudiesTable,
    column: &str,
    rows: &[usize],
    y: &[f64],
    v: &[f64],
    names: &[String],
    model: &MetaOptions,
) -> Result<MetaRegressionOn> {
    let values = table.numeric_column(column)?;
    let (keep, x, missing) = present(rows, &values);
    let (ys, vs) = (pick(y, &keep), pick(v, &keep));
    let fit = meta_regression(&ys, &vs, &[(column, &x)], model)?;
    Ok(MetaRegressionOn {
        moderator: column.to_string(),
        fit,
        missing: pick(names, &missing),
    })
}
