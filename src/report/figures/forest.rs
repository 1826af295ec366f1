//! Forest plots: a row per estimate with its interval, on a linear axis (differences) or a
//! log axis (ratios), a line at no effect, and the numbers printed under each label.

use super::chart::{PAD, centred_x, draw_notes};
use super::kaplan_meier::p_text;
use super::level_text;
use super::scale::{Scale, Tick, format_number, linear_ticks, log_domain, log_ticks};
use super::style::{
    GREY, GRID, SeriesStyle, arm_index, arm_order, figure_id, marker_markup, score_unit,
    visit_label,
};
use super::svg::{
    Anchor, FONT_SIZE, LINE, Stroke, Svg, TextStyle, WIDTH, exact, fit_text, text_width,
};
use crate::analysis::{
    MetaAnalysis, Response, SubgroupAnalysis, SubgroupModel, TimeToEventAnalysis,
};
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::report::Figure;
use crate::stats::dist::normal_quantile;
use crate::stats::meta::EffectMeasure;
use crate::{Outcome, RefusalReason};

/// The marker of an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Shape {
    /// A square `size` across.
    Square(f64),
    /// A diamond spanning the interval (a pooled estimate).
    Diamond,
}

/// What a row shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowKind {
    /// A group heading, with the colour of its arm.
    Header(Option<SeriesStyle>),
    /// An estimate with its interval.
    Estimate {
        estimate: f64,
        lower: f64,
        upper: f64,
        shape: Shape,
        colour: &'static str,
        /// Printed after the interval (a weight).
        suffix: String,
    },
    /// An interval without a point (the prediction interval of a meta-analysis).
    Interval { lower: f64, upper: f64 },
    /// A refused estimate: its reason code.
    NotEstimable(String),
}

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub label: String,
    pub kind: RowKind,
}

