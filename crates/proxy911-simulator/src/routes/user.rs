//! The user endpoint (`user/info`, "not yet open" in the reference, served here so the demo has
//! a balance): the account's owner, with the e-mail address and the phone number the exporter
//! must never show, and the balance as the billing has moved it.

use std::time::Instant;

use chrono::SecondsFormat;
use serde::Serialize;

use super::request::KeyOnly;
use crate::state::{Refusal, World};

#[derive(Debug, Serialize)]
pub struct UserAnswer {
    id: i64,
    email: String,
    phone: String,
    balance: f64,
    status: i64,
    is_real_name: bool,
    created_at: String,
}

pub fn info(_: KeyOnly, world: &mut World, now: Instant) -> Result<UserAnswer, Refusal> {
    let wall = world.now_utc(now);
    world.billing.advance(world.started_at, wall);
    let user = &world.user;
    Ok(UserAnswer {
        id: user.id,
        email: user.email.clone(),
        phone: user.phone.clone(),
        // Cents, as money is shown.
        balance: (world.billing.balance * 100.0).round() / 100.0,
        status: user.status,
        is_real_name: user.is_real_name,
        created_at: user.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}
