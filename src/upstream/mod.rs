//! The 911Proxy OpenAPI client.
//!
//! - [`client`]: transport: app_key placement, the envelope, retries for GET, redaction, metrics.
//! - [`api`]: one async method per endpoint the exporter uses, pagination included.
//! - [`model`]: serde types of the answers, decoded leniently; no logic.
//! - [`lenient`]: the forgiving deserializers the model uses (numbers as strings, nulls, odd items).
//! - [`rate_limit`]: the token bucket every request passes.
//! - [`error`]: [`UpstreamError`], which never contains the app_key.

pub mod api;
pub mod client;
pub mod endpoint;
pub mod error;
pub mod lenient;
pub mod model;
pub mod rate_limit;

pub use client::{Client, ClientOptions};
pub use endpoint::{Endpoint, Outcome};
pub use error::UpstreamError;
