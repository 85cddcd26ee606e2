//! `tls_server_config` as written, and its checks: certificates from files or inline PEM (a
//! file wins when both are given, as in exporter-toolkit), the client-auth policy with its CA and
//! allowed SANs, versions, Go's cipher-suite and curve names mapped to what ring serves, and
//! Go's HTTP/2 rule for a limited TLS 1.2 cipher list.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use super::names::{self, GoCipher, GoCurve, HTTP2_REQUIRED};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    cert_file: Option<String>,
    key_file: Option<String>,
    cert: Option<String>,
    key: Option<SecretString>,
    /// Go's `tls.ClientAuthType` names, read after the certificate keys (as Go reads them).
    client_auth_type: Option<String>,
    client_ca_file: Option<String>,
    client_ca: Option<String>,
    min_version: Option<TlsVersion>,
    max_version: Option<TlsVersion>,
    cipher_suites: Option<Vec<String>>,
    curve_preferences: Option<Vec<String>>,
    prefer_server_cipher_suites: Option<bool>,
    client_allowed_sans: Option<Vec<String>>,
}

/// Where a PEM comes from: a file (read again when it changes) or the web config itself.
#[derive(Debug, Clone)]
pub enum PemSource {
    File(PathBuf),
    /// Inline PEM; a secret, as it may be a private key: never logged.
    Inline(SecretString),
}

impl PemSource {
    /// How to name it in a message: the file, or the key it was written under.
    pub fn describe(&self, key: &str) -> String {
        match self {
            PemSource::File(path) => path.display().to_string(),
            PemSource::Inline(_) => format!("the inline {key}"),
        }
    }
}

/// The checked `tls_server_config`.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cert: PemSource,
    pub key: PemSource,
    pub client_auth: ClientAuthType,
    /// `None`: the Verify modes check against the system roots, as Go does.
    pub client_ca: Option<PemSource>,
    /// A client certificate must carry one of these as a SAN (DNS, email, IP or URI).
    pub client_allowed_sans: Option<Vec<String>>,
    pub min_version: TlsVersion,
    pub max_version: TlsVersion,
    /// The TLS 1.2 suites to offer, in the file's order; `None`: rustls's defaults.
    pub cipher_suites: Option<Vec<&'static GoCipher>>,
    /// The key-exchange groups to offer, in the file's order; `None`: rustls's defaults.
    pub curves: Option<Vec<&'static GoCurve>>,
    /// The server's cipher order wins over the client's (Go's default: true).
    pub prefer_server_cipher_suites: bool,
}

impl TlsSettings {
    /// Whether TLS 1.2 is among the versions served.
    pub(crate) fn serves_tls12(&self) -> bool {
        self.min_version <= TlsVersion::Tls12 && self.max_version >= TlsVersion::Tls12
    }
}

/// `tls_server_config.client_auth_type`: Go's `tls.ClientAuthType` names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientAuthType {
    /// No client certificate is asked for.
    #[default]
    NoClientCert,
    /// A certificate is asked for; none is required and one given is not verified.
    RequestClientCert,
    /// A certificate is required, but not verified against a CA. exporter-toolkit also takes
    /// the older name `RequireClientCert`.
    RequireAnyClientCert,
    /// A certificate is optional; one given must verify against `client_ca_file` (or
    /// `client_ca`, or without either the system roots).
    VerifyClientCertIfGiven,
    /// A certificate is required and must verify as in `VerifyClientCertIfGiven`.
    RequireAndVerifyClientCert,
}

impl ClientAuthType {
    /// The mode Go's name (or exporter-toolkit's older `RequireClientCert`) stands for.
    pub(crate) fn from_go_name(name: &str) -> Option<ClientAuthType> {
        Some(match name {
            "NoClientCert" => ClientAuthType::NoClientCert,
            "RequestClientCert" => ClientAuthType::RequestClientCert,
            "RequireAnyClientCert" | "RequireClientCert" => ClientAuthType::RequireAnyClientCert,
            "VerifyClientCertIfGiven" => ClientAuthType::VerifyClientCertIfGiven,
            "RequireAndVerifyClientCert" => ClientAuthType::RequireAndVerifyClientCert,
            _ => return None,
        })
    }
}

