//! The token bucket every upstream request passes (`--api.rate-limit`, `--api.rate-burst`).
//!
//! Hand-written on `tokio::time` rather than taken from `governor`: governor's async wait runs
//! on its own clock and timer, which tokio's paused test clock cannot drive, and pacing must be
//! testable without sleeping. Waiters queue on a fair tokio mutex, so they are served in order.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The slowest pacing: one request an hour, far below the command line's slowest rate, and small
/// enough that no deadline computed from it can overflow.
const MAX_INTERVAL: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub(crate) struct TokenBucket {
    /// Time one token takes to refill.
    interval: Duration,
    /// How far ahead of its theoretical time a request may go: the burst, as time.
    tolerance: Duration,
    /// Theoretical arrival time of the next request (GCRA, the virtual-scheduling form of a
    /// token bucket): integer time arithmetic, so pacing is exact under a paused clock.
    next_at: Mutex<Instant>,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens, refilled at `per_second`. Total over every `f64`: the
    /// command line bounds the rate, but a library caller may not, and `from_secs_f64` panics
    /// on an interval it cannot represent (`1e-20` per second). A rate of zero, below zero or
    /// NaN paces at the slowest interval; an infinite one does not pace.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let interval = match Duration::try_from_secs_f64(1.0 / per_second) {
            Ok(interval) if per_second > 0.0 => interval.min(MAX_INTERVAL),
            _ => MAX_INTERVAL,
        };
        TokenBucket {
            interval,
            tolerance: interval.saturating_mul(burst.max(1) - 1),
            next_at: Mutex::new(Instant::now()),
        }
    }

    /// Waits until a token is available and takes it.
    pub(crate) async fn acquire(&self) {
        // Holding the async mutex across the sleep is the point: later callers queue behind the
        // one waiting for the next token, in order.
        let mut next_at = self.next_at.lock().await;
        let now = Instant::now();
        let theoretical = (*next_at).max(now);
        if let Some(allowed_at) = theoretical.checked_sub(self.tolerance) {
            if allowed_at > now {
                tokio::time::sleep_until(allowed_at).await;
            }
        }
        *next_at = theoretical + self.interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_requests_are_paced() {
        let bucket = TokenBucket::new(2.0, 3);
        let start = Instant::now();
        for _ in 0..3 {
            bucket.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);

        bucket.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        bucket.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_spell_refills_the_bucket_up_to_its_size() {
        let bucket = TokenBucket::new(1.0, 2);
        bucket.acquire().await;
        bucket.acquire().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        let start = Instant::now();
        bucket.acquire().await;
        bucket.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        bucket.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_bucket() {
        let bucket = std::sync::Arc::new(TokenBucket::new(10.0, 1));
        let start = Instant::now();
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let bucket = bucket.clone();
                tokio::spawn(async move { bucket.acquire().await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        // One token at once, then four more at 10 per second.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn no_rate_however_extreme_panics_and_each_paces_sensibly() {
        for (rate, interval) in [
            (1e-20, MAX_INTERVAL),
            (f64::MIN_POSITIVE, MAX_INTERVAL),
            (5e-324, MAX_INTERVAL),
            (0.0, MAX_INTERVAL),
            (-0.0, MAX_INTERVAL),
            (-2.0, MAX_INTERVAL),
            (f64::NAN, MAX_INTERVAL),
            (f64::NEG_INFINITY, MAX_INTERVAL),
            (f64::INFINITY, Duration::ZERO),
            (f64::MAX, Duration::ZERO),
            (1e308, Duration::ZERO),
        ] {
            let bucket = TokenBucket::new(rate, u32::MAX);
            assert_eq!(bucket.interval, interval, "{rate}");
            let start = Instant::now();
            bucket.acquire().await;
            bucket.acquire().await;
            assert_eq!(start.elapsed(), Duration::ZERO, "{rate}: within the burst");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_rate_and_burst_make_a_bucket(rate in proptest::num::f64::ANY, burst in 0..=u32::MAX) {
            let bucket = TokenBucket::new(rate, burst);
            proptest::prop_assert!(bucket.interval <= MAX_INTERVAL);
        }
    }
}
