//! Malformed inputs: each gives its specific typed error, with the right line (the header is
//! line 1), column and value. None panics.
// The crate's Error is large by design (structured locations); tests return it as is.

use pain_outcomes::Error;
use pain_outcomes::data::{
    ColumnMap, CsvFiles, LoadOptions, Loaded, read_csv_files, read_csv_from, read_csv_str,
    read_csv_texts,
};
use std::path::PathBuf;

const H: &str = "patient_id,therapy,day,instrument,score";

fn load(text: &str) -> pain_outcomes::Result<Loaded> {
    read_csv_str(text, "t.csv", &LoadOptions::default())
}

fn load_bytes(bytes: &[u8]) -> pain_outcomes::Result<Loaded> {
    read_csv_from(bytes, "t.csv", &LoadOptions::default())
}

fn fail(text: &str) -> Error {
    match load(text) {
        Ok(l) => panic!("expected an error, loaded {} rows", l.report.rows_read),
        Err(e) => e,
    }
}

fn fail_bytes(bytes: &[u8]) -> Error {
    match load_bytes(bytes) {
        Ok(l) => panic!("expected an error, loaded {} rows", l.report.rows_read),
        Err(e) => e,
    }
}

/// Asserts code and line.
fn expect(e: &Error, code: &str, line: Option<u64>) {
    assert_eq!(e.code(), code, "wrong variant: {e}");
    assert_eq!(e.line(), line, "wrong line: {e}");
}

fn unknown(e: &Error, line: u64, column: &str, kind: &str, value: &str) {
    expect(e, "unknown_category", Some(line));
    match e {
        Error::UnknownCategory {
            at,
            kind: k,
            value: v,
            expected,
        } => {
            assert_eq!(at.column, column);
            assert_eq!(*k, kind);
            assert_eq!(v, value);
            assert!(!expected.is_empty());
        }
        other => panic!("not UnknownCategory: {other}"),
    }
}

fn invalid_number(e: &Error, line: u64, column: &str, value: &str) {
    expect(e, "invalid_number", Some(line));
    match e {
        Error::InvalidNumber { at, value: v, .. } => {
            assert_eq!(at.column, column);
            assert_eq!(v, value);
        }
        other => panic!("not InvalidNumber: {other}"),
    }
}

fn out_of_range(e: &Error, line: u64, column: &str, value: f64, min: f64, max: f64) {
    expect(e, "value_out_of_range", Some(line));
    match e {
        Error::ValueOutOfRange {
            at,
            value: v,
            min: lo,
            max: hi,
        } => {
            assert_eq!(at.column, column);
            assert_eq!((*v, *lo, *hi), (value, min, max));
        }
        other => panic!("not ValueOutOfRange: {other}"),
    }
}

fn score_out_of_range(e: &Error, line: u64, instrument: &str, value: f64, max: f64) {
    expect(e, "score_out_of_range", Some(line));
    match e {
        Error::ScoreOutOfRange {
            at,
            instrument: i,
            value: v,
            min,
            max: hi,
        } => {
            assert_eq!(at.column, "score");
            assert_eq!(i, instrument);
            assert_eq!((*v, *min, *hi), (value, 0.0, max));
        }
        other => panic!("not ScoreOutOfRange: {other}"),
    }
}

fn inconsistent(e: &Error, line: u64, column: &str, value: &str, first: &str, first_line: u64) {
    expect(e, "inconsistent_patient", Some(line));
    match e {
        Error::InconsistentPatient {
            at,
            value: v,
            first_value,
            first_line: fl,
            ..
        } => {
            assert_eq!(at.column, column);
            assert_eq!((v.as_str(), first_value.as_str()), (value, first));
            assert_eq!(*fl, first_line);
        }
        other => panic!("not InconsistentPatient: {other}"),
    }
}

fn duplicate(e: &Error, line: u64, patient: &str, day: i64, first_line: u64) {
    expect(e, "duplicate_assessment", Some(line));
    match e {
        Error::DuplicateAssessment {
            patient_id,
            day: d,
            instrument,
            first_line: fl,
            ..
        } => {
            assert_eq!(
                (patient_id.as_str(), *d, instrument.as_str()),
                (patient, day, "nrs")
            );
            assert_eq!(*fl, first_line);
        }
        other => panic!("not DuplicateAssessment: {other}"),
    }
}

fn conflicting(e: &Error, line: u64, value: &str, first: &str, first_line: u64) {
    expect(e, "conflicting_assessment", Some(line));
    match e {
        Error::ConflictingAssessment {
            value: v,
            first_value,
            first_line: fl,
            ..
        } => {
            assert_eq!((v.as_str(), first_value.as_str()), (value, first));
            assert_eq!(*fl, first_line);
        }
        other => panic!("not ConflictingAssessment: {other}"),
    }
}

