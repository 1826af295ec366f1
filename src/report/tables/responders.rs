//! Responders per visit with absolute and relative effects (CONSORT item 17b).

use super::format::{num, of_total, p_value, refused, signed};
use super::table::{Column, Table, slug};
use crate::Outcome;
use crate::analysis::ResponderTable;
use crate::stats::responders::{IntercurrentStrategy, MissingPolicy, RatioEstimate};

/// One responder rule per visit and arm (CONSORT 2010 item 17b: absolute and relative
/// effects): responders of the analysed patients, the rate with its Wilson interval and,
/// against the reference arm, the risk difference (Newcombe interval), the relative risk
/// (log-scale interval), the number needed to treat for benefit or harm (Altman's
/// interval, as [`NumberNeededToTreat`](crate::stats::responders::NumberNeededToTreat)
/// prints it) and Fisher's exact p.
///
/// Columns: `visit`, `arm`, `responders` (`r/n (%)`), `rate_ci`, `risk_difference_ci`,
/// `relative_risk_ci`, `nnt_ci`, `p_value`. (The odds ratios are in the results, not in the
/// table: CONSORT asks for one absolute and one relative effect.) The table's identifier is
/// `responders_{slug(rule)}`.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::{TherapyComparisonOptions, compare_therapies};
/// use pain_outcomes::report::responder_table;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let c = compare_therapies(&cohort, &TherapyComparisonOptions::default())?;
/// let t = responder_table(&c.responders[0]);
/// assert!(t.id.starts_with("responders_"));
/// assert!(t.rows.iter().any(|r| r[6].starts_with("NNT")));
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
pub fn responder_table(table: &ResponderTable) -> Table {
    let columns = vec![
        Column::text("visit", "Visit"),
        Column::text("arm", "Arm"),
        Column::number("responders", "Responders, r/n (%)"),
        Column::number("rate_ci", "Rate [95% CI]"),
        Column::number("risk_difference_ci", "Risk difference [95% CI]"),
        Column::number("relative_risk_ci", "Relative risk [95% CI]"),
        Column::number("nnt_ci", "NNT [95% CI]"),
        Column::number("p_value", "Fisher p"),
    ];
    let mut t = Table::new(
        format!("responders_{}", slug(&table.rule)),
        format!("Responders: {} on {}", table.rule, table.instrument),
        columns,
    )
    .with_caption(format!(
        "Missing follow-ups: {}; surgery or rescue medication: {}. Effects versus {} \
         (risk difference: Newcombe; relative risk: log-scale interval; NNTB/NNTH: \
         number needed to treat for one more patient to benefit or be harmed, Altman).",
        match table.missing {
            MissingPolicy::NonResponderImputation => "counted as non-responders",
            _ => "left out (observed cases)",
        },
        match table.intercurrent {
            IntercurrentStrategy::NonResponse => "counted as non-response",
            _ => "ignored (treatment policy)",
        },
        table.reference_arm
    ));
    let mut visits: Vec<&str> = Vec::new();
    for c in &table.cells {
        if !visits.contains(&c.visit.as_str()) {
            visits.push(&c.visit);
        }
    }
    for visit in visits {
        for c in table.cells.iter().filter(|c| c.visit == visit) {
            let mut row = vec![
                c.visit.clone(),
                c.arm.clone(),
                of_total(c.counts.responders, c.counts.analysed),
                match &c.rate {
                    Outcome::Computed(r) => format!(
                        "{} [{}, {}]",
                        num(r.rate, 2),
                        num(r.confidence_interval.lower, 2),
                        num(r.confidence_interval.upper, 2)
                    ),
                    Outcome::Refused(r) => refused(r),
                },
            ];
            match &c.versus_reference {
                Some(Outcome::Computed(v)) => {
                    row.push(format!(
                        "{} [{}, {}]",
                        signed(v.risk_difference, 2),
                        signed(v.risk_difference_interval.lower, 2),
                        signed(v.risk_difference_interval.upper, 2)
                    ));
                    row.push(ratio(&v.relative_risk));
                    row.push(match &v.number_needed_to_treat {
                        Outcome::Computed(n) => n.to_string(),
                        Outcome::Refused(r) => refused(r),
                    });
                    row.push(p_value(v.fisher_p_value));
                }
                Some(Outcome::Refused(r)) => row.push(refused(r)),
                None => row.push("reference".to_string()),
            }
            t.push_row(row);
        }
    }
    t
}

fn ratio(o: &Outcome<RatioEstimate>) -> String {
    match o {
        Outcome::Computed(r) => format!(
            "{} [{}, {}]",
            num(r.estimate, 2),
            num(r.confidence_interval.lower, 2),
            num(r.confidence_interval.upper, 2)
        ),
        Outcome::Refused(r) => refused(r),
    }
}
