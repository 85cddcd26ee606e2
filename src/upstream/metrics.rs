//! [`UpstreamMetrics`]: what the client counts about its requests (by endpoint and outcome, the
//! refusals by reason, latency) and about the answers' drift (items skipped, fields defaulted).
//! The client owns them and registers them itself ([`UpstreamMetrics::register`]).

use std::collections::BTreeSet;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::decode::Drift;
use super::error::ApiErrorReason;
use super::fields_read::fields_read;
use super::{Endpoint, Outcome};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: Endpoint,
    outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiErrorLabels {
    endpoint: Endpoint,
    reason: ApiErrorReason,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: Endpoint,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FieldLabels {
    endpoint: Endpoint,
    field: &'static str,
}

/// Counts upstream requests and drift; cheap to clone (the handles are shared).
#[derive(Clone, Debug)]
pub struct UpstreamMetrics {
    requests: Family<RequestLabels, Counter>,
    api_errors: Family<ApiErrorLabels, Counter>,
    duration: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    items_skipped: Family<EndpointLabels, Counter>,
    fields_defaulted: Family<FieldLabels, Counter>,
}

/// Handles registered nowhere (a test's, or `check`'s, which serves no metrics), every endpoint
/// pre-initialised: all the reads, and the writes.
impl Default for UpstreamMetrics {
    fn default() -> Self {
        UpstreamMetrics::handles(Endpoint::ALL)
    }
}

impl UpstreamMetrics {
    /// New handles whose per-endpoint series start at 0 for `reads` (the endpoints the enabled
    /// collectors use) and for every management write: the drift counters for each field read,
    /// the refusals for each reason. An endpoint no enabled collector uses has no series at all
    /// until it is called.
    fn handles(reads: impl IntoIterator<Item = Endpoint>) -> Self {
        fn latency_histogram() -> Histogram {
            Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
        }
        let metrics = UpstreamMetrics {
            requests: Family::default(),
            api_errors: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
            items_skipped: Family::default(),
            fields_defaulted: Family::default(),
        };
        let reads: BTreeSet<Endpoint> = reads.into_iter().filter(|e| !e.is_mutation()).collect();
        let writes = Endpoint::ALL.into_iter().filter(|e| e.is_mutation());
        // Refusals start at 0 for every endpoint and reason, so `increase()` sees the first one.
        for endpoint in reads.iter().copied().chain(writes) {
            for reason in ApiErrorReason::ALL {
                let _ = metrics
                    .api_errors
                    .get_or_create(&ApiErrorLabels { endpoint, reason });
            }
        }
        // Drift starts at 0 for every endpoint read and every field read from it, so a
        // dashboard shows "none" rather than "no data", and `increase()` sees the first drift.
        for endpoint in reads {
            let _ = metrics
                .items_skipped
                .get_or_create(&EndpointLabels { endpoint });
            for field in fields_read(endpoint) {
                let _ = metrics
                    .fields_defaulted
                    .get_or_create(&FieldLabels { endpoint, field });
            }
        }
        metrics
    }

    /// New handles, pre-initialised for `reads` (see `UpstreamMetrics::handles`) and
    /// registered in `registry`, whose prefix the caller chose.
    pub fn register(registry: &mut Registry, reads: impl IntoIterator<Item = Endpoint>) -> Self {
        let metrics = UpstreamMetrics::handles(reads);
        let p = registry;
        p.register(
            "upstream_requests",
            "HTTP requests sent to the 911Proxy API, by endpoint and outcome (retries count)",
            metrics.requests.clone(),
        );
        p.register(
            "upstream_api_errors",
            "Upstream refusals in the answer envelope, by endpoint and reason (invalid_app_key, not_real_name_authenticated, other)",
            metrics.api_errors.clone(),
        );
        p.register(
            "upstream_items_skipped",
            "Upstream list items that were not objects and were skipped, by endpoint (schema drift; counted per refresh)",
            metrics.items_skipped.clone(),
        );
        p.register(
            "upstream_fields_defaulted",
            "Upstream fields present with a value that could not be read, by endpoint and JSON field name: the label became unknown or the sample was left out (schema drift; counted per refresh)",
            metrics.fields_defaulted.clone(),
        );
        p.register_with_unit(
            "upstream_request_duration",
            "Latency of HTTP requests to the 911Proxy API",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        metrics
    }

    /// Records one HTTP request to the upstream (each retry counts).
    pub(crate) fn observe(&self, endpoint: Endpoint, outcome: Outcome, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { endpoint, outcome })
            .inc();
        self.duration
            .get_or_create(&EndpointLabels { endpoint })
            .observe(elapsed.as_secs_f64());
    }

    /// Records an upstream refusal in the envelope.
    pub(crate) fn api_error(&self, endpoint: Endpoint, reason: ApiErrorReason) {
        self.api_errors
            .get_or_create(&ApiErrorLabels { endpoint, reason })
            .inc();
    }

    /// Counts what one list (all its pages) or one object could not read as documented.
    pub fn drift(&self, endpoint: Endpoint, drift: &Drift) {
        if drift.skipped > 0 {
            self.items_skipped
                .get_or_create(&EndpointLabels { endpoint })
                .inc_by(drift.skipped);
        }
        for (&field, &n) in &drift.defaulted {
            self.fields_defaulted
                .get_or_create(&FieldLabels { endpoint, field })
                .inc_by(n);
        }
    }

    /// Requests so far for one endpoint and outcome (for tests and the demo).
    pub fn count(&self, endpoint: Endpoint, outcome: Outcome) -> u64 {
        self.requests
            .get_or_create(&RequestLabels { endpoint, outcome })
            .get()
    }
}
