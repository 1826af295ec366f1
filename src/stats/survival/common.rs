//! Types and argument checks shared by the survival kernels.

use std::collections::BTreeMap;

use crate::stats::dist;
use crate::{Error, Result};

/// What happened at the end of a subject's follow-up time.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::Status;
/// assert!(Status::Event.is_event());
/// assert_eq!(Status::from_indicator(0)?, Status::Censored);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Follow-up ended without the event (right-censored).
    Censored,
    /// The event (surgery, loss of response, rescue medication, …) happened at this time.
    Event,
}

impl Status {
    /// Whether this is an event.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!pain_outcomes::stats::survival::Status::Censored.is_event());
    /// ```
    pub fn is_event(self) -> bool {
        matches!(self, Status::Event)
    }

    /// Converts the usual 0/1 indicator (1 = event, 0 = censored).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for any other value.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::survival::Status;
    /// assert_eq!(Status::from_indicator(1)?, Status::Event);
    /// assert!(Status::from_indicator(2).is_err());
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn from_indicator(indicator: u8) -> Result<Self> {
        match indicator {
            0 => Ok(Status::Censored),
            1 => Ok(Status::Event),
            other => Err(Error::invalid_argument(
                "status",
                format!("indicator {other}; expected 0 (censored) or 1 (event)"),
            )),
        }
    }
}

/// Scale on which pointwise confidence limits of a survival curve are computed (R `survfit`
/// `conf.type`).
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::ConfidenceType;
/// assert_eq!(ConfidenceType::default(), ConfidenceType::LogLog);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceType {
    /// `S ± z·se(S)`, clipped to [0, 1] (`conf.type = "plain"`).
    Plain,
    /// `exp(log S ± z·se(log S))`, upper limit clipped at 1 (`conf.type = "log"`).
    Log,
    /// `exp(-exp(log(-log S) ± z·se(log S)/log S))` (`conf.type = "log-log"`; Kalbfleisch &
    /// Prentice). Stays inside (0, 1).
    #[default]
    LogLog,
}

/// Checks `time` and `status`: same length, times finite and `>= 0`.
pub(crate) fn check_time_status(time: &[f64], status: &[Status]) -> Result<()> {
    if time.len() != status.len() {
        return Err(Error::invalid_argument(
            "status",
            format!(
                "length {} differs from the length of `time` ({})",
                status.len(),
                time.len()
            ),
        ));
    }
    for (i, &t) in time.iter().enumerate() {
        if !t.is_finite() {
            return Err(Error::invalid_argument(
                "time",
                format!("element {i} is {t}; times must be finite (missing times are not allowed)"),
            ));
        }
        if t < 0.0 {
            return Err(Error::invalid_argument(
                "time",
                format!("element {i} is {t}; times must be >= 0"),
            ));
        }
    }
    Ok(())
}

/// Checks that a companion slice has the length of `time`.
pub(crate) fn check_len(name: &'static str, len: usize, n: usize) -> Result<()> {
    if len == n {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            name,
            format!("length {len} differs from the length of `time` ({n})"),
        ))
    }
}

/// Two-sided normal quantile for a confidence level in (0, 1).
pub(crate) fn z_for_level(level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::invalid_argument(
            "confidence_level",
            format!("{level}; expected a number strictly between 0 and 1"),
        ));
    }
    Ok(dist::normal_quantile(1.0 - (1.0 - level) / 2.0))
}

/// Sorted distinct labels and the 0-based code of each element.
pub(crate) fn encode<L: Ord + Clone>(labels: &[L]) -> (Vec<L>, Vec<u32>) {
    let mut map: BTreeMap<&L, u32> = BTreeMap::new();
    for l in labels {
        map.entry(l).or_insert(0);
    }
    let levels: Vec<L> = map.keys().map(|l| (*l).clone()).collect();
    for (i, v) in map.values_mut().enumerate() {
        *v = i as u32;
    }
    let codes = labels
        .iter()
        .map(|l| map.get(l).copied().unwrap_or(0))
        .collect();
    (levels, codes)
}

/// Order of the subjects by (stratum, time) ascending.
pub(crate) fn order_by_stratum_time(strata: Option<&[u32]>, time: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..time.len()).collect();
    match strata {
        Some(s) => {
            idx.sort_unstable_by(|&a, &b| s[a].cmp(&s[b]).then_with(|| time[a].total_cmp(&time[b])))
        }
        None => idx.sort_unstable_by(|&a, &b| time[a].total_cmp(&time[b])),
    }
    idx
}
