//! End to end with the real servers (Debian's `prometheus` and `prometheus-alertmanager`,
//! installed by scripts/install-tools.sh), all on loopback: the traffic-anomaly alert from the
//! exporter's own series to the account disabled, and the route's `log` mode.
//!
//! - **A leak, found and stopped.** The simulator, the exporter binary (`--admin.alert-actions=
//!   disable`), a Prometheus scraping it every second with the shipped rules, and an Alertmanager
//!   running the shipped example configuration (only its URL and token file changed). The rules
//!   are loaded on a faster clock, one hour of theirs to 4 s (`for:` removed, as in
//!   `tests/e2e_prometheus.rs`; `promtool test rules` covers the real durations), so that a
//!   "day" of history takes 96 s. Once every account has its habit, the simulator's leak control
//!   makes one account's traffic jump; the alert must fire for it alone, reach the exporter
//!   through Alertmanager, and the account must end up disabled in the simulator, with an audit
//!   line and a count.
//! - **Log mode.** An anomaly alert posted to Alertmanager reaches the exporter, which answers
//!   `would_disable`, audits it, and changes nothing.
//!
//! Child processes are killed on drop, also when a check fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{free_port, http, simulator, spawn_exporter, stop_and_read_logs, value, ADMIN_TOKEN};
use proxy911_simulator::{Endpoint, Simulator};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const ANOMALY: &str = "Proxy911AccountTrafficAnomaly";
/// Seconds of the test's clock for one hour of the rules'.
const HOUR: u64 = 4;

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

/// The whole test's waits together: nextest kills this binary at 300 s (5 x 60 s,
/// .config/nextest.toml), and a wait cut off by the kill says nothing. Counted from the first
/// wait's start (each test is a process of its own under nextest).
const BUDGET: Duration = Duration::from_secs(270);

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
            "waiting for {what}: the test's {BUDGET:?} of waits are over (nextest kills it at 300 s)"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxy911-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The rules on the test's clock: every `[Nh]`, `[Nd]`, `offset Nh` and `offset Nd` becomes
