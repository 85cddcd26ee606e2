//! [`UpstreamError`]: every way an upstream call can fail, as a type.
//!
//! Texts are built by the client from sanitised parts: no URL (reqwest prints URLs with their
//! query string, which holds the app_key) and any echo of the app_key replaced.

use std::time::Duration;

use crate::label::label_values;

use super::Outcome;

/// Upstream code for an invalid app_key.
pub(crate) const CODE_INVALID_APP_KEY: i64 = 3;
/// Upstream code for an account that is not real-name authenticated.
pub(crate) const CODE_NOT_REAL_NAME_AUTHENTICATED: i64 = 156;

label_values! {
    /// Why the upstream refused a request in its envelope: the `reason` label.
    pub(crate) enum ApiErrorReason {
        InvalidAppKey => "invalid_app_key",
        NotRealNameAuthenticated => "not_real_name_authenticated",
        Other => "other",
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamError {
    #[error("upstream rejected the app_key (code 3, invalid app_key): {message}")]
    InvalidAppKey { message: String },
    #[error("upstream account is not real-name authenticated (code 156): {message}")]
    NotRealNameAuthenticated { message: String },
    #[error("upstream API error (code {code}): {message}")]
    Api { code: i64, message: String },
    #[error("upstream answered HTTP {status}")]
    Http { status: u16 },
    /// A 3xx: never followed, since it would carry the app_key elsewhere.
    #[error("upstream answered HTTP {status}, a redirect to {target}; not followed")]
    Redirect { status: u16, target: String },
    #[error("upstream did not answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach upstream: {0}")]
    Transport(String),
    #[error("upstream answer could not be decoded: {0}")]
    Decode(String),
    #[error("upstream listed more than {0} pages; not following further")]
    TooManyPages(u32),
    /// No CA store to verify an `https` upstream with: a start-up error.
    #[error(transparent)]
    Trust(#[from] super::trust::TrustError),
}

impl UpstreamError {
    /// Maps an envelope's non-success code to its typed error.
    pub fn from_code(code: i64, message: String) -> Self {
        match code {
            CODE_INVALID_APP_KEY => UpstreamError::InvalidAppKey { message },
            CODE_NOT_REAL_NAME_AUTHENTICATED => UpstreamError::NotRealNameAuthenticated { message },
            code => UpstreamError::Api { code, message },
        }
    }

    /// The `outcome` label of the request that failed this way.
    pub fn outcome(&self) -> Outcome {
        match self {
            UpstreamError::InvalidAppKey { .. }
            | UpstreamError::NotRealNameAuthenticated { .. }
            | UpstreamError::Api { .. } => Outcome::ApiError,
            UpstreamError::Http { .. }
            | UpstreamError::Redirect { .. }
            | UpstreamError::Transport(_)
            | UpstreamError::Trust(_) => Outcome::HttpError,
            UpstreamError::Timeout(_) => Outcome::Timeout,
            UpstreamError::Decode(_) | UpstreamError::TooManyPages(_) => Outcome::DecodeError,
        }
    }

    /// The `reason` label of `proxy911_upstream_api_errors_total`, for refusals in the envelope.
    pub(crate) fn api_reason(&self) -> Option<ApiErrorReason> {
        match self {
            UpstreamError::InvalidAppKey { .. } => Some(ApiErrorReason::InvalidAppKey),
            UpstreamError::NotRealNameAuthenticated { .. } => {
                Some(ApiErrorReason::NotRealNameAuthenticated)
            }
            UpstreamError::Api { .. } => Some(ApiErrorReason::Other),
            _ => None,
        }
    }

    /// Whether a GET may be retried after this failure (HTTP 429 and 5xx only).
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(self, UpstreamError::Http { status } if *status == 429 || *status >= 500)
    }
}
