//! Pain and function instruments: range, direction and published minimal important change.

use super::condition::Condition;
use std::fmt;

/// Which way is better on an instrument's scale.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{Direction, Instrument};
/// assert_eq!(Instrument::nrs().direction, Direction::LowerIsBetter);
/// assert_eq!(Instrument::koos_pain().direction, Direction::HigherIsBetter);
/// // improvement is always positive:
/// assert_eq!(Direction::LowerIsBetter.improvement(7.0, 4.0), 3.0);
/// assert_eq!(Direction::HigherIsBetter.improvement(40.0, 55.0), 15.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Lower scores are better (NRS, VAS, WOMAC, ODI).
    LowerIsBetter,
    /// Higher scores are better (KOOS, VISA-A, IKDC).
    HigherIsBetter,
}

impl Direction {
    /// Improvement from `baseline` to `follow_up`, positive when the patient got better.
    pub fn improvement(self, baseline: f64, follow_up: f64) -> f64 {
        match self {
            Direction::LowerIsBetter => baseline - follow_up,
            Direction::HigherIsBetter => follow_up - baseline,
        }
    }
}

/// A published minimal important change (MIC, often called MCID) for one population.
///
/// `value` is the magnitude of an *improvement* in the instrument's own units (always
/// positive; the instrument's [`Direction`] says which way is better). `percent`, when given,
/// is the relative improvement from baseline that the same source proposes.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{Condition, Instrument};
/// let vas = Instrument::vas();
/// let mic = vas.mcid(Some(Condition::KneeOsteoarthritis)).unwrap();
/// assert_eq!(mic.value, 19.9);
/// assert!(mic.source.contains("Tubach"));
/// ```
#[doc(alias = "MCID")]
#[doc(alias = "MIC")]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MinimalImportantChange {
    /// Improvement in scale units (positive).
    pub value: f64,
    /// Relative improvement in percent of baseline, when the source gives one.
    pub percent: Option<f64>,
    /// Conditions the value was derived in; empty means "general".
    pub conditions: Vec<Condition>,
    /// Citation.
    pub source: String,
}

impl MinimalImportantChange {
    /// A general MIC (not tied to a condition) with its citation.
    pub fn new(value: f64, source: impl Into<String>) -> Self {
        MinimalImportantChange {
            value,
            percent: None,
            conditions: Vec::new(),
            source: source.into(),
        }
    }

    /// Sets the relative threshold in percent.
    pub fn with_percent(mut self, percent: f64) -> Self {
        self.percent = Some(percent);
        self
    }

    /// Restricts the value to the given conditions.
    pub fn for_conditions(mut self, conditions: &[Condition]) -> Self {
        self.conditions = conditions.to_vec();
        self
    }
}

const FARRAR_2001: &str = "Farrar JT et al. Clinical importance of changes in chronic pain intensity measured on an 11-point numerical pain rating scale. Pain 2001;94:149-158; IMMPACT: Dworkin RH et al. J Pain 2008;9:105-121";
const OSTELO_2008: &str = "Ostelo RWJG et al. Interpreting change scores for pain and functional status in low back pain. Spine 2008;33:90-94";
const TUBACH_2005: &str = "Tubach F et al. Evaluation of clinically relevant changes in patient reported outcomes in knee and hip osteoarthritis: the minimal clinically important improvement. Ann Rheum Dis 2005;64:29-33";

/// A measurement instrument: its code, range, direction and published minimal important
/// changes.
///
/// Built-in instruments are listed by [`Instrument::builtins`]; users define their own with
/// [`Instrument::custom`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::{Direction, Instrument, MinimalImportantChange};
/// let nrs = Instrument::builtin("NRS").unwrap();
/// assert_eq!((nrs.min, nrs.max), (0.0, 10.0));
/// assert!(nrs.contains(7.5) && !nrs.contains(11.0));
///
/// let visa = Instrument::custom("visa_p", "VISA-P", 0.0, 100.0, Direction::HigherIsBetter)
///     .unwrap()
///     .with_mcid(MinimalImportantChange::new(13.0, "user-supplied"));
/// assert_eq!(visa.mcid(None).unwrap().value, 13.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instrument {
    /// Code used in files (lower-case snake case).
    pub code: String,
    /// Human-readable name.
    pub name: String,
    /// Lowest possible score.
    pub min: f64,
    /// Highest possible score.
    pub max: f64,
    /// Which way is better.
    pub direction: Direction,
    /// Published minimal important changes, by population.
    pub mcids: Vec<MinimalImportantChange>,
}

