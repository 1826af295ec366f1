//! Kaplan–Meier curves by arm with confidence bands and the numbers at risk under the axis.

use super::chart::{Axis, ChartSpec, PAD, Swatch, draw_chart, draw_notes, draw_swatch};
use super::scale::linear_ticks;
use super::style::{SeriesStyle, arm_index, arm_order, figure_id};
use super::svg::{Anchor, FONT_SIZE, LINE, Stroke, Svg, TextStyle, exact};
use super::{arm_legend, level_text};
use crate::analysis::TimeToEventAnalysis;
use crate::data::EventEndpoint;
use crate::outcome::refuse;
use crate::report::Figure;
use crate::stats::survival::KaplanMeier;
use crate::{Outcome, RefusalReason};

fn survival_title(endpoint: EventEndpoint) -> &'static str {
    match endpoint {
        EventEndpoint::Surgery => "Free of surgery (%)",
        EventEndpoint::RescueMedication => "Free of rescue medication (%)",
        EventEndpoint::LossOfResponse => "Response maintained (%)",
    }
}

/// The step curve of `km` as (day, survival) corners, from (0, 1).
fn steps(km: &KaplanMeier) -> Vec<(f64, f64)> {
    let mut out = vec![(0.0, 1.0)];
    let mut last = 1.0;
    for (&t, &s) in km.time.iter().zip(&km.survival) {
        if !(t.is_finite() && s.is_finite()) {
            break;
        }
        out.push((t, last));
        out.push((t, s));
        last = s;
    }
    out
}

/// The confidence band of `km` as a step polygon, up to the first time without limits.
fn band(km: &KaplanMeier) -> Vec<(f64, f64)> {
    let mut upper = vec![(0.0, 1.0)];
    let mut lower = vec![(0.0, 1.0)];
    let (mut u, mut l) = (1.0, 1.0);
    for (i, &t) in km.time.iter().enumerate() {
        let survival = km.survival.get(i).copied().unwrap_or(f64::NAN);
        let limits = (
            km.upper.get(i).copied().flatten(),
            km.lower.get(i).copied().flatten(),
        );
        // no limits while the curve is still 1 (log and log-log scales): the band is the point 1
        let (nu, nl) = match limits {
            (Some(nu), Some(nl)) => (nu, nl),
            _ if survival >= 1.0 => (1.0, 1.0),
            _ => break,
        };
        if !(t.is_finite() && nu.is_finite() && nl.is_finite()) {
            break;
        }
        upper.push((t, u));
        upper.push((t, nu));
        lower.push((t, l));
        lower.push((t, nl));
        u = nu;
        l = nl;
    }
    upper.extend(lower.into_iter().rev());
    upper
}

