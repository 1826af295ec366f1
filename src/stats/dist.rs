//! Tail-accurate distribution functions used for p-values and confidence limits.
//!
//! Every p-value in the crate goes through this module, so that the far tails (p < 1e-12, t with
//! one degree of freedom or a million, F with small degrees of freedom) are computed from the
//! upper-tail special function directly instead of as `1 - cdf`, which loses all digits there.
//! The special functions come from `statrs`.
//!
//! # Domain
//!
//! Each function documents its domain in a `# Domain` section. Inside it the result is a
//! number (a probability in `[0, 1]`, or a quantile that may be `±∞` or `0` only where the true
//! value lies beyond the range of `f64`; the chi-square functions document their limits at
//! huge degrees of freedom); outside it the result is `NaN`, and no input makes a function
//! panic. Callers in the crate check their arguments before calling: confidence levels
//! validated in `(0, 1)`, degrees of freedom from counts or checked to be positive and
//! finite, statistics checked to be defined.
//!
//! # Accuracy
//!
//! The regularized incomplete beta function is evaluated here by a continued fraction on the
//! side where it converges *and* where the wanted tail is the small quantity, with `x` and
//! `1 - x` both passed in exactly (for Student's t, `df / (df + t²)` and `t² / (df + t²)`), so
//! that neither tail is ever obtained as `1 - (something close to 1)`. This guards against the
//! loss of digits in `statrs` (its `beta_reg` returns `1 - complement` above the switch point,
//! and its F distribution has `cdf + sf != 1` for small degrees of freedom, statrs issue #462).
//! Quantiles are found by a safeguarded Newton iteration on the logarithm of the relevant tail,
//! so they invert the very functions used for p-values (as R's `qt` inverts `pt`).
//!
//! The golden test `tests/it/dist_tails.rs` checks all of this against R's `pt`, `pf`, `pchisq`,
//! `pnorm` (upper tails, down to 1e-300) and `qt`, `qnorm`, `qchisq`, `qf`.

use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

/// Upper tail of the standard normal, `P(Z > z)`, accurate to a few ulps down to 1e-300.
///
/// # Formula
///
/// For `0 <= z < 3`, `1/2 - φ(z) Σ z^(2n+1)/(2n+1)!!` (a series of positive terms); for
/// `z >= 3`, `φ(z)` over Laplace's continued fraction for the Mills ratio; `1 - sf(-z)` below 0.
///
/// # References
///
/// Marsaglia, G. (2004). Evaluating the normal distribution. *J. Stat. Softw.* 11(4).
/// Abramowitz, M. & Stegun, I. A. (1964), 26.2.14.
///
/// # Domain
///
/// Every `z` but `NaN` (`+∞` gives 0, `−∞` gives 1); `NaN` gives `NaN`.
///
/// # Examples
///
/// ```
/// let p = pain_outcomes::stats::dist::normal_sf(1.959963984540054);
/// assert!((p - 0.025).abs() < 1e-12);
/// ```
pub fn normal_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z < 0.0 {
        return 1.0 - normal_sf(-z);
    }
    if z.is_infinite() {
        return 0.0;
    }
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    if z < 3.0 {
        // Φ(z) - 1/2 = φ(z) Σ z^(2n+1) / (1·3·…·(2n+1)): all terms positive.
        let z2 = z * z;
        let mut term = z;
        let mut sum = z;
        let mut k = 1.0;
        while term > 1e-17 * sum {
            k += 2.0;
            term *= z2 / k;
            sum += term;
        }
        return 0.5 - density * sum;
    }
    // Laplace's continued fraction for Mills' ratio: sf = φ(z) / (z + 1/(z + 2/(z + …))).
    let tiny = 1e-300;
    let mut f = z;
    let mut c = z;
    let mut d = 0.0;
    for n in 1..20_000 {
        let a = f64::from(n);
        d = z + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = z + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    density / f
}

