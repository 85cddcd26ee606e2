//! Collectors: one file per group of upstream endpoints. Each has a `fetch` (the upstream calls,
//! run concurrently) and a pure `families` (snapshot in, metric families out), which the golden
//! tests pin. This file holds what they share: the render context, product-type slugs, time
//! parsing and unit conversion, and the list of collectors the cache runs.

use std::sync::Arc;

use chrono::FixedOffset;
use futures::future::BoxFuture;

use crate::exposition::Family;
use crate::upstream::{Client, UpstreamError};

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

/// Fetches a collector's data and renders its families.
pub type FetchFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<Family>, UpstreamError>> + Send + Sync>;

/// A named collector, ready for the cache.
#[derive(Clone)]
pub struct CollectorSpec {
    pub name: &'static str,
    pub fetch: FetchFn,
}

impl std::fmt::Debug for CollectorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectorSpec")
            .field("name", &self.name)
            .finish()
    }
}

/// Every collector of SPEC §4, on one client.
pub fn all(client: &Client, ctx: RenderContext) -> Vec<CollectorSpec> {
    macro_rules! spec {
        ($module:ident) => {{
            let client = client.clone();
            CollectorSpec {
                name: $module::NAME,
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

/// The `product_type` label: a slug for the known codes, the number otherwise.
pub fn product_type_label(code: i64) -> String {
    match code {
        9 => "dynamic_residential_traffic".into(),
        11 => "dynamic_residential_ip".into(),
        12 => "long_term_idc_traffic".into(),
        14 => "static_datacenter_ip".into(),
        25 => "static_residential_ip".into(),
        other => other.to_string(),
    }
}

/// The `product_type` label of an optional code: `unknown` when the upstream gave none.
pub fn product_type_or_unknown(code: Option<i64>) -> String {
    code.map(product_type_label)
        .unwrap_or_else(|| UNKNOWN.to_string())
}

/// A text label: `unknown` when the upstream gave none.
pub fn text_or_unknown(text: Option<&str>) -> &str {
    text.unwrap_or(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_product_types_pass_through_as_numbers() {
        assert_eq!(product_type_label(25), "static_residential_ip");
        assert_eq!(product_type_label(17), "17");
    }
}
