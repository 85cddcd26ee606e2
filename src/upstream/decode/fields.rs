//! [`Fields`]: the fields of one JSON object, kept as borrowed raw JSON until a model type asks
//! for one by its spellings, and the readers that apply the lenient rules of [`super`] to them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::scalar::{self, ApiTime, Read};
use super::text::JsonText;
use super::{Decode, Drift};

/// An object's keys (unescaped, borrowed when they can be) and raw values, in document order.
pub(super) type Entries<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// Splits `raw` into its entries; `None` when it is not a JSON object. Nothing below the first
/// level is parsed, so a value of any type and any depth costs one scan.
pub(super) fn entries(raw: &str) -> Option<Entries<'_>> {
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    let entries = deserializer.deserialize_map(EntriesVisitor).ok()?;
    // Text after the object (`{...} <html>`) means this is not one JSON object.
    deserializer.end().ok()?;
    Some(entries)
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Entries<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Entries::with_capacity(map.size_hint().unwrap_or(12));
        while let Some(JsonText(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            entries.push((key, value));
        }
        Ok(entries)
    }
}

/// The fields of one object, with the [`Drift`] its reading adds to.
pub struct Fields<'a, 'd> {
    entries: Entries<'a>,
    /// The fields read and the fields known but ignored: anything else is unknown.
    known: [&'static [&'static str]; 2],
    drift: &'d mut Drift,
}

impl<'a, 'd> Fields<'a, 'd> {
    pub(super) fn new(
        entries: Entries<'a>,
        known: [&'static [&'static str]; 2],
        drift: &'d mut Drift,
    ) -> Self {
        Fields {
            entries,
            known,
            drift,
        }
    }

    /// Text (a string, or a number's JSON text), cut to 256 characters.
    pub fn text(&mut self, names: &[&'static str]) -> Option<String> {
        self.read(names, scalar::text)
    }

    /// An integer: a JSON integer, an integral float, a numeric string, or a boolean as 0/1.
    pub fn int(&mut self, names: &[&'static str]) -> Option<i64> {
        self.read(names, scalar::int)
    }

    /// An amount that cannot be negative (traffic, a limit, a count): finite and ≥ 0.
    pub fn amount(&mut self, names: &[&'static str]) -> Option<f64> {
        self.read(names, scalar::amount)
    }

    /// A 0/1 flag (also `true`/`false`, `"0"`/`"1"`); any other value cannot be read.
    /// A calendar day, `YYYY-MM-DD` (see `scalar::day`).
    pub fn day(&mut self, names: &[&'static str]) -> Option<String> {
        self.read(names, scalar::day)
    }

    /// A whole, non-negative count (see `scalar::count`).
    pub fn count(&mut self, names: &[&'static str]) -> Option<f64> {
        self.read(names, scalar::count)
    }

    /// A documented 0/1 status (see [`scalar::switch`]).
    pub(crate) fn switch(&mut self, names: &[&'static str]) -> Option<bool> {
        self.read(names, scalar::switch)
    }

    pub fn flag(&mut self, names: &[&'static str]) -> Option<bool> {
        self.read(names, scalar::flag)
    }

    /// A timestamp (`Y-m-d H:i:s`, RFC 3339, a bare date, or Unix seconds); an empty string
    /// and PHP's zero date are missing.
    pub fn time(&mut self, names: &[&'static str]) -> Option<ApiTime> {
        self.read(names, scalar::time)
    }

    /// A nested object, read by its own rules into the same drift; a value that is not an
    /// object is defaulted.
    pub fn object<T: Decode>(&mut self, name: &'static str) -> Option<T> {
        let raw = self.find(name)?;
        match super::fields::entries(raw) {
            Some(entries) => Some(super::decode_entries(entries, self.drift)),
            None => {
                self.drift.defaulted(name);
                None
            }
        }
    }

    /// The raw JSON of a field that is present and not `null`.
    pub fn raw(&self, name: &str) -> Option<&'a str> {
        self.find(name)
    }

    /// The object's keys, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(key, _)| key.as_ref())
    }

    /// The drift this object adds to (for a nested list).
    pub fn drift(&mut self) -> &mut Drift {
        self.drift
    }

    fn find(&self, name: &str) -> Option<&'a str> {
        // The last occurrence of a key wins, as in JavaScript's `JSON.parse`.
        self.entries
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.get())
            .filter(|raw| raw.trim() != "null")
    }

    /// The first spelling whose value can be read wins; if some were present but none could be
    /// read, the field is defaulted under the first present spelling.
    fn read<T>(&mut self, names: &[&'static str], reader: fn(&str) -> Read<T>) -> Option<T> {
        let mut unreadable = None;
        for &name in names {
            if let Some(raw) = self.find(name) {
                match reader(raw) {
                    Read::Value(value) => return Some(value),
                    Read::Missing => {}
                    Read::Unreadable => {
                        unreadable.get_or_insert(name);
                    }
                }
            }
        }
        if let Some(name) = unreadable {
            self.drift.defaulted(name);
        }
        None
    }

    /// Records the names of fields this type does not read (for `check`).
    pub(crate) fn note_unknown(&mut self) {
        for (key, _) in &self.entries {
            if !self.known.iter().any(|names| names.contains(&key.as_ref())) {
                self.drift.unknown_field(key);
            }
        }
    }
}
