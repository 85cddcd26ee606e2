//! The real binary's command line: every flag/env pair, secrets from a file or the environment,
//! and exit code 2 with a message naming the flag for each invalid value.

mod common;

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_proxy911-exporter");

/// Runs the binary with a clean PROXY911_* environment plus `env`.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every flag with its environment variable and a value it must reject.
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "--web.listen-address",
        "PROXY911_LISTEN_ADDRESS",
        "not-an-address",
    ),
    ("--web.telemetry-path", "PROXY911_TELEMETRY_PATH", "metrics"),
    ("--api.url", "PROXY911_API_URL", "ftp://example.com"),
    ("--api.timeout", "PROXY911_API_TIMEOUT", "10 parsecs"),
    ("--api.rate-limit", "PROXY911_API_RATE_LIMIT", "-2"),
    ("--api.rate-burst", "PROXY911_API_RATE_BURST", "0"),
    ("--cache.ttl", "PROXY911_CACHE_TTL", "a while"),
    (
        "--cache.max-stale",
        "PROXY911_CACHE_MAX_STALE",
        "15 minutes-ish",
    ),
    (
        "--admin.listen-address",
        "PROXY911_ADMIN_LISTEN_ADDRESS",
        "localhost",
    ),
    (
        "--admin.alert-actions",
        "PROXY911_ADMIN_ALERT_ACTIONS",
        "nuke",
    ),
    ("--demo", "PROXY911_DEMO", "maybe"),
    ("--log.format", "PROXY911_LOG_FORMAT", "xml"),
    ("--log.level", "PROXY911_LOG_LEVEL", "very=loud=indeed"),
    ("--api.timezone", "PROXY911_API_TIMEZONE", "Mars/Olympus"),
];