fn missing_column(e: &Error, name: &str) {
    expect(e, "missing_column", None);
    match e {
        Error::MissingColumn { name: n, .. } => assert_eq!(n, name),
        other => panic!("not MissingColumn: {other}"),
    }
}

fn inapplicable(e: &Error, line: u64, column: &str, value: &str) {
    expect(e, "inapplicable", Some(line));
    match e {
        Error::Inapplicable { at, value: v, .. } => {
            assert_eq!(at.column, column);
            assert_eq!(v, value);
        }
        other => panic!("not Inapplicable: {other}"),
    }
}

fn empty_value(e: &Error, line: u64, column: &str) {
    expect(e, "empty_value", Some(line));
    match e {
        Error::EmptyValue { at, .. } => assert_eq!(at.column, column),
        other => panic!("not EmptyValue: {other}"),
    }
}

fn field_count(e: &Error, line: u64, expected: u64, found: u64) {
    expect(e, "field_count", Some(line));
    match e {
        Error::FieldCount {
            expected: x,
            found: f,
            ..
        } => assert_eq!((*x, *f), (expected, found)),
        other => panic!("not FieldCount: {other}"),
    }
}

fn malformed(e: &Error, line: u64) {
    expect(e, "malformed_csv", Some(line));
    assert!(matches!(e, Error::MalformedCsv { .. }));
}

fn invalid_utf8(e: &Error, line: u64, column: &str) {
    expect(e, "invalid_utf8", Some(line));
    match e {
        Error::InvalidUtf8 { at, .. } => assert_eq!(at.column, column),
        other => panic!("not InvalidUtf8: {other}"),
    }
}

/// A unique scratch directory for file-based cases.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("malformed-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------- structure

#[test]
fn truncated_row_is_field_count() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,90,nrs\n"));
    field_count(&e, 3, 5, 4);
}

#[test]
fn too_many_fields_is_field_count() {
    let e = fail(&format!(
        "{H}\nP1,prp,0,nrs,7\nP1,prp,14,nrs,6\nP1,prp,90,nrs,5,extra\n"
    ));
    field_count(&e, 4, 5, 6);
}

#[test]
fn semicolon_delimiter_is_wrong_delimiter() {
    let e = fail("patient_id;therapy;day;instrument;score\nP1;prp;0;nrs;7\n");
    expect(&e, "wrong_delimiter", Some(1));
    match e {
        Error::WrongDelimiter {
            found, expected, ..
        } => assert_eq!((found, expected), (';', ',')),
        other => panic!("not WrongDelimiter: {other}"),
    }
}

#[test]
fn tab_delimiter_is_wrong_delimiter() {
    let e = fail("patient_id\ttherapy\tday\tinstrument\tscore\nP1\tprp\t0\tnrs\t7\n");
    expect(&e, "wrong_delimiter", Some(1));
    match e {
        Error::WrongDelimiter {
            found, expected, ..
        } => assert_eq!((found, expected), ('\t', ',')),
        other => panic!("not WrongDelimiter: {other}"),
    }
}

#[test]
fn semicolon_file_loads_with_semicolon_option() {
    let opts = LoadOptions::default().with_delimiter(b';');
    let l = read_csv_str(
        "patient_id;therapy;day;instrument;score\nP1;prp;0;nrs;7,5\n",
        "t.csv",
        &opts,
    );
    // a decimal comma is not a number
    invalid_number(&l.unwrap_err(), 2, "score", "7,5");
    let l = read_csv_str(
        "patient_id;therapy;day;instrument;score\nP1;prp;0;nrs;7.5\n",
        "t.csv",
        &opts,
    )
    .unwrap();
    assert_eq!(l.cohort.scores(), &[Some(7.5)]);
}

#[test]
fn each_missing_required_column_is_named() {
    let cols = ["patient_id", "therapy", "day", "instrument", "score"];
    for drop in cols {
        let header: Vec<&str> = cols.iter().copied().filter(|c| *c != drop).collect();
        let row: Vec<&str> = cols
            .iter()
            .zip(["P1", "prp", "0", "nrs", "7"])
            .filter(|(c, _)| **c != drop)
            .map(|(_, v)| v)
            .collect();
        let e = fail(&format!("{}\n{}\n", header.join(","), row.join(",")));
        missing_column(&e, drop);
    }
}

#[test]
fn duplicate_header_column_is_duplicate_column() {
    let e = fail("patient_id,therapy,day,instrument,score,Score\nP1,prp,0,nrs,7,7\n");
    expect(&e, "duplicate_column", Some(1));
    match e {
        Error::DuplicateColumn { name, .. } => assert_eq!(name, "Score"),
        other => panic!("not DuplicateColumn: {other}"),
    }
}

#[test]
fn empty_file_is_empty_file() {
    let e = fail("");
    expect(&e, "empty_file", None);
    match e {
        Error::EmptyFile { expected, .. } => {
            assert_eq!(expected, "patient_id, therapy, day, instrument, score")
        }
        other => panic!("not EmptyFile: {other}"),
    }
}

