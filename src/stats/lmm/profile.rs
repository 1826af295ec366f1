//! Profile-likelihood confidence intervals of the variance components, as
//! `lme4::confint(fit, method = "profile")`: the standard deviations of the random effects,
//! their correlations and the residual standard deviation, each profiled over all the other
//! variance parameters (β is profiled analytically).
//!
//! Every limit is found by root finding on the profiled deviance, not by interpolating a grid:
//! with the other parameters eliminated by a reparametrisation (the fixed standard deviation
//! or correlation is built into `Λ`), the profile at a value is an unconstrained minimisation
//! over the remaining parameters, and the limit is bracketed and then refined to 1e-8.

use super::criterion::{RandomEffectsCovariance, ThetaMap, evaluate};
use super::data::Blocks;
use super::optimize::minimize;
use crate::stats::ConfidenceInterval;
use crate::stats::mmrm::Estimation;
use crate::{Outcome, RefusalReason, outcome::refuse};

/// How the interval of a variance component was computed.
///
/// # Examples
///
/// See [`LmmFit::variance_component_intervals`](super::LmmFit::variance_component_intervals).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarianceIntervalMethod {
    /// Profile likelihood of the ML deviance (lme4's `confint(method = "profile")`, which
    /// refits a REML model by ML before profiling): the limits where the deviance, minimised
    /// over every other parameter, exceeds its minimum by `qchisq(level, 1)`.
    MlProfile,
}

/// Which variance parameter an interval is about.
///
/// # Examples
///
/// See [`LmmFit::variance_component_intervals`](super::LmmFit::variance_component_intervals).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarianceParameter {
    /// Standard deviation of random effect `effect` (a column of `Z`).
    StdDev {
        /// Column of `Z`.
        effect: usize,
    },
    /// Correlation of random effects `first` < `second`.
    Correlation {
        /// Column of `Z`.
        first: usize,
        /// Column of `Z`.
        second: usize,
    },
    /// Standard deviation of the site intercept (models with sites).
    SiteStdDev,
    /// Residual standard deviation σ.
    Residual,
}

/// A confidence interval of a variance component (see
/// [`LmmFit::variance_component_intervals`](super::LmmFit::variance_component_intervals)).
///
/// # Examples
///
/// See [`LmmFit::variance_component_intervals`](super::LmmFit::variance_component_intervals).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VarianceComponentInterval {
    /// lme4's name with `oldNames = TRUE`: `.sig01`, `.sig02`, …, `.sigma`.
    pub parameter: String,
    /// Readable name: `sd (Intercept)`, `cor (Intercept), time`, `sigma`.
    pub label: String,
    /// What is estimated.
    pub kind: VarianceParameter,
    /// The estimate of the fit (REML or ML, as fitted).
    pub estimate: f64,
    /// The estimate at the minimum of the profiled criterion (the ML estimate), the value the
    /// interval is built around; equal to `estimate` for ML fits.
    pub profile_estimate: f64,
    /// The interval.
    pub confidence_interval: ConfidenceInterval,
    /// How it was computed.
    pub method: VarianceIntervalMethod,
}

/// Relative tolerance of a limit.
const LIMIT_TOLERANCE: f64 = 1e-8;

/// The variance parameters in lme4's order: per column `j` of `Λ`, the SD of effect `j` then
/// its correlations with the later effects; σ last.
pub(crate) fn parameters(map: ThetaMap) -> Vec<VarianceParameter> {
    let (cov, q) = (map.cov, map.q);
    let mut out = Vec::new();
    for j in 0..q {
        out.push(VarianceParameter::StdDev { effect: j });
        if cov == RandomEffectsCovariance::Correlated {
            for i in j + 1..q {
                out.push(VarianceParameter::Correlation {
                    first: j,
                    second: i,
                });
            }
        }
    }
    if map.site {
        out.push(VarianceParameter::SiteStdDev);
    }
    out.push(VarianceParameter::Residual);
    out
}

