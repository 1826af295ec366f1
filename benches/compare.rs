//! Descriptives + responders + ANCOVA on a seeded simulated cohort of 10^6 patients.
//!
//! The cohort is written once to `target/compare_bench_1000000.csv` (columns `patient_id,
//! therapy, baseline, follow_up`: NRS 0–10 at baseline and at the last visit, four arms), so
//! that `benches/compare_r.R` times the same analysis in R on the same file:
//!
//! ```text
//! cargo bench --bench compare
//! Rscript benches/compare_r.R target/compare_bench_1000000.csv
//! ```
//!
//! Set `COMPARE_BENCH_PATIENTS` to use another cohort size.

use criterion::{Criterion, criterion_group, criterion_main};
use pain_outcomes::stats::Proportion;
use pain_outcomes::stats::ancova::{AncovaOptions, ancova};
use pain_outcomes::stats::describe::{DescribeOptions, change_from_baseline, describe};
use pain_outcomes::stats::responders::{
    ComparisonOptions, IntercurrentStrategy, MissingPolicy, ResponderRule, compare_responder_rates,
    count_responders, responder_rate,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::hint::black_box;
use std::io::Write;

const ARMS: [&str; 4] = ["corticosteroid", "placebo", "prp", "stem_cell"];

struct Cohort {
    arm: Vec<usize>,
    baseline: Vec<f64>,
    follow_up: Vec<f64>,
}

fn path(n: usize) -> String {
    format!("target/compare_bench_{n}.csv")
}

fn simulate(n: usize) -> Cohort {
    let mut rng = ChaCha8Rng::seed_from_u64(20_240_531);
    let noise = Normal::<f64>::new(0.0, 1.5).expect("normal");
    let base_d = Normal::<f64>::new(6.8, 1.3).expect("normal");
    let effect = [1.8, 0.8, 2.0, 2.6];
    let mut c = Cohort {
        arm: Vec::with_capacity(n),
        baseline: Vec::with_capacity(n),
        follow_up: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let a = rng.random_range(0..4usize);
        let b: f64 = base_d.sample(&mut rng).round().clamp(3.0, 10.0);
        let y: f64 = (b - effect[a] + noise.sample(&mut rng))
            .round()
            .clamp(0.0, 10.0);
        c.arm.push(a);
        c.baseline.push(b);
        c.follow_up.push(y);
    }
    c
}

fn write_csv(c: &Cohort, p: &str) {
    let f = std::fs::File::create(p).expect("create csv");
    let mut w = std::io::BufWriter::new(f);
    writeln!(w, "patient_id,therapy,baseline,follow_up").expect("write");
    for i in 0..c.arm.len() {
        writeln!(
            w,
            "P{i:07},{},{},{}",
            ARMS[c.arm[i]], c.baseline[i], c.follow_up[i]
        )
        .expect("write");
    }
}

fn read_csv(p: &str) -> Cohort {
    let mut r = csv::Reader::from_path(p).expect("open csv");
    let mut c = Cohort {
        arm: vec![],
        baseline: vec![],
        follow_up: vec![],
    };
    for rec in r.records() {
        let rec = rec.expect("record");
        c.arm
            .push(ARMS.iter().position(|a| *a == &rec[1]).expect("arm"));
        c.baseline.push(rec[2].parse().expect("baseline"));
        c.follow_up.push(rec[3].parse().expect("follow_up"));
    }
    c
}

/// The analysis timed on both sides.
fn analysis(c: &Cohort) -> f64 {
    let mut acc = 0.0;
    let rule = ResponderRule::immpact_30_percent();
    let mut counts = [Proportion::new(0, 0); 4];
    for (a, count) in counts.iter_mut().enumerate() {
        let idx: Vec<usize> = (0..c.arm.len()).filter(|&i| c.arm[i] == a).collect();
        let b: Vec<Option<f64>> = idx.iter().map(|&i| Some(c.baseline[i])).collect();
        let y: Vec<Option<f64>> = idx.iter().map(|&i| Some(c.follow_up[i])).collect();
        let o = DescribeOptions::default();
        for v in [&b, &y] {
            if let Some(d) = describe(v, &o).expect("describe").computed() {
                acc += d.mean + d.median;
            }
        }
        let ch = change_from_baseline(&b, &y).expect("change");
        for v in [&ch.change, &ch.percent_change] {
            if let Some(d) = describe(v, &o).expect("describe").computed() {
                acc += d.mean;
            }
        }
        let e: Vec<_> = b
            .iter()
            .zip(&y)
            .map(|(b, y)| rule.evaluate(*b, *y))
            .collect();
        let k = count_responders(
            &e,
            &[],
            MissingPolicy::NonResponderImputation,
            IntercurrentStrategy::NonResponse,
        )
        .expect("count");
        if let Some(r) = responder_rate(k.responders, k.analysed, 0.95)
            .expect("rate")
            .computed()
        {
            acc += r.confidence_interval.lower;
        }
        *count = Proportion::new(k.responders, k.analysed);
    }
    for a in [0, 2, 3] {
        if let Some(r) =
            compare_responder_rates(counts[a], counts[1], &ComparisonOptions::default())
                .expect("compare")
                .computed()
        {
            acc += r.risk_difference + r.fisher_p_value;
        }
    }
    let labels: Vec<&str> = c.arm.iter().map(|&a| ARMS[a]).collect();
    let fit = ancova(
        &c.follow_up,
        &c.baseline,
        &labels,
        &[],
        &AncovaOptions::default().with_reference_arm("placebo"),
    )
    .expect("ancova");
    if let Some(f) = fit.computed() {
        acc += f.arm_test.statistic + f.differences[0].difference.estimate;
    }
    acc
}

fn bench(cr: &mut Criterion) {
    let n: usize = std::env::var("COMPARE_BENCH_PATIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let p = path(n);
    if !std::path::Path::new(&p).exists() {
        write_csv(&simulate(n), &p);
    }
    let c = read_csv(&p);
    let mut g = cr.benchmark_group("compare");
    g.sample_size(10);
    g.bench_function(format!("describe_responders_ancova_{n}"), |b| {
        b.iter(|| black_box(analysis(&c)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