#[test]
fn header_only_is_header_only() {
    expect(&fail(&format!("{H}\n")), "header_only", None);
    expect(&fail(H), "header_only", None);
    // blank lines after the header are still no data
    expect(&fail(&format!("{H}\n\n\n")), "header_only", None);
}

#[test]
fn only_blank_lines_is_empty_file() {
    expect(&fail("\n\n\n"), "empty_file", None);
    expect(&fail("\r\n\r\n"), "empty_file", None);
    expect(&fail("   \n"), "empty_file", None);
}

#[test]
fn invalid_utf8_in_a_field() {
    let mut bytes = format!("{H}\nP1,prp,0,nrs,7\n").into_bytes();
    bytes.extend_from_slice(b"P2,pr\xffp,0,nrs,7\n");
    let e = fail_bytes(&bytes);
    invalid_utf8(&e, 3, "therapy");
    // in the patient id too
    let mut bytes = format!("{H}\n").into_bytes();
    bytes.extend_from_slice(b"P\xc3\x28,prp,0,nrs,7\n");
    invalid_utf8(&fail_bytes(&bytes), 2, "patient_id");
}

#[test]
fn invalid_utf8_in_the_header() {
    let e = fail_bytes(b"patient_id,ther\xfeapy,day,instrument,score\nP1,prp,0,nrs,7\n");
    invalid_utf8(&e, 1, "#2");
}

#[test]
fn unterminated_quote_in_last_field() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,90,nrs,\"5\n"));
    malformed(&e, 3);
}

#[test]
fn unterminated_quote_in_middle_field() {
    let e = fail(&format!(
        "{H}\nP1,prp,0,nrs,7\nP1,\"prp,90,nrs,5\nP1,prp,180,nrs,4\n"
    ));
    malformed(&e, 3);
}

#[test]
fn error_line_is_right_with_crlf() {
    let e =
        fail("patient_id,therapy,day,instrument,score\r\nP1,prp,0,nrs,7\r\nP1,prp,90,nrs,12\r\n");
    score_out_of_range(&e, 3, "nrs", 12.0, 10.0);
}

#[test]
fn error_line_is_right_with_bom_and_crlf() {
    let e = fail(
        "\u{feff}patient_id,therapy,day,instrument,score\r\nP1,prp,0,nrs,7\r\nP1,prp,90,nrs,12\r\n",
    );
    score_out_of_range(&e, 3, "nrs", 12.0, 10.0);
    let e =
        fail("\u{feff}patient_id,therapy,day,instrument,score\nP1,prp,0,nrs,7\nP1,prp,9x,nrs,1\n");
    invalid_number(&e, 3, "day", "9x");
}

#[test]
fn error_line_is_right_after_blank_lines_and_quoted_line_breaks() {
    let e = fail(&format!(
        "{H},site\nP1,prp,0,nrs,7,\"North\nwing\"\n\nP1,prp,90,nrs,x,\"North\nwing\"\n"
    ));
    invalid_number(&e, 5, "score", "x");
}

// ---------------------------------------------------------------- categories

#[test]
fn unknown_therapy() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP2,stemcell,0,nrs,7\n"));
    unknown(&e, 3, "therapy", "therapy", "stemcell");
}

#[test]
fn combination_with_repeated_component_is_unknown_therapy() {
    let e = fail(&format!("{H}\nP1,prp+prp,0,nrs,7\n"));
    unknown(&e, 2, "therapy", "therapy", "prp+prp");
}

#[test]
fn unknown_instrument() {
    let e = fail(&format!(
        "{H}\nP1,prp,0,nrs,7\nP1,prp,14,nrs,6\nP1,prp,90,pain_nrs,5\n"
    ));
    unknown(&e, 4, "instrument", "instrument", "pain_nrs");
}

#[test]
fn unknown_condition() {
    let e = fail(&format!("{H},condition\nP1,prp,0,nrs,7,knee\n"));
    unknown(&e, 2, "condition", "condition", "knee");
}

#[test]
fn unknown_cell_source() {
    let e = fail(&format!("{H},cell_source\nP1,stem_cell,0,nrs,7,placenta\n"));
    unknown(&e, 2, "cell_source", "cell source", "placenta");
}

#[test]
fn unknown_sex() {
    let e = fail(&format!("{H},sex\nP1,prp,0,nrs,7,F\nP2,prp,0,nrs,7,X\n"));
    unknown(&e, 3, "sex", "sex", "X");
}

#[test]
fn unknown_event() {
    let a = format!("{H}\nP1,prp,0,nrs,7\n");
    let ev = "patient_id,event,day,detail,grade\nP1,surgery,100,TKA,\nP1,death,200,,\n";
    let e = read_csv_texts(&a, None, Some(ev), &LoadOptions::default()).unwrap_err();
    unknown(&e, 3, "event", "event", "death");
    match &e {
        Error::UnknownCategory { at, .. } => assert_eq!(at.file, "events.csv"),
        other => panic!("{other}"),
    }
}

