//! [`Selection`]: which collectors run, and how long each one's data is served when it differs
//! from the common `--cache.ttl`. A collector left out asks nothing upstream and has no series,
//! not even its self metrics; the upstream endpoints of the selection are those whose counters
//! start at 0.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::CollectorId;
use crate::upstream::Endpoint;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    enabled: BTreeSet<CollectorId>,
    /// Per-collector TTLs, kept for disabled collectors too (a later `enable` keeps its own).
    ttl: BTreeMap<CollectorId, Duration>,
}

/// The collectors that run without any flag, with their default TTLs.
impl Default for Selection {
    fn default() -> Self {
        let mut selection = Selection::none();
        for id in CollectorId::ALL {
            if id.enabled_by_default() {
                selection.enable(id);
            }
        }
        selection
    }
}

impl Selection {
    /// No collector at all (each keeps its default TTL, should it be enabled).
    pub fn none() -> Self {
        Selection {
            enabled: BTreeSet::new(),
            ttl: CollectorId::ALL
                .into_iter()
                .filter_map(|id| id.default_ttl().map(|ttl| (id, ttl)))
                .collect(),
        }
    }

    /// Every collector (the demo's, so that every panel has data).
    pub fn all() -> Self {
        let mut selection = Selection::none();
        for id in CollectorId::ALL {
            selection.enable(id);
        }
        selection
    }

    pub fn enable(&mut self, id: CollectorId) {
        self.enabled.insert(id);
    }

    pub fn disable(&mut self, id: CollectorId) {
        self.enabled.remove(&id);
    }

    /// Serves `id`'s data for `ttl` before refreshing it; `None`: the common `--cache.ttl`.
    pub(crate) fn set_ttl(&mut self, id: CollectorId, ttl: Option<Duration>) {
        match ttl {
            Some(ttl) => self.ttl.insert(id, ttl),
            None => self.ttl.remove(&id),
        };
    }

    pub fn contains(&self, id: CollectorId) -> bool {
        self.enabled.contains(&id)
    }

    /// The enabled collectors, in [`CollectorId`] order.
    pub fn ids(&self) -> impl Iterator<Item = CollectorId> + '_ {
        self.enabled.iter().copied()
    }

    /// `id`'s own TTL, if it has one; otherwise the common `--cache.ttl` applies.
    pub fn ttl(&self, id: CollectorId) -> Option<Duration> {
        self.ttl.get(&id).copied()
    }

    /// The upstream endpoints the enabled collectors ask.
    pub fn endpoints(&self) -> BTreeSet<Endpoint> {
        self.ids()
            .flat_map(|id| id.endpoints().iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_the_user_and_regions_endpoints_are_not_asked() {
        let endpoints = Selection::default().endpoints();

        assert!(endpoints.contains(&Endpoint::OrderList));
        assert!(!endpoints.contains(&Endpoint::UserInfo));
        assert!(!endpoints.contains(&Endpoint::DynamicStates));
        assert!(!endpoints.contains(&Endpoint::DynamicCities));
    }

    #[test]
    fn regions_keep_their_hour_when_enabled_and_others_follow_the_cache_ttl() {
        let mut selection = Selection::default();
        selection.enable(CollectorId::Regions);
        selection.disable(CollectorId::Accounts);

        assert_eq!(
            selection.ttl(CollectorId::Regions),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(selection.ttl(CollectorId::Orders), None);
        assert!(!selection.contains(CollectorId::Accounts));
        assert_eq!(Selection::all().ids().count(), CollectorId::ALL.len());
    }
}
