//! Collectors: one file per group of upstream endpoints. Each has a `fetch` (the upstream calls,
//! run concurrently) and a pure `families` (snapshot in, metric families out), which the golden
//! tests pin. This file holds what they share: the render context, product-type slugs, time
//! parsing and unit conversion, and the list of collectors the cache runs.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use futures::future::BoxFuture;

use crate::exposition::Family;
use crate::upstream::{Client, UpstreamError};

pub mod accounts;
pub mod packages;
pub mod static_ips;
pub mod traffic;

/// Bytes in the API's KB.
pub const KB: f64 = 1024.0;
/// Bytes in the API's GB.
pub const GB: f64 = 1024.0 * 1024.0 * 1024.0;

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

/// Unix time of an API timestamp: `Y-m-d H:i:s` (in `timezone`), RFC 3339, or a bare date.
pub fn parse_timestamp(value: &str, timezone: &FixedOffset) -> Option<f64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.timestamp() as f64);
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .ok()?;
    timezone
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.timestamp() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_in_the_configured_zone() {
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            parse_timestamp("2022-05-13 12:14:15", &utc),
            Some(1652444055.0)
        );
        assert_eq!(
            parse_timestamp("2022-05-13 12:14:15", &beijing),
            Some(1652444055.0 - 8.0 * 3600.0)
        );
        assert_eq!(
            parse_timestamp("2019-08-24T14:15:22Z", &beijing),
            Some(1566656122.0)
        );
        assert_eq!(parse_timestamp("2022-05-13", &utc), Some(1652400000.0));
        assert_eq!(parse_timestamp("soon", &utc), None);
        assert_eq!(parse_timestamp("", &utc), None);
    }

    #[test]
    fn unknown_product_types_pass_through_as_numbers() {
        assert_eq!(product_type_label(25), "static_residential_ip");
        assert_eq!(product_type_label(17), "17");
    }
}