/// Lower tail of the standard normal, `P(Z <= z)`.
///
/// # Domain
///
/// As [`normal_sf`]: every `z` but `NaN`, which gives `NaN`.
///
/// # Examples
///
/// ```
/// assert!((pain_outcomes::stats::dist::normal_cdf(0.0) - 0.5).abs() < 1e-15);
/// ```
pub fn normal_cdf(z: f64) -> f64 {
    normal_sf(-z)
}

/// Quantile of the standard normal, `qnorm(p)`.
///
/// # Formula
///
/// Newton iteration on `ln Φ(q) = ln p` (lower half) or `ln(1 - Φ(q)) = ln(1 - p)` (upper half),
/// started from the Abramowitz–Stegun 26.2.23 approximation and safeguarded by bisection.
///
/// # References
///
/// Abramowitz, M. & Stegun, I. A. (1964). *Handbook of Mathematical Functions*, 26.2.23.
///
/// # Domain
///
/// `0 < p < 1`; `p` outside (including 0, 1 and `NaN`) gives `NaN`.
///
/// # Examples
///
/// ```
/// let z = pain_outcomes::stats::dist::normal_quantile(0.975);
/// assert!((z - 1.959963984540054).abs() < 1e-12);
/// ```
pub fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let (tail, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    if tail == 0.5 {
        return 0.0;
    }
    // Upper-tail root q > 0 with normal_sf(q) = tail.
    let t = (-2.0 * tail.ln()).sqrt();
    let start = t
        - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    let q = invert_upper(tail, start.max(1e-3), normal_sf, |z| {
        (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
    });
    sign * q
}

/// Upper tail of Student's t, `P(T > t)` with `df` degrees of freedom.
///
/// Computed from the incomplete beta function for every finite `df` (as R 4.x's `pt` does; the
/// old normal approximation for `df > 4e5` is far off in the tails: at `t = 30`,
/// `df = 10^6` it is wrong by 22 %). `df = ∞` gives the normal tail.
///
/// # Formula
///
/// `P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2` for `t > 0`, from the incomplete beta function
/// evaluated on its convergent side.
///
/// # References
///
/// Abramowitz, M. & Stegun, I. A. (1964), 26.5.27 and 26.7.1.
///
/// # Domain
///
/// `t` not `NaN` (`±∞` allowed) and `df > 0`, fractional or `+∞`; otherwise `NaN`.
///
/// # Examples
///
/// ```
/// // R: pt(2, 10, lower.tail = FALSE) = 0.03669401738537018
/// let p = pain_outcomes::stats::dist::t_sf(2.0, 10.0);
/// assert!((p - 0.03669401738537018).abs() < 1e-14);
/// ```
pub fn t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    if df.is_infinite() {
        return normal_sf(t);
    }
    // x = df / (df + t²) and y = 1 - x = t² / (df + t²), with their logarithms, computed
    // without cancellation.
    let t2 = t * t;
    let arg = if t2 > df {
        let r = df / t2;
        BetaArg {
            x: r / (1.0 + r),
            y: 1.0 / (1.0 + r),
            ln_x: r.ln() - r.ln_1p(),
            ln_y: -r.ln_1p(),
        }
    } else {
        let r = t2 / df;
        BetaArg {
            x: 1.0 / (1.0 + r),
            y: r / (1.0 + r),
            ln_x: -r.ln_1p(),
            ln_y: r.ln() - r.ln_1p(),
        }
    };
    // P(|T| > |t|) = I_x(df/2, 1/2); P(|T| < |t|) = I_y(1/2, df/2).
    let (two_sided, inner) = beta_reg_both(df / 2.0, 0.5, arg);
    if t > 0.0 {
        0.5 * two_sided
    } else {
        0.5 + 0.5 * inner
    }
}

/// Lower tail of Student's t, `P(T <= t)`.
///
/// # Domain
///
/// As [`t_sf`]: `t` not `NaN` and `df > 0` (`+∞` allowed); otherwise `NaN`.
///
/// # Examples
///
/// ```
/// let p = pain_outcomes::stats::dist::t_cdf(0.0, 5.0);
/// assert!((p - 0.5).abs() < 1e-15);
/// ```
pub fn t_cdf(t: f64, df: f64) -> f64 {
    t_sf(-t, df)
}