#[test]
fn empty_patient_id_is_empty_value() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\n  ,prp,0,nrs,7\n"));
    empty_value(&e, 3, "patient_id");
}

#[test]
fn empty_therapy_is_empty_value() {
    let e = fail(&format!("{H}\nP1,,0,nrs,7\n"));
    empty_value(&e, 2, "therapy");
}

#[test]
fn cell_source_for_a_non_cell_therapy_is_inapplicable() {
    let e = fail(&format!(
        "{H},cell_source\nP1,stem_cell,0,nrs,7,adipose\nP2,prp,0,nrs,7,adipose\n"
    ));
    inapplicable(&e, 3, "cell_source", "adipose");
}

#[test]
fn grade_on_a_non_adverse_event_is_inapplicable() {
    let a = format!("{H}\nP1,prp,0,nrs,7\n");
    let ev =
        "patient_id,event,day,detail,grade\nP1,adverse_event,3,swelling,2\nP1,surgery,200,TKA,3\n";
    let e = read_csv_texts(&a, None, Some(ev), &LoadOptions::default()).unwrap_err();
    inapplicable(&e, 3, "grade", "3");
}

// ---------------------------------------------------------------- numbers

#[test]
fn nrs_11_is_score_out_of_range() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,90,nrs,11\n"));
    score_out_of_range(&e, 3, "nrs", 11.0, 10.0);
}

#[test]
fn negative_score_is_score_out_of_range() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,-0.5\n"));
    score_out_of_range(&e, 2, "nrs", -0.5, 10.0);
}

#[test]
fn vas_101_is_score_out_of_range() {
    let e = fail(&format!("{H}\nP1,prp,0,vas,100\nP1,prp,90,vas,101\n"));
    score_out_of_range(&e, 3, "vas", 101.0, 100.0);
}

#[test]
fn nan_score_is_invalid_number() {
    for nan in ["NaN", "nan", "-nan"] {
        let e = fail(&format!("{H}\nP1,prp,0,nrs,{nan}\n"));
        invalid_number(&e, 2, "score", nan);
    }
}

#[test]
fn inf_score_is_invalid_number() {
    for inf in ["inf", "Infinity", "+inf"] {
        let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,90,nrs,{inf}\n"));
        invalid_number(&e, 3, "score", inf);
    }
}

#[test]
fn negative_inf_score_is_invalid_number() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,-inf\n"));
    invalid_number(&e, 2, "score", "-inf");
}

#[test]
fn non_numeric_score_is_invalid_number() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,seven\n"));
    invalid_number(&e, 2, "score", "seven");
}

#[test]
fn non_numeric_day_is_invalid_number() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,week 2,nrs,7\n"));
    invalid_number(&e, 3, "day", "week 2");
}

#[test]
fn fractional_day_is_invalid_number() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,14.5,nrs,7\n"));
    invalid_number(&e, 3, "day", "14.5");
}

#[test]
fn day_out_of_range_is_value_out_of_range() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,40000,nrs,7\n"));
    out_of_range(&e, 3, "day", 40000.0, -36500.0, 36500.0);
    let e = fail(&format!("{H}\nP1,prp,-99999999999,nrs,7\n"));
    out_of_range(&e, 2, "day", -99999999999.0, -36500.0, 36500.0);
}

#[test]
fn age_bmi_severity_out_of_range() {
    let e = fail(&format!("{H},age\nP1,prp,0,nrs,7,130\n"));
    out_of_range(&e, 2, "age", 130.0, 0.0, 120.0);
    let e = fail(&format!("{H},bmi\nP1,prp,0,nrs,7,25\nP2,prp,0,nrs,7,5\n"));
    out_of_range(&e, 3, "bmi", 5.0, 10.0, 100.0);
    let e = fail(&format!("{H},severity\nP1,prp,0,nrs,7,6\n"));
    out_of_range(&e, 2, "severity", 6.0, 0.0, 5.0);
    let e = fail(&format!("{H},severity\nP1,prp,0,nrs,7,2.5\n"));
    invalid_number(&e, 2, "severity", "2.5");
}

// ---------------------------------------------------------------- duplicates

#[test]
fn duplicate_row_same_score() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,0,nrs,7\n"));
    duplicate(&e, 3, "P1", 0, 2);
}

#[test]
fn conflicting_row_different_score() {
    let e = fail(&format!(
        "{H}\nP1,prp,0,nrs,7\nP1,prp,90,nrs,4\nP1,prp,0,nrs,6\n"
    ));
    conflicting(&e, 4, "6", "7", 2);
    // a missed and an observed score conflict too
    let e = fail(&format!("{H}\nP1,prp,0,nrs,\nP1,prp,0,nrs,6\n"));
    conflicting(&e, 3, "6", "", 2);
}

