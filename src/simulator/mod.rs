//! A stateful simulated 911Proxy API (SPEC §7), for the demo, tests and benchmarks.
//!
//! It serves every endpoint the exporter uses with the upstream's envelopes (both the
//! `code 200`/`msg` and the `code 0`/`message` variant), pagination and error codes; keeps state
//! (added accounts appear, usage grows while enabled); counts requests per endpoint and page; and
//! injects faults. Control endpoints live under `/_simulator/`.
//!
//! - [`state`]: the world and its operations.  - [`seed`]: the starting world.
//! - [`faults`]: fault specs and the table.      - `routes`: the HTTP handlers.
//! - [`drift`]: how the `schema-drift` fault bends a successful answer.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use tokio::net::TcpListener;

use crate::upstream::Endpoint;

pub mod drift;
pub mod faults;
mod routes;
pub mod seed;
pub mod state;

pub use faults::{Failure, Fault};

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// The only app_key accepted; any other gets code 3.
    pub app_key: String,
    /// Accounts to seed (`None`: the realistic default set).
    pub accounts: Option<u32>,
    /// Faults from the start, by target (`*` or an endpoint path).
    pub faults: Vec<(String, Fault)>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            app_key: "demo".into(),
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
    world: Mutex<state::World>,
    faults: Mutex<faults::FaultTable>,
    /// Requests by (endpoint path, variant): the variant is `page=N` for paginated lists,
    /// `product_type=N` or `isp=N` where the endpoint is asked once per value, else empty.
    requests: Mutex<BTreeMap<(String, String), u64>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Simulator {
    pub fn new(options: SimulatorOptions) -> Self {
        let mut table = faults::FaultTable::default();
        for (target, fault) in &options.faults {
            table.set(target, *fault);
        }
        Simulator {
            shared: Arc::new(Shared {
                world: Mutex::new(seed::world(options.accounts)),
                app_key: options.app_key,
                faults: Mutex::new(table),
                requests: Mutex::new(BTreeMap::new()),
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

    pub fn app_key(&self) -> &str {
        &self.shared.app_key
    }

    /// Requests received for an endpoint, all pages together.
    pub fn request_count(&self, endpoint: Endpoint) -> u64 {
        lock(&self.shared.requests)
            .iter()
            .filter(|((path, _), _)| path == endpoint.path())
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests received by endpoint path and variant (`page=N`, `product_type=N`, `isp=N` or
    /// empty): one key per distinct upstream request a refresh makes.
    pub fn request_counts(&self) -> BTreeMap<(String, String), u64> {
        lock(&self.shared.requests).clone()
    }

    pub fn reset_request_counts(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Sets the fault of a target (`*` or an endpoint path); `Fault::default()` removes it.
    pub fn set_fault(&self, target: &str, fault: Fault) {
        lock(&self.shared.faults).set(target, fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every account password in the world (so tests can check none leaks).
    pub fn passwords(&self) -> Vec<String> {
        lock(&self.shared.world)
            .accounts
            .iter()
            .map(|a| a.password.clone())
            .collect()
    }

    /// Runs `f` on the world (for tests that inspect or arrange state).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut state::World) -> R) -> R {
        f(&mut lock(&self.shared.world))
    }

    fn count_request(&self, path: &str, variant: String) {
        *lock(&self.shared.requests)
            .entry((path.to_string(), variant))
            .or_default() += 1;
    }

    fn fault_for(&self, path: &str) -> Fault {
        lock(&self.shared.faults).for_path(path)
    }
}
