//! The HTTP side: the metrics listener's router (landing page, telemetry path, health) and,
//! where configured, the admin API (on the metrics listener or on its own).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;

use crate::scrape::Scraper;
use crate::targets::{Lifecycle, Targets};
use crate::web::guard::{guard, GuardState};
use crate::web::WebHandle;

pub mod admin;
mod body;
mod lifecycle;
mod negotiate;
mod probe;
mod telemetry;

/// Longest any request may take; scrapes are bounded well below by their own deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// What the metrics listener's handlers share.
#[derive(Debug, Clone)]
pub struct MetricsState {
    pub scraper: Arc<Scraper>,
    pub telemetry_path: String,
    pub scrape_timeout_offset: Duration,
    /// Set once the configuration is loaded and the listener bound.
    pub ready: Arc<AtomicBool>,
    /// With `--config.file`: the targets `/probe` serves.
    pub targets: Option<Arc<Targets>>,
    /// What `POST /-/reload` reloads, with `--web.enable-lifecycle`.
    pub lifecycle: Option<Lifecycle>,
}

/// The router of the metrics listener. `admin`, when given, is nested under `/admin`; every other
/// `/admin` path is 404 like any unknown path.
pub fn router(state: MetricsState, admin: Option<Router>) -> Router {
    let landing = landing_page(&state.telemetry_path, state.targets.is_some());
    let mut router = Router::new()
        .route("/", get(move || async move { Html(landing) }))
        .route(&state.telemetry_path, get(telemetry::metrics))
        .route("/-/healthy", get(|| async { "Healthy.\n" }))
        .route("/-/ready", get(ready))
        .route("/-/reload", post(lifecycle::reload));
    if state.targets.is_some() {
        router = router.route("/probe", get(probe::probe));
    }
    if let Some(admin) = admin {
        router = router.nest_service("/admin", admin);
    }
    router
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found\n") })
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

async fn ready(axum::extract::State(state): axum::extract::State<MetricsState>) -> Response {
    if state.ready.load(Ordering::Acquire) {
        "Ready.\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Not ready.\n").into_response()
    }
}

/// `router` behind the web configuration's layer (`crate::web::guard`): basic auth on every
/// path but `/admin/...` when the admin API is mounted on it (`admin_mounted`), then the
/// configured response headers. Outermost, so that it covers every route and the fallback.
pub(crate) fn with_web_config(router: Router, web: WebHandle, admin_mounted: bool) -> Router {
    router.layer(axum::middleware::from_fn_with_state(
        GuardState { web, admin_mounted },
        guard,
    ))
}

/// The router of a separate admin listener: only `/admin/...`, everything else 404.
pub(crate) fn admin_only(admin: Router) -> Router {
    Router::new()
        .nest_service("/admin", admin)
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found\n") })
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
}

fn landing_page(telemetry_path: &str, targets: bool) -> String {
    let probe = if targets {
        "<li>Probe a target of --config.file: /probe?target=NAME</li>\n"
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>911Proxy Exporter</title></head>
<body>
<h1>911Proxy Exporter</h1>
<p>Prometheus exporter for the 911Proxy OpenAPI, version {version}.</p>
<ul>
<li><a href="{path}">Metrics</a> ({path})</li>
{probe}<li><a href="/-/healthy">Health</a></li>
<li><a href="/-/ready">Readiness</a></li>
</ul>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        path = telemetry_path,
    )
}
