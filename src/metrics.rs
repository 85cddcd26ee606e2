//! [`SelfMetrics`]: the registry of the exporter's own instrumentation, encoded on every scrape
//! after the cached upstream data. It holds the process metrics and the build info; every
//! component owns its metrics and registers them at start-up with one shape,
//! `register(&mut Registry) -> Self`, into a sub-registry whose prefix the caller chose once
//! (linkerd2-proxy's shape): the client ([`crate::upstream::UpstreamMetrics`]), the scrape side
//! ([`crate::scrape::HealthMetrics`]) and the admin API ([`crate::http::admin::AdminMetrics`]). Upstream *values* are not here: they
//! are rendered fresh per refresh by [`crate::collector`].

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

mod process;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    revision: &'static str,
    rustversion: &'static str,
}

/// A registry with the process metrics (unprefixed, as every exporter has them), for the
/// components to register into before [`SelfMetrics::new`] seals it.
pub fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(process::ProcessCollector));
    registry
}

/// `exporter_build_info`: the running build; value 1, set once.
#[derive(Debug, Clone)]
pub(crate) struct BuildInfo;

impl BuildInfo {
    /// Registers the build info in `registry`, whose prefix the caller chose.
    pub fn register(registry: &mut Registry) -> Self {
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: crate::version::VERSION,
                revision: crate::version::REVISION,
                rustversion: crate::version::rust_release(),
            })
            .set(1);
        registry.register(
            "exporter_build_info",
            "Version, git revision and compiler of the running exporter; value 1",
            build_info,
        );
        BuildInfo
    }
}

/// Every self metric, registered once; encoded at each scrape.
#[derive(Debug)]
pub struct SelfMetrics {
    registry: Registry,
}

impl SelfMetrics {
    /// Seals `registry` (from [`registry`], with the components' metrics in it).
    pub fn new(registry: Registry) -> Self {
        SelfMetrics { registry }
    }

    /// OpenMetrics text of every self metric, without the closing `# EOF`.
    pub(crate) fn encode_openmetrics(&self, out: &mut String) {
        prometheus_client::encoding::text::encode_registry(out, &self.registry)
            .expect("writing to a String cannot fail");
    }

    /// Classic Prometheus text (0.0.4) of every self metric.
    pub(crate) fn encode_text(&self, out: &mut String) {
        prometheus_client::encoding::prometheus_text::encode(out, &self.registry)
            .expect("writing to a String cannot fail");
    }
}

/// Unix time now, in seconds, for the timestamp gauges (0 for a clock before 1970).
pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
