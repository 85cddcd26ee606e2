//! Whatever answers at the API's address: the thief tests (a 3xx never
//! carries the app_key or a password to the host it names, for every 3xx code, for GETs and
//! management POSTs, and no `Referer` is ever sent), upstream text that tries to forge log lines,
//! the `--api.url` path prefix, and the WARN for plain http to a host that is not loopback.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    exporter_at, http, samples, scrape_text, spawn_exporter, stop_and_read_logs, sum, ADMIN_TOKEN,
    APP_KEY,
};
use proxy911_exporter::config::AdminConfig;
use proxy911_exporter::upstream::client::install_crypto_provider;
use proxy911_exporter::upstream::Endpoint;
use secrecy::SecretString;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use wiremock::matchers::{any, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Every redirection code: the five reqwest follows by default, and 300 and 305.
const REDIRECTS: [u16; 7] = [300, 301, 302, 303, 305, 307, 308];

/// A password sent in management requests, to look for where it must not be.
const NEW_PASSWORD: &str = "ThiefBait4711";

// ---------------------------------------------------------------------------------------------
// The thief and the redirecting upstream
// ---------------------------------------------------------------------------------------------

/// A second local listener standing in for a thief: it counts every connection, records every
/// byte it receives, and answers like a willing upstream (a success with an empty list), so a
/// client that followed a redirect would believe it.
struct Thief {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Thief {
    /// Listens on 127.0.0.2 where the system has it (Linux: all of 127/8 is loopback), so its
    /// host differs from the upstream's 127.0.0.1; else on 127.0.0.1.
    async fn start() -> Thief {
        let listener = match TcpListener::bind((Ipv4Addr::new(127, 0, 0, 2), 0)).await {
            Ok(listener) => listener,
            Err(_) => TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap(),
        };
        let thief = Thief {
            addr: listener.local_addr().unwrap(),
            connections: Arc::default(),
            received: Arc::default(),
        };
        let (connections, received) = (thief.connections.clone(), thief.received.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let received = received.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    let read = async {
                        while let Ok(n @ 1..) = stream.read(&mut buf).await {
                            request.extend_from_slice(&buf[..n]);
                            if request.windows(4).any(|w| w == b"\r\n\r\n") {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(2), read).await;
                    received.lock().unwrap().extend_from_slice(&request);
                    let body = r#"{"code":200,"msg":"success","data":{"list":[]}}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        thief
    }

    fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// Connections so far, after a moment for any that are on their way.
    async fn connections(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.connections.load(Ordering::SeqCst)
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

/// Answers with `status` and a `Location` naming `target` (scheme, host and port), with the
/// request's path and query kept: `http://THIEF/api-gate-way/...?app_key=...`.
struct RedirectTo {
    status: u16,
    target: String,
}

impl Respond for RedirectTo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut location = format!("{}{}", self.target, request.url.path());
        if let Some(query) = request.url.query() {
            location = format!("{location}?{query}");
        }
        ResponseTemplate::new(self.status).insert_header("Location", location.as_str())
    }
}

/// An upstream that redirects every request to the thief with `status`.
async fn redirecting_upstream(status: u16, thief: &Thief) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(RedirectTo {
            status,
            target: format!("http://{}", thief.addr),
        })
        .expect(1..)
        .named("every request, redirected to the thief")
        .mount(&server)
        .await;
    server
}

/// Asserts that no request the upstream received carried a `Referer`.
async fn assert_no_referer(server: &MockServer) {
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for request in requests {
        assert!(
            !request.headers.contains_key("referer"),
            "{} {} carried a Referer",
            request.method,
            request.url.path()
        );
    }
}

/// Sends an authorized admin request to the exporter at `addr`; returns status and body text.
async fn admin(addr: SocketAddr, verb: &str, route: &str, body: &str) -> (u16, String) {
    let response = http()
        .request(verb.parse().unwrap(), format!("http://{addr}/admin{route}"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

// ---------------------------------------------------------------------------------------------
// The thief tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_thief_catches_a_client_that_does_follow_redirects() {
    // The harness itself: a client with reqwest's default policy hands the thief the app_key,
    // so the tests below would see it if the exporter did the same.
    for status in [301, 302, 303, 307, 308] {
        let thief = Thief::start().await;
        let upstream = redirecting_upstream(status, &thief).await;
        install_crypto_provider();
        let following = reqwest::Client::builder().no_proxy().build().unwrap();

        let answer = following
            .get(format!(
                "{}{}?app_key={APP_KEY}",
                upstream.uri(),
                Endpoint::AccountList.path()
            ))
            .send()
            .await
            .unwrap();

        assert_eq!(answer.status().as_u16(), 200, "{status}");
        assert!(thief.connections().await > 0, "{status}");
        assert!(thief.received().contains(APP_KEY), "{status}");
    }
}

#[tokio::test]
async fn every_3xx_fails_the_refresh_and_sends_the_thief_nothing() {
    for status in REDIRECTS {
        // Arrange
        let thief = Thief::start().await;
        let upstream = redirecting_upstream(status, &thief).await;
        let (addr, _) = exporter_at(&upstream.uri(), |_| {}).await;

        // Act
        let metrics = scrape_text(addr).await;

        // Assert
        let success: Vec<f64> = samples(&metrics)
            .into_iter()
            .filter(|s| s.name == "proxy911_collector_success")
            .map(|s| s.value)
            .collect();
        assert!(!success.is_empty(), "{status}: {metrics}");
        assert!(success.iter().all(|v| *v == 0.0), "{status}: {metrics}");
        assert_eq!(sum(&metrics, "proxy911_up", &[]), 0.0, "{status}");
        assert!(
            sum(
                &metrics,
                "proxy911_upstream_requests_total",
                &[("outcome", "http_error")]
            ) > 0.0,
            "{status}: {metrics}"
        );
        assert_eq!(
            thief.connections().await,
            0,
            "{status}: {}",
            thief.received()
        );
        assert!(!metrics.contains(APP_KEY), "{status}");
        assert_no_referer(&upstream).await;
        upstream.verify().await;
    }
}

#[tokio::test]
async fn every_3xx_to_a_management_post_is_a_502_and_sends_the_thief_nothing() {
    for status in REDIRECTS {
        // Arrange
        let thief = Thief::start().await;
        let upstream = MockServer::start().await;
        for endpoint in [Endpoint::AccountAdd, Endpoint::AccountChangePassword] {
            Mock::given(path(endpoint.path()))
                .respond_with(RedirectTo {
                    status,
                    target: format!("http://{}", thief.addr),
                })
                .expect(1)
                .named(endpoint.label())
                .mount(&upstream)
                .await;
        }
        // The PATCH first looks the username up (one account: not ambiguous).
        Mock::given(path(Endpoint::AccountList.path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "code": 200, "msg": "ok",
                "data": {"list": [{"id": 1, "username": "thief1", "product_type": 9}]}
            })))
            .mount(&upstream)
            .await;
        let (addr, _) = exporter_at(&upstream.uri(), |c| {
            c.admin = Some(AdminConfig::new(SecretString::from(ADMIN_TOKEN)))
        })
        .await;

        // Act
        let add = admin(
            addr,
            "POST",
            "/accounts",
            &json!({"accounts": [{"username": "thief1", "password": NEW_PASSWORD}], "product_type": 9})
                .to_string(),
        )
        .await;
        let change = admin(
            addr,
            "PATCH",
            "/accounts/thief1",
            &json!({"password": NEW_PASSWORD}).to_string(),
        )
        .await;

        // Assert
        for (status_code, body) in [&add, &change] {
            assert_eq!(*status_code, 502, "{status}: {body}");
            let error: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(error["error"]["code"], "upstream_error", "{status}: {body}");
            assert!(!body.contains(APP_KEY), "{status}: {body}");
            assert!(!body.contains(NEW_PASSWORD), "{status}: {body}");
        }
        assert_eq!(
            thief.connections().await,
            0,
            "{status}: {}",
            thief.received()
        );
        assert_no_referer(&upstream).await;
        upstream.verify().await;
    }
}

#[tokio::test]
async fn the_client_error_names_the_thiefs_host_but_not_the_key_or_the_path() {
    for status in REDIRECTS {
        // Arrange
        let thief = Thief::start().await;
        let upstream = redirecting_upstream(status, &thief).await;
        let (client, _) = common::client(&upstream.uri());

        // Act
        let get = client.list_accounts().await.unwrap_err().to_string();
        let post = client
            .change_password("thief1", &SecretString::from(NEW_PASSWORD))
            .await
            .unwrap_err()
            .to_string();

        // Assert
        for error in [&get, &post] {
            assert!(error.contains(&thief.host()), "{status}: {error}");
            assert!(error.contains(&status.to_string()), "{status}: {error}");
            for leak in [APP_KEY, NEW_PASSWORD, "app_key", "api-gate-way", "?"] {
                assert!(!error.contains(leak), "{status}: {error} holds {leak:?}");
            }
        }
        assert_eq!(
            thief.connections().await,
            0,
            "{status}: {}",
            thief.received()
        );
        upstream.verify().await;
    }
}

#[tokio::test]
async fn a_redirect_to_the_same_host_is_not_followed_and_no_request_carries_a_referer() {
    // Arrange: a relative redirect back to the upstream itself; following it would send a
    // second request there, with the first URL (and its app_key) as the Referer.
    let upstream = MockServer::start().await;
    Mock::given(query_param("hop", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 200, "msg": "success", "data": {"list": []}})),
        )
        .expect(0)
        .named("the redirect's target")
        .mount(&upstream)
        .await;
    Mock::given(query_param_is_missing("hop"))
        .respond_with(|request: &Request| {
            let location = format!(
                "{}?{}&hop=2",
                request.url.path(),
                request.url.query().unwrap_or("")
            );
            ResponseTemplate::new(302).insert_header("Location", location.as_str())
        })
        .expect(1..)
        .named("the first request")
        .mount(&upstream)
        .await;
    let (addr, _) = exporter_at(&upstream.uri(), |_| {}).await;

    // Act
    let metrics = scrape_text(addr).await;

    // Assert
    assert_eq!(sum(&metrics, "proxy911_up", &[]), 0.0, "{metrics}");
    assert_no_referer(&upstream).await;
    upstream.verify().await;
}

// ---------------------------------------------------------------------------------------------
// The real binary: forged log lines, the path prefix, the cleartext WARN
// ---------------------------------------------------------------------------------------------

/// Starts the real binary against `url` on a free port (see [`spawn_exporter`]).
fn spawn(url: &str, args: &[&str]) -> (tokio::process::Child, u16) {
    let port = common::free_port();
    (spawn_exporter(port, url, args, &[]), port)
}

/// Scrapes the binary's `/metrics` once it answers.
async fn scrape_when_up(port: u16) -> String {
    for _ in 0..200 {
        if let Ok(response) = http()
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            return response.text().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the exporter never answered");
}

/// Reads the exporter's stderr line by line until one contains `needle` (at most 15 s), then
/// stops it; returns every line read.
async fn log_lines_until(mut child: tokio::process::Child, needle: &str) -> Vec<String> {
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            let found = line.contains(needle);
            seen.push(line);
            if found {
                break;
            }
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(15), read).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    assert!(
        finished.is_ok() && seen.last().is_some_and(|l| l.contains(needle)),
        "no log line holds {needle:?}:\n{}",
        seen.join("\n")
    );
    seen
}

/// What a hostile upstream puts in `msg`: a line break, a carriage return and an ANSI colour,
/// then a forged audit line.
const FORGED_LINE: &str = "2026-01-01T00:00:00Z  INFO audit: operation=delete";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_message_can_neither_forge_a_log_line_nor_put_control_characters_in_the_log() {
    // Arrange
    let upstream = MockServer::start().await;
    let msg = format!("refused\r\u{1b}[31m red\n{FORGED_LINE} accounts=everyone\n");
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 10042, "msg": msg, "data": null})),
        )
        .expect(1..)
        .mount(&upstream)
        .await;
    let (child, port) = spawn(&upstream.uri(), &["--log.format", "text"]);

    // Act
    scrape_when_up(port).await;
    let logs = stop_and_read_logs(child).await;

    // Assert
    assert!(logs.contains("upstream refresh failed"), "{logs}");
    assert!(
        logs.contains("operation=delete"),
        "the message should be in the log, escaped:\n{logs}"
    );
    for line in logs.lines() {
        assert!(
            !line.trim_start().starts_with(FORGED_LINE),
            "a forged line:\n{logs}"
        );
    }
    let raw: Vec<char> = logs
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(
        raw.is_empty(),
        "raw control characters {raw:?} in the log:\n{logs:?}"
    );
    upstream.verify().await;
}

