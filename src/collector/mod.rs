//! Collectors: one file per group of upstream endpoints. Each has a `fetch` (the upstream calls,
//! run concurrently) and a pure `families` (snapshot in, metric families out), which the golden
//! tests pin. This file holds what they share: the render context, product-type slugs, and the
//! list of the enabled collectors the cache runs ([`all`]); [`CollectorId`] names them and
//! [`Selection`] says which run.

use std::sync::Arc;
use std::time::Duration;

use chrono::FixedOffset;
use futures::future::BoxFuture;

use crate::exposition::Family;
use crate::upstream::{Client, ProductType, UpstreamError};

pub mod accounts;
mod id;
pub mod orders;
pub mod packages;
pub mod regions;
mod selection;
pub mod static_ips;
pub mod traffic;
pub mod user;

pub use id::CollectorId;
pub use selection::Selection;

/// The label value of whatever the upstream did not give in a readable form.
pub const UNKNOWN: &str = "unknown";

/// What rendering needs beyond the snapshot.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext {
    /// Time zone of the API's `Y-m-d H:i:s` timestamps.
    pub timezone: FixedOffset,
}

/// Fetches a collector's data and renders its families.
pub type FetchFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<Family>, UpstreamError>> + Send + Sync>;

/// A named collector, ready for the cache.
#[derive(Clone)]
pub struct CollectorSpec {
    pub id: CollectorId,
    pub fetch: FetchFn,
    /// How long its data is served before a refresh; `None`: the common `--cache.ttl`.
    pub ttl: Option<Duration>,
}

impl std::fmt::Debug for CollectorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorSpec")
            .field("id", &self.id)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// The enabled collectors (SPEC §4, §10), on one client; a collector not selected is not built,
/// so it can ask nothing upstream.
pub fn all(client: &Client, ctx: RenderContext, selection: &Selection) -> Vec<CollectorSpec> {
    macro_rules! spec {
        ($module:ident) => {{
            let client = client.clone();
            CollectorSpec {
                id: $module::ID,
                fetch: Arc::new(move || {
                    let client = client.clone();
                    Box::pin(async move {
                        let snapshot = $module::fetch(&client).await?;
                        Ok($module::families(&snapshot, &ctx))
                    })
                }),
                ttl: selection.ttl($module::ID),
            }
        }};
    }
    selection
        .ids()
        .map(|id| match id {
            CollectorId::Accounts => spec!(accounts),
            CollectorId::Packages => spec!(packages),
            CollectorId::StaticIps => spec!(static_ips),
            CollectorId::Traffic => spec!(traffic),
            CollectorId::Orders => spec!(orders),
            CollectorId::User => spec!(user),
            CollectorId::Regions => spec!(regions),
        })
        .collect()
}

/// The `product_type` label: the slug, or `unknown` when the upstream gave none.
pub fn product_type_or_unknown(product_type: Option<ProductType>) -> String {
    product_type.map_or_else(|| UNKNOWN.to_string(), |p| p.slug().into_owned())
}

/// A text label: `unknown` when the upstream gave none.
pub fn text_or_unknown(text: Option<&str>) -> &str {
    text.unwrap_or(UNKNOWN)
}
