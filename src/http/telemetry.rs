//! `GET /metrics` (and, through [`scrape`], each target's `/probe`): negotiates the format,
//! derives the scrape deadline from Prometheus' timeout header, and answers with whatever the
//! collectors have by then.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::body::{Chunks, Inflating};
use super::{negotiate, MetricsState};
use crate::scrape::Scraper;

/// Wait used when Prometheus does not say its scrape timeout.
const DEFAULT_SCRAPE_WAIT: Duration = Duration::from_secs(10);
const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";

pub async fn metrics(State(state): State<MetricsState>, headers: HeaderMap) -> Response {
    scrape(&state.scraper, &headers, state.scrape_timeout_offset).await
}

/// One scrape of `scraper` answered as the request's headers ask: `/metrics`, and each target's
/// `/probe`.
pub async fn scrape(scraper: &Scraper, headers: &HeaderMap, offset: Duration) -> Response {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let format = negotiate::format(header(ACCEPT.as_str()));
    let gzip = negotiate::accepts_gzip(header(ACCEPT_ENCODING.as_str()));
    let wait = scrape_wait(header(SCRAPE_TIMEOUT_HEADER), offset);

    let answer = scraper.scrape(Instant::now() + wait, format).await;
    let body = if gzip {
        Body::new(Chunks::new(answer.gzip()))
    } else {
        let (parts, len) = answer.plain();
        Body::new(Inflating::new(parts, len))
    };
    let mut response = (
        [
            (CONTENT_TYPE, format.content_type()),
            (VARY, "Accept, Accept-Encoding"),
        ],
        body,
    )
        .into_response();
    if gzip {
        response.headers_mut().insert(
            CONTENT_ENCODING,
            axum::http::HeaderValue::from_static("gzip"),
        );
    }
    response
}

/// How long a scrape may wait for refreshes: Prometheus' timeout minus the offset (half the
/// timeout if the offset would eat it all), or 10 s without the header.
fn scrape_wait(header: Option<&str>, offset: Duration) -> Duration {
    let Some(timeout) = header
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t > 0.0)
        .map(|t| Duration::from_secs_f64(t.min(3600.0)))
    else {
        return DEFAULT_SCRAPE_WAIT;
    };
    if timeout > offset * 2 {
        timeout - offset
    } else {
        timeout / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_leaves_room_before_prometheus_gives_up() {
        let offset = Duration::from_millis(500);
        assert_eq!(scrape_wait(Some("3"), offset), Duration::from_millis(2500));
        assert_eq!(scrape_wait(Some("0.5"), offset), Duration::from_millis(250));
        assert_eq!(scrape_wait(None, offset), Duration::from_secs(10));
        assert_eq!(scrape_wait(Some("soon"), offset), Duration::from_secs(10));
        assert_eq!(scrape_wait(Some("-1"), offset), Duration::from_secs(10));
    }
}
