//! Writing the report of a therapy comparison for a seeded simulated knee-OA trial of 10^5
//! patients: the tables (baseline characteristics, participant flow, outcomes, responders,
//! time to surgery, adverse events), the figures, `report.html`, `report.md`, the CSV tables
//! and `results.json`. The analysis itself runs once, before the measurement.
//!
//! Measured with `cargo bench --bench report` (release, 2 shared cores, 10^5 patients; the
//! analysis before it, compare_therapies with the baseline balance, not included): the figures
//! 24 ms, the tables and pages 102 ms, the whole report written (figures, tables, pages, CSV,
//! results.json) 132 ms.
//!
//! ```text
//! cargo bench --bench report
//! REPORT_BENCH_PATIENTS=10000 cargo bench --bench report
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use pain_outcomes::analysis::TherapyComparisonOptions;
use pain_outcomes::report::{
    ComparisonResults, Provenance, comparison_figures, comparison_report, write_report,
};
use pain_outcomes::simulate::{SimulationConfig, simulate};
use std::hint::black_box;
use std::time::Duration;

fn patients() -> usize {
    std::env::var("REPORT_BENCH_PATIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn bench(c: &mut Criterion) {
    let n = patients();
    let config = SimulationConfig::knee_oa_trial()
        .with_patients(n)
        .with_seed(20_240_601);
    let cohort = simulate(&config).expect("simulate").cohort;
    let results = ComparisonResults::new(
        &cohort,
        &TherapyComparisonOptions::default(),
        Provenance::new().with_option("patients", n.to_string()),
    )
    .expect("compare");
    let dir = std::env::temp_dir().join(format!("pain_outcomes_report_bench_{n}"));
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(format!("figures_{n}"), |b| {
        b.iter(|| black_box(comparison_figures(&results, &cohort).expect("figures")))
    });
    group.bench_function(format!("tables_and_pages_{n}"), |b| {
        b.iter(|| {
            let report = comparison_report(&results, &cohort, Vec::new()).expect("report");
            black_box(report.to_html().len() + report.to_markdown().len())
        })
    });
    group.bench_function(format!("write_report_{n}"), |b| {
        b.iter(|| {
            let figures = comparison_figures(&results, &cohort).expect("figures");
            let report = comparison_report(&results, &cohort, figures).expect("report");
            black_box(write_report(&dir, &report, &results).expect("write"))
        })
    });
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench);
criterion_main!(benches);