/// Runs the binary with `--api.url {upstream}{suffix}` and checks that it asks for the accounts
/// under `/prefix`, and never outside it.
async fn assert_prefix_kept(suffix: &str) {
    // Arrange
    let upstream = MockServer::start().await;
    Mock::given(path("/prefix/api-gate-way/whitelist-account/list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 200, "msg": "success", "data": {"list": []}})),
        )
        .expect(1..)
        .named("the accounts, under the prefix")
        .mount(&upstream)
        .await;
    Mock::given(path_regex("^/api-gate-way/"))
        .respond_with(ResponseTemplate::new(404))
        .expect(0)
        .named("any endpoint without the prefix")
        .mount(&upstream)
        .await;
    let (child, port) = spawn(&format!("{}{suffix}", upstream.uri()), &[]);

    // Act
    let metrics = scrape_when_up(port).await;
    stop_and_read_logs(child).await;

    // Assert
    assert_eq!(
        common::value(
            &metrics,
            "proxy911_collector_success",
            &[("collector", "accounts")]
        ),
        Some(1.0),
        "{metrics}"
    );
    upstream.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_url_with_a_path_prefix_and_a_trailing_slash_keeps_the_prefix() {
    assert_prefix_kept("/prefix/").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_url_with_a_path_prefix_and_no_trailing_slash_keeps_the_prefix() {
    assert_prefix_kept("/prefix").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_remote_host_warns_once_that_the_app_key_travels_in_clear() {
    // Arrange: a TTL of 0, so every scrape sends its requests in clear again.
    let (mut child, port) = spawn("http://example.invalid", &["--cache.ttl", "0s"]);
    let tail = common::LogTail::of(&mut child);

    // Act: three scrapes, each a refresh whose requests would each warn if it warned per
    // request; then stop it.
    let mut scraped = String::new();
    for _ in 0..3 {
        scraped = scrape_when_up(port).await;
    }
    let logs = tail.stop(child).await;

    // Assert
    let lines: Vec<&str> = logs.lines().collect();
    let warnings: Vec<&&str> = lines.iter().filter(|l| l.contains("in clear")).collect();
    assert_eq!(warnings.len(), 1, "{lines:#?}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(warnings[0].contains("example.invalid"), "{}", warnings[0]);
    assert!(lines.iter().all(|l| !l.contains(APP_KEY)));
    assert!(
        scraped.contains("proxy911_collector_success{collector=\"accounts\"} 0"),
        "the refreshes were tried (and failed): {scraped}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_loopback_upstream_starts_without_the_cleartext_warning() {
    for host in ["127.0.0.1", "localhost"] {
        // Arrange
        let (child, _) = spawn(&format!("http://{host}:{}", common::free_port()), &[]);

        // Act: everything up to the "listening" line (the WARN would come before it).
        let lines = log_lines_until(child, "listening").await;

        // Assert
        assert!(
            lines.iter().all(|l| !l.contains("in clear")),
            "{host}: {lines:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_certificate_nobody_vouches_for_is_logged_once_per_collector_not_per_request() {
    let (_sim, url) = common::simulator(Some(2)).await;
    let pki = common::tls::Pki::new("untrusted-upstream");
    let front = common::tls::tls_front(&pki, &url).await;
    let (child, port) = spawn(
        &format!("https://localhost:{}", front.port()),
        &["--cache.ttl", "0s"],
    );
    common::metrics_until(port, |t| t.contains("proxy911_up 0")).await;

    // With a TTL of 0 every scrape refreshes every collector, each a failed handshake: scrape
    // until the account list has failed six times (counted by the exporter itself).
    let mut failed = 0.0;
    for _ in 0..200 {
        let text = scrape_text(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await;
        failed = sum(
            &text,
            "proxy911_upstream_requests_total",
            &[("endpoint", Endpoint::AccountList.label())],
        );
        if failed >= 6.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed >= 6.0, "only {failed} account lists were tried");
    let logs = stop_and_read_logs(child).await;

    let certificate_lines: Vec<&str> = logs.lines().filter(|l| l.contains("certificate")).collect();
    assert!(
        !certificate_lines.is_empty() && certificate_lines.len() <= 5,
        "one line per collector when the cause appears, not one per request:\n{logs}"
    );
    assert!(
        certificate_lines.iter().all(|l| l.contains("WARN")),
        "{logs}"
    );
    assert!(!logs.contains("ERROR"), "{logs}");
}
