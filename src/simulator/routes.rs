//! The simulator's HTTP handlers: one dispatcher for every `/api-gate-way/…` endpoint (count,
//! inject faults, authenticate, answer), and the `/_simulator/` control endpoints.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::drift;
use super::faults::{Failure, Fault, FaultRequest};
use super::state::{format_time, Refusal, World};
use super::{lock, Simulator};
use crate::upstream::lenient::{value_to_i64, value_to_string};
use crate::upstream::Endpoint;

/// Largest page the simulated list endpoints return, whatever `size` asks for.
pub const MAX_PAGE_SIZE: usize = 50;
const DEFAULT_PAGE_SIZE: usize = 20;

pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/api-gate-way/{*rest}", any(upstream))
        .route(
            "/_simulator/requests",
            get(request_counts).delete(reset_requests),
        )
        .route("/_simulator/faults", post(set_fault).delete(clear_faults))
        .with_state(sim)
}

/// The two envelope spellings the real API uses.
#[derive(Clone, Copy)]
enum Style {
    /// `{"code":200,"msg":…}` (account and package endpoints)
    Msg,
    /// `{"code":0,"message":…}` (static-IP and traffic endpoints)
    Message,
}

fn style(endpoint: Endpoint) -> Style {
    match endpoint {
        Endpoint::StaticIpRegions | Endpoint::StaticIpList | Endpoint::TrafficDaily => {
            Style::Message
        }
        _ => Style::Msg,
    }
}

fn envelope(style: Style, code: Option<i64>, message: &str, data: Value) -> Response {
    let body = match style {
        Style::Msg => json!({"code": code.unwrap_or(200), "msg": message, "data": data}),
        Style::Message => json!({"code": code.unwrap_or(0), "message": message, "data": data}),
    };
    Json(body).into_response()
}

fn refusal(style: Style, refusal: Refusal) -> Response {
    envelope(style, Some(refusal.code), refusal.message, Value::Null)
}

async fn upstream(
    State(sim): State<Simulator>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(endpoint) = Endpoint::from_path(uri.path()) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 404, "message": "Not Found"})),
        )
            .into_response();
    };
    let expected = if endpoint.is_mutation() {
        Method::POST
    } else {
        Method::GET
    };
    if method != expected {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            Json(json!({"code": 405, "message": "Method Not Allowed"})),
        )
            .into_response();
    }
    let style = style(endpoint);
    let mut params: Map<String, Value> = query
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    if endpoint.is_mutation() && !body.is_empty() {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(fields)) => params.extend(fields),
            _ => return refusal(style, super::state::BAD_PARAMETER),
        }
    }
    let page = params
        .get("page")
        .and_then(value_to_i64)
        .unwrap_or(1)
        .clamp(1, i64::from(u32::MAX)) as u32;
    let variant = match endpoint {
        Endpoint::PackageList | Endpoint::StaticIpList => format!("page={page}"),
        Endpoint::PackageSummary => format!(
            "product_type={}",
            params
                .get("product_type")
                .and_then(value_to_string)
                .unwrap_or_default()
        ),
        Endpoint::StaticIpRegions => format!(
            "isp={}",
            params
                .get("isp")
                .and_then(value_to_string)
                .unwrap_or_default()
        ),
        _ => String::new(),
    };
    sim.count_request(endpoint.path(), variant);

    let fault = sim.fault_for(endpoint.path());
    if let Some(failure) = apply_latency(fault).await {
        return failed(style, failure);
    }
    let app_key = params
        .get("app_key")
        .and_then(value_to_string)
        .unwrap_or_default();
    if app_key != sim.app_key() {
        return envelope(style, Some(3), "app_key无效", Value::Null);
    }
    let text = |name: &str| {
        params
            .get(name)
            .and_then(value_to_string)
            .unwrap_or_default()
    };
    let number = |name: &str| params.get(name).and_then(value_to_i64);
    let now = Instant::now();
    let mut world = lock(&sim.shared.world);
    let answer: Result<Value, Refusal> = match endpoint {
        Endpoint::AccountList => Ok(accounts(&world, now)),
        Endpoint::PackageSummary => match number("product_type") {
            Some(product_type @ (9 | 12)) => Ok(summary(&world, product_type, now)),
            _ => Err(super::state::BAD_PARAMETER),
        },
        Endpoint::PackageList => Ok(packages(&world, page, number("size"))),
        Endpoint::StaticIpRegions => Ok(regions(&world, &text("isp"))),
        Endpoint::StaticIpList => Ok(static_ips(&world, page, number("size"))),
        Endpoint::TrafficDaily => Ok(daily(&world, now)),
        Endpoint::AccountAdd => world
            .add_accounts(
                &text("accounts"),
                number("product_type").unwrap_or(0),
                &text("remark"),
                now,
            )
            .map(|_| Value::Null),
        Endpoint::AccountDelete => world
            .delete_accounts(&text("accounts"))
            .map(|_| Value::Null),
        Endpoint::AccountEnable => world
            .set_status(&text("accounts"), 1, now)
            .map(|_| Value::Null),
        Endpoint::AccountDisable => world
            .set_status(&text("accounts"), 0, now)
            .map(|_| Value::Null),
        Endpoint::AccountChangePassword => {
            change_one(&mut world, &text("account"), &text("password"), |a, v| {
                a.password = v.to_string()
            })
        }
        Endpoint::AccountChangeRemark => {
            let remark = text("remark");
            if remark.chars().count() > 64 {
                Err(super::state::BAD_PARAMETER)
            } else {
                world
                    .change_accounts(&text("account"), |a| a.remark = remark.clone())
                    .map(|_| Value::Null)
            }
        }
        Endpoint::AccountChangeLimit => match number("limit") {
            Some(limit @ 0..=102_400) => world
                .change_accounts(&text("account"), |a| {
                    a.settle(now);
                    a.limit_gb = limit as u64;
                })
                .map(|_| Value::Null),
            _ => Err(super::state::BAD_PARAMETER),
        },
    };
    drop(world);
    match answer {
        Ok(mut data) => {
            if fault.schema_drift {
                if let Some(shape) = drift_shape(endpoint) {
                    drift::apply(shape, &mut data);
                }
            }
            envelope(style, None, "操作成功", data)
        }
        Err(refused) => refusal(style, refused),
    }
}

