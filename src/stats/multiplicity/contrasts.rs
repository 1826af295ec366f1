//! Contrast matrices of arms: many-to-one (Dunnett) and all pairs (Tukey), and their
//! application to arm estimates with their covariance.

use nalgebra::{DMatrix, DVector};

use crate::{Error, Result};

/// Which family of comparisons a set of contrasts is.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multiplicity::ContrastFamily;
/// assert_eq!(ContrastFamily::ManyToOne.name(), "Dunnett");
/// assert_eq!("tukey".parse::<ContrastFamily>().unwrap(), ContrastFamily::AllPairs);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContrastFamily {
    /// Each arm against one reference arm (Dunnett 1955).
    ManyToOne,
    /// Every pair of arms (Tukey).
    AllPairs,
    /// Any other set of contrasts.
    #[default]
    Custom,
}

impl ContrastFamily {
    /// The family's usual name: `"Dunnett"`, `"Tukey"` or `"custom"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(pain_outcomes::stats::multiplicity::ContrastFamily::AllPairs.name(), "Tukey");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ContrastFamily::ManyToOne => "Dunnett",
            ContrastFamily::AllPairs => "Tukey",
            ContrastFamily::Custom => "custom",
        }
    }
}

/// A matrix of contrasts of arms: one row per contrast, one column per arm.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multiplicity::all_pairs;
/// let k = all_pairs(&["placebo", "prp", "stem_cell"]).unwrap();
/// assert_eq!(k.labels, ["prp - placebo", "stem_cell - placebo", "stem_cell - prp"]);
/// assert_eq!(k.matrix.row(2).iter().copied().collect::<Vec<_>>(), [0.0, -1.0, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastMatrix {
    /// The family of comparisons.
    pub family: ContrastFamily,
    /// The arms, in column order.
    pub arms: Vec<String>,
    /// One label per contrast, `"arm - reference"`.
    pub labels: Vec<String>,
    /// The coefficients, contrasts × arms.
    pub matrix: DMatrix<f64>,
}

/// Contrast estimates with their covariance matrix: the input of
/// [`simultaneous_inference`](super::simultaneous_inference).
///
/// # Examples
///
/// ```
/// use nalgebra::DMatrix;
/// use pain_outcomes::stats::multiplicity::{ContrastFamily, Contrasts};
/// let c = Contrasts {
///     family: ContrastFamily::Custom,
///     labels: vec!["a".into(), "b".into()],
///     estimates: vec![1.0, 2.0],
///     covariance: DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 2.0]),
/// };
/// assert_eq!(c.std_errors()[1], 2f64.sqrt());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Contrasts {
    /// The family of comparisons (names the method).
    pub family: ContrastFamily,
    /// One label per contrast.
    pub labels: Vec<String>,
    /// The contrast estimates.
    pub estimates: Vec<f64>,
    /// Their covariance matrix.
    pub covariance: DMatrix<f64>,
}

impl Contrasts {
    /// The standard errors: square roots of the covariance's diagonal.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::multiplicity::{ContrastFamily, Contrasts};
    /// let c = Contrasts { family: ContrastFamily::Custom, labels: vec!["a".into()],
    ///     estimates: vec![1.0], covariance: DMatrix::from_element(1, 1, 4.0) };
    /// assert_eq!(c.std_errors(), [2.0]);
    /// ```
    pub fn std_errors(&self) -> Vec<f64> {
        self.covariance
            .diagonal()
            .iter()
            .map(|v| v.sqrt())
            .collect()
    }
}

/// Each arm against `reference`, in the order of `arms` (the reference skipped): the
/// many-to-one (Dunnett) contrasts of `multcomp::contrMat(type = "Dunnett")`, labelled
/// `"arm - reference"`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when there are fewer than two arms, an arm is repeated, or
/// `reference` is not one of `arms`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multiplicity::many_to_one;
/// let k = many_to_one(&["placebo", "prp", "stem_cell"], "placebo").unwrap();
/// assert_eq!(k.labels, ["prp - placebo", "stem_cell - placebo"]);
/// assert_eq!(k.matrix.row(0).iter().copied().collect::<Vec<_>>(), [-1.0, 1.0, 0.0]);
/// ```
#[doc(alias = "Dunnett")]
pub fn many_to_one(arms: &[&str], reference: &str) -> Result<ContrastMatrix> {
    check_arms(arms)?;
    let r = arms.iter().position(|a| *a == reference).ok_or_else(|| {
        Error::invalid_argument(
            "reference",
            format!("`{reference}` is not one of the arms {}", arms.join(", ")),
        )
    })?;
    let others: Vec<usize> = (0..arms.len()).filter(|&i| i != r).collect();
    let mut matrix = DMatrix::zeros(others.len(), arms.len());
    let mut labels = Vec::with_capacity(others.len());
    for (row, &i) in others.iter().enumerate() {
        matrix[(row, i)] = 1.0;
        matrix[(row, r)] = -1.0;
        labels.push(format!("{} - {}", arms[i], arms[r]));
    }
    Ok(ContrastMatrix {
        family: ContrastFamily::ManyToOne,
        arms: arms.iter().map(|a| a.to_string()).collect(),
        labels,
        matrix,
    })
}

