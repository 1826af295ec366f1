//! The look shared by every figure: the Okabe–Ito palette in a fixed arm order, line dashes
//! and marker shapes that survive grayscale printing, and the labels of instruments, visits
//! and endpoints.

use std::fmt::Write as _;

use super::svg::num;
use crate::domain::Instrument;

/// Okabe & Ito (2008) colours, black first for the reference arm, yellow last (it is faint on
/// white).
pub(crate) const OKABE_ITO: [&str; 8] = [
    "#000000", // black
    "#E69F00", // orange
    "#56B4E9", // sky blue
    "#009E73", // bluish green
    "#0072B2", // blue
    "#D55E00", // vermillion
    "#CC79A7", // reddish purple
    "#F0E442", // yellow
];

/// Dash patterns, cycled with a period coprime to the palette's.
const DASHES: [Option<&str>; 7] = [
    None,
    Some("6 2.5"),
    Some("2 2"),
    Some("7 2 1.5 2"),
    Some("3.5 2"),
    Some("10 2.5"),
    Some("1.5 1.5 5 1.5"),
];

/// Grey of grid lines, frames and secondary text.
pub(crate) const GREY: &str = "#767676";
/// Light grey of grid lines.
pub(crate) const GRID: &str = "#e3e3e3";

/// A marker shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Plus,
    Cross,
}

const MARKERS: [Marker; 7] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Plus,
    Marker::Cross,
];

/// Colour, dash and marker of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SeriesStyle {
    pub colour: &'static str,
    pub dash: Option<&'static str>,
    pub marker: Marker,
    /// Marker drawn hollow (white inside).
    pub hollow: bool,
}

impl SeriesStyle {
    /// The style of the series at position `index` (0 = the reference arm).
    pub(crate) fn nth(index: usize) -> SeriesStyle {
        SeriesStyle {
            colour: OKABE_ITO[index % OKABE_ITO.len()],
            dash: DASHES[index % DASHES.len()],
            marker: MARKERS[index % MARKERS.len()],
            hollow: false,
        }
    }
}

/// The markup of `marker` centred at `(x, y)`, `size` across.
pub(crate) fn marker_markup(style: &SeriesStyle, x: f64, y: f64, size: f64, extra: &str) -> String {
    if !(x.is_finite() && y.is_finite()) {
        return String::new();
    }
    let r = size / 2.0;
    let fill = if style.hollow {
        "#ffffff"
    } else {
        style.colour
    };
    let paint = format!(
        "fill=\"{fill}\" stroke=\"{}\" stroke-width=\"1\"{extra}",
        style.colour
    );
    let poly = |pts: &[(f64, f64)]| {
        let mut s = String::new();
        for (i, (px, py)) in pts.iter().enumerate() {
            let _ = write!(
                s,
                "{}{},{}",
                if i == 0 { "" } else { " " },
                num(*px),
                num(*py)
            );
        }
        format!("<polygon points=\"{s}\" {paint}/>\n")
    };
    match style.marker {
        Marker::Circle => format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {paint}/>\n",
            num(x),
            num(y),
            num(r * 0.9)
        ),
        Marker::Square => {
            let h = r * 0.8;
            poly(&[
                (x - h, y - h),
                (x + h, y - h),
                (x + h, y + h),
                (x - h, y + h),
            ])
        }
        Marker::Triangle => poly(&[(x, y - r), (x + r, y + r * 0.75), (x - r, y + r * 0.75)]),
        Marker::TriangleDown => poly(&[(x, y + r), (x + r, y - r * 0.75), (x - r, y - r * 0.75)]),
        Marker::Diamond => poly(&[(x, y - r * 1.1), (x + r, y), (x, y + r * 1.1), (x - r, y)]),
        Marker::Plus | Marker::Cross => {
            let d = if style.marker == Marker::Cross {
                format!(
                    "M{},{}L{},{}M{},{}L{},{}",
                    num(x - r),
                    num(y - r),
                    num(x + r),
                    num(y + r),
                    num(x - r),
                    num(y + r),
                    num(x + r),
                    num(y - r)
                )
            } else {
                format!(
                    "M{},{}L{},{}M{},{}L{},{}",
                    num(x - r),
                    num(y),
                    num(x + r),
                    num(y),
                    num(x),
                    num(y - r),
                    num(x),
                    num(y + r)
                )
            };
            format!(
                "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{extra}/>\n",
                style.colour
            )
        }
    }
}

