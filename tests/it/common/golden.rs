//! Golden files (`tests/golden/*.json`) read into typed records, and the provenance record
//! every one of them carries (written by `tests/reference/provenance.R`).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The directory of the golden files.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Reads the golden file `tests/golden/<name>.json` into `T`.
#[track_caller]
pub fn load<T: DeserializeOwned>(name: &str) -> T {
    read(dir().join(format!("{name}.json")))
}

/// Reads a golden file into `T`; a missing file or a field of the wrong shape names the file.
#[track_caller]
pub fn read<T: DeserializeOwned>(path: impl AsRef<Path>) -> T {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("golden file {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden file {}: {e}", path.display()))
}

/// Where a golden's reference values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Computed by third-party software (R and its packages, SAS).
    ThirdParty,
    /// Computed by the project's own reference script, an implementation of the published
    /// formulas independent of the crate's code.
    IndependentScript,
}

/// The provenance record of a golden file: one schema for all of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub source: Source,
    /// The program that ran the script ("R").
    pub tool: String,
    pub tool_version: String,
    /// Package name -> version, for every package the values depend on.
    pub packages: BTreeMap<String, String>,
    /// The script that writes the golden, relative to the crate root.
    pub script: String,
    /// Date of the run, `YYYY-MM-DD`.
    pub generated: String,
    /// Input files relative to the crate root; empty when the script generates its inputs.
    pub data: Vec<String>,
    /// What was computed, and how, when `tool` alone does not say.
    pub method: Option<String>,
    /// The model fitted, where there is one.
    pub model: Option<String>,
    pub notes: Option<String>,
    /// Golden-specific metadata (the script's own cross-checks, run time); never compared.
    pub details: Option<BTreeMap<String, serde_json::Value>>,
}

/// One `survfit` curve as the survival goldens record it (`km_record` in
/// `tests/reference/survival_common.R`). Optional numbers: JSON null = R `NA`/`Inf`.
#[derive(Debug, Clone, Deserialize)]
pub struct KmRecord {
    pub time: Vec<f64>,
    pub n_risk: Vec<f64>,
    pub n_event: Vec<f64>,
    pub n_censor: Vec<f64>,
    pub surv: Vec<f64>,
    /// Standard error of the log survival.
    pub std_err: Vec<Option<f64>>,
    pub lower: Vec<Option<f64>>,
    pub upper: Vec<Option<f64>>,
    pub median: Option<f64>,
    pub median_lower: Option<f64>,
    pub median_upper: Option<f64>,
    pub at: KmAt,
}

/// `summary(fit, times = times)`: R drops the times beyond the last observation.
#[derive(Debug, Clone, Deserialize)]
pub struct KmAt {
    pub times: Vec<f64>,
    pub n_risk: Vec<f64>,
    pub surv: Vec<Option<f64>>,
    pub std_err: Vec<Option<f64>>,
    pub lower: Vec<Option<f64>>,
    pub upper: Vec<Option<f64>>,
}

/// The per-coefficient columns of an R `summary(coxph)` record, in coefficient order.
#[derive(Debug, Deserialize)]
pub struct CoxRows {
    /// Log hazard ratios.
    pub coef: Vec<f64>,
    /// Standard errors (robust with clustering).
    pub se: Vec<f64>,
    /// With clustering: the model-based SEs beside the robust ones.
    pub naive_se: Option<Vec<f64>>,
    /// Wald z statistics.
    pub z: Vec<f64>,
    /// Two-sided p-values.
    pub p: Vec<f64>,
    /// Lower limits of the hazard ratios.
    pub hr_lower: Vec<f64>,
    /// Upper limits of the hazard ratios.
    pub hr_upper: Vec<f64>,
}

impl CoxRows {
    /// Checks coefficient `c` against row `k`, to the iterative-fit tolerance.
    #[track_caller]
    pub fn check(&self, k: usize, c: &pain_outcomes::stats::survival::CoxCoefficient, what: &str) {
        use crate::common::tol::{ITERATIVE, assert_all_close, assert_close};
        assert_close(&format!("{what} coef"), c.estimate, self.coef[k], ITERATIVE);
        assert_close(&format!("{what} se"), c.std_error, self.se[k], ITERATIVE);
        if let Some(ns) = &self.naive_se {
            let naive = c
                .naive_std_error
                .expect("a model-based SE beside the robust one");
            assert_close(&format!("{what} naive se"), naive, ns[k], ITERATIVE);
        }
        assert_all_close(
            what,
            ITERATIVE,
            &[
                ("z", c.statistic, self.z[k]),
                ("p", c.p_value, self.p[k]),
                ("HR lower", c.confidence_interval.lower, self.hr_lower[k]),
                ("HR upper", c.confidence_interval.upper, self.hr_upper[k]),
            ],
        );
    }
}
