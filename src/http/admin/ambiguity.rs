//! One username, several accounts: 911Proxy applies a change or a delete to every account of a
//! username, whatever its product type. Before a PATCH, DELETE or batch action, the accounts are
//! listed; a username that matches more than one is refused with 409 `ambiguous_account`,
//! listing the matches, and nothing is sent upstream, unless the request says `?all=true`.

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use serde::Deserialize;
use utoipa::IntoParams;

use super::answers::AccountMatch;
use super::decode::Invalid;
use super::error::AdminError;
use super::types::Username;
use crate::upstream::{Client, ProductType};

/// The query of a mutation: `?all=true` applies it to every account of the username.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct Scope {
    /// Apply the change to every account of the username, in every product type, even when
    /// there are several (otherwise refused with 409 `ambiguous_account`).
    #[serde(default)]
    pub all: bool,
}

impl Scope {
    /// The scope from the query string; a malformed one (`?all=maybe`) is a 400 naming `all`.
    pub(crate) fn from_query(
        query: Result<Query<Scope>, QueryRejection>,
    ) -> Result<Scope, AdminError> {
        match query {
            Ok(Query(scope)) => Ok(scope),
            Err(rejection) => Err(AdminError::InvalidArgument(Invalid::new(
                "query",
                format!(
                    "{}; the only parameter is all=true|false",
                    rejection.body_text()
                ),
            ))),
        }
    }
}

/// Refuses when any of `names` matches more than one account, unless `scope.all`. Costs one
/// account list upstream (none with `all`); if the list cannot be read, the mutation is refused
/// with that error rather than sent blind.
pub(crate) async fn refuse_if_ambiguous(
    client: &Client,
    names: &[Username],
    scope: &Scope,
) -> Result<(), AdminError> {
    if scope.all || names.is_empty() {
        return Ok(());
    }
    let listed = client.list_accounts().await?;
    let accounts = listed
        .items
        .iter()
        .filter_map(|a| Some((a.username.as_deref()?, a.id, a.product_type)));
    let matches = ambiguous_matches(names, accounts);
    if matches.is_empty() {
        Ok(())
    } else {
        Err(AdminError::AmbiguousAccount(matches))
    }
}

/// Every account of each name that matches more than one, in the order named, then listed.
fn ambiguous_matches<'a>(
    names: &[Username],
    accounts: impl Iterator<Item = (&'a str, Option<i64>, Option<ProductType>)> + Clone,
) -> Vec<AccountMatch> {
    let mut out = Vec::new();
    for name in names {
        let same: Vec<AccountMatch> = accounts
            .clone()
            .filter(|(username, _, _)| *username == name.as_str())
            .map(|(username, id, product_type)| AccountMatch {
                username: username.to_string(),
                id,
                product_type: product_type.map(ProductType::code),
            })
            .collect();
        if same.len() > 1 {
            out.extend(same);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        Username::try_from(s.to_string()).unwrap()
    }

    #[test]
    fn a_username_of_one_account_is_not_ambiguous() {
        let accounts = [("alice", Some(1), None), ("bob", Some(2), None)];
        assert!(ambiguous_matches(&[name("alice")], accounts.iter().copied()).is_empty());
    }

    #[test]
    fn a_username_of_two_accounts_lists_both_matches() {
        let accounts = [
            ("alice", Some(1), Some(ProductType::from_code(9))),
            ("bob", Some(2), None),
            ("alice", Some(3), Some(ProductType::from_code(11))),
        ];
        let matches = ambiguous_matches(&[name("bob"), name("alice")], accounts.iter().copied());
        let ids: Vec<Option<i64>> = matches.iter().map(|m| m.id).collect();
        assert_eq!(ids, [Some(1), Some(3)]);
        assert_eq!(matches[0].product_type, Some(9));
        assert_eq!(matches[1].product_type, Some(11));
    }

    #[test]
    fn a_username_matching_nothing_is_left_to_the_upstream() {
        let accounts = [("bob", Some(2), None)];
        assert!(ambiguous_matches(&[name("alice")], accounts.iter().copied()).is_empty());
    }
}
