//! The simulated account's billing: its orders and its balance, moving with time. Every hour of
//! the world's run adds an order: a static-IP renewal paid from the balance, and every twelfth
//! hour a balance top-up instead, so the balance drifts down and recovers. An order left pending
//! payment is canceled once its day to pay has passed, as upstream does ("unpaid and canceled due
//! to timeout"). Order times are written as the reference writes them: RFC 3339.

use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};

/// Order status codes of the reference.
pub const PENDING_PAYMENT: i64 = 0;
pub const PAID: i64 = 1;
pub const CANCELED: i64 = 2;
pub const REFUNDED: i64 = 3;

/// How long an order may stay pending payment before upstream cancels it.
pub const TIME_TO_PAY: ChronoDuration = ChronoDuration::hours(24);

/// Product type codes the hourly orders use.
const STATIC_IP_RENEWAL: i64 = 19;
const BALANCE_TOP_UP: i64 = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct SimOrder {
    pub id: i64,
    pub trade_no: String,
    pub product_type: i64,
    pub product_id: i64,
    pub product_name: String,
    pub total_fee: f64,
    pub pay_fee: f64,
    pub status: i64,
    pub created_at: DateTime<Utc>,
}

impl SimOrder {
    /// `created_at` as the reference writes it (`2019-08-24T14:15:22Z`).
    pub fn created_at_text(&self) -> String {
        self.created_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

#[derive(Debug, Clone)]
pub struct Billing {
    /// Newest first, as the order list answers.
    pub orders: Vec<SimOrder>,
    /// In the account's currency.
    pub balance: f64,
    pub next_order_id: i64,
    /// Hours of the world's run whose order has been added.
    pub hours_billed: i64,
}

impl Billing {
    /// Adds a new order at the front of the list, with the next id and a trade number of its own.
    pub fn add_order(
        &mut self,
        product_type: i64,
        product_name: &str,
        fee: f64,
        status: i64,
        created_at: DateTime<Utc>,
    ) {
        self.next_order_id += 1;
        let id = self.next_order_id;
        self.orders.insert(
            0,
            SimOrder {
                id,
                trade_no: format!("{}{:06}", created_at.format("%Y%m%d%H%M%S"), id),
                product_type,
                product_id: 100 + product_type,
                product_name: product_name.to_string(),
                total_fee: fee,
                pay_fee: fee,
                status,
                created_at,
            },
        );
    }

    /// Brings the billing up to `now`: one order for every hour of the run since `started`, then
    /// the cancellation of orders pending for longer than [`TIME_TO_PAY`].
    pub fn advance(&mut self, started: DateTime<Utc>, now: DateTime<Utc>) {
        let hours = (now - started).num_hours();
        while self.hours_billed < hours {
            self.hours_billed += 1;
            let at = started + ChronoDuration::hours(self.hours_billed);
            if self.hours_billed % 12 == 0 {
                self.add_order(BALANCE_TOP_UP, "余额充值", 30.0, PAID, at);
                self.balance += 30.0;
            } else {
                self.add_order(STATIC_IP_RENEWAL, "静态IP续费", 2.5, PAID, at);
                self.balance = (self.balance - 2.5).max(0.0);
            }
        }
        for order in &mut self.orders {
            if order.status == PENDING_PAYMENT && now - order.created_at > TIME_TO_PAY {
                order.status = CANCELED;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn billing() -> Billing {
        Billing {
            orders: Vec::new(),
            balance: 50.0,
            next_order_id: 0,
            hours_billed: 0,
        }
    }

    #[test]
    fn every_hour_adds_a_renewal_paid_from_the_balance_and_every_twelfth_a_top_up() {
        let started = Utc::now();
        let mut billing = billing();

        billing.advance(started, started + ChronoDuration::minutes(12 * 60 + 5));

        assert_eq!(billing.orders.len(), 12);
        assert_eq!(billing.orders[0].product_type, BALANCE_TOP_UP);
        assert_eq!(billing.balance, 50.0 - 11.0 * 2.5 + 30.0);
        assert!(billing.orders.iter().all(|o| o.status == PAID));
    }

    #[test]
    fn an_order_pending_for_more_than_a_day_is_canceled() {
        let started = Utc::now();
        let mut billing = billing();
        billing.add_order(25, "住宅静态IP", 12.0, PENDING_PAYMENT, started);
        billing.add_order(25, "住宅静态IP", 12.0, PENDING_PAYMENT, started);
        billing.orders[1].created_at = started - ChronoDuration::hours(25);

        billing.advance(started, started);

        let statuses: Vec<i64> = billing.orders.iter().map(|o| o.status).collect();
        assert_eq!(statuses, [PENDING_PAYMENT, CANCELED]);
        assert_eq!(billing.orders[0].created_at_text().len(), 20);
    }
}
