//! `POST /admin/alertmanager` against the simulator: what each mode does with a firing
//! traffic-anomaly alert, and every safety rule (a shared username, a resolved alert, labels that
//! name no account exactly, the hourly limit, the token, a body that is not Alertmanager's);
//! each alert counted in `proxy911_admin_alert_actions_total{action}`. And no body at all makes
//! the route panic or act in `log` mode (a property test).
//!
//! The real Alertmanager delivering to the route is in `tests/e2e_alert_actions.rs`.

mod common;

use std::net::SocketAddr;

use common::{exporter_at, http, scrape_text, simulator, value, ADMIN_TOKEN};
use proptest::prelude::*;
use proxy911_exporter::config::{AdminConfig, AlertActionMode};
use proxy911_simulator::{Endpoint, Simulator};
use secrecy::SecretString;
use serde_json::{json, Value};

const ANOMALY: &str = "Proxy911AccountTrafficAnomaly";

/// An exporter with the admin API in `mode`, against a simulator of `accounts` (the default
/// set when `None`).
async fn exporter(mode: AlertActionMode, accounts: Option<u32>) -> (SocketAddr, Simulator) {
    let (sim, url) = simulator(accounts).await;
    let (addr, _) = exporter_at(&url, |c| {
        c.admin = Some(AdminConfig {
            alert_actions: mode,
            ..AdminConfig::new(SecretString::from(ADMIN_TOKEN))
        })
    })
    .await;
    (addr, sim)
}

/// The simulator's id of the account `username` of `product_type`.
fn id_of(sim: &Simulator, username: &str, product_type: i64) -> i64 {
    sim.with_world(|w| {
        w.accounts
            .iter()
            .find(|a| a.username == username && a.product_type == product_type)
            .map(|a| a.id)
            .unwrap()
    })
}

/// Whether each account of `username` is enabled, in the simulator.
fn enabled(sim: &Simulator, username: &str) -> Vec<bool> {
    sim.with_world(|w| {
        w.accounts
            .iter()
            .filter(|a| a.username == username)
            .map(|a| a.status == 1)
            .collect()
    })
}

fn alert(status: &str, alertname: &str, account: &str, account_id: i64) -> Value {
    json!({
        "status": status,
        "labels": {
            "alertname": alertname,
            "account": account,
            "account_id": account_id.to_string(),
            "product_type": "dynamic_residential_traffic",
            "severity": "critical",
            "instance": "exporter:9911",
            "job": "proxy911-exporter"
        },
        "annotations": {"summary": "possible leaked credentials"},
        "startsAt": "2026-12-04T11:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef"
    })
}

/// Alertmanager's notification holding `alerts`, with the fields it always sends.
fn notification(alerts: Vec<Value>) -> String {
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"Proxy911AccountTrafficAnomaly\"}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "proxy911-exporter-actions",
        "groupLabels": {"alertname": ANOMALY},
        "commonLabels": {"alertname": ANOMALY},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
    .to_string()
}

async fn post(addr: SocketAddr, body: &str, token: Option<&str>) -> (u16, Value) {
    post_bytes(addr, body.as_bytes().to_vec(), token).await
}

