//! The `static_ips` collector: `GET /api-gate-way/static-ip-region` for residential (isp 1) and
//! datacenter (isp 0), and every page of `GET /api-gate-way/ip/get-static-ip` →
//! `proxy911_static_ip_available` and `proxy911_static_ips`. The purchased-IP answer is
//! undocumented: what an item lacks is counted under `unknown`.

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use super::{product_type_or_unknown, CollectorId, RenderContext, UNKNOWN, flags, refresh, Call, Definition};
use crate::exposition::DataFamily;
use crate::upstream::api::IpType;
use crate::upstream::model::{StaticIp, StaticIpRegion};
use crate::upstream::{Client, Endpoint, UpstreamError};

pub const ID: CollectorId = CollectorId::StaticIps;

/// The static_ips collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("static_ips", "STATIC_IPS"),
    enabled_by_default: true,
    default_ttl: None,
    endpoints: &[Endpoint::StaticIpRegions, Endpoint::StaticIpList],
    min_requests: 3,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        let mut calls = Vec::new();
        for ip_type in IpType::ALL {
            let regions = client.static_ip_regions(ip_type);
            calls.push(Call::listed(Endpoint::StaticIpRegions, regions).await);
        }
        calls.push(Call::listed(Endpoint::StaticIpList, client.list_static_ips()).await);
        calls
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub regions: Vec<(IpType, Vec<StaticIpRegion>)>,
    pub ips: Vec<StaticIp>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    let (residential, datacenter, ips) = tokio::try_join!(
        client.static_ip_regions(IpType::Residential),
        client.static_ip_regions(IpType::Datacenter),
        client.list_static_ips(),
    )?;
    Ok(Snapshot {
        regions: vec![
            (IpType::Residential, residential.items),
            (IpType::Datacenter, datacenter.items),
        ],
        ips: ips.items,
    })
}

/// The `status` label of a purchased IP's status code.
pub(crate) fn status_label(status: Option<i64>) -> &'static str {
    match status {
        Some(1) => "valid",
        Some(2) => "invalid",
        Some(3) => "expiring",
        Some(4) => "maintenance",
        _ => UNKNOWN,
    }
}

pub fn families(snapshot: &Snapshot, _ctx: &RenderContext) -> Vec<DataFamily> {
    let mut available = DataFamily::gauge(
        "static_ip_available",
        "Static IPs on sale, by country or region and IP type",
        None,
    );
    for (ip_type, regions) in &snapshot.regions {
        for region in regions {
            let Some(number) = region.number else {
                continue;
            };
            let country = non_empty(region.code.as_ref());
            available.push(
                vec![
                    ("country", country.into()),
                    ("ip_type", ip_type.label().into()),
                ],
                number,
            );
        }
    }
    let mut counts: BTreeMap<(String, String, &'static str), u64> = BTreeMap::new();
    for ip in &snapshot.ips {
        let key = (
            non_empty(ip.country_code.as_ref()),
            product_type_or_unknown(ip.product_type),
            status_label(ip.status),
        );
        *counts.entry(key).or_default() += 1;
    }
    let mut purchased = DataFamily::gauge(
        "static_ips",
        "Purchased static IPs, by country, product type and status",
        None,
    );
    for ((country, product_type, status), n) in counts {
        purchased.push(
            vec![
                ("country", country.into()),
                ("product_type", product_type.into()),
                ("status", status.into()),
            ],
            n as f64,
        );
    }
    vec![available, purchased]
}

fn non_empty(value: Option<&String>) -> String {
    match value.map(|v| v.trim()) {
        Some(v) if !v.is_empty() => v.to_uppercase(),
        _ => UNKNOWN.to_string(),
    }
}
