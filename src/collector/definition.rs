//! [`Definition`]: everything about one collector, written once in the collector's own file (as
//! node_exporter's `registerCollector`): its id, the spellings of its flags and variables, whether
//! it runs without a flag, its default TTL, the upstream endpoints it asks, its refresh (`fetch`
//! then `families`) and the calls `check` makes for it. The table in `collector/mod.rs` lists the
//! definitions; ids, flags, `check` and the selection iterate it.

use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::{CollectorId, RenderContext};
use crate::exposition::DataFamily;
use crate::upstream::api::{Listed, Single};
use crate::upstream::decode::Drift;
use crate::upstream::{Client, Endpoint, UpstreamError};

/// One collector, as its file defines it.
pub struct Definition {
    pub id: CollectorId,
    pub flags: Flags,
    /// Runs unless a flag turns it off.
    pub enabled_by_default: bool,
    /// How long its data is served before a refresh, unless a flag says otherwise; `None`: the
    /// common `--cache.ttl`.
    pub default_ttl: Option<Duration>,
    /// The upstream endpoints its refresh asks (and `check` asks for it).
    pub endpoints: &'static [Endpoint],
    /// Requests one refresh costs at the least: one per endpoint and query, one page of each
    /// list (more pages cost more).
    pub min_requests: u32,
    /// Fetches its data and renders its families.
    pub refresh: fn(Client, RenderContext) -> RefreshFuture,
    /// Asks each of its endpoints once, one call after the other, for `check`.
    pub check: for<'a> fn(&'a Client) -> BoxFuture<'a, Vec<Call>>,
}

/// What a refresh gives the cache.
pub type RefreshFuture = BoxFuture<'static, Result<Vec<DataFamily>, UpstreamError>>;

/// The spellings of one collector's name, flags and variables: static, as clap keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// The `collector` label value, and the `NAME` of its flags.
    pub name: &'static str,
    pub on: &'static str,
    pub off: &'static str,
    pub env: &'static str,
    pub ttl: &'static str,
    pub ttl_env: &'static str,
}

/// The [`Flags`] of the collector `$name`, whose variables are spelled with `$env`.
macro_rules! flags {
    ($name:literal, $env:literal) => {
        $crate::collector::Flags {
            name: $name,
            on: concat!("collector.", $name),
            off: concat!("no-collector.", $name),
            env: concat!("PROXY911_COLLECTOR_", $env),
            ttl: concat!("collector.", $name, ".ttl"),
            ttl_env: concat!("PROXY911_COLLECTOR_", $env, "_TTL"),
        }
    };
}
pub(crate) use flags;

/// The refresh of the collector whose file invokes it: its `fetch`, then its `families`.
macro_rules! refresh {
    () => {
        |client, ctx| {
            Box::pin(async move {
                let snapshot = fetch(&client).await?;
                Ok(families(&snapshot, &ctx))
            })
        }
    };
}
pub(crate) use refresh;

/// One call `check` made: which endpoint, how long it took, what it read.
#[derive(Debug)]
pub struct Call {
    pub endpoint: Endpoint,
    pub took: Duration,
    /// Items read and drift, or the error.
    pub result: Result<(u64, Drift), UpstreamError>,
}

impl Call {
    /// Times a call answering a list.
    pub async fn listed<T>(
        endpoint: Endpoint,
        call: impl std::future::Future<Output = Result<Listed<T>, UpstreamError>>,
    ) -> Call {
        Call::timed(endpoint, call, |listed| {
            (listed.items.len() as u64, listed.drift)
        })
        .await
    }

    /// Times a call answering one object.
    pub async fn single<T>(
        endpoint: Endpoint,
        call: impl std::future::Future<Output = Result<Single<T>, UpstreamError>>,
    ) -> Call {
        Call::timed(endpoint, call, |single| (1, single.drift)).await
    }

    async fn timed<A>(
        endpoint: Endpoint,
        call: impl std::future::Future<Output = Result<A, UpstreamError>>,
        read: impl FnOnce(A) -> (u64, Drift),
    ) -> Call {
        let started = Instant::now();
        let result = call.await;
        Call {
            endpoint,
            took: started.elapsed(),
            result: result.map(read),
        }
    }
}
