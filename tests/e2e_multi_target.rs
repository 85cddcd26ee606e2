//! End to end, several 911Proxy accounts in one exporter, with the real servers (Debian's
//! `prometheus`, installed by scripts/install-tools.sh), all on loopback: a simulator serving two
//! worlds (the app_keys of team-a and team-b), the exporter binary with a `--config.file` naming
//! both and no app_key of its own, and a Prometheus scraping it with the scrape configuration
//! users copy, `examples/prometheus-multi-target.yml` (only the exporter's address and the
//! intervals changed), and the shipped rules file, unchanged.
//!
//! Each account is its own `target`: up, with its own accounts and none of the other's; the
//! exporter's own `/metrics` job is up and counts the targets; every dashboard query for one
//! target returns that target's data; and an alert about one account's app_key fires for that
//! target alone, naming it in its summary. The rules need no change for that:
//! `Proxy911AppKeyRejected` has no `for:` and fires at the next evaluation, and
//! `Proxy911UpstreamFailing` (10 minutes) is checked while pending, its summary already rendered.
//! Child processes are killed on drop, also when a check fails; their logs stay in the scratch
//! folder named on stderr when a check fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{free_port, http, panel_query, NEED_HISTORY};
use proxy911_simulator::{Failure, Fault, Simulator, SimulatorOptions};
use serde_json::Value;
use tokio::process::{Child, Command};

const KEY_A: &str = "TeamAkeySECRET0123456789abcdef";
const KEY_B: &str = "TeamBkeySECRET0123456789abcdef";
/// The targets of the exporter's config file, with their app_keys: the names the example
/// scrape configuration lists.
const TARGETS: [(&str, &str); 2] = [("team-a", KEY_A), ("team-b", KEY_B)];
/// The job of every series, the probes' and the exporter's own: the example relabels both to
/// the job the rules expect.
const JOB: &str = "proxy911-exporter";

fn spawn(program: &str, args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    let mut command = Command::new(program);
    // The exporter takes nothing from the environment of whoever runs the tests.
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} is required (scripts/install-tools.sh installs it): {e}")
        })
}

/// Polls `check` every 500 ms until it returns `Some`, or panics after `limit` with `what`.
async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A scratch folder for the configuration, the keys, the TSDB and the logs.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxy911-e2e-multi-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    std::fs::create_dir_all(dir.join("tsdb")).unwrap();
    eprintln!("configuration and logs in {}", dir.display());
    dir
}

