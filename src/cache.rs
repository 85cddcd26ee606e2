//! The per-collector cache: explicit policy for when the upstream is asked.
//!
//! - A scrape refreshes a collector whose last refresh is older than the TTL (or that was
//!   invalidated by an admin change); otherwise it serves the stored rendering.
//! - Stale-while-revalidate: once a collector has data, a scrape that finds it due is answered
//!   at once from that data while the refresh runs in the background; only a collector without
//!   data, or whose data an admin change invalidated, makes the scrape wait for the refresh.
//! - Single flight: a refresh runs as its own task; every scrape that arrives meanwhile waits
//!   on that same task, so any number of scrapers cause one upstream request per endpoint.
//! - A scrape waits only until its deadline; the refresh goes on and fills the cache.
//! - A failed refresh keeps the last good rendering until it is older than `max_stale`, then
//!   drops it. The cause is logged once per change of cause, not once per scrape.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::collector::{CollectorId, CollectorSpec};
use crate::exposition::Rendered;
use crate::metrics::unix_now;
use crate::upstream::UpstreamError;

/// Why a refresh produced no new data.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RefreshError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The rendering task ended without a result (it cannot fail on input; a runtime shutting
    /// down can end it).
    #[error("rendering the refreshed data failed: {0}")]
    Render(String),
    /// The rendering task was cancelled: the runtime is shutting down.
    #[error("the refresh was cancelled by shutdown")]
    Cancelled,
}

/// The state of one collector after a scrape, as the self metrics show it.
#[derive(Debug, Clone, Copy)]
pub struct CollectorReport {
    pub id: CollectorId,
    pub success: bool,
    pub duration: Duration,
    /// Unix time of the last successful refresh.
    pub last_success_unix: Option<f64>,
    /// Age of the data served, if any is served.
    pub cache_age: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    pub ttl: Duration,
    pub max_stale: Duration,
}

/// What one scrape gets from one collector.
#[derive(Debug, Clone)]
pub struct Served {
    pub data: Option<Arc<Rendered>>,
    pub report: CollectorReport,
}

#[derive(Debug)]
pub(crate) struct CollectorCache {
    spec: CollectorSpec,
    policy: CachePolicy,
    // A std mutex: it is never held across an `.await`, and every critical section is short.
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    data: Option<Arc<Rendered>>,
    succeeded_at: Option<Instant>,
    succeeded_unix: Option<f64>,
    /// When the last refresh finished, successful or not.
    attempted_at: Option<Instant>,
    last_ok: bool,
    last_duration: Duration,
    /// Set while a refresh runs; turns `true` when it is done.
    in_flight: Option<watch::Receiver<bool>>,
    /// Bumped by [`CollectorCache::invalidate`]; a refresh that started before the bump does not
    /// count as fresh.
    generation: u64,
    refreshed_generation: u64,
    failure_cause: Option<String>,
}

impl CollectorCache {
    pub fn new(spec: CollectorSpec, policy: CachePolicy) -> Arc<Self> {
        Arc::new(CollectorCache {
            spec,
            policy,
            state: Mutex::new(State::default()),
        })
    }

    pub fn id(&self) -> CollectorId {
        self.spec.id
    }

    /// Serves this collector for one scrape. Data older than the TTL is served at once while a
    /// refresh runs in the background (stale-while-revalidate); only a collector with no data,
    /// or whose data an admin change invalidated, makes the scrape wait for its refresh, at most
    /// until `deadline`.
    pub async fn serve(self: &Arc<Self>, deadline: Instant) -> Served {
        // A loop, because an invalidation that arrives while a refresh runs needs one more
        // refresh: the scrape waits for that one too, deadline permitting. Only an invalidation:
        // a refresh that failed does not start another in the same scrape, even when the TTL
        // (0 s, say) has run out again meanwhile.
        let mut waited = false;
        loop {
            let in_flight = {
                let mut state = self.lock();
                self.drop_if_too_stale(&mut state);
                let invalidated = state.generation != state.refreshed_generation;
                if self.is_due(&mut state) && (!waited || invalidated) {
                    self.start_refresh(&mut state);
                }
                let must_wait = state.data.is_none() || invalidated;
                match &state.in_flight {
                    Some(done) if must_wait => done.clone(),
                    _ => break,
                }
            };
            let mut done = in_flight;
            // An error means the refresh task ended without reporting (it cannot panic on input,
            // but a dropped runtime could end it): serve what there is.
            let finished = tokio::time::timeout_at(deadline, done.wait_for(|done| *done))
                .await
                .is_ok_and(|reported| reported.is_ok());
            if !finished {
                break;
            }
            waited = true;
        }
        let mut state = self.lock();
        self.drop_if_too_stale(&mut state);
        let now = Instant::now();
        Served {
            data: state.data.clone(),
            report: CollectorReport {
                id: self.spec.id,
                success: state.last_ok,
                duration: state.last_duration,
                last_success_unix: state.succeeded_unix,
                cache_age: state
                    .data
                    .as_ref()
                    .and(state.succeeded_at)
                    .map(|at| now.duration_since(at)),
            },
        }
    }

