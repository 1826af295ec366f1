//! Text tables of a registry comparison: the propensity model, effective sample sizes, the
//! balance table before and after, the matched pairs, the unweighted and weighted effects
//! side by side, time to surgery and the E-values.

use std::fmt;

use crate::Outcome;
use crate::analysis::{
    BaselineBalance, ChangeEffects, GeneralisedPropensity, RegistryComparison, ResponderEffects,
    SurgeryEffects,
};
use crate::stats::Estimate;
use crate::stats::weighting::{EValue, Stabilisation};

/// `estimate [lower, upper]` or the refusal's code.
fn estimate_cell(e: &Outcome<Estimate>) -> String {
    match e {
        Outcome::Computed(e) => format!(
            "{:.3} (SE {:.3}) [{:.3}, {:.3}]",
            e.estimate, e.std_error, e.confidence_interval.lower, e.confidence_interval.upper
        ),
        Outcome::Refused(r) => format!("refused ({})", r.reason.code()),
    }
}

fn e_value_line(f: &mut fmt::Formatter<'_>, what: &str, e: Option<&EValue>) -> fmt::Result {
    match e {
        Some(e) => writeln!(
            f,
            "  E-value ({what}): {:.2} for the estimate, {:.2} for the confidence limit",
            e.point, e.limit
        ),
        None => writeln!(f, "  E-value ({what}): not available"),
    }
}

impl fmt::Display for RegistryComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        writeln!(
            f,
            "registry comparison: {} vs {} on {}; weights {}{}{}",
            self.treated,
            self.comparator,
            self.instrument,
            o.weights.estimand,
            if o.weights.stabilisation == Stabilisation::Stabilised {
                ", stabilised"
            } else {
                ""
            },
            o.weights.trim.map_or(String::new(), |a| format!(
                ", trimmed outside [{a}, {}]",
                1.0 - a
            ))
        )?;
        write!(f, "{}", self.attrition)?;
        writeln!(f)?;
        writeln!(
            f,
            "propensity model: glm(treated ~ {}, binomial), n = {}, deviance {:.3}, {} iterations{}",
            self.terms.join(" + "),
            self.propensity_model.n,
            self.propensity_model.deviance,
            self.propensity_model.iterations,
            if self.propensity_model.converged {
                ", converged"
            } else {
                ""
            }
        )?;
        for c in &self.propensity_model.coefficients {
            writeln!(
                f,
                "  {:<24} {:>9.4} (SE {:.4}), p = {:.3e}",
                c.label, c.estimate, c.std_error, c.p_value
            )?;
        }
        let e = &self.effective_sample_sizes;
        writeln!(
            f,
            "effective sample size (Kish): treated {:.1} of {}, comparator {:.1} of {}",
            e.ess_treated, e.n_treated, e.ess_comparator, e.n_comparator
        )?;
        writeln!(f)?;
        self.balance_table(f)?;
        if let Some(m) = &self.matching {
            writeln!(
                f,
                "matching: 1:1 nearest neighbour on the logit, caliper {} SD = {:.4}; {} pairs, {} treated unmatched",
                m.caliper_sd,
                m.caliper,
                m.pairs.len(),
                m.unmatched_treated.len()
            )?;
        }
        if let Some(c) = &self.change {
            writeln!(f)?;
            change_lines(f, c)?;
        }
        if let Some(r) = &self.responders {
            writeln!(f)?;
            responder_lines(f, r)?;
        }
        writeln!(f)?;
        surgery_lines(f, &self.time_to_surgery)
    }
}

/// `x` with a rounding-level negative zero printed as 0 (`-0.000` reads as an imbalance).
fn tidy(x: f64) -> f64 {
    if x.abs() < 5e-4 { 0.0 } else { x }
}

impl RegistryComparison {
    fn balance_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.balance;
        let matched = b.max_smd_matched.is_some();
        write!(
            f,
            "{:<22} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}",
            "balance (SMD)", "treated", "comparator", "before", "weighted", "VR before", "VR wtd"
        )?;
        if matched {
            write!(f, " {:>9}", "matched")?;
        }
        writeln!(f)?;
        let vr = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        for r in &b.rows {
            write!(
                f,
                "{:<22} {:>10.3} {:>10.3} {:>9.3} {:>9.3} {:>9} {:>9}",
                r.term,
                r.before.mean_treated,
                r.before.mean_comparator,
                tidy(r.before.smd),
                tidy(r.weighted.smd),
                vr(r.before.variance_ratio),
                vr(r.weighted.variance_ratio)
            )?;
            if let Some(m) = &r.matched {
                write!(f, " {:>9.3}", tidy(m.smd))?;
            }
            writeln!(f)?;
        }
        let verdict = |ok: bool| if ok { "balanced" } else { "NOT balanced" };
        write!(
            f,
            "largest |SMD| (threshold {}): before {:.3} ({}), weighted {:.3} ({})",
            b.threshold,
            b.max_smd_before,
            verdict(b.balanced_before()),
            b.max_smd_weighted,
            verdict(b.balanced_weighted())
        )?;
        if let (Some(m), Some(ok)) = (b.max_smd_matched, b.balanced_matched()) {
            write!(f, ", matched {m:.3} ({})", verdict(ok))?;
        }
        writeln!(f)?;
        if !b.balanced_before() {
            writeln!(
                f,
                "  the groups differed at baseline: a raw comparison is confounded"
            )?;
        }
        Ok(())
    }
}

