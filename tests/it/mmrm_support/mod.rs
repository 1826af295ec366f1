//! Loaders for the MMRM test datasets (FEV and BCVA, from the mmrm project).
#![allow(dead_code)]

use std::collections::BTreeMap;

/// Long-format FEV data with missing responses dropped.
pub struct Fev {
    pub subject: Vec<usize>,
    pub visit: Vec<usize>,
    pub y: Vec<f64>,
    pub arm: Vec<usize>,
    pub race: Vec<usize>,
    pub sex: Vec<usize>,
    pub fev1_bl: Vec<f64>,
    pub weight: Vec<f64>,
    /// Spatial coordinates of the SAS `sp(exp)(VISITN VISITN2)` fits.
    pub visitn: Vec<f64>,
    pub visitn2: Vec<f64>,
    pub visits: Vec<String>,
    pub arms: Vec<String>,
    pub races: Vec<String>,
    pub sexes: Vec<String>,
}

fn level(levels: &[&str], x: &str) -> usize {
    levels
        .iter()
        .position(|l| *l == x)
        .unwrap_or_else(|| panic!("unknown level {x}"))
}

impl Fev {
    /// The FEV rows as MMRM data with the factors ARMCD (reference PBO), RACE (Asian) and SEX
    /// (Male).
    pub fn mmrm_data(&self) -> pain_outcomes::stats::mmrm::MmrmData<'_> {
        pain_outcomes::stats::mmrm::MmrmData::new(
            &self.subject,
            &self.visit,
            &self.y,
            self.visits.clone(),
        )
        .unwrap()
        .with_factor("ARMCD", &self.arm, self.arms.clone(), "PBO")
        .unwrap()
        .with_factor("RACE", &self.race, self.races.clone(), "Asian")
        .unwrap()
        .with_factor("SEX", &self.sex, self.sexes.clone(), "Male")
        .unwrap()
    }
}

/// Reads `tests/data/sas-mmrm/fev_data.csv`; `first_rows` keeps only the first rows of the
/// file (before dropping missing responses), as the SAS non-convergence case does.
pub fn fev(first_rows: Option<usize>) -> Fev {
    let mut rdr = csv::Reader::from_path("tests/data/sas-mmrm/fev_data.csv").unwrap();
    let visits = ["VIS1", "VIS2", "VIS3", "VIS4"];
    let arms = ["PBO", "TRT"];
    let races = ["Asian", "Black or African American", "White"];
    let sexes = ["Male", "Female"];
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut f = Fev {
        subject: vec![],
        visit: vec![],
        y: vec![],
        arm: vec![],
        race: vec![],
        sex: vec![],
        fev1_bl: vec![],
        weight: vec![],
        visitn: vec![],
        visitn2: vec![],
        visits: visits.iter().map(|s| s.to_string()).collect(),
        arms: arms.iter().map(|s| s.to_string()).collect(),
        races: races.iter().map(|s| s.to_string()).collect(),
        sexes: sexes.iter().map(|s| s.to_string()).collect(),
    };
    for (i, rec) in rdr.records().enumerate() {
        if first_rows.is_some_and(|n| i >= n) {
            break;
        }
        let r = rec.unwrap();
        let y = &r[6];
        if y.is_empty() {
            continue;
        }
        let n = ids.len();
        let id = *ids.entry(r[0].to_string()).or_insert(n);
        f.subject.push(id);
        f.visit.push(level(&visits, &r[1]));
        f.arm.push(level(&arms, &r[2]));
        f.race.push(level(&races, &r[3]));
        f.sex.push(level(&sexes, &r[4]));
        f.fev1_bl.push(r[5].parse().unwrap());
        f.y.push(y.parse().unwrap());
        f.weight.push(r[7].parse().unwrap());
        f.visitn.push(r[8].parse().unwrap());
        f.visitn2.push(r[9].parse().unwrap());
    }
    f
}

/// BCVA data (no missing responses in the file; dropout = absent rows).
pub struct Bcva {
    pub subject: Vec<usize>,
    pub visit: Vec<usize>,
    pub y: Vec<f64>,
    pub arm: Vec<usize>,
    pub race: Vec<usize>,
    pub bcva_bl: Vec<f64>,
    pub visits: Vec<String>,
}

pub fn bcva() -> Bcva {
    let mut rdr = csv::Reader::from_path("tests/data/sas-mmrm/bcva_data.csv").unwrap();
    let arms = ["CTL", "TRT"];
    let races = ["Asian", "Black", "White"];
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut b = Bcva {
        subject: vec![],
        visit: vec![],
        y: vec![],
        arm: vec![],
        race: vec![],
        bcva_bl: vec![],
        visits: (1..=10).map(|v| format!("VIS{v:02}")).collect(),
    };
    for rec in rdr.records() {
        let r = rec.unwrap();
        if r[6].is_empty() || r[6] == *"NA" {
            continue;
        }
        let n = ids.len();
        let id = *ids.entry(r[0].to_string()).or_insert(n);
        b.subject.push(id);
        b.visit.push(r[1].parse::<usize>().unwrap() - 1);
        b.arm.push(level(&arms, &r[3]));
        b.race.push(level(&races, &r[4]));
        b.bcva_bl.push(r[5].parse().unwrap());
        b.y.push(r[6].parse().unwrap());
    }
    b
}
pub mod sas;

/// Whether two interaction-term names are the same up to the order of their parts
/// (`visitVIS2:ARMCDTRT` = `ARMCDTRT:visitVIS2`).
pub fn same_term(a: &str, b: &str) -> bool {
    let mut x: Vec<&str> = a.split(':').collect();
    let mut y: Vec<&str> = b.split(':').collect();
    x.sort();
    y.sort();
    x == y
}
