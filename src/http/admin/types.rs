//! The values an admin request may carry, as types whose constructors hold the admin API's
//! rules (README, "Admin API"): a value that exists was checked. Each one deserializes through its constructor and describes
//! itself to the OpenAPI document from the same constants, so the rule lives in one place.

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Longest username or password.
pub(crate) const MAX_NAME_LEN: usize = 64;
/// Largest traffic limit the upstream accepts, in GB.
pub const MAX_LIMIT_GB: u32 = 102_400;
/// Remark width limit: 64, a CJK character counting 2.
pub(crate) const MAX_REMARK_WIDTH: usize = 64;

const NAME_PATTERN: &str = "^[A-Za-z0-9]{1,64}$";
const NAME_RULE: &str = "must be 1 to 64 letters or digits (A-Z, a-z, 0-9)";

/// Why a value was refused. It never holds the value when the value may be a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(message: impl Into<String>) -> Refused {
    Refused(message.into())
}

fn check_name(text: &str) -> Result<(), Refused> {
    let valid = !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && text.chars().all(|c| c.is_ascii_alphanumeric());
    valid.then_some(()).ok_or_else(|| refused(NAME_RULE))
}

fn name_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(NAME_PATTERN))
        .min_length(Some(1))
        .max_length(Some(MAX_NAME_LEN))
}

/// A proxy sub-account's username: `[A-Za-z0-9]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Username(String);

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = Refused;

    fn try_from(text: String) -> Result<Self, Refused> {
        check_name(&text)?;
        Ok(Username(text))
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialSchema for Username {
    fn schema() -> RefOr<Schema> {
        name_schema().into()
    }
}

impl ToSchema for Username {}

/// A proxy sub-account's new password: `[A-Za-z0-9]{1,64}`. It is never shown: no `Display`, no
/// `Serialize`, and `Debug` hides it; only [`Password::secret`] lets it go upstream.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub struct Password(SecretString);

impl Password {
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl TryFrom<String> for Password {
    type Error = Refused;

    fn try_from(text: String) -> Result<Self, Refused> {
        check_name(&text)?;
        Ok(Password(SecretString::from(text)))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        name_schema()
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Password,
            )))
            .into()
    }
}

impl ToSchema for Password {}

/// An account's remark: at most 64 wide, a CJK character counting 2, no control characters and
/// no invisible format characters (a bidi override would make it read as what it is not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Remark(String);

impl Remark {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Remark {
    type Error = Refused;

    fn try_from(text: String) -> Result<Self, Refused> {
        if text.chars().any(char::is_control) {
            return Err(refused("must not contain control characters"));
        }
        if text
            .chars()
            .any(crate::upstream::sanitize::is_invisible_format)
        {
            return Err(refused(
                "must not contain invisible format characters (bidi overrides, zero-width characters)",
            ));
        }
        let width = remark_width(&text);
        if width > MAX_REMARK_WIDTH {
            return Err(refused(format!(
                "is {width} wide; at most {MAX_REMARK_WIDTH} (a CJK character counts 2)"
            )));
        }
        Ok(Remark(text))
    }
}

/// Display width of a remark as the upstream counts it: a CJK character counts 2.
pub(crate) fn remark_width(remark: &str) -> usize {
    remark.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

impl PartialSchema for Remark {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .max_length(Some(MAX_REMARK_WIDTH))
            .description(Some(
                "At most 64 wide: a CJK character counts 2. No control characters, no invisible format characters (bidi overrides, zero-width characters).",
            ))
            .into()
    }
}

impl ToSchema for Remark {}

/// A traffic limit in whole GB, 0 (unlimited) to 102400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_json::Number")]
pub struct LimitGb(u32);

impl LimitGb {
    pub fn gb(self) -> u32 {
        self.0
    }
}

impl TryFrom<serde_json::Number> for LimitGb {
    type Error = Refused;

    fn try_from(number: serde_json::Number) -> Result<Self, Refused> {
        match number.as_u64().and_then(|gb| u32::try_from(gb).ok()) {
            Some(gb) if gb <= MAX_LIMIT_GB => Ok(LimitGb(gb)),
            _ => Err(refused(format!(
                "must be an integer from 0 (unlimited) to {MAX_LIMIT_GB}"
            ))),
        }
    }
}

impl PartialSchema for LimitGb {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .minimum(Some(0))
            .maximum(Some(MAX_LIMIT_GB))
            .description(Some("Traffic limit in GB; 0 is unlimited."))
            .into()
    }
}

