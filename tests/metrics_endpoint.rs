//! `/metrics` end to end: the exporter built by `App::build` against the simulator over
//! loopback. Every metric of docs/metrics.md, the cache and single-flight guarantees counted by the
//! simulator, deadlines, stale data, content negotiation and the small endpoints.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::time::Duration;

use common::{exporter, samples, sum, value, TestExporter};
use proxy911_simulator::{Endpoint, Fault};

const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The (endpoint, variant) keys one full refresh of every collector asks for, with the seed's
/// 120 purchased static IPs on three pages of 50.
fn one_refresh() -> BTreeSet<(String, String)> {
    let key = |e: Endpoint, v: &str| (e.path().to_string(), v.to_string());
    BTreeSet::from([
        key(Endpoint::AccountList, ""),
        key(Endpoint::PackageSummary, "product_type=9"),
        key(Endpoint::PackageSummary, "product_type=12"),
        key(Endpoint::PackageList, "page=1"),
        key(Endpoint::StaticIpRegions, "isp=1"),
        key(Endpoint::StaticIpRegions, "isp=0"),
        key(Endpoint::StaticIpList, "page=1"),
        key(Endpoint::StaticIpList, "page=2"),
        key(Endpoint::StaticIpList, "page=3"),
        key(Endpoint::TrafficDaily, ""),
        key(Endpoint::OrderList, "page_no=1"),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_metric_is_exposed_with_its_labels_and_values() {
    let exporter = exporter(|_| {}).await;

    let text = exporter.scrape().await;

    let alice = [
        ("account", "alice"),
        ("product_type", "dynamic_residential_traffic"),
    ];
    assert_eq!(value(&text, "proxy911_account_info", &alice), Some(1.0));
    let remark = samples(&text)
        .into_iter()
        .find(|s| s.name == "proxy911_account_info" && s.labels["account"] == "alice")
        .unwrap()
        .labels["remark"]
        .clone();
    assert_eq!(remark, "生产环境 \"main\" pool \\ EU");
    assert_eq!(
        value(&text, "proxy911_account_enabled", &[("account", "paused")]),
        Some(0.0)
    );
    assert_eq!(value(&text, "proxy911_account_enabled", &alice), Some(1.0));
    let near = [("account", "nearlimit")];
    assert_eq!(
        value(&text, "proxy911_account_traffic_limit_bytes", &near),
        Some(10.0 * GB)
    );
    let used = value(&text, "proxy911_account_traffic_used_bytes_total", &near).unwrap();
    assert!(used > 0.9 * 10.0 * GB && used <= 10.0 * GB, "{used}");
    let shared_traffic = [
        ("account", "shared"),
        ("product_type", "dynamic_residential_traffic"),
    ];
    let shared_static = [
        ("account", "shared"),
        ("product_type", "static_residential_ip"),
    ];
    assert_eq!(
        value(
            &text,
            "proxy911_account_traffic_limit_bytes",
            &shared_traffic
        ),
        Some(f64::INFINITY)
    );
    assert_eq!(
        value(
            &text,
            "proxy911_account_traffic_limit_bytes",
            &shared_static
        ),
        Some(50.0 * GB)
    );
    assert!(value(&text, "proxy911_account_created_timestamp_seconds", &alice).unwrap() > 1.7e9);

    let traffic_type = [("product_type", "dynamic_residential_traffic")];
    assert!(value(&text, "proxy911_package_total_bytes", &traffic_type).unwrap() > 0.0);
    assert!(
        value(
            &text,
            "proxy911_package_used_bytes",
            &[("product_type", "long_term_idc_traffic")]
        )
        .unwrap()
            > 0.0
    );
    for state in ["effective", "expiring", "expired"] {
        let labels = [
            ("product_type", "dynamic_residential_traffic"),
            ("state", state),
        ];
        assert!(
            value(&text, "proxy911_package_remaining_bytes", &labels).is_some(),
            "{state}"
        );
    }
    for state in ["all", "effective", "expiring", "expired"] {
        let labels = [("product_type", "long_term_idc_traffic"), ("state", state)];
        assert!(
            value(&text, "proxy911_packages", &labels).is_some(),
            "{state}"
        );
    }
    let expiries: Vec<_> = samples(&text)
        .into_iter()
        .filter(|s| s.name == "proxy911_package_expiry_timestamp_seconds")
        .collect();
    assert!(expiries.len() >= 8);
    assert!(expiries
        .iter()
        .all(|s| s.labels.contains_key("package_id") && s.labels.contains_key("trade_no")));

    let us_residential = [("country", "US"), ("ip_type", "residential")];
    assert_eq!(
        value(&text, "proxy911_static_ip_available", &us_residential),
        Some(1520.0)
    );
    assert_eq!(
        value(
            &text,
            "proxy911_static_ip_available",
            &[("country", "NL"), ("ip_type", "datacenter")]
        ),
        Some(210.0)
    );
    let purchased: f64 = samples(&text)
        .iter()
        .filter(|s| s.name == "proxy911_static_ips")
        .map(|s| s.value)
        .sum();
    assert_eq!(purchased, 120.0);
    let days = samples(&text)
        .into_iter()
        .filter(|s| s.name == "proxy911_traffic_daily_bytes")
        .count();
    assert_eq!(days, 7);

    assert_eq!(value(&text, "proxy911_up", &[]), Some(1.0));
    for collector in ["accounts", "packages", "static_ips", "traffic"] {
        let labels = [("collector", collector)];
        assert_eq!(
            value(&text, "proxy911_collector_success", &labels),
            Some(1.0),
            "{collector}"
        );
        assert!(value(&text, "proxy911_collector_duration_seconds", &labels).is_some());
        assert!(
            value(
                &text,
                "proxy911_collector_last_success_timestamp_seconds",
                &labels
            )
            .unwrap()
                > 1.7e9
        );
        assert!(value(&text, "proxy911_collector_cache_age_seconds", &labels).is_some());
    }
    let list_ok = [
        ("endpoint", "whitelist-account/list"),
        ("outcome", "success"),
    ];
    assert_eq!(
        value(&text, "proxy911_upstream_requests_total", &list_ok),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "proxy911_upstream_request_duration_seconds_count",
            &[("endpoint", "ip/get-static-ip")]
        ),
        Some(3.0)
    );
    assert!(text.contains("proxy911_exporter_build_info{version=\""));
    for process in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(value(&text, process, &[]).is_some(), "{process}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_cold_scrapes_make_exactly_one_request_per_endpoint_and_page() {
    let exporter = exporter(|_| {}).await;

    let scrapes: Vec<_> = (0..20).map(|_| exporter.scrape()).collect();
    futures::future::join_all(scrapes).await;

    let counts = exporter.simulator.request_counts();
    assert_eq!(
        counts.keys().cloned().collect::<BTreeSet<_>>(),
        one_refresh()
    );
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_scrapes_within_the_ttl_make_no_upstream_request() {
    let exporter = exporter(|_| {}).await;
    exporter.scrape().await;
    exporter.simulator.reset_request_counts();

    let scrapes: Vec<_> = (0..50).map(|_| exporter.scrape()).collect();
    let bodies = futures::future::join_all(scrapes).await;

    assert!(exporter.simulator.request_counts().is_empty());
    assert!(bodies.iter().all(|b| b.contains("proxy911_account_info")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_older_than_the_ttl_is_served_at_once_and_refreshed_behind_the_scrape() {
    // A TTL of 0: the data is due at every scrape.
    let exporter = exporter(|c| c.cache.ttl = Duration::ZERO).await;
    exporter.scrape().await;
    exporter
        .simulator
        .set_fault("*", Fault::parse("latency:2s").unwrap());

    let text = exporter.scrape().await;

    // The exporter counts an upstream request when its answer is in: a scrape that waited for
    // the refresh would show the second account list among its own metrics.
    let lists = sum(
        &text,
        "proxy911_upstream_requests_total",
        &[("endpoint", "whitelist-account/list")],
    );
    assert_eq!(lists, 1.0, "the scrape did not wait for the 2 s refresh");
    assert!(text.contains("proxy911_account_info"), "the stale data");
    let counts = until(|| {
        let counts = exporter.simulator.request_counts();
        counts.values().all(|n| *n == 2).then_some(counts)
    })
    .await;
    assert!(counts.values().all(|n| *n == 2), "{counts:?}");
}

/// Polls `check` every 50 ms, up to 10 s, until it gives a value.
async fn until<T>(check: impl Fn() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(value) = check() {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the condition never held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upstream_does_not_outlive_the_scrape_timeout() {
    let exporter = exporter(|_| {}).await;
    exporter
        .simulator
        .set_fault("*", Fault::parse("latency:8s").unwrap());

    let response = exporter
        .http
        .get(exporter.url("/metrics"))
        .header("X-Prometheus-Scrape-Timeout-Seconds", "3")
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();

    // Answered before the 8 s refresh: without its data, and with no request counted as done
    // (the exporter counts a request when its answer is in). The deadline itself is timed on
    // the paused clock in `cache` and `scrape`.
    assert_eq!(value(&text, "proxy911_up", &[]), Some(0.0));
    assert!(!text.contains("proxy911_account_info"));
    assert_eq!(sum(&text, "proxy911_upstream_requests_total", &[]), 0.0);
}

/// Scrapes once healthy, then with `fault` on the account list, past the TTL, until a scrape
/// shows the failed refresh (the scrape that finds the data due serves it and refreshes behind).
async fn failing_after_success(fault: &str) -> (TestExporter, String) {
    // A TTL of 0: every scrape finds the data due.
    let exporter = exporter(|c| c.cache.ttl = Duration::ZERO).await;
    let healthy = exporter.scrape().await;
    assert_eq!(value(&healthy, "proxy911_up", &[]), Some(1.0));
    exporter
        .simulator
        .set_fault(Endpoint::AccountList.path(), Fault::parse(fault).unwrap());
    let mut text = exporter.scrape().await;
    for _ in 0..100 {
        if value(&text, "proxy911_up", &[]) == Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        text = exporter.scrape().await;
    }
    (exporter, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_failure_keeps_last_good_series_and_reports_itself() {
    for fault in ["http500", "malformed", "code3"] {
        let (exporter, text) = failing_after_success(fault).await;

        assert_eq!(
            value(
                &text,
                "proxy911_collector_success",
                &[("collector", "accounts")]
            ),
            Some(0.0),
            "{fault}"
        );
        assert_eq!(
            value(
                &text,
                "proxy911_collector_success",
                &[("collector", "packages")]
            ),
            Some(1.0),
            "{fault}"
        );
        assert_eq!(value(&text, "proxy911_up", &[]), Some(0.0), "{fault}");
        assert_eq!(
            value(&text, "proxy911_account_enabled", &[("account", "alice")]),
            Some(1.0),
            "{fault}: last good data"
        );
        let health = exporter
            .http
            .get(exporter.url("/-/healthy"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{fault}: the process stays up");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_good_series_are_dropped_after_max_stale() {
    let exporter = exporter(|c| {
        c.cache.ttl = Duration::ZERO; // every scrape refreshes
        c.cache.max_stale = Duration::from_millis(600);
    })
    .await;
    exporter.scrape().await;
    exporter.simulator.set_fault(
        Endpoint::AccountList.path(),
        Fault::parse("code156").unwrap(),
    );
    let success = |text: &str| {
        value(
            text,
            "proxy911_collector_success",
            &[("collector", "accounts")],
        )
    };

    // First the failure with the last good series, then (past max-stale) without them: scraped
    // until each shows, never slept for. The exact limits are timed on the paused clock in
    // `cache`.
    let mut stale_served = false;
    let mut text = String::new();
    for _ in 0..200 {
        text = exporter.scrape().await;
        let has_series = text.contains("proxy911_account_info");
        stale_served |= success(&text) == Some(0.0) && has_series;
        if !has_series {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert!(
        stale_served,
        "the last good series outlive the failure a while"
    );
    assert!(
        !text.contains("proxy911_account_info"),
        "stale series are gone"
    );
    assert!(value(
        &text,
        "proxy911_collector_cache_age_seconds",
        &[("collector", "accounts")]
    )
    .is_none());
    assert_eq!(
        value(
            &text,
            "proxy911_collector_success",
            &[("collector", "accounts")]
        ),
        Some(0.0)
    );
    assert!(
        text.contains("proxy911_static_ips{"),
        "other collectors are unaffected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_gets_openmetrics_and_others_get_classic_text() {
    let exporter = exporter(|_| {}).await;
    let get = |accept: Option<&'static str>| {
        let mut request = exporter.http.get(exporter.url("/metrics"));
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        request.send()
    };

    let openmetrics = get(Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")).await.unwrap();
    let classic = get(None).await.unwrap();

    assert_eq!(
        openmetrics.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(openmetrics.text().await.unwrap().ends_with("# EOF\n"));
    assert_eq!(
        classic.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = classic.text().await.unwrap();
    assert!(!text.contains("# EOF"));
    assert!(text.contains("# TYPE proxy911_account_traffic_used_bytes_total counter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_is_served_when_accepted_and_holds_the_same_series() {
    let exporter = exporter(|_| {}).await;
    let plain = exporter.scrape().await;

    let response = exporter
        .http
        .get(exporter.url("/metrics"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut text)
        .unwrap();
    let names = |t: &str| {
        samples(t)
            .into_iter()
            .map(|s| (s.name, s.labels))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(names(&text), names(&plain));
    assert!(
        compressed.len() * 3 < text.len(),
        "{} of {}",
        compressed.len(),
        text.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_and_health_endpoints_answer() {
    let exporter = exporter(|c| c.web.telemetry_path = "/probe/metrics".into()).await;
    let get = |path: &str| exporter.http.get(exporter.url(path)).send();

    let landing = get("/").await.unwrap().text().await.unwrap();
    assert!(landing.contains("href=\"/probe/metrics\"") && landing.contains("/-/healthy"));
    assert_eq!(get("/-/healthy").await.unwrap().status(), 200);
    assert_eq!(get("/-/ready").await.unwrap().status(), 200);
    assert_eq!(get("/probe/metrics").await.unwrap().status(), 200);
    assert_eq!(get("/metrics").await.unwrap().status(), 404);
    assert_eq!(
        get("/admin/accounts").await.unwrap().status(),
        404,
        "no admin token: no admin API"
    );
}

/// An upstream in front of the simulator that holds the first request of each of `expected`
/// paths until all of them have arrived (a barrier), then lets everything through. A request
/// still held after 5 s is answered 503 and counted as missed: collectors refreshed one after
/// the other never fill the barrier.
#[derive(Clone)]
struct Barrier {
    expected: BTreeSet<String>,
    seen: std::sync::Arc<tokio::sync::watch::Sender<BTreeSet<String>>>,
    missed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    simulator: String,
}

async fn barrier_upstream(expected: BTreeSet<String>) -> (Barrier, String) {
    use axum::extract::State;
    use axum::http::{StatusCode, Uri};

    async fn hold(State(barrier): State<Barrier>, uri: Uri) -> (StatusCode, String) {
        barrier.seen.send_modify(|seen| {
            seen.insert(uri.path().to_owned());
        });
        let mut seen = barrier.seen.subscribe();
        let all_arrived = tokio::time::timeout(
            Duration::from_secs(5),
            seen.wait_for(|seen| barrier.expected.is_subset(seen)),
        )
        .await
        .is_ok_and(|arrived| arrived.is_ok());
        if !all_arrived {
            barrier
                .missed
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return (StatusCode::SERVICE_UNAVAILABLE, String::new());
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let answer = common::http()
            .get(format!("{}{path}", barrier.simulator))
            .send()
            .await
            .unwrap();
        (
            StatusCode::from_u16(answer.status().as_u16()).unwrap(),
            answer.text().await.unwrap(),
        )
    }

    let (sim, simulator) = common::simulator(None).await;
    std::mem::forget(sim); // serves until the test process ends
    let barrier = Barrier {
        expected,
        seen: std::sync::Arc::new(tokio::sync::watch::channel(BTreeSet::new()).0),
        missed: Default::default(),
        simulator,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(hold)
        .with_state(barrier.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (barrier, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_scrape_refreshes_every_due_collector_at_once_not_one_after_the_other() {
    use proxy911_exporter::collector::{CollectorId, Selection};
    // The collectors that ask one endpoint: the first request of each must all be in flight
    // together for any of them to be answered.
    let ids: Vec<CollectorId> = CollectorId::ALL
        .into_iter()
        .filter(|id| id.endpoints().len() == 1)
        .collect();
    assert!(ids.len() >= 3, "{ids:?}");
    let mut selection = Selection::none();
    for id in &ids {
        selection.enable(*id);
    }
    let expected = ids
        .iter()
        .map(|id| id.endpoints()[0].path().to_owned())
        .collect();
    let (barrier, url) = barrier_upstream(expected).await;
    let (addr, _) = common::exporter_at(&url, |c| c.collectors = selection).await;

    let text = common::scrape_text(addr).await;

    assert_eq!(
        barrier.missed.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a request waited in vain for the others: collectors refreshed one at a time"
    );
    for id in &ids {
        assert_eq!(
            value(
                &text,
                "proxy911_collector_success",
                &[("collector", id.as_str())]
            ),
            Some(1.0),
            "{id}: {text}"
        );
    }
    assert_eq!(value(&text, "proxy911_up", &[]), Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_collector_is_asked_once_per_ttl_not_once_per_scrape() {
    use proxy911_exporter::collector::{CollectorId, Selection};
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    // One refresh: the first attempt and its two retries.
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .and(query_param("app_key", common::APP_KEY))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let mut accounts_only = Selection::none();
    accounts_only.enable(CollectorId::Accounts);
    let (addr, _) = common::exporter_at(&server.uri(), |c| c.collectors = accounts_only).await;

    let mut texts = Vec::new();
    for _ in 0..10 {
        texts.push(common::scrape_text(addr).await);
    }

    for text in &texts {
        assert_eq!(
            value(
                text,
                "proxy911_collector_success",
                &[("collector", "accounts")]
            ),
            Some(0.0),
            "{text}"
        );
    }
    // Ten scrapes within the 60 s TTL: the mock checks, when it drops, that it was asked 3 times.
    server.verify().await;
}
