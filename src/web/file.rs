//! The web configuration file as written: exporter-toolkit's `web-config.yml`, read strictly (an
//! unknown key anywhere is an error naming it), its relative paths resolved against the file's
//! directory, and every value checked before anything is built from it.
//!
//! Every key exporter-toolkit knows is honoured, with its meaning there: certificates from files
//! or inline PEM, `client_allowed_sans`, Go's cipher-suite and curve names, the server's cipher
//! order, HTTP/2, the rate limit. What the TLS provider (rustls with ring) cannot serve is decided
//! here: a Go name ring does not implement (P-521, X25519MLKEM768, the CBC and RSA key-exchange
//! suites) is left out with a warning when the list names others it can serve, and refused when
//! it names none.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::rate_limit::{parse_go_duration, RateLimit};
use super::tls_file::RawTls;
pub use super::tls_file::{ClientAuthType, PemSource, TlsSettings, TlsVersion};
use super::WebConfigError;

/// The whole file. Every key exporter-toolkit knows is listed, so that `deny_unknown_fields`
/// refuses only keys neither knows.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    tls_server_config: Option<RawTls>,
    http_server_config: Option<RawHttp>,
    basic_auth_users: Option<BTreeMap<String, String>>,
    rate_limit: Option<RawRateLimit>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    headers: Option<BTreeMap<String, String>>,
    http2: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    interval: Option<GoDuration>,
    burst: Option<u32>,
}

/// A Go `time.Duration` in YAML: a string in Go's syntax, or an integer of nanoseconds (what
/// Go's YAML decoder makes of `interval: 0`).
#[derive(Debug, Clone, Copy)]
struct GoDuration(std::time::Duration);

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Nanos(u64),
            Text(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Nanos(nanos) => Ok(GoDuration(std::time::Duration::from_nanos(nanos))),
            Written::Text(text) => parse_go_duration(&text)
                .map(GoDuration)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// The checked file: what the listeners are built from.
#[derive(Debug, Clone)]
pub struct WebFile {
    pub tls: Option<TlsSettings>,
    /// User name to bcrypt hash.
    pub users: BTreeMap<String, String>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `http_server_config.http2`: HTTP/2 offered by ALPN on TLS (on unless `false`, as in Go).
    pub http2: bool,
    /// `rate_limit`; `None` when absent or with a zero interval.
    pub rate_limit: Option<RateLimit>,
    /// What was left out, each a line to log at WARN when the file is loaded.
    pub warnings: Vec<String>,
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
        WebFile::from_text(path, &super::read(path)?)
    }

    /// Checks `text`, the contents of the file at `path`.
    pub fn from_text(path: &Path, text: &str) -> Result<WebFile, WebConfigError> {
        let shown = path.display().to_string();
        let dir = path.parent().unwrap_or(Path::new("."));
        // The key is the file's own text (a YAML key may span lines): one line too, or a
        // refusal would forge log lines (found by fuzz/fuzz_targets/web_config.rs).
        WebFile::parse(text, dir).map_err(|(key, message)| WebConfigError::Invalid {
            path: shown,
            key: one_line(&key),
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

impl Default for WebFile {
    fn default() -> Self {
        WebFile {
            tls: None,
            users: BTreeMap::new(),
            headers: Vec::new(),
            http2: true,
            rate_limit: None,
            warnings: Vec::new(),
        }
    }
}

impl RawFile {
    fn check(self, dir: &Path) -> Result<WebFile, (String, String)> {
        let refuse = |key: &str, why: &str| Err((key.to_string(), why.to_string()));
        let mut file = WebFile::default();
        if let Some(limit) = self.rate_limit {
            let interval = limit.interval.map(|d| d.0).unwrap_or_default();
            if !interval.is_zero() {
                file.rate_limit = Some(RateLimit {
                    interval,
                    burst: limit.burst.unwrap_or(0),
                });
            }
        }
        if let Some(http) = self.http_server_config {
            file.http2 = http.http2.unwrap_or(true);
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
            file.tls = tls.check(dir, file.http2, &mut file.warnings)?;
        }
        Ok(file)
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
