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
//! - a list item that is not an object is *skipped* and counted; the rest of the list is kept;
//! - a list longer than `MAX_LIST_ITEMS` fails the answer, naming the cap; items are read one
//!   at a time as the text is read, never indexed all at once;
//! - one rule for every list of an endpoint, all pages together (`ListBuilder`, applied by the
//!   client): an item with none of the fields that identify it ([`Identity`]) is skipped and
//!   counted, and an item whose identity an earlier item had (a page repeated while the list
//!   shifted, a label value equal after the cut) is skipped and counted, the first one kept.
//!
//! Invalid UTF-8 never reaches this module: the client replaces it (U+FFFD) first.
//!
//! Hand-written rather than serde-derived because derive cannot express "defaulted, and say so":
//! `#[serde(default)]` hides a wrong type as 0, `deserialize_with` cannot report which field
//! it defaulted, an alias colliding with its field fails the whole item, and a duplicate key
//! or an out-of-range number fails it too.

pub mod days;
mod drift;
mod fields;
mod scalar;
mod text;

pub use drift::{Drift, DriftSignature};
pub use fields::Fields;
pub use scalar::ApiTime;

use serde_json::value::RawValue;

/// The most items one list may have, all pages together: the benchmarks' largest account
/// (100,000 sub-accounts), far above any real one, and low enough that a hostile answer cannot
/// make the exporter hold millions of items (10,000,000 `{}` stay under 128 MiB).
pub(crate) const MAX_LIST_ITEMS: usize = 100_000;

fn past_the_cap() -> ShapeError {
    ShapeError(format!(
        "the list has more than {MAX_LIST_ITEMS} items, the most the exporter reads"
    ))
}

/// How an item is known within its list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// None of the fields that identify it: skipped and counted.
    Unidentified,
    /// Kept without a check for repeats (an item that has no identity of its own).
    Unkeyed,
    /// Two items with the same key are one: the first is kept, the others skipped and counted.
    Key(Option<i64>, Option<i64>, Option<String>),
}

/// A model type read from one JSON object of the upstream.
pub trait Decode: Sized {
    /// Every spelling of every field the type reads: the fixed set of `field` label values.
    const FIELDS: &'static [&'static str];
    /// Fields known and deliberately not read (a password): not reported as unknown.
    const IGNORED: &'static [&'static str];

    /// Reads the fields; what cannot be read is recorded by `fields` and left `None`.
    fn decode(fields: &mut Fields<'_, '_>) -> Self;

    /// How the item is known in a list; objects read on their own are never asked.
    fn identity(&self) -> Identity {
        Identity::Unkeyed
    }
}

/// The items of one list kept so far, and the identities seen: one list across its pages.
pub(crate) struct ListBuilder<T> {
    items: Vec<T>,
    seen: std::collections::HashSet<Identity>,
    received: usize,
}

impl<T: Decode> Default for ListBuilder<T> {
    fn default() -> Self {
        ListBuilder {
            items: Vec::new(),
            seen: std::collections::HashSet::new(),
            received: 0,
        }
    }
}

impl<T: Decode> ListBuilder<T> {
    /// Counts one item received (kept or not), failing past [`MAX_LIST_ITEMS`].
    fn receive(&mut self) -> Result<(), ShapeError> {
        self.received += 1;
        if self.received > MAX_LIST_ITEMS {
            return Err(past_the_cap());
        }
        Ok(())
    }

    /// Keeps `item` unless it is unidentified or a repeat (both counted as skipped).
    pub fn push(&mut self, item: T, drift: &mut Drift) -> Result<(), ShapeError> {
        self.receive()?;
        match item.identity() {
            Identity::Unidentified => drift.skipped += 1,
            Identity::Unkeyed => self.items.push(item),
            key => {
                if self.seen.insert(key) {
                    self.items.push(item);
                } else {
                    drift.skipped += 1;
                }
            }
        }
        Ok(())
    }

