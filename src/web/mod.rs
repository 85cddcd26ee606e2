//! The listener edge: the exporter-toolkit web configuration (`--web.config.file`) and the
//! server loop both listeners run.
//!
//! - [`mod@file`], `tls_file`: the YAML file as written, read strictly and checked; `names`: Go's
//!   cipher-suite and curve names; `bounded`: every file it names read up to 1 MiB.
//! - `tls`: the rustls server configuration built from it; `client_verify`: the client
//!   certificate check of each `client_auth_type`; `certs`: the certificate pair, reloaded when
//!   its files change.
//! - `basic_auth`: bcrypt users, checks (passed and failed) cached under a keyed digest;
//!   `fair`: the bcrypt queue, bounded and fair per client address; `rate_limit`: the top-level `rate_limit`.
//! - [`guard`]: the request layer: rate limit, basic auth (every path but `/admin/...`), headers.
//! - [`mod@serve`]: the accept loop: TLS handshake, graceful shutdown bounded in time;
//!   `http_conn`: HTTP/1.1 or HTTP/2 (ALPN) on one connection, with its timeouts; `refusals`:
//!   refused handshakes logged once per client and cause.
//! - this file: [`WebHandle`], the configuration in force, swapped as a whole when the file
//!   changes or on SIGHUP, so a request or a handshake always sees one consistent version.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use axum::http::{HeaderName, HeaderValue};

mod basic_auth;
pub(crate) mod bounded;
mod certs;
mod changes;
mod client_verify;
mod fair;
pub mod file;
pub mod guard;
mod http_conn;
mod names;
pub mod rate_limit;
mod refusals;
pub mod serve;
mod tls;
mod tls_file;

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
    limiter: Option<rate_limit::Limiter>,
    /// The files this version read at load that may change on disk (the client CA).
    watched: Vec<PathBuf>,
}

impl Web {
    /// Builds the configuration of `path` (certificates loaded, hashes checked).
    pub fn load(path: &Path) -> Result<Web, WebConfigError> {
        Web::build(path, WebFile::read(path)?)
    }

    fn build(path: &Path, file: WebFile) -> Result<Web, WebConfigError> {
        for warning in &file.warnings {
            tracing::warn!(file = %path.display(), "web configuration: {warning}");
        }
        let watched = match file.tls.as_ref().and_then(|t| t.client_ca.as_ref()) {
            Some(file::PemSource::File(ca)) => vec![ca.clone()],
            _ => Vec::new(),
        };
        let tls = match &file.tls {
            Some(settings) => {
                Some(tls::Tls::new(settings, file.http2).map_err(|e| e.in_file(path))?)
            }
            None => None,
        };
        Ok(Web {
            tls,
            basic_auth: BasicAuth::new(file.users),
            headers: file.headers,
            limiter: file.rate_limit.and_then(rate_limit::Limiter::new),
            watched,
        })
    }

    /// Whether connections must speak TLS.
    pub(crate) fn tls_enabled(&self) -> bool {
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

    /// Whether `rate_limit` lets one more request through now (always, without one).
    pub(crate) fn rate_allows(&self) -> bool {
        self.limiter.as_ref().is_none_or(rate_limit::Limiter::allow)
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
    // A std lock: held while a changed file is read and built, off the async workers
    // (`refresh` runs it under `spawn_blocking`); it also serialises reloads.
    seen: Mutex<changes::Seen>,
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
        let mut seen = changes::Seen::default();
        let web = match path {
            Some(path) => {
                let text = read(path)?;
                let web = Web::build(path, WebFile::from_text(path, &text)?)?;
                seen.loaded(path, &text, web.watched.clone());
                web
            }
            None => Web::default(),
        };
        Ok(WebHandle {
            shared: Arc::new(Shared {
                path: path.map(Path::to_path_buf),
                current: RwLock::new(Arc::new(web)),
                seen: Mutex::new(seen),
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
    pub(crate) fn tls_enabled(&self) -> bool {
        self.current().tls_enabled()
    }

    /// The file given with `--web.config.file`.
    pub fn path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, changes::Seen> {
        match self.shared.seen.lock() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn install(&self, web: Web) {
        let web = Arc::new(web);
        match self.shared.current.write() {
            Ok(mut current) => *current = web,
            Err(poisoned) => *poisoned.into_inner() = web,
        }
    }

    /// The configuration in force, after reading the file again if it (or the client CA file it
    /// names) changed since it was last read (exporter-toolkit reads them for every connection
    /// and request; here one `stat` each tells whether anything changed). A file that changed and cannot be loaded keeps the
    /// configuration in force and is logged once, at ERROR.
    pub async fn refresh(&self) -> Arc<Web> {
        if self.shared.path.is_none() {
            return self.current();
        }
        // A reload in progress holds the lock: then wait for it off the async workers.
        let unchanged = match self.shared.seen.try_lock() {
            Ok(seen) => !seen.may_have_changed(),
            Err(_) => false,
        };
        if unchanged {
            return self.current();
        }
        let handle = self.clone();
        let _ = tokio::task::spawn_blocking(move || handle.reload_if_changed()).await;
        self.current()
    }

    /// Blocking: reads and, if its contents changed, builds the file.
    fn reload_if_changed(&self) {
        let Some(path) = &self.shared.path else {
            return;
        };
        let mut seen = self.seen();
        if !seen.may_have_changed() {
            return; // Another caller reloaded it meanwhile.
        }
        seen.restamp();
        let text = match read(path) {
            Ok(text) => text,
            Err(error) => {
                // Mid-rename, say, or a FIFO: tried again at the next change of the stamp, and
                // said once per stamp.
                if seen.unreadable() {
                    tracing::error!(error = %error, "web configuration changed on disk but cannot be read; the previous one stays in force");
                }
                return;
            }
        };
        let digest = seen.digest(&text);
        if seen.known(digest) {
            return;
        }
        match WebFile::from_text(path, &text).and_then(|file| Web::build(path, file)) {
            Ok(web) => {
                seen.loaded(path, &text, web.watched.clone());
                self.install(web);
                tracing::info!(file = %path.display(), "web configuration changed on disk: reloaded");
            }
            Err(error) => {
                seen.failed(digest);
                tracing::error!(error = %error, "web configuration changed on disk but cannot be loaded; the previous one stays in force");
            }
        }
    }

    /// Reads the file again (SIGHUP). On success the new configuration serves every later
    /// handshake and request; on error the one in force stays. Blocking (it reads files): call
    /// it off the async workers.
    pub fn reload(&self) -> Result<Reloaded, WebConfigError> {
        let Some(path) = &self.shared.path else {
            return Ok(Reloaded::NoFile);
        };
        let mut seen = self.seen();
        seen.restamp();
        let text = read(path)?;
        let digest = seen.digest(&text);
        let built = WebFile::from_text(path, &text).and_then(|file| Web::build(path, file));
        let web = match built {
            Ok(web) => web,
            Err(error) => {
                // Reported by the caller; not again when the next connection notices the change.
                seen.failed(digest);
                return Err(error);
            }
        };
        seen.loaded(path, &text, web.watched.clone());
        self.install(web);
        Ok(Reloaded::Reloaded)
    }
}

/// Reads the web configuration file, up to 1 MiB ([`bounded::MAX_FILE_BYTES`]).
pub(crate) fn read(path: &Path) -> Result<String, WebConfigError> {
    bounded::read_to_string(path).map_err(|e| WebConfigError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
