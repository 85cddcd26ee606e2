//! The order list (`order/list`): paginated by `page_no` and `page_size`, unlike the older lists
//! (`page`/`size`, which it ignores, as a server that does not know them would), with its
//! pagination in an object; newest order first. The world's billing is brought up to date first,
//! so orders appear and pending ones lapse as time goes on.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::lists::{Pagination, MAX_PAGE_SIZE};
use super::request::{Param, Request};
use crate::billing::SimOrder;
use crate::state::{Refusal, World};

const DEFAULT_PAGE_SIZE: usize = 20;

/// `order/list`: `page_no` (1-based, default 1) and `page_size` (default 20, at most 50).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrderPageQuery {
    app_key: Param,
    page_no: Param,
    page_size: Param,
}

impl OrderPageQuery {
    fn page_no(&self) -> u32 {
        self.page_no
            .integer()
            .unwrap_or(1)
            .clamp(1, i64::from(u32::MAX)) as u32
    }

    fn page_size(&self) -> usize {
        self.page_size
            .integer()
            .filter(|s| *s > 0)
            .map(|s| (s as usize).min(MAX_PAGE_SIZE))
            .unwrap_or(DEFAULT_PAGE_SIZE)
    }
}

impl Request for OrderPageQuery {
    fn app_key(&self) -> &Param {
        &self.app_key
    }

    fn variant(&self) -> String {
        format!("page_no={}", self.page_no())
    }
}

/// One page of orders, its pagination in an object of its own.
#[derive(Debug, Serialize)]
pub struct OrderPage {
    list: Vec<OrderItem>,
    pagination: Pagination,
}

/// One order, as the reference's example has it, and its product type (which the list filters
/// by).
#[derive(Debug, Serialize)]
pub struct OrderItem {
    id: i64,
    trade_no: String,
    product_id: i64,
    product_name: String,
    product_type: i64,
    total_fee: f64,
    pay_fee: f64,
    status: i64,
    created_at: String,
}

impl From<&SimOrder> for OrderItem {
    fn from(o: &SimOrder) -> Self {
        OrderItem {
            id: o.id,
            trade_no: o.trade_no.clone(),
            product_id: o.product_id,
            product_name: o.product_name.clone(),
            product_type: o.product_type,
            total_fee: o.total_fee,
            pay_fee: o.pay_fee,
            status: o.status,
            created_at: o.created_at_text(),
        }
    }
}

pub fn list(r: OrderPageQuery, world: &mut World, now: Instant) -> Result<OrderPage, Refusal> {
    let wall = world.now_utc(now);
    world.billing.advance(world.started_at, wall);
    let orders = &world.billing.orders;
    let size = r.page_size();
    let start = (r.page_no() as usize - 1)
        .saturating_mul(size)
        .min(orders.len());
    let end = start.saturating_add(size).min(orders.len());
    Ok(OrderPage {
        list: orders[start..end].iter().map(OrderItem::from).collect(),
        pagination: Pagination::new(orders.len(), r.page_no(), size),
    })
}
