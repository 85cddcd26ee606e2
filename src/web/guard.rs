//! The request layer of the web configuration, on both listeners, in exporter-toolkit's order:
//! the rate limit (429 beyond it, on every path), then the configured response headers on every
//! answer that follows, refusals included, then basic auth on every path except the admin API's
//! (which keeps its bearer token: one `Authorization` header cannot carry both). It reads the
//! configuration in force per request (after checking whether the file changed), so a change
//! applies to open keep-alive connections too.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebHandle;

/// What [`guard`] holds: the configuration, and whether the admin API is mounted on this
/// router (only then is `/admin/...` left to the bearer token).
#[derive(Debug, Clone)]
pub struct GuardState {
    pub web: WebHandle,
    pub admin_mounted: bool,
}

/// The path prefix under which the admin API authenticates by itself.
const ADMIN_PREFIX: &str = "/admin";

pub async fn guard(State(state): State<GuardState>, request: Request, next: Next) -> Response {
    let web = state.web.refresh().await;
    if !web.rate_allows() {
        return too_many_requests();
    }
    let exempt = state.admin_mounted && is_admin_path(request.uri().path());
    let mut response = match web.basic_auth() {
        Some(auth) if !exempt => {
            let client = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip());
            if auth
                .check(client, request.headers().get(AUTHORIZATION))
                .await
            {
                next.run(request).await
            } else {
                unauthorized()
            }
        }
        _ => next.run(request).await,
    };
    let headers = response.headers_mut();
    for (name, value) in web.headers() {
        headers.insert(name.clone(), value.clone());
    }
    response
}

fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(ADMIN_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn too_many_requests() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "Too Many Requests\n",
    )
        .into_response()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            (WWW_AUTHENTICATE, HeaderValue::from_static("Basic")),
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
        ],
        "Unauthorized\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_prefix_itself_is_left_to_the_bearer_token() {
        for admin in [
            "/admin",
            "/admin/",
            "/admin/accounts",
            "/admin/openapi.json",
        ] {
            assert!(is_admin_path(admin), "{admin}");
        }
        for other in [
            "/",
            "/metrics",
            "/administrator",
            "/adminx/a",
            "//admin",
            "/Admin/x",
        ] {
            assert!(!is_admin_path(other), "{other}");
        }
    }
}