impl Instrument {
    /// A user-defined instrument; `None` unless `code` is non-empty and `min < max` are finite.
    pub fn custom(
        code: impl Into<String>,
        name: impl Into<String>,
        min: f64,
        max: f64,
        direction: Direction,
    ) -> Option<Self> {
        let code = code.into().trim().to_ascii_lowercase();
        (!code.is_empty() && min.is_finite() && max.is_finite() && min < max).then(|| Instrument {
            code,
            name: name.into(),
            min,
            max,
            direction,
            mcids: Vec::new(),
        })
    }

    fn fixed(code: &str, name: &str, min: f64, max: f64, direction: Direction) -> Self {
        Instrument {
            code: code.to_string(),
            name: name.to_string(),
            min,
            max,
            direction,
            mcids: Vec::new(),
        }
    }

    /// Adds a minimal important change.
    pub fn with_mcid(mut self, mcid: MinimalImportantChange) -> Self {
        self.mcids.push(mcid);
        self
    }

    /// Whether `score` lies within the instrument's range (and is finite).
    pub fn contains(&self, score: f64) -> bool {
        score.is_finite() && score >= self.min && score <= self.max
    }

    /// The minimal important change for `condition`: the entry derived in that condition, else a
    /// general entry, else `None` (then the caller must supply one).
    pub fn mcid(&self, condition: Option<Condition>) -> Option<&MinimalImportantChange> {
        condition
            .and_then(|c| self.mcids.iter().find(|m| m.conditions.contains(&c)))
            .or_else(|| self.mcids.iter().find(|m| m.conditions.is_empty()))
    }

    /// 0–10 numeric rating scale of pain intensity. MIC 2 points (Farrar 2001; IMMPACT);
    /// low back pain 2 points or 30 % (Ostelo 2008).
    pub fn nrs() -> Self {
        Self::fixed(
            "nrs",
            "Pain NRS (0-10)",
            0.0,
            10.0,
            Direction::LowerIsBetter,
        )
        .with_mcid(MinimalImportantChange::new(2.0, FARRAR_2001).with_percent(30.0))
        .with_mcid(
            MinimalImportantChange::new(2.0, OSTELO_2008)
                .with_percent(30.0)
                .for_conditions(&[Condition::DegenerativeDiscDisease]),
        )
    }

    /// 0–100 mm visual analogue scale of pain. MIC knee OA 19.9 mm (40.8 %), hip OA 15.3 mm
    /// (32.0 %) (Tubach 2005); low back pain 15 mm or 30 % (Ostelo 2008).
    pub fn vas() -> Self {
        Self::fixed(
            "vas",
            "Pain VAS (0-100 mm)",
            0.0,
            100.0,
            Direction::LowerIsBetter,
        )
        .with_mcid(
            MinimalImportantChange::new(19.9, TUBACH_2005)
                .with_percent(40.8)
                .for_conditions(&[Condition::KneeOsteoarthritis]),
        )
        .with_mcid(
            MinimalImportantChange::new(15.3, TUBACH_2005)
                .with_percent(32.0)
                .for_conditions(&[Condition::HipOsteoarthritis]),
        )
        .with_mcid(
            MinimalImportantChange::new(15.0, OSTELO_2008)
                .with_percent(30.0)
                .for_conditions(&[Condition::DegenerativeDiscDisease]),
        )
    }

    /// WOMAC pain subscale, Likert version (0–20).
    pub fn womac_pain() -> Self {
        Self::fixed(
            "womac_pain",
            "WOMAC pain (Likert 0-20)",
            0.0,
            20.0,
            Direction::LowerIsBetter,
        )
    }

    /// WOMAC stiffness subscale, Likert version (0–8).
    pub fn womac_stiffness() -> Self {
        Self::fixed(
            "womac_stiffness",
            "WOMAC stiffness (Likert 0-8)",
            0.0,
            8.0,
            Direction::LowerIsBetter,
        )
    }

