//! Linear contrasts of arms by name — `"stem_cell+prp - stem_cell"`, all pairs, each arm
//! versus the reference, a combination versus each of its components — estimated from the
//! LS-means of a cohort MMRM (at every visit) or ANCOVA (at its visit), with multiplicity
//! adjustment within each visit.

use std::str::FromStr;

use super::ancova::CohortAncova;
use super::mmrm::CohortMmrm;
use crate::data::find_name;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::stats::adjust::adjust_p_values;
use crate::stats::mmrm::{CellCombination, CombinationFamily};
use crate::stats::multiplicity::{
    ContrastFamily, Contrasts, IntegrationOptions, MultiplicityMethod, SimultaneousOptions,
    simultaneous_inference,
};
use crate::stats::{ConfidenceInterval, Estimate};
use nalgebra::DMatrix;

/// A linear contrast of arms: `Σ w_a μ_a` over the arms' LS-means.
///
/// Parsed from `"A - B"`, `"A + B - 2*C"` or `"0.5*A + 0.5*B - C"`: terms separated by ` + ` or
/// ` - ` with spaces around the operator (arm names may hold `+` themselves, as
/// `stem_cell[bone_marrow]+prp`), each an arm name with an optional `weight*` prefix. Arm names
/// follow the crate's name rule (exact, else without regard to case and spaces) when the
/// contrast is estimated.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::ArmContrast;
/// let c: ArmContrast = "stem_cell[bone_marrow]+prp - stem_cell[bone_marrow]".parse()?;
/// assert_eq!(c.terms.len(), 2);
/// assert_eq!(c.terms[1], ("stem_cell[bone_marrow]".to_string(), -1.0));
/// let avg: ArmContrast = "0.5*prp + 0.5*corticosteroid - placebo".parse()?;
/// assert_eq!(avg.terms[0].1, 0.5);
/// assert!("prp -".parse::<ArmContrast>().is_err());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmContrast {
    /// Label in the results (as typed, or `A - B` for the built families).
    pub label: String,
    /// `(arm, weight)` pairs.
    pub terms: Vec<(String, f64)>,
}

impl FromStr for ArmContrast {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid_argument(
                "contrast",
                format!(
                    "`{s}`: {why}; write arms joined by ` - ` or ` + ` with spaces, e.g. \"prp - placebo\" or \"0.5*a + 0.5*b - c\""
                ),
            )
        };
        let mut terms: Vec<(String, f64)> = Vec::new();
        let mut sign = 1.0;
        let mut expect_term = true;
        for token in s.split_whitespace() {
            match (token, expect_term) {
                ("+", false) => {
                    sign = 1.0;
                    expect_term = true;
                }
                ("-", false) => {
                    sign = -1.0;
                    expect_term = true;
                }
                ("-", true) if terms.is_empty() && sign > 0.0 => sign = -1.0,
                ("+" | "-", true) => return Err(bad("two operators in a row")),
                (_, false) => return Err(bad("two arms without an operator between them")),
                (t, true) => {
                    let (w, arm) = match t.split_once('*') {
                        Some((w, arm)) => {
                            let w: f64 = w
                                .parse()
                                .map_err(|_| bad(&format!("`{w}` is not a number")))?;
                            (w, arm)
                        }
                        None => (1.0, t),
                    };
                    if arm.is_empty() || !w.is_finite() {
                        return Err(bad("an empty arm or a weight that is not finite"));
                    }
                    terms.push((arm.to_string(), sign * w));
                    expect_term = false;
                }
            }
        }
        if terms.is_empty() || expect_term {
            return Err(bad("it ends without an arm"));
        }
        Ok(ArmContrast {
            label: s.split_whitespace().collect::<Vec<_>>().join(" "),
            terms,
        })
    }
}

impl ArmContrast {
    /// `a − b`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = pain_outcomes::analysis::ArmContrast::difference("prp", "placebo");
    /// assert_eq!(c.label, "prp - placebo");
    /// ```
    pub fn difference(a: &str, b: &str) -> Self {
        ArmContrast {
            label: format!("{a} - {b}"),
            terms: vec![(a.to_string(), 1.0), (b.to_string(), -1.0)],
        }
    }

