//! Collectors: one file per group of upstream endpoints. Each has a `fetch` (the upstream calls,
//! run concurrently) and a pure `families` (snapshot in, metric families out), which the golden
//! tests pin. This file holds what they share: the render context, product-type slugs, time
//! parsing and unit conversion, and the list of collectors the cache runs.

use std::fmt::Write;
use std::sync::Arc;

use chrono::FixedOffset;
use futures::future::BoxFuture;
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use crate::exposition::Family;
use crate::upstream::{Client, ProductType, UpstreamError};

pub mod accounts;
pub mod packages;
pub mod static_ips;
pub mod traffic;

/// The label value of whatever the upstream did not give in a readable form.
pub const UNKNOWN: &str = "unknown";

/// What rendering needs beyond the snapshot.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext {
    /// Time zone of the API's `Y-m-d H:i:s` timestamps.
    pub timezone: FixedOffset,
}

/// Which collector: the `collector` label, the cache's key, what an admin change invalidates
/// (and, later, the `--collector.NAME` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CollectorId {
    Accounts,
    Packages,
    StaticIps,
    Traffic,
}

impl CollectorId {
    pub const ALL: [CollectorId; 4] = [
        CollectorId::Accounts,
        CollectorId::Packages,
        CollectorId::StaticIps,
        CollectorId::Traffic,
    ];

    /// The `collector` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectorId::Accounts => "accounts",
            CollectorId::Packages => "packages",
            CollectorId::StaticIps => "static_ips",
            CollectorId::Traffic => "traffic",
        }
    }
}

impl std::fmt::Display for CollectorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EncodeLabelValue for CollectorId {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

/// Fetches a collector's data and renders its families.
pub type FetchFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<Family>, UpstreamError>> + Send + Sync>;

/// A named collector, ready for the cache.
#[derive(Clone)]
pub struct CollectorSpec {
    pub id: CollectorId,
    pub fetch: FetchFn,
}

impl std::fmt::Debug for CollectorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorSpec")
            .field("id", &self.id)
            .finish()
    }
}

/// Every collector of SPEC §4, on one client.
pub fn all(client: &Client, ctx: RenderContext) -> Vec<CollectorSpec> {
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
            }
        }};
    }
    vec![
        spec!(accounts),
        spec!(packages),
        spec!(static_ips),
        spec!(traffic),
    ]
}

/// The `product_type` label: the slug, or `unknown` when the upstream gave none.
pub fn product_type_or_unknown(product_type: Option<ProductType>) -> String {
    product_type.map_or_else(|| UNKNOWN.to_string(), |p| p.slug().into_owned())
}

/// A text label: `unknown` when the upstream gave none.
pub fn text_or_unknown(text: Option<&str>) -> &str {
    text.unwrap_or(UNKNOWN)
}
