//! Text tables: the `Display` of every analysis result, compact and R-like.

use crate::analysis::{ContrastTable, ResponderSubgroups, SubgroupAnalysis};
use std::fmt;

use crate::Outcome;
use crate::analysis::{
    AdjustedResponders, AncovaAtVisit, AreaByArm, Attrition, Clustering, CohortAncova, CohortMmrm,
    Covariate, EndpointAnalysis, ExclusionReason, LossOfResponseData, ResponderAnalysis,
    ResponderTable, Response, Stratification, TherapyComparison, TimeToEventAnalysis, Trajectories,
};
use crate::stats::ArmDifference;
use crate::stats::describe::Describe;
use crate::stats::mmrm::MmrmFit;
use crate::stats::responders::{IntercurrentStrategy, MissingPolicy, RatioEstimate};

impl fmt::Display for LossOfResponseData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "loss of response on {}: {} responders analysed",
            self.instrument,
            self.data.time.len()
        )?;
        write!(f, "{}", self.attrition)
    }
}

/// Who was analysed and who was left out, by arm: one column per reason that occurs.
impl fmt::Display for Attrition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut reasons: Vec<ExclusionReason> = Vec::new();
        for e in self.arms.iter().flat_map(|a| &a.excluded) {
            if !reasons.contains(&e.reason) {
                reasons.push(e.reason);
            }
        }
        write!(f, "{:<28} {:>9}", "arm", "analysed")?;
        for r in &reasons {
            write!(f, " {:>w$}", r.code(), w = r.code().len().max(6))?;
        }
        writeln!(f)?;
        for a in &self.arms {
            write!(f, "{:<28} {:>9}", a.arm, a.analysed)?;
            for r in &reasons {
                write!(f, " {:>w$}", a.excluded_for(*r), w = r.code().len().max(6))?;
            }
            writeln!(f)?;
        }
        for c in &self.missing_by_covariate {
            writeln!(f, "  missing {}: {}", c.covariate, c.patients)?;
        }
        Ok(())
    }
}
fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "not reached".to_string(), |v| format!("{v:.digits$}"))
}

impl fmt::Display for TimeToEventAnalysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "time to {} (days from first treatment); reference arm: {}",
            self.endpoint, self.reference_arm
        )?;
        let out = self.attrition.excluded_for(ExclusionReason::NoFollowUpTime);
        if out > 0 {
            writeln!(f, "excluded (no follow-up after day 0): {out}")?;
        }
        follow_up_table(f, self)?;
        writeln!(f)?;
        let level = kaplan_meier_table(f, self)?;
        rmst_table(f, self, level)?;
        writeln!(f)?;
        log_rank_lines(f, self)?;
        writeln!(f)?;
        cox_lines(f, self)
    }
}

/// How follow-up ended, per arm.
fn follow_up_table(f: &mut fmt::Formatter<'_>, t: &TimeToEventAnalysis) -> fmt::Result {
    writeln!(
        f,
        "{:<28} {:>5} {:>7} {:>12} {:>9} {:>11} {:>12} {:>12}",
        "arm",
        "n",
        "events",
        "intercurrent",
        "censored",
        "withdrawal",
        "last contact",
        "last assess."
    )?;
    for a in &t.arms {
        let u = &a.follow_up;
        writeln!(
            f,
            "{:<28} {:>5} {:>7} {:>12} {:>9} {:>11} {:>12} {:>12}",
            a.arm,
            a.n,
            u.events,
            u.intercurrent_events,
            u.censored(),
            u.withdrawals,
            u.last_contact,
            u.last_assessment
        )?;
    }
    Ok(())
}

/// Kaplan–Meier medians and survival at the chosen days, per arm; returns the confidence
/// level in percent.
fn kaplan_meier_table(
    f: &mut fmt::Formatter<'_>,
    t: &TimeToEventAnalysis,
) -> Result<f64, fmt::Error> {
    let level = t
        .arms
        .iter()
        .find_map(|a| a.kaplan_meier.computed().map(|k| k.confidence_level))
        .unwrap_or(0.95)
        * 100.0;
    let times: Vec<f64> = t
        .arms
        .iter()
        .find(|a| !a.survival_at.is_empty())
        .map(|a| a.survival_at.iter().map(|s| s.time).collect())
        .unwrap_or_default();
    write!(
        f,
        "{:<28} {:>26}",
        "Kaplan-Meier",
        format!("median [{level:.0}% CI]")
    )?;
    for t in &times {
        write!(f, " {:>26}", format!("S({t}) [CI] at risk"))?;
    }
    writeln!(f)?;
    for a in &t.arms {
        match &a.kaplan_meier {
            Outcome::Computed(k) => {
                let m = &k.median;
                write!(
                    f,
                    "{:<28} {:>26}",
                    a.arm,
                    format!(
                        "{} [{}, {}]",
                        opt(m.estimate, 0),
                        opt(m.lower, 0),
                        opt(m.upper, 0)
                    )
                )?;
                for s in &a.survival_at {
                    write!(
                        f,
                        " {:>26}",
                        format!(
                            "{} [{}, {}] {}",
                            opt(s.survival, 3),
                            opt(s.lower, 3),
                            opt(s.upper, 3),
                            s.n_risk
                        )
                    )?;
                }
                writeln!(f)?;
            }
            Outcome::Refused(r) => writeln!(f, "{:<28} {r}", a.arm)?,
        }
    }
    Ok(level)
}

