//! Property tests of the readers and writers: no input makes the reader panic, and every
//! valid cohort survives CSV and DataFrame round trips unchanged.
// The crate's Error is large by design (structured locations); tests return it as is.

use pain_outcomes::data::{
    Cohort, CohortBuilder, LoadOptions, from_dataframe, read_csv_from, read_csv_texts,
};
use pain_outcomes::domain::{
    Assessment, CellOrigin, CellSource, ClinicalEvent, Component, Condition, EventKind, Guidance,
    Instrument, Patient, PatientId, Sex, StemCells, Therapy,
};
use proptest::prelude::*;

const FULL_HEADER: &str = "patient_id,therapy,day,visit,instrument,score,condition,cell_source,cell_origin,cell_dose_million,guidance,age,sex,bmi,severity,site";

// ---------------------------------------------------------------- no panics

/// Bytes biased towards what CSV parsing reacts to.
fn csvish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b",\"\n\r;\t 0123456789.-+eEnaNAprs_".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..400)
}

/// A field: a valid value of some column, a number, an arbitrary string, or empty.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "P1",
            "P2",
            "prp",
            "stem_cell",
            "stem_cell+prp",
            "prp+prp",
            "placebo",
            "nrs",
            "vas",
            "womac_pain",
            "knee_oa",
            "adipose",
            "bone_marrow",
            "autologous",
            "ultrasound",
            "female",
            "M",
            "NA",
            ".",
            "",
            " ",
            "0",
            "90",
            "-1",
            "7",
            "7.5",
            "NaN",
            "inf",
            "-inf",
            "1e308",
            "1e-320",
            "36501",
            "\"",
            "\u{feff}",
        ])
        .prop_map(str::to_string),
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<i32>().prop_map(|v| (v % 1000).to_string()),
        "[ -~]{0,8}",
        any::<String>(),
    ]
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = read_csv_from(bytes.as_slice(), "fuzz.csv", &LoadOptions::default());
    }

    #[test]
    fn csv_like_bytes_never_panic(bytes in csvish_bytes()) {
        let _ = read_csv_from(bytes.as_slice(), "fuzz.csv", &LoadOptions::default());
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(
        bytes in csvish_bytes(),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let mut input = Vec::new();
        if bom {
            input.extend_from_slice("\u{feff}".as_bytes());
        }
        input.extend_from_slice(FULL_HEADER.as_bytes());
        input.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        input.extend_from_slice(&bytes);
        if let Err(e) = read_csv_from(input.as_slice(), "fuzz.csv", &LoadOptions::default()) {
            prop_assert!(!e.code().is_empty());
            prop_assert!(e.line().is_none_or(|l| l >= 1));
        }
    }

    #[test]
    fn arbitrary_rows_in_the_contract_layout_never_panic(
        rows in prop::collection::vec(prop::collection::vec(field(), 16), 1..12),
    ) {
        let mut text = format!("{FULL_HEADER}\n");
        for row in &rows {
            let cells: Vec<String> = row.iter().map(|f| quote(f)).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        match read_csv_from(text.as_bytes(), "fuzz.csv", &LoadOptions::default()) {
            Ok(l) => prop_assert_eq!(l.report.rows_read, rows.len() as u64),
            Err(e) => {
                // every row error points into the file
                let line = e.line().unwrap_or(2);
                prop_assert!((1..=rows.len() as u64 + 1 + 16 * 8).contains(&line), "{}", e);
            }
        }
    }

    #[test]
    fn arbitrary_events_and_patients_files_never_panic(
        events in prop::collection::vec(prop::collection::vec(field(), 5), 0..6),
        patients in prop::collection::vec(prop::collection::vec(field(), 12), 0..6),
    ) {
        let a = "patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\nP2,stem_cell,0,nrs,5\n";
        let mut e = "patient_id,event,day,detail,grade\n".to_string();
        for row in &events {
            e.push_str(&row.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
            e.push('\n');
        }
        let mut p = "patient_id,therapy,condition,cell_source,cell_origin,cell_dose_million,guidance,age,sex,bmi,severity,site\n".to_string();
        for row in &patients {
            p.push_str(&row.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
            p.push('\n');
        }
        let _ = read_csv_texts(a, Some(&p), Some(&e), &LoadOptions::default());
    }
}

// ---------------------------------------------------------------- round trips

#[derive(Debug, Clone)]
struct PatientSpec {
    components: Vec<Component>,
    condition: Option<Condition>,
    cells: (Option<CellSource>, Option<CellOrigin>, Option<f64>),
    guidance: Option<Guidance>,
    age: Option<f64>,
    sex: Option<Sex>,
    bmi: Option<f64>,
    severity: Option<u8>,
    site: Option<String>,
    id_tail: String,
    /// (day, instrument index, score fraction (None = missed), visit label)
    rows: Vec<(i32, usize, Option<f64>, Option<String>)>,
    /// (kind, day, detail, grade)
    events: Vec<(EventKind, i32, Option<String>, Option<u8>)>,
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop::option::of(s)
}

fn patient_spec(with_events: bool, min_rows: usize) -> impl Strategy<Value = PatientSpec> {
    let n_instruments = Instrument::builtins().len();
    let row = (
        prop_oneof![-400i32..=1000, -36_500i32..=36_500],
        0..n_instruments,
        opt(0.0f64..=1.0),
        opt(prop_oneof![
            prop::sample::select(vec!["baseline", "week_6", "month_3", "Month 12", "v, 2"])
                .prop_map(str::to_string),
            "v[a-z_ ]{0,5}[a-z]",
        ]),
    );
    let event = (
        prop::sample::select(EventKind::ALL.to_vec()),
        -36_500i32..=36_500,
        opt("d[a-z ,\"]{0,6}[a-z]"),
        1u8..=5,
    )
        .prop_map(|(kind, day, detail, grade)| {
            let grade = (kind == EventKind::AdverseEvent && grade != 5).then_some(grade);
            (kind, day, detail, grade)
        });
    (
        (
            prop::sample::subsequence(Component::ALL.to_vec(), 1..=3).prop_shuffle(),
            opt(prop::sample::select(Condition::ALL.to_vec())),
            (
                opt(prop::sample::select(CellSource::ALL.to_vec())),
                opt(prop::sample::select(CellOrigin::ALL.to_vec())),
                opt(prop_oneof![
                    1e-6f64..=100_000.0,
                    Just(100_000.0),
                    1.0f64..100.0
                ]),
            ),
            opt(prop::sample::select(Guidance::ALL.to_vec())),
        ),
        (
            opt(prop_oneof![0.0f64..=120.0, (0u8..=120).prop_map(f64::from)]),
            opt(prop::sample::select(Sex::ALL.to_vec())),
            opt(10.0f64..=100.0),
            opt(0u8..=5),
            opt("S[A-Za-z0-9 ,\"']{0,6}[a-z]"),
            "[A-Za-z0-9_, \"-]{0,5}",
        ),
        prop::collection::vec(row, min_rows..6),
        prop::collection::vec(event, 0..if with_events { 4 } else { 1 }),
    )
        .prop_map(
            move |(
                (components, condition, cells, guidance),
                (age, sex, bmi, severity, site, id_tail),
                rows,
                events,
            )| PatientSpec {
                components,
                condition,
                cells,
                guidance,
                age,
                sex,
                bmi,
                severity,
                site,
                id_tail,
                rows,
                events: if with_events { events } else { Vec::new() },
            },
        )
}

fn build(specs: &[PatientSpec]) -> Cohort {
    let instruments = Instrument::builtins();
    let mut b = CohortBuilder::new();
    for (i, s) in specs.iter().enumerate() {
        let id = PatientId::new(format!("P{i}{}x", s.id_tail)).unwrap();
        let therapy = Therapy::from_components(&s.components).unwrap();
        let mut p = Patient::new(id.clone(), therapy);
        if therapy.has_cells() {
            let (source, origin, dose) = s.cells;
            let cells = StemCells {
                source,
                origin,
                dose: dose.and_then(pain_outcomes::domain::CellDose::new),
            };
            if cells != StemCells::default() {
                p = p.with_cells(cells);
            }
        }
        if let Some(c) = s.condition {
            p = p.with_condition(c);
        }
        if let Some(g) = s.guidance {
            p = p.with_guidance(g);
        }
        if let Some(a) = s.age {
            p = p.with_age(a);
        }
        if let Some(x) = s.sex {
            p = p.with_sex(x);
        }
        if let Some(v) = s.bmi {
            p = p.with_bmi(v);
        }
        if let Some(v) = s.severity {
            p = p.with_severity(v);
        }
        if let Some(site) = &s.site {
            p = p.with_site(site.clone());
        }
        b = b.patient(p);
        let mut seen = std::collections::HashSet::new();
        for (day, ii, frac, visit) in &s.rows {
            if !seen.insert((*day, *ii)) {
                continue;
            }
            let instr = &instruments[*ii];
            b = b.assessment(Assessment {
                patient_id: id.clone(),
                day: *day,
                visit: visit.clone(),
                instrument: instr.code.clone(),
                score: frac.map(|u| instr.min + (instr.max - instr.min) * u),
            });
        }
        for (kind, day, detail, grade) in &s.events {
            let mut e = ClinicalEvent::new(id.clone(), *kind, *day);
            if let Some(d) = detail {
                e = e.with_detail(d.clone());
            }
            if let Some(g) = grade {
                e = e.with_grade(*g);
            }
            b = b.event(e);
        }
    }
    match b.build() {
        Ok(l) => l.cohort,
        Err(e) => panic!("generated cohort is invalid: {e}"),
    }
}

fn to_text(write: impl FnOnce(&mut Vec<u8>) -> pain_outcomes::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn cohort_csv_round_trip_is_lossless(
        first in patient_spec(true, 1),
        more in prop::collection::vec(patient_spec(true, 0), 0..6),
    ) {
        // some patients may have no assessment rows (they live in the patients file only)
        let specs: Vec<PatientSpec> = std::iter::once(first).chain(more).collect();
        let cohort = build(&specs);
        let a = to_text(|w| cohort.write_csv(w));
        let p = to_text(|w| cohort.write_patients_csv(w));
        let e = to_text(|w| cohort.write_events_csv(w));
        let back = read_csv_texts(&a, Some(&p), Some(&e), &LoadOptions::default()).unwrap();
        prop_assert_eq!(&back.cohort, &cohort);
        prop_assert_eq!(back.report.rows_read, cohort.n_assessments() as u64);
        // writing again gives the same bytes
        prop_assert_eq!(to_text(|w| back.cohort.write_csv(w)), a);
    }

    #[test]
    fn cohort_csv_round_trip_without_patients_file(
        specs in prop::collection::vec(patient_spec(false, 1), 1..7),
    ) {
        // patient-level columns repeated on every row are enough
        let cohort = build(&specs);
        let a = to_text(|w| cohort.write_csv(w));
        let back = read_csv_from(a.as_bytes(), "a.csv", &LoadOptions::default()).unwrap();
        prop_assert_eq!(back.cohort, cohort);
    }

    #[test]
    fn cohort_dataframe_round_trip_is_lossless(
        specs in prop::collection::vec(patient_spec(false, 1), 1..7),
    ) {
        let cohort = build(&specs);
        let df = cohort.to_dataframe().unwrap();
        prop_assert_eq!(df.height(), cohort.n_assessments());
        let back = from_dataframe(&df, &LoadOptions::default()).unwrap();
        prop_assert_eq!(back.cohort, cohort);
    }
}
