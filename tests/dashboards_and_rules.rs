//! The shipped dashboards and rules, checked without a Prometheus: the dashboards match their
//! generator and type-check against Grafana's dashboard schema, the rules pass `promtool check rules` and `promtool test rules` (both test files), the example
//! Alertmanager configuration passes `amtool check-config`, and every metric name that a panel or
//! a rule uses is one the exporter exposes (or a recording rule defines). For several accounts in
//! one exporter (multi-target): every panel and variable filters by the `target` variable, and the
//! example scrape configuration (examples/prometheus-multi-target.yml) passes `promtool check
//! config` and relabels each account's name into its `target` label.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn run(program: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .current_dir(repo(""))
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is required (scripts/install-tools.sh installs it): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Every `expr` of the rule file, and the names its recording rules define.
fn rule_exprs() -> (Vec<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(repo("alerts/proxy911.rules.yml")).unwrap();
    let mut exprs = Vec::new();
    let mut records = BTreeSet::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("- record: ") {
            records.insert(name.trim().to_string());
        } else if let Some(expr) = trimmed.strip_prefix("expr: ") {
            if expr.trim() == "|" {
                let indent = lines
                    .peek()
                    .map(|l| l.len() - l.trim_start().len())
                    .unwrap_or(0);
                let mut block = String::new();
                while let Some(next) = lines.peek() {
                    if next.trim().is_empty() || next.len() - next.trim_start().len() < indent {
                        break;
                    }
                    block.push_str(lines.next().unwrap().trim());
                    block.push(' ');
                }
                exprs.push(block);
            } else {
                exprs.push(expr.trim().to_string());
            }
        }
    }
    (exprs, records)
}

/// Identifiers in a PromQL expression that look like metric names of ours.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut current = String::new();
    let mut in_string = false;
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c == '"' {
            in_string = !in_string;
            current.clear();
            continue;
        }
        if !in_string && (c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            current.push(c);
            continue;
        }
        if current.starts_with("proxy911_")
            || current.starts_with("process_")
            || current.contains(':')
        {
            names.insert(current.clone());
        }
        current.clear();
    }
    names
}

#[test]
fn the_dashboards_match_their_generator() {
    common::assert_generated_in_step(
        "grafana/build_dashboards.py",
        "grafana/dashboards",
        &["proxy911-overview.json", "proxy911-accounts.json"],
    );
}

