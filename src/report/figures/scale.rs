//! Axis scales (linear, logarithmic, categorical bands) and their ticks at "nice" values
//! (1, 2, 2.5 or 5 times a power of ten; 1, 2, 5 per decade on a log axis).

/// One tick: its value on the data scale and its label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    pub value: f64,
    pub label: String,
}

/// Maps data values to user units.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scale {
    /// `[d0, d1]` onto `[r0, r1]`.
    Linear { d0: f64, d1: f64, r0: f64, r1: f64 },
    /// `[log d0, log d1]` onto `[r0, r1]` (`d0 > 0`).
    Log { d0: f64, d1: f64, r0: f64, r1: f64 },
    /// `n` categories, each the centre of a band of `[r0, r1]`.
    Band { n: usize, r0: f64, r1: f64 },
}

impl Scale {
    /// The user-unit position of `value`.
    pub(crate) fn map(&self, value: f64) -> f64 {
        match *self {
            Scale::Linear { d0, d1, r0, r1 } => {
                let span = d1 - d0;
                if span == 0.0 {
                    (r0 + r1) / 2.0
                } else {
                    r0 + (value - d0) / span * (r1 - r0)
                }
            }
            Scale::Log { d0, d1, r0, r1 } => {
                let span = d1.ln() - d0.ln();
                if span == 0.0 || value <= 0.0 {
                    (r0 + r1) / 2.0
                } else {
                    r0 + (value.ln() - d0.ln()) / span * (r1 - r0)
                }
            }
            Scale::Band { n, r0, r1 } => {
                let band = (r1 - r0) / n.max(1) as f64;
                r0 + band * (value + 0.5)
            }
        }
    }

    /// Width of one band (the whole range for a continuous scale).
    pub(crate) fn band(&self) -> f64 {
        match *self {
            Scale::Band { n, r0, r1 } => (r1 - r0).abs() / n.max(1) as f64,
            Scale::Linear { r0, r1, .. } | Scale::Log { r0, r1, .. } => (r1 - r0).abs(),
        }
    }

    /// The same scale onto another range.
    pub(crate) fn with_range(&self, r0: f64, r1: f64) -> Scale {
        match *self {
            Scale::Linear { d0, d1, .. } => Scale::Linear { d0, d1, r0, r1 },
            Scale::Log { d0, d1, .. } => Scale::Log { d0, d1, r0, r1 },
            Scale::Band { n, .. } => Scale::Band { n, r0, r1 },
        }
    }
}

/// A step of 1, 2, 2.5 or 5 times a power of ten, near `span / target`.
pub(crate) fn nice_step(span: f64, target: usize) -> f64 {
    let raw = (span / target.max(1) as f64).abs();
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * magnitude >= raw * (1.0 - 1e-9) {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

/// Decimals needed to print multiples of `step` exactly.
fn decimals(step: f64) -> usize {
    (0..=6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(6)
}

/// `value` with `decimals` decimals and a true minus sign; `-0` printed as `0`.
pub(crate) fn format_number(value: f64, decimals: usize) -> String {
    let s = format!("{value:.decimals$}");
    let zero = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if zero {
        return s.trim_start_matches('-').to_string();
    }
    s.replacen('-', "\u{2212}", 1)
}

/// A linear domain covering `[lo, hi]` that starts and ends on ticks, and the ticks
/// (about `target` of them).
pub(crate) fn linear_ticks(lo: f64, hi: f64, target: usize) -> (f64, f64, Vec<Tick>) {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !(lo.is_finite() && hi.is_finite()) {
        lo = 0.0;
        hi = 1.0;
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        lo -= pad;
        hi += pad;
    }
    let step = nice_step(hi - lo, target);
    let start = (lo / step + 1e-9).floor() * step;
    let end = (hi / step - 1e-9).ceil() * step;
    let d = decimals(step);
    let n = ((end - start) / step).round() as usize;
    let ticks = (0..=n.min(50))
        .map(|i| {
            let value = start + step * i as f64;
            Tick {
                value,
                label: format_number(value, d),
            }
        })
        .collect();
    (start, end, ticks)
}

/// Ticks of a log axis over `[lo, hi]` (`0 < lo < hi`): 1, 2, 5 per decade, thinned to
/// powers of ten when there are many, with more mantissas when there are few.
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<Tick> {
    let pick = |mantissas: &[f64]| -> Vec<f64> {
        let first = lo.log10().floor() as i32;
        let last = hi.log10().ceil() as i32;
        let mut out = Vec::new();
        for e in first..=last.min(first + 30) {
            for m in mantissas {
                let v = m * 10f64.powi(e);
                if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                    out.push(v);
                }
            }
        }
        out
    };
    let mut values = pick(&[1.0, 2.0, 5.0]);
    if values.len() > 7 {
        values = pick(&[1.0]);
    } else if values.len() < 3 {
        values = pick(&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]);
        if values.len() > 6 {
            values = pick(&[1.0, 2.0, 3.0, 5.0]);
        }
        if values.len() < 3 {
            values = pick(&[1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0]);
        }
    }
    values
        .into_iter()
        .map(|value| Tick {
            value,
            label: format_significant(value),
        })
        .collect()
}

/// A positive tick value with at most three significant digits, trailing zeros dropped.
fn format_significant(value: f64) -> String {
    let d = if value >= 100.0 {
        0
    } else {
        (2 - value.log10().floor() as i32).clamp(0, 6) as usize
    };
    let s = format!("{value:.d$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A log domain around `[lo, hi]` that includes `1` (the null ratio), widened by a little
/// so that markers do not touch the frame.
pub(crate) fn log_domain(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.min(1.0);
    let hi = hi.max(1.0);
    let (lo, hi) = if hi / lo < 1.5 {
        (lo / 1.25, hi * 1.25)
    } else {
        (lo / 1.1, hi * 1.1)
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice() {
        let (lo, hi, ticks) = linear_ticks(0.3, 9.2, 5);
        assert_eq!((lo, hi), (0.0, 10.0));
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "2", "4", "6", "8", "10"]);
        let (_, _, ticks) = linear_ticks(-1.3, 0.4, 4);
        assert_eq!(ticks[0].label, "\u{2212}1.5");
    }

    #[test]
    fn log_ticks_cover_the_null() {
        let (lo, hi) = log_domain(0.4, 3.0);
        let labels: Vec<String> = log_ticks(lo, hi).into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["0.5", "1", "2"]);
    }

    #[test]
    fn band_centres() {
        let s = Scale::Band {
            n: 4,
            r0: 0.0,
            r1: 100.0,
        };
        assert_eq!(s.map(0.0), 12.5);
        assert_eq!(s.band(), 25.0);
    }
}
