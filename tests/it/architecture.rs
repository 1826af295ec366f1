//! Layering rules, checked by scanning the source files:
//! `domain` → `data` → `stats` → `analysis` → `report`, with `simulate` beside `data`.
//!
//! - `domain` imports nothing else of the crate and no polars;
//! - `data` never imports `stats`, `analysis`, `report` or `simulate`;
//! - `stats` (kernels on slices and matrices) never imports `data`, `analysis`, `report` or
//!   `simulate`;
//! - `analysis` never imports `report` or `simulate`;
//! - `simulate` never imports `stats`, `analysis` or `report`;
//! - polars is named only inside `data` (plus the crate root's re-export and the error type's
//!   `From` impl);
//! - each guarded module exists and is declared by the crate root.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or(path)
        .display()
        .to_string()
        .replace('\\', "/")
}

/// The code of a line, without its `//` comment (doc comments included).
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}

/// The line numbers of `path` that name one of `modules` of this crate: a path `crate::m`
/// (or `super::super::m`) anywhere in code, or an item `m::…` / `m` of a grouped import
/// `use crate::{…}` (which may span lines); plus the lines containing any of `extra`.
fn offending(path: &Path, modules: &[&str], extra: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().map(code).collect();
    let mut hits = std::collections::BTreeSet::new();
    for (i, c) in lines.iter().enumerate() {
        let path_hit = modules.iter().any(|m| {
            c.contains(&format!("crate::{m}")) || c.contains(&format!("super::super::{m}"))
        });
        if path_hit || extra.iter().any(|e| c.contains(e)) {
            hits.insert(i);
        }
    }
    // grouped imports: `use crate::{a, b::X, c::{Y, Z}};`, possibly over several lines
    let mut i = 0;
    while i < lines.len() {
        if lines[i].contains("use crate::{") {
            let first = i;
            let mut stmt = String::new();
            while i < lines.len() {
                stmt.push_str(lines[i]);
                stmt.push('\n');
                if lines[i].contains(';') {
                    break;
                }
                i += 1;
            }
            let inner = stmt.split_once("crate::{").map_or("", |(_, r)| r);
            for (offset, item) in top_level_items(inner) {
                let head = item.trim().split("::").next().unwrap_or("").trim();
                if modules.contains(&head) {
                    let lead = item.len() - item.trim_start().len();
                    let at = stmt.len() - inner.len() + offset + lead;
                    let line = first + stmt[..at].matches('\n').count();
                    hits.insert(line);
                }
            }
        }
        i += 1;
    }
    hits.into_iter()
        .map(|i| {
            let line = text.lines().nth(i).unwrap_or("").trim();
            format!("{}:{}: {line}", relative(path), i + 1)
        })
        .collect()
}

/// The top-level items of the inside of a `{…}` group (up to its closing brace), each with its
/// byte offset.
fn top_level_items(inner: &str) -> Vec<(usize, &str)> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (k, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push((start, &inner[start..k]));
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push((start, &inner[start..k]));
                start = k + 1;
            }
            _ => {}
        }
    }
    items.push((start, &inner[start..]));
    items
}

fn assert_clean(layer: &str, modules: &[&str], extra: &[&str]) {
    let files = rust_files(&src().join(layer));
    assert!(!files.is_empty(), "no source files found in src/{layer}");
    let hits: Vec<String> = files
        .iter()
        .flat_map(|f| offending(f, modules, extra))
        .collect();
    assert!(
        hits.is_empty(),
        "src/{layer} must not depend on {}:\n{}",
        modules.join(", "),
        hits.join("\n")
    );
}

#[test]
fn every_guarded_layer_exists_and_is_declared() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for layer in ["domain", "data", "stats", "analysis", "report", "simulate"] {
        let dir = src().join(layer);
        assert!(
            dir.join("mod.rs").is_file(),
            "src/{layer}/mod.rs is missing"
        );
        assert!(
            rust_files(&dir).len() >= 2,
            "src/{layer} should hold its module files"
        );
        assert!(
            lib.lines()
                .any(|l| code(l).trim() == format!("pub mod {layer};")),
            "src/lib.rs does not declare `pub mod {layer};`"
        );
    }
}

#[test]
fn domain_imports_nothing_from_the_rest_of_the_crate() {
    assert_clean(
        "domain",
        &["data", "stats", "analysis", "report", "simulate"],
        &["polars"],
    );
}

#[test]
fn data_never_imports_stats_analysis_report_or_simulate() {
    assert_clean("data", &["stats", "analysis", "report", "simulate"], &[]);
}

#[test]
fn stats_never_imports_data_analysis_report_or_simulate() {
    assert_clean("stats", &["data", "analysis", "report", "simulate"], &[]);
}

#[test]
fn analysis_never_imports_report_or_simulate() {
    assert_clean("analysis", &["report", "simulate"], &[]);
}

#[test]
fn simulate_uses_domain_and_data_only() {
    assert_clean("simulate", &["stats", "analysis", "report"], &[]);
}

#[test]
fn polars_stays_inside_the_data_adapter() {
    // the crate root re-exports polars and the error type converts polars errors
    const ALLOWED: [&str; 2] = ["src/lib.rs", "src/error.rs"];
    let data = src().join("data");
    let outside: Vec<PathBuf> = rust_files(&src())
        .into_iter()
        .filter(|f| !f.starts_with(&data) && !ALLOWED.contains(&relative(f).as_str()))
        .collect();
    assert!(!outside.is_empty());
    let hits: Vec<String> = outside
        .iter()
        .flat_map(|f| offending(f, &[], &["polars"]))
        .collect();
    assert!(
        hits.is_empty(),
        "only src/data (and the re-export in src/lib.rs, the From impl in src/error.rs) may name polars:\n{}",
        hits.join("\n")
    );
    // the exceptions stay narrow: lib.rs only re-exports, error.rs only wraps errors
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for line in lib.lines().filter(|l| code(l).contains("polars")) {
        assert_eq!(
            line.trim(),
            "pub use polars;",
            "src/lib.rs may only re-export polars"
        );
    }
    let error = std::fs::read_to_string(src().join("error.rs")).unwrap();
    for line in error.lines().filter(|l| code(l).contains("polars")) {
        let narrow = !["use polars", "prelude", "DataFrame", "Series"]
            .iter()
            .any(|n| line.contains(n));
        assert!(narrow, "src/error.rs may only wrap polars errors: {line}");
    }
}

#[test]
fn the_scanner_sees_every_form_of_import() {
    // guard against a scanner that silently matches nothing
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("architecture-probe");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.rs");
    std::fs::write(
        &file,
        "//! crate::data in a comment\n\
         use crate::data::Cohort; // 2\n\
         use crate::{Error, data::WideTable}; // 3\n\
         use crate::{\n    analysis::Attrition, // 5\n    Outcome,\n};\n\
         use crate::{Outcome, report}; // 8\n\
         let x = 1; // data::Cohort in a comment\n\
         let y = run(&pr, data, options); // a variable named like a layer\n",
    )
    .unwrap();
    let hits = offending(&file, &["data", "analysis", "report"], &[]);
    let lines: Vec<&str> = hits
        .iter()
        .map(|h| h.rsplit_once(".rs:").unwrap().1.split(':').next().unwrap())
        .collect();
    assert_eq!(lines, ["2", "3", "5", "8"], "{hits:?}");
    assert!(!rust_files(&src().join("domain")).is_empty());
}
