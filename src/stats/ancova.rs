//! ANCOVA: follow-up score ~ arm + baseline (+ covariates) by ordinary least squares (nalgebra
//! QR), with adjusted means per arm (as `emmeans`), differences versus a reference arm, and the
//! F test for arm (as `drop1(fit, test = "F")`).

use crate::stats::describe::{check_finite, check_level, check_same_len, mean_and_ss};
use crate::stats::{ArmDifference, Estimate, FTest, Outcome, RefusalReason, refuse};
use crate::{Error, Result};
use nalgebra::{DMatrix, DVector};
use std::fmt;

/// Options for [`ancova`].
///
/// # Examples
///
/// ```
/// let o = pain_outcomes::stats::ancova::AncovaOptions::default().with_reference_arm("placebo");
/// assert_eq!(o.reference_arm.as_deref(), Some("placebo"));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AncovaOptions {
    /// Reference arm; default the first arm in sorted order (as R's `factor`).
    pub reference_arm: Option<String>,
    /// Confidence level; `None` means 0.95.
    pub confidence_level: Option<f64>,
}

impl AncovaOptions {
    /// Sets the reference arm.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::ancova::AncovaOptions::default().with_reference_arm("prp");
    /// assert_eq!(o.reference_arm.as_deref(), Some("prp"));
    /// ```
    pub fn with_reference_arm(mut self, arm: impl Into<String>) -> Self {
        self.reference_arm = Some(arm.into());
        self
    }
    /// Sets the confidence level.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = pain_outcomes::stats::ancova::AncovaOptions::default().with_confidence_level(0.9);
    /// assert_eq!(o.confidence_level, Some(0.9));
    /// ```
    pub fn with_confidence_level(mut self, level: f64) -> Self {
        self.confidence_level = Some(level);
        self
    }
}

/// Adjusted (least-squares) mean of one arm at the mean baseline and covariates.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdjustedMean {
    /// Arm.
    pub arm: String,
    /// Number of patients in the arm.
    pub n: usize,
    /// The adjusted mean with its SE and t-based interval on the residual df.
    pub mean: Estimate,
}

/// Result of an ANCOVA.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ancova {
    /// Patients used.
    pub n: usize,
    /// Residual degrees of freedom.
    pub df_residual: f64,
    /// Residual sum of squares.
    pub residual_sum_of_squares: f64,
    /// Residual standard error.
    pub residual_std_error: f64,
    /// Coefficients (treatment coding against the reference arm; labels `(Intercept)`,
    /// `arm<name>`, `baseline`, `covariate<i>`).
    pub coefficients: Vec<Estimate>,
    /// Adjusted means per arm (sorted arm order).
    pub adjusted_means: Vec<AdjustedMean>,
    /// Differences of each non-reference arm versus the reference.
    pub differences: Vec<ArmDifference>,
    /// F test for arm (drop1 / Type II; equal to Type III in this additive model).
    pub arm_test: FTest,
    /// Sum of squares for arm (increase in RSS when arm is dropped).
    pub arm_sum_of_squares: f64,
}

impl Ancova {
    /// The coefficient named `name` (`(Intercept)`, `arm<name>`, `baseline`, `covariate<i>`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::ancova::{ancova, AncovaOptions};
    /// let fu = [3.0, 3.5, 5.0, 6.0, 6.2, 5.9];
    /// let base = [7.0, 6.0, 8.0, 7.0, 6.0, 8.0];
    /// let arm = ["prp", "prp", "prp", "placebo", "placebo", "placebo"];
    /// let a = ancova(&fu, &base, &arm, &[], &AncovaOptions::default())?.into_result().unwrap();
    /// assert!(a.coefficient("armprp").unwrap().estimate < 0.0);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn coefficient(&self, name: &str) -> Option<&Estimate> {
        self.coefficients.iter().find(|c| c.label == name)
    }
}

impl fmt::Display for Ancova {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "ANCOVA (n = {}, residual df = {}, sigma = {:.4})",
            self.n, self.df_residual, self.residual_std_error
        )?;
        for m in &self.adjusted_means {
            writeln!(
                f,
                "  {:<20} adjusted mean {:.4} (SE {:.4}) {}",
                m.arm, m.mean.estimate, m.mean.std_error, m.mean.confidence_interval
            )?;
        }
        for d in &self.differences {
            writeln!(
                f,
                "  {} - {}: {:.4} (SE {:.4}), t = {:.3}, p = {:.4e}, {}",
                d.arm,
                d.reference,
                d.difference.estimate,
                d.difference.std_error,
                d.difference.statistic,
                d.difference.p_value,
                d.difference.confidence_interval
            )?;
        }
        write!(
            f,
            "  arm: F({}, {}) = {:.4}, p = {:.4e}",
            self.arm_test.df_numerator,
            self.arm_test.df_denominator,
            self.arm_test.statistic,
            self.arm_test.p_value
        )
    }
}

