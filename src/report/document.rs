//! A report as a document: sections of text, tables and figures, and where its numbers came
//! from; rendered as Markdown here and as one HTML page in [`html`](super::html).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::figure::Figure;
use super::tables::Table;

/// Where a report's numbers came from: the data files, the options of the analysis and the
/// version of this crate.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::Provenance;
/// let p = Provenance::new().with_data_file("trial.csv").with_option("instrument", "nrs");
/// assert_eq!(p.crate_version, env!("CARGO_PKG_VERSION"));
/// assert_eq!(p.options[0], ("instrument".to_string(), "nrs".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The data files read, as given.
    pub data_files: Vec<String>,
    /// The options used, as `(name, value)` pairs in the order given.
    pub options: Vec<(String, String)>,
    /// The version of `pain-outcomes` that computed the results.
    pub crate_version: String,
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance::new()
    }
}

impl Provenance {
    /// No files, no options, this crate's version.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(pain_outcomes::report::Provenance::new().data_files.is_empty());
    /// ```
    pub fn new() -> Self {
        Provenance {
            data_files: Vec::new(),
            options: Vec::new(),
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Adds a data file.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = pain_outcomes::report::Provenance::new().with_data_file("a.csv");
    /// assert_eq!(p.data_files, ["a.csv"]);
    /// ```
    pub fn with_data_file(mut self, path: impl Into<String>) -> Self {
        self.data_files.push(path.into());
        self
    }

    /// Adds an option and its value.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = pain_outcomes::report::Provenance::new().with_option("arms", "arm");
    /// assert_eq!(p.options.len(), 1);
    /// ```
    pub fn with_option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((name.into(), value.into()));
        self
    }
}

/// One piece of a section.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::Block;
/// let b = Block::Text("Arms were randomised.".into());
/// assert!(matches!(b, Block::Text(_)));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "content")]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// Fixed-width text printed as is (a text table of the terminal output).
    Preformatted(String),
    /// A table.
    Table(Table),
    /// A figure.
    Figure(Figure),
}

/// A section: a heading and its blocks.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::Section;
/// let s = Section::new("flow", "Participant flow").with_text("All patients were followed.");
/// assert_eq!(s.blocks.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Identifier: lower case letters, digits and `_` (the HTML anchor).
    pub id: String,
    /// Heading.
    pub heading: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(pain_outcomes::report::Section::new("a", "A").blocks.is_empty());
    /// ```
    pub fn new(id: impl Into<String>, heading: impl Into<String>) -> Self {
        Section {
            id: id.into(),
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a paragraph.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = pain_outcomes::report::Section::new("a", "A").with_text("x");
    /// assert_eq!(s.blocks.len(), 1);
    /// ```
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Text(text.into()));
        self
    }

    /// Appends fixed-width text.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = pain_outcomes::report::Section::new("a", "A").with_preformatted("arm  n\nprp 10");
    /// assert_eq!(s.blocks.len(), 1);
    /// ```
    pub fn with_preformatted(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Preformatted(text.into()));
        self
    }

    /// Appends a table.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Section, Table};
    /// let s = Section::new("a", "A").with_table(Table::new("t", "T", vec![]));
    /// assert_eq!(s.blocks.len(), 1);
    /// ```
    pub fn with_table(mut self, table: Table) -> Self {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Appends a figure.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Figure, Section};
    /// let s = Section::new("a", "A").with_figure(Figure::new("f", "F", "<svg/>"));
    /// assert_eq!(s.blocks.len(), 1);
    /// ```
    pub fn with_figure(mut self, figure: Figure) -> Self {
        self.blocks.push(Block::Figure(figure));
        self
    }
}

/// A report: a title, sections and the provenance of its numbers.
///
/// It renders as Markdown ([`to_markdown`](Self::to_markdown), figures linked as
/// `figures/{id}.svg`) and as one self-contained HTML page ([`to_html`](Self::to_html)); the
/// files are written by [`write_report`](super::write_report). Identifiers of sections,
/// tables and figures should be distinct within a report: they are the HTML anchors and the
/// file names.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::{Column, Figure, Report, Section, Table};
/// let mut t = Table::new("arms", "Arms", vec![Column::text("arm", "Arm")]);
/// t.push_row(vec!["placebo".into()]);
/// let report = Report::new("Knee OA trial")
///     .with_section(Section::new("design", "Design").with_text("Randomised, 6 arms.")
///         .with_table(t)
///         .with_figure(Figure::new("km", "Time to surgery", "<svg viewBox=\"0 0 10 10\"/>")));
/// let md = report.to_markdown();
/// assert!(md.starts_with("# Knee OA trial"));
/// assert!(md.contains("![Time to surgery](figures/km.svg)"));
/// assert_eq!(report.tables().count(), 1);
/// assert_eq!(report.figures().count(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Title.
    pub title: String,
    /// Sections, in order.
    pub sections: Vec<Section>,
    /// Where the numbers came from.
    pub provenance: Provenance,
}

impl Report {
    /// An empty report with this title and a provenance naming this crate's version.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(pain_outcomes::report::Report::new("R").sections.is_empty());
    /// ```
    pub fn new(title: impl Into<String>) -> Self {
        Report {
            title: title.into(),
            sections: Vec::new(),
            provenance: Provenance::new(),
        }
    }

    /// Appends a section.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Report, Section};
    /// let r = Report::new("R").with_section(Section::new("a", "A"));
    /// assert_eq!(r.sections.len(), 1);
    /// ```
    pub fn with_section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }

    /// Sets the provenance.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Provenance, Report};
    /// let r = Report::new("R").with_provenance(Provenance::new().with_data_file("a.csv"));
    /// assert_eq!(r.provenance.data_files, ["a.csv"]);
    /// ```
    pub fn with_provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = provenance;
        self
    }

    /// Every table, in document order.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::report::Report::new("R").tables().count(), 0);
    /// ```
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
    }

    /// Every figure, in document order.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::report::Report::new("R").figures().count(), 0);
    /// ```
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Figure(f) => Some(f),
                _ => None,
            })
    }

    /// The report as Markdown: `#` title, `##` sections, pipe tables, figures as images
    /// linked to `figures/{id}.svg`, fixed-width text in fences, and the provenance last.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Report, Section};
    /// let md = Report::new("R").with_section(Section::new("a", "A").with_text("x")).to_markdown();
    /// assert!(md.contains("## A\n\nx\n"));
    /// assert!(md.contains("pain-outcomes"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut s = format!("# {}\n", self.title);
        for section in &self.sections {
            let _ = write!(s, "\n## {}\n", section.heading);
            for block in &section.blocks {
                s.push('\n');
                match block {
                    Block::Text(t) => {
                        let _ = writeln!(s, "{}", t.trim());
                    }
                    Block::Preformatted(t) => {
                        let _ = writeln!(s, "```text\n{}\n```", t.trim_end());
                    }
                    Block::Table(t) => s.push_str(&t.to_markdown()),
                    Block::Figure(f) => {
                        let _ = writeln!(
                            s,
                            "![{}](figures/{})\n\n*Figure: {}*",
                            f.caption.replace(['[', ']', '\n'], " "),
                            f.file_name(),
                            f.caption.trim()
                        );
                    }
                }
            }
        }
        let p = &self.provenance;
        s.push_str("\n## Provenance\n\n");
        for f in &p.data_files {
            let _ = writeln!(s, "- data file: `{f}`");
        }
        for (k, v) in &p.options {
            let _ = writeln!(s, "- {k}: `{v}`");
        }
        let _ = writeln!(s, "- pain-outcomes {}", p.crate_version);
        s
    }
}
