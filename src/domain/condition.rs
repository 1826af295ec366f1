//! Conditions treated and their body sites.

use super::parse::category;

category! {
    /// The anatomical region a condition affects.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{BodySite, Condition};
    /// assert_eq!(Condition::AchillesTendinopathy.body_site(), BodySite::Ankle);
    /// ```
    BodySite, "body site" {
        /// Knee.
        Knee = "knee",
        /// Hip.
        Hip = "hip",
        /// Shoulder.
        Shoulder = "shoulder",
        /// Elbow.
        Elbow = "elbow",
        /// Ankle and Achilles tendon.
        Ankle = "ankle",
        /// Lumbar spine.
        LumbarSpine = "lumbar_spine",
        /// Cervical spine.
        CervicalSpine = "cervical_spine",
        /// Not tied to one site (for example post-surgical recovery at any site).
        Unspecified = "unspecified",
    }
}

category! {
    /// A condition treated in the cohort.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{BodySite, Condition};
    /// let c: Condition = "knee_oa".parse().unwrap();
    /// assert_eq!(c, Condition::KneeOsteoarthritis);
    /// assert_eq!(c.body_site(), BodySite::Knee);
    /// assert_eq!(c.to_string(), "knee_oa");
    /// ```
    Condition, "condition" {
        /// Knee osteoarthritis.
        KneeOsteoarthritis = "knee_oa",
        /// Hip osteoarthritis.
        HipOsteoarthritis = "hip_oa",
        /// Glenohumeral (shoulder) osteoarthritis.
        ShoulderOsteoarthritis = "shoulder_oa",
        /// Lateral epicondylitis (tennis elbow).
        LateralEpicondylitis = "lateral_epicondylitis" | "tennis_elbow",
        /// Achilles tendinopathy.
        AchillesTendinopathy = "achilles_tendinopathy",
        /// Rotator-cuff tendinopathy.
        RotatorCuffTendinopathy = "rotator_cuff_tendinopathy",
        /// Patellar tendinopathy (jumper's knee).
        PatellarTendinopathy = "patellar_tendinopathy",
        /// Lumbar degenerative disc disease.
        DegenerativeDiscDisease = "degenerative_disc_disease" | "ddd",
        /// Anterior cruciate ligament tear.
        AclTear = "acl_tear",
        /// Meniscus tear.
        MeniscusTear = "meniscus_tear",
        /// Recovery after surgery.
        PostSurgical = "post_surgical",
    }
}

impl Condition {
    /// The body site the condition affects.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{BodySite, Condition};
    /// assert_eq!(Condition::DegenerativeDiscDisease.body_site(), BodySite::LumbarSpine);
    /// ```
    pub fn body_site(self) -> BodySite {
        match self {
            Condition::KneeOsteoarthritis
            | Condition::PatellarTendinopathy
            | Condition::AclTear
            | Condition::MeniscusTear => BodySite::Knee,
            Condition::HipOsteoarthritis => BodySite::Hip,
            Condition::ShoulderOsteoarthritis | Condition::RotatorCuffTendinopathy => {
                BodySite::Shoulder
            }
            Condition::LateralEpicondylitis => BodySite::Elbow,
            Condition::AchillesTendinopathy => BodySite::Ankle,
            Condition::DegenerativeDiscDisease => BodySite::LumbarSpine,
            Condition::PostSurgical => BodySite::Unspecified,
        }
    }
}
