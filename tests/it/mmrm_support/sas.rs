//! Readers for SAS PROC MIXED listing files (printed precision is kept: each value carries the
//! number of decimals SAS printed).
#![allow(dead_code)]

/// A printed number and its number of decimals.
#[derive(Debug, Clone, Copy)]
pub struct Printed {
    pub value: f64,
    pub decimals: i32,
}

impl Printed {
    pub fn parse(s: &str) -> Option<Printed> {
        let value: f64 = s.parse().ok()?;
        let decimals = s.split('.').nth(1).map_or(0, |d| d.len() as i32);
        Some(Printed { value, decimals })
    }
    /// Half a unit in the last printed place.
    pub fn half_ulp(&self) -> f64 {
        0.5 * 10f64.powi(-self.decimals)
    }
}

pub fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines_after<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    // Lines following every occurrence of the header (tables continue across pages).
    let mut out = Vec::new();
    let mut on = false;
    for line in text.lines() {
        let t = line.trim();
        if t == header {
            on = true;
            continue;
        }
        if on
            && (t.starts_with("Fit Statistics")
                || t.starts_with("Solution for Fixed")
                || t.starts_with("Type 3 Tests")
                || t.starts_with("Least Squares Means")
                || t.starts_with("Differences of Least")
                || t.starts_with("Tests of Effect")
                || t.starts_with("Null Model")
                || t.starts_with("Convergence criteria")
                || t.starts_with("Estimated R"))
        {
            on = false;
        }
        if on {
            out.push(line);
        }
    }
    out
}

/// The last `-2 (Res) Log Like` of the iteration history (full precision).
pub fn final_criterion(text: &str) -> f64 {
    let mut last = f64::NAN;
    for line in lines_after(text, "Iteration History") {
        let tok: Vec<&str> = line.split_whitespace().collect();
        if tok.len() >= 3
            && tok[0].parse::<u32>().is_ok()
            && tok[1].parse::<u32>().is_ok()
            && let Ok(v) = tok[2].parse::<f64>()
        {
            last = v;
        }
    }
    last
}

/// The iteration history: `(iteration, -2 (Res) Log Like)` for every printed iteration.
pub fn iteration_history(text: &str) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    for line in lines_after(text, "Iteration History") {
        let tok: Vec<&str> = line.split_whitespace().collect();
        if tok.len() >= 3
            && let (Ok(it), Ok(_), Ok(v)) = (
                tok[0].parse::<usize>(),
                tok[1].parse::<u32>(),
                tok[2].parse::<f64>(),
            )
        {
            out.push((it, v));
        }
    }
    out
}

/// Covariance parameter estimates: (name, group level or "", estimate).
pub fn covariance_parameters(text: &str) -> Vec<(String, String, Printed)> {
    let mut out = Vec::new();
    for line in lines_after(text, "Covariance Parameter Estimates") {
        let tok: Vec<&str> = line.split_whitespace().collect();
        let Some(alpha) = tok.iter().position(|t| *t == "0.05") else {
            continue;
        };
        if alpha < 2 {
            continue;
        }
        let group = tok
            .iter()
            .position(|t| *t == "ARMCD")
            .map_or(String::new(), |i| tok[i + 1].to_string());
        if let Some(p) = Printed::parse(tok[alpha - 1]) {
            out.push((tok[0].to_string(), group, p));
        }
    }
    out
}

/// Rows of a table whose numeric tail has `n_numeric` leading numbers of interest: returns the
/// label tokens and the printed numbers (up to the first non-numeric tail token).
pub fn table_rows(text: &str, header: &str) -> Vec<(Vec<String>, Vec<Printed>)> {
    let mut out = Vec::new();
    for line in lines_after(text, header) {
        let tok: Vec<&str> = line.split_whitespace().collect();
        if tok.is_empty() || line.contains("The SAS System") || line.contains("The Mixed Procedure")
        {
            continue;
        }
        // Labels are the leading tokens that do not parse as numbers (level names may be
        // numeric-free words; "Black or African American" spans tokens).
        let first_num = tok.iter().position(|t| t.parse::<f64>().is_ok());
        let Some(i) = first_num else { continue };
        if i == 0 {
            continue;
        }
        let nums: Vec<Printed> = tok[i..].iter().filter_map(|t| Printed::parse(t)).collect();
        out.push((tok[..i].iter().map(|s| s.to_string()).collect(), nums));
    }
    out
}

/// TRT − PBO (estimate, SE, df) of a Kenward–Roger table
/// `tests/data/sas-mmrm/kenward-roger/<prefix>_<code>.csv`.
pub fn kr_table(prefix: &str, code: &str) -> (f64, f64, f64) {
    let path = format!("tests/data/sas-mmrm/kenward-roger/{prefix}_{code}.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rec = rdr.records().next().unwrap().unwrap();
    (
        rec[4].parse().unwrap(),
        rec[5].parse().unwrap(),
        rec[6].parse().unwrap(),
    )
}