/// RMST per arm and its difference from the reference arm (nothing without a horizon).
fn rmst_table(f: &mut fmt::Formatter<'_>, t: &TimeToEventAnalysis, level: f64) -> fmt::Result {
    if let Some(tau) = t.tau {
        writeln!(f)?;
        writeln!(
            f,
            "restricted mean survival time up to tau = {tau} days [{level:.0}% CI]; difference vs {}",
            t.reference_arm
        )?;
        let mut diffs = t.rmst_differences.iter();
        for a in &t.arms {
            let rmst = match &a.rmst {
                Some(Outcome::Computed(r)) => {
                    format!("{:.1} (se {:.1})", r.estimate, r.std_error)
                }
                Some(Outcome::Refused(r)) => r.reason.code().to_string(),
                None => "-".to_string(),
            };
            let diff = if a.arm == t.reference_arm {
                "reference".to_string()
            } else {
                match diffs.next() {
                    Some(Outcome::Computed(d)) => format!(
                        "{:+.1} [{:+.1}, {:+.1}] p = {:.3e}",
                        d.difference.estimate,
                        d.difference.confidence_interval.lower,
                        d.difference.confidence_interval.upper,
                        d.difference.p_value
                    ),
                    Some(Outcome::Refused(r)) => r.reason.code().to_string(),
                    None => String::new(),
                }
            };
            writeln!(f, "{:<28} {:>18}   {diff}", a.arm, rmst)?;
        }
    }
    Ok(())
}

/// The log-rank tests.
fn log_rank_lines(f: &mut fmt::Formatter<'_>, t: &TimeToEventAnalysis) -> fmt::Result {
    match &t.log_rank {
        Outcome::Computed(l) => writeln!(f, "log-rank test: {}", l.test)?,
        Outcome::Refused(r) => writeln!(f, "log-rank test: {r}")?,
    }
    if let Some(s) = &t.log_rank_stratified {
        match s {
            Outcome::Computed(l) => writeln!(
                f,
                "log-rank test stratified by {:?} ({} strata): {}",
                t.cox.stratification, l.n_strata, l.test
            )?,
            Outcome::Refused(r) => writeln!(f, "stratified log-rank test: {r}")?,
        }
    }
    Ok(())
}

/// The Cox model and its proportional-hazards test.
fn cox_lines(f: &mut fmt::Formatter<'_>, t: &TimeToEventAnalysis) -> fmt::Result {
    let c = &t.cox;
    writeln!(
        f,
        "Cox model: ~ {} (arm vs {}){}{}; {} analysed, {} excluded for missing values",
        c.formula,
        t.reference_arm,
        match c.stratification {
            Stratification::None => String::new(),
            s => format!(", strata({s:?})"),
        },
        match c.clustering {
            Clustering::None => String::new(),
            Clustering::Site => ", robust SE clustered by site".to_string(),
        },
        c.attrition.total_analysed(),
        c.attrition.total_excluded()
    )?;
    match &c.fit {
        Outcome::Computed(fit) => writeln!(f, "{fit}")?,
        Outcome::Refused(r) => writeln!(f, "  {r}")?,
    }
    match &c.proportional_hazards {
        Some(Outcome::Computed(z)) => write!(f, "{z}")?,
        Some(Outcome::Refused(r)) => write!(f, "proportional hazards test: {r}")?,
        None => {}
    }
    Ok(())
}

