//! Typed access to the fields of one row under a header layout.

use std::str::FromStr;

use super::record::{RawRow, is_missing};
use crate::data::columns::{Column, HeaderLayout};
use crate::error::{Error, Location, Result};

/// Accessor for the fields of a row under a header layout.
pub(super) struct Fields<'a, 'b> {
    pub file: &'a str,
    pub layout: &'a HeaderLayout,
    pub row: &'a RawRow<'b>,
}

impl Fields<'_, '_> {
    pub(super) fn at(&self, c: Column) -> Box<Location> {
        Box::new(Location::new(
            self.file,
            self.row.line,
            self.layout.header_name(c),
        ))
    }

    /// The trimmed text of column `c`, `None` when the column is absent.
    pub(super) fn get(&self, c: Column) -> Result<Option<&str>> {
        let Some(pos) = self.layout.pos(c) else {
            return Ok(None);
        };
        let bytes = self.row.fields.get(pos).unwrap_or(b"");
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Some(s.trim())),
            Err(e) => Err(Error::InvalidUtf8 {
                at: self.at(c),
                byte_offset: self.row.byte + e.valid_up_to() as u64,
            }),
        }
    }

    /// The text of column `c`, `None` when absent or missing.
    pub(super) fn value(&self, c: Column) -> Result<Option<&str>> {
        Ok(self.get(c)?.filter(|s| !is_missing(s)))
    }

    pub(super) fn required(&self, c: Column, expected: &str) -> Result<&str> {
        match self.get(c)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(Error::EmptyValue {
                at: self.at(c),
                expected: expected.to_string(),
            }),
        }
    }

    /// The patient identifier: required, and free of control characters (a tab, NUL or a
    /// line break inside quotes would make a new patient that looks like an old one).
    pub(super) fn patient_id(&self) -> Result<&str> {
        let id = self.required(Column::PatientId, "a patient identifier")?;
        // the untrimmed field: a tab or line break at either end counts too
        let raw = self
            .layout
            .pos(Column::PatientId)
            .and_then(|pos| self.row.fields.get(pos))
            .map_or("", |b| std::str::from_utf8(b).unwrap_or(id));
        if raw.chars().any(char::is_control) {
            return Err(Error::InvalidText {
                at: self.at(Column::PatientId),
                value: raw.escape_debug().to_string(),
                problem: "holds a control character (tab, line break, NUL, …); expected a printable patient identifier",
            });
        }
        Ok(id)
    }

    pub(super) fn category<T: FromStr<Err = crate::domain::ParseError>>(
        &self,
        c: Column,
    ) -> Result<Option<T>> {
        match self.value(c)? {
            None => Ok(None),
            Some(s) => s
                .parse::<T>()
                .map(Some)
                .map_err(|e| Error::UnknownCategory {
                    at: self.at(c),
                    kind: e.kind,
                    value: s.to_string(),
                    expected: e.expected,
                }),
        }
    }

    pub(super) fn number(&self, c: Column, range: (f64, f64)) -> Result<Option<f64>> {
        match self.value(c)? {
            None => Ok(None),
            Some(s) => {
                let v = parse_finite(s).ok_or_else(|| Error::InvalidNumber {
                    at: self.at(c),
                    value: s.to_string(),
                    expected: "a finite number",
                })?;
                if v < range.0 || v > range.1 {
                    return Err(Error::ValueOutOfRange {
                        at: self.at(c),
                        value: v,
                        min: range.0,
                        max: range.1,
                    });
                }
                Ok(Some(v))
            }
        }
    }

    pub(super) fn integer(
        &self,
        c: Column,
        range: (i64, i64),
        expected: &'static str,
    ) -> Result<Option<i64>> {
        match self.value(c)? {
            None => Ok(None),
            Some(s) => {
                let v = parse_integer(s).ok_or_else(|| Error::InvalidNumber {
                    at: self.at(c),
                    value: s.to_string(),
                    expected,
                })?;
                if v < range.0 || v > range.1 {
                    return Err(Error::ValueOutOfRange {
                        at: self.at(c),
                        value: v as f64,
                        min: range.0 as f64,
                        max: range.1 as f64,
                    });
                }
                Ok(Some(v))
            }
        }
    }
}

/// Parses a finite number (rejects `NaN`, `inf`, `infinity`).
pub(crate) fn parse_finite(s: &str) -> Option<f64> {
    if let Some(v) = parse_short_decimal(s) {
        return Some(v);
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Exact powers of ten (every one up to 10^15 is a double).
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Fast path for plain decimals with at most 15 digits (`7`, `-3.25`, `.5`): the digits form
/// an integer below 2^53 and the power of ten is exact, so one correctly rounded division
/// gives exactly what `str::parse::<f64>` gives. `None` hands anything else to the full parser.
fn parse_short_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (negative, digits) = match b.first()? {
        b'-' => (true, b.get(1..)?),
        b'+' => (false, b.get(1..)?),
        _ => (false, b),
    };
    let mut mantissa = 0u64;
    let mut n_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_point = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                n_digits += 1;
                frac_digits += usize::from(seen_point);
                if n_digits > 15 {
                    return None;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if n_digits == 0 {
        return None;
    }
    let v = mantissa as f64 / *POW10.get(frac_digits)?;
    Some(if negative { -v } else { v })
}

/// Parses an integer, also accepting a number with a zero fractional part (`3.0`).
pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let v = parse_finite(s)?;
    (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
}

/// Days accepted (about ±100 years).
pub(crate) const DAY_RANGE: (i64, i64) = (-36_500, 36_500);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_decimal_fast_path_matches_the_standard_parser() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789.-+e";
        for _ in 0..200_000 {
            let len = (next() % 19) as usize;
            let text: String = (0..len)
                .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                .collect();
            let std = text.parse::<f64>().ok().filter(|v| v.is_finite());
            let ours = parse_finite(&text);
            assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "`{text}`");
        }
        for text in [
            "0.1",
            "9.95",
            "-0",
            "-0.0",
            "123456789012345",
            "0.000000000000001",
            "7.",
        ] {
            assert_eq!(
                parse_finite(text).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits)
            );
        }
    }
}
