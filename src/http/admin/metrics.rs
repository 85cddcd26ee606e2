//! [`AdminMetrics`]: `proxy911_admin_requests_total{operation,outcome}`, owned by the admin API
//! and registered by it. Both labels are closed sets: the [`Operation`] and the answer's outcome
//! (`success`, or the refusal's [`ErrorCode`]).

use std::fmt::Write;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::answers::Operation;
use super::error::ErrorCode;

/// How an admin request ended: the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Refused(ErrorCode),
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Refused(code) => code.as_str(),
        }
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

impl EncodeLabelValue for Operation {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AdminLabels {
    operation: Operation,
    outcome: Outcome,
}

/// Cheap to clone: the handles are shared.
#[derive(Clone, Debug, Default)]
pub struct AdminMetrics {
    requests: Family<AdminLabels, Counter>,
}

impl AdminMetrics {
    /// New handles, registered under the `proxy911` prefix of `registry`.
    pub fn new(registry: &mut Registry) -> Self {
        let metrics = AdminMetrics::default();
        registry
            .sub_registry_with_prefix(crate::exposition::PREFIX)
            .register(
                "admin_requests",
                "Admin API requests that reached an operation, by operation and outcome",
                metrics.requests.clone(),
            );
        metrics
    }

    /// Counts one admin operation.
    pub fn request(&self, operation: Operation, outcome: Outcome) {
        self.requests
            .get_or_create(&AdminLabels { operation, outcome })
            .inc();
    }
}
