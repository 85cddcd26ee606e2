//! The `/_simulator/` control endpoints: request counts (read and reset), faults (set and
//! clear) and an account's traffic pace (a leak) at run time.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::faults::{Fault, FaultRequest};
use crate::state::KB_PER_GB;
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

/// Body of `POST /_simulator/leak`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakRequest {
    pub username: String,
    /// Only the account of this product type, when the username has several.
    #[serde(default)]
    pub product_type: Option<i64>,
    /// The account's new pace while enabled; its traffic so far is kept.
    pub gb_per_hour: f64,
}

/// `POST /_simulator/leak` with `{"username":…,"gb_per_hour":…}` (and optionally
/// `"product_type"`): the account's traffic jumps to that pace, as if its password had leaked,
/// until it is disabled (or set back). 404 when no account matches.
pub async fn leak(State(sim): State<Simulator>, body: Bytes) -> Response {
    let request: LeakRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("expected {{\"username\":…,\"gb_per_hour\":…}}: {e}\n"),
            )
                .into_response()
        }
    };
    if !request.gb_per_hour.is_finite() || request.gb_per_hour < 0.0 {
        return (
            StatusCode::BAD_REQUEST,
            "gb_per_hour must be a finite number, 0 or more\n",
        )
            .into_response();
    }
    let kb_per_second = request.gb_per_hour * KB_PER_GB / 3600.0;
    let changed = sim.with_world(|world| {
        world.set_usage_rate(
            &request.username,
            request.product_type,
            kb_per_second,
            std::time::Instant::now(),
        )
    });
    match changed {
        0 => (StatusCode::NOT_FOUND, "no such account\n").into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

/// `DELETE /_simulator/faults`.
pub async fn clear_faults(State(sim): State<Simulator>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}
