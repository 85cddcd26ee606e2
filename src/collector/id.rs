//! [`CollectorId`]: which collector. It is the `collector` label, the cache's key, what an admin
//! change invalidates, and the `NAME` of the `--collector.NAME` flags; it knows which upstream
//! endpoints its collector asks and whether it runs when no flag says otherwise (SPEC §10).

use std::fmt::Write;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use crate::upstream::Endpoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CollectorId {
    Accounts,
    Packages,
    StaticIps,
    Traffic,
    Orders,
    User,
    Regions,
}

impl CollectorId {
    pub const ALL: [CollectorId; 7] = [
        CollectorId::Accounts,
        CollectorId::Packages,
        CollectorId::StaticIps,
        CollectorId::Traffic,
        CollectorId::Orders,
        CollectorId::User,
        CollectorId::Regions,
    ];

    /// The `collector` label value, and the `NAME` of its flags.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectorId::Accounts => "accounts",
            CollectorId::Packages => "packages",
            CollectorId::StaticIps => "static_ips",
            CollectorId::Traffic => "traffic",
            CollectorId::Orders => "orders",
            CollectorId::User => "user",
            CollectorId::Regions => "regions",
        }
    }

    pub fn from_name(name: &str) -> Option<CollectorId> {
        CollectorId::ALL.into_iter().find(|id| id.as_str() == name)
    }

    /// On unless a flag turns it off: all but `user` (whose endpoint the reference marks "not
    /// yet open") and `regions` (coverage of the dynamic pool, not of the account).
    pub fn enabled_by_default(self) -> bool {
        !matches!(self, CollectorId::User | CollectorId::Regions)
    }

    /// How long its data is served before a refresh, unless a flag says otherwise; `None`: the
    /// common `--cache.ttl`. The dynamic pool's coverage changes rarely: once an hour is plenty.
    pub fn default_ttl(self) -> Option<Duration> {
        match self {
            CollectorId::Regions => Some(Duration::from_secs(3600)),
            _ => None,
        }
    }

    /// The upstream endpoints its refresh asks (and `check` asks for it).
    pub fn endpoints(self) -> &'static [Endpoint] {
        match self {
            CollectorId::Accounts => &[Endpoint::AccountList],
            CollectorId::Packages => &[Endpoint::PackageSummary, Endpoint::PackageList],
            CollectorId::StaticIps => &[Endpoint::StaticIpRegions, Endpoint::StaticIpList],
            CollectorId::Traffic => &[Endpoint::TrafficDaily],
            CollectorId::Orders => &[Endpoint::OrderList],
            CollectorId::User => &[Endpoint::UserInfo],
            CollectorId::Regions => &[Endpoint::DynamicStates, Endpoint::DynamicCities],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_collectors_are_on_by_default_and_user_and_regions_off() {
        let on: Vec<&str> = CollectorId::ALL
            .into_iter()
            .filter(|id| id.enabled_by_default())
            .map(CollectorId::as_str)
            .collect();

        assert_eq!(
            on,
            ["accounts", "packages", "static_ips", "traffic", "orders"]
        );
    }

    #[test]
    fn every_read_endpoint_belongs_to_exactly_one_collector() {
        for endpoint in Endpoint::ALL.into_iter().filter(|e| !e.is_mutation()) {
            let owners = CollectorId::ALL
                .into_iter()
                .filter(|id| id.endpoints().contains(&endpoint))
                .count();
            assert_eq!(owners, 1, "{endpoint:?}");
        }
    }

    #[test]
    fn every_name_round_trips() {
        for id in CollectorId::ALL {
            assert_eq!(CollectorId::from_name(id.as_str()), Some(id));
        }
        assert_eq!(CollectorId::from_name("nope"), None);
    }
}
