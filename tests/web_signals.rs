//! The listener under signals and hostile clients, against the real binary where the process
//! matters: the web configuration is reloaded when its file changes and on SIGHUP, which never
//! stops the exporter; SIGTERM
//! with clients that never finish exits 0 within the bound; a client that trickles its headers
//! is disconnected; a broken web config is exit 2 naming the key; an admin listener beyond
//! loopback without TLS starts with a WARN. A web config without end (`/dev/zero`) is exit 2 at
//! start and one ERROR on reload, the old one kept; SIGTERM exits 0 in time while a SIGHUP
//! reload is blocked reading a FIFO.

mod common;

use std::time::{Duration, Instant};

use common::tls::{bcrypt_hash, Pki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status of `GET /metrics` as `user:password` (or without credentials).
async fn status(port: u16, credentials: Option<(&str, &str)>) -> u16 {
    let mut request = common::http().get(format!("http://127.0.0.1:{port}/-/healthy"));
    if let Some((user, password)) = credentials {
        request = request.basic_auth(user, Some(password));
    }
    request.send().await.unwrap().status().as_u16()
}

fn users(password: &str) -> String {
    format!("basic_auth_users:\n  alice: '{}'\n", bcrypt_hash(password))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_applies_to_the_next_request_a_broken_one_keeps_the_old_with_one_error_and_sighup_reloads_too(
) {
    let pki = Pki::new("sighup");
    let web_config = pki.web_config(&users("old password"));
    let (_sim, url) = common::simulator(None).await;
    let port = common::free_port();
    let config_arg = web_config.display().to_string();
    let mut child = common::spawn_exporter(port, &url, &["--web.config.file", &config_arg], &[]);
    let logs = common::LogTail::of(&mut child);
    common::wait_until_listening(port, &mut child).await;
    assert_eq!(status(port, Some(("alice", "old password"))).await, 200);

    // Read again when it changes, as exporter-toolkit reads it per request: no signal needed.
    pki.web_config(&users("new password"));
    assert_eq!(status(port, Some(("alice", "new password"))).await, 200);
    assert_eq!(status(port, Some(("alice", "old password"))).await, 401);

    pki.web_config("basic_auth_users: [unclosed\n");
    for _ in 0..3 {
        assert_eq!(status(port, Some(("alice", "new password"))).await, 200);
    }
    common::signal(&child, libc::SIGHUP);
    logs.until_logged("SIGHUP: web configuration not reloaded")
        .await;
    assert_eq!(status(port, Some(("alice", "new password"))).await, 200);

    pki.web_config(&users("third password"));
    common::signal(&child, libc::SIGHUP);
    let started = Instant::now();
    while status(port, Some(("alice", "third password"))).await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reloaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP stopped the exporter"
    );

    let logs = logs.stop(child).await;
    let broken = logs
        .lines()
        .filter(|l| l.contains("web configuration changed on disk but cannot be loaded"))
        .count();
    assert_eq!(broken, 1, "one ERROR for the broken file: {logs}");
    assert!(
        logs.contains("SIGHUP: web configuration not reloaded; the previous one stays in force"),
        "{logs}"
    );
    assert!(
        logs.contains("SIGHUP: web configuration reloaded"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_without_a_web_config_file_is_logged_and_does_not_stop_the_exporter() {
    let port = common::free_port();
    let mut child = common::spawn_exporter(port, "http://127.0.0.1:9", &[], &[]);
    let logs = common::LogTail::of(&mut child);
    common::wait_until_listening(port, &mut child).await;
    for times in 1..=3 {
        common::signal(&child, libc::SIGHUP);
        logs.until_logged_times("nothing to reload", times).await;
    }
    assert_eq!(status(port, None).await, 200);
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP stopped the exporter"
    );
    let logs = logs.stop(child).await;
    assert_eq!(
        logs.lines()
            .filter(|l| l.contains("nothing to reload"))
            .count(),
        3,
        "one line per SIGHUP: {logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_twenty_stuck_clients_finishes_the_request_in_progress_and_exits_0_in_time() {
    let port = common::free_port();
    let mut child = common::spawn_exporter(
        port,
        "http://127.0.0.1:9",
        &[],
        &[("PROXY911_ADMIN_TOKEN", common::ADMIN_TOKEN)],
    );
    common::wait_until_listening(port, &mut child).await;
    let post = |length: usize| {
        format!(
            "POST /admin/accounts HTTP/1.1\r\nHost: exporter\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{",
            common::ADMIN_TOKEN
        )
    };
    let mut stuck = Vec::new();
    for i in 0..20 {
        let mut client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let opening = match i % 3 {
            0 => "GET /metrics HTTP/1.1\r\nHost: exporter\r\nX-Never-Ends: ".to_string(),
            1 => post(1000),
            _ => String::new(),
        };
        client.write_all(opening.as_bytes()).await.unwrap();
        stuck.push(client);
    }
    // One request whose body is still on its way when SIGTERM comes, and then arrives.
    let body = "}";
    let mut in_progress = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    in_progress
        .write_all(post(1 + body.len()).as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    common::signal(&child, libc::SIGTERM);
    let signalled = Instant::now();
    // The listener closes once the signal is handled: wait for that, not for a while.
    let mut refused = false;
    for _ in 0..100 {
        refused = TcpStream::connect(("127.0.0.1", port)).await.is_err();
        if refused {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "a stopping exporter accepts no new connection");
    in_progress.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(5), in_progress.read_to_end(&mut answer)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 "),
        "the request in progress is answered: {:?}",
        String::from_utf8_lossy(&answer)
    );

    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the exporter exits within 15 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(signalled.elapsed() < Duration::from_secs(15));
    drop(stuck);
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_disconnected_after_the_header_timeout() {
    let exporter = common::exporter(|_| {}).await;
    let mut client = TcpStream::connect(exporter.addr).await.unwrap();
    let connected = Instant::now();
    client
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: exporter\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let mut trickle = tokio::time::interval(Duration::from_millis(500));
    let closed = loop {
        assert!(
            connected.elapsed() < Duration::from_secs(30),
            "still open after 30 s"
        );
        tokio::select! {
            read = client.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break connected.elapsed(),
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            },
            _ = trickle.tick() => {
                if client.write_all(b"X-Trickle: 1\r\n").await.is_err() {
                    break connected.elapsed();
                }
            }
        }
    };
    assert!(
        closed >= Duration::from_secs(5),
        "closed after {closed:?}: before the client ran out of its 10 s, for another reason"
    );
    assert!(
        !String::from_utf8_lossy(&received).contains("200 OK"),
        "a request whose headers never ended was served"
    );
}

/// Runs the binary with `--web.config.file FILE`; returns its exit code and stderr.
async fn start_with_web_config(file: &str) -> (Option<i32>, String) {
    let port = common::free_port();
    let child = common::spawn_exporter(
        port,
        "http://127.0.0.1:9",
        &["--web.config.file", file],
        &[],
    );
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("exits at start-up")
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_invalid_web_config_stops_the_binary_with_exit_2_and_one_line_naming_the_key_or_file() {
    let pki = Pki::new("invalid");
    let cases = [
        ("tls_server_config:\n  cert_fil: server.crt\n", "cert_fil"),
        (
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  max_version: TLS11\n",
            "tls_server_config.max_version",
        ),
        (
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
            "tls_server_config.cert_file",
        ),
        ("basic_auth_users:\n  alice: not-a-hash\n", "basic_auth_users.alice"),
        (
            "http_server_config:\n  headers:\n    Server: me\n",
            "http_server_config.headers.Server",
        ),
    ];
    for (yaml, named) in cases {
        let file = pki.web_config(yaml).display().to_string();
        let (code, stderr) = start_with_web_config(&file).await;
        assert_eq!(code, Some(2), "{yaml}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(
            lines[0].contains(named) && lines[0].contains(&file),
            "{stderr}"
        );
    }
    let missing = pki.dir.join("absent.yml").display().to_string();
    let (code, stderr) = start_with_web_config(&missing).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&missing), "{stderr}");
}

#[tokio::test]
async fn an_admin_listener_beyond_loopback_without_tls_starts_with_a_warning_and_with_tls_without_one(
) {
    let warning = "the admin API listens on an address other than loopback without TLS";
    let pki = Pki::new("adminwarn");
    pki.install_server(&pki.server("exporter"));
    let tls_config = pki
        .web_config(&common::tls::tls_yaml(&[]))
        .display()
        .to_string();
    for (tls, admin_host, warned) in [
        (false, "0.0.0.0", true),
        (true, "0.0.0.0", false),
        (false, "127.0.0.1", false),
    ] {
        let (port, admin_port) = (common::free_port(), common::free_port());
        let admin_address = format!("{admin_host}:{admin_port}");
        let mut args = vec!["--admin.listen-address", admin_address.as_str()];
        if tls {
            args.extend(["--web.config.file", tls_config.as_str()]);
        }
        let mut child = common::spawn_exporter(
            port,
            "http://127.0.0.1:9",
            &args,
            &[("PROXY911_ADMIN_TOKEN", common::ADMIN_TOKEN)],
        );
        common::wait_until_listening(admin_port, &mut child).await;
        let logs = common::stop_and_read_logs(child).await;
        let line = logs.lines().find(|l| l.contains(warning));
        assert_eq!(line.is_some(), warned, "tls {tls}, {admin_host}: {logs}");
        if let Some(line) = line {
            assert!(line.contains("WARN"), "{line}");
        }
    }
}

#[tokio::test]
async fn a_web_config_without_end_is_exit_2_at_start_naming_the_file_and_the_limit() {
    let (code, stderr) = start_with_web_config("/dev/zero").await;
    assert_eq!(code, Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(
        lines[0].contains("/dev/zero") && lines[0].contains("1 MiB"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_swapped_to_dev_zero_before_sighup_is_one_error_and_the_old_config_stays() {
    let pki = Pki::new("zero");
    let real = pki.web_config(&users("old password"));
    let link = pki.dir.join("link.yml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (_sim, url) = common::simulator(None).await;
    let port = common::free_port();
    let config_arg = link.display().to_string();
    let mut child = common::spawn_exporter(port, &url, &["--web.config.file", &config_arg], &[]);
    let logs = common::LogTail::of(&mut child);
    common::wait_until_listening(port, &mut child).await;
    assert_eq!(status(port, Some(("alice", "old password"))).await, 200);

    let swapped = pki.dir.join("swapped.yml");
    std::os::unix::fs::symlink("/dev/zero", &swapped).unwrap();
    std::fs::rename(&swapped, &link).unwrap();
    common::signal(&child, libc::SIGHUP);
    logs.until_logged("1 MiB").await;
    for _ in 0..3 {
        assert_eq!(status(port, Some(("alice", "old password"))).await, 200);
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP stopped the exporter"
    );

    let logs = logs.stop(child).await;
    let refused: Vec<&str> = logs.lines().filter(|l| l.contains("1 MiB")).collect();
    assert_eq!(refused.len(), 1, "one ERROR: {logs}");
    assert!(refused[0].contains("ERROR"), "{logs}");
    assert!(
        refused[0].contains("the previous one stays in force"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_swapped_in_for_the_web_config_is_refused_at_once_on_sighup_and_on_requests() {
    let pki = Pki::new("fifo");
    let web_config = pki.web_config(&users("password"));
    let (_sim, url) = common::simulator(None).await;
    let port = common::free_port();
    let config_arg = web_config.display().to_string();
    let mut child = common::spawn_exporter(port, &url, &["--web.config.file", &config_arg], &[]);
    common::wait_until_listening(port, &mut child).await;
    assert_eq!(status(port, Some(("alice", "password"))).await, 200);

    std::fs::remove_file(&web_config).unwrap();
    let path = std::ffi::CString::new(config_arg.as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path this test owns.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    // Opening a FIFO waits for a writer, and none ever comes: neither the next requests (which
    // look whether the file changed) nor a SIGHUP may wait on it.
    for _ in 0..3 {
        assert_eq!(
            status(port, Some(("alice", "password"))).await,
            200,
            "the configuration in force still serves"
        );
    }
    common::signal(&child, libc::SIGHUP);
    assert_eq!(status(port, Some(("alice", "password"))).await, 200);
    common::signal(&child, libc::SIGTERM);

    // A guard against hanging only.
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the exporter exits after SIGTERM")
        .unwrap();
    assert_eq!(exit.code(), Some(0), "{exit:?}");
    let logs = common::stop_and_read_logs(child).await;
    let refusals: Vec<_> = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("FIFO"))
        .collect();
    assert_eq!(
        refusals.len(),
        2,
        "one for the change seen by requests, one for the SIGHUP: {logs}"
    );
    assert!(
        refusals[1].contains("SIGHUP: web configuration not reloaded"),
        "{logs}"
    );
}

/// A web config serving TLS with `max_version`, verifying a client certificate if given against
/// `client_ca`, and sending `X-Frame-Options: frame`.
fn tls_web_config(client_ca: &str, max_version: &str, frame: &str) -> String {
    format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
         client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: {client_ca}\n  \
         max_version: {max_version}\nhttp_server_config:\n  headers:\n    \
         X-Frame-Options: {frame}\n"
    )
}

/// What a fresh TLS connection to the binary on `port` sees: whether a client that speaks only
/// TLS 1.3 is served, whether a client presenting `ca_client` (signed by the first CA) and
/// `other_client` (signed by the second) are, and the `X-Frame-Options` header.
async fn tls_view(
    pki: &Pki,
    port: u16,
    ca_client: &common::tls::Pair,
    other_client: &common::tls::Pair,
) -> (bool, bool, bool, String) {
    use common::tls::{https_builder, https_client};
    let url = format!("https://localhost:{port}/-/healthy");
    let served = |client: reqwest::Client| {
        let url = url.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    };
    let tls13 = https_builder(&pki.ca_pem(), None)
        .min_tls_version(reqwest::tls::Version::TLS_1_3)
        .build()
        .unwrap();
    let frame = https_client(&pki.ca_pem(), None)
        .get(&url)
        .send()
        .await
        .unwrap()
        .headers()
        .get("x-frame-options")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        served(tls13).await,
        served(https_client(&pki.ca_pem(), Some(ca_client))).await,
        served(https_client(&pki.ca_pem(), Some(other_client))).await,
        frame,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_response_headers_the_tls_settings_and_the_client_ca() {
    let pki = Pki::new("sighup-tls");
    let other = Pki::new("sighup-other-ca");
    pki.install_server(&pki.server("exporter"));
    pki.write("other-ca.pem", &other.ca_pem());
    let (ca_client, other_client) = (pki.client("first"), other.client("second"));
    let web_config = pki.web_config(&tls_web_config("ca.pem", "TLS13", "deny"));
    let (_sim, url) = common::simulator(None).await;
    let port = common::free_port();
    let config_arg = web_config.display().to_string();
    let mut child = common::spawn_exporter(port, &url, &["--web.config.file", &config_arg], &[]);
    let logs = common::LogTail::of(&mut child);
    common::wait_until_listening(port, &mut child).await;
    let before = tls_view(&pki, port, &ca_client, &other_client).await;

    // No request between the change and the signal: only SIGHUP can bring it in.
    pki.web_config(&tls_web_config("other-ca.pem", "TLS12", "sameorigin"));
    common::signal(&child, libc::SIGHUP);
    logs.until_logged("SIGHUP: web configuration reloaded")
        .await;
    let after = tls_view(&pki, port, &ca_client, &other_client).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP stopped the exporter"
    );
    let logs = logs.stop(child).await;

    assert_eq!(before, (true, true, false, "deny".into()));
    assert_eq!(
        after,
        (false, false, true, "sameorigin".into()),
        "(TLS 1.3 only served, first CA's client served, second CA's, X-Frame-Options)"
    );
    assert!(
        !logs.contains("changed on disk: reloaded"),
        "the reload was SIGHUP's, not a request's: {logs}"
    );
}
