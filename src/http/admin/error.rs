//! [`AdminError`]: every way an admin request ends badly, mapped to its status and JSON body
//! `{"error":{"code":…,"message":…,"field":…}}` (SPEC §6). Texts never hold a password or the
//! token: validation messages do not echo values, and upstream messages are scrubbed by the
//! handler of any password it sent.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::validate::Invalid;
use crate::upstream::UpstreamError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    InvalidArgument(Invalid),
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error("the 911Proxy account is not real-name authenticated (upstream code 156): {0}")]
    NotRealNameAuthenticated(String),
    #[error("911Proxy rejected the exporter's app_key (upstream code 3)")]
    UpstreamAuthFailed,
    #[error("{0}")]
    Upstream(String),
    #[error("911Proxy did not answer in time; the change may or may not have been applied")]
    UpstreamTimeout,
}

impl AdminError {
    /// The `error.code` of the body, also the `outcome` label of the admin metrics.
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::InvalidArgument(_) => "invalid_argument",
            AdminError::Unauthorized => "unauthorized",
            AdminError::NotFound(_) => "not_found",
            AdminError::NotRealNameAuthenticated(_) => "not_real_name_authenticated",
            AdminError::UpstreamAuthFailed => "upstream_auth_failed",
            AdminError::Upstream(_) => "upstream_error",
            AdminError::UpstreamTimeout => "upstream_timeout",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::NotRealNameAuthenticated(_) => StatusCode::CONFLICT,
            AdminError::UpstreamAuthFailed | AdminError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AdminError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

impl From<Invalid> for AdminError {
    fn from(invalid: Invalid) -> Self {
        AdminError::InvalidArgument(invalid)
    }
}

impl From<UpstreamError> for AdminError {
    fn from(error: UpstreamError) -> Self {
        match error {
            UpstreamError::NotRealNameAuthenticated { message } => {
                AdminError::NotRealNameAuthenticated(message)
            }
            UpstreamError::InvalidAppKey { .. } => AdminError::UpstreamAuthFailed,
            UpstreamError::Timeout(_) => AdminError::UpstreamTimeout,
            UpstreamError::Api { code, message } => {
                AdminError::Upstream(format!("911Proxy refused (code {code}): {message}"))
            }
            other => AdminError::Upstream(other.to_string()),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        if let AdminError::InvalidArgument(invalid) = &self {
            error["field"] = json!(invalid.field);
            error["message"] = json!(format!("{}: {}", invalid.field, invalid.message));
        }
        let mut response = (self.status(), Json(json!({ "error": error }))).into_response();
        if self == AdminError::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
