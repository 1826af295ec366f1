//! Rectangle probabilities of a correlation with factor structure: `R = D + ΛΛ'`, `D` diagonal
//! and positive, `Λ` of low rank `k`.
//!
//! Such a correlation is what many-to-one contrasts of a linear model have: the arm estimates
//! are independent given the estimates of the parameters all arms share (the reference arm's
//! mean, the covariate slopes). In a one-way ANOVA the Dunnett correlation is `D + λλ'`
//! (`k = 1`); an ANCOVA on the baseline score adds one more factor per covariate.
//!
//! # Algorithm
//!
//! With `Y = D^{1/2} z + Λ w`, `z` and `w` independent standard normals, the components of `Y`
//! are independent given `w`, and for the t (`T = Y / S`, `S² ~ χ²_ν/ν`) given `w` and `S`:
//!
//! `P(a ≤ T ≤ b) = E_{S, w} Π_i [Φ((b_i S − Λ_i w) / √D_i) − Φ((a_i S − Λ_i w) / √D_i)]`,
//!
//! a smooth integral of dimension `k` (`k + 1` for the t) whatever the number of contrasts. It
//! is computed by tensor Gauss rules for the exact weights: Gauss–Hermite for each `w_j`
//! (weight the standard normal density) and generalized Gauss–Laguerre for `S²ν/2 ~
//! Gamma(ν/2)`, nodes and weights by the Golub–Welsch eigenvalue method. The rule size grows
//! (16, 24, 32, 48, 64 nodes per dimension) until two successive rules agree to the tolerance;
//! that difference is the error estimate. The integrand is analytic, so the agreement is
//! geometric; when `D` is small next to `ΛΛ'` the integrand has steep sigmoids, the rules do
//! not agree, and the caller falls back to the nested or lattice rule.
//!
//! The factorization is found by principal-axis iteration (`D ← diag(R − ΛΛ')`, `Λ` from the
//! `k` leading eigenpairs of `R − D`, from the squared multiple correlations `D = 1/diag(R⁻¹)`)
//! for `k = 1, 2, …`, and accepted only when it is exact: every element of `R − D − ΛΛ'`
//! below `10⁻¹²` and every `D_i` at least `0.02` (the structure is then a property of the
//! correlation, not an approximation).
//!
//! # References
//!
//! Dunnett, C. W. (1955). A multiple comparison procedure for comparing several treatments
//! with a control. *JASA* 50, 1096–1121 (the one-factor case).
//! Golub, G. H. & Welsch, J. H. (1969). Calculation of Gauss quadrature rules. *Math. Comp.*
//! 23, 221–230.

use nalgebra::{DMatrix, SymmetricEigen};

use super::mvt::phi_interval;

/// The largest number of factors tried.
const MAX_FACTORS: usize = 3;
/// Largest element of `R − D − ΛΛ'` accepted.
const EXACT: f64 = 1e-12;
/// Smallest specific variance `D_i` accepted: below it the integrand is too steep.
const SMALLEST_SPECIFIC: f64 = 0.02;
/// Principal-axis iterations per number of factors at most.
const ITERATIONS: usize = 20_000;
/// Nodes per dimension of the successive rules.
const RULES: [usize; 5] = [16, 24, 32, 48, 64];
/// The largest rule tried, in one-dimensional normal probabilities (about a tenth of a second).
const POINTS: u64 = 4_000_000;

/// An exact factor structure `R = D + ΛΛ'` of a correlation matrix.
#[derive(Debug, Clone)]
pub(super) struct Factor {
    /// `√D_i`.
    specific_sd: Vec<f64>,
    /// `Λ`, one row per variable, `k` columns.
    loadings: Vec<Vec<f64>>,
}

impl Factor {
    /// The factor structure of `r` with the fewest factors (at most [`MAX_FACTORS`] and at most
    /// `m − 2`, where it saves dimensions over the general rules), or `None`.
    pub(super) fn find(r: &DMatrix<f64>) -> Option<Factor> {
        let m = r.nrows();
        if m < 3 {
            return None;
        }
        let inverse = r.clone().cholesky()?.inverse();
        let start: Vec<f64> = (0..m).map(|i| 1.0 / inverse[(i, i)]).collect();
        (1..=MAX_FACTORS.min(m - 2)).find_map(|k| principal_axis(r, k, &start))
    }

