//! The rustls server configuration of a web config's `tls_server_config`: ring as the provider,
//! limited to the TLS 1.2 cipher suites and the curves the file names (TLS 1.3 suites are not
//! configurable, as in Go), the server's cipher order when `prefer_server_cipher_suites` (Go's
//! default), the versions between `min_version` and `max_version`, HTTP/2 and HTTP/1.1 by ALPN
//! (HTTP/1.1 only when `http2: false`), the certificate pair from [`CertFiles`] (reloaded when
//! its files change), and the client-certificate check of [`GoClientVerifier`].

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use secrecy::ExposeSecret;

use super::certs::{CertFiles, TlsError};
use super::client_verify::GoClientVerifier;
use super::file::{ClientAuthType, PemSource, TlsSettings, TlsVersion};

/// The server side of TLS for one version of the web configuration.
#[derive(Debug)]
pub(super) struct Tls {
    config: Arc<ServerConfig>,
}

impl Tls {
    pub fn new(settings: &TlsSettings, http2: bool) -> Result<Tls, TlsError> {
        let provider = Arc::new(provider(settings));
        let certs = CertFiles::load(&settings.cert, &settings.key, provider.clone())?;
        let verifier = client_verifier(settings, &provider)?;
        let versions: Vec<&'static SupportedProtocolVersion> = [
            (TlsVersion::Tls12, &rustls::version::TLS12),
            (TlsVersion::Tls13, &rustls::version::TLS13),
        ]
        .into_iter()
        .filter(|(v, _)| (settings.min_version..=settings.max_version).contains(v))
        .filter(|(v, _)| *v == TlsVersion::Tls13 || has_tls12_suite(&provider))
        .map(|(_, version)| version)
        .collect();
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .map_err(|e| TlsError::new("min_version", "the TLS versions".into(), e))?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(certs));
        config.ignore_client_order = settings.prefer_server_cipher_suites;
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(Tls {
            config: Arc::new(config),
        })
    }

    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

/// ring, narrowed to the file's TLS 1.2 suites (in its order) and curves.
fn provider(settings: &TlsSettings) -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(chosen) = &settings.cipher_suites {
        let tls13 = provider
            .cipher_suites
            .iter()
            .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)));
        let tls12 = chosen.iter().filter_map(|c| c.rustls);
        provider.cipher_suites = tls13.copied().chain(tls12).collect();
    }
    if let Some(curves) = &settings.curves {
        provider.kx_groups = curves.iter().filter_map(|c| c.rustls).collect();
    }
    provider
}

fn has_tls12_suite(provider: &CryptoProvider) -> bool {
    provider
        .cipher_suites
        .iter()
        .any(|s| matches!(s, SupportedCipherSuite::Tls12(_)))
}

fn client_verifier(
    settings: &TlsSettings,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let sans = settings.client_allowed_sans.clone();
    // Read in every mode, as Go reads it: a CA file that cannot be read is an error even where
    // it only names the CAs to the client.
    let client_cas = match &settings.client_ca {
        Some(source) => Some(client_cas(source)?),
        None => None,
    };
    let verified = |mandatory: bool| match client_cas {
        Some(cas) => GoClientVerifier::verified(provider, cas, true, mandatory, sans.clone()),
        None => {
            GoClientVerifier::verified(provider, system_roots(), false, mandatory, sans.clone())
        }
    };
    Ok(match settings.client_auth {
        ClientAuthType::NoClientCert => WebPkiClientVerifier::no_client_auth(),
        ClientAuthType::RequestClientCert => {
            Arc::new(GoClientVerifier::unverified(provider, false, sans))
        }
        ClientAuthType::RequireAnyClientCert => {
            Arc::new(GoClientVerifier::unverified(provider, true, sans))
        }
        ClientAuthType::VerifyClientCertIfGiven => Arc::new(verified(false)),
        ClientAuthType::RequireAndVerifyClientCert => Arc::new(verified(true)),
    })
}

/// The certificates of `client_ca_file` or `client_ca`.
fn client_cas(source: &PemSource) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let (key, shown) = match source {
        PemSource::File(_) => ("client_ca_file", source.describe("client_ca")),
        PemSource::Inline(_) => ("client_ca", source.describe("client_ca")),
    };
    let bytes = match source {
        PemSource::File(path) => {
            super::bounded::read(path).map_err(|e| TlsError::new(key, shown.clone(), e))?
        }
        PemSource::Inline(text) => text.expose_secret().as_bytes().to_vec(),
    };
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(key, shown.clone(), e))?;
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
    if added == 0 {
        return Err(TlsError::new(key, shown, "holds no usable PEM certificate"));
    }
    Ok(certs)
}

/// The system's roots, as Go's default pool: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the
/// distribution's bundle. None found is not an error (Go starts too): every certificate given is
/// then refused.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(error = %error, "reading the system's CA certificates for client verification");
    }
    if found.certs.is_empty() {
        tracing::warn!(
            "no system CA certificates found: client certificates cannot verify (client_auth_type without client_ca_file)"
        );
    }
    found.certs
}