#[test]
fn duplicate_far_apart_in_the_file() {
    let mut text = format!("{H}\nP0,prp,0,nrs,7\n");
    for i in 1..500 {
        text.push_str(&format!("P{i},placebo,0,nrs,5\nP{i},placebo,90,nrs,4\n"));
    }
    // line 2 + 998 rows = line 1000 was the last; this is line 1001
    text.push_str("P0,prp,0,nrs,7\n");
    let e = fail(&text);
    duplicate(&e, 1001, "P0", 0, 2);
}

#[test]
fn conflicting_with_rows_of_patients_interleaved() {
    let text = format!(
        "{H}\nA,prp,0,nrs,7\nB,placebo,0,nrs,6\nA,prp,90,nrs,3\nB,placebo,90,nrs,5\nA,prp,0,nrs,8\nB,placebo,180,nrs,5\n"
    );
    conflicting(&fail(&text), 6, "8", "7", 2);
}

#[test]
fn first_duplicate_in_file_order_is_reported() {
    // P2's duplicate (line 5) comes before P1's (line 6) although P1 is the first patient
    let text = format!(
        "{H}\nP1,prp,0,nrs,7\nP2,prp,0,nrs,7\nP1,prp,90,nrs,3\nP2,prp,0,nrs,7\nP1,prp,90,nrs,3\n"
    );
    duplicate(&fail(&text), 5, "P2", 0, 3);
}

// ---------------------------------------------------------------- patient-level agreement

#[test]
fn therapy_changing_between_rows() {
    let e = fail(&format!(
        "{H}\nP1,prp,0,nrs,7\nP1,prp,14,nrs,6\nP1,placebo,90,nrs,5\n"
    ));
    inconsistent(&e, 4, "therapy", "placebo", "prp", 2);
}

#[test]
fn therapy_spelled_differently_is_the_same_therapy() {
    let l = load(&format!(
        "{H}\nP1,prp+stem_cell,0,nrs,7\nP1,stem_cell+PRP,14,nrs,6\n"
    ))
    .unwrap();
    assert_eq!(l.cohort.n_patients(), 1);
}

#[test]
fn age_changing_between_rows() {
    let e = fail(&format!(
        "{H},age\nP1,prp,0,nrs,7,61\nP2,prp,0,nrs,7,50\nP1,prp,90,nrs,5,62\n"
    ));
    inconsistent(&e, 4, "age", "62", "61", 2);
}

#[test]
fn condition_changing_between_rows() {
    let e = fail(&format!(
        "{H},condition\nP1,prp,0,nrs,7,knee_oa\nP1,prp,14,nrs,6,\nP1,prp,90,nrs,5,hip_oa\n"
    ));
    inconsistent(&e, 4, "condition", "hip_oa", "knee_oa", 2);
}

#[test]
fn site_changing_between_rows() {
    let e = fail(&format!(
        "{H},site\nP1,prp,0,nrs,7,Lyon\nP2,prp,0,nrs,7,Oslo\nP2,prp,90,nrs,7,Oslo\nP1,prp,90,nrs,5,Lille\n"
    ));
    inconsistent(&e, 5, "site", "Lille", "Lyon", 2);
}

#[test]
fn patients_file_with_conflicting_values() {
    let a = format!("{H},age\nP1,prp,0,nrs,7,61\n");
    let p = "patient_id,therapy,age\nP1,prp,64\n";
    let e = read_csv_texts(&a, Some(p), None, &LoadOptions::default()).unwrap_err();
    inconsistent(&e, 2, "age", "64", "61", 2);
    // therapy in the patients file disagreeing with the assessments
    let p = "patient_id,therapy\nP1,placebo\n";
    let e = read_csv_texts(&a, Some(p), None, &LoadOptions::default()).unwrap_err();
    inconsistent(&e, 2, "therapy", "placebo", "prp", 2);
    // two rows of one patient in the patients file disagreeing
    let p = "patient_id,therapy,sex\nP1,prp,F\nP1,prp,M\n";
    let e = read_csv_texts(&a, Some(p), None, &LoadOptions::default()).unwrap_err();
    inconsistent(&e, 3, "sex", "male", "female", 2);
}

#[test]
fn events_file_naming_an_unknown_patient() {
    let a = format!("{H}\nP1,prp,0,nrs,7\n");
    let ev = "patient_id,event,day,detail,grade\nP1,surgery,100,,\nP9,withdrawal,30,,\n";
    let e = read_csv_texts(&a, None, Some(ev), &LoadOptions::default()).unwrap_err();
    expect(&e, "unknown_patient", Some(3));
    match e {
        Error::UnknownPatient { at, patient_id } => {
            assert_eq!(
                (at.file.as_str(), at.column.as_str()),
                ("events.csv", "patient_id")
            );
            assert_eq!(patient_id, "P9");
        }
        other => panic!("not UnknownPatient: {other}"),
    }
}

// ---------------------------------------------------------------- files

