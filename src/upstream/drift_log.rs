//! [`DriftLog`]: one log line when an endpoint's schema drift appears, changes or goes, never one
//! per refresh. "The same drift" is the same [`DriftSignature`]: items skipped or
//! not, and which fields were defaulted.

use std::collections::HashMap;
use std::sync::Mutex;

use super::decode::{Drift, DriftSignature};
use super::Endpoint;

#[derive(Debug, Default)]
pub(crate) struct DriftLog {
    /// The drift each endpoint showed last. A std mutex: held for a comparison, never across an
    /// `.await`.
    seen: Mutex<HashMap<(Endpoint, String), DriftSignature>>,
}

impl DriftLog {
    /// Logs a WARN when `endpoint`'s drift appears or changes, an INFO when it is gone; says
    /// which it logged.
    pub fn record(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        drift: &Drift,
    ) -> Option<Logged> {
        let variant: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let variant = variant.join("&");
        let signature = drift.signature();
        let changed = {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let before = seen
                .insert((endpoint, variant.clone()), signature.clone())
                .unwrap_or_default();
            before != signature
        };
        if !changed {
            return None;
        }
        if signature.is_clean() {
            tracing::info!(
                endpoint = endpoint.label(),
                query = %variant,
                "upstream schema drift gone: every item and field read as documented"
            );
            Some(Logged::Gone)
        } else {
            tracing::warn!(
                endpoint = endpoint.label(),
                query = %variant,
                items_skipped = drift.skipped,
                fields_defaulted = %signature.defaulted.join(","),
                "upstream schema drift: items that are not objects were skipped and/or fields \
                 that could not be read were defaulted (label `unknown`, sample left out); \
                 run `proxy911-exporter check` for details"
            );
            Some(Logged::Drift)
        }
    }
}

/// What [`DriftLog::record`] logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logged {
    /// The WARN: drift appeared or changed.
    Drift,
    /// The INFO: drift is gone.
    Gone,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift(skipped: u64, defaulted: &[&'static str]) -> Drift {
        let mut drift = Drift {
            skipped,
            ..Drift::default()
        };
        for field in defaulted {
            drift.defaulted(field);
        }
        drift
    }

    #[test]
    fn drift_is_logged_when_it_appears_or_changes_and_not_on_every_refresh() {
        let log = DriftLog::default();
        let list = Endpoint::AccountList;
        assert_eq!(
            log.record(list, &[], &drift(0, &[])),
            None,
            "clean from the start"
        );
        assert_eq!(
            log.record(list, &[], &drift(4, &["status"])),
            Some(Logged::Drift)
        );
        assert_eq!(
            log.record(list, &[], &drift(9, &["status"])),
            None,
            "same fields, other counts"
        );
        assert_eq!(
            log.record(list, &[], &drift(4, &["status", "remark"])),
            Some(Logged::Drift)
        );
        assert_eq!(
            log.record(Endpoint::TrafficDaily, &[], &drift(1, &[])),
            Some(Logged::Drift),
            "each endpoint on its own"
        );
        assert_eq!(log.record(list, &[], &drift(0, &[])), Some(Logged::Gone));
        assert_eq!(log.record(list, &[], &drift(0, &[])), None);
    }

    #[test]
    fn two_calls_of_one_endpoint_in_a_refresh_do_not_flap_each_other() {
        let log = DriftLog::default();
        let summary = Endpoint::PackageSummary;
        let nine = [("product_type", "9".to_string())];
        let twelve = [("product_type", "12".to_string())];
        assert_eq!(
            log.record(summary, &nine, &drift(0, &["used"])),
            Some(Logged::Drift)
        );
        assert_eq!(log.record(summary, &twelve, &drift(0, &[])), None);
        assert_eq!(log.record(summary, &nine, &drift(0, &["used"])), None);
        assert_eq!(log.record(summary, &twelve, &drift(0, &[])), None);
    }
}
