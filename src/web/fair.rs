//! A bounded, per-client fair queue for bcrypt checks.
//!
//! A check first takes its client's own turn (one check at a time per client, in arrival order),
//! then one of the [`BCRYPT_SLOTS`] slots shared by everyone (first come, first served). A client
//! that floods therefore has at most one check waiting for a shared slot: its other checks wait
//! behind each other, not in front of other clients. A new client's first check waits for at most
//! one check per other client that is waiting at the same time, and no longer for every check a
//! flood has queued.
//!
//! A client is its IP address; IPv6 addresses are grouped by their /64 prefix (one host is
//! usually given a whole /64, so it could otherwise pose as many clients). A client's entry is
//! removed when its last check ends, so the table holds only clients with a check in progress.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, SemaphorePermit};

/// How many bcrypt checks run at once, whatever the number of clients: one, as exporter-toolkit
/// does, so wrong passwords cannot take every core.
pub(crate) const BCRYPT_SLOTS: usize = 1;

/// Who a check is for: an IPv4 address, an IPv6 /64 prefix, or unknown (no peer address, as
/// in tests that call the router directly; all such checks share one turn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
    Unknown,
}

impl Client {
    fn of(address: Option<IpAddr>) -> Client {
        match address.map(|a| a.to_canonical()) {
            Some(IpAddr::V4(v4)) => Client::V4(v4.octets()),
            Some(IpAddr::V6(v6)) => {
                let mut prefix = [0u8; 8];
                prefix.copy_from_slice(&v6.octets()[..8]);
                Client::V6Prefix(prefix)
            }
            None => Client::Unknown,
        }
    }
}

/// The queue: per-client turns in front of the shared slots.
#[derive(Debug)]
pub(crate) struct FairQueue {
    slots: Semaphore,
    // A std lock: held for one lookup, insert or removal, never across an `.await`.
    turns: Mutex<HashMap<Client, Arc<Semaphore>>>,
    /// Checks that entered the queue and have not left it (waiting or running).
    queued: AtomicUsize,
}

impl Default for FairQueue {
    fn default() -> Self {
        FairQueue {
            slots: Semaphore::new(BCRYPT_SLOTS),
            turns: Mutex::default(),
            queued: AtomicUsize::new(0),
        }
    }
}

/// A check's place: while held, its client's turn and one shared slot are taken.
pub(crate) struct Place<'a> {
    _slot: SemaphorePermit<'a>,
    _turn: tokio::sync::OwnedSemaphorePermit,
    _entry: Entry<'a>,
}

/// Keeps a client's entry in the table while a check of it is in the queue; the last one out
/// removes it.
struct Entry<'a> {
    queue: &'a FairQueue,
    client: Client,
    turn: Arc<Semaphore>,
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        self.queue.queued.fetch_sub(1, Ordering::Relaxed);
        let mut turns = lock(&self.queue.turns);
        // The table's reference and this one: nobody else holds or waits for this turn. Clones
        // are made under the same lock, so none can appear meanwhile.
        if Arc::strong_count(&self.turn) == 2 {
            turns.remove(&self.client);
        }
    }
}

impl FairQueue {
    /// Waits for this client's turn, then for a shared slot. `None` only if a semaphore was
    /// closed, which never happens: the caller then refuses.
    pub(crate) async fn enter(&self, address: Option<IpAddr>) -> Option<Place<'_>> {
        let client = Client::of(address);
        let turn = lock(&self.turns)
            .entry(client)
            .or_insert_with(|| Arc::new(Semaphore::new(1)))
            .clone();
        self.queued.fetch_add(1, Ordering::Relaxed);
        // Made before the first `.await`: a cancelled wait still leaves the queue.
        let entry = Entry {
            queue: self,
            client,
            turn: turn.clone(),
        };
        let turn = turn.acquire_owned().await.ok()?;
        let slot = self.slots.acquire().await.ok()?;
        Some(Place {
            _slot: slot,
            _turn: turn,
            _entry: entry,
        })
    }

    /// How many checks are in the queue, waiting or running.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// How many clients have a check in the queue.
    #[cfg(test)]
    fn clients(&self) -> usize {
        lock(&self.turns).len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)))
    }

    #[test]
    fn ipv6_addresses_of_one_64_prefix_are_one_client_and_mapped_ipv4_is_ipv4() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Client::of(Some(a.into())), Client::of(Some(b.into())));
        assert_ne!(Client::of(Some(a.into())), Client::of(Some(c.into())));
        let mapped: Ipv6Addr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(Client::of(Some(mapped.into())), Client::of(v4(1)));
    }

    #[tokio::test]
    async fn a_new_client_passes_every_waiting_check_of_a_flooding_one_but_its_first() {
        let queue = Arc::new(FairQueue::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        // The flood's first check holds the slot until released.
        let running = queue.enter(v4(1)).await.unwrap();
        let mut waiting = Vec::new();
        for n in 0..10 {
            let (queue, order) = (queue.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _place = queue.enter(v4(1)).await.unwrap();
                order.lock().unwrap().push(format!("flood {n}"));
            }));
        }
        while queue.queued() < 11 {
            tokio::task::yield_now().await;
        }
        let (q, o) = (queue.clone(), order.clone());
        let other = tokio::spawn(async move {
            let _place = q.enter(v4(2)).await.unwrap();
            o.lock().unwrap().push("other".to_string());
        });
        while queue.queued() < 12 {
            tokio::task::yield_now().await;
        }
        drop(running);
        other.await.unwrap();
        for check in waiting {
            check.await.unwrap();
        }

        let order = order.lock().unwrap().clone();
        let other_at = order.iter().position(|o| o == "other").unwrap();
        assert!(other_at <= 1, "{order:?}");
        assert_eq!(order.len(), 11);
        assert_eq!(queue.queued(), 0);
        assert_eq!(
            queue.clients(),
            0,
            "the table keeps no client without a check"
        );
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_the_queue_and_the_table() {
        let queue = FairQueue::default();
        let running = queue.enter(v4(1)).await.unwrap();
        let waited = tokio::time::timeout(std::time::Duration::from_millis(10), queue.enter(v4(3)));
        assert!(waited.await.is_err());
        assert_eq!(queue.queued(), 1);
        assert_eq!(queue.clients(), 1);
        drop(running);
        assert_eq!((queue.queued(), queue.clients()), (0, 0));
    }
}
