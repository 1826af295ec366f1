//! Therapies as sets of components, with one canonical spelling.

use super::parse::{ParseError, category};
use std::fmt;

category! {
    /// One component of a therapy.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::Component;
    /// assert_eq!("prp".parse::<Component>().unwrap(), Component::Prp);
    /// ```
    Component, "therapy" {
        /// Mesenchymal stem-cell injection.
        StemCell = "stem_cell" | "msc",
        /// Corticosteroid injection.
        Corticosteroid = "corticosteroid" | "steroid",
        /// Platelet-rich plasma.
        Prp = "prp",
        /// Hyaluronic acid (viscosupplementation).
        HyaluronicAcid = "hyaluronic_acid" | "ha",
        /// Physical therapy / exercise.
        PhysicalTherapy = "physical_therapy",
        /// Placebo (saline) injection or sham.
        Placebo = "placebo",
        /// Surgery (arthroplasty, repair, fusion, …) as the assigned therapy.
        Surgery = "surgery",
        /// Usual care.
        UsualCare = "usual_care",
    }
}

impl Component {
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A therapy: a non-empty set of [`Component`]s.
///
/// Combinations are written with `+` in any order; the canonical spelling lists components in
/// declaration order of [`Component`], so `prp+stem_cell` and `stem_cell+prp` are the same
/// therapy and both print as `stem_cell+prp`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{Component, Therapy};
/// let a: Therapy = "prp+stem_cell".parse().unwrap();
/// let b: Therapy = "stem_cell + PRP".parse().unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "stem_cell+prp");
/// assert!(a.contains(Component::StemCell));
/// assert!("prp+prp".parse::<Therapy>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Therapy(u16);

impl Therapy {
    /// A therapy of one component.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{Component, Therapy};
    /// assert_eq!(Therapy::single(Component::Placebo).to_string(), "placebo");
    /// ```
    pub fn single(component: Component) -> Self {
        Therapy(component.bit())
    }

    /// A therapy from its components; `None` when empty or when a component repeats.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{Component, Therapy};
    /// let t = Therapy::from_components(&[Component::Prp, Component::StemCell]).unwrap();
    /// assert_eq!(t.to_string(), "stem_cell+prp");
    /// ```
    pub fn from_components(components: &[Component]) -> Option<Self> {
        let mut bits = 0u16;
        for c in components {
            if bits & c.bit() != 0 {
                return None;
            }
            bits |= c.bit();
        }
        (bits != 0).then_some(Therapy(bits))
    }

    /// Whether the therapy includes `component`.
    pub fn contains(self, component: Component) -> bool {
        self.0 & component.bit() != 0
    }

    /// The components in canonical order.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{Component, Therapy};
    /// let t: Therapy = "prp+corticosteroid".parse().unwrap();
    /// assert_eq!(t.components(), vec![Component::Corticosteroid, Component::Prp]);
    /// ```
    pub fn components(self) -> Vec<Component> {
        Component::ALL
            .iter()
            .copied()
            .filter(|c| self.contains(*c))
            .collect()
    }

    /// Whether the therapy includes cells (so cell source, origin and dose apply).
    pub fn has_cells(self) -> bool {
        self.contains(Component::StemCell)
    }

    /// The canonical spelling.
    pub fn canonical(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Therapy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for c in Component::ALL {
            if self.contains(*c) {
                if !first {
                    f.write_str("+")?;
                }
                f.write_str(c.as_str())?;
                first = false;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Therapy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Therapy({self})")
    }
}

impl std::str::FromStr for Therapy {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseError {
            kind: "therapy",
            value: s.to_string(),
            expected: format!(
                "{} (combinations joined by `+`, each component once)",
                Component::expected()
            ),
        };
        let mut bits = 0u16;
        for part in s.split('+') {
            let c: Component = part.parse().map_err(|_| err())?;
            if bits & c.bit() != 0 {
                return Err(err());
            }
            bits |= c.bit();
        }
        if bits == 0 {
            return Err(err());
        }
        Ok(Therapy(bits))
    }
}

impl serde::Serialize for Therapy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Therapy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
