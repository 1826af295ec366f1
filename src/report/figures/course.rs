//! A patient's predicted course from the trajectory model, with its prediction interval, the
//! population mean of the patient's arm and the patient's observed scores.

use super::chart::{Axis, ChartSpec, LegendEntry, Swatch, draw_chart};
use super::level_text;
use super::scale::linear_ticks;
use super::style::{
    GREY, Marker, SeriesStyle, arm_index, arm_order, figure_id, marker_markup, score_title,
};
use super::svg::{Stroke, Svg, exact};
use crate::analysis::TrajectoryFit;
use crate::data::Cohort;
use crate::domain::Instrument;
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::report::Figure;
use crate::{Outcome, RefusalReason};

/// The predicted course of analysed patient `patient_id` at `days` (from
/// [`TrajectoryFit::patient_course`]): the patient's prediction with the interval where a
/// new score is expected, the population mean of the patient's arm (dashed), and the
/// patient's observed scores on the model's instrument in `cohort` (the cohort the model
/// was fitted to).
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `days` is empty or holds a value that is not finite, or
/// the patient is not in the model or not in `cohort`.
///
/// # Refusals
///
/// `NotEstimable` when no predicted point is finite.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::TrajectoryModel;
/// use pain_outcomes::report::patient_course_figure;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let fit = TrajectoryModel::new(&cohort).instrument("nrs").fit()?.into_result()?;
/// let days: Vec<f64> = (0..=73).map(|i| 10.0 * f64::from(i)).collect();
/// let figure = patient_course_figure(&fit, &cohort, "KOA-0001", &days)?.into_result()?;
/// assert!(figure.svg.contains("class=\"ci-band\""));
/// assert!(patient_course_figure(&fit, &cohort, "nobody", &days).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn patient_course_figure(
    fit: &TrajectoryFit,
    cohort: &Cohort,
    patient_id: &str,
    days: &[f64],
) -> Result<Outcome<Figure>> {
    if days.is_empty() || days.iter().any(|d| !d.is_finite()) {
        return Err(Error::invalid_argument(
            "days",
            "give at least one day, every day finite",
        ));
    }
    let course = fit.patient_course(patient_id, days).ok_or_else(|| {
        Error::invalid_argument(
            "patient_id",
            format!("`{patient_id}` is not a patient of the trajectory model"),
        )
    })?;
    let p = cohort
        .patients()
        .iter()
        .position(|p| p.id.as_str() == patient_id)
        .ok_or_else(|| {
            Error::invalid_argument(
                "patient_id",
                format!("`{patient_id}` is not a patient of the cohort"),
            )
        })?;
    let arm = cohort
        .arm_of()
        .get(p)
        .and_then(|&a| cohort.arms().get(a as usize))
        .cloned()
        .unwrap_or_default();
    let instrument = cohort.instrument_index(&fit.instrument);
    let mut observed: Vec<(f64, f64)> = Vec::new();
    for row in cohort.patient_rows(p) {
        let same = instrument.is_some_and(|i| {
            cohort
                .instrument_of()
                .get(row)
                .is_some_and(|&x| usize::from(x) == i)
        });
        if let (true, Some(Some(s)), Some(&d)) =
            (same, cohort.scores().get(row), cohort.days().get(row))
        {
            observed.push((f64::from(d.max(0)), *s));
        }
    }
    let mut points: Vec<_> = course
        .iter()
        .filter(|c| {
            [
                c.day,
                c.predicted,
                c.population,
                c.prediction_interval.lower,
                c.prediction_interval.upper,
            ]
            .iter()
            .all(|x| x.is_finite())
        })
        .collect();
    points.sort_by(|a, b| a.day.total_cmp(&b.day));
    if points.is_empty() {
        return Ok(refuse(
            RefusalReason::NotEstimable,
            format!("no finite prediction for patient `{patient_id}`"),
        ));
    }
    let level = points.first().map_or(0.95, |c| c.prediction_interval.level);
    let order = arm_order(&fit.arms, &fit.reference_arm);
    let mut style = SeriesStyle::nth(arm_index(&order, &arm));
    if style.colour == "#F0E442" || style.colour == "#000000" {
        style.colour = "#0072B2";
    }
    style.dash = None;
    let population = SeriesStyle {
        colour: GREY,
        dash: Some("5 3"),
        marker: Marker::Circle,
        hollow: false,
    };
    let observed_style = SeriesStyle {
        colour: "#000000",
        dash: None,
        marker: Marker::Circle,
        hollow: true,
    };
    let max_day = points
        .iter()
        .map(|c| c.day)
        .chain(observed.iter().map(|o| o.0))
        .fold(0.0, f64::max);
    let min_day = points.iter().map(|c| c.day).fold(0.0, f64::min);
    let (x0, x1, x_ticks) = linear_ticks(min_day, max_day, 5);
    let (y0, y1, y_ticks) = match Instrument::builtin(&fit.instrument) {
        Some(i) => linear_ticks(i.min, i.max, 5),
        None => {
            let values = points
                .iter()
                .flat_map(|c| [c.prediction_interval.lower, c.prediction_interval.upper])
                .chain(observed.iter().map(|o| o.1));
            let lo = values.clone().fold(f64::INFINITY, f64::min);
            let hi = values.fold(f64::NEG_INFINITY, f64::max);
            linear_ticks(lo, hi, 5)
        }
    };
    let level_label = level_text(level);
    let legend = vec![
        LegendEntry {
            label: "Predicted course".into(),
            style,
            swatch: Swatch::Line,
            key: ("data-series", "predicted".into()),
        },
        LegendEntry {
            label: format!("{level_label} prediction interval"),
            style,
            swatch: Swatch::Band,
            key: ("data-series", "prediction-interval".into()),
        },
        LegendEntry {
            label: format!("Mean of {arm}"),
            style: population,
            swatch: Swatch::Line,
            key: ("data-series", "population".into()),
        },
        LegendEntry {
            label: "Observed".into(),
            style: observed_style,
            swatch: Swatch::Marker,
            key: ("data-series", "observed".into()),
        },
    ];
    let spec = ChartSpec {
        x: Axis::linear(x0, x1, x_ticks, "Days since first treatment"),
        y: Axis::linear(y0, y1, y_ticks, score_title(&fit.instrument)),
        legend,
        plot_height: 170.0,
        y_reference: None,
        x_reference: None,
    };
    let id = figure_id(&["course", &fit.instrument, patient_id]);
    let caption = format!(
        "Predicted {} course of patient {patient_id} ({arm}) from the trajectory model, with the \
         {level_label} interval where a new score is expected; dashed: the mean of {arm}; circles: \
         the patient's observed scores.",
        fit.instrument
    );
    let last = points.last().map_or(String::new(), |c| {
        format!(
            "At day {:.0}: predicted {:.2}, interval {:.2} to {:.2}; arm mean {:.2}.",
            c.day,
            c.predicted,
            c.prediction_interval.lower,
            c.prediction_interval.upper,
            c.population
        )
    });
    let mut svg = Svg::new(
        &id,
        &caption,
        &format!("{} observed scores. {last}", observed.len()),
    );
    let frame = draw_chart(&mut svg, &spec, 4.0);
    let map = |d: f64, v: f64| (frame.x.map(d), frame.y.map(v.clamp(y0, y1)));
    let mut band: Vec<(f64, f64)> = points
        .iter()
        .map(|c| map(c.day, c.prediction_interval.upper))
        .collect();
    band.extend(
        points
            .iter()
            .rev()
            .map(|c| map(c.day, c.prediction_interval.lower)),
    );
    svg.polygon(
        &band,
        style.colour,
        0.18,
        &[("class", "ci-band"), ("data-series", "prediction-interval")],
    );
    let pop: Vec<(f64, f64)> = points.iter().map(|c| map(c.day, c.population)).collect();
    svg.polyline(
        &pop,
        Stroke::new(GREY, 1.2).dash(population.dash),
        &[("class", "population")],
    );
    svg.open(&[
        ("class", "series"),
        ("data-series", "predicted"),
        ("data-arm", &arm),
    ]);
    let line: Vec<(f64, f64)> = points.iter().map(|c| map(c.day, c.predicted)).collect();
    svg.polyline(
        &line,
        Stroke::new(style.colour, 1.6),
        &[("class", "predicted")],
    );
    svg.close();
    svg.open(&[("class", "observed")]);
    for (d, s) in &observed {
        let (x, y) = map(*d, *s);
        let extra = format!(" data-day=\"{}\" data-score=\"{}\"", exact(*d), exact(*s));
        svg.raw(&marker_markup(&observed_style, x, y, 5.5, &extra));
    }
    svg.close();
    Ok(Outcome::Computed(Figure::new(
        id,
        caption,
        svg.finish(frame.below + 2.0),
    )))
}