fn change_lines(f: &mut fmt::Formatter<'_>, c: &ChangeEffects) -> fmt::Result {
    writeln!(
        f,
        "change from baseline at {} (treated − comparator; n = {} + {}), robust SE as svyglm",
        c.visit, c.n_treated, c.n_comparator
    )?;
    writeln!(f, "  {:<16} {}", "unweighted", estimate_cell(&c.unweighted))?;
    writeln!(f, "  {:<16} {}", "weighted", estimate_cell(&c.weighted))?;
    writeln!(
        f,
        "  {:<16} {}",
        "doubly robust",
        estimate_cell(&c.doubly_robust)
    )?;
    if let Some(m) = &c.matched {
        writeln!(f, "  {:<16} {}", "matched", estimate_cell(m))?;
    }
    Ok(())
}

fn responder_lines(f: &mut fmt::Formatter<'_>, r: &ResponderEffects) -> fmt::Result {
    writeln!(
        f,
        "responders ({}, observed cases; n = {} + {})",
        r.rule, r.n_treated, r.n_comparator
    )?;
    for (label, rates) in [("unweighted", &r.unweighted), ("weighted", &r.weighted)] {
        match rates {
            Outcome::Computed(x) => writeln!(
                f,
                "  {:<12} {:.1}% vs {:.1}%, RD {:.3} [{:.3}, {:.3}], RR {:.3} [{:.3}, {:.3}]",
                label,
                100.0 * x.rate_treated,
                100.0 * x.rate_comparator,
                x.risk_difference.estimate,
                x.risk_difference.confidence_interval.lower,
                x.risk_difference.confidence_interval.upper,
                x.risk_ratio,
                x.risk_ratio_interval.lower,
                x.risk_ratio_interval.upper
            )?,
            Outcome::Refused(refusal) => writeln!(f, "  {label:<12} {refusal}")?,
        }
    }
    let e = match &r.weighted {
        Outcome::Computed(x) => x.e_value.as_ref(),
        Outcome::Refused(_) => None,
    };
    e_value_line(f, "weighted risk ratio", e)
}

fn surgery_lines(f: &mut fmt::Formatter<'_>, s: &SurgeryEffects) -> fmt::Result {
    writeln!(
        f,
        "time to surgery: {} patients, {} surgeries; Cox, robust SE",
        s.n, s.events
    )?;
    for (label, fit) in [("unweighted", &s.unweighted), ("weighted", &s.weighted)] {
        match fit {
            Outcome::Computed(c) => writeln!(
                f,
                "  {:<12} HR {:.3} [{:.3}, {:.3}], p = {:.3e}",
                label,
                c.hazard_ratio,
                c.confidence_interval.lower,
                c.confidence_interval.upper,
                c.p_value
            )?,
            Outcome::Refused(refusal) => writeln!(f, "  {label:<12} {refusal}")?,
        }
    }
    for k in &s.survival {
        writeln!(
            f,
            "  surgery-free at day {:.0}: {:.1}% vs {:.1}% (weighted {:.1}% vs {:.1}%)",
            k.day,
            100.0 * k.treated,
            100.0 * k.comparator,
            100.0 * k.treated_weighted,
            100.0 * k.comparator_weighted
        )?;
    }
    e_value_line(f, "weighted hazard ratio", s.e_value.as_ref())
}

impl fmt::Display for BaselineBalance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "baseline balance vs {} (standardised mean differences, Austin 2009)",
            self.reference_arm
        )?;
        let terms: Vec<&str> = self
            .arms
            .iter()
            .find(|a| !a.smds.is_empty())
            .map(|a| a.smds.iter().map(|s| s.term.as_str()).collect())
            .unwrap_or_default();
        write!(f, "{:<28}", "arm")?;
        for t in &terms {
            write!(f, " {:>w$}", t, w = t.len().max(8))?;
        }
        writeln!(f)?;
        for a in &self.arms {
            write!(f, "{:<28}", a.arm)?;
            if a.smds.is_empty() {
                write!(f, " (too few patients)")?;
            }
            for (s, t) in a.smds.iter().zip(&terms) {
                write!(f, " {:>w$.3}", s.smd, w = t.len().max(8))?;
            }
            writeln!(f)?;
        }
        if !self.skipped.is_empty() {
            writeln!(f, "  not in the data: {}", self.skipped.join(", "))?;
        }
        if self.imbalanced() {
            writeln!(
                f,
                "  some |SMD| exceeds {}: the arms differed at baseline. In a registry (therapy \
                 chosen by patient and clinician) raw comparisons of the arms are confounded: \
                 use the registry_comparison example (propensity weighting or matching). In a \
                 randomised trial this is chance, which the baseline-adjusted ANCOVA and MMRM \
                 below account for.",
                self.threshold
            )?;
        } else {
            writeln!(f, "  every |SMD| is within {}", self.threshold)?;
        }
        Ok(())
    }
}

impl fmt::Display for GeneralisedPropensity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "generalised propensity score: multinomial logit of {} (reference {}) on {}; n = {}, deviance {:.3}",
            self.groups.join(", "),
            self.groups.first().map_or("-", String::as_str),
            self.terms.join(" + "),
            self.model.n,
            self.model.deviance
        )?;
        for (k, row) in self.model.coefficients.iter().enumerate() {
            let group = self.groups.get(k + 1).map_or("?", String::as_str);
            for c in row {
                writeln!(
                    f,
                    "  {:<20} {:<16} {:>9.4} (SE {:.4})",
                    group, c.label, c.estimate, c.std_error
                )?;
            }
        }
        for s in &self.sizes {
            writeln!(
                f,
                "  {:<20} n = {:>5}, effective sample size under ATE weights {:.1}",
                s.group, s.n, s.ess
            )?;
        }
        Ok(())
    }
}
