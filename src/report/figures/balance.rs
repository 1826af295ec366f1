//! A love plot: the absolute standardised mean difference of every design term before and
//! after weighting (and in the matched sample), with the balance threshold.

use super::chart::{LegendEntry, PAD, Swatch, centred_x, draw_legend, draw_notes};
use super::scale::{Scale, linear_ticks};
use super::style::{GREY, GRID, Marker, SeriesStyle, figure_id, marker_markup};
use super::svg::{
    Anchor, FONT_SIZE, LINE, Stroke, Svg, TextStyle, WIDTH, exact, fit_text, text_width,
};
use crate::analysis::RegistryComparison;
use crate::outcome::refuse;
use crate::report::Figure;
use crate::stats::weighting::WeightEstimand;
use crate::{Outcome, RefusalReason};

const BEFORE: SeriesStyle = SeriesStyle {
    colour: "#D55E00",
    dash: None,
    marker: Marker::Circle,
    hollow: true,
};
const WEIGHTED: SeriesStyle = SeriesStyle {
    colour: "#0072B2",
    dash: None,
    marker: Marker::Circle,
    hollow: false,
};
const MATCHED: SeriesStyle = SeriesStyle {
    colour: "#009E73",
    dash: None,
    marker: Marker::Triangle,
    hollow: false,
};