/// The fit, its certificate, the covariance over visits, LS-means, differences from the
/// reference arm and Type III tests.
impl fmt::Display for CohortMmrm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fit = &self.fit;
        let response = match self.response {
            Response::ChangeFromBaseline => "change from baseline",
            Response::Score => "score",
        };
        writeln!(
            f,
            "MMRM: {} {response} ~ {}   ({} patients, {} observations)",
            self.instrument, self.formula, fit.n_subjects, fit.n_observations
        )?;
        attrition_lines(f, self)?;
        let c = &fit.certificate;
        writeln!(
            f,
            "\nfit certificate: {:?}, covariance {}, df {:?}; attempt {}, {} iterations, {} evaluations, \
gradient norm {:.2e}, Newton decrement {:.2e}, Hessian {} (min scaled eigenvalue {:.3e})",
            fit.method,
            fit.covariance.code(),
            fit.df_method,
            c.attempt,
            c.iterations,
            c.evaluations,
            c.gradient_norm,
            c.newton_decrement,
            if c.hessian_positive_definite {
                "positive definite"
            } else {
                "NOT positive definite"
            },
            c.hessian_min_scaled_eigenvalue
        )?;
        let s = &fit.fit_statistics;
        writeln!(
            f,
            "logLik {:.4}   -2logLik {:.4}   AIC {:.4}   AICc {:.4}   BIC {:.4}   ({} parameters)",
            s.log_likelihood, s.minus_two_log_likelihood, s.aic, s.aicc, s.bic, s.n_parameters
        )?;
        covariance_over_visits(f, fit, &self.visits)?;
        model_tables(f, self, response)
    }
}

/// Patients excluded and used per arm, and the reference arm, of a cohort-level linear model.
fn attrition_lines(f: &mut fmt::Formatter<'_>, m: &CohortMmrm) -> fmt::Result {
    let e = &m.attrition;
    writeln!(
        f,
        "excluded patients: {} without baseline, {} missing a covariate, {} without follow-up (total {})",
        e.excluded_for(ExclusionReason::NoBaseline),
        e.excluded_for(ExclusionReason::MissingCovariate),
        e.excluded_for(ExclusionReason::NoFollowUp),
        e.total_excluded()
    )?;
    writeln!(
        f,
        "patients per arm: {}; reference arm {}",
        m.patients_per_arm()
            .iter()
            .map(|(a, n)| format!("{a} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        m.reference_arm
    )?;
    Ok(())
}

/// The LS-means, the differences from the reference arm and the Type III tests of a
/// cohort-level linear model.
fn model_tables(f: &mut fmt::Formatter<'_>, m: &CohortMmrm, response: &str) -> fmt::Result {
    writeln!(f, "\nLS-means ({response}):")?;
    writeln!(
        f,
        "{:<26} {:<10} {:>8} {:>7} {:>7} {:>18}",
        "arm", "visit", "LS-mean", "SE", "df", "CI"
    )?;
    for l in &m.lsmeans {
        let get = |k: &str| {
            l.cell
                .iter()
                .find(|(factor, _)| factor == k)
                .map_or("", |(_, v)| v.as_str())
        };
        match &l.estimate {
            Outcome::Computed(e) => writeln!(
                f,
                "{:<26} {:<10} {:>8.3} {:>7.3} {:>7.1} [{:>7.3}, {:>7.3}]",
                get("arm"),
                get("visit"),
                e.estimate,
                e.std_error,
                e.df.unwrap_or(f64::NAN),
                e.confidence_interval.lower,
                e.confidence_interval.upper
            )?,
            Outcome::Refused(x) => writeln!(
                f,
                "{:<26} {:<10} refused: {}",
                get("arm"),
                get("visit"),
                x.detail
            )?,
        }
    }
    writeln!(f, "\ndifferences vs {} by visit:", m.reference_arm)?;
    writeln!(f, "{}", ArmDifference::table_header())?;
    for d in &m.differences {
        match d {
            Outcome::Computed(d) => writeln!(f, "{d}")?,
            Outcome::Refused(x) => writeln!(f, "refused: {}", x.detail)?,
        }
    }
    writeln!(f, "\nType III tests:")?;
    writeln!(
        f,
        "{:<24} {:>6} {:>9} {:>10} {:>10}",
        "term", "num df", "den df", "F", "p"
    )?;
    for t in &m.type3 {
        match t {
            Outcome::Computed(t) => writeln!(
                f,
                "{:<24} {:>6} {:>9.2} {:>10.4} {:>10.4}",
                t.label, t.df_numerator, t.df_denominator, t.statistic, t.p_value
            )?,
            Outcome::Refused(x) => writeln!(f, "refused: {}", x.detail)?,
        }
    }
    Ok(())
}

impl fmt::Display for CohortAncova {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.model;
        let fit = &m.fit;
        writeln!(
            f,
            "ANCOVA at {}: {} score ~ {}   ({} patients)",
            self.visit, m.instrument, m.formula, fit.n_subjects
        )?;
        attrition_lines(f, m)?;
        let sigma = fit
            .covariance_matrices
            .first()
            .and_then(|c| c.first())
            .and_then(|r| r.first())
            .map_or(f64::NAN, |v| v.sqrt());
        writeln!(f, "residual standard error {sigma:.4}")?;
        writeln!(f, "\ncoefficients:")?;
        writeln!(
            f,
            "{:<40} {:>10} {:>9} {:>8} {:>10}",
            "term", "estimate", "SE", "df", "p"
        )?;
        for c in &fit.coefficients {
            writeln!(
                f,
                "{:<40} {:>10.4} {:>9.4} {:>8.1} {:>10.4}",
                c.label,
                c.estimate,
                c.std_error,
                c.df.unwrap_or(f64::NAN),
                c.p_value
            )?;
        }
        model_tables(f, m, "score")
    }
}

/// The estimated covariance matrix over the visits (first group) and its correlations.
fn covariance_over_visits(
    f: &mut fmt::Formatter<'_>,
    fit: &MmrmFit,
    visits: &[String],
) -> fmt::Result {
    let Some(m) = fit.covariance_matrices.first() else {
        return Ok(());
    };
    writeln!(f, "\ncovariance over visits ({}):", fit.covariance.code())?;
    write!(f, "{:<12}", "")?;
    for v in visits {
        write!(f, "{v:>10}")?;
    }
    writeln!(f)?;
    for (v, row) in visits.iter().zip(m) {
        write!(f, "{v:<12}")?;
        for x in row {
            write!(f, "{x:>10.4}")?;
        }
        writeln!(f)?;
    }
    writeln!(f, "correlations:")?;
    for (i, (v, row)) in visits.iter().zip(m).enumerate() {
        write!(f, "{v:<12}")?;
        for (j, x) in row.iter().enumerate() {
            write!(f, "{:>10.3}", x / (m[i][i] * m[j][j]).sqrt())?;
        }
        writeln!(f)?;
    }
    Ok(())
}

impl fmt::Display for MmrmFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "MMRM ({:?}, covariance {}, df {:?}): {} subjects, {} observations, {} blocks",
            self.method,
            self.covariance.code(),
            self.df_method,
            self.n_subjects,
            self.n_observations,
            self.n_blocks
        )?;
        let s = &self.fit_statistics;
        writeln!(
            f,
            "-2 log L {:.4}  AIC {:.4}  AICc {:.4}  BIC {:.4}",
            s.minus_two_log_likelihood, s.aic, s.aicc, s.bic
        )?;
        writeln!(
            f,
            "converged: attempt {}, {} iterations, gradient norm {:.2e}",
            self.certificate.attempt, self.certificate.iterations, self.certificate.gradient_norm
        )?;
        writeln!(f, "\nCoefficients:")?;
        writeln!(
            f,
            "{:<32} {:>10} {:>9} {:>8} {:>8} {:>10}",
            "", "Estimate", "Std.Err", "df", "t", "Pr(>|t|)"
        )?;
        for c in &self.coefficients {
            writeln!(
                f,
                "{:<32} {:>10.4} {:>9.4} {:>8.2} {:>8.2} {:>10.4}",
                c.label,
                c.estimate,
                c.std_error,
                c.df.unwrap_or(f64::NAN),
                c.statistic,
                c.p_value
            )?;
        }
        writeln!(f, "\nCovariance parameters:")?;
        for c in &self.covariance_parameters {
            writeln!(f, "{:<12} {:<10} {:>12.4}", c.name, c.group, c.estimate)?;
        }
        Ok(())
    }
}