/// Two-sided p-value of a t statistic, `P(|T| >= |t|)`.
///
/// # Domain
///
/// As [`t_sf`]: `t` not `NaN` and `df > 0` (`+∞` allowed); otherwise `NaN`.
///
/// # Examples
///
/// ```
/// // R: 2 * pt(-2, 10) = 0.07338803477074036
/// let p = pain_outcomes::stats::dist::t_two_sided_p(2.0, 10.0);
/// assert!((p - 0.07338803477074036).abs() < 1e-14);
/// ```
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    // Capped at 1 without `f64::min`, which would turn a `NaN` from outside the domain into 1.
    let p = 2.0 * t_sf(t.abs(), df);
    if p > 1.0 { 1.0 } else { p }
}

/// Quantile of Student's t with `df` degrees of freedom, `qt(p, df)`.
///
/// # Formula
///
/// Safeguarded Newton iteration on the logarithm of the upper tail [`t_sf`] (so that, like R's
/// `qt`, it inverts exactly the function used for p-values), using the symmetry
/// `qt(p) = -qt(1 - p)` computed from the small tail.
///
/// # References
///
/// Hill, G. W. (1970). Algorithm 396: Student's t-quantiles. *CACM* 13, 619–620 (R's method,
/// whose result this reproduces).
///
/// # Domain
///
/// `0 < p < 1` and `df > 0` (`+∞` allowed); otherwise `NaN`. For `df` so small that the
/// quantile exceeds the range of `f64` the result is `±∞`.
///
/// # Examples
///
/// ```
/// // R: qt(0.975, 10) = 2.228138851986274
/// let q = pain_outcomes::stats::dist::t_quantile(0.975, 10.0);
/// assert!((q - 2.228138851986274).abs() < 1e-12);
/// ```
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    let (tail, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    if tail == 0.5 {
        return 0.0;
    }
    let z = normal_quantile(1.0 - tail).max(1e-3);
    // Cornish–Fisher start, then the exact inversion.
    let start = z + (z * z * z + z) / (4.0 * df);
    let q = invert_upper(
        tail,
        if start.is_finite() && start > 0.0 {
            start
        } else {
            1.0
        },
        |x| t_sf(x, df),
        |x| t_pdf(x, df),
    );
    sign * q
}

/// Density of Student's t (used as the Newton derivative).
fn t_pdf(t: f64, df: f64) -> f64 {
    let ln = ln_gamma((df + 1.0) / 2.0)
        - ln_gamma(df / 2.0)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - (df + 1.0) / 2.0 * (t * t / df).ln_1p();
    ln.exp()
}

/// Upper tail of the F distribution, `P(F > f)` with `(df1, df2)` degrees of freedom.
///
/// # Domain
///
/// `f` not `NaN` (`f <= 0` gives 1, `+∞` gives 0) and `df1`, `df2` positive and finite;
/// otherwise `NaN`.
///
/// # Examples
///
/// ```
/// // R: pf(3, 2, 10, lower.tail = FALSE) = 0.095367431640624972
/// let p = pain_outcomes::stats::dist::f_sf(3.0, 2.0, 10.0);
/// assert!((p - 0.095367431640624972).abs() < 1e-15);
/// ```
pub fn f_sf(f: f64, df1: f64, df2: f64) -> f64 {
    f_tails(f, df1, df2).1
}

/// Lower tail of the F distribution, `P(F <= f)`; with [`f_sf`] it sums to one to rounding,
/// whatever the degrees of freedom (unlike statrs issue #462).
///
/// # Domain
///
/// As [`f_sf`]: `f` not `NaN`, `df1` and `df2` positive and finite; otherwise `NaN`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::dist::{f_cdf, f_sf};
/// // R: pf(3, 2, 10) = 0.904632568359375
/// assert!((f_cdf(3.0, 2.0, 10.0) - 0.904632568359375).abs() < 1e-15);
/// assert!((f_cdf(0.3, 1.0, 1.0) + f_sf(0.3, 1.0, 1.0) - 1.0).abs() < 1e-15);
/// ```
pub fn f_cdf(f: f64, df1: f64, df2: f64) -> f64 {
    f_tails(f, df1, df2).0
}

