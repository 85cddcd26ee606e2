//! The `accounts` collector: `GET /api-gate-way/whitelist-account/list` → `proxy911_account_*`.
//! Every series carries `account`, `account_id` and `product_type`, so two accounts sharing a
//! username under different product types stay distinct. Passwords never enter the snapshot.

use std::collections::HashSet;

use prometheus_client::registry::Unit;

use super::{parse_timestamp, product_type_label, RenderContext, GB, KB};
use crate::exposition::{Family, Labels};
use crate::upstream::model::Account;
use crate::upstream::{Client, UpstreamError};

pub const NAME: &str = "accounts";

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub accounts: Vec<Account>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    let listed = client.list_accounts().await?;
    if listed.skipped > 0 {
        tracing::debug!(
            collector = NAME,
            skipped = listed.skipped,
            "undecodable accounts left out"
        );
    }
    Ok(Snapshot {
        accounts: listed.items,
    })
}

pub fn families(snapshot: &Snapshot, ctx: &RenderContext) -> Vec<Family> {
    let mut info = Family::gauge(
        "account_info",
        "Proxy sub-account; value 1, the remark as a label",
        None,
    );
    let mut enabled = Family::gauge(
        "account_enabled",
        "1 if the proxy sub-account is enabled, 0 if disabled",
        None,
    );
    let mut used = Family::counter(
        "account_traffic_used",
        "Traffic used by the proxy sub-account",
        Some(Unit::Bytes),
    );
    let mut limit = Family::gauge(
        "account_traffic_limit",
        "Traffic limit of the proxy sub-account; +Inf when unlimited",
        Some(Unit::Bytes),
    );
    let mut created = Family::gauge(
        "account_created_timestamp",
        "Unix time the proxy sub-account was created",
        Some(Unit::Seconds),
    );
    // The same account listed twice (say, while the list shifts) is one account: first wins,
    // so not even its info series (whose remark may differ) appears twice.
    let mut seen = HashSet::new();
    for account in &snapshot.accounts {
        if !seen.insert((account.id, account.product_type, account.username.as_str())) {
            continue;
        }
        // Cloning `labels` copies three pointers: the values are shared.
        let labels: Labels = vec![
            ("account", account.username.as_str().into()),
            ("account_id", account.id.to_string().into()),
            (
                "product_type",
                product_type_label(account.product_type).into(),
            ),
        ];
        let mut with_remark = labels.clone();
        with_remark.push(("remark", account.remark.as_str().into()));
        info.push(with_remark, 1.0);
        enabled.push(labels.clone(), if account.status == 1 { 1.0 } else { 0.0 });
        used.push(labels.clone(), account.usage_flow.max(0.0) * KB);
        let limit_bytes = if account.limit_flow <= 0.0 {
            f64::INFINITY
        } else {
            account.limit_flow * GB
        };
        limit.push(labels.clone(), limit_bytes);
        if let Some(at) = parse_timestamp(&account.created_at, &ctx.timezone) {
            created.push(labels, at);
        }
    }
    vec![info, enabled, used, limit, created]
}
