//! The upstream client against wiremock: every method's request (method, path, app_key
//! placement, body), decoding of the reference's own examples, both envelope variants, error
//! codes, retries, malformed answers, timeouts, pagination, and redaction of the app_key.

mod common;

use proxy911_exporter::upstream::ProductType;

use std::time::Duration;

use common::{client, APP_KEY};
use prometheus_client::registry::Registry;
use proxy911_exporter::upstream::api::{IpType, NewAccount};
use proxy911_exporter::upstream::{Client, ClientOptions, Endpoint, Outcome, UpstreamError};
use secrecy::SecretString;
use serde_json::{json, Value};
use wiremock::matchers::{body_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"code": 200, "msg": "string", "data": data}))
}

async fn get_mock(server: &MockServer, endpoint: Endpoint, answer: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path(endpoint.path()))
        .and(query_param("app_key", APP_KEY))
        .respond_with(answer)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_account_list_is_a_get_with_the_app_key_in_the_query_and_decodes_the_reference_example()
{
    let server = MockServer::start().await;
    let reference = json!({"list": [{"id": 0, "username": "string", "password": "string", "created_at": "string",
        "remark": "string", "product_type": 9, "usage_flow": 0, "limit_flow": 102400, "status": 0}]});
    get_mock(&server, Endpoint::AccountList, ok(reference), 1).await;
    let (client, _) = client(&server.uri());

    let accounts = client.list_accounts().await.unwrap();

    assert_eq!(accounts.items.len(), 1);
    let account = &accounts.items[0];
    assert_eq!(account.username.as_deref(), Some("string"));
    assert_eq!(account.product_type, Some(ProductType::from_code(9)));
    assert_eq!(account.limit_flow, Some(102400.0));
    assert_eq!(account.enabled, Some(false));
    assert!(
        !format!("{account:?}").contains("password"),
        "the password is never kept"
    );
}

#[tokio::test]
async fn the_package_summary_asks_for_one_product_type_and_decodes_the_reference_example() {
    let server = MockServer::start().await;
    let reference = json!({"total": 1048576, "total_count": 5, "effective": 524288, "effective_count": 3,
        "effective_total": 786432, "effective_used": 262144, "temporary": 102400, "temporary_count": 1,
        "expired": 51200, "expired_count": 1, "used": 473088});
    Mock::given(method("GET"))
        .and(path(Endpoint::PackageSummary.path()))
        .and(query_param("app_key", APP_KEY))
        .and(query_param("product_type", "12"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 200, "msg": "Success", "data": reference})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri());

    let summary = client
        .package_summary(ProductType::from_code(12))
        .await
        .unwrap()
        .value;

    assert_eq!(summary.total, Some(1048576.0));
    assert_eq!(summary.temporary_count, Some(1.0));
    assert_eq!(summary.used, Some(473088.0));
}

