//! Estimates by arm and visit on a categorical visit axis: MMRM LS-mean differences from the
//! reference arm, and responder rates.

use super::chart::{Axis, ChartSpec, draw_chart, draw_notes};
use super::scale::{Scale, Tick, linear_ticks};
use super::style::{
    SeriesStyle, arm_index, arm_order, figure_id, marker_markup, score_unit, visit_label,
};
use super::svg::{Stroke, Svg, exact, num};
use super::{arm_legend, level_text};
use crate::analysis::{CohortMmrm, ResponderTable, Response};
use crate::outcome::refuse;
use crate::report::Figure;
use crate::{Outcome, RefusalReason};

/// One estimate: visit index, estimate, lower, upper.
#[derive(Debug, Clone, Copy)]
struct Point {
    visit: usize,
    estimate: f64,
    lower: f64,
    upper: f64,
}

impl Point {
    fn finite(&self) -> bool {
        self.estimate.is_finite() && self.lower.is_finite() && self.upper.is_finite()
    }
}

/// What a visit chart draws.
struct VisitChart<'a> {
    id: String,
    caption: String,
    visits: &'a [String],
    order: &'a [String],
    series: Vec<(String, Vec<Point>)>,
    y_title: String,
    /// Fixed y domain (else from the intervals).
    y_domain: Option<(f64, f64)>,
    y_reference: Option<f64>,
    notes: Vec<String>,
}

fn draw(chart: VisitChart<'_>) -> Figure {
    let (y0, y1, y_ticks) = match chart.y_domain {
        Some((lo, hi)) => linear_ticks(lo, hi, 5),
        None => {
            let values = chart
                .series
                .iter()
                .flat_map(|(_, p)| p.iter().flat_map(|q| [q.lower, q.upper]))
                .chain(chart.y_reference);
            let lo = values.clone().fold(f64::INFINITY, f64::min);
            let hi = values.fold(f64::NEG_INFINITY, f64::max);
            linear_ticks(lo, hi, 5)
        }
    };
    let x_ticks: Vec<Tick> = chart
        .visits
        .iter()
        .enumerate()
        .map(|(i, v)| Tick {
            value: i as f64,
            label: visit_label(v),
        })
        .collect();
    let drawn: Vec<String> = chart.series.iter().map(|(a, _)| a.clone()).collect();
    let spec = ChartSpec {
        x: Axis {
            scale: Scale::Band {
                n: chart.visits.len(),
                r0: 0.0,
                r1: 1.0,
            },
            ticks: x_ticks,
            title: "Visit (time since first treatment)".into(),
        },
        y: Axis::linear(y0, y1, y_ticks, chart.y_title.clone()),
        legend: arm_legend(chart.order, &drawn),
        plot_height: 180.0,
        y_reference: chart.y_reference,
        x_reference: None,
    };
    let mut svg = Svg::new(&chart.id, &chart.caption, &describe(&chart));
    let frame = draw_chart(&mut svg, &spec, 4.0);
    let n = chart.series.len().max(1) as f64;
    let step = (frame.x.band() * 0.72 / n).min(9.0);
    for (i, (arm, points)) in chart.series.iter().enumerate() {
        let style = SeriesStyle::nth(arm_index(chart.order, arm));
        let offset = (i as f64 - (n - 1.0) / 2.0) * step;
        let x = |p: &Point| frame.x.map(p.visit as f64) + offset;
        svg.open(&[("class", "series"), ("data-arm", arm)]);
        let line: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (x(p), frame.y.map(p.estimate)))
            .collect();
        svg.polyline(
            &line,
            Stroke::new(style.colour, 0.9).dash(style.dash).opacity(0.8),
            &[("class", "connector")],
        );
        for p in points {
            let (px, lo, hi) = (x(p), frame.y.map(p.lower), frame.y.map(p.upper));
            let d = format!(
                "M{},{}L{},{}M{},{}L{},{}M{},{}L{},{}",
                num(px),
                num(lo),
                num(px),
                num(hi),
                num(px - 1.5),
                num(lo),
                num(px + 1.5),
                num(lo),
                num(px - 1.5),
                num(hi),
                num(px + 1.5),
                num(hi)
            );
            svg.raw(&format!(
                "<path class=\"ci-bar\" d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\"/>\n",
                style.colour
            ));
        }
        for p in points {
            let visit = chart.visits.get(p.visit).map_or("", String::as_str);
            let extra = format!(
                " class=\"estimate\" data-visit=\"{}\" data-estimate=\"{}\" data-lower=\"{}\" data-upper=\"{}\"",
                super::svg::escape(visit),
                exact(p.estimate),
                exact(p.lower),
                exact(p.upper)
            );
            svg.raw(&marker_markup(
                &style,
                x(p),
                frame.y.map(p.estimate),
                5.0,
                &extra,
            ));
        }
        svg.close();
    }
    let below = draw_notes(&mut svg, &chart.notes, frame.below);
    Figure::new(chart.id, chart.caption, svg.finish(below + 2.0))
}

fn describe(chart: &VisitChart<'_>) -> String {
    let parts: Vec<String> = chart
        .series
        .iter()
        .map(|(arm, pts)| {
            let values: Vec<String> = pts
                .iter()
                .map(|p| {
                    let visit = chart.visits.get(p.visit).map_or("", String::as_str);
                    format!("{visit} {:.2} [{:.2}, {:.2}]", p.estimate, p.lower, p.upper)
                })
                .collect();
            format!("{arm}: {}", values.join(", "))
        })
        .collect();
    format!("{} by visit. {}.", chart.y_title, parts.join("; "))
}

