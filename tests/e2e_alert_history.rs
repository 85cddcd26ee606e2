//! The two alerts that need a week of history, shown on series the exporter produced: the
//! traffic anomaly (`Proxy911AccountTrafficAnomaly`) and the balance runway
//! (`Proxy911BalanceRunwayShort`), which a live Prometheus cannot show in a test.
//!
//! The simulator's clock is frozen, then walked over 8 days in steps of half an hour; after each
//! step two exporters, built in-process as in production (`App::build`, every collector on,
//! `--cache.ttl 0s` so every scrape refreshes), are scraped on `/metrics`, each against its own
//! world: `short`, whose balance lasts about two days at its spend, and `topped`, topped up to
//! last months. At day 7.5 the simulator's leak control sets one account of `short` to 3 GB an
//! hour. Nothing else is arranged, and no metric value is written by the test: the samples of
//! the families the two alerts read are the exporter's, as scraped. They become promtool's
//! `input_series` (interval: the step, `job` and `instance` added as Prometheus adds them), and
//! the real `promtool test rules` runs the shipped rules on them. The rules go in as shipped but
//! for their `annotations`, which are removed from the copy the test gives promtool: promtool
//! compares an alert's annotations exactly, and theirs quote figures (a humanized traffic or
//! spend) that are the simulator's, not the rules'. Expected:
//!
//! - the anomaly fires at day 8 for the leaked account of `short` and for no other account of
//!   either world, and fires for none at 179h30m, half an hour before the leak;
//! - the runway alert fires at day 8 for `short` and not for `topped`, and for neither before
//!   a week of history (167h30m), when the runway cannot be computed yet.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{samples, APP_KEY};
use proxy911_exporter::collector::Selection;
use proxy911_exporter::config::Upstream;
use proxy911_simulator::Simulator;
use secrecy::SecretString;
use serde_json::json;

/// The second world's app_key.
const TOPPED_KEY: &str = "ToppedUpKEY0123456789abcdefghij";
/// One step of the walk, and the interval of promtool's input series.
const STEP: Duration = Duration::from_secs(30 * 60);
const STEPS_PER_HOUR: usize = 2;
/// 8 days.
const HOURS: usize = 192;
/// The leak starts at day 7.5.
const LEAK_HOUR: usize = 180;
const LEAKED: &str = "rotating01";
/// The families the two alerts (and the recorded series they read) use.
const FAMILIES: [&str; 3] = [
    "proxy911_account_traffic_used_bytes_total",
    "proxy911_balance",
    "proxy911_orders_fee",
];
const JOB: &str = "proxy911-exporter";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// An exporter with every collector on and no cache, against the simulator's world of `key`.
async fn exporter(url: &str, key: &str) -> SocketAddr {
    let (addr, _) = common::exporter_at(url, |c| {
        c.collectors = Selection::all();
        c.cache.ttl = Duration::ZERO;
        c.api.upstream = Upstream::Api {
            url: url.parse().unwrap(),
            app_key: SecretString::from(key.to_string()),
        };
    })
    .await;
    addr
}

type Labels = BTreeMap<String, String>;

/// The samples of [`FAMILIES`] in one scrape, by name and labels (with `job` and `instance` as
/// Prometheus would add them).
fn scraped(text: &str, instance: &str) -> BTreeMap<(String, Labels), f64> {
    samples(text)
        .into_iter()
        .filter(|s| FAMILIES.contains(&s.name.as_str()))
        .map(|mut s| {
            s.labels.insert("job".into(), JOB.into());
            s.labels.insert("instance".into(), instance.into());
            ((s.name, s.labels), s.value)
        })
        .collect()
}

/// A series as promtool reads it: `name{label="value", …}`.
fn selector(name: &str, labels: &Labels) -> String {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", json!(v)))
        .collect();
    format!("{name}{{{}}}", labels.join(", "))
}

/// The series recorded over the walk: each series' value at each step (`None` when a scrape
/// did not have it).
#[derive(Default)]
struct History {
    series: BTreeMap<(String, Labels), Vec<Option<f64>>>,
    steps: usize,
}

impl History {
    fn record(&mut self, scrape: BTreeMap<(String, Labels), f64>) {
        for (series, value) in scrape {
            let values = self.series.entry(series).or_default();
            values.resize(self.steps, None);
            values.push(Some(value));
        }
    }

    fn next_step(&mut self) {
        self.steps += 1;
    }

    /// promtool's `input_series`: one value a step, `_` for a step without a sample.
    fn input_series(&self) -> String {
        let mut yaml = String::new();
        for ((name, labels), values) in &self.series {
            let mut values = values.clone();
            values.resize(self.steps, None);
            let values: Vec<String> = values
                .iter()
                .map(|v| v.map_or_else(|| "_".to_string(), |v| format!("{v}")))
                .collect();
            yaml.push_str(&format!(
                "      - series: {}\n        values: {}\n",
                json!(selector(name, labels)),
                json!(values.join(" "))
            ));
        }
        yaml
    }
}