#[tokio::test]
async fn the_package_list_follows_three_pages_once_each() {
    let server = MockServer::start().await;
    for page in 1..=3 {
        let item = json!({"id": page, "created_at": "2022-05-13 12:14:15", "expired_at": "2022-05-13 12:14:15",
            "product_type": 9, "trade_no": format!("T{page}"),
            "order": {"created_at": "2022-05-13 12:13:43", "pay_at": "2022-05-13 12:13:43", "title": "入门级"}});
        Mock::given(method("GET"))
            .and(path(Endpoint::PackageList.path()))
            .and(query_param("app_key", APP_KEY))
            .and(query_param("page", page.to_string()))
            .respond_with(ok(json!({"list": [item], "page": page, "page_size": 1, "total_count": 3, "total_page": 3})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (client, _) = client(&server.uri());

    let packages = client.list_packages().await.unwrap();

    let trade_nos: Vec<_> = packages
        .items
        .iter()
        .map(|p| p.trade_no.as_deref().unwrap())
        .collect();
    assert_eq!(trade_nos, ["T1", "T2", "T3"]);
}

/// Two pages of purchased static IPs, each asked once, with a `pagination` object.
async fn static_ip_pages(server: &MockServer, pages: [Value; 2]) {
    for (i, list) in pages.into_iter().enumerate() {
        let page = i + 1;
        Mock::given(method("GET"))
            .and(path(Endpoint::StaticIpList.path()))
            .and(query_param("page", page.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "ok",
                "data": {"list": list, "pagination": {"total": 4, "page_no": page, "page_size": 2, "total_pages": 2}}})))
            .expect(1)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn purchased_static_ips_follow_the_pagination_object_and_keep_odd_items_apart() {
    let server = MockServer::start().await;
    let pages = [
        json!([{"ip": "1.2.3.4", "country_code": "US", "product_type": 25, "status": 1}, "not an object"]),
        json!([{"ip": "5.6.7.8", "country": "de", "type": "14", "state": "3"}, {}]),
    ];
    static_ip_pages(&server, pages).await;
    let (client, _) = client(&server.uri());

    let ips = client.list_static_ips().await.unwrap();

    // "not an object" and `{}` (no `ip`: nothing identifies it) are skipped and counted.
    assert_eq!(ips.items.len(), 2);
    assert_eq!(ips.drift.skipped, 2);
    assert_eq!(ips.items[1].country_code.as_deref(), Some("de"));
    assert_eq!(ips.items[1].product_type, Some(ProductType::from_code(14)));
    assert_eq!(ips.items[1].status, Some(3));
}

#[tokio::test]
async fn a_page_repeated_while_the_list_shifts_is_skipped_and_counted_for_every_list() {
    let server = MockServer::start().await;
    let pages = [
        json!([{"ip": "1.2.3.4", "product_type": 25}, {"ip": "5.6.7.8", "product_type": 25}]),
        json!([{"ip": "5.6.7.8", "product_type": 25}, {"ip": "9.9.9.9", "product_type": 25}]),
    ];
    static_ip_pages(&server, pages).await;
    let (client, _) = client(&server.uri());

    let ips = client.list_static_ips().await.unwrap();

    let addresses: Vec<_> = ips
        .items
        .iter()
        .map(|ip| ip.ip.as_deref().unwrap())
        .collect();
    assert_eq!(addresses, ["1.2.3.4", "5.6.7.8", "9.9.9.9"]);
    assert_eq!(ips.drift.skipped, 1);
}

#[tokio::test]
async fn static_ip_regions_ask_by_isp_and_decode_the_reference_example() {
    let server = MockServer::start().await;
    for (isp, number) in [("1", 55), ("0", 7)] {
        Mock::given(method("GET"))
            .and(path(Endpoint::StaticIpRegions.path()))
            .and(query_param("isp", isp))
            .and(query_param("app_key", APP_KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"code": 200, "msg": "Request successful", "data": {"list": [{"code": "US", "number": number}]}}),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (client, _) = client(&server.uri());

    let residential = client.static_ip_regions(IpType::Residential).await.unwrap();
    let datacenter = client.static_ip_regions(IpType::Datacenter).await.unwrap();

    assert_eq!(residential.items[0].number, Some(55.0));
    assert_eq!(datacenter.items[0].number, Some(7.0));
}

#[tokio::test]
async fn daily_traffic_decodes_the_reference_example() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::TrafficDaily,
        ok(json!({"list": [{"day": "2022-08-01", "flow": 0}]})),
        1,
    )
    .await;
    let (client, _) = client(&server.uri());

    let days = client.daily_traffic().await.unwrap();

    assert_eq!(days.items[0].day.as_deref(), Some("2022-08-01"));
}

/// Mounts a POST expecting exactly `body` (app_key included) and no app_key in the query.
async fn post_mock(server: &MockServer, endpoint: Endpoint, body: Value) {
    Mock::given(method("POST"))
        .and(path(endpoint.path()))
        .and(query_param_is_missing("app_key"))
        .and(body_json(body))
        .respond_with(ok(Value::Null))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn every_management_call_posts_its_json_body_with_the_app_key() {
    let server = MockServer::start().await;
    post_mock(&server, Endpoint::AccountAdd, json!({"app_key": APP_KEY, "accounts": "user01:pass1,user02:pass2", "remark": "备注", "product_type": 25})).await;
    post_mock(
        &server,
        Endpoint::AccountDelete,
        json!({"app_key": APP_KEY, "accounts": "user01,user02"}),
    )
    .await;
    post_mock(
        &server,
        Endpoint::AccountEnable,
        json!({"app_key": APP_KEY, "accounts": "user01"}),
    )
    .await;
    post_mock(
        &server,
        Endpoint::AccountDisable,
        json!({"app_key": APP_KEY, "accounts": "user01,user02"}),
    )
    .await;
    post_mock(
        &server,
        Endpoint::AccountChangePassword,
        json!({"app_key": APP_KEY, "account": "user01", "password": "newPass1"}),
    )
    .await;
    post_mock(
        &server,
        Endpoint::AccountChangeRemark,
        json!({"app_key": APP_KEY, "account": "user01", "remark": ""}),
    )
    .await;
    post_mock(
        &server,
        Endpoint::AccountChangeLimit,
        json!({"app_key": APP_KEY, "account": "user01", "limit": 0}),
    )
    .await;
    let (client, _) = client(&server.uri());
    let both = ["user01".to_string(), "user02".to_string()];
    let new = |u: &str, p: &str| NewAccount {
        username: u.into(),
        password: SecretString::from(p),
    };

    client
        .add_accounts(
            &[new("user01", "pass1"), new("user02", "pass2")],
            25,
            "备注",
        )
        .await
        .unwrap();
    client.delete_accounts(&both).await.unwrap();
    client.enable_accounts(&both[..1]).await.unwrap();
    client.disable_accounts(&both).await.unwrap();
    client
        .change_password("user01", &SecretString::from("newPass1"))
        .await
        .unwrap();
    client.change_remark("user01", "").await.unwrap();
    client.change_limit("user01", 0).await.unwrap();
}

#[tokio::test]
async fn both_envelope_variants_are_success() {
    let server = MockServer::start().await;
    let message_style = ResponseTemplate::new(200)
        .set_body_json(json!({"code": 0, "message": "Operation successful", "data": {"list": [{"day": "2026-11-28", "flow": "12"}]}}));
    get_mock(&server, Endpoint::TrafficDaily, message_style, 1).await;
    get_mock(&server, Endpoint::AccountList, ok(json!({"list": []})), 1).await;
    let (client, _) = client(&server.uri());

    assert_eq!(
        client.daily_traffic().await.unwrap().items[0].flow,
        Some(12.0)
    );
    assert!(client.list_accounts().await.unwrap().items.is_empty());
}

#[tokio::test]
async fn upstream_codes_become_typed_errors_with_their_message() {
    let server = MockServer::start().await;
    let answer = |code: i64, key: &str| {
        ResponseTemplate::new(200)
            .set_body_json(json!({"code": code, key: format!("message {code}"), "data": null}))
    };
    get_mock(&server, Endpoint::AccountList, answer(3, "msg"), 1).await;
    get_mock(&server, Endpoint::TrafficDaily, answer(156, "message"), 1).await;
    post_mock_answer(&server, Endpoint::AccountEnable, answer(10003, "msg")).await;
    let (client, metrics) = client(&server.uri());

    assert_eq!(
        client.list_accounts().await.unwrap_err(),
        UpstreamError::InvalidAppKey {
            message: "message 3".into()
        }
    );
    assert_eq!(
        client.daily_traffic().await.unwrap_err(),
        UpstreamError::NotRealNameAuthenticated {
            message: "message 156".into()
        }
    );
    assert_eq!(
        client.enable_accounts(&["u1".into()]).await.unwrap_err(),
        UpstreamError::Api {
            code: 10003,
            message: "message 10003".into()
        }
    );
    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::ApiError), 1);
}

async fn post_mock_answer(server: &MockServer, endpoint: Endpoint, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(endpoint.path()))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_get_is_retried_after_500_and_429_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get_mock(&server, Endpoint::AccountList, ok(json!({"list": []})), 1).await;
    let (client, metrics) = client(&server.uri());

    client.list_accounts().await.unwrap();

    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::HttpError), 2);
    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::Success), 1);
}

