//! Log-rank test (R `survdiff` with `rho = 0`), optionally stratified.

use std::fmt;

use nalgebra::{DMatrix, DVector};

use super::common::{Status, check_len, check_time_status, encode, order_by_stratum_time};
use crate::Result;
use crate::stats::{Outcome, RefusalReason, refuse};

/// Result of a (stratified) log-rank test.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{log_rank, Status};
/// let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let arm = ["a", "b", "a", "b", "a", "b"];
/// let lr = log_rank(&time, &[Status::Event; 6], &arm)?.into_result().unwrap();
/// assert_eq!(lr.groups, vec!["a", "b"]);
/// assert_eq!(lr.test.df, 1.0);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogRank {
    /// Group labels, sorted.
    pub groups: Vec<String>,
    /// Number of subjects per group.
    pub n: Vec<usize>,
    /// Observed events per group (summed over strata).
    pub observed: Vec<f64>,
    /// Expected events per group under equal hazards (summed over strata).
    pub expected: Vec<f64>,
    /// Variance–covariance matrix of `observed - expected` (rows), summed over strata.
    pub variance: Vec<Vec<f64>>,
    /// Number of strata (1 when unstratified).
    pub n_strata: usize,
    /// The chi-square test (df = groups with expected > 0, minus one).
    pub test: crate::stats::ChiSquareTest,
}

impl fmt::Display for LogRank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Log-rank test{}",
            if self.n_strata > 1 {
                format!(" stratified over {} strata", self.n_strata)
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "{:<16} {:>8} {:>10} {:>10} {:>12} {:>12}",
            "group", "N", "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V"
        )?;
        for (k, g) in self.groups.iter().enumerate() {
            let o = self.observed[k];
            let e = self.expected[k];
            let v = self.variance[k][k];
            writeln!(
                f,
                "{:<16} {:>8} {:>10.1} {:>10.2} {:>12.4} {:>12.4}",
                g,
                self.n[k],
                o,
                e,
                (o - e).powi(2) / e,
                (o - e).powi(2) / v
            )?;
        }
        write!(f, " Chisq = {}", self.test)
    }
}

/// Log-rank test of equal survival across the levels of `group`.
///
/// # Formula
///
/// At each distinct event time with `n` at risk and `d` events (`n_g`, `d_g` in group `g`):
/// `E_g += d n_g / n`, `V_gh += d (n - d)/(n - 1) · (n_g/n)(δ_gh - n_h/n)`. The statistic is
/// `(O - E)' V⁻ (O - E)` over the groups with `E > 0`, dropping the first, on `k - 1` df.
///
/// # Errors
///
/// `InvalidArgument` when lengths differ or a time is negative, NaN or infinite.
///
/// # Refusals
///
/// `NoEvents` when no subject has an event; `EmptyGroup` when fewer than two groups have
/// expected events; `SingularDesign` when the variance matrix is singular.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{log_rank, Status};
/// let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
/// let status = [Status::Event; 8];
/// let arm = [0, 0, 0, 0, 1, 1, 1, 1];
/// let lr = log_rank(&time, &status, &arm)?.into_result().unwrap();
/// assert!(lr.test.p_value < 0.05);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Mantel N (1966). Evaluation of survival data and two new rank order statistics arising in
/// its consideration. Cancer Chemother Rep 50:163–170. Peto R, Peto J (1972). Asymptotically
/// efficient rank invariant test procedures. JRSS A 135:185–207.
#[doc(alias = "survdiff")]
pub fn log_rank<L: Ord + Clone + fmt::Display>(
    time: &[f64],
    status: &[Status],
    group: &[L],
) -> Result<Outcome<LogRank>> {
    check_time_status(time, status)?;
    check_len("group", group.len(), time.len())?;
    run(time, status, group, None, 1)
}

