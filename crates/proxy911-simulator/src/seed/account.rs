//! The account's own data in the starting world: its orders (some paid long ago, one refunded,
//! some canceled, a renewal left pending payment for hours and an order just placed) and the
//! coverage of the dynamic pool (a city name in two states, to count them apart).

use chrono::Duration as ChronoDuration;

use super::Rng;
use crate::billing::{CANCELED, PAID, PENDING_PAYMENT, REFUNDED};
use crate::state::{SimCountry, World};

pub(super) fn seed_orders(world: &mut World, rng: &mut Rng, accounts: usize) {
    // (product type, name, fee, status, hours ago), oldest first: the list shows newest first.
    let fixed: [(i64, &str, f64, i64, i64); 14] = [
        (9, "动态流量 100GB", 180.0, PAID, 24 * 85),
        (3, "余额充值", 100.0, PAID, 24 * 80),
        (14, "数据中心静态IP", 45.0, PAID, 24 * 60),
        (25, "住宅静态IP", 60.0, PAID, 24 * 45),
        (12, "长效IDC 500GB", 250.0, PAID, 24 * 30),
        (11, "动态住宅IP", 35.0, REFUNDED, 24 * 28),
        (9, "动态流量 20GB", 40.0, CANCELED, 24 * 20),
        (19, "静态IP续费", 25.0, PAID, 24 * 14),
        (16, "静态流量包", 30.0, PAID, 24 * 10),
        (17, "动态IP数量包", 15.0, PAID, 24 * 7),
        (3, "余额充值", 50.0, PAID, 24 * 3),
        (18, "web-scraper", 9.9, CANCELED, 30),
        // A renewal left unpaid for hours: static IPs lapse if nobody pays it.
        (19, "静态IP续费", 12.5, PENDING_PAYMENT, 3),
        (25, "住宅静态IP", 60.0, PENDING_PAYMENT, 0),
    ];
    let start = world.started_at;
    for (product_type, name, fee, status, hours) in fixed {
        let at = start - ChronoDuration::hours(hours) - ChronoDuration::minutes(20);
        world.billing.add_order(product_type, name, fee, status, at);
    }
    const TYPES: [i64; 6] = [9, 11, 14, 19, 21, 25];
    for i in 0..accounts / 10 {
        let hours = 24 * 90 + rng.below(24 * 60) as i64;
        let status = if rng.below(8) == 0 { CANCELED } else { PAID };
        let fee = (1 + rng.below(200)) as f64 / 2.0;
        let at = start - ChronoDuration::hours(hours);
        world
            .billing
            .add_order(TYPES[i % TYPES.len()], "批量订单", fee, status, at);
    }
    // Older orders were added last: keep the list newest first.
    world
        .billing
        .orders
        .sort_by_key(|order| std::cmp::Reverse(order.created_at));
}

/// The dynamic pool's countries, each state with its cities (one city name in two states).
pub(super) fn coverage() -> Vec<SimCountry> {
    let country =
        |code: &str, en: &str, zh: &str, continent: &str, states: &[(&str, &[&str])]| SimCountry {
            code: code.into(),
            name_en: en.into(),
            name_zh_cn: zh.into(),
            continent_code: continent.into(),
            states: states
                .iter()
                .map(|(state, cities)| {
                    (
                        state.to_string(),
                        cities.iter().map(|c| c.to_string()).collect(),
                    )
                })
                .collect(),
        };
    vec![
        country(
            "US",
            "United States",
            "美国",
            "NA",
            &[
                ("California", &["Los Angeles", "San Francisco", "San Diego"]),
                ("New York", &["New York", "Buffalo"]),
                ("Texas", &["Houston", "Dallas", "Austin"]),
                ("Illinois", &["Chicago", "Springfield"]),
                ("Massachusetts", &["Boston", "Springfield"]),
            ],
        ),
        country(
            "GB",
            "United Kingdom",
            "英国",
            "EU",
            &[
                ("England", &["London", "Manchester"]),
                ("Scotland", &["Edinburgh"]),
            ],
        ),
        country(
            "DE",
            "Germany",
            "德国",
            "EU",
            &[
                ("Bavaria", &["Munich"]),
                ("Berlin", &["Berlin"]),
                ("Hesse", &["Frankfurt"]),
            ],
        ),
        country(
            "JP",
            "Japan",
            "日本",
            "AS",
            &[("Tokyo", &["Tokyo"]), ("Osaka", &["Osaka"])],
        ),
        country(
            "BR",
            "Brazil",
            "巴西",
            "SA",
            &[("São Paulo", &["São Paulo", "Campinas"])],
        ),
    ]
}