/// The exporter's config file: both targets, every collector (the dashboards read them all), a
/// cache that a 2 s scrape refreshes, and a rate limit that does not bind.
fn exporter_config(dir: &Path) -> PathBuf {
    let mut yaml = String::from("targets:\n");
    for (name, key) in TARGETS {
        std::fs::write(dir.join("keys").join(name), format!("{key}\n")).unwrap();
        yaml.push_str(&format!(
            "  {name}:\n    app_key_file: keys/{name}\n    cache_ttl: 1s\n    rate_limit: 1000\n    rate_burst: 1000\n    collectors: [accounts, packages, static_ips, traffic, orders, user, regions]\n"
        ));
    }
    let path = dir.join("exporter.yml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// `examples/prometheus-multi-target.yml` as users copy it, with only the exporter's address and
/// the intervals changed: it must list exactly the targets of the exporter's config file.
fn scrape_configs(exporter: &str) -> String {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/prometheus-multi-target.yml"),
    )
    .unwrap();
    let names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    let targets = format!("- targets: [{}]", names.join(", "));
    for (text, times) in [
        ("127.0.0.1:9911", 2),
        ("scrape_interval: 60s", 2),
        ("scrape_timeout: 30s", 2),
        (targets.as_str(), 1),
    ] {
        assert_eq!(
            example.matches(text).count(),
            times,
            "the example changed: {text:?} no longer appears {times} times; update this test"
        );
    }
    example
        .replace("127.0.0.1:9911", exporter)
        .replace("scrape_interval: 60s", "scrape_interval: 2s")
        .replace("scrape_timeout: 30s", "scrape_timeout: 2s")
}

/// The GET answer of the Prometheus HTTP API at `path`, once it is a success; `None` while
/// Prometheus is not answering yet.
async fn api(prometheus: &str, path: &str, query: &[(&str, &str)]) -> Option<Value> {
    let answer: Value = http()
        .get(format!("{prometheus}{path}"))
        .query(query)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    assert_eq!(answer["status"], "success", "{path} {query:?}: {answer}");
    Some(answer["data"].clone())
}

/// An instant query's result vector; `None` while Prometheus is not answering yet.
async fn query(prometheus: &str, expr: &str) -> Option<Vec<Value>> {
    api(prometheus, "/api/v1/query", &[("query", expr)])
        .await?
        .get("result")?
        .as_array()
        .cloned()
}

/// An instant query that Prometheus answers now (the test waited for the scrapes already).
async fn query_now(prometheus: &str, expr: &str) -> Vec<Value> {
    query(prometheus, expr)
        .await
        .unwrap_or_else(|| panic!("Prometheus did not answer {expr}"))
}

/// A result vector as `target` label (empty when the series has none) to value.
fn by_target(result: &[Value]) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for series in result {
        let target = series["metric"]["target"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let value = series["value"][1].as_str().unwrap().to_string();
        assert!(
            values.insert(target, value).is_none(),
            "two series for one target: {result:?}"
        );
    }
    values
}

/// Polls `expr` until its values by target are `expected` (30 s at most, then the test fails
/// with the last answer): a scrape that missed its timeout once on a busy machine is not what
/// these checks are about. Returns the series.
async fn settles(prometheus: &str, expr: &str, expected: &[(&str, &str)]) -> Vec<Value> {
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let started = Instant::now();
    loop {
        let result = query(prometheus, expr).await.unwrap_or_default();
        if by_target(&result) == expected {
            return result;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{expr}: expected {expected:?} by target, got {result:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The (username, id) of every account in the world of `key`.
fn accounts_of(sim: &Simulator, key: &str) -> BTreeSet<(String, String)> {
    sim.with_world_of(key, |world| {
        world
            .accounts
            .iter()
            .map(|a| (a.username.clone(), a.id.to_string()))
            .collect()
    })
    .unwrap()
}

/// Prometheus' active alerts (pending and firing).
async fn alerts(prometheus: &str) -> Option<Vec<Value>> {
    api(prometheus, "/api/v1/alerts", &[])
        .await?
        .get("alerts")?
        .as_array()
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_each_account_as_its_own_target_through_the_example_config_and_the_dashboards_and_alerts_tell_them_apart(
) {
    let dir = scratch();
    // The primary key is nobody's: the exporter has no app_key of its own.
    let sim = Simulator::new(SimulatorOptions {
        app_key: common::APP_KEY.into(),
        more_app_keys: TARGETS.iter().map(|(_, key)| key.to_string()).collect(),
        ..SimulatorOptions::default()
    });
    let url = format!(
        "http://{}",
        sim.clone().spawn(([127, 0, 0, 1], 0).into()).await.unwrap()
    );
    let worlds: BTreeMap<&str, BTreeSet<(String, String)>> = TARGETS
        .iter()
        .map(|(name, key)| (*name, accounts_of(&sim, key)))
        .collect();
    let usernames = |target: &str| -> BTreeSet<String> {
        worlds[target]
            .iter()
            .map(|(name, _)| name.clone())
            .collect()
    };
    assert!(
        usernames("team-a").is_disjoint(&usernames("team-b")),
        "the two worlds must not share a username, or isolation proves nothing"
    );

    let (exporter_port, prometheus_port) = (free_port(), free_port());
    let exporter = format!("127.0.0.1:{exporter_port}");
    let _exporter = spawn(
        env!("CARGO_BIN_EXE_proxy911-exporter"),
        &[
            "--web.listen-address".into(),
            exporter.clone(),
            "--api.url".into(),
            url.clone(),
            "--config.file".into(),
            exporter_config(&dir).display().to_string(),
        ],
        &dir.join("exporter.log"),
    );

    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("alerts/proxy911.rules.yml");
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{evaluation_interval: 2s}}\nrule_files: [{}]\n{}",
            rules.display(),
            scrape_configs(&exporter)
        ),
    )
    .unwrap();
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

    // Four scrapes of each job: both probes and the exporter's own /metrics (rates need two).
    let scraped = format!("count by (target) (count_over_time(up{{job=\"{JOB}\"}}[1m]) >= 4)");
    eventually(
        Duration::from_secs(60),
        "four scrapes of each target and of /metrics",
        || {
            let (prometheus, scraped) = (prometheus.clone(), scraped.clone());
            async move { (query(&prometheus, &scraped).await?.len() == 3).then_some(()) }
        },
    )
    .await;

    // Up, as Prometheus sees it (the scrapes) and as the exporter says (each account's API).
    let up = settles(
        &prometheus,
        &format!("up{{job=\"{JOB}\"}}"),
        &[("", "1"), ("team-a", "1"), ("team-b", "1")],
    )
    .await;
    assert!(
        up.iter()
            .all(|s| s["metric"]["instance"] == exporter.as_str()),
        "{up:?}"
    );
    // One per target, none from /metrics (the exporter has no account of its own).
    let proxy911_up = format!("proxy911_up{{job=\"{JOB}\"}}");
    settles(
        &prometheus,
        &proxy911_up,
        &[("team-a", "1"), ("team-b", "1")],
    )
    .await;
    let targets = format!("proxy911_targets{{job=\"{JOB}\"}}");
    settles(&prometheus, &targets, &[("", "2")]).await;

    // Each target has its own world's accounts, and nothing of the other's.
    let (a, b) = (
        worlds["team-a"].len().to_string(),
        worlds["team-b"].len().to_string(),
    );
    let counts = "count by (target) (proxy911_account_info)";
    settles(&prometheus, counts, &[("team-a", &a), ("team-b", &b)]).await;
    // Every series with an account that Prometheus stored since it started.
    let labelled = query_now(
        &prometheus,
        &format!(
            "group by (target, account, account_id) (last_over_time({{job=\"{JOB}\", account!=\"\"}}[10m]))"
        ),
    )
    .await;
    let mut seen: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    for series in &labelled {
        let labels = &series["metric"];
        let target = labels["target"].as_str().unwrap_or("");
        let account = (
            labels["account"].as_str().unwrap().to_string(),
            labels["account_id"].as_str().unwrap_or("").to_string(),
        );
        let (own, other) = match target {
            "team-a" => ("team-a", "team-b"),
            "team-b" => ("team-b", "team-a"),
            _ => panic!("a series with an account and no target of ours: {labels}"),
        };
        assert!(
            !usernames(other).contains(&account.0),
            "a series of {target} carries {other}'s account {account:?}: {labels}"
        );
        assert!(
            worlds[own].contains(&account),
            "{account:?} is not an account of {own}: {labels}"
        );
        seen.entry(own).or_default().insert(account);
    }
    for (target, world) in &worlds {
        assert_eq!(seen.get(target), Some(world), "the accounts of {target}");
    }

    // Every dashboard panel for team-a: data where single-target has data, and only team-a's.
    let exprs = common::dashboard_exprs();
    assert!(exprs.len() >= 20, "{} panel queries", exprs.len());
    for (panel, expr) in exprs {
        assert!(expr.contains("$target"), "{panel} ignores $target: {expr}");
        let expr = panel_query(&expr, &exporter, "team-a");
        let need_history = NEED_HISTORY.iter().any(|name| expr.contains(name));
        // `query` fails the test at once on invalid PromQL.
        let result = eventually(
            Duration::from_secs(30),
            &format!("data for {panel}: {expr}"),
            || {
                let (prometheus, expr) = (prometheus.clone(), expr.clone());
                async move {
                    let result = query(&prometheus, &expr).await?;
                    (need_history || !result.is_empty()).then_some(result)
                }
            },
        )
        .await;
        for series in &result {
            let target = &series["metric"]["target"];
            assert!(
                target.is_null() || target == "team-a",
                "{panel} shows another target: {expr}: {series}"
            );
        }
    }

    // The alerts of both worlds' seeds (pending, the rules' `for:` is long) name their target
    // first; none says an app_key is rejected.
    let before = eventually(
        Duration::from_secs(30),
        "alerts (pending) for both targets",
        || {
            let prometheus = prometheus.clone();
            async move {
                let alerts = alerts(&prometheus).await?;
                let targets: BTreeSet<&str> = alerts
                    .iter()
                    .filter_map(|a| a["labels"]["target"].as_str())
                    .collect();
                (targets == BTreeSet::from(["team-a", "team-b"])).then_some(alerts)
            }
        },
    )
    .await;
    for alert in &before {
        if let Some(target) = alert["labels"]["target"].as_str() {
            let summary = alert["annotations"]["summary"].as_str().unwrap();
            assert!(summary.starts_with(&format!("[{target}] ")), "{alert}");
        }
        assert_ne!(
            alert["labels"]["alertname"], "Proxy911AppKeyRejected",
            "{alert}"
        );
    }

    // team-b's key is revoked: the API answers it code 3 on every endpoint, team-a as before.
    assert!(sim.set_fault_of(
        KEY_B,
        "*",
        Fault {
            failure: Some(Failure::Code3),
            ..Fault::default()
        }
    ));
    let rejected = eventually(
        Duration::from_secs(60),
        "Proxy911AppKeyRejected to fire for team-b",
        || {
            let prometheus = prometheus.clone();
            async move {
                let alerts = alerts(&prometheus).await?;
                let firing: Vec<Value> = alerts
                    .into_iter()
                    .filter(|a| {
                        a["labels"]["alertname"] == "Proxy911AppKeyRejected"
                            && a["state"] == "firing"
                    })
                    .collect();
                (!firing.is_empty()).then_some(firing)
            }
        },
    )
    .await;
    for alert in &rejected {
        assert_eq!(alert["labels"]["target"], "team-b", "{alert}");
        assert_eq!(alert["labels"]["severity"], "critical", "{alert}");
        assert_eq!(
            alert["annotations"]["summary"],
            "[team-b] The 911Proxy API rejects the exporter's app_key.",
            "{alert}"
        );
    }
    // Its data is gone, so its upstream is failing (pending: the rule waits 10 minutes).
    let failing = eventually(
        Duration::from_secs(30),
        "Proxy911UpstreamFailing for team-b",
        || {
            let prometheus = prometheus.clone();
            async move {
                alerts(&prometheus)
                    .await?
                    .into_iter()
                    .find(|a| a["labels"]["alertname"] == "Proxy911UpstreamFailing")
            }
        },
    )
    .await;
    assert_eq!(failing["labels"]["target"], "team-b", "{failing}");
    assert_eq!(
        failing["annotations"]["summary"],
        "[team-b] proxy911-exporter cannot refresh data from the 911Proxy API.",
        "{failing}"
    );

    // team-a is still up, and neither alert is active for it.
    settles(
        &prometheus,
        &proxy911_up,
        &[("team-a", "1"), ("team-b", "0")],
    )
    .await;
    let after = alerts(&prometheus).await.unwrap();
    for alert in &after {
        let labels = &alert["labels"];
        if let Some(target) = labels["target"].as_str() {
            let summary = alert["annotations"]["summary"].as_str().unwrap();
            assert!(summary.starts_with(&format!("[{target}] ")), "{alert}");
        }
        if ["Proxy911AppKeyRejected", "Proxy911UpstreamFailing"]
            .contains(&labels["alertname"].as_str().unwrap())
        {
            assert_eq!(labels["target"], "team-b", "team-a's key works: {alert}");
        }
    }
    let log = std::fs::read_to_string(dir.join("exporter.log")).unwrap();
    for (name, key) in TARGETS {
        assert!(
            !log.contains(key),
            "the app_key of {name} in the exporter's log"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
