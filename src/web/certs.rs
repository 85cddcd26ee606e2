//! The server's certificate pair, reloaded when its files change (cert-manager renews files in
//! place); an inline `cert` or `key` of the web config changes only with the config itself. Every handshake reads both files (a few KB: small beside the handshake's own
//! cost) and compares their SHA-256 with those of the pair in use, so the first connection after
//! a change is served with the new pair. Contents rather than modification times: file times
//! can be too coarse to tell two writes of the same length apart. A pair that fails to load
//! (unreadable, not PEM, key and certificate that do not match, as while one file is written and
//! not yet the other) keeps the old pair in use and is logged once; it is tried again when the
//! files change again.

use std::sync::{Arc, Mutex};

use ring::digest::{digest, SHA256};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use secrecy::ExposeSecret;

use super::file::PemSource;
use super::WebConfigError;

/// The two files as read now.
struct Files {
    cert: std::io::Result<Vec<u8>>,
    key: std::io::Result<Vec<u8>>,
}

/// What identifies one version of the pair: a digest of each file (`None` while unreadable).
type Stamps = (Option<[u8; 32]>, Option<[u8; 32]>);

impl Files {
    fn read(cert: &PemSource, key: &PemSource) -> Files {
        let read = |source: &PemSource| match source {
            PemSource::File(path) => super::bounded::read(path),
            PemSource::Inline(text) => Ok(text.expose_secret().as_bytes().to_vec()),
        };
        Files {
            cert: read(cert),
            key: read(key),
        }
    }

    fn stamps(&self) -> Stamps {
        let stamp = |bytes: &std::io::Result<Vec<u8>>| {
            let bytes = bytes.as_ref().ok()?;
            digest(&SHA256, bytes).as_ref().try_into().ok()
        };
        (stamp(&self.cert), stamp(&self.key))
    }
}

/// The certificate resolver of the TLS configuration.
#[derive(Debug)]
pub(super) struct CertFiles {
    cert: PemSource,
    key: PemSource,
    provider: Arc<CryptoProvider>,
    // A std lock: held for a comparison, or for parsing a new pair; never across an `.await`
    // (rustls calls the resolver synchronously inside the handshake).
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    pair: Arc<CertifiedKey>,
    /// The files the pair in use was read from.
    loaded: Stamps,
    /// The files of the last pair that failed (already logged; not retried until they change).
    failed: Option<Stamps>,
}

impl CertFiles {
    /// Loads the pair; at start-up (and on SIGHUP) a pair that cannot be loaded is an error.
    pub fn load(
        cert: &PemSource,
        key: &PemSource,
        provider: Arc<CryptoProvider>,
    ) -> Result<CertFiles, TlsError> {
        let files = Files::read(cert, key);
        let pair = load_pair(
            files.cert.as_ref(),
            files.key.as_ref(),
            cert,
            key,
            &provider,
        )?;
        Ok(CertFiles {
            cert: cert.clone(),
            key: key.clone(),
            provider,
            state: Mutex::new(State {
                pair: Arc::new(pair),
                loaded: files.stamps(),
                failed: None,
            }),
        })
    }

    /// The pair to serve now, reloaded first if the files changed since it was read.
    fn current(&self) -> Arc<CertifiedKey> {
        let files = Files::read(&self.cert, &self.key);
        let stamps = files.stamps();
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if stamps == state.loaded || Some(stamps) == state.failed {
            return state.pair.clone();
        }
        let (cert, key) = (files.cert.as_ref(), files.key.as_ref());
        match load_pair(cert, key, &self.cert, &self.key, &self.provider) {
            Ok(pair) => {
                tracing::info!(
                    cert = %self.cert.describe("cert"),
                    key = %self.key.describe("key"),
                    "TLS certificate reloaded"
                );
                state.pair = Arc::new(pair);
                state.loaded = stamps;
                state.failed = None;
            }
            Err(e) => {
                tracing::error!(
                    key = e.key,
                    file = %e.file,
                    reason = %e.reason,
                    "TLS certificate changed on disk but cannot be loaded; still serving the previous one"
                );
                state.failed = Some(stamps);
            }
        }
        state.pair.clone()
    }
}

impl ResolvesServerCert for CertFiles {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn load_pair(
    cert: Result<&Vec<u8>, &std::io::Error>,
    key: Result<&Vec<u8>, &std::io::Error>,
    cert_source: &PemSource,
    key_source: &PemSource,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let (cert_key, key_key) = (key_name(cert_source, "cert"), key_name(key_source, "key"));
    let shown_cert = cert_source.describe("cert");
    let shown_key = key_source.describe("key");
    let cert = cert.map_err(|e| TlsError::new(cert_key, shown_cert.clone(), e))?;
    let key = key.map_err(|e| TlsError::new(key_key, shown_key.clone(), e))?;
    let chain = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(cert_key, shown_cert.clone(), e))?;
    if chain.is_empty() {
        return Err(TlsError::new(
            cert_key,
            shown_cert,
            "holds no PEM certificate",
        ));
    }
    // The parser's error names what is wrong with the PEM, never its contents.
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| TlsError::new(key_key, shown_key.clone(), e))?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| TlsError::new(key_key, shown_key, format!("{e} (with {shown_cert})")))
}

/// The web-config key a source was given under.
fn key_name(source: &PemSource, inline: &'static str) -> &'static str {
    match (source, inline) {
        (PemSource::Inline(_), _) => inline,
        (PemSource::File(_), "cert") => "cert_file",
        (PemSource::File(_), _) => "key_file",
    }
}

/// A TLS setting that cannot be used: which key, which file (or inline value), why.
#[derive(Debug, thiserror::Error)]
#[error("tls_server_config.{key}: {file}: {reason}")]
pub(super) struct TlsError {
    pub key: &'static str,
    pub file: String,
    pub reason: String,
}

impl TlsError {
    pub fn new(key: &'static str, file: String, reason: impl ToString) -> Self {
        TlsError {
            key,
            file,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn in_file(self, config: &std::path::Path) -> WebConfigError {
        WebConfigError::Tls {
            path: config.display().to_string(),
            key: self.key,
            file: self.file,
            reason: self.reason,
        }
    }
}