    /// Number of factors.
    pub(super) fn rank(&self) -> usize {
        self.loadings.first().map_or(0, Vec::len)
    }
}

/// Principal-axis iteration with `k` factors from the specific variances `start`; `Some` when
/// it reaches an exact factorization.
fn principal_axis(r: &DMatrix<f64>, k: usize, start: &[f64]) -> Option<Factor> {
    let m = r.nrows();
    let mut specific = start.to_vec();
    let mut checkpoint = f64::INFINITY;
    for iteration in 0..ITERATIONS {
        let mut reduced = r.clone();
        for (i, d) in specific.iter().enumerate() {
            reduced[(i, i)] -= d;
        }
        let eigen = SymmetricEigen::new(reduced);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let loadings: Vec<Vec<f64>> = (0..m)
            .map(|i| {
                order[..k]
                    .iter()
                    .map(|&c| eigen.eigenvectors[(i, c)] * eigen.eigenvalues[c].max(0.0).sqrt())
                    .collect()
            })
            .collect();
        let dot = |i: usize, j: usize| -> f64 {
            loadings[i]
                .iter()
                .zip(&loadings[j])
                .map(|(a, b)| a * b)
                .sum()
        };
        let next: Vec<f64> = (0..m).map(|i| r[(i, i)] - dot(i, i)).collect();
        let residual = (0..m)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| (r[(i, j)] - dot(i, j)).abs())
            .fold(0.0_f64, f64::max);
        if residual <= EXACT {
            if next.iter().any(|&d| d < SMALLEST_SPECIFIC) {
                return None;
            }
            return Some(Factor {
                specific_sd: next.iter().map(|d| d.sqrt()).collect(),
                loadings,
            });
        }
        if next.iter().any(|&d| d <= 0.0) {
            return None;
        }
        // linear convergence: give up when 100 iterations no longer halve the residual (too
        // few factors leave a floor; a very slow rate would not finish anyway)
        if iteration % 100 == 99 {
            if residual > 0.5 * checkpoint {
                return None;
            }
            checkpoint = residual;
        }
        specific = next;
    }
    None
}

/// A Gauss rule for a probability measure: nodes and weights summing to 1.
struct Rule {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl Rule {
    /// Golub–Welsch: the rule of the symmetric tridiagonal Jacobi matrix with diagonal `a` and
    /// off-diagonal `b`, weights from the first components of the eigenvectors.
    fn golub_welsch(a: &[f64], b: &[f64]) -> Rule {
        let n = a.len();
        let jacobi = DMatrix::from_fn(n, n, |i, j| {
            if i == j {
                a[i]
            } else if i == j + 1 {
                b[j]
            } else if j == i + 1 {
                b[i]
            } else {
                0.0
            }
        });
        let eigen = SymmetricEigen::new(jacobi);
        let weights: Vec<f64> = (0..n).map(|c| eigen.eigenvectors[(0, c)].powi(2)).collect();
        let total: f64 = weights.iter().sum();
        Rule {
            nodes: eigen.eigenvalues.iter().copied().collect(),
            weights: weights.iter().map(|w| w / total).collect(),
        }
    }

    /// Gauss–Hermite for the standard normal density (probabilists' Hermite polynomials).
    fn hermite(n: usize) -> Rule {
        let b: Vec<f64> = (1..n).map(|k| (k as f64).sqrt()).collect();
        Rule::golub_welsch(&vec![0.0; n], &b)
    }

