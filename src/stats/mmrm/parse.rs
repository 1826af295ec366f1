//! Parsing of the MMRM option enums from their short codes (command lines, configuration).

use std::str::FromStr;

use super::{CovarianceStructure, DfMethod, Estimation};
use crate::Error;

impl FromStr for CovarianceStructure {
    type Err = Error;

    /// Parses the short code (`us`, `cs`, `csh`, `ar1`, `arh1`, `toep`, `toeph`, `ad`, `sp_exp`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::CovarianceStructure;
    /// assert_eq!("ar1".parse::<CovarianceStructure>().unwrap(), CovarianceStructure::Ar1);
    /// assert!("xyz".parse::<CovarianceStructure>().is_err());
    /// ```
    fn from_str(s: &str) -> crate::Result<Self> {
        use CovarianceStructure as C;
        [
            C::Unstructured,
            C::CompoundSymmetry,
            C::HeterogeneousCompoundSymmetry,
            C::Ar1,
            C::HeterogeneousAr1,
            C::Toeplitz,
            C::HeterogeneousToeplitz,
            C::AnteDependence,
            C::SpatialExponential,
        ]
        .into_iter()
        .find(|c| c.code().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            Error::invalid_argument(
                "covariance",
                format!("`{s}` is not one of us, cs, csh, ar1, arh1, toep, toeph, ad, sp_exp"),
            )
        })
    }
}

impl FromStr for Estimation {
    type Err = Error;

    /// Parses `reml` or `ml`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::Estimation;
    /// assert_eq!("ML".parse::<Estimation>().unwrap(), Estimation::Ml);
    /// ```
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reml" => Ok(Estimation::Reml),
            "ml" => Ok(Estimation::Ml),
            _ => Err(Error::invalid_argument(
                "method",
                format!("`{s}` is not reml or ml"),
            )),
        }
    }
}

impl FromStr for DfMethod {
    type Err = Error;

    /// Parses `satterthwaite`, `kenward-roger` or `kenward-roger-linear`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::stats::mmrm::DfMethod;
    /// assert_eq!("kenward-roger".parse::<DfMethod>().unwrap(), DfMethod::KenwardRoger);
    /// ```
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "satterthwaite" => Ok(DfMethod::Satterthwaite),
            "kenward-roger" | "kr" => Ok(DfMethod::KenwardRoger),
            "kenward-roger-linear" | "kr-linear" => Ok(DfMethod::KenwardRogerLinear),
            _ => Err(Error::invalid_argument(
                "df",
                format!("`{s}` is not satterthwaite, kenward-roger or kenward-roger-linear"),
            )),
        }
    }
}
