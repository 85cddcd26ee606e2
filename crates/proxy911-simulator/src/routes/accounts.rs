//! The account endpoints: the list (`whitelist-account/list`) and the seven management writes
//! (add, delete, enable, disable, change password, remark and limit): their request and answer
//! types, and one function per endpoint from its request and the world to its answer.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::lists::List;
use super::request::{KeyOnly, Param, Request};
use crate::state::{Refusal, SimAccount, World, BAD_PARAMETER};

/// Longest remark, password or username the upstream takes (characters).
const MAX_TEXT: usize = 64;
/// Largest traffic limit, GB.
const MAX_LIMIT_GB: i64 = 102_400;

/// One item of the account list. The password is in it, as upstream: the exporter must never
/// show it.
#[derive(Debug, Serialize)]
pub struct AccountItem {
    id: i64,
    username: String,
    password: String,
    created_at: String,
    remark: String,
    product_type: i64,
    /// KB used, rounded.
    usage_flow: i64,
    /// GB, 0 for no limit.
    limit_flow: u64,
    /// 1 enabled, 0 disabled.
    status: i64,
}

impl AccountItem {
    fn of(account: &SimAccount, now: Instant) -> Self {
        AccountItem {
            id: account.id,
            username: account.username.clone(),
            password: account.password.clone(),
            created_at: account.created_at.clone(),
            remark: account.remark.clone(),
            product_type: account.product_type,
            usage_flow: account.usage_now(now).round() as i64,
            limit_flow: account.limit_gb,
            status: account.status,
        }
    }
}

/// `whitelist-account/add`: `accounts` as `user:pass,user:pass`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddAccounts {
    app_key: Param,
    accounts: Param,
    product_type: Param,
    remark: Param,
}

/// `delete`, `enable`, `disable`: `accounts` as `user,user`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Usernames {
    app_key: Param,
    accounts: Param,
}

/// `change-password`: one `account` and its new `password`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordChange {
    app_key: Param,
    account: Param,
    password: Param,
}

/// `change-remark`: one `account` and its new `remark`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemarkChange {
    app_key: Param,
    account: Param,
    remark: Param,
}

/// `change-limit`: one `account` and its new `limit`, GB.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LimitChange {
    app_key: Param,
    account: Param,
    limit: Param,
}

macro_rules! keyed {
    ($($request:ty),*) => {$(
        impl Request for $request {
            fn app_key(&self) -> &Param {
                &self.app_key
            }
        }
    )*};
}
keyed!(
    AddAccounts,
    Usernames,
    PasswordChange,
    RemarkChange,
    LimitChange
);

pub fn list(_: KeyOnly, world: &mut World, now: Instant) -> Result<List<AccountItem>, Refusal> {
    Ok(world
        .accounts
        .iter()
        .map(|account| AccountItem::of(account, now))
        .collect())
}

pub fn add(r: AddAccounts, world: &mut World, now: Instant) -> Result<(), Refusal> {
    let product_type = r.product_type.integer().unwrap_or(0);
    world.add_accounts(&r.accounts.text(), product_type, &r.remark.text(), now)
}

pub fn delete(r: Usernames, world: &mut World, now: Instant) -> Result<(), Refusal> {
    world.delete_accounts(&r.accounts.text(), now)
}

pub fn enable(r: Usernames, world: &mut World, now: Instant) -> Result<(), Refusal> {
    world.set_status(&r.accounts.text(), 1, now)
}

pub fn disable(r: Usernames, world: &mut World, now: Instant) -> Result<(), Refusal> {
    world.set_status(&r.accounts.text(), 0, now)
}

pub fn change_password(r: PasswordChange, world: &mut World, _: Instant) -> Result<(), Refusal> {
    let password = r.password.text();
    if !valid_password(&password) {
        return Err(BAD_PARAMETER);
    }
    world.change_accounts(&r.account.text(), |a| a.password = password.clone())
}

pub fn change_remark(r: RemarkChange, world: &mut World, _: Instant) -> Result<(), Refusal> {
    let remark = r.remark.text();
    if remark.chars().count() > MAX_TEXT {
        return Err(BAD_PARAMETER);
    }
    world.change_accounts(&r.account.text(), |a| a.remark = remark.clone())
}

pub fn change_limit(r: LimitChange, world: &mut World, now: Instant) -> Result<(), Refusal> {
    let limit = limit_gb(&r.limit)?;
    world.settle_accounts(&r.account.text(), now, |a| a.limit_gb = limit)
}

/// 1 to 64 ASCII letters and digits.
fn valid_password(password: &str) -> bool {
    !password.is_empty()
        && password.len() <= MAX_TEXT
        && password.chars().all(|c| c.is_ascii_alphanumeric())
}

fn limit_gb(limit: &Param) -> Result<u64, Refusal> {
    match limit.integer() {
        Some(limit @ 0..=MAX_LIMIT_GB) => Ok(limit as u64),
        _ => Err(BAD_PARAMETER),
    }
}
