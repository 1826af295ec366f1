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
//! site from the Schur complement, derived below), so its cost is linear in the number of
//! groups and independent of the number of rows. The same pass accumulates the analytic
//! gradient of the criterion in θ (the derivatives of `log|L|²`, `R_X'R_X` and `r²` follow
//! from `L_g⁻¹` and `∂Λ/∂θ` per group; derivation in the source of the `pass` module), and
//! is split across threads in chunks of fixed size added in order (results do not depend on
//! the number of threads). θ is optimized by damped Newton steps on that gradient, with a
//! Hessian by finite differences of the gradient at the start and at the solution and BFGS
//! updates in between (see [`LmmCertificate`]); a fit that does not converge is refused. The
//! Satterthwaite df use the same derivatives and the Hessian at the solution. Singular fits
//! are flagged with lme4's `isSingular` rule.
//!
//! # A random intercept per site, patients nested in sites: the factor
//!
//! With a site intercept `s_k = θ_s v_k`, `v_k ~ N(0, σ²)` (one more θ component, the
//! relative site SD, lower bound 0), the random effects are ordered patients first, then sites: `u = (u_1, …, u_m,
//! v_1, …, v_S)`, `Λ = diag(Λ_p, …, Λ_p, θ_s, …, θ_s)`, and the column of site `k` in `Z` is
//! the indicator of its rows. `A = Λ'Z'ZΛ + I` then has
//!
//! - patient blocks `Λ_p'Z_g'Z_gΛ_p + I = L_g L_g'` (as without sites),
//! - patient–site blocks `h_g = θ_s Λ_p'Z_g'1` (q × 1), non-zero only for the site `k(g)` of
//!   patient g — each patient couples to its own site only,
//! - a diagonal site block `θ_s² n_k + 1` (`n_k` rows in site k; sites do not share rows).
//!
//! Its Cholesky factor with the patients first is `L = [[L_P, 0], [M, L_S]]` with `L_P` the
//! block-diagonal of the `L_g`, row k of `M` holding `m_g' = (L_g⁻¹h_g)'` in the columns of the
//! patients of site k, and `L_S L_S' = diag(θ_s² n_k + 1) − MM'`. Because every patient lies
//! in one site, `MM'` is diagonal, so `L_S` is diagonal too, with the Schur complement
//!
//! `S_k = θ_s² n_k + 1 − Σ_{g∈k} |L_g⁻¹ Λ_p'Z_g'1 θ_s|²` (and `L_S,kk = √S_k`).
//!
//! The factor adds `Σ_k log S_k` to `log|L|²`; the site rows of `R_ZX` and `c` are
//! `r_k = (θ_s 1'X_k − Σ_{g∈k} m_g'R_ZX,g) / √S_k` and
//! `c_k = (θ_s 1'y_k − Σ_{g∈k} m_g'c_g) / √S_k`, so that `R_X'R_X` loses `Σ_k r_k r_k'`, the
//! right-hand side `Σ_k r_k c_k` and `r²` also `Σ_k c_k²`. Everything is one pass over the
//! patients (accumulating `|m_g|²`, `m_g'R_ZX,g`, `m_g'c_g` into their site) plus one over the
//! sites: the cost stays linear in the number of patients.
//!
//! The conditional modes solve `L'u = c − R_ZX β`: sites first, `v_k = (c_k − r_kβ)/√S_k`,
//! then `u_g = L_g⁻ᵀ(c_g − R_ZX,g β − m_g v_k)`; `b̂_g = Λ_p u_g`, `ŝ_k = θ_s v_k`. From
//! `L⁻¹ = [[L_P⁻¹, 0], [−L_S⁻¹ M L_P⁻¹, L_S⁻¹]]`, the conditional covariance `σ²(LL')⁻¹` has
//! the site variances `σ²/S_k`, the patient blocks `σ² L_g⁻ᵀ(I + m_g m_g'/S_k)L_g⁻¹` and the
//! patient–site covariances `−σ² L_g⁻ᵀ m_g / S_k` (in `u`, `v`; times `Λ_p` and `θ_s` for
//! `b`, `s`): lme4's `condVar` of both terms, and what a patient's predicted course needs.
//!
//! As for `Λ_p`, the deviance depends on θ_s only through θ_s², so it is minimised without
//! bounds and reported as `|θ_s|`; a site SD at the boundary 0 is an interior stationary
//! point of the unbounded problem.
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
mod pass;
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
