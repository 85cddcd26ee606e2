//! Bearer-token authentication for every admin route: 401 with `WWW-Authenticate: Bearer`
//! unless `Authorization: Bearer <token>` matches, compared in constant time.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::error::AdminError;
use super::AdminState;

pub async fn require_token(
    State(state): State<AdminState>,
    request: Request,
    next: Next,
) -> Response {
    let provided = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match provided {
        Some(token) if token_matches(state.token.expose_secret().as_bytes(), token.as_bytes()) => {
            next.run(request).await
        }
        _ => AdminError::Unauthorized.into_response(),
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
    use super::token_matches;

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
