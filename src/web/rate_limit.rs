//! The web config's top-level `rate_limit` (`interval`, `burst`): one token bucket for the whole
//! listener, as exporter-toolkit builds it with Go's `rate.NewLimiter(rate.Every(interval),
//! burst)`: it starts full with `burst` tokens, one token comes back every `interval`, a request
//! takes one, and a request that finds none is answered 429. `interval: 0` means no limit; a
//! `burst` of 0 with a non-zero interval refuses everything, as Go's does.
//!
//! Hand-written rather than `governor`: Go's semantics (a zero burst, fractional refill) are a
//! dozen lines, and the clock is tokio's so that tests drive it on a paused clock. Also here:
//! the parser of Go's duration syntax (`1s`, `1m30s`, `1.5h`, `0`) the interval is written in.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// `rate_limit` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub interval: Duration,
    pub burst: u32,
}

/// The bucket of one loaded configuration.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    burst: f64,
    // A std lock: held for a few arithmetic operations, never across an `.await`.
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limiter {
    /// `None` when `interval` is zero: no limit.
    pub fn new(limit: RateLimit) -> Option<Limiter> {
        if limit.interval.is_zero() {
            return None;
        }
        let burst = f64::from(limit.burst);
        Some(Limiter {
            interval: limit.interval,
            burst,
            state: Mutex::new(Bucket {
                tokens: burst,
                at: Instant::now(),
            }),
        })
    }

    /// Takes a token if one is there.
    pub fn allow(&self) -> bool {
        let mut bucket = match self.state.lock() {
            Ok(bucket) => bucket,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(bucket.at);
        bucket.at = now;
        let refill = elapsed.as_secs_f64() / self.interval.as_secs_f64();
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Why a Go duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a duration (Go's syntax: 0, 500ms, 1s, 1m30s, 1.5h)")]
pub(crate) struct BadDuration(pub String);

/// Go's `time.ParseDuration` for non-negative durations: a sequence of decimal numbers, each
/// with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), or a bare `0`.
pub(crate) fn parse_go_duration(text: &str) -> Result<Duration, BadDuration> {
    let bad = || BadDuration(text.to_string());
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += value * nanos_per_unit;
    }
    // Go's durations are at most i64 nanoseconds (about 292 years).
    if !total.is_finite() || total > i64::MAX as f64 {
        return Err(bad());
    }
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn go_durations_are_read_as_go_reads_them() {
        for (text, expected) in [
            ("0", Duration::ZERO),
            ("1s", Duration::from_secs(1)),
            ("500ms", Duration::from_millis(500)),
            ("1m30s", Duration::from_secs(90)),
            ("1.5h", Duration::from_secs(5400)),
            ("2us", Duration::from_micros(2)),
            ("3µs", Duration::from_micros(3)),
            ("7ns", Duration::from_nanos(7)),
            ("+1s", Duration::from_secs(1)),
        ] {
            assert_eq!(parse_go_duration(text), Ok(expected), "{text}");
        }
        for text in ["", "1", "s", "1x", "-1s", "1..5s", ".s", "1s2", "0s0"] {
            assert!(parse_go_duration(text).is_err(), "{text}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_allows_burst_requests_then_one_per_interval() {
        let limiter = Limiter::new(RateLimit {
            interval: Duration::from_secs(1),
            burst: 2,
        })
        .unwrap();
        assert!(limiter.allow() && limiter.allow());
        assert!(!limiter.allow());
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(!limiter.allow());
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(limiter.allow());
        assert!(!limiter.allow());
    }

    #[test]
    fn a_zero_interval_is_no_limit_and_a_zero_burst_refuses_everything() {
        let none = RateLimit {
            interval: Duration::ZERO,
            burst: 0,
        };
        assert!(Limiter::new(none).is_none());
        let zero = RateLimit {
            interval: Duration::from_secs(1),
            burst: 0,
        };
        let limiter = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async { Limiter::new(zero).unwrap() });
        assert!(!limiter.allow());
    }

    proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_a_panic(text in "\\PC{0,12}") {
            let _ = parse_go_duration(&text);
        }

        #[test]
        fn a_sum_of_units_reads_as_the_sum(h in 0u64..100, m in 0u64..60, s in 0u64..60, ms in 0u64..1000) {
            let text = format!("{h}h{m}m{s}s{ms}ms");
            let expected = Duration::from_secs(h * 3600 + m * 60 + s) + Duration::from_millis(ms);
            prop_assert_eq!(parse_go_duration(&text), Ok(expected));
        }
    }
}
