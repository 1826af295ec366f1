//! A table ready for a document: title, caption, columns with stable identifiers and display
//! headers, rows of text cells and footnotes; rendered as Markdown, CSV and HTML.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How a column's cells line up.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::{Align, Column};
/// assert_eq!(Column::number("n", "n").align, Align::Right);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Text: left aligned.
    #[default]
    Left,
    /// Numbers: right aligned.
    Right,
}

/// One column: a stable `snake_case` identifier (the CSV header, the same for every dataset
/// except where a column is named after an arm) and the header people read.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::Column;
/// let c = Column::text("arm", "Arm");
/// assert_eq!((c.id.as_str(), c.header.as_str()), ("arm", "Arm"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Stable identifier: lower case letters, digits and `_`.
    pub id: String,
    /// Display header.
    pub header: String,
    /// Alignment of the cells.
    pub align: Align,
}

impl Column {
    /// A left-aligned text column.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::report::Column::text("visit", "Visit").id, "visit");
    /// ```
    pub fn text(id: impl Into<String>, header: impl Into<String>) -> Self {
        Column {
            id: id.into(),
            header: header.into(),
            align: Align::Left,
        }
    }

    /// A right-aligned column of numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Align, Column};
    /// assert_eq!(Column::number("p_value", "p").align, Align::Right);
    /// ```
    pub fn number(id: impl Into<String>, header: impl Into<String>) -> Self {
        Column {
            id: id.into(),
            header: header.into(),
            align: Align::Right,
        }
    }
}

/// A table of a report: what it shows (title, caption), its columns, rows of formatted cells
/// and footnotes.
///
/// Cells are text as people read them (`6.2 (1.4)`, `0.31 [0.12, 0.50]`); a statistic that
/// could not be computed holds its refusal, never `NaN`. The same table renders as Markdown
/// ([`to_markdown`](Self::to_markdown)), CSV with the column identifiers as header
/// ([`to_csv`](Self::to_csv)) and an HTML `<table>` with every text escaped
/// ([`to_html`](Self::to_html)).
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::{Column, Table};
/// let mut t = Table::new("demo", "Patients by arm", vec![
///     Column::text("arm", "Arm"),
///     Column::number("n", "n"),
/// ]);
/// t.push_row(vec!["placebo".into(), "60".into()]);
/// t.push_row(vec!["prp <high dose>".into(), "58".into()]);
/// t.footnotes.push("n = patients enrolled".into());
/// assert_eq!(t.to_csv()?, "arm,n\nplacebo,60\nprp <high dose>,58\n");
/// assert!(t.to_html().contains("prp &lt;high dose&gt;"));
/// assert!(t.to_markdown().contains("| placebo | 60 |"));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Identifier: lower case letters, digits and `_` (the file name `tables/{id}.csv` and the
    /// HTML anchor).
    pub id: String,
    /// Title.
    pub title: String,
    /// What the table shows and how to read it.
    pub caption: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// Rows of cells, one cell per column.
    pub rows: Vec<Vec<String>>,
    /// Notes printed under the table.
    pub footnotes: Vec<String>,
}

impl Table {
    /// An empty table with these columns.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let t = Table::new("t", "Title", vec![Column::text("a", "A")]);
    /// assert!(t.rows.is_empty());
    /// ```
    pub fn new(id: impl Into<String>, title: impl Into<String>, columns: Vec<Column>) -> Self {
        Table {
            id: id.into(),
            title: title.into(),
            caption: String::new(),
            columns,
            rows: Vec::new(),
            footnotes: Vec::new(),
        }
    }

