//! [`Fields`]: the fields of one JSON object, kept as borrowed raw JSON until a model type asks
//! for one by its spellings, and the readers that apply the lenient rules of [`super`] to them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::scalar::{self, ApiTime, Read};
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
        while let Some(Key(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            entries.push((key, value));
        }
        Ok(entries)
    }
}

/// A key, borrowed from the answer unless it had escapes to undo. Read as bytes, because
/// serde_json then gives a lone surrogate escape (`"\ud800"`, valid JSON text) as WTF-8 rather
/// than an error; it becomes U+FFFD, and the object stays an object.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Key(match std::str::from_utf8(v) {
                    Ok(text) => Cow::Borrowed(text),
                    Err(_) => Cow::Owned(from_wtf8_lossy(v)),
                }))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(from_wtf8_lossy(v))))
            }
        }
        d.deserialize_bytes(KeyVisitor)
    }
}

/// WTF-8 (UTF-8 that may hold surrogates, 3 bytes each: `ED A0..BF xx`) as UTF-8, each surrogate
/// one U+FFFD; any other invalid byte is replaced as `String::from_utf8_lossy` does.
fn from_wtf8_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let surrogate = rest
            .windows(3)
            .position(|w| w[0] == 0xED && (0xA0..=0xBF).contains(&w[1]));
        let (valid, after) = match surrogate {
            Some(at) => (&rest[..at], Some(&rest[at + 3..])),
            None => (rest, None),
        };
        out.push_str(&String::from_utf8_lossy(valid));
        match after {
            Some(after) => {
                out.push('\u{fffd}');
                rest = after;
            }
            None => break,
        }
    }
    out
}

/// Unescapes a JSON string's raw text; a lone surrogate becomes U+FFFD. `None` when `raw` is
/// not a JSON string.
pub(super) fn unescape(raw: &str) -> Option<String> {
    struct Lossy(String);
    impl<'de> serde::Deserialize<'de> for Lossy {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Key::deserialize(d).map(|key| Lossy(key.0.into_owned()))
        }
    }
    serde_json::from_str::<Lossy>(raw).ok().map(|l| l.0)
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

    /// Text (a string, or a number's JSON text), cut to [`scalar::MAX_TEXT_CHARS`].
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
    pub fn note_unknown(&mut self) {
        for (key, _) in &self.entries {
            if !self.known.iter().any(|names| names.contains(&key.as_ref())) {
                self.drift.unknown_field(key);
            }
        }
    }
}
