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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NearestNeighbourMatching {
    /// Pairs, in the order the treated units were matched.
    pub pairs: Vec<MatchedPair>,
    /// Treated units left without a comparator (none within the caliper).
    pub unmatched_treated: Vec<usize>,
    /// The caliper on the distance scale, when one was set.
    pub caliper: Option<f64>,
}

/// Whether, at equal distance from treated unit `t`, comparator `c` is preferred to `b`: a
/// comparator below `t` in the (distance, index) order before one above it; below, the one
/// with the larger index; above, the smaller.
fn tie_prefers(distance: &[f64], t: usize, c: usize, b: usize) -> bool {
    let below = |u: usize| (distance[u], u) < (distance[t], t);
    match (below(c), below(b)) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => c > b,
        (false, false) => c < b,
    }
}

/// Greedy 1:1 nearest-neighbour matching without replacement on `distance`.
///
/// # Formula
///
/// The treated units are taken in decreasing order of `distance` (`MatchIt`'s
/// `m.order = "largest"`, its default when a propensity score is the distance; equal distances
/// keep data order). Each takes the not-yet-matched comparator with the smallest
/// `|dₜ − d_c|`, provided it is within `caliper` (`≤`); otherwise it stays unmatched. Ties are
/// broken as `MatchIt`'s search outward from the treated unit in the units sorted by
/// (distance, data order): the comparator below it first, then the one nearest to it in that
/// order. With a propensity-score distance, the caliper in standard deviations
/// `c` is `c · sd(distance)` over all units (`std.caliper = TRUE`): the caller passes that
/// product.
///
/// # References
///
/// Ho, D. E., Imai, K., King, G. & Stuart, E. A. (2011). MatchIt: nonparametric preprocessing
/// for parametric causal inference. *J Stat Softw* 42(8), 1–28. Austin, P. C. (2011). Optimal
/// caliper widths for propensity-score matching. *Pharm Stat* 10, 150–161.
///
/// `MatchIt` 4.5.1 compares distances with C's integer `abs()` in `nn_matchC_vec`, which
/// truncates differences below 1 to 0: a caliper on the logit or probability scale is then
/// ignored and the left neighbour always wins. The goldens pass `MatchIt` the distance scaled
/// by 10⁶ (the standardised caliper is scale-free), where its result is the algorithm above.
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
        // the nearest available comparator; ties as MatchIt's sorted search: the side of
        // smaller distance first, then the unit nearest to `t` in the (distance, index) order
        let mut best: Option<(usize, f64)> = None;
        for (c, free) in available.iter().enumerate() {
            if !free {
                continue;
            }
            let d = (distance[t] - distance[c]).abs();
            let better = match best {
                None => true,
                Some((b, bd)) => d < bd || (d == bd && tie_prefers(distance, t, c, b)),
            };
            if better {
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
