//! Cell formatting shared by the tables: numbers that are never `NaN`, refusals as text.

use crate::stats::describe::Describe;
use crate::stats::{ConfidenceInterval, Estimate};
use crate::{Outcome, Refusal};

/// The text of a value that is not a finite number.
pub(crate) const NOT_ESTIMABLE: &str = "not estimable";

/// `x` with `digits` decimals, or `not estimable` when it is not finite.
pub(crate) fn num(x: f64, digits: usize) -> String {
    if x.is_finite() {
        let s = format!("{x:.digits$}");
        // `-0.0` reads as a sign error
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_string()
        } else {
            s
        }
    } else {
        NOT_ESTIMABLE.to_string()
    }
}

/// `x` with a sign.
pub(crate) fn signed(x: f64, digits: usize) -> String {
    let s = num(x, digits);
    if x.is_finite() && x > 0.0 && !s.chars().all(|c| c == '0' || c == '.') {
        format!("+{s}")
    } else {
        s
    }
}

/// `[lower, upper]`.
pub(crate) fn interval(ci: &ConfidenceInterval, digits: usize) -> String {
    format!(
        "[{}, {}]",
        signed(ci.lower, digits),
        signed(ci.upper, digits)
    )
}

/// A p-value: `< 0.001` below a thousandth, else three decimals.
pub(crate) fn p_value(p: f64) -> String {
    if !p.is_finite() {
        NOT_ESTIMABLE.to_string()
    } else if p < 0.001 {
        "< 0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// A refusal as a cell: its full text.
pub(crate) fn refused(r: &Refusal) -> String {
    r.to_string()
}

/// `estimate [lower, upper]` of an estimate, signed.
pub(crate) fn estimate_ci(e: &Estimate, digits: usize) -> String {
    format!(
        "{} {}",
        signed(e.estimate, digits),
        interval(&e.confidence_interval, digits)
    )
}

/// `mean (SD)`.
pub(crate) fn mean_sd(d: &Outcome<Describe>, digits: usize) -> String {
    match d {
        Outcome::Computed(d) => format!("{} ({})", num(d.mean, digits), num(d.std_dev, digits)),
        Outcome::Refused(r) => refused(r),
    }
}

/// `median [Q1, Q3]`.
pub(crate) fn median_iqr(d: &Outcome<Describe>, digits: usize) -> String {
    match d {
        Outcome::Computed(d) => format!(
            "{} [{}, {}]",
            num(d.median, digits),
            num(d.first_quartile, digits),
            num(d.third_quartile, digits)
        ),
        Outcome::Refused(r) => refused(r),
    }
}

/// `n (p %)` with the percentage of `of` (no percentage when `of` is 0).
pub(crate) fn count_percent(n: usize, of: usize) -> String {
    if of == 0 {
        n.to_string()
    } else {
        format!("{n} ({:.1} %)", 100.0 * n as f64 / of as f64)
    }
}

/// `r/n (p %)` (no percentage when `n` is 0).
pub(crate) fn of_total(r: u64, n: u64) -> String {
    if n == 0 {
        format!("{r}/{n}")
    } else {
        format!("{r}/{n} ({:.1} %)", 100.0 * r as f64 / n as f64)
    }
}
