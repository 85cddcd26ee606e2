//! The admin API (SPEC §6): account management on the 911Proxy API, behind a bearer token.
//!
//! - [`validate`]: every rule, checked before anything goes upstream.
//! - `auth`: the bearer token, compared in constant time.
//! - [`error`]: statuses and the JSON error body.
//! - this file: the routes, the handlers, and the audit trail (a log line and a metric per
//!   operation; a successful change also makes the next scrape refresh the accounts).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::collector::{accounts, product_type_label};
use crate::scrape::Scraper;
use crate::upstream::Client;
use error::AdminError;

mod auth;
pub mod error;
pub mod validate;

/// The OpenAPI 3 description of this API, checked in at `docs/admin-openapi.json`.
pub const OPENAPI: &str = include_str!("../../../docs/admin-openapi.json");

/// Said of operations the upstream takes about 5 minutes to apply.
const APPLIES_LATER: &str = "911Proxy applies this within about 5 minutes; until then the previous state may still be in effect (and billed)";

/// What the admin handlers share.
#[derive(Clone)]
pub struct AdminState {
    pub client: Client,
    pub scraper: Arc<Scraper>,
    pub token: SecretString,
}

/// The admin routes, relative to `/admin`; every one requires the token.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/accounts", get(list).post(add))
        .route("/accounts/{username}", patch(update).delete(delete))
        .route("/accounts/actions/{action}", post(batch_action))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { AdminError::NotFound("no such admin endpoint".into()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .with_state(state)
}

/// The peer address, when the server was started with connect info (absent in `oneshot` tests).
pub struct ClientAddr(Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
        ))
    }
}

/// One admin operation, audited: a log line, a metric, and on success the accounts cache
/// invalidated so the next scrape shows the change.
struct Audit<'a> {
    state: &'a AdminState,
    operation: &'static str,
    client: Option<SocketAddr>,
}

impl Audit<'_> {
    fn finish<T>(
        &self,
        accounts: &[String],
        result: Result<T, AdminError>,
    ) -> Result<T, AdminError> {
        let outcome = match &result {
            Ok(_) => "success",
            Err(error) => error.code(),
        };
        self.state
            .scraper
            .metrics()
            .admin_request(self.operation, outcome);
        let client = self
            .client
            .map(|a| a.to_string())
            .unwrap_or_else(|| "unknown".into());
        tracing::info!(
            target: "proxy911_exporter::audit",
            operation = self.operation,
            accounts = %accounts.join(","),
            outcome,
            client = %client,
            "admin operation"
        );
        if result.is_ok() && self.operation != "list" {
            self.state.scraper.invalidate(accounts::NAME);
        }
        result
    }
}

fn audit<'a>(
    state: &'a AdminState,
    operation: &'static str,
    ClientAddr(client): ClientAddr,
) -> Audit<'a> {
    Audit {
        state,
        operation,
        client,
    }
}

/// Replaces any password the request carried in an upstream message sent back to the caller.
fn scrub(error: AdminError, passwords: &[&SecretString]) -> AdminError {
    let clean = |mut text: String| {
        for password in passwords {
            text = text.replace(password.expose_secret(), "[REDACTED]");
        }
        text
    };
    match error {
        AdminError::Upstream(text) => AdminError::Upstream(clean(text)),
        AdminError::NotRealNameAuthenticated(text) => {
            AdminError::NotRealNameAuthenticated(clean(text))
        }
        other => other,
    }
}

fn username_from(path: Result<Path<String>, PathRejection>) -> Result<String, AdminError> {
    let Path(raw) = path.map_err(|_| AdminError::NotFound("no such account path".into()))?;
    Ok(validate::name("username", &Value::String(raw))?)
}

async fn list(
    State(state): State<AdminState>,
    client: ClientAddr,
) -> Result<Json<Value>, AdminError> {
    let audit = audit(&state, "list", client);
    let result = state.client.list_accounts().await.map_err(AdminError::from);
    let listed = audit.finish(&[], result)?;
    let accounts: Vec<Value> = listed
        .items
        .iter()
        .map(|a| {
            // A field the upstream did not give in a readable form is `null`, never a guess.
            json!({
                "id": a.id,
                "username": a.username,
                "product_type": a.product_type,
                "product_type_name": a.product_type.map(product_type_label),
                "remark": a.remark,
                "enabled": a.enabled,
                "traffic_used_bytes": a.used_bytes(),
                "limit_gb": a.limit_flow,
                "traffic_limit_bytes": a.limit_bytes().filter(|b| b.is_finite()),
                "created_at": a.created_at.map(|t| t.to_string()),
            })
        })
        .collect();
    Ok(Json(json!({ "accounts": accounts })))
}

