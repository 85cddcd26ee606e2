//! The `traffic` collector: `GET /api-gate-way/user-usage-flow/total` (the upstream's default
//! window, the last 7 days) → `proxy911_traffic_daily_bytes{date}`.

use prometheus_client::registry::Unit;

use super::{RenderContext, KB};
use crate::exposition::Family;
use crate::upstream::model::DailyFlow;
use crate::upstream::{Client, UpstreamError};

pub const NAME: &str = "traffic";

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub days: Vec<DailyFlow>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    Ok(Snapshot {
        days: client.daily_traffic().await?.items,
    })
}

pub fn families(snapshot: &Snapshot, _ctx: &RenderContext) -> Vec<Family> {
    let mut daily = Family::gauge(
        "traffic_daily",
        "Traffic used on the day, all sub-accounts together",
        Some(Unit::Bytes),
    );
    for day in snapshot.days.iter().filter(|d| !d.day.trim().is_empty()) {
        let date = day
            .day
            .trim()
            .get(..10)
            .unwrap_or(day.day.trim())
            .to_string();
        daily.push(vec![("date", date.into())], day.flow.max(0.0) * KB);
    }
    vec![daily]
}
