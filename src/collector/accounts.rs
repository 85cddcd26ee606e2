//! The `accounts` collector: `GET /api-gate-way/whitelist-account/list` → `proxy911_account_*`.
//! Every series carries `account`, `account_id` and `product_type`, so two accounts sharing a
//! username under different product types stay distinct. Passwords never enter the snapshot.
//! A field the upstream did not give in a readable form leaves its sample out (an account whose
//! `status` cannot be read has no `proxy911_account_enabled`, rather than a guessed 0).

use std::collections::HashSet;

use futures::future::BoxFuture;
use prometheus_client::registry::Unit;

use super::{product_type_or_unknown, text_or_unknown, CollectorId, RenderContext, flags, refresh, Call, Definition};
use crate::exposition::{DataFamily, Labels};
use crate::upstream::model::Account;
use crate::upstream::{Client, Endpoint, UpstreamError};

pub const ID: CollectorId = CollectorId::Accounts;
/// The accounts collector, as the admin API names it when a change invalidates it.
pub const NAME: CollectorId = ID;

/// The accounts collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("accounts", "ACCOUNTS"),
    enabled_by_default: true,
    default_ttl: None,
    endpoints: &[Endpoint::AccountList],
    min_requests: 1,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        vec![Call::listed(Endpoint::AccountList, client.list_accounts()).await]
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub accounts: Vec<Account>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    Ok(Snapshot {
        accounts: client.list_accounts().await?.items,
    })
}

pub fn families(snapshot: &Snapshot, ctx: &RenderContext) -> Vec<DataFamily> {
    let mut info = DataFamily::gauge(
        "account_info",
        "Proxy sub-account; value 1, the remark as a label",
        None,
    );
    let mut enabled = DataFamily::gauge(
        "account_enabled",
        "1 if the proxy sub-account is enabled, 0 if disabled",
        None,
    );
    let mut used = DataFamily::counter(
        "account_traffic_used",
        "Traffic used by the proxy sub-account",
        Some(Unit::Bytes),
    );
    let mut limit = DataFamily::gauge(
        "account_traffic_limit",
        "Traffic limit of the proxy sub-account; +Inf when unlimited",
        Some(Unit::Bytes),
    );
    let mut created = DataFamily::gauge(
        "account_created_timestamp",
        "Unix time the proxy sub-account was created",
        Some(Unit::Seconds),
    );
    for family in [&mut info, &mut enabled, &mut used, &mut limit, &mut created] {
        family.reserve(snapshot.accounts.len());
    }
    // The same account listed twice (say, while the list shifts) is one account: first wins,
    // so not even its info series (whose remark may differ) appears twice.
    let mut seen = HashSet::new();
    for account in &snapshot.accounts {
        if !seen.insert((
            account.id,
            account.product_type,
            account.username.as_deref(),
        )) {
            continue;
        }
        // Cloning `labels` copies one pointer: the set and its values are shared.
        let labels: Labels = Labels::from(vec![
            (
                "account",
                text_or_unknown(account.username.as_deref()).into(),
            ),
            (
                "account_id",
                account
                    .id
                    .map_or_else(|| super::UNKNOWN.to_string(), |id| id.to_string())
                    .into(),
            ),
            (
                "product_type",
                product_type_or_unknown(account.product_type).into(),
            ),
        ]);
        let mut with_remark = Vec::with_capacity(labels.len() + 1);
        with_remark.extend(labels.iter().cloned());
        with_remark.push(("remark", account.remark.as_deref().unwrap_or("").into()));
        info.push(with_remark, 1.0);
        if let Some(on) = account.enabled {
            enabled.push(labels.clone(), if on { 1.0 } else { 0.0 });
        }
        if let Some(bytes) = account.used_bytes() {
            used.push(labels.clone(), bytes);
        }
        if let Some(bytes) = account.limit_bytes() {
            limit.push(labels.clone(), bytes);
        }
        if let Some(at) = account.created_at.and_then(|t| t.unix(&ctx.timezone)) {
            created.push(labels, at);
        }
    }
    vec![info, enabled, used, limit, created]
}
