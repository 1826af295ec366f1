//! JSON output of any result.

use crate::Result;

/// Pretty-printed JSON of a result (refusals appear as `{"status": "refused", …}`).
///
/// # Errors
///
/// [`Error::Json`](crate::Error) when the value cannot be serialized (a map with non-string
/// keys; no result type of this crate has one).
///
/// # Examples
///
/// ```
/// use pain_outcomes::{Outcome, Refusal, RefusalReason, report::to_json};
/// let o: Outcome<f64> = Outcome::Refused(Refusal::new(RefusalReason::ZeroVariance, "sd = 0"));
/// assert!(to_json(&o)?.contains("\"refused\""));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}
