//! The [`Simulator`] handle: the worlds, one per accepted app_key (the primary key's and any
//! more, each with its own faults and request counts; see `keys.rs`), the faults and the
//! counts that concern every key, all behind one `Arc` shared by the router and by the tests that
//! arrange and inspect it; and serving it.
//!
//! The methods without a key act as they did when the simulator served one key: on the primary
//! key's world ([`Simulator::with_world`], [`Simulator::passwords`], …), with the faults that
//! apply to every request ([`Simulator::set_fault`]), and counting every request whatever its
//! key, known, unknown or missing ([`Simulator::request_counts`]). Their `_of` twins act on one
//! key's world, its own faults (which win over the common ones) and its own counts, and answer
//! `None` (or `false`) for a key the simulator does not accept.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::TcpListener;

use crate::endpoint::Endpoint;
use crate::faults::{Fault, FaultTable};
use crate::keys::{add_counts, lock, read, write, RequestCounts, Tenant, Tenants};
use crate::state::World;
use crate::{routes, seed};

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// The primary app_key, whose world is the classic seed.
    pub app_key: String,
    /// More app_keys accepted, each with a world of its own seeded from the key (empty keys and
    /// repeats are skipped). Any other key gets code 3.
    pub more_app_keys: Vec<String>,
    /// Accounts to seed in every world (`None`: the realistic default set).
    pub accounts: Option<u32>,
    /// Faults from the start, by target (`*` or an endpoint path), for every key.
    pub faults: Vec<(String, Fault)>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            app_key: "demo".into(),
            more_app_keys: Vec::new(),
            accounts: None,
            faults: Vec::new(),
        }
    }
}

/// A handle on a simulator: cheap to clone, shared by its router and by tests.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

struct Shared {
    app_key: String,
    primary: Arc<Tenant>,
    tenants: RwLock<Tenants>,
    /// Faults for every request, whatever its key.
    faults: RwLock<FaultTable>,
    /// Requests carrying no accepted key.
    stray_requests: Mutex<RequestCounts>,
    /// The simulated clock: how far it is ahead of the real one ([`Simulator::advance_clock`]),
    /// and the real moment it stopped following, if it did ([`Simulator::freeze_clock`]).
    clock: Mutex<Clock>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

impl Simulator {
    pub fn new(options: SimulatorOptions) -> Self {
        let mut table = FaultTable::default();
        for (target, fault) in &options.faults {
            table.set(target, *fault);
        }
        let mut tenants = Tenants::default();
        tenants.insert(&options.app_key, Tenant::new(seed::world(options.accounts)));
        for key in &options.more_app_keys {
            if !key.is_empty() && !tenants.contains(key) {
                tenants.insert(key, Tenant::new(seed::world_of_key(key, options.accounts)));
            }
        }
        let primary = tenants
            .get(&options.app_key)
            .expect("the primary key was inserted first");
        Simulator {
            shared: Arc::new(Shared {
                app_key: options.app_key,
                primary,
                tenants: RwLock::new(tenants),
                faults: RwLock::new(table),
                stray_requests: Mutex::new(RequestCounts::new()),
                clock: Mutex::new(Clock::default()),
            }),
        }
    }

    pub fn router(&self) -> Router {
        routes::router(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Binds `addr` and serves in a background task; returns the bound address.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(self.serve(listener, std::future::pending()));
        Ok(bound)
    }

    /// The primary app_key.
    pub fn app_key(&self) -> &str {
        &self.shared.app_key
    }

    /// Every accepted app_key, the primary first, then in the order they were added.
    pub fn app_keys(&self) -> Vec<String> {
        read(&self.shared.tenants).keys()
    }

    /// Accepts `key` from now on, with a world of its own seeded from it (`accounts` as in
    /// [`SimulatorOptions::accounts`]). Answers whether it was added: `false` for an empty key
    /// or one already accepted, whose world is kept.
    pub fn add_app_key(&self, key: &str, accounts: Option<u32>) -> bool {
        if key.is_empty() || read(&self.shared.tenants).contains(key) {
            return false;
        }
        // Seeded before the write lock, so requests for other keys do not wait on it; started
        // at the simulated moment, so its clock reads as the other worlds' do.
        let tenant = Tenant::new(seed::world_of_key_at(
            key,
            accounts,
            self.now(),
            self.now_utc(),
        ));
        write(&self.shared.tenants).insert(key, tenant)
    }

    /// The simulated moment: the real one moved forward by every [`Simulator::advance_clock`]
    /// so far. Every world reads its time from it: usage growth, the hourly orders, the traffic
    /// days, package and IP expiry, order ages (arrange a world with it in
    /// [`Simulator::with_world`]).
    pub fn now(&self) -> Instant {
        let clock = lock(&self.shared.clock);
        clock.frozen_at.unwrap_or_else(Instant::now) + clock.ahead
    }

    /// The simulated moment as a wall-clock time (the real time when the clock was never moved).
    pub fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        let clock = lock(&self.shared.clock);
        let stopped_for = clock.frozen_at.map_or(Duration::ZERO, |at| at.elapsed());
        chrono::Utc::now() + chrono::Duration::from_std(clock.ahead).unwrap_or_default()
            - chrono::Duration::from_std(stopped_for).unwrap_or_default()
    }

    /// Moves the simulated clock forward by `by`, for every world at once: what would have
    /// happened in that time (usage, orders, days passing, expiry) shows in the next answers.
    pub fn advance_clock(&self, by: Duration) {
        lock(&self.shared.clock).ahead += by;
    }

    /// Stops the simulated clock from following the real one: from now on only
    /// [`Simulator::advance_clock`] moves it, so tests see exactly the time they moved through.
    pub fn freeze_clock(&self) {
        let mut clock = lock(&self.shared.clock);
        clock.frozen_at.get_or_insert_with(Instant::now);
    }

