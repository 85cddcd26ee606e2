//! `/admin/targets/NAME/...`: the admin API of one target of `--config.file`, the same routes,
//! bodies and answers as the exporter's own `/admin/...`, on that target's client and caches.
//! The global admin token manages every target; a target's `admin_token_file` token manages
//! that target only (403 elsewhere, counted and logged). An unknown target is 404 to whoever
//! holds a token, 401 to anyone else (who learns no target's name).
//!
//! Targets come and go with reloads, so the routes are found per request: each target's router
//! is built on first use and kept in the target itself (freed with it).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_service::Service;

use super::auth::{Guard, Scope};
use super::error::AdminError;
use super::{routes, AdminMetrics, AdminState, AlertActions};
use crate::config::AlertActionMode;
use crate::targets::{Target, Targets};

/// What the dispatcher needs to find a target and build its routes.
#[derive(Clone)]
pub(crate) struct TargetRoutes {
    targets: Arc<Targets>,
    guard: Guard,
    metrics: AdminMetrics,
    alert_mode: AlertActionMode,
}

impl TargetRoutes {
    pub fn new(
        targets: Arc<Targets>,
        guard: Guard,
        metrics: AdminMetrics,
        alert_mode: AlertActionMode,
    ) -> Self {
        TargetRoutes {
            targets,
            guard,
            metrics,
            alert_mode,
        }
    }

    /// The target's admin routes: built once per target (its alert-action budget with them).
    fn router_of(&self, target: &Target) -> Router {
        let slot = target.extension().get_or_init(|| {
            Box::new(routes(AdminState {
                client: target.client().clone(),
                scraper: target.scraper().clone(),
                metrics: self.metrics.clone(),
                alert_actions: AlertActions::new(self.alert_mode),
                target: Some(target.name().clone()),
            }))
        });
        slot.downcast_ref::<Router>()
            .cloned()
            .expect("the admin API is the only user of a target's extension")
    }
}

/// `/targets/NAME/REST` (relative to `/admin`): authorised for NAME, then REST served by the
/// target's routes.
pub(crate) async fn dispatch(State(routes): State<TargetRoutes>, mut request: Request) -> Response {
    let path = request.uri().path().to_string();
    let rest = path.strip_prefix("/targets/").unwrap_or_default();
    let (name, inner) = match rest.split_once('/') {
        Some((name, inner)) => (name, format!("/{inner}")),
        None => (rest, "/".to_string()),
    };
    let Some(target) = routes.targets.get(name) else {
        if let Err(refusal) = routes.guard.authorize(&request, &Scope::AnyTarget) {
            return *refusal;
        }
        return AdminError::NotFound(format!(
            "no target {} in --config.file",
            crate::upstream::sanitize::for_log(name, 64)
        ))
        .into_response();
    };
    if let Err(refusal) = routes.guard.authorize(&request, &Scope::Target(&target)) {
        return *refusal;
    }
    let inner_uri = match request.uri().query() {
        Some(query) => format!("{inner}?{query}"),
        None => inner,
    };
    match inner_uri.parse::<Uri>() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return AdminError::NotFound("no such admin endpoint".into()).into_response(),
    }
    let mut router = routes.router_of(&target);
    match router.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
