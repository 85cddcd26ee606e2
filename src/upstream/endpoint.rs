//! The upstream endpoints the exporter calls, and the outcome of one request: both are closed
//! label sets of `proxy911_upstream_requests_total`.

use std::fmt::Write;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use crate::label::label_values;

/// Every 911Proxy endpoint this program calls.
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

    /// The path on the upstream host.
    pub fn path(self) -> &'static str {
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
            // Spelled so upstream.
            Endpoint::DynamicCities => "/api-gate-way/ip/dynamic-citys",
        }
    }

    /// The `endpoint` label value: the path without the common `/api-gate-way/` prefix.
    pub fn label(self) -> &'static str {
        &self.path()["/api-gate-way/".len()..]
    }

    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }

    /// The query parameters of a paginated list's page number and page size: each list names
    /// them its own way. `None` for an endpoint that is not paginated.
    pub(crate) fn page_params(self) -> Option<(&'static str, &'static str)> {
        match self {
            Endpoint::PackageList | Endpoint::StaticIpList => Some(("page", "size")),
            Endpoint::OrderList => Some(("page_no", "page_size")),
            _ => None,
        }
    }

    /// Management endpoints change state upstream and are never retried automatically.
    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            Endpoint::AccountAdd
                | Endpoint::AccountDelete
                | Endpoint::AccountEnable
                | Endpoint::AccountDisable
                | Endpoint::AccountChangePassword
                | Endpoint::AccountChangeRemark
                | Endpoint::AccountChangeLimit
        )
    }
}

impl EncodeLabelValue for Endpoint {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.label())
    }
}

label_values! {
    /// How one upstream request ended: the `outcome` label.
    pub enum Outcome {
        Success => "success",
        ApiError => "api_error",
        HttpError => "http_error",
        Timeout => "timeout",
        DecodeError => "decode_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_round_trips_through_its_path() {
        for endpoint in Endpoint::ALL {
            assert_eq!(Endpoint::from_path(endpoint.path()), Some(endpoint));
            assert!(!endpoint.label().starts_with('/'));
        }
    }

    #[test]
    fn the_order_list_pages_by_page_no_and_the_older_lists_by_page() {
        assert_eq!(
            Endpoint::OrderList.page_params(),
            Some(("page_no", "page_size"))
        );
        assert_eq!(Endpoint::PackageList.page_params(), Some(("page", "size")));
        assert_eq!(Endpoint::StaticIpList.page_params(), Some(("page", "size")));
        assert_eq!(Endpoint::UserInfo.page_params(), None);
    }
}