/// The shipped rules without their `annotations` (see the module's comment), as YAML.
fn rules_without_annotations() -> String {
    let text = std::fs::read_to_string(repo("alerts/proxy911.rules.yml")).unwrap();
    let mut rules: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let mut removed = 0;
    for group in rules["groups"].as_sequence_mut().unwrap() {
        for rule in group["rules"].as_sequence_mut().unwrap() {
            if let Some(rule) = rule.as_mapping_mut() {
                removed += usize::from(rule.remove("annotations").is_some());
            }
        }
    }
    assert!(removed > 0, "no annotations found to remove");
    serde_norway::to_string(&rules).unwrap()
}

/// The labels of the leaked account's traffic series, as the exporter wrote them, in YAML.
fn leaked_account_labels(history: &History) -> String {
    let found: Vec<&Labels> = history
        .series
        .keys()
        .filter(|(name, labels)| {
            name == FAMILIES[0] && labels.get("account").map(String::as_str) == Some(LEAKED)
        })
        .map(|(_, labels)| labels)
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["instance"], "short:9911");
    let labels: Vec<String> = found[0]
        .iter()
        .map(|(k, v)| format!("{k}: {}", json!(v)))
        .collect();
    labels.join(", ")
}

fn promtool_test(history: &History, anomaly_labels: &str) -> String {
    format!(
        r#"rule_files:
  - rules.yml
evaluation_interval: 30m
tests:
  - name: the exporter's series over 8 simulated days
    interval: 30m
    input_series:
{series}    alert_rule_test:
      - eval_time: 179h30m
        alertname: Proxy911AccountTrafficAnomaly
        exp_alerts: []
      - eval_time: 192h
        alertname: Proxy911AccountTrafficAnomaly
        exp_alerts:
          - exp_labels: {{severity: critical, {anomaly_labels}}}
      - eval_time: 167h30m
        alertname: Proxy911BalanceRunwayShort
        exp_alerts: []
      - eval_time: 192h
        alertname: Proxy911BalanceRunwayShort
        exp_alerts:
          - exp_labels: {{severity: warning, job: {JOB}, instance: "short:9911"}}
    promql_expr_test:
      - expr: instance:proxy911_balance_runway:days < bool 7
        eval_time: 192h
        exp_samples:
          - labels: '{{job="{JOB}", instance="short:9911"}}'
            value: 1
          - labels: '{{job="{JOB}", instance="topped:9911"}}'
            value: 0
"#,
        series = history.input_series(),
    )
}

/// Runs `promtool test rules` on `test` with `rules` beside it, in a folder of its own.
fn promtool(rules: &str, test: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("proxy911-alert-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rules.yml"), rules).unwrap();
    std::fs::write(dir.join("history.test.yml"), test).unwrap();
    let output = std::process::Command::new("promtool")
        .args(["test", "rules", "history.test.yml"])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("promtool is required (scripts/install-tools.sh installs it): {e}")
        });
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    (output.status.success(), report)
}

/// Sets the account's pace through the simulator's leak control, as an operator would.
async fn leak(url: &str, username: &str, gb_per_hour: f64) {
    let response = common::http()
        .post(format!("{url}/_simulator/leak"))
        .json(&json!({"username": username, "gb_per_hour": gb_per_hour}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
}

/// A world's balance, set in its state as a test arranges a world (the exporter reads it through
/// `user/info` like any other); its spend stays the simulator's hourly orders.
fn set_balance(sim: &Simulator, key: &str, balance: f64) {
    sim.with_world_of(key, |world| world.billing.balance = balance)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_weekly_alerts_fire_and_stay_quiet_on_the_exporters_own_series() {
    let (sim, url) = common::simulator(None).await;
    assert!(sim.add_app_key(TOPPED_KEY, None));
    sim.freeze_clock();
    // 55 a day goes on renewals (22 of 2.5), 2 top-ups add 60: about 2.5 days of runway for
    // `short` at day 8, months for `topped`.
    set_balance(&sim, APP_KEY, 100.0);
    set_balance(&sim, TOPPED_KEY, 5000.0);
    let short = exporter(&url, APP_KEY).await;
    let topped = exporter(&url, TOPPED_KEY).await;

    let mut history = History::default();
    for step in 0..=HOURS * STEPS_PER_HOUR {
        if step > 0 {
            sim.advance_clock(STEP);
        }
        let (a, b) = tokio::join!(common::scrape_text(short), common::scrape_text(topped));
        for text in [&a, &b] {
            // Every collector refreshed: no step is a stale copy of the one before.
            assert_eq!(
                common::value(text, "proxy911_up", &[]),
                Some(1.0),
                "step {step}"
            );
        }
        let mut scrape = scraped(&a, "short:9911");
        scrape.extend(scraped(&b, "topped:9911"));
        history.record(scrape);
        history.next_step();
        if step == LEAK_HOUR * STEPS_PER_HOUR {
            leak(&url, LEAKED, 3.0).await;
        }
    }

    let anomaly_labels = leaked_account_labels(&history);
    for family in FAMILIES {
        for instance in ["short:9911", "topped:9911"] {
            assert!(
                history
                    .series
                    .keys()
                    .any(|(name, labels)| name == family && labels["instance"] == instance),
                "no {family} from {instance}"
            );
        }
    }
    let test = promtool_test(&history, &anomaly_labels);
    let (ok, report) = promtool(&rules_without_annotations(), &test);
    assert!(ok, "promtool test rules:\n{report}");
}
