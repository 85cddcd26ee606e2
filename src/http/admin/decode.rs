//! Reads a request body or path value into its type, or into an [`Invalid`] naming the field at
//! fault as a path (`accounts[1].password`, `limit_gb`, `body`). Messages never repeat a value:
//! serde's own "invalid type" messages quote what they refused, and that may be a password.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::error::Category;

use super::types::{Refused, Username};

/// A refused request: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A JSON body as `T`, read from an object: the whole body, nothing after it.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Invalid> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let Object(value) = serde_path_to_error::deserialize(&mut deserializer).map_err(refusal)?;
    deserializer.end().map_err(|e| not_json(e.classify()))?;
    Ok(value)
}

/// Reads a struct from a JSON object only. serde's derived structs also take an array of their
/// fields in order, a form no client of this API means and the OpenAPI document does not offer.
pub fn object<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    Object::deserialize(deserializer).map(|Object(value)| value)
}

struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Object)
    }
}

/// The `{username}` of a path, under the same rule as a username in a body.
pub fn username(raw: String) -> Result<Username, Invalid> {
    Username::try_from(raw).map_err(|Refused(message)| Invalid::new("username", message))
}

fn refusal(error: serde_path_to_error::Error<serde_json::Error>) -> Invalid {
    let inner = error.inner();
    if inner.classify() != Category::Data {
        return not_json(inner.classify());
    }
    let at_root = error.path().iter().next().is_none();
    let path = error.path().to_string();
    let message = without_position(inner);
    let field = |name: &str| match at_root {
        true => name.to_string(),
        false => format!("{path}.{name}"),
    };
    if let Some(name) = quoted_after(&message, "missing field `") {
        return Invalid::new(field(name), "is required");
    }
    if let Some(name) = quoted_after(&message, "duplicate field `") {
        return Invalid::new(field(name), "is given twice");
    }
    let path = if at_root { "body".to_string() } else { path };
    Invalid::new(path, without_value(&message))
}

fn not_json(category: Category) -> Invalid {
    let why = match category {
        Category::Eof => "it ends too early",
        Category::Syntax => "it has a syntax error",
        Category::Data => "it has a value of the wrong type",
        Category::Io => "it could not be read",
    };
    Invalid::new("body", format!("the body must be JSON: {why}"))
}

/// serde_json's message without its " at line L column C".
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&position) {
        Some(message) => message.to_string(),
        None => text,
    }
}

/// The name in "missing field `name`" and the like.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// serde's "invalid type: string \"…\", expected …" without the value it quotes. What was
/// expected comes last and is ours, so the last ", expected " starts it.
fn without_value(message: &str) -> String {
    for (prefix, kind) in [
        ("invalid type: ", "has the wrong type"),
        ("invalid value: ", "has a wrong value"),
    ] {
        if message.starts_with(prefix) {
            return match message.rsplit_once(", expected ") {
                Some((_, expected)) => format!("{kind}; expected {expected}"),
                None => kind.to_string(),
            };
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::super::requests::{AddRequest, UpdateRequest};
    use super::*;

    fn add(body: &str) -> Invalid {
        super::body::<AddRequest>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_nested_refusal_names_its_path_and_not_the_password() {
        let err = add(
            r#"{"accounts":[{"username":"u1","password":"ok1"},{"username":"u2","password":"pass word"}],"product_type":9}"#,
        );
        assert_eq!(err.field, "accounts[1].password");
        assert!(!err.to_string().contains("pass word"), "{err}");
    }

    #[test]
    fn a_password_of_the_wrong_type_is_not_quoted() {
        let err = add(r#"{"accounts":[{"username":"u1","password":12345678}],"product_type":9}"#);
        assert_eq!(err.field, "accounts[0].password");
        assert!(!err.message.contains("12345678"), "{err}");
        let err = super::body::<UpdateRequest>(br#"{"password":["S3cret"]}"#).unwrap_err();
        assert!(!err.message.contains("S3cret"), "{err}");
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        assert_eq!(
            add(r#"{"accounts":[{"username":"u1","password":"p"}],"product_type":9,"colour":1}"#)
                .field,
            "colour"
        );
        assert_eq!(
            add(r#"{"accounts":[{"username":"u1","password":"p","email":"x"}],"product_type":9}"#)
                .field,
            "accounts[0].email"
        );
        assert_eq!(
            add(r#"{"accounts":[{"username":"u1"}],"product_type":9}"#).field,
            "accounts[0].password"
        );
        assert_eq!(
            add(r#"{"accounts":[{"username":"u1","password":"p"}]}"#).field,
            "product_type"
        );
    }

    #[test]
    fn structs_are_read_from_objects_only() {
        let err = add(r#"{"accounts":[["u1","p1"]],"product_type":9}"#);
        assert_eq!(err.field, "accounts[0]");
        assert!(!err.message.contains("p1"), "{err}");
        let err = super::body::<UpdateRequest>(br#"["S3cretPw"]"#).unwrap_err();
        assert_eq!(err.field, "body");
    }

    #[test]
    fn a_body_that_is_not_json_never_quotes_it() {
        let err = super::body::<UpdateRequest>(br#"{"password": "abc def"#).unwrap_err();
        assert_eq!(err.field, "body");
        assert!(!err.message.contains("abc def"), "{}", err.message);
        let err = super::body::<UpdateRequest>(br#"{"enabled":true} trailing"#).unwrap_err();
        assert_eq!(err.field, "body");
        let err = super::body::<UpdateRequest>(b"[1,2]").unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("body", "has the wrong type; expected a JSON object")
        );
    }
}