/// Each dashboard embedded in TypeScript as an object literal typed `Dashboard`, so literal values
/// are checked against the schema's unions (a JSON import would widen them to `string`).
#[test]
fn the_dashboards_type_check_against_grafanas_dashboard_schema() {
    let mut source = String::from("import type { Dashboard } from '@grafana/schema';\n");
    let mut names: Vec<_> = std::fs::read_dir(repo("grafana/dashboards"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for (i, path) in names.iter().enumerate() {
        let json = std::fs::read_to_string(path).unwrap();
        source.push_str(&format!(
            "// {}\nexport const dashboard{i}: Dashboard = {json};\n",
            path.display()
        ));
    }
    std::fs::write(repo("grafana/schema-check/dashboards.generated.ts"), source).unwrap();

    let tsc = repo("grafana/schema-check/node_modules/.bin/tsc");
    let (ok, report) = run(tsc.to_str().unwrap(), &["-p", "grafana/schema-check"]);

    assert!(ok, "tsc against @grafana/schema:\n{report}");
}

#[test]
fn the_rules_pass_promtool_check_and_their_unit_tests() {
    let (ok, report) = run("promtool", &["check", "rules", "alerts/proxy911.rules.yml"]);
    assert!(ok, "{report}");
    let (ok, report) = run(
        "promtool",
        &[
            "test",
            "rules",
            "alerts/proxy911.rules.test.yml",
            "alerts/proxy911.weekly.test.yml",
        ],
    );
    assert!(ok, "{report}");
}

#[test]
fn every_alert_has_severity_annotations_a_runbook_and_a_unit_test() {
    let rules = std::fs::read_to_string(repo("alerts/proxy911.rules.yml")).unwrap();
    let tests = std::fs::read_to_string(repo("alerts/proxy911.rules.test.yml")).unwrap()
        + &std::fs::read_to_string(repo("alerts/proxy911.weekly.test.yml")).unwrap();
    let runbooks = std::fs::read_to_string(repo("docs/runbooks.md")).unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 19);
    for alert in alerts {
        assert!(alert.starts_with("Proxy911"), "{alert}");
        assert!(
            runbooks.contains(&format!("\n## {alert}\n")),
            "{alert} has no runbook section"
        );
        assert!(
            rules.contains(&format!("runbooks.md#{}", alert.to_lowercase())),
            "{alert} runbook_url"
        );
        assert!(
            tests.contains(&format!("alertname: {alert}\n")),
            "{alert} has no promtool test"
        );
    }
    for annotation in ["severity: ", "summary: ", "description: ", "runbook_url: "] {
        assert_eq!(rules.matches(annotation).count(), 19, "{annotation}");
    }
}

#[test]
fn the_example_alertmanager_config_passes_amtool() {
    let (ok, report) = run(
        "amtool",
        &["check-config", "alerts/alertmanager.example.yml"],
    );
    assert!(ok, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_in_dashboards_and_rules_is_exposed() {
    // Every collector on, as the demo runs: the panels of the off-by-default ones need data too.
    let exporter = common::exporter(|c| {
        c.collectors = proxy911_exporter::collector::Selection::all();
    })
    .await;
    let text = exporter.scrape().await;
    let mut exposed: BTreeSet<String> =
        common::samples(&text).into_iter().map(|s| s.name).collect();
    for line in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let mut parts = line.split_whitespace();
        let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
        exposed.insert(name.to_string());
        if kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                exposed.insert(format!("{name}{suffix}"));
            }
        }
    }
    let (rules, records) = rule_exprs();
    let mut used = BTreeSet::new();
    for (_, expr) in common::dashboard_exprs() {
        used.extend(metric_names(&expr));
    }
    for expr in &rules {
        used.extend(metric_names(expr));
    }
    assert!(used.len() > 15, "{used:?}");
    let unknown: Vec<_> = used
        .iter()
        .filter(|n| !exposed.contains(*n) && !records.contains(*n))
        .collect();
    assert!(unknown.is_empty(), "used but never exposed: {unknown:?}");
}

/// Each selector of one of our series in `expr` (a name holding `proxy911_`, recorded ones
/// included), with its matchers as written (empty for a bare name).
fn our_selectors(expr: &str) -> Vec<(String, Vec<String>)> {
    let chars: Vec<char> = expr.chars().collect();
    let mut selectors = Vec::new();
    let (mut i, mut in_string) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            in_string = !in_string;
            i += 1;
            continue;
        }
        if in_string || !(c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if !name.contains("proxy911_") {
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        let mut matchers = Vec::new();
        if chars.get(j) == Some(&'{') {
            let (mut current, mut quoted) = (String::new(), false);
            j += 1;
            while j < chars.len() && (quoted || chars[j] != '}') {
                match chars[j] {
                    '"' => {
                        quoted = !quoted;
                        current.push('"');
                    }
                    ',' if !quoted => matchers.push(std::mem::take(&mut current)),
                    c if c.is_whitespace() && !quoted => {}
                    c => current.push(c),
                }
                j += 1;
            }
            matchers.push(current);
            matchers.retain(|m| !m.is_empty());
            i = j + 1;
        }
        selectors.push((name, matchers));
    }
    selectors
}

/// The selectors of `expr` that do not filter by the dashboards' target variable.
fn selectors_without_target(expr: &str) -> Vec<String> {
    our_selectors(expr)
        .into_iter()
        .filter(|(_, matchers)| !matchers.iter().any(|m| m == "target=~\"$target\""))
        .map(|(name, matchers)| format!("{name}{{{}}}", matchers.join(", ")))
        .collect()
}