#[tokio::test]
async fn a_get_gives_up_after_its_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri());

    assert_eq!(
        client.list_accounts().await.unwrap_err(),
        UpstreamError::Http { status: 503 }
    );
}

#[tokio::test]
async fn a_post_is_never_retried() {
    let server = MockServer::start().await;
    post_mock_answer(&server, Endpoint::AccountDelete, ResponseTemplate::new(500)).await;
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountDisable.path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri());

    assert_eq!(
        client.delete_accounts(&["u1".into()]).await.unwrap_err(),
        UpstreamError::Http { status: 500 }
    );
    assert_eq!(
        client.disable_accounts(&["u1".into()]).await.unwrap_err(),
        UpstreamError::Http { status: 429 }
    );
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"code":200,"msg":"ok","data":{"list":["#,
            "application/json",
        ),
        1,
    )
    .await;
    let (client, metrics) = client(&server.uri());

    let error = client.list_accounts().await.unwrap_err();

    assert!(matches!(error, UpstreamError::Decode(_)), "{error:?}");
    assert_eq!(
        metrics.count(Endpoint::AccountList, Outcome::DecodeError),
        1
    );
}

#[tokio::test]
async fn an_answer_without_a_code_is_a_decode_error() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(200).set_body_json(json!({})),
        1,
    )
    .await;
    let (client, _) = client(&server.uri());

    assert!(matches!(
        client.list_accounts().await.unwrap_err(),
        UpstreamError::Decode(_)
    ));
}

fn short_timeout_client(uri: &str) -> (Client, proxy911_exporter::upstream::UpstreamMetrics) {
    let metrics = proxy911_exporter::upstream::UpstreamMetrics::default();
    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        rate_limit: 1000.0,
        rate_burst: 1000,
        ..ClientOptions::new(uri.parse().unwrap(), SecretString::from(APP_KEY))
    };
    (Client::new(options, metrics.clone()).unwrap(), metrics)
}

#[tokio::test]
async fn a_slow_upstream_is_a_timeout_and_is_not_retried() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::AccountList,
        ok(json!({"list": []})).set_delay(Duration::from_secs(2)),
        1,
    )
    .await;
    let (client, metrics) = short_timeout_client(&server.uri());

    let error = client.list_accounts().await.unwrap_err();

    assert_eq!(error, UpstreamError::Timeout(Duration::from_millis(300)));
    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::Timeout), 1);
}

