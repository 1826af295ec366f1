//! Single-step simultaneous inference on the held-out knee trial: the ANCOVA score ~ arm +
//! baseline at the last visit, then adjusted p-values and simultaneous intervals (critical
//! value) of three families, at the crate's integration tolerances (5e-7 Dunnett, 1e-6 Tukey):
//!
//! - `dunnett_6`: each of 5 arms vs placebo (the factor rule);
//! - `tukey_4` and `tukey_5`: all pairs of 4 and 5 arms (the randomized lattice rule).
//!
//! `benches/multiplicity_r.R` times multcomp on the same families and file at the same
//! `abseps`; the results are in benches/multiplicity.md.
//!
//! ```text
//! cargo bench --bench multiplicity
//! Rscript benches/multiplicity_r.R
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use pain_outcomes::analysis::{AncovaBuilder, ArmContrast, CohortAncova};
use pain_outcomes::data::read_csv;
use pain_outcomes::stats::multiplicity::MultiplicityMethod;
use std::hint::black_box;
use std::time::Duration;

const DATA: &str = "tests/data/heldout_knee/knee_oa_trial.csv";
const FOUR: [&str; 4] = ["placebo", "corticosteroid", "prp", "stem_cell[adipose]"];

fn fit(arms: Option<&[&str]>) -> CohortAncova {
    let path = format!("{}/{DATA}", env!("CARGO_MANIFEST_DIR"));
    let cohort = read_csv(path, &Default::default()).expect("read").cohort;
    let mut b = AncovaBuilder::new(&cohort)
        .instrument("nrs")
        .reference_arm("placebo");
    if let Some(a) = arms {
        b = b.arms(a);
    }
    b.fit().expect("fit").into_result().expect("computed")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("multiplicity");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    let all = fit(None);
    let dunnett: Vec<ArmContrast> = all
        .model
        .arms
        .iter()
        .filter(|a| *a != "placebo")
        .map(|a| ArmContrast::difference(a, "placebo"))
        .collect();
    group.bench_function("dunnett_6", |b| {
        b.iter(|| {
            black_box(
                all.contrasts(&dunnett, MultiplicityMethod::SingleStep)
                    .expect("contrasts"),
            )
        })
    });
    let five: Vec<&str> = FOUR
        .iter()
        .copied()
        .chain(["stem_cell[bone_marrow]"])
        .collect();
    for (name, arms) in [("tukey_4", FOUR.to_vec()), ("tukey_5", five)] {
        let a = fit(Some(&arms));
        let pairs = ArmContrast::pairwise(&a.model.arms);
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    a.contrasts(&pairs, MultiplicityMethod::SingleStep)
                        .expect("contrasts"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
