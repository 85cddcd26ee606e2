//! One handler per admin route: decode the request into its types (a refusal sends nothing
//! upstream), make the upstream calls, audit, answer. Each carries its OpenAPI description.

use std::net::SocketAddr;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use secrecy::SecretString;

use super::ambiguity::{refuse_if_ambiguous, Scope};
use super::answers::{
    AccountList, AddResult, BatchAction, Change, ChangeResult, Operation, APPLIES_LATER,
};
use super::body_limit::LimitedBody;
use super::error::AdminError;
use super::refusals::{BodyRefusals, InputRefusals, Refusals};
use super::requests::{AddRequest, BatchRequest, UpdateRequest};
use super::types::Username;
use super::{decode, scrub, AdminState, Audit};
use crate::upstream::api::NewAccount;
use crate::upstream::{Client, UpstreamError};

/// List proxy sub-accounts (passwords removed).
#[utoipa::path(get, path = "/accounts", tag = "accounts", operation_id = "listAccounts",
    responses((status = 200, description = "The accounts.", body = AccountList), Refusals))]
pub async fn list(
    State(state): State<AdminState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
) -> Result<Json<AccountList>, AdminError> {
    let audit = Audit::new(&state, Operation::List, client);
    let result = state.client.list_accounts().await.map_err(AdminError::from);
    let listed = audit.finish(&[], result)?;
    Ok(Json(AccountList::new(&listed.items)))
}

/// Add up to 100 proxy sub-accounts under one product type.
#[utoipa::path(post, path = "/accounts", tag = "accounts", operation_id = "addAccounts", request_body = AddRequest,
    responses((status = 201, description = "The accounts were added.", body = AddResult),
        BodyRefusals, Refusals))]
pub async fn add(
    State(state): State<AdminState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    LimitedBody(body): LimitedBody,
) -> Result<impl IntoResponse, AdminError> {
    let audit = Audit::new(&state, Operation::Add, client);
    let request = match body.and_then(|body| Ok(decode::body::<AddRequest>(&body)?)) {
        Ok(request) => request,
        Err(error) => return audit.finish(&[], Err(error)),
    };
    let names = request.accounts.usernames();
    let accounts: Vec<NewAccount> = request
        .accounts
        .items()
        .iter()
        .map(|a| NewAccount {
            username: a.username.to_string(),
            password: a.password.secret().clone(),
        })
        .collect();
    let passwords: Vec<&SecretString> = accounts.iter().map(|a| &a.password).collect();
    let result = state
        .client
        .add_accounts(
            &accounts,
            request.product_type.code(),
            request.remark.as_str(),
        )
        .await
        .map_err(|e| scrub(e.into(), &passwords));
    audit.finish(&names, result)?;
    let answer = AddResult {
        operation: Operation::Add,
        accounts: names,
        product_type: request.product_type,
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Change an account's password, remark, traffic limit or enabled state.
///
/// Changes are applied in the order password, remark, limit_gb, enabled. If one fails, the error
/// message lists those already applied.
#[utoipa::path(patch, path = "/accounts/{username}", tag = "accounts", operation_id = "updateAccount",
    params(("username" = Username, Path, description = "The proxy sub-account."), Scope),
    request_body = UpdateRequest,
    responses((status = 200, description = "The changes were applied.", body = ChangeResult),
        BodyRefusals, Refusals))]
pub async fn update(
    State(state): State<AdminState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Scope>, QueryRejection>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ChangeResult>, AdminError> {
    let audit = Audit::new(&state, Operation::Update, client);
    let parsed = body.and_then(|body| {
        let username = username_from(path)?;
        let scope = Scope::from_query(query)?;
        let request = decode::body::<UpdateRequest>(&body)?
            .check()
            .map_err(|refused| decode::Invalid::new("body", refused.0))?;
        Ok((username, request, scope))
    });
    let (username, request, scope) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return audit.finish(&[], Err(error)),
    };
    if let Err(error) =
        refuse_if_ambiguous(&state.client, std::slice::from_ref(&username), &scope).await
    {
        return audit.finish(&[username], Err(error));
    }
    let mut applied = Vec::new();
    let result = apply(&state.client, username.as_str(), &request, &mut applied).await;
    let passwords: Vec<&SecretString> = request.password.iter().map(|p| p.secret()).collect();
    let result = result.map_err(|e| match scrub(e.into(), &passwords) {
        AdminError::Upstream(message) if !applied.is_empty() => {
            let done: Vec<&str> = applied.iter().map(|c| c.as_str()).collect();
            AdminError::Upstream(format!("{message} (already applied: {})", done.join(", ")))
        }
        other => other,
    });
    if result.is_err() && !applied.is_empty() {
        audit.invalidate();
    }
    let names = vec![username];
    audit.finish(&names, result)?;
    // A new password and a disable take 911Proxy about 5 minutes.
    let slow = request.password.is_some() || request.enabled == Some(false);
    let mut answer = ChangeResult::new(Operation::Update, names);
    answer.applied = Some(applied);
    answer.note = slow.then(|| APPLIES_LATER.into());
    Ok(Json(answer))
}

