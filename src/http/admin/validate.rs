//! Validation of admin requests, before anything goes upstream (SPEC §6). Bodies are read as
//! JSON values and checked field by field, so every refusal names the exact field at fault
//! (`accounts[2].username`, `limit_gb`, or an unknown field's own name).

use std::collections::HashSet;

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::upstream::api::NewAccount;

/// At most this many accounts in one batch.
pub const MAX_BATCH: usize = 100;
/// Largest traffic limit the upstream accepts, in GB.
pub const MAX_LIMIT_GB: u64 = 102_400;
/// Remark width limit: 64, a CJK character counting 2.
pub const MAX_REMARK_WIDTH: usize = 64;
/// Product types an account can be created under.
pub const ACCOUNT_PRODUCT_TYPES: [i64; 4] = [9, 11, 14, 25];

/// A refused request: which field, and why. The message never repeats a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// `POST /admin/accounts`.
#[derive(Debug)]
pub struct AddRequest {
    pub accounts: Vec<NewAccount>,
    pub product_type: i64,
    pub remark: String,
}

/// `PATCH /admin/accounts/{username}`: the changes asked for, in the order they are applied.
#[derive(Debug, Default)]
pub struct UpdateRequest {
    pub password: Option<SecretString>,
    pub remark: Option<String>,
    pub limit_gb: Option<u32>,
    pub enabled: Option<bool>,
}

/// Parses a body as a JSON object whose keys are all in `allowed`.
pub fn object(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, Invalid> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        invalid(
            "body",
            format!("the body must be JSON: {}", e.classify_message()),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(invalid("body", "the body must be a JSON object"));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(
            unknown.clone(),
            format!("unknown field; expected one of: {}", allowed.join(", ")),
        ));
    }
    Ok(map)
}

trait ClassifyMessage {
    fn classify_message(&self) -> &'static str;
}

impl ClassifyMessage for serde_json::Error {
    // serde_json's own message may quote the body, which may hold a password: say only what kind
    // of error it was.
    fn classify_message(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Eof => "it ends too early",
            serde_json::error::Category::Syntax => "it has a syntax error",
            serde_json::error::Category::Data => "it has a value of the wrong type",
            serde_json::error::Category::Io => "it could not be read",
        }
    }
}

/// A username or password: `[A-Za-z0-9]{1,64}`.
pub fn name(field: &str, value: &Value) -> Result<String, Invalid> {
    let Value::String(text) = value else {
        return Err(invalid(field, "must be a string"));
    };
    if text.is_empty() || text.len() > 64 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            field,
            "must be 1 to 64 letters or digits (A-Z, a-z, 0-9)",
        ));
    }
    Ok(text.clone())
}

/// A password: like a username, but the message never echoes it.
pub fn password(field: &str, value: &Value) -> Result<SecretString, Invalid> {
    name(field, value).map(SecretString::from)
}

/// Display width of a remark as the upstream counts it: a CJK character counts 2.
pub fn remark_width(remark: &str) -> usize {
    remark.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A remark: a string of width at most 64, without control characters.
pub fn remark(field: &str, value: &Value) -> Result<String, Invalid> {
    let Value::String(text) = value else {
        return Err(invalid(field, "must be a string"));
    };
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    let width = remark_width(text);
    if width > MAX_REMARK_WIDTH {
        return Err(invalid(
            field,
            format!("is {width} wide; at most {MAX_REMARK_WIDTH} (a CJK character counts 2)"),
        ));
    }
    Ok(text.clone())
}

/// A traffic limit in GB: an integer from 0 (unlimited) to 102400.
pub fn limit_gb(field: &str, value: &Value) -> Result<u32, Invalid> {
    match value.as_u64() {
        Some(gb) if gb <= MAX_LIMIT_GB => Ok(gb as u32),
        _ => Err(invalid(
            field,
            format!("must be an integer from 0 (unlimited) to {MAX_LIMIT_GB}"),
        )),
    }
}

pub fn product_type(field: &str, value: &Value) -> Result<i64, Invalid> {
    match value.as_i64() {
        Some(code) if ACCOUNT_PRODUCT_TYPES.contains(&code) => Ok(code),
        _ => Err(invalid(field, "must be one of 9, 11, 14, 25")),
    }
}

fn boolean(field: &str, value: &Value) -> Result<bool, Invalid> {
    value
        .as_bool()
        .ok_or_else(|| invalid(field, "must be true or false"))
}

fn batch_size(field: &str, len: usize) -> Result<(), Invalid> {
    match len {
        0 => Err(invalid(field, "must name at least one account")),
        n if n > MAX_BATCH => Err(invalid(
            field,
            format!("at most {MAX_BATCH} accounts per request, got {n}"),
        )),
        _ => Ok(()),
    }
}

fn array<'a>(field: &str, value: Option<&'a Value>) -> Result<&'a Vec<Value>, Invalid> {
    match value {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(invalid(field, "must be an array")),
        None => Err(invalid(field, "is required")),
    }
}

