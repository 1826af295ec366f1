//! Survival at registry scale: 10^6 patients, Kaplan–Meier + log-rank + Cox (3 covariates).
//!
//! The data are simulated with a fixed seed and written to
//! `target/survival_bench_1000000.csv`, so that `benches/survival_r.R` times R `survival` on the
//! same file: `cargo bench --bench survival` then `Rscript benches/survival_r.R`.
//!
//! Only this crate's code is timed; when the release build of the heavy dependencies is not
//! at hand, the same measurement can be made with only this crate optimised:
//! `cargo bench --profile dev --config 'profile.dev.package.pain-outcomes.opt-level=3'
//! --config 'profile.dev.package.pain-outcomes.debug-assertions=false'
//! --config 'profile.dev.package.pain-outcomes.overflow-checks=false' --bench survival`.

use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::DMatrix;
use pain_outcomes::stats::survival::{
    CoxData, CoxOptions, KaplanMeierOptions, Status, cox_ph, kaplan_meier, log_rank,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Normal};

const N: usize = 1_000_000;

struct Cohort {
    time: Vec<f64>,
    status: Vec<Status>,
    arm: Vec<u8>,
    x: DMatrix<f64>,
}

/// Time to surgery in whole days (many ties), arm effect, age and BMI, uniform censoring.
fn simulate(n: usize, seed: u64) -> Cohort {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let age_d = Normal::new(58.0, 9.0).unwrap();
    let bmi_d = Normal::new(28.0, 4.0).unwrap();
    let unit = Exp::new(1.0).unwrap();
    let mut time = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut arm = Vec::with_capacity(n);
    let mut x = DMatrix::zeros(n, 3);
    for i in 0..n {
        let a: u8 = rng.random_range(0..2);
        let age: f64 = age_d.sample(&mut rng);
        let bmi: f64 = bmi_d.sample(&mut rng);
        let lp = -0.4 * f64::from(a) + 0.02 * (age - 58.0) + 0.03 * (bmi - 28.0);
        let t_event = unit.sample(&mut rng) * 500.0 * (-lp).exp();
        let t_cens = rng.random_range(30.0..730.0);
        let (t, s) = if t_event <= t_cens {
            (t_event, Status::Event)
        } else {
            (t_cens, Status::Censored)
        };
        time.push(t.ceil());
        status.push(s);
        arm.push(a);
        x[(i, 0)] = f64::from(a);
        x[(i, 1)] = age.round();
        x[(i, 2)] = (bmi * 10.0).round() / 10.0;
    }
    Cohort {
        time,
        status,
        arm,
        x,
    }
}

fn write_csv(c: &Cohort, path: &std::path::Path) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "time,status,arm,age,bmi").unwrap();
    for i in 0..c.time.len() {
        let s = u8::from(c.status[i].is_event());
        writeln!(
            w,
            "{},{},{},{},{}",
            c.time[i],
            s,
            c.arm[i],
            c.x[(i, 1)],
            c.x[(i, 2)]
        )
        .unwrap();
    }
}

fn bench(cr: &mut Criterion) {
    let c = simulate(N, 20240605);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir).unwrap();
    write_csv(&c, &dir.join(format!("survival_bench_{N}.csv")));
    // Printed once so the estimates can be compared with the R script's output.
    let data = CoxData::new(&c.time, &c.status, &c.x).unwrap();
    if let Some(fit) = cox_ph(&data, &CoxOptions::default()).unwrap().computed() {
        let coef: Vec<f64> = fit.coefficients.iter().map(|k| k.estimate).collect();
        eprintln!(
            "cox coefficients (arm, age, bmi): {coef:?}, iterations {}",
            fit.iterations
        );
    }
    let mut g = cr.benchmark_group("survival_1e6");
    g.sample_size(10);
    g.bench_function("kaplan_meier", |b| {
        b.iter(|| {
            kaplan_meier(
                black_box(&c.time),
                &c.status,
                &KaplanMeierOptions::default(),
            )
            .unwrap()
        })
    });
    g.bench_function("log_rank", |b| {
        b.iter(|| log_rank(black_box(&c.time), &c.status, &c.arm).unwrap())
    });
    g.bench_function("cox_efron_3_covariates", |b| {
        b.iter(|| {
            let data = CoxData::new(black_box(&c.time), &c.status, &c.x).unwrap();
            cox_ph(&data, &CoxOptions::default()).unwrap()
        })
    });
    g.bench_function("km_logrank_cox_total", |b| {
        b.iter(|| {
            let km = kaplan_meier(
                black_box(&c.time),
                &c.status,
                &KaplanMeierOptions::default(),
            )
            .unwrap();
            let lr = log_rank(&c.time, &c.status, &c.arm).unwrap();
            let data = CoxData::new(&c.time, &c.status, &c.x).unwrap();
            let fit = cox_ph(&data, &CoxOptions::default()).unwrap();
            (km, lr, fit)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