/// `n mean SD [CI]` of a descriptive summary, or the refusal code.
fn describe_cell(o: &Outcome<Describe>) -> String {
    match o {
        Outcome::Computed(d) => format!(
            "{:>4} {:>6.2} {:>5.2} [{:>6.2}, {:>6.2}]",
            d.n, d.mean, d.std_dev, d.confidence_interval.lower, d.confidence_interval.upper
        ),
        Outcome::Refused(r) => format!("{:>4} {}", "-", r.reason.code()),
    }
}

/// Score and change from baseline by arm and visit.
impl fmt::Display for Trajectories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} by arm and visit: n, mean, SD, 95% CI (t); change = visit - baseline",
            self.instrument
        )?;
        writeln!(
            f,
            "{:<28} {:<10} {:>37}   {:>37}",
            "arm", "visit", "score: n mean SD [95% CI]", "change: n mean SD [95% CI]"
        )?;
        for row in &self.rows {
            let change = row.change.as_ref().map(describe_cell).unwrap_or_default();
            writeln!(
                f,
                "{:<28} {:<10} {:>37}   {:>37}",
                row.arm,
                row.visit,
                describe_cell(&row.score),
                change
            )?;
        }
        Ok(())
    }
}

/// A ratio estimate with its interval, or the refusal code.
fn ratio_cell(o: &Outcome<RatioEstimate>) -> String {
    match o {
        Outcome::Computed(r) => format!(
            "{:.2} [{:.2}, {:.2}]",
            r.estimate, r.confidence_interval.lower, r.confidence_interval.upper
        ),
        Outcome::Refused(r) => r.reason.code().into(),
    }
}