/// The MMRM's LS-mean difference of each arm from the reference arm at each visit, with its
/// confidence interval, on a categorical visit axis (a dashed line marks no difference).
///
/// # Refusals
///
/// `NotEstimable` when every difference was refused; refused differences are named in a
/// note.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::MmrmBuilder;
/// use pain_outcomes::report::lsmean_differences_figure;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let mmrm = MmrmBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
/// let figure = lsmean_differences_figure(&mmrm).into_result()?;
/// assert_eq!(figure.svg.matches("class=\"series\"").count(), mmrm.arms.len() - 1);
/// assert!(figure.svg.contains("Difference in change from baseline (NRS points)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lsmean_differences_figure(mmrm: &CohortMmrm) -> Outcome<Figure> {
    let order = arm_order(&mmrm.arms, &mmrm.reference_arm);
    let mut notes = Vec::new();
    let mut series: Vec<(String, Vec<Point>)> = Vec::new();
    let mut level = None;
    for arm in order.iter().filter(|a| **a != mmrm.reference_arm) {
        let mut points = Vec::new();
        for (v, visit) in mmrm.visits.iter().enumerate() {
            match mmrm.difference(arm, visit) {
                Some(Outcome::Computed(d)) => {
                    let e = &d.difference;
                    let p = Point {
                        visit: v,
                        estimate: e.estimate,
                        lower: e.confidence_interval.lower,
                        upper: e.confidence_interval.upper,
                    };
                    if p.finite() {
                        level = level.or(Some(e.confidence_interval.level));
                        points.push(p);
                    }
                }
                Some(Outcome::Refused(r)) => {
                    notes.push(format!(
                        "{arm} at {visit}: not estimable ({})",
                        r.reason.code()
                    ));
                }
                None => {}
            }
        }
        if !points.is_empty() {
            series.push((arm.clone(), points));
        }
    }
    if series.is_empty() {
        return refuse(
            RefusalReason::NotEstimable,
            "no LS-mean difference from the reference arm could be estimated",
        );
    }
    let what = match mmrm.response {
        Response::ChangeFromBaseline => "change from baseline",
        Response::Score => "score",
    };
    let unit = score_unit(&mmrm.instrument);
    let caption = format!(
        "MMRM LS-mean difference in {what} of {} from {} by visit, with {} confidence intervals.",
        mmrm.instrument,
        mmrm.reference_arm,
        level_text(level.unwrap_or(0.95))
    );
    Outcome::Computed(draw(VisitChart {
        id: figure_id(&["lsmean_differences", &mmrm.instrument]),
        caption,
        visits: &mmrm.visits,
        order: &order,
        series,
        y_title: format!("Difference in {what} ({unit})"),
        y_domain: None,
        y_reference: Some(0.0),
        notes,
    }))
}

/// Responder rates (percent of patients) by arm and visit with their Wilson confidence
/// intervals, reference arm included.
///
/// # Refusals
///
/// `TooFewObservations` when no rate could be estimated; refused rates are named in a note.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{RuleChoice, responders_by_arm_and_visit};
/// use pain_outcomes::report::responder_figure;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let rule = RuleChoice::Immpact30.rule(&wide.instrument, None)?;
/// let table = responders_by_arm_and_visit(&cohort, &wide, &rule, "immpact_30", &Default::default())?;
/// let figure = responder_figure(&table).into_result()?;
/// assert_eq!(figure.svg.matches("class=\"legend-entry\"").count(), wide.arms.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn responder_figure(table: &ResponderTable) -> Outcome<Figure> {
    let mut arms: Vec<String> = Vec::new();
    let mut visits: Vec<String> = Vec::new();
    for c in &table.cells {
        if !arms.contains(&c.arm) {
            arms.push(c.arm.clone());
        }
        if !visits.contains(&c.visit) {
            visits.push(c.visit.clone());
        }
    }
    let order = arm_order(&arms, &table.reference_arm);
    let mut notes = Vec::new();
    let mut series = Vec::new();
    let mut level = None;
    for arm in &order {
        let mut points = Vec::new();
        for c in table.cells.iter().filter(|c| &c.arm == arm) {
            let v = visits.iter().position(|x| *x == c.visit).unwrap_or(0);
            match &c.rate {
                Outcome::Computed(r) => {
                    let p = Point {
                        visit: v,
                        estimate: 100.0 * r.rate,
                        lower: 100.0 * r.confidence_interval.lower,
                        upper: 100.0 * r.confidence_interval.upper,
                    };
                    if p.finite() {
                        level = level.or(Some(r.confidence_interval.level));
                        points.push(p);
                    }
                }
                Outcome::Refused(r) => notes.push(format!(
                    "{arm} at {}: not estimable ({})",
                    c.visit,
                    r.reason.code()
                )),
            }
        }
        points.sort_by_key(|p| p.visit);
        if !points.is_empty() {
            series.push((arm.clone(), points));
        }
    }
    if series.is_empty() {
        return refuse(
            RefusalReason::TooFewObservations,
            "no responder rate could be estimated",
        );
    }
    let caption = format!(
        "Responders ({}) on {} by arm and visit, with {} Wilson confidence intervals.",
        table.rule.replace('_', " "),
        table.instrument,
        level_text(level.unwrap_or(0.95))
    );
    Outcome::Computed(draw(VisitChart {
        id: figure_id(&["responders", &table.instrument, &table.rule]),
        caption,
        visits: &visits,
        order: &order,
        series,
        y_title: "Responders (% of patients)".into(),
        y_domain: Some((0.0, 100.0)),
        y_reference: None,
        notes,
    }))
}
