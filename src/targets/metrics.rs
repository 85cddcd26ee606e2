//! [`ReloadMetrics`]: how many targets are configured and how the last reload of the config
//! file went, on the exporter's own `/metrics` (never on a probe).

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::metrics::unix_now;

#[derive(Debug, Clone, Default)]
pub struct ReloadMetrics {
    targets: Gauge,
    successful: Gauge,
    success_timestamp: Gauge<f64, AtomicU64>,
}

impl ReloadMetrics {
    /// New handles, registered in `registry`, whose prefix the caller chose.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = ReloadMetrics::default();
        registry.register(
            "targets",
            "Targets (911Proxy accounts) configured in --config.file",
            metrics.targets.clone(),
        );
        registry.register(
            "config_last_reload_successful",
            "1 when the last load of --config.file succeeded, 0 when it failed and the previous targets stay",
            metrics.successful.clone(),
        );
        registry.register_with_unit(
            "config_last_reload_success_timestamp",
            "Unix time of the last successful load of --config.file",
            Unit::Seconds,
            metrics.success_timestamp.clone(),
        );
        metrics
    }

    /// A load succeeded with `targets` targets.
    pub fn loaded(&self, targets: usize) {
        self.targets.set(i64::try_from(targets).unwrap_or(i64::MAX));
        self.successful.set(1);
        self.success_timestamp.set(unix_now());
    }

    /// A reload failed; the previous targets stay.
    pub fn failed(&self) {
        self.successful.set(0);
    }
}
