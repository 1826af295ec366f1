//! The frame of an x–y chart: a legend above the plot, grid lines, axes with ticks and tick
//! labels, and axis titles; it returns the scales that map data into the plot area.

use super::scale::{Scale, Tick};
use super::style::{GREY, GRID, SeriesStyle, marker_markup};
use super::svg::{Anchor, FONT_SIZE, LINE, Stroke, Svg, TextStyle, WIDTH, text_width};

/// Space around the drawing.
pub(crate) const PAD: f64 = 4.0;
const TICK: f64 = 3.0;

/// What a legend entry shows beside its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swatch {
    /// A line with the series' dash and a marker.
    LineAndMarker,
    /// A marker alone.
    Marker,
    /// A line alone.
    Line,
    /// A filled band.
    Band,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub label: String,
    pub style: SeriesStyle,
    pub swatch: Swatch,
    /// The `data-…` attribute naming the series (`("data-arm", "prp")`).
    pub key: (&'static str, String),
}

const SWATCH: f64 = 22.0;
const SWATCH_GAP: f64 = 4.0;
const ENTRY_GAP: f64 = 10.0;

fn entry_width(e: &LegendEntry) -> f64 {
    SWATCH + SWATCH_GAP + text_width(&e.label, FONT_SIZE)
}

/// Rows of legend entries wrapped into `width`.
fn legend_rows(entries: &[LegendEntry], width: f64) -> Vec<Vec<&LegendEntry>> {
    let mut rows: Vec<Vec<&LegendEntry>> = Vec::new();
    let mut used = 0.0;
    for e in entries {
        let w = entry_width(e);
        match rows.last_mut() {
            Some(row) if used + ENTRY_GAP + w <= width => {
                row.push(e);
                used += ENTRY_GAP + w;
            }
            _ => {
                rows.push(vec![e]);
                used = w;
            }
        }
    }
    rows
}

/// Draws a swatch of `style` whose centre line is at `y`, from `x`.
pub(crate) fn draw_swatch(svg: &mut Svg, style: &SeriesStyle, swatch: Swatch, x: f64, y: f64) {
    match swatch {
        Swatch::LineAndMarker | Swatch::Line => svg.line(
            (x, y),
            (x + SWATCH, y),
            Stroke::new(style.colour, 1.6).dash(style.dash),
        ),
        Swatch::Band => svg.polygon(
            &[
                (x, y - 4.0),
                (x + SWATCH, y - 4.0),
                (x + SWATCH, y + 4.0),
                (x, y + 4.0),
            ],
            style.colour,
            0.2,
            &[],
        ),
        Swatch::Marker => {}
    }
    if matches!(swatch, Swatch::LineAndMarker | Swatch::Marker) {
        svg.raw(&marker_markup(style, x + SWATCH / 2.0, y, 6.0, ""));
    }
}

/// Draws the legend from `y` and returns the y below it.
pub(crate) fn draw_legend(svg: &mut Svg, entries: &[LegendEntry], y: f64) -> f64 {
    let width = WIDTH - 2.0 * PAD;
    let mut y = y;
    for row in legend_rows(entries, width) {
        let mut x = PAD;
        let centre = y + LINE / 2.0;
        for e in row {
            svg.open(&[("class", "legend-entry"), (e.key.0, &e.key.1)]);
            draw_swatch(svg, &e.style, e.swatch, x, centre);
            svg.text(
                (x + SWATCH + SWATCH_GAP, centre + FONT_SIZE * 0.35),
                &e.label,
                TextStyle::new(Anchor::Start),
            );
            svg.close();
            x += entry_width(e) + ENTRY_GAP;
        }
        y += LINE;
    }
    y
}

/// One axis: its scale's domain, ticks and title.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    /// The scale (its range is set by the layout).
    pub scale: Scale,
    pub ticks: Vec<Tick>,
    pub title: String,
}

impl Axis {
    /// A linear axis over the domain `d0 … d1` (its range is set by the layout).
    pub(crate) fn linear(d0: f64, d1: f64, ticks: Vec<Tick>, title: impl Into<String>) -> Self {
        Axis {
            scale: Scale::Linear {
                d0,
                d1,
                r0: 0.0,
                r1: 1.0,
            },
            ticks,
            title: title.into(),
        }
    }
}

/// An x–y chart to lay out.
#[derive(Debug, Clone)]
pub(crate) struct ChartSpec {
    pub x: Axis,
    pub y: Axis,
    pub legend: Vec<LegendEntry>,
    /// Height of the plot area.
    pub plot_height: f64,
    /// A y value marked by a reference line (zero difference).
    pub y_reference: Option<f64>,
    /// An x value marked by a reference line.
    pub x_reference: Option<f64>,
}