/// The love plot of a registry comparison: for each design term of the propensity model,
/// |SMD| before weighting (open circles), after weighting (filled circles) and in the
/// matched sample (triangles, when matching was asked for), terms sorted by |SMD| before
/// weighting, with a dashed line at the balance threshold. The signed SMD is kept in each
/// marker's `data-smd`.
///
/// # Refusals
///
/// `NotEstimable` when the balance table has no term with a finite SMD.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{registry_comparison, RegistryOptions};
/// use pain_outcomes::report::balance_figure;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/");
/// let files = pain_outcomes::data::CsvFiles::new(format!("{dir}tendinopathy_registry.csv"));
/// let cohort = pain_outcomes::data::read_csv_files(&files, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let options = RegistryOptions::new("stem_cell", "corticosteroid").with_caliper(0.2);
/// let r = registry_comparison(&cohort, &wide, &options)?.into_result()?;
/// let figure = balance_figure(&r).into_result()?;
/// assert_eq!(figure.svg.matches("class=\"legend-entry\"").count(), 3); // before, weighted, matched
/// assert!(figure.svg.contains("Absolute standardised mean difference"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn balance_figure(comparison: &RegistryComparison) -> Outcome<Figure> {
    let table = &comparison.balance;
    let mut rows: Vec<_> = table
        .rows
        .iter()
        .filter(|r| r.before.smd.is_finite() && r.weighted.smd.is_finite())
        .collect();
    if rows.is_empty() {
        return refuse(
            RefusalReason::NotEstimable,
            "the balance table has no term with a finite SMD",
        );
    }
    rows.sort_by(|a, b| b.before.smd.abs().total_cmp(&a.before.smd.abs()));
    let matched = rows.iter().any(|r| r.matched.is_some());
    let weights = match comparison.options.weights.estimand {
        WeightEstimand::Ate => "ATE",
        WeightEstimand::Att => "ATT",
        WeightEstimand::Overlap => "Overlap",
    };
    let mut legend = vec![
        LegendEntry {
            label: "Before weighting".into(),
            style: BEFORE,
            swatch: Swatch::Marker,
            key: ("data-sample", "before".into()),
        },
        LegendEntry {
            label: format!("{weights} weighted"),
            style: WEIGHTED,
            swatch: Swatch::Marker,
            key: ("data-sample", "weighted".into()),
        },
    ];
    if matched {
        legend.push(LegendEntry {
            label: "Matched".into(),
            style: MATCHED,
            swatch: Swatch::Marker,
            key: ("data-sample", "matched".into()),
        });
    }
    let max = rows
        .iter()
        .flat_map(|r| {
            [
                Some(r.before.smd),
                Some(r.weighted.smd),
                r.matched.as_ref().map(|m| m.smd),
            ]
        })
        .flatten()
        .filter(|x| x.is_finite())
        .map(f64::abs)
        .fold(table.threshold, f64::max);
    let (d0, d1, ticks) = linear_ticks(0.0, max, 4);

    let id = figure_id(&["balance", &comparison.treated, "vs", &comparison.comparator]);
    let caption = format!(
        "Covariate balance of {} versus {}: absolute standardised mean differences of the \
         propensity-model terms before and after weighting{}; dashed line at {}.",
        comparison.treated,
        comparison.comparator,
        if matched {
            " and in the matched sample"
        } else {
            ""
        },
        table.threshold
    );
    let desc = format!(
        "Largest |SMD| {:.3} before weighting, {:.3} after{}.",
        table.max_smd_before,
        table.max_smd_weighted,
        table
            .max_smd_matched
            .map_or(String::new(), |m| format!(", {m:.3} matched"))
    );
    let mut svg = Svg::new(&id, &caption, &desc);
    let top = draw_legend(&mut svg, &legend, 4.0) + 6.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.term, FONT_SIZE))
        .fold(0.0, f64::max)
        .min(130.0);
    let left = PAD + label_w + 8.0;
    let last_half = ticks
        .last()
        .map_or(0.0, |t| text_width(&t.label, FONT_SIZE) / 2.0);
    let right = WIDTH - (last_half + 2.0).max(10.0);
    let x = Scale::Linear {
        d0,
        d1,
        r0: left,
        r1: right,
    };
    let row_h = LINE + 1.0;
    let bottom = top + row_h * rows.len() as f64 + 4.0;
    let cy = |i: usize| top + row_h * (i as f64 + 0.5) + 2.0;

    for (i, r) in rows.iter().enumerate() {
        svg.line((left, cy(i)), (right, cy(i)), Stroke::new(GRID, 0.6));
        let shown = fit_text(&r.term, FONT_SIZE, label_w);
        svg.text(
            (left - 6.0, cy(i) + FONT_SIZE * 0.35),
            &shown,
            TextStyle::new(Anchor::End).class("term-label"),
        );
        svg.line(
            (x.map(r.before.smd.abs()), cy(i)),
            (x.map(r.weighted.smd.abs()), cy(i)),
            Stroke::new(GREY, 0.8),
        );
    }
    svg.open(&[("class", "axis"), ("data-axis", "x")]);
    for t in &ticks {
        let px = x.map(t.value);
        svg.line(
            (px, bottom),
            (px, bottom + 3.0),
            Stroke::new("#000000", 0.8),
        );
        svg.text(
            (px, bottom + 3.0 + FONT_SIZE),
            &t.label,
            TextStyle::new(Anchor::Middle).class("tick-label"),
        );
    }
    let title_y = bottom + 3.0 + FONT_SIZE + LINE + 1.0;
    svg.text(
        (
            centred_x("Absolute standardised mean difference", left, right),
            title_y,
        ),
        "Absolute standardised mean difference",
        TextStyle::new(Anchor::Middle).class("axis-title"),
    );
    svg.close();
    svg.line((left, top), (left, bottom), Stroke::new("#000000", 0.8));
    svg.line((left, bottom), (right, bottom), Stroke::new("#000000", 0.8));
    let tx = x.map(table.threshold);
    svg.line(
        (tx, top),
        (tx, bottom),
        Stroke::new(GREY, 0.9).dash(Some("3 2")),
    );

    let samples: [(&str, SeriesStyle); 3] = [
        ("before", BEFORE),
        ("weighted", WEIGHTED),
        ("matched", MATCHED),
    ];
    for (name, style) in samples {
        let points: Vec<(usize, &str, f64)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let smd = match name {
                    "before" => Some(r.before.smd),
                    "weighted" => Some(r.weighted.smd),
                    _ => r.matched.as_ref().map(|m| m.smd),
                }?;
                smd.is_finite().then_some((i, r.term.as_str(), smd))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        svg.open(&[("class", "series"), ("data-sample", name)]);
        for (i, term, smd) in points {
            let extra = format!(
                " data-term=\"{}\" data-smd=\"{}\"",
                super::svg::escape(term),
                exact(smd)
            );
            svg.raw(&marker_markup(&style, x.map(smd.abs()), cy(i), 6.0, &extra));
        }
        svg.close();
    }
    let ess = &comparison.effective_sample_sizes;
    let notes = vec![format!(
        "Effective sample size after weighting: {} {:.1} of {}, {} {:.1} of {}.",
        comparison.treated,
        ess.ess_treated,
        ess.n_treated,
        comparison.comparator,
        ess.ess_comparator,
        ess.n_comparator
    )];
    let below = draw_notes(&mut svg, &notes, title_y + 5.0);
    Outcome::Computed(Figure::new(id, caption, svg.finish(below + 3.0)))
}
