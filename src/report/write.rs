//! Writing a report to a folder: the HTML page, the Markdown file with its figures, every
//! table as CSV, and the results as JSON.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::document::Report;
use crate::error::{Error, Result};

/// The files [`write_report`] wrote.
///
/// `Display` lists them, one per line.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::{Report, write_report};
/// let dir = std::env::temp_dir().join("pain_outcomes_doc_written");
/// let written = write_report(&dir, &Report::new("R"), &serde_json::json!({"n": 1}))?;
/// assert!(written.to_string().contains("report.html"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenReport {
    /// The folder.
    pub dir: PathBuf,
    /// `report.html`: the self-contained page.
    pub html: PathBuf,
    /// `report.md`: the Markdown document (figures linked from `figures/`).
    pub markdown: PathBuf,
    /// `results.json`: the results.
    pub results: PathBuf,
    /// `figures/{id}.svg`, one per figure.
    pub figures: Vec<PathBuf>,
    /// `tables/{id}.csv`, one per table.
    pub tables: Vec<PathBuf>,
}

impl fmt::Display for WrittenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "report written to {}:", self.dir.display())?;
        writeln!(f, "  {}", self.html.display())?;
        writeln!(f, "  {}", self.markdown.display())?;
        writeln!(f, "  {}", self.results.display())?;
        if !self.figures.is_empty() {
            writeln!(
                f,
                "  {} figures in {}",
                self.figures.len(),
                self.dir.join("figures").display()
            )?;
        }
        write!(
            f,
            "  {} tables (CSV) in {}",
            self.tables.len(),
            self.dir.join("tables").display()
        )
    }
}

/// Writes `report` and `results` into the folder `dir` (created if needed): `report.html`
/// (one self-contained page), `report.md` with `figures/{id}.svg`, `tables/{id}.csv` and
/// `results.json` (pretty-printed `results`). Existing files of the same names are replaced.
///
/// # Errors
///
/// [`Error::WriteFile`] when a folder or file cannot be created or written;
/// [`Error::Json`] when `results` cannot be serialized; [`Error::CsvWrite`] on a CSV writer
/// failure.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::{Column, Figure, Report, Section, Table, write_report};
/// let mut t = Table::new("arms", "Arms", vec![Column::text("arm", "Arm")]);
/// t.push_row(vec!["placebo".into()]);
/// let report = Report::new("Demo").with_section(
///     Section::new("s", "Results").with_table(t)
///         .with_figure(Figure::new("dot", "A dot", "<svg viewBox=\"0 0 2 2\"><circle cx=\"1\" cy=\"1\" r=\"1\"/></svg>")));
/// let dir = std::env::temp_dir().join("pain_outcomes_doc_write_report");
/// let written = write_report(&dir, &report, &serde_json::json!({"arms": ["placebo"]}))?;
/// assert!(std::fs::read_to_string(&written.html)?.contains("<circle"));
/// assert_eq!(std::fs::read_to_string(&written.tables[0])?, "arm\nplacebo\n");
/// assert!(written.figures[0].ends_with("figures/dot.svg"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_report<T: Serialize + ?Sized>(
    dir: impl AsRef<Path>,
    report: &Report,
    results: &T,
) -> Result<WrittenReport> {
    let dir = dir.as_ref().to_path_buf();
    let figures_dir = dir.join("figures");
    let tables_dir = dir.join("tables");
    for d in [&dir, &figures_dir, &tables_dir] {
        std::fs::create_dir_all(d).map_err(|source| Error::WriteFile {
            path: d.display().to_string(),
            source,
        })?;
    }
    let mut figures = Vec::new();
    for figure in report.figures() {
        let path = figures_dir.join(figure.file_name());
        write(&path, figure.svg.as_bytes())?;
        figures.push(path);
    }
    let mut tables = Vec::new();
    for table in report.tables() {
        let path = tables_dir.join(format!("{}.csv", table.id));
        write(&path, table.to_csv()?.as_bytes())?;
        tables.push(path);
    }
    let results_path = dir.join("results.json");
    write(&results_path, super::to_json(results)?.as_bytes())?;
    let markdown = dir.join("report.md");
    write(&markdown, report.to_markdown().as_bytes())?;
    let html = dir.join("report.html");
    write(&html, report.to_html().as_bytes())?;
    Ok(WrittenReport {
        dir,
        html,
        markdown,
        results: results_path,
        figures,
        tables,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::WriteFile {
        path: path.display().to_string(),
        source,
    })
}
