//! JSON strings as the upstream may write them: escapes undone, borrowed where possible, and a
//! lone surrogate escape (valid JSON text that Rust strings cannot hold) replaced by U+FFFD
//! rather than failing its object.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

/// A JSON string (a key, or a value), borrowed from the answer unless it had escapes to undo.
/// Read as bytes, because
/// serde_json then gives a lone surrogate escape (`"\ud800"`, valid JSON text) as WTF-8 rather
/// than an error; it becomes U+FFFD, and the object stays an object.
pub(super) struct JsonText<'a>(pub(super) Cow<'a, str>);

impl<'de> Deserialize<'de> for JsonText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = JsonText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonText(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonText(Cow::Owned(v.to_owned())))
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(JsonText(match std::str::from_utf8(v) {
                    Ok(text) => Cow::Borrowed(text),
                    Err(_) => Cow::Owned(from_wtf8_lossy(v)),
                }))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(JsonText(Cow::Owned(from_wtf8_lossy(v))))
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
    impl<'de> Deserialize<'de> for Lossy {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            JsonText::deserialize(d).map(|text| Lossy(text.0.into_owned()))
        }
    }
    serde_json::from_str::<Lossy>(raw).ok().map(|l| l.0)
}