/// Log-rank test stratified by `strata`: observed, expected and variance are computed within
/// each stratum and summed (R `survdiff(Surv(t, s) ~ group + strata(s))`).
///
/// # Formula
///
/// As [`log_rank`], with `O`, `E` and `V` summed over strata before forming the statistic.
///
/// # Errors
///
/// `InvalidArgument` when lengths differ or a time is negative, NaN or infinite.
///
/// # Refusals
///
/// As [`log_rank`].
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::survival::{log_rank_stratified, Status};
/// let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
/// let arm = ["a", "b", "a", "b", "a", "b", "a", "b"];
/// let site = ["x", "x", "x", "x", "y", "y", "y", "y"];
/// let lr = log_rank_stratified(&time, &[Status::Event; 8], &arm, &site)?.into_result().unwrap();
/// assert_eq!(lr.n_strata, 2);
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
///
/// # References
///
/// Kalbfleisch JD, Prentice RL (2002). The Statistical Analysis of Failure Time Data, 2nd ed.,
/// §7.2.
pub fn log_rank_stratified<L: Ord + Clone + fmt::Display, S: Ord + Clone>(
    time: &[f64],
    status: &[Status],
    group: &[L],
    strata: &[S],
) -> Result<Outcome<LogRank>> {
    check_time_status(time, status)?;
    check_len("group", group.len(), time.len())?;
    check_len("strata", strata.len(), time.len())?;
    let (slev, scodes) = encode(strata);
    run(time, status, group, Some(&scodes), slev.len())
}

fn run<L: Ord + Clone + fmt::Display>(
    time: &[f64],
    status: &[Status],
    group: &[L],
    strata: Option<&[u32]>,
    n_strata: usize,
) -> Result<Outcome<LogRank>> {
    let (levels, codes) = encode(group);
    let k = levels.len();
    if !status.iter().any(|s| s.is_event()) {
        return Ok(refuse(RefusalReason::NoEvents, "no subject has an event"));
    }
    let order = order_by_stratum_time(strata, time);
    let mut n_group = vec![0usize; k];
    for &c in &codes {
        n_group[c as usize] += 1;
    }
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut variance = vec![0.0; k * k];
    // Per stratum: number at risk per group, swept from the end.
    let mut at_risk = vec![0.0_f64; k];
    let mut deaths = vec![0.0_f64; k];
    let stratum_of = |i: usize| strata.map_or(0, |s| s[i]);
    let n = order.len();
    let mut pos = n;
    // Process strata from the last backwards: within a stratum, sweep times descending.
    while pos > 0 {
        let s_cur = stratum_of(order[pos - 1]);
        at_risk.iter_mut().for_each(|v| *v = 0.0);
        while pos > 0 && stratum_of(order[pos - 1]) == s_cur {
            let t = time[order[pos - 1]];
            deaths.iter_mut().for_each(|v| *v = 0.0);
            let mut d_total = 0.0;
            while pos > 0 {
                let i = order[pos - 1];
                if stratum_of(i) != s_cur || time[i] != t {
                    break;
                }
                let g = codes[i] as usize;
                at_risk[g] += 1.0;
                if status[i].is_event() {
                    deaths[g] += 1.0;
                    d_total += 1.0;
                }
                pos -= 1;
            }
            if d_total > 0.0 {
                let n_total: f64 = at_risk.iter().sum();
                for g in 0..k {
                    observed[g] += deaths[g];
                    expected[g] += d_total * at_risk[g] / n_total;
                }
                if n_total > 1.0 {
                    let factor = d_total * (n_total - d_total) / (n_total - 1.0);
                    for g in 0..k {
                        let pg = at_risk[g] / n_total;
                        if pg == 0.0 {
                            continue;
                        }
                        for h in 0..k {
                            let ph = at_risk[h] / n_total;
                            let delta = if g == h { 1.0 } else { 0.0 };
                            variance[g * k + h] += factor * pg * (delta - ph);
                        }
                    }
                }
            }
        }
    }
    let used: Vec<usize> = (0..k).filter(|&g| expected[g] > 0.0).collect();
    if used.len() < 2 {
        return Ok(refuse(
            RefusalReason::EmptyGroup,
            "fewer than two groups have subjects at risk at an event time",
        ));
    }
    let free = &used[1..];
    let m = free.len();
    let v = DMatrix::from_fn(m, m, |a, b| variance[free[a] * k + free[b]]);
    let diff = DVector::from_fn(m, |a, _| observed[free[a]] - expected[free[a]]);
    let Some(chol) = v.cholesky() else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the variance matrix of observed minus expected is singular",
        ));
    };
    let solved = chol.solve(&diff);
    let statistic = diff.dot(&solved);
    Ok(Outcome::Computed(LogRank {
        groups: levels.iter().map(|l| l.to_string()).collect(),
        n: n_group,
        observed,
        expected,
        variance: (0..k)
            .map(|g| variance[g * k..(g + 1) * k].to_vec())
            .collect(),
        n_strata,
        test: crate::stats::ChiSquareTest::new("Log-rank test", statistic, m as f64),
    }))
}
