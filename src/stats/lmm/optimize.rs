//! Minimisation of the profiled deviance over θ: damped Newton steps with an Armijo line
//! search, on the analytic gradient (the fit, [`minimize_with_gradient`]) or on
//! finite-difference derivatives (the profiles of the variance parameters, [`minimize`]).
//!
//! The deviance depends on θ only through `ΛΛ'`, which does not change when a column of `Λ`
//! changes sign; it is therefore minimised without bounds and the solution is mapped to lme4's
//! convention (non-negative diagonal of `Λ`, the lower bounds 0 of its optimizer). A boundary
//! (singular) solution is a point where a diagonal element of `Λ` is 0 — by the symmetry an
//! interior stationary point of the unbounded problem — so Newton steps converge to it.

use nalgebra::{DMatrix, DVector};

/// How the optimizer reached its answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LmmCertificate {
    /// Newton iterations.
    pub iterations: usize,
    /// Evaluations of the criterion (with its gradient for the fit; the profiles of
    /// [`crate::stats::lmm::LmmFit::variance_component_intervals`] evaluate it alone).
    pub evaluations: usize,
    /// Largest absolute gradient component of the criterion at the solution (analytic for
    /// the fit; finite differences with Richardson extrapolation for the profiles).
    pub max_abs_gradient: f64,
    /// Newton decrement `g'H⁻¹g` at the last iteration (criterion units).
    pub newton_decrement: f64,
    /// Whether the Hessian of the criterion in θ is positive definite at the solution.
    pub hessian_positive_definite: bool,
    /// Whether the convergence tests passed (a fit that did not converge is refused).
    pub converged: bool,
}

pub(crate) struct Minimum {
    pub x: Vec<f64>,
    pub certificate: LmmCertificate,
    /// The last Hessian of the criterion computed ([`minimize_with_gradient`] only): at `x`,
    /// or one step of negligible length before it when the line search made the last move.
    pub hessian: Option<DMatrix<f64>>,
}

struct Counter<'f, F: Fn(&[f64]) -> Option<f64>> {
    f: &'f F,
    n: usize,
}

impl<F: Fn(&[f64]) -> Option<f64>> Counter<'_, F> {
    fn eval(&mut self, x: &[f64]) -> Option<f64> {
        self.n += 1;
        (self.f)(x).filter(|v| v.is_finite())
    }
}

fn step(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| 1e-4 * v.abs().max(0.05)).collect()
}

/// Gradient by central differences, with one Richardson extrapolation (error `O(h⁴)`) when
/// `precise` (near the solution) and without (error `O(h²)`) before.
fn gradient<F: Fn(&[f64]) -> Option<f64>>(
    c: &mut Counter<'_, F>,
    x: &[f64],
    h: &[f64],
    precise: bool,
) -> Option<Vec<f64>> {
    let mut g = vec![0.0; x.len()];
    let mut y = x.to_vec();
    for j in 0..x.len() {
        let mut d = [0.0; 2];
        let steps = if precise { 2 } else { 1 };
        for (s, hh) in [h[j], h[j] / 2.0].into_iter().take(steps).enumerate() {
            y[j] = x[j] + hh;
            let fp = c.eval(&y)?;
            y[j] = x[j] - hh;
            let fm = c.eval(&y)?;
            y[j] = x[j];
            d[s] = (fp - fm) / (2.0 * hh);
        }
        g[j] = if precise {
            (4.0 * d[1] - d[0]) / 3.0
        } else {
            d[0]
        };
    }
    Some(g)
}

/// Hessian by central differences.
pub(crate) fn hessian<F: Fn(&[f64]) -> Option<f64>>(
    f: &F,
    x: &[f64],
    f0: f64,
    h: &[f64],
) -> Option<(DMatrix<f64>, usize)> {
    let k = x.len();
    let mut c = Counter { f, n: 0 };
    let mut hm = DMatrix::zeros(k, k);
    let mut y = x.to_vec();
    for i in 0..k {
        y[i] = x[i] + h[i];
        let fp = c.eval(&y)?;
        y[i] = x[i] - h[i];
        let fm = c.eval(&y)?;
        y[i] = x[i];
        hm[(i, i)] = (fp - 2.0 * f0 + fm) / (h[i] * h[i]);
        for j in 0..i {
            let mut s = 0.0;
            for (si, sj, sign) in [
                (1.0, 1.0, 1.0),
                (1.0, -1.0, -1.0),
                (-1.0, 1.0, -1.0),
                (-1.0, -1.0, 1.0),
            ] {
                y[i] = x[i] + si * h[i];
                y[j] = x[j] + sj * h[j];
                s += sign * c.eval(&y)?;
            }
            y[i] = x[i];
            y[j] = x[j];
            let v = s / (4.0 * h[i] * h[j]);
            hm[(i, j)] = v;
            hm[(j, i)] = v;
        }
    }
    Some((hm, c.n))
}

