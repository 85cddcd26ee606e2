//! The endpoints the simulated API serves: its own list of the 911Proxy paths and methods, kept
//! apart from the exporter's so that a wrong path in one cannot hide in the other (the tests of
//! the exporter check that the two lists agree).

use axum::http::Method;

use crate::drift;

/// Every endpoint of the simulated 911Proxy API (the `/_simulator/` control endpoints aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    AccountList,
    AccountAdd,
    AccountDelete,
    AccountEnable,
    AccountDisable,
    AccountChangePassword,
    AccountChangeRemark,
    AccountChangeLimit,
    PackageSummary,
    PackageList,
    StaticIpRegions,
    StaticIpList,
    TrafficDaily,
    OrderList,
    UserInfo,
    DynamicStates,
    DynamicCities,
}

impl Endpoint {
    pub const ALL: [Endpoint; 17] = [
        Endpoint::AccountList,
        Endpoint::AccountAdd,
        Endpoint::AccountDelete,
        Endpoint::AccountEnable,
        Endpoint::AccountDisable,
        Endpoint::AccountChangePassword,
        Endpoint::AccountChangeRemark,
        Endpoint::AccountChangeLimit,
        Endpoint::PackageSummary,
        Endpoint::PackageList,
        Endpoint::StaticIpRegions,
        Endpoint::StaticIpList,
        Endpoint::TrafficDaily,
        Endpoint::OrderList,
        Endpoint::UserInfo,
        Endpoint::DynamicStates,
        Endpoint::DynamicCities,
    ];

    /// The path the endpoint is served on.
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::AccountList => "/api-gate-way/whitelist-account/list",
            Endpoint::AccountAdd => "/api-gate-way/whitelist-account/add",
            Endpoint::AccountDelete => "/api-gate-way/whitelist-account/delete",
            Endpoint::AccountEnable => "/api-gate-way/whitelist-account/enable",
            Endpoint::AccountDisable => "/api-gate-way/whitelist-account/disable",
            Endpoint::AccountChangePassword => "/api-gate-way/whitelist-account/change-password",
            Endpoint::AccountChangeRemark => "/api-gate-way/whitelist-account/change-remark",
            Endpoint::AccountChangeLimit => "/api-gate-way/whitelist-account/change-limit",
            Endpoint::PackageSummary => "/api-gate-way/user-product/summary",
            Endpoint::PackageList => "/api-gate-way/user-product/list",
            Endpoint::StaticIpRegions => "/api-gate-way/static-ip-region",
            Endpoint::StaticIpList => "/api-gate-way/ip/get-static-ip",
            Endpoint::TrafficDaily => "/api-gate-way/user-usage-flow/total",
            Endpoint::OrderList => "/api-gate-way/order/list",
            Endpoint::UserInfo => "/api-gate-way/user/info",
            Endpoint::DynamicStates => "/api-gate-way/ip/dynamic-states",
            Endpoint::DynamicCities => "/api-gate-way/ip/dynamic-citys",
        }
    }

    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }

    /// The account-management writes are POSTs with a JSON body; every read is a GET.
    pub fn method(self) -> Method {
        match self {
            Endpoint::AccountAdd
            | Endpoint::AccountDelete
            | Endpoint::AccountEnable
            | Endpoint::AccountDisable
            | Endpoint::AccountChangePassword
            | Endpoint::AccountChangeRemark
            | Endpoint::AccountChangeLimit => Method::POST,
            Endpoint::AccountList
            | Endpoint::PackageSummary
            | Endpoint::PackageList
            | Endpoint::StaticIpRegions
            | Endpoint::StaticIpList
            | Endpoint::TrafficDaily
            | Endpoint::OrderList
            | Endpoint::UserInfo
            | Endpoint::DynamicStates
            | Endpoint::DynamicCities => Method::GET,
        }
    }

    /// The answer shape the `schema-drift` fault bends: one per read endpoint; the management
    /// writes, whose `data` is `null`, have none.
    pub const fn drift_answer(self) -> Option<drift::Answer> {
        match self {
            Endpoint::AccountList => Some(drift::Answer::Accounts),
            Endpoint::PackageSummary => Some(drift::Answer::PackageSummary),
            Endpoint::PackageList => Some(drift::Answer::Packages),
            Endpoint::StaticIpRegions => Some(drift::Answer::StaticIpRegions),
            Endpoint::StaticIpList => Some(drift::Answer::StaticIps),
            Endpoint::TrafficDaily => Some(drift::Answer::Traffic),
            Endpoint::OrderList => Some(drift::Answer::Orders),
            Endpoint::UserInfo => Some(drift::Answer::UserInfo),
            Endpoint::DynamicStates => Some(drift::Answer::DynamicStates),
            Endpoint::DynamicCities => Some(drift::Answer::DynamicCities),
            Endpoint::AccountAdd
            | Endpoint::AccountDelete
            | Endpoint::AccountEnable
            | Endpoint::AccountDisable
            | Endpoint::AccountChangePassword
            | Endpoint::AccountChangeRemark
            | Endpoint::AccountChangeLimit => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_round_trips_through_its_path() {
        for endpoint in Endpoint::ALL {
            assert_eq!(Endpoint::from_path(endpoint.path()), Some(endpoint));
            assert!(endpoint.path().starts_with("/api-gate-way/"));
        }
        assert_eq!(Endpoint::from_path("/api-gate-way/nothing"), None);
    }

    #[test]
    fn the_seven_management_writes_are_posts_and_the_ten_reads_gets() {
        let posts = Endpoint::ALL
            .iter()
            .filter(|e| e.method() == Method::POST)
            .count();

        assert_eq!(posts, 7);
        assert_eq!(Endpoint::ALL.len() - posts, 10);
        assert_eq!(Endpoint::AccountList.method(), Method::GET);
        assert_eq!(Endpoint::AccountChangeLimit.method(), Method::POST);
    }
}
