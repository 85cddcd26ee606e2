//! [`HealthMetrics`]: each collector's health as the last scrape found it (`proxy911_up`,
//! `proxy911_collector_*`), set from the caches' reports. Owned and registered by the scrape
//! side.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::cache::CollectorReport;
use crate::collector::CollectorId;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CollectorLabels {
    collector: CollectorId,
}

type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Default)]
pub struct HealthMetrics {
    up: Gauge,
    success: Family<CollectorLabels, Gauge>,
    duration: Family<CollectorLabels, FloatGauge>,
    last_success: Family<CollectorLabels, FloatGauge>,
    cache_age: Family<CollectorLabels, FloatGauge>,
}

impl HealthMetrics {
    /// New handles, registered in `registry`, whose prefix the caller chose.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = HealthMetrics::default();
        let p = registry;
        p.register(
            "up",
            "1 when every collector's last refresh of upstream data succeeded",
            metrics.up.clone(),
        );
        p.register(
            "collector_success",
            "1 when the collector's last refresh succeeded, 0 when it failed",
            metrics.success.clone(),
        );
        p.register_with_unit(
            "collector_duration",
            "Duration of the collector's last refresh",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        p.register_with_unit(
            "collector_last_success_timestamp",
            "Unix time of the collector's last successful refresh",
            Unit::Seconds,
            metrics.last_success.clone(),
        );
        p.register_with_unit(
            "collector_cache_age",
            "Age of the cached data the collector serves (absent when none is served)",
            Unit::Seconds,
            metrics.cache_age.clone(),
        );
        metrics
    }

    /// Sets the collector gauges and `proxy911_up` from the reports of one scrape.
    pub fn record(&self, reports: &[CollectorReport]) {
        for report in reports {
            let labels = CollectorLabels {
                collector: report.id,
            };
            self.success
                .get_or_create(&labels)
                .set(i64::from(report.success));
            self.duration
                .get_or_create(&labels)
                .set(report.duration.as_secs_f64());
            if let Some(at) = report.last_success_unix {
                self.last_success.get_or_create(&labels).set(at);
            }
            match report.cache_age {
                Some(age) => {
                    self.cache_age.get_or_create(&labels).set(age.as_secs_f64());
                }
                None => {
                    self.cache_age.remove(&labels);
                }
            }
        }
        self.up.set(i64::from(reports.iter().all(|r| r.success)));
    }
}