/// Minimises `f` from `x0` in at most `max_iterations` Newton iterations; `None` only when `f`
/// fails at `x0`.
pub(crate) fn minimize<F: Fn(&[f64]) -> Option<f64>>(
    f: &F,
    x0: &[f64],
    max_iterations: usize,
) -> Option<Minimum> {
    let mut c = Counter { f, n: 0 };
    let mut x = x0.to_vec();
    let mut fx = c.eval(&x)?;
    let mut converged = false;
    let mut decrement = f64::INFINITY;
    let mut iterations = 0;
    let mut hessian_pd = false;
    let tol_f = 1e-16 * fx.abs().max(1.0);
    while iterations < max_iterations {
        iterations += 1;
        let h = step(&x);
        // the cheap gradient while far from the solution (its O(h²) error only perturbs the
        // Newton direction), the extrapolated one for the convergence decision
        let precise = decrement < 1e-6 * fx.abs().max(1.0);
        let Some(g) = gradient(&mut c, &x, &h, precise) else {
            break;
        };
        let Some((hm, used)) = hessian(f, &x, fx, &h) else {
            break;
        };
        c.n += used;
        let gv = DVector::from_column_slice(&g);
        hessian_pd = hm.clone().cholesky().is_some();
        let d = damped_newton(&hm, &gv);
        decrement = -gv.dot(&d);
        let max_step = d
            .iter()
            .zip(&x)
            .map(|(s, v)| s.abs() / v.abs().max(1e-2))
            .fold(0.0, f64::max);
        if precise && hessian_pd && (decrement < tol_f || max_step < 1e-10) {
            converged = true;
            break;
        }
        // Armijo backtracking
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let y: Vec<f64> = x.iter().zip(d.iter()).map(|(a, s)| a + t * s).collect();
            if let Some(fy) = c.eval(&y)
                && fy <= fx - 1e-4 * t * decrement
            {
                let change = fx - fy;
                x = y;
                fx = fy;
                accepted = change > tol_f;
                if precise && hessian_pd && t == 1.0 && change <= tol_f {
                    converged = true;
                }
                break;
            }
            t *= 0.5;
        }
        if converged {
            break;
        }
        if !accepted {
            // no progress: at the floor of the arithmetic, converged only if the decrement is
            // negligible there too
            converged = hessian_pd && decrement < 1e-10 * fx.abs().max(1.0);
            break;
        }
    }
    let h = step(&x);
    let g = gradient(&mut c, &x, &h, true).unwrap_or_else(|| vec![f64::INFINITY; x.len()]);
    let max_abs_gradient = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
    Some(Minimum {
        x,
        hessian: None,
        certificate: LmmCertificate {
            iterations,
            evaluations: c.n,
            max_abs_gradient,
            newton_decrement: decrement,
            hessian_positive_definite: hessian_pd,
            converged,
        },
    })
}

/// `-(H + μI)⁻¹g` with the smallest `μ ≥ 0` (from a geometric ladder) that makes the matrix
/// positive definite.
fn damped_newton(h: &DMatrix<f64>, g: &DVector<f64>) -> DVector<f64> {
    let k = h.nrows();
    let scale = (0..k).map(|i| h[(i, i)].abs()).fold(1e-8, f64::max);
    let mut mu = 0.0;
    for _ in 0..40 {
        let m = h + DMatrix::identity(k, k) * mu;
        if let Some(ch) = m.cholesky() {
            return -ch.solve(g);
        }
        mu = if mu == 0.0 { 1e-8 * scale } else { mu * 10.0 };
    }
    -g / scale
}