#[test]
fn files_in_a_directory_report_their_own_names_and_lines() {
    let dir = scratch("files");
    let a = dir.join("a.csv");
    let p = dir.join("p.csv");
    let ev = dir.join("e.csv");
    std::fs::write(
        &a,
        format!("{H}\r\nP1,prp,0,nrs,7\r\nP2,stem_cell,0,nrs,6\r\n"),
    )
    .unwrap();
    std::fs::write(
        &p,
        "patient_id,therapy,cell_source\r\nP1,prp,\r\nP2,stem_cell,adipose\r\n",
    )
    .unwrap();
    std::fs::write(
        &ev,
        "patient_id,event,day,detail,grade\nP2,adverse_event,3,x,9\n",
    )
    .unwrap();
    let files = CsvFiles::new(&a).with_patients(&p).with_events(&ev);
    let e = read_csv_files(&files, &LoadOptions::default()).unwrap_err();
    out_of_range(&e, 2, "grade", 9.0, 1.0, 5.0);
    match &e {
        Error::ValueOutOfRange { at, .. } => assert_eq!(at.file, ev.display().to_string()),
        other => panic!("{other}"),
    }
    // fix the events; break the patients file on line 3 (CRLF)
    std::fs::write(
        &ev,
        "patient_id,event,day,detail,grade\nP2,adverse_event,3,x,2\n",
    )
    .unwrap();
    std::fs::write(
        &p,
        "patient_id,therapy,cell_source\r\nP1,prp,\r\nP2,stem_cell,lung\r\n",
    )
    .unwrap();
    let e = read_csv_files(&files, &LoadOptions::default()).unwrap_err();
    unknown(&e, 3, "cell_source", "cell source", "lung");
    // all fixed: loads
    std::fs::write(
        &p,
        "patient_id,therapy,cell_source\r\nP1,prp,\r\nP2,stem_cell,adipose\r\n",
    )
    .unwrap();
    // the patients file's cell source reaches the cohort: arms split by it show it
    let by_source = LoadOptions::default().with_arm_by(pain_outcomes::ArmBy::TherapyAndCellSource);
    let l = read_csv_files(&files, &by_source).unwrap();
    assert_eq!(l.report.events_read, 1);
    assert_eq!(
        l.cohort.arms(),
        &["prp".to_string(), "stem_cell[adipose]".to_string()]
    );
}

#[test]
fn file_with_crlf_and_bom_reports_line_3() {
    let dir = scratch("crlf");
    let a = dir.join("a.csv");
    std::fs::write(
        &a,
        "\u{feff}patient_id,therapy,day,instrument,score\r\nP1,prp,0,nrs,7\r\nP1,prp,90,knee,5\r\n",
    )
    .unwrap();
    let e = read_csv_files(&CsvFiles::new(&a), &LoadOptions::default()).unwrap_err();
    unknown(&e, 3, "instrument", "instrument", "knee");
}

#[test]
fn missing_file_is_io() {
    let dir = scratch("missing");
    let e = read_csv_files(
        &CsvFiles::new(dir.join("nope.csv")),
        &LoadOptions::default(),
    )
    .unwrap_err();
    expect(&e, "io", None);
}

#[test]
fn empty_and_truncated_files_on_disk() {
    let dir = scratch("empty");
    let a = dir.join("a.csv");
    std::fs::write(&a, "").unwrap();
    let e = read_csv_files(&CsvFiles::new(&a), &LoadOptions::default()).unwrap_err();
    expect(&e, "empty_file", None);
    std::fs::write(&a, format!("{H}\nP1,prp,0,nrs,7\nP1,prp,9")).unwrap();
    let e = read_csv_files(&CsvFiles::new(&a), &LoadOptions::default()).unwrap_err();
    field_count(&e, 3, 5, 3);
}

// ---------------------------------------------------------------- positive cases

#[test]
fn spreadsheet_export_loads_and_reports_kept_and_ignored_columns() {
    let text = "\u{feff}\"Score\",\"notes\",\"instrument\",\"Day\",\"therapy\",\"patient_id\",\"exported by\"\r\n\
                \"7\",\"first, visit\",\"nrs\",\"0\",\"prp+stem_cell\",\"P 1\",\"x\"\r\n\
                \"\",\"\",\"nrs\",\"90\",\"stem_cell+prp\",\"P 1\",\"x\"\r\n\
                \"NA\",\"\",\"nrs\",\"180\",\"stem_cell+prp\",\"P 1\",\"x\"\r\n";
    let l = load(text).unwrap();
    assert_eq!(l.report.rows_read, 3);
    assert_eq!(l.report.missed_assessments, 2);
    // columns the contract does not name are kept as the user's factors (an empty cell is a
    // missing value, so `notes` agrees within patient P 1)
    assert!(l.report.ignored_columns.is_empty());
    let kept: Vec<&str> = l
        .report
        .kept_columns
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(kept, ["notes", "exported by"]);
    assert_eq!(l.cohort.patients()[0].factors["notes"], "first, visit");
    assert_eq!(l.cohort.patients()[0].factors["exported by"], "x");
    assert_eq!(l.cohort.scores(), &[Some(7.0), None, None]);
    assert_eq!(l.cohort.patients()[0].id.as_str(), "P 1");
    assert_eq!(l.cohort.arms(), &["stem_cell+prp".to_string()]);
}