/// Indices in θ of the entries a standard deviation is the norm of (times σ).
fn sd_indices(map: ThetaMap, par: VarianceParameter) -> Vec<usize> {
    match par {
        VarianceParameter::StdDev { effect } => row_indices(map.cov, map.q, effect),
        VarianceParameter::SiteStdDev => vec![map.n_patient()],
        _ => Vec::new(),
    }
}

/// Indices in θ of the non-zero entries of row `i` of `Λ`, in column order.
fn row_indices(cov: RandomEffectsCovariance, q: usize, i: usize) -> Vec<usize> {
    match cov {
        RandomEffectsCovariance::Diagonal => vec![i],
        RandomEffectsCovariance::Correlated => (0..=i)
            .map(|j| (0..j).map(|jj| q - jj).sum::<usize>() + (i - j))
            .collect(),
    }
}

fn row(cov: RandomEffectsCovariance, q: usize, theta: &[f64], i: usize) -> Vec<f64> {
    row_indices(cov, q, i).iter().map(|&k| theta[k]).collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Value of parameter `par` at `(θ, σ)`.
pub(crate) fn value(map: ThetaMap, theta: &[f64], sigma: f64, par: VarianceParameter) -> f64 {
    let (cov, q) = (map.cov, map.q);
    match par {
        VarianceParameter::Residual => sigma,
        VarianceParameter::SiteStdDev => {
            sigma * theta.get(map.n_patient()).copied().unwrap_or(0.0).abs()
        }
        VarianceParameter::StdDev { effect } => sigma * norm(&row(cov, q, theta, effect)),
        VarianceParameter::Correlation { first, second } => {
            let (a, b) = (row(cov, q, theta, first), row(cov, q, theta, second));
            let (na, nb) = (norm(&a), norm(&b));
            if na > 0.0 && nb > 0.0 {
                a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>() / (na * nb)
            } else {
                0.0
            }
        }
    }
}

/// Unit vector of `angles.len() + 1` components in hyperspherical coordinates.
fn sphere(angles: &[f64]) -> Vec<f64> {
    let m = angles.len() + 1;
    let mut u = vec![0.0; m];
    let mut s = 1.0;
    for (k, a) in angles.iter().enumerate() {
        u[k] = s * a.cos();
        s *= a.sin();
    }
    u[m - 1] = s;
    u
}

/// Angles of a unit vector (inverse of [`sphere`]).
fn sphere_angles(u: &[f64]) -> Vec<f64> {
    let m = u.len();
    (0..m.saturating_sub(1))
        .map(|k| {
            if k + 2 == m {
                u[m - 1].atan2(u[m - 2])
            } else {
                norm(&u[k + 1..]).atan2(u[k])
            }
        })
        .collect()
}

/// The free parameters of the profile of one variance parameter held at a value, and the map
/// back to `(θ, σ)`.
struct Reparam {
    map: ThetaMap,
    cov: RandomEffectsCovariance,
    q: usize,
    par: VarianceParameter,
    value: f64,
    /// θ entries that stay free (all but the row the parameter fixes).
    free: Vec<usize>,
    /// Householder vector and reference axis of the complement of the first row's direction
    /// (correlations only).
    axis: usize,
    axis_sign: f64,
}

impl Reparam {
    fn new(map: ThetaMap, par: VarianceParameter, value: f64, theta: &[f64]) -> Self {
        let (cov, q) = (map.cov, map.q);
        let fixed = match par {
            VarianceParameter::Residual => Vec::new(),
            VarianceParameter::SiteStdDev => sd_indices(map, par),
            // a zero SD: the column of Λ goes too (with a zero row it would only rotate the
            // later rows' entries, a flat direction of the deviance)
            VarianceParameter::StdDev { effect } if value == 0.0 => {
                let mut f = row_indices(cov, q, effect);
                if cov == RandomEffectsCovariance::Correlated {
                    let base: usize = (0..effect).map(|jj| q - jj).sum();
                    f.extend((effect + 1..q).map(|k| base + (k - effect)));
                }
                f
            }
            VarianceParameter::StdDev { effect } => row_indices(cov, q, effect),
            VarianceParameter::Correlation { second, .. } => row_indices(cov, q, second),
        };
        let free = (0..theta.len()).filter(|k| !fixed.contains(k)).collect();
        let (mut axis, mut axis_sign) = (0, 1.0);
        if let VarianceParameter::Correlation { first, .. } = par {
            let a = row(cov, q, theta, first);
            for (k, v) in a.iter().enumerate() {
                if v.abs() > a[axis].abs() {
                    axis = k;
                }
            }
            axis_sign = if a[axis] < 0.0 { -1.0 } else { 1.0 };
        }
        Self {
            map,
            cov,
            q,
            par,
            value,
            free,
            axis,
            axis_sign,
        }
    }

    /// Whether the direction angles have no effect (a zero SD or a correlation of ±1).
    fn frozen(&self) -> bool {
        match self.par {
            VarianceParameter::StdDev { .. } | VarianceParameter::SiteStdDev => self.value == 0.0,
            VarianceParameter::Correlation { .. } => self.value.abs() >= 1.0,
            VarianceParameter::Residual => true,
        }
    }

    /// Orthonormal basis of the complement of unit `u` (length m): the columns other than
    /// `axis` of the Householder reflection that maps `u` to `−axis_sign · e_axis`.
    fn complement(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let m = u.len();
        let mut v = u.to_vec();
        v[self.axis] += self.axis_sign;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        (0..m)
            .filter(|&b| b != self.axis)
            .map(|b| {
                (0..m)
                    .map(|a| {
                        let id = if a == b { 1.0 } else { 0.0 };
                        if vv > 0.0 {
                            id - 2.0 * v[a] * v[b] / vv
                        } else {
                            id
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Direction of the first row of a correlation, padded to the length of the second.
    fn first_direction(&self, theta: &[f64], first: usize, m: usize) -> Option<Vec<f64>> {
        let mut a = row(self.cov, self.q, theta, first);
        let na = norm(&a);
        if na <= 0.0 || !na.is_finite() {
            return None;
        }
        a.iter_mut().for_each(|x| *x /= na);
        a.resize(m, 0.0);
        Some(a)
    }

    /// Free parameters from `(θ, σ)`.
    fn split(&self, theta: &[f64], sigma: f64) -> Option<Vec<f64>> {
        let mut z: Vec<f64> = self.free.iter().map(|&k| theta[k]).collect();
        match self.par {
            VarianceParameter::Residual => {}
            VarianceParameter::StdDev { .. } | VarianceParameter::SiteStdDev => {
                z.push(sigma.ln());
                if !self.frozen() {
                    let r: Vec<f64> = sd_indices(self.map, self.par)
                        .iter()
                        .map(|&k| theta.get(k).copied().unwrap_or(0.0))
                        .collect();
                    let n = norm(&r);
                    let u: Vec<f64> = if n > 0.0 {
                        r.iter().map(|x| x / n).collect()
                    } else {
                        sphere(&vec![0.0; r.len() - 1])
                    };
                    z.extend(sphere_angles(&u));
                }
            }
            VarianceParameter::Correlation { first, second } => {
                z.push(sigma.ln());
                let b = row(self.cov, self.q, theta, second);
                let r = norm(&b).max(1e-8);
                z.push(r.ln());
                if !self.frozen() {
                    let u = self.first_direction(theta, first, b.len())?;
                    let basis = self.complement(&u);
                    let along: f64 = b.iter().zip(&u).map(|(x, y)| x * y).sum();
                    let mut w: Vec<f64> = b.iter().zip(&u).map(|(x, y)| x - along * y).collect();
                    let nw = norm(&w);
                    if nw > 0.0 {
                        w.iter_mut().for_each(|x| *x /= nw);
                    } else {
                        w = basis.first()?.clone();
                    }
                    let s: Vec<f64> = basis
                        .iter()
                        .map(|e| e.iter().zip(&w).map(|(x, y)| x * y).sum())
                        .collect();
                    z.extend(sphere_angles(&s));
                }
            }
        }
        Some(z)
    }

    /// `(θ, σ)` from the free parameters.
    fn assemble(&self, z: &[f64], n_theta: usize) -> Option<(Vec<f64>, f64)> {
        let mut theta = vec![0.0; n_theta];
        for (&k, v) in self.free.iter().zip(z) {
            theta[k] = *v;
        }
        let rest = &z[self.free.len()..];
        let sigma = match self.par {
            VarianceParameter::Residual => self.value,
            _ => rest.first()?.exp(),
        };
        match self.par {
            VarianceParameter::Residual => {}
            VarianceParameter::StdDev { .. } | VarianceParameter::SiteStdDev => {
                let idx = sd_indices(self.map, self.par);
                let u = if self.frozen() {
                    vec![0.0; idx.len()]
                } else {
                    sphere(rest.get(1..)?)
                };
                for (&k, v) in idx.iter().zip(&u) {
                    theta[k] = self.value / sigma * v;
                }
            }
            VarianceParameter::Correlation { first, second } => {
                let idx = row_indices(self.cov, self.q, second);
                let r = rest.get(1)?.exp();
                let u = self.first_direction(&theta, first, idx.len())?;
                let c = self.value.clamp(-1.0, 1.0);
                let mut b: Vec<f64> = u.iter().map(|x| c * x).collect();
                if !self.frozen() {
                    let s = sphere(rest.get(2..)?);
                    let k = (1.0 - c * c).sqrt();
                    for (e, sv) in self.complement(&u).iter().zip(&s) {
                        for (bv, ev) in b.iter_mut().zip(e) {
                            *bv += k * sv * ev;
                        }
                    }
                }
                for (&kk, v) in idx.iter().zip(&b) {
                    theta[kk] = r * v;
                }
            }
        }
        Some((theta, sigma))
    }
}

/// The deviance at `(θ, σ)` with β profiled: `log|L|² + r²/σ² + n log(2πσ²)` (ML; the REML
/// terms `log|R_X|² − p log(2πσ²)` added for REML), lme4's `devfun2` and lmerTest's
/// `devfun_vp`.
pub(crate) fn deviance_theta_sigma(
    b: &Blocks,
    map: ThetaMap,
    method: Estimation,
    theta: &[f64],
    sigma: f64,
) -> Option<f64> {
    let sigma2 = sigma * sigma;
    if !(sigma2 > 0.0 && sigma2.is_finite()) {
        return None;
    }
    let ev = evaluate(b, &map.lambda(theta))?;
    let two_pi = 2.0 * std::f64::consts::PI;
    let mut d = ev.ldl2 + ev.r2 / sigma2 + b.n as f64 * (two_pi * sigma2).ln();
    if method == Estimation::Reml {
        d += ev.ldrx2 - b.p as f64 * (two_pi * sigma2).ln();
    }
    Some(d)
}

/// The profile of the ML deviance around its minimum.
pub(crate) struct Profiler<'b> {
    blocks: &'b Blocks,
    map: ThetaMap,
    /// ML estimates of θ and σ.
    theta: Vec<f64>,
    sigma: f64,
    /// Minimum of the ML deviance.
    minimum: f64,
    max_iterations: usize,
}

/// Why a limit could not be computed.
pub(crate) struct LimitFailure(pub RefusalReason, pub String);

impl<'b> Profiler<'b> {
    /// The ML optimum, started from `theta` (the fit's θ, REML or ML).
    pub fn new(
        blocks: &'b Blocks,
        map: ThetaMap,
        theta: &[f64],
        max_iterations: usize,
    ) -> Option<Self> {
        let (n, p) = (blocks.n, blocks.p);
        let f =
            |t: &[f64]| evaluate(blocks, &map.lambda(t)).map(|e| e.deviance(Estimation::Ml, n, p));
        let min = minimize(&f, theta, max_iterations)?;
        if !min.certificate.converged {
            return None;
        }
        let theta = map.canonical(&min.x);
        let ev = evaluate(blocks, &map.lambda(&theta))?;
        Some(Self {
            blocks,
            map,
            sigma: ev.sigma2(Estimation::Ml, n, p).sqrt(),
            minimum: ev.deviance(Estimation::Ml, n, p),
            theta,
            max_iterations,
        })
    }

    /// The ML estimate of `par`.
    pub fn estimate(&self, par: VarianceParameter) -> f64 {
        value(self.map, &self.theta, self.sigma, par)
    }

    /// Profiled deviance minus its minimum at `par = c`, warm-started (and updated) at `start`.
    fn excess(
        &self,
        par: VarianceParameter,
        c: f64,
        start: &mut (Vec<f64>, f64),
    ) -> Result<f64, LimitFailure> {
        let fail = |what: &str| {
            LimitFailure(
                RefusalReason::NoConvergence,
                format!("the profile at {c:.6} did not converge ({what})"),
            )
        };
        let k = self.theta.len();
        let rp = Reparam::new(self.map, par, c, &start.0);
        let z0 = rp
            .split(&start.0, start.1)
            .ok_or_else(|| fail("undefined start"))?;
        let f = |z: &[f64]| {
            let (t, s) = rp.assemble(z, k)?;
            deviance_theta_sigma(self.blocks, self.map, Estimation::Ml, &t, s)
        };
        let d = if z0.is_empty() {
            f(&z0).ok_or_else(|| fail("undefined deviance"))?
        } else {
            let min =
                minimize(&f, &z0, self.max_iterations).ok_or_else(|| fail("undefined deviance"))?;
            let d = f(&min.x).ok_or_else(|| fail("undefined deviance"))?;
            if !min.certificate.converged {
                // a correlation whose second SD is driven to 0: the infimum is the boundary
                // where that SD is 0 and the correlation has no effect
                let VarianceParameter::Correlation { second, .. } = par else {
                    return Err(fail("optimizer"));
                };
                let sd = VarianceParameter::StdDev { effect: second };
                let mut s0 = start.clone();
                let d0 = self.excess(sd, 0.0, &mut s0)? + self.minimum;
                let (t, s) = rp.assemble(&min.x, k).ok_or_else(|| fail("undefined"))?;
                let small = value(self.map, &t, s, sd) <= 1e-4 * self.sigma.max(self.estimate(sd));
                if !(small && d >= d0 - 1e-8 * d0.abs().max(1.0)) {
                    return Err(fail("optimizer"));
                }
                return Ok(d0 - self.minimum);
            }
            let (t, s) = rp.assemble(&min.x, k).ok_or_else(|| fail("undefined"))?;
            *start = (t, s);
            d
        };
        Ok(d - self.minimum)
    }

    /// The lower and upper limits of `par` where the profiled deviance exceeds its minimum by
    /// `cutoff`.
    pub fn interval(
        &self,
        par: VarianceParameter,
        cutoff: f64,
    ) -> Result<(f64, f64), LimitFailure> {
        let est = self.estimate(par);
        let lower = self.limit(par, est, cutoff, -1.0)?;
        let upper = self.limit(par, est, cutoff, 1.0)?;
        Ok((lower, upper))
    }

    fn limit(
        &self,
        par: VarianceParameter,
        est: f64,
        cutoff: f64,
        side: f64,
    ) -> Result<f64, LimitFailure> {
        let mut start = (self.theta.clone(), self.sigma);
        let g = |c: f64, s: &mut (Vec<f64>, f64)| self.excess(par, c, s).map(|d| d - cutoff);
        // the boundary of the parameter: 0 for a standard deviation, ±1 for a correlation
        let bound = match par {
            VarianceParameter::StdDev { .. } | VarianceParameter::SiteStdDev if side < 0.0 => {
                Some(0.0)
            }
            VarianceParameter::Correlation { .. } => Some(side),
            _ => None,
        };
        let scale = match par {
            VarianceParameter::Correlation { .. } => 1.0,
            VarianceParameter::Residual => est,
            VarianceParameter::StdDev { .. } | VarianceParameter::SiteStdDev => {
                est.max(1e-3 * self.sigma)
            }
        };
        // bracket: steps growing geometrically away from the estimate
        let (mut a, mut ga) = (est, -cutoff);
        let mut bracket = None;
        for n in 0..60 {
            let step = 0.05 * scale * 2f64.powi(n);
            let mut c = est + side * step;
            if par == VarianceParameter::Residual && side < 0.0 {
                c = est * (-0.05 * 2f64.powi(n)).exp();
            }
            let at_bound = match bound {
                Some(b) if (c - b) * side >= 0.0 => {
                    c = b;
                    true
                }
                _ => false,
            };
            let gc = g(c, &mut start)?;
            if gc >= 0.0 {
                bracket = Some((c, gc));
                break;
            }
            if at_bound {
                // the profile stays below the cutoff up to the boundary: the limit is there
                return Ok(c);
            }
            (a, ga) = (c, gc);
        }
        let Some((mut b, mut gb)) = bracket else {
            return Err(LimitFailure(
                RefusalReason::NotReached,
                "the profiled deviance does not reach the cutoff: the limit is infinite".into(),
            ));
        };
        // Illinois regula falsi
        let tol = LIMIT_TOLERANCE * scale.max(est.abs());
        for _ in 0..200 {
            if (b - a).abs() <= tol {
                break;
            }
            let mut c = b - gb * (b - a) / (gb - ga);
            if !c.is_finite() || (c - a) * (c - b) > 0.0 {
                c = 0.5 * (a + b);
            }
            let gc = g(c, &mut start)?;
            if gc == 0.0 {
                return Ok(c);
            }
            if (gc > 0.0) == (gb > 0.0) {
                ga /= 2.0;
            } else {
                (a, ga) = (b, gb);
            }
            (b, gb) = (c, gc);
        }
        Ok(if ga.abs() < gb.abs() { a } else { b })
    }
}

/// Names and labels in lme4's order.
pub(crate) fn label(par: VarianceParameter, names: &[String]) -> String {
    let name = |i: usize| names.get(i).map(String::as_str).unwrap_or("?");
    match par {
        VarianceParameter::StdDev { effect } => format!("sd {}", name(effect)),
        VarianceParameter::Correlation { first, second } => {
            format!("cor {}, {}", name(first), name(second))
        }
        VarianceParameter::SiteStdDev => "sd site (Intercept)".into(),
        VarianceParameter::Residual => "sigma".into(),
    }
}

/// The intervals of every variance parameter.
pub(crate) fn intervals(
    blocks: &Blocks,
    map: ThetaMap,
    fit_theta: &[f64],
    fit_sigma: f64,
    names: &[String],
    level: f64,
    max_iterations: usize,
) -> Vec<Outcome<VarianceComponentInterval>> {
    let pars = parameters(map);
    let cutoff = chi_square_1_quantile(level);
    let profiler = Profiler::new(blocks, map, fit_theta, max_iterations);
    let n_sig = pars.len() - 1;
    pars.iter()
        .enumerate()
        .map(|(k, &par)| {
            let parameter = if par == VarianceParameter::Residual {
                ".sigma".to_string()
            } else if n_sig < 100 {
                format!(".sig{:02}", k + 1)
            } else {
                format!(".sig{:03}", k + 1)
            };
            let Some(profiler) = profiler.as_ref() else {
                return refuse(
                    RefusalReason::NoConvergence,
                    "the ML refit the profile starts from did not converge",
                );
            };
            match profiler.interval(par, cutoff) {
                Ok((lower, upper)) => Outcome::Computed(VarianceComponentInterval {
                    label: label(par, names),
                    parameter,
                    kind: par,
                    estimate: value(map, fit_theta, fit_sigma, par),
                    profile_estimate: profiler.estimate(par),
                    confidence_interval: ConfidenceInterval {
                        lower,
                        upper,
                        level,
                    },
                    method: VarianceIntervalMethod::MlProfile,
                }),
                Err(LimitFailure(reason, why)) => refuse(
                    reason,
                    format!("{} ({parameter}): {why}", label(par, names)),
                ),
            }
        })
        .collect()
}

/// `qchisq(level, 1)` = `qnorm((1 + level) / 2)²`.
fn chi_square_1_quantile(level: f64) -> f64 {
    let z = crate::stats::dist::normal_quantile(0.5 + level / 2.0);
    z * z
}
