//! Text tables of a linear mixed model and of a trajectory model: fixed effects, variance
//! components, fit statistics, arm slopes and slope differences, the certificate.

use std::fmt;

use crate::Outcome;
use crate::analysis::TrajectoryFit;
use crate::stats::lmm::{LmmFit, VarianceComponentInterval, VarianceIntervalMethod};
use crate::stats::mmrm::Estimation;

impl fmt::Display for LmmFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match self.method {
            Estimation::Reml => "REML",
            Estimation::Ml => "ML",
        };
        write!(
            f,
            "linear mixed model fit by {method}: {} observations, {} groups",
            self.n_observations, self.n_groups
        )?;
        if self.n_sites > 0 {
            write!(f, " in {} sites", self.n_sites)?;
        }
        writeln!(f)?;
        let crit = match self.method {
            Estimation::Reml => "REML criterion",
            Estimation::Ml => "deviance",
        };
        writeln!(
            f,
            "{crit} {:.4}; logLik {:.4}; AIC {:.4}; BIC {:.4}",
            self.criterion, self.log_likelihood, self.aic, self.bic
        )?;
        writeln!(
            f,
            "optimizer: {} iterations, {} evaluations, largest gradient {:.2e}, converged{}",
            self.certificate.iterations,
            self.certificate.evaluations,
            self.certificate.max_abs_gradient,
            if self.singular {
                "; boundary (singular) fit: a variance is ~0 or a correlation is ±1"
            } else {
                ""
            }
        )?;
        writeln!(f, "\nrandom effects:")?;
        writeln!(f, "  {:<24} {:>12} {:>10}", "name", "variance", "std. dev.")?;
        for v in &self.variance_components {
            let name = if v.name.is_empty() {
                v.group.clone()
            } else if v.group == "site" {
                format!("site {}", v.name)
            } else {
                v.name.clone()
            };
            writeln!(f, "  {:<24} {:>12.5} {:>10.5}", name, v.variance, v.std_dev)?;
        }
        let q = self.random_names.len();
        for i in 0..q {
            for j in 0..i {
                writeln!(
                    f,
                    "  correlation {} / {}: {:.4}",
                    self.random_names[i],
                    self.random_names[j],
                    self.random_correlation[i * q + j]
                )?;
            }
        }
        writeln!(f, "\nfixed effects (Satterthwaite df):")?;
        writeln!(
            f,
            "  {:<36} {:>10} {:>9} {:>8} {:>8} {:>10}",
            "term", "estimate", "SE", "df", "t", "p"
        )?;
        for e in &self.fixed_effects {
            match e {
                Outcome::Computed(e) => writeln!(
                    f,
                    "  {:<36} {:>10.4} {:>9.4} {:>8.1} {:>8.3} {:>10.3e}",
                    e.label,
                    e.estimate,
                    e.std_error,
                    e.df.unwrap_or(f64::NAN),
                    e.statistic,
                    e.p_value
                )?,
                Outcome::Refused(r) => writeln!(f, "  {r}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for VarianceComponentInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match self.method {
            VarianceIntervalMethod::MlProfile => "ML profile",
        };
        write!(
            f,
            "{:<8} {:<28} {:>10.5} {:>10.5} {:>10.5}  ({method})",
            self.parameter,
            self.label,
            self.profile_estimate,
            self.confidence_interval.lower,
            self.confidence_interval.upper
        )
    }
}

/// The table of variance-component intervals (header, one row per parameter, refusals as such).
pub(crate) fn write_variance_intervals(
    f: &mut fmt::Formatter<'_>,
    rows: &[Outcome<VarianceComponentInterval>],
) -> fmt::Result {
    let level = rows
        .iter()
        .find_map(|r| r.computed().map(|c| c.confidence_interval.level))
        .unwrap_or(0.95);
    writeln!(
        f,
        "\nvariance components, {:.0}% profile-likelihood intervals (lme4 confint, ML deviance):",
        100.0 * level
    )?;
    writeln!(
        f,
        "  {:<8} {:<28} {:>10} {:>10} {:>10}",
        "", "parameter", "ML est.", "lower", "upper"
    )?;
    for r in rows {
        match r {
            Outcome::Computed(c) => writeln!(f, "  {c}")?,
            Outcome::Refused(r) => writeln!(f, "  {r}")?,
        }
    }
    Ok(())
}

impl fmt::Display for TrajectoryFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "trajectories of {}: {}", self.instrument, self.formula)?;
        let used: Vec<String> = self
            .attrition
            .arms
            .iter()
            .map(|a| format!("{} {}", a.arm, a.analysed))
            .collect();
        writeln!(f, "patients: {}", used.join(", "))?;
        let left = self.attrition.total_excluded();
        if left > 0 {
            writeln!(f, "left out: {left} patients")?;
        }
        write!(f, "{}", self.fit)?;
        if !self.variance_component_intervals.is_empty() {
            write_variance_intervals(f, &self.variance_component_intervals)?;
        }
        writeln!(f)?;
        let per = match self.time {
            crate::analysis::TimeScale::Log => "per unit of log(1 + day)",
            _ => "per year",
        };
        writeln!(f, "slopes ({per}):")?;
        for s in &self.slopes {
            writeln!(f, "  {}", s.slope)?;
        }
        writeln!(f, "\nslope differences from {}:", self.reference_arm)?;
        for d in &self.slope_differences {
            match d {
                Outcome::Computed(d) => writeln!(f, "  {}", d.difference)?,
                Outcome::Refused(r) => writeln!(f, "  {r}")?,
            }
        }
        Ok(())
    }
}