    /// Marks the data as out of date: the next scrape refreshes it, whatever the TTL.
    pub(crate) fn invalidate(&self) {
        self.lock().generation += 1;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere while holding it; the state stays usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_due(&self, state: &mut State) -> bool {
        if let Some(done) = &state.in_flight {
            if done.has_changed().is_ok() && !*done.borrow() {
                return false; // a refresh is running: join it
            }
            state.in_flight = None;
        }
        match state.attempted_at {
            None => true,
            Some(_) if state.generation != state.refreshed_generation => true,
            // A collector may set a TTL of its own (coverage that changes rarely).
            Some(at) => at.elapsed() >= self.spec.ttl.unwrap_or(self.policy.ttl),
        }
    }

    fn start_refresh(self: &Arc<Self>, state: &mut State) {
        let (done_tx, done_rx) = watch::channel(false);
        state.in_flight = Some(done_rx);
        let generation = state.generation;
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let started = Instant::now();
            let result = match (cache.spec.fetch)().await {
                // Rendering 10,000 accounts takes milliseconds of CPU: keep it off the reactor.
                Ok(families) => tokio::task::spawn_blocking(move || {
                    let rendered = Rendered::new(families);
                    release_freed_memory();
                    rendered
                })
                .await
                .map_err(|e| {
                    if e.is_cancelled() {
                        RefreshError::Cancelled
                    } else {
                        RefreshError::Render(e.to_string())
                    }
                }),
                Err(e) => Err(RefreshError::Upstream(e)),
            };
            if matches!(result, Err(RefreshError::Cancelled)) {
                // The runtime is shutting down: nothing failed, and nobody is left to tell.
                return;
            }
            cache.finish_refresh(generation, started.elapsed(), result);
            let _ = done_tx.send(true);
        });
    }

    fn finish_refresh(
        &self,
        generation: u64,
        took: Duration,
        result: Result<Rendered, RefreshError>,
    ) {
        let mut state = self.lock();
        let now = Instant::now();
        state.attempted_at = Some(now);
        state.refreshed_generation = generation;
        state.last_duration = took;
        state.in_flight = None;
        match result {
            Ok(rendered) => {
                tracing::debug!(
                    collector = self.spec.id.as_str(),
                    samples = rendered.samples,
                    ?took,
                    "refreshed"
                );
                state.data = Some(Arc::new(rendered));
                state.succeeded_at = Some(now);
                state.succeeded_unix = Some(unix_now());
                state.last_ok = true;
                if state.failure_cause.take().is_some() {
                    tracing::info!(
                        collector = self.spec.id.as_str(),
                        "upstream refresh recovered"
                    );
                }
            }
            Err(error) => {
                state.last_ok = false;
                let cause = error.to_string();
                if state.failure_cause.as_deref() != Some(cause.as_str()) {
                    tracing::warn!(
                        collector = self.spec.id.as_str(),
                        error = %cause,
                        serving_last_good = state.data.is_some(),
                        "upstream refresh failed"
                    );
                    state.failure_cause = Some(cause);
                }
            }
        }
    }

    fn drop_if_too_stale(&self, state: &mut State) {
        // A collector with a TTL of its own (longer than --cache.max-stale, say an hour) keeps
        // healthy data that long: its stale limit counts from when the data fell due.
        let limit = match self.spec.ttl {
            Some(ttl) => ttl + self.policy.max_stale,
            None => self.policy.max_stale,
        };
        let too_old = state.succeeded_at.is_some_and(|at| at.elapsed() > limit);
        if too_old && state.data.take().is_some() {
            tracing::warn!(
                collector = self.spec.id.as_str(),
                max_stale = ?self.policy.max_stale,
                "last good data is older than --cache.max-stale: its series are dropped"
            );
        }
    }
}

