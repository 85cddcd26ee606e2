//! proxy911-simulator: a stateful simulated 911Proxy API, the upstream of
//! `proxy911-exporter --demo` and `proxy911-exporter simulate`, the load of the benchmarks and the
//! test oracle of the exporter's client.
//!
//! It serves every endpoint the exporter uses with the upstream's envelopes (both the
//! `code 200`/`msg` and the `code 0`/`message` variant), pagination and error codes; keeps state
//! (added accounts appear, usage grows while enabled); counts requests per endpoint and page; and
//! injects faults. Control endpoints live under `/_simulator/`. Time is a simulated clock
//! ([`Simulator::now`]): the real one, moved forward by [`Simulator::advance_clock`] (or
//! `POST /_simulator/clock`), so a week of history takes seconds.
//!
//! It serves several app_keys, each its own 911Proxy account with its own world (accounts,
//! packages, static IPs, orders, balance, user), request counts and faults: the primary key
//! ([`SimulatorOptions::app_key`], the classic world), the keys of
//! [`SimulatorOptions::more_app_keys`] and those added at run time
//! ([`Simulator::add_app_key`]), each world seeded from its key. Any other key gets code 3.
//!
//! An oracle must not share its reading of the API with the code under test: this crate depends
//! on nothing of the exporter. It has its own list of endpoints ([`Endpoint`]), reads requests
//! into its own types and builds its answers from its own types, so a misreading of the API in
//! the client cannot hide behind the same misreading here.
//!
//! # Layout
//!
//! - [`server`]: the [`Simulator`] handle: the worlds by app_key, request counts, faults, serving.
//! - `keys.rs`: what each app_key owns (world, faults, counts), each behind its own lock.
//! - [`endpoint`]: the endpoints served, their paths and methods.
//! - `routes/`: the HTTP side: the common path of every request (`mod.rs`: count, fault,
//!   app_key, answer), reading parameters (`request.rs`), envelopes and injected failures
//!   (`envelope.rs`), what the lists share (`lists.rs`), one file per endpoint group (accounts,
//!   packages, static IPs, traffic, orders, user, regions) with its request and answer types and one plain function per
//!   endpoint from request and world to answer, and the `/_simulator/` endpoints (`control.rs`).
//! - [`state`]: the world and its operations.
//! - [`seed`]: the starting worlds, the primary key's and, bent by a flavor of its key, another's.
//! - [`billing`]: orders over time and the balance they move.
//! - [`faults`]: fault specs and the table.      - [`drift`]: how `schema-drift` bends an answer.

pub mod billing;
pub mod drift;
pub mod endpoint;
pub mod faults;
mod keys;
mod routes;
pub mod seed;
pub mod server;
pub mod state;

pub use endpoint::Endpoint;
pub use faults::{Failure, Fault};
pub use keys::RequestCounts;
pub use server::{Simulator, SimulatorOptions};