#[test]
fn each_invalid_flag_value_exits_2_naming_the_flag() {
    for (flag, _, bad) in PAIRS {
        let output = run(&[&format!("{flag}={bad}")], &[]);
        assert_eq!(output.status.code(), Some(2), "{flag}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(flag),
            "{flag}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn each_environment_variable_feeds_its_flag() {
    for (flag, env, bad) in PAIRS {
        let output = run(&[], &[(env, bad)]);
        assert_eq!(output.status.code(), Some(2), "{env}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(flag),
            "{env} should be read as {flag}: {}",
            stderr(&output)
        );
    }
}

/// The lines of a refusal: exactly one is expected, clap's message without its usage hint.
fn error_lines(message: &str) -> Vec<&str> {
    message.lines().collect()
}

#[test]
fn an_extreme_rate_limit_is_one_line_naming_the_flag_and_exit_2_never_a_panic() {
    for value in ["1e-20", "1e308", "NaN", "inf", "-0", "5e-324"] {
        // `--demo` so that nothing but the rate can stop the start-up: accepted, 1e-20 used to
        // reach the rate limiter and panic there (exit 101).
        let base = ["--demo", "--web.listen-address", "127.0.0.1:0"];
        let flag_form = format!("--api.rate-limit={value}");
        let forms = [
            ([&base[..], &[flag_form.as_str()]].concat(), vec![]),
            ([&base[..], &["--api.rate-limit", value]].concat(), vec![]),
            (base.to_vec(), vec![("PROXY911_API_RATE_LIMIT", value)]),
        ];
        for (args, env) in forms {
            let output = run_within(&args, &env, std::time::Duration::from_secs(10));

            let message = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}: {message}");
            let lines = error_lines(&message);
            assert_eq!(lines.len(), 1, "{args:?} {env:?}: {message}");
            assert!(lines[0].contains("--api.rate-limit"), "{message}");
            assert!(lines[0].contains("requests per second"), "{message}");
        }
    }
}

#[test]
fn a_duration_too_long_to_compute_with_is_refused_naming_the_flag() {
    for flag in [
        "--web.scrape-timeout-offset",
        "--api.timeout",
        "--cache.ttl",
        "--cache.max-stale",
    ] {
        let output = run_within(
            &[
                "--demo",
                "--web.listen-address",
                "127.0.0.1:0",
                flag,
                "18446744073709551615s",
            ],
            &[],
            std::time::Duration::from_secs(10),
        );

        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{flag}: {message}");
        let lines = error_lines(&message);
        assert_eq!(lines.len(), 1, "{flag}: {message}");
        assert!(
            lines[0].contains(flag) && lines[0].contains("at most 10y"),
            "{message}"
        );
    }
}

#[test]
fn a_log_level_with_leading_space_before_a_wide_character_is_refused_not_a_panic() {
    let output = run_within(
        &[
            "--demo",
            "--web.listen-address",
            "127.0.0.1:0",
            "--log.level",
            " é=loud",
        ],
        &[],
        std::time::Duration::from_secs(10),
    );

    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    let lines = error_lines(&message);
    assert_eq!(lines.len(), 1, "{message}");
    assert!(lines[0].contains("--log.level"), "{message}");
}

#[test]
fn a_missing_app_key_is_one_line_naming_both_ways_to_give_it() {
    let output = run(&[], &[]);

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(
        message.contains("--api.app-key-file") && message.contains("PROXY911_APP_KEY"),
        "{message}"
    );
}

#[test]
fn an_unreadable_app_key_file_names_the_flag() {
    let output = run(&["--api.app-key-file", "/nonexistent/key"], &[]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--api.app-key-file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_empty_admin_token_is_refused() {
    let output = run(
        &[],
        &[("PROXY911_APP_KEY", "k"), ("PROXY911_ADMIN_TOKEN", "")],
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("PROXY911_ADMIN_TOKEN"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn secrets_cannot_be_given_as_flag_values() {
    for flag in ["--api.app-key", "--admin.token"] {
        let output = run(&[flag, "s3cret"], &[]);
        assert_eq!(output.status.code(), Some(2), "{flag}");
        assert!(
            !stderr(&output).contains("s3cret"),
            "{flag}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn help_lists_every_flag() {
    let output = run(&["--help"], &[]);
    let help = String::from_utf8_lossy(&output.stdout);

    assert_eq!(output.status.code(), Some(0));
    for (flag, env, _) in PAIRS {
        assert!(help.contains(flag), "{flag}");
        assert!(help.contains(env), "{env}");
    }
    assert!(help.contains("--api.app-key-file") && help.contains("PROXY911_APP_KEY_FILE"));
    assert!(help.contains("--admin.token-file") && help.contains("PROXY911_ADMIN_TOKEN_FILE"));
}

#[test]
fn sigterm_stops_the_exporter_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .args([
            "--demo",
            "--web.listen-address",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "the exporter never listened");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = (0..200)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(25));
            child.try_wait().unwrap()
        })
        .expect("the exporter stops within 5 s of SIGTERM");

    assert_eq!(status.code(), Some(0));
}

/// Runs the binary like [`run`], but gives up (and kills it) after `limit`: a secret file that is
/// read without bound must fail the test, not hang it.
fn run_within(args: &[&str], env: &[(&str, &str)], limit: std::time::Duration) -> Output {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("{args:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A file in a directory of its own for this test run.
fn temp_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("proxy911-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_key_file_larger_than_4_kib_exits_2_with_one_line_naming_the_flag() {
    let file = temp_file("big-key");
    std::fs::write(&file, "KeyFileContent".repeat(1000)).unwrap();

    let output = run_within(
        &["--api.app-key-file", file.to_str().unwrap()],
        &[],
        std::time::Duration::from_secs(10),
    );

    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("--api.app-key-file"), "{message}");
    assert!(message.contains("larger than 4 KiB"), "{message}");
    assert!(!message.contains("KeyFileContent"), "{message}");
}

#[test]
fn a_sparse_1_gib_admin_token_file_exits_2_promptly() {
    let file = temp_file("sparse-token");
    std::fs::File::create(&file)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();

    let output = run_within(
        &["--admin.token-file", file.to_str().unwrap()],
        &[("PROXY911_APP_KEY", "k")],
        std::time::Duration::from_secs(10),
    );
    std::fs::remove_file(&file).unwrap();

    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("--admin.token-file"), "{message}");
    assert!(message.contains("larger than 4 KiB"), "{message}");
}

#[cfg(unix)]
#[test]
fn dev_zero_as_the_key_file_exits_2_promptly() {
    let output = run_within(
        &["--api.app-key-file", "/dev/zero"],
        &[],
        std::time::Duration::from_secs(10),
    );

    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("--api.app-key-file") && message.contains("larger than 4 KiB"),
        "{message}"
    );
}

#[test]
fn an_https_upstream_without_any_ca_certificate_is_one_line_saying_what_to_provide_and_exit_2() {
    // SSL_CERT_FILE alone, naming nothing: no CA certificate at all (SSL_CERT_DIR, which some
    // machines set, would add its own).
    let out = Command::new(BIN)
        .args([
            "--api.url",
            "https://api.911proxy.com",
            "--web.listen-address",
            "127.0.0.1:0",
        ])
        .env_remove("SSL_CERT_DIR")
        .env("PROXY911_APP_KEY", "Zk9SECRETappKEY0123456789abcdefQ")
        .env("SSL_CERT_FILE", "/nonexistent/ca.pem")
        .output()
        .unwrap();

    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert_eq!(error_lines(&message).len(), 1, "{message}");
    assert!(message.contains("no CA certificates"), "{message}");
    assert!(message.contains("/nonexistent/ca.pem"), "{message}");
    assert!(message.contains("SSL_CERT_FILE"), "{message}");
    assert!(!message.contains("Zk9SECRET"), "{message}");
}

#[test]
fn version_prints_version_revision_build_date_and_rust_version_like_prometheus() {
    let out = run(&["--version"], &[]);

    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with(&format!(
        "proxy911-exporter, version {} (revision: ",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(lines[1].starts_with("  build date:       20"), "{text}");
    assert!(
        lines[2].starts_with("  rust version:     rustc 1."),
        "{text}"
    );
    assert_eq!(lines[3], "  platform:         linux/amd64");
}

#[test]
fn check_with_demo_asks_the_built_in_simulator_and_exits_0() {
    let out = run(&["check", "--demo", "--output", "json"], &[]);

    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["ok"], true);
    assert!(
        report["endpoints"].as_array().unwrap().len() >= 5,
        "{report}"
    );
}

#[test]
fn an_api_url_with_credentials_is_refused_without_printing_them() {
    for (args, env) in [
        (vec!["--api.url", "http://user:S3cretPw@host/"], vec![]),
        (
            vec![],
            vec![("PROXY911_API_URL", "https://user:S3cretPw@host/")],
        ),
    ] {
        let out = run(&args, &env);

        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{message}");
        assert_eq!(error_lines(&message).len(), 1, "{message}");
        assert!(message.contains("--api.url"), "{message}");
        assert!(message.contains("credentials"), "{message}");
        assert!(
            !message.contains("S3cretPw") && !message.contains("user:"),
            "{message}"
        );
    }
}

/// Starts the demo with `args` and returns what it logged (stderr) by the time it serves: the
/// start-up warnings come before its "serving" notice.
fn demo_logs(args: &[&str]) -> String {
    use std::io::{BufRead, Read};
    let mut child = Command::new(BIN)
        .args(["--demo", "--web.listen-address", "127.0.0.1:0"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (serving, served) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("demo: serving") {
                let _ = serving.send(());
            }
        }
    });
    let started = served.recv_timeout(std::time::Duration::from_secs(30));
    child.kill().unwrap();
    child.wait().unwrap();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(started.is_ok(), "the demo never served within 30 s: {logs}");
    logs
}

#[test]
fn ttls_that_need_more_requests_than_the_rate_limit_allows_start_with_a_warn_giving_the_numbers() {
    // Every collector on (the demo): 12 requests a refresh at the least, every 2 s: 6 a second.
    let tight = demo_logs(&[
        "--cache.ttl",
        "2s",
        "--collector.regions.ttl",
        "2s",
        "--api.rate-limit",
        "2",
    ]);
    let roomy = demo_logs(&[]);

    let warns: Vec<&str> = tight
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("--api.rate-limit"))
        .collect();
    assert_eq!(warns.len(), 1, "{tight}");
    assert!(warns[0].contains("6.00"), "{}", warns[0]);
    assert!(warns[0].contains("rate_limit=2"), "{}", warns[0]);
    assert!(!roomy.contains("--api.rate-limit"), "{roomy}");
}

/// The demo started as a user would (a free port, no NO_COLOR unless `env` says so, both
/// outputs piped: not a terminal): the process, its metrics URL and its admin token, read
/// from the notices it prints (30 s at most, then the test fails saying so).
async fn start_demo(env: &[(&str, &str)]) -> (tokio::process::Child, String, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut command = tokio::process::Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") || key == "NO_COLOR" {
            command.env_remove(key);
        }
    }
    let mut demo = command
        .args(["--demo", "--web.listen-address", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let (metrics, token) = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let (mut metrics, mut token) = (None, None);
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(t) = line.strip_prefix("demo: admin API token: ") {
                token = Some(t.to_owned());
            }
            if let Some(url) = line.strip_prefix("demo: serving simulated 911Proxy data on ") {
                metrics = Some(url.to_owned());
            }
            if let (Some(metrics), Some(token)) = (&metrics, &token) {
                return (metrics.clone(), token.clone());
            }
        }
        panic!("the demo ended without printing its metrics URL and admin token");
    })
    .await
    .expect("the demo prints its metrics URL and admin token within 30 s");
    // Keep reading: a closed pipe would fail the demo's next notice.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (demo, metrics, token)
}

