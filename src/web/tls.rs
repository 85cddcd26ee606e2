//! The rustls server configuration of a web config's `tls_server_config`: ring as the provider,
//! the TLS versions between `min_version` and `max_version`, HTTP/1.1 by ALPN, the certificate
//! pair from [`CertFiles`] (reloaded when its files change), and one client-certificate verifier
//! per `client_auth_type`, with Go's meaning of each.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig};
use rustls::{SignatureScheme, SupportedProtocolVersion};

use super::certs::CertFiles;
use super::file::{ClientAuthType, TlsFiles, TlsVersion};
use super::WebConfigError;

/// A TLS setting that cannot be used: which key, which file, why.
#[derive(Debug)]
pub(super) struct TlsError {
    pub key: &'static str,
    pub file: String,
    pub reason: String,
}

impl TlsError {
    pub fn new(key: &'static str, file: &Path, reason: impl ToString) -> Self {
        TlsError {
            key,
            file: file.display().to_string(),
            reason: reason.to_string(),
        }
    }

    pub fn in_file(self, config: &Path) -> WebConfigError {
        WebConfigError::Tls {
            path: config.display().to_string(),
            key: self.key,
            file: self.file,
            reason: self.reason,
        }
    }
}

/// The server side of TLS for one version of the web configuration.
#[derive(Debug)]
pub(super) struct Tls {
    config: Arc<ServerConfig>,
}

impl Tls {
    pub fn new(files: &TlsFiles) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = CertFiles::load(&files.cert_file, &files.key_file, provider.clone())?;
        let verifier = client_verifier(files, &provider)?;
        let versions: Vec<&'static SupportedProtocolVersion> = [
            (TlsVersion::Tls12, &rustls::version::TLS12),
            (TlsVersion::Tls13, &rustls::version::TLS13),
        ]
        .into_iter()
        .filter(|(v, _)| (files.min_version..=files.max_version).contains(v))
        .map(|(_, version)| version)
        .collect();
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .map_err(|e| TlsError::new("min_version", &files.cert_file, e))?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(certs));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
        })
    }

    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

fn client_verifier(
    files: &TlsFiles,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let verified = |optional: bool| {
        let ca = files.client_ca_file.as_deref().ok_or_else(|| {
            TlsError::new(
                "client_ca_file",
                Path::new(""),
                "is required to verify clients",
            )
        })?;
        let roots = client_roots(ca)?;
        let builder =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
        let builder = if optional {
            builder.allow_unauthenticated()
        } else {
            builder
        };
        builder
            .build()
            .map_err(|e| TlsError::new("client_ca_file", ca, e))
    };
    Ok(match files.client_auth {
        ClientAuthType::NoClientCert => WebPkiClientVerifier::no_client_auth(),
        ClientAuthType::RequestClientCert => Arc::new(AnyClientCert::new(provider, false)),
        ClientAuthType::RequireAnyClientCert => Arc::new(AnyClientCert::new(provider, true)),
        ClientAuthType::VerifyClientCertIfGiven => verified(true)?,
        ClientAuthType::RequireAndVerifyClientCert => verified(false)?,
    })
}

fn client_roots(ca: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .map_err(|e| TlsError::new("client_ca_file", ca, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new("client_ca_file", ca, e))?;
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(TlsError::new(
            "client_ca_file",
            ca,
            "holds no usable PEM certificate",
        ));
    }
    Ok(roots)
}

/// Go's `RequestClientCert` and `RequireAnyClientCert`: a certificate is asked for (and, when
/// `mandatory`, required), and not verified against any CA. The client still proves it holds
/// the certificate's key: its handshake signature is checked.
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl AnyClientCert {
    fn new(provider: &CryptoProvider, mandatory: bool) -> Self {
        AnyClientCert {
            mandatory,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
