//! The router through tower's `oneshot`: envelopes, pagination shapes, refusals, faults set at
//! run time and the request counts, without a socket.

use axum::body::{to_bytes, Body};
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::{Endpoint, Simulator, SimulatorOptions};

const KEY: &str = "k";

fn simulator() -> Simulator {
    Simulator::new(SimulatorOptions {
        app_key: KEY.into(),
        ..SimulatorOptions::default()
    })
}

/// Sends one request; returns the status and the body as JSON (`null` when it is not JSON).
pub(super) async fn call(
    sim: &Simulator,
    method: Method,
    uri: &str,
    body: Value,
) -> (StatusCode, Value) {
    let body = match body {
        Value::Null => Body::empty(),
        body => Body::from(body.to_string()),
    };
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    let response = sim.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn get(sim: &Simulator, endpoint: Endpoint, query: &str) -> Value {
    let uri = format!("{}?app_key={KEY}&{query}", endpoint.path());
    let (status, body) = call(sim, Method::GET, &uri, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{endpoint:?}");
    body
}

async fn post(sim: &Simulator, endpoint: Endpoint, mut body: Value) -> Value {
    body["app_key"] = json!(KEY);
    call(sim, Method::POST, endpoint.path(), body).await.1
}

#[tokio::test]
async fn accounts_and_packages_answer_code_200_with_msg_and_static_ips_and_traffic_code_0_with_message(
) {
    let sim = simulator();

    for (endpoint, query) in [
        (Endpoint::AccountList, ""),
        (Endpoint::PackageSummary, "product_type=9"),
        (Endpoint::PackageList, ""),
    ] {
        let body = get(&sim, endpoint, query).await;
        assert_eq!(
            (&body["code"], &body["msg"]),
            (&json!(200), &json!("操作成功"))
        );
        assert!(body["data"].is_object() && body.get("message").is_none());
    }
    for endpoint in [
        Endpoint::StaticIpRegions,
        Endpoint::StaticIpList,
        Endpoint::TrafficDaily,
    ] {
        let body = get(&sim, endpoint, "").await;
        assert_eq!(
            (&body["code"], &body["message"]),
            (&json!(0), &json!("操作成功"))
        );
        assert!(body["data"]["list"].is_array() && body.get("msg").is_none());
    }
}

#[tokio::test]
async fn packages_paginate_beside_the_list_and_static_ips_in_a_pagination_object() {
    let sim = simulator();

    let packages = get(&sim, Endpoint::PackageList, "page=2&size=3").await["data"].take();
    let ips = get(&sim, Endpoint::StaticIpList, "page=3&size=50").await["data"].take();

    assert_eq!(packages["list"].as_array().unwrap().len(), 3);
    assert_eq!(
        (&packages["page"], &packages["page_size"]),
        (&json!(2), &json!(3))
    );
    assert_eq!(
        (&packages["total_count"], &packages["total_page"]),
        (&json!(9), &json!(3))
    );
    assert_eq!(ips["list"].as_array().unwrap().len(), 20);
    assert_eq!(
        ips["pagination"],
        json!({"total": 120, "page_no": 3, "page_size": 50, "total_pages": 3})
    );
}

#[tokio::test]
async fn a_wrong_app_key_gets_code_3_and_is_counted() {
    let sim = simulator();
    let uri = format!("{}?app_key=wrong", Endpoint::TrafficDaily.path());

    let (status, body) = call(&sim, Method::GET, &uri, Value::Null).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"code": 3, "message": "app_key无效", "data": null})
    );
    assert_eq!(sim.request_count(Endpoint::TrafficDaily), 1);
}

#[tokio::test]
async fn an_added_account_is_listed_and_its_password_kept_in_state() {
    let sim = simulator();

    let added = post(
        &sim,
        Endpoint::AccountAdd,
        json!({"accounts": "newbie:Pass1", "product_type": "14", "remark": "r"}),
    )
    .await;
    let list = get(&sim, Endpoint::AccountList, "").await;

    assert_eq!(added, json!({"code": 200, "msg": "操作成功", "data": null}));
    let listed = list["data"]["list"].as_array().unwrap();
    assert!(listed
        .iter()
        .any(|a| a["username"] == "newbie" && a["product_type"] == 14));
    assert!(sim.passwords().contains(&"Pass1".to_string()));
}

#[tokio::test]
async fn a_refused_write_carries_the_upstream_code_and_changes_nothing() {
    let sim = simulator();

    let missing = post(&sim, Endpoint::AccountEnable, json!({"accounts": "nobody"})).await;
    let too_high = post(
        &sim,
        Endpoint::AccountChangeLimit,
        json!({"account": "alice", "limit": 102_401}),
    )
    .await;
    let (_, not_an_object) = call(
        &sim,
        Method::POST,
        Endpoint::AccountDelete.path(),
        json!([1]),
    )
    .await;

    assert_eq!(missing["code"], 10003);
    assert_eq!(too_high["code"], 400);
    assert_eq!(not_an_object["code"], 400);
    assert_eq!(
        sim.request_count(Endpoint::AccountDelete),
        0,
        "refused before counting"
    );
    assert_eq!(sim.passwords().len(), 10);
}