/// A forest plot to draw.
pub(crate) struct ForestSpec {
    pub id: String,
    pub caption: String,
    pub x_title: String,
    pub log: bool,
    /// The value of no effect (0 or 1).
    pub null: f64,
    pub decimals: usize,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

const LABEL_MAX: f64 = 150.0;

fn interval_text(estimate: f64, lower: f64, upper: f64, decimals: usize) -> String {
    format!(
        "{} ({} to {})",
        format_number(estimate, decimals),
        format_number(lower, decimals),
        format_number(upper, decimals)
    )
}

/// Draws `spec`; refused when no row has a finite estimate or interval.
pub(crate) fn draw_forest(spec: ForestSpec) -> Outcome<Figure> {
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite() && (!spec.log || *x > 0.0));
    let rows: Vec<Row> = spec
        .rows
        .iter()
        .map(|r| match &r.kind {
            RowKind::Estimate {
                estimate,
                lower,
                upper,
                ..
            } if !finite(&[*estimate, *lower, *upper]) => Row {
                label: r.label.clone(),
                kind: RowKind::NotEstimable("not_finite".into()),
            },
            RowKind::Interval { lower, upper } if !finite(&[*lower, *upper]) => Row {
                label: r.label.clone(),
                kind: RowKind::NotEstimable("not_finite".into()),
            },
            _ => r.clone(),
        })
        .collect();
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|r| match &r.kind {
            RowKind::Estimate { lower, upper, .. } | RowKind::Interval { lower, upper } => {
                vec![*lower, *upper]
            }
            _ => Vec::new(),
        })
        .collect();
    if values.is_empty() {
        return refuse(
            RefusalReason::NotEstimable,
            "no row of the forest plot could be estimated",
        );
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (d0, d1, ticks): (f64, f64, Vec<Tick>) = if spec.log {
        let (a, b) = log_domain(lo, hi);
        (a, b, log_ticks(a, b))
    } else {
        linear_ticks(lo.min(spec.null), hi.max(spec.null), 4)
    };

    let mut label_w: f64 = 0.0;
    for r in &rows {
        let w = match &r.kind {
            RowKind::Header(_) => 0.0,
            RowKind::Estimate {
                estimate,
                lower,
                upper,
                suffix,
                ..
            } => text_width(&format!("{}{suffix}", r.label), FONT_SIZE).max(text_width(
                &interval_text(*estimate, *lower, *upper, spec.decimals),
                FONT_SIZE,
            )),
            RowKind::Interval { lower, upper } => text_width(&r.label, FONT_SIZE).max(text_width(
                &format!(
                    "{} to {}",
                    format_number(*lower, spec.decimals),
                    format_number(*upper, spec.decimals)
                ),
                FONT_SIZE,
            )),
            RowKind::NotEstimable(_) => text_width(&r.label, FONT_SIZE),
        };
        label_w = label_w.max(w);
    }
    let label_w = label_w.min(LABEL_MAX);
    let left = PAD + label_w + 10.0;
    let last_half = ticks
        .last()
        .map_or(0.0, |t| text_width(&t.label, FONT_SIZE) / 2.0);
    let right = WIDTH - (last_half + 2.0).max(10.0);
    let scale = if spec.log {
        Scale::Log {
            d0,
            d1,
            r0: left,
            r1: right,
        }
    } else {
        Scale::Linear {
            d0,
            d1,
            r0: left,
            r1: right,
        }
    };

    let desc: Vec<String> = rows
        .iter()
        .filter_map(|r| match &r.kind {
            RowKind::Estimate {
                estimate,
                lower,
                upper,
                ..
            } => Some(format!(
                "{}: {}",
                r.label,
                interval_text(*estimate, *lower, *upper, spec.decimals)
            )),
            RowKind::NotEstimable(_) => Some(format!("{}: not estimable", r.label)),
            _ => None,
        })
        .collect();
    let mut svg = Svg::new(&spec.id, &spec.caption, &format!("{}.", desc.join("; ")));
    // first the rows' positions, so that grid lines go under the rows
    let top = 6.0;
    let mut positions = Vec::with_capacity(rows.len());
    let mut y = top;
    for (i, r) in rows.iter().enumerate() {
        if matches!(r.kind, RowKind::Header(_)) {
            if i > 0 {
                y += 3.0;
            }
            positions.push(y);
            y += LINE;
        } else {
            positions.push(y);
            y += 2.0 * LINE;
        }
    }
    let bottom = y + 4.0;
    for t in &ticks {
        let x = scale.map(t.value);
        svg.line((x, top), (x, bottom), Stroke::new(GRID, 0.6));
    }
    let nx = scale.map(spec.null);
    svg.line(
        (nx, top),
        (nx, bottom),
        Stroke::new(GREY, 0.9).dash(Some("3 2")),
    );

    let mut group = String::new();
    for (r, &y) in rows.iter().zip(&positions) {
        let cy = y + LINE;
        match &r.kind {
            RowKind::Header(style) => {
                group.clone_from(&r.label);
                // black text (light palette colours are faint as text) after the arm's marker
                let indent = if style.is_some() { 11.0 } else { 0.0 };
                let w = text_width(&r.label, FONT_SIZE) * 1.07 + indent;
                svg.rect((PAD - 1.0, y + 1.0), (w + 2.0, LINE - 1.0), "#ffffff", None);
                if let Some(s) = style {
                    svg.raw(&marker_markup(s, PAD + 4.0, y + LINE / 2.0 + 0.5, 7.0, ""));
                }
                svg.text(
                    (PAD + indent, y + LINE - 3.0),
                    &r.label,
                    TextStyle::new(Anchor::Start).bold().class("forest-group"),
                );
            }
            RowKind::Estimate {
                estimate,
                lower,
                upper,
                shape,
                colour,
                suffix,
            } => {
                let (e, l, u) = (exact(*estimate), exact(*lower), exact(*upper));
                svg.open(&[
                    ("class", "forest-row"),
                    ("data-label", &r.label),
                    ("data-group", &group),
                    ("data-estimate", &e),
                    ("data-lower", &l),
                    ("data-upper", &u),
                ]);
                let label = format!("{}{suffix}", r.label);
                let numbers = interval_text(*estimate, *lower, *upper, spec.decimals);
                label_texts(&mut svg, &label, &numbers, y, label_w);
                let (x, xl, xu) = (scale.map(*estimate), scale.map(*lower), scale.map(*upper));
                match shape {
                    Shape::Square(size) => {
                        svg.line((xl, cy), (xu, cy), Stroke::new(colour, 1.1));
                        let h = size / 2.0;
                        svg.rect((x - h, cy - h), (*size, *size), colour, None);
                    }
                    Shape::Diamond => {
                        svg.polygon(
                            &[(xl, cy), (x, cy - 5.0), (xu, cy), (x, cy + 5.0)],
                            colour,
                            1.0,
                            &[("class", "pooled")],
                        );
                    }
                }
                svg.close();
            }
            RowKind::Interval { lower, upper } => {
                let (l, u) = (exact(*lower), exact(*upper));
                svg.open(&[
                    ("class", "prediction-interval"),
                    ("data-label", &r.label),
                    ("data-lower", &l),
                    ("data-upper", &u),
                ]);
                let numbers = format!(
                    "{} to {}",
                    format_number(*lower, spec.decimals),
                    format_number(*upper, spec.decimals)
                );
                label_texts(&mut svg, &r.label, &numbers, y, label_w);
                let (xl, xu) = (scale.map(*lower), scale.map(*upper));
                svg.line(
                    (xl, cy),
                    (xu, cy),
                    Stroke::new("#000000", 1.1).dash(Some("4 2")),
                );
                for x in [xl, xu] {
                    svg.line((x, cy - 3.0), (x, cy + 3.0), Stroke::new("#000000", 1.1));
                }
                svg.close();
            }
            RowKind::NotEstimable(reason) => {
                svg.open(&[
                    ("class", "forest-row"),
                    ("data-label", &r.label),
                    ("data-group", &group),
                    ("data-status", "not_estimable"),
                    ("data-reason", reason),
                ]);
                label_texts(&mut svg, &r.label, "not estimable", y, label_w);
                svg.close();
            }
        }
    }
    svg.open(&[("class", "axis"), ("data-axis", "x")]);
    for t in &ticks {
        let x = scale.map(t.value);
        svg.line((x, bottom), (x, bottom + 3.0), Stroke::new("#000000", 0.8));
        svg.text(
            (x, bottom + 3.0 + FONT_SIZE),
            &t.label,
            TextStyle::new(Anchor::Middle).class("tick-label"),
        );
    }
    let title_y = bottom + 3.0 + FONT_SIZE + LINE + 1.0;
    svg.text(
        (centred_x(&spec.x_title, left, right), title_y),
        &spec.x_title,
        TextStyle::new(Anchor::Middle).class("axis-title"),
    );
    svg.close();
    svg.line((left, bottom), (right, bottom), Stroke::new("#000000", 0.8));
    let below = draw_notes(&mut svg, &spec.notes, title_y + 5.0);
    Outcome::Computed(Figure::new(spec.id, spec.caption, svg.finish(below + 3.0)))
}

