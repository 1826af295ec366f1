//! Greedy nearest-neighbour 1:1 matching without replacement on a distance measure (the logit
//! of the propensity score), with a caliper, in the order of `MatchIt`'s default.

use crate::stats::describe::{check_finite, check_same_len};
use crate::{Error, Result};

/// One matched pair: indices into the input slices.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::matching::MatchedPair;
/// let p = MatchedPair { treated: 0, comparator: 3, distance: 0.01 };
/// assert_eq!(p.comparator, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MatchedPair {
    /// Index of the treated unit.
    pub treated: usize,
    /// Index of its comparator.
    pub comparator: usize,
    /// `|d_treated − d_comparator|` on the matching scale.
    pub distance: f64,
}

/// The result of [`nearest_neighbour_match`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::matching::nearest_neighbour_match;
/// let d = [0.0, 1.0, 0.1, 0.9, 5.0];
/// let t = [true, true, false, false, false];
/// let m = nearest_neighbour_match(&d, &t, None)?;
/// assert_eq!(m.pairs.len(), 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NearestNeighbourMatching {
    /// Pairs, in the order the treated units were matched.
    pub pairs: Vec<MatchedPair>,
    /// Treated units left without a comparator (none within the caliper).
    pub unmatched_treated: Vec<usize>,
    /// The caliper on the distance scale, when one was set.
    pub caliper: Option<f64>,
}

/// Greedy 1:1 nearest-neighbour matching without replacement on `distance`.
///
/// # Formula
///
/// The treated units are taken in decreasing order of `distance` (`MatchIt`'s
/// `m.order = "largest"`, its default when a propensity score is the distance; equal distances
/// keep data order). Each takes the not-yet-matched comparator with the smallest
/// `|dₜ − d_c|` (the first in data order on ties), provided it is within `caliper`; otherwise
/// it stays unmatched. With a propensity-score distance, the caliper in standard deviations
/// `c` is `c · sd(distance)` over all units (`std.caliper = TRUE`): the caller passes that
/// product.
///
/// # References
///
/// Ho, D. E., Imai, K., King, G. & Stuart, E. A. (2011). MatchIt: nonparametric preprocessing
/// for parametric causal inference. *J Stat Softw* 42(8), 1–28. Austin, P. C. (2011). Optimal
/// caliper widths for propensity-score matching. *Pharm Stat* 10, 150–161.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for lengths that differ, non-finite distances or a caliper that
/// is not positive and finite.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::matching::nearest_neighbour_match;
/// let d = [2.0, 0.5, 1.9, 0.45, 1.7];
/// let t = [true, true, false, false, false];
/// // unit 0 (largest) takes 2 (1.9); unit 1 takes 3 (0.45)
/// let m = nearest_neighbour_match(&d, &t, Some(0.2))?;
/// assert_eq!((m.pairs[0].treated, m.pairs[0].comparator), (0, 2));
/// assert_eq!((m.pairs[1].treated, m.pairs[1].comparator), (1, 3));
/// let tight = nearest_neighbour_match(&d, &t, Some(0.01))?;
/// assert_eq!(tight.unmatched_treated, vec![0, 1]);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn nearest_neighbour_match(
    distance: &[f64],
    treated: &[bool],
    caliper: Option<f64>,
) -> Result<NearestNeighbourMatching> {
    check_same_len("treated", treated.len(), distance.len())?;
    check_finite("distance", distance)?;
    if let Some(c) = caliper
        && !(c.is_finite() && c > 0.0)
    {
        return Err(Error::invalid_argument(
            "caliper",
            format!("must be positive and finite, got {c}"),
        ));
    }
    let mut order: Vec<usize> = (0..distance.len()).filter(|&i| treated[i]).collect();
    // stable: equal distances keep data order
    order.sort_by(|&a, &b| distance[b].total_cmp(&distance[a]));
    let mut available: Vec<bool> = treated.iter().map(|t| !t).collect();
    let mut pairs = Vec::new();
    let mut unmatched_treated = Vec::new();
    for t in order {
        let mut best: Option<(usize, f64)> = None;
        for (c, free) in available.iter().enumerate() {
            if !free {
                continue;
            }
            let d = (distance[t] - distance[c]).abs();
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((c, d));
            }
        }
        match best {
            Some((c, d)) if caliper.is_none_or(|cal| d <= cal) => {
                available[c] = false;
                pairs.push(MatchedPair {
                    treated: t,
                    comparator: c,
                    distance: d,
                });
            }
            _ => unmatched_treated.push(t),
        }
    }
    unmatched_treated.sort_unstable();
    Ok(NearestNeighbourMatching {
        pairs,
        unmatched_treated,
        caliper,
    })
}
