//! Deterministic nested Gauss–Legendre integration of multivariate normal and t rectangle
//! probabilities of low rank.
//!
//! After the reordering and rank-revealing Cholesky factorization of [`super::mvt`]
//! (`X = L w`, the constraints of each level on `w_j` given `w₀ … w_{j−1}`), the probability is
//! an iterated integral over the sequential conditional distributions of `w`:
//!
//! - normal: the `w_j` are independent standard normals;
//! - t with `ν` degrees of freedom: `w` is spherical t, and
//!   `w_j | w₀ … w_{j−1} = s_j u_j` with `u_j ~ t_{ν+j}` and
//!   `s_j² = (ν + Σ_{i<j} w_i²) / (ν + j)` (Genz & Bretz 2009, §4.2; the conditional
//!   distributions of the multivariate t), so no radial variable is needed.
//!
//! The innermost level is exact (`Φ(hi) − Φ(lo)`, or the t distribution function with `ν + r − 1`
//! degrees of freedom). Every other level is integrated over `v = asinh(u)` (which keeps the
//! centre at unit scale and turns the t's polynomial tails into exponential ones) by composite
//! Gauss–Legendre rules:
//!
//! - the interval is cut where the tail beyond carries less than `10⁻¹⁵` of the variable's mass
//!   and split into panels no wider than 1 in `v`, each with `n` nodes;
//! - `n` = 6, 8, 10, 14 in turn: the value of the first rule that differs from the one before
//!   by at most the tolerance is returned, with that difference as its error estimate.
//!
//! The integrand is analytic within each panel of a full-rank problem (one constraint per
//! variable), so the rule converges geometrically. A singular problem (such as Tukey's all-pairs
//! contrasts, several constraints on one variable) has kinks where its limits change
//! constraint; there the rule converges slowly and the difference of successive rules
//! underestimates its error (splitting panels at the kinks of the next level was tried: 2.8e-7
//! claimed, 1.05e-6 actual, on Tukey's 4-arm correlation), so the kernel sends singular
//! problems to the lattice rule and this rule sees only full-rank ones. The cost grows
//! as about `(n k)^{r−1}` for `k` panels per level, so the kernel uses this rule for ranks up
//! to [`MAX_RANK`] and the randomized lattice rule above it or when the estimate misses the
//! tolerance.

use statrs::function::gamma::ln_gamma;

use super::mvt::{Constraint, bounds, phi_interval};
use crate::stats::dist;

/// The largest rank integrated by the nested rule.
pub(super) const MAX_RANK: usize = 5;
/// Tail mass left out at each end of a level.
const TAIL: f64 = 1e-15;
/// Widest panel in `v = asinh(u)`.
const PANEL: f64 = 1.0;

/// A Gauss–Legendre rule on `[−1, 1]`.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl Rule {
    /// The `n`-point rule, nodes by Newton's method on the Legendre polynomial from the
    /// Chebyshev-like start `cos(π (i − 1/4) / (n + 1/2))`.
    pub(super) fn gauss_legendre(n: usize) -> Rule {
        let mut nodes = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for i in 1..=n {
            let mut x = (std::f64::consts::PI * (i as f64 - 0.25) / (n as f64 + 0.5)).cos();
            let mut derivative = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                let pn = if n == 0 { 1.0 } else { p1 };
                let pn_1 = if n == 0 { 0.0 } else { p0 };
                derivative = n as f64 * (x * pn - pn_1) / (x * x - 1.0);
                let step = pn / derivative;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            nodes.push(x);
            weights.push(2.0 / ((1.0 - x * x) * derivative * derivative));
        }
        Rule { nodes, weights }
    }

    /// `∫_a^b f` by this rule on one panel.
    fn panel(&self, a: f64, b: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        let mut sum = 0.0;
        for (x, w) in self.nodes.iter().zip(&self.weights) {
            sum += w * f(mid + half * x);
        }
        sum * half
    }
}

/// The distribution of one level's standardized variable `u`: standard normal (`nu = ∞`) or
/// t with `nu` degrees of freedom.
#[derive(Debug, Clone, Copy)]
struct Level {
    nu: f64,
    /// log of the density's normalizing constant.
    log_constant: f64,
    /// `|u|` beyond this carries less than [`TAIL`] on each side.
    cut: f64,
}

impl Level {
    fn new(nu: f64) -> Self {
        if nu.is_infinite() {
            return Level {
                nu,
                log_constant: -0.5 * (2.0 * std::f64::consts::PI).ln(),
                cut: 7.94, // Φ(−7.94) = 1.0e−15
            };
        }
        let log_constant = ln_gamma(0.5 * (nu + 1.0))
            - ln_gamma(0.5 * nu)
            - 0.5 * (nu * std::f64::consts::PI).ln();
        let cut = dist::t_quantile(1.0 - TAIL, nu);
        Level {
            nu,
            log_constant,
            cut: if cut.is_finite() { cut } else { 1e15 },
        }
    }

    fn density(&self, u: f64) -> f64 {
        if self.nu.is_infinite() {
            (self.log_constant - 0.5 * u * u).exp()
        } else {
            (self.log_constant - 0.5 * (self.nu + 1.0) * (u * u / self.nu).ln_1p()).exp()
        }
    }

