//! The [`Simulator`] handle: the world, the fault table and the request counts behind one `Arc`,
//! shared by the router and by the tests that arrange and inspect it; and serving it.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use tokio::net::TcpListener;

use crate::endpoint::Endpoint;
use crate::faults::{Fault, FaultTable};
use crate::state::World;
use crate::{routes, seed};

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

// std `Mutex`es: no lock is held across an `.await`, and each is held only for a few field
// updates (or, for the world, the building of one answer).
struct Shared {
    app_key: String,
    world: Mutex<World>,
    faults: Mutex<FaultTable>,
    /// Requests by (endpoint path, variant): the variant is `page=N` for paginated lists,
    /// `product_type=N` or `isp=N` where the endpoint is asked once per value, else empty.
    requests: Mutex<BTreeMap<(String, String), u64>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

/// Locks `mutex`, poisoned or not: a panicking test must not take every later request with it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Simulator {
    pub fn new(options: SimulatorOptions) -> Self {
        let mut table = FaultTable::default();
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

    /// The user's personal data in the world, the e-mail address and the phone number (so tests
    /// can check that neither ever leaks).
    pub fn personal_data(&self) -> Vec<String> {
        let world = lock(&self.shared.world);
        vec![world.user.email.clone(), world.user.phone.clone()]
    }

    /// Runs `f` on the world (for tests that inspect or arrange state, and for the handlers).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(&self.shared.world))
    }

    pub(crate) fn count_request(&self, endpoint: Endpoint, variant: String) {
        *lock(&self.shared.requests)
            .entry((endpoint.path().to_string(), variant))
            .or_default() += 1;
    }

    pub(crate) fn fault_for(&self, endpoint: Endpoint) -> Fault {
        lock(&self.shared.faults).for_path(endpoint.path())
    }
}