/// Responder rates with Wilson intervals and, against the reference arm, the risk difference
/// (Newcombe), relative risk, odds ratio, NNT and Fisher's exact p.
impl fmt::Display for ResponderTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "responders: {} on {} ({} for missing follow-ups; surgery or rescue: {}); vs {}",
            self.rule,
            self.instrument,
            match self.missing {
                MissingPolicy::NonResponderImputation => "non-responder imputation",
                _ => "observed cases",
            },
            match self.intercurrent {
                IntercurrentStrategy::NonResponse => "non-response",
                _ => "treatment policy (ignored)",
            },
            self.reference_arm
        )?;
        writeln!(
            f,
            "{:<28} {:<9} {:>7} {:>18} {:>24} {:>16} {:>16} {:>10} {:>9}",
            "arm",
            "visit",
            "resp/n",
            "rate [Wilson]",
            "RD [Newcombe]",
            "RR [log CI]",
            "OR [Woolf]",
            "NNT",
            "Fisher p"
        )?;
        for c in &self.cells {
            let rate = match &c.rate {
                Outcome::Computed(r) => format!(
                    "{:.2} [{:.2}, {:.2}]",
                    r.rate, r.confidence_interval.lower, r.confidence_interval.upper
                ),
                Outcome::Refused(r) => r.reason.code().into(),
            };
            let [rd, rr, or, nnt, p] = match &c.versus_reference {
                Some(Outcome::Computed(v)) => [
                    format!(
                        "{:+.2} [{:+.2}, {:+.2}]",
                        v.risk_difference,
                        v.risk_difference_interval.lower,
                        v.risk_difference_interval.upper
                    ),
                    ratio_cell(&v.relative_risk),
                    ratio_cell(&v.odds_ratio),
                    match &v.number_needed_to_treat {
                        Outcome::Computed(n) => format!("{} {:.1}", n.kind(), n.nnt),
                        Outcome::Refused(r) => r.reason.code().into(),
                    },
                    format!("{:.2e}", v.fisher_p_value),
                ],
                Some(Outcome::Refused(r)) => [
                    r.reason.code().into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
                None => [
                    "reference".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            };
            writeln!(
                f,
                "{:<28} {:<9} {:>7} {:>18} {:>24} {:>16} {:>16} {:>10} {:>9}",
                c.arm,
                c.visit,
                format!("{}/{}", c.counts.responders, c.counts.analysed),
                rate,
                rd,
                rr,
                or,
                nnt,
                p
            )?;
        }
        Ok(())
    }
}

/// The responder table, then onset and durability per arm.
impl fmt::Display for ResponderAnalysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.responders)?;
        writeln!(
            f,
            "onset and durability (first visit meeting the rule; share of earlier responders still responding)"
        )?;
        for o in &self.onset {
            writeln!(f, "  {:<28} {}", o.arm, o.onset_and_durability)?;
        }
        Ok(())
    }
}

/// Who entered a loss-of-response analysis, the time-to-event tables, and the hazard ratios.
impl fmt::Display for EndpointAnalysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(rule), Some(entry)) = (&self.responder_rule, &self.entry) {
            writeln!(
                f,
                "loss of response: rule {rule}; time from first treatment; only patients who responded \
                 enter (surgery or rescue medication after a response = loss; withdrawal censors)"
            )?;
            writeln!(f, "{entry}")?;
        }
        writeln!(f, "{}", self.analysis)?;
        let a = &self.analysis;
        writeln!(f)?;
        writeln!(f, "hazard ratios versus {} (Cox):", a.reference_arm)?;
        match &a.cox.fit {
            Outcome::Computed(_) => {
                for arm in a.arms.iter().filter(|x| x.arm != a.reference_arm) {
                    if let Some(c) = a.hazard_ratio(&arm.arm) {
                        writeln!(
                            f,
                            "  {:<28} HR {:.2} [{:.2}, {:.2}], p = {:.3e}",
                            arm.arm,
                            c.hazard_ratio,
                            c.confidence_interval.lower,
                            c.confidence_interval.upper,
                            c.p_value
                        )?;
                    }
                }
                Ok(())
            }
            Outcome::Refused(e) => writeln!(f, "  {e}"),
        }
    }
}