/// Least-squares fit: coefficients, residual sum of squares and `(XᵀX)⁻¹`.
struct Fit {
    beta: DVector<f64>,
    rss: f64,
    xtx_inv: DMatrix<f64>,
}

fn ols(x: DMatrix<f64>, y: &DVector<f64>) -> Option<Fit> {
    let p = x.ncols();
    let n = x.nrows();
    let qr = x.qr();
    let r_full = qr.r();
    let diag_max = (0..p).map(|i| r_full[(i, i)].abs()).fold(0.0, f64::max);
    if (0..p).any(|i| r_full[(i, i)].abs() <= 1e-10 * diag_max) || diag_max == 0.0 {
        return None;
    }
    let mut qty = y.clone();
    qr.q_tr_mul(&mut qty);
    let head = qty.rows(0, p).into_owned();
    let beta = r_full.solve_upper_triangular(&head)?;
    let rss: f64 = qty.rows(p, n - p).iter().map(|v| v * v).sum();
    let r_inv = r_full.solve_upper_triangular(&DMatrix::identity(p, p))?;
    let xtx_inv = &r_inv * r_inv.transpose();
    Some(Fit { beta, rss, xtx_inv })
}

/// ANCOVA of the follow-up score on arm and baseline (and optional covariates), by OLS.
///
/// # Formula
///
/// `y = β₀ + Σ_arm γ_a 1[arm = a] + β_b baseline + Σ β_j z_j + ε`, fitted by QR. Adjusted mean
/// of arm `a` = `ℓₐᵀβ̂` with the baseline and covariates at their means (the `emmeans`
/// reference grid), SE `σ̂ √(ℓₐᵀ(XᵀX)⁻¹ℓₐ)`; difference versus reference = `γ̂ₐ`; arm F =
/// `((RSS₀ − RSS)/(k − 1)) / (RSS/(n − p))` with `RSS₀` the fit without arm.
///
/// # References
///
/// Vickers, A. J. & Altman, D. G. (2001). Analysing controlled trials with baseline and follow
/// up measurements. *BMJ* 323, 1123–1124. Searle, S. R., Speed, F. M. & Milliken, G. A. (1980).
/// Population marginal means in the linear model. *Am. Stat.* 34, 216–221.
///
/// # Errors
///
/// [`Error::InvalidArgument`] for unequal lengths, non-finite values, an unknown reference arm
/// or a bad level. Refuses with fewer than two arms, an arm with n < 2, no residual df, a
/// singular design or a perfect fit.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::ancova::{ancova, AncovaOptions};
/// let base = [6.0, 7.0, 8.0, 5.0, 6.0, 7.0, 8.0, 5.0];
/// let fu = [3.1, 4.2, 4.8, 2.9, 5.0, 6.1, 7.2, 4.1];
/// let arm = ["prp", "prp", "prp", "prp", "placebo", "placebo", "placebo", "placebo"];
/// let a = ancova(&fu, &base, &arm, &[], &AncovaOptions::default().with_reference_arm("placebo"))
///     .unwrap().into_result().unwrap();
/// assert_eq!(a.differences[0].arm, "prp");
/// assert!(a.differences[0].difference.estimate < 0.0);
/// assert_eq!(a.df_residual, 5.0);
/// ```
pub fn ancova<L: AsRef<str>>(
    follow_up: &[f64],
    baseline: &[f64],
    arms: &[L],
    covariates: &[&[f64]],
    options: &AncovaOptions,
) -> Result<Outcome<Ancova>> {
    let level = options.confidence_level.unwrap_or(0.95);
    check_level(level)?;
    let n = follow_up.len();
    check_same_len("baseline", n, baseline.len())?;
    check_same_len("arms", n, arms.len())?;
    check_finite("follow_up", follow_up)?;
    check_finite("baseline", baseline)?;
    for c in covariates {
        check_same_len("covariates", n, c.len())?;
        check_finite("covariates", c)?;
    }
    let mut levels: Vec<String> = Vec::new();
    for a in arms {
        if !levels.iter().any(|l| l == a.as_ref()) {
            levels.push(a.as_ref().to_string());
        }
    }
    levels.sort();
    let reference = match &options.reference_arm {
        Some(r) => {
            if !levels.iter().any(|l| l == r) {
                return Err(Error::invalid_argument(
                    "reference_arm",
                    format!("arm `{r}` is not in the data (arms: {})", levels.join(", ")),
                ));
            }
            r.clone()
        }
        None => match levels.first() {
            Some(l) => l.clone(),
            None => return Ok(refuse(RefusalReason::EmptyGroup, "no patients")),
        },
    };
    if levels.len() < 2 {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            "ANCOVA needs at least two arms",
        ));
    }
    let arm_index: Vec<usize> = arms
        .iter()
        .map(|a| levels.iter().position(|l| l == a.as_ref()).unwrap_or(0))
        .collect();
    let mut counts = vec![0usize; levels.len()];
    for &i in &arm_index {
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    for (l, c) in levels.iter().zip(&counts) {
        if *c < 2 {
            return Ok(refuse(
                RefusalReason::TooFewObservations,
                format!("arm `{l}` has n = {c}"),
            ));
        }
    }
    let others: Vec<usize> = (0..levels.len())
        .filter(|&i| levels.get(i) != Some(&reference))
        .collect();
    let k = levels.len();
    let p = 1 + others.len() + 1 + covariates.len();
    if n <= p {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!("n = {n} leaves no residual degrees of freedom for {p} parameters"),
        ));
    }
    let (_, ss_b) = mean_and_ss(baseline);
    if ss_b == 0.0 {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "the baseline does not vary",
        ));
    }
    let y = DVector::from_column_slice(follow_up);
    let build = |with_arm: bool| {
        let cols = if with_arm { p } else { p - others.len() };
        DMatrix::from_fn(n, cols, |i, j| {
            let ai = arm_index.get(i).copied().unwrap_or(0);
            let j = if with_arm || j == 0 {
                j
            } else {
                j + others.len()
            };
            if j == 0 {
                1.0
            } else if j <= others.len() {
                if others.get(j - 1) == Some(&ai) {
                    1.0
                } else {
                    0.0
                }
            } else if j == others.len() + 1 {
                baseline.get(i).copied().unwrap_or(0.0)
            } else {
                covariates
                    .get(j - others.len() - 2)
                    .and_then(|c| c.get(i))
                    .copied()
                    .unwrap_or(0.0)
            }
        })
    };
    let Some(full) = ols(build(true), &y) else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the design matrix is rank deficient",
        ));
    };
    let Some(reduced) = ols(build(false), &y) else {
        return Ok(refuse(
            RefusalReason::SingularDesign,
            "the design without arm is rank deficient",
        ));
    };
    let df = (n - p) as f64;
    if full.rss <= 0.0 {
        return Ok(refuse(
            RefusalReason::ZeroVariance,
            "the model fits exactly: residual variance is zero",
        ));
    }
    let sigma2 = full.rss / df;
    let se_of = |l: &DVector<f64>| (sigma2 * (l.transpose() * &full.xtx_inv * l)[(0, 0)]).sqrt();
    let mut names = vec!["(Intercept)".to_string()];
    for &o in &others {
        names.push(format!(
            "arm{}",
            levels.get(o).map(String::as_str).unwrap_or("")
        ));
    }
    names.push("baseline".into());
    for j in 0..covariates.len() {
        names.push(format!("covariate{}", j + 1));
    }
    let coefficients: Vec<Estimate> = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| {
            let se = (sigma2 * full.xtx_inv[(j, j)]).sqrt();
            Estimate::wald(name, full.beta[j], se, Some(df), level)
        })
        .collect();
    let mut grid = vec![0.0; p];
    grid[0] = 1.0;
    grid[others.len() + 1] = baseline.iter().sum::<f64>() / n as f64;
    for (j, c) in covariates.iter().enumerate() {
        grid[others.len() + 2 + j] = c.iter().sum::<f64>() / n as f64;
    }
    let adjusted_means = (0..k)
        .map(|a| {
            let mut l = DVector::from_vec(grid.clone());
            if let Some(pos) = others.iter().position(|&o| o == a) {
                l[1 + pos] = 1.0;
            }
            let est = (l.transpose() * &full.beta)[(0, 0)];
            let arm = levels.get(a).cloned().unwrap_or_default();
            AdjustedMean {
                n: counts.get(a).copied().unwrap_or(0),
                mean: Estimate::wald(arm.clone(), est, se_of(&l), Some(df), level),
                arm,
            }
        })
        .collect();
    let differences = others
        .iter()
        .enumerate()
        .map(|(pos, &o)| {
            let c = &coefficients[1 + pos];
            let arm = levels.get(o).cloned().unwrap_or_default();
            ArmDifference {
                difference: Estimate {
                    label: format!("{arm} - {reference}"),
                    ..c.clone()
                },
                arm,
                reference: reference.clone(),
                visit: None,
            }
        })
        .collect();
    let ss_arm = (reduced.rss - full.rss).max(0.0);
    let d1 = (k - 1) as f64;
    let f = (ss_arm / d1) / sigma2;
    Ok(Outcome::Computed(Ancova {
        n,
        df_residual: df,
        residual_sum_of_squares: full.rss,
        residual_std_error: sigma2.sqrt(),
        coefficients,
        adjusted_means,
        differences,
        arm_test: FTest::new("arm", f, d1, df),
        arm_sum_of_squares: ss_arm,
    }))
}