#[test]
fn na_and_empty_scores_are_missed_assessments() {
    let l = load(&format!(
        "{H}\nP1,prp,0,nrs,7\nP1,prp,14,nrs,NA\nP1,prp,42,nrs,\nP1,prp,90,nrs, \n"
    ))
    .unwrap();
    assert_eq!(l.report.missed_assessments, 3);
    assert_eq!(l.cohort.n_assessments(), 4);
}

#[test]
fn adam_column_map_loads() {
    let text = "STUDYID,USUBJID,TRT01A,PARAMCD,AVISIT,ADY,AVAL,AGE,SEX\n\
                S1,S1-001,CORTICOSTEROID,NRS,Baseline,0,7,55,F\n\
                S1,S1-001,CORTICOSTEROID,NRS,Week 6,43,3,55,F\n\
                S1,S1-002,PRP,NRS,Baseline,-1,6,70,M\n";
    let opts = LoadOptions::default().with_column_map(ColumnMap::adam());
    let l = read_csv_str(text, "adsl.csv", &opts).unwrap();
    assert_eq!(l.cohort.n_patients(), 2);
    assert_eq!(
        l.cohort.visits(),
        &["Baseline".to_string(), "Week 6".to_string()]
    );
    // a column the contract does not name is kept as the user's factor
    assert!(l.report.ignored_columns.is_empty());
    assert_eq!(l.cohort.patients()[0].factors["STUDYID"], "S1");
    assert_eq!(l.cohort.patients()[0].age, Some(55.0));
    // ADaM names are required under the map
    let e = read_csv_str(
        "USUBJID,TRT01A,ADY,PARAMCD\nS1,PRP,0,NRS\n",
        "adsl.csv",
        &opts,
    )
    .unwrap_err();
    missing_column(&e, "AVAL");
}

// ---------------------------------------------------------------- stable codes

#[test]
fn error_codes_are_stable() {
    use pain_outcomes::Location;
    let at = || Box::new(Location::new("f", 2, "c"));
    let io = std::io::Error::other("x");
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Io {
                path: "p".into(),
                source: io,
            },
            "io",
        ),
        (
            Error::EmptyFile {
                file: "f".into(),
                expected: "e".into(),
            },
            "empty_file",
        ),
        (Error::HeaderOnly { file: "f".into() }, "header_only"),
        (
            Error::WrongDelimiter {
                file: "f".into(),
                header: "h".into(),
                found: ';',
                expected: ',',
            },
            "wrong_delimiter",
        ),
        (
            Error::MissingColumn {
                file: "f".into(),
                name: "n".into(),
                found: "x".into(),
            },
            "missing_column",
        ),
        (
            Error::DuplicateColumn {
                file: "f".into(),
                name: "n".into(),
            },
            "duplicate_column",
        ),
        (
            Error::FieldCount {
                file: "f".into(),
                line: 2,
                expected: 5,
                found: 4,
            },
            "field_count",
        ),
        (
            Error::InvalidUtf8 {
                at: at(),
                byte_offset: 0,
            },
            "invalid_utf8",
        ),
        (
            Error::MalformedCsv {
                file: "f".into(),
                line: 2,
                reason: "r".into(),
            },
            "malformed_csv",
        ),
        (
            Error::EmptyValue {
                at: at(),
                expected: "e".into(),
            },
            "empty_value",
        ),
        (
            Error::UnknownCategory {
                at: at(),
                kind: "k",
                value: "v".into(),
                expected: "e".into(),
            },
            "unknown_category",
        ),
        (
            Error::InvalidNumber {
                at: at(),
                value: "v".into(),
                expected: "e",
            },
            "invalid_number",
        ),
        (
            Error::ScoreOutOfRange {
                at: at(),
                instrument: "nrs".into(),
                value: 11.0,
                min: 0.0,
                max: 10.0,
            },
            "score_out_of_range",
        ),
        (
            Error::ValueOutOfRange {
                at: at(),
                value: 1.0,
                min: 2.0,
                max: 3.0,
            },
            "value_out_of_range",
        ),
        (
            Error::DuplicateAssessment {
                at: at(),
                patient_id: "P".into(),
                day: 0,
                instrument: "nrs".into(),
                first_line: 2,
            },
            "duplicate_assessment",
        ),
        (
            Error::ConflictingAssessment {
                at: at(),
                patient_id: "P".into(),
                day: 0,
                instrument: "nrs".into(),
                value: "1".into(),
                first_value: "2".into(),
                first_line: 2,
            },
            "conflicting_assessment",
        ),
        (
            Error::InconsistentPatient {
                at: at(),
                patient_id: "P".into(),
                value: "a".into(),
                first_value: "b".into(),
                first_line: 2,
            },
            "inconsistent_patient",
        ),
        (
            Error::Inapplicable {
                at: at(),
                value: "v".into(),
                reason: "r".into(),
            },
            "inapplicable",
        ),
        (
            Error::UnknownPatient {
                at: at(),
                patient_id: "P".into(),
            },
            "unknown_patient",
        ),
        (
            Error::ColumnType {
                source_name: "s".into(),
                column: "c".into(),
                found: "f".into(),
                expected: "e",
            },
            "column_type",
        ),
        (
            Error::InvalidArgument {
                argument: "a",
                reason: "r".into(),
            },
            "invalid_argument",
        ),
        (
            Error::from(pain_outcomes::polars::error::PolarsError::NoData(
                "x".into(),
            )),
            "polars",
        ),
        (
            Error::WriteFile {
                path: "p".into(),
                source: std::io::Error::other("x"),
            },
            "write_file",
        ),
        (
            Error::CsvWrite(Box::new(csv::Error::from(std::io::Error::other("x")))),
            "csv_write",
        ),
        (
            Error::from(serde_json::from_str::<u8>("x").unwrap_err()),
            "json",
        ),
    ];
    let codes: Vec<&str> = cases.iter().map(|(e, _)| e.code()).collect();
    let want: Vec<&str> = cases.iter().map(|(_, c)| *c).collect();
    assert_eq!(codes, want);
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), codes.len(), "codes must be distinct");
}

