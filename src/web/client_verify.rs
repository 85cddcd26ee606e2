//! The client-certificate check of every `client_auth_type` but `NoClientCert`, with Go's meaning
//! of each (exporter-toolkit hands the mode to Go's `crypto/tls`):
//!
//! - `RequestClientCert`, `RequireAnyClientCert`: a certificate is asked for (required by the
//!   second) and not verified against any CA; the client still proves it holds the key.
//! - `VerifyClientCertIfGiven`, `RequireAndVerifyClientCert`: a certificate given must chain to
//!   `client_ca_file` / `client_ca`, or without them to the system roots (Go's default pool;
//!   `SSL_CERT_FILE` and `SSL_CERT_DIR` honoured).
//! - `client_allowed_sans`: the certificate must carry one of them as a DNS, email, IP or URI
//!   SAN, compared exactly, as exporter-toolkit's `VerifyPeerCertificate` does.
//!
//! One deliberate widening of rustls: a self-signed certificate that is its own CA (`CA:TRUE`,
//! what `openssl req -x509` makes by default) is accepted as a client certificate when that very
//! certificate is listed as trusted. webpki refuses such a certificate as an end entity
//! (`CaUsedAsEndEntity`), while Go accepts a leaf that is itself in the root pool, and files
//! written for node_exporter rely on that. The fallback is an exact byte match with a trusted
//! certificate, so it trusts nothing the file does not name; validity dates are still checked
//! (webpki checks them before it looks at `CA:TRUE`), and so is the extended key usage, as Go
//! checks it.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, OtherError, RootCertStore,
    SignatureScheme,
};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Why a client certificate was refused by the checks webpki does not make.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientCertRefused {
    #[error("the client certificate carries none of client_allowed_sans")]
    NoAllowedSan,
    #[error("the client certificate cannot be parsed: {0}")]
    Unparsable(String),
}

/// The verifier of one loaded configuration.
#[derive(Debug)]
pub(super) struct GoClientVerifier {
    mandatory: bool,
    /// `None` in the modes that do not verify.
    chain: Option<Chain>,
    allowed_sans: Option<Vec<String>>,
    algorithms: WebPkiSupportedAlgorithms,
}

#[derive(Debug)]
struct Chain {
    /// `None` when there is no root to verify against (an empty system store): then every
    /// certificate given is refused, as Go refuses it.
    webpki: Option<Arc<dyn ClientCertVerifier>>,
    /// The trusted certificates that are their own issuers (see the module doc).
    self_signed: Vec<CertificateDer<'static>>,
    hints: Vec<DistinguishedName>,
}

