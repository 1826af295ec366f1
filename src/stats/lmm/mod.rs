//! Linear mixed models with one grouping factor (random intercepts, slopes and phases per
//! patient), fitted by profiled REML or ML in the formulation of lme4 and checked against
//! `lme4::lmer` and `lmerTest`.
//!
//! # Model
//!
//! `y = Xβ + Zb + ε` with one q-vector of random effects per group,
//! `b_g ~ N(0, σ²ΛΛ')`, `ε ~ N(0, σ²I)`; `Λ` (q × q lower triangular, the relative covariance
//! factor) is parametrised by θ ([`RandomEffectsCovariance`]).
//!
//! # Algorithm
//!
//! One pass accumulates `Z_g'Z_g`, `Z_g'X_g`, `Z_g'y_g` per group and `X'X`, `X'y`, `y'y`.
//! Every evaluation of the profiled criterion then solves the penalised least-squares problem
//! with one q × q Cholesky per group (block-diagonal system), so its cost is linear in the
//! number of groups and independent of the number of rows. θ is optimized by damped Newton
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
pub use fit::{GroupEffects, LmmFit, LmmOptions, SINGULAR_TOLERANCE, VarianceComponent, lmm};
pub use optimize::LmmCertificate;
pub use profile::{VarianceComponentInterval, VarianceIntervalMethod, VarianceParameter};
