//! The `packages` collector: `GET /api-gate-way/user-product/summary` for product types 9 and 12,
//! and every page of `GET /api-gate-way/user-product/list` → `proxy911_package*`.

use futures::future::BoxFuture;
use prometheus_client::registry::Unit;

use super::{product_type_or_unknown, text_or_unknown, CollectorId, RenderContext, flags, refresh, Call, Definition};
use crate::exposition::{DataFamily, LabelValue};
use crate::upstream::model::{Package, PackageSummary, KB};
use crate::upstream::{Client, Endpoint, ProductType, UpstreamError};

pub const ID: CollectorId = CollectorId::Packages;
/// The product types the summary endpoint supports.
pub(crate) const SUMMARY_PRODUCT_TYPES: [ProductType; 2] = [
    ProductType::DynamicResidentialTraffic,
    ProductType::LongTermIdcTraffic,
];

/// The packages collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("packages", "PACKAGES"),
    enabled_by_default: true,
    default_ttl: None,
    endpoints: &[Endpoint::PackageSummary, Endpoint::PackageList],
    min_requests: 3,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        let mut calls = Vec::new();
        for product_type in SUMMARY_PRODUCT_TYPES {
            let summary = client.package_summary(product_type);
            calls.push(Call::single(Endpoint::PackageSummary, summary).await);
        }
        calls.push(Call::listed(Endpoint::PackageList, client.list_packages()).await);
        calls
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub summaries: Vec<(ProductType, PackageSummary)>,
    pub packages: Vec<Package>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    let (traffic, idc, packages) = tokio::try_join!(
        client.package_summary(SUMMARY_PRODUCT_TYPES[0]),
        client.package_summary(SUMMARY_PRODUCT_TYPES[1]),
        client.list_packages(),
    )?;
    Ok(Snapshot {
        summaries: vec![
            (SUMMARY_PRODUCT_TYPES[0], traffic.value),
            (SUMMARY_PRODUCT_TYPES[1], idc.value),
        ],
        packages: packages.items,
    })
}

pub fn families(snapshot: &Snapshot, ctx: &RenderContext) -> Vec<DataFamily> {
    let mut total = DataFamily::gauge(
        "package_total",
        "Traffic bought in all packages of the product type",
        Some(Unit::Bytes),
    );
    let mut used = DataFamily::gauge(
        "package_used",
        "Traffic used in all packages of the product type",
        Some(Unit::Bytes),
    );
    let mut remaining = DataFamily::gauge(
        "package_remaining",
        "Traffic remaining in packages by state; expiring (within 7 days) is part of effective",
        Some(Unit::Bytes),
    );
    let mut count = DataFamily::gauge(
        "packages",
        "Number of packages by state: all, effective, expiring (within 7 days), expired",
        None,
    );
    let mut expiry = DataFamily::gauge(
        "package_expiry_timestamp",
        "Unix time the package expires; its traffic cannot be used after",
        Some(Unit::Seconds),
    );
    for (product_type, summary) in &snapshot.summaries {
        let product: LabelValue = product_type.slug().as_ref().into();
        let labels = || vec![("product_type", product.clone())];
        let with_state =
            |state: &str| vec![("product_type", product.clone()), ("state", state.into())];
        // A field missing or unreadable leaves its sample out: never a made-up 0.
        let put = |family: &mut DataFamily, labels: Vec<_>, value: Option<f64>, scale: f64| {
            if let Some(value) = value {
                family.push(labels, value * scale);
            }
        };
        put(&mut total, labels(), summary.total, KB);
        put(&mut used, labels(), summary.used, KB);
        put(
            &mut remaining,
            with_state("effective"),
            summary.effective,
            KB,
        );
        put(
            &mut remaining,
            with_state("expiring"),
            summary.temporary,
            KB,
        );
        put(&mut remaining, with_state("expired"), summary.expired, KB);
        put(&mut count, with_state("all"), summary.total_count, 1.0);
        put(
            &mut count,
            with_state("effective"),
            summary.effective_count,
            1.0,
        );
        put(
            &mut count,
            with_state("expiring"),
            summary.temporary_count,
            1.0,
        );
        put(
            &mut count,
            with_state("expired"),
            summary.expired_count,
            1.0,
        );
    }
    for package in &snapshot.packages {
        if let Some(at) = package.expired_at.and_then(|t| t.unix(&ctx.timezone)) {
            expiry.push(
                vec![
                    (
                        "package_id",
                        package
                            .id
                            .map_or_else(|| super::UNKNOWN.to_string(), |id| id.to_string())
                            .into(),
                    ),
                    (
                        "product_type",
                        product_type_or_unknown(package.product_type).into(),
                    ),
                    (
                        "trade_no",
                        text_or_unknown(package.trade_no.as_deref()).into(),
                    ),
                ],
                at,
            );
        }
    }
    vec![total, used, remaining, count, expiry]
}
