//! The package endpoints: the summary of one product type (`user-product/summary`) and the
//! paginated package list (`user-product/list`): their request and answer types, and one
//! function per endpoint from its request and the world to its answer.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::lists::PageQuery;
use super::request::{Param, Request};
use crate::state::{format_time, Refusal, SimPackage, Summary, World, BAD_PARAMETER};

/// The product types that have a package summary: traffic plans (9) and long-term IDC (12).
const SUMMARISED: [i64; 2] = [9, 12];

/// `user-product/summary`: one `product_type`, asked once per type.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SummaryQuery {
    app_key: Param,
    product_type: Param,
}

impl Request for SummaryQuery {
    fn app_key(&self) -> &Param {
        &self.app_key
    }

    fn variant(&self) -> String {
        format!("product_type={}", self.product_type.text())
    }
}

/// The summary of one product type's packages, KB rounded, with counts.
#[derive(Debug, Serialize)]
pub struct SummaryAnswer {
    total: i64,
    total_count: u64,
    effective: i64,
    effective_count: u64,
    effective_total: i64,
    effective_used: i64,
    temporary: i64,
    temporary_count: u64,
    expired: i64,
    expired_count: u64,
    used: i64,
}

impl From<Summary> for SummaryAnswer {
    fn from(s: Summary) -> Self {
        let kb = |v: f64| v.round() as i64;
        SummaryAnswer {
            total: kb(s.total),
            total_count: s.total_count,
            effective: kb(s.effective),
            effective_count: s.effective_count,
            effective_total: kb(s.effective_total),
            effective_used: kb(s.effective_used),
            temporary: kb(s.temporary),
            temporary_count: s.temporary_count,
            expired: kb(s.expired),
            expired_count: s.expired_count,
            used: kb(s.used),
        }
    }
}

/// One page of packages, with its pagination fields beside the list.
#[derive(Debug, Serialize)]
pub struct PackagePage {
    list: Vec<PackageItem>,
    page: u32,
    page_size: usize,
    total_count: usize,
    total_page: usize,
}

#[derive(Debug, Serialize)]
pub struct PackageItem {
    id: i64,
    created_at: String,
    expired_at: String,
    product_type: i64,
    trade_no: String,
    order: Order,
}

/// The order a package was bought with.
#[derive(Debug, Serialize)]
pub struct Order {
    created_at: String,
    pay_at: String,
    title: String,
}

impl From<&SimPackage> for PackageItem {
    fn from(p: &SimPackage) -> Self {
        PackageItem {
            id: p.id,
            created_at: format_time(p.created_at),
            expired_at: format_time(p.expired_at),
            product_type: p.product_type,
            trade_no: p.trade_no.clone(),
            order: Order {
                created_at: format_time(p.created_at),
                pay_at: format_time(p.created_at),
                title: p.title.clone(),
            },
        }
    }
}

pub fn summary(r: SummaryQuery, world: &mut World, now: Instant) -> Result<SummaryAnswer, Refusal> {
    match r.product_type.integer() {
        Some(product_type) if SUMMARISED.contains(&product_type) => {
            Ok(SummaryAnswer::from(world.summary(product_type, now)))
        }
        _ => Err(BAD_PARAMETER),
    }
}

pub fn list(r: PageQuery, world: &mut World, _: Instant) -> Result<PackagePage, Refusal> {
    let (slice, size) = r.slice(&world.packages);
    let total = world.packages.len();
    Ok(PackagePage {
        list: slice.iter().map(PackageItem::from).collect(),
        page: r.page(),
        page_size: size,
        total_count: total,
        total_page: total.div_ceil(size),
    })
}
