//! Shared test helpers: a fast client for wiremock, a simulator on loopback, an exporter built
//! through `App::build` against it, and a small exposition reader for assertions; `tls`:
//! certificates, web-config files and TLS clients for the listener tests.
#![allow(dead_code)] // each test binary uses a different subset

pub mod podman;
pub mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use proxy911_exporter::app::App;
use proxy911_exporter::cache::CachePolicy;
use proxy911_exporter::collector::Selection;
use proxy911_exporter::config::{ApiConfig, Config, LogConfig, LogFormat, Upstream, WebConfig};
use proxy911_exporter::upstream::client::install_crypto_provider;
use proxy911_exporter::upstream::UpstreamMetrics;
use proxy911_exporter::upstream::{Client, ClientOptions};
use proxy911_simulator::{Simulator, SimulatorOptions};
use secrecy::SecretString;

/// An app_key shaped like a real one (32 characters), distinctive enough to grep for.
pub const APP_KEY: &str = "Zk9SECRETappKEY0123456789abcdefQ";

/// A client with test-friendly pacing: no rate limit to speak of, short backoff and timeout.
pub fn client(base_url: &str) -> (Client, UpstreamMetrics) {
    let metrics = UpstreamMetrics::default();
    (client_with(base_url, metrics.clone()), metrics)
}

/// A client as [`client`]'s, counting into `metrics`.
pub fn client_with(base_url: &str, metrics: UpstreamMetrics) -> Client {
    install_crypto_provider();
    let options = ClientOptions {
        timeout: Duration::from_secs(2),
        rate_limit: 1000.0,
        rate_burst: 1000,
        backoff: Duration::from_millis(10),
        ..ClientOptions::new(base_url.parse().unwrap(), SecretString::from(APP_KEY))
    };
    Client::new(options, metrics).unwrap()
}

/// A simulator accepting [`APP_KEY`], served on a loopback port.
pub async fn simulator(accounts: Option<u32>) -> (Simulator, String) {
    let sim = Simulator::new(SimulatorOptions {
        app_key: APP_KEY.into(),
        accounts,
        faults: Vec::new(),
        ..SimulatorOptions::default()
    });
    let addr = sim
        .clone()
        .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    (sim, format!("http://{addr}"))
}

/// A configuration pointing at `api_url` with [`APP_KEY`], on a free loopback port.
pub fn config(api_url: &str) -> Config {
    Config {
        web: WebConfig {
            listen_address: SocketAddr::from(([127, 0, 0, 1], 0)),
            telemetry_path: "/metrics".into(),
            scrape_timeout_offset: Duration::from_millis(500),
            web_config_file: None,
            enable_lifecycle: false,
        },
        api: ApiConfig {
            upstream: Upstream::Api {
                url: api_url.parse().unwrap(),
                app_key: SecretString::from(APP_KEY),
            },
            timeout: Duration::from_secs(5),
            rate_limit: 1000.0,
            rate_burst: 1000,
            timezone: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
        },
        cache: CachePolicy {
            ttl: Duration::from_secs(60),
            max_stale: Duration::from_secs(900),
        },
        collectors: Selection::default(),
        admin: None,
        targets: None,
        log: LogConfig {
            format: LogFormat::Text,
            level: "info".into(),
        },
    }
}

/// An exporter (built by `App::build`, as in production) against its own simulator.
pub struct TestExporter {
    pub addr: SocketAddr,
    pub simulator: Simulator,
    pub http: reqwest::Client,
}

pub async fn exporter(tweak: impl FnOnce(&mut Config)) -> TestExporter {
    let (simulator, url) = simulator(None).await;
    let (addr, _) = exporter_at(&url, tweak).await;
    TestExporter {
        addr,
        simulator,
        http: http(),
    }
}

/// The admin token the test exporters use.
pub const ADMIN_TOKEN: &str = "AdminT0kenForTests";

/// Starts an exporter against any upstream (wiremock, or a simulator); returns the metrics
/// address and, with `--admin.listen-address`, the admin address.
pub async fn exporter_at(
    api_url: &str,
    tweak: impl FnOnce(&mut Config),
) -> (SocketAddr, Option<SocketAddr>) {
    let mut cfg = config(api_url);
    tweak(&mut cfg);
    let app = App::build(cfg).await.expect("the exporter builds");
    let addrs = (app.local_addr(), app.admin_addr());
    tokio::spawn(app.run(std::future::pending()));
    addrs
}