/// `min_version` / `max_version`: Go's names. rustls implements TLS 1.2 and 1.3 only: a
/// `min_version` below serves from TLS 1.2 (what any client of those versions gets from Go's
/// default configuration too, since Go 1.22), a `max_version` below is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    /// Go's name, as the file writes it.
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "TLS10",
            TlsVersion::Tls11 => "TLS11",
            TlsVersion::Tls12 => "TLS12",
            TlsVersion::Tls13 => "TLS13",
        }
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "TLS10" => Ok(TlsVersion::Tls10),
            "TLS11" => Ok(TlsVersion::Tls11),
            "TLS12" => Ok(TlsVersion::Tls12),
            "TLS13" => Ok(TlsVersion::Tls13),
            _ => Err(serde::de::Error::custom(format!(
                "unknown TLS version: {name:?}, expected TLS10, TLS11, TLS12 or TLS13"
            ))),
        }
    }
}

type Refusal = (String, String);

fn refuse<T>(key: &str, why: impl Into<String>) -> Result<T, Refusal> {
    Err((format!("tls_server_config.{key}"), why.into()))
}

impl RawTls {
    /// `None` when no key that turns TLS on is given (exporter-toolkit's `IsEnabled`).
    pub(super) fn check(
        self,
        dir: &Path,
        http2: bool,
        warnings: &mut Vec<String>,
    ) -> Result<Option<TlsSettings>, Refusal> {
        // exporter-toolkit treats an empty string as not given.
        let text = |t: Option<String>| t.filter(|t| !t.is_empty());
        let file = |p: Option<String>| text(p).map(|p| PemSource::File(dir.join(p)));
        let inline = |t: Option<String>| text(t).map(|t| PemSource::Inline(t.into()));
        let key_inline = self
            .key
            .filter(|k| !secrecy::ExposeSecret::expose_secret(k).is_empty());
        let cert = file(self.cert_file).or(inline(self.cert));
        let key = file(self.key_file).or(key_inline.map(PemSource::Inline));
        let client_ca = file(self.client_ca_file).or(inline(self.client_ca));
        let client_auth_type = text(self.client_auth_type);
        if cert.is_none() && key.is_none() && client_ca.is_none() && client_auth_type.is_none() {
            return Ok(None);
        }
        let Some(cert) = cert else {
            return refuse(
                "cert_file",
                "missing one of cert or cert_file: TLS needs a certificate",
            );
        };
        let Some(key) = key else {
            return refuse(
                "key_file",
                "missing one of key or key_file: TLS needs a private key",
            );
        };
        let client_auth = client_auth(client_auth_type.as_deref(), client_ca.as_ref())?;
        let sans = self.client_allowed_sans;
        if sans.is_some()
            && !matches!(
                client_auth,
                ClientAuthType::RequireAnyClientCert | ClientAuthType::RequireAndVerifyClientCert
            )
        {
            return refuse(
                "client_allowed_sans",
                "requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert",
            );
        }
        let (min_version, max_version) = versions(self.min_version, self.max_version, warnings)?;
        let mut settings = TlsSettings {
            cert,
            key,
            client_auth,
            client_ca,
            client_allowed_sans: sans,
            min_version,
            max_version,
            cipher_suites: None,
            curves: None,
            prefer_server_cipher_suites: self.prefer_server_cipher_suites.unwrap_or(true),
        };
        if let Some(written) = self.cipher_suites.filter(|c| !c.is_empty()) {
            settings.cipher_suites = Some(cipher_suites(&written, &settings, http2, warnings)?);
        }
        if let Some(written) = self.curve_preferences.filter(|c| !c.is_empty()) {
            settings.curves = Some(curves(&written, warnings)?);
        }
        Ok(Some(settings))
    }
}

/// `client_auth_type` (Go's names), checked against the CA given.
fn client_auth(
    name: Option<&str>,
    client_ca: Option<&PemSource>,
) -> Result<ClientAuthType, Refusal> {
    let client_auth = match name {
        None => ClientAuthType::NoClientCert,
        Some(name) => ClientAuthType::from_go_name(name).ok_or_else(|| {
            (
                "tls_server_config.client_auth_type".to_string(),
                format!(
                    "invalid ClientAuth: {name:?}, expected NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"
                ),
            )
        })?,
    };
    if client_ca.is_some() && client_auth == ClientAuthType::NoClientCert {
        // Go reads the CA file before it looks at the policy: a missing file is named first.
        if let Some(PemSource::File(path)) = client_ca {
            if let Err(e) = std::fs::metadata(path) {
                return refuse("client_ca_file", format!("{}: {e}", path.display()));
            }
        }
        return refuse(
            "client_ca_file",
            "client CA's have been configured without a Client Auth Policy: set client_auth_type",
        );
    }
    Ok(client_auth)
}