#[tokio::test]
async fn no_error_text_ever_contains_the_app_key() {
    let server = MockServer::start().await;
    // The upstream echoing the key back in its message, in a decode error and in a timeout.
    let echo = ResponseTemplate::new(200)
        .set_body_json(json!({"code": 3, "msg": format!("app_key {APP_KEY} 无效")}));
    get_mock(&server, Endpoint::AccountList, echo, 1).await;
    let bad_code = ResponseTemplate::new(200).set_body_json(json!({"code": APP_KEY, "data": {}}));
    get_mock(
        &server,
        Endpoint::StaticIpRegions,
        ResponseTemplate::new(200).set_body_json(json!({"code": 200, "data": APP_KEY})),
        1,
    )
    .await;
    get_mock(&server, Endpoint::TrafficDaily, bad_code, 1).await;
    get_mock(
        &server,
        Endpoint::PackageSummary,
        ResponseTemplate::new(500),
        3,
    )
    .await;
    get_mock(
        &server,
        Endpoint::PackageList,
        ok(json!({})).set_delay(Duration::from_secs(2)),
        1,
    )
    .await;
    let (client, _) = short_timeout_client(&server.uri());
    // A closed port: reqwest's own error would print the URL with `?app_key=…`.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (unreachable, _) = short_timeout_client(&format!("http://{closed}"));

    let errors = vec![
        client.list_accounts().await.unwrap_err(),
        client
            .static_ip_regions(IpType::Residential)
            .await
            .unwrap_err(),
        client.daily_traffic().await.unwrap_err(),
        client
            .package_summary(ProductType::from_code(9))
            .await
            .unwrap_err(),
        client.list_packages().await.unwrap_err(),
        unreachable.list_accounts().await.unwrap_err(),
        unreachable
            .delete_accounts(&["u1".into()])
            .await
            .unwrap_err(),
    ];

    for error in errors {
        let texts = [error.to_string(), format!("{error:?}")];
        for text in texts {
            assert!(!text.contains(APP_KEY), "leaks the app_key: {text}");
            assert!(!text.contains("app_key="), "carries a URL query: {text}");
        }
    }
}

#[tokio::test]
async fn without_a_page_count_pages_are_followed_until_a_short_one() {
    let server = MockServer::start().await;
    let items = |n: usize, base: usize| -> Vec<Value> {
        (0..n).map(|i| json!({"id": base + i, "expired_at": "2026-01-01 00:00:00", "product_type": 9, "trade_no": format!("T{}", base + i)})).collect()
    };
    for (page, list) in [(1, items(100, 0)), (2, items(3, 100))] {
        Mock::given(method("GET"))
            .and(path(Endpoint::PackageList.path()))
            .and(query_param("page", page.to_string()))
            .and(query_param("size", "100"))
            .respond_with(ok(json!({ "list": list })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (client, _) = client(&server.uri());

    let packages = client.list_packages().await.unwrap();

    assert_eq!(packages.items.len(), 103);
    assert_eq!(packages.items[102].trade_no.as_deref(), Some("T102"));
}

#[tokio::test]
async fn an_absurd_page_count_is_refused_after_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::StaticIpList.path()))
        .respond_with(ok(json!({"list": [], "total_page": 5000000})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri());

    assert!(matches!(
        client.list_static_ips().await,
        Err(UpstreamError::TooManyPages(_))
    ));
}

#[tokio::test]
async fn an_https_upstream_that_fails_the_handshake_is_a_transport_error_without_the_key() {
    // A loopback port that accepts and speaks no TLS: the TLS stack (rustls on ring) must be
    // wired up and report a clean error, never panic.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let (client, metrics) = short_timeout_client(&format!("https://{addr}"));

    let error = client.list_accounts().await.unwrap_err();

    assert!(matches!(error, UpstreamError::Transport(_)), "{error:?}");
    assert!(!error.to_string().contains(APP_KEY));
    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::HttpError), 1);
}

#[tokio::test]
async fn an_answer_larger_than_32_mib_is_refused_not_held() {
    let server = MockServer::start().await;
    let huge = format!(
        r#"{{"code":200,"msg":"ok","data":{{"list":[],"pad":"{}"}}}}"#,
        "x".repeat(33 * 1024 * 1024)
    );
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(200).set_body_raw(huge, "application/json"),
        1,
    )
    .await;
    let (client, _) = client(&server.uri());

    let error = client.list_accounts().await.unwrap_err();

    assert!(
        matches!(&error, UpstreamError::Decode(m) if m.contains("larger than 32 MiB")),
        "{error:?}"
    );
}

