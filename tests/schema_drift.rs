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
