//! The `orders` collector: every page of `GET /api-gate-way/order/list` (`page_no`/`page_size`,
//! a `pagination` object, the `code: 0` envelope) → `proxy911_orders` and `proxy911_orders_fee`
//! by product type and status, and `proxy911_order_oldest_pending_timestamp_seconds`.
//!
//! Once a product type has an order, each of the four statuses has a series (0 when no order is
//! in it), so an order that leaves `pending_payment` turns its count to 0 rather than making the
//! series vanish. An order listed twice (the list shifting between pages) counts once. A fee sum
//! adds the orders whose `pay_fee` could be read, like every count here leaves out what could
//! not be read: it is left out when no order of its group has a readable fee.

use std::collections::{BTreeMap, HashSet};

use futures::future::BoxFuture;
use prometheus_client::registry::Unit;

use super::{product_type_or_unknown, CollectorId, RenderContext, UNKNOWN, flags, refresh, Call, Definition};
use crate::exposition::DataFamily;
use crate::upstream::model::Order;
use crate::upstream::{Client, Endpoint, UpstreamError};

pub const ID: CollectorId = CollectorId::Orders;

/// An order's status: the `status` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum OrderStatus {
    PendingPayment,
    Paid,
    /// Unpaid, and canceled when its time to pay ran out.
    Canceled,
    Refunded,
    /// A status code the reference does not list, or none that could be read.
    Unknown,
}

impl OrderStatus {
    /// The statuses of the reference, each of which has a series per product type.
    pub(crate) const KNOWN: [OrderStatus; 4] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Canceled,
        OrderStatus::Refunded,
    ];

    pub fn from_code(code: Option<i64>) -> OrderStatus {
        match code {
            Some(0) => OrderStatus::PendingPayment,
            Some(1) => OrderStatus::Paid,
            Some(2) => OrderStatus::Canceled,
            Some(3) => OrderStatus::Refunded,
            _ => OrderStatus::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Unknown => UNKNOWN,
        }
    }
}

/// The orders collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("orders", "ORDERS"),
    enabled_by_default: true,
    default_ttl: None,
    endpoints: &[Endpoint::OrderList],
    min_requests: 1,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        vec![Call::listed(Endpoint::OrderList, client.list_orders()).await]
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub orders: Vec<Order>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    Ok(Snapshot {
        orders: client.list_orders().await?.items,
    })
}

/// The orders of one product type and status.
#[derive(Debug, Default)]
struct Group {
    count: u64,
    /// The sum of the fees that could be read; `None` while none could.
    fee: Option<f64>,
}

