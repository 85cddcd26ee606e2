//! Several 911Proxy accounts in one exporter (`--config.file`), against the simulator serving a
//! world per app_key: each target probed on its own with its own health, isolated from the
//! others (a hanging upstream delays nobody else), reloaded live (SIGHUP, `POST /-/reload`),
//! managed per target with scoped admin tokens, checked per target; and no key or token from
//! the file in any answer or log line.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{matching, value, ADMIN_TOKEN, APP_KEY};
use proxy911_exporter::app::App;
use proxy911_exporter::config::{TargetsConfig, TargetsFile, Upstream};
use proxy911_simulator::{Fault, Simulator};

const KEY_A: &str = "TeamAkeySECRET0123456789abcdef";
const KEY_B: &str = "TeamBkeySECRET0123456789abcdef";
const KEY_C: &str = "TeamCkeySECRET0123456789abcdef";
const TOKEN_A: &str = "TeamAadminTOKEN0123456789";
const TOKEN_B: &str = "TeamBadminTOKEN0123456789";

/// A folder with the keys and tokens of the targets, and a `config.yml` to write.
struct Folder(PathBuf);

impl Folder {
    fn new(test: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!(
            "proxy911-multi-target-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        for (name, secret) in [
            ("keys/a", KEY_A),
            ("keys/b", KEY_B),
            ("keys/c", KEY_C),
            ("keys/rejected", "NotAKeyTheSimulatorKnows0123"),
            ("keys/token-a", TOKEN_A),
            ("keys/token-b", TOKEN_B),
        ] {
            std::fs::write(dir.join(name), format!("{secret}\n")).unwrap();
        }
        Folder(dir)
    }

    fn config(&self) -> PathBuf {
        self.0.join("config.yml")
    }

