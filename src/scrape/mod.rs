//! One scrape: serve every collector concurrently from its cache (refreshing those that are due,
//! up to the deadline), record the collectors' health ([`HealthMetrics`]), and assemble the answer from the stored
//! renderings plus the small self-metrics tail, as chunks that share the stored bytes.

use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use crate::cache::{CachePolicy, CollectorCache};
use crate::collector::{CollectorId, CollectorSpec};
use crate::exposition::{gzip_join, Format, Rendered};
use crate::metrics::SelfMetrics;

mod health;
mod tail;

pub use health::HealthMetrics;
use tail::TailCache;

/// All collectors' caches and the self metrics: the exporter's scrape-side state.
#[derive(Debug)]
pub struct Scraper {
    caches: Vec<Arc<CollectorCache>>,
    health: HealthMetrics,
    metrics: Arc<SelfMetrics>,
    tail: TailCache,
}

impl Scraper {
    pub fn new(
        collectors: Vec<CollectorSpec>,
        policy: CachePolicy,
        health: HealthMetrics,
        metrics: Arc<SelfMetrics>,
    ) -> Self {
        Scraper {
            caches: collectors
                .into_iter()
                .map(|spec| CollectorCache::new(spec, policy))
                .collect(),
            health,
            metrics,
            tail: TailCache::default(),
        }
    }

    pub fn metrics(&self) -> &Arc<SelfMetrics> {
        &self.metrics
    }

    /// Makes the collector refresh on the next scrape (after an admin change).
    pub fn invalidate(&self, collector: CollectorId) {
        for cache in self.caches.iter().filter(|c| c.id() == collector) {
            cache.invalidate();
        }
    }

    /// The body of one scrape, as chunks; gzip-compressed if `gzip`.
    pub async fn scrape(&self, deadline: Instant, format: Format, gzip: bool) -> Vec<Bytes> {
        let served = futures::future::join_all(self.caches.iter().map(|c| c.serve(deadline))).await;
        let reports: Vec<_> = served.iter().map(|s| s.report).collect();
        self.health.record(&reports);

        let tail = self.tail.get(&self.metrics, &reports);
        let renderings: Vec<&Rendered> = served.iter().filter_map(|s| s.data.as_deref()).collect();
        if gzip {
            let pieces = renderings.iter().map(|r| match format {
                Format::Text => &r.text_gzip,
                Format::OpenMetrics => &r.openmetrics_gzip,
            });
            return gzip_join(pieces, tail.gzip(format));
        }
        let mut chunks: Vec<Bytes> = renderings
            .iter()
            .map(|r| match format {
                Format::Text => r.text.clone(),
                Format::OpenMetrics => r.openmetrics.clone(),
            })
            .collect();
        chunks.push(tail.plain(format).clone());
        chunks
    }
}
