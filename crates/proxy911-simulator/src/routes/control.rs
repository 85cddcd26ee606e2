//! The `/_simulator/` control endpoints: request counts (read and reset) and faults (set and
//! clear) at run time.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::faults::{Fault, FaultRequest};
use crate::Simulator;

/// The requests of one endpoint path: all together, and by variant (page, product type, isp).
#[derive(Debug, Default, Serialize)]
pub struct PathRequests {
    total: u64,
    variants: BTreeMap<String, u64>,
}

/// `GET /_simulator/requests`: the counts by endpoint path.
pub async fn request_counts(State(sim): State<Simulator>) -> Json<BTreeMap<String, PathRequests>> {
    let mut by_path: BTreeMap<String, PathRequests> = BTreeMap::new();
    for ((path, variant), count) in sim.request_counts() {
        let entry = by_path.entry(path).or_default();
        entry.total += count;
        if !variant.is_empty() {
            entry.variants.insert(variant, count);
        }
    }
    Json(by_path)
}

/// `DELETE /_simulator/requests`.
pub async fn reset_requests(State(sim): State<Simulator>) -> StatusCode {
    sim.reset_request_counts();
    StatusCode::NO_CONTENT
}

/// `POST /_simulator/faults` with `{"endpoint": "*" or a path, "fault": a fault spec}`.
pub async fn set_fault(State(sim): State<Simulator>, body: Bytes) -> Response {
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("expected {{\"endpoint\":…,\"fault\":…}}: {e}\n"),
            )
                .into_response()
        }
    };
    match Fault::parse(&request.fault) {
        Ok(fault) => {
            sim.set_fault(&request.endpoint, fault);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// `DELETE /_simulator/faults`.
pub async fn clear_faults(State(sim): State<Simulator>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}