impl GoClientVerifier {
    /// The Request/RequireAny modes: no chain check.
    pub(crate) fn unverified(
        provider: &CryptoProvider,
        mandatory: bool,
        sans: Option<Vec<String>>,
    ) -> Self {
        GoClientVerifier {
            mandatory,
            chain: None,
            allowed_sans: sans,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// The Verify modes: `trusted` are the CA certificates; `hints` says whether to name them to
    /// the client (Go names the configured CAs, not the system roots).
    pub fn verified(
        provider: &Arc<CryptoProvider>,
        trusted: Vec<CertificateDer<'static>>,
        hints: bool,
        mandatory: bool,
        sans: Option<Vec<String>>,
    ) -> Self {
        let mut roots = RootCertStore::empty();
        let _ = roots.add_parsable_certificates(trusted.iter().cloned());
        let self_signed = trusted.into_iter().filter(is_self_signed).collect();
        let builder =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
        let builder = if mandatory {
            builder
        } else {
            builder.allow_unauthenticated()
        };
        let builder = if hints {
            builder
        } else {
            builder.clear_root_hint_subjects()
        };
        // Fails only without a root: then nothing given can verify.
        let webpki = builder.build().ok();
        let hints = webpki
            .as_ref()
            .map(|v| v.root_hint_subjects().to_vec())
            .unwrap_or_default();
        GoClientVerifier {
            mandatory,
            chain: Some(Chain {
                webpki,
                self_signed,
                hints,
            }),
            allowed_sans: sans,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    fn verify_chain(
        chain: &Chain,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let Some(webpki) = &chain.webpki else {
            return Err(CertificateError::UnknownIssuer.into());
        };
        match webpki.verify_client_cert(end_entity, intermediates, now) {
            Ok(_) => Ok(()),
            Err(error)
                if is_ca_used_as_end_entity(&error)
                    && chain
                        .self_signed
                        .iter()
                        .any(|c| c.as_ref() == end_entity.as_ref())
                    && allows_client_auth(end_entity) =>
            {
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
}

impl ClientCertVerifier for GoClientVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.chain.as_ref().map_or(&[], |c| c.hints.as_slice())
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if let Some(chain) = &self.chain {
            Self::verify_chain(chain, end_entity, intermediates, now)?;
        }
        if let Some(allowed) = &self.allowed_sans {
            let sans = subject_alt_names(end_entity).map_err(refused)?;
            if !sans.iter().any(|san| allowed.contains(san)) {
                return Err(refused(ClientCertRefused::NoAllowedSan));
            }
        }
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

fn refused(why: ClientCertRefused) -> rustls::Error {
    CertificateError::Other(OtherError(Arc::new(why))).into()
}

fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(other))) => {
            matches!(
                other.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            )
        }
        _ => false,
    }
}

fn is_self_signed(cert: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(cert.as_ref())
        .is_ok_and(|(_, c)| c.issuer().as_raw() == c.subject().as_raw())
}

/// Go's check of a leaf's extended key usage for a client: none given, any, or client auth.
fn allows_client_auth(cert: &CertificateDer<'_>) -> bool {
    let Ok((_, cert)) = X509Certificate::from_der(cert.as_ref()) else {
        return false;
    };
    match cert.extended_key_usage() {
        Ok(None) => true,
        Ok(Some(eku)) => eku.value.any || eku.value.client_auth,
        Err(_) => false,
    }
}

/// The SANs exporter-toolkit compares: DNS names, emails, IP addresses (as Go prints them) and
/// URIs.
fn subject_alt_names(cert: &CertificateDer<'_>) -> Result<Vec<String>, ClientCertRefused> {
    let (_, cert) = X509Certificate::from_der(cert.as_ref())
        .map_err(|e| ClientCertRefused::Unparsable(e.to_string()))?;
    let Some(extension) = cert
        .subject_alternative_name()
        .map_err(|e| ClientCertRefused::Unparsable(e.to_string()))?
    else {
        return Ok(Vec::new());
    };
    Ok(extension
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_string()),
            GeneralName::RFC822Name(email) => Some(email.to_string()),
            GeneralName::URI(uri) => Some(uri.to_string()),
            GeneralName::IPAddress(bytes) => ip_string(bytes),
            _ => None,
        })
        .collect())
}

fn ip_string(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes).ok().map(|b| {
            let ip = std::net::Ipv6Addr::from(b);
            // Go prints an IPv4-mapped address as IPv4.
            ip.to_ipv4_mapped()
                .map_or_else(|| ip.to_string(), |v4| v4.to_string())
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_sans_are_printed_as_go_prints_them() {
        assert_eq!(ip_string(&[127, 0, 0, 1]).as_deref(), Some("127.0.0.1"));
        let mapped = std::net::Ipv4Addr::new(10, 1, 2, 3)
            .to_ipv6_mapped()
            .octets();
        assert_eq!(ip_string(&mapped).as_deref(), Some("10.1.2.3"));
        let v6: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(ip_string(&v6.octets()).as_deref(), Some("2001:db8::1"));
        assert_eq!(ip_string(&[1, 2, 3]), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_as_a_certificate_are_read_or_refused_without_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)
        ) {
            let cert = CertificateDer::from(bytes);
            let _ = subject_alt_names(&cert);
            let _ = allows_client_auth(&cert);
            let _ = is_self_signed(&cert);
        }
    }

    #[test]
    fn a_certificate_that_is_not_der_has_no_sans_and_is_refused() {
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01]);
        assert!(subject_alt_names(&garbage).is_err());
        assert!(!allows_client_auth(&garbage));
        assert!(!is_self_signed(&garbage));
    }
}