pub fn families(snapshot: &Snapshot, ctx: &RenderContext) -> Vec<DataFamily> {
    let mut groups: BTreeMap<(String, OrderStatus), Group> = BTreeMap::new();
    let mut oldest_pending: Option<f64> = None;
    let mut seen = HashSet::new();
    for order in &snapshot.orders {
        if order.id.is_some_and(|id| !seen.insert(id)) {
            continue;
        }
        let product_type = product_type_or_unknown(order.product_type);
        let status = OrderStatus::from_code(order.status);
        for known in OrderStatus::KNOWN {
            groups.entry((product_type.clone(), known)).or_default();
        }
        let group = groups.entry((product_type, status)).or_default();
        group.count += 1;
        if let Some(fee) = order.pay_fee {
            *group.fee.get_or_insert(0.0) += fee;
        }
        if status == OrderStatus::PendingPayment {
            if let Some(at) = order.created_at.and_then(|t| t.unix(&ctx.timezone)) {
                oldest_pending = Some(oldest_pending.map_or(at, |oldest| oldest.min(at)));
            }
        }
    }
    let mut count = DataFamily::gauge(
        "orders",
        "Orders by product type and status: pending_payment, paid, canceled (unpaid, timed out), refunded",
        None,
    );
    let mut fee = DataFamily::gauge(
        "orders_fee",
        "Sum of the orders' pay_fee by product type and status, in the account's currency",
        None,
    );
    for ((product_type, status), group) in groups {
        let labels = vec![
            ("product_type", product_type.into()),
            ("status", status.label().into()),
        ];
        if group.count == 0 {
            fee.push(labels.clone(), 0.0);
        } else if let Some(sum) = group.fee {
            fee.push(labels.clone(), sum);
        }
        count.push(labels, group.count as f64);
    }
    let mut oldest = DataFamily::gauge(
        "order_oldest_pending_timestamp",
        "Unix time the oldest order still pending payment was created; absent when none is",
        Some(Unit::Seconds),
    );
    if let Some(at) = oldest_pending {
        oldest.push(Vec::new(), at);
    }
    vec![count, fee, oldest]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::decode::ApiTime;
    use crate::upstream::ProductType;

    fn ctx() -> RenderContext {
        RenderContext {
            timezone: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
        }
    }

    fn order(id: i64, product_type: i64, status: i64, fee: Option<f64>, at: i64) -> Order {
        Order {
            id: Some(id),
            product_type: Some(ProductType::from_code(product_type)),
            status: Some(status),
            pay_fee: fee,
            created_at: Some(ApiTime::Unix(at)),
        }
    }

    fn text(families: Vec<DataFamily>) -> String {
        let rendered = crate::exposition::Rendered::new(families);
        rendered.plain(crate::exposition::Format::Text)
    }

    #[test]
    fn status_codes_map_to_their_labels_and_anything_else_is_unknown() {
        let labels: Vec<&str> = [Some(0), Some(1), Some(2), Some(3), Some(4), None]
            .into_iter()
            .map(|code| OrderStatus::from_code(code).label())
            .collect();

        assert_eq!(
            labels,
            [
                "pending_payment",
                "paid",
                "canceled",
                "refunded",
                "unknown",
                "unknown"
            ]
        );
    }

    #[test]
    fn the_oldest_pending_order_is_the_earliest_created_and_paid_ones_do_not_count() {
        let snapshot = Snapshot {
            orders: vec![
                order(1, 19, 0, Some(5.0), 2_000),
                order(2, 19, 0, Some(7.5), 1_500),
                order(3, 25, 1, Some(30.0), 1_000),
                order(2, 19, 0, Some(7.5), 1_500),
            ],
        };

        let text = text(families(&snapshot, &ctx()));

        assert!(text.contains("proxy911_order_oldest_pending_timestamp_seconds 1500.0\n"));
        assert!(text.contains(
            "proxy911_orders{product_type=\"static_ip_renewal\",status=\"pending_payment\"} 2.0\n"
        ));
        assert!(text.contains(
            "proxy911_orders_fee{product_type=\"static_ip_renewal\",status=\"pending_payment\"} 12.5\n"
        ));
        assert!(text.contains(
            "proxy911_orders{product_type=\"static_residential_ip\",status=\"pending_payment\"} 0.0\n"
        ));
    }

    #[test]
    fn without_pending_orders_there_is_no_oldest_pending_sample() {
        let snapshot = Snapshot {
            orders: vec![order(1, 3, 1, Some(50.0), 1_000)],
        };

        let text = text(families(&snapshot, &ctx()));

        assert!(!text.contains("proxy911_order_oldest_pending_timestamp_seconds "));
    }

    #[test]
    fn a_group_whose_fees_could_not_be_read_has_no_fee_sample_rather_than_zero() {
        let snapshot = Snapshot {
            orders: vec![
                order(1, 3, 3, None, 1_000),
                order(2, 3, 1, Some(20.0), 1_000),
            ],
        };

        let text = text(families(&snapshot, &ctx()));

        assert!(!text
            .contains("proxy911_orders_fee{product_type=\"balance_top_up\",status=\"refunded\"}"));
        assert!(text.contains(
            "proxy911_orders{product_type=\"balance_top_up\",status=\"refunded\"} 1.0\n"
        ));
        assert!(text.contains(
            "proxy911_orders_fee{product_type=\"balance_top_up\",status=\"paid\"} 20.0\n"
        ));
    }
}