    /// Sets the caption.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::Table;
    /// let t = Table::new("t", "Title", vec![]).with_caption("What it shows.");
    /// assert_eq!(t.caption, "What it shows.");
    /// ```
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = caption.into();
        self
    }

    /// Appends a row; a row with too few cells is padded with empty cells, extra cells are
    /// dropped, so that every row has one cell per column.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let mut t = Table::new("t", "T", vec![Column::text("a", "A"), Column::text("b", "B")]);
    /// t.push_row(vec!["x".into()]);
    /// assert_eq!(t.rows[0], vec!["x".to_string(), String::new()]);
    /// ```
    pub fn push_row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.columns.len(), String::new());
        self.rows.push(cells);
    }

    /// The index of the column with identifier `id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let t = Table::new("t", "T", vec![Column::text("a", "A"), Column::text("b", "B")]);
    /// assert_eq!(t.column("b"), Some(1));
    /// ```
    pub fn column(&self, id: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// The cell of row `row` in the column `id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let mut t = Table::new("t", "T", vec![Column::text("a", "A")]);
    /// t.push_row(vec!["x".into()]);
    /// assert_eq!(t.cell(0, "a"), Some("x"));
    /// assert_eq!(t.cell(1, "a"), None);
    /// ```
    pub fn cell(&self, row: usize, id: &str) -> Option<&str> {
        let c = self.column(id)?;
        self.rows.get(row)?.get(c).map(String::as_str)
    }

    /// The table as GitHub-flavoured Markdown: title in bold, caption, the pipe table with
    /// display headers and the footnotes (`|` in cells is escaped).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let mut t = Table::new("t", "T", vec![Column::text("a", "A"), Column::number("n", "n")]);
    /// t.push_row(vec!["x|y".into(), "1".into()]);
    /// let md = t.to_markdown();
    /// assert!(md.contains("| A | n |\n|:--|--:|\n| x\\|y | 1 |"));
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut s = format!("**{}**\n\n", markdown_cell(&self.title));
        if !self.caption.is_empty() {
            let _ = write!(s, "{}\n\n", self.caption.trim());
        }
        s.push('|');
        for c in &self.columns {
            let _ = write!(s, " {} |", markdown_cell(&c.header.replace('\n', " ")));
        }
        s.push_str("\n|");
        for c in &self.columns {
            s.push_str(match c.align {
                Align::Left => ":--|",
                Align::Right => "--:|",
            });
        }
        s.push('\n');
        for row in &self.rows {
            s.push('|');
            for cell in row {
                let _ = write!(s, " {} |", markdown_cell(cell));
            }
            s.push('\n');
        }
        for note in &self.footnotes {
            let _ = write!(s, "\n{}\n", note.trim());
        }
        s
    }

    /// The table as CSV: a header of the column identifiers, then the rows as shown.
    ///
    /// # Errors
    ///
    /// [`Error::CsvWrite`](crate::Error) if the CSV writer fails (it writes to memory, so
    /// only on an internal error).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let mut t = Table::new("t", "T", vec![Column::text("arm", "Arm")]);
    /// t.push_row(vec!["a, b".into()]);
    /// assert_eq!(t.to_csv()?, "arm\n\"a, b\"\n");
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.columns.iter().map(|c| c.id.as_str()))
            .map_err(Box::new)?;
        for row in &self.rows {
            w.write_record(row).map_err(Box::new)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Box::new(csv::Error::from(e.into_error())))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The table as an HTML `<figure>` holding a `<table>` (in a horizontally scrolling box),
    /// its caption and footnotes; every text is escaped. The element's `id` is the table's.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let mut t = Table::new("flow", "A & B", vec![Column::number("n", "n")]);
    /// t.push_row(vec!["3".into()]);
    /// let html = t.to_html();
    /// assert!(html.contains("id=\"flow\""));
    /// assert!(html.contains("A &amp; B"));
    /// assert!(html.contains("<td class=\"num\">3</td>"));
    /// ```
    pub fn to_html(&self) -> String {
        let mut s = String::with_capacity(64 * (self.rows.len() + 4) * self.columns.len().max(1));
        let _ = write!(
            s,
            "<figure class=\"table\" id=\"{}\">\n<figcaption><strong>{}</strong>",
            escape_html(&self.id),
            escape_html(&self.title)
        );
        if !self.caption.is_empty() {
            let _ = write!(s, " {}", escape_html(self.caption.trim()));
        }
        s.push_str("</figcaption>\n<div class=\"scroll\"><table>\n<thead><tr>");
        for c in &self.columns {
            let _ = write!(
                s,
                "<th scope=\"col\"{}>{}</th>",
                class_of(c.align),
                breakable(&escape_html(&c.header)).replace('\n', "<br>")
            );
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            s.push_str("<tr>");
            for (cell, c) in row.iter().zip(&self.columns) {
                // labels wrap, also inside an arm label; a long number cell (an NNT with
                // Altman's interval, a refusal) may wrap too
                let (class, text) = match c.align {
                    Align::Left => (" class=\"text\"", breakable(&escape_html(cell))),
                    Align::Right if cell.chars().count() > WRAP_AFTER => {
                        (" class=\"wrap\"", escape_html(cell))
                    }
                    Align::Right => (" class=\"num\"", escape_html(cell)),
                };
                let _ = write!(s, "<td{class}>{text}</td>");
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table></div>\n");
        for note in &self.footnotes {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", escape_html(note.trim()));
        }
        s.push_str("</figure>\n");
        s
    }
}

impl Table {
    /// The table as fixed-width text for a terminal: the title, the caption, the display
    /// headers and the cells padded to their column's width (numbers right-aligned), and the
    /// footnotes.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::{Column, Table};
    /// let mut t = Table::new("t", "Arms", vec![Column::text("arm", "arm"), Column::number("n", "n")]);
    /// t.push_row(vec!["placebo".into(), "60".into()]);
    /// t.push_row(vec!["prp".into(), "8".into()]);
    /// assert_eq!(t.to_text(), "Arms\narm      n\nplacebo 60\nprp      8\n");
    /// ```
    pub fn to_text(&self) -> String {
        let headers: Vec<String> = self
            .columns
            .iter()
            .map(|c| c.header.replace('\n', " "))
            .collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let mut s = String::new();
            for ((cell, w), c) in cells.zip(&widths).zip(&self.columns) {
                if !s.is_empty() {
                    s.push(' ');
                }
                let pad = w.saturating_sub(cell.chars().count());
                match c.align {
                    Align::Left => {
                        s.push_str(cell);
                        s.extend(std::iter::repeat_n(' ', pad));
                    }
                    Align::Right => {
                        s.extend(std::iter::repeat_n(' ', pad));
                        s.push_str(cell);
                    }
                }
            }
            let mut s = s.trim_end().to_string();
            s.push('\n');
            s
        };
        let mut s = format!("{}\n", self.title);
        if !self.caption.is_empty() {
            let _ = writeln!(s, "{}", self.caption.trim());
        }
        s.push_str(&line(&mut headers.iter().map(String::as_str)));
        for row in &self.rows {
            s.push_str(&line(&mut row.iter().map(String::as_str)));
        }
        for note in &self.footnotes {
            let _ = writeln!(s, "{}", note.trim());
        }
        s
    }

    /// A tidy table of results ([`Tidy`](crate::report::Tidy)) as a report table: the tidy
    /// column names are the identifiers and headers; numbers print with four decimals
    /// (whole numbers without, very small ones in scientific notation); a missing value is an
    /// empty cell.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::MmrmBuilder;
    /// use pain_outcomes::report::{Table, Tidy};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let mmrm = MmrmBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
    /// let t = Table::from_tidy("mmrm", "MMRM differences", &mmrm.tidy()?);
    /// assert_eq!(t.rows.len(), 25);
    /// assert!(t.column("p_value").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_tidy(
        id: impl Into<String>,
        title: impl Into<String>,
        tidy: &crate::data::TidyTable,
    ) -> Table {
        use crate::data::TidyValues;
        let columns = tidy
            .columns()
            .iter()
            .map(|c| match c.values {
                TidyValues::Number(_) => Column::number(c.name.clone(), c.name.clone()),
                TidyValues::Text(_) => Column::text(c.name.clone(), c.name.clone()),
            })
            .collect();
        let mut t = Table::new(id, title, columns);
        for i in 0..tidy.n_rows() {
            let row = tidy
                .columns()
                .iter()
                .map(|c| match &c.values {
                    TidyValues::Number(v) => v
                        .get(i)
                        .copied()
                        .flatten()
                        .map_or_else(String::new, tidy_number),
                    TidyValues::Text(v) => v.get(i).cloned().flatten().unwrap_or_default(),
                })
                .collect();
            t.push_row(row);
        }
        t
    }
}

