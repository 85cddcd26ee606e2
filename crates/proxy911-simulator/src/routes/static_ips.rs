//! The static-IP endpoints: the IPs on sale per region (`static-ip-region`, one request per
//! `isp`) and the paginated list of purchased IPs (`ip/get-static-ip`): their request and answer
//! types, and one function per endpoint from its request and the world to its answer.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lists::{List, PageQuery, Pagination};
use super::request::{Param, Request};
use crate::state::{format_time, Refusal, SimRegion, SimStaticIp, World};

/// `static-ip-region`: `isp` 0 for datacenter IPs, anything else for residential ones.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegionsQuery {
    app_key: Param,
    isp: Param,
}

impl Request for RegionsQuery {
    fn app_key(&self) -> &Param {
        &self.app_key
    }

    fn variant(&self) -> String {
        format!("isp={}", self.isp.text())
    }
}

/// IPs on sale in one country.
#[derive(Debug, Serialize)]
pub struct RegionItem {
    code: String,
    number: i64,
}

impl From<&SimRegion> for RegionItem {
    fn from(r: &SimRegion) -> Self {
        RegionItem {
            code: r.code.clone(),
            number: r.number,
        }
    }
}

/// One page of purchased IPs, its pagination fields in an object of their own.
#[derive(Debug, Serialize)]
pub struct StaticIpPage {
    list: Vec<StaticIpItem>,
    pagination: Pagination,
}

#[derive(Debug, Serialize)]
pub struct StaticIpItem {
    id: i64,
    ip: String,
    port: u16,
    country_code: String,
    product_type: i64,
    status: i64,
    trade_no: String,
    expired_at: String,
}

impl StaticIpItem {
    /// The IP as the list shows it at `wall`: its status as the clock makes it.
    fn of(ip: &SimStaticIp, wall: DateTime<Utc>) -> Self {
        StaticIpItem {
            id: ip.id,
            ip: ip.ip.clone(),
            port: ip.port,
            country_code: ip.country_code.clone(),
            product_type: ip.product_type,
            status: ip.status_at(wall),
            trade_no: ip.trade_no.clone(),
            expired_at: format_time(ip.expired_at),
        }
    }
}

pub fn regions(
    r: RegionsQuery,
    world: &mut World,
    _: Instant,
) -> Result<List<RegionItem>, Refusal> {
    let regions = if r.isp.text() == "0" {
        &world.datacenter_regions
    } else {
        &world.residential_regions
    };
    Ok(regions.iter().map(RegionItem::from).collect())
}

pub fn list(r: PageQuery, world: &mut World, now: Instant) -> Result<StaticIpPage, Refusal> {
    let wall = world.now_utc(now);
    let (slice, size) = r.slice(&world.static_ips);
    let total = world.static_ips.len();
    Ok(StaticIpPage {
        list: slice.iter().map(|ip| StaticIpItem::of(ip, wall)).collect(),
        pagination: Pagination::new(total, r.page(), size),
    })
}
