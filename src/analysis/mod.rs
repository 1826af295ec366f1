//! Study questions asked of a [`Cohort`](crate::Cohort): trajectories by arm and visit,
//! responders, ANCOVA at a visit, the MMRM, time to event and time to loss of response.
//!
//! This layer owns what a study decides before any number is computed: which patients form
//! the arms ([`ArmBy`](crate::data::ArmBy)), which arm is the reference
//! ([`reference_arm`]), and who was left out of each analysis and why ([`Attrition`]). The
//! numbers themselves come from the slice kernels of [`stats`](crate::stats); the printing of
//! the results lives in [`report`](crate::report).

mod adjusted_responders;
mod ancova;
mod arms;
mod comparison;
mod contrasts;
mod covariates;
mod loss_of_response;
mod meta;
mod mmrm;
mod observational;
mod responders;
mod subgroups;
mod time_to_event;
mod trajectories;
mod trajectory_model;

pub use adjusted_responders::{AdjustedArmComparison, AdjustedResponders, adjusted_responders};
pub use ancova::{AncovaAtVisit, AncovaBuilder, CohortAncova, ancova_at_visit};
pub use arms::{
    ArmAttrition, Attrition, CovariateMissing, ExclusionCount, ExclusionReason,
    default_reference_arm, reference_arm,
};
pub use comparison::{TherapyComparison, TherapyComparisonOptions, compare_therapies};
pub use contrasts::{ArmContrast, ContrastRow, ContrastTable};
pub use covariates::Covariate;
pub use loss_of_response::{
    EndpointAnalysis, LossOfResponseData, LossOfResponseOptions, analyse_endpoint,
    time_to_loss_of_response,
};
pub use meta::{
    ExcludedStudy, FunnelRow, LeftOut, MetaAnalysis, MetaAnalysisOptions, MetaRegressionOn,
    MetaSubgroupEstimate, MetaSubgroups, StudyEffect, meta_analysis,
};
pub use mmrm::{CohortMmrm, MmrmBuilder, Response};
pub use observational::{
    ArmBaselineBalance, BalanceRow, BalanceTable, BaselineBalance, BaselineSmd, ChangeEffects,
    EffectiveSampleSizes, GeneralisedPropensity, GeneralisedUnit, GroupSize, MatchedPatients,
    PropensityCovariate, PropensityMatching, PropensityUnit, RegistryComparison, RegistryOptions,
    ResponderEffects, ResponderRates, SurgeryEffects, SurgeryFreeAt, baseline_balance,
    generalised_propensity, registry_comparison,
};
pub use responders::{
    ArmOnset, ResponderAnalysis, ResponderAnalysisOptions, ResponderCell, ResponderTable,
    RuleChoice, responder_analysis, responders_by_arm_and_visit,
};
pub use subgroups::{
    EffectModifier, ResponderSubgroups, SubgroupAnalysis, SubgroupEstimate, SubgroupModel,
    SubgroupOptions, SubgroupResponders, SubgroupSize, responder_subgroups, subgroup_analysis,
};
pub use time_to_event::{
    ArmSurvival, Clustering, CoxAnalysis, FollowUpEnds, Stratification, TimeToEventAnalysis,
    TimeToEventOptions, analyse_time_to_event,
};
pub use trajectories::{
    AreaByArm, ArmArea, ArmVisitSummary, Trajectories, area_by_arm, describe_by_arm_and_visit,
};
pub use trajectory_model::{
    ArmSlope, CoursePoint, CurvePoint, DAYS_PER_YEAR, PatientEffects, TimeScale, TrajectoryFit,
    TrajectoryModel,
};