    /// Adds the items of the next page of the same list.
    pub fn extend(&mut self, items: Vec<T>, drift: &mut Drift) -> Result<(), ShapeError> {
        for item in items {
            self.push(item, drift)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Vec<T> {
        self.items
    }
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
pub(crate) fn object_fields<'a, 'd>(
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

/// Reads the `data` of an answer that is a single object. Absent or `null` is a
/// [`ShapeError`]: a success that carries nothing says nothing, and an object of missing fields
/// would pass it off as data.
///
/// An object with none of the fields `T` reads (`{}`, or a renamed object) is a [`ShapeError`]
/// too, for the same reason.
pub fn data_object<T: Decode>(data: Option<&str>, drift: &mut Drift) -> Result<T, ShapeError> {
    let raw = match data.map(str::trim) {
        None | Some("null") => return Err(no_data("an object")),
        Some(raw) => raw,
    };
    let entries = fields::entries(raw)
        .ok_or_else(|| ShapeError(format!("expected an object, got {}", kind_of(raw))))?;
    if !entries
        .iter()
        .any(|(key, _)| T::FIELDS.contains(&key.as_ref()))
    {
        return Err(none_of_the_fields(
            entries.iter().map(|(key, _)| key.as_ref()),
        ));
    }
    Ok(decode_entries(entries, drift))
}

/// The error for an object with none of the fields its type reads: it names the fields it has.
fn none_of_the_fields<'a>(keys: impl IntoIterator<Item = &'a str>) -> ShapeError {
    missing_what_is_read(
        keys,
        "`data` is an empty object, expected its fields",
        "`data` has none of the fields the exporter reads, only:",
    )
}

/// `empty` for an object without keys, else `only` followed by the names of its keys (names
/// only, escaped and bounded like unknown fields, never their values).
fn missing_what_is_read<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    empty: &str,
    only: &str,
) -> ShapeError {
    let mut names = Drift::default();
    for key in keys {
        names.unknown_field(key);
    }
    let names: Vec<String> = names.unknown_fields.into_iter().collect();
    if names.is_empty() {
        return ShapeError(empty.into());
    }
    ShapeError(format!("{only} {}", names.join(", ")))
}

/// The error for a success answer whose `data` is absent or `null` where `expected` was due.
pub(crate) fn no_data(expected: &str) -> ShapeError {
    ShapeError(format!("`data` is absent or null, expected {expected}"))
}

/// Reads a JSON array of items, one at a time as the text is read (never an index of them all):
/// objects are decoded, anything else is skipped and counted, and `ListBuilder`'s rule for
/// every list applies.
pub fn list<T: Decode>(raw: &str, drift: &mut Drift) -> Result<Vec<T>, ShapeError> {
    use serde::de::{Deserializer, SeqAccess, Visitor};

    struct Items<'d, T> {
        drift: &'d mut Drift,
        items: Vec<T>,
        cap: Option<ShapeError>,
    }

    impl<'de, T: Decode> Visitor<'de> for &mut Items<'_, T> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if self.items.len() + self.drift.skipped as usize >= MAX_LIST_ITEMS {
                    self.cap = Some(past_the_cap());
                    return Err(serde::de::Error::custom("past the cap"));
                }
                match fields::entries(item.get()) {
                    Some(entries) => self.items.push(decode_entries(entries, self.drift)),
                    None => self.drift.skipped += 1,
                }
            }
            Ok(())
        }
    }

    let skipped_before = drift.skipped;
    drift.skipped = 0;
    let mut items = Items {
        drift,
        items: Vec::new(),
        cap: None,
    };
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    let read = deserializer
        .deserialize_seq(&mut items)
        .and_then(|()| deserializer.end());
    items.drift.skipped += skipped_before;
    if let Some(cap) = items.cap {
        return Err(cap);
    }
    read.map_err(|e| {
        ShapeError(match kind_of(raw) {
            // Found by fuzz/fuzz_targets: "expected a list, got a list" said nothing.
            "a list" => format!(
                "a list that is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
            other => format!("expected a list, got {other}"),
        })
    })?;
    Ok(items.items)
}

/// Reads the `data` of a list answer: `{"list": [...]}` or a bare array; an empty list is `[]`
/// or `{"list": []}`. Anything else is a [`ShapeError`], and the refresh fails with the last
/// good data kept: `data` absent or `null`, `{}`, a `null` list, a `list` of another type, or an
/// object with fields but no `list` (a renamed list, say). An empty list would claim "no
/// items", which nobody said.
pub fn data_list<T: Decode>(data: Option<&str>, drift: &mut Drift) -> Result<Vec<T>, ShapeError> {
    let raw = match data.map(str::trim) {
        None | Some("null") => return Err(no_data("a list")),
        Some(raw) if raw.starts_with('[') => raw,
        Some(raw) => {
            let entries = fields::entries(raw).ok_or_else(|| {
                ShapeError(format!(
                    "expected an object or a list, got {}",
                    kind_of(raw)
                ))
            })?;
            match entries.iter().rev().find(|(key, _)| key == "list") {
                None => return Err(no_list(entries.iter().map(|(key, _)| key.as_ref()))),
                Some((_, value)) if value.get().trim() == "null" => {
                    return Err(ShapeError("`list` is null, expected a list".into()))
                }
                Some((_, value)) => return list(value.get(), drift),
            }
        }
    };
    list(raw, drift)
}

/// The error for an object that should hold a `list` and does not: it names the fields it has.
pub(crate) fn no_list<'a>(keys: impl IntoIterator<Item = &'a str>) -> ShapeError {
    missing_what_is_read(
        keys,
        "expected a `list`, the answer's `data` is an empty object",
        "expected a `list`, the answer has only:",
    )
}

fn decode_entries<T: Decode>(entries: fields::Entries<'_>, drift: &mut Drift) -> T {
    let mut fields = Fields::new(entries, [T::FIELDS, T::IGNORED], drift);
    let item = T::decode(&mut fields);
    fields.note_unknown();
    item
}

/// What an answer that is not a JSON object is, for the error text (never its content): an
/// empty body, compressed bytes, an HTML page, invalid JSON (where), or JSON of another type.
pub(crate) fn describe_answer(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return "an empty body".into();
    }
    if body.starts_with(&[0x1f, 0x8b]) {
        return "gzip-compressed bytes, not JSON".into();
    }
    if body.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || body.starts_with(b"BZh") {
        return "compressed bytes, not JSON".into();
    }
    if trimmed.starts_with('<') {
        return "HTML or XML, not JSON".into();
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
        Err(e) => {
            let at = byte_offset(&text, e.line(), e.column());
            format!("invalid JSON at byte {at}")
        }
        Ok(_) => format!("JSON {}, not an object", kind_of(&text)),
    }
}

/// The byte offset of serde_json's 1-based line and column.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    start + column.saturating_sub(1)
}

/// The JSON type of a value, for error texts (never the value itself).
pub(crate) fn kind_of(raw: &str) -> &'static str {
    match raw.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "a list",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(_) => "something that is not JSON",
        None => "nothing",
    }
}

#[cfg(test)]
mod tests;
