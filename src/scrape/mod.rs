//! One scrape: serve every collector concurrently from its cache (refreshing those that are due,
//! up to the deadline), record the collectors' health ([`HealthMetrics`]), and assemble the answer from the stored
//! renderings plus the small self-metrics tail, as chunks that share the stored bytes.

use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use crate::cache::{CachePolicy, CollectorCache};
use crate::collector::{CollectorId, CollectorSpec};
use crate::exposition::{gzip_join, Format, Part, Rendered};
use crate::metrics::SelfMetrics;

mod health;
mod tail;

pub use health::HealthMetrics;
use tail::{Tail, TailCache};

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
    pub(crate) fn invalidate(&self, collector: CollectorId) {
        for cache in self.caches.iter().filter(|c| c.id() == collector) {
            cache.invalidate();
        }
    }

    /// One scrape in `format`: the collectors' compressed renderings and the self-metrics tail.
    pub async fn scrape(&self, deadline: Instant, format: Format) -> Answer {
        let served = futures::future::join_all(self.caches.iter().map(|c| c.serve(deadline))).await;
        let reports: Vec<_> = served.iter().map(|s| s.report).collect();
        self.health.record(&reports);
        Answer {
            renderings: served.iter().filter_map(|s| s.data.clone()).collect(),
            tail: self.tail.get(&self.metrics, &reports),
            format,
        }
    }
}

/// What one scrape sends: stored bytes only, shared, never copied.
#[derive(Debug)]
pub struct Answer {
    renderings: Vec<Arc<Rendered>>,
    tail: Arc<Tail>,
    format: Format,
}

impl Answer {
    /// One gzip member, as chunks.
    pub fn gzip(&self) -> Vec<Bytes> {
        let pieces = self.renderings.iter().map(|r| r.piece(self.format));
        gzip_join(pieces, self.tail.gzip(self.format))
    }

    /// For a client that takes no gzip: each collector's plain text where it is small and kept,
    /// its raw DEFLATE (to inflate as it is sent) where it is large, then the plain tail; and
    /// the plain length of the whole.
    pub fn plain(&self) -> (Vec<Part>, u64) {
        let mut len = 0;
        let mut parts: Vec<Part> = self
            .renderings
            .iter()
            .map(|r| {
                let piece = r.piece(self.format);
                len += piece.plain_len();
                match r.small_plain(self.format) {
                    Some(plain) => Part::Plain(plain),
                    None => Part::Deflate(piece.deflate().clone()),
                }
            })
            .collect();
        let tail = self.tail.plain(self.format).clone();
        len += tail.len() as u64;
        parts.push(Part::Plain(tail));
        (parts, len)
    }
}
