//! What goes back to the client: an answer or a refusal in the endpoint's envelope (the API has
//! two spellings), the answer of an injected failure, and the 404/405 of a path or method the
//! API does not have.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::faults::Failure;
use crate::state::Refusal;

/// The message of a successful answer.
const SUCCESS: &str = "操作成功";
/// Code 3: the app_key is not the simulator's.
pub const INVALID_APP_KEY: Refusal = Refusal {
    code: 3,
    message: "app_key无效",
};
/// Code 156: the account is not real-name authenticated (only ever an injected failure).
const NOT_REAL_NAME_AUTHENTICATED: Refusal = Refusal {
    code: 156,
    message: "账号未实名认证",
};

/// The two envelope spellings the real API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `{"code":200,"msg":…}` (account, package and dynamic-pool endpoints)
    Msg,
    /// `{"code":0,"message":…}` (static-IP, traffic, order and user endpoints)
    Message,
}

impl Style {
    pub fn of(endpoint: Endpoint) -> Style {
        match endpoint {
            Endpoint::StaticIpRegions
            | Endpoint::StaticIpList
            | Endpoint::TrafficDaily
            | Endpoint::OrderList
            | Endpoint::UserInfo => Style::Message,
            _ => Style::Msg,
        }
    }

    /// The code of a successful answer.
    fn success(self) -> i64 {
        match self {
            Style::Msg => 200,
            Style::Message => 0,
        }
    }
}

// Fields in alphabetical order, the order the answers have always had on the wire.
#[derive(Serialize)]
struct MsgEnvelope<'a> {
    code: i64,
    data: Value,
    msg: &'a str,
}

#[derive(Serialize)]
struct MessageEnvelope<'a> {
    code: i64,
    data: Value,
    message: &'a str,
}

fn envelope(style: Style, code: i64, message: &str, data: Value) -> Response {
    match style {
        Style::Msg => Json(MsgEnvelope {
            code,
            data,
            msg: message,
        })
        .into_response(),
        Style::Message => Json(MessageEnvelope {
            code,
            data,
            message,
        })
        .into_response(),
    }
}

/// A successful answer carrying `data`.
pub fn success(style: Style, data: Value) -> Response {
    envelope(style, style.success(), SUCCESS, data)
}

/// A refusal: HTTP 200 with the upstream's code and message, and `data: null`.
pub fn refusal(style: Style, refusal: Refusal) -> Response {
    envelope(style, refusal.code, refusal.message, Value::Null)
}

/// The answer of an injected failure, in place of the real one.
pub fn failed(style: Style, failure: Failure) -> Response {
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
        Failure::Code3 => refusal(style, INVALID_APP_KEY),
        Failure::Code156 => refusal(style, NOT_REAL_NAME_AUTHENTICATED),
    }
}

/// The body of a 404 or 405.
#[derive(Serialize)]
struct Status {
    code: u16,
    message: &'static str,
}

fn status(status: StatusCode, message: &'static str) -> Response {
    let body = Status {
        code: status.as_u16(),
        message,
    };
    (status, Json(body)).into_response()
}

/// A path under `/api-gate-way/` that is no endpoint.
pub fn not_found() -> Response {
    status(StatusCode::NOT_FOUND, "Not Found")
}

/// An endpoint asked with the other method.
pub fn method_not_allowed() -> Response {
    status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}