/// Polls the demo's /metrics until every collector has succeeded (20 s at most, then the test
/// fails with the last answer).
async fn demo_metrics_once_every_collector_succeeded(url: &str) -> String {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(response) = common::http().get(url).send().await {
            last = response.text().await.unwrap_or_default();
            let success = common::matching(&last, "proxy911_collector_success", &[]);
            if !success.is_empty() && success.iter().all(|v| *v == 1.0) {
                return last;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the demo's collectors never all succeeded; last answer:\n{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_every_collector_with_accounts_and_its_printed_token_opens_the_admin_api() {
    let (demo, metrics_url, token) = start_demo(&[("NO_COLOR", "1")]).await;

    let text = demo_metrics_once_every_collector_succeeded(&metrics_url).await;
    let admin_url = metrics_url.replace("/metrics", "/admin/accounts");
    let admin = common::http()
        .get(&admin_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let admin_status = admin.status().as_u16();
    let listed: serde_json::Value = admin.json().await.unwrap();
    let refused = common::http()
        .get(&admin_url)
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    drop(demo);

    assert_eq!(
        common::value(&text, "proxy911_up", &[]),
        Some(1.0),
        "{text}"
    );
    let collectors = common::matching(&text, "proxy911_collector_success", &[]);
    assert!(
        collectors.len() >= 7,
        "every collector runs in the demo: {text}"
    );
    let accounts = common::matching(&text, "proxy911_account_info", &[]).len();
    assert!(accounts > 0, "{text}");
    assert_eq!(admin_status, 200, "{listed}");
    let listed = listed["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of accounts: {listed}"));
    assert_eq!(
        listed.len(),
        accounts,
        "the admin API lists the accounts /metrics shows"
    );
    assert_eq!(refused, 401, "only the printed token opens it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_no_color_a_log_written_to_a_pipe_carries_no_ansi_escape() {
    use tokio::io::AsyncReadExt;
    let (mut demo, metrics_url, _) = start_demo(&[("PROXY911_LOG_LEVEL", "debug")]).await;
    demo_metrics_once_every_collector_succeeded(&metrics_url).await;
    demo.start_kill().unwrap();
    let mut logs = String::new();
    demo.stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();

    let levelled = logs
        .lines()
        .filter(|l| l.contains("INFO") || l.contains("DEBUG"))
        .count();
    assert!(levelled > 0, "the demo logged: {logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "an escape sequence on a pipe: {logs:?}"
    );
}

/// What the demo logs, up to its "listening" line, with its stderr on a terminal (a pty) and
/// `env` (NO_COLOR removed unless `env` sets it).
fn demo_log_on_a_terminal(env: &[(&str, &str)]) -> String {
    use std::io::BufRead;
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty(3) writes two new descriptors into the two integers; no name, termios or
    // window size is asked for.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: both descriptors were just opened by openpty and are owned here alone.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    };
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("PROXY911_") || key == "NO_COLOR" {
            command.env_remove(key);
        }
    }
    command
        .args(["--demo", "--web.listen-address", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::from(slave));
    let mut child = command.spawn().unwrap();
    drop(command); // the test's copy of the terminal's slave end
    let (listening, logged) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(master).lines() {
            let Ok(line) = line else { break };
            text.push_str(&line);
            text.push('\n');
            if line.contains("listening") {
                let _ = listening.send(text.clone());
            }
        }
    });
    let logged = logged.recv_timeout(std::time::Duration::from_secs(30));
    child.kill().unwrap();
    child.wait().unwrap();
    logged.expect("the demo logged that it listens within 30 s")
}

#[test]
fn on_a_terminal_the_log_is_coloured_unless_no_color_is_set() {
    let coloured = demo_log_on_a_terminal(&[]);
    let plain = demo_log_on_a_terminal(&[("NO_COLOR", "1")]);

    assert!(
        coloured.contains('\u{1b}'),
        "a terminal gets colour: {coloured:?}"
    );
    assert!(!plain.contains('\u{1b}'), "NO_COLOR is honoured: {plain:?}");
}
