//! proxy911-exporter: a Prometheus exporter and account-management API for the 911Proxy OpenAPI.
//!
//! # Layout
//!
//! From the bottom up; a module uses only those above it in this list, never one below.
//!
//! - [`label`]: closed sets of label values, each name written once.
//! - [`version`]: what this build is (version, revision, build date, compiler), for
//!   `--version` and the build-info metric.
//! - [`exposition`]: metric families of upstream data, rendered once per refresh into both
//!   exposition formats ([`exposition::Format`]), kept as compressed pieces only (plain text is
//!   inflated as it is sent, or kept when small); the metric prefix.
//! - [`web`]: the listener edge: the exporter-toolkit web configuration (`--web.config.file`:
//!   TLS with certificates reloaded from disk, client certificates, basic auth, headers, rate
//!   limit), reloaded as a whole when the file changes and on SIGHUP; the request layer that
//!   enforces it; and the server loop of both listeners (TLS handshake, HTTP/1.1 or HTTP/2,
//!   header-read timeout, shutdown bounded at 10 s).
//! - [`upstream`]: the 911Proxy client. [`upstream::decode`] reads every answer field by field
//!   (unknown fields ignored, unreadable ones defaulted, odd items skipped, all counted as
//!   drift); [`upstream::model`] the answers as types; [`upstream::ProductType`] the one slug
//!   table; the client itself (app_key placement, no redirects, envelope, retries for GET,
//!   redaction), pagination, the token bucket, and the metrics it owns
//!   ([`upstream::UpstreamMetrics`]).
//! - [`metrics`]: the registry of the exporter's own metrics, into which each component
//!   registers its own; process metrics and build info.
//! - [`collector`]: one file per collector (accounts, packages, static IPs, traffic, orders,
//!   user, regions), each holding its whole [`collector::Definition`] (id, flags, defaults,
//!   endpoints, a fetch and a pure snapshot → families function, `check`'s calls); the table
//!   that lists them and makes [`collector::CollectorId`]; [`collector::Selection`] (which
//!   collectors run, and their own TTLs).
//! - [`cache`]: per-collector TTL, single-flight refresh, stale-on-error, the rendered bytes, and
//!   the report of each collector's health; its own `cache::RefreshError`.
//! - [`check`]: `proxy911-exporter check`, each enabled collector's calls and a report of their
//!   drift.
//! - [`scrape`]: one scrape: every collector served concurrently up to the deadline, the health
//!   metrics it owns ([`scrape::HealthMetrics`]), the answer assembled as chunks.
//! - [`config`]: the command line ([`config::Cli`], every flag with its env variable), value
//!   parsers, secrets, and the validated [`config::Config`] grouped by concern (web, api, cache,
//!   admin as an `Option`, log).
//! - [`targets`]: the accounts of `--config.file`, each its own client, token bucket, caches and
//!   probe metrics; reloaded as a whole, unchanged targets kept with their caches.
//! - [`http`]: the router: landing page, `/metrics` (negotiation, deadline, chunked body),
//!   health; [`http::admin`]: the account-management API from types (validated newtypes,
//!   typed answers, the OpenAPI document generated from them, bearer auth, audit, its metrics;
//!   `POST /admin/alertmanager`, acting on the traffic-anomaly alert within its safety rules).
//! - [`logging`]: `tracing` to stderr as text or JSON, at `--log.level`.
//! - [`app`]: [`app::App::build`], the one start-up path for `main`, the demo and the tests.
//! - [`run`]: what the binary runs once its command line is parsed: the exporter, `check` (its
//!   client from the same builder as [`app::App::build`]'s) and `simulate`.
//! - The simulated 911Proxy API of the demo, the tests and the benchmarks is a crate of its own,
//!   `proxy911-simulator` (crates/proxy911-simulator), which shares nothing with this one.
//!
//! # Data flow
//!
//! ```text
//! GET /metrics ─▶ scrape ─▶ cache (per collector, TTL) ─▶ collector::fetch ─▶ upstream::Client ─▶ 911Proxy
//!                  │           │                                                └── decode: items, drift
//!                  │           └── on refresh: families ─▶ exposition (text, OpenMetrics, DEFLATE) ─▶ stored bytes
//!                  └── stored bytes of each collector + self metrics ─▶ response (chunks, no copy)
//!
//! GET /probe?target=NAME ─▶ targets (by name) ─▶ that target's own scrape, as above, on its own
//!                           client, token bucket and caches
//!
//! /admin/... ─▶ typed request (validated on decode) ─▶ upstream::Client (POST, never retried)
//!            ─▶ audit + invalidate accounts      (/admin/targets/NAME/...: the same, on NAME's)
//! ```

pub mod app;
pub mod cache;
pub mod check;
pub mod collector;
pub mod config;
pub mod exposition;
pub mod http;
pub mod label;
pub mod logging;
pub mod metrics;
pub mod run;
pub mod scrape;
pub mod targets;
pub mod upstream;
pub mod version;
pub mod web;
