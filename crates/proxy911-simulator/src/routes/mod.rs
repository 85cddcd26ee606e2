//! The simulator's router, and the path every `/api-gate-way/…` request takes: find the
//! endpoint, check the method, read the parameters, then [`respond`]: count, inject the fault,
//! check the app_key, and answer with the endpoint's function (one per endpoint, in one file per
//! endpoint group: accounts, packages, static IPs, traffic, orders, user, regions), a plain
//! function of the request and the world of its app_key.

mod accounts;
mod control;
mod envelope;
mod lists;
mod orders;
mod packages;
mod regions;
mod request;
mod static_ips;
mod traffic;
mod user;

#[cfg(test)]
mod clock_tests;
#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use serde::Serialize;

use crate::drift;
use crate::endpoint::Endpoint;
use crate::faults::{Failure, Fault};
use crate::keys::lock;
use crate::state::{Refusal, World};
use crate::Simulator;
use envelope::Style;
use request::{Params, Request};

pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/api-gate-way/{*rest}", any(upstream))
        .route(
            "/_simulator/requests",
            get(control::request_counts).delete(control::reset_requests),
        )
        .route(
            "/_simulator/faults",
            post(control::set_fault).delete(control::clear_faults),
        )
        .route("/_simulator/leak", post(control::leak))
        .route("/_simulator/clock", post(control::clock))
        .with_state(sim)
}

async fn upstream(
    State(sim): State<Simulator>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(endpoint) = Endpoint::from_path(uri.path()) else {
        return envelope::not_found();
    };
    if method != endpoint.method() {
        return envelope::method_not_allowed();
    }
    let params = match Params::read(query, method == Method::POST, &body) {
        Ok(params) => params,
        Err(refused) => return envelope::refusal(Style::of(endpoint), refused),
    };
    let sim = &sim;
    match endpoint {
        Endpoint::AccountList => respond(sim, endpoint, params, accounts::list).await,
        Endpoint::AccountAdd => respond(sim, endpoint, params, accounts::add).await,
        Endpoint::AccountDelete => respond(sim, endpoint, params, accounts::delete).await,
        Endpoint::AccountEnable => respond(sim, endpoint, params, accounts::enable).await,
        Endpoint::AccountDisable => respond(sim, endpoint, params, accounts::disable).await,
        Endpoint::AccountChangePassword => {
            respond(sim, endpoint, params, accounts::change_password).await
        }
        Endpoint::AccountChangeRemark => {
            respond(sim, endpoint, params, accounts::change_remark).await
        }
        Endpoint::AccountChangeLimit => {
            respond(sim, endpoint, params, accounts::change_limit).await
        }
        Endpoint::PackageSummary => respond(sim, endpoint, params, packages::summary).await,
        Endpoint::PackageList => respond(sim, endpoint, params, packages::list).await,
        Endpoint::StaticIpRegions => respond(sim, endpoint, params, static_ips::regions).await,
        Endpoint::StaticIpList => respond(sim, endpoint, params, static_ips::list).await,
        Endpoint::TrafficDaily => respond(sim, endpoint, params, traffic::daily).await,
        Endpoint::OrderList => respond(sim, endpoint, params, orders::list).await,
        Endpoint::UserInfo => respond(sim, endpoint, params, user::info).await,
        Endpoint::DynamicStates => respond(sim, endpoint, params, regions::states).await,
        Endpoint::DynamicCities => respond(sim, endpoint, params, regions::cities).await,
    }
}

/// The common path of every endpoint, in the order the real API shows it: the request (read as
/// `R`) is counted (for its app_key, or among the strays); the endpoint's fault applies (its
/// key's own, else the common one: latency, then a failure instead of the answer); the app_key
/// is checked; then `answer` runs on that key's world, and its answer (bent by `schema-drift`
/// when asked) goes back in the endpoint's envelope, or its refusal does.
async fn respond<R: Request, A: Serialize>(
    sim: &Simulator,
    endpoint: Endpoint,
    params: Params,
    answer: impl FnOnce(R, &mut World, Instant) -> Result<A, Refusal>,
) -> Response {
    let style = Style::of(endpoint);
    let request: R = match params.into_request() {
        Ok(request) => request,
        Err(refused) => return envelope::refusal(style, refused),
    };
    let tenant = sim.tenant(&request.app_key().text());
    sim.count_request(tenant.as_deref(), endpoint, request.variant());
    let fault = sim.fault_for(tenant.as_deref(), endpoint);
    if let Some(failure) = apply_latency(fault).await {
        return envelope::failed(style, failure);
    }
    let Some(tenant) = tenant else {
        return envelope::refusal(style, envelope::INVALID_APP_KEY);
    };
    // The moment read once the world is held, so the moments its answers see never go back.
    let mut world = lock(&tenant.world);
    let now = sim.now();
    let answered = answer(request, &mut world, now);
    drop(world);
    match answered {
        Ok(answer) => {
            let mut data = serde_json::to_value(answer)
                .expect("answers are structs of strings and numbers, which always serialize");
            if fault.schema_drift {
                if let Some(shape) = endpoint.drift_answer() {
                    drift::apply(shape, &mut data);
                }
            }
            envelope::success(style, data)
        }
        Err(refused) => envelope::refusal(style, refused),
    }
}

/// Sleeps the injected latency; returns the injected failure, if any.
async fn apply_latency(fault: Fault) -> Option<Failure> {
    if let Some(latency) = fault.latency {
        tokio::time::sleep(latency).await;
    }
    fault.failure
}
