//! Multiplicity: p-value adjustments (Bonferroni, Holm, Hochberg, Benjamini–Hochberg) and
//! single-step simultaneous inference on the multivariate t (Dunnett many-to-one, Tukey all
//! pairs, any family of contrasts), as R's `p.adjust` and `multcomp::glht`.

pub mod adjust;
mod contrasts;
mod factor;
mod mvt;
mod nested;
mod simultaneous;

pub use contrasts::{ContrastFamily, ContrastMatrix, Contrasts, all_pairs, many_to_one};
pub use mvt::{IntegrationOptions, MvtProbability, MvtQuantile, mvt_probability, mvt_quantile};
pub use simultaneous::{
    AdjustedContrast, MultiplicityMethod, SimultaneousInference, SimultaneousOptions,
    simultaneous_inference, simultaneous_inference_from_estimates,
};
