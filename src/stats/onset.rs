//! Onset and durability of response from per-patient visit sequences: the first visit at which
//! a patient meets a responder rule, and the share of earlier responders still responding at
//! each later visit.

use crate::stats::describe::{check_finite, quantile_type7_sorted};
use crate::stats::responders::{Evaluation, MissingPolicy};
use crate::{Error, Result};
use std::fmt;

/// Durability at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DurabilityAtVisit {
    /// Visit day.
    pub day: f64,
    /// Patients whose first response came at an earlier visit.
    pub prior_responders: u64,
    /// Of those, patients responding at this visit.
    pub still_responding: u64,
    /// Of those, patients without an evaluable response at this visit.
    pub missing: u64,
    /// `still_responding / denominator`, where the denominator is `prior_responders` under
    /// non-responder imputation and `prior_responders − missing` under observed cases;
    /// `None` when the denominator is zero.
    pub share: Option<f64>,
}

/// Onset and durability of response in one arm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OnsetDurability {
    /// Number of patients.
    pub n_patients: usize,
    /// Patients who responded at some visit.
    pub n_ever_responded: usize,
    /// Day of the first response per patient (`None`: never responded).
    pub first_response_day: Vec<Option<f64>>,
    /// Median day of first response among patients who responded (R type-7 median; this
    /// ignores never-responders — use a Kaplan–Meier analysis for a censoring-aware median).
    pub median_day_of_first_response: Option<f64>,
    /// Durability at each visit after the first.
    pub durability: Vec<DurabilityAtVisit>,
}

impl fmt::Display for OnsetDurability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ever responded",
            self.n_ever_responded, self.n_patients
        )?;
        if let Some(m) = self.median_day_of_first_response {
            write!(f, ", median first response at day {m}")?;
        }
        for d in &self.durability {
            match d.share {
                Some(s) => write!(
                    f,
                    "; day {}: {}/{} still responding ({:.3})",
                    d.day, d.still_responding, d.prior_responders, s
                )?,
                None => write!(f, "; day {}: no prior responders", d.day)?,
            }
        }
        Ok(())
    }
}

/// Time to first response and durability of response, from evaluations laid out patient by
/// patient (`evaluations[p * n_visits + v]` is patient `p` at visit `v`, visits ordered by
/// `visit_days`).
///
/// # Formula
///
/// First response day `= min{d_v : patient responds at v}`; durability at visit `v` = number
/// responding at `v` among patients whose first response was before `v`, over that number
/// (less those missing at `v` under observed cases).
///
/// # References
///
/// Dworkin, R. H. et al. (2008). *J Pain* 9, 105–121 (responder definitions).
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `visit_days` is empty, not finite or not strictly
/// increasing, or when `evaluations.len()` is not a multiple of the number of visits.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::onset::onset_and_durability;
/// use pain_outcomes::stats::responders::{Evaluation::*, MissingPolicy};
/// let days = [30.0, 90.0, 180.0];
/// let e = [NonResponder, Responder, Responder,   // first response day 90, still at 180
///          Responder, NonResponder, Missing,     // first response day 30
///          NonResponder, NonResponder, NonResponder];
/// let o = onset_and_durability(&days, &e, MissingPolicy::NonResponderImputation).unwrap();
/// assert_eq!(o.first_response_day, vec![Some(90.0), Some(30.0), None]);
/// assert_eq!(o.durability[1].prior_responders, 2);
/// assert_eq!(o.durability[1].still_responding, 1);
/// assert_eq!(o.durability[1].share, Some(0.5));
/// ```
pub fn onset_and_durability(
    visit_days: &[f64],
    evaluations: &[Evaluation],
    missing: MissingPolicy,
) -> Result<OnsetDurability> {
    check_finite("visit_days", visit_days)?;
    let nv = visit_days.len();
    if nv == 0 || visit_days.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid_argument(
            "visit_days",
            "must be non-empty and strictly increasing",
        ));
    }
    if !evaluations.len().is_multiple_of(nv) {
        return Err(Error::invalid_argument(
            "evaluations",
            format!(
                "length {} is not a multiple of {nv} visits",
                evaluations.len()
            ),
        ));
    }
    let patients: Vec<&[Evaluation]> = evaluations.chunks(nv).collect();
    let first: Vec<Option<usize>> = patients
        .iter()
        .map(|p| p.iter().position(|e| *e == Evaluation::Responder))
        .collect();
    let first_response_day: Vec<Option<f64>> = first
        .iter()
        .map(|f| f.and_then(|v| visit_days.get(v).copied()))
        .collect();
    let mut days: Vec<f64> = first_response_day.iter().flatten().copied().collect();
    days.sort_by(f64::total_cmp);
    let median_day_of_first_response = if days.is_empty() {
        None
    } else {
        Some(quantile_type7_sorted(&days, 0.5))
    };
    let mut durability = Vec::with_capacity(nv.saturating_sub(1));
    for (v, day) in visit_days.iter().enumerate().skip(1) {
        let mut prior = 0;
        let mut still = 0;
        let mut miss = 0;
        for (p, f) in patients.iter().zip(&first) {
            if f.is_some_and(|f| f < v) {
                prior += 1;
                match p.get(v).and_then(|e| e.is_responder()) {
                    Some(true) => still += 1,
                    Some(false) => {}
                    None => miss += 1,
                }
            }
        }
        let denom = match missing {
            MissingPolicy::NonResponderImputation => prior,
            MissingPolicy::ObservedCases => prior - miss,
        };
        durability.push(DurabilityAtVisit {
            day: *day,
            prior_responders: prior,
            still_responding: still,
            missing: miss,
            share: (denom > 0).then(|| still as f64 / denom as f64),
        });
    }
    Ok(OnsetDurability {
        n_patients: patients.len(),
        n_ever_responded: days.len(),
        first_response_day,
        median_day_of_first_response,
        durability,
    })
}
