//! Drift end to end (issue 10's "done when"): against the simulator with its `schema-drift`
//! fault on every endpoint, `/metrics` still shows every account, package and purchased IP, no
//! made-up value, `proxy911_up 1`, and both drift counters above 0; against the clean
//! simulator both counters stay at 0.

mod common;

use common::{exporter_at, samples, scrape_text, simulator, sum, value};
use proxy911_simulator::Fault;

fn count(text: &str, name: &str) -> usize {
    samples(text).iter().filter(|s| s.name == name).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_schema_drift_every_item_is_shown_and_the_drift_is_counted() {
    let (sim, url) = simulator(Some(40)).await;
    sim.set_fault(
        "*",
        Fault {
            schema_drift: true,
            ..Fault::default()
        },
    );
    let (accounts, packages, ips) =
        sim.with_world(|w| (w.accounts.len(), w.packages.len(), w.static_ips.len()));
    let (addr, _) = exporter_at(&url, |_| {}).await;

    let text = scrape_text(addr).await;

    assert_eq!(value(&text, "proxy911_up", &[]), Some(1.0), "{text}");
    assert_eq!(count(&text, "proxy911_account_info"), accounts);
    assert_eq!(
        count(&text, "proxy911_account_traffic_used_bytes_total"),
        accounts
    );
    assert_eq!(
        count(&text, "proxy911_package_expiry_timestamp_seconds"),
        packages
    );
    assert_eq!(sum(&text, "proxy911_static_ips", &[]) as usize, ips);
    // `created_at` was broken on every account: its sample is left out, never 0.
    assert_eq!(
        count(&text, "proxy911_account_created_timestamp_seconds"),
        0
    );
    // `trade_no` was broken on every package: the label says so.
    assert!(samples(&text)
        .iter()
        .filter(|s| s.name == "proxy911_package_expiry_timestamp_seconds")
        .all(|s| s.labels.get("trade_no").map(String::as_str) == Some("unknown")));
    assert!(sum(&text, "proxy911_upstream_items_skipped_total", &[]) > 0.0);
    for (endpoint, field) in [
        ("whitelist-account/list", "created_at"),
        ("user-product/list", "trade_no"),
        ("ip/get-static-ip", "expired_at"),
    ] {
        let defaulted = value(
            &text,
            "proxy911_upstream_fields_defaulted_total",
            &[("endpoint", endpoint), ("field", field)],
        );
        assert!(
            defaulted.unwrap_or(0.0) > 0.0,
            "{endpoint} {field}: {defaulted:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_the_clean_simulator_both_drift_counters_stay_at_zero() {
    let (_sim, url) = simulator(Some(40)).await;
    let (addr, _) = exporter_at(&url, |_| {}).await;

    let text = scrape_text(addr).await;

    assert_eq!(value(&text, "proxy911_up", &[]), Some(1.0));
    assert!(
        count(&text, "proxy911_upstream_items_skipped_total") > 0,
        "pre-initialised"
    );
    assert!(
        count(&text, "proxy911_upstream_fields_defaulted_total") > 0,
        "pre-initialised"
    );
    assert_eq!(
        sum(&text, "proxy911_upstream_items_skipped_total", &[]),
        0.0
    );
    assert_eq!(
        sum(&text, "proxy911_upstream_fields_defaulted_total", &[]),
        0.0
    );
}

/// Scrapes the exporter on `port` until the simulator has received `n` account-list requests:
/// refreshes run one at a time, so by then the first `n - 1` have been decoded and logged.
/// Bounded (20 s), failing with a message.
async fn until_account_lists(sim: &proxy911_simulator::Simulator, port: u16, n: u64) {
    let lists = || sim.request_count(proxy911_simulator::Endpoint::AccountList);
    for _ in 0..200 {
        if lists() >= n {
            return;
        }
        let _ = common::http()
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the simulator saw {} account lists, not {n}", lists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_warns_once_when_drift_appears_and_logs_info_once_when_it_is_gone() {
    let (sim, url) = simulator(Some(10)).await;
    sim.set_fault(
        "*",
        Fault {
            schema_drift: true,
            ..Fault::default()
        },
    );
    let port = common::free_port();
    // A TTL of 0: every scrape refreshes, so several refreshes see the same drift.
    let exporter = common::spawn_exporter(port, &url, &["--cache.ttl", "0s"], &[]);

    until_account_lists(&sim, port, 4).await; // three refreshes with drift, decoded and logged
    sim.clear_faults();
    let cleared_at = sim.request_count(proxy911_simulator::Endpoint::AccountList);
    until_account_lists(&sim, port, cleared_at + 4).await; // three without
    let logs = common::stop_and_read_logs(exporter).await;

    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| {
            l.contains(r#"endpoint="whitelist-account/list""#) && l.contains("schema drift")
        })
        .collect();
    let warns: Vec<&&str> = lines.iter().filter(|l| l.contains(" WARN ")).collect();
    let infos: Vec<&&str> = lines.iter().filter(|l| l.contains(" INFO ")).collect();
    assert_eq!(
        warns.len(),
        1,
        "one WARN for three refreshes with the same drift:\n{logs}"
    );
    assert_eq!(
        infos.len(),
        1,
        "one INFO for three clean refreshes:\n{logs}"
    );
    assert_eq!(lines.len(), 2, "{logs}");
    assert!(lines[0].contains(" WARN "), "the WARN comes first:\n{logs}");
    let warn = warns[0];
    assert!(warn.contains("fields_defaulted="), "{warn}");
    assert!(
        warn.contains("created_at"),
        "names the broken field: {warn}"
    );
    assert!(
        warn.contains("proxy911-exporter check"),
        "says what to run: {warn}"
    );
    assert!(
        infos[0].contains("upstream schema drift gone"),
        "{}",
        infos[0]
    );
    assert!(!logs.contains(common::APP_KEY), "no secret in the log");
}
