//! The raw byte fields of one row.

/// Values read as "missing" in score and optional columns.
pub(crate) fn is_missing(s: &str) -> bool {
    s.is_empty() || s == "NA" || s == "."
}

/// The raw byte fields of one record.
///
/// `data` and `ends` are kept at their full capacity so that the CSV parser can write into
/// them directly; `used` and `n` say how much of them holds the current record.
#[derive(Debug, Default, Clone)]
pub(crate) struct Record {
    pub data: Vec<u8>,
    pub ends: Vec<usize>,
    pub used: usize,
    pub n: usize,
}

impl Record {
    pub fn with_capacity(bytes: usize, fields: usize) -> Self {
        Record {
            data: vec![0; bytes.max(1)],
            ends: vec![0; fields.max(1)],
            used: 0,
            n: 0,
        }
    }

    pub fn clear(&mut self) {
        self.used = 0;
        self.n = 0;
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Field `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.n {
            return None;
        }
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        let end = *self.ends.get(i)?;
        self.data.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.n).map(|i| self.get(i).unwrap_or(b""))
    }

    pub fn push_field(&mut self, field: &[u8]) {
        let end = self.used + field.len();
        if self.data.len() < end {
            self.data.resize(end.max(2 * self.data.len()), 0);
        }
        if let Some(dst) = self.data.get_mut(self.used..end) {
            dst.copy_from_slice(field);
        }
        if self.ends.len() <= self.n {
            self.ends.resize((2 * self.ends.len()).max(self.n + 1), 0);
        }
        if let Some(e) = self.ends.get_mut(self.n) {
            *e = end;
        }
        self.used = end;
        self.n += 1;
    }
}

/// One row of raw fields, with its location.
pub(crate) struct RawRow<'a> {
    pub fields: &'a Record,
    pub line: u64,
    pub byte: u64,
}
