//! Mean-improvement curves of the simulated arms.

use crate::domain::{CellSource, Component, Therapy};

/// The mean improvement of an arm over time, in NRS points (0–10 scale), as a smooth
/// onset-times-waning curve.
///
/// # Formula
///
/// E(t) = A · (1 − exp(−t/τ_on)) · (p + (1 − p) · exp(−t/τ_off)), for t ≥ 0 days,
///
/// where A is the `amplitude` (NRS points), τ_on the `onset_days`, τ_off the `waning_days`
/// and p the `plateau` fraction of A that never wanes. A fast onset with a short waning time
/// gives the corticosteroid shape (peak at t* = τ_on · ln(1 + τ_off/τ_on) when p = 0); a slow
/// onset with a long waning time and a plateau gives the sustained stem-cell shape.
///
/// # References
///
/// The shapes follow the time courses reported in: Arroll B, Goodyear-Smith F. Corticosteroid
/// injections for osteoarthritis of the knee: meta-analysis. BMJ 2004;328:869;
/// Coombes BK et al. Efficacy and safety of corticosteroid injections and other injections for
/// management of tendinopathy. Lancet 2010;376:1751-1767; Jevotovsky DS et al. Osteoarthritis
/// and stem cell therapy in humans: a systematic review. Osteoarthritis Cartilage
/// 2018;26:711-729. The numbers are illustrative, not estimates.
///
/// # Examples
///
/// ```
/// use pain_outcomes::simulate::EffectProfile;
/// let steroid = EffectProfile::new(3.2, 7.0, 90.0, 0.05);
/// assert!(steroid.at(14.0) > steroid.at(180.0)); // wanes
/// let cells = EffectProfile::new(3.0, 45.0, 1500.0, 0.5);
/// assert!(cells.at(365.0) > steroid.at(365.0)); // sustained
/// assert_eq!(cells.at(0.0), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct EffectProfile {
    /// Amplitude A, NRS points.
    pub amplitude: f64,
    /// Onset time constant τ_on, days.
    pub onset_days: f64,
    /// Waning time constant τ_off, days.
    pub waning_days: f64,
    /// Fraction p of the amplitude that never wanes, in [0, 1].
    pub plateau: f64,
}

impl EffectProfile {
    /// A profile from its four parameters.
    pub fn new(amplitude: f64, onset_days: f64, waning_days: f64, plateau: f64) -> Self {
        EffectProfile {
            amplitude,
            onset_days,
            waning_days,
            plateau,
        }
    }

    /// Mean improvement (NRS points) at `day` days after treatment; 0 before day 0.
    pub fn at(&self, day: f64) -> f64 {
        if day <= 0.0 {
            return 0.0;
        }
        let onset = 1.0 - (-day / self.onset_days).exp();
        let waning = self.plateau + (1.0 - self.plateau) * (-day / self.waning_days).exp();
        self.amplitude * onset * waning
    }

    /// Whether every parameter is finite and in range.
    pub(crate) fn is_valid(&self) -> bool {
        self.amplitude.is_finite()
            && self.onset_days.is_finite()
            && self.onset_days > 0.0
            && self.waning_days.is_finite()
            && self.waning_days > 0.0
            && (0.0..=1.0).contains(&self.plateau)
    }