async fn post_bytes(addr: SocketAddr, body: Vec<u8>, token: Option<&str>) -> (u16, Value) {
    let mut request = http()
        .post(format!("http://{addr}/admin/alertmanager"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn actions_count(text: &str, action: &str) -> f64 {
    value(
        text,
        "proxy911_admin_alert_actions_total",
        &[("action", action)],
    )
    .unwrap_or_else(|| panic!("no proxy911_admin_alert_actions_total{{action={action:?}}}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_log_mode_a_firing_anomaly_alert_changes_nothing_and_is_counted_as_would_disable() {
    let (addr, sim) = exporter(AlertActionMode::Log, None).await;
    let alice = id_of(&sim, "alice", 9);

    let (status, answer) = post(
        addr,
        &notification(vec![alert("firing", ANOMALY, "alice", alice)]),
        Some(ADMIN_TOKEN),
    )
    .await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"actions": [{"account": "alice", "account_id": alice, "action": "would_disable", "reason": "log_mode"}]})
    );
    assert_eq!(enabled(&sim, "alice"), [true]);
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 0);
    let text = scrape_text(addr).await;
    assert_eq!(actions_count(&text, "would_disable"), 1.0);
    assert_eq!(actions_count(&text, "disabled"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_disable_mode_only_the_firing_alerts_single_account_is_disabled_and_the_next_scrape_shows_it(
) {
    let (addr, sim) = exporter(AlertActionMode::Disable, None).await;
    let before = scrape_text(addr).await;
    assert_eq!(
        value(&before, "proxy911_account_enabled", &[("account", "alice")]),
        Some(1.0)
    );
    let (alice, shared, marketing, nearlimit) = (
        id_of(&sim, "alice", 9),
        id_of(&sim, "shared", 9),
        id_of(&sim, "marketing", 9),
        id_of(&sim, "nearlimit", 9),
    );

    let (status, answer) = post(
        addr,
        &notification(vec![
            alert("firing", ANOMALY, "alice", alice),
            alert("firing", ANOMALY, "shared", shared),
            alert("resolved", ANOMALY, "marketing", marketing),
            alert(
                "firing",
                "Proxy911AccountTrafficNearLimit",
                "nearlimit",
                nearlimit,
            ),
        ]),
        Some(ADMIN_TOKEN),
    )
    .await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"actions": [
            {"account": "alice", "account_id": alice, "action": "disabled", "reason": "firing_anomaly"},
            {"account": "shared", "account_id": shared, "action": "skipped", "reason": "shared_username"},
            {"account": "marketing", "account_id": marketing, "action": "skipped", "reason": "resolved"}
        ]})
    );
    assert_eq!(enabled(&sim, "alice"), [false]);
    assert_eq!(enabled(&sim, "shared"), [true, true]);
    assert_eq!(enabled(&sim, "marketing"), [true]);
    assert_eq!(enabled(&sim, "nearlimit"), [true]);
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 1);
    let after = scrape_text(addr).await;
    assert_eq!(
        value(&after, "proxy911_account_enabled", &[("account", "alice")]),
        Some(0.0)
    );
    assert_eq!(actions_count(&after, "disabled"), 1.0);
    assert_eq!(actions_count(&after, "skipped_shared_username"), 1.0);
    assert_eq!(actions_count(&after, "skipped_resolved"), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_that_name_no_single_account_exactly_are_skipped_and_nothing_is_disabled() {
    let (addr, sim) = exporter(AlertActionMode::Disable, None).await;
    let (alice, paused) = (id_of(&sim, "alice", 9), id_of(&sim, "paused", 9));

    let (status, answer) = post(
        addr,
        &notification(vec![
            alert("firing", ANOMALY, "nobody", 4242),
            alert("firing", ANOMALY, "alice", alice + 1000),
            alert("firing", ANOMALY, "paused", paused),
            alert("firing", ANOMALY, "bad name\n", alice),
        ]),
        Some(ADMIN_TOKEN),
    )
    .await;

    assert_eq!(status, 200, "{answer}");
    let reasons: Vec<&str> = answer["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "not_found",
            "account_id_mismatch",
            "already_disabled",
            "invalid_labels"
        ]
    );
    assert_eq!(answer["actions"][3]["account"], Value::Null);
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 0);
    assert_eq!(enabled(&sim, "alice"), [true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_than_ten_accounts_are_disabled_in_an_hour_whatever_arrives() {
    let (addr, sim) = exporter(AlertActionMode::Disable, Some(60)).await;
    // Twelve enabled accounts, each the only one of its username.
    let targets: Vec<(String, i64)> = sim.with_world(|w| {
        w.accounts
            .iter()
            .filter(|a| a.status == 1)
            .filter(|a| {
                w.accounts
                    .iter()
                    .filter(|b| b.username == a.username)
                    .count()
                    == 1
            })
            .take(12)
            .map(|a| (a.username.clone(), a.id))
            .collect()
    });
    assert_eq!(targets.len(), 12);
    let alerts: Vec<Value> = targets
        .iter()
        .map(|(name, id)| alert("firing", ANOMALY, name, *id))
        .collect();

    // Two notifications: the limit is per hour, not per notification.
    let (_, first) = post(addr, &notification(alerts[..7].to_vec()), Some(ADMIN_TOKEN)).await;
    let (status, second) = post(addr, &notification(alerts[7..].to_vec()), Some(ADMIN_TOKEN)).await;

    assert_eq!(status, 200, "{second}");
    let actions: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|answer| answer["actions"].as_array().unwrap())
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "disabled").count(), 10);
    assert_eq!(second["actions"][3]["reason"], "rate_limited");
    assert_eq!(second["actions"][4]["reason"], "rate_limited");
    let still_enabled = targets
        .iter()
        .filter(|(name, _)| enabled(&sim, name) == [true])
        .count();
    assert_eq!(still_enabled, 2);
    let text = scrape_text(addr).await;
    assert_eq!(actions_count(&text, "skipped_rate_limited"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_alertmanagers_webhook_is_400_and_asks_nothing_upstream() {
    let (addr, sim) = exporter(AlertActionMode::Disable, None).await;
    let alice = id_of(&sim, "alice", 9);
    let good = notification(vec![alert("firing", ANOMALY, "alice", alice)]);
    let bodies = [
        String::new(),
        "not json".to_string(),
        "[]".to_string(),
        good.replace(r#""version":"4""#, r#""version":"3""#),
        good.replace(r#""alerts":["#, r#""alertz":["#),
        good.replace(r#""labels":{"#, r#""labels":{"count":1,"#),
        good.replacen(r#""status":"firing""#, r#""status":"burning""#, 1),
    ];
    let lists_before = sim.request_count(Endpoint::AccountList);

    for body in &bodies {
        let (status, answer) = post(addr, body, Some(ADMIN_TOKEN)).await;

        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_argument", "{body}");
    }
    assert_eq!(sim.request_count(Endpoint::AccountList), lists_before);
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 0);
    assert_eq!(enabled(&sim, "alice"), [true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_admin_token_the_route_is_401_and_acts_on_nothing() {
    let (addr, sim) = exporter(AlertActionMode::Disable, None).await;
    let body = notification(vec![alert(
        "firing",
        ANOMALY,
        "alice",
        id_of(&sim, "alice", 9),
    )]);

    let (missing, _) = post(addr, &body, None).await;
    let (wrong, _) = post(addr, &body, Some("NotTheToken")).await;

    assert_eq!((missing, wrong), (401, 401));
    assert_eq!(enabled(&sim, "alice"), [true]);
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 0);
}

/// Any text, any JSON value where a label, a status or the version goes, and Alertmanager's own
/// notification cut short or with a byte changed.
fn bodies(alice: i64) -> impl Strategy<Value = Vec<u8>> {
    let good = notification(vec![alert("firing", ANOMALY, "alice", alice)]).into_bytes();
    let text = proptest::collection::vec(any::<u8>(), 0..256);
    let label = prop_oneof![
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!({"nested": [1, "two"]})),
        Just(Value::String("alice".into())),
        Just(Value::String(ANOMALY.into())),
    ];
    let status = prop_oneof![
        Just(json!("firing")),
        Just(json!("resolved")),
        any::<String>().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ];
    let webhook = (
        status.clone(),
        proptest::collection::vec((status, label.clone(), label.clone(), label), 0..4),
        prop_oneof![
            Just(json!("4")),
            Just(json!(4)),
            any::<String>().prop_map(Value::String)
        ],
    )
        .prop_map(|(status, alerts, version)| {
            let alerts: Vec<Value> = alerts
                .into_iter()
                .map(|(status, alertname, account, account_id)| {
                    json!({"status": status, "labels": {
                        "alertname": alertname, "account": account, "account_id": account_id}})
                })
                .collect();
            json!({"version": version, "status": status, "alerts": alerts})
                .to_string()
                .into_bytes()
        });
    let cut = (0..good.len()).prop_map({
        let good = good.clone();
        move |at| good[..at].to_vec()
    });
    let flipped = (0..good.len(), any::<u8>()).prop_map(move |(at, byte)| {
        let mut body = good.clone();
        body[at] = byte;
        body
    });
    prop_oneof![text, webhook, cut, flipped]
}

#[test]
fn no_body_makes_the_route_fail_to_answer_and_in_log_mode_none_disables_anything() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (addr, sim) = runtime.block_on(exporter(AlertActionMode::Log, None));
    let alice = id_of(&sim, "alice", 9);
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });

    runner
        .run(&bodies(alice), |body| {
            let (status, answer) = runtime.block_on(post_bytes(addr, body, Some(ADMIN_TOKEN)));
            prop_assert!(status == 200 || status == 400, "{status}: {answer}");
            if status == 400 {
                prop_assert_eq!(&answer["error"]["code"], "invalid_argument");
            }
            Ok(())
        })
        .unwrap();

    assert_eq!(sim.request_count(Endpoint::AccountDisable), 0);
    assert_eq!(enabled(&sim, "alice"), [true]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_names_its_simulators_controls_so_a_leak_can_be_started() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"))
        .args(["--demo", "--web.listen-address", "127.0.0.1:0"])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();

    let controls = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("demo: simulator controls on ") {
                return url.to_string();
            }
        }
        panic!("the demo ended without naming its simulator's controls");
    })
    .await
    .expect("the demo names its simulator's controls");
    let leak = http()
        .post(format!("{controls}leak"))
        .json(&json!({"username": "alice", "gb_per_hour": 40}))
        .send()
        .await
        .unwrap();

    assert!(controls.starts_with("http://127.0.0.1:"), "{controls}");
    assert_eq!(leak.status().as_u16(), 204);
}
