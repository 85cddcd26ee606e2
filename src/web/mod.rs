//! The listener edge (SPEC §8 and the listener half of §11): the exporter-toolkit web
//! configuration (`--web.config.file`) and the server loop both listeners run.
//!
//! - [`mod@file`]: the YAML file as written, read strictly and checked.
//! - `tls`: the rustls server configuration built from it (client-auth policy, versions);
//!   `certs`: the certificate pair, reloaded when its files change.
//! - `basic_auth`: bcrypt users, successful checks cached under a keyed digest.
//! - [`guard`]: the request layer: basic auth (every path but `/admin/...`) and the headers.
//! - [`mod@serve`]: the accept loop: TLS handshake, HTTP/1.1 with a header-read timeout, graceful
//!   shutdown bounded in time.
//! - this file: [`WebHandle`], the configuration in force, swapped as a whole on reload
//!   (SIGHUP), so a request or a handshake always sees one consistent version.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::http::{HeaderName, HeaderValue};

mod basic_auth;
mod certs;
pub mod file;
pub mod guard;
pub mod serve;
mod tls;

pub use basic_auth::BasicAuth;
pub use file::{ClientAuthType, TlsVersion, WebFile};
pub use serve::serve;

/// Why a web configuration could not be loaded: one line naming the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    #[error("--web.config.file: cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("--web.config.file {path}: {}{message}", key_prefix(key))]
    Invalid {
        path: String,
        /// The dotted key, e.g. `tls_server_config.min_version` (empty for broken YAML).
        key: String,
        message: String,
    },
    #[error("--web.config.file {path}: tls_server_config.{key}: {file}: {reason}")]
    Tls {
        path: String,
        key: &'static str,
        file: String,
        reason: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() || key == "." {
        String::new()
    } else {
        format!("{key}: ")
    }
}

/// One loaded version of the web configuration: immutable; a reload builds a new one.
#[derive(Debug, Default)]
pub struct Web {
    tls: Option<tls::Tls>,
    basic_auth: Option<BasicAuth>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Web {
    /// Builds the configuration of `path` (certificates loaded, hashes checked).
    pub fn load(path: &Path) -> Result<Web, WebConfigError> {
        let file = WebFile::read(path)?;
        for key in &file.ignored {
            tracing::warn!(
                file = %path.display(),
                key,
                "web configuration: {key} is accepted for exporter-toolkit compatibility and ignored (see the README)"
            );
        }
        let tls = match &file.tls {
            Some(files) => Some(tls::Tls::new(files).map_err(|e| e.in_file(path))?),
            None => None,
        };
        Ok(Web {
            tls,
            basic_auth: BasicAuth::new(file.users),
            headers: file.headers,
        })
    }

    /// Whether connections must speak TLS.
    pub fn tls_enabled(&self) -> bool {
        self.tls.is_some()
    }

    pub(crate) fn tls_acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        self.tls.as_ref().map(tls::Tls::acceptor)
    }

    pub fn basic_auth(&self) -> Option<&BasicAuth> {
        self.basic_auth.as_ref()
    }

    /// The extra response headers of `http_server_config.headers`.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }
}

/// The web configuration in force, shared by both listeners and their request layers; a cheap
/// `Clone`. Readers take a snapshot (`current`) and keep it for one handshake or one request.
#[derive(Debug, Clone)]
pub struct WebHandle {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: Option<PathBuf>,
    // A std lock: held only to clone or replace an `Arc`, never across an `.await`.
    current: RwLock<Arc<Web>>,
}

/// What a reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloaded {
    /// The file was read again and is now in force.
    Reloaded,
    /// No `--web.config.file` was given: plain HTTP, no auth, nothing to reload.
    NoFile,
}

impl WebHandle {
    /// Loads `path` if given; without one the listeners serve plain HTTP without auth.
    pub fn load(path: Option<&Path>) -> Result<WebHandle, WebConfigError> {
        let web = match path {
            Some(path) => Web::load(path)?,
            None => Web::default(),
        };
        Ok(WebHandle {
            shared: Arc::new(Shared {
                path: path.map(Path::to_path_buf),
                current: RwLock::new(Arc::new(web)),
            }),
        })
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<Web> {
        match self.shared.current.read() {
            Ok(web) => web.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether the listeners speak TLS (the configuration in force).
    pub fn tls_enabled(&self) -> bool {
        self.current().tls_enabled()
    }

    /// The file given with `--web.config.file`.
    pub fn path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    /// Reads the file again. On success the new configuration serves every later handshake and
    /// request; on error the one in force stays. Blocking (it reads files): call it off the
    /// async workers.
    pub fn reload(&self) -> Result<Reloaded, WebConfigError> {
        let Some(path) = &self.shared.path else {
            return Ok(Reloaded::NoFile);
        };
        let web = Arc::new(Web::load(path)?);
        match self.shared.current.write() {
            Ok(mut current) => *current = web,
            Err(poisoned) => *poisoned.into_inner() = web,
        }
        Ok(Reloaded::Reloaded)
    }
}

#[cfg(test)]
mod tests;