impl ToSchema for LimitGb {}

/// The product types an account can be created under, by their upstream codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_json::Number")]
pub enum AccountProductType {
    DynamicResidentialTraffic,
    DynamicResidentialIp,
    StaticDatacenterIp,
    StaticResidentialIp,
}

impl AccountProductType {
    pub const ALL: [AccountProductType; 4] = [
        AccountProductType::DynamicResidentialTraffic,
        AccountProductType::DynamicResidentialIp,
        AccountProductType::StaticDatacenterIp,
        AccountProductType::StaticResidentialIp,
    ];

    /// The upstream's `product_type` code.
    pub fn code(self) -> i64 {
        match self {
            AccountProductType::DynamicResidentialTraffic => 9,
            AccountProductType::DynamicResidentialIp => 11,
            AccountProductType::StaticDatacenterIp => 14,
            AccountProductType::StaticResidentialIp => 25,
        }
    }
}

impl TryFrom<serde_json::Number> for AccountProductType {
    type Error = Refused;

    fn try_from(number: serde_json::Number) -> Result<Self, Refused> {
        let code = number.as_i64();
        AccountProductType::ALL
            .into_iter()
            .find(|p| Some(p.code()) == code)
            .ok_or_else(|| refused("must be one of 9, 11, 14, 25"))
    }
}

impl Serialize for AccountProductType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.code())
    }
}

impl PartialSchema for AccountProductType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .enum_values(Some(AccountProductType::ALL.map(|p| p.code())))
            .description(Some("9 dynamic residential traffic, 11 dynamic residential IP, 14 static datacenter IP, 25 static residential IP."))
            .into()
    }
}

impl ToSchema for AccountProductType {
    fn name() -> std::borrow::Cow<'static, str> {
        "ProductType".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from<T: for<'de> Deserialize<'de>>(value: serde_json::Value) -> Result<T, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn a_remark_with_a_bidi_override_or_zero_width_character_is_refused() {
        assert!(Remark::try_from("invoice\u{202e}fdp.exe".to_string()).is_err());
        assert!(Remark::try_from("a\u{200b}b".to_string()).is_err());
        assert!(Remark::try_from("plain remark, 生产".to_string()).is_ok());
    }

    #[test]
    fn cjk_characters_count_twice_toward_the_remark_width() {
        assert_eq!(remark_width("abc"), 3);
        assert_eq!(remark_width("生产环境"), 8);
        assert_eq!(remark_width("テスト한글"), 10);
        assert!(Remark::try_from("中".repeat(32)).is_ok());
        assert!(Remark::try_from("中".repeat(33)).is_err());
        assert!(Remark::try_from("a".repeat(64)).is_ok());
        assert!(Remark::try_from("a".repeat(65)).is_err());
        assert!(Remark::try_from("line\nbreak".to_string()).is_err());
    }

    #[test]
    fn usernames_are_one_to_64_letters_or_digits() {
        assert!(Username::try_from("u1".to_string()).is_ok());
        assert!(Username::try_from("a".repeat(64)).is_ok());
        for bad in [
            "",
            "bad-name",
            "bad.name",
            "with space",
            "ünï",
            &"a".repeat(65),
        ] {
            assert!(Username::try_from(bad.to_string()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn product_types_are_the_four_account_types() {
        for ok in [9, 11, 14, 25] {
            let product: AccountProductType = from(json!(ok)).unwrap();
            assert_eq!(product.code(), ok);
        }
        for bad in [json!(12), json!(10), json!("9"), json!(9.5), json!(-9)] {
            assert!(from::<AccountProductType>(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_whole_gigabytes_in_range() {
        assert_eq!(from::<LimitGb>(json!(0)).unwrap().gb(), 0);
        assert_eq!(from::<LimitGb>(json!(102400)).unwrap().gb(), 102400);
        for bad in [
            json!(102401),
            json!(-1),
            json!(1.5),
            json!("5"),
            json!(true),
        ] {
            assert!(from::<LimitGb>(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_password_is_never_shown_nor_echoed_by_its_refusal() {
        let refusal = Password::try_from("has space".to_string()).unwrap_err();
        assert!(!refusal.to_string().contains("has space"));
        let password = Password::try_from("S3cretPass".to_string()).unwrap();
        assert!(!format!("{password:?}").contains("S3cretPass"));
    }
}
