//! A fast, seeded generator of large long-format CSVs in the contract layout, for the load
//! benchmark and the peak-memory example. Made at run time, never committed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Nominal visit days and labels of the generated schedule (7 visits).
const VISITS: [(i32, &str); 7] = [
    (0, "baseline"),
    (14, "week_2"),
    (42, "week_6"),
    (90, "month_3"),
    (180, "month_6"),
    (365, "month_12"),
    (730, "month_24"),
];

const THERAPIES: [&str; 6] = [
    "stem_cell",
    "stem_cell",
    "corticosteroid",
    "prp",
    "stem_cell+prp",
    "placebo",
];
const SOURCES: [&str; 3] = ["bone_marrow", "adipose", "umbilical_cord"];
const CONDITIONS: [&str; 4] = [
    "knee_oa",
    "hip_oa",
    "achilles_tendinopathy",
    "degenerative_disc_disease",
];
const GUIDANCE: [&str; 3] = ["ultrasound", "fluoroscopy", "landmark"];

/// Where the file for `patients` patients lives (under `target/bench-data/`).
pub fn path_for(patients: usize) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-data")
        .join(format!("contract_{patients}x7.csv"))
}

/// Writes `patients` × 7 visits of NRS scores (about 5 % missed) with every patient-level
/// column repeated on each row. Same seed, same bytes.
pub fn write(path: &Path, patients: usize, seed: u64) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("csv.partial");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    writeln!(
        w,
        "patient_id,therapy,day,visit,instrument,score,condition,cell_source,cell_origin,cell_dose_million,guidance,age,sex,bmi,severity,site"
    )?;
    for p in 0..patients {
        let therapy = THERAPIES[rng.random_range(0..THERAPIES.len())];
        let cells = therapy.starts_with("stem_cell");
        let (source, origin, dose) = if cells {
            (
                SOURCES[rng.random_range(0..SOURCES.len())],
                if rng.random_bool(0.8) {
                    "autologous"
                } else {
                    "allogeneic"
                },
                format!("{}", rng.random_range(10..100)),
            )
        } else {
            ("", "", String::new())
        };
        let condition = CONDITIONS[rng.random_range(0..CONDITIONS.len())];
        let guidance = GUIDANCE[rng.random_range(0..GUIDANCE.len())];
        let age = rng.random_range(30..86);
        let sex = if rng.random_bool(0.55) { "F" } else { "M" };
        let bmi = f64::from(rng.random_range(180..400)) / 10.0;
        let severity = rng.random_range(1..5);
        let site = rng.random_range(1..40);
        let base = rng.random_range(4.0..9.5f64);
        for (k, (day, visit)) in VISITS.iter().enumerate() {
            let day = if k == 0 {
                *day
            } else {
                day + rng.random_range(-3..4)
            };
            write!(w, "P{p:07},{therapy},{day},{visit},nrs,")?;
            if rng.random_bool(0.95) {
                let s = (base - 0.4 * k as f64 + rng.random_range(-1.0..1.0f64)).clamp(0.0, 10.0);
                write!(w, "{:.1}", s)?;
            }
            writeln!(
                w,
                ",{condition},{source},{origin},{dose},{guidance},{age},{sex},{bmi},{severity},site_{site:02}"
            )?;
        }
    }
    w.flush()?;
    drop(w);
    std::fs::rename(tmp, path)
}

/// The file for `patients` patients, generated on first use.
pub fn ensure(patients: usize) -> std::io::Result<PathBuf> {
    let path = path_for(patients);
    if !path.exists() {
        write(&path, patients, 20_240_601)?;
    }
    Ok(path)
}
