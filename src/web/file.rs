//! The web configuration file as written (SPEC §8): exporter-toolkit's `web-config.yml`, read
//! strictly (an unknown key anywhere is an error naming it), its relative paths resolved against
//! the file's directory, and every value checked before anything is built from it.
//!
//! What exporter-toolkit accepts and rustls cannot honour is decided key by key:
//! - accepted and ignored, with a WARN at load: `cipher_suites`, `curve_preferences`,
//!   `prefer_server_cipher_suites` (rustls offers only AEAD suites with forward secrecy and picks
//!   its own order and groups; ignoring a narrower list cannot weaken the connection) and
//!   `http_server_config.http2` (this server speaks HTTP/1.1);
//! - refused: `client_allowed_sans` and `rate_limit` (ignoring them would let in clients the file
//!   means to keep out), the inline `cert`, `key` and `client_ca` (certificates come from files,
//!   which are watched for rotation), and `TLS10`/`TLS11` (rustls implements TLS 1.2 and 1.3).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::http::{HeaderName, HeaderValue};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::WebConfigError;

/// The whole file. Every key exporter-toolkit knows is listed, so that `deny_unknown_fields`
/// refuses only keys neither knows; refused and ignored ones are handled in [`WebFile::check`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    tls_server_config: Option<RawTls>,
    http_server_config: Option<RawHttp>,
    basic_auth_users: Option<BTreeMap<String, String>>,
    rate_limit: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert_file: Option<String>,
    key_file: Option<String>,
    client_auth_type: Option<ClientAuthType>,
    client_ca_file: Option<String>,
    min_version: Option<TlsVersion>,
    max_version: Option<TlsVersion>,
    cipher_suites: Option<Vec<String>>,
    curve_preferences: Option<Vec<String>>,
    prefer_server_cipher_suites: Option<bool>,
    client_allowed_sans: Option<IgnoredAny>,
    cert: Option<IgnoredAny>,
    key: Option<IgnoredAny>,
    client_ca: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    headers: Option<BTreeMap<String, String>>,
    http2: Option<bool>,
}

/// `tls_server_config.client_auth_type`: Go's `tls.ClientAuthType` names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ClientAuthType {
    /// No client certificate is asked for.
    #[default]
    NoClientCert,
    /// A certificate is asked for; none is required and one given is not verified.
    RequestClientCert,
    /// A certificate is required, but not verified against a CA. exporter-toolkit also takes
    /// the older name `RequireClientCert`.
    #[serde(alias = "RequireClientCert")]
    RequireAnyClientCert,
    /// A certificate is optional; one given must verify against `client_ca_file`.
    VerifyClientCertIfGiven,
    /// A certificate is required and must verify against `client_ca_file`.
    RequireAndVerifyClientCert,
}

impl ClientAuthType {
    fn verifies(self) -> bool {
        matches!(
            self,
            ClientAuthType::VerifyClientCertIfGiven | ClientAuthType::RequireAndVerifyClientCert
        )
    }
}

/// `min_version` / `max_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "TLS12" => Ok(TlsVersion::Tls12),
            "TLS13" => Ok(TlsVersion::Tls13),
            "TLS10" | "TLS11" => Err(serde::de::Error::custom(format!(
                "{name} is not supported: rustls implements TLS12 and TLS13"
            ))),
            _ => Err(serde::de::Error::custom(format!(
                "unknown TLS version {name:?}, expected TLS12 or TLS13"
            ))),
        }
    }
}

/// The checked `tls_server_config`: absolute paths, a coherent client-auth policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_auth: ClientAuthType,
    pub client_ca_file: Option<PathBuf>,
    pub min_version: TlsVersion,
    pub max_version: TlsVersion,
}

/// The checked file: what the listeners are built from.
#[derive(Debug, Clone, Default)]
pub struct WebFile {
    pub tls: Option<TlsFiles>,
    /// User name to bcrypt hash.
    pub users: BTreeMap<String, String>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Keys that were accepted and are ignored (see the module doc), to be logged.
    pub ignored: Vec<&'static str>,
}

/// The headers exporter-toolkit lets a web config set, with the values it allows (`None`: any).
const ALLOWED_HEADERS: [(&str, Option<&[&str]>); 5] = [
    ("Strict-Transport-Security", None),
    ("X-Content-Type-Options", Some(&["nosniff"])),
    ("X-Frame-Options", Some(&["deny", "sameorigin"])),
    ("X-XSS-Protection", None),
    ("Content-Security-Policy", None),
];

impl WebFile {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<WebFile, WebConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| WebConfigError::Read {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        WebFile::parse(&text, dir).map_err(|(key, message)| WebConfigError::Invalid {
            path: shown,
            key,
            message: one_line(&message),
        })
    }

    /// Parses `text`, resolving relative paths against `dir`. The error is the dotted key (empty
    /// when the YAML itself is broken) and what is wrong with it.
    pub fn parse(text: &str, dir: &Path) -> Result<WebFile, (String, String)> {
        // An empty file (or one of comments only) is a valid file that configures nothing.
        let deserializer = serde_norway::Deserializer::from_str(text);
        let raw: Option<RawFile> = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let message = e.into_inner().to_string();
            let message = without_parent_path(&message, &key).to_string();
            (key, message)
        })?;
        raw.unwrap_or_default().check(dir)
    }
}

