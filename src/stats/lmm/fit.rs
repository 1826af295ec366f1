//! The fit: options, the optimisation, and the results (fixed effects with Satterthwaite df,
//! variance components, conditional modes, information criteria, the singularity check).

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::criterion::{
    Lambda, RandomEffectsCovariance, ThetaMap, backward, forward, group_factor, lambda_t_times,
};
use super::data::{Blocks, LmmData};
use super::optimize::{LmmCertificate, minimize_with_gradient};
use super::pass::evaluate_with_derivatives;
use super::profile::{VarianceComponentInterval, intervals};
use super::satterthwaite::SatterthwaiteTerms;
use crate::outcome::refuse;
use crate::stats::mmrm::Estimation;
use crate::stats::{ChiSquareTest, Estimate};
use crate::{Error, Outcome, RefusalReason};

/// lme4's `isSingular` tolerance on the diagonal elements of `Λ`.
pub const SINGULAR_TOLERANCE: f64 = 1e-4;

/// Fewest sites a site random intercept is estimated from: with one or two sites lme4 returns a
/// number, but a standard deviation between one or two clinics is not an honest estimate, so
/// the fit is refused.
///
/// # Examples
///
/// ```
/// assert_eq!(pain_outcomes::stats::lmm::MIN_SITES, 3);
/// ```
pub const MIN_SITES: usize = 3;

/// Options of [`lmm`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::lmm::{LmmOptions, RandomEffectsCovariance};
/// use pain_outcomes::stats::mmrm::Estimation;
/// let o = LmmOptions::default()
///     .with_method(Estimation::Ml)
///     .with_covariance(RandomEffectsCovariance::Diagonal);
/// assert_eq!(o.method, Estimation::Ml);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LmmOptions {
    /// REML (default) or ML.
    pub method: Estimation,
    /// Covariance structure of a group's random effects (default correlated).
    pub covariance: RandomEffectsCovariance,
    /// Confidence level of the intervals (default 0.95).
    pub confidence_level: f64,
    /// Newton iterations allowed before the fit is refused as not converged (default 100).
    pub max_iterations: usize,
}

impl Default for LmmOptions {
    fn default() -> Self {
        Self {
            method: Estimation::Reml,
            covariance: RandomEffectsCovariance::Correlated,
            confidence_level: 0.95,
            max_iterations: 100,
        }
    }
}

impl LmmOptions {
    /// REML or ML.
    ///
    /// # Examples
    ///
    /// See [`LmmOptions`].
    pub fn with_method(mut self, method: Estimation) -> Self {
        self.method = method;
        self
    }

    /// Correlated or diagonal random effects.
    ///
    /// # Examples
    ///
    /// See [`LmmOptions`].
    pub fn with_covariance(mut self, covariance: RandomEffectsCovariance) -> Self {
        self.covariance = covariance;
        self
    }

    /// Confidence level in (0, 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::lmm::LmmOptions::default().with_confidence_level(0.9);
    /// assert_eq!(o.confidence_level, 0.9);
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = level;
        self
    }

    /// Newton iterations allowed (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::lmm::LmmOptions::default().with_max_iterations(20);
    /// assert_eq!(o.max_iterations, 20);
    /// ```
    pub fn with_max_iterations(mut self, iterations: usize) -> Self {
        self.max_iterations = iterations;
        self
    }
}

/// A variance component: the standard deviation of a random effect (or of the residual).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VarianceComponent {
    /// Grouping factor (`Residual` for the residual).
    pub group: String,
    /// Name of the random effect (column of `Z`), empty for the residual.
    pub name: String,
    /// Variance.
    pub variance: f64,
    /// Standard deviation.
    pub std_dev: f64,
}

/// Conditional modes (BLUPs) of one group's (or one site's) random effects and their
/// conditional covariance.
///
/// # Examples
///
/// See [`lmm`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupEffects {
    /// Group label.
    pub group: String,
    /// Conditional modes `b̂_g`, one per column of `Z`.
    pub modes: Vec<f64>,
    /// Conditional covariance `σ²Λ(Λ'Z_g'Z_gΛ + I)⁻¹Λ'`, q × q row-major (lme4's `condVar`);
    /// with a site intercept, the patient's diagonal block of the joint conditional
    /// covariance (see the module docs).
    pub conditional_covariance: Vec<f64>,
    /// With a site intercept, the conditional covariance of each of the group's random effects
    /// with its site's intercept, `Cov(b̂_g, ŝ_k | y)` (q values; empty without sites or for a
    /// site's own effects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub site_covariance: Vec<f64>,
}

/// The conditional modes of a new group (see [`LmmFit::new_group_effects_at_site`]).
///
/// # Examples
///
/// See [`LmmFit::new_group_effects_at_site`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewGroupEffects {
    /// The group's conditional modes and covariance.
    pub effects: GroupEffects,
    /// The conditional mode of its site when the site is one of the fit; `None` for an unknown
    /// site (or a fit without sites): the prediction is then at the population level of sites.
    pub site: Option<GroupEffects>,
}

