//! The real binary's logs, captured: failures are logged once per change of cause with codes 3
//! and 156 named, and no log line or answer ever holds the app_key or an account password.

mod common;

use std::time::Duration;

use common::{simulator, spawn_exporter, stop_and_read_logs, APP_KEY};
use proxy911_simulator::{Endpoint, Fault};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_each_failure_once_and_never_hold_a_secret() {
    let (sim, url) = simulator(None).await;
    let port = common::free_port();
    let mut child = spawn_exporter(
        port,
        &url,
        &[
            "--cache.ttl",
            "100ms",
            "--api.timeout",
            "300ms",
            "--log.level",
            "debug",
        ],
        &[],
    );
    // Debug lines for every scrape fill a pipe nobody reads: read it as it fills.
    let tail = common::LogTail::of(&mut child);
    let http = common::http();
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let mut answers = String::new();
    let scrape = || {
        let (http, metrics) = (http.clone(), metrics.clone());
        async move {
            for _ in 0..100 {
                if let Ok(response) = http.get(&metrics).send().await {
                    return response.text().await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the exporter never answered");
        }
    };

    answers += &scrape().await;
    // The upstream requests of one refresh under a fault: HTTP 500 is retried twice, nothing
    // else is retried.
    let requests = |fault: &str| if fault == "http500" { 3 } else { 1 };
    let mut previous = 1;
    for fault in [
        "code3",
        "code3",
        "code3",
        "code156",
        "http500",
        "malformed",
        "latency:1s",
        "none",
    ] {
        sim.set_fault(Endpoint::AccountList.path(), Fault::parse(fault).unwrap());
        // Scrape (each finds the data due, answers with it and refreshes behind) until the
        // simulator has seen the rest of a refresh begun before the change, a whole refresh
        // under the fault, and the start of the next: refreshes run one at a time, so the one
        // under the fault has been logged. Waits on the simulator's count, never on time.
        let lists = || sim.request_count(Endpoint::AccountList);
        let until = lists() + previous + requests(fault) + 1;
        let mut scrapes = 0;
        while lists() < until {
            scrapes += 1;
            assert!(
                scrapes < 400,
                "{fault}: the simulator saw {} lists, not {until}",
                lists()
            );
            answers += &scrape().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        previous = requests(fault);
    }
    let logs = tail.stop(child).await;

    let failures: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("upstream refresh failed"))
        .collect();
    assert_eq!(
        failures
            .iter()
            .filter(|l| l.contains("invalid app_key"))
            .count(),
        1,
        "code 3 once:\n{logs}"
    );
    assert_eq!(
        failures.iter().filter(|l| l.contains("real-name")).count(),
        1,
        "code 156 named:\n{logs}"
    );
    assert_eq!(
        failures.len(),
        5,
        "one line per change of cause:\n{}",
        failures.join("\n")
    );
    assert!(logs.contains("upstream refresh recovered"), "{logs}");
    for secret in std::iter::once(APP_KEY.to_string()).chain(sim.passwords()) {
        assert!(!logs.contains(&secret), "a log line holds {secret:?}");
        assert!(!answers.contains(&secret), "an answer holds {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_operations_are_audited_without_the_token_or_any_password() {
    const TOKEN: &str = "AuditTokenNeverLogged42";
    let (sim, url) = simulator(None).await;
    let port = common::free_port();
    let child = spawn_exporter(
        port,
        &url,
        &["--log.level", "debug", "--log.format", "json"],
        &[("PROXY911_ADMIN_TOKEN", TOKEN)],
    );
    let http = common::http();
    let base = format!("http://127.0.0.1:{port}/admin");
    let send = |verb: &'static str, route: &'static str, body: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            for _ in 0..100 {
                let request = http
                    .request(verb.parse().unwrap(), format!("{base}{route}"))
                    .bearer_auth(TOKEN)
                    .body(body);
                if let Ok(response) = request.send().await {
                    return response.text().await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the exporter never answered");
        }
    };

    let mut answers = String::new();
    answers += &send(
        "POST",
        "/accounts",
        r#"{"accounts":[{"username":"audit1","password":"FirstPw111"}],"product_type":9}"#,
    )
    .await;
    answers += &send(
        "PATCH",
        "/accounts/audit1",
        r#"{"password":"SecondPw222","remark":"x"}"#,
    )
    .await;
    answers += &send(
        "POST",
        "/accounts",
        r#"{"accounts":[{"username":"audit1","password":"ThirdPw333"}],"product_type":9}"#,
    )
    .await;
    answers += &send("PATCH", "/accounts/audit1", r#"{"password":"bad pw 444"}"#).await;
    answers += &send("GET", "/accounts", "").await;
    answers += &send("DELETE", "/accounts/audit1", "").await;
    let logs = stop_and_read_logs(child).await;

    let audit: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message"] == "admin operation")
        .collect();
    let summary: Vec<(String, String, String)> = audit
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap().into(),
                l["accounts"].as_str().unwrap().into(),
                l["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("add", "audit1", "success"),
        ("update", "audit1", "success"),
        ("add", "audit1", "upstream_error"),
        ("update", "", "invalid_argument"),
        ("list", "", "success"),
        ("delete", "audit1", "success"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(summary, expected, "{logs}");
    assert!(audit
        .iter()
        .all(|l| l["client"].as_str().unwrap().starts_with("127.0.0.1:")));
    let mut secrets = vec![TOKEN.to_string(), APP_KEY.to_string()];
    secrets.extend(["FirstPw111", "SecondPw222", "ThirdPw333", "bad pw 444"].map(String::from));
    secrets.extend(sim.passwords());
    for secret in secrets {
        assert!(!logs.contains(&secret), "a log line holds {secret:?}");
        assert!(
            !answers.contains(&secret),
            "an admin answer holds {secret:?}"
        );
    }
}
