//! The admin API: each route's exact upstream request, the validation table (nothing
//! goes upstream), upstream refusals mapped to statuses, bearer auth, listener placement, cache
//! invalidation, and the OpenAPI document (served, routed, and in step with
//! `docs/admin-openapi.json`). Tests that need no listener drive the admin router in-process
//! with `oneshot`; the others run the exporter as `App::build` makes it.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Request};
use axum::Router;
use common::{exporter_at, http, simulator, value, ADMIN_TOKEN, APP_KEY};
use proxy911_exporter::app::App;
use proxy911_exporter::config::{AdminConfig, AlertActionMode};
use proxy911_exporter::http::admin::{self, AdminState};
use proxy911_exporter::upstream::Endpoint;
use secrecy::SecretString;
use serde_json::{json, Value};
use tower::ServiceExt;
use wiremock::matchers::{any, body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"code": 200, "msg": "success", "data": null}))
}

/// An exporter with the admin API on its metrics listener, against `upstream`.
async fn admin_exporter(upstream: &str) -> SocketAddr {
    exporter_at(upstream, |c| {
        c.admin = Some(AdminConfig::new(SecretString::from(ADMIN_TOKEN)))
    })
    .await
    .0
}

/// Sends an authorized admin request; returns status and JSON body.
async fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let mut request = http()
        .request(
            method.parse().unwrap(),
            format!("http://{addr}/admin{path}"),
        )
        .bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The admin router alone (routes relative to `/admin`), against `upstream`.
async fn admin_router(upstream: &str) -> Router {
    let app = App::build(common::config(upstream))
        .await
        .expect("the exporter builds");
    let (client, _) = common::client(upstream);
    admin::router(admin::AdminSetup {
        own: Some(AdminState {
            client,
            scraper: app.scraper().clone(),
            metrics: admin::AdminMetrics::default(),
            alert_actions: admin::AlertActions::new(AlertActionMode::Log),
            target: None,
        }),
        targets: None,
        global_token: Some(SecretString::from(ADMIN_TOKEN)),
        metrics: admin::AdminMetrics::default(),
        alert_mode: AlertActionMode::Log,
    })
    // What the server gives every request: the peer's address (the audit's `client`).
    .layer(MockConnectInfo(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        40000,
    ))))
}

/// The admin router against an upstream that must receive nothing (checked when the returned
/// server drops).
async fn router_that_sends_nothing() -> (MockServer, Router) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ok())
        .expect(0)
        .mount(&server)
        .await;
    let router = admin_router(&server.uri()).await;
    (server, router)
}

