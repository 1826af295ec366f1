//! The patient-level values of one row, and their merge into the patient (they must agree
//! across rows).

use super::fields::Fields;
use crate::data::columns::Column;
use crate::domain::{
    CellDose, CellOrigin, CellSource, Condition, Guidance, Patient, PatientId, Sex, StemCells,
    Therapy,
};
use crate::error::{Error, Result};

/// Patient-level values read from one row.
#[derive(Default)]
pub(super) struct PatientFields {
    pub therapy: Option<Therapy>,
    condition: Option<Condition>,
    cell_source: Option<CellSource>,
    cell_origin: Option<CellOrigin>,
    cell_dose: Option<CellDose>,
    guidance: Option<Guidance>,
    age: Option<f64>,
    sex: Option<Sex>,
    bmi: Option<f64>,
    severity: Option<u8>,
    site: Option<String>,
    arm: Option<String>,
}

pub(super) fn read_patient_fields(f: &Fields<'_, '_>) -> Result<PatientFields> {
    let mut p = PatientFields {
        therapy: f.category(Column::Therapy)?,
        condition: f.category(Column::Condition)?,
        cell_source: f.category(Column::CellSource)?,
        cell_origin: f.category(Column::CellOrigin)?,
        cell_dose: None,
        guidance: f.category(Column::Guidance)?,
        age: f.number(Column::Age, Patient::AGE_RANGE)?,
        sex: f.category(Column::Sex)?,
        bmi: f.number(Column::Bmi, Patient::BMI_RANGE)?,
        severity: f
            .integer(
                Column::Severity,
                (
                    i64::from(Patient::SEVERITY_RANGE.0),
                    i64::from(Patient::SEVERITY_RANGE.1),
                ),
                "an integer grade",
            )?
            .and_then(|v| u8::try_from(v).ok()),
        site: f.value(Column::Site)?.map(str::to_string),
        arm: match f.get(Column::Arm)? {
            None => None,
            Some(_) => Some(
                f.value(Column::Arm)?
                    .ok_or_else(|| Error::EmptyValue {
                        at: f.at(Column::Arm),
                        expected: "the patient's randomised or assigned arm".to_string(),
                    })?
                    .to_string(),
            ),
        },
    };
    if let Some(d) = f.number(
        Column::CellDoseMillion,
        (f64::MIN_POSITIVE, CellDose::MAX_MILLION),
    )? {
        p.cell_dose = CellDose::new(d);
    }
    if let Some(t) = p.therapy
        && !t.has_cells()
    {
        for (col, present) in [
            (Column::CellSource, p.cell_source.is_some()),
            (Column::CellOrigin, p.cell_origin.is_some()),
            (Column::CellDoseMillion, p.cell_dose.is_some()),
        ] {
            if present {
                return Err(Error::Inapplicable {
                    at: f.at(col),
                    value: f.value(col)?.unwrap_or_default().to_string(),
                    reason: format!(
                        "therapy `{t}` has no stem cells; leave the cell columns empty"
                    ),
                });
            }
        }
    }
    Ok(p)
}

pub(super) fn new_patient(id: PatientId, therapy: Therapy) -> Patient {
    Patient::new(id, therapy)
}

/// Merges `row` into `patient`, checking agreement. `lines` holds the line where each
/// patient-level value was first set (indexed like [`Column::PATIENT_LEVEL`]).
pub(super) fn merge_patient(
    patient: &mut Patient,
    lines: &mut [u64; 12],
    row: PatientFields,
    f: &Fields<'_, '_>,
) -> Result<()> {
    let line = f.row.line;
    let pid = patient.id.to_string();
    let conflict =
        |col: Column, value: String, first: String, first_line: u64| Error::InconsistentPatient {
            at: f.at(col),
            patient_id: pid.clone(),
            value,
            first_value: first,
            first_line,
        };
    macro_rules! merge {
        ($slot:expr, $val:expr, $k:expr, $col:expr, $show:expr) => {
            if let Some(v) = $val {
                match &$slot {
                    Some(old) if *old != v => {
                        return Err(conflict($col, $show(&v), $show(old), lines[$k]));
                    }
                    Some(_) => {}
                    None => {
                        $slot = Some(v);
                        lines[$k] = line;
                    }
                }
            }
        };
    }
    if let Some(t) = row.therapy
        && t != patient.therapy
    {
        return Err(conflict(
            Column::Therapy,
            t.to_string(),
            patient.therapy.to_string(),
            lines[0],
        ));
    }
    merge!(
        patient.condition,
        row.condition,
        1,
        Column::Condition,
        |v: &Condition| v.to_string()
    );
    let mut cells = patient.cells.unwrap_or_default();
    merge!(
        cells.source,
        row.cell_source,
        2,
        Column::CellSource,
        |v: &CellSource| v.to_string()
    );
    merge!(
        cells.origin,
        row.cell_origin,
        3,
        Column::CellOrigin,
        |v: &CellOrigin| v.to_string()
    );
    merge!(
        cells.dose,
        row.cell_dose,
        4,
        Column::CellDoseMillion,
        |v: &CellDose| v.million_cells().to_string()
    );
    if cells != StemCells::default() {
        patient.cells = Some(cells);
    }
    merge!(
        patient.guidance,
        row.guidance,
        5,
        Column::Guidance,
        |v: &Guidance| v.to_string()
    );
    merge!(patient.age, row.age, 6, Column::Age, |v: &f64| v
        .to_string());
    merge!(patient.sex, row.sex, 7, Column::Sex, |v: &Sex| v
        .to_string());
    merge!(patient.bmi, row.bmi, 8, Column::Bmi, |v: &f64| v
        .to_string());
    merge!(
        patient.severity,
        row.severity,
        9,
        Column::Severity,
        |v: &u8| v.to_string()
    );
    merge!(patient.site, row.site, 10, Column::Site, |v: &String| v
        .clone());
    merge!(patient.arm, row.arm, 11, Column::Arm, |v: &String| v
        .clone());
    Ok(())
}
