//! Loads a long-format CSV of 10^5 patients × 7 visits (10^6 with `PAIN_BENCH_FULL=1`) with
//! `read_csv` and with polars' own CSV reader, on the same file in the same run.
//!
//! The file is generated at bench time under `target/bench-data/` (never committed).
//!
//! ```text
//! cargo bench --bench load_csv
//! PAIN_BENCH_FULL=1 cargo bench --bench load_csv
//! ```

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pain_outcomes::data::{LoadOptions, read_csv};
use pain_outcomes::polars::prelude::{CsvReadOptions, SerReader};
use std::hint::black_box;

#[path = "support/contract_csv.rs"]
mod contract_csv;

fn load(c: &mut Criterion) {
    let patients = if std::env::var("PAIN_BENCH_FULL").is_ok_and(|v| v == "1") {
        1_000_000
    } else {
        100_000
    };
    let path = match contract_csv::ensure(patients) {
        Ok(p) => p,
        Err(e) => panic!("cannot write the benchmark file: {e}"),
    };
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mut group = c.benchmark_group(format!("load_csv_{patients}x7"));
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    let options = LoadOptions::default();
    group.bench_function("pain_outcomes_read_csv", |b| {
        b.iter(|| {
            let loaded = read_csv(&path, &options).unwrap();
            black_box(loaded.cohort.n_assessments())
        })
    });
    group.bench_function("polars_csv_reader", |b| {
        b.iter(|| {
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(path.clone()))
                .unwrap()
                .finish()
                .unwrap();
            black_box(df.height())
        })
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