    /// What `key` owns (its world, counts and faults): `None` for a key not accepted.
    pub(crate) fn tenant(&self, key: &str) -> Option<Arc<Tenant>> {
        read(&self.shared.tenants).get(key)
    }

    /// Requests received for an endpoint, all pages and all keys together.
    pub fn request_count(&self, endpoint: Endpoint) -> u64 {
        count_of(&self.request_counts(), endpoint)
    }

    /// Requests carrying `key` for an endpoint, all pages together.
    pub fn request_count_of(&self, key: &str, endpoint: Endpoint) -> Option<u64> {
        Some(count_of(&self.request_counts_of(key)?, endpoint))
    }

    /// Requests received by endpoint path and variant (`page=N`, `product_type=N`, `isp=N` or
    /// empty): one key per distinct upstream request a refresh makes. Every request counts,
    /// whatever its app_key (also an unknown or a missing one).
    pub fn request_counts(&self) -> RequestCounts {
        let mut total = lock(&self.shared.stray_requests).clone();
        for tenant in read(&self.shared.tenants).all() {
            add_counts(&mut total, &lock(&tenant.requests));
        }
        total
    }

    /// The requests that carried `key`, as [`Simulator::request_counts`] counts them.
    pub fn request_counts_of(&self, key: &str) -> Option<RequestCounts> {
        Some(lock(&self.tenant(key)?.requests).clone())
    }

    /// Forgets every request, of every key.
    pub fn reset_request_counts(&self) {
        lock(&self.shared.stray_requests).clear();
        for tenant in read(&self.shared.tenants).all() {
            lock(&tenant.requests).clear();
        }
    }

    /// Forgets the requests that carried `key`.
    pub fn reset_request_counts_of(&self, key: &str) -> bool {
        self.tenant(key)
            .map(|tenant| lock(&tenant.requests).clear())
            .is_some()
    }

    /// Sets the fault of a target (`*` or an endpoint path) for every request, whatever its key;
    /// `Fault::default()` removes it.
    pub fn set_fault(&self, target: &str, fault: Fault) {
        write(&self.shared.faults).set(target, fault);
    }

    /// Sets the fault of a target for the requests carrying `key` only: it wins over the one
    /// [`Simulator::set_fault`] set. `false` when the key is not accepted.
    pub fn set_fault_of(&self, key: &str, target: &str, fault: Fault) -> bool {
        self.tenant(key)
            .map(|tenant| lock(&tenant.faults).set(target, fault))
            .is_some()
    }

    /// Clears every fault: those for every key and those of each key.
    pub fn clear_faults(&self) {
        write(&self.shared.faults).clear();
        for tenant in read(&self.shared.tenants).all() {
            lock(&tenant.faults).clear();
        }
    }

    /// Clears the faults of `key` only.
    pub fn clear_faults_of(&self, key: &str) -> bool {
        self.tenant(key)
            .map(|tenant| lock(&tenant.faults).clear())
            .is_some()
    }

    /// Every account password in the primary key's world (so tests can check none leaks).
    pub fn passwords(&self) -> Vec<String> {
        passwords(&lock(&self.shared.primary.world))
    }

    /// Every account password in the world of `key`.
    pub fn passwords_of(&self, key: &str) -> Option<Vec<String>> {
        self.with_world_of(key, |world| passwords(world))
    }

    /// The user's personal data in the primary key's world, the e-mail address and the phone
    /// number (so tests can check that neither ever leaks).
    pub fn personal_data(&self) -> Vec<String> {
        personal_data(&lock(&self.shared.primary.world))
    }

    /// The user's personal data in the world of `key`.
    pub fn personal_data_of(&self, key: &str) -> Option<Vec<String>> {
        self.with_world_of(key, |world| personal_data(world))
    }

    /// Runs `f` on the primary key's world (for tests that inspect or arrange state).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(&self.shared.primary.world))
    }

    /// Runs `f` on the world of `key`; `None` when the key is not accepted.
    pub fn with_world_of<R>(&self, key: &str, f: impl FnOnce(&mut World) -> R) -> Option<R> {
        let tenant = self.tenant(key)?;
        let mut world = lock(&tenant.world);
        Some(f(&mut world))
    }

    pub(crate) fn count_request(
        &self,
        tenant: Option<&Tenant>,
        endpoint: Endpoint,
        variant: String,
    ) {
        let mut requests = match tenant {
            Some(tenant) => lock(&tenant.requests),
            None => lock(&self.shared.stray_requests),
        };
        *requests
            .entry((endpoint.path().to_string(), variant))
            .or_default() += 1;
    }

    /// The fault for a request: its key's own for the endpoint (or `*`), else the common one.
    pub(crate) fn fault_for(&self, tenant: Option<&Tenant>, endpoint: Endpoint) -> Fault {
        let path = endpoint.path();
        tenant
            .and_then(|tenant| lock(&tenant.faults).find(path))
            .unwrap_or_else(|| read(&self.shared.faults).for_path(path))
    }
}

/// The simulated clock of [`Simulator::now`].
#[derive(Debug, Default)]
struct Clock {
    ahead: Duration,
    frozen_at: Option<Instant>,
}

fn count_of(counts: &RequestCounts, endpoint: Endpoint) -> u64 {
    counts
        .iter()
        .filter(|((path, _), _)| path == endpoint.path())
        .map(|(_, n)| n)
        .sum()
}

fn passwords(world: &World) -> Vec<String> {
    world.accounts.iter().map(|a| a.password.clone()).collect()
}

fn personal_data(world: &World) -> Vec<String> {
    vec![world.user.email.clone(), world.user.phone.clone()]
}