/// Every pair of arms, `arms[j] - arms[i]` for `i < j` in the order of
/// `multcomp::contrMat(type = "Tukey")`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when there are fewer than two arms or an arm is repeated.
///
/// # Examples
///
/// ```
/// use pain_outcomes::stats::multiplicity::all_pairs;
/// let k = all_pairs(&["a", "b", "c", "d"]).unwrap();
/// assert_eq!(k.labels.len(), 6);
/// assert_eq!(k.labels[3], "c - b");
/// ```
#[doc(alias = "Tukey")]
pub fn all_pairs(arms: &[&str]) -> Result<ContrastMatrix> {
    check_arms(arms)?;
    let k = arms.len();
    let mut matrix = DMatrix::zeros(k * (k - 1) / 2, k);
    let mut labels = Vec::with_capacity(k * (k - 1) / 2);
    let mut row = 0;
    for i in 0..k {
        for j in i + 1..k {
            matrix[(row, j)] = 1.0;
            matrix[(row, i)] = -1.0;
            labels.push(format!("{} - {}", arms[j], arms[i]));
            row += 1;
        }
    }
    Ok(ContrastMatrix {
        family: ContrastFamily::AllPairs,
        arms: arms.iter().map(|a| a.to_string()).collect(),
        labels,
        matrix,
    })
}

fn check_arms(arms: &[&str]) -> Result<()> {
    if arms.len() < 2 {
        return Err(Error::invalid_argument(
            "arms",
            format!("{} arm(s): a comparison needs at least two", arms.len()),
        ));
    }
    for (i, a) in arms.iter().enumerate() {
        if arms[..i].contains(a) {
            return Err(Error::invalid_argument(
                "arms",
                format!("arm `{a}` appears twice"),
            ));
        }
    }
    Ok(())
}

impl ContrastMatrix {
    /// The contrasts `K β` of the arm estimates `β` (one per arm, in column order) and their
    /// covariance `K V Kᵀ`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the lengths disagree with the number of arms, the
    /// covariance is not square or a value is not finite.
    ///
    /// # Examples
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use pain_outcomes::stats::multiplicity::many_to_one;
    /// let k = many_to_one(&["placebo", "prp"], "placebo").unwrap();
    /// let c = k.apply(&[5.0, 3.5], &DMatrix::from_row_slice(2, 2, &[0.04, 0.0, 0.0, 0.05])).unwrap();
    /// assert_eq!(c.estimates, [-1.5]);
    /// assert!((c.covariance[(0, 0)] - 0.09).abs() < 1e-15);
    /// ```
    pub fn apply(&self, estimates: &[f64], covariance: &DMatrix<f64>) -> Result<Contrasts> {
        let k = self.matrix.ncols();
        if estimates.len() != k || covariance.nrows() != k || covariance.ncols() != k {
            return Err(Error::invalid_argument(
                "estimates, covariance",
                format!(
                    "{} estimates and a {}×{} covariance for {k} arms",
                    estimates.len(),
                    covariance.nrows(),
                    covariance.ncols()
                ),
            ));
        }
        if estimates
            .iter()
            .chain(covariance.iter())
            .any(|v| !v.is_finite())
        {
            return Err(Error::invalid_argument(
                "estimates, covariance",
                "a value is not finite",
            ));
        }
        let beta = DVector::from_column_slice(estimates);
        let est = &self.matrix * beta;
        let cov = &self.matrix * covariance * self.matrix.transpose();
        Ok(Contrasts {
            family: self.family,
            labels: self.labels.clone(),
            estimates: est.iter().copied().collect(),
            covariance: cov,
        })
    }
}