/// `(P(F <= f), P(F > f))`, each from its own side of the incomplete beta function; `NaN`s
/// outside the domain of [`f_sf`].
fn f_tails(f: f64, df1: f64, df2: f64) -> (f64, f64) {
    if f.is_nan() || !(finite_positive(df1) && finite_positive(df2)) {
        return (f64::NAN, f64::NAN);
    }
    if f <= 0.0 {
        return (0.0, 1.0);
    }
    if f.is_infinite() {
        return (1.0, 0.0);
    }
    // x = df1 f / (df1 f + df2), 1 - x = df2 / (df1 f + df2).
    let u = df1 * f;
    let arg = if u > df2 {
        let r = df2 / u;
        BetaArg {
            x: 1.0 / (1.0 + r),
            y: r / (1.0 + r),
            ln_x: -r.ln_1p(),
            ln_y: r.ln() - r.ln_1p(),
        }
    } else {
        let r = u / df2;
        BetaArg {
            x: r / (1.0 + r),
            y: 1.0 / (1.0 + r),
            ln_x: r.ln() - r.ln_1p(),
            ln_y: -r.ln_1p(),
        }
    };
    beta_reg_both(df1 / 2.0, df2 / 2.0, arg)
}

/// Quantile of the F distribution, `qf(p, df1, df2)`.
///
/// # Formula
///
/// Safeguarded Newton iteration on the log of the lower tail (`p < 1/2`) or upper tail.
///
/// # References
///
/// Johnson, N. L., Kotz, S. & Balakrishnan, N. (1995). *Continuous Univariate Distributions*,
/// vol. 2, ch. 27.
///
/// # Domain
///
/// `0 < p < 1`, `df1` and `df2` positive and finite; otherwise `NaN`. Where the quantile lies
/// beyond the range of `f64` (extreme `p` with tiny degrees of freedom) the result is `0` or
/// `+∞`.
///
/// # Examples
///
/// ```
/// // R: qf(0.95, 2, 10) = 4.102821015130399
/// let q = pain_outcomes::stats::dist::f_quantile(0.95, 2.0, 10.0);
/// assert!((q - 4.102821015130399).abs() < 1e-11);
/// ```
pub fn f_quantile(p: f64, df1: f64, df2: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && finite_positive(df1) && finite_positive(df2)) {
        return f64::NAN;
    }
    let pdf = |f: f64| {
        if f <= 0.0 {
            return 0.0;
        }
        let ln = 0.5 * df1 * (df1 / df2).ln() + (0.5 * df1 - 1.0) * f.ln()
            - 0.5 * (df1 + df2) * (df1 * f / df2).ln_1p()
            - ln_beta(0.5 * df1, 0.5 * df2);
        ln.exp()
    };
    if p < 0.5 {
        invert_lower(p, 1.0, |f| f_cdf(f, df1, df2), pdf)
    } else {
        invert_upper(1.0 - p, 1.0, |f| f_sf(f, df1, df2), pdf)
    }
}

/// Upper tail of the chi-square distribution, `P(X > x)` with `df` degrees of freedom.
///
/// # Domain
///
/// `x` not `NaN` (`x <= 0` gives 1, `+∞` gives 0) and `df` positive and finite; otherwise
/// `NaN`. The values come from the incomplete gamma function of `statrs`, checked against R
/// up to `df = 1e4`; its accuracy falls as `df` grows (relative error about `1e-10` at
/// `df = 1e6`, `1e-8` at `1e8`, `1e-3` at `1e12`), beyond about `df = 1e15` it becomes very
/// slow, and near `f64::MAX` it returns `NaN`.
///
/// # Examples
///
/// ```
/// // R: pchisq(3.84, 1, lower.tail = FALSE) = 0.05004352124870519
/// let p = pain_outcomes::stats::dist::chi_squared_sf(3.84, 1.0);
/// assert!((p - 0.05004352124870519).abs() < 1e-13);
/// ```
pub fn chi_squared_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || !finite_positive(df) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    if let Some((_, sf)) = chi_squared_tails_at_zero(x, df) {
        return sf;
    }
    gamma_ur(df / 2.0, x / 2.0)
}