/// A refresh frees as much as it keeps (the answer, the snapshot, the families); glibc keeps
/// freed memory mapped unless asked, so resident memory would ratchet up to the largest refresh
/// seen. Returning it keeps the exporter's footprint close to the renderings it holds.
///
/// `malloc_trim` walks the whole heap: after every refresh it was 36% of the exporter's CPU with
/// 1,000 targets refreshing (BENCHMARKS.md, "Several targets"). So a refresh only asks for it,
/// and one thread trims at most once a second, within a second of the last refresh that asked.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::OnceLock;
        static ASKED: AtomicBool = AtomicBool::new(false);
        static TRIMMER: OnceLock<()> = OnceLock::new();
        ASKED.store(true, Ordering::Relaxed);
        TRIMMER.get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("malloc-trim".into())
                .spawn(|| loop {
                    std::thread::sleep(Duration::from_secs(1));
                    if ASKED.swap(false, Ordering::Relaxed) {
                        // SAFETY: malloc_trim only returns free heap pages to the kernel.
                        unsafe {
                            libc::malloc_trim(0);
                        }
                    }
                });
            // Without the thread (none can be started), memory is simply returned later.
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the thread that returns freed memory");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::DataFamily;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A collector whose fetch counts its calls, takes `latency`, and fails while `failing` is set.
    struct Fake {
        calls: Arc<AtomicUsize>,
        failing: Arc<std::sync::atomic::AtomicBool>,
        cache: Arc<CollectorCache>,
    }

    fn fake(latency: Duration, ttl: Duration, max_stale: Duration) -> Fake {
        fake_with_own_ttl(latency, ttl, max_stale, None)
    }

    fn fake_with_own_ttl(
        latency: Duration,
        ttl: Duration,
        max_stale: Duration,
        own_ttl: Option<Duration>,
    ) -> Fake {
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (c, f) = (calls.clone(), failing.clone());
        let spec = CollectorSpec {
            id: CollectorId::Accounts,
            ttl: own_ttl,
            fetch: Arc::new(move || {
                let (c, f) = (c.clone(), f.clone());
                Box::pin(async move {
                    let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                    tokio::time::sleep(latency).await;
                    if f.load(Ordering::SeqCst) {
                        return Err(UpstreamError::Http { status: 500 });
                    }
                    let mut family = DataFamily::gauge("fake", "Fake", None);
                    family.push(vec![], n as f64);
                    Ok(vec![family])
                })
            }),
        };
        Fake {
            calls,
            failing,
            cache: CollectorCache::new(spec, CachePolicy { ttl, max_stale }),
        }
    }

    /// The value served once the refresh in flight has finished: rendering runs on a blocking
    /// thread, which the paused clock does not wait for.
    async fn settled(cache: &Arc<CollectorCache>) -> Option<f64> {
        for _ in 0..100 {
            let in_flight = cache.lock().in_flight.clone();
            match in_flight {
                Some(mut done) => {
                    let _ = done.wait_for(|done| *done).await;
                }
                None => break,
            }
        }
        value(&cache.serve(far()).await)
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    fn value(served: &Served) -> Option<f64> {
        let data = served.data.as_ref()?;
        let text = data.plain(crate::exposition::Format::Text);
        let line = text.lines().find(|l| l.starts_with("proxy911_fake "))?;
        line["proxy911_fake ".len()..].parse().ok()
    }

    #[tokio::test(start_paused = true)]
    async fn with_a_ttl_of_zero_each_scrape_refreshes_exactly_once() {
        let fake = fake(
            Duration::from_millis(10),
            Duration::ZERO,
            Duration::from_secs(900),
        );
        for scrape in 1..=3 {
            // The first waits for its data; the others are served the last refresh's while
            // their own runs (stale-while-revalidate).
            let served = value(&fake.cache.serve(far()).await);
            assert_eq!(served, Some((scrape - 1).max(1) as f64), "scrape {scrape}");
            // One refresh per scrape, and nothing more started behind the answer.
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert_eq!(fake.calls.load(Ordering::SeqCst), scrape, "scrape {scrape}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_scrapes_share_one_refresh() {
        let fake = fake(
            Duration::from_millis(100),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        let scrapes: Vec<_> = (0..50)
            .map(|_| {
                let cache = fake.cache.clone();
                tokio::spawn(async move { cache.serve(far()).await })
            })
            .collect();
        for scrape in scrapes {
            assert_eq!(value(&scrape.await.unwrap()), Some(1.0));
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn data_is_served_from_cache_within_the_ttl_and_refreshed_after() {
        let fake = fake(
            Duration::ZERO,
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        fake.cache.serve(far()).await;
        tokio::time::sleep(Duration::from_secs(59)).await;
        let served = fake.cache.serve(far()).await;
        assert_eq!(value(&served), Some(1.0));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);

        tokio::time::sleep(Duration::from_secs(1)).await;
        let served = fake.cache.serve(far()).await;
        assert_eq!(value(&served), Some(1.0), "stale data, served at once");
        assert_eq!(
            settled(&fake.cache).await,
            Some(2.0),
            "the next scrape gets the refresh"
        );
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_collector_with_a_ttl_of_its_own_refreshes_on_that_ttl() {
        let fake = fake_with_own_ttl(
            Duration::ZERO,
            Duration::from_secs(60),
            Duration::from_secs(7200),
            Some(Duration::from_secs(3600)),
        );
        fake.cache.serve(far()).await;
        tokio::time::sleep(Duration::from_secs(3599)).await;
        assert_eq!(value(&fake.cache.serve(far()).await), Some(1.0));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1, "not on --cache.ttl");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            value(&fake.cache.serve(far()).await),
            Some(1.0),
            "stale, at once"
        );
        assert_eq!(settled(&fake.cache).await, Some(2.0));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_own_ttl_keeps_healthy_data_past_max_stale() {
        let fake = fake_with_own_ttl(
            Duration::ZERO,
            Duration::from_secs(60),
            Duration::from_secs(900),
            Some(Duration::from_secs(3600)),
        );
        fake.cache.serve(far()).await;
        tokio::time::sleep(Duration::from_secs(3599)).await;
        assert_eq!(value(&fake.cache.serve(far()).await), Some(1.0));
        fake.failing.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(901)).await;
        assert_eq!(
            settled(&fake.cache).await,
            Some(1.0),
            "due 1 s + failing 900 s"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(settled(&fake.cache).await, None, "past its TTL + max-stale");
    }

    #[tokio::test(start_paused = true)]
    async fn once_there_is_data_no_scrape_waits_for_a_refresh() {
        let fake = fake(
            Duration::from_secs(8),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        fake.cache.serve(far()).await;
        tokio::time::sleep(Duration::from_secs(60)).await;

        let start = Instant::now();
        let served = fake.cache.serve(far()).await;

        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(value(&served), Some(1.0));
        assert!(
            served.report.success,
            "the last completed refresh succeeded"
        );
        assert_eq!(served.report.cache_age, Some(Duration::from_secs(60)));
        tokio::time::sleep(Duration::from_secs(8)).await;
        assert_eq!(settled(&fake.cache).await, Some(2.0));
    }

    #[tokio::test(start_paused = true)]
    async fn across_ttl_expiries_scrapes_never_wait_and_each_ttl_costs_one_refresh() {
        let fake = fake(
            Duration::from_millis(200),
            Duration::from_secs(1),
            Duration::from_secs(900),
        );
        fake.cache.serve(far()).await; // the first fill waits: there is nothing to serve yet
        let mut longest = Duration::ZERO;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let start = Instant::now();
            assert!(value(&fake.cache.serve(far()).await).is_some());
            longest = longest.max(start.elapsed());
        }
        assert_eq!(longest, Duration::ZERO);
        // 4 s of scrapes, a TTL of 1 s counted from each refresh's end (200 ms long): 1 + 3.
        assert_eq!(fake.calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalidated_collector_makes_the_scrape_wait_for_fresh_data() {
        let fake = fake(
            Duration::from_secs(2),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        fake.cache.serve(far()).await;
        fake.cache.invalidate();

        let start = Instant::now();
        let served = fake.cache.serve(far()).await;

        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(value(&served), Some(2.0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_scrape_answers_at_its_deadline_while_the_refresh_goes_on() {
        let fake = fake(
            Duration::from_secs(8),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        let start = Instant::now();
        let served = fake.cache.serve(start + Duration::from_secs(3)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert!(served.data.is_none());
        assert!(!served.report.success);

        tokio::time::sleep(Duration::from_secs(6)).await;
        let served = fake.cache.serve(far()).await;
        assert_eq!(value(&served), Some(1.0));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_keeps_last_good_data_until_max_stale() {
        let fake = fake(
            Duration::ZERO,
            Duration::from_secs(60),
            Duration::from_secs(300),
        );
        fake.cache.serve(far()).await;
        fake.failing.store(true, Ordering::SeqCst);

        tokio::time::sleep(Duration::from_secs(61)).await;
        let served = fake.cache.serve(far()).await;
        assert!(
            served.report.success,
            "the failing refresh has not completed yet"
        );
        let in_flight = fake.cache.lock().in_flight.clone();
        if let Some(mut done) = in_flight {
            let _ = done.wait_for(|done| *done).await;
        }
        let served = fake.cache.serve(far()).await;
        assert!(!served.report.success);
        assert_eq!(value(&served), Some(1.0));
        assert_eq!(served.report.cache_age, Some(Duration::from_secs(61)));

        tokio::time::sleep(Duration::from_secs(240)).await;
        let served = fake.cache.serve(far()).await;
        assert!(served.data.is_none(), "older than max-stale: dropped");
        assert!(served.report.cache_age.is_none());

        fake.failing.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(60)).await;
        let served = fake.cache.serve(far()).await;
        assert!(served.report.success);
        assert!(value(&served).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_collector_without_data_is_asked_once_per_ttl_however_often_it_is_scraped() {
        let fake = fake(
            Duration::from_millis(100),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        fake.failing.store(true, Ordering::SeqCst);

        let first = fake.cache.serve(far()).await;
        assert!(first.data.is_none() && !first.report.success);
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let served = fake.cache.serve(far()).await;
            assert!(served.data.is_none() && !served.report.success);
        }
        // 40 s of scrapes, none of them past the TTL counted from the failed attempt's end.
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            1,
            "a failed refresh counts as an attempt: no retry within the TTL"
        );

        tokio::time::sleep(Duration::from_millis(20_100)).await;
        fake.cache.serve(far()).await;
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            2,
            "retried once the TTL is over"
        );
        for _ in 0..10 {
            fake.cache.serve(far()).await;
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_collector_with_data_serves_it_and_is_asked_once_per_ttl() {
        // A latency of whole milliseconds: a zero sleep would end on the next millisecond tick.
        let fake = fake(
            Duration::from_millis(100),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        fake.cache.serve(far()).await;
        fake.failing.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(60)).await;
        fake.cache.serve(far()).await; // due: the failing refresh starts
        assert_eq!(settled(&fake.cache).await, Some(1.0), "the last good data");
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);

        for _ in 0..29 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let served = fake.cache.serve(far()).await;
            assert_eq!(value(&served), Some(1.0));
            assert!(!served.report.success);
        }
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            2,
            "no retry within the TTL"
        );

        tokio::time::sleep(Duration::from_secs(2)).await;
        fake.cache.serve(far()).await; // due again: the next refresh starts
        assert_eq!(settled(&fake.cache).await, Some(1.0));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 3, "one retry after it");
    }

    #[tokio::test(start_paused = true)]
    async fn with_a_ttl_of_zero_a_failing_collector_is_asked_once_per_scrape_not_until_the_deadline(
    ) {
        let fake = fake(
            Duration::from_millis(100),
            Duration::ZERO,
            Duration::from_secs(900),
        );
        fake.failing.store(true, Ordering::SeqCst);

        let served = fake
            .cache
            .serve(Instant::now() + Duration::from_secs(10))
            .await;
        assert!(served.data.is_none() && !served.report.success);
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            1,
            "one refresh per scrape"
        );
        fake.cache
            .serve(Instant::now() + Duration::from_secs(10))
            .await;
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalidation_makes_the_next_scrape_refresh_within_the_ttl() {
        let fake = fake(
            Duration::ZERO,
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        fake.cache.serve(far()).await;
        fake.cache.invalidate();
        let served = fake.cache.serve(far()).await;
        assert_eq!(value(&served), Some(2.0));
        fake.cache.serve(far()).await;
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalidation_during_a_refresh_is_not_lost() {
        let fake = fake(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::from_secs(900),
        );
        let cache = fake.cache.clone();
        let first = tokio::spawn(async move { cache.serve(far()).await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        fake.cache.invalidate();
        first.await.unwrap();
        fake.cache.serve(far()).await;
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }
}
