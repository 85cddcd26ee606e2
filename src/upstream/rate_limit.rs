//! The token bucket every upstream request passes (`--api.rate-limit`, `--api.rate-burst`).
//!
//! Hand-written on `tokio::time` rather than taken from `governor`: governor's async wait runs
//! on its own clock and timer, which tokio's paused test clock cannot drive, and pacing must be
//! testable without sleeping. Waiters queue on a fair tokio mutex, so they are served in order.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct TokenBucket {
    /// Time one token takes to refill.
    interval: Duration,
    /// How far ahead of its theoretical time a request may go: the burst, as time.
    tolerance: Duration,
    /// Theoretical arrival time of the next request (GCRA, the virtual-scheduling form of a
    /// token bucket): integer time arithmetic, so pacing is exact under a paused clock.
    next_at: Mutex<Instant>,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens, refilled at `per_second`.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let interval = Duration::from_secs_f64(1.0 / per_second);
        TokenBucket {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            next_at: Mutex::new(Instant::now()),
        }
    }

    /// Waits until a token is available and takes it.
    pub async fn acquire(&self) {
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
}
