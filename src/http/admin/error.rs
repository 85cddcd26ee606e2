//! [`AdminError`]: every way an admin request ends badly, mapped to its status and to the typed
//! body `ErrorBody`, `{"error":{"code":…,"message":…,"field":…}}`. Texts never hold a
//! password or the token: refusals do not echo values, and upstream messages are scrubbed by the
//! handler of any password it sent.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::answers::AccountMatch;
use super::decode::Invalid;
use crate::upstream::UpstreamError;

/// The largest admin body accepted: 1 MiB, far above any valid request (100 accounts). Here,
/// beside the refusal that names it; `body_limit` enforces it.
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    InvalidArgument(Invalid),
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// A target's own token, used for another target or for the exporter's own account.
    #[error("this token manages another target only")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is larger than {} bytes (1 MiB)", MAX_BODY_BYTES)]
    PayloadTooLarge,
    #[error("the 911Proxy account is not real-name authenticated (upstream code 156): {0}")]
    NotRealNameAuthenticated(String),
    #[error("911Proxy rejected the exporter's app_key (upstream code 3)")]
    UpstreamAuthFailed,
    #[error("{0}")]
    Upstream(String),
    #[error("911Proxy did not answer in time; the change may or may not have been applied")]
    UpstreamTimeout,
    /// A username of several accounts (product types): 911Proxy would change them all.
    #[error("the username matches several accounts, and 911Proxy applies a change to every one of them: nothing was sent; repeat with ?all=true to change them all")]
    AmbiguousAccount(Vec<AccountMatch>),
}

/// The `error.code` of a refusal, also the `outcome` label of the admin metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidArgument,
    Unauthorized,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    NotRealNameAuthenticated,
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamTimeout,
    AmbiguousAccount,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotRealNameAuthenticated => "not_real_name_authenticated",
            ErrorCode::UpstreamAuthFailed => "upstream_auth_failed",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::AmbiguousAccount => "ambiguous_account",
        }
    }
}

/// The body of every refusal.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The field at fault, as a path such as `accounts[1].password`, with `invalid_argument`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// With `ambiguous_account`: every account the username matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub matches: Option<Vec<AccountMatch>>,
}

impl AdminError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AdminError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            AdminError::Unauthorized => ErrorCode::Unauthorized,
            AdminError::Forbidden => ErrorCode::Forbidden,
            AdminError::NotFound(_) => ErrorCode::NotFound,
            AdminError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AdminError::NotRealNameAuthenticated(_) => ErrorCode::NotRealNameAuthenticated,
            AdminError::UpstreamAuthFailed => ErrorCode::UpstreamAuthFailed,
            AdminError::Upstream(_) => ErrorCode::UpstreamError,
            AdminError::UpstreamTimeout => ErrorCode::UpstreamTimeout,
            AdminError::AmbiguousAccount(_) => ErrorCode::AmbiguousAccount,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::InvalidArgument(_) => StatusCode::BAD_REQUEST,
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::Forbidden => StatusCode::FORBIDDEN,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::NotRealNameAuthenticated(_) | AdminError::AmbiguousAccount(_) => {
                StatusCode::CONFLICT
            }
            AdminError::UpstreamAuthFailed | AdminError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AdminError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn body(&self) -> ErrorBody {
        let field = match self {
            AdminError::InvalidArgument(invalid) => Some(invalid.field.clone()),
            _ => None,
        };
        let matches = match self {
            AdminError::AmbiguousAccount(matches) => Some(matches.clone()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field,
                matches,
            },
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
        let mut response = (self.status(), Json(self.body())).into_response();
        if self == AdminError::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_invalid_argument_names_its_field_in_the_body() {
        let error = AdminError::from(Invalid::new("accounts[1].password", "must be letters"));

        let body = serde_json::to_value(error.body()).unwrap();

        assert_eq!(
            body,
            json!({"error": {"code": "invalid_argument", "message": "accounts[1].password: must be letters", "field": "accounts[1].password"}})
        );
    }

    #[test]
    fn every_code_serializes_as_its_label() {
        for code in [
            ErrorCode::InvalidArgument,
            ErrorCode::Unauthorized,
            ErrorCode::NotFound,
            ErrorCode::PayloadTooLarge,
            ErrorCode::NotRealNameAuthenticated,
            ErrorCode::UpstreamAuthFailed,
            ErrorCode::UpstreamError,
            ErrorCode::UpstreamTimeout,
            ErrorCode::AmbiguousAccount,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