#[test]
fn every_dashboard_query_and_variable_filters_each_of_our_selectors_by_target() {
    // The check itself: a selector without the matcher, or a bare name, is caught; the matcher
    // anywhere in the braces, or inside a string, is read as it is.
    assert_eq!(
        selectors_without_target(
            r#"sum by (target) (rate(proxy911_a{job=~"$job", target=~"$target"}[5m])) / proxy911_b{x="a,}"} + instance:proxy911_c"#
        ),
        ["proxy911_b{x=\"a,}\"}", "instance:proxy911_c{}"]
    );

    let mut missing = Vec::new();
    let mut checked = 0;
    for (panel, expr) in common::dashboard_exprs() {
        checked += our_selectors(&expr).len();
        for selector in selectors_without_target(&expr) {
            missing.push(format!("{panel}: {selector}"));
        }
    }
    for entry in std::fs::read_dir(repo("grafana/dashboards")).unwrap() {
        let board: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let title = board["title"].as_str().unwrap().to_string();
        let variables = board["templating"]["list"].as_array().unwrap();
        let target = variables
            .iter()
            .find(|v| v["name"] == "target")
            .unwrap_or_else(|| panic!("{title} has no target variable"));
        assert_eq!(target["type"], "query", "{title}");
        assert_eq!(
            target["query"]["query"], "label_values(proxy911_up, target)",
            "{title}"
        );
        assert_eq!(target["multi"], true, "{title}");
        assert_eq!(target["includeAll"], true, "{title}");
        assert_eq!(
            target["allValue"], ".*",
            "{title}: All must match series without a target label"
        );
        // Every other variable reads the target, so it comes before them.
        let position = |name: &str| variables.iter().position(|v| v["name"] == name);
        for variable in variables.iter().filter(|v| v["type"] == "query") {
            let name = variable["name"].as_str().unwrap();
            if name == "target" {
                continue;
            }
            assert!(position("target") < position(name), "{title}: ${name}");
            let query = variable["query"]["query"]
                .as_str()
                .or_else(|| variable["query"].as_str())
                .unwrap();
            checked += our_selectors(query).len();
            for selector in selectors_without_target(query) {
                missing.push(format!("{title} / variable {name}: {selector}"));
            }
        }
    }
    assert!(checked > 50, "{checked} selectors checked");
    assert!(
        missing.is_empty(),
        "selectors without target=~\"$target\":\n{}",
        missing.join("\n")
    );
}

/// A YAML file of the repository as JSON, through PyYAML from the venv.
fn yaml_file(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo(path)).unwrap();
    let (ok, out, err) = common::run_with_stdin(
        common::python(),
        &[
            "-c",
            "import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin)))",
        ],
        &text,
    );
    assert!(ok, "{path}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_multi_target_scrape_config_example_passes_promtool_and_probes_each_target() {
    let (ok, report) = run(
        "promtool",
        &["check", "config", "examples/prometheus-multi-target.yml"],
    );
    assert!(ok, "{report}");

    let config = yaml_file("examples/prometheus-multi-target.yml");
    let jobs = config["scrape_configs"].as_array().unwrap();
    let probe = jobs
        .iter()
        .find(|j| j["metrics_path"] == "/probe")
        .expect("a job scraping /probe");
    assert_eq!(probe["job_name"], "proxy911-exporter", "the rules' job");
    assert_eq!(
        probe["static_configs"][0]["targets"],
        serde_json::json!(["team-a", "team-b"])
    );
    // Relabelled in this order: the listed name to the parameter, the parameter to the label,
    // then the address to the exporter's (the default listen port, 9911).
    let relabel: Vec<(serde_json::Value, &str, Option<&str>)> = probe["relabel_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source_labels"].clone(),
                r["target_label"].as_str().unwrap(),
                r["replacement"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        relabel,
        [
            (serde_json::json!(["__address__"]), "__param_target", None),
            (serde_json::json!(["__param_target"]), "target", None),
            (
                serde_json::Value::Null,
                "__address__",
                Some("127.0.0.1:9911")
            ),
        ]
    );

    // The exporter's own /metrics, under the job the rules watch.
    let own = jobs
        .iter()
        .find(|j| j["metrics_path"].is_null() || j["metrics_path"] == "/metrics")
        .expect("a job scraping the exporter's /metrics");
    assert_eq!(
        own["static_configs"][0]["targets"],
        serde_json::json!(["127.0.0.1:9911"])
    );
    assert!(own["relabel_configs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["target_label"] == "job" && r["replacement"] == "proxy911-exporter"));
}
