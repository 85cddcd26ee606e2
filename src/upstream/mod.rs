//! The 911Proxy OpenAPI client.
//!
//! - [`client`]: transport: app_key placement, the envelope, retries for GET, redaction, metrics.
//! - [`api`]: one async method per endpoint the exporter uses, pagination included.
//! - [`model`]: the answers as types, and the fields each reads in their spellings.
//! - `fields_read`: the field names read from each endpoint, the drift counters' labels.
//! - [`product_type`]: the product-type codes and their label slugs, one table.
//! - [`page`]: one page of a paginated list, either pagination shape.
//! - [`decode`]: per-field lenient decoding for every endpoint: unknown fields ignored,
//!   unreadable ones defaulted, odd items skipped, all of it counted as [`decode::Drift`].
//! - [`sanitize`]: upstream text made safe for a log line.
//! - [`metrics`]: what the client counts (requests, refusals, latency, drift), registered by it.
//! - [`budget`]: one memory budget for every answer in flight, process-wide.
//! - [`rate_limit`]: the token bucket every request passes.
//! - [`trust`]: the CA certificates an `https` upstream is verified against (system store,
//!   `SSL_CERT_FILE`), and none for an `http` one.
//! - [`error`]: [`UpstreamError`], which never contains the app_key.

pub mod api;
pub mod budget;
pub mod client;
pub mod decode;
mod drift_log;
pub mod endpoint;
pub mod error;
mod fields_read;
pub mod metrics;
pub mod model;
pub mod page;
pub mod product_type;
pub mod rate_limit;
pub mod sanitize;
pub mod trust;

pub use client::{Client, ClientOptions};
pub use endpoint::{Endpoint, Outcome};
pub use error::UpstreamError;
pub use metrics::UpstreamMetrics;
pub use product_type::ProductType;