/// A fitted linear mixed model; see [`lmm`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct LmmFit {
    /// REML or ML.
    pub method: Estimation,
    /// Structure of the random effects' covariance.
    pub covariance: RandomEffectsCovariance,
    /// Rows used.
    pub n_observations: usize,
    /// Groups.
    pub n_groups: usize,
    /// Sites (0 without a site intercept).
    pub n_sites: usize,
    /// Fixed effects (Wald t with Satterthwaite df), in the order of the columns of `X`.
    pub fixed_effects: Vec<Outcome<Estimate>>,
    /// Names of the random effects (columns of `Z`).
    pub random_names: Vec<String>,
    /// θ (lme4's order and sign convention); with sites, the relative site SD is last.
    pub theta: Vec<f64>,
    /// Residual standard deviation σ.
    pub sigma: f64,
    /// Standard deviations of the random effects (group `group`), of the site intercept
    /// (group `site`, when fitted) and of the residual (last).
    pub variance_components: Vec<VarianceComponent>,
    /// Correlation matrix of the random effects, q × q row-major.
    pub random_correlation: Vec<f64>,
    /// The criterion minimised: the REML criterion (lme4 `REMLcrit`) or the ML deviance.
    pub criterion: f64,
    /// Log-likelihood (restricted for REML), `-criterion / 2`.
    pub log_likelihood: f64,
    /// Number of parameters `p + len(θ) + 1`.
    pub n_parameters: usize,
    /// AIC `criterion + 2 n_parameters` (as lme4, the REML criterion for REML fits).
    pub aic: f64,
    /// BIC `criterion + n_parameters log n`.
    pub bic: f64,
    /// Whether a diagonal element of `Λ` (the relative site SD included) is below
    /// [`SINGULAR_TOLERANCE`] (lme4's `isSingular`): a variance estimated as (nearly) zero or a
    /// perfect correlation.
    pub singular: bool,
    /// How the optimizer converged.
    pub certificate: LmmCertificate,
    /// Conditional modes of every group.
    pub random_effects: Vec<GroupEffects>,
    /// Conditional modes of every site's intercept (empty without sites).
    pub site_effects: Vec<GroupEffects>,
    #[serde(skip)]
    pub(crate) state: LmmState,
}

/// What inference after the fit needs.
#[derive(Debug, Clone)]
pub(crate) struct LmmState {
    pub names: Vec<String>,
    pub beta: DVector<f64>,
    pub vcov: DMatrix<f64>,
    pub satterthwaite: Option<SatterthwaiteTerms>,
    pub lambda: Lambda,
    pub map: ThetaMap,
    pub q: usize,
    pub level: f64,
    pub blocks: Blocks,
    pub random_names: Vec<String>,
    pub max_iterations: usize,
}

impl LmmFit {
    /// The fixed effect named `name` (a column of `X`).
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn coefficient(&self, name: &str) -> Option<&Outcome<Estimate>> {
        let j = self.state.names.iter().position(|n| n == name)?;
        self.fixed_effects.get(j)
    }

    /// Estimated fixed effects β.
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn beta(&self) -> &[f64] {
        self.state.beta.as_slice()
    }

    /// Covariance of β̂, `σ²(X'V⁻¹X)⁻¹` with `V = ZΛΛ'Z' + I`, p × p.
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn beta_covariance(&self) -> &DMatrix<f64> {
        &self.state.vcov
    }

    /// Estimate, SE, Satterthwaite df, t, p and CI of `c'β`.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `c` does not have one entry per fixed effect.
    ///
    /// # Refusals
    ///
    /// `NotEstimable` when the SE or the df is not positive.
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn contrast(
        &self,
        c: &[f64],
        label: impl Into<String>,
    ) -> crate::Result<Outcome<Estimate>> {
        if c.len() != self.state.beta.len() {
            return Err(Error::invalid_argument(
                "contrast",
                format!(
                    "{} entries given for {} fixed effects",
                    c.len(),
                    self.state.beta.len()
                ),
            ));
        }
        Ok(self
            .state
            .estimate(&DVector::from_column_slice(c), label.into()))
    }

    /// Predictions for the rows of `data`: `Xβ` (`conditional = false`, lme4's
    /// `predict(re.form = NA)`) or `Xβ + Zb̂_g` (`conditional = true`), plus the site's mode
    /// `ŝ_k` when the model has a site intercept (lme4's `predict(re.form = NULL)`).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `data` has other columns, groups or sites than the fit.
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn predict(&self, data: &LmmData, conditional: bool) -> crate::Result<Vec<f64>> {
        if data.x.ncols() != self.state.beta.len() || data.z.ncols() != self.state.q {
            return Err(Error::invalid_argument(
                "data",
                "the columns of X and Z must be those of the fit",
            ));
        }
        if conditional
            && (data.group_labels.len() != self.random_effects.len()
                || data.n_sites() != self.site_effects.len())
        {
            return Err(Error::invalid_argument(
                "data",
                "conditional predictions need the groups and sites of the fit",
            ));
        }
        let mut out = (&data.x * &self.state.beta).as_slice().to_vec();
        if conditional {
            for (r, v) in out.iter_mut().enumerate() {
                if let Some(b) = data.group.get(r).and_then(|&g| self.random_effects.get(g)) {
                    *v += b
                        .modes
                        .iter()
                        .enumerate()
                        .map(|(j, m)| data.z[(r, j)] * m)
                        .sum::<f64>();
                }
                if let Some(s) = data
                    .sites
                    .as_ref()
                    .and_then(|st| st.row.get(r))
                    .and_then(|&k| self.site_effects.get(k))
                {
                    *v += s.modes.first().copied().unwrap_or(0.0);
                }
            }
        }
        Ok(out)
    }