/// Sends one request through `router` in-process; returns status, headers and JSON body.
async fn send(
    router: &Router,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> (u16, HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(Body::from(body.unwrap_or_default().to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        parts.status.as_u16(),
        parts.headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// [`send`] with the right token.
async fn authorized(router: &Router, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, answer) = send(router, method, path, Some(&bearer), body).await;
    (status, answer)
}

/// The account list upstream answers with: one account per `(id, username, product_type)`.
async fn accounts_upstream(server: &MockServer, accounts: &[(i64, &str, i64)]) {
    let list: Vec<Value> = accounts
        .iter()
        .map(|(id, username, product_type)| {
            json!({"id": id, "username": username, "product_type": product_type, "status": 1})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": 200, "msg": "ok", "data": {"list": list}})),
        )
        .named("account list")
        .mount(server)
        .await;
}

async fn expect_post(server: &MockServer, endpoint: Endpoint, body: Value) {
    Mock::given(method("POST"))
        .and(path(endpoint.path()))
        .and(body_json(body))
        .respond_with(ok())
        .expect(1)
        .named(endpoint.label())
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_accounts_posts_one_batch_upstream_and_answers_201() {
    let server = MockServer::start().await;
    expect_post(&server, Endpoint::AccountAdd, json!({"app_key": APP_KEY, "accounts": "u1:p1,u2:p2", "remark": "备注 team", "product_type": 14})).await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, body) = call(addr, "POST", "/accounts", Some(r#"{"accounts":[{"username":"u1","password":"p1"},{"username":"u2","password":"p2"}],"product_type":14,"remark":"备注 team"}"#)).await;

    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!({"operation": "add", "accounts": ["u1", "u2"], "product_type": 14})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_maps_each_field_to_its_upstream_call() {
    let server = MockServer::start().await;
    expect_post(
        &server,
        Endpoint::AccountChangePassword,
        json!({"app_key": APP_KEY, "account": "u1", "password": "NewPass9"}),
    )
    .await;
    expect_post(
        &server,
        Endpoint::AccountChangeRemark,
        json!({"app_key": APP_KEY, "account": "u1", "remark": "moved"}),
    )
    .await;
    expect_post(
        &server,
        Endpoint::AccountChangeLimit,
        json!({"app_key": APP_KEY, "account": "u1", "limit": 250}),
    )
    .await;
    expect_post(
        &server,
        Endpoint::AccountDisable,
        json!({"app_key": APP_KEY, "accounts": "u1"}),
    )
    .await;
    accounts_upstream(&server, &[(1, "u1", 9), (2, "u2", 9)]).await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, body) = call(
        addr,
        "PATCH",
        "/accounts/u1",
        Some(r#"{"password":"NewPass9","remark":"moved","limit_gb":250,"enabled":false}"#),
    )
    .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["applied"],
        json!(["password", "remark", "limit_gb", "enabled"])
    );
    assert!(body["note"].as_str().unwrap().contains("5 minutes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabling_through_patch_needs_no_waiting_note() {
    let server = MockServer::start().await;
    expect_post(
        &server,
        Endpoint::AccountEnable,
        json!({"app_key": APP_KEY, "accounts": "u1"}),
    )
    .await;
    accounts_upstream(&server, &[(1, "u1", 9)]).await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, body) = call(addr, "PATCH", "/accounts/u1", Some(r#"{"enabled":true}"#)).await;

    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"operation": "update", "accounts": ["u1"], "applied": ["enabled"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_batch_actions_post_their_usernames() {
    let server = MockServer::start().await;
    for (endpoint, accounts) in [
        (Endpoint::AccountDelete, "gone1"),
        (Endpoint::AccountEnable, "a1,a2"),
        (Endpoint::AccountDisable, "b1"),
        (Endpoint::AccountDelete, "c1,c2,c3"),
    ] {
        expect_post(
            &server,
            endpoint,
            json!({"app_key": APP_KEY, "accounts": accounts}),
        )
        .await;
    }
    accounts_upstream(&server, &[(1, "gone1", 9), (2, "a1", 9), (3, "c1", 11)]).await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, body) = call(addr, "DELETE", "/accounts/gone1", None).await;
    assert_eq!(status, 200);
    assert!(body["note"].as_str().unwrap().contains("5 minutes"));
    let (status, body) = call(
        addr,
        "POST",
        "/accounts/actions/enable",
        Some(r#"{"accounts":["a1","a2"]}"#),
    )
    .await;
    assert_eq!((status, body.get("note")), (200, None));
    let (status, body) = call(
        addr,
        "POST",
        "/accounts/actions/disable",
        Some(r#"{"accounts":["b1"]}"#),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["note"].is_string());
    let (status, _) = call(
        addr,
        "POST",
        "/accounts/actions/delete",
        Some(r#"{"accounts":["c1","c2","c3"]}"#),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        addr,
        "POST",
        "/accounts/actions/explode",
        Some(r#"{"accounts":["c1"]}"#),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_comes_from_upstream_without_passwords() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 200, "msg": "ok", "data": {"list": [
            {"id": 7, "username": "u1", "password": "TopSecretPw1", "created_at": "2026-01-01 00:00:00", "remark": "r",
             "product_type": 9, "usage_flow": 1024, "limit_flow": 0, "status": 1}]}})))
        .expect(1)
        .mount(&server)
        .await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, body) = call(addr, "GET", "/accounts", None).await;

    assert_eq!(status, 200);
    assert!(!body.to_string().contains("TopSecretPw1"));
    assert!(!body.to_string().contains("password"));
    let account = &body["accounts"][0];
    assert_eq!(
        (account["username"].as_str(), account["enabled"].as_bool()),
        (Some("u1"), Some(true))
    );
    assert_eq!(account["traffic_used_bytes"], json!(1048576.0));
    assert_eq!(account["traffic_limit_bytes"], Value::Null, "unlimited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_400_naming_the_field_and_send_nothing_upstream() {
    let (_server, router) = router_that_sends_nothing().await;
    let account = |u: &str, p: &str| json!({"username": u, "password": p});
    let add = |accounts: Value, extra: Value| {
        let mut body = json!({"accounts": accounts, "product_type": 9});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    let many: Vec<Value> = (0..101)
        .map(|i| account(&format!("user{i}"), "pw"))
        .collect();
    // One row per refusal: verb, route, body, the field the answer must name.
    let post = |body: String, field| ("POST", "/accounts", body, field);
    let patch = |body: &str, field| ("PATCH", "/accounts/u1", body.to_string(), field);
    let action = |route, body: &str, field| ("POST", route, body.to_string(), field);
    let one = || json!([account("u1", "pw")]);
    let cases: Vec<(&str, &str, String, &str)> = vec![
        post(
            add(json!([account("bad-name", "pw")]), json!({})),
            "accounts[0].username",
        ),
        post(
            add(json!([account("u1", "pass word")]), json!({})),
            "accounts[0].password",
        ),
        post(add(one(), json!({"remark": "x".repeat(65)})), "remark"),
        post(add(one(), json!({"remark": "中".repeat(33)})), "remark"),
        post(add(one(), json!({"product_type": 10})), "product_type"),
        post(add(json!(many), json!({})), "accounts"),
        post(
            add(
                json!([account("u1", "pw"), account("u1", "pw2")]),
                json!({}),
            ),
            "accounts[1]",
        ),
        post("{not json".into(), "body"),
        post(add(one(), json!({"colour": "red"})), "colour"),
        post(
            add(
                json!([{"username": "u1", "password": "pw", "email": "x"}]),
                json!({}),
            ),
            "accounts[0].email",
        ),
        post(
            json!({"accounts": [account("u1", "pw")]}).to_string(),
            "product_type",
        ),
        patch(r#"{"limit_gb":102401}"#, "limit_gb"),
        patch(r#"{"limit_gb":-1}"#, "limit_gb"),
        patch(r#"{"limit_gb":"5"}"#, "limit_gb"),
        patch(r#"{"enabled":"yes"}"#, "enabled"),
        patch(r#"{"password":"with space"}"#, "password"),
        patch(r#"{}"#, "body"),
        patch(r#"[1,2]"#, "body"),
        (
            "PATCH",
            "/accounts/bad-name",
            r#"{"enabled":true}"#.into(),
            "username",
        ),
        ("DELETE", "/accounts/bad.name", String::new(), "username"),
        action(
            "/accounts/actions/disable",
            r#"{"accounts":[]}"#,
            "accounts",
        ),
        action(
            "/accounts/actions/disable",
            r#"{"accounts":["a1","a1"]}"#,
            "accounts[1]",
        ),
        action(
            "/accounts/actions/enable",
            r#"{"accounts":"a1"}"#,
            "accounts",
        ),
    ];

    for (verb, route, body, field) in cases {
        let (status, answer) = authorized(&router, verb, route, Some(&body)).await;
        assert_eq!(status, 400, "{verb} {route} {body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_argument", "{answer}");
        assert_eq!(
            answer["error"]["field"], field,
            "{verb} {route} {body}: {answer}"
        );
        assert!(
            !answer.to_string().contains("pass word") && !answer.to_string().contains("with space")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_of_several_accounts_is_refused_with_its_matches_and_nothing_is_sent() {
    let server = MockServer::start().await;
    accounts_upstream(&server, &[(1, "twin", 9), (2, "solo", 9), (3, "twin", 25)]).await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .expect(0)
        .named("any change")
        .mount(&server)
        .await;
    let addr = admin_exporter(&server.uri()).await;
    let matches = json!([
        {"username": "twin", "id": 1, "product_type": 9},
        {"username": "twin", "id": 3, "product_type": 25}
    ]);
    let batch = Some(r#"{"accounts":["solo","twin"]}"#);

    for (verb, route, body) in [
        ("DELETE", "/accounts/twin", None),
        ("PATCH", "/accounts/twin", Some(r#"{"enabled":false}"#)),
        (
            "PATCH",
            "/accounts/twin?all=false",
            Some(r#"{"remark":"x"}"#),
        ),
        ("POST", "/accounts/actions/enable", batch),
        ("POST", "/accounts/actions/disable", batch),
        ("POST", "/accounts/actions/delete", batch),
    ] {
        let (status, answer) = call(addr, verb, route, body).await;

        assert_eq!(status, 409, "{verb} {route}: {answer}");
        assert_eq!(answer["error"]["code"], "ambiguous_account", "{answer}");
        assert_eq!(answer["error"]["matches"], matches, "{verb} {route}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("all=true"),
            "{answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_true_changes_every_account_of_the_username_without_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok())
        .expect(0)
        .named("no list with all=true")
        .mount(&server)
        .await;
    expect_post(
        &server,
        Endpoint::AccountDelete,
        json!({"app_key": APP_KEY, "accounts": "twin"}),
    )
    .await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, answer) = call(addr, "DELETE", "/accounts/twin?all=true", None).await;

    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_scope_is_400_and_a_list_that_fails_refuses_the_change() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(Endpoint::AccountList.path()))
        .respond_with(ResponseTemplate::new(503))
        .expect(3) // one lookup: a GET and its two retries
        .named("the list fails")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .expect(0)
        .named("no change sent blind")
        .mount(&server)
        .await;
    let addr = admin_exporter(&server.uri()).await;

    let (status, answer) = call(addr, "DELETE", "/accounts/u1?all=maybe", None).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (400, Some("query"))
    );
    let (status, answer) = call(addr, "DELETE", "/accounts/u1", None).await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(answer["error"]["code"], "upstream_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_refusals_map_to_clear_statuses() {
    let server = MockServer::start().await;
    let refusal = |code: i64, msg: &str| {
        ResponseTemplate::new(200).set_body_json(json!({"code": code, "msg": msg, "data": null}))
    };
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountEnable.path()))
        .respond_with(refusal(156, "账号未实名认证"))
        .expect(1) // a refusal is not retried
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountDisable.path()))
        .respond_with(refusal(3, "app_key无效"))
        .expect(1) // a refusal is not retried
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountDelete.path()))
        .respond_with(refusal(10003, "账号不存在"))
        .expect(2) // a refusal is not retried
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountChangeLimit.path()))
        .respond_with(ok().set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(Endpoint::AccountChangePassword.path()))
        .respond_with(refusal(400, "密码 Leaky9Pass 格式错误"))
        .expect(1) // a refusal is not retried
        .mount(&server)
        .await;
    accounts_upstream(&server, &[(1, "u1", 9)]).await;
    let addr = exporter_at(&server.uri(), |c| {
        c.admin = Some(AdminConfig::new(SecretString::from(ADMIN_TOKEN)));
        c.api.timeout = Duration::from_millis(500);
    })
    .await
    .0;
    let batch = Some(r#"{"accounts":["u1"]}"#);

    let cases = [
        (
            "POST",
            "/accounts/actions/enable",
            batch,
            409,
            "not_real_name_authenticated",
        ),
        (
            "POST",
            "/accounts/actions/disable",
            batch,
            502,
            "upstream_auth_failed",
        ),
        ("DELETE", "/accounts/u1", None, 502, "upstream_error"),
        (
            "PATCH",
            "/accounts/u1",
            Some(r#"{"limit_gb":5}"#),
            504,
            "upstream_timeout",
        ),
        (
            "PATCH",
            "/accounts/u1",
            Some(r#"{"password":"Leaky9Pass"}"#),
            502,
            "upstream_error",
        ),
    ];
    for (verb, route, body, status, code) in cases {
        let (got, answer) = call(addr, verb, route, body).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{verb} {route}: {answer}"
        );
        assert!(!answer.to_string().contains("Leaky9Pass"), "{answer}");
    }
    let (_, answer) = call(addr, "DELETE", "/accounts/u1", None).await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("账号不存在"),
        "the upstream message is passed on"
    );
}

#[tokio::test]
async fn every_admin_request_needs_the_right_bearer_token() {
    let (_sim, url) = simulator(None).await;
    let router = admin_router(&url).await;

    for auth in [
        None,
        Some("Bearer wrongTokenValue!!".into()),
        Some("Bearer short".into()),
        Some(format!("Basic {ADMIN_TOKEN}")),
        Some(format!("Bearer {ADMIN_TOKEN}x")),
    ] {
        let (status, headers, body) =
            send(&router, "GET", "/accounts", auth.as_deref(), None).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(headers["www-authenticate"], "Bearer");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let right = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, _) = send(&router, "GET", "/accounts", Some(&right), None).await;
    assert_eq!(status, 200);
    let lower = format!("bearer {ADMIN_TOKEN}");
    let (status, _, _) = send(&router, "GET", "/accounts", Some(&lower), None).await;
    assert_eq!(status, 200, "the scheme is case-insensitive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_every_admin_path_is_404() {
    let (_sim, url) = simulator(None).await;
    let (addr, _) = exporter_at(&url, |_| {}).await;

    for route in [
        "/admin",
        "/admin/accounts",
        "/admin/openapi.json",
        "/admin/accounts/actions/enable",
    ] {
        let response = http()
            .get(format!("http://{addr}{route}"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{route}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_admin_listener_takes_admin_off_the_metrics_port() {
    let (_sim, url) = simulator(None).await;
    let (metrics, admin) = exporter_at(&url, |c| {
        c.admin = Some(AdminConfig {
            listen_address: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            ..AdminConfig::new(SecretString::from(ADMIN_TOKEN))
        });
    })
    .await;
    let admin = admin.expect("an admin listener");

    let on_metrics = http()
        .get(format!("http://{metrics}/admin/accounts"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let on_admin = http()
        .get(format!("http://{admin}/admin/accounts"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let metrics_on_admin = http()
        .get(format!("http://{admin}/metrics"))
        .send()
        .await
        .unwrap();

    assert_eq!(on_metrics.status(), 404);
    assert_eq!(on_admin.status(), 200);
    assert_eq!(metrics_on_admin.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_account_shows_in_the_very_next_scrape_within_the_ttl() {
    let (sim, url) = simulator(None).await;
    let addr = admin_exporter(&url).await;
    let scrape = || common::scrape_text(addr);
    let before = scrape().await;
    assert!(!before.contains("fresh01"));

    let (status, _) = call(
        addr,
        "POST",
        "/accounts",
        Some(r#"{"accounts":[{"username":"fresh01","password":"Pw1"}],"product_type":25}"#),
    )
    .await;
    assert_eq!(status, 201);
    let after = scrape().await;

    assert_eq!(
        value(
            &after,
            "proxy911_account_enabled",
            &[("account", "fresh01")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &after,
            "proxy911_admin_requests_total",
            &[("operation", "add"), ("outcome", "success")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sim.request_count(proxy911_simulator::Endpoint::AccountList),
        2,
        "one refresh after the change, no more"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_and_routes_every_documented_operation() {
    let (_sim, url) = simulator(None).await;
    let router = admin_router(&url).await;

    let (status, served) = authorized(&router, "GET", "/openapi.json", None).await;
    assert_eq!(status, 200);
    let generated: Value = serde_json::from_str(&admin::openapi_json()).unwrap();
    assert_eq!(served, generated);
    assert!(served["openapi"].as_str().unwrap().starts_with("3."));

    let mut operations = 0;
    for (route, item) in served["paths"].as_object().unwrap() {
        for (verb, _) in item
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "parameters")
        {
            let concrete = route
                .replace("{username}", "alice")
                .replace("{action}", "enable");
            let body = match verb.as_str() {
                "post" | "patch" => Some("{}"),
                _ => None,
            };
            let (status, answer) = authorized(&router, &verb.to_uppercase(), &concrete, body).await;
            assert!(
                status != 404 && status != 405,
                "{verb} {route} is documented but not routed: {status} {answer}"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 7);
}

/// `UPDATE_OPENAPI=1 cargo nextest run --test admin_api` rewrites `docs/admin-openapi.json`.
#[test]
fn the_committed_openapi_document_is_the_one_generated_from_the_types() {
    let generated = admin::openapi_json();
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/admin-openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&committed_path, &generated).unwrap();
        return;
    }

    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();

    assert!(
        committed == generated,
        "docs/admin-openapi.json differs from the types; run: UPDATE_OPENAPI=1 cargo nextest run --test admin_api"
    );
}

#[tokio::test]
async fn a_body_with_an_unknown_field_is_400_naming_it() {
    let (_server, router) = router_that_sends_nothing().await;

    let (status, answer) = authorized(
        &router,
        "PATCH",
        "/accounts/u1",
        Some(r#"{"enabled":true,"expires_at":"tomorrow"}"#),
    )
    .await;

    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_argument");
    assert_eq!(answer["error"]["field"], "expires_at");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("unknown field"), "{message}");
}

#[tokio::test]
async fn a_bad_password_in_a_batch_is_named_by_its_path_and_never_echoed() {
    let (_server, router) = router_that_sends_nothing().await;
    let wrong_type = r#"{"accounts":[{"username":"u1","password":"Good1"},{"username":"u2","password":98765432}],"product_type":9}"#;
    let bad_value = r#"{"accounts":[{"username":"u1","password":"Good1"},{"username":"u2","password":"Leaky 9Pass"}],"product_type":9}"#;

    for (body, leak) in [(bad_value, "Leaky 9Pass"), (wrong_type, "98765432")] {
        let (status, answer) = authorized(&router, "POST", "/accounts", Some(body)).await;

        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["field"], "accounts[1].password");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("accounts[1].password: "), "{message}");
        assert!(!answer.to_string().contains(leak), "{answer}");
    }
}

/// `(username, enabled)` of accounts whose username no other account has, enabled ones first.
fn lone_accounts(sim: &proxy911_simulator::Simulator) -> Vec<(String, bool)> {
    sim.with_world(|w| {
        let mut lone: Vec<(String, bool)> = w
            .accounts
            .iter()
            .filter(|a| {
                w.accounts
                    .iter()
                    .filter(|b| b.username == a.username)
                    .count()
                    == 1
            })
            .map(|a| (a.username.clone(), a.status == 1))
            .collect();
        lone.sort_by_key(|(_, enabled)| !enabled);
        lone
    })
}

fn remark_of(text: &str, account: &str) -> Option<String> {
    common::samples(text)
        .into_iter()
        .find(|s| {
            s.name == "proxy911_account_info"
                && s.labels.get("account").map(String::as_str) == Some(account)
        })
        .and_then(|s| s.labels.get("remark").cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_a_delete_and_each_batch_action_show_in_the_very_next_scrape_within_the_ttl() {
    let (sim, url) = simulator(Some(12)).await;
    let lone = lone_accounts(&sim);
    assert!(
        lone.len() >= 6 && lone[5].1,
        "six enabled accounts: {lone:?}"
    );
    let [patched, deleted, off1, off2, gone1, gone2] =
        [0, 1, 2, 3, 4, 5].map(|i| lone[i].0.as_str());
    let addr = admin_exporter(&url).await; // --cache.ttl 60s: only invalidation refreshes
    let scrape = || common::scrape_text(addr);
    let enabled = |text: &str, account: &str| {
        value(text, "proxy911_account_enabled", &[("account", account)])
    };
    let before = scrape().await;
    assert_eq!(enabled(&before, patched), Some(1.0));
    assert_ne!(remark_of(&before, patched).as_deref(), Some("moved"));

    let (status, body) = call(
        addr,
        "PATCH",
        &format!("/accounts/{patched}"),
        Some(r#"{"remark":"moved","enabled":false}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let after = scrape().await;
    assert_eq!(remark_of(&after, patched).as_deref(), Some("moved"));
    assert_eq!(enabled(&after, patched), Some(0.0), "PATCH");

    let (status, body) = call(addr, "DELETE", &format!("/accounts/{deleted}"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(enabled(&scrape().await, deleted), None, "DELETE");

    let batch = |names: [&str; 2]| format!(r#"{{"accounts":["{}","{}"]}}"#, names[0], names[1]);
    let (status, body) = call(
        addr,
        "POST",
        "/accounts/actions/disable",
        Some(&batch([off1, off2])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let after = scrape().await;
    assert_eq!(
        (enabled(&after, off1), enabled(&after, off2)),
        (Some(0.0), Some(0.0)),
        "batch disable"
    );

    let (status, body) = call(
        addr,
        "POST",
        "/accounts/actions/enable",
        Some(&batch([off1, patched])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let after = scrape().await;
    assert_eq!(
        (enabled(&after, off1), enabled(&after, patched)),
        (Some(1.0), Some(1.0)),
        "batch enable"
    );

    let (status, body) = call(
        addr,
        "POST",
        "/accounts/actions/delete",
        Some(&batch([gone1, gone2])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let after = scrape().await;
    assert_eq!(
        (enabled(&after, gone1), enabled(&after, gone2)),
        (None, None),
        "batch delete"
    );
    assert_eq!(enabled(&after, off2), Some(0.0), "the others are untouched");
}
