//! Linear mixed models with one grouping factor (random intercepts, slopes and phases per
//! patient) and optionally a random intercept per site with the patients nested in the sites,
//! fitted by profiled REML or ML in the formulation of lme4 and checked against `lme4::lmer`
//! and `lmerTest`.
//!
//! # Model
//!
//! `y = Xβ + Zb + ε` with one q-vector of random effects per group,
//! `b_g ~ N(0, σ²ΛΛ')`, `ε ~ N(0, σ²I)`; `Λ` (q × q lower triangular, the relative covariance
//! factor) is parametrised by θ ([`RandomEffectsCovariance`]).
//!
//! With sites ([`LmmData::with_sites`]): `y = Xβ + Zb + s_site + ε`, `s_k ~ N(0, σ²θ_s²)`
//! independent of the patients' effects, every patient in one site. θ gains the relative site
//! SD θ_s (last, lower bound 0).
//!
//! # Sites: the rules
//!
//! - Fewer than [`MIN_SITES`] sites is refused (`TooFewGroups`): lme4 fits one or two sites,
//!   but a between-site SD from one or two clinics is not an honest estimate.
//! - A site SD at 0 (θ_s below [`SINGULAR_TOLERANCE`]) makes the fit singular, as lme4.
//! - The likelihood-ratio test of the site term ([`LmmFit::likelihood_ratio_test`], ML fits
//!   with and without sites) tests a variance on the boundary: its χ²₁ p-value is
//!   conservative.
//! - A new patient of a known site gets that site's conditional mode; of an unknown site, the
//!   population level of sites ([`LmmFit::new_group_effects_at_site`]).
//!
//! # Algorithm
//!
//! One pass accumulates `Z_g'Z_g`, `Z_g'X_g`, `Z_g'y_g` per group and `X'X`, `X'y`, `y'y`
//! (with sites also `Z_g'1` per group and `n_k`, `1'X_k`, `1'y_k` per site).
//! Every evaluation of the profiled criterion then solves the penalised least-squares problem
//! with one q × q Cholesky per group (block-diagonal system; with sites, one more scalar per
//! site from the Schur complement, derived in the docs of the criterion below), so its cost is
//! linear in the number of groups and independent of the number of rows. θ is optimized by damped Newton
//! steps on finite-difference derivatives (see [`LmmCertificate`]); a fit that does not
//! converge is refused. Singular fits are flagged with lme4's `isSingular` rule.
//!
//! # Examples
//!
//! See [`lmm`].
//!
//! # References
//!
//! - Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
//!   models using lme4. *Journal of Statistical Software* 67(1), 1–48.
//! - Kuznetsova, A., Brockhoff, P. B. & Christensen, R. H. B. (2017). lmerTest package.
//!   *Journal of Statistical Software* 82(13), 1–26.
//! - Henderson, C. R. (1975). Best linear unbiased estimation and prediction under a selection
//!   model. *Biometrics* 31, 423–447.

mod criterion;
mod data;
mod fit;
mod optimize;
mod profile;
mod satterthwaite;

pub use criterion::RandomEffectsCovariance;
pub use data::LmmData;
pub use fit::{
    GroupEffects, LmmFit, LmmOptions, MIN_SITES, NewGroupEffects, SINGULAR_TOLERANCE,
    VarianceComponent, lmm,
};
pub use optimize::LmmCertificate;
pub use profile::{VarianceComponentInterval, VarianceIntervalMethod, VarianceParameter};