    /// WOMAC physical function subscale, Likert version (0–68).
    pub fn womac_function() -> Self {
        Self::fixed(
            "womac_function",
            "WOMAC function (Likert 0-68)",
            0.0,
            68.0,
            Direction::LowerIsBetter,
        )
    }

    /// WOMAC total, Likert version (0–96).
    pub fn womac_total() -> Self {
        Self::fixed(
            "womac_total",
            "WOMAC total (Likert 0-96)",
            0.0,
            96.0,
            Direction::LowerIsBetter,
        )
    }

    /// KOOS pain subscale (0–100, higher is better). No default MIC: published values vary by
    /// population (about 12.5–17.5 by subscale); supply one with [`Instrument::with_mcid`].
    pub fn koos_pain() -> Self {
        Self::fixed(
            "koos_pain",
            "KOOS pain (0-100)",
            0.0,
            100.0,
            Direction::HigherIsBetter,
        )
    }

    /// Oswestry Disability Index (0–100 %). MIC 10 points or 30 % (Ostelo 2008).
    pub fn odi() -> Self {
        Self::fixed(
            "odi",
            "Oswestry Disability Index (0-100)",
            0.0,
            100.0,
            Direction::LowerIsBetter,
        )
        .with_mcid(MinimalImportantChange::new(10.0, OSTELO_2008).with_percent(30.0))
    }

    /// Roland–Morris Disability Questionnaire (0–24). MIC 5 points or 30 % (Ostelo 2008).
    pub fn roland_morris() -> Self {
        Self::fixed(
            "roland_morris",
            "Roland-Morris (0-24)",
            0.0,
            24.0,
            Direction::LowerIsBetter,
        )
        .with_mcid(MinimalImportantChange::new(5.0, OSTELO_2008).with_percent(30.0))
    }

    /// Patient global assessment of disease activity, 0–100 mm VAS (lower is better). MIC knee
    /// OA 18.3 mm, hip OA 15.2 mm (Tubach 2005).
    pub fn patient_global() -> Self {
        Self::fixed(
            "patient_global",
            "Patient global assessment (0-100 mm)",
            0.0,
            100.0,
            Direction::LowerIsBetter,
        )
        .with_mcid(
            MinimalImportantChange::new(18.3, TUBACH_2005)
                .for_conditions(&[Condition::KneeOsteoarthritis]),
        )
        .with_mcid(
            MinimalImportantChange::new(15.2, TUBACH_2005)
                .for_conditions(&[Condition::HipOsteoarthritis]),
        )
    }

    /// VISA-A (Achilles, 0–100, higher is better). No default MIC.
    pub fn visa_a() -> Self {
        Self::fixed(
            "visa_a",
            "VISA-A (0-100)",
            0.0,
            100.0,
            Direction::HigherIsBetter,
        )
    }

    /// Patient-rated tennis elbow evaluation (PRTEE, 0–100, lower is better). No default MIC.
    pub fn prtee() -> Self {
        Self::fixed(
            "prtee",
            "PRTEE (0-100)",
            0.0,
            100.0,
            Direction::LowerIsBetter,
        )
    }

    /// IKDC subjective knee form (0–100, higher is better). No default MIC.
    pub fn ikdc() -> Self {
        Self::fixed(
            "ikdc",
            "IKDC subjective (0-100)",
            0.0,
            100.0,
            Direction::HigherIsBetter,
        )
    }

    /// Every built-in instrument.
    pub fn builtins() -> Vec<Instrument> {
        vec![
            Self::nrs(),
            Self::vas(),
            Self::womac_pain(),
            Self::womac_stiffness(),
            Self::womac_function(),
            Self::womac_total(),
            Self::koos_pain(),
            Self::odi(),
            Self::roland_morris(),
            Self::patient_global(),
            Self::visa_a(),
            Self::prtee(),
            Self::ikdc(),
        ]
    }

    /// The built-in instrument with this code (case-insensitive).
    pub fn builtin(code: &str) -> Option<Instrument> {
        let code = code.trim();
        Self::builtins()
            .into_iter()
            .find(|i| i.code.eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Instrument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}