/// The laid-out chart: scales onto the plot area and where the next element may start.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub x: Scale,
    pub y: Scale,
    /// The first y below the x-axis title.
    pub below: f64,
}

/// Left margin that holds the y tick labels and `title_lines` lines of y title.
fn left_margin(y_ticks: &[Tick], title_lines: usize) -> f64 {
    let widest = y_ticks
        .iter()
        .map(|t| text_width(&t.label, FONT_SIZE))
        .fold(0.0, f64::max);
    PAD + LINE * title_lines as f64 + 2.0 + widest + 3.0 + TICK
}

/// The x position of a centred title: the centre of `[left, right]`, moved so that the
/// title stays inside the figure.
pub(crate) fn centred_x(title: &str, left: f64, right: f64) -> f64 {
    let half = text_width(title, FONT_SIZE) / 2.0;
    let centre = (left + right) / 2.0;
    centre.min(WIDTH - PAD - half).max(PAD + half)
}

/// Lays out and draws the frame of `spec`, starting at `y0`.
pub(crate) fn draw_chart(svg: &mut Svg, spec: &ChartSpec, y0: f64) -> Frame {
    let legend_bottom = if spec.legend.is_empty() {
        y0
    } else {
        draw_legend(svg, &spec.legend, y0)
    };
    let top = legend_bottom + 8.0;
    let y_title = wrap(&spec.y.title, spec.plot_height);
    let left = left_margin(&spec.y.ticks, y_title.len().max(1));
    let last_x = spec
        .x
        .ticks
        .last()
        .map(|t| text_width(&t.label, FONT_SIZE) / 2.0)
        .unwrap_or(0.0);
    let right = WIDTH - (last_x + 2.0).max(8.0);
    let bottom = top + spec.plot_height;
    let x = spec.x.scale.with_range(left, right);
    let y = spec.y.scale.with_range(bottom, top);

    svg.open(&[("class", "axis"), ("data-axis", "y")]);
    for t in &spec.y.ticks {
        let py = y.map(t.value);
        svg.line((left, py), (right, py), Stroke::new(GRID, 0.6));
        svg.line((left - TICK, py), (left, py), Stroke::new("#000000", 0.8));
        svg.text(
            (left - TICK - 2.0, py + FONT_SIZE * 0.35),
            &t.label,
            TextStyle::new(Anchor::End).class("tick-label"),
        );
    }
    svg.text_lines(
        (PAD + FONT_SIZE * 0.8, (top + bottom) / 2.0),
        &y_title,
        LINE,
        TextStyle::new(Anchor::Middle)
            .vertical()
            .class("axis-title"),
    );
    svg.close();

    svg.open(&[("class", "axis"), ("data-axis", "x")]);
    for t in &spec.x.ticks {
        let px = x.map(t.value);
        if !matches!(x, Scale::Band { .. }) {
            svg.line((px, top), (px, bottom), Stroke::new(GRID, 0.6));
        }
        svg.line(
            (px, bottom),
            (px, bottom + TICK),
            Stroke::new("#000000", 0.8),
        );
        svg.text(
            (px, bottom + TICK + FONT_SIZE),
            &t.label,
            TextStyle::new(Anchor::Middle).class("tick-label"),
        );
    }
    let title_y = bottom + TICK + FONT_SIZE + LINE + 1.0;
    svg.text(
        (centred_x(&spec.x.title, left, right), title_y),
        &spec.x.title,
        TextStyle::new(Anchor::Middle).class("axis-title"),
    );
    svg.close();

    if let Some(v) = spec.y_reference {
        let py = y.map(v);
        svg.line(
            (left, py),
            (right, py),
            Stroke::new(GREY, 0.9).dash(Some("3 2")),
        );
    }
    if let Some(v) = spec.x_reference {
        let px = x.map(v);
        svg.line(
            (px, top),
            (px, bottom),
            Stroke::new(GREY, 0.9).dash(Some("3 2")),
        );
    }
    svg.line((left, top), (left, bottom), Stroke::new("#000000", 0.8));
    svg.line((left, bottom), (right, bottom), Stroke::new("#000000", 0.8));
    Frame {
        x,
        y,
        below: title_y + 5.0,
    }
}

/// Draws notes (a refused arm, a test) as lines of grey text from `y`; returns the y below.
pub(crate) fn draw_notes(svg: &mut Svg, notes: &[String], y: f64) -> f64 {
    let mut y = y;
    for note in notes {
        for line in wrap(note, WIDTH - 2.0 * PAD) {
            y += LINE;
            svg.text(
                (PAD, y - 3.0),
                &line,
                TextStyle::new(Anchor::Start).fill("#444444").class("note"),
            );
        }
    }
    y
}

/// `text` broken at spaces into lines no wider than `width`.
pub(crate) fn wrap(text: &str, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, FONT_SIZE) > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            current = word.to_string();
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}