/// The ANCOVA at one visit with its complete-case attrition.
impl fmt::Display for AncovaAtVisit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.attrition;
        writeln!(
            f,
            "ANCOVA at {}: score ~ arm + baseline, vs {} (complete cases: {} analysed, {} without baseline, {} without a score at the visit)",
            self.visit,
            self.reference_arm,
            a.total_analysed(),
            a.excluded_for(ExclusionReason::NoBaseline),
            a.excluded_for(ExclusionReason::NoFollowUp)
        )?;
        match &self.ancova {
            Outcome::Computed(fit) => writeln!(f, "{fit}"),
            Outcome::Refused(r) => writeln!(f, "  {r}"),
        }
    }
}

/// The time-averaged score per arm.
impl fmt::Display for AreaByArm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "time-averaged score (area under the trajectory / follow-up days): n mean SD [95% CI]"
        )?;
        for a in &self.arms {
            writeln!(f, "{:<28} {}", a.arm, describe_cell(&a.time_averaged_score))?;
        }
        write!(f, "{}", self.attrition)
    }
}

/// The MMRM differences from the reference arm, one line per arm and visit.
fn mmrm_summary(f: &mut fmt::Formatter<'_>, m: &Outcome<CohortMmrm>) -> fmt::Result {
    let m = match m {
        Outcome::Computed(m) => m,
        Outcome::Refused(r) => return writeln!(f, "MMRM: {r}"),
    };
    let fit = &m.fit;
    writeln!(
        f,
        "MMRM ({} covariance, {:?}, {:?} df): change ~ {} ({} patients, {} excluded)",
        fit.covariance.code(),
        fit.method,
        fit.df_method,
        m.formula,
        fit.n_subjects,
        m.attrition.total_excluded()
    )?;
    let c = &fit.certificate;
    writeln!(
        f,
        "  fit certificate: attempt {}, {} iterations, gradient norm {:.2e}, Newton decrement {:.2e}, Hessian positive definite: {}",
        c.attempt, c.iterations, c.gradient_norm, c.newton_decrement, c.hessian_positive_definite
    )?;
    writeln!(f, "{}", ArmDifference::table_header())?;
    for d in &m.differences {
        match d {
            Outcome::Computed(d) => writeln!(f, "{d}")?,
            Outcome::Refused(r) => writeln!(f, "  {r}")?,
        }
    }
    writeln!(
        f,
        "  (differences are arm minus {}; negative = more pain relief on a lower-is-better scale)",
        m.reference_arm
    )
}

/// Median time to the event and the Cox hazard ratio per arm, and the log-rank test.
fn time_to_event_summary(f: &mut fmt::Formatter<'_>, t: &TimeToEventAnalysis) -> fmt::Result {
    // a limit that survival never crosses is "NR" (not reached), as in journal tables
    let nr = |x: Option<f64>| x.map_or_else(|| "NR".to_string(), |v| format!("{v:.0}"));
    writeln!(
        f,
        "time to {} (days; censored at withdrawal, last contact or last assessment; NR = not reached); vs {}; Cox ~ {}",
        t.endpoint, t.reference_arm, t.cox.formula
    )?;
    writeln!(
        f,
        "{:<28} {:>9} {:>26}   {:>26} {:>10}",
        "arm", "events/n", "KM median [95% CI]", "Cox HR [95% CI]", "p"
    )?;
    for a in &t.arms {
        let median = match &a.kaplan_meier {
            Outcome::Computed(k) => format!(
                "{} [{}, {}]",
                nr(k.median.estimate),
                nr(k.median.lower),
                nr(k.median.upper)
            ),
            Outcome::Refused(r) => r.reason.code().to_string(),
        };
        let (hr, p) = match (a.arm == t.reference_arm, t.hazard_ratio(&a.arm), &t.cox.fit) {
            (true, _, _) => ("reference".to_string(), String::new()),
            (false, Some(c), _) => (
                format!(
                    "{:.2} [{:.2}, {:.2}]",
                    c.hazard_ratio, c.confidence_interval.lower, c.confidence_interval.upper
                ),
                format!("{:.2e}", c.p_value),
            ),
            (false, None, Outcome::Refused(r)) => (r.reason.code().to_string(), String::new()),
            (false, None, Outcome::Computed(_)) => ("-".to_string(), String::new()),
        };
        writeln!(
            f,
            "{:<28} {:>9} {:>26}   {:>26} {:>10}",
            a.arm,
            format!("{}/{}", a.follow_up.total_events(), a.n),
            median,
            hr,
            p
        )?;
    }
    match &t.log_rank {
        Outcome::Computed(l) => writeln!(f, "log-rank test: {}", l.test),
        Outcome::Refused(r) => writeln!(f, "log-rank test: {r}"),
    }
}

