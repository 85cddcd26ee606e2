//! Collectors turned on and off: the flags and their environment, the demo's every
//! collector, a disabled collector that asks nothing upstream and has no series at all (self
//! metrics included), `proxy911_up` over the enabled ones only; the new collectors' data through
//! the whole exporter; and the user's e-mail and phone, which appear in no metric, label, log
//! line or `check` report.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Parser;
use common::{simulator, spawn_exporter};
use proxy911_exporter::check;
use proxy911_exporter::collector::{CollectorId, Selection};
use proxy911_exporter::config::{Cli, Config};
use proxy911_simulator::{Endpoint, Fault};

/// The exporter's configuration from a command line, with an app_key in the environment.
fn config(argv: &[&str]) -> Config {
    let cli = Cli::try_parse_from(std::iter::once("proxy911-exporter").chain(argv.iter().copied()))
        .expect("the flags parse");
    Config::from_args(cli.exporter, |name| {
        (name == "PROXY911_APP_KEY").then(|| common::APP_KEY.to_string())
    })
    .expect("a valid configuration")
}

/// Scrapes the exporter at `addr` until every enabled collector has refreshed once.
async fn settled_scrape(addr: std::net::SocketAddr, collectors: usize) -> String {
    for _ in 0..100 {
        let text = common::scrape_text(addr).await;
        if common::matching(
            &text,
            "proxy911_collector_last_success_timestamp_seconds",
            &[],
        )
        .len()
            >= collectors
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the collectors never all refreshed");
}

#[test]
fn the_demo_turns_every_collector_on_and_a_no_flag_still_turns_one_off() {
    assert_eq!(config(&["--demo"]).collectors, Selection::all());
    assert_eq!(config(&[]).collectors, Selection::default());

    let demo = config(&["--demo", "--no-collector.user"]).collectors;

    assert!(!demo.contains(CollectorId::User));
    assert!(demo.contains(CollectorId::Regions));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_collector_asks_nothing_upstream_and_has_no_series_not_even_self_metrics() {
    let (sim, url) = simulator(None).await;
    // Failing, were it asked: `proxy911_up` must not see it.
    sim.set_fault(Endpoint::UserInfo.path(), Fault::parse("code156").unwrap());
    let (addr, _) = common::exporter_at(&url, |_| {}).await;

    let text = settled_scrape(addr, 5).await;

    assert_eq!(sim.request_count(Endpoint::UserInfo), 0);
    assert_eq!(sim.request_count(Endpoint::DynamicStates), 0);
    assert_eq!(sim.request_count(Endpoint::DynamicCities), 0);
    for absent in [
        "collector=\"user\"",
        "collector=\"regions\"",
        "endpoint=\"user/info\"",
        "endpoint=\"ip/dynamic-states\"",
        "endpoint=\"ip/dynamic-citys\"",
        "proxy911_balance",
        "proxy911_dynamic_locations{",
    ] {
        assert!(!text.contains(absent), "{absent} in:\n{text}");
    }
    assert_eq!(common::value(&text, "proxy911_up", &[]), Some(1.0));
    assert!(
        text.contains("endpoint=\"order/list\""),
        "orders is on by default"
    );
    assert!(
        common::value(
            &text,
            "proxy911_orders",
            &[
                ("status", "pending_payment"),
                ("product_type", "static_ip_renewal")
            ]
        ) >= Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_collector_turned_on_shows_its_data_and_up_counts_the_failing_user_collector() {
    let (sim, url) = simulator(None).await;
    let (addr, _) = common::exporter_at(&url, |c| {
        c.collectors = Selection::all();
        c.cache.ttl = Duration::from_millis(200);
    })
    .await;

    let text = settled_scrape(addr, 7).await;

    assert_eq!(common::value(&text, "proxy911_up", &[]), Some(1.0));
    assert!(common::value(&text, "proxy911_balance", &[]).is_some_and(|b| b > 10.0));
    assert_eq!(
        common::value(&text, "proxy911_user_real_name_verified", &[]),
        Some(1.0)
    );
    let us_cities = common::value(
        &text,
        "proxy911_dynamic_locations",
        &[("country", "US"), ("level", "city")],
    );
    assert_eq!(us_cities, Some(12.0), "Springfield twice, in two states");
    assert!(common::value(
        &text,
        "proxy911_order_oldest_pending_timestamp_seconds",
        &[]
    )
    .is_some());

    sim.set_fault(Endpoint::UserInfo.path(), Fault::parse("code156").unwrap());
    let mut failed = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        failed = common::scrape_text(addr).await;
        if common::value(&failed, "proxy911_up", &[]) == Some(0.0) {
            break;
        }
    }
    assert_eq!(common::value(&failed, "proxy911_up", &[]), Some(0.0));
    assert_eq!(
        common::value(
            &failed,
            "proxy911_collector_success",
            &[("collector", "user")]
        ),
        Some(0.0)
    );
    assert_eq!(
        common::value(
            &failed,
            "proxy911_collector_success",
            &[("collector", "orders")]
        ),
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_turns_collectors_on_and_off_and_the_email_and_phone_never_show() {
    let (sim, url) = simulator(None).await;
    // Drift bends the answer that holds the personal data: extra fields of every type beside it.
    sim.set_fault(
        Endpoint::UserInfo.path(),
        Fault::parse("schema-drift").unwrap(),
    );
    let port = common::free_port();
    let mut child = spawn_exporter(
        port,
        &url,
        &["--log.level", "debug", "--cache.ttl", "100ms"],
        &[
            ("PROXY911_COLLECTOR_USER", "true"),
            ("PROXY911_COLLECTOR_ORDERS", "false"),
        ],
    );
    let logs = common::LogTail::of(&mut child);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut text = String::new();
    for _ in 0..100 {
        if let Ok(response) = common::http()
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
        {
            text = response.text().await.unwrap();
            if text.contains("collector=\"user\"") && text.contains("proxy911_balance ") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A failure, too, is logged: with its cause, and still without personal data.
    sim.set_fault(Endpoint::UserInfo.path(), Fault::parse("code156").unwrap());
    // Each scrape past the 100 ms TTL refreshes behind it: scrape until the failure is logged.
    let failed = |logs: &str| {
        logs.lines().any(|l| {
            l.contains("upstream refresh failed") && l.contains("user") && l.contains("code 156")
        })
    };
    for _ in 0..200 {
        if failed(&logs.text()) {
            break;
        }
        text += &common::scrape_text(addr).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = logs.stop(child).await;

    assert!(text.contains("proxy911_balance "), "{text}");
    assert!(
        !text.contains("proxy911_orders"),
        "orders turned off:\n{text}"
    );
    assert_eq!(sim.request_count(Endpoint::OrderList), 0);
    assert!(
        failed(&logs),
        "the user collector's failure is logged with its cause:\n{logs}"
    );
    for personal in sim.personal_data() {
        assert!(!text.contains(&personal), "a metric holds {personal:?}");
        assert!(!logs.contains(&personal), "a log line holds {personal:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_the_new_endpoints_of_enabled_collectors_without_personal_data() {
    let (sim, url) = simulator(None).await;
    sim.set_fault("*", Fault::parse("schema-drift").unwrap());
    let (client, _) = common::client(&url);

    let report = check::run_for(
        &client,
        &Selection::all(),
        tokio::time::Instant::now() + check::DEFAULT_TIMEOUT,
        None,
    )
    .await;
    let defaults = check::run(&client).await;

    let endpoints: Vec<&str> = report.endpoints.iter().map(|e| e.endpoint).collect();
    for endpoint in [
        "order/list",
        "user/info",
        "ip/dynamic-states",
        "ip/dynamic-citys",
    ] {
        assert!(endpoints.contains(&endpoint), "{endpoint}: {endpoints:?}");
    }
    let default_endpoints: Vec<&str> = defaults.endpoints.iter().map(|e| e.endpoint).collect();
    assert!(default_endpoints.contains(&"order/list"));
    assert!(!default_endpoints.contains(&"user/info"));
    assert!(!default_endpoints.contains(&"ip/dynamic-states"));
    assert!(report.ok, "{}", report.to_text());
    let user = report
        .endpoints
        .iter()
        .find(|e| e.endpoint == "user/info")
        .unwrap();
    assert!(user.unknown_fields.iter().any(|f| f == "x_obj"), "{user:?}");
    let orders = report
        .endpoints
        .iter()
        .find(|e| e.endpoint == "order/list")
        .unwrap();
    assert_eq!(orders.defaulted, ["created_at"]);
    assert!(orders.skipped > 0);
    for output in [report.to_text(), report.to_json()] {
        for personal in sim.personal_data() {
            assert!(!output.contains(&personal), "check shows {personal:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_asks_upstream_exactly_what_each_collectors_refresh_asks_and_its_definition_names() {
    for id in CollectorId::ALL {
        let (sim, url) = simulator(None).await;
        let (client, _) = common::client(&url);
        let ctx = proxy911_exporter::collector::RenderContext {
            timezone: chrono::FixedOffset::east_opt(0).unwrap(),
        };

        (id.definition().refresh)(client.clone(), ctx)
            .await
            .unwrap_or_else(|error| panic!("{id}: the refresh fails: {error}"));
        let refreshed = sim.request_counts();
        sim.reset_request_counts();
        let mut only = Selection::none();
        only.enable(id);
        let report = check::run_for(
            &client,
            &only,
            tokio::time::Instant::now() + check::DEFAULT_TIMEOUT,
            None,
        )
        .await;
        let checked = sim.request_counts();

        assert_eq!(
            checked, refreshed,
            "{id}: check and refresh ask differently"
        );
        let named: BTreeSet<&str> = id.endpoints().iter().map(|e| e.label()).collect();
        let reported: BTreeSet<&str> = report.endpoints.iter().map(|e| e.endpoint).collect();
        assert_eq!(reported, named, "{id}: check reports other endpoints");
        let paths: BTreeSet<String> = refreshed.keys().map(|(path, _)| path.clone()).collect();
        let named_paths: BTreeSet<String> = id
            .endpoints()
            .iter()
            .map(|e| e.path().to_string())
            .collect();
        assert_eq!(paths, named_paths, "{id}: the refresh asks other endpoints");
    }
}
