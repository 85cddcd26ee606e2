//! The upstream endpoints the exporter calls, and the outcome of one request: both are closed
//! label sets of `proxy911_upstream_requests_total`.

use std::fmt::Write;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

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
}

impl Endpoint {
    pub const ALL: [Endpoint; 13] = [
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
        }
    }

    /// The `endpoint` label value: the path without the common `/api-gate-way/` prefix.
    pub fn label(self) -> &'static str {
        &self.path()["/api-gate-way/".len()..]
    }

    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
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

/// How one upstream request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    ApiError,
    HttpError,
    Timeout,
    DecodeError,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ApiError => "api_error",
            Outcome::HttpError => "http_error",
            Outcome::Timeout => "timeout",
            Outcome::DecodeError => "decode_error",
        }
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
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
}
