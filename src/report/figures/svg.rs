//! A small SVG writer: escaped text, finite coordinates printed with two decimals at most,
//! one font stack, and text widths estimated from Helvetica's metrics (Arial and Liberation
//! Sans share them), so that the layout is computed the same way on every machine.

use std::fmt::Write as _;

/// Width of every figure in user units: 8.5 cm at 96 dpi (one journal column).
pub(crate) const WIDTH: f64 = 321.0;
/// Fonts metric-compatible with each other, then the browser's sans-serif.
pub(crate) const FONT_FAMILY: &str = "Helvetica, Arial, 'Liberation Sans', sans-serif";
/// Text size in user units: 8.25 pt when the figure is 8.5 cm wide.
pub(crate) const FONT_SIZE: f64 = 11.0;
/// Line height of one row of text.
pub(crate) const LINE: f64 = 13.5;

/// Escapes text for element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // control characters are not allowed in XML 1.0
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: at most two decimals, no trailing zeros, never `-0`. Callers pass finite
/// numbers only (elements with a non-finite coordinate are not written).
pub(crate) fn num(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A number as an exact attribute value (`data-estimate`): Rust's shortest round-trip form.
pub(crate) fn exact(x: f64) -> String {
    format!("{x}")
}

/// Advance width of `c` in thousandths of an em (Helvetica AFM metrics; 600 for characters
/// not in the table).
fn char_width(c: char) -> u32 {
    const ASCII: [u32; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
        278, // ' '..'/'
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
        556, // '0'..'?'
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
        778, // '@'..'O'
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
        556, // 'P'..'_'
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
        556, // '`'..'o'
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
    ];
    let code = c as u32;
    if (32..127).contains(&code) {
        return ASCII.get((code - 32) as usize).copied().unwrap_or(600);
    }
    match c {
        '–' | '−' | '±' | '×' | '≥' | '≤' => 584,
        '—' | '…' => 1000,
        'τ' | 'χ' | '²' => 556,
        _ => 600,
    }
}

/// Estimated width of `text` at font size `size`.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    let units: u32 = text.chars().map(char_width).sum();
    f64::from(units) * size / 1000.0
}

/// `text` shortened with an ellipsis to fit `width` at `size`.
pub(crate) fn fit_text(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let next = format!("{out}{c}…");
        if text_width(&next, size) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Horizontal alignment of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attribute(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// How a text is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle<'a> {
    pub size: f64,
    pub anchor: Anchor,
    pub bold: bool,
    pub fill: &'a str,
    pub class: Option<&'a str>,
    /// Rotated by −90° about its anchor point (a vertical axis title).
    pub vertical: bool,
}

impl<'a> TextStyle<'a> {
    pub(crate) fn new(anchor: Anchor) -> Self {
        TextStyle {
            size: FONT_SIZE,
            anchor,
            bold: false,
            fill: "#000000",
            class: None,
            vertical: false,
        }
    }

    pub(crate) fn class(mut self, class: &'a str) -> Self {
        self.class = Some(class);
        self
    }

    pub(crate) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    pub(crate) fn fill(mut self, fill: &'a str) -> Self {
        self.fill = fill;
        self
    }

    pub(crate) fn vertical(mut self) -> Self {
        self.vertical = true;
        self
    }
}

/// How a line is stroked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stroke<'a> {
    pub colour: &'a str,
    pub width: f64,
    pub dash: Option<&'a str>,
    pub opacity: f64,
}

impl<'a> Stroke<'a> {
    pub(crate) fn new(colour: &'a str, width: f64) -> Self {
        Stroke {
            colour,
            width,
            dash: None,
            opacity: 1.0,
        }
    }

    pub(crate) fn dash(mut self, dash: Option<&'a str>) -> Self {
        self.dash = dash;
        self
    }

    pub(crate) fn opacity(mut self, opacity: f64) -> Self {
        self.opacity = opacity;
        self
    }

