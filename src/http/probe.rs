//! `GET /probe?target=NAME`: one target of `--config.file`, scraped as `/metrics` is (format
//! negotiation, gzip, Prometheus' scrape timeout, stale-while-revalidate), with its own
//! `proxy911_up`, collector and upstream series and nothing of any other target. No label
//! names the target: Prometheus adds it by relabelling `__param_target`. 400 without a target,
//! 404 for one the file does not name.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{telemetry, MetricsState};

pub async fn probe(
    State(state): State<MetricsState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(targets) = &state.targets else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    let name = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "target")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    if name.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "the target parameter is missing: /probe?target=NAME, NAME one of the targets of --config.file\n",
        )
            .into_response();
    }
    match targets.get(&name) {
        Some(target) => {
            telemetry::scrape(target.scraper(), &headers, state.scrape_timeout_offset).await
        }
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "unknown target {:?}: not in --config.file\n",
                crate::upstream::sanitize::for_log(&name, 64)
            ),
        )
            .into_response(),
    }
}