/// The whole comparison, table after table.
impl fmt::Display for TherapyComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "arms by {}: {}; reference arm {}",
            self.arms_by.describe(),
            self.patients_per_arm
                .iter()
                .map(|(a, n)| format!("{a} ({n})"))
                .collect::<Vec<_>>()
                .join(", "),
            self.reference_arm
        )?;
        writeln!(f)?;
        write!(f, "{}", self.trajectories)?;
        for table in &self.responders {
            writeln!(f)?;
            write!(f, "{table}")?;
        }
        writeln!(f)?;
        write!(f, "{}", self.ancova_last_visit)?;
        match &self.ancova_dunnett {
            Outcome::Computed(t) => write!(f, "each arm vs {}: {t}", self.reference_arm)?,
            Outcome::Refused(r) => writeln!(f, "Dunnett: {r}")?,
        }
        writeln!(f)?;
        mmrm_summary(f, &self.mmrm)?;
        if let Some(c) = &self.contrasts {
            writeln!(f)?;
            write!(f, "{c}")?;
        }
        if let Some(t) = &self.time_to_surgery {
            writeln!(f)?;
            time_to_event_summary(f, t)?;
        }
        Ok(())
    }
}

/// The adjusted odds ratios, standardised risk differences and stratified analyses.
impl fmt::Display for AdjustedResponders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let covariates: Vec<&str> = self.covariates.iter().map(Covariate::name).collect();
        writeln!(
            f,
            "responders ({}) on {} at {}, adjusted for {}; vs {}",
            self.rule,
            self.instrument,
            self.visit,
            if covariates.is_empty() {
                "nothing".to_string()
            } else {
                covariates.join(", ")
            },
            self.reference_arm
        )?;
        writeln!(
            f,
            "{:<28} {:>26} {:>26} {:>26}",
            "arm", "OR [Wald CI]", "OR [profile CI]", "standardised RD [CI]"
        )?;
        for c in &self.comparisons {
            let (wald, profile, rd) = match &c.logistic {
                Outcome::Computed(fit) => {
                    let or = fit.odds_ratios().into_iter().find(|o| o.label == "treated");
                    let pi = fit.profile_intervals.iter().find(|p| p.label == "treated");
                    let num =
                        |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.2}", v.exp()));
                    (
                        or.map_or("-".to_string(), |o| {
                            format!(
                                "{:.2} [{:.2}, {:.2}]",
                                o.odds_ratio,
                                o.confidence_interval.lower,
                                o.confidence_interval.upper
                            )
                        }),
                        pi.map_or("-".to_string(), |p| {
                            format!("[{}, {}]", num(p.lower), num(p.upper))
                        }),
                        fit.marginal_risk_difference
                            .as_ref()
                            .map_or("-".to_string(), |m| {
                                let d = &m.difference;
                                format!(
                                    "{:+.3} [{:+.3}, {:+.3}]",
                                    d.estimate,
                                    d.confidence_interval.lower,
                                    d.confidence_interval.upper
                                )
                            }),
                    )
                }
                Outcome::Refused(r) => (r.reason.code().to_string(), String::new(), String::new()),
            };
            writeln!(f, "{:<28} {wald:>26} {profile:>26} {rd:>26}", c.arm)?;
            if let (Some(s), Some(strata)) = (&c.stratified, &self.strata) {
                match s {
                    Outcome::Computed(m) => writeln!(
                        f,
                        "  stratified by {} ({} strata): MH OR {:.2} [{:.2}, {:.2}], MH RD {:+.3}, {}",
                        strata.name(),
                        m.strata,
                        m.common_odds_ratio.odds_ratio,
                        m.common_odds_ratio.confidence_interval.lower,
                        m.common_odds_ratio.confidence_interval.upper,
                        m.risk_difference.estimate,
                        m.test_corrected
                    )?,
                    Outcome::Refused(r) => writeln!(f, "  stratified by {}: {r}", strata.name())?,
                }
            }
        }
        write!(f, "{}", self.attrition)
    }
}

/// An adjusted p-value, or `< tolerance` below the error it was integrated to.
fn adjusted_p_text(p: f64, tolerance: Option<f64>) -> String {
    match tolerance {
        Some(t) if p < t => format!("< {t:.0e}"),
        _ => format!("{p:.2e}"),
    }
}

