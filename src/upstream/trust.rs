//! The upstream's TLS trust: which certificate authorities an `https` `--api.url` is verified
//! against, loaded once at start-up.
//!
//! The roots are the system's CA store as OpenSSL finds it (`/etc/ssl/certs` and the usual
//! bundle paths), or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set: a private CA, or the CA of a
//! TLS-inspecting corporate proxy. They are read with `rustls-native-certs` and verified with
//! webpki, instead of reqwest's default platform verifier, for three reasons: an `http` upstream
//! (the demo's loopback simulator) needs no CA store at all, so a minimal image without one still
//! runs `--demo`; a missing store is one start-up line that says what to provide, not a
//! failure of every request; and the platform verifier logs an ERROR line per failed handshake.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// Why the upstream's TLS trust could not be set up: a start-up error (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error(
        "no CA certificates found to verify {host} over https{detail}: install the system's CA \
         certificates (Debian: ca-certificates), or set SSL_CERT_FILE to a PEM bundle \
         (SSL_CERT_DIR to a directory of them)"
    )]
    NoCertificates { host: String, detail: String },
    #[error("cannot set up TLS for the upstream: {0}")]
    Config(String),
}

/// The rustls configuration of the upstream client. For an `http` URL the root store is left
/// empty and nothing is read from disk: there is nothing to verify. One configuration per scheme
/// is built per process and shared by every client (a multi-target exporter builds a client per
/// target): its TLS session cache among them, keyed by server name.
pub fn client_config(url: &reqwest::Url) -> Result<ClientConfig, TrustError> {
    static HTTPS: std::sync::OnceLock<ClientConfig> = std::sync::OnceLock::new();
    static HTTP: std::sync::OnceLock<ClientConfig> = std::sync::OnceLock::new();
    let https = url.scheme() == "https";
    let shared = if https { &HTTPS } else { &HTTP };
    if let Some(config) = shared.get() {
        return Ok(config.clone());
    }
    let roots = if https {
        let host = url.host_str().unwrap_or_default().to_string();
        system_roots(&host)?
    } else {
        Arc::new(RootCertStore::empty())
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TrustError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(shared.get_or_init(|| config).clone())
}

/// The system's roots (or `SSL_CERT_FILE` / `SSL_CERT_DIR`); an error when none can be used.
/// Read once per process and shared: a multi-target exporter builds a client per target, and
/// a thousand targets must not read and parse the store a thousand times.
fn system_roots(host: &str) -> Result<Arc<RootCertStore>, TrustError> {
    static ROOTS: std::sync::OnceLock<(Arc<RootCertStore>, Option<String>)> =
        std::sync::OnceLock::new();
    let (store, first_error) = ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        let first_error = found.errors.first().map(|e| e.to_string());
        (Arc::new(roots_from(found.certs)), first_error)
    });
    if store.is_empty() {
        // The loader's errors name the paths it could not read, never a secret.
        let detail = first_error
            .as_ref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err(TrustError::NoCertificates {
            host: host.to_string(),
            detail,
        });
    }
    Ok(Arc::clone(store))
}

/// A store of every certificate webpki can parse as a trust anchor; the others are skipped, as
/// OpenSSL skips them.
fn roots_from(certs: Vec<CertificateDer<'static>>) -> RootCertStore {
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(certs);
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_upstream_needs_no_ca_store() {
        let url: reqwest::Url = "http://127.0.0.1:1/".parse().unwrap();
        let config = client_config(&url).expect("no roots needed for http");
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn the_missing_store_error_says_what_to_provide() {
        let error = TrustError::NoCertificates {
            host: "api.911proxy.com".into(),
            detail: String::new(),
        };
        let text = error.to_string();
        assert!(text.contains("api.911proxy.com"), "{text}");
        assert!(text.contains("SSL_CERT_FILE"), "{text}");
        assert!(text.contains("ca-certificates"), "{text}");
        assert!(!text.contains('\n'), "one line: {text}");
    }

    #[test]
    fn unparsable_certificates_are_skipped_not_trusted() {
        let store = roots_from(vec![CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])]);
        assert!(store.is_empty());
    }
}
