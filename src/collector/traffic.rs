//! The `traffic` collector: `GET /api-gate-way/user-usage-flow/total` (the upstream's default
//! window, the last 7 days) → `proxy911_traffic_daily_bytes{date}`. A day without a readable
//! date or amount is left out, never shown as 0.

use futures::future::BoxFuture;
use prometheus_client::registry::Unit;

use super::{CollectorId, RenderContext, flags, refresh, Call, Definition};
use crate::exposition::DataFamily;
use crate::upstream::model::{DailyFlow, KB};
use crate::upstream::{Client, Endpoint, UpstreamError};

pub const ID: CollectorId = CollectorId::Traffic;

/// The traffic collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("traffic", "TRAFFIC"),
    enabled_by_default: true,
    default_ttl: None,
    endpoints: &[Endpoint::TrafficDaily],
    min_requests: 1,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        vec![Call::listed(Endpoint::TrafficDaily, client.daily_traffic()).await]
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub days: Vec<DailyFlow>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    Ok(Snapshot {
        days: client.daily_traffic().await?.items,
    })
}

pub fn families(snapshot: &Snapshot, _ctx: &RenderContext) -> Vec<DataFamily> {
    let mut daily = DataFamily::gauge(
        "traffic_daily",
        "Traffic used on the day, all sub-accounts together",
        Some(Unit::Bytes),
    );
    for day in &snapshot.days {
        let (Some(date), Some(flow)) = (day.day.as_deref().map(str::trim), day.flow) else {
            continue;
        };
        if date.is_empty() {
            continue;
        }
        let date = date.get(..10).unwrap_or(date).to_string();
        daily.push(vec![("date", date.into())], flow * KB);
    }
    vec![daily]
}