/// Kaplan–Meier curves of every arm with pointwise confidence bands (the analysis' level
/// and scale), censoring marks, and under the axis the numbers at risk at each tick of the
/// time axis — the same numbers [`KaplanMeier::survival_at`] gives at those days.
///
/// The survival axis starts at 0 unless every lower limit stays above one half; then it
/// starts at the multiple of 10 % below the lowest limit (the caption says so).
///
/// # Refusals
///
/// `NoEvents`-style refusals pass through: when no arm has a curve the figure is refused
/// (`TooFewObservations`); arms without a curve are named in a note.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{analyse_time_to_event, TimeToEventOptions};
/// use pain_outcomes::data::{CsvFiles, EventEndpoint, read_csv_files};
/// use pain_outcomes::report::kaplan_meier_figure;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = CsvFiles::new(format!("{dir}knee_oa_trial.csv"))
///     .with_events(format!("{dir}knee_oa_trial_events.csv"));
/// let cohort = read_csv_files(&files, &Default::default())?.cohort;
/// let data = cohort.time_to_event(EventEndpoint::Surgery)?;
/// let tte = analyse_time_to_event(&cohort, &data, &TimeToEventOptions::default())?;
/// let figure = kaplan_meier_figure(&tte).into_result()?;
/// assert_eq!(figure.svg.matches("class=\"at-risk\"").count(), tte.arms.len());
/// assert_eq!(figure.svg.matches("class=\"ci-band\"").count(), tte.arms.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kaplan_meier_figure(analysis: &TimeToEventAnalysis) -> Outcome<Figure> {
    let names: Vec<String> = analysis.arms.iter().map(|a| a.arm.clone()).collect();
    let order = arm_order(&names, &analysis.reference_arm);
    let mut curves: Vec<(String, &KaplanMeier)> = Vec::new();
    let mut notes = Vec::new();
    for arm in &order {
        let Some(a) = analysis.arm(arm) else { continue };
        match &a.kaplan_meier {
            Outcome::Computed(km) if !km.time.is_empty() => curves.push((arm.clone(), km)),
            Outcome::Computed(_) => notes.push(format!("{arm}: no follow-up to draw")),
            Outcome::Refused(r) => notes.push(format!("{arm}: no curve ({})", r.reason.code())),
        }
    }
    if curves.is_empty() {
        return refuse(
            RefusalReason::TooFewObservations,
            format!(
                "no arm has a Kaplan–Meier curve of {}",
                analysis.endpoint.label()
            ),
        );
    }
    let max_time = curves
        .iter()
        .filter_map(|(_, km)| km.time.last().copied())
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    let (x0, x1, x_ticks) = linear_ticks(0.0, max_time, 5);
    let lowest = curves
        .iter()
        .flat_map(|(_, km)| {
            km.lower
                .iter()
                .flatten()
                .copied()
                .chain(km.survival.iter().copied())
        })
        .filter(|v| v.is_finite())
        .fold(1.0, f64::min);
    let y_floor = if lowest >= 0.5 {
        ((lowest * 10.0).floor() * 10.0).clamp(0.0, 90.0)
    } else {
        0.0
    };
    let (y0, y1, y_ticks) = linear_ticks(y_floor, 100.0, 5);
    let drawn: Vec<String> = curves.iter().map(|(a, _)| a.clone()).collect();
    let spec = ChartSpec {
        x: Axis::linear(x0, x1, x_ticks.clone(), "Days since first treatment"),
        y: Axis::linear(y0, y1, y_ticks, survival_title(analysis.endpoint)),
        legend: arm_legend(&order, &drawn),
        plot_height: 170.0,
        y_reference: None,
        x_reference: None,
    };
    let level = curves.first().map_or(0.95, |(_, km)| km.confidence_level);
    let id = figure_id(&["kaplan_meier", analysis.endpoint.label()]);
    let mut caption = format!(
        "Kaplan–Meier estimate of time to {} by arm, with {} pointwise confidence bands; \
         ticks mark censored patients; numbers at risk under the axis.",
        analysis.endpoint.label().replace('_', " "),
        level_text(level)
    );
    if y_floor > 0.0 {
        caption.push_str(&format!(" The survival axis starts at {y_floor:.0} %."));
    }
    if let Outcome::Computed(lr) = &analysis.log_rank {
        let t = &lr.test;
        if t.statistic.is_finite() && t.p_value.is_finite() {
            notes.push(format!(
                "Log-rank test: χ²({:.0}) = {:.2}, p\u{a0}=\u{a0}{}",
                t.df,
                t.statistic,
                p_text(t.p_value)
            ));
        }
    }
    let desc = curves
        .iter()
        .map(|(arm, km)| {
            format!(
                "{arm}: {} patients, {} events, survival {:.1} % at day {:.0}",
                km.n,
                km.n_events,
                100.0 * km.survival.last().copied().unwrap_or(1.0),
                km.time.last().copied().unwrap_or(0.0)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = Svg::new(&id, &caption, &desc);
    let frame = draw_chart(&mut svg, &spec, 4.0);
    let map = |t: f64, s: f64| (frame.x.map(t), frame.y.map((100.0 * s).max(y0)));

    // overlapping bands of many arms stay readable only when faint
    let opacity = if drawn.len() > 3 { 0.07 } else { 0.14 };
    svg.open(&[("class", "ci-bands")]);
    for (arm, km) in &curves {
        let style = SeriesStyle::nth(arm_index(&order, arm));
        let pts: Vec<(f64, f64)> = band(km).into_iter().map(|(t, s)| map(t, s)).collect();
        svg.polygon(
            &pts,
            style.colour,
            opacity,
            &[("class", "ci-band"), ("data-arm", arm)],
        );
    }
    svg.close();
    for (arm, km) in &curves {
        let style = SeriesStyle::nth(arm_index(&order, arm));
        svg.open(&[("class", "series"), ("data-arm", arm)]);
        let pts: Vec<(f64, f64)> = steps(km).into_iter().map(|(t, s)| map(t, s)).collect();
        svg.polyline(
            &pts,
            Stroke::new(style.colour, 1.5).dash(style.dash),
            &[("class", "survival")],
        );
        let mut ticks = String::new();
        for (i, (&t, &s)) in km.time.iter().zip(&km.survival).enumerate() {
            if km.n_censor.get(i).copied().unwrap_or(0) > 0 {
                let (x, y) = map(t, s);
                ticks.push_str(&format!(
                    "M{},{}L{},{}",
                    super::svg::num(x),
                    super::svg::num(y - 2.5),
                    super::svg::num(x),
                    super::svg::num(y + 2.5)
                ));
            }
        }
        if !ticks.is_empty() {
            svg.raw(&format!(
                "<path class=\"censor\" d=\"{ticks}\" fill=\"none\" stroke=\"{}\" stroke-width=\"0.8\"/>\n",
                style.colour
            ));
        }
        svg.close();
    }

    // numbers at risk
    let times: Vec<f64> = x_ticks
        .iter()
        .map(|t| t.value)
        .filter(|t| t.is_finite() && *t >= 0.0)
        .collect();
    let mut y = frame.below + LINE;
    svg.text(
        (PAD, y - 3.0),
        "Number at risk",
        TextStyle::new(Anchor::Start).bold().class("at-risk-title"),
    );
    for (arm, km) in &curves {
        let style = SeriesStyle::nth(arm_index(&order, arm));
        let Ok(at) = km.survival_at(&times) else {
            continue;
        };
        y += LINE;
        svg.open(&[("class", "at-risk"), ("data-arm", arm)]);
        svg.tooltip(arm);
        draw_swatch(
            &mut svg,
            &style,
            Swatch::LineAndMarker,
            PAD,
            y - 3.0 - FONT_SIZE * 0.35,
        );
        for row in &at {
            let time = exact(row.time);
            svg.text_with(
                (frame.x.map(row.time), y - 3.0),
                &row.n_risk.to_string(),
                TextStyle::new(Anchor::Middle),
                &[("data-time", &time)],
            );
        }
        svg.close();
    }
    let below = draw_notes(&mut svg, &notes, y + 2.0);
    Outcome::Computed(Figure::new(id, caption, svg.finish(below + 3.0)))
}

/// A p-value as printed in a figure: three decimals, or `< 0.001`.
pub(crate) fn p_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}
