//! `POST /-/reload`: re-reads `--config.file` and `--web.config.file`, as SIGHUP does, when
//! `--web.enable-lifecycle` is set (Prometheus' flag and answers): 200 when everything loaded,
//! 500 naming what did not (the previous configuration stays), 403 without the flag.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::MetricsState;

pub async fn reload(State(state): State<MetricsState>) -> Response {
    let Some(lifecycle) = &state.lifecycle else {
        return (
            StatusCode::FORBIDDEN,
            "lifecycle APIs are not enabled: start with --web.enable-lifecycle\n",
        )
            .into_response();
    };
    match lifecycle.reload("POST /-/reload").await {
        Ok(()) => "Reloaded.\n".into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        )
            .into_response(),
    }
}
