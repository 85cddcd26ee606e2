//! [`SelfMetrics`]: the registry of the exporter's own instrumentation, encoded on every scrape
//! after the cached upstream data. It holds the process metrics and build info itself; every
//! other component owns its metrics and registers them here at start-up (prometheus-client as
//! libp2p uses it): the client ([`crate::upstream::UpstreamMetrics`]), the scrape side
//! ([`crate::scrape::HealthMetrics`]) and the admin API ([`crate::http::admin::AdminMetrics`]). Upstream *values* are not here: they
//! are rendered fresh per refresh by [`crate::collector`].

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::exposition::PREFIX;

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

/// Every self metric, registered once; encoded at each scrape.
#[derive(Debug)]
pub struct SelfMetrics {
    registry: Registry,
}

impl SelfMetrics {
    /// Seals `registry` (from [`registry`], with the components' metrics in it), adding the
    /// build info.
    pub fn new(mut registry: Registry) -> Self {
        let p = registry.sub_registry_with_prefix(PREFIX);
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: crate::version::VERSION,
                revision: crate::version::REVISION,
                rustversion: crate::version::rust_release(),
            })
            .set(1);
        p.register(
            "exporter_build_info",
            "Version, git revision and compiler of the running exporter; value 1",
            build_info,
        );
        SelfMetrics { registry }
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
