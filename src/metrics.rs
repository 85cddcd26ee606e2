//! The exporter's own instrumentation: long-lived handles that count what the exporter does
//! (upstream requests, collector health, admin requests), build info and process metrics.
//! Upstream *values* are not here: they are rendered fresh per refresh by [`crate::collector`].

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::upstream::api::fields_read;
use crate::upstream::decode::Drift;
use crate::upstream::{Endpoint, Outcome};

mod process;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: Endpoint,
    outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiErrorLabels {
    endpoint: Endpoint,
    reason: &'static str,
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CollectorLabels {
    collector: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AdminLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    revision: &'static str,
}

/// The `reason` values of `proxy911_upstream_api_errors_total`.
const API_ERROR_REASONS: [&str; 3] = ["invalid_app_key", "not_real_name_authenticated", "other"];

/// Counts upstream requests; cheap to clone and shared with the client.
#[derive(Clone, Debug)]
pub struct UpstreamMetrics {
    requests: Family<RequestLabels, Counter>,
    api_errors: Family<ApiErrorLabels, Counter>,
    duration: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    items_skipped: Family<EndpointLabels, Counter>,
    fields_defaulted: Family<FieldLabels, Counter>,
}

impl Default for UpstreamMetrics {
    fn default() -> Self {
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
        // Drift starts at 0 for every endpoint read and every field read from it, so a
        // dashboard shows "none" rather than "no data", and `increase()` sees the first drift.
        for endpoint in Endpoint::ALL.into_iter().filter(|e| !e.is_mutation()) {
            let _ = metrics
                .items_skipped
                .get_or_create(&EndpointLabels { endpoint });
            for field in fields_read(endpoint) {
                let _ = metrics
                    .fields_defaulted
                    .get_or_create(&FieldLabels { endpoint, field });
            }
        }
        // Refusals start at 0 for every endpoint and reason, so `increase()` sees the first one.
        for endpoint in Endpoint::ALL {
            for reason in API_ERROR_REASONS {
                let _ = metrics
                    .api_errors
                    .get_or_create(&ApiErrorLabels { endpoint, reason });
            }
        }
        metrics
    }
}

impl UpstreamMetrics {
    /// Records one HTTP request to the upstream (each retry counts).
    pub fn observe(&self, endpoint: Endpoint, outcome: Outcome, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels { endpoint, outcome })
            .inc();
        self.duration
            .get_or_create(&EndpointLabels { endpoint })
            .observe(elapsed.as_secs_f64());
    }

    /// Records an upstream refusal in the envelope, by reason (`invalid_app_key`,
    /// `not_real_name_authenticated`, `other`).
    pub fn api_error(&self, endpoint: Endpoint, reason: &'static str) {
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

/// The state of one collector after a scrape, as the self metrics show it.
#[derive(Debug, Clone, Copy)]
pub struct CollectorReport {
    pub name: &'static str,
    pub success: bool,
    pub duration: Duration,
    /// Unix time of the last successful refresh.
    pub last_success_unix: Option<f64>,
    /// Age of the data served, if any is served.
    pub cache_age: Option<Duration>,
}

/// Every self metric, registered once under the `proxy911` prefix (process metrics unprefixed).
#[derive(Debug)]
pub struct SelfMetrics {
    registry: Registry,
    upstream: UpstreamMetrics,
    up: Gauge,
    collector_success: Family<CollectorLabels, Gauge>,
    collector_duration: Family<CollectorLabels, Gauge<f64, AtomicU64>>,
    collector_last_success: Family<CollectorLabels, Gauge<f64, AtomicU64>>,
    collector_cache_age: Family<CollectorLabels, Gauge<f64, AtomicU64>>,
    admin_requests: Family<AdminLabels, Counter>,
}

impl Default for SelfMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl SelfMetrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(process::ProcessCollector));
        let upstream = UpstreamMetrics::default();
        let metrics = SelfMetrics {
            registry: Registry::default(),
            upstream,
            up: Gauge::default(),
            collector_success: Family::default(),
            collector_duration: Family::default(),
            collector_last_success: Family::default(),
            collector_cache_age: Family::default(),
            admin_requests: Family::default(),
        };
        let p = registry.sub_registry_with_prefix("proxy911");
        p.register(
            "up",
            "1 when every collector's last refresh of upstream data succeeded",
            metrics.up.clone(),
        );
        p.register(
            "collector_success",
            "1 when the collector's last refresh succeeded, 0 when it failed",
            metrics.collector_success.clone(),
        );
        p.register_with_unit(
            "collector_duration",
            "Duration of the collector's last refresh",
            Unit::Seconds,
            metrics.collector_duration.clone(),
        );
        p.register_with_unit(
            "collector_last_success_timestamp",
            "Unix time of the collector's last successful refresh",
            Unit::Seconds,
            metrics.collector_last_success.clone(),
        );
        p.register_with_unit(
            "collector_cache_age",
            "Age of the cached data the collector serves (absent when none is served)",
            Unit::Seconds,
            metrics.collector_cache_age.clone(),
        );
        p.register(
            "upstream_requests",
            "HTTP requests sent to the 911Proxy API, by endpoint and outcome (retries count)",
            metrics.upstream.requests.clone(),
        );
        p.register(
            "upstream_api_errors",
            "Upstream refusals in the answer envelope, by endpoint and reason (invalid_app_key, not_real_name_authenticated, other)",
            metrics.upstream.api_errors.clone(),
        );
        p.register(
            "upstream_items_skipped",
            "Upstream list items that were not objects and were skipped, by endpoint (schema drift; counted per refresh)",
            metrics.upstream.items_skipped.clone(),
        );
        p.register(
            "upstream_fields_defaulted",
            "Upstream fields present with a value that could not be read, by endpoint and JSON field name: the label became unknown or the sample was left out (schema drift; counted per refresh)",
            metrics.upstream.fields_defaulted.clone(),
        );
        p.register_with_unit(
            "upstream_request_duration",
            "Latency of HTTP requests to the 911Proxy API",
            Unit::Seconds,
            metrics.upstream.duration.clone(),
        );
        p.register(
            "admin_requests",
            "Admin API requests that reached an operation, by operation and outcome",
            metrics.admin_requests.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                revision: env!("PROXY911_GIT_REVISION"),
            })
            .set(1);
        p.register(
            "exporter_build_info",
            "Version and git revision of the running exporter; value 1",
            build_info,
        );
        SelfMetrics {
            registry,
            ..metrics
        }
    }

    pub fn upstream(&self) -> &UpstreamMetrics {
        &self.upstream
    }

    /// Counts one admin operation.
    pub fn admin_request(&self, operation: &'static str, outcome: &'static str) {
        self.admin_requests
            .get_or_create(&AdminLabels { operation, outcome })
            .inc();
    }

    /// Sets the collector gauges and `proxy911_up` from the reports of one scrape.
    pub fn record_collectors(&self, reports: &[CollectorReport]) {
        for report in reports {
            let labels = CollectorLabels {
                collector: report.name,
            };
            self.collector_success
                .get_or_create(&labels)
                .set(i64::from(report.success));
            self.collector_duration
                .get_or_create(&labels)
                .set(report.duration.as_secs_f64());
            if let Some(at) = report.last_success_unix {
                self.collector_last_success.get_or_create(&labels).set(at);
            }
            match report.cache_age {
                Some(age) => {
                    self.collector_cache_age
                        .get_or_create(&labels)
                        .set(age.as_secs_f64());
                }
                None => {
                    self.collector_cache_age.remove(&labels);
                }
            }
        }
        self.up.set(i64::from(reports.iter().all(|r| r.success)));
    }

    /// OpenMetrics text of every self metric, without the closing `# EOF`.
    pub fn encode_openmetrics(&self, out: &mut String) {
        prometheus_client::encoding::text::encode_registry(out, &self.registry)
            .expect("writing to a String cannot fail");
    }

    /// Classic Prometheus text (0.0.4) of every self metric.
    pub fn encode_text(&self, out: &mut String) {
        prometheus_client::encoding::prometheus_text::encode(out, &self.registry)
            .expect("writing to a String cannot fail");
    }
}