impl fmt::Display for ContrastTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "contrasts of arms (LS-means); multiplicity: {} (within each visit)",
            self.method
        )?;
        let w = self
            .rows
            .iter()
            .map(|r| r.contrast.chars().count())
            .max()
            .unwrap_or(0)
            .max(20);
        writeln!(
            f,
            "{:<w$} {:<10} {:>9} {:>7} {:>7} {:>20} {:>10} {:>10} {:>20}",
            "contrast", "visit", "estimate", "SE", "df", "CI", "p", "adj. p", "simultaneous CI"
        )?;
        for r in &self.rows {
            match &r.estimate {
                Outcome::Computed(e) => writeln!(
                    f,
                    "{:<w$} {:<10} {:>9.3} {:>7.3} {:>7} [{:>7.3}, {:>7.3}] {:>10.2e} {:>10} {:>20}",
                    r.contrast,
                    r.visit,
                    e.estimate,
                    e.std_error,
                    e.df.map_or_else(|| "z".to_string(), |df| format!("{df:.1}")),
                    e.confidence_interval.lower,
                    e.confidence_interval.upper,
                    e.p_value,
                    r.adjusted_p_value.map_or_else(
                        || "-".to_string(),
                        |p| adjusted_p_text(p, self.integration_tolerance)
                    ),
                    r.simultaneous_interval.map_or_else(
                        || "-".to_string(),
                        |ci| format!("[{:>7.3}, {:>7.3}]", ci.lower, ci.upper)
                    ),
                )?,
                Outcome::Refused(x) => writeln!(
                    f,
                    "{:<w$} {:<10} refused: {}",
                    r.contrast, r.visit, x.detail
                )?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for SubgroupAnalysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.model;
        writeln!(
            f,
            "effect modification by {} ({}): {} ~ {}; vs {}",
            self.term,
            if self.continuous {
                "continuous, linear"
            } else {
                "subgroups"
            },
            m.instrument,
            m.formula,
            self.reference_arm
        )?;
        writeln!(f, "patients analysed per arm and subgroup:")?;
        for s in &self.sizes {
            writeln!(f, "  {:<16} {:<28} {:>6}", s.subgroup, s.arm, s.patients)?;
        }
        writeln!(f, "\ninteraction tests (Type III):")?;
        for t in &self.interaction_tests {
            match t {
                Outcome::Computed(t) => writeln!(
                    f,
                    "  {:<40} F({}, {:.1}) = {:.4}, p = {:.4e}",
                    t.label, t.df_numerator, t.df_denominator, t.statistic, t.p_value
                )?,
                Outcome::Refused(r) => writeln!(f, "  refused: {}", r.detail)?,
            }
        }
        if !self.slope_differences.is_empty() {
            writeln!(
                f,
                "\nslope differences from {} (per unit):",
                self.reference_arm
            )?;
            for e in &self.slope_differences {
                writeln!(
                    f,
                    "  {:<40} {:>9.4} (SE {:.4}) {} p = {:.4e}",
                    e.label, e.estimate, e.std_error, e.confidence_interval, e.p_value
                )?;
            }
        }
        writeln!(
            f,
            "\ndifferences from {} within subgroups:",
            self.reference_arm
        )?;
        writeln!(
            f,
            "{:<10} {:<16} {:<28} {:>9} {:>7} {:>7} {:>20} {:>10}",
            "visit", "subgroup", "arm", "estimate", "SE", "df", "CI", "p"
        )?;
        for e in &self.estimates {
            match &e.difference {
                Outcome::Computed(d) => writeln!(
                    f,
                    "{:<10} {:<16} {:<28} {:>9.3} {:>7.3} {:>7.1} [{:>7.3}, {:>7.3}] {:>10.2e}",
                    e.visit,
                    e.subgroup,
                    e.arm,
                    d.estimate,
                    d.std_error,
                    d.df.unwrap_or(f64::NAN),
                    d.confidence_interval.lower,
                    d.confidence_interval.upper,
                    d.p_value
                )?,
                Outcome::Refused(r) => writeln!(
                    f,
                    "{:<10} {:<16} {:<28} refused: {}",
                    e.visit, e.subgroup, e.arm, r.detail
                )?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for ResponderSubgroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "responders ({}) by {}; vs {}",
            self.rule, self.term, self.reference_arm
        )?;
        match &self.interaction {
            Outcome::Computed(t) => writeln!(
                f,
                "interaction at {} (logistic, likelihood ratio): X-squared = {:.4}, df = {}, p = {:.4e}",
                self.visit, t.statistic, t.df, t.p_value
            )?,
            Outcome::Refused(r) => writeln!(f, "interaction at {}: refused: {}", self.visit, r)?,
        }
        for t in &self.tables {
            writeln!(f, "\nsubgroup {} = {}:", self.term, t.subgroup)?;
            write!(f, "{}", t.table)?;
        }
        Ok(())
    }
}
