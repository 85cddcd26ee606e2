//! [`FailureLog`]: how often a refused admin authentication may be logged: at most one
//! line per client IP per minute, so a token-guessing client is visible without flooding the
//! log. Every refusal is still counted in `proxy911_admin_auth_failures_total`.
//!
//! Bounded: at most [`MAX_CLIENTS`] addresses are remembered. Entries older than a minute are
//! pruned when the map is full (at most once per expiry, not per request); if it is still full,
//! the flood is of that many distinct addresses within a minute, and new addresses get one line
//! saying so per minute instead of one each. The map never grows past the bound, and the log
//! past `MAX_CLIENTS + 1` lines a minute, whatever the number of source addresses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long a client's line keeps its further refusals out of the log.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Most client addresses remembered at once (a few hundred KiB at most).
pub(crate) const MAX_CLIENTS: usize = 4096;

/// Whether to write a log line for this refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Log it; `suppressed` refusals from the same client were left out since its last line.
    Line { suppressed: u64 },
    /// Log one line saying that too many clients are being refused to name each.
    TooManyClients,
    /// This client (or the flood) was logged less than a minute ago.
    Quiet,
}

#[derive(Debug, Default)]
pub(crate) struct FailureLog {
    // A std mutex: held for a map lookup, never across an `.await`.
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The last line per client (`None`: the address is unknown, as in-process).
    clients: HashMap<Option<IpAddr>, Entry>,
    /// No entry expires before this: pruning earlier would free nothing.
    next_prune: Option<Instant>,
    /// The last "too many clients" line.
    overflow_at: Option<Instant>,
}

#[derive(Debug)]
struct Entry {
    logged_at: Instant,
    suppressed: u64,
}

impl FailureLog {
    /// Decides, on tokio's clock, whether a refusal from `client` is logged.
    pub(crate) fn admit(&self, client: Option<IpAddr>) -> Admit {
        let now = Instant::now();
        // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`: one client.
        let client = client.map(|ip| ip.to_canonical());
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = inner.clients.get_mut(&client) {
            if now.duration_since(entry.logged_at) < WINDOW {
                entry.suppressed += 1;
                return Admit::Quiet;
            }
            let suppressed = std::mem::take(&mut entry.suppressed);
            entry.logged_at = now;
            return Admit::Line { suppressed };
        }
        if inner.clients.len() >= MAX_CLIENTS {
            inner.prune(now);
        }
        if inner.clients.len() >= MAX_CLIENTS {
            return match inner.overflow_at {
                Some(at) if now.duration_since(at) < WINDOW => Admit::Quiet,
                _ => {
                    inner.overflow_at = Some(now);
                    Admit::TooManyClients
                }
            };
        }
        inner.clients.insert(
            client,
            Entry {
                logged_at: now,
                suppressed: 0,
            },
        );
        Admit::Line { suppressed: 0 }
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.inner.lock().unwrap().clients.len()
    }
}

impl Inner {
    /// Forgets the clients whose last line is more than a minute old.
    fn prune(&mut self, now: Instant) {
        if self.next_prune.is_some_and(|at| now < at) {
            return;
        }
        self.clients
            .retain(|_, entry| now.duration_since(entry.logged_at) < WINDOW);
        self.next_prune = self
            .clients
            .values()
            .map(|entry| entry.logged_at + WINDOW)
            .min();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u32) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_is_logged_at_most_once_a_minute_with_what_was_left_out() {
        let log = FailureLog::default();

        assert_eq!(log.admit(ip(1)), Admit::Line { suppressed: 0 });
        assert_eq!(log.admit(ip(1)), Admit::Quiet);
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(log.admit(ip(1)), Admit::Quiet);
        assert_eq!(
            log.admit(ip(2)),
            Admit::Line { suppressed: 0 },
            "another client has its own minute"
        );
        tokio::time::advance(Duration::from_secs(1)).await;

        assert_eq!(log.admit(ip(1)), Admit::Line { suppressed: 2 });
        assert_eq!(log.admit(ip(1)), Admit::Quiet);
    }

    #[tokio::test(start_paused = true)]
    async fn an_ipv4_client_seen_through_a_dual_stack_listener_is_one_client() {
        let log = FailureLog::default();
        let mapped = Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped();

        assert_eq!(log.admit(ip(1)), Admit::Line { suppressed: 0 });

        assert_eq!(log.admit(Some(IpAddr::V6(mapped))), Admit::Quiet);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_addresses_never_grows_the_map_past_its_bound() {
        let log = FailureLog::default();
        for n in 0..MAX_CLIENTS as u32 {
            assert_eq!(log.admit(ip(n)), Admit::Line { suppressed: 0 });
        }

        let flood: Vec<Admit> = (0..10_000).map(|n| log.admit(ip(1_000_000 + n))).collect();

        assert_eq!(log.remembered(), MAX_CLIENTS);
        assert_eq!(flood[0], Admit::TooManyClients, "said once");
        assert!(flood[1..].iter().all(|a| *a == Admit::Quiet));

        tokio::time::advance(WINDOW).await;
        assert_eq!(
            log.admit(ip(2_000_000)),
            Admit::Line { suppressed: 0 },
            "a minute later the old entries are pruned and a new client is named"
        );
        assert_eq!(log.remembered(), 1);
    }
}