/// A number of a tidy table for people.
fn tidy_number(x: f64) -> String {
    if !x.is_finite() {
        super::format::NOT_ESTIMABLE.to_string()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() < 1e-3 {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// Escaped label text with line-break opportunities (`<wbr>`) before `[`, `+` and `(`, so
/// that a label such as `stem_cell[bone_marrow]+prp` can wrap in a narrow column.
fn breakable(escaped: &str) -> String {
    let mut s = String::with_capacity(escaped.len() + 16);
    for (i, ch) in escaped.char_indices() {
        if i > 0 && matches!(ch, '[' | '+' | '(') {
            s.push_str("<wbr>");
        }
        s.push(ch);
    }
    s
}

/// Cells longer than this (in characters) may wrap in HTML.
const WRAP_AFTER: usize = 28;

fn class_of(align: Align) -> &'static str {
    match align {
        Align::Left => "",
        Align::Right => " class=\"num\"",
    }
}

/// A cell for a Markdown pipe table: `|` escaped, line breaks as spaces.
fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Text escaped for HTML element content and attribute values (`&`, `<`, `>`, `"`, `'`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::escape_html;
/// assert_eq!(escape_html("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// A stable identifier made from a label: lower case ASCII letters and digits, every other
/// run of characters one `_` (`stem_cell[bone_marrow]+prp` → `stem_cell_bone_marrow_prp`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::slug;
/// assert_eq!(slug("stem_cell[bone_marrow]+prp"), "stem_cell_bone_marrow_prp");
/// assert_eq!(slug("IMMPACT >= 30 %"), "immpact_30");
/// assert_eq!(slug("+++"), "x");
/// ```
pub fn slug(label: &str) -> String {
    let mut s = String::with_capacity(label.len());
    for ch in label.chars() {
        if ch.is_ascii_alphanumeric() {
            s.push(ch.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
    }
    while s.ends_with('_') {
        s.pop();
    }
    if s.is_empty() {
        s.push('x');
    }
    s
}