impl TestExporter {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET /metrics` in the classic text format.
    pub async fn scrape(&self) -> String {
        scrape_text(self.addr).await
    }
}

/// `GET /metrics` of the exporter at `addr`, in the classic text format.
pub async fn scrape_text(addr: SocketAddr) -> String {
    http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// One parsed sample: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Reads the samples of an exposition (either format), unescaping label values.
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Sample {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => panic!("no value in {line:?}"),
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    if chars.peek() == Some(&'{') {
        chars.next();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            let key = key.trim_start_matches(',').to_string();
            assert_eq!(chars.next(), Some('"'), "in {line:?}");
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.insert(key, value);
            match chars.next() {
                Some(',') if chars.peek() == Some(&'}') => {
                    chars.next();
                    break;
                }
                Some(',') => continue,
                _ => break,
            }
        }
    }
    let value: String = chars.collect();
    let value = value.split_whitespace().next().unwrap_or("");
    let value = match value {
        "+Inf" | "inf" | "+inf" => f64::INFINITY,
        "-Inf" | "-inf" => f64::NEG_INFINITY,
        v => v
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}")),
    };
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

/// The values of the samples of `name` whose labels include `labels`.
pub fn matching(text: &str, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    samples(text)
        .into_iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .collect()
}

/// The value of the one sample of `name` whose labels include `labels`.
pub fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found = matching(text, name, labels);
    assert!(
        found.len() <= 1,
        "{name} {labels:?} matches {} samples",
        found.len()
    );
    found.first().copied()
}

/// A plain HTTP client for talking to the exporter (reqwest needs the crypto provider first).
pub fn http() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A free loopback port (bound and released: good enough for tests on one machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `program args` from the repository root with `input` on stdin; returns whether it
/// succeeded, its stdout and its stderr. A missing tool fails the test with a pointer to the
/// script that installs it.
pub fn run_with_stdin(
    program: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    input: &str,
) -> (bool, String, String) {
    use std::io::Write;
    let program = program.as_ref();
    let mut child = std::process::Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program:?} is required (scripts/install-tools.sh installs it): {e}")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs a generator script (`python3 SCRIPT OUTPUT_DIR`) into a temporary directory and asserts
/// that each of `files` matches the committed copy in `committed_dir`.
pub fn assert_generated_in_step(script: &str, committed_dir: &str, files: &[&str]) {
    let dir = std::env::temp_dir().join(format!(
        "proxy911-generated-{}-{}",
        std::process::id(),
        committed_dir.replace('/', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, out, err) = run_with_stdin("python3", &[script, dir.to_str().unwrap()], "");
    assert!(ok, "{script}: {out}{err}");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(committed_dir);
    for name in files {
        let generated = std::fs::read_to_string(dir.join(name)).unwrap();
        let committed = std::fs::read_to_string(root.join(name)).unwrap();
        assert!(
            generated == committed,
            "{name} drifted: run python3 {script}"
        );
    }
}

/// Every PromQL expression of the shipped dashboards' panels, with "dashboard / panel" titles.
pub fn dashboard_exprs() -> Vec<(String, String)> {
    let mut exprs = Vec::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grafana/dashboards");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let board: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            board["schemaVersion"].as_u64().unwrap() >= 39,
            "{}",
            path.display()
        );
        for panel in board["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let title = format!(
                    "{} / {}",
                    board["title"].as_str().unwrap(),
                    panel["title"].as_str().unwrap()
                );
                exprs.push((title, target["expr"].as_str().unwrap().to_string()));
            }
        }
    }
    exprs
}

/// Recorded series that need days of history (up to a week) before they have a sample: the
/// panels reading them must be valid PromQL in the end-to-end tests, and
/// `tests/e2e_alert_actions.rs` (rules on a faster clock) shows the account habit computed from
/// the exporter's series.
pub const NEED_HISTORY: [&str; 3] = [
    "account:proxy911_account_traffic_used_bytes:avg_hourly_7d",
    "instance:proxy911_orders_paid_spend:avg_daily_7d",
    "instance:proxy911_balance_runway:days",
];

/// A dashboard query with its template variables substituted for one concrete selection: the
/// job the rules expect, `instance`, `target` (a regex: `.*` for every target, or none) and every
/// product type and account.
pub fn panel_query(expr: &str, instance: &str, target: &str) -> String {
    expr.replace("$job", "proxy911-exporter")
        .replace("$instance", instance)
        .replace("$product_type", ".*")
        .replace("$account", ".*")
        .replace("$target", target)
        .replace("$__rate_interval", "1m")
}

/// Path of the repository's Python venv interpreter (installed by scripts/install-tools.sh).
pub fn python() -> PathBuf {
    std::env::var_os("PROXY911_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

/// Starts the real binary on `127.0.0.1:port` against `url` with [`APP_KEY`], a rate limit that
/// does not bind, a clean PROXY911_* environment plus `env`, no colours (so any control
/// character in its log came from elsewhere) and its output captured.
pub fn spawn_exporter(
    port: u16,
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_proxy911-exporter"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    command
        .args([
            "--web.listen-address",
            &format!("127.0.0.1:{port}"),
            "--api.url",
            url,
        ])
        .args(["--api.rate-limit", "1000", "--api.rate-burst", "1000"])
        .args(args)
        .env("PROXY911_APP_KEY", APP_KEY)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Stops the exporter and returns everything it wrote to stderr, then stdout.
pub async fn stop_and_read_logs(mut child: tokio::process::Child) -> String {
    use tokio::io::AsyncReadExt;
    child.start_kill().unwrap();
    let mut logs = String::new();
    for pipe in [
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin>),
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin>),
    ]
    .into_iter()
    .flatten()
    {
        let mut pipe = pipe;
        pipe.read_to_string(&mut logs).await.unwrap();
    }
    logs
}

/// The sum of the samples of `name` whose labels include `labels`.
pub fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    matching(text, name, labels).into_iter().sum()
}

/// Polls `/metrics` on a loopback `port` until `ready` holds of its text (20 s at most, then the
/// test fails with the last answer); returns that text.
pub async fn metrics_until(port: u16, ready: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(response) = http()
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            last = response.text().await.unwrap_or_default();
            if ready(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/metrics on {port} never got ready; last answer:\n{last}");
}

/// The stderr of a spawned exporter, read as it is written: a test that lets the binary log a
/// lot (debug, many scrapes) must not leave the pipe full, or the binary blocks on its next line.
pub struct LogTail {
    text: std::sync::Arc<std::sync::Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
}

impl LogTail {
    /// Takes `child`'s stderr and reads it from now on.
    pub fn of(child: &mut tokio::process::Child) -> LogTail {
        use tokio::io::AsyncBufReadExt;
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut lines =
            tokio::io::BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
        let sink = text.clone();
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        LogTail { text, reader }
    }

    /// What the binary has logged so far.
    pub fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// Waits until the binary has logged a line holding `needle` (10 s at most, then the test
    /// fails with what it logged).
    pub async fn until_logged(&self, needle: &str) {
        self.until_logged_times(needle, 1).await;
    }

    /// Waits until `times` lines holding `needle` were logged (10 s at most, as above).
    pub async fn until_logged_times(&self, needle: &str, times: usize) {
        for _ in 0..200 {
            if self.text().lines().filter(|l| l.contains(needle)).count() >= times {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never logged {needle:?} {times} times:\n{}", self.text());
    }

    /// Stops `child` and returns everything it logged.
    pub async fn stop(self, mut child: tokio::process::Child) -> String {
        child.start_kill().unwrap();
        let _ = child.wait().await;
        let LogTail { text, reader } = self;
        let _ = reader.await;
        let text = text.lock().unwrap().clone();
        text
    }
}

/// Waits until the binary accepts connections on `port` (it binds before it serves); fails if
/// it exits first or does not listen within 20 s.
pub async fn wait_until_listening(port: u16, child: &mut tokio::process::Child) {
    let started = std::time::Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the exporter exited at start-up"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn signal(child: &tokio::process::Child, signal: libc::c_int) {
    let pid = child.id().expect("the exporter is running") as libc::pid_t;
    // SAFETY: kill(2) with the pid of a child this test started and still holds.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}
