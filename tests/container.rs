//! The image users run, run here as they run it: built by `scripts/build-image.sh` from the
//! top-level Dockerfile, started with podman with a read-only root, every capability dropped and
//! user 65532. The demo, an app_key mounted as a read-only file against the simulator, an
//! unreadable app_key file, SIGTERM to PID 1, logs on stderr, a private CA through
//! `SSL_CERT_FILE`, a real forward proxy (tinyproxy) through `HTTPS_PROXY` and `NO_PROXY`, and a
//! root file system without a CA store.

mod common;

use std::time::Duration;

use common::podman::{require_image, run, Container, Scratch};
use common::tls::Pki;
use common::{free_port, metrics_until, simulator, value, APP_KEY};
use serde_json::Value;

fn up(text: &str) -> Option<f64> {
    value(text, "proxy911_up", &[])
}

#[tokio::test]
async fn the_image_runs_as_65532_without_a_shell_and_labels_its_revision() {
    let image = require_image().await;

    let user = run(&["image", "inspect", "--format", "{{.Config.User}}", &image]).await;
    let entrypoint = run(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}}",
        &image,
    ])
    .await;
    let revision = run(&[
        "image",
        "inspect",
        "--format",
        "{{index .Config.Labels \"org.opencontainers.image.revision\"}}",
        &image,
    ])
    .await;
    let version = run(&["run", "--rm", "--network", "host", &image, "--version"]).await;
    let shell = run(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        &image,
        "-c",
        "true",
    ])
    .await;

    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "65532:65532");
    assert_eq!(
        String::from_utf8_lossy(&entrypoint.stdout).trim(),
        r#"["/bin/proxy911-exporter"]"#
    );
    let revision = String::from_utf8_lossy(&revision.stdout).trim().to_string();
    assert_eq!(revision.len(), 12, "a short git revision: {revision:?}");
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.starts_with(&format!(
            "proxy911-exporter, version {} (revision: {revision})",
            env!("CARGO_PKG_VERSION")
        )),
        "the binary's revision is the label's: {version}"
    );
    assert!(!shell.status.success(), "the image has no /bin/sh");
}

#[tokio::test]
async fn the_demo_serves_data_from_a_read_only_root_and_sigterm_to_pid_1_exits_0() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let container = Container::start(
        &[],
        &[
            "--demo",
            "--web.listen-address",
            &listen,
            "--log.format",
            "json",
        ],
    )
    .await;

    let text = metrics_until(port, |t| up(t) == Some(1.0)).await;
    let read_only = container.inspect("{{.HostConfig.ReadonlyRootfs}}").await;
    let caps = container.inspect("{{json .EffectiveCaps}}").await;
    let user = container.inspect("{{.Config.User}}").await;
    let exit_code = container.stop().await;
    let (stdout, stderr) = container.logs().await;

    assert!(
        common::sum(&text, "proxy911_account_traffic_used_bytes_total", &[]) > 0.0,
        "demo data is served:\n{text}"
    );
    assert_eq!(read_only, "true");
    assert!(caps == "null" || caps == "[]", "no capability left: {caps}");
    assert_eq!(user, "65532:65532");
    assert_eq!(
        exit_code, 0,
        "SIGTERM as PID 1 exits 0 before podman's 10 s SIGKILL"
    );
    let log_lines: Vec<&str> = stderr.lines().collect();
    assert!(log_lines.len() >= 2, "logs go to stderr: {stderr:?}");
    for line in &log_lines {
        let parsed: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a JSON log line, got {line:?}: {e}"));
        assert!(parsed["level"].is_string() && parsed["message"].is_string());
    }
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(
        stdout.lines().all(|l| l.starts_with("demo: ")),
        "stdout carries only the demo's two notices: {stdout:?}"
    );
}

#[tokio::test]
async fn an_app_key_mounted_as_a_read_only_file_drives_a_run_against_the_simulator() {
    let (sim, url) = simulator(Some(5)).await;
    let scratch = Scratch::new("appkey");
    let key = scratch.file("app_key", &format!("{APP_KEY}\n"), 0o444);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mount = format!("{}:/etc/proxy911/app_key:ro", key.display());
    let container = Container::start(
        &["-v", &mount],
        &[
            "--api.url",
            &url,
            "--api.app-key-file",
            "/etc/proxy911/app_key",
            "--web.listen-address",
            &listen,
        ],
    )
    .await;

    let text = metrics_until(port, |t| up(t).is_some()).await;
    let (_, stderr) = container.logs().await;

    assert_eq!(up(&text), Some(1.0), "{text}\n{stderr}");
    assert_eq!(
        common::matching(&text, "proxy911_account_info", &[]).len(),
        5,
        "the simulator's five accounts"
    );
    assert!(sim.request_count(proxy911_simulator::Endpoint::AccountList) >= 1);
    assert!(
        !stderr.contains(APP_KEY),
        "the key never reaches a log line"
    );
}

