//! The admin API against hostile clients, on the real binary with its logs captured:
//! bodies over 1 MiB, declared or chunked, are a JSON 413 `payload_too_large`, audited and
//! counted like any refusal, while a valid body just under the limit still works; a body
//! trickled a byte every 5 s is a JSON 400 at the 10 s read deadline, audited and counted; every refused
//! authentication is counted by reason and logged at most once a minute per client, without
//! what was presented.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::{simulator, spawn_exporter, stop_and_read_logs, value, ADMIN_TOKEN};
use proxy911_exporter::http::admin::MAX_BODY_BYTES;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The real binary with the admin API on its metrics port, JSON logs; returns it and its port.
async fn admin_binary() -> (tokio::process::Child, u16, proxy911_simulator::Simulator) {
    let (sim, url) = simulator(None).await;
    let port = common::free_port();
    let child = spawn_exporter(
        port,
        &url,
        &["--log.format", "json"],
        &[("PROXY911_ADMIN_TOKEN", ADMIN_TOKEN)],
    );
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (child, port, sim);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the exporter never listened");
}

/// Scrapes the exporter on `port` until `ready` holds for the exposition (self counters may lag
/// a scrape by up to a second: the encoded tail is reused), for at most 5 s; the last scrape.
async fn scrape_until(port: u16, ready: impl Fn(&str) -> bool) -> String {
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut text = String::new();
    for _ in 0..50 {
        text = common::scrape_text(addr).await;
        if ready(&text) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text
}

/// The JSON log lines whose message is `message`.
fn lines_with(logs: &str, message: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == message)
        .collect()
}

/// An HTTP/1.1 request written by hand on a fresh connection, its body sent in `chunk`-byte
/// pieces (chunked encoding when `chunked`, else with `Content-Length`) while the answer is read,
/// so that an early answer is seen however the server treats the rest. Returns status and body.
async fn raw_request(
    port: u16,
    head: &str,
    body: Vec<u8>,
    chunked: bool,
    chunk: usize,
) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "{head}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    let send = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for piece in body.chunks(chunk) {
            if chunked {
                writer
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
            }
            writer.write_all(piece).await?;
            if chunked {
                writer.write_all(b"\r\n").await?;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(writer)
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 8192];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    send.abort();
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// `{"enabled":true}` padded with JSON whitespace to exactly `size` bytes.
fn padded_patch(size: usize) -> Vec<u8> {
    let mut body = br#"{"enabled":true}"#.to_vec();
    body.resize(size, b' ');
    body
}