    /// The conditional mode of site `label`'s intercept; `None` for a site not in the fit.
    ///
    /// # Examples
    ///
    /// See [`LmmFit::new_group_effects_at_site`].
    pub fn site_effect(&self, label: &str) -> Option<&GroupEffects> {
        self.site_effects.iter().find(|s| s.group == label)
    }

    /// Conditional modes of a new group (a new patient) of site `site`, as
    /// [`LmmFit::new_group_effects`] with the site's conditional mode, held at its estimate
    /// as β is, subtracted from the scores first: `b̂ = Λ(Λ'Z'ZΛ + I)⁻¹Λ'Z'(y − Xβ̂ − ŝ_k)`.
    /// Its predictions are `x'β̂ + ŝ_k + z'b̂`. A site that is not in the fit (or a fit
    /// without sites) is at the population level of sites: `ŝ = 0`, and
    /// [`NewGroupEffects::site`] is `None` (the site SD then belongs in a prediction
    /// interval).
    ///
    /// # Errors
    ///
    /// As [`LmmFit::new_group_effects`].
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::lmm::{LmmData, LmmOptions, lmm};
    /// // 12 patients in 4 sites (site shifts -1, 0, 0.5, 1), random intercepts, 3 visits each
    /// let b = [0.3, -0.5, 0.2, 0.6, -0.2, -0.4, 0.1, 0.5, -0.3, 0.0, 0.4, -0.6];
    /// let shift = [-1.0, 0.0, 0.5, 1.0];
    /// let e = [0.2, -0.1, 0.05, -0.2, 0.15];
    /// let (mut y, mut x, mut g, mut s) = (vec![], vec![], vec![], vec![]);
    /// for i in 0..12 {
    ///     for t in 0..3 {
    ///         y.push(5.0 + shift[i % 4] + b[i] - 0.5 * t as f64 + e[(i + t) % 5]);
    ///         x.extend([1.0, t as f64]);
    ///         g.push(i);
    ///         s.push(i % 4);
    ///     }
    /// }
    /// let x = DMatrix::from_row_slice(36, 2, &x);
    /// let data = LmmData::new(
    ///     y, x, vec!["(Intercept)".into(), "time".into()],
    ///     DMatrix::from_element(36, 1, 1.0), vec!["(Intercept)".into()],
    ///     g, (0..12).map(|i| format!("P{i}")).collect(),
    /// )?
    /// .with_sites(s, (0..4).map(|k| format!("site{k}")).collect())?;
    /// let fit = lmm(&data, &LmmOptions::default())?.into_result().unwrap();
    /// assert_eq!(fit.site_effects.len(), 4);
    /// let known = fit.new_group_effects_at_site(
    ///     "new", "site3", &DMatrix::from_row_slice(1, 2, &[1.0, 0.0]),
    ///     &DMatrix::from_element(1, 1, 1.0), &[7.0],
    /// )?;
    /// assert_eq!(known.site.as_ref().unwrap().group, "site3");
    /// assert!(fit.site_effect("site3").unwrap().modes[0] > 0.0);
    /// let unknown = fit.new_group_effects_at_site(
    ///     "new", "elsewhere", &DMatrix::zeros(0, 2), &DMatrix::zeros(0, 1), &[],
    /// )?;
    /// assert!(unknown.site.is_none());
    /// assert_eq!(unknown.effects.modes, vec![0.0]);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn new_group_effects_at_site(
        &self,
        label: &str,
        site: &str,
        x: &DMatrix<f64>,
        z: &DMatrix<f64>,
        y: &[f64],
    ) -> crate::Result<NewGroupEffects> {
        let known = self.site_effect(site).cloned();
        let shift = known
            .as_ref()
            .and_then(|s| s.modes.first().copied())
            .unwrap_or(0.0);
        let y: Vec<f64> = y.iter().map(|v| v - shift).collect();
        Ok(NewGroupEffects {
            effects: self.new_group_effects(label, x, z, &y)?,
            site: known,
        })
    }

    /// Conditional modes and conditional covariance of the random effects of a new group with
    /// fixed-effects rows `x` (m × p), random-effects rows `z` (m × q) and observed `y` (m),
    /// β held at its estimate: `b̂ = Λ(Λ'Z'ZΛ + I)⁻¹Λ'Z'(y − Xβ̂)`. With no rows the modes
    /// are 0 and the covariance is `σ²ΛΛ'`.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when the shapes do not match the fit or a value is not finite.
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn new_group_effects(
        &self,
        label: &str,
        x: &DMatrix<f64>,
        z: &DMatrix<f64>,
        y: &[f64],
    ) -> crate::Result<GroupEffects> {
        let (q, p) = (self.state.q, self.state.beta.len());
        if x.ncols() != p || z.ncols() != q || x.nrows() != y.len() || z.nrows() != y.len() {
            return Err(Error::invalid_argument(
                "new group",
                "X needs one column per fixed effect, Z one per random effect, both a row per y",
            ));
        }
        if y.iter()
            .chain(x.iter())
            .chain(z.iter())
            .any(|v| !v.is_finite())
        {
            return Err(Error::invalid_argument(
                "new group",
                "values must be finite",
            ));
        }
        let resid = DVector::from_column_slice(y) - x * &self.state.beta;
        let ztz = z.tr_mul(z);
        let ztr = z.tr_mul(&resid);
        let ztz: Vec<f64> = (0..q * q).map(|k| ztz[(k / q, k % q)]).collect();
        let ztr: Vec<f64> = ztr.iter().copied().collect();
        Ok(self
            .state
            .group_effects(label, &ztz, &ztr, None, self.sigma * self.sigma))
    }

    /// Profile-likelihood confidence intervals of the variance components, in lme4's order
    /// (`.sig01` = SD of the first random effect, then its correlations with the later ones,
    /// then the SD of the second, …, `.sigma` last), as `lme4::confint(fit, method =
    /// "profile", oldNames = TRUE)`; with a site intercept, the site SD comes after the
    /// patients' parameters and before `.sigma` (`.sig04` for `(1 + time | patient) + (1 |
    /// site)`).
    ///
    /// As lme4, the ML deviance is profiled also for a REML fit (lme4 refits by ML first), so
    /// the interval of a REML fit is built around the ML estimate
    /// ([`VarianceComponentInterval::profile_estimate`]). Each limit is found by root finding
    /// (relative tolerance 1e-8) on the profiled deviance, every other variance parameter
    /// minimised out; a limit that the profile does not reach before the boundary of the
    /// parameter is the boundary (0 for an SD — the lower limit of a singular fit's zero SD, as
    /// lme4 — and ±1 for a correlation).
    ///
    /// # Formula
    ///
    /// `{ψ : min_{other parameters} d(θ, σ | ψ) − d_min ≤ χ²₁(level)}`, with
    /// `d(θ, σ) = log|L_θ|² + r²(θ)/σ² + n log(2πσ²)` (β profiled).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a level outside (0, 1).
    ///
    /// # Refusals
    ///
    /// Per component: `NotReached` when the profile never reaches the cutoff (an infinite
    /// upper limit); `NoConvergence` when the ML refit or a profile minimisation does not
    /// converge.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::lmm::{LmmData, LmmOptions, lmm};
    /// // 8 patients with random intercepts (SD ~1), 3 visits each
    /// let b = [1.2, -0.8, 0.3, -1.5, 0.9, 0.1, -0.4, 1.0];
    /// let e = [0.3, -0.2, 0.1, -0.4, 0.25, 0.05, -0.1, 0.2, -0.3, 0.15, 0.0, -0.25];
    /// let (mut y, mut x, mut g) = (vec![], vec![], vec![]);
    /// for i in 0..8 {
    ///     for t in 0..3 {
    ///         y.push(5.0 + b[i] - 0.5 * t as f64 + e[(i * 3 + t) % 12]);
    ///         x.extend([1.0, t as f64]);
    ///         g.push(i);
    ///     }
    /// }
    /// let x = DMatrix::from_row_slice(24, 2, &x);
    /// let z = DMatrix::from_element(24, 1, 1.0);
    /// let data = LmmData::new(
    ///     y, x, vec!["(Intercept)".into(), "time".into()],
    ///     z, vec!["(Intercept)".into()],
    ///     g, (0..8).map(|i| format!("P{i}")).collect(),
    /// )?;
    /// let fit = lmm(&data, &LmmOptions::default())?.into_result().unwrap();
    /// let ci = fit.variance_component_intervals(0.95)?;
    /// assert_eq!(ci.len(), 2);
    /// let sd = ci[0].computed().unwrap();
    /// assert_eq!(sd.parameter, ".sig01");
    /// assert!(sd.confidence_interval.lower < sd.profile_estimate);
    /// assert!(sd.profile_estimate < sd.confidence_interval.upper);
    /// let sigma = ci[1].computed().unwrap();
    /// assert_eq!(sigma.parameter, ".sigma");
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
    ///   models using lme4. *Journal of Statistical Software* 67(1), 1–48 (section 5.1).
    pub fn variance_component_intervals(
        &self,
        level: f64,
    ) -> crate::Result<Vec<Outcome<VarianceComponentInterval>>> {
        if !(level > 0.0 && level < 1.0) {
            return Err(Error::invalid_argument(
                "level",
                format!("{level} is not in (0, 1)"),
            ));
        }
        Ok(intervals(
            &self.state.blocks,
            self.state.map,
            &self.theta,
            self.sigma,
            &self.state.random_names,
            level,
            self.state.max_iterations,
        ))
    }

    /// Likelihood-ratio test of a nested `smaller` model against `self`, both fitted by ML on
    /// the same rows: `χ² = criterion(smaller) − criterion(self)` on the difference in
    /// parameters (lme4's `anova`, no boundary correction).
    ///
    /// A test of a variance component — the site intercept (with vs without sites) or a
    /// random slope — puts the null on the boundary of the parameter space (a variance of 0):
    /// the χ² reference distribution is then conservative (its p-value too large; the exact
    /// reference is a mixture such as ½χ²₀ + ½χ²₁ for one variance), and the p-value reported
    /// here is that conservative one, as lme4's `anova`.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when a fit is REML, the numbers of rows differ or `smaller` has at
    /// least as many parameters.
    ///
    /// # Examples
    ///
    /// See [`lmm`].
    pub fn likelihood_ratio_test(&self, smaller: &LmmFit) -> crate::Result<ChiSquareTest> {
        if self.method != Estimation::Ml || smaller.method != Estimation::Ml {
            return Err(Error::invalid_argument(
                "likelihood ratio test",
                "both models must be fitted by ML",
            ));
        }
        if self.n_observations != smaller.n_observations
            || smaller.n_parameters >= self.n_parameters
        {
            return Err(Error::invalid_argument(
                "likelihood ratio test",
                "the smaller model must have fewer parameters and the same rows",
            ));
        }
        let stat = (smaller.criterion - self.criterion).max(0.0);
        Ok(ChiSquareTest::new(
            "likelihood ratio",
            stat,
            (self.n_parameters - smaller.n_parameters) as f64,
        ))
    }
}