/// An endless chunked answer, as a raw HTTP/1.1 server writes it: no `Content-Length`.
async fn endless_chunked_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, "x".repeat(1 << 20));
                while stream.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_streaming_without_end_share_one_budget_and_each_fails_within_it() {
    let url = endless_chunked_server().await;
    let (client, _) = client(&url);

    // Four at once: together they could hold 4 x 32 MiB; the budget lets them hold 48 MiB.
    let results = futures::future::join_all((0..4).map(|_| client.list_accounts())).await;

    for result in results {
        let error = result.unwrap_err();
        assert!(
            matches!(&error, UpstreamError::Decode(m)
                if m.contains("larger than 32 MiB") || m.contains("48 MiB budget")),
            "{error:?}"
        );
    }
    assert_eq!(
        proxy911_exporter::upstream::budget::available(),
        proxy911_exporter::upstream::budget::BUDGET_BYTES,
        "every reservation is given back"
    );
}

// ---- orders, user, dynamic coverage ----

/// The reference's example of `order/list`: the `code: 0` + `message` envelope, an RFC 3339
/// `created_at`, and a `pagination` object.
fn reference_orders() -> Value {
    json!({"code": 0, "message": "Operation successful", "data": {
        "list": [{"id": 0, "trade_no": "string", "product_id": 0, "product_name": "string",
                  "total_fee": 0.1, "pay_fee": 0.1, "status": 0, "created_at": "2019-08-24T14:15:22Z"}],
        "pagination": {"total": 0, "page_no": 0, "page_size": 0, "total_pages": 0}}})
}

/// A client whose metrics are registered, as the exporter's are, under `proxy911`.
fn registered_client(uri: &str) -> (Client, Registry) {
    let mut registry = Registry::default();
    let metrics = proxy911_exporter::upstream::UpstreamMetrics::register(
        registry.sub_registry_with_prefix("proxy911"),
        Endpoint::ALL,
    );
    (common::client_with(uri, metrics), registry)
}

/// The text exposition of `registry`, to read the drift counters.
fn exposition(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

#[tokio::test]
async fn the_order_list_asks_page_no_and_page_size_and_decodes_the_reference_example() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::OrderList.path()))
        .and(query_param("app_key", APP_KEY))
        .and(query_param("page_no", "1"))
        .and(query_param("page_size", "100"))
        .and(query_param_is_missing("page"))
        .and(query_param_is_missing("size"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reference_orders()))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server.uri());

    let orders = client.list_orders().await.unwrap();

    assert_eq!(orders.items.len(), 1);
    let order = &orders.items[0];
    assert_eq!(
        (order.id, order.status, order.pay_fee, order.product_type),
        (Some(0), Some(0), Some(0.1), None)
    );
    let utc = chrono::FixedOffset::east_opt(0).unwrap();
    assert_eq!(
        order.created_at.and_then(|t| t.unix(&utc)),
        Some(1566656122.0)
    );
    assert_eq!(orders.drift.defaulted_total(), 0);
    assert!(orders.drift.unknown_fields.is_empty(), "{:?}", orders.drift);
}