    /// Every arm but the reference minus the reference (the many-to-one family of Dunnett).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::ArmContrast;
    /// let arms = ["placebo".to_string(), "prp".into(), "steroid".into()];
    /// let v = ArmContrast::versus_reference(&arms, "placebo");
    /// assert_eq!(v.len(), 2);
    /// assert_eq!(v[1].label, "steroid - placebo");
    /// ```
    pub fn versus_reference(arms: &[String], reference: &str) -> Vec<Self> {
        arms.iter()
            .filter(|a| a.as_str() != reference)
            .map(|a| ArmContrast::difference(a, reference))
            .collect()
    }

    /// All pairs `a_j − a_i` for `i < j` in the given order (emmeans' `pairwise` family is
    /// `a_i − a_j`; the order here puts later arms first so that, with the reference arm first,
    /// every pair with the reference reads "arm − reference").
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::ArmContrast;
    /// let arms = ["placebo".to_string(), "prp".into(), "steroid".into()];
    /// let p = ArmContrast::pairwise(&arms);
    /// assert_eq!(p.len(), 3);
    /// assert_eq!(p[2].label, "steroid - prp");
    /// ```
    pub fn pairwise(arms: &[String]) -> Vec<Self> {
        let mut out = Vec::new();
        for (i, a) in arms.iter().enumerate() {
            for b in arms.iter().skip(i + 1) {
                out.push(ArmContrast::difference(b, a));
            }
        }
        out
    }

    /// Each combination arm (a name joined by `+`, as `stem_cell[adipose]+prp`) minus each of
    /// its components that is itself an arm: does the combination add to each part?
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::ArmContrast;
    /// let arms = ["placebo".to_string(), "prp".into(), "stem_cell".into(), "stem_cell+prp".into()];
    /// let d = ArmContrast::decomposition(&arms);
    /// assert_eq!(d.len(), 2);
    /// assert_eq!(d[0].label, "stem_cell+prp - stem_cell");
    /// assert_eq!(d[1].label, "stem_cell+prp - prp");
    /// ```
    pub fn decomposition(arms: &[String]) -> Vec<Self> {
        let mut out = Vec::new();
        for combination in arms {
            let parts = split_components(combination);
            if parts.len() < 2 {
                continue;
            }
            for part in parts {
                if arms.iter().any(|a| a == part) {
                    out.push(ArmContrast::difference(combination, part));
                }
            }
        }
        out
    }
}

