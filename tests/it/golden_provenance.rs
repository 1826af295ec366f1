//! Every golden file carries a provenance record of the one schema
//! ([`Provenance`], written by `tests/reference/provenance.R`): where its values come from,
//! the tool and package versions, the script that writes it and the files it reads.

use crate::common::golden::{self, Provenance, Source};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct WithProvenance {
    provenance: Provenance,
}

fn golden_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden::dir())
        .expect("tests/golden")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Package versions as R and SAS print them: digits separated by dots or dashes.
fn is_version(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

#[test]
fn every_golden_file_has_a_provenance_record_of_the_common_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = golden_files();
    assert!(files.len() >= 12, "only {} golden files", files.len());
    let mut sources = Vec::new();
    for file in &files {
        let name = file.display();
        let p = golden::read::<WithProvenance>(file).provenance;
        assert!(
            !p.tool.is_empty() && !p.tool_version.is_empty(),
            "{name}: tool"
        );
        assert!(!p.packages.is_empty(), "{name}: no packages");
        for (package, version) in &p.packages {
            assert!(is_version(version), "{name}: {package} version {version:?}");
        }
        assert!(
            p.script.starts_with("tests/reference/") && root.join(&p.script).is_file(),
            "{name}: script {} is not a file under tests/reference",
            p.script
        );
        assert!(is_date(&p.generated), "{name}: generated {:?}", p.generated);
        for data in &p.data {
            assert!(
                root.join(data).is_file(),
                "{name}: data file {data} missing"
            );
        }
        sources.push(p.source);
    }
    // Both kinds occur: the schema is not vacuous in either direction.
    assert!(sources.contains(&Source::ThirdParty));
    assert!(sources.contains(&Source::IndependentScript));
}

#[test]
fn provenance_records_with_unknown_fields_or_sources_are_rejected() {
    let good = r#"{"source": "third_party", "tool": "R", "tool_version": "4.2.2",
        "packages": {"stats": "4.2.2"}, "script": "tests/reference/x.R",
        "generated": "2026-01-01", "data": []}"#;
    let p: Provenance = serde_json::from_str(good).unwrap();
    assert_eq!(p.source, Source::ThirdParty);
    let other_source = good.replace("third_party", "sas_listing");
    assert!(serde_json::from_str::<Provenance>(&other_source).is_err());
    let extra = good.replace("\"data\": []", "\"data\": [], \"date\": \"2026-01-01\"");
    assert!(serde_json::from_str::<Provenance>(&extra).is_err());
    let missing = good.replace("\"generated\": \"2026-01-01\",", "");
    assert!(serde_json::from_str::<Provenance>(&missing).is_err());
}