#[tokio::test]
async fn the_order_list_follows_its_pagination_object_asking_each_page_no_once() {
    let server = MockServer::start().await;
    for page in 1..=3 {
        let order = json!({"id": page, "product_type": 19, "pay_fee": 2.5, "status": 1,
                           "created_at": "2026-01-01T00:00:00Z"});
        Mock::given(method("GET"))
            .and(path(Endpoint::OrderList.path()))
            .and(query_param("page_no", page.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "ok",
                "data": {"list": [order], "pagination": {"total": 3, "page_no": page, "page_size": 1, "total_pages": 3}}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (client, _) = client(&server.uri());

    let orders = client.list_orders().await.unwrap();

    let ids: Vec<_> = orders.items.iter().map(|o| o.id.unwrap()).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(
        orders.items[0].product_type,
        Some(ProductType::StaticIpRenewal)
    );
}

#[tokio::test]
async fn user_info_decodes_the_reference_example_without_keeping_the_email_or_phone() {
    let server = MockServer::start().await;
    let reference = json!({"code": 0, "message": "Operation successful", "data": {"id": 0,
        "email": "[email protected]", "phone": "+86-139-0000-1111", "balance": 0.1, "status": 0,
        "is_real_name": true, "created_at": "2019-08-24T14:15:22Z"}});
    get_mock(
        &server,
        Endpoint::UserInfo,
        ResponseTemplate::new(200).set_body_json(reference),
        1,
    )
    .await;
    let (client, _) = client(&server.uri());

    let user = client.user_info().await.unwrap();

    assert_eq!(user.value.balance, Some(0.1));
    assert_eq!(user.value.real_name_verified, Some(true));
    let kept = format!("{user:?}");
    for personal in ["[email protected]", "+86-139-0000-1111", "email", "phone"] {
        assert!(!kept.contains(personal), "{personal} kept: {kept}");
    }
}

#[tokio::test]
async fn user_info_that_is_not_open_yet_is_a_typed_error() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::UserInfo,
        ResponseTemplate::new(200)
            .set_body_json(json!({"code": 404, "message": "接口暂未开放", "data": null})),
        1,
    )
    .await;
    let (client, metrics) = client(&server.uri());

    let error = client.user_info().await.unwrap_err();

    assert!(
        matches!(error, UpstreamError::Api { code: 404, .. }),
        "{error:?}"
    );
    assert_eq!(metrics.count(Endpoint::UserInfo, Outcome::ApiError), 1);
}

#[tokio::test]
async fn dynamic_states_and_cities_decode_the_reference_examples() {
    let server = MockServer::start().await;
    let country = |item: Value| {
        json!({"list": [{"name_zh_cn": "美国", "name_en": "United States", "continent_code": "NA",
                         "country_code": "US", "items": [item]}]})
    };
    get_mock(
        &server,
        Endpoint::DynamicStates,
        ok(country(
            json!({"state": "California", "continent_code": null, "country_code": null}),
        )),
        1,
    )
    .await;
    get_mock(
        &server,
        Endpoint::DynamicCities,
        ok(country(
            json!({"city": "Los Angeles", "state": "California", "continent_code": null, "country_code": null}),
        )),
        1,
    )
    .await;
    let (client, _) = client(&server.uri());

    let states = client.dynamic_states().await.unwrap();
    let cities = client.dynamic_cities().await.unwrap();

    assert_eq!(states.items[0].country_code.as_deref(), Some("US"));
    let state = &states.items[0].places.as_ref().unwrap()[0];
    assert_eq!(state.state.as_deref(), Some("California"));
    let city = &cities.items[0].places.as_ref().unwrap()[0];
    assert_eq!(
        (city.city.as_deref(), city.state.as_deref()),
        (Some("Los Angeles"), Some("California"))
    );
    assert!(states.drift.unknown_fields.is_empty(), "{:?}", states.drift);
}

#[tokio::test]
async fn a_wrong_typed_order_field_is_defaulted_and_a_non_object_order_skipped_and_counted() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::OrderList,
        ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "ok", "data": {
            "list": [{"id": 1, "status": {"code": 0}, "pay_fee": [5], "created_at": "2026-01-01T00:00:00Z"},
                     "junk", 7, {"id": 2, "status": 1, "pay_fee": "-3"}],
            "pagination": {"total": 2, "page_no": 1, "page_size": 100, "total_pages": 1}}})),
        1,
    )
    .await;
    let (client, registry) = registered_client(&server.uri());

    let orders = client.list_orders().await.unwrap();

    assert_eq!(orders.items.len(), 2);
    assert_eq!(
        (orders.items[0].status, orders.items[0].pay_fee),
        (None, None)
    );
    assert_eq!(orders.items[1].pay_fee, None, "a negative fee is not read");
    assert_eq!(orders.drift.skipped, 2);
    assert_eq!(orders.drift.defaulted.get("status"), Some(&1));
    assert_eq!(orders.drift.defaulted.get("pay_fee"), Some(&2));
    let text = exposition(&registry);
    assert!(text.contains("proxy911_upstream_items_skipped_total{endpoint=\"order/list\"} 2"));
    assert!(text.contains(
        "proxy911_upstream_fields_defaulted_total{endpoint=\"order/list\",field=\"pay_fee\"} 2"
    ));
}

#[tokio::test]
async fn a_wrong_typed_user_or_coverage_field_is_defaulted_and_a_non_object_place_skipped() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::UserInfo,
        ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "ok",
            "data": {"balance": {"CNY": 3}, "is_real_name": 2, "email": "x@y.z"}})),
        1,
    )
    .await;
    get_mock(
        &server,
        Endpoint::DynamicCities,
        ok(json!({"list": [
            {"country_code": "US", "items": [{"city": "Austin", "state": ["TX"]}, "Dallas", null]},
            {"country_code": "DE", "items": {"city": "Berlin"}},
            ["not", "a", "country"]]})),
        1,
    )
    .await;
    let (client, registry) = registered_client(&server.uri());

    let user = client.user_info().await.unwrap();
    let cities = client.dynamic_cities().await.unwrap();

    assert_eq!(user.value.balance, None);
    assert_eq!(user.value.real_name_verified, None);
    assert_eq!(user.drift.defaulted_total(), 2);
    assert!(
        user.drift.unknown_fields.is_empty(),
        "the e-mail is known, not read"
    );
    assert_eq!(cities.items.len(), 2);
    let us = cities.items[0].places.as_ref().unwrap();
    assert_eq!(
        (us.len(), us[0].city.as_deref(), us[0].state.as_deref()),
        (1, Some("Austin"), None)
    );
    assert_eq!(cities.items[1].places, None, "items of the wrong type");
    assert_eq!(cities.drift.skipped, 3);
    assert_eq!(cities.drift.defaulted.get("items"), Some(&1));
    assert_eq!(cities.drift.defaulted.get("state"), Some(&1));
    let text = exposition(&registry);
    assert!(text.contains(
        "proxy911_upstream_fields_defaulted_total{endpoint=\"user/info\",field=\"balance\"} 1"
    ));
    assert!(text.contains("proxy911_upstream_items_skipped_total{endpoint=\"ip/dynamic-citys\"} 3"));
}

