//! [`TailCache`]: the self metrics that end every scrape, encoded in both formats and
//! compressed at most once a second, or sooner when a collector's health changed. A cached
//! scrape then does no encoding and no compression at all: it joins stored bytes.
//!
//! Counters of the exporter's own requests may lag by up to a second; `proxy911_up` and the
//! collector gauges never show an outcome older than the last completed refresh, because a
//! change in any collector's report re-encodes the tail.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::cache::CollectorReport;
use crate::collector::CollectorId;
use crate::exposition::{DeflatePiece, Format};
use crate::metrics::SelfMetrics;

/// How long an encoded tail is reused when nothing else changed.
const MAX_TAIL_AGE: Duration = Duration::from_secs(1);

/// The self metrics, encoded once.
#[derive(Debug)]
pub(crate) struct Tail {
    pub text: Bytes,
    pub text_deflate: DeflatePiece,
    pub openmetrics: Bytes,
    pub openmetrics_deflate: DeflatePiece,
}

impl Tail {
    pub fn plain(&self, format: Format) -> &Bytes {
        match format {
            Format::Text => &self.text,
            Format::OpenMetrics => &self.openmetrics,
        }
    }

    pub fn gzip(&self, format: Format) -> &DeflatePiece {
        match format {
            Format::Text => &self.text_deflate,
            Format::OpenMetrics => &self.openmetrics_deflate,
        }
    }
}

/// What makes a tail out of date before its second is up: any collector's outcome.
type Key = Vec<(CollectorId, bool, Option<u64>, bool)>;

fn key(reports: &[CollectorReport]) -> Key {
    reports
        .iter()
        .map(|r| {
            (
                r.id,
                r.success,
                r.last_success_unix.map(f64::to_bits),
                r.cache_age.is_some(),
            )
        })
        .collect()
}

#[derive(Debug, Default)]
pub(crate) struct TailCache {
    // A std mutex: held to compare and swap an `Arc`, never across an `.await`. Encoding happens
    // outside it.
    current: Mutex<Option<(Instant, Key, Arc<Tail>)>>,
}

impl TailCache {
    /// The tail for a scrape whose collectors reported `reports`.
    pub fn get(&self, metrics: &SelfMetrics, reports: &[CollectorReport]) -> Arc<Tail> {
        let key = key(reports);
        let now = Instant::now();
        {
            let current = self.lock();
            if let Some((at, cached_key, tail)) = current.as_ref() {
                if *cached_key == key && now.duration_since(*at) < MAX_TAIL_AGE {
                    return Arc::clone(tail);
                }
            }
        }
        let tail = Arc::new(encode(metrics));
        *self.lock() = Some((now, key, Arc::clone(&tail)));
        tail
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Key, Arc<Tail>)>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn encode(metrics: &SelfMetrics) -> Tail {
    let mut text = String::with_capacity(16 * 1024);
    metrics.encode_text(&mut text);
    let mut openmetrics = String::with_capacity(16 * 1024);
    metrics.encode_openmetrics(&mut openmetrics);
    openmetrics.push_str("# EOF\n");
    // Kept until the next scrape: at its size, not at the capacity it grew to (a tail per
    // target, 1,000 targets: 79 KiB each before, measured in BENCHMARKS.md).
    text.shrink_to_fit();
    openmetrics.shrink_to_fit();
    Tail {
        text_deflate: DeflatePiece::compress_last(text.as_bytes()),
        openmetrics_deflate: DeflatePiece::compress_last(openmetrics.as_bytes()),
        text: Bytes::from(text),
        openmetrics: Bytes::from(openmetrics),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(success: bool) -> CollectorReport {
        CollectorReport {
            id: CollectorId::Accounts,
            success,
            duration: Duration::ZERO,
            last_success_unix: Some(1.0),
            cache_age: Some(Duration::ZERO),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_tail_is_reused_within_a_second_unless_a_collector_changed() {
        let metrics = SelfMetrics::new(crate::metrics::registry());
        let cache = TailCache::default();
        let first = cache.get(&metrics, &[report(true)]);
        assert!(Arc::ptr_eq(&first, &cache.get(&metrics, &[report(true)])));

        let changed = cache.get(&metrics, &[report(false)]);
        assert!(
            !Arc::ptr_eq(&first, &changed),
            "a changed outcome re-encodes"
        );

        tokio::time::sleep(MAX_TAIL_AGE).await;
        let later = cache.get(&metrics, &[report(false)]);
        assert!(
            !Arc::ptr_eq(&changed, &later),
            "older than a second re-encodes"
        );
        assert!(std::str::from_utf8(&later.openmetrics)
            .unwrap()
            .ends_with("# EOF\n"));
    }
}