/// Degrees of freedom: whole numbers as such, others with one decimal.
fn df_text(df: f64) -> String {
    if (df - df.round()).abs() < 1e-9 {
        format!("{df:.0}")
    } else {
        format!("{df:.1}")
    }
}

/// Yellow text is faint on white: darker text for it.
fn readable(colour: &'static str) -> &'static str {
    if colour == "#F0E442" {
        "#000000"
    } else {
        colour
    }
}

/// The label (and its full text as a tooltip when shortened) and the numbers under it.
fn label_texts(svg: &mut Svg, label: &str, numbers: &str, y: f64, width: f64) {
    let shown = fit_text(label, FONT_SIZE, width);
    if shown != label {
        svg.tooltip(label);
    }
    svg.text(
        (PAD, y + LINE - 3.0),
        &shown,
        TextStyle::new(Anchor::Start).class("forest-label"),
    );
    svg.text(
        (PAD, y + 2.0 * LINE - 4.0),
        &fit_text(numbers, FONT_SIZE, width),
        TextStyle::new(Anchor::Start)
            .fill("#444444")
            .class("forest-numbers"),
    );
}

/// A subgroup label: `severity 2`, `age < 50`, `age 50 to < 65`, `age ≥ 65`.
fn subgroup_label(name: &str, subgroup: &str) -> String {
    let pretty = if let Some(rest) = subgroup.strip_prefix(">=") {
        format!("≥ {rest}")
    } else if let Some(rest) = subgroup.strip_prefix('<') {
        format!("< {rest}")
    } else if let Some((a, b)) = subgroup.split_once("-<") {
        format!("{a} to < {b}")
    } else {
        subgroup.to_string()
    };
    format!("{name} {pretty}")
}

/// The difference of each arm from the reference arm within each subgroup at `visit` (`None`:
/// the model's last visit), grouped by arm; estimates that were refused are listed as "not
/// estimable". The interaction tests are printed under the axis.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `visit` is not a visit of the model.
///
/// # Refusals
///
/// `NotEstimable` when no estimate at the visit could be computed.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{SubgroupOptions, subgroup_analysis};
/// use pain_outcomes::report::subgroup_forest;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let s = subgroup_analysis(&cohort, &SubgroupOptions::new("nrs", "severity".parse()?))?
///     .into_result()?;
/// let figure = subgroup_forest(&s, None)?.into_result()?;
/// assert_eq!(figure.svg.matches("class=\"forest-row\"").count(), s.estimates.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn subgroup_forest(
    analysis: &SubgroupAnalysis,
    visit: Option<&str>,
) -> Result<Outcome<Figure>> {
    let model = &analysis.model;
    let visit = match visit {
        Some(v) => model
            .visits
            .iter()
            .find(|x| x.eq_ignore_ascii_case(v))
            .cloned()
            .ok_or_else(|| {
                Error::invalid_argument(
                    "visit",
                    format!(
                        "`{v}` is not a visit of the model ({})",
                        model.visits.join(", ")
                    ),
                )
            })?,
        None => model.visits.last().cloned().unwrap_or_default(),
    };
    let name = match &analysis.by {
        crate::analysis::EffectModifier::Named(n) => n.clone(),
        crate::analysis::EffectModifier::Cut { attribute, .. } => attribute.clone(),
    };
    let order = arm_order(&model.arms, &analysis.reference_arm);
    let mut rows = Vec::new();
    let mut level = None;
    for arm in order.iter().filter(|a| **a != analysis.reference_arm) {
        let style = SeriesStyle::nth(arm_index(&order, arm));
        let estimates: Vec<_> = analysis
            .estimates
            .iter()
            .filter(|e| &e.arm == arm && e.visit == visit)
            .collect();
        if estimates.is_empty() {
            continue;
        }
        rows.push(Row {
            label: format!("{arm} vs {}", analysis.reference_arm),
            kind: RowKind::Header(Some(style)),
        });
        for e in estimates {
            let label = subgroup_label(&name, &e.subgroup);
            let kind = match &e.difference {
                Outcome::Computed(d) => {
                    level = level.or(Some(d.confidence_interval.level));
                    RowKind::Estimate {
                        estimate: d.estimate,
                        lower: d.confidence_interval.lower,
                        upper: d.confidence_interval.upper,
                        shape: Shape::Square(6.0),
                        colour: readable(style.colour),
                        suffix: String::new(),
                    }
                }
                Outcome::Refused(r) => RowKind::NotEstimable(r.reason.code().into()),
            };
            rows.push(Row { label, kind });
        }
    }
    let unit = score_unit(&model.instrument);
    let what = match (&model.response, model.visits.len()) {
        (Response::ChangeFromBaseline, _) => "change from baseline",
        (Response::Score, _) => "score",
    };
    let mut notes: Vec<String> = analysis
        .interaction_tests
        .iter()
        .filter_map(|t| t.computed())
        .filter(|f| f.statistic.is_finite() && f.p_value.is_finite())
        .map(|f| {
            format!(
                "Interaction {}: F({:.0}, {}) = {:.2}, p\u{a0}=\u{a0}{}",
                f.label
                    .replace("_subgroup", "")
                    .replace('_', " ")
                    .replace(':', " × "),
                f.df_numerator,
                df_text(f.df_denominator),
                f.statistic,
                p_text(f.p_value)
            )
        })
        .collect();
    if analysis.continuous {
        notes.push(format!("Estimates at the mean of {name}."));
    }
    let model_name = match analysis_model(analysis) {
        Some(SubgroupModel::Mmrm) => "MMRM",
        _ => "ANCOVA",
    };
    let caption = format!(
        "Difference in {what} of {} from {} within subgroups of {name} at {} ({model_name} with the \
         arm × {name} interaction), with {} confidence intervals.",
        model.instrument,
        analysis.reference_arm,
        visit_label(&visit),
        level_text(level.unwrap_or(0.95))
    );
    Ok(draw_forest(ForestSpec {
        id: figure_id(&["forest_subgroups", &model.instrument, &name]),
        caption,
        x_title: format!("Difference from {} ({unit})", analysis.reference_arm),
        log: false,
        null: 0.0,
        decimals: 2,
        rows,
        notes,
    }))
}

