//! [`fields_read`]: the upstream JSON field names the exporter reads from each endpoint's
//! answers, from the model's own lists; the values the `field` label of
//! `proxy911_upstream_fields_defaulted_total` can take.

use super::decode::Decode;
use super::model::{
    Account, DailyFlow, DynamicCountry, DynamicPlace, Order, Package, PackageSummary, StaticIp,
    StaticIpRegion, UserInfo,
};
use super::page::{Pagination, PAGE_FIELDS};
use super::Endpoint;

/// The fixed set of upstream JSON field names read from an endpoint's answers: the values the
/// `field` label of `proxy911_upstream_fields_defaulted_total` can take.
pub(crate) fn fields_read(endpoint: Endpoint) -> Vec<&'static str> {
    let joined = |parts: &[&[&'static str]]| {
        let mut fields: Vec<&'static str> = parts.concat();
        fields.sort_unstable();
        fields.dedup();
        fields
    };
    let paged = |item: &[&'static str]| joined(&[PAGE_FIELDS, Pagination::FIELDS, item]);
    match endpoint {
        Endpoint::AccountList => Account::FIELDS.to_vec(),
        Endpoint::PackageSummary => PackageSummary::FIELDS.to_vec(),
        Endpoint::PackageList => paged(Package::FIELDS),
        Endpoint::StaticIpRegions => StaticIpRegion::FIELDS.to_vec(),
        Endpoint::StaticIpList => paged(StaticIp::FIELDS),
        Endpoint::TrafficDaily => DailyFlow::FIELDS.to_vec(),
        Endpoint::OrderList => paged(Order::FIELDS),
        Endpoint::UserInfo => UserInfo::FIELDS.to_vec(),
        Endpoint::DynamicStates | Endpoint::DynamicCities => {
            joined(&[DynamicCountry::FIELDS, DynamicPlace::FIELDS])
        }
        _ => Vec::new(),
    }
}
