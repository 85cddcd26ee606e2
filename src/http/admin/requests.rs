//! The bodies of admin requests, made of the checked values of [`super::types`]: an
//! unknown field is refused, and a [`Batch`] holds 1 to 100 accounts with no username twice.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use utoipa::ToSchema;

use super::decode;
use super::types::{AccountProductType, LimitGb, Password, Refused, Remark, Username};

/// At most this many accounts in one request (the OpenAPI document's `maxItems`, which a test
/// holds to this).
pub const MAX_BATCH: usize = 100;

/// One account to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "an object with username and password"
)]
pub struct Credentials {
    pub username: Username,
    pub password: Password,
}

/// `POST /admin/accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub struct AddRequest {
    #[schema(value_type = Vec<Credentials>, min_items = 1, max_items = 100)]
    pub accounts: Batch<Credentials>,
    pub product_type: AccountProductType,
    #[serde(default)]
    pub remark: Remark,
}

/// `PATCH /admin/accounts/{username}`: the changes asked for (at least one), applied in this
/// order. A field given as `null` is refused rather than taken for an absent one.
// The document's `minProperties: 1` is set in `super::openapi`; `check` enforces it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub struct UpdateRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub password: Option<Password>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub remark: Option<Remark>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub limit_gb: Option<LimitGb>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

impl UpdateRequest {
    /// Refuses a request that changes nothing.
    pub fn check(self) -> Result<Self, Refused> {
        let empty = self.password.is_none()
            && self.remark.is_none()
            && self.limit_gb.is_none()
            && self.enabled.is_none();
        match empty {
            true => Err(Refused(
                "name at least one of password, remark, limit_gb, enabled".into(),
            )),
            false => Ok(self),
        }
    }
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `POST /admin/accounts/actions/{action}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub struct BatchRequest {
    #[schema(value_type = Vec<Username>, min_items = 1, max_items = 100)]
    pub accounts: Batch<Username>,
}

/// An item of a batch: no two items may name the same account.
pub trait Keyed: Sized {
    fn username(&self) -> &Username;

    /// Reads one item; a struct overrides this to be read from an object only.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>
    where
        Self: Deserialize<'de>,
    {
        Self::deserialize(deserializer)
    }
}

impl Keyed for Username {
    fn username(&self) -> &Username {
        self
    }
}

impl Keyed for Credentials {
    fn username(&self) -> &Username {
        &self.username
    }

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        decode::object(deserializer)
    }
}

/// 1 to [`MAX_BATCH`] items, no username twice. Read as it streams in: a duplicate is refused at
/// its own index (`accounts[3]`), and items past the limit are only counted.
#[derive(Debug)]
pub struct Batch<T>(Vec<T>);

impl<T: Keyed> Batch<T> {
    pub fn items(&self) -> &[T] {
        &self.0
    }

    pub fn usernames(&self) -> Vec<Username> {
        self.0.iter().map(|item| item.username().clone()).collect()
    }
}

impl<'de, T: Deserialize<'de> + Keyed> Deserialize<'de> for Batch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(BatchVisitor(PhantomData))
    }
}

struct BatchVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Keyed> Visitor<'de> for BatchVisitor<T> {
    type Value = Batch<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of 1 to {MAX_BATCH} accounts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Batch<T>, A::Error> {
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        while items.len() < MAX_BATCH {
            let unique = Unique {
                seen: &mut seen,
                item: PhantomData,
            };
            match seq.next_element_seed(unique)? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        if items.len() == MAX_BATCH {
            let mut extra = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                extra += 1;
            }
            if extra > 0 {
                let got = MAX_BATCH + extra;
                return Err(de::Error::custom(format!(
                    "at most {MAX_BATCH} accounts per request, got {got}"
                )));
            }
        }
        if items.is_empty() {
            return Err(de::Error::custom("must name at least one account"));
        }
        Ok(Batch(items))
    }
}

/// Reads one item and refuses it if its username came before.
struct Unique<'a, T> {
    seen: &'a mut HashSet<Username>,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de> + Keyed> DeserializeSeed<'de> for Unique<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        let item = T::read(deserializer)?;
        if !self.seen.insert(item.username().clone()) {
            return Err(de::Error::custom(format!(
                "duplicate username {}",
                item.username()
            )));
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(body: &str) -> Result<BatchRequest, String> {
        let de = &mut serde_json::Deserializer::from_str(body);
        serde_path_to_error::deserialize(de).map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    #[test]
    fn a_batch_names_the_duplicate_at_its_index() {
        let err = batch(r#"{"accounts":["a1","b2","a1"]}"#).unwrap_err();
        assert!(
            err.starts_with("accounts[2]: duplicate username a1"),
            "{err}"
        );
    }

    #[test]
    fn a_batch_holds_one_to_a_hundred_accounts() {
        let names = |n: usize| (0..n).map(|i| format!("\"u{i}\"")).collect::<Vec<_>>();
        let body = |n: usize| format!(r#"{{"accounts":[{}]}}"#, names(n).join(","));
        assert_eq!(batch(&body(100)).unwrap().accounts.items().len(), 100);
        let err = batch(&body(101)).unwrap_err();
        assert!(
            err.starts_with("accounts: at most 100 accounts per request, got 101"),
            "{err}"
        );
        let err = batch(&body(0)).unwrap_err();
        assert!(
            err.starts_with("accounts: must name at least one account"),
            "{err}"
        );
    }

    #[test]
    fn an_update_must_change_something_and_takes_no_null() {
        let update = |body: &str| serde_json::from_str::<UpdateRequest>(body);
        assert!(update("{}").unwrap().check().is_err());
        assert!(update(r#"{"enabled":true}"#).unwrap().check().is_ok());
        assert!(update(r#"{"password":null}"#).is_err());
        assert!(update(r#"{"remark":""}"#).unwrap().check().is_ok());
    }
}