#[tokio::test]
async fn a_fault_set_at_run_time_applies_to_its_endpoint_until_cleared() {
    let sim = simulator();
    let fault = json!({"endpoint": Endpoint::AccountList.path(), "fault": "http500"});

    let (set, _) = call(&sim, Method::POST, "/_simulator/faults", fault).await;
    let (failed, _) = call(
        &sim,
        Method::GET,
        &format!("{}?app_key={KEY}", Endpoint::AccountList.path()),
        Value::Null,
    )
    .await;
    let other = get(&sim, Endpoint::TrafficDaily, "").await;
    let (cleared, _) = call(&sim, Method::DELETE, "/_simulator/faults", Value::Null).await;
    let after = get(&sim, Endpoint::AccountList, "").await;

    assert_eq!(
        (set, failed, cleared),
        (
            StatusCode::NO_CONTENT,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::NO_CONTENT
        )
    );
    assert_eq!((&other["code"], &after["code"]), (&json!(0), &json!(200)));
}

#[tokio::test]
async fn requests_are_counted_by_endpoint_and_variant() {
    let sim = simulator();
    get(&sim, Endpoint::StaticIpList, "page=2").await;
    get(&sim, Endpoint::StaticIpList, "page=2").await;
    get(&sim, Endpoint::StaticIpRegions, "isp=0").await;

    let (_, counts) = call(&sim, Method::GET, "/_simulator/requests", Value::Null).await;

    assert_eq!(
        counts,
        json!({
            Endpoint::StaticIpList.path(): {"total": 2, "variants": {"page=2": 2}},
            Endpoint::StaticIpRegions.path(): {"total": 1, "variants": {"isp=0": 1}},
        })
    );
}

#[tokio::test]
async fn an_unknown_path_is_a_404_and_the_wrong_method_a_405() {
    let sim = simulator();

    let missing = call(&sim, Method::GET, "/api-gate-way/nothing", Value::Null).await;
    let wrong = call(&sim, Method::GET, Endpoint::AccountAdd.path(), Value::Null).await;

    assert_eq!(
        missing,
        (
            StatusCode::NOT_FOUND,
            json!({"code": 404, "message": "Not Found"})
        )
    );
    assert_eq!(
        wrong,
        (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"code": 405, "message": "Method Not Allowed"})
        )
    );
}

#[tokio::test]
async fn orders_and_the_user_answer_code_0_with_message_and_the_dynamic_pool_code_200_with_msg() {
    let sim = simulator();

    for endpoint in [Endpoint::OrderList, Endpoint::UserInfo] {
        let body = get(&sim, endpoint, "").await;
        assert_eq!(
            (&body["code"], &body["message"]),
            (&json!(0), &json!("操作成功")),
            "{endpoint:?}"
        );
        assert!(body["data"].is_object() && body.get("msg").is_none());
    }
    for endpoint in [Endpoint::DynamicStates, Endpoint::DynamicCities] {
        let body = get(&sim, endpoint, "").await;
        assert_eq!(
            (&body["code"], &body["msg"]),
            (&json!(200), &json!("操作成功"))
        );
        let country = &body["data"]["list"][0];
        assert!(country["country_code"].is_string() && country["items"][0].is_object());
    }
}

#[tokio::test]
async fn the_order_list_answers_its_pagination_object_and_newest_order_first() {
    let sim = simulator();

    let body = get(&sim, Endpoint::OrderList, "page_no=1&page_size=4").await;

    let data = &body["data"];
    let pagination = &data["pagination"];
    assert_eq!(
        (&pagination["page_no"], &pagination["page_size"]),
        (&json!(1), &json!(4))
    );
    let total = pagination["total"].as_u64().unwrap();
    assert_eq!(pagination["total_pages"], json!(total.div_ceil(4)));
    let created: Vec<&str> = data["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["created_at"].as_str().unwrap())
        .collect();
    assert_eq!(created.len(), 4);
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    assert!(
        created.iter().all(|at| at.ends_with('Z')),
        "RFC 3339 in UTC"
    );
}

#[tokio::test]
async fn a_leak_makes_one_accounts_traffic_jump_and_names_no_other() {
    let sim = simulator();
    let pace = |sim: &Simulator, name: &str, product_type: i64| {
        sim.with_world(|w| {
            w.accounts
                .iter()
                .find(|a| a.username == name && a.product_type == product_type)
                .map(|a| a.usage_rate)
                .unwrap()
        })
    };
    let before = pace(&sim, "alice", 9);
    let shared_static = pace(&sim, "shared", 25);

    let (status, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": "alice", "gb_per_hour": 36}),
    )
    .await;
    let (shared, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": "shared", "product_type": 9, "gb_per_hour": 36}),
    )
    .await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(shared, StatusCode::NO_CONTENT);
    // 36 GB an hour is 0.01 GB, 10485.76 KB, a second.
    assert_eq!(pace(&sim, "alice", 9), 10485.76);
    assert!(before < 1000.0);
    assert_eq!(pace(&sim, "shared", 9), 10485.76);
    assert_eq!(
        pace(&sim, "shared", 25),
        shared_static,
        "the other product type"
    );
}

#[tokio::test]
async fn a_leak_of_no_account_or_of_a_negative_pace_is_refused() {
    let sim = simulator();

    let (nobody, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": "nobody", "gb_per_hour": 5}),
    )
    .await;
    let (negative, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": "alice", "gb_per_hour": -5}),
    )
    .await;
    let (unknown, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": "alice", "gb": 5}),
    )
    .await;

    assert_eq!(nobody, StatusCode::NOT_FOUND);
    assert_eq!(negative, StatusCode::BAD_REQUEST);
    assert_eq!(unknown, StatusCode::BAD_REQUEST);
}
