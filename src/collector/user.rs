//! The `user` collector (off by default): `GET /api-gate-way/user/info` → `proxy911_balance` and
//! `proxy911_user_real_name_verified`. The reference marks the endpoint "not yet open": when it
//! answers an error, the collector fails like any other (its `proxy911_collector_success` is 0
//! and the cache logs the cause once). The answer also holds the user's e-mail address and phone
//! number; they are never read (see [`UserInfo`]), so no metric, label or log line can carry them.

use futures::future::BoxFuture;

use super::{CollectorId, RenderContext, flags, refresh, Call, Definition};
use crate::exposition::DataFamily;
use crate::upstream::model::UserInfo;
use crate::upstream::{Client, Endpoint, UpstreamError};

pub const ID: CollectorId = CollectorId::User;

/// The user collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("user", "USER"),
    // Off by default: the reference marks its endpoint "not yet open".
    enabled_by_default: false,
    default_ttl: None,
    endpoints: &[Endpoint::UserInfo],
    min_requests: 1,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        vec![Call::single(Endpoint::UserInfo, client.user_info()).await]
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub user: UserInfo,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    Ok(Snapshot {
        user: client.user_info().await?.value,
    })
}

pub fn families(snapshot: &Snapshot, _ctx: &RenderContext) -> Vec<DataFamily> {
    let mut balance = DataFamily::gauge(
        "balance",
        "Balance of the 911Proxy account, in the account's currency",
        None,
    );
    let mut verified = DataFamily::gauge(
        "user_real_name_verified",
        "1 if the 911Proxy account passed real-name authentication, 0 if not",
        None,
    );
    // A field missing or unreadable leaves its sample out: never a made-up 0.
    if let Some(value) = snapshot.user.balance {
        balance.push(Vec::new(), value);
    }
    if let Some(on) = snapshot.user.real_name_verified {
        verified.push(Vec::new(), if on { 1.0 } else { 0.0 });
    }
    vec![balance, verified]
}
