//! What the admin API answers on success. The same types serialize each answer and describe it
//! in the OpenAPI document, so the two cannot drift apart.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::{AccountProductType, Username};
use crate::upstream::model::Account;
use crate::upstream::ProductType;

/// Said of operations the upstream takes about 5 minutes to apply.
pub(crate) const APPLIES_LATER: &str = "911Proxy applies this within about 5 minutes; until then the previous state may still be in effect (and billed)";

/// An admin operation: the `operation` of an answer, of the audit line and of the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    List,
    Add,
    Update,
    Delete,
    Enable,
    Disable,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::List => "list",
            Operation::Add => "add",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Enable => "enable",
            Operation::Disable => "disable",
        }
    }

    /// Whether 911Proxy takes about 5 minutes to apply it, so the answer says so.
    pub(crate) fn applies_later(self) -> bool {
        matches!(self, Operation::Delete | Operation::Disable)
    }
}

/// The `{action}` of `POST /admin/accounts/actions/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BatchAction {
    Enable,
    Disable,
    Delete,
}

impl From<BatchAction> for Operation {
    fn from(action: BatchAction) -> Self {
        match action {
            BatchAction::Enable => Operation::Enable,
            BatchAction::Disable => Operation::Disable,
            BatchAction::Delete => Operation::Delete,
        }
    }
}

/// `GET /admin/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<ListedAccount>,
}

impl AccountList {
    pub fn new(accounts: &[Account]) -> Self {
        AccountList {
            accounts: accounts.iter().map(ListedAccount::from).collect(),
        }
    }
}

/// One proxy sub-account, without its password. Every field is always present; one the upstream
/// did not give in a readable form is `null`, never a guess.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedAccount {
    #[schema(required = true)]
    pub id: Option<i64>,
    #[schema(required = true)]
    pub username: Option<String>,
    #[schema(required = true)]
    pub product_type: Option<i64>,
    #[schema(required = true)]
    pub product_type_name: Option<String>,
    #[schema(required = true)]
    pub remark: Option<String>,
    #[schema(required = true)]
    pub enabled: Option<bool>,
    #[schema(required = true, minimum = 0)]
    pub traffic_used_bytes: Option<f64>,
    /// 0 is unlimited.
    #[schema(required = true, minimum = 0)]
    pub limit_gb: Option<f64>,
    /// `null` when unlimited.
    #[schema(required = true, minimum = 0)]
    pub traffic_limit_bytes: Option<f64>,
    #[schema(required = true)]
    pub created_at: Option<String>,
}

impl From<&Account> for ListedAccount {
    fn from(account: &Account) -> Self {
        ListedAccount {
            id: account.id,
            username: account.username.clone(),
            product_type: account.product_type.map(ProductType::code),
            product_type_name: account.product_type.map(|p| p.slug().into_owned()),
            remark: account.remark.clone(),
            enabled: account.enabled,
            traffic_used_bytes: account.used_bytes(),
            limit_gb: account.limit_flow,
            traffic_limit_bytes: account.limit_bytes().filter(|bytes| bytes.is_finite()),
            created_at: account.created_at.map(|at| at.to_string()),
        }
    }
}

/// `POST /admin/accounts`: the accounts were added.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AddResult {
    pub operation: Operation,
    pub accounts: Vec<Username>,
    pub product_type: AccountProductType,
}

/// A change to existing accounts.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeResult {
    pub operation: Operation,
    pub accounts: Vec<Username>,
    /// The changes of a `PATCH`, in the order they were applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub applied: Option<Vec<Change>>,
    /// Present when 911Proxy takes about 5 minutes to apply the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub note: Option<String>,
}

impl ChangeResult {
    /// The answer to `operation` on `accounts`, with the note when the upstream applies it later.
    pub fn new(operation: Operation, accounts: Vec<Username>) -> Self {
        ChangeResult {
            operation,
            accounts,
            applied: None,
            note: operation.applies_later().then(|| APPLIES_LATER.into()),
        }
    }
}

/// One field of a `PATCH`, as applied upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    Password,
    Remark,
    LimitGb,
    Enabled,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Password => "password",
            Change::Remark => "remark",
            Change::LimitGb => "limit_gb",
            Change::Enabled => "enabled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unreadable_field_is_listed_as_null_and_unlimited_has_no_byte_limit() {
        let account = Account {
            username: Some("u1".into()),
            usage_flow: Some(1.0),
            limit_flow: Some(0.0),
            ..Account::default()
        };

        let listed = serde_json::to_value(ListedAccount::from(&account)).unwrap();

        assert_eq!(listed["username"], "u1");
        assert_eq!(listed["traffic_used_bytes"], json!(1024.0));
        assert_eq!(listed["traffic_limit_bytes"], json!(null));
        assert_eq!(listed["id"], json!(null), "present, as null");
        assert_eq!(listed.as_object().unwrap().len(), 10);
    }

    #[test]
    fn only_slow_changes_carry_the_note() {
        let names = || vec![Username::try_from("u1".to_string()).unwrap()];
        let enable = serde_json::to_value(ChangeResult::new(Operation::Enable, names())).unwrap();
        let delete = serde_json::to_value(ChangeResult::new(Operation::Delete, names())).unwrap();
        assert_eq!(enable, json!({"operation": "enable", "accounts": ["u1"]}));
        assert_eq!(delete["note"], APPLIES_LATER);
    }
}

/// One account a username matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountMatch {
    pub username: String,
    /// The upstream's account id, when it gave one.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The product type's code (9, 11, 14, 25, …), when the upstream gave one.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_type: Option<i64>,
}