    fn attributes(&self) -> String {
        let mut s = format!(
            " fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"",
            self.colour,
            num(self.width)
        );
        if let Some(d) = self.dash {
            let _ = write!(s, " stroke-dasharray=\"{d}\"");
        }
        if self.opacity < 1.0 {
            let _ = write!(s, " stroke-opacity=\"{}\"", num(self.opacity));
        }
        s.push_str(" stroke-linejoin=\"round\" stroke-linecap=\"butt\"");
        s
    }
}

/// Attributes written on an element: `class` and `data-*` values, escaped.
pub(crate) fn attributes(pairs: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs {
        let _ = write!(s, " {k}=\"{}\"", escape(v));
    }
    s
}

fn finite(points: &[(f64, f64)]) -> bool {
    points.iter().all(|(x, y)| x.is_finite() && y.is_finite())
}

fn point_list(points: &[(f64, f64)]) -> String {
    let parts: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
        .collect();
    parts.join(" ")
}

/// The attributes of a `<text>` at `at` drawn with `style`.
fn text_attributes(at: (f64, f64), style: &TextStyle<'_>) -> String {
    let mut a = format!("x=\"{}\" y=\"{}\"", num(at.0), num(at.1));
    if style.anchor != Anchor::Start {
        let _ = write!(a, " text-anchor=\"{}\"", style.anchor.attribute());
    }
    if (style.size - FONT_SIZE).abs() > 1e-9 {
        let _ = write!(a, " font-size=\"{}\"", num(style.size));
    }
    if style.bold {
        a.push_str(" font-weight=\"bold\"");
    }
    if style.fill != "#000000" {
        let _ = write!(a, " fill=\"{}\"", style.fill);
    }
    if style.vertical {
        let _ = write!(a, " transform=\"rotate(-90 {} {})\"", num(at.0), num(at.1));
    }
    if let Some(c) = style.class {
        let _ = write!(a, " class=\"{c}\"");
    }
    a
}

/// An SVG document being written.
#[derive(Debug, Clone)]
pub(crate) struct Svg {
    id: String,
    title: String,
    desc: String,
    body: String,
}

impl Svg {
    /// A document whose `<title>` and `<desc>` are `title` and `desc`; `id` prefixes the
    /// element ids (so that several figures can share one HTML page).
    pub(crate) fn new(id: &str, title: &str, desc: &str) -> Self {
        Svg {
            id: id.to_string(),
            title: title.to_string(),
            desc: desc.to_string(),
            body: String::new(),
        }
    }

    /// Opens `<g …>` with the given attributes.
    pub(crate) fn open(&mut self, pairs: &[(&str, &str)]) {
        let _ = writeln!(self.body, "<g{}>", attributes(pairs));
    }

    /// Closes the last `<g>`.
    pub(crate) fn close(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// A `<title>` for the enclosing group (a tooltip and an accessible name).
    pub(crate) fn tooltip(&mut self, text: &str) {
        let _ = writeln!(self.body, "<title>{}</title>", escape(text));
    }

    /// A straight line.
    pub(crate) fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: Stroke<'_>) {
        self.line_with(from, to, stroke, &[]);
    }