impl LmmState {
    pub(crate) fn estimate(&self, c: &DVector<f64>, label: String) -> Outcome<Estimate> {
        let est = c.dot(&self.beta);
        let var = c.dot(&(&self.vcov * c));
        if !(var.is_finite() && var > 0.0) {
            return refuse(
                RefusalReason::NotEstimable,
                format!("`{label}` has no positive variance"),
            );
        }
        let df = self
            .satterthwaite
            .as_ref()
            .and_then(|s| s.df(c, &self.vcov));
        match df {
            Some(df) => {
                Outcome::Computed(Estimate::wald(label, est, var.sqrt(), Some(df), self.level))
            }
            None => refuse(
                RefusalReason::NotEstimable,
                format!(
                    "the Satterthwaite df of `{label}` are not defined (singular Hessian of the variance parameters)"
                ),
            ),
        }
    }

    /// `L_g` (lower Cholesky factor of `Λ'Z_g'Z_gΛ + I`), q × q row-major.
    fn factor(&self, ztz: &[f64]) -> Vec<f64> {
        let q = self.q;
        let mut t = vec![0.0; q * q];
        let mut a = vec![0.0; q * q];
        if group_factor(q, &self.lambda.patient, ztz, &mut t, &mut a).is_none() {
            // Λ'Z'ZΛ + I is positive definite for every finite θ; unreachable in practice
            a = vec![0.0; q * q];
            for i in 0..q {
                a[i * q + i] = 1.0;
            }
        }
        a
    }

