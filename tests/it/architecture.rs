//! Layering rules, checked by scanning the source files: `domain` imports nothing from the
//! rest of the crate and no polars; `stats` never imports `report`; polars is touched only by
//! the data adapter (plus the crate root's re-export and the error type's `From` impl).

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

/// Lines of `path` (with numbers) whose code contains any of `needles`.
fn offending(path: &Path, needles: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .filter(|(_, line)| needles.iter().any(|n| code(line).contains(n)))
        .map(|(i, line)| format!("{}:{}: {}", relative(path), i + 1, line.trim()))
        .collect()
}

fn assert_clean(files: &[PathBuf], needles: &[&str], rule: &str) {
    assert!(!files.is_empty(), "no source files found for rule: {rule}");
    let hits: Vec<String> = files.iter().flat_map(|f| offending(f, needles)).collect();
    assert!(hits.is_empty(), "{rule}:\n{}", hits.join("\n"));
}

#[test]
fn domain_imports_nothing_from_data_stats_report_or_polars() {
    assert_clean(
        &rust_files(&src().join("domain")),
        &[
            "crate::data",
            "crate::stats",
            "crate::report",
            "crate::simulate",
            "polars",
            "super::super",
            "use crate::{",
        ],
        "src/domain must not depend on data, stats, report, simulate or polars",
    );
}

#[test]
fn stats_never_imports_report() {
    assert_clean(
        &rust_files(&src().join("stats")),
        // grouped imports (`use crate::{Error, report::Table}`) are caught by the `{report` and
        // `, report` needles
        &["crate::report", "{report", ", report"],
        "src/stats must not depend on report",
    );
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
    assert_clean(
        &outside,
        &["polars"],
        "only src/data (and the re-export in src/lib.rs, the From impl in src/error.rs) may name polars",
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
fn the_scanner_sees_a_violation() {
    // guard against a scanner that silently matches nothing
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("architecture-probe");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.rs");
    std::fs::write(
        &file,
        "//! crate::data in a comment\nuse crate::data::Cohort; // x\n",
    )
    .unwrap();
    assert_eq!(offending(&file, &["crate::data"]).len(), 1);
    assert!(!rust_files(&src().join("domain")).is_empty());
}
