//! The app_keys a simulator accepts, each with its own [`Tenant`]: its world, its faults and its
//! request counts, each behind its own lock, so requests carrying different keys never wait on
//! one another. The table of them ([`Tenants`]) sits behind an `RwLock` of the simulator, written
//! only when a key is added; a request holds its read lock just long enough to clone an `Arc`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::faults::FaultTable;
use crate::state::World;

/// Requests by (endpoint path, variant): the variant is `page=N` for paginated lists,
/// `product_type=N` or `isp=N` where the endpoint is asked once per value, else empty.
pub type RequestCounts = BTreeMap<(String, String), u64>;

/// What one app_key owns.
// std `Mutex`es: no lock is held across an `.await`, and each is held only for a few field
// updates (or, for the world, the building of one answer).
pub(crate) struct Tenant {
    pub world: Mutex<World>,
    /// Faults for requests carrying this key only; they win over the simulator's own.
    pub faults: Mutex<FaultTable>,
    pub requests: Mutex<RequestCounts>,
}

impl Tenant {
    pub fn new(world: World) -> Self {
        Tenant {
            world: Mutex::new(world),
            faults: Mutex::new(FaultTable::default()),
            requests: Mutex::new(RequestCounts::new()),
        }
    }
}

/// The tenants by key, and the keys in the order they were added (the primary first).
#[derive(Default)]
pub(crate) struct Tenants {
    by_key: HashMap<String, Arc<Tenant>>,
    order: Vec<String>,
}

impl Tenants {
    pub fn get(&self, key: &str) -> Option<Arc<Tenant>> {
        self.by_key.get(key).cloned()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Adds `key` with `tenant`, unless the key is already there (its world is kept): answers
    /// whether it was added.
    pub fn insert(&mut self, key: &str, tenant: Tenant) -> bool {
        if self.contains(key) {
            return false;
        }
        self.by_key.insert(key.to_string(), Arc::new(tenant));
        self.order.push(key.to_string());
        true
    }

    pub fn keys(&self) -> Vec<String> {
        self.order.clone()
    }

    pub fn all(&self) -> Vec<Arc<Tenant>> {
        self.by_key.values().cloned().collect()
    }
}

/// Adds `more` into `total`.
pub(crate) fn add_counts(total: &mut RequestCounts, more: &RequestCounts) {
    for (key, count) in more {
        *total.entry(key.clone()).or_default() += count;
    }
}

/// Locks `mutex`, poisoned or not: a panicking test must not take every later request with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `rwlock`, poisoned or not.
pub(crate) fn read<T>(rwlock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    rwlock
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `rwlock`, poisoned or not.
pub(crate) fn write<T>(rwlock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    rwlock
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
