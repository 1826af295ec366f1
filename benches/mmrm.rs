//! MMRM speed: unstructured covariance, 6 visits, ~30 % monotone dropout, model
//! `y ~ baseline*visit + arm*visit`, REML, Satterthwaite; 10^3, 10^4, 10^5 subjects
//! (10^6 with `MMRM_BENCH_1E6=1`). Each data set is also written to
//! `target/mmrm_bench_<n>.csv` so that `benches/mmrm_gls.R` can time `nlme::gls` on the same
//! file. `MMRM_BENCH_ONCE=<n>` fits once and exits (for `/usr/bin/time -v` peak memory).
use criterion::{BenchmarkId, Criterion, criterion_group};
use pain_outcomes::stats::mmrm::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::hint::black_box;
use std::io::Write;

const VISITS: usize = 6;

struct Sim {
    subject: Vec<usize>,
    visit: Vec<usize>,
    arm: Vec<usize>,
    baseline: Vec<f64>,
    y: Vec<f64>,
}

/// Seeded simulation: AR-like correlated errors with heterogeneous variances; each subject
/// drops out after visit k with probability 0.07 per visit (about 30 % incomplete).
fn simulate(n: usize, seed: u64) -> Sim {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = Sim {
        subject: vec![],
        visit: vec![],
        arm: vec![],
        baseline: vec![],
        y: vec![],
    };
    let sd = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5];
    for i in 0..n {
        let arm = i % 2;
        let bl: f64 = 6.0 + rng.random::<f64>() * 3.0;
        let mut e_prev = 0.0;
        for (v, sd_v) in sd.iter().enumerate() {
            let z: f64 = StandardNormal.sample(&mut rng);
            let e = 0.6 * e_prev + 0.8 * z;
            e_prev = e;
            if v > 0 && rng.random::<f64>() < 0.07 {
                break;
            }
            let mean = 0.5 * bl - 0.3 * v as f64 - 0.4 * (arm as f64) * (v as f64) / 5.0;
            s.subject.push(i);
            s.visit.push(v);
            s.arm.push(arm);
            s.baseline.push(bl);
            s.y.push(mean + sd_v * e);
        }
    }
    s
}

fn write_csv(s: &Sim, n: usize) {
    let path = format!("target/mmrm_bench_{n}.csv");
    if std::path::Path::new(&path).exists() {
        return;
    }
    let Ok(f) = std::fs::File::create(&path) else {
        return;
    };
    let mut w = std::io::BufWriter::new(f);
    let _ = writeln!(w, "subject,visit,arm,baseline,y");
    for i in 0..s.y.len() {
        let _ = writeln!(
            w,
            "{},V{},{},{},{}",
            s.subject[i],
            s.visit[i] + 1,
            s.arm[i],
            s.baseline[i],
            s.y[i]
        );
    }
}

fn fit(s: &Sim) -> MmrmFit {
    let labels: Vec<String> = (1..=VISITS).map(|v| format!("V{v}")).collect();
    let data = MmrmData::new(&s.subject, &s.visit, &s.y, labels)
        .unwrap()
        .with_factor(
            "arm",
            &s.arm,
            vec!["placebo".into(), "active".into()],
            "placebo",
        )
        .unwrap()
        .with_covariate("baseline", &s.baseline)
        .unwrap();
    let spec = ModelSpec::parse("baseline*visit + arm*visit").unwrap();
    let fit = mmrm(&data, &spec, &MmrmOptions::default())
        .unwrap()
        .into_result()
        .unwrap();
    // The per-visit contrasts are part of the job.
    black_box(fit.arm_differences("arm", LsMeanWeights::Equal).unwrap());
    fit
}

fn bench(c: &mut Criterion) {
    let mut sizes = vec![1_000usize, 10_000, 100_000];
    if std::env::var("MMRM_BENCH_1E6").is_ok() {
        sizes.push(1_000_000);
    }
    let mut group = c.benchmark_group("mmrm_us_6_visits");
    group.sample_size(10);
    for n in sizes {
        let s = simulate(n, 20240601 + n as u64);
        write_csv(&s, n);
        let f = fit(&s);
        eprintln!(
            "n = {n}: {} observations, {} blocks, certificate {:?}",
            f.n_observations, f.n_blocks, f.certificate
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| fit(black_box(s)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(n) = std::env::var("MMRM_BENCH_ONCE") {
        let n: usize = n.parse().unwrap_or(1_000_000);
        let s = simulate(n, 20240601 + n as u64);
        let t = std::time::Instant::now();
        let f = fit(&s);
        eprintln!(
            "n = {n}: fit in {:.3} s, {} observations, -2 log L {}",
            t.elapsed().as_secs_f64(),
            f.n_observations,
            f.fit_statistics.minus_two_log_likelihood
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
