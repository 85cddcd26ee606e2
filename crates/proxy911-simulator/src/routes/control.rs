//! The `/_simulator/` control endpoints: request counts (read and reset), faults (set and
//! clear), an account's traffic pace (a leak) and the simulated clock at run time.
//!
//! Each takes an optional `?app_key=` selecting one key's world: its own counts, its own faults
//! (which win over the common ones), its accounts for a leak. Without it they act as when the
//! simulator served one key: counts of every request, faults for every key, the primary key's
//! accounts. A key not accepted is a 404; no answer ever repeats a key.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::faults::{Fault, FaultRequest};
use crate::state::{World, KB_PER_GB};
use crate::Simulator;

/// The requests of one endpoint path: all together, and by variant (page, product type, isp).
#[derive(Debug, Default, Serialize)]
pub struct PathRequests {
    total: u64,
    variants: BTreeMap<String, u64>,
}

/// The query of every control endpoint: the key whose world it acts on, if not the primary's.
#[derive(Debug, Default, Deserialize)]
pub struct Selector {
    app_key: Option<String>,
}

/// The answer to a `?app_key=` the simulator does not accept (without the key).
fn unknown_key() -> Response {
    (StatusCode::NOT_FOUND, "no such app_key\n").into_response()
}

/// `GET /_simulator/requests`: the counts by endpoint path (of every request, or of those that
/// carried the selected key).
pub async fn request_counts(
    State(sim): State<Simulator>,
    Query(selector): Query<Selector>,
) -> Response {
    let counts = match &selector.app_key {
        None => sim.request_counts(),
        Some(key) => match sim.request_counts_of(key) {
            Some(counts) => counts,
            None => return unknown_key(),
        },
    };
    let mut by_path: BTreeMap<String, PathRequests> = BTreeMap::new();
    for ((path, variant), count) in counts {
        let entry = by_path.entry(path).or_default();
        entry.total += count;
        if !variant.is_empty() {
            entry.variants.insert(variant, count);
        }
    }
    Json(by_path).into_response()
}

/// `DELETE /_simulator/requests`: forgets every request (or those of the selected key).
pub async fn reset_requests(
    State(sim): State<Simulator>,
    Query(selector): Query<Selector>,
) -> Response {
    match &selector.app_key {
        None => sim.reset_request_counts(),
        Some(key) if sim.reset_request_counts_of(key) => {}
        Some(_) => return unknown_key(),
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_simulator/faults` with `{"endpoint": "*" or a path, "fault": a fault spec}`: for
/// every key, or for the selected key only.
pub async fn set_fault(
    State(sim): State<Simulator>,
    Query(selector): Query<Selector>,
    body: Bytes,
) -> Response {
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
        Ok(fault) => match &selector.app_key {
            None => {
                sim.set_fault(&request.endpoint, fault);
                StatusCode::NO_CONTENT.into_response()
            }
            Some(key) if sim.set_fault_of(key, &request.endpoint, fault) => {
                StatusCode::NO_CONTENT.into_response()
            }
            Some(_) => unknown_key(),
        },
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
/// until it is disabled (or set back), in the primary key's world or the selected key's. 404
/// when no account matches.
pub async fn leak(
    State(sim): State<Simulator>,
    Query(selector): Query<Selector>,
    body: Bytes,
) -> Response {
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
    let leak = |world: &mut World| {
        world.set_usage_rate(
            &request.username,
            request.product_type,
            kb_per_second,
            sim.now(),
        )
    };
    let changed = match &selector.app_key {
        None => Some(sim.with_world(leak)),
        Some(key) => sim.with_world_of(key, leak),
    };
    match changed {
        None => unknown_key(),
        Some(0) => (StatusCode::NOT_FOUND, "no such account\n").into_response(),
        Some(_) => StatusCode::NO_CONTENT.into_response(),
    }
}

/// Body of `POST /_simulator/clock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// How far to move the clock forward (`15m`, `1h`, `7days`).
    pub advance: String,
}

/// What the clock answers: the simulated time, in RFC 3339.
#[derive(Debug, Serialize)]
pub struct ClockAnswer {
    now: String,
}

/// `POST /_simulator/clock` with `{"advance":"1h"}`: moves the simulated clock of every world
/// forward (it is one clock: no `?app_key=`), as if that time had passed.
pub async fn clock(State(sim): State<Simulator>, body: Bytes) -> Response {
    let request: ClockRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("expected {{\"advance\":\"1h\"}}: {e}\n"),
            )
                .into_response()
        }
    };
    let by = match humantime::parse_duration(&request.advance) {
        Ok(by) => by,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("advance: {e}\n")).into_response();
        }
    };
    sim.advance_clock(by);
    Json(ClockAnswer {
        now: sim
            .now_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
    .into_response()
}

/// `DELETE /_simulator/faults`: clears every fault (of every key), or the selected key's own.
pub async fn clear_faults(
    State(sim): State<Simulator>,
    Query(selector): Query<Selector>,
) -> Response {
    match &selector.app_key {
        None => sim.clear_faults(),
        Some(key) if sim.clear_faults_of(key) => {}
        Some(_) => return unknown_key(),
    }
    StatusCode::NO_CONTENT.into_response()
}