/// Lower tail of the chi-square distribution, `P(X <= x)`.
///
/// # Domain
///
/// As [`chi_squared_sf`] (including its limits for huge `df`): `x` not `NaN` (`x <= 0` gives
/// 0, `+∞` gives 1) and `df` positive and finite; otherwise `NaN`.
///
/// # Examples
///
/// ```
/// // R: pchisq(0.001, 3) = 8.4079190580461564e-06
/// let p = pain_outcomes::stats::dist::chi_squared_cdf(0.001, 3.0);
/// assert!((p / 8.4079190580461564e-06 - 1.0).abs() < 1e-12);
/// ```
pub fn chi_squared_cdf(x: f64, df: f64) -> f64 {
    if x.is_nan() || !finite_positive(df) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x.is_infinite() {
        return 1.0;
    }
    if let Some((cdf, _)) = chi_squared_tails_at_zero(x, df) {
        return cdf;
    }
    gamma_lr(df / 2.0, x / 2.0)
}

/// `(P(X <= x), P(X > x))` where `statrs` cannot evaluate them because `df / 2` or `x / 2`
/// rounds to zero (it panics there): with `df / 2 = 0` all the mass is at 0, and with
/// `x / 2 = 0` the lower tail is the leading term `(x/2)^a / Γ(a + 1)` of its series
/// (`a = df / 2`). `None` otherwise. Needs `x > 0` and `df > 0`, both finite.
fn chi_squared_tails_at_zero(x: f64, df: f64) -> Option<(f64, f64)> {
    let a = df / 2.0;
    if a == 0.0 {
        return Some((1.0, 0.0));
    }
    if x / 2.0 == 0.0 {
        let lead = (a * (x.ln() - std::f64::consts::LN_2) - ln_gamma(a + 1.0)).exp();
        // `ln_gamma(1 + a)` for tiny `a` may round below zero, which would lift `lead` above 1.
        let cdf = lead.min(1.0);
        return Some((cdf, 1.0 - cdf));
    }
    None
}

/// `df > 0` and finite (`false` for `NaN`).
fn finite_positive(df: f64) -> bool {
    df > 0.0 && df.is_finite()
}

/// Quantile of the chi-square distribution, `qchisq(p, df)`.
///
/// # Formula
///
/// Safeguarded Newton iteration on the log of the lower tail (`p < 1/2`) or upper tail, started
/// from the Wilson–Hilferty approximation.
///
/// # References
///
/// Wilson, E. B. & Hilferty, M. M. (1931). The distribution of chi-square. *PNAS* 17, 684–688.
///
/// # Domain
///
/// `0 < p < 1` and `df` positive and finite; otherwise `NaN`. Where the quantile lies below the
/// range of `f64` (tiny `p` with small `df`) the result is `0`.
///
/// # Examples
///
/// ```
/// // R: qchisq(0.95, 1) = 3.841458820694124
/// let q = pain_outcomes::stats::dist::chi_squared_quantile(0.95, 1.0);
/// assert!((q - 3.841458820694124).abs() < 1e-11);
/// ```
pub fn chi_squared_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && finite_positive(df)) {
        return f64::NAN;
    }
    let z = normal_quantile(p);
    let c = 2.0 / (9.0 * df);
    let wh = df * (1.0 - c + z * c.sqrt()).powi(3);
    let start = if wh.is_finite() && wh > 0.0 {
        wh
    } else {
        df.max(1e-3)
    };
    let pdf = |x: f64| {
        if x <= 0.0 {
            return 0.0;
        }
        let k = 0.5 * df;
        ((k - 1.0) * x.ln() - 0.5 * x - k * std::f64::consts::LN_2 - ln_gamma(k)).exp()
    };
    if p < 0.5 {
        invert_lower(p, start, |x| chi_squared_cdf(x, df), pdf)
    } else {
        invert_upper(1.0 - p, start, |x| chi_squared_sf(x, df), pdf)
    }
}