/// Arms in figure order: the reference arm first, then the others in the order given. The
/// position of an arm in this order picks its colour, dash and marker, so an arm looks the
/// same in every figure of one analysis.
pub(crate) fn arm_order(arms: &[String], reference: &str) -> Vec<String> {
    let mut out: Vec<String> = arms.iter().filter(|a| *a == reference).cloned().collect();
    out.extend(arms.iter().filter(|a| *a != reference).cloned());
    out
}

/// Index of `arm` in `order` (its style), or the next free index for an arm not listed.
pub(crate) fn arm_index(order: &[String], arm: &str) -> usize {
    order.iter().position(|a| a == arm).unwrap_or(order.len())
}

/// The instrument's axis title, e.g. `Pain NRS (0–10)`.
pub(crate) fn score_title(code: &str) -> String {
    match Instrument::builtin(code) {
        Some(i) => i.name.replace('-', "\u{2013}"),
        None => format!("{code} (score)"),
    }
}

/// The instrument's unit in a difference, e.g. `NRS points`.
pub(crate) fn score_unit(code: &str) -> String {
    match code {
        "nrs" => "NRS points".into(),
        "vas" | "patient_global" => "mm".into(),
        "womac_pain" => "WOMAC pain points".into(),
        "womac_stiffness" => "WOMAC stiffness points".into(),
        "womac_function" => "WOMAC function points".into(),
        "womac_total" => "WOMAC points".into(),
        "koos_pain" => "KOOS pain points".into(),
        "odi" => "ODI points".into(),
        "roland_morris" => "RMDQ points".into(),
        "visa_a" => "VISA-A points".into(),
        "prtee" => "PRTEE points".into(),
        "ikdc" => "IKDC points".into(),
        other => format!("{other} points"),
    }
}

/// A compact visit label: `week_6` → `6 wk`, `month_12` → `12 mo`, `day_3` → `day 3`.
pub(crate) fn visit_label(visit: &str) -> String {
    let parts = visit.split_once('_');
    match parts {
        Some(("week", n)) if n.chars().all(|c| c.is_ascii_digit()) => format!("{n} wk"),
        Some(("month", n)) if n.chars().all(|c| c.is_ascii_digit()) => format!("{n} mo"),
        Some(("year", n)) if n.chars().all(|c| c.is_ascii_digit()) => format!("{n} y"),
        Some(("day", n)) if n.chars().all(|c| c.is_ascii_digit()) => format!("day {n}"),
        _ => visit.replace('_', " "),
    }
}

/// A figure identifier: lower-case letters, digits and `_`.
pub(crate) fn figure_id(parts: &[&str]) -> String {
    let mut id = String::new();
    for part in parts {
        if !id.is_empty() {
            id.push('_');
        }
        for c in part.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() {
                id.push(c);
            } else if !id.ends_with('_') {
                id.push('_');
            }
        }
    }
    id.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_arm_comes_first() {
        let arms = ["prp".to_string(), "placebo".to_string(), "cs".to_string()];
        assert_eq!(arm_order(&arms, "placebo"), ["placebo", "prp", "cs"]);
    }

    #[test]
    fn labels() {
        assert_eq!(visit_label("month_12"), "12 mo");
        assert_eq!(visit_label("end_of_study"), "end of study");
        assert_eq!(score_title("nrs"), "Pain NRS (0\u{2013}10)");
        assert_eq!(
            figure_id(&["forest", "stem_cell[adipose]+prp"]),
            "forest_stem_cell_adipose_prp"
        );
    }

    #[test]
    fn styles_differ_in_grayscale() {
        let a = SeriesStyle::nth(0);
        let b = SeriesStyle::nth(8); // the palette cycles back to black with another dash
        assert_ne!((a.dash, a.marker), (b.dash, b.marker));
    }
}