// ---------------------------------------------------------------------------------------------
// Pacing on tokio's paused clock: the token bucket, backoff and `Retry-After`
// ---------------------------------------------------------------------------------------------

/// Freezes tokio's paused clock until the returned sender is dropped: a running blocking task
/// keeps a paused clock from advancing on its own (tokio's test-util), so time moves only by
/// `tokio::time::advance` while the requests to wiremock go on in real time. The client's own
/// timeouts cannot fire, and every delay the client takes is exactly the time advanced.
fn freeze_clock() -> std::sync::mpsc::Sender<()> {
    let (thaw, frozen) = std::sync::mpsc::channel::<()>();
    tokio::task::spawn_blocking(move || {
        let _ = frozen.recv();
    });
    thaw
}

/// A client paced by `rate` per second and `burst`, with `backoff` before the first retry.
fn paced_client(
    uri: &str,
    rate: f64,
    burst: u32,
    backoff: Duration,
) -> (Client, proxy911_exporter::upstream::UpstreamMetrics) {
    let metrics = proxy911_exporter::upstream::UpstreamMetrics::default();
    let options = ClientOptions {
        timeout: Duration::from_secs(10),
        rate_limit: rate,
        rate_burst: burst,
        backoff,
        ..ClientOptions::new(uri.parse().unwrap(), SecretString::from(APP_KEY))
    };
    (Client::new(options, metrics.clone()).unwrap(), metrics)
}

/// The paths the mock received, in order of arrival.
async fn received_paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}

/// Waits until the client has counted `n` failed answers of the account list: real time, on
/// observable state, bounded. The client counts an answer and then, with no `.await` between,
/// starts its retry delay: once counted, the delay runs from the frozen clock's present.
async fn until_failed(metrics: &proxy911_exporter::upstream::UpstreamMetrics, n: u64) {
    for _ in 0..1000 {
        if metrics.count(Endpoint::AccountList, Outcome::HttpError) >= n {
            return;
        }
        // The clock is frozen: a tokio sleep would never end. Let the I/O driver run instead.
        std::thread::sleep(Duration::from_millis(5));
        tokio::task::yield_now().await;
    }
    panic!("the client never counted {n} failed answers");
}