/// The answer shape the `schema-drift` fault bends for an endpoint: every read endpoint; the
/// management writes, whose `data` is `null`, have none.
fn drift_shape(endpoint: Endpoint) -> Option<drift::Answer> {
    match endpoint {
        Endpoint::AccountList => Some(drift::Answer::Accounts),
        Endpoint::PackageSummary => Some(drift::Answer::PackageSummary),
        Endpoint::PackageList => Some(drift::Answer::Packages),
        Endpoint::StaticIpRegions => Some(drift::Answer::StaticIpRegions),
        Endpoint::StaticIpList => Some(drift::Answer::StaticIps),
        Endpoint::TrafficDaily => Some(drift::Answer::Traffic),
        Endpoint::AccountAdd
        | Endpoint::AccountDelete
        | Endpoint::AccountEnable
        | Endpoint::AccountDisable
        | Endpoint::AccountChangePassword
        | Endpoint::AccountChangeRemark
        | Endpoint::AccountChangeLimit => None,
    }
}

/// Sleeps the injected latency; returns the injected failure, if any.
async fn apply_latency(fault: Fault) -> Option<Failure> {
    if let Some(latency) = fault.latency {
        tokio::time::sleep(latency).await;
    }
    fault.failure
}

fn failed(style: Style, failure: Failure) -> Response {
    match failure {
        Failure::Http500 => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
        Failure::Http429 => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "Too Many Requests",
        )
            .into_response(),
        Failure::MalformedJson => (
            [("content-type", "application/json")],
            r#"{"code":200,"msg":"success","data":{"list":[{"id":1,"#,
        )
            .into_response(),
        Failure::Code3 => envelope(style, Some(3), "app_key无效", Value::Null),
        Failure::Code156 => envelope(style, Some(156), "账号未实名认证", Value::Null),
    }
}

fn change_one(
    world: &mut World,
    account: &str,
    value: &str,
    apply: impl Fn(&mut super::state::SimAccount, &str),
) -> Result<Value, Refusal> {
    if value.is_empty() || value.len() > 64 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(super::state::BAD_PARAMETER);
    }
    world
        .change_accounts(account, |a| apply(a, value))
        .map(|_| Value::Null)
}