    fn write(&self, yaml: &str) -> PathBuf {
        // Written whole then renamed, so a reload never reads half a file.
        let tmp = self.0.join("config.yml.tmp");
        std::fs::File::create(&tmp)
            .unwrap()
            .write_all(yaml.as_bytes())
            .unwrap();
        std::fs::rename(&tmp, self.config()).unwrap();
        self.config()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const TWO_TARGETS: &str = "targets:\n  team-a:\n    app_key_file: keys/a\n    admin_token_file: keys/token-a\n  team-b:\n    app_key_file: keys/b\n    admin_token_file: keys/token-b\n";

/// A simulator with a world for each of the targets' keys (and the tests' own [`APP_KEY`]).
async fn simulator() -> (Simulator, String) {
    let (sim, url) = common::simulator(None).await;
    for key in [KEY_A, KEY_B, KEY_C] {
        assert!(sim.add_app_key(key, None));
    }
    (sim, url)
}

fn usernames(sim: &Simulator, key: &str) -> Vec<String> {
    sim.with_world_of(key, |world| {
        world.accounts.iter().map(|a| a.username.clone()).collect()
    })
    .unwrap()
}

/// An exporter built in-process with the targets of `config`, and without an app_key of its
/// own unless `own_account`.
async fn exporter(
    url: &str,
    config: &Path,
    own_account: bool,
    tweak: impl FnOnce(&mut proxy911_exporter::config::Config),
) -> std::net::SocketAddr {
    let mut c = common::config(url);
    c.targets = Some(TargetsConfig {
        path: config.to_path_buf(),
        file: TargetsFile::read(config).unwrap(),
    });
    if !own_account {
        c.api.upstream = Upstream::TargetsOnly {
            url: url.parse().unwrap(),
        };
    }
    tweak(&mut c);
    let app = App::build(c).await.expect("the exporter builds");
    let addr = app.local_addr();
    tokio::spawn(app.run(std::future::pending()));
    addr
}

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let response = common::http()
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_target_is_probed_on_its_own_with_its_own_health_and_no_target_label() {
    let folder = Folder::new("probe");
    let (sim, url) = simulator().await;
    let addr = exporter(&url, &folder.write(TWO_TARGETS), false, |_| {}).await;

    let (status, a) = get(addr, "/probe?target=team-a").await;
    assert_eq!(status, 200, "{a}");
    let (_, b) = get(addr, "/probe?target=team-b").await;
    for (probe, own, other) in [(&a, KEY_A, KEY_B), (&b, KEY_B, KEY_A)] {
        assert_eq!(value(probe, "proxy911_up", &[]), Some(1.0), "{probe}");
        for name in usernames(&sim, own) {
            assert!(
                !matching(probe, "proxy911_account_info", &[("account", &name)]).is_empty(),
                "{name} missing"
            );
        }
        for name in usernames(&sim, other) {
            assert!(
                matching(probe, "proxy911_account_info", &[("account", &name)]).is_empty(),
                "{name} of the other target in this probe"
            );
        }
        assert!(
            value(
                probe,
                "proxy911_collector_success",
                &[("collector", "accounts")]
            ) == Some(1.0)
        );
        assert!(
            probe.contains("proxy911_upstream_requests_total{"),
            "{probe}"
        );
        assert!(
            !probe.contains("target="),
            "no label names the target: {probe}"
        );
        assert!(
            !probe.contains("process_"),
            "process metrics are /metrics' own"
        );
        assert!(!probe.contains("proxy911_exporter_build_info"));
        assert!(!probe.contains("proxy911_targets"));
    }

    let (status, metrics) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        value(&metrics, "proxy911_targets", &[]),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        value(&metrics, "proxy911_config_last_reload_successful", &[]),
        Some(1.0)
    );
    assert!(
        value(
            &metrics,
            "proxy911_config_last_reload_success_timestamp_seconds",
            &[]
        )
        .unwrap()
            > 1.7e9
    );
    assert!(metrics.contains("proxy911_exporter_build_info{"));
    assert!(metrics.contains("process_"), "{metrics}");
    assert!(
        value(&metrics, "proxy911_up", &[]).is_none(),
        "without an app_key of its own, /metrics has no account: {metrics}"
    );
    for secret in [KEY_A, KEY_B, TOKEN_A, TOKEN_B] {
        assert!(!a.contains(secret) && !b.contains(secret) && !metrics.contains(secret));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_app_key_of_its_own_metrics_still_serves_that_account_as_before() {
    let folder = Folder::new("own");
    let (sim, url) = simulator().await;
    let addr = exporter(&url, &folder.write(TWO_TARGETS), true, |_| {}).await;
    let (_, metrics) = get(addr, "/metrics").await;
    assert_eq!(value(&metrics, "proxy911_up", &[]), Some(1.0), "{metrics}");
    for name in usernames(&sim, APP_KEY) {
        assert!(!matching(&metrics, "proxy911_account_info", &[("account", &name)]).is_empty());
    }
    for name in usernames(&sim, KEY_A) {
        assert!(matching(&metrics, "proxy911_account_info", &[("account", &name)]).is_empty());
    }
    assert_eq!(value(&metrics, "proxy911_targets", &[]), Some(2.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_app_key_probes_as_200_with_up_0_and_no_data_series() {
    let folder = Folder::new("rejected");
    let (_sim, url) = simulator().await;
    let config = folder.write("targets:\n  bad:\n    app_key_file: keys/rejected\n");
    let addr = exporter(&url, &config, false, |_| {}).await;
    let (status, probe) = get(addr, "/probe?target=bad").await;
    assert_eq!(status, 200);
    assert_eq!(value(&probe, "proxy911_up", &[]), Some(0.0), "{probe}");
    assert!(matching(&probe, "proxy911_account_info", &[]).is_empty());
    assert!(
        !probe.contains("NotAKeyTheSimulatorKnows"),
        "the rejected key is never shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_target_is_404_naming_it_and_a_missing_or_empty_one_400() {
    let folder = Folder::new("unknown");
    let (_sim, url) = simulator().await;
    let addr = exporter(&url, &folder.write(TWO_TARGETS), false, |_| {}).await;
    let (status, text) = get(addr, "/probe?target=team-z").await;
    assert_eq!(status, 404);
    assert!(text.contains("team-z"), "{text}");
    for path in ["/probe", "/probe?target=", "/probe?other=team-a"] {
        assert_eq!(get(addr, path).await.0, 400, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_negotiate_openmetrics_and_gzip_as_metrics_does() {
    let folder = Folder::new("negotiate");
    let (_sim, url) = simulator().await;
    let addr = exporter(&url, &folder.write(TWO_TARGETS), false, |_| {}).await;
    let response = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("http://{addr}/probe?target=team-a"))
        .header("accept", "application/openmetrics-text;version=1.0.0")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body = response.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("proxy911_up 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_whose_upstream_hangs_never_delays_another_targets_first_probe() {
    let folder = Folder::new("isolation");
    let (sim, url) = simulator().await;
    // Every request with team-b's key hangs for an hour.
    assert!(sim.set_fault_of(
        KEY_B,
        "*",
        Fault {
            latency: Some(Duration::from_secs(3600)),
            ..Fault::default()
        }
    ));
    let addr = exporter(&url, &folder.write(TWO_TARGETS), false, |_| {}).await;

    // team-b's probe waits for its refreshes up to the scrape deadline (60 s here) ...
    let hanging = tokio::spawn(async move {
        common::http()
            .get(format!("http://{addr}/probe?target=team-b"))
            .header("x-prometheus-scrape-timeout-seconds", "60")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    // ... and once its first request has reached the simulator, team-a's cold probe runs.
    let started = Instant::now();
    while sim.request_counts_of(KEY_B).unwrap().values().sum::<u64>() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "team-b never asked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let a = common::http()
        .get(format!("http://{addr}/probe?target=team-a"))
        .header("x-prometheus-scrape-timeout-seconds", "60")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(value(&a, "proxy911_up", &[]), Some(1.0), "{a}");
    assert!(!matching(&a, "proxy911_account_info", &[]).is_empty());
    assert!(
        !hanging.is_finished(),
        "team-a answered in full while team-b is still waiting on its upstream"
    );
    // And /metrics is not held either.
    let (status, metrics) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(value(&metrics, "proxy911_targets", &[]), Some(2.0));
    assert!(!hanging.is_finished());
    hanging.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_reload_is_403_without_the_lifecycle_flag_and_applies_the_file_with_it() {
    let folder = Folder::new("post-reload");
    let (_sim, url) = simulator().await;
    let config = folder.write(TWO_TARGETS);
    let without = exporter(&url, &config, false, |_| {}).await;
    let response = common::http()
        .post(format!("http://{without}/-/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("--web.enable-lifecycle"));

    let with = exporter(&url, &config, false, |c| c.web.enable_lifecycle = true).await;
    assert_eq!(get(with, "/probe?target=team-c").await.0, 404);
    folder.write(
        "targets:\n  team-a:\n    app_key_file: keys/a\n  team-c:\n    app_key_file: keys/c\n",
    );
    let response = common::http()
        .post(format!("http://{with}/-/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(get(with, "/probe?target=team-c").await.0, 200);
    assert_eq!(get(with, "/probe?target=team-b").await.0, 404, "removed");

    folder.write("targets:\n  team-a:\n    app_key_file: keys/a\n    surprise: 1\n");
    let response = common::http()
        .post(format!("http://{with}/-/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("surprise") && text.contains("line 4"),
        "{text}"
    );
    assert_eq!(get(with, "/probe?target=team-c").await.0, 200, "kept");
    let (_, metrics) = get(with, "/metrics").await;
    assert_eq!(
        value(&metrics, "proxy911_config_last_reload_successful", &[]),
        Some(0.0)
    );
    assert_eq!(value(&metrics, "proxy911_targets", &[]), Some(2.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_token_manages_every_target_and_a_targets_own_token_only_its_target() {
    let folder = Folder::new("admin");
    let (sim, url) = simulator().await;
    let addr = exporter(&url, &folder.write(TWO_TARGETS), false, |c| {
        c.admin = Some(proxy911_exporter::config::AdminConfig::new(
            ADMIN_TOKEN.into(),
        ))
    })
    .await;
    let admin = |method: reqwest::Method, path: &str, token: &str| {
        common::http()
            .request(method, format!("http://{addr}/admin{path}"))
            .bearer_auth(token)
    };
    let status = |r: reqwest::Response| r.status().as_u16();

    for (path, token, expected) in [
        ("/targets/team-a/accounts", ADMIN_TOKEN, 200),
        ("/targets/team-b/accounts", ADMIN_TOKEN, 200),
        ("/targets/team-a/accounts", TOKEN_A, 200),
        ("/targets/team-b/accounts", TOKEN_A, 403),
        ("/targets/team-a/accounts", TOKEN_B, 403),
        ("/targets/team-a/accounts", "NoSuchTokenAnywhere", 401),
        ("/targets/team-z/accounts", ADMIN_TOKEN, 404),
        ("/targets/team-z/accounts", TOKEN_B, 404),
        // Without a token, no name is confirmed or denied.
        ("/targets/team-z/accounts", "NoSuchTokenAnywhere", 401),
        ("/targets/team-a/accounts", "", 401),
        // No app_key of its own: nothing to manage at /admin/accounts.
        ("/accounts", ADMIN_TOKEN, 404),
        ("/accounts", TOKEN_A, 404),
    ] {
        let response = admin(reqwest::Method::GET, path, token)
            .send()
            .await
            .unwrap();
        assert_eq!(status(response), expected, "{path} with {}", &token[..6]);
    }

    // A target's token changes its own target, and only there.
    let before_b = usernames(&sim, KEY_B);
    let response = admin(reqwest::Method::POST, "/targets/team-a/accounts", TOKEN_A)
        .json(&serde_json::json!({"accounts": [{"username": "newbyteama", "password": "Passw0rdxyz"}], "product_type": 9}))
        .send()
        .await
        .unwrap();
    let code = response.status();
    let body = response.text().await.unwrap();
    assert!(code.is_success(), "{code}: {body}");
    assert!(usernames(&sim, KEY_A).contains(&"newbyteama".to_string()));
    assert_eq!(usernames(&sim, KEY_B), before_b);
    let (_, probe) = get(addr, "/probe?target=team-a").await;
    assert!(
        !matching(
            &probe,
            "proxy911_account_info",
            &[("account", "newbyteama")]
        )
        .is_empty(),
        "the change invalidated team-a's accounts"
    );

    let (_, metrics) = get(addr, "/metrics").await;
    assert_eq!(
        value(
            &metrics,
            "proxy911_admin_auth_failures_total",
            &[("reason", "other_target")]
        ),
        Some(2.0),
        "{metrics}"
    );
    assert!(!body.contains("Passw0rdxyz"));
}

// --- The real binary: start-up, SIGHUP, audit lines, check. ---

/// The binary with `args`, no PROXY911_* from the environment and no app_key of its own.
fn binary(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Polls `path` until `done` holds of (status, body), 20 s at most.
async fn until(port: u16, path: &str, done: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut last = (0, String::new());
    for _ in 0..200 {
        last = get(addr, path).await;
        if done(last.0, &last.1) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never got there: {} {}", last.0, last.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_config_file_stops_start_up_with_exit_2_and_one_line_naming_file_line_and_key() {
    let folder = Folder::new("broken-start");
    let config =
        folder.write("targets:\n  team-a:\n    app_key_file: keys/a\n    rate_limit: fast\n");
    let output = binary(&["--config.file", config.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for part in [
        config.to_str().unwrap(),
        "line 4",
        "targets.team-a.rate_limit",
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    // Without a config file, a missing app_key is the error it always was.
    let output = binary(&[]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no app_key given"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_adds_changes_and_removes_targets_and_a_broken_file_keeps_them_with_one_error() {
    let folder = Folder::new("sighup");
    let (sim, url) = simulator().await;
    let config = folder.write(TWO_TARGETS);
    let port = common::free_port();
    let mut child = binary(&[
        "--web.listen-address",
        &format!("127.0.0.1:{port}"),
        "--api.url",
        &url,
        "--config.file",
        config.to_str().unwrap(),
        "--admin.token-file",
        folder.0.join("keys/token-b").to_str().unwrap(),
    ])
    .spawn()
    .unwrap();
    common::wait_until_listening(port, &mut child).await;
    let first_a = usernames(&sim, KEY_A)[0].clone();
    let first_c = usernames(&sim, KEY_C)[0].clone();
    until(port, "/probe?target=team-a", |s, b| {
        s == 200 && b.contains(&first_a)
    })
    .await;

    // team-a now reads team-c's account; team-b leaves; team-c arrives.
    folder.write(
        "targets:\n  team-a:\n    app_key_file: keys/c\n  team-c:\n    app_key_file: keys/c\n",
    );
    common::signal(&child, libc::SIGHUP);
    until(port, "/probe?target=team-b", |s, _| s == 404).await;
    until(port, "/probe?target=team-c", |s, b| {
        s == 200 && b.contains(&first_c)
    })
    .await;
    let (_, a) = until(port, "/probe?target=team-a", |_, b| b.contains(&first_c)).await;
    assert!(
        !a.contains(&first_a),
        "the changed key is used from the next refresh"
    );

    // A broken file: everything stays, the metric says so, one ERROR.
    folder.write("targets:\n  team-a:\n    app_key_file: keys/nowhere\n");
    common::signal(&child, libc::SIGHUP);
    let (_, metrics) = until(port, "/metrics", |_, b| {
        b.contains("proxy911_config_last_reload_successful 0")
    })
    .await;
    assert!(metrics.contains("proxy911_targets 2"), "{metrics}");
    assert_eq!(
        until(port, "/probe?target=team-c", |s, _| s == 200).await.0,
        200
    );

    // An admin change under the global token is audited with the target's name.
    let response = common::http()
        .get(format!(
            "http://127.0.0.1:{port}/admin/targets/team-c/accounts"
        ))
        .bearer_auth(TOKEN_B)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the global token (here team-b's old one) manages all"
    );

    let logs = common::stop_and_read_logs(child).await;
    let errors: Vec<_> = logs.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "{logs}");
    assert!(
        errors[0].contains("keys/nowhere") && errors[0].contains("line 3"),
        "{}",
        errors[0]
    );
    assert!(logs.contains("SIGHUP: --config.file reloaded"), "{logs}");
    assert!(
        logs.lines()
            .any(|l| l.contains("admin operation") && l.contains("target_name=team-c")),
        "{logs}"
    );
    for secret in [KEY_A, KEY_B, KEY_C, TOKEN_A, TOKEN_B] {
        assert!(!logs.contains(secret), "a secret in the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_every_target_or_one_with_one_exit_code() {
    let folder = Folder::new("check");
    let (_sim, url) = simulator().await;
    let config = folder.write(TWO_TARGETS);
    let run = |args: Vec<String>| {
        let mut all = vec!["check".to_string(), "--api.url".into(), url.clone()];
        all.extend(args);
        async move {
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            binary(&all).output().await.unwrap()
        }
    };
    let config_arg = config.to_str().unwrap().to_string();

    let output = run(vec!["--config.file".into(), config_arg.clone()]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("== target team-a ==") && stdout.contains("== target team-b =="));

    let output = run(vec![
        "--config.file".into(),
        config_arg.clone(),
        "--target".into(),
        "team-b".into(),
        "--output".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let targets = json["targets"].as_object().unwrap();
    assert_eq!(targets.keys().collect::<Vec<_>>(), vec!["team-b"]);

    folder.write(
        "targets:\n  team-a:\n    app_key_file: keys/a\n  bad:\n    app_key_file: keys/rejected\n",
    );
    let output = run(vec!["--config.file".into(), config_arg.clone()]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "one target failed: {stdout}");
    assert!(!stdout.contains("NotAKeyTheSimulatorKnows"));

    let output = run(vec![
        "--config.file".into(),
        config_arg,
        "--target".into(),
        "nobody".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nobody"));
}

/// A firing traffic-anomaly alert naming `account` (and its id), with a `target` label if given.
fn anomaly(account: &str, account_id: i64, target: Option<&str>) -> serde_json::Value {
    let mut labels = serde_json::json!({
        "alertname": "Proxy911AccountTrafficAnomaly",
        "account": account,
        "account_id": account_id.to_string(),
        "severity": "critical",
    });
    if let Some(target) = target {
        labels["target"] = target.into();
    }
    serde_json::json!({
        "status": "firing",
        "labels": labels,
        "annotations": {},
        "startsAt": "2026-12-04T11:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alertmanager_alert_is_acted_on_only_at_the_route_of_the_target_it_names() {
    let folder = Folder::new("alert-actions");
    let (sim, url) = simulator().await;
    let addr = exporter(&url, &folder.write(TWO_TARGETS), true, |c| {
        c.admin = Some(proxy911_exporter::config::AdminConfig::new(
            ADMIN_TOKEN.into(),
        ))
    })
    .await;
    let first_of = |key: &str| {
        sim.with_world_of(key, |w| {
            let a = w
                .accounts
                .iter()
                .find(|a| {
                    w.accounts
                        .iter()
                        .filter(|b| b.username == a.username)
                        .count()
                        == 1
                })
                .unwrap();
            (a.username.clone(), a.id)
        })
        .unwrap()
    };
    let (a_name, a_id) = first_of(KEY_A);
    let (own_name, own_id) = first_of(APP_KEY);
    let notify = |path: &'static str, alerts: Vec<serde_json::Value>| async move {
        let body = serde_json::json!({"version": "4", "status": "firing", "receiver": "r",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
            "groupKey": "{}", "truncatedAlerts": 0, "alerts": alerts});
        let response = common::http()
            .post(format!("http://{addr}/admin{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let answer: serde_json::Value = response.json().await.unwrap();
        answer["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                format!(
                    "{}/{}",
                    a["action"].as_str().unwrap(),
                    a["reason"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };

    let at_a = notify(
        "/targets/team-a/alertmanager",
        vec![
            anomaly(&a_name, a_id, Some("team-a")),
            anomaly(&a_name, a_id, Some("team-b")),
            anomaly(&a_name, a_id, None),
        ],
    )
    .await;
    assert_eq!(
        at_a,
        vec![
            "would_disable/log_mode",
            "skipped/other_target",
            "skipped/other_target"
        ]
    );
    let at_own = notify(
        "/alertmanager",
        vec![
            anomaly(&own_name, own_id, None),
            anomaly(&a_name, a_id, Some("team-a")),
        ],
    )
    .await;
    assert_eq!(
        at_own,
        vec!["would_disable/log_mode", "skipped/other_target"]
    );
}
