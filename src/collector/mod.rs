//! Collectors: one file per collector, each holding its whole [`Definition`]: a `fetch` (the
//! upstream calls, run concurrently), a pure `families` (snapshot in, metric families out, pinned
//! by the golden tests), its flags, defaults and `check`'s calls. This file holds the table that
//! lists them and makes [`CollectorId`], what they share (the render context, product-type
//! slugs), and the list of the enabled collectors the cache runs ([`all`]); [`Selection`] says
//! which run.

use std::sync::Arc;
use std::time::Duration;

use chrono::FixedOffset;
use futures::future::BoxFuture;

use crate::exposition::DataFamily;
use crate::upstream::{Client, ProductType, UpstreamError};

mod definition;
mod id;
mod selection;

pub(crate) use definition::{flags, refresh};
pub use definition::{Call, Definition, Flags, RefreshFuture};
pub use selection::Selection;

/// The table of collectors, node_exporter's `registerCollector` as one list: each line names a
/// collector's [`CollectorId`] variant and the file that defines it (its `DEFINITION`). The ids,
/// the flags, `check`, the selection and the tests iterate it; adding a collector is one new file
/// and one line here.
macro_rules! collectors {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Which collector: the `collector` label, the cache's key, what an admin change
        /// invalidates, and the `NAME` of the `--collector.NAME` flags.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CollectorId {
            $($variant),*
        }

        impl CollectorId {
            /// Every collector, in the table's order.
            pub const ALL: [CollectorId; [$(stringify!($variant)),*].len()] =
                [$(CollectorId::$variant),*];

            /// Its definition, from its own file.
            pub fn definition(self) -> &'static Definition {
                match self {
                    $(CollectorId::$variant => &$module::DEFINITION),*
                }
            }
        }
    };
}

collectors! {
    Accounts => accounts,
    Packages => packages,
    StaticIps => static_ips,
    Traffic => traffic,
    Orders => orders,
    User => user,
    Regions => regions,
}

/// The label value of whatever the upstream did not give in a readable form.
pub(crate) const UNKNOWN: &str = "unknown";

/// What rendering needs beyond the snapshot.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext {
    /// Time zone of the API's `Y-m-d H:i:s` timestamps.
    pub timezone: FixedOffset,
}

/// Fetches a collector's data and renders its families.
pub(crate) type FetchFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<DataFamily>, UpstreamError>> + Send + Sync>;

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

/// The enabled collectors, on one client; a collector not selected is not built, so it can ask
/// nothing upstream.
pub fn all(client: &Client, ctx: RenderContext, selection: &Selection) -> Vec<CollectorSpec> {
    selection
        .ids()
        .map(|id| {
            let client = client.clone();
            let refresh = id.definition().refresh;
            CollectorSpec {
                id,
                fetch: Arc::new(move || refresh(client.clone(), ctx)),
                ttl: selection.ttl(id),
            }
        })
        .collect()
}

/// The upstream requests per second the enabled collectors need at the least to refresh within
/// their TTLs (`default_ttl` for those without their own); a TTL of 0 (refresh on every scrape)
/// depends on the scrape interval and is left out.
pub(crate) fn min_requests_per_second(
    specs: &[CollectorSpec],
    default_ttl: std::time::Duration,
) -> f64 {
    specs
        .iter()
        .filter_map(|spec| {
            let ttl = spec.ttl.unwrap_or(default_ttl).as_secs_f64();
            (ttl > 0.0).then(|| f64::from(spec.id.definition().min_requests) / ttl)
        })
        .sum()
}

/// The `product_type` label: the slug, or `unknown` when the upstream gave none.
pub(crate) fn product_type_or_unknown(product_type: Option<ProductType>) -> String {
    product_type.map_or_else(|| UNKNOWN.to_string(), |p| p.slug().into_owned())
}

/// A text label: `unknown` when the upstream gave none.
pub(crate) fn text_or_unknown(text: Option<&str>) -> &str {
    text.unwrap_or(UNKNOWN)
}