fn assert_payload_too_large(status: u16, answer: &Value) {
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["code"], "payload_too_large", "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1048576 bytes"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_mib_body_is_a_json_413_payload_too_large_audited_and_counted() {
    let (child, port, sim) = admin_binary().await;
    let body = format!(
        r#"{{"accounts":[{{"username":"big1","password":"Pw1"}}],"product_type":9,"remark":"{}"}}"#,
        " ".repeat(2 << 20)
    );

    let answer = common::http()
        .post(format!("http://127.0.0.1:{port}/admin/accounts"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the answer arrives before the connection closes");
    let status = answer.status().as_u16();
    let answer: Value = answer.json().await.unwrap();
    let metrics = scrape_until(port, |m| m.contains(r#"outcome="payload_too_large""#)).await;
    let logs = stop_and_read_logs(child).await;

    assert_payload_too_large(status, &answer);
    assert_eq!(
        value(
            &metrics,
            "proxy911_admin_requests_total",
            &[("operation", "add"), ("outcome", "payload_too_large")]
        ),
        Some(1.0),
        "{metrics}"
    );
    let audit = lines_with(&logs, "admin operation");
    assert_eq!(audit.len(), 1, "{logs}");
    assert_eq!(
        (&audit[0]["operation"], &audit[0]["outcome"]),
        (&Value::from("add"), &Value::from("payload_too_large"))
    );
    assert!(audit[0]["client"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(
        sim.request_count(proxy911_simulator::Endpoint::AccountAdd),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_without_a_length_is_refused_once_past_1_mib_audited_and_counted() {
    let (child, port, _sim) = admin_binary().await;

    let (patch, patch_answer) = raw_request(
        port,
        "PATCH /admin/accounts/u1 HTTP/1.1",
        padded_patch(2 << 20),
        true,
        64 << 10,
    )
    .await;
    let (disable, disable_answer) = raw_request(
        port,
        "POST /admin/accounts/actions/disable HTTP/1.1",
        padded_patch(MAX_BODY_BYTES + 1),
        true,
        MAX_BODY_BYTES / 4,
    )
    .await;
    let metrics = scrape_until(port, |m| {
        m.matches(r#"outcome="payload_too_large""#).count() == 2
    })
    .await;
    let logs = stop_and_read_logs(child).await;

    assert_payload_too_large(patch, &patch_answer);
    assert_payload_too_large(disable, &disable_answer);
    for operation in ["update", "disable"] {
        assert_eq!(
            value(
                &metrics,
                "proxy911_admin_requests_total",
                &[("operation", operation), ("outcome", "payload_too_large")]
            ),
            Some(1.0),
            "{operation}: {metrics}"
        );
    }
    let audit: Vec<(Value, Value)> = lines_with(&logs, "admin operation")
        .into_iter()
        .map(|l| (l["operation"].clone(), l["outcome"].clone()))
        .collect();
    assert_eq!(
        audit,
        [
            ("update".into(), "payload_too_large".into()),
            ("disable".into(), "payload_too_large".into())
        ],
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_body_of_exactly_1_mib_still_works_declared_or_chunked() {
    let (child, port, _sim) = admin_binary().await;
    let add = |user: &str| {
        let mut body = format!(
            r#"{{"accounts":[{{"username":"{user}","password":"Pw1"}}],"product_type":9}}"#
        )
        .into_bytes();
        body.resize(MAX_BODY_BYTES, b' ');
        body
    };
    let head = "POST /admin/accounts HTTP/1.1";

    let declared = raw_request(port, head, add("full1"), false, 64 << 10).await;
    let chunked = raw_request(port, head, add("full2"), true, 64 << 10).await;
    let logs = stop_and_read_logs(child).await;

    for ((status, answer), user) in [(declared, "full1"), (chunked, "full2")] {
        assert_eq!(status, 201, "{answer}\n{logs}");
        assert_eq!(answer["accounts"], serde_json::json!([user]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_authentications_are_counted_by_reason_and_logged_once_a_minute_per_client() {
    const GUESS: &str = "GuessedAdminT0ken";
    let (child, port, _sim) = admin_binary().await;
    let before = scrape_until(port, |_| true).await;
    let accounts = format!("http://127.0.0.1:{port}/admin/accounts");
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .no_proxy()
            .local_address(IpAddr::V4(Ipv4Addr::from(ip)))
            .build()
            .unwrap()
    };
    let (first, second) = (from([127, 0, 0, 1]), from([127, 0, 0, 2]));

    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(first.get(&accounts).send().await.unwrap().status());
    }
    for authorization in ["Basic QWxhZGRpbjpvcGVu", "Bearer"] {
        let refused = first.get(&accounts).header("authorization", authorization);
        statuses.push(refused.send().await.unwrap().status());
    }
    for _ in 0..3 {
        let refused = first.get(&accounts).bearer_auth(GUESS);
        statuses.push(refused.send().await.unwrap().status());
    }
    let refused = second.get(&accounts).bearer_auth(GUESS);
    statuses.push(refused.send().await.unwrap().status());
    let after = scrape_until(port, |m| {
        value(
            m,
            "proxy911_admin_auth_failures_total",
            &[("reason", "wrong")],
        ) == Some(4.0)
    })
    .await;
    let logs = stop_and_read_logs(child).await;

    assert!(statuses.iter().all(|s| s.as_u16() == 401), "{statuses:?}");
    let failures = |text: &str, reason| {
        value(
            text,
            "proxy911_admin_auth_failures_total",
            &[("reason", reason)],
        )
    };
    for reason in ["missing", "malformed", "wrong"] {
        assert_eq!(failures(&before, reason), Some(0.0), "{reason}: {before}");
    }
    assert_eq!(failures(&after, "missing"), Some(2.0), "{after}");
    assert_eq!(failures(&after, "malformed"), Some(2.0), "{after}");
    assert_eq!(failures(&after, "wrong"), Some(4.0), "{after}");
    let lines = lines_with(&logs, "admin authentication refused");
    let seen: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            let client = l["client"].as_str().unwrap();
            let ip = client.rsplit_once(':').map_or(client, |(ip, _)| ip);
            (
                l["level"].as_str().unwrap(),
                ip,
                l["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("WARN", "127.0.0.1", "missing"),
            ("WARN", "127.0.0.2", "wrong")
        ],
        "one line per client within the minute:\n{logs}"
    );
    assert!(!logs.contains(GUESS), "the presented token is never logged");
    assert!(!logs.contains("QWxhZGRpbjpvcGVu"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_a_byte_every_5_seconds_is_a_json_400_at_the_read_deadline_audited_and_counted(
) {
    let (child, port, sim) = admin_binary().await;
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "PATCH /admin/accounts/u1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
    );
    let trickle = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for _ in 0..100 {
            writer.write_all(b" ").await?;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        std::io::Result::Ok(())
    });
    let mut answer = Vec::new();
    // A guard against hanging only: the deadline itself is 10 s.
    let read = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "no answer within 20 s");
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let answer: Value = serde_json::from_str(body).unwrap();
    let metrics = scrape_until(port, |m| m.contains(r#"outcome="invalid_argument""#)).await;
    let logs = stop_and_read_logs(child).await;

    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert_eq!(answer["error"]["code"], "invalid_argument", "{answer}");
    assert_eq!(answer["error"]["field"], "body", "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("within 10 seconds"),
        "{answer}"
    );
    assert_eq!(
        value(
            &metrics,
            "proxy911_admin_requests_total",
            &[("operation", "update"), ("outcome", "invalid_argument")]
        ),
        Some(1.0),
        "{metrics}"
    );
    let audit = lines_with(&logs, "admin operation");
    assert_eq!(audit.len(), 1, "{logs}");
    assert_eq!(audit[0]["outcome"], "invalid_argument", "{logs}");
    assert_eq!(
        sim.request_count(proxy911_simulator::Endpoint::AccountEnable),
        0
    );
}