/// Minimises `f` from `x0` given the criterion and its analytic gradient (`fg`): damped Newton
/// steps with an Armijo line search. The Hessian is taken by forward differences of the
/// gradient (symmetrised) at the start, and updated by BFGS from the gradient change of each
/// accepted step after that (no further evaluation); whenever the step would be declared
/// converged, or stalls, on an updated Hessian, a fresh finite-difference Hessian is taken at
/// that point and the tests of [`minimize`] are applied with it. The fit is thus certified,
/// and its Satterthwaite df computed, with a Hessian taken at the solution. One evaluation per
/// iteration plus one per θ component for each fresh Hessian, against about `2k² + 4k`
/// evaluations per iteration with finite-difference gradients. `None` only when `fg` fails at
/// `x0`.
pub(crate) fn minimize_with_gradient<F: Fn(&[f64]) -> Option<(f64, Vec<f64>)>>(
    fg: &F,
    x0: &[f64],
    max_iterations: usize,
) -> Option<Minimum> {
    let mut evaluations = 0;
    let mut eval = |x: &[f64]| {
        evaluations += 1;
        fg(x).filter(|(f, g)| f.is_finite() && g.iter().all(|v| v.is_finite()))
    };
    let mut x = x0.to_vec();
    let (mut fx, mut g) = eval(&x)?;
    let mut converged = false;
    let mut decrement = f64::INFINITY;
    let mut iterations = 0;
    let mut hessian_pd = false;
    // the current Hessian and whether it was taken by differences at x
    let mut hm: Option<DMatrix<f64>> = None;
    let mut fresh = false;
    let mut final_hessian = None;
    let tol_f = 1e-16 * fx.abs().max(1.0);
    while iterations < max_iterations {
        iterations += 1;
        let h = match hm.take() {
            Some(h) => h,
            None => {
                let Some(h) = gradient_hessian(&mut eval, &x, &g) else {
                    break;
                };
                fresh = true;
                h
            }
        };
        let gv = DVector::from_column_slice(&g);
        hessian_pd = h.clone().cholesky().is_some();
        let d = damped_newton(&h, &gv);
        let previous = decrement;
        decrement = -gv.dot(&d);
        if !(fresh || (hessian_pd && decrement < 0.25 * previous)) {
            // an updated Hessian that is not positive definite or does not make fast
            // progress: take one at x
            continue;
        }
        let max_step = d
            .iter()
            .zip(&x)
            .map(|(s, v)| s.abs() / v.abs().max(1e-2))
            .fold(0.0, f64::max);
        if decrement < tol_f || max_step < 1e-10 {
            if fresh && hessian_pd {
                converged = true;
                final_hessian = Some(h);
                break;
            }
            if !fresh {
                // confirm with a Hessian taken at x
                continue;
            }
        }
        let used_fresh = fresh;
        let mut t = 1.0;
        let mut accepted = false;
        let mut stalled = false;
        for _ in 0..60 {
            if t < 1.0 && t * decrement < tol_f {
                // the decrease the step promises is below the rounding of the criterion
                break;
            }
            let y: Vec<f64> = x.iter().zip(d.iter()).map(|(a, s)| a + t * s).collect();
            if let Some((fy, gy)) = eval(&y)
                && fy <= fx - 1e-4 * t * decrement
            {
                let change = fx - fy;
                let step = DVector::from_iterator(y.len(), y.iter().zip(&x).map(|(a, b)| a - b));
                let dg = DVector::from_iterator(gy.len(), gy.iter().zip(&g).map(|(a, b)| a - b));
                x = y;
                fx = fy;
                g = gy;
                accepted = change > tol_f;
                stalled = t == 1.0 && change <= tol_f;
                hm = Some(bfgs(h.clone(), &step, &dg));
                fresh = false;
                break;
            }
            t *= 0.5;
        }
        if stalled || !accepted {
            if !used_fresh {
                // no progress on an updated Hessian: decide with one taken at x
                hm = None;
                continue;
            }
            // at the floor of the arithmetic: converged only if the decrement is negligible
            converged = hessian_pd && (stalled || decrement < 1e-10 * fx.abs().max(1.0));
            final_hessian = Some(h);
            break;
        }
    }
    let max_abs_gradient = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
    Some(Minimum {
        x,
        hessian: final_hessian,
        certificate: LmmCertificate {
            iterations,
            evaluations,
            max_abs_gradient,
            newton_decrement: decrement,
            hessian_positive_definite: hessian_pd,
            converged,
        },
    })
}

/// The BFGS update of the Hessian `h` by the step `s` and the gradient change `y`; `h`
/// unchanged when the curvature `s'y` is not positive.
fn bfgs(h: DMatrix<f64>, s: &DVector<f64>, y: &DVector<f64>) -> DMatrix<f64> {
    let sy = s.dot(y);
    let hs = &h * s;
    let shs = s.dot(&hs);
    if !(sy > 0.0 && shs > 0.0) {
        return h;
    }
    h - &hs * hs.transpose() / shs + y * y.transpose() / sy
}

/// Hessian by forward differences of the analytic gradient `g` at `x` (steps 1e-5 relative),
/// symmetrised.
fn gradient_hessian<E: FnMut(&[f64]) -> Option<(f64, Vec<f64>)>>(
    eval: &mut E,
    x: &[f64],
    g: &[f64],
) -> Option<DMatrix<f64>> {
    let k = x.len();
    let mut hm = DMatrix::zeros(k, k);
    let mut y = x.to_vec();
    for j in 0..k {
        let h = 1e-5 * x[j].abs().max(0.05);
        y[j] = x[j] + h;
        let (_, gp) = eval(&y)?;
        y[j] = x[j];
        for i in 0..k {
            hm[(i, j)] = (gp[i] - g[i]) / h;
        }
    }
    Some((&hm + hm.transpose()) * 0.5)
}