/// The versions to serve: Go's defaults (TLS12 to TLS13), and what rustls implements.
fn versions(
    min: Option<TlsVersion>,
    max: Option<TlsVersion>,
    warnings: &mut Vec<String>,
) -> Result<(TlsVersion, TlsVersion), Refusal> {
    let min = min.unwrap_or(TlsVersion::Tls12);
    let max = max.unwrap_or(TlsVersion::Tls13);
    if max < TlsVersion::Tls12 {
        return refuse(
            "max_version",
            "rustls implements TLS12 and TLS13 only: max_version must be one of them",
        );
    }
    if min > max {
        return refuse("min_version", "is above max_version");
    }
    if min < TlsVersion::Tls12 {
        warnings.push(format!(
            "tls_server_config.min_version {}: rustls implements TLS12 and TLS13; serving from TLS12",
            min.name()
        ));
    }
    Ok((min.max(TlsVersion::Tls12), max))
}

/// The TLS 1.2 suites of `written` that ring serves, in order.
fn cipher_suites(
    written: &[String],
    settings: &TlsSettings,
    http2: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'static GoCipher>, Refusal> {
    let unknown: Vec<&str> = written
        .iter()
        .map(String::as_str)
        .filter(|name| names::cipher(name).is_none())
        .collect();
    if !unknown.is_empty() {
        return refuse(
            "cipher_suites",
            format!("unknown cipher: {}", unknown.join(", ")),
        );
    }
    let known: Vec<&'static GoCipher> = written.iter().filter_map(|n| names::cipher(n)).collect();
    if http2
        && settings.min_version < TlsVersion::Tls13
        && !known.iter().any(|c| HTTP2_REQUIRED.contains(&c.name))
    {
        return refuse(
            "cipher_suites",
            format!(
                "TLSConfig.CipherSuites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher (need at least one of {}); add one, or set http_server_config.http2: false",
                HTTP2_REQUIRED.join(" or ")
            ),
        );
    }
    let tls12: Vec<&'static GoCipher> = known.into_iter().filter(|c| !c.tls13).collect();
    let (served, unserved): (Vec<&'static GoCipher>, Vec<&'static GoCipher>) =
        tls12.into_iter().partition(|c| c.rustls.is_some());
    let unserved: Vec<&str> = unserved.iter().map(|c| c.name).collect();
    if !settings.serves_tls12() {
        return Ok(served);
    }
    if served.is_empty() && !unserved.is_empty() {
        if settings.max_version == TlsVersion::Tls12 {
            return refuse(
                "cipher_suites",
                format!(
                    "{}: the TLS provider (rustls with ring) cannot serve these (it implements the ECDHE suites with AES-GCM or ChaCha20-Poly1305); name one of those",
                    unserved.join(", ")
                ),
            );
        }
        warnings.push(format!(
            "tls_server_config.cipher_suites: {} cannot be served by the TLS provider (rustls with ring); TLS12 is left with no suite, so only TLS13 is served",
            unserved.join(", ")
        ));
    } else if !unserved.is_empty() {
        warnings.push(format!(
            "tls_server_config.cipher_suites: {} cannot be served by the TLS provider (rustls with ring): left out",
            unserved.join(", ")
        ));
    }
    Ok(served)
}

/// The curves of `written` that ring serves, in order.
fn curves(
    written: &[String],
    warnings: &mut Vec<String>,
) -> Result<Vec<&'static GoCurve>, Refusal> {
    let unknown: Vec<&str> = written
        .iter()
        .map(String::as_str)
        .filter(|name| names::curve(name).is_none())
        .collect();
    if !unknown.is_empty() {
        return refuse(
            "curve_preferences",
            format!("unknown curve: {}", unknown.join(", ")),
        );
    }
    let (served, unserved): (Vec<&'static GoCurve>, Vec<&'static GoCurve>) = written
        .iter()
        .filter_map(|n| names::curve(n))
        .partition(|c| c.rustls.is_some());
    let unserved: Vec<&str> = unserved.iter().map(|c| c.name).collect();
    if served.is_empty() {
        return refuse(
            "curve_preferences",
            format!(
                "{}: the TLS provider (rustls with ring) cannot serve this curve; name CurveP256, CurveP384 or X25519 as well",
                unserved.join(", ")
            ),
        );
    }
    if !unserved.is_empty() {
        warnings.push(format!(
            "tls_server_config.curve_preferences: {} cannot be served by the TLS provider (rustls with ring): left out",
            unserved.join(", ")
        ));
    }
    Ok(served)
}