async fn add(
    State(state): State<AdminState>,
    client: ClientAddr,
    body: Bytes,
) -> Result<Response, AdminError> {
    let audit = audit(&state, "add", client);
    let request = match validate::add_request(&body) {
        Ok(request) => request,
        Err(invalid) => return audit.finish(&[], Err(invalid.into())),
    };
    let names: Vec<String> = request
        .accounts
        .iter()
        .map(|a| a.username.clone())
        .collect();
    let passwords: Vec<&SecretString> = request.accounts.iter().map(|a| &a.password).collect();
    let result = state
        .client
        .add_accounts(&request.accounts, request.product_type, &request.remark)
        .await
        .map_err(|e| scrub(e.into(), &passwords));
    audit.finish(&names, result)?;
    let answer =
        json!({"operation": "add", "accounts": names, "product_type": request.product_type});
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn update(
    State(state): State<AdminState>,
    client: ClientAddr,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let audit = audit(&state, "update", client);
    let (username, request) =
        match username_from(path).and_then(|u| Ok((u, validate::update_request(&body)?))) {
            Ok(parsed) => parsed,
            Err(error) => return audit.finish(&[], Err(error)),
        };
    let names = vec![username.clone()];
    let mut applied: Vec<&str> = Vec::new();
    let mut slow = false;
    let result = async {
        if let Some(password) = &request.password {
            state.client.change_password(&username, password).await?;
            applied.push("password");
            slow = true;
        }
        if let Some(remark) = &request.remark {
            state.client.change_remark(&username, remark).await?;
            applied.push("remark");
        }
        if let Some(limit) = request.limit_gb {
            state.client.change_limit(&username, limit).await?;
            applied.push("limit_gb");
        }
        match request.enabled {
            Some(true) => state.client.enable_accounts(&names).await?,
            Some(false) => {
                state.client.disable_accounts(&names).await?;
                slow = true;
            }
            None => {}
        }
        if request.enabled.is_some() {
            applied.push("enabled");
        }
        Ok::<_, crate::upstream::UpstreamError>(())
    }
    .await;
    let passwords: Vec<&SecretString> = request.password.iter().collect();
    let result = result.map_err(|e| match scrub(e.into(), &passwords) {
        AdminError::Upstream(message) if !applied.is_empty() => AdminError::Upstream(format!(
            "{message} (already applied: {})",
            applied.join(", ")
        )),
        other => other,
    });
    if result.is_err() && !applied.is_empty() {
        state.scraper.invalidate(accounts::NAME);
    }
    audit.finish(&names, result)?;
    let mut answer = json!({"operation": "update", "accounts": names, "applied": applied});
    if slow {
        answer["note"] = json!(APPLIES_LATER);
    }
    Ok(Json(answer))
}

async fn delete(
    State(state): State<AdminState>,
    client: ClientAddr,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, AdminError> {
    let audit = audit(&state, "delete", client);
    let names = match username_from(path) {
        Ok(username) => vec![username],
        Err(error) => return audit.finish(&[], Err(error)),
    };
    let result = state
        .client
        .delete_accounts(&names)
        .await
        .map_err(AdminError::from);
    audit.finish(&names, result)?;
    Ok(Json(
        json!({"operation": "delete", "accounts": names, "note": APPLIES_LATER}),
    ))
}

async fn batch_action(
    State(state): State<AdminState>,
    client: ClientAddr,
    path: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let operation = match path.as_ref().map(|Path(action)| action.as_str()) {
        Ok("enable") => "enable",
        Ok("disable") => "disable",
        Ok("delete") => "delete",
        _ => {
            return Err(AdminError::NotFound(
                "actions are enable, disable and delete".into(),
            ))
        }
    };
    let audit = audit(&state, operation, client);
    let names = match validate::batch_request(&body) {
        Ok(names) => names,
        Err(invalid) => return audit.finish(&[], Err(invalid.into())),
    };
    let result = match operation {
        "enable" => state.client.enable_accounts(&names).await,
        "disable" => state.client.disable_accounts(&names).await,
        _ => state.client.delete_accounts(&names).await,
    };
    audit.finish(&names, result.map_err(AdminError::from))?;
    let mut answer = json!({"operation": operation, "accounts": names});
    if operation != "enable" {
        answer["note"] = json!(APPLIES_LATER);
    }
    Ok(Json(answer))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
