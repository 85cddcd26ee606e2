//! proxy911-exporter: a Prometheus exporter and account-management API for the 911Proxy OpenAPI.
//!
//! # Layout
//!
//! - [`config`]: the command line (clap, every flag with its env variable), durations, secrets
//!   loaded from a file or the environment, validation. Invalid input is an error, exit code 2.
//! - [`upstream`]: the 911Proxy client: one async method per endpoint, the envelope and its typed
//!   errors, pagination, the shared token bucket, retries for GET, redaction of the app_key.
//! - [`collector`]: one file per upstream resource (accounts, packages, static IPs, traffic); each
//!   fetches its snapshot and turns it into metric families with a pure function.
//! - [`exposition`]: renders families once per refresh into both exposition formats, plain and gzip.
//! - [`cache`]: per-collector TTL, single-flight refresh, stale-on-error and the rendered bytes;
//!   an admin change invalidates the accounts collector.
//! - [`metrics`]: the exporter's own instrumentation (upstream requests, collector health, build
//!   info, process metrics).
//! - [`scrape`]: one scrape: refresh the collectors concurrently up to the deadline, assemble the answer.
//! - [`http`]: the router: landing page, `/metrics` (content negotiation, deadline, chunked
//!   body), health; [`http::admin`]: the account-management API (validation, bearer auth,
//!   errors, audit) described by `docs/admin-openapi.json`.
//! - The simulated 911Proxy API of the demo, the tests and the benchmarks is a crate of its own,
//!   `proxy911-simulator` (crates/proxy911-simulator), which shares nothing with this one.
//! - [`app`]: [`app::App::build`], the one start-up path for `main`, the demo and the tests.
//!
//! # Data flow
//!
//! ```text
//! GET /metrics ─▶ scrape ─▶ cache (per collector, TTL) ─▶ collector::fetch ─▶ upstream::Client ─▶ 911Proxy
//!                  │           └── on refresh: families ─▶ exposition (text, OpenMetrics, gzip) ─▶ stored bytes
//!                  └── stored bytes of each collector + self metrics ─▶ response (chunks, no copy)
//!
//! /admin/... ─▶ validate ─▶ upstream::Client (POST, never retried) ─▶ audit + invalidate accounts
//! ```

pub mod app;
pub mod cache;
pub mod check;
pub mod collector;
pub mod config;
pub mod exposition;
pub mod http;
pub mod metrics;
pub mod scrape;
pub mod telemetry;
pub mod upstream;
