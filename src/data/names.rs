//! The one rule for names users type (arms, visits, instruments): an exact match first, else
//! a match without regard to ASCII case and surrounding spaces when it identifies one name.

use crate::error::{Error, Result};

/// Whether `typed` names `name` under the rule (without regard to case and spaces).
pub(crate) fn same_name(name: &str, typed: &str) -> bool {
    name == typed || name.trim().eq_ignore_ascii_case(typed.trim())
}

/// The position of the name `typed` among `available`: the exact name, else the one name equal
/// without regard to ASCII case and surrounding spaces.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for argument `what` naming `typed` and listing `available` when
/// no name (or more than one, loosely) matches.
pub(crate) fn find_name(what: &'static str, typed: &str, available: &[String]) -> Result<usize> {
    if let Some(i) = available.iter().position(|a| a == typed) {
        return Ok(i);
    }
    let loose: Vec<usize> = (0..available.len())
        .filter(|&i| same_name(&available[i], typed))
        .collect();
    match loose.as_slice() {
        [one] => Ok(*one),
        _ => Err(Error::invalid_argument(
            what,
            format!("no {what} `{typed}` (present: {})", available.join(", ")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_loose_then_a_listing_error() {
        let names = [
            "Placebo".to_string(),
            "placebo ".to_string(),
            "prp".to_string(),
        ];
        assert_eq!(find_name("arm", "placebo ", &names).unwrap(), 1);
        assert_eq!(find_name("arm", "PRP", &names).unwrap(), 2);
        // two loose matches: ambiguous
        let e = find_name("arm", "PLACEBO", &names).unwrap_err().to_string();
        assert!(
            e.contains("no arm `PLACEBO` (present: Placebo, placebo , prp)"),
            "{e}"
        );
    }
}