    /// The rule for `S = √(χ²_ν / ν)`: generalized Gauss–Laguerre for `X = νS²/2 ~ Gamma(ν/2)`
    /// (weight `x^{α} e^{−x}`, `α = ν/2 − 1`), nodes mapped to `S = √(2X/ν)`.
    fn chi(n: usize, nu: f64) -> Rule {
        let alpha = 0.5 * nu - 1.0;
        let a: Vec<f64> = (0..n).map(|k| 2.0 * k as f64 + alpha + 1.0).collect();
        let b: Vec<f64> = (1..n)
            .map(|k| (k as f64 * (k as f64 + alpha)).sqrt())
            .collect();
        let rule = Rule::golub_welsch(&a, &b);
        Rule {
            nodes: rule
                .nodes
                .iter()
                .map(|x| (2.0 * x.max(0.0) / nu).sqrt())
                .collect(),
            weights: rule.weights,
        }
    }
}

/// `P(lower ≤ T ≤ upper)` with `n` nodes per dimension.
fn integrate_with(
    factor: &Factor,
    lower: &[f64],
    upper: &[f64],
    df: Option<f64>,
    n: usize,
) -> (f64, u64) {
    let hermite = Rule::hermite(n);
    let radial = match df {
        Some(nu) => Rule::chi(n, nu),
        None => Rule {
            nodes: vec![1.0],
            weights: vec![1.0],
        },
    };
    let m = lower.len();
    let mut total = 0.0;
    let mut evaluations = 0;
    let mut shift = vec![0.0; m];
    for (&s, &ws) in radial.nodes.iter().zip(&radial.weights) {
        let lo: Vec<f64> = lower.iter().map(|a| a * s).collect();
        let hi: Vec<f64> = upper.iter().map(|b| b * s).collect();
        let mut inner = Tensor {
            factor,
            rule: &hermite,
            lo: &lo,
            hi: &hi,
            evaluations: 0,
        };
        total += ws * inner.level(0, &mut shift);
        evaluations += inner.evaluations;
    }
    (total, evaluations)
}

/// The tensor rule over the factors `w`, for one value of `S`.
struct Tensor<'a> {
    factor: &'a Factor,
    rule: &'a Rule,
    lo: &'a [f64],
    hi: &'a [f64],
    evaluations: u64,
}

impl Tensor<'_> {
    /// `E` over factors `j …` of the product, with `shift_i = Σ_{l<j} Λ_il w_l`.
    fn level(&mut self, j: usize, shift: &mut [f64]) -> f64 {
        if j == self.factor.rank() {
            self.evaluations += 1;
            let mut product = 1.0;
            for (i, sd) in self.factor.specific_sd.iter().enumerate() {
                product *= phi_interval((self.lo[i] - shift[i]) / sd, (self.hi[i] - shift[i]) / sd);
                if product == 0.0 {
                    break;
                }
            }
            return product;
        }
        let mut sum = 0.0;
        for (&w, &weight) in self.rule.nodes.iter().zip(&self.rule.weights) {
            for (s, row) in shift.iter_mut().zip(&self.factor.loadings) {
                *s += row[j] * w;
            }
            sum += weight * self.level(j + 1, shift);
            for (s, row) in shift.iter_mut().zip(&self.factor.loadings) {
                *s -= row[j] * w;
            }
        }
        sum
    }
}

