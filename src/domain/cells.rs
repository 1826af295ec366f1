//! Cell sources, origins, doses and image guidance.

use super::parse::category;

category! {
    /// Tissue the mesenchymal stem (stromal) cells come from.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::CellSource;
    /// assert_eq!("Adipose".parse::<CellSource>().unwrap(), CellSource::Adipose);
    /// ```
    CellSource, "cell source" {
        /// Bone-marrow aspirate (BM-MSC, BMAC).
        BoneMarrow = "bone_marrow",
        /// Adipose tissue (AD-MSC, SVF).
        Adipose = "adipose",
        /// Umbilical cord (Wharton's jelly).
        UmbilicalCord = "umbilical_cord",
        /// Induced pluripotent stem-cell derived.
        Ipsc = "ipsc",
    }
}

category! {
    /// Whether the cells are the patient's own.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::CellOrigin;
    /// assert_eq!(CellOrigin::Allogeneic.to_string(), "allogeneic");
    /// ```
    CellOrigin, "cell origin" {
        /// The patient's own cells.
        Autologous = "autologous",
        /// Donor cells.
        Allogeneic = "allogeneic",
    }
}

category! {
    /// How the injection was guided.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::Guidance;
    /// assert_eq!("ultrasound".parse::<Guidance>().unwrap(), Guidance::Ultrasound);
    /// ```
    Guidance, "guidance" {
        /// Ultrasound-guided.
        Ultrasound = "ultrasound",
        /// Fluoroscopy-guided.
        Fluoroscopy = "fluoroscopy",
        /// Anatomical landmarks only (blind injection).
        Landmark = "landmark",
    }
}

/// A cell dose in millions of cells, finite and strictly positive.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::CellDose;
/// let d = CellDose::new(50.0).unwrap();
/// assert_eq!(d.million_cells(), 50.0);
/// assert!(CellDose::new(0.0).is_none());
/// assert!(CellDose::new(f64::NAN).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CellDose(f64);

impl CellDose {
    /// Largest dose accepted, in millions of cells (a guard against unit mistakes: 10^11 cells).
    pub const MAX_MILLION: f64 = 100_000.0;

    /// A dose of `million_cells` × 10^6 cells; `None` unless finite and in (0, `MAX_MILLION`].
    pub fn new(million_cells: f64) -> Option<Self> {
        (million_cells.is_finite() && million_cells > 0.0 && million_cells <= Self::MAX_MILLION)
            .then_some(CellDose(million_cells))
    }

    /// The dose in millions of cells.
    pub fn million_cells(self) -> f64 {
        self.0
    }
}

/// The cell product of a stem-cell therapy: source, origin and dose, each possibly unrecorded.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{CellOrigin, CellSource, StemCells};
/// let cells = StemCells { source: Some(CellSource::Adipose), origin: Some(CellOrigin::Autologous), dose: None };
/// assert_eq!(cells.source, Some(CellSource::Adipose));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct StemCells {
    /// Tissue of origin.
    pub source: Option<CellSource>,
    /// Autologous or allogeneic.
    pub origin: Option<CellOrigin>,
    /// Dose in millions of cells.
    pub dose: Option<CellDose>,
}
