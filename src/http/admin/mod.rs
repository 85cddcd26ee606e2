//! The admin API: account management on the 911Proxy API, behind a bearer token. One
//! set of types is the schema: requests decode into them, answers serialize from them, and the
//! OpenAPI document is generated from them.
//!
//! - [`types`]: the checked values (username, password, remark, limit, product type).
//! - [`requests`]: the request bodies made of them; [`decode`] turns bytes into those or into a
//!   refusal naming the field.
//! - [`answers`]: the answers; [`error`]: the refusals, their statuses and body.
//! - `handlers`: one function per route; `body_limit`: the body, read up to 1 MiB.
//! - `auth`: the bearer token, compared in constant time; refusals counted by reason and
//!   logged, at most once a minute per client (`auth_log`).
//! - [`alert_actions`]: `POST /admin/alertmanager`, Alertmanager's webhook acting on the
//!   traffic-anomaly alert within its safety rules.
//! - [`openapi`]: the document, served at `/admin/openapi.json` and kept in
//!   `docs/admin-openapi.json`.
//! - this file: the router, and the audit trail (a log line and a metric per operation; a
//!   successful change also makes the next scrape refresh the accounts).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, patch, post};
use axum::Router;
use secrecy::{ExposeSecret, SecretString};

use crate::collector::CollectorId;
use crate::config::{AlertActionMode, TargetName};
use crate::scrape::Scraper;
use crate::targets::Targets;
use crate::upstream::Client;
use answers::Operation;
use auth::TokenBook;
use error::AdminError;
use metrics::AdminOutcome;
use types::Username;

pub mod alert_actions;
mod ambiguity;
pub mod answers;
mod auth;
mod auth_failure;
mod auth_log;
mod body_limit;
pub mod decode;
pub mod error;
mod handlers;
pub mod metrics;
pub mod openapi;
mod per_target;
mod refusals;
pub mod requests;
pub mod types;

pub use alert_actions::AlertActions;
pub use auth_failure::AuthFailure;
pub use error::MAX_BODY_BYTES;
pub use metrics::AdminMetrics;
pub use openapi::openapi_json;

/// What the admin handlers share: the account they manage (the exporter's own, or a target's).
#[derive(Clone)]
pub struct AdminState {
    pub client: Client,
    pub scraper: Arc<Scraper>,
    pub metrics: AdminMetrics,
    pub alert_actions: AlertActions,
    /// The target managed, for the audit trail; `None` for the exporter's own account.
    pub target: Option<TargetName>,
}

/// Everything the admin API is built from.
pub struct AdminSetup {
    /// The exporter's own account (`/admin/...`), managed with the global token; `None`
    /// without an app_key of the process's own or without a global token.
    pub own: Option<AdminState>,
    /// With `--config.file`: `/admin/targets/NAME/...`.
    pub targets: Option<Arc<Targets>>,
    /// The global admin token, if one is configured.
    pub global_token: Option<SecretString>,
    pub metrics: AdminMetrics,
    pub alert_mode: AlertActionMode,
}

/// The admin routes, relative to `/admin`; every one requires a token that manages what it
/// names: `/admin/...` the global token, `/admin/targets/NAME/...` the global token or the
/// target's own.
pub fn router(setup: AdminSetup) -> Router {
    let guard = auth::Guard::new(
        TokenBook::new(setup.global_token, setup.targets.clone()),
        setup.metrics.clone(),
    );
    let own = match setup.own {
        Some(state) => routes(state).layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            auth::require_token,
        )),
        None => Router::new()
            .fallback(|| async { AdminError::NotFound("no such admin endpoint".into()) }),
    };
    match setup.targets {
        None => own,
        Some(targets) => {
            let per_target =
                per_target::TargetRoutes::new(targets, guard, setup.metrics, setup.alert_mode);
            Router::new()
                .route("/targets/{*rest}", axum::routing::any(per_target::dispatch))
                .with_state(per_target)
                .merge(own)
        }
    }
}

/// The routes of one account, relative to where they are mounted, without authentication.
fn routes(state: AdminState) -> Router {
    Router::new()
        .route("/accounts", get(handlers::list).post(handlers::add))
        .route(
            "/accounts/{username}",
            patch(handlers::update).delete(handlers::delete),
        )
        .route("/accounts/actions/{action}", post(handlers::batch_action))
        .route("/alertmanager", post(alert_actions::alertmanager))
        .route("/openapi.json", get(openapi::openapi))
        .fallback(|| async { AdminError::NotFound("no such admin endpoint".into()) })
        .with_state(state)
}

/// One admin operation, audited: a log line, a metric, and on success the accounts cache
/// invalidated so the next scrape shows the change.
struct Audit<'a> {
    state: &'a AdminState,
    operation: Operation,
    client: SocketAddr,
}

impl<'a> Audit<'a> {
    fn new(state: &'a AdminState, operation: Operation, client: SocketAddr) -> Self {
        Audit {
            state,
            operation,
            client,
        }
    }

    fn finish<T>(
        &self,
        accounts: &[Username],
        result: Result<T, AdminError>,
    ) -> Result<T, AdminError> {
        let outcome = match &result {
            Ok(_) => AdminOutcome::Success,
            Err(error) => AdminOutcome::Refused(error.code()),
        };
        self.state.metrics.request(self.operation, outcome);
        let client = self.client;
        let accounts: Vec<&str> = accounts.iter().map(Username::as_str).collect();
        let target = self
            .state
            .target
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info!(
            target: "proxy911_exporter::audit",
            target_name = %target,
            operation = self.operation.as_str(),
            accounts = %accounts.join(","),
            outcome = outcome.as_str(),
            client = %client,
            "admin operation"
        );
        if result.is_ok() && self.operation != Operation::List {
            self.invalidate();
        }
        result
    }

    /// Makes the next scrape fetch the accounts afresh.
    fn invalidate(&self) {
        self.state.scraper.invalidate(CollectorId::Accounts);
    }
}

/// Replaces any password the request carried in an upstream message sent back to the caller.
fn scrub(error: AdminError, passwords: &[&SecretString]) -> AdminError {
    let secrets: Vec<&str> = passwords.iter().map(|p| p.expose_secret()).collect();
    let clean = |text: String| crate::upstream::sanitize::redact(&text, &secrets);
    match error {
        AdminError::Upstream(text) => AdminError::Upstream(clean(text)),
        AdminError::NotRealNameAuthenticated(text) => {
            AdminError::NotRealNameAuthenticated(clean(text))
        }
        other => other,
    }
}
