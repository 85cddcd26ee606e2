//! The traffic endpoint: the account's daily traffic over the last seven days
//! (`user-usage-flow/total`): its answer type, and the function from the world to it.

use std::time::Instant;

use serde::Serialize;

use super::lists::List;
use super::request::KeyOnly;
use crate::state::{Refusal, World};

/// One day's traffic.
#[derive(Debug, Serialize)]
pub struct DayItem {
    /// `Y-m-d` in the upstream's zone.
    day: String,
    /// KB.
    flow: i64,
}

pub fn daily(_: KeyOnly, world: &mut World, now: Instant) -> Result<List<DayItem>, Refusal> {
    Ok(world
        .daily_traffic(now)
        .into_iter()
        .map(|(day, kb)| DayItem {
            day,
            flow: kb as i64,
        })
        .collect())
}
