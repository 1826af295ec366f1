//! The report as one self-contained HTML page: inline CSS and SVG, no external resources,
//! readable from a 8.5 cm journal column (about 320 CSS pixels) to a desktop screen.

use std::fmt::Write as _;

use super::document::{Block, Report};
use super::tables::escape_html;

/// The page's style: the system font stack, tables that scroll sideways inside their box on
/// narrow screens instead of widening the page, figures scaled to the column.
const CSS: &str = r#"
:root { color-scheme: light; --rule: #d9d9d9; --muted: #555; --head: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: #1b1b1b; background: #fff; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif; font-size: 16px; }
main { max-width: 76rem; margin: 0 auto; padding: 1rem clamp(0.5rem, 3vw, 2rem) 3rem; }
h1 { font-size: clamp(1.35rem, 5vw, 2rem); line-height: 1.2; margin: 0.5rem 0 0.75rem; }
h2 { font-size: clamp(1.15rem, 4vw, 1.45rem); line-height: 1.25; margin: 2rem 0 0.5rem;
  padding-bottom: 0.2rem; border-bottom: 1px solid var(--rule); }
h1, h2, p, li, dd, figcaption { overflow-wrap: anywhere; }
nav ol { margin: 0; padding-left: 1.4rem; columns: 16rem; column-gap: 2rem; }
nav li { margin: 0.1rem 0; break-inside: avoid; }
a { color: #0b57a4; }
figure { margin: 1.25rem 0; }
figcaption { margin: 0 0 0.4rem; font-size: 0.95rem; }
.scroll { display: inline-block; vertical-align: top; overflow-x: auto; max-width: 100%;
  border: 1px solid var(--rule);
  /* shadows at an edge with more to scroll to (they move with the content) */
  background:
    linear-gradient(to right, #fff 40%, rgba(255,255,255,0)) left / 1.5rem 100% no-repeat local,
    linear-gradient(to left, #fff 40%, rgba(255,255,255,0)) right / 1.5rem 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.22), rgba(0,0,0,0)) left / .6rem 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.22), rgba(0,0,0,0)) right / .6rem 100% no-repeat scroll; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.55rem; border-bottom: 1px solid var(--rule); text-align: left;
  vertical-align: top; }
td { white-space: nowrap; }
td.text { white-space: normal; min-width: 5.5rem; }
td.text:first-child { min-width: 7rem; }
td.wrap { white-space: normal; min-width: 11rem; text-align: right; }
th { background: rgba(0,0,0,.045); font-weight: 600; min-width: 4.5rem; }
th.num, td.num { text-align: right; }
tbody tr:nth-child(even) td { background: rgba(0,0,0,.018); }
p.note { margin: 0.3rem 0 0; font-size: 0.82rem; color: var(--muted); }
figure.figure svg { display: block; max-width: 100%; height: auto; }
figure.figure .svg { max-width: 100%; overflow-x: auto; }
pre { margin: 0.75rem 0; padding: 0.5rem 0.6rem; overflow-x: auto; border: 1px solid var(--rule);
  font-size: 0.75rem; line-height: 1.35;
  background:
    linear-gradient(to left, #f7f7f7 40%, rgba(247,247,247,0)) right / 1.5rem 100% no-repeat local,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.22), rgba(0,0,0,0)) right / .6rem 100% no-repeat scroll,
    #f7f7f7; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; min-width: 0; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
@media (max-width: 30rem) {
  body { font-size: 15px; }
  table { font-size: 0.78rem; }
  th, td { padding: 0.25rem 0.4rem; }
  dl.provenance { grid-template-columns: 1fr; }
  dl.provenance dd { margin-bottom: 0.4rem; }
}
@media print { .scroll { overflow: visible; border: 0; } a { color: inherit; } }
"#;

impl Report {
    /// The report as one self-contained HTML page: inline CSS, every table (escaped), every
    /// figure's SVG inline with its caption, a table of contents and the provenance; no
    /// script and no external resource.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Figure, Report, Section};
    /// let r = Report::new("Trial <A>").with_section(
    ///     Section::new("fig", "Figures")
    ///         .with_figure(Figure::new("km", "Survival", "<svg viewBox=\"0 0 4 4\"></svg>")));
    /// let html = r.to_html();
    /// assert!(html.starts_with("<!DOCTYPE html>"));
    /// assert!(html.contains("<title>Trial &lt;A&gt;</title>"));
    /// assert!(html.contains("<svg viewBox=\"0 0 4 4\"></svg>"));
    /// assert!(!html.contains("http://") && !html.contains("https://"));
    /// ```
    pub fn to_html(&self) -> String {
        let mut s = String::with_capacity(64 * 1024);
        let title = escape_html(&self.title);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"pain-outcomes {}\">\n<title>{title}</title>\n\
             <style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n",
            escape_html(&self.provenance.crate_version)
        );
        s.push_str("<nav aria-label=\"Contents\"><ol>\n");
        for section in &self.sections {
            let _ = writeln!(
                s,
                "<li><a href=\"#{}\">{}</a></li>",
                escape_html(&section.id),
                escape_html(&section.heading)
            );
        }
        s.push_str("<li><a href=\"#provenance\">Provenance</a></li>\n</ol></nav>\n");
        for section in &self.sections {
            let _ = writeln!(
                s,
                "<section id=\"{}\">\n<h2>{}</h2>",
                escape_html(&section.id),
                escape_html(&section.heading)
            );
            for block in &section.blocks {
                match block {
                    Block::Text(t) => {
                        let _ = writeln!(s, "<p>{}</p>", escape_html(t.trim()));
                    }
                    Block::Preformatted(t) => {
                        let _ = writeln!(s, "<pre>{}</pre>", escape_html(t.trim_end()));
                    }
                    Block::Table(t) => s.push_str(&t.to_html()),
                    Block::Figure(f) => {
                        let _ = write!(
                            s,
                            "<figure class=\"figure\" id=\"{}\">\n<div class=\"svg\">{}</div>\n\
                             <figcaption>{}</figcaption>\n</figure>\n",
                            escape_html(&f.id),
                            inline_svg(&f.svg),
                            escape_html(f.caption.trim())
                        );
                    }
                }
            }
            s.push_str("</section>\n");
        }
        provenance(&mut s, self);
        s.push_str("</main>\n</body>\n</html>\n");
        s
    }
}

/// The `<svg>` element of a drawing, without an XML declaration or doctype before it (they
/// have no place inside an HTML page).
fn inline_svg(svg: &str) -> &str {
    let svg = svg.trim();
    match svg.find("<svg") {
        Some(start) if svg.starts_with("<?xml") || svg.starts_with("<!") => {
            svg.get(start..).unwrap_or(svg)
        }
        _ => svg,
    }
}

fn provenance(s: &mut String, r: &Report) {
    let p = &r.provenance;
    s.push_str("<section id=\"provenance\">\n<h2>Provenance</h2>\n<dl class=\"provenance\">\n");
    for f in &p.data_files {
        let _ = writeln!(
            s,
            "<dt>data file</dt><dd><code>{}</code></dd>",
            escape_html(f)
        );
    }
    for (k, v) in &p.options {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            escape_html(k),
            escape_html(v)
        );
    }
    let _ = writeln!(
        s,
        "<dt>software</dt><dd>pain-outcomes {}</dd>\n</dl>\n</section>",
        escape_html(&p.crate_version)
    );
}
