//! [`Drift`]: what decoding one answer (or every page of one list) could not read as documented:
//! items skipped, fields defaulted, and the names of fields it does not know.

use std::collections::{BTreeMap, BTreeSet};

/// Unknown field names kept per answer, at most (a hostile answer could have millions).
const MAX_UNKNOWN_FIELDS: usize = 32;
/// Longest unknown field name kept, in characters.
const MAX_FIELD_NAME_CHARS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// List items that were not objects.
    pub skipped: u64,
    /// Known fields present with a value that could not be read, by JSON name.
    pub defaulted: BTreeMap<&'static str, u64>,
    /// Names of fields the model does not read (escaped, cut; never their values).
    pub unknown_fields: BTreeSet<String>,
}

/// What makes one endpoint's drift "the same" as last time: items skipped or not, and which
/// fields were defaulted (not how many, which moves with the data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftSignature {
    pub skips_items: bool,
    pub defaulted: Vec<&'static str>,
}

impl DriftSignature {
    pub(crate) fn is_clean(&self) -> bool {
        !self.skips_items && self.defaulted.is_empty()
    }
}

impl Drift {
    pub fn defaulted(&mut self, field: &'static str) {
        *self.defaulted.entry(field).or_default() += 1;
    }

    pub fn defaulted_total(&self) -> u64 {
        self.defaulted.values().sum()
    }

    pub(super) fn unknown_field(&mut self, name: &str) {
        if self.unknown_fields.len() >= MAX_UNKNOWN_FIELDS || self.unknown_fields.contains(name) {
            return;
        }
        self.unknown_fields
            .insert(crate::upstream::sanitize::for_log(
                name,
                MAX_FIELD_NAME_CHARS,
            ));
    }

    /// Adds another answer's drift (the next page of the same list).
    pub(crate) fn merge(&mut self, other: Drift) {
        self.skipped += other.skipped;
        for (field, n) in other.defaulted {
            *self.defaulted.entry(field).or_default() += n;
        }
        for name in other.unknown_fields {
            if self.unknown_fields.len() < MAX_UNKNOWN_FIELDS {
                self.unknown_fields.insert(name);
            }
        }
    }

    pub(crate) fn signature(&self) -> DriftSignature {
        DriftSignature {
            skips_items: self.skipped > 0,
            defaulted: self.defaulted.keys().copied().collect(),
        }
    }
}