/// Stirling remainder `ω(x) = ln Γ(x) - [(x - 1/2) ln x - x + ln(2π)/2]`, for `x >= 10`.
fn stirling_remainder(x: f64) -> f64 {
    let r = 1.0 / (x * x);
    (1.0 / 12.0 - r * (1.0 / 360.0 - r * (1.0 / 1260.0 - r * (1.0 / 1680.0 - r * (1.0 / 1188.0)))))
        / x
}

/// `ln B(a, b)`, without the cancellation of `ln Γ(a) + ln Γ(b) - ln Γ(a + b)` when an argument
/// is large.
fn ln_beta(a: f64, b: f64) -> f64 {
    let (small, large) = if a < b { (a, b) } else { (b, a) };
    let s = small + large;
    if small >= 10.0 {
        // Full Stirling form, arranged so the large logarithms cancel analytically.
        0.5 * (2.0 * std::f64::consts::PI).ln()
            + (small - 0.5) * (small / s).ln()
            + (large - 0.5) * (-(small / s)).ln_1p()
            - 0.5 * s.ln()
            + stirling_remainder(small)
            + stirling_remainder(large)
            - stirling_remainder(s)
    } else if large >= 10.0 {
        // ln Γ(large) - ln Γ(large + small) by Stirling, ln Γ(small) directly.
        ln_gamma(small) - (large - 0.5) * (small / large).ln_1p() - small * s.ln()
            + small
            + stirling_remainder(large)
            - stirling_remainder(s)
    } else {
        ln_gamma(a) + ln_gamma(b) - ln_gamma(s)
    }
}

/// Argument of the incomplete beta function: `x`, `y = 1 - x` and their logarithms, each
/// computed by the caller without cancellation.
#[derive(Clone, Copy)]
struct BetaArg {
    x: f64,
    y: f64,
    ln_x: f64,
    ln_y: f64,
}

/// Regularized incomplete beta `(I_x(a, b), 1 - I_x(a, b))`.
///
/// The continued fraction (Lentz's method) is evaluated for `I_x(a, b)` when
/// `x < (a + 1) / (a + b + 2)`, otherwise for `I_y(b, a)`; the other value is one minus it, which
/// is then the larger of the two and therefore keeps its digits.
fn beta_reg_both(a: f64, b: f64, arg: BetaArg) -> (f64, f64) {
    if arg.x <= 0.0 {
        return (0.0, 1.0);
    }
    if arg.y <= 0.0 {
        return (1.0, 0.0);
    }
    if arg.x < (a + 1.0) / (a + b + 2.0) {
        let v = beta_cf_side(a, b, arg.x, arg.ln_x, arg.ln_y);
        (v, 1.0 - v)
    } else {
        let v = beta_cf_side(b, a, arg.y, arg.ln_y, arg.ln_x);
        (1.0 - v, v)
    }
}

/// `I_x(a, b)` by its continued fraction, for `x` below the switch point.
fn beta_cf_side(a: f64, b: f64, x: f64, ln_x: f64, ln_y: f64) -> f64 {
    let ln_front = a * ln_x + b * ln_y - ln_beta(a, b) - a.ln();
    if ln_front < -745.2 {
        return 0.0;
    }
    let tiny = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..100_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // Even step.
        let num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        // Odd step.
        let num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (ln_front.exp() * h).min(1.0)
}

/// Finds `q > 0` with `sf(q) = target` (`sf` decreasing), by Newton steps on
/// `ln sf` safeguarded by bisection of a bracket.
fn invert_upper(target: f64, start: f64, sf: impl Fn(f64) -> f64, pdf: impl Fn(f64) -> f64) -> f64 {
    // g(q) = ln target - ln sf(q) is increasing in q.
    solve_increasing(start, |q| {
        let s = sf(q);
        let g = target.ln() - s.ln();
        let dg = pdf(q) / s;
        (g, dg)
    })
}