/// A request of the test's own (no token, no retry) that the mock records: every request the
/// client has sent before it is answered was received before it.
async fn marker(server: &MockServer, name: &str) {
    common::http()
        .get(format!("{}/marker/{name}", server.uri()))
        .send()
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn every_attempt_and_every_post_takes_a_token_and_the_next_waits_for_the_refill() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get_mock(&server, Endpoint::AccountList, ok(json!({"list": []})), 1).await;
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountDelete.path()))
        .and(body_json(json!({"app_key": APP_KEY, "accounts": "u1"})))
        .respond_with(ok(Value::Null))
        .expect(1)
        .mount(&server)
        .await;
    // One token a second, two at once: the list's two attempts take the burst.
    let (client, _) = paced_client(&server.uri(), 1.0, 2, Duration::ZERO);
    let frozen = freeze_clock();
    let start = tokio::time::Instant::now();

    client.list_accounts().await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO, "the burst goes at once");
    let post = tokio::spawn({
        let client = client.clone();
        async move {
            client.delete_accounts(&["u1".into()]).await.unwrap();
            tokio::time::Instant::now()
        }
    });
    marker(&server, "now").await;
    tokio::time::advance(Duration::from_millis(999)).await;
    marker(&server, "999ms").await;
    tokio::time::advance(Duration::from_millis(1)).await;
    let posted_at = post.await.unwrap();
    drop(frozen);

    assert_eq!(posted_at - start, Duration::from_secs(1));
    let list = Endpoint::AccountList.path().to_owned();
    assert_eq!(
        received_paths(&server).await,
        [
            list.clone(),
            list,
            "/marker/now".into(),
            "/marker/999ms".into(),
            Endpoint::AccountDelete.path().into()
        ],
        "the POST waited for the token refilled after one second"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_doubling_from_the_first_delay() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(503),
        3,
    )
    .await;
    let (client, metrics) = paced_client(&server.uri(), 1000.0, 1000, Duration::from_secs(1));
    let frozen = freeze_clock();
    let start = tokio::time::Instant::now();
    let list = tokio::spawn({
        let client = client.clone();
        async move { (client.list_accounts().await, tokio::time::Instant::now()) }
    });

    until_failed(&metrics, 1).await;
    tokio::time::advance(Duration::from_millis(999)).await;
    marker(&server, "999ms").await;
    tokio::time::advance(Duration::from_millis(1)).await;
    until_failed(&metrics, 2).await;
    tokio::time::advance(Duration::from_millis(1999)).await;
    marker(&server, "2999ms").await;
    tokio::time::advance(Duration::from_millis(1)).await;
    let (result, ended_at) = list.await.unwrap();
    drop(frozen);

    assert_eq!(result.unwrap_err(), UpstreamError::Http { status: 503 });
    assert_eq!(ended_at - start, Duration::from_secs(3), "1 s, then 2 s");
    let list = Endpoint::AccountList.path().to_owned();
    assert_eq!(
        received_paths(&server).await,
        [
            list.clone(),
            "/marker/999ms".into(),
            list.clone(),
            "/marker/2999ms".into(),
            list
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_up_to_30_s_is_waited_for_exactly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get_mock(&server, Endpoint::AccountList, ok(json!({"list": []})), 1).await;
    // A backoff far from 30 s: only `Retry-After` can make the wait 30 s.
    let (client, metrics) = paced_client(&server.uri(), 1000.0, 1000, Duration::from_millis(10));
    let frozen = freeze_clock();
    let start = tokio::time::Instant::now();
    let list = tokio::spawn({
        let client = client.clone();
        async move { (client.list_accounts().await, tokio::time::Instant::now()) }
    });

    until_failed(&metrics, 1).await;
    tokio::time::advance(Duration::from_millis(29_999)).await;
    marker(&server, "29999ms").await;
    tokio::time::advance(Duration::from_millis(1)).await;
    let (result, ended_at) = list.await.unwrap();
    drop(frozen);

    result.unwrap();
    assert_eq!(ended_at - start, Duration::from_secs(30));
    let list = Endpoint::AccountList.path().to_owned();
    assert_eq!(
        received_paths(&server).await,
        [list.clone(), "/marker/29999ms".into(), list]
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_30_s_fails_the_request_at_once_without_a_retry() {
    let server = MockServer::start().await;
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(429).insert_header("Retry-After", "31"),
        1,
    )
    .await;
    let (client, metrics) = paced_client(&server.uri(), 1000.0, 1000, Duration::from_millis(10));
    let frozen = freeze_clock();
    let start = tokio::time::Instant::now();
    let list = tokio::spawn({
        let client = client.clone();
        async move { (client.list_accounts().await, tokio::time::Instant::now()) }
    });

    until_failed(&metrics, 1).await;
    // Counting the answer and giving up happen in one poll: a client that waits instead is
    // still running here, whatever the machine's speed.
    assert!(list.is_finished(), "the client waits instead of failing");
    let (result, ended_at) = list.await.unwrap();
    drop(frozen);

    assert_eq!(result.unwrap_err(), UpstreamError::Http { status: 429 });
    assert_eq!(ended_at - start, Duration::ZERO, "no wait at all");
}

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_utf8_in_a_string_is_read_as_the_replacement_character_without_drift() {
    let server = MockServer::start().await;
    let mut body = br#"{"code":200,"msg":"ok","data":{"list":[{"id":1,"username":"u"#.to_vec();
    body.extend_from_slice(b"\xff1");
    body.extend_from_slice(br#"","remark":"caf"#);
    body.extend_from_slice(b"\xc3");
    body.extend_from_slice(br#"","product_type":9,"status":1}]}}"#);
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        1,
    )
    .await;
    let (client, metrics) = client(&server.uri());

    let accounts = client.list_accounts().await.unwrap();

    assert_eq!(accounts.items.len(), 1);
    assert_eq!(accounts.items[0].username.as_deref(), Some("u\u{fffd}1"));
    assert_eq!(accounts.items[0].remark.as_deref(), Some("caf\u{fffd}"));
    assert_eq!(accounts.items[0].enabled, Some(true));
    assert_eq!(
        accounts.drift,
        Default::default(),
        "read as documented: no drift"
    );
    assert_eq!(metrics.count(Endpoint::AccountList, Outcome::Success), 1);
}

#[tokio::test]
async fn invalid_utf8_outside_a_string_is_a_decode_error_saying_so() {
    let server = MockServer::start().await;
    let mut body = br#"{"code":200,"msg":"ok","data":{"list":[{"id":1"#.to_vec();
    body.extend_from_slice(b"\xfe\xff");
    body.extend_from_slice(br#","username":"u1"}]}}"#);
    get_mock(
        &server,
        Endpoint::AccountList,
        ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        1,
    )
    .await;
    let (client, _) = client(&server.uri());

    let error = client.list_accounts().await.unwrap_err();

    assert!(matches!(error, UpstreamError::Decode(_)), "{error:?}");
    assert!(
        error.to_string().contains("not a JSON object"),
        "says what is wrong: {error}"
    );
}