#[tokio::test]
async fn an_app_key_file_the_user_cannot_read_is_one_line_naming_it_and_exit_2() {
    let scratch = Scratch::new("unreadable");
    let key = scratch.file("app_key", APP_KEY, 0o600);
    let mount = format!("{}:/etc/proxy911/app_key:ro", key.display());
    let container = Container::start(
        &["-v", &mount],
        &["--api.app-key-file", "/etc/proxy911/app_key"],
    )
    .await;

    let exit_code = container.wait(Duration::from_secs(20)).await;
    let (stdout, stderr) = container.logs().await;

    assert_eq!(exit_code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains("/etc/proxy911/app_key"), "{stderr}");
    assert!(stderr.contains("--api.app-key-file"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[tokio::test]
async fn without_a_ca_store_the_demo_runs_and_a_real_url_fails_in_one_line_saying_what_to_do() {
    // An empty folder over /etc/ssl/certs: the image as if it had no CA certificates. (A
    // `--tmpfs` there does not hide the bundle with podman 4.3 and runc.)
    let empty = Scratch::new("no-ca-store");
    let mount = format!("{}:/etc/ssl/certs:ro", empty.dir.display());
    let no_store = ["-v", mount.as_str()];
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let demo = Container::start(&no_store, &["--demo", "--web.listen-address", &listen]).await;
    let text = metrics_until(port, |t| up(t) == Some(1.0)).await;
    assert_eq!(demo.stop().await, 0);
    assert!(common::sum(&text, "proxy911_account_traffic_used_bytes_total", &[]) > 0.0);

    let key_env = format!("PROXY911_APP_KEY={APP_KEY}");
    let real = Container::start(
        &[&no_store[..], &["-e", &key_env]].concat(),
        &["--api.url", "https://api.911proxy.com"],
    )
    .await;
    let exit_code = real.wait(Duration::from_secs(20)).await;
    let (_, stderr) = real.logs().await;

    assert_eq!(exit_code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains("no CA certificates"), "{stderr}");
    assert!(stderr.contains("SSL_CERT_FILE"), "{stderr}");
    assert!(!stderr.contains(APP_KEY));
}

/// tinyproxy, a real forward proxy from Debian, on a free loopback port; its log (CONNECT
/// lines, which `-d` writes to stdout) in `log`. Killed when the returned child drops.
fn tinyproxy(scratch: &Scratch, port: u16) -> (tokio::process::Child, std::path::PathBuf) {
    let conf = scratch.file(
        "tinyproxy.conf",
        &format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogLevel Connect\nMaxClients 20\nAllow 127.0.0.1\n"
        ),
        0o644,
    );
    let log = scratch.dir.join("tinyproxy.log");
    let child = tokio::process::Command::new("tinyproxy")
        .args(["-d", "-c"])
        .arg(&conf)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("tinyproxy (scripts/install-tools.sh installs it)");
    (child, log)
}

#[tokio::test]
async fn ssl_cert_file_and_https_proxy_reach_a_private_ca_upstream_through_a_forward_proxy() {
    let (_sim, url) = simulator(Some(3)).await;
    let pki = Pki::new("container-upstream");
    let front = common::tls::tls_front(&pki, &url).await;
    let upstream = format!("https://localhost:{}", front.port());
    let scratch = Scratch::new("proxy");
    std::fs::copy(pki.ca_file(), scratch.dir.join("ca.pem")).unwrap();
    let ca_mount = format!("{}:/certs/ca.pem:ro", scratch.dir.join("ca.pem").display());
    let proxy_port = free_port();
    let (_proxy, proxy_log) = tinyproxy(&scratch, proxy_port);
    let proxy = format!("HTTPS_PROXY=http://127.0.0.1:{proxy_port}");
    let key_env = format!("PROXY911_APP_KEY={APP_KEY}");
    let start = |extra: Vec<String>, port: u16| {
        let upstream = upstream.clone();
        let key_env = key_env.clone();
        async move {
            let mut options = vec!["-e".to_string(), key_env];
            options.extend(extra);
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            let listen = format!("127.0.0.1:{port}");
            Container::start(
                &options,
                &["--api.url", &upstream, "--web.listen-address", &listen],
            )
            .await
        }
    };
    let trusted = |more: &[&str]| {
        let mut v = vec![
            "-v".to_string(),
            ca_mount.clone(),
            "-e".to_string(),
            "SSL_CERT_FILE=/certs/ca.pem".to_string(),
        ];
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };

    // Through the proxy, trusting the private CA.
    let via_proxy_port = free_port();
    let via_proxy = start(trusted(&["-e", &proxy]), via_proxy_port).await;
    let text = metrics_until(via_proxy_port, |t| up(t).is_some()).await;
    assert_eq!(up(&text), Some(1.0), "{text}\n{:?}", via_proxy.logs().await);
    let log = std::fs::read_to_string(&proxy_log).unwrap();
    assert!(
        log.contains(&format!("CONNECT localhost:{}", front.port())),
        "the upstream was reached through the proxy's CONNECT:\n{log}"
    );

    // NO_PROXY bypasses a proxy that is not even there.
    let dead_proxy = format!("HTTPS_PROXY=http://127.0.0.1:{}", free_port());
    let bypass_port = free_port();
    let bypass = start(
        trusted(&["-e", &dead_proxy, "-e", "NO_PROXY=localhost"]),
        bypass_port,
    )
    .await;
    let text = metrics_until(bypass_port, |t| up(t).is_some()).await;
    assert_eq!(up(&text), Some(1.0), "{text}\n{:?}", bypass.logs().await);

    // Without SSL_CERT_FILE the image's own CA store does not know the private CA.
    let untrusted_port = free_port();
    let untrusted = start(vec!["-e".to_string(), proxy.clone()], untrusted_port).await;
    let text = metrics_until(untrusted_port, |t| up(t).is_some()).await;
    assert_eq!(up(&text), Some(0.0), "{text}");
    let (_, stderr) = untrusted.logs().await;
    assert!(!stderr.contains(APP_KEY));
}