/// Finds `q` with `cdf(q) = target` (`cdf` increasing), as [`invert_upper`].
fn invert_lower(
    target: f64,
    start: f64,
    cdf: impl Fn(f64) -> f64,
    pdf: impl Fn(f64) -> f64,
) -> f64 {
    solve_increasing(start, |q| {
        let c = cdf(q);
        let g = c.ln() - target.ln();
        let dg = pdf(q) / c;
        (g, dg)
    })
}

/// Root of an increasing function `g` (given with its derivative) on `(0, ∞)`, starting at
/// `start > 0`: the root is bracketed by doubling or halving, then found by Newton steps that
/// fall back to bisection whenever they leave the bracket.
fn solve_increasing(start: f64, g: impl Fn(f64) -> (f64, f64)) -> f64 {
    let mut q = if start > 0.0 && start.is_finite() {
        start
    } else {
        1.0
    };
    let (g0, _) = g(q);
    if g0.is_nan() {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    if g0 < 0.0 {
        lo = q;
        for _ in 0..2100 {
            let cand = 2.0 * lo;
            if !cand.is_finite() {
                break;
            }
            if g(cand).0 < 0.0 {
                lo = cand;
            } else {
                hi = cand;
                break;
            }
        }
    } else {
        hi = q;
        for _ in 0..2100 {
            let cand = 0.5 * hi;
            if cand <= 0.0 {
                break;
            }
            if g(cand).0 < 0.0 {
                lo = cand;
                break;
            }
            hi = cand;
        }
    }
    if !hi.is_finite() {
        return f64::INFINITY;
    }
    q = 0.5 * (lo + hi);
    for _ in 0..300 {
        let (gq, dg) = g(q);
        if gq == 0.0 {
            return q;
        }
        if gq < 0.0 {
            lo = q;
        } else {
            hi = q;
        }
        let newton = q - gq / dg;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - q).abs() <= 2.0 * f64::EPSILON * q.abs() || hi - lo <= 2.0 * f64::EPSILON * hi {
            return next;
        }
        q = next;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_the_domain_every_function_gives_nan() {
        assert!(normal_sf(f64::NAN).is_nan());
        assert!(normal_quantile(0.0).is_nan() && normal_quantile(1.0).is_nan());
        for df in [0.0, -1.0, f64::NAN] {
            assert!(t_sf(1.0, df).is_nan() && t_cdf(1.0, df).is_nan());
            assert!(t_two_sided_p(1.0, df).is_nan());
            assert!(t_quantile(0.9, df).is_nan());
        }
        assert!(t_two_sided_p(f64::NAN, 5.0).is_nan());
        for df in [0.0, f64::INFINITY, f64::NAN] {
            assert!(f_sf(1.0, df, 3.0).is_nan() && f_cdf(1.0, 3.0, df).is_nan());
            assert!(f_quantile(0.5, df, 3.0).is_nan() && f_quantile(0.5, 3.0, df).is_nan());
            assert!(chi_squared_sf(1.0, df).is_nan() && chi_squared_cdf(1.0, df).is_nan());
            assert!(chi_squared_quantile(0.5, df).is_nan());
        }
    }

    #[test]
    fn chi_square_at_the_bottom_of_the_f64_range_does_not_panic() {
        // x / 2 and df / 2 round to zero here; `statrs` would panic.
        let tiny = f64::from_bits(1);
        assert_eq!(chi_squared_sf(1.0, tiny), 0.0);
        assert_eq!(chi_squared_cdf(1.0, tiny), 1.0);
        // P(X <= x) = sqrt(2x/π) (1 + O(x)) for one degree of freedom.
        let cdf = chi_squared_cdf(tiny, 1.0);
        let expected = (2.0 / std::f64::consts::PI).sqrt() * tiny.sqrt();
        assert!((cdf / expected - 1.0).abs() < 1e-12, "{cdf} vs {expected}");
        assert_eq!(chi_squared_sf(tiny, 1.0), 1.0);
        let q = chi_squared_quantile(0.5, tiny);
        assert!(q >= 0.0);
    }
}