/// The components of an arm name joined by `+` outside brackets.
fn split_components(name: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, ch) in name.char_indices() {
        match ch {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '+' if depth == 0 => {
                parts.push(&name[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&name[start..]);
    parts
}

/// One estimated contrast at one visit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContrastRow {
    /// The contrast's label.
    pub contrast: String,
    /// The visit.
    pub visit: String,
    /// Estimate, SE, df, t, unadjusted p and interval (refused when not estimable).
    pub estimate: Outcome<Estimate>,
    /// The p-value adjusted within the visit's family (`None` without adjustment or when
    /// refused).
    pub adjusted_p_value: Option<f64>,
    /// The simultaneous interval of a single-step method (`None` otherwise).
    pub simultaneous_interval: Option<ConfidenceInterval>,
}

/// Contrasts of arms at each visit, with the multiplicity method named.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContrastTable {
    /// The multiplicity adjustment, applied within each visit.
    pub method: String,
    /// One row per contrast and visit (visit slowest).
    pub rows: Vec<ContrastRow>,
    /// For a single-step method, the absolute error to which its adjusted p-values (and the
    /// probability of its critical value) were integrated; an adjusted p-value below it is
    /// shown as `< tolerance`, since its digits are not resolved (`None` for other methods).
    #[serde(default)]
    pub integration_tolerance: Option<f64>,
}

impl ContrastTable {
    /// The row of contrast `label` at `visit`.
    ///
    /// # Examples
    ///
    /// See [`CohortMmrm::contrasts`].
    pub fn get(&self, label: &str, visit: &str) -> Option<&ContrastRow> {
        self.rows.iter().find(|r| {
            crate::data::same_name(&r.contrast, label) && crate::data::same_name(&r.visit, visit)
        })
    }
}

impl CohortMmrm {
    /// Estimates each contrast of arms at every visit of the model from the LS-means (the
    /// model's weights), and adjusts the p-values within each visit.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when a contrast names an arm not in the model (the message lists the
    /// arms) or the list is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{ArmContrast, MmrmBuilder};
    /// use pain_outcomes::stats::multiplicity::MultiplicityMethod;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let m = MmrmBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
    /// let c: ArmContrast = "stem_cell[bone_marrow]+prp - stem_cell[bone_marrow]".parse()?;
    /// let t = m.contrasts(&[c], MultiplicityMethod::Unadjusted)?;
    /// let row = t.get("stem_cell[bone_marrow]+prp - stem_cell[bone_marrow]", "month_12").unwrap();
    /// assert!(row.estimate.computed().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contrasts(
        &self,
        contrasts: &[ArmContrast],
        multiplicity: MultiplicityMethod,
    ) -> Result<ContrastTable> {
        if contrasts.is_empty() {
            return Err(Error::invalid_argument("contrasts", "the list is empty"));
        }
        let resolved: Vec<Vec<(String, f64)>> = contrasts
            .iter()
            .map(|c| {
                c.terms
                    .iter()
                    .map(|(arm, w)| Ok((self.arms[find_name("arm", arm, &self.arms)?].clone(), *w)))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;
        let mut rows = Vec::new();
        let mut integration = None;
        let mut method = match multiplicity {
            MultiplicityMethod::Unadjusted => "none".to_string(),
            m => m.name(ContrastFamily::Custom, None),
        };
        for visit in &self.visits {
            let combinations: Vec<CellCombination> = contrasts
                .iter()
                .zip(&resolved)
                .map(|(c, terms)| CellCombination {
                    label: format!("{} at {visit}", c.label),
                    cells: terms
                        .iter()
                        .map(|(arm, w)| (vec![arm.clone(), visit.clone()], *w))
                        .collect(),
                })
                .collect();
            let family = self.fit.lsmean_combinations(
                &["arm", "visit"],
                &combinations,
                self.lsmean_weights,
            )?;
            let (adjusted, intervals) = match multiplicity {
                MultiplicityMethod::SingleStep => {
                    let kind = family_kind(contrasts, &self.arms, &self.reference_arm);
                    let (adjusted, intervals, name) = single_step(&family, contrasts, kind)?;
                    method = name;
                    integration = Some(integration_tolerance(kind));
                    (adjusted, intervals)
                }
                _ => (
                    adjust_family(&family.estimates, multiplicity)?,
                    vec![None; contrasts.len()],
                ),
            };
            for (((c, estimate), adjusted_p_value), simultaneous_interval) in contrasts
                .iter()
                .zip(family.estimates)
                .zip(adjusted)
                .zip(intervals)
            {
                rows.push(ContrastRow {
                    contrast: c.label.clone(),
                    visit: visit.clone(),
                    estimate,
                    adjusted_p_value,
                    simultaneous_interval,
                });
            }
        }
        Ok(ContrastTable {
            method,
            rows,
            integration_tolerance: integration,
        })
    }
}

impl CohortAncova {
    /// Estimates each contrast of arms at the ANCOVA's visit, p-values adjusted over the
    /// family (see [`CohortMmrm::contrasts`]).
    ///
    /// # Errors
    ///
    /// As [`CohortMmrm::contrasts`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::analysis::{AncovaBuilder, ArmContrast};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
    /// let a = AncovaBuilder::new(&cohort).instrument("nrs").fit()?.into_result()?;
    /// let pairs = ArmContrast::pairwise(&a.model.arms);
    /// let t = a.contrasts(&pairs, "holm".parse()?)?;
    /// assert_eq!(t.rows.len(), 15);
    /// assert!(t.rows.iter().all(|r| r.adjusted_p_value.is_some()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn contrasts(
        &self,
        contrasts: &[ArmContrast],
        multiplicity: MultiplicityMethod,
    ) -> Result<ContrastTable> {
        self.model.contrasts(contrasts, multiplicity)
    }
}

/// Which family the contrasts form: each arm against the reference (Dunnett), all pairs
/// (Tukey), or another set.
fn family_kind(contrasts: &[ArmContrast], arms: &[String], reference: &str) -> ContrastFamily {
    let same = |family: Vec<ArmContrast>, either_sign: bool| {
        family.len() == contrasts.len()
            && family.iter().all(|f| {
                contrasts
                    .iter()
                    .any(|c| same_weights(c, f, 1.0) || (either_sign && same_weights(c, f, -1.0)))
            })
    };
    if same(ArmContrast::versus_reference(arms, reference), false) {
        ContrastFamily::ManyToOne
    } else if same(ArmContrast::pairwise(arms), true) {
        ContrastFamily::AllPairs
    } else {
        ContrastFamily::Custom
    }
}

/// Whether `a` gives the same arms the weights of `b` times `sign`.
fn same_weights(a: &ArmContrast, b: &ArmContrast, sign: f64) -> bool {
    a.terms.len() == b.terms.len()
        && a.terms.iter().all(|(arm, w)| {
            b.terms
                .iter()
                .any(|(x, v)| crate::data::same_name(x, arm) && (sign * v - w).abs() < 1e-12)
        })
}

/// The absolute error the single-step probabilities are integrated to. Dunnett and custom
/// families (of full rank) go to the deterministic rules of the multiplicity kernel (the
/// factor rule when the correlation has the many-to-one structure of a linear model, else the
/// nested rule), which reach `5 × 10⁻⁷` in well under a second. Tukey's all-pairs family is
/// singular (K arms, K(K−1)/2 contrasts of rank K − 1): its limits have kinks the deterministic
/// rules do not resolve, so it is integrated by the randomized lattice rule to `10⁻⁶`, whose
/// cost grows about tenfold per digit (seconds for four arms, tens of seconds for five and
/// six; benches/multiplicity.md).
fn integration_tolerance(kind: ContrastFamily) -> f64 {
    match kind {
        ContrastFamily::AllPairs => 1e-6,
        _ => 5e-7,
    }
}

/// Single-step adjusted p-values and simultaneous intervals of one visit's family on the joint
/// multivariate t of its estimates (df: the smallest of the family's, which is the residual df
/// of an ANCOVA; for an MMRM's Satterthwaite df, the conservative choice), and the method's
/// name. When an estimate of the family is refused, nothing is adjusted.
#[allow(clippy::type_complexity)]
fn single_step(
    family: &CombinationFamily,
    contrasts: &[ArmContrast],
    kind: ContrastFamily,
) -> Result<(Vec<Option<f64>>, Vec<Option<ConfidenceInterval>>, String)> {
    let n = contrasts.len();
    let computed: Vec<&Estimate> = family
        .estimates
        .iter()
        .filter_map(Outcome::computed)
        .collect();
    let none = (vec![None; n], vec![None; n]);
    if computed.len() != n {
        return Ok((
            none.0,
            none.1,
            "single-step (not applied: a contrast was refused)".into(),
        ));
    }
    let df = computed
        .iter()
        .filter_map(|e| e.df)
        .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.min(d))));
    let level = computed
        .first()
        .map_or(0.95, |e| e.confidence_interval.level);
    let covariance = DMatrix::from_fn(n, n, |i, j| {
        family
            .covariance
            .get(i)
            .and_then(|r| r.get(j))
            .copied()
            .unwrap_or(0.0)
    });
    let joint = Contrasts {
        family: kind,
        labels: contrasts.iter().map(|c| c.label.clone()).collect(),
        estimates: computed.iter().map(|e| e.estimate).collect(),
        covariance,
    };
    let options = SimultaneousOptions::default()
        .with_level(level)
        .with_integration(
            IntegrationOptions::default().with_absolute_tolerance(integration_tolerance(kind)),
        );
    match simultaneous_inference(&joint, df, &options)? {
        Outcome::Computed(s) => Ok((
            s.contrasts
                .iter()
                .map(|c| Some(c.adjusted_p_value))
                .collect(),
            s.contrasts
                .iter()
                .map(|c| c.simultaneous_interval)
                .collect(),
            s.method_name.clone(),
        )),
        Outcome::Refused(r) => Ok((
            none.0,
            none.1,
            format!("single-step (not applied: {})", r.detail),
        )),
    }
}

/// The adjusted p-values of a family (over its computed estimates; `None` for refused ones or
/// without adjustment).
fn adjust_family(
    estimates: &[Outcome<Estimate>],
    multiplicity: MultiplicityMethod,
) -> Result<Vec<Option<f64>>> {
    let Some(method) = multiplicity.p_adjust() else {
        return Ok(vec![None; estimates.len()]);
    };
    let p: Vec<f64> = estimates
        .iter()
        .filter_map(Outcome::computed)
        .map(|e| e.p_value)
        .collect();
    let mut adjusted = adjust_p_values(&p, method)?.into_iter();
    Ok(estimates
        .iter()
        .map(|e| e.computed().and_then(|_| adjusted.next()))
        .collect())
}