/// The probability by successive tensor rules until two agree to `tolerance`: the value, the
/// difference as its error and the evaluations spent; `None` when no pair agrees.
pub(super) fn integrate(
    factor: &Factor,
    lower: &[f64],
    upper: &[f64],
    df: Option<f64>,
    tolerance: f64,
    budget: u64,
) -> Option<(f64, f64, u64)> {
    let dimension = factor.rank() + usize::from(df.is_some());
    let m = lower.len() as u64;
    super::nested::until_two_agree(&RULES, tolerance, |n, spent| {
        let cost = (n as u64)
            .saturating_pow(dimension as u32)
            .saturating_mul(m);
        (cost <= POINTS.min(budget.saturating_sub(spent)))
            .then(|| integrate_with(factor, lower, upper, df, n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hermite_and_chi_rules_have_the_right_moments() {
        let h = Rule::hermite(16);
        let moment = |k: i32| -> f64 {
            h.nodes
                .iter()
                .zip(&h.weights)
                .map(|(x, w)| w * x.powi(k))
                .sum()
        };
        assert!((moment(0) - 1.0).abs() < 1e-14);
        assert!(moment(1).abs() < 1e-13);
        assert!((moment(2) - 1.0).abs() < 1e-13);
        assert!((moment(4) - 3.0).abs() < 1e-12);
        // E[S²] = 1 and E[S⁴] = (ν + 2) / ν for S² ~ χ²_ν / ν
        let nu = 7.0;
        let c = Rule::chi(16, nu);
        let m = |k: i32| -> f64 {
            c.nodes
                .iter()
                .zip(&c.weights)
                .map(|(x, w)| w * x.powi(k))
                .sum()
        };
        assert!((m(2) - 1.0).abs() < 1e-12, "{}", m(2));
        assert!((m(4) - (nu + 2.0) / nu).abs() < 1e-12, "{}", m(4));
    }

    #[test]
    fn ancova_dunnett_correlation_is_two_factors() {
        let n0 = 150.0;
        let ns = [140.0, 160.0, 155.0, 90.0, 145.0];
        let g = [0.3, -0.2, 0.1, 0.5, -0.4];
        let cov = |i: usize, j: usize| -> f64 {
            let d = if i == j { 1.0 / ns[i] } else { 0.0 };
            d + 1.0 / n0 + g[i] * g[j] / 500.0
        };
        let r = DMatrix::from_fn(5, 5, |i, j| cov(i, j) / (cov(i, i) * cov(j, j)).sqrt());
        let f = Factor::find(&r).unwrap();
        assert_eq!(f.rank(), 2);
    }

    #[test]
    fn one_way_dunnett_correlation_is_one_factor() {
        // contrasts of 4 arms (n = 10, 12, 15) with a control of 20: corr = D + λλ'
        let n0 = 20.0;
        let ns = [10.0, 12.0, 15.0];
        let v: Vec<f64> = ns.iter().map(|n| 1.0 / n + 1.0 / n0).collect();
        let r = DMatrix::from_fn(3, 3, |i, j| {
            if i == j {
                1.0
            } else {
                (1.0 / n0) / (v[i] * v[j]).sqrt()
            }
        });
        let f = Factor::find(&r).unwrap();
        assert_eq!(f.rank(), 1);
        for (row, vi) in f.loadings.iter().zip(&v) {
            let lambda = (1.0 / n0).sqrt() / vi.sqrt();
            assert!((row[0].abs() - lambda).abs() < 1e-10);
        }
    }

    /// The factor rule and the nested rule (independent algorithms) agree on an ANCOVA-like
    /// many-to-one correlation, normal and t, two-sided and one-sided.
    #[test]
    fn factor_rule_agrees_with_the_nested_rule() {
        let n0 = 40.0;
        let ns = [35.0, 42.0, 50.0, 28.0];
        let g = [0.3, -0.2, 0.1, 0.5];
        let cov = |i: usize, j: usize| -> f64 {
            let d = if i == j { 1.0 / ns[i] } else { 0.0 };
            d + 1.0 / n0 + g[i] * g[j] / 20.0
        };
        let r = DMatrix::from_fn(4, 4, |i, j| cov(i, j) / (cov(i, i) * cov(j, j)).sqrt());
        let f = Factor::find(&r).unwrap();
        assert_eq!(f.rank(), 2);
        let inf = f64::INFINITY;
        for df in [None, Some(12.0), Some(300.0)] {
            for (lo, hi) in [(-2.5, 2.5), (-inf, 2.2), (-1.0, 3.0)] {
                let lower = [lo; 4];
                let upper = [hi; 4];
                let (p, error, _) = integrate(&f, &lower, &upper, df, 1e-10, u64::MAX).unwrap();
                assert!(error <= 1e-10);
                let problem = super::super::mvt::Problem::new(&r, &lower, &upper, df);
                let (q, _, _) =
                    super::super::nested::integrate(&problem.groups, df, 1e-10, u64::MAX).unwrap();
                assert!((p - q).abs() < 1e-9, "{df:?} ({lo}, {hi}): {p} vs {q}");
            }
        }
    }
}