// ---------------------------------------------------------------- reader edge cases

/// A reader that hands out one byte per call, to exercise records split across reads.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(dst)) => {
                *dst = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn unterminated_quote_on_a_last_line_without_line_break() {
    let e = fail(&format!("{H}\nP1,prp,0,nrs,7\nP1,prp,90,nrs,\"5"));
    malformed(&e, 3);
}

#[test]
fn quoted_field_ending_with_a_line_break_is_data() {
    let l = load(&format!(
        "{H},site\nP1,prp,0,nrs,7,\"Lyon\n\"\nP1,prp,90,nrs,5,\"Lyon\n\""
    ))
    .unwrap();
    assert_eq!(l.cohort.patients()[0].site.as_deref(), Some("Lyon"));
}

#[test]
fn mixed_line_endings_keep_line_numbers() {
    // LF, CRLF and a lone CR each end one line, as an editor shows them
    let e = fail(&format!(
        "{H}\nP1,prp,0,nrs,7\r\nP1,prp,14,nrs,6\rP1,prp,90,nrs,x\n"
    ));
    invalid_number(&e, 4, "score", "x");
    let e = fail(&format!("{H}\rP1,prp,0,nrs,7\r\rP1,prp,90,nrs,x\r"));
    invalid_number(&e, 4, "score", "x");
}

#[test]
fn one_byte_reads_give_the_same_results() {
    let text = format!(
        "\u{feff}{H},site\r\nP1,prp,0,nrs,7,\"Ly\"\"on\"\r\n\r\nP1,prp,90,nrs,,\"Ly\"\"on\"\r\nP2,placebo,0,nrs,5,x"
    );
    let whole = load(&text).unwrap();
    let trickled =
        read_csv_from(Trickle(text.as_bytes()), "t.csv", &LoadOptions::default()).unwrap();
    assert_eq!(whole.cohort, trickled.cohort);
    assert_eq!(whole.report, trickled.report);
    assert_eq!(whole.cohort.patients()[0].site.as_deref(), Some("Ly\"on"));
    let bad = format!("{text}\r\nP2,placebo,90,nrs,11,x\r\n");
    let e = read_csv_from(Trickle(bad.as_bytes()), "t.csv", &LoadOptions::default()).unwrap_err();
    score_out_of_range(&e, 6, "nrs", 11.0, 10.0);
}

/// A patient identifier with a control character — a tab, a NUL, a line break inside quotes —
/// is a typed error naming the line and showing the value escaped, not a new patient.
#[test]
fn a_patient_id_with_a_control_character_is_an_error_naming_the_line() {
    for (id, shown) in [
        ("P1\t", "P1\\t"),
        ("P\u{0}1", "P\\01"),
        ("\"P\n1\"", "P\\n1"),
    ] {
        let e = fail(&format!("{H}\nP1,prp,0,nrs,7\n{id},prp,90,nrs,3\n"));
        expect(&e, "invalid_text", Some(3));
        match &e {
            Error::InvalidText { at, value, .. } => {
                assert_eq!(at.column, "patient_id");
                assert_eq!(value, shown);
            }
            other => panic!("not InvalidText: {other}"),
        }
        assert!(e.to_string().contains("control character"), "{e}");
    }
}
