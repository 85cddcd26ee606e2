//! Forgiving deserializers for the upstream's loosely typed answers: numbers that arrive as
//! strings or floats, `null` where a value was expected, and lists with an odd item in them.
//! Each falls back to the type's default rather than failing the whole answer.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// A number, a numeric string, or null (0).
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(value_to_f64(&Value::deserialize(d)?).unwrap_or(0.0))
}

/// An integer, an integral float or numeric string, or null (0).
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?).unwrap_or(0))
}

/// An optional integer: absent, null or unparseable is `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?))
}

/// A string, a number (its decimal text), or null (empty).
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?).unwrap_or_default())
}

/// An optional string: absent or null is `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?))
}

pub fn value_to_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

pub fn value_to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

pub fn value_to_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list decoded item by item: an item that does not decode is skipped and counted, so one odd
/// item never fails the whole list. A missing or null list is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct LenientList<T> {
    pub items: Vec<T>,
    pub skipped: usize,
}

impl<T> Default for LenientList<T> {
    fn default() -> Self {
        LenientList {
            items: Vec::new(),
            skipped: 0,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for LenientList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Items stay raw JSON text until each is decoded on its own: no tree of `Value`s for the
        // whole list (which, for 10,000 accounts, cost several times the answer's size).
        // Borrowed from the answer's text (the client decodes from a string), not copied.
        let raw = <&'de RawValue>::deserialize(d)?;
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).unwrap_or_default();
        let mut list = LenientList {
            items: Vec::with_capacity(items.len()),
            skipped: 0,
        };
        for item in items {
            match serde_json::from_str::<T>(item.get()) {
                Ok(item) => list.items.push(item),
                Err(_) => list.skipped += 1,
            }
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        #[serde(deserialize_with = "i64")]
        n: i64,
    }

    #[test]
    fn numbers_arrive_in_any_reasonable_spelling() {
        assert_eq!(value_to_i64(&serde_json::json!("42")), Some(42));
        assert_eq!(value_to_i64(&serde_json::json!(42.0)), Some(42));
        assert_eq!(value_to_i64(&serde_json::json!(null)), None);
        assert_eq!(value_to_f64(&serde_json::json!("1.5")), Some(1.5));
        assert_eq!(value_to_f64(&serde_json::json!("NaN")), None);
        assert_eq!(value_to_string(&serde_json::json!(7)), Some("7".into()));
    }

    #[test]
    fn an_odd_item_is_skipped_and_counted() {
        let list: LenientList<Item> =
            serde_json::from_str(r#"[{"n":1},"junk",{"n":"2"},{"n":null}]"#).unwrap();
        assert_eq!(
            list.items,
            vec![Item { n: 1 }, Item { n: 2 }, Item { n: 0 }]
        );
        assert_eq!(list.skipped, 1);
    }

    #[test]
    fn a_null_list_is_empty() {
        let list: LenientList<Item> = serde_json::from_str("null").unwrap();
        assert!(list.items.is_empty());
    }
}