    /// `L_g⁻¹ Λ' v`.
    fn solve_lambda_t(&self, a: &[f64], v: &[f64]) -> Vec<f64> {
        let mut u = vec![0.0; self.q];
        lambda_t_times(self.q, 1, &self.lambda.patient, v, &mut u);
        forward(a, self.q, &mut u);
        u
    }

    /// Conditional modes and covariance of one group; `coupling` = `(m_g, v_k, S_k)` of its
    /// site when the model has one (see the module docs of `criterion`).
    fn group_effects(
        &self,
        label: &str,
        ztz: &[f64],
        ztr: &[f64],
        coupling: Option<(&[f64], f64, f64)>,
        sigma2: f64,
    ) -> GroupEffects {
        let q = self.q;
        let lam = &self.lambda.patient;
        let a = self.factor(ztz);
        let mut u = self.solve_lambda_t(&a, ztr);
        if let Some((m, v, _)) = coupling {
            for (ui, mi) in u.iter_mut().zip(m) {
                *ui -= mi * v;
            }
        }
        backward(&a, q, &mut u);
        let modes: Vec<f64> = (0..q)
            .map(|i| (0..q).map(|k| lam[i * q + k] * u[k]).sum())
            .collect();
        // Λ L⁻ᵀ: column j of (L⁻¹Λ')ᵀ
        let mut m = vec![0.0; q * q]; // row-major rows = L⁻¹ Λ' columns
        let mut col = vec![0.0; q];
        for i in 0..q {
            for (k, c) in col.iter_mut().enumerate() {
                *c = lam[i * q + k]; // row i of Λ = column i of Λ'
            }
            forward(&a, q, &mut col);
            for k in 0..q {
                m[k * q + i] = col[k];
            }
        }
        let mut cov = vec![0.0; q * q];
        for i in 0..q {
            for j in 0..q {
                cov[i * q + j] = sigma2 * (0..q).map(|k| m[k * q + i] * m[k * q + j]).sum::<f64>();
            }
        }
        let mut site_covariance = Vec::new();
        if let Some((mg, _, schur)) = coupling {
            // + σ² (Λ L⁻ᵀ m_g)(Λ L⁻ᵀ m_g)' / S_k; Cov(b_g, s_k) = −σ² θ_s Λ L⁻ᵀ m_g / S_k
            let mut w = mg.to_vec();
            backward(&a, q, &mut w);
            let lw: Vec<f64> = (0..q)
                .map(|i| (0..q).map(|k| lam[i * q + k] * w[k]).sum())
                .collect();
            for i in 0..q {
                for j in 0..q {
                    cov[i * q + j] += sigma2 * lw[i] * lw[j] / schur;
                }
            }
            site_covariance = lw
                .iter()
                .map(|v| -sigma2 * self.lambda.site * v / schur)
                .collect();
        }
        GroupEffects {
            group: label.to_string(),
            modes,
            conditional_covariance: cov,
            site_covariance,
        }
    }

