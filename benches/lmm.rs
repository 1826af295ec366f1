//! Linear mixed model speed: random intercept and slope per patient (correlated), 7 visits
//! over a year (days 0, 14, 42, 90, 180, 270, 365; about 10 % of follow-ups missed), two arms,
//! `y ~ arm*time + (time | patient)` with time in years, REML, Satterthwaite df of the fixed
//! effects and the conditional modes of every patient; 10^3, 10^4, 10^5 patients (10^6 with
//! `LMM_BENCH_1E6=1`). Each data set is written to `target/lmm_bench_<n>.csv` so that
//! `benches/lmm_lmer.R` can time `lme4::lmer` on the same file. `LMM_BENCH_ONCE=<n>` fits once
//! and exits (for `/usr/bin/time -v` peak memory). `LMM_BENCH_JITTER=1` moves every follow-up
//! day by up to ±3 days (files `target/lmm_bench_<n>_jitter.csv`).
use criterion::{BenchmarkId, Criterion, criterion_group};
use nalgebra::DMatrix;
use pain_outcomes::stats::lmm::{LmmData, LmmFit, LmmOptions, lmm};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::io::Write;

const DAYS: [f64; 7] = [0.0, 14.0, 42.0, 90.0, 180.0, 270.0, 365.0];

struct Sim {
    patient: Vec<usize>,
    arm: Vec<f64>,
    time: Vec<f64>,
    y: Vec<f64>,
    n: usize,
    jitter: bool,
}

/// Seeded simulation: intercept SD 1.2, slope SD 1.5 per year, correlation -0.4, residual SD
/// 0.8; slope -1 per year on placebo, -2.5 on the active arm.
/// With `jitter`, every follow-up day moves by up to ±3 days (actual visit days), so no two
/// patients share a design and the per-class accumulation of the criterion gains nothing.
fn simulate(n: usize, seed: u64, jitter: bool) -> Sim {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = Sim {
        patient: vec![],
        arm: vec![],
        time: vec![],
        y: vec![],
        n,
        jitter,
    };
    for i in 0..n {
        let arm = (i % 2) as f64;
        let z0: f64 = StandardNormal.sample(&mut rng);
        let z1: f64 = StandardNormal.sample(&mut rng);
        let b0 = 1.2 * z0;
        let b1 = 1.5 * (-0.4 * z0 + (1.0f64 - 0.16).sqrt() * z1);
        for (k, d) in DAYS.iter().enumerate() {
            if k > 0 && rng.random::<f64>() < 0.1 {
                continue;
            }
            let shift = if jitter && k > 0 {
                f64::from(rng.random_range(-3i32..=3))
            } else {
                0.0
            };
            let t = (d + shift) / 365.25;
            let e: f64 = StandardNormal.sample(&mut rng);
            s.patient.push(i);
            s.arm.push(arm);
            s.time.push(t);
            s.y.push(6.5 + b0 + (-1.0 - 1.5 * arm + b1) * t + 0.8 * e);
        }
    }
    s
}

fn write_csv(s: &Sim) {
    let path = if s.jitter {
        format!("target/lmm_bench_{}_jitter.csv", s.n)
    } else {
        format!("target/lmm_bench_{}.csv", s.n)
    };
    if std::path::Path::new(&path).exists() {
        return;
    }
    let Ok(f) = std::fs::File::create(&path) else {
        return;
    };
    let mut w = std::io::BufWriter::new(f);
    let _ = writeln!(w, "patient,arm,time,y");
    for i in 0..s.y.len() {
        let _ = writeln!(
            w,
            "P{},{},{:.17e},{:.17e}",
            s.patient[i],
            if s.arm[i] > 0.0 { "active" } else { "placebo" },
            s.time[i],
            s.y[i]
        );
    }
}

fn fit(s: &Sim) -> LmmFit {
    let rows = s.y.len();
    let x = DMatrix::from_fn(rows, 4, |r, c| match c {
        0 => 1.0,
        1 => s.arm[r],
        2 => s.time[r],
        _ => s.arm[r] * s.time[r],
    });
    let z = DMatrix::from_fn(rows, 2, |r, c| if c == 0 { 1.0 } else { s.time[r] });
    let names = ["(Intercept)", "armactive", "time", "armactive:time"]
        .map(String::from)
        .to_vec();
    let labels = (0..s.n).map(|i| format!("P{i}")).collect();
    let data = LmmData::new(
        s.y.clone(),
        x,
        names,
        z,
        vec!["(Intercept)".into(), "time".into()],
        s.patient.clone(),
        labels,
    )
    .unwrap();
    lmm(&data, &LmmOptions::default())
        .unwrap()
        .into_result()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut sizes = vec![1_000usize, 10_000, 100_000];
    if std::env::var("LMM_BENCH_1E6").is_ok() {
        sizes.push(1_000_000);
    }
    let jitter = std::env::var("LMM_BENCH_JITTER").is_ok();
    let name = if jitter {
        "lmm_intercept_slope_7_visits_actual_days"
    } else {
        "lmm_intercept_slope_7_visits"
    };
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    for n in sizes {
        let s = simulate(n, 20261205 + n as u64, jitter);
        write_csv(&s);
        let f = fit(&s);
        eprintln!(
            "n = {n}: {} observations, REML criterion {:.6}, theta {:?}, certificate {:?}",
            f.n_observations, f.criterion, f.theta, f.certificate
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| fit(black_box(s)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(n) = std::env::var("LMM_BENCH_ONCE") {
        let n: usize = n.parse().unwrap_or(1_000_000);
        let s = simulate(
            n,
            20261205 + n as u64,
            std::env::var("LMM_BENCH_JITTER").is_ok(),
        );
        write_csv(&s);
        let t = std::time::Instant::now();
        let f = fit(&s);
        eprintln!(
            "n = {n}: fit in {:.3} s, {} observations, REML criterion {:.6}, certificate {:?}",
            t.elapsed().as_secs_f64(),
            f.n_observations,
            f.criterion,
            f.certificate
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
