//! The `packages` collector: `GET /api-gate-way/user-product/summary` for product types 9 and 12,
//! and every page of `GET /api-gate-way/user-product/list` → `proxy911_package*`.

use prometheus_client::registry::Unit;

use super::{parse_timestamp, product_type_label, RenderContext, KB};
use crate::exposition::{Family, LabelValue};
use crate::upstream::model::{Package, PackageSummary};
use crate::upstream::{Client, UpstreamError};

pub const NAME: &str = "packages";
/// The product types the summary endpoint supports.
pub const SUMMARY_PRODUCT_TYPES: [i64; 2] = [9, 12];

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub summaries: Vec<(i64, PackageSummary)>,
    pub packages: Vec<Package>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    let (traffic, idc, packages) = tokio::try_join!(
        client.package_summary(SUMMARY_PRODUCT_TYPES[0]),
        client.package_summary(SUMMARY_PRODUCT_TYPES[1]),
        client.list_packages(),
    )?;
    if packages.skipped > 0 {
        tracing::debug!(
            collector = NAME,
            skipped = packages.skipped,
            "undecodable packages left out"
        );
    }
    Ok(Snapshot {
        summaries: vec![
            (SUMMARY_PRODUCT_TYPES[0], traffic),
            (SUMMARY_PRODUCT_TYPES[1], idc),
        ],
        packages: packages.items,
    })
}

pub fn families(snapshot: &Snapshot, ctx: &RenderContext) -> Vec<Family> {
    let mut total = Family::gauge(
        "package_total",
        "Traffic bought in all packages of the product type",
        Some(Unit::Bytes),
    );
    let mut used = Family::gauge(
        "package_used",
        "Traffic used in all packages of the product type",
        Some(Unit::Bytes),
    );
    let mut remaining = Family::gauge(
        "package_remaining",
        "Traffic remaining in packages by state; expiring (within 7 days) is part of effective",
        Some(Unit::Bytes),
    );
    let mut count = Family::gauge(
        "packages",
        "Number of packages by state: all, effective, expiring (within 7 days), expired",
        None,
    );
    let mut expiry = Family::gauge(
        "package_expiry_timestamp",
        "Unix time the package expires; its traffic cannot be used after",
        Some(Unit::Seconds),
    );
    for (product_type, summary) in &snapshot.summaries {
        let product: LabelValue = product_type_label(*product_type).into();
        let labels = || vec![("product_type", product.clone())];
        let with_state =
            |state: &str| vec![("product_type", product.clone()), ("state", state.into())];
        total.push(labels(), summary.total * KB);
        used.push(labels(), summary.used * KB);
        remaining.push(with_state("effective"), summary.effective * KB);
        remaining.push(with_state("expiring"), summary.temporary * KB);
        remaining.push(with_state("expired"), summary.expired * KB);
        count.push(with_state("all"), summary.total_count);
        count.push(with_state("effective"), summary.effective_count);
        count.push(with_state("expiring"), summary.temporary_count);
        count.push(with_state("expired"), summary.expired_count);
    }
    for package in &snapshot.packages {
        if let Some(at) = parse_timestamp(&package.expired_at, &ctx.timezone) {
            expiry.push(
                vec![
                    ("package_id", package.id.to_string().into()),
                    (
                        "product_type",
                        product_type_label(package.product_type).into(),
                    ),
                    ("trade_no", package.trade_no.as_str().into()),
                ],
                at,
            );
        }
    }
    vec![total, used, remaining, count, expiry]
}