    /// The default profile of a therapy (knee osteoarthritis calibration), by cell source for
    /// stem-cell therapies.
    ///
    /// | therapy | A | τ_on | τ_off | p |
    /// |---|---|---|---|---|
    /// | placebo | 1.5 | 7 | 120 | 0.35 |
    /// | corticosteroid | 3.2 | 7 | 90 | 0.05 |
    /// | prp | 2.8 | 25 | 400 | 0.30 |
    /// | hyaluronic_acid | 2.0 | 21 | 200 | 0.20 |
    /// | physical_therapy | 1.8 | 30 | 300 | 0.40 |
    /// | usual_care / surgery | 0.8 | 30 | 365 | 0.50 |
    /// | stem_cell (bone marrow) | 3.0 | 45 | 1500 | 0.50 |
    /// | stem_cell (adipose) | 2.6 | 45 | 1500 | 0.50 |
    /// | stem_cell (umbilical cord) | 2.8 | 40 | 1500 | 0.50 |
    /// | stem_cell (iPSC or unrecorded) | 2.5 | 45 | 1500 | 0.50 |
    /// | stem_cell+prp | stem-cell A + 0.4, τ_on − 15 | | | |
    ///
    /// Other combinations take the largest component amplitude plus 0.3.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::CellSource;
    /// use pain_outcomes::simulate::EffectProfile;
    /// let bm = EffectProfile::for_therapy("stem_cell".parse().unwrap(), Some(CellSource::BoneMarrow));
    /// let ad = EffectProfile::for_therapy("stem_cell".parse().unwrap(), Some(CellSource::Adipose));
    /// assert!(bm.amplitude > ad.amplitude);
    /// ```
    pub fn for_therapy(therapy: Therapy, cell_source: Option<CellSource>) -> Self {
        let single = |c: Component| match c {
            Component::Placebo => EffectProfile::new(1.5, 7.0, 120.0, 0.35),
            Component::Corticosteroid => EffectProfile::new(3.2, 7.0, 90.0, 0.05),
            Component::Prp => EffectProfile::new(2.8, 25.0, 400.0, 0.30),
            Component::HyaluronicAcid => EffectProfile::new(2.0, 21.0, 200.0, 0.20),
            Component::PhysicalTherapy => EffectProfile::new(1.8, 30.0, 300.0, 0.40),
            Component::UsualCare | Component::Surgery => EffectProfile::new(0.8, 30.0, 365.0, 0.50),
            Component::StemCell => match cell_source {
                Some(CellSource::BoneMarrow) => EffectProfile::new(3.0, 45.0, 1500.0, 0.50),
                Some(CellSource::Adipose) => EffectProfile::new(2.6, 45.0, 1500.0, 0.50),
                Some(CellSource::UmbilicalCord) => EffectProfile::new(2.8, 40.0, 1500.0, 0.50),
                _ => EffectProfile::new(2.5, 45.0, 1500.0, 0.50),
            },
        };
        let components = therapy.components();
        match components.as_slice() {
            [one] => single(*one),
            _ if therapy.has_cells() && therapy.contains(Component::Prp) => {
                let c = single(Component::StemCell);
                EffectProfile::new(
                    c.amplitude + 0.4,
                    c.onset_days - 15.0,
                    c.waning_days,
                    c.plateau,
                )
            }
            _ => {
                let best = components
                    .iter()
                    .map(|c| single(*c))
                    .max_by(|a, b| a.amplitude.total_cmp(&b.amplitude))
                    .unwrap_or_else(|| single(Component::UsualCare));
                EffectProfile {
                    amplitude: best.amplitude + 0.3,
                    ..best
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CellSource;

    fn peak_day(p: &EffectProfile) -> usize {
        (0..=730)
            .max_by(|a, b| p.at(*a as f64).total_cmp(&p.at(*b as f64)))
            .unwrap_or(0)
    }

    #[test]
    fn corticosteroid_peaks_between_two_and_six_weeks_and_wanes_by_month_six() {
        let p = EffectProfile::for_therapy("corticosteroid".parse().unwrap(), None);
        let peak = peak_day(&p);
        assert!((14..=42).contains(&peak), "peak at day {peak}");
        assert!(p.at(180.0) < 0.25 * p.at(peak as f64));
    }

    #[test]
    fn stem_cells_are_slower_but_sustained_and_differ_by_source() {
        let bm =
            EffectProfile::for_therapy("stem_cell".parse().unwrap(), Some(CellSource::BoneMarrow));
        let ad =
            EffectProfile::for_therapy("stem_cell".parse().unwrap(), Some(CellSource::Adipose));
        let steroid = EffectProfile::for_therapy("corticosteroid".parse().unwrap(), None);
        let prp = EffectProfile::for_therapy("prp".parse().unwrap(), None);
        assert!(bm.at(14.0) < steroid.at(14.0));
        assert!(peak_day(&bm) > 90);
        assert!(bm.at(730.0) > 0.75 * bm.at(peak_day(&bm) as f64));
        assert!(bm.at(365.0) > ad.at(365.0));
        // PRP in between at month 12
        assert!(steroid.at(365.0) < prp.at(365.0) && prp.at(365.0) < ad.at(365.0));
    }

    #[test]
    fn stem_cell_plus_prp_beats_stem_cells_alone() {
        let combo = EffectProfile::for_therapy(
            "prp+stem_cell".parse().unwrap(),
            Some(CellSource::BoneMarrow),
        );
        let alone =
            EffectProfile::for_therapy("stem_cell".parse().unwrap(), Some(CellSource::BoneMarrow));
        assert!(combo.at(90.0) > alone.at(90.0));
    }
}