pub fn add_request(body: &[u8]) -> Result<AddRequest, Invalid> {
    let map = object(body, &["accounts", "product_type", "remark"])?;
    let items = array("accounts", map.get("accounts"))?;
    batch_size("accounts", items.len())?;
    let mut seen = HashSet::new();
    let mut accounts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("accounts[{i}].{name}");
        let Value::Object(fields) = item else {
            return Err(invalid(
                format!("accounts[{i}]"),
                "must be an object with username and password",
            ));
        };
        if let Some(unknown) = fields
            .keys()
            .find(|k| !["username", "password"].contains(&k.as_str()))
        {
            return Err(invalid(
                field(unknown),
                "unknown field; expected username and password",
            ));
        }
        let username = name(
            &field("username"),
            fields.get("username").unwrap_or(&Value::Null),
        )?;
        let password = password(
            &field("password"),
            fields.get("password").unwrap_or(&Value::Null),
        )?;
        if !seen.insert(username.clone()) {
            return Err(invalid(
                field("username"),
                format!("duplicate username {username}"),
            ));
        }
        accounts.push(NewAccount { username, password });
    }
    let product_type = product_type(
        "product_type",
        map.get("product_type").unwrap_or(&Value::Null),
    )?;
    let remark = match map.get("remark") {
        Some(value) => remark("remark", value)?,
        None => String::new(),
    };
    Ok(AddRequest {
        accounts,
        product_type,
        remark,
    })
}

pub fn update_request(body: &[u8]) -> Result<UpdateRequest, Invalid> {
    let map = object(body, &["password", "remark", "limit_gb", "enabled"])?;
    if map.is_empty() {
        return Err(invalid(
            "body",
            "name at least one of password, remark, limit_gb, enabled",
        ));
    }
    Ok(UpdateRequest {
        password: map
            .get("password")
            .map(|v| password("password", v))
            .transpose()?,
        remark: map.get("remark").map(|v| remark("remark", v)).transpose()?,
        limit_gb: map
            .get("limit_gb")
            .map(|v| limit_gb("limit_gb", v))
            .transpose()?,
        enabled: map
            .get("enabled")
            .map(|v| boolean("enabled", v))
            .transpose()?,
    })
}

/// `{"accounts":["u1","u2"]}` for the batch actions.
pub fn batch_request(body: &[u8]) -> Result<Vec<String>, Invalid> {
    let map = object(body, &["accounts"])?;
    let items = array("accounts", map.get("accounts"))?;
    batch_size("accounts", items.len())?;
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let username = name(&format!("accounts[{i}]"), item)?;
        if !seen.insert(username.clone()) {
            return Err(invalid(
                format!("accounts[{i}]"),
                format!("duplicate username {username}"),
            ));
        }
        names.push(username);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cjk_characters_count_twice_toward_the_remark_width() {
        assert_eq!(remark_width("abc"), 3);
        assert_eq!(remark_width("生产环境"), 8);
        assert_eq!(remark_width("テスト한글"), 10);
        assert!(remark("remark", &json!("中".repeat(32))).is_ok());
        assert!(remark("remark", &json!("中".repeat(33))).is_err());
        assert!(remark("remark", &json!("a".repeat(64))).is_ok());
        assert!(remark("remark", &json!("a".repeat(65))).is_err());
    }

    #[test]
    fn product_types_are_the_four_account_types() {
        for ok in [9, 11, 14, 25] {
            assert_eq!(product_type("p", &json!(ok)), Ok(ok));
        }
        for bad in [
            json!(12),
            json!(10),
            json!("9"),
            json!(9.5),
            json!(null),
            json!(-9),
        ] {
            assert!(product_type("p", &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_whole_gigabytes_in_range() {
        assert_eq!(limit_gb("l", &json!(0)), Ok(0));
        assert_eq!(limit_gb("l", &json!(102400)), Ok(102400));
        for bad in [
            json!(102401),
            json!(-1),
            json!(1.5),
            json!("5"),
            json!(true),
        ] {
            assert!(limit_gb("l", &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_password_error_never_echoes_the_password() {
        let err = password("password", &json!("has space")).unwrap_err();
        assert!(!err.to_string().contains("has space"));
        let err = object(br#"{"password": "abc def"#, &["password"]).unwrap_err();
        assert!(!err.message.contains("abc def"), "{}", err.message);
    }

    #[test]
    fn a_batch_names_the_duplicate() {
        let err = batch_request(br#"{"accounts":["a1","b2","a1"]}"#).unwrap_err();
        assert_eq!(err.field, "accounts[2]");
    }
}