fn accounts(world: &World, now: Instant) -> Value {
    let list: Vec<Value> = world
        .accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "username": a.username, "password": a.password, "created_at": a.created_at,
                "remark": a.remark, "product_type": a.product_type, "usage_flow": a.usage_now(now).round() as i64,
                "limit_flow": a.limit_gb, "status": a.status,
            })
        })
        .collect();
    json!({ "list": list })
}

fn summary(world: &World, product_type: i64, now: Instant) -> Value {
    let s = world.summary(product_type, now);
    let kb = |v: f64| v.round() as i64;
    json!({
        "total": kb(s.total), "total_count": s.total_count, "effective": kb(s.effective),
        "effective_count": s.effective_count, "effective_total": kb(s.effective_total),
        "effective_used": kb(s.effective_used), "temporary": kb(s.temporary),
        "temporary_count": s.temporary_count, "expired": kb(s.expired), "expired_count": s.expired_count,
        "used": kb(s.used),
    })
}

/// The slice of `items` for a 1-based page, and the page size used.
fn page_of<T>(items: &[T], page: u32, size: Option<i64>) -> (&[T], usize) {
    let size = size
        .filter(|s| *s > 0)
        .map(|s| (s as usize).min(MAX_PAGE_SIZE))
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let start = (page as usize - 1).saturating_mul(size).min(items.len());
    let end = start.saturating_add(size).min(items.len());
    (&items[start..end], size)
}

fn packages(world: &World, page: u32, size: Option<i64>) -> Value {
    let (slice, size) = page_of(&world.packages, page, size);
    let list: Vec<Value> = slice
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "created_at": format_time(p.created_at), "expired_at": format_time(p.expired_at),
                "product_type": p.product_type, "trade_no": p.trade_no,
                "order": {"created_at": format_time(p.created_at), "pay_at": format_time(p.created_at), "title": p.title},
            })
        })
        .collect();
    let total = world.packages.len();
    json!({
        "list": list, "page": page, "page_size": size, "total_count": total,
        "total_page": total.div_ceil(size),
    })
}

fn static_ips(world: &World, page: u32, size: Option<i64>) -> Value {
    let (slice, size) = page_of(&world.static_ips, page, size);
    let list: Vec<Value> = slice
        .iter()
        .map(|ip| {
            json!({
                "id": ip.id, "ip": ip.ip, "port": ip.port, "country_code": ip.country_code,
                "product_type": ip.product_type, "status": ip.status, "trade_no": ip.trade_no,
                "expired_at": format_time(ip.expired_at),
            })
        })
        .collect();
    let total = world.static_ips.len();
    json!({
        "list": list,
        "pagination": {"total": total, "page_no": page, "page_size": size, "total_pages": total.div_ceil(size)},
    })
}

fn regions(world: &World, isp: &str) -> Value {
    let regions = if isp == "0" {
        &world.datacenter_regions
    } else {
        &world.residential_regions
    };
    let list: Vec<Value> = regions
        .iter()
        .map(|r| json!({"code": r.code, "number": r.number}))
        .collect();
    json!({ "list": list })
}

fn daily(world: &World, now: Instant) -> Value {
    let list: Vec<Value> = world
        .daily_traffic(now)
        .into_iter()
        .map(|(day, kb)| json!({"day": day, "flow": kb as i64}))
        .collect();
    json!({ "list": list })
}

async fn request_counts(State(sim): State<Simulator>) -> Json<Value> {
    let mut by_path: Map<String, Value> = Map::new();
    for ((path, variant), count) in sim.request_counts() {
        let entry = by_path
            .entry(path)
            .or_insert_with(|| json!({"total": 0, "variants": {}}));
        entry["total"] = json!(entry["total"].as_u64().unwrap_or(0) + count);
        if !variant.is_empty() {
            entry["variants"][variant] = json!(count);
        }
    }
    Json(Value::Object(by_path))
}

async fn reset_requests(State(sim): State<Simulator>) -> StatusCode {
    sim.reset_request_counts();
    StatusCode::NO_CONTENT
}

async fn set_fault(State(sim): State<Simulator>, body: Bytes) -> Response {
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("expected {{\"endpoint\":…,\"fault\":…}}: {e}\n"),
            )
                .into_response()
        }
    };
    match Fault::parse(&request.fault) {
        Ok(fault) => {
            sim.set_fault(&request.endpoint, fault);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

async fn clear_faults(State(sim): State<Simulator>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}
