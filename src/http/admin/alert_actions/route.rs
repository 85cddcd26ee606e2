//! The handler of `POST /admin/alertmanager`: read the notification, list the accounts once
//! (only when a firing anomaly alert needs them), decide per alert ([`super::plan`]), spend the
//! hourly budget, act or only say so, and audit each alert: a log line and a count.

use std::collections::HashSet;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::super::body_limit::LimitedBody;
use super::super::error::AdminError;
use super::super::refusals::{BodyRefusals, Refusals};
use super::super::{decode, AdminState};
use super::webhook::{AlertStatus, Webhook};
use super::{plan, Action, AlertOutcome, Named, Plan, Reason, ANOMALY_ALERT};
use crate::collector::CollectorId;
use crate::config::AlertActionMode;

/// What was done about each `Proxy911AccountTrafficAnomaly` alert of the notification, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertActionsAnswer {
    pub actions: Vec<AlertAction>,
}

/// One alert's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertAction {
    /// The `account` label, when it is a valid username; `null` otherwise.
    #[schema(required = true)]
    pub account: Option<String>,
    /// The `account_id` label, when it is a number; `null` otherwise.
    #[schema(required = true)]
    pub account_id: Option<i64>,
    pub action: Action,
    pub reason: Reason,
}

/// Act on Alertmanager's notification (webhook version 4).
///
/// For each firing `Proxy911AccountTrafficAnomaly` alert, disables the account its `account` and
/// `account_id` labels name when the exporter runs with `--admin.alert-actions=disable`; with
/// `log` (the default) changes nothing and says what it would do. Never acts on a resolved alert,
/// on a username several accounts share, or more than 10 times in any hour. Other alerts are
/// ignored. A disable takes 911Proxy about 5 minutes to apply.
#[utoipa::path(post, path = "/alertmanager", tag = "alerts", operation_id = "alertmanagerWebhook",
    request_body = Webhook,
    responses((status = 200, description = "What was done about each anomaly alert.", body = AlertActionsAnswer),
        BodyRefusals, Refusals))]
pub async fn alertmanager(
    State(state): State<AdminState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<AlertActionsAnswer>, AdminError> {
    let webhook = match body.and_then(|body| Ok(decode::body::<Webhook>(&body)?)) {
        Ok(webhook) => webhook,
        Err(error) => return Err(refused(client, error)),
    };
    let anomalies: Vec<_> = webhook
        .alerts
        .iter()
        .filter(|alert| alert.label("alertname") == Some(ANOMALY_ALERT))
        .collect();
    let accounts = if anomalies.iter().any(|a| a.status == AlertStatus::Firing) {
        match state.client.list_accounts().await {
            Ok(listed) => listed.items,
            Err(error) => return Err(refused(client, error.into())),
        }
    } else {
        Vec::new()
    };
    let settings = &state.alert_actions;
    let mut seen = HashSet::new();
    let mut actions = Vec::with_capacity(anomalies.len());
    let mut changed = false;
    // The account an alert names is the account of the target its `target` label names: only
    // that target's route may act on it.
    let route_target = state.target.as_ref().map(|t| t.as_str());
    for alert in anomalies {
        let (named, decision) = if alert.label("target") == route_target {
            plan(alert, &accounts, &mut seen)
        } else {
            (Named::of(alert), Plan::Skip(Reason::OtherTarget))
        };
        let outcome = match decision {
            Plan::Skip(reason) => AlertOutcome(Action::Skipped, reason),
            Plan::Disable(_) if !settings.budget.take() => {
                AlertOutcome(Action::Skipped, Reason::RateLimited)
            }
            Plan::Disable(_) if settings.mode == AlertActionMode::Log => {
                AlertOutcome(Action::WouldDisable, Reason::LogMode)
            }
            Plan::Disable(username) => {
                match state.client.disable_accounts(&[username.to_string()]).await {
                    Ok(()) => {
                        changed = true;
                        AlertOutcome(Action::Disabled, Reason::FiringAnomaly)
                    }
                    Err(error) => {
                        tracing::warn!(error = %AdminError::from(error), account = %username,
                            "alert action: 911Proxy did not disable the account");
                        AlertOutcome(Action::Skipped, Reason::UpstreamError)
                    }
                }
            }
        };
        audit(&state, settings.mode, client, &named, outcome);
        actions.push(AlertAction {
            account: named.account.map(|name| name.to_string()),
            account_id: named.account_id,
            action: outcome.0,
            reason: outcome.1,
        });
    }
    if changed {
        // The next scrape shows the account disabled.
        state.scraper.invalidate(CollectorId::Accounts);
    }
    Ok(Json(AlertActionsAnswer { actions }))
}

/// One alert's audit line and count. The labels are logged only once checked (a username, a
/// number): an alert's labels are whatever reached Alertmanager.
fn audit(
    state: &AdminState,
    mode: AlertActionMode,
    client: SocketAddr,
    named: &Named,
    outcome: AlertOutcome,
) {
    state.metrics.alert_action(outcome);
    tracing::info!(
        target: "proxy911_exporter::audit",
        target_name = %state.target.as_ref().map(ToString::to_string).unwrap_or_default(),
        operation = "alert_action",
        mode = mode.as_str(),
        account = named.account.as_ref().map_or("-", |name| name.as_str()),
        account_id = named.account_id.map_or_else(|| "-".to_string(), |id| id.to_string()),
        action = outcome.label(),
        reason = outcome.reason_str(),
        client = %client,
        "admin operation"
    );
}

/// A notification that was not acted on at all: audited once, and answered with `error`.
fn refused(client: SocketAddr, error: AdminError) -> AdminError {
    tracing::info!(
        target: "proxy911_exporter::audit",
        operation = "alert_action",
        outcome = error.code().as_str(),
        client = %client,
        "admin operation"
    );
    error
}
