//! Bearer-token authentication for every admin route: 401 with `WWW-Authenticate: Bearer`
//! unless `Authorization: Bearer <token>` matches, compared in constant time. Each refusal is
//! counted by [`AuthFailure`] and logged, at most once a minute per client ([`FailureLog`]),
//! with the client's address and the reason, never what was presented.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::auth_failure::AuthFailure;
use super::auth_log::{Admit, FailureLog, MAX_CLIENTS};
use super::error::AdminError;
use super::metrics::AdminMetrics;

/// What the authentication layer holds: the token, the counter, and who was logged when.
#[derive(Clone)]
pub struct Guard {
    token: SecretString,
    metrics: AdminMetrics,
    log: Arc<FailureLog>,
}

impl Guard {
    pub fn new(token: SecretString, metrics: AdminMetrics) -> Self {
        Guard {
            token,
            metrics,
            log: Arc::default(),
        }
    }
}

pub async fn require_token(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let reason = match check(request.headers(), guard.token.expose_secret().as_bytes()) {
        Ok(()) => return next.run(request).await,
        Err(reason) => reason,
    };
    guard.metrics.auth_failure(reason);
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let shown = client.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    match guard.log.admit(client.map(|a| a.ip())) {
        Admit::Line { suppressed } => tracing::warn!(
            target: "proxy911_exporter::audit",
            client = %shown,
            reason = reason.as_str(),
            suppressed_since_last_line = suppressed,
            "admin authentication refused"
        ),
        Admit::TooManyClients => tracing::warn!(
            target: "proxy911_exporter::audit",
            client = %shown,
            reason = reason.as_str(),
            "admin authentication refused for more than {MAX_CLIENTS} clients within a minute: \
             lines for further clients are left out (proxy911_admin_auth_failures_total counts \
             every refusal)"
        ),
        Admit::Quiet => {}
    }
    AdminError::Unauthorized.into_response()
}

/// The bearer token of `headers`, checked against `expected`.
fn check(headers: &HeaderMap, expected: &[u8]) -> Result<(), AuthFailure> {
    let value = headers.get(AUTHORIZATION).ok_or(AuthFailure::Missing)?;
    let provided = value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        })
        .ok_or(AuthFailure::Malformed)?;
    if token_matches(expected, provided.as_bytes()) {
        Ok(())
    } else {
        Err(AuthFailure::Wrong)
    }
}

/// Compares in time that depends only on the length of what was provided, never on where the
/// first difference is or on the length of the real token.
fn token_matches(expected: &[u8], provided: &[u8]) -> bool {
    if expected.is_empty() {
        return false;
    }
    let mut equal = (expected.len() as u64).ct_eq(&(provided.len() as u64));
    for (i, byte) in provided.iter().enumerate() {
        equal &= expected[i % expected.len()].ct_eq(byte);
    }
    equal.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn reason(authorization: Option<&[u8]>) -> Result<(), AuthFailure> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
        }
        check(&headers, b"s3cretToken")
    }

    #[test]
    fn each_refusal_has_its_reason() {
        assert_eq!(reason(None), Err(AuthFailure::Missing));
        for malformed in [
            &b"s3cretToken"[..],
            b"Basic s3cretToken",
            b"Bearer",
            b"Bearer   ",
            b"Bearer s3cret\xffToken",
        ] {
            assert_eq!(
                reason(Some(malformed)),
                Err(AuthFailure::Malformed),
                "{}",
                String::from_utf8_lossy(malformed)
            );
        }
        assert_eq!(reason(Some(b"Bearer s3cretTokem")), Err(AuthFailure::Wrong));
        assert_eq!(reason(Some(b"bearer  s3cretToken ")), Ok(()));
    }

    #[test]
    fn only_the_exact_token_matches() {
        assert!(token_matches(b"s3cretToken", b"s3cretToken"));
        assert!(!token_matches(b"s3cretToken", b"s3cretTokem"));
        assert!(!token_matches(b"s3cretToken", b"s3cretToken2"));
        assert!(!token_matches(b"s3cretToken", b"s3cret"));
        assert!(!token_matches(b"s3cretToken", b""));
        assert!(
            !token_matches(b"abab", b"abababab"),
            "a repeat of the token is not the token"
        );
        assert!(!token_matches(b"", b""));
    }
}