/// Which model a subgroup analysis fitted (ANCOVA when the model has one visit).
fn analysis_model(analysis: &SubgroupAnalysis) -> Option<SubgroupModel> {
    if analysis.model.visits.len() > 1 {
        Some(SubgroupModel::Mmrm)
    } else {
        None
    }
}

fn measure_title(measure: EffectMeasure) -> (&'static str, bool) {
    match measure {
        EffectMeasure::MeanDifference => {
            ("Mean difference, treated − control (scale units)", false)
        }
        EffectMeasure::StandardizedMeanDifference => {
            ("Standardised mean difference (Hedges' g)", false)
        }
        EffectMeasure::LogRiskRatio => ("Risk ratio, treated / control (log scale)", true),
        EffectMeasure::LogOddsRatio => ("Odds ratio, treated / control (log scale)", true),
    }
}

/// The studies of a meta-analysis with their confidence intervals (normal, at the analysis'
/// level) and weights (square area), the pooled estimate as a diamond and, for random
/// effects, the prediction interval. Ratios are drawn on a log axis as ratios (the
/// `data-estimate` values are ratios, not logs).
///
/// # Refusals
///
/// `NotEstimable` when no study has an effect size; a refused pooled fit is named in a note.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{meta_analysis, MetaAnalysisOptions};
/// use pain_outcomes::report::meta_forest;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/published_trials.csv");
/// let table = pain_outcomes::data::read_studies(path)?;
/// let meta = meta_analysis(&table, &MetaAnalysisOptions::default())?;
/// let figure = meta_forest(&meta).into_result()?;
/// // one row per study and one for the pooled estimate
/// assert_eq!(figure.svg.matches("class=\"forest-row\"").count(), meta.studies.len() + 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn meta_forest(meta: &MetaAnalysis) -> Outcome<Figure> {
    let (x_title, log) = measure_title(meta.measure);
    let level = meta.options.confidence_level;
    let z = normal_quantile(0.5 + level / 2.0);
    let back = |x: f64| if log { x.exp() } else { x };
    let max_weight = meta
        .studies
        .iter()
        .filter_map(|s| s.weight)
        .fold(0.0, f64::max);
    let mut rows = Vec::new();
    for s in &meta.studies {
        let e = s.effect.estimate;
        let se = s.effect.std_error();
        let size = match s.weight {
            Some(w) if max_weight > 0.0 => 3.0 + 6.0 * (w / max_weight).sqrt(),
            _ => 5.0,
        };
        rows.push(Row {
            label: s.study.clone(),
            kind: RowKind::Estimate {
                estimate: back(e),
                lower: back(e - z * se),
                upper: back(e + z * se),
                shape: Shape::Square(size),
                colour: "#000000",
                suffix: s
                    .weight
                    .map_or(String::new(), |w| format!(", weight {w:.1} %")),
            },
        });
    }
    let mut notes = Vec::new();
    match &meta.pooled {
        Outcome::Computed(fit) => {
            let e = &fit.estimate;
            rows.push(Row {
                label: format!(
                    "Pooled, {} (k = {})",
                    meta.options.method.code().to_uppercase(),
                    fit.k
                ),
                kind: RowKind::Estimate {
                    estimate: back(e.estimate),
                    lower: back(e.confidence_interval.lower),
                    upper: back(e.confidence_interval.upper),
                    shape: Shape::Diamond,
                    colour: "#0072B2",
                    suffix: String::new(),
                },
            });
            if meta.options.method.is_random_effects() && fit.k >= 3 {
                rows.push(Row {
                    label: "Prediction interval".into(),
                    kind: RowKind::Interval {
                        lower: back(fit.prediction_interval.lower),
                        upper: back(fit.prediction_interval.upper),
                    },
                });
            }
            if fit.tau_squared.is_finite() && fit.heterogeneity.p_value.is_finite() {
                notes.push(format!(
                    "Heterogeneity: τ² = {:.3}, I² = {:.0} %, Q({:.0}) = {:.2}, p = {}",
                    fit.tau_squared,
                    fit.i_squared,
                    fit.heterogeneity.df,
                    fit.heterogeneity.statistic,
                    p_text(fit.heterogeneity.p_value)
                ));
            }
        }
        Outcome::Refused(r) => notes.push(format!(
            "Pooled estimate not estimable ({})",
            r.reason.code()
        )),
    }
    if !meta.excluded.is_empty() {
        notes.push(format!(
            "{} comparison(s) without the data this measure needs are left out.",
            meta.excluded.len()
        ));
    }
    let caption = format!(
        "Meta-analysis of {} ({}): study estimates with {} confidence intervals (square area ∝ weight) \
         and the pooled estimate.",
        meta.measure,
        meta.options.method,
        level_text(level)
    );
    draw_forest(ForestSpec {
        id: figure_id(&["forest_meta", meta.measure.code()]),
        caption,
        x_title: x_title.into(),
        log,
        null: if log { 1.0 } else { 0.0 },
        decimals: 2,
        rows,
        notes,
    })
}