impl RawFile {
    fn check(self, dir: &Path) -> Result<WebFile, (String, String)> {
        let refuse = |key: &str, why: &str| Err((key.to_string(), why.to_string()));
        if self.rate_limit.is_some() {
            return refuse("rate_limit", "is not supported by this exporter; remove it");
        }
        let mut file = WebFile::default();
        if let Some(http) = self.http_server_config {
            if http.http2.is_some() {
                file.ignored.push("http_server_config.http2");
            }
            for (name, value) in http.headers.unwrap_or_default() {
                file.headers.push(header(&name, &value)?);
            }
        }
        for (user, hash) in self.basic_auth_users.unwrap_or_default() {
            let key = format!("basic_auth_users.{user}");
            if user.contains(':') {
                return refuse(
                    &key,
                    "a user name cannot contain ':' (basic auth splits there)",
                );
            }
            match hash.parse::<bcrypt::HashParts>() {
                Ok(_) => file.users.insert(user, hash),
                Err(e) => return refuse(&key, &format!("not a bcrypt hash: {e}")),
            };
        }
        if let Some(tls) = self.tls_server_config {
            file.tls = tls.check(dir, &mut file.ignored)?;
        }
        Ok(file)
    }
}

impl RawTls {
    fn check(
        self,
        dir: &Path,
        ignored: &mut Vec<&'static str>,
    ) -> Result<Option<TlsFiles>, (String, String)> {
        let refuse = |key: &str, why: &str| Err((format!("tls_server_config.{key}"), why.into()));
        for (key, given) in [
            ("cert", self.cert.is_some()),
            ("key", self.key.is_some()),
            ("client_ca", self.client_ca.is_some()),
        ] {
            if given {
                return refuse(key, &format!("inline PEM is not supported: use {key}_file"));
            }
        }
        if self.client_allowed_sans.is_some() {
            return refuse("client_allowed_sans", "is not supported by this exporter");
        }
        for (key, given) in [
            (
                "tls_server_config.cipher_suites",
                self.cipher_suites.is_some(),
            ),
            (
                "tls_server_config.curve_preferences",
                self.curve_preferences.is_some(),
            ),
            (
                "tls_server_config.prefer_server_cipher_suites",
                self.prefer_server_cipher_suites.is_some(),
            ),
        ] {
            if given {
                ignored.push(key);
            }
        }
        // exporter-toolkit treats an empty string as not given.
        let path = |p: Option<String>| p.filter(|p| !p.is_empty()).map(|p| dir.join(p));
        let (cert_file, key_file) = (path(self.cert_file), path(self.key_file));
        let client_ca_file = path(self.client_ca_file);
        let client_auth = self.client_auth_type.unwrap_or_default();
        let min_version = self.min_version.unwrap_or(TlsVersion::Tls12);
        let max_version = self.max_version.unwrap_or(TlsVersion::Tls13);
        let (cert_file, key_file) = match (cert_file, key_file) {
            (Some(cert), Some(key)) => (cert, key),
            (None, None) if client_ca_file.is_none() && self.client_auth_type.is_none() => {
                return Ok(None)
            }
            (None, _) => return refuse("cert_file", "is required for TLS"),
            (_, None) => return refuse("key_file", "is required for TLS"),
        };
        if client_ca_file.is_some() && client_auth == ClientAuthType::NoClientCert {
            return refuse(
                "client_ca_file",
                "is set but client_auth_type is NoClientCert: set a client_auth_type",
            );
        }
        if client_auth.verifies() && client_ca_file.is_none() {
            return refuse(
                "client_ca_file",
                "is required to verify client certificates (client_auth_type)",
            );
        }
        if min_version > max_version {
            return refuse("min_version", "is above max_version");
        }
        Ok(Some(TlsFiles {
            cert_file,
            key_file,
            client_auth,
            client_ca_file,
            min_version,
            max_version,
        }))
    }
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), (String, String)> {
    let key = format!("http_server_config.headers.{name}");
    let Some((_, allowed)) = ALLOWED_HEADERS.iter().find(|(known, _)| *known == name) else {
        let names: Vec<_> = ALLOWED_HEADERS.iter().map(|(n, _)| *n).collect();
        return Err((key, format!("cannot be set; allowed: {}", names.join(", "))));
    };
    if let Some(allowed) = allowed {
        if !allowed.contains(&value) {
            return Err((key, format!("must be one of {allowed:?}, not {value:?}")));
        }
    }
    match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        (Ok(name), Ok(value)) => Ok((name, value)),
        _ => Err((key, "is not a valid header value".into())),
    }
}

/// serde_norway starts its messages with the path of the enclosing mapping, which the full
/// dotted key already names: `tls_server_config: unknown field …` under
/// `tls_server_config.cert_fil`.
fn without_parent_path<'m>(message: &'m str, key: &str) -> &'m str {
    match message.split_once(": ") {
        Some((parent, rest)) if !parent.contains(' ') && key.starts_with(parent) => rest,
        _ => message,
    }
}

/// Messages end up on one log line or one line of stderr.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