/// seconds at [`HOUR`] seconds an hour, and the `for:` clauses go.
fn fast_rules(rules: &str) -> String {
    let mut out = String::with_capacity(rules.len());
    for line in rules.lines() {
        if line.trim_start().starts_with("for:") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find(['[', 'o']) {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let prefix = if from.starts_with('[') {
                "["
            } else if from.starts_with("offset ") {
                "offset "
            } else {
                out.push_str(&from[..1]);
                rest = &from[1..];
                continue;
            };
            let after = &from[prefix.len()..];
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let hours = match (
                after[..digits].parse::<u64>(),
                after[digits..].chars().next(),
            ) {
                (Ok(n), Some('h')) => Some(n),
                (Ok(n), Some('d')) => Some(n * 24),
                _ => None,
            };
            match hours {
                Some(hours) => {
                    out.push_str(&format!("{prefix}{}s", hours * HOUR));
                    rest = &after[digits + 1..];
                }
                None => {
                    out.push_str(prefix);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

/// The shipped example configuration, its receiver pointed at `exporter` with `token_file`.
fn alertmanager_config(exporter: u16, token_file: &Path) -> String {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("alerts/alertmanager.example.yml"),
    )
    .unwrap();
    let url = "http://proxy911-exporter.monitoring.svc:9911/admin/alertmanager";
    let file = "/etc/alertmanager/secrets/proxy911-admin-token";
    assert!(example.contains(url) && example.contains(file));
    example
        .replace(
            url,
            &format!("http://127.0.0.1:{exporter}/admin/alertmanager"),
        )
        .replace(file, token_file.to_str().unwrap())
}

fn start_alertmanager(dir: &Path, port: u16, exporter: u16) -> Child {
    std::fs::write(dir.join("token"), ADMIN_TOKEN).unwrap();
    std::fs::write(
        dir.join("alertmanager.yml"),
        alertmanager_config(exporter, &dir.join("token")),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("am")).unwrap();
    spawn(
        "prometheus-alertmanager",
        &[
            format!("--config.file={}", dir.join("alertmanager.yml").display()),
            format!("--storage.path={}", dir.join("am").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".into(),
        ],
        &dir.join("alertmanager.log"),
    )
}

/// The exporter binary against `url`, its admin API on with the test token, in `mode`; once it
/// answers.
async fn start_exporter(port: u16, url: &str, mode: &str) -> Child {
    let child = spawn_exporter(
        port,
        url,
        &["--admin.alert-actions", mode, "--cache.ttl", "0s"],
        &[("PROXY911_ADMIN_TOKEN", ADMIN_TOKEN)],
    );
    eventually(
        Duration::from_secs(30),
        "the exporter to answer",
        || async move {
            let response = http()
                .get(format!("http://127.0.0.1:{port}/metrics"))
                .send()
                .await
                .ok()?;
            response.status().is_success().then_some(())
        },
    )
    .await;
    child
}

async fn scrape(port: u16) -> Option<String> {
    let response = http()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .ok()?;
    response.text().await.ok()
}

/// The value of `proxy911_admin_alert_actions_total{action}`, once it is `at_least`.
async fn actions_reach(port: u16, action: &'static str, at_least: f64) -> f64 {
    eventually(
        Duration::from_secs(60),
        &format!("proxy911_admin_alert_actions_total{{action={action:?}}} to reach {at_least}"),
        || async move {
            let text = scrape(port).await?;
            value(
                &text,
                "proxy911_admin_alert_actions_total",
                &[("action", action)],
            )
            .filter(|n| *n >= at_least)
        },
    )
    .await
}

fn account_id(sim: &Simulator, username: &str) -> i64 {
    sim.with_world(|w| {
        w.accounts
            .iter()
            .find(|a| a.username == username)
            .map(|a| a.id)
            .unwrap()
    })
}

fn enabled(sim: &Simulator, username: &str) -> bool {
    sim.with_world(|w| {
        w.accounts
            .iter()
            .any(|a| a.username == username && a.status == 1)
    })
}

/// An instant query's result vector; `None` while Prometheus is not answering yet.
async fn query(prometheus: &str, expr: &str) -> Option<Vec<Value>> {
    let answer: Value = http()
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", expr)])
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    assert_eq!(answer["status"], "success", "{expr}: {answer}");
    answer["data"]["result"].as_array().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_account_fires_the_anomaly_alert_on_the_exporters_own_series_and_is_disabled_through_alertmanager(
) {
    let dir = scratch("e2e-leak");
    let (sim, url) = simulator(None).await;
    let (exporter, prometheus_port, alertmanager_port) = (free_port(), free_port(), free_port());
    let exporter_child = start_exporter(exporter, &url, "disable").await;
    let _alertmanager = start_alertmanager(&dir, alertmanager_port, exporter);
    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("alerts/proxy911.rules.yml"),
    )
    .unwrap();
    std::fs::write(dir.join("rules.yml"), fast_rules(&rules)).unwrap();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s}}\n\
             rule_files: [{rules}]\n\
             alerting: {{alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]}}]}}\n\
             scrape_configs:\n  - job_name: proxy911-exporter\n    static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]\n",
            rules = dir.join("rules.yml").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("tsdb")).unwrap();
    let _prometheus = spawn(
        "prometheus",
        &[
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
        ],
        &dir.join("prometheus.log"),
    );
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");
    let accounts = sim.with_world(|w| w.accounts.len());

    // A day of history (and the last hour) on the rules' clock: every account gets its habit.
    let habit = "account:proxy911_account_traffic_used_bytes:avg_hourly_7d";
    eventually(
        Duration::from_secs(26 * HOUR + 60),
        "every account's habit",
        || {
            let prometheus = prometheus.clone();
            async move {
                let habits = query(&prometheus, habit).await?;
                (habits.len() == accounts).then_some(())
            }
        },
    )
    .await;
    let quiet = query(&prometheus, &format!("ALERTS{{alertname=\"{ANOMALY}\"}}"))
        .await
        .unwrap();
    assert!(quiet.is_empty(), "no leak yet, yet: {quiet:?}");

    // alice's password leaks: 3600 GB an hour of ours, 4 GB an hour of the rules'.
    let leaked = http()
        .post(format!("{url}/_simulator/leak"))
        .json(&json!({"username": "alice", "gb_per_hour": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(leaked.status().as_u16(), 204);
    let alice = account_id(&sim, "alice");

    let firing = eventually(Duration::from_secs(30), "the anomaly alert", || {
        let prometheus = prometheus.clone();
        async move {
            let alerts = query(
                &prometheus,
                &format!("ALERTS{{alertname=\"{ANOMALY}\",alertstate=\"firing\"}}"),
            )
            .await?;
            (!alerts.is_empty()).then_some(alerts)
        }
    })
    .await;
    assert_eq!(firing.len(), 1, "only alice: {firing:?}");
    let labels = &firing[0]["metric"];
    assert_eq!(labels["account"], "alice");
    assert_eq!(labels["account_id"], alice.to_string());
    assert_eq!(labels["product_type"], "dynamic_residential_traffic");
    assert_eq!(labels["severity"], "critical");

    eventually(
        Duration::from_secs(60),
        "alice disabled in the simulator",
        || {
            let sim = sim.clone();
            async move { (!enabled(&sim, "alice")).then_some(()) }
        },
    )
    .await;
    assert_eq!(actions_reach(exporter, "disabled", 1.0).await, 1.0);
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 1);
    assert!(enabled(&sim, "marketing") && enabled(&sim, "shared"));

    let logs = stop_and_read_logs(exporter_child).await;
    let audit = logs
        .lines()
        .find(|l| l.contains(r#"operation="alert_action""#) && l.contains(r#"action="disabled""#))
        .unwrap_or_else(|| panic!("no audit line of the disable in:\n{logs}"));
    assert!(
        audit.contains(r#"account="alice""#) && audit.contains(r#"mode="disable""#),
        "{audit}"
    );
    assert!(!logs.contains(ADMIN_TOKEN), "the token was logged");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_log_mode_an_anomaly_alert_through_alertmanager_is_audited_as_would_disable_and_changes_nothing(
) {
    let dir = scratch("e2e-log");
    let (sim, url) = simulator(None).await;
    let (exporter, alertmanager_port) = (free_port(), free_port());
    let exporter_child = start_exporter(exporter, &url, "log").await;
    let _alertmanager = start_alertmanager(&dir, alertmanager_port, exporter);
    let alice = account_id(&sim, "alice");
    let alert = json!([{
        "labels": {
            "alertname": ANOMALY, "account": "alice", "account_id": alice.to_string(),
            "product_type": "dynamic_residential_traffic", "severity": "critical",
            "job": "proxy911-exporter", "instance": format!("127.0.0.1:{exporter}")
        },
        "annotations": {"summary": "Proxy account alice used far more traffic than usual: possible leaked credentials."}
    }]);

    eventually(
        Duration::from_secs(30),
        "Alertmanager to take the alert",
        || {
            let alert = alert.clone();
            async move {
                let response = http()
                    .post(format!(
                        "http://127.0.0.1:{alertmanager_port}/api/v2/alerts"
                    ))
                    .json(&alert)
                    .send()
                    .await
                    .ok()?;
                response.status().is_success().then_some(())
            }
        },
    )
    .await;

    assert_eq!(actions_reach(exporter, "would_disable", 1.0).await, 1.0);
    assert!(enabled(&sim, "alice"));
    assert_eq!(sim.request_count(Endpoint::AccountDisable), 0);
    let logs = stop_and_read_logs(exporter_child).await;
    let audit = logs
        .lines()
        .find(|l| {
            l.contains(r#"operation="alert_action""#) && l.contains(r#"action="would_disable""#)
        })
        .unwrap_or_else(|| panic!("no audit line in:\n{logs}"));
    assert!(
        audit.contains(r#"account="alice""#) && audit.contains(r#"mode="log""#),
        "{audit}"
    );
    assert!(!logs.contains(ADMIN_TOKEN), "the token was logged");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_faster_clock_rewrites_hours_and_days_and_nothing_else() {
    let rules = "      for: 15m\n        expr: increase(x[1h]) > 5 * (x offset 25h - x offset 169h) / 168 and y[10m] and z offset 7d and info\n";

    assert_eq!(
        fast_rules(rules),
        "        expr: increase(x[4s]) > 5 * (x offset 100s - x offset 676s) / 168 and y[10m] and z offset 672s and info\n"
    );
}
