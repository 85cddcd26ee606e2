//! Per-field lenient decoding of the upstream's answers: the one place that turns
//! the API's loosely typed JSON into the [`super::model`] types, for every endpoint.
//!
//! The rules, the same for every item of every endpoint:
//! - unknown fields, of any JSON type, are ignored (their names are noted for `check`);
//! - a known field that is absent or `null` is *missing*;
//! - a known field that is present with a value that cannot be read (an object where a number is
//!   expected, a negative traffic amount, `1e400`, a lone surrogate) is *defaulted*: the model
//!   holds `None`, exactly as for a missing field, and the [`Drift`] counts it by its JSON name;
//! - a field with several spellings takes the first spelling, in the model's documented order,
//!   whose value can be read; only when none can is it defaulted (under the first present one);
//! - a key that appears twice in one object: the last one wins, as in JavaScript's `JSON.parse`;
//! - a list item that is not an object is *skipped* and counted; the rest of the list is kept.
//!
//! Invalid UTF-8 never reaches this module: the client replaces it (U+FFFD) first.
//!
//! Hand-written rather than serde-derived because derive cannot express "defaulted, and say so":
//! `#[serde(default)]` hides a wrong type as 0, `deserialize_with` cannot report which field
//! it defaulted, an alias colliding with its field fails the whole item, and a duplicate key
//! or an out-of-range number fails it too.

mod drift;
mod fields;
mod scalar;
mod text;

pub use drift::{Drift, DriftSignature};
pub use fields::Fields;
pub use scalar::ApiTime;

use serde_json::value::RawValue;

/// A model type read from one JSON object of the upstream.
pub trait Decode: Sized {
    /// Every spelling of every field the type reads: the fixed set of `field` label values.
    const FIELDS: &'static [&'static str];
    /// Fields known and deliberately not read (a password): not reported as unknown.
    const IGNORED: &'static [&'static str];

    /// Reads the fields; what cannot be read is recorded by `fields` and left `None`.
    fn decode(fields: &mut Fields<'_, '_>) -> Self;
}

/// Why an answer as a whole could not be read (a list that is not a list, a `data` that is not
/// an object). Items never fail this way: they are skipped or defaulted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

/// The envelope every answer comes in: `code` (200 or 0 is success), the message in `message`
/// or `msg` (that order), and `data`, still raw.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    pub code: Option<i64>,
    pub message: Option<String>,
    pub data: Option<&'a str>,
}

/// Reads an answer's envelope; `None` when the answer is not a JSON object.
pub fn envelope(raw: &str) -> Option<Envelope<'_>> {
    const ENVELOPE_FIELDS: &[&str] = &["code", "msg", "message", "data"];
    let entries = fields::entries(raw)?;
    let mut ignored = Drift::default();
    let mut f = Fields::new(entries, [ENVELOPE_FIELDS, &[]], &mut ignored);
    Some(Envelope {
        code: f.int(&["code"]),
        message: f.text(&["message", "msg"]),
        data: f.raw("data"),
    })
}

/// The fields of an object read by hand rather than through [`Decode`] (a page, whose list is
/// read separately): `known` are the fields read and the fields ignored. `None` when `raw` is
/// not an object. Call [`Fields::note_unknown`] when done.
pub fn object_fields<'a, 'd>(
    raw: &'a str,
    known: [&'static [&'static str]; 2],
    drift: &'d mut Drift,
) -> Option<Fields<'a, 'd>> {
    fields::entries(raw).map(|entries| Fields::new(entries, known, drift))
}

/// Reads one object, `raw` being its JSON text.
pub fn object<T: Decode>(raw: &str, drift: &mut Drift) -> Result<T, ShapeError> {
    let entries = fields::entries(raw)
        .ok_or_else(|| ShapeError(format!("expected an object, got {}", kind_of(raw))))?;
    Ok(decode_entries(entries, drift))
}

/// Reads the `data` of an answer that is a single object; absent or `null` is an empty object
/// (every field missing).
pub fn data_object<T: Decode>(data: Option<&str>, drift: &mut Drift) -> Result<T, ShapeError> {
    match data.map(str::trim) {
        None | Some("null") => object("{}", drift),
        Some(raw) => object(raw, drift),
    }
}

/// Reads a JSON array of items: objects are decoded, anything else is skipped and counted.
pub fn list<T: Decode>(raw: &str, drift: &mut Drift) -> Result<Vec<T>, ShapeError> {
    let raw_items: Vec<&RawValue> = serde_json::from_str(raw)
        .map_err(|_| ShapeError(format!("expected a list, got {}", kind_of(raw))))?;
    let mut items = Vec::with_capacity(raw_items.len());
    for item in raw_items {
        match fields::entries(item.get()) {
            Some(entries) => items.push(decode_entries(entries, drift)),
            None => drift.skipped += 1,
        }
    }
    Ok(items)
}

/// Reads the `data` of a list answer: `{"list": [...]}`, a bare array, or nothing (`null`,
/// absent, `{}`, a `null` list) for an empty list. A `list` of another type, or an object with
/// fields but no `list` (a renamed list, say), is a [`ShapeError`]: an empty list would claim
/// "no items", which nobody said.
pub fn data_list<T: Decode>(data: Option<&str>, drift: &mut Drift) -> Result<Vec<T>, ShapeError> {
    let raw = match data.map(str::trim) {
        None | Some("null") => return Ok(Vec::new()),
        Some(raw) if raw.starts_with('[') => raw,
        Some(raw) => {
            let entries = fields::entries(raw).ok_or_else(|| {
                ShapeError(format!(
                    "expected an object or a list, got {}",
                    kind_of(raw)
                ))
            })?;
            if entries.is_empty() {
                return Ok(Vec::new());
            }
            match entries.iter().rev().find(|(key, _)| key == "list") {
                None => return Err(no_list(entries.iter().map(|(key, _)| key.as_ref()))),
                Some((_, value)) if value.get().trim() == "null" => return Ok(Vec::new()),
                Some((_, value)) => return list(value.get(), drift),
            }
        }
    };
    list(raw, drift)
}

/// The error for an object that should hold a `list` and does not: it names the fields it has
/// (names only, escaped and bounded like unknown fields).
pub fn no_list<'a>(keys: impl IntoIterator<Item = &'a str>) -> ShapeError {
    let mut names = Drift::default();
    for key in keys {
        names.unknown_field(key);
    }
    let names: Vec<String> = names.unknown_fields.into_iter().collect();
    ShapeError(format!(
        "expected a `list`, the answer has only: {}",
        names.join(", ")
    ))
}

fn decode_entries<T: Decode>(entries: fields::Entries<'_>, drift: &mut Drift) -> T {
    let mut fields = Fields::new(entries, [T::FIELDS, T::IGNORED], drift);
    let item = T::decode(&mut fields);
    fields.note_unknown();
    item
}

/// The JSON type of a value, for error texts (never the value itself).
pub(crate) fn kind_of(raw: &str) -> &'static str {
    match raw.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "a list",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(_) => "a number",
        None => "nothing",
    }
}

#[cfg(test)]
mod tests;