/// Cox hazard ratios of each arm against the reference arm (and of the model's covariates)
/// with their confidence intervals on a log axis.
///
/// # Refusals
///
/// The Cox fit's refusal (monotone likelihood, no events, …) when it was refused.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{analyse_time_to_event, TimeToEventOptions};
/// use pain_outcomes::data::{CsvFiles, EventEndpoint, read_csv_files};
/// use pain_outcomes::report::hazard_ratio_forest;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}tendinopathy_registry.csv"))
///     .with_events(format!("{dir}tendinopathy_registry_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let data = cohort.time_to_event(EventEndpoint::Surgery)?;
/// let tte = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default())?;
/// let figure = hazard_ratio_forest(&tte).into_result()?;
/// assert!(figure.svg.contains("Hazard ratio (log scale)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hazard_ratio_forest(analysis: &TimeToEventAnalysis) -> Outcome<Figure> {
    let fit = match &analysis.cox.fit {
        Outcome::Computed(f) => f,
        Outcome::Refused(r) => return Outcome::Refused(r.clone()),
    };
    let names: Vec<String> = analysis.arms.iter().map(|a| a.arm.clone()).collect();
    let order = arm_order(&names, &analysis.reference_arm);
    let mut rows = Vec::new();
    let mut arm_rows = Vec::new();
    let mut covariate_rows = Vec::new();
    for c in &fit.coefficients {
        let arm = c
            .name
            .strip_prefix("arm")
            .filter(|a| order.iter().any(|o| o == a));
        let (label, colour) = match arm {
            Some(a) => {
                let style = SeriesStyle::nth(arm_index(&order, a));
                (a.to_string(), readable(style.colour))
            }
            None => (c.name.clone(), "#000000"),
        };
        let row = Row {
            label,
            kind: RowKind::Estimate {
                estimate: c.hazard_ratio,
                lower: c.confidence_interval.lower,
                upper: c.confidence_interval.upper,
                shape: Shape::Square(6.0),
                colour,
                suffix: String::new(),
            },
        };
        if arm.is_some() {
            arm_rows.push(row);
        } else {
            covariate_rows.push(row);
        }
    }
    if !arm_rows.is_empty() {
        rows.push(Row {
            label: format!("Arms vs {}", analysis.reference_arm),
            kind: RowKind::Header(None),
        });
    }
    rows.extend(arm_rows);
    if !covariate_rows.is_empty() {
        rows.push(Row {
            label: "Covariates".into(),
            kind: RowKind::Header(None),
        });
        rows.extend(covariate_rows);
    }
    let endpoint = analysis.endpoint.label().replace('_', " ");
    let caption = format!(
        "Cox hazard ratios of {endpoint} ({}; {} ties), with {} confidence intervals; a hazard ratio \
         below 1 means fewer events than in {}.",
        analysis.cox.formula,
        match fit.ties {
            crate::stats::survival::Ties::Efron => "Efron",
            crate::stats::survival::Ties::Breslow => "Breslow",
        },
        level_text(fit.confidence_level),
        analysis.reference_arm
    );
    let notes = vec![format!("{} patients, {} events.", fit.n, fit.n_events)];
    draw_forest(ForestSpec {
        id: figure_id(&["forest_hazard_ratios", analysis.endpoint.label()]),
        caption,
        x_title: "Hazard ratio (log scale)".into(),
        log: true,
        null: 1.0,
        decimals: 2,
        rows,
        notes,
    })
}
