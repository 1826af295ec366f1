//! Text tables of a meta-analysis: the studies, the pooled estimate and its heterogeneity,
//! leave-one-out, Egger's test, the funnel table, subgroups and meta-regression.

use std::fmt;

use crate::Outcome;
use crate::analysis::{MetaAnalysis, MetaRegressionOn, MetaSubgroups};
use crate::stats::Estimate;
use crate::stats::meta::{MetaFit, MetaInference, MetaRegression, ModeratorTest};

fn test_name(inference: MetaInference) -> &'static str {
    match inference {
        MetaInference::Normal => "z tests",
        MetaInference::KnappHartung => "Knapp-Hartung t and F tests",
    }
}

impl fmt::Display for MetaAnalysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "meta-analysis of {}: {}; {}, {}, {:.0}% intervals",
            self.file,
            self.measure,
            self.options.method,
            test_name(self.options.inference),
            self.options.confidence_level * 100.0
        )?;
        writeln!(
            f,
            "{:<26} {:>5} {:>10} {:>10} {:>9} {:>8}",
            "study", "line", "estimate", "variance", "SE", "weight%"
        )?;
        for s in &self.studies {
            writeln!(
                f,
                "{:<26} {:>5} {:>10.4} {:>10.5} {:>9.4} {:>8}{}",
                s.study,
                s.line,
                s.effect.estimate,
                s.effect.variance,
                s.effect.std_error(),
                s.weight
                    .map_or_else(|| "-".to_string(), |w| format!("{w:.2}")),
                if s.effect.zero_cell_corrected {
                    "  (1/2 added: zero cell)"
                } else {
                    ""
                }
            )?;
        }
        for e in &self.excluded {
            writeln!(f, "  excluded {} (line {}): {}", e.study, e.line, e.reason)?;
        }
        writeln!(f)?;
        match &self.pooled {
            Outcome::Computed(fit) => pooled_lines(f, fit)?,
            Outcome::Refused(r) => writeln!(f, "pooled estimate: {r}")?,
        }
        match &self.tau_squared_interval {
            Outcome::Computed(ci) => writeln!(
                f,
                "Q-profile {:.0}% CI: tau^2 [{:.4}, {:.4}], I^2 [{:.2}%, {:.2}%], H^2 [{:.4}, {:.4}]",
                ci.tau_squared.level * 100.0,
                ci.tau_squared.lower,
                ci.tau_squared.upper,
                ci.i_squared.lower,
                ci.i_squared.upper,
                ci.h_squared.lower,
                ci.h_squared.upper
            )?,
            Outcome::Refused(r) => writeln!(f, "CI of tau^2: {r}")?,
        }
        writeln!(f)?;
        writeln!(f, "leave one out:")?;
        writeln!(
            f,
            "{:<26} {:>10} {:>9} {:>21} {:>10} {:>8}",
            "omitted", "estimate", "SE", "CI", "tau^2", "I^2%"
        )?;
        for l in &self.leave_one_out {
            match &l.fit {
                Outcome::Computed(m) => writeln!(
                    f,
                    "{:<26} {:>10.4} {:>9.4} [{:>8.4}, {:>8.4}] {:>10.4} {:>8.2}",
                    l.study,
                    m.estimate.estimate,
                    m.estimate.std_error,
                    m.estimate.confidence_interval.lower,
                    m.estimate.confidence_interval.upper,
                    m.tau_squared,
                    m.i_squared
                )?,
                Outcome::Refused(r) => writeln!(f, "{:<26} {r}", l.study)?,
            }
        }
        writeln!(f)?;
        match &self.egger {
            Outcome::Computed(e) => writeln!(
                f,
                "Egger's test (effect on SE): {} = {:.4}, p = {:.4}; limit estimate {:.4} [{:.4}, {:.4}]",
                if e.asymmetry.df.is_some() { "t" } else { "z" },
                e.asymmetry.statistic,
                e.asymmetry.p_value,
                e.limit_estimate.estimate,
                e.limit_estimate.confidence_interval.lower,
                e.limit_estimate.confidence_interval.upper
            )?,
            Outcome::Refused(r) => writeln!(f, "Egger's test: {r}")?,
        }
        if !self.funnel.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "funnel table (pseudo-confidence limits around the pooled estimate):"
            )?;
            writeln!(
                f,
                "{:<26} {:>10} {:>9} {:>10} {:>10}",
                "study", "estimate", "SE", "lower", "upper"
            )?;
            for r in &self.funnel {
                writeln!(
                    f,
                    "{:<26} {:>10.4} {:>9.4} {:>10.4} {:>10.4}{}",
                    r.study,
                    r.point.estimate,
                    r.point.std_error,
                    r.point.lower,
                    r.point.upper,
                    if r.point.outside { "  outside" } else { "" }
                )?;
            }
        }
        if let Some(s) = &self.subgroups {
            writeln!(f)?;
            write!(f, "{s}")?;
        }
        if let Some(r) = &self.regression {
            writeln!(f)?;
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

fn pooled_lines(f: &mut fmt::Formatter<'_>, fit: &MetaFit) -> fmt::Result {
    let e = &fit.estimate;
    writeln!(
        f,
        "pooled ({} studies): {:.4} (SE {:.4}), {}, {} = {:.4}, p = {:.4e}",
        fit.k,
        e.estimate,
        e.std_error,
        e.confidence_interval,
        e.df.map_or_else(|| "z".to_string(), |df| format!("t({df})")),
        e.statistic,
        e.p_value
    )?;
    writeln!(
        f,
        "prediction interval [{:.4}, {:.4}]",
        fit.prediction_interval.lower, fit.prediction_interval.upper
    )?;
    writeln!(
        f,
        "tau^2 = {:.4}, I^2 = {:.2}%, H^2 = {:.4}; Q({}) = {:.4}, p = {:.4e}",
        fit.tau_squared,
        fit.i_squared,
        fit.h_squared,
        fit.heterogeneity.df,
        fit.heterogeneity.statistic,
        fit.heterogeneity.p_value
    )
}

fn moderator_line(f: &mut fmt::Formatter<'_>, what: &str, t: &ModeratorTest) -> fmt::Result {
    match t {
        ModeratorTest::ChiSquare(t) => writeln!(
            f,
            "{what}: QM({}) = {:.4}, p = {:.4e}",
            t.df, t.statistic, t.p_value
        ),
        ModeratorTest::F(t) => writeln!(
            f,
            "{what}: F({}, {}) = {:.4}, p = {:.4e}",
            t.df_numerator, t.df_denominator, t.statistic, t.p_value
        ),
    }
}

fn coefficient_line(f: &mut fmt::Formatter<'_>, c: &Estimate) -> fmt::Result {
    writeln!(
        f,
        "  {:<24} {:>10.5} {:>9.5} [{:>9.5}, {:>9.5}] {:>10.2e}",
        c.label,
        c.estimate,
        c.std_error,
        c.confidence_interval.lower,
        c.confidence_interval.upper,
        c.p_value
    )
}

impl fmt::Display for MetaSubgroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "subgroups by {}:", self.by)?;
        writeln!(
            f,
            "{:<26} {:>3} {:>10} {:>9} {:>21} {:>10} {:>8}",
            "subgroup", "k", "estimate", "SE", "CI", "tau^2", "I^2%"
        )?;
        for g in &self.subgroups {
            match &g.fit {
                Outcome::Computed(m) => writeln!(
                    f,
                    "{:<26} {:>3} {:>10.4} {:>9.4} [{:>8.4}, {:>8.4}] {:>10.4} {:>8.2}",
                    g.label,
                    m.k,
                    m.estimate.estimate,
                    m.estimate.std_error,
                    m.estimate.confidence_interval.lower,
                    m.estimate.confidence_interval.upper,
                    m.tau_squared,
                    m.i_squared
                )?,
                Outcome::Refused(r) => {
                    writeln!(f, "{:<26} {:>3} {r}", g.label, g.studies.len())?;
                }
            }
        }
        if !self.missing.is_empty() {
            writeln!(f, "  without a value: {}", self.missing.join(", "))?;
        }
        match &self.between {
            Outcome::Computed(m) => {
                moderator_line(f, "test of subgroup differences", &m.moderator_test)?;
                writeln!(
                    f,
                    "residual heterogeneity: tau^2 = {:.4}, QE({}) = {:.4}, p = {:.4e}",
                    m.tau_squared,
                    m.residual_heterogeneity.df,
                    m.residual_heterogeneity.statistic,
                    m.residual_heterogeneity.p_value
                )
            }
            Outcome::Refused(r) => writeln!(f, "test of subgroup differences: {r}"),
        }
    }
}

impl fmt::Display for MetaRegressionOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "meta-regression on {}:", self.moderator)?;
        if !self.missing.is_empty() {
            writeln!(f, "  without a value: {}", self.missing.join(", "))?;
        }
        match &self.fit {
            Outcome::Computed(m) => write!(f, "{m}"),
            Outcome::Refused(r) => writeln!(f, "  {r}"),
        }
    }
}

impl fmt::Display for MetaRegression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  {:<24} {:>10} {:>9} {:>23} {:>10}",
            "coefficient", "estimate", "SE", "CI", "p"
        )?;
        for c in &self.coefficients {
            coefficient_line(f, c)?;
        }
        moderator_line(f, "  test of moderators", &self.moderator_test)?;
        writeln!(
            f,
            "  residual tau^2 = {:.4}, I^2 = {:.2}%; QE({}) = {:.4}, p = {:.4e}",
            self.tau_squared,
            self.i_squared,
            self.residual_heterogeneity.df,
            self.residual_heterogeneity.statistic,
            self.residual_heterogeneity.p_value
        )
    }
}

impl fmt::Display for MetaFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        pooled_lines(f, self)
    }
}
