//! End to end with the real servers (Debian's `prometheus` and `prometheus-alertmanager`,
//! installed by scripts/install-tools.sh): the simulator, the exporter, a Prometheus scraping it
//! every 2 s with the shipped rule file, alerting to an Alertmanager, all on loopback. The exporter
//! runs every collector (orders, user and regions included). Every dashboard query must be valid
//! PromQL that returns data (those reading days of history: valid PromQL, see
//! [`common::NEED_HISTORY`]), and the seeded near-limit account's alert and the order pending
//! payment for hours must reach Alertmanager. Child processes are killed on drop, also when a
//! check fails.
//!
//! The rules are loaded with their `for:` clauses removed so alerts fire at the first evaluation;
//! `promtool test rules` covers the `for:` durations.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use proxy911_exporter::collector::Selection;
use serde_json::Value;
use tokio::process::{Child, Command};

fn spawn(program: &str, args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} is required (scripts/install-tools.sh installs it): {e}")
        })
}

/// The whole test's waits together: nextest kills this binary at 120 s (4 x 30 s), and a wait
/// that is cut off by the kill says nothing. Counted from the first wait's start.
const BUDGET: Duration = Duration::from_secs(105);

fn budget_end() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now) + BUDGET
}

/// Polls `check` every 500 ms until it returns `Some`, or panics after `limit` (or when the
/// test's [`BUDGET`] runs out, whichever comes first) with `what`.
async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let budget_end = budget_end();
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        assert!(
            Instant::now() < budget_end,
            "waiting for {what}: the test's {BUDGET:?} of waits are over (nextest kills it at 120 s)"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// An instant query; `None` while Prometheus is not answering yet.
async fn query(http: &reqwest::Client, prometheus: &str, expr: &str) -> Option<Value> {
    let response = http
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", expr)])
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

/// The first alert in Alertmanager that `matches`, waiting up to `within` for it to fire.
async fn firing(
    http: &reqwest::Client,
    alertmanager: &str,
    within: Duration,
    matches: impl Fn(&Value) -> bool + Clone,
) -> Value {
    eventually(within, "the alert in Alertmanager", || {
        let (http, alertmanager, matches) =
            (http.clone(), alertmanager.to_string(), matches.clone());
        async move {
            let alerts: Value = http
                .get(format!("{alertmanager}/api/v2/alerts"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            alerts.as_array()?.iter().find(|a| matches(a)).cloned()
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_answers_every_dashboard_query_and_the_near_limit_and_pending_payment_alerts_reach_alertmanager(
) {
    budget_end(); // the budget counts from here
    let dir = std::env::temp_dir().join(format!("proxy911-e2e-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tsdb")).unwrap();
    std::fs::create_dir_all(dir.join("am")).unwrap();
    let (_sim, url) = common::simulator(None).await;
    // Every collector on, as in the demo: the order, balance and coverage panels need data too.
    let (exporter, _) = common::exporter_at(&url, |c| {
        c.cache.ttl = Duration::from_secs(1);
        c.collectors = Selection::all();
    })
    .await;
    let exporter = SocketAddr::from(([127, 0, 0, 1], exporter.port()));
    let (prometheus_port, alertmanager_port) = (common::free_port(), common::free_port());

    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("alerts/proxy911.rules.yml"),
    )
    .unwrap();
    let rules: String = rules
        .lines()
        .filter(|l| !l.trim_start().starts_with("for:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("rules.yml"), rules).unwrap();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 2s, evaluation_interval: 2s, scrape_timeout: 2s}}\n\
             rule_files: [{rules}]\n\
             alerting: {{alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]}}]}}\n\
             scrape_configs:\n  - job_name: proxy911-exporter\n    static_configs: [{{targets: ['{exporter}']}}]\n",
            rules = dir.join("rules.yml").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("alertmanager.yml"),
        "route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n",
    )
    .unwrap();

    let _alertmanager = spawn(
        "prometheus-alertmanager",
        &[
            format!("--config.file={}", dir.join("alertmanager.yml").display()),
            format!("--storage.path={}", dir.join("am").display()),
            format!("--web.listen-address=127.0.0.1:{alertmanager_port}"),
            "--cluster.listen-address=".into(),
        ],
        &dir.join("alertmanager.log"),
    );
    let _prometheus = spawn(
        "prometheus",
        &[
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
        ],
        &dir.join("prometheus.log"),
    );
    let http = common::http();
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");
    let instance = exporter.to_string();

    eventually(
        Duration::from_secs(60),
        "Prometheus to scrape the exporter",
        || {
            let (http, prometheus) = (http.clone(), prometheus.clone());
            async move {
                let answer =
                    query(&http, &prometheus, "count_over_time(proxy911_up[1m]) >= 4").await?;
                (!answer["data"]["result"].as_array()?.is_empty()).then_some(())
            }
        },
    )
    .await;

    let exprs = common::dashboard_exprs();
    assert!(exprs.len() >= 20, "{} panel queries", exprs.len());
    for (panel, expr) in exprs {
        let expr = common::panel_query(&expr, &instance, ".*");
        if common::NEED_HISTORY.iter().any(|name| expr.contains(name)) {
            let answer = eventually(Duration::from_secs(30), "Prometheus to answer", || {
                let (http, prometheus, expr) = (http.clone(), prometheus.clone(), expr.clone());
                async move { query(&http, &prometheus, &expr).await }
            })
            .await;
            assert_eq!(
                answer["status"], "success",
                "{panel}: {expr} is not valid PromQL: {answer}"
            );
            continue;
        }
        let answer = eventually(
            Duration::from_secs(30),
            &format!("data for {panel}: {expr}"),
            || {
                let (http, prometheus, expr, panel) = (
                    http.clone(),
                    prometheus.clone(),
                    expr.clone(),
                    panel.clone(),
                );
                async move {
                    let answer = query(&http, &prometheus, &expr).await?;
                    assert_eq!(
                        answer["status"], "success",
                        "{panel}: {expr} is not valid PromQL: {answer}"
                    );
                    (!answer["data"]["result"].as_array()?.is_empty()).then_some(answer)
                }
            },
        )
        .await;
        assert_eq!(answer["status"], "success");
    }

    let alertmanager = format!("http://127.0.0.1:{alertmanager_port}");
    let alert = firing(&http, &alertmanager, Duration::from_secs(90), |a| {
        a["labels"]["alertname"] == "Proxy911AccountTrafficNearLimit"
            && a["labels"]["account"] == "nearlimit"
    })
    .await;
    assert_eq!(alert["labels"]["severity"], "warning");
    assert_eq!(
        alert["labels"]["product_type"],
        "dynamic_residential_traffic"
    );
    assert!(alert["annotations"]["runbook_url"]
        .as_str()
        .unwrap()
        .ends_with("#proxy911accounttrafficnearlimit"));

    // The seeded renewal has been pending payment for hours.
    let pending = firing(&http, &alertmanager, Duration::from_secs(60), |a| {
        a["labels"]["alertname"] == "Proxy911OrderPendingPayment"
    })
    .await;
    assert_eq!(pending["labels"]["severity"], "warning");
    let _ = std::fs::remove_dir_all(&dir);
}