    /// A straight line with extra attributes.
    pub(crate) fn line_with(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        stroke: Stroke<'_>,
        pairs: &[(&str, &str)],
    ) {
        if !finite(&[from, to]) {
            return;
        }
        let _ = writeln!(
            self.body,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}{}/>",
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1),
            stroke.attributes(),
            attributes(pairs)
        );
    }

    /// An open polyline (written as a path).
    pub(crate) fn polyline(
        &mut self,
        points: &[(f64, f64)],
        stroke: Stroke<'_>,
        pairs: &[(&str, &str)],
    ) {
        if points.len() < 2 || !finite(points) {
            return;
        }
        let mut d = String::new();
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{},{}",
                if i == 0 { "M" } else { "L" },
                num(*x),
                num(*y)
            );
        }
        let _ = writeln!(
            self.body,
            "<path d=\"{d}\"{}{}/>",
            stroke.attributes(),
            attributes(pairs)
        );
    }

    /// A filled polygon without outline.
    pub(crate) fn polygon(
        &mut self,
        points: &[(f64, f64)],
        fill: &str,
        opacity: f64,
        pairs: &[(&str, &str)],
    ) {
        if points.len() < 3 || !finite(points) {
            return;
        }
        let _ = writeln!(
            self.body,
            "<polygon points=\"{}\" fill=\"{fill}\" fill-opacity=\"{}\" stroke=\"none\"{}/>",
            point_list(points),
            num(opacity),
            attributes(pairs)
        );
    }

    /// A rectangle.
    pub(crate) fn rect(
        &mut self,
        at: (f64, f64),
        size: (f64, f64),
        fill: &str,
        stroke: Option<Stroke<'_>>,
    ) {
        if !finite(&[at, size]) || size.0 < 0.0 || size.1 < 0.0 {
            return;
        }
        let outline = match stroke {
            Some(s) => s.attributes().replacen(" fill=\"none\"", "", 1),
            None => " stroke=\"none\"".to_string(),
        };
        let _ = writeln!(
            self.body,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"{outline}/>",
            num(at.0),
            num(at.1),
            num(size.0),
            num(size.1)
        );
    }

    /// A text.
    pub(crate) fn text(&mut self, at: (f64, f64), text: &str, style: TextStyle<'_>) {
        self.text_with(at, text, style, &[]);
    }

    /// A text with extra attributes.
    pub(crate) fn text_with(
        &mut self,
        at: (f64, f64),
        text: &str,
        style: TextStyle<'_>,
        pairs: &[(&str, &str)],
    ) {
        if !finite(&[at]) {
            return;
        }
        let _ = writeln!(
            self.body,
            "<text {}{}>{}</text>",
            text_attributes(at, &style),
            attributes(pairs),
            escape(text)
        );
    }

    /// One text of several lines (`<tspan>`s), each `spacing` below the previous one in the
    /// text's own frame (to the right of it for a vertical text).
    pub(crate) fn text_lines(
        &mut self,
        at: (f64, f64),
        lines: &[String],
        spacing: f64,
        style: TextStyle<'_>,
    ) {
        if !finite(&[at]) {
            return;
        }
        let mut content = String::new();
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                content,
                "<tspan x=\"{}\" dy=\"{}\">{}</tspan>",
                num(at.0),
                num(if i == 0 { 0.0 } else { spacing }),
                escape(line)
            );
        }
        let _ = writeln!(
            self.body,
            "<text {}>{content}</text>",
            text_attributes(at, &style)
        );
    }

    /// Raw markup made by this module's helpers (markers).
    pub(crate) fn raw(&mut self, markup: &str) {
        self.body.push_str(markup);
    }

    /// The document, `height` user units tall.
    pub(crate) fn finish(self, height: f64) -> String {
        let h = num(height.max(1.0));
        let w = num(WIDTH);
        let id = escape(&self.id);
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             font-family=\"{FONT_FAMILY}\" font-size=\"{}\" role=\"img\" \
             aria-labelledby=\"{id}-title {id}-desc\">\n\
             <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n\
             <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{}</svg>\n",
            num(FONT_SIZE),
            escape(&self.title),
            escape(&self.desc),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_never_negative_zero() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(2.345), "2.35");
        assert_eq!(num(120.5), "120.5");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn widths_follow_helvetica() {
        assert!((text_width("0", 10.0) - 5.56).abs() < 1e-9);
        assert!(fit_text("stem_cell[bone_marrow]+prp", 11.0, 60.0).ends_with('…'));
    }

    #[test]
    fn non_finite_elements_are_not_written() {
        let mut svg = Svg::new("x", "t", "d");
        svg.line((0.0, f64::NAN), (1.0, 1.0), Stroke::new("#000000", 1.0));
        svg.text((f64::INFINITY, 0.0), "a", TextStyle::new(Anchor::Start));
        let out = svg.finish(10.0);
        assert!(!out.contains("<line") && !out.contains("NaN") && !out.contains(">a<"));
    }
}
