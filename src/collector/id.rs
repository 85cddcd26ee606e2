//! What a [`CollectorId`] answers, read from its collector's [`Definition`](super::Definition):
//! its name, whether it runs when no flag says otherwise, its default TTL, the endpoints it asks.
//! The enum itself is made by the table in `collector/mod.rs`.

use std::fmt::Write;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};

use super::CollectorId;
use crate::upstream::Endpoint;

impl CollectorId {
    /// The `collector` label value, and the `NAME` of its flags.
    pub fn as_str(self) -> &'static str {
        self.definition().flags.name
    }

    pub(crate) fn from_name(name: &str) -> Option<CollectorId> {
        CollectorId::ALL.into_iter().find(|id| id.as_str() == name)
    }

    /// On unless a flag turns it off.
    pub(crate) fn enabled_by_default(self) -> bool {
        self.definition().enabled_by_default
    }

    /// How long its data is served before a refresh, unless a flag says otherwise; `None`: the
    /// common `--cache.ttl`.
    pub(crate) fn default_ttl(self) -> Option<Duration> {
        self.definition().default_ttl
    }

    /// The upstream endpoints its refresh asks (and `check` asks for it).
    pub fn endpoints(self) -> &'static [Endpoint] {
        self.definition().endpoints
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
    fn every_definition_in_the_table_is_the_one_of_its_own_id() {
        for id in CollectorId::ALL {
            assert_eq!(id.definition().id, id, "{}", id.as_str());
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