    /// Conditional modes of every group and, with sites, of every site: the sites' modes
    /// first (`v_k = (c_k − r_kβ)/√S_k`), then each group's given its site's.
    fn conditional_modes(
        &self,
        beta_centred: &DVector<f64>,
        sigma2: f64,
        group_labels: &[String],
        site_labels: &[String],
    ) -> (Vec<GroupEffects>, Vec<GroupEffects>) {
        let b = &self.blocks;
        let (q, p) = (b.q, b.p);
        let ztr_of = |g: usize| -> Vec<f64> {
            (0..q)
                .map(|i| {
                    b.zty[g * q + i]
                        - (0..p)
                            .map(|j| b.ztx[g * q * p + i * p + j] * beta_centred[j])
                            .sum::<f64>()
                })
                .collect()
        };
        let label = |g: usize| group_labels.get(g).map_or("?", String::as_str);
        let Some(sb) = &b.sites else {
            let groups = (0..b.m)
                .into_par_iter()
                .map(|g| {
                    let ztz = &b.ztz[g * q * q..(g + 1) * q * q];
                    self.group_effects(label(g), ztz, &ztr_of(g), None, sigma2)
                })
                .collect();
            return (groups, Vec::new());
        };
        let theta_s = self.lambda.site;
        // pass 1: m_g and e_g = L_g⁻¹Λ'Z_g'(y − Xβ) per group, summed into the sites
        let mut m_all = vec![0.0; b.m * q];
        let mut m2 = vec![0.0; sb.count];
        let mut me = vec![0.0; sb.count];
        for g in 0..b.m {
            let a = self.factor(&b.ztz[g * q * q..(g + 1) * q * q]);
            let mut mg = self.solve_lambda_t(&a, &sb.zsum[g * q..(g + 1) * q]);
            mg.iter_mut().for_each(|v| *v *= theta_s);
            let e = self.solve_lambda_t(&a, &ztr_of(g));
            let k = sb.of_group[g];
            m2[k] += mg.iter().map(|v| v * v).sum::<f64>();
            me[k] += mg.iter().zip(&e).map(|(x, y)| x * y).sum::<f64>();
            m_all[g * q..(g + 1) * q].copy_from_slice(&mg);
        }
        let mut v = vec![0.0; sb.count];
        let mut schur = vec![1.0; sb.count];
        let mut sites = Vec::with_capacity(sb.count);
        for k in 0..sb.count {
            let s = (theta_s * theta_s * sb.n[k] + 1.0 - m2[k]).max(f64::MIN_POSITIVE);
            let resid = sb.ysum[k]
                - (0..p)
                    .map(|j| sb.xsum[k * p + j] * beta_centred[j])
                    .sum::<f64>();
            v[k] = (theta_s * resid - me[k]) / s;
            schur[k] = s;
            sites.push(GroupEffects {
                group: site_labels.get(k).cloned().unwrap_or_default(),
                modes: vec![theta_s * v[k]],
                conditional_covariance: vec![sigma2 * theta_s * theta_s / s],
                site_covariance: Vec::new(),
            });
        }
        let groups = (0..b.m)
            .into_par_iter()
            .map(|g| {
                let k = sb.of_group[g];
                let ztz = &b.ztz[g * q * q..(g + 1) * q * q];
                let mg = &m_all[g * q..(g + 1) * q];
                self.group_effects(
                    label(g),
                    ztz,
                    &ztr_of(g),
                    Some((mg, v[k], schur[k])),
                    sigma2,
                )
            })
            .collect();
        (groups, sites)
    }
}

