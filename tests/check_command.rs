//! `proxy911-exporter check` against the real binary: a table by default, JSON with
//! `--output json`, exit 0 when every endpoint answered, 1 when one did not (an invalid app_key
//! says so), 2 for a configuration error; never a secret in its output.

mod common;

use std::process::{Command, Output};

use common::simulator;
use proxy911_simulator::{Failure, Fault};
use serde_json::Value;

/// An app_key the simulator does not accept.
const WRONG_KEY: &str = "Wr0ngKeyThatMustNeverBePrinted";

const BIN: &str = env!("CARGO_BIN_EXE_proxy911-exporter");

/// The endpoints `check` reports by default (the collectors on by default), one row each.
const ENDPOINTS: [&str; 7] = [
    "whitelist-account/list",
    "user-product/summary",
    "user-product/list",
    "static-ip-region",
    "ip/get-static-ip",
    "user-usage-flow/total",
    "order/list",
];

/// Runs `check` in a clean PROXY911_* environment with the app_key in the environment. Blocking
/// work runs off the runtime that serves the simulator.
async fn check(url: &str, app_key: &str, extra: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    command
        .arg("check")
        .args(["--api.url", url, "--api.rate-limit", "1000"])
        .args(extra)
        .env("PROXY911_APP_KEY", app_key);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("check --output json prints JSON")
}

fn row<'a>(report: &'a Value, endpoint: &str) -> &'a Value {
    report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no row for {endpoint}: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_clean_api_the_table_lists_every_endpoint_and_exits_0() {
    let (sim, url) = simulator(None).await;

    let output = check(&url, sim.app_key(), &[]).await;

    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    for endpoint in ENDPOINTS {
        let line = out
            .lines()
            .find(|l| l.starts_with(endpoint))
            .unwrap_or_else(|| panic!("no line for {endpoint}:\n{out}"));
        assert!(line.contains("yes"), "{line}");
    }
    assert!(out.contains("ok: all 7 endpoints answered"), "{out}");
    assert!(!out.contains("drift:"), "{out}");
    assert!(!out.contains(sim.app_key()), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_report_has_every_field_of_the_spec() {
    let (sim, url) = simulator(Some(30)).await;

    let output = check(&url, sim.app_key(), &["--output", "json"]).await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = json(&output);
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["endpoints"].as_array().unwrap().len(),
        ENDPOINTS.len()
    );
    for endpoint in ENDPOINTS {
        let row = row(&report, endpoint);
        for key in [
            "endpoint",
            "ok",
            "items",
            "skipped",
            "defaulted",
            "unknown_fields",
            "latency_seconds",
            "error",
        ] {
            assert!(row.get(key).is_some(), "{endpoint} lacks {key}: {row}");
        }
        assert_eq!(row["skipped"], 0);
        assert_eq!(row["defaulted"], serde_json::json!([]));
    }
    assert_eq!(row(&report, "whitelist-account/list")["items"], 30);
    assert_eq!(row(&report, "user-product/summary")["items"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_drift_is_reported_by_endpoint_field_and_name_without_values() {
    let (sim, url) = simulator(Some(12)).await;
    sim.set_fault(
        "*",
        Fault {
            schema_drift: true,
            ..Fault::default()
        },
    );

    let output = check(&url, sim.app_key(), &["--output", "json"]).await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = json(&output);
    let accounts = row(&report, "whitelist-account/list");
    assert_eq!(accounts["items"], 12, "every account is still read");
    assert_eq!(accounts["skipped"], 4);
    assert_eq!(accounts["defaulted"], serde_json::json!(["created_at"]));
    let unknown = accounts["unknown_fields"].as_array().unwrap();
    assert!(unknown.contains(&Value::from("x_obj")), "{accounts}");
    assert!(!unknown.contains(&Value::from("password")), "{accounts}");
    assert_eq!(
        row(&report, "user-product/list")["defaulted"],
        serde_json::json!(["trade_no"])
    );
    assert_eq!(
        row(&report, "ip/get-static-ip")["defaulted"],
        serde_json::json!(["expired_at"])
    );
    assert_eq!(
        row(&report, "order/list")["defaulted"],
        serde_json::json!(["created_at"])
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for secret in sim.passwords() {
        assert!(!stdout.contains(&secret), "a password reached the report");
    }

    let table = text(&check(&url, sim.app_key(), &[]).await);
    // The summary gains unknown fields only: no drift of its own.
    assert!(table.contains("drift: 6 endpoint(s)"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_app_key_exits_1_and_says_so_without_printing_the_key() {
    let (sim, url) = simulator(None).await;
    assert_ne!(sim.app_key(), WRONG_KEY);

    let output = check(&url, WRONG_KEY, &[]).await;

    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("invalid app_key"), "{out}");
    assert!(out.contains("FAILED: 7 of 7"), "{out}");
    assert!(!out.contains(WRONG_KEY), "the app_key reached the output");
    let report = json(&check(&url, WRONG_KEY, &["--output", "json"]).await);
    assert_eq!(report["ok"], false);
    assert!(report.to_string().contains("code 3"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_endpoint_fails_the_check_and_the_others_still_report() {
    let (sim, url) = simulator(None).await;
    sim.set_fault(
        "/api-gate-way/user-usage-flow/total",
        Fault {
            failure: Some(Failure::Code156),
            ..Fault::default()
        },
    );

    let output = check(&url, sim.app_key(), &["--output", "json"]).await;

    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(row(&report, "user-usage-flow/total")["ok"], false);
    assert!(row(&report, "user-usage-flow/total")["error"]
        .as_str()
        .unwrap()
        .contains("156"));
    assert_eq!(row(&report, "whitelist-account/list")["ok"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_error_exits_2_with_one_line() {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    let output = command.args(["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("PROXY911_APP_KEY"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let output = Command::new(BIN)
        .args(["check", "--output", "yaml"])
        .env("PROXY911_APP_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_flags_choose_the_endpoints_that_are_asked() {
    let (sim, url) = simulator(None).await;

    let output = check(
        &url,
        sim.app_key(),
        &[
            "--output",
            "json",
            "--collector.user",
            "--no-collector.orders",
        ],
    )
    .await;

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = json(&output);
    let asked: Vec<&str> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert!(asked.contains(&"user/info"), "{asked:?}");
    assert!(!asked.contains(&"order/list"), "{asked:?}");
    assert!(asked.contains(&"whitelist-account/list"), "{asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_slower_than_the_check_timeout_ends_the_check_with_the_rest_reported_failed() {
    let (sim, url) = simulator(None).await;
    // The static IP regions answer after an hour; the client's own timeout is longer still.
    sim.set_fault(
        "/api-gate-way/static-ip-region",
        Fault {
            latency: Some(std::time::Duration::from_secs(3600)),
            ..Fault::default()
        },
    );

    let output = check(
        &url,
        sim.app_key(),
        &[
            "--output",
            "json",
            "--check.timeout",
            "2s",
            "--api.timeout",
            "2h",
        ],
    )
    .await;

    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = json(&output);
    assert_eq!(
        row(&report, "whitelist-account/list")["ok"],
        true,
        "asked before the deadline"
    );
    for endpoint in ["static-ip-region", "user-usage-flow/total", "order/list"] {
        let row = row(&report, endpoint);
        assert_eq!(row["ok"], false, "{endpoint}");
        assert_eq!(
            row["error"], "not answered within --check.timeout",
            "{endpoint}"
        );
    }
    assert_eq!(
        sim.request_count(proxy911_simulator::Endpoint::OrderList),
        0,
        "nothing is asked after the deadline"
    );
}
