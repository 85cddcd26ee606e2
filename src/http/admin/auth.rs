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
use crate::targets::{Target, Targets};

/// Every token that manages something: the global admin token (everything), and with
/// `--config.file` each target's own (that target only), read afresh at each request so that a
/// reload takes effect at once.
#[derive(Clone)]
pub(crate) struct TokenBook {
    global: Option<SecretString>,
    targets: Option<Arc<Targets>>,
}

/// What a request asks to manage.
pub(crate) enum Scope<'a> {
    /// The exporter's own account (`/admin/...`).
    Own,
    /// One target (`/admin/targets/NAME/...`).
    Target(&'a Target),
    /// A target the file does not name: whoever holds any token may learn that (404); nobody
    /// else learns which names exist (401).
    AnyTarget,
}

impl TokenBook {
    pub fn new(global: Option<SecretString>, targets: Option<Arc<Targets>>) -> Self {
        TokenBook { global, targets }
    }

    /// Admits `provided` for `scope`: the global token, or the target's own for its target (any
    /// target's token for [`Scope::AnyTarget`]).
    /// Another target's token is [`AuthFailure::OtherTarget`] (403), any other [`AuthFailure::Wrong`].
    fn admit(&self, scope: &Scope<'_>, provided: &[u8]) -> Result<(), AuthFailure> {
        let matches =
            |token: &SecretString| token_matches(token.expose_secret().as_bytes(), provided);
        if self.global.as_ref().is_some_and(matches) {
            return Ok(());
        }
        if let Scope::Target(target) = scope {
            if target.admin_token().is_some_and(matches) {
                return Ok(());
            }
        }
        let anothers = self.targets.as_ref().is_some_and(|targets| {
            // Every token is compared (no early exit), so the time does not tell which matched.
            targets
                .current()
                .values()
                .filter_map(|t| t.admin_token())
                .fold(false, |found, token| matches(token) | found)
        });
        if anothers && matches!(scope, Scope::AnyTarget) {
            Ok(())
        } else if anothers {
            Err(AuthFailure::OtherTarget)
        } else {
            Err(AuthFailure::Wrong)
        }
    }
}

/// What the authentication layer holds: the tokens, the counter, and who was logged when.
#[derive(Clone)]
pub(crate) struct Guard {
    book: TokenBook,
    metrics: AdminMetrics,
    log: Arc<FailureLog>,
}

impl Guard {
    pub fn new(book: TokenBook, metrics: AdminMetrics) -> Self {
        Guard {
            book,
            metrics,
            log: Arc::default(),
        }
    }

    /// Checks the request's bearer token for `scope`; the refusal, counted and logged, as the
    /// answer to send.
    pub(crate) fn authorize(
        &self,
        request: &Request,
        scope: &Scope<'_>,
    ) -> Result<(), Box<Response>> {
        let reason = match bearer(request.headers()) {
            Ok(provided) => match self.book.admit(scope, provided.as_bytes()) {
                Ok(()) => return Ok(()),
                Err(reason) => reason,
            },
            Err(reason) => reason,
        };
        self.metrics.auth_failure(reason);
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        let shown = client.map_or_else(|| "unknown".to_string(), |a| a.to_string());
        let target = match scope {
            Scope::Own | Scope::AnyTarget => String::new(),
            Scope::Target(target) => target.name().to_string(),
        };
        match self.log.admit(client.map(|a| a.ip())) {
            Admit::Line { suppressed } => tracing::warn!(
                target: "proxy911_exporter::audit",
                client = %shown,
                reason = reason.as_str(),
                target_name = %target,
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
        Err(Box::new(match reason {
            AuthFailure::OtherTarget => AdminError::Forbidden.into_response(),
            _ => AdminError::Unauthorized.into_response(),
        }))
    }
}

/// The layer of the exporter's own admin routes: the global token only.
pub(crate) async fn require_token(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    match guard.authorize(&request, &Scope::Own) {
        Ok(()) => next.run(request).await,
        Err(refusal) => *refusal,
    }
}

/// The bearer token of `headers`: the text after `Bearer `.
fn bearer(headers: &HeaderMap) -> Result<&str, AuthFailure> {
    let value = headers.get(AUTHORIZATION).ok_or(AuthFailure::Missing)?;
    value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        })
        .ok_or(AuthFailure::Malformed)
}

/// The bearer token of `headers`, checked against `expected` alone.
#[cfg(test)]
fn check(headers: &HeaderMap, expected: &[u8]) -> Result<(), AuthFailure> {
    let provided = bearer(headers)?;
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
