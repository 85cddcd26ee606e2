//! [`AdminMetrics`]: `proxy911_admin_requests_total{operation,outcome}`,
//! `proxy911_admin_auth_failures_total{reason}` and `proxy911_admin_alert_actions_total{action}`,
//! owned by the admin API and registered by it. Every label is a closed set: the [`Operation`],
//! the answer's outcome (`success`, or the refusal's [`ErrorCode`]), the [`AuthFailure`] and the
//! alert action's [`AlertOutcome`].

use std::fmt::Write;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::alert_actions::AlertOutcome;
use super::answers::Operation;
use super::auth_failure::AuthFailure;
use super::error::ErrorCode;

/// How an admin request ended: the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminOutcome {
    Success,
    Refused(ErrorCode),
}

impl AdminOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminOutcome::Success => "success",
            AdminOutcome::Refused(code) => code.as_str(),
        }
    }
}

impl EncodeLabelValue for AdminOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

impl EncodeLabelValue for Operation {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

impl EncodeLabelValue for AlertOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.label())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertActionLabels {
    action: AlertOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AuthLabels {
    reason: AuthFailure,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AdminLabels {
    operation: Operation,
    outcome: AdminOutcome,
}

/// Cheap to clone: the handles are shared.
#[derive(Clone, Debug, Default)]
pub struct AdminMetrics {
    requests: Family<AdminLabels, Counter>,
    auth_failures: Family<AuthLabels, Counter>,
    alert_actions: Family<AlertActionLabels, Counter>,
}

impl AdminMetrics {
    /// New handles, registered in `registry`, whose prefix the caller chose.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = AdminMetrics::default();
        registry.register(
            "admin_requests",
            "Admin API requests that reached an operation, by operation and outcome",
            metrics.requests.clone(),
        );
        registry.register(
            "admin_auth_failures",
            "Admin API requests refused for their bearer token, by reason (missing, malformed, wrong)",
            metrics.auth_failures.clone(),
        );
        registry.register(
            "admin_alert_actions",
            "Alerts handled by POST /admin/alertmanager, by action: disabled, would_disable (log mode) or skipped_<reason>",
            metrics.alert_actions.clone(),
        );
        // At 0 from the start, so `increase()` and alerts see the first refusal or action.
        for reason in AuthFailure::ALL {
            let _ = metrics.auth_failures.get_or_create(&AuthLabels { reason });
        }
        for action in AlertOutcome::ALL {
            let _ = metrics
                .alert_actions
                .get_or_create(&AlertActionLabels { action });
        }
        metrics
    }

    /// Counts one admin operation.
    pub fn request(&self, operation: Operation, outcome: AdminOutcome) {
        self.requests
            .get_or_create(&AdminLabels { operation, outcome })
            .inc();
    }

    /// Counts one alert handled by the alert actions.
    pub fn alert_action(&self, action: AlertOutcome) {
        self.alert_actions
            .get_or_create(&AlertActionLabels { action })
            .inc();
    }

    /// Counts one refused authentication.
    pub(crate) fn auth_failure(&self, reason: AuthFailure) {
        self.auth_failures
            .get_or_create(&AuthLabels { reason })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_exposed_at_zero_for_every_reason_before_any_refusal() {
        let mut registry = Registry::default();
        let metrics = AdminMetrics::register(registry.sub_registry_with_prefix("proxy911"));
        metrics.auth_failure(AuthFailure::Wrong);

        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();

        assert!(
            text.contains("# TYPE proxy911_admin_auth_failures counter"),
            "{text}"
        );
        for (reason, value) in [("missing", 0), ("malformed", 0), ("wrong", 1)] {
            let sample =
                format!("proxy911_admin_auth_failures_total{{reason=\"{reason}\"}} {value}");
            assert!(text.contains(&sample), "{sample} in {text}");
        }
    }
}