    /// `P(lo ≤ u ≤ hi)`.
    fn interval(&self, lo: f64, hi: f64) -> f64 {
        if self.nu.is_infinite() {
            return phi_interval(lo, hi);
        }
        if lo > 0.0 {
            dist::t_sf(lo, self.nu) - dist::t_sf(hi, self.nu)
        } else {
            dist::t_cdf(hi, self.nu) - dist::t_cdf(lo, self.nu)
        }
        .max(0.0)
    }
}

/// The nested integration of one problem with one rule.
struct Nested<'a> {
    groups: &'a [Vec<Constraint>],
    rule: &'a Rule,
    /// `ν` of the t, `∞` for the normal.
    nu: f64,
    /// The distribution of each level's `u`.
    levels: Vec<Level>,
    /// Innermost evaluations.
    evaluations: u64,
    /// Stop (and report failure) beyond this many innermost evaluations.
    budget: u64,
}

impl Nested<'_> {
    /// The probability of levels `j …` given `w₀ … w_{j−1}` in `w[..j]` with `Σ w_i² = q`.
    fn level(&mut self, j: usize, w: &mut [f64], q: f64) -> f64 {
        if self.evaluations > self.budget {
            return 0.0;
        }
        let (lo, hi) = bounds(&self.groups[j], &w[..j], 1.0);
        if hi <= lo || hi.is_nan() || lo.is_nan() {
            return 0.0;
        }
        let scale = if self.nu.is_infinite() {
            1.0
        } else {
            ((self.nu + q) / (self.nu + j as f64)).sqrt()
        };
        let level = self.levels[j];
        let (lo, hi) = (lo / scale, hi / scale);
        if j + 1 == self.groups.len() {
            self.evaluations += 1;
            return level.interval(lo, hi);
        }
        let (a, b) = (lo.max(-level.cut).asinh(), hi.min(level.cut).asinh());
        if b <= a {
            return 0.0;
        }
        let panels = ((b - a) / PANEL).ceil().max(1.0);
        let h = (b - a) / panels;
        let mut total = 0.0;
        let mut left = a;
        for _ in 0..panels as usize {
            let right = left + h;
            total += self.rule.panel(left, right, |v| {
                let u = v.sinh();
                let x = scale * u;
                w[j] = x;
                level.density(u) * v.cosh() * self.level(j + 1, w, q + x * x)
            });
            left = right;
        }
        total
    }
}

/// The probability by the nested rule `rule`, or `None` when the budget ran out; with the
/// number of innermost evaluations.
fn integrate_with(
    groups: &[Vec<Constraint>],
    df: Option<f64>,
    rule: &Rule,
    budget: u64,
) -> (Option<f64>, u64) {
    let nu = df.unwrap_or(f64::INFINITY);
    let mut nested = Nested {
        groups,
        rule,
        nu,
        levels: (0..groups.len())
            .map(|j| Level::new(nu + j as f64))
            .collect(),
        evaluations: 0,
        budget,
    };
    let mut w = vec![0.0; groups.len()];
    let p = nested.level(0, &mut w, 0.0);
    let spent = nested.evaluations;
    ((spent <= budget).then_some(p), spent)
}

/// Node counts per panel of the successive rules: each is compared with the one before.
const RULES: [usize; 4] = [6, 8, 10, 14];

/// The probability of the prepared problem (`groups`, `df`) by the nested rule, to
/// `tolerance`: the rules of [`RULES`] in turn until one differs from the one before by at
/// most `tolerance` — that rule's value, the difference as its error, and the evaluations
/// spent; `None` when no rule pair agrees or more than `budget` evaluations would be needed.
pub(super) fn integrate(
    groups: &[Vec<Constraint>],
    df: Option<f64>,
    tolerance: f64,
    budget: u64,
) -> Option<(f64, f64, u64)> {
    until_two_agree(&RULES, tolerance, |n, spent| {
        let (value, used) = integrate_with(
            groups,
            df,
            &Rule::gauss_legendre(n),
            budget - spent.min(budget),
        );
        value.map(|v| (v, used))
    })
}

/// Successive rules of `sizes` nodes until one differs from the one before by at most
/// `tolerance`: that value, the difference as its error, and the evaluations spent.
/// `rule(n, spent)` gives the value and evaluations of the rule with `n` nodes, or `None` to
/// give up (a budget spent).
pub(super) fn until_two_agree(
    sizes: &[usize],
    tolerance: f64,
    mut rule: impl FnMut(usize, u64) -> Option<(f64, u64)>,
) -> Option<(f64, f64, u64)> {
    let mut spent = 0;
    let mut previous: Option<f64> = None;
    for &n in sizes {
        let (value, used) = rule(n, spent)?;
        spent += used;
        if let Some(before) = previous {
            let error = (value - before).abs();
            if error <= tolerance {
                return Some((value, error, spent));
            }
        }
        previous = Some(value);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        let rule = Rule::gauss_legendre(8);
        // exact for degree 15: ∫_0^2 x^15 = 2^16 / 16
        let v = rule.panel(0.0, 2.0, |x| x.powi(15));
        assert!((v - 4096.0).abs() < 1e-9, "{v}");
        let w: f64 = rule.weights.iter().sum();
        assert!((w - 2.0).abs() < 1e-14);
    }
}
