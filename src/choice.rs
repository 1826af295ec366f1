//! Option enums parsed from their short codes, as the examples' flags and configuration files
//! spell them: case-insensitive, `-` and `_` alike (`treatment-policy` = `treatment_policy`).

use crate::analysis::{Clustering, Response, Stratification};
use crate::data::{ArmBy, EventEndpoint};
use crate::stats::describe::MissingVisitPolicy;
use crate::stats::meta::{EffectMeasure, MetaInference, MetaMethod};
use crate::stats::mmrm::LsMeanWeights;
use crate::stats::multiplicity::adjust::AdjustMethod;
use crate::stats::multiplicity::{ContrastFamily, MultiplicityMethod};
use crate::stats::responders::{IntercurrentStrategy, MissingPolicy};
use crate::stats::survival::{ConfidenceType, Ties};

/// The lookup key of a code: trimmed, lower case, `-` as `_`.
pub(crate) fn code_key(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace('-', "_")
}

/// Implements `FromStr` for an option enum from its codes (the first code of each variant is
/// the one listed in error messages).
macro_rules! parse_by_code {
    ($ty:ty, $what:literal, { $($variant:expr => [$($code:literal),+]),+ $(,)? }) => {
        impl std::str::FromStr for $ty {
            type Err = crate::Error;

            fn from_str(s: &str) -> crate::Result<Self> {
                let key = code_key(s);
                $(
                    if [$($code),+].contains(&key.as_str()) {
                        return Ok($variant);
                    }
                )+
                let codes: Vec<&str> = vec![$([$($code),+][0]),+];
                Err(crate::Error::invalid_argument(
                    $what,
                    format!("`{s}` is not one of {}", codes.join(", ")),
                ))
            }
        }
    };
}

parse_by_code!(ArmBy, "arms", {
    ArmBy::Arm => ["arm"],
    ArmBy::Therapy => ["therapy"],
    ArmBy::TherapyAndCellSource => ["therapy+cell_source"],
});
parse_by_code!(MissingPolicy, "missing", {
    MissingPolicy::NonResponderImputation => ["nri", "non_responder_imputation"],
    MissingPolicy::ObservedCases => ["observed", "observed_cases"],
});
parse_by_code!(IntercurrentStrategy, "intercurrent", {
    IntercurrentStrategy::NonResponse => ["non_response", "composite"],
    IntercurrentStrategy::TreatmentPolicy => ["treatment_policy"],
});
parse_by_code!(Stratification, "stratification", {
    Stratification::None => ["none"],
    Stratification::Site => ["site"],
    Stratification::Condition => ["condition"],
});
parse_by_code!(Clustering, "clustering", {
    Clustering::None => ["none"],
    Clustering::Site => ["site"],
});
parse_by_code!(Ties, "ties", {
    Ties::Efron => ["efron"],
    Ties::Breslow => ["breslow"],
});
parse_by_code!(ConfidenceType, "confidence_type", {
    ConfidenceType::LogLog => ["log_log"],
    ConfidenceType::Log => ["log"],
    ConfidenceType::Plain => ["plain"],
});
parse_by_code!(LsMeanWeights, "weights", {
    LsMeanWeights::Equal => ["equal"],
    LsMeanWeights::Proportional => ["proportional"],
});
parse_by_code!(MissingVisitPolicy, "missing_visits", {
    MissingVisitPolicy::SkipMissing => ["skip_missing"],
    MissingVisitPolicy::RequireComplete => ["require_complete"],
});
parse_by_code!(Response, "response", {
    Response::ChangeFromBaseline => ["change", "change_from_baseline"],
    Response::Score => ["score"],
});
parse_by_code!(EffectMeasure, "measure", {
    EffectMeasure::MeanDifference => ["md", "mean_difference"],
    EffectMeasure::StandardizedMeanDifference => ["smd", "hedges_g", "g"],
    EffectMeasure::LogRiskRatio => ["rr", "log_rr", "risk_ratio"],
    EffectMeasure::LogOddsRatio => ["or", "log_or", "odds_ratio"],
});
parse_by_code!(MetaMethod, "method", {
    MetaMethod::FixedEffect => ["fe", "fixed", "fixed_effect", "ee", "ce"],
    MetaMethod::DerSimonianLaird => ["dl", "dersimonian_laird"],
    MetaMethod::Reml => ["reml"],
    MetaMethod::PauleMandel => ["pm", "paule_mandel"],
});
parse_by_code!(MetaInference, "test", {
    MetaInference::Normal => ["z", "normal"],
    MetaInference::KnappHartung => ["knha", "knapp_hartung", "hksj"],
});
parse_by_code!(EventEndpoint, "endpoint", {
    EventEndpoint::Surgery => ["surgery"],
    EventEndpoint::RescueMedication => ["rescue_medication", "rescue"],
    EventEndpoint::LossOfResponse => ["loss_of_response"],
});

parse_by_code!(AdjustMethod, "adjust", {
    AdjustMethod::Bonferroni => ["bonferroni"],
    AdjustMethod::Holm => ["holm"],
    AdjustMethod::Hochberg => ["hochberg"],
    AdjustMethod::BenjaminiHochberg => ["bh", "fdr", "benjamini_hochberg"],
});
parse_by_code!(MultiplicityMethod, "multiplicity", {
    MultiplicityMethod::SingleStep => ["single_step", "single_step_maxt", "dunnett", "tukey", "mvt"],
    MultiplicityMethod::Bonferroni => ["bonferroni"],
    MultiplicityMethod::Holm => ["holm"],
    MultiplicityMethod::Hochberg => ["hochberg"],
    MultiplicityMethod::BenjaminiHochberg => ["bh", "fdr", "benjamini_hochberg"],
    MultiplicityMethod::Unadjusted => ["none", "unadjusted"],
});
parse_by_code!(ContrastFamily, "comparisons", {
    ContrastFamily::ManyToOne => ["many_to_one", "dunnett"],
    ContrastFamily::AllPairs => ["all_pairs", "tukey", "pairwise"],
    ContrastFamily::Custom => ["custom"],
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_case_and_dash_insensitively() {
        assert_eq!(
            "Treatment-Policy".parse::<IntercurrentStrategy>().unwrap(),
            IntercurrentStrategy::TreatmentPolicy
        );
        assert_eq!(
            "nri".parse::<MissingPolicy>().unwrap(),
            MissingPolicy::NonResponderImputation
        );
        assert_eq!(
            "log-log".parse::<ConfidenceType>().unwrap(),
            ConfidenceType::LogLog
        );
        let e = "sometimes"
            .parse::<Stratification>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("none, site, condition"), "{e}");
    }
}
