//! The simulated clock through the router: moved forward with `POST /_simulator/clock` (or
//! [`Simulator::advance_clock`]), and everything that depends on time following it: usage, the
//! hourly orders and the balance, the traffic days, package and IP expiry, leaks. The clock is
//! frozen first ([`Simulator::freeze_clock`]), so each test sees exactly the time it moved.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::tests::call;
use crate::state::KB_PER_GB;
use crate::{Endpoint, Simulator, SimulatorOptions};

const KEY: &str = "k";

fn frozen_simulator() -> Simulator {
    let sim = Simulator::new(SimulatorOptions {
        app_key: KEY.into(),
        ..SimulatorOptions::default()
    });
    sim.freeze_clock();
    sim
}

async fn get(sim: &Simulator, endpoint: Endpoint, query: &str) -> Value {
    let uri = format!("{}?app_key={KEY}&{query}", endpoint.path());
    let (status, body) = call(sim, Method::GET, &uri, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{endpoint:?}");
    body["data"].clone()
}

async fn advance(sim: &Simulator, by: &str) {
    let (status, body) = call(
        sim,
        Method::POST,
        "/_simulator/clock",
        json!({ "advance": by }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The usage (KB) the account list shows for `username` of `product_type`.
async fn usage(sim: &Simulator, username: &str, product_type: i64) -> i64 {
    get(sim, Endpoint::AccountList, "").await["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == username && a["product_type"] == product_type)
        .unwrap_or_else(|| panic!("no account {username}"))["usage_flow"]
        .as_i64()
        .unwrap()
}

/// Every order, newest first.
async fn orders(sim: &Simulator) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let data = get(
            sim,
            Endpoint::OrderList,
            &format!("page_no={page}&page_size=50"),
        )
        .await;
        let list = data["list"].as_array().unwrap().clone();
        if list.is_empty() {
            break;
        }
        all.extend(list);
    }
    all
}

async fn balance(sim: &Simulator) -> f64 {
    get(sim, Endpoint::UserInfo, "").await["balance"]
        .as_f64()
        .unwrap()
}

/// KB a second as a test's arithmetic wants it: the account's pace in the world.
fn pace(sim: &Simulator, username: &str) -> f64 {
    sim.with_world(|w| {
        w.accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap()
            .usage_rate
    })
}

#[tokio::test]
async fn advancing_the_clock_two_hours_grows_an_enabled_accounts_usage_by_two_hours_at_its_rate_and_adds_two_hours_of_orders(
) {
    let sim = frozen_simulator();
    let alice_rate = pace(&sim, "alice");
    let alice = usage(&sim, "alice", 9).await;
    let paused = usage(&sim, "paused", 9).await;
    let before = orders(&sim).await;
    let balance_before = balance(&sim).await;

    advance(&sim, "2h").await;

    assert_eq!(
        usage(&sim, "alice", 9).await - alice,
        (alice_rate * 7200.0) as i64
    );
    assert_eq!(
        usage(&sim, "paused", 9).await,
        paused,
        "disabled: no growth"
    );
    let after = orders(&sim).await;
    assert_eq!(after.len(), before.len() + 2, "one order an hour");
    let new: Vec<&str> = after[..2]
        .iter()
        .map(|o| o["product_name"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["静态IP续费", "静态IP续费"]);
    assert_eq!(after[2..], before[..]);
    // Hour 1 and hour 2: two renewals of 2.5 paid from the balance.
    assert_eq!(balance(&sim).await, balance_before - 5.0);
}

#[tokio::test]
async fn a_leaks_pace_applies_from_the_simulated_moment_it_was_set() {
    let sim = frozen_simulator();
    let habit = pace(&sim, "marketing");
    let start = usage(&sim, "marketing", 9).await;

    advance(&sim, "1h").await;
    let (status, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": "marketing", "gb_per_hour": 36}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let at_leak = usage(&sim, "marketing", 9).await;
    advance(&sim, "1h").await;

    assert_eq!(at_leak - start, (habit * 3600.0) as i64, "the hour before");
    assert_eq!(
        usage(&sim, "marketing", 9).await - at_leak,
        (36.0 * KB_PER_GB) as i64,
        "the hour after: 36 GB"
    );
}

#[tokio::test]
async fn a_simulated_day_moves_the_traffic_days_on_and_counts_what_the_accounts_used() {
    let sim = frozen_simulator();
    let days = |data: &Value| -> Vec<(String, i64)> {
        data["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["day"].as_str().unwrap().to_string(),
                    d["flow"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let before = days(&get(&sim, Endpoint::TrafficDaily, "").await);
    let total_before: i64 = sim.with_world(|w| {
        let now = sim.now();
        w.accounts.iter().map(|a| a.usage_now(now)).sum::<f64>() as i64
    });

    advance(&sim, "24h").await;
    let after = days(&get(&sim, Endpoint::TrafficDaily, "").await);
    let total_after: i64 = sim.with_world(|w| {
        let now = sim.now();
        w.accounts.iter().map(|a| a.usage_now(now)).sum::<f64>() as i64
    });

    assert_eq!(after.len(), 7);
    assert_eq!(after[..5], before[1..6], "the older days shift by one");
    assert_ne!(after[6].0, before[6].0, "a new today");
    assert_eq!(after[5].0, before[6].0, "the old today is yesterday");
    // Yesterday's and today's traffic together are the old today's plus all the accounts used
    // in the day (to a KB or two of rounding).
    let used = total_after - total_before;
    let counted = after[5].1 + after[6].1 - before[6].1;
    assert!((counted - used).abs() <= 2, "{counted} vs {used}");
}

#[tokio::test]
async fn packages_and_static_ips_expire_as_the_simulated_days_pass() {
    let sim = frozen_simulator();
    let summary = get(&sim, Endpoint::PackageSummary, "product_type=9").await;
    let invalid = |list: &Value| {
        list["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|ip| ip["status"] == 2)
            .count()
    };
    let ips = get(&sim, Endpoint::StaticIpList, "size=50").await;

    let four_days = Duration::from_secs(4 * 86_400);
    let expiring_plans = sim.with_world(|w| {
        let (now, later) = (w.now_utc(sim.now()), w.now_utc(sim.now() + four_days));
        w.packages
            .iter()
            .filter(|p| p.product_type == 9 && p.expired_at > now && p.expired_at <= later)
            .count() as i64
    });
    assert!(expiring_plans >= 1, "the 20 GB plan expires in 3 days");

    sim.advance_clock(four_days);
    let later = get(&sim, Endpoint::PackageSummary, "product_type=9").await;
    let ips_later = get(&sim, Endpoint::StaticIpList, "size=50").await;

    let count = |summary: &Value, field: &str| summary[field].as_i64().unwrap();
    assert_eq!(
        count(&later, "expired_count"),
        count(&summary, "expired_count") + expiring_plans
    );
    assert_eq!(
        count(&later, "effective_count"),
        count(&summary, "effective_count") - expiring_plans
    );
    // The IPs expiring in 2 days are invalid now.
    let expiring = ips["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|ip| ip["status"] == 3)
        .count();
    assert!(expiring > 0);
    assert_eq!(invalid(&ips_later), invalid(&ips) + expiring);
}

#[tokio::test]
async fn a_key_added_after_the_clock_moved_starts_at_the_simulated_moment() {
    let sim = frozen_simulator();
    sim.advance_clock(Duration::from_secs(3 * 86_400));
    assert!(sim.add_app_key("late", None));

    let primary = sim.with_world(|w| w.now_utc(sim.now()));
    let late = sim.with_world_of("late", |w| w.now_utc(sim.now())).unwrap();
    let uri = format!("{}?app_key=late", Endpoint::OrderList.path());
    let (_, first) = call(&sim, Method::GET, &uri, Value::Null).await;
    let seeded = sim
        .with_world_of("late", |w| w.billing.hours_billed)
        .unwrap();

    assert!(
        (primary - late).num_seconds().abs() <= 1,
        "{primary} vs {late}"
    );
    assert_eq!(first["code"], 0);
    assert_eq!(seeded, 0, "no three days of orders at once");
}

#[tokio::test]
async fn the_clock_control_refuses_what_is_not_a_duration() {
    let sim = frozen_simulator();
    for body in [json!({"advance": "soon"}), json!({"by": "1h"}), json!("1h")] {
        let (status, _) = call(&sim, Method::POST, "/_simulator/clock", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, body) = call(
        &sim,
        Method::POST,
        "/_simulator/clock",
        json!({"advance": "2days"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["now"].as_str().unwrap().ends_with('Z'));
}