/// Sends the changes upstream in order, recording each one done, until one fails.
async fn apply(
    client: &Client,
    username: &str,
    request: &UpdateRequest,
    applied: &mut Vec<Change>,
) -> Result<(), UpstreamError> {
    if let Some(password) = &request.password {
        client.change_password(username, password.secret()).await?;
        applied.push(Change::Password);
    }
    if let Some(remark) = &request.remark {
        client.change_remark(username, remark.as_str()).await?;
        applied.push(Change::Remark);
    }
    if let Some(limit) = request.limit_gb {
        client.change_limit(username, limit.gb()).await?;
        applied.push(Change::LimitGb);
    }
    if let Some(enabled) = request.enabled {
        let names = [username.to_string()];
        match enabled {
            true => client.enable_accounts(&names).await?,
            false => client.disable_accounts(&names).await?,
        }
        applied.push(Change::Enabled);
    }
    Ok(())
}

/// Delete an account (irreversible; takes 911Proxy about 5 minutes).
#[utoipa::path(delete, path = "/accounts/{username}", tag = "accounts", operation_id = "deleteAccount",
    params(("username" = Username, Path, description = "The proxy sub-account."), Scope),
    responses((status = 200, description = "The account is being deleted.", body = ChangeResult),
        InputRefusals, Refusals))]
pub async fn delete(
    State(state): State<AdminState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Scope>, QueryRejection>,
) -> Result<Json<ChangeResult>, AdminError> {
    let audit = Audit::new(&state, Operation::Delete, client);
    let (names, scope) = match username_from(path).and_then(|u| Ok((u, Scope::from_query(query)?)))
    {
        Ok((username, scope)) => (vec![username], scope),
        Err(error) => return audit.finish(&[], Err(error)),
    };
    let result = match refuse_if_ambiguous(&state.client, &names, &scope).await {
        Ok(()) => state
            .client
            .delete_accounts(&strings(&names))
            .await
            .map_err(AdminError::from),
        Err(error) => Err(error),
    };
    audit.finish(&names, result)?;
    Ok(Json(ChangeResult::new(Operation::Delete, names)))
}

/// Enable, disable or delete up to 100 accounts at once.
#[utoipa::path(post, path = "/accounts/actions/{action}", tag = "accounts", operation_id = "batchAction",
    params(("action" = inline(BatchAction), Path), Scope),
    request_body = BatchRequest,
    responses((status = 200, description = "The action was applied.", body = ChangeResult),
        BodyRefusals, Refusals))]
pub(crate) async fn batch_action(
    State(state): State<AdminState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    path: Result<Path<BatchAction>, PathRejection>,
    query: Result<Query<Scope>, QueryRejection>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ChangeResult>, AdminError> {
    let Ok(Path(action)) = path else {
        return Err(AdminError::NotFound(
            "actions are enable, disable and delete".into(),
        ));
    };
    let operation = Operation::from(action);
    let audit = Audit::new(&state, operation, client);
    let parsed = body.and_then(|body| {
        let request = decode::body::<BatchRequest>(&body)?;
        Ok((request.accounts.usernames(), Scope::from_query(query)?))
    });
    let (names, scope) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return audit.finish(&[], Err(error)),
    };
    if let Err(error) = refuse_if_ambiguous(&state.client, &names, &scope).await {
        return audit.finish(&names, Err(error));
    }
    let usernames = strings(&names);
    let result = match action {
        BatchAction::Enable => state.client.enable_accounts(&usernames).await,
        BatchAction::Disable => state.client.disable_accounts(&usernames).await,
        BatchAction::Delete => state.client.delete_accounts(&usernames).await,
    };
    audit.finish(&names, result.map_err(AdminError::from))?;
    Ok(Json(ChangeResult::new(operation, names)))
}

fn username_from(path: Result<Path<String>, PathRejection>) -> Result<Username, AdminError> {
    let Path(raw) = path.map_err(|_| AdminError::NotFound("no such account path".into()))?;
    Ok(decode::username(raw)?)
}

fn strings(names: &[Username]) -> Vec<String> {
    names.iter().map(Username::to_string).collect()
}