/// Fits the linear mixed model `y = Xβ + Zb_g + ε`, `b_g ~ N(0, σ²ΛΛ')` independently per
/// group, `ε ~ N(0, σ²I)`, by profiled REML or ML as lme4.
///
/// # Formula
///
/// Profiled deviance at θ (Bates et al. 2015, eqs. 34 and 41):
/// ML `d(θ) = log|L_θ|² + n(1 + log(2πr²/n))`; REML
/// `d(θ) = log|L_θ|² + log|R_X|² + (n−p)(1 + log(2πr²/(n−p)))`, with `L_θ` the Cholesky factor
/// of `Λ'Z'ZΛ + I`, computed one q × q block per group (cost linear in the number of groups).
/// Fixed effects `Cov(β̂) = σ²(R_X'R_X)⁻¹`; Satterthwaite df as lmerTest; conditional modes
/// (Henderson's BLUPs) `b̂ = Λ L⁻ᵀ(c − R_ZXβ̂)`.
///
/// With sites ([`LmmData::with_sites`]) the model gains a random intercept per site,
/// `s_k ~ N(0, σ²θ_s²)`, the patients nested in the sites (lme4's
/// `(… | patient) + (1 | site)`); the factor gains one Schur-complement scalar per site (see
/// the module docs), so the cost stays linear in the number of patients.
///
/// # Errors
///
/// `InvalidArgument` for a confidence level outside (0, 1).
///
/// # Refusals
///
/// `TooFewGroups` when a site intercept is asked for with fewer than [`MIN_SITES`] sites;
/// `TooFewObservations` when `n ≤ p`; `SingularDesign` when `X` is rank deficient;
/// `ZeroVariance` when `X` fits `y` exactly; `NoConvergence` when the optimizer does not
/// converge within [`LmmOptions::max_iterations`].
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::lmm::{LmmData, LmmOptions, lmm};
/// // 6 patients, 4 visits at years 0, 0.25, 0.5, 1: random intercepts and slopes
/// let times = [0.0, 0.25, 0.5, 1.0];
/// let (int, slope) = ([0.5, -0.3, 0.1, 0.8, -0.6, -0.5], [0.4, -0.2, 0.3, -0.5, 0.1, -0.1]);
/// let noise = [0.1, -0.2, 0.05, 0.15, -0.1, 0.2, -0.05, 0.0];
/// let (mut y, mut x, mut g) = (vec![], vec![], vec![]);
/// for i in 0..6 {
///     for (k, t) in times.iter().enumerate() {
///         y.push(6.0 + int[i] + (-2.0 + slope[i]) * t + noise[(i + k) % 8]);
///         x.extend([1.0, *t]);
///         g.push(i);
///     }
/// }
/// let x = DMatrix::from_row_slice(24, 2, &x);
/// let names = vec!["(Intercept)".to_string(), "time".to_string()];
/// let labels = (0..6).map(|i| format!("P{i}")).collect();
/// let data = LmmData::new(y, x.clone(), names.clone(), x, names, g, labels)?;
/// let fit = lmm(&data, &LmmOptions::default())?.into_result().unwrap();
/// assert!(fit.certificate.converged);
/// let slope = fit.coefficient("time").unwrap().computed().unwrap();
/// assert!((slope.estimate + 2.0).abs() < 0.5);
/// assert_eq!(fit.random_effects.len(), 6);
/// let change = fit.contrast(&[0.0, 1.0], "slope")?.into_result().unwrap();
/// assert!((change.estimate - slope.estimate).abs() < 1e-12);
/// let fitted = fit.predict(&data, true)?;
/// assert_eq!(fitted.len(), 24);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// - Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
///   models using lme4. *Journal of Statistical Software* 67(1), 1–48.
/// - Kuznetsova, A., Brockhoff, P. B. & Christensen, R. H. B. (2017). lmerTest package: tests
///   in linear mixed effects models. *Journal of Statistical Software* 82(13), 1–26.
/// - Henderson, C. R. (1975). Best linear unbiased estimation and prediction under a selection
///   model. *Biometrics* 31, 423–447.
pub fn lmm(data: &LmmData, options: &LmmOptions) -> crate::Result<Outcome<LmmFit>> {
    let level = options.confidence_level;
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::invalid_argument(
            "confidence_level",
            format!("{level} is not in (0, 1)"),
        ));
    }
    if data.sites.is_some() && data.n_sites() < MIN_SITES {
        return Ok(refuse(
            RefusalReason::TooFewGroups,
            format!(
                "{} site(s): a site standard deviation needs at least {MIN_SITES} sites (fit without the site intercept, or with site as a fixed effect)",
                data.n_sites()
            ),
        ));
    }
    let blocks = Blocks::new(data);
    let (n, p, q) = (blocks.n, blocks.p, blocks.q);
    if n <= p {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!("{n} observations for {p} fixed effects"),
        ));
    }
    if blocks.xtx.clone().cholesky().is_none() || !full_rank(&blocks.xtx) {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the fixed-effects design is rank deficient",
        ));
    }
    // blocks.yty is the OLS residual sum of squares
    let total: f64 = data.y.iter().map(|v| v * v).sum();
    if blocks.yty <= 1e-24 * total.max(f64::MIN_POSITIVE) {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "the fixed effects fit the response exactly: no residual variance",
        ));
    }
    let cov = options.covariance;
    let map = ThetaMap {
        cov,
        q,
        site: blocks.sites.is_some(),
    };
    let method = options.method;
    let fg = |theta: &[f64]| {
        evaluate_with_derivatives(&blocks, map, theta).map(|(e, d)| {
            (
                e.deviance(method, n, p),
                d.deviance_gradient(&e, method, n, p),
            )
        })
    };
    let Some(min) = minimize_with_gradient(&fg, &map.start(), options.max_iterations.max(1)) else {
        return Ok(refuse(
            RefusalReason::NoConvergence,
            "the criterion is not defined at the starting values",
        ));
    };
    if !min.certificate.converged {
        return Ok(refuse(
            RefusalReason::NoConvergence,
            format!(
                "the optimizer stopped after {} iterations without meeting the convergence tests (largest gradient {:.3e})",
                min.certificate.iterations, min.certificate.max_abs_gradient
            ),
        ));
    }
    let theta = map.canonical(&min.x);
    let lambda = map.lambda(&theta);
    let Some((ev, derivs)) = evaluate_with_derivatives(&blocks, map, &theta) else {
        return Ok(refuse(
            RefusalReason::NoConvergence,
            "the criterion is not defined at the solution",
        ));
    };
    let sigma2 = ev.sigma2(method, n, p);
    let sigma = sigma2.sqrt();
    let vcov = ev.unscaled_vcov() * sigma2;
    // the optimizer's Hessian in the canonical signs: flipping a column of Λ flips its θ
    // components, and the criterion is invariant under the flip
    let satterthwaite = min.hessian.as_ref().and_then(|h| {
        let flip: Vec<f64> = min
            .x
            .iter()
            .zip(&theta)
            .map(|(x, t)| if x * t < 0.0 { -1.0 } else { 1.0 })
            .collect();
        let h = DMatrix::from_fn(h.nrows(), h.ncols(), |i, j| flip[i] * h[(i, j)] * flip[j]);
        SatterthwaiteTerms::from_profile(&ev, &derivs, &h, sigma, method, n, p)
    });
    let state = LmmState {
        names: data.x_names.clone(),
        beta: ev.beta.clone(),
        vcov,
        satterthwaite,
        lambda: lambda.clone(),
        map,
        q,
        level,
        blocks,
        random_names: data.z_names.clone(),
        max_iterations: options.max_iterations.max(1),
    };
    let fixed_effects = (0..p)
        .map(|j| {
            let mut c = DVector::zeros(p);
            c[j] = 1.0;
            state.estimate(&c, data.x_names[j].clone())
        })
        .collect();
    // conditional modes
    let beta_centred = &ev.beta - &state.blocks.shift;
    let site_labels = data.sites.as_ref().map_or(&[][..], |s| s.labels.as_slice());
    let (random_effects, site_effects) =
        state.conditional_modes(&beta_centred, sigma2, &data.group_labels, site_labels);
    // variance components
    let lam = &lambda.patient;
    let mut rcov = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..q {
            rcov[i * q + j] = sigma2 * (0..q).map(|k| lam[i * q + k] * lam[j * q + k]).sum::<f64>();
        }
    }
    let mut variance_components: Vec<VarianceComponent> = (0..q)
        .map(|i| VarianceComponent {
            group: "group".into(),
            name: data.z_names[i].clone(),
            variance: rcov[i * q + i],
            std_dev: rcov[i * q + i].sqrt(),
        })
        .collect();
    if map.site {
        let variance = sigma2 * lambda.site * lambda.site;
        variance_components.push(VarianceComponent {
            group: "site".into(),
            name: "(Intercept)".into(),
            variance,
            std_dev: variance.sqrt(),
        });
    }
    variance_components.push(VarianceComponent {
        group: "Residual".into(),
        name: String::new(),
        variance: sigma2,
        std_dev: sigma,
    });
    let random_correlation = (0..q * q)
        .map(|k| {
            let (i, j) = (k / q, k % q);
            let d = (rcov[i * q + i] * rcov[j * q + j]).sqrt();
            if i == j {
                1.0
            } else if d > 0.0 {
                rcov[k] / d
            } else {
                0.0
            }
        })
        .collect();
    let criterion = ev.deviance(method, n, p);
    let n_parameters = p + theta.len() + 1;
    let singular = theta
        .iter()
        .enumerate()
        .any(|(k, t)| map.is_diagonal(k) && *t < SINGULAR_TOLERANCE);
    Ok(Outcome::Computed(LmmFit {
        method,
        covariance: cov,
        n_observations: n,
        n_groups: state.blocks.m,
        n_sites: state.blocks.sites.as_ref().map_or(0, |s| s.count),
        fixed_effects,
        random_names: data.z_names.clone(),
        theta,
        sigma,
        variance_components,
        random_correlation,
        criterion,
        log_likelihood: -criterion / 2.0,
        n_parameters,
        aic: criterion + 2.0 * n_parameters as f64,
        bic: criterion + n_parameters as f64 * (n as f64).ln(),
        singular,
        certificate: min.certificate,
        random_effects,
        site_effects,
        state,
    }))
}

/// Rank check of `X'X` scaled to unit diagonal: smallest eigenvalue above `1e-10`.
fn full_rank(xtx: &DMatrix<f64>) -> bool {
    let p = xtx.nrows();
    let d: Vec<f64> = (0..p).map(|i| xtx[(i, i)].sqrt()).collect();
    if d.iter().any(|v| *v <= 0.0) {
        return false;
    }
    let s = DMatrix::from_fn(p, p, |i, j| xtx[(i, j)] / (d[i] * d[j]));
    s.symmetric_eigenvalues().iter().all(|e| *e > 1e-10)
}
