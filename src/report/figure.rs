//! A figure ready to place in a document: an SVG drawing with its identifier and caption.

use serde::{Deserialize, Serialize};

/// One figure: a self-contained SVG drawing (`<svg …>…</svg>`, no external references), a
/// stable identifier (used as the file name `figures/{id}.svg` and as the HTML anchor) and a
/// caption that says what is drawn.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::Figure;
/// let figure = Figure::new("trajectory_nrs", "Mean NRS by arm", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
/// assert_eq!(figure.file_name(), "trajectory_nrs.svg");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Identifier: lower case letters, digits and `_` (a file name and an HTML anchor).
    pub id: String,
    /// What the figure shows, in a sentence or two.
    pub caption: String,
    /// The drawing.
    pub svg: String,
}

impl Figure {
    /// A figure from its parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::Figure;
    /// let figure = Figure::new("km", "Time to surgery", "<svg/>");
    /// assert_eq!(figure.id, "km");
    /// ```
    pub fn new(id: impl Into<String>, caption: impl Into<String>, svg: impl Into<String>) -> Self {
        Figure {
            id: id.into(),
            caption: caption.into(),
            svg: svg.into(),
        }
    }

    /// The file name the figure is written under: `{id}.svg`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::Figure;
    /// assert_eq!(Figure::new("forest", "", "<svg/>").file_name(), "forest.svg");
    /// ```
    pub fn file_name(&self) -> String {
        format!("{}.svg", self.id)
    }
}
